"""The SOM algorithm: best matching units, epoch statistics, batch and online epochs.

Everything here is plain numpy/scipy on arrays in the model's normalised
space; :mod:`somnium.core` validates inputs and owns the state.

One batch epoch reads top to bottom (Kohonen 2001, batch map):

1. :func:`epoch_statistics` -- the best matching unit (BMU) of every row by a
   tiled GEMM over row blocks, and per node the hit count and the sum of its rows (plus,
   when asked, the error terms the metrics need).
2. :func:`batch_update` -- smooth those sums with the neighbourhood kernel and
   divide: ``w = (H @ S) / (H @ n)``.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from . import metrics
from ._distances import DistanceSketch
from ._validation import as_float_array, check_option, check_real
from .exceptions import LatticeTypeNotFound, warn
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
    "has_missing",
    "mapsize_from_spectrum",
    "mean_covariance",
    "pca_codebook",
    "pca_initialization",
    "random_codebook",
    "random_initialization",
    "schedule",
]

#: Metrics whose BMU is the argmin of ``||w||^2 - 2 x.w`` (the GEMM path).
EUCLIDEAN_METRICS = ("euclidean", "sqeuclidean")
#: Distance tile budget: small enough that argmin and the second-BMU search read the tile from cache.
_TILE_BYTES = 2 * 2**20
_MIN_TILE_ROWS = 16
#: Rows per block (at least the map's node count, at most ``_MAX_BLOCK_ROWS``): small enough that a
#: few thousand rows split evenly over the threads, large enough that per-block sums stay a small share.
_BLOCK_ROWS = 1024
_MAX_BLOCK_ROWS = 2**20
#: Tiny maps: at least this many distances per block, in at most ``_TINY_MAP_ROWS`` rows.
_BLOCK_DISTANCES = 2**20
_TINY_MAP_ROWS = 2**16
#: GEMM work of measuring passes (``2 N M (D + 1)`` flops each, summed over the process) that pays for
#: loading numba (~0.4 s and ~65 MB): about a second of this machine's float32 GEMM. Only passes that
#: collect metrics count: there the fused kernel saves a quarter of the pass or more, while a plain
#: pass gains a few per cent.
_NUMBA_MIN_FLOPS = 5e10
#: None: numba kernels when installed and worth loading (see :func:`numba_kernels`); True / False: always
#: (when installed) / never. Tests set it to run both paths.
USE_NUMBA: bool | None = None
_kernels_module = None
_flops_done = 0.0


def numba_kernels(flops: float = math.inf):
    """The compiled kernels of :mod:`somnium._kernels`, or None for the numpy path.

    ``flops``: the GEMM work of the measuring pass asking (0 for a plain pass; a pass over rows with
    missing cells counts as measuring). numba (the ``online``
    extra) costs ~0.4 s and ~65 MB to import, more than a small fit takes, so passes load it only once
    the process's measuring work (this pass's included) is large enough to pay for it, or when numba is
    already loaded (an online fit, the user). A script that fits iris never loads it; a session that
    keeps fitting with history does, once. Both paths give the same BMUs and statistics (the same
    float32 distances, the same tie rules).
    """
    global _kernels_module, _flops_done
    if USE_NUMBA is False:
        return None
    if _kernels_module is not None:
        return _kernels_module or None
    _flops_done += flops
    if USE_NUMBA is None and "numba" not in sys.modules and _flops_done < _NUMBA_MIN_FLOPS:
        return None
    try:
        from . import _kernels
    except ImportError:
        _kernels_module = False
        return None
    _kernels_module = _kernels
    return _kernels


def numba_wanted(flops_so_far: float, pass_flops: float = 0.0) -> bool:
    """Whether a fit that has done ``flops_so_far`` of measuring work should run its passes on numba.

    A pass of a third of the threshold or more loads it at once: a fit makes at least three
    passes (its epochs and the final one), so such a fit crosses the threshold anyway.

    For a process that runs no pass itself (a Dask client deciding for its workers: each sees only
    its share of a pass, so its own count would load numba later than an in-memory fit does).  The
    count is the fit's own, never this process's state (numba imported here, earlier fits): every
    worker pays numba's import and compilation itself (about 100 MB and seconds), which a small fit
    on workers with little memory cannot afford.  Never imports numba; workers load it when told to.
    """
    if USE_NUMBA is not None:
        return USE_NUMBA
    return flops_so_far >= _NUMBA_MIN_FLOPS or 3.0 * pass_flops >= _NUMBA_MIN_FLOPS


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Threads of the row-chunk pool: every core for None or -1, ``k`` for ``k``, cores + 1 + k below -1."""
    if n_jobs is None or n_jobs < 0:
        cores = os.cpu_count() or 1
        return cores if n_jobs is None else max(1, cores + 1 + n_jobs)
    return max(1, int(n_jobs))


def pool_size(n_jobs: int | None, n_chunks: int) -> int:
    """Threads a pass over ``n_chunks`` row blocks runs on."""
    return max(1, min(resolve_n_jobs(n_jobs), n_chunks))


_limits = threading.local()
_controller = (None, -1)


def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, rescanned only when modules were imported since.

    The scan (every loaded shared library) costs milliseconds, a real share of a small fit; setting
    limits through a kept controller costs microseconds. A library loaded since the last scan comes
    with a module import, so the module count tells when to rescan.
    """
    global _controller
    controller, n_modules = _controller
    if controller is None or n_modules != len(sys.modules):
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController()
        _controller = (controller, len(sys.modules))
    return controller


@contextmanager
def thread_limits(n_jobs: int | None, n_chunks: int | None = None):
    """Pin BLAS to one thread whenever the pool over row blocks is the parallelism.

    That is when the pass has several chunks for several threads, or when the
    user limited ``n_jobs`` to 1.  With ``n_jobs=None`` and a single chunk
    (small data), BLAS keeps its own threads and threadpoolctl is never
    entered.  A fit enters this once; nested calls inside it are free.
    """
    pinned = n_jobs is not None or (n_chunks is not None and pool_size(n_jobs, n_chunks) > 1)
    if not pinned or getattr(_limits, "active", False):
        yield
        return
    with _blas_controller().limit(limits=1, user_api="blas"):
        _limits.active = True
        try:
            yield
        finally:
            _limits.active = False


@contextmanager
def on_calling_thread():
    """Passes inside run on the calling thread only and leave BLAS's thread count as it is.

    For a Dask task: the worker's threads are the parallelism (and Dask's worker environment sets
    BLAS to one thread), so a pass must neither start a pool nor rescan the loaded libraries.
    """
    previous = getattr(_limits, "active", False)
    _limits.active = True
    try:
        yield
    finally:
        _limits.active = previous


_pools: dict = {}
_pools_lock = threading.Lock()


def _pool(workers: int):
    """A thread pool of ``workers`` threads kept for the process (a pass on ``n`` threads uses the pool of
    ``n - 1`` and the calling thread): starting threads every pass costs more than a small map's whole
    epoch under load. Its threads are idle between passes."""
    from concurrent.futures import ThreadPoolExecutor  # with logging, ~20 ms of import: when first used

    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="somnium")
        return pool


def _forget_pools():
    """In a forked child the pools' threads do not exist: start new ones when needed."""
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


def _map_blocks(work, slices, n_jobs):
    """``work(rows)`` over row blocks, results in block order (on the calling thread and a thread pool when
    the pass has several threads: :func:`_shared_map`)."""
    workers = pool_size(n_jobs, len(slices))
    with thread_limits(n_jobs, len(slices)):
        if workers <= 1:
            yield from map(work, slices)
            return
        yield from _shared_map(work, slices, workers)


def _shared_map(work, slices, workers):
    """``work`` over ``slices`` on ``workers - 1`` pool threads and the calling thread; results in block order.

    The calling thread takes blocks as the pool's threads do and hands out finished results between its
    own blocks.  Waiting on a pool of ``workers`` threads instead leaves a third thread, which only adds
    results up, competing for the cores (W1, two cores: 16% of a plain epoch).  A block's exception is
    raised when its turn comes, after the blocks before it; no block starts once one has failed or the
    caller has stopped reading, and the pool's threads are done with this pass before it returns.
    """
    n = len(slices)
    results, failed, done = [None] * n, [False] * n, [False] * n
    finished = threading.Condition()  # one for the pass, not one event per block (10,000 cost ~50 ms)
    taken = itertools.count()  # next() is atomic under the GIL
    stop = threading.Event()

    def take() -> bool:
        """Run the next block; False when none is left (or the pass stopped)."""
        if stop.is_set():
            return False
        index = next(taken)  # once taken, a block always runs: the reader waits for every index in turn
        if index >= n:
            return False
        try:
            results[index] = work(slices[index])
        except BaseException as error:
            results[index], failed[index] = error, True
            stop.set()
        done[index] = True  # before the notification: the reader checks under the lock
        with finished:
            finished.notify()
        return True

    def helper():
        while take():
            pass

    pool = _pool(workers - 1)
    futures = [pool.submit(helper) for _ in range(workers - 1)]
    out = 0
    try:
        while out < n:
            if not done[out] and not take():
                with finished:
                    finished.wait_for(lambda index=out: done[index])
            while out < n and done[out]:
                result, results[out] = results[out], None
                if failed[out]:
                    raise result
                yield result
                out += 1
    finally:
        stop.set()
        for future in futures:
            if not future.cancel():  # started: let it finish its block (it may write into the pass's arrays)
                future.result()


def checked_dtype(low, high, center, dtype, weights=None) -> np.dtype:
    """The dtype distances can be computed in, for rows whose columns range over ``[low, high]`` around
    the centre ``center`` (NaN extremes, a column with no observed cell, count as no spread): ``dtype``,
    or float64 with a warning where float32 would overflow.

    A GEMM term ``x . w`` sums ``D`` products of values of the data's scale, so the scale must stay well
    below ``sqrt(max / D)`` of the dtype (float32: about 1e18 for D = 16).  Raises
    :class:`~somnium.exceptions.InvalidValuesInDataSet` when even float64 would overflow.
    """
    spread = np.nan_to_num(np.fmax(np.asarray(high) - center, center - np.asarray(low)), nan=0.0)
    if weights is not None:  # a weighted difference is sqrt(w) times as large
        spread = spread * np.sqrt(weights)
    scale, n_features = float(np.max(spread, initial=0.0)), max(spread.shape[-1], 1)

    def fits(kind):
        return scale < math.sqrt(np.finfo(kind).max / (4 * n_features)) / 10

    if not fits(np.float64):
        from .exceptions import InvalidValuesInDataSet

        raise InvalidValuesInDataSet(
            f"The data span {scale:.3g} around their mean, too large for distances to be computed "
            "without overflow; rescale them (e.g. normalization='standard')."
        )
    if np.dtype(dtype) == np.float32 and not fits(np.float32):
        warn(
            f"The data span {scale:.3g} around their mean, beyond float32's range for distances; "
            "computing in float64 instead (pass dtype='float64' or normalise the data to silence this).",
            UserWarning,
        )
        return np.dtype(np.float64)
    return np.dtype(dtype)


class TrainingData:
    """Normalised rows prepared once for many BMU searches.

    Holds the float64 rows, or float32 rows as given (their sums and errors are float64 either way).  The float32 GEMM path
    multiplies centred rows, ``||w||^2 - 2 x.w`` cancels badly in float32
    unless the data are centred, whatever the normalisation; each tile of rows
    is centred and cast as it is used (:func:`_tile_distances`), so no second
    copy of the data is kept.

    ``missing=True`` accepts NaN for missing cells (``SOM(missing="ignore")``): the rows are scanned
    once, chunk by chunk, for which of them have gaps (``gaps``, one flag per row, or None when none
    has), and passes search and update over each row's observed cells (:func:`epoch_statistics`).
    ``weights`` (one non-negative value per column, or None) weigh each column's squared difference in
    every distance; ``count_weights`` (default: ``weights``) count the columns when a row's distance is
    scaled up for its missing cells (``sum(count_weights) / sum over its observed cells``, the SOM
    Toolbox's ``D / k`` for unit weights).  ``check_scale=False``: the caller has checked the rows' span
    and chosen ``dtype`` with :func:`checked_dtype` (a Dask fit does so once, from the column extremes).
    """

    def __init__(
        self,
        X: np.ndarray,
        center: np.ndarray,
        dtype=np.float32,
        metric="euclidean",
        *,
        missing: bool = False,
        weights=None,
        count_weights=None,
        check_scale: bool = True,
    ):
        # float32 rows stay float32 (half the memory; the statistics still add up in float64)
        self.X = np.ascontiguousarray(
            X, dtype=np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
        )
        self.center = np.asarray(center, dtype=np.float64)
        self.dtype = np.dtype(dtype)
        self.metric = metric
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        if count_weights is None:
            count_weights = self.weights
        self.count_weights = None if count_weights is None else np.asarray(count_weights, dtype=np.float64)
        self.gaps = _row_gaps(self.X) if missing else None
        if (self.gaps is not None or self.weights is not None) and not self.uses_gemm:
            from .exceptions import InvalidValuesInDataSet

            raise InvalidValuesInDataSet(
                f"distance_metric={self.metric!r} cannot skip missing cells or weigh features; use "
                "distance_metric='euclidean' (or 'sqeuclidean') with missing values or feature_weights."
            )
        if self.weights is not None:
            self._check_placeable()
        if check_scale:  # False: the caller checked the data's span and chose the dtype (a Dask fit, once)
            self._check_scale()

    @property
    def masked(self) -> bool:
        """Whether passes take the masked path: some row has a gap, or the columns are weighted."""
        return self.gaps is not None or self.weights is not None

    def _check_placeable(self):
        """Every row needs an observed cell of positive weight: a row with none has no BMU."""
        positive = (self.weights > 0).astype(np.float64)
        for start in range(0, self.n_rows, _SCAN_ROWS):
            chunk = self.X[start : start + _SCAN_ROWS]
            if self.gaps is None:
                observed = np.full(len(chunk), positive.sum())
            else:
                observed = (~np.isnan(chunk)) @ positive
            bad = np.flatnonzero(observed == 0)
            if bad.size:
                from .exceptions import InvalidValuesInDataSet

                rows = ", ".join(str(start + int(r)) for r in bad[:5])
                raise InvalidValuesInDataSet(
                    f"Row(s) {rows} have no observed value in a column of positive weight, so they cannot "
                    "be placed on the map; drop them, or give some of their observed columns a weight."
                )

    def _check_scale(self):
        """Refuse values whose squared distances overflow; fall back from float32 to float64 when that suffices."""
        if self.X.size == 0:
            return
        # The column extremes (fmax/fmin skip missing cells): no N x D temporary.
        if self.gaps is None:
            low, high = self.X.min(axis=0), self.X.max(axis=0)
        else:
            low, high = np.fmin.reduce(self.X, axis=0), np.fmax.reduce(self.X, axis=0)
        self.dtype = checked_dtype(low, high, self.center, self.dtype, self.weights)

    @property
    def uses_gemm(self) -> bool:
        return isinstance(self.metric, str) and self.metric in EUCLIDEAN_METRICS

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    def n_chunks(self, n_nodes: int) -> int:
        """Row blocks of a pass against ``n_nodes`` prototypes (what the thread pool shares out)."""
        return len(_row_blocks(self, n_nodes))

    def statistics(self, codebook, lattice, with_metrics=False, return_bmus=False, n_jobs=None):
        """One pass with a fixed codebook (:func:`epoch_statistics`); the interface the Dask data shares."""
        return epoch_statistics(self, codebook, lattice, with_metrics, return_bmus, n_jobs)

    def bmus(self, codebook, n_jobs=None) -> np.ndarray:
        """Best matching unit of every row (:func:`find_bmus`)."""
        return find_bmus(self, codebook, n_jobs)

    def bmu_distances(self, codebook, n_jobs=None) -> tuple[np.ndarray, np.ndarray]:
        """Best matching unit of every row and the Euclidean distance to it (:func:`find_bmus`)."""
        return find_bmus(self, codebook, n_jobs, with_distances=True)

    def sample(self, fraction: float, rng: np.random.Generator) -> TrainingData:
        """A random ``fraction`` of the rows, without replacement, in their original order."""
        size = max(1, int(math.ceil(fraction * self.n_rows)))
        return self.subset(np.sort(rng.choice(self.n_rows, size, replace=False)))

    def subset(self, rows: np.ndarray) -> TrainingData:
        sub = TrainingData.__new__(TrainingData)
        sub.X, sub.center, sub.dtype, sub.metric = self.X[rows], self.center, self.dtype, self.metric
        sub.weights, sub.count_weights = self.weights, self.count_weights
        sub.gaps = None
        if self.gaps is not None:
            gaps = self.gaps[rows]
            sub.gaps = gaps if gaps.any() else None
        return sub


#: Rows per chunk of the scans for missing cells: their temporaries stay a few MB whatever N.
_SCAN_ROWS = 16384


def has_missing(X: np.ndarray) -> bool:
    """Whether ``X`` holds a missing cell (NaN), scanned chunk by chunk."""
    return _row_gaps(X) is not None


def _row_gaps(X: np.ndarray) -> np.ndarray | None:
    """Per row, whether it has a missing (NaN) cell; None when no row has (no N x D mask is made)."""
    gaps = np.zeros(X.shape[0], dtype=bool)
    ones = np.ones(X.shape[1])
    for start in range(0, X.shape[0], _SCAN_ROWS):
        chunk = X[start : start + _SCAN_ROWS]
        # A row's sum is NaN exactly when it holds a NaN (the rows are finite otherwise): no chunk mask.
        np.isnan(chunk @ ones, out=gaps[start : start + len(chunk)])
    return gaps if gaps.any() else None


def _owned(value):
    """A copy of an array (a running total adds into its own), anything else as it is."""
    return value.copy() if isinstance(value, np.ndarray) else value


@dataclass
class EpochStatistics:
    """Sufficient statistics of one pass over the data with a fixed codebook.

    ``hits`` and ``sums`` drive the batch update; ``abs_error`` (sum over rows of
    the per-feature mean absolute error), ``sq_distance`` (sum of squared
    Euclidean distances to the BMU) and ``topographic_errors`` (count of rows
    whose two best units are not neighbours) give the metrics for free;
    ``distance`` (sum of Euclidean distances) and ``node_abs_error`` (per node,
    the sum of its rows' absolute errors) give the per-node quality maps;
    ``node_distance`` and ``node_sq_distance`` (per node, the sums of its rows'
    distances and squared distances) and ``distances`` (their
    :class:`~somnium._distances.DistanceSketch`) what anomaly scores need.
    A pass that returns BMUs keeps every row's terms instead (``row_distance``, ``row_abs_error``,
    ``row_sq_distance``, in row order, never summed) and leaves the per-node terms and the sketch to
    :meth:`with_node_terms`: a fit's measuring passes read the metrics only, and only the pass a fit
    keeps needs the rest (built then in one pass over the rows).

    With missing cells, ``sums`` add the observed values only and ``counts`` (``n_nodes x
    n_features``) count them; None means every cell was observed (the counts are ``hits``).
    """

    n_rows: int
    hits: np.ndarray
    sums: np.ndarray
    abs_error: float = math.nan
    sq_distance: float = math.nan
    topographic_errors: float = math.nan
    distance: float = math.nan
    node_abs_error: np.ndarray | None = None
    node_distance: np.ndarray | None = None
    node_sq_distance: np.ndarray | None = None
    distances: DistanceSketch | None = None
    row_distance: np.ndarray | None = field(default=None, repr=False)
    counts: np.ndarray | None = None
    row_abs_error: np.ndarray | None = field(default=None, repr=False)
    row_sq_distance: np.ndarray | None = field(default=None, repr=False)

    #: Per-node and distribution terms: summed where both sides have them (or one side has no rows).
    _OPTIONAL = ("node_abs_error", "node_distance", "node_sq_distance", "distances")

    def observed_counts(self) -> np.ndarray:
        """Observed cells per node and feature (``hits`` in every column when nothing was missing)."""
        if self.counts is not None:
            return self.counts
        return np.repeat(self.hits[:, None], self.sums.shape[1], axis=1)

    def __add__(self, other: EpochStatistics) -> EpochStatistics:
        total = EpochStatistics(
            self.n_rows,
            self.hits.copy(),
            self.sums.copy(),
            self.abs_error,
            self.sq_distance,
            self.topographic_errors,
            self.distance,
            **{name: _owned(getattr(self, name)) for name in self._OPTIONAL},
            counts=None if self.counts is None else self.counts.copy(),
        )
        total += other
        return total

    def __iadd__(self, other: EpochStatistics) -> EpochStatistics:
        """Add ``other`` in place (a pass's running total: no new ``n_nodes x D`` arrays per block)."""
        for name in self._OPTIONAL:
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is not None and theirs is not None:
                if isinstance(mine, np.ndarray):
                    mine += theirs  # ours alone: __add__ and the empty case below copy
                    value = mine
                else:
                    value = mine + theirs  # a sketch: merged into a new one
            elif other.n_rows == 0 or self.n_rows == 0:  # an empty part (a Dask partition) lacks nothing
                value = mine if other.n_rows == 0 else _owned(theirs)
            else:
                value = None
            setattr(self, name, value)
        if self.counts is not None or other.counts is not None:
            # before the hits change (without counts they stand for them)
            if self.counts is None:
                self.counts = self.observed_counts()
            self.counts += other.observed_counts()
        self.n_rows += other.n_rows
        self.hits += other.hits
        self.sums += other.sums
        self.abs_error += other.abs_error
        self.sq_distance += other.sq_distance
        self.topographic_errors += other.topographic_errors
        self.distance += other.distance
        # per-row values are gathered by the pass, never summed
        self.row_distance = self.row_abs_error = self.row_sq_distance = None
        return self

    def with_node_terms(self, bmus) -> EpochStatistics:
        """Itself, with the per-node terms and the distance sketch built from its rows' terms and their
        ``bmus`` where the pass kept rows instead (each a sum over the rows in order, as per block)."""
        if self.distances is not None or self.row_distance is None or bmus is None:
            return self
        self._set_node_terms(bmus, self.row_abs_error, self.row_sq_distance, self.row_distance)
        return self

    def _set_node_terms(self, bmus, row_abs, row_sq, distance) -> None:
        """The per-node sums of the rows' errors and distances, and the distances' sketch."""
        n_nodes = self.hits.shape[0]
        self.node_sq_distance = np.bincount(bmus, weights=row_sq, minlength=n_nodes)
        self.node_distance = np.bincount(bmus, weights=distance, minlength=n_nodes)
        self.node_abs_error = np.bincount(bmus, weights=row_abs, minlength=n_nodes)
        self.distances = DistanceSketch.of(distance)

    def metrics(self) -> dict:
        """The history metrics and the mean BMU distance (see :func:`somnium.metrics.from_statistics`)."""
        return metrics.from_statistics(
            self.n_rows, self.hits, self.abs_error, self.sq_distance, self.topographic_errors, self.distance
        )


def _block_rows(n_nodes: int) -> int:
    """Rows whose statistics are summed together: the unit of the thread pool and of the summation order.

    It depends on the map only (never on the thread count), so a fit's sums do not depend on ``n_jobs``.
    It grows with the map so the per-block ``n_nodes x D`` sums stay a small share of the work, and on
    tiny maps so that a block's distances (``rows x nodes``) stay worth a block's fixed costs.
    """
    tiny_map_rows = min(_TINY_MAP_ROWS, _BLOCK_DISTANCES // max(n_nodes, 1))
    return int(min(_MAX_BLOCK_ROWS, max(_BLOCK_ROWS, n_nodes, tiny_map_rows)))


def _tile_rows(n_nodes: int, itemsize: int, block_rows: int) -> int:
    """Rows per distance tile: the tile stays within ``_TILE_BYTES`` (cache-sized) where the map allows."""
    return int(min(block_rows, max(_MIN_TILE_ROWS, _TILE_BYTES // (itemsize * max(n_nodes, 1)))))


def _row_blocks(data: TrainingData, n_nodes: int) -> list[slice]:
    size = _block_rows(n_nodes)
    return [slice(s, min(s + size, data.n_rows)) for s in range(0, data.n_rows, size)]


def _tiles_of(data: TrainingData, block: slice, n_nodes: int):
    """The block's row tiles, as slices of the data and of the block: equal tiles of at most the budget's
    rows, or up to an eighth more where a last sliver would remain (a 30x30 map's 1,165-row blocks are
    two tiles of 583 rows, not 582 + 582 + 1: each tile costs a GEMM call and some Python)."""
    total = block.stop - block.start
    size = _tile_rows(n_nodes, data.dtype.itemsize if data.uses_gemm else 8, total)
    count = -(-total // size)
    if count > 1 and total - (count - 1) * size < size // 8:
        count -= 1
    size = -(-total // count)
    for start in range(block.start, block.stop, size):
        stop = min(start + size, block.stop)
        yield slice(start, stop), slice(start - block.start, stop - block.start)


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


_scratch = threading.local()
#: Work arrays above this size are allocated per use rather than kept by the thread.
_SCRATCH_KEEP_BYTES = 64 * 2**20


def _scratch_array(name: str, shape: tuple, dtype) -> np.ndarray:
    """This thread's reusable work array ``name``, viewed as ``shape`` (contents undefined).

    Used for everything a block needs only while it runs (the distance tile, per-row BMUs and
    errors): fresh temporaries of that size cost page faults on every use wherever the allocator
    returns them to the system at once (Dask's workers set ``MALLOC_TRIM_THRESHOLD_``), and a
    cache-sized tile is only fast if it stays put.  Only ever read within the block that wrote it.
    """
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    if size * dtype.itemsize > _SCRATCH_KEEP_BYTES:  # huge maps: not worth holding after the pass
        return np.empty(shape, dtype=dtype)
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    if buffer is None or buffer.dtype != dtype or buffer.size < size:
        buffer = buffers[name] = np.empty(size, dtype=dtype)
    return buffer[:size].reshape(shape)


def _partial(name: str, shape: tuple, reuse: bool) -> np.ndarray:
    """Zeroed per-node sums (hits, sums, counts) for one block: this thread's scratch ``name`` when
    ``reuse`` (the block is added into the pass's total before the thread's next block), else a new
    array.  Reuse spares a pass the page faults of fresh ``M x D`` arrays per block wherever the
    allocator returns them to the system at once (Dask's workers set ``MALLOC_TRIM_THRESHOLD_``)."""
    if not reuse:
        return np.zeros(shape)
    array = _scratch_array(name, shape, np.float64)
    array.fill(0.0)
    return array


def _centred_rows(data: TrainingData, rows: slice, kernels=None) -> np.ndarray:
    """This thread's ``[x - c, 1]`` for ``rows`` in ``data.dtype``: the GEMM's left side, a trailing one so
    one product adds ``||w||^2`` (see :func:`_prepared_codebook`).

    The numba kernel writes the same values (``x - c`` in float64, rounded once) in one loop, about a
    fifth of the time of numpy's subtraction into the strided columns and the fill of the ones; it also
    writes a missing cell as 0 (numpy's branch is only given rows without gaps).
    """
    n_rows, n_features = rows.stop - rows.start, data.X.shape[1]
    centred = _scratch_array("centred", (n_rows, n_features + 1), data.dtype)
    if kernels is not None:
        kernels.centred_rows(data.X, rows.start, data.center, centred)
    else:
        np.subtract(data.X[rows], data.center, out=centred[:, :-1], casting="unsafe")
        centred[:, -1] = 1.0
    return centred


def _tile_distances(
    data: TrainingData, rows: slice, prepared, transposed: bool = False, kernels=None
) -> np.ndarray:
    """Distances (up to a per-row constant on the GEMM path) from rows to every node.

    ``transposed``: the GEMM path's tile as ``nodes x rows`` (for the numba kernels); the same products
    summed in the same order, so the same float32 values as the ``rows x nodes`` tile.
    ``kernels``: the numba kernels where they are loaded (they centre the rows).
    """
    if data.uses_gemm:
        n_rows = rows.stop - rows.start
        centred = _centred_rows(data, rows, kernels)
        if transposed:
            out = _scratch_array("tile", (prepared.shape[1], n_rows), data.dtype)
            return np.matmul(prepared.T, centred.T, out=out)
        out = _scratch_array("tile", (n_rows, prepared.shape[1]), data.dtype)
        return np.matmul(centred, prepared, out=out)
    from scipy.spatial.distance import cdist

    return cdist(data.X[rows], prepared, metric=data.metric)


def _pass_flops(data: TrainingData, n_nodes: int) -> float:
    return 2.0 * data.n_rows * n_nodes * (data.X.shape[1] + 1)


def _block_statistics(
    data, block, prepared, codebook, lattice, with_metrics, kept, kernels=None, reuse=False
):
    """One block's statistics: distances tile by tile (each read from cache), sums over the block.

    ``kept``: the pass's :class:`_KeptRows` (its BMUs and row terms are written there), or None.
    ``reuse``: the pass adds each block into its total before the next block starts (one thread), so
    the blocks after the first may sum into this thread's scratch (see :func:`_partial`).
    """
    n_nodes, n_features = codebook.shape
    n_rows = block.stop - block.start
    bmu, row_abs, row_sq = _row_arrays(block, with_metrics, kept)
    topographic_errors = 0
    if kernels is not None and data.uses_gemm:
        # One sweep per tile for the BMU, the second BMU's adjacency and the errors; sums in one loop.
        neighbors = lattice.neighbors
        for rows, local in _tiles_of(data, block, n_nodes):
            tile = _tile_distances(data, rows, prepared, transposed=True, kernels=kernels)
            if with_metrics:
                topographic_errors += kernels.tile_top2(
                    tile, data.X, rows.start, codebook, neighbors, bmu, row_abs, row_sq, local.start
                )
            else:
                kernels.tile_argmin(tile, bmu, local.start)
        reuse = block.start > 0 and reuse
        hits, sums = (
            _partial("node_hits", (n_nodes,), reuse),
            _partial("node_sums", (n_nodes, n_features), reuse),
        )
        kernels.node_sums(data.X, block.start, n_rows, bmu, 0, hits, sums)
    else:
        for rows, local in _tiles_of(data, block, n_nodes):
            scores = _tile_distances(data, rows, prepared)
            tile_bmu = bmu[local]
            np.argmin(scores, axis=1, out=tile_bmu)
            if with_metrics:
                topographic_errors += _tile_metrics(
                    data, rows, scores, tile_bmu, codebook, lattice, row_abs[local], row_sq[local]
                )
        hits = np.bincount(bmu, minlength=n_nodes).astype(np.float64)
        # All columns in one bincount over (node, column) bins: the same additions in the same order as a
        # bincount per column, with one output array instead of one per column.
        bins = _scratch_array("bins", (n_rows, n_features), np.intp)
        np.multiply(bmu[:, None], n_features, out=bins)
        np.add(bins, np.arange(n_features), out=bins)
        sums = np.bincount(bins.ravel(), weights=data.X[block].ravel(), minlength=n_nodes * n_features)
        sums = sums.reshape(n_nodes, n_features)
    stats = EpochStatistics(n_rows, hits, sums)
    if with_metrics:
        _add_row_metrics(stats, bmu, row_abs, row_sq, topographic_errors, kept, block)
    return stats


@dataclass(frozen=True)
class _KeptRows:
    """What a pass returning BMUs keeps of every row, written block by block (no concatenation)."""

    bmus: np.ndarray
    abs_error: np.ndarray | None
    sq_distance: np.ndarray | None
    distance: np.ndarray | None

    @classmethod
    def of(cls, n_rows: int, with_metrics: bool) -> _KeptRows:
        rows = (np.empty(n_rows) for _ in range(3)) if with_metrics else (None, None, None)
        return cls(np.empty(n_rows, dtype=np.int64), *rows)


def _row_arrays(block: slice, with_metrics: bool, kept: _KeptRows | None):
    """A block's BMUs and per-row error terms: the pass's kept rows, or this thread's scratch."""
    n_rows = block.stop - block.start
    if kept is not None:
        return (
            kept.bmus[block],
            kept.abs_error[block] if with_metrics else None,
            (kept.sq_distance[block] if with_metrics else None),
        )
    bmu = _scratch_array("bmu", (n_rows,), np.intp)
    if not with_metrics:
        return bmu, None, None
    return (
        bmu,
        _scratch_array("row_abs", (n_rows,), np.float64),
        _scratch_array("row_sq", (n_rows,), np.float64),
    )


def _add_row_metrics(stats, bmu, row_abs, row_sq, topographic_errors, kept, block) -> None:
    """A block's error terms from its per-row errors: the totals and, unless the pass keeps its rows
    (``kept``: the distances go there, the rest waits for :meth:`EpochStatistics.with_node_terms`), the
    per-node sums and the distance sketch."""
    stats.abs_error = float(row_abs.sum())
    stats.sq_distance = float(row_sq.sum())
    stats.topographic_errors = float(topographic_errors)
    out = (
        kept.distance[block] if kept is not None else _scratch_array("row_distance", row_sq.shape, np.float64)
    )
    distance = np.sqrt(row_sq, out=out)
    stats.distance = float(distance.sum())
    if kept is None:
        stats._set_node_terms(bmu, row_abs, row_sq, distance)


def _tile_metrics(data, rows, scores, tile_bmu, codebook, lattice, row_abs, row_sq) -> int:
    """numpy path: a tile's per-row errors (into ``row_abs``, ``row_sq``) and its topographic errors."""
    n_rows, n_features = rows.stop - rows.start, codebook.shape[1]
    diff = _scratch_array("diff", (n_rows, n_features), np.float64)
    np.take(codebook, tile_bmu, axis=0, out=diff)
    np.subtract(data.X[rows], diff, out=diff)
    np.einsum("ij,ij->i", diff, diff, out=row_sq)
    np.abs(diff, out=diff)
    # Row sums as a matrix-vector product: a reduction over rows this short is slow in numpy.
    np.matmul(diff, np.ones(n_features), out=row_abs)
    row_abs /= n_features
    return _second_bmu_errors(scores, tile_bmu, lattice)


# --------------------------------------------------- the masked path: missing cells and feature weights
@dataclass(frozen=True)
class _MaskedCodebook:
    """The codebook in the forms the masked path multiplies with, centred on ``c`` and weighted by ``v``.

    For a row ``x`` with observed cells ``O``, ``x' = x - c`` (0 where missing) and ``w' = w - c``:
    ``sum_O v (x - w)^2 = sum_O v x'^2 - 2 x'.(v w') + sum_O v w'^2``.  The first term is the row's
    own constant (irrelevant to its argmin), so a tile of scores is

    - ``full``, ``(D + 1) x M``: ``[-2 v w'; sum_all v w'^2]`` against rows ``[x', 1]`` -- the plain
      GEMM, exact for complete rows; minus, for each missing cell ``t``, the row ``squares[t]``
      (``v_t w'_t^2``, ``D x M``), which the numba path subtracts row by row (about 0.1 D M
      operations per row at 10% missing, a third of the GEMM);
    - ``stacked``, ``2D x M``: ``[-2 v w'; v w'^2]`` against rows ``[x', observed]`` -- one GEMM of
      twice the width, the numpy path's way (a row loop in numpy would cost more).  A tile whose gaps
      are in a few columns ``G`` only takes those: ``[-2 v w'; sum_(not G) v w'^2; v w'_G^2]`` against
      ``[x', 1, observed_G]``.
    """

    full: np.ndarray
    squares: np.ndarray
    stacked: np.ndarray


def _prepared_masked(data: TrainingData, codebook: np.ndarray) -> _MaskedCodebook:
    centred = codebook - data.center
    weighted = centred if data.weights is None else centred * data.weights
    squares = weighted * centred
    n_nodes, n_features = codebook.shape
    full = np.empty((n_features + 1, n_nodes))
    full[:-1] = -2.0 * weighted.T
    full[-1] = squares.sum(axis=1)
    stacked = np.concatenate([full[:-1], squares.T])
    as_dtype = lambda a: np.ascontiguousarray(a, dtype=data.dtype)  # noqa: E731
    return _MaskedCodebook(as_dtype(full), as_dtype(squares.T), as_dtype(stacked))


def _has_gaps(data: TrainingData, rows: slice) -> bool:
    return data.gaps is not None and bool(data.gaps[rows].any())


def _masked_tile(data: TrainingData, rows: slice, prepared: _MaskedCodebook, kernels, bmu=None) -> np.ndarray:
    """A ``rows x nodes`` tile of scores over each row's observed cells (see :class:`_MaskedCodebook`);
    with ``bmu``, also each row's argmin into it."""
    n_rows, n_features = rows.stop - rows.start, data.X.shape[1]
    out = _scratch_array("tile", (n_rows, prepared.full.shape[1]), data.dtype)
    gaps = _has_gaps(data, rows)
    if not gaps or kernels is not None:
        # A missing cell centres to 0 (the kernel's; the numpy branch only sees rows without gaps).
        np.matmul(_centred_rows(data, rows, kernels), prepared.full, out=out)
        if gaps:
            kernels.tile_missing_squares(out, data.X, rows.start, prepared.squares)
        if bmu is not None:
            np.argmin(out, axis=1, out=bmu)
        return out
    missing = _scratch_array("missing", (n_rows, n_features), bool)
    raw = data.X[rows]
    np.isnan(raw, out=missing)
    gappy = np.flatnonzero(missing.any(axis=0))
    if gappy.size == n_features:  # gaps in every column (missing at random): the precomputed stack
        width, right = 2 * n_features, prepared.stacked
    else:  # gaps in a few columns (as in most real tables): [x', 1, observed(G)] @ [-2 v w'; rest; squares(G)]
        width = n_features + 1 + gappy.size
        right = _scratch_array("stacked", (width, prepared.full.shape[1]), data.dtype)
        right[: n_features + 1] = prepared.full
        right[n_features] -= prepared.squares[gappy].sum(axis=0, dtype=data.dtype)
        right[n_features + 1 :] = prepared.squares[gappy]
    centred = _scratch_array("centred_masked", (n_rows, width), data.dtype)
    values = centred[:, :n_features]
    np.subtract(raw, data.center, out=values, casting="unsafe")
    np.copyto(values, 0.0, where=missing)
    if gappy.size == n_features:
        np.logical_not(missing, out=centred[:, n_features:], casting="unsafe")
    else:
        centred[:, n_features] = 1.0
        np.logical_not(missing[:, gappy], out=centred[:, n_features + 1 :], casting="unsafe")
    np.matmul(centred, right, out=out)
    if bmu is not None:
        np.argmin(out, axis=1, out=bmu)
    return out


def _second_bmu_errors(scores: np.ndarray, tile_bmu: np.ndarray, lattice: Lattice) -> int:
    """Rows of a tile whose second BMU (the first masked in the tile) is not a lattice neighbour of the first."""
    n_rows = scores.shape[0]
    if scores.shape[1] < 2:
        return 0
    # Second BMU by masking the first in the (cached) tile: far cheaper than argpartition.
    scores[np.arange(n_rows), tile_bmu] = np.inf
    second = np.argmin(scores, axis=1)
    return n_rows - lattice.count_adjacent(tile_bmu, second)


def _feature_weights(data: TrainingData):
    """The distance weights, the count weights and their total (ones when not weighted)."""
    n_features = data.X.shape[1]
    weights = data.weights if data.weights is not None else np.ones(n_features)
    counts = data.count_weights if data.count_weights is not None else weights
    return weights, counts, float(counts.sum())


def _masked_row_errors(data, rows, codebook, tile_bmu, row_abs, row_sq, kernels) -> None:
    """Per row: the weighted mean absolute error over its observed cells, and its squared distance
    scaled up for its missing cells (``sum(count weights) / observed count weights``)."""
    weights, counts, total = _feature_weights(data)
    if kernels is not None:
        kernels.masked_row_errors(
            data.X, rows.start, codebook, tile_bmu, weights, counts, total, row_abs, row_sq
        )
        return
    n_rows, n_features = rows.stop - rows.start, codebook.shape[1]
    diff = _scratch_array("diff", (n_rows, n_features), np.float64)
    np.take(codebook, tile_bmu, axis=0, out=diff)
    np.subtract(data.X[rows], diff, out=diff)
    missing = _scratch_array("missing_cells", (n_rows, n_features), bool)
    np.isnan(diff, out=missing)
    np.copyto(diff, 0.0, where=missing)
    observed = _scratch_array("observed", (n_rows, n_features), np.float64)
    np.logical_not(missing, out=observed, casting="unsafe")
    np.einsum("ij,ij,j->i", diff, diff, weights, out=row_sq)
    row_sq *= total / (observed @ counts)
    np.abs(diff, out=diff)
    np.matmul(diff, weights, out=row_abs)
    row_abs /= observed @ weights


def _masked_block_statistics(
    data, block, prepared, codebook, lattice, with_metrics, kept, kernels, reuse=False
):
    """:func:`_block_statistics` over observed cells and with weights: the scores of each tile over its
    rows' observed cells, per-(node, feature) sums and counts of the observed values."""
    n_nodes, _n_features = codebook.shape
    n_rows = block.stop - block.start
    bmu, row_abs, row_sq = _row_arrays(block, with_metrics, kept)
    topographic_errors = 0
    for rows, local in _tiles_of(data, block, n_nodes):
        tile_bmu = bmu[local]
        scores = _masked_tile(data, rows, prepared, kernels, tile_bmu)
        if with_metrics:
            topographic_errors += _second_bmu_errors(scores, tile_bmu, lattice)
            _masked_row_errors(data, rows, codebook, tile_bmu, row_abs[local], row_sq[local], kernels)
    hits, sums, counts = _masked_node_sums(data, block, bmu, n_nodes, kernels, block.start > 0 and reuse)
    stats = EpochStatistics(n_rows, hits, sums, counts=counts)
    if with_metrics:
        _add_row_metrics(stats, bmu, row_abs, row_sq, topographic_errors, kept, block)
    return stats


def _masked_row_distances(data, rows, codebook, tile_bmu) -> np.ndarray:
    """Each row's distance to its BMU over its observed cells, weighted and scaled as the metrics are."""
    n_rows = rows.stop - rows.start
    row_abs, row_sq = np.empty(n_rows), np.empty(n_rows)
    _masked_row_errors(data, rows, codebook, tile_bmu, row_abs, row_sq, None)
    return np.sqrt(row_sq, out=row_sq)


def _masked_node_sums(data, block, bmu, n_nodes, kernels, reuse=False):
    """Hits, per-node sums of the observed values and, when the block has gaps, their counts (else None)."""
    n_rows, n_features = block.stop - block.start, data.X.shape[1]
    gaps = _has_gaps(data, block)
    if kernels is not None:
        hits, sums = (
            _partial("node_hits", (n_nodes,), reuse),
            _partial("node_sums", (n_nodes, n_features), reuse),
        )
        if not gaps:
            kernels.node_sums(data.X, block.start, n_rows, bmu, 0, hits, sums)
            return hits, sums, None
        counts = _partial("node_counts", (n_nodes, n_features), reuse)
        kernels.node_sums_observed(data.X, block.start, n_rows, bmu, hits, sums, counts)
        return hits, sums, counts
    hits = np.bincount(bmu, minlength=n_nodes).astype(np.float64)
    bins = _scratch_array("bins", (n_rows, n_features), np.intp)
    np.multiply(bmu[:, None], n_features, out=bins)
    np.add(bins, np.arange(n_features), out=bins)
    values = data.X[block]
    counts = None
    if gaps:
        values = values.copy()  # one block: zero its missing cells, count the observed ones
        missing = np.isnan(values)
        np.copyto(values, 0.0, where=missing)
        observed = np.logical_not(missing, out=np.empty(values.shape), casting="unsafe")
        counts = np.bincount(bins.ravel(), weights=observed.ravel(), minlength=n_nodes * n_features)
        counts = counts.reshape(n_nodes, n_features)
    sums = np.bincount(bins.ravel(), weights=values.ravel(), minlength=n_nodes * n_features)
    return hits, sums.reshape(n_nodes, n_features), counts


def epoch_statistics(
    data: TrainingData,
    codebook: np.ndarray,
    lattice: Lattice,
    with_metrics: bool = False,
    return_bmus: bool = False,
    n_jobs: int | None = None,
    *,
    prepared_cache: dict | None = None,
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
        Also return the BMU of every row (and, with metrics, keep every row's terms, ``stats.row_distance``
        and the rest, in place of the per-node terms: :meth:`EpochStatistics.with_node_terms` builds those).
    n_jobs : int or None
        None: one thread of blocks, BLAS uses its own threads; k: k threads over
        row blocks with BLAS pinned to one thread.
    prepared_cache : dict or None
        Passes over several parts of one data set with the same codebook, centre and weights (a Dask
        task's partitions) share the codebook's prepared forms through it (filled by the first).

    Returns
    -------
    stats : EpochStatistics
    bmus : ndarray of int64 or None
    """
    # Passes over rows with gaps count like measuring ones: numba's row-by-row corrections save a
    # third of such a pass over the numpy path's GEMM of twice the width.
    flops = _pass_flops(data, codebook.shape[0]) if with_metrics or data.gaps is not None else 0.0
    kernels = numba_kernels(flops) if data.uses_gemm else None
    masked = data.masked
    block_statistics = _masked_block_statistics if masked else _block_statistics
    prepared = None if prepared_cache is None else prepared_cache.get(masked)
    if prepared is None:
        prepared = _prepared_masked(data, codebook) if masked else _prepared_codebook(data, codebook)
        if prepared_cache is not None:
            prepared_cache[masked] = prepared

    kept = _KeptRows.of(data.n_rows, with_metrics) if return_bmus else None
    blocks = _row_blocks(data, codebook.shape[0])
    # On one thread each block is added into the total (the first block, owned) before the next starts.
    reuse = pool_size(n_jobs, len(blocks)) <= 1

    def work(block):
        return block_statistics(data, block, prepared, codebook, lattice, with_metrics, kept, kernels, reuse)

    total = None
    # Reduce as results arrive (in block order, so the sum does not depend on the thread count)
    # instead of holding every block's M x D partial sums.
    for stats in _map_blocks(work, blocks, n_jobs):
        if total is None:
            total = stats
        else:
            total += stats
    if kept is None:
        return total, None
    if with_metrics and total is not None:
        total.row_distance, total.row_abs_error = kept.distance, kept.abs_error
        total.row_sq_distance = kept.sq_distance
    return total, kept.bmus


def find_bmus(data: TrainingData, codebook: np.ndarray, n_jobs: int | None = None, with_distances=False):
    """Best matching unit of every row, int64.

    ``with_distances``: also every row's Euclidean distance to its BMU (float64 from the rows and the
    float64 codebook, as the metrics compute it), tile by tile right after the tile's argmin: returns
    ``(bmus, distances)``.  Rows with missing cells: the distance over their observed cells, scaled by
    ``D / k`` as the search scales it.
    """
    n_nodes = codebook.shape[0]
    kernels = numba_kernels(0.0) if data.uses_gemm else None
    masked = data.masked
    prepared = _prepared_masked(data, codebook) if masked else _prepared_codebook(data, codebook)
    # One output the blocks write into: no concatenation pass over the distances.
    distances = np.empty(data.n_rows) if with_distances else None

    def work(block):
        bmu = np.empty(block.stop - block.start, dtype=np.int64)
        for rows, local in _tiles_of(data, block, n_nodes):
            if masked:
                _masked_tile(data, rows, prepared, kernels, bmu[local])
                if with_distances:
                    distances[rows] = _masked_row_distances(data, rows, codebook, bmu[local])
                continue
            if kernels is not None:
                tile = _tile_distances(data, rows, prepared, transposed=True, kernels=kernels)
                if with_distances:
                    kernels.tile_argmin_distance(
                        tile, data.X, rows.start, codebook, bmu, distances, local.start
                    )
                else:
                    kernels.tile_argmin(tile, bmu, local.start)
                continue
            np.argmin(_tile_distances(data, rows, prepared), axis=1, out=bmu[local])
            if with_distances:
                diff = _scratch_array("diff", (rows.stop - rows.start, codebook.shape[1]), np.float64)
                np.take(codebook, bmu[local], axis=0, out=diff)
                np.subtract(data.X[rows], diff, out=diff)
                out = distances[rows]
                np.einsum("ij,ij->i", diff, diff, out=out)
                np.sqrt(out, out=out)
        return bmu

    parts = list(_map_blocks(work, _row_blocks(data, n_nodes), n_jobs))
    bmus = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return (bmus, distances) if with_distances else bmus


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

    With missing cells (``stats.counts``), each feature has its own denominator: a prototype's
    feature is the neighbourhood-weighted mean of the *observed* values, ``(H @ S) / (H @ C)`` with
    ``C`` the per-(node, feature) counts, and a (node, feature) whose smoothed count is not positive
    keeps its previous value.
    """
    n_features = codebook.shape[1]
    new = codebook.copy()
    if stats.counts is not None:
        smoothed = operator.smooth(np.column_stack([stats.sums, stats.counts]), radius)
        numerator, denominator = smoothed[:, :n_features], smoothed[:, n_features:]
        valid = denominator > 0
        new[valid] = numerator[valid] / denominator[valid]
    else:
        smoothed = operator.smooth(np.column_stack([stats.sums, stats.hits]), radius)
        numerator, denominator = smoothed[:, :n_features], smoothed[:, n_features]
        valid = denominator > 0
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


def principal_axes(X: np.ndarray, n_components: int = 2, missing: bool = False):
    """Mean, top eigenvalues and eigenvectors of the covariance of ``X`` (numpy only; ``missing``: NaN
    cells are missing, see :func:`pairwise_mean_covariance`)."""
    mean, cov = mean_covariance(X, missing)
    values, vectors = covariance_axes(cov, n_components)
    return mean, values, vectors


#: Rows per chunk of :func:`mean_covariance`: its centred copy stays a few MB whatever N.
_COVARIANCE_ROWS = 16384


def mean_covariance(X: np.ndarray, missing: bool = False):
    """Column means and the covariance matrix of ``X`` (float64), chunk by chunk: no centred copy of the data.

    ``missing=True``: NaN cells are missing (see :func:`pairwise_mean_covariance`).
    """
    if missing:
        return pairwise_mean_covariance(X)
    n_rows, n_features = X.shape
    mean = _column_means(X)
    cov = np.zeros((n_features, n_features))
    for start in range(0, n_rows, _COVARIANCE_ROWS):
        centred = X[start : start + _COVARIANCE_ROWS] - mean
        cov += centred.T @ centred
    cov /= max(n_rows - 1, 1)
    return mean, cov


def _column_means(X: np.ndarray) -> np.ndarray:
    """Column means in float64; a column whose sum overflows (values near 1.8e308) is averaged in
    units of its largest magnitude instead, so its mean stays finite."""
    mean = X.mean(axis=0, dtype=np.float64)
    overflowed = ~np.isfinite(mean)
    if overflowed.any() and X.shape[0]:
        with np.errstate(over="ignore"):
            columns = np.asarray(X[:, overflowed], dtype=np.float64)
            unit = np.abs(columns).max(axis=0)
            mean[overflowed] = unit * (columns / unit).mean(axis=0)
    return mean


def pairwise_mean_covariance(X: np.ndarray):
    """Means over each column's observed cells and the pairwise-complete covariance of ``X`` (NaN = missing).

    ``cov[i, j]`` sums ``(x_i - mean_i)(x_j - mean_j)`` over the rows where both are observed and
    divides by that count minus one, about the available-case means (not each pair's own): one pass
    for the means and one for two ``D x D`` accumulations, additive over chunks and partitions.  It
    need not be positive semi-definite; only its two leading eigenvectors are used (PCA
    initialisation, map shape), and negative eigenvalues count as 0.  An EM estimate would be
    exact under missing-at-random but needs a pass per iteration; for the start of a map the
    pairwise one suffices.
    """
    n_rows, n_features = X.shape
    total, count = np.zeros(n_features), np.zeros(n_features)
    for start in range(0, n_rows, _COVARIANCE_ROWS):
        chunk = X[start : start + _COVARIANCE_ROWS]
        observed = np.equal(chunk, chunk)
        total += np.where(observed, chunk, 0.0).sum(axis=0)
        count += observed.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    products, pairs = np.zeros((n_features, n_features)), np.zeros((n_features, n_features))
    for start in range(0, n_rows, _COVARIANCE_ROWS):
        centred = X[start : start + _COVARIANCE_ROWS] - mean
        observed = np.equal(centred, centred).astype(np.float64)
        np.nan_to_num(centred, copy=False, nan=0.0)
        products += centred.T @ centred
        pairs += observed.T @ observed
    return mean, products / np.maximum(pairs - 1.0, 1.0)


def covariance_axes(cov: np.ndarray, n_components: int = 2):
    """Top eigenvalues and eigenvectors of a covariance matrix (from memory or a Dask reduction).

    Raises
    ------
    InvalidValuesInDataSet
        If the covariance overflowed (the data spread too far for float64: rescale them).
    """
    if not np.isfinite(cov).all():
        from .exceptions import InvalidValuesInDataSet

        raise InvalidValuesInDataSet(
            "The data spread too far around their mean for their covariance to be computed in float64 "
            "(it overflows); rescale them (e.g. normalization='standard')."
        )
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


def estimate_mapsize(
    X=None,
    mapsize_scale: float = 5.0,
    lattice: str = "hexa",
    max_nodes: int = AUTO_MAX_NODES,
    *,
    data=None,
    scale=None,
    max_aspect_ratio=None,
):
    """Map size from the data: about ``mapsize_scale * sqrt(N)`` nodes.

    The sides follow the ratio ``sqrt(l1 / l2)`` of the two largest
    covariance eigenvalues (the long side along the columns, so maps are
    landscape like a screen), so the map's shape follows the data's principal plane.

    As in the original Somnium, the node count is ``int(scale * sqrt(N))``,
    the column count ``int(sqrt(nodes * ratio))`` and the row count
    ``int(nodes / cols)``, and its keywords work (``data=``, ``scale=``,
    ``max_aspect_ratio=``, also its positional ``(data, scale,
    max_aspect_ratio)``).  Where the result differs from the original's, it is
    by design:

    * on hexagonal lattices the ratio is divided by ``sqrt(3)/2`` (rows are
      that far apart), so the *drawn* map has the data's aspect ratio; the
      original ignores the lattice (same grid as here on ``"rect"`` maps);
    * every side has at least 2 nodes, the count at least 4 and at most
      ``max_nodes``; the original allows 1 x n maps and, for data with a
      zero second eigenvalue, a single row of ``sqrt(nodes * 1e5)`` columns;
    * ``max_aspect_ratio`` caps the ratio, as the original documents (its
      code ignores it).

    Parameters
    ----------
    X : array-like, shape (n_rows, n_features)
        The data (``data=`` is the original's name).
    mapsize_scale : float, default 5
        Nodes per square root of the row count (``scale=`` is the original's name).
    lattice : str, default "hexa"
        Hexagonal rows are ``sqrt(3)/2`` apart, so they get more rows for the same drawn shape.
    max_nodes : int, default 10000
        Cap on the total for very large ``N``.
    max_aspect_ratio : float, optional
        Cap on the long side over the short side of the drawn map (at least 1).

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
    if data is not None:
        if X is not None:
            raise TypeError("estimate_mapsize() got the data twice (X and data=); pass it once.")
        X = data
    if X is None:
        raise TypeError("estimate_mapsize() needs the data (X, or the original's data=).")
    if scale is not None:
        mapsize_scale = scale
    if not isinstance(lattice, str):
        # the original's positional form: estimate_mapsize(data, scale, max_aspect_ratio)
        if max_aspect_ratio is not None:
            raise TypeError("estimate_mapsize() got max_aspect_ratio twice (third argument and keyword).")
        lattice, max_aspect_ratio = "hexa", lattice
    check_option(lattice, tuple(LATTICES), "lattice", LatticeTypeNotFound)
    X = as_float_array(X)
    values = principal_axes(X, 2)[1] if X.shape[1] >= 2 and X.shape[0] >= 2 else None
    return mapsize_from_spectrum(X.shape[0], values, mapsize_scale, lattice, max_nodes, max_aspect_ratio)


def mapsize_from_spectrum(
    n_rows, values, mapsize_scale=5.0, lattice="hexa", max_nodes=AUTO_MAX_NODES, max_aspect_ratio=None
):
    """:func:`estimate_mapsize` from the row count and the two largest covariance eigenvalues (or None)."""
    mapsize_scale = check_real(mapsize_scale, "mapsize_scale", 0.0, exclusive_minimum=True)
    if max_aspect_ratio is not None:
        max_aspect_ratio = check_real(max_aspect_ratio, "max_aspect_ratio", 1.0)
    # Rounded down, as the original (int()), wherever the choice is only one of rounding.
    n_nodes = min(max(4, int(mapsize_scale * math.sqrt(n_rows))), max_nodes)
    if values is not None:
        ratio = math.sqrt(values[0] / values[1]) if values[1] > 0 else float(n_nodes)
    else:
        ratio = 1.0
    if max_aspect_ratio is not None:
        ratio = min(ratio, max_aspect_ratio)
    # cols / rows that makes the drawn map's width / height equal to ratio
    side_ratio = ratio * (math.sqrt(0.75) if LATTICES.get(lattice, ("rect",))[0] == "hexa" else 1.0)
    cols = max(2, min(n_nodes // 2, int(math.sqrt(n_nodes * side_ratio))))
    rows = max(2, int(n_nodes / cols))
    return rows, cols
