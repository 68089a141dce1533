"""Which notebook host runs the kernel, and what a view says where it cannot be shown.

The map views (:class:`MapView`, :class:`ComponentPlanes`) are anywidgets: every host that runs
anywidgets draws them (JupyterLab, Jupyter Notebook 7, VS Code, Colab, marimo through
``mo.ui.anywidget``).  The composite views (:class:`Explorer`, :class:`SegmentProfile`,
:class:`TrainingMonitor`) are ipywidgets containers holding bqplot charts: marimo renders
anywidgets only, so there they would draw nothing.  Instead, marimo asks an object for its
``_display_()`` first (its display protocol, ignored by Jupyter), and these views answer with a
:class:`HostNotice` that says what to use instead (see the docs' "Notebook hosts" page).
"""

from __future__ import annotations

import html
import os
import sys

__all__ = ["HostNotice", "current_host", "marimo_notice"]

#: What each composite view should be replaced with in marimo.
MARIMO_INSTEAD = {
    "Explorer": (
        "Show its parts instead: mo.ui.anywidget(MapView(model, df, selection=selection)) and "
        "mo.ui.anywidget(ComponentPlanes(model, selection=selection)) with one shared Selection; "
        "read the rows with selection.rows and add segments with somnium.segments.Segments."
    ),
    "SegmentProfile": (
        "Its numbers are available as tables: profile.compare(nodes) and profile.compare_categories(nodes) "
        "return DataFrames that marimo displays."
    ),
    "TrainingMonitor": (
        "Train with model.fit(..., callbacks=[somnium.callbacks.TextProgress()]) to see the progress, "
        "then show the map with mo.ui.anywidget(MapView(model, df))."
    ),
}


def current_host() -> str:
    """The notebook host running this kernel, as far as the kernel can tell.

    Returns one of ``"marimo"``, ``"colab"``, ``"vscode"``, ``"jupyter"`` (a Jupyter kernel under
    JupyterLab, Notebook 7 or another front end), ``"ipython"`` (a terminal IPython) or ``"python"``.
    """
    if "marimo" in sys.modules:
        try:
            import marimo

            if marimo.running_in_notebook():
                return "marimo"
        except Exception:  # an old or partial marimo: not a marimo notebook
            pass
    if "google.colab" in sys.modules:
        return "colab"
    shell = _ipython_shell()
    if shell is None:
        return "python"
    if not hasattr(shell, "kernel"):
        return "ipython"
    # VS Code starts its kernels with these set; JupyterLab and Notebook do not.
    if "VSCODE_PID" in os.environ or "VSCODE_CWD" in os.environ:
        return "vscode"
    return "jupyter"


def _ipython_shell():
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is an ipywidgets dependency
        return None
    return get_ipython()


class HostNotice:
    """A short message shown in place of a view that its host cannot display.

    Displays as text everywhere: ``_mime_`` (marimo), ``_repr_html_`` (Jupyter) and ``repr``.
    The message is Somnium's own text and is escaped all the same.
    """

    def __init__(self, view: str, host: str, advice: str):
        self.view = view
        self.host = host
        self.advice = advice

    @property
    def text(self) -> str:
        return f"{self.view} cannot be shown in {self.host}: {self.advice}"

    def _repr_html_(self) -> str:
        return (
            '<div class="somnium-host-notice" data-somnium-host-notice="'
            f'{html.escape(self.view, quote=True)}" role="note" style="padding:8px 12px;'
            'border-left:4px solid #d97706;background:rgba(217,119,6,0.08);font:13px sans-serif">'
            f"<strong>{html.escape(self.view)} cannot be shown in {html.escape(self.host)}.</strong> "
            f"{html.escape(self.advice)}</div>"
        )

    def _mime_(self) -> tuple[str, str]:
        return "text/html", self._repr_html_()

    def __repr__(self) -> str:
        return self.text


def marimo_notice(view: str):
    """A ``_display_`` method for a view marimo cannot draw: marimo shows the notice instead.

    One line in the view's class body: ``_display_ = marimo_notice("Explorer")``.  Only marimo
    calls ``_display_``; Jupyter hosts display the view as before.
    """
    advice = (
        "marimo displays anywidgets only, and this view is an ipywidgets container (bqplot charts). "
        + MARIMO_INSTEAD[view]
    )

    def _display_(self):
        return HostNotice(view, "marimo", advice)

    _display_.__doc__ = f"marimo's display protocol: a notice that {view} cannot be shown in marimo."
    return _display_
