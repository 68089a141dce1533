"""MapView in headless Chromium: the built bundle in a static harness page.

The page (tests/support/harness/) loads somnium/static/map_view.js the way anywidget
does (fetch -> Blob URL -> import()) and renders it with a fake model whose
state is a real MapView's synced state, next to a fake model of its Selection
(resolved through widget_manager.get_model); what the browser would send back
to Python is read from the fake models' save_changes() logs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.path import Path as PolygonPath

from somnium import SOM
from somnium.widgets import MapView
from tests.support.harness.harness_server import model_states, widget_state

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
FEATURES = ["income", "age", XSS]


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    return pd.DataFrame(rng.normal(size=(300, 3)) * [1000, 10, 1], columns=FEATURES)


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(6, 8), random_state=0).fit(frame, epochs=3)


@pytest.fixture
def view(model, frame):
    return MapView(model, data=frame, color="hits")


@pytest.fixture
def browser_page(page):
    """The page, failing the test on any uncaught error or dialog (an XSS would open one)."""
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    assert problems == []


def mount(page, url, view, **options):
    page.goto(f"{url}/")
    page.wait_for_function("window.harnessReady === true")
    options = {"models": model_states(view), **options}
    result = page.evaluate(
        "([state, options]) => window.harness.mount(state, options)", [widget_state(view), options]
    )
    page.wait_for_selector('.somnium-map[data-ready="true"]')
    return result


def push(page, view, *names):
    """Send traits from the Python view to the browser, as a kernel message would."""
    state = widget_state(view)
    page.evaluate(
        "changes => window.harness.model.fromPython(changes)", {name: state[name] for name in names}
    )


def push_selection(page, view):
    """Send the selection from Python to the browser's Selection model, as a kernel message would."""
    page.evaluate(
        "([id, nodes]) => window.harness.models.get(id).fromPython({nodes})",
        [view.selection.model_id, view.selection.nodes],
    )


def saved(page):
    """What the view's own model sent to Python."""
    return page.evaluate("window.harness.model.saved")


def selection_saved(page, view):
    """What the browser's Selection model sent to Python."""
    return page.evaluate("id => window.harness.models.get(id).saved", view.selection.model_id)


def selected_in_dom(page):
    return page.eval_on_selector_all(
        '[data-selected="true"]', "cells => cells.map(c => Number(c.dataset.neuron))"
    )


def cell_center(page, node):
    box = page.locator(f'[data-neuron="{node}"]').bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def lattice_to_client(page, view, x, y):
    """Client pixels of a point in lattice units (from two cell centres: exact, no layout guess)."""
    coords = view.model.lattice_.coordinates
    (ax, ay), (bx, by) = cell_center(page, 0), cell_center(page, view.n_nodes - 1)
    scale_x = (bx - ax) / (coords[-1, 0] - coords[0, 0])
    scale_y = (by - ay) / (coords[-1, 1] - coords[0, 1])
    return ax + (x - coords[0, 0]) * scale_x, ay + (y - coords[0, 1]) * scale_y


# ---------------------------------------------------------------------- drawing
def test_every_node_is_drawn_with_its_test_hooks(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    root = browser_page.locator(".somnium-map")
    assert root.get_attribute("data-ready") == "true"
    neurons = browser_page.eval_on_selector_all(
        "[data-neuron]", "cells => cells.map(c => Number(c.dataset.neuron))"
    )
    assert neurons == list(range(48))
    assert browser_page.eval_on_selector_all("path[data-neuron]", "cells => cells.length") == 48


def test_cells_sit_where_the_lattice_puts_them(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    boxes = browser_page.eval_on_selector_all(
        "[data-neuron]",
        "cells => cells.map(c => { const b = c.getBBox(); return [b.x, b.y, b.width, b.height]; })",
    )
    vertices = view.model.lattice_.cell_vertices()
    expected = np.column_stack(
        [
            vertices[:, :, 0].min(axis=1),
            vertices[:, :, 1].min(axis=1),
            np.ptp(vertices[:, :, 0], axis=1),
            np.ptp(vertices[:, :, 1], axis=1),
        ]
    )
    np.testing.assert_allclose(np.array(boxes), expected, atol=1e-3)
    # row 0 is drawn at the top, as in the static plots
    assert cell_center(browser_page, 0)[1] < cell_center(browser_page, 47)[1]


def test_the_map_fills_its_width_and_keeps_its_aspect_ratio(browser_page, harness_url, view):
    mount(browser_page, harness_url, view, width=500)
    size = browser_page.eval_on_selector(
        ".somnium-map__svg",
        """svg => {
        const box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal,
              root = svg.closest('.somnium-map').getBoundingClientRect();
        return {width: box.width, height: box.height, vb: vb.width / vb.height, root: root.width};
    }""",
    )
    assert size["root"] == pytest.approx(500, abs=1)
    assert size["width"] == pytest.approx(500 - 2 * 8 - 2, abs=1)  # root padding and border
    assert size["width"] / size["height"] == pytest.approx(size["vb"], rel=0.01)


def test_empty_nodes_are_marked(browser_page, harness_url, model):
    X = np.random.default_rng(0).normal(size=(20, 3))
    view = MapView(model, data=X, color="hits")  # 20 rows on 48 nodes: many empty nodes
    mount(browser_page, harness_url, view)
    empty = browser_page.eval_on_selector_all(
        '[data-empty="true"]', "cs => cs.map(c => Number(c.dataset.neuron))"
    )
    assert empty == np.flatnonzero(np.bincount(view.bmu, minlength=48) == 0).tolist()
    # on the hits layer they have no value and take the theme's empty fill
    no_value = browser_page.eval_on_selector_all(
        '[data-novalue="true"]', "cs => cs.map(c => Number(c.dataset.neuron))"
    )
    assert no_value == empty
    assert browser_page.locator(".somnium-map__empty-marks").get_attribute("d").count("M") == len(empty)


@pytest.mark.parametrize("lattice, lines", [("hexa", 0), ("cylindrical_rect", 2), ("toroidal_hexa", 4)])
def test_wrapping_maps_are_drawn_flat_with_their_wrap_marked(browser_page, harness_url, lattice, lines):
    X = np.random.default_rng(0).normal(size=(50, 2))
    view = MapView(SOM(mapsize=(4, 6), lattice=lattice, random_state=0).fit(X, epochs=2), data=X)
    mount(browser_page, harness_url, view)
    assert browser_page.locator(".somnium-map__wrap-line").count() == lines
    note = browser_page.locator(".somnium-map__wrap-note").text_content()
    assert ("join" in note) == (lines > 0)


# -------------------------------------------------------------------- selection
def test_a_click_selects_one_node_and_tells_python(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    browser_page.click('[data-neuron="12"]')
    assert selected_in_dom(browser_page) == [12]
    assert selection_saved(browser_page, view)[-1] == {"nodes": [12]}
    assert saved(browser_page) == []  # the view's own model carries no selection
    # Python receives exactly that message and filters the rows
    view.selection.set_state(selection_saved(browser_page, view)[-1])
    assert view.selected == [12]
    pd.testing.assert_frame_equal(view.selected_rows, view._data[view.bmu == 12])


def test_modifier_clicks_add_and_remove_nodes(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    browser_page.click('[data-neuron="5"]')
    browser_page.click('[data-neuron="9"]', modifiers=["Shift"])
    browser_page.click('[data-neuron="30"]', modifiers=["Control"])
    assert selected_in_dom(browser_page) == [5, 9, 30]
    browser_page.click('[data-neuron="5"]', modifiers=["Shift"])
    assert selected_in_dom(browser_page) == [9, 30]
    assert selection_saved(browser_page, view)[-1] == {"nodes": [9, 30]}


def test_a_click_on_empty_space_and_escape_clear(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    browser_page.click('[data-neuron="5"]')
    box = browser_page.locator(".somnium-map__svg").bounding_box()
    browser_page.mouse.click(box["x"] + 3, box["y"] + 3)  # the margin around the cells
    assert selected_in_dom(browser_page) == []
    browser_page.click('[data-neuron="7"]')
    browser_page.keyboard.press("Escape")
    assert selected_in_dom(browser_page) == []
    assert selection_saved(browser_page, view)[-1] == {"nodes": []}


def drag(page, points):
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()


def test_a_rectangle_brush_selects_the_cells_whose_centres_it_covers(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    corners = [(0.8, 0.3), (4.2, 2.9)]  # lattice units
    drag(browser_page, [lattice_to_client(browser_page, view, *c) for c in corners])
    coords = view.model.lattice_.coordinates
    inside = (coords[:, 0] >= 0.8) & (coords[:, 0] <= 4.2) & (coords[:, 1] >= 0.3) & (coords[:, 1] <= 2.9)
    assert selected_in_dom(browser_page) == np.flatnonzero(inside).tolist()
    assert selection_saved(browser_page, view)[-1] == {"nodes": np.flatnonzero(inside).tolist()}


def test_a_shift_brush_adds_to_the_selection(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    browser_page.click('[data-neuron="47"]')
    browser_page.keyboard.down("Shift")
    (x0, y0), (x1, y1) = view.model.lattice_.coordinates[[0, 1]]  # the first two cells of the top row
    drag(
        browser_page,
        [lattice_to_client(browser_page, view, *c) for c in [(x0 - 0.4, y0 - 0.4), (x1 + 0.2, y1 + 0.2)]],
    )
    browser_page.keyboard.up("Shift")
    assert selected_in_dom(browser_page) == [0, 1, 47]


def test_a_lasso_selects_the_cells_inside_the_drawn_shape(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    browser_page.click(".somnium-map__brush-modes button[data-mode='lasso']")
    assert saved(browser_page)[-1] == {"brush_mode": "lasso"}
    polygon = [(0.2, 0.2), (6.5, 0.6), (3.0, 4.6), (1.0, 3.0)]  # lattice units
    drag(browser_page, [lattice_to_client(browser_page, view, *p) for p in polygon])
    inside = PolygonPath(polygon).contains_points(view.model.lattice_.coordinates)
    assert selected_in_dom(browser_page) == np.flatnonzero(inside).tolist()


def test_a_selection_set_in_python_is_shown(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    view.selected = [3, 20, 21]
    push_selection(browser_page, view)
    assert selected_in_dom(browser_page) == [3, 20, 21]
    assert "3 nodes selected" in browser_page.locator(".somnium-map__status").text_content()
    view.select_rows(view._data["income"] > 1500)
    push_selection(browser_page, view)
    assert selected_in_dom(browser_page) == view.selected
    # showing Python's selection sends nothing back
    assert saved(browser_page) == [] and selection_saved(browser_page, view) == []


# ----------------------------------------------------------- hover and layers
def test_hovering_a_cell_shows_its_details(browser_page, harness_url, view):
    view.color = "income"
    mount(browser_page, harness_url, view)
    node = 17
    browser_page.hover(f'[data-neuron="{node}"]')
    tooltip = browser_page.locator(".somnium-map__tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    hits = int(np.sum(view.bmu == node))
    income = float(view.model.codebook_[node, 0])
    assert f"Node {node}" in text
    assert f"Hits\n{hits}" in text or f"Hits\t{hits}" in text
    assert f"{income:.4g}" in text.replace(",", "")
    z_top = view._feature_names[int(view._top_features[node, 0])]
    assert "Sets it apart" in text and z_top in text
    browser_page.mouse.move(1, 1)
    tooltip.wait_for(state="hidden")


def test_the_layer_menu_asks_python_and_redraws_with_the_answer(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    before = browser_page.locator('[data-neuron="0"]').get_attribute("fill")
    browser_page.select_option(".somnium-map__layer", "age")
    assert saved(browser_page)[-1] == {"color": "age"}
    view.set_state(saved(browser_page)[-1])  # Python computes the layer ...
    push(browser_page, view, "_layer_values", "_layer_info")  # ... and sends it back
    assert browser_page.locator(".somnium-map__colorbar-label").text_content() == "age"
    ages = view.model.codebook_[:, 1]
    assert browser_page.locator(".somnium-map__tick-min").text_content() == f"{ages.min():.4g}"
    assert browser_page.locator(".somnium-map__tick-max").text_content() == f"{ages.max():.4g}"
    fills = browser_page.eval_on_selector_all("[data-neuron]", "cs => cs.map(c => c.getAttribute('fill'))")
    assert fills[int(ages.argmin())] == "#440154" and fills[int(ages.argmax())] == "#fde725"
    assert fills[0] != before or ages.argmin() == 0


def test_a_layer_set_from_python_updates_menu_and_colour_bar(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    view.color = np.arange(48.0)
    push(browser_page, view, "_layer_options", "color", "_layer_values", "_layer_info")
    assert browser_page.locator(".somnium-map__layer").input_value() == "custom"
    assert browser_page.locator(".somnium-map__colorbar-label").text_content() == "custom"
    assert browser_page.locator(".somnium-map__tick-max").text_content() == "47"


def test_user_strings_render_as_text_never_html(browser_page, harness_url, view):
    view.color = XSS
    mount(browser_page, harness_url, view)
    assert browser_page.locator(".somnium-map__colorbar-label").text_content() == XSS
    options = browser_page.eval_on_selector_all(
        ".somnium-map__layer option", "os => os.map(o => o.textContent)"
    )
    assert XSS in options
    node = int(np.argmax(np.abs(view.model.codebook_[:, 2])))
    browser_page.hover(f'[data-neuron="{node}"]')
    assert XSS in browser_page.locator(".somnium-map__tooltip").inner_text()
    assert browser_page.locator(".somnium-map img").count() == 0
    browser_page.wait_for_timeout(100)  # an injected onerror handler would have fired by now


def test_binary_buffers_at_odd_offsets_decode_the_same(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    aligned = browser_page.eval_on_selector_all(
        "[data-neuron]", "cs => cs.map(c => c.getAttribute('d') + c.getAttribute('fill'))"
    )
    mount(browser_page, harness_url, view, unaligned=True)
    assert (
        browser_page.eval_on_selector_all(
            "[data-neuron]", "cs => cs.map(c => c.getAttribute('d') + c.getAttribute('fill'))"
        )
        == aligned
    )


# ------------------------------------------------------------------------ theme
@pytest.mark.parametrize(
    "theme, background, text",
    [
        ("light", "rgb(255, 255, 255)", "rgba(0, 0, 0, 0.87)"),
        ("dark", "rgb(33, 33, 33)", "rgba(255, 255, 255, 0.87)"),
    ],
)
def test_theme_colours_come_from_jupyterlab_variables(
    browser_page, harness_url, view, theme, background, text
):
    mount(browser_page, harness_url, view, theme=theme)
    colours = browser_page.eval_on_selector(
        ".somnium-map",
        """root => {
        const style = getComputedStyle(root);
        const cell = getComputedStyle(root.querySelector('[data-neuron]'));
        return {background: style.backgroundColor, text: style.color, gap: cell.stroke};
    }""",
    )
    assert colours == {"background": background, "text": text, "gap": background}


def test_screenshots(browser_page, harness_url, model, frame, artifacts_dir):
    for theme in ("light", "dark"):
        view = MapView(model, data=frame, color="umatrix")
        mount(browser_page, harness_url, view, theme=theme)
        view.selected = [19, 20, 27, 28]
        push_selection(browser_page, view)
        browser_page.hover('[data-neuron="36"]')
        browser_page.locator(".somnium-map__tooltip").wait_for(state="visible")
        path = artifacts_dir / f"map_view_{theme}.png"
        browser_page.locator("#host").screenshot(path=str(path))
        assert path.stat().st_size > 10_000


def test_render_returns_a_cleanup_that_removes_every_listener(browser_page, harness_url, view):
    mount(browser_page, harness_url, view)
    assert browser_page.evaluate("window.harness.model.listenerCount()") > 0
    selection = f"window.harness.models.get('{view.selection.model_id}')"
    assert browser_page.evaluate(f"{selection}.listenerCount()") > 0
    browser_page.evaluate("window.harness.cleanup()")
    assert browser_page.evaluate("window.harness.model.listenerCount()") == 0
    assert browser_page.evaluate(f"{selection}.listenerCount()") == 0
    assert browser_page.locator(".somnium-map").count() == 0


def test_a_100_by_100_map_renders_and_answers_clicks(browser_page, harness_url):
    X = np.random.default_rng(0).normal(size=(3000, 4))
    view = MapView(SOM(mapsize=(100, 100), random_state=0).fit(X, epochs=1), data=X, color="hits")
    result = mount(browser_page, harness_url, view)
    assert browser_page.locator("[data-neuron]").count() == 10_000
    assert result["renderMs"] < 5_000  # generous: the benchmark measures it properly
    browser_page.click('[data-neuron="5050"]')
    assert selected_in_dom(browser_page) == [5050]


def test_the_harness_server_refuses_requests_without_its_token(harness_url):
    import urllib.error
    import urllib.request

    base = harness_url.rsplit("/", 1)[0]
    assert base.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{harness_url}/") as ok:
        assert ok.status == 200
    for path in ("/", "/static/map_view.js", "/wrong-token/"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + path)
        assert refused.value.code == 403
