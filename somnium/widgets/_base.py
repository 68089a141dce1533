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
import numpy as np
import traitlets

from ._rows import RowIndex
from ._traits import FloatArray, NodeSelection
from .selection import Selection, check_selection, link_shortcut

__all__ = ["STATIC_DIR", "SomniumWidget", "float32_bytes", "uint32_bytes"]

#: Where the committed JavaScript bundles live (built from widget_js/).
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def float32_bytes(values) -> bytes:
    """``values`` as contiguous little-endian float32 bytes (NaN stays NaN)."""
    return np.ascontiguousarray(values, dtype="<f4").tobytes()


def uint32_bytes(values) -> bytes:
    """``values`` as contiguous little-endian uint32 bytes."""
    return np.ascontiguousarray(values, dtype="<u4").tobytes()


class SomniumWidget(anywidget.AnyWidget):
    """Base of the map views: lattice geometry (binary) and the shared selection.

    Subclasses set ``_esm``/``_css`` to their bundle in :data:`STATIC_DIR` and call
    ``super().__init__(model, selection=..., rows=..., **traits)``.

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
    """

    _lattice = traitlets.Dict().tag(sync=True)
    _cell_vertices = FloatArray().tag(sync=True)
    _cell_centers = FloatArray().tag(sync=True)
    selection = traitlets.Instance(Selection).tag(sync=True, **ipywidgets.widget_serialization)
    selected = NodeSelection()  # Python-only shortcut of selection.nodes

    def __init__(self, model, *, selection=None, rows: RowIndex | None = None, **traits):
        lattice = model.lattice_  # raises ModelNotTrainedError on an unfitted model
        self._model = model
        self.n_nodes = lattice.n_nodes  # read by the selection validator
        self._row_index = rows
        selection = check_selection(selection, lattice.n_nodes)
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
