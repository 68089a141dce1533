"""Dask training: per-epoch overhead against the in-memory fit, a large lazily generated run, scaling on paper.

Usage::

    python benchmarks/bench_dask.py                 # W2 overhead + a 10M x 16 generated run + the model
    python benchmarks/bench_dask.py --rows 50000000 # the 50M x 16 run of the issue (minutes)
    python benchmarks/bench_dask.py --skip-large    # W2 overhead and the model only
    python benchmarks/bench_dask.py --skip-large --skip-model --w2-rows 100000  # 100k x 32 overhead only
    python benchmarks/bench_dask.py --skip-large --skip-model --report dask-report.html  # + Dask's report

The cluster is ``LocalCluster(n_workers=2, threads_per_worker=1)`` (processes), as in the tests.  W2 is
200,000 x 32 rows on a 50x50 hexagonal map, float32 distances, 5 epochs; the in-memory fit uses
``n_jobs=-1`` (both cores), the Dask fit the data persisted on the workers in 8 partitions.  Epoch times
come from the callbacks (so both sides measure the metrics too).
"""

from __future__ import annotations

import argparse
import itertools
import math
import pickle
import resource
import statistics
import time

import numpy as np

from somnium import SOM


def epoch_times(model: SOM, X, epochs: int) -> list[float]:
    stamps = []
    model.fit(
        X, epochs=epochs, radiusin=12, radiusfin=2, callbacks=lambda info: stamps.append(time.perf_counter())
    )
    return [b - a for a, b in itertools.pairwise(stamps)]


def generated_block(block_info=None):
    """Partition ``i`` of a lazily generated data set: 16 features, seeded by the partition index."""
    index = block_info[None]["chunk-location"][0]
    rows, columns = block_info[None]["chunk-shape"]
    rng = np.random.default_rng(index)
    return (
        rng.random((rows, columns), dtype=np.float32) + np.arange(columns, dtype=np.float32) * 0.1
    ).astype(np.float64)


def _one(block, spec, index):
    return 1


def worker_peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def w2_overhead(client, epochs: int = 5, rounds: int = 3, n_rows: int = 200_000) -> dict:
    """W2 in memory and on the cluster, ``rounds`` times interleaved (so both see the same machine)."""
    import dask.array as da
    from distributed import get_task_stream

    X = np.random.default_rng(0).normal(size=(n_rows, 32)) * np.linspace(3, 0.5, 32)
    with client.as_current():
        dask_X = client.persist(da.from_array(X, chunks=(math.ceil(n_rows / 8), 32)))
        SOM(mapsize=(50, 50), random_state=0).fit(dask_X, epochs=1)  # warm the workers' imports
    memory_runs, dask_runs, busy = [], [], 0.0
    for _ in range(rounds):
        memory_runs.append(
            statistics.median(epoch_times(SOM(mapsize=(50, 50), n_jobs=-1, random_state=0), X, epochs + 1))
        )
        with client.as_current(), get_task_stream(client) as stream:
            dask_runs.append(
                statistics.median(epoch_times(SOM(mapsize=(50, 50), random_state=0), dask_X, epochs + 1))
            )
        busy += sum(
            span["stop"] - span["start"]
            for task in stream.data
            if "somnium-statistics" in str(task["key"])
            for span in task["startstops"]
            if span["action"] == "compute"
        )
    passes = rounds * (epochs + 2)  # each fit's epochs + 1 statistics passes and the final pass
    overheads = [d - m for m, d in zip(memory_runs, dask_runs)]
    in_memory, on_dask = statistics.median(memory_runs), statistics.median(dask_runs)
    return {
        "in_memory_s_per_epoch": in_memory,
        "dask_s_per_epoch": on_dask,
        "overhead_s_per_round": overheads,
        "overhead_s": statistics.median(overheads),
        "overhead_pct": 100 * statistics.median(d / m - 1 for m, d in zip(memory_runs, dask_runs)),
        "rounds_within_target": sum(o <= max(0.2, 0.25 * m) for o, m in zip(overheads, memory_runs)),
        # Where the Dask epoch goes: the partitions' own compute (per worker) and the rest (scheduling,
        # the codebook's scatter, result transfers, the client's update).
        "task_compute_s_per_epoch_per_worker": busy / passes / len(client.scheduler_info()["workers"]),
    }


def performance_report_of_w2(client, filename: str, epochs: int = 5, n_rows: int = 200_000) -> None:
    """Dask's own performance report (task stream, worker profiles, bandwidth) of one W2 fit."""
    import importlib.util

    import dask.array as da
    from distributed import performance_report

    if importlib.util.find_spec("bokeh") is None:
        raise SystemExit("--report needs bokeh (Dask draws the report with it): pip install bokeh")
    X = np.random.default_rng(0).normal(size=(n_rows, 32)) * np.linspace(3, 0.5, 32)
    with client.as_current():
        dask_X = client.persist(da.from_array(X, chunks=(math.ceil(n_rows / 8), 32)))
        SOM(mapsize=(50, 50), random_state=0).fit(dask_X, epochs=1)  # warm
        with performance_report(filename=filename):
            epoch_times(SOM(mapsize=(50, 50), random_state=0), dask_X, epochs + 1)


def large_run(client, n_rows: int, epochs: int, rows_per_partition: int = 500_000) -> dict:
    import dask.array as da

    n_blocks = math.ceil(n_rows / rows_per_partition)
    chunks = ((rows_per_partition,) * (n_blocks - 1) + (n_rows - rows_per_partition * (n_blocks - 1),), (16,))
    X = da.map_blocks(generated_block, chunks=chunks, dtype=np.float64)
    client.run(lambda: None)
    with client.as_current():
        model = SOM(mapsize=(50, 50), random_state=0)
        start = time.perf_counter()
        times = epoch_times(model, X, epochs)
        total = time.perf_counter() - start
        workers = client.run(worker_peak_rss)
    per_epoch = statistics.median(times) if times else math.nan
    return {
        "rows": n_rows,
        "gigabytes_float64": n_rows * 16 * 8 / 1e9,
        "partitions": n_blocks,
        "epochs": epochs,
        "total_s": total,
        "s_per_epoch": per_epoch,
        "rows_per_s": n_rows / per_epoch,
        "client_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mb": [v / 1e6 for v in workers.values()],
    }


def scaling_model(client) -> dict:
    """Per-partition and per-reduction costs measured here, extrapolated to 1B rows."""
    from somnium._state import committed_state
    from somnium.dask import passes as sd
    from somnium.engine import EpochStatistics

    rows_per_partition, n_features = 1_000_000, 16
    X = generated_block({None: {"chunk-location": (0,), "chunk-shape": (rows_per_partition, n_features)}})
    model = SOM(mapsize=(50, 50), random_state=0).fit(X[:50_000], epochs=1)
    state = committed_state(model)
    spec = sd._PassSpec(
        state.normalizer,
        state.center,
        "float32",
        "euclidean",
        None,
        state.codebook,
        state.lattice,
        False,
        False,
    )
    start = time.perf_counter()
    stats = sd._partition_statistics(X, spec, 0)
    partition_s = time.perf_counter() - start
    payload = len(pickle.dumps(stats))
    other = EpochStatistics(stats.n_rows, stats.hits.copy(), stats.sums.copy())
    start = time.perf_counter()
    for _ in range(20):
        _ = stats + other
    add_s = (time.perf_counter() - start) / 20
    # Scheduler cost per task: a pass of trivial tasks on this cluster.
    import dask.array as da

    with client.as_current():
        probe = sd.DaskData(
            client.persist(da.ones((400, 1), chunks=1)), None, None, "float32", "euclidean", None
        )
        start = time.perf_counter()
        probe.map_reduce("probe", _one, None)
        per_task_s = (time.perf_counter() - start) / (400 * (1 + 1 / (sd.SPLIT_EVERY - 1)))
    network_bytes_per_s = 1e9  # 10 GbE, optimistic; the reduction sends one M x D payload per tree edge
    predictions = {}
    for workers in (100, 1000):
        n_partitions = 1000
        waves = math.ceil(n_partitions / workers)
        depth = math.ceil(math.log(n_partitions, sd.SPLIT_EVERY))
        compute = waves * partition_s
        reduction = depth * (sd.SPLIT_EVERY * (add_s + payload / network_bytes_per_s))
        scheduler = n_partitions * (1 + 1 / (sd.SPLIT_EVERY - 1)) * per_task_s
        predictions[workers] = {
            "epoch_s": compute + reduction + scheduler,
            "map_s": compute,
            "reduce_s": reduction,
            "scheduler_s": scheduler,
        }
    # The reduction dominates when a partition's compute is shorter than depth * split_every * payload cost.
    return {
        "partition_rows": rows_per_partition,
        "partition_s": partition_s,
        "statistics_payload_mb": payload / 1e6,
        "add_s": add_s,
        "scheduler_per_task_ms": per_task_s * 1e3,
        "predictions_1B_rows": predictions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=10_000_000, help="rows of the generated run (16 features)"
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved W2 rounds (memory, Dask)")
    parser.add_argument("--w2-rows", type=int, default=200_000, help="rows of W2 (32 features, 8 partitions)")
    parser.add_argument("--skip-model", action="store_true", help="no scaling model")
    parser.add_argument(
        "--report",
        metavar="HTML",
        help="also write Dask's performance report of one W2 fit on the cluster (needs bokeh)",
    )
    parser.add_argument(
        "--quiet-workers",
        action="store_true",
        help="workers without Dask's statistical profiler and without MALLOC_TRIM_THRESHOLD_",
    )
    args = parser.parse_args()

    import dask
    from distributed import Client, LocalCluster

    if args.quiet_workers:
        dask.config.set(
            {
                "distributed.worker.profile.enabled": False,
                "distributed.nanny.pre-spawn-environ": {
                    "OMP_NUM_THREADS": 1,
                    "MKL_NUM_THREADS": 1,
                    "OPENBLAS_NUM_THREADS": 1,
                },
            }
        )
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        overhead = w2_overhead(client, rounds=args.rounds, n_rows=args.w2_rows)
        print(f"W2 ({args.w2_rows} x 32, 50x50, median s/epoch):", overhead)
        if args.report:
            performance_report_of_w2(client, args.report, n_rows=args.w2_rows)
            print("Dask performance report:", args.report)
        if not args.skip_model:
            print("scaling model:", scaling_model(client))
        if not args.skip_large:
            print("generated run:", large_run(client, args.rows, args.epochs))


if __name__ == "__main__":
    main()
