"""Specification of the normalizers in somnium.normalization."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from somnium.exceptions import (
    InvalidValuesInDataSet,
    ModelFileError,
    ModelNotTrainedError,
    NormalizationFunctionNotFound,
)
from somnium.normalization import (
    NORMALIZATIONS,
    get_normalizer,
    normalizer_from_state,
)

# Positive, varied, well inside every normalizer's domain.
POSITIVE_DATA = np.array(
    [
        [1.0, 20.0, 0.5, 300.0],
        [2.0, 25.0, 1.5, 120.0],
        [3.0, 21.0, 7.0, 900.0],
        [5.0, 30.0, 0.25, 450.0],
        [8.0, 22.5, 2.0, 610.0],
    ]
)

# The domain of each normalizer's input, as hypothesis element strategies.
_FINITE = dict(allow_nan=False, allow_infinity=False)
DOMAINS = {
    "standard": st.floats(-1e6, 1e6, **_FINITE),
    "minmax": st.floats(-1e6, 1e6, **_FINITE),
    "logistic": st.floats(-1e6, 1e6, **_FINITE),
    "none": st.floats(-1e6, 1e6, **_FINITE),
    "log": st.floats(-1.0, 1e6, exclude_min=True, **_FINITE),
    "boxcox": st.floats(1e-6, 1e6, **_FINITE),
}


def assert_round_trip(X, normalizer_name, rtol=1e-9):
    """inverse_transform(transform(X)) == X, relative to each column's magnitude."""
    normalizer = get_normalizer(normalizer_name).fit(X)
    restored = normalizer.inverse_transform(normalizer.transform(X))
    magnitude = np.maximum(np.abs(X).max(axis=0), np.finfo(float).tiny)
    error = np.abs(restored - X)
    assert (error <= rtol * magnitude).all(), f"round trip error {error.max():g} on\n{X!r}"


def test_names_are_the_documented_six():
    assert set(NORMALIZATIONS) == {"standard", "minmax", "log", "logistic", "boxcox", "none"}


# -- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_inverse_transform_undoes_transform(name):
    assert_round_trip(POSITIVE_DATA, name)


def data_in_domain(name):
    shapes = st.tuples(st.integers(1, 40), st.integers(1, 4))
    return arrays(np.float64, shapes, elements=DOMAINS[name])


@pytest.mark.parametrize("name", [name for name in NORMALIZATIONS if name != "boxcox"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_round_trip_holds_for_any_finite_data_in_the_domain(name, data):
    assert_round_trip(data.draw(data_in_domain(name)), name)


@settings(max_examples=60, deadline=None)
@given(X=data_in_domain("boxcox"))
def test_boxcox_round_trip_holds_wherever_the_transform_is_well_conditioned(X):
    # With a large |lambda| Box-Cox squashes some values so hard that float64
    # z-scores no longer tell them apart (x * dz/dx ~ 1e-8): no inverse can
    # recover them to 1e-9.  x * dz/dx = (x / g)**lambda / scale.
    normalizer = get_normalizer("boxcox").fit(X)
    sensitivity = (X / normalizer.geometric_mean_) ** normalizer.lambda_ / normalizer.scale_
    assume(np.all(sensitivity > 1e-5))
    assert_round_trip(X, "boxcox")


@pytest.mark.parametrize("name", NORMALIZATIONS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_transform_of_finite_training_data_is_finite(name, data):
    X = data.draw(data_in_domain(name))
    assert np.isfinite(get_normalizer(name).fit_transform(X)).all()


# -- hand-worked values -----------------------------------------------------------------


def test_standard_uses_the_population_std():
    transformed = get_normalizer("standard").fit_transform(np.array([[1.0], [2.0], [3.0]]))
    # std of [1, 2, 3] with ddof=0 is sqrt(2/3); (1 - 2) / sqrt(2/3) = -1.2247...
    np.testing.assert_allclose(transformed.ravel(), [-1.224744871391589, 0.0, 1.224744871391589], rtol=1e-15)


def test_minmax_maps_the_training_range_to_unit_interval():
    X = np.array([[2.0, -1.0], [4.0, 1.0], [10.0, 0.0]])
    transformed = get_normalizer("minmax").fit_transform(X)
    np.testing.assert_allclose(transformed, [[0.0, 0.0], [0.25, 1.0], [1.0, 0.5]], rtol=1e-15)


def test_minmax_reuses_training_range_for_new_data():
    normalizer = get_normalizer("minmax").fit(np.array([[0.0], [10.0]]))
    np.testing.assert_allclose(normalizer.transform(np.array([[20.0], [-5.0]])), [[2.0], [-0.5]])


def test_log_is_exactly_log1p():
    X = np.array([[0.0, 1e-12], [np.e - 1, 1e6], [-0.5, 3.0]])
    np.testing.assert_array_equal(get_normalizer("log").fit_transform(X), np.log1p(X))


def test_logistic_maps_the_mean_to_one_half_and_one_std_to_sigmoid_one():
    X = np.array([[1.0], [2.0], [3.0]])
    normalizer = get_normalizer("logistic").fit(X)
    std = np.sqrt(2.0 / 3.0)
    transformed = normalizer.transform(np.array([[2.0], [2.0 + std]]))
    np.testing.assert_allclose(transformed.ravel(), [0.5, 1.0 / (1.0 + np.exp(-1.0))], rtol=1e-15)


def test_logistic_inverse_of_saturated_values_is_finite():
    normalizer = get_normalizer("logistic").fit(np.array([[1.0], [2.0], [3.0]]))
    restored = normalizer.inverse_transform(np.array([[0.0], [1.0]]))
    assert np.isfinite(restored).all()
    assert restored[0, 0] < 1.0 < 3.0 < restored[1, 0]


def test_boxcox_matches_scipy_boxcox_then_z_score():
    rng = np.random.default_rng(7)
    X = np.column_stack([rng.lognormal(size=60), 100 * rng.gamma(2.0, size=60)])
    normalizer = get_normalizer("boxcox").fit(X)
    transformed = normalizer.transform(X)
    for column in range(X.shape[1]):
        expected, expected_lambda = scipy.stats.boxcox(X[:, column])
        expected_scores = (expected - expected.mean()) / expected.std()
        # lambda is an optimizer's answer (tolerance ~1e-8), hence the loose comparison
        np.testing.assert_allclose(normalizer.lambda_[column], expected_lambda, atol=1e-6)
        np.testing.assert_allclose(transformed[:, column], expected_scores, atol=1e-6)


def test_boxcox_with_the_fitted_lambda_is_exactly_the_z_scored_boxcox():
    rng = np.random.default_rng(8)
    X = rng.lognormal(size=(50, 3))
    normalizer = get_normalizer("boxcox").fit(X)
    for column in range(3):
        y = scipy.stats.boxcox(X[:, column], lmbda=normalizer.lambda_[column])
        np.testing.assert_allclose(normalizer.transform(X)[:, column], (y - y.mean()) / y.std(), atol=1e-12)


def test_boxcox_on_a_long_column_recovers_the_generating_lambda():
    # More rows than max_fit_rows: lambda comes from a strided sample.
    rng = np.random.default_rng(4)
    X = scipy.special.inv_boxcox(rng.normal(10.0, 1.0, size=(250_000, 1)), 0.5)
    normalizer = get_normalizer("boxcox")
    assert X.shape[0] > normalizer.max_fit_rows
    normalizer.fit(X)
    assert abs(normalizer.lambda_[0] - 0.5) < 0.05
    transformed = normalizer.transform(X)
    np.testing.assert_allclose([transformed.mean(), transformed.std()], [0.0, 1.0], atol=1e-9)


def test_boxcox_transform_that_overflows_names_the_column():
    # A nearly constant column gets an enormous lambda; far-away new data overflow.
    normalizer = get_normalizer("boxcox").fit(np.array([[1.0]] * 39 + [[1.0000001]]), feature_names=["tight"])
    with pytest.raises(InvalidValuesInDataSet, match="overflows for 'tight'"):
        normalizer.transform(np.array([[0.5]]))


def test_boxcox_round_trip_survives_an_extreme_lambda():
    # A tiny relative spread drives the lambda estimate far from 0, where the
    # plain transform (x**lambda - 1) / lambda cancels catastrophically.
    X = np.array([[2.974], [3.1], [3.48], [3.2], [3.05]])
    normalizer = get_normalizer("boxcox").fit(X)
    assert abs(normalizer.lambda_[0]) > 5
    np.testing.assert_allclose(normalizer.inverse_transform(normalizer.transform(X)), X, rtol=1e-12)


def test_none_returns_a_copy_of_the_data():
    X = POSITIVE_DATA.copy()
    transformed = get_normalizer("none").fit_transform(X)
    np.testing.assert_array_equal(transformed, X)
    assert not np.shares_memory(transformed, X)


# -- constant columns -------------------------------------------------------------------

CONSTANT_VALUE = {"standard": 0.0, "minmax": 0.0, "logistic": 0.5, "boxcox": 0.0}


@pytest.mark.parametrize("name", NORMALIZATIONS)
@pytest.mark.parametrize("value", [0.1, 7.0, 123456.789])
def test_constant_column_gives_finite_values(name, value):
    X = np.column_stack([np.full(10, value), np.linspace(1.0, 2.0, 10)])
    normalizer = get_normalizer(name).fit(X)
    transformed = normalizer.transform(X)
    assert np.isfinite(transformed).all()
    if name in CONSTANT_VALUE:
        np.testing.assert_allclose(transformed[:, 0], CONSTANT_VALUE[name], atol=1e-12)
    np.testing.assert_allclose(normalizer.inverse_transform(transformed)[:, 0], value, rtol=1e-12)


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_single_row_fits(name):
    X = np.array([[1.5, 2.5]])
    normalizer = get_normalizer(name).fit(X)
    assert np.isfinite(normalizer.transform(X)).all()
    np.testing.assert_allclose(normalizer.inverse_transform(normalizer.transform(X)), X, rtol=1e-12)


def test_boxcox_constant_column_uses_lambda_one():
    normalizer = get_normalizer("boxcox").fit(np.column_stack([np.full(5, 3.0), np.arange(1.0, 6.0)]))
    assert normalizer.lambda_[0] == 1.0


# -- domain and input errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "bad_value"), [("log", -1.0), ("log", -3.5), ("boxcox", 0.0), ("boxcox", -2.0)]
)
def test_value_outside_domain_at_fit_names_the_column(name, bad_value):
    X = np.ones((4, 5)) * 2.0
    X[1, 3] = bad_value
    X[2, 3] = bad_value
    with pytest.raises(InvalidValuesInDataSet, match="column 3 has 2 value") as error:
        get_normalizer(name).fit(X)
    assert f"{bad_value:g}" in str(error.value)
    assert "column 0" not in str(error.value)


@pytest.mark.parametrize("name", ["log", "boxcox"])
def test_value_outside_domain_at_transform_names_the_feature(name):
    normalizer = get_normalizer(name).fit(POSITIVE_DATA, feature_names=["a", "b", "mass", "d"])
    new = POSITIVE_DATA.copy()
    new[0, 2] = -7.0
    with pytest.raises(InvalidValuesInDataSet, match=r"'mass' has 1 value\(s\) <= .*smallest -7"):
        normalizer.transform(new)


def test_domain_errors_are_value_errors():
    with pytest.raises(ValueError):
        get_normalizer("boxcox").fit(np.array([[0.0], [1.0]]))


@pytest.mark.parametrize("name", NORMALIZATIONS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_training_data_is_rejected_naming_the_column(name, bad):
    X = POSITIVE_DATA.copy()
    X[2, 1] = bad
    with pytest.raises(InvalidValuesInDataSet, match="'b' has 1 NaN or infinite"):
        get_normalizer(name).fit(X, feature_names=["a", "b", "c", "d"])


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_transform_before_fit_raises_not_trained(name):
    with pytest.raises(ModelNotTrainedError):
        get_normalizer(name).transform(POSITIVE_DATA)
    with pytest.raises(ModelNotTrainedError):
        get_normalizer(name).inverse_transform(POSITIVE_DATA)


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_wrong_number_of_features_is_rejected(name):
    normalizer = get_normalizer(name).fit(POSITIVE_DATA)
    with pytest.raises(InvalidValuesInDataSet, match="3 features, but the normalizer was fitted with 4"):
        normalizer.transform(POSITIVE_DATA[:, :3])


def test_fit_rejects_non_2d_and_empty_data():
    with pytest.raises(InvalidValuesInDataSet, match="2-D"):
        get_normalizer("standard").fit(np.arange(5.0))
    with pytest.raises(InvalidValuesInDataSet, match="empty"):
        get_normalizer("standard").fit(np.empty((0, 3)))


def test_feature_names_must_match_the_columns():
    with pytest.raises(InvalidValuesInDataSet, match="2 feature names for data with 4 columns"):
        get_normalizer("standard").fit(POSITIVE_DATA, feature_names=["a", "b"])


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(NormalizationFunctionNotFound) as error:
        get_normalizer("zscore")
    for name in NORMALIZATIONS:
        assert name in str(error.value)
    assert isinstance(error.value, ValueError)


# -- dtypes and inputs ------------------------------------------------------------------


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_float32_stays_float32_and_close_to_float64(name):
    reference = get_normalizer(name).fit(POSITIVE_DATA)
    normalizer = get_normalizer(name).fit(POSITIVE_DATA.astype(np.float32))
    transformed = normalizer.transform(POSITIVE_DATA.astype(np.float32))
    assert transformed.dtype == np.float32
    assert normalizer.inverse_transform(transformed).dtype == np.float32
    np.testing.assert_allclose(transformed, reference.transform(POSITIVE_DATA), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_integer_input_is_computed_in_float64_and_never_modified(name):
    X = np.array([[1, 4], [2, 9], [3, 5]])
    original = X.copy()
    transformed = get_normalizer(name).fit_transform(X)
    assert transformed.dtype == np.float64
    np.testing.assert_array_equal(X, original)


# -- state ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_state_round_trip_transforms_identically(name):
    normalizer = get_normalizer(name).fit(POSITIVE_DATA, feature_names=["a", "b", "c", "d"])
    restored = normalizer_from_state(normalizer.get_state())
    assert type(restored) is type(normalizer)
    assert restored.feature_names_in_ == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(restored.transform(POSITIVE_DATA), normalizer.transform(POSITIVE_DATA))
    transformed = normalizer.transform(POSITIVE_DATA)
    np.testing.assert_array_equal(
        restored.inverse_transform(transformed), normalizer.inverse_transform(transformed)
    )


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_state_is_json_scalars_lists_and_float64_arrays(name):
    state = get_normalizer(name).fit(POSITIVE_DATA).get_state()
    assert state["name"] == name
    arrays_in_state = {key: value for key, value in state.items() if isinstance(value, np.ndarray)}
    assert all(value.dtype == np.float64 for value in arrays_in_state.values())
    as_json = json.loads(
        json.dumps({key: value.tolist() if key in arrays_in_state else value for key, value in state.items()})
    )
    restored = normalizer_from_state(as_json)
    np.testing.assert_array_equal(
        restored.transform(POSITIVE_DATA), get_normalizer(name).fit(POSITIVE_DATA).transform(POSITIVE_DATA)
    )


def test_state_of_an_unfitted_normalizer_restores_unfitted():
    restored = normalizer_from_state(get_normalizer("minmax").get_state())
    assert restored.name == "minmax" and not restored.is_fitted


def test_damaged_state_raises_model_file_error():
    state = get_normalizer("standard").fit(POSITIVE_DATA).get_state()
    del state["scale_"]
    with pytest.raises(ModelFileError):
        normalizer_from_state(state)
    state = get_normalizer("standard").fit(POSITIVE_DATA).get_state()
    state["center_"] = state["center_"][:2]
    with pytest.raises(ModelFileError, match="center_"):
        normalizer_from_state(state)


def test_state_with_unknown_name_raises_not_found():
    with pytest.raises(NormalizationFunctionNotFound):
        normalizer_from_state({"name": "sqrt"})


@pytest.mark.parametrize("name", ["standard", "minmax", "log", "logistic", "boxcox", "none"])
def test_the_in_place_transform_of_owned_rows_is_the_transform(name):
    rng = np.random.default_rng(3)
    X = rng.uniform(0.5, 4.0, size=(200, 3))
    normalizer = get_normalizer(name).fit(X)
    expected = normalizer.transform(X)
    owned = X.copy()
    np.testing.assert_array_equal(normalizer._transform_owned(owned), expected)


def test_a_fit_never_modifies_the_callers_rows():
    """The first fit normalises its own converted copy in place, never the caller's data."""
    import pandas as pd

    from somnium import SOM

    rng = np.random.default_rng(4)
    base = rng.normal(size=(300, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    inputs = {
        "float64": base.copy(),
        "float32": base.astype(np.float32),
        "fortran": np.asfortranarray(base),
        "frame": pd.DataFrame(base, columns=list("abc")),
        "mixed frame": pd.DataFrame({"a": base[:, 0], "b": base[:, 1].astype(np.float32), "c": base[:, 2]}),
        "list": base.tolist(),
    }
    reference = SOM(mapsize=(4, 5), random_state=0).fit(base.copy(), epochs=2).codebook_
    for label, X in inputs.items():
        before = np.array(X, dtype=np.float64, copy=True)
        codebook = SOM(mapsize=(4, 5), random_state=0).fit(X, epochs=2).codebook_
        np.testing.assert_array_equal(np.asarray(X, dtype=np.float64), before, err_msg=label)
        np.testing.assert_allclose(codebook, reference, rtol=1e-4, atol=1e-4, err_msg=label)
