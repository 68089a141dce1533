"""One value per row on the map: the per-node value and legend of any per-row values.

The one owner of "per-row values + BMUs -> per-node values": the views' per-row colour layers,
:class:`~somnium.explain.SurrogateMap`'s prediction layer and any later score (anomalies, residuals,
labels) go through :func:`node_layer` (rows in memory, one BMU per row) or, for rows summed elsewhere
(Dask partitions), :func:`layer_from_sums` and :func:`layer_from_counts`.

The rules
    * **Numeric** values (integers, reals; NumPy, pandas nullable or Arrow dtypes): per node the mean
      of its rows' finite values.  Missing and infinite values are skipped.
    * **Categorical** values (a pandas ``Categorical``, strings, objects, booleans): per node its
      most frequent value; the layer's number is that value's share of the node's rows that have a
      value.  The legend lists the values that occur, most frequent over all rows first (ties: category
      order, i.e. a ``Categorical``'s categories, ``False`` before ``True``, otherwise order of first
      appearance); a node's tie goes to the value earlier in the legend.  Missing values are skipped.
      With more than ``max_categories`` distinct values, the most frequent ``max_categories`` are
      kept and the rest count as one value, ``"(other)"``, last (as the per-node sums of
      :mod:`somnium._summaries` count a column's values).
    * A node where no row has a value is **empty**: NaN, and code -1 for categorical layers.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from ._summaries import OTHER
from ._validation import check_size, is_dataframe, is_series
from .metrics import node_mean

__all__ = [
    "MAX_LAYER_CATEGORIES",
    "OTHER",
    "NodeLayer",
    "as_floats",
    "factorize",
    "is_categorical",
    "layer_from_codes",
    "layer_from_counts",
    "layer_from_sums",
    "node_layer",
    "per_row_values",
]

#: distinct values a categorical layer keeps by default (one colour each); the rest are "(other)".  The
#: default of the rows' sum plans too, so a layer reuses the sums a profile already made
MAX_LAYER_CATEGORIES = 8


@dataclass(frozen=True)
class NodeLayer:
    """Per-node values made from per-row values (see the module notes for the rules).

    Attributes
    ----------
    name : str or None
        What the values are (a Series' name).
    values : ndarray of float64, shape (n_nodes,)
        Numeric: the mean.  Categorical: the share of the most frequent value.  NaN: empty node.
    counts : ndarray of int64, shape (n_nodes,)
        Rows with a value, per node.
    categories : tuple or None
        Categorical only: the values in legend order (the original objects; ``"(other)"`` last
        when some were lumped).
    codes : ndarray of int64 or None
        Categorical only: index into ``categories`` of each node's most frequent value (-1: empty).
    category_counts : ndarray of int64 or None
        Categorical only, shape (n_categories, n_nodes): rows of each value per node.
    """

    name: str | None
    values: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    categories: tuple | None = None
    codes: np.ndarray | None = field(default=None, repr=False)
    category_counts: np.ndarray | None = field(default=None, repr=False)

    @property
    def categorical(self) -> bool:
        return self.categories is not None

    @property
    def empty(self) -> np.ndarray:
        """Nodes without a row with a value."""
        return self.counts == 0

    @property
    def labels(self) -> list[str]:
        """The categories as text (for a legend); empty for a numeric layer."""
        return [str(c) for c in self.categories] if self.categorical else []

    def describe(self) -> str:
        """The layer's menu label: ``"<name> (mean of rows)"`` or ``"<name> (most frequent)"``."""
        name = self.name if self.name is not None else "values"
        return f"{name} (most frequent)" if self.categorical else f"{name} (mean of rows)"

    def shares(self) -> np.ndarray:
        """Categorical: share of each value among each node's rows with a value, (n_categories, n_nodes)."""
        if not self.categorical:
            raise ValueError("Shares are defined for categorical layers only.")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.category_counts / np.maximum(self.counts, 1), np.nan)


# ---------------------------------------------------------------------- what the values are
def is_categorical(values) -> bool:
    """Whether per-row values are categories (counted) rather than numbers (averaged).

    A pandas ``Categorical``, strings, booleans and objects are categories; integers and reals are
    numbers, and so is an object array holding only real numbers and missing values.

    Raises
    ------
    ValueError
        For dates and durations (neither averaged nor counted: convert them to numbers first).
    """
    dtype = getattr(values, "dtype", None)
    if dtype is None:
        values = np.asarray(values)
        dtype = values.dtype
    if type(dtype).__name__ == "CategoricalDtype":
        return True
    kind = getattr(dtype, "kind", "O")
    if kind in "iuf":
        return False
    if kind in "mM":
        raise ValueError(
            f"Cannot colour the map by {dtype} values: convert them to numbers first "
            "(e.g. days since a date) or to text categories."
        )
    if kind == "O" and str(dtype) == "object":
        items = (
            values.to_numpy(dtype=object) if is_series(values) else np.asarray(values, dtype=object).ravel()
        )
        return not all(_is_number_or_missing(v) for v in items)
    return True  # booleans, strings


def _is_number_or_missing(value) -> bool:
    if value is None:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def per_row_values(values, n_rows: int, index=None, what: str = "values"):
    """``values`` as one entry per row: a Series aligned on ``index`` (a DataFrame's), or an array.

    A Series whose index differs from ``index`` is aligned by label: it may cover part of the rows
    (the others have no value) but no label outside ``index``.  Without ``index`` (array rows) a
    Series is taken by position.

    Returns
    -------
    values : ndarray or pandas Series (categorical dtype kept), length ``n_rows``
    name : str or None
        The Series' name.
    """
    name = None
    if is_dataframe(values):
        if values.shape[1] != 1:
            raise ValueError(f"{what} must be one column, got a DataFrame with {values.shape[1]} columns.")
        values = values.iloc[:, 0]
    if is_series(values):
        name = None if values.name is None else str(values.name)
        if index is not None and not values.index.equals(index):
            if values.index.has_duplicates:
                raise ValueError(
                    f"{what}' index has duplicate labels, so it cannot be aligned with the rows."
                )
            outside = values.index.difference(index)
            if len(outside):
                raise ValueError(
                    f"{what} is a Series whose index does not match the data's: {len(outside)} of its "
                    f"labels are not in the data's index (e.g. {list(outside[:3])}). Align it first, or "
                    "pass .to_numpy() to match rows by position."
                )
            values = values.reindex(index)
        elif len(values) != n_rows:
            raise ValueError(f"{what} must hold one value per row ({n_rows}), got {len(values)}.")
        return values, name
    array = np.asarray(values)
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise ValueError(f"{what} must hold one value per row ({n_rows}), got shape {array.shape}.")
    return array, name


# ------------------------------------------------------------------------------- the layers
def node_layer(
    values, bmu, n_nodes: int, *, name=None, max_categories: int | None = MAX_LAYER_CATEGORIES
) -> NodeLayer:
    """Per-node values of per-row ``values`` whose rows sit on the nodes ``bmu``.

    Parameters
    ----------
    values : array-like or pandas Series, shape (n_rows,)
        Numbers or categories (see :func:`is_categorical` and the module notes).
    bmu : ndarray of int, shape (n_rows,)
        The node of every row (already checked: ``0 <= bmu < n_nodes``).
    n_nodes : int
    name : str, optional
        Default: the Series' name.
    max_categories : int or None
        Categories kept before the rest become ``"(other)"``; None keeps all (the per-node count
        table is still bounded).

    Returns
    -------
    NodeLayer
    """
    bmu = np.asarray(bmu)
    if name is None and is_series(values) and values.name is not None:
        name = str(values.name)
    if len(values) != bmu.shape[0]:
        raise ValueError(f"values must hold one value per row ({bmu.shape[0]}), got {len(values)}.")
    if is_categorical(values):
        codes, categories = factorize(values)
        return layer_from_codes(codes, categories, bmu, n_nodes, name=name, max_categories=max_categories)
    numbers_ = as_floats(values)
    finite = np.isfinite(numbers_)
    if finite.all():
        sums = np.bincount(bmu, weights=numbers_, minlength=n_nodes)
        counts = np.bincount(bmu, minlength=n_nodes)
    else:
        sums = np.bincount(bmu[finite], weights=numbers_[finite], minlength=n_nodes)
        counts = np.bincount(bmu[finite], minlength=n_nodes)
    return layer_from_sums(sums, counts, name)


def as_floats(values) -> np.ndarray:
    """Values as float64 (pandas NA and None as NaN); no copy when they already are."""
    if is_series(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    array = np.asarray(values)
    if array.dtype == object:
        array = np.array([np.nan if v is None else v for v in array], dtype=np.float64)
    return array.astype(np.float64, copy=False)


def layer_from_sums(sums, counts, name=None) -> NodeLayer:
    """A numeric layer from per-node sums and counts of values (e.g. added up over Dask partitions)."""
    counts = np.asarray(counts, dtype=np.int64)
    return NodeLayer(name=name, values=node_mean(sums, counts), counts=counts)


def layer_from_plan(plan, sums, column, name=None) -> NodeLayer:
    """The layer of ``column`` from the rows' per-node sums (:class:`~somnium._summaries.SumPlan`,
    :class:`~somnium._summaries.NodeSums`): a numeric column's mean, a non-numeric one's most frequent
    kept value (the plan keeps them most frequent first, the rest as ``"(other)"``)."""
    name = str(column) if name is None else name
    if plan.numeric is not None and column in plan.numeric:
        j = plan.numeric.index(column)
        return layer_from_sums(sums.sums[:, j], sums.counts[:, j], name)
    i = plan.categorical.index(column)
    categories = [*plan.kept[i], *([OTHER] * plan.others[i])]
    return layer_from_counts(sums.categories[i].T, categories, name)


def layer_from_counts(category_counts, categories, name=None) -> NodeLayer:
    """A categorical layer from the rows of each value per node, shape (n_categories, n_nodes).

    ``categories`` in legend order: ties go to the first.
    """
    category_counts = np.asarray(category_counts, dtype=np.int64)
    counts = category_counts.sum(axis=0)
    n_nodes = category_counts.shape[1]
    if category_counts.shape[0] == 0:
        codes = np.full(n_nodes, -1, dtype=np.int64)
        values = np.full(n_nodes, np.nan)
    else:
        codes = category_counts.argmax(axis=0).astype(np.int64)  # the first of equal counts
        top = np.take_along_axis(category_counts, codes[None, :], axis=0)[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(counts > 0, top / np.maximum(counts, 1), np.nan)
        codes[counts == 0] = -1
    return NodeLayer(
        name=name,
        values=values,
        counts=counts,
        categories=tuple(categories),
        codes=codes,
        category_counts=category_counts,
    )


def factorize(values) -> tuple[np.ndarray, list]:
    """Integer codes (-1: missing) and the distinct values in category order (see the module notes)."""
    if type(getattr(values, "dtype", None)).__name__ == "CategoricalDtype":
        categorical = values.cat if is_series(values) else values
        codes = np.asarray(categorical.codes, dtype=np.int64)
        return codes, list(categorical.categories)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is installed wherever categories come from
        pd = None
    if pd is not None:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.int64)
        uniques = list(np.asarray(uniques, dtype=object))
        if len(uniques) == 2 and all(isinstance(u, (bool, np.bool_)) for u in uniques) and uniques[0]:
            codes = np.where(codes >= 0, 1 - codes, -1)  # booleans: False before True, whatever came first
            uniques = uniques[::-1]
        return codes, uniques
    array = np.asarray(values)  # pragma: no cover
    uniques, first, codes = np.unique(array, return_index=True, return_inverse=True)  # pragma: no cover
    if array.dtype != bool:  # pragma: no cover
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        codes, uniques = rank[codes], uniques[order]
    return np.asarray(codes, dtype=np.int64), list(uniques)  # pragma: no cover


def layer_from_codes(
    codes,
    categories,
    bmu,
    n_nodes: int,
    *,
    name=None,
    max_categories: int | None = MAX_LAYER_CATEGORIES,
    ordered: bool = False,
) -> NodeLayer:
    """A categorical layer from per-row integer codes into ``categories`` (negative: missing).

    Without ``ordered`` the legend lists the values that occur, most frequent first (ties: the
    order of ``categories``), as the module notes say; with ``ordered`` it keeps ``categories`` as
    given, unused ones included (a classifier's classes).  Values past ``max_categories`` become
    ``"(other)"`` (the least frequent ones) either way.
    """
    categories = list(categories)
    codes = np.asarray(codes, dtype=np.int64)
    bmu = np.asarray(bmu, dtype=np.int64)
    present = codes >= 0
    totals = np.bincount(codes[present], minlength=len(categories))
    if ordered:
        legend = np.arange(len(categories))
    else:
        legend = np.lexsort((np.arange(len(categories)), -totals))  # most frequent first, stable
        legend = legend[totals[legend] > 0]
    if max_categories is not None and len(legend) > max_categories:
        by_count = legend[np.lexsort((np.arange(len(legend)), -totals[legend]))]
        kept = set(by_count[:max_categories].tolist())
        legend = np.array([c for c in legend.tolist() if c in kept], dtype=np.int64)
        lumped = True
    else:
        lumped = False
    remap = np.full(len(categories) + 1, len(legend) if lumped else -1, dtype=np.int64)
    remap[legend] = np.arange(len(legend))
    remap[-1] = -1  # a missing value stays missing
    codes = remap[np.where(present, codes, len(categories))]
    categories = [categories[i] for i in legend.tolist()] + ([OTHER] if lumped else [])
    n_categories = len(categories)
    check_size(n_categories * n_nodes, "A per-node count of every category")
    present = codes >= 0
    flat = codes * n_nodes + bmu if present.all() else codes[present] * n_nodes + bmu[present]
    counts = np.bincount(flat, minlength=n_categories * n_nodes).reshape(n_categories, n_nodes)
    return layer_from_counts(counts, categories, name)
