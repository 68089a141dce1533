"""The table -> matrix mapping of a model: categorical columns, missing cells and feature weights.

One owner for how a table becomes the rows a map trains on, and back:

- :class:`TableEncoder`: with ``SOM(categorical="onehot")`` each category, string or boolean column of a
  DataFrame becomes a block of one-hot indicator columns named ``"column=value"`` (its categories
  are those seen at the first fit), scaled so that the block weighs as much as one standardised
  numeric feature; numeric columns go through the model's normaliser.  A prototype's block, divided
  by its scale, is its vector of category shares (they sum to 1); :meth:`TableEncoder.most_likely`
  turns it back into a category.
- :func:`first_rows` / :func:`normalized_rows`: a table checked and turned into normalised rows, at a
  first fit (fitting the encoder and the normaliser) and afterwards; NaN marks a missing cell.
- :func:`input_units`, :func:`encoded_names`: the codebook in the table's units and the names of its
  columns.
- :func:`distance_weights`: ``SOM(feature_weights=...)`` expanded to the encoded columns.
- :func:`impute`: a table's missing cells filled from each row's BMU prototype.

Block scale.  A block's indicators ``e`` are multiplied by ``s = 1 / sqrt(1 - sum_k p_k^2)`` (``p_k`` the
categories' shares among the training rows; 1 for a column with a single category).  The total
variance of the scaled indicators is then ``s^2 (1 - sum p_k^2) = 1``, and the expected squared
distance between two random rows' blocks, ``s^2 * 2 P(categories differ) = 2``, equals that of one
standardised numeric feature (``E (x - y)^2 = 2``): whatever its number of categories, a column
contributes to distances -- BMU search, PCA start, metrics -- as much as a numeric one.  A balanced
binary column becomes exactly a standardised 0/1 column (values differ by 2).  Feature weights then
apply to the whole block.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from ._validation import (
    check_finite,
    check_numeric_columns,
    check_observed,
    column_kind,
    column_names,
    float_values,
    is_dataframe,
    matched_columns,
    validated_rows,
)
from .exceptions import InvalidValuesInDataSet, ModelFileError
from .normalization import get_normalizer

__all__ = [
    "TableEncoder",
    "TableMapping",
    "categorical_positions",
    "distance_weights",
    "encoded_names",
    "first_rows",
    "impute",
    "input_units",
    "normalized_rows",
]

#: Most categories one column may have (its block of indicators is that wide).
MAX_CATEGORIES = 1000


@dataclass(frozen=True)
class TableEncoder:
    """How a DataFrame with categorical columns maps to the model's columns.

    Attributes
    ----------
    columns : tuple of str
        The table's columns (``feature_names_in_``), in the model's order.
    categories : tuple
        Per column, None for a numeric column, else the tuple of its categories (str, int, float or bool).
    scales : tuple
        Per column, None or the block's scale (see the module's notes).
    """

    columns: tuple
    categories: tuple
    scales: tuple

    # ------------------------------------------------------------------ layout
    @property
    def names(self) -> tuple:
        """The encoded columns' names: a numeric column's own, ``"column=value"`` for an indicator."""
        names = []
        for column, categories in zip(self.columns, self.categories):
            if categories is None:
                names.append(column)
            else:
                names.extend(f"{column}={value}" for value in categories)
        return tuple(names)

    @property
    def slices(self) -> tuple:
        """Per table column, its slice of the encoded columns."""
        slices, start = [], 0
        for categories in self.categories:
            width = 1 if categories is None else len(categories)
            slices.append(slice(start, start + width))
            start += width
        return tuple(slices)

    @property
    def n_encoded(self) -> int:
        return self.slices[-1].stop

    @property
    def numeric(self) -> np.ndarray:
        """Positions of the numeric columns among the encoded ones (the normaliser's columns)."""
        return np.array(
            [part.start for part, cats in zip(self.slices, self.categories) if cats is None], dtype=np.intp
        )

    @property
    def numeric_names(self) -> list:
        return [column for column, cats in zip(self.columns, self.categories) if cats is None]

    def expand(self, values) -> np.ndarray:
        """One value per table column repeated over its encoded columns."""
        return np.concatenate(
            [np.full(part.stop - part.start, float(v)) for part, v in zip(self.slices, values)]
        )

    def block_shares(self) -> np.ndarray:
        """Per encoded column, ``1 / (its block's width)``: a block counts as one column."""
        return (
            self.expand([1.0 if c is None else 1.0 / len(c) for c in self.categories])
            if self.columns
            else None
        )

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(cls, frame, missing: str) -> TableEncoder | None:
        """The encoder of ``frame`` (None when it has no categorical column: nothing to encode)."""
        check_numeric_columns(frame, categorical="onehot")
        if not categorical_positions(frame.dtypes):
            return None
        tallies = {}
        for position in categorical_positions(frame.dtypes):
            counts = frame.iloc[:, position].value_counts(dropna=True, sort=False)
            tallies[position] = (list(counts.index), counts.to_numpy(dtype=np.float64))
        return cls.from_counts(column_names(frame.columns), frame.dtypes, tallies)

    @classmethod
    def from_counts(cls, columns, dtypes, tallies: dict) -> TableEncoder:
        """The encoder from each categorical column's value counts (in memory, or summed over partitions).

        ``tallies`` maps a column's position to its observed values (in order of first appearance) and
        their counts.  Categories follow a categorical dtype's order, ``False, True`` for booleans, sorted
        values otherwise (first appearance when they do not sort).
        """
        import pandas as pd

        categories, scales, empty = [], [], []
        for position, (column, dtype) in enumerate(zip(columns, dtypes)):
            if position not in tallies:
                categories.append(None)
                scales.append(None)
                continue
            raw, counts = tallies[position]
            kept = [k for k, count in enumerate(counts) if count > 0]
            raw, counts = [raw[k] for k in kept], np.asarray(counts, dtype=np.float64)[kept]
            if len(raw) == 0:
                empty.append(column)
                categories.append(())
                scales.append(1.0)
                continue
            if len(raw) > MAX_CATEGORIES:
                raise InvalidValuesInDataSet(
                    f"Column {column!r} has {len(raw):,} categories, above Somnium's limit of "
                    f"{MAX_CATEGORIES:,} (each becomes a column of the map); group the rare ones "
                    "(e.g. into 'other') or drop the column."
                )
            values = [_category_value(v, column) for v in raw]
            if isinstance(dtype, pd.CategoricalDtype):  # the dtype's order
                declared = list(dtype.categories)
                order = sorted(range(len(values)), key=lambda i: declared.index(raw[i]))
            elif column_kind(dtype) == "bool":
                order = sorted(range(len(values)), key=lambda i: bool(values[i]))  # False, True
            else:
                try:
                    order = sorted(range(len(values)), key=lambda i: values[i])
                except TypeError:  # mixed types: first-appearance order
                    order = list(range(len(values)))
            shares = counts / counts.sum()
            spread = 1.0 - float((shares**2).sum())
            categories.append(tuple(values[i] for i in order))
            scales.append(1.0 / math.sqrt(spread) if spread > 1e-12 else 1.0)
        if empty:
            raise InvalidValuesInDataSet(
                f"Column(s) {empty} of X are entirely missing, so the map cannot learn them; drop them "
                "(e.g. df.dropna(axis=1, how='all'))."
            )
        encoder = cls(tuple(columns), tuple(categories), tuple(scales))
        names = encoder.names
        if len(set(names)) != len(names):
            raise InvalidValuesInDataSet(
                "The one-hot columns' names ('column=value') collide with other columns; rename them."
            )
        return encoder

    # ----------------------------------------------------------------- encoding
    def encode(self, frame, missing: str, fitting: bool = False, on_unseen: str | None = None) -> np.ndarray:
        """The table as encoded rows: numeric values as they are, indicators 0 / 1, NaN for a missing cell.

        A category not seen at fit is a missing cell with ``missing="ignore"`` and an error naming the
        column and the value otherwise (``on_unseen`` overrides: "missing" or "error").
        """
        import pandas as pd

        if not is_dataframe(frame):
            raise InvalidValuesInDataSet(
                f"This SOM was fitted on a DataFrame with categorical columns; pass a DataFrame with the "
                f"columns {list(self.columns)}."
            )
        frame = matched_columns(frame, self.columns)
        check_numeric_columns(frame, categorical="onehot")
        n_rows = len(frame)
        if n_rows == 0:
            raise InvalidValuesInDataSet("X has no rows; pass at least one row of data.")
        out = np.zeros((n_rows, self.n_encoded))
        on_unseen = on_unseen or ("missing" if missing == "ignore" else "error")
        for position, (column, cats, part) in enumerate(zip(self.columns, self.categories, self.slices)):
            series = frame.iloc[:, position]
            if cats is None:
                if column_kind(series.dtype) != "numeric":
                    raise InvalidValuesInDataSet(
                        f"Column {column!r} was numeric when the SOM was fitted, but has dtype {series.dtype} "
                        "here; pass it as numbers."
                    )
                out[:, part.start] = float_values(series)
                continue
            absent = series.isna().to_numpy()
            if missing != "ignore" and absent.any():
                first = frame.index[int(np.flatnonzero(absent)[0])]
                raise InvalidValuesInDataSet(
                    f"Column {column!r} has {int(absent.sum())} missing value(s) (e.g. row {first!r}). Fill "
                    "them (e.g. df[c].fillna(...)), drop those rows, or pass SOM(missing='ignore') to train "
                    "on each row's observed values."
                )
            codes = (
                pd.Index(list(cats), dtype=object).get_indexer(series.to_numpy(dtype=object)).astype(np.intp)
            )
            codes[absent] = -1
            unseen = (codes < 0) & ~absent
            if unseen.any():
                values = list(dict.fromkeys(series[unseen].tolist()))[:5]
                if on_unseen == "error":
                    raise InvalidValuesInDataSet(
                        f"Column {column!r} has value(s) {values} that the SOM did not see when it was "
                        f"fitted (its categories: {list(cats)[:20]}). Map them to known categories, or "
                        "pass SOM(missing='ignore') to treat unseen categories as missing values."
                    )
                absent = absent | unseen
            block = out[:, part]
            rows = np.flatnonzero(~absent)
            block[rows, codes[rows]] = 1.0
            block[absent] = np.nan
        names = list(self.names)
        if missing == "ignore":
            check_observed(out, names, index=frame.index, columns_observed=fitting)
        else:
            check_finite(out, names)
        return out

    def normalize(self, encoded: np.ndarray, normalizer) -> np.ndarray:
        """Encoded rows into the model's space, in place: numeric columns normalised, blocks scaled."""
        numeric = self.numeric
        if numeric.size:
            encoded[:, numeric] = normalizer.transform(encoded[:, numeric])
        for cats, scale, part in zip(self.categories, self.scales, self.slices):
            if cats is not None:
                encoded[:, part] *= scale
        return encoded

    def inverse(self, codebook: np.ndarray, normalizer) -> np.ndarray:
        """Prototypes in the table's units: numeric columns in their units, blocks as category shares."""
        out = np.array(codebook, dtype=np.float64)
        numeric = self.numeric
        if numeric.size:
            out[:, numeric] = normalizer.inverse_transform(out[:, numeric])
        for cats, scale, part in zip(self.categories, self.scales, self.slices):
            if cats is not None:
                out[:, part] /= scale
        return out

    def most_likely(self, column: int, shares: np.ndarray) -> list:
        """The most likely category of each row of a block's ``shares`` (the first on ties)."""
        cats = self.categories[column]
        return [cats[i] for i in np.argmax(shares, axis=1)]

    # -------------------------------------------------------------- persistence
    def to_dict(self) -> dict:
        return {
            "columns": list(self.columns),
            "categories": [None if c is None else list(c) for c in self.categories],
            "scales": [None if s is None else float(s) for s in self.scales],
        }

    @classmethod
    def from_dict(cls, spec) -> TableEncoder:
        """The encoder a model file describes; anything malformed is a :class:`ModelFileError`."""

        def expect(condition, problem):
            if not condition:
                raise ModelFileError(f"Damaged model file: encoder {problem}.")

        expect(isinstance(spec, dict), "is not an object")
        columns, categories, scales = spec.get("columns"), spec.get("categories"), spec.get("scales")
        expect(isinstance(columns, list) and all(isinstance(c, str) for c in columns), "columns are invalid")
        expect(isinstance(categories, list) and len(categories) == len(columns), "categories are invalid")
        expect(isinstance(scales, list) and len(scales) == len(columns), "scales are invalid")
        for cats, scale in zip(categories, scales):
            if cats is None:
                expect(scale is None, "has a scale for a numeric column")
                continue
            expect(
                isinstance(cats, list) and 1 <= len(cats) <= MAX_CATEGORIES, "holds an invalid category list"
            )
            expect(all(_is_category_value(v) for v in cats), "holds an invalid category")
            expect(len(set(cats)) == len(cats), "repeats a category")  # 1, 1.0 and True are one
            expect(
                isinstance(scale, (int, float))
                and not isinstance(scale, bool)
                and math.isfinite(scale)
                and scale > 0,
                "holds an invalid scale",
            )
        expect(any(c is not None for c in categories), "has no categorical column")
        encoder = cls(
            tuple(columns),
            tuple(None if c is None else tuple(c) for c in categories),
            tuple(None if s is None else float(s) for s in scales),
        )
        expect(len(set(encoder.names)) == len(encoder.names), "names collide")
        return encoder


def categorical_positions(dtypes) -> list:
    """Positions of the columns ``categorical="onehot"`` encodes (categories, strings, booleans)."""
    return [i for i, dtype in enumerate(dtypes) if column_kind(dtype) in ("category", "string", "bool")]


@dataclass(frozen=True)
class TableMapping:
    """What turns a table into a model's rows (a :class:`~somnium._state.FittedState` has the same
    attributes): the encoder or None, the normaliser, the table's columns and the codebook's width.
    Small enough to travel to Dask workers once per pass."""

    encoder: object
    normalizer: object
    feature_names: tuple | None
    n_features: int

    @classmethod
    def of(cls, state) -> TableMapping:
        return cls(state.encoder, state.normalizer, state.feature_names, state.n_features)


def _is_category_value(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, bool, int))


def _category_value(value, column):
    """A category as a plain JSON-able value (numpy scalars become Python ones)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
    if not _is_category_value(value):
        raise InvalidValuesInDataSet(
            f"Column {column!r} holds a category {value!r} of type {type(value).__name__}; categories must "
            "be strings, numbers or booleans. Convert the column (e.g. df[c].astype(str))."
        )
    return value


# ------------------------------------------------------------- the model's rows
def first_rows(X, params: dict):
    """A first fit's ``(encoder, normalizer, normalised rows, feature names)`` from the table ``X``."""
    missing = params["missing"]
    names = tuple(column_names(X.columns)) if is_dataframe(X) else None
    encoder = None
    if is_dataframe(X) and params["categorical"] == "onehot":
        encoder = TableEncoder.fit(X, missing)
    normalizer = get_normalizer(params["normalization"])
    if encoder is None:
        rows = validated_rows(X, min_rows=2, missing=missing, fitting=True)
        normalizer.fit(rows, feature_names=names, allow_missing=missing == "ignore")
        # A converted copy (float32 or list input, a mixed frame) is ours: normalised in place.
        owned = rows is not X and rows.base is None
        return (
            None,
            normalizer,
            normalizer._transform_owned(rows) if owned else normalizer.transform(rows),
            names,
        )
    encoded = encoder.encode(X, missing, fitting=True)
    if encoded.shape[0] < 2:
        raise InvalidValuesInDataSet(f"Training needs at least 2 rows, got {encoded.shape[0]} sample.")
    numeric = encoder.numeric
    normalizer.fit(
        encoded[:, numeric], feature_names=encoder.numeric_names, allow_missing=missing == "ignore"
    )
    return encoder, normalizer, encoder.normalize(encoded, normalizer), names


def normalized_rows(state, X, missing: str, min_rows: int = 1, on_unseen: str | None = None) -> np.ndarray:
    """``X`` checked against the fitted columns and normalised (float64; NaN for a missing cell)."""
    if state.encoder is None:
        rows = validated_rows(X, state.feature_names, state.n_features, min_rows=min_rows, missing=missing)
        return state.normalizer.transform(rows)
    encoded = state.encoder.encode(X, missing, on_unseen=on_unseen)
    if encoded.shape[0] < min_rows:
        raise InvalidValuesInDataSet(
            f"Training needs at least {min_rows} rows, got {encoded.shape[0]} sample."
        )
    return state.encoder.normalize(encoded, state.normalizer)


def input_units(state, codebook: np.ndarray) -> np.ndarray:
    """Normalised prototypes in the table's units (category blocks as shares)."""
    if state.encoder is None:
        return state.normalizer.inverse_transform(codebook)
    return state.encoder.inverse(codebook, state.normalizer)


def encoded_names(state) -> list:
    """The names of the codebook's columns: the table's, ``column=value`` for categories, else ``x0, x1, ...``."""
    if state.encoder is not None:
        return list(state.encoder.names)
    if state.feature_names is not None:
        return list(state.feature_names)
    return [f"x{i}" for i in range(state.n_features)]


def table_columns(state) -> list:
    """The table's column names (or ``x0, x1, ...``): what ``feature_weights`` and :func:`impute` refer to."""
    if state.encoder is not None:
        return list(state.encoder.columns)
    return encoded_names(state)


def distance_weights(state, feature_weights):
    """``(weights, count_weights)`` per encoded column for :class:`~somnium.engine.TrainingData`.

    ``feature_weights`` is the checked parameter: None, a dict (table column -> weight; others 1) or a
    tuple of one weight per table column.  A categorical column's weight applies to each of its
    indicators; for the ``D / k`` scaling of a row with missing cells a block counts as one column
    (``count_weights`` spread the column's weight over its indicators).  ``(None, None)`` when every
    column weighs 1 and none is a block (the plain path).
    """
    columns = table_columns(state)
    if feature_weights is None:
        values = np.ones(len(columns))
    elif isinstance(feature_weights, dict):
        unknown = [name for name in feature_weights if name not in columns]
        if unknown:
            raise ValueError(
                f"feature_weights names {unknown}, which are not columns of this SOM; its columns are "
                f"{columns}."
            )
        values = np.array([feature_weights.get(name, 1.0) for name in columns])
    else:
        values = np.asarray(feature_weights, dtype=np.float64)
        if values.shape != (len(columns),):
            raise ValueError(
                f"feature_weights has {values.size} values, but the SOM has {len(columns)} columns "
                f"({columns}); give one weight per column, or a dict by name."
            )
    if not (values > 0).any():
        raise ValueError("feature_weights are all 0: no column would decide a row's BMU; give some a weight.")
    if state.encoder is None:
        return (None, None) if (values == 1.0).all() else (values, values)
    weights = state.encoder.expand(values)
    counts = weights * state.encoder.block_shares()
    return (None if (values == 1.0).all() else weights), counts


# ------------------------------------------------------------------ imputation
def impute(model, state, X, training_data):
    """``X`` with its missing cells filled from each row's BMU prototype (see :meth:`SOM.impute`).

    ``training_data(rows)`` makes the :class:`~somnium.engine.TrainingData` of normalised rows.
    """
    if is_dataframe(X):
        rows = normalized_rows(
            state, X, "ignore", on_unseen="missing" if model.missing == "ignore" else "error"
        )
    else:
        if isinstance(X, np.ma.MaskedArray):
            X = np.ma.filled(np.ma.asarray(X, dtype=np.float64), np.nan)
        X = np.asarray(X)
        rows = normalized_rows(state, X, "ignore")
    original = X
    if is_dataframe(X):
        X = matched_columns(X, state.encoder.columns if state.encoder is not None else state.feature_names)
    gappy = _rows_with_gaps(X, rows, state)
    out = original.copy()
    if gappy.size == 0:
        return out
    bmus = training_data(rows[gappy]).bmus(state.codebook, n_jobs=model.n_jobs)
    prototypes = input_units(state, state.codebook)[bmus]
    if not is_dataframe(X):
        block = out[gappy]
        missing = np.isnan(block)
        block[missing] = prototypes[missing]
        out[gappy] = block
        return out
    encoder = state.encoder
    for position, column in enumerate(X.columns):
        series = X.iloc[:, position]
        absent = series.isna().to_numpy()[gappy]
        if not absent.any():
            continue
        target = gappy[absent]
        if encoder is None:
            values = prototypes[absent, position]
        else:
            part = encoder.slices[position]
            if encoder.categories[position] is None:
                values = prototypes[absent, part.start]
            else:
                values = encoder.most_likely(position, prototypes[absent][:, part])
        _fill(out, original.columns.get_loc(column), target, values)
    return out


def _rows_with_gaps(X, rows: np.ndarray, state) -> np.ndarray:
    """Positions of the rows of the table ``X`` that have a missing cell (NaN / NA / None)."""
    if is_dataframe(X):
        return np.flatnonzero(X.isna().to_numpy().any(axis=1))
    return np.flatnonzero(np.isnan(np.asarray(X, dtype=np.float64)).any(axis=1))


def _fill(frame, position: int, rows: np.ndarray, values) -> None:
    """Set ``frame``'s cells ``rows`` of column ``position`` to ``values``, keeping the column's dtype."""
    import pandas as pd

    series = frame.iloc[:, position]
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        new = [v for v in dict.fromkeys(values) if v not in dtype.categories]
        if new:
            frame.isetitem(position, series.cat.add_categories(new))
    elif str(dtype).startswith(("Int", "UInt")) or getattr(dtype, "kind", "") in ("i", "u"):
        values = np.round(np.asarray(values, dtype=np.float64))  # an integer column gets whole numbers
    elif isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = np.asarray(values, dtype=dtype)  # float32 stays float32
    column = frame.iloc[:, position].copy()
    column.iloc[rows] = values
    frame.isetitem(position, column)
