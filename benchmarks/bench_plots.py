"""Time the static figures on a 100 x 100 hexagonal map with 20 features.

Prints the median wall time over 3 runs of building each figure and rendering
it to PNG (Agg, 100 dpi).  Run: ``python benchmarks/bench_plots.py``.
"""

from __future__ import annotations

import io
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from somnium import SOM, visualization

ROWS, COLS, N_FEATURES, N_ROWS, REPEATS = 100, 100, 20, 20_000, 3


def fitted_model():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(N_ROWS, 3))
    X = latent @ rng.normal(size=(3, N_FEATURES)) + 0.1 * rng.normal(size=(N_ROWS, N_FEATURES))
    labels = np.array(["a", "b", "c", "d"])[np.digitize(latent[:, 0], [-1.0, 0.0, 1.0])]
    model = SOM(mapsize=(ROWS, COLS), lattice="hexa", random_state=0)
    model.fit(X, epochs=3, collect_history=True)
    return model, labels


def median_seconds(draw) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fig = draw()
        fig.savefig(io.BytesIO(), format="png", dpi=100)
        times.append(time.perf_counter() - start)
        plt.close(fig)
    return statistics.median(times)


def main() -> None:
    start = time.perf_counter()
    model, labels = fitted_model()
    print(f"fit {ROWS}x{COLS} hexa map on {N_ROWS} x {N_FEATURES}: {time.perf_counter() - start:.1f} s")
    plots = {
        f"plot_components ({N_FEATURES} planes)": lambda: visualization.plot_components(model),
        "plot_umatrix": lambda: visualization.plot_umatrix(model),
        "plot_bmus (size)": lambda: visualization.plot_bmus(model),
        "plot_bmus (color)": lambda: visualization.plot_bmus(model, mode="color"),
        "plot_quality_map": lambda: visualization.plot_quality_map(model),
        "plot_label_map (4 classes)": lambda: visualization.plot_label_map(model, labels),
        "plot_neuron_indices": lambda: visualization.plot_neuron_indices(model),
        "plot_history": lambda: visualization.plot_history(model),
    }
    print(f"median of {REPEATS} runs, figure built and rendered to PNG at 100 dpi:")
    for name, draw in plots.items():
        print(f"  {name:<32} {median_seconds(draw):6.2f} s")


if __name__ == "__main__":
    main()
