"""Time of one neighbourhood smoothing (``H @ V``, the kernel part of a batch epoch) per lattice and method.

Usage::

    python benchmarks/bench_neighborhood.py [--rounds 7] [--compare /path/to/other/checkout]

Maps of the batch workloads (30 x 30 with 17 columns of statistics, 50 x 50 with 33: W1 and W2 of
``bench_engine.py``) and a 100 x 100 map, hexagonal and toroidal hexagonal, Gaussian kernel (the
separable path) at a radius of a quarter of the map.  Prints the median over ``--rounds`` rounds
of the best of 5 calls.  ``--compare PATH`` runs the same measurement on the checkout at PATH
(through ``PYTHONPATH``) interleaved round by round with this one, and prints both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CASES = [(30, 30, 17), (50, 50, 33), (100, 100, 17)]
LATTICES = ["hexa", "toroidal_hexa"]


def measure() -> dict:
    import numpy as np

    from somnium.lattice import Lattice
    from somnium.neighborhood import NeighborhoodOperator

    out = {}
    rng = np.random.default_rng(0)
    for rows, cols, k in CASES:
        values = rng.normal(size=(rows * cols, k))
        for name in LATTICES:
            operator = NeighborhoodOperator(Lattice(rows, cols, name), "gaussian")
            radius = max(rows, cols) / 4
            operator.smooth(values, radius)  # warm the per-axis caches, as the first epoch does
            best = min(_timed(operator.smooth, values, radius) for _ in range(5))
            out[f"{rows}x{cols} k={k} {name} ({operator.method})"] = best
    return out


def _timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--compare")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure()))
        return
    versions = {"this": dict(os.environ)}
    if args.compare:
        versions["compare"] = {**os.environ, "PYTHONPATH": args.compare}
    results = {version: [] for version in versions}
    for _ in range(args.rounds):
        for version, env in versions.items():
            out = subprocess.run(
                [sys.executable, __file__, "--one"], capture_output=True, text=True, env=env, check=True
            )
            results[version].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for case in results["this"][0]:
        line = f"{case:42}"
        for version, runs in results.items():
            times = [run[case] for run in runs if case in run]
            if not times:
                key = next(k for k in runs[0] if k.split(" (")[0] == case.split(" (")[0])
                times = [run[key] for run in runs]
            line += f"  {version}: {1e3 * statistics.median(times):7.2f} ms ({1e3 * min(times):.2f}-{1e3 * max(times):.2f})"
        print(line)


if __name__ == "__main__":
    main()
