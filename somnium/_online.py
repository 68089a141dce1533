"""The sequential (online, classic Kohonen) epoch: numba-compiled, with a numpy fallback of the same maths.

Both paths update only the nodes within ``reach * radius`` of the winner (:data:`REACH`): exactly the
nodes with a non-zero weight for the bubble, cut Gaussian and Epanechikov kernels, and for the Gaussian
and the Mexican hat the nodes whose weight is at least 2**-53 (beyond that the update is below float64's
resolution of the update itself, ``w + h (x - w)`` with ``h < 2**-53``).
"""

from __future__ import annotations

import numpy as np

from .engine import EpochStatistics
from .neighborhood import DENSE_MAX_NODES, NEIGHBORHOODS

__all__ = ["REACH", "online_epoch"]

#: Reach of each kernel in units of the radius: beyond it the weight is 0, or below 2**-53
#: (Gaussian: exp(-q/2) < 2**-53 for q = (d/r)^2 > 73.4; Mexican hat: |1 - q| exp(-q/2) < 2**-53 for q > 90).
REACH = {
    "gaussian": 8.6,
    "mexican_hat": 9.5,
    "bubble": 1.0 + 1e-9,
    "cut_gaussian": 1.0 + 1e-9,
    "epanechicov": 1.0 + 1e-9,
}
_KERNEL_IDS = {"gaussian": 0, "bubble": 1, "cut_gaussian": 2, "mexican_hat": 3, "epanechicov": 4}


def _online_epoch_numpy(
    X,
    codebook,
    order,
    radii,
    rates,
    lattice,
    neighborhood,
    with_metrics,
    feature_weights=None,
    count_weights=None,
):
    """The same rule vectorised over nodes, one row at a time in Python.

    Per row: scores ``||w||^2 - 2 w.x`` (the squared norms kept up to date), the best unit (and, with
    ``with_metrics``, the second and the errors), then the update. At this size each numpy call's
    overhead is the cost, so the loop makes few calls into reused buffers; the nodes within reach are
    taken as a range of whole lattice rows (views, not copies) when that range is a small part of the
    map, otherwise the whole map is updated (the weights beyond reach are below 2**-53, see
    :data:`REACH`).

    With ``feature_weights`` (the masked rule: missing cells, weighted features) a row's missing cells are
    zeroed in ``x - w``, so they add nothing to its distances and move nothing in its update.
    """
    n_nodes, n_features = codebook.shape
    masked = feature_weights is not None
    if masked:
        total_count = float(count_weights.sum())
    hits = np.zeros(n_nodes)
    abs_error = sq_distance = 0.0
    te = 0
    function = NEIGHBORHOODS[neighborhood]
    reach = REACH[neighborhood]
    gaussian = neighborhood == "gaussian"
    dense = n_nodes <= DENSE_MAX_NODES
    distances = lattice.distance_matrix() if dense else None
    minus_half_sq = -0.5 * distances**2 if dense and gaussian else None
    neighbours = [frozenset(row[row >= 0].tolist()) for row in lattice.neighbors] if with_metrics else None
    row_of = lattice.row_index
    n_cols, n_rows_lattice = lattice.cols, lattice.rows
    # Lattice rows within reach of a node's row: at most this many rows up or down (per unit radius).
    rows_per_radius = reach / lattice.row_height
    scores = np.empty(n_nodes)
    weights = np.empty(n_nodes)
    delta = np.empty_like(codebook)
    squares = np.empty_like(codebook)
    ones = np.ones(n_features)
    step_to_row = np.asarray(order).tolist()
    radii = np.asarray(radii, dtype=np.float64).tolist()
    rates = np.asarray(rates, dtype=np.float64).tolist()
    for step, row in enumerate(step_to_row):
        x = X[row]
        # x - w serves the distances now and the update below.
        np.subtract(x, codebook, out=delta)
        if masked:
            observed = x == x
            if not observed.all():
                delta[:, ~observed] = 0.0
            present = np.where(observed, feature_weights, 0.0)
        np.square(delta, out=squares)
        np.matmul(squares, present if masked else ones, out=scores)
        bmu = int(scores.argmin())
        hits[bmu] += 1
        if with_metrics and masked:
            abs_error += float(np.abs(delta[bmu]) @ present) / float(present.sum())
            sq_distance += float(scores[bmu]) * total_count / float(count_weights[observed].sum())
        elif with_metrics:
            abs_error += float(np.abs(delta[bmu]).mean())
            sq_distance += float(scores[bmu])
        if with_metrics and n_nodes > 1:
            scores[bmu] = np.inf
            if int(scores.argmin()) not in neighbours[bmu]:
                te += 1
        radius, rate = radii[step], rates[step]
        if radius <= 0.0:  # every kernel's limit: the winner only
            codebook[bmu] += rate * delta[bmu]
            continue
        # The nodes to update: whole lattice rows around the winner's when they are few (flat rows
        # only: a wrapped range would split), else every node.
        span = int(rows_per_radius * radius) + 1
        lo, hi = 0, n_nodes
        if not lattice.wraps_y and 2 * span + 1 < n_rows_lattice // 2:
            r = row_of[bmu]
            lo, hi = max(0, r - span) * n_cols, min(n_rows_lattice, r + span + 1) * n_cols
        h = weights[lo:hi]
        if minus_half_sq is not None:
            np.multiply(minus_half_sq[bmu, lo:hi], 1.0 / (radius * radius), out=h)
            np.exp(h, out=h)
        else:
            dist = distances[bmu, lo:hi] if dense else lattice.distances_from(bmu)[lo:hi]
            h[:] = function(dist, radius)
        h *= rate
        moved = delta[lo:hi]
        moved *= h[:, None]
        codebook[lo:hi] += moved
    return hits, abs_error, sq_distance, te


def _compiled_epoch():
    """The numba epoch (the ``online`` extra), or None."""
    from .engine import numba_kernels

    kernels = numba_kernels()
    return kernels.online_epoch if kernels is not None else None


def online_epoch(
    X,
    codebook,
    order,
    radii,
    rates,
    lattice,
    neighborhood,
    use_numba=None,
    with_metrics=False,
    feature_weights=None,
    count_weights=None,
):
    """One pass of the sequential Kohonen rule, in place on ``codebook``.

    For each row (in ``order``): find its BMU ``b``, then
    ``w_j += rate * h(d(j, b), radius) * (x - w_j)`` for every node ``j`` within reach of ``b``
    (:data:`REACH`). Compiled with numba when available (the ``online`` extra), otherwise the same
    rule vectorised over nodes in numpy (slower, identical maths).

    ``feature_weights`` (one per column; ``count_weights`` default to them) switch to the masked
    rule: rows may have missing cells (NaN), whose features the row neither measures nor moves, and
    squared differences are weighted (see :class:`somnium.engine.TrainingData`).

    Returns
    -------
    EpochStatistics
        Hits, and with ``with_metrics`` the error terms collected as each row was visited, against the
        codebook of that moment (NaN without: ``fit_online`` measures the map with a batch pass after
        the epoch, so its epochs skip the second BMU and the errors).
    """
    epoch = _compiled_epoch() if use_numba in (None, True) else None
    if use_numba is True and epoch is None:
        raise ImportError("numba is not installed: pip install numba (or Somnium's 'online' extra).")
    masked = feature_weights is not None
    n_features = codebook.shape[1]
    if masked:
        feature_weights = np.asarray(feature_weights, dtype=np.float64)
        count_weights = feature_weights if count_weights is None else np.asarray(count_weights, np.float64)
    if epoch is not None:
        offsets = np.asarray(lattice.row_offsets(), dtype=np.float64)
        unique_offsets, shift_ids = np.unique(offsets, return_inverse=True)
        unit = np.ones(n_features)
        hits, abs_error, sq_distance, te = epoch(
            np.ascontiguousarray(X, dtype=np.float64),
            codebook,
            np.asarray(order, dtype=np.int64),
            np.asarray(radii, dtype=np.float64),
            np.asarray(rates, dtype=np.float64),
            _KERNEL_IDS[neighborhood],
            REACH[neighborhood],
            offsets,
            shift_ids.astype(np.int64),
            unique_offsets,
            float(lattice.row_height),
            lattice.cols,
            float(lattice.period_x or 0.0),
            float(lattice.period_y or 0.0),
            bool(lattice.twisted),
            np.asarray(lattice.neighbors),
            bool(with_metrics),
            masked,
            feature_weights if masked else unit,
            count_weights if masked else unit,
            float(count_weights.sum()) if masked else float(n_features),
        )
    else:
        hits, abs_error, sq_distance, te = _online_epoch_numpy(
            X,
            codebook,
            order,
            radii,
            rates,
            lattice,
            neighborhood,
            with_metrics,
            feature_weights,
            count_weights,
        )
    if not with_metrics:
        abs_error = sq_distance = te = np.nan
    return EpochStatistics(len(order), hits, np.zeros_like(codebook), abs_error, sq_distance, float(te))
