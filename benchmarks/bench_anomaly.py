"""Anomaly detection quality against IsolationForest and LocalOutlierFactor, and the speed of bmu_distance.

Usage::

    .venv/bin/python benchmarks/bench_anomaly.py quality [--seeds 5] [--json out.json]
    .venv/bin/python benchmarks/bench_anomaly.py speed [--rows 1000000] [--features 16] [--rounds 7]

Quality
-------
Real labelled data sets, one class made the rare anomaly group, each class in turn:

- breast_cancer (scikit-learn's copy of the UCI Wisconsin diagnostic data; 569 x 30): benign rows
  normal, malignant rows the anomalies;
- digits (scikit-learn; 1797 x 64, the 3 constant pixels dropped): each digit in turn the anomaly,
  the nine others normal;
- wine (scikit-learn; 178 x 13) and penguins (Somnium's bundled Palmer penguins, CC0; 342 x 4): each
  class in turn the anomaly, the two others normal.

For each variant and seed: the anomaly rows are subsampled (seeded) to 5% of the rows, the rows are
split 50/50 (stratified, seeded), a ``StandardScaler`` is fitted on the training half and applied to
both (LocalOutlierFactor is scale-sensitive; Somnium's own standardisation is then a no-op), every
method is fitted on the (contaminated) training half and scores the held-out half, and the ROC-AUC
of the scores against "is an anomaly" is taken.  Same data, same split, same scaling for all.

Methods: ``IsolationForest(random_state=seed)`` and ``LocalOutlierFactor(novelty=True)`` with their
defaults, scored by their ``score_samples``; Somnium's ``fit_auto`` on two map sizes, scored by
``score_samples`` (the BMU distance) and ``score_samples(relative=True)`` (over the node's scale):

- "SOM": ``SOM(mapsize_scale=1, random_state=seed)``, about ``sqrt(N)`` nodes, so about ``sqrt(N)``
  training rows per node (the size the README recommends for detection; chosen among the scales 1, 2
  and 5 on these same data sets, so its figures are optimistic by that choice);
- "SOM 5": the default ``mapsize_scale=5`` (the map size for exploring data): about ``sqrt(N) / 5``
  rows per node, few enough that a handful of training anomalies get a node of their own, after
  which held-out anomalies like them look normal.

The table gives the mean ROC-AUC over variants and seeds per data set, and over data sets.

Speed
-----
``model.bmu_distance(X)`` against ``model.predict(X)`` on ``--rows`` x ``--features`` float32-centred
Gaussian rows, on a 10 x 10, a 20 x 20 and a 50 x 50 map: medians of ``--rounds`` interleaved rounds (wall and
CPU seconds), the ratio of the medians, and the spread (min-max) of each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from somnium import SOM

SEEDS = 5
ANOMALY_SHARE = 0.05


def datasets():
    """(name, rows, labels) of every data set (sklearn's bundled copies; Somnium's penguins)."""
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    from somnium.datasets import load_penguins

    cancer = load_breast_cancer()
    digits = load_digits()
    keep = digits.data.std(axis=0) > 0
    wine = load_wine()
    penguins = load_penguins()
    return [
        ("breast_cancer", cancer.data, np.where(cancer.target == 0, "malignant", "benign"), ["malignant"]),
        ("digits", digits.data[:, keep], digits.target, list(range(10))),
        ("wine", wine.data, wine.target, [0, 1, 2]),
        (
            "penguins",
            penguins[["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]].to_numpy(),
            penguins["species"].astype(str).to_numpy(),
            ["Adelie", "Chinstrap", "Gentoo"],
        ),
    ]


def variant(X, labels, anomaly, seed):
    """Rows of the other classes plus the ``anomaly`` class subsampled to ANOMALY_SHARE; split 50/50."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    normal = np.flatnonzero(labels != anomaly)
    rare = np.flatnonzero(labels == anomaly)
    n_rare = max(2, round(ANOMALY_SHARE * len(normal) / (1 - ANOMALY_SHARE)))
    rows = np.concatenate([normal, rng.choice(rare, min(n_rare, len(rare)), replace=False)])
    y = (labels[rows] == anomaly).astype(int)
    X_train, X_test, _, y_test = train_test_split(X[rows], y, test_size=0.5, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_test


def scores(X_train, X_test, seed):
    """Each method's outlier score of the held-out rows (higher = more normal, scikit-learn's convention)."""
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor

    model = SOM(mapsize_scale=1, random_state=seed).fit_auto(X_train)
    default = SOM(random_state=seed).fit_auto(X_train)
    return {
        "SOM": model.score_samples(X_test),
        "SOM relative": model.score_samples(X_test, relative=True),
        "SOM 5": default.score_samples(X_test),
        "SOM 5 relative": default.score_samples(X_test, relative=True),
        "IsolationForest": IsolationForest(random_state=seed).fit(X_train).score_samples(X_test),
        "LOF": LocalOutlierFactor(novelty=True).fit(X_train).score_samples(X_test),
    }


def quality(seeds: int) -> dict:
    from sklearn.metrics import roc_auc_score

    results = {}
    for name, X, labels, anomalies in datasets():
        per_method: dict = {}
        for anomaly in anomalies:
            for seed in range(seeds):
                X_train, X_test, y_test = variant(X, labels, anomaly, seed)
                for method, score in scores(X_train, X_test, seed).items():
                    # the anomalies are the positive class: a lower score is more abnormal
                    per_method.setdefault(method, []).append(roc_auc_score(y_test, -score))
        results[name] = {m: (float(np.mean(v)), float(np.std(v)), len(v)) for m, v in per_method.items()}
        print(name, {m: round(v[0], 3) for m, v in results[name].items()}, flush=True)
    return results


def print_quality(results: dict) -> None:
    methods = list(next(iter(results.values())))
    print()
    print("| data set | " + " | ".join(methods) + " | best peer - SOM |")
    print("|---" * (len(methods) + 2) + "|")
    means = {m: [] for m in methods}
    gaps = []
    for name, row in results.items():
        for m in methods:
            means[m].append(row[m][0])
        gap = max(row["IsolationForest"][0], row["LOF"][0]) - row["SOM"][0]
        gaps.append(gap)
        cells = [f"{row[m][0]:.3f} ± {row[m][1]:.3f}" for m in methods]
        print(f"| {name} ({row[methods[0]][2]} runs) | " + " | ".join(cells) + f" | {gap:+.3f} |")
    cells = [f"**{np.mean(means[m]):.3f}**" for m in methods]
    print("| mean | " + " | ".join(cells) + f" | {np.mean(gaps):+.3f} |")
    best = max(np.mean(means["IsolationForest"]), np.mean(means["LOF"]))
    print(f"\nmean of the better peer: {best:.3f}; SOM - that: {np.mean(means['SOM']) - best:+.3f}")


# -------------------------------------------------------------------- speed
def speed(n_rows: int, n_features: int, rounds: int) -> dict:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, n_features))
    results = {}
    for mapsize in ((10, 10), (20, 20), (50, 50)):
        model = SOM(mapsize=mapsize, random_state=0).fit(X[:20000], epochs=2)
        model.predict(X[:1000]), model.bmu_distance(X[:1000])  # compile / warm up both paths
        times = {"predict": [], "bmu_distance": []}
        for _ in range(rounds):  # interleaved: both see the same load
            for name, call in (("predict", model.predict), ("bmu_distance", model.bmu_distance)):
                wall, cpu = time.perf_counter(), time.process_time()
                call(X)
                times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        row = {}
        for name, values in times.items():
            wall = np.array([v[0] for v in values])
            cpu = np.array([v[1] for v in values])
            row[name] = {
                "wall": float(np.median(wall)),
                "wall_spread": (float(wall.min()), float(wall.max())),
            }
            row[name]["cpu"] = float(np.median(cpu))
        row["ratio_wall"] = row["bmu_distance"]["wall"] / row["predict"]["wall"]
        row["ratio_cpu"] = row["bmu_distance"]["cpu"] / row["predict"]["cpu"]
        results[f"{mapsize[0]}x{mapsize[1]}"] = row
        print(
            f"{mapsize[0]}x{mapsize[1]} map, {n_rows:,} x {n_features}: predict {row['predict']['wall']:.3f} s "
            f"(CPU {row['predict']['cpu']:.3f}), bmu_distance {row['bmu_distance']['wall']:.3f} s "
            f"(CPU {row['bmu_distance']['cpu']:.3f}); ratio wall {row['ratio_wall']:.3f}, "
            f"CPU {row['ratio_cpu']:.3f}; spreads predict {row['predict']['wall_spread']}, "
            f"bmu_distance {row['bmu_distance']['wall_spread']}",
            flush=True,
        )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["quality", "speed", "both"])
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json")
    args = parser.parse_args()
    print(
        f"{time.strftime('%Y-%m-%d')} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    out = {}
    if args.what in ("quality", "both"):
        out["quality"] = quality(args.seeds)
        print_quality(out["quality"])
    if args.what in ("speed", "both"):
        out["speed"] = speed(args.rows, args.features, args.rounds)
    print(f"load at the end {os.getloadavg()[0]:.1f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(out, handle, indent=1)


if __name__ == "__main__":
    main()
