"""Clustering a trained map into a few segments (Vesanto & Alhoniemi 2000).

The prototypes are clustered, not the rows: a map of ``M`` nodes summarises
the data, so grouping its prototypes is cheap and turns the micro-segments
(one node each) into macro-segments a user can name.

Two methods, both in the normalised space the map was trained in
(``model.normalized_codebook_``) and both weighted by the node hits:

``"ward"`` (SOM-Ward)
    Agglomerative Ward clustering in which only clusters that touch on the map
    may merge, so every segment is a connected region of the lattice (wrap-around
    included on toroidal and cylindrical maps).  Merging ``A`` and ``B`` costs
    the increase of the hit-weighted within-segment sum of squares::

        cost(A, B) = n_A n_B / (n_A + n_B) * ||c_A - c_B||^2

    with ``n`` the summed node weights and ``c`` the weighted mean prototype.
    The merges form one tree, so the segmentations for every ``k`` are nested.
    With ``contiguous=False`` this is scipy's unconstrained Ward linkage of the
    prototypes of the nodes with hits (unweighted: every such node counts once;
    ``O(M^2)`` memory).
``"kmeans"``
    Lloyd's k-means (k-means++ seeding, at most 30 iterations, the best of ``n_init``
    runs; the rules of :func:`scipy.cluster.vq.kmeans2`) over the prototypes of the nodes with hits, each counted once.  With
    ``contiguous=True`` a contiguity repair follows (see :func:`cluster_map`).

Node weights
    A node's weight is its hit count.  A node with no hits gets
    ``EMPTY_NODE_WEIGHT`` times the mean hit count of the nodes that have hits:
    small enough not to move any centroid, non-zero so that the Ward cost is
    defined.  Unless ``allow_empty=True``, every merge that involves a cluster
    without hits comes before any merge of two clusters with hits (in Ward-cost
    order among themselves), so empty nodes join the neighbouring segment whose
    prototypes are closest and no segment is left without data.

Cost (``M`` nodes, ``d`` features, ``k`` segments)
    Contiguous Ward builds one merge tree in ``O(M log M)`` heap steps, whatever ``k``;
    unconstrained Ward is SciPy's linkage (``O(M^2)`` time and memory, hence at most
    :data:`MAX_UNCONSTRAINED_WARD_NODES` nodes with hits); k-means costs
    ``O(M k d)`` per iteration and per run (its k-means++ seeding too, see :func:`kmeans_plus_plus`).
    Scoring one ``k`` (Davies-Bouldin) costs ``O(M d + k^2 d)`` in bounded memory.  The automatic
    choice scores every ``k`` up to ``max_segments`` (cubic in it), hence :data:`MAX_SWEEP_SEGMENTS`.

Labels
    Segments are numbered ``0..k-1`` in the order of their first node
    (row-major): the segment that holds node 0 is segment 0, the segment that
    holds the lowest node not in segment 0 is segment 1, and so on.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_int, check_option
from .exceptions import ModelNotTrainedError, warn
from .lattice import neighbor_pairs

__all__ = [
    "EMPTY_NODE_WEIGHT",
    "METHODS",
    "ClusteringResult",
    "cluster_map",
    "davies_bouldin_index",
    "kmeans_plus_plus",
]

#: clustering methods accepted by :func:`cluster_map`
METHODS = ("ward", "kmeans")
#: weight of a node without hits, relative to the mean hits of the nodes that have some
EMPTY_NODE_WEIGHT = 1e-6
#: the largest k tried when ``n_segments=None`` (also capped at ceil(sqrt(n_nodes)))
MAX_AUTO_SEGMENTS = 20
#: the largest ``max_segments``: the automatic choice scores every k from 2 up, so its cost grows with
#: the cube of ``max_segments`` (see the module notes on cost)
MAX_SWEEP_SEGMENTS = 50
#: the most nodes unconstrained Ward links: SciPy's linkage holds all M (M - 1) / 2 distances
#: (0.4 GB and 20 s at 10,000 nodes, measured on a loaded 2-core machine)
MAX_UNCONSTRAINED_WARD_NODES = 10_000
#: values per block of the Davies-Bouldin separation and the k-means distances (bounds their memory: 32 MB)
DB_BLOCK_VALUES = 4_000_000
#: Lloyd iterations per k-means run (fewer when the assignment settles)
KMEANS_ITERATIONS = 30


@dataclass(frozen=True)
class ClusteringResult:
    """What :func:`cluster_map` found, returned with ``return_info=True``.

    Attributes
    ----------
    labels : ndarray of int64, shape (n_nodes,)
        Segment of every node, ``0..k-1`` numbered by first node (row-major).
    k : int
        Number of segments.
    method : str
        ``"ward"`` or ``"kmeans"``.
    contiguous : bool
        Whether segments were constrained to connected regions of the map.
    criterion : str
        How ``k`` is scored: ``"davies_bouldin"`` (lower is better).
    scores : dict of int to float
        Davies-Bouldin index for every ``k`` tried (only the chosen ``k`` when
        ``n_segments`` was given; NaN for ``k = 1``, where it is undefined).
    node_weights : ndarray of float64, shape (n_nodes,)
        The weight of every node (hits; see the module notes for empty nodes).
    merges : ndarray of float64, shape (n_merges, 4) or None
        Ward only: one row per merge in order, as in :func:`scipy.cluster.hierarchy.linkage`
        (cluster ids ``a``, ``b``, merge cost, number of nodes in the new
        cluster; clusters are numbered ``0..M-1`` for the nodes, then ``M + i``
        for the cluster made by merge ``i``).  For contiguous Ward the cost is the
        increase of the weighted sum of squares; for ``contiguous=False`` it is
        scipy's Ward distance over the nodes with hits (whose ids then refer to
        the nodes with hits, in order).
    """

    labels: np.ndarray
    k: int
    method: str
    contiguous: bool
    criterion: str
    scores: dict[int, float]
    node_weights: np.ndarray = field(repr=False)
    merges: np.ndarray | None = field(default=None, repr=False)

    @property
    def merge_costs(self) -> np.ndarray | None:
        """The cost (height) of each merge, in merge order (Ward only)."""
        return None if self.merges is None else self.merges[:, 2].copy()


def cluster_map(
    model,
    n_segments: int | None = None,
    method: str = "ward",
    contiguous: bool = True,
    *,
    X=None,
    hits=None,
    max_segments: int | None = None,
    allow_empty: bool = False,
    random_state=0,
    n_init: int = 4,
    return_info: bool = False,
):
    """Group the nodes of a trained map into ``n_segments`` segments.

    Parameters
    ----------
    model : SOM
        A fitted map; its normalised prototypes are clustered.
    n_segments : int or None, default None
        Number of segments, ``1 <= n_segments <=`` the number of nodes with
        hits (the number of nodes with ``allow_empty=True``).  ``None`` picks
        the ``k`` in ``2..k_max`` with the lowest hit-weighted Davies-Bouldin
        index (ties: the smaller ``k``), ``k_max = max_segments`` or
        ``min(ceil(sqrt(n_nodes)), 20)``.
    method : {"ward", "kmeans"}, default "ward"
        See the module notes.
    contiguous : bool, default True
        Make every segment a connected region of the map.  For ``"ward"`` only
        adjacent clusters merge.  For ``"kmeans"`` the k-means labels are
        repaired: each segment keeps its connected piece with the most hits
        (ties: the piece with the lowest node); every other piece (fragment) is
        handed, smallest hits first (ties: lowest node), to the adjacent
        segment whose k-means centroid is nearest to the fragment's weighted
        mean prototype; a fragment that touches only other unassigned
        fragments waits for the next sweep.  The result keeps exactly ``k``
        segments, each connected.
    X : array-like, optional
        Rows whose hits weight the nodes; default the training data.  A loaded
        model keeps no training rows: pass ``X`` or ``hits``, otherwise every
        node weighs 1 (with a warning).
    hits : array-like of shape (n_nodes,), optional
        Node weights to use instead of hits (non-negative, finite).
    max_segments : int, optional
        Largest ``k`` tried when ``n_segments`` is None; at most
        :data:`MAX_SWEEP_SEGMENTS` (50).
    allow_empty : bool, default False
        Allow segments whose nodes have no hits (and ``n_segments`` up to the
        number of nodes); the empty-first merge rule is then not applied.
    random_state : int, numpy Generator or None, default 0
        Seeds k-means (Ward is deterministic).  An integer seeds each ``k`` on
        its own (``numpy.random.default_rng([random_state, k])``), so
        ``n_segments=k`` reproduces the segmentation the automatic choice
        scored for ``k``.
    n_init : int, default 4
        k-means runs per ``k``; the one with the lowest inertia is kept.
    return_info : bool, default False
        Also return a :class:`ClusteringResult`.

    Returns
    -------
    labels : ndarray of int64, shape (n_nodes,)
        Segment ``0..k-1`` of every node, numbered by first node (row-major).
    info : ClusteringResult
        Only with ``return_info=True``.

    Raises
    ------
    ModelNotTrainedError
        If the model is not fitted.
    UnknownOptionError
        If ``method`` is not one of :data:`METHODS`.
    ValueError
        If ``n_segments``, ``max_segments``, ``hits``, ``n_init`` or ``random_state`` is out of range.

    Examples
    --------
    >>> from somnium import SOM
    >>> from somnium.datasets import make_blobs
    >>> X = make_blobs(600, 3, 3, random_state=0)
    >>> model = SOM(mapsize=(8, 8), random_state=0).fit_auto(X)
    >>> labels, info = cluster_map(model, return_info=True)
    >>> labels.shape, info.k
    ((64,), 3)
    """
    check_option(method, METHODS, "clustering method")
    _check_random_state(random_state)
    prototypes = np.asarray(model.normalized_codebook_, dtype=np.float64)
    lattice = model.lattice_
    n_nodes = lattice.n_nodes
    node_hits = _node_hits(model, X, hits, n_nodes)
    has_data = node_hits > 0
    weights = _node_weights(node_hits)
    n_data_nodes = int(has_data.sum())
    limit = n_nodes if allow_empty or n_data_nodes == 0 else n_data_nodes
    n_init = check_int(n_init, "n_init")

    if n_segments is not None:
        candidates = [_check_n_segments(n_segments, n_nodes, limit)]
    else:
        k_max = min(math.ceil(math.sqrt(n_nodes)), MAX_AUTO_SEGMENTS)
        if max_segments is not None:
            k_max = check_int(max_segments, "max_segments", minimum=2, maximum=n_nodes)
            if k_max > MAX_SWEEP_SEGMENTS:
                raise ValueError(
                    f"max_segments must be at most {MAX_SWEEP_SEGMENTS}, got {k_max}: the automatic choice "
                    f"scores every k from 2 to max_segments, and its cost grows with the cube of "
                    f"max_segments. Pass n_segments={k_max} to get {k_max} segments directly, or a smaller "
                    "max_segments."
                )
        k_max = min(k_max, limit)
        candidates = list(range(2, k_max + 1)) or [1]

    segmentations, merges = _segmentations(
        method,
        contiguous,
        candidates,
        prototypes,
        weights,
        has_data,
        lattice,
        allow_empty,
        random_state,
        n_init,
    )
    scores = {k: davies_bouldin_index(prototypes, segmentations[k], weights) for k in candidates}
    best = min(candidates, key=lambda k: (_sort_key(scores[k]), k))
    labels = _number_by_first_node(segmentations[best])
    if not return_info:
        return labels
    info = ClusteringResult(
        labels=labels,
        k=best,
        method=method,
        contiguous=bool(contiguous),
        criterion="davies_bouldin",
        scores=scores,
        node_weights=weights,
        merges=merges,
    )
    return labels, info


# ------------------------------------------------------------------ arguments
def _check_n_segments(n_segments, n_nodes, limit) -> int:
    if isinstance(n_segments, bool) or not isinstance(n_segments, (int, np.integer)):
        raise ValueError(f"n_segments must be an integer between 1 and {limit} or None, got {n_segments!r}.")
    if n_segments < 1 or n_segments > n_nodes:
        raise ValueError(
            f"n_segments must be an integer between 1 and {limit} (this map has {n_nodes} nodes), "
            f"got {n_segments}."
        )
    if n_segments > limit:
        raise ValueError(
            f"n_segments must be an integer between 1 and {limit}, got {n_segments}: only {limit} of "
            f"the {n_nodes} nodes have hits, so {n_segments} segments would leave some without data "
            "(pass allow_empty=True to allow that)."
        )
    return int(n_segments)


def _check_random_state(random_state) -> None:
    if random_state is None or isinstance(random_state, np.random.Generator):
        return
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)):
        raise ValueError(
            "random_state must be None, a non-negative integer or a numpy.random.Generator, got "
            f"{type(random_state).__name__} {random_state!r}."
        )
    if random_state < 0:
        raise ValueError(
            f"random_state must be None, a non-negative integer or a numpy.random.Generator, got {random_state}."
        )


def _node_hits(model, X, hits, n_nodes) -> np.ndarray:
    if hits is not None:
        expected = f"hits must be {n_nodes} finite non-negative numbers (one per node)"
        try:
            values = np.asarray(hits)
        except Exception:  # ragged or otherwise not array-like
            raise ValueError(f"{expected}, got {type(hits).__name__}.") from None
        if values.dtype.kind not in "iuf":  # booleans, text, objects, complex numbers
            raise ValueError(f"{expected}, got an array of dtype {values.dtype}.")
        hits = values.astype(np.float64)
        if hits.shape != (n_nodes,):
            raise ValueError(f"{expected}, got an array of shape {hits.shape}.")
        if not np.isfinite(hits).all() or (hits < 0).any():
            raise ValueError(f"{expected}, got negative, NaN or infinite values.")
        with np.errstate(over="ignore"):
            if not np.isfinite(hits.sum()):
                raise ValueError(f"{expected} whose sum is finite in float64; scale them down.")
        return hits
    if X is not None:
        return np.asarray(model.node_hits(X), dtype=np.float64)
    try:
        return np.asarray(model.node_hits(), dtype=np.float64)
    except ModelNotTrainedError:
        warn(
            "This model keeps no training rows (it was loaded from a file), so every node weighs 1; "
            "pass X= or hits= to weight the nodes by their hits.",
            UserWarning,
        )
        return np.ones(n_nodes)


def _node_weights(node_hits) -> np.ndarray:
    has_data = node_hits > 0
    if not has_data.any():
        return np.ones_like(node_hits)
    return np.where(has_data, node_hits, EMPTY_NODE_WEIGHT * node_hits[has_data].mean())


def _sort_key(score: float) -> float:
    return np.inf if np.isnan(score) else score


# ------------------------------------------------------------- the methods
def _segmentations(
    method, contiguous, candidates, prototypes, weights, has_data, lattice, allow_empty, random_state, n_init
):
    """``({k: labels}, merges or None)`` for every candidate ``k``."""
    if method == "ward":
        if contiguous:
            merges = contiguous_ward_merges(prototypes, weights, has_data, lattice.neighbors, not allow_empty)
            return _cut(merges, len(prototypes), candidates), merges
        return _unconstrained_ward(prototypes, has_data, candidates, allow_empty)
    neighbors = lattice.neighbors
    shared_rng = np.random.default_rng(random_state)
    result = {}
    for k in candidates:
        # an integer seed gives each k its own stream, so n_segments=k reproduces the sweep's k
        rng = shared_rng if _is_generator_or_none(random_state) else np.random.default_rng([random_state, k])
        labels, centroids = _kmeans(prototypes, has_data, k, rng, n_init, allow_empty)
        if contiguous:
            labels = _repair_contiguity(labels, centroids, prototypes, weights, neighbors)
        result[k] = labels
    return result, None


def _is_generator_or_none(random_state) -> bool:
    return random_state is None or isinstance(random_state, np.random.Generator)


def contiguous_ward_merges(prototypes, weights, has_data, neighbors, empty_first=True) -> np.ndarray:
    """Merge tree of hit-weighted Ward restricted to adjacent clusters.

    Parameters
    ----------
    prototypes : ndarray, shape (n_nodes, n_features)
    weights : ndarray, shape (n_nodes,)
        Positive node weights.
    has_data : ndarray of bool, shape (n_nodes,)
        Which nodes have hits (used by ``empty_first``).
    neighbors : ndarray of int, shape (n_nodes, max_degree)
        The lattice's neighbour table, ``-1`` padded.
    empty_first : bool
        Merge every cluster without data before any two clusters with data.

    Returns
    -------
    ndarray of float64, shape (n_merges, 4)
        ``(a, b, cost, n_nodes)`` per merge, in order (scipy linkage layout;
        ``a < b``).  At each step the adjacent pair with the smallest
        ``(rank, cost, a, b)`` merges, where ``rank`` is 0 when ``empty_first``
        and one of the two has no data, else 1.
    """
    n_nodes = len(prototypes)
    capacity = 2 * n_nodes - 1
    centroid = np.empty((capacity, prototypes.shape[1]))
    centroid[:n_nodes] = prototypes
    mass = np.empty(capacity)
    mass[:n_nodes] = weights
    # per-cluster scalars as Python lists: indexing numpy arrays one element at a time is slow
    mass_of = weights.tolist()
    data = has_data.tolist()
    size = [1] * n_nodes
    alive = bytearray(capacity)
    alive[:n_nodes] = b"\x01" * n_nodes

    source, target = neighbor_pairs(neighbors)
    adjacency = [set() for _ in range(n_nodes)]
    for a, b in zip(source.tolist(), target.tolist()):
        adjacency[a].add(b)
        adjacency[b].add(a)

    # Two heaps of (cost, a, b): merges that involve a cluster without data (empty_first), the rest.
    # Popping the first heap while it has live entries is the (rank, cost, a, b) order.
    diff = prototypes[source] - prototypes[target]
    cost = (
        weights[source]
        * weights[target]
        / (weights[source] + weights[target])
        * np.einsum("ij,ij->i", diff, diff)
    )
    first = has_data[source] & has_data[target] if empty_first else np.ones(len(source), dtype=bool)
    later = list(zip(cost[first].tolist(), source[first].tolist(), target[first].tolist()))
    sooner = list(zip(cost[~first].tolist(), source[~first].tolist(), target[~first].tolist()))
    heapq.heapify(later)
    heapq.heapify(sooner)

    merges = []
    new = n_nodes
    while sooner or later:
        merge_cost, a, b = heapq.heappop(sooner if sooner else later)
        if not (alive[a] and alive[b]):
            continue  # a stale entry: one side has merged since
        merged_mass = mass_of[a] + mass_of[b]
        centroid[new] = (centroid[a] * mass_of[a] + centroid[b] * mass_of[b]) / merged_mass
        mass[new] = merged_mass
        mass_of.append(merged_mass)
        data.append(data[a] or data[b])
        size.append(size[a] + size[b])
        alive[a] = alive[b] = 0
        alive[new] = 1
        merges.append((a, b, merge_cost, size[new]))

        around = (adjacency[a] | adjacency[b]) - {a, b}
        adjacency[a] = adjacency[b] = None
        for other in around:
            neighbours_of_other = adjacency[other]
            neighbours_of_other.discard(a)
            neighbours_of_other.discard(b)
            neighbours_of_other.add(new)
        adjacency.append(around)
        if around:
            others = sorted(around)
            gap = centroid[others] - centroid[new]
            other_mass = mass[others]
            costs = (
                other_mass * merged_mass / (other_mass + merged_mass) * np.einsum("ij,ij->i", gap, gap)
            ).tolist()
            for other, other_cost in zip(others, costs):
                heap = later if (data[other] and data[new]) or not empty_first else sooner
                heapq.heappush(heap, (other_cost, other, new))
        new += 1
    return np.array(merges, dtype=np.float64).reshape(-1, 4)


def _cut(merges, n_items, ks) -> dict[int, np.ndarray]:
    """Labels (cluster ids, not yet renumbered) after ``n_items - k`` merges, for every ``k``."""
    wanted = set(ks)
    members = {i: [i] for i in range(n_items)}
    result = {}

    def snapshot():
        labels = np.empty(n_items, dtype=np.int64)
        for label, (_, nodes) in enumerate(sorted(members.items())):
            labels[nodes] = label
        return labels

    if n_items in wanted:
        result[n_items] = snapshot()
    for step, (a, b) in enumerate(merges[:, :2].astype(np.int64).tolist()):
        first, second = members.pop(a), members.pop(b)
        if len(first) < len(second):
            first, second = second, first
        first.extend(second)
        members[n_items + step] = first
        if len(members) in wanted:
            result[len(members)] = snapshot()
    missing = wanted - result.keys()
    if missing:  # pragma: no cover - the lattice is connected, so every k is reached
        raise RuntimeError(f"The merge tree never reached {sorted(missing)} clusters.")
    return result


def _unconstrained_ward(prototypes, has_data, ks, allow_empty):
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial import cKDTree

    fitted = np.arange(len(prototypes)) if allow_empty or not has_data.any() else np.flatnonzero(has_data)
    if len(fitted) == 1:
        return {k: np.zeros(len(prototypes), dtype=np.int64) for k in ks}, np.empty((0, 4))
    if len(fitted) > MAX_UNCONSTRAINED_WARD_NODES:
        raise ValueError(
            f"Unconstrained Ward links at most {MAX_UNCONSTRAINED_WARD_NODES:,} nodes (it holds every pairwise "
            f"distance: {len(fitted):,} nodes would need {4 * len(fitted) * (len(fitted) - 1) / 2**30:.1f} GiB); "
            "use contiguous=True (its memory grows with the nodes) or method='kmeans'."
        )
    merges = linkage(prototypes[fitted], method="ward")
    cuts = _cut(merges, len(fitted), ks)
    # nodes left out of the tree (no hits) take the segment of the nearest node with hits; the tree's
    # own nodes keep theirs (a twin prototype elsewhere would be as near, and a segment could vanish)
    _, nearest = cKDTree(prototypes[fitted]).query(prototypes)
    nearest[fitted] = np.arange(len(fitted))
    return {k: labels[nearest] for k, labels in cuts.items()}, merges


def _kmeans(prototypes, has_data, k, rng, n_init, allow_empty):
    fitted = np.arange(len(prototypes)) if allow_empty or not has_data.any() else np.flatnonzero(has_data)
    points = prototypes[fitted]
    n_distinct = len(np.unique(points, axis=0))
    if n_distinct < k:
        raise ValueError(
            f"k-means cannot make {k} segments: the map has only {n_distinct} distinct prototypes "
            "among the nodes it clusters."
        )
    best = None
    for _ in range(n_init):
        seeds = kmeans_plus_plus(points, k, np.random.default_rng(rng.integers(2**63)))
        centroids, labels = _lloyd(points, seeds, KMEANS_ITERATIONS)
        if len(np.unique(labels)) < k:
            continue  # a segment lost all its points: such runs are skipped
        diff = points - centroids[labels]
        inertia = float(np.einsum("ij,ij->", diff, diff))
        if best is None or inertia < best[0]:
            best = (inertia, labels, centroids)
    if best is None:
        raise ValueError(f"k-means found no run with {k} non-empty segments; try another random_state.")
    _, fitted_labels, centroids = best
    labels = _nearest(prototypes, centroids)
    labels[fitted] = fitted_labels
    return labels, centroids


def _lloyd(points, centroids, iterations):
    """Lloyd's iterations from ``centroids`` (as SciPy's ``kmeans2``: a centroid that loses all its
    points stays where it was), stopping early once the assignment no longer changes."""
    centroids = centroids.copy()
    k = len(centroids)
    labels = _nearest(points, centroids)
    for _ in range(iterations):
        sizes = np.bincount(labels, minlength=k)
        sums = np.stack([np.bincount(labels, weights=column, minlength=k) for column in points.T], axis=1)
        kept = sizes > 0
        centroids[kept] = sums[kept] / sizes[kept, None]
        new_labels = _nearest(points, centroids)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return centroids, labels


def _nearest(points, centroids) -> np.ndarray:
    """Index of the nearest centroid of every point (ties: the lower index), by blocks of one GEMM
    each (``|c|^2 - 2 x.c``), so memory stays bounded and the cost is ``O(n k d)`` at BLAS speed."""
    labels = np.empty(len(points), dtype=np.int64)
    squared = np.einsum("ij,ij->i", centroids, centroids)
    step = max(1, DB_BLOCK_VALUES // max(len(centroids), 1))
    for start in range(0, len(points), step):
        block = points[start : start + step]
        labels[start : start + step] = np.argmin(squared[None, :] - 2.0 * (block @ centroids.T), axis=1)
    return labels


def kmeans_plus_plus(points, k, rng) -> np.ndarray:
    """``k`` seeds by k-means++ (Arthur & Vassilvitskii 2007): the first uniformly, each next one
    with probability proportional to its squared distance to the nearest seed so far.

    Each point's distance to its nearest seed is kept and updated with the newest seed only, so a
    seeding costs ``O(n k d)``; SciPy's ``kmeans2(minit="++")`` recomputes the distances to all
    seeds at every step (``O(n k^2 d)``: 110 s for k = 1,600 on a 40 x 40 map).  Needs at least
    ``k`` distinct points (a point already chosen has probability 0).
    """
    n_points = len(points)
    seeds = np.empty((k, points.shape[1]))
    seeds[0] = points[rng.integers(n_points)]
    nearest = _squared_distances(points, seeds[0])
    for i in range(1, k):
        cumulative = np.cumsum(nearest)
        pick = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
        seeds[i] = points[min(pick, n_points - 1)]
        np.minimum(nearest, _squared_distances(points, seeds[i]), out=nearest)
    return seeds


def _squared_distances(points, point) -> np.ndarray:
    gap = points - point
    return np.einsum("ij,ij->i", gap, gap)


def _repair_contiguity(labels, centroids, prototypes, weights, neighbors) -> np.ndarray:
    """Make every segment connected, keeping ``k`` (the rule is in :func:`cluster_map`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_nodes = len(labels)
    source, target = neighbor_pairs(neighbors)  # connected_components below is undirected
    same = labels[source] == labels[target]
    graph = coo_matrix((np.ones(same.sum()), (source[same], target[same])), shape=(n_nodes, n_nodes))
    n_pieces, piece = connected_components(graph, directed=False)
    if n_pieces == len(centroids):
        return labels

    piece_weight = np.bincount(piece, weights=weights, minlength=n_pieces)
    piece_first = np.full(n_pieces, n_nodes)
    np.minimum.at(piece_first, piece, np.arange(n_nodes))
    piece_mean = (
        np.stack(
            [np.bincount(piece, weights=weights * column, minlength=n_pieces) for column in prototypes.T],
            axis=1,
        )
        / piece_weight[:, None]
    )
    piece_label = labels[piece_first]

    owner = np.full(n_pieces, -1, dtype=np.int64)
    for label in np.unique(piece_label):
        pieces = np.flatnonzero(piece_label == label)
        core = min(pieces.tolist(), key=lambda p: (-piece_weight[p], piece_first[p]))
        owner[core] = label

    crossing = piece[source] != piece[target]
    touching = [set() for _ in range(n_pieces)]
    for p, q in zip(piece[source[crossing]].tolist(), piece[target[crossing]].tolist()):
        touching[p].add(q)
        touching[q].add(p)
    pending = sorted(np.flatnonzero(owner < 0).tolist(), key=lambda p: (piece_weight[p], piece_first[p]))
    while pending:
        waiting = []
        for fragment in pending:
            candidates = sorted({int(owner[q]) for q in touching[fragment] if owner[q] >= 0})
            if not candidates:
                waiting.append(fragment)
                continue
            gap = centroids[candidates] - piece_mean[fragment]
            owner[fragment] = candidates[int(np.argmin(np.einsum("ij,ij->i", gap, gap)))]
        if len(waiting) == len(pending):  # pragma: no cover - the lattice is connected
            raise RuntimeError("Contiguity repair made no progress.")
        pending = waiting
    return owner[piece]


# ---------------------------------------------------------------- criterion
def davies_bouldin_index(points, labels, weights=None) -> float:
    """Weighted Davies-Bouldin index of a partition (lower is better).

    ``DB = mean_i max_{j != i} (S_i + S_j) / ||c_i - c_j||`` with ``c_i`` the
    weighted mean of segment ``i`` and ``S_i`` the weighted mean Euclidean
    distance of its points to ``c_i``.  Two segments with the same centroid
    give ``inf``; a single segment gives NaN (the index is undefined).

    Parameters
    ----------
    points : ndarray, shape (n_points, n_features)
    labels : ndarray of int, shape (n_points,)
        Segment of each point (any integer ids).
    weights : ndarray, shape (n_points,), optional
        Positive point weights (default 1).

    Returns
    -------
    float
    """
    points = np.asarray(points, dtype=np.float64)
    _, labels = np.unique(np.asarray(labels), return_inverse=True)
    k = int(labels.max()) + 1 if len(labels) else 0
    if k < 2:
        return float("nan")
    weights = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=np.float64)
    total = np.bincount(labels, weights=weights, minlength=k)
    centroids = np.stack(
        [np.bincount(labels, weights=weights * column, minlength=k) for column in points.T], axis=1
    )
    centroids /= total[:, None]
    spread = np.linalg.norm(points - centroids[labels], axis=1)
    scatter = np.bincount(labels, weights=weights * spread, minlength=k) / total
    # Blocks of segments against all segments: O(k^2 d) time in O(DB_BLOCK_VALUES) memory (the full
    # k x k x d difference tensor was 2.4 GB at k = 5,000); differences, not |a|^2 + |b|^2 - 2ab, so
    # two equal centroids are exactly 0 apart.
    worst = np.empty(k)
    step = max(1, DB_BLOCK_VALUES // (k * points.shape[1] or 1))
    for start in range(0, k, step):
        block = slice(start, min(start + step, k))
        gap = centroids[block, None, :] - centroids[None, :, :]
        separation = np.sqrt(np.einsum("ijk,ijk->ij", gap, gap))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (scatter[block, None] + scatter[None, :]) / separation
        ratio[separation == 0] = np.inf
        rows = np.arange(block.stop - block.start)
        ratio[rows, rows + start] = -np.inf
        worst[block] = ratio.max(axis=1)
    return float(worst.mean())


def _number_by_first_node(labels) -> np.ndarray:
    """Renumber segments ``0..k-1`` in the order of their lowest node."""
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    renumber = np.empty(len(order), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    _, inverse = np.unique(labels, return_inverse=True)
    return renumber[inverse]
