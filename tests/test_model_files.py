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
from somnium.segments import Segments

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


# --------------------------------------------------------------------------- attachments and new members
@pytest.fixture(scope="module")
def saved_with_segments(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "segmented.som"
    model = SOM(mapsize=(4, 3), lattice="toroidal_hexa", random_state=0).fit(
        X, epochs=3, collect_history=True
    )
    segments = Segments(model)
    segments.add("first", [0, 1, 4])
    segments.add("second", [11])
    model.save(path, segments=segments)
    return model, segments, path


def same_segments(a, b) -> bool:
    return a.names == b.names and all(np.array_equal(a.nodes(n), b.nodes(n)) for n in a.names)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_byte_mutation_of_a_file_with_segments_loads_the_same_or_raises(
    saved_with_segments, tmp_path, data
):
    model, segments, path = saved_with_segments
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
        assert loaded.lattice_ == model.lattice_ and loaded.lattice_.shifted_rows == "even"
        assert loaded.history_ == model.history_
        try:
            again = Segments.load(loaded, mutated)
        except (ValueError, ModelFileError):
            pass
        else:
            assert same_segments(again, segments)
    assert time.perf_counter() - started < 5


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON_VALUES, field=st.sampled_from(["rows", "cols", "name", "shifted_rows"]))
def test_any_json_value_in_any_lattice_field_raises_model_file_error_or_loads(saved, tmp_path, value, field):
    path = with_changes(saved[1], tmp_path, meta_change=lambda m: m["lattice"].update({field: value}))
    try:
        loaded = SOM.load(path)
    except ModelFileError:
        pass
    else:
        assert loaded.lattice_.to_dict() == json.loads(members(path)["somnium.json"])["lattice"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=JSON_VALUES,
    field=st.sampled_from(["format", "version", "n_nodes", "lattice", "segments", "extra"]),
    nested=st.sampled_from([None, "rows", "name", "shifted_rows"]),
)
def test_a_damaged_segments_attachment_never_reaches_a_saved_file(
    saved_with_segments, tmp_path, value, field, nested
):
    """Whatever the attachment holds, the model loads; Segments.load reads it or raises ValueError; and a
    save writes it only if Segments.load would read it back (else save raises ValueError)."""
    model, _, path = saved_with_segments
    parts = members(path)
    description = json.loads(parts["attachments/segments.json"])
    if field == "lattice" and nested is not None:
        description["lattice"][nested] = value
    else:
        description[field] = value
    parts["attachments/segments.json"] = json.dumps(description).encode()
    damaged_path = write(tmp_path / "damaged.som", parts.items())
    loaded = SOM.load(damaged_path)
    np.testing.assert_array_equal(loaded.normalized_codebook_, model.normalized_codebook_)
    try:
        readable = Segments.load(loaded, damaged_path)
    except ValueError:
        readable = None
    try:
        loaded.save(tmp_path / "again.som")
    except ValueError as error:
        assert readable is None, error
        assert "no longer fit" in str(error)
    else:
        assert readable is not None
        assert same_segments(Segments.load(loaded, tmp_path / "again.som"), readable)


def test_every_array_member_is_read_only_as_large_as_its_header_and_metadata_say(
    saved_with_segments, tmp_path
):
    _, _, path = saved_with_segments
    parts = members(path)
    for name in [n for n in parts if n.endswith(".npy")]:
        # one more row than the metadata implies: refused before the data are read
        array = np.load(io.BytesIO(parts[name]))
        longer = np.concatenate([array, array[:1]])
        damaged = write(tmp_path / "longer.som", {**parts, name: npy(longer)}.items())
        with pytest.raises(ModelFileError, match="shape"):
            SOM.load(damaged)
