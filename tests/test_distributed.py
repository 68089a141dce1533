"""Dask input: the same fit, predictions and metrics as in memory, on a real multi-process LocalCluster.

One ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` serves the module; tests that use
it run inside ``client.as_current()``, the others on Dask's local scheduler. The reference for every
Dask result is the same call on the in-memory data.
"""

from __future__ import annotations

import itertools
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import somnium
from somnium import SOM
from somnium.exceptions import ClusterError, InvalidValuesInDataSet, ModelNotTrainedError
from somnium.lattice import LATTICES

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
distributed = pytest.importorskip("distributed")

CODEBOOK_TOLERANCE = 1e-6
HISTORY_TOLERANCE = 1e-9
METRICS = ("quantization_error", "topographic_error", "vacancy_rate", "mean_squared_distance")
# A scheduler serves HTTP (health, metrics) even without its dashboard, on 8787 unless told otherwise: a
# cluster started while the module's holds that port warns "Port 8787 is already in use". Any free port,
# and still no dashboard.
SECOND_SCHEDULER_PORT = {"dashboard_address": ":0", "scheduler_kwargs": {"dashboard": False}}


@pytest.fixture(scope="module")
def client():
    """A 2-process LocalCluster for this module (not set as the default client: tests opt in)."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as dask_client,
    ):
        yield dask_client


@pytest.fixture
def on_cluster(client):
    with client.as_current():
        yield client


def make_data(n_rows=1200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_rows, 4)) * [3.0, 1.0, 0.5, 2.0] + [10.0, 0.0, -1.0, 5.0]


def make_frame(n_rows=1200, seed=0):
    X = make_data(n_rows, seed)
    return pd.DataFrame(X, columns=["alpha", "beta", "gamma", "delta"], index=np.arange(n_rows) * 3 + 1)


def model(**params):
    return SOM(**{"mapsize": (6, 5), "dtype": "float64", "random_state": 0, **params})


def assert_same_fit(dask_model, memory_model):
    np.testing.assert_allclose(dask_model.codebook_, memory_model.codebook_, rtol=0, atol=CODEBOOK_TOLERANCE)
    dask_history, memory_history = dask_model.history_, memory_model.history_
    assert dask_history["epoch"] == memory_history["epoch"]
    assert dask_history["radius"] == memory_history["radius"]
    for key in METRICS:
        np.testing.assert_allclose(dask_history[key], memory_history[key], rtol=HISTORY_TOLERANCE)


# ----------------------------------------------------------------- packaging
def test_importing_somnium_does_not_import_dask():
    code = "import somnium, somnium.core, sys; assert 'dask' not in sys.modules and 'distributed' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(__file__)))


def test_dask_input_without_the_extra_names_it(monkeypatch):
    X = da.from_array(make_data(), chunks=300)
    for name in [name for name in sys.modules if name == "somnium.dask" or name.startswith("somnium.dask.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(somnium, "dask", raising=False)  # else `from . import dask` finds the package
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r"somnium-som\[dask\]"):
        model().fit(X, epochs=1)


# ------------------------------------------------------- same fit as in memory
def test_array_fit_on_the_cluster_equals_the_in_memory_fit(on_cluster):
    X = make_data()
    memory = model().fit(X, epochs=5, collect_history=True)
    dask_model = model().fit(da.from_array(X, chunks=250), epochs=5, collect_history=True)
    assert_same_fit(dask_model, memory)
    assert dask_model.mapsize_ == memory.mapsize_
    np.testing.assert_array_equal(dask_model.node_hits(), memory.node_hits())


def test_dataframe_fit_on_the_cluster_equals_the_in_memory_fit_and_keeps_names(on_cluster):
    frame = make_frame()
    memory = model().fit_auto(frame)
    dask_model = model().fit_auto(dd.from_pandas(frame, npartitions=5))
    assert_same_fit(dask_model, memory)
    assert list(dask_model.feature_names_in_) == ["alpha", "beta", "gamma", "delta"]
    assert dask_model.feature_names() == memory.feature_names()
    np.testing.assert_array_equal(dask_model.predict(frame), memory.predict(frame))  # in-memory rows too


def test_a_dask_fitted_model_saves_and_loads_with_its_node_statistics(tmp_path):
    fitted = model().fit(da.from_array(make_data(), chunks=300), epochs=2)
    fitted.save(tmp_path / "dask.som")
    loaded = SOM.load(tmp_path / "dask.som")
    np.testing.assert_array_equal(loaded.node_hits(), fitted.node_hits())
    np.testing.assert_array_equal(loaded.codebook_, fitted.codebook_)


@pytest.mark.parametrize(
    ("normalization", "initialization"),
    [
        ("standard", "pca"),
        ("minmax", "random"),
        ("log", "pca"),
        ("logistic", "random"),
        ("boxcox", "pca"),
        ("none", "random"),
    ],
)
def test_local_scheduler_fit_equals_the_in_memory_fit(normalization, initialization):
    X = np.abs(make_data()) + 0.5
    params = {"normalization": normalization, "initialization": initialization, "mapsize": "auto"}
    memory = model(**params).fit(X, epochs=3, collect_history=True)
    dask_model = model(**params).fit(da.from_array(X, chunks=(300, 2)), epochs=3, collect_history=True)
    assert dask_model.mapsize_ == memory.mapsize_
    assert_same_fit(dask_model, memory)


def test_continued_fit_equals_the_in_memory_continued_fit():
    X = make_data()
    memory = (
        model().fit(X, epochs=2, collect_history=True).fit(X, epochs=2, radiusin=1.5, collect_history=True)
    )
    dask_X = da.from_array(X, chunks=400)
    dask_model = model().fit(dask_X, epochs=2, collect_history=True)
    dask_model.fit(dask_X, epochs=2, radiusin=1.5, collect_history=True)
    assert_same_fit(dask_model, memory)


def test_subsampled_epochs_use_the_requested_share_of_rows():
    seen = []
    X = da.from_array(make_data(), chunks=250)
    model().fit(X, epochs=2, subsample_ratio=0.25, callbacks=lambda info: seen.append(info.n_rows))
    assert seen == [1200, 1200]  # n_rows describes the training data
    first = model().fit(X, epochs=3, subsample_ratio=0.25).codebook_
    again = model().fit(X, epochs=3, subsample_ratio=0.25).codebook_
    np.testing.assert_array_equal(first, again)


# ------------------------------------------------------------ predict, metrics
def test_predict_is_lazy_and_equals_in_memory(on_cluster):
    X = make_data()
    fitted = model().fit(da.from_array(X, chunks=250), epochs=3)
    bmus = fitted.predict(da.from_array(X, chunks=300))
    assert isinstance(bmus, da.Array) and bmus.dtype == np.int64
    np.testing.assert_array_equal(bmus.compute(), fitted.predict(X))


def test_predict_on_a_dataframe_is_a_lazy_series_with_the_index(on_cluster):
    frame = make_frame()
    fitted = model().fit(dd.from_pandas(frame, npartitions=4), epochs=3)
    shuffled = dd.from_pandas(frame[["delta", "alpha", "gamma", "beta"]], npartitions=3)
    bmus = fitted.predict(shuffled)
    assert isinstance(bmus, dd.Series)
    result = bmus.compute()
    assert result.index.equals(frame.index)
    np.testing.assert_array_equal(result.to_numpy(), fitted.predict(frame))


def test_normalize_is_lazy_and_equals_in_memory():
    X = make_data()
    fitted = model(normalization="minmax").fit(X, epochs=2)
    normalized = fitted.normalize(da.from_array(X, chunks=500))
    assert isinstance(normalized, da.Array)
    np.testing.assert_allclose(normalized.compute(), fitted.normalize(X), rtol=0, atol=1e-12)
    frame = make_frame()
    fitted = model().fit(frame, epochs=2)
    lazy = fitted.normalize(dd.from_pandas(frame, npartitions=3))
    assert isinstance(lazy, dd.DataFrame) and list(lazy.columns) == list(frame.columns)
    np.testing.assert_allclose(lazy.compute().to_numpy(), fitted.normalize(frame), rtol=0, atol=1e-12)


def test_metrics_of_dask_data_equal_in_memory(on_cluster):
    X = make_data()
    fitted = model().fit(X, epochs=4)
    dask_X = da.from_array(X, chunks=300)
    for method in (
        "calculate_quantization_error",
        "calculate_topographic_error",
        "calculate_vacancy_rate",
        "calculate_mean_bmu_distance",
    ):
        assert getattr(fitted, method)(dask_X) == pytest.approx(getattr(fitted, method)(X), rel=1e-12)
    np.testing.assert_array_equal(fitted.node_hits(dask_X), fitted.node_hits(X))


def test_a_dask_fit_keeps_node_statistics_but_no_training_bmus():
    X = make_data()
    fitted = model().fit(da.from_array(X, chunks=300), epochs=2)
    assert fitted.node_hits().sum() == len(X)
    with pytest.raises(ModelNotTrainedError, match="a Dask fit does not keep them"):
        fitted.bmu_


def test_column_chunks_are_merged():
    X = make_data()
    memory = model().fit(X, epochs=2)
    dask_model = model().fit(da.from_array(X, chunks=(500, 1)), epochs=2)
    np.testing.assert_allclose(dask_model.codebook_, memory.codebook_, atol=CODEBOOK_TOLERANCE)


def test_n_jobs_is_ignored_with_one_warning():
    X = da.from_array(make_data(), chunks=400)
    som = model(n_jobs=2)
    with pytest.warns(UserWarning, match="n_jobs=2 is ignored") as caught:
        som.fit(X, epochs=1)
        som.predict(X)
    assert len([w for w in caught if "n_jobs" in str(w.message)]) == 1


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_partition_with_nan_or_inf_is_named(on_cluster, bad):
    X = make_data()
    X[700, 2] = bad
    with pytest.raises(InvalidValuesInDataSet, match=r"Partition 2 of X contains 1 NaN or infinite.*row 200"):
        model().fit(da.from_array(X, chunks=250), epochs=1)


def test_a_dataframe_partition_with_nan_is_named_with_the_column():
    frame = make_frame()
    frame.iloc[5, 1] = np.nan
    with pytest.raises(InvalidValuesInDataSet, match=r"Partition 0 of X .*'beta'"):
        model().fit(dd.from_pandas(frame, npartitions=3), epochs=1)


def test_nan_in_new_data_fails_when_the_prediction_is_computed():
    X = make_data()
    fitted = model().fit(X, epochs=1)
    bad = X.copy()
    bad[-1, 0] = np.nan
    with pytest.raises(InvalidValuesInDataSet, match="Partition 3 of X"):
        fitted.predict(da.from_array(bad, chunks=300)).compute()


def test_a_domain_error_names_the_partition():
    X = np.abs(make_data()) + 1.0
    X[650, 0] = -3.0
    with pytest.raises(InvalidValuesInDataSet, match=r"Partition 1 of X.*'log' normalization requires"):
        model(normalization="log").fit(da.from_array(X, chunks=600), epochs=1)


def test_wrong_columns_are_refused():
    fitted = model().fit(make_frame(), epochs=1)
    wrong = dd.from_pandas(make_frame().rename(columns={"beta": "b"}), npartitions=2)
    with pytest.raises(InvalidValuesInDataSet, match="missing columns"):
        fitted.predict(wrong)
    with pytest.raises(InvalidValuesInDataSet, match="X has 3 features"):
        fitted.predict(da.from_array(make_data()[:, :3], chunks=100))


def test_fit_online_refuses_dask_input():
    with pytest.raises(InvalidValuesInDataSet, match="fit_online"):
        model().fit_online(da.from_array(make_data(), chunks=300))


# ------------------------------------------------------------------ callbacks
def test_callbacks_report_every_epoch_on_the_cluster(on_cluster):
    X = da.from_array(make_data(), chunks=200)
    events = []

    class Recorder:
        def on_fit_begin(self, plan):
            events.append(("begin", plan.n_epochs, plan.n_rows))

        def on_epoch_end(self, info):
            events.append(("epoch", info.epoch, info.metrics["quantization_error"]))

        def on_fit_end(self, result):
            events.append(("end", result.epochs_run, result.error))

    fitted = model().fit(X, epochs=4, callbacks=[Recorder()])
    assert events[0] == ("begin", 4, 1200)
    assert [e[1] for e in events[1:-1]] == [1, 2, 3, 4]
    assert [e[2] for e in events[1:-1]] == fitted.history_["quantization_error"]
    assert events[-1] == ("end", 4, None)


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [library["num_threads"] for library in threadpool_info() if library["user_api"] == "blas"]


def test_the_client_holds_blas_to_one_thread_while_the_cluster_trains(on_cluster):
    """A threaded BLAS call on the client leaves its idle threads busy-waiting (OpenBLAS: ~0.1 s), on the
    cores the workers of a cluster on the same machine compute on, every epoch; a Dask fit keeps the
    client's BLAS on one thread and gives the threads back afterwards."""
    before = _blas_threads()
    if max(before, default=1) < 2:
        pytest.skip("BLAS runs one thread here already (one core, or a thread limit in the environment)")
    during = []
    model().fit(
        da.from_array(make_data(), chunks=200),
        epochs=3,
        callbacks=lambda info: during.append(_blas_threads()),
    )
    assert len(during) == 3
    assert all(threads == [1] * len(before) for threads in during), during
    assert _blas_threads() == before


def test_data_beyond_float32s_range_warn_once_at_the_callers_line_and_train_as_in_memory(on_cluster):
    """The dtype is chosen once, on the client, from the normalised rows' column extremes, as in memory:
    the warning reaches the user (not a worker's log, once per partition and epoch), and every
    partition computes in the same precision."""
    X = make_data()
    X[:, 0] *= 1e19  # beyond float32's range for distances once squared and summed
    params = {"normalization": "none", "dtype": "float32"}
    with pytest.warns(UserWarning, match="beyond float32") as memory_record:
        in_memory = model(**params).fit(X, epochs=3)
    chunked = da.from_array(X, chunks=200)
    for fit in ("first", "continued"):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            on_dask = model(**params).fit(chunked, epochs=3)
            if fit == "first":
                np.testing.assert_allclose(on_dask.codebook_, in_memory.codebook_, rtol=1e-6)
            else:
                record.clear()
                on_dask.fit(chunked, epochs=1)
        spans = [w for w in record if "beyond float32" in str(w.message)]
        assert len(spans) == 1, [str(w.message) for w in record]
        assert spans[0].filename == __file__
        assert str(spans[0].message) == str(memory_record[0].message)  # the same span as in memory
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the advice, not numpy's overflow warnings on the way to it
        with pytest.raises(InvalidValuesInDataSet, match="rescale them"):
            model(normalization="none").fit(da.from_array(make_data() * 1e160, chunks=200), epochs=1)


# --------------------------------------------------------------------- faults
def _slow_block(block_info=None):
    """A deterministic generated partition that takes a while (so a worker can die while it runs)."""
    index = block_info[None]["chunk-location"][0]
    time.sleep(0.05)
    rows = block_info[None]["chunk-shape"][0]
    return np.random.default_rng(index).normal(size=(rows, 4)) * [3.0, 1.0, 0.5, 2.0]


@pytest.mark.slow
def test_a_worker_killed_mid_epoch_costs_a_retry_not_the_fit(on_cluster):
    X = da.map_blocks(_slow_block, chunks=((150,) * 12, (4,)), dtype=np.float64)
    reference = model().fit(X.compute(), epochs=3)
    pids = on_cluster.run(os.getpid)
    victim = next(iter(pids.values()))
    killed = threading.Event()

    def kill_soon(info):
        if info.epoch == 1:

            def kill():
                time.sleep(0.1)
                os.kill(victim, signal.SIGKILL)
                killed.set()

            threading.Thread(target=kill, daemon=True).start()

    fitted = model().fit(X, epochs=3, callbacks=kill_soon)
    assert killed.is_set()
    assert fitted.history_["epoch"] == [1, 2, 3]
    np.testing.assert_allclose(fitted.codebook_, reference.codebook_, atol=CODEBOOK_TOLERANCE)


def test_a_cluster_that_goes_away_leaves_the_last_completed_epoch():
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, **SECOND_SCHEDULER_PORT
    )
    dask_client = distributed.Client(cluster, set_as_default=False)
    X = da.from_array(make_data(), chunks=300)
    som = model()

    def close_after_two(info):
        if info.epoch == 2:
            threading.Thread(target=cluster.close, daemon=True).start()
            time.sleep(0.5)

    try:
        with dask_client.as_current(), pytest.raises(ClusterError, match="kept its last completed epoch"):
            som.fit(X, epochs=6, callbacks=close_after_two)
    finally:
        dask_client.close()
        cluster.close()
    assert som.history_["epoch"][-1] in (2, 3)


def _generated_block(block_info=None):
    index = block_info[None]["chunk-location"][0]
    rows = block_info[None]["chunk-shape"][0]
    return np.random.default_rng(index).random((rows, 16)) + np.arange(16) * 0.1


@pytest.mark.slow
def test_workers_with_little_memory_train_on_more_data_than_they_hold():
    """2 workers x 400 MB train on 1.6 GB of generated float64 rows; the client never holds the rows."""
    rows_per_block, n_blocks = 100_000, 125  # 125 x 12.8 MB = 1.6 GB, regenerated by every pass
    X = da.map_blocks(_generated_block, chunks=((rows_per_block,) * n_blocks, (16,)), dtype=np.float64)
    assert X.nbytes >= 4 * 400e6
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit="400MB", **SECOND_SCHEDULER_PORT
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as dask_client,
        dask_client.as_current(),
    ):
        fitted = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=1)
        worker_rss = dask_client.run(lambda: __import__("psutil").Process().memory_info().rss)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert fitted.node_hits().sum() == rows_per_block * n_blocks
    assert grown < 200e6, f"the client grew by {grown / 1e6:.0f} MB"
    assert max(worker_rss.values()) < 400e6


# ------------------------------------------------------------ map-view helpers
def test_node_column_means_of_a_dask_frame_match_in_memory_group_means():
    from somnium.distributed import node_column_means

    frame = make_frame()
    fitted = model().fit(frame, epochs=2)
    frame["target"] = np.arange(len(frame), dtype=np.float64)
    frame.loc[frame.index[3], "target"] = np.nan
    hits, means = node_column_means(fitted, dd.from_pandas(frame, npartitions=4), ["target", "alpha"])
    bmus = fitted.predict(frame[["alpha", "beta", "gamma", "delta"]])
    np.testing.assert_array_equal(hits, np.bincount(bmus, minlength=30))
    expected = frame.groupby(bmus)["target"].mean().reindex(range(30)).to_numpy()
    np.testing.assert_allclose(means["target"], expected, rtol=1e-12)


def test_rows_of_nodes_is_a_lazy_selection_keeping_the_index():
    from somnium.distributed import rows_of_nodes

    frame = make_frame()
    fitted = model().fit(frame, epochs=2)
    frame["label"] = 1.0
    bmus = fitted.predict(frame[["alpha", "beta", "gamma", "delta"]])
    selected = rows_of_nodes(fitted, dd.from_pandas(frame, npartitions=3), [0, 7])
    assert isinstance(selected, dd.DataFrame)
    pd.testing.assert_frame_equal(selected.compute(), frame[np.isin(bmus, [0, 7])])
    array_rows = rows_of_nodes(fitted, da.from_array(make_data(), chunks=500), [7])
    np.testing.assert_array_equal(array_rows.compute(), make_data()[bmus == 7])


def test_empty_partitions_and_unknown_chunk_sizes_are_handled():
    frame = make_frame().sort_values("alpha")
    threshold = frame["alpha"].iloc[850]
    kept = frame[frame["alpha"] < threshold]
    lazy = dd.from_pandas(frame, npartitions=4, sort=False)
    lazy = lazy[lazy["alpha"] < threshold]  # partition 3 is empty, partition 2 partly
    assert lazy.map_partitions(len).compute().tolist()[-1] == 0
    memory = model().fit(kept, epochs=3, collect_history=True)
    assert_same_fit(model().fit(lazy, epochs=3, collect_history=True), memory)
    array = da.from_array(frame.to_numpy(), chunks=300)
    filtered = array[array[:, 0] < threshold]  # unknown chunk sizes, one of them 0
    assert_same_fit(model().fit(filtered, epochs=3, collect_history=True), memory)


def test_non_numeric_columns_and_1d_arrays_are_refused_with_the_in_memory_wording():
    frame = make_frame().assign(name="x")
    with pytest.raises(InvalidValuesInDataSet, match=r"Non-numeric columns \['name'\]"):
        model().fit(dd.from_pandas(frame, npartitions=2), epochs=1)
    with pytest.raises(InvalidValuesInDataSet, match="2-D"):
        model().fit(da.ones(10, chunks=5), epochs=1)


# ------------------------------------------- persisted partitions, per-worker tasks
def frame_of_pieces(pieces):
    """A Dask DataFrame whose partitions are ``pieces`` as given (columns in their own order)."""
    from dask import delayed

    meta = make_frame(0)
    return dd.from_delayed([delayed(piece) for piece in pieces], meta=meta, verify_meta=False)


@pytest.mark.slow
@pytest.mark.parametrize("lattice", sorted(LATTICES))
@pytest.mark.parametrize("normalization", ["standard", "minmax", "log", "logistic", "boxcox", "none"])
def test_persisted_data_on_the_cluster_equal_the_in_memory_fit(on_cluster, lattice, normalization):
    X = np.abs(make_data()) + 0.5
    params = {"normalization": normalization, "lattice": lattice, "mapsize": (6, 6)}
    memory = model(**params).fit(X, epochs=3, collect_history=True)
    persisted = on_cluster.persist(da.from_array(X, chunks=(130, 4)))  # 10 partitions, the last short
    dask_model = model(**params).fit(persisted, epochs=3, collect_history=True)
    assert_same_fit(dask_model, memory)
    np.testing.assert_array_equal(dask_model.node_hits(), memory.node_hits())
    np.testing.assert_array_equal(dask_model.predict(persisted).compute(), memory.predict(X))


def test_per_worker_tasks_cover_every_persisted_partition_once(on_cluster):
    from somnium.dask.passes import DaskData

    persisted = on_cluster.persist(da.from_array(make_data(), chunks=(100, 4)))
    data = DaskData(persisted, None, None, "float64", "euclidean", None)
    data._groups(on_cluster)  # asked while persist may still be computing: not the final answer
    distributed.wait(persisted)
    groups = data._groups(on_cluster)
    assert groups is not None  # the data are in worker memory: a task per worker thread
    assert sorted(i for group in groups for i in group) == list(range(12))
    assert len(groups) <= 2  # 2 workers of 1 thread
    lazy = da.from_array(make_data(), chunks=(100, 4))  # not held by the workers: a task per partition
    assert DaskData(lazy, None, None, "float64", "euclidean", None)._groups(on_cluster) is None


def test_partitions_all_on_one_worker_are_shared_by_both_and_train_the_same_map(on_cluster):
    from somnium.dask.passes import DaskData

    first = sorted(on_cluster.scheduler_info()["workers"])[0]
    X = make_data()
    persisted = on_cluster.persist(da.from_array(X, chunks=(150, 4)), workers=[first])  # 8 partitions
    distributed.wait(persisted)
    held = on_cluster.who_has(persisted)
    assert {w for holders in held.values() for w in holders} == {first}
    groups = DaskData(persisted, None, None, "float64", "euclidean", None)._groups(on_cluster)
    assert sorted(len(members) for members in groups) == [4, 4]  # 4 partitions each, not 8 and 0
    assert len(set(groups.values())) == 2
    memory = model().fit(X, epochs=3, collect_history=True)
    assert_same_fit(model().fit(persisted, epochs=3, collect_history=True), memory)


@pytest.mark.parametrize(
    "held, threads, sizes, expected_loads",
    [
        ({"a": [0, 1, 2, 3, 4], "b": [5, 6, 7]}, {"a": 1, "b": 1}, [1] * 8, {"a": 4, "b": 4}),
        ({"a": [0, 1, 2, 3], "b": [4, 5, 6]}, {"a": 1, "b": 1}, [1] * 7, {"a": 4, "b": 3}),  # no better split
        ({"a": list(range(8)), "b": []}, {"a": 1, "b": 1}, [1] * 8, {"a": 4, "b": 4}),  # an empty worker
        ({"a": [0, 1, 2], "b": [3, 4, 5]}, {"a": 2, "b": 1}, [1] * 6, {"a": 4, "b": 2}),  # rows per thread
        ({"a": [0, 1], "b": [2]}, {"a": 1, "b": 1}, [100, 3, 100], {"a": 103, "b": 100}),  # no gain
        ({"a": [0, 1, 2, 3], "b": [4, 5, 6, 7]}, {"a": 1, "b": 1}, [10, 10, 10, 10, 10, 10, 10, 11], None),
    ],
)
def test_balanced_placement_moves_whole_partitions_only_when_the_busiest_worker_gains(
    held, threads, sizes, expected_loads
):
    from somnium.dask.passes import _balanced

    placed = _balanced(held, threads, sizes.__getitem__)
    assert sorted(i for members in placed.values() for i in members) == list(range(len(sizes)))
    loads = {worker: sum(sizes[i] for i in members) for worker, members in placed.items()}
    if expected_loads is None:  # already even within REBALANCE_GAIN: nothing moves
        assert placed == {w: m for w, m in held.items() if m}
    else:
        assert loads == expected_loads
    # brute force: no single move lowers the busiest worker's rows per thread by REBALANCE_GAIN or more
    busiest = max(loads[w] / threads[w] for w in loads)
    for source, members in placed.items():
        for i in members:
            for target in threads:
                if target == source:
                    continue
                after = dict(loads, **{source: loads[source] - sizes[i]})
                after[target] = after.get(target, 0) + sizes[i]
                assert max(v / threads[w] for w, v in after.items()) > 0.95 * busiest - 1e-12


@pytest.mark.parametrize("where", ["local", "cluster", "persisted"])
@pytest.mark.parametrize("normalization", ["standard", "boxcox"])
def test_partitions_with_their_columns_in_another_order_train_by_name(client, where, normalization):
    frame = make_frame().abs() + 0.5  # positive, for Box-Cox
    names = list(frame.columns)
    pieces = [frame.iloc[:400], frame.iloc[400:800][names[::-1]], frame.iloc[800:][names[2:] + names[:2]]]
    memory = model(normalization=normalization).fit(frame, epochs=3, collect_history=True)
    lazy = frame_of_pieces(pieces)
    if where == "local":
        fitted = model(normalization=normalization).fit(lazy, epochs=3, collect_history=True)
        bmus = fitted.predict(lazy).compute()
    else:
        with client.as_current():
            data = client.persist(lazy) if where == "persisted" else lazy
            fitted = model(normalization=normalization).fit(data, epochs=3, collect_history=True)
            bmus = fitted.predict(data).compute()
    assert_same_fit(fitted, memory)
    np.testing.assert_array_equal(np.asarray(bmus), memory.predict(frame))


@pytest.mark.parametrize("where", ["local", "persisted"])
def test_a_partition_lacking_a_column_is_refused_naming_it(client, where):
    frame = make_frame()
    pieces = [frame.iloc[:600], frame.iloc[600:].drop(columns="gamma")]
    lazy = frame_of_pieces(pieces)
    message = r"Partition 1 of X .*missing columns \['gamma'\]"
    if where == "local":
        with pytest.raises(InvalidValuesInDataSet, match=message):
            model().fit(lazy, epochs=1)
        return
    with client.as_current():
        persisted = client.persist(lazy)
        with pytest.raises(InvalidValuesInDataSet, match=message):
            model().fit(persisted, epochs=1)
        fitted = model().fit(frame, epochs=1)
        with pytest.raises(InvalidValuesInDataSet, match=message):
            fitted.predict(persisted).compute()


def test_tiny_and_empty_persisted_partitions_equal_the_in_memory_fit(on_cluster):
    frame = make_frame(300)
    sizes = [0, 1, 2, 0, 5, 1, 91, 0, 200]
    bounds = np.cumsum([0, *sizes])
    pieces = [frame.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    memory = model(normalization="boxcox").fit(frame.abs() + 0.5, epochs=3, collect_history=True)
    persisted = on_cluster.persist(frame_of_pieces([piece.abs() + 0.5 for piece in pieces]))
    fitted = model(normalization="boxcox").fit(persisted, epochs=3, collect_history=True)
    assert_same_fit(fitted, memory)
    tiny = on_cluster.persist(da.from_array(make_data(), chunks=(3, 4)))  # 400 partitions of 3 rows
    assert_same_fit(
        model().fit(tiny, epochs=3, collect_history=True),
        model().fit(make_data(), epochs=3, collect_history=True),
    )


def test_many_tiny_partitions_warn_with_how_to_repartition(client):
    X = make_data(2000)
    tiny = da.from_array(X, chunks=(40, 4))  # 50 partitions of 40 rows, recomputed every pass
    with pytest.warns(UserWarning, match=r"50 partitions of 40 rows .*rechunk\(\{0: 2000\}\)") as record:
        fitted = model().fit(tiny, epochs=2, collect_history=True)
    assert record[0].filename == __file__  # the user's line, not the Dask layer's
    assert_same_fit(fitted, model().fit(X, epochs=2, collect_history=True))
    frame = dd.from_pandas(make_frame(2000), npartitions=50)
    with pytest.warns(UserWarning, match=r"repartition\(npartitions=1\)"):
        model().fit(frame, epochs=1)
    with client.as_current(), warnings.catch_warnings():
        warnings.simplefilter("error")  # persisted: a task per worker thread, no warning
        model().fit(client.persist(tiny), epochs=1)
        model().fit(da.from_array(X, chunks=(250, 4)), epochs=1)  # few partitions: no warning
