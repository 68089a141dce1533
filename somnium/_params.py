"""The estimator's parameters: their checks, the original project's forms and scikit-learn's conventions.

:class:`somnium.core.SOM` keeps each constructor argument exactly as given (scikit-learn's ``clone``
compares them by identity) and calls :func:`check_params` in ``__init__`` and ``set_params`` (the seed
refused a bad name at once) and again at every fit, which trains with the checked forms it returns.
Nothing here imports scikit-learn unless scikit-learn asks (:func:`sklearn_tags`).
"""

from __future__ import annotations

import numbers
from types import SimpleNamespace

import numpy as np

from ._validation import (
    CATEGORICAL_OPTIONS,
    MISSING_OPTIONS,
    check_int,
    check_mapsize,
    check_option,
    check_real,
    is_dask_collection,
    scipy_metric_names,
)
from .engine import EUCLIDEAN_METRICS
from .exceptions import (
    FitInProgressError,
    LatticeTypeNotFound,
    NeighborhoodFunctionNotFound,
    NormalizationFunctionNotFound,
    warn,
)
from .lattice import LATTICES
from .neighborhood import check_neighborhood
from .normalization import NORMALIZATIONS

__all__ = [
    "DTYPES",
    "INITIALIZATIONS",
    "PARAMS",
    "STRUCTURE",
    "batch_params",
    "check_params",
    "data_argument",
    "epochs_or_y",
    "new_params",
    "online_params",
    "sklearn_tags",
]

#: The constructor's parameters, in the original Somnium's positional order (then the keyword-only ones).
PARAMS = (
    "neighborhood",
    "normalization",
    "mapsize",
    "lattice",
    "distance_metric",
    "n_jobs",
    "initialization",
    "mapsize_scale",
    "random_state",
    "dtype",
    "missing",
    "categorical",
    "feature_weights",
)

INITIALIZATIONS = ("pca", "random")
DTYPES = ("float32", "float64")
#: The parameters a trained map is made of: changing one through ``set_params`` starts a new map.
STRUCTURE = ("mapsize", "lattice", "normalization", "initialization", "mapsize_scale", "categorical")
#: SciPy metrics that estimate a variance or covariance from the rows of each call.
_DATA_DEPENDENT_METRICS = ("seuclidean", "mahalanobis")


def check_params(params: dict) -> dict:
    """The constructor's parameters checked, in the forms training uses (canonical names, tuples, numbers)."""
    p = dict(params)
    if not isinstance(p["neighborhood"], str) and hasattr(p["neighborhood"], "__len__"):
        raise NeighborhoodFunctionNotFound(
            f"Unknown neighborhood {p['neighborhood']!r}: the first positional parameter is the neighbourhood, "
            "as in the original Somnium (neighborhood, normalization, mapsize, lattice, ...); pass "
            f"mapsize={p['neighborhood']!r} by name."
        )
    p["neighborhood"] = check_neighborhood(p["neighborhood"])
    check_option(p["lattice"], tuple(LATTICES), "lattice", LatticeTypeNotFound)
    check_option(p["normalization"], NORMALIZATIONS, "normalization", NormalizationFunctionNotFound)
    check_option(p["initialization"], INITIALIZATIONS, "initialization")
    metric = p["distance_metric"]
    if not callable(metric) and metric not in EUCLIDEAN_METRICS:
        # Only other names need SciPy's list (importing scipy.spatial costs ~0.3 s).
        check_option(metric, scipy_metric_names(), "distance_metric")
        if metric in _DATA_DEPENDENT_METRICS:
            raise ValueError(
                f"distance_metric={metric!r} estimates its parameters from whichever rows are "
                "searched together, so predict() would depend on the batch; normalise the data instead "
                "(normalization='standard' makes 'euclidean' a standardised distance), or pass a callable "
                "metric with fixed parameters."
            )
    if p["n_jobs"] is not None:
        p["n_jobs"] = check_int(p["n_jobs"], "n_jobs", minimum=None)
        if p["n_jobs"] == 0:
            raise ValueError("n_jobs must be None or a non-zero integer (-1 for all cores), got 0.")
    p["mapsize_scale"] = check_real(p["mapsize_scale"], "mapsize_scale", 0.0, exclusive_minimum=True)
    check_option(p["dtype"], DTYPES, "dtype")
    if not (isinstance(p["mapsize"], str) and p["mapsize"] == "auto"):
        p["mapsize"] = check_mapsize(p["mapsize"])
    check_option(p.get("missing", "error"), MISSING_OPTIONS, "missing")
    check_option(p.get("categorical", "error"), CATEGORICAL_OPTIONS, "categorical")
    p["feature_weights"] = check_feature_weights(p.get("feature_weights"))
    if p["feature_weights"] is not None and (callable(metric) or metric not in EUCLIDEAN_METRICS):
        raise ValueError(
            f"feature_weights weigh squared differences, which distance_metric={metric!r} does not sum; use "
            "distance_metric='euclidean' (or 'sqeuclidean') with feature_weights."
        )
    return p


def check_feature_weights(weights):
    """``feature_weights`` in the form training uses: None, a dict of name -> float, or a tuple of floats.

    Each weight is a finite number >= 0, and at least one is positive.  The names and the count are
    checked against the data's columns at the fit (:func:`somnium._encoding.distance_weights`).
    """
    if weights is None:
        return None
    if isinstance(weights, dict):
        items = list(weights.items())
        if not all(isinstance(name, str) for name, _ in items):
            raise ValueError("feature_weights as a dict maps column names (str) to weights.")
        # All listed at 0 may still leave columns at 1: checked with the columns, at the fit.
        return {name: _weight(value, f"feature_weights[{name!r}]") for name, value in items}
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
        raise ValueError(
            f"feature_weights must be None, a dict of column name -> weight, or one weight per column, got "
            f"{weights!r}."
        )
    values = np.asarray(weights)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"feature_weights must be one weight per column (1-D), got shape {values.shape}.")
    checked = tuple(_weight(value, f"feature_weights[{i}]") for i, value in enumerate(values.tolist()))
    if not any(checked):
        raise ValueError("feature_weights are all 0: no column would decide a row's BMU; give some a weight.")
    return checked


def _weight(value, what: str) -> float:
    return check_real(value, what, 0.0)


def batch_params(params: dict) -> dict:
    """:func:`check_params` for batch training, which refuses the Mexican hat."""
    params = check_params(params)
    if params["neighborhood"] == "mexican_hat":
        raise ValueError(
            "Batch training cannot use the 'mexican_hat' neighbourhood: its negative weights push "
            "prototypes out of the data and leave most nodes empty (measured: 88-94% empty). Train "
            "with fit_online(...) (sequential, where the Mexican hat is defined), or use 'gaussian'."
        )
    return params


def online_params(params: dict) -> dict:
    """:func:`check_params` for online training, which warns about the Mexican hat."""
    params = check_params(params)
    if params["neighborhood"] == "mexican_hat":
        warn(
            "The 'mexican_hat' neighbourhood pushes prototypes away from the winner's surroundings; on "
            "real data it often leaves most nodes empty (check calculate_vacancy_rate()). 'gaussian' is "
            "the robust choice.",
            UserWarning,
        )
    return params


def new_params(current: dict, params: dict, estimator) -> bool:
    """Check ``estimator.set_params(**params)``; True if it changes a trained map's :data:`STRUCTURE`.

    Unknown names raise ``ValueError`` as scikit-learn words it; a new structure during a fit raises
    :class:`~somnium.exceptions.FitInProgressError`.
    """
    for key in params:
        if key not in current:
            raise ValueError(
                f"Invalid parameter {key!r} for estimator {estimator!r}. Valid parameters are: "
                f"{sorted(current)!r}."
            )
    before, after = check_params(current), check_params({**current, **params})
    restart = estimator.is_fitted and any(before[key] != after[key] for key in STRUCTURE)
    if restart and estimator.__dict__.get("_fitting"):
        raise FitInProgressError("This SOM is training; change the map's structure once the fit has ended.")
    return restart


def data_argument(X, data, method: str):
    """``X``, or the seed's keyword name for it (``data=``, ``x=``); not both (None is reported later)."""
    if data is not None:
        if X is not None:
            raise TypeError(f"{method}() got both X and data=; pass the data once.")
        return data
    return X


def _target_length(value) -> int | None:
    """The length of an array-like where an epoch count goes (scikit-learn's ``y``), else None."""
    if value is None or isinstance(value, (numbers.Integral, str, bytes)):
        return None
    if not (hasattr(value, "__len__") or hasattr(value, "__array__")):
        return None
    shape = np.asarray(value).shape
    return shape[0] if shape else None


def epochs_or_y(epochs, y, X):
    """fit's ``epochs`` (None: 10).

    ``fit``'s second positional parameter is the original's ``epochs``, while scikit-learn's ``Pipeline``,
    ``GridSearchCV`` and ``cross_val_score`` call ``fit(X, y)``: an array-like there (or ``y=``) is
    their target, ignored by an unsupervised map once it is seen to match ``X``.
    """
    n_rows = None if is_dask_collection(X) else getattr(X, "shape", (None,))[0]
    for target in (epochs, y):
        length = _target_length(target)
        if length is not None and n_rows is not None and length != n_rows:
            raise ValueError(
                f"fit() got {length} target values for {n_rows} rows of X. A SOM is unsupervised and "
                "ignores scikit-learn's y, but it must match X; pass epochs as an integer."
            )
    return 10 if epochs is None or _target_length(epochs) is not None else epochs


def sklearn_tags(missing: str = "error"):
    """scikit-learn's estimator tags for a SOM: unsupervised, dense float input (NaN allowed with
    ``missing="ignore"``).

    scikit-learn is imported here only (scikit-learn calls this); without it, the same answers in a
    namespace.  ``transformer_tags`` are set because the seed's ``transform()`` (a deprecated alias of
    ``normalize()``, float64 output) makes scikit-learn treat a SOM as a transformer.
    """
    fields = dict(estimator_type=None, requires_fit=True, non_deterministic=False, array_api_support=False)
    try:
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags
    except ImportError:
        inputs = SimpleNamespace(
            two_d_array=True, sparse=False, allow_nan=missing == "ignore", categorical=False
        )
        target = SimpleNamespace(required=False, one_d_labels=False, two_d_labels=False)
        transformer = SimpleNamespace(preserves_dtype=["float64"])
        return SimpleNamespace(**fields, target_tags=target, input_tags=inputs, transformer_tags=transformer)
    return Tags(
        **fields,
        target_tags=TargetTags(required=False),
        transformer_tags=TransformerTags(preserves_dtype=["float64"]),
        input_tags=InputTags(allow_nan=missing == "ignore", sparse=False),
    )
