"""Anomaly scores, thresholds and drift on a fitted map (behind ``SOM.bmu_distance`` and its siblings).

Two scores, both from the distance of a row to its best matching unit (BMU) in the normalised space
the map was trained in (:meth:`SOM.calculate_mean_bmu_distance` is their mean):

- **the distance** (``bmu_distance(X)``; ``score_samples`` is minus it, scikit-learn's convention):
  how far a row is from everything the map learnt.  Suits data whose regions are about equally
  spread, and rows that are odd as a whole (measurement errors, a new kind of case).
- **the node-relative distance** (``relative=True``): the distance over its node's training-distance
  scale (:func:`somnium._distances.node_scale`, the root mean square distance of the node's training
  rows, shrunk towards the map's for nodes with few rows).  A row 1.0 away from a tight node (its
  rows 0.1 away) is more surprising than one 1.0 away from a loose node (its rows 0.8 away): suits
  data mixing dense and diffuse groups, where the plain distance flags the diffuse group's ordinary rows.

Thresholds are training quantiles: the fitted model keeps the distribution of its training rows'
distances (:class:`somnium._distances.DistanceDistribution`, measured by the fit's last pass), so
``anomaly_threshold(0.99)`` is the distance 1% of the training rows exceed.

**Drift** (:func:`drift`) compares where new rows land with where the training rows landed: per node
the difference of hit shares, and one summary figure, the Jensen-Shannon divergence of the two
shares in bits (0: the same shares; 1: no node shared) with a small-count correction (see
:class:`Drift`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._state import NodeStatistics, committed_state
from ._validation import check_int, check_real, is_dask_collection
from .exceptions import ModelNotTrainedError

__all__ = [
    "Drift",
    "bmu_distance",
    "drift",
    "drift_of_hits",
    "jensen_shannon",
    "node_anomalies",
    "node_scales",
    "threshold",
]

#: Same-distribution draws of the small-count correction (and the p-value's resolution: 1 / (draws + 1)).
NULL_DRAWS = 200


def _refit_message(what: str) -> str:
    return (
        f"This model does not store {what}: it was saved by an older Somnium (model format before 4) or "
        "its fit was interrupted before its last pass. Fit it again"
    )


def _training(state, what: str) -> NodeStatistics:
    nodes = state.nodes
    if nodes is None:
        raise ModelNotTrainedError(_refit_message("its training rows' statistics") + f", or {what}.")
    return nodes


def _scale(state) -> np.ndarray:
    scale = _training(state, "use relative=False").scale()
    if scale is None:
        raise ModelNotTrainedError(
            _refit_message("its nodes' distance scales, which relative=True needs")
            + ", or use relative=False."
        )
    return scale


# ------------------------------------------------------------------- scores
# The model-facing functions take the model (its public parameters and committed state) and the
# estimator's own preparation of rows, ``prepare(X, state)``: in memory or Dask, one dispatch.


def bmu_distance(model, prepare, X, relative: bool = False):
    """Every row's distance to its BMU (over its node's scale with ``relative``): an ndarray, lazy on Dask."""
    state = committed_state(model, "bmu_distance()")
    scale = _scale(state) if relative else None
    data = prepare(X, state)
    if _is_dask(data):
        return data.bmu_distances(state.codebook, scale=scale)
    bmus, distances = data.bmu_distances(state.codebook, n_jobs=model.n_jobs)
    return distances / scale[bmus] if relative else distances


def bmus_and_distances(model, prepare, X) -> tuple[np.ndarray, np.ndarray]:
    """``model.predict(X)`` and ``model.bmu_distance(X)`` of in-memory rows, from one pass."""
    state = committed_state(model, "predict()")
    return prepare(X, state).bmu_distances(state.codebook, n_jobs=model.n_jobs)


def threshold(model, prepare, q: float = 0.99, relative: bool = False, X=None) -> float:
    """The BMU distance at training quantile ``q`` (of the rows ``X`` instead, when given)."""
    state = committed_state(model, "anomaly_threshold()")
    q = check_real(q, "q", 0.0, 1.0)
    if X is not None:
        nodes = reference_statistics(state, prepare(X, state), model.n_jobs)
    else:
        nodes = _training(state, "pass the training rows: anomaly_threshold(q, X=X_train)")
    if nodes.distances is None:
        raise ModelNotTrainedError(
            _refit_message("its training rows' distance distribution")
            + ", or pass the training rows: anomaly_threshold(q, X=X_train)."
        )
    value = nodes.distances.quantile(q, relative=relative)
    if value is None:
        raise ModelNotTrainedError(
            "Node-relative quantiles need every row's distance at once, and this model was fitted on Dask "
            "rows (which keep the distances' sketch only): pass in-memory rows, "
            "anomaly_threshold(q, relative=True, X=sample), or use relative=False."
        )
    return float(value)


def reference_statistics(state, data, n_jobs=None) -> NodeStatistics:
    """What a fit stores of its training rows, measured on ``data`` instead (one pass)."""
    from ._training import node_statistics

    stats, bmus = data.statistics(
        state.codebook, state.lattice, with_metrics=True, return_bmus=not _is_dask(data), n_jobs=n_jobs
    )
    return node_statistics(stats, bmus)


def _is_dask(data) -> bool:
    return is_dask_collection(getattr(data, "collection", None))


# -------------------------------------------------------------------- views
def node_scales(model) -> np.ndarray:
    """Each node's training-distance scale (the node-relative score's denominator; see
    :func:`somnium._distances.node_scale`): what "a typical distance here" means, per node."""
    return _scale(committed_state(model, "node_scales()"))


def node_anomalies(bmus, distances, limit: float, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per node, its rows and those of them above ``limit``: ``(rows, anomalies)``, int64.

    The share ``anomalies / rows`` is what a map view's ``"anomaly"`` layer draws.
    """
    bmus = np.asarray(bmus, dtype=np.int64)
    rows = np.bincount(bmus, minlength=n_nodes)
    anomalies = np.bincount(bmus[np.asarray(distances) > limit], minlength=n_nodes)
    return rows.astype(np.int64), anomalies.astype(np.int64)


# -------------------------------------------------------------------- drift
def jensen_shannon(p, q) -> float:
    """Jensen-Shannon divergence in bits of two distributions (normalised here; 0 log 0 = 0), in [0, 1]."""
    return float(_jensen_shannon(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)))


def _jensen_shannon(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise (last axis) JS divergence in bits."""
    p = p / p.sum(axis=-1, keepdims=True)
    q = q / q.sum(axis=-1, keepdims=True)
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log2(p / m), 0.0)
        right = np.where(q > 0, q * np.log2(q / m), 0.0)
    return np.clip(0.5 * (left.sum(axis=-1) + right.sum(axis=-1)), 0.0, 1.0)


@dataclass(frozen=True)
class Drift:
    """Where new rows land on the map against where the reference (training) rows landed.

    Attributes
    ----------
    difference : ndarray, shape (n_nodes,)
        Per node, the new rows' share minus the training rows' share (positive: more new rows land
        there than before).  What ``MapView(model, data=new_rows, color="drift")`` draws.
    training_share, new_share : ndarray, shape (n_nodes,)
        Each node's share of the training rows and of the new rows (each sums to 1).
    divergence : float
        The summary figure: the Jensen-Shannon divergence of the two shares in bits, minus what it
        would be on average if the new rows came from the training rows' own distribution (the
        small-count correction, ``expected_if_unchanged``), at least 0.  Read it against rows that
        moved: a share ``s`` of the rows moving to nodes where no training row lands gives about
        ``s / 2`` for small ``s``: 0.025 (s = 0.05), 0.052 (0.1), 0.14 (0.25), 0.31 (0.5), 0.55
        (0.75), 1 (all of them).
    raw_divergence : float
        The divergence before the correction.
    expected_if_unchanged : float
        Its mean over :data:`NULL_DRAWS` seeded draws of both hit counts from the pooled shares at
        their own sizes: a finite sample's shares differ by chance, the more so the fewer rows per node
        (about ``(nodes - 1) / (8 ln 2) * (1/n_new + 1/n_training)`` bits with many rows per node).
    p_value : float
        Share of those draws at least as divergent as observed (``(1 + k) / (1 + draws)``): below 0.01,
        the shift is unlikely to be chance at these sizes.
    n_training, n_new : int
        Rows on each side.
    """

    difference: np.ndarray
    training_share: np.ndarray
    new_share: np.ndarray
    divergence: float
    raw_divergence: float
    expected_if_unchanged: float
    p_value: float
    n_training: int
    n_new: int

    def __repr__(self) -> str:
        return (
            f"Drift(divergence={self.divergence:.4f} bits, raw={self.raw_divergence:.4f}, "
            f"expected_if_unchanged={self.expected_if_unchanged:.4f}, p_value={self.p_value:.3g}, "
            f"n_training={self.n_training}, n_new={self.n_new})"
        )


def drift_of_hits(training_hits, new_hits, draws: int = NULL_DRAWS, random_state=0) -> Drift:
    """:class:`Drift` from the two per-node hit counts (the arithmetic; :func:`drift` makes the passes)."""
    training_hits = np.asarray(training_hits, dtype=np.float64)
    new_hits = np.asarray(new_hits, dtype=np.float64)
    n_training, n_new = int(round(training_hits.sum())), int(round(new_hits.sum()))
    if n_training == 0 or n_new == 0:
        raise ValueError(
            f"Drift needs rows on both sides; got {n_training} reference rows and {n_new} new rows."
        )
    draws = check_int(draws, "draws")
    training_share, new_share = training_hits / n_training, new_hits / n_new
    raw = float(_jensen_shannon(training_share, new_share))
    pooled = (training_hits + new_hits) / (n_training + n_new)
    rng = np.random.default_rng(random_state)
    null = _jensen_shannon(
        rng.multinomial(n_training, pooled, size=draws).astype(np.float64),
        rng.multinomial(n_new, pooled, size=draws).astype(np.float64),
    )
    expected = float(null.mean())
    return Drift(
        difference=new_share - training_share,
        training_share=training_share,
        new_share=new_share,
        divergence=max(0.0, raw - expected),
        raw_divergence=raw,
        expected_if_unchanged=expected,
        p_value=float((1 + np.count_nonzero(null >= raw - 1e-12)) / (1 + draws)),
        n_training=n_training,
        n_new=n_new,
    )


def drift(model, prepare, X_new, reference=None) -> Drift:
    """:class:`Drift` of the rows ``X_new`` against the stored training hits (or the rows ``reference``)."""
    state = committed_state(model, "drift()")
    if reference is not None:
        training_hits = _hits(state, prepare(reference, state), model.n_jobs)
    else:
        training_hits = _training(state, "pass the training rows: drift(X_new, reference=X_train)").hits
    return drift_of_hits(training_hits, _hits(state, prepare(X_new, state), model.n_jobs))


def _hits(state, data, n_jobs) -> np.ndarray:
    stats, _ = data.statistics(state.codebook, state.lattice, n_jobs=n_jobs)
    return stats.hits
