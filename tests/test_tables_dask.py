"""Dask tables with missing cells, categorical columns and feature weights (issue 17): the same model,
predictions, metrics and imputations as in memory, on a real multi-process LocalCluster and on Dask's
local scheduler.  The reference for every Dask result is the same call on the in-memory table."""

from __future__ import annotations

import numpy as np
import pytest

from somnium import SOM
from somnium.datasets import load_penguins
from somnium.exceptions import InvalidValuesInDataSet

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
distributed = pytest.importorskip("distributed")

CODEBOOK_TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as dask_client,
    ):
        yield dask_client


def penguins():
    frame = load_penguins(dropna=False)
    frame["island"] = frame["island"].astype(object)  # one categorical dtype, one object column
    return frame


def gappy_array(seed=0, n_rows=900):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 4)) * [3.0, 1.0, 0.5, 2.0] + [10.0, 0.0, -1.0, 5.0]
    X[rng.random(X.shape) < 0.2] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 10.0
    return X


def som(**params):
    return SOM(**{"mapsize": (5, 6), "random_state": 0, "dtype": "float64", **params})


def assert_same_model(dask_model, memory_model):
    np.testing.assert_allclose(dask_model.codebook_, memory_model.codebook_, rtol=0, atol=CODEBOOK_TOLERANCE)
    for key in ("quantization_error", "topographic_error", "mean_squared_distance"):
        np.testing.assert_allclose(dask_model.history_[key], memory_model.history_[key], rtol=1e-9)


def test_a_dask_dataframe_with_gaps_and_categories_fits_the_in_memory_model_on_the_cluster(client):
    frame = penguins()
    params = dict(missing="ignore", categorical="onehot", feature_weights={"year": 0.0, "sex": 2.0})
    memory = som(**params).fit(frame, epochs=6, collect_history=True)
    with client.as_current():
        dask_model = som(**params).fit(dd.from_pandas(frame, npartitions=4), epochs=6, collect_history=True)
        lazy = dask_model.predict(dd.from_pandas(frame, npartitions=3))
        assert isinstance(lazy, dd.Series)
        np.testing.assert_array_equal(lazy.compute().to_numpy(), memory.predict(frame))
    assert dask_model.feature_names() == memory.feature_names()
    assert list(dask_model.feature_names_in_) == list(frame.columns)
    assert_same_model(dask_model, memory)
    names = memory.feature_names()
    sex = [names.index(n) for n in names if n.startswith("sex=")]
    np.testing.assert_allclose(dask_model.codebook_[:, sex].sum(axis=1), 1.0, rtol=1e-9)


@pytest.mark.parametrize("normalization", ["standard", "minmax", "boxcox", "logistic", "log", "none"])
def test_a_dask_array_with_gaps_fits_the_in_memory_model(normalization):
    X = gappy_array()
    if normalization in ("boxcox", "log"):
        X = np.abs(X) + 0.1
    params = dict(missing="ignore", normalization=normalization, feature_weights=[1.0, 2.0, 0.5, 1.0])
    memory = som(**params).fit(X, epochs=5, collect_history=True)
    dask_model = som(**params).fit(da.from_array(X, chunks=250), epochs=5, collect_history=True)
    assert_same_model(dask_model, memory)
    # a continued fit
    memory.fit(X, epochs=2, collect_history=True)
    dask_model.fit(da.from_array(X, chunks=250), epochs=2, collect_history=True)
    assert_same_model(dask_model, memory)


def test_metrics_normalize_and_node_statistics_of_dask_rows_with_gaps():
    frame = penguins()
    model = som(missing="ignore", categorical="onehot").fit(frame, epochs=4)
    ddf = dd.from_pandas(frame, npartitions=3)
    for method in (
        "calculate_quantization_error",
        "calculate_topographic_error",
        "calculate_mean_bmu_distance",
    ):
        assert getattr(model, method)(ddf) == pytest.approx(getattr(model, method)(frame), rel=1e-9)
    np.testing.assert_array_equal(model.node_hits(ddf), model.node_hits(frame))
    lazy = model.normalize(ddf)
    assert list(lazy.columns) == model.feature_names()
    np.testing.assert_allclose(lazy.compute().to_numpy(), model.normalize(frame), rtol=0, atol=1e-12)


def test_a_partition_with_a_bad_row_is_named():
    frame = penguins()
    model = som(missing="ignore", categorical="onehot")
    bad = frame.copy()
    bad.loc[200, "flipper_length_mm"] = np.inf
    with pytest.raises(InvalidValuesInDataSet, match=r"Partition \d of X: .*infinite"):
        model.fit(dd.from_pandas(bad, npartitions=4), epochs=1)
    strict = som(categorical="onehot")
    with pytest.raises(InvalidValuesInDataSet, match=r"Partition \d of X: .*missing='ignore'"):
        strict.fit(dd.from_pandas(frame, npartitions=4), epochs=1)


def test_an_unseen_category_in_dask_rows():
    frame = penguins()
    new = frame.head(40).copy()
    new.loc[new.index[::3], "island"] = "Atlantis"
    lenient = som(missing="ignore", categorical="onehot").fit(frame, epochs=2)
    as_missing = new.copy()
    as_missing.loc[as_missing["island"] == "Atlantis", "island"] = None
    lazy = lenient.predict(dd.from_pandas(new, npartitions=2)).compute().to_numpy()
    np.testing.assert_array_equal(lazy, lenient.predict(as_missing))
    strict = som(categorical="onehot").fit(frame.dropna(), epochs=2)
    with pytest.raises(InvalidValuesInDataSet, match=r"'island' has value\(s\) \['Atlantis'\]"):
        strict.predict(dd.from_pandas(new.dropna(), npartitions=2)).compute()


def test_subsampled_epochs_on_a_dask_table_select_rows_inside_the_partitions():
    frame = penguins()
    model = som(missing="ignore", categorical="onehot").fit(
        dd.from_pandas(frame, npartitions=4), epochs=3, subsample_ratio=0.5, collect_history=True
    )
    assert np.isfinite(model.codebook_).all() and len(model.history_["epoch"]) == 3


def test_a_map_view_of_a_dask_table_with_gaps_selects_the_same_rows_as_in_memory():
    from somnium.widgets import MapView

    frame = penguins()
    features = list(frame.columns.drop(["species", "year"]))
    model = som(missing="ignore", categorical="onehot").fit(frame[features], epochs=3)
    ddf = dd.from_pandas(frame, npartitions=3)
    lazy, memory = MapView(model, data=ddf, color="hits"), MapView(model, data=frame, color="hits")
    np.testing.assert_array_equal(np.nan_to_num(lazy.color_values), np.nan_to_num(memory.color_values))
    bmus = model.predict(frame[features])
    nodes = np.unique(bmus[frame.isna().any(axis=1).to_numpy()])
    lazy.selected = memory.selected = nodes
    # (Dask reads an object column as strings: the dtype differs, not the rows)
    pd.testing.assert_frame_equal(lazy.selected_rows.compute(), memory.selected_rows, check_dtype=False)
