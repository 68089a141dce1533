"""The anomaly and drift layers of MapView in headless Chromium (the built bundle in the harness page).

What the browser sends back (the Selection's nodes, the view's ``anomalies_only``) is applied to the
Python view as a kernel would, and the resulting rows are checked against the model's own
``is_anomaly``; colours are checked against the palette's definition (zero in the middle).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from somnium import SOM
from somnium.widgets import MapView
from tests.support.harness.harness_server import model_states, widget_state

pytestmark = pytest.mark.browser

FEATURES = ["income", "age", "score"]
PALE_MIDDLE = "#f7f7f7"


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(400, 3)), columns=FEATURES, index=np.arange(400) * 7 + 3)
    frame.iloc[:6] += 6.0  # a few far rows
    return frame


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(6, 7), random_state=0).fit(frame, epochs=4)


@pytest.fixture
def browser_page(page):
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    assert problems == []


def mount(page, url, view):
    page.goto(f"{url}/")
    page.wait_for_function("window.harnessReady === true")
    page.evaluate(
        "([state, options]) => window.harness.mount(state, options)",
        [widget_state(view), {"models": model_states(view)}],
    )
    page.wait_for_selector('.somnium-map[data-ready="true"]')


def saved(page):
    return page.evaluate("window.harness.model.saved")


def selection_saved(page, view):
    return page.evaluate("id => window.harness.models.get(id).saved", view.selection.model_id)


def fills(page):
    return page.eval_on_selector_all(
        "path[data-neuron]", "cells => cells.map(c => [Number(c.dataset.neuron), c.getAttribute('fill')])"
    )


def test_the_anomaly_layer_selects_exactly_the_anomalies(browser_page, harness_url, model, frame):
    view = MapView(model, data=frame, color="anomaly")
    expected = model.is_anomaly(frame)
    counts = np.bincount(model.predict(frame)[expected], minlength=42)
    mount(browser_page, harness_url, view)
    button = browser_page.locator(".somnium-map__select-anomalies")
    assert button.is_visible() and button.inner_text() == "Select anomalies"
    assert (
        "Anomalies: share of rows with BMU distance >"
        in browser_page.locator(".somnium-map__colorbar-label").inner_text()
    )
    # the hover card gives the count and the node's typical distance
    node = int(np.argmax(counts))
    browser_page.hover(f'[data-neuron="{node}"]')
    tooltip = browser_page.locator(".somnium-map__tooltip")
    tooltip.wait_for(state="visible")
    hits = int(view.model.node_hits(frame)[node])
    assert f"Anomalies{counts[node]} of {hits} rows" in tooltip.inner_text().replace("\n", "")
    assert "Typical distance (training)" in tooltip.inner_text()
    button.click()
    # drawn at once; Python is asked to select and filter in one step (one message, one model)
    assert selection_saved(browser_page, view)[-1] == {"nodes": np.flatnonzero(counts).tolist()}
    (message,) = browser_page.evaluate("window.harness.model.sent.map((m) => m.content)")
    assert message == {"action": "select_anomalies"}
    # Python receives it, as from the kernel's comm: the rows are the anomalies, no other row
    view._on_browser_message(view, message, [])
    assert view.selected == np.flatnonzero(counts).tolist() and view.anomalies_only
    pd.testing.assert_frame_equal(view.selected_rows, frame[expected])
    # and its answer ticks the box
    browser_page.evaluate("window.harness.model.fromPython({anomalies_only: true})")
    assert browser_page.locator(".somnium-map").get_attribute("data-anomalies-only") == "true"
    assert browser_page.locator(".somnium-map__anomalies-only").is_checked()
    # unticking the box gives every row of those nodes again
    browser_page.locator(".somnium-map__anomalies-only").uncheck()
    assert saved(browser_page)[-1] == {"anomalies_only": False}
    view.set_state(saved(browser_page)[-1])
    rows_of_those_nodes = int(model.node_hits(frame)[counts > 0].sum())
    assert len(view.selected_rows) == rows_of_those_nodes > expected.sum()


def test_the_controls_appear_when_the_anomaly_layer_is_first_shown(browser_page, harness_url, model, frame):
    view = MapView(model, data=frame, color="hits")
    mount(browser_page, harness_url, view)
    controls = browser_page.locator(".somnium-map__anomalies")
    assert controls.is_hidden()
    browser_page.select_option(".somnium-map__layer", "anomaly")
    assert saved(browser_page)[-1] == {"color": "anomaly"}
    view.set_state(saved(browser_page)[-1])  # Python computes the layer and the counts ...
    state = widget_state(view, ["_layer_values", "_layer_info", "_anomaly_counts", "_node_scales"])
    browser_page.evaluate("changes => window.harness.model.fromPython(changes)", state)  # ... and sends them
    controls.wait_for(state="visible")


def test_the_drift_layer_is_diverging_with_zero_in_the_middle(browser_page, harness_url, model, frame):
    shifted = frame.iloc[50:].copy()
    shifted["income"] += 1.5
    view = MapView(model, data=shifted, color="drift")
    difference = view.color_values
    mount(browser_page, harness_url, view)
    bar = browser_page.locator(".somnium-map__colorbar")
    assert bar.get_attribute("data-palette") == "diverging"
    low, mid, high = (
        browser_page.locator(f".somnium-map__tick-{name}").inner_text() for name in ("min", "mid", "max")
    )
    assert mid == "0" and float(low) == -float(high) and float(high) > 0
    assert "JS divergence" in browser_page.locator(".somnium-map__colorbar-label").inner_text()
    colours = dict(fills(browser_page))
    zero = np.flatnonzero(difference == 0)
    assert zero.size and all(colours[int(node)] == PALE_MIDDLE for node in zero)
    red = colours[int(np.argmax(difference))]
    blue = colours[int(np.argmin(difference))]
    # more new rows than training rows: red (R > B); fewer: blue (B > R)
    assert int(red[1:3], 16) > int(red[5:7], 16) and int(blue[5:7], 16) > int(blue[1:3], 16)
