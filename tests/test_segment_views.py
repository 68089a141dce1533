"""The Segments layer of MapView / ComponentPlanes and the Explorer's "Add segment" flow (Python side)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from somnium import SOM
from somnium.segments import Segments
from somnium.widgets import ComponentPlanes, Explorer, MapView
from somnium.widgets._segments import SEGMENT_PALETTE, boundary_edges, segment_colors

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(2, 300))
    return pd.DataFrame({"a": x, "b": y, "c": x + y})


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(6, 7), random_state=0).fit(frame, epochs=3)


@pytest.fixture
def segments(model):
    segments = Segments(model)
    segments.add("left", [0, 1, 7, 8, 14])
    segments.add(XSS, [20, 21, 27, 28])
    segments.add("corner", [41])
    return segments


def brute_force_boundary_pairs(model, labels):
    """Pairs of touching cells (two shared corners) whose labels differ, at least one labelled."""
    vertices = model.lattice_.cell_vertices()
    pairs = set()
    for a, b in itertools.combinations(range(model.lattice_.n_nodes), 2):
        if labels[a] == labels[b]:
            continue
        shared = sum(np.min(np.hypot(*(vertices[b] - corner).T)) < 1e-6 for corner in vertices[a])
        if shared == 2:
            pairs.add((a, b))
    return pairs


@pytest.mark.parametrize("lattice", ["hexa", "rect"])
def test_boundary_edges_match_a_brute_force_adjacency_check(frame, lattice):
    model = SOM(mapsize=(5, 6), lattice=lattice, random_state=0).fit(frame, epochs=1)
    segments = Segments(model)
    segments.add("one", [0, 1, 6, 13])
    segments.add("two", [2, 3, 8, 9, 14])
    labels = segments.node_labels()
    lines, pairs = boundary_edges(model.lattice_, labels)
    assert {tuple(p) for p in pairs.tolist()} == brute_force_boundary_pairs(model, labels)
    vertices = model.lattice_.cell_vertices()
    for (x1, y1, x2, y2), (a, b) in zip(lines, pairs, strict=True):
        for x, y in ((x1, y1), (x2, y2)):  # each end is a corner of both cells
            assert np.min(np.hypot(*(vertices[a] - (x, y)).T)) < 1e-9
            assert np.min(np.hypot(*(vertices[b] - (x, y)).T)) < 1e-9
    # a neighbour pair of two unassigned nodes is never a boundary
    assert all(labels[a] >= 0 or labels[b] >= 0 for a, b in pairs)


def test_the_map_layer_payload_is_the_node_labels(model, frame, segments):
    view = MapView(model, frame, segments=segments)
    assert view.color == "segments" and view.segments is segments
    assert view._layer_info["categorical"] is True
    np.testing.assert_array_equal(view._segment_codes, segments.node_labels() + 1)
    assert view._segment_names == ["left", XSS, "corner"]
    assert view._segment_colors == list(SEGMENT_PALETTE[:3])
    expected = np.where(segments.node_labels() >= 0, segments.node_labels(), np.nan)
    np.testing.assert_array_equal(view.color_values, expected)
    lines, _ = boundary_edges(model.lattice_, segments.node_labels())
    np.testing.assert_allclose(view._segment_edges, lines)
    state = view.get_state(["_segment_codes", "_segment_edges"])
    assert state["_segment_codes"]["dtype"] == "uint32"  # binary, through the self-encoding trait
    assert state["_segment_edges"]["shape"] == [len(lines), 4]


def test_showing_again_updates_and_none_removes(model, frame, segments):
    view = MapView(model, frame, color="hits")
    assert "segments" not in view.layers and view._segment_names == []
    view.show_segments(segments, show=False)
    assert view.color == "hits" and "segments" in view.layers
    segments.add("new", [35, 36])
    view.show_segments(segments)
    assert view.color == "segments" and view._segment_names[-1] == "new"
    np.testing.assert_array_equal(view._segment_codes, segments.node_labels() + 1)
    view.show_segments(None)
    assert view.color == "umatrix" and "segments" not in view.layers
    assert view._segment_codes is None and view._segment_edges is None


def test_the_planes_draw_the_same_boundaries(model, segments):
    planes = ComponentPlanes(model, segments=segments)
    np.testing.assert_array_equal(planes._segment_codes, segments.node_labels() + 1)
    assert planes._segment_names == segments.names
    np.testing.assert_allclose(
        planes._segment_edges, boundary_edges(model.lattice_, segments.node_labels())[0]
    )


def test_a_feature_called_segments_keeps_its_layer(frame):
    model = SOM(mapsize=(4, 5), random_state=0).fit(frame.rename(columns={"a": "segments"}), epochs=1)
    segments = Segments(model)
    segments.add("x", [0])
    view = MapView(model, segments=segments)
    assert "feature:segments" in view.layers and view.color == "segments"


def test_segments_of_another_map_are_refused(model, frame):
    other = SOM(mapsize=(3, 3), random_state=0).fit(frame, epochs=1)
    with pytest.raises(ValueError, match="of a 3 x 3 .* map; this view shows a 6 x 7"):
        MapView(model, frame).show_segments(Segments(other))


def test_colours_cycle_past_the_palette():
    colors = segment_colors(len(SEGMENT_PALETTE) + 2)
    assert colors[len(SEGMENT_PALETTE)] == colors[0] and len(colors) == len(SEGMENT_PALETTE) + 2


# ------------------------------------------------------------------ Explorer
def test_select_name_add_segment_button(model, frame):
    explorer = Explorer(model, frame)
    assert isinstance(explorer.segments, Segments) and len(explorer.segments) == 0
    explorer.selection.nodes = [0, 1, 2]
    explorer.segment_name.value = "  young  "
    explorer.add_segment_button.click()
    assert explorer.segments.names == ["young"]
    assert explorer.segments.nodes("young").tolist() == [0, 1, 2]
    assert explorer.segment_name.value == ""
    for view in (explorer.map, explorer.planes):
        np.testing.assert_array_equal(view._segment_codes, explorer.segments.node_labels() + 1)
        assert view._segment_names == ["young"]
    assert explorer.map.color == "segments"
    # the list: name, rows, share
    bmu = model.predict(frame)
    n_rows = int(np.isin(bmu, [0, 1, 2]).sum())
    texts = [[label.value for label in row.children] for row in explorer.segment_list.children]
    assert texts == [["Segment", "Rows", "Share"], ["young", f"{n_rows:,}", f"{n_rows / len(frame):.1%}"]]
    # labels back to the DataFrame
    labels = explorer.segments.labels(frame)
    assert (labels == "young").sum() == n_rows


def test_the_button_moves_nodes_and_says_so(model, frame):
    explorer = Explorer(model, frame)
    explorer.selection.nodes = [0, 1]
    explorer.segment_name.value = "A"
    explorer.add_segment_button.click()
    explorer.selection.nodes = [1, 5]
    explorer.segment_name.value = XSS
    explorer.add_segment_button.click()
    assert explorer.segments.nodes("A").tolist() == [0]
    assert explorer.segments.nodes(XSS).tolist() == [1, 5]
    assert "took nodes" in explorer.segment_status.value
    assert explorer.map._segment_names == ["A", XSS]


def test_the_button_explains_what_is_missing(model, frame):
    explorer = Explorer(model, frame)
    explorer.segment_name.value = "A"
    explorer.add_segment_button.click()
    assert "Select nodes" in explorer.segment_status.value and len(explorer.segments) == 0
    explorer.selection.nodes = [3]
    explorer.segment_name.value = "   "
    explorer.add_segment_button.click()
    assert "name" in explorer.segment_status.value and len(explorer.segments) == 0
    explorer.segment_name.value = "(unassigned)"
    explorer.add_segment_button.click()
    assert len(explorer.segments) == 0 and explorer.segment_status.value


def test_the_profile_compares_a_segment_or_the_selection(model, frame, segments):
    explorer = Explorer(model, frame, segments=segments)
    assert explorer.map.color == "segments"
    assert list(explorer.profile_target.options) == ["Selection", *segments.names]
    explorer.selection.nodes = [30]
    explorer.profile_target.value = "left"
    assert explorer.profile.shown_segment == "left"
    assert explorer.profile.shown_nodes == segments.nodes("left").tolist()
    expected = explorer.profile.compare(segments.nodes("left"))
    assert explorer.profile.numeric_figure.title.startswith("Segment left:")
    shown = dict(zip(explorer.profile._z_bars.x, explorer.profile._z_bars.y, strict=True))
    for column, z in shown.items():
        assert z == pytest.approx(expected.loc[column, "z"])
    explorer.profile_target.value = "Selection"
    assert explorer.profile.shown_segment is None and explorer.profile.shown_nodes == [30]
    # a segment removed in code falls back to the selection on refresh
    explorer.profile_target.value = "corner"
    segments.remove("corner")
    explorer.refresh_segments()
    assert explorer.profile_target.value == "Selection" and "corner" not in explorer.profile_target.options
