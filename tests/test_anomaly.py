"""Anomaly scores, thresholds, the distance distribution and drift against independent references.

References: distances by exhaustive search over the prototypes, quantiles by ``np.quantile`` over the
brute-force distances, per-node scales from their definition, Jensen-Shannon divergences worked by
hand, and the small-count correction against sampling actual rows.
"""

import json
import math
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from somnium import SOM, engine
from somnium._distances import (
    MIN_DISTANCE,
    PRIOR_ROWS,
    QUANTILE_GRID,
    RELATIVE_ACCURACY,
    DistanceSketch,
    grid_quantiles,
)
from somnium.anomaly import drift_of_hits, jensen_shannon
from somnium.exceptions import ModelFileError, ModelNotTrainedError
from tests.support.reference import brute_bmus


def blobs(n=1200, seed=0):
    """A tight and a loose group, so node scales differ, and a few far rows."""
    rng = np.random.default_rng(seed)
    tight = rng.normal(0.0, 0.2, size=(n // 2, 3))
    loose = rng.normal(0.0, 1.5, size=(n - n // 2, 3)) + [6.0, 0.0, 0.0]
    return np.vstack([tight, loose])


@pytest.fixture(scope="module")
def fitted():
    X = blobs()
    return SOM(mapsize=(5, 6), random_state=0).fit(X, epochs=6), X


def brute_force(model, X):
    """BMU and Euclidean distance to it of every row, by exhaustive search in the normalised space."""
    Xn, W = model.normalize(X), model.normalized_codebook_
    first, _, d2 = brute_bmus(Xn, W)
    return first, np.sqrt(d2[np.arange(len(Xn)), first])


def brute_scale(hits, sq, prior=PRIOR_ROWS):
    """Node scales from the definition: sqrt((S_j + k s^2) / (n_j + k)), s^2 the map's mean square."""
    overall = sq.sum() / hits.sum()
    return np.array([math.sqrt((s + prior * overall) / (n + prior)) for n, s in zip(hits, sq)])


# ------------------------------------------------------------------- scores
@pytest.mark.parametrize("lattice", ["hexa", "toroidal_rect"])
def test_bmu_distance_equals_brute_force(lattice, path):
    X = blobs(seed=1)
    model = SOM(mapsize=(4, 5), lattice=lattice, random_state=0).fit(X, epochs=4)
    new = blobs(n=400, seed=2) + 0.3
    _, reference = brute_force(model, new)
    distance = model.bmu_distance(new)
    assert distance.dtype == np.float64 and distance.shape == (400,) and (distance >= 0).all()
    np.testing.assert_allclose(distance, reference, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(model.score_samples(new), -distance)
    assert distance.mean() == pytest.approx(model.calculate_mean_bmu_distance(new), rel=1e-12)
    assert model.score(new) == pytest.approx(model.score_samples(new).mean(), rel=1e-12)


def test_both_paths_give_the_same_distances(monkeypatch):
    pytest.importorskip("numba")
    X = blobs(n=3000, seed=4)
    model = SOM(mapsize=(6, 6), random_state=0).fit(X, epochs=3)
    # many blocks and tiles, a tile height that does not divide the rows
    monkeypatch.setattr(engine, "_block_rows", lambda n_nodes: 700)
    monkeypatch.setattr(engine, "_tile_rows", lambda n_nodes, itemsize, block_rows: 97)
    results = []
    for use in (False, True):
        monkeypatch.setattr(engine, "USE_NUMBA", use)
        results.append(model.bmu_distance(X))
        assert np.array_equal(model.predict(X), brute_force(model, X)[0])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-13, atol=1e-15)


def test_a_non_euclidean_search_still_measures_euclidean_distance():
    """The BMU is the metric's; the score is the Euclidean distance to it (as calculate_mean_bmu_distance)."""
    X = blobs(n=500, seed=5)
    model = SOM(mapsize=(4, 4), distance_metric="cityblock", random_state=0).fit(X, epochs=3)
    Xn, W = model.normalize(X), model.normalized_codebook_
    bmu = np.abs(Xn[:, None, :] - W[None]).sum(axis=2).argmin(axis=1)
    np.testing.assert_allclose(model.bmu_distance(X), np.linalg.norm(Xn - W[bmu], axis=1), rtol=1e-12)


def test_dataframes_are_scored_by_column_name(fitted):
    pd = pytest.importorskip("pandas")
    model, X = fitted
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    named = SOM(mapsize=(5, 6), random_state=0).fit(frame, epochs=6)
    shuffled = frame[["c", "a", "b"]]
    np.testing.assert_allclose(named.bmu_distance(shuffled), named.bmu_distance(X), rtol=0, atol=0)
    np.testing.assert_allclose(named.bmu_distance(frame), model.bmu_distance(X), rtol=1e-12)


def test_relative_distance_is_distance_over_the_node_scale(fitted):
    model, X = fitted
    bmu, d = brute_force(model, X)
    n_nodes = model.lattice_.n_nodes
    hits = np.bincount(bmu, minlength=n_nodes).astype(float)
    sq = np.bincount(bmu, weights=d**2, minlength=n_nodes)
    scale = brute_scale(hits, sq)
    new = blobs(n=300, seed=7) * 1.3
    new_bmu, new_d = brute_force(model, new)
    np.testing.assert_allclose(model.bmu_distance(new, relative=True), new_d / scale[new_bmu], rtol=1e-10)
    # the tight group's nodes have smaller scales than the loose group's
    tight_nodes = np.unique(bmu[:600])
    loose_nodes = np.unique(bmu[600:])
    assert np.median(scale[tight_nodes]) < 0.5 * np.median(scale[loose_nodes])


def test_the_fit_stores_per_node_distance_sums(fitted):
    model, X = fitted
    bmu, d = brute_force(model, X)
    nodes = model._state.nodes
    n_nodes = model.lattice_.n_nodes
    np.testing.assert_allclose(nodes.distance, np.bincount(bmu, weights=d, minlength=n_nodes), rtol=1e-12)
    np.testing.assert_allclose(
        nodes.sq_distance, np.bincount(bmu, weights=d**2, minlength=n_nodes), rtol=1e-12
    )


# --------------------------------------------------------------- thresholds
def test_thresholds_are_exact_training_quantiles_on_the_grid(fitted):
    model, X = fitted
    bmu, d = brute_force(model, X)
    scale = brute_scale(np.bincount(bmu, minlength=30).astype(float), np.bincount(bmu, d**2, 30))
    relative = d / scale[bmu]
    for q in (0.0, 0.5, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9995, 1.0):
        assert q in QUANTILE_GRID
        assert model.anomaly_threshold(q) == pytest.approx(np.quantile(d, q), rel=1e-12)
        assert model.anomaly_threshold(q, relative=True) == pytest.approx(np.quantile(relative, q), rel=1e-10)
    # between grid points: between the neighbouring exact quantiles
    value = model.anomaly_threshold(0.99123)
    assert np.quantile(d, 0.9912) <= value <= np.quantile(d, 0.9913)
    assert model.anomaly_threshold() == model.anomaly_threshold(0.99)


def test_is_anomaly_is_the_distance_above_the_threshold(fitted):
    model, X = fitted
    new = np.vstack([blobs(n=200, seed=9), [[20.0, 20.0, 20.0], [-8.0, 5.0, 0.0]]])
    _, d = brute_force(model, new)
    for q in (0.9, 0.99):
        np.testing.assert_array_equal(model.is_anomaly(new, q), d > np.quantile(brute_force(model, X)[1], q))
    assert model.is_anomaly(new)[-2:].all()
    flagged = model.is_anomaly(X, 0.95)
    assert flagged.dtype == bool and abs(flagged.mean() - 0.05) <= 1 / len(X)


def test_threshold_from_given_rows_equals_their_quantile(fitted):
    model, _ = fitted
    other = blobs(n=500, seed=11)
    _, d = brute_force(model, other)
    assert model.anomaly_threshold(0.9, X=other) == pytest.approx(np.quantile(d, 0.9), rel=1e-12)


@pytest.mark.parametrize("q", [-0.1, 1.5, float("nan"), "0.9"])
def test_a_bad_quantile_is_refused(fitted, q):
    with pytest.raises(ValueError, match="q must be"):
        fitted[0].anomaly_threshold(q)


def test_every_way_of_fitting_stores_the_distribution():
    X = blobs(n=600, seed=12)
    stopped = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=8, callbacks=lambda info: info.epoch == 3)
    models = [
        SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=3, collect_history=True),
        SOM(mapsize=(4, 4), random_state=0).fit_online(X, epochs=2),
        SOM(mapsize=(4, 4), random_state=0).fit_auto(X, 4, 4),
        stopped,
    ]
    for model in models:
        _, d = brute_force(model, X)
        assert model.anomaly_threshold(0.9) == pytest.approx(np.quantile(d, 0.9), rel=1e-12)
    assert len(stopped.history_["epoch"]) == 3


def test_an_interrupted_fit_without_statistics_says_what_to_do(fitted):
    _, X = fitted
    broken = SOM(mapsize=(5, 6), random_state=0).fit(X, epochs=1)
    broken._state = broken._state.with_training_statistics(None, None)
    with pytest.raises(ModelNotTrainedError, match=r"Fit it again, or pass the training rows"):
        broken.anomaly_threshold()
    with pytest.raises(ModelNotTrainedError, match=r"Fit it again, or use relative=False"):
        broken.bmu_distance(X, relative=True)
    with pytest.raises(ModelNotTrainedError, match=r"drift\(X_new, reference=X_train\)"):
        broken.drift(X)
    assert broken.anomaly_threshold(0.5, X=X) > 0
    assert broken.drift(X[:100], reference=X).n_training == len(X)
    assert broken.bmu_distance(X).shape == (len(X),)


def test_an_unfitted_model_says_so():
    with pytest.raises(ModelNotTrainedError, match="not trained yet"):
        SOM().bmu_distance(np.zeros((2, 2)))
    with pytest.raises(ModelNotTrainedError, match="not trained yet"):
        SOM().drift(np.zeros((2, 2)))


# ------------------------------------------------------------------- sketch
distances = st.lists(
    st.one_of(
        st.floats(1e-6, 1e6, allow_nan=False),
        st.just(0.0),
        st.floats(0.5, 2.0, allow_nan=False),
    ),
    min_size=1,
    max_size=300,
)


@settings(max_examples=200, deadline=None)
@given(values=distances, q=st.floats(0.0, 1.0), split=st.integers(0, 300))
def test_sketch_quantiles_are_within_the_stated_relative_error(values, q, split):
    values = np.array(values)
    exact = np.quantile(values, q)
    sketch = DistanceSketch.of(values[:split]) + DistanceSketch.of(values[split:])
    assert sketch.n == len(values)
    assert abs(sketch.quantile(q) - exact) <= RELATIVE_ACCURACY * (1 + 1e-9) * exact + MIN_DISTANCE


@settings(max_examples=100, deadline=None)
@given(values=distances, cuts=st.lists(st.integers(0, 300), max_size=5))
def test_sketches_add_to_the_sketch_of_all_rows_in_any_split(values, cuts):
    values = np.array(values)
    whole = DistanceSketch.of(values)
    parts = [
        DistanceSketch.of(part) for part in np.split(values, sorted(c % (len(values) + 1) for c in cuts))
    ]
    total = DistanceSketch.empty()
    for part in reversed(parts):
        total = part + total
    assert total.zeros == whole.zeros
    nonzero = np.flatnonzero(total.counts)
    assert total.offset + nonzero[0] == whole.offset if nonzero.size else whole.counts.size == 0
    np.testing.assert_array_equal(np.trim_zeros(total.counts), np.trim_zeros(whole.counts))


def test_a_sketch_of_nothing_refuses_quantiles():
    with pytest.raises(ValueError, match="no distances"):
        DistanceSketch.empty().quantile(0.5)


def test_dask_fit_keeps_a_sketch_within_its_accuracy():
    da = pytest.importorskip("dask.array")
    X = blobs(n=3000, seed=13)
    model = SOM(mapsize=(5, 5), random_state=0).fit(da.from_array(X, chunks=700), epochs=3)
    memory = SOM(mapsize=(5, 5), random_state=0).fit(X, epochs=3)
    np.testing.assert_allclose(model.normalized_codebook_, memory.normalized_codebook_, atol=1e-9)
    _, d = brute_force(model, X)
    for q in (0.5, 0.9, 0.99):
        assert abs(model.anomaly_threshold(q) - np.quantile(d, q)) <= RELATIVE_ACCURACY * np.quantile(d, q)
    np.testing.assert_allclose(model._state.nodes.sq_distance, memory._state.nodes.sq_distance, rtol=1e-9)
    with pytest.raises(ModelNotTrainedError, match="fitted on Dask rows"):
        model.anomaly_threshold(relative=True)
    assert model.anomaly_threshold(0.9, relative=True, X=X) == pytest.approx(
        memory.anomaly_threshold(0.9, relative=True), rel=1e-9
    )


# -------------------------------------------------------------------- drift
def test_jensen_shannon_by_hand():
    # P = (1/2, 1/2, 0), Q = (0, 1/2, 1/2): M = (1/4, 1/2, 1/4);
    # KL(P||M) = 1/2 log2(2) + 1/2 log2(1) = 1/2, likewise KL(Q||M): JS = 1/2 bit.
    assert jensen_shannon([1, 1, 0], [0, 1, 1]) == pytest.approx(0.5, abs=1e-15)
    assert jensen_shannon([1, 0], [0, 1]) == pytest.approx(1.0)
    assert jensen_shannon([3, 1], [3, 1]) == 0.0
    # P = (3/4, 1/4), Q = (1/4, 3/4): M = (1/2, 1/2), KL(P||M) = 3/4 log2(3/2) + 1/4 log2(1/2)
    kl = 0.75 * math.log2(1.5) + 0.25 * math.log2(0.5)
    assert jensen_shannon([3, 1], [1, 3]) == pytest.approx(kl, rel=1e-14)


def test_drift_figures_by_hand():
    report = drift_of_hits([50, 30, 20, 0], [10, 10, 0, 20])
    np.testing.assert_allclose(report.training_share, [0.5, 0.3, 0.2, 0.0])
    np.testing.assert_allclose(report.new_share, [0.25, 0.25, 0.0, 0.5])
    np.testing.assert_allclose(report.difference, [-0.25, -0.05, -0.2, 0.5])
    p, q = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.25, 0.25, 0.0, 0.5])
    m = (p + q) / 2
    by_hand = 0.5 * (
        0.5 * math.log2(0.5 / m[0]) + 0.3 * math.log2(0.3 / m[1]) + 0.2 * math.log2(0.2 / m[2])
    ) + 0.5 * (0.25 * math.log2(0.25 / m[0]) + 0.25 * math.log2(0.25 / m[1]) + 0.5 * math.log2(0.5 / m[3]))
    assert report.raw_divergence == pytest.approx(by_hand, rel=1e-14)
    assert report.divergence == pytest.approx(report.raw_divergence - report.expected_if_unchanged)
    assert (report.n_training, report.n_new) == (100, 40)
    assert report.p_value < 0.01
    assert "bits" in repr(report)


def test_the_small_count_correction_matches_sampling_actual_rows():
    """The correction is the divergence two same-distribution samples of these sizes show by chance."""
    rng = np.random.default_rng(0)
    shares = rng.dirichlet(np.ones(40))
    training = rng.multinomial(5000, shares)
    expected = drift_of_hits(training, rng.multinomial(300, shares)).expected_if_unchanged
    # independent reference: draw rows from a population with these shares, and count where they land
    population = np.repeat(np.arange(40), rng.multinomial(10**6, shares))
    chance = [
        jensen_shannon(
            np.bincount(rng.choice(population, 5000), minlength=40),
            np.bincount(rng.choice(population, 300), minlength=40),
        )
        for _ in range(300)
    ]
    assert expected == pytest.approx(np.mean(chance), rel=0.08)
    # with many rows per node, the asymptotic (nodes - 1) / (8 ln 2) (1/n + 1/N)
    big = drift_of_hits(rng.multinomial(10**6, shares), rng.multinomial(10**5, shares))
    assert big.expected_if_unchanged == pytest.approx(39 / (8 * math.log(2)) * (1e-5 + 1e-6), rel=0.1)


def test_fresh_rows_of_the_training_distribution_rarely_look_drifted(fitted):
    """Out of sample (the map adapted to its training rows, not to these), the p-values stay honest."""
    model, X = fitted
    p_values = np.array([model.drift(blobs(n=300, seed=100 + k)).p_value for k in range(20)])
    assert np.mean(p_values < 0.05) <= 0.2 and np.median(p_values) > 0.2  # lenient bounds for 20 draws
    shifted = model.drift(blobs(n=300, seed=21) + [2.0, 0.0, 0.0])
    assert shifted.p_value < 0.01 and shifted.divergence > 0.1
    assert shifted.difference.sum() == pytest.approx(0.0, abs=1e-12)
    assert shifted.training_share == pytest.approx(model.node_hits() / len(X))
    new_bmu, _ = brute_force(model, blobs(n=300, seed=21) + [2.0, 0.0, 0.0])
    np.testing.assert_allclose(shifted.new_share, np.bincount(new_bmu, minlength=30) / 300)


def test_drift_needs_rows_on_both_sides():
    with pytest.raises(ValueError, match="rows on both sides"):
        drift_of_hits([0, 0], [1, 2])


# -------------------------------------------------------------- persistence
def test_the_distribution_survives_a_save(fitted, tmp_path):
    model, X = fitted
    model.save(tmp_path / "m.som")
    loaded = SOM.load(tmp_path / "m.som")
    for q in (0.3, 0.99, 0.99123):
        assert loaded.anomaly_threshold(q) == model.anomaly_threshold(q)
        assert loaded.anomaly_threshold(q, relative=True) == model.anomaly_threshold(q, relative=True)
    np.testing.assert_array_equal(loaded.bmu_distance(X, relative=True), model.bmu_distance(X, relative=True))
    a, b = loaded._state.nodes.distances.sketch, model._state.nodes.distances.sketch
    assert (a.offset, a.zeros) == (b.offset, b.zeros) and np.array_equal(a.counts, b.counts)


def _rewrite(path, target, change_meta=None, drop=()):
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(parts["somnium.json"])
    if change_meta:
        change_meta(meta)
    for name in drop:
        parts.pop(f"{name}.npy")
        meta["arrays"].remove(name)
    parts["somnium.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


def test_a_format_3_file_loads_and_asks_for_a_refit(fitted, tmp_path):
    model, X = fitted
    model.save(tmp_path / "m.som")
    arrays = ("nodes.distance", "nodes.sq_distance", "distances.sketch", "distances.grid")
    arrays += ("distances.quantiles", "distances.relative_quantiles")

    def as_format_3(meta):
        meta["format_version"] = 3
        meta["nodes"].pop("distances")

    old = SOM.load(_rewrite(tmp_path / "m.som", tmp_path / "old.som", as_format_3, arrays))
    np.testing.assert_array_equal(old.bmu_distance(X), model.bmu_distance(X))
    assert old.drift(X[:300]).raw_divergence == model.drift(X[:300]).raw_divergence
    with pytest.raises(ModelNotTrainedError, match="older Somnium"):
        old.anomaly_threshold()
    with pytest.raises(ModelNotTrainedError, match="older Somnium"):
        old.is_anomaly(X)
    with pytest.raises(ModelNotTrainedError, match="relative=False"):
        old.bmu_distance(X, relative=True)
    assert old.anomaly_threshold(0.99, X=X) == model.anomaly_threshold(0.99)


@pytest.mark.parametrize(
    "change, drop, problem",
    [
        (lambda m: m["nodes"]["distances"].update(sketch_zeros=-1), (), "not counts"),
        (lambda m: m["nodes"]["distances"].update(sketch_buckets=10**9), (), "out of range"),
        (lambda m: m["nodes"]["distances"].update(sketch_zeros=5), (), "sketch's counts"),
        (lambda m: m["nodes"]["distances"].update(relative_accuracy=0.01), (), "another accuracy"),
        (lambda m: m["nodes"]["distances"].update(grid_size=10**9), (), "grid_size"),
        (None, ("distances.relative_quantiles",), "incomplete"),
        (lambda m: m["nodes"]["distances"].update(grid_size=None), (), "without a grid_size"),
        (None, ("nodes.distance",), "missing"),
        (lambda m: m.update(format_version=3), (), "lattice.shifted_rows|not part of this format"),
    ],
)
def test_damaged_distance_fields_are_refused(fitted, tmp_path, change, drop, problem):
    model, _ = fitted
    model.save(tmp_path / "m.som")
    damaged = _rewrite(tmp_path / "m.som", tmp_path / "bad.som", change, drop)
    with pytest.raises(ModelFileError, match=problem):
        SOM.load(damaged)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=300),
    st.lists(st.floats(0, 1), min_size=1, max_size=20),
)
def test_grid_quantiles_are_numpys_to_the_bit(values, probabilities):
    grid = np.unique(np.concatenate([QUANTILE_GRID, probabilities]))
    np.testing.assert_array_equal(grid_quantiles(np.array(values), grid), np.quantile(values, grid))
