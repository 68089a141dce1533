"""Every argument and input check, each with one wording.

Used by the estimator, the engine's public helpers, persistence, datasets,
clustering, segments and the widgets, so that the same mistake always reads
the same way ("Unknown lattice 'hex'. Valid lattices: ...").
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .exceptions import InvalidValuesInDataSet, ModelNotTrainedError, UnknownOptionError

__all__ = [
    "as_float_array",
    "boolean_columns",
    "check_int",
    "check_integers",
    "check_nodes",
    "check_observed",
    "check_option",
    "check_real",
    "column_kind",
    "feature_columns",
    "float_values",
    "is_boolean_dtype",
    "is_dask_collection",
    "is_dask_dataframe",
    "is_dataframe",
    "is_numeric_dtype",
    "is_series",
    "matched_columns",
    "not_fitted_message",
    "numeric_columns",
    "validated_rows",
]

#: Largest count of values (rows x columns, nodes x features, ...) any single array built from an
#: argument or a file may hold before we refuse it (2**31 float64 values = 16 GiB).
MAX_ARRAY_VALUES = 2**31


def check_option(value, valid, what: str, error=UnknownOptionError):
    """``value`` if it is one of ``valid``, else ``error`` listing the valid names."""
    if not isinstance(value, str) or value not in valid:
        listed = ", ".join(map(str, valid)) or "(none)"
        raise error(f"Unknown {what} {value!r}. Valid {what} values: {listed}.")
    return value


def check_int(value, what: str, minimum: int | None = 1, maximum: int | None = None) -> int:
    """An integer (not a bool) within ``[minimum, maximum]``; the default asks for a positive one."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{what} must be {_int_range(minimum, maximum)}, got {value!r}.")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{what} must be {_int_range(minimum, maximum)}, got {value!r}.")
    return value


def _int_range(minimum, maximum) -> str:
    if minimum == 1 and maximum is None:
        return "a positive integer"
    if minimum == 0 and maximum is None:
        return "a non-negative integer"
    if maximum is None:
        return f"an integer >= {minimum}"
    if minimum is None:
        return f"an integer <= {maximum}"
    return f"an integer between {minimum} and {maximum}"


def check_real(
    value,
    what: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    exclusive_minimum: bool = False,
) -> float:
    """A finite real number (not a bool) within the given bounds."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or (minimum is not None and (value < minimum or (exclusive_minimum and value == minimum)))
        or (maximum is not None and value > maximum)
    ):
        raise ValueError(f"{what} must be {_real_range(minimum, maximum, exclusive_minimum)}, got {value!r}.")
    return float(value)


def _real_range(minimum, maximum, exclusive) -> str:
    if minimum == 0 and exclusive and maximum is None:
        return "a positive finite number"
    if minimum is None and maximum is None:
        return "a finite number"
    low = "" if minimum is None else ("(" if exclusive else "[") + f"{minimum:g}"
    high = "" if maximum is None else f"{maximum:g}]"
    if minimum is None:
        return f"a finite number <= {maximum:g}"
    if maximum is None:
        return f"a finite number {'>' if exclusive else '>='} {minimum:g}"
    return f"in {low}, {high}"


_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)


def check_integers(values, what: str, minimum: int | None = None, maximum: int | None = None) -> np.ndarray:
    """A flat int64 array of integers (not bools, not floats) within ``[minimum, maximum]``.

    Accepts lists, tuples, sets, generators, NumPy arrays and pandas objects; Python ints of any
    size are compared before the cast, so ``2**70`` is out of range rather than an overflow.
    """
    array, low, high = _integer_array(values, what, "integers")
    if minimum is not None and low is not None and low < minimum:
        raise ValueError(f"{what} must be {_int_range(minimum, maximum)}, got {low}.")
    if maximum is not None and high is not None and high > maximum:
        raise ValueError(f"{what} must be {_int_range(minimum, maximum)}, got {high}.")
    if low is not None and not _INT64_MIN <= low <= high <= _INT64_MAX:
        raise ValueError(f"{what} must fit in 64-bit integers, got {low if low < _INT64_MIN else high}.")
    return array.astype(np.int64, copy=False)


def check_nodes(nodes, n_nodes: int, what: str = "nodes", *, unique: bool = True) -> np.ndarray:
    """Node indices of a map of ``n_nodes`` nodes (a selection, a segment, one BMU per row) as int64.

    The one check of node lists: integers (not bools, not floats) in ``0 .. n_nodes - 1``.  With
    ``unique`` they come back sorted and without repeats (selecting a node twice selects it);
    without, in their order (BMUs, one per row).
    """
    array, low, high = _integer_array(nodes, what, "integer node indices")
    if low is not None and (low < 0 or high >= n_nodes):
        raise ValueError(
            f"{what} must be node indices 0 to {n_nodes - 1} (the map has {n_nodes} nodes), "
            f"got {low if low < 0 else high}."
        )
    array = array.astype(np.int64, copy=False)
    return np.unique(array) if unique else array


def _integer_array(values, what: str, kind: str):
    """``values`` as a 1-D integer array (not cast yet) with its smallest and largest value (None when empty)."""
    if isinstance(values, (str, bytes, numbers.Number)) or not np.iterable(values):
        raise ValueError(f"{what} must be a list or array of {kind}, got {values!r}.")
    if hasattr(values, "to_numpy"):  # pandas
        values = values.to_numpy()
    elif not isinstance(values, np.ndarray):
        values = list(values)  # also sets and generators
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):  # ragged nesting
        raise ValueError(f"{what} must be a flat list or array of {kind}.") from None
    if array.size == 0:
        return np.empty(0, dtype=np.int64), None, None
    if array.dtype == object:
        items = array.ravel().tolist()
        odd = next((v for v in items if isinstance(v, bool) or not isinstance(v, numbers.Integral)), None)
        if odd is not None:
            raise ValueError(f"{what} must be {kind}, got {odd!r} ({type(odd).__name__}).")
        items = [int(v) for v in items]  # Python ints: compared before any cast can overflow
        low, high = min(items), max(items)
    elif array.dtype.kind in "iu":
        low, high = int(array.min()), int(array.max())
    else:
        raise ValueError(f"{what} must be {kind}, got {array.ravel()[0].item()!r} (dtype {array.dtype}).")
    if array.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {array.shape}.")
    return array, low, high


#: Largest map accepted (nodes); the codebook and the per-node statistics grow with it.
MAX_NODES = 1_000_000


def check_mapsize(mapsize) -> tuple[int, int]:
    """A ``(rows, cols)`` pair of positive ints within :data:`MAX_NODES` nodes."""
    if isinstance(mapsize, str) or not hasattr(mapsize, "__len__") or len(mapsize) != 2:
        raise ValueError(f"mapsize must be 'auto' or a (rows, cols) pair, got {mapsize!r}.")
    rows, cols = (check_int(v, "mapsize entries") for v in mapsize)
    if rows * cols > MAX_NODES:
        raise ValueError(
            f"mapsize {rows}x{cols} has {rows * cols:,} nodes, above Somnium's limit of {MAX_NODES:,}; "
            "a map larger than the data has no empty-free reading anyway (about 5*sqrt(N) nodes is usual)."
        )
    return rows, cols


def not_fitted_message(what: str = "this") -> str:
    return f"This SOM is not trained yet; call fit(), fit_online() or fit_auto() before {what}."


def require_fitted(model, what: str = "this") -> None:
    if not getattr(model, "is_fitted", False):
        raise ModelNotTrainedError(not_fitted_message(what))


# --------------------------------------------------------------- input kinds
def is_dataframe(obj) -> bool:
    """A pandas DataFrame (without importing pandas)."""
    return type(obj).__module__.startswith("pandas") and hasattr(obj, "columns") and hasattr(obj, "dtypes")


def is_series(obj) -> bool:
    """A pandas Series (without importing pandas)."""
    return type(obj).__module__.startswith("pandas") and type(obj).__name__ == "Series"


def is_dask_collection(obj) -> bool:
    """A Dask array, DataFrame or Series (without importing dask)."""
    return hasattr(obj, "__dask_graph__") and callable(getattr(obj, "__dask_graph__", None))


def is_dask_dataframe(obj) -> bool:
    """A Dask DataFrame (not a Dask Series, which also answers to ``columns`` lookups)."""
    return is_dask_collection(obj) and getattr(obj, "ndim", None) == 2 and hasattr(obj, "columns")


def float_values(block) -> np.ndarray:
    """A DataFrame (missing values as NaN) or array-like as float64 values, without other checks."""
    if hasattr(block, "to_numpy"):
        try:
            return block.to_numpy(dtype=np.float64, na_value=np.nan)
        except TypeError:
            return block.to_numpy(dtype=np.float64)
    return np.asarray(block, dtype=np.float64)


# ------------------------------------------------------- what a column is
# The one decision about booleans: a boolean column (NumPy ``bool`` or pandas' nullable ``boolean``) is a
# category with two values, not a number.  Views and summaries describe it by its shares (a profile's
# share of True inside and outside a node set, Segments.profile's top value; a map layer colours a node
# by its share of True), never by a mean and a standard deviation.  The estimator still trains on
# boolean features, as 1 and 0 (``check_numeric_columns``): that is reading input as coordinates, not
# describing rows.
def is_numeric_dtype(dtype) -> bool:
    """An integer or real dtype (NumPy, pandas' nullable or Arrow ones); booleans are not numeric."""
    return getattr(dtype, "kind", "O") in "iuf"


def is_boolean_dtype(dtype) -> bool:
    """NumPy ``bool`` or pandas' nullable ``boolean`` (Arrow's ``bool[pyarrow]`` too)."""
    return getattr(dtype, "kind", "O") == "b"


def numeric_columns(frame) -> list:
    """Labels of the numeric columns of a DataFrame (pandas or Dask), in order; ``[]`` for anything else.

    Numeric means :func:`is_numeric_dtype`: integers and reals, never booleans (a category, see above).
    """
    dtypes = getattr(frame, "dtypes", None)
    if not hasattr(dtypes, "items"):
        return []
    return [label for label, dtype in dtypes.items() if is_numeric_dtype(dtype)]


def boolean_columns(frame) -> list:
    """Labels of the boolean columns of a DataFrame (pandas or Dask), in order; ``[]`` for anything else."""
    dtypes = getattr(frame, "dtypes", None)
    if not hasattr(dtypes, "items"):
        return []
    return [label for label, dtype in dtypes.items() if is_boolean_dtype(dtype)]


#: What ``categorical="onehot"`` encodes: pandas categories, strings / objects and booleans.
CATEGORICAL_KINDS = ("category", "string", "bool")
#: The two ways of handling a missing cell (``SOM(missing=...)``) and non-numeric columns.
MISSING_OPTIONS = ("error", "ignore")
CATEGORICAL_OPTIONS = ("error", "onehot")


def column_kind(dtype) -> str:
    """``"numeric"``, ``"bool"``, ``"category"``, ``"string"`` (objects too), ``"datetime"`` or ``"other"``."""
    name = str(dtype)
    kind = getattr(dtype, "kind", None)
    if name == "category":
        return "category"
    if name == "boolean" or kind == "b":
        return "bool"
    if is_numeric_dtype(dtype):
        return "numeric"
    if name.startswith(("string", "str")) or kind in ("O", "U", "S"):
        return "string"
    if kind in ("M", "m") or name.startswith(("datetime", "timedelta", "period")):
        return "datetime"
    return "other"


def check_numeric_columns(X, categorical: str = "error") -> None:
    """Every column of a DataFrame (pandas or Dask) is numeric, or with ``categorical="onehot"`` encodable."""
    unusable, non_numeric = [], []
    for column, dtype in zip(X.columns, X.dtypes):
        kind = column_kind(dtype)
        if kind in ("datetime", "other"):
            unusable.append(f"{str(column)!r} ({dtype})")
        # Boolean features train as 1 and 0 unless one-hot encoded (a boolean is a category for the views).
        if kind not in ("numeric", "bool"):
            non_numeric.append(str(column))
    dates = (
        f" Columns {', '.join(unusable)} hold dates, durations or other values a SOM cannot use as they are: "
        "convert each to numbers (e.g. df[c].astype('int64') // 10**9 for seconds since 1970, or parts such "
        "as df[c].dt.month and df[c].dt.dayofweek) or to categories (df[c].astype(str)), or drop them."
        if unusable
        else ""
    )
    if categorical != "onehot" and non_numeric:
        raise InvalidValuesInDataSet(
            f"Non-numeric columns {non_numeric}; a SOM trains on numbers. Pass SOM(categorical='onehot') to "
            "train on category, string and boolean columns (each becomes a block of one-hot indicators), "
            "or drop them (e.g. X = df.select_dtypes('number'))." + dates
        )
    if unusable:
        raise InvalidValuesInDataSet(dates.strip())


def column_names(columns) -> list[str]:
    """A DataFrame's column labels as the strings the model keeps (unique, plain labels)."""
    if getattr(columns, "nlevels", 1) > 1:
        raise InvalidValuesInDataSet(
            "X has MultiIndex columns; flatten them first (e.g. X.columns = ['_'.join(map(str, c)) "
            "for c in X.columns])."
        )
    names = [str(c) for c in columns]
    if len(set(names)) != len(names):
        seen, duplicated = set(), []
        for name in names:
            if name in seen and name not in duplicated:
                duplicated.append(name)
            seen.add(name)
        raise InvalidValuesInDataSet(
            f"X has duplicated column names {duplicated}; columns are matched by name, so rename them."
        )
    return names


def as_float_array(
    X, feature_names=None, missing: str = "error", columns_observed: bool = False, keep_float32: bool = False
) -> np.ndarray:
    """Validate ``X`` (array-like or DataFrame) and return a float64 2-D array (a float32 array stays
    float32 with ``keep_float32``: rows for the engine, which computes its statistics in float64 anyway).

    ``missing="error"``: every value finite.  ``missing="ignore"``: NaN (and pandas' NA / None in
    numeric columns, a masked array's masked cells) are missing cells, kept as NaN; infinite values
    and rows without an observed value are refused, and with ``columns_observed`` (a fit) columns
    without one too.
    """
    if X is None:
        raise InvalidValuesInDataSet("X is None; pass a 2-D array or DataFrame of numeric data.")
    if is_dask_collection(X):
        raise InvalidValuesInDataSet(
            "This operation needs in-memory data; compute the Dask collection first (X.compute())."
        )
    if isinstance(X, np.ma.MaskedArray):
        if np.ma.getmaskarray(X).any():
            if missing == "ignore" and X.dtype.kind in "biuf":
                X = np.ma.filled(X.astype(np.float64), np.nan)  # masked cells are missing cells
            else:
                raise InvalidValuesInDataSet(
                    f"X is a masked array with {int(np.ma.getmaskarray(X).sum())} masked value(s); a SOM "
                    "would train on the placeholders behind the mask. Drop or impute them first "
                    "(e.g. X.filled(value) or X[~X.mask.any(axis=1)]), or pass SOM(missing='ignore') to "
                    "train on the observed cells."
                )
        else:
            X = np.ma.getdata(X)
    if type(X).__module__.startswith("scipy.sparse"):
        raise InvalidValuesInDataSet(
            f"X is a sparse {type(X).__name__}; sparse input is not supported (a SOM's prototypes are dense). "
            "Pass X.toarray() if it fits in memory."
        )
    index = None
    if is_dataframe(X):
        check_numeric_columns(X)
        feature_names = column_names(X.columns)
        index = X.index
        array = float_values(X)
    else:
        array = np.asarray(X)
        if array.dtype.kind not in "biuf":
            if array.dtype.kind in "USO":
                raise InvalidValuesInDataSet(
                    f"X contains strings or objects (dtype {array.dtype}); pass numeric data (a DataFrame "
                    "with SOM(categorical='onehot') for category or string columns)."
                )
            what = "Complex data not supported" if array.dtype.kind == "c" else "X has unsupported dtype"
            raise InvalidValuesInDataSet(f"{what} (dtype {array.dtype}); pass real numbers.")
        array = np.asarray(
            array, dtype=np.float32 if keep_float32 and array.dtype == np.float32 else np.float64
        )
    if array.ndim == 1:
        raise InvalidValuesInDataSet(
            f"X is 1-D with shape {array.shape}; a SOM needs a 2-D (rows, features) array. "
            "Reshape your data: X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single row."
        )
    if array.ndim != 2:
        raise InvalidValuesInDataSet(f"X must be 2-D (rows, features), got shape {array.shape}.")
    if array.shape[0] == 0:
        raise InvalidValuesInDataSet("X has no rows; pass at least one row of data.")
    if array.shape[1] == 0:
        raise InvalidValuesInDataSet(
            f"X has no columns: 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    if missing == "ignore":
        check_observed(array, feature_names, index=index, columns_observed=columns_observed)
    else:
        check_finite(array, feature_names)
    return array


def _cells(array, rows, cols, names) -> str:
    return ", ".join(
        f"row {int(r)} in {names[c]!r} ({float(array[r, c])})" for r, c in zip(rows[:5], cols[:5])
    )


def check_finite(array: np.ndarray, feature_names=None, where: str = "X") -> None:
    finite = np.isfinite(array)
    if finite.all():
        return
    bad_rows, bad_cols = np.nonzero(~finite)
    names = feature_names or [f"column {j}" for j in range(array.shape[1])]
    described = _cells(array, bad_rows, bad_cols, names)
    missing = int(np.isnan(array[bad_rows, bad_cols]).sum())
    advice = "Drop or impute them first (e.g. df.dropna())"
    if missing:
        advice += ", or pass SOM(missing='ignore') to train on each row's observed values"
    raise InvalidValuesInDataSet(
        f"{where} contains {len(bad_rows)} NaN or infinite value(s), e.g. {described}. {advice}."
    )


#: Rows per chunk of :func:`check_observed`: its masks stay a few MB whatever N.
_CHECK_ROWS = 16384


def check_observed(
    array: np.ndarray, feature_names=None, where: str = "X", index=None, columns_observed=False
):
    """Missing cells (NaN) allowed: refuse infinite values, rows without an observed value (named by
    their index) and, with ``columns_observed``, columns without one (named).  Chunk by chunk: no
    ``N x D`` mask."""
    names = feature_names or [f"column {j}" for j in range(array.shape[1])]
    observed_in_column = np.zeros(array.shape[1], dtype=np.int64)
    for start in range(0, array.shape[0], _CHECK_ROWS):
        chunk = array[start : start + _CHECK_ROWS]
        finite = np.isfinite(chunk)
        if not finite.all():
            infinite = np.isinf(chunk)
            if infinite.any():
                rows, cols = np.nonzero(infinite)
                raise InvalidValuesInDataSet(
                    f"{where} contains infinite value(s), e.g. {_cells(chunk, rows, cols, names)} (rows counted "
                    f"from {start}). Infinite values are not missing values: replace them (e.g. "
                    "df.replace([np.inf, -np.inf], np.nan) to treat them as missing)."
                )
        per_row = finite.sum(axis=1)
        empty = np.flatnonzero(per_row == 0)
        if empty.size:
            positions = start + empty[:5]
            labels = [index[int(p)] for p in positions] if index is not None else positions.tolist()
            raise InvalidValuesInDataSet(
                f"Row(s) {', '.join(map(str, labels))} of {where} have no observed value, so they cannot be "
                "placed on the map; drop them (e.g. df.dropna(how='all'))."
            )
        observed_in_column += finite.sum(axis=0)
    if columns_observed and not observed_in_column.all():
        empty = [names[j] for j in np.flatnonzero(observed_in_column == 0)]
        raise InvalidValuesInDataSet(
            f"Column(s) {empty} of {where} are entirely missing, so the map cannot learn them; drop them "
            "(e.g. df.dropna(axis=1, how='all'))."
        )


def check_size(n_values: int, what: str, limit: int = MAX_ARRAY_VALUES) -> None:
    """Refuse to build an array of ``n_values`` values above ``limit`` (before allocating it)."""
    if n_values > limit:
        raise ValueError(
            f"{what} would hold {n_values:,} values ({8 * n_values / 2**30:.1f} GiB as float64), above "
            f"Somnium's limit of {limit:,}; use a smaller map or fewer rows per call."
        )


def scipy_metric_names():
    """The metric names SciPy's ``cdist`` accepts."""
    from scipy.spatial import distance

    names = getattr(distance, "_METRICS_NAMES", None)
    if names:
        return tuple(sorted(names))
    return (  # pragma: no cover - fallback for SciPy without the private list
        "braycurtis",
        "canberra",
        "chebyshev",
        "cityblock",
        "correlation",
        "cosine",
        "euclidean",
        "jensenshannon",
        "mahalanobis",
        "minkowski",
        "seuclidean",
        "sqeuclidean",
    )


def validated_rows(
    X, feature_names=None, n_features=None, min_rows: int = 1, missing: str = "error", fitting: bool = False
) -> np.ndarray:
    """``X`` as float64 rows (a float32 array as float32: no copy of twice its size), its columns matched
    by name (reordered if needed) to ``feature_names``.

    Parameters
    ----------
    X : array-like or DataFrame
    feature_names : sequence of str, optional
        The fitted columns; a DataFrame must have exactly these (in any order).
    n_features : int, optional
        The fitted feature count.
    min_rows : int
        Training needs 2.
    missing : {"error", "ignore"}
        Whether missing cells (NaN) are refused or kept (see :func:`as_float_array`).
    fitting : bool
        A fit: with ``missing="ignore"``, a column without an observed value is refused.
    """
    if is_dataframe(X):
        X = matched_columns(X, feature_names)
    array = as_float_array(X, missing=missing, columns_observed=fitting, keep_float32=True)
    if n_features is not None and array.shape[1] != n_features:
        detail = f": {list(feature_names)}" if feature_names is not None else ""
        raise InvalidValuesInDataSet(
            f"X has {array.shape[1]} features, but SOM was fitted with {n_features}{detail}."
        )
    if array.shape[0] < min_rows:
        n = array.shape[0]
        raise InvalidValuesInDataSet(
            f"Training needs at least {min_rows} rows, got {n} sample{'s' * (n != 1)}."
        )
    return array


def feature_columns(X, names):
    """The columns ``names`` of a DataFrame (pandas or Dask) that may carry others, in that order.

    Anything else, or a frame that lacks some of them, is returned as it is: the model's own check
    (:func:`matched_columns`) then says what is missing.
    """
    if names is None or not (is_dataframe(X) or is_dask_dataframe(X)):
        return X
    given = column_names(X.columns)
    if not set(names) <= set(given):
        return X
    return X.iloc[:, [given.index(name) for name in names]]


def matched_columns(X, feature_names):
    """A DataFrame (pandas or Dask) with exactly the fitted columns, in their order (as given when None)."""
    if feature_names is not None:
        expected = list(feature_names)
        given = column_names(X.columns)
        missing = [c for c in expected if c not in given]
        extra = [c for c in given if c not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing columns {missing}")
            if extra:
                parts.append(f"unexpected columns {extra}")
            raise InvalidValuesInDataSet(
                f"X's columns do not match those the SOM was fitted with: {'; '.join(parts)}. "
                f"Expected exactly {expected}."
            )
        if given != expected:
            X = X.iloc[:, [given.index(name) for name in expected]]
    return X
