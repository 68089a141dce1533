"""Real tables: the cost of missing cells, and the maps and imputations they give.

Usage::

    python benchmarks/bench_tables.py                    # speed, memory and quality
    python benchmarks/bench_tables.py --speed --rounds 5 # W2 with 10% of cells missing against complete
    python benchmarks/bench_tables.py --quality --runs 5 # 20% of cells removed on three real data sets

Speed (W2: 200,000 x 32 float32 blobs, 50 x 50 hexagonal map).  The same data complete (the default
``missing="error"``) and with 10% of its cells set to NaN at random (``missing="ignore"``) are trained
in one process, on one BMU path at a time (numpy, then the numba kernels, each in its own
subprocess), an epoch of each timed in interleaved rounds as ``benchmarks/bench_engine.py`` times
them (fits of 1 and 1 + E epochs, the difference), without and with ``collect_history``.  Wall clock
and CPU time (all threads); the ratios are the medians of the per-round ratios.

Memory: each of the two fits (5 epochs) runs alone in a fresh interpreter; its peak RSS, against the
data's float32 and float64 sizes.  With gaps the rows are scanned chunk by chunk (a flag per row),
each tile builds its own mask, so the peak should be the complete fit's.

Quality: penguins (the four measurements of the 342 complete rows), scikit-learn's wine (178 x 13)
and breast_cancer (569 x 30).  20% of the cells are removed at random (a row that would lose every
cell keeps one).  Two maps of the same size and seed are trained with ``fit_auto``: one on the
complete table, one on the table with gaps (``missing="ignore"``).  Reported:

- QE of each map on the *complete* table, each in its own normalised units (the seed's QE: the
  per-feature mean absolute error to the BMU), and the ratio gap / complete;
- the RMSE, in standard deviations of the complete column, of the removed cells filled by
  ``model.impute`` and by the column mean of the observed cells.

Medians over ``--runs`` seeds (a new mask and map seed each).
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

W2 = dict(n=200_000, d=32, rows=50, cols=50, epochs=5)
MISSING_SHARE = 0.10
QUALITY_MISSING_SHARE = 0.20


def w2_data(missing: bool):
    import numpy as np

    from somnium.datasets import make_blobs

    X = make_blobs(W2["n"], W2["d"], n_clusters=12, random_state=0, dtype=np.float32)
    if missing:
        rng = np.random.default_rng(1)
        for start in range(0, len(X), 65536):  # no N x D mask held
            block = X[start : start + 65536]
            block[rng.random(block.shape) < MISSING_SHARE] = np.nan
    return X


def speed(path: str, rounds: int) -> dict:
    import numpy as np

    from somnium import SOM, engine

    engine.USE_NUMBA = {"numpy": False, "numba": True}[path]
    data = {"complete": w2_data(False), "gaps": w2_data(True)}
    models = {
        "complete": SOM(mapsize=(W2["rows"], W2["cols"]), random_state=0),
        "gaps": SOM(mapsize=(W2["rows"], W2["cols"]), random_state=0, missing="ignore"),
    }
    for key, model in models.items():
        model.fit(data[key], epochs=1, radiusin=1.0, radiusfin=1.0)
        model.fit(data[key], epochs=1, collect_history=True)  # warm: kernels compiled, pool started
    radius = max(W2["rows"], W2["cols"]) / 4

    def epoch(key, history):
        model, X = models[key], data[key]
        t, c = time.perf_counter(), time.process_time()
        model.fit(X, epochs=1, radiusin=radius, radiusfin=radius, collect_history=history)
        one, one_cpu = time.perf_counter() - t, time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        model.fit(X, epochs=1 + W2["epochs"], radiusin=radius, radiusfin=1.0, collect_history=history)
        return (time.perf_counter() - t - one) / W2["epochs"], (time.process_time() - c - one_cpu) / W2[
            "epochs"
        ]

    times = {(key, history): [] for key in data for history in (False, True)}
    for _ in range(rounds):  # interleaved: each round sees the same machine load for both
        for history in (False, True):
            for key in ("complete", "gaps"):
                times[key, history].append(epoch(key, history))

    def med(values):
        return statistics.median(values)

    out = {"path": path, "rounds": rounds, "load": os.getloadavg()[0]}
    for history in (False, True):
        tag = "history" if history else "plain"
        complete, gaps = times["complete", history], times["gaps", history]
        out[tag] = {
            "complete_wall": med(w for w, _ in complete),
            "gaps_wall": med(w for w, _ in gaps),
            "complete_cpu": med(c for _, c in complete),
            "gaps_cpu": med(c for _, c in gaps),
            "ratio_wall": med(g[0] / c[0] for g, c in zip(gaps, complete)),
            "ratio_cpu": med(g[1] / c[1] for g, c in zip(gaps, complete)),
            "ratio_cpu_spread": (min(g[1] / c[1] for g, c in zip(gaps, complete)),
                                 max(g[1] / c[1] for g, c in zip(gaps, complete))),
        }  # fmt: skip
    qe = {key: model.calculate_quantization_error() for key, model in models.items()}
    out["qe"] = qe
    out["numba_loaded"] = "numba" in sys.modules
    del np
    return out


def memory(kind: str) -> dict:
    from somnium import SOM

    X = w2_data(kind == "gaps")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model = SOM(
        mapsize=(W2["rows"], W2["cols"]), random_state=0, missing="ignore" if kind == "gaps" else "error"
    )
    model.fit(X, epochs=W2["epochs"])
    return {
        "kind": kind,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "before_fit_mb": before,
        "data_float32_mb": X.nbytes / 2**20,
    }


# ------------------------------------------------------------------ quality
def datasets():
    import numpy as np
    from sklearn.datasets import load_breast_cancer, load_wine

    from somnium.datasets import load_penguins

    penguins = load_penguins(numeric_only=True).to_numpy(dtype=np.float64)
    return {
        "penguins": penguins,
        "wine": load_wine().data.astype(np.float64),
        "breast_cancer": load_breast_cancer().data.astype(np.float64),
    }


def remove_cells(X, share, rng):
    import numpy as np

    gaps = X.copy()
    mask = rng.random(X.shape) < share
    empty = mask.all(axis=1)
    mask[empty, rng.integers(0, X.shape[1], empty.sum())] = False  # every row keeps a cell
    gaps[mask] = np.nan
    return gaps, mask


def quality_run(name, X, seed) -> dict:
    import numpy as np

    from somnium import SOM

    rng = np.random.default_rng(seed)
    gaps, mask = remove_cells(X, QUALITY_MISSING_SHARE, rng)
    complete = SOM(random_state=seed).fit_auto(X)
    gapped = SOM(random_state=seed, missing="ignore", mapsize=complete.mapsize_).fit_auto(gaps)
    std = X.std(axis=0)
    filled = gapped.impute(gaps)
    column_mean = np.where(mask, np.nanmean(gaps, axis=0), gaps)
    rmse = float(np.sqrt((((filled - X) / std)[mask] ** 2).mean()))
    rmse_mean = float(np.sqrt((((column_mean - X) / std)[mask] ** 2).mean()))
    qe_complete = complete.calculate_quantization_error(X)
    qe_gaps = gapped.calculate_quantization_error(X)
    return {
        "dataset": name,
        "seed": seed,
        "map": list(complete.mapsize_),
        "qe_complete_map": qe_complete,
        "qe_gap_map": qe_gaps,
        "qe_ratio": qe_gaps / qe_complete,
        "impute_rmse": rmse,
        "column_mean_rmse": rmse_mean,
    }


def quality(runs: int) -> list:
    import numpy as np

    rows = []
    for name, X in datasets().items():
        results = [quality_run(name, X, seed) for seed in range(runs)]
        summary = {
            key: float(np.median([r[key] for r in results]))
            for key in results[0]
            if key not in ("dataset", "seed", "map")
        }
        summary.update(dataset=name, shape=list(X.shape), map=results[0]["map"], runs=runs,
                       qe_ratio_max=max(r["qe_ratio"] for r in results))  # fmt: skip
        rows.append(summary)
    return rows


def _child(*args) -> dict:
    command = [sys.executable, __file__, *args]
    out = subprocess.run(command, capture_output=True, text=True, env={**os.environ}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--paths", default="numpy,numba")
    parser.add_argument("--one-speed", help=argparse.SUPPRESS)
    parser.add_argument("--one-memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_speed:
        print(json.dumps(speed(args.one_speed, args.rounds)))
        return
    if args.one_memory:
        print(json.dumps(memory(args.one_memory)))
        return
    everything = not (args.speed or args.memory or args.quality)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.speed or everything:
        print(f"\nW2 ({W2['n']:,} x {W2['d']}, {W2['rows']}x{W2['cols']} hexa), {MISSING_SHARE:.0%} of cells "
              f"missing at random, against the same data complete; {args.rounds} interleaved rounds")  # fmt: skip
        print(f"{'path':6} {'pass':8} {'complete s':>10} {'gaps s':>8} {'ratio':>6} | {'CPU s':>6} {'gaps CPU':>8} "
              f"{'ratio':>6} {'(min-max)':>12}")  # fmt: skip
        for path in args.paths.split(","):
            r = _child("--one-speed", path, "--rounds", str(args.rounds))
            for tag in ("plain", "history"):
                t = r[tag]
                print(f"{path:6} {tag:8} {t['complete_wall']:10.3f} {t['gaps_wall']:8.3f} {t['ratio_wall']:6.2f} | "
                      f"{t['complete_cpu']:6.3f} {t['gaps_cpu']:8.3f} {t['ratio_cpu']:6.2f} "
                      f"({t['ratio_cpu_spread'][0]:.2f}-{t['ratio_cpu_spread'][1]:.2f})")  # fmt: skip
            print(f"       QE complete {r['qe']['complete']:.4f}, with gaps {r['qe']['gaps']:.4f}; "
                  f"load {r['load']:.1f}")  # fmt: skip
    if args.memory or everything:
        print("\nPeak memory of a W2 fit (5 epochs), each in a fresh interpreter")
        for kind in ("complete", "gaps"):
            r = _child("--one-memory", kind)
            print(f"{kind:9} peak {r['peak_rss_mb']:6.0f} MB (data float32 {r['data_float32_mb']:.0f} MB; "
                  f"{r['before_fit_mb']:.0f} MB before the fit)")  # fmt: skip
    if args.quality or everything:
        print(
            f"\nQuality, {QUALITY_MISSING_SHARE:.0%} of cells removed at random, fit_auto, medians of {args.runs} seeds"
        )
        print(f"{'data set':14} {'shape':>9} {'map':>6} {'QE complete':>11} {'QE gaps':>8} {'ratio':>6} {'(max)':>6} | "
              f"{'impute RMSE':>11} {'mean RMSE':>9}")  # fmt: skip
        for r in quality(args.runs):
            print(f"{r['dataset']:14} {r['shape'][0]:>4}x{r['shape'][1]:<4} {r['map'][0]:>2}x{r['map'][1]:<3} "
                  f"{r['qe_complete_map']:11.4f} {r['qe_gap_map']:8.4f} {r['qe_ratio']:6.3f} {r['qe_ratio_max']:6.3f} | "
                  f"{r['impute_rmse']:11.3f} {r['column_mean_rmse']:9.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
