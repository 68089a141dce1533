"""MapView speed: browser rendering of a 100x100 map, click latency, and row selection.

    .venv/bin/python benchmarks/bench_map_view.py [--repeats 7] [--rows 1000000]

Prints medians of
  (a) a 100x100 hexagonal map (10,000 cells) in headless Debian Chromium, from
      the harness page (tests/support/harness/) running the committed bundle:
      - render: render() start to data-ready="true" (synchronous DOM build),
      - first paint: render() start to the frame after the first paint,
      - click -> data-selected: a real mouse click (event timestamp) to the
        frame after the clicked cell carries data-selected="true";
  (b) `view.selected_rows` for a 1,000,000-row DataFrame (and selected_index
      alone), for selections of one node, ~10 % and ~50 % of the nodes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from somnium import SOM  # noqa: E402
from somnium.widgets import MapView  # noqa: E402
from tests.support.environment import CHROMIUM_ARGS, find_chromium  # noqa: E402
from tests.support.harness.harness_server import model_states, serve_harness, widget_state  # noqa: E402

# Arms a promise (window.__latency) that resolves with the ms from the next
# pointerdown's event timestamp to the frame after `node` shows data-selected.
ARM_CLICK_LATENCY_JS = """(node) => {
  const cell = document.querySelector(`[data-neuron="${node}"]`);
  window.__latency = new Promise((resolve) => {
    let clickedAt = null;
    document.addEventListener("pointerdown", (event) => { clickedAt = event.timeStamp; }, { capture: true, once: true });
    const observer = new MutationObserver(() => {
      if (cell.getAttribute("data-selected") !== "true") return;
      observer.disconnect();
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - clickedAt)));
    });
    observer.observe(cell, { attributes: true, attributeFilter: ["data-selected"] });
  });
}"""


def bench_browser(repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise SystemExit("Debian chromium not found (apt-get install chromium)")
    X = np.random.default_rng(0).normal(size=(5000, 6))
    model = SOM(mapsize=(100, 100), random_state=0).fit(X, epochs=2)
    view = MapView(model, data=X, color="umatrix")
    state, models = widget_state(view), model_states(view)
    renders, paints, clicks = [], [], []
    with serve_harness() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            context = browser.new_context(viewport={"width": 1100, "height": 1000})
            page = context.new_page()
            page.goto(f"{url}/")
            page.wait_for_function("window.harnessReady === true")
            timing = page.evaluate("([s, m]) => window.harness.mount(s, {models: m})", [state, models])
            page.wait_for_selector('.somnium-map[data-ready="true"]')
            renders.append(timing["renderMs"] / 1000)
            paints.append(timing["firstPaintMs"] / 1000)
            for node in (1234, 5050, 8787):
                box = page.locator(f'[data-neuron="{node}"]').bounding_box()
                page.evaluate(ARM_CLICK_LATENCY_JS, node)
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                clicks.append(page.evaluate("window.__latency"))
            context.close()
        browser.close()
    return {
        "render_s": statistics.median(renders),
        "first_paint_s": statistics.median(paints),
        "click_ms": statistics.median(clicks),
        "n_clicks": len(clicks),
    }


def bench_selection(n_rows: int, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(n_rows, 5)), columns=[f"f{i}" for i in range(5)])
    df["customer"] = np.arange(n_rows)
    model = SOM(mapsize=(40, 50), random_state=0).fit(
        df[[f"f{i}" for i in range(5)]].sample(20_000, random_state=0), epochs=5
    )
    started = time.perf_counter()
    view = MapView(model, data=df)
    construct = time.perf_counter() - started
    results = {"construct_s": construct}
    n_nodes = view.n_nodes
    cases = {
        "1 node": [n_nodes // 2],
        "10% of nodes": list(range(0, n_nodes // 10)),
        "50% of nodes": list(range(0, n_nodes, 2)),
    }
    for name, nodes in cases.items():
        view.selected = nodes
        rows_times, index_times = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            rows = view.selected_rows
            rows_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            _ = view.selected_index
            index_times.append(time.perf_counter() - started)
        results[name] = (
            len(rows),
            1000 * statistics.median(rows_times),
            1000 * statistics.median(index_times),
        )
    return results


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()

    if not args.skip_browser:
        browser = bench_browser(args.repeats)
        print(f"(a) 100x100 map in headless Chromium, median of {args.repeats} page loads")
        print(f"    render() to data-ready      {browser['render_s']:.3f} s")
        print(f"    render() to first paint     {browser['first_paint_s']:.3f} s")
        print(
            f"    click -> data-selected      {browser['click_ms']:.1f} ms  (median of {browser['n_clicks']} clicks, to the next frame)"
        )
    selection = bench_selection(args.rows, args.repeats)
    print(f"(b) selection over a {args.rows:,}-row DataFrame (40x50 map), median of {args.repeats}")
    print(f"    MapView construction (one predict of all rows): {selection.pop('construct_s'):.2f} s")
    for name, (n_selected, rows_ms, index_ms) in selection.items():
        print(
            f"    {name:<14} {n_selected:>9,} rows   selected_rows {rows_ms:7.1f} ms   selected_index {index_ms:7.1f} ms"
        )


if __name__ == "__main__":
    main()
