"""The rows protocol: a data set's rows on a fitted map, in memory or on Dask, behind one interface.

Every view that filters or summarises rows (MapView, SegmentProfile, the Explorer, a Selection) and
:class:`~somnium.segments.Segments` ask their rows the same questions: how many rows each node holds,
which rows sit on some nodes, which nodes hold some rows, the per-node sums of a plan of columns, and
the segment of every row.  :func:`rows_for` decides once, at the edge, who answers: :class:`RowIndex`
for rows in memory (one BMU per row), :class:`somnium.dask.DaskRows` for Dask rows (lazy filters, sums
by reductions; imported only then).  Nothing else in the library asks which backend the rows are on.

The protocol lives here rather than in :mod:`somnium.widgets` because Segments, which is not a
widget, uses it too; the views import it from ``somnium.widgets._rows``.
"""

from __future__ import annotations

import numpy as np

from . import anomaly, metrics
from ._node_layers import MAX_LAYER_CATEGORIES, NodeLayer, layer_from_plan, node_layer, per_row_values
from ._summaries import CategoryTally, NodeSums, SumPlan, sum_by_node
from ._validation import (
    check_nodes,
    feature_columns,
    is_dask_collection,
    is_dataframe,
    is_numeric_dtype,
    is_series,
)
from .exceptions import DaskRowsError, ModelNotTrainedError

__all__ = ["RowIndex", "Rows", "model_features", "rows_for", "sample_rows"]

#: The one wording for BMUs given with Dask rows (they cannot be lined up with rows that have no positions).
BMU_WITH_DASK = (
    "bmu= is not supported with Dask data: BMUs are computed partition-wise (model.predict), since Dask "
    "rows have no positions to line given BMUs up with; drop bmu=."
)


def rows_for(model, data=None, bmu=None, with_distances: bool = False) -> Rows | None:
    """The rows of ``data`` on ``model``'s map, in memory or on Dask (the only backend test).

    Without ``data``: the training rows' BMUs (positions only; None when the model keeps none, e.g. a
    loaded model), or the rows described by ``bmu``. ``with_distances``: rows in memory whose BMUs are
    searched get their BMU distances in the same pass (for the anomaly questions of a map view).

    Raises
    ------
    DaskRowsError
        If ``bmu`` is given with Dask data.
    """
    if is_dask_collection(data):
        if bmu is not None:
            raise DaskRowsError(BMU_WITH_DASK)
        from .dask import DaskRows

        return DaskRows(model, data)
    return RowIndex.for_model(model, data, bmu, with_distances)


def model_features(model, data):
    """The model's feature columns of a DataFrame (pandas or Dask) that may carry extra columns."""
    return feature_columns(data, getattr(model, "feature_names_in_", None))


class Rows:
    """The protocol: what every view and Segments ask of rows on a map (and the sums they keep).

    Attributes
    ----------
    n_nodes : int
        Nodes of the map.
    data : DataFrame, ndarray, Dask collection or None
        The rows as given (None: only their BMUs are known).
    bmu : ndarray of int64 or None
        One node per row when the rows have positions (in memory); None for Dask rows.
    counts : ndarray of int64, shape (n_nodes,)
        Rows per node.
    n_rows : int

    Methods
    -------
    positions(nodes), rows(nodes), nodes_of(selector)
        Which rows sit on ``nodes`` (positions; the rows themselves), which nodes hold ``selector``.
    sum_plan(numeric, categorical, max_categories), node_sums(plan)
        The per-node sums of columns: the plan settles each non-numeric column's kept values, the sums
        follow it.  Sums are kept, so a later plan that an earlier one covers costs no pass.
    node_quantization_error(model), labels(node_codes, categories)
        The rows' per-node quantization error; a per-row categorical from per-node codes.
    column_layer(column), node_layer(values)
        One value per node (:class:`~somnium._node_layers.NodeLayer`: a mean, or the most frequent
        value and its share) of a column of ``data`` (by the sums above), or of values given per row.
    anomaly_counts(model, limit), anomaly_rows(model, nodes, limit)
        Per node, the rows whose BMU distance (``model.bmu_distance``) is above ``limit``; those rows
        on ``nodes`` themselves.
    """

    n_nodes: int
    data = None
    bmu = None

    def __init__(self, n_nodes: int):
        self.n_nodes = int(n_nodes)
        self._sums: list[tuple[SumPlan, NodeSums]] = []

    def node_sums(self, plan: SumPlan) -> NodeSums:
        """The per-node sums ``plan`` asks for: from sums already made when they cover it, else one pass."""
        for have, sums in self._sums:
            if have.covers(plan):
                return sums.restricted(have, plan)
        sums = self._node_sums(plan)
        self._sums.append((plan, sums))
        return sums

    @property
    def n_rows(self) -> int:
        return int(self.counts.sum())

    def _node_sums(self, plan: SumPlan) -> NodeSums:
        raise NotImplementedError

    def column_layer(self, column, name=None, max_categories: int = MAX_LAYER_CATEGORIES) -> NodeLayer:
        """Per node, the mean (a numeric column) or most frequent value (any other) of ``data[column]``.

        By the per-node sums of a plan (:meth:`node_sums`): one pass over Dask rows (two for a
        non-numeric column: its values are counted first), none when earlier sums cover it.
        """
        if is_numeric_dtype(self.data[column].dtype):
            plan = self.sum_plan([column])
            return layer_from_plan(plan, self.node_sums(plan), column, name)
        for have, sums in self._sums:  # sums that counted this column's values alike (a profile's)
            if column in have.categorical:
                i = have.categorical.index(column)
                kept = len(have.kept[i])
                if kept == max_categories or (not have.others[i] and kept <= max_categories):
                    return layer_from_plan(have, sums, column, name)
        plan = self.sum_plan([], [column], max_categories)
        return layer_from_plan(plan, self.node_sums(plan), column, name)

    def node_layer(self, values, name=None, max_categories: int = MAX_LAYER_CATEGORIES) -> NodeLayer:
        """Per node, the mean or most frequent value of ``values``, one per row (see the backends)."""
        raise NotImplementedError


class RowIndex(Rows):
    """Which rows of in-memory data sit on which node.

    Built from the rows' best matching units: one stable argsort (made at the first selection) groups
    the rows by node, so the rows of a selection are a gather of contiguous runs and cost time
    proportional to the selected rows, not to all rows.

    Parameters
    ----------
    bmu : array-like of int, shape (n_rows,)
        Best matching unit of every row.
    n_nodes : int
        Nodes of the map.
    data : DataFrame or ndarray, optional
        The rows themselves (for :meth:`rows` and sums); positions work without them.
    """

    def __init__(self, bmu, n_nodes: int, data=None):
        super().__init__(n_nodes)
        if is_dask_collection(data):
            raise DaskRowsError(BMU_WITH_DASK)
        bmu = check_nodes(bmu, n_nodes, "bmu", unique=False)
        if data is not None and len(data) != bmu.shape[0]:
            raise ValueError(
                f"bmu must hold one node index per row of data: it has {bmu.shape[0]} entries but data "
                f"has {len(data)} rows."
            )
        self.bmu = bmu
        self.data = data if data is None or is_dataframe(data) or is_series(data) else np.asarray(data)
        self._counts = None
        self._group_start = None
        self._rows_by_node = None
        self._factorized: dict = {}  # from sum_plan, for the node_sums that follows
        self._distances = None  # (model, every row's BMU distance), made at the first anomaly question

    @classmethod
    def for_model(cls, model, data=None, bmu=None, with_distances: bool = False) -> RowIndex | None:
        """The index of ``data``'s rows on ``model``'s map (BMUs from ``model.predict`` unless given).

        Without ``data``: the rows ``bmu`` describes, or the training rows; None when there are none
        (no ``bmu`` and a model without training BMUs, e.g. a loaded one). ``with_distances``: the
        pass that finds the BMUs also keeps ``model.bmu_distance`` of every row (a few per cent more
        than ``predict``, instead of a second pass at the first anomaly question).
        """
        n_nodes = model.lattice_.n_nodes
        if data is None:
            if bmu is not None:
                return cls(bmu, n_nodes)
            try:
                return cls(model.bmu_, n_nodes)
            except ModelNotTrainedError:
                return None
        if not (is_dataframe(data) or is_series(data)):
            data = np.asarray(data)
        if bmu is not None:
            return cls(bmu, n_nodes, data)
        if not with_distances:
            return cls(model.predict(model_features(model, data)), n_nodes, data)
        bmu, distances = anomaly.bmus_and_distances(model, model._data, model_features(model, data))
        index = cls(bmu, n_nodes, data)
        index._distances = (model, np.asarray(distances, dtype=np.float64))
        return index

    @property
    def counts(self) -> np.ndarray:
        if self._counts is None:
            self._counts = np.bincount(self.bmu, minlength=self.n_nodes)
        return self._counts

    @property
    def n_rows(self) -> int:
        return int(self.bmu.shape[0])

    def positions(self, nodes) -> np.ndarray:
        """Positions (0-based, ascending) of the rows whose BMU is in ``nodes``.

        Proportional to the selected rows plus nodes when few rows are selected; one vectorised
        pass over all BMUs when many are.
        """
        nodes = check_nodes(nodes, self.n_nodes)
        if nodes.size == 0:
            return np.empty(0, dtype=np.int64)
        if self._group_start is None:
            self._group_start = np.concatenate(([0], np.cumsum(self.counts)))
        starts = self._group_start[nodes]
        lengths = self._group_start[nodes + 1] - starts
        total = int(lengths.sum())
        if total * 8 >= self.n_rows:
            mask = np.zeros(self.n_nodes, dtype=bool)
            mask[nodes] = True
            return np.flatnonzero(mask[self.bmu])
        if self._rows_by_node is None:  # made at the first small selection, not for labels or sums
            self._rows_by_node = np.argsort(self.bmu, kind="stable")
        # Positions of every selected run inside _rows_by_node, then back to row order.
        run_offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        rows = self._rows_by_node[run_offsets + np.arange(total)]
        rows.sort()
        return rows

    def rows(self, nodes):
        """The rows of ``data`` whose BMU is in ``nodes``, in their original order (and index)."""
        if self.data is None:
            raise ValueError("These rows were indexed without their data: only positions are available.")
        index = self.positions(nodes)
        return self.data.iloc[index] if hasattr(self.data, "iloc") else self.data[index]

    def nodes_of(self, rows) -> np.ndarray:
        """The nodes (sorted, unique) holding the given rows.

        ``rows`` is a boolean mask (a Series is aligned on the DataFrame's index), a DataFrame or
        non-boolean Series (its index labels), index labels of a DataFrame, or row positions of an
        array.
        """
        return np.unique(self.bmu[self.row_positions(rows)])

    def row_positions(self, rows) -> np.ndarray:
        frame = self.data if is_dataframe(self.data) else None
        if is_dataframe(rows) or (is_series(rows) and rows.dtype != bool):
            if frame is None:
                raise ValueError("Selecting by DataFrame or Series needs the view's data to be a DataFrame.")
            return self._label_positions(frame, rows.index)
        if is_series(rows) and frame is not None and not rows.index.equals(frame.index):
            rows = rows.reindex(frame.index, fill_value=False)
        values = np.asarray(rows)
        if values.dtype == bool:
            if values.shape != (self.n_rows,):
                raise ValueError(
                    f"A boolean mask needs one entry per row ({self.n_rows}), got shape {values.shape}."
                )
            return np.flatnonzero(values)
        if frame is not None:
            return self._label_positions(frame, values.ravel())
        if values.size and values.dtype.kind not in "iu":
            raise ValueError(f"Row positions must be integers or a boolean mask, got dtype {values.dtype}.")
        positions = values.astype(np.int64).ravel()
        if positions.size and (positions.min() < -self.n_rows or positions.max() >= self.n_rows):
            raise IndexError(f"Row positions out of range for {self.n_rows} rows.")
        return positions

    @staticmethod
    def _label_positions(frame, labels) -> np.ndarray:
        import pandas as pd

        labels = pd.Index(labels)
        missing = labels[~labels.isin(frame.index)]
        if len(missing):
            raise KeyError(f"{len(missing)} label(s) not in data's index, e.g. {list(missing[:5])}.")
        return np.flatnonzero(frame.index.isin(labels))

    # ------------------------------------------------------------------ sums
    def sum_plan(self, numeric, categorical=(), max_categories: int = 8) -> SumPlan:
        """The plan summing ``numeric`` columns (None: every column of an array) and counting the
        ``max_categories`` most frequent values of each ``categorical`` column (the rest as "(other)")."""
        self._require_data()
        tally, self._factorized = (
            CategoryTally.with_codes(self.data, categorical) if categorical else (None, {})
        )
        return SumPlan.of(self.n_nodes, numeric, categorical, tally, max_categories)

    def _node_sums(self, plan: SumPlan) -> NodeSums:
        self._require_data()
        factorized, self._factorized = self._factorized, {}
        return sum_by_node(self.bmu, self.data, plan, factorized)

    def _require_data(self) -> None:
        if self.data is None:
            raise ValueError("These rows were indexed without their data: pass data= to sum their columns.")

    # ------------------------------------------------------------ anomalies
    def bmu_distances(self, model) -> np.ndarray:
        """Every row's BMU distance on ``model`` (``model.bmu_distance``: one pass, kept)."""
        if self._distances is None or self._distances[0] is not model:
            self._require_data()
            distances = np.asarray(model.bmu_distance(model_features(model, self.data)), dtype=np.float64)
            self._distances = (model, distances)
        return self._distances[1]

    def anomaly_counts(self, model, limit: float) -> np.ndarray:
        """Per node, its rows whose BMU distance is above ``limit`` (int64)."""
        return anomaly.node_anomalies(self.bmu, self.bmu_distances(model), limit, self.n_nodes)[1]

    def anomaly_positions(self, model, nodes, limit: float) -> np.ndarray:
        """Positions (ascending) of the rows on ``nodes`` whose BMU distance is above ``limit``."""
        positions = self.positions(nodes)
        return positions[self.bmu_distances(model)[positions] > limit]

    def anomaly_rows(self, model, nodes, limit: float):
        """The rows on ``nodes`` whose BMU distance is above ``limit``, in their order (and index)."""
        index = self.anomaly_positions(model, nodes, limit)
        return self.data.iloc[index] if hasattr(self.data, "iloc") else self.data[index]

    # ------------------------------------------------------------ per row / per node
    def node_quantization_error(self, model) -> np.ndarray:
        """Per-node quantization error of these rows (of the training rows without data)."""
        if self.data is None:
            return model.node_quantization_error()
        normalized = model.normalize(model_features(model, self.data))  # NaN: a missing cell, skipped
        return metrics.node_quantization_error(
            normalized, model.normalized_codebook_, self.bmu, _feature_weights(model)
        )

    def node_layer(self, values, name=None, max_categories: int = MAX_LAYER_CATEGORIES) -> NodeLayer:
        """Per node, the mean (numbers) or the most frequent value (categories) of ``values``.

        ``values`` holds one value per row: a pandas Series (aligned on a DataFrame's index) or an
        array; see :func:`somnium._node_layers.node_layer` for the rules.
        """
        index = self.data.index if is_dataframe(self.data) or is_series(self.data) else None
        aligned, given = per_row_values(values, self.n_rows, index)
        return node_layer(aligned, self.bmu, self.n_nodes, name=name or given, max_categories=max_categories)

    def labels(self, node_codes, categories, name: str = "segment"):
        """Per row, ``categories[node_codes[bmu]]`` as a pandas categorical Series (NaN for code -1).

        The Series takes a DataFrame's (or Series') index, else a RangeIndex.
        """
        import pandas as pd

        codes = np.asarray(node_codes, dtype=np.int64)[self.bmu]
        index = (
            self.data.index if is_dataframe(self.data) or is_series(self.data) else pd.RangeIndex(self.n_rows)
        )
        categories = pd.Index(list(categories), dtype=object)
        return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index, name=name)


def _feature_weights(model):
    """The per-column distance weights of ``model`` (None: unweighted), as its own metrics use them."""
    from ._encoding import distance_weights
    from ._params import check_feature_weights
    from ._state import committed_state

    weights = check_feature_weights(model.feature_weights)
    return distance_weights(committed_state(model, "the quality layer"), weights)[0]


def sample_rows(data, n_rows: int, random_state=0):
    """Up to ``n_rows`` rows of ``data``, uniformly without replacement (in their order).

    In memory: every row is a candidate.  Dask rows: at most 32 partitions are read
    (:func:`somnium.dask.sample_rows`), never ``len()`` of the whole collection.
    """
    if is_dask_collection(data):
        from .dask import sample_rows as sample_dask_rows

        return sample_dask_rows(data, n_rows, random_state)
    total = len(data)
    if total <= n_rows:
        return data
    rows = np.sort(np.random.default_rng(random_state).choice(total, n_rows, replace=False))
    return data.iloc[rows] if hasattr(data, "iloc") else np.asarray(data)[rows]
