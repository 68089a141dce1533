"""MapView, Python side: traits, validation, layers and the row selection.

Browser clicks are simulated with ``set_state`` -- the call ipywidgets makes
when a message from the front end arrives -- so validation and observers run
exactly as in a notebook.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import traitlets

from somnium import SOM
from somnium.exceptions import ModelNotTrainedError
from somnium.lattice import LATTICES
from somnium.widgets import MapView

FEATURES = ["income", "age", "score", "<img src=x onerror=alert(1)>"]


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(400, 4)) * [1000, 10, 1, 5] + [5000, 40, 0, 0], columns=FEATURES)
    df["target"] = rng.normal(size=len(df))  # numeric, not a feature
    df["label"] = rng.choice(["a", "b"], size=len(df))  # not numeric
    df.index = pd.Index(rng.permutation(np.arange(1000, 1000 + len(df))), name="customer")
    return df


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(6, 7), random_state=0).fit(frame[FEATURES], epochs=3)


@pytest.fixture
def view(model, frame):
    return MapView(model, data=frame)


def brute_force_bmu(model, X):
    """BMUs by exhaustive search in the normalised space (independent of predict)."""
    normalized = model.normalize(X)
    codebook = model.normalized_codebook_
    distances = ((normalized[:, None, :] - codebook[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


def wire(view, name):
    """A binary array trait as the browser receives it: dtype, shape and little-endian bytes."""
    value = view.get_state(name)[name]
    assert isinstance(value["data"], bytes)
    return np.frombuffer(
        value["data"], dtype="<" + {"float32": "f4", "float64": "f8", "uint32": "u4"}[value["dtype"]]
    ).reshape(value["shape"])


# ------------------------------------------------------------------ construction
def test_an_unfitted_model_is_refused_with_a_hint():
    with pytest.raises(ModelNotTrainedError, match="fit"):
        MapView(SOM(mapsize=(3, 3)))


def test_geometry_travels_as_float32_copies_of_the_lattice(view, model):
    lattice = model.lattice_
    vertices = wire(view, "_cell_vertices").reshape(lattice.n_nodes, -1, 2)
    np.testing.assert_array_equal(vertices, lattice.cell_vertices().astype(np.float32))
    np.testing.assert_array_equal(
        wire(view, "_cell_centers").reshape(-1, 2), lattice.coordinates.astype(np.float32)
    )
    assert view._lattice == {
        "rows": 6,
        "cols": 7,
        "name": "hexa",
        "hexagonal": True,
        "wraps_x": False,
        "wraps_y": False,
        "n_nodes": 42,
        "n_vertices": 6,
        "extent": list(lattice.extent()),
    }


@pytest.mark.parametrize("lattice", sorted(LATTICES))
def test_every_lattice_kind_builds_with_its_cell_shape_and_wrap(lattice):
    X = np.random.default_rng(1).normal(size=(60, 3))
    model = SOM(mapsize=(4, 5), lattice=lattice, random_state=0).fit(X, epochs=2)
    view = MapView(model, data=X)
    expected_wrap = (lattice.startswith(("toroidal", "cylindrical")), lattice.startswith("toroidal"))
    assert (view._lattice["wraps_x"], view._lattice["wraps_y"]) == expected_wrap
    assert view._lattice["n_vertices"] == (6 if lattice.endswith("hexa") else 4)
    assert wire(view, "_cell_vertices").shape == (20, view._lattice["n_vertices"], 2)


def test_arrays_are_sent_as_binary_not_json_lists(view):
    from ipywidgets.widgets.widget import _remove_buffers

    state, buffer_paths, _buffers = _remove_buffers(view.get_state())
    arrays = [
        "_cell_vertices",
        "_cell_centers",
        "_layer_values",
        "_layer_codes",  # empty unless a layer of categories is shown
        "_hit_counts",
        "_top_features",
        "_top_scores",
        "_segment_codes",  # empty until show_segments
        "_segment_edges",
        "_anomaly_counts",  # empty until the anomaly layer is computed
        "_node_scales",
    ]
    assert sorted(path for path, _ in buffer_paths) == sorted(arrays)
    assert all(key == "data" for _, key in buffer_paths)
    for name in arrays:
        assert state[name]["dtype"] in ("float32", "float64", "uint32") and isinstance(
            state[name]["shape"], list
        )
    json.dumps(state)  # everything else is small JSON
    assert not any(isinstance(v, float) for opts in state["_layer_options"] for v in opts)


def test_wire_only_traits_are_private(view):
    public = {name for name in view.keys if not name.startswith("_")}
    assert public - {"layout", "tabbable", "tooltip"} == {
        "color",
        "brush_mode",
        "selection",
        "anomalies_only",
    }


def test_the_committed_bundle_is_what_the_view_sends(view):
    from somnium.widgets._base import STATIC_DIR

    assert view._esm == (STATIC_DIR / "map_view.js").read_text(encoding="utf-8")
    assert view._css == (STATIC_DIR / "map_view.css").read_text(encoding="utf-8")


# -------------------------------------------------------------------- selection
def test_selection_starts_empty(view):
    assert view.selected == []
    assert len(view.selected_index) == 0
    assert view.selected_rows.empty


def test_selection_is_stored_sorted(view):
    view.selected = [9, 2, 5]
    assert view.selected == [2, 5, 9]


def test_duplicate_indices_are_collapsed(view):
    view.selected = [4, 4, 1, 4]
    assert view.selected == [1, 4]


def test_numpy_integers_are_accepted(view):
    view.selected = np.array([3, 1], dtype=np.int32)
    assert view.selected == [1, 3]
    assert all(type(node) is int for node in view.selected)


@pytest.mark.parametrize("bad", [[42], [-1], [0, 100]])
def test_out_of_range_indices_are_rejected_with_the_valid_range(view, bad):
    with pytest.raises(traitlets.TraitError, match=r"must be node indices 0 to 41 \(the map has 42 nodes\)"):
        view.selected = bad
    assert view.selected == []


@pytest.mark.parametrize("bad", [[1.5], [True], ["3"], "3", 3])
def test_non_integer_selections_are_rejected(view, bad):
    with pytest.raises(traitlets.TraitError):
        view.selected = bad


def test_a_browser_click_reaches_observers_and_selected_rows(view, model, frame):
    seen = []
    view.observe(lambda change: seen.append(change["new"]), "selected")
    view.selection.set_state({"nodes": [7, 3]})  # what the front end sends on a click
    assert seen == [[3, 7]]
    bmu = brute_force_bmu(model, frame[FEATURES])
    expected = frame[np.isin(bmu, [3, 7])]
    pd.testing.assert_frame_equal(view.selected_rows, expected)


def test_the_same_selection_from_the_browser_does_not_notify_again(view):
    seen = []
    view.observe(lambda change: seen.append(change["new"]), "selected")
    view.selection.set_state({"nodes": [3, 7]})
    view.selection.set_state({"nodes": [7, 3]})
    assert seen == [[3, 7]]


def test_an_invalid_browser_selection_leaves_the_selection_unchanged(view):
    view.selected = [1]
    with pytest.raises(traitlets.TraitError):
        view.selection.set_state({"nodes": [99]})
    assert view.selected == [1]


def test_selected_rows_keep_the_original_index_and_order(view, frame):
    view.selected = list(range(0, 42, 3))
    rows = view.selected_rows
    positions = frame.index.get_indexer(rows.index)
    assert (np.diff(positions) > 0).all()
    pd.testing.assert_frame_equal(rows, frame.loc[rows.index])


@pytest.mark.parametrize("nodes", [[0], [5, 6], list(range(40))], ids=["one-node", "few-rows", "most-rows"])
def test_selected_index_matches_a_brute_force_filter(view, nodes):
    # one node / two nodes take the grouped path, forty nodes the mask path
    view.selected = nodes
    np.testing.assert_array_equal(view.selected_index, np.flatnonzero(np.isin(view.bmu, nodes)))


def test_plain_arrays_give_the_rows_and_their_positions(model, frame):
    X = frame[FEATURES].to_numpy()
    view = MapView(model, data=X)
    view.selected = [2, 11]
    mask = np.isin(brute_force_bmu(model, X), [2, 11])
    np.testing.assert_array_equal(view.selected_index, np.flatnonzero(mask))
    np.testing.assert_array_equal(view.selected_rows, X[mask])


def test_known_bmus_are_reused_instead_of_predicting(model, frame, monkeypatch):
    monkeypatch.setattr(model, "predict", lambda X: pytest.fail("predict should not run"), raising=False)
    view = MapView(model, data=frame, bmu=model.bmu_)
    view.selected = [5]
    np.testing.assert_array_equal(view.selected_index, np.flatnonzero(model.bmu_ == 5))


@pytest.mark.parametrize(
    "bmu, message",
    [
        (np.zeros(3, dtype=int), "one node index per row"),
        (np.full(400, 42), r"node indices 0 to 41 \(the map has 42 nodes\)"),
        (np.zeros(400), "integer node indices"),
    ],
)
def test_invalid_bmus_are_rejected(model, frame, bmu, message):
    with pytest.raises(ValueError, match=message):
        MapView(model, data=frame, bmu=bmu)


def test_without_data_the_training_rows_are_indexed_but_not_returned(model):
    view = MapView(model)
    view.selected = [1, 2]
    np.testing.assert_array_equal(view.selected_index, np.flatnonzero(np.isin(model.bmu_, [1, 2])))
    with pytest.raises(ValueError, match="data="):
        view.selected_rows


# ------------------------------------------------------------------ select_rows
def test_select_rows_with_a_boolean_mask(view, frame):
    mask = (frame["income"] > 6000).to_numpy()
    view.select_rows(mask)
    assert view.selected == sorted(set(view.bmu[mask].tolist()))


def test_select_rows_with_a_query_result(view, frame):
    subset = frame.query("age < 30")
    view.select_rows(subset)
    assert view.selected == sorted(set(view.bmu[frame.index.isin(subset.index)].tolist()))
    assert set(subset.index) <= set(view.selected_rows.index)


def test_select_rows_with_a_boolean_series_aligns_on_the_index(view, frame):
    mask = frame["score"] > 1
    view.select_rows(mask.sort_index())  # same labels, different order
    assert view.selected == sorted(set(view.bmu[mask.to_numpy()].tolist()))


def test_select_rows_with_index_labels(view, frame):
    labels = list(frame.index[[0, 10, 20]])
    view.select_rows(labels)
    assert view.selected == sorted(set(view.bmu[[0, 10, 20]].tolist()))


def test_select_rows_with_positions_on_an_array(model, frame):
    X = frame[FEATURES].to_numpy()
    view = MapView(model, data=X)
    view.select_rows([0, 5])
    assert view.selected == sorted({int(view.bmu[0]), int(view.bmu[5])})


def test_select_rows_rejects_unknown_labels(view):
    with pytest.raises(KeyError, match="not in data's index"):
        view.select_rows([1, 2])


def test_select_rows_rejects_a_mask_of_the_wrong_length(view):
    with pytest.raises(ValueError, match="one entry per row"):
        view.select_rows(np.ones(3, dtype=bool))


def test_selected_rows_round_trip_through_select_rows(view):
    view.selected = [4, 20]
    view.select_rows(view.selected_rows)
    assert view.selected == [node for node in [4, 20] if (view.bmu == node).any()]


# ------------------------------------------------------------------------ layers
def test_layers_on_offer(view):
    assert view.layers == ["umatrix", "hits", "quality", "anomaly", "drift", *FEATURES, "target", "label"]
    labels = dict(view._layer_options)
    assert labels["umatrix"] == "U-matrix"
    assert labels["target"] == "target (mean of rows)"
    assert labels["label"] == "label (most frequent)"  # a text column: its most frequent value per node
    assert labels[FEATURES[3]] == FEATURES[3]  # names stay plain text; the browser renders them as text


def test_umatrix_is_the_default_layer(view, model):
    assert view.color == "umatrix"
    np.testing.assert_allclose(wire(view, "_layer_values"), model.umatrix(), rtol=1e-6)


def test_hits_layer_counts_rows_and_marks_empty_nodes(model, frame):
    view = MapView(model, data=frame, color="hits")
    counts = np.bincount(brute_force_bmu(model, frame[FEATURES]), minlength=42)
    np.testing.assert_array_equal(wire(view, "_hit_counts"), counts)
    np.testing.assert_array_equal(wire(view, "_layer_values"), np.where(counts > 0, counts, np.nan))
    assert view._layer_info == {"key": "hits", "label": "Hits", "integer": True}


def test_quality_layer_matches_the_model(view, model, frame):
    view.color = "quality"
    np.testing.assert_allclose(
        wire(view, "_layer_values"), model.node_quantization_error(frame[FEATURES]), rtol=1e-5, equal_nan=True
    )


def test_a_feature_layer_shows_prototypes_in_input_units(view, model):
    view.color = "income"
    np.testing.assert_allclose(wire(view, "_layer_values"), model.codebook_[:, 0], rtol=1e-6)
    assert view._layer_info["label"] == "income"


def test_a_data_column_layer_is_the_mean_of_each_nodes_rows(view, frame):
    view.color = "target"
    expected = frame["target"].groupby(view.bmu).mean().reindex(range(42))
    np.testing.assert_allclose(wire(view, "_layer_values"), expected, rtol=1e-5, equal_nan=True)


def test_missing_values_are_skipped_in_a_columns_node_means(model, frame):
    holey = frame.copy()
    holey.loc[holey.index[::5], "target"] = np.nan
    holey.loc[holey.index[1::9], "target"] = np.inf  # not a number either: skipped like a missing one
    view = MapView(model, data=holey, color="target")
    finite = holey["target"].where(np.isfinite(holey["target"]))
    expected = finite.groupby(view.bmu).mean().reindex(range(42))  # pandas skips NaN
    np.testing.assert_allclose(wire(view, "_layer_values"), expected, rtol=1e-5, equal_nan=True)
    assert np.isfinite(wire(view, "_layer_values")[np.bincount(view.bmu, minlength=42) > 5]).all()


def test_a_per_node_array_becomes_the_custom_layer(view):
    values = np.linspace(0, 1, 42)
    view.color = values
    assert view.color == "custom"
    np.testing.assert_allclose(wire(view, "_layer_values"), values, rtol=1e-6)
    assert ["custom", "custom"] in view._layer_options


def test_a_named_series_keeps_its_name(model, frame):
    view = MapView(model, data=frame, color=pd.Series(np.arange(42.0), name="mean prediction"))
    assert view.color == "mean prediction"
    assert view._layer_info["label"] == "mean prediction"


def test_add_layer_adds_a_menu_entry(view):
    view.add_layer("risk", np.arange(42), label="Risk score")
    assert ["risk", "Risk score"] in view._layer_options
    view.color = "risk"
    assert view._layer_info == {"key": "risk", "label": "Risk score", "integer": False}


def test_add_layer_refuses_to_shadow_a_feature(view):
    with pytest.raises(ValueError, match="already a built-in or feature layer"):
        view.add_layer("income", np.zeros(42))


def test_a_layer_of_the_wrong_length_is_rejected(view):
    with pytest.raises(ValueError, match=r"one value per node \(42\)"):
        view.color = np.zeros(10)


def test_an_unknown_layer_name_lists_the_choices(view):
    with pytest.raises(
        traitlets.TraitError, match="Unknown colour layer 'incme'. Choose one of 'umatrix', 'hits'"
    ):
        view.color = "incme"
    assert view.color == "umatrix"


def test_the_layer_menu_in_the_browser_switches_the_layer(view, model):
    view.set_state({"color": "age"})
    np.testing.assert_allclose(wire(view, "_layer_values"), model.codebook_[:, 1], rtol=1e-6)
    assert view._layer_info["key"] == "age"


# ----------------------------------------------------------------- hover details
def test_top_features_are_the_largest_absolute_z_scores(view, model):
    k = view.top_k
    assert k == 3
    indices = wire(view, "_top_features")
    scores = wire(view, "_top_scores")
    assert indices.shape == scores.shape == (42, k)
    codebook = model.codebook_
    node = 17
    z = [(codebook[node, j] - codebook[:, j].mean()) / codebook[:, j].std() for j in range(len(FEATURES))]
    expected = sorted(range(len(FEATURES)), key=lambda j: -abs(z[j]))[:k]
    assert indices[node].tolist() == expected
    np.testing.assert_allclose(scores[node], [z[j] for j in expected], rtol=1e-5)
    assert view._feature_names == FEATURES


def test_brush_mode_is_validated(view):
    view.brush_mode = "lasso"
    with pytest.raises(traitlets.TraitError):
        view.brush_mode = "circle"


def test_color_values_gives_the_shown_layer_in_full_precision(view, model):
    view.color = "score"
    np.testing.assert_array_equal(view.color_values, model.codebook_[:, 2])
