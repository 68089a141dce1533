"""Start-up: ``import somnium`` time and memory, and the first small fit in a fresh process.

Usage::

    python benchmarks/bench_import.py [--rounds 11]

Every measurement runs in a fresh interpreter, the cases interleaved round by round: ``import numpy``
alone (the floor: somnium needs it), ``import somnium``, and ``import somnium`` followed by the first
``fit_auto`` on iris-sized data (150 x 4) and a second one in the same process. Prints medians (and
spreads) of wall-clock and CPU seconds, peak RSS, and which heavy modules (scipy.stats, scipy.spatial,
numba, matplotlib) each case loaded: a small fit must not pay for numba or SciPy's statistics.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

PROBE = """
import json, resource, sys, time
wall, cpu = time.perf_counter(), time.process_time()
import {module}
out = {{"import_s": time.perf_counter() - wall, "import_cpu_s": time.process_time() - cpu}}
if {fit}:
    import numpy as np
    from somnium import SOM
    from somnium.datasets import make_blobs
    X = make_blobs(150, 4, n_clusters=3, random_state=0)
    for key in ("first_fit_s", "second_fit_s"):
        wall = time.perf_counter()
        SOM(random_state=0).fit_auto(X)
        out[key] = time.perf_counter() - wall
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
heavy = ("scipy.stats", "scipy.spatial", "scipy.optimize", "numba", "matplotlib", "pandas")
out["loaded"] = [m for m in heavy if m in sys.modules]
print(json.dumps(out))
"""

CASES = {
    "import numpy": dict(module="numpy", fit=False),
    "import somnium": dict(module="somnium", fit=False),
    "import + fit_auto": dict(module="somnium", fit=True),
}


def probe(case: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(**case)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    runs = {name: [] for name in CASES}
    for _ in range(args.rounds):
        for name, case in CASES.items():
            runs[name].append(probe(case))
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.rounds} interleaved rounds"
    )
    print("medians (min-max) over the rounds")
    print(
        f"{'case':18} {'import s':>20} {'import CPU s':>12} {'1st fit_auto s':>20} {'2nd s':>6} {'peak MB':>8}  loaded"
    )

    def spread(values):
        if not values:
            return ""
        return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"

    for name, results in runs.items():

        def get(key, results=results):
            return [r[key] for r in results if key in r]

        second = f"{statistics.median(get('second_fit_s')):.3f}" if get("second_fit_s") else ""
        loaded = ", ".join(sorted({m for r in results for m in r["loaded"]})) or "-"
        print(
            f"{name:18} {spread(get('import_s')):>20} {statistics.median(get('import_cpu_s')):12.3f} "
            f"{spread(get('first_fit_s')):>20} {second:>6} {statistics.median(get('peak_rss_mb')):8.0f}  {loaded}"
        )


if __name__ == "__main__":
    main()
