"""The row <-> node index every view that filters rows shares.

Built once from the rows' best matching units (given, or ``model.predict(data)``): one stable
argsort groups the rows by node, so the rows of a selection are a gather of contiguous runs and
cost time proportional to the selected rows, not to all rows.
"""

from __future__ import annotations

import numpy as np

from .._validation import is_dataframe, is_series
from ..exceptions import ModelNotTrainedError

__all__ = ["RowIndex", "model_features"]


def model_features(model, data):
    """The model's feature columns of a DataFrame that may carry extra columns (other data as is)."""
    if is_dataframe(data):
        names = model.feature_names()
        if (
            set(names) <= {str(c) for c in data.columns}
            and getattr(model, "feature_names_in_", None) is not None
        ):
            by_name = {str(c): c for c in data.columns}
            return data[[by_name[name] for name in names]]
    return data


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
