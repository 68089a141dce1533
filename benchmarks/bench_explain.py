"""Time the explain workflows at the issue's sizes, and the scaling of what they reuse.

Targets (issue 19), medians of interleaved rounds with their spread (min-max):

- a per-row layer for 1,000,000 rows given the BMUs (``somnium._node_layers.node_layer``): numeric,
  boolean, pandas categorical and text values; floor: one ``np.bincount`` with weights over the rows;
  peer: ``pandas`` ``Series.groupby(bmu).mean()`` / ``value_counts``.  Target < 0.1 s;
- ``feature_groups`` on 200 features (a 20 x 20 map).  Target < 1 s;
- ``SurrogateMap`` on 1,000,000 rows after the BMUs (values, labels, 3-class probabilities).
  Target < 2 s.

Scaling (issue 21: each must grow with what it shows, or refuse beyond a stated limit), with the
peak of traced memory:

- the plane similarity order (ComponentPlanes, feature_groups) at 200 ... 4,000 planes, and the old
  rule (optimal leaf ordering at every size) at 800 planes for comparison;
- ``cluster_map`` at k = nodes on a 40 x 40 map (Ward and k-means; 110 s for k-means before) and
  at 5,000 segments on a 100 x 100 map (Ward; 2.4 GB before).

Run: ``python benchmarks/bench_explain.py [--rounds 5] [--part targets|scaling|all]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

from somnium import SOM
from somnium._node_layers import node_layer
from somnium.clustering import cluster_map
from somnium.explain import PLANE_CORRELATION, SurrogateMap, feature_groups, plane_distances, similarity_order

N_ROWS, N_NODES = 1_000_000, 900


def interleaved(cases: dict, rounds: int) -> dict:
    """Each case once per round, rounds interleaved so that load drifts hit every case alike."""
    times = {name: [] for name in cases}
    for _ in range(rounds):
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def report(times: dict, targets: dict, floor: str | None = None) -> None:
    width = max(map(len, times))
    floor_median = statistics.median(times[floor]) if floor else None
    print(f"{'case':<{width}}  median (s)   spread (s)     target   x floor")
    for name, values in times.items():
        median = statistics.median(values)
        target = targets.get(name)
        verdict = "" if target is None else ("  ok" if median < target else "  SLOW")
        ratio = f"{median / floor_median:8.1f}" if floor_median else ""
        spread = f"{min(values):.3f}-{max(values):.3f}"
        shown = "" if target is None else f"< {target:g}"
        print(f"{name:<{width}}  {median:10.3f}  {spread:>12}  {shown:>8}  {ratio}{verdict}")


def targets(rounds: int) -> None:
    rng = np.random.default_rng(0)
    bmu = rng.integers(0, N_NODES, size=N_ROWS)
    numbers = rng.normal(size=N_ROWS)
    flags = numbers > 0
    categories = pd.Series(pd.Categorical(rng.choice(["a", "b", "c", "d"], size=N_ROWS)))
    text = rng.choice(np.array(["north", "south", "east", "west"], dtype=object), size=N_ROWS)
    numbers_series = pd.Series(numbers)

    print(f"\nPer-row layers, {N_ROWS:,} rows on {N_NODES} nodes, BMUs given")
    layer_cases = {
        "floor: one np.bincount with weights": lambda: np.bincount(bmu, weights=numbers, minlength=N_NODES),
        "layer, numeric (mean)": lambda: node_layer(numbers, bmu, N_NODES),
        "layer, boolean (majority)": lambda: node_layer(flags, bmu, N_NODES),
        "layer, pandas categorical": lambda: node_layer(categories, bmu, N_NODES),
        "layer, text (object)": lambda: node_layer(text, bmu, N_NODES),
        "peer: pandas groupby mean": lambda: numbers_series.groupby(bmu).mean(),
        "peer: pandas groupby value_counts": lambda: categories.groupby(bmu, observed=False).value_counts(),
    }
    report(
        interleaved(layer_cases, rounds),
        {name: 0.1 for name in layer_cases if name.startswith("layer")},
        floor="floor: one np.bincount with weights",
    )

    print("\nfeature_groups on 200 features (20 x 20 map, 2,000 rows from 20 latent factors)")
    latent = rng.normal(size=(2000, 20))
    wide = latent @ rng.normal(size=(20, 200)) + 0.1 * rng.normal(size=(2000, 200))
    wide_model = SOM(mapsize=(20, 20), random_state=0).fit(wide, epochs=2)
    report(
        interleaved({"feature_groups(model, 0.9)": lambda: feature_groups(wide_model, 0.9)}, rounds),
        {"feature_groups(model, 0.9)": 1.0},
    )

    print(f"\nSurrogateMap on {N_ROWS:,} rows after the BMUs (30 x 30 map, 8 features)")
    model = SOM(mapsize=(30, 30), random_state=0).fit(rng.normal(size=(5000, 8)), epochs=2)
    X = rng.normal(size=(N_ROWS, 8))
    labels = pd.Series(
        pd.Categorical(np.where(numbers > 0.5, "high", np.where(numbers < -0.5, "low", "mid")))
    )
    proba = rng.dirichlet([1, 1, 1], size=N_ROWS)
    surrogate_cases = {
        "SurrogateMap, values": lambda: SurrogateMap(model, X, numbers, bmu=bmu),
        "SurrogateMap, labels (categorical)": lambda: SurrogateMap(model, X, labels, bmu=bmu),
        "SurrogateMap, 3-class probabilities": lambda: SurrogateMap(model, X, proba, bmu=bmu),
        "  + fidelity() (values)": lambda: SurrogateMap(model, X, numbers, bmu=bmu).fidelity(),
    }
    report(interleaved(surrogate_cases, rounds), dict.fromkeys(surrogate_cases, 2.0))


def peak(run) -> tuple[float, float]:
    """Seconds and peak traced memory (MB) of one run."""
    tracemalloc.start()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, top / 2**20


def scaling(rounds: int) -> None:
    from scipy.cluster.hierarchy import linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    rng = np.random.default_rng(1)
    print("\nPlane similarity order (400 nodes; hit weights; rank correlation), one traced run each")
    print(f"{'planes':>8}  {'seconds':>8}  {'peak MB':>8}")
    for n_planes in (200, 400, 1000, 2000, 4000):
        values = rng.normal(size=(400, n_planes))
        weights = rng.integers(0, 20, size=400)
        seconds, megabytes = peak(lambda v=values, w=weights: similarity_order(v, w, PLANE_CORRELATION))
        print(f"{n_planes:>8}  {seconds:8.2f}  {megabytes:8.0f}")
    values = rng.normal(size=(400, 800))

    def old_rule():
        condensed = squareform(plane_distances(values), checks=False)
        optimal_leaf_ordering(linkage(condensed, method="average"), condensed)

    seconds, megabytes = peak(old_rule)
    print(f"{'800 old':>8}  {seconds:8.2f}  {megabytes:8.0f}   (optimal leaf ordering at every size: cubic)")

    print("\ncluster_map (12 features), median of interleaved rounds; peak traced memory of one more run")
    X = rng.normal(size=(5000, 12))
    small = SOM(mapsize=(40, 40), random_state=0).fit(X, epochs=1)
    large = SOM(mapsize=(100, 100), random_state=0).fit(X, epochs=1)
    cases = {
        "40x40, k = 1600 (every node), ward": lambda: cluster_map(small, 1600, allow_empty=True),
        "40x40, k = 1600 (every node), kmeans": lambda: cluster_map(
            small, 1600, method="kmeans", allow_empty=True
        ),
        "40x40, k auto up to 50, ward": lambda: cluster_map(small, max_segments=50, allow_empty=True),
        "100x100, k = 5000, ward": lambda: cluster_map(large, 5000, allow_empty=True),
    }
    times = interleaved(cases, rounds)
    memory = {name: peak(run)[1] for name, run in cases.items()}  # one more run, traced
    width = max(map(len, cases))
    print(f"{'case':<{width}}  median (s)   spread (s)  peak MB")
    for name, values in times.items():
        spread = f"{min(values):.2f}-{max(values):.2f}"
        print(f"{name:<{width}}  {statistics.median(values):10.2f}  {spread:>11}  {memory[name]:7.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--part", choices=("targets", "scaling", "all"), default="all")
    args = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average {load[0]:.1f}")
    if args.part in ("targets", "all"):
        targets(args.rounds)
    if args.part in ("scaling", "all"):
        scaling(max(1, min(args.rounds, 3)))


if __name__ == "__main__":
    main()
