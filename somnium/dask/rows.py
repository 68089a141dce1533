"""Dask rows on a fitted map: the rows protocol (:class:`somnium._rows.Rows`) by reductions and lazy filters.

No row and no BMU reaches the client.  Per-node sums (:meth:`DaskRows.node_sums`: hits, a map's
"(mean of rows)" layers, a profile's moments and category counts) are one pass: every partition finds
its BMUs as ``model.predict`` does and sums its rows by node
(:func:`somnium._summaries.sum_by_node`), the sums add up the tree; a plan with non-numeric columns
first settles their most frequent values (:meth:`DaskRows.sum_plan`, one pass of value counts).  Only
``n_nodes x columns`` numbers come back, and the codebook, normaliser and plan travel once per pass.
Selected rows and segment labels are lazy Dask collections, filtered partition-wise.
"""

from __future__ import annotations

import dask  # the dask library (absolute import; this package is somnium.dask)
import numpy as np
from dask.delayed import delayed

from .. import anomaly
from .._node_layers import MAX_LAYER_CATEGORIES, NodeLayer
from .._rows import Rows, model_features
from .._state import committed_state
from .._summaries import CategoryTally, NodeSums, SumPlan, sum_by_node
from .._validation import (
    feature_columns,
    is_dask_collection,
    is_dask_dataframe,
    is_dataframe,
    is_series,
    matched_columns,
)
from ..exceptions import DaskRowsError, InvalidValuesInDataSet
from .passes import DaskData, _block_bmu_distances, _block_bmus, _PassSpec, model_fields

__all__ = ["DaskRows", "rows_of_nodes", "sample_rows", "segment_labels"]

#: the column per-row values join Dask rows as, for their per-node sums
_LAYER_COLUMN = "__somnium_values__"


class DaskRows(Rows):
    """The rows of a Dask DataFrame (or 2-D Dask array) on a model's map, without one BMU per row.

    Nothing runs at construction.  :attr:`counts` comes with the first per-node sums (or makes a pass
    of its own); :meth:`rows` is a lazy Dask DataFrame filtered to the nodes, BMUs computed
    partition-wise, index kept.  Positions have no meaning here (:meth:`positions` raises).

    Parameters
    ----------
    model : SOM
        A fitted model.
    data : dask.dataframe.DataFrame or dask.array.Array
        The rows; a DataFrame may hold extra columns besides the model's features.
    """

    bmu = None

    def __init__(self, model, data):
        super().__init__(model.lattice_.n_nodes)
        if not is_dask_dataframe(data):
            if getattr(data, "ndim", None) != 2 or not hasattr(data, "chunks"):
                raise InvalidValuesInDataSet(
                    f"Unsupported Dask input {type(data).__name__}; pass a dask.dataframe.DataFrame "
                    "(series.to_frame() for one column) or a 2-D dask.array.Array."
                )
            if len(data.chunks[1]) > 1:
                data = data.rechunk({1: -1})  # a row's columns must be in one block
        self.model = model
        self.data = data
        self._bmus = None

    @property
    def counts(self) -> np.ndarray:
        """Rows per node: from the first per-node sums made, else one pass over the features."""
        sums = self._sums[0][1] if self._sums else self.node_sums(SumPlan.of(self.n_nodes, ()))
        return sums.rows.astype(np.int64)

    @property
    def features(self):
        """The model's feature columns of ``data`` (lazy)."""
        return model_features(self.model, self.data)

    @property
    def bmus(self):
        """The lazy BMU of every row (a Dask Series with ``data``'s index, or a Dask array)."""
        if self._bmus is None:
            self._bmus = self.model.predict(self.features)
        return self._bmus

    # ------------------------------------------------------------------ rows
    def positions(self, nodes):
        raise DaskRowsError(
            "Row positions have no meaning for Dask data (its partitions are not numbered row by row): "
            "use selected_rows.index (a lazy Dask Index) for the selected rows' labels, or "
            "selected_rows itself."
        )

    def rows(self, nodes):
        """The rows whose BMU is in ``nodes``, lazily (a Dask DataFrame keeps its index and columns)."""
        return rows_of_nodes(self.model, self.data, nodes)

    def nodes_of(self, rows) -> np.ndarray:
        """The nodes (sorted, unique) holding the given rows, computing only their node indices.

        ``rows`` is a Dask boolean Series aligned with ``data`` (e.g. ``ddf["x"] > 0``), a Dask
        DataFrame with the model's features (e.g. ``ddf[ddf["x"] > 0]``: its rows' BMUs), a pandas
        DataFrame or Series (its index labels; a boolean Series: the labels where it is True), or
        index labels.  One pass over ``data`` at most; only node indices reach the client.
        """
        if not is_dask_dataframe(self.data):
            raise DaskRowsError(
                "select_rows needs the view's Dask data to be a DataFrame (rows are found by index label)."
            )
        bmus = self.bmus
        if is_dask_collection(rows):
            if is_dask_dataframe(rows):
                nodes = self.model.predict(model_features(self.model, rows)).unique()
            elif getattr(getattr(rows, "dtype", None), "kind", None) == "b":
                nodes = bmus[rows].unique()
            else:
                raise DaskRowsError(
                    "select_rows takes a Dask boolean Series (ddf['x'] > 0) or a Dask DataFrame of rows, "
                    f"got a Dask {type(rows).__name__} of dtype {getattr(rows, 'dtype', None)}."
                )
            return np.unique(np.asarray(nodes.compute(), dtype=np.int64))
        if is_dataframe(rows) or (is_series(rows) and rows.dtype != bool):
            labels = rows.index
        elif is_series(rows):
            labels = rows.index[rows.to_numpy()]
        else:
            values = np.asarray(rows)
            if values.dtype == bool:
                raise DaskRowsError(
                    "A boolean array cannot be aligned with Dask rows (they have no positions): pass a "
                    "Dask boolean Series (e.g. ddf['x'] > 0) or a pandas boolean Series indexed like data."
                )
            labels = values.ravel()
        import pandas as pd

        labels = pd.Index(labels).unique()
        if len(labels) == 0:
            return np.empty(0, dtype=np.int64)
        found = bmus.map_partitions(_rows_with_labels, labels, meta=bmus._meta).compute()
        missing = labels[~labels.isin(found.index)]
        if len(missing):
            raise KeyError(f"{len(missing)} label(s) not in data's index, e.g. {list(missing[:5])}.")
        return np.unique(found.to_numpy(dtype=np.int64))

    # ------------------------------------------------------------------ sums
    def sum_plan(self, numeric, categorical=(), max_categories: int = 8) -> SumPlan:
        """The plan of :meth:`node_sums`; non-numeric columns cost one pass of value counts first.

        Every partition's value counts, summed up the tree, give each such column's
        ``max_categories`` most frequent values (ties: the value seen first, as in memory).
        """
        tally = None
        if categorical:
            columns = tuple(categorical)
            tally = self._passes(self.data[list(columns)]).map_reduce(
                "category-tally", _partition_tally, columns
            )
        return SumPlan.of(self.n_nodes, numeric, categorical, tally, max_categories)

    def _node_sums(self, plan: SumPlan) -> NodeSums:
        """One pass: every partition's BMUs (as ``model.predict`` finds them) and its sums, up the tree."""
        data = self.data
        features = getattr(self.model, "feature_names_in_", None)
        if is_dask_dataframe(data) and features is not None and plan.numeric is not None:
            # Read only the columns the BMUs and the plan need (a Parquet source reads no others).
            wanted = {*map(str, features), *map(str, plan.numeric), *map(str, plan.categorical)}
            data = data[[label for label in data.columns if str(label) in wanted]]
        return self._passes(data).map_reduce("node-sums", _partition_node_sums, (_bmu_spec(self.model), plan))

    def _passes(self, collection) -> DaskData:
        return DaskData(collection, None, None, self.model.dtype, self.model.distance_metric, None)

    # ------------------------------------------------------------ anomalies
    def anomaly_counts(self, model, limit: float) -> np.ndarray:
        """Per node, its rows whose BMU distance is above ``limit`` (one pass; node counts come back)."""
        spec = (_bmu_spec(model), float(limit))
        return self._passes(self.data).map_reduce("anomaly-counts", _partition_anomaly_counts, spec)

    def anomaly_rows(self, model, nodes, limit: float):
        """The rows on ``nodes`` whose BMU distance is above ``limit``, lazily (index and columns kept)."""
        nodes = np.unique(np.asarray(nodes, dtype=np.int64))
        spec = delayed((_bmu_spec(model), nodes, float(limit)), traverse=False)
        if is_dask_dataframe(self.data):
            import pandas as pd

            mask = self.data.map_partitions(_partition_anomaly_mask, spec, meta=pd.Series([], dtype=bool))
        else:
            mask = self.data.map_blocks(_block_anomaly_mask, spec, dtype=bool, drop_axis=1)
        return self.data[mask]

    # ------------------------------------------------------------ per row / per node
    def node_quantization_error(self, model) -> np.ndarray:
        """Per-node quantization error of these rows (one statistics pass)."""
        return model.node_quantization_error(model_features(model, self.data))

    def node_layer(self, values, name=None, max_categories: int = MAX_LAYER_CATEGORIES) -> NodeLayer:
        """Per node, the mean or most frequent value of a Dask Series aligned with ``data`` (or a column).

        The values join the rows as a column (``data.assign``), so the layer is :meth:`column_layer`'s
        reductions: only per-node numbers reach the client.
        """
        if isinstance(values, str) and is_dask_dataframe(self.data) and values in self.data.columns:
            return self.column_layer(values, name, max_categories)
        if not (is_dask_collection(values) and getattr(values, "ndim", 1) == 1 and hasattr(values, "index")):
            raise DaskRowsError(
                "Values per row of Dask rows must be a Dask Series aligned with the data (e.g. "
                "ddf['x'] * 2, or a model's predictions by ddf.map_partitions(...)), or a column name: "
                f"Dask rows have no positions to line up a {type(values).__name__} with."
            )
        if not is_dask_dataframe(self.data):
            raise DaskRowsError(
                "Values per row need the view's Dask data to be a DataFrame (a Dask array has no index to "
                "align them on)."
            )
        column = _LAYER_COLUMN
        while column in self.data.columns:
            column += "_"
        given = None if getattr(values, "name", None) is None else str(values.name)
        rows = DaskRows(self.model, self.data.assign(**{column: values}))
        return rows.column_layer(column, name or given or "values", max_categories)

    def labels(self, node_codes, categories, name: str = "segment"):
        """Per row, ``categories[node_codes[bmu]]`` as a lazy categorical Dask Series (see :func:`segment_labels`)."""
        return segment_labels(self.model, self.data, node_codes, categories, name)


def _rows_with_labels(bmus, labels):
    """A partition's BMUs (a pandas Series) restricted to the rows whose index label is in ``labels``."""
    return bmus[bmus.index.isin(labels)]


def _bmu_spec(model) -> _PassSpec:
    """What a partition needs to find its rows' BMUs: not the whole model (no history, no training BMUs)."""
    state = committed_state(model, "a pass over Dask rows")
    names = None if state.feature_names is None else tuple(state.feature_names)
    codebook = np.ascontiguousarray(state.codebook, dtype=np.float64)
    return _PassSpec(names=names, codebook=codebook, **model_fields(model, state))


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


def _features_of(block, names):
    features = feature_columns(block, names)
    return matched_columns(features, names) if hasattr(features, "columns") else features


def _partition_anomaly_counts(block, spec, index):
    """Per node, the partition's rows whose BMU distance is above the limit (int64)."""
    bmu_spec, limit = spec
    n_nodes = bmu_spec.codebook.shape[0]
    if len(block) == 0:
        return np.zeros(n_nodes, dtype=np.int64)
    bmus, distances = _block_bmu_distances(_features_of(block, bmu_spec.names), bmu_spec, index)
    return anomaly.node_anomalies(bmus, distances, limit, n_nodes)[1]


def _block_anomaly_mask(block, spec, block_info=None):
    bmu_spec, nodes, limit = spec
    index = block_info[0]["chunk-location"][0] if block_info else "?"
    bmus, distances = _block_bmu_distances(_features_of(block, bmu_spec.names), bmu_spec, index)
    return np.isin(bmus, nodes) & (distances > limit)


def _partition_anomaly_mask(frame, spec, partition_info=None):
    import pandas as pd

    index = partition_info["number"] if partition_info else "?"
    mask = _block_anomaly_mask(frame, spec, {0: {"chunk-location": (index,)}}) if len(frame) else []
    return pd.Series(np.asarray(mask, dtype=bool), index=frame.index)


def rows_of_nodes(model, X, nodes):
    """The rows of Dask ``X`` whose BMU is one of ``nodes``, lazily (a map view's ``selected_rows``).

    A Dask DataFrame keeps its index and all its columns; a Dask array gives a lazy array of unknown length.
    """
    nodes = np.unique(np.asarray(nodes, dtype=np.int64))
    bmus = model.predict(model_features(model, X))
    if is_dask_dataframe(X):
        return X[bmus.isin(nodes.tolist())]
    import dask.array as da

    return X[da.isin(bmus, nodes)]


def _segment_of_rows(bmus, node_labels, categories, name):
    import pandas as pd

    codes = node_labels[bmus.to_numpy(dtype=np.int64)]
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=bmus.index, name=name)


def segment_labels(model, X, node_labels, names, name: str = "segment"):
    """The segment of every row of Dask ``X``, lazily: what :meth:`Segments.labels` returns for Dask data.

    A categorical Dask Series named ``name`` (categories ``names``; NaN for a node in no segment,
    ``node_labels[node] == -1``), computed partition-wise from ``model.predict``; it keeps a DataFrame's
    index and partitions, so ``X.assign(segment=...)`` lines up without a shuffle.
    """
    import pandas as pd

    bmus = model.predict(model_features(model, X))
    if not is_dask_dataframe(X):
        import dask.dataframe as dd

        bmus = dd.from_dask_array(bmus)
    categories = pd.Index(list(names), dtype=object)
    meta = pd.Series(pd.Categorical.from_codes([], categories=categories), name=name)
    labels = np.asarray(node_labels, dtype=np.int64)
    return bmus.map_partitions(_segment_of_rows, labels, categories, name, meta=meta)


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
