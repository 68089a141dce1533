"""Specification of somnium.segments.Segments: named node sets, row labels, profiles, JSON."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from somnium import SOM
from somnium.exceptions import ModelNotTrainedError, UnknownOptionError
from somnium.segments import Segments

pd = pytest.importorskip("pandas")

N_NODES = 20  # a 4 x 5 map


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    return SOM(mapsize=(4, 5), random_state=0).fit(X, epochs=3)


@pytest.fixture
def segments(model):
    segments = Segments(model)
    segments.add("low", [0, 1, 2, 5])
    segments.add("high", [19, 18])
    return segments


# -- building -----------------------------------------------------------------------------


def test_add_keeps_insertion_order_and_sorted_unique_nodes(segments):
    segments.add("middle", [9, 7, 7, 8])
    assert segments.names == ["low", "high", "middle"]
    np.testing.assert_array_equal(segments.nodes("high"), [18, 19])
    np.testing.assert_array_equal(segments.nodes("middle"), [7, 8, 9])
    assert segments.nodes("middle").dtype == np.int64


def test_adding_to_an_existing_name_extends_it(segments):
    segments.add("low", [6, 10])
    np.testing.assert_array_equal(segments.nodes("low"), [0, 1, 2, 5, 6, 10])
    assert segments.names == ["low", "high"]


def test_overlapping_add_takes_the_nodes_and_warns_with_names_and_counts(segments):
    with pytest.warns(UserWarning, match=r"'new' took .*2 from 'low', 1 from 'high'"):
        segments.add("new", [0, 1, 19, 12])
    np.testing.assert_array_equal(segments.nodes("low"), [2, 5])
    np.testing.assert_array_equal(segments.nodes("high"), [18])
    np.testing.assert_array_equal(segments.nodes("new"), [0, 1, 12, 19])


def test_a_segment_left_without_nodes_is_removed_and_the_warning_says_so(segments):
    with pytest.warns(UserWarning, match=r"Removed, left with no nodes: 'high'"):
        segments.add("new", [18, 19, 3])
    assert segments.names == ["low", "new"]


def test_a_disjoint_add_does_not_warn(segments):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        segments.add("other", [3, 4])


def test_node_labels_against_a_per_node_loop(segments):
    segments.add("middle", [9, 7])
    labels = segments.node_labels()
    for node in range(N_NODES):
        owners = [i for i, name in enumerate(segments.names) if node in segments.nodes(name).tolist()]
        assert labels[node] == (owners[0] if owners else -1)


def test_rename_keeps_the_place_and_the_nodes(segments):
    segments.rename("low", "Low <b>cost</b>")
    assert segments.names == ["Low <b>cost</b>", "high"]
    np.testing.assert_array_equal(segments.nodes("Low <b>cost</b>"), [0, 1, 2, 5])
    with pytest.raises(ValueError, match="already exists"):
        segments.rename("high", "Low <b>cost</b>")


def test_remove_unassigns_the_nodes(segments):
    segments.remove("low")
    assert segments.names == ["high"]
    assert (segments.node_labels()[[0, 1, 2, 5]] == -1).all()


def test_merge_joins_segments_in_the_first_ones_place(segments):
    segments.add("middle", [9])
    segments.merge(["high", "low"], "ends")
    assert segments.names == ["ends", "middle"]
    np.testing.assert_array_equal(segments.nodes("ends"), [0, 1, 2, 5, 18, 19])
    segments.merge(["ends", "middle"], "middle")
    assert segments.names == ["middle"]
    segments.add("x", [3])
    with pytest.raises(ValueError, match="already exists and is not being merged"):
        segments.merge(["x"], "middle")


def test_from_selection_takes_a_nodes_attribute_or_an_iterable(segments):
    class Selection:
        nodes = [4, 3]

    segments.from_selection(Selection(), "picked")
    segments.from_selection(iter([10, 11]), "iterated")
    segments.from_selection({12, 13}, "set")
    np.testing.assert_array_equal(segments.nodes("picked"), [3, 4])
    np.testing.assert_array_equal(segments.nodes("iterated"), [10, 11])
    np.testing.assert_array_equal(segments.nodes("set"), [12, 13])


def test_from_clustering_names_segments_by_label(model):
    labels = np.array([0] * 5 + [1] * 5 + [-1] * 5 + [2] * 5)
    segments = Segments.from_clustering(model, labels)
    assert segments.names == ["Segment 1", "Segment 2", "Segment 3"]
    np.testing.assert_array_equal(segments.node_labels(), labels)
    named = Segments.from_clustering(model, labels, names=["x", "y", "z"])
    np.testing.assert_array_equal(named.nodes("z"), [15, 16, 17, 18, 19])
    with pytest.raises(ValueError, match="one label per node"):
        Segments.from_clustering(model, labels[:-1])
    with pytest.raises(ValueError, match="name all 3 segments"):
        Segments.from_clustering(model, labels, names=["x"])


# -- errors -------------------------------------------------------------------------------


def test_unknown_segment_is_a_value_error_listing_the_segments(segments):
    for call in (
        lambda: segments.nodes("x"),
        lambda: segments.remove("x"),
        lambda: segments.rename("x", "y"),
    ):
        with pytest.raises(
            UnknownOptionError, match=r"Unknown segment 'x'\. Valid segment values: low, high\."
        ) as caught:
            call()
        assert isinstance(caught.value, ValueError) and not isinstance(caught.value, KeyError)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (3, "must be a string"),
        ("", "must not be empty"),
        ("x" * 201, "at most 200"),
        ("(unassigned)", "reserved"),
    ],
)
def test_invalid_names_are_refused(segments, name, message):
    with pytest.raises(ValueError, match=message):
        segments.add(name, [3])


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ([20], r"node indices 0 to 19 \(the map has 20 nodes\), got 20"),
        ([-1], r"node indices 0 to 19 \(the map has 20 nodes\), got -1"),
        ([1.0], "must be integer node indices"),
        ([True], "must be integer node indices"),
        (["3"], "must be integer node indices"),
        (5, "list or array"),
        ([], "at least one node"),
        ([[1, 2]], "one-dimensional"),
        ([2**70], r"node indices 0 to 19"),
    ],
)
def test_invalid_nodes_are_refused(segments, nodes, message):
    with pytest.raises(ValueError, match=message):
        segments.add("bad", nodes)


def test_an_unfitted_model_raises_the_models_own_error():
    with pytest.raises(ModelNotTrainedError):
        Segments(SOM(mapsize=(3, 3)))


# -- labels -------------------------------------------------------------------------------


def test_labels_against_a_per_row_loop(model, segments):
    rng = np.random.default_rng(1)
    data = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"], index=rng.permutation(1000)[:200])
    data["note"] = "extra columns are ignored"
    labels = segments.labels(data)
    bmu = model.predict(data[["a", "b", "c"]])
    assert labels.index.equals(data.index) and labels.name == "segment"
    assert isinstance(labels.dtype, pd.CategoricalDtype)
    assert labels.cat.categories.tolist() == ["low", "high"]
    for position in range(len(data)):
        owner = [name for name in segments.names if bmu[position] in segments.nodes(name).tolist()]
        value = labels.iloc[position]
        assert (owner[0] if owner else None) == (None if pd.isna(value) else value)


def test_labels_from_given_bmus_and_numpy_data(segments):
    bmu = np.array([0, 19, 3, 5, 18])
    labels = segments.labels(np.zeros((5, 3)), bmu=bmu)
    assert labels.index.equals(pd.RangeIndex(5))
    assert labels.tolist()[:2] == ["low", "high"] and pd.isna(labels.iloc[2])
    assert segments.labels(bmu=bmu).tolist()[3:] == ["low", "high"]
    with pytest.raises(ValueError, match="5 entries but data has 4 rows"):
        segments.labels(np.zeros((4, 3)), bmu=bmu)
    with pytest.raises(
        ValueError, match=r"bmu must be node indices 0 to 19 \(the map has 20 nodes\), got 20"
    ):
        segments.labels(bmu=[20])


def test_labels_of_a_numpy_trained_model(segments):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 2))
    plain = SOM(mapsize=(3, 3), random_state=0).fit(X, epochs=2)
    only = Segments(plain)
    only.add("top", [0, 1, 2])
    bmu = plain.predict(X)
    np.testing.assert_array_equal(only.labels(X).notna().to_numpy(), bmu <= 2)


# -- profile ------------------------------------------------------------------------------


def test_profile_numbers_match_a_pandas_groupby(segments):
    rng = np.random.default_rng(3)
    n = 2000
    data = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "y": rng.integers(0, 100, size=n),
            "z": np.where(rng.random(n) < 0.1, np.nan, rng.exponential(size=n)),
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2])),
            "city": rng.choice(["Oslo", "Lima", "Pune"], size=n, p=[0.2, 0.2, 0.6]).astype(object),
            "when": pd.Timestamp("2024-01-01"),
        }
    )
    bmu = rng.integers(0, N_NODES, size=n)
    profile = segments.profile(data, bmu=bmu)

    group = segments.labels(data, bmu=bmu).astype(object).fillna("(unassigned)")
    assert profile.index.tolist() == ["low", "high", "(unassigned)"]
    expected_size = group.value_counts()
    for name in profile.index:
        rows = data[group == name]
        assert profile.loc[name, "size"] == expected_size[name]
        assert profile.loc[name, "share"] == pytest.approx(expected_size[name] / n)
        for column in ("x", "y", "z"):
            assert profile.loc[name, f"{column}_mean"] == pytest.approx(rows[column].mean())
            assert profile.loc[name, f"{column}_median"] == pytest.approx(rows[column].median())
        for column in ("colour", "city"):
            counts = rows[column].value_counts()
            assert profile.loc[name, f"{column}_top"] == counts.idxmax()
            assert profile.loc[name, f"{column}_top_share"] == pytest.approx(counts.max() / len(rows))
    assert not any(column.startswith("when") for column in profile.columns)


def test_profile_lists_segments_without_rows_and_omits_unassigned_when_none(segments):
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    profile = segments.profile(data, bmu=[0, 1, 5])
    assert profile.index.tolist() == ["low", "high"]
    assert profile["size"].tolist() == [3, 0]
    assert profile.loc["low", "a_median"] == 2.0 and np.isnan(profile.loc["high", "a_mean"])


def test_profile_of_numpy_rows_uses_the_feature_names(model, segments):
    X = np.random.default_rng(4).normal(size=(50, 3))
    profile = segments.profile(X)
    assert {"a_mean", "b_median", "c_mean"} <= set(profile.columns)
    assert profile["size"].sum() == 50


# -- JSON ---------------------------------------------------------------------------------


def test_json_round_trip_keeps_names_order_and_nodes(model, segments):
    segments.add("<img src=x onerror=alert(1)>", [7, 8])
    again = Segments.from_json(model, segments.to_json())
    assert again.names == segments.names
    for name in segments.names:
        np.testing.assert_array_equal(again.nodes(name), segments.nodes(name))
    assert Segments.from_dict(model, segments.to_dict()).names == segments.names


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=200), min_size=1, max_size=8, unique=True).filter(
        lambda names: "(unassigned)" not in names
    )
)
def test_json_round_trips_arbitrary_unicode_names_exactly(model, names):
    segments = Segments(model)
    for position, name in enumerate(names):
        segments.add(name, [position, position + 10])
    text = segments.to_json()
    again = Segments.from_json(model, text)
    assert again.names == names
    assert again.from_json(model, text.encode("utf-8")).names == names


def test_html_repr_escapes_names(model):
    segments = Segments(model)
    segments.add("<img src=x onerror=alert(1)>", [1])
    html = segments._repr_html_()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "'<img src=x onerror=alert(1)>' (1)" in repr(segments)


def valid_description():
    return {
        "format": "somnium.segments",
        "version": 2,
        "n_nodes": N_NODES,
        "lattice": {"rows": 4, "cols": 5, "name": "hexa", "shifted_rows": "even"},
        "segments": [{"name": "a", "nodes": [0, 1]}, {"name": "b", "nodes": [2]}],
    }


def damaged(path, value):
    description = valid_description()
    target = description
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return description


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ([], "expected a JSON object"),
        (damaged(["format"], "other"), "'format' must be"),
        (damaged(["version"], 3), "unsupported version 3"),
        (damaged(["version"], "1"), "unsupported version '1'"),
        (damaged(["n_nodes"], 21), "map of 21 nodes, but this model has 20"),
        (damaged(["n_nodes"], True), "map of True nodes"),
        (damaged(["lattice", "name"], "rect"), "made for lattice"),
        (damaged(["extra"], 1), "unexpected fields"),
        (damaged(["segments"], {"a": [1]}), "'segments' must be a list"),
        (damaged(["segments", 0], ["a", [1]]), r"segments\[0\] must be an object"),
        (damaged(["segments", 0, "colour"], "red"), r"segments\[0\] must be an object with exactly"),
        (damaged(["segments", 0, "name"], 7), r"segments\[0\]: A segment name must be a string"),
        (damaged(["segments", 0, "name"], ""), "must not be empty"),
        (damaged(["segments", 0, "name"], "n" * 201), "at most 200"),
        (damaged(["segments", 1, "name"], "a"), "the name 'a' is used twice"),
        (damaged(["segments", 0, "nodes"], []), "non-empty list of integers"),
        (damaged(["segments", 0, "nodes"], [0, 1.5]), "non-empty list of integers"),
        (damaged(["segments", 0, "nodes"], [True]), "non-empty list of integers"),
        (damaged(["segments", 0, "nodes"], "0,1"), "non-empty list of integers"),
        (damaged(["segments", 0, "nodes"], [0, 20]), r"nodes must be node indices 0 to 19"),
        (damaged(["segments", 0, "nodes"], [-1]), r"nodes must be node indices 0 to 19"),
        (damaged(["segments", 0, "nodes"], [10**30]), r"nodes must be node indices 0 to 19"),
        (damaged(["segments", 0, "nodes"], [3, 3]), "a node is listed twice"),
        (damaged(["segments", 1, "nodes"], [1, 4]), "node 1 is in both 'a' and 'b'"),
    ],
)
def test_hostile_descriptions_are_refused_with_a_clear_message(model, description, message):
    with pytest.raises(ValueError, match=message):
        Segments.from_dict(model, description)
    with pytest.raises(ValueError, match=message):
        Segments.from_json(model, json.dumps(description))


def test_a_valid_description_loads(model):
    segments = Segments.from_dict(model, valid_description())
    assert segments.names == ["a", "b"]
    without_lattice = valid_description()
    del without_lattice["lattice"]  # matched by node count only: refused
    with pytest.raises(ValueError, match="made for lattice None"):
        Segments.from_dict(model, without_lattice)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (" " * 10_000_001, "larger than 10000000 bytes"),
        (b" " * 10_000_001, "larger than 10000000 bytes"),
        (42, "expected JSON text"),
        ('{"format": "somnium.segments", "version": NaN}', "unsupported version"),
    ],
)
def test_damaged_json_is_refused_with_a_clear_message(model, text, message):
    with pytest.raises(ValueError, match=message):
        Segments.from_json(model, text)


def test_json_for_another_map_size_is_refused(segments):
    other = SOM(mapsize=(5, 5), random_state=0).fit(np.random.default_rng(0).normal(size=(50, 3)), epochs=1)
    with pytest.raises(ValueError, match="map of 20 nodes, but this model has 25"):
        Segments.from_json(other, segments.to_json())


# ------------------------------------------------------------- files (model file and JSON)
def test_segments_travel_inside_the_model_file_and_on_their_own(tmp_path):
    from somnium import SOM
    from somnium.segments import Segments

    X = np.random.default_rng(0).normal(size=(120, 3))
    model = SOM(mapsize=(3, 4), random_state=0).fit(X, epochs=2)
    segments = Segments(model)
    segments.add("<img src=x onerror=alert(1)>", [0, 1, 2])
    segments.add("rest", [5, 6])
    model.save(tmp_path / "m.som", segments=segments)
    loaded_model = SOM.load(tmp_path / "m.som")
    again = Segments.load(loaded_model, tmp_path / "m.som")
    assert again.names == segments.names
    for name in segments.names:
        np.testing.assert_array_equal(again.nodes(name), segments.nodes(name))
    segments.save(tmp_path / "s.json")
    assert Segments.load(model, tmp_path / "s.json").names == segments.names
    # (a model keeps the segments of the file it was saved to; a model that never had any saves none)
    fresh = SOM(mapsize=(3, 4), random_state=0).fit(X, epochs=2)
    fresh.save(tmp_path / "plain.som")
    with pytest.raises(ValueError, match="without segments"):
        Segments.load(fresh, tmp_path / "plain.som")
