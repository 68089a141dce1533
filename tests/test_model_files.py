"""Hostile and damaged model files: every one loads to the same model or raises ModelFileError, quickly."""

import io
import json
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from somnium import SOM, persistence
from somnium.exceptions import ModelFileError

X = np.random.default_rng(0).normal(size=(120, 3))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "good.som"
    model = SOM(mapsize=(3, 4), random_state=0).fit(X, epochs=3, collect_history=True)
    model.save(path)
    return model, path


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write(path, entries, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def with_changes(saved_path, tmp_path, meta_change=None, arrays=None, name="bad.som"):
    parts = members(saved_path)
    meta = json.loads(parts["somnium.json"])
    if meta_change:
        meta_change(meta)
    parts["somnium.json"] = json.dumps(meta).encode()
    for key, value in (arrays or {}).items():
        parts[f"{key}.npy"] = value if isinstance(value, bytes) else npy(value)
    return write(tmp_path / name, parts.items())


def test_a_good_file_round_trips(saved, tmp_path):
    model, path = saved
    loaded = SOM.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.history_ == model.history_


@pytest.mark.parametrize(
    "arrays, fragment",
    [
        ({"codebook": np.full((12, 3), np.nan)}, "codebook contains NaN"),
        ({"codebook": np.zeros((11, 3))}, "codebook: shape"),
        ({"codebook": np.zeros((12, 3), dtype=np.complex128)}, "dtype"),
        ({"bmu": np.full(120, 99)}, "out of range"),
        ({"bmu": np.full(120, -1)}, "out of range"),
        ({"normalizer.scale_": np.zeros(3)}, "zero or negative scale"),
        ({"nodes.hits": np.full(12, -1.0)}, "do not add up"),
        ({"center": np.array([1.0, np.inf, 0.0])}, "center contains NaN"),
    ],
)
def test_damaged_arrays_are_refused(saved, tmp_path, arrays, fragment):
    path = with_changes(saved[1], tmp_path, arrays=arrays)
    with pytest.raises(ModelFileError, match=fragment):
        SOM.load(path)


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda m: m.update(format_version=99), "version 99"),
        (lambda m: m.update(format_version="2"), "invalid format version"),
        (lambda m: m["lattice"].update(rows=5000, cols=5000), "limit"),
        (lambda m: m["lattice"].update(name="hex"), "unknown"),
        (lambda m: m.update(n_features_in=True), "n_features_in"),
        (lambda m: m["history"].pop("phase"), "history.phase"),
        (lambda m: m["history"]["radius"].append(1.0), "different lengths"),
        (lambda m: m.update(feature_names_in=["a", "a", "b"]), "feature_names_in"),
        (lambda m: m["params"].update(neighborhood="gauss"), "invalid model parameters"),
        (lambda m: m.update(arrays="codebook"), "array list"),
        (lambda m: m.update(params=[]), "params"),
    ],
)
def test_damaged_metadata_is_refused(saved, tmp_path, change, fragment):
    path = with_changes(saved[1], tmp_path, meta_change=change)
    with pytest.raises(ModelFileError, match=fragment):
        SOM.load(path)


def test_a_zip_bomb_is_refused_before_it_is_inflated(saved, tmp_path, monkeypatch):
    parts = members(saved[1])
    parts["somnium.json"] = parts["somnium.json"] + b" " * (2 * 2**20)  # 2 MB of whitespace
    path = write(tmp_path / "bomb.som", parts.items())
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(persistence, "MAX_META_BYTES", 2**20)
    with pytest.raises(ModelFileError, match="above the limit"):
        SOM.load(path)


def test_a_repeated_member_name_is_refused(saved, tmp_path):
    parts = list(members(saved[1]).items())
    with pytest.warns(UserWarning):  # zipfile itself warns about the duplicate when writing
        path = write(tmp_path / "twice.som", [*parts, parts[0]])
    started = time.perf_counter()
    with pytest.raises(ModelFileError, match="repeats a member"):
        SOM.load(path)
    assert time.perf_counter() - started < 2


def test_an_npy_header_declaring_a_huge_shape_is_refused(saved, tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    path = with_changes(saved[1], tmp_path, arrays={"bmu": header.getvalue()})
    with pytest.raises(ModelFileError):
        SOM.load(path)


def test_a_version_1_file_still_loads(saved, tmp_path):
    model, path = saved
    parts = members(path)
    meta = json.loads(parts["somnium.json"])
    meta["format_version"] = 1
    meta["lattice"].pop("shifted_rows")  # format 1 and 2 files shifted the odd rows
    meta["final_metrics"] = {
        k: v for k, v in meta.pop("nodes")["metrics"].items() if k != "mean_bmu_distance"
    }
    meta["arrays"] = [a for a in meta["arrays"] if not a.startswith("nodes.")]
    parts = {k: v for k, v in parts.items() if not k.startswith("nodes.")}
    parts["somnium.json"] = json.dumps(meta).encode()
    loaded = SOM.load(write(tmp_path / "v1.som", parts.items()))
    assert loaded.lattice_.shifted_rows == "odd"
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.node_hits(), model.node_hits())
    assert loaded.calculate_quantization_error() == pytest.approx(model.calculate_quantization_error())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_byte_mutation_loads_the_same_model_or_raises_model_file_error(saved, tmp_path, data):
    model, path = saved
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    mutated = tmp_path / "mutated.som"
    mutated.write_bytes(bytes(raw))
    started = time.perf_counter()
    try:
        loaded = SOM.load(mutated)
    except ModelFileError:
        pass
    else:
        np.testing.assert_array_equal(loaded.normalized_codebook_, model.normalized_codebook_)
        assert loaded.history_ == model.history_
    assert time.perf_counter() - started < 5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=10,
    ),
    field=st.sampled_from(
        [
            "params",
            "lattice",
            "history",
            "normalizer",
            "nodes",
            "feature_names_in",
            "n_features_in",
            "n_fit_calls",
            "arrays",
        ]
    ),
)
def test_any_json_value_in_any_field_raises_model_file_error_or_loads(saved, tmp_path, value, field):
    path = with_changes(saved[1], tmp_path, meta_change=lambda m: m.update({field: value}))
    try:
        SOM.load(path)
    except ModelFileError:
        pass
