"""Time map clustering and segment labels / profiles at the sizes the issue targets.

Prints the median wall time over 5 runs of:

- ``cluster_map`` on a 100 x 100 hexagonal map (contiguous Ward with a given k, contiguous Ward
  choosing k by Davies-Bouldin, k-means with contiguity repair and a given k);
- ``Segments.labels`` for 1,000,000 rows with known BMUs;
- ``Segments.profile`` for 1,000,000 rows x 20 numeric features (+ one categorical column).

Targets: cluster_map < 2 s, labels < 0.1 s, profile < 1 s.
Run: ``python benchmarks/bench_segments.py``.

Two comparisons with the code they replaced (kept below as ``*_before``), in interleaved rounds
(median and spread of the wall times; peak memory by ``tracemalloc``):

- ``--boundaries``: ``boundary_edges`` on a 300 x 300 hexagonal map whose every node is in one of
  400 segments at random (every neighbour pair differs: the most edges a map can have);
- ``--id-profile``: ``Segments.profile`` of 1,000,000 rows with an ID column (every value distinct)
  and 400 segments: the top value per segment counted over the pairs that occur, against the dense
  segments x values table (3.2 GB; ``--rows`` scales it down).
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

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


# ------------------------------------------------------------------ before / after
def boundary_edges_before(lattice, labels):
    """boundary_edges as it was: a Python loop over the differing neighbour pairs."""
    labels = np.asarray(labels)
    vertices = lattice.cell_vertices()
    lines, pairs = [], []
    sources, targets = lattice.edges
    differ = labels[sources] != labels[targets]
    for a, b in zip(sources[differ].tolist(), targets[differ].tolist(), strict=True):
        close = np.linalg.norm(vertices[a][:, None, :] - vertices[b][None, :, :], axis=-1) < 1e-6
        shared = vertices[a][close.any(axis=1)]
        if len(shared) != 2:
            continue
        lines.append(shared.reshape(4))
        pairs.append((a, b))
    return np.asarray(lines, dtype=np.float64).reshape(-1, 4), np.asarray(pairs, dtype=np.int64).reshape(
        -1, 2
    )


def top_value_before(series, codes, size, n_groups):
    """Segments.profile's top value as it was: a dense groups x distinct values table of counts."""
    value_codes, categories = pd.factorize(series, use_na_sentinel=True)
    value_codes = np.asarray(value_codes, dtype=np.int64)
    n_values = len(categories)
    top = np.full(n_groups, None, dtype=object)
    share = np.full(n_groups, np.nan)
    present = value_codes >= 0
    counts = np.bincount(
        codes[present] * n_values + value_codes[present], minlength=n_groups * n_values
    ).reshape(n_groups, n_values)
    best = counts.argmax(axis=1)
    has_value = counts.max(axis=1) > 0
    top[has_value] = np.asarray(categories, dtype=object)[best[has_value]]
    share[has_value] = counts.max(axis=1)[has_value] / size[has_value]
    return top, share


def peak_bytes(run) -> int:
    """tracemalloc's peak (bytes) over one call (untimed: tracing slows Python-level loops)."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def compare(name, before, after, rounds, check):
    """Interleaved timed rounds of two implementations, then one traced call each for peak memory."""
    times = {"before": [], "after": []}
    results = {}
    for _ in range(rounds):
        for label, run in (("before", before), ("after", after)):
            start = time.perf_counter()
            results[label] = run()
            times[label].append(time.perf_counter() - start)
    check(results["before"], results["after"])
    results.clear()
    peaks = {label: peak_bytes(run) for label, run in (("before", before), ("after", after))}
    print(f"{name}  ({rounds} interleaved rounds)")
    for label in ("before", "after"):
        t = times[label]
        print(
            f"  {label:<6}  median {statistics.median(t):8.3f} s  (min {min(t):.3f}, max {max(t):.3f})  "
            f"peak {peaks[label] / 2**20:8.1f} MiB"
        )
    print(f"  speed-up {statistics.median(times['before']) / statistics.median(times['after']):.1f}x")


def bench_boundaries(rounds):
    from somnium.lattice import Lattice
    from somnium.widgets._segments import boundary_edges

    lattice = Lattice(300, 300, "hexa")
    labels = np.random.default_rng(0).integers(0, 400, lattice.n_nodes)
    _ = lattice.edges, lattice.cell_vertices()  # geometry made once, outside the timings

    def same(before, after):
        assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])

    compare(
        f"boundary_edges, 300 x 300 hexagonal, 400 random segments ({len(lattice.edges[0]):,} neighbour pairs)",
        lambda: boundary_edges_before(lattice, labels),
        lambda: boundary_edges(lattice, labels),
        rounds,
        same,
    )


def bench_id_profile(rounds, n_rows):
    from somnium import segments as segments_module

    rng = np.random.default_rng(0)
    model = SOM(mapsize=(20, 20), random_state=0).fit(rng.normal(size=(2000, 2)), epochs=1)
    segments = Segments.from_clustering(model, np.arange(400))
    bmu = rng.integers(0, 400, n_rows)
    data = pd.DataFrame({"id": np.arange(n_rows).astype(str), "x": rng.normal(size=n_rows)})
    after = segments_module._top_value

    def profile_with(top_value):
        segments_module._top_value = top_value
        try:
            return segments.profile(data, bmu=bmu)
        finally:
            segments_module._top_value = after

    compare(
        f"Segments.profile, {n_rows:,} rows with an ID column, 400 segments",
        lambda: profile_with(top_value_before),
        lambda: profile_with(after),
        rounds,
        lambda before, after_: pd.testing.assert_frame_equal(before, after_),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--boundaries", action="store_true", help="boundary_edges before / after")
    parser.add_argument(
        "--id-profile", action="store_true", help="Segments.profile of an ID column before / after"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of --id-profile")
    options = parser.parse_args()
    if options.boundaries:
        bench_boundaries(options.rounds)
    if options.id_profile:
        bench_id_profile(options.rounds, options.rows)
    if not (options.boundaries or options.id_profile):
        main()
