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
