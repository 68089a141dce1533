"""Static figures: structure, values -> colours, geometry, and a rendered PNG per plot and lattice.

Expected values come from independent references written here: lattice
coordinates from (row, column) by hand, minimum-image distances by brute force
over periodic images, and per-node statistics by explicit loops.
"""

from __future__ import annotations

import io
import itertools
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import colormaps
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import Normalize, to_rgba
from matplotlib.textpath import TextPath

from somnium import SOM, visualization
from somnium.exceptions import ModelNotTrainedError
from somnium.lattice import LATTICES, Lattice

LATTICE_NAMES = list(LATTICES)
ROWS, COLS = 4, 5
FEATURES = ["bill length", "bill depth", "flipper length"]
CLASSES = ["Adelie", "Chinstrap", "Gentoo"]


# --------------------------------------------------------------------------- independent references
def hand_coordinates(rows, cols, hexagonal, shifted_rows="even"):
    """Cell centres from (row, col): on hex maps the even rows (as the original draws them; the odd
    rows in Somnium's files of format <= 2) shifted by 1/2, and rows sqrt(3)/2 apart."""
    r, c = np.divmod(np.arange(rows * cols), cols)
    if hexagonal:
        shifted = (r % 2) == (0 if shifted_rows == "even" else 1)
        return np.column_stack([c + 0.5 * shifted, r * np.sqrt(3) / 2])
    return np.column_stack([c, r]).astype(float)


def brute_force_lattice_distance(name, rows, cols, shifted_rows="even"):
    """All-pairs distance, minimised over the 3 x 3 periodic images of the wrapping axes."""
    shape, wrap = LATTICES[name]
    hexagonal = shape == "hexa"
    xy = hand_coordinates(rows, cols, hexagonal, shifted_rows)
    height = rows * (np.sqrt(3) / 2 if hexagonal else 1.0)
    # Only the legacy odd-rows-shifted torus with an odd row count closes with a twist.
    twist = 0.5 if (hexagonal and wrap == "toroidal" and rows % 2 and shifted_rows == "odd") else 0.0
    best = np.full((len(xy), len(xy)), np.inf)
    for kx, ky in itertools.product((-1, 0, 1), repeat=2):
        if kx and wrap == "flat":
            continue
        if ky and wrap != "toroidal":
            continue
        # Crossing the row seam of a twisted torus also shifts by half a cell.
        offset = np.array([kx * cols + ky * twist, ky * height])
        diff = xy[:, None, :] - (xy[None, :, :] + offset)
        best = np.minimum(best, np.hypot(diff[..., 0], diff[..., 1]))
    return best


def brute_force_umatrix(codebook, name, rows, cols, shifted_rows="even"):
    distance = brute_force_lattice_distance(name, rows, cols, shifted_rows)
    values = np.zeros(len(codebook))
    for i in range(len(codebook)):
        neighbours = [j for j in range(len(codebook)) if j != i and distance[i, j] <= 1 + 1e-9]
        values[i] = np.mean([np.linalg.norm(codebook[i] - codebook[j]) for j in neighbours])
    return values


def polygon_area(vertices):
    x, y = vertices[:, 0], vertices[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def map_axes(fig):
    """Axes holding a map (a cell PolyCollection), in subplot order."""
    return [ax for ax in fig.axes if any(isinstance(c, PolyCollection) for c in ax.collections)]


def cell_collection(ax):
    """The coloured cells of a map axes (the last PolyCollection: outlines come first)."""
    return [c for c in ax.collections if isinstance(c, PolyCollection)][-1]


def polygons(collection):
    """One (k, 2) vertex array per cell, without the closing vertex."""
    out = []
    for path in collection.get_paths():
        vertices = path.vertices
        if np.allclose(vertices[0], vertices[-1]):
            vertices = vertices[:-1]
        out.append(vertices)
    return out


def face_colors(fig, collection):
    fig.canvas.draw()
    return collection.get_facecolors()


def render_png(fig) -> np.ndarray:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=60)
    buffer.seek(0)
    return plt.imread(buffer)


# --------------------------------------------------------------------------- fitted models
def penguin_like_data(n_per_class=30, seed=0):
    """Three tight, well separated classes in three features (a small map leaves nodes empty)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[39.0, 18.0, 190.0], [49.0, 18.5, 196.0], [47.5, 15.0, 217.0]])
    X = np.concatenate([c + rng.normal(0, [0.6, 0.3, 1.5], (n_per_class, 3)) for c in centres])
    labels = np.repeat(CLASSES, n_per_class)
    return pd.DataFrame(X, columns=FEATURES), labels


@pytest.fixture(scope="module")
def data():
    return penguin_like_data()


@pytest.fixture(scope="module")
def models(data):
    X, _ = data
    fitted = {}
    for name in LATTICE_NAMES:
        model = SOM(mapsize=(ROWS, COLS), lattice=name, random_state=0)
        model.fit(X, epochs=4, collect_history=True)
        model.fit(X, epochs=3, radiusin=1.5, radiusfin=1.0, collect_history=True)
        fitted[name] = model
    return fitted


@pytest.fixture(scope="module")
def hexa(models):
    return models["hexa"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- component planes
def test_component_planes_have_one_titled_map_per_feature_with_a_colour_bar(hexa):
    fig = visualization.plot_components(hexa)
    maps = map_axes(fig)
    assert [ax.get_title() for ax in maps] == FEATURES
    assert len(fig.axes) == 2 * len(FEATURES)  # each map plus its colour bar
    for ax in maps:
        cells = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(cells) == 1
        assert len(cells[0].get_paths()) == ROWS * COLS


def test_component_plane_titles_can_be_overridden(hexa):
    fig = visualization.plot_components(hexa, names=["a", "b", "c"])
    assert [ax.get_title() for ax in map_axes(fig)] == ["a", "b", "c"]


def test_component_planes_reject_a_wrong_number_of_names(hexa):
    with pytest.raises(ValueError, match="3 features"):
        visualization.plot_components(hexa, names=["only one"])


def test_component_planes_fill_balanced_rows_of_at_most_five_columns():
    rng = np.random.default_rng(1)
    model = SOM(mapsize=(3, 3), lattice="rect", random_state=0).fit(rng.normal(size=(40, 7)), epochs=2)
    fig = visualization.plot_components(model)
    geometries = {ax.get_subplotspec().get_geometry()[:2] for ax in map_axes(fig)}
    assert geometries == {(2, 4)}
    assert [ax.get_title() for ax in map_axes(fig)] == [f"x{k}" for k in range(7)]


def test_cell_colour_is_the_colour_map_of_its_value_in_input_units(hexa, data):
    X, _ = data
    fig = visualization.plot_components(hexa)
    codebook = hexa.codebook_
    for feature, ax in enumerate(map_axes(fig)):
        values = codebook[:, feature]
        # Prototypes live inside the data's range (input units, not normalised).
        assert X.iloc[:, feature].min() - 1e-6 <= values.min()
        assert values.max() <= X.iloc[:, feature].max() + 1e-6
        expected = colormaps["viridis"](Normalize(values.min(), values.max())(values))
        np.testing.assert_allclose(face_colors(fig, cell_collection(ax)), expected, atol=1e-12)


def test_colour_map_can_be_overridden(hexa):
    fig = visualization.plot_umatrix(hexa, colormap="cividis")
    values = hexa.umatrix()
    expected = colormaps["cividis"](Normalize(values.min(), values.max())(values))
    np.testing.assert_allclose(face_colors(fig, cell_collection(fig.axes[0])), expected, atol=1e-12)


# --------------------------------------------------------------------------- geometry
@pytest.mark.parametrize("name", LATTICE_NAMES)
def test_cells_sit_at_the_lattice_coordinates_with_node_zero_top_left(models, name):
    model = models[name]
    hexagonal = LATTICES[name][0] == "hexa"
    centres = hand_coordinates(ROWS, COLS, hexagonal)
    figures = [
        visualization.plot_components(model),
        visualization.plot_umatrix(model),
        visualization.plot_bmus(model),
        visualization.plot_quality_map(model),
        visualization.plot_label_map(model, np.repeat(CLASSES, 30)),
        visualization.plot_neuron_indices(model),
    ]
    for fig in figures:
        for ax in map_axes(fig):
            drawn = np.array([cell.mean(axis=0) for cell in polygons(cell_collection(ax))])
            np.testing.assert_allclose(drawn, centres, atol=1e-9)
            bottom, top = ax.get_ylim()
            assert bottom > top  # y grows downwards: row 0 on top
            assert ax.get_aspect() == 1.0


@pytest.mark.parametrize("name", ["hexa", "rect"])
def test_cells_tile_the_plane_neighbours_share_an_edge_and_nothing_overlaps(name):
    rows, cols = 5, 6
    hexagonal = name == "hexa"
    _fig, ax = plt.subplots()
    visualization._draw_nodes(ax, Lattice(rows, cols, name), np.arange(rows * cols))
    cells = polygons(cell_collection(ax))
    centres = hand_coordinates(rows, cols, hexagonal)
    cell_area = np.sqrt(3) / 2 if hexagonal else 1.0  # area per node of the lattice
    for cell, centre in zip(cells, centres):
        assert len(cell) == (6 if hexagonal else 4)
        assert polygon_area(cell) == pytest.approx(cell_area)
        np.testing.assert_allclose(cell.mean(axis=0), centre, atol=1e-12)
    for i, j in itertools.combinations(range(rows * cols), 2):
        shared = sum(np.isclose(np.linalg.norm(cells[j] - v, axis=1), 0, atol=1e-9).any() for v in cells[i])
        distance = np.linalg.norm(centres[i] - centres[j])
        if shared == 2:
            assert distance == pytest.approx(1.0)
        if abs(distance - 1.0) < 1e-9:
            assert shared == 2  # neighbours touch along a whole edge
        else:
            assert shared <= 1  # others at most meet at a corner (squares) and never overlap
            assert distance >= 1.0 - 1e-9


def test_hexagon_neighbour_centres_are_one_apart():
    _fig, ax = plt.subplots()
    lattice = Lattice(5, 6, "hexa")
    visualization._draw_nodes(ax, lattice, np.zeros(lattice.n_nodes))
    centres = np.array([cell.mean(axis=0) for cell in polygons(cell_collection(ax))])
    distance = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    np.fill_diagonal(distance, np.inf)
    assert distance.min() == pytest.approx(1.0)
    inner = 2 * 6 + 3  # row 2, column 3: an inner cell has six neighbours at distance 1
    assert np.isclose(distance[inner], 1.0).sum() == 6


# --------------------------------------------------------------------------- wrap marks
def wrap_segments(fig):
    return [
        c
        for ax in fig.axes
        for c in ax.collections
        if isinstance(c, LineCollection) and c.get_gid() == "somnium-wrap-edges"
    ]


@pytest.mark.parametrize("name", ["hexa", "rect"])
def test_flat_maps_have_no_wrap_marks(models, name):
    fig = visualization.plot_umatrix(models[name])
    assert wrap_segments(fig) == []


@pytest.mark.parametrize(
    "name, expected_colours",
    [
        ("cylindrical_rect", 1),
        ("toroidal_rect", 2),
        ("cylindrical_hexa", 1),
        ("toroidal_hexa", 2),
    ],
)
def test_wrapping_borders_are_marked_and_explained(models, name, expected_colours):
    fig = visualization.plot_umatrix(models[name])
    lines = wrap_segments(fig)
    assert len(lines) == expected_colours
    legend_texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "left/right borders wrap" in legend_texts
    assert ("top/bottom borders wrap" in legend_texts) == (expected_colours == 2)


def test_rect_cylinder_marks_exactly_its_left_and_right_borders():
    column_seam, row_seam = visualization._wrap_edges(Lattice(3, 4, "cylindrical_rect"))
    assert len(row_seam) == 0
    xs = sorted({round(x, 9) for x in column_seam[..., 0].ravel()})
    assert xs == [-0.5, 3.5]
    assert len(column_seam) == 2 * 3
    assert np.all(column_seam[:, 0, 0] == column_seam[:, 1, 0])  # vertical segments


def test_rect_torus_marks_all_four_borders():
    column_seam, row_seam = visualization._wrap_edges(Lattice(3, 4, "toroidal_rect"))
    assert len(column_seam) == 2 * 3 and len(row_seam) == 2 * 4
    assert sorted({round(y, 9) for y in row_seam[..., 1].ravel()}) == [-0.5, 2.5]


@pytest.mark.parametrize(
    "name,rows,shifted_rows",
    [
        ("cylindrical_hexa", 4, "even"),
        ("toroidal_hexa", 4, "even"),
        ("cylindrical_hexa", 5, "even"),
        ("toroidal_hexa", 5, "even"),  # the original's odd-row torus: the seam faces a corner
        ("toroidal_hexa", 5, "odd"),  # the legacy twisted torus
    ],
)
def test_hex_wrap_marks_follow_the_outer_cell_edges(name, rows, shifted_rows):
    cols = 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lattice = Lattice(rows, cols, name, shifted_rows=shifted_rows)
    column_seam, row_seam = visualization._wrap_edges(lattice)
    all_edges = []
    for cell in lattice.cell_vertices():
        all_edges += [
            {tuple(np.round(a, 9)), tuple(np.round(b, 9))} for a, b in zip(cell, np.roll(cell, -1, 0))
        ]
    counts = {}
    for edge in all_edges:
        counts[frozenset(edge)] = counts.get(frozenset(edge), 0) + 1
    border = {edge for edge, n in counts.items() if n == 1}
    marked = {
        frozenset(tuple(np.round(p, 9)) for p in segment)
        for segment in np.concatenate([column_seam, row_seam])
    }
    assert marked <= border  # only outer edges are marked ...
    if name == "toroidal_hexa":
        assert marked == border  # ... and on a torus every outer edge is a seam
    else:
        # On a cylinder only the left and right borders are seams.
        assert 0 < len(marked) < len(border)
        assert len(row_seam) == 0
        midpoints = column_seam.mean(axis=1)
        assert np.all((midpoints[:, 0] <= 1e-9) | (midpoints[:, 0] >= cols - 0.5 - 1e-9))


# --------------------------------------------------------------------------- U-matrix
@pytest.mark.parametrize("name", LATTICE_NAMES)
def test_umatrix_drawn_values_match_a_brute_force_computation(models, name):
    model = models[name]
    fig = visualization.plot_umatrix(model)
    drawn = np.asarray(cell_collection(fig.axes[0]).get_array())
    expected = brute_force_umatrix(model.normalized_codebook_, name, ROWS, COLS)
    np.testing.assert_allclose(drawn, expected, rtol=1e-10)


@pytest.mark.parametrize("shifted_rows", ["even", "odd"])
def test_umatrix_on_an_odd_row_hexagonal_torus_matches_brute_force(shifted_rows):
    from somnium import metrics

    rows, cols = 5, 6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lattice = Lattice(rows, cols, "toroidal_hexa", shifted_rows=shifted_rows)
    codebook = np.random.default_rng(3).normal(size=(rows * cols, 4))
    expected = brute_force_umatrix(codebook, "toroidal_hexa", rows, cols, shifted_rows)
    np.testing.assert_allclose(metrics.umatrix(codebook, lattice), expected, rtol=1e-10)


# --------------------------------------------------------------------------- hits, quality, labels
def brute_force_hits(model, X):
    bmu = model.predict(X)
    return np.array([np.sum(bmu == node) for node in range(ROWS * COLS)])


def test_hit_map_cell_area_is_proportional_to_hits_and_empty_cells_stay_outlined(hexa, data):
    X, _ = data
    hits = brute_force_hits(hexa, X)
    assert (hits == 0).any(), "the fixture should leave some nodes empty"
    fig = visualization.plot_bmus(hexa)
    ax = fig.axes[0]
    outlines, cells = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(outlines.get_paths()) == ROWS * COLS
    np.testing.assert_array_equal(np.asarray(cells.get_array()), hits)
    areas = np.array([polygon_area(cell) for cell in polygons(cells)])
    np.testing.assert_allclose(areas / areas.max(), hits / hits.max(), atol=1e-12)
    assert "empty" in ax.get_title()


def test_hit_map_in_colour_mode_draws_empty_cells_as_no_data(hexa, data):
    X, _ = data
    hits = brute_force_hits(hexa, X)
    fig = visualization.plot_bmus(hexa, mode="color", annotate=True)
    colours = face_colors(fig, cell_collection(fig.axes[0]))
    for node in range(ROWS * COLS):
        if hits[node] == 0:
            np.testing.assert_allclose(colours[node], to_rgba(visualization.NO_DATA_COLOR))
        else:
            np.testing.assert_allclose(colours[node], colormaps["viridis"](hits[node] / hits.max()))


def test_hit_map_rejects_an_unknown_mode(hexa):
    with pytest.raises(ValueError, match="size, color"):
        visualization.plot_bmus(hexa, mode="area")


def test_quality_map_shows_empty_nodes_as_no_data_and_others_as_mean_error(hexa, data):
    X, _ = data
    normalised = hexa.normalize(X)
    bmu = hexa.predict(X)
    prototypes = hexa.normalized_codebook_
    fig = visualization.plot_quality_map(hexa)
    cells = cell_collection(fig.axes[0])
    drawn = np.ma.filled(cells.get_array(), np.nan)
    colours = face_colors(fig, cells)
    for node in range(ROWS * COLS):
        rows = np.flatnonzero(bmu == node)
        if len(rows) == 0:
            assert np.isnan(drawn[node])
            np.testing.assert_allclose(colours[node], to_rgba(visualization.NO_DATA_COLOR))
        else:
            errors = [np.mean(np.abs(normalised[r] - prototypes[node])) for r in rows]
            assert drawn[node] == pytest.approx(np.mean(errors))
    legend_texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "no data" in legend_texts


def test_label_map_has_one_panel_per_class_with_shares_summing_to_one(hexa, data):
    X, labels = data
    bmu = hexa.predict(X)
    fig = visualization.plot_label_map(hexa, labels)
    maps = map_axes(fig)
    assert [ax.get_title() for ax in maps] == [f"{c} (30 rows)" for c in CLASSES]
    shares = np.array([np.ma.filled(cell_collection(ax).get_array(), np.nan) for ax in maps])
    for node in range(ROWS * COLS):
        members = labels[bmu == node]
        if len(members) == 0:
            assert np.isnan(shares[:, node]).all()
            continue
        assert shares[:, node].sum() == pytest.approx(1.0)
        for k, name in enumerate(CLASSES):
            assert shares[k, node] == pytest.approx(np.mean(members == name))


def test_label_map_with_many_classes_wraps_panels_and_shares_one_colour_bar(hexa, data):
    X, _ = data
    labels = np.array([f"class {i % 12:02d}" for i in range(len(X))])
    fig = visualization.plot_label_map(hexa, labels, max_subplot_columns=4)
    maps = map_axes(fig)
    assert len(maps) == 12
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in maps} == {(3, 4)}
    assert len(fig.axes) == 12 + 1


def test_label_map_rejects_labels_of_the_wrong_length(hexa):
    with pytest.raises(ValueError, match="one label per training row"):
        visualization.plot_label_map(hexa, ["a", "b"])


# --------------------------------------------------------------------------- neuron indices
def normalised_outline(vertices):
    vertices = vertices - vertices.min(axis=0)
    return vertices / vertices[:, 1].max()


def test_neuron_index_map_writes_each_predict_index_in_its_own_cell(models):
    model = models["cylindrical_hexa"]
    fig = visualization.plot_neuron_indices(model)
    ax = fig.axes[0]
    # as in the original: one text artist per node (its test counts ax.texts)
    assert len(ax.texts) == ROWS * COLS
    assert [t.get_text() for t in ax.texts] == [str(node) for node in range(ROWS * COLS)]
    fig.canvas.draw()
    centres = hand_coordinates(ROWS, COLS, hexagonal=True)
    to_data = ax.transData.inverted()
    # predict() maps each prototype to its own node, whose cell shows that number.
    np.testing.assert_array_equal(model.predict(model.codebook_), np.arange(ROWS * COLS))
    for node, text in enumerate(ax.texts):
        np.testing.assert_allclose(text.get_position(), centres[node], atol=1e-12)
        low, high = np.sort(to_data.transform(text.get_window_extent().get_points()), axis=0)
        np.testing.assert_allclose((low + high) / 2, centres[node], atol=0.2)
        assert np.all(high - low < 1.0)  # fits inside its cell
        reference = TextPath((0, 0), str(node), size=1.0).vertices  # the digits' own outline
        np.testing.assert_allclose(
            normalised_outline(text._outline.vertices), normalised_outline(reference), atol=1e-9
        )


def test_neuron_index_texts_follow_changes_like_any_text(models):
    fig = visualization.plot_neuron_indices(models["hexa"])
    ax = fig.axes[0]
    fig.canvas.draw()
    first = ax.texts[3].get_window_extent()
    ax.texts[3].set_fontsize(ax.texts[3].get_fontsize() * 2)
    assert ax.texts[3].get_window_extent().width == pytest.approx(2 * first.width, rel=1e-6)
    ax.texts[4].set_text("four")  # not digits: matplotlib's own rendering takes over
    ax.texts[5].set_visible(False)
    ax.texts[6].remove()
    fig.canvas.draw()
    assert ax.texts[4].get_window_extent().width > 0
    assert len(ax.texts) == ROWS * COLS - 1


def test_the_originals_neuron_index_test_passes():
    # ivallesp/somnium's test_core: a 5 x 4 map, ax = fig.axes[0], len(ax.texts) == 5 * 4
    model = SOM(mapsize=(5, 4), random_state=0).fit(np.random.default_rng(0).random((100, 3)), epochs=2)
    fig = visualization.plot_neuron_indices(model)
    assert len(list(fig.axes[0].texts)) == 5 * 4


# --------------------------------------------------------------------------- history
def test_history_plots_the_three_curves_and_marks_each_phase(hexa):
    fig = visualization.plot_history(hexa)
    assert len(fig.axes) == 3
    history = hexa.history_
    n_epochs = len(history["quantization_error"])
    assert n_epochs == 7
    for ax, key in zip(fig.axes, ["quantization_error", "topographic_error", "vacancy_rate"]):
        x, y = ax.lines[0].get_data()
        np.testing.assert_array_equal(x, np.arange(1, n_epochs + 1))
        np.testing.assert_allclose(y, history[key])
        boundaries = [line.get_xdata()[0] for line in ax.lines[1:]]
        assert boundaries == [4.5]  # the second fit call starts a new phase after epoch 4
    phase_names = [t.get_text() for t in fig.axes[0].texts]
    assert phase_names == list(dict.fromkeys(history["phase"]))


def test_history_without_recorded_metrics_says_how_to_get_them(data):
    X, _ = data
    model = SOM(mapsize=(3, 3), random_state=0).fit(X, epochs=2)
    with pytest.raises(ValueError, match="collect_history=True"):
        visualization.plot_history(model)


# --------------------------------------------------------------------------- contract
PLOTS = {
    "plot_components": lambda model, labels: visualization.plot_components(model),
    "plot_umatrix": lambda model, labels: visualization.plot_umatrix(model),
    "plot_bmus": lambda model, labels: visualization.plot_bmus(model),
    "plot_quality_map": lambda model, labels: visualization.plot_quality_map(model),
    "plot_label_map": lambda model, labels: visualization.plot_label_map(model, labels),
    "plot_neuron_indices": lambda model, labels: visualization.plot_neuron_indices(model),
    "plot_history": lambda model, labels: visualization.plot_history(model),
}


@pytest.mark.parametrize("plot", PLOTS)
def test_unfitted_model_raises_and_leaves_no_figure_open(plot):
    before = plt.get_fignums()
    with pytest.raises(ModelNotTrainedError):
        PLOTS[plot](SOM(mapsize=(3, 3)), ["a"])
    assert plt.get_fignums() == before


@pytest.mark.parametrize("plot", ["plot_umatrix", "plot_bmus", "plot_quality_map", "plot_neuron_indices"])
def test_single_map_plots_draw_into_a_given_axes(hexa, plot):
    fig, (left, right) = plt.subplots(1, 2)
    returned = getattr(visualization, plot)(hexa, ax=right)
    assert returned is fig
    assert right.collections and not left.collections


def test_panel_plots_draw_into_a_given_figure(hexa):
    fig = plt.figure()
    assert visualization.plot_components(hexa, fig=fig) is fig
    assert len(map_axes(fig)) == len(FEATURES)


@pytest.mark.parametrize("name", LATTICE_NAMES)
@pytest.mark.parametrize("plot", PLOTS)
def test_every_plot_renders_a_non_blank_png_on_every_lattice(models, data, name, plot):
    _, labels = data
    fig = PLOTS[plot](models[name], labels)
    assert isinstance(fig, matplotlib.figure.Figure)
    image = render_png(fig)[..., :3]
    height, width, _ = image.shape
    assert height > 100 and width > 100
    not_white = (image < 0.95).any(axis=2).mean()
    assert not_white > 0.05
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 20


def test_label_shares_reject_missing_labels_with_a_clear_error():
    from somnium.metrics import label_shares

    with pytest.raises(ValueError, match="missing value"):
        label_shares(np.array([0, 1, 1]), np.array(["a", None, "b"], dtype=object), 2)
    with pytest.raises(ValueError, match="first at row 2"):
        label_shares(np.array([0, 1, 1]), np.array([1.0, 2.0, np.nan]), 2)


def test_neuron_index_texts_are_drawn_with_their_own_colour_and_visibility(models):
    fig = visualization.plot_neuron_indices(models["rect"], figure_width=8)
    ax = fig.axes[0]
    ax.texts[5].set_visible(False)
    ax.texts[6].set_color("red")
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    height = image.shape[0]

    def cell_pixels(node):
        box = ax.texts[node].get_window_extent()
        x0, x1 = int(box.x0), int(np.ceil(box.x1))
        y0, y1 = height - int(np.ceil(box.y1)), height - int(box.y0)
        return image[y0:y1, x0:x1].reshape(-1, 3)

    red = cell_pixels(6)
    assert ((red[:, 0] > 200) & (red[:, 1] < 80) & (red[:, 2] < 80)).any()
    assert (cell_pixels(5).min(axis=1) > 150).all()  # nothing dark where the hidden number was
    assert (cell_pixels(7).max(axis=1) < 60).any()  # a black number
