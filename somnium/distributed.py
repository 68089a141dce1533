"""Compatibility module: the Dask adapter is the package :mod:`somnium.dask` (passes, fit, rows).

Code written against ``somnium.distributed`` keeps working.  ``somnium.distributed.SPLIT_EVERY`` reads
and sets :data:`somnium.dask.passes.SPLIT_EVERY`, the fan-in every pass reads when it builds its graph.
"""

from __future__ import annotations

import sys
import types

import numpy as np

from ._summaries import NodeSums, SumPlan, split_columns
from ._validation import is_dask_dataframe
from .dask import ClusterError, DaskData, active_client, passes, rows_of_nodes, sample_rows, segment_labels
from .dask.rows import DaskRows
from .exceptions import InvalidValuesInDataSet

__all__ = [
    "SPLIT_EVERY",  # noqa: F822 - a property of this module (see _Forwarding)
    "ClusterError",
    "DaskData",
    "active_client",
    "node_column_means",
    "node_sums",
    "rows_of_nodes",
    "sample_rows",
    "segment_labels",
]


def node_sums(model, X, max_categories=8, also_numeric=()) -> tuple[SumPlan, NodeSums]:
    """Per-node sums of every column of Dask ``X`` (a profile's), plus ``also_numeric`` summed as numbers."""
    rows = DaskRows(model, X)
    numeric, categorical = split_columns(rows.data)
    plan = rows.sum_plan(numeric, categorical, max_categories).with_numeric(also_numeric)
    return plan, rows.node_sums(plan)


def node_column_means(model, X, columns=()) -> tuple[np.ndarray, dict]:
    """Rows per node and the per-node mean of each of ``columns`` of a Dask DataFrame, in one pass."""
    columns = list(columns)
    if columns and not is_dask_dataframe(X):
        raise InvalidValuesInDataSet("columns= needs a Dask DataFrame (named columns).")
    rows = DaskRows(model, X)
    plan = rows.sum_plan(columns)
    return rows.counts, rows.node_sums(plan).means(plan, columns)


class _Forwarding(types.ModuleType):
    """This module, with ``SPLIT_EVERY`` read from and written to :mod:`somnium.dask.passes`."""

    @property
    def SPLIT_EVERY(self) -> int:
        return passes.SPLIT_EVERY

    @SPLIT_EVERY.setter
    def SPLIT_EVERY(self, value: int) -> None:
        passes.SPLIT_EVERY = value


sys.modules[__name__].__class__ = _Forwarding
