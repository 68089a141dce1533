"""Specification of somnium.clustering: contiguous SOM-Ward, k-means over prototypes, choosing k."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from somnium import SOM
from somnium.clustering import ClusteringResult, cluster_map, davies_bouldin_index
from somnium.datasets import make_blobs
from somnium.exceptions import ModelNotTrainedError, UnknownOptionError
from somnium.lattice import LATTICES, Lattice

#: the documented weight of a node without hits, relative to the mean hits of the others
EMPTY_WEIGHT = 1e-6


class MapStub:
    """The part of a fitted SOM that clustering reads, with prototypes and hits we choose."""

    is_fitted = True

    def __init__(self, lattice, prototypes, hits):
        self.lattice_ = lattice
        self.normalized_codebook_ = np.asarray(prototypes, dtype=np.float64)
        self._hits = None if hits is None else np.asarray(hits, dtype=np.float64)

    def node_hits(self, X=None):
        if self._hits is None:
            raise ModelNotTrainedError("The training BMUs are not available for this model.")
        return self._hits.copy()


def random_map(lattice_name="hexa", rows=6, cols=7, n_features=3, empty_share=0.3, seed=0):
    rng = np.random.default_rng(seed)
    lattice = Lattice(rows, cols, lattice_name)
    prototypes = rng.normal(size=(lattice.n_nodes, n_features))
    hits = rng.integers(1, 20, size=lattice.n_nodes).astype(float)
    hits[rng.random(lattice.n_nodes) < empty_share] = 0
    hits[0] = 5  # at least one node with data
    return MapStub(lattice, prototypes, hits)


# -- independent references ----------------------------------------------------------------


def lattice_neighbours(lattice):
    """Neighbours from distances alone (not from the lattice's own neighbour table)."""
    return [
        set(np.flatnonzero(lattice.distances_from(i) <= 1 + 1e-9).tolist()) - {i}
        for i in range(lattice.n_nodes)
    ]


def is_connected(nodes, neighbours):
    nodes = set(nodes)
    start = next(iter(nodes))
    seen, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        for other in neighbours[node] & nodes:
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return seen == nodes


def segments_of(labels):
    return {frozenset(np.flatnonzero(labels == label).tolist()) for label in np.unique(labels)}


def node_weights(hits):
    positive = hits[hits > 0]
    return np.where(hits > 0, hits, EMPTY_WEIGHT * positive.mean())


def brute_force_contiguous_ward(prototypes, hits, neighbours, empty_first=True):
    """Every step: recompute the cost of every adjacent pair, merge the cheapest. O(k^3)."""
    weights = node_weights(hits)
    clusters = [frozenset([i]) for i in range(len(prototypes))]
    steps = []
    while len(clusters) > 1:
        best = None
        for a, b in itertools.combinations(range(len(clusters)), 2):
            A, B = clusters[a], clusters[b]
            if not any(neighbours[i] & B for i in A):
                continue
            ia, ib = sorted(A), sorted(B)
            wa, wb = weights[ia].sum(), weights[ib].sum()
            ca = (prototypes[ia] * weights[ia, None]).sum(0) / wa
            cb = (prototypes[ib] * weights[ib, None]).sum(0) / wb
            cost = wa * wb / (wa + wb) * float(((ca - cb) ** 2).sum())
            both_have_data = hits[ia].sum() > 0 and hits[ib].sum() > 0
            rank = 1 if (both_have_data or not empty_first) else 0
            if best is None or (rank, cost) < best[:2]:
                best = (rank, cost, a, b)
        _, cost, a, b = best
        steps.append(({clusters[a], clusters[b]}, cost))
        merged = clusters[a] | clusters[b]
        clusters = [c for i, c in enumerate(clusters) if i not in (a, b)] + [merged]
        yield steps[-1], list(clusters)


def brute_force_davies_bouldin(points, labels, weights):
    segments = sorted(set(labels.tolist()))
    centres, scatters = [], []
    for s in segments:
        members = [i for i in range(len(points)) if labels[i] == s]
        w = np.array([weights[i] for i in members])
        centre = sum(weights[i] * points[i] for i in members) / w.sum()
        scatter = sum(weights[i] * np.sqrt(((points[i] - centre) ** 2).sum()) for i in members) / w.sum()
        centres.append(centre)
        scatters.append(scatter)
    worst = []
    for i in range(len(segments)):
        worst.append(
            max(
                (scatters[i] + scatters[j]) / np.sqrt(((centres[i] - centres[j]) ** 2).sum())
                for j in range(len(segments))
                if j != i
            )
        )
    return sum(worst) / len(worst)


# -- contiguity -------------------------------------------------------------------------------


@pytest.mark.parametrize("lattice_name", list(LATTICES))
@pytest.mark.parametrize("method", ["ward", "kmeans"])
def test_every_segment_is_a_connected_region_of_the_lattice(lattice_name, method):
    stub = random_map(lattice_name, rows=6, cols=7, seed=3)
    neighbours = lattice_neighbours(stub.lattice_)
    for k in (2, 3, 5, 8, 13):
        labels = cluster_map(stub, k, method=method)
        assert len(np.unique(labels)) == k
        for segment in segments_of(labels):
            assert is_connected(segment, neighbours), (lattice_name, method, k, sorted(segment))


def test_unconstrained_kmeans_on_random_prototypes_does_make_disconnected_segments():
    # the contiguity test above is not vacuous: without the repair these maps do break apart
    stub = random_map("hexa", rows=6, cols=7, seed=3)
    neighbours = lattice_neighbours(stub.lattice_)
    labels = cluster_map(stub, 5, method="kmeans", contiguous=False)
    assert not all(is_connected(segment, neighbours) for segment in segments_of(labels))


def seam_map(lattice_name, rows=4, cols=8):
    """Columns 0, 1, 6, 7 share one prototype, columns 2-5 another (plus a little noise)."""
    lattice = Lattice(rows, cols, lattice_name)
    rng = np.random.default_rng(0)
    outer = np.isin(lattice.col_index, [0, 1, cols - 2, cols - 1])
    prototypes = np.where(outer[:, None], 5.0, -5.0) + 0.01 * rng.normal(size=(lattice.n_nodes, 2))
    return MapStub(lattice, prototypes, np.ones(lattice.n_nodes)), frozenset(np.flatnonzero(outer).tolist())


@pytest.mark.parametrize("lattice_name", ["cylindrical_rect", "cylindrical_hexa", "toroidal_rect"])
@pytest.mark.parametrize("method", ["ward", "kmeans"])
def test_a_segment_may_wrap_around_the_seam(lattice_name, method):
    stub, outer = seam_map(lattice_name)
    labels = cluster_map(stub, 2, method=method)
    assert outer in segments_of(labels)
    assert is_connected(outer, lattice_neighbours(stub.lattice_))


def test_on_a_flat_map_the_two_sides_cannot_form_one_segment():
    stub, outer = seam_map("rect")
    neighbours = lattice_neighbours(stub.lattice_)
    assert not is_connected(outer, neighbours)
    for method in ("ward", "kmeans"):
        labels = cluster_map(stub, 2, method=method)
        assert outer not in segments_of(labels)
        assert all(is_connected(segment, neighbours) for segment in segments_of(labels))


# -- Ward merge order -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lattice_name", "rows", "cols", "empty_share"),
    [
        ("hexa", 4, 5, 0.0),
        ("rect", 5, 4, 0.3),
        ("toroidal_hexa", 4, 4, 0.25),
        ("cylindrical_rect", 3, 5, 0.4),
    ],
)
def test_contiguous_ward_merges_in_the_order_of_a_brute_force_search(lattice_name, rows, cols, empty_share):
    stub = random_map(lattice_name, rows, cols, empty_share=empty_share, seed=11)
    neighbours = lattice_neighbours(stub.lattice_)
    _, info = cluster_map(stub, 1, return_info=True)
    n_nodes = stub.lattice_.n_nodes
    assert info.merges.shape == (n_nodes - 1, 4)

    members = {i: frozenset([i]) for i in range(n_nodes)}
    reference = brute_force_contiguous_ward(stub.normalized_codebook_, stub._hits, neighbours)
    for step, (((expected_pair, expected_cost), clusters_after)) in enumerate(reference):
        a, b, cost, size = info.merges[step]
        merged = {members[int(a)], members[int(b)]}
        members[n_nodes + step] = members[int(a)] | members[int(b)]
        assert merged == expected_pair, f"step {step}"
        assert cost == pytest.approx(expected_cost, rel=1e-9, abs=1e-12)
        assert size == len(members[n_nodes + step])
        k = len(clusters_after)
        if k <= 6:  # the cut at k is the brute-force partition after n - k merges
            assert segments_of(cluster_map(stub, k)) == set(clusters_after)


def test_without_the_empty_first_rule_ward_is_plain_weighted_ward():
    stub = random_map("rect", 4, 4, empty_share=0.4, seed=5)
    neighbours = lattice_neighbours(stub.lattice_)
    reference = list(brute_force_contiguous_ward(stub.normalized_codebook_, stub._hits, neighbours, False))
    for k in (2, 4, 7):
        expected = reference[stub.lattice_.n_nodes - k - 1][1]
        assert segments_of(cluster_map(stub, k, allow_empty=True)) == set(expected)


def test_ward_cost_matches_a_hand_worked_two_node_merge():
    # nodes 0 and 1 (prototypes 0 and 3, hits 1 and 2): 1*2/3 * 3^2 = 6
    lattice = Lattice(1, 2, "rect")
    stub = MapStub(lattice, [[0.0], [3.0]], [1, 2])
    _, info = cluster_map(stub, 1, return_info=True)
    np.testing.assert_allclose(info.merges, [[0, 1, 6.0, 2]])
    np.testing.assert_allclose(info.merge_costs, [6.0])


def test_ward_segmentations_are_nested_across_k():
    stub = random_map("hexa", 7, 6, seed=2)
    coarser = cluster_map(stub, 2)
    for k in range(3, 12):
        finer = cluster_map(stub, k)
        for segment in segments_of(finer):  # every finer segment lies inside one coarser segment
            assert len({coarser[i] for i in segment}) == 1
        coarser = finer


# -- empty nodes ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["ward", "kmeans"])
@pytest.mark.parametrize("contiguous", [True, False])
def test_no_segment_is_empty_of_data(method, contiguous):
    for seed in range(4):
        stub = random_map("hexa", 6, 6, empty_share=0.6, seed=seed)
        n_data_nodes = int((stub._hits > 0).sum())
        for k in sorted({2, 4, n_data_nodes // 2, n_data_nodes}):
            labels = cluster_map(stub, k, method=method, contiguous=contiguous)
            assert len(np.unique(labels)) == k
            assert (np.bincount(labels, weights=stub._hits) > 0).all(), (seed, k)


def test_more_segments_than_nodes_with_hits_needs_allow_empty():
    stub = random_map("rect", 4, 4, empty_share=0.5, seed=1)
    n_data_nodes = int((stub._hits > 0).sum())
    with pytest.raises(ValueError, match=rf"between 1 and {n_data_nodes}.*allow_empty=True"):
        cluster_map(stub, n_data_nodes + 1)
    labels = cluster_map(stub, n_data_nodes + 1, allow_empty=True)
    assert len(np.unique(labels)) == n_data_nodes + 1
    assert (np.bincount(labels, weights=stub._hits) == 0).any()


def test_an_empty_node_joins_the_neighbour_with_the_nearest_prototype():
    # a 1x3 strip: data at both ends, an empty node in the middle closer to the right end
    stub = MapStub(Lattice(1, 3, "rect"), [[0.0], [0.9], [1.0]], [10, 0, 10])
    np.testing.assert_array_equal(cluster_map(stub, 2), [0, 1, 1])
    stub = MapStub(Lattice(1, 3, "rect"), [[0.0], [0.1], [1.0]], [10, 0, 10])
    np.testing.assert_array_equal(cluster_map(stub, 2), [0, 0, 1])


# -- labels, determinism ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["ward", "kmeans"])
def test_labels_are_numbered_by_first_node_in_row_major_order(method):
    stub = random_map("toroidal_rect", 6, 6, seed=4)
    labels = cluster_map(stub, 6, method=method)
    assert labels.dtype == np.int64 and labels.shape == (36,)
    first_seen = list(dict.fromkeys(labels.tolist()))
    assert first_seen == list(range(6))


@pytest.mark.parametrize("method", ["ward", "kmeans"])
@pytest.mark.parametrize("contiguous", [True, False])
def test_clustering_is_deterministic(method, contiguous):
    stub = random_map("hexa", 8, 8, seed=9)
    first, info = cluster_map(stub, method=method, contiguous=contiguous, random_state=7, return_info=True)
    second, again = cluster_map(stub, method=method, contiguous=contiguous, random_state=7, return_info=True)
    np.testing.assert_array_equal(first, second)
    assert info.scores == again.scores


# -- choosing k -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_blob_model():
    X = make_blobs(1500, 4, 3, cluster_std=0.5, random_state=0)
    return SOM(mapsize=(10, 10), random_state=0).fit_auto(X), X


@pytest.mark.parametrize("method", ["ward", "kmeans"])
@pytest.mark.parametrize("contiguous", [True, False])
def test_automatic_k_finds_three_well_separated_blobs(three_blob_model, method, contiguous):
    model, X = three_blob_model
    labels, info = cluster_map(model, method=method, contiguous=contiguous, return_info=True)
    assert isinstance(info, ClusteringResult)
    assert info.k == 3 and len(np.unique(labels)) == 3
    assert info.criterion == "davies_bouldin"
    assert sorted(info.scores) == list(range(2, 11))  # k_max = ceil(sqrt(100)) = 10
    assert min(info.scores, key=info.scores.get) == 3
    # every blob lands in one segment
    _, truth = make_blobs(1500, 4, 3, cluster_std=0.5, random_state=0, return_labels=True)
    row_segment = labels[model.predict(X)]
    for blob in range(3):
        assert len(np.unique(row_segment[truth == blob])) == 1


@pytest.mark.parametrize("method", ["ward", "kmeans"])
def test_scores_are_the_brute_force_davies_bouldin_of_each_segmentation(method):
    stub = random_map("hexa", 6, 6, seed=6)
    weights = node_weights(stub._hits)
    _, info = cluster_map(stub, method=method, max_segments=7, return_info=True)
    assert sorted(info.scores) == [2, 3, 4, 5, 6, 7]
    for k, score in info.scores.items():
        labels = cluster_map(stub, k, method=method)
        assert score == pytest.approx(brute_force_davies_bouldin(stub.normalized_codebook_, labels, weights))
    assert info.k == min(info.scores, key=lambda k: (info.scores[k], k))
    np.testing.assert_array_equal(info.labels, cluster_map(stub, info.k, method=method))


def test_davies_bouldin_index_matches_a_hand_worked_case():
    # segments {0, 2} and {10, 14} on a line: centres 1 and 12, scatters 1 and 2: (1 + 2) / 11
    points = np.array([[0.0], [2.0], [10.0], [14.0]])
    assert davies_bouldin_index(points, [0, 0, 1, 1]) == pytest.approx(3 / 11)
    # weights move the centres: {0 (w 3), 2 (w 1)} -> centre 0.5, scatter (3*0.5 + 1.5)/4 = 0.75
    weighted = davies_bouldin_index(points, [0, 0, 1, 1], [3, 1, 1, 1])
    assert weighted == pytest.approx((0.75 + 2) / 11.5)
    assert np.isnan(davies_bouldin_index(points, [0, 0, 0, 0]))


def test_the_plain_call_returns_only_the_labels_array(three_blob_model):
    model, _ = three_blob_model
    labels = cluster_map(model, 4)
    assert isinstance(labels, np.ndarray) and labels.shape == (100,)


def test_hits_from_other_rows_weight_the_nodes(three_blob_model):
    model, X = three_blob_model
    _, from_rows = cluster_map(model, 3, X=X[:200], return_info=True)
    hits = np.bincount(model.predict(X[:200]), minlength=100).astype(float)
    np.testing.assert_allclose(from_rows.node_weights, node_weights(hits))


def test_a_model_without_training_rows_weighs_every_node_equally():
    stub = random_map("hexa", 4, 4, seed=0)
    stub._hits = None
    with pytest.warns(UserWarning, match="pass X= or hits="):
        _, info = cluster_map(stub, 2, return_info=True)
    np.testing.assert_array_equal(info.node_weights, np.ones(16))


# -- arguments --------------------------------------------------------------------------------


def test_an_unfitted_model_raises_the_models_own_error():
    with pytest.raises(ModelNotTrainedError, match="not trained"):
        cluster_map(SOM(mapsize=(5, 5)), 3)


@pytest.mark.parametrize("bad", [0, -1, 17, 2.5, "3", True])
def test_n_segments_out_of_range_says_the_allowed_range(bad):
    stub = random_map("rect", 4, 4, empty_share=0.0)
    with pytest.raises(ValueError, match="n_segments must be an integer between 1 and 16"):
        cluster_map(stub, bad)


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(UnknownOptionError, match="ward, kmeans"):
        cluster_map(random_map(), 3, method="dbscan")


@pytest.mark.parametrize("bad_hits", [np.ones(5), -np.ones(42), np.full(42, np.nan)])
def test_bad_hits_are_refused(bad_hits):
    with pytest.raises(ValueError, match="hits must be 42 finite non-negative numbers"):
        cluster_map(random_map(), 3, hits=bad_hits)


def test_single_segment_and_single_node_maps():
    stub = random_map("hexa", 3, 3)
    np.testing.assert_array_equal(cluster_map(stub, 1), np.zeros(9))
    tiny = MapStub(Lattice(1, 1, "hexa"), [[1.0, 2.0]], [4])
    labels, info = cluster_map(tiny, return_info=True)
    assert info.k == 1 and labels.tolist() == [0]


# -- properties -------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lattice_name=st.sampled_from(list(LATTICES)),
    rows=st.integers(2, 6).map(lambda r: 2 * (r // 2) or 2),
    cols=st.integers(2, 7),
    seed=st.integers(0, 10_000),
    method=st.sampled_from(["ward", "kmeans"]),
    data=st.data(),
)
def test_property_k_connected_segments_each_with_data(lattice_name, rows, cols, seed, method, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        stub = random_map(lattice_name, rows, cols, n_features=2, empty_share=0.3, seed=seed)
    n_data_nodes = int((stub._hits > 0).sum())
    k = data.draw(st.integers(1, n_data_nodes))
    labels = cluster_map(stub, k, method=method, random_state=seed)
    neighbours = lattice_neighbours(stub.lattice_)
    assert sorted(np.unique(labels).tolist()) == list(range(k))
    assert (np.bincount(labels, weights=stub._hits) > 0).all()
    for segment in segments_of(labels):
        assert is_connected(segment, neighbours)


# -- scaling (issue 21: each cost grows with what is shown, or is refused beyond a stated limit) ------------


def test_davies_bouldin_in_small_blocks_is_the_brute_force_index(monkeypatch):
    import somnium.clustering as clustering

    rng = np.random.default_rng(3)
    points = rng.normal(size=(60, 3))
    labels = rng.integers(0, 9, size=60)
    weights = rng.uniform(0.5, 3.0, size=60)
    expected = brute_force_davies_bouldin(points, labels, weights)
    monkeypatch.setattr(clustering, "DB_BLOCK_VALUES", 7)  # blocks of 1 segment against all 9
    assert davies_bouldin_index(points, labels, weights) == pytest.approx(expected)


def test_davies_bouldin_of_two_segments_with_one_centre_is_infinite_in_any_block(monkeypatch):
    import somnium.clustering as clustering

    points = np.array([[0.0], [2.0], [1.0], [1.0], [5.0]])
    monkeypatch.setattr(clustering, "DB_BLOCK_VALUES", 1)
    assert davies_bouldin_index(points, [0, 0, 1, 1, 2]) == np.inf


def test_kmeans_plus_plus_picks_distinct_data_points_and_all_of_them_at_k_n():
    from somnium.clustering import kmeans_plus_plus

    rng = np.random.default_rng(0)
    points = np.repeat(rng.normal(size=(12, 2)), 3, axis=0)  # 12 distinct points, each three times
    seeds = kmeans_plus_plus(points, 12, np.random.default_rng(1))
    # a point already chosen has probability 0: the 12 seeds are the 12 distinct points
    assert sorted(map(tuple, seeds)) == sorted(set(map(tuple, points)))


def test_kmeans_plus_plus_favours_far_points_in_proportion_to_squared_distance():
    from somnium.clustering import kmeans_plus_plus

    # After a first seed at 0 the second is 1 (d^2 = 1) or 3 (d^2 = 9): 3 with probability 9/10.
    points = np.array([[0.0], [1.0], [3.0]])
    picks = []
    for seed in range(4000):
        seeds = kmeans_plus_plus(points, 2, np.random.default_rng(seed))
        if seeds[0, 0] == 0.0:
            picks.append(seeds[1, 0])
    share = np.mean(np.array(picks) == 3.0)
    assert abs(share - 0.9) < 0.03  # ~1,330 draws: 4 standard errors


@pytest.mark.parametrize("method", ["ward", "kmeans"])
def test_as_many_segments_as_nodes_on_a_40_by_40_map(method):
    # 110 s for k-means before (SciPy's k-means++ seeding is cubic in k); every node is its own segment
    stub = random_map("hexa", 40, 40, n_features=4, empty_share=0.0, seed=1)
    labels = cluster_map(stub, 1600, method=method)
    assert sorted(labels.tolist()) == list(range(1600))


def test_the_automatic_choice_refuses_more_than_its_limit_and_says_what_to_do():
    from somnium.clustering import MAX_SWEEP_SEGMENTS

    stub = random_map("hexa", 12, 12, empty_share=0.0)
    with pytest.raises(ValueError, match=rf"at most {MAX_SWEEP_SEGMENTS}.*n_segments=60"):
        cluster_map(stub, max_segments=60)
    _, info = cluster_map(stub, max_segments=MAX_SWEEP_SEGMENTS, return_info=True)
    assert max(info.scores) == MAX_SWEEP_SEGMENTS


def test_unconstrained_ward_refuses_more_nodes_than_its_limit(monkeypatch):
    import somnium.clustering as clustering

    monkeypatch.setattr(clustering, "MAX_UNCONSTRAINED_WARD_NODES", 20)
    stub = random_map("hexa", 6, 7, empty_share=0.0)
    with pytest.raises(ValueError, match="at most 20 nodes.*contiguous=True"):
        cluster_map(stub, 3, contiguous=False)
    assert len(np.unique(cluster_map(stub, 3, contiguous=True))) == 3
