"""Passes over Dask rows: one low-level graph per pass, a task per partition (or per worker thread) summed up a tree.

Every pass over the data (:meth:`DaskData.map_reduce`) is one graph on top of the partitions' own:

- **Data in worker memory** (``X.persist()``) with a ``distributed.Client``: one task per worker
  thread, over the partitions that worker holds (:func:`_group`), so a pass costs a few tasks
  whatever the partition count, and each worker receives the pass's :class:`_PassSpec` (codebook,
  normaliser, lattice, centre) once, inside its tasks: no scatter round trip before the pass.
- **Anything else** (lazily read or generated data, Dask's local scheduler): a task per partition,
  where Dask computes the partition; the spec is scattered once with ``broadcast=True`` (a single
  graph node with the local scheduler) and tasks refer to it.

The results add up a tree of summing tasks with :data:`SPLIT_EVERY` children each; when the pass's
results are small (:data:`CLIENT_SUM_BYTES`), its last at most ``SPLIT_EVERY`` results come back and
are added on the client (a task and a transfer less per pass).  The rows are never gathered.

Partitions of a Dask DataFrame are read by column name, as in memory (a partition whose columns come
in another order is reordered; one that lacks a column is refused, naming the partition).

:class:`DaskData` is :class:`somnium.engine.TrainingData`'s interface over partitions: each epoch,
every partition normalises its block and runs :func:`somnium.engine.epoch_statistics` on it (on the
task's own thread: the workers' threads are the parallelism); the
:class:`~somnium.engine.EpochStatistics` add up.  A distributed failure that retries cannot absorb
(scheduler gone, every worker lost) raises :class:`~somnium.exceptions.ClusterError`.
"""

from __future__ import annotations

import math
import operator
import pickle
import statistics
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import reduce

# Absolute imports: this package is somnium.dask, these are the dask library's modules.
import dask
import numpy as np
from dask._task_spec import DataNode, GraphNode, Task, TaskRef
from dask.delayed import Delayed, delayed
from dask.highlevelgraph import HighLevelGraph, MaterializedLayer

from .. import engine
from .._encoding import TableMapping, distance_weights, encoded_names, normalized_rows
from .._params import check_params
from .._validation import check_finite, float_values, is_dask_dataframe, matched_columns
from ..exceptions import ClusterError, InvalidValuesInDataSet, SomniumError
from ..lattice import Lattice

__all__ = ["SPLIT_EVERY", "ClusterError", "DaskData", "active_client", "model_fields"]

#: Fan-in of the reduction tree: each summing task adds up to this many partitions' statistics.
SPLIT_EVERY = 8
#: A pass's last (at most ``SPLIT_EVERY``) results are added on the client when they hold at most this
#: many bytes in all; larger ones are added by one more task on the cluster.
CLIENT_SUM_BYTES = 16 * 2**20
#: A fit warns when a pass runs a task for each of more than ``TINY_PARTITION_COUNT`` partitions of fewer
#: than ``TINY_PARTITION_ROWS`` rows (median): each task costs the scheduler milliseconds per pass
#: (issue 21 measured ~2.5 ms), more than the SOM's own work on such a partition.
TINY_PARTITION_ROWS = 10_000
TINY_PARTITION_COUNT = 32
#: A pass's spec travels inside its per-worker tasks when its copies hold at most this many bytes in
#: all (one copy per task); a larger one is scattered to every worker first.
INLINE_SPEC_BYTES = 16 * 2**20
#: A partition moves to a less busy worker only if that lowers the busiest worker's rows per thread by at
#: least this share (a move costs a transfer of the partition; see :func:`_balanced`).
REBALANCE_GAIN = 0.05


# ------------------------------------------------------------------ the client
def active_client():
    """The current ``distributed.Client`` (``get_client`` semantics), or None for Dask's default scheduler."""
    if "distributed" not in sys.modules:  # no client can exist without distributed imported
        return None
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


_CLUSTER_FAILURES = {
    "KilledWorker",
    "CancelledError",
    "FutureCancelledError",
    "CommClosedError",
    "FutureLost",
    "TimeoutError",
    "StreamClosedError",
}


def _is_cluster_failure(error: BaseException) -> bool:
    """Workers or the scheduler lost for good (not an error of the data or of the task's own code)."""
    if isinstance(error, SomniumError):
        return False
    return bool({cls.__name__ for cls in type(error).__mro__} & _CLUSTER_FAILURES)


# -------------------------------------------------------- per-partition work
def _partition_label(index) -> str:
    return f"Partition {index} of X"


def _partition_values(block, names, index) -> np.ndarray:
    """The partition's rows as float64, a DataFrame's columns read by name in the order ``names``.

    A Dask DataFrame's partitions need not have its declared columns in the declared order (a
    ``from_delayed`` or ``from_map`` source with an inconsistent meta): they are matched by name, as
    in memory, and a partition lacking a column (or with unexpected ones) is refused, naming it.
    """
    if names is None or not hasattr(block, "columns") or getattr(block, "ndim", 2) != 2:
        return float_values(block)
    if len(block.columns) != len(names) or any(
        str(given) != name for given, name in zip(block.columns, names)
    ):
        try:
            block = matched_columns(block, names)
        except InvalidValuesInDataSet as error:
            raise InvalidValuesInDataSet(
                f"{_partition_label(index)} does not have the columns its Dask DataFrame declares: "
                f"{error} Every partition must hold the same columns (in any order)."
            ) from None
    return float_values(block)


def _checked_values(block, index, names, probe) -> np.ndarray:
    """The partition's rows, refused (naming the partition) with NaN/inf or values outside ``probe``'s domain."""
    X = _partition_values(block, names, index)
    check_finite(X, names, where=_partition_label(index))
    if probe is not None:
        try:
            probe._check_domain(X, names)
        except InvalidValuesInDataSet as error:
            raise InvalidValuesInDataSet(f"{_partition_label(index)}: {error}") from None
    return X


@dataclass
class _Moments:
    """Column moments of some rows, combinable across partitions (Chan et al.'s parallel formula)."""

    n: int
    mean: np.ndarray
    m2: np.ndarray  # sum of squared deviations from the mean: per column, or the co-moment matrix
    low: np.ndarray
    high: np.ndarray
    log_sum: np.ndarray | None = None
    lengths: tuple = ()  # (partition index, rows) of every partition summed in

    def __add__(self, other: _Moments) -> _Moments:
        lengths = self.lengths + other.lengths
        if other.n == 0:
            return replace(self, lengths=lengths)
        if self.n == 0:
            return replace(other, lengths=lengths)
        n = self.n + other.n
        delta = other.mean - self.mean
        weight = self.n * other.n / n
        # Overflow (data spread beyond float64's squares) is reported by the covariance's check with
        # advice, not as numpy's RuntimeWarning on the way there.
        with np.errstate(over="ignore", invalid="ignore"):
            correction = np.outer(delta, delta) if self.m2.ndim == 2 else delta * delta
            m2 = self.m2 + other.m2 + correction * weight
        log_sum = None if self.log_sum is None else self.log_sum + other.log_sum
        return _Moments(
            n,
            self.mean + delta * (other.n / n),
            m2,
            np.minimum(self.low, other.low),
            np.maximum(self.high, other.high),
            log_sum,
            lengths,
        )

    @classmethod
    def of(cls, X: np.ndarray, covariance: bool, with_log: bool, index) -> _Moments:
        n, d = X.shape
        log_sum = None
        if with_log:
            log_sum = np.log(np.where(X > 0, X, 1.0)).sum(axis=0) if n else np.zeros(d)
        if n == 0:
            m2 = np.zeros((d, d) if covariance else d)
            return cls(0, np.zeros(d), m2, np.full(d, np.inf), np.full(d, -np.inf), log_sum, ((index, 0),))
        mean = X.mean(axis=0)
        deviation = X - mean
        with np.errstate(over="ignore", invalid="ignore"):  # reported with advice by the covariance check
            m2 = deviation.T @ deviation if covariance else np.einsum("ij,ij->j", deviation, deviation)
        return cls(n, mean, m2, X.min(axis=0), X.max(axis=0), log_sum, ((index, n),))

    def affine(self, shift, scale) -> _Moments:
        """The moments of ``(X - shift) / scale`` (``scale > 0``), without another pass."""
        m2 = self.m2 / (np.outer(scale, scale) if self.m2.ndim == 2 else scale * scale)
        low, high = (self.low - shift) / scale, (self.high - shift) / scale
        return replace(self, mean=(self.mean - shift) / scale, m2=m2, low=low, high=high)

    def standard_parameters(self):
        """Centre and scale as :class:`~somnium.normalization.StandardNormalizer` fits them."""
        m2 = np.diag(self.m2) if self.m2.ndim == 2 else self.m2
        std = np.sqrt(m2 / self.n)
        constant = self.low == self.high
        return np.where(constant, self.low, self.mean), np.where(constant | (std == 0), 1.0, std)


def _partition_moments(block, spec, index):
    names, probe, transform, covariance, with_log = spec
    X = _checked_values(block, index, names, probe)
    if transform is not None:
        X = transform(X)
    return _Moments.of(X, covariance, with_log, index)


@dataclass(frozen=True)
class _PassSpec:
    """Everything a partition task needs besides its rows; travels once per pass."""

    normalizer: object
    center: np.ndarray
    dtype: str
    metric: object
    names: tuple | None
    codebook: np.ndarray | None = None
    lattice: Lattice | None = None
    with_metrics: bool = False
    validate: bool = True
    # A table with missing cells or categories (SOM(missing="ignore"), categorical="onehot"): the
    # model's mapping (somnium._encoding.TableMapping) turns each partition into rows, checking them.
    table: object = None
    missing: bool = False
    weights: np.ndarray | None = None
    count_weights: np.ndarray | None = None

    #: Load the numba kernels before the pass: the client decided as an in-memory fit would for the
    #: whole pass (:func:`somnium.engine.numba_wanted`); a worker sees only its share of the work.
    numba: bool = False
    #: False once the client has checked the data's span and chosen the dtype (:meth:`DaskData.span_checked`):
    #: the partitions then skip the check every pass.
    check_scale: bool = True
    #: The codebook's prepared forms, made on a worker by its first partition and shared by the
    #: partitions of its task (empty when the spec is sent: it fills after unpickling).
    prepared: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["prepared"] = {}  # never sent: a worker makes its own
        return state

    def training_data(self, Xn) -> engine.TrainingData:
        return engine.TrainingData(
            Xn,
            self.center,
            self.dtype,
            self.metric,
            missing=self.missing,
            weights=self.weights,
            count_weights=self.count_weights,
            check_scale=self.check_scale,
        )


def _normalized(block, spec: _PassSpec, index, scratch: bool = False) -> np.ndarray:
    """The partition's rows in the model's normalised space.

    ``scratch``: into this thread's work array (float64 rows), for a pass that drops them before the
    thread's next partition: no fresh partition-sized array per pass, whose pages the workers' trimmed
    allocator would fault in again every time.
    """
    if spec.table is not None:
        try:
            return normalized_rows(spec.table, block, "ignore" if spec.missing else "error")
        except InvalidValuesInDataSet as error:
            raise InvalidValuesInDataSet(f"{_partition_label(index)}: {error}") from None
    if spec.validate:
        X = _checked_values(block, index, spec.names, spec.normalizer)
    else:
        X = _partition_values(block, spec.names, index)
    if scratch and X.dtype == np.float64 and X.ndim == 2:
        rows = engine._scratch_array("partition_rows", X.shape, np.float64)
        np.copyto(rows, X)
        return spec.normalizer._transform_owned(rows)
    return spec.normalizer.transform(X)


def _empty_statistics(spec: _PassSpec) -> engine.EpochStatistics:
    n_nodes, n_features = spec.codebook.shape
    stats = engine.EpochStatistics(0, np.zeros(n_nodes), np.zeros((n_nodes, n_features)))
    if spec.with_metrics:
        stats.abs_error = stats.sq_distance = stats.topographic_errors = stats.distance = 0.0
        stats.node_abs_error = np.zeros(n_nodes)
    return stats


def _partition_statistics(block, spec: _PassSpec, index, selection=None):
    """One partition's :class:`~somnium.engine.EpochStatistics` for the pass's codebook."""
    if selection is not None:
        count, seed = selection
        rows = np.sort(np.random.default_rng(seed).choice(len(block), count, replace=False))
        block = (
            block.iloc[rows]
            if hasattr(block, "iloc") and spec.table is not None
            else _partition_values(block, spec.names, index)[rows]
        )
    if len(block) == 0:
        return _empty_statistics(spec)
    Xn = _normalized(block, spec, index, scratch=True)
    if spec.numba:
        engine.numba_kernels()  # loads them (a no-op once loaded, or without numba)
    data = spec.training_data(Xn)
    with engine.on_calling_thread():  # the worker's threads are the parallelism
        stats, _ = engine.epoch_statistics(
            data, spec.codebook, spec.lattice, spec.with_metrics, n_jobs=1, prepared_cache=spec.prepared
        )
    return stats


def _block_bmus(block, spec: _PassSpec, block_info=None):
    index = block_info[0]["chunk-location"][0] if block_info else "?"
    if len(block) == 0:
        return np.zeros(0, dtype=np.int64)
    Xn = _normalized(block, spec, index)
    with engine.on_calling_thread():
        return spec.training_data(Xn).bmus(spec.codebook, n_jobs=1)


def _partition_bmus(frame, spec: _PassSpec, partition_info=None):
    import pandas as pd

    index = partition_info["number"] if partition_info else "?"
    return pd.Series(
        _block_bmus(frame, spec, {0: {"chunk-location": (index,)}}), index=frame.index, name="bmu"
    )


def _block_bmu_distances(block, spec: _PassSpec, index) -> tuple[np.ndarray, np.ndarray]:
    """The partition's rows' BMUs and distances to them, as ``model.bmu_distance`` finds them."""
    Xn = _normalized(block, spec, index)
    if Xn.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    with engine.on_calling_thread():
        data = engine.TrainingData(Xn, spec.center, spec.dtype, spec.metric)
        return data.bmu_distances(spec.codebook, n_jobs=1)


def _block_distances(block, spec_and_scale, block_info=None):
    """The partition's rows' BMU distances (over their node's scale when one is given)."""
    spec, scale = spec_and_scale
    index = block_info[0]["chunk-location"][0] if block_info else "?"
    bmus, distances = _block_bmu_distances(block, spec, index)
    return distances if scale is None else distances / scale[bmus]


def _partition_distances(frame, spec_and_scale, partition_info=None):
    import pandas as pd

    index = partition_info["number"] if partition_info else "?"
    values = _block_distances(frame, spec_and_scale, {0: {"chunk-location": (index,)}})
    return pd.Series(values, index=frame.index, name="bmu_distance")


def _block_normalized(block, spec: _PassSpec, block_info=None):
    index = block_info[0]["chunk-location"][0] if block_info else "?"
    return _normalized(block, spec, index)


def _partition_normalized(frame, spec: _PassSpec, partition_info=None):
    import pandas as pd

    index = partition_info["number"] if partition_info else "?"
    columns = list(spec.names) if spec.table is None else encoded_names(spec.table)
    if len(frame) == 0:
        return pd.DataFrame({name: np.zeros(0) for name in columns}, index=frame.index)
    return pd.DataFrame(_normalized(frame, spec, index), index=frame.index, columns=columns)


def model_fields(model, state) -> dict:
    """What a pass needs of a model besides its codebook: normaliser, centre, checked dtype and metric,
    and for tables with missing cells or categories the mapping, the missing flag and the weights."""
    params = check_params(model.get_params())
    weights, counts = distance_weights(state, params["feature_weights"])
    missing = params["missing"] == "ignore"
    return dict(
        normalizer=state.normalizer,
        center=state.center,
        dtype=params["dtype"],
        metric=params["distance_metric"],
        table=TableMapping.of(state) if missing or state.encoder is not None else None,
        missing=missing,
        weights=weights,
        count_weights=counts,
    )


def _sum(*parts):
    return reduce(operator.add, parts)


def _size(spec) -> int:
    """Bytes of ``spec`` pickled (what one copy of it costs to send)."""
    return len(pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL))


def _group(func, spec, indices, extras, *blocks):
    """``func`` on several partitions a worker holds, added in partition order: one task instead of several."""
    total = None
    for block, index, extra in zip(blocks, indices, extras, strict=True):
        result = func(block, spec, index, *extra)
        if total is None:
            total = result
        else:  # the first result is this task's own: add into it (no new M x D arrays per partition)
            total += result
    return total


# ------------------------------------------------------------ where data live
def _held_keys(graph, key):
    """The keys in worker memory (futures) that partition ``key`` is read from, or None if it is computed.

    Walks the partition's graph from ``key`` down to futures (a persisted collection's keys, behind
    aliases or cheap tasks such as a column selection); any source that is not a future (a file read,
    an embedded array, a generator) means the partition is recomputed every pass: None.
    """
    from dask.core import get_dependencies

    held, stack, seen = [], [key], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        value = graph.get(current) if hasattr(graph, "get") else None
        if value is None or (isinstance(value, TaskRef) and value.key == current):
            held.append(current)  # a future (or a key only the cluster knows)
            continue
        dependencies = (
            value.dependencies if isinstance(value, GraphNode) else get_dependencies(graph, current)
        )
        if not dependencies:
            return None
        stack.extend(dependencies)
    return held


def _worker_groups(client, parts, lengths) -> tuple[dict[tuple, str] | None, bool]:
    """Partitions grouped by the worker thread that will read them, each group with its worker's address:
    the partitions balanced over the workers (:func:`_balanced`), then per worker split into at most
    ``nthreads`` groups of about equal rows; None unless every partition is in worker memory.

    Also whether the answer holds for later passes: False while some held partition is not (yet, or
    no longer) in worker memory (``persist`` returns before its tasks finish), so a later pass asks again.
    """
    held = [_held_keys(part.dask, part.key) for part in parts]
    if any(keys is None for keys in held):
        return None, True
    where = client.sync(client.scheduler.who_has, keys=list({k for keys in held for k in keys}))
    threads = {
        address: max(1, int(info.get("nthreads", 1)))
        for address, info in client.scheduler_info()["workers"].items()
    }
    by_worker: dict = {address: [] for address in threads}
    for index, keys in enumerate(held):
        holders = Counter(where[k][0] for k in keys if where.get(k))
        if not keys or sum(holders.values()) < len(keys):
            return None, False  # still computing, or released or lost: Dask places the work this pass
        by_worker.setdefault(holders.most_common(1)[0][0], []).append(index)
    size = (lambda i: lengths[i]) if lengths is not None else (lambda i: 1)
    groups = {}
    for worker, members in _balanced(by_worker, threads, size).items():
        n_groups = max(1, min(threads.get(worker, 1), len(members)))
        loads, buckets = [0] * n_groups, [[] for _ in range(n_groups)]
        for index in sorted(members, key=lambda i: (-size(i), i)):  # longest first, to the lightest group
            lightest = loads.index(min(loads))
            buckets[lightest].append(index)
            loads[lightest] += size(index)
        groups.update((tuple(sorted(bucket)), worker) for bucket in buckets if bucket)
    return dict(sorted(groups.items())), True


def _balanced(by_worker: dict, threads: dict, size) -> dict:
    """``by_worker`` (address -> the partitions it holds) with whole partitions moved from the workers with
    the most rows per thread to those with the fewest, while a move lowers the busiest worker's rows per
    thread by at least :data:`REBALANCE_GAIN`.

    A pass lasts as long as its busiest worker: ``persist`` often leaves 5 partitions on one worker and
    3 on the other, and the first then computes for 5/4 of the even share while the second idles (W2,
    200,000 x 32 rows: 0.41 against 0.25 s per pass).  A moved partition is fetched by Dask from its
    holder before the task starts; Dask's memory manager then keeps one of the two copies, so a later
    pass fetches it again at worst.
    """
    assigned = {worker: list(members) for worker, members in by_worker.items()}
    load = {worker: sum(map(size, members)) for worker, members in assigned.items()}

    def per_thread(worker, rows=None):
        return (load[worker] if rows is None else rows) / threads.get(worker, 1)

    for _ in range(sum(map(len, assigned.values()))):
        busiest = max(assigned, key=lambda w: (per_thread(w), w))
        idlest = min(assigned, key=lambda w: (per_thread(w), w))
        if busiest == idlest:
            break

        def after(index, busiest=busiest, idlest=idlest):  # the busier of the two once it moved
            rows = size(index)
            return max(per_thread(busiest, load[busiest] - rows), per_thread(idlest, load[idlest] + rows))

        best = min(assigned[busiest], key=lambda i: (after(i), i), default=None)
        if best is None or after(best) > (1.0 - REBALANCE_GAIN) * per_thread(busiest):
            break
        assigned[busiest].remove(best)
        assigned[idlest].append(best)
        load[busiest] -= size(best)
        load[idlest] += size(best)
    return {worker: members for worker, members in assigned.items() if members}


# ------------------------------------------------------------------ the data
@dataclass
class DaskData:
    """A Dask collection prepared for SOM passes (the interface of :class:`somnium.engine.TrainingData`)."""

    collection: object
    normalizer: object
    center: np.ndarray
    dtype: str
    metric: object
    names: tuple | None
    validate: bool = True
    lengths: tuple | None = None  # rows per partition, once a pass has counted them
    selection: list | None = None  # per partition (rows, seed) of a subsample
    parts: list = field(default=None, repr=False)
    # Shared by the copies (subsamples) of one fit's data, so a lost cluster fails every later pass at once.
    health: dict = field(default_factory=dict, repr=False)
    # Shared too: the fit's measuring work so far, which decides whether workers load numba.
    work: dict = field(default_factory=dict, repr=False)
    table: object = None  # as _PassSpec.table
    missing: bool = False
    weights: np.ndarray | None = None
    count_weights: np.ndarray | None = None
    scale_checked: bool = False  # the client checked the span and chose the dtype (span_checked)

    @classmethod
    def of_model(cls, collection, model, state, names, **fields) -> DaskData:
        """``collection`` prepared with ``model``'s checked parameters and ``state``'s table mapping."""
        return cls(collection, names=names, **model_fields(model, state), **fields)

    # Shared too: which worker thread reads which partitions (found at the first pass on a cluster).
    placement: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if self.parts is None:
            parts = self.collection.to_delayed()
            self.parts = list(parts.ravel()) if hasattr(parts, "ravel") else list(parts)
        # The partitions usually share one graph; depending on it once keeps a pass's graph O(partitions).
        shared = all(part.dask is self.parts[0].dask for part in self.parts)
        self._roots = self.parts[:1] if shared and self.parts else self.parts

    def span_checked(self, low: np.ndarray, high: np.ndarray) -> DaskData:
        """This data with the dtype chosen once for every pass, from the normalised rows' column extremes
        (:func:`somnium.engine.checked_dtype`, as an in-memory fit chooses it): the warning reaches the
        caller instead of a worker's log, and the partitions skip the check every pass."""
        dtype = engine.checked_dtype(low, high, self.center, self.dtype, self.weights)
        return replace(self, dtype=dtype.name, scale_checked=True)

    def trusted(self, moments: _Moments) -> DaskData:
        """This data, checked by a pass: epochs skip the per-partition NaN/domain checks and know the counts."""
        lengths = tuple(n for _, n in sorted(moments.lengths))
        return replace(self, validate=False, lengths=lengths)

    # ------------------------------------------------------------------ passes
    def map_reduce(self, name: str, func, spec, extra=None, payload: int | None = None):
        """``func(partition, spec, index, *extra[index])`` on every partition, summed in one pass.

        One low-level graph per pass on top of the partitions' own (built once; persisted data are
        futures): a task per worker thread over the partitions it holds, or a task per partition
        (see the module's docstring), then summing tasks of ``SPLIT_EVERY`` children.  ``payload``:
        the bytes of one result, if known; small results are added on the client.
        """
        if not self.parts:
            raise InvalidValuesInDataSet("X has no partitions; pass at least one row of data.")
        if "failure" in self.health:
            raise ClusterError(
                f"The Dask cluster already failed in an earlier pass: {self.health['failure']}"
            )
        client = active_client()
        try:
            return self._run(client, name, func, spec, extra or [()] * len(self.parts), payload)
        except BaseException as error:
            if client is None or not (client.status != "running" or _is_cluster_failure(error)):
                raise
            self.health["failure"] = error
            address = getattr(getattr(client, "scheduler", None), "address", None) or "unknown"
            if client.status != "running":
                what = f"went away: the client's connection to the scheduler is {client.status}"
            else:
                what = f"failed: {type(error).__name__}: {error}"
            raise ClusterError(
                f"The Dask cluster (scheduler {address}) {what}, during a pass over the data. Start a new "
                "cluster and client and repeat the call; a fit kept its last completed epoch, so fit again "
                "to continue it."
            ) from error

    def _run(self, client, name, func, spec, extra, payload):
        token = f"somnium-{name}-{uuid.uuid4().hex[:12]}"
        layer = {}
        groups = self._groups(client)
        if client is None:  # the local scheduler: the spec is one node of the graph
            spec_key = f"somnium-spec-{uuid.uuid4().hex[:12]}"
            layer[spec_key] = DataNode(spec_key, spec)
            spec_ref, scattered = TaskRef(spec_key), None
        elif groups is not None and len(groups) * _size(spec) <= INLINE_SPEC_BYTES:
            spec_ref, scattered = spec, None  # inside each worker's task: no round trip before the pass
        else:
            # In a list, so a tuple or dict spec travels as one object rather than one future per item.
            (scattered,) = client.scatter([spec], broadcast=True, hash=False)
            spec_ref = scattered
        keys, pinned = [], {}
        if groups is None:
            for i, part in enumerate(self.parts):
                keys.append((token, i))
                layer[keys[-1]] = Task(keys[-1], func, TaskRef(part.key), spec_ref, i, *extra[i])
        else:
            for g, members in enumerate(groups):
                keys.append((token, g))
                refs = [TaskRef(self.parts[i].key) for i in members]
                layer[keys[-1]] = Task(
                    keys[-1], _group, func, spec_ref, members, tuple(extra[i] for i in members), *refs
                )
                pinned[keys[-1]] = [groups[members]]
        small = payload is not None and payload * SPLIT_EVERY <= CLIENT_SUM_BYTES
        top = SPLIT_EVERY if small else 1  # results the client adds itself
        level = 0
        while len(keys) > top:
            parents = []
            for start in range(0, len(keys), SPLIT_EVERY):
                parents.append((f"{token}-sum", level, start))
                layer[parents[-1]] = Task(
                    parents[-1], _sum, *(TaskRef(k) for k in keys[start : start + SPLIT_EVERY])
                )
            keys, level = parents, level + 1
        # Each group runs on the worker _balanced chose (elsewhere only if that worker is gone).
        annotations = {"workers": pinned.get, "allow_other_workers": True} if pinned else None
        graph = HighLevelGraph.from_collections(
            token, MaterializedLayer(layer, annotations=annotations), dependencies=self._roots
        )
        roots = [Delayed(key, graph, layer=token) for key in keys]
        if client is None:
            # The local scheduler's threads are the parallelism: one BLAS thread each.
            with engine.thread_limits(1):
                return _sum(*dask.compute(*roots))
        try:
            return _sum(*client.gather(client.compute(roots)))
        finally:
            if scattered is not None:
                scattered.release()

    def _groups(self, client) -> dict[tuple, str] | None:
        """Partitions grouped per worker thread (data in worker memory), each group with the address of the
        worker that runs it; found once per collection (once in memory)."""
        if client is None or len(self.parts) < 2:
            return None
        if "groups" in self.placement:
            return self.placement["groups"]
        groups, final = _worker_groups(client, self.parts, self.lengths)
        if final:
            self.placement["groups"] = groups
        return groups

    def _moments(self, names, probe, transform, covariance=False, with_log=False) -> _Moments:
        """Column moments of the rows (``transform`` applied), checking NaN/inf and ``probe``'s domain."""
        n_features = len(names) if names is not None else self.collection.shape[1]
        payload = 8 * (n_features * n_features + 5 * n_features) + 64 * len(self.parts)
        spec = (names, probe, transform, covariance, with_log)
        return self.map_reduce("moments", _partition_moments, spec, payload=payload)

    def tiny_partitions(self) -> str | None:
        """What to do about many tiny partitions that passes visit one task each, or None (no warning)."""
        if self.lengths is None or len(self.lengths) <= TINY_PARTITION_COUNT:
            return None
        typical = statistics.median(self.lengths)
        if typical >= TINY_PARTITION_ROWS:
            return None
        if active_client() is not None and all(_held_keys(p.dask, p.key) is not None for p in self.parts):
            return None  # in worker memory: a pass runs a task per worker thread, whatever the count
        n_rows = sum(self.lengths)
        target = max(1, math.ceil(n_rows / 100_000))
        return (
            f"X has {len(self.lengths)} partitions of {typical:g} rows (median): every pass over the data "
            "runs a task per partition, and each costs the scheduler milliseconds, more than the SOM's own "
            f"work on so few rows. Repartition to fewer, larger partitions (X.repartition(npartitions={target}) "
            f"for a Dask DataFrame, X.rechunk({{0: {math.ceil(n_rows / target)}}}) for a Dask array), or "
            "persist X on a distributed cluster (X = client.persist(X)) so a pass runs one task per worker thread."
        )

    @property
    def n_rows(self) -> int:
        if self.selection is not None:
            return int(sum(count for count, _ in self.selection))
        if self.lengths is None:
            chunks = getattr(self.collection, "chunks", None)
            if chunks is not None and not any(math.isnan(c) for c in chunks[0]):
                self.lengths = tuple(int(c) for c in chunks[0])
            else:
                moments = self._moments(self.names, None, None)
                self.lengths = tuple(n for _, n in sorted(moments.lengths))
        return int(sum(self.lengths))

    def _spec(self, codebook=None, lattice=None, with_metrics=False, numba=False) -> _PassSpec:
        return _PassSpec(
            self.normalizer,
            self.center,
            self.dtype,
            self.metric,
            self.names,
            None if codebook is None else np.ascontiguousarray(codebook, dtype=np.float64),
            lattice,
            bool(with_metrics),
            self.validate,
            self.table,
            self.missing,
            self.weights,
            self.count_weights,
            numba,
            not self.scale_checked,
        )

    def statistics(self, codebook, lattice, with_metrics=False, return_bmus=False, n_jobs=None):
        """One pass with a fixed codebook: the summed per-partition statistics and no BMUs (None)."""
        extra = [(selection,) for selection in self.selection] if self.selection is not None else None
        n_nodes, n_features = np.shape(codebook)
        numba = False
        if active_client() is not None and with_metrics and self.metric in engine.EUCLIDEAN_METRICS:
            # Counted for the whole pass, as in memory (the local scheduler's tasks count themselves).
            known = self.selection is not None or self.lengths is not None
            flops = 2.0 * n_nodes * (n_features + 1) * self.n_rows if known else 0.0
            self.work["flops"] = self.work.get("flops", 0.0) + flops
            numba = engine.numba_wanted(self.work["flops"], flops)
        spec = self._spec(codebook, lattice, with_metrics, numba)
        # hits, sums (and observed counts with gaps), per-node errors and distances; the sketch is small
        payload = 8 * n_nodes * (n_features * (2 if self.missing else 1) + 5)
        return self.map_reduce("statistics", _partition_statistics, spec, extra, payload), None

    def sample(self, fraction: float, rng: np.random.Generator) -> DaskData:
        """``ceil(fraction * n_rows)`` rows drawn uniformly without replacement, selected inside the partitions.

        The per-partition counts come from a multivariate hypergeometric draw, the rows within a
        partition from a seed drawn from ``rng``: reproducible for a seeded model.
        """
        lengths = np.asarray(self.lengths if self.lengths is not None else self._counted_lengths())
        size = max(1, int(math.ceil(fraction * lengths.sum())))
        counts = rng.multivariate_hypergeometric(lengths, size)
        seeds = rng.integers(0, 2**63, size=len(lengths))
        return replace(self, selection=[(int(c), int(s)) for c, s in zip(counts, seeds)])

    def _counted_lengths(self):
        self.n_rows  # noqa: B018 - counts the rows
        return self.lengths

    def _lazy_spec(self, codebook):
        return delayed(self._spec(codebook), name=f"somnium-spec-{uuid.uuid4().hex[:12]}", traverse=False)

    def bmus(self, codebook, n_jobs=None):
        """Best matching unit of every row, lazily: a dask array (a dask Series with the index for a DataFrame)."""
        spec = self._lazy_spec(codebook)
        if self.names is not None and is_dask_dataframe(self.collection):
            import pandas as pd

            meta = pd.Series(np.zeros(0, dtype=np.int64), name="bmu")
            return self.collection.map_partitions(_partition_bmus, spec, meta=meta)
        return self.collection.map_blocks(_block_bmus, spec, dtype=np.int64, drop_axis=1)

    def bmu_distances(self, codebook, scale=None):
        """Every row's distance to its BMU (over ``scale[bmu]`` when given), lazily: a dask array, or a
        dask Series named ``bmu_distance`` with the index for a DataFrame."""
        spec = delayed(
            (self._spec(codebook), scale), name=f"somnium-spec-{uuid.uuid4().hex[:12]}", traverse=False
        )
        if self.names is not None and is_dask_dataframe(self.collection):
            import pandas as pd

            meta = pd.Series(np.zeros(0), name="bmu_distance")
            return self.collection.map_partitions(_partition_distances, spec, meta=meta)
        return self.collection.map_blocks(_block_distances, spec, dtype=np.float64, drop_axis=1)

    def normalized(self):
        """The rows in the model's normalised space, lazily (a dask DataFrame keeps its index and columns)."""
        spec = self._lazy_spec(None)
        if is_dask_dataframe(self.collection):
            import pandas as pd

            columns = self.names if self.table is None else encoded_names(self.table)
            meta = pd.DataFrame({name: np.zeros(0) for name in columns})
            return self.collection.map_partitions(_partition_normalized, spec, meta=meta)
        return self.collection.map_blocks(_block_normalized, spec, dtype=np.float64)
