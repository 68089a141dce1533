"""The fitted state of a SOM: one immutable object, committed in one assignment.

Training builds a new :class:`FittedState` after every completed epoch and
the estimator swaps it in with a single attribute assignment, so a reader (a
callback, the training monitor, another thread) always sees one complete
epoch, and an exception or ``KeyboardInterrupt`` leaves the last one.
Persistence converts a state to and from the model file; the Dask fit and the
views read it through the estimator's public attributes.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np

from . import engine
from ._distances import DistanceDistribution, node_scale
from ._validation import check_mapsize, check_size, not_fitted_message
from .exceptions import ModelNotTrainedError
from .lattice import Lattice
from .metrics import HISTORY_METRICS, node_mean

__all__ = [
    "HISTORY_KEYS",
    "FittedState",
    "History",
    "NodeStatistics",
    "SeedCodebook",
    "committed_state",
    "initial_state",
    "model_rng",
    "not_trained_error",
]

#: Columns of ``history_``: the seed's three metrics first, in its order, then the rest.
HISTORY_KEYS = (*HISTORY_METRICS, "epoch", "phase", "radius", "learning_rate")


class History:
    """Append-only per-epoch records; a state sees the first ``n`` of them.

    Appending never changes what an older state (with a smaller ``n``) shows,
    so states can share one History instead of copying it every epoch.  The
    metrics of the newest epoch are filled in when they are measured (by the
    next pass over the data) through :meth:`set_metrics`.
    """

    def __init__(self, columns: dict | None = None):
        self._columns = {key: list(columns.get(key, [])) if columns else [] for key in HISTORY_KEYS}

    def __len__(self) -> int:
        return len(self._columns["epoch"])

    def append(self, phase: str, radius: float, learning_rate: float) -> int:
        """Add an epoch whose metrics are not measured yet (NaN); return its 1-based number."""
        number = len(self) + 1
        row = {
            "epoch": number,
            "phase": phase,
            "radius": float(radius),
            "learning_rate": float(learning_rate),
        }
        for key in HISTORY_KEYS:
            self._columns[key].append(row.get(key, math.nan))
        return number

    def set_metrics(self, epoch: int, metrics: dict) -> None:
        for key in HISTORY_METRICS:
            self._columns[key][epoch - 1] = float(metrics.get(key, math.nan))

    def truncate(self, n: int) -> None:
        """Forget records past ``n`` (epochs that were never committed)."""
        for values in self._columns.values():
            del values[n:]

    def view(self, n: int) -> dict:
        """The first ``n`` records as a dict of lists (a copy the caller may keep or change)."""
        return {key: list(values[:n]) for key, values in self._columns.items()}

    def row(self, epoch: int) -> dict:
        """Epoch ``epoch``'s record (1-based)."""
        return {key: values[epoch - 1] for key, values in self._columns.items()}


@dataclass(frozen=True)
class NodeStatistics:
    """What the views and plots need of the training data, per node, for the committed codebook.

    Kept in the model file, so a loaded model draws hits and quality maps without the data.
    """

    hits: np.ndarray  # rows per node (float64 counts)
    abs_error: np.ndarray  # per node: sum over its rows of the per-feature mean absolute error
    metrics: dict  # the whole-data metrics (history metrics plus mean_bmu_distance)
    n_rows: int
    # Per node, the sums of its rows' BMU distances and squared distances; the training rows' distance
    # distribution (somnium._distances). None in files older than format 4.
    distance: np.ndarray | None = None
    sq_distance: np.ndarray | None = None
    distances: DistanceDistribution | None = None

    def quantization_error(self) -> np.ndarray:
        return node_mean(self.abs_error, self.hits)

    def scale(self) -> np.ndarray | None:
        """Each node's distance scale (:func:`somnium._distances.node_scale`), or None when not stored."""
        return None if self.sq_distance is None else node_scale(self.hits, self.sq_distance)


@dataclass(frozen=True)
class FittedState:
    """Everything a fitted SOM knows, in the normalised space it was trained in.

    Attributes
    ----------
    codebook : ndarray, float64, shape (n_nodes, n_features)
        Normalised prototypes.
    center : ndarray, shape (n_features,)
        Mean of the normalised training data (the BMU search centres on it).
    lattice : Lattice
    normalizer : Normalizer
    n_features : int
    feature_names : tuple of str or None
        Set when fitted on a DataFrame.
    history : History
    n_epochs : int
        Records of ``history`` that belong to this state.
    n_phases : int
        Training phases (fit calls) so far; names the next phase.
    bmu : ndarray of int64 or None
        Training rows' BMUs for this codebook (None after a Dask fit, or when interrupted before known).
    nodes : NodeStatistics or None
        Per-node statistics of the training data for this codebook.
    encoder : TableEncoder or None
        How a table with categorical columns maps to the codebook's columns (None: column for column;
        see :mod:`somnium._encoding`).  ``normalizer`` then covers the numeric columns only, and
        ``feature_names`` are the table's columns while ``n_features`` counts the codebook's.
    """

    codebook: np.ndarray
    center: np.ndarray
    lattice: Lattice
    normalizer: object
    n_features: int
    feature_names: tuple | None
    history: History = field(repr=False)
    n_epochs: int = 0
    n_phases: int = 0
    bmu: np.ndarray | None = field(default=None, repr=False)
    nodes: NodeStatistics | None = field(default=None, repr=False)
    encoder: object = None

    @property
    def mapsize(self) -> tuple[int, int]:
        return (self.lattice.rows, self.lattice.cols)

    def history_dict(self) -> dict:
        return self.history.view(self.n_epochs)

    def with_epoch(self, codebook: np.ndarray) -> FittedState:
        """The state after one more completed epoch (its training-data statistics are not known yet)."""
        return replace(self, codebook=codebook, n_epochs=self.n_epochs + 1, bmu=None, nodes=None)

    def with_training_statistics(self, bmu, nodes: NodeStatistics) -> FittedState:
        return replace(self, bmu=bmu, nodes=nodes)


def committed_state(model, what: str = "this") -> FittedState:
    """The model's last committed state, or :class:`ModelNotTrainedError` saying why there is none.

    The one not-fitted check: the estimator, the Dask package and the views all read a model's fitted
    state through it, never through the estimator's private attributes.
    """
    state = model.__dict__.get("_state")
    if state is None:
        if model.__dict__.get("_fitting"):
            raise not_trained_error(
                f"Training is in progress and no epoch has completed yet; wait for it before {what}."
            )
        raise not_trained_error(not_fitted_message(what))
    return state


def not_trained_error(message: str) -> ModelNotTrainedError:
    """A :class:`ModelNotTrainedError`; once scikit-learn is loaded, also its ``NotFittedError``.

    scikit-learn code (and its estimator checks) catch ``NotFittedError``.  Somnium never imports
    scikit-learn: the combined class is made only when the user's program already has.
    """
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    not_fitted = getattr(sklearn_exceptions, "NotFittedError", None)
    if not isinstance(not_fitted, type) or not issubclass(not_fitted, Exception):
        return ModelNotTrainedError(message)
    return _also_not_fitted(not_fitted)(message)


@cache
def _also_not_fitted(not_fitted: type) -> type:
    def __reduce__(self):  # pickles (and unpickles without scikit-learn) as the plain Somnium error
        return ModelNotTrainedError, self.args

    namespace = {"__module__": ModelNotTrainedError.__module__, "__doc__": ModelNotTrainedError.__doc__}
    namespace["__reduce__"] = __reduce__
    return type("ModelNotTrainedError", (ModelNotTrainedError, not_fitted), namespace)


def model_rng(model) -> np.random.Generator:
    """The model's random generator, made from ``random_state`` at first use and shared by its fits."""
    rng = model.__dict__.get("_generator")
    if rng is None:
        rng = model.__dict__["_generator"] = np.random.default_rng(model.random_state)
    return rng


def initial_state(
    params,
    *,
    rng: np.random.Generator,
    normalizer,
    feature_names,
    n_rows: int,
    mean: np.ndarray,
    covariance: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    encoder=None,
) -> FittedState:
    """The uncommitted first state from the normalised data's moments (in memory or by Dask reductions).

    ``params``: the estimator's parameters (``mapsize``, ``lattice``, ``initialization`` and
    ``mapsize_scale`` are read).  One covariance serves both ``mapsize="auto"`` (the side ratio) and the
    PCA initialisation.
    """
    mapsize, lattice = params["mapsize"], params["lattice"]
    initialization, mapsize_scale = params["initialization"], params["mapsize_scale"]
    n_features = mean.shape[0]
    if mapsize == "auto":
        values = engine.covariance_axes(covariance, 2)[0] if n_features >= 2 and n_rows >= 2 else None
        rows, cols = engine.mapsize_from_spectrum(n_rows, values, mapsize_scale, lattice)
    else:
        rows, cols = check_mapsize(mapsize)
    check_size(rows * cols * n_features, "The codebook")
    grid = Lattice(rows, cols, lattice)
    if initialization == "pca":
        values, vectors = engine.covariance_axes(covariance, 2)
        codebook = engine.pca_codebook(mean, values, vectors, grid)
    else:
        codebook = engine.random_codebook(low, high, grid.n_nodes, rng)
        if encoder is not None:  # a block of category shares starts as shares (summing to 1)
            for cats, scale, part in zip(encoder.categories, encoder.scales, encoder.slices):
                if cats is not None:
                    block = codebook[:, part] - low[part]
                    codebook[:, part] = scale * block / np.maximum(block.sum(axis=1, keepdims=True), 1e-300)
    return FittedState(
        codebook=codebook,
        center=mean,
        lattice=grid,
        normalizer=normalizer,
        n_features=n_features,
        feature_names=feature_names,
        history=History(),
        encoder=encoder,
    )


class SeedCodebook:
    """Compatibility view of the original ``model.codebook`` (read-only copies)."""

    __slots__ = ("lattice", "matrix")

    def __init__(self, matrix: np.ndarray, lattice: Lattice):
        matrix.flags.writeable = False
        object.__setattr__(self, "matrix", matrix)
        object.__setattr__(self, "lattice", lattice)

    def __setattr__(self, name, value):
        raise AttributeError("model.codebook is a read-only view; train the model to change it.")

    @property
    def n_rows(self) -> int:
        return self.lattice.rows

    @property
    def n_columns(self) -> int:
        return self.lattice.cols

    @property
    def nnodes(self) -> int:
        return self.lattice.n_nodes

    @property
    def mapsize(self) -> tuple[int, int]:
        return (self.lattice.rows, self.lattice.cols)

    def __repr__(self) -> str:
        return f"SeedCodebook({self.n_rows}x{self.n_columns} {self.lattice.name}, {self.matrix.shape[1]} features)"
