"""What every Somnium view shares: the map's geometry as binary traits and a
validated node selection.

Geometry comes from the fitted model's :class:`~somnium.lattice.Lattice`
(``cell_vertices()`` and ``coordinates``) and travels as little-endian
float32 bytes; the browser draws those polygons as they are and never
recomputes hexagon geometry.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import anywidget
import numpy as np
import traitlets

__all__ = ["STATIC_DIR", "NodeSelection", "SomniumWidget", "float32_bytes", "uint32_bytes"]

#: Where the committed JavaScript bundles live (built from widget_js/).
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def float32_bytes(values) -> bytes:
    """``values`` as contiguous little-endian float32 bytes (NaN stays NaN)."""
    return np.ascontiguousarray(values, dtype="<f4").tobytes()


def uint32_bytes(values) -> bytes:
    """``values`` as contiguous little-endian uint32 bytes."""
    return np.ascontiguousarray(values, dtype="<u4").tobytes()


class NodeSelection(traitlets.TraitType):
    """A list of node indices, stored sorted and without duplicates.

    Accepts any iterable of integers (a list, a set, a NumPy array); repeated
    indices are collapsed (selecting a node twice selects it).  Indices outside
    ``0 .. n_nodes - 1`` of the owning widget, booleans and non-integers are
    rejected with a :class:`traitlets.TraitError` that names the bad value.
    """

    default_value: list = []
    info_text = "a list of node indices"

    def validate(self, obj, value):
        if isinstance(value, (str, bytes)) or not np.iterable(value):
            self.error(obj, value)
        nodes = []
        for item in value:
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
                raise traitlets.TraitError(
                    f"selected must hold integer node indices, got {item!r} ({type(item).__name__})."
                )
            nodes.append(int(item))
        n_nodes = obj.n_nodes
        bad = [node for node in nodes if not 0 <= node < n_nodes]
        if bad:
            raise traitlets.TraitError(
                f"selected: node index {bad[0]} is out of range for a map with {n_nodes} nodes "
                f"(valid indices are 0 to {n_nodes - 1})."
            )
        return sorted(set(nodes))


class SomniumWidget(anywidget.AnyWidget):
    """Base of the map views: lattice geometry (binary) and the node selection.

    Subclasses set ``_esm``/``_css`` to their bundle in :data:`STATIC_DIR` and
    call ``super().__init__(model, **traits)``.

    Synced traits
    -------------
    lattice : dict
        ``rows``, ``cols``, ``name``, ``hexagonal``, ``wraps_x``, ``wraps_y``,
        ``n_nodes``, ``n_vertices`` and ``extent`` (``[xmin, xmax, ymin, ymax]``).
    cell_vertices : bytes
        float32, shape ``(n_nodes, n_vertices, 2)``: each cell's polygon in
        lattice units (y grows with the row; row 0 is drawn at the top).
    cell_centers : bytes
        float32, shape ``(n_nodes, 2)``: node coordinates.
    selected : list of int
        Selected node indices, sorted and unique (see :class:`NodeSelection`).
    """

    lattice = traitlets.Dict().tag(sync=True)
    cell_vertices = traitlets.Bytes().tag(sync=True)
    cell_centers = traitlets.Bytes().tag(sync=True)
    selected = NodeSelection().tag(sync=True)

    def __init__(self, model, **traits):
        lattice = model.lattice_  # raises ModelNotTrainedError on an unfitted model
        self._model = model
        self.n_nodes = lattice.n_nodes  # read by the selection validator
        vertices = lattice.cell_vertices()
        geometry = {
            "lattice": {
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
            "cell_vertices": float32_bytes(vertices),
            "cell_centers": float32_bytes(lattice.coordinates),
        }
        super().__init__(**geometry, **traits)

    @property
    def model(self):
        """The fitted SOM this view shows."""
        return self._model
