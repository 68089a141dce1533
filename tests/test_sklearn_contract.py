"""SOM as a scikit-learn estimator (issue 18): the estimator checks, clone, Pipeline, GridSearchCV, cross_val_score.

scikit-learn is a test dependency only; Somnium never imports it (the last tests check that in a fresh
interpreter).  References are computed independently: BMUs and distances by brute force over the
prototypes, and the folds of cross-validation refitted by hand.
"""

from __future__ import annotations

import importlib.util
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

from somnium import SOM
from somnium.exceptions import InvalidValuesInDataSet, ModelNotTrainedError
from tests.support.environment import require
from tests.support.reference import brute_bmus

require(
    importlib.util.find_spec("sklearn") is not None, "scikit-learn not installed (pip install -e '.[test]')"
)

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

rng = np.random.default_rng(0)
X = np.vstack([rng.normal(loc, 1.0, size=(100, 4)) for loc in (-4.0, 0.0, 4.0)]) * [1.0, 10.0, 0.1, 5.0]
y = np.repeat([0, 1, 2], 100)

# ---------------------------------------------------------------- the checks
#: Checks a SOM is expected to fail, each with its reason (scikit-learn marks them xfail, strictly: a check
#: that starts to pass fails the suite until it is removed from this list).
EXPECTED_FAILED_CHECKS = {
    "check_fit_score_takes_y": (
        "fit's second positional parameter is the original Somnium's epochs (fit(data, epochs, radiusin, "
        "radiusfin, ...)); fit(X, y) still works: an array-like there is taken as scikit-learn's y and ignored "
        "(tested below)"
    ),
    "check_do_not_raise_errors_in_init_or_set_params": (
        "the seed refused unknown names in __init__ and SOM keeps that check (set_params checks the same way); "
        "the objects given are stored unchanged, so clone works"
    ),
    "check_fit_idempotent": (
        "fit continues training the map it holds (the seed's rough then fine fit calls), so a second fit is "
        "more training, not a refit; clone() or a new SOM starts afresh"
    ),
    "check_n_features_in_after_fitting": (
        "wording only: a wrong feature count raises InvalidValuesInDataSet (a ValueError) saying 'X has 1 "
        "features, but SOM was fitted with 4' (the wording tests/test_inputs.py keeps), not 'is expecting 4 "
        "features as input'; the behaviour is tested below"
    ),
    "check_dtype_object": (
        "object arrays are refused with InvalidValuesInDataSet by design (the seed's rule: pass numeric data); "
        "the check wants them converted"
    ),
    "check_transformer_data_not_an_array": (
        "SOM.transform is the seed's deprecated alias of normalize(), not a map projection: a SOM is no "
        "transformer and has no fit_transform (transform's existence is why it carries transformer tags)"
    ),
    "check_transformer_general": "as check_transformer_data_not_an_array: no fit_transform",
    "check_transformer_preserve_dtypes": "as check_transformer_data_not_an_array: no fit_transform",
}
#: Checks scikit-learn skips on its own, with its reason.
SKIPPED_CHECKS = {
    "check_array_api_input": "scikit-learn skips it unless SCIPY_ARRAY_API=1; a SOM declares no array API support",
}


with warnings.catch_warnings():
    # SOM does not inherit from BaseEstimator on purpose: somnium never imports scikit-learn.
    warnings.filterwarnings("ignore", "Estimator SOM does not inherit", UserWarning)
    _checks = parametrize_with_checks(
        [SOM(random_state=0)],
        expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
        xfail_strict=True,
    )


@_checks
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# ----------------------------------------------------------- the parameters
def test_clone_keeps_each_parameter_object_and_starts_unfitted():
    generator = np.random.default_rng(3)
    model = SOM(
        "bubble",
        "minmax",
        [4, 5],  # a list: kept as given, not converted to a tuple
        "rect",
        "cityblock",
        np.int64(2),
        "random",
        5,  # an int: kept, not turned into 5.0
        random_state=generator,
        dtype="float64",
    )
    params = model.get_params(deep=True)
    assert params["mapsize"] == [4, 5] and type(params["mapsize_scale"]) is int
    assert params["random_state"] is generator and params == model.get_params(deep=False)
    model.fit(X, epochs=2)
    copy = clone(model)  # clone checks that the constructor stores each parameter object unchanged
    assert not copy.is_fitted and copy.get_params()["mapsize"] == [4, 5]
    assert copy.fit(X, epochs=2).mapsize_ == (4, 5)


def test_parameters_kept_as_given_are_saved_in_their_checked_forms(tmp_path):
    model = SOM(
        neighborhood="epanechnikov",
        mapsize=[4, 5],
        n_jobs=np.int64(1),
        mapsize_scale=np.float32(4),
        random_state=0,
    ).fit(X, epochs=2)
    model.save(tmp_path / "model.som")
    loaded = SOM.load(tmp_path / "model.som")
    expected = {**model.get_params(), "neighborhood": "epanechicov", "mapsize": (4, 5), "mapsize_scale": 4.0}
    assert loaded.get_params() == expected and type(loaded.n_jobs) is int
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_set_params_returns_self_and_refuses_unknown_names_as_scikit_learn_does():
    model = SOM(mapsize=(3, 3))
    assert model.set_params(mapsize=(4, 4), n_jobs=1) is model
    assert model.mapsize == (4, 4) and model.n_jobs == 1
    with pytest.raises(
        ValueError, match=r"Invalid parameter 'epochs' for estimator SOM\(.*Valid parameters are"
    ):
        model.set_params(epochs=3)
    with pytest.raises(ValueError, match="Unknown lattice"):
        model.set_params(lattice="hex")
    assert model.lattice == "hexa"  # a refused call changes nothing


def test_set_params_of_the_map_structure_starts_a_new_map_and_the_others_keep_it():
    model = SOM(mapsize=(3, 3), random_state=0).fit(X, epochs=2)
    model.set_params(n_jobs=1, neighborhood="bubble")  # not the map's structure: training continues
    model.fit(X, epochs=1)
    assert len(model.history_["epoch"]) == 3
    model.set_params(mapsize=(5, 4))  # a new structure: the next fit starts a new map
    assert not model.is_fitted
    model.fit(X, epochs=1)
    assert model.mapsize_ == (5, 4) and len(model.history_["epoch"]) == 1
    model.set_params(mapsize=(5, 4))  # the same value: nothing is lost
    assert model.is_fitted


def test_set_params_random_state_reseeds_the_next_draws():
    a = SOM(mapsize=(3, 3), initialization="random", random_state=1).fit(X, epochs=1)
    b = SOM(mapsize=(3, 3), initialization="random", random_state=2)
    b.set_params(random_state=1)
    np.testing.assert_array_equal(b.fit(X, epochs=1).codebook_, a.codebook_)


# ----------------------------------------------------------- fit(X, y), score
def test_fit_takes_scikit_learns_y_in_the_epochs_place_and_ignores_it():
    plain = SOM(mapsize=(4, 4), random_state=0).fit(X)  # epochs default: 10
    for target in (y, pd.Series(y), list(y), y.astype(float)):
        with_y = SOM(mapsize=(4, 4), random_state=0).fit(X, target)
        np.testing.assert_array_equal(with_y.codebook_, plain.codebook_)
        assert len(with_y.history_["epoch"]) == 10
    keyword = SOM(mapsize=(4, 4), random_state=0).fit(X, y=y, epochs=3)
    assert len(keyword.history_["epoch"]) == 3
    for bad in ((y[:-1], None), (None, y[:10])):
        with pytest.raises(ValueError, match="target values for 300 rows"):
            SOM(mapsize=(4, 4)).fit(X, bad[0], y=bad[1])
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        SOM(mapsize=(4, 4)).fit(X, 2.5)


def _brute_mean_distance(Xn, W):
    _, _, squared = brute_bmus(Xn, W)
    return float(np.sqrt(squared.min(axis=1)).mean())


def test_score_is_minus_the_mean_bmu_distance_and_fit_predict_the_bmus():
    model = SOM(mapsize=(5, 4), random_state=0)
    labels = model.fit_predict(X, y)
    Xn, W = model.normalize(X), model.normalized_codebook_
    expected, _, _ = brute_bmus(Xn, W)
    np.testing.assert_array_equal(labels, expected)
    held_out = X[::7] + 0.3
    assert model.score(held_out) == pytest.approx(-_brute_mean_distance(model.normalize(held_out), W))
    assert model.score(held_out, y[::7]) == model.score(held_out)


def test_a_wrong_feature_count_is_refused_by_predict_score_and_transform():
    model = SOM(mapsize=(3, 3), random_state=0).fit(X, epochs=1)
    for method in (model.predict, model.score, model.normalize):
        with pytest.raises(InvalidValuesInDataSet, match="X has 1 features, but SOM was fitted with 4"):
            method(X[:, [1]])


# ---------------------------------------------------- scikit-learn's machinery
def test_a_pipeline_scales_then_trains_and_scores_on_the_scaled_rows():
    pipeline = make_pipeline(StandardScaler(), SOM(mapsize=(5, 5), normalization="none", random_state=0))
    pipeline.fit(X, y)
    scaled = (X - X.mean(axis=0)) / X.std(axis=0)
    alone = SOM(mapsize=(5, 5), normalization="none", random_state=0).fit(scaled)
    np.testing.assert_allclose(pipeline[-1].normalized_codebook_, alone.normalized_codebook_, atol=1e-9)
    np.testing.assert_array_equal(pipeline.predict(X), brute_bmus(scaled, alone.normalized_codebook_)[0])
    assert pipeline.score(X) == pytest.approx(-_brute_mean_distance(scaled, alone.normalized_codebook_))


def test_cross_val_score_equals_refitting_each_fold_by_hand():
    scores = cross_val_score(SOM(mapsize=(4, 4), random_state=0), X, y, cv=3)
    expected = []
    for train, test in KFold(3).split(X):
        fold = SOM(mapsize=(4, 4), random_state=0).fit(X[train])
        expected.append(-_brute_mean_distance(fold.normalize(X[test]), fold.normalized_codebook_))
    np.testing.assert_allclose(scores, expected, rtol=1e-6)


def test_grid_search_over_the_map_size_prefers_the_bigger_map_as_documented():
    sizes = [(2, 2), (4, 4), (7, 7)]
    search = GridSearchCV(SOM(random_state=0), {"mapsize": sizes}, cv=3).fit(X)
    means = search.cv_results_["mean_test_score"]
    assert np.all(np.diff(means) > 0)  # held-out rows lie closer to more prototypes
    assert search.best_params_ == {"mapsize": (7, 7)}
    assert search.best_estimator_.mapsize_ == (7, 7) and search.best_estimator_.is_fitted


def test_fitted_state_is_what_scikit_learn_asks_for():
    model = SOM(mapsize=(3, 3), random_state=0)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError, match="not trained yet"):  # scikit-learn's class, once it is loaded
        model.predict(X)
    with pytest.raises(ModelNotTrainedError):  # and still Somnium's
        model.codebook_
    try:
        model.predict(X)
    except ModelNotTrainedError as error:
        restored = pickle.loads(pickle.dumps(error))
        assert type(restored) is ModelNotTrainedError and restored.args == error.args
    check_is_fitted(model.fit(X, epochs=1))
    tags = model.__sklearn_tags__()
    assert tags.requires_fit and not tags.target_tags.required and not tags.input_tags.allow_nan


# -------------------------------------------------------- no runtime import
def _fresh_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_somnium_never_imports_scikit_learn():
    out = _fresh_python(
        """
        import sys
        import numpy as np
        from somnium import SOM
        X = np.random.default_rng(0).normal(size=(60, 3))
        model = SOM(mapsize=(3, 3), random_state=0).fit_auto(X)
        model.score(X), model.fit_predict(X), model.get_params(), model.set_params(n_jobs=1)
        try:
            SOM().predict(X)
        except Exception as error:
            print(type(error).__mro__[1].__name__)
        print("sklearn" in sys.modules)
        """
    )
    assert out.split() == ["SomniumError", "False"]  # a plain ModelNotTrainedError, no scikit-learn


def test_the_tags_answer_without_scikit_learn():
    out = _fresh_python(
        """
        import sys
        sys.modules["sklearn"] = None  # as if not installed: importing it raises ImportError
        from somnium import SOM
        tags = SOM().__sklearn_tags__()
        print(tags.requires_fit, tags.target_tags.required, tags.input_tags.allow_nan, tags.input_tags.sparse)
        """
    )
    assert out.split() == ["True", "False", "False", "False"]
