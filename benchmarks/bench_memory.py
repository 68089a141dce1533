"""Peak memory of a W1 and a W2 fit, somnium against XPySom (the leanest peer), in the same run.

Usage (XPySom lives only in a separate benchmark environment)::

    /work/bench-venv/bin/pip install -e . xpysom
    /work/bench-venv/bin/python benchmarks/bench_memory.py [--rounds 3]

Each fit runs in a fresh interpreter that imports its library, makes the data (the same standardised
float32 blobs for both, generated with numpy alone, chunk by chunk so that making them does not set
the peak) and fits at the library's defaults: somnium
``SOM(mapsize, lattice="hexa").fit(X, epochs)``, XPySom ``XPySom(cols, rows, D, topology="hexagonal",
xp=numpy).train(X, epochs)``. Peak RSS (``ru_maxrss``) covers the interpreter, the library's imports,
the data and the fit; the cases interleave round by round and the table gives medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

WORKLOADS = {
    "W1": dict(n=20_000, d=16, rows=30, cols=30, epochs=10),
    "W2": dict(n=200_000, d=32, rows=50, cols=50, epochs=5),
}

PROBE = """
import json, resource, time
import numpy as np
{imports}
rng = np.random.default_rng(0)
centres = rng.normal(scale=4.0, size=(12, {d}))
X = np.empty(({n}, {d}), dtype=np.float32)
for start in range(0, {n}, 10000):  # chunk by chunk: no float64 temporaries of the data's size
    rows = min(10000, {n} - start)
    X[start : start + rows] = centres[rng.integers(0, 12, rows)] + rng.normal(size=(rows, {d}))
X -= X.mean(axis=0)
X /= X.std(axis=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
{fit}
print(json.dumps(dict(seconds=time.perf_counter() - start, before_mb=before,
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""

LIBRARIES = {
    "somnium": dict(
        imports="from somnium import SOM",
        fit="SOM(mapsize=({rows}, {cols}), lattice='hexa', random_state=0).fit(X, epochs={epochs})",
    ),
    "XPySom": dict(
        imports="import io, contextlib\nwith contextlib.redirect_stdout(io.StringIO()):\n    from xpysom import XPySom",
        fit="XPySom({cols}, {rows}, {d}, topology='hexagonal', random_seed=0, xp=np).train(X, {epochs})",
    ),
}


def probe(library: str, workload: str) -> dict:
    w = WORKLOADS[workload]
    spec = LIBRARIES[library]
    code = PROBE.format(imports=spec["imports"], fit=spec["fit"].format(**w), **w)
    # From this checkout's root (``python -c`` imports from the working directory first): the benchmark
    # environment's own editable install must not be what gets measured.
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        import xpysom  # noqa: F401
    except ImportError:
        libraries = ["somnium"]
        print("XPySom is not installed here: only somnium is measured.")
    else:
        libraries = list(LIBRARIES)
    runs: dict = {}
    for _ in range(args.rounds):
        for workload in WORKLOADS:
            for library in libraries:
                runs.setdefault((workload, library), []).append(probe(library, workload))
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.rounds} interleaved rounds"
    )
    print(f"{'workload':8} {'library':8} {'peak MB':>8} {'before fit MB':>14} {'fit s':>7}")
    for (workload, library), results in runs.items():
        med = {k: statistics.median(r[k] for r in results) for k in ("peak_mb", "before_mb", "seconds")}
        print(
            f"{workload:8} {library:8} {med['peak_mb']:8.0f} {med['before_mb']:14.0f} {med['seconds']:7.2f}"
        )


if __name__ == "__main__":
    main()
