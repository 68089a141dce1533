"""The Segments layer in headless Chromium: fills, boundaries and a text-only legend on both views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from somnium import SOM
from somnium.segments import Segments
from somnium.widgets import ComponentPlanes, MapView, Selection
from somnium.widgets._segments import SEGMENT_PALETTE, UNASSIGNED_COLOR, boundary_edges
from tests.support.harness.harness_server import model_states, widget_state

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    return SOM(mapsize=(5, 6), random_state=0).fit(frame, epochs=2)


@pytest.fixture
def browser_page(page):
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    assert problems == []


def mount(page, url, *views):
    page.goto(f"{url}/")
    page.wait_for_function("window.harnessReady === true")
    specs = [
        {"state": widget_state(v), "bundle": "map_view" if isinstance(v, MapView) else "component_planes"}
        for v in views
    ]
    page.evaluate(
        "([views, options]) => window.harness.mountMany(views, options)",
        [specs, {"models": model_states(*views), "theme": "light"}],
    )
    page.wait_for_selector('.somnium-planes[data-ready="true"]')


def legend_names(page, scope):
    return page.eval_on_selector_all(
        f"{scope} .somnium-segments__item[data-segment] .somnium-segments__name",
        "ns => ns.map(n => n.textContent)",
    )


def test_the_segments_layer_renders_with_a_text_legend(browser_page, harness_url, model):
    segments = Segments(model)
    segments.add("left", [0, 1, 6])
    segments.add(XSS, [14, 15, 20])
    selection = Selection(model.lattice_.n_nodes)
    view = MapView(model, selection=selection, segments=segments)
    planes = ComponentPlanes(model, selection=selection, segments=segments)
    mount(browser_page, harness_url, view, planes)
    map_scope = '.harness-view[data-view="0"]'
    # legend: the names as given, literally, on the map and under the planes
    assert legend_names(browser_page, map_scope) == ["left", XSS]
    assert legend_names(browser_page, ".somnium-planes") == ["left", XSS]
    assert browser_page.locator("img").count() == 0  # nothing injected
    assert browser_page.locator(f"{map_scope} .somnium-segments__item--none").text_content() == "no segment"
    # fills: the segment's colour, grey for the rest
    fills = browser_page.eval_on_selector_all(
        f"{map_scope} .somnium-map__cells [data-neuron]", "cs => cs.map(c => c.getAttribute('fill'))"
    )
    expected = [SEGMENT_PALETTE[c] if c >= 0 else UNASSIGNED_COLOR for c in segments.node_labels()]
    assert fills == expected
    assert browser_page.locator(f"{map_scope} .somnium-map__colorbar").is_hidden()
    # boundaries: one move-line per edge, on the map and on every plane
    n_edges = len(boundary_edges(model.lattice_, segments.node_labels())[0])
    paths = browser_page.eval_on_selector_all(
        ".somnium-map__segment-boundaries",
        "ps => ps.map(p => (p.getAttribute('d').match(/M/g) || []).length)",
    )
    assert paths == [n_edges] * (2 + len(planes.features))  # map, segments plane, feature planes
    # the planes: a "Segments" plane first, in the segment colours; feature planes keep their values
    plane_fills = browser_page.eval_on_selector_all(
        ".somnium-planes__plane--segments [data-neuron]", "cs => cs.map(c => c.getAttribute('fill'))"
    )
    assert plane_fills == expected
    features = browser_page.eval_on_selector_all(
        ".somnium-planes .somnium-map[data-feature]", "ps => ps.map(p => p.dataset.feature)"
    )
    assert features == planes.features
    browser_page.click('.somnium-planes__plane--segments [data-neuron="14"]')
    assert browser_page.eval_on_selector_all(
        f'{map_scope} [data-selected="true"]', "cs => cs.map(c => Number(c.dataset.neuron))"
    ) == [14]
    # a redraw from Python: the segments removed
    view.show_segments(None)
    changes = widget_state(
        view,
        ["_segment_codes", "_segment_names", "_segment_colors", "_segment_edges", "color", "_layer_info"],
    )
    changes.update(widget_state(view, ["_layer_values", "_layer_options"]))
    browser_page.evaluate("changes => window.harness.views[0].model.fromPython(changes)", changes)
    browser_page.wait_for_function(
        "() => document.querySelector('.harness-view[data-view=\"0\"] .somnium-segments').hidden"
    )
    assert browser_page.locator(f"{map_scope} .somnium-map__segment-boundaries").get_attribute("d") == ""
    assert browser_page.locator(f"{map_scope} .somnium-map__colorbar").is_visible()
    planes.show_segments(None)
    browser_page.evaluate(
        "changes => window.harness.views[1].model.fromPython(changes)",
        widget_state(planes, ["_segment_codes", "_segment_names", "_segment_colors", "_segment_edges"]),
    )
    assert browser_page.locator(".somnium-planes__plane--segments").count() == 0
    assert browser_page.locator(".somnium-planes .somnium-segments").is_hidden()
