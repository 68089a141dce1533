"""Standalone HTML export of the views: one self-contained file that opens from disk, offline.

>>> view.to_html("map.html")  # MapView, ComponentPlanes, Explorer  # doctest: +SKIP
>>> somnium.widgets.to_html("page.html", view, planes)  # several views, still linked  # doctest: +SKIP
>>> view.to_html("map.html", rows=True)  # + the rows behind the selection (bounded)  # doctest: +SKIP

How the page works
------------------
It draws with the views' own code: each view's bundle (the ``_esm`` and ``_css`` anywidget loads,
read from the view's ``get_state()``) is inlined as a module script whose closing
``export { x as default }`` is turned into a registration (``globalThis.__somniumViews``), followed
by the page's runtime (``somnium/static/export.js``, from ``widget_js/export.js``).  The runtime gives
each view a model stand-in (``widget_js/lib/standin.js``) over the state embedded in the page as JSON
(binary traits as base64 buffers, identical ones stored once), with a ``widget_manager`` that
resolves the page's Selection models, so views that share a ``Selection`` stay linked in the page.

What the kernel would answer is embedded too: a :class:`MapView`'s colour menu asks Python for the
chosen layer, so every layer's values are embedded (float64, as the live view sends them; at most :data:`MAX_LAYER_BYTES` per
map; layers beyond are left out of the menu and the page says which) and the stand-in answers a
change of ``color`` from them.  bqplot charts (a segment profile, a training monitor's curves) are
drawn by matplotlib from the charts' own numbers as they are at export time
(:mod:`somnium.widgets._chart_svg`); labels become text; controls that need a kernel (buttons,
text fields) are left out, and the page names them.

Safety: every string from Python reaches the page as JSON inside ``<script type="application/json">``
with ``<``, ``>`` and ``&`` escaped (so ``</script`` cannot occur in it), and the runtime writes it
with ``textContent``.  A Content-Security-Policy allows the page's own scripts only (by hash), no
network, and images from ``data:`` only.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import math
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import anywidget
import ipywidgets
import numpy as np

from .._validation import is_dask_collection, is_dataframe, is_series
from ..exceptions import DaskRowsError, ExportTooLargeError
from ._base import STATIC_DIR
from .selection import Selection

__all__ = [
    "MAX_LAYER_BYTES",
    "MAX_ROW_CELLS",
    "MAX_ROW_CHARACTERS",
    "to_html",
]

#: At most this many cells (rows × (columns + 1 for the index)) of rows in one page.
MAX_ROW_CELLS = 250_000
#: At most this many characters of row text in one page.
MAX_ROW_CHARACTERS = 8_000_000
#: At most this many bytes (float64) of one map's colour layers; the shown layer is always kept.
MAX_LAYER_BYTES = 16 * 2**20

#: The synced traits every anywidget has that a view's render() never reads.
_SKIPPED_STATE = {*anywidget.AnyWidget.class_trait_names(sync=True), "_esm", "_css", "_anywidget_id"}
#: Layout properties carried over to the page (how the views sit next to each other).
_LAYOUT = ("width", "min_width", "max_width", "flex", "flex_flow", "gap", "align_items", "margin")
_BOX_LAYOUT = (*_LAYOUT, "height", "min_height", "max_height", "justify_content")
#: Choice widgets shown as "description: chosen label" text (the choice needs a kernel to act).
_CHOICES = (
    ipywidgets.Dropdown,
    ipywidgets.RadioButtons,
    ipywidgets.Select,
    ipywidgets.SelectionSlider,
    ipywidgets.ToggleButtons,
)
_EXPORT_DEFAULT = re.compile(r"export\s*\{\s*([A-Za-z_$][\w$]*)\s+as\s+default\s*\}\s*;?\s*\Z")
_REFERENCE = "IPY_MODEL_"  # how ipywidgets sends a reference to another widget model
_NOT_INLINABLE = re.compile(r"</script|<!--|</style", re.IGNORECASE)
_CHART_CAPTION = "Picture at export time."
_CHARTS_NOTE = (
    "Charts are pictures of their state when the page was exported, drawn with matplotlib from their "
    "numbers: they do not follow selections made in this page."
)


def to_html(path, *views, rows=None, title: str | None = None) -> Path:
    """Write views to one self-contained HTML page that works offline (no server, no kernel).

    The page shows each view as it is now (colour layer, segments, legend, selection) and keeps
    it interactive: hover, click, brush and lasso selection, and the colour-layer menu of a
    :class:`MapView` (every layer's values are embedded).  Views that share a :class:`Selection`
    stay linked in the page.  A panel says what is selected (node ids; with ``rows``, how many
    rows and which) and copies the node ids.  bqplot charts (a segment profile, a training
    monitor's curves) are shown as pictures of their current state, drawn with matplotlib from
    the charts' numbers; they do not follow selections made in the page.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (its folder must exist); overwritten if present.
    *views : widgets
        :class:`MapView`, :class:`ComponentPlanes`, :class:`Explorer`, :class:`SegmentProfile`, a
        :class:`TrainingMonitor`, a bqplot ``Figure`` or an ipywidgets box holding them, in page order.
    rows : None, True, DataFrame or ndarray, optional
        Rows to embed so the page can count and list the rows behind a selection.  ``True``: the
        rows each view was built with (``data=``); a DataFrame: those rows, placed on the map by
        ``model.predict`` of their feature columns (or, without them, matched to the view's data by
        index label).  At most :data:`MAX_ROW_CELLS` cells (rows × (columns + 1)) and
        :data:`MAX_ROW_CHARACTERS` characters; the page states the limits.
    title : str, optional
        The page's title (default: the views' names).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ExportTooLargeError
        If ``rows`` holds more than the limits allow (pass a sample or fewer columns).
    DaskRowsError
        If ``rows`` are Dask rows (embed a pandas part of them instead, e.g. ``ddf.head(1000)``).
    """
    if not views:
        raise ValueError("to_html needs at least one view: somnium.widgets.to_html(path, view, ...).")
    target = _check_path(path)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string, got {type(title).__name__}.")
    page = _Page()
    for view in views:
        page.add(view)
    page.attach_rows(rows)
    target.write_text(page.html(title), encoding="utf-8")
    return target


def _check_path(path) -> Path:
    try:
        target = Path(os.fspath(path))
    except TypeError:
        raise TypeError(
            f"path must be a file path (str or os.PathLike), got {type(path).__name__}."
        ) from None
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder: give the path of the HTML file to write.")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    return target


class _Page:
    """What one page embeds, gathered by walking the views' widget trees."""

    def __init__(self):
        self.buffers: list[str] = []
        self._buffer_ids: dict[bytes, int] = {}
        self.models: dict[str, dict] = {}
        self.bundles: dict[str, tuple[str, str]] = {}
        self.selections: dict[str, dict] = {}
        self._selection_sources: dict[str, tuple[Selection, object]] = {}
        self.rows: dict[str, dict] = {}
        self._row_ids: dict[tuple[int, int], str] = {}
        self._row_cells = 0
        self._row_characters = 0
        self.layout: list[dict] = []
        self.left_out: set[str] = set()
        self.notes: list[str] = []
        self.names: list[str] = []

    # -------------------------------------------------------------- the views
    def add(self, view) -> None:
        widget = view if isinstance(view, ipywidgets.Widget) else getattr(view, "widget", None)
        if not isinstance(widget, ipywidgets.Widget):
            raise TypeError(
                "to_html exports Somnium views (MapView, ComponentPlanes, Explorer, SegmentProfile, "
                f"TrainingMonitor) and ipywidgets holding them, got {type(view).__name__}."
            )
        self.names.append(type(view).__name__)
        block = self.walk(widget)
        if block is not None:
            self.layout.append(block)

    def walk(self, widget) -> dict | None:
        """The page's block for ``widget`` (and its children), or None for nothing to show."""
        import bqplot

        layout_names = _LAYOUT
        if isinstance(widget, anywidget.AnyWidget) and type(widget).__module__.startswith("somnium."):
            block = self.view(widget)
        elif isinstance(widget, bqplot.Figure):
            block = self.picture(widget)
        elif isinstance(widget, ipywidgets.Box):
            children = [child for child in map(self.walk, widget.children) if child is not None]
            if not children:
                return None
            block = {"type": "box", "direction": _direction(widget), "children": children}
            layout_names = _BOX_LAYOUT
        elif isinstance(widget, (ipywidgets.Label, ipywidgets.HTML, ipywidgets.HTMLMath)):
            text = widget.value if isinstance(widget, ipywidgets.Label) else _html_text(widget.value)
            block = {"type": "text", "text": str(text)} if str(text).strip() else None
            layout_names = _BOX_LAYOUT
        elif isinstance(widget, _CHOICES):
            label = "" if widget.label is None else str(widget.label)
            description = f"{widget.description}: " if widget.description else ""
            block = {"type": "text", "text": f"{description}{label}"}
        else:
            self.left_out.add(type(widget).__name__)
            return None
        if block is None:
            return None
        block["name"] = type(widget).__name__
        block["style"] = _layout_style(widget, layout_names)
        if block["type"] != "view":  # a view draws its own root; a box keeps its hooks (somnium-explorer)
            block["classes"] = [c for c in getattr(widget, "_dom_classes", ()) if re.fullmatch(r"[\w-]+", c)]
        return block

    def view(self, widget) -> dict:
        """A Somnium anywidget: its bundle, its state and what Python would answer in the page."""
        from .map_view import MapView

        reactions = self.map_layers(widget) if isinstance(widget, MapView) else {}
        state = widget.get_state()
        esm, css = str(state.get("_esm") or ""), str(state.get("_css") or "")
        cls = type(widget)
        key = str(state.get("_anywidget_id") or f"{cls.__module__}.{cls.__qualname__}")
        selection = getattr(widget, "selection", None)
        if isinstance(selection, Selection):
            self.add_selection(selection, widget.model)
        state = {name: self._reachable(value) for name, value in state.items() if name not in _SKIPPED_STATE}
        if reactions:
            shown = reactions["color"]
            state["_layer_options"] = [option for option in state["_layer_options"] if option[0] in shown]
        if widget.model_id not in self.models:
            self.models[widget.model_id] = {
                "bundle": key,
                "state": self.encode(state),
                "reactions": self.encode(reactions),
            }
        self.bundles.setdefault(key, (esm, css))
        return {"type": "view", "model": widget.model_id}

    def _reachable(self, value):
        """A trait's value without references to widget models the page does not hold.

        The page holds the Selection models; other references (the bqplot lines a training
        monitor's header appends live epochs to) only carry live updates, which a page never gets:
        a single reference becomes null, a list of them keeps only what the page holds.
        """
        if isinstance(value, str) and value.startswith(_REFERENCE):
            return value if value[len(_REFERENCE) :] in self.selections else None
        if isinstance(value, (list, tuple)) and any(
            isinstance(item, str) and item.startswith(_REFERENCE) for item in value
        ):
            return [item for item in value if self._reachable(item) is not None]
        return value

    def map_layers(self, view) -> dict:
        """Every colour layer of a MapView (bounded), as the answers to a change of ``color``.

        Read through the public API: each layer is shown in turn (``view.color``) and read back
        (``color_values`` and the ``_layer_info`` trait), then the shown layer is restored; the
        switches go out as one message at most (``hold_sync``), which restores what was shown.
        """
        current = view.color
        keys = list(view.layers)
        n_nodes = int(view.model.lattice_.n_nodes)
        fitting = max(1, MAX_LAYER_BYTES // (8 * n_nodes))
        chosen = [current, *[key for key in keys if key != current][: fitting - 1]]
        answers = {}
        with view.hold_sync():
            try:
                for key in chosen:
                    view.color = key
                    values = np.ascontiguousarray(view.color_values, dtype="<f8")
                    codes = np.ascontiguousarray(view._layer_codes, dtype="<u4")  # a layer of categories'
                    answers[key] = {
                        "_layer_values": {"dtype": "float64", "shape": [n_nodes], "data": values.tobytes()},
                        "_layer_codes": {"dtype": "uint32", "shape": [codes.size], "data": codes.tobytes()},
                        "_layer_info": view.get_state(["_layer_info"])["_layer_info"],
                    }
            finally:
                view.color = current
        left = [key for key in keys if key not in answers]
        if left:
            shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
            self.notes.append(
                f"The colour menu offers {len(answers)} of the map's {len(keys)} layers: each page embeds at "
                f"most {MAX_LAYER_BYTES // 2**20} MiB of layer values per map. Left out: {shown}."
            )
        return {"color": answers}

    def picture(self, figure) -> dict:
        from ._chart_svg import figure_svg

        svg, note = figure_svg(figure)
        return {
            "type": "picture",
            "svg": base64.b64encode(svg.encode("utf-8")).decode("ascii"),
            "alt": str(figure.title or "chart"),
            "caption": f"{_CHART_CAPTION} {note}".strip(),
        }

    def add_selection(self, selection: Selection, model) -> None:
        if selection.model_id in self.selections:
            return
        self.selections[selection.model_id] = {
            "nodes": [int(node) for node in selection.nodes],
            "n_nodes": int(selection.n_nodes),
            "rows": None,
            "label": "Selection",
        }
        self._selection_sources[selection.model_id] = (selection, model)

    def encode(self, value):
        """JSON-ready ``value``: bytes as {"$buf": i} (stored once each), non-finite floats as null."""
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            digest = hashlib.sha256(data).digest()
            if digest not in self._buffer_ids:
                self._buffer_ids[digest] = len(self.buffers)
                self.buffers.append(base64.b64encode(data).decode("ascii"))
            return {"$buf": self._buffer_ids[digest]}
        if isinstance(value, dict):
            return {str(key): self.encode(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.encode(item) for item in value]
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return float(value) if math.isfinite(value) else None
        if value is None or isinstance(value, str):
            return value
        raise TypeError(f"to_html cannot embed a {type(value).__name__} of a view's state.")

    # -------------------------------------------------------------- the rows
    def attach_rows(self, rows) -> None:
        if rows is None or rows is False:
            return
        if not self._selection_sources:
            raise ValueError("rows= needs a view with a selection (MapView, ComponentPlanes or Explorer).")
        if is_dask_collection(rows):
            raise DaskRowsError(
                "rows= embeds rows in memory: pass a pandas part of the Dask rows, e.g. "
                "rows=ddf.head(1000) or rows=ddf.sample(frac=0.01).compute()."
            )
        for selection_id, (selection, model) in self._selection_sources.items():
            source = self._row_source(rows, selection)
            key = (id(source), id(model))
            if key not in self._row_ids:
                self._row_ids[key] = f"rows{len(self.rows)}"
                self.rows[self._row_ids[key]] = self._row_table(rows, source, selection, model)
            self.selections[selection_id]["rows"] = self._row_ids[key]

    @staticmethod
    def _row_source(rows, selection):
        if rows is not True:
            return rows
        index = selection.row_index
        data = getattr(index, "data", None)
        if data is None:
            raise ValueError(
                "rows=True embeds the rows a view was built with, but this view has none in memory: "
                "create it with data= (MapView(model, df)) or pass rows=<a DataFrame>."
            )
        if getattr(index, "bmu", None) is None or is_dask_collection(data):
            raise DaskRowsError(
                "rows=True would pull every row of Dask data into the page: pass a pandas part of them "
                "instead, e.g. rows=ddf.head(1000)."
            )
        return data

    def _row_table(self, rows, data, selection, model) -> dict:
        if is_series(data):
            data = data.to_frame()
        n_rows, names = _row_shape(data, model)
        cells = n_rows * (len(names) + 1)
        self._row_cells += cells
        if self._row_cells > MAX_ROW_CELLS:
            raise ExportTooLargeError(
                f"rows= would embed {n_rows:,} rows × {len(names)} columns ({cells:,} cells with the "
                f"index); a page embeds at most {MAX_ROW_CELLS:,} cells and {MAX_ROW_CHARACTERS:,} "
                "characters of rows. Pass a part of them: rows=df.sample(5_000) or fewer columns "
                "(rows=df[['a', 'b']])."
            )
        bmu, how = (
            (selection.row_index.bmu, "the rows the view was built with")
            if rows is True
            else _bmus(data, selection, model)
        )
        columns = [_column_text(column) for column in _columns(data)]
        index = [str(label) for label in (data.index if is_dataframe(data) else range(n_rows))]
        self._row_characters += sum(len(text) for column in [index, *columns] for text in column)
        self._row_characters += sum(len(name) for name in names)
        if self._row_characters > MAX_ROW_CHARACTERS:
            raise ExportTooLargeError(
                f"rows= would embed {self._row_characters:,} characters of rows; a page embeds at most "
                f"{MAX_ROW_CHARACTERS:,} (and {MAX_ROW_CELLS:,} cells). Pass fewer rows or columns, or "
                "shorter text columns."
            )
        index_name = str(data.index.name) if is_dataframe(data) and data.index.name is not None else ""
        return {
            "columns": names,
            "index_name": index_name,
            "index": index,
            "cells": columns,
            "n_rows": n_rows,
            "bmu": self.encode(np.ascontiguousarray(bmu, dtype="<u4").tobytes()),
            "note": (
                f"Rows embedded: {n_rows:,} rows × {len(names)} columns, {how}. A page embeds at most "
                f"{MAX_ROW_CELLS:,} cells (rows × (columns + 1)) and {MAX_ROW_CHARACTERS:,} characters of rows."
            ),
        }

    # -------------------------------------------------------------- the page
    def html(self, title: str | None) -> str:
        names = list(dict.fromkeys(self.names))
        title = title if title is not None else f"Somnium: {', '.join(names)}"
        if len(self.selections) > 1:
            for number, selection in enumerate(self.selections.values(), start=1):
                selection["label"] = f"Selection {number}"
        notes = list(self.notes)
        if _has_picture(self.layout):
            notes.append(_CHARTS_NOTE)
        if self.left_out:
            notes.append(
                "Left out (they need a running Python kernel): " + ", ".join(sorted(self.left_out)) + "."
            )
        from .. import __version__

        data = {
            "version": 1,
            "title": title,
            "about": (
                f"Exported from Somnium {__version__} on {datetime.date.today().isoformat()}. This page "
                "works offline, without Python: hover a cell for its details; click, drag a rectangle or "
                "a lasso to select; change a map's colour layer. The selection stays in this page."
            ),
            "notes": notes,
            "layout": self.layout,
            "models": self.models,
            "selections": self.selections,
            "rows": self.rows,
            "buffers": self.buffers,
        }
        scripts = [_registering(esm, key) for key, (esm, _) in self.bundles.items()]
        runtime = (STATIC_DIR / "export.js").read_text(encoding="utf-8")
        scripts.append(runtime)
        for script in scripts:
            _check_inlinable(script, "a view bundle")
        styles = [css for _, css in self.bundles.values() if css]
        styles.append((STATIC_DIR / "export.css").read_text(encoding="utf-8"))
        for style in styles:
            _check_inlinable(style, "a stylesheet")
        hashes = " ".join(f"'sha256-{_sha256_base64(script)}'" for script in scripts)
        policy = (
            f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'"
        )
        parts = [
            "<!doctype html>",
            f'<html lang="en" data-somnium-export="{html.escape(__version__, quote=True)}">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="Somnium {html.escape(__version__, quote=True)}">',
            f"<title>{html.escape(title)}</title>",
            *(f"<style>{style}</style>" for style in styles),
            "</head>",
            '<body data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">',
            "<noscript>This page draws its maps with JavaScript: allow scripts for this file.</noscript>",
            '<main id="somnium-export" class="somnium somnium-export"></main>',
            f'<script type="application/json" id="somnium-export-data">{_script_json(data)}</script>',
            *(f'<script type="module">{script}</script>' for script in scripts),
            "</body>",
            "</html>",
            "",
        ]
        return "\n".join(parts)


# ---------------------------------------------------------------------------- helpers
def _has_picture(blocks) -> bool:
    return any(block["type"] == "picture" or _has_picture(block.get("children", ())) for block in blocks)


def _direction(box) -> str:
    if isinstance(box, ipywidgets.VBox):
        return "column"
    if isinstance(box, ipywidgets.HBox):
        return "row"
    flow = str(box.layout.flex_flow or "") if box.layout is not None else ""
    return "column" if flow.startswith("column") else "row"


def _layout_style(widget, names) -> dict:
    layout = getattr(widget, "layout", None)
    if not isinstance(layout, ipywidgets.Layout):
        return {}
    style = {}
    for name in names:
        value = getattr(layout, name, None)
        if value:
            style[name.replace("_", "-")] = str(value)
    return style


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def _html_text(markup) -> str:
    """The text of an HTML widget's value (its tags dropped: the page shows text only)."""
    parser = _TextOnly()
    parser.feed(str(markup or ""))
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _row_shape(data, model) -> tuple[int, list[str]]:
    """Rows and column names of a DataFrame or a 2-D array, before anything is converted."""
    if is_series(data):
        data = data.to_frame()
    if is_dataframe(data):
        return len(data), [str(column) for column in data.columns]
    array = np.asarray(data)
    if array.ndim != 2:
        raise ValueError(f"rows= must be a DataFrame or a 2-D array, got an array of shape {array.shape}.")
    names = list(model.feature_names())
    return array.shape[0], names if len(names) == array.shape[1] else [
        f"column {j}" for j in range(array.shape[1])
    ]


def _columns(data):
    if is_series(data):
        data = data.to_frame()
    if is_dataframe(data):
        return [data.iloc[:, j] for j in range(data.shape[1])]
    array = np.asarray(data)
    return [array[:, j] for j in range(array.shape[1])]


def _column_text(column) -> list[str]:
    """One column as the page shows it: numbers to 6 significant digits, missing as NaN."""
    values = (
        column.to_numpy(dtype=object) if is_series(column) and column.dtype.kind not in "biuf" else column
    )
    array = np.asarray(values)
    if array.dtype.kind == "f":
        return [f"{value:.6g}" if math.isfinite(value) else str(value) for value in array.tolist()]
    if array.dtype.kind in "biu":
        return [str(value) for value in array.tolist()]
    return ["" if value is None else str(value) for value in array.tolist()]


def _bmus(data, selection, model):
    """Each row's node: ``model.predict`` of the model's feature columns, or the view's rows by label."""
    names = list(model.feature_names())
    if is_series(data):
        data = data.to_frame()
    if not is_dataframe(data):
        array = np.asarray(data, dtype=np.float64)
        if array.shape[1] != len(names):
            raise ValueError(
                f"rows= as an array needs the model's {len(names)} features as columns, got {array.shape[1]}."
            )
        return model.predict(array), "placed on the map by model.predict"
    by_name = {str(column): column for column in data.columns}
    if all(name in by_name for name in names):
        features = data[[by_name[name] for name in names]]
        return model.predict(features), "placed on the map by model.predict of their features"
    index = selection.row_index
    known = getattr(index, "data", None)
    if is_dataframe(known) and getattr(index, "bmu", None) is not None and known.index.is_unique:
        positions = known.index.get_indexer(data.index)
        if (positions >= 0).all():
            return np.asarray(index.bmu)[positions], "matched to the view's rows by index label"
    missing = [name for name in names if name not in by_name]
    raise ValueError(
        f"rows= needs the model's feature columns to place the rows on the map (missing {missing[:5]}), "
        "or index labels of the rows the view was built with."
    )


def _registering(esm: str, key: str) -> str:
    """A view's bundle with its default export registered for the page instead of exported."""
    match = _EXPORT_DEFAULT.search(esm)
    if match is None:
        raise RuntimeError(
            f"The bundle of {key} does not end with `export {{ ... as default }}`: rebuild widget_js "
            "(npm run build)."
        )
    registry = "(globalThis.__somniumViews = globalThis.__somniumViews || new Map())"
    return f"{esm[: match.start()]}{registry}.set({_script_json(key)}, {match.group(1)});\n"


def _check_inlinable(text: str, what: str) -> None:
    found = _NOT_INLINABLE.search(text)
    if found is not None:
        raise RuntimeError(f"{what} contains {found.group(0)!r} and cannot be inlined in a page.")


def _script_json(value) -> str:
    """JSON that is inert inside a <script> element: no <, > or & (so no "</script") can occur."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _sha256_base64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
