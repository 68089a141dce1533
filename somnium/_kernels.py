"""numba kernels of the engine (the ``online`` extra); imported only through :func:`somnium.engine.numba_kernels`.

Every kernel computes exactly what its numpy twin in :mod:`somnium.engine` / :mod:`somnium._online`
computes (same comparisons, same tie rules, float64 statistics); the tests run both.

Batch tiles are transposed here (``nodes x rows``), so the per-row running minimum, second and third
values vectorise across rows with no horizontal reduction; the GEMM writes that layout directly.
"""

from __future__ import annotations

import numba
import numpy as np

# nogil: the engine's thread pool runs these concurrently; cache: no compile after the first run.
_JIT = dict(nogil=True, cache=True, boundscheck=False)


@numba.njit(**_JIT)
def tile_argmin(tile, bmu, start):
    """``bmu[start + r] = argmin_j tile[j, r]`` (first index on ties, as ``np.argmin``)."""
    n_nodes, n_rows = tile.shape
    best = np.full(n_rows, np.inf, dtype=tile.dtype)
    index = np.zeros(n_rows, dtype=np.int32)
    # Four nodes per sweep over the rows keep the running state in registers between them; selects,
    # not branches, so the loop over rows vectorises.
    stop = n_nodes - n_nodes % 4
    for j in range(0, stop, 4):
        for r in range(n_rows):
            b = best[r]
            i = index[r]
            for k in range(4):
                v = tile[j + k, r]
                lower = v < b
                b = v if lower else b
                i = np.int32(j + k) if lower else i
            best[r] = b
            index[r] = i
    for j in range(stop, n_nodes):
        for r in range(n_rows):
            v = tile[j, r]
            lower = v < best[r]
            best[r] = v if lower else best[r]
            index[r] = np.int32(j) if lower else index[r]
    for r in range(n_rows):
        bmu[start + r] = index[r]


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _abs_square(x, w):
    """``(sum |x - w|, sum (x - w)^2)`` in float64, in four interleaved partial sums (independent
    add chains, several times faster than one; the one order every kernel sums a row's error in)."""
    n = x.shape[0]
    a0 = a1 = a2 = a3 = 0.0
    s0 = s1 = s2 = s3 = 0.0
    stop = n - n % 4
    for f in range(0, stop, 4):
        t0 = x[f] - w[f]
        t1 = x[f + 1] - w[f + 1]
        t2 = x[f + 2] - w[f + 2]
        t3 = x[f + 3] - w[f + 3]
        a0 += abs(t0)
        a1 += abs(t1)
        a2 += abs(t2)
        a3 += abs(t3)
        s0 += t0 * t0
        s1 += t1 * t1
        s2 += t2 * t2
        s3 += t3 * t3
    for f in range(stop, n):
        t = x[f] - w[f]
        a0 += abs(t)
        s0 += t * t
    return (a0 + a1) + (a2 + a3), (s0 + s1) + (s2 + s3)


@numba.njit(**_JIT)
def tile_argmin_distance(tile, X, row0, codebook, bmu, distance, start):
    """:func:`tile_argmin`, then each row's Euclidean distance to its BMU into ``distance[row0 + r]``
    (float64 from the rows and the codebook, squares summed as :func:`tile_top2` sums them)."""
    tile_argmin(tile, bmu, start)
    for r in range(tile.shape[1]):
        distance[row0 + r] = np.sqrt(_abs_square(X[row0 + r], codebook[bmu[start + r]])[1])


@numba.njit(**_JIT)
def tile_top2(tile, X, row0, codebook, neighbors, bmu, row_abs, row_sq, start):
    """BMU, error terms and topographic errors of one transposed distance tile, in one sweep.

    The sweep keeps, per row, the two smallest values and their nodes with selects (so it vectorises
    over rows): a node replaces the first when strictly smaller, else the second when strictly
    smaller, so among equal values the lower index wins at each place, exactly as ``argmin`` and then
    ``argmin`` again with the first masked. Errors are float64 from the data and the float64 codebook.

    Returns the number of rows whose second BMU is not a lattice neighbour of the first.
    """
    n_nodes, n_rows = tile.shape
    n_features = X.shape[1]
    b1 = np.full(n_rows, np.inf, dtype=tile.dtype)
    b2 = np.full(n_rows, np.inf, dtype=tile.dtype)
    i1 = np.zeros(n_rows, dtype=np.int32)
    i2 = np.full(n_rows, -1, dtype=np.int32)
    # Four nodes per sweep over the rows keep the running state in registers between them.
    stop = n_nodes - n_nodes % 4
    for j in range(0, stop, 4):
        for r in range(n_rows):
            low1 = b1[r]
            low2 = b2[r]
            first = i1[r]
            second = i2[r]
            for k in range(4):
                v = tile[j + k, r]
                node = np.int32(j + k)
                lower1 = v < low1
                lower2 = v < low2
                second = first if lower1 else (node if lower2 else second)
                first = node if lower1 else first
                # the values by min/max (the same values as the selects, a fifth fewer cycles)
                low2 = min(low2, max(low1, v))
                low1 = min(low1, v)
            b1[r] = low1
            b2[r] = low2
            i1[r] = first
            i2[r] = second
    for j in range(stop, n_nodes):
        for r in range(n_rows):
            v = tile[j, r]
            node = np.int32(j)
            lower1 = v < b1[r]
            lower2 = v < b2[r]
            i2[r] = i1[r] if lower1 else (node if lower2 else i2[r])
            i1[r] = node if lower1 else i1[r]
            b2[r] = min(b2[r], max(b1[r], v))
            b1[r] = min(b1[r], v)
    errors = 0
    for r in range(n_rows):
        first = i1[r]
        bmu[start + r] = first
        absolute, square = _abs_square(X[row0 + r], codebook[first])
        row_abs[start + r] = absolute / n_features
        row_sq[start + r] = square
        if n_nodes < 2:
            continue
        adjacent = False
        for k in range(neighbors.shape[1]):
            adjacent |= neighbors[first, k] == i2[r]
        if not adjacent:
            errors += 1
    return errors


@numba.njit(**_JIT)
def node_sums(X, row0, n_rows, bmu, start, hits, sums):
    """``hits[b] += 1`` and ``sums[b] += x`` for each row in order (the order ``np.bincount`` adds in)."""
    n_features = X.shape[1]
    for r in range(n_rows):
        b = bmu[start + r]
        hits[b] += 1.0
        x = X[row0 + r]
        s = sums[b]
        for f in range(n_features):
            s[f] += x[f]


# ------------------------------------------- missing cells and feature weights (the masked path)
@numba.njit(**_JIT)
def centred_rows(X, row0, center, out):
    """``out[r] = [x - c (0 where x is missing), 1]`` for rows ``row0 ..`` of ``X`` (the GEMM's left side)."""
    n_rows, n_features = out.shape[0], X.shape[1]
    for r in range(n_rows):
        x = X[row0 + r]
        o = out[r]
        for f in range(n_features):
            v = x[f] - center[f]
            o[f] = v if v == v else 0.0
        o[n_features] = 1.0


@numba.njit(**_JIT)
def _missing_cells(X, row0, n_rows):
    """The tile's missing cells as row starts and feature indices (CSR), one scan of its rows."""
    n_features = X.shape[1]
    starts = np.zeros(n_rows + 1, dtype=np.int64)
    count = 0
    for r in range(n_rows):
        x = X[row0 + r]
        for f in range(n_features):
            if x[f] != x[f]:
                count += 1
        starts[r + 1] = count
    features = np.empty(count, dtype=np.int64)
    k = 0
    for r in range(n_rows):
        x = X[row0 + r]
        for f in range(n_features):
            if x[f] != x[f]:
                features[k] = f
                k += 1
    return starts, features


@numba.njit(**_JIT)
def tile_missing_squares(tile, X, row0, squares):
    """``tile[r] -= squares[t]`` for every missing cell ``(r, t)`` of rows ``row0 ..`` of ``X``.

    ``tile`` is a row-major ``rows x nodes`` tile of the plain GEMM over ``[x - c (0 where missing), 1]``;
    ``squares[t]`` is feature ``t``'s ``v_t (w_t - c_t)^2`` for every node: what the plain GEMM added for
    a cell the row does not have.  Each subtraction runs along a contiguous row (it vectorises):
    about ``0.1 D M`` operations per row at 10% missing, a third of the GEMM's time.
    """
    n_rows = tile.shape[0]
    starts, features = _missing_cells(X, row0, n_rows)
    for r in range(n_rows):
        row = tile[r]
        for k in range(starts[r], starts[r + 1]):
            square = squares[features[k]]
            for j in range(row.shape[0]):
                row[j] -= square[j]


@numba.njit(**_JIT)
def masked_row_errors(X, row0, codebook, bmu, weights, counts, total, row_abs, row_sq):
    """Per row of the tile: the ``weights``-weighted mean absolute error over its observed cells, and its
    weighted squared distance scaled by ``total / (its observed count weights)`` (the numpy twin:
    :func:`somnium.engine._masked_row_errors`)."""
    n_features = X.shape[1]
    for r in range(bmu.shape[0]):
        x = X[row0 + r]
        w = codebook[bmu[r]]
        absolute = 0.0
        square = 0.0
        observed = 0.0
        counted = 0.0
        for f in range(n_features):
            xf = x[f]
            if xf == xf:
                t = xf - w[f]
                absolute += weights[f] * abs(t)
                square += weights[f] * t * t
                observed += weights[f]
                counted += counts[f]
        row_abs[r] = absolute / observed
        row_sq[r] = square * (total / counted)


@numba.njit(**_JIT)
def node_sums_observed(X, row0, n_rows, bmu, hits, sums, counts):
    """``hits[b] += 1``, and ``sums[b, f] += x_f`` and ``counts[b, f] += 1`` for each observed cell."""
    n_features = X.shape[1]
    for r in range(n_rows):
        b = bmu[r]
        hits[b] += 1.0
        x = X[row0 + r]
        s = sums[b]
        c = counts[b]
        for f in range(n_features):
            xf = x[f]
            if xf == xf:
                s[f] += xf
                c[f] += 1.0


# ------------------------------------------------------------------ online
GAUSSIAN, BUBBLE, CUT_GAUSSIAN, MEXICAN_HAT, EPANECHICOV = 0, 1, 2, 3, 4
_EDGE = 1.0 + 1e-9


@numba.njit(cache=True)
def _nearest(delta, period):
    return delta - period * np.round(delta / period)


@numba.njit(cache=True)
def _twisted_d2(dx, dy, period_x, period_y):
    """Squared minimum-image distance on a hexagonal torus closed with a half-cell twist."""
    best = np.inf
    for k in (-1.0, 0.0, 1.0):
        cdx = _nearest(dx + 0.5 * k, period_x)
        cdy = dy + k * period_y
        d2 = cdx * cdx + cdy * cdy
        if d2 < best:
            best = d2
    return best


@numba.njit(cache=True)
def _weight(kernel_id, d2, gauss, radius):
    """Kernel value at squared distance ``d2`` (``gauss`` = ``exp(-d2 / 2 r^2)`` where needed)."""
    if kernel_id == GAUSSIAN:
        return gauss
    q = d2 / (radius * radius)
    if kernel_id == BUBBLE:
        return 1.0 if d2 <= (radius * _EDGE) ** 2 else 0.0
    if kernel_id == CUT_GAUSSIAN:
        return gauss if d2 <= (radius * _EDGE) ** 2 else 0.0
    if kernel_id == MEXICAN_HAT:
        return (1.0 - q) * gauss
    return max(0.0, 1.0 - q)


#: One exponential in this many comes from ``exp`` itself in :func:`_gaussians` (the rest from the recurrence).
_ANCHOR = 16


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _gaussians(out, first, count, direction, d0, step, inv, ratio):
    """``out[first + direction * k] = exp(-(d0 + k step)^2 inv)`` for ``k < count`` (``d0 >= 0``).

    By the recurrence ``g(d + step) = g(d) q(d)``, ``q(d) = exp(-(2 d step + step^2) inv)``,
    ``q(d + step) = q(d) ratio`` with ``ratio = exp(-2 step^2 inv)``: two multiplications per value
    instead of an ``exp`` (4 ns each, ~60 per row on a 20 x 20 map), restarted from ``exp`` every
    :data:`_ANCHOR` values so the rounding stays below ~1e-13 relative.  Going outward from ``d0 >= 0``
    every factor is at most 1: nothing overflows.
    """
    g = q = 0.0
    for k in range(count):
        if k % _ANCHOR == 0:
            d = d0 + k * step
            g = np.exp(-d * d * inv)
            q = np.exp(-(2.0 * d * step + step * step) * inv)
        out[first + direction * k] = g
        g *= q
        q *= ratio


_LANES = 8


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _argmin(values, lane_value, lane_index):
    """``(argmin, min)`` of ``values``, first index on ties: eight interleaved running minima (they
    vectorise), then the lowest index among the lanes holding the minimum."""
    n = values.shape[0]
    for lane in range(_LANES):
        lane_value[lane] = np.inf
        lane_index[lane] = n
    stop = n - n % _LANES
    for j in range(0, stop, _LANES):
        for lane in range(_LANES):
            v = values[j + lane]
            lower = v < lane_value[lane]
            lane_value[lane] = v if lower else lane_value[lane]
            lane_index[lane] = j + lane if lower else lane_index[lane]
    best, best_value = n, np.inf
    for lane in range(_LANES):
        v = lane_value[lane]
        if v < best_value or (v == best_value and lane_index[lane] < best):
            best, best_value = lane_index[lane], v
    for j in range(stop, n):
        if values[j] < best_value:
            best, best_value = j, values[j]
    if best == n:  # every value NaN or infinite: as np.argmin of all-equal values
        best, best_value = 0, values[0]
    return best, best_value


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _update(WT, x, weights, lo, hi):
    """``w_j += weights[j - lo] (x - w_j)`` for nodes ``lo .. hi - 1`` of the transposed codebook (a
    missing cell, NaN, moves nothing)."""
    for f in range(WT.shape[0]):
        xf = x[f]
        if xf != xf:
            continue
        segment = WT[f, lo:hi]
        for k in range(segment.shape[0]):
            segment[k] += weights[k] * (xf - segment[k])


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _sweep(WT, x, dist, lo, hi):
    """``dist[j] = sum_f (x_f - w_jf)^2`` for nodes ``lo .. hi - 1`` (no missing cells), four features per
    pass over the nodes (added one after the other, as a plain loop over the features would): a quarter of
    the loads and stores of the running sums."""
    n_features = WT.shape[0]
    d = dist[lo:hi]
    for k in range(d.shape[0]):
        d[k] = 0.0
    stop = n_features - n_features % 4
    for f in range(0, stop, 4):
        x0, x1, x2, x3 = x[f], x[f + 1], x[f + 2], x[f + 3]
        c0, c1, c2, c3 = WT[f, lo:hi], WT[f + 1, lo:hi], WT[f + 2, lo:hi], WT[f + 3, lo:hi]
        for k in range(d.shape[0]):
            t0 = x0 - c0[k]
            t1 = x1 - c1[k]
            t2 = x2 - c2[k]
            t3 = x3 - c3[k]
            d[k] = d[k] + t0 * t0 + t1 * t1 + t2 * t2 + t3 * t3
    for f in range(stop, n_features):
        xf = x[f]
        column = WT[f, lo:hi]
        for k in range(d.shape[0]):
            t = xf - column[k]
            d[k] += t * t


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _update_sweep(WT, x, weights, lo, hi, following, dist):
    """:func:`_update` of nodes ``lo .. hi - 1`` (no missing cells) and :func:`_sweep` of the same nodes
    for the ``following`` row, in one pass over the prototypes: the same arithmetic (so the same bits)
    with a third fewer loads.  Two features per loop: with more arrays stored in it, LLVM no longer
    checks them for overlap and the loop stops vectorising.  Not inlined (nor are :func:`_update` and
    :func:`_sweep`): compiled on its own its loop vectorises; inlined into the epoch it ran 2x slower."""
    d = dist[lo:hi]
    for k in range(d.shape[0]):
        d[k] = 0.0
    n_features = WT.shape[0]
    stop = n_features - n_features % 2
    for f in range(0, stop, 2):
        x0, x1 = x[f], x[f + 1]
        y0, y1 = following[f], following[f + 1]
        c0, c1 = WT[f, lo:hi], WT[f + 1, lo:hi]
        for k in range(d.shape[0]):
            h = weights[k]
            u0 = c0[k] + h * (x0 - c0[k])
            u1 = c1[k] + h * (x1 - c1[k])
            c0[k] = u0
            c1[k] = u1
            t0 = y0 - u0
            t1 = y1 - u1
            d[k] = d[k] + t0 * t0 + t1 * t1
    for f in range(stop, n_features):
        xf = x[f]
        yf = following[f]
        column = WT[f, lo:hi]
        for k in range(d.shape[0]):
            u = column[k] + weights[k] * (xf - column[k])
            column[k] = u
            t = yf - u
            d[k] += t * t


@numba.njit(**_JIT)
def online_epoch(
    X,
    codebook,
    order,
    radii,
    rates,
    kernel_id,
    reach,
    offsets,
    shift_ids,
    unique_offsets,
    row_height,
    n_cols,
    period_x,
    period_y,
    twisted,
    neighbors,
    with_metrics,
    masked,
    feature_weights,
    count_weights,
    total_count,
):
    """One sequential epoch in place on ``codebook`` (see :func:`somnium._online.online_epoch`).

    Per row: one sweep over the prototypes (kept transposed, ``features x nodes``, so the sweep and the
    update vectorise over nodes), the two best units, then the update of the nodes within
    ``reach * radius`` of the winner only, lattice row by lattice row. The Gaussian factors as
    ``exp(-dx^2/2r^2) exp(-dy^2/2r^2)``: one factor per row distance and per column and row offset,
    not one per node (except on the twisted torus, whose distance does not factor), most of them by
    :func:`_gaussians`' recurrence rather than ``exp`` (within ~1e-13 of it).  When the update covers
    whole lattice rows, the next row's distances to the moved nodes come out of the same pass
    (:func:`_update_sweep`).
    ``offsets`` are the lattice's row offsets, ``shift_ids`` index each row's offset in
    ``unique_offsets``.

    ``masked``: rows may hold missing cells (NaN) and ``feature_weights`` weigh the squared differences;
    a row's distances then sum over its observed cells only and its update leaves its missing cells'
    features alone (the metrics as :func:`masked_row_errors`).
    """
    n_nodes, n_features = codebook.shape
    n_rows_lattice = n_nodes // n_cols
    n_shifts = unique_offsets.shape[0]
    WT = np.ascontiguousarray(codebook.T)
    dist = np.empty(n_nodes)
    hits = np.zeros(n_nodes)
    # Per row offset s, per column c, at [s * n_cols + c]: the column factors and squared distances.
    flat_gx = np.empty(n_shifts * n_cols)
    flat_dx2 = np.empty(n_shifts * n_cols)
    widest = np.empty(n_shifts)
    lane_value = np.empty(_LANES)
    lane_index = np.empty(_LANES, dtype=np.int64)
    weights = np.empty(n_nodes)
    row_gauss = np.empty(n_rows_lattice + 1)  # the row factor by row distance |rr - rb|
    present = np.empty(n_features)
    abs_error = 0.0
    sq_distance = 0.0
    te = 0
    max_shift = 0.0
    for a in range(n_shifts):
        for b in range(n_shifts):
            max_shift = max(max_shift, abs(unique_offsets[a] - unique_offsets[b]))
    wrap_x = period_x > 0.0
    wrap_y = period_y > 0.0
    smooth = kernel_id in (GAUSSIAN, CUT_GAUSSIAN, MEXICAN_HAT)
    n_steps = order.shape[0]
    swept = False  # whether ``dist`` holds this row's distances already (swept with the last update)
    for step in range(n_steps):
        x = X[order[step]]
        observed_weight = 0.0
        observed_count = 0.0
        if not masked and not swept:
            _sweep(WT, x, dist, 0, n_nodes)
        swept = False
        if masked:
            for j in range(n_nodes):
                dist[j] = 0.0
            for f in range(n_features):
                xf = x[f]
                present[f] = feature_weights[f] if xf == xf else 0.0
                if xf == xf:
                    observed_weight += feature_weights[f]
                    observed_count += count_weights[f]
            for f in range(n_features):
                weight = present[f]
                if weight == 0.0:
                    continue
                xf = x[f]
                column = WT[f]
                for j in range(n_nodes):
                    t = xf - column[j]
                    dist[j] += weight * (t * t)
        best = 0
        best_d = np.inf
        if not with_metrics:
            best, best_d = _argmin(dist, lane_value, lane_index)
            hits[best] += 1
        else:
            second = -1
            second_d = np.inf
            for j in range(n_nodes):
                d = dist[j]
                if d < second_d:
                    if d < best_d:
                        second, second_d = best, best_d
                        best, best_d = j, d
                    else:
                        second, second_d = j, d
            hits[best] += 1
            e = 0.0
            if masked:
                for f in range(n_features):
                    if present[f] != 0.0:
                        e += present[f] * abs(x[f] - WT[f, best])
                abs_error += e / observed_weight
                sq_distance += best_d * (total_count / observed_count)
            else:
                for f in range(n_features):
                    e += abs(x[f] - WT[f, best])
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
        if radius <= 0.0:  # every kernel's limit: the winner only
            for f in range(n_features):
                if x[f] == x[f]:
                    WT[f, best] += rate * (x[f] - WT[f, best])
            continue
        cut = reach * radius
        cut2 = cut * cut
        inv = 1.0 / (2.0 * radius * radius)
        rb = best // n_cols
        cb = best % n_cols
        if twisted:
            bx = cb + offsets[rb]
            by = rb * row_height
            for j in range(n_nodes):
                r = j // n_cols
                c = j % n_cols
                d2 = _twisted_d2(c + offsets[r] - bx, r * row_height - by, period_x, period_y)
                if d2 > cut2:
                    continue
                h = rate * _weight(kernel_id, d2, np.exp(-d2 * inv), radius)
                if h != 0.0:
                    for f in range(n_features):
                        if x[f] == x[f]:
                            WT[f, j] += h * (x[f] - WT[f, j])
            continue
        # the recurrence's ratios (_gaussians) along a row and across rows
        col_ratio = np.exp(-2.0 * inv) if smooth else 0.0
        row_ratio = np.exp(-2.0 * row_height * row_height * inv) if smooth else 0.0
        # Columns within reach: a contiguous range on flat columns, the whole row when they wrap or when
        # the range is most of it (the nodes beyond reach then get weight 0, which moves none of them:
        # ``w + 0 (x - w)`` is ``w``; one long loop over whole rows is faster than many short ones).
        col_reach = int(np.floor(cut + max_shift)) + 1
        c_lo, c_hi = max(0, cb - col_reach), min(n_cols, cb + col_reach + 1)
        if wrap_x or 2 * (c_hi - c_lo) >= n_cols:
            c_lo, c_hi = 0, n_cols
        for s in range(n_shifts):
            shift = unique_offsets[s] - offsets[rb]
            f0 = s * n_cols
            wide = 0.0
            for c in range(c_lo, c_hi):
                dx = c - cb + shift
                if wrap_x:
                    dx = _nearest(dx, period_x)
                flat_dx2[f0 + c] = dx * dx
                wide = max(wide, dx * dx)
            widest[s] = wide
            if smooth and wrap_x:
                for c in range(c_lo, c_hi):
                    flat_gx[f0 + c] = np.exp(-flat_dx2[f0 + c] * inv)
            elif smooth:  # outward from the winner's column, both ways
                pivot = min(c_hi, max(c_lo, int(np.ceil(cb - shift))))
                _gaussians(flat_gx, f0 + pivot, c_hi - pivot, 1, pivot - cb + shift, 1.0, inv, col_ratio)
                _gaussians(
                    flat_gx, f0 + pivot - 1, pivot - c_lo, -1, cb - shift - (pivot - 1), 1.0, inv, col_ratio
                )
        # Rows within reach, each once (wrapped rows at their minimum image).
        row_reach = int(np.floor(cut / row_height)) + 1
        if wrap_y and 2 * row_reach + 1 < n_rows_lattice:
            first_row, last_row = rb - row_reach, rb + row_reach + 1
        elif wrap_y:
            first_row, last_row = 0, n_rows_lattice
        else:
            first_row, last_row = max(0, rb - row_reach), min(n_rows_lattice, rb + row_reach + 1)
        wrapped_rows = wrap_y and (last_row - first_row) == n_rows_lattice
        if smooth and not wrapped_rows:
            _gaussians(row_gauss, 0, min(row_reach, n_rows_lattice) + 1, 1, 0.0, row_height, inv, row_ratio)
        # Whole lattice rows in one unbroken node range: weights for all of them, then one update
        # with long loops; otherwise (partial rows, or rows wrapping at the seam) row by row.
        one_range = c_lo == 0 and c_hi == n_cols and first_row >= 0 and last_row <= n_rows_lattice
        # Per lattice row: no slices and no modulo (a view per row and an integer division cost more
        # than the row's weights on a 20 x 20 map); unsigned flat indices, which numba does not wrap.
        width = c_hi - c_lo
        for rr in range(first_row, last_row):
            r = rr - n_rows_lattice if rr >= n_rows_lattice else (rr + n_rows_lattice if rr < 0 else rr)
            w0 = np.uint64(r * n_cols + c_lo)  # rows leave 0 .. n - 1 only when they wrap, by under a period
            dy = (rr - rb) * row_height
            if wrapped_rows:
                dy = _nearest(dy, period_y)
            dy2 = dy * dy
            if dy2 > cut2:
                if one_range:
                    for k in range(width):
                        weights[w0 + np.uint64(k)] = 0.0
                continue
            gy = 0.0
            if smooth:
                gy = np.exp(-dy2 * inv) if wrapped_rows else row_gauss[abs(rr - rb)]
            s = shift_ids[r]
            f0 = np.uint64(s * n_cols + c_lo)
            if kernel_id == GAUSSIAN:
                g = rate * gy
                if widest[s] + dy2 <= cut2:  # the whole row within reach: no test per node
                    for k in range(width):
                        weights[w0 + np.uint64(k)] = g * flat_gx[f0 + np.uint64(k)]
                else:
                    for k in range(width):
                        i = f0 + np.uint64(k)
                        weights[w0 + np.uint64(k)] = g * flat_gx[i] if flat_dx2[i] + dy2 <= cut2 else 0.0
            else:
                for k in range(width):
                    i = f0 + np.uint64(k)
                    d2 = flat_dx2[i] + dy2
                    weights[w0 + np.uint64(k)] = (
                        rate * _weight(kernel_id, d2, flat_gx[i] * gy, radius) if d2 <= cut2 else 0.0
                    )
            if not one_range:
                lo = r * n_cols + c_lo
                _update(WT, x, weights[lo : lo + width], lo, lo + width)
        if one_range:
            lo, hi = first_row * n_cols, last_row * n_cols
            if masked or step + 1 == n_steps:
                _update(WT, x, weights[lo:hi], lo, hi)
            else:  # and the next row's distances, in the same pass over the nodes that moved
                following = X[order[step + 1]]
                _update_sweep(WT, x, weights[lo:hi], lo, hi, following, dist)
                _sweep(WT, following, dist, 0, lo)
                _sweep(WT, following, dist, hi, n_nodes)
                swept = True
    codebook[:] = WT.T
    if not with_metrics:
        return hits, np.nan, np.nan, -1
    return hits, abs_error, sq_distance, te
