"""The user-facing estimator: :class:`SOM`, its parameters and public API.

A fit prepares the rows and hands them with a schedule to :mod:`somnium._training`, which commits one
:class:`~somnium._state.FittedState` per completed epoch in a single assignment: an exception, a
``KeyboardInterrupt`` or a callback's stop leaves the model as it was after its last completed epoch.
"""

from __future__ import annotations

import numpy as np

from . import _auto, _encoding, _params, _training, anomaly, metrics, persistence
from ._state import SeedCodebook, committed_state, model_rng
from ._training import BatchSchedule, OnePhase, OnlineSchedule, Training
from ._validation import is_dask_collection
from .callbacks import EpochInfo, as_callbacks
from .engine import estimate_mapsize
from .exceptions import InvalidValuesInDataSet, ModelNotTrainedError, warn
from .lattice import Lattice

__all__ = ["SOM", "EpochInfo", "estimate_mapsize"]


class SOM:
    """Self-Organising Map (Kohonen map) estimator.

    The positional order is the original Somnium's; the parameters after ``mapsize_scale`` are keyword-only.

    Parameters
    ----------
    neighborhood : str, default "gaussian"
        ``"gaussian"``, ``"bubble"``, ``"cut_gaussian"``, ``"mexican_hat"`` or ``"epanechicov"`` (the
        seed's spelling; ``"epanechnikov"`` is accepted too); see :func:`somnium.neighborhood.kernel`.
    normalization : str, default "standard"
        ``"standard"``, ``"minmax"``, ``"log"``, ``"logistic"``, ``"boxcox"`` or ``"none"``; fitted on the
        first training data and reused afterwards.
    mapsize : "auto" or (rows, cols), default "auto"
        ``"auto"`` picks about ``mapsize_scale * sqrt(N)`` nodes shaped by the data's principal plane
        (:func:`estimate_mapsize`).
    lattice : str, default "hexa"
        ``"hexa"``, ``"rect"``, ``"toroidal_hexa"``, ``"toroidal_rect"``, ``"cylindrical_hexa"`` or
        ``"cylindrical_rect"``.
    distance_metric : str or callable, default "euclidean"
        Any SciPy ``cdist`` metric for the BMU search; ``"euclidean"`` and ``"sqeuclidean"`` use the fast
        GEMM path.
    n_jobs : int or None, default None
        None uses every core: a thread per core over row blocks when the data span several blocks,
        BLAS's own threads when they fit in one (small data, no thread set-up cost); ``k`` limits the BMU
        search to ``k`` threads (-1 = all cores, 1 = one core).
    initialization : {"pca", "random"}, default "pca"
    mapsize_scale : float, default 5
    random_state : int, numpy Generator or None, keyword-only
        Seed for initialisation, subsampling and online ordering.
    dtype : {"float32", "float64"}, default "float32", keyword-only
        Precision of the distance computation (statistics are always float64).
    missing : {"error", "ignore"}, default "error", keyword-only
        ``"ignore"`` trains on missing cells (NaN, pandas NA): each row's BMU over its observed
        features, prototypes as means of the observed values (see README, "Real tables").
    categorical : {"error", "onehot"}, default "error", keyword-only
        ``"onehot"``: a DataFrame's category, string and boolean columns become blocks of one-hot
        columns (``"column=value"``) that weigh as much as one standardised numeric column.
    feature_weights : None, dict or array-like, keyword-only
        Non-negative distance weight per column (by name, others 1); 0 carries a column on the map
        without letting it decide a BMU (its prototypes still learn it: :meth:`impute` predicts it).

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
        One entry per epoch across all fit calls: ``quantization_error``, ``topographic_error``,
        ``vacancy_rate``, ``mean_squared_distance`` (the map at the end of that epoch; NaN when not
        collected), then ``epoch``, ``phase``, ``radius`` and ``learning_rate``.

    Notes
    -----
    One fit runs at a time per model (else :class:`~somnium.exceptions.FitInProgressError`); during a
    fit, other threads see the last completed epoch.  Before a fit, fitted attributes raise
    :class:`~somnium.exceptions.ModelNotTrainedError`.  A scikit-learn estimator too (``clone``,
    ``Pipeline``, ``GridSearchCV``, ``cross_val_score``), except that ``fit`` again continues training
    the same map (the seed's rough and fine phases; see :meth:`set_params`).

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
        neighborhood="gaussian",
        normalization="standard",
        mapsize="auto",
        lattice="hexa",
        distance_metric="euclidean",
        n_jobs=None,
        initialization="pca",
        mapsize_scale=5,
        *,
        random_state=None,
        dtype="float32",
        missing="error",
        categorical="error",
        feature_weights=None,
    ):
        self.neighborhood = neighborhood
        self.normalization = normalization
        self.mapsize = mapsize
        self.lattice = lattice
        self.distance_metric = distance_metric
        self.n_jobs = n_jobs
        self.initialization = initialization
        self.mapsize_scale = mapsize_scale
        self.random_state = random_state
        self.dtype = dtype
        self.missing = missing
        self.categorical = categorical
        self.feature_weights = feature_weights
        # The seed refused bad names at once; the objects are kept as given (clone compares them by identity).
        _params.check_params(self.get_params())
        self._state = None
        self._fitting = False

    # ------------------------------------------------------------ parameters
    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters, as given (scikit-learn convention; ``deep`` changes nothing)."""
        return {name: getattr(self, name) for name in _params.PARAMS}

    def set_params(self, **params) -> SOM:
        """Set constructor parameters (scikit-learn convention); returns self.

        Unknown names raise ``ValueError``.  On a trained model, a new ``mapsize``, ``lattice``,
        ``normalization``, ``initialization`` or ``mapsize_scale`` discards the training: the next fit
        starts a new map (the other parameters apply to the next fit of the same map).
        """
        restart = _params.new_params(self.get_params(), params, self)
        for key, value in params.items():
            setattr(self, key, value)
        if "random_state" in params:
            self.__dict__.pop("_generator", None)  # the next draw starts from the new seed
        if restart:
            self._state = None
        return self

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

    # ------------------------------------------------------- scikit-learn
    def __sklearn_is_fitted__(self) -> bool:
        return self.is_fitted

    def __sklearn_tags__(self):
        """scikit-learn's tags (see :func:`somnium._params.sklearn_tags`)."""
        return _params.sklearn_tags(self.missing)

    def score(self, X, y=None) -> float:
        """``score_samples(X).mean()``: higher is better, for comparing schedules on held-out rows
        (``GridSearchCV``); a bigger map always scores better, so compare maps of one size.  ``y`` is ignored."""
        return -self.calculate_mean_bmu_distance(X)

    def fit_predict(self, X, y=None):
        """:meth:`fit` (its defaults), then the BMU of every row of ``X``; ``y`` is ignored."""
        self.fit(X, y=y)
        state = committed_state(self, "fit_predict()")
        return state.bmu.copy() if state.bmu is not None else self.predict(X)

    # ------------------------------------------------------------ fitted state
    @property
    def is_fitted(self) -> bool:
        """True once an epoch has completed."""
        return self.__dict__.get("_state") is not None

    @property
    def codebook_(self) -> np.ndarray:
        """Prototypes in the input's units, shape ``(n_nodes, n_features)``."""
        state = committed_state(self, "reading codebook_")
        return _encoding.input_units(state, state.codebook)

    @property
    def normalized_codebook_(self) -> np.ndarray:
        """Prototypes in the normalised space the map was trained in."""
        return committed_state(self, "reading normalized_codebook_").codebook.copy()

    @property
    def bmu_(self) -> np.ndarray:
        """Best matching unit of each training row for the final codebook."""
        state = committed_state(self, "reading bmu_")
        if state.bmu is None:
            raise ModelNotTrainedError(
                "The training BMUs are not available for this model (a Dask fit does not keep them, and an "
                "interrupted fit may stop before they are known); use model.predict(X)."
            )
        return state.bmu

    @property
    def codebook(self) -> SeedCodebook:
        """The original's read-only codebook view (``matrix``, ``n_rows``, ``n_columns``, ``nnodes``, ...)."""
        state = committed_state(self, "reading codebook")
        return SeedCodebook(state.codebook.copy(), state.lattice)

    @property
    def lattice_(self) -> Lattice:
        return committed_state(self, "reading lattice_").lattice

    @property
    def mapsize_(self) -> tuple[int, int]:
        return committed_state(self, "reading mapsize_").mapsize

    @property
    def n_features_in_(self) -> int:
        return len(_encoding.table_columns(committed_state(self, "reading n_features_in_")))

    @property
    def feature_names_in_(self) -> np.ndarray:
        state = self.__dict__.get("_state")
        if state is None or state.feature_names is None:
            raise AttributeError("feature_names_in_ is only set by a fit on a DataFrame.")
        return np.array(state.feature_names, dtype=object)

    @property
    def history_(self) -> dict:
        """Per-epoch records across all fit calls (a fresh dict of lists)."""
        return committed_state(self, "reading history_").history_dict()

    def feature_names(self) -> list[str]:
        """The codebook's column names: the DataFrame's columns (``"column=value"`` per category), or ``x0, ...``."""
        return _encoding.encoded_names(committed_state(self, "feature_names()"))

    # --------------------------------------------------------------- inputs
    def _input(self, X, state, fitting: bool = False) -> np.ndarray:
        """``X`` checked against the fitted columns, normalised, float64 or float32 as given (NaN: a missing cell)."""
        return _encoding.normalized_rows(state, X, self.missing, min_rows=2 if fitting else 1)

    def _prepare(self, X, params):
        """The state training starts from (committed, or a new uncommitted one) and the prepared rows."""
        state = self.__dict__.get("_state")
        if is_dask_collection(X):
            return _distributed().prepare_fit(self, state, X)
        if state is None:
            state, Xn = _training.first_state(X, params, model_rng(self))
        else:
            Xn = self._input(X, state, fitting=True)
            state.history.truncate(state.n_epochs)
        return state, _training.training_data(state, Xn, params)

    def _run(self, X, phases, collect_history, callbacks, params):
        """Train on ``X`` through ``phases`` (see :mod:`somnium._training`)."""
        callbacks = as_callbacks(callbacks)
        with _training.exclusive(self):
            state, data = self._prepare(X, params)
            Training(self, state, data, callbacks, collect_history, params).run(phases)

    # ----------------------------------------------------------------- fit
    def fit(
        self,
        X=None,
        epochs: int | None = None,
        radiusin: float | None = None,
        radiusfin: float | None = None,
        decay: str = "linear",
        learning_rate: float = 1.0,
        subsample_ratio: float = 1.0,
        collect_history: bool = False,
        callbacks=None,
        *,
        y=None,
        data=None,
    ):
        """Batch training; calling it again continues from the current codebook.

        The positional order is the original Somnium's ``fit(data, epochs, radiusin, radiusfin, ...)``.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_rows, n_features)
            Numeric, finite data (or ``data=``, the seed's name).  Later calls must have the same columns.
        epochs : int, default 10
            None means 10.  scikit-learn calls ``fit(X, y)``: an array-like with one value per row in
            this place is taken as its ``y`` and ignored (a SOM is unsupervised), as is ``y=``.
        radiusin, radiusfin : float, optional
            Neighbourhood radius (in lattice units) at the first and last epoch.  Defaults: a quarter of
            the longest side, then a quarter of that (at least 1).  ``radiusfin > radiusin`` is an error.
        decay : {"linear", "exponential"}
            How the radius moves from ``radiusin`` to ``radiusfin``.
        learning_rate : float in (0, 1], default 1
            ``w = (1 - lr) w_old + lr w_batch``.
        subsample_ratio : float in (0, 1], default 1
            Fraction of rows drawn (without replacement) for each epoch.
        collect_history : bool, default False
            Record the per-epoch metrics in ``history_`` (measured by the next epoch's own pass, about
            +25% on the BMU search).
        callbacks : callable, Callback, or a list of them
            See :mod:`somnium.callbacks`; a callback returning ``True`` stops training after that epoch.

        Returns
        -------
        self

        Raises
        ------
        InvalidValuesInDataSet, UnknownOptionError, ValueError, FitInProgressError
            Bad data (NaN/inf, wrong shape or columns, non-numeric, too few rows); an unknown ``decay``;
            out-of-range numbers (epochs, radii, rates, ratios); the model is already training.
        """
        X = _params.data_argument(X, data, "fit")
        schedule = BatchSchedule(
            _params.epochs_or_y(epochs, y, X), radiusin, radiusfin, decay, learning_rate, subsample_ratio
        )
        self._run(X, OnePhase(schedule), collect_history, callbacks, _params.batch_params(self.get_params()))
        return self

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

        Each epoch visits the rows in a new random order; radius and learning rate move from their
        initial to their final values over all steps.  Fast with the ``online`` extra (numba); without
        it the same update runs vectorised over nodes in numpy, about 10-50x slower.

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
            None uses numba when installed; False forces the numpy path; True requires numba.

        Returns
        -------
        self
        """
        X = _params.data_argument(X, data, "fit_online")
        if is_dask_collection(X):
            raise InvalidValuesInDataSet(
                "fit_online visits rows one at a time and needs in-memory data; train Dask input with fit() "
                "or fit_auto() (batch training distributes over partitions)."
            )
        schedule = OnlineSchedule(
            epochs, radiusin, radiusfin, learning_rate_init, learning_rate_fin, decay, use_numba
        )
        self._run(X, OnePhase(schedule), collect_history, callbacks, _params.online_params(self.get_params()))
        return self

    def fit_auto(
        self,
        X=None,
        rough_epochs: int | None = None,
        fine_epochs: int | None = None,
        *,
        collect_history: bool = True,
        callbacks=None,
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
        - ``emphasis="quantization"``: the radius goes on to 0.4 (1 for the
          kernels that vanish beyond their radius), with a guard that stops
          it if the TE shoots up.  About 20-37% lower QE -- below every
          benchmarked peer's -- at a TE 5-30 times higher (the map folds).

        The rules live in :mod:`somnium._auto` with the measurements that
        chose them (``benchmarks/bench_quality.py``; README, "Map quality
        against other libraries").  A callback that returns True stops the
        whole run.

        Parameters
        ----------
        X : array-like or DataFrame (or ``data=``)
        rough_epochs, fine_epochs : int, optional
            Fix the epochs of each phase (the original's positional parameters: ``fit_auto(X, 30, 30)``).
            With ``fine_epochs`` the fine phase runs whole to its final radius and no converge phase
            follows, so the run has exactly ``rough_epochs + fine_epochs`` epochs.
        collect_history : bool, default True, keyword-only
        callbacks : see :meth:`fit`, keyword-only
        emphasis : {"topology", "quantization"}, default "topology", keyword-only
            Which error the schedule favours when the two disagree (see above).

        Returns
        -------
        self
        """
        X = _params.data_argument(X, data, "fit_auto")
        params = _params.batch_params(self.get_params())
        run = _auto.AutoRun(rough_epochs, fine_epochs, neighborhood=params["neighborhood"], emphasis=emphasis)
        self._run(X, run, collect_history, callbacks, params)
        return self

    # -------------------------------------------------------------- predict
    def normalize(self, X) -> np.ndarray:
        """``X`` in the normalised space the map was trained in (the space of ``normalized_codebook_``):
        float64, or float32 for a float32 array (as scikit-learn's scalers keep it)."""
        state = committed_state(self, "normalize()")
        if is_dask_collection(X):
            return _distributed().prepare(self, state, X).normalized()
        return self._input(X, state)

    def transform(self, X) -> np.ndarray:
        """Deprecated alias of :meth:`normalize` (it does not project onto the map; see :meth:`predict`)."""
        warn(
            "SOM.transform() returns normalised input, not a map projection; call SOM.normalize() instead.",
            DeprecationWarning,
        )
        return self.normalize(X)

    def _data(self, X, state):
        """Rows prepared for passes: in memory, or a Dask collection (see :mod:`somnium.dask`)."""
        if is_dask_collection(X):
            return _distributed().prepare(self, state, X)
        return _training.training_data(state, self._input(X, state), _params.check_params(self.get_params()))

    def predict(self, X=None, *, x=None) -> np.ndarray:
        """Best matching unit (node index, row-major, int64) of each row of ``X`` (or ``x=``, the seed's name)."""
        X = _params.data_argument(X, x, "predict")
        state = committed_state(self, "predict()")
        return self._data(X, state).bmus(state.codebook, n_jobs=self.n_jobs)

    def impute(self, X):
        """``X`` with its missing cells filled from each row's BMU prototype (found on its observed cells).

        Numeric cells get the prototype's value in the column's units, categorical cells its most likely
        category.  Returns the same type (a DataFrame keeps its index, columns, order and dtypes; an
        array-like becomes an ndarray); observed cells are unchanged, bit for bit.  Missing cells are
        looked for whatever ``missing`` says; a row without an observed value is refused.  With a
        weight-0 column, this predicts that column for new rows (a surrogate model, kohonen's ``xyf``).
        """
        state, params = committed_state(self, "impute()"), _params.check_params(self.get_params())
        return _encoding.impute(self, state, X, lambda Xn: _training.training_data(state, Xn, params, True))

    # -------------------------------------------------------------- metrics
    def _statistics(self, X, what: str):
        """Metrics and per-node statistics of ``X`` (the training data's, as stored, when None)."""
        state = committed_state(self, what)
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
        return _training.node_statistics(stats)

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
            (+ ``*_stderr``, ``k``, ``rows``), ``topographic_product`` (+ ``_p1``, ``_p2``; NaN above 3000
            nodes), ``distortion`` (the SOM energy at the last radius); ``pandas.Series(report)`` for a table.
        """
        state = committed_state(self, "quality_report()")
        data = self._data(X, state)
        stats, bmus = data.statistics(
            state.codebook, state.lattice, with_metrics=True, return_bmus=True, n_jobs=self.n_jobs
        )
        radii = state.history.view(state.n_epochs)["radius"]
        return metrics.quality_report(
            stats.metrics(), data.X, bmus, state.codebook, state.lattice, self.neighborhood,
            radii[-1] if radii else 1.0, k, max_rows, random_state, data.weights, data.count_weights,
        )  # fmt: skip

    def umatrix(self) -> np.ndarray:
        """U-matrix: mean distance from each prototype to its neighbours' (normalised units)."""
        state = committed_state(self, "umatrix()")
        weights, _ = _encoding.distance_weights(
            state, _params.check_params(self.get_params())["feature_weights"]
        )
        return metrics.umatrix(state.codebook, state.lattice, weights)

    def node_hits(self, X=None) -> np.ndarray:
        """Rows mapped to each node (training data when ``X`` is None), int64."""
        return self._statistics(X, "node_hits()").hits.astype(np.int64)

    def node_quantization_error(self, X=None) -> np.ndarray:
        """Per-node mean quantization error of its rows; NaN where a node has none."""
        return self._statistics(X, "node_quantization_error()").quantization_error()

    # ------------------------------------------------------- anomalies and drift: somnium.anomaly
    def bmu_distance(self, X, relative: bool = False):
        """Each row's distance to its BMU (normalised units; ``relative``: over its node's scale)."""
        return anomaly.bmu_distance(self, self._data, X, relative)

    def score_samples(self, X, relative: bool = False):
        """``-bmu_distance(X, relative)``: scikit-learn's outlier score (lower is more abnormal)."""
        return -self.bmu_distance(X, relative)

    def anomaly_threshold(self, q: float = 0.99, relative: bool = False, X=None) -> float:
        """The training rows' BMU distance at quantile ``q`` (of the rows ``X`` instead, when given)."""
        return anomaly.threshold(self, self._data, q, relative, X)

    def is_anomaly(self, X, q: float = 0.99, relative: bool = False):
        """Boolean mask: ``bmu_distance(X, relative) > anomaly_threshold(q, relative)``."""
        return self.anomaly_threshold(q, relative) < self.bmu_distance(X, relative)

    def drift(self, X_new, reference=None):
        """Where ``X_new`` lands against the training rows (or ``reference``): :class:`~somnium.anomaly.Drift`."""
        return anomaly.drift(self, self._data, X_new, reference)

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
            Named segments saved in the same file; read them back with ``Segments.load(model, path)``.
            Without it, the segments of the file the model was loaded from (or last saved to) are kept.
        """
        persistence.save_model(self, path, format, segments=segments)

    @classmethod
    def load(cls, path, allow_pickle: bool = False) -> SOM:
        """Load a saved model; never executes code from the file unless ``allow_pickle=True``.

        A model saved by the original Somnium (a pickle) is converted when ``allow_pickle=True``.
        """
        return persistence.load_model(cls, path, allow_pickle=allow_pickle)


def _distributed():
    """The Dask adapter (:mod:`somnium.dask`), imported only when Dask input arrives (importing somnium never imports dask)."""
    from . import dask

    return dask
