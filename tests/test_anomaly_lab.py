"""The anomaly gesture end to end in a real JupyterLab server and kernel (the shared Lab server fixture).

Choose the "anomaly" layer in the menu, press "Select anomalies": Python's ``selected_rows`` is exactly
the rows ``model.is_anomaly`` flags (read back through a file the notebook's observer writes).
"""

from __future__ import annotations

import pytest

from tests.support import lab_server as lab

pytestmark = [pytest.mark.browser, pytest.mark.jupyterlab]

SETUP = """
import json, os
import numpy as np
from somnium import SOM
from somnium.datasets import load_penguins
from somnium.widgets import MapView

cols = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
df = load_penguins().dropna(subset=cols)
model = SOM(mapsize=(6, 8), random_state=0).fit(df[cols], epochs=8)
view = MapView(model, data=df, color="hits", anomaly_quantile=0.95)
expected = df.index[model.is_anomaly(df[cols], 0.95)]

def write_json(name, payload):
    with open(name + ".tmp", "w") as f:
        json.dump(payload, f)
    os.replace(name + ".tmp", name)

def report(change):
    write_json("anomaly_state.json", {
        "color": view.color,
        "anomalies_only": view.anomalies_only,
        "selected": [int(i) for i in view.selected],
        "selected_rows": [int(i) for i in view.selected_rows.index],
        "expected": [int(i) for i in expected],
    })

view.observe(report, ["selected", "anomalies_only", "color"])
view
"""


def test_select_anomalies_round_trip(jupyter_lab, page):
    root = jupyter_lab.root_dir
    (root / "anomaly_state.json").unlink(missing_ok=True)
    nb = lab.write_notebook(root / "anomaly_roundtrip.ipynb", [("code", SETUP)])
    lab.open_notebook(page, jupyter_lab, nb.name)
    lab.wait_for_kernel_ready(page)
    lab.run_cell(page, 0)
    lab.wait_for_output(page, '.somnium-map[data-ready="true"]', timeout=90)
    lab.wait_until_idle(page, timeout=90)
    assert lab.error_outputs(page) == []
    output = page.locator(".jp-OutputArea .somnium-map")
    assert output.locator(".somnium-map__anomalies").is_hidden()

    # 1. The layer menu asks Python for the anomaly layer; its counts bring the controls.
    output.locator(".somnium-map__layer").select_option("anomaly")
    lab.poll_json(root / "anomaly_state.json", lambda d: d["color"] == "anomaly")
    button = output.locator(".somnium-map__select-anomalies")
    button.wait_for(state="visible", timeout=30_000)

    # 2. One gesture: the anomalies' nodes are selected and only the anomalies are the rows.
    button.click()
    # Two messages to two comms, which the kernel may handle in two threads: the view and its selection
    # handle them one at a time, so the last state reported has the filter on (BrowserWrites).
    filtered = lambda d: d["anomalies_only"] and d["selected"] and d["selected_rows"]  # noqa: E731
    state = lab.poll_json(root / "anomaly_state.json", filtered)
    state = lab.poll_json(root / "anomaly_state.json", lambda d: d["selected_rows"] == d["expected"])
    assert len(state["expected"]) > 0
    # Python's answer (the filter on) reaches the page right after
    page.locator('.jp-OutputArea .somnium-map[data-anomalies-only="true"]').wait_for(timeout=15_000)

    # 3. Unticking the box gives every row of those nodes back.
    output.locator(".somnium-map__anomalies-only").uncheck()
    state = lab.poll_json(root / "anomaly_state.json", lambda d: not d["anomalies_only"])
    assert set(state["expected"]) < set(state["selected_rows"])
    assert lab.error_outputs(page) == []
