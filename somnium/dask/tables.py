"""A first fit on a Dask table with missing cells or categorical columns, by reductions.

The same first state as :func:`somnium._training.first_state` makes in memory, pass by pass:

1. categories (``categorical="onehot"`` and non-numeric columns): every partition's value counts of
   those columns, summed up the tree, make the :class:`~somnium._encoding.TableEncoder` (categories and
   block scales from the counts, as in memory);
2. the normaliser: per numeric column the count, mean, sum of squared deviations, min and max of its
   observed cells (Chan's formula per column, since each column has its own count), the partition's
   rows encoded and checked as in memory (infinite values, rows without an observed value, unseen
   categories; errors name the partition); Box-Cox adds the passes of
   :mod:`somnium.dask.fit` (its lambda from the strided sample, then the transformed moments);
3. the normalised rows' means, minima and maxima over observed cells;
4. the pairwise-complete covariance about those means (:func:`somnium.engine.pairwise_mean_covariance`:
   per pair, products and counts of the rows observing both), for ``mapsize="auto"`` and the PCA start.

Epochs then run as for any Dask data (:meth:`DaskData.statistics <somnium.dask.passes.DaskData.statistics>`):
each partition is encoded, normalised and searched over its observed cells, and the per-(node,
feature) counts of observed values add up the tree with the sums.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._encoding import TableEncoder, TableMapping, categorical_positions, normalized_rows
from .._state import FittedState, initial_state, model_rng
from .._summaries import CategoryTally
from .._validation import column_names, is_dask_dataframe
from ..exceptions import InvalidValuesInDataSet
from ..normalization import BoxCoxNormalizer, get_normalizer, normalizer_from_state
from .passes import DaskData, _partition_label

__all__ = ["count_rows", "initial_table_state", "needs_table_path"]


def needs_table_path(model, X) -> bool:
    """Whether a first fit on ``X`` maps a table: missing cells allowed, or categories to encode."""
    if model.missing == "ignore":
        return True
    return model.categorical == "onehot" and is_dask_dataframe(X) and bool(categorical_positions(X.dtypes))


@dataclass
class _Observed:
    """Per-column moments of the observed cells, combinable across partitions (Chan's formula per column)."""

    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    low: np.ndarray
    high: np.ndarray
    log_sum: np.ndarray
    lengths: tuple = ()  # (partition index, rows)

    @classmethod
    def of(cls, X: np.ndarray, index) -> _Observed:
        observed = ~np.isnan(X)
        n = observed.sum(axis=0).astype(np.float64)
        values = np.where(observed, X, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, values.sum(axis=0) / np.maximum(n, 1), 0.0)
        deviation = np.where(observed, X - mean, 0.0)
        log_sum = np.where(observed & (X > 0), np.log(np.where(X > 0, X, 1.0)), 0.0).sum(axis=0)
        low = np.fmin.reduce(X, axis=0) if len(X) else np.full(X.shape[1], np.nan)
        high = np.fmax.reduce(X, axis=0) if len(X) else np.full(X.shape[1], np.nan)
        return cls(n, mean, (deviation**2).sum(axis=0), low, high, log_sum, ((index, X.shape[0]),))

    def __add__(self, other: _Observed) -> _Observed:
        n = self.n + other.n
        delta = other.mean - self.mean
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, other.n / np.maximum(n, 1), 0.0)
            weight = np.where(n > 0, self.n * other.n / np.maximum(n, 1), 0.0)
        return _Observed(
            n,
            self.mean + delta * share,
            self.m2 + other.m2 + delta * delta * weight,
            np.fmin(self.low, other.low),
            np.fmax(self.high, other.high),
            self.log_sum + other.log_sum,
            self.lengths + other.lengths,
        )

    @property
    def rows(self) -> int:
        return int(sum(n for _, n in self.lengths))

    def standard_parameters(self):
        """Centre and scale as :class:`~somnium.normalization.StandardNormalizer` fits observed cells."""
        std = np.sqrt(self.m2 / self.n)
        constant = self.low == self.high
        return np.where(constant, self.low, self.mean), np.where(constant | (std == 0), 1.0, std)


@dataclass
class _Products:
    """Sums of products about fixed means and pair counts of observed cells; add across partitions."""

    products: np.ndarray
    pairs: np.ndarray

    def __add__(self, other: _Products) -> _Products:
        return _Products(self.products + other.products, self.pairs + other.pairs)


# --------------------------------------------------------------- partition work
def _partition_tally(block, positions, index):
    return CategoryTally.of(block, [block.columns[p] for p in positions], partition=index)


def _encoded(block, spec, index) -> np.ndarray:
    """The partition's rows encoded (numbers as they are, indicators 0 / 1, NaN missing), checked."""
    encoder, missing, names = spec
    try:
        if encoder is not None:
            return encoder.encode(block, missing)[:, encoder.numeric]
        from .._validation import as_float_array

        return as_float_array(block, missing=missing) if len(block) else np.empty((0, len(names or ())))
    except InvalidValuesInDataSet as error:
        raise InvalidValuesInDataSet(f"{_partition_label(index)}: {error}") from None


def _partition_raw_moments(block, spec, index):
    encoder, missing, names, probe, transform = spec
    width = len(encoder.numeric) if encoder is not None else block.shape[1]
    X = _encoded(block, (encoder, missing, names), index) if len(block) else np.empty((0, width))
    if probe is not None:
        try:
            probe._check_domain(X, names)
        except InvalidValuesInDataSet as error:
            raise InvalidValuesInDataSet(f"{_partition_label(index)}: {error}") from None
    if transform is not None:
        X = transform(X)
    return _Observed.of(X, index)


def _partition_rows(block, spec, index, start):
    encoder, missing, names, stride = spec
    X = _encoded(block, (encoder, missing, names), index) if len(block) else None
    return _Sample(X[start::stride] if X is not None else None)


class _Sample:
    def __init__(self, rows):
        self.rows = rows

    def __add__(self, other):
        parts = [p for p in (self.rows, other.rows) if p is not None]
        return _Sample(np.concatenate(parts) if parts else None)


def _normalized_block(block, spec, index):
    mapping, missing = spec
    try:
        return normalized_rows(mapping, block, "ignore" if missing else "error")
    except InvalidValuesInDataSet as error:
        raise InvalidValuesInDataSet(f"{_partition_label(index)}: {error}") from None


def _partition_normalized_moments(block, spec, index):
    mapping, _ = spec
    if len(block) == 0:
        return _Observed.of(np.empty((0, mapping.n_features)), index)
    return _Observed.of(_normalized_block(block, spec, index), index)


def _partition_products(block, spec, index):
    mapping, missing, mean = spec
    d = mapping.n_features
    if len(block) == 0:
        return _Products(np.zeros((d, d)), np.zeros((d, d)))
    centred = _normalized_block(block, (mapping, missing), index) - mean
    observed = (~np.isnan(centred)).astype(np.float64)
    centred = np.where(observed > 0, centred, 0.0)
    return _Products(centred.T @ centred, observed.T @ observed)


# ------------------------------------------------------------------ the first state
def initial_table_state(model, X, names) -> tuple[FittedState, DaskData]:
    """The first state of a table fit by reductions (see the module's notes) and the training rows."""
    missing = model.missing
    probe = DaskData(X, None, None, model.dtype, model.distance_metric, names)
    encoder = None
    if model.categorical == "onehot" and is_dask_dataframe(X):
        positions = categorical_positions(X.dtypes)
        if positions:
            tally = probe.map_reduce("category-tally", _partition_tally, tuple(positions))
            counts = {p: (list(c.values), c.counts) for p, c in zip(positions, tally.columns)}
            encoder = TableEncoder.from_counts(column_names(X.columns), list(X.dtypes), counts)
    numeric_names = encoder.numeric_names if encoder is not None else (list(names) if names else None)
    normalizer, raw = _fit_normalizer(model, probe, encoder, missing, numeric_names)
    if raw.rows < 2:
        raise InvalidValuesInDataSet(f"Training needs at least 2 rows, got {raw.rows}.")
    n_features = encoder.n_encoded if encoder is not None else raw.n.shape[0]
    mapping = TableMapping(encoder, normalizer, names, n_features)
    ignore = missing == "ignore"
    normalized = probe.map_reduce("normalized-moments", _partition_normalized_moments, (mapping, ignore))
    products = probe.map_reduce("covariance", _partition_products, (mapping, ignore, normalized.mean))
    covariance = products.products / np.maximum(products.pairs - 1.0, 1.0)
    state = initial_state(
        model.get_params(),
        rng=model_rng(model),
        normalizer=normalizer,
        feature_names=names,
        n_rows=raw.rows,
        mean=normalized.mean,
        covariance=covariance,
        low=normalized.low,
        high=normalized.high,
        encoder=encoder,
    )
    lengths = tuple(n for _, n in sorted(raw.lengths))
    data = DaskData.of_model(X, model, state, names, lengths=lengths, parts=probe.parts, health=probe.health)
    return state, data


def _fit_normalizer(model, probe: DaskData, encoder, missing, names):
    """The normaliser of the numeric columns from their observed cells (as ``fit(allow_missing=True)``)."""
    name = model.normalization
    checker = get_normalizer(name)
    spec = (encoder, missing, None if names is None else list(names), checker, None)
    raw = probe.map_reduce("moments", _partition_raw_moments, spec)
    empty = np.flatnonzero(raw.n == 0)
    if empty.size:
        labels = [names[i] if names else f"column {i}" for i in empty]
        raise InvalidValuesInDataSet(
            f"Column(s) {labels} of X are entirely missing, so the map cannot learn them; drop them "
            "(e.g. df.dropna(axis=1, how='all'))."
        )
    width = raw.n.shape[0]
    parameters: dict = {}
    if name in ("standard", "logistic"):
        parameters["center_"], parameters["scale_"] = raw.standard_parameters()
    elif name == "minmax":
        value_range = raw.high - raw.low
        parameters["min_"], parameters["scale_"] = raw.low, np.where(value_range == 0, 1.0, value_range)
    elif name == "boxcox":
        boxcox = BoxCoxNormalizer()
        boxcox.geometric_mean_ = np.exp(raw.log_sum / raw.n)
        stride = BoxCoxNormalizer.fit_stride(raw.rows)
        lengths = [n for _, n in sorted(raw.lengths)]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        starts = [(int(-offset % stride),) for offset in offsets]
        sample = probe.map_reduce("boxcox-sample", _partition_rows, (encoder, missing, names, stride), starts)
        boxcox._fit_lambda(sample.rows if sample.rows is not None else np.empty((0, width)))
        transformed = probe.map_reduce(
            "boxcox-moments", _partition_raw_moments, (encoder, missing, names, None, boxcox._boxcox)
        )
        center, scale = transformed.standard_parameters()
        parameters = dict(
            lambda_=boxcox.lambda_, geometric_mean_=boxcox.geometric_mean_, center_=center, scale_=scale
        )
    state = {"name": name, "n_features_in": width, "feature_names_in": names, **parameters}
    normalizer = normalizer_from_state(state)
    if normalizer._parameters:
        with np.errstate(invalid="ignore"):
            normalizer._check_parameters_finite(width, names)
    return normalizer, raw


def count_rows(data: DaskData) -> DaskData:
    """A continued fit's rows checked by one pass (encoded and normalised as the epochs will) and counted."""
    spec = (data.table, data.missing)
    counted = data.map_reduce("check", _partition_normalized_moments, spec)
    if counted.rows < 2:
        raise InvalidValuesInDataSet(f"Training needs at least 2 rows, got {counted.rows}.")
    return replace(data, lengths=tuple(n for _, n in sorted(counted.lengths)))
