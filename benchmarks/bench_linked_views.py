"""Linked views speed: ComponentPlanes rendering and repaint, SegmentProfile updates.

    .venv/bin/python benchmarks/bench_linked_views.py [--repeats 5] [--rows 1000000]

Prints medians of
  (a) ComponentPlanes with 20 features on a 50x50 hexagonal map (20 x 2,500 cells) in headless
      Debian Chromium, from the harness page (tests/support/harness/) running the committed bundle:
      - render: render() start until its promise settles (data-ready="true" on every plane),
      - selection repaint: the shared Selection model changes (as a brush on the map makes it
        change) to the frame after every plane shows it (outline, dimming and the data-selected
        hook on every cell), for 1 node, a 64-node brush and 625 nodes (25 % of the map), each
        from an empty selection, after one warm-up;
      - click on a plane -> data-selected on the last plane, from the button's release (pointerup
        event timestamp; a click selects on release) to the next frame, on a cell the pointer
        already rests on;
  (b) SegmentProfile for a DataFrame of --rows rows (8 numeric + 2 categorical columns): the
      construction (per-node sums) and one selection change (observer -> chart traits updated),
      for 1 node, 10 % and 50 % of the nodes.
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
from somnium.widgets import ComponentPlanes, SegmentProfile, Selection  # noqa: E402
from tests.support.environment import CHROMIUM_ARGS, find_chromium  # noqa: E402
from tests.support.harness.harness_server import model_states, serve_harness, widget_state  # noqa: E402

# ms from setting the selection model's nodes to the frame after the last plane shows them.
REPAINT_JS = """([id, nodes]) => new Promise((resolve) => {
  const selection = window.harness.models.get(id);
  const started = performance.now();
  selection.set("nodes", nodes);
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - started)));
})"""

ARM_CLICK_JS = """(node) => {
  const planes = document.querySelectorAll('.somnium-planes .somnium-map');
  const cell = planes[planes.length - 1].querySelector(`[data-neuron="${node}"]`);
  window.__latency = new Promise((resolve) => {
    let clickedAt = null;
    document.addEventListener("pointerup", (event) => { clickedAt = event.timeStamp; }, { capture: true, once: true });
    const observer = new MutationObserver(() => {
      if (cell.getAttribute("data-selected") !== "true") return;
      observer.disconnect();
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - clickedAt)));
    });
    observer.observe(cell, { attributes: true, attributeFilter: ["data-selected"] });
  });
}"""


def bench_planes(repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise SystemExit("Debian chromium not found (apt-get install chromium)")
    X = np.random.default_rng(0).normal(size=(5000, 20))
    model = SOM(mapsize=(50, 50), random_state=0).fit(X, epochs=2)
    planes = ComponentPlanes(model, features=None)
    spec = [{"state": widget_state(planes), "bundle": "component_planes"}]
    models = model_states(planes)
    brush = [row * 50 + col for row in range(20, 28) for col in range(20, 28)]
    cases = {"1 node": [1234], "64-node brush": brush, "625 nodes": list(range(0, 2500, 4))}
    repaints = {name: [] for name in cases}
    renders, clicks = [], []
    with serve_harness() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(f"{url}/")
            page.wait_for_function("window.harnessReady === true")
            times = page.evaluate("([v, o]) => window.harness.mountMany(v, o)", [spec, {"models": models}])
            page.wait_for_selector('.somnium-planes[data-ready="true"]')
            renders.append(times[0] / 1000)
            selection_id = planes.selection.model_id
            page.evaluate(REPAINT_JS, [selection_id, [1]])  # warm-up
            for _ in range(3):
                for name, nodes in cases.items():
                    page.evaluate(REPAINT_JS, [selection_id, []])
                    repaints[name].append(page.evaluate(REPAINT_JS, [selection_id, nodes]))
            for node in (777, 1500):
                first = page.locator(f'.somnium-planes .somnium-map[data-plane="0"] [data-neuron="{node}"]')
                box = first.bounding_box()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.wait_for_timeout(300)  # the pointer rests on the cell (its hover card is up)
                page.evaluate(ARM_CLICK_JS, node)
                page.mouse.down()
                page.mouse.up()
                clicks.append(page.evaluate("window.__latency"))
            context.close()
        browser.close()
    return {
        "render_s": statistics.median(renders),
        "repaint_ms": {name: statistics.median(times) for name, times in repaints.items()},
        "click_ms": statistics.median(clicks),
    }


def bench_profile(n_rows: int, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    features = [f"f{i}" for i in range(8)]
    df = pd.DataFrame(rng.normal(size=(n_rows, 8)), columns=features)
    df["region"] = rng.choice(["north", "south", "east", "west"], size=n_rows)
    df["plan"] = pd.Categorical(rng.choice(["basic", "pro", "team"], size=n_rows))
    model = SOM(mapsize=(40, 50), random_state=0).fit(df[features].sample(20_000, random_state=0), epochs=5)
    bmu = model.predict(df[features])
    selection = Selection(model.lattice_.n_nodes)
    started = time.perf_counter()
    profile = SegmentProfile(model, df, selection=selection, bmu=bmu)
    results = {"construct_s": time.perf_counter() - started}
    n_nodes = selection.n_nodes
    cases = {
        "1 node": [[n_nodes // 2], [n_nodes // 2 + 1]],
        "10% of nodes": [list(range(0, n_nodes // 10)), list(range(1, n_nodes // 10 + 1))],
        "50% of nodes": [list(range(0, n_nodes, 2)), list(range(1, n_nodes, 2))],
    }
    for name, (a, b) in cases.items():
        times = []
        for i in range(repeats):
            nodes = a if i % 2 == 0 else b
            started = time.perf_counter()
            selection.nodes = nodes  # observer recomputes and updates the bqplot marks
            times.append(time.perf_counter() - started)
        results[name] = (int(profile.summaries.node_rows[nodes].sum()), 1000 * statistics.median(times))
    return results


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()

    if not args.skip_browser:
        planes = bench_planes(args.repeats)
        print(f"(a) ComponentPlanes, 20 features x 50x50 map, median of {args.repeats} page loads")
        print(f"    render() to data-ready            {planes['render_s']:.3f} s")
        for name, ms in planes["repaint_ms"].items():
            print(f"    selection repaint, {name:<14} {ms:.1f} ms (to the frame after the change)")
        print(f"    click (release) on a plane -> last plane shows it  {planes['click_ms']:.1f} ms")
    profile = bench_profile(args.rows, max(args.repeats, 5))
    print(f"(b) SegmentProfile over {args.rows:,} rows (8 numeric, 2 categorical; 40x50 map)")
    print(f"    construction (per-node sums)      {profile.pop('construct_s'):.2f} s")
    for name, (n_selected, ms) in profile.items():
        print(f"    {name:<14} {n_selected:>9,} rows   selection -> chart updated {ms:7.1f} ms")


if __name__ == "__main__":
    main()
