"""TrainingMonitor: training-time overhead, messages per second, and Stop latency in a real JupyterLab.

    python benchmarks/bench_monitor.py            # overhead + messages (no browser), ~1 min
    python benchmarks/bench_monitor.py --lab      # also Stop latency over 20 clicks in JupyterLab, ~3 min

W1: 20,000 x 16 standard-normal rows, a 30 x 30 hexagonal map.

Overhead compares the same fit with the same work: a monitor is a callback, and any callback makes the
engine measure every epoch (as collect_history=True does), so the baseline is ``model.fit(...,
collect_history=True)``; the cost of that measurement is printed separately.  Messages are counted where
ipywidgets sends them (``Widget._send``), without a kernel.

Stop latency: a cell awaits ``monitor.fit`` on W1 (about 30-60 ms an epoch here); the browser clicks Stop
and records ``Date.now()``; the kernel records ``time.time()`` when the fit has ended (``on_fit_end``).
Latency = end - click (same machine clock), so it includes finishing the current epoch.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from somnium import SOM  # noqa: E402

EPOCHS = 40
ROWS = 20_000  # --rows: W1 has 20,000


def w1():
    return np.random.default_rng(0).normal(size=(ROWS, 16))


def count_messages():
    import ipywidgets

    sent = {"n": 0}
    original = ipywidgets.Widget._send

    def counting(self, msg, buffers=None):
        sent["n"] += 1
        return original(self, msg, buffers)

    ipywidgets.Widget._send = counting
    return sent


def overhead(repeats: int = 11):
    from somnium.widgets import TrainingMonitor

    X = w1()
    sent = count_messages()
    plain, measured, monitored, rates, updates = [], [], [], [], []
    for _ in range(repeats):
        t = time.perf_counter()
        SOM(mapsize=(30, 30), random_state=0).fit(X, epochs=EPOCHS)
        plain.append(time.perf_counter() - t)

        t = time.perf_counter()
        SOM(mapsize=(30, 30), random_state=0).fit(X, epochs=EPOCHS, collect_history=True)
        measured.append(time.perf_counter() - t)

        model = SOM(mapsize=(30, 30), random_state=0)
        monitor = TrainingMonitor(model, display=False)
        before_messages, before_updates = sent["n"], monitor.messages_sent
        t = time.perf_counter()
        monitor.start(X, epochs=EPOCHS, collect_history=True).wait()
        elapsed = time.perf_counter() - t
        monitored.append(elapsed)
        rates.append((sent["n"] - before_messages) / elapsed)
        updates.append((monitor.messages_sent - before_updates) / elapsed)
    base, mon = statistics.median(measured), statistics.median(monitored)
    # Per round (the two fits ran back to back, on the same machine state), then the median.
    ratios = sorted(100 * (m / b - 1) for m, b in zip(monitored, measured))
    print(f"W1-like {ROWS}x16, 30x30 map, {EPOCHS} epochs (median of {repeats} interleaved rounds)")
    print(f"  fit, no history              {statistics.median(plain):6.2f} s")
    print(f"  fit, collect_history=True    {base:6.2f} s  (what any callback costs the engine)")
    print(f"  TrainingMonitor.start().wait {mon:6.2f} s  overhead {100 * (mon / base - 1):+.1f}%")
    print(
        f"  overhead per round: median {statistics.median(ratios):+.1f}%, "
        f"middle half {ratios[len(ratios) // 4]:+.1f}% to {ratios[(3 * len(ratios)) // 4]:+.1f}%"
    )
    print(
        f"  updates published {statistics.median(updates):.1f}/s; "
        f"widget messages {statistics.median(rates):.0f}/s"
    )


LATENCY_SETUP = """
import json, time
import numpy as np
from somnium import SOM
from somnium.widgets import TrainingMonitor

X = np.random.default_rng(0).normal(size=(ROWS, 16))
ends = []

class EndClock:
    def on_fit_end(self, result):
        ends.append(time.time())
        with open("ends.json", "w") as f:
            json.dump(ends, f)

model = SOM(mapsize=(30, 30), random_state=0)
monitor = TrainingMonitor(model)
"""

LATENCY_CELL = "await monitor.fit(X, epochs=100000, callbacks=[EndClock()])"


def stop_latency(tries: int = 20):
    import shutil
    import tempfile

    from playwright.sync_api import sync_playwright

    from tests.support import lab_server as lab
    from tests.support.environment import CHROMIUM_ARGS, find_chromium

    base = Path(tempfile.mkdtemp(prefix="somnium-bench-"))
    root = base / "root"
    root.mkdir()
    server = lab.start_lab(base, root)
    latencies, dom_latencies = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
            setup = LATENCY_SETUP.replace("ROWS", str(ROWS))
            nb = lab.write_notebook(root / "latency.ipynb", [("code", setup), ("code", LATENCY_CELL)])
            lab.open_notebook(page, server, nb.name)
            lab.wait_for_kernel_ready(page)
            lab.run_cell(page, 0)
            lab.wait_for_output(page, '.somnium-monitor[data-ready="true"]', timeout=120)
            lab.wait_until_idle(page)
            for i in range(tries):
                lab.run_cell(page, 1)
                page.wait_for_function(
                    """() => { const r = document.querySelector('.jp-OutputArea .somnium-monitor');
                               return r && r.dataset.state === 'running' && Number(r.dataset.epoch) > 0
                                 && !r.querySelector('button[data-action="stop"]').disabled; }""",
                    timeout=120_000,
                    polling=20,
                )
                time.sleep(0.2 + 0.05 * (i % 5))  # click at different points of an epoch
                clicked = page.evaluate(
                    """() => { const b = document.querySelector(
                                 '.jp-OutputArea .somnium-monitor button[data-action="stop"]');
                               const t = Date.now(); b.click(); return t; }"""
                )
                shown = page.evaluate(
                    """() => new Promise((resolve) => {
                         const r = document.querySelector('.jp-OutputArea .somnium-monitor');
                         const check = () => r.dataset.state === 'stopped' ? resolve(Date.now())
                                                                           : setTimeout(check, 5);
                         check(); })"""
                )
                lab.wait_until_idle(page, timeout=120)
                ends = json.loads((root / "ends.json").read_text())
                latencies.append(ends[-1] * 1000 - clicked)
                dom_latencies.append(shown - clicked)
            browser.close()
    finally:
        lab.stop_lab(server)
        shutil.rmtree(base, ignore_errors=True)
    print(f"Stop latency in JupyterLab over {tries} clicks during `await monitor.fit` on {ROWS}x16, 30x30:")
    print(
        f"  click -> training ended: median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms"
    )
    print(
        f"  click -> data-state=stopped in the DOM: median {statistics.median(dom_latencies):.0f} ms, "
        f"max {max(dom_latencies):.0f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", action="store_true", help="also measure Stop latency in JupyterLab")
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--rows", type=int, default=ROWS, help="rows of the W1 data (default 20,000)")
    args = parser.parse_args()
    globals()["ROWS"] = args.rows
    overhead()
    if args.lab:
        stop_latency(args.tries)


if __name__ == "__main__":
    main()
