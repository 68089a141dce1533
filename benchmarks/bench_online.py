"""Online (sequential) training throughput, with and without numba.

Usage::

    python benchmarks/bench_online.py

Prints rows per second (median of 3 epochs after a warm-up that compiles the
numba kernel) on a 20x20 hexagonal map.
"""

from __future__ import annotations

import statistics
import time

from somnium import SOM
from somnium.datasets import make_blobs


def rate(X, use_numba, epochs=3):
    model = SOM(mapsize=(20, 20), random_state=0)
    model.fit_online(X[:200], epochs=1, use_numba=use_numba)  # warm-up / compile
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit_online(X, epochs=1, radiusin=3, radiusfin=1, use_numba=use_numba)
        times.append(time.perf_counter() - start)
    return len(X) / statistics.median(times)


def main():
    X = make_blobs(20000, 16, n_clusters=8, random_state=0)
    fast = rate(X, True)
    slow = rate(X[:4000], False)
    print(f"20x20 hexa, D=16: numba {fast:,.0f} rows/s, numpy {slow:,.0f} rows/s ({fast / slow:.0f}x)")


if __name__ == "__main__":
    main()
