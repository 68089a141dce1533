"""The Explorer end to end in a real JupyterLab and kernel (one server per session, see lab_server).

A brush on the map reaches Python as ``explorer.selected_rows`` (checked against a brute-force
filter) and redraws the bqplot profile; a click on a plane while a cell is still running shows on
the map and on every plane before the cell ends (the link lives in the browser), and Python gets
the selection once the kernel is free.
"""

from __future__ import annotations

import pytest

from tests.support import lab_server as lab

pytestmark = [pytest.mark.browser, pytest.mark.jupyterlab, pytest.mark.slow]

FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
XSS = "<img src=x onerror=alert(1)>"

SETUP = f"""
import json, os
import numpy as np
from somnium import SOM
from somnium.datasets import load_penguins
from somnium.widgets import Explorer

cols = {FEATURES!r}
df = load_penguins().dropna(subset=cols)
# HOSTILE
model = SOM(mapsize=(8, 10), lattice="hexa", random_state=0).fit(df[cols], epochs=10)
explorer = Explorer(model, df)

def write_json(name, payload):
    with open(name + ".tmp", "w") as f:
        json.dump(payload, f)
    os.replace(name + ".tmp", name)

write_json("explorer_lattice.json", {{"coordinates": model.lattice_.coordinates.tolist()}})

def report(change):
    nodes = [int(i) for i in explorer.selection.nodes]
    brute = df.index[np.isin(model.predict(df[cols]), nodes)]
    write_json("explorer_state.json", {{
        "nodes": nodes,
        "selected_rows": [int(i) for i in explorer.selected_rows.index],
        "brute": [int(i) for i in brute],
        "bars": [str(x) for x in explorer.profile._z_bars.x],
        "title": explorer.profile.numeric_figure.title,
    }})

explorer.selection.observe(report, "nodes")
explorer
"""

BUSY = """
import time
write_json("explorer_busy.json", {"started": time.time()})
deadline = time.time() + 20
while time.time() < deadline:
    time.sleep(0.05)
"""

MAP = ".jp-OutputArea .somnium-explorer .somnium-map:not(.somnium-planes__plane)"
PLANES = ".jp-OutputArea .somnium-explorer .somnium-planes"


def selected_everywhere(page) -> dict:
    """Selected nodes on the map and on every plane, as the DOM shows them."""
    return page.evaluate(
        """([mapSel, planesSel]) => {
          const on = (root) => Array.from(root.querySelectorAll('[data-neuron][data-selected="true"]'))
            .map(e => Number(e.dataset.neuron)).sort((a, b) => a - b);
          const planes = Array.from(document.querySelectorAll(planesSel + ' .somnium-map'));
          return {map: on(document.querySelector(mapSel)),
                  planes: Object.fromEntries(planes.map(p => [p.dataset.feature, on(p)]))};
        }""",
        [MAP, PLANES],
    )


def center(page, selector):
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page, points):
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=5)
    page.mouse.up()


def brush_map(page, coords, x0, y0, x1, y1) -> list[int]:
    """Brush the map over the lattice rectangle (x0, y0)-(x1, y1); return the nodes inside it."""
    page.locator(MAP).scroll_into_view_if_needed()
    (ax, ay), (bx, by) = (
        center(page, f'{MAP} [data-neuron="0"]'),
        center(page, f'{MAP} [data-neuron="{len(coords) - 1}"]'),
    )

    def to_client(x, y):
        return (
            ax + (x - coords[0][0]) * (bx - ax) / (coords[-1][0] - coords[0][0]),
            ay + (y - coords[0][1]) * (by - ay) / (coords[-1][1] - coords[0][1]),
        )

    drag(page, [to_client(x0, y0), to_client(x1, y1)])
    return [i for i, (x, y) in enumerate(coords) if x0 <= x <= x1 and y0 <= y <= y1]


def cell_is_running(page, index: int) -> bool:
    """Whether cell ``index`` still shows the pending-execution prompt ``[*]``."""
    return page.evaluate(
        """(i) => {
          const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
          const prompt = cell.node.querySelector('.jp-InputArea-prompt');
          return !!prompt && prompt.textContent.includes('*');
        }""",
        index,
    )


def open_explorer(jupyter_lab, page, name, hostile=False):
    """Open a notebook with the Explorer cell (optionally with a hostile column name) and run it."""
    root = jupyter_lab.root_dir
    for stale in ("explorer_state.json", "explorer_busy.json", "explorer_lattice.json"):
        (root / stale).unlink(missing_ok=True)
    setup = SETUP
    if hostile:  # rendered as text everywhere, never markup
        setup = SETUP.replace("# HOSTILE", f'df[{XSS!r}] = df["body_mass_g"] / 1000')
    nb = lab.write_notebook(root / name, [("code", setup), ("code", BUSY)])
    lab.open_notebook(page, jupyter_lab, nb.name)
    lab.wait_for_kernel_ready(page)
    lab.run_cell(page, 0)
    lab.wait_for_output(page, '.somnium-planes[data-ready="true"]', timeout=120)
    lab.wait_for_output(page, '.somnium-map[data-ready="true"]', timeout=60)
    lab.wait_for_output(page, ".somnium-profile .bqplot", timeout=60)
    lab.wait_until_idle(page, timeout=120)
    assert lab.error_outputs(page) == []
    return lab.poll_json(root / "explorer_lattice.json", lambda d: True)["coordinates"]


def test_explorer_round_trip_in_jupyterlab(jupyter_lab, page, artifacts_dir):
    page.set_viewport_size({"width": 1400, "height": 1000})
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    root = jupyter_lab.root_dir
    coords = open_explorer(jupyter_lab, page, "explorer.ipynb", hostile=True)

    # 1. Brush on the map: every plane shows the same nodes; Python gets the rows; the profile redraws.
    expected = brush_map(page, coords, 0.8, 0.3, 4.2, 2.9)
    assert len(expected) >= 6
    shown = selected_everywhere(page)
    assert shown["map"] == expected
    assert len(shown["planes"]) == 4 and all(nodes == expected for nodes in shown["planes"].values())
    state = lab.poll_json(root / "explorer_state.json", lambda d: d["nodes"] == expected)
    assert state["selected_rows"] == state["brute"] and len(state["brute"]) > 0
    # the bqplot profile's DOM shows the new bars and the new title
    page.wait_for_function(
        """([n, title]) => {
          const fig = document.querySelector('.jp-OutputArea .somnium-profile .bqplot');
          if (!fig) return false;
          const bars = fig.querySelectorAll('.bargroup rect.bar, rect.bar');
          const heading = fig.querySelector('.mainheading');
          return bars.length === n && heading && heading.textContent === title;
        }""",
        arg=[len(state["bars"]), state["title"]],
        timeout=30_000,
    )
    assert set(FEATURES) | {XSS} <= set(state["bars"]) and state["title"].startswith(
        f"{len(state['brute']):,} of"
    )

    # 2. A click on a plane while a cell runs shows on every view before the cell ends.
    lab.run_cell(page, 1)
    lab.poll_json(root / "explorer_busy.json", lambda d: True)
    assert cell_is_running(page, 1)
    target = next(i for i in range(len(coords)) if i not in expected)
    plane = f'{PLANES} .somnium-map[data-plane="1"]'
    page.locator(plane).scroll_into_view_if_needed()
    page.locator(f'{plane} [data-neuron="{target}"]').click()
    shown = selected_everywhere(page)
    assert shown["map"] == [target] and all(nodes == [target] for nodes in shown["planes"].values())
    assert cell_is_running(page, 1), "the cell ended before the views were checked"
    page.locator(".jp-OutputArea .somnium-explorer").first.screenshot(
        path=str(artifacts_dir / "lab_explorer_busy_click.png")
    )
    lab.wait_until_idle(page, timeout=60)
    state = lab.poll_json(root / "explorer_state.json", lambda d: d["nodes"] == [target])
    assert state["selected_rows"] == state["brute"]
    assert lab.error_outputs(page) == []
    # the hostile column name is text in the profile's axis and the map's layer menu, never markup
    ticks = page.eval_on_selector_all(
        ".jp-OutputArea .somnium-profile .tick text", "ts => ts.map(t => t.textContent)"
    )
    assert XSS in ticks
    options = page.eval_on_selector_all(
        f"{MAP} .somnium-map__layer option", "os => os.map(o => o.textContent)"
    )
    assert any(XSS in option for option in options)
    assert page.locator(".jp-OutputArea .somnium-explorer img").count() == 0

    # 3. Selection -> named segment in two gestures: type a (hostile) name, press "Add segment".
    page.locator('.jp-OutputArea .somnium-explorer input[placeholder="Segment name"]').fill(XSS)
    page.locator(".jp-OutputArea .somnium-explorer button", has_text="Add segment").click()
    page.wait_for_function(
        """([mapSel, name]) => {
          const names = document.querySelectorAll(mapSel + ' .somnium-segments__name');
          return names.length > 0 && names[0].textContent === name;
        }""",
        arg=[MAP, XSS],
        timeout=30_000,
    )
    # The segment list and the switch to the segments layer are separate trait updates: the list can
    # draw a frame before the colours (CI saw the old layer's fill once), so wait for the repaint.
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    cell = f'{MAP} [data-neuron="{target}"]'
    try:
        page.wait_for_function(
            "([sel, fill]) => document.querySelector(sel)?.getAttribute('fill') === fill",
            arg=[cell, "#3d8fd1"],
            timeout=10_000,
        )
    except PlaywrightTimeout:
        pass  # the assertion below reports what the cell shows
    fill = page.locator(cell).get_attribute("fill")
    assert fill == "#3d8fd1"  # the first segment colour; the map switched to the segments layer
    legend = page.eval_on_selector_all(
        f"{PLANES} .somnium-segments__name", "ns => ns.map(n => n.textContent)"
    )
    assert legend[0] == XSS
    # the segment list (ipywidgets Labels) names it as text too
    holders = page.evaluate(
        """(name) => Array.from(document.querySelectorAll('.jp-OutputArea .somnium-explorer *'))
          .filter(e => e.children.length === 0 && e.textContent === name)
          .map(e => e.className.baseVal ?? e.className)""",
        XSS,
    )
    assert any("somnium-segments" not in str(c) for c in holders), holders
    assert page.locator(".jp-OutputArea .somnium-explorer img").count() == 0
    assert lab.error_outputs(page) == []
    assert dialogs == []


def test_explorer_screenshots_in_both_themes(jupyter_lab, page, artifacts_dir):
    """README pictures: the Explorer with a brushed selection, JupyterLab light and dark."""
    page.set_viewport_size({"width": 1300, "height": 2000})
    coords = open_explorer(jupyter_lab, page, "explorer_pictures.ipynb")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:hide-all-cell-code')")
    nodes = [i for i, (x, y) in enumerate(coords) if 4.5 <= x <= 8.5 and 3.5 <= y <= 6.5]
    lab.execute_command(page, "notebook:insert-cell-below")
    page.evaluate(
        """(src) => {
          const nb = window.jupyterapp.shell.currentWidget.content;
          nb.widgets[nb.widgets.length - 1].model.sharedModel.setSource(src);
        }""",
        f"explorer.selection.nodes = {nodes!r}",
    )
    lab.run_cell(page, 2)
    lab.wait_until_idle(page)
    page.wait_for_function(
        "(n) => document.querySelectorAll('.jp-OutputArea .somnium-explorer [data-selected=\"true\"]').length >= n",
        arg=len(nodes) * 5,
    )
    explorer = page.locator(".jp-OutputArea .somnium-explorer").first
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme)
        page.wait_for_function("(t) => document.body.dataset.jpThemeName === t", arg=theme, timeout=30_000)
        page.wait_for_timeout(800)
        explorer.scroll_into_view_if_needed()
        name = "light" if "Light" in theme else "dark"
        path = artifacts_dir / f"explorer_{name}.png"
        explorer.screenshot(path=str(path))
        assert path.stat().st_size > 20_000
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})"
    )


DASK_SETUP = f"""
import json, os
import numpy as np
import dask.dataframe as dd
from distributed import Client, LocalCluster
from somnium import SOM
from somnium.datasets import load_penguins
from somnium.widgets import Explorer

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                       dashboard_address=None)
client = Client(cluster)
cols = {FEATURES!r}
df = load_penguins().dropna(subset=cols)
ddf = dd.from_pandas(df, npartitions=4, sort=False)
model = SOM(mapsize=(8, 10), lattice="hexa", random_state=0).fit(ddf[cols], epochs=10)
explorer = Explorer(model, ddf)

def write_json(name, payload):
    with open(name + ".tmp", "w") as f:
        json.dump(payload, f)
    os.replace(name + ".tmp", name)

write_json("explorer_lattice.json", {{"coordinates": model.lattice_.coordinates.tolist()}})

def report(change):
    nodes = [int(i) for i in explorer.selection.nodes]
    lazy = explorer.selected_rows
    brute = df.index[np.isin(model.predict(df[cols]), nodes)]
    write_json("explorer_state.json", {{
        "nodes": nodes,
        "lazy": type(lazy).__module__.startswith("dask"),
        "selected_rows": sorted(int(i) for i in lazy.compute().index),
        "brute": sorted(int(i) for i in brute),
        "title": explorer.profile.numeric_figure.title,
    }})

explorer.selection.observe(report, "nodes")
explorer
"""

DASK_LABELS = """
labels = explorer.segments.labels(ddf)
computed = labels.compute()
expected = explorer.segments.labels(df[cols])
write_json("explorer_labels.json", {
    "lazy": type(labels).__module__.startswith("dask"),
    "names": list(explorer.segments.names),
    "equal": bool(computed.astype(object).fillna("-").equals(expected.astype(object).fillna("-"))),
    "counted": int(computed.notna().sum()),
    "table_rows": [int(n) for n in explorer.segment_table()["rows"]],
})
client.close(); cluster.close()
"""


def test_explorer_on_a_dask_dataframe_in_jupyterlab(jupyter_lab, page):
    """Explorer(model, ddf) on a 2-process LocalCluster: brush -> lazy selected_rows, Add segment -> lazy labels."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    root = jupyter_lab.root_dir
    for stale in ("explorer_state.json", "explorer_lattice.json", "explorer_labels.json"):
        (root / stale).unlink(missing_ok=True)
    nb = lab.write_notebook(root / "explorer_dask.ipynb", [("code", DASK_SETUP), ("code", DASK_LABELS)])
    lab.open_notebook(page, jupyter_lab, nb.name)
    lab.wait_for_kernel_ready(page)
    lab.run_cell(page, 0)
    lab.wait_for_output(page, '.somnium-planes[data-ready="true"]', timeout=180)
    lab.wait_for_output(page, '.somnium-map[data-ready="true"]', timeout=60)
    lab.wait_until_idle(page, timeout=120)
    assert lab.error_outputs(page) == []
    coords = lab.poll_json(root / "explorer_lattice.json", lambda d: True)["coordinates"]

    expected = brush_map(page, coords, 0.8, 0.3, 4.2, 2.9)
    assert selected_everywhere(page)["map"] == expected
    state = lab.poll_json(root / "explorer_state.json", lambda d: d["nodes"] == expected, timeout=60)
    assert state["lazy"] and state["selected_rows"] == state["brute"] and len(state["brute"]) > 0
    assert state["title"].startswith(f"{len(state['brute']):,} of")

    page.locator('.jp-OutputArea .somnium-explorer input[placeholder="Segment name"]').fill("corner")
    page.locator(".jp-OutputArea .somnium-explorer button", has_text="Add segment").click()
    page.wait_for_function(
        """(mapSel) => {
          const names = document.querySelectorAll(mapSel + ' .somnium-segments__name');
          return names.length > 0 && names[0].textContent === 'corner';
        }""",
        arg=MAP,
        timeout=30_000,
    )
    lab.run_cell(page, 1)
    labels = lab.poll_json(root / "explorer_labels.json", lambda d: True, timeout=120)
    assert labels["lazy"] and labels["names"] == ["corner"] and labels["equal"]
    assert labels["counted"] == len(state["brute"]) == labels["table_rows"][0]
    lab.wait_until_idle(page, timeout=60)
    assert lab.error_outputs(page) == []
