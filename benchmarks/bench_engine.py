"""Speed and memory of batch training, against the GEMM floor.

Usage::

    python benchmarks/bench_engine.py            # W1, W2 and the 1M x 100x100 memory run
    python benchmarks/bench_engine.py --quick    # W1 only

Each workload runs in its own subprocess so its peak memory (max RSS) is its
own.  The floor is ``2 N M D`` flops at the float32 GEMM rate measured in the
same run, on the same (rows x D) @ (D x M) shapes the BMU search uses, with
all cores.
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


def gemm_rate(rows: int, d: int, m: int, repeats: int = 5) -> float:
    """Median float32 GEMM rate (flop/s) for (rows x d) @ (d x m), all BLAS threads."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.normal(size=(rows, d)).astype(np.float32)
    b = rng.normal(size=(d, m)).astype(np.float32)
    a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * rows * d * m / statistics.median(times)


def run_workload(name: str) -> dict:
    import numpy as np

    from somnium import SOM
    from somnium.datasets import make_blobs

    w = WORKLOADS[name]
    X = make_blobs(w["n"], w["d"], n_clusters=12, random_state=0, dtype=np.float32)
    model = SOM(mapsize=(w["rows"], w["cols"]), lattice="hexa", n_jobs=-1, random_state=0)
    epoch_times = []
    last = [time.perf_counter()]

    def timer(info):
        now = time.perf_counter()
        epoch_times.append(now - last[0])
        last[0] = now

    start = time.perf_counter()
    model.fit(X, epochs=1, radiusin=1.0, radiusfin=1.0)  # initialisation + first epoch, not timed per epoch
    first_fit = time.perf_counter() - start
    last[0] = time.perf_counter()
    model.fit(X, epochs=w["epochs"], radiusin=max(w["rows"], w["cols"]) / 4, radiusfin=1.0, callbacks=timer)
    m = w["rows"] * w["cols"]
    from somnium.engine import _chunk_rows

    floor_rate = gemm_rate(min(w["n"], _chunk_rows(m, 4)), w["d"], m)
    floor = 2 * w["n"] * m * w["d"] / floor_rate
    per_epoch = statistics.median(epoch_times)
    return {
        "workload": name,
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
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_workload(args.one)))
        return
    names = ["W1"] if args.quick else list(WORKLOADS)
    print(
        f"{'load':4} {'N':>9} {'D':>3} {'map':>8} {'s/epoch':>8} {'floor s':>8} {'ratio':>6} "
        f"{'GFLOP/s':>8} {'peak MB':>8} {'data MB':>8}"
    )
    for name in names:
        out = subprocess.run(
            [sys.executable, __file__, "--one", name],
            capture_output=True,
            text=True,
            env={**os.environ},
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{name:4} {r['n']:9d} {r['d']:3d} {r['rows']:>3}x{r['cols']:<4} {r['epoch_s_median']:8.3f} "
            f"{r['gemm_floor_s']:8.3f} {r['ratio_to_floor']:6.2f} {r['gemm_gflops']:8.1f} "
            f"{r['peak_rss_mb']:8.0f} {r['data_mb']:8.0f}"
        )


if __name__ == "__main__":
    main()
