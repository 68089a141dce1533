"""Categorical columns as one-hot blocks (issue 17): the encoding against hand-made indicators, block
scales, prototypes as category shares, unseen and missing categories, weights on blocks, impute,
unsupported dtypes and the model file."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from somnium import SOM
from somnium.exceptions import InvalidValuesInDataSet, ModelFileError


def table(n=300, seed=0, missing=False):
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2])
    size = rng.normal(size=n) + (colour == "red") * 3
    frame = pd.DataFrame(
        {
            "size": size,
            "colour": pd.Categorical(colour),
            "city": rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], n).astype(object),
            "member": rng.random(n) < 0.3,
            "weight": rng.normal(size=n) * 10 + 50,
        }
    )
    if missing:
        frame.loc[rng.random(n) < 0.1, "colour"] = np.nan
        frame.loc[rng.random(n) < 0.1, "weight"] = np.nan
        frame.loc[rng.random(n) < 0.1, "city"] = None
    return frame


def fitted(frame, **params):
    return SOM(mapsize=(4, 5), random_state=0, categorical="onehot", **params).fit(frame, epochs=5)


def scale_of(values):
    shares = pd.Series(values).value_counts(normalize=True, dropna=True).to_numpy()
    return 1.0 / np.sqrt(1.0 - (shares**2).sum())


def test_the_encoded_rows_are_standardised_numbers_and_scaled_indicators():
    frame = table()
    model = fitted(frame)
    assert model.feature_names() == [
        "size", "colour=blue", "colour=green", "colour=red", "city=Kyiv", "city=Lima", "city=Oslo", "city=Pune",
        "member=False", "member=True", "weight",
    ]  # fmt: skip
    assert list(model.feature_names_in_) == list(frame.columns) and model.n_features_in_ == 5
    encoded = model.normalize(frame)
    expected = [(frame["size"] - frame["size"].mean()) / frame["size"].std(ddof=0)]
    for column in ("colour", "city", "member"):
        values = frame[column].astype(object)
        for category in sorted(values.unique(), key=str):
            expected.append((values == category).astype(float) * scale_of(values))
    expected.append((frame["weight"] - frame["weight"].mean()) / frame["weight"].std(ddof=0))
    np.testing.assert_allclose(encoded, np.column_stack(expected), rtol=1e-12, atol=1e-12)


def test_a_block_weighs_as_much_as_one_standardised_feature_whatever_its_categories():
    rng = np.random.default_rng(1)
    n = 4000
    frame = pd.DataFrame({"x": rng.normal(size=n), "many": rng.choice([f"level{i}" for i in range(40)], n)})
    encoded = fitted(frame).normalize(frame)
    block = encoded[:, 1:]
    assert block.shape[1] == 40
    # total variance of the block's scaled indicators is 1, as a standardised column's
    assert block.var(axis=0).sum() == pytest.approx(1.0, rel=1e-9)
    # and random pairs of rows differ by 2 on average in squared distance, in both
    pairs = rng.integers(0, n, size=(20000, 2))
    numeric = ((encoded[pairs[:, 0], 0] - encoded[pairs[:, 1], 0]) ** 2).mean()
    categorical = ((block[pairs[:, 0]] - block[pairs[:, 1]]) ** 2).sum(axis=1).mean()
    assert numeric == pytest.approx(2.0, rel=0.05) and categorical == pytest.approx(2.0, rel=0.05)


def test_a_balanced_binary_column_is_a_standardised_zero_one_column():
    frame = pd.DataFrame({"x": np.arange(10.0), "flag": [True, False] * 5})
    encoded = fitted(frame).normalize(frame)
    np.testing.assert_allclose(encoded[:, 1:], np.column_stack([~frame.flag, frame.flag]) * np.sqrt(2))


def test_prototypes_of_a_categorical_column_are_shares_summing_to_one():
    for initialization in ("pca", "random"):
        model = fitted(table(missing=True), missing="ignore", initialization=initialization)
        codebook = model.codebook_
        names = model.feature_names()
        for column in ("colour", "city", "member"):
            block = codebook[:, [i for i, name in enumerate(names) if name.startswith(column + "=")]]
            np.testing.assert_allclose(block.sum(axis=1), 1.0, rtol=1e-9)
            assert (block >= -1e-12).all() and (block <= 1 + 1e-12).all()


def test_the_shares_are_each_nodes_category_shares_at_radius_zero():
    frame = table(seed=2)
    model = SOM(mapsize=(3, 3), random_state=0, categorical="onehot").fit(frame, epochs=3)
    bmus = model.predict(frame)
    model.fit(frame, epochs=1, radiusin=1e-9, radiusfin=0)  # radius 0: each node moves to its rows' mean
    names = model.feature_names()
    for node in np.unique(bmus):
        rows = frame[bmus == node]
        for category in ("blue", "green", "red"):
            share = (rows["colour"] == category).mean()
            assert model.codebook_[node, names.index(f"colour={category}")] == pytest.approx(share, abs=1e-9)


def test_missing_categories_are_missing_cells():
    frame = table(missing=True)
    model = fitted(frame, missing="ignore")
    encoded = model.normalize(frame)
    names = model.feature_names()
    colour = [names.index(n) for n in names if n.startswith("colour=")]
    absent = frame["colour"].isna().to_numpy()
    assert np.isnan(encoded[absent][:, colour]).all() and not np.isnan(encoded[~absent][:, colour]).any()
    with pytest.raises(
        InvalidValuesInDataSet, match=r"Column 'colour' has \d+ missing value.*missing='ignore'"
    ):
        fitted(frame)


def test_an_unseen_category_is_a_missing_value_with_ignore_and_an_error_otherwise():
    frame = table()
    new = frame.head(20).copy()
    new["city"] = new["city"].where(np.arange(20) % 2 == 0, "Quito")
    strict = fitted(frame)
    with pytest.raises(
        InvalidValuesInDataSet, match=r"Column 'city' has value\(s\) \['Quito'\].*missing='ignore'"
    ):
        strict.predict(new)
    lenient = fitted(frame, missing="ignore")
    as_missing = new.copy()
    as_missing.loc[as_missing["city"] == "Quito", "city"] = None
    np.testing.assert_array_equal(lenient.predict(new), lenient.predict(as_missing))


def test_categorical_error_names_the_option_and_datetimes_say_what_to_do():
    frame = table()
    with pytest.raises(
        InvalidValuesInDataSet, match=r"Non-numeric columns \['colour', 'city'\].*categorical='onehot'"
    ):
        SOM(mapsize=(3, 3)).fit(frame.drop(columns="member"))
    dated = frame.assign(when=pd.date_range("2024-01-01", periods=len(frame)))
    with pytest.raises(InvalidValuesInDataSet, match=r"'when' \(datetime64.*\.dt\.month"):
        SOM(mapsize=(3, 3), categorical="onehot").fit(dated)


def test_booleans_are_numbers_without_onehot_and_categories_with_it():
    frame = table()[["size", "member"]]
    plain = SOM(mapsize=(3, 3), random_state=0).fit(frame, epochs=2)
    assert plain.feature_names() == ["size", "member"]
    assert fitted(frame).feature_names() == ["size", "member=False", "member=True"]


def test_string_dtype_and_numbers_as_categories():
    frame = pd.DataFrame(
        {
            "x": np.arange(12.0),
            "s": pd.array(["a", "b", "c"] * 4, dtype="string"),
            "k": pd.Categorical([3, 1, 2, 1] * 3),
        }
    )
    model = fitted(frame)
    assert model.feature_names() == ["x", "s=a", "s=b", "s=c", "k=1", "k=2", "k=3"]
    assert model.predict(frame).shape == (12,)


def test_a_weight_on_a_categorical_column_weighs_its_whole_block():
    frame = table(seed=3)
    model = fitted(frame, feature_weights={"colour": 0.0, "city": 3.0}, dtype="float64")
    Xn, W = model.normalize(frame), model.normalized_codebook_
    names = model.feature_names()
    weights = np.array(
        [0.0 if n.startswith("colour=") else 3.0 if n.startswith("city=") else 1.0 for n in names]
    )
    scores = (((Xn[:, None, :] - W[None]) ** 2) * weights).sum(axis=2)
    np.testing.assert_array_equal(model.predict(frame), scores.argmin(axis=1))
    # colour does not decide: changing it changes no BMU
    shuffled = frame.assign(colour=frame["colour"].sample(frac=1, random_state=0).to_numpy())
    np.testing.assert_array_equal(model.predict(shuffled), model.predict(frame))


def test_impute_gives_the_most_likely_category_and_keeps_the_table():
    frame = table(missing=True)
    model = fitted(frame, missing="ignore")
    filled = model.impute(frame)
    assert not filled.isna().any().any()
    assert filled.dtypes.equals(frame.dtypes) and filled.index.equals(frame.index)
    codebook, names = model.codebook_, model.feature_names()
    bmus = model.predict(frame)
    colour = [n for n in names if n.startswith("colour=")]
    absent = frame["colour"].isna().to_numpy()
    shares = codebook[bmus[absent]][:, [names.index(n) for n in colour]]
    expected = [colour[i].split("=", 1)[1] for i in shares.argmax(axis=1)]
    assert filled.loc[absent, "colour"].tolist() == expected
    for column in frame.columns:
        seen = frame[column].notna()
        pd.testing.assert_series_equal(filled.loc[seen, column], frame.loc[seen, column])


def test_a_table_of_categories_only():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.choice(list("xyz"), 100), "b": rng.choice(list("pq"), 100)})
    model = fitted(frame)
    assert model.codebook_.shape == (20, 5) and np.isfinite(model.codebook_).all()


def test_too_many_categories_and_unsupported_values_are_refused():
    frame = pd.DataFrame({"x": np.arange(1500.0), "id": [f"row{i}" for i in range(1500)]})
    with pytest.raises(InvalidValuesInDataSet, match="1,500 categories"):
        fitted(frame)
    odd = pd.DataFrame({"x": [1.0, 2.0, 3.0], "o": [(1, 2), (3, 4), (1, 2)]})
    with pytest.raises(InvalidValuesInDataSet, match="astype\\(str\\)"):
        fitted(odd)
    with pytest.raises(InvalidValuesInDataSet, match="pass a DataFrame"):
        fitted(table()).predict(np.zeros((3, 5)))


def test_an_entirely_missing_categorical_column_is_refused_by_name():
    frame = table().assign(colour=pd.Categorical([None] * 300, categories=["a"]))
    with pytest.raises(InvalidValuesInDataSet, match=r"\['colour'\] of X are entirely missing"):
        fitted(frame, missing="ignore")


def test_changing_categorical_on_a_trained_model_starts_a_new_map():
    frame = table()
    model = fitted(frame)
    model.set_params(categorical="error")
    assert not model.is_fitted


# --------------------------------------------------------------------- files
def test_a_model_with_categories_round_trips_through_its_file(tmp_path):
    frame = table(missing=True)
    model = fitted(frame, missing="ignore", feature_weights={"city": 0.5})
    model.save(tmp_path / "cats.som")
    loaded = SOM.load(tmp_path / "cats.som")
    assert loaded.feature_names() == model.feature_names()
    assert list(loaded.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    np.testing.assert_array_equal(loaded.codebook_, model.codebook_)
    pd.testing.assert_frame_equal(loaded.impute(frame), model.impute(frame))
    with zipfile.ZipFile(tmp_path / "cats.som") as archive:
        meta = json.loads(archive.read("somnium.json"))
    assert meta["format_version"] == 4 and meta["encoder"]["categories"][1] == ["blue", "green", "red"]


@pytest.fixture(scope="module")
def saved_with_categories(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "cats.som"
    fitted(table(), missing="ignore").save(path)
    return path


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=12,
    ),
    field=st.sampled_from(["encoder", "feature_names_in", "n_features_in", "params"]),
    inner=st.sampled_from([None, "columns", "categories", "scales"]),
)
def test_any_json_value_in_the_encoder_raises_model_file_error_or_loads(
    saved_with_categories, tmp_path, value, field, inner
):
    with zipfile.ZipFile(saved_with_categories) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(parts["somnium.json"])
    if field == "encoder" and inner is not None:
        meta["encoder"][inner] = value
    else:
        meta[field] = value
    parts["somnium.json"] = json.dumps(meta).encode()
    path = tmp_path / "bad.som"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    try:
        SOM.load(path)
    except ModelFileError:
        pass
