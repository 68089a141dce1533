"""Save and load models in a safe, versioned format.

A model file is a ZIP archive holding ``somnium.json`` (format name and
version, parameters, lattice, normaliser parameters, history) and one
``.npy`` entry per array, read back with ``allow_pickle=False``: loading
never executes code from the file.  Pickle is available only as an explicit
opt-in on both sides (``save(..., format="pickle")`` and
``load(..., allow_pickle=True)``), for files you trust.

Files are written to a temporary file in the target's folder, flushed to
disk and renamed over the target, so a crash never leaves a half-written or
corrupted model behind.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .exceptions import ModelFileError, UnknownOptionError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load", "save"]

FORMAT_NAME = "somnium-model"
FORMAT_VERSION = 1
_META = "somnium.json"
_PICKLE_MAGIC = b"somnium-pickle\n"
_FORMATS = ("somnium", "pickle")


def _atomic_write(path: Path, write) -> None:
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _model_state(model) -> tuple[dict, dict]:
    from . import __version__

    model._require_fitted("save()")
    params = {
        "mapsize": list(model.mapsize) if model.mapsize != "auto" else "auto",
        "lattice": model.lattice,
        "neighborhood": model.neighborhood,
        "normalization": model.normalization,
        "initialization": model.initialization,
        "distance_metric": model.distance_metric,
        "n_jobs": model.n_jobs,
        "mapsize_scale": model.mapsize_scale,
        "random_state": model.random_state if isinstance(model.random_state, (int, type(None))) else None,
        "dtype": model.dtype,
    }
    if callable(model.distance_metric):
        raise ValueError(
            "A model with a callable distance_metric cannot be saved safely; use save(path, format='pickle')."
        )
    normalizer_state = model._normalizer.get_state()
    arrays = {
        "codebook": model._codebook,
        "center": model._center,
    }
    norm_meta = {}
    for key, value in normalizer_state.items():
        if isinstance(value, np.ndarray):
            arrays[f"normalizer.{key}"] = value
        else:
            norm_meta[key] = value
    if getattr(model, "_bmu", None) is not None:
        arrays["bmu"] = model._bmu
    feature_names = getattr(model, "feature_names_in_", None)
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "somnium_version": __version__,
        "params": params,
        "lattice": model.lattice_.to_dict(),
        "n_features_in": int(model.n_features_in_),
        "feature_names_in": [str(n) for n in feature_names] if feature_names is not None else None,
        "normalizer": norm_meta,
        "history": model.history_,
        "n_fit_calls": model._n_fit_calls,
        "final_metrics": model._final,
        "arrays": sorted(arrays),
    }
    return meta, arrays


def save(model, path, format: str = "somnium") -> None:
    """Write a fitted model to ``path`` atomically.

    Parameters
    ----------
    model : SOM
    path : str or Path
        Any file name (``.som``, ``.npz`` or the seed's ``.pkl`` all work).
    format : {"somnium", "pickle"}
        ``"somnium"`` (default) is the safe format; ``"pickle"`` also keeps
        the training data and arbitrary attributes but can only be loaded
        with ``allow_pickle=True``.

    Raises
    ------
    ModelNotTrainedError
        If the model is not fitted.
    """
    if format not in _FORMATS:
        raise UnknownOptionError(f"Unknown format {format!r}. Valid formats: {', '.join(_FORMATS)}.")
    if format == "pickle":
        model._require_fitted("save()")
        _atomic_write(Path(path), lambda h: (h.write(_PICKLE_MAGIC), pickle.dump(model, h, protocol=5)))
        return
    meta, arrays = _model_state(model)

    def write(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_META, json.dumps(meta, allow_nan=True))
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
                archive.writestr(f"{name}.npy", buffer.getvalue())

    _atomic_write(Path(path), write)


def load(path, allow_pickle: bool = False):
    """Load a model written by :func:`save`.

    Parameters
    ----------
    path : str or Path
    allow_pickle : bool, default False
        Needed only for files saved with ``format="pickle"``; never pass it
        for a file you do not trust, since unpickling runs code.

    Returns
    -------
    SOM
        Predicts exactly like the saved model and can keep training.  The
        training data are not stored: metrics that need them take ``X``.

    Raises
    ------
    ModelFileError
        Not a Somnium model, truncated or damaged, or from a newer format version.
    FileNotFoundError
        If ``path`` does not exist.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(len(_PICKLE_MAGIC))
    if head == _PICKLE_MAGIC:
        if not allow_pickle:
            raise ModelFileError(
                f"{path} is a pickled Somnium model; loading it can execute code. If you trust the file, "
                "call SOM.load(path, allow_pickle=True)."
            )
        with open(path, "rb") as handle:
            handle.read(len(_PICKLE_MAGIC))
            return pickle.load(handle)
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not a Somnium model file (not a Somnium archive, or truncated).")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if _META not in names:
                raise ModelFileError(f"{path} is a ZIP archive but not a Somnium model (no {_META}).")
            meta = json.loads(archive.read(_META))
            if meta.get("format") != FORMAT_NAME:
                raise ModelFileError(f"{path} is not a Somnium model (format {meta.get('format')!r}).")
            version = meta.get("format_version")
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise ModelFileError(
                    f"{path} uses model format version {version}, newer than this Somnium supports "
                    f"({FORMAT_VERSION}); upgrade somnium to load it."
                )
            arrays = {}
            for name in meta["arrays"]:
                with archive.open(f"{name}.npy") as entry:
                    arrays[name] = np.lib.format.read_array(io.BytesIO(entry.read()), allow_pickle=False)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError) as error:
        raise ModelFileError(f"{path} is damaged or truncated and cannot be loaded: {error}") from error
    return _restore(meta, arrays)


def _restore(meta, arrays):
    from .core import SOM
    from .lattice import Lattice
    from .normalization import normalizer_from_state

    params = dict(meta["params"])
    if params["mapsize"] != "auto":
        params["mapsize"] = tuple(params["mapsize"])
    model = SOM(**params)
    lattice = meta["lattice"]
    model.lattice_ = Lattice(lattice["rows"], lattice["cols"], lattice["name"])
    model.mapsize_ = (model.lattice_.rows, model.lattice_.cols)
    model.n_features_in_ = meta["n_features_in"]
    if meta.get("feature_names_in") is not None:
        model.feature_names_in_ = np.array(meta["feature_names_in"], dtype=object)
    state = dict(meta["normalizer"])
    prefix = "normalizer."
    state.update({k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)})
    model._normalizer = normalizer_from_state(state)
    model._center = arrays["center"]
    model.history_ = {k: list(v) for k, v in meta["history"].items()}
    model._n_fit_calls = meta["n_fit_calls"]
    model._final = meta.get("final_metrics")
    model._bmu = arrays.get("bmu")
    model._train_data = None
    codebook = arrays["codebook"]
    expected = (model.lattice_.n_nodes, model.n_features_in_)
    if codebook.shape != expected:
        raise ModelFileError(f"Damaged model file: codebook has shape {codebook.shape}, expected {expected}.")
    model._codebook = codebook.astype(np.float64)
    return model
