"""Map quality against other SOM libraries on real data sets: both fit_auto emphases, the peers and the original.

Usage (in a separate benchmark environment, never the project's own)::

    python -m venv /work/bench-venv
    /work/bench-venv/bin/pip install minisom xpysom simpsom scikit-learn matplotlib wheel setuptools
    CUDAHOME=/nonexistent /work/bench-venv/bin/pip install --no-build-isolation somoclu
    /work/bench-venv/bin/pip install -e .
    # the original (ivallesp/somnium, also named "somnium"): a venv of its own
    python -m venv /work/bench-orig-venv
    /work/bench-orig-venv/bin/pip install --only-binary=:all: numpy scipy scikit-learn matplotlib "pandas>=3.0.1"
    /work/bench-orig-venv/bin/pip install --no-deps --ignore-requires-python /path/to/original/checkout
    /work/bench-venv/bin/python benchmarks/bench_quality.py --original /work/bench-orig-venv/bin/python \
        [--runs 5] [--datasets iris,wine] [--json out.json] [--plot docs/images/quality_qe_te.png]

A peer that is not installed is skipped (the script says so).  ``somoclu``'s
binary extension needs a compiler (the ``CUDAHOME=/nonexistent`` line builds
the CPU version); without it somoclu imports but cannot train and is skipped.
The original Somnium (ivallesp/somnium, not on PyPI) is run when
``--original`` names the Python of an environment where it is installed (or a
checkout, put on ``PYTHONPATH``); it runs in a subprocess because its package
is also called ``somnium``.

What is compared
----------------
Data sets: Somnium's bundled penguins (342 x 4), scikit-learn's bundled iris
(150 x 4), wine (178 x 13), breast_cancer (569 x 30) and digits (1797 x 64;
its 3 constant pixels dropped, leaving 61 features), and "notebook": the data
of the original project's getting-started notebook (10,000 x 5: weight,
height, BMI, body fat, a noise column; generated here with a seeded
generator) on that notebook's 15 x 10 map.  Every data set is z-scored once
(population std) and every library gets the same z-scored array and the
same hexagonal map size: Somnium's ``estimate_mapsize`` (about 5 sqrt(N)
nodes) unless ``MAPS`` names one.

Each library is called the way its own documentation recommends, with only
the map size and a hexagonal topology set by us (see the functions below for
the exact calls).  All measures are computed here, with the same code, from
each library's trained codebook on the same z-scored data:

- QE: mean Euclidean distance from each row to its BMU prototype.
- TE: fraction of rows whose first and second BMU are not adjacent on the
  hexagonal lattice.  Each library's node order and hex layout is mapped
  onto ``somnium.lattice.Lattice(rows, cols, "hexa")`` by :func:`to_lattice`,
  which reads which rows Somnium's lattice shifts from its coordinates,
  mirrors the library's layout if its shifted rows are the other ones, and
  checks that the mapping preserves every pairwise node distance of the
  library's own layout.  Checked: for MiniSom this QE and TE equal its own
  ``quantization_error`` and hexagonal ``topographic_error``, and for the
  original its own ``calculate_topographic_error``.  Somoclu's layout is the
  one its own hexagonal plots draw (even rows shifted); its C training kernel
  uses an approximate hex distance of its own.
- trust: ``sklearn.manifold.trustworthiness`` (k=10) between the data and
  each row's BMU position on the lattice (rows that share a BMU tie at
  distance 0); on at most 2,000 rows (a seeded sample above that).
- TP: the topographic product (``somnium.metrics.topographic_product``) of
  the codebook on the lattice; near 0 is best.
- time: wall seconds of the training call(s), initialisation included; the
  median of ``--runs`` runs (seeds 0, 1, ...; run round-robin over the
  libraries) for the libraries whose first run takes less than ``SLOW``
  seconds, one run otherwise (marked ¹).  QE/TE/trust are the medians over
  the same runs (Somnium and the original start from a PCA initialisation:
  their runs are identical).

The closing "checks" list, per data set, Somnium's default (topology) QE
over the original's, its TE minus the original's, whether any peer's map
Pareto-dominates it (lower or equal QE and TE, one of them lower), and the
original's time over Somnium's; and for the quantization emphasis its QE
over the best peer's and whether it is dominated.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

# Measure this checkout, whatever environment runs the script (the benchmark environments hold the
# peers; an older editable install there must not be what gets measured).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from somnium import SOM
from somnium.core import estimate_mapsize
from somnium.datasets import load_penguins
from somnium.lattice import Lattice

SQ3 = np.sqrt(3.0) / 2.0
SLOW = 5.0  # seconds: one run only above this


# ----------------------------------------------------------------- data sets
#: Map sizes that are not estimate_mapsize's: the original's getting-started notebook uses 15 x 10.
MAPS = {"notebook": (15, 10)}
#: Trustworthiness is O(N^2): above this many rows it is measured on a seeded sample.
TRUST_ROWS = 2000


def notebook_data(n=10_000, seed=0):
    """The original's getting-started data: weight, height, BMI, body fat and a noise column."""
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal(n) * 8 + 75
    height = rng.standard_normal(n) * 8 + 180
    bmi = 703 * weight / height**2
    fat = ((weight - 75) / 8) * 2 + 23.5 + rng.standard_normal(n) * 3
    noise = 10 + rng.standard_normal(n)
    return np.column_stack([weight, height, bmi, fat, noise])


def load_datasets(names=None):
    from sklearn import datasets as skd

    out = {}
    out["penguins"] = lambda: load_penguins(numeric_only=True).to_numpy(dtype=float)
    out["iris"] = lambda: skd.load_iris().data
    out["wine"] = lambda: skd.load_wine().data
    out["breast_cancer"] = lambda: skd.load_breast_cancer().data
    out["digits"] = lambda: skd.load_digits().data
    out["notebook"] = notebook_data
    result = {}
    for name, load in out.items():
        if names and name not in names:
            continue
        X = np.asarray(load(), dtype=float)
        X = X[:, X.std(axis=0) > 0]  # digits: 3 pixels are always 0
        result[name] = (X - X.mean(axis=0)) / X.std(axis=0)
    return result


def map_size(name, Z):
    return MAPS.get(name) or estimate_mapsize(Z, lattice="hexa")


# ------------------------------------------------------------ measurements
def to_lattice(pos, rows, cols):
    """Somnium node index of each of a library's nodes, from the library's own (x, y) node positions.

    ``pos`` are centres in lattice units (neighbours 1 apart, hex rows sqrt(3)/2 apart) in the library's
    own convention (odd or even rows shifted, rows possibly upside down).  Which rows are shifted on
    Somnium's side is read from ``Lattice(rows, cols, "hexa").coordinates``; the library's layout is
    mirrored in x if its shifted rows are the other ones, and the mapping is checked to be an isometry
    of the library's layout.
    """
    pos = np.asarray(pos, dtype=float)
    lattice = Lattice(rows, cols, "hexa")
    ref = lattice.coordinates
    ref_shift = ref[::cols, 0] - ref[:, 0].min()  # Somnium's shift of each row: 0 or 1/2
    r = np.rint((pos[:, 1] - pos[:, 1].min()) / SQ3).astype(int)

    def row_shift(x):
        lowest = np.full(rows, np.inf)
        np.minimum.at(lowest, r, x)
        return lowest - lowest.min()

    x = pos[:, 0] - pos[:, 0].min()
    if not np.allclose(row_shift(x), ref_shift, atol=1e-6):
        x = x.max() - x  # the library shifts the other rows: mirror its layout
        assert np.allclose(row_shift(x), ref_shift, atol=1e-6), "no mirror of the layout matches the lattice"
    c = np.rint(x - ref_shift[r]).astype(int)
    assert r.max() + 1 == rows and c.max() + 1 == cols, (r.max(), c.max(), rows, cols)
    nodes = r * cols + c
    assert len(np.unique(nodes)) == rows * cols
    mapped = ref[nodes]
    d_lib = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
    d_ref = np.hypot(*(mapped[:, None, :] - mapped[None, :, :]).transpose(2, 0, 1))
    assert np.allclose(d_lib, d_ref, atol=1e-6), "layout mapping is not an isometry"
    return nodes


def evaluate(Z, codebook, nodes, rows, cols):
    """QE (mean Euclidean), TE, trustworthiness and topographic product of a codebook whose row k is
    Somnium node nodes[k]."""
    from sklearn.manifold import trustworthiness

    from somnium.metrics import topographic_product

    lattice = Lattice(rows, cols, "hexa")
    W = np.empty_like(codebook, dtype=float)
    W[nodes] = codebook
    d2 = (Z * Z).sum(1)[:, None] - 2.0 * Z @ W.T + (W * W).sum(1)[None, :]
    order = np.argsort(d2, axis=1, kind="stable")[:, :2]
    first, second = order[:, 0], order[:, 1]
    qe = float(np.linalg.norm(Z - W[first], axis=1).mean())
    te = float(np.mean(~lattice.are_adjacent(first, second)))
    sample = np.arange(len(Z))
    if len(Z) > TRUST_ROWS:
        sample = np.sort(np.random.default_rng(0).choice(len(Z), TRUST_ROWS, replace=False))
    trust = float(trustworthiness(Z[sample], lattice.coordinates[first[sample]], n_neighbors=10))
    tp = float(topographic_product(W, lattice)["topographic_product"])
    return qe, te, trust, tp


# ------------------------------------------------------------------ peers
def hex_positions_minisom(rows, cols):
    """MiniSom / XPySom: weights[i, j] with i < x=cols, j < y=rows; rows are j; ``_xx[::-2] -= 0.5``."""
    i, j = np.meshgrid(np.arange(cols), np.arange(rows), indexing="ij")
    x = i - 0.5 * ((rows - 1 - j) % 2 == 0)
    return np.column_stack([x.ravel(), (j * SQ3).ravel()])


def somnium_topology(Z, rows, cols, seed):
    # Somnium's recommended call: SOM(...).fit_auto(X) (emphasis="topology", the default)
    model = SOM(mapsize=(rows, cols), lattice="hexa", random_state=seed)
    model.fit_auto(Z)
    return model.codebook_, np.arange(rows * cols)


def somnium_quantization(Z, rows, cols, seed):
    # SOM(...).fit_auto(X, emphasis="quantization")
    model = SOM(mapsize=(rows, cols), lattice="hexa", random_state=seed)
    model.fit_auto(Z, emphasis="quantization")
    return model.codebook_, np.arange(rows * cols)


def minisom(Z, rows, cols, seed):
    # MiniSom's BasicUsage example: sigma=1.5, learning_rate=.5, gaussian, PCA init, train(data, 1000)
    from minisom import MiniSom

    som = MiniSom(
        cols,
        rows,
        Z.shape[1],
        sigma=1.5,
        learning_rate=0.5,
        neighborhood_function="gaussian",
        topology="hexagonal",
        random_seed=seed,
    )
    som.pca_weights_init(Z)
    som.train(Z, 1000)
    W = som.get_weights().reshape(-1, Z.shape[1])
    return W, to_lattice(hex_positions_minisom(rows, cols), rows, cols)


def xpysom(Z, rows, cols, seed):
    # XPySom's README: XPySom(x, y, input_len, ...); som.train(data, 100); its defaults otherwise
    # (sigma min(x, y)/2 -> 1, std_coeff 0.5, learning rate 0.5 -> 0.01, exponential decay), on numpy.
    from xpysom import XPySom

    som = XPySom(cols, rows, Z.shape[1], topology="hexagonal", random_seed=seed, xp=np)
    som.train(Z.astype(np.float32), 100)
    W = np.asarray(som.get_weights()).reshape(-1, Z.shape[1])
    return W, to_lattice(hex_positions_minisom(rows, cols), rows, cols)


def somoclu(Z, rows, cols, seed):
    # Somoclu's documented example: Somoclu(n_columns, n_rows, compactsupport=False, initialization="pca");
    # som.train(data) with its defaults (10 epochs, radius min(cols, rows)/2 -> 1, scale 0.1 -> 0.01).
    import somoclu as sc

    np.random.seed(seed)
    som = sc.Somoclu(cols, rows, gridtype="hexagonal", compactsupport=False, initialization="pca")
    som.train(Z.astype(np.float32))
    W = som.codebook.reshape(-1, Z.shape[1])
    r, c = np.divmod(np.arange(rows * cols), cols)
    pos = np.column_stack([c + 0.5 * (r % 2 == 0), r * SQ3])  # its _hexplot: even rows shifted
    return W, to_lattice(pos, rows, cols)


def simpsom(Z, rows, cols, seed):
    # SimpSOM 2: SOMNet(height, width, data, PBC=False) (PCA init); net.train() with its defaults:
    # batch, epochs=-1 (10 x N epochs, sigma max(h, w)/2 -> 1).
    import simpsom as sps

    with contextlib.redirect_stdout(io.StringIO()):
        net = sps.SOMNet(rows, cols, Z, PBC=False, init="PCA", random_seed=seed)
        net.train(train_algo="batch", epochs=-1)
    W = np.array([n.weights for n in net.node_list])
    k = np.arange(rows * cols)
    x, y = k // rows, k % rows
    pos = np.column_stack([x + 0.5 * (y % 2), y * SQ3])  # simpsom.hexagons.coor_to_hex
    return W, to_lattice(pos, rows, cols)


_ORIGINAL = r"""
import json, sys, time
import numpy as np
from somnium.core import SOM
Z = np.load(sys.argv[1]); rows, cols = int(sys.argv[2]), int(sys.argv[3])
np.random.seed(int(sys.argv[4]))
start = time.perf_counter()
model = SOM(mapsize=(rows, cols), lattice="hexa", neighborhood="gaussian", normalization="standard",
            initialization="pca", distance_metric="euclidean", n_jobs=1)
model.fit_auto(Z)
elapsed = time.perf_counter() - start
np.save(sys.argv[5], model.codebook.matrix)
print(json.dumps({"time": elapsed, "te": float(model.calculate_topographic_error())}))
"""


def original_factory(path):
    """The original's fit_auto, run by the Python at ``path`` (or with ``path`` on PYTHONPATH if a folder)."""
    python, env = (sys.executable, dict(os.environ, PYTHONPATH=path)) if os.path.isdir(path) else (path, None)

    def original(Z, rows, cols, seed):
        # The original's README quick start: SOM(mapsize, lattice="hexa", neighborhood="gaussian",
        # normalization="standard", initialization="pca", distance_metric="euclidean", n_jobs=1);
        # model.fit_auto(data) (400 + 400 epochs)
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            data, out = os.path.join(tmp, "Z.npy"), os.path.join(tmp, "W.npy")
            np.save(data, Z)
            proc = subprocess.run(
                [python, "-c", _ORIGINAL, data, str(rows), str(cols), str(seed), out],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd=tmp,
            )
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            W = np.load(out)
        r, c = np.divmod(np.arange(rows * cols), cols)
        pos = np.column_stack([c + 0.5 * ((r + 1) % 2), r * SQ3])  # its HexaLattice: even rows shifted
        nodes = to_lattice(pos, rows, cols)
        own_te = result["te"]
        te = evaluate(Z, W, nodes, rows, cols)[1]
        assert abs(te - own_te) < 1e-9, f"TE {te} differs from the original's own {own_te}"
        return W, nodes, result["time"]

    return original


TOPOLOGY, QUANTIZATION, ORIGINAL = "Somnium topology", "Somnium quantization", "Original Somnium"
PEERS = {
    TOPOLOGY: (somnium_topology, None),
    QUANTIZATION: (somnium_quantization, None),
    "MiniSom": (minisom, "minisom"),
    "XPySom": (xpysom, "xpysom"),
    "Somoclu": (somoclu, "somoclu"),
    "SimpSOM": (simpsom, "simpsom"),
}


#: (library, data set) pairs not run, and why (measured on the machine of the README table).
SKIP = {
    ("SimpSOM", "digits"): "its default 10 x N = 17,970 batch epochs take ~80 min here (0.27 s each)",
    ("SimpSOM", "notebook"): "its default 10 x N = 100,000 batch epochs would take hours",
}


def available(module):
    if module is None:
        return True, ""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            mod = __import__(module)
    except Exception as error:  # any import failure means "skip"
        return False, f"not importable ({type(error).__name__}: {error})"
    if module == "somoclu":
        try:
            import somoclu.somoclu_wrap  # noqa: F401
        except Exception:
            return False, "installed without its compiled extension (cannot train)"
    return True, getattr(mod, "__version__", "")


def run_one(train, Z, rows, cols, seed):
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        result = train(Z, rows, cols, seed)
    elapsed = time.perf_counter() - start
    if len(result) == 3:
        W, nodes, elapsed = result
    else:
        W, nodes = result
    return (*evaluate(Z, W, nodes, rows, cols), elapsed)


def machine():
    cpu = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, numpy {np.__version__}"


def load_average() -> str:
    with contextlib.suppress(OSError):
        return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())
    return "load average unknown"


def print_table(rows_out):
    """The markdown table of the README (one row per data set and library; QE relative to the best)."""
    print("| data (N×D, map) | library | QE | TE | trust. | TP | time s | QE / best |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for dname in dict.fromkeys(r["data"] for r in rows_out):
        group = [r for r in rows_out if r["data"] == dname]
        best = min(r["qe"] for r in group)
        for r in group:
            n, d = r["shape"]
            head = f"{dname} ({n}×{d}, {r['map'][0]}×{r['map'][1]})"
            secs = f"{r['seconds']:.3f}" if r["seconds"] < 10 else f"{r['seconds']:.1f}"
            name = f"**{r['library']}**" if r["library"] in (TOPOLOGY, QUANTIZATION) else r["library"]
            print(
                f"| {head} | {name} | {r['qe']:.3f} | {r['te']:.3f} | {r['trust']:.3f} | {r['tp']:+.4f} | {secs}"
                f"{'' if r['runs'] > 1 else '¹'} | {r['qe'] / best:.2f} |"
            )


def dominated_by(row, group):
    """Libraries whose map Pareto-dominates ``row``'s in (QE, TE)."""
    return [
        r["library"]
        for r in group
        if r is not row
        and r["library"] not in (TOPOLOGY, QUANTIZATION)
        and r["qe"] <= row["qe"]
        and r["te"] <= row["te"]
        and (r["qe"] < row["qe"] or r["te"] < row["te"])
    ]


def print_checks(rows_out):
    """Per data set: the default against the original (QE ratio, TE difference, speed-up) and the peers."""
    print("\nchecks (topology: QE / original, TE - original, dominated by, original time / Somnium time;")
    print("        quantization: QE / best peer, dominated by)")
    for dname in dict.fromkeys(r["data"] for r in rows_out):
        group = {r["library"]: r for r in rows_out if r["data"] == dname}
        peers = [r for k, r in group.items() if k not in (TOPOLOGY, QUANTIZATION, ORIGINAL)]
        line = f"  {dname:14}"
        if TOPOLOGY in group:
            top = group[TOPOLOGY]
            if ORIGINAL in group:
                orig = group[ORIGINAL]
                line += (
                    f" topology QE x{top['qe'] / orig['qe']:.4f} TE {top['te'] - orig['te']:+.4f}"
                    f" speed-up x{orig['seconds'] / top['seconds']:.0f}"
                )
            line += f" dominated by {dominated_by(top, list(group.values())) or 'none'};"
        if QUANTIZATION in group and peers:
            quant = group[QUANTIZATION]
            best = min(r["qe"] for r in peers)
            line += (
                f" quantization QE / best peer x{quant['qe'] / best:.3f}"
                f" dominated by {dominated_by(quant, list(group.values())) or 'none'}"
            )
        print(line)


#: How each library is drawn in the picture.
STYLE = {
    TOPOLOGY: dict(marker="*", s=220, color="#d62728", zorder=5),
    QUANTIZATION: dict(marker="*", s=220, color="#1f77b4", zorder=5),
    ORIGINAL: dict(marker="s", s=70, color="#2ca02c"),
    "MiniSom": dict(marker="o", s=60, color="#9467bd"),
    "XPySom": dict(marker="^", s=70, color="#8c564b"),
    "Somoclu": dict(marker="v", s=70, color="#e377c2"),
    "SimpSOM": dict(marker="D", s=55, color="#7f7f7f"),
}


def plot(rows_out, path, title):
    """QE against TE, one panel per data set, every library a marker (lower left is better)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["data"] for r in rows_out))
    ncols = 3
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.6 * nrows + 0.6), squeeze=False)
    for ax, dname in zip(axes.flat, names, strict=False):
        group = [r for r in rows_out if r["data"] == dname]
        for r in group:
            style = STYLE.get(r["library"], dict(marker="x", s=60, color="black"))
            ax.scatter(r["te"], r["qe"], label=r["library"], edgecolors="black", linewidths=0.5, **style)
        n, d = group[0]["shape"]
        ax.set_title(f"{dname} ({n}×{d}, map {group[0]['map'][0]}×{group[0]['map'][1]})", fontsize=10)
        ax.set_xlabel("topographic error (TE)")
        ax.set_ylabel("quantization error (QE)")
        ax.grid(alpha=0.3)
        ax.set_xlim(left=-0.005)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    handles, labels = {}, []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    labels = list(handles)
    fig.legend([handles[k] for k in labels], labels, loc="lower center", ncol=min(len(labels), 7), fontsize=9)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    fig.savefig(path, dpi=110)
    print(f"# picture: {path}")


def load_saved(paths):
    merged = {}
    for path in paths.split(","):
        with open(path) as f:
            for r in json.load(f):
                merged[r["data"], r["library"]] = r
    order = list(dict.fromkeys(r["data"] for r in merged.values()))
    libs = list(dict.fromkeys(r["library"] for r in merged.values()))
    return sorted(merged.values(), key=lambda r: (order.index(r["data"]), libs.index(r["library"])))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--datasets", default="")
    parser.add_argument("--libraries", default="", help="comma-separated names from PEERS (and 'original')")
    parser.add_argument(
        "--original", default="", help="the Python of an environment with ivallesp/somnium, or a checkout"
    )
    parser.add_argument(
        "--skip", default="", help="library:dataset pairs not to run (comma-separated), e.g. SimpSOM:digits"
    )
    parser.add_argument("--json", default="", help="also write the results here")
    parser.add_argument("--plot", default="", help="draw QE against TE per data set into this PNG")
    parser.add_argument(
        "--table-from", default="", help="only print the table (and --plot) of saved --json files (later win)"
    )
    args = parser.parse_args(argv)
    title = f"fit_auto's two emphases against the peers ({date.today().isoformat()}, {os.cpu_count()} cores)"
    if args.table_from:
        rows = load_saved(args.table_from)
        print_table(rows)
        print_checks(rows)
        if args.plot:
            plot(rows, args.plot, title)
        return
    peers = dict(PEERS)
    if args.original:
        peers[ORIGINAL] = (original_factory(args.original), None)
    if args.libraries:
        wanted = {name.strip().lower() for name in args.libraries.split(",")}
        peers = {k: v for k, v in peers.items() if any(w in k.lower() for w in wanted)}
    names = [n for n in args.datasets.split(",") if n] or None
    skip = dict(SKIP)
    for pair in filter(None, args.skip.split(",")):
        library, dataset = pair.split(":")
        skip[library, dataset] = "--skip"
    print(f"# {date.today().isoformat()}, {machine()}, {load_average()}", flush=True)
    runnable = {}
    for label, (train, module) in peers.items():
        ok, note = available(module)
        if ok:
            runnable[label] = train
            print(f"# {label} {note}".rstrip(), flush=True)
        else:
            print(f"# skipped {label}: {note}", flush=True)
    rows_out = []
    for dname, Z in load_datasets(names).items():
        rows, cols = map_size(dname, Z)
        runs = {}
        for label, train in runnable.items():
            if (label, dname) in skip:
                print(f"# {dname} {label}: skipped, {skip[label, dname]}", flush=True)
                continue
            runs[label] = [run_one(train, Z, rows, cols, 0)]
        # the repeated runs go round-robin over the libraries, so that a busy moment of the machine
        # slows them all rather than one of them
        fast = [label for label in runs if runs[label][0][4] < SLOW]
        for seed in range(1, args.runs):
            for label in fast:
                runs[label].append(run_one(runnable[label], Z, rows, cols, seed))
        for label, done in runs.items():
            qe, te, trust, tp, seconds = (statistics.median(r[k] for r in done) for k in range(5))
            times = [r[4] for r in done]
            rows_out.append(
                dict(data=dname, shape=Z.shape, map=(rows, cols), library=label, qe=qe, te=te, trust=trust,
                     tp=tp, seconds=seconds, seconds_min=min(times), seconds_max=max(times), runs=len(done))
            )  # fmt: skip
            print(
                f"# {dname} {label}: QE {qe:.4f} TE {te:.4f} trust {trust:.4f} TP {tp:+.5f} {seconds:.3f}s"
                f" ({min(times):.3f}-{max(times):.3f}, {len(done)} runs)",
                flush=True,
            )
        print(f"# {load_average()}", flush=True)
    print()
    print_table(rows_out)
    print_checks(rows_out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows_out, f, indent=1, default=list)
    if args.plot:
        plot(rows_out, args.plot, title)


if __name__ == "__main__":
    main()
