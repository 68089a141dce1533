"""Selection, RowIndex and ComponentPlanes, Python side.

Browser edits are simulated with ``set_state`` on the Selection -- the call ipywidgets makes when the
front end's message arrives -- so validation and observers run exactly as in a notebook.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import traitlets

from somnium import SOM
from somnium.exceptions import UnknownOptionError
from somnium.widgets import ComponentPlanes, Explorer, MapView, SegmentProfile, Selection
from somnium.widgets._rows import RowIndex
from somnium.widgets.component_planes import similarity_order

FEATURES = ["a", "b", "c", "d", "e"]


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(1)
    x, y, z = rng.normal(size=(3, 500))
    df = pd.DataFrame(
        {
            "a": x,
            "c": y * 3 + 1,
            "e": z,
            "b": -2 * x + 0.1 * rng.normal(size=500),  # tied to a (negatively)
            "d": y + 0.1 * rng.normal(size=500),  # tied to c
        }
    )
    df.index = pd.Index(rng.permutation(np.arange(7000, 7500)), name="id")
    return df


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(7, 9), random_state=0).fit(frame, epochs=4)


# ------------------------------------------------------------------ Selection
def test_a_selection_validates_like_a_view(model):
    selection = Selection(63)
    selection.nodes = np.array([9, 2, 2], dtype=np.int16)
    assert selection.nodes == [2, 9] and all(type(n) is int for n in selection.nodes)
    for bad in ([63], [-1], [True], [1.5], ["3"], "3", 3):
        with pytest.raises(traitlets.TraitError):
            selection.nodes = bad
    with pytest.raises(traitlets.TraitError, match=r"must be node indices 0 to 62 \(the map has 63 nodes\)"):
        selection.nodes = [70]
    assert selection.nodes == [2, 9]


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "10"])
def test_a_selection_needs_a_positive_node_count(bad):
    with pytest.raises(ValueError, match="n_nodes must be a positive integer"):
        Selection(bad)


def test_views_given_one_selection_share_it(model, frame):
    selection = Selection(63)
    view = MapView(model, frame, selection=selection)
    planes = ComponentPlanes(model, selection=selection)
    assert view.selection is planes.selection is selection
    seen = []
    selection.observe(lambda change: seen.append(change["new"]), "nodes")
    selection.set_state({"nodes": [5, 1]})  # the browser's message
    assert view.selected == planes.selected == [1, 5]
    planes.selected = [7]
    assert selection.nodes == view.selected == [7]
    assert seen == [[1, 5], [7]]


def test_a_view_without_a_selection_gets_its_own(model, frame):
    first, second = MapView(model, frame), MapView(model, frame)
    assert first.selection is not second.selection
    first.selected = [3]
    assert second.selected == []


def test_views_reference_the_selection_by_model_id(model):
    planes = ComponentPlanes(model)
    assert planes.get_state("selection")["selection"] == f"IPY_MODEL_{planes.selection.model_id}"
    assert "selected" not in planes.keys  # the shortcut never travels: no second copy to echo


def test_a_selection_of_another_map_is_refused(model):
    with pytest.raises(ValueError, match="map of 10 nodes, but the model has 63"):
        ComponentPlanes(model, selection=Selection(10))
    with pytest.raises(TypeError, match="somnium.widgets.Selection"):
        ComponentPlanes(model, selection=[1, 2])


def test_selection_rows_equal_a_brute_force_filter(model, frame):
    bmu = model.predict(frame)
    selection = Selection(63, data=frame, bmu=bmu)
    selection.nodes = [0, 10, 11, 40]
    pd.testing.assert_frame_equal(selection.rows, frame[np.isin(bmu, [0, 10, 11, 40])])


def test_a_selection_adopts_the_rows_of_the_first_view_with_data(model, frame):
    selection = Selection(63)
    with pytest.raises(ValueError, match="no rows"):
        selection.rows
    ComponentPlanes(model, selection=selection)  # no data: nothing to adopt
    MapView(model, frame, selection=selection)
    selection.nodes = [4, 5]
    bmu = model.predict(frame)
    pd.testing.assert_frame_equal(selection.rows, frame[np.isin(bmu, [4, 5])])


def test_selection_data_needs_its_bmus(frame):
    with pytest.raises(ValueError, match="needs bmu="):
        Selection(63, data=frame)


# ------------------------------------------------------------------- RowIndex
@pytest.mark.parametrize("nodes", [[], [3], [3, 4, 50], list(range(0, 63, 2))])
def test_row_positions_equal_a_brute_force_filter(nodes):
    bmu = np.random.default_rng(0).integers(0, 63, size=5000)
    index = RowIndex(bmu, 63)
    np.testing.assert_array_equal(index.positions(nodes), np.flatnonzero(np.isin(bmu, nodes)))
    np.testing.assert_array_equal(index.counts, np.bincount(bmu, minlength=63))


def test_rows_can_be_found_back_by_label_mask_or_position(model, frame):
    index = RowIndex.for_model(model, frame)
    mask = frame["a"] > 1
    np.testing.assert_array_equal(index.nodes_of(mask), np.unique(index.bmu[mask.to_numpy()]))
    np.testing.assert_array_equal(index.nodes_of(frame.index[:3]), np.unique(index.bmu[:3]))
    with pytest.raises(KeyError):
        index.nodes_of([1, 2])


# ------------------------------------------------------------- ComponentPlanes
def correlation_distance(frame_of_planes: pd.DataFrame) -> pd.DataFrame:
    """1 - |r| by pandas, independent of the widget's own computation."""
    return 1 - frame_of_planes.corr().abs()


def path_length(order, distance: pd.DataFrame) -> float:
    return sum(distance.iloc[i, j] for i, j in itertools.pairwise(order))


def test_similarity_order_puts_correlated_planes_side_by_side(model, frame):
    planes = ComponentPlanes(model)  # order="similarity" by default
    order = planes.features
    assert sorted(order) == sorted(frame.columns)
    assert abs(order.index("a") - order.index("b")) == 1
    assert abs(order.index("c") - order.index("d")) == 1
    distance = correlation_distance(pd.DataFrame(model.codebook_, columns=model.feature_names()))
    positions = [list(distance.columns).index(name) for name in order]
    input_positions = list(range(len(distance)))
    assert path_length(positions, distance) < path_length(input_positions, distance)


def test_similarity_order_is_optimal_for_a_small_case():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(200, 2))
    values = np.column_stack([base[:, 0], base[:, 1], base[:, 0] + 0.3 * base[:, 1], -base[:, 1]])
    distance = correlation_distance(pd.DataFrame(values))
    best = min(path_length(p, distance) for p in itertools.permutations(range(4)))
    assert path_length(similarity_order(values), distance) == pytest.approx(best)


def test_a_constant_plane_does_not_break_the_order():
    values = np.column_stack([np.arange(10.0), np.ones(10), np.arange(10.0) ** 2])
    assert sorted(similarity_order(values)) == [0, 1, 2]


def test_input_order_keeps_the_given_features(model):
    planes = ComponentPlanes(model, features=["e", "a", "c"], order="input")
    assert planes.features == ["e", "a", "c"]
    np.testing.assert_allclose(planes.values, model.codebook_[:, [2, 0, 1]].T)


def test_planes_are_in_input_units_and_travel_as_binary(model):
    planes = ComponentPlanes(model)
    state = planes.get_state("_values")["_values"]
    assert state["dtype"] == "float64" and state["shape"] == [5, 63] and isinstance(state["data"], bytes)
    names = model.feature_names()
    for row, feature in zip(planes.values, planes.features, strict=True):
        np.testing.assert_allclose(row, model.codebook_[:, names.index(feature)])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"features": ["a", "zz"]}, ValueError, "Unknown feature 'zz'"),
        ({"features": ["a", "a"]}, ValueError, "twice"),
        ({"features": []}, ValueError, "empty"),
        ({"order": "alphabetical"}, UnknownOptionError, "Valid order values: similarity, input"),
        ({"columns": 0}, ValueError, "columns must be"),
    ],
)
def test_bad_arguments_are_refused(model, kwargs, error, message):
    with pytest.raises(error, match=message):
        ComponentPlanes(model, **kwargs)


# -------------------------------------------------------------- SegmentProfile
@pytest.fixture(scope="module")
def customers(frame):
    rng = np.random.default_rng(4)
    df = frame.copy()
    df["plan"] = rng.choice(["basic", "pro", "team", "edu"], size=len(df), p=[0.5, 0.3, 0.15, 0.05])
    df["spend"] = np.where(rng.random(len(df)) < 0.05, np.nan, rng.gamma(2.0, 50.0, size=len(df)))
    return df


def test_profile_numbers_match_pandas(model, customers):
    profile = SegmentProfile(model, customers)
    bmu = model.predict(customers[FEATURES])
    nodes = [2, 3, 4, 20, 21, 50]
    inside = customers[np.isin(bmu, nodes)]
    numeric = customers.select_dtypes("number")
    table = profile.compare(nodes)
    expected_mean = inside[numeric.columns].mean()
    expected_z = (expected_mean - numeric.mean()) / numeric.std(ddof=0)
    for column in numeric.columns:
        assert table.loc[column, "mean_selected"] == pytest.approx(expected_mean[column])
        assert table.loc[column, "mean_all"] == pytest.approx(numeric[column].mean())
        assert table.loc[column, "z"] == pytest.approx(expected_z[column])
        assert table.loc[column, "n_selected"] == inside[column].notna().sum()
        half = (
            1.96
            * inside[column].std(ddof=0)
            / np.sqrt(inside[column].notna().sum())
            / numeric[column].std(ddof=0)
        )
        assert table.loc[column, "z_high"] - table.loc[column, "z"] == pytest.approx(half)
    assert list(table.index) == list(expected_z.abs().sort_values(ascending=False, kind="stable").index)


def test_profile_category_shares_match_pandas(model, customers):
    profile = SegmentProfile(model, customers, max_categories=3)
    bmu = model.predict(customers[FEATURES])
    nodes = list(range(0, 63, 3))
    selected = np.isin(bmu, nodes)
    shares = profile.compare_categories(nodes).set_index("category")
    assert list(shares.index) == ["basic", "pro", "team", "(other)"]  # most frequent first, rest lumped
    plan = customers["plan"].where(customers["plan"].isin(["basic", "pro", "team"]), "(other)")
    inside = plan[selected].value_counts(normalize=True)
    outside = plan[~selected].value_counts(normalize=True)
    for category in shares.index:
        assert shares.loc[category, "share_selected"] == pytest.approx(inside.get(category, 0.0))
        assert shares.loc[category, "share_rest"] == pytest.approx(outside.get(category, 0.0))


def test_profile_follows_the_shared_selection(model, customers):
    selection = Selection(63)
    view = MapView(model, customers, selection=selection)
    profile = SegmentProfile(model, customers, selection=selection, max_features=3)
    assert "Select nodes" in profile.numeric_figure.title and list(profile._z_bars.x) == []
    selection.set_state({"nodes": [5, 6, 7]})  # a brush in the browser
    rows = view.selected_rows
    assert profile.numeric_figure.title.startswith(f"{len(rows):,} of {len(customers):,} rows on 3 nodes")
    expected = profile.compare([5, 6, 7]).head(3)
    assert list(profile._z_bars.x) == list(expected.index)
    np.testing.assert_allclose(profile._z_bars.y, expected["z"])
    assert len(profile._share_bars.x) == 4 and np.asarray(profile._share_bars.y).shape == (2, 4)


def test_a_profile_needs_rows(model):
    with pytest.raises(ValueError, match="pass data="):
        SegmentProfile(model, None)


# -------------------------------------------------------------------- Explorer
def test_the_explorer_links_its_views_on_one_selection(model, customers):
    explorer = Explorer(model, customers)
    assert (
        explorer.map.selection
        is explorer.planes.selection
        is explorer.profile.selection
        is explorer.selection
    )
    explorer.selection.set_state({"nodes": [1, 9, 30]})
    bmu = model.predict(customers[FEATURES])
    pd.testing.assert_frame_equal(explorer.selected_rows, customers[np.isin(bmu, [1, 9, 30])])
    assert explorer.map.selected == explorer.planes.selected == [1, 9, 30]
    assert explorer.profile.numeric_figure.title.startswith(f"{np.isin(bmu, [1, 9, 30]).sum():,} of")
    assert explorer.map._rows is explorer.profile._rows  # one predict, one row index


def test_the_explorer_needs_data(model):
    with pytest.raises(ValueError, match="pass data="):
        Explorer(model, None)


def test_a_views_selection_cannot_be_swapped_afterwards(model):
    planes = ComponentPlanes(model)
    with pytest.raises(traitlets.TraitError, match="fixed when it is created"):
        planes.selection = Selection(63)
    planes.selected = [2]
    assert planes.selection.nodes == [2]
