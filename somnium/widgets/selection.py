"""The selection every linked view shares: one small widget model, linked in the browser.

A :class:`Selection` is a plain ipywidgets model (``@jupyter-widgets/base``'s ``WidgetModel``, no
view of its own) holding ``nodes``.  Each view references it through a synced
``traitlets.Instance(Selection)`` with ``widget_serialization``; in the browser the view resolves
the reference with ``model.widget_manager.get_model(id)``, draws on ``change:nodes`` and writes a
user's edit with ``selection.set("nodes", ...)`` + ``save_changes()``
(``widget_js/lib/linked_selection.js``).  All views of a page therefore share one JS model object:
an edit in one redraws the others at once, even while the kernel is busy, and Python receives the
final ``nodes`` when it is free.

Why there is no echo: views never copy the selection into a trait of their own on the wire (the
Python ``view.selected`` shortcut is linked to ``nodes`` in Python only), a view writes only when
the user's gesture changes the set, and the front end ignores the kernel's ``echo_update`` of an
older message while a newer one is in flight (``@jupyter-widgets/base``), so two quick edits never
bounce back as a stale selection.
"""

from __future__ import annotations

import threading

import ipywidgets
import traitlets

from ..exceptions import warn
from ..segments import describe_lattice
from ._rows import RowIndex, Rows
from ._traits import BrowserWrites, NodeSelection

__all__ = ["Selection"]


class Selection(BrowserWrites, ipywidgets.Widget):
    """Selected nodes of a map, shared by every view given it (``selection=``).

    Parameters
    ----------
    n_nodes : int
        Nodes of the map (indices ``0 .. n_nodes - 1`` are valid).
    data : pandas.DataFrame or ndarray, optional
        Rows behind the nodes, for :attr:`rows`; needs ``bmu``.  A view given this selection
        attaches its own rows when the selection has none.
    bmu : array-like of int, optional
        Best matching unit of every row of ``data`` (e.g. ``model.predict(data)``).
    nodes : iterable of int, optional
        Initially selected nodes.

    Attributes
    ----------
    nodes : list of int
        Selected node indices, sorted and unique; assign any iterable of indices (duplicates are
        collapsed; out-of-range indices, booleans and non-integers raise ``traitlets.TraitError``).
        Observe with ``selection.observe(fn, "nodes")``.  The only trait a front end may write.
    lattice : Lattice or None
        The map the selection serves: set by the first view given it, after which views of maps of
        another lattice (rows, columns, name, shifted rows) refuse it, even with as many nodes.

    Examples
    --------
    >>> selection = Selection(model.lattice_.n_nodes)  # doctest: +SKIP
    >>> MapView(model, df, selection=selection); ComponentPlanes(model, selection=selection)  # doctest: +SKIP
    >>> selection.nodes = [3, 4]  # both views show it  # doctest: +SKIP
    """

    nodes = NodeSelection().tag(sync=True)
    _browser_traits = ("nodes",)

    def __init__(self, n_nodes: int, data=None, bmu=None, *, nodes=()):
        if isinstance(n_nodes, bool) or not isinstance(n_nodes, int) or n_nodes < 1:
            raise ValueError(f"n_nodes must be a positive integer, got {n_nodes!r}.")
        self.n_nodes = n_nodes  # read by the nodes validator
        if data is not None and bmu is None:
            raise ValueError(
                "Selection(data=...) needs bmu= (e.g. bmu=model.predict(data)) to map rows to nodes."
            )
        self._rows = RowIndex(bmu, n_nodes, data) if bmu is not None else None
        self._lattice = None
        self._messages = threading.RLock()  # the front-end messages of this selection and its views
        super().__init__(nodes=list(nodes))

    def _message_lock(self):
        return self._messages

    @property
    def lattice(self):
        """The lattice of the map this selection serves (None until a view is given it)."""
        return self._lattice

    def _bind(self, lattice) -> None:
        """Serve the map of ``lattice`` (the first view binds it; later views must match it)."""
        if self._lattice is None:
            self._lattice = lattice
        elif lattice != self._lattice:
            raise ValueError(
                f"This selection serves a {describe_lattice(self._lattice)} map, but this view shows a "
                f"{describe_lattice(lattice)} map: its node numbers would mean other places. Give each "
                "map its own Selection."
            )

    @property
    def row_index(self) -> Rows | None:
        """The rows behind the nodes (None until data is given or a view attaches its rows)."""
        return self._rows

    def _attach_rows(self, rows: Rows | None) -> None:
        """Adopt a view's rows when the selection has none of its own (the first view wins).

        A view of other rows (another data object) is warned: :attr:`rows` keeps reading the first's.
        """
        if rows is None or rows is self._rows:
            return
        if self._rows is None:
            self._rows = rows
        elif rows.data is not None and rows.data is not self._rows.data:
            warn(
                "This selection already holds the rows of another view's data: selection.rows (and the "
                "Explorer's selected_rows) read those, not this view's, whose own selected_rows still "
                "reads its data. Give views of different data their own Selection.",
                UserWarning,
            )

    @property
    def positions(self):
        """Positions (ascending) of the rows whose BMU is selected."""
        return self._require_rows().positions(self.nodes)

    @property
    def rows(self):
        """The rows whose BMU is selected, in their original order (a DataFrame keeps its index)."""
        return self._require_rows().rows(self.nodes)

    def _require_rows(self) -> Rows:
        if self._rows is None:
            raise ValueError(
                "This selection has no rows: create it with Selection(n_nodes, data=..., bmu=...) "
                "or give it to a view built with data=."
            )
        return self._rows

    def clear(self) -> None:
        """Select nothing."""
        self.nodes = []

    def __repr__(self) -> str:
        return f"Selection({len(self.nodes)} of {self.n_nodes} nodes: {self.nodes[:10]}{' ...' if len(self.nodes) > 10 else ''})"


def link_shortcut(view: traitlets.HasTraits, selection: Selection) -> None:
    """Keep ``view.selected`` and ``selection.nodes`` equal, in Python only.

    traitlets notifies only on a real change, so the pair settles after one assignment each way.
    """
    traitlets.link((selection, "nodes"), (view, "selected"))


def check_selection(selection, lattice) -> Selection:
    """A view's ``selection=`` argument: a :class:`Selection` of the view's map (of ``lattice``), or a new one.

    The selection is bound to ``lattice`` (the first view's); a map of another lattice is refused even
    with as many nodes.
    """
    n_nodes = lattice.n_nodes
    if selection is None:
        selection = Selection(n_nodes)
    elif not isinstance(selection, Selection):
        raise TypeError(f"selection must be a somnium.widgets.Selection, got {type(selection).__name__}.")
    elif selection.n_nodes != n_nodes:
        raise ValueError(
            f"This selection belongs to a map of {selection.n_nodes} nodes, but the model has {n_nodes}."
        )
    selection._bind(lattice)
    return selection
