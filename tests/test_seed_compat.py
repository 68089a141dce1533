"""The original project's public usage runs unchanged (its README blocks, notebook calls and keyword names)."""

import matplotlib

matplotlib.use("Agg")

import io
import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.spatial.distance
import scipy.stats
from matplotlib import pyplot as plt

from somnium.core import SOM
from somnium.exceptions import ModelFileError
from somnium.lattice import Lattice
from tests.support.reference import original_neighbor_sets

rng = np.random.default_rng(0)
data = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
new_data = data.iloc[:10]


def test_the_seed_readme_quick_start_runs_verbatim():
    model = SOM(
        mapsize="auto",  # or (15, 10); auto estimates from data
        lattice="hexa",  # "hexa", "rect", "toroidal_hexa", "toroidal_rect",
        # "cylindrical_hexa", "cylindrical_rect"
        neighborhood="gaussian",  # "gaussian", "bubble", "cut_gaussian", "mexican_hat",
        # "epanechicov"
        normalization="standard",  # "standard", "minmax", "log", "logistic", "boxcox"
        initialization="pca",  # "pca" or "random"
        distance_metric="euclidean",  # any scipy distance metric
        n_jobs=1,  # -1 for all cores
    )
    model.fit_auto(data)
    for value in (
        model.calculate_quantization_error(),
        model.calculate_topographic_error(),
        model.calculate_vacancy_rate(),
    ):
        assert np.isfinite(value)
    bmus = model.predict(new_data)
    assert bmus.shape == (10,)


def test_the_seed_readme_batch_and_online_blocks_run_verbatim():
    model = SOM(mapsize=(8, 6))
    model.fit(
        data,
        epochs=30,
        radiusin=20,
        radiusfin=5,
        decay="linear",  # "linear" or "exponential"
        learning_rate=1.0,  # <1.0 blends old and new codebook for smoother updates
        subsample_ratio=1.0,  # <1.0 for stochastic subsampling each epoch
        collect_history=True,  # track QE, TE, VR per epoch
    )
    model.fit_online(
        data,
        epochs=3,
        radiusin=20,
        radiusfin=5,
        learning_rate_init=0.1,
        learning_rate_fin=0.01,
        decay="linear",
        collect_history=True,
    )
    for key in ("quantization_error", "topographic_error", "vacancy_rate"):
        assert len(model.history_[key]) == 33


def test_history_keys_start_with_the_three_seed_metrics_in_order():
    # the original notebook zips history_.keys() with three titles
    model = SOM(mapsize=(4, 4)).fit(data, epochs=2, collect_history=True)
    assert list(model.history_)[:3] == ["quantization_error", "topographic_error", "vacancy_rate"]


def test_te_history_matches_model_te():
    model = SOM(mapsize=(5, 5), random_state=0).fit(data, epochs=4, collect_history=True)
    assert model.history_["topographic_error"][-1] == pytest.approx(model.calculate_topographic_error())
    assert model.history_["quantization_error"][-1] == pytest.approx(model.calculate_quantization_error())
    assert model.history_["vacancy_rate"][-1] == pytest.approx(model.calculate_vacancy_rate())


def test_the_seed_keyword_names_still_work():
    model = SOM(mapsize=(4, 4), random_state=0)
    model.fit(data=data, epochs=2)
    model.fit_online(data=data, epochs=1)
    SOM(mapsize=(4, 4)).fit_auto(data=data, rough_epochs=2, fine_epochs=2)
    np.testing.assert_array_equal(model.predict(x=new_data), model.predict(new_data))
    with pytest.raises(TypeError, match="once"):
        model.fit(data, data=data)


def test_fit_auto_takes_the_seed_epoch_counts():
    model = SOM(mapsize=(4, 4)).fit_auto(data, rough_epochs=3, fine_epochs=4)
    assert len(model.history_["epoch"]) == 7


def test_the_seed_codebook_view():
    model = SOM(mapsize=(4, 5), random_state=0).fit(data, epochs=2)
    codebook = model.codebook
    assert (codebook.n_rows, codebook.n_columns, codebook.nnodes) == (4, 5, 20)
    np.testing.assert_array_equal(codebook.matrix, model.normalized_codebook_)
    assert codebook.lattice.name == "hexa" and codebook.lattice.coordinates.shape == (20, 2)
    with pytest.raises(ValueError):
        codebook.matrix[0, 0] = 1.0
    with pytest.raises(AttributeError):
        codebook.matrix = None


def test_the_seed_positional_forms_of_the_plots():
    from somnium.visualization import plot_bmus, plot_components, plot_label_map, plot_umatrix

    model = SOM(mapsize=(4, 5), random_state=0).fit(data, epochs=2)
    labels = np.where(data["a"] > 0, "pos", "neg")
    for fig in (
        plot_bmus(model, 10),
        plot_label_map(model, labels, "viridis"),
        plot_components(model, ["a", "b", "c", "d"], "viridis", 2, 8),
        plot_umatrix(model, "hot", 8),
    ):
        assert fig.get_size_inches()[0] > 0
        plt.close(fig)
    assert plot_bmus(model, 10).get_size_inches()[0] == pytest.approx(10)


def test_save_and_load_as_in_the_seed(tmp_path):
    model = SOM(mapsize=(4, 4), random_state=0).fit(data, epochs=2)
    model.save(tmp_path / "my_som.pkl")
    loaded = SOM.load(tmp_path / "my_som.pkl")
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))


# --------------------------------------------------------------------------- the original's model files
# The original's SOM.save is pickle.dump(self, f).  The tests build that byte stream with stand-in classes
# that have the original's module paths, class names and attribute layout (from its core.py, codebook.py,
# lattice.py, normalization.py and neighborhood.py), without importing the original.
def seed_class(module, qualname):
    return type(qualname, (), {"_seed_path": (module, qualname)})


SEED_SOM = seed_class("somnium.core", "SOM")
SEED_CODEBOOK = seed_class("somnium.codebook", "Codebook")
SEED_LATTICES = {
    name: seed_class("somnium.lattice", cls)
    for name, cls in [
        ("hexa", "HexaLattice"),
        ("rect", "RectLattice"),
        ("toroidal_hexa", "ToroidalHexaLattice"),
        ("toroidal_rect", "ToroidalRectLattice"),
        ("cylindrical_hexa", "CylindricalHexaLattice"),
        ("cylindrical_rect", "CylindricalRectLattice"),
    ]
}
SEED_NORMALIZERS = {
    name: seed_class("somnium.normalization", cls)
    for name, cls in [
        ("standard", "StandardNormalizer"),
        ("minmax", "MinMaxNormalizer"),
        ("log", "LogNormalizer"),
        ("logistic", "LogisticNormalizer"),
        ("boxcox", "BoxCox"),
    ]
}
SEED_GAUSSIAN = seed_class("somnium.neighborhood", "GaussianNeighborhood")


class SeedPickler(pickle._Pickler):
    """The pure-Python pickler, writing the stand-ins' globals under the original's names (and NumPy's
    under ``numpy.core`` when ``numpy_1``, as files written with NumPy 1 name them)."""

    def __init__(self, file, protocol, numpy_1=False):
        super().__init__(file, protocol)
        self.numpy_1 = numpy_1

    def save_global(self, obj, name=None):
        path = getattr(obj, "_seed_path", None) if isinstance(obj, type) else None
        module = getattr(obj, "__module__", "")
        if path is None and self.numpy_1 and module.startswith("numpy._core"):
            path = (module.replace("numpy._core", "numpy.core"), name or obj.__qualname__)
        if path is None:
            return super().save_global(obj, name)
        module, qualname = path
        if self.proto >= 4:
            self.save(module)
            self.save(qualname)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{qualname}\n".encode())
        self.memoize(obj)


def seed_normalize(name, train):
    """The original's normalizer fitted on ``train``: its stand-in and its transform."""
    me, st = train.mean(axis=0), train.std(axis=0)
    st[st == 0] = 1
    normalizer = SEED_NORMALIZERS[name]()
    if name == "standard":
        normalizer.me, normalizer.st = me, st
        return normalizer, lambda x: (x - me) / st
    if name == "minmax":
        low, high = train.min(axis=0), train.max(axis=0)
        normalizer.min, normalizer.max, normalizer.range = low, high, high - low
        return normalizer, lambda x: (x - low) / (high - low)
    if name == "log":
        return normalizer, np.log1p
    if name == "logistic":
        normalizer.stdsc = SEED_NORMALIZERS["standard"]()
        normalizer.stdsc.me, normalizer.stdsc.st = me, st
        return normalizer, lambda x: 1 / (1 + np.exp(-(x - me) / st))
    lambdas = tuple(scipy.stats.boxcox(column)[1] for column in train.T)
    transformed = np.column_stack([scipy.stats.boxcox(c, lam) for c, lam in zip(train.T, lambdas)])
    bme, bst = transformed.mean(axis=0), transformed.std(axis=0)
    normalizer.stdnorm = SEED_NORMALIZERS["standard"]()
    normalizer.stdnorm.me, normalizer.stdnorm.st = bme, bst
    normalizer.lambdas = lambdas

    def transform(x):
        boxcox = np.column_stack([scipy.stats.boxcox(c, lam) for c, lam in zip(x.T, lambdas)])
        return (boxcox - bme) / bst

    return normalizer, transform


SEED_TRAIN = np.abs(data.to_numpy()) + 0.1  # positive, for log and Box-Cox
SEED_NEW = np.abs(rng.normal(size=(200, 4))) + 0.1


def seed_model(rows=6, cols=5, lattice="hexa", normalization="standard", history=True, fitted=True):
    """An original SOM as its fit leaves it, and its normalised training rows and transform."""
    normalizer, transform = seed_normalize(normalization, SEED_TRAIN)
    data_norm = transform(SEED_TRAIN)
    som = SEED_SOM()
    som.neighborhood_calculator = SEED_GAUSSIAN()
    som.normalizer = normalizer
    som._mapsize = (rows, cols)
    som._lattice = lattice
    som._distance_metric = "euclidean"
    som._mapsize_scale = 5
    codebook = SEED_CODEBOOK()
    codebook.mapsize = [rows, cols]
    codebook.nnodes = rows * cols
    # any codebook will do: here one trained on the original's geometry (even rows shifted)
    trainer = SOM(mapsize=(rows, cols), lattice=lattice, normalization="none", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        codebook.matrix = trainer.fit(data_norm, epochs=8).normalized_codebook_.copy()
    codebook.initialized = True
    codebook.n_rows, codebook.n_columns = rows, cols
    geometry = SEED_LATTICES[lattice]()
    geometry.n_rows, geometry.n_cols, geometry.distance_metric = rows, cols, "euclidean"
    geometry.coordinates = np.zeros((rows * cols, 2))
    geometry.distances = np.zeros((rows * cols, rows, cols))
    codebook.lattice = geometry
    som.codebook = codebook
    som.distance_matrix = geometry.distances.reshape(rows * cols, rows * cols)
    som.n_jobs = 1
    som.metric = "euclidean"
    som.initialization = "random"
    som.model_is_unfitted = not fitted
    distances = scipy.spatial.distance.cdist(data_norm, codebook.matrix)
    som.bmu = np.array([distances.argmin(axis=1), distances.min(axis=1)], dtype=float)
    som.data_norm = data_norm
    if history:
        som.history_ = {
            "quantization_error": [0.9, 0.5],
            "topographic_error": [0.2, 0.1],
            "vacancy_rate": [0.3, 0.1],
        }
    if not fitted:
        for attribute in ("codebook", "distance_matrix"):
            delattr(som, attribute)
        som.bmu = som.data_norm = None
    return som, data_norm, transform


def seed_file(path, som, protocol=4, numpy_1=False):
    buffer = io.BytesIO()
    SeedPickler(buffer, protocol, numpy_1).dump(som)
    path.write_bytes(buffer.getvalue())
    return path


def load_seed(path):
    with pytest.warns(UserWarning, match="original Somnium"):
        return SOM.load(path, allow_pickle=True)


@pytest.mark.parametrize("protocol, numpy_1", [(2, True), (3, True), (4, True), (4, False), (5, False)])
def test_an_original_model_file_loads_and_predicts_as_the_original(tmp_path, protocol, numpy_1):
    som, _, transform = seed_model()
    path = seed_file(tmp_path / "my_som.pkl", som, protocol, numpy_1)
    model = load_seed(path)
    W = som.codebook.matrix
    # the original's BMU rule: argmin of cdist(normalised rows, codebook)
    expected = scipy.spatial.distance.cdist(transform(SEED_NEW), W).argmin(axis=1)
    np.testing.assert_array_equal(model.predict(SEED_NEW), expected)
    np.testing.assert_array_equal(model.normalized_codebook_, W)
    assert model.mapsize_ == (6, 5) and model.lattice == "hexa"
    assert model.lattice_.shifted_rows == "even"
    assert model.history_["topographic_error"][:2] == [0.2, 0.1]
    assert model.history_["phase"] == ["original", "original"]


def test_an_original_model_measures_qe_te_vr_as_the_original(tmp_path):
    som, data_norm, _ = seed_model(rows=7, cols=6)
    model = load_seed(seed_file(tmp_path / "m.pkl", som))
    W = som.codebook.matrix
    order = np.argsort(scipy.spatial.distance.cdist(data_norm, W), axis=1)
    first, second = order[:, 0], order[:, 1]
    neighbours = original_neighbor_sets(7, 6, "hexa")
    te = 1 - np.mean([b in neighbours[a] for a, b in zip(first, second)])
    assert model.calculate_topographic_error() == pytest.approx(te)
    assert model.calculate_quantization_error() == pytest.approx(np.mean(np.abs(W[first] - data_norm)))
    assert model.calculate_vacancy_rate() == pytest.approx(1 - len(np.unique(first)) / 42)
    # with the odd rows shifted (Somnium's former convention) the same map measures far worse
    odd = Lattice(7, 6, "hexa", shifted_rows="odd")
    assert 1 - odd.are_adjacent(first, second).mean() > te + 0.05


@pytest.mark.parametrize("normalization", ["standard", "minmax", "log", "logistic", "boxcox"])
@pytest.mark.parametrize("lattice", ["rect", "toroidal_hexa", "cylindrical_rect"])
def test_every_original_normalization_and_lattice_converts(tmp_path, normalization, lattice):
    som, _, transform = seed_model(
        rows=4, cols=5, lattice=lattice, normalization=normalization, history=False
    )
    model = load_seed(seed_file(tmp_path / "m.pkl", som))
    expected = scipy.spatial.distance.cdist(transform(SEED_NEW), som.codebook.matrix).argmin(axis=1)
    np.testing.assert_array_equal(model.predict(SEED_NEW), expected)
    assert model.lattice_.name == lattice and model.normalization == normalization
    assert model.history_["epoch"] == []


def test_an_original_odd_row_torus_behaves_as_the_originals(tmp_path):
    som, data_norm, _ = seed_model(rows=5, cols=6, lattice="toroidal_hexa")
    with pytest.warns(RuntimeWarning, match="5 neighbours"):
        model = load_seed(seed_file(tmp_path / "m.pkl", som))
    W = som.codebook.matrix
    order = np.argsort(scipy.spatial.distance.cdist(data_norm, W), axis=1)
    neighbours = original_neighbor_sets(5, 6, "toroidal_hexa")
    te = 1 - np.mean([b in neighbours[a] for a, b in zip(order[:, 0], order[:, 1])])
    assert model.calculate_topographic_error() == pytest.approx(te)
    model.fit(SEED_TRAIN, epochs=1)  # and it keeps training (separable kernel) on that geometry


def test_an_unfitted_original_model_converts_to_an_unfitted_model(tmp_path):
    som, _, _ = seed_model(fitted=False, history=False)
    model = load_seed(seed_file(tmp_path / "m.pkl", som))
    assert not model.is_fitted and model.mapsize == (6, 5) and model.lattice == "hexa"
    model.fit(SEED_TRAIN, epochs=1)
    assert model.lattice_.shifted_rows == "even"


def test_an_original_model_file_without_allow_pickle_says_what_it_is(tmp_path):
    som, _, _ = seed_model()
    path = seed_file(tmp_path / "my_som.pkl", som)
    with pytest.raises(
        ModelFileError, match=r"saved by the original Somnium.*allow_pickle=True.*model\.save"
    ):
        SOM.load(path)


def test_an_original_model_file_runs_no_code(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    som, _, _ = seed_model()
    som.metric = Boom()
    path = seed_file(tmp_path / "evil.pkl", som)
    with pytest.raises(ModelFileError, match=r"refers to (posix|os|nt)\.system"):
        load_seed(path)
    assert not (tmp_path / "pwned").exists()
    # a plain pickle of something else is refused too, and never executed
    (tmp_path / "other.pkl").write_bytes(pickle.dumps(Boom()))
    for allow in (False, True):
        with pytest.raises(ModelFileError, match="not a Somnium model file"):
            SOM.load(tmp_path / "other.pkl", allow_pickle=allow)
    assert not (tmp_path / "pwned").exists()


def test_a_damaged_original_model_file_is_refused_clearly(tmp_path):
    som, _, _ = seed_model()
    som.codebook.matrix = som.codebook.matrix[:-1]  # one prototype short of the map
    with pytest.raises(ModelFileError, match="codebook is not a 30-row numeric matrix"):
        load_seed(seed_file(tmp_path / "short.pkl", som))
    som, _, _ = seed_model()
    som.codebook.matrix = som.codebook.matrix.astype(object)
    with pytest.raises(ModelFileError, match="dtype object"):
        load_seed(seed_file(tmp_path / "objects.pkl", som))
    raw = seed_file(tmp_path / "whole.pkl", seed_model()[0]).read_bytes()
    (tmp_path / "cut.pkl").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelFileError, match="damaged pickle"):
        load_seed(tmp_path / "cut.pkl")


def test_a_converted_original_model_saves_in_somniums_format(tmp_path):
    som, _, _ = seed_model()
    model = load_seed(seed_file(tmp_path / "m.pkl", som))
    model.save(tmp_path / "m.som")
    again = SOM.load(tmp_path / "m.som")  # no allow_pickle needed any more
    np.testing.assert_array_equal(again.predict(SEED_NEW), model.predict(SEED_NEW))
    assert again.lattice_ == model.lattice_


# --------------------------------------------------------------------------- the original's neighbours
@pytest.mark.parametrize("name", ["hexa", "toroidal_hexa", "cylindrical_hexa", "rect", "toroidal_rect"])
@pytest.mark.parametrize(
    "rows, cols", [(2, 3), (3, 4), (4, 4), (5, 6), (6, 5), (7, 8), (8, 7), (1, 5), (5, 1)]
)
def test_every_node_has_the_originals_neighbours(name, rows, cols):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lattice = Lattice(rows, cols, name)
    expected = original_neighbor_sets(rows, cols, name)
    assert [sorted(lattice.neighbors_of(i).tolist()) for i in range(lattice.n_nodes)] == expected


# --------------------------------------------------------------------------- the original's map size
def original_mapsize(n_rows, l1, l2, scale=5, drawn_factor=1.0):
    """The original's estimate_mapsize from its definition (int() everywhere), on exact eigenvalues."""
    total = int(scale * np.sqrt(n_rows))
    aspect = np.sqrt(l1 / max(l2, 1e-10)) * drawn_factor
    cols = max(1, int(np.sqrt(total * aspect)))
    return max(1, int(total / cols)), cols


def top_eigenvalues(X):
    return np.sort(np.linalg.eigvalsh(np.cov(X, rowvar=False)))[::-1][:2]


@pytest.mark.parametrize("n", [50, 100, 300, 1000, 3000, 10_000, 100_000])
@pytest.mark.parametrize("ratio", [1.0, 1.5, 4.0, 10.0])
def test_auto_mapsize_is_the_originals_grid_on_rectangular_maps(n, ratio):
    from somnium.engine import mapsize_from_spectrum

    values = np.array([ratio, 1.0])
    assert mapsize_from_spectrum(n, values, 5, "rect") == original_mapsize(n, ratio, 1.0)
    # hexagonal maps differ by design only: rows sqrt(3)/2 apart, so the drawn map keeps the data's aspect
    hexa = mapsize_from_spectrum(n, values, 5, "hexa")
    assert hexa == original_mapsize(n, ratio, 1.0, drawn_factor=np.sqrt(0.75))


def test_estimate_mapsize_takes_the_originals_keywords_and_positional_form():
    from somnium import estimate_mapsize

    X = rng.normal(size=(2000, 3)) * [3.0, 1.0, 0.5]
    l1, l2 = top_eigenvalues(X)
    assert estimate_mapsize(X, lattice="rect") == original_mapsize(2000, l1, l2)
    assert estimate_mapsize(data=X, scale=3, lattice="rect") == original_mapsize(2000, l1, l2, scale=3)
    # max_aspect_ratio caps the ratio, as the original documents
    assert estimate_mapsize(X, scale=5, max_aspect_ratio=1.5, lattice="rect") == original_mapsize(
        2000, 1.5**2, 1
    )
    # the original's positional (data, scale, max_aspect_ratio), on its default lattice
    assert estimate_mapsize(X, 5, 1.5) == estimate_mapsize(X, scale=5, max_aspect_ratio=1.5, lattice="hexa")
    assert estimate_mapsize(X, 5, None) == estimate_mapsize(X)
    with pytest.raises(ValueError, match="max_aspect_ratio"):
        estimate_mapsize(X, max_aspect_ratio=0.5)
    with pytest.raises(TypeError, match="once"):
        estimate_mapsize(X, data=X)


def test_som_auto_mapsize_picks_the_originals_grid_on_a_rectangular_map():
    X = rng.normal(size=(1500, 3)) * [3.0, 1.0, 0.5]
    model = SOM(mapsize="auto", lattice="rect", random_state=0).fit(X, epochs=1)
    standardised = (X - X.mean(axis=0)) / X.std(axis=0)
    assert model.mapsize_ == original_mapsize(1500, *top_eigenvalues(standardised))


# ---------------------------------------------------- the original's positional forms (issue 21)
#: The original project's public signatures (ivallesp/somnium, somnium/core.py), parameter names in order.
ORIGINAL_SIGNATURES = {
    "__init__": [
        "neighborhood",
        "normalization",
        "mapsize",
        "lattice",
        "distance_metric",
        "n_jobs",
        "initialization",
        "mapsize_scale",
    ],
    "fit": [
        "data",
        "epochs",
        "radiusin",
        "radiusfin",
        "decay",
        "learning_rate",
        "subsample_ratio",
        "collect_history",
    ],
    "fit_auto": ["data", "rough_epochs", "fine_epochs"],
    "fit_online": [
        "data",
        "epochs",
        "radiusin",
        "radiusfin",
        "learning_rate_init",
        "learning_rate_fin",
        "decay",
        "collect_history",
    ],
    "predict": ["x"],
    "calculate_quantization_error": [],
    "calculate_topographic_error": [],
    "calculate_vacancy_rate": [],
    "save": ["path"],
    "load": ["path"],
}
#: Our name for the original's first data argument (its own name stays accepted as a keyword).
RENAMED_FIRST = {"data": "X", "x": "X"}


@pytest.mark.parametrize("method", list(ORIGINAL_SIGNATURES))
def test_every_original_signature_is_a_prefix_of_ours(method):
    import inspect

    ours = [
        p
        for p in inspect.signature(getattr(SOM, method)).parameters.values()
        if p.name not in ("self", "cls")
    ]
    positional = [p.name for p in ours if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    original = [RENAMED_FIRST.get(name, name) for name in ORIGINAL_SIGNATURES[method]]
    assert positional[: len(original)] == original
    # the original's first data argument keeps its name as a keyword
    for name in ORIGINAL_SIGNATURES[method][:1]:
        if name in RENAMED_FIRST:
            assert name in {p.name for p in ours if p.kind is inspect.Parameter.KEYWORD_ONLY}


def test_the_original_positional_constructor():
    model = SOM("gaussian", "standard", (6, 5))
    assert (model.neighborhood, model.normalization, model.mapsize) == ("gaussian", "standard", (6, 5))
    full = SOM("bubble", "minmax", (4, 3), "rect", "cityblock", 1, "random", 4)
    assert full.get_params() == {
        "neighborhood": "bubble",
        "normalization": "minmax",
        "mapsize": (4, 3),
        "lattice": "rect",
        "distance_metric": "cityblock",
        "n_jobs": 1,
        "initialization": "random",
        "mapsize_scale": 4,
        "random_state": None,
        "dtype": "float32",
        "missing": "error",
        "categorical": "error",
        "feature_weights": None,
    }
    full.fit(data, 2)
    assert full.mapsize_ == (4, 3) and full.lattice_.name == "rect"
    with pytest.raises(TypeError):  # Somnium's own parameters are keyword-only
        SOM("gaussian", "standard", (6, 5), "hexa", "euclidean", None, "pca", 5, 0)


def test_the_previous_somnium_positional_order_is_refused_with_the_fix():
    from somnium.exceptions import NeighborhoodFunctionNotFound

    with pytest.raises(NeighborhoodFunctionNotFound, match=r"pass mapsize=\(6, 5\) by name"):
        SOM((6, 5))


def test_fit_auto_takes_the_original_positional_epochs():
    rough_only = SOM(mapsize=(4, 4), random_state=0).fit_auto(data, 30)
    phases = rough_only.history_["phase"]
    assert phases.count("batch-1") == 30 and len(phases) > 30  # the rough phase, then the automatic rest
    both = SOM(mapsize=(4, 4), random_state=0).fit_auto(data, 30, 30)
    assert both.history_["phase"] == ["batch-1"] * 30 + ["batch-2"] * 30
    with pytest.raises(TypeError):  # collect_history and callbacks are Somnium's: keyword-only
        SOM(mapsize=(4, 4)).fit_auto(data, 3, 3, False)
    with pytest.raises(ValueError, match="rough_epochs must be a positive integer"):
        SOM(mapsize=(4, 4)).fit_auto(data, True)  # Somnium's old fit_auto(X, collect_history) says so


def test_fit_and_fit_online_take_the_original_positional_arguments():
    model = SOM(mapsize=(5, 5), random_state=0)
    model.fit(data, 4, 3.0, 1.0, "exponential", 0.5, 1.0, True)
    history = model.history_
    np.testing.assert_allclose(history["radius"], 3.0 * (1 / 3.0) ** (np.arange(4) / 3))
    assert history["learning_rate"] == [0.5] * 4 and np.isfinite(history["quantization_error"]).all()
    model.fit_online(data, 2, 2.0, 1.0, 0.2, 0.05, "linear", True)
    history = model.history_
    assert history["phase"][-2:] == ["online-2"] * 2 and history["learning_rate"][-1] == pytest.approx(0.05)
    assert history["radius"][-1] == pytest.approx(1.0) and np.isfinite(history["topographic_error"]).all()


def test_predict_and_the_metrics_take_the_original_forms():
    model = SOM(mapsize=(4, 4), random_state=0).fit(data, 3)
    np.testing.assert_array_equal(model.predict(new_data), model.predict(x=new_data))
    for name in ("quantization_error", "topographic_error", "vacancy_rate"):
        method = getattr(model, f"calculate_{name}")
        assert method() == pytest.approx(method(data))  # no argument: the training data, as the original


def test_the_codebook_before_fit_says_the_model_is_not_trained():
    from somnium.exceptions import ModelNotTrainedError

    with pytest.raises(ModelNotTrainedError, match="not trained yet"):
        SOM(mapsize=(4, 4)).codebook
    assert not hasattr(SOM(), "codebook")  # ModelNotTrainedError is an AttributeError, as hasattr expects


def test_the_epanechikov_kernel_answers_to_both_spellings(tmp_path):
    seed = SOM(neighborhood="epanechicov", mapsize=(4, 4), random_state=0).fit(data, 3)
    correct = SOM(neighborhood="epanechnikov", mapsize=(4, 4), random_state=0).fit(data, 3)
    np.testing.assert_array_equal(correct.codebook_, seed.codebook_)
    assert correct.get_params()["neighborhood"] == "epanechnikov"  # kept as given
    correct.save(tmp_path / "m.som")  # saved under the seed's name, which every version reads
    assert SOM.load(tmp_path / "m.som").neighborhood == "epanechicov"
    online = SOM(neighborhood="epanechnikov", mapsize=(4, 4), random_state=0).fit_online(data, 1)
    reference = SOM(neighborhood="epanechicov", mapsize=(4, 4), random_state=0).fit_online(data, 1)
    np.testing.assert_array_equal(online.codebook_, reference.codebook_)
