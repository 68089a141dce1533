"""Dask adapter: batch training, prediction and metrics on Dask arrays and DataFrames.

Batch SOM training is a map-reduce over rows.  Every pass over the data is one
low-level Dask graph on top of the partitions' own (:meth:`DaskData.map_reduce`):
a task per partition, then a tree of summing tasks with :data:`SPLIT_EVERY`
children each (the depth is ``log_8`` of the partition count); only the sums
reach the client:

- **Normaliser** (one pass): per partition the count, mean, sum of squared
  deviations, min and max of each column, combined with Chan's parallel formula
  (numerically the two-pass result).  The same pass checks NaN/inf and the
  normaliser's domain, naming the partition.  Box-Cox adds a second pass for its
  lambda (the rows :class:`~somnium.normalization.BoxCoxNormalizer` itself would
  use: every ``fit_stride``-th row, at most 100,000, gathered to the client) and
  a third for the centre and scale of the transformed data.
- **Initialisation** (one pass): mean, co-moment matrix (covariance), min and max
  of the normalised rows; ``mapsize="auto"`` and the PCA codebook come from the
  covariance (:func:`somnium.engine.covariance_axes`, :func:`~somnium.engine.pca_codebook`).
- **Each epoch**: every partition normalises its block and runs
  :func:`somnium.engine.epoch_statistics` on it against the epoch's codebook
  (centred on the training mean, as in memory); the
  :class:`~somnium.engine.EpochStatistics` are summed with ``+`` up the tree and
  the client applies :func:`~somnium.engine.batch_update`.
- **Views** (:func:`node_sums`, :func:`node_column_means`): the per-node sums of a segment profile
  (and the hits and row means an Explorer's map shows with them) take one pass, two with
  non-numeric columns (their most frequent values first); selected rows and segment labels are lazy
  (:func:`rows_of_nodes`, :func:`segment_labels`).

What travels per pass is one :class:`_PassSpec` (codebook, normaliser, lattice,
centre): with a ``distributed.Client`` it is scattered once with
``broadcast=True``; with Dask's local scheduler it is one data node of the
graph.  Tasks refer to it, so it is never copied per task.  The rows are
never gathered: data that is already in worker memory (``X.persist()``) is reused
every epoch, anything else is recomputed (re-read or re-generated) every pass.

The active ``distributed.Client`` is used when there is one, Dask's default
scheduler otherwise; the estimator's ``n_jobs`` does not apply (Dask decides the
parallelism).  A distributed failure that retries cannot absorb (scheduler gone,
every worker lost) raises :class:`~somnium.exceptions.ClusterError`; the model
keeps its last completed epoch.
"""

from __future__ import annotations

import math
import operator
import sys
import uuid
import warnings
import weakref
from dataclasses import dataclass, field, replace
from functools import reduce

import numpy as np

try:
    import dask
    from dask._task_spec import DataNode, Task, TaskRef
    from dask.delayed import Delayed, delayed
    from dask.highlevelgraph import HighLevelGraph
except ImportError as error:  # pragma: no cover - exercised by monkeypatching the import
    raise ImportError(
        "Dask input needs Somnium's optional 'dask' extra: pip install 'somnium-som[dask]' "
        "(installs dask[array,dataframe] and distributed, 2025.1 or newer)."
    ) from error

from . import engine
from ._state import FittedState, committed_state, initial_state, model_rng
from ._summaries import CategoryTally, NodeSums, SumPlan, split_columns, sum_by_node
from ._validation import (
    check_finite,
    check_numeric_columns,
    column_names,
    feature_columns,
    float_values,
    is_dask_dataframe,
    matched_columns,
)
from .exceptions import ClusterError, InvalidValuesInDataSet, SomniumError
from .lattice import Lattice
from .normalization import BoxCoxNormalizer, get_normalizer, normalizer_from_state

__all__ = [
    "SPLIT_EVERY",
    "ClusterError",
    "DaskData",
    "active_client",
    "node_column_means",
    "node_sums",
    "rows_of_nodes",
    "sample_rows",
    "segment_labels",
]

#: Fan-in of the reduction tree: each summing task adds up to this many partitions' statistics.
SPLIT_EVERY = 8

_WARNED_N_JOBS: weakref.WeakSet = weakref.WeakSet()


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


def _checked_values(block, index, names, probe) -> np.ndarray:
    """The partition's rows, refused (naming the partition) with NaN/inf or values outside ``probe``'s domain."""
    X = float_values(block)
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
        correction = np.outer(delta, delta) if self.m2.ndim == 2 else delta * delta
        log_sum = None if self.log_sum is None else self.log_sum + other.log_sum
        return _Moments(
            n,
            self.mean + delta * (other.n / n),
            self.m2 + other.m2 + correction * weight,
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


def _partition_rows(block, stride, index, start):
    return _Rows(float_values(block)[start::stride])


class _Rows:
    """Rows that concatenate under ``+`` (so a sample gathers up the same tree as the statistics)."""

    def __init__(self, rows):
        self.rows = rows

    def __add__(self, other):
        return _Rows(np.concatenate([self.rows, other.rows]))


class _BoxCoxOnly:
    """The Box-Cox step of a partly fitted normaliser (lambda known, centre and scale not yet)."""

    def __init__(self, normalizer):
        self.normalizer = normalizer

    def __call__(self, X):
        return self.normalizer._boxcox(X)


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


def _normalized(block, spec: _PassSpec, index) -> np.ndarray:
    if spec.validate:
        X = _checked_values(block, index, spec.names, spec.normalizer)
    else:
        X = float_values(block)
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
        values = float_values(block)
        block = values[np.sort(np.random.default_rng(seed).choice(len(values), count, replace=False))]
    Xn = _normalized(block, spec, index)
    if Xn.shape[0] == 0:
        return _empty_statistics(spec)
    data = engine.TrainingData(Xn, spec.center, spec.dtype, spec.metric)
    with engine.on_calling_thread():  # the worker's threads are the parallelism
        stats, _ = engine.epoch_statistics(data, spec.codebook, spec.lattice, spec.with_metrics, n_jobs=1)
    return stats


def _block_bmus(block, spec: _PassSpec, block_info=None):
    index = block_info[0]["chunk-location"][0] if block_info else "?"
    Xn = _normalized(block, spec, index)
    if Xn.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    with engine.on_calling_thread():
        return engine.TrainingData(Xn, spec.center, spec.dtype, spec.metric).bmus(spec.codebook, n_jobs=1)


def _partition_bmus(frame, spec: _PassSpec, partition_info=None):
    import pandas as pd

    index = partition_info["number"] if partition_info else "?"
    return pd.Series(
        _block_bmus(frame, spec, {0: {"chunk-location": (index,)}}), index=frame.index, name="bmu"
    )


def _block_normalized(block, spec: _PassSpec, block_info=None):
    index = block_info[0]["chunk-location"][0] if block_info else "?"
    return _normalized(block, spec, index)


def _partition_normalized(frame, spec: _PassSpec, partition_info=None):
    import pandas as pd

    index = partition_info["number"] if partition_info else "?"
    return pd.DataFrame(_normalized(frame, spec, index), index=frame.index, columns=list(spec.names))


def _sum(*parts):
    return reduce(operator.add, parts)


# ------------------------------------------------------------------ the input
def _frame_columns(X) -> tuple | None:
    return tuple(column_names(X.columns)) if is_dask_dataframe(X) else None


def _as_collection(X, state):
    """The Dask collection in the model's column order, chunked along rows only."""
    if is_dask_dataframe(X):
        check_numeric_columns(X)
        column_names(X.columns)  # duplicated or MultiIndex columns are refused here
        X = matched_columns(X, None if state is None else state.feature_names)
        n_features = len(X.columns)
    elif hasattr(X, "chunks") and hasattr(X, "ndim"):
        if X.ndim != 2:
            raise InvalidValuesInDataSet(
                f"X must be a 2-D (rows, features) Dask array, got shape {X.shape}; "
                "reshape it (e.g. X.reshape(-1, 1) for a single feature)."
            )
        if X.dtype.kind not in "biuf":
            raise InvalidValuesInDataSet(f"X has unsupported dtype {X.dtype}; pass real numbers.")
        n_features = X.shape[1]
        if not isinstance(n_features, int | np.integer) or math.isnan(n_features):
            raise InvalidValuesInDataSet("X has an unknown number of columns; compute its chunk sizes first.")
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})  # a row's features must be in one block
    else:
        raise InvalidValuesInDataSet(
            f"Unsupported Dask input {type(X).__name__}; pass a 2-D dask.array.Array or a "
            "dask.dataframe.DataFrame (series.to_frame() for one column)."
        )
    if n_features == 0:
        raise InvalidValuesInDataSet("X has no columns (zero features).")
    if state is not None and n_features != state.n_features:
        detail = f": {list(state.feature_names)}" if state.feature_names is not None else ""
        raise InvalidValuesInDataSet(
            f"X has {n_features} features, but SOM was fitted with {state.n_features}{detail}."
        )
    return X


def _warn_n_jobs(model, stacklevel):
    if model.n_jobs is not None and model not in _WARNED_N_JOBS:
        _WARNED_N_JOBS.add(model)
        warnings.warn(
            f"n_jobs={model.n_jobs} is ignored for Dask input: Dask's scheduler decides the parallelism "
            "(workers x threads per worker).",
            UserWarning,
            stacklevel=stacklevel,
        )


# -------------------------------------------------------------- the adapter
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

    def __post_init__(self):
        if self.parts is None:
            parts = self.collection.to_delayed()
            self.parts = list(parts.ravel()) if hasattr(parts, "ravel") else list(parts)
        # The partitions usually share one graph; depending on it once keeps a pass's graph O(partitions).
        shared = all(part.dask is self.parts[0].dask for part in self.parts)
        self._roots = self.parts[:1] if shared and self.parts else self.parts

    # ------------------------------------------------------------ construction
    @classmethod
    def prepare(cls, model, state: FittedState, X) -> DaskData:
        """A fitted model's view of new Dask rows (predict, metrics, normalize); checked lazily per partition."""
        _warn_n_jobs(model, stacklevel=5)  # user -> predict -> _data -> prepare
        X = _as_collection(X, state)
        return cls(X, state.normalizer, state.center, model.dtype, model.distance_metric, _frame_columns(X))

    @classmethod
    def prepare_fit(cls, model, state: FittedState | None, X) -> tuple[FittedState, DaskData]:
        """The state a fit starts from (a new, uncommitted one on a first fit) and the training rows."""
        _warn_n_jobs(model, stacklevel=6)  # user -> fit -> _fit_batch -> _prepare -> prepare_fit
        X = _as_collection(X, state)
        names = _frame_columns(X)
        if state is None:
            return _initial_state(model, X, names)
        data = cls(X, state.normalizer, state.center, model.dtype, model.distance_metric, names)
        moments = data._moments(names, state.normalizer, transform=None)  # validates, counts the rows
        _check_training_rows(moments.n)
        state.history.truncate(state.n_epochs)
        return state, data.trusted(moments)

    def trusted(self, moments: _Moments) -> DaskData:
        """This data, checked by a pass: epochs skip the per-partition NaN/domain checks and know the counts."""
        lengths = tuple(n for _, n in sorted(moments.lengths))
        return replace(self, validate=False, lengths=lengths)

    # ------------------------------------------------------------------ passes
    def compute(self, build, spec):
        """Run ``build(spec_ref, layer)`` (a Delayed) with ``spec`` shipped once.

        With a distributed client ``spec`` is scattered to every worker (``broadcast=True``) and
        ``spec_ref`` is its future; otherwise ``spec_ref`` names one node of the graph holding it
        (``layer`` already contains that node).  Tasks refer to it, so it never travels per task.
        """
        if "failure" in self.health:
            raise ClusterError(
                f"The Dask cluster already failed in an earlier pass: {self.health['failure']}"
            )
        client = active_client()
        address = getattr(getattr(client, "scheduler", None), "address", None) or "unknown"
        try:
            if client is None:
                key = f"somnium-spec-{uuid.uuid4().hex[:12]}"
                # The local scheduler's threads are the parallelism: one BLAS thread each.
                with engine.thread_limits(1):
                    return dask.compute(build(TaskRef(key), {key: DataNode(key, spec)}))[0]
            # In a list, so a tuple or dict spec travels as one object rather than one future per item.
            (future,) = client.scatter([spec], broadcast=True, hash=False)
            try:
                return client.compute(build(future, {})).result()
            finally:
                future.release()
        except BaseException as error:
            if client is None or not (client.status != "running" or _is_cluster_failure(error)):
                raise
            self.health["failure"] = error
            if client.status != "running":
                what = f"went away: the client's connection to the scheduler is {client.status}"
            else:
                what = f"failed: {type(error).__name__}: {error}"
            raise ClusterError(
                f"The Dask cluster (scheduler {address}) {what}, during a pass over the data. Start a new "
                "cluster and client and repeat the call; a fit kept its last completed epoch, so fit again "
                "to continue it."
            ) from error

    def map_reduce(self, name: str, func, spec, extra=None):
        """``func(partition, spec, index, *extra[index])`` on every partition, summed up a tree.

        One low-level graph per pass: a task per partition and a summing task per ``SPLIT_EVERY``
        children, on top of the partitions' own graph (built once; persisted data are futures).
        """
        if not self.parts:
            raise InvalidValuesInDataSet("X has no partitions; pass at least one row of data.")
        token = f"somnium-{name}-{uuid.uuid4().hex[:12]}"
        extra = extra or [()] * len(self.parts)

        def build(spec_ref, layer):
            keys = []
            for i, part in enumerate(self.parts):
                key = (token, i)
                layer[key] = Task(key, func, TaskRef(part.key), spec_ref, i, *extra[i])
                keys.append(key)
            level = 0
            while len(keys) > 1:
                parents = []
                for start in range(0, len(keys), SPLIT_EVERY):
                    key = (f"{token}-sum", level, start)
                    layer[key] = Task(key, _sum, *(TaskRef(k) for k in keys[start : start + SPLIT_EVERY]))
                    parents.append(key)
                keys, level = parents, level + 1
            graph = HighLevelGraph.from_collections(token, layer, dependencies=self._roots)
            return Delayed(keys[0], graph, layer=token)

        return self.compute(build, spec)

    def _moments(self, names, probe, transform, covariance=False, with_log=False) -> _Moments:
        """Column moments of the rows (``transform`` applied), checking NaN/inf and ``probe``'s domain."""
        return self.map_reduce("moments", _partition_moments, (names, probe, transform, covariance, with_log))

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

    def _spec(self, codebook=None, lattice=None, with_metrics=False) -> _PassSpec:
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
        )

    def statistics(self, codebook, lattice, with_metrics=False, return_bmus=False, n_jobs=None):
        """One pass with a fixed codebook: the summed per-partition statistics and no BMUs (None)."""
        extra = [(selection,) for selection in self.selection] if self.selection is not None else None
        stats = self.map_reduce(
            "statistics", _partition_statistics, self._spec(codebook, lattice, with_metrics), extra
        )
        return stats, None

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

    def normalized(self):
        """The rows in the model's normalised space, lazily (a dask DataFrame keeps its index and columns)."""
        spec = self._lazy_spec(None)
        if is_dask_dataframe(self.collection):
            import pandas as pd

            meta = pd.DataFrame({name: np.zeros(0) for name in self.names})
            return self.collection.map_partitions(_partition_normalized, spec, meta=meta)
        return self.collection.map_blocks(_block_normalized, spec, dtype=np.float64)


# ------------------------------------------------------------ the first fit
def _check_training_rows(n_rows: int) -> None:
    if n_rows == 0:
        raise InvalidValuesInDataSet("X has no rows; pass at least one row of data.")
    if n_rows < 2:
        raise InvalidValuesInDataSet(f"Training needs at least 2 rows, got {n_rows}.")


def _fit_normalizer(model, data: DaskData, names) -> tuple[object, _Moments]:
    """The normaliser fitted by reductions (as ``get_normalizer(name).fit`` would on all rows)."""
    name = model.normalization
    probe = get_normalizer(name)
    n_features = len(names) if names is not None else data.collection.shape[1]
    affine = name in AFFINE_NORMALIZATIONS
    moments = data._moments(names, probe, transform=None, covariance=affine, with_log=name == "boxcox")
    _check_training_rows(moments.n)
    parameters: dict = {}
    if name in ("standard", "logistic"):
        parameters["center_"], parameters["scale_"] = moments.standard_parameters()
    elif name == "minmax":
        value_range = moments.high - moments.low
        parameters["min_"], parameters["scale_"] = moments.low, np.where(value_range == 0, 1.0, value_range)
    elif name == "boxcox":
        parameters.update(_fit_boxcox(data, moments, names))
    state = {"name": name, "n_features_in": n_features, "feature_names_in": names, **parameters}
    normalizer = normalizer_from_state(state)
    if normalizer._parameters:
        with np.errstate(invalid="ignore"):
            normalizer._check_parameters_finite(n_features, None if names is None else list(names))
    return normalizer, moments


def _fit_boxcox(data: DaskData, moments: _Moments, names) -> dict:
    """Box-Cox: geometric mean from the first pass, lambda from the strided sample, then a standard pass."""
    boxcox = BoxCoxNormalizer()
    boxcox.geometric_mean_ = np.exp(moments.log_sum / moments.n)
    stride = BoxCoxNormalizer.fit_stride(moments.n)
    lengths = [n for _, n in sorted(moments.lengths)]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    starts = [(int(-offset % stride),) for offset in offsets]
    sample = data.map_reduce("boxcox-sample", _partition_rows, stride, starts)
    boxcox._fit_lambda(sample.rows)
    transformed = data._moments(names, None, transform=_BoxCoxOnly(boxcox))
    center, scale = transformed.standard_parameters()
    return {
        "lambda_": boxcox.lambda_,
        "geometric_mean_": boxcox.geometric_mean_,
        "center_": center,
        "scale_": scale,
    }


def _initial_state(model, X, names) -> tuple[FittedState, DaskData]:
    """``SOM._initial_state`` by reductions: normaliser, map size, initial codebook (uncommitted)."""
    data = DaskData(X, None, None, model.dtype, model.distance_metric, names)
    normalizer, raw = _fit_normalizer(model, data, names)
    data = replace(data, normalizer=normalizer).trusted(raw)
    if model.normalization in AFFINE_NORMALIZATIONS:
        normalized = raw.affine(*_affine_parameters(normalizer, raw.mean.shape[0]))
    else:
        normalized = data._moments(names, None, transform=_Normalize(normalizer), covariance=True)
    covariance = normalized.m2 / max(normalized.n - 1, 1)
    state = initial_state(
        mapsize=model.mapsize,
        lattice=model.lattice,
        initialization=model.initialization,
        mapsize_scale=model.mapsize_scale,
        rng=model_rng(model),
        normalizer=normalizer,
        feature_names=names,
        n_rows=normalized.n,
        mean=normalized.mean,
        covariance=covariance,
        low=normalized.low,
        high=normalized.high,
    )
    return state, replace(data, center=normalized.mean)


#: Normalisations that are ``(x - shift) / scale``: the normalised moments follow from the raw ones.
AFFINE_NORMALIZATIONS = ("standard", "minmax", "none")


def _affine_parameters(normalizer, n_features):
    if normalizer.name == "standard":
        return normalizer.center_, normalizer.scale_
    if normalizer.name == "minmax":
        return normalizer.min_, normalizer.scale_
    return np.zeros(n_features), np.ones(n_features)


class _Normalize:
    """A partition transform: the fitted normaliser."""

    def __init__(self, normalizer):
        self.normalizer = normalizer

    def __call__(self, X):
        return self.normalizer.transform(X)


# ----------------------------------------------- what the views need of Dask rows
def _model_features(model, X):
    """The model's feature columns of a DataFrame that may carry extra columns."""
    return feature_columns(X, getattr(model, "feature_names_in_", None))


def _bmu_spec(model) -> _PassSpec:
    """What a partition needs to find its rows' BMUs: not the whole model (no history, no training BMUs)."""
    state = committed_state(model, "a pass over Dask rows")
    names = None if state.feature_names is None else tuple(state.feature_names)
    codebook = np.ascontiguousarray(state.codebook, dtype=np.float64)
    return _PassSpec(state.normalizer, state.center, model.dtype, model.distance_metric, names, codebook)


def node_column_means(model, X, columns=()) -> tuple[np.ndarray, dict]:
    """Rows per node and the per-node mean of each of ``columns`` of a Dask DataFrame, in one pass.

    What a map view's "hits" and "(mean of rows)" layers need of Dask rows: the per-node sums of
    :func:`node_sums` (the same pass a profile makes), so only ``n_nodes x columns`` numbers reach
    the client.  ``columns`` may be any numeric columns (a target that is not a feature, say);
    missing and non-finite values there are skipped, as in memory.

    Returns
    -------
    hits : ndarray of int64, shape (n_nodes,)
    means : dict of column name -> ndarray of float64, shape (n_nodes,) (NaN where a node has no value)
    """
    columns = [c for c in columns]
    if columns and not is_dask_dataframe(X):
        raise InvalidValuesInDataSet("columns= needs a Dask DataFrame (named columns).")
    if not columns:
        return model.node_hits(X), {}
    features = getattr(model, "feature_names_in_", None)
    wanted = {str(c) for c in columns} | (set() if features is None else {str(name) for name in features})
    frame = X[[label for label in X.columns if str(label) in wanted]]
    plan, sums = node_sums(model, frame, max_categories=0)
    names = plan.numeric_names(sums.counts.shape[1])
    return sums.rows.astype(np.int64), sums.means(names, columns)


def rows_of_nodes(model, X, nodes):
    """The rows of Dask ``X`` whose BMU is one of ``nodes``, lazily (a map view's ``selected_rows``).

    A Dask DataFrame keeps its index and all its columns; a Dask array gives a lazy array of unknown length.
    """
    nodes = np.unique(np.asarray(nodes, dtype=np.int64))
    bmus = model.predict(_model_features(model, X))
    if is_dask_dataframe(X):
        return X[bmus.isin(nodes.tolist())]
    import dask.array as da

    return X[da.isin(bmus, nodes)]


def _partition_tally(frame, columns, index):
    return CategoryTally.of(frame, columns, partition=index)


def _partition_node_sums(block, spec, index):
    """One partition's :class:`~somnium._summaries.NodeSums`, its BMUs found as ``predict`` finds them."""
    bmu_spec, plan = spec
    width = len(plan.numeric) if plan.numeric is not None else block.shape[1]
    if len(block) == 0:
        return NodeSums.empty(plan, width)
    features = feature_columns(block, bmu_spec.names)
    if hasattr(features, "columns"):
        features = matched_columns(features, bmu_spec.names)  # names what a partition lacks
    bmus = _block_bmus(features, bmu_spec, {0: {"chunk-location": (index,)}})
    return sum_by_node(bmus, block, plan)


def node_sums(model, X, max_categories=8, also_numeric=()) -> tuple[SumPlan, NodeSums]:
    """Per-node sums of every column of Dask ``X`` (what a segment profile adds up), by reductions.

    Pass 1, only when a DataFrame has non-numeric columns: every partition's value counts, summed up
    the tree, give each such column's ``max_categories`` most frequent values (ties: the value seen
    first, as in memory).  Pass 2: every partition computes its BMUs with ``model.predict`` (on the
    model's feature columns) and its :class:`~somnium._summaries.NodeSums` (rows per node; count, sum
    and sum of squares of each numeric column's finite values; rows per node and kept value), summed up
    the tree.  One pass for a Dask array or an all-numeric DataFrame, two otherwise.  Only
    ``n_nodes x columns`` numbers reach the client, and pass 1 brings each non-numeric column's
    distinct values with their counts (as ``value_counts`` would).  The codebook, normaliser and plan
    travel once per pass, like a training pass's spec.

    Parameters
    ----------
    model : SOM
        A fitted model.
    X : dask.dataframe.DataFrame or dask.array.Array
        The rows; a DataFrame may carry any columns besides the model's features.
    max_categories : int
        Values kept per non-numeric column (the others are counted together as ``"(other)"``).
    also_numeric : sequence
        Further columns to sum as numbers (appended to the plan's numeric columns), e.g. booleans.

    Returns
    -------
    plan : SumPlan
    sums : NodeSums
    """
    if not is_dask_dataframe(X):
        if getattr(X, "ndim", None) != 2 or not hasattr(X, "chunks"):
            raise InvalidValuesInDataSet(
                f"Unsupported Dask input {type(X).__name__}; pass a dask.dataframe.DataFrame "
                "(series.to_frame() for one column) or a 2-D dask.array.Array."
            )
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})  # a row's columns must be in one block
    data = DaskData(X, None, None, model.dtype, model.distance_metric, None)
    n_nodes = model.lattice_.n_nodes
    if not is_dask_dataframe(X):
        plan = SumPlan.of(n_nodes, None)
    else:
        numeric, categorical = split_columns(X.dtypes)
        numeric += [c for c in also_numeric if c not in numeric]
        tally = (
            data.map_reduce("category-tally", _partition_tally, tuple(categorical)) if categorical else None
        )
        plan = SumPlan.of(n_nodes, numeric, categorical, tally, max_categories)
    return plan, data.map_reduce("node-sums", _partition_node_sums, (_bmu_spec(model), plan))


def _segment_of_rows(bmus, node_labels, categories):
    import pandas as pd

    codes = node_labels[bmus.to_numpy(dtype=np.int64)]
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=categories), index=bmus.index, name="segment"
    )


def segment_labels(model, X, node_labels, names):
    """The segment of every row of Dask ``X``, lazily: what :meth:`Segments.labels` returns for Dask data.

    A categorical Dask Series named ``"segment"`` (categories ``names``; NaN for a node in no segment,
    ``node_labels[node] == -1``), computed partition-wise from ``model.predict``; it keeps a DataFrame's
    index and partitions, so ``X.assign(segment=...)`` lines up without a shuffle.
    """
    import pandas as pd

    bmus = model.predict(_model_features(model, X))
    if not is_dask_dataframe(X):
        import dask.dataframe as dd

        bmus = dd.from_dask_array(bmus)
    categories = pd.Index(list(names), dtype=object)
    meta = pd.Series(pd.Categorical.from_codes([], categories=categories), name="segment")
    labels = np.asarray(node_labels, dtype=np.int64)
    return bmus.map_partitions(_segment_of_rows, labels, categories, meta=meta)


def _partition_sample(block, size, seed):
    rows = np.random.default_rng(seed).choice(len(block), min(size, len(block)), replace=False)
    rows.sort()
    return block.iloc[rows] if hasattr(block, "iloc") else np.asarray(block)[rows]


def sample_rows(X, n_rows: int, random_state=0, max_partitions: int = 32):
    """Up to ``n_rows`` rows of Dask ``X``, reading at most ``max_partitions`` of its partitions.

    For a picture of the data (a scatter plot, a projection basis, hits of a sample) on any size
    of data: partitions are drawn at random (seeded), then rows uniformly within each.  It is a
    sample of partitions, not of rows, so data sorted along the partitions are represented only as
    well as the drawn partitions represent them.

    Returns
    -------
    pandas.DataFrame (index kept) for a Dask DataFrame, ndarray for a Dask array.
    """
    if not is_dask_dataframe(X) and len(getattr(X, "chunks", ((), ()))[1]) > 1:
        X = X.rechunk({1: -1})
    parts = X.to_delayed()
    parts = list(parts.ravel()) if hasattr(parts, "ravel") else list(parts)
    rng = np.random.default_rng(random_state)
    chosen = np.sort(rng.choice(len(parts), min(len(parts), max_partitions), replace=False))
    per_partition = -(-n_rows // len(chosen))
    seeds = rng.integers(0, 2**63, size=len(chosen))
    pieces = dask.compute(
        *(delayed(_partition_sample)(parts[i], per_partition, int(seed)) for i, seed in zip(chosen, seeds))
    )
    if is_dask_dataframe(X):
        import pandas as pd

        sample = pd.concat(pieces)
        if len(sample) > n_rows:
            sample = sample.iloc[np.sort(rng.choice(len(sample), n_rows, replace=False))]
        return sample
    sample = np.concatenate(pieces) if pieces else np.empty((0, X.shape[1]))
    if len(sample) > n_rows:
        sample = sample[np.sort(rng.choice(len(sample), n_rows, replace=False))]
    return sample
