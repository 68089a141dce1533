"""TrainingMonitor in a real JupyterLab (server, kernel, Chromium): streaming, Stop, ■ Interrupt.

Shares the session's Lab server (``jupyter_lab`` from tests/conftest.py).  Each epoch of these fits
sleeps 0.1 s in a user callback, so a fit of 300 epochs lasts about 30 s unless it is stopped: the
tests see several epochs stream into the DOM while the cell runs, then stop it.
"""

from __future__ import annotations

import time

import pytest

from tests.support import lab_server as lab

pytestmark = [pytest.mark.browser, pytest.mark.jupyterlab, pytest.mark.slow]

EPOCHS = 300
MONITOR = ".jp-OutputArea .somnium-monitor"

SETUP = f"""
import json, os, time
import numpy as np
from somnium import SOM
from somnium.widgets import TrainingMonitor

X = np.random.default_rng(0).normal(size=(2000, 6))
model = SOM(mapsize=(8, 9), random_state=0)

def slow(info):
    time.sleep(0.1)

def write_json(name, payload):
    with open(name + ".tmp", "w") as f:
        json.dump(payload, f)
    os.replace(name + ".tmp", name)

def report(name):
    history = model.history_
    write_json(name, {{
        "epochs": len(history["quantization_error"]),
        "state": monitor.state,
        "stopped_epoch": monitor.stopped_epoch,
        "bmu_ok": bool((model.bmu_ == model.predict(X)).all()),
    }})

monitor = TrainingMonitor(model)
EPOCHS = {EPOCHS}
"""


def dom_state(page):
    return page.evaluate(
        """(sel) => {
          const root = document.querySelector(sel);
          if (!root) return null;
          const w = window.jupyterapp.shell.currentWidget;
          const k = w && w.sessionContext.session && w.sessionContext.session.kernel;
          return {state: root.dataset.state, epoch: Number(root.dataset.epoch),
                  kernel: k ? k.status : null};
        }""",
        MONITOR,
    )


def watch_epochs(page, at_least: int, timeout: float = 60.0) -> list[dict]:
    """Distinct data-epoch values seen (with the kernel's status) until ``at_least`` of them."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = dom_state(page)
        if snapshot and snapshot["epoch"] > 0 and (not seen or snapshot["epoch"] != seen[-1]["epoch"]):
            seen.append(snapshot)
            if len(seen) >= at_least:
                return seen
        time.sleep(0.03)
    raise AssertionError(f"only {len(seen)} epoch updates reached the DOM: {seen}")


def wait_for_state(page, state: str, timeout: float = 60.0) -> int:
    page.wait_for_function(
        "([sel, s]) => { const r = document.querySelector(sel); return !!r && r.dataset.state === s; }",
        arg=[MONITOR, state],
        timeout=timeout * 1000,
        polling=50,
    )
    return dom_state(page)["epoch"]


def open_with_cells(jupyter_lab, page, name: str, cells: list[str]):
    root = jupyter_lab.root_dir
    for leftover in root.glob(f"{name}*.json"):
        leftover.unlink()
    nb = lab.write_notebook(root / f"{name}.ipynb", [("code", SETUP), *[("code", c) for c in cells]])
    lab.open_notebook(page, jupyter_lab, nb.name)
    lab.wait_for_kernel_ready(page)
    lab.run_cell(page, 0)
    lab.wait_for_output(page, '.somnium-monitor[data-ready="true"][data-state="idle"]', timeout=90)
    lab.wait_until_idle(page, timeout=90)
    assert dom_state(page)["epoch"] == 0
    return root


def stop_button(page):
    return page.locator(f'{MONITOR} button[data-action="stop"]')


def test_awaited_fit_streams_epochs_and_stop_ends_it(jupyter_lab, page, artifacts_dir):
    root = open_with_cells(
        jupyter_lab,
        page,
        "monitor_await",
        ["await monitor.fit(X, epochs=EPOCHS, callbacks=[slow])\nreport('monitor_await.json')"],
    )
    lab.run_cell(page, 1)
    seen = watch_epochs(page, at_least=4)
    # the updates arrived while the cell was still running
    assert all(s["kernel"] == "busy" for s in seen), seen
    assert all(s["state"] == "running" for s in seen), seen
    t0 = time.monotonic()
    stop_button(page).click()
    stopped = wait_for_state(page, "stopped")
    latency = time.monotonic() - t0
    lab.wait_until_idle(page)
    assert lab.error_outputs(page) == []
    result = lab.poll_json(root / "monitor_await.json", timeout=60.0)
    assert result == {"epochs": stopped, "state": "stopped", "stopped_epoch": stopped, "bmu_ok": True}
    assert seen[-1]["epoch"] <= stopped < EPOCHS
    page.locator(MONITOR).first.screenshot(path=str(artifacts_dir / "lab_monitor_stopped.png"))
    page.locator(".jp-OutputArea .somnium-monitor-box").first.screenshot(
        path=str(artifacts_dir / "lab_monitor_whole.png")
    )
    print(f"stop: click -> data-state=stopped in {latency * 1000:.0f} ms at epoch {stopped}")


def test_background_start_and_stop_while_the_kernel_is_idle(jupyter_lab, page):
    root = open_with_cells(
        jupyter_lab,
        page,
        "monitor_background",
        [
            "run = monitor.start(X, epochs=EPOCHS, callbacks=[slow])",
            "monitor.wait()\nreport('monitor_background.json')",
        ],
    )
    lab.run_cell(page, 1)
    lab.wait_until_idle(page)  # start() returned at once ...
    seen = watch_epochs(page, at_least=3)  # ... and training goes on
    assert all(s["kernel"] == "idle" for s in seen[1:]), seen
    stop_button(page).click()
    stopped = wait_for_state(page, "stopped")
    lab.run_cell(page, 2)
    result = lab.poll_json(root / "monitor_background.json", timeout=60.0)
    assert result == {"epochs": stopped, "state": "stopped", "stopped_epoch": stopped, "bmu_ok": True}
    assert stopped < EPOCHS
    lab.wait_until_idle(page)
    assert lab.error_outputs(page) == []


def test_interrupt_during_an_awaited_fit_leaves_a_usable_model(jupyter_lab, page):
    root = open_with_cells(
        jupyter_lab,
        page,
        "monitor_interrupt",
        [
            "await monitor.fit(X, epochs=EPOCHS, callbacks=[slow])",
            "report('monitor_interrupt.json')\n"
            "model.fit(X, epochs=2)\n"
            "model.save('interrupted.somnium')\n"
            "write_json('monitor_interrupt_after.json', {'epochs': len(model.history_['epoch'])})",
        ],
    )
    lab.run_cell(page, 1)
    watch_epochs(page, at_least=3)
    lab.execute_command(page, "kernelmenu:interrupt")
    stopped = wait_for_state(page, "stopped")
    lab.wait_until_idle(page)
    errors = lab.error_outputs(page)
    assert len(errors) == 1 and "CancelledError" in errors[0], errors
    lab.run_cell(page, 2)
    result = lab.poll_json(root / "monitor_interrupt.json", timeout=60.0)
    assert result == {"epochs": stopped, "state": "stopped", "stopped_epoch": stopped, "bmu_ok": True}
    assert lab.poll_json(root / "monitor_interrupt_after.json", timeout=60.0) == {"epochs": stopped + 2}
    assert (root / "interrupted.somnium").exists()


def test_a_short_fit_ends_with_one_map_of_the_final_model(jupyter_lab, page):
    """A short awaited fit ends with one map in the monitor: the view of the final model that the end of
    the run builds on the kernel's event loop (replacing a live map if one was drawn), one hex cell per
    node, every cell with a value."""
    root = open_with_cells(
        jupyter_lab,
        page,
        "monitor_short",
        ["await monitor.fit(X, epochs=3)\nreport('monitor_short.json')"],
    )
    lab.run_cell(page, 1)
    wait_for_state(page, "done")
    lab.wait_until_idle(page)
    result = lab.poll_json(root / "monitor_short.json", timeout=60.0)
    assert result == {"epochs": 3, "state": "done", "stopped_epoch": None, "bmu_ok": True}
    box = ".jp-OutputArea .somnium-monitor-box"
    page.locator(f'{box} .somnium-map[data-ready="true"]').first.wait_for(timeout=30_000)
    counts = page.evaluate(
        """(box) => {
          const root = document.querySelector(box);
          const maps = root.querySelectorAll('.somnium-map');
          return {maps: maps.length,
                  cells: maps.length ? maps[0].querySelectorAll('[data-neuron]').length : 0,
                  empty: maps.length ? maps[0].querySelectorAll('[data-novalue]').length : -1,
                  placeholder: root.textContent.includes('The map appears after the first epoch')};
        }""",
        box,
    )
    assert counts == {"maps": 1, "cells": 72, "empty": 0, "placeholder": False}
    assert lab.error_outputs(page) == []
