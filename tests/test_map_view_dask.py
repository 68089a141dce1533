"""MapView on Dask rows: per-node layers by Dask reductions, a lazy ``selected_rows``, no row on the client.

The reference for every result is the same view on the in-memory pandas frame.  Most tests run on Dask's
local (threaded) scheduler; one runs on a 2-process ``LocalCluster``.
"""

from __future__ import annotations

import numpy as np
import pytest

from somnium import SOM
from somnium.widgets import MapView
from somnium.widgets._rows import DaskRows, DaskRowsError

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
dask = pytest.importorskip("dask")

FEATURES = ["income", "age", "score"]
NODES = [0, 3, 7, 12]


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(600, 3)) * [1000, 10, 1] + [5000, 40, 0], columns=FEATURES)
    df["target"] = rng.normal(size=len(df))  # numeric, not a feature: a "(mean of rows)" layer
    df["label"] = rng.choice(["a", "b"], size=len(df))  # not numeric: no layer
    df.index = pd.Index(rng.permutation(np.arange(1000, 1000 + len(df))), name="customer")
    return df


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(5, 4), random_state=0).fit(frame[FEATURES], epochs=3)


@pytest.fixture
def lazy(frame):
    # sort=False keeps the rows in the pandas frame's order (from_pandas sorts by index otherwise)
    return dd.from_pandas(frame, npartitions=4, sort=False)


def assert_same_rows(lazy_rows, rows):
    assert isinstance(lazy_rows, dd.DataFrame)
    # Dask stores the text column as a string dtype; values, index and order must agree exactly.
    pd.testing.assert_frame_equal(lazy_rows.compute(), rows, check_dtype=False)


def assert_same_layers(view, reference):
    assert view.layers == reference.layers
    for key in ("hits", "quality", "target", *FEATURES):
        view.color = key
        reference.color = key
        np.testing.assert_allclose(view.color_values, reference.color_values, rtol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(view._hit_counts, reference._hit_counts)


def test_layers_equal_the_pandas_views(model, frame, lazy):
    view = MapView(model, data=lazy)
    assert isinstance(view._rows, DaskRows)
    assert view.bmu is None
    assert_same_layers(view, MapView(model, data=frame))


def test_selected_rows_is_lazy_and_equals_the_pandas_selection(model, frame, lazy):
    view, reference = MapView(model, data=lazy), MapView(model, data=frame)
    view.selected = reference.selected = NODES
    executed = []

    class Watch(dask.callbacks.Callback):
        def _pretask(self, key, dsk, state):
            executed.append(key)

    with Watch():
        selected = view.selected_rows
        assert isinstance(selected, dd.DataFrame)
    assert executed == []  # building the selection computes nothing
    assert_same_rows(selected, reference.selected_rows)
    assert_same_rows(view.selection.rows, reference.selected_rows)  # the shared Selection agrees
    head = selected.head(3, npartitions=-1)
    pd.testing.assert_frame_equal(head, reference.selected_rows.head(3), check_dtype=False)
    view.selected = []
    assert len(view.selected_rows.compute()) == 0


def test_head_of_the_selection_reads_the_first_partition(model, frame, lazy):
    view, reference = MapView(model, data=lazy), MapView(model, data=frame)
    first = reference._rows.bmu[0]
    view.selected = reference.selected = [int(first)]
    head = view.selected_rows.head()
    pd.testing.assert_frame_equal(head, reference.selected_rows.head(len(head)), check_dtype=False)
    assert len(head) >= 1


def test_selected_index_points_to_the_lazy_index(model, lazy):
    view = MapView(model, data=lazy)
    view.selected = NODES
    with pytest.raises(DaskRowsError, match=r"selected_rows\.index"):
        view.selected_index
    with pytest.raises(ValueError, match="no meaning for Dask data"):
        view.selection.positions


def test_select_rows_by_labels_masks_and_frames(model, frame, lazy):
    view, reference = MapView(model, data=lazy), MapView(model, data=frame)
    labels = frame.index[[5, 17, 300]]
    view.select_rows(labels)
    reference.select_rows(labels)
    assert view.selected == reference.selected
    view.select_rows(lazy["target"] > 1.5)  # a Dask boolean Series
    reference.select_rows(frame["target"] > 1.5)
    assert view.selected == reference.selected
    view.selected = []
    view.select_rows(lazy[lazy["target"] > 1.5])  # a Dask DataFrame of rows: their BMUs
    assert view.selected == reference.selected
    view.select_rows(frame["target"] > 1.5)  # a pandas boolean Series: its True labels
    assert view.selected == reference.selected
    view.select_rows(frame.query("age > 50"))  # a pandas frame: its labels
    reference.select_rows(frame.query("age > 50"))
    assert view.selected == reference.selected
    with pytest.raises(KeyError, match="not in data's index"):
        view.select_rows([1, 2])
    with pytest.raises(DaskRowsError, match="boolean array"):
        view.select_rows(np.ones(len(frame), dtype=bool))


def test_no_bmu_or_row_of_the_data_reaches_the_client(model, frame, lazy, monkeypatch):
    """Every BMU stays lazy: converting the predict result (or the rows) to NumPy fails the test."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("a Dask collection was materialised on the client")

    for collection in (dd.Series, dd.DataFrame):
        monkeypatch.setattr(collection, "__array__", refuse, raising=False)
        monkeypatch.setattr(collection, "compute", refuse)
    predicted = []
    predict = model.predict

    def lazy_predict(X=None, **kwargs):
        result = predict(X, **kwargs)
        assert isinstance(result, dd.Series)  # BMUs come back lazy, never as an ndarray
        predicted.append(result)
        return result

    monkeypatch.setattr(model, "predict", lazy_predict)
    view = MapView(model, data=lazy, color="target")
    view.color = "quality"
    view.color = "hits"
    view.selected = NODES
    assert isinstance(view.selected_rows, dd.DataFrame)
    assert predicted  # the hits/means groupby and the selection go through the lazy predict
    monkeypatch.undo()
    assert_same_layers(view, MapView(model, data=frame))


def test_a_dask_array_gives_hits_quality_and_a_lazy_selection(model, frame):
    X = frame[FEATURES].to_numpy()
    view, reference = MapView(model, data=da.from_array(X, chunks=150)), MapView(model, data=X)
    assert view.layers == reference.layers
    for key in ("hits", "quality"):
        view.color = reference.color = key
        np.testing.assert_allclose(view.color_values, reference.color_values, rtol=1e-9, equal_nan=True)
    view.selected = reference.selected = NODES
    assert isinstance(view.selected_rows, da.Array)
    np.testing.assert_array_equal(view.selected_rows.compute(), reference.selected_rows)
    with pytest.raises(DaskRowsError, match="DataFrame"):
        view.select_rows([0, 1])


def test_bmu_with_dask_data_is_refused(model, lazy):
    with pytest.raises(ValueError, match="bmu= is not supported with Dask data"):
        MapView(model, data=lazy, bmu=np.zeros(600, dtype=int))


def test_on_a_two_process_local_cluster(model, frame):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
        client.as_current(),
    ):
        lazy = dd.from_pandas(frame, npartitions=4, sort=False).persist()
        view, reference = MapView(model, data=lazy), MapView(model, data=frame)
        assert_same_layers(view, reference)
        view.selected = reference.selected = NODES
        assert_same_rows(view.selected_rows, reference.selected_rows)


def test_missing_values_of_a_column_are_skipped_in_its_node_means(model, frame):
    holey = frame.copy()
    holey.loc[holey.index[::7], "target"] = np.nan
    holey.loc[holey.index[2::11], "target"] = np.inf  # skipped too, as in memory
    view = MapView(model, data=dd.from_pandas(holey, npartitions=3, sort=False), color="target")
    bmus = model.predict(frame[FEATURES])
    finite = holey["target"].where(np.isfinite(holey["target"]))
    expected = finite.groupby(bmus).mean().reindex(range(model.lattice_.n_nodes)).to_numpy()
    np.testing.assert_allclose(view.color_values, expected, rtol=1e-12, equal_nan=True)
    in_memory = MapView(model, data=holey, color="target")
    np.testing.assert_allclose(view.color_values, in_memory.color_values, rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(view._hit_counts, np.bincount(bmus, minlength=model.lattice_.n_nodes))


def test_a_frame_without_numeric_extra_columns_counts_hits_on_the_features(model, frame):
    lazy = dd.from_pandas(frame[[*FEATURES, "label"]], npartitions=2, sort=False)
    view, reference = (
        MapView(model, data=lazy, color="hits"),
        MapView(model, data=frame[[*FEATURES, "label"]], color="hits"),
    )
    assert view.layers == reference.layers
    np.testing.assert_array_equal(view.color_values, reference.color_values)
