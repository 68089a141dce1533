"""Standalone HTML export (somnium.widgets.to_html): what the page embeds, checked in Python.

The page is parsed back (its JSON state, its scripts, its Content-Security-Policy) and compared with
independent references: the layer values with the model's own numbers, the rows' nodes with
``model.predict`` row by row, the charts' bars with a brute-force profile of the rows.  The browser
side (drawing, hover, brush, the layer menu, linked views, hostile names) is tests/test_export_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re

import bqplot
import ipywidgets
import numpy as np
import pandas as pd
import pytest

import somnium
from somnium import SOM
from somnium.exceptions import DaskRowsError, ExportTooLargeError
from somnium.segments import Segments
from somnium.widgets import (
    ComponentPlanes,
    Explorer,
    MapView,
    SegmentProfile,
    TrainingMonitor,
    _export,
    to_html,
)
from somnium.widgets._chart_svg import draw_figure

XSS = "</script><script>window.__pwned = 1</script><img src=x onerror=alert(1)>"
FEATURES = ["income", "age", "score"]


# ---------------------------------------------------------------------------------- reading a page
def page_data(text: str) -> dict:
    """The state the page embeds (its <script type="application/json">), parsed as the browser does."""
    match = re.search(r'<script type="application/json" id="somnium-export-data">(.*?)</script>', text, re.S)
    assert match is not None
    return json.loads(match.group(1))


def module_scripts(text: str) -> list[str]:
    return re.findall(r'<script type="module">(.*?)</script>', text, re.S)


def buffer(data: dict, reference) -> bytes:
    return base64.b64decode(data["buffers"][reference["$buf"]])


def wire_values(data: dict, value) -> np.ndarray:
    """A binary trait as the page embeds it ({dtype, shape, data: {"$buf": i}}), as an array."""
    array = np.frombuffer(buffer(data, value["data"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
    return array.reshape(value["shape"])


def view_models(data: dict, bundle_suffix: str) -> list[dict]:
    return [model for model in data["models"].values() if model["bundle"].endswith(bundle_suffix)]


def blocks(layout, kind=None):
    """Every block of the page's layout, depth first (only those of type ``kind`` when given)."""
    for block in layout:
        if kind is None or block["type"] == kind:
            yield block
        yield from blocks(block.get("children", []), kind)


# ---------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(7)
    values = rng.normal(size=(240, 3)) * [1000.0, 10.0, 1.0] + [5000.0, 40.0, 0.0]
    df = pd.DataFrame(values, columns=FEATURES)
    df["segment_hint"] = rng.choice(["north", "south", "east"], len(df))
    df["spend"] = rng.gamma(2.0, 50.0, len(df))
    df.index = pd.Index([f"r{i}" for i in range(len(df))], name="customer")
    return df


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(5, 6), random_state=0).fit(frame[FEATURES], epochs=4)


@pytest.fixture
def view(model, frame):
    return MapView(model, frame, color="hits")


# ---------------------------------------------------------------------------------- the page itself
def test_one_file_with_the_export_root_and_nothing_fetched(tmp_path, view):
    path = view.to_html(tmp_path / "map.html")
    assert path == tmp_path / "map.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert re.search(r'<html lang="en" data-somnium-export="[^"]+">', text)
    # Nothing is loaded from anywhere: no src/href attributes, no <link>, no URL to a server.
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=", text)
    assert "<link" not in text
    assert "http://" not in text.split("<script", 1)[0]  # the head (the bundles may name URLs in comments)
    # The JSON state, the MapView bundle and the runtime: three scripts, no other.
    assert len(re.findall(r"<script\b", text)) == 3
    assert len(module_scripts(text)) == 2


def test_the_content_security_policy_allows_exactly_the_pages_scripts(tmp_path, view):
    text = view.to_html(tmp_path / "map.html").read_text(encoding="utf-8")
    policy = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1)
    )
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    hashes = set(re.findall(r"'sha256-([^']+)'", directives["script-src"]))
    expected = {
        base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        for script in module_scripts(text)
    }
    assert hashes == expected and len(hashes) == 2
    assert "unsafe-inline" not in directives["script-src"] and "blob:" not in directives["script-src"]


def test_the_views_own_bundle_is_inlined_registering_its_render(tmp_path, view):
    text = view.to_html(tmp_path / "map.html").read_text(encoding="utf-8")
    bundle = (somnium.widgets._base.STATIC_DIR / "map_view.js").read_text(encoding="utf-8")
    inlined = module_scripts(text)[0]
    head = bundle.rsplit("export {", 1)[0]
    assert inlined.startswith(head)  # the bundle anywidget loads, unchanged up to its export
    assert "globalThis.__somniumViews" in inlined.removeprefix(head)
    assert "export" not in inlined.removeprefix(head)
    assert module_scripts(text)[1] == (somnium.widgets._base.STATIC_DIR / "export.js").read_text(
        encoding="utf-8"
    )
    assert (somnium.widgets._base.STATIC_DIR / "map_view.css").read_text(encoding="utf-8") in text


def test_the_embedded_state_is_the_views_state(tmp_path, view):
    view.selected = [3, 4, 11]
    data = page_data(view.to_html(tmp_path / "map.html").read_text(encoding="utf-8"))
    (entry,) = view_models(data, "MapView")
    state = entry["state"]
    python = view.get_state()
    for name in ("_lattice", "_feature_names", "color", "brush_mode", "_segment_names", "_layer_info"):
        assert state[name] == python[name], name
    for name in ("_cell_vertices", "_cell_centers", "_hit_counts", "_top_features", "_top_scores"):
        assert buffer(data, state[name]["data"]) == python[name]["data"], name
    np.testing.assert_array_equal(
        wire_values(data, state["_cell_centers"]), view.model.lattice_.coordinates.astype(np.float32)
    )
    assert state["selection"] == f"IPY_MODEL_{view.selection.model_id}"
    assert data["selections"][view.selection.model_id]["nodes"] == [3, 4, 11]
    assert data["selections"][view.selection.model_id]["rows"] is None
    assert not {"_esm", "_css", "layout", "_model_name", "_view_module"} & set(state)


def test_every_layer_is_embedded_with_the_models_numbers(tmp_path, model, frame, view):
    data = page_data(view.to_html(tmp_path / "map.html").read_text(encoding="utf-8"))
    (entry,) = view_models(data, "MapView")
    answers = entry["reactions"]["color"]
    assert list(answers) == ["hits", *[key for key in view.layers if key != "hits"]]
    assert [key for key, _ in entry["state"]["_layer_options"]] == view.layers
    # independent references: the model's U-matrix, hits by predicting row by row, the codebook
    hits = np.zeros(model.lattice_.n_nodes)
    for row in frame[FEATURES].to_numpy():
        hits[model.predict(row[None, :])[0]] += 1
    expected = {
        "umatrix": model.umatrix(),
        "hits": np.where(hits > 0, hits, np.nan),
        "age": model.codebook_[:, 1],
        "spend": [frame["spend"][model.predict(frame[FEATURES]) == node].mean() for node in range(30)],
    }
    for key, values in expected.items():
        got = wire_values(data, answers[key]["_layer_values"])
        np.testing.assert_allclose(got, np.asarray(values, dtype=np.float32), rtol=1e-6, err_msg=key)
    assert answers["hits"]["_layer_info"] == {"key": "hits", "label": "Hits", "integer": True}
    assert answers["spend"]["_layer_info"]["label"] == "spend (mean of rows)"
    # identical buffers are stored once: the shown layer's values and its answer share one
    assert entry["state"]["_layer_values"]["data"] == answers["hits"]["_layer_values"]["data"]


def test_the_export_leaves_the_view_as_it_was(tmp_path, view):
    view.color = "age"
    view.selected = [2, 9]
    before = view.get_state()
    changes = []
    view.observe(changes.append, "_layer_options")
    view.to_html(tmp_path / "map.html")
    after = view.get_state()
    assert after["color"] == "age"
    assert after["_layer_values"] == before["_layer_values"]
    assert after["_layer_info"] == before["_layer_info"]
    assert view.selected == [2, 9]
    assert changes == []


def test_layers_beyond_the_budget_are_left_out_and_the_page_says_so(tmp_path, view, monkeypatch):
    n_nodes = view.model.lattice_.n_nodes
    monkeypatch.setattr(_export, "MAX_LAYER_BYTES", 3 * 8 * n_nodes)  # room for three layers
    view.color = "score"
    data = page_data(view.to_html(tmp_path / "map.html").read_text(encoding="utf-8"))
    (entry,) = view_models(data, "MapView")
    kept = ["score", *[key for key in view.layers if key != "score"][:2]]
    assert list(entry["reactions"]["color"]) == kept
    assert [key for key, _ in entry["state"]["_layer_options"]] == [k for k in view.layers if k in kept]
    left = [key for key in view.layers if key not in kept]
    (note,) = [note for note in data["notes"] if "colour menu" in note]
    assert f"{len(kept)} of the map's {len(view.layers)} layers" in note
    assert all(key in note for key in left)


def test_two_views_on_one_selection_share_it_and_the_geometry_is_stored_once(tmp_path, model, view):
    planes = ComponentPlanes(model, selection=view.selection)
    view.selected = [5]
    data = page_data(to_html(tmp_path / "two.html", view, planes).read_text(encoding="utf-8"))
    assert list(data["selections"]) == [view.selection.model_id]
    assert data["selections"][view.selection.model_id]["label"] == "Selection"
    (map_entry,) = view_models(data, "MapView")
    (planes_entry,) = view_models(data, "ComponentPlanes")
    assert planes_entry["state"]["selection"] == map_entry["state"]["selection"]
    assert planes_entry["state"]["_cell_vertices"]["data"] == map_entry["state"]["_cell_vertices"]["data"]
    np.testing.assert_array_equal(
        wire_values(data, planes_entry["state"]["_values"]), np.asarray(planes.values, dtype=np.float64)
    )
    assert [block["name"] for block in data["layout"]] == ["MapView", "ComponentPlanes"]
    # two views with their own selections get two panels
    other = ComponentPlanes(model)
    data = page_data(to_html(tmp_path / "three.html", view, other).read_text(encoding="utf-8"))
    assert [s["label"] for s in data["selections"].values()] == ["Selection 1", "Selection 2"]


# ---------------------------------------------------------------------------------- rows
def test_rows_true_embeds_the_views_rows_with_their_nodes(tmp_path, model, frame, view):
    data = page_data(view.to_html(tmp_path / "map.html", rows=True).read_text(encoding="utf-8"))
    rows = data["rows"][data["selections"][view.selection.model_id]["rows"]]
    assert rows["n_rows"] == len(frame)
    assert rows["columns"] == list(frame.columns)
    assert rows["index_name"] == "customer" and rows["index"] == list(frame.index)
    bmu = np.frombuffer(buffer(data, rows["bmu"]), dtype="<u4")
    one_by_one = [int(model.predict(row[None, :])[0]) for row in frame[FEATURES].to_numpy()]
    assert bmu.tolist() == one_by_one
    assert rows["cells"][0] == [f"{v:.6g}" for v in frame["income"]]
    assert rows["cells"][3] == list(frame["segment_hint"])
    assert "250,000 cells" in rows["note"] and "8,000,000 characters" in rows["note"]


def test_rows_given_as_a_frame_are_placed_by_their_features_or_matched_by_label(tmp_path, model, frame, view):
    sample = frame.iloc[::7]
    data = page_data(view.to_html(tmp_path / "a.html", rows=sample).read_text(encoding="utf-8"))
    (rows,) = data["rows"].values()
    assert rows["index"] == list(sample.index)
    expected = [int(model.predict(row[None, :])[0]) for row in sample[FEATURES].to_numpy()]
    assert np.frombuffer(buffer(data, rows["bmu"]), dtype="<u4").tolist() == expected
    assert "model.predict" in rows["note"]
    # without the features: matched to the view's rows by index label
    labels_only = frame.loc[sample.index, ["segment_hint"]]
    data = page_data(view.to_html(tmp_path / "b.html", rows=labels_only).read_text(encoding="utf-8"))
    (rows,) = data["rows"].values()
    assert rows["columns"] == ["segment_hint"]
    assert np.frombuffer(buffer(data, rows["bmu"]), dtype="<u4").tolist() == expected
    assert "index label" in rows["note"]
    unknown = pd.DataFrame({"segment_hint": ["x"]}, index=["not-a-row"])
    with pytest.raises(ValueError, match="feature columns"):
        view.to_html(tmp_path / "c.html", rows=unknown)


def test_rows_beyond_the_limit_are_refused_before_anything_is_written(tmp_path, view, frame, monkeypatch):
    monkeypatch.setattr(_export, "MAX_ROW_CELLS", 100)
    target = tmp_path / "map.html"
    with pytest.raises(ExportTooLargeError, match=r"240 rows × 5 columns .*at most 100 cells"):
        view.to_html(target, rows=True)
    assert not target.exists()
    monkeypatch.setattr(_export, "MAX_ROW_CELLS", 10**6)
    monkeypatch.setattr(_export, "MAX_ROW_CHARACTERS", 1000)
    with pytest.raises(ExportTooLargeError, match="characters"):
        view.to_html(target, rows=True)
    assert issubclass(ExportTooLargeError, ValueError)


def test_rows_refusals_say_what_to_do(tmp_path, model, frame):
    no_data = MapView(model)
    with pytest.raises(ValueError, match="data="):
        no_data.to_html(tmp_path / "a.html", rows=True)
    figure = bqplot.Figure(marks=[], axes=[])
    with pytest.raises(ValueError, match="needs a view with a selection"):
        to_html(tmp_path / "b.html", figure, rows=True)
    dd = pytest.importorskip("dask.dataframe")
    ddf = dd.from_pandas(frame, npartitions=2)
    with pytest.raises(DaskRowsError, match="head"):
        MapView(model, frame).to_html(tmp_path / "c.html", rows=ddf)
    with pytest.raises(DaskRowsError, match="head"):
        MapView(model, ddf).to_html(tmp_path / "d.html", rows=True)


# ---------------------------------------------------------------------------------- arguments
def test_bad_arguments_are_refused_clearly(tmp_path, view):
    with pytest.raises(ValueError, match="at least one view"):
        to_html(tmp_path / "a.html")
    with pytest.raises(TypeError, match="got DataFrame"):
        to_html(tmp_path / "a.html", pd.DataFrame())
    with pytest.raises(FileNotFoundError, match="does not exist"):
        view.to_html(tmp_path / "missing" / "a.html")
    with pytest.raises(IsADirectoryError):
        view.to_html(tmp_path)
    with pytest.raises(TypeError, match="title must be a string"):
        view.to_html(tmp_path / "a.html", title=3)
    with pytest.raises(TypeError, match="path"):
        view.to_html(3.5)


# ---------------------------------------------------------------------------------- hostile strings
def test_user_strings_are_inert_text_in_the_file(tmp_path):
    rng = np.random.default_rng(0)
    names = [XSS, "a & b", "<b>bold</b>"]
    df = pd.DataFrame(rng.normal(size=(120, 3)), columns=names)
    df[f"{XSS} note"] = [XSS] * len(df)
    model = SOM(mapsize=(4, 5), random_state=0).fit(df[names], epochs=2)
    segments = Segments(model)
    segments.add(XSS, [0, 1, 2])
    view = MapView(model, df, segments=segments)
    text = view.to_html(tmp_path / "x.html", rows=True, title=XSS).read_text(encoding="utf-8")
    # The only script elements are the page's three; the hostile markup never appears as markup.
    assert len(re.findall(r"<script\b", text, re.I)) == 3
    assert "<img src=x" not in text and "<b>bold" not in text
    assert f"<title>{html.escape(XSS)}</title>" in text
    data = page_data(text)
    assert data["title"] == XSS
    assert XSS in data["models"][view.model_id]["state"]["_feature_names"]
    assert data["models"][view.model_id]["state"]["_segment_names"] == [XSS]


# ---------------------------------------------------------------------------------- charts
def brute_force_z(frame, bmu, nodes, column):
    inside = frame[column].to_numpy()[np.isin(bmu, nodes)]
    everything = frame[column].to_numpy()
    return (inside.mean() - everything.mean()) / everything.std()


def test_the_profile_chart_is_drawn_from_its_numbers(model, frame):
    profile = SegmentProfile(model, frame)
    profile.selected = [0, 1, 2, 6, 7]
    bmu = model.predict(frame[FEATURES])
    fig, skipped = draw_figure(profile.numeric_figure)
    assert skipped == []
    ax = fig.axes[0]
    labels = [label.get_text() for label in ax.get_xticklabels()]
    heights = {label: bar.get_height() for label, bar in zip(labels, ax.patches, strict=True)}
    for column in ["income", "age", "score", "spend"]:
        assert heights[column] == pytest.approx(brute_force_z(frame, bmu, [0, 1, 2, 6, 7], column))
    assert ax.get_title() == profile.numeric_figure.title
    assert ax.get_ylabel() == "selection mean (std units)"
    # the whiskers: one vertical line per bar, from z_low to z_high
    table = profile.compare([0, 1, 2, 6, 7])
    for line in ax.get_lines():
        x = line.get_xdata()
        column = labels[int(x[0])]
        assert list(line.get_ydata()) == pytest.approx(
            [table.loc[column, "z_low"], table.loc[column, "z_high"]]
        )
    # the categories: two bars per category (selection, rest), shares
    fig, _ = draw_figure(profile.category_figure)
    shares = profile.compare_categories([0, 1, 2, 6, 7])
    heights = sorted(round(bar.get_height(), 9) for bar in fig.axes[0].patches)
    assert heights == sorted(round(v, 9) for v in [*shares["share_selected"], *shares["share_rest"]])


def test_the_monitor_curves_are_drawn_from_the_history(tmp_path):
    X = np.random.default_rng(1).normal(size=(150, 3))
    model = SOM(mapsize=(4, 5), random_state=0)
    monitor = TrainingMonitor(model, X, display=False)
    model.fit(X, epochs=4, callbacks=[monitor])
    data = page_data(to_html(tmp_path / "monitor.html", monitor).read_text(encoding="utf-8"))
    pictures = list(blocks(data["layout"], "picture"))
    assert [p["alt"] for p in pictures] == [
        "Quantization error",
        "Topographic error",
        "Vacancy rate",
        "Map in data space",
    ]
    svg = base64.b64decode(pictures[0]["svg"]).decode()
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "Quantization error" in svg
    curve = next(figure for figure in _figures(monitor.widget) if figure.title == "Quantization error")
    fig, _ = draw_figure(curve)
    lines = [line for axes in fig.axes for line in axes.get_lines()]
    (line,) = [line for line in lines if len(line.get_ydata()) == len(model.history_["epoch"])]
    np.testing.assert_allclose(line.get_ydata(), model.history_["quantization_error"])
    np.testing.assert_allclose(line.get_xdata(), model.history_["epoch"])
    # the header (its own anywidget: state, progress, a disabled Stop) and the final map, live
    views = [data["models"][block["model"]]["bundle"] for block in blocks(data["layout"], "view")]
    assert len(views) == 2 and views[0].startswith("somnium.widgets.training_monitor.")
    assert views[1].endswith("MapView")
    (header,) = view_models(data, views[0])
    assert header["state"]["state"] == "done" and header["state"]["stop_enabled"] is False
    # references to widget models the page does not hold are dropped; the selection's stays
    (map_entry,) = view_models(data, "MapView")
    references = [
        value
        for entry in data["models"].values()
        for value in entry["state"].values()
        if isinstance(value, str) and value.startswith("IPY_MODEL_")
    ]
    assert references == [map_entry["state"]["selection"]]
    assert map_entry["state"]["selection"][len("IPY_MODEL_") :] in data["selections"]
    assert any("ToggleButton" in note for note in data["notes"])  # the log switch needs Python
    assert any("pictures of their state" in note for note in data["notes"])


def _figures(widget):
    if isinstance(widget, bqplot.Figure):
        yield widget
    for child in getattr(widget, "children", ()):
        yield from _figures(child)


def test_the_explorer_page_holds_its_views_charts_and_segment_table(tmp_path, model, frame):
    explorer = Explorer(model, frame)
    explorer.selection.nodes = [0, 1, 6]
    explorer.add_segment("Corner")
    path = explorer.to_html(tmp_path / "explorer.html", rows=True)
    data = page_data(path.read_text(encoding="utf-8"))
    assert [b["name"] for b in blocks(data["layout"], "view")] == ["MapView", "ComponentPlanes"]
    assert len(list(blocks(data["layout"], "picture"))) == 2  # numbers and categories
    texts = [block["text"] for block in blocks(data["layout"], "text")]
    assert "Corner" in texts and "Profile: Selection" in texts
    assert f"{int(np.isin(model.predict(frame[FEATURES]), [0, 1, 6]).sum()):,}" in texts
    assert list(data["selections"]) == [explorer.selection.model_id]
    assert any("Button" in note and "Text" in note for note in data["notes"])
    assert data["layout"][0]["classes"] == ["somnium", "somnium-explorer"]  # the theme tokens and its layout
    (map_entry,) = view_models(data, "MapView")
    assert map_entry["state"]["color"] == "segments"
    assert map_entry["state"]["_segment_names"] == ["Corner"]


def test_boxes_and_labels_keep_their_layout_as_text(tmp_path, view):
    box = ipywidgets.HBox(
        [view, ipywidgets.Label("plain <label>"), ipywidgets.HTML("<b>bold</b> &amp; <i>more</i>")],
        layout=ipywidgets.Layout(width="90%", flex_flow="row wrap"),
    )
    data = page_data(to_html(tmp_path / "box.html", box).read_text(encoding="utf-8"))
    (outer,) = data["layout"]
    assert outer["type"] == "box" and outer["direction"] == "row"
    assert outer["style"] == {"width": "90%", "flex-flow": "row wrap"}
    assert outer["classes"] == []
    assert [b["text"] for b in outer["children"][1:]] == ["plain <label>", "bold & more"]


def test_charts_on_two_scales_with_labels_and_dots_are_drawn_where_bqplot_draws_them():
    """A curve on its own scale, a phase boundary and its label on a 0-1 scale of the height, and a
    sample drawn as zero-length segments (dots): each on the matplotlib axes of its scales."""
    epochs = bqplot.LinearScale()
    values = bqplot.LinearScale()
    unit = bqplot.LinearScale(min=0.0, max=1.0)
    curve = bqplot.Lines(x=[1, 2, 3, 4], y=[0.9, 0.5, 0.3, 0.25], scales={"x": epochs, "y": values})
    boundary = bqplot.Lines(x=[2.5, 2.5], y=[0.0, 1.0], scales={"x": epochs, "y": unit}, line_style="dashed")
    label = bqplot.Label(x=[2.5], y=[1.0], text=[XSS], scales={"x": epochs, "y": unit}, rotate_angle=-90)
    figure = bqplot.Figure(
        marks=[boundary, label, curve],
        axes=[
            bqplot.Axis(scale=epochs, label="epoch", tick_format="d"),
            bqplot.Axis(scale=values, side="left", tick_format=".3~g"),
        ],
        title="Quantization error",
    )
    fig, skipped = draw_figure(figure)
    assert skipped == []
    primary, overlay = fig.axes
    (line,) = primary.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [0.9, 0.5, 0.3, 0.25])
    assert overlay.get_ylim() == (0.0, 1.0) and not overlay.axison
    assert overlay.get_xlim() == primary.get_xlim()  # the epochs scale is shared
    (dashed,) = overlay.get_lines()
    assert list(dashed.get_ydata()) == [0.0, 1.0] and dashed.get_linestyle() == "--"
    (text,) = overlay.texts
    assert text.get_text() == XSS and text.get_rotation() == 90
    formatter = primary.yaxis.get_major_formatter()
    assert formatter(0.123456) == "0.123" and formatter(0.5) == "0.5"
    assert primary.xaxis.get_major_formatter()(3.0) == "3"
    # points as zero-length segments (x, x, NaN, ...): dots where the line has nothing to draw
    scales = {"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}
    nan = float("nan")
    sample = bqplot.Lines(x=[1, 1, nan, 2, 2, nan, 3, 4], y=[5, 5, nan, 6, 6, nan, 7, 8], scales=scales)
    fig, _ = draw_figure(bqplot.Figure(marks=[sample], axes=[]))
    lines = fig.axes[0].get_lines()
    dots = [line for line in lines if line.get_marker() == "o"]
    (dot,) = dots
    assert list(dot.get_xdata()) == [1, 1, 2, 2] and list(dot.get_ydata()) == [5, 5, 6, 6]


def test_css_colours_of_the_charts_become_matplotlib_colours():
    from somnium.widgets._chart_svg import css_color

    assert css_color("var(--somnium-fg-muted, #757575)") == "#757575"
    assert css_color("rgba(255, 0, 51, 0.5)") == (1.0, 0.0, 0.2, 0.5)
    assert css_color("rgb(0, 0, 0)") == (0.0, 0.0, 0.0, 1.0)
    assert css_color("steelblue") == "steelblue"
    assert css_color("var(--no-fallback)", "#123456") == "#123456"
    assert css_color("not a colour", "#123456") == "#123456"


def test_rows_as_a_series_or_an_array_keep_their_labels_and_names(tmp_path, model, frame, view):
    series = frame["segment_hint"].iloc[:10]
    data = page_data(view.to_html(tmp_path / "s.html", rows=series).read_text(encoding="utf-8"))
    (rows,) = data["rows"].values()
    assert rows["columns"] == ["segment_hint"] and rows["index"] == list(series.index)
    array = frame[FEATURES].to_numpy()[:5]
    data = page_data(view.to_html(tmp_path / "a.html", rows=array).read_text(encoding="utf-8"))
    (rows,) = data["rows"].values()
    assert rows["columns"] == FEATURES and rows["index"] == ["0", "1", "2", "3", "4"]
    expected = [int(model.predict(row[None, :])[0]) for row in array]
    assert np.frombuffer(buffer(data, rows["bmu"]), dtype="<u4").tolist() == expected


def test_references_to_models_the_page_does_not_hold_are_dropped(model):
    """A training monitor's header references the bqplot lines it feeds live: nothing a page gets."""
    page = _export._Page()
    selection = MapView(model).selection
    page.add_selection(selection, model)
    held = f"IPY_MODEL_{selection.model_id}"
    assert page._reachable(held) == held
    assert page._reachable("IPY_MODEL_elsewhere") is None
    assert page._reachable(["IPY_MODEL_a", held, "IPY_MODEL_b"]) == [held]
    assert page._reachable(["IPY_MODEL_a", "IPY_MODEL_b"]) == []
    assert page._reachable(["plain", "text"]) == ["plain", "text"]
    assert page._reachable("IPY_MODELS are text") == "IPY_MODELS are text"
