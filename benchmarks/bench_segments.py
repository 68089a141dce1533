"""Time map clustering and segment labels / profiles at the sizes the issue targets.

Prints the median wall time over 5 runs of:

- ``cluster_map`` on a 100 x 100 hexagonal map (contiguous Ward with a given k, contiguous Ward
  choosing k by Davies-Bouldin, k-means with contiguity repair and a given k);
- ``Segments.labels`` for 1,000,000 rows with known BMUs;
- ``Segments.profile`` for 1,000,000 rows x 20 numeric features (+ one categorical column).

Targets: cluster_map < 2 s, labels < 0.1 s, profile < 1 s.
Run: ``python benchmarks/bench_segments.py``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from somnium import SOM
from somnium.clustering import cluster_map
from somnium.segments import Segments

ROWS, COLS, N_FEATURES, N_TRAIN, N_ROWS, REPEATS = 100, 100, 20, 20_000, 1_000_000, 5


def median_seconds(run) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(N_TRAIN, 3))
    X = latent @ rng.normal(size=(3, N_FEATURES)) + 0.1 * rng.normal(size=(N_TRAIN, N_FEATURES))
    model = SOM(mapsize=(ROWS, COLS), lattice="hexa", random_state=0).fit(X, epochs=3)

    labels = cluster_map(model, 8)
    segments = Segments.from_clustering(model, labels)
    segments.remove(segments.names[-1])  # leave some rows unassigned
    bmu = rng.integers(0, ROWS * COLS, size=N_ROWS)
    data = pd.DataFrame(rng.normal(size=(N_ROWS, N_FEATURES)), columns=[f"f{i}" for i in range(N_FEATURES)])
    data["kind"] = pd.Categorical(rng.choice(["a", "b", "c", "d"], size=N_ROWS))

    results = [
        ("cluster_map ward, k=8, 100x100", median_seconds(lambda: cluster_map(model, 8)), 2.0),
        ("cluster_map ward, k auto (2..20)", median_seconds(lambda: cluster_map(model)), 2.0),
        (
            "cluster_map kmeans, k=8, 100x100",
            median_seconds(lambda: cluster_map(model, 8, method="kmeans")),
            2.0,
        ),
        ("labels, 1M rows (given BMUs)", median_seconds(lambda: segments.labels(data, bmu=bmu)), 0.1),
        ("profile, 1M rows x 20 features", median_seconds(lambda: segments.profile(data, bmu=bmu)), 1.0),
    ]
    width = max(len(name) for name, _, _ in results)
    print(f"{'operation':<{width}}  median (s)  target (s)")
    for name, seconds, target in results:
        print(f"{name:<{width}}  {seconds:10.3f}  {target:10.1f}{'' if seconds < target else '  SLOW'}")


if __name__ == "__main__":
    main()
