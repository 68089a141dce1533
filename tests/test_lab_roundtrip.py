"""End-to-end tests in a real JupyterLab server and kernel (see BROWSER_TESTING.md).

One server for the test session (``lab_server.jupyter_lab``); each test writes or copies its notebook into the
server's root_dir, opens it in a fresh browser context and waits for the kernel through the app itself.
Python state is read back through files the notebook's observers write (atomically) and the test polls.
"""

from __future__ import annotations

import shutil
import time

import pytest

from tests.support import lab_server as lab

pytestmark = [pytest.mark.browser, pytest.mark.jupyterlab]


SMOKE_SETUP = '''
import json, os, anywidget, traitlets

class Probe(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        const b = document.createElement("button");
        b.className = "probe";
        const draw = () => { b.textContent = "clicks " + model.get("clicks"); b.dataset.value = model.get("clicks"); };
        const onClick = () => { model.set("clicks", model.get("clicks") + 1); model.save_changes(); };
        b.addEventListener("click", onClick);
        model.on("change:clicks", draw);
        draw();
        el.appendChild(b);
        el.dataset.ready = "true";
        return () => { b.removeEventListener("click", onClick); model.off("change:clicks", draw); };
      }
    };
    """
    clicks = traitlets.Int(0).tag(sync=True)

probe = Probe()
def dump(change):
    with open("probe.json.tmp", "w") as f:
        json.dump({"clicks": probe.clicks}, f)
    os.replace("probe.json.tmp", "probe.json")
probe.observe(dump, "clicks")
probe
'''


def test_lab_machinery_with_a_plain_anywidget(jupyter_lab, page):
    """The server, kernel readiness, clicks -> Python and Python -> DOM, independent of somnium's views."""
    nb = lab.write_notebook(
        jupyter_lab.root_dir / "probe.ipynb",
        [
            ("code", SMOKE_SETUP),
            ("code", "probe.clicks = 10"),
        ],
    )
    lab.open_notebook(page, jupyter_lab, nb.name)
    lab.wait_for_kernel_ready(page)
    lab.run_cell(page, 0)
    lab.wait_for_output(page, '[data-ready="true"] button.probe')
    lab.wait_until_idle(page)
    button = page.locator(".jp-OutputArea button.probe")
    button.click()
    button.click()
    assert lab.poll_json(jupyter_lab.root_dir / "probe.json", lambda d: d["clicks"] == 2)
    lab.run_cell(page, 1)
    page.locator('.jp-OutputArea button.probe[data-value="10"]').wait_for(timeout=30_000)
    assert lab.error_outputs(page) == []


# --------------------------------------------------------------------------------------------------
# The acceptance test: MapView selection round trip
# --------------------------------------------------------------------------------------------------

FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]

ROUNDTRIP_SETUP = f"""
import json, os
import numpy as np
from somnium import SOM
from somnium.datasets import load_penguins
from somnium.widgets import MapView

cols = {FEATURES!r}
df = load_penguins().dropna(subset=cols)
model = SOM(mapsize=(6, 8), lattice="hexa", random_state=0).fit(df[cols], epochs=10)
view = MapView(model, data=df, color="umatrix")

def write_json(name, payload):
    with open(name + ".tmp", "w") as f:
        json.dump(payload, f)
    os.replace(name + ".tmp", name)

hits = np.bincount(model.predict(df[cols]), minlength=6 * 8)
write_json("roundtrip_hits.json", {{"hits": hits.tolist()}})

updates = 0
def report(change):
    global updates
    updates += 1
    selected = [int(i) for i in view.selected]
    brute = df.index[np.isin(model.predict(df[cols]), selected)]
    write_json("roundtrip_state.json", {{
        "updates": updates,
        "selected": selected,
        "selected_rows": [int(i) for i in view.selected_rows.index],
        "brute": [int(i) for i in brute],
    }})

view.observe(report, "selected")
view
"""


def _cell(page, neuron: int):
    return page.locator(f'.jp-OutputArea .somnium-map [data-neuron="{neuron}"]')


def _wait_selected_in_dom(page, expected: set[int], n_nodes: int, timeout: float = 30.0) -> None:
    page.wait_for_function(
        """([expected, n]) => {
          const root = document.querySelector('.jp-OutputArea .somnium-map');
          if (!root) return false;
          const on = Array.from(root.querySelectorAll('[data-neuron][data-selected="true"]'))
            .map(e => Number(e.dataset.neuron)).sort((a, b) => a - b);
          return JSON.stringify(on) === JSON.stringify(expected);
        }""",
        arg=[sorted(expected), n_nodes],
        timeout=timeout * 1000,
        polling=100,
    )


def test_mapview_selection_round_trip(jupyter_lab, page, artifacts_dir):
    """Click two cells -> Python sees them (and the right rows); Python sets a selection -> DOM shows it."""
    root = jupyter_lab.root_dir
    for name in ("roundtrip_hits.json", "roundtrip_state.json"):
        (root / name).unlink(missing_ok=True)
    nb = lab.write_notebook(
        root / "roundtrip.ipynb",
        [
            ("code", ROUNDTRIP_SETUP),
            ("code", "view.selected = PUSHED"),  # PUSHED is defined by the test's third step
        ],
    )
    t0 = time.monotonic()
    lab.open_notebook(page, jupyter_lab, nb.name)
    lab.wait_for_kernel_ready(page)
    lab.run_cell(page, 0)
    lab.wait_for_output(page, '.somnium-map[data-ready="true"]', timeout=90)
    # Browser -> Python messages are processed only once the cell has finished.
    lab.wait_until_idle(page, timeout=90)
    assert lab.error_outputs(page) == []
    n_nodes = 48
    drawn = page.evaluate(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea .somnium-map [data-neuron]'))"
        ".map(e => Number(e.dataset.neuron))"
    )
    assert sorted(set(drawn)) == list(range(n_nodes))

    hits = lab.poll_json(root / "roundtrip_hits.json", lambda d: True)["hits"]
    occupied = [i for i, h in enumerate(hits) if h > 0]
    assert len(occupied) >= 5, hits
    a, b = occupied[0], occupied[-1]

    # 1. A plain click selects one cell.
    _cell(page, a).click()
    state = lab.poll_json(root / "roundtrip_state.json", lambda d: d["selected"] == [a])
    assert state["selected_rows"] == state["brute"]
    assert len(state["selected_rows"]) == hits[a]

    # 2. A Shift-click adds a second one.
    _cell(page, b).click(modifiers=["Shift"])
    state = lab.poll_json(root / "roundtrip_state.json", lambda d: d["selected"] == sorted([a, b]))
    assert state["selected_rows"] == state["brute"], (
        "selected_rows must be exactly the rows whose BMU is selected"
    )
    assert len(state["selected_rows"]) == hits[a] + hits[b] > 0
    _wait_selected_in_dom(page, {a, b}, n_nodes)

    # 3. Python sets the selection; the DOM follows.
    # Disjoint from the clicked cells, so the DOM must both mark the new ones and unmark the old ones.
    pushed = sorted((set(occupied[1:4]) | {n_nodes // 2}) - {a, b})
    assert len(pushed) >= 3, pushed
    page.evaluate(
        """(src) => {
          const nb = window.jupyterapp.shell.currentWidget.content;
          nb.widgets[1].model.sharedModel.setSource(src);
        }""",
        f"PUSHED = {pushed!r}\nview.selected = PUSHED",
    )
    lab.run_cell(page, 1)
    _wait_selected_in_dom(page, set(pushed), n_nodes)
    for neuron in pushed:
        assert _cell(page, neuron).get_attribute("data-selected") == "true"
    for neuron in {a, b} - set(pushed):
        assert _cell(page, neuron).get_attribute("data-selected") != "true"
    state = lab.poll_json(root / "roundtrip_state.json", lambda d: d["selected"] == pushed)
    assert state["selected_rows"] == state["brute"]
    lab.wait_until_idle(page)
    assert lab.error_outputs(page) == []
    page.locator(".jp-OutputArea .somnium-map").first.screenshot(
        path=str(artifacts_dir / "lab_roundtrip_mapview.png")
    )
    page.screenshot(path=str(artifacts_dir / "lab_roundtrip.png"))
    print(
        f"round trip took {time.monotonic() - t0:.1f} s (server started in {jupyter_lab.start_seconds:.1f} s)"
    )


def test_getting_started_notebook_in_lab(jupyter_lab, page, artifacts_dir):
    """notebooks/getting_started.ipynb runs all cells in JupyterLab without errors and draws its MapView."""
    source = lab.REPO_ROOT / "notebooks" / "getting_started.ipynb"
    workdir = jupyter_lab.root_dir / "getting_started"
    workdir.mkdir(exist_ok=True)
    shutil.copy(source, workdir / source.name)
    lab.open_notebook(page, jupyter_lab, f"getting_started/{source.name}")
    lab.wait_for_kernel_ready(page)
    lab.run_all_cells(page)
    lab.wait_for_output(page, '.somnium-map[data-ready="true"]', timeout=120)
    lab.wait_until_idle(page, timeout=120)
    errors = lab.error_outputs(page)
    assert errors == [], "\n\n".join(errors)
    n_code = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.widgets.filter(c => c.model.type === 'code').length"
    )
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").all_text_contents()
    assert len(prompts) == n_code and all("[" in p and "*" not in p and "[ ]" not in p for p in prompts), (
        prompts
    )
    view = page.locator('.jp-OutputArea .somnium-map[data-ready="true"]').first
    view.scroll_into_view_if_needed()
    view.screenshot(path=str(artifacts_dir / "lab_getting_started_mapview.png"))
