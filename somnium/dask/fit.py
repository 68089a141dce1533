"""Training on Dask rows: the input checks and the first state, by reductions.

- **Normaliser** (one pass): per partition the count, mean, sum of squared deviations, min and max of
  each column, combined with Chan's parallel formula (numerically the two-pass result).  The same pass
  checks NaN/inf and the normaliser's domain, naming the partition.  Box-Cox adds a second pass for
  its lambda (the rows :class:`~somnium.normalization.BoxCoxNormalizer` itself would use: every
  ``fit_stride``-th row, at most 100,000, gathered to the client) and a third for the centre and scale
  of the transformed data.
- **Initialisation** (one pass, none for affine normalisations): mean, co-moment matrix (covariance),
  min and max of the normalised rows, handed to the public builder :func:`somnium._state.initial_state`
  (``mapsize="auto"`` and the PCA codebook come from the covariance).
- **Each epoch** is :meth:`DaskData.statistics <somnium.dask.passes.DaskData.statistics>`: the
  estimator's own training loop applies :func:`~somnium.engine.batch_update` to the summed statistics.

The model is read through its public parameters and :func:`somnium._state.committed_state` /
:func:`somnium._state.model_rng`, never through the estimator's private attributes.  The estimator's
``n_jobs`` does not apply (Dask decides the parallelism).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import replace

import numpy as np

from .._encoding import table_columns
from .._state import FittedState, initial_state, model_rng
from .._validation import (
    check_numeric_columns,
    column_names,
    is_dask_dataframe,
    matched_columns,
)
from ..exceptions import InvalidValuesInDataSet, warn
from ..normalization import BoxCoxNormalizer, get_normalizer, normalizer_from_state
from . import tables
from .passes import DaskData, _Moments, _partition_values, model_fields

__all__ = ["prepare", "prepare_fit"]

_WARNED_N_JOBS: weakref.WeakSet = weakref.WeakSet()


# ------------------------------------------------------------------ the input
def prepare(model, state: FittedState, X) -> DaskData:
    """A fitted model's view of new Dask rows (predict, metrics, normalize); checked lazily per partition."""
    _warn_n_jobs(model)
    X = _as_collection(X, state, model)
    return DaskData.of_model(X, model, state, _frame_columns(X))


def prepare_fit(model, state: FittedState | None, X) -> tuple[FittedState, DaskData]:
    """The state a fit starts from (a new, uncommitted one on a first fit) and the training rows."""
    _warn_n_jobs(model)
    X = _as_collection(X, state, model)
    names = _frame_columns(X)
    if state is None:
        if tables.needs_table_path(model, X):
            state, data = tables.initial_table_state(model, X, names)
        else:
            state, data = _initial_state(model, X, names)
    else:
        data = DaskData.of_model(X, model, state, names)
        state.history.truncate(state.n_epochs)
        if data.table is not None:  # missing cells or categories: checked as the epochs will read them
            data = tables.count_rows(data)
        else:
            # Validates, counts the rows, and gives the normalised rows' extremes for the dtype.
            moments = data._moments(names, state.normalizer, transform=_Normalize(state.normalizer))
            _check_training_rows(moments.n)
            data = data.trusted(moments).span_checked(moments.low, moments.high)
    advice = data.tiny_partitions()
    if advice is not None:
        warn(advice, UserWarning)
    return state, data


def _frame_columns(X) -> tuple | None:
    return tuple(column_names(X.columns)) if is_dask_dataframe(X) else None


def _as_collection(X, state, model):
    """The Dask collection in the model's column order, chunked along rows only."""
    if is_dask_dataframe(X):
        onehot = model.categorical == "onehot" or (state is not None and state.encoder is not None)
        check_numeric_columns(X, categorical="onehot" if onehot else "error")
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
    if state is not None and n_features != len(table_columns(state)):
        detail = f": {list(state.feature_names)}" if state.feature_names is not None else ""
        raise InvalidValuesInDataSet(
            f"X has {n_features} features, but SOM was fitted with {len(table_columns(state))}{detail}."
        )
    return X


def _warn_n_jobs(model):
    if model.n_jobs is not None and model not in _WARNED_N_JOBS:
        _WARNED_N_JOBS.add(model)
        warn(
            f"n_jobs={model.n_jobs} is ignored for Dask input: Dask's scheduler decides the parallelism "
            "(workers x threads per worker).",
            UserWarning,
        )


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
    sample = data.map_reduce("boxcox-sample", _partition_rows, (stride, names), starts)
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
        model.get_params(),
        rng=model_rng(model),
        normalizer=normalizer,
        feature_names=names,
        n_rows=normalized.n,
        mean=normalized.mean,
        covariance=covariance,
        low=normalized.low,
        high=normalized.high,
    )
    fields = model_fields(model, state)  # feature weights apply from the first epoch
    data = replace(
        data, center=normalized.mean, weights=fields["weights"], count_weights=fields["count_weights"]
    )
    return state, data.span_checked(normalized.low, normalized.high)


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


def _partition_rows(block, spec, index, start):
    stride, names = spec
    return _Rows({index: _partition_values(block, names, index)[start::stride]})


class _Rows:
    """Rows that gather under ``+`` (up the same tree as the statistics), in partition order whatever
    order the pieces are added in."""

    def __init__(self, pieces: dict):
        self.pieces = pieces

    def __add__(self, other):
        return _Rows({**self.pieces, **other.pieces})

    @property
    def rows(self) -> np.ndarray:
        return np.concatenate([self.pieces[index] for index in sorted(self.pieces)])


class _BoxCoxOnly:
    """The Box-Cox step of a partly fitted normaliser (lambda known, centre and scale not yet)."""

    def __init__(self, normalizer):
        self.normalizer = normalizer

    def __call__(self, X):
        return self.normalizer._boxcox(X)
