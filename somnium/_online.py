"""The sequential (online, classic Kohonen) epoch: numba-compiled, with a numpy fallback of the same maths."""

from __future__ import annotations

import numpy as np

from .engine import EpochStatistics
from .lattice import minimum_image_distance
from .neighborhood import DENSE_MAX_NODES, kernel

__all__ = ["online_epoch"]


def _online_epoch_numpy(X, codebook, order, radii, rates, lattice, neighborhood, distances):
    n_nodes = codebook.shape[0]
    hits = np.zeros(n_nodes)
    abs_error = 0.0
    sq_distance = 0.0
    te = 0
    sq_norm = np.einsum("ij,ij->i", codebook, codebook)
    for step, row in enumerate(order):
        x = X[row]
        scores = sq_norm - 2.0 * (codebook @ x)
        bmu = int(np.argmin(scores))
        diff = x - codebook[bmu]
        abs_error += np.abs(diff).mean()
        sq_distance += diff @ diff
        hits[bmu] += 1
        if n_nodes > 1:
            scores[bmu] = np.inf
            if not lattice.are_adjacent(bmu, int(np.argmin(scores))):
                te += 1
        dist = distances[bmu] if distances is not None else lattice.distances_from(bmu)
        h = rates[step] * kernel(neighborhood, dist, radii[step])
        codebook += h[:, None] * (x - codebook)
        sq_norm = np.einsum("ij,ij->i", codebook, codebook)
    return hits, abs_error, sq_distance, te


_numba_epoch = None


def _get_numba_epoch():
    """Compile the online epoch with numba (the ``online`` extra), or return None."""
    global _numba_epoch
    if _numba_epoch is not None:
        return _numba_epoch or None
    try:
        import numba
    except ImportError:
        _numba_epoch = False
        return None

    wrapped = numba.njit(cache=False)(minimum_image_distance)

    @numba.njit(cache=False)
    def epoch(X, codebook, order, radii, rates, coords, period_x, period_y, seam_shift, kernel_id, neighbors):
        n_nodes, n_features = codebook.shape
        hits = np.zeros(n_nodes)
        abs_error = 0.0
        sq_distance = 0.0
        te = 0
        for step in range(order.shape[0]):
            x = X[order[step]]
            best = 0
            best_d = np.inf
            second = -1
            second_d = np.inf
            for j in range(n_nodes):
                d = 0.0
                for f in range(n_features):
                    t = x[f] - codebook[j, f]
                    d += t * t
                if d < best_d:
                    second, second_d = best, best_d
                    best, best_d = j, d
                elif d < second_d:
                    second, second_d = j, d
            hits[best] += 1
            e = 0.0
            for f in range(n_features):
                e += abs(x[f] - codebook[best, f])
            abs_error += e / n_features
            sq_distance += best_d
            if n_nodes > 1:
                adjacent = False
                for k in range(neighbors.shape[1]):
                    if neighbors[best, k] == second:
                        adjacent = True
                if not adjacent:
                    te += 1
            radius = radii[step]
            rate = rates[step]
            bx = coords[best, 0]
            by = coords[best, 1]
            for j in range(n_nodes):
                dist = wrapped(coords[j, 0] - bx, coords[j, 1] - by, period_x, period_y, seam_shift)
                r2 = (dist / radius) ** 2 if radius > 0.0 else (0.0 if dist == 0.0 else np.inf)
                if radius <= 0.0:
                    h = 1.0 if dist == 0.0 else 0.0
                elif kernel_id == 0:
                    h = np.exp(-r2 / 2.0)
                elif kernel_id == 1:
                    h = 1.0 if dist <= radius * (1.0 + 1e-9) else 0.0
                elif kernel_id == 2:
                    h = np.exp(-r2 / 2.0) if dist <= radius * (1.0 + 1e-9) else 0.0
                elif kernel_id == 3:
                    h = (1.0 - r2) * np.exp(-r2 / 2.0)
                else:
                    h = max(0.0, 1.0 - r2)
                if h != 0.0:
                    h *= rate
                    for f in range(n_features):
                        codebook[j, f] += h * (x[f] - codebook[j, f])
        return hits, abs_error, sq_distance, te

    _numba_epoch = epoch
    return epoch


_KERNEL_IDS = {"gaussian": 0, "bubble": 1, "cut_gaussian": 2, "mexican_hat": 3, "epanechicov": 4}


def online_epoch(X, codebook, order, radii, rates, lattice, neighborhood, use_numba=None):
    """One pass of the sequential Kohonen rule, in place on ``codebook``.

    For each row (in ``order``): find its BMU ``b``, then
    ``w_j += rate * h(d(j, b), radius) * (x - w_j)`` for every node ``j``.
    Compiled with numba when available (the ``online`` extra), otherwise the
    same rule vectorised over nodes in numpy (slower, identical maths).

    Returns
    -------
    EpochStatistics
        Hits and error terms collected as each row was visited.
    """
    epoch = _get_numba_epoch() if use_numba in (None, True) else None
    if use_numba is True and epoch is None:
        raise ImportError("numba is not installed; pip install 'somnium-som[online]'.")
    if epoch is not None:
        hits, abs_error, sq_distance, te = epoch(
            X,
            codebook,
            order.astype(np.int64),
            radii,
            rates,
            np.asarray(lattice.coordinates),
            lattice.period_x or 0.0,
            lattice.period_y or 0.0,
            0.5 if lattice.twisted else 0.0,
            _KERNEL_IDS[neighborhood],
            np.asarray(lattice.neighbors),
        )
    else:
        distances = lattice.distance_matrix() if lattice.n_nodes <= DENSE_MAX_NODES else None
        hits, abs_error, sq_distance, te = _online_epoch_numpy(
            X, codebook, order, radii, rates, lattice, neighborhood, distances
        )
    stats = EpochStatistics(len(order), hits, np.zeros_like(codebook), abs_error, sq_distance, float(te))
    return stats
