"""Standalone HTML export: how fast the page opens and draws, how large it is, how long to_html takes.

    .venv/bin/python benchmarks/bench_export.py [--repeats 7] [--skip-browser]

Prints
  (a) the exported page of a 100x100 hexagonal map (10,000 cells, 6 features, 5,000 rows) opened from
      file:// in headless Debian Chromium, a fresh browser context per round, network blocked:
      - ready: navigation start to data-export-ready="true" (the file read and parsed, the state
        decoded, the map's render() done),
      - drawn: navigation start to the frame after that (double requestAnimationFrame);
      next to an honest floor, interleaved round by round: the same bundle rendered from the same state
      already in memory, in the test harness page (tests/support/harness/) served over 127.0.0.1,
      render() start to the frame after the first paint -- what the page costs beyond drawing the map;
  (b) the file sizes: a 50x50 MapView without rows (the issue's bound: under 1 MB), with rows=True,
      with 30 features, a MapView + ComponentPlanes page, an Explorer, and the 100x100 page;
  (c) to_html's own time for those pages: the first call (which computes every colour layer a view
      has not shown yet) and the median of the calls after it.
Medians of interleaved rounds, with the spread (min-max).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from somnium import SOM  # noqa: E402
from somnium.widgets import ComponentPlanes, Explorer, MapView, to_html  # noqa: E402
from tests.support.environment import CHROMIUM_ARGS, find_chromium  # noqa: E402
from tests.support.harness.harness_server import model_states, serve_harness, widget_state  # noqa: E402

# Records, from navigation start (performance.now()), when the page says it is ready and the frame after.
TIMING_INIT = """
new MutationObserver((_, observer) => {
  if (document.documentElement.dataset.exportReady !== "true") return;
  observer.disconnect();
  window.__readyAt = performance.now();
  requestAnimationFrame(() => requestAnimationFrame(() => { window.__drawnAt = performance.now(); }));
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-export-ready"] });
"""


def frame(n_rows: int, n_features: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        rng.normal(size=(n_rows, n_features)), columns=[f"feature_{j}" for j in range(n_features)]
    )
    df["region"] = rng.choice(["north", "south", "east", "west"], n_rows)
    return df


def fitted(df: pd.DataFrame, mapsize) -> SOM:
    features = [c for c in df.columns if c.startswith("feature_")]
    return SOM(mapsize=mapsize, random_state=0).fit(df[features], epochs=2)


def spread(values, unit="s", scale=1.0) -> str:
    values = [v * scale for v in values]
    return f"{statistics.median(values):.3f} {unit} (min {min(values):.3f}, max {max(values):.3f})"


def bench_browser(repeats: int, path: Path, view) -> dict:
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise SystemExit("Debian chromium not found (apt-get install chromium)")
    state, models = widget_state(view), model_states(view)
    ready, drawn, floor = [], [], []
    with serve_harness() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            # the exported page, from disk, offline
            context = browser.new_context(viewport={"width": 1100, "height": 1000})
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page = context.new_page()
            page.add_init_script(TIMING_INIT)
            page.goto(path.as_uri())
            page.wait_for_selector('html[data-export-ready="true"]', timeout=60_000)
            page.wait_for_function("window.__drawnAt !== undefined")
            times = page.evaluate("[window.__readyAt, window.__drawnAt]")
            ready.append(times[0] / 1000)
            drawn.append(times[1] / 1000)
            context.close()
            # the floor: the same bundle and state, already in memory, in the harness page
            context = browser.new_context(viewport={"width": 1100, "height": 1000})
            page = context.new_page()
            page.goto(f"{url}/")
            page.wait_for_function("window.harnessReady === true")
            timing = page.evaluate("([s, m]) => window.harness.mount(s, {models: m})", [state, models])
            floor.append(timing["firstPaintMs"] / 1000)
            context.close()
        browser.close()
    return {"ready": ready, "drawn": drawn, "floor": floor}


def timed_export(repeats: int, target: Path, *views, **options) -> tuple[float, list[float], int]:
    """to_html's time the first time (layers computed) and again (the views cache their layers)."""
    seconds = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        to_html(target, *views, **options)
        seconds.append(time.perf_counter() - start)
    return seconds[0], seconds[1:], target.stat().st_size


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()

    big_rows = frame(5000, 6)
    big_model = fitted(big_rows, (100, 100))
    big_view = MapView(big_model, big_rows)
    rows_50 = frame(5000, 6, seed=1)
    model_50 = fitted(rows_50, (50, 50))
    wide_rows = frame(5000, 30, seed=2)
    wide_model = fitted(wide_rows, (50, 50))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big_path = tmp / "map_100x100.html"
        cases = {
            "50x50 MapView, 6 features, no rows": (
                "map50.html",
                (MapView(model_50, rows_50),),
                {},
            ),
            "50x50 MapView, 6 features, rows=True (5,000 rows x 7 columns)": (
                "map50_rows.html",
                (MapView(model_50, rows_50),),
                {"rows": True},
            ),
            "50x50 MapView, 30 features, no rows": ("map50_wide.html", (MapView(wide_model, wide_rows),), {}),
        }
        view_50 = MapView(model_50, rows_50)
        cases["50x50 MapView + ComponentPlanes (6 planes), no rows"] = (
            "two50.html",
            (view_50, ComponentPlanes(model_50, selection=view_50.selection)),
            {},
        )
        cases["50x50 Explorer (map, planes, profile pictures), no rows"] = (
            "explorer50.html",
            (Explorer(model_50, rows_50),),
            {},
        )
        cases["100x100 MapView, 6 features, no rows"] = (big_path.name, (big_view,), {})
        print("(b) file sizes and (c) to_html time (median of rounds)")
        for label, (name, views, options) in cases.items():
            first, again, size = timed_export(max(3, args.repeats // 2), tmp / name, *views, **options)
            print(f"  {label:<66} {size / 1e6:6.3f} MB   to_html first {first:.3f} s, again {spread(again)}")

        if not args.skip_browser:
            result = bench_browser(args.repeats, big_path, big_view)
            print(f"(a) 100x100 map page from file://, {args.repeats} rounds, fresh context each")
            print(f"  ready (navigation start -> data-export-ready): {spread(result['ready'])}")
            print(f"  drawn (navigation start -> frame after ready):  {spread(result['drawn'])}")
            print(
                f"  floor (same bundle and state in memory, harness render -> first paint): {spread(result['floor'])}"
            )
            ratio = statistics.median(result["drawn"]) / statistics.median(result["floor"])
            print(f"  drawn / floor: {ratio:.2f}x")


if __name__ == "__main__":
    main()
