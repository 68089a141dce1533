"""The user-facing estimator: :class:`SOM`.

This module validates inputs, converts DataFrames, normalises, and drives
the epochs of :mod:`somnium.engine`; it owns the fitted state.  State is
committed only at the end of a completed epoch, so an exception or a
``KeyboardInterrupt`` leaves the model exactly as it was after its last
completed epoch.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from . import engine, metrics
from .exceptions import (
    InvalidValuesInDataSet,
    ModelNotTrainedError,
    UnknownOptionError,
)
from .lattice import LATTICES, Lattice
from .neighborhood import NeighborhoodOperator, check_neighborhood
from .normalization import NORMALIZATIONS, get_normalizer

__all__ = ["SOM", "EpochInfo", "estimate_mapsize"]

INITIALIZATIONS = ("pca", "random")
DECAYS = ("linear", "exponential")
DTYPES = ("float32", "float64")
HISTORY_KEYS = (
    "epoch",
    "phase",
    "radius",
    "learning_rate",
    "quantization_error",
    "topographic_error",
    "vacancy_rate",
    "mean_squared_distance",
)
#: Upper bound on the node count chosen by ``mapsize="auto"``.
AUTO_MAX_NODES = 10_000


def _scipy_metric_names():
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


def _check_option(value, valid, what, error=UnknownOptionError):
    if not isinstance(value, str) or value not in valid:
        raise error(f"Unknown {what} {value!r}. Valid {what}s: {', '.join(valid)}.")
    return value


def _check_positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}.")
    return int(value)


def _check_positive_float(value, what):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{what} must be a positive finite number, got {value!r}.")
    return float(value)


def _check_unit_interval(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (0 < value <= 1):
        raise ValueError(f"{what} must be in (0, 1], got {value!r}.")
    return float(value)


def estimate_mapsize(X, mapsize_scale: float = 5.0, lattice: str = "hexa", max_nodes: int = AUTO_MAX_NODES):
    """Map size from the data: about ``mapsize_scale * sqrt(N)`` nodes.

    The sides follow the ratio ``sqrt(l1 / l2)`` of the two largest
    covariance eigenvalues (the long side along the columns, so maps are
    landscape like a screen), so the map's shape
    follows the data's principal plane.

    Parameters
    ----------
    X : array-like, shape (n_rows, n_features)
    mapsize_scale : float, default 5
    lattice : str, default "hexa"
        Hexagonal rows are ``sqrt(3)/2`` apart, so they get more rows for the same drawn shape.
    max_nodes : int, default 10000
        Cap on the total for very large ``N``.

    Returns
    -------
    (rows, cols) : tuple of int

    Examples
    --------
    >>> import numpy as np
    >>> rows, cols = estimate_mapsize(np.random.default_rng(0).normal(size=(400, 3)) * [3, 1, 1])
    >>> rows * cols > 50
    True
    """
    X = _as_float_array(X)
    n_nodes = min(max(4, int(round(float(mapsize_scale) * math.sqrt(X.shape[0])))), max_nodes)
    if X.shape[1] >= 2 and X.shape[0] >= 2:
        _, values, _ = engine.principal_axes(X, 2)
        ratio = math.sqrt(values[0] / values[1]) if values[1] > 0 else float(n_nodes)
    else:
        ratio = 1.0
    # cols / rows that makes the drawn map's width / height equal to ratio
    side_ratio = ratio * (math.sqrt(0.75) if LATTICES.get(lattice, ("rect",))[0] == "hexa" else 1.0)
    rows = max(2, min(n_nodes // 2, int(round(math.sqrt(n_nodes / side_ratio)))))
    cols = max(2, int(round(n_nodes / rows)))
    return rows, cols


# ----------------------------------------------------------------- input glue
def _is_dataframe(X) -> bool:
    return type(X).__module__.startswith("pandas") and hasattr(X, "columns") and hasattr(X, "dtypes")


def _as_float_array(X, feature_names=None) -> np.ndarray:
    """Validate ``X`` and return a float64 2-D array (no copy when already one)."""
    if X is None:
        raise InvalidValuesInDataSet("X is None; pass a 2-D array or DataFrame of numeric data.")
    if _is_dataframe(X):
        bad = [str(c) for c, dt in zip(X.columns, X.dtypes) if not _is_numeric_dtype(dt)]
        if bad:
            raise InvalidValuesInDataSet(
                f"Non-numeric columns {bad}; a SOM trains on numbers. Drop them or encode them "
                "first (e.g. X = df.select_dtypes('number'))."
            )
        feature_names = [str(c) for c in X.columns]
        try:
            array = X.to_numpy(dtype=np.float64, na_value=np.nan)
        except TypeError:
            array = X.to_numpy(dtype=np.float64)
    else:
        if hasattr(X, "__dask_graph__"):
            raise InvalidValuesInDataSet(
                "Dask collections are not accepted yet; compute them first (X.compute())."
            )
        array = np.asarray(X)
        if array.dtype.kind not in "biuf":
            if array.dtype.kind in "USO":
                raise InvalidValuesInDataSet(
                    f"X contains strings or objects (dtype {array.dtype}); pass numeric data."
                )
            raise InvalidValuesInDataSet(f"X has unsupported dtype {array.dtype}; pass real numbers.")
        array = np.asarray(array, dtype=np.float64)
    if array.ndim == 1:
        raise InvalidValuesInDataSet(
            f"X is 1-D with shape {array.shape}; a SOM needs a 2-D (rows, features) array. "
            "Use X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single row."
        )
    if array.ndim != 2:
        raise InvalidValuesInDataSet(f"X must be 2-D (rows, features), got shape {array.shape}.")
    if array.shape[0] == 0:
        raise InvalidValuesInDataSet("X has no rows; pass at least one row of data.")
    if array.shape[1] == 0:
        raise InvalidValuesInDataSet("X has no columns (zero features).")
    finite = np.isfinite(array)
    if not finite.all():
        bad_rows, bad_cols = np.nonzero(~finite)
        names = feature_names or [f"column {j}" for j in range(array.shape[1])]
        first = [(int(r), names[c], float(array[r, c])) for r, c in zip(bad_rows[:5], bad_cols[:5])]
        described = ", ".join(f"row {r} in {name!r} ({value})" for r, name, value in first)
        raise InvalidValuesInDataSet(
            f"X contains {len(bad_rows)} NaN or infinite value(s), e.g. {described}. "
            "Drop or impute them first (e.g. df.dropna())."
        )
    return array


def _is_numeric_dtype(dtype) -> bool:
    kind = getattr(dtype, "kind", None)
    if kind is None:  # pandas extension dtypes
        return getattr(dtype, "_is_numeric", False) and not getattr(dtype, "_is_boolean", False)
    return kind in "biuf"


@dataclass(frozen=True)
class EpochInfo:
    """What a callback receives after every completed epoch.

    Attributes
    ----------
    epoch : int
        Epochs completed by the model so far (across all fit calls), 1-based.
    phase : str
        ``"batch-<k>"`` or ``"online-<k>"``: the k-th fit call of the model.
    phase_epoch : int
        Epoch number within this fit call, 1-based.
    n_epochs : int
        Epochs planned for this fit call.
    radius, learning_rate : float
        Values used in this epoch.
    metrics : dict
        This epoch's ``quantization_error``, ``topographic_error``,
        ``vacancy_rate`` and ``mean_squared_distance``, measured on the
        codebook the epoch started from (batch) or while visiting the rows
        (online).
    elapsed : float
        Seconds since the fit call started.
    model : SOM
        The model, already holding this epoch's codebook.
    """

    epoch: int
    phase: str
    phase_epoch: int
    n_epochs: int
    radius: float
    learning_rate: float
    metrics: dict = field(default_factory=dict)
    elapsed: float = 0.0
    model: object = None


def _callback_list(callbacks):
    if callbacks is None:
        return []
    if callable(callbacks) or hasattr(callbacks, "on_epoch_end"):
        callbacks = [callbacks]
    result = []
    for cb in callbacks:
        if hasattr(cb, "on_epoch_end"):
            result.append(cb.on_epoch_end)
        elif callable(cb):
            result.append(cb)
        else:
            raise TypeError(f"Callback {cb!r} is neither callable nor has an on_epoch_end method.")
    return result


class SOM:
    """Self-Organising Map (Kohonen map) estimator.

    Parameters
    ----------
    mapsize : "auto" or (rows, cols), default "auto"
        ``"auto"`` picks about ``mapsize_scale * sqrt(N)`` nodes shaped by
        the data's principal plane (:func:`estimate_mapsize`).
    lattice : str, default "hexa"
        ``"hexa"``, ``"rect"``, ``"toroidal_hexa"``, ``"toroidal_rect"``,
        ``"cylindrical_hexa"`` or ``"cylindrical_rect"``.
    neighborhood : str, default "gaussian"
        ``"gaussian"``, ``"bubble"``, ``"cut_gaussian"``, ``"mexican_hat"`` or
        ``"epanechicov"`` (see :func:`somnium.neighborhood.kernel`).
    normalization : str, default "standard"
        ``"standard"``, ``"minmax"``, ``"log"``, ``"logistic"``, ``"boxcox"`` or
        ``"none"``; fitted on the first training data and reused afterwards.
    initialization : {"pca", "random"}, default "pca"
    distance_metric : str or callable, default "euclidean"
        Any SciPy ``cdist`` metric for the BMU search; ``"euclidean"`` and
        ``"sqeuclidean"`` use the fast GEMM path.
    n_jobs : int, default 1
        Threads for the BMU search (-1 = all cores).
    mapsize_scale : float, default 5
    random_state : int, numpy Generator or None
        Seed for initialisation, subsampling and online ordering.
    dtype : {"float32", "float64"}, default "float32"
        Precision of the distance computation (statistics are always float64).

    Attributes
    ----------
    codebook_ : ndarray, shape (n_nodes, n_features)
        Prototypes in the input's units.
    bmu_ : ndarray of int64, shape (n_rows,)
        Best matching unit of each training row for the final codebook.
    lattice_ : Lattice
    mapsize_ : (rows, cols)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame.
    history_ : dict of lists
        One entry per epoch across all fit calls (see :data:`HISTORY_KEYS`);
        metrics are NaN for epochs trained without ``collect_history`` or callbacks.

    Examples
    --------
    >>> import numpy as np
    >>> from somnium import SOM
    >>> X = np.random.default_rng(0).normal(size=(200, 4))
    >>> model = SOM(mapsize=(6, 5), random_state=0).fit(X, epochs=5)
    >>> model.predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        mapsize="auto",
        lattice="hexa",
        neighborhood="gaussian",
        normalization="standard",
        initialization="pca",
        distance_metric="euclidean",
        n_jobs=1,
        mapsize_scale=5,
        random_state=None,
        dtype="float32",
    ):
        from .exceptions import LatticeTypeNotFound, NormalizationFunctionNotFound

        self.mapsize = mapsize
        self.lattice = _check_option(lattice, tuple(LATTICES), "lattice", LatticeTypeNotFound)
        self.neighborhood = check_neighborhood(neighborhood)
        self.normalization = _check_option(
            normalization, NORMALIZATIONS, "normalization", NormalizationFunctionNotFound
        )
        self.initialization = _check_option(initialization, INITIALIZATIONS, "initialization")
        if not callable(distance_metric):
            _check_option(distance_metric, _scipy_metric_names(), "distance_metric")
        self.distance_metric = distance_metric
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
            raise ValueError(f"n_jobs must be a non-zero integer (-1 for all cores), got {n_jobs!r}.")
        self.n_jobs = int(n_jobs)
        self.mapsize_scale = _check_positive_float(mapsize_scale, "mapsize_scale")
        self.random_state = random_state
        self.dtype = _check_option(dtype, DTYPES, "dtype")
        if mapsize != "auto":
            self._check_mapsize(mapsize)

    @staticmethod
    def _check_mapsize(mapsize):
        if isinstance(mapsize, str) or not hasattr(mapsize, "__len__") or len(mapsize) != 2:
            raise ValueError(f"mapsize must be 'auto' or a (rows, cols) pair, got {mapsize!r}.")
        rows, cols = (_check_positive_int(v, "mapsize entries") for v in mapsize)
        return rows, cols

    def __repr__(self) -> str:
        return (
            f"SOM(mapsize={self.mapsize!r}, lattice={self.lattice!r}, neighborhood={self.neighborhood!r}, "
            f"normalization={self.normalization!r}, initialization={self.initialization!r})"
        )

    # ------------------------------------------------------------ fitted state
    def __getattr__(self, name):
        # Only reached for missing attributes: fitted ones (lattice_, history_, ...) on an
        # unfitted model get the same actionable error as predict().
        if name.endswith("_") and not name.startswith("_") and name != "feature_names_in_":
            raise ModelNotTrainedError(
                f"{name} is not available: this SOM is not trained yet; call fit(), fit_online() "
                "or fit_auto() first."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "_codebook")

    def _require_fitted(self, what="this"):
        if not self.is_fitted:
            raise ModelNotTrainedError(
                f"This SOM is not trained yet; call fit(), fit_online() or fit_auto() before {what}."
            )

    @property
    def codebook_(self) -> np.ndarray:
        """Prototypes in the input's units, shape ``(n_nodes, n_features)``."""
        self._require_fitted("reading codebook_")
        return self._normalizer.inverse_transform(self._codebook)

    @property
    def normalized_codebook_(self) -> np.ndarray:
        """Prototypes in the normalised space the map was trained in."""
        self._require_fitted("reading normalized_codebook_")
        return self._codebook.copy()

    @property
    def bmu_(self) -> np.ndarray:
        """Best matching unit of each training row for the final codebook."""
        self._require_fitted("reading bmu_")
        if self._bmu is None:
            raise ModelNotTrainedError("The training BMUs are not available for this model.")
        return self._bmu

    def feature_names(self) -> list[str]:
        """Feature names: the DataFrame's columns, or ``x0, x1, ...``."""
        self._require_fitted("feature_names()")
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        return [f"x{i}" for i in range(self.n_features_in_)]

    # --------------------------------------------------------------- inputs
    def _input(self, X, fitting: bool) -> np.ndarray:
        """Validate ``X`` against the fitted columns and return normalised float64 rows."""
        if _is_dataframe(X) and self.is_fitted and getattr(self, "feature_names_in_", None) is not None:
            expected = list(self.feature_names_in_)
            given = [str(c) for c in X.columns]
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
            X = X[expected] if given != expected else X
        array = _as_float_array(X)
        if self.is_fitted and array.shape[1] != self.n_features_in_:
            names = getattr(self, "feature_names_in_", None)
            detail = f": {list(names)}" if names is not None else ""
            raise InvalidValuesInDataSet(
                f"X has {array.shape[1]} features, but SOM was fitted with {self.n_features_in_}{detail}."
            )
        if fitting and array.shape[0] < 2:
            raise InvalidValuesInDataSet(f"Training needs at least 2 rows, got {array.shape[0]}.")
        if not self.is_fitted:
            return array
        return self._normalizer.transform(array)

    def _rng(self) -> np.random.Generator:
        if not hasattr(self, "_generator"):
            self._generator = np.random.default_rng(self.random_state)
        return self._generator

    def _initialize(self, X_raw, X_input):
        """First fit: fit the normaliser, choose the map size and initialise the codebook.

        Returns the new state without touching ``self`` (committed after the first epoch).
        """
        feature_names = [str(c) for c in X_input.columns] if _is_dataframe(X_input) else None
        normalizer = get_normalizer(self.normalization).fit(X_raw, feature_names=feature_names)
        Xn = normalizer.transform(X_raw)
        if self.mapsize == "auto":
            rows, cols = estimate_mapsize(Xn, self.mapsize_scale, self.lattice)
        else:
            rows, cols = self._check_mapsize(self.mapsize)
        lattice = Lattice(rows, cols, self.lattice)
        if self.initialization == "pca":
            codebook = engine.pca_initialization(Xn, lattice)
        else:
            codebook = engine.random_initialization(Xn, lattice.n_nodes, self._rng())
        state = {
            "_normalizer": normalizer,
            "_codebook": codebook,
            "lattice_": lattice,
            "mapsize_": (rows, cols),
            "n_features_in_": X_raw.shape[1],
            "_center": Xn.mean(axis=0),
            "history_": {key: [] for key in HISTORY_KEYS},
            "_n_fit_calls": 0,
        }
        if feature_names is not None:
            state["feature_names_in_"] = np.array(feature_names, dtype=object)
        return state, Xn

    def _prepare(self, X):
        """Validate and normalise ``X``; on the first fit, build (uncommitted) initial state."""
        if self.is_fitted:
            return None, self._input(X, fitting=True)
        return self._initialize(self._input(X, fitting=True), X)

    def _commit(self, pending):
        if pending:
            for key, value in pending.items():
                setattr(self, key, value)

    # ----------------------------------------------------------------- fit
    def _default_radii(self, radiusin, radiusfin, lattice):
        longest = max(lattice.rows, lattice.cols)
        if radiusin is None:
            radiusin = max(1.0, longest / 4.0)
        if radiusfin is None:
            radiusfin = max(1.0, radiusin / 4.0) if radiusin > 1.0 else radiusin
        radiusin = _check_positive_float(radiusin, "radiusin")
        radiusfin = _check_positive_float(radiusfin, "radiusfin")
        if radiusfin > radiusin:
            raise ValueError(
                f"radiusfin ({radiusfin}) is larger than radiusin ({radiusin}); the neighbourhood "
                "must shrink (or stay constant) during a phase. Swap them or call fit again."
            )
        return radiusin, radiusfin

    def fit(
        self,
        X,
        epochs: int = 10,
        radiusin: float | None = None,
        radiusfin: float | None = None,
        decay: str = "linear",
        learning_rate: float = 1.0,
        subsample_ratio: float = 1.0,
        collect_history: bool = False,
        callbacks=None,
    ):
        """Batch training; calling it again continues from the current codebook.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_rows, n_features)
            Numeric, finite data.  Later calls must have the same columns.
        epochs : int, default 10
        radiusin, radiusfin : float, optional
            Neighbourhood radius (in lattice units) at the first and last
            epoch.  Defaults: a quarter of the longest side, then a quarter of
            that (at least 1).  ``radiusfin > radiusin`` is an error.
        decay : {"linear", "exponential"}
            How the radius moves from ``radiusin`` to ``radiusfin``.
        learning_rate : float in (0, 1], default 1
            ``w = (1 - lr) w_old + lr w_batch``.
        subsample_ratio : float in (0, 1], default 1
            Fraction of rows drawn (without replacement) for each epoch.
        collect_history : bool, default False
            Record the per-epoch metrics in ``history_`` (computed in the
            epoch's own pass, about +25% on the BMU search).
        callbacks : callable, object with ``on_epoch_end``, or a list of them
            Called after every epoch with an :class:`EpochInfo`; returning
            ``True`` stops training after that epoch.

        Returns
        -------
        self

        Raises
        ------
        InvalidValuesInDataSet
            Bad data (NaN/inf, wrong shape or columns, non-numeric, too few rows).
        UnknownOptionError
            Unknown ``decay``.
        ValueError
            Out-of-range numbers (epochs, radii, rates, ratios).
        """
        return self._fit_batch(
            X,
            epochs,
            lambda lattice: self._default_radii(radiusin, radiusfin, lattice),
            decay,
            learning_rate,
            subsample_ratio,
            collect_history,
            callbacks,
        )

    def _fit_batch(
        self, X, epochs, radii_for, decay, learning_rate, subsample_ratio, collect_history, callbacks
    ):
        """:meth:`fit` with the radii given as a function of the (possibly new) lattice."""
        epochs = _check_positive_int(epochs, "epochs")
        _check_option(decay, DECAYS, "decay")
        learning_rate = _check_unit_interval(learning_rate, "learning_rate")
        subsample_ratio = _check_unit_interval(subsample_ratio, "subsample_ratio")
        callbacks = _callback_list(callbacks)
        pending, Xn = self._prepare(X)
        lattice = pending["lattice_"] if pending else self.lattice_
        radiusin, radiusfin = radii_for(lattice)
        center = pending["_center"] if pending else self._center
        data = engine.TrainingData(Xn, center, self.dtype, self.distance_metric)
        operator = NeighborhoodOperator(lattice, self.neighborhood)
        radii = engine.schedule(radiusin, radiusfin, epochs, decay)
        with_metrics = bool(collect_history or callbacks)
        rng = self._rng()
        codebook = pending["_codebook"] if pending else self._codebook

        def run_epoch(epoch_index):
            nonlocal codebook
            epoch_data = data
            if subsample_ratio < 1.0:
                size = max(1, int(math.ceil(subsample_ratio * data.n_rows)))
                epoch_data = data.subset(np.sort(rng.choice(data.n_rows, size, replace=False)))
            stats, _ = engine.epoch_statistics(
                epoch_data, codebook, lattice, with_metrics=with_metrics, n_jobs=self.n_jobs
            )
            codebook = engine.batch_update(codebook, stats, operator, radii[epoch_index], learning_rate)
            return codebook, stats

        return self._train(
            "batch",
            epochs,
            radii,
            [learning_rate] * epochs,
            run_epoch,
            pending,
            data,
            with_metrics,
            callbacks,
        )

    def _train(self, kind, epochs, radii, rates, run_epoch, pending, data, with_metrics, callbacks):
        """Run epochs, committing state after each completed one."""
        start = time.perf_counter()
        committed_any = False
        phase = None
        try:
            for e in range(epochs):
                codebook, stats = run_epoch(e)
                # Commit point: everything below is cheap and cannot leave a half state.
                if pending is not None and not committed_any:
                    self._commit(pending)
                if phase is None:
                    self._n_fit_calls += 1
                    phase = f"{kind}-{self._n_fit_calls}"
                epoch_metrics = stats.metrics() if with_metrics else {k: math.nan for k in HISTORY_KEYS[4:]}
                self._codebook = codebook
                self._bmu = None
                self._final = None
                self._append_history(phase, radii[e], rates[e], epoch_metrics)
                committed_any = True
                info = EpochInfo(
                    epoch=len(self.history_["epoch"]),
                    phase=phase,
                    phase_epoch=e + 1,
                    n_epochs=epochs,
                    radius=float(radii[e]),
                    learning_rate=float(rates[e]),
                    metrics=epoch_metrics,
                    elapsed=time.perf_counter() - start,
                    model=self,
                )
                if any([bool(cb(info)) for cb in callbacks]):
                    break
        finally:
            if committed_any:
                self._finalize(data)
        return self

    def _append_history(self, phase, radius, rate, epoch_metrics):
        history = self.history_
        history["epoch"].append(len(history["epoch"]) + 1)
        history["phase"].append(phase)
        history["radius"].append(float(radius))
        history["learning_rate"].append(float(rate))
        for key in HISTORY_KEYS[4:]:
            history[key].append(float(epoch_metrics[key]))

    def _finalize(self, data):
        """BMUs and final metrics of the training data for the committed codebook."""
        stats, bmus = engine.epoch_statistics(
            data, self._codebook, self.lattice_, with_metrics=True, return_bmus=True, n_jobs=self.n_jobs
        )
        self._train_data = data.X
        self._bmu = bmus
        self._final = stats.metrics()

    def fit_online(
        self,
        X,
        epochs: int = 10,
        radiusin: float | None = None,
        radiusfin: float | None = None,
        learning_rate_init: float = 0.1,
        learning_rate_fin: float = 0.01,
        decay: str = "linear",
        collect_history: bool = False,
        callbacks=None,
        use_numba: bool | None = None,
    ):
        """Sequential (classic Kohonen) training, one row at a time.

        Each epoch visits the rows in a new random order; radius and learning
        rate move from their initial to their final values over all steps.
        Fast with the ``online`` extra (numba); without it the same update
        runs vectorised over nodes in numpy, about 10-50x slower.

        Parameters
        ----------
        X : array-like or DataFrame
        epochs : int, default 10
        radiusin, radiusfin : float, optional
            As in :meth:`fit`.
        learning_rate_init, learning_rate_fin : float in (0, 1]
        decay : {"linear", "exponential"}
        collect_history : bool
            Metrics are gathered while visiting the rows (against the evolving codebook).
        callbacks : see :meth:`fit`
        use_numba : bool or None
            None uses numba when installed; False forces the numpy path;
            True requires numba.

        Returns
        -------
        self
        """
        epochs = _check_positive_int(epochs, "epochs")
        _check_option(decay, DECAYS, "decay")
        rate_in = _check_unit_interval(learning_rate_init, "learning_rate_init")
        rate_fin = _check_unit_interval(learning_rate_fin, "learning_rate_fin")
        callbacks = _callback_list(callbacks)
        pending, Xn = self._prepare(X)
        lattice = pending["lattice_"] if pending else self.lattice_
        radiusin, radiusfin = self._default_radii(radiusin, radiusfin, lattice)
        center = pending["_center"] if pending else self._center
        n_rows = Xn.shape[0]
        steps = epochs * n_rows
        radii_steps = engine.schedule(radiusin, radiusfin, steps, decay)
        rate_steps = engine.schedule(rate_in, rate_fin, steps, decay)
        rng = self._rng()
        codebook = pending["_codebook"] if pending else self._codebook

        def run_epoch(e):
            nonlocal codebook
            work = codebook.copy()
            order = rng.permutation(n_rows)
            window = slice(e * n_rows, (e + 1) * n_rows)
            stats = engine.online_epoch(
                Xn,
                work,
                order,
                radii_steps[window],
                rate_steps[window],
                lattice,
                self.neighborhood,
                use_numba=use_numba,
            )
            codebook = work
            return work, stats

        epoch_radii = radii_steps[n_rows - 1 :: n_rows]
        epoch_rates = rate_steps[n_rows - 1 :: n_rows]
        data = engine.TrainingData(Xn, center, self.dtype, self.distance_metric)
        # Online statistics come free with the per-row search, so they are always recorded.
        return self._train(
            "online", epochs, epoch_radii, epoch_rates, run_epoch, pending, data, True, callbacks
        )

    #: Epochs of the two fit_auto phases, chosen by benchmarks/bench_fit_auto.py.
    AUTO_EPOCHS = (6, 12)

    def fit_auto(self, X, collect_history: bool = True, callbacks=None):
        """Two-phase batch training with defaults that need no tuning.

        A rough phase orders the map with a wide neighbourhood, then a fine
        phase with a shrinking one converges it.  The epoch counts
        (:attr:`AUTO_EPOCHS`) were chosen by measurement: QE and TE within a
        few percent of a 10x longer schedule.

        Returns
        -------
        self
        """
        rough, fine = self.AUTO_EPOCHS
        self._fit_batch(X, rough, self._auto_rough_radii, "linear", 1.0, 1.0, collect_history, callbacks)
        fine_in = max(1.0, min(self._auto_rough_radii(self.lattice_)[1], max(self.mapsize_) / 12.0))
        return self.fit(
            X,
            epochs=fine,
            radiusin=fine_in,
            radiusfin=1.0,
            decay="exponential",
            collect_history=collect_history,
            callbacks=callbacks,
        )

    @staticmethod
    def _auto_rough_radii(lattice):
        rough_in = max(1.0, max(lattice.rows, lattice.cols) / 3.0)
        return rough_in, max(1.0, rough_in / 4.0)

    # -------------------------------------------------------------- predict
    def transform(self, X) -> np.ndarray:
        """``X`` in the normalised space the map was trained in."""
        self._require_fitted("transform()")
        return self._input(X, fitting=False)

    def _data(self, X):
        Xn = self.transform(X)
        return engine.TrainingData(Xn, self._center, self.dtype, self.distance_metric)

    def predict(self, X) -> np.ndarray:
        """Best matching unit (node index, row-major) of each row of ``X``.

        Returns
        -------
        ndarray of int64, shape (n_rows,)
        """
        self._require_fitted("predict()")
        return self._find_bmus(self._data(X))

    def _find_bmus(self, data):
        return engine.find_bmus(data, self._codebook, n_jobs=self.n_jobs)

    # -------------------------------------------------------------- metrics
    def _stats_for(self, X):
        if X is None:
            if getattr(self, "_final", None) is None:
                raise ModelNotTrainedError(
                    "No training-data statistics are stored in this model; pass X explicitly."
                )
            return self._final
        stats, _ = engine.epoch_statistics(
            self._data(X), self._codebook, self.lattice_, with_metrics=True, n_jobs=self.n_jobs
        )
        return stats.metrics()

    def calculate_quantization_error(self, X=None) -> float:
        """Mean over rows of the per-feature mean absolute error to the BMU (normalised units).

        ``X`` defaults to the training data.
        """
        self._require_fitted("calculate_quantization_error()")
        return float(self._stats_for(X)["quantization_error"])

    def calculate_topographic_error(self, X=None) -> float:
        """Fraction of rows whose first and second BMU are not lattice neighbours."""
        self._require_fitted("calculate_topographic_error()")
        return float(self._stats_for(X)["topographic_error"])

    def calculate_vacancy_rate(self, X=None) -> float:
        """Fraction of nodes that are no row's BMU."""
        self._require_fitted("calculate_vacancy_rate()")
        return float(self._stats_for(X)["vacancy_rate"])

    def calculate_mean_bmu_distance(self, X=None) -> float:
        """Mean Euclidean distance to the BMU (normalised units)."""
        self._require_fitted("calculate_mean_bmu_distance()")
        if X is None:
            self._require_training_data()
            return metrics.mean_bmu_distance(self._train_data, self._codebook, self.bmu_)
        data = self._data(X)
        return metrics.mean_bmu_distance(data.X, self._codebook, self._find_bmus(data))

    def _require_training_data(self):
        if getattr(self, "_train_data", None) is None:
            raise ModelNotTrainedError("The training data are not kept in a loaded model; pass X explicitly.")

    def umatrix(self) -> np.ndarray:
        """U-matrix: mean distance from each prototype to its neighbours' (normalised units)."""
        self._require_fitted("umatrix()")
        return metrics.umatrix(self._codebook, self.lattice_)

    def node_hits(self, X=None) -> np.ndarray:
        """Rows mapped to each node (training data when ``X`` is None)."""
        self._require_fitted("node_hits()")
        bmu = self.bmu_ if X is None else self.predict(X)
        return metrics.hits(bmu, self.lattice_.n_nodes)

    def node_quantization_error(self, X=None) -> np.ndarray:
        """Per-node mean quantization error of its rows; NaN where a node has none."""
        self._require_fitted("node_quantization_error()")
        if X is None:
            self._require_training_data()
            return metrics.node_quantization_error(self._train_data, self._codebook, self.bmu_)
        data = self._data(X)
        return metrics.node_quantization_error(data.X, self._codebook, self._find_bmus(data))

    # ---------------------------------------------------------- persistence
    def save(self, path, format: str = "somnium"):
        """Save the model atomically (see :func:`somnium.persistence.save`)."""
        from .persistence import save

        save(self, path, format=format)

    @classmethod
    def load(cls, path, allow_pickle: bool = False) -> SOM:
        """Load a saved model (see :func:`somnium.persistence.load`)."""
        from .persistence import load

        return load(path, allow_pickle=allow_pickle)
