"""Per-node sums of a table's columns: what a profile of any set of nodes, or a map layer, adds up.

A :class:`SumPlan` says what to sum: numeric columns (the count of their finite values, their mean and
the sum of their squared deviations per node) and non-numeric ones (text, categorical, boolean, dates: the count of each of
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
from .exceptions import InvalidValuesInDataSet

__all__ = [
    "OTHER",
    "CategoryTally",
    "NodeSums",
    "SumPlan",
    "check_column_names",
    "per_node",
    "split_columns",
    "sum_by_node",
]

#: The label of the values of a column that are not among its most frequent
OTHER = "(other)"


def check_column_names(columns, what: str = "data") -> None:
    """Refuse columns whose names read the same as text (``1`` and ``"1"``), or are not valid text.

    Profiles, their tables and map layers name columns by text, so such a pair would show one
    column's numbers under both names; a name with a lone surrogate cannot be sent to a browser.

    Raises
    ------
    InvalidValuesInDataSet
        Naming the first such pair.
    """
    seen: dict = {}
    for column in columns:
        key = str(column)
        try:
            key.encode("utf-8")
        except (
            UnicodeEncodeError
        ):  # a lone surrogate: no browser message (nor pandas' Arrow strings) holds it
            raise InvalidValuesInDataSet(
                f"{what} has a column named {key!r}, which is not valid Unicode text (it holds half of a "
                "surrogate pair); rename it."
            ) from None
        if key in seen:
            raise InvalidValuesInDataSet(
                f"{what} has columns {seen[key]!r} and {column!r}, whose names read the same as text "
                f"({key!r}); profiles and map layers name columns by text, so rename one."
            )
        seen[key] = column


def split_columns(data) -> tuple[list | None, list]:
    """The numeric columns of a DataFrame (pandas or Dask) and the others; ``(None, [])`` for an array.

    Numeric is :func:`somnium._validation.numeric_columns` (a boolean is a category).  Columns whose
    names read the same as text are refused (:func:`check_column_names`).
    """
    if not hasattr(getattr(data, "dtypes", None), "items"):
        return None, []
    check_column_names(data.columns)
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
    """Per-node sums of some rows (see :func:`sum_by_node`); the sums of two sets of rows add with ``+``.

    A numeric column is kept per node as its count of finite values, their mean and the sum of their
    squared deviations from that mean (``m2``), never as a sum of squares: the variance
    ``E[x^2] - E[x]^2`` of a column around 1e8 (or of Unix timestamps) cancels to noise in float64,
    while means and deviations keep every digit.  Two sets of rows add by Chan et al.'s pairwise
    formula, and any set of nodes pools the same way (:meth:`pooled`), so the moments of a selection,
    of all rows or of Dask partitions summed up a tree are those of one two-pass computation.
    """

    rows: np.ndarray  # (n_nodes,) rows per node
    counts: np.ndarray  # (n_nodes, n_numeric) finite values per node and column
    mean: np.ndarray  # their mean (0 where a node has none)
    m2: np.ndarray  # their sum of squared deviations from that mean
    categories: list  # per non-numeric column, (n_nodes, n_labels) rows per node and value

    def __add__(self, other: NodeSums) -> NodeSums:
        mean, m2 = _merge(self.counts, self.mean, self.m2, other.counts, other.mean, other.m2)
        return NodeSums(
            self.rows + other.rows,
            self.counts + other.counts,
            mean,
            m2,
            [a + b for a, b in zip(self.categories, other.categories, strict=True)],
        )

    @property
    def sums(self) -> np.ndarray:
        """Per node and column: the sum of the finite values (``counts * mean``)."""
        return self.counts * self.mean

    @property
    def squares(self) -> np.ndarray:
        """Per node and column: the sum of the squared finite values (for reading only: spreads come
        from :attr:`m2`, which keeps the digits this loses at large offsets)."""
        return self.m2 + self.counts * self.mean**2

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
            out[str(column)] = np.where(self.counts[:, j] > 0, self.mean[:, j], np.nan)
        return out

    def pooled(self, nodes=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count, mean and sum of squared deviations of every numeric column over the rows of ``nodes``.

        ``nodes`` is a list of node indices (None: all nodes).  The mean is NaN for a column without
        values.  The pooled moments are the per-node ones combined exactly (the within-node spreads
        plus the spread of the node means about the pooled mean), each node mean taken relative to
        one of them so that no digit is lost to the columns' offsets.
        """
        counts, means, m2 = self.counts, self.mean, self.m2
        if nodes is not None:
            nodes = np.asarray(nodes, dtype=np.int64)
            counts, means, m2 = counts[nodes], means[nodes], m2[nodes]
        n = counts.sum(axis=0)
        if counts.shape[0] == 0:
            return n, np.full(n.shape, np.nan), np.zeros(n.shape)
        # the mean of the node with most values as the reference: shifted means are small numbers
        reference = means[np.argmax(counts, axis=0), np.arange(counts.shape[1])]
        shifted = np.where(counts > 0, means - reference, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            offset = (counts * shifted).sum(axis=0) / n
        mean = np.where(n > 0, reference + offset, np.nan)
        deviation = np.where(counts > 0, shifted - offset, 0.0)
        spread = m2.sum(axis=0) + (counts * deviation**2).sum(axis=0)
        return n, mean, np.where(n > 0, spread, 0.0)

    def restricted(self, have: SumPlan, want: SumPlan) -> NodeSums:
        """The part of these sums (of plan ``have``) that plan ``want`` asks for (``have.covers(want)``)."""
        if want.numeric is None:
            numeric = slice(None)
        else:
            numeric = [have.numeric.index(c) for c in want.numeric]
        categories = [self.categories[have.categorical.index(c)] for c in want.categorical]

        def columns(values):  # C order, as sum_by_node makes them: reductions round the same way
            return np.ascontiguousarray(values[:, numeric])

        return NodeSums(self.rows, columns(self.counts), columns(self.mean), columns(self.m2), categories)


def _merge(n_a, mean_a, m2_a, n_b, mean_b, m2_b):
    """Means and sums of squared deviations of two sets of values (Chan, Golub and LeVeque's update)."""
    n = n_a + n_b
    delta = mean_b - mean_a
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, n_b / n, 0.0)
        mean = np.where(n_a == 0, mean_b, np.where(n_b == 0, mean_a, mean_a + delta * share))
        m2 = m2_a + m2_b + np.where(n > 0, delta * delta * n_a * share, 0.0)
    return mean, m2


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
    counts, mean, m2 = _node_moments(bmu, values, n_nodes)
    categories = []
    for column, kept, other in zip(plan.categorical, plan.kept, plan.others, strict=True):
        codes, uniques = factorized[column] if column in factorized else _factorized(data[column])
        n_labels = len(kept) + other
        slot_of = np.asarray(kept.get_indexer(uniques), dtype=np.int64)
        slot_of[slot_of < 0] = len(kept)  # every value not kept shares the last slot, "(other)"
        slots = np.append(slot_of, -1)[codes]  # a missing value (code -1) has none
        valid = slots >= 0
        counts_of = np.bincount(bmu[valid] * n_labels + slots[valid], minlength=n_nodes * n_labels)
        categories.append(counts_of.reshape(n_nodes, n_labels).astype(np.float64))
    return NodeSums(np.bincount(bmu, minlength=n_nodes).astype(np.float64), counts, mean, m2, categories)


def _node_moments(bmu, values, n_nodes):
    """Per node and column: count, mean and sum of squared deviations of the finite values.

    Two passes per node, about a shift: the values less the middle of their column's range (so
    they are as small as the spread, whatever the offset) are summed per node, then their
    deviations from each node's mean, with the corrected two-pass formula (Chan, Golub and
    LeVeque) taking out what the first pass rounded.
    """
    finite = np.isfinite(values)
    counts = per_node(bmu, finite.astype(np.float64), n_nodes)
    width = values.shape[1]
    if values.shape[0] == 0 or width == 0:
        return counts, np.zeros((n_nodes, width)), np.zeros((n_nodes, width))
    low = np.where(finite, values, np.inf).min(axis=0)
    high = np.where(finite, values, -np.inf).max(axis=0)
    with np.errstate(invalid="ignore"):  # a column with no finite value: inf - inf, not used
        shift = np.where(low <= high, low / 2 + high / 2, 0.0)  # halves first: no overflow near 1.8e308
    shifted = np.where(finite, values - shift, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        node_shifted = np.where(counts > 0, per_node(bmu, shifted, n_nodes) / counts, 0.0)
    deviation = np.where(finite, shifted - node_shifted[bmu], 0.0)
    residual = per_node(bmu, deviation, n_nodes)
    with np.errstate(invalid="ignore", divide="ignore"):
        correction = np.where(counts > 0, residual / counts, 0.0)
    m2 = np.maximum(per_node(bmu, deviation**2, n_nodes) - residual * correction, 0.0)
    mean = np.where(counts > 0, shift + (node_shifted + correction), 0.0)
    return counts, mean, m2
