"""The views in the notebook hosts people use, for real: Jupyter Notebook 7 and marimo (JupyterLab has
its own modules), each a real server on 127.0.0.1 with a token, driven by headless Chromium.

In each host: the map draws, a brush selects, the linked views follow, and Python sees the selection
(read back through the host: a file the kernel's observer writes in Notebook 7, a marimo cell that
re-runs on the selection and shows it).  In marimo the ipywidgets containers say that they cannot be
shown there instead of drawing nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support import lab_server as hosts
from tests.support.environment import REPO_ROOT, require

pytestmark = [pytest.mark.browser, pytest.mark.jupyterlab, pytest.mark.slow]

SETUP = """
import json
from pathlib import Path
from somnium import SOM
from somnium.datasets import load_penguins
from somnium.widgets import ComponentPlanes, MapView, Selection

features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
df = load_penguins().dropna(subset=features)
model = SOM(mapsize=(6, 8), lattice="hexa", random_state=0).fit(df[features], epochs=8)
bmu = model.predict(df[features])
Path("hosts_lattice.json").write_text(json.dumps({"coordinates": model.lattice_.coordinates.tolist()}))
selection = Selection(model.lattice_.n_nodes)
view = MapView(model, df, selection=selection, color="hits")
planes = ComponentPlanes(model, selection=selection)

def report(change):
    nodes = list(selection.nodes)
    brute = [i for i, b in enumerate(bmu) if int(b) in set(nodes)]  # rows by their BMU, one by one
    Path("hosts_state.json").write_text(json.dumps(
        {"nodes": nodes, "positions": [int(p) for p in selection.positions], "brute": brute}))

selection.observe(report, "nodes")
display(view)
display(planes)
"""

EXPLORER = """
from somnium.widgets import Explorer
Explorer(model, df)
"""

MAP = ".somnium-map:not(.somnium-planes__plane)"
PLANE = ".somnium-planes .somnium-map"


def test_notebook7_map_brush_linked_views_and_python(jupyter_notebook7, page, artifacts_dir):
    server = jupyter_notebook7
    root = server.root_dir
    (root / "hosts_state.json").unlink(missing_ok=True)
    nb = hosts.write_notebook(root / "hosts_nb7.ipynb", [("code", SETUP), ("code", EXPLORER)])
    page.set_viewport_size({"width": 1300, "height": 1000})
    hosts.open_notebook(page, server, nb.name)
    assert "/notebooks/" in page.url  # Notebook 7's own page, not JupyterLab
    hosts.wait_for_kernel_ready(page)
    hosts.run_all_cells(page)
    hosts.wait_for_output(page, f'{MAP}[data-ready="true"]', timeout=120)
    hosts.wait_for_output(page, '.somnium-planes[data-ready="true"]', timeout=60)
    # The Explorer (an ipywidgets container with bqplot) works in Notebook 7 too.
    hosts.wait_for_output(page, ".somnium-explorer .somnium-profile .bqplot", timeout=120)
    hosts.wait_until_idle(page, timeout=120)
    assert hosts.error_outputs(page) == []
    coords = hosts.poll_json(root / "hosts_lattice.json")["coordinates"]

    first_map = f".jp-OutputArea {MAP}"
    expected = hosts.brush_lattice(page, first_map, coords, 0.8, 0.3, 4.2, 2.9)
    assert len(expected) >= 6
    assert hosts.selected_cells(page, first_map) == expected
    # the planes that share the selection follow (the first output's planes)
    planes = page.locator(".jp-OutputArea .somnium-planes").first.locator(".somnium-map")
    assert planes.count() == 4
    for i in range(4):
        shown = planes.nth(i).locator('[data-neuron][data-selected="true"]')
        assert sorted(shown.evaluate_all("cs => cs.map(c => Number(c.dataset.neuron))")) == expected
    state = hosts.poll_json(root / "hosts_state.json", lambda d: d["nodes"] == expected)
    assert state["positions"] == state["brute"] and state["brute"]
    page.locator(".jp-OutputArea").first.screenshot(path=str(artifacts_dir / "notebook7_map.png"))


# --------------------------------------------------------------------------------------------------
# marimo
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def marimo_dir():
    import importlib.util

    require(importlib.util.find_spec("marimo") is not None, "marimo not installed (pip install -e '.[test]')")
    base = Path(tempfile.mkdtemp(prefix="somnium-marimo-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


def run_marimo(marimo_dir: Path, notebook: Path, mode: str = "run"):
    target = marimo_dir / notebook.name
    if notebook != target:
        shutil.copyfile(notebook, target)
    return hosts.start_marimo(marimo_dir, target, mode)


def test_marimo_map_brush_linked_views_and_python(marimo_dir, page, artifacts_dir):
    """`marimo run notebooks/explore_marimo.py`: two views through mo.ui.anywidget on one Selection."""
    from somnium import SOM
    from somnium.datasets import load_penguins

    features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    df = load_penguins().dropna(subset=features)
    # The notebook's own model, rebuilt here for the lattice and the brute-force rows.
    model = SOM(mapsize="auto", lattice="hexa", random_state=0).fit_auto(df[features])
    coords = model.lattice_.coordinates.tolist()
    bmu = model.predict(df[features])

    server = run_marimo(marimo_dir, REPO_ROOT / "notebooks" / "explore_marimo.py")
    try:
        page.set_viewport_size({"width": 1300, "height": 1000})
        page.goto(server.url, wait_until="domcontentloaded")
        page.locator(f'{MAP}[data-ready="true"]').first.wait_for(timeout=120_000)
        page.locator('.somnium-planes[data-ready="true"]').first.wait_for(timeout=60_000)
        page.get_by_text("Brush on the map to select nodes.").wait_for(timeout=60_000)
        assert page.locator(f"{MAP} [data-neuron]").count() == len(coords)

        expected = hosts.brush_lattice(page, MAP, coords, 0.8, 0.3, 4.2, 2.9)
        assert len(expected) >= 6
        assert hosts.selected_cells(page, MAP) == expected
        planes = page.locator(PLANE)
        assert planes.count() == len(features)
        for i in range(len(features)):
            shown = planes.nth(i).locator('[data-neuron][data-selected="true"]')
            assert sorted(shown.evaluate_all("cs => cs.map(c => Number(c.dataset.neuron))")) == expected
        # Python saw it: the cell that reads the selection re-ran and shows the nodes and the rows.
        n_rows = sum(int(b) in set(expected) for b in bmu)
        page.get_by_text(f"selected nodes: {expected} ({n_rows} rows)").wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts_dir / "marimo_map.png"), full_page=True)
    finally:
        hosts.stop_process_group(server.process)


CONTAINERS = """import marimo

app = marimo.App()


@app.cell
def _():
    from somnium import SOM
    from somnium.datasets import load_penguins
    import marimo as mo

    from somnium.widgets import Explorer, SegmentProfile, TrainingMonitor
    from somnium.widgets._hosts import current_host

    features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    df = load_penguins().dropna(subset=features)
    model = SOM(mapsize=(5, 6), random_state=0).fit(df[features], epochs=5)
    mo.md(f"somnium sees host: {current_host()}")
    return Explorer, SegmentProfile, TrainingMonitor, df, model


@app.cell
def _(Explorer, df, model):
    Explorer(model, df)
    return


@app.cell
def _(SegmentProfile, df, model):
    SegmentProfile(model, df)
    return


@app.cell
def _(TrainingMonitor, model):
    TrainingMonitor(model, display=False)
    return


if __name__ == "__main__":
    app.run()
"""


def test_marimo_says_which_views_it_cannot_show(marimo_dir, page):
    """The ipywidgets containers show a notice in marimo instead of an empty output."""
    notebook = marimo_dir / "containers.py"
    notebook.write_text(CONTAINERS)
    server = run_marimo(marimo_dir, notebook)
    try:
        page.goto(server.url, wait_until="domcontentloaded")
        notices = page.locator("[data-somnium-host-notice]")
        notices.nth(2).wait_for(timeout=120_000)
        page.get_by_text("somnium sees host: marimo").wait_for(timeout=30_000)
        views = sorted(notices.evaluate_all("ns => ns.map(n => n.dataset.somniumHostNotice)"))
        assert views == ["Explorer", "SegmentProfile", "TrainingMonitor"]
        for i in range(3):
            text = notices.nth(i).inner_text()
            assert "cannot be shown in marimo" in text
            assert "mo.ui.anywidget" in text or "profile.compare" in text
        assert page.locator(".somnium-map").count() == 0
    finally:
        hosts.stop_process_group(server.process)


def test_marimo_notebook_is_valid():
    """`marimo check` accepts the shipped notebook (cells, names, no cycles)."""
    import subprocess
    import sys

    pytest.importorskip("marimo")
    proc = subprocess.run(
        [sys.executable, "-m", "marimo", "check", str(REPO_ROOT / "notebooks" / "explore_marimo.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
