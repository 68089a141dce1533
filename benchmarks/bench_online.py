"""Online (sequential) training throughput against MiniSom's online ``train``, in the same run.

Usage (MiniSom lives only in a separate benchmark environment, never in the project's dependencies)::

    python -m venv /work/bench-venv
    /work/bench-venv/bin/pip install -e ".[online]" minisom
    /work/bench-venv/bin/python benchmarks/bench_online.py [--rounds 7]

Same data (20,000 rows, D=16, standardised blobs) and map (20x20 hexagonal, Gaussian kernel) for every
contender. Each round times, one after the other: somnium's ``fit_online`` with numba, the numpy
fallback (on 4,000 rows: it is slower), and MiniSom's ``train`` (one row per iteration, random order);
the table gives the median rows/s over the rounds and its spread (min-max), by wall clock and by CPU
time (steadier on a loaded machine; every contender runs on one core), and the ratios of the medians. ``fit_online``'s time includes its final batch pass (``bmu_`` and the stored statistics).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# Measure this checkout, whatever environment runs the script (the benchmark environments hold the
# peers; an older editable install there must not be what gets measured).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from somnium import SOM
from somnium.datasets import make_blobs

ROWS, COLS, D, N, N_NUMPY = 20, 20, 16, 20_000, 4_000


def somnium_rate(X, use_numba):
    model = SOM(mapsize=(ROWS, COLS), lattice="hexa", normalization="none", random_state=0)
    model.fit(X, epochs=1)  # the same start for every round
    start, cpu = time.perf_counter(), time.process_time()
    model.fit_online(X, epochs=1, radiusin=3, radiusfin=1, use_numba=use_numba)
    return len(X) / (time.perf_counter() - start), len(X) / (time.process_time() - cpu)


def minisom_rate(X):
    from minisom import MiniSom

    som = MiniSom(COLS, ROWS, D, sigma=3.0, learning_rate=0.1, topology="hexagonal", random_seed=0)
    start, cpu = time.perf_counter(), time.process_time()
    som.train(X, len(X), random_order=True)
    return len(X) / (time.perf_counter() - start), len(X) / (time.process_time() - cpu)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    X = make_blobs(N, D, n_clusters=8, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    try:
        import minisom  # noqa: F401

        have_minisom = True
    except ImportError:
        have_minisom = False
        print("MiniSom is not installed here: only somnium's paths are timed.")
    somnium_rate(X[:500], True)  # compile or load the numba kernels
    somnium_rate(X[:200], False)
    rates = {"numba": [], "numpy": [], "MiniSom": []}
    for _ in range(args.rounds):
        rates["numba"].append(somnium_rate(X, True))
        rates["numpy"].append(somnium_rate(X[:N_NUMPY], False))
        if have_minisom:
            rates["MiniSom"].append(minisom_rate(X))
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.rounds} interleaved rounds"
    )
    print(f"{ROWS}x{COLS} hexagonal, D={D}, Gaussian; rows/s, median (min-max) of the rounds")
    print(f"  {'':8} {'wall clock':>28} {'CPU time':>28}")
    median = {}
    for name, values in rates.items():
        if not values:
            continue
        cells = []
        for k in (0, 1):
            v = [pair[k] for pair in values]
            median[name, k] = statistics.median(v)
            cells.append(f"{median[name, k]:>10,.0f} ({min(v):,.0f}-{max(v):,.0f})")
        print(f"  {name:8} {cells[0]:>28} {cells[1]:>28}")
    pairs = [("numba", "MiniSom"), ("numpy", "MiniSom"), ("numba", "numpy")]
    for a, b in pairs:
        if (b, 0) in median:
            print(
                f"{a} / {b}: {median[a, 0] / median[b, 0]:.1f}x wall clock, {median[a, 1] / median[b, 1]:.1f}x CPU time"
            )


if __name__ == "__main__":
    main()
