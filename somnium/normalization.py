"""Normalizers: put every feature on a comparable scale before training.

A normalizer is fitted on the training data and reused unchanged by
``predict`` and the plots, so the map always sees data transformed with the
training statistics.  Every normalizer offers ``fit`` / ``transform`` /
``inverse_transform`` on 2-D arrays of shape ``(n_rows, n_features)`` and a
safe ``get_state`` / :func:`normalizer_from_state` pair for persistence (plain
scalars, lists and float64 arrays; no pickle).

========== =================================================================
name       transform
========== =================================================================
standard   z-score ``(x - mean) / std`` (population std)
minmax     ``(x - min) / (max - min)``, into [0, 1] on the training data
log        ``log1p(x)``; requires ``x > -1``
logistic   ``sigmoid(z)`` of the standard score ``z``, into (0, 1)
boxcox     Box-Cox with a per-column lambda fitted by maximum likelihood,
           then the standard score; requires ``x > 0``
none       identity
========== =================================================================

A constant training column (zero std or zero range) gets a scale of 1, so it
maps to a constant instead of NaN/inf.  float32 input stays float32 (large
data sets); any other input is computed in float64.

``fit(X, allow_missing=True)`` (a SOM with ``missing="ignore"``) takes NaN as a
missing cell: every statistic (mean, std, min, max, geometric mean, Box-Cox
lambda) is computed over each column's observed cells, and ``transform`` and
``inverse_transform`` keep NaN where it is.  Infinite values, and columns
without an observed value, are refused.

Examples
--------
>>> import numpy as np
>>> normalizer = get_normalizer("standard").fit(np.array([[1.0], [2.0], [3.0]]))
>>> normalizer.transform(np.array([[2.0]]))
array([[0.]])
>>> normalizer.inverse_transform(np.array([[0.0]]))
array([[2.]])
"""

from __future__ import annotations

import numpy as np

from ._validation import check_option
from .exceptions import (
    InvalidValuesInDataSet,
    ModelFileError,
    ModelNotTrainedError,
    NormalizationFunctionNotFound,
)

__all__ = [
    "NORMALIZATIONS",
    "BoxCoxNormalizer",
    "IdentityNormalizer",
    "LogNormalizer",
    "LogisticNormalizer",
    "MinMaxNormalizer",
    "Normalizer",
    "StandardNormalizer",
    "get_normalizer",
    "normalizer_from_state",
]

# Rows per chunk when computing column statistics, to bound temporaries on big data.
_CHUNK_ROWS = 65_536
# Keeps logit finite when a transformed value has saturated to exactly 0 or 1.
_LOGISTIC_EPSILON = np.finfo(np.float64).eps


def _as_2d_float(X, *, what: str = "X") -> np.ndarray:
    """``X`` as a 2-D float array: float32 is kept, everything else becomes float64."""
    array = np.asarray(X)
    if array.dtype != np.float32:
        try:
            array = array.astype(np.float64, copy=False)
        except (TypeError, ValueError) as error:
            raise InvalidValuesInDataSet(
                f"{what} must be numeric, but it has dtype {array.dtype}: {error}"
            ) from None
    if array.ndim != 2:
        raise InvalidValuesInDataSet(
            f"{what} must be a 2-D array of shape (n_rows, n_features), but it has shape {array.shape}"
        )
    return array


def _column_label(names: list[str] | None, index: int) -> str:
    return repr(names[index]) if names is not None else f"column {index}"


def _column_mean_std(X: np.ndarray, missing: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and population std in float64, two passes over row chunks.

    Deviations are divided by the column's largest deviation before squaring,
    so tiny (1e-200) or huge (1e200) spreads neither underflow nor overflow.
    ``missing``: over each column's observed (non-NaN) cells.
    """
    if missing:
        return _observed_mean_std(X)
    n_rows = X.shape[0]
    total = np.zeros(X.shape[1])
    for start in range(0, n_rows, _CHUNK_ROWS):
        total += X[start : start + _CHUNK_ROWS].sum(axis=0, dtype=np.float64)
    mean = total / n_rows
    largest = np.maximum(
        np.abs(X.max(axis=0).astype(np.float64) - mean),
        np.abs(X.min(axis=0).astype(np.float64) - mean),
    )
    unit = np.where(largest > 0, largest, 1.0)
    squares = np.zeros(X.shape[1])
    for start in range(0, n_rows, _CHUNK_ROWS):
        deviation = (X[start : start + _CHUNK_ROWS].astype(np.float64) - mean) / unit
        squares += np.einsum("ij,ij->j", deviation, deviation)
    return mean, unit * np.sqrt(squares / n_rows)


def _observed_mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_column_mean_std` over each column's observed cells (NaN missing)."""
    # One float64 chunk at a time, worked on in place: the temporaries stay a chunk whatever N.
    total, count = np.zeros(X.shape[1]), np.zeros(X.shape[1])
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        chunk = X[start : start + _CHUNK_ROWS].astype(np.float64)
        missing = np.isnan(chunk)
        count += chunk.shape[0] - missing.sum(axis=0)
        np.copyto(chunk, 0.0, where=missing)
        total += chunk.sum(axis=0)
    mean = total / count
    largest = np.maximum(np.abs(_column_max(X, True) - mean), np.abs(_column_min(X, True) - mean))
    unit = np.where(largest > 0, largest, 1.0)
    squares = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        deviation = X[start : start + _CHUNK_ROWS].astype(np.float64)
        deviation -= mean
        deviation /= unit
        np.nan_to_num(deviation, copy=False, nan=0.0)
        squares += np.einsum("ij,ij->j", deviation, deviation)
    return mean, unit * np.sqrt(squares / count)


def _column_min(X: np.ndarray, missing: bool = False) -> np.ndarray:
    """Per-column minimum in float64 (``missing``: of the observed cells; ``fmin`` skips NaN)."""
    return (np.fmin.reduce(X, axis=0) if missing else X.min(axis=0)).astype(np.float64)


def _column_max(X: np.ndarray, missing: bool = False) -> np.ndarray:
    return (np.fmax.reduce(X, axis=0) if missing else X.max(axis=0)).astype(np.float64)


def _has_missing(X: np.ndarray) -> bool:
    """Whether ``X`` holds a NaN, chunk by chunk (a row sum is NaN exactly when the finite row has one)."""
    ones = np.ones(X.shape[1], dtype=X.dtype)
    return any(np.isnan(X[s : s + _CHUNK_ROWS] @ ones).any() for s in range(0, X.shape[0], _CHUNK_ROWS))


def _cast(parameter: np.ndarray, X: np.ndarray) -> np.ndarray:
    """A fitted float64 parameter in the working dtype of ``X`` (so float32 stays float32)."""
    return parameter.astype(X.dtype, copy=False)


class Normalizer:
    """Base class: the fit / transform / inverse_transform contract.

    Subclasses set :attr:`name`, implement ``_fit``, ``_transform`` and
    ``_inverse_transform`` and list their fitted array parameters in
    ``_parameters``.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : list of str or None
        Column names given to ``fit`` (used in error messages).
    """

    name: str = ""
    #: names of the fitted float64 arrays, one value per feature
    _parameters: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # -- public API -----------------------------------------------------------------

    #: Whether the data being fitted hold missing cells (set by :meth:`fit` for ``_fit``).
    _missing = False

    def fit(self, X, feature_names=None, allow_missing: bool = False) -> Normalizer:
        """Learn the per-column parameters from the training data.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Training data, finite (NaN allowed with ``allow_missing``).
        feature_names : sequence of str, optional
            Column names, used to name columns in error messages.
        allow_missing : bool, default False
            NaN is a missing cell: the statistics use each column's observed cells.

        Returns
        -------
        self : Normalizer

        Raises
        ------
        InvalidValuesInDataSet
            If ``X`` is not 2-D, is empty, has non-finite values, or has
            values outside the transform's domain.
        """
        X = _as_2d_float(X)
        # No columns is allowed (a table of categorical columns only has no numeric column to scale).
        if X.shape[0] == 0:
            raise InvalidValuesInDataSet(f"Cannot fit a normalizer on empty data of shape {X.shape}")
        names = None if feature_names is None else [str(name) for name in feature_names]
        if names is not None and len(names) != X.shape[1]:
            raise InvalidValuesInDataSet(f"Got {len(names)} feature names for data with {X.shape[1]} columns")
        self.feature_names_in_ = names
        self._missing = bool(allow_missing) and _has_missing(X)
        self._check_finite(X, names)
        self._check_domain(X, names)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                self._fit(X)
        finally:
            self.__dict__.pop("_missing", None)
        self._check_parameters_finite(X.shape[1], names)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """Normalize ``X`` with the fitted parameters.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features_in_)

        Returns
        -------
        ndarray of shape (n_rows, n_features_in_)
            A new array (``X`` is never modified); float32 if ``X`` is float32,
            else float64.

        Raises
        ------
        ModelNotTrainedError
            If the normalizer has not been fitted.
        InvalidValuesInDataSet
            If ``X`` has the wrong number of columns or values outside the
            transform's domain.
        """
        X = self._check_input(X)
        self._check_domain(X, self.feature_names_in_)
        return self._transform(X)

    def _transform_owned(self, X: np.ndarray) -> np.ndarray:
        """:meth:`transform` of rows nobody else holds (a fit's private float64 copy): in place where
        the transform allows, so a first fit never holds the raw and the normalised rows at once."""
        X = self._check_input(X)
        self._check_domain(X, self.feature_names_in_)
        if X.dtype != np.float64 or not X.flags.writeable or not X.flags.c_contiguous:
            return self._transform(X)
        return self._transform_in_place(X)

    def _transform_in_place(self, X: np.ndarray) -> np.ndarray:
        return self._transform(X)  # transforms with no in-place form

    def inverse_transform(self, Y) -> np.ndarray:
        """Map normalized values back to the original units.

        Parameters
        ----------
        Y : array-like of shape (n_rows, n_features_in_)
            Normalized values, e.g. a codebook.

        Returns
        -------
        ndarray of shape (n_rows, n_features_in_)
        """
        return self._inverse_transform(self._check_input(Y, what="Y"))

    def fit_transform(self, X, feature_names=None) -> np.ndarray:
        """Fit on ``X`` and return ``transform(X)``."""
        return self.fit(X, feature_names=feature_names).transform(X)

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has been called."""
        return hasattr(self, "n_features_in_")

    def get_state(self) -> dict:
        """Everything needed to rebuild this normalizer, without pickle.

        Returns
        -------
        dict
            ``name`` (str), and once fitted ``n_features_in`` (int),
            ``feature_names_in`` (list of str or None) and one float64 array
            per fitted parameter.  Restore it with :func:`normalizer_from_state`.
        """
        state: dict = {"name": self.name}
        if self.is_fitted:
            state["n_features_in"] = int(self.n_features_in_)
            state["feature_names_in"] = (
                None if self.feature_names_in_ is None else list(self.feature_names_in_)
            )
            for parameter in self._parameters:
                state[parameter] = np.array(getattr(self, parameter), dtype=np.float64)
        return state

    # -- helpers ----------------------------------------------------------------------

    def _check_input(self, X, *, what: str = "X") -> np.ndarray:
        if not self.is_fitted:
            raise ModelNotTrainedError(f"This {self.name!r} normalizer is not fitted yet; call fit(X) first")
        X = _as_2d_float(X, what=what)
        if X.shape[1] != self.n_features_in_:
            raise InvalidValuesInDataSet(
                f"{what} has {X.shape[1]} features, but the normalizer was fitted with "
                f"{self.n_features_in_}"
                + ("" if self.feature_names_in_ is None else f": {self.feature_names_in_}")
            )
        return X

    def _check_finite(self, X: np.ndarray, names: list[str] | None) -> None:
        """Statistics of NaN/inf are meaningless: name the columns that have them (with missing cells:
        the columns with infinite values, or without an observed value)."""
        if self._missing:
            infinite = np.isinf(X).sum(axis=0)
            empty = np.flatnonzero(np.isnan(X).all(axis=0))
            problems = [
                f"{_column_label(names, int(c))} has {int(infinite[c])} infinite value(s)"
                for c in np.flatnonzero(infinite)
            ]
            problems += [f"{_column_label(names, int(c))} has no observed value" for c in empty]
            if problems:
                raise InvalidValuesInDataSet(
                    f"Cannot fit {self.name!r} normalization: {'; '.join(problems)}. Replace infinite values "
                    "and drop empty columns first."
                )
            return
        counts = X.shape[0] - np.isfinite(X).sum(axis=0)
        columns = np.flatnonzero(counts)
        if columns.size:
            details = "; ".join(
                f"{_column_label(names, int(column))} has {int(counts[column])} NaN or infinite value(s)"
                for column in columns
            )
            raise InvalidValuesInDataSet(
                f"Cannot fit {self.name!r} normalization: {details}. Drop or impute them first."
            )

    def _check_parameters_finite(self, n_features: int, names: list[str] | None) -> None:
        bad = np.zeros(n_features, dtype=bool)
        for parameter in self._parameters:
            bad |= ~np.isfinite(getattr(self, parameter))
        columns = np.flatnonzero(bad)
        if columns.size:
            labels = ", ".join(_column_label(names, int(column)) for column in columns)
            raise InvalidValuesInDataSet(
                f"Cannot fit {self.name!r} normalization: the statistics of {labels} overflow "
                "float64; rescale the data first"
            )

    def _check_domain(self, X: np.ndarray, names: list[str] | None) -> None:
        """Raise if ``X`` has values outside the transform's domain (none by default)."""

    def _fit(self, X: np.ndarray) -> None:
        raise NotImplementedError

    def _transform(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _inverse_transform(self, Y: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _check_lower_bound(X, names, *, bound: float, normalization: str, hint: str) -> None:
    """Raise InvalidValuesInDataSet naming every column with values ``<= bound``."""
    offending = bound >= X
    counts = offending.sum(axis=0)
    columns = np.flatnonzero(counts)
    if columns.size == 0:
        return
    details = []
    for column in columns:
        smallest = float(np.nanmin(X[:, column]))
        details.append(
            f"{_column_label(names, int(column))} has {int(counts[column])} value(s) <= {bound:g} "
            f"(smallest {smallest:g})"
        )
    raise InvalidValuesInDataSet(
        f"{normalization!r} normalization requires values > {bound:g}, but "
        + "; ".join(details)
        + f". {hint}"
    )


class StandardNormalizer(Normalizer):
    """Z-score: ``(x - mean) / std`` with the population std (std 0 -> scale 1)."""

    name = "standard"
    _parameters = ("center_", "scale_")

    def _fit(self, X):
        missing = self._missing
        mean, std = _column_mean_std(X, missing)
        low = _column_min(X, missing)
        constant = low == _column_max(X, missing)
        # A constant column centres on its exact value, so it maps to exactly 0.
        self.center_ = np.where(constant, low if missing else X[0].astype(np.float64), mean)
        self.scale_ = np.where(constant | (std == 0), 1.0, std)

    def _transform(self, X):
        out = X - _cast(self.center_, X)
        out /= _cast(self.scale_, X)
        return out

    def _transform_in_place(self, X):
        X -= self.center_
        X /= self.scale_
        return X

    def _inverse_transform(self, Y):
        out = Y * _cast(self.scale_, Y)
        out += _cast(self.center_, Y)
        return out


class MinMaxNormalizer(Normalizer):
    """``(x - min) / (max - min)`` with the training min and max (zero range -> scale 1)."""

    name = "minmax"
    _parameters = ("min_", "scale_")

    def _fit(self, X):
        self.min_ = _column_min(X, self._missing)
        value_range = _column_max(X, self._missing) - self.min_
        self.scale_ = np.where(value_range == 0, 1.0, value_range)

    def _transform(self, X):
        out = X - _cast(self.min_, X)
        out /= _cast(self.scale_, X)
        return out

    def _transform_in_place(self, X):
        X -= self.min_
        X /= self.scale_
        return X

    def _inverse_transform(self, Y):
        out = Y * _cast(self.scale_, Y)
        out += _cast(self.min_, Y)
        return out


class LogNormalizer(Normalizer):
    """``log1p(x)``, inverse ``expm1``; requires ``x > -1``.  Nothing is learned."""

    name = "log"

    def _check_domain(self, X, names):
        _check_lower_bound(
            X,
            names,
            bound=-1.0,
            normalization=self.name,
            hint="Shift the column or choose another normalization (e.g. 'standard').",
        )

    def _fit(self, X):
        pass

    def _transform(self, X):
        return np.log1p(X)

    def _transform_in_place(self, X):
        return np.log1p(X, out=X)

    def _inverse_transform(self, Y):
        return np.expm1(Y)


class LogisticNormalizer(Normalizer):
    """``sigmoid((x - mean) / std)``, into (0, 1); inverse through a clipped logit."""

    name = "logistic"
    _parameters = ("center_", "scale_")

    def _fit(self, X):
        standard = StandardNormalizer()
        standard._missing = self._missing
        standard._fit(X)
        self.center_, self.scale_ = standard.center_, standard.scale_

    def _transform(self, X):
        from scipy.special import expit

        out = X - _cast(self.center_, X)
        out /= _cast(self.scale_, X)
        return expit(out, out=out)

    def _inverse_transform(self, Y):
        from scipy.special import logit

        epsilon = max(_LOGISTIC_EPSILON, float(np.finfo(Y.dtype).eps))
        out = np.clip(Y, epsilon, 1.0 - epsilon)
        logit(out, out=out)
        out *= _cast(self.scale_, Y)
        out += _cast(self.center_, Y)
        return out


class BoxCoxNormalizer(Normalizer):
    """Per-column Box-Cox (lambda by maximum likelihood), then the standard score.

    Requires ``x > 0``.  A constant column uses ``lambda = 1``.

    Each column is divided by its training geometric mean before the Box-Cox
    transform.  Lambda's maximum-likelihood estimate does not change under
    rescaling, and the rescaled transform is an increasing affine function of
    the plain one, so the standard scores are the same; but values near 1 keep
    ``lambda * log(x)`` small, which avoids the cancellation that ruins the
    plain transform (and its inverse) when ``|lambda|`` is large.

    Lambda is estimated with :func:`scipy.stats.boxcox`, which costs about a
    second per 100 000 rows and column; longer columns estimate it on every
    k-th row (at most :attr:`max_fit_rows` rows, evenly spread whether or not
    the data are sorted).  The geometric mean, centre and scale use all rows.
    """

    #: rows used to estimate lambda
    max_fit_rows = 100_000
    name = "boxcox"
    _parameters = ("lambda_", "geometric_mean_", "center_", "scale_")

    def _check_domain(self, X, names):
        _check_lower_bound(
            X,
            names,
            bound=0.0,
            normalization=self.name,
            hint="Box-Cox needs strictly positive data; shift the column or use another "
            "normalization (e.g. 'standard' or 'log').",
        )

    def _fit(self, X):
        logs = np.log(X.astype(np.float64))
        self.geometric_mean_ = np.exp(np.nanmean(logs, axis=0) if self._missing else logs.mean(axis=0))
        self._fit_lambda(X[:: self.fit_stride(X.shape[0])])
        standard = StandardNormalizer()
        standard._missing = self._missing
        standard._fit(self._boxcox(X))
        self.center_, self.scale_ = standard.center_, standard.scale_

    @classmethod
    def fit_stride(cls, n_rows: int) -> int:
        """Lambda is estimated on every ``fit_stride``-th row (at most :attr:`max_fit_rows` rows)."""
        return -(-n_rows // cls.max_fit_rows)

    def _fit_lambda(self, sample: np.ndarray) -> None:
        """Per-column maximum-likelihood lambda on ``sample``, once ``geometric_mean_`` is known."""
        from scipy.stats import boxcox  # scipy.stats costs ~0.3 s to import: only where it is used

        self.lambda_ = np.ones(sample.shape[1])
        for column in range(sample.shape[1]):
            values = sample[:, column].astype(np.float64) / self.geometric_mean_[column]
            values = values[~np.isnan(values)]  # missing cells (a fit with allow_missing)
            if values.size and values.min() != values.max():
                _, self.lambda_[column] = boxcox(values)

    def _boxcox(self, X):
        from scipy.special import boxcox

        # float64 whatever the input: with large |lambda| float32 loses too much.
        return boxcox(X.astype(np.float64) / self.geometric_mean_, self.lambda_)

    def _transform(self, X):
        with np.errstate(over="ignore"):
            out = self._boxcox(X)
        self._check_overflow(X, out)
        out -= self.center_
        out /= self.scale_
        return out.astype(X.dtype, copy=False)

    def _check_overflow(self, X, transformed):
        overflowing = np.isinf(transformed) | (np.isnan(transformed) & ~np.isnan(X))  # NaN in: missing
        columns = np.flatnonzero(overflowing.any(axis=0))
        if columns.size == 0:
            return
        details = "; ".join(
            f"{_column_label(self.feature_names_in_, int(column))} (lambda={self.lambda_[column]:.6g}) "
            f"at value {float(X[overflowing[:, column], column][0]):g}"
            for column in columns
        )
        raise InvalidValuesInDataSet(
            f"The Box-Cox transform fitted on the training data overflows for {details}: the "
            "value is far outside the training range of a column with an extreme lambda "
            "(typically a nearly constant column). Use another normalization for it."
        )

    def _inverse_transform(self, Y):
        from scipy.special import inv_boxcox

        out = Y.astype(np.float64) * self.scale_
        out += self.center_
        out = inv_boxcox(out, self.lambda_)
        out *= self.geometric_mean_
        return out.astype(Y.dtype, copy=False)


class IdentityNormalizer(Normalizer):
    """No normalization: ``transform`` returns a copy of the data."""

    name = "none"

    def _fit(self, X):
        pass

    def _transform(self, X):
        return X.copy()

    def _transform_in_place(self, X):
        return X

    def _inverse_transform(self, Y):
        return Y.copy()


_NORMALIZERS: dict[str, type[Normalizer]] = {
    cls.name: cls
    for cls in (
        StandardNormalizer,
        MinMaxNormalizer,
        LogNormalizer,
        LogisticNormalizer,
        BoxCoxNormalizer,
        IdentityNormalizer,
    )
}

#: valid normalization names
NORMALIZATIONS: tuple[str, ...] = tuple(_NORMALIZERS)


def get_normalizer(name: str) -> Normalizer:
    """A new, unfitted normalizer by name.

    Parameters
    ----------
    name : str
        One of :data:`NORMALIZATIONS`.

    Returns
    -------
    Normalizer

    Raises
    ------
    NormalizationFunctionNotFound
        If ``name`` is unknown; the message lists the valid names.

    Examples
    --------
    >>> get_normalizer("minmax")
    MinMaxNormalizer()
    """
    return _NORMALIZERS[check_option(name, NORMALIZATIONS, "normalization", NormalizationFunctionNotFound)]()


def normalizer_from_state(state: dict) -> Normalizer:
    """Rebuild a normalizer from :meth:`Normalizer.get_state`.

    Parameters
    ----------
    state : dict
        As returned by ``get_state`` (arrays may also be lists, e.g. after JSON).

    Returns
    -------
    Normalizer
        Transforms exactly like the one that produced ``state``.

    Raises
    ------
    NormalizationFunctionNotFound
        If the state names an unknown normalization.
    ModelFileError
        If the state is incomplete or inconsistent.
    """
    if not isinstance(state, dict) or "name" not in state:
        raise ModelFileError("A normalizer state must be a dict with a 'name' entry")
    normalizer = get_normalizer(state["name"])
    if "n_features_in" not in state:
        return normalizer
    try:
        n_features = int(state["n_features_in"])
        names = state.get("feature_names_in")
        names = None if names is None else [str(name) for name in names]
        parameters = {
            parameter: np.array(state[parameter], dtype=np.float64) for parameter in normalizer._parameters
        }
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"Damaged {state['name']!r} normalizer state: {error!r}") from None
    if names is not None and len(names) != n_features:
        raise ModelFileError(
            f"Damaged normalizer state: {len(names)} feature names for {n_features} features"
        )
    for parameter, values in parameters.items():
        if values.shape != (n_features,):
            raise ModelFileError(
                f"Damaged normalizer state: {parameter!r} has shape {values.shape}, expected ({n_features},)"
            )
        setattr(normalizer, parameter, values)
    normalizer.feature_names_in_ = names
    normalizer.n_features_in_ = n_features
    return normalizer
