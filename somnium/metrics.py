"""Quality measures of a Self-Organising Map, defined once.

Functions here work on plain arrays (data and codebook in the same space,
usually the model's normalised space) so that the estimator, its per-epoch
history, the plots and the widgets all share one definition.  The
:class:`~somnium.core.SOM` methods (``calculate_quantization_error`` ...) are
thin wrappers over them.

Missing cells and feature weights.  A NaN in ``X`` is a missing cell, and ``weights`` (one per
column, default 1) weigh each column's difference.  A row's errors are then over its observed
cells: its absolute error is the ``weights``-weighted mean of ``|x - w|`` over them (the seed's
per-feature mean when nothing is missing and the weights are 1), and its squared distance
``sum_obs v (x - w)^2`` is scaled by ``sum(c) / sum_obs(c)`` with ``c`` the count weights (default
``weights``), the SOM Toolbox's ``D / k`` for a row with ``k`` of ``D`` features observed, so that
rows with and without gaps have comparable distances.  The BMU of a row is the argmin of the same
sum over its observed cells (the scaling does not change it).  Prototypes are complete, so the
U-matrix and the topographic product do not change with gaps (the U-matrix is weighted).
"""

from __future__ import annotations

import math

import numpy as np

from .neighborhood import NeighborhoodOperator

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
    "distortion",
    "from_statistics",
    "hits",
    "label_shares",
    "mean_bmu_distance",
    "neighborhood_ranks",
    "node_mean",
    "node_quantization_error",
    "pairwise_distances",
    "quality_report",
    "quantization_error",
    "row_abs_error",
    "row_sq_distance",
    "topographic_error",
    "topographic_product",
    "umatrix",
    "vacancy_rate",
]


def row_abs_error(X, codebook, bmu, weights=None) -> np.ndarray:
    """Per-row mean absolute difference between each row and its BMU, shape ``(n_rows,)``.

    Over each row's observed cells, weighted by ``weights`` (see the module's notes).
    """
    X = np.asarray(X, dtype=np.float64)
    diff = np.abs(X - codebook[np.asarray(bmu)])
    if weights is None and not np.isnan(diff).any():
        return diff.mean(axis=1)
    weights = np.ones(X.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    observed = ~np.isnan(diff)
    return np.nan_to_num(diff) @ weights / (observed @ weights)


def row_sq_distance(X, codebook, bmu, weights=None, count_weights=None) -> np.ndarray:
    """Per-row squared distance to the BMU over observed cells, scaled by ``sum(c) / sum_obs(c)``."""
    X = np.asarray(X, dtype=np.float64)
    weights = np.ones(X.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    counts = weights if count_weights is None else np.asarray(count_weights, dtype=np.float64)
    diff = X - codebook[np.asarray(bmu)]
    observed = ~np.isnan(diff)
    return np.nan_to_num(diff) ** 2 @ weights * (counts.sum() / (observed @ counts))


def quantization_error(X, codebook, bmu, weights=None) -> float:
    """Seed definition: mean over rows of the per-feature mean absolute error to the BMU.

    Parameters
    ----------
    X : ndarray, shape (n_rows, n_features)
    codebook : ndarray, shape (n_nodes, n_features)
    bmu : ndarray of int, shape (n_rows,)
    weights : ndarray, optional
        Per-column weights (missing cells, NaN, are skipped whatever the weights).

    Returns
    -------
    float
    """
    return float(row_abs_error(X, codebook, bmu, weights).mean())


def mean_bmu_distance(X, codebook, bmu, weights=None, count_weights=None) -> float:
    """Mean Euclidean distance between each row and its BMU (what most SOM libraries call QE).

    Over observed cells, weighted and scaled as :func:`row_sq_distance`.
    """
    return float(np.sqrt(row_sq_distance(X, codebook, bmu, weights, count_weights)).mean())


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


def node_mean(sums, counts) -> np.ndarray:
    """``sums / counts`` where a node has rows (``counts > 0``), NaN where it has none ("no data", not zero).

    The one definition of a per-node mean: of a column (a map layer, a profile), of the quantization
    error, of a share.  ``counts`` broadcasts against ``sums`` (one count per node for many columns).
    """
    counts = np.asarray(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.asarray(sums, dtype=np.float64) / np.maximum(counts, 1), np.nan)


def node_quantization_error(X, codebook, bmu, weights=None) -> np.ndarray:
    """Per-node mean of :func:`row_abs_error` over the rows mapped to it.

    Nodes without rows are ``NaN`` ("no data"), not zero.
    """
    n_nodes = codebook.shape[0]
    errors = row_abs_error(X, codebook, bmu, weights)
    sums = np.bincount(np.asarray(bmu, dtype=np.int64), weights=errors, minlength=n_nodes)
    return node_mean(sums, hits(bmu, n_nodes))


def umatrix(codebook, lattice, weights=None) -> np.ndarray:
    """Mean Euclidean distance from each node's prototype to its lattice neighbours' prototypes.

    Wrap-around neighbours count on toroidal and cylindrical maps.  A node
    without neighbours (a 1x1 map) gets 0.  ``weights`` (per column): the
    weighted distance the map's BMU search uses.
    """
    codebook = np.asarray(codebook, dtype=np.float64)
    if weights is not None:
        codebook = codebook * np.sqrt(np.asarray(weights, dtype=np.float64))
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
    return classes, node_mean(counts, counts.sum(axis=0))


# --------------------------------------------------------------------- neighbourhood-rank measures
def _stable_ranks(distances: np.ndarray) -> np.ndarray:
    """Rank of every column in each row (0 = nearest), ties ordered by column index."""
    order = np.argsort(distances, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(distances.shape[0])[:, None]
    ranks[rows, order] = np.arange(distances.shape[1])[None, :]
    return ranks


def pairwise_distances(X, weights=None, count_weights=None) -> np.ndarray:
    """Distances between the rows of ``X`` over the cells both observe, weighted and scaled as
    :func:`row_sq_distance` (plain Euclidean distances for complete, unweighted rows)."""
    X = np.asarray(X, dtype=np.float64)
    if weights is None and not np.isnan(X).any():
        from scipy.spatial.distance import cdist

        return cdist(X, X)
    weights = np.ones(X.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    counts = weights if count_weights is None else np.asarray(count_weights, dtype=np.float64)
    observed = (~np.isnan(X)).astype(np.float64)
    values = np.nan_to_num(X)
    squares = (values**2 * weights) @ observed.T  # [i, j]: sum over the cells j observes of v x_i^2
    d2 = squares + squares.T - 2.0 * (values * weights) @ values.T
    shared = (observed * counts) @ observed.T
    with np.errstate(invalid="ignore", divide="ignore"):
        d2 *= np.where(shared > 0, counts.sum() / shared, np.nan)
    return np.sqrt(np.maximum(d2, 0.0))


def _rank_matrices(X, positions_distance, n, weights=None, count_weights=None):
    """Input-space and map-space ranks of every pair among ``n`` points (self excluded: rank 0)."""
    d_in = pairwise_distances(X, weights, count_weights)
    # Two rows sharing no observed cell have no distance: they rank last.
    d_in = np.where(np.isnan(d_in), np.inf, d_in)
    d_out = positions_distance
    np.fill_diagonal(d_in, -1.0)  # the point itself ranks first in both spaces
    np.fill_diagonal(d_out, -1.0)
    return _stable_ranks(d_in), _stable_ranks(d_out)


def _rank_penalties(X, bmu, lattice, k, weights=None, count_weights=None):
    """Per-row trustworthiness and continuity penalties and neighbourhood overlaps (exact, O(n^2))."""
    n = X.shape[0]
    if not 1 <= k < n / 2:
        raise ValueError(f"k must be between 1 and {int(np.ceil(n / 2)) - 1} for {n} rows, got {k}.")
    node_distances = lattice.distance_matrix(np.unique(bmu))
    lookup = np.full(lattice.n_nodes, -1)
    lookup[np.unique(bmu)] = np.arange(len(np.unique(bmu)))
    d_out = node_distances[lookup[bmu]][:, bmu]
    r_in, r_out = _rank_matrices(X, d_out.astype(np.float64), n, weights, count_weights)
    in_knn = (r_in >= 1) & (r_in <= k)
    out_knn = (r_out >= 1) & (r_out <= k)
    trust = np.where(out_knn & ~in_knn, r_in - k, 0).sum(axis=1)
    cont = np.where(in_knn & ~out_knn, r_out - k, 0).sum(axis=1)
    overlap = (in_knn & out_knn).sum(axis=1) / k
    return trust.astype(np.float64), cont.astype(np.float64), overlap


def neighborhood_ranks(
    X, bmu, lattice, k: int = 10, max_rows: int = 2000, random_state=0, weights=None, count_weights=None
) -> dict:
    """Trustworthiness, continuity and neighbourhood preservation of the map (Venna & Kaski 2001).

    A row's neighbours on the map are the rows whose BMUs are nearest on the
    lattice (wrap included); rows sharing a distance are ordered by row index,
    so the result is deterministic.

    - trustworthiness: ``1 - 2/(n k (2n - 3k - 1)) sum_i sum_{j in U_k(i)} (r(i, j) - k)`` where
      ``U_k(i)`` are map neighbours that are not data neighbours and ``r`` the data-space rank;
    - continuity: the same with the spaces swapped;
    - neighborhood_preservation: mean share of the ``k`` data neighbours that are also map neighbours.

    Exact for ``n <= max_rows``; above, computed on a seeded random sample of
    ``max_rows`` rows, and ``*_stderr`` gives the standard error of that estimate
    (per-row contributions' standard deviation / sqrt(rows)).  Data-space distances are over the
    cells both rows observe (:func:`pairwise_distances`).

    Returns
    -------
    dict
        ``trustworthiness``, ``continuity``, ``neighborhood_preservation``, their ``*_stderr``, ``k`` and ``rows``.
    """
    X = np.asarray(X, dtype=np.float64)
    bmu = np.asarray(bmu, dtype=np.int64)
    n = X.shape[0]
    sampled = n > max_rows
    if sampled:
        rows = np.sort(np.random.default_rng(random_state).choice(n, max_rows, replace=False))
        X, bmu, n = X[rows], bmu[rows], max_rows
    trust, cont, overlap = _rank_penalties(X, bmu, lattice, k, weights, count_weights)
    scale = 2.0 / (n * k * (2 * n - 3 * k - 1))
    result = {
        "trustworthiness": 1.0 - scale * trust.sum(),
        "continuity": 1.0 - scale * cont.sum(),
        "neighborhood_preservation": float(overlap.mean()),
        "k": int(k),
        "rows": int(n),
    }
    for name, per_row in (("trustworthiness", trust), ("continuity", cont)):
        result[f"{name}_stderr"] = float(scale * n * per_row.std() / np.sqrt(n)) if sampled else 0.0
    result["neighborhood_preservation_stderr"] = float(overlap.std() / np.sqrt(n)) if sampled else 0.0
    return result


def topographic_product(codebook, lattice, max_nodes: int = 3000) -> dict:
    """Topographic product of Bauer & Pawelzik (1992) and its two components.

    For node ``j`` and ``k = 1 .. M-1``, with ``n_k^A(j)`` its k-th nearest node
    on the lattice and ``n_k^V(j)`` in prototype space (ties by node index):
    ``Q1 = d_V(w_j, w_{n_k^A}) / d_V(w_j, w_{n_k^V})``,
    ``Q2 = d_A(j, n_k^A) / d_A(j, n_k^V)``;
    ``P1``, ``P2`` are the means over ``j, k`` of ``log`` of the geometric means
    of ``Q1`` (resp. ``Q2``) over ``l <= k``, and ``P = (P1 + P2) / 2``.
    ``P`` near 0 means the map's dimension matches the data's; ``P < 0`` a
    map folded into too few dimensions, ``P > 0`` too many.  The two
    components can cancel (a shuffled map), so they are reported too.

    Raises ValueError above ``max_nodes`` (the measure is O(M^2 log M)).
    """
    from scipy.spatial.distance import cdist

    codebook = np.asarray(codebook, dtype=np.float64)
    m = codebook.shape[0]
    if m < 3:
        raise ValueError("The topographic product needs at least 3 nodes.")
    if m > max_nodes:
        raise ValueError(
            f"The topographic product is O(M^2 log M); the map has {m} nodes (limit {max_nodes})."
        )
    d_v = cdist(codebook, codebook)
    d_a = lattice.distance_matrix()
    for d in (d_v, d_a):
        np.fill_diagonal(d, -1.0)
    order_a = np.argsort(d_a, axis=1, kind="stable")[:, 1:]
    order_v = np.argsort(d_v, axis=1, kind="stable")[:, 1:]
    rows = np.arange(m)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        q1 = d_v[rows, order_a] / d_v[rows, order_v]
        q2 = d_a[rows, order_a] / d_a[rows, order_v]
    counts = np.arange(1, m)[None, :]
    log_p1 = np.cumsum(np.log(q1), axis=1) / counts
    log_p2 = np.cumsum(np.log(q2), axis=1) / counts
    finite = np.isfinite(log_p1) & np.isfinite(log_p2)  # identical prototypes give 0/0
    p1, p2 = float(log_p1[finite].mean()), float(log_p2[finite].mean())
    return {
        "topographic_product": (p1 + p2) / 2.0,
        "topographic_product_p1": p1,
        "topographic_product_p2": p2,
    }


def distortion(
    X,
    codebook,
    bmu,
    lattice,
    neighborhood: str = "gaussian",
    radius: float = 1.0,
    weights=None,
    count_weights=None,
) -> float:
    """The SOM's energy: ``(1/N) sum_i sum_j h(d(b_i, j), radius) ||x_i - w_j||^2``.

    Computed from per-node sufficient statistics (hits, sums, sums of squared
    norms) smoothed by the neighbourhood operator, so it costs one smoothing,
    not an N x M pass.  At ``radius = 0`` it is the mean squared distance to the BMU.
    With missing cells or weights, ``||x_i - w_j||^2`` is :func:`row_sq_distance`'s (observed cells,
    weighted, scaled), from per-(node, feature) statistics of each row's scaled cells.
    """
    codebook = np.asarray(codebook, dtype=np.float64)
    # Distances do not see a common shift; without it the expanded square cancels at large offsets.
    shift = codebook.mean(axis=0) if codebook.size else 0.0
    X = np.asarray(X, dtype=np.float64) - shift
    codebook = codebook - shift
    bmu = np.asarray(bmu, dtype=np.int64)
    n_nodes, n_features = codebook.shape
    if weights is not None or np.isnan(X).any():
        return _masked_distortion(X, codebook, bmu, lattice, neighborhood, radius, weights, count_weights)
    counts = np.bincount(bmu, minlength=n_nodes).astype(np.float64)
    sums = np.stack([np.bincount(bmu, weights=X[:, d], minlength=n_nodes) for d in range(n_features)], axis=1)
    squares = np.bincount(bmu, weights=np.einsum("ij,ij->i", X, X), minlength=n_nodes)
    smoothed = NeighborhoodOperator(lattice, neighborhood).smooth(
        np.column_stack([counts, squares, sums]), radius
    )
    h_counts, h_squares, h_sums = smoothed[:, 0], smoothed[:, 1], smoothed[:, 2:]
    norms = np.einsum("ij,ij->i", codebook, codebook)
    energy = h_squares - 2.0 * np.einsum("ij,ij->i", h_sums, codebook) + h_counts * norms
    return float(energy.sum() / max(X.shape[0], 1))


def _masked_distortion(X, codebook, bmu, lattice, neighborhood, radius, weights, count_weights) -> float:
    n_nodes, n_features = codebook.shape
    weights = np.ones(n_features) if weights is None else np.asarray(weights, dtype=np.float64)
    counts = weights if count_weights is None else np.asarray(count_weights, dtype=np.float64)
    observed = (~np.isnan(X)).astype(np.float64)
    values = np.nan_to_num(X)
    scale = counts.sum() / (observed @ counts)  # each row's D / k
    columns = [np.bincount(bmu, weights=scale * observed[:, d], minlength=n_nodes) for d in range(n_features)]
    columns += [np.bincount(bmu, weights=scale * values[:, d], minlength=n_nodes) for d in range(n_features)]
    squares = np.bincount(bmu, weights=scale * (values**2 @ weights), minlength=n_nodes)
    smoothed = NeighborhoodOperator(lattice, neighborhood).smooth(
        np.column_stack([squares, *columns]), radius
    )
    h_squares, h_counts, h_sums = (
        smoothed[:, 0],
        smoothed[:, 1 : 1 + n_features],
        smoothed[:, 1 + n_features :],
    )
    energy = h_squares - 2.0 * (h_sums * codebook) @ weights + (h_counts * codebook**2) @ weights
    return float(energy.sum() / max(X.shape[0], 1))


def quality_report(
    pass_metrics: dict,
    X,
    bmus,
    codebook,
    lattice,
    neighborhood: str,
    radius: float,
    k: int = 10,
    max_rows: int = 2000,
    random_state=0,
    weights=None,
    count_weights=None,
) -> dict:
    """:meth:`SOM.quality_report`: one pass's metrics, the rank measures, the topographic product and the
    distortion at ``radius``, over observed cells (see the module's notes)."""
    report = dict(pass_metrics)
    report.update(neighborhood_ranks(X, bmus, lattice, k, max_rows, random_state, weights, count_weights))
    try:
        report.update(topographic_product(codebook, lattice))
    except ValueError:
        names = ("topographic_product", "topographic_product_p1", "topographic_product_p2")
        report.update(dict.fromkeys(names, math.nan))
    report["distortion"] = distortion(
        X, codebook, bmus, lattice, neighborhood, radius, weights, count_weights
    )
    return report
