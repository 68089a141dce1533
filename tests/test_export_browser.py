"""The exported page in headless Chromium, opened from file:// with the network blocked.

Every request that is not for a file:// (or data:) URL is aborted and recorded, and the test fails if
there was any: the page must work from the file alone.  The page's Content-Security-Policy stays on
(it also forbids string evaluation, so the tests wait with locators, never wait_for_function).  Page errors, console errors (a
Content-Security-Policy violation included) and dialogs (an XSS would open one) fail the test too.
What the page shows is checked against brute-force answers from Python: the cells inside a brushed
rectangle, the rows on the selected nodes, the node a layer's extreme value sits on.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from somnium import SOM
from somnium.segments import Segments
from somnium.widgets import ComponentPlanes, Explorer, MapView, TrainingMonitor, to_html
from tests.support.lab_server import brush_lattice, selected_cells

pytestmark = pytest.mark.browser

XSS = "</script><script>window.__pwned = 1</script><img src=x onerror=alert(1)>"
FEATURES = ["income", "age", "score"]
MAP = ".somnium-map:not(.somnium-planes__plane)"
PLANE = ".somnium-planes .somnium-map"
VIRIDIS_LOW, VIRIDIS_HIGH = "#440154", "#fde725"


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(11)
    df = pd.DataFrame(rng.normal(size=(240, 3)) * [1000.0, 10.0, 1.0], columns=FEATURES)
    df["region"] = rng.choice(["north", "south"], len(df))
    return df


@pytest.fixture(scope="module")
def model(frame):
    return SOM(mapsize=(6, 8), random_state=0).fit(frame[FEATURES], epochs=4)


@pytest.fixture(scope="module")
def bmu(model, frame):
    """Each row's node, found row by row (the reference for the page's row counts)."""
    return np.array([model.predict(row[None, :])[0] for row in frame[FEATURES].to_numpy()])


def block_network(context) -> list[str]:
    """Abort every request of ``context`` that is not for a file:// or data: URL; returns their list."""
    aborted = []

    def route(route):
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            aborted.append(url)
            route.abort()

    context.route("**/*", route)
    return aborted


@pytest.fixture
def offline(page):
    """The page with every non-file request aborted; fails the test on requests, errors and dialogs."""
    aborted, problems = block_network(page.context), []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on(
        "console", lambda message: message.type == "error" and problems.append(f"console: {message.text}")
    )
    page.set_viewport_size({"width": 1300, "height": 1000})
    yield page
    assert aborted == [], f"the page tried the network: {aborted}"
    assert problems == []


def expect(locator):
    """Playwright's retrying assertions (imported here: without playwright the browser fixture skips)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_page(page, path):
    page.goto(path.as_uri())
    page.wait_for_selector('html[data-export-ready="true"]', timeout=20_000)
    assert page.locator("html").get_attribute("data-somnium-export")
    assert page.locator('[data-export-error="true"]').count() == 0


def cell_fills(page, selector=MAP) -> list:
    return (
        page.locator(selector)
        .first.locator("[data-neuron]")
        .evaluate_all("cells => cells.map(c => c.getAttribute('fill'))")
    )


def nodes_text(nodes) -> str:
    return f"{len(nodes)} node{'s' if len(nodes) != 1 else ''}: {', '.join(map(str, nodes))}"


def test_the_network_guard_sees_a_page_that_reaches_out(page, tmp_path):
    """The guard the other tests rely on: a request to a server is caught (and aborted)."""
    aborted = block_network(page.context)
    path = tmp_path / "reaching.html"
    path.write_text('<!doctype html><img src="http://127.0.0.1:9/pixel.png"><p>x</p>')
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert aborted == ["http://127.0.0.1:9/pixel.png"]


# ---------------------------------------------------------------------------------- one map
def test_the_map_draws_and_hover_shows_the_node(offline, tmp_path, model, frame, bmu):
    view = MapView(model, frame, color="hits")
    open_page(offline, view.to_html(tmp_path / "map.html"))
    n_nodes = model.lattice_.n_nodes
    assert offline.locator(f"{MAP} [data-neuron]").count() == n_nodes
    hits = np.bincount(bmu, minlength=n_nodes)
    fills = cell_fills(offline)
    assert [fill is None for fill in fills] == list(hits == 0)  # no rows: the "no value" fill
    node = int(np.argmax(hits))
    assert fills[node] == VIRIDIS_HIGH
    note = offline.locator(".somnium-export__selection > .somnium-export__note")
    assert note.inner_text().startswith("No rows are embedded")
    offline.locator(f'{MAP} [data-neuron="{node}"]').hover()
    tooltip = offline.locator(".somnium-map__tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    assert f"Node {node}" in text
    assert f"Hits\t{hits[node]}" in text or f"Hits\n{hits[node]}" in text


def test_a_brush_selects_and_the_page_says_which_nodes_and_rows(offline, tmp_path, model, frame, bmu):
    view = MapView(model, frame)
    open_page(offline, view.to_html(tmp_path / "map.html", rows=True))
    nodes_line = offline.locator(".somnium-export__nodes")
    assert nodes_line.inner_text() == "no nodes"
    note = offline.locator(".somnium-export__selection > .somnium-export__note")
    assert note.is_visible() and "240 rows × 4 columns" in note.inner_text()
    assert "at most 250,000 cells" in note.inner_text()
    coords = model.lattice_.coordinates.tolist()
    expected = brush_lattice(offline, MAP, coords, 0.8, 0.3, 4.2, 2.9)
    assert len(expected) >= 6
    assert selected_cells(offline, MAP) == expected
    assert nodes_line.inner_text() == nodes_text(expected)
    on_nodes = np.flatnonzero(np.isin(bmu, expected))
    assert offline.locator(".somnium-export__row-count").inner_text() == f"· {len(on_nodes)} of 240 rows"
    offline.locator(".somnium-export__rows-box summary").click()
    table = offline.locator("table.somnium-export__rows")
    assert table.locator("tbody tr").count() == len(on_nodes)
    first = table.locator("tbody tr").first.locator("th, td").all_inner_texts()
    row = frame.iloc[on_nodes[0]]
    assert first == [str(frame.index[on_nodes[0]]), *[f"{row[c]:.6g}" for c in FEATURES], row["region"]]
    # a click replaces the selection, Escape clears it
    offline.locator(f'{MAP} [data-neuron="{expected[0]}"]').click()
    assert nodes_line.inner_text() == nodes_text([expected[0]])
    offline.keyboard.press("Escape")
    assert nodes_line.inner_text() == "no nodes"


@pytest.mark.parametrize("clipboard", ["allowed", "refused", "unavailable"])
def test_a_lasso_selects_and_the_ids_are_copied(offline, tmp_path, model, frame, clipboard):
    """Copied by the Clipboard API, by the "copy" command when it is refused, or offered selected."""
    if clipboard == "allowed":
        offline.context.grant_permissions(["clipboard-read", "clipboard-write"])
    elif clipboard == "unavailable":
        offline.add_init_script(
            "navigator.clipboard.writeText = () => Promise.reject(new Error('no'));"
            "document.execCommand = () => false;"
        )
    view = MapView(model, frame)
    open_page(offline, view.to_html(tmp_path / "map.html"))
    offline.locator(f"{MAP} button[data-mode='lasso']").click()
    centres = {
        node: offline.locator(f'{MAP} [data-neuron="{node}"]').bounding_box() for node in (9, 10, 17, 18)
    }
    points = [(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2) for box in centres.values()]
    xs, ys = zip(*points, strict=True)
    # a lasso around the four cells' centres (a box a little larger than them)
    left, right, top, bottom = min(xs) - 8, max(xs) + 8, min(ys) - 8, max(ys) + 8
    offline.mouse.move(left, top)
    offline.mouse.down()
    for x, y in [(right, top), (right, bottom), (left, bottom), (left, top + 1)]:
        offline.mouse.move(x, y, steps=4)
    offline.mouse.up()
    assert selected_cells(offline, MAP) == [9, 10, 17, 18]
    offline.locator(".somnium-export__copy").click()
    status = offline.locator(".somnium-export__copy-status")
    expect(status).to_have_text(re.compile(".+"))  # the copy is asynchronous
    fallback = offline.locator(".somnium-export__copy-fallback")
    if clipboard == "unavailable":  # the page offers the text, selected
        assert status.inner_text() == "Press Ctrl+C (⌘C) to copy the selected ids."
        assert fallback.is_visible() and fallback.input_value() == "[9, 10, 17, 18]"
        assert offline.evaluate("document.activeElement.selectionEnd") == len("[9, 10, 17, 18]")
    else:
        assert status.inner_text() == "Copied 4 node ids."
        assert not fallback.is_visible()
        offline.context.grant_permissions(["clipboard-read"])
        assert offline.evaluate("navigator.clipboard.readText()") == "[9, 10, 17, 18]"


def test_the_layer_menu_switches_layers_in_the_page(offline, tmp_path, model, frame, bmu):
    view = MapView(model, frame, color="umatrix")
    open_page(offline, view.to_html(tmp_path / "map.html"))
    menu = offline.locator(f"{MAP} select.somnium-map__layer")
    options = menu.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert options == view.layers
    age = model.codebook_[:, FEATURES.index("age")]
    menu.select_option("age")
    expect(offline.locator(f"{MAP} .somnium-map__colorbar-label")).to_have_text("age")
    fills = cell_fills(offline)
    assert fills[int(np.argmax(age))] == VIRIDIS_HIGH and fills[int(np.argmin(age))] == VIRIDIS_LOW
    menu.select_option("hits")
    expect(offline.locator(f"{MAP} .somnium-map__colorbar-label")).to_have_text("Hits")
    hits = np.bincount(bmu, minlength=model.lattice_.n_nodes)
    fills = cell_fills(offline)
    assert [fill is None for fill in fills] == list(hits == 0)
    assert fills[int(np.argmax(hits))] == VIRIDIS_HIGH
    # the hover card follows the layer
    node = int(np.argmax(hits))
    offline.locator(f'{MAP} [data-neuron="{node}"]').hover()
    assert f"Node {node}" in offline.locator(".somnium-map__tooltip").inner_text()


# ---------------------------------------------------------------------------------- linked views
def test_two_views_on_one_page_stay_linked(offline, tmp_path, model, frame):
    view = MapView(model, frame)
    planes = ComponentPlanes(model, selection=view.selection)
    open_page(offline, to_html(tmp_path / "two.html", view, planes))
    assert offline.locator(".somnium-export__selection").count() == 1
    coords = model.lattice_.coordinates.tolist()
    expected = brush_lattice(offline, MAP, coords, 0.8, 0.3, 4.2, 2.9)
    plane_maps = offline.locator(PLANE)
    assert plane_maps.count() == len(FEATURES)
    for i in range(len(FEATURES)):
        shown = plane_maps.nth(i).locator('[data-neuron][data-selected="true"]')
        assert sorted(shown.evaluate_all("cs => cs.map(c => Number(c.dataset.neuron))")) == expected
    # and the other way: a click on a plane selects on the map
    plane_maps.nth(1).locator('[data-neuron="40"]').click()
    assert selected_cells(offline, MAP) == [40]
    assert offline.locator(".somnium-export__nodes").inner_text() == nodes_text([40])


def test_the_explorer_page_links_its_views_and_shows_its_charts(offline, tmp_path, model, frame):
    explorer = Explorer(model, frame)
    explorer.selection.nodes = [0, 1, 8]
    explorer.add_segment("Corner")
    open_page(offline, explorer.to_html(tmp_path / "explorer.html"))
    assert offline.locator(".somnium-explorer").count() == 1
    assert selected_cells(offline, MAP) == [0, 1, 8]
    assert offline.locator(f"{MAP}[data-layer='segments']").count() == 1
    assert "Corner" in offline.locator(".somnium-segments").first.inner_text()
    images = offline.locator("img.somnium-export__picture-image")
    assert images.count() == 2
    assert images.evaluate_all("is => is.every(i => i.complete && i.naturalWidth > 0)")
    offline.locator(f"{PLANE} >> nth=0").locator('[data-neuron="20"]').click()
    assert selected_cells(offline, MAP) == [20]


def test_the_training_monitor_page_shows_its_final_state(offline, tmp_path):
    X = np.random.default_rng(2).normal(size=(150, 3))
    model = SOM(mapsize=(4, 5), random_state=0)
    monitor = TrainingMonitor(model, X, display=False)
    model.fit(X, epochs=3, callbacks=[monitor])
    open_page(offline, to_html(tmp_path / "monitor.html", monitor))
    assert offline.locator(".somnium-monitor").get_attribute("data-state") == "done"
    assert offline.locator(f"{MAP} [data-neuron]").count() == 20
    images = offline.locator("img.somnium-export__picture-image")
    assert images.count() == 4
    assert images.evaluate_all("is => is.every(i => i.complete && i.naturalWidth > 0)")


# ---------------------------------------------------------------------------------- hostile names
def test_hostile_names_stay_text(offline, tmp_path):
    rng = np.random.default_rng(0)
    names = [XSS, "a & b", "<b>bold</b>"]
    df = pd.DataFrame(rng.normal(size=(120, 3)), columns=names)
    df[f"{XSS} note"] = [XSS] * len(df)
    model = SOM(mapsize=(4, 5), random_state=0).fit(df[names], epochs=2)
    segments = Segments(model)
    segments.add(XSS, [0, 1, 2])
    view = MapView(model, df, segments=segments)
    planes = ComponentPlanes(model, selection=view.selection, segments=segments)
    view.selected = [0, 1, 2, 3, 4, 5]
    open_page(offline, to_html(tmp_path / "x.html", view, planes, rows=True, title=XSS))
    assert offline.evaluate("window.__pwned") is None
    assert offline.title() == XSS
    assert offline.locator(".somnium-export__title").inner_text() == XSS
    assert offline.locator("script").count() == 4  # the state, two bundles, the runtime
    assert offline.locator("img").count() == 0
    assert offline.locator("b").count() == 0
    options = offline.locator(f"{MAP} select.somnium-map__layer option").all_inner_texts()
    assert XSS in options and "<b>bold</b>" in options
    assert XSS in offline.locator(".somnium-segments").first.inner_text()
    assert offline.locator(f'{PLANE}[data-feature="{XSS}"]').count() == 1
    offline.locator(".somnium-export__rows-box summary").click()
    header = offline.locator("table.somnium-export__rows thead th").all_inner_texts()
    assert f"{XSS} note" in header
    assert XSS in offline.locator("table.somnium-export__rows tbody tr").first.inner_text()
    offline.locator(f'{MAP} [data-neuron="1"]').hover()
    assert "Segment" in offline.locator(".somnium-map__tooltip").first.inner_text()
    assert offline.evaluate("window.__pwned") is None
