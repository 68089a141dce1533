"""The user-facing estimator: :class:`SOM`.

The estimator validates inputs, normalises them and drives the epochs of
:mod:`somnium.engine`.  What a fit learns is one :class:`~somnium._state.FittedState`,
swapped in with one assignment after every completed epoch, so an exception,
a ``KeyboardInterrupt`` or a callback's stop leaves the model exactly as it
was after its last completed epoch, and another thread reading the model
during a fit sees that epoch.
"""

from __future__ import annotations

import math
import threading
import warnings
from contextlib import contextmanager, nullcontext

import numpy as np

from . import _auto, _online, engine, metrics, persistence
from ._state import FittedState as _FittedState
from ._state import SeedCodebook, committed_state, initial_state, model_rng
from ._training import Training, node_statistics
from ._validation import (
    check_int,
    check_mapsize,
    check_option,
    check_real,
    column_names,
    is_dask_collection,
    is_dataframe,
    scipy_metric_names,
    validated_rows,
)
from .callbacks import EpochInfo, as_callbacks
from .engine import estimate_mapsize
from .exceptions import (
    FitInProgressError,
    InvalidValuesInDataSet,
    LatticeTypeNotFound,
    ModelFileError,
    ModelNotTrainedError,
    NormalizationFunctionNotFound,
)
from .lattice import LATTICES, Lattice
from .neighborhood import NeighborhoodOperator, check_neighborhood
from .normalization import NORMALIZATIONS, get_normalizer

__all__ = ["SOM", "EpochInfo", "estimate_mapsize"]

INITIALIZATIONS = ("pca", "random")
DECAYS = ("linear", "exponential")
DTYPES = ("float32", "float64")

_FIT_GUARD = threading.Lock()
#: SciPy metrics that estimate a variance or covariance from the rows of each call.
_DATA_DEPENDENT_METRICS = ("seuclidean", "mahalanobis")


def _data_argument(X, data, method: str):
    """``X``, or the seed's keyword name ``data=`` for it (not both; None is reported by validation)."""
    if data is not None:
        if X is not None:
            raise TypeError(f"{method}() got both X and data=; pass the data once.")
        return data
    return X


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
    n_jobs : int or None, default None
        None uses every core: a thread per core over row blocks when the data
        span several blocks, BLAS's own threads when they fit in one (small
        data, no thread set-up cost); ``k`` limits the BMU search to ``k``
        threads (-1 = all cores, 1 = one core).
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
        One entry per epoch across all fit calls: ``quantization_error``,
        ``topographic_error``, ``vacancy_rate``, ``mean_squared_distance``
        (the map at the end of that epoch; NaN when not collected), then
        ``epoch``, ``phase``, ``radius`` and ``learning_rate``.

    Notes
    -----
    One fit runs at a time per model: starting another (from another thread
    or from a callback) raises :class:`~somnium.exceptions.FitInProgressError`.
    While a fit runs in another thread, the fitted attributes show the last
    completed epoch.

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
        n_jobs=None,
        mapsize_scale=5,
        random_state=None,
        dtype="float32",
    ):
        self.mapsize = mapsize
        self.lattice = check_option(lattice, tuple(LATTICES), "lattice", LatticeTypeNotFound)
        self.neighborhood = check_neighborhood(neighborhood)
        self.normalization = check_option(
            normalization, NORMALIZATIONS, "normalization", NormalizationFunctionNotFound
        )
        self.initialization = check_option(initialization, INITIALIZATIONS, "initialization")
        if not callable(distance_metric):
            check_option(distance_metric, scipy_metric_names(), "distance_metric")
            if distance_metric in _DATA_DEPENDENT_METRICS:
                raise ValueError(
                    f"distance_metric={distance_metric!r} estimates its parameters from whichever rows are "
                    "searched together, so predict() would depend on the batch; normalise the data instead "
                    "(normalization='standard' makes 'euclidean' a standardised distance), or pass a callable "
                    "metric with fixed parameters."
                )
        self.distance_metric = distance_metric
        if n_jobs is not None:
            n_jobs = check_int(n_jobs, "n_jobs", minimum=None)
            if n_jobs == 0:
                raise ValueError("n_jobs must be None or a non-zero integer (-1 for all cores), got 0.")
        self.n_jobs = n_jobs
        self.mapsize_scale = check_real(mapsize_scale, "mapsize_scale", 0.0, exclusive_minimum=True)
        self.random_state = random_state
        self.dtype = check_option(dtype, DTYPES, "dtype")
        if mapsize != "auto":
            check_mapsize(mapsize)
        self._state = None
        self._fitting = False

    def get_params(self) -> dict:
        """The constructor's parameters (scikit-learn convention)."""
        return {
            "mapsize": self.mapsize,
            "lattice": self.lattice,
            "neighborhood": self.neighborhood,
            "normalization": self.normalization,
            "initialization": self.initialization,
            "distance_metric": self.distance_metric,
            "n_jobs": self.n_jobs,
            "mapsize_scale": self.mapsize_scale,
            "random_state": self.random_state,
            "dtype": self.dtype,
        }

    def __repr__(self) -> str:
        return (
            f"SOM(mapsize={self.mapsize!r}, lattice={self.lattice!r}, neighborhood={self.neighborhood!r}, "
            f"normalization={self.normalization!r}, initialization={self.initialization!r})"
        )

    def __setstate__(self, state):
        # Pickles from before the fitted state had one owner carry no _state; they are not supported.
        self.__dict__.update(state)
        self.__dict__.setdefault("_state", None)
        self._fitting = False

    # ------------------------------------------------------------ fitted state
    def __getattr__(self, name):
        # Only reached for missing attributes: fitted ones on an unfitted model get the same
        # actionable error as predict().  A property whose own error is an AttributeError (such as
        # ModelNotTrainedError from bmu_ after a Dask fit) also lands here: let it speak for itself.
        if isinstance(getattr(type(self), name, None), property) and self.__dict__.get("_state") is not None:
            return getattr(type(self), name).fget(self)
        if name.endswith("_") and not name.startswith("_") and name != "feature_names_in_":
            raise ModelNotTrainedError(self._not_fitted(f"reading {name}"))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def is_fitted(self) -> bool:
        """True once an epoch has completed."""
        return self.__dict__.get("_state") is not None

    def _not_fitted(self, what: str) -> str:
        try:
            committed_state(self, what)
        except ModelNotTrainedError as error:
            return str(error)
        return ""

    def _fitted(self, what: str) -> _FittedState:
        return committed_state(self, what)

    def _require_fitted(self, what="this"):
        self._fitted(what)

    @property
    def codebook_(self) -> np.ndarray:
        """Prototypes in the input's units, shape ``(n_nodes, n_features)``."""
        state = self._fitted("reading codebook_")
        return state.normalizer.inverse_transform(state.codebook)

    @property
    def normalized_codebook_(self) -> np.ndarray:
        """Prototypes in the normalised space the map was trained in."""
        return self._fitted("reading normalized_codebook_").codebook.copy()

    @property
    def bmu_(self) -> np.ndarray:
        """Best matching unit of each training row for the final codebook."""
        state = self._fitted("reading bmu_")
        if state.bmu is None:
            raise ModelNotTrainedError(
                "The training BMUs are not available for this model (a Dask fit does not keep them, and an "
                "interrupted fit may stop before they are known); use model.predict(X)."
            )
        return state.bmu

    @property
    def codebook(self) -> SeedCodebook:
        """The seed's read-only view of the codebook (``matrix``, ``n_rows``, ``n_columns``, ``nnodes``, ...).

        Kept for code written against the original Somnium; new code reads
        ``normalized_codebook_``, ``codebook_`` and ``lattice_``.
        """
        state = self._fitted("reading codebook")
        return SeedCodebook(state.codebook.copy(), state.lattice)

    @property
    def lattice_(self) -> Lattice:
        return self._fitted("reading lattice_").lattice

    @property
    def mapsize_(self) -> tuple[int, int]:
        return self._fitted("reading mapsize_").mapsize

    @property
    def n_features_in_(self) -> int:
        return self._fitted("reading n_features_in_").n_features

    @property
    def feature_names_in_(self) -> np.ndarray:
        state = self.__dict__.get("_state")
        if state is None or state.feature_names is None:
            raise AttributeError("feature_names_in_ is only set by a fit on a DataFrame.")
        return np.array(state.feature_names, dtype=object)

    @property
    def history_(self) -> dict:
        """Per-epoch records across all fit calls (a fresh dict of lists)."""
        return self._fitted("reading history_").history_dict()

    def feature_names(self) -> list[str]:
        """Feature names: the DataFrame's columns, or ``x0, x1, ...``."""
        state = self._fitted("feature_names()")
        if state.feature_names is not None:
            return list(state.feature_names)
        return [f"x{i}" for i in range(state.n_features)]

    # --------------------------------------------------------------- inputs
    def _input(self, X, state=None, fitting: bool = False) -> np.ndarray:
        """Validate ``X`` against the fitted columns and return float64 rows (normalised when fitted)."""
        if state is None:
            return validated_rows(X, min_rows=2 if fitting else 1)
        rows = validated_rows(X, state.feature_names, state.n_features, min_rows=2 if fitting else 1)
        return state.normalizer.transform(rows)

    def _rng(self) -> np.random.Generator:
        return model_rng(self)

    def _initial_state(self, X_input) -> tuple[_FittedState, np.ndarray]:
        """First fit: the normaliser, map size and initial codebook (uncommitted: no epoch yet)."""
        X_raw = self._input(X_input, fitting=True)
        feature_names = tuple(column_names(X_input.columns)) if is_dataframe(X_input) else None
        normalizer = get_normalizer(self.normalization).fit(X_raw, feature_names=feature_names)
        Xn = normalizer.transform(X_raw)
        mean = Xn.mean(axis=0)
        centred = Xn - mean
        covariance = centred.T @ centred / max(Xn.shape[0] - 1, 1)
        state = self._initial_state_from(
            normalizer, feature_names, Xn.shape[0], mean, covariance, Xn.min(axis=0), Xn.max(axis=0)
        )
        return state, Xn

    def _initial_state_from(self, normalizer, feature_names, n_rows, mean, covariance, low, high):
        return initial_state(
            mapsize=self.mapsize,
            lattice=self.lattice,
            initialization=self.initialization,
            mapsize_scale=self.mapsize_scale,
            rng=self._rng(),
            normalizer=normalizer,
            feature_names=feature_names,
            n_rows=n_rows,
            mean=mean,
            covariance=covariance,
            low=low,
            high=high,
        )

    def _prepare(self, X) -> tuple[_FittedState, engine.TrainingData]:
        """The state training starts from (committed, or a new uncommitted one) and the prepared rows."""
        state = self.__dict__.get("_state")
        if is_dask_collection(X):
            return _distributed().DaskData.prepare_fit(self, state, X)
        if state is None:
            state, Xn = self._initial_state(X)
        else:
            Xn = self._input(X, state, fitting=True)
            state.history.truncate(state.n_epochs)
        return state, engine.TrainingData(Xn, state.center, self.dtype, self.distance_metric)

    @contextmanager
    def _training(self):
        """One fit at a time per model."""
        with _FIT_GUARD:
            if self.__dict__.get("_fitting"):
                raise FitInProgressError(
                    "This SOM is already training (in another thread, or this call comes from one of its "
                    "callbacks); wait for that fit to end (or stop it) before starting another."
                )
            self._fitting = True
        try:
            yield
        finally:
            self._fitting = False

    # ----------------------------------------------------------------- fit
    def _default_radii(self, radiusin, radiusfin, lattice, decay="linear"):
        longest = max(lattice.rows, lattice.cols)
        if radiusin is None:
            radiusin = max(1.0, longest / 4.0)
        if radiusfin is None:
            radiusfin = max(1.0, radiusin / 4.0) if radiusin > 1.0 else radiusin
        radiusin = check_real(radiusin, "radiusin", 0.0, exclusive_minimum=True)
        # 0 is allowed at the end: a last phase without neighbourhood (each node moves to its rows' mean)
        radiusfin = check_real(radiusfin, "radiusfin", 0.0)
        if radiusfin > radiusin:
            raise ValueError(
                f"radiusfin ({radiusfin}) is larger than radiusin ({radiusin}); the neighbourhood "
                "must shrink (or stay constant) during a phase. Swap them or call fit again."
            )
        if radiusfin == 0 and decay == "exponential":
            raise ValueError("An exponential decay never reaches radiusfin=0; use decay='linear' for it.")
        return radiusin, radiusfin

    def fit(
        self,
        X=None,
        epochs: int = 10,
        radiusin: float | None = None,
        radiusfin: float | None = None,
        decay: str = "linear",
        learning_rate: float = 1.0,
        subsample_ratio: float = 1.0,
        collect_history: bool = False,
        callbacks=None,
        *,
        data=None,
    ):
        """Batch training; calling it again continues from the current codebook.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_rows, n_features)
            Numeric, finite data.  Later calls must have the same columns.
            ``data=`` is accepted as the seed's name for it.
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
            Record the per-epoch metrics in ``history_`` (measured by the next
            epoch's own pass, about +25% on the BMU search).
        callbacks : callable, Callback, or a list of them
            See :mod:`somnium.callbacks`; a callback returning ``True`` stops
            training after that epoch.

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
        FitInProgressError
            The model is already training.
        """
        X = _data_argument(X, data, "fit")
        self._fit_batch(
            X,
            epochs,
            (radiusin, radiusfin),
            decay,
            learning_rate,
            subsample_ratio,
            collect_history,
            callbacks,
        )
        return self

    def _fit_batch(
        self,
        X,
        epochs,
        radii,
        decay,
        learning_rate,
        subsample_ratio,
        collect_history,
        callbacks,
        run=None,
        guarded=False,
    ) -> bool:
        """:meth:`fit`; ``radii`` is a pair or a function of the lattice.  Returns True if stopped."""
        epochs = check_int(epochs, "epochs")
        check_option(decay, DECAYS, "decay")
        learning_rate = check_real(learning_rate, "learning_rate", 0.0, 1.0, exclusive_minimum=True)
        subsample_ratio = check_real(subsample_ratio, "subsample_ratio", 0.0, 1.0, exclusive_minimum=True)
        callbacks = as_callbacks(callbacks)
        if self.neighborhood == "mexican_hat":
            raise ValueError(
                "Batch training cannot use the 'mexican_hat' neighbourhood: its negative weights push "
                "prototypes out of the data and leave most nodes empty (measured: 88-94% empty). Train "
                "with fit_online(...) (sequential, where the Mexican hat is defined), or use 'gaussian'."
            )
        with nullcontext() if guarded else self._training():
            state, data = self._prepare(X)
            radiusin, radiusfin = radii(state.lattice) if callable(radii) else radii
            radiusin, radiusfin = self._default_radii(radiusin, radiusfin, state.lattice, decay)
            operator = NeighborhoodOperator(state.lattice, self.neighborhood)
            rng = self._rng()

            def epoch_rows():
                return data if subsample_ratio >= 1.0 else data.sample(subsample_ratio, rng)

            def update(codebook, stats, e):
                radius = float(engine.schedule(radiusin, radiusfin, epochs, decay, e, e + 1)[0])
                return engine.batch_update(codebook, stats, operator, radius, learning_rate), radius

            return Training(self, "batch", state, data, epochs, callbacks, collect_history, run).run_batch(
                epoch_rows, update, learning_rate
            )

    def fit_online(
        self,
        X=None,
        epochs: int = 10,
        radiusin: float | None = None,
        radiusfin: float | None = None,
        learning_rate_init: float = 0.1,
        learning_rate_fin: float = 0.01,
        decay: str = "linear",
        collect_history: bool = False,
        callbacks=None,
        use_numba: bool | None = None,
        *,
        data=None,
    ):
        """Sequential (classic Kohonen) training, one row at a time.

        Each epoch visits the rows in a new random order; radius and learning
        rate move from their initial to their final values over all steps.
        Fast with the ``online`` extra (numba); without it the same update
        runs vectorised over nodes in numpy, about 10-50x slower.

        Parameters
        ----------
        X : array-like or DataFrame (or ``data=``)
        epochs : int, default 10
        radiusin, radiusfin : float, optional
            As in :meth:`fit`.
        learning_rate_init, learning_rate_fin : float in (0, 1]
        decay : {"linear", "exponential"}
        collect_history : bool
            Measure the map at the end of every epoch (one batch pass each).
        callbacks : see :meth:`fit`
        use_numba : bool or None
            None uses numba when installed; False forces the numpy path;
            True requires numba.

        Returns
        -------
        self
        """
        X = _data_argument(X, data, "fit_online")
        if is_dask_collection(X):
            raise InvalidValuesInDataSet(
                "fit_online visits rows one at a time and needs in-memory data; train Dask input with fit() "
                "or fit_auto() (batch training distributes over partitions)."
            )
        epochs = check_int(epochs, "epochs")
        check_option(decay, DECAYS, "decay")
        rate_in = check_real(learning_rate_init, "learning_rate_init", 0.0, 1.0, exclusive_minimum=True)
        rate_fin = check_real(learning_rate_fin, "learning_rate_fin", 0.0, 1.0, exclusive_minimum=True)
        callbacks = as_callbacks(callbacks)
        if self.neighborhood == "mexican_hat":
            warnings.warn(
                "The 'mexican_hat' neighbourhood pushes prototypes away from the winner's surroundings; on "
                "real data it often leaves most nodes empty (check calculate_vacancy_rate()). 'gaussian' is "
                "the robust choice.",
                UserWarning,
                stacklevel=2,
            )
        with self._training():
            state, data = self._prepare(X)
            radiusin, radiusfin = self._default_radii(radiusin, radiusfin, state.lattice, decay)
            n_rows = data.n_rows
            steps = epochs * n_rows
            rng = self._rng()

            def run_epoch(codebook, e):
                work = codebook.copy()
                window = (e * n_rows, (e + 1) * n_rows)
                radii = engine.schedule(radiusin, radiusfin, steps, decay, *window)
                rates = engine.schedule(rate_in, rate_fin, steps, decay, *window)
                _online.online_epoch(
                    data.X,
                    work,
                    rng.permutation(n_rows),
                    radii,
                    rates,
                    state.lattice,
                    self.neighborhood,
                    use_numba=use_numba,
                )
                return work, float(radii[-1]), float(rates[-1])

            Training(self, "online", state, data, epochs, callbacks, collect_history).run_online(run_epoch)
        return self

    def fit_auto(
        self,
        X=None,
        collect_history: bool = True,
        callbacks=None,
        rough_epochs: int | None = None,
        fine_epochs: int | None = None,
        *,
        emphasis: str = "topology",
        data=None,
    ):
        """Batch training with a schedule chosen from the map and the data; no tuning needed.

        Two schedules, both a rough phase that orders the map, a fine phase
        that shrinks the neighbourhood, and a last phase at a fixed radius
        that runs until the quantization error stops improving:

        - ``emphasis="topology"`` (default): the Gaussian radius ends at 1,
          like the original project's ``fit_auto`` (400 + 400 epochs) and
          with the same map quality -- QE within 1% of its QE, topographic
          error (TE) within 0.01 of its TE on the benchmark data sets -- in
          about 60 epochs on small data, fewer above 10,000 rows (down to
          about 12 on a million).  Neighbouring nodes stay similar, so
          component planes and contiguous segments read well.
        - ``emphasis="quantization"``: the radius goes on to 0.5 (1 for the
          kernels that vanish beyond their radius), stopped early by a guard
          when the TE starts to climb (the map folds).  About 10-25% lower
          QE, at a TE 2-6 times higher.

        The rules live in :mod:`somnium._auto` with the measurements that
        chose them (``benchmarks/bench_quality.py``; README, "Map quality
        against other libraries").  A callback that returns True stops the
        whole run.

        Parameters
        ----------
        X : array-like or DataFrame (or ``data=``)
        collect_history : bool, default True
        callbacks : see :meth:`fit`
        rough_epochs, fine_epochs : int, optional
            Fix the epochs of each phase (the seed's parameters).  With
            ``fine_epochs`` the fine phase runs whole to its final radius
            and no converge phase follows, so the run has exactly
            ``rough_epochs + fine_epochs`` epochs.
        emphasis : {"topology", "quantization"}, default "topology"
            Which error the schedule favours (see above).

        Returns
        -------
        self
        """
        X = _data_argument(X, data, "fit_auto")
        if rough_epochs is not None:
            rough_epochs = check_int(rough_epochs, "rough_epochs")
        if fine_epochs is not None:
            fine_epochs = check_int(fine_epochs, "fine_epochs")
        auto = _auto.AutoRun(as_callbacks(callbacks), rough_epochs, fine_epochs, emphasis=emphasis)
        with self._training():  # one guard over every phase: no other fit can slip in between

            def phase(epochs, radii, decay):
                self._fit_batch(
                    X, epochs, radii, decay, 1.0, 1.0, collect_history, [auto], run=auto.run(), guarded=True
                )

            # the rough phase prepares the map (its size may be "auto"); the rest of the plan follows from it
            phase(auto.rough_epochs, auto.rough_radii, "linear")
            auto.plan(self.lattice_, self._state.codebook.shape[1], self.neighborhood)
            while (step := auto.next_phase()) is not None:
                phase(step.epochs, (step.radiusin, step.radiusfin), step.decay)
        return self

    # -------------------------------------------------------------- predict
    def normalize(self, X) -> np.ndarray:
        """``X`` in the normalised space the map was trained in (the space of ``normalized_codebook_``)."""
        state = self._fitted("normalize()")
        if is_dask_collection(X):
            return _distributed().DaskData.prepare(self, state, X).normalized()
        return self._input(X, state)

    def transform(self, X) -> np.ndarray:
        """Deprecated alias of :meth:`normalize` (it does not project onto the map; see :meth:`predict`)."""
        warnings.warn(
            "SOM.transform() returns normalised input, not a map projection; call SOM.normalize() instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.normalize(X)

    def _data(self, X, state):
        """Rows prepared for passes: in memory, or a Dask collection (see :mod:`somnium.distributed`)."""
        if is_dask_collection(X):
            return _distributed().DaskData.prepare(self, state, X)
        return engine.TrainingData(self._input(X, state), state.center, self.dtype, self.distance_metric)

    def predict(self, X=None, *, x=None) -> np.ndarray:
        """Best matching unit (node index, row-major) of each row of ``X`` (``x=`` is the seed's name).

        Returns
        -------
        ndarray of int64, shape (n_rows,)
        """
        X = _data_argument(X, x, "predict")
        state = self._fitted("predict()")
        return self._data(X, state).bmus(state.codebook, n_jobs=self.n_jobs)

    # -------------------------------------------------------------- metrics
    def _statistics(self, X, what: str):
        """Metrics and per-node statistics of ``X`` (the training data's, as stored, when None)."""
        state = self._fitted(what)
        if X is None:
            if state.nodes is None:
                raise ModelNotTrainedError(
                    "No training-data statistics are stored in this model (the fit was interrupted before "
                    "they were measured); pass X explicitly."
                )
            return state.nodes
        stats, _ = self._data(X, state).statistics(
            state.codebook, state.lattice, with_metrics=True, n_jobs=self.n_jobs
        )
        return node_statistics(stats)

    def calculate_quantization_error(self, X=None) -> float:
        """Mean over rows of the per-feature mean absolute error to the BMU (normalised units).

        ``X`` defaults to the training data.
        """
        return float(self._statistics(X, "calculate_quantization_error()").metrics["quantization_error"])

    def calculate_topographic_error(self, X=None) -> float:
        """Fraction of rows whose first and second BMU are not lattice neighbours."""
        return float(self._statistics(X, "calculate_topographic_error()").metrics["topographic_error"])

    def calculate_vacancy_rate(self, X=None) -> float:
        """Fraction of nodes that are no row's BMU."""
        return float(self._statistics(X, "calculate_vacancy_rate()").metrics["vacancy_rate"])

    def calculate_mean_bmu_distance(self, X=None) -> float:
        """Mean Euclidean distance to the BMU (normalised units)."""
        return float(self._statistics(X, "calculate_mean_bmu_distance()").metrics["mean_bmu_distance"])

    def quality_report(self, X, k: int = 10, max_rows: int = 2000, random_state=0) -> dict:
        """Every quality measure of the map on ``X`` (normally the training data), in one dict.

        Parameters
        ----------
        X : array-like or DataFrame
        k : int, default 10
            Neighbourhood size of trustworthiness, continuity and neighbourhood preservation.
        max_rows : int, default 2000
            Above this many rows the rank measures use a seeded sample of ``max_rows`` rows (their
            ``*_stderr`` entries give the sampling error); the other measures use every row.

        Returns
        -------
        dict
            ``quantization_error``, ``topographic_error``, ``vacancy_rate``, ``mean_squared_distance``,
            ``mean_bmu_distance``, ``trustworthiness``, ``continuity``, ``neighborhood_preservation``
            (+ ``*_stderr``, ``k``, ``rows``), ``topographic_product`` (+ ``_p1``, ``_p2``; NaN above
            3000 nodes) and ``distortion`` (the SOM energy at the last training radius).
            ``pandas.Series(report)`` shows it as a table.
        """
        state = self._fitted("quality_report()")
        data = self._data(X, state)
        stats, bmus = data.statistics(
            state.codebook, state.lattice, with_metrics=True, return_bmus=True, n_jobs=self.n_jobs
        )
        report = dict(stats.metrics())
        report.update(
            metrics.neighborhood_ranks(data.X, bmus, state.lattice, k, max_rows, random_state=random_state)
        )
        try:
            report.update(metrics.topographic_product(state.codebook, state.lattice))
        except ValueError:
            report.update(
                dict.fromkeys(
                    ("topographic_product", "topographic_product_p1", "topographic_product_p2"), math.nan
                )
            )
        radii = state.history.view(state.n_epochs)["radius"]
        radius = radii[-1] if radii else 1.0
        report["distortion"] = metrics.distortion(
            data.X, state.codebook, bmus, state.lattice, self.neighborhood, radius
        )
        return report

    def umatrix(self) -> np.ndarray:
        """U-matrix: mean distance from each prototype to its neighbours' (normalised units)."""
        state = self._fitted("umatrix()")
        return metrics.umatrix(state.codebook, state.lattice)

    def node_hits(self, X=None) -> np.ndarray:
        """Rows mapped to each node (training data when ``X`` is None), int64."""
        return self._statistics(X, "node_hits()").hits.astype(np.int64)

    def node_quantization_error(self, X=None) -> np.ndarray:
        """Per-node mean quantization error of its rows; NaN where a node has none."""
        return self._statistics(X, "node_quantization_error()").quantization_error()

    # ---------------------------------------------------------- persistence
    def save(self, path, format: str = "somnium", *, segments=None):
        """Save the model atomically (see :mod:`somnium.persistence`).

        Parameters
        ----------
        path : str or Path
        format : {"somnium", "pickle"}
            ``"pickle"`` is for trusted round trips only; it loads only with
            ``SOM.load(path, allow_pickle=True)``.
        segments : somnium.segments.Segments, optional
            Named segments saved in the same file; read them back with
            ``Segments.load(model, path)``.
        """
        state = self._fitted("save()")
        if format == "pickle":
            persistence.write_pickle(path, self)
            return
        attachments = {"segments": segments.to_json()} if segments is not None else None
        persistence.write_model(path, self.get_params(), state, format=format, attachments=attachments)

    @classmethod
    def load(cls, path, allow_pickle: bool = False) -> SOM:
        """Load a saved model; never executes code from the file unless ``allow_pickle=True``."""
        loaded = persistence.read_model(path, allow_pickle=allow_pickle)
        if isinstance(loaded, SOM):
            return loaded
        params, state = loaded
        try:
            model = cls(**params)
        except (ValueError, TypeError) as error:
            raise ModelFileError(f"{path} holds invalid model parameters: {error}") from None
        model._state = state
        return model


def _distributed():
    """The Dask adapter, imported only when Dask input arrives (importing somnium never imports dask)."""
    from . import distributed

    return distributed
