"""Segments, selections and the views' traits: the third hardening round's findings (each failed before its fix).

Browser messages are simulated with ``set_state``, the call ipywidgets makes when the front end writes.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import traitlets

from somnium import SOM
from somnium.segments import Segments
from somnium.widgets import ComponentPlanes, Explorer, MapView, SegmentProfile, Selection

LONE = "bad\ud800name"  # a lone surrogate: valid in a Python str, not encodable as UTF-8


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(2, 400))
    return pd.DataFrame({"a": x, "b": y, "c": x - y, "extra": rng.normal(size=400)})


@pytest.fixture(scope="module")
def model(frame):  # 4 x 9 = 36 nodes
    return SOM(mapsize=(4, 9), random_state=0).fit(frame[["a", "b", "c"]], epochs=2)


@pytest.fixture(scope="module")
def square(frame):  # 6 x 6 = 36 nodes too: another map
    return SOM(mapsize=(6, 6), random_state=0).fit(frame[["a", "b", "c"]], epochs=2)


def two_segments(model):
    segments = Segments(model)
    segments.add("low", [0, 1, 2])
    segments.add("high", [30, 31])
    return segments


# ------------------------------------------------------------------ names that cannot be sent
def test_a_name_with_a_lone_surrogate_is_refused_at_every_entry(model):
    segments = two_segments(model)
    for call in (
        lambda: segments.add(LONE, [5]),
        lambda: segments.rename("low", LONE),
        lambda: segments.merge(["low", "high"], LONE),
        lambda: Segments.from_clustering(model, np.zeros(36, dtype=int), names=[LONE]),
    ):
        with pytest.raises(ValueError, match="not valid Unicode text"):
            call()
    assert segments.names == ["low", "high"]
    text = json.dumps({**two_segments(model).to_dict(), "segments": [{"name": LONE, "nodes": [1]}]})
    assert "\\ud800" in text  # JSON carries it escaped; decoding gives the lone surrogate back
    with pytest.raises(ValueError, match=r"Invalid segments data: segments\[0\].*not valid Unicode text"):
        Segments.from_json(model, text)


def test_the_explorer_name_box_refuses_a_lone_surrogate_and_stays_whole(model, frame):
    explorer = Explorer(model, frame)
    explorer.selection.nodes = [3, 4]
    explorer.segment_name.value = LONE  # what a browser's text box can send
    explorer.add_segment_button.click()
    assert "not valid Unicode text" in explorer.segment_status.value
    explorer.segment_status.value.encode("utf-8")  # the status itself can be sent
    assert explorer.segments.names == [] and explorer.map._segment_names == []
    with pytest.raises(ValueError, match="not valid Unicode text"):
        explorer.add_segment(LONE)


def test_layer_names_and_labels_with_a_lone_surrogate_are_refused(model, frame):
    view = MapView(model, frame)
    values = np.arange(36.0)
    before = list(view._layer_options)
    for call in (
        lambda: view.add_layer(LONE, values),
        lambda: view.add_layer("fine", values, label=LONE),
        lambda: setattr(view, "color", pd.Series(values, name=LONE)),
    ):
        with pytest.raises(ValueError, match="not valid Unicode text"):
            call()
    assert view._layer_options == before and view.color == "umatrix"
    data = frame.copy()
    data.columns = pd.Index(["a", "b", "c", LONE], dtype=object)  # an object Index holds what pandas lets in
    with pytest.raises(ValueError, match="not valid Unicode text"):
        MapView(model, data)


# ------------------------------------------------------------------ segments and selections meet a map by lattice
def test_segments_of_another_lattice_with_as_many_nodes_are_refused_by_the_views(model, square, frame):
    segments = two_segments(model)
    for build in (
        lambda: MapView(square, segments=segments),
        lambda: ComponentPlanes(square, segments=segments),
        lambda: Explorer(square, frame, segments=segments),
    ):
        with pytest.raises(ValueError, match="4 x 9"):
            build()
    profile = SegmentProfile(square, frame)
    with pytest.raises(ValueError, match="4 x 9"):
        profile.show_segment("low", segments)


def test_a_selection_serves_one_map_only(model, square, frame):
    selection = Selection(36)
    MapView(model, frame, selection=selection)
    for build in (
        lambda: MapView(square, selection=selection),
        lambda: ComponentPlanes(square, selection=selection),
        lambda: SegmentProfile(square, frame, selection=selection),
    ):
        with pytest.raises(ValueError, match="6 x 6"):
            build()
    ComponentPlanes(model, selection=selection)  # the same map: fine
    other = Segments(square)
    with pytest.raises(ValueError, match="4 x 9"):
        other.from_selection(selection, "moved")


def test_views_of_different_data_sharing_a_selection_are_warned(model, frame):
    selection = Selection(36)
    MapView(model, frame, selection=selection)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MapView(model, frame, selection=selection, color="hits")  # the same rows: no warning
        ComponentPlanes(model, selection=selection)  # no rows: no warning
    with pytest.warns(UserWarning, match="rows of another view's data"):
        MapView(model, frame.iloc[::2], selection=selection)
    selection.nodes = [0]
    pd.testing.assert_frame_equal(selection.rows, frame[model.predict(frame[["a", "b", "c"]]) == 0])


def test_segments_refuse_rows_after_the_map_changed_shape(frame):
    model = SOM(mapsize=(4, 9), random_state=0).fit(frame[["a", "b", "c"]], epochs=1)
    segments = two_segments(model)
    model.set_params(mapsize=(6, 6))
    model.fit(frame[["a", "b", "c"]], epochs=1)  # a new map with as many nodes
    with pytest.raises(ValueError, match="made for a 4 x 9 .* map, but the model is now a 6 x 6"):
        segments.labels(frame)
    with pytest.raises(ValueError, match="4 x 9"):
        segments.profile(frame)
    with pytest.raises(ValueError, match="4 x 9"):
        MapView(model, segments=segments)


def test_segments_warn_after_the_model_was_trained_again(frame):
    model = SOM(mapsize=(4, 9), random_state=0).fit(frame[["a", "b", "c"]], epochs=1)
    segments = two_segments(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        segments.labels(frame)  # the state they were made for: quiet
    for use in (
        lambda: segments.labels(frame),
        lambda: segments.profile(frame),
        lambda: MapView(model, segments=segments),
        lambda: Explorer(model, frame, segments=segments),
    ):
        model.fit(frame[["a", "b", "c"]], epochs=1)  # a continued fit moves the prototypes
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            use()
            use()  # once per state of the model
        stale = [w for w in caught if "trained again since these segments were made" in str(w.message)]
        assert len(stale) == 1 and stale[0].category is UserWarning
    rebound = Segments.from_dict(model, segments.to_dict())  # the documented way to keep them
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rebound.labels(frame)
    assert rebound.names == segments.names


# ------------------------------------------------------------------ the views' segments= argument
@pytest.mark.parametrize("value", [{"low": [0, 1]}, [[0, 1]], "low"], ids=["dict", "list", "str"])
def test_segments_of_the_wrong_type_are_a_type_error_naming_segments(model, frame, value):
    for build in (
        lambda: MapView(model, segments=value),
        lambda: ComponentPlanes(model, segments=value),
        lambda: Explorer(model, frame, segments=value),
    ):
        with pytest.raises(TypeError, match=r"segments must be a somnium\.segments\.Segments"):
            build()
    with pytest.raises(TypeError, match=r"segments must be a somnium\.segments\.Segments"):
        SegmentProfile(model, frame).show_segment("low", value)


# ------------------------------------------------------------------ the Explorer's profile menu
def test_a_segment_named_selection_can_be_profiled(model, frame):
    segments = Segments(model)
    segments.add("Selection", [0, 1, 2])
    segments.add("other", [10])
    explorer = Explorer(model, frame, segments=segments)
    labels = list(explorer.profile_target._options_labels)  # what the menu shows
    assert labels[0] == "Selection" and len(set(labels)) == len(labels)
    explorer.selection.nodes = [20]
    explorer.profile_target.index = 1  # the browser picks the segment's entry
    assert explorer.profile.shown_segment == "Selection"
    assert explorer.profile.shown_nodes == [0, 1, 2]
    explorer.profile_target.value = "Selection"  # Python's way back to the selection
    assert explorer.profile.shown_segment is None and explorer.profile.shown_nodes == [20]
    explorer.profile_target.value = "other"
    assert explorer.profile.shown_segment == "other"


# ------------------------------------------------------------------ profile column names
def test_columns_whose_names_read_the_same_are_refused_by_the_profiles(model, frame):
    data = frame.copy()
    data[1] = data["extra"]
    data["1"] = -data["extra"]
    bmu = model.predict(frame[["a", "b", "c"]])  # given BMUs: no prediction checks the columns first
    with pytest.raises(ValueError, match=r"columns 1 and '1'.*rename one"):
        two_segments(model).profile(data, bmu=bmu)
    with pytest.raises(ValueError, match=r"columns 1 and '1'.*rename one"):
        SegmentProfile(model, data, bmu=bmu)
    with pytest.raises(ValueError, match=r"columns 1 and '1'.*rename one"):
        MapView(model, data, bmu=bmu)
    with pytest.raises(ValueError, match=r"duplicated column names \['1'\].*rename"):
        two_segments(model).profile(data)  # predicting the rows' nodes refuses them too


# ------------------------------------------------------------------ browser-writable traits
def test_an_invalid_colour_from_the_browser_leaves_the_view_as_it_was(model, frame):
    view = MapView(model, frame, color="hits")
    before = (view.color, view.color_values.copy(), dict(view._layer_info), list(view.layers))
    for bad in ("nope", [1, 2, 3], list(range(36)), {"key": "hits"}, None, 7):
        with pytest.raises(traitlets.TraitError):
            view.set_state({"color": bad})
        assert view.color == before[0]
        np.testing.assert_array_equal(view.color_values, before[1])
        assert view._layer_info == before[2] and view.layers == before[3]
    view.set_state({"color": "umatrix"})  # a valid choice still works
    assert view.color == "umatrix"


@pytest.mark.parametrize(
    "name, value",
    [
        ("_feature_names", ["x", "y", "z"]),
        ("_layer_info", {"key": "x", "label": "x", "integer": False}),
        ("_layer_options", [["x", "x"]]),
        ("_lattice", {}),
        ("_segment_names", ["forged"]),
        ("_top_features", {"dtype": "uint32", "shape": [0], "data": b""}),
        ("_esm", "alert(1)"),
    ],
)
def test_wire_only_traits_of_the_map_cannot_be_written_by_the_browser(model, frame, name, value):
    view = MapView(model, frame)
    before = getattr(view, name)
    with pytest.raises(traitlets.TraitError, match="front end"):
        view.set_state({name: value})
    after = getattr(view, name)
    assert after is before or (after == before if not isinstance(after, np.ndarray) else True)
    assert view.model.feature_names() == ["a", "b", "c"]


def test_wire_only_traits_of_the_planes_cannot_be_written_by_the_browser(model):
    planes = ComponentPlanes(model)
    features, columns = planes.features, planes.columns
    for name, value in (("_feature_names", ["x"]), ("columns", 9), ("shared_scale", True)):
        with pytest.raises(traitlets.TraitError, match="front end"):
            planes.set_state({name: value})
    assert planes.features == features and planes.columns == columns and planes.shared_scale is False
    planes.set_state({"brush_mode": "lasso"})  # what the front end does write
    assert planes.brush_mode == "lasso"


def test_a_browser_message_with_one_refused_trait_changes_nothing(model, frame):
    view = MapView(model, frame)
    with pytest.raises(traitlets.TraitError):
        view.set_state({"brush_mode": "lasso", "_feature_names": ["x"]})
    assert view.brush_mode == "rectangle"


@pytest.mark.parametrize("bad", [{"0": 1}, "12", [0.5], [True], None, [[1]]])
def test_a_bad_selection_from_the_browser_is_a_trait_error(model, bad):
    view = MapView(model)
    view.selected = [2]
    with pytest.raises(traitlets.TraitError):
        view.selection.set_state({"nodes": bad})
    assert view.selected == [2]


# ------------------------------------------------------------------ Segments.profile scales with its rows
def brute_force_top(values, codes, k):
    """Per segment: the most frequent value, ties to the first seen in the column, and its share."""
    order = {value: i for i, value in reversed(list(enumerate(values)))}  # first appearance
    tops = []
    for group in range(k):
        chosen = [v for v, c in zip(values, codes, strict=True) if c == group]
        counts = {}
        for value in chosen:
            counts[value] = counts.get(value, 0) + 1
        best = min(counts, key=lambda v: (-counts[v], order[v])) if counts else None
        tops.append((best, counts[best] / len(chosen) if counts else np.nan))
    return tops


@pytest.mark.parametrize("n_values", [3, 900])  # a few values (counted densely), an ID-like column (by runs)
def test_the_profile_top_values_are_the_brute_force_ones(n_values):
    rng = np.random.default_rng(n_values)
    model = SOM(mapsize=(10, 12), random_state=0).fit(rng.normal(size=(300, 2)), epochs=1)
    segments = Segments(model)
    for i in range(100):  # 100 segments of one or two nodes; the rest unassigned
        segments.add(f"s{i}", [i] if i % 5 else [i, 100 + i // 5])
    bmu = rng.integers(0, 120, 1000)
    values = [f"v{int(v)}" for v in rng.integers(0, n_values, 1000)]
    data = pd.DataFrame({"id": values})
    table = segments.profile(data, bmu=bmu)
    codes = segments.node_labels()[bmu]
    expected = brute_force_top(values, codes, len(segments))
    for name, (top, share) in zip(segments.names, expected, strict=True):
        assert table.loc[name, "id_top"] == top
        np.testing.assert_allclose(table.loc[name, "id_top_share"], share)


def test_the_profile_of_an_id_column_does_not_grow_with_segments_times_values():
    import tracemalloc

    rng = np.random.default_rng(0)
    model = SOM(mapsize=(20, 20), random_state=0).fit(rng.normal(size=(500, 2)), epochs=1)
    segments = Segments.from_clustering(model, np.arange(400))  # 400 segments
    n_rows = 200_000
    bmu = rng.integers(0, 400, n_rows)
    data = pd.DataFrame({"id": np.arange(n_rows).astype(str)})  # every value distinct
    tracemalloc.start()
    try:
        table = segments.profile(data, bmu=bmu)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (table["id_top_share"] == 1 / table["size"]).all()
    # the dense table of counts alone would be 401 x 200,000 x 8 bytes = 640 MB
    assert peak < 120e6, f"peak {peak / 1e6:.0f} MB"


def test_the_training_monitor_header_takes_no_trait_from_the_page(model):
    from somnium.widgets import TrainingMonitor

    monitor = TrainingMonitor(model)
    header = monitor._header
    for name, value in (("stop_enabled", True), ("state", "running"), ("message", "forged")):
        before = getattr(header, name)
        with pytest.raises(traitlets.TraitError, match="front end"):
            header.set_state({name: value})
        assert getattr(header, name) == before
