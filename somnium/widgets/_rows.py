"""The row <-> node index every view that filters rows shares.

Built once from the rows' best matching units (given, or ``model.predict(data)``): one stable
argsort groups the rows by node, so the rows of a selection are a gather of contiguous runs and
cost time proportional to the selected rows, not to all rows.
"""

from __future__ import annotations

import numpy as np

from .._validation import feature_columns, is_dask_collection, is_dask_dataframe, is_dataframe, is_series
from ..exceptions import DaskRowsError, ModelNotTrainedError

__all__ = ["DaskRows", "DaskRowsError", "RowIndex", "model_features", "refuse_bmu"]


def model_features(model, data):
    """The model's feature columns of a DataFrame (pandas or Dask) that may carry extra columns."""
    return feature_columns(data, getattr(model, "feature_names_in_", None))


class RowIndex:
    """Which rows sit on which node.

    Parameters
    ----------
    bmu : array-like of int, shape (n_rows,)
        Best matching unit of every row.
    n_nodes : int
        Nodes of the map.
    data : DataFrame or ndarray, optional
        The rows themselves (for :meth:`rows`); positions work without them.
    """

    def __init__(self, bmu, n_nodes: int, data=None):
        bmu = np.asarray(bmu)
        if bmu.ndim != 1:
            raise ValueError(f"bmu must hold one node index per row, got shape {bmu.shape}.")
        if bmu.size and bmu.dtype.kind not in "iu":
            raise ValueError(f"bmu must hold integer node indices, got dtype {bmu.dtype}.")
        bmu = bmu.astype(np.int64, copy=False)
        if bmu.size and (bmu.min() < 0 or bmu.max() >= n_nodes):
            raise ValueError(f"bmu holds node indices outside 0..{n_nodes - 1}.")
        if data is not None and len(data) != bmu.shape[0]:
            raise ValueError(
                f"bmu must hold one node index per row of data ({len(data)}), got shape {bmu.shape}."
            )
        self.bmu = bmu
        self.n_nodes = int(n_nodes)
        self.data = data if data is None or is_dataframe(data) else np.asarray(data)
        self.counts = np.bincount(bmu, minlength=self.n_nodes)
        self._rows_by_node = np.argsort(bmu, kind="stable")
        self._group_start = np.concatenate(([0], np.cumsum(self.counts)))

    @classmethod
    def for_model(cls, model, data=None, bmu=None) -> RowIndex | None:
        """The index of ``data``'s rows on ``model``'s map (the training rows without ``data``).

        Returns None when there are no rows to index (no ``data`` and a model without training BMUs).
        """
        n_nodes = model.lattice_.n_nodes
        if data is None:
            if bmu is not None:
                raise ValueError("bmu= describes the rows of data=; pass data as well.")
            try:
                return cls(model.bmu_, n_nodes)
            except ModelNotTrainedError:  # e.g. a loaded model without its training BMUs
                return None
        if not is_dataframe(data):
            data = np.asarray(data)
        if bmu is None:
            bmu = model.predict(model_features(model, data))
        return cls(bmu, n_nodes, data)

    @property
    def n_rows(self) -> int:
        return int(self.bmu.shape[0])

    def positions(self, nodes) -> np.ndarray:
        """Positions (0-based, ascending) of the rows whose BMU is in ``nodes``.

        Proportional to the selected rows plus nodes when few rows are selected; one vectorised
        pass over all BMUs when many are.
        """
        nodes = np.unique(np.asarray(nodes, dtype=np.int64))
        if nodes.size == 0:
            return np.empty(0, dtype=np.int64)
        starts = self._group_start[nodes]
        lengths = self._group_start[nodes + 1] - starts
        total = int(lengths.sum())
        if total * 8 >= self.n_rows:
            mask = np.zeros(self.n_nodes, dtype=bool)
            mask[nodes] = True
            return np.flatnonzero(mask[self.bmu])
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
        return self.data.iloc[index] if is_dataframe(self.data) else self.data[index]

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


def refuse_bmu(bmu) -> None:
    """``bmu=`` has no rows to align with in Dask data (no positions): refuse it, saying what to do."""
    if bmu is not None:
        raise DaskRowsError(
            "bmu= is not supported with Dask data: the views compute the BMUs partition-wise "
            "(model.predict); drop bmu=."
        )


def _rows_with_labels(bmus, labels):
    """A partition's BMUs (a pandas Series) restricted to the rows whose index label is in ``labels``."""
    return bmus[bmus.index.isin(labels)]


class DaskRows:
    """The rows of a Dask DataFrame (or 2-D Dask array) on a model's map, without one BMU per row.

    The interface of :class:`RowIndex` a map view and a :class:`~somnium.widgets.Selection` use,
    by Dask reductions and lazy filters (:mod:`somnium.distributed`): the hits and the per-node
    means of ``columns`` come from one pass of per-node sums (only ``n_nodes`` numbers per column reach
    the client); :meth:`rows` is a lazy Dask DataFrame filtered to the nodes, BMUs computed
    partition-wise, index kept.  Positions have no meaning here (:meth:`positions` raises).

    Parameters
    ----------
    model : SOM
        A fitted model.
    data : dask.dataframe.DataFrame or dask.array.Array
        The rows; a DataFrame may hold extra columns besides the model's features.
    columns : sequence, optional
        Numeric columns of ``data`` whose per-node mean (missing values skipped) to compute with the hits.
    counts, column_means : optional
        The hits and per-node means when a pass already computed them (then this makes no pass).
    """

    bmu = None

    def __init__(self, model, data, columns=(), *, counts=None, column_means=None):
        from .. import distributed

        self.model = model
        self.data = data
        self.n_nodes = int(model.lattice_.n_nodes)
        columns = list(columns)
        if counts is not None:
            hits, self.column_means = counts, dict(column_means or {})
        elif columns:
            hits, self.column_means = distributed.node_column_means(model, data, columns)
        else:  # one statistics pass on the features (extra non-numeric columns left out)
            hits, self.column_means = model.node_hits(model_features(model, data)), {}
        self.counts = np.asarray(hits, dtype=np.int64)
        self._bmus = None

    @property
    def n_rows(self) -> int:
        return int(self.counts.sum())

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

    def positions(self, nodes):
        raise DaskRowsError(
            "Row positions have no meaning for Dask data (its partitions are not numbered row by row): "
            "use selected_rows.index (a lazy Dask Index) for the selected rows' labels, or "
            "selected_rows itself."
        )

    def rows(self, nodes):
        """The rows whose BMU is in ``nodes``, lazily (a Dask DataFrame keeps its index and columns)."""
        from ..distributed import rows_of_nodes

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
