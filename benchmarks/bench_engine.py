"""Speed and memory of batch training, against the GEMM floor.

Usage::

    python benchmarks/bench_engine.py                  # W1, W2 and the 1M x 100x100 memory run
    python benchmarks/bench_engine.py --quick          # W1 only
    python benchmarks/bench_engine.py --workloads W1,W2 --rounds 7

Each workload runs in its own subprocess so its peak memory (max RSS) is its
own.  The floor (:func:`honest_floor`) is what no BMU search can avoid: the best
tiled float32 GEMM into a reused output tile plus one pass over that tile, with
all cores (BLAS threads, or one core's rate scaled perfectly to all cores).  Each workload runs at the
defaults (``n_jobs=None``), once on the numpy BMU path and once on the numba kernels, and times an
epoch without and with ``collect_history=True`` in interleaved rounds (medians; the history overhead
is the median of the per-round ratios). Wall-clock columns, then CPU-time columns (all threads; steady
when other jobs share the cores): the epoch's CPU seconds against :func:`cpu_floor`, the floor's work in
CPU seconds.
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


def cpu_floor(n: int, d: int, m: int, repeats: int = 5) -> float:
    """CPU seconds (all threads) of the floor's work: one thread's GEMM + pass over every tile.

    On a machine shared with other jobs, wall-clock times include waiting for a core; CPU time does
    not, so ``epoch CPU seconds / cpu_floor`` compares work with work (idle waits in the engine do not
    count there: the wall-clock ratio shows those). Best over the same tile heights as
    :func:`honest_floor`.
    """
    import numpy as np
    from threadpoolctl import threadpool_limits

    from somnium.engine import _block_rows, _tile_rows

    rng = np.random.default_rng(0)
    best = None
    for rows in sorted({_tile_rows(m, 4, _block_rows(m)), 256, 1024, 4096}):
        chunk = min(n, rows)
        a = rng.normal(size=(chunk, d + 1)).astype(np.float32)
        b = rng.normal(size=(d + 1, m)).astype(np.float32)
        out = np.empty((chunk, m), dtype=np.float32)
        times = []
        with threadpool_limits(limits=1, user_api="blas"):
            for _ in range(repeats + 1):
                t = time.process_time()
                for _ in range(10):
                    np.matmul(a, b, out=out)
                    out.argmin(axis=1)
                times.append((time.process_time() - t) / 10)
        floor = n / chunk * min(times[1:])
        best = floor if best is None else min(best, floor)
    return best


def run_workload(name: str, n_jobs, path: str, rounds: int) -> dict:
    import numpy as np

    from somnium import SOM, engine
    from somnium.datasets import make_blobs

    engine.USE_NUMBA = {"numpy": False, "numba": True, "auto": None}[path]
    w = WORKLOADS[name]
    X = make_blobs(w["n"], w["d"], n_clusters=12, random_state=0, dtype=np.float32)
    model = SOM(mapsize=(w["rows"], w["cols"]), lattice="hexa", n_jobs=n_jobs, random_state=0)
    start = time.perf_counter()
    model.fit(X, epochs=1, radiusin=1.0, radiusfin=1.0)  # normalisation, initialisation, first epoch
    first_fit = time.perf_counter() - start
    model.fit(X, epochs=1, collect_history=True)  # warm: kernels loaded or compiled, pool started
    radius = max(w["rows"], w["cols"]) / 4

    def epoch_seconds(history: bool) -> tuple[float, float]:
        # A fit call also pays a final pass for bmu_ and the stored statistics, so time fits of 1 and
        # 1 + E epochs and take the difference. Wall clock and CPU time (all threads).
        t, c = time.perf_counter(), time.process_time()
        model.fit(X, epochs=1, radiusin=radius, radiusfin=radius, collect_history=history)
        one, one_cpu = time.perf_counter() - t, time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        model.fit(X, epochs=1 + w["epochs"], radiusin=radius, radiusfin=1.0, collect_history=history)
        wall, cpu = time.perf_counter() - t - one, time.process_time() - c - one_cpu
        return wall / w["epochs"], cpu / w["epochs"]

    plain, history = [], []
    for _ in range(rounds):  # interleaved: both see the same machine load
        plain.append(epoch_seconds(False))
        history.append(epoch_seconds(True))
    m = w["rows"] * w["cols"]
    floor, floor_rate = honest_floor(w["n"], w["d"], m)
    floor_cpu = cpu_floor(w["n"], w["d"], m)

    def median(values):
        return statistics.median(list(values))

    return {
        "workload": name,
        "n_jobs": n_jobs,
        "path": path,
        **w,
        "first_fit_s": first_fit,
        "epoch_s_median": median(p[0] for p in plain),
        "history_epoch_s_median": median(h[0] for h in history),
        "history_overhead": median(h[0] / p[0] for h, p in zip(history, plain)) - 1,
        "gemm_floor_s": floor,
        "ratio_to_floor": median(p[0] for p in plain) / floor,
        "epoch_cpu_s_median": median(p[1] for p in plain),
        "history_cpu_overhead": median(h[1] / p[1] for h, p in zip(history, plain)) - 1,
        "cpu_floor_s": floor_cpu,
        "cpu_ratio_to_floor": median(p[1] for p in plain) / floor_cpu,
        "gemm_gflops": floor_rate / 1e9,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "data_mb": X.nbytes / 2**20,  # float32 input
        "numba_loaded": "numba" in sys.modules,
        "qe": model.calculate_quantization_error(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="only W1")
    parser.add_argument("--workloads", default=None, help="comma-separated subset of W1,W2,M1")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per workload")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--n-jobs", default="default", help=argparse.SUPPRESS)
    parser.add_argument("--path", default="auto", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        n_jobs = None if args.n_jobs == "default" else int(args.n_jobs)
        print(json.dumps(run_workload(args.one, n_jobs, args.path, args.rounds)))
        return
    names = ["W1"] if args.quick else (args.workloads.split(",") if args.workloads else list(WORKLOADS))
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.rounds} interleaved rounds"
    )
    print(
        f"{'load':4} {'path':5} {'N':>9} {'D':>3} {'map':>8} {'s/epoch':>8} {'history':>8} {'hist +%':>7} "
        f"{'floor s':>8} {'ratio':>6} | {'CPU s':>7} {'hist +%':>7} {'floor':>7} {'ratio':>6} | {'peak MB':>8}"
    )
    # Both BMU paths: numpy (what a fresh process uses for small work) and the numba kernels (loaded
    # once a session's measuring passes pay for them; see somnium.engine.numba_kernels).
    for name in names:
        for path in ("numpy", "numba"):
            command = [sys.executable, __file__, "--one", name, "--path", path, "--rounds", str(args.rounds)]
            out = subprocess.run(command, capture_output=True, text=True, env={**os.environ}, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{name:4} {path:5} {r['n']:9d} {r['d']:3d} {r['rows']:>3}x{r['cols']:<4} "
                f"{r['epoch_s_median']:8.3f} {r['history_epoch_s_median']:8.3f} {100 * r['history_overhead']:+7.0f} "
                f"{r['gemm_floor_s']:8.3f} {r['ratio_to_floor']:6.2f} | {r['epoch_cpu_s_median']:7.3f} "
                f"{100 * r['history_cpu_overhead']:+7.0f} {r['cpu_floor_s']:7.3f} {r['cpu_ratio_to_floor']:6.2f} | "
                f"{r['peak_rss_mb']:8.0f}"
            )


if __name__ == "__main__":
    main()
