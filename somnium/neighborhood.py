"""Neighbourhood kernels and the operators that apply them on a lattice.

A batch epoch needs ``H @ V`` where ``H[i, j] = h(d(i, j), radius)`` is the
neighbourhood kernel between nodes and ``V`` stacks the per-node statistics.
A dense ``H`` costs ``8 * M**2`` bytes, so it is built only for small maps.
Three exact ways of applying ``H`` are used instead:

* **separable** -- the Gaussian is ``g(dx) g(dy)`` and the Mexican hat a sum
  of three such products.  On a rectangular grid ``H @ V`` becomes a column
  product then a row product.  Hexagonal offset rows are separable too: the
  horizontal distance depends on the column pair plus a half-cell shift set
  by the two rows' offsets (:meth:`Lattice.row_offsets`, whichever rows are
  shifted), so three column kernels (shift 0, +1/2, -1/2) and one row kernel
  give the exact product.  Wrapping axes use the per-axis minimum image.
* **stencil** -- kernels that vanish outside the radius (bubble, cut
  Gaussian, Epanechikov) on large maps: the kernel is translation invariant
  (per row parity), so ``H @ V`` is a sum of shifted copies of ``V`` over
  the offsets inside the radius.  Exactly zero outside it.  Not on a
  hexagonal torus with an odd number of rows, whose parity breaks at the seam.
* **dense** -- everything else (small maps, and the odd-row hexagonal torus
  where the two above do not apply): ``H`` is built block by block from the
  lattice distances, cached whole only when the map is small.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_option
from .exceptions import NeighborhoodFunctionNotFound
from .lattice import Lattice

__all__ = ["DENSE_MAX_NODES", "NEIGHBORHOODS", "NeighborhoodOperator", "kernel"]

#: Largest map for which a dense M x M kernel (or distance matrix) may be held.
DENSE_MAX_NODES = 3000
#: Largest map side for the separable path (its per-axis factors are side x side).
SEPARABLE_MAX_SIDE = 2048
#: Largest map applied block by block as a dense kernel (M^2 kernel values per epoch).
DENSE_BLOCKWISE_MAX_NODES = 20_000
_BLOCK_BYTES = 32 * 2**20


def _gaussian(d, radius):
    return np.exp(-(d**2) / (2.0 * radius**2))


# Lattice distances such as hypot(0.5, sqrt(3)/2) land a rounding error away from
# an integer radius; the tolerance keeps "within the radius" independent of how
# the distance was computed.
_EDGE = 1.0 + 1e-9


def _bubble(d, radius):
    return (d <= radius * _EDGE).astype(np.float64)


def _cut_gaussian(d, radius):
    return np.where(d <= radius * _EDGE, np.exp(-(d**2) / (2.0 * radius**2)), 0.0)


def _mexican_hat(d, radius):
    r2 = (d / radius) ** 2
    return (1.0 - r2) * np.exp(-r2 / 2.0)


def _epanechicov(d, radius):
    return np.maximum(0.0, 1.0 - (d / radius) ** 2)


#: name -> kernel function h(distance, radius)
NEIGHBORHOODS = {
    "gaussian": _gaussian,
    "bubble": _bubble,
    "cut_gaussian": _cut_gaussian,
    "mexican_hat": _mexican_hat,
    "epanechicov": _epanechicov,
}
_TRUNCATED = {"bubble", "cut_gaussian", "epanechicov"}


def check_neighborhood(name: str) -> str:
    return check_option(name, NEIGHBORHOODS, "neighborhood", NeighborhoodFunctionNotFound)


def kernel(name: str, distance, radius: float) -> np.ndarray:
    """Evaluate neighbourhood ``name`` at lattice ``distance`` for a given ``radius``.

    gaussian ``exp(-d^2 / 2r^2)``; bubble ``[d <= r]``; cut_gaussian the
    Gaussian times ``[d <= r]``; mexican_hat ``(1 - d^2/r^2) exp(-d^2 / 2r^2)``
    (negative between ``r`` and far away); epanechicov ``max(0, 1 - d^2/r^2)``.
    At ``radius = 0`` every kernel is its limit: 1 on the node itself, 0 elsewhere.
    """
    distance = np.asarray(distance, dtype=np.float64)
    if radius == 0:
        return (distance == 0).astype(np.float64)
    return NEIGHBORHOODS[check_neighborhood(name)](distance, float(radius))


def _separable_terms(name: str, radius: float):
    """Per-axis factors ``[(fx, fy), ...]`` with ``h = sum fx(dx) * fy(dy)``."""

    def g(d):
        return np.exp(-(d**2) / (2.0 * radius**2))

    if name == "gaussian":
        return [(g, g)]
    if name == "mexican_hat":
        # (1 - (dx^2 + dy^2)/r^2) g(dx) g(dy) expands into three products.
        def q(d):
            return -(d**2) / radius**2 * g(d)

        return [(g, g), (q, g), (g, q)]
    return None


class NeighborhoodOperator:
    """Applies the neighbourhood kernel of one lattice: ``smooth(V, radius) == H @ V``.

    Parameters
    ----------
    lattice : Lattice
    name : str
        Neighbourhood function name (see :data:`NEIGHBORHOODS`).
    method : {"auto", "dense", "separable", "stencil"}
        How to apply the kernel; ``"auto"`` picks the fastest exact method.
    """

    def __init__(self, lattice: Lattice, name: str = "gaussian", method: str = "auto"):
        self.lattice = lattice
        self.name = check_neighborhood(name)
        if method == "auto":
            method = self._auto_method()
        check_option(method, ("dense", "separable", "stencil"), "method")
        if method == "separable" and (lattice.twisted or _separable_terms(name, 1.0) is None):
            raise ValueError(f"The {name} kernel on a {lattice.name} map is not separable.")
        if method == "stencil" and lattice.odd_row_torus:
            raise ValueError(
                "The stencil method does not apply to a hexagonal torus with an odd number of rows."
            )
        self.method = method
        self._dense_distances = None
        self._axis_cache: dict = {}

    def _auto_method(self) -> str:
        lat = self.lattice
        separable = not lat.twisted and _separable_terms(self.name, 1.0) is not None
        # The separable factors are side x side matrices: fine up to a side of a few thousand cells.
        if separable and max(lat.rows, lat.cols) <= SEPARABLE_MAX_SIDE:
            return "separable"
        if not separable and not lat.odd_row_torus and lat.n_nodes > DENSE_MAX_NODES:
            return "stencil"
        if lat.n_nodes > DENSE_BLOCKWISE_MAX_NODES:
            hint = (
                "use an even number of rows (a regular hexagonal torus)"
                if lat.odd_row_torus
                else f"keep each side at most {SEPARABLE_MAX_SIDE} cells"
            )
            raise ValueError(
                f"A {lat.rows}x{lat.cols} {lat.name} map with the {self.name} kernel would need "
                f"{lat.n_nodes:,}^2 kernel values per epoch; {hint}."
            )
        return "dense"

    # ---------------------------------------------------------------- public
    def smooth(self, values: np.ndarray, radius: float) -> np.ndarray:
        """Return ``H @ values`` for ``values`` of shape ``(n_nodes, k)``."""
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or values.shape[0] != self.lattice.n_nodes:
            raise ValueError(f"values must have shape ({self.lattice.n_nodes}, k), got {values.shape}.")
        if radius == 0:  # no neighbourhood: each node keeps its own statistics (a k-means step)
            return values.copy()
        if self.method == "separable":
            return self._smooth_separable(values, radius)
        if self.method == "stencil":
            return self._smooth_stencil(values, radius)
        return self._smooth_dense(values, radius)

    # ------------------------------------------------------------------ dense
    def _smooth_dense(self, values, radius):
        lat = self.lattice
        if lat.n_nodes <= DENSE_MAX_NODES:
            if self._dense_distances is None:
                self._dense_distances = lat.distance_matrix()
            return kernel(self.name, self._dense_distances, radius) @ values
        # Large odd-row hexagonal torus: build H a block of rows at a time, never whole.
        out = np.empty_like(values)
        block = max(1, _BLOCK_BYTES // (8 * lat.n_nodes))
        for start in range(0, lat.n_nodes, block):
            nodes = np.arange(start, min(start + block, lat.n_nodes))
            out[nodes] = kernel(self.name, lat.distance_matrix(nodes), radius) @ values
        return out

    # -------------------------------------------------------------- separable
    def _axis_distances(self, shift):
        if shift not in self._axis_cache:
            self._axis_cache[shift] = self.lattice.axis_distances(shift)
        return self._axis_cache[shift]

    def _smooth_separable(self, values, radius):
        lat = self.lattice
        rows, cols, k = lat.rows, lat.cols, values.shape[1]
        grid = values.reshape(rows, cols, k)
        out = np.zeros((rows, cols, k))
        shifts = (0.0, 0.5, -0.5) if lat.is_hexagonal else (0.0,)
        _, dy = self._axis_distances(0.0)
        unshifted, targets = self._row_groups()
        for fx, fy in _separable_terms(self.name, radius):
            row_kernel = fy(dy)
            # Column pass: one product per horizontal shift.
            col_pass = {s: np.matmul(fx(self._axis_distances(s)[0]), grid) for s in shifts}
            if not lat.is_hexagonal:
                out += (row_kernel @ col_pass[0.0].reshape(rows, -1)).reshape(rows, cols, k)
                continue
            for target, sel in targets:
                # A source row of offset o is seen from a target row of offset t with
                # horizontal shift t - o.
                mixed = np.where(unshifted, col_pass[target], col_pass[target - 0.5])
                out[sel] += (row_kernel[sel] @ mixed.reshape(rows, -1)).reshape(-1, cols, k)
        return out.reshape(rows * cols, k)

    def _row_groups(self):
        """Rows without a shift (as a broadcastable mask), and each row offset with its rows."""
        if "rows" not in self._axis_cache:
            offsets = self.lattice.row_offsets()
            groups = [(target, offsets == target) for target in (0.0, 0.5) if (offsets == target).any()]
            self._axis_cache["rows"] = ((offsets == 0.0)[:, None, None], groups)
        return self._axis_cache["rows"]

    # ---------------------------------------------------------------- stencil
    def _offsets(self, span, size, wraps):
        if wraps:
            # One representative per residue, so a wrapped source is counted once.
            low = -((size - 1) // 2)
            return np.arange(low, low + size)
        reach = min(span, size - 1)
        return np.arange(-reach, reach + 1)

    def _smooth_stencil(self, values, radius):
        lat = self.lattice
        rows, cols, k = lat.rows, lat.cols, values.shape[1]
        grid = values.reshape(rows, cols, k)
        row_span = int(np.floor(radius / lat.row_height)) + 1
        col_span = int(np.floor(radius)) + 2
        drs = self._offsets(row_span, rows, lat.wraps_y)
        dcs = self._offsets(col_span, cols, lat.wraps_x)
        pad_r = int(np.abs(drs).max())
        pad_c = int(np.abs(dcs).max())
        padded = np.pad(
            grid,
            ((pad_r, pad_r), (0, 0), (0, 0)),
            mode="wrap" if lat.wraps_y else "constant",
        )
        padded = np.pad(padded, ((0, 0), (pad_c, pad_c), (0, 0)), mode="wrap" if lat.wraps_x else "constant")
        out = np.zeros_like(grid)
        # The offset of an even and of an odd row (the kernel is the same for every row of a parity).
        by_parity = np.resize(lat.row_offsets()[:2], 2)
        targets = (0, 1) if lat.is_hexagonal and rows > 1 else (0,)
        step = len(targets)
        for target in targets:
            dr, dc = np.meshgrid(drs, dcs, indexing="ij")
            dx = dc + by_parity[(target + dr) % 2] - by_parity[target]
            dx, dy = lat._minimum_image(dx, dr * lat.row_height)
            weights = kernel(self.name, np.hypot(dx, dy), radius)
            n_target = len(range(target, rows, step))
            for i, j in zip(*np.nonzero(weights)):
                r0 = target + drs[i] + pad_r
                c0 = dcs[j] + pad_c
                block = padded[r0 : r0 + step * (n_target - 1) + 1 : step, c0 : c0 + cols]
                out[target::step] += weights[i, j] * block
        return out.reshape(rows * cols, k)
