import io
import json
import os
import pickle
import time
import time as time_module
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from somnium import SOM, persistence
from somnium.exceptions import ModelFileError, ModelNotTrainedError
from somnium.lattice import Lattice
from somnium.segments import Segments
from tests.support.reference import brute_bmus, brute_distances

rng = np.random.default_rng(0)
DF = pd.DataFrame(rng.normal(size=(200, 3)) * [1, 5, 0.2] + [0, 10, 3], columns=["a", "b", "c"])


@pytest.fixture
def model():
    return SOM(mapsize=(4, 5), lattice="toroidal_hexa", normalization="boxcox", random_state=0).fit(
        DF.abs() + 0.1, epochs=4, collect_history=True
    )


def test_round_trip_predicts_identically_and_keeps_everything(model, tmp_path):
    path = tmp_path / "model.som"
    model.save(path)
    loaded = SOM.load(path)
    data = DF.abs() + 0.1
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))
    np.testing.assert_array_equal(loaded.codebook_, model.codebook_)
    np.testing.assert_array_equal(loaded.bmu_, model.bmu_)
    assert loaded.history_ == model.history_
    assert list(loaded.feature_names_in_) == ["a", "b", "c"]
    assert loaded.lattice_ == model.lattice_
    assert loaded.calculate_quantization_error() == model.calculate_quantization_error()


def test_loaded_model_keeps_training_like_the_original(model, tmp_path):
    path = tmp_path / "m.som"
    model.save(path)
    loaded = SOM.load(path)
    data = DF.abs() + 0.1
    model.fit(data, epochs=3, radiusin=2, radiusfin=1)
    loaded.fit(data, epochs=3, radiusin=2, radiusfin=1)
    np.testing.assert_allclose(loaded.codebook_, model.codebook_, rtol=1e-12)
    assert loaded.history_["phase"][-1] == "batch-2"


def test_seed_style_pkl_name_still_uses_the_safe_format(model, tmp_path):
    path = tmp_path / "my_som.pkl"
    model.save(path)
    assert zipfile.is_zipfile(path)
    assert SOM.load(path).codebook_.shape == model.codebook_.shape


def test_the_safe_format_contains_no_pickle(model, tmp_path):
    path = tmp_path / "m.som"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read("somnium.json"))
        for name in archive.namelist():
            if name.endswith(".npy"):
                header = archive.read(name)[:200]
                assert b"'O'" not in header and b"|O" not in header
    assert meta["format"] == "somnium-model" and meta["format_version"] == persistence.FORMAT_VERSION == 4


def test_pickle_needs_an_explicit_opt_in(model, tmp_path):
    path = tmp_path / "m.pickle"
    model.save(path, format="pickle")
    with pytest.raises(ModelFileError, match="allow_pickle=True"):
        SOM.load(path)
    assert SOM.load(path, allow_pickle=True).codebook_.shape == model.codebook_.shape


def test_a_plain_pickle_is_never_unpickled_without_opt_in(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFileError):
        SOM.load(path)
    assert not (tmp_path / "pwned").exists()


def test_truncated_file_gives_a_clear_error(model, tmp_path):
    path = tmp_path / "m.som"
    model.save(path)
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        broken = tmp_path / f"cut{cut}.som"
        broken.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="not a Somnium model|damaged|truncated"):
            SOM.load(broken)


def test_other_files_are_rejected(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not a Somnium model"):
        SOM.load(text)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    with pytest.raises(ModelFileError, match="not a Somnium model"):
        SOM.load(other_zip)
    with pytest.raises(FileNotFoundError):
        SOM.load(tmp_path / "missing.som")


def test_future_version_is_refused(model, tmp_path):
    path = tmp_path / "m.som"
    model.save(path)
    future = tmp_path / "future.som"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(future, "w") as dst:
        for item in src.namelist():
            payload = src.read(item)
            if item == "somnium.json":
                meta = json.loads(payload)
                meta["format_version"] = 99
                payload = json.dumps(meta)
            dst.writestr(item, payload)
    with pytest.raises(ModelFileError, match="version 99"):
        SOM.load(future)


def test_save_is_atomic_when_writing_fails(model, tmp_path, monkeypatch):
    path = tmp_path / "m.som"
    model.save(path)
    original = path.read_bytes()

    def broken_write(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(persistence.np.lib.format, "write_array", broken_write)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.som"]


def test_saving_an_unfitted_model_fails(tmp_path):
    with pytest.raises(ModelNotTrainedError):
        SOM().save(tmp_path / "x.som")
    assert not (tmp_path / "x.som").exists()


def test_a_loaded_model_keeps_the_training_data_statistics(model, tmp_path):
    model.save(tmp_path / "m.som")
    loaded = SOM.load(tmp_path / "m.som")
    data = DF.abs() + 0.1  # the training data
    # stored per-node statistics equal a fresh pass over the training data
    np.testing.assert_allclose(
        loaded.node_quantization_error(), loaded.node_quantization_error(data), equal_nan=True
    )
    np.testing.assert_array_equal(
        loaded.node_hits(), np.bincount(model.predict(data), minlength=model.lattice_.n_nodes)
    )
    for name in ("quantization_error", "topographic_error", "vacancy_rate", "mean_bmu_distance"):
        method = getattr(loaded, f"calculate_{name}")
        assert method() == pytest.approx(method(data), rel=1e-9)


# --------------------------------------------------------------------------- hexagonal rows in files
DATA = Path(__file__).parent / "data"
# The training rows of the format-2 files in tests/data, written by Somnium at commit 50a7c86 (when it
# shifted the odd rows of hexagonal maps) with, for each (rows, cols, lattice) of the file names:
#   model = SOM(mapsize=(rows, cols), lattice=lattice, random_state=0).fit(X, epochs=6, collect_history=True)
#   segments = Segments(model); segments.add("top", list(range(cols + 2))); segments.add("corner", [n - 1])
#   model.save(path, segments=segments)
FORMAT_2_X = np.random.default_rng(7).normal(size=(150, 3)) * [3.0, 1.0, 1.0]
FORMAT_2_FILES = ["format2_hexa_6x5.som", "format2_toroidal_hexa_5x6.som"]


def brute_force_te(X, codebook, rows, cols, name, shifted_rows):
    first, second, _ = brute_bmus(X, codebook)
    distances = brute_distances(rows, cols, name, shifted_rows)
    return float(np.mean(distances[first, second] > 1 + 1e-9))


@pytest.mark.parametrize("name", FORMAT_2_FILES)
def test_a_format_2_file_keeps_its_odd_rows_and_measures_as_it_was_saved(name, tmp_path):
    with zipfile.ZipFile(DATA / name) as archive:
        meta = json.loads(archive.read("somnium.json"))
    assert meta["format_version"] == 2 and "shifted_rows" not in meta["lattice"]
    stored_te = meta["nodes"]["metrics"]["topographic_error"]
    loaded = SOM.load(DATA / name)
    lattice = loaded.lattice_
    assert lattice.shifted_rows == "odd"
    rows, cols, lattice_name = lattice.rows, lattice.cols, lattice.name
    expected = brute_force_te(
        loaded.normalize(FORMAT_2_X), loaded.normalized_codebook_, rows, cols, lattice_name, "odd"
    )
    assert loaded.calculate_topographic_error() == stored_te == pytest.approx(expected)
    assert loaded.calculate_topographic_error(FORMAT_2_X) == pytest.approx(expected)
    assert loaded.history_["topographic_error"][-1] == pytest.approx(expected)
    np.testing.assert_array_equal(loaded.predict(FORMAT_2_X), loaded.bmu_)
    # re-saved in the current format, it keeps its geometry and its segments
    loaded.save(tmp_path / "again.som")
    again = SOM.load(tmp_path / "again.som")
    assert again.lattice_ == lattice
    assert again.calculate_topographic_error(FORMAT_2_X) == pytest.approx(expected)
    segments = Segments.load(again, tmp_path / "again.som")
    assert segments.names == ["top", "corner"]
    np.testing.assert_array_equal(segments.nodes("top"), np.arange(cols + 2))
    # and it keeps training on that geometry
    again.fit(FORMAT_2_X, epochs=1, radiusin=1.0, radiusfin=1.0)
    assert again.lattice_.shifted_rows == "odd"


def test_a_new_file_stores_the_even_rows_and_loads_them():
    model = SOM(mapsize=(5, 4), random_state=0).fit(FORMAT_2_X, epochs=2)
    assert model.lattice_.shifted_rows == "even"


def test_the_lattice_of_a_file_must_name_its_shifted_rows(model, tmp_path):
    path = tmp_path / "m.som"
    model.save(path)
    for value in (None, "left", 1):
        broken = rewrite_meta(
            path, tmp_path / "b.som", lambda m, v=value: m["lattice"].update(shifted_rows=v)
        )
        with pytest.raises(ModelFileError, match="shifted_rows"):
            SOM.load(broken)
    odd = rewrite_meta(path, tmp_path / "odd.som", lambda m: m["lattice"].update(shifted_rows="odd"))
    assert SOM.load(odd).lattice_ == Lattice(4, 5, "toroidal_hexa", shifted_rows="odd")


def rewrite_meta(source, target, change):
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.namelist():
            payload = src.read(item)
            if item == "somnium.json":
                meta = json.loads(payload)
                change(meta)
                payload = json.dumps(meta)
            dst.writestr(item, payload)
    return target


# --------------------------------------------------------------------------- bounded reads
def bomb(saved_path, target, member, inflated_bytes):
    """``saved_path`` with ``member`` replaced by its own .npy header followed by zeros."""
    with zipfile.ZipFile(saved_path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    stream = io.BytesIO(parts[member])
    np.lib.format.read_magic(stream)
    np.lib.format.read_array_header_1_0(stream)
    header = parts[member][: stream.tell()]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, payload in parts.items():
            if name != member:
                dst.writestr(name, payload)
        with dst.open(member, "w", force_zip64=True) as entry:
            entry.write(header)
            zeros = bytes(2**20)
            for _ in range(inflated_bytes // len(zeros)):
                entry.write(zeros)
    return target


@pytest.mark.parametrize("member", ["codebook.npy", "bmu.npy", "nodes.hits.npy"])
def test_a_zip_bomb_member_is_refused_from_its_header_before_it_is_inflated(model, tmp_path, member):
    model.save(tmp_path / "m.som")
    path = bomb(tmp_path / "m.som", tmp_path / "bomb.som", member, 256 * 2**20)
    assert path.stat().st_size < 1_000_000  # 256 MB of zeros
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ModelFileError, match="size does not match its header"):
            SOM.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20
    assert time.perf_counter() - started < 2


def test_a_member_longer_than_its_zip_header_says_is_refused(model, tmp_path):
    model.save(tmp_path / "m.som")
    with zipfile.ZipFile(tmp_path / "m.som") as src:
        parts = {name: src.read(name) for name in src.namelist()}
    target = tmp_path / "long.som"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, payload in parts.items():
            dst.writestr(name, payload + (b"\0" * 64 if name == "center.npy" else b""))
    # the zip header's size is honest here, so the .npy header is what gives it away
    with pytest.raises(ModelFileError, match="center: size does not match its header"):
        SOM.load(target)


def test_a_finite_but_huge_prototype_is_refused(model, tmp_path):
    model.save(tmp_path / "m.som")
    with zipfile.ZipFile(tmp_path / "m.som") as src:
        parts = {name: src.read(name) for name in src.namelist()}
    codebook = model.normalized_codebook_.copy()
    codebook[3, 1] = 1e300  # its squared distance to anything overflows
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, codebook)
    parts["codebook.npy"] = buffer.getvalue()
    target = tmp_path / "huge.som"
    with zipfile.ZipFile(target, "w") as dst:
        for name, payload in parts.items():
            dst.writestr(name, payload)
    with pytest.raises(ModelFileError, match="too large for distances"):
        SOM.load(target)
    codebook[3, 1] = (
        1e160  # squares to 1e320: still beyond float64, like the engine's bound sqrt(max / 4D) / 10
    )
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, codebook)
    parts["codebook.npy"] = buffer.getvalue()
    with zipfile.ZipFile(target, "w") as dst:
        for name, payload in parts.items():
            dst.writestr(name, payload)
    with pytest.raises(ModelFileError, match="too large for distances"):
        SOM.load(target)


def test_the_same_model_saved_twice_gives_the_same_bytes(model, tmp_path, monkeypatch):
    class Clock:
        now = 1_700_000_000.0

        @classmethod
        def time(cls):
            return cls.now

        localtime = staticmethod(time_module.localtime)

    monkeypatch.setattr(zipfile, "time", Clock)
    segments = Segments(model)
    segments.add("a", [0, 1])
    model.save(tmp_path / "one.som", segments=segments)
    Clock.now += 3600  # an hour later
    model.save(tmp_path / "two.som", segments=segments)
    assert (tmp_path / "one.som").read_bytes() == (tmp_path / "two.som").read_bytes()


# --------------------------------------------------------------------------- segments never lost
def segments_of(model):
    segments = Segments(model)
    segments.add("left", [0, 5, 10])
    segments.add("right", [4, 9])
    return segments


def test_re_saving_a_loaded_model_to_the_same_path_keeps_its_segments(model, tmp_path):
    path = tmp_path / "m.som"
    model.save(path, segments=segments_of(model))
    loaded = SOM.load(path)
    loaded.fit(DF.abs() + 0.1, epochs=1)  # more training, then save over the same file
    loaded.save(path)
    assert Segments.load(SOM.load(path), path).names == ["left", "right"]
    # and elsewhere, and through a pickle round trip of the model
    loaded.save(tmp_path / "copy.som")
    assert Segments.load(loaded, tmp_path / "copy.som").names == ["left", "right"]
    loaded.save(tmp_path / "m.pickle", format="pickle")
    unpickled = SOM.load(tmp_path / "m.pickle", allow_pickle=True)
    unpickled.save(tmp_path / "from_pickle.som")
    assert Segments.load(unpickled, tmp_path / "from_pickle.som").names == ["left", "right"]


def test_segments_given_to_save_replace_the_remembered_ones(model, tmp_path):
    path = tmp_path / "m.som"
    model.save(path, segments=segments_of(model))
    loaded = SOM.load(path)
    other = Segments(loaded)
    other.add("only", [7])
    loaded.save(path, segments=other)
    assert Segments.load(loaded, path).names == ["only"]
    loaded.save(path, segments=Segments(loaded))  # an empty set saves none
    assert Segments.load(loaded, path).names == []


def test_pickle_refuses_segments_clearly_and_writes_nothing(model, tmp_path):
    with pytest.raises(ValueError, match="pickle file holds the model object only"):
        model.save(tmp_path / "m.pickle", format="pickle", segments=segments_of(model))
    assert not (tmp_path / "m.pickle").exists()


def test_segments_must_be_segments(model, tmp_path):
    with pytest.raises(TypeError, match="somnium.segments.Segments"):
        model.save(tmp_path / "m.som", segments=segments_of(model).to_dict())


def test_save_refuses_segments_that_load_would_refuse(tmp_path):
    X = np.random.default_rng(1).normal(size=(150, 3))
    wide = SOM(mapsize=(4, 9), random_state=0).fit(X, epochs=1)
    square = SOM(mapsize=(6, 6), random_state=0).fit(X, epochs=1)  # the same 36 nodes
    with pytest.raises(ValueError, match="made for lattice"):
        square.save(tmp_path / "m.som", segments=segments_of(wide))
    assert not (tmp_path / "m.som").exists()


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda lat: lat.update(rows=6, cols=6), "made for lattice"),
        (lambda lat: lat.update(name="cylindrical_hexa"), "made for lattice"),
        (lambda lat: lat.update(shifted_rows="odd"), "made for lattice"),
        (lambda lat: lat.pop("shifted_rows"), "made for lattice"),
    ],
)
def test_segments_json_names_the_whole_lattice_and_is_checked(change, expected):
    X = np.random.default_rng(1).normal(size=(150, 3))
    model = SOM(mapsize=(4, 9), random_state=0).fit(X, epochs=1)
    description = segments_of(model).to_dict()
    assert description["lattice"] == {"rows": 4, "cols": 9, "name": "hexa", "shifted_rows": "even"}
    change(description["lattice"])
    with pytest.raises(ValueError, match=expected):
        Segments.from_dict(model, description)


def test_a_somnium_model_pickled_with_pickle_dump_is_named_as_such(model, tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps(model))
    with pytest.raises(ModelFileError, match="Somnium model pickled with pickle.dump"):
        SOM.load(path)
    loaded = SOM.load(path, allow_pickle=True)  # the user vouches for it, as for save(format="pickle")
    np.testing.assert_array_equal(loaded.predict(DF.abs() + 0.1), model.predict(DF.abs() + 0.1))
