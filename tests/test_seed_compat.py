"""The original project's public usage runs unchanged (its README blocks, notebook calls and keyword names)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt

from somnium.core import SOM

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
