"""Independent reference implementations used by the tests.

Written from the definitions, not from the package's code: lattice
distances by brute force over periodic images of raw cell centres, BMUs by
exhaustive search, and one batch epoch with a dense kernel.
"""

import math

import numpy as np

SQRT3_2 = math.sqrt(3) / 2


def cell_centres(rows, cols, name, shifted_rows="even"):
    """Cell centres, row-major; hexagonal maps shift the even (default) or the odd rows by half a cell."""
    hexagonal = name.endswith("hexa")
    shifted_parity = 0 if shifted_rows == "even" else 1
    centres = []
    for r in range(rows):
        for c in range(cols):
            x = c + (0.5 if hexagonal and r % 2 == shifted_parity else 0.0)
            y = r * (SQRT3_2 if hexagonal else 1.0)
            centres.append((x, y))
    return np.array(centres)


def translations(rows, cols, name, shifted_rows="even"):
    """Periodic translation vectors of the map (empty for flat maps)."""
    hexagonal = name.endswith("hexa")
    height = rows * (SQRT3_2 if hexagonal else 1.0)
    vectors = []
    if name.startswith(("toroidal", "cylindrical")):
        vectors.append((cols, 0.0))
    if name.startswith("toroidal"):
        # With odd rows shifted (Somnium's files of format <= 2), a hexagonal torus with an odd row
        # count closes with a half-cell twist; with even rows shifted it wraps plainly, as the original.
        twist = 0.5 if hexagonal and rows % 2 and shifted_rows == "odd" else 0.0
        vectors.append((twist, height))
    return vectors


def brute_distances(rows, cols, name, shifted_rows="even"):
    """Minimum distance over periodic images, by enumerating images in a window."""
    p = cell_centres(rows, cols, name, shifted_rows)
    vectors = translations(rows, cols, name, shifted_rows)
    shifts = [(0.0, 0.0)]
    if len(vectors) == 1:
        shifts = [(k * vectors[0][0], k * vectors[0][1]) for k in range(-2, 3)]
    elif len(vectors) == 2:
        shifts = [
            (a * vectors[0][0] + b * vectors[1][0], a * vectors[0][1] + b * vectors[1][1])
            for a in range(-2, 3)
            for b in range(-2, 3)
        ]
    diff = p[:, None, :] - p[None, :, :]
    best = np.full(diff.shape[:2], np.inf)
    for sx, sy in shifts:
        best = np.minimum(best, np.hypot(diff[..., 0] + sx, diff[..., 1] + sy))
    return best


def kernel_value(name, d, r):
    if name == "gaussian":
        return np.exp(-(d**2) / (2 * r**2))
    if name == "bubble":
        return (d <= r + 1e-9).astype(float)
    if name == "cut_gaussian":
        return np.exp(-(d**2) / (2 * r**2)) * (d <= r + 1e-9)
    if name == "mexican_hat":
        return (1 - d**2 / r**2) * np.exp(-(d**2) / (2 * r**2))
    if name == "epanechicov":
        return np.maximum(0.0, 1 - d**2 / r**2)
    raise KeyError(name)


def brute_bmus(X, W):
    d = ((X[:, None, :] - W[None, :, :]) ** 2).sum(axis=2)
    order = np.argsort(d, axis=1, kind="stable")
    return order[:, 0], order[:, 1], d


def original_neighbor_sets(rows, cols, name):
    """Neighbour sets of every node as the original Somnium (ivallesp/somnium) defines them.

    Re-derived from its definitions, independently of Somnium's Lattice: its hexagonal
    coordinates put row ``i`` at height ``i * sqrt(3)/2`` and column ``j`` at
    ``j + 1/2 + (1/2 if i is even)`` (even rows shifted); a wrapping axis wraps by the coordinate
    extent plus one step (per axis, independently); two distinct units are neighbours when their
    Euclidean distance is at most ``1 + 1e-6``.
    """
    hexagonal = name.endswith("hexa")
    along_rows, along_cols = [], []
    for i in range(rows):
        for j in range(cols):
            if hexagonal:
                along_rows.append(i * math.sqrt(3) / 2)
                along_cols.append(j + 0.5 + (0.5 if (i + 1) % 2 else 0.0))
            else:
                along_rows.append(float(i))
                along_cols.append(float(j))
    along_rows, along_cols = np.array(along_rows), np.array(along_cols)

    def extent(values):
        distinct = np.unique(np.round(values, 10))
        step = np.min(np.diff(distinct)) if len(distinct) > 1 else 1.0
        return values.max() - values.min() + step

    wrap_rows = name.startswith("toroidal")
    wrap_cols = name.startswith(("toroidal", "cylindrical"))
    d_rows = np.abs(along_rows[:, None] - along_rows[None, :])
    d_cols = np.abs(along_cols[:, None] - along_cols[None, :])
    if wrap_rows:
        d_rows = np.minimum(d_rows, extent(along_rows) - d_rows)
    if wrap_cols:
        d_cols = np.minimum(d_cols, extent(along_cols) - d_cols)
    close = np.hypot(d_rows, d_cols) <= 1 + 1e-6
    np.fill_diagonal(close, False)
    return [sorted(np.flatnonzero(row).tolist()) for row in close]


def dense_batch_epoch(X, W, rows, cols, lattice_name, neighborhood, radius):
    bmu, _, _ = brute_bmus(X, W)
    M = W.shape[0]
    hits = np.zeros(M)
    sums = np.zeros_like(W)
    for i, b in enumerate(bmu):
        hits[b] += 1
        sums[b] += X[i]
    H = kernel_value(neighborhood, brute_distances(rows, cols, lattice_name), radius)
    num, den = H @ sums, H @ hits
    new = W.copy()
    ok = den > 0
    new[ok] = num[ok] / den[ok, None]
    return new
