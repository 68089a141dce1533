"""Model files saved by the original Somnium (ivallesp/somnium), read without running their code.

The original's ``SOM.save`` pickles its ``somnium.core.SOM`` object, which refers to its own
classes (``somnium.codebook.Codebook``, ``somnium.lattice.HexaLattice``, its normalisers and
neighbourhood functions) and to NumPy's array reconstructors.  Somnium's classes of the same names
are different, so a plain ``pickle.load`` fails; and unpickling executes whatever globals a file
names.  Here a restricted unpickler maps exactly those classes to inert stand-ins that only hold
their attributes, NumPy's reconstructors to wrappers that refuse object arrays, and refuses every
other global; then :func:`convert` checks every field and builds Somnium's fitted state: the same
codebook, normalisation, map size, lattice (even rows shifted, the original's convention) and
history, so the converted model predicts and measures as the original did.
"""

from __future__ import annotations

import io
import math
import pickle
import pickletools

import numpy as np

from ._state import HISTORY_KEYS, FittedState, History
from .exceptions import InvalidValuesInDataSet, ModelFileError
from .lattice import LATTICES, Lattice
from .normalization import normalizer_from_state

__all__ = ["convert", "identify", "is_pickle", "read_seed_model"]

#: the original's lattice, normaliser and neighbourhood classes -> Somnium's names
_LATTICE_CLASSES = {
    "HexaLattice": "hexa",
    "RectLattice": "rect",
    "ToroidalHexaLattice": "toroidal_hexa",
    "ToroidalRectLattice": "toroidal_rect",
    "CylindricalHexaLattice": "cylindrical_hexa",
    "CylindricalRectLattice": "cylindrical_rect",
}
_NORMALIZER_CLASSES = {
    "StandardNormalizer": "standard",
    "MinMaxNormalizer": "minmax",
    "LogNormalizer": "log",
    "LogisticNormalizer": "logistic",
    "BoxCox": "boxcox",
}
_NEIGHBORHOOD_CLASSES = {
    "GaussianNeighborhood": "gaussian",
    "BubbleNeighborhood": "bubble",
    "CutGaussianNeighborhood": "cut_gaussian",
    "MexicanHatNeighborhood": "mexican_hat",
    "EpanechicovNeighborhood": "epanechicov",
}
_SEED_CLASSES = {
    ("somnium.core", "SOM"),
    ("somnium.codebook", "Codebook"),
    *(("somnium.lattice", name) for name in _LATTICE_CLASSES),
    *(("somnium.normalization", name) for name in _NORMALIZER_CLASSES),
    *(("somnium.neighborhood", name) for name in _NEIGHBORHOOD_CLASSES),
}
#: the phase name of the epochs trained by the original, in the converted history
SEED_PHASE = "original"
_SCAN_BYTES = 64 * 1024


class _SeedObject:
    """Stand-in for one of the original's objects: its class name and its attributes, nothing else."""

    seed_class = ""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise pickle.UnpicklingError(f"{self.seed_class} has a state of type {type(state).__name__}")
        self.attributes = state

    def get(self, key, default=None):
        return getattr(self, "attributes", {}).get(key, default)


_STAND_INS = {
    key: type(key[1], (_SeedObject,), {"seed_class": key[1], "__module__": __name__}) for key in _SEED_CLASSES
}


class _NdarrayToken:
    """``numpy.ndarray`` as an argument of the array reconstructor only (never called)."""


_NDARRAY = _NdarrayToken()
_ALLOWED_KINDS = "biufc"


def _checked_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind not in _ALLOWED_KINDS or dtype.hasobject:
        raise pickle.UnpicklingError(f"an array of dtype {dtype} is not part of an original Somnium model")
    return dtype


def _dtype(spec, align=False, copy=False):
    return _checked_dtype(np.dtype(spec, align, copy))


def _reconstruct(subtype, shape, dtype):
    if subtype is not _NDARRAY:
        raise pickle.UnpicklingError("only plain NumPy arrays are read from an original Somnium model")
    # The shape and data come from the array's state (BUILD), which ndarray.__setstate__ checks.
    return np.ndarray(shape=(0,), dtype=_checked_dtype(dtype))


def _scalar(dtype, data=None):
    dtype = _checked_dtype(dtype)
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError("a damaged NumPy scalar")
    return np.frombuffer(data, dtype=dtype)[0]


def _frombuffer(buffer, dtype, shape, order):
    dtype = _checked_dtype(dtype)
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order)


def _reconstructor(cls, base, state=None):
    # copyreg._reconstructor, as pickle protocols 0 and 1 use it: only for the stand-ins.
    if (
        not (isinstance(cls, type) and issubclass(cls, _SeedObject))
        or base is not object
        or state is not None
    ):
        raise pickle.UnpicklingError("copyreg._reconstructor is only read for the original's classes")
    return object.__new__(cls)


def _latin1_bytes(text, encoding="latin1"):
    # Protocol 2 has no bytes opcode: it writes bytes as _codecs.encode(text, "latin1").
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError("_codecs.encode is only read for bytes of protocol 2")
    return text.encode("latin1")


_NUMPY = {("_codecs", "encode"): _latin1_bytes}
for _module in ("numpy.core", "numpy._core"):
    _NUMPY[(f"{_module}.multiarray", "_reconstruct")] = _reconstruct
    _NUMPY[(f"{_module}.multiarray", "scalar")] = _scalar
    _NUMPY[(f"{_module}.numeric", "_frombuffer")] = _frombuffer
_NUMPY[("numpy", "ndarray")] = _NDARRAY
_NUMPY[("numpy", "dtype")] = _dtype
_NUMPY[("copyreg", "_reconstructor")] = _reconstructor
_NUMPY[("copy_reg", "_reconstructor")] = _reconstructor
_NUMPY[("builtins", "object")] = object
_NUMPY[("__builtin__", "object")] = object


class _RefusedGlobal(pickle.UnpicklingError):
    def __init__(self, module, name):
        super().__init__(f"{module}.{name}")
        self.module, self.name = module, name


class _SeedUnpickler(pickle.Unpickler):
    """Resolves only the original's classes (to stand-ins) and NumPy's array reconstructors."""

    def find_class(self, module, name):
        key = (module, name)
        if key in _STAND_INS:
            return _STAND_INS[key]
        if key in _NUMPY:
            return _NUMPY[key]
        raise _RefusedGlobal(module, name)

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent references are not part of an original Somnium model")


def _globals(head: bytes) -> list:
    """The globals a pickle's first bytes name, in order, from its opcodes (never executed).

    Only names that are plain strings pushed (or fetched from the memo) just before the opcode are
    resolved; a truncated head ends the scan.
    """
    found, recent, memo = [], [None, None], {}

    def push(value):
        recent[:] = [recent[-1], value]

    try:
        for opcode, arg, _ in pickletools.genops(io.BytesIO(head)):
            name = opcode.name
            if name == "GLOBAL":
                module, _, qualname = str(arg).partition(" ")
                found.append((module, qualname))
                push(None)
            elif name == "STACK_GLOBAL":
                if isinstance(recent[0], str) and isinstance(recent[1], str):
                    found.append((recent[0], recent[1]))
                push(None)
            elif name.endswith("UNICODE"):
                push(arg)
            elif name == "MEMOIZE":
                memo[len(memo)] = recent[-1]
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = recent[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                push(memo.get(arg))
            elif name not in ("FRAME", "PROTO"):
                push(None)
    except Exception:
        pass
    return found


def identify(path) -> str | None:
    """What a pickle holds, from its first opcodes: ``"original"`` (a model saved by the original
    Somnium), ``"somnium"`` (this package's SOM pickled by ``pickle.dump``), or None (anything else)."""
    with open(path, "rb") as handle:
        head = handle.read(_SCAN_BYTES)
    if not is_pickle(head):
        return None
    names = _globals(head)
    if not names or names[0] != ("somnium.core", "SOM"):
        return None
    ours = [key for key in names if key[0].split(".")[0] == "somnium"]
    if all(key in _SEED_CLASSES for key in ours) and any(key[0] == "somnium.neighborhood" for key in ours):
        return "original"
    return "somnium"


def is_pickle(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts a pickle of protocol 2 or later."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def read_seed_model(path, max_bytes: int):
    """Unpickle an original Somnium model with the restricted unpickler; returns the SOM stand-in."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ModelFileError(
            f"{path} holds {size:,} bytes, above the limit of {max_bytes:,} "
            "(somnium.persistence.MAX_TOTAL_BYTES); it was not read."
        )
    data = path.read_bytes()
    # A pass over the opcodes first: every length the pickle declares must lie within the file, so
    # the unpickler never allocates what a damaged or hostile length asks for.
    try:
        for _ in pickletools.genops(io.BytesIO(data)):
            pass
        model = _SeedUnpickler(io.BytesIO(data)).load()
    except _RefusedGlobal as refused:
        if refused.module.split(".")[0] == "somnium":
            raise ModelFileError(
                f"{path} is a pickle that refers to {refused.module}.{refused.name}, which is neither a class "
                "of the original Somnium's models nor read from a pickle by this Somnium. If it is a Somnium "
                "model pickled with pickle.dump, load it with pickle.load (only if you trust it); "
                "model.save(path) then writes Somnium's safe format."
            ) from None
        raise ModelFileError(
            f"{path} is a pickle but not a model saved by the original Somnium: it refers to "
            f"{refused.module}.{refused.name}, which Somnium does not load."
        ) from None
    except MemoryError:
        raise ModelFileError(
            f"{path} declares more data than this machine can hold; it was not loaded."
        ) from None
    except Exception as error:
        raise ModelFileError(
            f"{path} is a damaged pickle and cannot be loaded: {type(error).__name__}: {error}"
        ) from None
    if not isinstance(model, _STAND_INS[("somnium.core", "SOM")]):
        raise ModelFileError(
            f"{path} is a pickle of {type(model).__name__}, not of an original Somnium SOM; it was not loaded."
        )
    return model


# ------------------------------------------------------------------ conversion
def _problem(path, what: str) -> ModelFileError:
    return ModelFileError(f"{path} is a model saved by the original Somnium, but {what}; it was not loaded.")


def _class_name(obj, table, path, what) -> str:
    if not isinstance(obj, _SeedObject) or obj.seed_class not in table:
        raise _problem(path, f"its {what} is not one of the original's")
    return table[obj.seed_class]


def _int(value, path, what) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise _problem(path, f"its {what} is not a positive integer")
    return int(value)


def _vector(value, n, path, what) -> np.ndarray:
    values = np.asarray(value) if isinstance(value, (np.ndarray, list, tuple)) else None
    if values is None or values.dtype.kind not in "iuf" or values.shape != (n,):
        raise _problem(path, f"its {what} is not {n} numbers")
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise _problem(path, f"its {what} holds NaN or infinite values")
    return values


def _normalizer(normalizer, name, n_features, path):
    state = {"name": name, "n_features_in": n_features, "feature_names_in": None}

    def standard(obj, what):
        if not isinstance(obj, _SeedObject):
            raise _problem(path, f"its {what} is missing")
        return {
            "center_": _vector(obj.get("me"), n_features, path, f"{what} mean"),
            "scale_": _vector(obj.get("st"), n_features, path, f"{what} standard deviation"),
        }

    if name == "standard":
        state.update(standard(normalizer, "normalizer"))
    elif name == "minmax":
        state["min_"] = _vector(normalizer.get("min"), n_features, path, "normalizer minimum")
        state["scale_"] = _vector(normalizer.get("range"), n_features, path, "normalizer range")
    elif name == "logistic":
        state.update(standard(normalizer.get("stdsc"), "logistic normalizer"))
    elif name == "boxcox":
        state.update(standard(normalizer.get("stdnorm"), "Box-Cox normalizer"))
        lambdas = normalizer.get("lambdas")
        state["lambda_"] = _vector(
            list(lambdas) if isinstance(lambdas, tuple) else lambdas, n_features, path, "Box-Cox lambdas"
        )
        # The original transforms x itself; Somnium divides by a geometric mean first: 1 is the same map.
        state["geometric_mean_"] = np.ones(n_features)
    if "scale_" in state and not (state["scale_"] > 0).all():
        raise _problem(path, "its normalizer has a zero or negative scale")
    return normalizer_from_state(state)


def _history(spec, path) -> History:
    if spec is None:
        return History()
    if not isinstance(spec, dict):
        raise _problem(path, "its history_ is not a dict")
    columns = {}
    length = None
    for key in HISTORY_KEYS[:3]:
        values = spec.get(key, [])
        if not isinstance(values, list) or not all(
            isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool) for v in values
        ):
            raise _problem(path, f"its history_[{key!r}] is not a list of numbers")
        if length is not None and len(values) != length:
            raise _problem(path, "its history_ columns have different lengths")
        length = len(values)
        columns[key] = [float(v) for v in values]
    length = length or 0
    for key in HISTORY_KEYS[3:]:
        columns.setdefault(key, [math.nan] * length)
    columns["epoch"] = list(range(1, length + 1))
    columns["phase"] = [SEED_PHASE] * length
    return History(columns)


def convert(model, path, max_nodes: int, max_features: int):
    """``(params, FittedState or None)`` of the original model ``model`` (a stand-in from :func:`read_seed_model`)."""
    from . import engine
    from ._training import node_statistics

    neighborhood = _class_name(
        model.get("neighborhood_calculator"), _NEIGHBORHOOD_CLASSES, path, "neighbourhood"
    )
    normalization = _class_name(model.get("normalizer"), _NORMALIZER_CLASSES, path, "normalizer")
    metric = model.get("_distance_metric", model.get("metric", "euclidean"))
    if not isinstance(metric, str):
        raise _problem(path, "its distance metric is not a name")
    n_jobs = model.get("n_jobs")
    initialization = model.get("initialization", "random")
    mapsize = model.get("_mapsize")
    scale = model.get("_mapsize_scale", 5)
    params = {
        "mapsize": "auto" if mapsize == "auto" else None,
        "lattice": model.get("_lattice"),
        "neighborhood": neighborhood,
        "normalization": normalization,
        "initialization": initialization if initialization in ("pca", "random") else "random",
        "distance_metric": metric,
        "n_jobs": int(n_jobs)
        if isinstance(n_jobs, (int, np.integer)) and not isinstance(n_jobs, bool) and n_jobs
        else None,
        "mapsize_scale": float(scale)
        if isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0
        else 5,
        "random_state": None,
        "dtype": "float64",  # the original computes in float64
    }
    codebook = model.get("codebook")
    fitted = codebook is not None and not model.get("model_is_unfitted", True)
    if not fitted:
        if params["mapsize"] is None:
            try:
                params["mapsize"] = tuple(int(v) for v in mapsize)
            except (TypeError, ValueError):
                raise _problem(path, "its mapsize is not a pair of integers") from None
        if params["lattice"] not in LATTICES:
            raise _problem(path, f"its lattice {params['lattice']!r} is unknown")
        return params, None

    if not isinstance(codebook, _SeedObject):
        raise _problem(path, "its codebook is not the original's Codebook")
    lattice_obj = codebook.get("lattice")
    name = _class_name(lattice_obj, _LATTICE_CLASSES, path, "lattice")
    rows = _int(codebook.get("n_rows"), path, "codebook.n_rows")
    cols = _int(codebook.get("n_columns"), path, "codebook.n_columns")
    if rows * cols > max_nodes:
        raise _problem(path, f"its map has {rows * cols:,} nodes, above the limit of {max_nodes:,}")
    matrix = codebook.get("matrix")
    if (
        not isinstance(matrix, np.ndarray)
        or matrix.ndim != 2
        or matrix.dtype.kind not in "iuf"
        or matrix.shape[0] != rows * cols
        or not 1 <= matrix.shape[1] <= max_features
    ):
        raise _problem(path, f"its codebook is not a {rows * cols}-row numeric matrix")
    matrix = np.array(matrix, dtype=np.float64)
    n_features = matrix.shape[1]
    if not np.isfinite(matrix).all():
        raise _problem(path, "its codebook contains NaN or infinite values")
    params["mapsize"] = "auto" if mapsize == "auto" else (rows, cols)
    params["lattice"] = name
    normalizer = _normalizer(model.get("normalizer"), normalization, n_features, path)

    data = model.get("data_norm")
    usable = (
        isinstance(data, np.ndarray)
        and data.ndim == 2
        and data.shape[1] == n_features
        and data.shape[0] >= 1
        and data.dtype.kind in "iuf"
    )
    data = np.array(data, dtype=np.float64) if usable else None
    if data is not None and not np.isfinite(data).all():
        data = None
    center = data.mean(axis=0) if data is not None else matrix.mean(axis=0)
    lattice = Lattice(rows, cols, name)  # even rows shifted: the original's convention
    try:
        # The engine's own bound: prototypes whose squared distances would overflow are refused.
        engine.TrainingData(matrix, center, np.float64, metric)
        training = engine.TrainingData(data, center, np.float64, metric) if data is not None else None
    except InvalidValuesInDataSet:
        raise _problem(path, "its codebook spans values too large for distances to be computed") from None
    history = _history(model.get("history_"), path)
    state = FittedState(
        codebook=matrix,
        center=center,
        lattice=lattice,
        normalizer=normalizer,
        n_features=n_features,
        feature_names=None,
        history=history,
        n_epochs=len(history),
        n_phases=1,
    )
    if training is not None:
        # The original keeps its normalised training rows: one pass gives bmu_ and the stored statistics,
        # so the converted model measures QE, TE and VR on them as the original's calculate_* do.
        stats, bmus = training.statistics(matrix, lattice, with_metrics=True, return_bmus=True)
        state = state.with_training_statistics(bmus, node_statistics(stats, bmus))
    return params, state
