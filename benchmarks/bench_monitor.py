"""TrainingMonitor: training-time overhead, messages per second, and Stop latency in a real JupyterLab.

    python benchmarks/bench_monitor.py            # overhead + messages (no browser), ~1 min
    python benchmarks/bench_monitor.py --lab      # also Stop latency over 20 clicks in JupyterLab, ~3 min
    python benchmarks/bench_monitor.py --compare /path/to/other/checkout   # overhead, both trees interleaved

W1: 20,000 x 16 standard-normal rows, a 30 x 30 hexagonal map.

Overhead compares the same fit with the same work: a monitor is a callback, and any callback makes the
engine measure every epoch (as collect_history=True does), so the baseline is ``model.fit(...,
collect_history=True)``; the cost of that measurement is printed separately.  Messages are counted where
ipywidgets sends them (``Widget._send``), without a kernel.

With ``--compare``, each round runs one round in a fresh process of each tree (``somnium`` imported from
that tree), the trees' order alternating from round to round, and prints each tree's overhead per round
(median, spread) with the load average of the machine.

Stop latency: a cell awaits ``monitor.fit`` on W1 (about 30-60 ms an epoch here); the browser clicks Stop
and records ``Date.now()``; the kernel records ``time.time()`` when the fit has ended (``on_fit_end``).
Latency = end - click (same machine clock), so it includes finishing the current epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
TREE = Path(os.environ.get("SOMNIUM_BENCH_TREE", REPO))  # the checkout whose somnium is measured
sys.path.insert(0, str(TREE))

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


def one_round(X, sent):
    """One interleaved round: plain fit, fit with history, the monitored fit (seconds, rates)."""
    from somnium.widgets import TrainingMonitor

    t = time.perf_counter()
    SOM(mapsize=(30, 30), random_state=0).fit(X, epochs=EPOCHS)
    plain = time.perf_counter() - t

    t = time.perf_counter()
    SOM(mapsize=(30, 30), random_state=0).fit(X, epochs=EPOCHS, collect_history=True)
    measured = time.perf_counter() - t

    model = SOM(mapsize=(30, 30), random_state=0)
    monitor = TrainingMonitor(model, display=False)
    before_messages, before_updates = sent["n"], monitor.messages_sent
    t = time.perf_counter()
    monitor.start(X, epochs=EPOCHS, collect_history=True).wait()
    monitored = time.perf_counter() - t
    return {
        "plain": plain,
        "measured": measured,
        "monitored": monitored,
        "messages": (sent["n"] - before_messages) / monitored,
        "updates": (monitor.messages_sent - before_updates) / monitored,
    }


def compare(other: Path, repeats: int):
    """Overhead of this tree and ``other``, one round of each per step, their order alternating."""
    trees = {"this": REPO, "other": other.resolve()}
    rounds = {name: [] for name in trees}
    loads = []
    for i in range(repeats):
        order = list(trees) if i % 2 == 0 else list(trees)[::-1]
        for name in order:
            env = dict(os.environ, SOMNIUM_BENCH_TREE=str(trees[name]))
            out = subprocess.run(
                [sys.executable, __file__, "--one-round", "--rows", str(ROWS)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rounds[name].append(json.loads(out.strip().splitlines()[-1]))
        loads.append(os.getloadavg()[0])
    print(f"W1-like {ROWS}x16, 30x30 map, {EPOCHS} epochs; {repeats} rounds, trees interleaved")
    print(
        f"  load average (1 min) during the rounds: median {statistics.median(loads):.1f}, max {max(loads):.1f}"
    )
    for name, path in trees.items():
        runs = rounds[name]
        ratios = sorted(100 * (r["monitored"] / r["measured"] - 1) for r in runs)
        print(f"  {name} ({path}):")
        print(
            f"    fit with history {statistics.median(r['measured'] for r in runs):6.2f} s, monitored "
            f"{statistics.median(r['monitored'] for r in runs):6.2f} s; overhead per round: median "
            f"{statistics.median(ratios):+.1f}%, middle half {ratios[len(ratios) // 4]:+.1f}% to "
            f"{ratios[(3 * len(ratios)) // 4]:+.1f}%, all {ratios[0]:+.1f}% to {ratios[-1]:+.1f}%"
        )
        fastest = 100 * (min(r["monitored"] for r in runs) / min(r["measured"] for r in runs) - 1)
        print(
            f"    fastest monitored vs fastest with history (the runs least disturbed by load): {fastest:+.1f}%"
        )
        print(
            f"    updates published {statistics.median(r['updates'] for r in runs):.1f}/s; "
            f"widget messages {statistics.median(r['messages'] for r in runs):.0f}/s"
        )


def overhead(repeats: int = 11):
    X = w1()
    sent = count_messages()
    runs = [one_round(X, sent) for _ in range(repeats)]
    base, mon = (statistics.median(r[key] for r in runs) for key in ("measured", "monitored"))
    # Per round (the two fits ran back to back, on the same machine state), then the median.
    ratios = sorted(100 * (r["monitored"] / r["measured"] - 1) for r in runs)
    print(f"W1-like {ROWS}x16, 30x30 map, {EPOCHS} epochs (median of {repeats} interleaved rounds)")
    print(f"  fit, no history              {statistics.median(r['plain'] for r in runs):6.2f} s")
    print(f"  fit, collect_history=True    {base:6.2f} s  (what any callback costs the engine)")
    print(f"  TrainingMonitor.start().wait {mon:6.2f} s  overhead {100 * (mon / base - 1):+.1f}%")
    print(
        f"  overhead per round: median {statistics.median(ratios):+.1f}%, "
        f"middle half {ratios[len(ratios) // 4]:+.1f}% to {ratios[(3 * len(ratios)) // 4]:+.1f}%"
    )
    print(
        f"  updates published {statistics.median(r['updates'] for r in runs):.1f}/s; "
        f"widget messages {statistics.median(r['messages'] for r in runs):.0f}/s"
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
    parser.add_argument("--repeats", type=int, default=11, help="rounds (default 11)")
    parser.add_argument(
        "--compare", type=Path, help="another checkout: its overhead, interleaved with this one's"
    )
    parser.add_argument("--one-round", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    globals()["ROWS"] = args.rows
    if args.one_round:
        X, sent = w1(), count_messages()
        # Warm first: a fresh process loads numba inside whichever fit first pushes its measured work
        # past engine._NUMBA_MIN_FLOPS (the monitored one, ~0.6 s), and builds its first MapView cold.
        one_round(X, sent)
        print(json.dumps(one_round(X, sent)))
        return
    if args.compare is not None:
        compare(args.compare, args.repeats)
        return
    overhead(args.repeats)
    if args.lab:
        stop_latency(args.tries)


if __name__ == "__main__":
    main()
