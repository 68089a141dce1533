"""The rows protocol (in memory and on Dask, chosen once) and the four one-owner rules.

References are brute force on the pandas frame (groupby, isin, per-row loops) and hand-worked cases,
never the protocol's own output.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import traitlets
from hypothesis import given, settings
from hypothesis import strategies as st

from somnium import SOM
from somnium._rows import RowIndex, rows_for
from somnium._summaries import SumPlan, split_columns
from somnium._validation import check_nodes, numeric_columns
from somnium.exceptions import DaskRowsError
from somnium.metrics import node_mean
from somnium.segments import Segments
from somnium.widgets import Explorer, MapView, SegmentProfile, Selection

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

FEATURES = ["income", "age"]
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.normal(size=(400, 2)) * [100, 10] + [500, 40], columns=FEATURES)
    df["target"] = rng.normal(size=len(df))
    df.loc[df.index[::9], "target"] = np.nan
    df["plan"] = rng.choice(["a", "b", "c"], size=len(df))
    df["churned"] = rng.random(len(df)) < 0.25
    df["flag"] = pd.array(rng.random(len(df)) < 0.5, dtype="boolean")
    df.loc[df.index[::13], "flag"] = pd.NA
    df.index = pd.Index(rng.permutation(np.arange(5000, 5000 + len(df))), name="id")
    return df


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(4, 5), random_state=0).fit(frame[FEATURES], epochs=2)


@pytest.fixture(scope="module")
def bmu(model, frame):
    return model.predict(frame[FEATURES])


def lazy(frame, npartitions=3):
    return dd.from_pandas(frame, npartitions=npartitions, sort=False)


class Reads:
    """A Dask frame whose partition reads are counted: passes = reads / partitions."""

    def __init__(self, ddf):
        self.count = 0
        self._lock = threading.Lock()
        self.npartitions = ddf.npartitions
        self.ddf = ddf.map_partitions(self._read, meta=ddf._meta)

    def __dask_tokenize__(self):
        return ("reads", id(self))

    def _read(self, part):
        with self._lock:
            self.count += 1
        return part

    @property
    def passes(self):
        assert self.count % self.npartitions == 0
        return self.count // self.npartitions


# ------------------------------------------------------------------ choosing the backend once
def test_rows_for_chooses_the_backend_from_the_data(model, frame):
    assert type(rows_for(model, frame)) is RowIndex
    assert type(rows_for(model, frame[FEATURES].to_numpy())) is RowIndex
    assert type(rows_for(model, lazy(frame))).__name__ == "DaskRows"
    with pytest.raises(DaskRowsError, match="drop bmu="):
        rows_for(model, lazy(frame), bmu=np.zeros(len(frame), dtype=int))


def test_without_data_the_rows_are_the_training_rows_or_the_given_bmus(model):
    np.testing.assert_array_equal(rows_for(model).bmu, model.bmu_)
    given = rows_for(model, bmu=[3, 3, 1])
    assert given.data is None
    np.testing.assert_array_equal(given.counts, np.bincount([3, 3, 1], minlength=20))


def test_the_views_and_segments_do_not_import_dask():
    code = (
        "import sys, numpy as np, pandas as pd; from somnium import SOM; from somnium.widgets import Explorer;"
        "from somnium.segments import Segments;"
        "df = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 2)), columns=['a', 'b']);"
        "m = SOM(mapsize=(3, 3), random_state=0).fit(df, epochs=1); Explorer(m, df); Segments(m).labels(df);"
        "assert 'dask' not in sys.modules and 'somnium.dask' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


@pytest.mark.parametrize(
    "path",
    [
        "somnium/segments.py",
        "somnium/widgets/_base.py",
        "somnium/widgets/component_planes.py",
        "somnium/widgets/explorer.py",
        "somnium/widgets/map_view.py",
        "somnium/widgets/segment_profile.py",
        "somnium/widgets/selection.py",
    ],
)
def test_views_and_segments_never_test_for_dask_themselves(path):
    tree = ast.parse((REPO / path).read_text())
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    modules = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not names & {"is_dask_collection", "is_dask_dataframe", "DaskRows", "DaskData"}
    assert not {m for m in modules if "dask" in m or "distributed" in m}


def test_the_dask_package_reads_no_private_attribute_of_the_model():
    for path in sorted((REPO / "somnium" / "dask").glob("*.py")):
        tree = ast.parse(path.read_text())
        private = [
            f"{path.name}:{node.lineno} {ast.unparse(node)}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and ast.unparse(node.value) in {"model", "self.model"}
            and node.attr.startswith("_")
        ]
        private += [
            f"{path.name}:{node.lineno} .{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr in {"_state", "_fitted", "_fitting", "_generator"}
        ]
        assert private == []


# ------------------------------------------------------------------ the same answers in memory and on Dask
@pytest.mark.parametrize("nodes", [[], [0], [2, 7, 11], list(range(20))])
def test_rows_of_nodes_are_the_brute_force_filter(model, frame, bmu, nodes):
    expected = frame[np.isin(bmu, nodes)]
    pd.testing.assert_frame_equal(rows_for(model, frame).rows(nodes), expected)
    pd.testing.assert_frame_equal(
        rows_for(model, lazy(frame)).rows(nodes).compute(), expected, check_dtype=False
    )


def test_counts_and_sums_of_a_plan_equal_a_pandas_groupby(model, frame, bmu):
    groups = frame.groupby(bmu)
    for rows in (rows_for(model, frame), rows_for(model, lazy(frame))):
        plan = rows.sum_plan(["target", "churned"], ["plan"], max_categories=2)
        sums = rows.node_sums(plan)
        np.testing.assert_array_equal(rows.counts, np.bincount(bmu, minlength=20))
        target = groups["target"]
        np.testing.assert_allclose(sums.counts[groups.size().index, 0], target.count().to_numpy())
        np.testing.assert_allclose(sums.sums[groups.size().index, 0], target.sum().to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(
            sums.squares[groups.size().index, 0], (frame["target"] ** 2).groupby(bmu).sum()
        )
        means = sums.means(plan, ["churned"])["churned"]
        np.testing.assert_allclose(
            means[groups.size().index], groups["churned"].mean().to_numpy(), rtol=1e-12
        )
        kept = list(plan.kept[0])
        assert kept == frame["plan"].value_counts().index[:2].tolist()
        shown = pd.crosstab(bmu, frame["plan"]).reindex(range(20), fill_value=0)
        np.testing.assert_array_equal(sums.categories[0][:, :2], shown[kept].to_numpy())
        np.testing.assert_array_equal(sums.categories[0][:, 2], shown.drop(columns=kept).sum(axis=1))


def test_segment_labels_are_the_per_row_lookup(model, frame, bmu):
    node_codes = np.full(20, -1)
    node_codes[[0, 1, 2]] = 0
    node_codes[[10, 11]] = 1
    expected = [("low", "high")[node_codes[b]] if node_codes[b] >= 0 else None for b in bmu]
    for rows in (rows_for(model, frame), rows_for(model, lazy(frame))):
        labels = rows.labels(node_codes, ["low", "high"])
        labels = labels.compute() if hasattr(labels, "compute") else labels
        assert labels.index.equals(frame.index) and labels.name == "segment"
        assert [None if pd.isna(v) else v for v in labels] == expected


# ------------------------------------------------------------------ sums already made answer later plans
def test_a_plan_covered_by_earlier_sums_costs_no_pass(model, frame):
    counted = Reads(lazy(frame[[*FEATURES, "target", "churned", "plan"]]))
    rows = rows_for(model, counted.ddf)
    plan = rows.sum_plan(["income", "age"], ["plan"], max_categories=2)
    wide = rows.node_sums(plan.with_numeric(["target"]))
    assert counted.passes == 2  # the value counts, then the sums
    narrow = rows.node_sums(plan)
    only_target = rows.node_sums(SumPlan.of(20, ["target"]))
    _ = rows.counts
    assert counted.passes == 2
    np.testing.assert_array_equal(narrow.sums, wide.sums[:, :2])
    np.testing.assert_array_equal(narrow.categories[0], wide.categories[0])
    np.testing.assert_array_equal(only_target.counts[:, 0], wide.counts[:, 2])
    assert narrow.sums.flags.c_contiguous  # reductions over nodes round as on fresh sums
    in_memory = rows_for(model, frame)
    fresh = in_memory.node_sums(in_memory.sum_plan(["income", "age"]))
    np.testing.assert_allclose(narrow.sums, fresh.sums, rtol=1e-12)
    rows.node_sums(SumPlan.of(20, ["churned"]))
    assert counted.passes == 3  # a column no earlier plan summed


def test_which_plans_cover_which():
    plan = SumPlan.of(20, ["a", "b"])
    assert plan.covers(SumPlan.of(20, ["b"])) and plan.covers(SumPlan.of(20, ()))
    assert not plan.covers(SumPlan.of(20, ["c"])) and not plan.covers(SumPlan.of(30, ["a"]))
    assert SumPlan.of(20, None).covers(SumPlan.of(20, None)) and not plan.covers(SumPlan.of(20, None))
    assert plan.with_numeric(["b", "c"]).numeric == ("a", "b", "c")


def test_the_explorer_makes_one_pass_for_the_map_and_the_profile(model, frame):
    counted = Reads(lazy(frame))
    explorer = Explorer(model, counted.ddf)
    for layer in ("hits", "target", "churned", "flag"):
        explorer.map.color = layer
    explorer.segment_table()
    assert counted.passes == 2  # the value counts of the non-numeric columns, then one plan of sums


# ------------------------------------------------------------------ one owner: node means
def test_node_mean_is_nan_where_a_node_has_no_rows():
    np.testing.assert_array_equal(node_mean([6.0, 0.0, 3.0], [3, 0, 1]), [2.0, np.nan, 3.0])
    per_column = node_mean(np.array([[2.0, 4.0], [0.0, 0.0]]), np.array([[2], [0]]))
    np.testing.assert_array_equal(per_column, [[1.0, 2.0], [np.nan, np.nan]])
    np.testing.assert_array_equal(node_mean([1.0, 3.0], 4), [0.25, 0.75])  # shares of a total


# ------------------------------------------------------------------ one owner: what a boolean is
def test_numeric_columns_are_integers_and_reals_never_booleans(frame):
    typed = pd.DataFrame(
        {
            "f": [1.5],
            "i": np.array([1], dtype=np.uint8),
            "n": pd.array([1], dtype="Int64"),
            "b": [True],
            "nb": pd.array([True], dtype="boolean"),
            "c": pd.Categorical(["x"]),
            "s": ["x"],
            "t": pd.to_datetime(["2024-01-01"]),
        }
    )
    assert numeric_columns(typed) == ["f", "i", "n"]
    assert numeric_columns(dd.from_pandas(typed, npartitions=1)) == ["f", "i", "n"]
    assert numeric_columns(np.zeros((2, 2))) == []
    assert split_columns(typed) == (["f", "i", "n"], ["b", "nb", "c", "s", "t"])


def test_a_boolean_is_a_category_in_every_view_and_summary(model, frame, bmu):
    view = MapView(model, frame)
    label = dict(view._layer_options)
    assert label["churned"] == "churned (share of True)" and label["target"] == "target (mean of rows)"
    view.color = "flag"  # missing values of a nullable boolean are left out
    expected = frame["flag"].astype("float").groupby(bmu).mean().reindex(range(20)).to_numpy()
    np.testing.assert_allclose(view.color_values, expected, rtol=1e-12)
    profile = SegmentProfile(model, frame)
    assert "churned" not in profile.summaries.numeric_names
    assert {"churned", "flag"} <= {c.name for c in profile.summaries.categories}
    segments = Segments(model)
    segments.add("all", range(20))
    table = segments.profile(frame)
    assert "churned_top" in table.columns and "churned_mean" not in table.columns
    assert table.loc["all", "churned_top"] == frame["churned"].mode()[0]


def test_the_estimator_still_trains_on_boolean_features_as_one_and_zero():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=80), "on": rng.random(80) < 0.5})
    as_numbers = df.assign(on=df["on"].astype(float))
    fitted = SOM(mapsize=(3, 3), random_state=0).fit(df, epochs=2)
    reference = SOM(mapsize=(3, 3), random_state=0).fit(as_numbers, epochs=2)
    np.testing.assert_allclose(fitted.codebook_, reference.codebook_)


# ------------------------------------------------------------------ one owner: node lists
@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-3, 25), max_size=12))
def test_check_nodes_accepts_exactly_the_lists_inside_the_map(nodes):
    inside = all(0 <= node < 20 for node in nodes)
    if inside:
        assert check_nodes(nodes, 20).tolist() == sorted(set(nodes))
        assert check_nodes(nodes, 20, unique=False).tolist() == nodes
    else:
        with pytest.raises(ValueError, match=r"must be node indices 0 to 19 \(the map has 20 nodes\)"):
            check_nodes(nodes, 20)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([20], r"must be node indices 0 to 19 \(the map has 20 nodes\), got 20"),
        ([1.5], r"must be integer node indices, got 1.5"),
        ([True], r"must be integer node indices, got True"),
        (3, r"must be a list or array of integer node indices, got 3"),
    ],
)
def test_every_node_list_is_refused_in_the_same_words(model, frame, bad, message):
    segments = Segments(model)
    profile = SegmentProfile(model, frame)
    checks = [
        (ValueError, lambda: segments.add("x", bad)),
        (ValueError, lambda: profile.compare(bad)),
        (traitlets.TraitError, lambda: setattr(Selection(20), "nodes", bad)),
        (traitlets.TraitError, lambda: setattr(profile, "selected", bad)),
        (ValueError, lambda: RowIndex(bad, 20)),
    ]
    for error, call in checks:
        with pytest.raises(error, match=message):
            call()


# ------------------------------------------------------------------ the compatibility module
def test_somnium_distributed_still_names_the_adapter_and_its_split_every_takes_effect(monkeypatch):
    from somnium import distributed
    from somnium.dask import passes

    assert distributed.SPLIT_EVERY == passes.SPLIT_EVERY == 8
    monkeypatch.setattr(distributed, "SPLIT_EVERY", 2)
    assert passes.SPLIT_EVERY == 2
    summed = []

    class Watch(dask.callbacks.Callback):
        def _pretask(self, key, dsk, state):
            if "-sum" in str(key):
                summed.append(key)

    data = distributed.DaskData(da.ones((8, 1), chunks=1), None, None, "float64", "euclidean", None)
    with Watch():
        assert data.map_reduce("probe", _one, None) == 8
    assert len(summed) == 4 + 2 + 1  # a binary tree over 8 partitions
    monkeypatch.undo()
    assert passes.SPLIT_EVERY == 8


def _one(block, spec, index):
    return 1


# ------------------------------------------------------------------ samples of rows
def test_a_sample_of_rows_in_memory_is_a_subset_in_order(frame):
    from somnium._rows import sample_rows

    sample = sample_rows(frame, 50)
    assert len(sample) == 50 and sample.index.is_unique
    positions = frame.index.get_indexer(sample.index)
    assert (positions >= 0).all() and (np.diff(positions) > 0).all()
    pd.testing.assert_frame_equal(sample, frame.iloc[positions])
    assert sample_rows(frame, 10_000) is frame  # small data: every row


def test_a_sample_of_dask_rows_reads_at_most_32_partitions(frame):
    from somnium._rows import sample_rows

    counted = Reads(lazy(frame, npartitions=40))
    sample = sample_rows(counted.ddf, 64)
    assert len(sample) == 64 and counted.count <= 32
    pd.testing.assert_frame_equal(sample, frame.loc[sample.index], check_dtype=False)
