"""Explorer: the map, its component planes and a profile of the selected rows, on one selection."""

from __future__ import annotations

import ipywidgets

from ._rows import RowIndex
from .component_planes import ComponentPlanes
from .map_view import MapView
from .segment_profile import SegmentProfile
from .selection import Selection

__all__ = ["Explorer"]


class Explorer(ipywidgets.VBox):
    """MapView + ComponentPlanes + SegmentProfile on one shared :class:`Selection`.

    Select cells on the map or on any plane (click, Shift-click, brush, lasso): the same nodes
    light up everywhere, the profile shows how their rows differ from all rows, and
    :attr:`selected_rows` holds those rows.

    Parameters
    ----------
    model : SOM
        A fitted model.
    data : pandas.DataFrame or ndarray
        The rows to explore; their best matching units are computed once (``model.predict``)
        unless ``bmu`` is given, and shared by every view.
    bmu : array-like of int, optional
        Best matching unit of every row of ``data``.
    color : str or array-like, default "umatrix"
        The map's initial colour layer (see :class:`MapView`).
    features : list of str, optional
        Features shown as component planes (default: all).

    Attributes
    ----------
    selection : Selection
        The shared selection (``explorer.selection.nodes``).
    map : MapView
    planes : ComponentPlanes
    profile : SegmentProfile

    Examples
    --------
    >>> explorer = Explorer(model, df)  # doctest: +SKIP
    >>> explorer  # select in the browser, then:  # doctest: +SKIP
    >>> explorer.selected_rows  # doctest: +SKIP
    """

    def __init__(self, model, data, *, bmu=None, color="umatrix", features=None):
        rows = RowIndex.for_model(model, data, bmu)
        if rows is None or rows.data is None:
            raise ValueError("Explorer needs the rows to explore: pass data=.")
        self.selection = Selection(model.lattice_.n_nodes)
        self.selection._attach_rows(rows)
        self.map = MapView(model, color=color, selection=self.selection, rows=rows)
        self.planes = ComponentPlanes(model, features=features, selection=self.selection)
        self.profile = SegmentProfile(model, None, selection=self.selection, rows=rows)
        self.map.layout = ipywidgets.Layout(flex="1 1 45%", min_width="320px")
        self.planes.layout = ipywidgets.Layout(flex="1 1 55%", min_width="320px")
        top = ipywidgets.HBox(
            [self.map, self.planes], layout=ipywidgets.Layout(width="100%", flex_flow="row wrap", gap="8px")
        )
        super().__init__([top, self.profile], layout=ipywidgets.Layout(width="100%"))
        self.add_class("somnium-explorer")

    @property
    def selected(self) -> list[int]:
        """The selected nodes (``selection.nodes``)."""
        return self.selection.nodes

    @property
    def selected_rows(self):
        """The rows of ``data`` whose BMU is selected, in their original order (and index)."""
        return self.selection.rows
