"""Explorer: the map, its component planes and a profile of the selected rows, on one selection.

Below the views, a segment row turns a selection into a named segment in two gestures: type a
name, press "Add segment".  The segments show on the map and the planes (see
:meth:`MapView.show_segments`) and can be profiled against all rows.
"""

from __future__ import annotations

import warnings

import ipywidgets
import numpy as np

from ..segments import Segments, check_segments
from ._hosts import marimo_notice
from ._rows import rows_for
from .component_planes import ComponentPlanes
from .map_view import MapView, layer_columns
from .segment_profile import MAX_CATEGORIES, NodeSummaries, SegmentProfile
from .selection import Selection

__all__ = ["Explorer"]

#: The profile menu's entry for the selection (its value too: a segment may carry the same name)
SELECTION = "Selection"


class _SegmentEntry(str):
    """The menu value of a segment named like the selection's entry: equal to its name, never to the
    plain ``"Selection"`` that stands for the selection (so both entries can be chosen)."""

    def __eq__(self, other):
        if type(other) is str and other == SELECTION:
            return False
        return str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


def _menu_options(names) -> list:
    """The profile menu: the selection, then every segment (told apart from the selection by value)."""
    if SELECTION not in names:
        return [SELECTION, *names]
    return [(SELECTION, SELECTION)] + [
        (f"{name} (segment)", _SegmentEntry(name)) if name == SELECTION else (name, name) for name in names
    ]


class Explorer(ipywidgets.VBox):
    """MapView + ComponentPlanes + SegmentProfile on one shared :class:`Selection`.

    Select cells on the map or on any plane (click, Shift-click, brush, lasso): the same nodes
    light up everywhere, the profile shows how their rows differ from all rows, and
    :attr:`selected_rows` holds those rows.

    Parameters
    ----------
    model : SOM
        A fitted model.
    data : pandas.DataFrame or ndarray, or dask.dataframe.DataFrame or dask.array.Array
        The rows to explore; their best matching units are computed once (``model.predict``)
        unless ``bmu`` is given, and shared by every view.  Dask rows never reach the client: the
        map's hits and "(mean of rows)" layers, the profile's sums and the segment list's row counts
        all come from the same Dask reductions (one pass over the data, two when a DataFrame has
        non-numeric columns; the map's "quality" layer adds one when first shown), and
        :attr:`selected_rows` is a lazy Dask DataFrame.
    bmu : array-like of int, optional
        Best matching unit of every row of ``data`` (not with Dask data: ``DaskRowsError``).
    color : str or array-like, default "umatrix"
        The map's initial colour layer (see :class:`MapView`).
    features : list of str, optional
        Features shown as component planes (default: all).
    segments : Segments, optional
        Named segments to show and extend (default: a new, empty :class:`~somnium.segments.Segments`).

    Attributes
    ----------
    selection : Selection
        The shared selection (``explorer.selection.nodes``).
    map : MapView
    planes : ComponentPlanes
    profile : SegmentProfile
    segments : Segments
        The named segments; "Add segment" adds the selected nodes under the typed name.
    segment_name : ipywidgets.Text
    add_segment_button : ipywidgets.Button
    segment_list : ipywidgets.VBox
        One row per segment: name, rows, share of all rows (plain ``Label`` text).
    profile_target : ipywidgets.Dropdown
        What the profile compares with all rows: ``"Selection"`` or a segment name (a segment
        named "Selection" is listed as "Selection (segment)" and chosen by its entry).

    Examples
    --------
    >>> explorer = Explorer(model, df)  # doctest: +SKIP
    >>> explorer  # select in the browser, type a name, press "Add segment", then:  # doctest: +SKIP
    >>> df["segment"] = explorer.segments.labels(df)  # doctest: +SKIP

    With a Dask DataFrame the same calls stay lazy:

    >>> explorer = Explorer(model, ddf)  # doctest: +SKIP
    >>> explorer.selected_rows.to_parquet("selected/")  # doctest: +SKIP
    >>> ddf = ddf.assign(segment=explorer.segments.labels(ddf))  # doctest: +SKIP
    """

    _display_ = marimo_notice("Explorer")  # marimo draws anywidgets only: say so there

    def __init__(self, model, data, *, bmu=None, color="umatrix", features=None, segments=None):
        if segments is not None:
            check_segments(segments, model.lattice_)
        rows = rows_for(model, data, bmu, with_distances=True) if data is not None else None
        if rows is None:
            raise ValueError("Explorer needs the rows to explore: pass data=.")
        # One plan of per-node sums for the profile and the map's column layers (one pass on Dask rows,
        # after the value counts of non-numeric columns); the map then reads its means from these sums.
        plan = NodeSummaries.plan(rows, MAX_CATEGORIES)
        rows.node_sums(plan.with_numeric(layer_columns(model, rows.data)))
        summaries = NodeSummaries(plan, rows.node_sums(plan))
        self.selection = Selection(model.lattice_.n_nodes)
        self.selection._attach_rows(rows)
        self.map = MapView(model, color=color, selection=self.selection, rows=rows)
        self.planes = ComponentPlanes(model, features=features, selection=self.selection)
        self.profile = SegmentProfile(model, None, selection=self.selection, rows=rows, summaries=summaries)
        self.map.layout = ipywidgets.Layout(flex="1 1 45%", min_width="320px")
        self.planes.layout = ipywidgets.Layout(flex="1 1 55%", min_width="320px")
        # Side by side, the map sets the row's height and the planes scroll within it (no blank area
        # under the map however many planes): rules for these classes in component_planes.css.
        self.map.add_class("somnium-explorer__map")
        self.planes.add_class("somnium-explorer__planes")
        top = ipywidgets.HBox(
            [self.map, self.planes], layout=ipywidgets.Layout(width="100%", flex_flow="row wrap")
        )
        top.add_class("somnium-explorer__top")
        self._row_counts = np.asarray(rows.counts, dtype=np.int64)
        self.segments = segments if segments is not None else Segments(model)
        self.profile.segments = self.segments
        self.segment_name = ipywidgets.Text(
            placeholder="Segment name", layout=ipywidgets.Layout(width="16em")
        )
        self.add_segment_button = ipywidgets.Button(
            description="Add segment", tooltip="Add the selected nodes to the named segment"
        )
        self.add_segment_button.on_click(self._on_add_segment)
        self.segment_status = ipywidgets.Label()
        self.profile_target = ipywidgets.Dropdown(options=[SELECTION], value=SELECTION, description="Profile")
        self.profile_target.observe(self._on_profile_target, "value")
        self.segment_list = ipywidgets.VBox(layout=ipywidgets.Layout(width="100%"))
        controls = ipywidgets.HBox(
            [self.segment_name, self.add_segment_button, self.profile_target, self.segment_status],
            layout=ipywidgets.Layout(width="100%", flex_flow="row wrap", align_items="center"),
        )
        super().__init__(
            [top, controls, self.segment_list, self.profile], layout=ipywidgets.Layout(width="100%")
        )
        for name in ("somnium", "somnium-explorer"):  # somnium: the theme's tokens (lib/tokens.css)
            self.add_class(name)
        self.refresh_segments(show=len(self.segments) > 0)

    def to_html(self, path, rows=None, *, title=None):
        """Write the Explorer to one standalone HTML page that works offline: see :func:`somnium.widgets.to_html`."""
        from ._export import to_html

        return to_html(path, self, rows=rows, title=title)

    @property
    def selected(self) -> list[int]:
        """The selected nodes (``selection.nodes``)."""
        return self.selection.nodes

    @property
    def selected_rows(self):
        """The rows of ``data`` whose BMU is selected, in their original order (and index); only the
        anomalies among them while the map's ``anomalies_only`` is on (see :meth:`MapView.select_anomalies`).

        Lazy for Dask data: a Dask DataFrame filtered partition-wise; nothing runs until it is computed.
        """
        return self.map.selected_rows

    # ------------------------------------------------------------- segments
    def add_segment(self, name: str) -> None:
        """Add the selected nodes to segment ``name`` (what the "Add segment" button does).

        Raises
        ------
        ValueError
            If nothing is selected or the name is not valid (see :meth:`Segments.add`).
        """
        nodes = self.selection.nodes
        if not nodes:
            raise ValueError("Select nodes on the map first, then add them as a segment.")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.segments.add(name, nodes)
        self.refresh_segments(show=True)
        for warning in caught:  # nodes moved from another segment: say so, as Segments.add does
            warnings.warn(warning.message, warning.category, stacklevel=2)

    def _on_add_segment(self, _button=None) -> None:
        name = self.segment_name.value.strip()
        if not name:
            self.segment_status.value = "Type a name for the segment first."
            return
        n_nodes = len(self.selection.nodes)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.add_segment(name)
        except (ValueError, TypeError) as error:
            self.segment_status.value = str(error)
            return
        message = f"Added {n_nodes} node{'s' if n_nodes != 1 else ''} to {name}."
        self.segment_status.value = " ".join([message, *(str(w.message) for w in caught)])
        self.segment_name.value = ""

    def segment_table(self):
        """Name, nodes, rows and share of all rows of every segment (a pandas DataFrame).

        The row counts add up the per-node hits computed at construction: no pass over the data.
        """
        import pandas as pd

        total = int(self._row_counts.sum())
        records = []
        for name in self.segments.names:
            nodes = self.segments.nodes(name)
            n_rows = int(self._row_counts[nodes].sum())
            records.append(
                {
                    "segment": name,
                    "nodes": len(nodes),
                    "rows": n_rows,
                    "share": n_rows / total if total else 0.0,
                }
            )
        return pd.DataFrame(records, columns=["segment", "nodes", "rows", "share"])

    def refresh_segments(self, show: bool = True) -> None:
        """Redraw the segments everywhere (call after editing :attr:`segments` in code).

        ``show`` switches the map's colour layer to the segments.
        """
        self.map.show_segments(self.segments, show=show)
        self.planes.show_segments(self.segments)
        table = self.segment_table()
        header = ipywidgets.HBox([ipywidgets.Label(text) for text in ("Segment", "Rows", "Share")])
        rows = [
            ipywidgets.HBox(
                [
                    ipywidgets.Label(str(record.segment)),
                    ipywidgets.Label(f"{record.rows:,}"),
                    ipywidgets.Label(f"{record.share:.1%}"),
                ]
            )
            for record in table.itertuples(index=False)
        ]
        for row in [header, *rows]:
            for label, width in zip(row.children, ("16em", "6em", "6em"), strict=True):
                label.layout = ipywidgets.Layout(width=width)
        self.segment_list.children = [header, *rows] if rows else []
        current = self.profile_target.value
        options = _menu_options(self.segments.names)
        self.profile_target.options = options
        values = [option[1] if isinstance(option, tuple) else option for option in options]
        self.profile_target.value = next((value for value in values if value == current), SELECTION)
        self._on_profile_target()

    def _on_profile_target(self, change=None) -> None:
        target = self.profile_target.value
        if target is None or (type(target) is str and target == SELECTION):
            self.profile.show_segment(None)
        else:
            self.profile.show_segment(str(target), self.segments)
