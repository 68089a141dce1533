"""Does fit_auto stop early enough?  Both emphases against the seed's schedule and a ten times longer one.

Usage::

    python benchmarks/bench_fit_auto.py

For each dataset, trains with fit_auto (``emphasis="topology"``, the default,
and ``emphasis="quantization"``: the schedules of ``somnium/_auto.py``), with
the seed's 6 + 12 epochs ending at radius 1, and with a schedule of the same
shape as the quantization one but ten times longer and without early stops
(60 rough epochs, 10x the fine epochs down to FINAL_RADIUS, 40 there), and
prints the mean BMU distance (QE, normalised units), TE, epochs and seconds
(median over seeds).  Map quality against other libraries: ``bench_quality.py``.
"""

from __future__ import annotations

import statistics
import time

from somnium import SOM, _auto
from somnium.datasets import load_penguins, make_blobs

SEEDS = (0, 1, 2)


def datasets():
    penguins = load_penguins(numeric_only=True)
    yield "penguins (342x4)", penguins
    X, _ = make_blobs(5000, 8, n_clusters=8, random_state=0, return_labels=True)
    yield "blobs (5000x8)", X
    yield "blobs (20000x16)", make_blobs(20000, 16, n_clusters=12, cluster_std=2.0, random_state=1)


def seed_schedule(model, X):
    rows, cols = model.mapsize
    rough_in = max(1.0, max(rows, cols) / 3.0)
    rough_fin = max(1.0, rough_in / 4.0)
    model.fit(X, 6, radiusin=rough_in, radiusfin=rough_fin, decay="linear")
    fine_in = max(1.0, min(rough_fin, max(rows, cols) / 12.0))
    model.fit(X, 12, radiusin=fine_in, radiusfin=1.0, decay="exponential")


def long_schedule(model, X, lattice):
    model.fit(X, 60, *_auto.rough_radii(lattice), decay="linear")
    model.fit(X, 10 * _auto.fine_epoch_count(lattice), _auto.fine_start(lattice), _auto.FINAL_RADIUS)
    model.fit(X, 40, _auto.FINAL_RADIUS, _auto.FINAL_RADIUS)


def train(X, how, seed):
    sizing = SOM(random_state=seed).fit(X, 1, radiusin=1.0, radiusfin=1.0)  # the "auto" map fit_auto gets
    model = SOM(mapsize=sizing.mapsize_, random_state=seed)
    start = time.perf_counter()
    if how in ("topology", "quantization"):
        model.fit_auto(X, collect_history=False, emphasis=how)
    elif how == "seed 6+12":
        seed_schedule(model, X)
    else:
        long_schedule(model, X, sizing.lattice_)
    elapsed = time.perf_counter() - start
    return (
        model.calculate_mean_bmu_distance(),
        model.calculate_topographic_error(),
        len(model.history_["epoch"]),
        elapsed,
        model.mapsize_,
    )


def main():
    print(f"{'dataset':18} {'schedule':12} {'map':>7} {'QE':>7} {'TE':>6} {'epochs':>6} {'seconds':>8}")
    for name, X in datasets():
        for how in ("topology", "quantization", "seed 6+12", "long"):
            runs = [train(X, how, seed) for seed in SEEDS]
            qe, te, epochs, seconds = (statistics.median(r[k] for r in runs) for k in range(4))
            shape = runs[0][4]
            print(
                f"{name:18} {how:12} {shape[0]:>3}x{shape[1]:<3} {qe:7.4f} {te:6.3f} {epochs:6.0f} {seconds:8.3f}"
            )


if __name__ == "__main__":
    main()
