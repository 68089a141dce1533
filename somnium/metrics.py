"""Quality measures of a Self-Organising Map, defined once.

Functions here work on plain arrays (data and codebook in the same space,
usually the model's normalised space) so that the estimator, its per-epoch
history, the plots and the widgets all share one definition.  The
:class:`~somnium.core.SOM` methods (``calculate_quantization_error`` ...) are
thin wrappers over them.
"""

from __future__ import annotations

import math

import numpy as np

#: The per-epoch metrics kept in ``history_`` and given to callbacks, the seed's three first (its order).
HISTORY_METRICS = ("quantization_error", "topographic_error", "vacancy_rate", "mean_squared_distance")

#: Display labels of every metric key (plots, progress lines, the training monitor).
METRIC_LABELS = {
    "quantization_error": "Quantization error",
    "topographic_error": "Topographic error",
    "vacancy_rate": "Vacancy rate",
    "mean_squared_distance": "Mean squared distance",
    "mean_bmu_distance": "Mean BMU distance",
}


def from_statistics(n_rows, hits, abs_error, sq_distance, topographic_errors, distance=math.nan) -> dict:
    """The :data:`HISTORY_METRICS` from one pass's sufficient statistics.

    Parameters
    ----------
    n_rows : int
        Rows in the pass.
    hits : ndarray, shape (n_nodes,)
        Rows per node.
    abs_error : float
        Sum over rows of the per-feature mean absolute error to the BMU (NaN if not collected).
    sq_distance : float
        Sum over rows of the squared Euclidean distance to the BMU.
    topographic_errors : float
        Rows whose first and second BMU are not lattice neighbours.
    distance : float, optional
        Sum over rows of the Euclidean distance to the BMU.

    Returns
    -------
    dict
        The :data:`HISTORY_METRICS` and ``mean_bmu_distance``.
    """
    n = max(int(n_rows), 1)
    hits = np.asarray(hits)
    return {
        "quantization_error": abs_error / n,
        "topographic_error": topographic_errors / n,
        "vacancy_rate": float((hits == 0).mean()) if hits.size else math.nan,
        "mean_squared_distance": sq_distance / n,
        "mean_bmu_distance": distance / n,
    }


__all__ = [
    "HISTORY_METRICS",
    "METRIC_LABELS",
    "from_statistics",
    "hits",
    "label_shares",
    "mean_bmu_distance",
    "node_quantization_error",
    "quantization_error",
    "row_abs_error",
    "topographic_error",
    "umatrix",
    "vacancy_rate",
]


def row_abs_error(X, codebook, bmu) -> np.ndarray:
    """Per-row mean absolute difference between each row and its BMU, shape ``(n_rows,)``."""
    X = np.asarray(X, dtype=np.float64)
    return np.abs(X - codebook[np.asarray(bmu)]).mean(axis=1)


def quantization_error(X, codebook, bmu) -> float:
    """Seed definition: mean over rows of the per-feature mean absolute error to the BMU.

    Parameters
    ----------
    X : ndarray, shape (n_rows, n_features)
    codebook : ndarray, shape (n_nodes, n_features)
    bmu : ndarray of int, shape (n_rows,)

    Returns
    -------
    float
    """
    return float(row_abs_error(X, codebook, bmu).mean())


def mean_bmu_distance(X, codebook, bmu) -> float:
    """Mean Euclidean distance between each row and its BMU (what most SOM libraries call QE)."""
    X = np.asarray(X, dtype=np.float64)
    return float(np.linalg.norm(X - codebook[np.asarray(bmu)], axis=1).mean())


def topographic_error(bmu, second_bmu, lattice) -> float:
    """Fraction of rows whose first and second BMU are not lattice neighbours (Kiviluoto 1996).

    Adjacency is lattice distance 1, wrap-around included and no diagonals on
    rectangular maps (see :attr:`somnium.lattice.Lattice.neighbors`).
    """
    bmu = np.asarray(bmu)
    if bmu.size == 0:
        return 0.0
    return float(1.0 - lattice.are_adjacent(bmu, np.asarray(second_bmu)).mean())


def hits(bmu, n_nodes: int) -> np.ndarray:
    """Number of rows mapped to each node, shape ``(n_nodes,)``."""
    return np.bincount(np.asarray(bmu, dtype=np.int64), minlength=n_nodes)


def vacancy_rate(bmu, n_nodes: int) -> float:
    """Fraction of nodes that are no row's BMU."""
    return float((hits(bmu, n_nodes) == 0).mean())


def node_quantization_error(X, codebook, bmu) -> np.ndarray:
    """Per-node mean of :func:`row_abs_error` over the rows mapped to it.

    Nodes without rows are ``NaN`` ("no data"), not zero.
    """
    n_nodes = codebook.shape[0]
    errors = row_abs_error(X, codebook, bmu)
    counts = hits(bmu, n_nodes)
    sums = np.bincount(np.asarray(bmu, dtype=np.int64), weights=errors, minlength=n_nodes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def umatrix(codebook, lattice) -> np.ndarray:
    """Mean Euclidean distance from each node's prototype to its lattice neighbours' prototypes.

    Wrap-around neighbours count on toroidal and cylindrical maps.  A node
    without neighbours (a 1x1 map) gets 0.
    """
    codebook = np.asarray(codebook, dtype=np.float64)
    table = lattice.neighbors
    total = np.zeros(codebook.shape[0])
    # One neighbour slot at a time keeps memory at M x D (not M x degree x D).
    for slot in table.T:
        valid = slot >= 0
        total[valid] += np.linalg.norm(codebook[valid] - codebook[slot[valid]], axis=1)
    return total / np.maximum(lattice.degree, 1)


def label_shares(bmu, labels, n_nodes: int):
    """Share of each class among the rows mapped to each node.

    Parameters
    ----------
    bmu : array of int, shape (n_rows,)
    labels : array-like, shape (n_rows,)
        One label per row (any hashable values).
    n_nodes : int

    Returns
    -------
    classes : ndarray, shape (n_classes,)
        Sorted unique labels.
    shares : ndarray, shape (n_classes, n_nodes)
        ``shares[k, i]`` is the fraction of node ``i``'s rows with label
        ``classes[k]``; columns of non-empty nodes sum to 1, empty nodes are NaN.
    """
    bmu = np.asarray(bmu, dtype=np.int64)
    labels = np.asarray(labels)
    if labels.shape[0] != bmu.shape[0]:
        raise ValueError(
            f"Got {labels.shape[0]} labels for {bmu.shape[0]} rows; pass one label per training row."
        )
    if labels.dtype.kind == "f":
        missing = np.flatnonzero(np.isnan(labels))
    elif labels.dtype.kind == "O":
        # v != v is the NaN test that also works for non-numeric objects.
        missing = np.flatnonzero([v is None or v != v for v in labels])
    else:
        missing = []
    if len(missing):
        raise ValueError(
            f"labels contain {len(missing)} missing value(s) (first at row {missing[0]}); "
            "fill them (e.g. labels.fillna('unknown')) before plotting."
        )
    classes, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes.ravel() * n_nodes + bmu, minlength=len(classes) * n_nodes)
    counts = counts.reshape(len(classes), n_nodes).astype(np.float64)
    totals = counts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / np.maximum(totals, 1), np.nan)
    return classes, shares
