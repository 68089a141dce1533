"""Shared pytest fixtures: one headless Chromium and one JupyterLab server per test session, and the
engine's BMU path (``path``: each test that asks for it runs on the numpy and the numba path).

Helpers live in the importable ``tests.support`` package (environment, brute-force references, the
harness page server and the JupyterLab server).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.environment import CHROMIUM_ARGS, REPO_ROOT, find_chromium, require
from tests.support.harness.harness_server import serve_harness
from tests.support.lab_server import jupyter_lab, jupyter_notebook7  # noqa: F401 - session-wide servers

ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture(params=["numpy", "numba"])
def path(request, monkeypatch):
    """Run the engine on one BMU path; the numba one only where numba is installed."""
    from somnium import engine

    if request.param == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(engine, "USE_NUMBA", request.param == "numba")
    return request.param


def pytest_collection_modifyitems(config, items):
    # Browser tests last: Playwright's sync API keeps an event loop running in the main thread while the
    # session's Chromium lives, and tests that drive asyncio themselves (the training monitor's) need
    # the main thread free of one.  The sort is stable, so the order is otherwise unchanged.
    items.sort(key=lambda item: "chromium" in item.fixturenames)


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian Chromium launched through Playwright (session-wide)."""
    executable = find_chromium()
    require(executable is not None, "Debian chromium not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        require(False, "playwright not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context and page per test."""
    context = chromium.new_context(viewport={"width": 1100, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def harness_url():
    """The harness page server (the views' bundles without JupyterLab), one per session."""
    with serve_harness() as url:
        yield url
