"""The SOM algorithm: best matching units, epoch statistics, batch and online epochs.

Everything here is plain numpy/scipy on arrays in the model's normalised
space; :mod:`somnium.core` validates inputs and owns the state.

One batch epoch reads top to bottom (Kohonen 2001, batch map):

1. :func:`epoch_statistics` -- the best matching unit (BMU) of every row by a
   chunked GEMM, and per node the hit count and the sum of its rows (plus,
   when asked, the error terms the metrics need).
2. :func:`batch_update` -- smooth those sums with the neighbourhood kernel and
   divide: ``w = (H @ S) / (H @ n)``.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
from scipy.spatial import distance as scipy_distance

from .lattice import Lattice
from .neighborhood import NeighborhoodOperator, kernel

__all__ = [
    "EUCLIDEAN_METRICS",
    "EpochStatistics",
    "TrainingData",
    "batch_update",
    "epoch_statistics",
    "find_bmus",
    "online_epoch",
    "pca_initialization",
    "random_initialization",
    "schedule",
]

#: Metrics whose BMU is the argmin of ``||w||^2 - 2 x.w`` (the GEMM path).
EUCLIDEAN_METRICS = ("euclidean", "sqeuclidean")
_TILE_BYTES = 32 * 2**20
_MAX_CHUNK_ROWS = 65536


def resolve_n_jobs(n_jobs: int) -> int:
    if n_jobs is None or n_jobs == 0:
        return 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return int(n_jobs)


def _blas_single_thread():
    """Pin BLAS to one thread: the pool over row chunks is the only level of parallelism."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


@contextmanager
def _mapper(workers: int):
    """An ordered ``map`` over a thread pool of ``workers`` (plain ``map`` for one)."""
    if workers <= 1:
        yield map
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield pool.map


class TrainingData:
    """Normalised rows prepared once for many BMU searches.

    Holds the float64 rows (for exact statistics) and, for the float32 GEMM
    path, a centred float32 copy: ``||w||^2 - 2 x.w`` cancels badly in float32
    unless the data are centred, whatever the normalisation.
    """

    def __init__(self, X: np.ndarray, center: np.ndarray, dtype=np.float32, metric="euclidean"):
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.center = np.asarray(center, dtype=np.float64)
        self.dtype = np.dtype(dtype)
        self.metric = metric
        if self.uses_gemm:
            # A trailing column of ones lets one GEMM add ||w||^2 (see _prepared_codebook).
            self.Xc = np.empty((self.X.shape[0], self.X.shape[1] + 1), dtype=self.dtype)
            np.subtract(self.X, self.center, out=self.Xc[:, :-1], casting="unsafe")
            self.Xc[:, -1] = 1.0
        else:
            self.Xc = self.X

    @property
    def uses_gemm(self) -> bool:
        return isinstance(self.metric, str) and self.metric in EUCLIDEAN_METRICS

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    def subset(self, rows: np.ndarray) -> TrainingData:
        sub = TrainingData.__new__(TrainingData)
        sub.X, sub.center, sub.dtype, sub.metric = self.X[rows], self.center, self.dtype, self.metric
        sub.Xc = self.Xc[rows] if self.uses_gemm else sub.X
        return sub


@dataclass
class EpochStatistics:
    """Sufficient statistics of one pass over the data with a fixed codebook.

    ``hits`` and ``sums`` drive the batch update; ``abs_error`` (sum over rows of
    the per-feature mean absolute error), ``sq_distance`` (sum of squared
    Euclidean distances to the BMU) and ``topographic_errors`` (count of rows
    whose two best units are not neighbours) give the metrics for free.
    """

    n_rows: int
    hits: np.ndarray
    sums: np.ndarray
    abs_error: float = math.nan
    sq_distance: float = math.nan
    topographic_errors: float = math.nan

    def __add__(self, other: EpochStatistics) -> EpochStatistics:
        return EpochStatistics(
            self.n_rows + other.n_rows,
            self.hits + other.hits,
            self.sums + other.sums,
            self.abs_error + other.abs_error,
            self.sq_distance + other.sq_distance,
            self.topographic_errors + other.topographic_errors,
        )

    def metrics(self) -> dict:
        """Seed metrics (QE, TE, VR) plus mean BMU distance and distortion."""
        n = max(self.n_rows, 1)
        return {
            "quantization_error": self.abs_error / n,
            "topographic_error": self.topographic_errors / n,
            "vacancy_rate": float((self.hits == 0).mean()),
            "mean_squared_distance": self.sq_distance / n,
        }


def _chunk_rows(n_nodes: int, itemsize: int) -> int:
    return int(min(_MAX_CHUNK_ROWS, max(256, _TILE_BYTES // (itemsize * max(n_nodes, 1)))))


def _row_slices(data: TrainingData, n_nodes: int) -> list[slice]:
    """Row chunks whose distance tile stays within the tile budget."""
    chunk = _chunk_rows(n_nodes, data.dtype.itemsize if data.uses_gemm else 8)
    return [slice(s, min(s + chunk, data.n_rows)) for s in range(0, data.n_rows, chunk)]


def _prepared_codebook(data: TrainingData, codebook: np.ndarray) -> np.ndarray:
    """The codebook in the form the distance step multiplies with.

    GEMM path: ``[-2 (w - c), ||w - c||^2]`` against rows ``[x - c, 1]``, so one
    matrix product gives ``||w||^2 - 2 x.w`` (the squared distance up to the
    per-row constant ``||x||^2``, irrelevant to the argmin) with no extra
    passes over the distance tile.
    """
    if data.uses_gemm:
        centred = codebook - data.center
        prepared = np.empty((codebook.shape[0], codebook.shape[1] + 1))
        prepared[:, :-1] = -2.0 * centred
        prepared[:, -1] = np.einsum("ij,ij->i", centred, centred)
        return np.ascontiguousarray(prepared.T, dtype=data.dtype)
    return np.ascontiguousarray(codebook, dtype=np.float64)


def _chunk_distances(data: TrainingData, rows: slice, prepared) -> np.ndarray:
    """Distances (up to a per-row constant on the GEMM path) from rows to every node."""
    if data.uses_gemm:
        return data.Xc[rows] @ prepared
    return scipy_distance.cdist(data.X[rows], prepared, metric=data.metric)


def _chunk_statistics(data, rows, prepared, codebook, lattice, with_metrics, want_bmus):
    scores = _chunk_distances(data, rows, prepared)
    n_nodes = codebook.shape[0]
    bmu = np.argmin(scores, axis=1)
    X = data.X[rows]
    hits = np.bincount(bmu, minlength=n_nodes).astype(np.float64)
    sums = np.empty((n_nodes, X.shape[1]))
    for d in range(X.shape[1]):
        sums[:, d] = np.bincount(bmu, weights=X[:, d], minlength=n_nodes)
    stats = EpochStatistics(X.shape[0], hits, sums)
    if with_metrics:
        diff = X - codebook[bmu]
        stats.abs_error = float(np.abs(diff).mean(axis=1).sum())
        stats.sq_distance = float(np.einsum("ij,ij->", diff, diff))
        if n_nodes > 1:
            # Second BMU by masking the first: far cheaper than argpartition.
            scores[np.arange(scores.shape[0]), bmu] = np.inf
            second = np.argmin(scores, axis=1)
            stats.topographic_errors = float((~lattice.are_adjacent(bmu, second)).sum())
        else:
            stats.topographic_errors = 0.0
    return stats, (bmu if want_bmus else None)


def epoch_statistics(
    data: TrainingData,
    codebook: np.ndarray,
    lattice: Lattice,
    with_metrics: bool = False,
    return_bmus: bool = False,
    n_jobs: int = 1,
):
    """One pass over the data with a fixed codebook.

    Parameters
    ----------
    data : TrainingData
    codebook : ndarray, shape (n_nodes, n_features)
        float64, in the same (normalised) space as ``data.X``.
    lattice : Lattice
        Used for the topographic error when ``with_metrics``.
    with_metrics : bool
        Also collect the error terms (second BMU, absolute and squared errors).
    return_bmus : bool
        Also return the BMU of every row.
    n_jobs : int
        Threads over row chunks (BLAS pinned to one thread).

    Returns
    -------
    stats : EpochStatistics
    bmus : ndarray of int64 or None
    """
    n_nodes = codebook.shape[0]
    prepared = _prepared_codebook(data, codebook)
    slices = _row_slices(data, n_nodes)
    workers = min(resolve_n_jobs(n_jobs), len(slices))

    def work(rows):
        return _chunk_statistics(data, rows, prepared, codebook, lattice, with_metrics, return_bmus)

    total = None
    bmu_parts = []
    with _blas_single_thread(), _mapper(workers) as mapper:
        # Reduce as results arrive (in chunk order, so the sum does not depend on the
        # thread count) instead of holding every chunk's M x D partial sums.
        for stats, bmus in mapper(work, slices):
            total = stats if total is None else total + stats
            if return_bmus:
                bmu_parts.append(bmus)
    bmus = np.concatenate(bmu_parts).astype(np.int64) if return_bmus else None
    return total, bmus


def find_bmus(data: TrainingData, codebook: np.ndarray, n_jobs: int = 1, second: bool = False):
    """Best matching unit of every row (and the second best when ``second``)."""
    prepared = _prepared_codebook(data, codebook)
    slices = _row_slices(data, codebook.shape[0])

    def work(rows):
        scores = _chunk_distances(data, rows, prepared)
        first = np.argmin(scores, axis=1)
        if not second:
            return first, None
        scores[np.arange(scores.shape[0]), first] = np.inf
        return first, np.argmin(scores, axis=1)

    workers = min(resolve_n_jobs(n_jobs), len(slices))
    with _blas_single_thread(), _mapper(workers) as mapper:
        parts = list(mapper(work, slices))
    first = np.concatenate([p[0] for p in parts]).astype(np.int64)
    if not second:
        return first
    return first, np.concatenate([p[1] for p in parts]).astype(np.int64)


def batch_update(
    codebook: np.ndarray,
    stats: EpochStatistics,
    operator: NeighborhoodOperator,
    radius: float,
    learning_rate: float = 1.0,
) -> np.ndarray:
    """The batch-map update ``w = (H @ S) / (H @ n)``, blended with the old codebook.

    Nodes whose smoothed hit count is not positive (no data within reach, or a
    negative Mexican-hat weight) keep their previous prototype.
    """
    n_features = codebook.shape[1]
    smoothed = operator.smooth(np.column_stack([stats.sums, stats.hits]), radius)
    numerator, denominator = smoothed[:, :n_features], smoothed[:, n_features]
    valid = denominator > 0
    new = codebook.copy()
    new[valid] = numerator[valid] / denominator[valid, None]
    if learning_rate != 1.0:
        new = (1.0 - learning_rate) * codebook + learning_rate * new
    return new


def schedule(start: float, end: float, n_steps: int, decay: str) -> np.ndarray:
    """Values from ``start`` to ``end`` over ``n_steps``, ``linear`` or ``exponential``."""
    if n_steps == 1:
        return np.array([float(start)])
    t = np.arange(n_steps) / (n_steps - 1)
    if decay == "linear":
        return start + (end - start) * t
    return start * (end / start) ** t


# ------------------------------------------------------------ initialisation
def _map_axes_unit(lattice: Lattice):
    """Node coordinates scaled to [-1, 1] along each map axis (long axis first)."""
    coords = lattice.coordinates
    scaled = np.zeros_like(coords)
    for axis in range(2):
        span = np.ptp(coords[:, axis])
        if span > 0:
            scaled[:, axis] = 2.0 * (coords[:, axis] - coords[:, axis].min()) / span - 1.0
    long_first = np.ptp(coords[:, 1]) > np.ptp(coords[:, 0])
    return scaled[:, ::-1] if long_first else scaled


def principal_axes(X: np.ndarray, n_components: int = 2):
    """Mean, top eigenvalues and eigenvectors of the covariance of ``X`` (numpy only)."""
    mean = X.mean(axis=0)
    centred = X - mean
    cov = centred.T @ centred / max(X.shape[0] - 1, 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:n_components]
    return mean, np.maximum(values[order], 0.0), vectors[:, order]


def pca_initialization(X: np.ndarray, lattice: Lattice) -> np.ndarray:
    """Codebook spanning the plane of the two principal components.

    ``w = mean + c1 sqrt(l1) v1 + c2 sqrt(l2) v2`` with ``c`` spanning [-1, 1]
    along the map's long and short axes respectively.
    """
    mean, values, vectors = principal_axes(X, 2)
    axes = _map_axes_unit(lattice)
    codebook = np.repeat(mean[None, :], lattice.n_nodes, axis=0)
    for k in range(min(2, len(values))):
        codebook += axes[:, k : k + 1] * np.sqrt(values[k]) * vectors[:, k][None, :]
    return codebook


def random_initialization(X: np.ndarray, n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    """Codebook drawn uniformly within each feature's range."""
    low, high = X.min(axis=0), X.max(axis=0)
    return low + (high - low) * rng.random((n_nodes, X.shape[1]))


# ------------------------------------------------------------------- online
def _online_epoch_numpy(X, codebook, order, radii, rates, lattice, neighborhood, distances):
    n_nodes = codebook.shape[0]
    hits = np.zeros(n_nodes)
    abs_error = 0.0
    sq_distance = 0.0
    te = 0
    sq_norm = np.einsum("ij,ij->i", codebook, codebook)
    for step, row in enumerate(order):
        x = X[row]
        scores = sq_norm - 2.0 * (codebook @ x)
        bmu = int(np.argmin(scores))
        diff = x - codebook[bmu]
        abs_error += np.abs(diff).mean()
        sq_distance += diff @ diff
        hits[bmu] += 1
        if n_nodes > 1:
            scores[bmu] = np.inf
            if not lattice.are_adjacent(bmu, int(np.argmin(scores))):
                te += 1
        dist = distances[bmu] if distances is not None else lattice.distances_from(bmu)
        h = rates[step] * kernel(neighborhood, dist, radii[step])
        codebook += h[:, None] * (x - codebook)
        sq_norm = np.einsum("ij,ij->i", codebook, codebook)
    return hits, abs_error, sq_distance, te


_numba_epoch = None


def _get_numba_epoch():
    """Compile the online epoch with numba (the ``online`` extra), or return None."""
    global _numba_epoch
    if _numba_epoch is not None:
        return _numba_epoch or None
    try:
        import numba
    except ImportError:
        _numba_epoch = False
        return None

    from .lattice import minimum_image_distance

    wrapped = numba.njit(cache=False)(minimum_image_distance)

    @numba.njit(cache=False)
    def epoch(X, codebook, order, radii, rates, coords, period_x, period_y, seam_shift, kernel_id, neighbors):
        n_nodes, n_features = codebook.shape
        hits = np.zeros(n_nodes)
        abs_error = 0.0
        sq_distance = 0.0
        te = 0
        for step in range(order.shape[0]):
            x = X[order[step]]
            best = 0
            best_d = np.inf
            second = -1
            second_d = np.inf
            for j in range(n_nodes):
                d = 0.0
                for f in range(n_features):
                    t = x[f] - codebook[j, f]
                    d += t * t
                if d < best_d:
                    second, second_d = best, best_d
                    best, best_d = j, d
                elif d < second_d:
                    second, second_d = j, d
            hits[best] += 1
            e = 0.0
            for f in range(n_features):
                e += abs(x[f] - codebook[best, f])
            abs_error += e / n_features
            sq_distance += best_d
            if n_nodes > 1:
                adjacent = False
                for k in range(neighbors.shape[1]):
                    if neighbors[best, k] == second:
                        adjacent = True
                if not adjacent:
                    te += 1
            radius = radii[step]
            rate = rates[step]
            bx = coords[best, 0]
            by = coords[best, 1]
            for j in range(n_nodes):
                dist = wrapped(coords[j, 0] - bx, coords[j, 1] - by, period_x, period_y, seam_shift)
                r2 = (dist / radius) ** 2
                if kernel_id == 0:
                    h = np.exp(-r2 / 2.0)
                elif kernel_id == 1:
                    h = 1.0 if dist <= radius * (1.0 + 1e-9) else 0.0
                elif kernel_id == 2:
                    h = np.exp(-r2 / 2.0) if dist <= radius * (1.0 + 1e-9) else 0.0
                elif kernel_id == 3:
                    h = (1.0 - r2) * np.exp(-r2 / 2.0)
                else:
                    h = max(0.0, 1.0 - r2)
                if h != 0.0:
                    h *= rate
                    for f in range(n_features):
                        codebook[j, f] += h * (x[f] - codebook[j, f])
        return hits, abs_error, sq_distance, te

    _numba_epoch = epoch
    return epoch


_KERNEL_IDS = {"gaussian": 0, "bubble": 1, "cut_gaussian": 2, "mexican_hat": 3, "epanechicov": 4}


def online_epoch(X, codebook, order, radii, rates, lattice, neighborhood, use_numba=None):
    """One pass of the sequential Kohonen rule, in place on ``codebook``.

    For each row (in ``order``): find its BMU ``b``, then
    ``w_j += rate * h(d(j, b), radius) * (x - w_j)`` for every node ``j``.
    Compiled with numba when available (the ``online`` extra), otherwise the
    same rule vectorised over nodes in numpy (slower, identical maths).

    Returns
    -------
    EpochStatistics
        Hits and error terms collected as each row was visited.
    """
    epoch = _get_numba_epoch() if use_numba in (None, True) else None
    if use_numba is True and epoch is None:
        raise ImportError("numba is not installed; pip install 'somnium[online]'.")
    if epoch is not None:
        hits, abs_error, sq_distance, te = epoch(
            X,
            codebook,
            order.astype(np.int64),
            radii,
            rates,
            np.asarray(lattice.coordinates),
            lattice.period_x or 0.0,
            lattice.period_y or 0.0,
            0.5 if lattice.twisted else 0.0,
            _KERNEL_IDS[neighborhood],
            np.asarray(lattice.neighbors),
        )
    else:
        from .neighborhood import DENSE_MAX_NODES

        distances = lattice.distance_matrix() if lattice.n_nodes <= DENSE_MAX_NODES else None
        hits, abs_error, sq_distance, te = _online_epoch_numpy(
            X, codebook, order, radii, rates, lattice, neighborhood, distances
        )
    stats = EpochStatistics(len(order), hits, np.zeros_like(codebook), abs_error, sq_distance, float(te))
    return stats
