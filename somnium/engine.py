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
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy.spatial import distance as scipy_distance

from . import metrics
from ._validation import as_float_array
from .lattice import LATTICES, Lattice
from .neighborhood import NeighborhoodOperator

__all__ = [
    "EUCLIDEAN_METRICS",
    "EpochStatistics",
    "TrainingData",
    "batch_update",
    "covariance_axes",
    "epoch_statistics",
    "estimate_mapsize",
    "find_bmus",
    "mapsize_from_spectrum",
    "pca_codebook",
    "pca_initialization",
    "random_codebook",
    "random_initialization",
    "schedule",
]

#: Metrics whose BMU is the argmin of ``||w||^2 - 2 x.w`` (the GEMM path).
EUCLIDEAN_METRICS = ("euclidean", "sqeuclidean")
_TILE_BYTES = 32 * 2**20
_MAX_CHUNK_ROWS = 65536


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Threads of the row-chunk pool: every core for None or -1, ``k`` for ``k``, cores + 1 + k below -1."""
    if n_jobs is None or n_jobs < 0:
        cores = os.cpu_count() or 1
        return cores if n_jobs is None else max(1, cores + 1 + n_jobs)
    return max(1, int(n_jobs))


def pool_size(n_jobs: int | None, n_chunks: int) -> int:
    """Threads a pass over ``n_chunks`` row chunks runs on."""
    return max(1, min(resolve_n_jobs(n_jobs), n_chunks))


_limits = threading.local()


@contextmanager
def thread_limits(n_jobs: int | None, n_chunks: int | None = None):
    """Pin BLAS to one thread whenever the pool over row chunks is the parallelism.

    That is when the pass has several chunks for several threads, or when the
    user limited ``n_jobs`` to 1.  With ``n_jobs=None`` and a single chunk
    (small data), BLAS keeps its own threads and threadpoolctl is never
    entered (each entry rescans the loaded libraries, ~2.5 ms).  A fit enters
    this once; nested calls inside it are free.
    """
    pinned = n_jobs is not None or (n_chunks is not None and pool_size(n_jobs, n_chunks) > 1)
    if not pinned or getattr(_limits, "active", False):
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        _limits.active = True
        try:
            yield
        finally:
            _limits.active = False


def _map_chunks(work, slices, n_jobs):
    """``work(rows)`` over row chunks, results in chunk order (a thread pool when it has several threads)."""
    workers = pool_size(n_jobs, len(slices))
    with thread_limits(n_jobs, len(slices)):
        if workers <= 1:
            yield from map(work, slices)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(work, slices)


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
        self._check_scale()
        if self.uses_gemm:
            # A trailing column of ones lets one GEMM add ||w||^2 (see _prepared_codebook).
            self.Xc = np.empty((self.X.shape[0], self.X.shape[1] + 1), dtype=self.dtype)
            np.subtract(self.X, self.center, out=self.Xc[:, :-1], casting="unsafe")
            self.Xc[:, -1] = 1.0
        else:
            self.Xc = self.X

    def _check_scale(self):
        """Refuse values whose squared distances overflow; fall back from float32 to float64 when that suffices.

        A GEMM term ``x . w`` sums ``D`` products of values of the data's scale, so the scale must stay
        well below ``sqrt(max / D)`` of the dtype (float32: about 1e18 for D = 16).
        """
        if self.X.size == 0:
            return
        # max |x - c| from the column extremes: no N x D temporary
        scale = float(np.max(np.maximum(self.X.max(axis=0) - self.center, self.center - self.X.min(axis=0))))
        n_features = self.X.shape[1]

        def fits(dtype):
            return scale < math.sqrt(np.finfo(dtype).max / (4 * n_features)) / 10

        if not fits(np.float64):
            from .exceptions import InvalidValuesInDataSet

            raise InvalidValuesInDataSet(
                f"The data span {scale:.3g} around their mean, too large for distances to be computed "
                "without overflow; rescale them (e.g. normalization='standard')."
            )
        if self.dtype == np.float32 and not fits(np.float32):
            warnings.warn(
                f"The data span {scale:.3g} around their mean, beyond float32's range for distances; "
                "computing in float64 instead (pass dtype='float64' or normalise the data to silence this).",
                UserWarning,
                stacklevel=4,
            )
            self.dtype = np.dtype(np.float64)

    @property
    def uses_gemm(self) -> bool:
        return isinstance(self.metric, str) and self.metric in EUCLIDEAN_METRICS

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    def n_chunks(self, n_nodes: int) -> int:
        """Row chunks of a pass against ``n_nodes`` prototypes."""
        return len(_row_slices(self, n_nodes))

    def statistics(self, codebook, lattice, with_metrics=False, return_bmus=False, n_jobs=None):
        """One pass with a fixed codebook (:func:`epoch_statistics`); the interface the Dask data shares."""
        return epoch_statistics(self, codebook, lattice, with_metrics, return_bmus, n_jobs)

    def bmus(self, codebook, n_jobs=None) -> np.ndarray:
        """Best matching unit of every row (:func:`find_bmus`)."""
        return find_bmus(self, codebook, n_jobs)

    def sample(self, fraction: float, rng: np.random.Generator) -> TrainingData:
        """A random ``fraction`` of the rows, without replacement, in their original order."""
        size = max(1, int(math.ceil(fraction * self.n_rows)))
        return self.subset(np.sort(rng.choice(self.n_rows, size, replace=False)))

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
    whose two best units are not neighbours) give the metrics for free;
    ``distance`` (sum of Euclidean distances) and ``node_abs_error`` (per node,
    the sum of its rows' absolute errors) give the per-node quality maps.
    """

    n_rows: int
    hits: np.ndarray
    sums: np.ndarray
    abs_error: float = math.nan
    sq_distance: float = math.nan
    topographic_errors: float = math.nan
    distance: float = math.nan
    node_abs_error: np.ndarray | None = None

    def __add__(self, other: EpochStatistics) -> EpochStatistics:
        node_abs_error = None
        if self.node_abs_error is not None and other.node_abs_error is not None:
            node_abs_error = self.node_abs_error + other.node_abs_error
        return EpochStatistics(
            self.n_rows + other.n_rows,
            self.hits + other.hits,
            self.sums + other.sums,
            self.abs_error + other.abs_error,
            self.sq_distance + other.sq_distance,
            self.topographic_errors + other.topographic_errors,
            self.distance + other.distance,
            node_abs_error,
        )

    def metrics(self) -> dict:
        """The history metrics and the mean BMU distance (see :func:`somnium.metrics.from_statistics`)."""
        return metrics.from_statistics(
            self.n_rows, self.hits, self.abs_error, self.sq_distance, self.topographic_errors, self.distance
        )


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


_tiles = threading.local()


def _tile(n_rows: int, n_nodes: int, dtype) -> np.ndarray:
    """This thread's distance tile, reused across chunks and epochs.

    A fresh 32 MB output per GEMM costs page faults that halve the GEMM rate
    on this kind of machine; the tile is only ever read within its chunk.
    """
    size = n_rows * n_nodes
    buffer = getattr(_tiles, "buffer", None)
    if buffer is None or buffer.dtype != dtype or buffer.size < size:
        buffer = np.empty(max(size, _TILE_BYTES // np.dtype(dtype).itemsize), dtype=dtype)
        _tiles.buffer = buffer
    return buffer[:size].reshape(n_rows, n_nodes)


def _chunk_distances(data: TrainingData, rows: slice, prepared) -> np.ndarray:
    """Distances (up to a per-row constant on the GEMM path) from rows to every node."""
    if data.uses_gemm:
        chunk = data.Xc[rows]
        return np.matmul(chunk, prepared, out=_tile(chunk.shape[0], prepared.shape[1], data.dtype))
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
        row_abs = np.abs(diff).mean(axis=1)
        row_sq = np.einsum("ij,ij->i", diff, diff)
        stats.abs_error = float(row_abs.sum())
        stats.sq_distance = float(row_sq.sum())
        stats.distance = float(np.sqrt(row_sq).sum())
        stats.node_abs_error = np.bincount(bmu, weights=row_abs, minlength=n_nodes)
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
    n_jobs: int | None = None,
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
    n_jobs : int or None
        None: one thread of chunks, BLAS uses its own threads; k: k threads over
        row chunks with BLAS pinned to one thread.

    Returns
    -------
    stats : EpochStatistics
    bmus : ndarray of int64 or None
    """
    prepared = _prepared_codebook(data, codebook)

    def work(rows):
        return _chunk_statistics(data, rows, prepared, codebook, lattice, with_metrics, return_bmus)

    total = None
    bmu_parts = []
    # Reduce as results arrive (in chunk order, so the sum does not depend on the
    # thread count) instead of holding every chunk's M x D partial sums.
    for stats, bmus in _map_chunks(work, _row_slices(data, codebook.shape[0]), n_jobs):
        total = stats if total is None else total + stats
        if return_bmus:
            bmu_parts.append(bmus)
    bmus = np.concatenate(bmu_parts).astype(np.int64) if return_bmus else None
    return total, bmus


def find_bmus(data: TrainingData, codebook: np.ndarray, n_jobs: int | None = None) -> np.ndarray:
    """Best matching unit of every row, int64."""
    prepared = _prepared_codebook(data, codebook)

    def work(rows):
        return np.argmin(_chunk_distances(data, rows, prepared), axis=1)

    parts = list(_map_chunks(work, _row_slices(data, codebook.shape[0]), n_jobs))
    return np.concatenate(parts).astype(np.int64)


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


def schedule(start: float, end: float, n_steps: int, decay: str, first: int = 0, stop: int | None = None):
    """Values from ``start`` to ``end`` over ``n_steps``, ``linear`` or ``exponential``.

    Only steps ``first .. stop - 1`` are computed (all by default), so a long
    schedule never needs to be held whole.
    """
    stop = n_steps if stop is None else stop
    if n_steps == 1:
        return np.full(stop - first, float(start))
    t = np.arange(first, stop) / (n_steps - 1)
    if decay == "linear":
        return start + (end - start) * t
    if start == end:
        return np.full(stop - first, float(start))
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
    values, vectors = covariance_axes(cov, n_components)
    return mean, values, vectors


def covariance_axes(cov: np.ndarray, n_components: int = 2):
    """Top eigenvalues and eigenvectors of a covariance matrix (from memory or a Dask reduction)."""
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:n_components]
    vectors = vectors[:, order]
    # An eigenvector's sign is arbitrary (it differs between LAPACK builds); fix it so that its
    # largest-magnitude entry is positive, as scikit-learn's svd_flip does, for reproducible maps.
    largest = np.argmax(np.abs(vectors), axis=0)
    vectors = vectors * np.sign(vectors[largest, np.arange(vectors.shape[1])])
    return np.maximum(values[order], 0.0), vectors


def pca_initialization(X: np.ndarray, lattice: Lattice) -> np.ndarray:
    """Codebook spanning the plane of the two principal components.

    ``w = mean + c1 sqrt(l1) v1 + c2 sqrt(l2) v2`` with ``c`` spanning [-1, 1]
    along the map's long and short axes respectively: the first principal
    component runs along the map's long side, from left (top) to right
    (bottom), each component's sign fixed so its largest entry is positive.
    """
    mean, values, vectors = principal_axes(X, 2)
    return pca_codebook(mean, values, vectors, lattice)


def pca_codebook(mean, values, vectors, lattice: Lattice) -> np.ndarray:
    """:func:`pca_initialization` from the mean and principal axes (e.g. of a Dask covariance reduction)."""
    axes = _map_axes_unit(lattice)
    codebook = np.repeat(mean[None, :], lattice.n_nodes, axis=0)
    for k in range(min(2, len(values))):
        codebook += axes[:, k : k + 1] * np.sqrt(values[k]) * vectors[:, k][None, :]
    return codebook


def random_initialization(X: np.ndarray, n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    """Codebook drawn uniformly within each feature's range."""
    return random_codebook(X.min(axis=0), X.max(axis=0), n_nodes, rng)


def random_codebook(low, high, n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    """:func:`random_initialization` from the per-feature minimum and maximum."""
    return low + (high - low) * rng.random((n_nodes, len(low)))


# ------------------------------------------------------------------ map size
#: Upper bound on the node count chosen by ``mapsize="auto"``.
AUTO_MAX_NODES = 10_000


def estimate_mapsize(X, mapsize_scale: float = 5.0, lattice: str = "hexa", max_nodes: int = AUTO_MAX_NODES):
    """Map size from the data: about ``mapsize_scale * sqrt(N)`` nodes.

    The sides follow the ratio ``sqrt(l1 / l2)`` of the two largest
    covariance eigenvalues (the long side along the columns, so maps are
    landscape like a screen), so the map's shape follows the data's principal plane.

    Parameters
    ----------
    X : array-like, shape (n_rows, n_features)
    mapsize_scale : float, default 5
    lattice : str, default "hexa"
        Hexagonal rows are ``sqrt(3)/2`` apart, so they get more rows for the same drawn shape.
    max_nodes : int, default 10000
        Cap on the total for very large ``N``.

    Returns
    -------
    (rows, cols) : tuple of int

    Examples
    --------
    >>> import numpy as np
    >>> rows, cols = estimate_mapsize(np.random.default_rng(0).normal(size=(400, 3)) * [3, 1, 1])
    >>> rows * cols > 50
    True
    """
    X = as_float_array(X)
    values = principal_axes(X, 2)[1] if X.shape[1] >= 2 and X.shape[0] >= 2 else None
    return mapsize_from_spectrum(X.shape[0], values, mapsize_scale, lattice, max_nodes)


def mapsize_from_spectrum(n_rows, values, mapsize_scale=5.0, lattice="hexa", max_nodes=AUTO_MAX_NODES):
    """:func:`estimate_mapsize` from the row count and the two largest covariance eigenvalues (or None)."""
    n_nodes = min(max(4, int(round(float(mapsize_scale) * math.sqrt(n_rows)))), max_nodes)
    if values is not None:
        ratio = math.sqrt(values[0] / values[1]) if values[1] > 0 else float(n_nodes)
    else:
        ratio = 1.0
    # cols / rows that makes the drawn map's width / height equal to ratio
    side_ratio = ratio * (math.sqrt(0.75) if LATTICES.get(lattice, ("rect",))[0] == "hexa" else 1.0)
    rows = max(2, min(n_nodes // 2, int(round(math.sqrt(n_nodes / side_ratio)))))
    cols = max(2, int(round(n_nodes / rows)))
    return rows, cols
