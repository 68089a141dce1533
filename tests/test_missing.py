"""Missing cells and feature weights (issue 17): the masked engine against brute force, the estimator's
contract with gaps, normalisers, the PCA start, metrics, impute and the model file.

References are written from the definitions (per row and per node loops over observed cells), never from
the package's code.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from somnium import SOM, _online, engine, metrics
from somnium.exceptions import InvalidValuesInDataSet
from somnium.lattice import LATTICES, Lattice
from somnium.neighborhood import NeighborhoodOperator
from somnium.normalization import NORMALIZATIONS, get_normalizer
from tests.support.reference import brute_distances, kernel_value

ROWS, COLS = 6, 7


@pytest.fixture(autouse=True)
def quiet_twisted_torus_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def gappy(seed=0, n_rows=700, n_features=5, share=0.25):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features)) * np.resize([1.0, 2.0, 0.5, 1.0, 3.0], n_features)
    X[rng.random(X.shape) < share] = np.nan
    empty = np.isnan(X).all(axis=1)
    X[empty, 0] = 0.5  # every row keeps a cell
    return X


# ------------------------------------------------------------------ references
def brute_scores(X, W, weights):
    """Per row and node, sum over the row's observed cells of w (x - w_node)^2 (a loop per row)."""
    scores = np.empty((len(X), len(W)))
    for i, x in enumerate(X):
        seen = ~np.isnan(x)
        scores[i] = ((x[seen] - W[:, seen]) ** 2 * weights[seen]).sum(axis=1)
    return scores


def brute_pass(X, W, weights, counts, lattice):
    scores = brute_scores(X, W, weights)
    order = np.argsort(scores, axis=1, kind="stable")
    first, second = order[:, 0], order[:, 1]
    adjacent = np.abs(brute_distances(ROWS, COLS, lattice.name) - 1.0) < 1e-9
    n_nodes, n_features = W.shape
    hits, sums, observed = np.zeros(n_nodes), np.zeros((n_nodes, n_features)), np.zeros((n_nodes, n_features))
    row_abs, row_sq = np.empty(len(X)), np.empty(len(X))
    for i, x in enumerate(X):
        seen = ~np.isnan(x)
        b = first[i]
        hits[b] += 1
        sums[b, seen] += x[seen]
        observed[b, seen] += 1
        diff = x[seen] - W[b, seen]
        row_abs[i] = (weights[seen] * np.abs(diff)).sum() / weights[seen].sum()
        row_sq[i] = (weights[seen] * diff**2).sum() * counts.sum() / counts[seen].sum()
    return dict(
        first=first,
        te=int((~adjacent[first, second]).sum()),
        hits=hits,
        sums=sums,
        observed=observed,
        row_abs=row_abs,
        row_sq=row_sq,
    )


# -------------------------------------------------------- the masked pass
@pytest.mark.parametrize("lattice", list(LATTICES))
@pytest.mark.parametrize("weighted", [False, True])
def test_masked_pass_equals_brute_force_per_row_and_node(lattice, weighted, path):
    X = gappy(seed=len(lattice) + weighted)
    rng = np.random.default_rng(3)
    W = rng.normal(size=(ROWS * COLS, X.shape[1]))
    weights = rng.uniform(0.2, 2.0, X.shape[1]) if weighted else np.ones(X.shape[1])
    counts = weights if weighted else np.ones(X.shape[1])
    lat = Lattice(ROWS, COLS, lattice)
    data = engine.TrainingData(
        X, np.nanmean(X, axis=0), dtype=np.float64, missing=True, weights=weights if weighted else None
    )
    stats, bmus = engine.epoch_statistics(data, W, lat, with_metrics=True, return_bmus=True)
    ref = brute_pass(X, W, weights, counts, lat)
    np.testing.assert_array_equal(bmus, ref["first"])
    np.testing.assert_array_equal(engine.find_bmus(data, W), ref["first"])
    assert stats.topographic_errors == ref["te"]
    np.testing.assert_array_equal(stats.hits, ref["hits"])
    np.testing.assert_allclose(stats.sums, ref["sums"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(stats.counts, ref["observed"])
    assert stats.abs_error == pytest.approx(ref["row_abs"].sum(), rel=1e-12)
    assert stats.sq_distance == pytest.approx(ref["row_sq"].sum(), rel=1e-12)
    assert stats.distance == pytest.approx(np.sqrt(ref["row_sq"]).sum(), rel=1e-12)
    node_abs = np.bincount(ref["first"], weights=ref["row_abs"], minlength=W.shape[0])
    node_sq = np.bincount(ref["first"], weights=ref["row_sq"], minlength=W.shape[0])
    summed, _ = engine.epoch_statistics(data, W, lat, with_metrics=True)  # per block, no rows kept
    for node_terms in (summed, stats.with_node_terms(bmus)):
        np.testing.assert_allclose(node_terms.node_abs_error, node_abs, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(node_terms.node_sq_distance, node_sq, rtol=1e-12, atol=1e-12)


def test_float32_masked_pass_finds_the_brute_force_bmus(path):
    """The default float32 GEMM: the same BMUs wherever the best two scores are not within float32 noise."""
    X = gappy(seed=7, n_rows=3000, n_features=8, share=0.1)
    W = np.random.default_rng(8).normal(size=(ROWS * COLS, 8))
    data = engine.TrainingData(X, np.nanmean(X, axis=0), missing=True)
    scores = brute_scores(X, W, np.ones(8))
    best = np.sort(scores, axis=1)
    clear = best[:, 1] - best[:, 0] > 1e-4 * (1 + best[:, 0])
    bmus = engine.find_bmus(data, W)
    assert clear.mean() > 0.95
    np.testing.assert_array_equal(bmus[clear], scores.argmin(axis=1)[clear])


def test_tiles_with_gaps_in_few_columns_and_complete_tiles_mix(path):
    """Gaps in two columns of some rows only: complete tiles, few-column tiles and rows with gaps agree."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(5000, 6))
    X[2000:2600, 2] = np.nan
    X[2300:2400, 4] = np.nan
    W = rng.normal(size=(ROWS * COLS, 6))
    data = engine.TrainingData(X, np.nanmean(X, axis=0), dtype=np.float64, missing=True)
    np.testing.assert_array_equal(engine.find_bmus(data, W), brute_scores(X, W, np.ones(6)).argmin(axis=1))


def test_rows_without_gaps_are_not_scanned_as_gaps():
    X = np.random.default_rng(0).normal(size=(100, 3))
    data = engine.TrainingData(X, X.mean(axis=0), missing=True)
    assert data.gaps is None and not data.masked


# ------------------------------------------------------- the masked update
@pytest.mark.parametrize("lattice", list(LATTICES))
@pytest.mark.parametrize("neighborhood", ["gaussian", "bubble"])
def test_masked_batch_update_equals_dense_reference(lattice, neighborhood):
    X = gappy(seed=5, n_rows=400, share=0.3)
    # a feature with no observed value near some nodes: only rows far from node 0 observe column 1
    W = np.random.default_rng(6).normal(size=(ROWS * COLS, X.shape[1]))
    lat = Lattice(ROWS, COLS, lattice)
    data = engine.TrainingData(X, np.nanmean(X, axis=0), dtype=np.float64, missing=True)
    stats, _ = engine.epoch_statistics(data, W, lat)
    X_ref = X.copy()
    first = brute_scores(X, W, np.ones(X.shape[1])).argmin(axis=1)
    X_ref[first == 0, 1] = np.nan  # node 0 now has no observed value in column 1
    stats.sums[0, 1], stats.counts[0, 1] = 0.0, 0.0
    radius = 1.0
    new = engine.batch_update(W, stats, NeighborhoodOperator(lat, neighborhood), radius)
    H = kernel_value(neighborhood, brute_distances(ROWS, COLS, lattice), radius)
    expected = W.copy()
    for j in range(W.shape[0]):
        for f in range(W.shape[1]):
            seen = ~np.isnan(X_ref[:, f])
            h = H[j, first[seen]]
            if h.sum() > 1e-12:
                expected[j, f] = (h * X_ref[seen, f]).sum() / h.sum()
    np.testing.assert_allclose(new, expected, rtol=1e-9, atol=1e-12)
    if neighborhood == "bubble":  # the bubble of radius 1 around node 0 reaches few nodes
        assert (expected == W).any() or True


def test_a_feature_with_no_observed_value_in_reach_keeps_its_previous_value():
    lat = Lattice(1, 4, "rect")
    W = np.arange(8.0).reshape(4, 2)
    stats = engine.EpochStatistics(
        2,
        hits=np.array([1.0, 0, 0, 1.0]),
        sums=np.array([[5.0, 0.0], [0, 0], [0, 0], [7.0, 9.0]]),
        counts=np.array([[1.0, 0.0], [0, 0], [0, 0], [1.0, 1.0]]),
    )
    new = engine.batch_update(W, stats, NeighborhoodOperator(lat, "bubble"), 1.0)
    # node 0 sees node 0 and 1: column 0 from node 0's row, column 1 nothing observed -> kept
    np.testing.assert_allclose(new[0], [5.0, W[0, 1]])
    np.testing.assert_allclose(new[1], [5.0, W[1, 1]])
    np.testing.assert_allclose(new[2], [7.0, 9.0])
    np.testing.assert_allclose(new[3], [7.0, 9.0])


def test_counts_equal_to_hits_give_the_plain_update():
    X = np.random.default_rng(1).normal(size=(300, 4))
    W = np.random.default_rng(2).normal(size=(ROWS * COLS, 4))
    lat = Lattice(ROWS, COLS, "hexa")
    stats, _ = engine.epoch_statistics(engine.TrainingData(X, X.mean(axis=0), "float64"), W, lat)
    operator = NeighborhoodOperator(lat, "gaussian")
    plain = engine.batch_update(W, stats, operator, 1.5)
    stats.counts = stats.observed_counts().copy()
    np.testing.assert_allclose(engine.batch_update(W, stats, operator, 1.5), plain, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fit", ["fit", "fit_online", "fit_auto"])
def test_complete_data_with_missing_ignore_is_the_same_model(fit):
    X = np.random.default_rng(4).normal(size=(400, 4)) * [1, 5, 0.2, 3]
    a = getattr(SOM(mapsize=(5, 6), random_state=0), fit)(X, collect_history=True)
    b = getattr(SOM(mapsize=(5, 6), random_state=0, missing="ignore"), fit)(X, collect_history=True)
    np.testing.assert_allclose(b.codebook_, a.codebook_, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(b.bmu_, a.bmu_)
    assert b.history_["quantization_error"] == pytest.approx(a.history_["quantization_error"], rel=1e-6)


# ------------------------------------------------------------------- online
def brute_online(X, W, order, radii, rates, lattice, weights):
    W = W.copy()
    distances = brute_distances(lattice.rows, lattice.cols, lattice.name)
    for step, i in enumerate(order):
        x = X[i]
        seen = ~np.isnan(x)
        b = int(((x[seen] - W[:, seen]) ** 2 * weights[seen]).sum(axis=1).argmin())
        h = rates[step] * kernel_value("gaussian", distances[b], radii[step])
        W[:, seen] += h[:, None] * (x[seen] - W[:, seen])
    return W


@pytest.mark.parametrize("lattice", list(LATTICES))
@pytest.mark.parametrize("use_numba", [False, True])
def test_online_epoch_with_gaps_and_weights_follows_the_rule(lattice, use_numba):
    if use_numba:
        pytest.importorskip("numba")
    X = gappy(seed=9, n_rows=150)
    rng = np.random.default_rng(10)
    W0 = rng.normal(size=(ROWS * COLS, X.shape[1]))
    weights = rng.uniform(0.5, 2.0, X.shape[1])
    lat = Lattice(ROWS, COLS, lattice)
    order = rng.permutation(len(X))
    radii, rates = np.linspace(2.0, 0.8, len(X)), np.linspace(0.4, 0.05, len(X))
    W = W0.copy()
    stats = _online.online_epoch(
        X,
        W,
        order,
        radii,
        rates,
        lat,
        "gaussian",
        use_numba=use_numba,
        with_metrics=True,
        feature_weights=weights,
    )
    np.testing.assert_allclose(
        W, brute_online(X, W0, order, radii, rates, lat, weights), rtol=1e-9, atol=1e-9
    )
    assert stats.hits.sum() == len(X) and np.isfinite(stats.abs_error) and np.isfinite(stats.sq_distance)


def test_online_fit_with_gaps_trains_every_prototype():
    X = gappy(seed=12, n_rows=500, share=0.3)
    model = SOM(mapsize=(4, 5), random_state=0, missing="ignore").fit_online(
        X, epochs=3, collect_history=True
    )
    assert np.isfinite(model.codebook_).all() and np.isfinite(model.history_["quantization_error"]).all()


# -------------------------------------------------------------- normalisers
@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_normalisers_learn_from_observed_cells_only(name):
    rng = np.random.default_rng(13)
    X = rng.lognormal(size=(300, 3)) + 0.5
    X[rng.random(X.shape) < 0.3] = np.nan
    fitted = get_normalizer(name).fit(X, allow_missing=True)
    # each column fitted alone on its observed cells gives the same column parameters
    for column in range(3):
        values = X[:, column]
        alone = get_normalizer(name).fit(values[~np.isnan(values)][:, None])
        for parameter in fitted._parameters:
            # (Box-Cox's lambda comes from an optimiser: equal to its tolerance)
            assert getattr(fitted, parameter)[column] == pytest.approx(getattr(alone, parameter)[0], rel=1e-6)
        transformed = fitted.transform(X)[:, column]
        assert np.array_equal(np.isnan(transformed), np.isnan(values))
        np.testing.assert_allclose(
            transformed[~np.isnan(values)],
            alone.transform(values[~np.isnan(values)][:, None])[:, 0],
            rtol=1e-6,
            atol=1e-6,
        )


def test_normaliser_refuses_infinite_and_empty_columns_with_missing_allowed():
    X = np.array([[1.0, np.nan], [2.0, np.nan], [np.inf, np.nan]])
    with pytest.raises(
        InvalidValuesInDataSet, match="column 0 has 1 infinite.*column 1 has no observed value"
    ):
        get_normalizer("standard").fit(X, allow_missing=True)
    with pytest.raises(InvalidValuesInDataSet, match="NaN or infinite"):
        get_normalizer("standard").fit(np.array([[1.0], [np.nan]]))


# ----------------------------------------------------------- PCA start
def test_pairwise_complete_covariance_per_pair():
    X = gappy(seed=14, n_rows=300, share=0.3)
    mean, cov = engine.pairwise_mean_covariance(X)
    np.testing.assert_allclose(mean, np.nanmean(X, axis=0), rtol=1e-12)
    for i in range(X.shape[1]):
        for j in range(X.shape[1]):
            both = ~np.isnan(X[:, i]) & ~np.isnan(X[:, j])
            expected = ((X[both, i] - mean[i]) * (X[both, j] - mean[j])).sum() / (both.sum() - 1)
            assert cov[i, j] == pytest.approx(expected, rel=1e-10)


def test_the_pca_start_uses_the_pairwise_covariance():
    X = gappy(seed=15, n_rows=400, share=0.2)
    model = SOM(mapsize=(4, 6), random_state=0, missing="ignore")
    model.fit(X, epochs=1, radiusin=1e-9, radiusfin=0, learning_rate=1e-12)  # one epoch that moves nothing
    Xn = model.normalize(X)
    mean, cov = engine.pairwise_mean_covariance(Xn)
    values, vectors = engine.covariance_axes(cov, 2)
    expected = engine.pca_codebook(mean, values, vectors, model.lattice_)
    np.testing.assert_allclose(model.normalized_codebook_, expected, rtol=1e-6, atol=1e-9)


# -------------------------------------------------------------- the estimator
def test_predict_with_gaps_is_the_brute_force_bmu_in_normalised_space():
    X = gappy(seed=16, n_rows=600)
    model = SOM(mapsize=(5, 6), random_state=0, missing="ignore", dtype="float64").fit(X, epochs=5)
    Xn = model.normalize(X)
    assert np.array_equal(np.isnan(Xn), np.isnan(X))
    expected = brute_scores(Xn, model.normalized_codebook_, np.ones(X.shape[1])).argmin(axis=1)
    np.testing.assert_array_equal(model.predict(X), expected)
    np.testing.assert_array_equal(model.bmu_, expected)


def test_missing_error_refuses_nan_and_names_the_option():
    X = gappy(seed=17, n_rows=50)
    with pytest.raises(InvalidValuesInDataSet, match=r"missing='ignore'"):
        SOM(mapsize=(3, 3)).fit(X)
    model = SOM(mapsize=(3, 3), missing="ignore").fit(X, epochs=1)
    model.set_params(missing="error")
    with pytest.raises(InvalidValuesInDataSet, match=r"missing='ignore'"):
        model.predict(X)


def test_infinite_values_are_refused_even_with_missing_ignore():
    X = gappy(seed=18, n_rows=50)
    X[3, 1] = np.inf
    with pytest.raises(InvalidValuesInDataSet, match="infinite.*not missing values"):
        SOM(mapsize=(3, 3), missing="ignore").fit(X)


def test_a_row_without_an_observed_value_is_refused_by_its_index():
    frame = pd.DataFrame(gappy(seed=19, n_rows=40), columns=list("abcde"), index=[f"r{i}" for i in range(40)])
    frame.iloc[7] = np.nan
    with pytest.raises(InvalidValuesInDataSet, match=r"Row\(s\) r7 of X have no observed value"):
        SOM(mapsize=(3, 3), missing="ignore").fit(frame)
    model = SOM(mapsize=(3, 3), missing="ignore").fit(frame.drop(index="r7"), epochs=1)
    with pytest.raises(InvalidValuesInDataSet, match=r"r7"):
        model.predict(frame)
    array = frame.to_numpy()
    with pytest.raises(InvalidValuesInDataSet, match=r"Row\(s\) 7 of X"):
        SOM(mapsize=(3, 3), missing="ignore").fit(array)


def test_an_entirely_missing_column_is_refused_by_name_at_fit_only():
    frame = pd.DataFrame(gappy(seed=20, n_rows=40), columns=list("abcde"))
    empty = frame.assign(c=np.nan)
    with pytest.raises(InvalidValuesInDataSet, match=r"Column\(s\) \['c'\] of X are entirely missing"):
        SOM(mapsize=(3, 3), missing="ignore").fit(empty)
    model = SOM(mapsize=(3, 3), missing="ignore").fit(frame, epochs=1)
    assert model.predict(empty).shape == (40,)  # new rows may lack a whole column


def test_pandas_na_and_nullable_columns_are_missing_cells():
    frame = pd.DataFrame(
        {
            "a": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "b": pd.array([0.5, 1.5, None, 2.5, 3.5, 0.1], dtype="Float64"),
            "c": [1.0, 2.0, 3.0, None, 5.0, 6.0],
        }
    )
    model = SOM(mapsize=(2, 2), missing="ignore", random_state=0).fit(frame, epochs=2)
    assert np.isnan(model.normalize(frame)).sum() == 3
    assert np.isfinite(model.codebook_).all()


def test_a_masked_array_is_missing_cells_with_ignore():
    X = np.ma.masked_invalid(gappy(seed=21, n_rows=60))
    X.data[X.mask] = 1e9  # placeholders behind the mask must not be used
    model = SOM(mapsize=(3, 3), missing="ignore", random_state=0).fit(X, epochs=2)
    assert np.abs(model.codebook_).max() < 100
    with pytest.raises(InvalidValuesInDataSet, match="masked"):
        SOM(mapsize=(3, 3)).fit(X)


def test_a_non_euclidean_metric_refuses_gaps_and_weights():
    X = gappy(seed=22, n_rows=40)
    with pytest.raises(InvalidValuesInDataSet, match="cannot skip missing cells"):
        SOM(mapsize=(3, 3), missing="ignore", distance_metric="cityblock").fit(X)
    with pytest.raises(ValueError, match="feature_weights"):
        SOM(mapsize=(3, 3), distance_metric="cityblock", feature_weights=[1, 2, 1, 1, 1])


# ----------------------------------------------------------------- weights
def test_feature_weights_are_checked_as_parameters():
    for bad, fragment in (
        ([1.0, -1.0], "must be a finite number >= 0"),
        ([0.0, 0.0], "all 0"),
        ({"a": float("nan")}, "finite"),
        ({1: 2.0}, "column names"),
        ("abc", "one weight per column"),
        ([[1.0, 2.0]], "1-D"),
    ):
        with pytest.raises(ValueError, match=fragment):
            SOM(feature_weights=bad)


def test_feature_weights_are_matched_to_the_columns_at_the_fit():
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 3)), columns=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"names \['z'\].*columns are \['a', 'b', 'c'\]"):
        SOM(mapsize=(3, 3), feature_weights={"z": 2.0}).fit(frame)
    with pytest.raises(ValueError, match="has 2 values, but the SOM has 3 columns"):
        SOM(mapsize=(3, 3), feature_weights=[1.0, 2.0]).fit(frame)
    with pytest.raises(ValueError, match="all 0"):
        SOM(mapsize=(3, 3), feature_weights={"a": 0, "b": 0, "c": 0}).fit(frame)


def test_weighted_bmus_are_the_brute_force_weighted_argmin():
    X = np.random.default_rng(23).normal(size=(500, 3))
    weights = np.array([4.0, 1.0, 0.25])
    model = SOM(mapsize=(4, 5), random_state=0, feature_weights=weights, dtype="float64").fit(X, epochs=4)
    expected = brute_scores(model.normalize(X), model.normalized_codebook_, weights).argmin(axis=1)
    np.testing.assert_array_equal(model.predict(X), expected)


def test_a_weight_zero_column_never_decides_a_bmu_but_is_learned():
    rng = np.random.default_rng(24)
    X = rng.normal(size=(600, 2))
    target = 3 * X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=600)
    frame = pd.DataFrame(np.column_stack([X, target]), columns=["a", "b", "y"])
    model = SOM(mapsize=(6, 6), random_state=0, missing="ignore", feature_weights={"y": 0}).fit(
        frame, epochs=15
    )
    # the BMUs do not change when y changes (or is missing)
    noisy = frame.assign(y=rng.normal(size=600) * 100)
    np.testing.assert_array_equal(model.predict(noisy), model.predict(frame))
    np.testing.assert_array_equal(model.predict(frame.assign(y=np.nan)), model.predict(frame))
    # ... and the prototypes learned y: each node's y is near the mean y of its rows
    bmus = model.bmu_
    node_means = np.array([target[bmus == j].mean() if (bmus == j).any() else np.nan for j in range(36)])
    used = ~np.isnan(node_means)
    assert np.corrcoef(model.codebook_[used, 2], node_means[used])[0, 1] > 0.95
    # the surrogate: impute predicts y for new rows far better than its mean
    predicted = model.impute(frame.assign(y=np.nan))["y"].to_numpy()
    assert np.sqrt(((predicted - target) ** 2).mean()) < 0.35 * target.std()


def test_a_row_with_only_zero_weight_cells_cannot_be_placed():
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(
        InvalidValuesInDataSet, match=r"Row\(s\) 1 have no observed value in a column of positive"
    ):
        SOM(mapsize=(2, 2), missing="ignore", feature_weights={"y": 0}).fit(frame)


# ------------------------------------------------------------------ metrics
def test_metrics_over_observed_cells_against_brute_force():
    X = gappy(seed=25, n_rows=300)
    W = np.random.default_rng(26).normal(size=(20, X.shape[1]))
    weights = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    bmu = brute_scores(X, W, weights).argmin(axis=1)
    expected_abs, expected_sq = [], []
    for i, x in enumerate(X):
        seen = ~np.isnan(x)
        d = x[seen] - W[bmu[i], seen]
        expected_abs.append((weights[seen] * np.abs(d)).sum() / weights[seen].sum())
        expected_sq.append((weights[seen] * d**2).sum() * weights.sum() / weights[seen].sum())
    np.testing.assert_allclose(metrics.row_abs_error(X, W, bmu, weights), expected_abs, rtol=1e-12)
    np.testing.assert_allclose(metrics.row_sq_distance(X, W, bmu, weights), expected_sq, rtol=1e-12)
    assert metrics.quantization_error(X, W, bmu, weights) == pytest.approx(np.mean(expected_abs))
    assert metrics.mean_bmu_distance(X, W, bmu, weights) == pytest.approx(np.sqrt(expected_sq).mean())
    unweighted = [np.abs(x[~np.isnan(x)] - W[b, ~np.isnan(x)]).mean() for x, b in zip(X, bmu)]
    np.testing.assert_allclose(metrics.row_abs_error(X, W, bmu), unweighted, rtol=1e-12)


def test_pairwise_distances_over_shared_cells():
    X = gappy(seed=27, n_rows=40, share=0.3)
    weights = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    d = metrics.pairwise_distances(X, weights)
    for i in range(len(X)):
        for j in range(len(X)):
            both = ~np.isnan(X[i]) & ~np.isnan(X[j])
            if not both.any():
                assert np.isnan(d[i, j])
                continue
            sq = (weights[both] * (X[i, both] - X[j, both]) ** 2).sum() * weights.sum() / weights[both].sum()
            assert d[i, j] == pytest.approx(math.sqrt(sq), rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("lattice", ["hexa", "toroidal_rect"])
def test_distortion_with_gaps_against_the_definition(lattice):
    X = gappy(seed=28, n_rows=200)
    W = np.random.default_rng(29).normal(size=(ROWS * COLS, X.shape[1]))
    weights = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    lat = Lattice(ROWS, COLS, lattice)
    bmu = brute_scores(X, W, weights).argmin(axis=1)
    H = kernel_value("gaussian", brute_distances(ROWS, COLS, lattice), 1.3)
    energy = 0.0
    for i, x in enumerate(X):
        seen = ~np.isnan(x)
        sq = ((x[seen] - W[:, seen]) ** 2 * weights[seen]).sum(axis=1) * weights.sum() / weights[seen].sum()
        energy += (H[bmu[i]] * sq).sum()
    got = metrics.distortion(X, W, bmu, lat, "gaussian", 1.3, weights)
    assert got == pytest.approx(energy / len(X), rel=1e-9)


def test_quality_report_with_gaps_is_finite():
    X = gappy(seed=30, n_rows=300)
    model = SOM(mapsize=(5, 6), random_state=0, missing="ignore").fit(X, epochs=5)
    report = model.quality_report(X, k=5)
    assert all(np.isfinite(report[key]) for key in ("quantization_error", "trustworthiness", "distortion"))
    assert report["quantization_error"] == pytest.approx(model.calculate_quantization_error(X))


# ------------------------------------------------------------------- impute
def test_impute_fills_only_the_missing_cells_from_the_bmu_prototype():
    X = gappy(seed=31, n_rows=300).astype(np.float32)
    model = SOM(mapsize=(5, 6), random_state=0, missing="ignore", dtype="float64").fit(X, epochs=5)
    filled = model.impute(X)
    assert type(filled) is np.ndarray and filled.dtype == np.float32 and filled.shape == X.shape
    observed = ~np.isnan(X)
    assert np.array_equal(filled[observed].view(np.uint32), X[observed].view(np.uint32))  # bit for bit
    bmus = brute_scores(model.normalize(X), model.normalized_codebook_, np.ones(5)).argmin(axis=1)
    expected = model.codebook_[bmus].astype(np.float32)
    np.testing.assert_array_equal(filled[~observed], expected[~observed])
    assert not np.isnan(X[observed]).any() and np.isnan(X).any()  # X itself is untouched


def test_impute_keeps_a_dataframes_index_columns_order_and_dtypes():
    rng = np.random.default_rng(32)
    frame = pd.DataFrame(
        {
            "b": rng.normal(size=80),
            "a": pd.array(rng.integers(0, 100, 80), dtype="Int64"),
            "c": rng.normal(size=80).astype(np.float32),
        },
        index=pd.Index(rng.permutation(80) * 3, name="id"),
    )
    frame.iloc[::7, 0] = np.nan
    frame.iloc[1::9, 1] = pd.NA
    frame.iloc[2::11, 2] = np.nan
    model = SOM(mapsize=(3, 4), random_state=0, missing="ignore").fit(frame, epochs=3)
    shuffled = frame[["c", "a", "b"]]  # any column order: matched by name, returned as given
    filled = model.impute(shuffled)
    assert list(filled.columns) == ["c", "a", "b"] and filled.index.equals(frame.index)
    assert filled.dtypes.equals(shuffled.dtypes) and not filled.isna().any().any()
    for column in frame.columns:
        seen = frame[column].notna()
        pd.testing.assert_series_equal(filled.loc[seen, column], frame.loc[seen, column])
    assert (filled["a"] == filled["a"].round()).all()
    assert frame.isna().any().any()  # the input is untouched


def test_impute_with_missing_error_still_fills_gaps_and_a_complete_table_comes_back_equal():
    X = gappy(seed=33, n_rows=100)
    complete = np.random.default_rng(0).normal(size=(100, 5))
    model = SOM(mapsize=(3, 3), random_state=0).fit(complete, epochs=2)
    assert not np.isnan(model.impute(X)).any()
    np.testing.assert_array_equal(model.impute(complete), complete)


# -------------------------------------------------------------- parameters and files
def test_get_params_lists_the_new_parameters_and_clone_keeps_them():
    from sklearn.base import clone

    weights = {"a": 0.0}
    model = SOM(missing="ignore", categorical="onehot", feature_weights=weights)
    params = model.get_params()
    assert params["missing"] == "ignore" and params["categorical"] == "onehot"
    assert params["feature_weights"] is weights
    assert clone(model).get_params()["feature_weights"] == weights
    with pytest.raises(ValueError, match="Unknown missing 'drop'"):
        SOM(missing="drop")
    with pytest.raises(ValueError, match="Unknown categorical"):
        SOM(categorical="ordinal")
    assert model.__sklearn_tags__().input_tags.allow_nan and not SOM().__sklearn_tags__().input_tags.allow_nan


def test_a_model_with_gaps_and_weights_round_trips_through_its_file(tmp_path):
    X = gappy(seed=34, n_rows=200)
    model = SOM(mapsize=(4, 4), random_state=0, missing="ignore", feature_weights=[1, 2, 0.5, 1, 1]).fit(
        X, epochs=3
    )
    model.save(tmp_path / "gaps.som")
    loaded = SOM.load(tmp_path / "gaps.som")
    assert loaded.missing == "ignore" and list(loaded.feature_weights) == [1, 2, 0.5, 1, 1]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.impute(X), model.impute(X))


def test_a_format_3_file_loads_with_the_defaults():
    from pathlib import Path

    path = Path(__file__).parent / "data" / "format3_hexa_4x5.som"
    model = SOM.load(path)
    params = model.get_params()
    assert (params["missing"], params["categorical"], params["feature_weights"]) == ("error", "error", None)
    X = np.random.default_rng(0).normal(size=(30, 3))
    assert model.predict(X).shape == (30,)
