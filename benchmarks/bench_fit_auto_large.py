"""``fit_auto`` at scale: the default (topology) schedule on 1,000,000 x 16 blobs must finish in under two minutes.

Usage::

    python benchmarks/bench_fit_auto_large.py [--rows 1000000] [--features 16] [--rounds 1]

Prints, per round, the wall and CPU time of ``SOM(random_state=seed).fit_auto(X)`` (the map size it
chose, its epochs, QE and TE), and the load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from somnium import SOM
from somnium.datasets import make_blobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    X = make_blobs(args.rows, args.features, n_clusters=12, cluster_std=2.0, random_state=1)
    walls = []
    for seed in range(args.rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        model = SOM(random_state=seed).fit_auto(X)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        walls.append(wall)
        history = model.history_
        print(
            f"round {seed}: {wall:.1f} s wall, {cpu:.1f} s CPU; map {model.mapsize_}, "
            f"{len(history['quantization_error'])} epochs, QE {history['quantization_error'][-1]:.4f}, "
            f"TE {history['topographic_error'][-1]:.4f}"
        )
    print(f"median {statistics.median(walls):.1f} s wall (target < 120 s); load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
