"""Issue 19 end to end in a real JupyterLab and kernel (the session's one Lab server, see lab_server).

A label column colours the map by its most frequent value with a legend (issue 24's "cultivar" case),
and a surrogate's view round-trips: a click in the browser reaches Python, which finds the selected
nodes' drivers and sends them back to the panel under the map.
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
from somnium.explain import SurrogateMap
from somnium.widgets import MapView

cols = {FEATURES!r}
df = load_penguins().dropna(subset=cols)
df["species"] = df["species"].astype(str).replace({{"Chinstrap": {XSS!r}}})
model = SOM(mapsize=(6, 8), lattice="hexa", random_state=0).fit(df[cols], epochs=10)
labels = MapView(model, df, color="species")

def write_json(name, payload):
    with open(name + ".tmp", "w") as f:
        json.dump(payload, f)
    os.replace(name + ".tmp", name)

write_json("explain_labels.json", {{
    "categories": labels._layer_info["categories"],
    "codes": [int(c) for c in labels._layer_codes],
}})
labels
"""

SURROGATE = """
risk = (df["body_mass_g"] / 1000 + (df["flipper_length_mm"] - 200) / 10).rename("risk")
view = SurrogateMap(model, df, risk).view()

def report(change):
    table = view.selected_drivers
    write_json("explain_state.json", {
        "nodes": [int(n) for n in view.selected],
        "drivers": [] if table is None else list(table.dropna(subset=["association"]).index[:5]),
        "title": view._details.get("title", ""),
    })

view.observe(report, "selected")
view
"""


def test_label_layer_and_surrogate_round_trip_in_jupyterlab(jupyter_lab, page, artifacts_dir):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    root = jupyter_lab.root_dir
    for stale in ("explain_labels.json", "explain_state.json"):
        (root / stale).unlink(missing_ok=True)
    nb = lab.write_notebook(root / "explain.ipynb", [("code", SETUP), ("code", SURROGATE)])
    lab.open_notebook(page, jupyter_lab, nb.name)
    lab.wait_for_kernel_ready(page)

    # 1. The label column: each node in its most frequent species' colour, named in the legend as text.
    lab.run_cell(page, 0)
    labels_map = '.jp-OutputArea .somnium-map[data-layer="categories"]'
    lab.wait_for_output(page, '.somnium-map[data-layer="categories"][data-ready="true"]', timeout=120)
    expected = lab.poll_json(root / "explain_labels.json")
    legend = page.eval_on_selector_all(
        f"{labels_map} .somnium-categories__name", "names => names.map(n => n.textContent)"
    )
    assert legend == expected["categories"] and XSS in legend
    painted = page.eval_on_selector_all(
        f"{labels_map} [data-neuron]", "cells => cells.map(c => c.getAttribute('fill'))"
    )
    colors = dict(
        enumerate(
            page.eval_on_selector_all(
                f"{labels_map} .somnium-categories__swatch",
                "s => s.map(x => getComputedStyle(x).backgroundColor)",
            )
        )
    )
    assert len(painted) == len(expected["codes"])
    assert [f is None for f in painted] == [c == 0 for c in expected["codes"]]
    assert len({f for f in painted if f}) == len({c for c in expected["codes"] if c}) <= len(colors)
    page.locator(labels_map).screenshot(path=str(artifacts_dir / "lab_label_map.png"))
    lab.wait_until_idle(page, timeout=60)

    # 2. The surrogate's view: a click in the browser -> Python's drivers -> the panel under the map.
    lab.run_cell(page, 1)
    surrogate_map = ".jp-OutputArea .somnium-map:not([data-layer])"
    lab.wait_for_output(page, '.somnium-map:not([data-layer])[data-ready="true"]', timeout=120)
    lab.wait_until_idle(page, timeout=60)
    page.locator(f'{surrogate_map} [data-neuron="20"]').click()
    state = lab.poll_json(root / "explain_state.json", lambda d: d["nodes"] == [20], timeout=60)
    assert state["drivers"], state
    page.wait_for_function(
        """([scope, names]) => {
          const rows = document.querySelectorAll(scope + ' .somnium-map__details-row');
          return JSON.stringify(Array.from(rows, r => r.dataset.name)) === JSON.stringify(names);
        }""",
        arg=[surrogate_map, state["drivers"]],
        timeout=30_000,
    )
    title = page.locator(f"{surrogate_map} .somnium-map__details-title").text_content()
    assert title == state["title"] == "Drivers of risk in the 1 selected node (local r)"
    page.locator(".jp-OutputArea").last.screenshot(path=str(artifacts_dir / "lab_surrogate_view.png"))
    assert page.locator(".jp-OutputArea img").count() == 0
    assert lab.error_outputs(page) == []
    assert dialogs == []
