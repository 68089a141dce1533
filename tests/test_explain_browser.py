"""Values per row, feature groups and the surrogate's view in headless Chromium (harness page).

The built bundles render the synced state of real views (see tests/test_map_view_browser.py for the
harness).  References: the Python views' own per-node numbers and the palette they send, read back
from the DOM (fills, legend texts, hover cards, frames).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from somnium import SOM
from somnium.explain import SurrogateMap, feature_groups
from somnium.widgets import ComponentPlanes, MapView
from tests.support.harness.harness_server import model_states, widget_state

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
FEATURES = ["income", "age", "score"]


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.normal(size=(400, 3)) * [1000, 10, 1], columns=FEATURES)
    df["species"] = rng.choice(["Adelie", "Gentoo", XSS], size=len(df), p=[0.5, 0.3, 0.2])
    df["risk"] = df["income"] / 1000 + np.where(df["age"] > 0, df["score"], 0)
    return df


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(6, 8), random_state=0).fit(frame[FEATURES], epochs=3)


@pytest.fixture
def browser_page(page):
    """The page, failing the test on any uncaught error or dialog (an XSS would open one)."""
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    assert problems == []


def mount(page, url, view, bundle="map_view"):
    page.goto(f"{url}/")
    page.wait_for_function("window.harnessReady === true")
    page.evaluate(
        "([state, options]) => window.harness.mount(state, options)",
        [widget_state(view), {"models": model_states(view), "bundle": bundle}],
    )
    root = ".somnium-map" if bundle == "map_view" else ".somnium-planes"
    page.wait_for_selector(f'{root}[data-ready="true"]')


def push(page, view, *names):
    """Send traits from the Python view to the browser, as a kernel message would."""
    state = widget_state(view)
    page.evaluate(
        "changes => window.harness.model.fromPython(changes)",
        {name: state[name] for name in names},
    )


def fills(page):
    return page.eval_on_selector_all(
        "[data-neuron]", "cells => cells.map(c => [Number(c.dataset.neuron), c.getAttribute('fill')])"
    )


def hover_card(page, node):
    page.hover(f'[data-neuron="{node}"]')
    page.wait_for_selector(".somnium-map__tooltip:not([hidden])")
    return page.eval_on_selector_all(
        ".somnium-map__tooltip .somnium-map__tooltip-row, .somnium-map__tooltip .somnium-map__tooltip-heading",
        "rows => rows.map(r => r.textContent)",
    )


# ----------------------------------------------------------------------------- a layer of categories
def test_a_label_column_paints_each_nodes_most_frequent_value_with_a_legend(
    browser_page, harness_url, model, frame
):
    view = MapView(model, frame, color="species")
    mount(browser_page, harness_url, view)
    info = view._layer_info
    expected = [
        [node, info["colors"][code - 1] if code else None]
        for node, code in enumerate(view._layer_codes.tolist())
    ]
    assert fills(browser_page) == expected
    assert browser_page.locator(".somnium-map").get_attribute("data-layer") == "categories"
    assert browser_page.locator(".somnium-map__colorbar").is_hidden()
    legend = browser_page.eval_on_selector_all(
        ".somnium-categories__item", "items => items.map(i => [i.dataset.category, i.textContent])"
    )
    assert legend == [[str(i), name] for i, name in enumerate(info["categories"])]
    assert XSS in info["categories"] and browser_page.locator(".somnium-map img").count() == 0
    node = int(np.nanargmax(view.color_values))
    name = view.color_categories[node]
    card = hover_card(browser_page, node)
    assert f"species (most frequent){name} ({round(100 * view.color_values[node])}%)" in card


def test_values_per_row_from_python_recolour_the_map_and_switch_the_legend(
    browser_page, harness_url, model, frame
):
    view = MapView(model, frame, color="species")
    mount(browser_page, harness_url, view)
    view.color = frame["risk"]  # numbers per row: their mean per node, on the colour bar
    push(browser_page, view, "_layer_values", "_layer_codes", "_layer_info", "_layer_options", "color")
    browser_page.wait_for_function("document.querySelector('.somnium-map').dataset.layer === undefined")
    assert browser_page.locator(".somnium-categories").is_hidden()
    assert browser_page.locator(".somnium-map__colorbar").is_visible()
    assert browser_page.locator(".somnium-map__colorbar-label").text_content() == "risk (mean of rows)"
    low, high = np.nanmin(view.color_values), np.nanmax(view.color_values)
    ticks = [browser_page.locator(f".somnium-map__tick-{end}").text_content() for end in ("min", "max")]
    assert [float(t) for t in ticks] == pytest.approx([low, high], rel=1e-3)


# -------------------------------------------------------------------------------------- plane groups
def test_feature_groups_frame_the_planes_and_the_hover_names_the_group(
    browser_page, harness_url, artifacts_dir
):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=600), rng.normal(size=600)
    data = pd.DataFrame({"x": x, "x2": 2 * x + 0.05 * rng.normal(size=600), "exp_x": np.exp(x), "y": y})
    model = SOM(mapsize=(6, 6), random_state=0).fit_auto(data)
    groups = feature_groups(model, 0.9)
    planes = ComponentPlanes(model, groups=groups)
    mount(browser_page, harness_url, planes, bundle="component_planes")
    frames = browser_page.eval_on_selector_all(
        ".somnium-planes .somnium-map",
        """ps => ps.map(p => [p.dataset.feature, p.dataset.group ?? null,
            p.classList.contains('somnium-planes__plane--grouped') ? getComputedStyle(p).outlineColor : null])""",
    )
    group_of = {name: i for i, group in enumerate(groups) for name in group}
    for feature, group, outline in frames:
        assert int(group) == group_of[feature]
        color = planes._group_colors[int(group)]
        if color:
            r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
            assert outline == f"rgb({r}, {g}, {b})"
        else:
            assert outline is None
    assert {frozenset(g) for g in groups} >= {frozenset({"x", "x2", "exp_x"})}
    target = browser_page.locator('.somnium-planes .somnium-map[data-feature="exp_x"] [data-neuron="5"]')
    target.hover()
    browser_page.wait_for_selector(".somnium-map__tooltip:not([hidden])")
    text = browser_page.locator(".somnium-map__tooltip").text_content()
    assert f"exp_x is in {planes._group_names[group_of['exp_x']]}" in text
    browser_page.locator(".somnium-planes").screenshot(path=str(artifacts_dir / "planes_groups.png"))


# -------------------------------------------------------------------------------- the surrogate view
def test_the_surrogate_view_shows_drivers_on_hover_and_for_a_selection(
    browser_page, harness_url, model, frame
):
    surrogate = SurrogateMap(model, frame, frame["risk"])
    view = surrogate.view()
    mount(browser_page, harness_url, view)
    assert browser_page.locator(".somnium-map__colorbar-label").text_content() == "risk (mean of rows)"
    indices, scores = surrogate.top_drivers(3)
    node = int(np.flatnonzero(~np.isnan(scores[:, 0]))[0])
    card = hover_card(browser_page, node)
    heading = card.index("Drivers of risk here (local r)")
    names = model.feature_names()
    expected = [
        f"{names[i]}r {'+' if s >= 0 else '−'}{abs(s):.2f}"
        for i, s in zip(indices[node], scores[node])
        if np.isfinite(s) and s != 0
    ]
    assert card[heading + 1 : heading + 1 + len(expected)] == expected
    assert browser_page.locator(".somnium-map__details").is_hidden()
    # a click selects in the browser; Python hears it, finds the drivers and sends them back
    browser_page.mouse.move(0, 0)
    browser_page.click(f'[data-neuron="{node}"]')
    sent = browser_page.evaluate("id => window.harness.models.get(id).saved", view.selection.model_id)
    view.selection.set_state(sent[-1])
    assert view.selected == [node]
    push(browser_page, view, "_details")
    browser_page.wait_for_selector(".somnium-map__details:not([hidden])")
    rows = browser_page.eval_on_selector_all(
        ".somnium-map__details-row", "rows => rows.map(r => [r.dataset.name, r.textContent])"
    )
    table = view.selected_drivers.dropna(subset=["association"]).head(5)
    assert [name for name, _ in rows] == list(table.index)
    assert all(text.startswith(name) and "r " in text for name, text in rows)
    title = browser_page.locator(".somnium-map__details-title").text_content()
    assert title == "Drivers of risk in the 1 selected node (local r)"
