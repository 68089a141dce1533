"""The views and Segments on tables with gaps and categorical columns (issue 17), without a browser.

References: the model's own predictions of every row (brute-force filters over them), the codebook's
columns, and pandas group-bys."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from somnium import SOM
from somnium.datasets import load_penguins
from somnium.exceptions import UnknownOptionError
from somnium.segments import Segments
from somnium.widgets import ComponentPlanes, Explorer, MapView, SegmentProfile, TrainingMonitor

FEATURES = ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"]
WEIGHTS = {"island": 0.5, "body_mass_g": 2.0, "sex": 0.0}


@pytest.fixture(scope="module")
def frame():
    frame = load_penguins(dropna=False)  # 2 rows without measurements, 11 without sex
    # an extra numeric column with gaps of its own (a layer and a profile column, not a feature)
    extra = np.random.default_rng(1).normal(size=len(frame))
    extra[::7] = np.nan
    return frame.assign(extra=extra)


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(5, 6), random_state=0, missing="ignore", categorical="onehot").fit(
        frame[FEATURES], epochs=8
    )


@pytest.fixture(scope="module")
def weighted(frame):
    return SOM(
        mapsize=(5, 6), random_state=0, missing="ignore", categorical="onehot", feature_weights=WEIGHTS
    ).fit(frame[FEATURES], epochs=8)


def brute_force(model, frame, weights):
    """Per row: BMU and mean absolute error over observed cells, by a loop over rows and nodes.

    The weight of an encoded column is its table column's (a category block shares it), as documented
    in somnium.metrics; the rows and prototypes are in the model's normalised space."""
    names = model.feature_names()
    w = np.array([weights.get(name.split("=")[0], 1.0) for name in names])
    Z, W = model.normalize(frame[FEATURES]), model.normalized_codebook_
    bmus, errors = [], []
    for z in Z:
        seen = ~np.isnan(z)
        distances = [np.sum(w[seen] * (z[seen] - node[seen]) ** 2) for node in W]
        bmu = int(np.argmin(distances))
        bmus.append(bmu)
        errors.append(np.sum(w[seen] * np.abs(z[seen] - W[bmu, seen])) / np.sum(w[seen]))
    return np.array(bmus), np.array(errors)


def test_selected_rows_include_the_rows_with_gaps(model, frame):
    view = MapView(model, data=frame)
    bmus = model.predict(frame[model.feature_names_in_])
    gappy = frame.isna().any(axis=1).to_numpy()
    nodes = np.unique(bmus[gappy])
    view.selected = nodes
    expected = frame[np.isin(bmus, nodes)]
    pd.testing.assert_frame_equal(view.selected_rows, expected)
    assert view.selected_rows.isna().any(axis=1).sum() == gappy.sum()  # every row with a gap is there
    view.selected = np.arange(model.lattice_.n_nodes)
    assert len(view.selected_rows) == len(frame)  # no row is lost


def test_component_planes_one_per_category(model):
    planes = ComponentPlanes(model)
    names = model.feature_names()
    assert {"island=Biscoe", "island=Dream", "island=Torgersen", "sex=female", "sex=male"} <= set(names)
    assert sorted(planes.features) == sorted(names)
    view = MapView(model, color="island=Dream")
    np.testing.assert_allclose(view.color_values, model.codebook_[:, names.index("island=Dream")])
    # a categorical column's planes are shares
    island = [names.index(n) for n in names if n.startswith("island=")]
    np.testing.assert_allclose(model.codebook_[:, island].sum(axis=1), 1.0)


def test_map_layers_of_extra_columns_are_not_the_table_features(model, frame):
    view = MapView(model, data=frame)
    assert "year" in view.layers and "species" in view.layers  # species: a label column, not a feature
    assert "sex" not in view.layers and "island" not in view.layers  # features: shown by their planes


@pytest.mark.parametrize("weights", [{}, WEIGHTS], ids=["unweighted", "weighted"])
def test_the_quality_layer_with_gaps_and_weights_against_brute_force(model, weighted, frame, weights):
    som = weighted if weights else model
    bmus, errors = brute_force(som, frame, weights)
    np.testing.assert_array_equal(som.predict(frame[FEATURES]), bmus)
    expected = pd.Series(errors).groupby(bmus).mean().reindex(range(som.lattice_.n_nodes)).to_numpy()
    view = MapView(som, data=frame, color="quality")
    np.testing.assert_allclose(view.color_values, expected, rtol=1e-9, equal_nan=True)
    assert not np.isnan(view.color_values[np.unique(bmus)]).any()


def test_a_layer_of_an_extra_column_with_gaps_is_the_mean_of_its_observed_values(model, frame):
    view = MapView(model, data=frame, color="extra")
    bmus = model.predict(frame[FEATURES])
    expected = frame["extra"].groupby(bmus).mean().reindex(range(model.lattice_.n_nodes))
    np.testing.assert_allclose(view.color_values, expected.to_numpy(), rtol=1e-12, equal_nan=True)


def test_a_categorical_column_stands_for_its_planes(model):
    planes = ComponentPlanes(model, features=["sex", "bill_length_mm"], order="input")
    assert planes.features == ["sex=female", "sex=male", "bill_length_mm"]
    names = model.feature_names()
    expected = model.codebook_[:, [names.index(n) for n in planes.features]].T
    np.testing.assert_allclose(planes.values, expected)
    np.testing.assert_allclose(planes.values[:2].sum(axis=0), 1.0)  # shares of sex per node
    with pytest.raises(ValueError, match="Unknown feature 'species'"):
        ComponentPlanes(model, features=["species"])


def test_segment_labels_and_profile_accept_rows_with_gaps(model, frame):
    segments = Segments(model)
    segments.add("left", [node for node in range(model.lattice_.n_nodes) if node % 6 < 3])
    labels = segments.labels(frame)
    assert len(labels) == len(frame) and labels.index.equals(frame.index)
    bmus = model.predict(frame[model.feature_names_in_])
    expected = np.where(bmus % 6 < 3, "left", None)
    assert labels.astype(object).where(labels.notna(), None).tolist() == expected.tolist()
    profile = segments.profile(frame)
    groups = frame.groupby(np.where(bmus % 6 < 3, "left", "(unassigned)"))
    for segment in ("left", "(unassigned)"):
        rows = groups.get_group(segment)
        assert profile.loc[segment, "size"] == len(rows)
        for column in ("bill_length_mm", "body_mass_g", "extra"):  # NaN skipped
            assert profile.loc[segment, f"{column}_mean"] == pytest.approx(rows[column].mean())
            assert profile.loc[segment, f"{column}_median"] == pytest.approx(rows[column].median())
        for column in ("sex", "island"):  # a missing value counts in the share's denominator
            counts = rows[column].value_counts(dropna=True)
            assert profile.loc[segment, f"{column}_top"] == counts.idxmax()
            assert profile.loc[segment, f"{column}_top_share"] == pytest.approx(counts.max() / len(rows))


def test_the_segment_profile_widget_with_gaps(model, frame):
    profile = SegmentProfile(model, frame)
    bmus = model.predict(frame[FEATURES])
    nodes = np.unique(bmus[frame.isna().any(axis=1).to_numpy()])
    inside = frame[np.isin(bmus, nodes)]
    table = profile.compare(nodes)
    for column in ("bill_length_mm", "flipper_length_mm", "extra", "year"):
        assert table.loc[column, "mean_selected"] == pytest.approx(inside[column].mean())
        assert table.loc[column, "n_selected"] == inside[column].notna().sum()
    shares = profile.compare_categories(nodes).set_index(["column", "category"])["share_selected"]
    observed = inside["sex"].value_counts(normalize=True)  # among the rows with a value
    for category, share in observed.items():
        assert shares[("sex", category)] == pytest.approx(share)


def test_the_explorer_selects_rows_with_gaps(model, frame):
    explorer = Explorer(model, frame)
    bmus = model.predict(frame[model.feature_names_in_])
    gappy_row = int(np.flatnonzero(frame.isna().any(axis=1).to_numpy())[0])
    explorer.map.selected = [int(bmus[gappy_row])]
    assert frame.index[gappy_row] in explorer.map.selected_rows.index


def test_the_training_monitor_trains_on_a_table_with_gaps(frame):
    features = frame[["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"]]
    model = SOM(mapsize=(5, 6), random_state=0, missing="ignore", categorical="onehot")
    monitor = TrainingMonitor(model, display=False, map_layer="hits")
    monitor.start(features, epochs=4, collect_history=True).wait()
    assert model.history_["epoch"] == [1, 2, 3, 4] and np.isfinite(model.history_["quantization_error"]).all()
    center, basis = monitor._maps.basis
    assert np.isfinite(center).all() and np.isfinite(basis).all()
    drawn = np.asarray(monitor._maps.sample_mark.x, dtype=float)
    assert np.isfinite(drawn[~np.isnan(drawn)]).all() and (~np.isnan(drawn)).sum() > 0
    x = np.asarray(monitor._maps.net_mark.x)
    assert all(math.isfinite(v) for v in x[0::3])


def test_the_training_monitor_shows_a_category_plane_and_names_the_planes_of_a_column(frame):
    model = SOM(mapsize=(5, 6), random_state=0, missing="ignore", categorical="onehot")
    monitor = TrainingMonitor(model, display=False, map_layer="island=Dream")
    monitor.start(frame[FEATURES], epochs=3).wait()
    expected = model.codebook_[:, model.feature_names().index("island=Dream")]
    np.testing.assert_allclose(monitor._maps.view.color_values, expected)
    model = SOM(mapsize=(5, 6), random_state=0, missing="ignore", categorical="onehot")
    monitor = TrainingMonitor(model, display=False, map_layer="island")
    with pytest.raises(UnknownOptionError, match="island=Biscoe"):
        monitor.start(frame[FEATURES], epochs=2).wait()


def test_a_boolean_feature_is_shown_by_its_planes_not_as_a_layer_of_the_rows(frame):
    table = frame.assign(heavy=frame["body_mass_g"] > 4000)  # NaN mass: False, a value like any other
    model = SOM(mapsize=(4, 4), random_state=0, missing="ignore", categorical="onehot")
    model.fit(table[["bill_length_mm", "heavy"]], epochs=3)
    assert model.feature_names() == ["bill_length_mm", "heavy=False", "heavy=True"]
    view = MapView(model, data=table)
    assert "heavy" not in view.layers and {"heavy=False", "heavy=True", "extra"} <= set(view.layers)
    assert ComponentPlanes(model, features="heavy", order="input").features == ["heavy=False", "heavy=True"]


def test_the_monitors_data_space_is_the_weighted_space_the_map_sees(frame):
    model = SOM(
        mapsize=(5, 6), random_state=0, missing="ignore", categorical="onehot", feature_weights=WEIGHTS
    )
    monitor = TrainingMonitor(model, display=False, map_layer="hits")
    monitor.start(frame[FEATURES], epochs=3).wait()
    basis = monitor._maps.basis[1]
    names = model.feature_names()
    silent = [names.index("sex=female"), names.index("sex=male")]  # weight 0: decides no BMU
    np.testing.assert_allclose(basis[silent], 0.0, atol=1e-12)
    # the axes are the top principal axes of the sample scaled by sqrt(weight) (complete rows: a reference)
    w = np.array([WEIGHTS.get(name.split("=")[0], 1.0) for name in names])
    Z = model.normalize(frame[FEATURES]) * np.sqrt(w)
    Z = Z[~np.isnan(Z).any(axis=1)]
    top = np.linalg.eigh(np.cov(Z, rowvar=False))[1][:, -2:]
    # the same plane up to the rows with gaps left out of the reference: a near-identity projection
    overlap = np.linalg.svd(top.T @ basis, compute_uv=False)
    assert overlap.min() > 0.95


def test_colouring_by_a_categorical_column_names_its_planes(model):
    import traitlets

    with pytest.raises(traitlets.TraitError, match="'island=Biscoe', 'island=Dream', 'island=Torgersen'"):
        MapView(model, color="island")
    view = MapView(model)
    with pytest.raises(traitlets.TraitError, match="categorical column"):
        view.color = "sex"
    assert view.color == "umatrix"


def test_anomaly_scores_of_rows_with_gaps_are_their_scaled_observed_distances(model, frame):
    """A row's BMU distance is over its observed cells, scaled up by (table columns / observed ones):
    a category's block of one-hot cells counts as its one column, as the metrics count it."""
    Z, W = model.normalize(frame[FEATURES]), model.normalized_codebook_
    column = np.array([name.split("=")[0] for name in model.feature_names()])
    bmus, _ = brute_force(model, frame, {})
    expected = []
    for z, bmu in zip(Z, bmus):
        seen = ~np.isnan(z)
        scale = len(FEATURES) / np.unique(column[seen]).size
        expected.append(np.sqrt(np.sum((z[seen] - W[bmu, seen]) ** 2) * scale))
    scores = model.bmu_distance(frame[FEATURES])
    np.testing.assert_allclose(scores, expected, rtol=1e-9)
    assert frame[FEATURES].isna().any(axis=1).any()  # the case is there
    # the training distribution is kept on the masked path too: a threshold without the rows
    limit = model.anomaly_threshold(0.9)
    assert np.quantile(expected, 0.8) < limit <= np.max(expected)
    assert np.isclose(np.mean(expected), model.calculate_mean_bmu_distance(frame[FEATURES]))
