"""Map quality against other SOM libraries on real data sets.

Usage (in a separate benchmark environment, never the project's own)::

    python -m venv /work/bench-env
    /work/bench-env/bin/pip install minisom xpysom somoclu simpsom scikit-learn
    /work/bench-env/bin/pip install -e .
    /work/bench-env/bin/python benchmarks/bench_quality.py [--quick] [--datasets iris,wine]

A peer that is not installed is skipped (the script says so).  ``somoclu``'s
binary extension needs a compiler (``CUDAHOME=/nonexistent pip install
--no-build-isolation somoclu`` builds the CPU version); without it somoclu
imports but cannot train and is skipped.  The original Somnium
(ivallesp/somnium, not on PyPI) is run when ``--original PATH`` names a
checkout; it is imported in a subprocess because its package is also called
``somnium``.

What is compared
----------------
Data sets: Somnium's bundled penguins (342 x 4) and scikit-learn's bundled
iris (150 x 4), wine (178 x 13), breast_cancer (569 x 30) and digits
(1797 x 64; its 3 constant pixels dropped, leaving 61 features).  Every data
set is z-scored once (population std) and every library gets the same
z-scored array and the same hexagonal map size, Somnium's
``estimate_mapsize`` (about 5 sqrt(N) nodes).

Each library is called the way its own documentation recommends, with only
the map size and a hexagonal topology set by us (see ``PEERS`` below for
the exact calls).  All measures are computed here, with the same code, from
each library's trained codebook on the same z-scored data:

- QE: mean Euclidean distance from each row to its BMU prototype.
- TE: fraction of rows whose first and second BMU are not adjacent on the
  hexagonal lattice.  Each library's node order and hex layout is mapped
  onto ``somnium.lattice.Lattice(rows, cols, "hexa")`` (even rows shifted)
  by :func:`to_lattice`, which checks that the mapping preserves every
  pairwise node distance of the library's own layout.  Checked: for MiniSom
  this QE and TE equal its own ``quantization_error`` and hexagonal
  ``topographic_error`` exactly.  Somoclu's layout is the one its own
  hexagonal plots draw (even rows shifted); its C training kernel uses an
  approximate hex distance of its own.
- trust: ``sklearn.manifold.trustworthiness`` (k=10) between the data and
  each row's BMU position on the lattice (rows that share a BMU tie at
  distance 0).
- time: wall seconds of the training call(s), initialisation included; the
  median of ``--runs`` runs (seeds 0, 1, ...; run round-robin over the
  libraries) for the libraries whose first run takes less than ``SLOW``
  seconds, one run otherwise (marked ¹).  QE/TE/trust are the medians over
  the same runs.
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

import numpy as np

from somnium import SOM
from somnium.core import estimate_mapsize
from somnium.datasets import load_penguins
from somnium.lattice import Lattice

SQ3 = np.sqrt(3.0) / 2.0
SLOW = 5.0  # seconds: one run only above this


# ----------------------------------------------------------------- data sets
def load_datasets(names=None):
    from sklearn import datasets as skd

    out = {}
    out["penguins"] = load_penguins(numeric_only=True).to_numpy(dtype=float)
    out["iris"] = skd.load_iris().data
    out["wine"] = skd.load_wine().data
    out["breast_cancer"] = skd.load_breast_cancer().data
    out["digits"] = skd.load_digits().data
    result = {}
    for name, X in out.items():
        if names and name not in names:
            continue
        X = np.asarray(X, dtype=float)
        X = X[:, X.std(axis=0) > 0]  # digits: 3 pixels are always 0
        result[name] = (X - X.mean(axis=0)) / X.std(axis=0)
    return result


# ------------------------------------------------------------ measurements
def to_lattice(pos, rows, cols):
    """Somnium node index of each of a library's nodes, from the library's own (x, y) node positions.

    ``pos`` are centres in lattice units (neighbours 1 apart, hex rows sqrt(3)/2 apart) in the library's
    own convention (odd or even rows shifted, rows possibly upside down).  Mirrors x if needed so that
    the shifted rows are Somnium's (:meth:`Lattice.row_offsets`: the even ones, as the original) and
    checks that the mapping is an isometry of the library's layout.
    """
    pos = np.asarray(pos, dtype=float)
    lattice = Lattice(rows, cols, "hexa")
    offsets = lattice.row_offsets()
    r = np.rint((pos[:, 1] - pos[:, 1].min()) / SQ3).astype(int)
    x = pos[:, 0] - pos[:, 0].min()
    shift = (x - np.floor(x + 1e-9)) > 0.25  # nodes in half-shifted rows
    if shift[offsets[r] == 0].any():  # the other rows shifted: mirror x
        x = x.max() - x
    x = x - x.min()
    c = np.rint(x - offsets[r]).astype(int)
    assert r.max() + 1 == rows and c.max() + 1 == cols, (r.max(), c.max(), rows, cols)
    nodes = r * cols + c
    assert len(np.unique(nodes)) == rows * cols
    ref = lattice.coordinates[nodes]
    d_lib = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
    d_ref = np.hypot(*(ref[:, None, :] - ref[None, :, :]).transpose(2, 0, 1))
    assert np.allclose(d_lib, d_ref, atol=1e-6), "layout mapping is not an isometry"
    return nodes


def evaluate(Z, codebook, nodes, rows, cols):
    """QE (mean Euclidean), TE and trustworthiness of a codebook whose row k is Somnium node nodes[k]."""
    from sklearn.manifold import trustworthiness

    lattice = Lattice(rows, cols, "hexa")
    W = np.empty_like(codebook, dtype=float)
    W[nodes] = codebook
    d2 = (Z * Z).sum(1)[:, None] - 2.0 * Z @ W.T + (W * W).sum(1)[None, :]
    order = np.argsort(d2, axis=1, kind="stable")[:, :2]
    first, second = order[:, 0], order[:, 1]
    qe = float(np.linalg.norm(Z - W[first], axis=1).mean())
    te = float(np.mean(~lattice.are_adjacent(first, second)))
    trust = float(trustworthiness(Z, lattice.coordinates[first], n_neighbors=10))
    return qe, te, trust


# ------------------------------------------------------------------ peers
def hex_positions_minisom(rows, cols):
    """MiniSom / XPySom: weights[i, j] with i < x=cols, j < y=rows; rows are j; ``_xx[::-2] -= 0.5``."""
    i, j = np.meshgrid(np.arange(cols), np.arange(rows), indexing="ij")
    x = i - 0.5 * ((rows - 1 - j) % 2 == 0)
    return np.column_stack([x.ravel(), (j * SQ3).ravel()])


def somnium_new(Z, rows, cols, seed):
    # Somnium's recommended call: SOM(...).fit_auto(X)
    model = SOM(mapsize=(rows, cols), lattice="hexa", random_state=seed)
    model.fit_auto(Z)
    return model.codebook_, np.arange(rows * cols)


def somnium_old(Z, rows, cols, seed):
    # fit_auto's schedule before issue #9: 6 linear + 12 exponential epochs ending at radius 1
    model = SOM(mapsize=(rows, cols), lattice="hexa", random_state=seed)
    rough_in = max(1.0, max(rows, cols) / 3.0)
    rough_fin = max(1.0, rough_in / 4.0)
    model.fit(Z, 6, radiusin=rough_in, radiusfin=rough_fin, decay="linear")
    fine_in = max(1.0, min(rough_fin, max(rows, cols) / 12.0))
    model.fit(Z, 12, radiusin=fine_in, radiusfin=1.0, decay="exponential")
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
model = SOM(mapsize=(rows, cols), lattice="hexa", n_jobs=-1)
model.fit_auto(Z)
elapsed = time.perf_counter() - start
np.save(sys.argv[5], model.codebook.matrix)
print(json.dumps({"time": elapsed}))
"""


def original_factory(path):
    def original(Z, rows, cols, seed):
        # The original's README: SOM(mapsize, lattice="hexa", ...); model.fit_auto(data) (400 + 400 epochs)
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            data, out = os.path.join(tmp, "Z.npy"), os.path.join(tmp, "W.npy")
            np.save(data, Z)
            env = dict(os.environ, PYTHONPATH=path)
            proc = subprocess.run(
                [sys.executable, "-c", _ORIGINAL, data, str(rows), str(cols), str(seed), out],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd=tmp,
            )
            elapsed = json.loads(proc.stdout.strip().splitlines()[-1])["time"]
            W = np.load(out)
        r, c = np.divmod(np.arange(rows * cols), cols)
        pos = np.column_stack([c + 0.5 * ((r + 1) % 2), r * SQ3])  # its HexaLattice: even rows shifted
        return W, to_lattice(pos, rows, cols), elapsed

    return original


PEERS = {
    "Somnium fit_auto": (somnium_new, None),
    "Somnium old 6+12": (somnium_old, None),
    "MiniSom": (minisom, "minisom"),
    "XPySom": (xpysom, "xpysom"),
    "Somoclu": (somoclu, "somoclu"),
    "SimpSOM": (simpsom, "simpsom"),
}


#: (library, data set) pairs not run, and why (measured on the machine of the README table).
SKIP = {
    ("SimpSOM", "digits"): "its default 10 x N = 17,970 batch epochs take ~80 min here (0.27 s each)",
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


def print_table(rows_out):
    """The markdown table of the README (one row per data set and library; QE relative to the best)."""
    print("| data (N×D, map) | library | QE | TE | trust. | time s | QE / best |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for dname in dict.fromkeys(r["data"] for r in rows_out):
        group = [r for r in rows_out if r["data"] == dname]
        best = min(r["qe"] for r in group)
        for r in group:
            n, d = r["shape"]
            head = f"{dname} ({n}×{d}, {r['map'][0]}×{r['map'][1]})"
            secs = f"{r['seconds']:.3f}" if r["seconds"] < 10 else f"{r['seconds']:.1f}"
            print(
                f"| {head} | {r['library']} | {r['qe']:.3f} | {r['te']:.3f} | {r['trust']:.3f} | {secs}"
                f"{'' if r['runs'] > 1 else '¹'} | {r['qe'] / best:.2f} |"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--datasets", default="")
    parser.add_argument("--libraries", default="", help="comma-separated names from PEERS (and 'original')")
    parser.add_argument("--original", default="", help="path of a checkout of ivallesp/somnium")
    parser.add_argument("--json", default="", help="also write the results here")
    parser.add_argument(
        "--table-from", default="", help="only print the table of saved --json files (later ones win)"
    )
    args = parser.parse_args(argv)
    if args.table_from:
        merged = {}
        for path in args.table_from.split(","):
            with open(path) as f:
                for r in json.load(f):
                    merged[r["data"], r["library"]] = r
        order = list(dict.fromkeys(r["data"] for r in merged.values()))
        libs = list(dict.fromkeys(r["library"] for r in merged.values()))
        rows = sorted(merged.values(), key=lambda r: (order.index(r["data"]), libs.index(r["library"])))
        print_table(rows)
        return
    peers = dict(PEERS)
    if args.original:
        peers["Original Somnium 400+400"] = (original_factory(args.original), None)
    if args.libraries:
        wanted = {name.strip().lower() for name in args.libraries.split(",")}
        peers = {k: v for k, v in peers.items() if any(w in k.lower() for w in wanted)}
    names = [n for n in args.datasets.split(",") if n] or None
    print(f"# {date.today().isoformat()}, {machine()}", flush=True)
    runnable = {}
    for label, (train, module) in peers.items():
        ok, note = available(module)
        if ok:
            runnable[label] = train
        else:
            print(f"# skipped {label}: {note}", flush=True)
    rows_out = []
    for dname, Z in load_datasets(names).items():
        rows, cols = estimate_mapsize(Z, lattice="hexa")
        runs = {}
        for label, train in runnable.items():
            if (label, dname) in SKIP:
                print(f"# {dname} {label}: skipped, {SKIP[label, dname]}", flush=True)
                continue
            runs[label] = [run_one(train, Z, rows, cols, 0)]
        # the repeated runs go round-robin over the libraries, so that a busy moment of the machine
        # slows them all rather than one of them
        fast = [label for label in runs if runs[label][0][3] < SLOW]
        for seed in range(1, args.runs):
            for label in fast:
                runs[label].append(run_one(runnable[label], Z, rows, cols, seed))
        for label, done in runs.items():
            qe, te, trust, seconds = (statistics.median(r[k] for r in done) for k in range(4))
            rows_out.append(
                dict(data=dname, shape=Z.shape, map=(rows, cols), library=label, qe=qe, te=te, trust=trust,
                     seconds=seconds, runs=len(done))
            )  # fmt: skip
            print(f"# {dname} {label}: QE {qe:.4f} TE {te:.3f} trust {trust:.4f} {seconds:.3f}s", flush=True)
    print()
    print_table(rows_out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows_out, f, indent=1, default=list)


if __name__ == "__main__":
    main()
