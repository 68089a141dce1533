"""Values per row on the map (issue 19): MapView's ``color=`` and ``add_layer`` with one value per row.

References are pandas group-bys of the rows by their BMU (means; value counts for the most frequent
value and its share), independent of the views' own bincounts and sums.  The Dask tests compare the
view on Dask rows with the same pandas references (Dask's local scheduler).
"""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

from somnium import SOM
from somnium.exceptions import DaskRowsError
from somnium.explain import SurrogateMap
from somnium.widgets import Explorer, MapView
from somnium.widgets.map_view import OTHER_COLOR

pd = pytest.importorskip("pandas")

FEATURES = ["income", "age", "score"]
N_NODES = 20


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(500, 3)) * [1000, 10, 1] + [5000, 40, 0], columns=FEATURES)
    df["species"] = pd.Categorical(
        rng.choice(["Adelie", "Gentoo", "Chinstrap"], size=len(df), p=[0.5, 0.3, 0.2])
    )
    df["member"] = rng.random(len(df)) < 0.3
    df["city"] = rng.choice(["north", "south"], size=len(df))
    df.index = pd.Index(rng.permutation(np.arange(7000, 7000 + len(df))), name="customer")
    return df


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(5, 4), random_state=0).fit(frame[FEATURES], epochs=3)


@pytest.fixture(scope="module")
def bmu(model, frame):
    return model.predict(frame[FEATURES])


def node_means(values, bmu):
    return pd.Series(values).groupby(bmu).mean().reindex(range(N_NODES)).to_numpy()


def most_frequent(values, bmu):
    """Per node: (most frequent value, its share of the node's rows with a value); ties: first in ``order``."""
    series = pd.Series(np.asarray(values, dtype=object)).where(pd.notna(values), None)
    overall = series.dropna().value_counts()
    seen = list(pd.unique(series.dropna()))
    order = sorted(overall.index, key=lambda v: (-overall[v], seen.index(v)))
    top, share = [None] * N_NODES, np.full(N_NODES, np.nan)
    for node in range(N_NODES):
        counts = series[bmu == node].dropna().value_counts()
        if counts.empty:
            continue
        best = max(order, key=lambda v: (counts.get(v, 0), -order.index(v)))
        top[node], share[node] = best, counts[best] / counts.sum()
    return top, share


# ------------------------------------------------------------------------------ numbers per row
def test_a_series_per_row_is_aligned_on_the_index_and_shown_by_node_mean(model, frame, bmu):
    rng = np.random.default_rng(1)
    prediction = pd.Series(rng.normal(size=len(frame)), index=frame.index, name="prediction")
    shuffled = prediction.sample(frac=1.0, random_state=2)  # same labels, another order
    view = MapView(model, frame, color=shuffled)
    assert view.color == "prediction"
    assert view._layer_info["label"] == "prediction (mean of rows)"
    np.testing.assert_allclose(view.color_values, node_means(prediction.to_numpy(), bmu), equal_nan=True)
    assert view.color_categories is None and view._layer_codes.size == 0


def test_an_array_of_the_datas_length_is_per_row_and_missing_values_are_skipped(model, frame, bmu):
    residual = np.linspace(-1, 1, len(frame))
    residual[::7] = np.nan
    view = MapView(model, frame)
    view.color = residual
    assert view.color == "custom"
    expected = pd.Series(residual).groupby(bmu).mean().reindex(range(N_NODES)).to_numpy()
    np.testing.assert_allclose(view.color_values, expected, atol=1e-12, equal_nan=True)


def test_values_per_node_keep_working(model, frame):
    view = MapView(model, frame, color=pd.Series(np.arange(N_NODES, dtype=float), name="node score"))
    assert view._layer_info["label"] == "node score"
    np.testing.assert_array_equal(view.color_values, np.arange(N_NODES))


# ------------------------------------------------------------------------- categories per row
@pytest.mark.parametrize("column", ["species", "member", "city"])
def test_a_column_of_categories_shows_the_most_frequent_value_and_its_share(model, frame, bmu, column):
    view = MapView(model, frame, color=column)
    top, share = most_frequent(frame[column].to_numpy(), bmu)
    np.testing.assert_allclose(view.color_values, share, equal_nan=True)
    assert list(view.color_categories) == top
    info = view._layer_info
    assert info["categorical"] and info["label"] == f"{column} (most frequent)"
    names = info["categories"]
    codes = view._layer_codes
    assert [names[c - 1] if c else None for c in codes] == [None if t is None else str(t) for t in top]
    assert len(info["colors"]) == len(names) and len(set(info["colors"])) == len(names)


def test_a_series_of_labels_equals_the_column_by_name(model, frame):
    by_name = MapView(model, frame, color="species")
    by_series = MapView(model, frame, color=frame["species"].rename("species given"))
    assert by_series.color == "species given"
    np.testing.assert_array_equal(by_series.color_values, by_name.color_values)
    assert list(by_series.color_categories) == list(by_name.color_categories)
    assert by_series._layer_info["categories"] == by_name._layer_info["categories"]


def test_missing_labels_are_skipped_and_nodes_without_rows_are_marked(model, frame, bmu):
    labels = frame["city"].to_numpy().astype(object)
    labels[bmu == bmu[0]] = None  # one node's rows have no label at all
    rows = frame.iloc[np.flatnonzero(bmu != bmu[1])]  # and one node has no rows
    view = MapView(model, rows, color=pd.Series(labels, index=frame.index, name="city").loc[rows.index])
    assert np.isnan(view.color_values[bmu[0]]) and view.color_categories[bmu[0]] is None
    assert view._hit_counts[bmu[1]] == 0 and view._layer_codes[bmu[1]] == 0


def test_more_values_than_colours_lump_the_rarest_into_other(model, frame):
    rng = np.random.default_rng(3)
    many = pd.Series(
        rng.choice([f"v{i}" for i in range(12)], size=len(frame)), index=frame.index, name="code"
    )
    view = MapView(model, frame, color=many)
    names, colors = view._layer_info["categories"], view._layer_info["colors"]
    assert len(names) == 9 and names[-1] == "(other)" and colors[-1] == OTHER_COLOR
    kept = many.value_counts().index[:8]
    assert set(names[:-1]) == set(kept)


# --------------------------------------------------------------------------- which, and errors
def test_as_many_rows_as_nodes_needs_per(model, frame):
    rows = frame.iloc[:N_NODES]
    values = np.arange(N_NODES, dtype=float)
    view = MapView(model, rows)
    with pytest.raises(ValueError, match=r"per='row'\) or per='node'"):
        view.color = values
    view.add_layer("by row", values, per="row")
    bmu = model.predict(rows[FEATURES])
    view.color = "by row"
    np.testing.assert_allclose(view.color_values, node_means(values, bmu), equal_nan=True)
    view.color = pd.Series(values, index=rows.index, name="indexed")  # indexed like the rows: per row
    np.testing.assert_allclose(view.color_values, node_means(values, bmu), equal_nan=True)
    view.add_layer("by node", values, per="node")
    view.color = "by node"
    np.testing.assert_array_equal(view.color_values, values)


def test_wrong_lengths_name_both_choices(model, frame):
    view = MapView(model, frame)
    with pytest.raises(
        ValueError, match=r"one value per node \(20\) or one per row of the data \(500\), got 7"
    ):
        view.color = np.zeros(7)
    with pytest.raises(ValueError, match="labels are not in the data's index"):
        view.color = pd.Series(np.zeros(500), name="elsewhere")  # a RangeIndex: none of the labels


def test_an_unknown_layer_lists_every_layer_in_full(model, frame):
    wide = frame.assign(**{f"extra_{i}": np.arange(len(frame)) for i in range(12)})
    view = MapView(model, wide)
    with pytest.raises(traitlets.TraitError) as error:
        view.color = "cultivar"
    message = str(error.value)
    assert all(repr(layer) in message for layer in view.layers) and "..." not in message
    assert "'species'" in message and "'extra_11'" in message


def test_a_label_column_works_in_the_explorer(model, frame, bmu):
    explorer = Explorer(model, frame, color="species")
    _, share = most_frequent(frame["species"].to_numpy(), bmu)
    np.testing.assert_allclose(explorer.map.color_values, share, equal_nan=True)


def test_the_surrogates_predictions_on_the_map_agree_with_its_layer(model, frame):
    prediction = pd.Series(frame["income"] / 1000 + frame["age"] / 10, name="risk")
    surrogate = SurrogateMap(model, frame, prediction)
    view = MapView(model, frame, color=prediction)
    np.testing.assert_allclose(view.color_values, surrogate.layer.values, equal_nan=True)


# ---------------------------------------------------------------------------------- Dask rows
@pytest.fixture
def lazy(frame):
    dd = pytest.importorskip("dask.dataframe")
    return dd.from_pandas(frame, npartitions=4, sort=False)


def test_dask_values_per_row_are_reduced_on_the_cluster(model, frame, bmu, lazy):
    view = MapView(model, lazy, color=(lazy["score"] * 2).rename("double score"))
    assert view.color == "double score" and view._layer_info["label"] == "double score (mean of rows)"
    np.testing.assert_allclose(view.color_values, node_means(frame["score"].to_numpy() * 2, bmu), rtol=1e-9)
    view.color = "city"
    top, share = most_frequent(frame["city"].to_numpy(), bmu)
    np.testing.assert_allclose(view.color_values, share, equal_nan=True)
    assert list(view.color_categories) == top
    view.color = lazy["member"].rename("member given")
    _, share = most_frequent(frame["member"].to_numpy(), bmu)
    np.testing.assert_allclose(view.color_values, share, equal_nan=True)


def test_in_memory_values_cannot_line_up_with_dask_rows(model, frame, lazy):
    view = MapView(model, lazy)
    with pytest.raises(DaskRowsError, match="Dask Series aligned with the data"):
        view.add_layer("p", frame["score"], per="row")
