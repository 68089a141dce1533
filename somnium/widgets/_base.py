"""What every map-shaped Somnium view shares: the map's geometry and the shared selection.

Geometry comes from the fitted model's :class:`~somnium.lattice.Lattice` (``cell_vertices()`` and
``coordinates``) and travels as binary float32 arrays (:mod:`somnium.widgets._traits`); the browser
draws those polygons as they are (``widget_js/lib/hex_map.js``) and never recomputes hexagon
geometry.  The selection is a :class:`~somnium.widgets.Selection` model referenced by id and linked
in the browser; ``selected`` is its Python-side shortcut.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import ipywidgets
import traitlets

from ._rows import Rows
from ._segments import segment_layer
from ._traits import BrowserWrites, FloatArray, NodeSelection, UIntArray
from .selection import Selection, check_selection, link_shortcut

__all__ = ["STATIC_DIR", "SomniumWidget"]

#: Where the committed JavaScript bundles live (built from widget_js/).
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


class SomniumWidget(BrowserWrites, anywidget.AnyWidget):
    """Base of the map views: lattice geometry (binary) and the shared selection.

    Subclasses set ``_esm``/``_css`` to their bundle in :data:`STATIC_DIR` and call
    ``super().__init__(model, selection=..., rows=..., **traits)``; ``rows`` is any implementation of
    the rows protocol (:func:`somnium.widgets._rows.rows_for`), handed to the selection.  They name
    the traits their front end writes in ``_browser_traits`` (:class:`~somnium.widgets._traits.BrowserWrites`):
    every other synced trait is wire-only, refused when a front end writes it.

    Synced (wire-only) traits
    -------------------------
    _lattice : dict
        ``rows``, ``cols``, ``name``, ``hexagonal``, ``wraps_x``, ``wraps_y``, ``n_nodes``,
        ``n_vertices`` and ``extent`` (``[xmin, xmax, ymin, ymax]``).
    _cell_vertices : float32 array (n_nodes, n_vertices, 2)
        Each cell's polygon in lattice units (y grows with the row; row 0 is drawn at the top).
    _cell_centers : float32 array (n_nodes, 2)
        Node coordinates.
    selection : Selection
        The shared selection (sent as a model reference).
    _segment_codes : uint32 array (n_nodes,), empty without segments
        Per node: 0 when in no segment, ``i + 1`` for segment ``i`` (``segments.node_labels() + 1``).
    _segment_names : list of str
        Segment names in order (shown as text only).
    _segment_colors : list of str
        ``"#rrggbb"`` of each segment (:data:`somnium.widgets._segments.SEGMENT_PALETTE`).
    _segment_edges : float32 array (n_edges, 4)
        ``x1, y1, x2, y2`` of every edge between two cells of different segments.
    """

    _browser_traits = ("brush_mode",)
    _lattice = traitlets.Dict().tag(sync=True)
    _cell_vertices = FloatArray().tag(sync=True)
    _cell_centers = FloatArray().tag(sync=True)
    selection = traitlets.Instance(Selection).tag(sync=True, **ipywidgets.widget_serialization)
    selected = NodeSelection()  # Python-only shortcut of selection.nodes
    _segment_codes = UIntArray().tag(sync=True)
    _segment_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _segment_colors = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _segment_edges = FloatArray().tag(sync=True)

    def __init__(self, model, *, selection=None, rows: Rows | None = None, **traits):
        lattice = model.lattice_  # raises ModelNotTrainedError on an unfitted model
        self._model = model
        self.n_nodes = lattice.n_nodes  # read by the selection validator
        self._row_index = rows
        selection = check_selection(selection, lattice)
        selection._attach_rows(rows)
        vertices = lattice.cell_vertices()
        super().__init__(
            _lattice={
                "rows": lattice.rows,
                "cols": lattice.cols,
                "name": lattice.name,
                "hexagonal": lattice.is_hexagonal,
                "wraps_x": lattice.wraps_x,
                "wraps_y": lattice.wraps_y,
                "n_nodes": lattice.n_nodes,
                "n_vertices": int(vertices.shape[1]),
                "extent": list(lattice.extent()),
            },
            _cell_vertices=vertices,
            _cell_centers=lattice.coordinates,
            selection=selection,
            **traits,
        )
        link_shortcut(self, selection)
        self._segments = None

    # ------------------------------------------------------------- segments
    @property
    def segments(self):
        """The :class:`~somnium.segments.Segments` shown (``None`` when none)."""
        return self._segments

    def show_segments(self, segments) -> None:
        """Show ``segments`` (a :class:`~somnium.segments.Segments` of this map): boundaries + legend.

        Every node of a segment gets the segment's colour (a neutral grey when in none), lines
        are drawn on the edges between cells of different segments, and a legend lists the
        names.  Call again after changing the segments to redraw; ``None`` hides the layer.
        """
        payload = segment_layer(self._model, segments)
        self._segments = segments
        with self.hold_sync():
            for name, value in payload.items():
                setattr(self, name, value)

    def _message_lock(self):
        # the selection's: a gesture may write it and ask this view something in two messages
        selection = self.selection
        return selection._message_lock() if selection is not None else None

    @traitlets.validate("selection")
    def _fixed_selection(self, proposal):
        if self.selection is not None and proposal["value"] is not self.selection:
            raise traitlets.TraitError(
                "A view's selection is fixed when it is created: pass selection= to the constructor "
                "(or assign view.selected / view.selection.nodes to change what is selected)."
            )
        return proposal["value"]

    @property
    def model(self):
        """The fitted SOM this view shows."""
        return self._model

    def to_html(self, path, rows=None, *, title=None):
        """Write this view to one standalone HTML page that works offline: see :func:`somnium.widgets.to_html`."""
        from ._export import to_html

        return to_html(path, self, rows=rows, title=title)
