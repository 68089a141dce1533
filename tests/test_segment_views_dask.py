"""SegmentProfile, Explorer and Segments.labels on Dask rows: reductions and lazy results, no row on the client.

The reference for every result is the same view on the in-memory pandas frame.  Most tests run on Dask's
local (threaded) scheduler; one runs on a 2-process ``LocalCluster`` started once for the module.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from somnium import SOM
from somnium._summaries import CategoryTally, NodeSums
from somnium.exceptions import DaskRowsError
from somnium.segments import Segments
from somnium.widgets import Explorer, SegmentProfile
from somnium.widgets._rows import DaskRows

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
dask = pytest.importorskip("dask")

FEATURES = ["income", "age", "score"]
NODE_SETS = [[0, 3, 7, 12], [5], list(range(20)), []]


def make_frame(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(size=(n_rows, 3)) * [1000, 10, 1] + [5000, 40, 0], columns=FEATURES)
    df["target"] = rng.normal(size=n_rows)  # numeric, not a feature
    df.loc[df.index[::7], "target"] = np.nan  # missing values are left out of its sums
    df["plan"] = rng.choice(["basic", "plus", "pro", "team", "free", "edu"], size=n_rows)
    df.loc[df.index[::11], "plan"] = None
    df["tier"] = pd.Categorical(rng.choice(["gold", "silver", "bronze"], size=n_rows))
    df["churned"] = rng.random(n_rows) < 0.3  # boolean: shares in the profile, a mean layer on the map
    df.index = pd.Index(rng.permutation(np.arange(10_000, 10_000 + n_rows)), name="customer")
    return df


@pytest.fixture(scope="module")
def frame():
    return make_frame(600)


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(5, 4), random_state=0).fit(frame[FEATURES], epochs=3)


def lazy_frame(df, npartitions=4):
    # sort=False keeps the rows in the pandas frame's order (from_pandas sorts by index otherwise)
    return dd.from_pandas(df, npartitions=npartitions, sort=False)


@pytest.fixture
def lazy(frame):
    return lazy_frame(frame)


class Reads:
    """``ddf`` whose every partition read is counted: passes over the data = reads / partitions."""

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


def assert_same_profile(profile, reference, node_sets=NODE_SETS):
    for nodes in node_sets:
        pd.testing.assert_frame_equal(profile.compare(nodes), reference.compare(nodes), rtol=1e-9)
        pd.testing.assert_frame_equal(
            profile.compare_categories(nodes), reference.compare_categories(nodes), rtol=1e-9
        )
    np.testing.assert_array_equal(profile.summaries.node_rows, reference.summaries.node_rows)


# ------------------------------------------------------------------ SegmentProfile
def test_profile_numbers_equal_the_pandas_profile(model, frame, lazy):
    profile, reference = SegmentProfile(model, lazy), SegmentProfile(model, frame)
    assert isinstance(profile._rows, DaskRows)
    assert profile.summaries.numeric_names == [*FEATURES, "target"]
    assert_same_profile(profile, reference)
    profile.selected = reference.selected = NODE_SETS[0]
    assert profile.numeric_figure.title == reference.numeric_figure.title
    np.testing.assert_allclose(profile._z_bars.y, reference._z_bars.y, rtol=1e-9)
    assert list(profile._share_bars.x) == list(reference._share_bars.x)


def test_categorical_shares_and_their_ties_equal_the_pandas_profile(model, frame):
    df = frame.copy()
    # Three values of equal count, first seen in different partitions: ties go to the value seen first.
    df["even"] = np.repeat(["z", "y", "x"], len(df) // 3)
    df["since"] = pd.to_datetime("2024-01-01") + pd.to_timedelta(np.arange(len(df)) % 4, unit="D")
    df["ticket"] = [f"t{i}" for i in range(len(df))]  # every value once: all tied, the first seen kept
    for max_categories in (1, 2, 5):
        profile = SegmentProfile(model, lazy_frame(df, 5), max_categories=max_categories)
        reference = SegmentProfile(model, df, max_categories=max_categories)
        assert [c.labels for c in profile.summaries.categories] == [
            c.labels for c in reference.summaries.categories
        ]
        assert_same_profile(profile, reference)
    labels = {c.name: c.labels for c in profile.summaries.categories}
    assert labels["even"] == ["z", "y", "x"]
    assert labels["plan"][-1] == "(other)" and len(labels["plan"]) == 6
    assert labels["ticket"] == ["t0", "t1", "t2", "t3", "t4", "(other)"]


def test_missing_values_of_a_numeric_column_are_left_out_as_in_memory(model, frame, lazy):
    profile, reference = SegmentProfile(model, lazy), SegmentProfile(model, frame)
    column = list(profile.summaries.numeric_names).index("target")
    np.testing.assert_array_equal(profile.summaries.counts[:, column], reference.summaries.counts[:, column])
    assert profile.summaries.counts[:, column].sum() == frame["target"].notna().sum()
    table = profile.compare(NODE_SETS[0])
    on_nodes = frame[model.predict(frame[FEATURES]).astype(int) == 0]["target"]
    assert table.loc["target", "mean_all"] == pytest.approx(frame["target"].mean(), rel=1e-12)
    assert profile.compare([0]).loc["target", "n_selected"] == on_nodes.notna().sum()


def test_a_dask_array_is_profiled_like_its_ndarray(model, frame):
    X = frame[FEATURES].to_numpy()
    profile = SegmentProfile(model, da.from_array(X, chunks=(150, 2)))  # column chunks are joined
    assert_same_profile(profile, SegmentProfile(model, X))


def test_passes_over_the_data(model, frame):
    numeric = Reads(lazy_frame(frame[[*FEATURES, "target"]]))
    SegmentProfile(model, numeric.ddf)
    assert numeric.passes == 1  # sums only
    mixed = Reads(lazy_frame(frame))
    profile = SegmentProfile(model, mixed.ddf)
    assert mixed.passes == 2  # the most frequent categories, then the sums
    profile.selected = [1, 2, 3]
    profile.show_segment("A", _segments(model, [4, 5]))
    assert mixed.passes == 2  # a new node set adds up per-node sums only
    explored = Reads(lazy_frame(frame))
    explorer = Explorer(model, explored.ddf, color="hits")
    explorer.map.color = "target"  # a "(mean of rows)" layer from the same sums
    explorer.selection.nodes = [0, 1]
    explorer.add_segment("A")
    explorer.segment_table()
    assert explored.passes == 2
    explorer.map.color = "quality"  # the quantization error is a pass of its own
    assert explored.passes == 3


def _segments(model, nodes):
    segments = Segments(model)
    segments.add("A", nodes)
    return segments


# ------------------------------------------------------------------ Explorer
def test_explorer_layers_profile_and_counts_equal_the_pandas_explorer(model, frame, lazy):
    explorer, reference = Explorer(model, lazy), Explorer(model, frame)
    assert explorer.map.layers == reference.map.layers
    assert "churned" in explorer.map.layers  # a boolean column's share of True per node
    for key in ("hits", "churned", *FEATURES):
        explorer.map.color = reference.map.color = key
        np.testing.assert_allclose(
            explorer.map.color_values, reference.map.color_values, rtol=1e-9, equal_nan=True
        )
    explorer.map.color = "target"  # Dask skips a column's missing values (as MapView(model, ddf) does)
    expected = frame.groupby(model.predict(frame[FEATURES]))["target"].mean()
    np.testing.assert_allclose(explorer.map.color_values[expected.index], expected.to_numpy(), rtol=1e-9)
    assert_same_profile(explorer.profile, reference.profile)


def test_explorer_add_segment_and_lazy_labels(model, frame, lazy):
    explorer, reference = Explorer(model, lazy), Explorer(model, frame)
    for view in (explorer, reference):
        view.selection.nodes = [0, 1, 5, 6]
        view.segment_name.value = "young"
        view.add_segment_button.click()
        view.selection.nodes = [18, 19]
        view.add_segment("old")
    assert explorer.segments.names == ["young", "old"]
    pd.testing.assert_frame_equal(explorer.segment_table(), reference.segment_table())
    texts = [[label.value for label in row.children] for row in explorer.segment_list.children]
    assert texts == [[label.value for label in row.children] for row in reference.segment_list.children]
    explorer.profile_target.value = reference.profile_target.value = "old"
    assert explorer.profile.numeric_figure.title == reference.profile.numeric_figure.title
    np.testing.assert_allclose(explorer.profile._z_bars.y, reference.profile._z_bars.y, rtol=1e-9)
    executed = []

    class Watch(dask.callbacks.Callback):
        def _pretask(self, key, dsk, state):
            executed.append(key)

    with Watch():
        labels = explorer.segments.labels(lazy)
        labelled = lazy.assign(segment=labels)
    assert executed == []  # lazy: nothing ran
    assert isinstance(labels, dd.Series) and labels.npartitions == lazy.npartitions
    expected = reference.segments.labels(frame)
    pd.testing.assert_series_equal(labels.compute(), expected)
    pd.testing.assert_series_equal(labelled.compute()["segment"], expected)
    counts = labelled["segment"].value_counts().compute()
    assert counts["young"] == reference.segment_table().set_index("segment").loc["young", "rows"]


def test_explorer_selected_rows_are_lazy_and_equal(model, frame, lazy):
    explorer, reference = Explorer(model, lazy), Explorer(model, frame)
    explorer.selection.nodes = reference.selection.nodes = NODE_SETS[0]
    selected = explorer.selected_rows
    assert isinstance(selected, dd.DataFrame)
    pd.testing.assert_frame_equal(selected.compute(), reference.selected_rows, check_dtype=False)


def test_segment_labels_of_a_dask_array(model, frame):
    X = frame[FEATURES].to_numpy()
    segments = _segments(model, [0, 1, 2])
    labels = segments.labels(da.from_array(X, chunks=200))
    assert isinstance(labels, dd.Series)
    pd.testing.assert_series_equal(labels.compute(), segments.labels(X))


# ------------------------------------------------------------------ what reaches the client
def _numbers(result):
    """How many values a task result holds."""
    if isinstance(result, NodeSums):
        return result.rows.size + 3 * result.counts.size + sum(c.size for c in result.categories)
    if isinstance(result, CategoryTally):
        return sum(3 * len(column.values) for column in result.columns)  # values, counts, first
    return int(np.size(result)) if hasattr(result, "shape") else 1


def test_nothing_row_sized_reaches_the_client(model, monkeypatch):
    frame = make_frame(8000, seed=1)
    lazy = lazy_frame(frame, 4)  # 2,000 rows a partition
    n_nodes = model.lattice_.n_nodes
    returned = []

    class Roots(dask.callbacks.Callback):
        """Results of the graphs' output tasks: what a compute hands to the client."""

        def _start_state(self, dsk, state):
            self.roots = {key for key, dependents in state["dependents"].items() if not dependents}

        def _posttask(self, key, result, dsk, state, worker_id):
            if key in self.roots:
                returned.append((key, _numbers(result)))

    def refuse(self, *args, **kwargs):
        raise AssertionError("a Dask collection was materialised on the client")

    for collection in (dd.Series, dd.DataFrame):
        monkeypatch.setattr(collection, "__array__", refuse, raising=False)
        monkeypatch.setattr(collection, "compute", refuse)
    with Roots():
        explorer = Explorer(model, lazy)
        explorer.selection.nodes = [0, 1, 2]
        explorer.add_segment("A")
        explorer.profile_target.value = "A"
        explorer.map.color = "target"
        assert isinstance(explorer.selected_rows, dd.DataFrame)
        assert isinstance(explorer.segments.labels(lazy), dd.Series)
    monkeypatch.undo()
    assert len(returned) == 2  # the category tally and the node sums
    n_labels = sum(len(c.labels) for c in explorer.profile.summaries.categories)
    n_numeric = len(FEATURES) + 2  # target, and churned summed for its map layer
    assert max(n for _, n in returned) <= n_nodes * (1 + 3 * n_numeric + n_labels) < 2000


# ------------------------------------------------------------------ refusals
def test_what_cannot_work_with_dask_rows_says_what_to_do(model, frame, lazy):
    bmu = model.predict(frame[FEATURES])
    with pytest.raises(DaskRowsError, match="drop bmu="):
        SegmentProfile(model, lazy, bmu=bmu)
    with pytest.raises(DaskRowsError, match="drop bmu="):
        Explorer(model, lazy, bmu=bmu)
    segments = _segments(model, [0, 1])
    with pytest.raises(DaskRowsError, match="drop bmu="):
        segments.labels(lazy, bmu=bmu)
    with pytest.raises(DaskRowsError, match="groupby"):
        segments.profile(lazy)
    explorer = Explorer(model, lazy)
    explorer.selection.nodes = [0]
    with pytest.raises(DaskRowsError, match=r"selected_rows\.index"):
        explorer.selection.positions


# ------------------------------------------------------------------ a real cluster
@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


def test_on_a_two_process_local_cluster(model, frame, cluster_client):
    with cluster_client.as_current():
        lazy = lazy_frame(frame).persist()
        explorer, reference = Explorer(model, lazy), Explorer(model, frame)
        assert_same_profile(explorer.profile, reference.profile)
        for view in (explorer, reference):
            view.selection.nodes = NODE_SETS[0]
            view.add_segment("A")
        pd.testing.assert_frame_equal(explorer.segment_table(), reference.segment_table())
        pd.testing.assert_series_equal(
            explorer.segments.labels(lazy).compute(), reference.segments.labels(frame)
        )
        pd.testing.assert_frame_equal(
            explorer.selected_rows.compute(), reference.selected_rows, check_dtype=False
        )
