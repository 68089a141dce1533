"""Specification of somnium.explain (surrogate maps, feature groups) and somnium._node_layers.

References are independent of the code under test: pandas group-bys for per-node means and majority
labels, scipy's rank correlation on rows replicated by their hits for hit-weighted correlations, a
brute-force weighted correlation over the neighbours found from lattice distances for the drivers,
and synthetic data whose answer is planted.
"""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from somnium import SOM
from somnium._node_layers import OTHER, is_categorical, node_layer, per_row_values
from somnium.exceptions import DaskRowsError, ModelNotTrainedError
from somnium.explain import (
    MAX_OPTIMAL_ORDER_PLANES,
    FeatureGroups,
    SurrogateMap,
    feature_groups,
    plane_correlations,
    similarity_order,
)
from somnium.widgets import ComponentPlanes

matplotlib.use("Agg")


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def planted():
    """x, 2x + noise and two monotone transforms of x; y and a noisy -y; two independent features."""
    rng = np.random.default_rng(0)
    n = 3000
    x, y, z, u = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n), rng.uniform(-2, 2, size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            "x_doubled": 2 * x + 0.1 * rng.normal(size=n),
            "exp_x": np.exp(x),
            "x_cubed": x**3,
            "y": y,
            "minus_y": -y + 0.2 * rng.normal(size=n),
            "z": z,
            "u": u,
        }
    )
    return SOM(mapsize=(12, 12), random_state=0).fit_auto(frame), frame


@pytest.fixture(scope="module")
def two_regimes():
    """The prediction follows ``a`` where ``s < 0`` and ``b`` where ``s > 0`` (``s`` only switches)."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.uniform(-1, 1, size=(6000, 3)), columns=["s", "a", "b"])
    prediction = pd.Series(np.where(frame.s < 0, 3 * frame.a, 3 * frame.b), index=frame.index, name="risk")
    return SOM(mapsize=(14, 14), random_state=0).fit_auto(frame), frame, prediction


def hits_of(model):
    return model.node_hits().astype(float)


# ======================================================================= per-row values on nodes
def test_numeric_layer_is_the_per_node_mean_skipping_missing_and_infinite_values():
    rng = np.random.default_rng(2)
    bmu = rng.integers(0, 7, size=400)
    bmu[bmu == 5] = 6  # node 5 has no rows
    values = rng.normal(size=400)
    values[rng.random(400) < 0.1] = np.nan
    values[:3] = np.inf
    layer = node_layer(values, bmu, 8, name="score")
    expected = pd.Series(values).replace(np.inf, np.nan).groupby(bmu).mean().reindex(range(8))
    np.testing.assert_allclose(layer.values, expected.to_numpy(), equal_nan=True)
    assert np.isnan(layer.values[[5, 7]]).all() and layer.empty[[5, 7]].all()
    assert layer.describe() == "score (mean of rows)" and not layer.categorical


def test_categorical_layer_is_the_most_frequent_value_and_its_share():
    bmu = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 3])
    labels = pd.Series(["b", "a", "a", "c", "b", None, "c", "b", "a", None], name="species")
    layer = node_layer(labels, bmu, 5)
    assert layer.categories == ("b", "a", "c")  # most frequent first; b and a tie: b came first
    assert layer.codes.tolist() == [1, 2, 0, -1, -1]  # node 2: a tie of "b" and "a" goes to "b" (first)
    np.testing.assert_allclose(layer.values, [2 / 3, 2 / 3, 1 / 2, np.nan, np.nan])
    assert layer.counts.tolist() == [3, 3, 2, 0, 0]  # the missing labels are skipped
    assert layer.describe() == "species (most frequent)"


def test_categorical_ties_follow_category_order_and_booleans_put_false_first():
    bmu = np.array([0, 0, 1, 1])
    ordered = pd.Series(pd.Categorical(["lo", "hi", "hi", "lo", None], categories=["hi", "lo", "mid"]))
    layer = node_layer(ordered, np.append(bmu, 1), 2)
    assert layer.categories == ("hi", "lo") and layer.codes.tolist() == [0, 0]  # "hi" first; "mid" unused
    flags = np.array([True, False, True, False])
    layer = node_layer(flags, bmu, 2)
    assert layer.categories == (False, True) and layer.codes.tolist() == [0, 0]


def test_more_values_than_kept_become_other():
    bmu = np.array([0] * 6 + [1] * 4)
    values = np.array(["a", "a", "a", "b", "b", "c", "c", "d", "e", "e"], dtype=object)
    layer = node_layer(values, bmu, 2, max_categories=2)
    # overall: a 3, b 2, c 2, e 2, d 1 -> keep a and b (b before c and e: first in category order)
    assert layer.categories == ("a", "b", OTHER)
    assert layer.category_counts.tolist() == [[3, 0], [2, 0], [1, 4]]
    assert layer.codes.tolist() == [0, 2]


@pytest.mark.parametrize(
    "values, expected",
    [
        (np.array([1.0, 2.0]), False),
        (np.array([1, 2]), False),
        (pd.Series([1, None], dtype="Int64"), False),
        (np.array([1.5, None], dtype=object), False),
        (np.array(["a", "b"]), True),
        (np.array([True, False]), True),
        (pd.Series(["a", "b"], dtype="category"), True),
        (pd.Series(["a", None], dtype="string"), True),
        (np.array([1, "a"], dtype=object), True),
    ],
)
def test_what_counts_as_categories(values, expected):
    assert is_categorical(values) is expected


def test_dates_are_refused_with_what_to_do():
    with pytest.raises(ValueError, match="convert them to numbers"):
        node_layer(pd.Series(pd.date_range("2020", periods=3)), np.zeros(3, dtype=int), 1)


def test_a_series_is_aligned_on_the_data_index():
    index = pd.Index(["r1", "r2", "r3"])
    shuffled = pd.Series([3.0, 1.0], index=["r3", "r1"], name="p")
    aligned, name = per_row_values(shuffled, 3, index)
    assert name == "p" and aligned.index.equals(index)
    np.testing.assert_array_equal(aligned.to_numpy(), [1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match="1 of its labels are not in the data's index"):
        per_row_values(pd.Series([1.0], index=["zz"]), 3, index)
    with pytest.raises(ValueError, match=r"one value per row \(3\)"):
        per_row_values(np.ones(4), 3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_nodes=st.integers(1, 12),
    rows=st.lists(st.tuples(st.integers(0, 11), st.sampled_from(["p", "q", "r", None])), max_size=60),
)
def test_property_categorical_layer_matches_value_counts(n_nodes, rows):
    rows = [(node % n_nodes, label) for node, label in rows]
    bmu = np.array([node for node, _ in rows], dtype=np.int64)
    labels = pd.Series([label for _, label in rows], dtype=object)
    layer = node_layer(labels, bmu, n_nodes)
    assert layer.empty.sum() == n_nodes - len(np.unique(bmu[labels.notna().to_numpy()]))
    if labels.isna().all():  # nothing but missing values: no category to count (an empty numeric layer)
        return
    seen = list(pd.unique(labels.dropna()))
    overall = labels.value_counts()
    order = sorted(seen, key=lambda v: (-overall[v], seen.index(v)))  # the legend: most frequent first
    assert list(layer.categories) == order
    for node in range(n_nodes):
        found = labels[bmu == node].dropna()
        if found.empty:
            assert layer.codes[node] == -1 and np.isnan(layer.values[node])
            continue
        counts = found.value_counts()
        best = max(order, key=lambda v: (counts.get(v, 0), -order.index(v)))
        assert layer.categories[layer.codes[node]] == best
        assert layer.values[node] == pytest.approx(counts[best] / len(found))


# ============================================================================ plane similarity
def replicated(planes, hits):
    """Each node's plane values repeated as often as its hits: an unweighted stand-in for weights."""
    return np.repeat(planes, hits.astype(int), axis=0)


def test_hit_weighted_correlations_equal_the_correlations_of_replicated_nodes():
    rng = np.random.default_rng(4)
    planes = rng.normal(size=(30, 5))
    planes[:, 3] = np.round(planes[:, 3])  # ties
    hits = rng.integers(0, 6, size=30).astype(float)
    expected_pearson = np.corrcoef(replicated(planes, hits), rowvar=False)
    np.testing.assert_allclose(plane_correlations(planes, hits, "pearson"), expected_pearson, atol=1e-12)
    expected_spearman = stats.spearmanr(replicated(planes, hits)).statistic
    np.testing.assert_allclose(plane_correlations(planes, hits, "spearman"), expected_spearman, atol=1e-12)


def test_correlations_are_exact_at_a_large_offset_and_a_constant_plane_is_apart():
    rng = np.random.default_rng(5)
    base = rng.normal(size=50)
    planes = np.column_stack([1e9 + base, 2 * base, np.full(50, 1.7e8)])
    r = plane_correlations(planes)
    assert r[0, 1] == pytest.approx(1.0, abs=1e-9)
    assert r[0, 2] == 0.0 and r[1, 2] == 0.0 and r[2, 2] == 1.0


def test_feature_groups_recover_planted_duplicates_and_keep_independent_features_apart(planted):
    model, _ = planted
    groups = feature_groups(model, 0.9)
    assert isinstance(groups, list) and all(isinstance(g, list) for g in groups)
    assert {frozenset(g) for g in groups} == {
        frozenset({"x", "x_doubled", "exp_x", "x_cubed"}),
        frozenset({"y", "minus_y"}),
        frozenset({"z"}),
        frozenset({"u"}),
    }
    for group, representative in zip(groups, groups.representatives):
        assert representative in group


def test_independent_features_stay_in_groups_of_their_own():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame(rng.normal(size=(2000, 6)), columns=list("abcdef"))
    model = SOM(mapsize=(10, 10), random_state=1).fit_auto(frame)
    assert sorted(map(tuple, feature_groups(model, 0.9))) == [(c,) for c in "abcdef"]


def test_group_statistics_against_brute_force(planted):
    model, _ = planted
    groups = feature_groups(model, 0.7)
    names = model.feature_names()
    hits = hits_of(model)
    r = np.abs(stats.spearmanr(replicated(model.codebook_, hits)).statistic)
    at = {name: i for i, name in enumerate(names)}
    for group, representative, mean_r, min_r in zip(
        groups, groups.representatives, groups.mean_correlations, groups.min_correlations
    ):
        if len(group) == 1:
            assert np.isnan(mean_r) and representative == group[0]
            continue
        pairs = [r[at[a], at[b]] for a, b in itertools.combinations(group, 2)]
        assert mean_r == pytest.approx(np.mean(pairs)) and min_r == pytest.approx(min(pairs))
        closeness = {f: np.mean([r[at[f], at[o]] for o in group if o != f]) for f in group}
        assert closeness[representative] == pytest.approx(max(closeness.values()))


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8, 0.95])
def test_average_linkage_groups_hold_the_threshold_within_and_not_across(threshold):
    rng = np.random.default_rng(7)
    base = rng.normal(size=(1500, 3))
    mixed = base @ rng.normal(size=(3, 9)) + rng.normal(scale=0.6, size=(1500, 9))
    model = SOM(mapsize=(9, 9), random_state=0).fit(
        pd.DataFrame(mixed, columns=[f"f{i}" for i in range(9)]), epochs=8
    )
    groups = feature_groups(model, threshold)
    r = np.abs(stats.spearmanr(replicated(model.codebook_, hits_of(model))).statistic)
    at = {name: i for i, name in enumerate(model.feature_names())}
    for group in groups:
        if len(group) > 1:
            within = [r[at[a], at[b]] for a, b in itertools.combinations(group, 2)]
            assert np.mean(within) >= threshold - 1e-9
    for first, second in itertools.combinations(groups, 2):
        across = [r[at[a], at[b]] for a in first for b in second]
        assert np.mean(across) < threshold


def test_order_and_dendrogram_match_the_component_planes(planted):
    model, _ = planted
    groups = feature_groups(model, 0.9)
    assert groups.order == ComponentPlanes(model).features
    assert [f for group in groups for f in group] == groups.order  # groups read in that order
    figure = groups.dendrogram()
    leaves = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    ys = [t.get_position()[1] for t in figure.axes[0].get_yticklabels()]
    top_to_bottom = [
        name for _, name in sorted(zip(ys, leaves), reverse=figure.axes[0].yaxis_inverted() is False)
    ]
    assert top_to_bottom == groups.order
    table = groups.table()
    assert list(table.index) == groups.order and table["is_representative"].sum() == len(groups)


def test_feature_groups_of_a_subset_and_by_other_rows(planted):
    model, frame = planted
    subset = feature_groups(model, 0.9, features=["z", "x", "exp_x"])
    assert {frozenset(g) for g in subset} == {frozenset({"x", "exp_x"}), frozenset({"z"})}
    by_rows = feature_groups(model, 0.9, X=frame.iloc[:500])
    assert isinstance(by_rows, FeatureGroups)
    one = feature_groups(model, 0.5, features="u")
    assert one == [["u"]] and one.representatives == ["u"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"threshold": 0}, "threshold must be"),
        ({"threshold": 1.5}, "threshold must be"),
        ({"threshold": 0.5, "features": ["x", "nope"]}, "Unknown feature 'nope'"),
        ({"threshold": 0.5, "features": ["x", "x"]}, "twice"),
        ({"threshold": 0.5, "hits": np.ones(3)}, "hits must be 144"),
    ],
)
def test_feature_groups_refuse_bad_arguments(planted, kwargs, message):
    model, _ = planted
    with pytest.raises(ValueError, match=message):
        feature_groups(model, **kwargs)


def test_feature_groups_of_an_unfitted_model():
    with pytest.raises(ModelNotTrainedError):
        feature_groups(SOM(mapsize=(3, 3)), 0.9)


def test_above_the_optimal_ordering_limit_the_order_is_the_trees_own(monkeypatch):
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    import somnium.explain as explain

    rng = np.random.default_rng(8)
    values = rng.normal(size=(40, 12))
    monkeypatch.setattr(explain, "MAX_OPTIMAL_ORDER_PLANES", 5)
    reference = 1 - np.abs(pd.DataFrame(values).corr().to_numpy())
    np.fill_diagonal(reference, 0)
    expected = leaves_list(linkage(squareform(reference, checks=False), method="average"))
    np.testing.assert_array_equal(similarity_order(values), expected)
    assert MAX_OPTIMAL_ORDER_PLANES >= 200  # feature_groups on 200 features keeps the optimal order


def test_too_many_planes_are_refused(monkeypatch):
    import somnium.explain as explain

    monkeypatch.setattr(explain, "MAX_PLANES", 10)
    with pytest.raises(ValueError, match="at most 10 planes"):
        plane_correlations(np.zeros((5, 11)))


# ============================================================================== surrogate maps
def brute_force_r2(truth, guess):
    return 1 - np.sum((truth - guess) ** 2) / np.sum((truth - truth.mean()) ** 2)


def test_values_fidelity_and_disagreement_against_pandas(two_regimes):
    model, frame, prediction = two_regimes
    surrogate = SurrogateMap(model, frame, prediction)
    assert surrogate.kind == "values" and surrogate.name == "risk"
    bmu = model.predict(frame)
    node_mean = prediction.groupby(bmu).mean()
    assert surrogate.fidelity() == pytest.approx(brute_force_r2(prediction, node_mean[bmu].to_numpy()))
    rms = prediction.groupby(bmu).apply(lambda p: np.sqrt(((p - p.mean()) ** 2).mean()))
    np.testing.assert_allclose(surrogate.disagreement[rms.index], rms.to_numpy())
    np.testing.assert_allclose(surrogate.node_prediction[node_mean.index], node_mean.to_numpy())
    assert 0.5 < surrogate.fidelity() < 1


def test_labels_fidelity_is_the_share_of_rows_agreeing_with_their_nodes_majority():
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(rng.normal(size=(1500, 2)), columns=["p", "q"])
    model = SOM(mapsize=(6, 6), random_state=0).fit(frame, epochs=5)
    labels = np.where(frame.p + 0.5 * rng.normal(size=1500) > 0, "yes", "no")
    surrogate = SurrogateMap(model, frame, labels)
    assert surrogate.kind == "labels" and surrogate.classes == list(pd.unique(labels))
    bmu = model.predict(frame)
    table = pd.crosstab(bmu, labels)[surrogate.classes]
    majority = table.idxmax(axis=1)  # ties: first column, the first class seen
    expected = np.mean(majority[bmu].to_numpy() == labels)
    assert surrogate.fidelity() == pytest.approx(expected)
    disagreement = 1 - table.max(axis=1) / table.sum(axis=1)
    np.testing.assert_allclose(surrogate.disagreement[table.index], disagreement.to_numpy())


def test_probabilities_use_the_most_probable_class_of_the_node_mean():
    rng = np.random.default_rng(10)
    frame = pd.DataFrame(rng.normal(size=(1200, 2)), columns=["p", "q"])
    model = SOM(mapsize=(5, 5), random_state=0).fit(frame, epochs=5)
    proba = rng.dirichlet([1, 1, 1], size=1200)
    surrogate = SurrogateMap(model, frame, proba, classes=["a", "b", "c"])
    bmu = model.predict(frame)
    node_class = pd.DataFrame(proba).groupby(bmu).mean().idxmax(axis=1)
    row_class = proba.argmax(axis=1)
    assert surrogate.fidelity() == pytest.approx(np.mean(node_class[bmu].to_numpy() == row_class))
    assert list(surrogate.node_prediction[node_class.index]) == [["a", "b", "c"][c] for c in node_class]


def test_held_out_rows_on_empty_nodes_take_the_nearest_prototypes_prediction(two_regimes):
    model, frame, prediction = two_regimes
    few = frame.iloc[:300]
    surrogate = SurrogateMap(model, few, prediction.iloc[:300])
    assert (surrogate.counts == 0).any()
    rest, truth = frame.iloc[300:1300], prediction.iloc[300:1300].to_numpy()
    bmu = model.predict(rest)
    prototypes = model.normalized_codebook_
    has = np.flatnonzero(surrogate.counts > 0)
    nearest = {
        node: node
        if surrogate.counts[node]
        else has[np.argmin(((prototypes[has] - prototypes[node]) ** 2).sum(1))]
        for node in range(model.lattice_.n_nodes)
    }
    node_mean = prediction.iloc[:300].groupby(model.predict(few)).mean()
    guess = np.array([node_mean[nearest[b]] for b in bmu])
    assert surrogate.fidelity(rest, truth) == pytest.approx(brute_force_r2(truth, guess))
    np.testing.assert_allclose(surrogate.predict(rest), guess)


def test_rows_without_prediction_are_skipped_and_empty_nodes_marked():
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(rng.normal(size=(400, 2)), columns=["p", "q"])
    model = SOM(mapsize=(4, 4), random_state=0).fit(frame, epochs=3)
    bmu = model.predict(frame)
    values = frame.p.to_numpy().copy()
    values[bmu == bmu[0]] = np.nan  # one node has rows but no prediction
    surrogate = SurrogateMap(model, frame, values, bmu=bmu)
    assert surrogate.counts[bmu[0]] == 0 and np.isnan(surrogate.layer.values[bmu[0]])
    assert np.isnan(surrogate.disagreement[bmu[0]])
    keep = ~np.isnan(values)
    node_mean = pd.Series(values[keep]).groupby(bmu[keep]).mean()
    assert surrogate.fidelity() == pytest.approx(
        brute_force_r2(values[keep], node_mean[bmu[keep]].to_numpy())
    )


def brute_force_association(model, surrogate, node, feature, radius=1):
    """Weighted Pearson correlation over the nodes within ``radius`` by lattice distance (hops = distance
    for radius 1), weights = rows with a prediction."""
    near = np.flatnonzero(model.lattice_.distances_from(node) <= radius + 1e-9)
    near = near[surrogate.counts[near] > 0]
    if len(near) < 3:
        return np.nan
    w = surrogate.counts[near].astype(float)
    x, p = model.codebook_[near, feature], surrogate.node_prediction[near]
    cov = np.cov(x, p, aweights=w, bias=True)
    return cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])


def test_local_association_is_the_weighted_correlation_over_the_neighbours(two_regimes):
    model, frame, prediction = two_regimes
    surrogate = SurrogateMap(model, frame, prediction)
    table = surrogate.drivers_table()
    assert table.shape == (196, 3) and list(table.columns) == ["s", "a", "b"]
    for node in [0, 13, 57, 100, 195]:
        for feature in range(3):
            assert table.iloc[node, feature] == pytest.approx(
                brute_force_association(model, surrogate, node, feature), abs=1e-9
            )


def test_drivers_find_the_feature_the_prediction_follows_in_each_region(two_regimes):
    model, frame, prediction = two_regimes
    surrogate = SurrogateMap(model, frame, prediction)
    switch = model.codebook_[:, 0]
    for radius in (1, 2):
        features, _ = surrogate.top_drivers(1, radius=radius)
        left, right = switch < -0.3, switch > 0.3  # well inside each regime
        assert np.mean(features[left, 0] == 1) >= 0.8  # "a" where s < 0
        assert np.mean(features[right, 0] == 2) >= 0.8  # "b" where s > 0
    ranked = surrogate.drivers(int(np.argmin(switch)))
    assert ranked.index[0] == "a" and ranked.loc["a", "association"] > 0.8
    assert ranked.loc["a", "slope"] == pytest.approx(3, rel=0.05)  # prediction = 3 a there
    assert list(ranked.columns) == ["association", "slope"]
    assert list(surrogate.drivers(0, top=2).index) == list(surrogate.drivers(0).index[:2])


def test_slopes_are_measured_beside_empty_nodes(two_regimes):
    model, frame, prediction = two_regimes
    few = frame.iloc[:400]  # 400 rows on 196 nodes: many nodes without rows
    surrogate = SurrogateMap(model, few, prediction.iloc[:400])
    assert (surrogate.counts == 0).sum() > 20
    association, slope = surrogate.local_associations()
    defined = ~np.isnan(association).any(axis=1)
    assert defined.sum() > 100 and np.isfinite(slope[defined]).mean() > 0.99


def test_regions_are_contiguous_cover_the_map_and_come_highest_first(two_regimes):
    model, frame, prediction = two_regimes
    surrogate = SurrogateMap(model, frame, prediction)
    regions = surrogate.regions(4)
    assert len(regions) == 4 and sorted(np.unique(regions.labels)) == [0, 1, 2, 3]
    lattice = model.lattice_
    neighbours = [
        set(np.flatnonzero(lattice.distances_from(i) <= 1 + 1e-9)) - {i} for i in range(lattice.n_nodes)
    ]
    for label in range(4):
        nodes = set(np.flatnonzero(regions.labels == label).tolist())
        seen, todo = {min(nodes)}, [min(nodes)]
        while todo:
            for other in neighbours[todo.pop()] & nodes - seen:
                seen.add(other)
                todo.append(other)
        assert seen == nodes
    profile = regions.profile
    assert list(profile.index) == ["Region 1", "Region 2", "Region 3", "Region 4"]
    bmu = model.predict(frame)
    by_region = prediction.groupby(regions.labels[bmu]).mean()
    np.testing.assert_allclose(profile["risk_mean"].to_numpy(), by_region.to_numpy())
    assert (np.diff(profile["risk_mean"].to_numpy()) < 0).all()
    assert profile["size"].sum() == len(frame) and profile["nodes"].sum() == lattice.n_nodes
    assert {"s_mean", "a_mean", "b_median"} <= set(profile.columns)
    assert regions.segments.names == list(profile.index)


def test_regions_of_labels_profile_the_top_label():
    rng = np.random.default_rng(12)
    frame = pd.DataFrame(rng.uniform(-1, 1, size=(2000, 2)), columns=["p", "q"])
    model = SOM(mapsize=(8, 8), random_state=0).fit_auto(frame)
    labels = pd.Series(np.where(frame.p > 0.3, "high", "low"), index=frame.index, name="risk")
    regions = SurrogateMap(model, frame, labels).regions(2)
    assert set(regions.profile["risk_top"]) == {"high", "low"}
    high = regions.profile.index[regions.profile["risk_top"] == "high"][0]
    assert regions.profile.loc[high, "p_mean"] > 0.3


@pytest.mark.parametrize(
    "predictions, kwargs, error, message",
    [
        (np.arange(10), {}, ValueError, "kind='labels'"),
        (np.array(list("abcdefghij")), {"kind": "values"}, ValueError, "use kind='labels'"),
        (np.full((10, 2), 2.0), {}, ValueError, r"lie in \[0, 1\]"),
        (np.ones(9), {}, ValueError, r"one value per row \(10\)"),
        (np.ones(10), {"kind": "guess"}, ValueError, "Valid prediction kind values: values, labels"),
        (np.full((10, 3), 0.2), {"classes": ["a", "b"]}, ValueError, "2 classes for 3"),
        (np.array(list("abababaaba")), {"classes": ["a"]}, ValueError, "not in classes"),
    ],
)
def test_surrogate_refuses_unclear_predictions(predictions, kwargs, error, message):
    rng = np.random.default_rng(13)
    frame = pd.DataFrame(rng.normal(size=(10, 2)), columns=["p", "q"])
    model = SOM(mapsize=(2, 2), random_state=0).fit(frame, epochs=2)
    with pytest.raises(error, match=message):
        SurrogateMap(model, frame, predictions, **kwargs)


def test_integer_labels_with_kind_and_a_misaligned_series():
    rng = np.random.default_rng(14)
    frame = pd.DataFrame(rng.normal(size=(50, 2)), columns=["p", "q"], index=np.arange(100, 150))
    model = SOM(mapsize=(3, 3), random_state=0).fit(frame, epochs=2)
    classes = (frame.p > 0).astype(int).to_numpy()
    assert SurrogateMap(model, frame, classes, kind="labels").classes == list(pd.unique(classes))
    with pytest.raises(ValueError, match="not in the data's index"):
        SurrogateMap(model, frame, pd.Series(frame.p.to_numpy()))  # a RangeIndex: labels 0..49


def test_surrogate_refuses_dask_rows():
    dd = pytest.importorskip("dask.dataframe")
    rng = np.random.default_rng(15)
    frame = pd.DataFrame(rng.normal(size=(40, 2)), columns=["p", "q"])
    model = SOM(mapsize=(3, 3), random_state=0).fit(frame, epochs=2)
    with pytest.raises(DaskRowsError, match="in memory"):
        SurrogateMap(model, dd.from_pandas(frame, npartitions=2), frame.p)


# ===================================================================== the groups on the planes
def test_component_planes_outline_the_feature_groups(planted):
    model, _ = planted
    groups = feature_groups(model, 0.9)
    planes = ComponentPlanes(model, groups=groups)
    assert planes.groups == [list(g) for g in groups]
    at = {name: i for i, group in enumerate(groups) for name in group}
    assert planes._group_of == [at[name] for name in planes.features]
    framed = [c for c in planes._group_colors if c]
    assert len(framed) == sum(len(g) > 1 for g in groups) and len(set(framed)) == len(framed)
    assert all(c == "" for c, g in zip(planes._group_colors, groups) if len(g) == 1)
    big = max(range(len(groups)), key=lambda i: len(groups[i]))
    assert planes._group_names[big] == (
        f"Group {big + 1} ({len(groups[big])} features, mean |r| {groups.mean_correlations[big]:.2f})"
    )
    # groups read off the same tree sit side by side
    positions = [planes._group_of.index(i) for i in range(len(groups))]
    for i, group in enumerate(groups):
        assert planes._group_of[positions[i] : positions[i] + len(group)] == [i] * len(group)
    planes.show_groups(None)
    assert planes.groups is None and planes._group_of == []


def test_plane_groups_by_hand_are_checked(planted):
    model, _ = planted
    planes = ComponentPlanes(model, features=["x", "y", "z"])
    planes.show_groups([["x", "y"]])
    assert planes._group_of == [0 if f in ("x", "y") else -1 for f in planes.features]
    with pytest.raises(ValueError, match="Unknown feature 'u'"):
        planes.show_groups([["x", "u"]])
    with pytest.raises(ValueError, match="in two groups"):
        planes.show_groups([["x", "y"], ["y"]])


# ========================================================================== the surrogate's view
def test_the_surrogate_view_shows_prediction_disagreement_and_drivers(two_regimes):
    from somnium.widgets import SurrogateView

    model, frame, prediction = two_regimes
    surrogate = SurrogateMap(model, frame, prediction)
    view = surrogate.view()
    assert isinstance(view, SurrogateView)
    assert view.layers[:2] == ["prediction", "disagreement"] and view.color == "prediction"
    np.testing.assert_array_equal(view.color_values, surrogate.node_prediction)
    view.color = "disagreement"
    np.testing.assert_array_equal(view.color_values, surrogate.disagreement)
    indices, scores = surrogate.top_drivers(3)
    np.testing.assert_array_equal(view._top_features, indices)
    np.testing.assert_allclose(view._top_scores, scores, rtol=1e-6, equal_nan=True)
    assert view._top_format == "r" and view._details == {}


def test_the_drivers_of_selected_nodes_are_their_row_weighted_means(two_regimes):
    model, frame, prediction = two_regimes
    surrogate = SurrogateMap(model, frame, prediction)
    view = surrogate.view()
    nodes = [0, 1, 14, 15]
    view.selected = nodes
    association, _ = surrogate.local_associations()
    weights = surrogate.counts[nodes].astype(float)
    expected = {
        name: np.nansum(association[nodes, j] * weights) / weights[~np.isnan(association[nodes, j])].sum()
        for j, name in enumerate(model.feature_names())
    }
    table = view.selected_drivers
    for name, value in expected.items():
        assert table.loc[name, "association"] == pytest.approx(value)
    assert list(table.index) == sorted(expected, key=lambda n: -abs(expected[n]))
    rows = view._details["rows"]
    assert [name for name, _ in rows] == list(table.index)
    assert rows[0][1].startswith("r ") and "4 selected nodes" in view._details["title"]
    view.selected = []
    assert view._details == {} and view.selected_drivers is None


def test_a_labels_surrogate_view_paints_classes():
    rng = np.random.default_rng(16)
    frame = pd.DataFrame(rng.uniform(-1, 1, size=(800, 2)), columns=["p", "q"])
    model = SOM(mapsize=(6, 6), random_state=0).fit(frame, epochs=5)
    labels = np.where(frame.p > 0, "yes", "no")
    view = SurrogateMap(model, frame, labels).view()
    labels_in_order = list(pd.unique(labels))  # the classes in order of first appearance
    assert view._layer_info["categorical"] and view._layer_info["categories"] == labels_in_order
    np.testing.assert_array_equal(view._layer_codes - 1, view.surrogate.layer.codes)
    assert view._layer_info["label"] == "prediction (most frequent)"
