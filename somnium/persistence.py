"""The model file format: a fitted state in, a fitted state out, safely.

A model file is a ZIP archive holding ``somnium.json`` (format name and
version, parameters, lattice, normaliser parameters, history, metrics),
one ``.npy`` entry per array and, optionally, JSON attachments (the named
segments).  Reading never executes code from the file and never trusts it:

- ``somnium.json`` and attachments are read with a cap on the bytes
  inflated (:data:`MAX_META_BYTES`);
- an array member is read header first: its ``.npy`` header must declare a
  plain numeric dtype and exactly the shape the metadata implies, and the
  member's declared size must be that header plus that many bytes, all
  before anything else is inflated; the data are then inflated straight
  into the array, never beyond its size (no zip bombs), within
  :data:`MAX_MEMBER_BYTES` and :data:`MAX_TOTAL_BYTES`;
- duplicate member names are refused;
- every field is checked for type, shape, range and finiteness before use,
  and prototypes whose squared distances would overflow are refused with
  the engine's own bound.

Anything wrong raises :class:`~somnium.exceptions.ModelFileError`.  Pickle is
an explicit opt-in on both sides, for files you trust.  Models saved by the
original Somnium (ivallesp/somnium, whose ``save`` is a pickle) are
recognised; with ``allow_pickle=True`` they are converted through a
restricted unpickler (:mod:`somnium._seed_files`).

Files are written to a temporary file in the target's folder, flushed to
disk and renamed over the target, so a crash never leaves a half-written
model.  The same model saved twice gives identical bytes (fixed ZIP
timestamps).  Attachments are never lost on a save: a model remembers the
ones of the file it was loaded from (or last saved to) and writes them
again unless ``save(..., segments=...)`` replaces them.

Format versions: 2 adds the per-node statistics of the training data (hits,
per-node error, whole-data metrics), so a loaded model draws every plot
without the data; 3 stores which rows of a hexagonal map are shifted
(``lattice.shifted_rows``: ``"even"``, as in the original Somnium).  Files
of versions 1 and 2 were written when Somnium shifted the odd rows: they
load with ``shifted_rows="odd"``, so a loaded model predicts, draws and
measures exactly as it did.  4 stores the parameters ``missing``,
``categorical`` and ``feature_weights`` and, for a model with categorical
columns, its table encoder (``encoder``: the table's columns, each one's
categories and block scale; ``n_features_in`` then counts the codebook's
columns and ``feature_names_in`` names the table's; older files load with
those parameters at their defaults), and what anomaly scores need of the
training rows: per node the sums of their BMU distances and squared
distances, and the distances' distribution (the sketch, and the exact
quantiles on a grid for in-memory fits; :mod:`somnium._distances`).  Older
files load without them: ``bmu_distance`` and ``drift`` work,
``anomaly_threshold`` and ``relative=True`` ask for a refit or the
training rows.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

from . import _seed_files, engine
from ._distances import RELATIVE_ACCURACY, SKETCH_INDICES, DistanceDistribution, DistanceSketch
from ._encoding import TableEncoder
from ._params import PARAMS, check_params
from ._state import HISTORY_KEYS, FittedState, History, NodeStatistics, committed_state
from ._validation import CATEGORICAL_OPTIONS, MAX_NODES, MISSING_OPTIONS, check_option
from .exceptions import InvalidValuesInDataSet, ModelFileError, warn
from .lattice import LATTICES, SHIFTED_ROWS, Lattice
from .metrics import HISTORY_METRICS
from .normalization import NORMALIZATIONS, normalizer_from_state

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_MEMBER_BYTES",
    "MAX_META_BYTES",
    "MAX_TOTAL_BYTES",
    "load_model",
    "read_attachment",
    "read_model",
    "save_model",
    "write_model",
    "write_pickle",
]

FORMAT_NAME = "somnium-model"
FORMAT_VERSION = 4
#: The first format that stores ``lattice.shifted_rows``; older files shifted the odd rows.
_SHIFTED_ROWS_VERSION = 3
#: The first format that stores the training rows' distances (per node, and their distribution).
_DISTANCES_VERSION = 4
#: Longest quantile grid a file may hold.
_MAX_GRID = 100_000
#: Largest ``somnium.json`` read (bytes).
MAX_META_BYTES = 64 * 2**20
#: Largest single array member read (bytes, uncompressed): a 1M-node x 256-feature float64 codebook is 2 GiB.
MAX_MEMBER_BYTES = 4 * 2**30
#: Largest total of uncompressed bytes read from one file.
MAX_TOTAL_BYTES = 8 * 2**30
#: Largest feature count a file may describe.
MAX_FEATURES = 1_000_000
_META = "somnium.json"
_ATTACHMENT_PREFIX = "attachments/"
_PICKLE_MAGIC = b"somnium-pickle\n"
#: Every member is dated the earliest ZIP date, so the same model gives the same bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ATTACHMENT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_MAX_ATTACHMENTS = 64
#: Where a model keeps the attachments of the file it was loaded from or last saved to.
_REMEMBERED = "_file_attachments"
_READ_CHUNK = 2**20


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


# ------------------------------------------------------------------ writing
def write_model(path, params: dict, state: FittedState, format: str = "somnium", attachments=None) -> None:
    """Write ``state`` (with the estimator's ``params``) to ``path`` atomically.

    ``attachments`` maps a name to JSON text stored beside the model (``<name>.json``, e.g. the
    named segments); :func:`read_attachment` reads one back, bounded.
    """
    from . import __version__

    check_option(format, ("somnium", "pickle"), "format")
    if callable(params.get("distance_metric")):
        raise ValueError(
            "A model with a callable distance_metric cannot be saved safely; use save(path, format='pickle')."
        )
    params = dict(params)
    params["mapsize"] = list(params["mapsize"]) if params["mapsize"] != "auto" else "auto"
    if not isinstance(params.get("random_state"), (int, type(None))) or isinstance(
        params["random_state"], bool
    ):
        params["random_state"] = None
    if isinstance(params.get("feature_weights"), tuple):
        params["feature_weights"] = list(params["feature_weights"])
    arrays = {"codebook": state.codebook, "center": state.center}
    norm_meta = {}
    for key, value in state.normalizer.get_state().items():
        if isinstance(value, np.ndarray):
            arrays[f"normalizer.{key}"] = value
        else:
            norm_meta[key] = value
    if state.bmu is not None:
        arrays["bmu"] = np.asarray(state.bmu, dtype=np.int64)
    nodes = None
    if state.nodes is not None:
        arrays["nodes.hits"] = state.nodes.hits
        arrays["nodes.abs_error"] = state.nodes.abs_error
        nodes = {"n_rows": int(state.nodes.n_rows), "metrics": state.nodes.metrics}
        if state.nodes.sq_distance is not None and state.nodes.distance is not None:
            arrays["nodes.distance"] = state.nodes.distance
            arrays["nodes.sq_distance"] = state.nodes.sq_distance
        nodes["distances"] = _distances_meta(state.nodes.distances, arrays)
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "somnium_version": __version__,
        "params": params,
        "lattice": state.lattice.to_dict(),
        "n_features_in": int(state.n_features),
        "feature_names_in": list(state.feature_names) if state.feature_names is not None else None,
        "normalizer": norm_meta,
        "history": state.history_dict(),
        "n_fit_calls": int(state.n_phases),
        "nodes": nodes,
        "encoder": state.encoder.to_dict() if state.encoder is not None else None,
        "arrays": sorted(arrays),
    }

    def write(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_member(_META), json.dumps(meta, allow_nan=True))
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
                archive.writestr(_member(f"{name}.npy"), buffer.getvalue())
            for name, text in (attachments or {}).items():
                archive.writestr(_member(f"{_ATTACHMENT_PREFIX}{name}.json"), text)

    _atomic_write(Path(path), write)


def _distances_meta(distribution, arrays: dict) -> dict | None:
    """The distance distribution's scalars for the metadata; its arrays go into ``arrays``."""
    if distribution is None:
        return None
    arrays["distances.sketch"] = np.asarray(distribution.sketch.counts, dtype=np.int64)
    if distribution.quantiles is not None:
        arrays["distances.grid"] = distribution.grid
        arrays["distances.quantiles"] = distribution.quantiles
        arrays["distances.relative_quantiles"] = distribution.relative_quantiles
    return {
        "relative_accuracy": RELATIVE_ACCURACY,
        "sketch_offset": int(distribution.sketch.offset),
        "sketch_buckets": int(distribution.sketch.counts.size),
        "sketch_zeros": int(distribution.sketch.zeros),
        "grid_size": None if distribution.quantiles is None else int(distribution.grid.size),
    }


def _member(name: str) -> zipfile.ZipInfo:
    """A member entry whose bytes depend on nothing but its name (no clock, no platform)."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def save_model(model, path, format: str = "somnium", segments=None) -> None:
    """``SOM.save``: write ``model`` with its attachments, losing none of them.

    The attachments written are those the model remembers (of the file it was
    loaded from or last saved to), with ``segments`` replacing the remembered
    segments; each is checked to load back with this model before anything is
    written.  Pickle files hold the model object only, so ``segments=`` is
    refused with ``format="pickle"`` (the remembered attachments travel inside
    the pickled model).

    Raises
    ------
    TypeError
        If ``segments`` is not a :class:`~somnium.segments.Segments`.
    ValueError
        If the segments (given or remembered) would not load back with this model,
        or are given with ``format="pickle"``.
    """
    from .segments import Segments

    state = committed_state(model, "save()")
    check_option(format, ("somnium", "pickle"), "format")
    if segments is not None and not isinstance(segments, Segments):
        raise TypeError(
            f"segments= must be a somnium.segments.Segments (e.g. Segments.from_dict(model, data)), "
            f"got {type(segments).__name__}."
        )
    if format == "pickle":
        if segments is not None:
            raise ValueError(
                "A pickle file holds the model object only, so it cannot carry segments=. Save them in "
                "the model file with model.save(path, segments=...) (the default format), or on their own "
                "with segments.save('segments.json')."
            )
        write_pickle(path, model)
        return
    attachments = dict(remembered_attachments(model))
    if segments is not None:
        attachments["segments"] = _segments_text(model, segments)
    elif "segments" in attachments:
        try:
            Segments.from_json(model, attachments["segments"])
        except ValueError as error:
            raise ValueError(
                f"The segments this model was loaded with no longer fit it ({error}) Pass "
                "segments=... to replace them, or segments=Segments(model) to save none."
            ) from None
    # The checked forms: plain numbers, and a neighbourhood alias under the seed's name every version reads.
    write_model(path, check_params(model.get_params()), state, format=format, attachments=attachments)
    model.__dict__[_REMEMBERED] = attachments


def _segments_text(model, segments) -> str:
    """The segments' JSON, checked to load back with ``model`` (so a saved file never holds refused segments)."""
    from .segments import Segments

    text = segments.to_json()
    try:
        Segments.from_json(model, text)
    except ValueError as error:
        raise ValueError(f"These segments cannot be saved with this model: {error}") from None
    return text


def remembered_attachments(model) -> dict:
    """The attachments ``model`` keeps from the file it was loaded from or last saved to (name -> JSON)."""
    remembered = model.__dict__.get(_REMEMBERED)
    return dict(remembered) if isinstance(remembered, dict) else {}


def load_model(cls, path, allow_pickle: bool = False):
    """``SOM.load``: the model in ``path``, remembering the file's attachments (see :func:`save_model`)."""
    loaded = _read(path, allow_pickle)
    if not isinstance(loaded, tuple):
        if not isinstance(loaded, cls):
            raise ModelFileError(f"{path} holds a pickled {type(loaded).__name__}, not a {cls.__name__}.")
        return loaded
    params, state, attachments = loaded
    try:
        model = cls(**params)
    except (ValueError, TypeError) as error:
        raise ModelFileError(f"{path} holds invalid model parameters: {error}") from None
    model._state = state
    if attachments:
        model.__dict__[_REMEMBERED] = attachments
    return model


def read_attachment(path, name: str, limit: int = MAX_META_BYTES) -> str | None:
    """The JSON text attached to a model file under ``name`` (None if there is none), at most ``limit`` bytes."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not a Somnium model file.")
    try:
        with zipfile.ZipFile(path) as archive:
            reader = _ArchiveReader(archive, path)
            member = f"{_ATTACHMENT_PREFIX}{name}.json"
            if member not in reader.infos:
                return None
            return reader.read(member, limit).decode("utf-8")
    except ModelFileError:
        raise
    except Exception as error:
        raise ModelFileError(f"{path} is damaged: {type(error).__name__}: {error}") from None


def write_pickle(path, model) -> None:
    """Pickle ``model`` (loadable only with ``allow_pickle=True``)."""
    _atomic_write(Path(path), lambda h: (h.write(_PICKLE_MAGIC), pickle.dump(model, h, protocol=5)))


# ------------------------------------------------------------------ reading
def read_model(path, allow_pickle: bool = False):
    """Read a model file.

    Returns
    -------
    (params, FittedState)
        For the safe format and for a converted original Somnium model (whose
        state is None when it was saved unfitted); or the unpickled model for a
        Somnium pickle file opened with ``allow_pickle=True``.

    Raises
    ------
    ModelFileError
        Not a Somnium model, damaged, too large, from a newer format version,
        or a pickle opened without ``allow_pickle=True``.
    FileNotFoundError
        If ``path`` does not exist.
    """
    loaded = _read(path, allow_pickle)
    return loaded[:2] if isinstance(loaded, tuple) else loaded


def _read(path, allow_pickle: bool):
    """``(params, state, attachments)``, or the object of a Somnium pickle."""
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
    if _seed_files.is_pickle(head):
        return _read_seed_model(path, allow_pickle)
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not a Somnium model file (not a Somnium archive, or truncated).")
    try:
        with zipfile.ZipFile(path) as archive:
            reader = _ArchiveReader(archive, path)
            meta = reader.meta()
            params, state = _restore(meta, reader, path)
            return params, state, reader.attachments()
    except ModelFileError:
        raise
    except MemoryError:
        raise ModelFileError(
            f"{path} declares more data than this machine can hold; it was not loaded."
        ) from None
    except Exception as error:  # anything else a damaged file can provoke
        raise ModelFileError(
            f"{path} is damaged and cannot be loaded: {type(error).__name__}: {error}"
        ) from None


def _read_seed_model(path, allow_pickle: bool):
    """A pickle without Somnium's header: a model saved by the original Somnium is converted (with
    ``allow_pickle=True``); a SOM of this package pickled by ``pickle.dump`` is unpickled (likewise)."""
    kind = _seed_files.identify(path)
    if kind is None:
        raise ModelFileError(
            f"{path} is a pickle, not a Somnium model file (nor a model saved by the original Somnium); "
            "Somnium does not unpickle it."
        )
    if kind == "somnium":
        if not allow_pickle:
            raise ModelFileError(
                f"{path} is a Somnium model pickled with pickle.dump (not with model.save); loading it can "
                "execute code. If you trust the file, call SOM.load(path, allow_pickle=True); "
                "model.save(new_path) then writes Somnium's safe format."
            )
        with open(path, "rb") as handle:
            return pickle.load(handle)
    if not allow_pickle:
        raise ModelFileError(
            f"{path} is a model saved by the original Somnium (ivallesp/somnium), whose save() writes a "
            "pickle. Somnium converts it with SOM.load(path, allow_pickle=True) (only for a file you trust: "
            "a pickle is not a safe format); then model.save(new_path) writes it in Somnium's format, which "
            "loads without allow_pickle."
        )
    warn(
        f"{path} is a model saved by the original Somnium (a pickle), converted to a Somnium model: "
        "its codebook, normalisation, map and lattice (even rows shifted, as the original) and history. "
        "Only load pickles you trust; model.save(new_path) writes Somnium's format, which needs no "
        "allow_pickle.",
        UserWarning,
    )
    stand_in = _seed_files.read_seed_model(path, MAX_TOTAL_BYTES)
    params, state = _seed_files.convert(stand_in, path, MAX_NODES, MAX_FEATURES)
    return params, state, {}


class _ArchiveReader:
    """Bounded, validated reads from one model archive."""

    def __init__(self, archive: zipfile.ZipFile, path):
        self.archive = archive
        self.path = path
        self.total = 0
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise ModelFileError(f"{path} is damaged: it repeats a member name.")
        self.infos = {info.filename: info for info in infos}

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self.infos.get(name)
        if info is None:
            raise ModelFileError(f"{self.path} is damaged: member {name!r} is missing.")
        return info

    def _reserve(self, name: str, size: int, limit: int) -> None:
        """Count ``size`` bytes against ``limit`` and the file's total before any of them is inflated."""
        if size > limit or self.total + size > MAX_TOTAL_BYTES:
            raise ModelFileError(
                f"{self.path}: member {name!r} declares {size:,} bytes, above the limit of "
                f"{min(limit, MAX_TOTAL_BYTES - self.total):,} (somnium.persistence.MAX_MEMBER_BYTES / "
                "MAX_TOTAL_BYTES); it was not read."
            )
        self.total += size

    def read(self, name: str, limit: int) -> bytes:
        """A whole member (JSON text), inflating at most its declared size (itself at most ``limit``)."""
        info = self._info(name)
        self._reserve(name, info.file_size, limit)
        with self.archive.open(info) as entry:
            data = entry.read(info.file_size + 1)  # never more than declared (+1 to catch a lying header)
        if len(data) != info.file_size:
            raise ModelFileError(f"{self.path} is damaged: member {name!r} does not have its declared size.")
        return data

    def meta(self) -> dict:
        if _META not in self.infos:
            raise ModelFileError(f"{self.path} is a ZIP archive but not a Somnium model (no {_META}).")
        text = self.read(_META, MAX_META_BYTES)
        meta = json.loads(text)
        _expect(isinstance(meta, dict), "somnium.json is not an object")
        if meta.get("format") != FORMAT_NAME:
            raise ModelFileError(f"{self.path} is not a Somnium model (format {meta.get('format')!r}).")
        version = meta.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ModelFileError(f"{self.path} has an invalid format version {version!r}.")
        if version > FORMAT_VERSION:
            raise ModelFileError(
                f"{self.path} uses model format version {version}, newer than this Somnium supports "
                f"({FORMAT_VERSION}); upgrade somnium to load it."
            )
        return meta

    def array(self, name: str, shape: tuple, kinds: str = "f") -> np.ndarray:
        """The ``.npy`` member ``name``: exactly ``shape`` (a ``None`` length is read from the header) and a
        dtype of one of ``kinds``.

        The header is parsed from the stream and checked, with the member's declared size, before any
        data are inflated; the data are then inflated into the array itself, at most its size.
        """
        member = f"{name}.npy"
        info = self._info(member)
        with self.archive.open(info) as entry:
            file_shape, fortran, dtype = _npy_header(entry, name)
            _expect(
                dtype.kind in kinds and dtype.itemsize in (1, 2, 4, 8) and not dtype.hasobject,
                f"{name}: dtype {dtype} is not allowed here",
            )
            _expect(
                len(file_shape) == len(shape)
                and all(want is None or want == got for want, got in zip(shape, file_shape)),
                f"{name}: shape {tuple(file_shape)}, expected {tuple('n' if v is None else v for v in shape)}",
            )
            count = math.prod(file_shape)
            _expect(count * dtype.itemsize <= MAX_MEMBER_BYTES, f"{name} is too large")
            header_size = entry.tell()
            nbytes = count * dtype.itemsize
            _expect(info.file_size == header_size + nbytes, f"{name}: size does not match its header")
            self._reserve(member, info.file_size, MAX_MEMBER_BYTES)
            values = np.empty(count, dtype=dtype)
            view = memoryview(values).cast("B")
            done = 0
            while done < nbytes:
                chunk = entry.read(min(_READ_CHUNK, nbytes - done))
                _expect(len(chunk) > 0, f"{name}: the data end before its declared size")
                view[done : done + len(chunk)] = chunk
                done += len(chunk)
            _expect(entry.read(1) == b"", f"{name}: more data than its header declares")
        values = values.reshape(file_shape, order="F" if fortran else "C")
        return np.ascontiguousarray(values, dtype=np.float64 if kinds == "f" else np.int64)

    def attachments(self) -> dict:
        """Every attachment member, verbatim (name -> bytes), each at most :data:`MAX_META_BYTES`."""
        found = {}
        for member in self.infos:
            if not (member.startswith(_ATTACHMENT_PREFIX) and member.endswith(".json")):
                continue
            name = member[len(_ATTACHMENT_PREFIX) : -len(".json")]
            if _ATTACHMENT_NAME.fullmatch(name) and len(found) < _MAX_ATTACHMENTS:
                found[name] = self.read(member, MAX_META_BYTES)
        return found


def _npy_header(stream, name: str):
    """``(shape, fortran_order, dtype)`` of a ``.npy`` stream, its header at most 10 kB."""
    version = np.lib.format.read_magic(stream)
    _expect(version in ((1, 0), (2, 0), (3, 0)), f"{name}: unknown .npy version {version}")
    read_header = (
        np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    )
    return read_header(stream, max_header_size=10_000)


def _expect(condition: bool, problem: str) -> None:
    if not condition:
        raise ModelFileError(f"Damaged model file: {problem}.")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(values: np.ndarray, name: str) -> np.ndarray:
    _expect(bool(np.isfinite(values).all()), f"{name} contains NaN or infinite values")
    return values


def _restore(meta: dict, reader: _ArchiveReader, path) -> tuple[dict, FittedState]:
    params = _params(meta.get("params"))
    lattice = _lattice(meta.get("lattice"), meta["format_version"])
    n_features = meta.get("n_features_in")
    _expect(_is_int(n_features) and 1 <= n_features <= MAX_FEATURES, "n_features_in is not a valid count")
    _expect(lattice.n_nodes * n_features <= MAX_MEMBER_BYTES // 8, "the codebook would be too large")
    names = meta.get("feature_names_in")
    if names is not None:
        _expect(
            isinstance(names, list) and all(isinstance(n, str) for n in names),
            "feature_names_in must be a list of n_features_in strings",
        )
        _expect(len(set(names)) == len(names), "feature_names_in has duplicates")
        names = tuple(names)
    encoder = None
    if meta.get("encoder") is not None:
        encoder = TableEncoder.from_dict(meta["encoder"])
        _expect(names == encoder.columns, "feature_names_in are not the encoder's columns")
        _expect(n_features == encoder.n_encoded, "n_features_in does not count the encoder's columns")
    elif names is not None:
        _expect(len(names) == n_features, "feature_names_in must be a list of n_features_in strings")
    listed = meta.get("arrays")
    _expect(isinstance(listed, list) and all(isinstance(a, str) for a in listed), "the array list is invalid")
    _expect(len(set(listed)) == len(listed), "the array list repeats a name")

    codebook = _finite(reader.array("codebook", (lattice.n_nodes, n_features)), "codebook")
    center = _finite(reader.array("center", (n_features,)), "center")
    try:
        # The engine's own bound: finite prototypes whose squared distances overflow are refused.
        engine.TrainingData(codebook, center, np.float64)
    except InvalidValuesInDataSet:
        _expect(False, "the codebook spans values too large for distances to be computed without overflow")
    n_numeric = n_features if encoder is None else len(encoder.numeric)
    normalizer = _normalizer(meta.get("normalizer"), reader, listed, n_numeric, names, params)
    history, n_epochs = _history(meta.get("history"))
    n_phases = meta.get("n_fit_calls")
    _expect(_is_int(n_phases) and n_phases >= 0, "n_fit_calls is not a count")

    bmu = None
    if "bmu" in listed:
        # Its length is the metadata's row count (format 2 on), else the header's (bounded when read).
        spec = meta.get("nodes")
        n_rows = spec.get("n_rows") if isinstance(spec, dict) and _is_int(spec.get("n_rows")) else None
        bmu = reader.array("bmu", (n_rows,), kinds="iu")
        _expect(bool(((bmu >= 0) & (bmu < lattice.n_nodes)).all()), "bmu holds node indices out of range")
    nodes = _nodes(meta, reader, listed, lattice.n_nodes, bmu)
    state = FittedState(
        codebook=codebook,
        center=center,
        lattice=lattice,
        normalizer=normalizer,
        n_features=n_features,
        feature_names=names,
        history=history,
        n_epochs=n_epochs,
        n_phases=n_phases,
        bmu=bmu,
        nodes=nodes,
        encoder=encoder,
    )
    return params, state


def _params(params) -> dict:
    _expect(isinstance(params, dict), "params is not an object")
    params = {key: params[key] for key in PARAMS if key in params}
    mapsize = params.get("mapsize", "auto")
    if mapsize != "auto":
        _expect(
            isinstance(mapsize, list) and len(mapsize) == 2 and all(_is_int(v) and v > 0 for v in mapsize),
            "params.mapsize is invalid",
        )
        params["mapsize"] = tuple(mapsize)
    _expect(params.get("lattice") in LATTICES, "params.lattice is unknown")
    _expect(params.get("normalization") in NORMALIZATIONS, "params.normalization is unknown")
    for key in ("neighborhood", "initialization", "distance_metric", "dtype"):
        _expect(isinstance(params.get(key), str), f"params.{key} is not a name")
    n_jobs = params.get("n_jobs")
    _expect(n_jobs is None or (_is_int(n_jobs) and n_jobs != 0), "params.n_jobs is invalid")
    random_state = params.get("random_state")
    _expect(random_state is None or _is_int(random_state), "params.random_state is invalid")
    _expect(params.get("missing", "error") in MISSING_OPTIONS, "params.missing is unknown")
    _expect(params.get("categorical", "error") in CATEGORICAL_OPTIONS, "params.categorical is unknown")
    weights = params.get("feature_weights")
    if isinstance(weights, dict):
        _expect(all(_is_number(v) for v in weights.values()), "params.feature_weights holds non-numbers")
    else:
        _expect(
            weights is None or (isinstance(weights, list) and all(_is_number(v) for v in weights)),
            "params.feature_weights is invalid",
        )
    scale = params.get("mapsize_scale", 5)
    _expect(
        isinstance(scale, (int, float)) and not isinstance(scale, bool), "params.mapsize_scale is invalid"
    )
    return params


def _lattice(spec, version: int) -> Lattice:
    _expect(isinstance(spec, dict), "lattice is not an object")
    rows, cols, name = spec.get("rows"), spec.get("cols"), spec.get("name")
    _expect(_is_int(rows) and _is_int(cols) and rows > 0 and cols > 0, "lattice rows/cols are invalid")
    _expect(rows * cols <= MAX_NODES, f"the map has {rows * cols:,} nodes, above the limit of {MAX_NODES:,}")
    _expect(name in LATTICES, f"lattice name {name!r} is unknown")
    if version < _SHIFTED_ROWS_VERSION:
        # Written when Somnium shifted the odd rows of hexagonal maps: keep that geometry.
        _expect("shifted_rows" not in spec, "lattice.shifted_rows is not part of this format version")
        shifted_rows = "odd"
    else:
        shifted_rows = spec.get("shifted_rows", None if LATTICES[name][0] == "hexa" else "even")
        _expect(
            shifted_rows in SHIFTED_ROWS,
            f"lattice.shifted_rows {shifted_rows!r} is not one of {SHIFTED_ROWS}",
        )
    with warnings.catch_warnings():
        # An odd-row hexagonal torus warns when it is made; it was accepted when the model was trained.
        warnings.simplefilter("ignore", RuntimeWarning)
        return Lattice(rows, cols, name, shifted_rows=shifted_rows)


def _normalizer(spec, reader, listed, n_features, names, params):
    _expect(isinstance(spec, dict), "normalizer is not an object")
    state = dict(spec)
    _expect(
        state.get("name") == params["normalization"], "the normalizer does not match params.normalization"
    )
    prefix = "normalizer."
    for member in listed:
        if member.startswith(prefix):
            key = member[len(prefix) :]
            state[key] = _finite(reader.array(member, (n_features,)), member)
    normalizer = normalizer_from_state(state)
    _expect(
        getattr(normalizer, "n_features_in_", None) == n_features, "the normalizer's feature count differs"
    )
    scale = getattr(normalizer, "scale_", None)
    if scale is not None:
        _expect(bool((np.asarray(scale) > 0).all()), "the normalizer has a zero or negative scale")
    return normalizer


def _history(spec) -> tuple[History, int]:
    _expect(isinstance(spec, dict), "history is not an object")
    columns = {}
    length = None
    for key in HISTORY_KEYS:
        values = spec.get(key, None)
        _expect(isinstance(values, list), f"history.{key} is missing or not a list")
        length = len(values) if length is None else length
        _expect(len(values) == length, "history columns have different lengths")
        if key == "phase":
            _expect(all(isinstance(v, str) for v in values), "history.phase holds non-strings")
        elif key == "epoch":
            _expect(values == list(range(1, length + 1)), "history.epoch is not 1..n")
        else:
            _expect(
                all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values),
                f"history.{key} holds non-numbers",
            )
            values = [float(v) for v in values]
        columns[key] = values
    return History(columns), length or 0


def _nodes(meta, reader, listed, n_nodes, bmu) -> NodeStatistics | None:
    spec = meta.get("nodes")
    if spec is None:
        # Format 1: only the BMUs (when saved) and the whole-data metrics.
        final = meta.get("final_metrics")
        if bmu is None or not isinstance(final, dict):
            return None
        metrics = _metrics(final)
        metrics.setdefault("mean_bmu_distance", math.nan)
        hits = np.bincount(bmu, minlength=n_nodes).astype(np.float64)
        return NodeStatistics(hits=hits, abs_error=np.full(n_nodes, np.nan), metrics=metrics, n_rows=len(bmu))
    _expect(isinstance(spec, dict), "nodes is not an object")
    _expect("nodes.hits" in listed and "nodes.abs_error" in listed, "the per-node statistics are incomplete")
    n_rows = spec.get("n_rows")
    _expect(_is_int(n_rows) and n_rows >= 0, "nodes.n_rows is not a count")
    hits = _finite(reader.array("nodes.hits", (n_nodes,)), "nodes.hits")
    _expect(bool((hits >= 0).all()) and abs(hits.sum() - n_rows) < 0.5, "nodes.hits do not add up to n_rows")
    abs_error = _finite(reader.array("nodes.abs_error", (n_nodes,)), "nodes.abs_error")
    _expect(bool((abs_error >= 0).all()), "nodes.abs_error holds negative values")
    if bmu is not None:
        _expect(len(bmu) == n_rows, "bmu and nodes.n_rows disagree")
    distance = sq_distance = distribution = None
    if meta["format_version"] >= _DISTANCES_VERSION:
        if "nodes.sq_distance" in listed or "nodes.distance" in listed:
            distance = _finite(reader.array("nodes.distance", (n_nodes,)), "nodes.distance")
            sq_distance = _finite(reader.array("nodes.sq_distance", (n_nodes,)), "nodes.sq_distance")
            _expect(
                bool((distance >= 0).all() and (sq_distance >= 0).all()),
                "nodes.distance holds negative values",
            )
            _expect(bool((distance[hits == 0] == 0).all()), "nodes.distance is not zero on empty nodes")
        distribution = _distribution(spec.get("distances"), reader, listed, n_rows)
    else:
        _expect("distances" not in spec, "nodes.distances is not part of this format version")
    return NodeStatistics(
        hits=hits,
        abs_error=abs_error,
        metrics=_metrics(spec.get("metrics")),
        n_rows=n_rows,
        distance=distance,
        sq_distance=sq_distance,
        distances=distribution,
    )


def _distribution(spec, reader, listed, n_rows) -> DistanceDistribution | None:
    """The training rows' distance distribution (format 4), every field checked."""
    if spec is None:
        return None
    _expect(isinstance(spec, dict), "nodes.distances is not an object")
    _expect(spec.get("relative_accuracy") == RELATIVE_ACCURACY, "the distance sketch has another accuracy")
    offset, buckets, zeros = (spec.get(key) for key in ("sketch_offset", "sketch_buckets", "sketch_zeros"))
    _expect(
        all(_is_int(v) for v in (offset, buckets, zeros)) and buckets >= 0 and zeros >= 0,
        "the distance sketch's offset, buckets or zeros are not counts",
    )
    _expect(
        SKETCH_INDICES[0] <= offset and offset + buckets - 1 <= SKETCH_INDICES[1],
        "the distance sketch spans buckets out of range",
    )
    _expect("distances.sketch" in listed, "the distance sketch is missing")
    counts = reader.array("distances.sketch", (buckets,), "iu")
    _expect(bool((counts >= 0).all()) and int(counts.sum()) + zeros == n_rows, "the distance sketch's counts")
    sketch = DistanceSketch(offset, counts, zeros)
    names = ("distances.grid", "distances.quantiles", "distances.relative_quantiles")
    size = spec.get("grid_size")
    if size is None:
        _expect(not any(name in listed for name in names), "distance quantiles without a grid_size")
        return DistanceDistribution(sketch)
    _expect(_is_int(size) and 2 <= size <= _MAX_GRID, "distances.grid_size is not a valid size")
    _expect(all(name in listed for name in names), "the distance quantiles are incomplete")
    grid = _finite(reader.array("distances.grid", (size,)), "distances.grid")
    _expect(
        grid[0] == 0 and grid[-1] == 1 and bool((np.diff(grid) > 0).all()),
        "distances.grid is not an increasing grid from 0 to 1",
    )
    quantiles = []
    for name in names[1:]:
        values = _finite(reader.array(name, (size,)), name)
        _expect(
            bool((values >= 0).all() and (np.diff(values) >= 0).all()), f"{name} are not sorted distances"
        )
        quantiles.append(values)
    return DistanceDistribution(sketch, *quantiles, grid=grid)


def _metrics(spec) -> dict:
    _expect(isinstance(spec, dict), "the stored metrics are not an object")
    metrics = {}
    for key in (*HISTORY_METRICS, "mean_bmu_distance"):
        value = spec.get(key, math.nan)
        _expect(
            isinstance(value, (int, float)) and not isinstance(value, bool), f"metric {key} is not a number"
        )
        metrics[key] = float(value)
    return metrics
