"""How many epochs does fit_auto need?  Quality and time against a long schedule.

Usage::

    python benchmarks/bench_fit_auto.py

For each dataset and each candidate (rough, fine) epoch pair, trains with
fit_auto's radius schedule and prints QE, TE and seconds relative to a
schedule ten times longer than the default (median over seeds).
"""

from __future__ import annotations

import statistics
import time

from somnium import SOM
from somnium.datasets import load_penguins, make_blobs

CANDIDATES = [(2, 4), (4, 8), (6, 12), (10, 20)]
LONG = (60, 120)
SEEDS = (0, 1, 2)


def datasets():
    penguins = load_penguins(numeric_only=True)
    yield "penguins (342x4)", penguins
    X, _ = make_blobs(5000, 8, n_clusters=8, random_state=0, return_labels=True)
    yield "blobs (5000x8)", X
    yield "blobs (20000x16)", make_blobs(20000, 16, n_clusters=12, cluster_std=2.0, random_state=1)


def train(X, epochs, seed):
    model = SOM(random_state=seed)
    model.AUTO_EPOCHS = epochs
    start = time.perf_counter()
    model.fit_auto(X, collect_history=False)
    return (
        model.calculate_quantization_error(),
        model.calculate_topographic_error(),
        time.perf_counter() - start,
        model.mapsize_,
    )


def main():
    print(
        f"{'dataset':18} {'epochs':>9} {'map':>7} {'QE':>7} {'TE':>6} {'QE/long':>8} {'TE-long':>8} "
        f"{'time/long':>9}"
    )
    for name, X in datasets():
        results = {}
        for epochs in CANDIDATES + [LONG]:
            runs = [train(X, epochs, seed) for seed in SEEDS]
            results[epochs] = (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
                statistics.median(r[2] for r in runs),
                runs[0][3],
            )
        qe_l, te_l, t_l, _ = results[LONG]
        for epochs, (qe, te, t, shape) in results.items():
            print(
                f"{name:18} {epochs!s:>9} {shape[0]:>3}x{shape[1]:<3} {qe:7.4f} {te:6.3f} "
                f"{qe / qe_l:8.3f} {te - te_l:+8.3f} {t / t_l:9.3f}"
            )


if __name__ == "__main__":
    main()
