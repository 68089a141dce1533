"""Speed and memory of batch training, against the GEMM floor.

Usage::

    python benchmarks/bench_engine.py            # W1, W2 and the 1M x 100x100 memory run
    python benchmarks/bench_engine.py --quick    # W1 only

Each workload runs in its own subprocess so its peak memory (max RSS) is its
own.  The floor (:func:`honest_floor`) is what no BMU search can avoid: the best
tiled float32 GEMM into a reused output tile plus one pass over that tile, with
all cores (BLAS threads, or one core's rate scaled perfectly to all cores).  Each workload runs at the
defaults (``n_jobs=None``: BLAS threads) and with ``n_jobs=-1`` (a thread per core).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

WORKLOADS = {
    "W1": dict(n=20_000, d=16, rows=30, cols=30, epochs=10),
    "W2": dict(n=200_000, d=32, rows=50, cols=50, epochs=5),
    "M1": dict(n=1_000_000, d=16, rows=100, cols=100, epochs=2),
}


def honest_floor(n: int, d: int, m: int, repeats: int = 5) -> tuple[float, float]:
    """Seconds for the irreducible part of an epoch on this machine, best of ``repeats``.

    The BMU search cannot do less than one GEMM per row tile (``(rows x d+1) @ (d+1 x m)``, into a
    reused output tile) plus one pass over the tile to find each row's minimum.  The floor is the
    fastest of: BLAS's own threads on one tile at a time, and one core's rate with perfect scaling
    over every core (single-threaded BLAS, time divided by the core count), each over several tile
    heights (the engine's own and 256 to 4096 rows), so neither the engine's tile nor its threading
    can flatter it.  Returns (seconds, the GEMM rate in flop/s of the fastest way).
    """
    import numpy as np
    from threadpoolctl import threadpool_limits

    from somnium.engine import _block_rows, _tile_rows

    cores = os.cpu_count() or 1
    rng = np.random.default_rng(0)
    best = None
    for rows in sorted({_tile_rows(m, 4, _block_rows(m)), 256, 1024, 4096}):
        chunk = min(n, rows)
        a = rng.normal(size=(chunk, d + 1)).astype(np.float32)
        b = rng.normal(size=(d + 1, m)).astype(np.float32)
        out = np.empty((chunk, m), dtype=np.float32)
        for threads, share in ((None, 1), (1, cores)):
            gemm_times, pass_times = [], []
            with threadpool_limits(limits=threads, user_api="blas"):
                for _ in range(repeats + 1):
                    t = time.perf_counter()
                    np.matmul(a, b, out=out)
                    gemm_times.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    out.argmin(axis=1)
                    pass_times.append(time.perf_counter() - t)
            gemm, tile_pass = min(gemm_times[1:]) / share, min(pass_times[1:]) / share
            floor = n / chunk * (gemm + tile_pass)
            if best is None or floor < best[0]:
                best = (floor, 2 * chunk * (d + 1) * m / gemm)
    return best


def run_workload(name: str, n_jobs) -> dict:
    import numpy as np

    from somnium import SOM
    from somnium.datasets import make_blobs

    w = WORKLOADS[name]
    X = make_blobs(w["n"], w["d"], n_clusters=12, random_state=0, dtype=np.float32)
    model = SOM(mapsize=(w["rows"], w["cols"]), lattice="hexa", n_jobs=n_jobs, random_state=0)
    start = time.perf_counter()
    model.fit(X, epochs=1, radiusin=1.0, radiusfin=1.0)  # normalisation, initialisation, first epoch
    first_fit = time.perf_counter() - start
    # An epoch at the defaults (no history, no callbacks: no metrics). A fit call also pays a final pass
    # for bmu_ and the stored statistics, so time fits of 1 and 1 + E epochs and take the difference.
    radius = max(w["rows"], w["cols"]) / 4
    t = time.perf_counter()
    model.fit(X, epochs=1, radiusin=radius, radiusfin=radius)
    one = time.perf_counter() - t
    t = time.perf_counter()
    model.fit(X, epochs=1 + w["epochs"], radiusin=radius, radiusfin=1.0)
    many = time.perf_counter() - t
    epoch_times = [(many - one) / w["epochs"]]
    m = w["rows"] * w["cols"]
    floor, floor_rate = honest_floor(w["n"], w["d"], m)
    per_epoch = statistics.median(epoch_times)
    return {
        "workload": name,
        "n_jobs": n_jobs,
        **w,
        "first_fit_s": first_fit,
        "epoch_s_median": per_epoch,
        "gemm_floor_s": floor,
        "ratio_to_floor": per_epoch / floor,
        "gemm_gflops": floor_rate / 1e9,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "data_mb": X.nbytes / 2**20,  # float32 input
        "qe": model.calculate_quantization_error(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="only W1")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--n-jobs", default="default", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        n_jobs = None if args.n_jobs == "default" else int(args.n_jobs)
        print(json.dumps(run_workload(args.one, n_jobs)))
        return
    names = ["W1"] if args.quick else list(WORKLOADS)
    print(
        f"{'load':4} {'n_jobs':>7} {'N':>9} {'D':>3} {'map':>8} {'s/epoch':>8} {'floor s':>8} {'ratio':>6} "
        f"{'GFLOP/s':>8} {'peak MB':>8} {'data MB':>8}"
    )
    runs = [(name, "default") for name in names] + [(name, "-1") for name in names if name != "M1"]
    for name, n_jobs in runs:
        out = subprocess.run(
            [sys.executable, __file__, "--one", name, "--n-jobs", n_jobs],
            capture_output=True,
            text=True,
            env={**os.environ},
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{name:4} {n_jobs:>7} {r['n']:9d} {r['d']:3d} {r['rows']:>3}x{r['cols']:<4} {r['epoch_s_median']:8.3f} "
            f"{r['gemm_floor_s']:8.3f} {r['ratio_to_floor']:6.2f} {r['gemm_gflops']:8.1f} "
            f"{r['peak_rss_mb']:8.0f} {r['data_mb']:8.0f}"
        )


if __name__ == "__main__":
    main()
