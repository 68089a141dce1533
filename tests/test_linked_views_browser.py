"""Linked views in headless Chromium: MapView and ComponentPlanes on one Selection.

The harness page holds one fake model per widget (the two views and their shared Selection) in one
registry that ``widget_manager.get_model`` resolves, as JupyterLab does; both views are the built
bundles.  What the browser would send back to Python is read from the Selection's save_changes() log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from somnium import SOM
from somnium.widgets import ComponentPlanes, MapView, Selection
from tests.support.harness.harness_server import model_states, widget_state

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
FEATURES = ["income", "age", "score", XSS]


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(5)
    base = rng.normal(size=(400, 2))
    columns = np.column_stack([base[:, 0] * 1000 + 5000, base[:, 1] * 10 + 40, base[:, 0] + 0.1, base[:, 1]])
    return pd.DataFrame(columns, columns=FEATURES)


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(6, 8), random_state=0).fit(frame, epochs=3)


@pytest.fixture
def linked(model, frame):
    selection = Selection(model.lattice_.n_nodes)
    return MapView(model, frame, selection=selection), ComponentPlanes(model, selection=selection)


@pytest.fixture
def browser_page(page):
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    assert problems == []


def mount_views(page, url, *views, theme="light"):
    page.goto(f"{url}/")
    page.wait_for_function("window.harnessReady === true")
    specs = [
        {"state": widget_state(v), "bundle": "map_view" if isinstance(v, MapView) else "component_planes"}
        for v in views
    ]
    times = page.evaluate(
        "([views, options]) => window.harness.mountMany(views, options)",
        [specs, {"models": model_states(*views), "theme": theme}],
    )
    page.wait_for_selector('.somnium-planes[data-ready="true"]')
    return times


def selected_on_map(page):
    return page.eval_on_selector_all(
        '.harness-view[data-view="0"] [data-selected="true"]', "cs => cs.map(c => Number(c.dataset.neuron))"
    )


def selected_per_plane(page):
    return page.eval_on_selector_all(
        ".somnium-planes .somnium-map",
        """planes => Object.fromEntries(planes.map(p => [p.dataset.feature,
            Array.from(p.querySelectorAll('[data-selected="true"]')).map(c => Number(c.dataset.neuron))]))""",
    )


def selection_saved(page, selection):
    return page.evaluate("id => window.harness.models.get(id).saved", selection.model_id)


def drag(page, points):
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()


def center(page, selector):
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def map_point(page, model, x, y, scope='.harness-view[data-view="0"]'):
    """Client pixels of a point in lattice units inside the map ``scope``, from two cell centres."""
    coords = model.lattice_.coordinates
    last = len(coords) - 1
    (ax, ay), (bx, by) = (
        center(page, f'{scope} [data-neuron="0"]'),
        center(page, f'{scope} [data-neuron="{last}"]'),
    )
    return (
        ax + (x - coords[0, 0]) * (bx - ax) / (coords[-1, 0] - coords[0, 0]),
        ay + (y - coords[0, 1]) * (by - ay) / (coords[-1, 1] - coords[0, 1]),
    )


def test_every_plane_has_the_map_hooks(browser_page, harness_url, linked):
    view, planes = linked
    mount_views(browser_page, harness_url, view, planes)
    features = browser_page.eval_on_selector_all(
        '.somnium-planes .somnium-map[data-ready="true"]', "ps => ps.map(p => p.dataset.feature)"
    )
    assert features == planes.features and sorted(features) == sorted(FEATURES)
    counts = browser_page.eval_on_selector_all(
        ".somnium-planes .somnium-map", "ps => ps.map(p => p.querySelectorAll('[data-neuron]').length)"
    )
    assert counts == [48] * 4


def test_a_brush_on_the_map_selects_the_same_nodes_on_every_plane(browser_page, harness_url, linked, model):
    view, planes = linked
    mount_views(browser_page, harness_url, view, planes)
    corners = [(0.8, 0.3), (4.2, 2.9)]
    drag(browser_page, [map_point(browser_page, model, *c) for c in corners])
    coords = model.lattice_.coordinates
    inside = (coords[:, 0] >= 0.8) & (coords[:, 0] <= 4.2) & (coords[:, 1] >= 0.3) & (coords[:, 1] <= 2.9)
    expected = np.flatnonzero(inside).tolist()
    assert selected_on_map(browser_page) == expected
    assert selected_per_plane(browser_page) == {feature: expected for feature in planes.features}
    # one message to Python, on the shared selection; both views see it there
    assert selection_saved(browser_page, view.selection) == [{"nodes": expected}]
    view.selection.set_state(selection_saved(browser_page, view.selection)[-1])
    assert view.selected == planes.selected == expected


def test_a_click_on_a_plane_updates_the_map(browser_page, harness_url, linked):
    view, planes = linked
    mount_views(browser_page, harness_url, view, planes)
    third = '.somnium-planes .somnium-map[data-plane="2"]'
    browser_page.click(f'{third} [data-neuron="17"]')
    assert selected_on_map(browser_page) == [17]
    browser_page.click(f'{third} [data-neuron="30"]', modifiers=["Shift"])
    assert selected_on_map(browser_page) == [17, 30]
    assert set(map(tuple, selected_per_plane(browser_page).values())) == {(17, 30)}
    assert "2 nodes selected" in browser_page.locator(".somnium-map__status").text_content()
    assert selection_saved(browser_page, view.selection) == [{"nodes": [17]}, {"nodes": [17, 30]}]


def test_a_lasso_on_a_plane_selects_as_on_the_map(browser_page, harness_url, linked, model):
    view, planes = linked
    mount_views(browser_page, harness_url, view, planes)
    browser_page.click(".somnium-planes .somnium-map__brush-modes button[data-mode='lasso']")
    planes.set_state(browser_page.evaluate("window.harness.views[1].model.saved")[-1])
    browser_page.evaluate("window.harness.views[1].model.fromPython({brush_mode: 'lasso'})")
    scope = '.somnium-planes .somnium-map[data-plane="0"]'
    polygon = [(0.2, 0.2), (6.5, 0.6), (3.0, 4.6), (1.0, 3.0)]
    drag(browser_page, [map_point(browser_page, model, *p, scope=scope) for p in polygon])
    from matplotlib.path import Path as PolygonPath

    inside = np.flatnonzero(PolygonPath(polygon).contains_points(model.lattice_.coordinates)).tolist()
    assert selected_on_map(browser_page) == inside


def test_quick_successive_edits_from_two_views_do_not_ping_pong(browser_page, harness_url, linked):
    view, planes = linked
    mount_views(browser_page, harness_url, view, planes)
    plane = '.somnium-planes .somnium-map[data-plane="1"]'
    browser_page.click('.harness-view[data-view="0"] [data-neuron="3"]')
    browser_page.click(f'{plane} [data-neuron="4"]', modifiers=["Shift"])
    browser_page.click('.harness-view[data-view="0"] [data-neuron="5"]', modifiers=["Shift"])
    browser_page.click(f'{plane} [data-neuron="3"]', modifiers=["Shift"])
    browser_page.wait_for_timeout(100)
    # exactly one message per gesture, in order; the views' own models send nothing
    assert selection_saved(browser_page, view.selection) == [
        {"nodes": [3]},
        {"nodes": [3, 4]},
        {"nodes": [3, 4, 5]},
        {"nodes": [4, 5]},
    ]
    assert browser_page.evaluate("window.harness.views.map(v => v.model.saved.length)") == [0, 0]
    assert selected_on_map(browser_page) == [4, 5]
    assert set(map(tuple, selected_per_plane(browser_page).values())) == {(4, 5)}


def test_a_selection_from_python_shows_on_every_view(browser_page, harness_url, linked):
    view, planes = linked
    mount_views(browser_page, harness_url, view, planes)
    planes.selected = [1, 2, 40]
    assert view.selected == [1, 2, 40]
    browser_page.evaluate(
        "([id, nodes]) => window.harness.models.get(id).fromPython({nodes})",
        [view.selection.model_id, view.selection.nodes],
    )
    assert selected_on_map(browser_page) == [1, 2, 40]
    assert set(map(tuple, selected_per_plane(browser_page).values())) == {(1, 2, 40)}
    assert selection_saved(browser_page, view.selection) == []


def test_hovering_a_plane_shows_every_features_value(browser_page, harness_url, linked, model):
    view, planes = linked
    mount_views(browser_page, harness_url, view, planes)
    node = 21
    browser_page.hover(f'.somnium-planes .somnium-map[data-plane="0"] [data-neuron="{node}"]')
    tooltip = browser_page.locator(".somnium-planes .somnium-map__tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    assert f"Node {node}" in text
    for j, name in enumerate(FEATURES):
        assert name in text
        assert f"{model.codebook_[node, j]:.4g}" in text.replace(",", "")


def test_feature_names_render_as_text_never_html(browser_page, harness_url, linked):
    view, planes = linked
    mount_views(browser_page, harness_url, view, planes)
    titles = browser_page.eval_on_selector_all(".somnium-planes__title", "ts => ts.map(t => t.textContent)")
    assert XSS in titles
    assert browser_page.locator(".somnium-planes img").count() == 0
    hostile = browser_page.locator(".somnium-planes .somnium-map").nth(planes.features.index(XSS))
    assert hostile.get_attribute("data-feature") == XSS
    browser_page.wait_for_timeout(100)


def test_shared_scale_colours_every_plane_by_z_score(browser_page, harness_url, model):
    planes = ComponentPlanes(model, shared_scale=True, order="input")
    mount_views(browser_page, harness_url, planes)
    ticks = browser_page.eval_on_selector_all(".somnium-planes__colorbar", "bs => bs.map(b => b.textContent)")
    assert len(set(ticks)) == 1 and "σ" in ticks[0]  # one common scale


def test_cleanup_removes_every_listener(browser_page, harness_url, linked):
    view, planes = linked
    mount_views(browser_page, harness_url, view, planes)
    selection = f"window.harness.models.get('{view.selection.model_id}')"
    assert browser_page.evaluate(f"{selection}.listenerCount()") == 2
    browser_page.evaluate("window.harness.views.forEach(v => v.cleanup())")
    assert browser_page.evaluate(f"{selection}.listenerCount()") == 0
    assert browser_page.evaluate("window.harness.views.map(v => v.model.listenerCount())") == [0, 0]


def test_twenty_planes_of_a_50_by_50_map_render_quickly(browser_page, harness_url):
    X = np.random.default_rng(0).normal(size=(2000, 20))
    big = SOM(mapsize=(50, 50), random_state=0).fit(X, epochs=1)
    planes = ComponentPlanes(big)
    times = mount_views(browser_page, harness_url, planes)
    assert browser_page.locator(".somnium-planes [data-neuron]").count() == 20 * 2500
    assert times[0] < 5_000  # generous here; benchmarks/bench_linked_views.py measures it
