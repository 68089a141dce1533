"""The distribution of BMU distances: one owner for what a fit keeps of them, and how it adds up.

A measuring pass (:func:`somnium.engine.epoch_statistics` with metrics) gives, per row, the
Euclidean distance to its BMU in the normalised space.  What the fitted model keeps of them:

- :class:`DistanceSketch`: a log-spaced histogram (the DDSketch of Masson, Rim and Lee 2019 with a
  dense store).  Bucket ``k`` holds the distances in ``(gamma^(k-1), gamma^k]`` with
  ``gamma = (1 + a) / (1 - a)``, ``a = RELATIVE_ACCURACY``; every quantile it returns is within
  ``a`` (0.5%) of the exact one, relatively.  Sketches add (``+``): blocks of a pass and
  partitions of a Dask pass sum to the sketch of all their rows, in any order.  Its size is
  bounded by the span of the distances (about 460 buckets per decade), whatever the row count.
- :class:`DistanceDistribution`: the sketch plus, when the pass held every row's distance (an
  in-memory fit), the exact quantiles on the fixed grid :data:`QUANTILE_GRID` (numpy's default
  linear interpolation), of the distances and of the node-relative distances.

Per node, the pass also sums the distances and their squares; :func:`node_scale` turns them into
each node's distance scale (the relative score's denominator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "MIN_DISTANCE",
    "PRIOR_ROWS",
    "QUANTILE_GRID",
    "RELATIVE_ACCURACY",
    "SKETCH_INDICES",
    "DistanceDistribution",
    "DistanceSketch",
    "node_scale",
]

#: Relative accuracy of every quantile a :class:`DistanceSketch` returns.
RELATIVE_ACCURACY = 0.005
_GAMMA = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)
#: Distances below this count as zero (the sketch returns 0 for them).
MIN_DISTANCE = 1e-12
#: First and last bucket a sketch may hold: from MIN_DISTANCE to the largest float (bounded storage).
SKETCH_INDICES = (
    math.ceil(math.log(MIN_DISTANCE) / _LOG_GAMMA),
    math.ceil(math.log(np.finfo(np.float64).max) / _LOG_GAMMA),
)
#: Probabilities at which an in-memory fit keeps the exact quantiles: 0.01 steps to 0.9, then
#: 0.001 to 0.99, 0.0001 to 0.999 and 0.00001 to 1 (the tail, where thresholds are chosen).
QUANTILE_GRID = np.unique(
    np.round(
        np.concatenate(
            [
                np.arange(0, 90) / 100,
                0.9 + np.arange(0, 90) / 1000,
                0.99 + np.arange(0, 90) / 10000,
                0.999 + np.arange(0, 100) / 100000,
                [1.0],
            ]
        ),
        10,
    )
)
#: Pseudo-rows at the whole map's scale added to every node's own (see :func:`node_scale`).
PRIOR_ROWS = 4.0


@dataclass(frozen=True)
class DistanceSketch:
    """Counts of distances in log-spaced buckets; ``+`` merges two sketches exactly.

    Attributes
    ----------
    offset : int
        Bucket index of ``counts[0]``.
    counts : ndarray of int64
        Distances per bucket ``offset, offset + 1, ...``.
    zeros : int
        Distances below :data:`MIN_DISTANCE`.
    """

    offset: int
    counts: np.ndarray
    zeros: int = 0

    @classmethod
    def empty(cls) -> DistanceSketch:
        return cls(0, np.zeros(0, dtype=np.int64), 0)

    @classmethod
    def of(cls, distances) -> DistanceSketch:
        """The sketch of non-negative finite ``distances``."""
        distances = np.asarray(distances, dtype=np.float64).ravel()
        small = distances < MIN_DISTANCE
        zeros = int(np.count_nonzero(small))
        if zeros:
            distances = distances[~small]
        if distances.size == 0:
            return cls(0, np.zeros(0, dtype=np.int64), zeros)
        index = np.ceil(np.log(distances) / _LOG_GAMMA).astype(np.int64)
        low = int(index.min())
        return cls(low, np.bincount(index - low).astype(np.int64), zeros)

    @property
    def n(self) -> int:
        return int(self.counts.sum()) + self.zeros

    def __add__(self, other: DistanceSketch) -> DistanceSketch:
        if other.counts.size == 0:
            return DistanceSketch(self.offset, self.counts, self.zeros + other.zeros)
        if self.counts.size == 0:
            return DistanceSketch(other.offset, other.counts, self.zeros + other.zeros)
        low = min(self.offset, other.offset)
        high = max(self.offset + self.counts.size, other.offset + other.counts.size)
        counts = np.zeros(high - low, dtype=np.int64)
        counts[self.offset - low : self.offset - low + self.counts.size] += self.counts
        counts[other.offset - low : other.offset - low + other.counts.size] += other.counts
        return DistanceSketch(low, counts, self.zeros + other.zeros)

    def _order_statistics(self, ranks: np.ndarray) -> np.ndarray:
        """Estimates of the sorted distances at 0-based ``ranks`` (each within the relative accuracy)."""
        cumulative = np.cumsum(self.counts) + self.zeros
        bucket = np.searchsorted(cumulative, ranks, side="right")
        values = 2.0 * _GAMMA ** (self.offset + bucket.astype(np.float64)) / (_GAMMA + 1.0)
        return np.where(ranks < self.zeros, 0.0, values)

    def quantile(self, q) -> np.ndarray | float:
        """Distance at quantile ``q`` (scalar or array in [0, 1]), as ``np.quantile`` would give, within
        :data:`RELATIVE_ACCURACY`: the two order statistics numpy interpolates between are each estimated."""
        n = self.n
        if n == 0:
            raise ValueError("The sketch holds no distances.")
        q = np.asarray(q, dtype=np.float64)
        position = q * (n - 1)
        below = np.floor(position)
        fraction = position - below
        above = np.minimum(below + 1, n - 1)
        low, high = self._order_statistics(below), self._order_statistics(above)
        result = low + fraction * (high - low)
        return float(result) if result.ndim == 0 else result


def grid_quantiles(values, grid) -> np.ndarray:
    """``np.quantile(values, grid)`` (its default, linear method, to the bit) from one sort.

    ``np.quantile`` partitions around two points per probability; for a grid of hundreds of them one
    sort is faster (0.6 against 1.0 ms on 20,000 values).
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64), axis=None)
    last = ordered.size - 1
    position = np.asarray(grid, dtype=np.float64) * last
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, last)
    t = position - below
    low, high = ordered[below], ordered[above]
    # numpy's lerp: from the nearer end, so the result stays within [low, high]
    step = high - low
    return np.where(t >= 0.5, high - step * (1.0 - t), low + step * t)


@dataclass(frozen=True)
class DistanceDistribution:
    """What a fitted model keeps of its training rows' BMU distances.

    Attributes
    ----------
    sketch : DistanceSketch
        Every training row's distance (mergeable; kept by Dask fits too).
    quantiles : ndarray or None
        Exact distances at :data:`QUANTILE_GRID` (in-memory fits only).
    relative_quantiles : ndarray or None
        Exact node-relative distances (:func:`node_scale`) at :data:`QUANTILE_GRID` (in-memory fits only).
    """

    sketch: DistanceSketch
    quantiles: np.ndarray | None = None
    relative_quantiles: np.ndarray | None = None
    grid: np.ndarray = field(default_factory=lambda: QUANTILE_GRID, repr=False)

    @classmethod
    def of_rows(cls, sketch, distances, relative) -> DistanceDistribution:
        """The distribution with the exact grid of every row's ``distances`` and ``relative`` distances."""
        grid = QUANTILE_GRID
        return cls(sketch, grid_quantiles(distances, grid), grid_quantiles(relative, grid), grid)

    @property
    def n(self) -> int:
        return self.sketch.n

    def quantile(self, q: float, relative: bool = False) -> float:
        """The distance (node-relative with ``relative``) at training quantile ``q``.

        Exact at the grid's probabilities, linearly interpolated between them; without the grid (a Dask
        fit) the sketch's estimate, within :data:`RELATIVE_ACCURACY`.  None when unknown (the relative
        distances of a Dask fit).
        """
        values = self.relative_quantiles if relative else self.quantiles
        if values is None:
            return None if relative else self.sketch.quantile(q)
        return float(np.interp(q, self.grid, values))


def node_scale(hits, sq_distance, prior_rows: float = PRIOR_ROWS) -> np.ndarray:
    """Each node's distance scale: the root mean square distance of its training rows, shrunk to the map's.

    ``sqrt((S_j + k s^2) / (n_j + k))`` with ``S_j`` the node's sum of squared distances, ``n_j`` its rows,
    ``s^2`` the whole map's mean squared distance and ``k = prior_rows``: a node with many rows gets its
    own scale, one with few rows (whose own estimate is noise) leans on the map's, an empty node gets the
    map's.  Never zero while any training row is off its prototype.
    """
    hits = np.asarray(hits, dtype=np.float64)
    sq_distance = np.asarray(sq_distance, dtype=np.float64)
    total = hits.sum()
    overall = sq_distance.sum() / total if total > 0 else 0.0
    scale = np.sqrt((sq_distance + prior_rows * overall) / (hits + prior_rows))
    # A map that fits every row exactly: any distance is then infinitely surprising; keep it finite.
    return np.where(scale > 0, scale, MIN_DISTANCE)
