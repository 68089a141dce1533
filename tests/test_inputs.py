"""Bad input gets a specific, actionable error; DataFrames are matched by column name."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from somnium import SOM
from somnium.core import estimate_mapsize
from somnium.exceptions import (
    InvalidValuesInDataSet,
    LatticeTypeNotFound,
    ModelNotTrainedError,
    NeighborhoodFunctionNotFound,
    NormalizationFunctionNotFound,
    UnknownOptionError,
)

X = np.random.default_rng(0).normal(size=(60, 3))


def fitted(**kwargs):
    return SOM(mapsize=(3, 4), random_state=0, **kwargs).fit(X, epochs=2)


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"lattice": "hex"}, LatticeTypeNotFound, "toroidal_rect"),
        ({"neighborhood": "gauss"}, NeighborhoodFunctionNotFound, "epanechicov"),
        ({"normalization": "zscore"}, NormalizationFunctionNotFound, "boxcox"),
        ({"initialization": "kmeans"}, UnknownOptionError, "pca, random"),
        ({"distance_metric": "manhatan"}, UnknownOptionError, "cityblock"),
        ({"mapsize": (0, 4)}, ValueError, "positive integer"),
        ({"mapsize": (3.5, 4)}, ValueError, "positive integer"),
        ({"mapsize": "big"}, ValueError, "'auto' or a (rows, cols)"),
        ({"n_jobs": 0}, ValueError, "non-zero"),
        ({"dtype": "float16"}, UnknownOptionError, "float32, float64"),
    ],
)
def test_bad_constructor_options(kwargs, error, fragment):
    with pytest.raises(error, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        SOM(**kwargs)


def test_option_errors_are_also_value_errors():
    with pytest.raises(ValueError):
        SOM(lattice="nope")


@pytest.mark.parametrize(
    "data, fragment",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0]]), "row 0 in 'column 1'"),
        (np.array([[1.0, 2.0], [np.inf, 3.0]]), "NaN or infinite"),
        (np.empty((0, 3)), "no rows"),
        (np.empty((5, 0)), "no columns"),
        (np.array([[1.0, 2.0]]), "at least 2 rows"),
        (np.arange(10.0), "reshape"),
        (np.array([["a", "b"], ["c", "d"]]), "strings"),
        (np.zeros((2, 2, 2)), "2-D"),
        (None, "None"),
    ],
)
def test_bad_training_data(data, fragment):
    with pytest.raises(InvalidValuesInDataSet, match=fragment.replace("(", r"\(")):
        SOM(mapsize=(2, 2)).fit(data, epochs=1)


def test_nan_in_a_dataframe_names_the_column():
    df = pd.DataFrame({"height": [1.0, 2.0, 3.0], "weight": [1.0, np.nan, 2.0]})
    with pytest.raises(InvalidValuesInDataSet, match="row 1 in 'weight'"):
        SOM(mapsize=(2, 2)).fit(df, epochs=1)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": -3}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"radiusin": 1.0, "radiusfin": 2.0}, "radiusfin"),
        ({"radiusin": -1.0}, "radiusin"),
        ({"subsample_ratio": 0.0}, "subsample_ratio"),
        ({"subsample_ratio": 1.5}, "subsample_ratio"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": 2.0}, "learning_rate"),
    ],
)
def test_bad_fit_arguments(kwargs, fragment):
    model = SOM(mapsize=(2, 2))
    with pytest.raises(ValueError, match=fragment):
        model.fit(X, **kwargs)
    assert not model.is_fitted


def test_unknown_decay_lists_choices():
    with pytest.raises(UnknownOptionError, match="linear, exponential"):
        SOM(mapsize=(2, 2)).fit(X, decay="cosine")


def test_bad_online_learning_rates():
    with pytest.raises(ValueError, match="learning_rate_init"):
        SOM(mapsize=(2, 2)).fit_online(X, learning_rate_init=0)


def test_a_failed_continuation_leaves_the_model_untouched():
    model = fitted()
    before = model.codebook_.copy(), list(model.history_["epoch"])
    with pytest.raises(InvalidValuesInDataSet):
        model.fit(np.vstack([X, [[np.nan, 0, 0]]]), epochs=2)
    with pytest.raises(ValueError):
        model.fit(X, epochs=2, radiusin=1, radiusfin=3)
    np.testing.assert_array_equal(model.codebook_, before[0])
    assert model.history_["epoch"] == before[1]


@pytest.mark.parametrize(
    "method",
    [
        "predict",
        "transform",
        "calculate_quantization_error",
        "calculate_topographic_error",
        "calculate_vacancy_rate",
        "umatrix",
    ],
)
def test_unfitted_model_raises_model_not_trained(method):
    model = SOM()
    args = (X,) if method in ("predict", "transform") else ()
    with pytest.raises(ModelNotTrainedError, match="fit"):
        getattr(model, method)(*args)
    with pytest.raises(ModelNotTrainedError):
        model.codebook_


def test_predict_with_wrong_feature_count():
    with pytest.raises(InvalidValuesInDataSet, match="X has 2 features, but SOM was fitted with 3"):
        fitted().predict(X[:, :2])


def test_log_normalization_outside_domain_names_the_column():
    df = pd.DataFrame({"income": [1.0, 5.0, 10.0, 3.0], "debt": [0.0, 2.0, 1.0, 4.0]})
    model = SOM(mapsize=(2, 2), normalization="log", random_state=0).fit(df, epochs=1)
    with pytest.raises(InvalidValuesInDataSet, match="debt"):
        model.predict(pd.DataFrame({"income": [1.0], "debt": [-2.0]}))
    with pytest.raises(InvalidValuesInDataSet, match="income"):
        SOM(mapsize=(2, 2), normalization="boxcox").fit(df.assign(income=[0.0, 1, 2, 3]), epochs=1)


# --------------------------------------------------------------- DataFrames
def frame(n=80, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n) * 10, "c": rng.integers(0, 5, n)})


def test_dataframe_feature_names_and_column_matching_by_name():
    df = frame()
    model = SOM(mapsize=(3, 3), random_state=0).fit(df, epochs=3)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    assert model.feature_names() == ["a", "b", "c"]
    shuffled = df[["c", "a", "b"]]
    np.testing.assert_array_equal(model.predict(shuffled), model.predict(df))


def test_dataframe_missing_and_extra_columns_are_named():
    model = SOM(mapsize=(3, 3), random_state=0).fit(frame(), epochs=2)
    with pytest.raises(InvalidValuesInDataSet, match=r"missing columns \['c'\]"):
        model.predict(frame()[["a", "b"]])
    with pytest.raises(InvalidValuesInDataSet, match=r"unexpected columns \['d'\]"):
        model.predict(frame().assign(d=1.0))


def test_non_numeric_columns_are_named():
    df = frame().assign(city=["x"] * 80, when=pd.Timestamp("2024-01-01"))
    with pytest.raises(InvalidValuesInDataSet, match=r"\['city', 'when'\]"):
        SOM(mapsize=(2, 2)).fit(df)


def test_ndarray_model_gets_default_feature_names():
    assert fitted().feature_names() == ["x0", "x1", "x2"]


def test_estimate_mapsize_follows_the_heuristic():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(2500, 3)) * [4.0, 1.0, 0.5]
    rows, cols = estimate_mapsize(data, lattice="rect")
    assert 5 * 50 - cols < rows * cols <= 5 * 50  # rounded down, as the original: within a column
    assert 3.0 <= cols / rows <= 5.5  # sqrt(16 / 1) = 4, long side along the columns
    hex_rows, hex_cols = estimate_mapsize(data, lattice="hexa")
    drawn_aspect = hex_cols / (hex_rows * np.sqrt(0.75))
    assert 3.0 <= drawn_aspect <= 5.5


# ----------------------------------------------------------------- properties
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=40, deadline=None)
@given(
    data=arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(1, 5)), elements=finite),
    rows=st.integers(1, 5),
    cols=st.integers(1, 5),
    lattice=st.sampled_from(["hexa", "rect", "toroidal_rect", "cylindrical_hexa"]),
)
def test_shapes_and_invariants_hold_for_any_finite_data(data, rows, cols, lattice):
    model = SOM(mapsize=(rows, cols), lattice=lattice, random_state=0).fit(
        data, epochs=2, collect_history=True
    )
    n_nodes = rows * cols
    assert model.codebook_.shape == (n_nodes, data.shape[1])
    assert np.isfinite(model.codebook_).all()
    bmu = model.predict(data)
    assert bmu.shape == (data.shape[0],) and bmu.dtype == np.int64
    assert bmu.min() >= 0 and bmu.max() < n_nodes
    assert model.node_hits().sum() == data.shape[0]
    assert 0.0 <= model.calculate_topographic_error() <= 1.0
    assert 0.0 <= model.calculate_vacancy_rate() < 1.0
    assert model.calculate_quantization_error() >= 0.0


def test_fitted_attributes_of_an_unfitted_model_raise_model_not_trained():
    for name in ("lattice_", "history_", "mapsize_", "n_features_in_"):
        with pytest.raises(ModelNotTrainedError, match="fit"):
            getattr(SOM(), name)
    assert getattr(SOM(), "feature_names_in_", None) is None


# ------------------------------------------------------------- hardening (issue 8)
@pytest.mark.parametrize("metric", ["seuclidean", "mahalanobis"])
def test_metrics_that_estimate_parameters_per_call_are_refused(metric):
    with pytest.raises(ValueError, match="normalise"):
        SOM(distance_metric=metric)


def test_huge_values_fall_back_to_float64_with_a_warning_and_exact_bmus():
    data = np.random.default_rng(0).normal(size=(300, 4)) * 3e19
    model = SOM(mapsize=(4, 4), normalization="none", random_state=0)
    with pytest.warns(UserWarning, match="float64"):
        model.fit(data, epochs=2)
    Xn, W = model.normalize(data), model.normalized_codebook_
    brute = np.argmin(((Xn[:, None, :] - W[None]) ** 2).sum(-1), axis=1)
    with pytest.warns(UserWarning):
        np.testing.assert_array_equal(model.predict(data), brute)


def test_values_too_large_for_any_distance_are_refused():
    data = np.random.default_rng(0).normal(size=(50, 2)) * 1e160
    with pytest.raises(InvalidValuesInDataSet, match="rescale"), np.errstate(over="ignore"):
        SOM(mapsize=(3, 3), normalization="none").fit(data, epochs=1)


def test_masked_arrays_are_refused_when_values_are_masked():
    data = np.ma.masked_array(np.ones((10, 2)), mask=np.zeros((10, 2), bool))
    data.mask[3, 1] = True
    with pytest.raises(InvalidValuesInDataSet, match="masked"):
        SOM(mapsize=(2, 2)).fit(data, epochs=1)
    SOM(mapsize=(2, 2)).fit(np.ma.masked_array(np.random.default_rng(0).normal(size=(10, 2))), epochs=1)


def test_duplicate_and_multiindex_columns_are_refused():
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=["a", "b", "a"])
    with pytest.raises(InvalidValuesInDataSet, match="duplicated column names \\['a'\\]"):
        SOM(mapsize=(2, 2)).fit(frame, epochs=1)
    frame.columns = pd.MultiIndex.from_tuples([("x", 1), ("x", 2), ("y", 1)])
    with pytest.raises(InvalidValuesInDataSet, match="MultiIndex"):
        SOM(mapsize=(2, 2)).fit(frame, epochs=1)


@pytest.mark.parametrize("names", [[0, 1, 2], [None, "b", 2.5]])
def test_reordered_columns_with_non_string_names_are_matched(names):
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=names)
    model = SOM(mapsize=(3, 3), random_state=0).fit(frame, epochs=2)
    np.testing.assert_array_equal(model.predict(frame[names[::-1]]), model.predict(frame))


def test_a_huge_epoch_count_allocates_nothing_up_front():
    model = SOM(mapsize=(3, 3), random_state=0)
    model.fit(X, epochs=10**9, callbacks=lambda info: info.epoch >= 2)
    assert len(model.history_["epoch"]) == 2
    model.fit_online(X, epochs=10**9, callbacks=lambda info: info.epoch >= 3)
    assert len(model.history_["epoch"]) == 3


def test_map_size_bombs_are_refused_before_allocating():
    with pytest.raises(ValueError, match="limit"):
        SOM(mapsize=(5000, 5000))
    # an odd-row hexagonal torus has no stencil path: a truncated kernel on 40,200 nodes would be dense
    with pytest.raises(ValueError, match="even number of rows"), pytest.warns(RuntimeWarning):
        SOM(mapsize=(201, 200), lattice="toroidal_hexa", neighborhood="bubble").fit(X, epochs=1)
