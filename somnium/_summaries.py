"""Per-node sums of a table's columns: what a profile of any set of nodes, or a map layer, adds up.

A :class:`SumPlan` says what to sum: numeric columns (the count of their finite values, the sum and the
sum of squares per node) and non-numeric ones (text, categorical, boolean, dates: the count of each of
their most frequent values per node, all other values together as ``"(other)"``).  Which values are the
most frequent is a property of all rows, settled by a :class:`CategoryTally` before the sums.  Sums of
two sets of rows add (:class:`NodeSums` ``+``), so the same :func:`sum_by_node` sums all rows in memory
and one partition of Dask rows.  Nothing here knows a backend: the rows (:mod:`somnium._rows`) run a
plan, in memory or as Dask reductions, and the views build their summaries from ``(plan, sums)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ._validation import float_values, numeric_columns
from .metrics import node_mean

__all__ = [
    "OTHER",
    "CategoryTally",
    "NodeSums",
    "SumPlan",
    "per_node",
    "split_columns",
    "sum_by_node",
]

#: The label of the values of a column that are not among its most frequent
OTHER = "(other)"


def split_columns(data) -> tuple[list | None, list]:
    """The numeric columns of a DataFrame (pandas or Dask) and the others; ``(None, [])`` for an array.

    Numeric is :func:`somnium._validation.numeric_columns` (a boolean is a category).
    """
    if not hasattr(getattr(data, "dtypes", None), "items"):
        return None, []
    numeric = numeric_columns(data)
    chosen = set(numeric)
    return numeric, [c for c in data.columns if c not in chosen]


def per_node(bmu, values, n_nodes) -> np.ndarray:
    """Sum of ``values`` (rows x columns) per node: (n_nodes, columns)."""
    out = np.zeros((n_nodes, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(bmu, weights=values[:, j], minlength=n_nodes)
    return out


def _factorized(column):
    """Codes (-1: missing) and distinct values, in order of first appearance, of a column."""
    import pandas as pd

    codes, uniques = pd.factorize(column, sort=False)
    return np.asarray(codes, dtype=np.int64), uniques


#: ``first`` packs (partition, order of first appearance within it) into one sortable int64
_PARTITION_STRIDE = 2**32


@dataclass
class ValueCounts:
    """How often each value of one column occurs and where it first does; counts of two sets of rows add."""

    values: object  # pandas Index of the distinct values
    counts: np.ndarray  # int64
    first: np.ndarray  # int64: partition * 2**32 + order of first appearance within it

    @classmethod
    def of(cls, column, partition: int = 0) -> ValueCounts:
        return cls.factorized(*_factorized(column), partition)

    @classmethod
    def factorized(cls, codes, uniques, partition: int = 0) -> ValueCounts:
        """The counts of a column given as its ``pandas.factorize`` (codes, distinct values)."""
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        return cls(uniques, counts, partition * _PARTITION_STRIDE + np.arange(len(uniques), dtype=np.int64))

    def __add__(self, other: ValueCounts) -> ValueCounts:
        codes, values = _factorized(self.values.append(other.values))
        counts = np.zeros(len(values), dtype=np.int64)
        np.add.at(counts, codes, np.concatenate([self.counts, other.counts]))
        first = np.full(len(values), np.iinfo(np.int64).max)
        np.minimum.at(first, codes, np.concatenate([self.first, other.first]))
        return ValueCounts(values, counts, first)

    def most_frequent(self, k: int) -> np.ndarray:
        """Positions in :attr:`values` of the ``k`` most frequent values, most frequent (then first seen) first."""
        return np.lexsort((self.first, -self.counts))[:k]


@dataclass
class CategoryTally:
    """:class:`ValueCounts` of some columns; tallies of two sets of rows add.

    Ties in count go to the value seen first (by partition, then within it), as in one in-memory
    frame.  Missing values are not counted.
    """

    columns: list[ValueCounts]

    @classmethod
    def of(cls, frame, columns, partition: int = 0) -> CategoryTally:
        return cls([ValueCounts.of(frame[column], partition) for column in columns])

    @classmethod
    def with_codes(cls, frame, columns) -> tuple[CategoryTally, dict]:
        """The tally of in-memory ``frame``'s ``columns`` and their factorizations (for :func:`sum_by_node`)."""
        factorized = {column: _factorized(frame[column]) for column in columns}
        return cls([ValueCounts.factorized(*factorized[column]) for column in columns]), factorized

    def __add__(self, other: CategoryTally) -> CategoryTally:
        return CategoryTally([a + b for a, b in zip(self.columns, other.columns, strict=True)])

    def most_frequent(self, k: int) -> tuple[tuple, tuple]:
        """Per column: the ``k`` most frequent values (a pandas Index), and whether other values exist."""
        kept = tuple(tally.values[tally.most_frequent(k)] for tally in self.columns)
        return kept, tuple(len(tally.values) > k for tally in self.columns)


@dataclass(frozen=True, eq=False)
class SumPlan:
    """What :func:`sum_by_node` sums: the columns, and per non-numeric column the values counted on their own.

    ``numeric`` is None for an array (every column numeric, named ``x0``, ``x1``, ...).
    """

    n_nodes: int
    numeric: tuple | None
    categorical: tuple = ()
    kept: tuple = ()
    others: tuple = ()

    @classmethod
    def of(cls, n_nodes, numeric, categorical=(), tally=None, max_categories=8) -> SumPlan:
        kept, others = tally.most_frequent(max_categories) if categorical else ((), ())
        return cls(
            int(n_nodes), None if numeric is None else tuple(numeric), tuple(categorical), kept, others
        )

    def with_numeric(self, columns) -> SumPlan:
        """This plan with ``columns`` also summed as numbers (an array's plan already sums every column)."""
        if self.numeric is None:
            return self
        extra = tuple(c for c in columns if c not in self.numeric)
        return replace(self, numeric=self.numeric + extra) if extra else self

    def covers(self, other: SumPlan) -> bool:
        """Whether this plan's sums hold everything ``other`` sums (so they answer it without a pass)."""
        if self.n_nodes != other.n_nodes:
            return False
        if other.numeric is None or self.numeric is None:
            numeric = (other.numeric is None and self.numeric is None) or other.numeric == ()
        else:
            numeric = set(other.numeric) <= set(self.numeric)
        return numeric and all(self._same_category(other, j) for j in range(len(other.categorical)))

    def _same_category(self, other: SumPlan, j: int) -> bool:
        column = other.categorical[j]
        if column not in self.categorical:
            return False
        i = self.categorical.index(column)
        return self.others[i] == other.others[j] and self.kept[i].equals(other.kept[j])

    def numeric_names(self, width: int) -> list[str]:
        if self.numeric is None:
            return [f"x{j}" for j in range(width)]
        return [str(c) for c in self.numeric]

    def labels(self) -> list[list[str]]:
        """Per non-numeric column: its kept values as text, then ``"(other)"`` when others exist."""
        return [
            [str(v) for v in kept] + [OTHER] * other
            for kept, other in zip(self.kept, self.others, strict=True)
        ]


@dataclass
class NodeSums:
    """Per-node sums of some rows (see :func:`sum_by_node`); the sums of two sets of rows add with ``+``."""

    rows: np.ndarray  # (n_nodes,) rows per node
    counts: np.ndarray  # (n_nodes, n_numeric) finite values per node and column
    sums: np.ndarray
    squares: np.ndarray
    categories: list  # per non-numeric column, (n_nodes, n_labels) rows per node and value

    def __add__(self, other: NodeSums) -> NodeSums:
        return NodeSums(
            self.rows + other.rows,
            self.counts + other.counts,
            self.sums + other.sums,
            self.squares + other.squares,
            [a + b for a, b in zip(self.categories, other.categories, strict=True)],
        )

    @classmethod
    def empty(cls, plan: SumPlan, width: int) -> NodeSums:
        zeros = np.zeros((plan.n_nodes, width))
        shapes = [
            (plan.n_nodes, len(kept) + other) for kept, other in zip(plan.kept, plan.others, strict=True)
        ]
        return cls(np.zeros(plan.n_nodes), zeros, zeros.copy(), zeros.copy(), [np.zeros(s) for s in shapes])

    def means(self, plan: SumPlan, columns) -> dict:
        """Per-node mean of each of ``columns`` (numeric columns of ``plan``); NaN where a node has no value."""
        names = plan.numeric_names(self.counts.shape[1])
        out = {}
        for column in columns:
            j = names.index(str(column))
            out[str(column)] = node_mean(self.sums[:, j], self.counts[:, j])
        return out

    def restricted(self, have: SumPlan, want: SumPlan) -> NodeSums:
        """The part of these sums (of plan ``have``) that plan ``want`` asks for (``have.covers(want)``)."""
        if want.numeric is None:
            numeric = slice(None)
        else:
            numeric = [have.numeric.index(c) for c in want.numeric]
        categories = [self.categories[have.categorical.index(c)] for c in want.categorical]

        def columns(values):  # C order, as sum_by_node makes them: reductions round the same way
            return np.ascontiguousarray(values[:, numeric])

        return NodeSums(
            self.rows, columns(self.counts), columns(self.sums), columns(self.squares), categories
        )


def sum_by_node(bmu, data, plan: SumPlan, factorized=None) -> NodeSums:
    """The :class:`NodeSums` of the rows ``data`` (a DataFrame, or an array when ``plan.numeric`` is None).

    Non-finite numeric values (NaN, missing, inf) are left out of their column's count and sums.
    ``factorized`` maps non-numeric columns to their ``pandas.factorize`` when already known.
    """
    factorized = factorized or {}
    bmu = np.asarray(bmu, dtype=np.int64)
    n_nodes = plan.n_nodes
    if plan.numeric is None:
        values = float_values(data).reshape(len(bmu), -1)
    elif plan.numeric:
        values = float_values(data[list(plan.numeric)])
    else:
        values = np.empty((len(bmu), 0))
    finite = np.isfinite(values)
    clean = np.where(finite, values, 0.0)
    categories = []
    for column, kept, other in zip(plan.categorical, plan.kept, plan.others, strict=True):
        codes, uniques = factorized[column] if column in factorized else _factorized(data[column])
        n_labels = len(kept) + other
        slot_of = np.asarray(kept.get_indexer(uniques), dtype=np.int64)
        slot_of[slot_of < 0] = len(kept)  # every value not kept shares the last slot, "(other)"
        slots = np.append(slot_of, -1)[codes]  # a missing value (code -1) has none
        valid = slots >= 0
        counts = np.bincount(bmu[valid] * n_labels + slots[valid], minlength=n_nodes * n_labels)
        categories.append(counts.reshape(n_nodes, n_labels).astype(np.float64))
    return NodeSums(
        np.bincount(bmu, minlength=n_nodes).astype(np.float64),
        per_node(bmu, finite.astype(np.float64), n_nodes),
        per_node(bmu, clean, n_nodes),
        per_node(bmu, clean**2, n_nodes),
        categories,
    )
