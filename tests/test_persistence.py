import json
import os
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

from somnium import SOM, persistence
from somnium.exceptions import ModelFileError, ModelNotTrainedError

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
    assert meta["format"] == "somnium-model" and meta["format_version"] == persistence.FORMAT_VERSION == 3


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
