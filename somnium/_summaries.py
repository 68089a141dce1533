"""Per-node sums of a table's columns: what a profile of any set of nodes adds up.

Numeric columns (integer and float dtypes) give, per node, the count of their finite values, the sum
and the sum of squares; every other column (text, categorical, boolean, dates) the count of each of
its most frequent values, all other values together as ``"(other)"``.  Sums of two sets of rows add
(:class:`NodeSums` ``+``), so the same code sums all rows in memory and one partition of Dask rows
(:func:`somnium.distributed.node_sums` adds the partitions' sums up a tree).  Which values are the most
frequent is a property of all rows, settled first by a :class:`CategoryTally` (which also adds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import float_values

__all__ = [
    "OTHER",
    "CategoryTally",
    "NodeSums",
    "SumPlan",
    "per_node",
    "split_columns",
    "sum_by_node",
    "summarize",
]

#: The label of the values of a column that are not among its most frequent
OTHER = "(other)"


def split_columns(dtypes) -> tuple[list, list]:
    """Labels of the numeric (integer, float) columns and of the others, from a frame's ``dtypes``."""
    numeric = [c for c, dtype in dtypes.items() if getattr(dtype, "kind", "O") in "iuf"]
    chosen = set(numeric)
    return numeric, [c for c in dtypes.index if c not in chosen]


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

    def means(self, names: list[str], columns) -> dict:
        """Per-node mean of each of ``columns`` (of ``names``, the numeric ones); NaN where a node has no value."""
        out = {}
        for column in columns:
            j = names.index(str(column))
            with np.errstate(invalid="ignore", divide="ignore"):
                out[str(column)] = np.where(
                    self.counts[:, j] > 0, self.sums[:, j] / self.counts[:, j], np.nan
                )
        return out


def sum_by_node(bmu, data, plan: SumPlan, factorized=None) -> NodeSums:
    """The :class:`NodeSums` of the rows ``data`` (a DataFrame, or an array when ``plan.numeric`` is None).

    Non-finite numeric values (NaN, missing, inf) are left out of their column's count and sums.
    ``factorized`` maps a non-numeric column to its ``pandas.factorize`` when already known.
    """
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
        codes, uniques = factorized[column] if factorized else _factorized(data[column])
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


def summarize(bmu, data, n_nodes: int, max_categories: int) -> tuple[SumPlan, NodeSums]:
    """The plan and the :class:`NodeSums` of in-memory rows (a DataFrame: every column; an array: all numeric)."""
    if hasattr(data, "dtypes"):
        numeric, categorical = split_columns(data.dtypes)
        factorized = {column: _factorized(data[column]) for column in categorical}
        tally = CategoryTally([ValueCounts.factorized(*factorized[column]) for column in categorical])
        plan = SumPlan.of(n_nodes, numeric, categorical, tally, max_categories)
        return plan, sum_by_node(bmu, data, plan, factorized)
    plan = SumPlan.of(n_nodes, None)
    return plan, sum_by_node(bmu, data, plan)
