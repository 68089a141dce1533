"""Anomaly scores, thresholds and drift on Dask rows, on a real multi-process LocalCluster.

The reference for every Dask result is the same call on the in-memory rows (itself tested against brute
force in tests/test_anomaly.py); the fit's sketch against the exact quantiles of the rows' distances.
"""

from __future__ import annotations

import numpy as np
import pytest

from somnium import SOM
from somnium._distances import RELATIVE_ACCURACY
from somnium.exceptions import ModelNotTrainedError

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """A 2-process LocalCluster for this module."""
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


def make_frame(n_rows=2400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 4)) * [3.0, 1.0, 0.5, 2.0] + [10.0, 0.0, -1.0, 5.0]
    return pd.DataFrame(X, columns=["alpha", "beta", "gamma", "delta"], index=np.arange(n_rows) * 3 + 1)


@pytest.fixture(scope="module")
def frame():
    return make_frame()


@pytest.fixture(scope="module")
def memory_model(frame):
    return SOM(mapsize=(6, 5), dtype="float64", random_state=0).fit(frame, epochs=4)


def test_scores_of_dask_rows_are_lazy_and_equal_the_in_memory_ones(on_cluster, frame, memory_model):
    ddf = dd.from_pandas(frame, npartitions=5)
    distance = memory_model.bmu_distance(ddf)
    assert isinstance(distance, dd.Series) and distance.name == "bmu_distance"
    computed = distance.compute()
    assert computed.index.equals(frame.index)
    np.testing.assert_allclose(computed.to_numpy(), memory_model.bmu_distance(frame), rtol=1e-12)
    relative = memory_model.score_samples(ddf, relative=True).compute()
    np.testing.assert_allclose(relative, memory_model.score_samples(frame, relative=True), rtol=1e-12)
    mask = memory_model.is_anomaly(ddf, 0.95)
    np.testing.assert_array_equal(mask.compute().to_numpy(), memory_model.is_anomaly(frame, 0.95))
    np.testing.assert_array_equal(
        ddf[mask].compute().index, frame.index[memory_model.is_anomaly(frame, 0.95)]
    )
    array = da.from_array(frame.to_numpy(), chunks=(500, 4))
    lazy = memory_model.bmu_distance(array)
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), memory_model.bmu_distance(frame), rtol=1e-12)


def test_drift_of_dask_rows_equals_the_in_memory_drift(on_cluster, frame, memory_model):
    shifted = make_frame(800, seed=5) + [2.0, 0.0, 0.0, 0.0]
    memory = memory_model.drift(shifted)
    dask = memory_model.drift(dd.from_pandas(shifted, npartitions=3))
    np.testing.assert_allclose(dask.difference, memory.difference, atol=1e-15)
    assert dask.raw_divergence == pytest.approx(memory.raw_divergence, rel=1e-12)
    assert dask.divergence == pytest.approx(memory.divergence, rel=1e-12) and dask.p_value < 0.01
    reference = memory_model.drift(shifted, reference=dd.from_pandas(frame, npartitions=4))
    assert reference.raw_divergence == pytest.approx(memory.raw_divergence, rel=1e-12)


def test_a_dask_fit_keeps_the_sketch_and_the_node_sums(on_cluster, frame, memory_model):
    model = SOM(mapsize=(6, 5), dtype="float64", random_state=0).fit(
        dd.from_pandas(frame, npartitions=6), epochs=4
    )
    np.testing.assert_allclose(model.codebook_, memory_model.codebook_, atol=1e-6)
    exact = memory_model.bmu_distance(frame)
    for q in (0.5, 0.9, 0.99, 1.0):
        assert abs(model.anomaly_threshold(q) - np.quantile(exact, q)) <= RELATIVE_ACCURACY * np.quantile(
            exact, q
        )
    stored, reference = model._state.nodes, memory_model._state.nodes
    np.testing.assert_allclose(stored.distance, reference.distance, rtol=1e-9)
    np.testing.assert_allclose(stored.sq_distance, reference.sq_distance, rtol=1e-9)
    with pytest.raises(ModelNotTrainedError, match="fitted on Dask rows"):
        model.anomaly_threshold(0.99, relative=True)
    # the threshold of Dask rows (a pass): the sketch of their distances
    other = SOM(mapsize=(6, 5), dtype="float64", random_state=0).fit(frame, epochs=4)
    assert abs(
        other.anomaly_threshold(0.9, X=dd.from_pandas(frame, npartitions=3)) - np.quantile(exact, 0.9)
    ) <= (RELATIVE_ACCURACY * np.quantile(exact, 0.9))
