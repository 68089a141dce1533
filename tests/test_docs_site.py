"""The documentation site: built strictly, its pages present, and its maps live on the pages with the
network blocked (served from a local directory; the widget manager and every widget module come
from the site itself).

The site is built once for the module with ``docs/build.py`` (about 1.5 minutes: it executes the
notebooks), unless ``SOMNIUM_DOCS_HTML`` names a site already built from this tree (``.ci/run``
builds it first, timed, and passes it on).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support import lab_server as hosts
from tests.support.environment import REPO_ROOT, require

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PAGES = [
    "index.html",
    "install.html",
    "_generated/notebooks/getting_started.html",
    "workflows/explore.html",
    "_generated/notebooks/live_training.html",
    "workflows/linked_views.html",
    "_generated/notebooks/micro_segmentation.html",
    "_generated/notebooks/large_data_with_dask.html",
    "api/index.html",
    "api/core.html",
    "api/widgets.html",
    "hosts.html",
    "benchmarks.html",
    "architecture.html",
    "changelog.html",
    "release.html",
]
MAP = ".somnium-map:not(.somnium-planes__plane)"


@pytest.fixture(scope="module")
def site() -> Path:
    built = os.environ.get("SOMNIUM_DOCS_HTML")
    if built:
        return Path(built)
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    fetched = (REPO_ROOT / "docs" / "_static" / "widgets" / "embed-amd.js").exists()
    require(
        fetched or shutil.which("npm") is not None,
        "npm not installed (docs/build.py fetches the widget manager)",
    )
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "docs" / "build.py")], capture_output=True, text=True, timeout=1200
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return REPO_ROOT / "docs" / "_build" / "html"


@pytest.fixture(scope="module")
def site_url(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def offline_page(page, site_url):
    """A page whose requests outside the local site are aborted (and recorded by resource type)."""
    blocked = []

    def route(request_route):
        request = request_route.request
        if request.url.startswith(site_url + "/"):
            request_route.continue_()
        else:
            blocked.append((request.resource_type, request.url))
            request_route.abort()

    page.context.route("**/*", route)
    page.set_viewport_size({"width": 1300, "height": 1000})
    page.blocked = blocked
    return page


def test_every_page_is_built(site):
    missing = [p for p in PAGES if not (site / p).is_file()]
    assert not missing
    core = (site / "api" / "core.html").read_text()
    assert "somnium.core.SOM" in core and "fit_auto" in core and "quantization" in core
    # The notebooks' saved widget state is on the workflow pages, not a screenshot.
    for page in PAGES[2:8]:
        text = (site / page).read_text()
        assert 'type="application/vnd.jupyter.widget-state+json"' in text, page
        assert "application/vnd.jupyter.widget-view+json" in text, page


def test_map_draws_and_brushes_offline(offline_page, site_url):
    page = offline_page
    page.goto(f"{site_url}/_generated/notebooks/getting_started.html")
    page.locator(f'{MAP}[data-ready="true"]').first.wait_for(timeout=60_000)
    first_map = page.locator(MAP).first  # the page also holds an Explorer's map: one map's cells and card
    cells = first_map.locator("[data-neuron]")
    n = cells.count()
    assert n > 20
    fills = cells.evaluate_all("cs => cs.map(c => getComputedStyle(c).fill)")
    assert len(set(fills)) > 3, "the cells are not coloured by a layer"
    # hover shows the node's card
    cells.nth(n // 2).scroll_into_view_if_needed()
    cells.nth(n // 2).hover()
    first_map.locator(".somnium-map__tooltip").wait_for(state="visible", timeout=10_000)
    # a brush selects, in the page alone
    box = page.locator(MAP).first.locator("svg").first.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    assert len(hosts.selected_cells(page, MAP)) > 0
    assert [b for b in page.blocked if b[0] in ("script", "xhr", "fetch", "stylesheet")] == []


def test_linked_views_stay_linked_on_the_page(offline_page, site_url):
    page = offline_page
    page.goto(f"{site_url}/workflows/linked_views.html")
    page.locator('.somnium-planes[data-ready="true"]').first.wait_for(timeout=60_000)
    first_map = page.locator(MAP).first
    first_map.scroll_into_view_if_needed()
    cell = first_map.locator('[data-neuron="0"]')
    cell.click()
    assert hosts.selected_cells(page, MAP) == [0]
    plane = page.locator(".somnium-planes").first.locator(".somnium-map").first
    shown = plane.locator('[data-neuron][data-selected="true"]')
    assert shown.evaluate_all("cs => cs.map(c => Number(c.dataset.neuron))") == [0]
    assert [b for b in page.blocked if b[0] in ("script", "xhr", "fetch", "stylesheet")] == []
