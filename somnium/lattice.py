"""Grid geometry of a Self-Organising Map.

One :class:`Lattice` answers every geometric question about a map -- node
coordinates, distances, adjacency, wrap-around and the cell polygons -- for
the engine, the metrics, the plots and the widgets alike.

Conventions
-----------
* Nodes are numbered row-major: node ``i`` sits in row ``i // cols`` and
  column ``i % cols``.  This is the index :meth:`SOM.predict` returns.
* Coordinates are in lattice units: neighbouring nodes are exactly 1 apart.
  ``x`` grows with the column, ``y`` with the row (row 0 has ``y = 0``);
  plots draw row 0 at the top.
* Hexagonal maps shift the **even** rows (0, 2, 4, ...) right by half a
  cell, as the original Somnium does ("even-r" offset rows), and rows are
  ``sqrt(3)/2`` apart, so every inner node has six neighbours at distance 1
  (pointy-top hexagons of circumradius ``1/sqrt(3)``).  Rectangular maps
  have four neighbours (no diagonals).  Model files of format 2 and older
  were written when Somnium shifted the odd rows; they load with
  ``shifted_rows="odd"`` and keep that geometry (see
  :mod:`somnium.persistence`).
* ``toroidal`` maps wrap both axes, ``cylindrical`` maps wrap the columns
  (the x axis).  Distances use the minimum image.  Two nodes are neighbours
  when they are at most 1 apart.
* A hexagonal torus with an odd number of rows cannot close regularly: its
  first and last rows have the same shift.  With the even-row convention it
  behaves as the original's: the plain minimum image, so across the row seam
  each node faces one node of the same column, ``sqrt(3)/2`` away, and the
  nodes of the first and last rows have five neighbours.  With the legacy
  odd-row convention it is closed with a half-cell twist at the seam (six
  neighbours everywhere, but a kernel that does not factor by axis).  Both
  warn; an even number of rows gives a regular torus.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np

from ._validation import check_int, check_option
from .exceptions import LatticeTypeNotFound, warn

__all__ = ["HEX_ROW_HEIGHT", "LATTICES", "SHIFTED_ROWS", "Lattice", "minimum_image_distance"]

HEX_ROW_HEIGHT = np.sqrt(3.0) / 2.0

#: Which rows of a hexagonal map are shifted right by half a cell: "even" (the original Somnium's and
#: the default) or "odd" (Somnium's model files of format 2 and older).
SHIFTED_ROWS = ("even", "odd")

#: lattice name -> (cell shape, wrap mode)
LATTICES = {
    "hexa": ("hexa", "flat"),
    "rect": ("rect", "flat"),
    "toroidal_hexa": ("hexa", "toroidal"),
    "toroidal_rect": ("rect", "toroidal"),
    "cylindrical_hexa": ("hexa", "cylindrical"),
    "cylindrical_rect": ("rect", "cylindrical"),
}

_ADJACENCY_TOLERANCE = 1e-9


def _nearest_image(delta, period):
    """Reduce displacements to the nearest periodic image in ``[-period/2, period/2]``."""
    return delta - period * np.round(delta / period)


def minimum_image_distance(dx, dy, period_x, period_y, seam_shift):
    """Scalar minimum-image distance (a period of 0 means the axis does not wrap).

    Written with scalar maths only so that the compiled online trainer can use
    it; :meth:`Lattice.displacement` is the vectorised twin and the tests check
    that they agree.
    """
    if period_x > 0:
        dx = dx - period_x * np.round(dx / period_x)
    if period_y <= 0:
        return np.sqrt(dx * dx + dy * dy)
    best = np.inf
    for k in (-1.0, 0.0, 1.0):
        cand_dy = dy + k * period_y
        cand_dx = dx + k * seam_shift
        if period_x > 0:
            cand_dx = cand_dx - period_x * np.round(cand_dx / period_x)
        d2 = cand_dx * cand_dx + cand_dy * cand_dy
        if d2 < best:
            best = d2
    return np.sqrt(best)


@lru_cache(maxsize=4)
def _shared_lattice(rows: int, cols: int, name: str, shifted_rows: str) -> Lattice:
    """An unpickled lattice: one instance per geometry in this process, so its derived tables are built
    once rather than once per message. Built without ``__init__``: the geometry was checked, and any
    warning given, where the lattice was made."""
    lattice = Lattice.__new__(Lattice)
    lattice.rows, lattice.cols, lattice.name, lattice.shifted_rows = rows, cols, name, shifted_rows
    return lattice


class Lattice:
    """Geometry of a ``rows`` x ``cols`` map.

    Parameters
    ----------
    rows, cols : int
        Map size; both must be positive.
    name : str, default "hexa"
        One of ``"hexa"``, ``"rect"``, ``"toroidal_hexa"``, ``"toroidal_rect"``,
        ``"cylindrical_hexa"``, ``"cylindrical_rect"``.
    shifted_rows : {"even", "odd"}, default "even"
        Which rows of a hexagonal map are shifted right by half a cell: the
        even ones as in the original Somnium, or the odd ones as in Somnium's
        model files of format 2 and older.  Ignored by rectangular maps.

    Raises
    ------
    LatticeTypeNotFound
        If ``name`` is not a known lattice.
    ValueError
        If ``rows`` or ``cols`` is not a positive integer, or ``shifted_rows`` is unknown.

    Examples
    --------
    >>> lat = Lattice(3, 4, "hexa")
    >>> lat.n_nodes
    12
    >>> sorted(lat.neighbors_of(5))
    [0, 1, 4, 6, 8, 9]
    >>> sorted(Lattice(3, 4, "hexa", shifted_rows="odd").neighbors_of(5))
    [1, 2, 4, 6, 9, 10]
    """

    def __init__(self, rows: int, cols: int, name: str = "hexa", *, shifted_rows: str = "even"):
        check_option(name, tuple(LATTICES), "lattice", LatticeTypeNotFound)
        self.rows = check_int(rows, "Map rows")
        self.cols = check_int(cols, "Map cols")
        self.name = name
        check_option(shifted_rows, SHIFTED_ROWS, "shifted_rows")
        # Rectangular maps have no shifted rows; one value keeps their identity single.
        self.shifted_rows = shifted_rows if self.is_hexagonal else "even"
        if self.twisted:
            warn(
                f"A toroidal hexagonal map with an odd number of rows ({self.rows}) and odd rows "
                "shifted is closed with a half-cell twist at the row seam; its neighbourhood kernel "
                "is not separable, so training uses the exact but slower dense path. Use an even "
                "number of rows for the fast path.",
                RuntimeWarning,
            )
        elif self.odd_row_torus:
            warn(
                f"A toroidal hexagonal map with an odd number of rows ({self.rows}) cannot close "
                "regularly: as in the original Somnium, its first and last rows are both shifted and "
                "face each other column to column across the seam, sqrt(3)/2 apart, so their nodes "
                "have 5 neighbours instead of 6. Use an even number of rows for a regular torus.",
                RuntimeWarning,
            )

    # ------------------------------------------------------------------ basics
    @property
    def identity(self) -> tuple:
        """``(rows, cols, name, shifted_rows)``: what makes two lattices the same geometry."""
        return (self.rows, self.cols, self.name, self.shifted_rows)

    def __repr__(self) -> str:
        shifted = f", shifted_rows={self.shifted_rows!r}" if self.is_hexagonal else ""
        return f"Lattice(rows={self.rows}, cols={self.cols}, name={self.name!r}{shifted})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Lattice) and self.identity == other.identity

    def __reduce__(self):
        # Pickled as its geometry: a Dask pass sends the lattice with every task of every epoch, and a
        # worker then shares one instance (and its neighbour table, 7 ms to build for 50x50) per process.
        return (_shared_lattice, self.identity)

    def __hash__(self) -> int:
        return hash(self.identity)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    @property
    def n_nodes(self) -> int:
        return self.rows * self.cols

    @property
    def shape_kind(self) -> str:
        """``"hexa"`` or ``"rect"``."""
        return LATTICES[self.name][0]

    @property
    def wrap(self) -> str:
        """``"flat"``, ``"cylindrical"`` or ``"toroidal"``."""
        return LATTICES[self.name][1]

    @property
    def is_hexagonal(self) -> bool:
        return self.shape_kind == "hexa"

    @property
    def wraps_x(self) -> bool:
        """Whether the columns wrap around (toroidal and cylindrical maps)."""
        return self.wrap in ("toroidal", "cylindrical")

    @property
    def wraps_y(self) -> bool:
        """Whether the rows wrap around (toroidal maps)."""
        return self.wrap == "toroidal"

    @property
    def odd_row_torus(self) -> bool:
        """A hexagonal torus with an odd number of rows: its row parity breaks at the seam."""
        return self.is_hexagonal and self.wraps_y and self.rows % 2 == 1

    @property
    def twisted(self) -> bool:
        """An odd-row hexagonal torus with odd rows shifted, closed with a half-cell twist (legacy files)."""
        return self.odd_row_torus and self.shifted_rows == "odd"

    @property
    def row_height(self) -> float:
        """Vertical distance between consecutive rows."""
        return HEX_ROW_HEIGHT if self.is_hexagonal else 1.0

    @property
    def period_x(self) -> float | None:
        """Length of the x period, or ``None`` when the columns do not wrap."""
        return float(self.cols) if self.wraps_x else None

    @property
    def period_y(self) -> float | None:
        """Length of the y period, or ``None`` when the rows do not wrap."""
        return self.rows * self.row_height if self.wraps_y else None

    @cached_property
    def row_index(self) -> np.ndarray:
        return np.repeat(np.arange(self.rows), self.cols)

    @cached_property
    def col_index(self) -> np.ndarray:
        return np.tile(np.arange(self.cols), self.rows)

    def row_offsets(self) -> np.ndarray:
        """Horizontal shift of each row: 0.5 on the shifted rows of a hexagonal map, else 0."""
        if self.is_hexagonal:
            parity = 0 if self.shifted_rows == "even" else 1
            return np.where(np.arange(self.rows) % 2 == parity, 0.5, 0.0)
        return np.zeros(self.rows)

    @cached_property
    def coordinates(self) -> np.ndarray:
        """``(n_nodes, 2)`` array of cell centres ``(x, y)`` in lattice units."""
        x = self.col_index + self.row_offsets()[self.row_index]
        y = self.row_index * self.row_height
        coords = np.column_stack([x, y]).astype(np.float64)
        coords.setflags(write=False)
        return coords

    # --------------------------------------------------------------- distances
    def displacement(self, i, j) -> tuple[np.ndarray, np.ndarray]:
        """Minimum-image displacement ``(dx, dy)`` from node(s) ``j`` to node(s) ``i``.

        ``i`` and ``j`` broadcast against each other.
        """
        ci, cj = self.coordinates[np.asarray(i)], self.coordinates[np.asarray(j)]
        return self._minimum_image(ci[..., 0] - cj[..., 0], ci[..., 1] - cj[..., 1])

    def _minimum_image(self, dx, dy):
        dx = np.asarray(dx, dtype=np.float64)
        dy = np.asarray(dy, dtype=np.float64)
        if not self.wraps_y:
            if self.wraps_x:
                dx = _nearest_image(dx, self.period_x)
            return dx, dy
        # A row wrap translates by (shift, period_y); the shift is 0.5 on a twisted torus.
        shift = 0.5 if self.twisted else 0.0
        best_dx = best_dy = best_d2 = None
        for k in (-1, 0, 1):
            cand_dy = dy + k * self.period_y
            cand_dx = _nearest_image(dx + k * shift, self.period_x)
            d2 = cand_dx**2 + cand_dy**2
            if best_d2 is None:
                best_dx, best_dy, best_d2 = cand_dx, cand_dy, d2
            else:
                better = d2 < best_d2 - 1e-12
                best_dx = np.where(better, cand_dx, best_dx)
                best_dy = np.where(better, cand_dy, best_dy)
                best_d2 = np.where(better, d2, best_d2)
        return best_dx, best_dy

    def distances_from(self, node: int) -> np.ndarray:
        """Lattice distance from ``node`` to every node, shape ``(n_nodes,)``."""
        dx, dy = self.displacement(np.arange(self.n_nodes), int(node))
        return np.hypot(dx, dy)

    def distance_matrix(self, nodes=None) -> np.ndarray:
        """Lattice distances between ``nodes`` (default all) and every node.

        Returns an array of shape ``(len(nodes), n_nodes)``.  This is dense:
        use it only for small maps or small blocks of nodes.
        """
        nodes = np.arange(self.n_nodes) if nodes is None else np.asarray(nodes)
        dx, dy = self.displacement(nodes[:, None], np.arange(self.n_nodes)[None, :])
        return np.hypot(dx, dy)

    def axis_distances(self, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Per-axis minimum-image distances for separable kernels.

        Parameters
        ----------
        shift : float
            Horizontal offset of the target row minus that of the source row
            (0 or +-0.5 on hexagonal maps).

        Returns
        -------
        dx : ndarray, shape (cols, cols)
            ``dx[c1, c2]``: horizontal distance from column ``c2`` to column ``c1``
            plus ``shift``, wrapped when the columns wrap.
        dy : ndarray, shape (rows, rows)
            Vertical distance between rows, wrapped when the rows wrap.

        Raises
        ------
        ValueError
            On a twisted torus, whose distance does not factor by axis.
        """
        if self.twisted:
            raise ValueError("A twisted hexagonal torus has no per-axis distance factorisation.")
        cols = np.arange(self.cols, dtype=np.float64)
        dx = cols[:, None] - cols[None, :] + shift
        if self.wraps_x:
            dx = _nearest_image(dx, self.period_x)
        rows = np.arange(self.rows, dtype=np.float64) * self.row_height
        dy = rows[:, None] - rows[None, :]
        if self.wraps_y:
            dy = _nearest_image(dy, self.period_y)
        return np.abs(dx), np.abs(dy)

    # --------------------------------------------------------------- adjacency
    @cached_property
    def neighbors(self) -> np.ndarray:
        """``(n_nodes, max_degree)`` neighbour table, padded with ``-1``.

        Two distinct nodes are neighbours when their (minimum-image) lattice
        distance is at most 1 (as in the original Somnium): six inside a
        hexagonal map, four inside a rectangular one, fewer at the borders of
        non-wrapping axes and on the seam rows of an odd-row hexagonal torus
        (where the facing node is ``sqrt(3)/2`` away).
        """
        nodes = np.arange(self.n_nodes)
        r, c = self.row_index, self.col_index
        found = [[] for _ in range(self.n_nodes)]
        for dr in (-1, 0, 1):
            for dc in (-2, -1, 0, 1, 2):
                rr, cc = r + dr, c + dc
                valid = np.ones(self.n_nodes, dtype=bool)
                if self.wraps_y:
                    rr = rr % self.rows
                else:
                    valid &= (rr >= 0) & (rr < self.rows)
                if self.wraps_x:
                    cc = cc % self.cols
                else:
                    valid &= (cc >= 0) & (cc < self.cols)
                cand = np.where(valid, rr * self.cols + cc, 0)
                dx, dy = self.displacement(nodes, cand)
                is_nb = valid & (np.hypot(dx, dy) <= 1.0 + _ADJACENCY_TOLERANCE)
                is_nb &= cand != nodes
                for a in np.flatnonzero(is_nb):
                    found[a].append(int(cand[a]))
        # A seam can be reached twice on tiny wrapping maps; keep each neighbour once.
        found = [sorted(set(f)) for f in found]
        width = max((len(f) for f in found), default=0)
        table = np.full((self.n_nodes, max(width, 1)), -1, dtype=np.int64)
        for a, f in enumerate(found):
            table[a, : len(f)] = f
        table.setflags(write=False)
        return table

    def neighbors_of(self, node: int) -> np.ndarray:
        """Neighbours of one node, as a sorted array of node indices."""
        row = self.neighbors[int(node)]
        return row[row >= 0]

    @cached_property
    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Every pair of neighbours once, as two index arrays ``(a, b)`` with ``a < b``."""
        return neighbor_pairs(self.neighbors)

    @cached_property
    def degree(self) -> np.ndarray:
        """Number of neighbours of each node."""
        return (self.neighbors >= 0).sum(axis=1)

    def are_adjacent(self, a, b) -> np.ndarray:
        """Element-wise: are nodes ``a`` and ``b`` lattice neighbours?"""
        a = np.asarray(a)
        b = np.asarray(b)
        return (self.neighbors[a] == b[..., None]).any(axis=-1)

    def count_adjacent(self, a, b) -> int:
        """How many of the pairs ``(a[i], b[i])`` are lattice neighbours (1-D index arrays).

        Each neighbour appears once in a row of :attr:`neighbors` and ``b`` holds no ``-1``, so the count
        of matches is the count of adjacent pairs: one gather and one count, ~3x faster than
        ``are_adjacent(a, b).sum()`` on a pass's tile.
        """
        table = self.neighbors
        return int(np.count_nonzero(np.take(table, a, axis=0) == np.asarray(b)[:, None]))

    def adjacency_matrix(self):
        """Sparse symmetric ``(n_nodes, n_nodes)`` adjacency matrix (``scipy.sparse.csr_array``)."""
        from scipy import sparse

        a, b = self.edges
        rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
        data = np.ones(rows.size, dtype=np.int8)
        return sparse.csr_array((data, (rows, cols)), shape=(self.n_nodes,) * 2)

    # ----------------------------------------------------------------- drawing
    def cell_vertices(self) -> np.ndarray:
        """Polygon of every cell, shape ``(n_nodes, k, 2)`` (k = 6 hexagon, 4 square).

        Hexagons are pointy-top with circumradius ``1/sqrt(3)``, so adjacent
        cells share an edge exactly; squares have side 1.
        """
        if self.is_hexagonal:
            radius = 1.0 / np.sqrt(3.0)
            angles = np.deg2rad(30.0 + 60.0 * np.arange(6))
            corners = radius * np.column_stack([np.cos(angles), np.sin(angles)])
        else:
            corners = 0.5 * np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
        return self.coordinates[:, None, :] + corners[None, :, :]

    def extent(self) -> tuple[float, float, float, float]:
        """Bounding box ``(xmin, xmax, ymin, ymax)`` of all cell polygons."""
        v = self.cell_vertices().reshape(-1, 2)
        return float(v[:, 0].min()), float(v[:, 0].max()), float(v[:, 1].min()), float(v[:, 1].max())

    def to_dict(self) -> dict:
        """JSON-friendly identity (model files, segments): rows, cols, name, and ``shifted_rows`` if hexagonal."""
        described = {"rows": self.rows, "cols": self.cols, "name": self.name}
        if self.is_hexagonal:
            described["shifted_rows"] = self.shifted_rows
        return described


def neighbor_pairs(neighbors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The undirected edges ``(a, b)``, ``a < b``, of a ``-1``-padded neighbour table."""
    source = np.repeat(np.arange(neighbors.shape[0]), neighbors.shape[1])
    target = np.asarray(neighbors).ravel()
    keep = target > source  # each edge once; drops the -1 padding
    return source[keep], target[keep]
