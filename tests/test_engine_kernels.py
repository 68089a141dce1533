"""The engine's two BMU paths (numpy, numba kernels) and the online epochs against brute-force references."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from somnium import _online, engine
from somnium.lattice import LATTICES, Lattice
from somnium.neighborhood import NEIGHBORHOODS
from tests.support.reference import brute_bmus, brute_distances, kernel_value

ROWS, COLS = 6, 7


@pytest.fixture(autouse=True)
def quiet_twisted_torus_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def tied_problem(seed=0, n_rows=1500, n_features=4):
    """Rows around prototypes, several of which are exact duplicates (first- and second-place ties).

    Node 0 duplicates node 16 and node 2 duplicates node 24: rows near node 16's neighbours find the
    tie for second place between a neighbour (16) and a lower-index non-neighbour (0), where the
    first index wins (masking the BMU and taking argmin again); rows near 16 itself tie for first.
    """
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(ROWS * COLS, n_features))
    for a, b in ((0, 16), (2, 24), (40, 41)):
        W[a] = W[b]
    centres = rng.integers(0, ROWS * COLS, n_rows)
    X = W[centres] + 0.4 * rng.normal(size=(n_rows, n_features))
    return X, W


@pytest.mark.parametrize("lattice", list(LATTICES))
def test_pass_statistics_equal_brute_force_with_ties(lattice, path):
    X, W = tied_problem()
    lat = Lattice(ROWS, COLS, lattice)
    data = engine.TrainingData(X, X.mean(axis=0), dtype=np.float64)
    stats, bmus = engine.epoch_statistics(data, W, lat, with_metrics=True, return_bmus=True)
    first, second, d = brute_bmus(X, W)
    adjacent = np.abs(brute_distances(ROWS, COLS, lattice) - 1.0) < 1e-9
    np.testing.assert_array_equal(bmus, first)
    np.testing.assert_array_equal(engine.find_bmus(data, W), first)
    # the tie cases are exercised: duplicates hold first or second place for many rows
    assert np.isin(first, [0, 16, 2, 24, 40, 41]).sum() > 50 and np.isin(second, [0, 2, 40]).sum() > 20
    assert stats.topographic_errors == (~adjacent[first, second]).sum()
    assert stats.abs_error == pytest.approx(np.abs(X - W[first]).mean(axis=1).sum(), rel=1e-12)
    assert stats.sq_distance == pytest.approx(d[np.arange(len(X)), first].sum(), rel=1e-12)
    assert stats.distance == pytest.approx(np.sqrt(d[np.arange(len(X)), first]).sum(), rel=1e-12)
    np.testing.assert_array_equal(stats.hits, np.bincount(first, minlength=W.shape[0]))
    sums = np.zeros_like(W)
    np.add.at(sums, first, X)
    np.testing.assert_allclose(stats.sums, sums, rtol=1e-12, atol=1e-12)
    node_abs = np.bincount(first, weights=np.abs(X - W[first]).mean(axis=1), minlength=W.shape[0])
    row_sq = d[np.arange(len(X)), first]
    node_sq = np.bincount(first, weights=row_sq, minlength=W.shape[0])
    node_distance = np.bincount(first, weights=np.sqrt(row_sq), minlength=W.shape[0])
    # the per-node terms: summed block by block (no BMUs kept), or built from the kept rows
    summed, _ = engine.epoch_statistics(data, W, lat, with_metrics=True)
    assert stats.node_abs_error is None  # a pass keeping its rows builds them only when asked
    for node_terms in (summed, stats.with_node_terms(bmus)):
        np.testing.assert_allclose(node_terms.node_abs_error, node_abs, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(node_terms.node_sq_distance, node_sq, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(node_terms.node_distance, node_distance, rtol=1e-12, atol=1e-12)
        assert node_terms.distances.n == len(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_both_paths_give_identical_passes(dtype, monkeypatch):
    """Same float32 (or float64) distances, same tie rules: the same BMUs, sums and counts, bit for bit."""
    pytest.importorskip("numba")
    X, W = tied_problem(seed=3, n_rows=5000)
    lat = Lattice(ROWS, COLS, "hexa")
    data = engine.TrainingData(X, X.mean(axis=0), dtype=dtype)
    # small blocks and tiles: many of each, and a tile height that does not divide the rows
    monkeypatch.setattr(engine, "_block_rows", lambda n_nodes: 700)
    monkeypatch.setattr(engine, "_tile_rows", lambda n_nodes, itemsize, block_rows: 97)
    results = {}
    for use_numba in (False, True):
        monkeypatch.setattr(engine, "USE_NUMBA", use_numba)
        results[use_numba] = engine.epoch_statistics(
            data, W, lat, with_metrics=True, return_bmus=True, n_jobs=2
        )
        assert np.array_equal(engine.find_bmus(data, W), results[use_numba][1])
    (a, bmu_a), (b, bmu_b) = results[False], results[True]
    np.testing.assert_array_equal(bmu_a, bmu_b)
    np.testing.assert_array_equal(a.hits, b.hits)
    np.testing.assert_array_equal(a.sums, b.sums)
    assert a.topographic_errors == b.topographic_errors
    assert a.abs_error == pytest.approx(b.abs_error, rel=1e-12)
    assert a.sq_distance == pytest.approx(b.sq_distance, rel=1e-12)


@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_kernel_centres_rows_to_the_same_bits_as_numpy(x_dtype, dtype):
    """The GEMM's left side ``[x - c, 1]``: the numba loop and numpy's subtraction give the same values
    (``x - c`` in float64, rounded once to ``dtype``), far from the origin and for any slice of rows."""
    pytest.importorskip("numba")
    from somnium import _kernels as kernels

    rng = np.random.default_rng(0)
    X = (1e4 + rng.normal(size=(700, 5)) * rng.uniform(1e-3, 1e3, 5)).astype(x_dtype)
    data = engine.TrainingData(X, X.mean(axis=0, dtype=np.float64) + 0.1234567, dtype=dtype)
    for rows in (slice(0, 700), slice(13, 110), slice(699, 700)):
        expected = engine._centred_rows(data, rows).copy()  # both write this thread's scratch
        centred = engine._centred_rows(data, rows, kernels)
        assert centred.dtype == data.dtype and centred.shape == (rows.stop - rows.start, 6)
        np.testing.assert_array_equal(centred, expected)
        np.testing.assert_array_equal(centred[:, -1], 1.0)
        reference = (X[rows].astype(np.float64) - data.center).astype(data.dtype)
        np.testing.assert_array_equal(centred[:, :-1], reference)


def test_single_node_map_has_no_topographic_errors(path):
    X = np.random.default_rng(0).normal(size=(50, 3))
    W = X[:1].copy()
    data = engine.TrainingData(X, X.mean(axis=0))
    stats, bmus = engine.epoch_statistics(data, W, Lattice(1, 1, "rect"), with_metrics=True, return_bmus=True)
    assert stats.topographic_errors == 0 and not bmus.any()
    assert stats.abs_error == pytest.approx(np.abs(X - W[0]).mean(axis=1).sum())


# ------------------------------------------------------------------ online
def reference_online_epoch(X, W, order, radii, rates, rows, cols, lattice, neighborhood):
    """The sequential rule from its definition: brute-force BMU, every node updated with the full kernel."""
    distances = brute_distances(rows, cols, lattice)
    for step, row in enumerate(order):
        x = X[row]
        b = int(np.argmin(((W - x) ** 2).sum(axis=1)))
        if radii[step] == 0:
            h = (np.arange(len(W)) == b).astype(float)
        else:
            h = kernel_value(neighborhood, distances[b], radii[step])
        W += rates[step] * h[:, None] * (x - W)
    return W


@pytest.mark.parametrize("lattice", list(LATTICES))
@pytest.mark.parametrize("use_numba", [False, True])
def test_online_epoch_equals_the_rule_on_every_lattice_and_kernel(lattice, use_numba):
    if use_numba:
        pytest.importorskip("numba")
    rng = np.random.default_rng(7)
    X = rng.normal(size=(150, 3))
    for rows, cols in ((5, 7), (12, 15)):
        for neighborhood in NEIGHBORHOODS:
            # Radii from above the map down to 0.3: the reach truncation and the radius-0 limit both act.
            n = 120 if neighborhood != "mexican_hat" else 40  # the hat pushes nodes apart: keep it short
            order = rng.permutation(len(X))[:n]
            radii = np.concatenate([np.linspace(9.0, 0.3, n - 2), [0.0, 0.0]])
            rates = np.linspace(0.5, 0.05, n)
            W0 = 0.3 * rng.normal(size=(rows * cols, 3))
            expected = reference_online_epoch(
                X, W0.copy(), order, radii, rates, rows, cols, lattice, neighborhood
            )
            got = W0.copy()
            stats = _online.online_epoch(
                X, got, order, radii, rates, Lattice(rows, cols, lattice), neighborhood, use_numba=use_numba
            )
            np.testing.assert_allclose(
                got, expected, rtol=1e-9, atol=1e-9, err_msg=f"{neighborhood} {rows}x{cols}"
            )
            assert stats.hits.sum() == n


@pytest.mark.parametrize("step", [1.0, np.sqrt(3) / 2])
@pytest.mark.parametrize("radius", [0.05, 0.3, 1.0, 7.5, 60.0])
def test_the_online_gaussian_recurrence_matches_exp(step, radius):
    """The online kernel's factors come from a recurrence, restarted from exp now and then: every
    value within 1e-12 of exp's (relative), going outward either way, underflowing to 0 cleanly."""
    kernels = pytest.importorskip("somnium._kernels")
    inv = 1.0 / (2.0 * radius * radius)
    ratio = np.exp(-2.0 * step * step * inv)
    for d0 in (0.0, 0.5, 0.25):
        out = np.full(401, np.nan)
        kernels._gaussians(out, 200, 201, 1, d0, step, inv, ratio)
        kernels._gaussians(out, 199, 200, -1, step - d0, step, inv, ratio)
        d = d0 + step * (np.arange(401) - 200.0)
        np.testing.assert_allclose(out, np.exp(-d * d * inv), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("use_numba", [False, True])
def test_online_epoch_statistics_when_asked(use_numba):
    if use_numba:
        pytest.importorskip("numba")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3))
    lat = Lattice(4, 5, "hexa")
    W = 0.3 * rng.normal(size=(20, 3))
    order = rng.permutation(80)
    radii, rates = np.full(80, 1.0), np.full(80, 0.1)
    # the reference: replay the rule, measuring each row against the codebook of that moment
    work, abs_error, sq, te = W.copy(), 0.0, 0.0, 0
    adjacent = np.abs(brute_distances(4, 5, "hexa") - 1.0) < 1e-9
    for step, row in enumerate(order):
        first, second, d = brute_bmus(X[row : row + 1], work)
        abs_error += np.abs(X[row] - work[first[0]]).mean()
        sq += d[0, first[0]]
        te += not adjacent[first[0], second[0]]
        reference_online_epoch(
            X, work, [row], radii[step : step + 1], rates[step : step + 1], 4, 5, "hexa", "gaussian"
        )
    got = W.copy()
    stats = _online.online_epoch(
        X, got, order, radii, rates, lat, "gaussian", use_numba=use_numba, with_metrics=True
    )
    assert stats.abs_error == pytest.approx(abs_error, rel=1e-9)
    assert stats.sq_distance == pytest.approx(sq, rel=1e-9)
    assert stats.topographic_errors == te
    quiet = _online.online_epoch(X, W.copy(), order, radii, rates, lat, "gaussian", use_numba=use_numba)
    assert np.isnan(quiet.abs_error) and quiet.hits.sum() == 80


# ------------------------------------------------------------- start-up
def run_fresh(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_and_a_small_fit_load_neither_scipy_statistics_nor_numba():
    loaded = run_fresh(
        "import json, sys\n"
        "import somnium\n"
        "at_import = sorted(m for m in ('scipy.stats', 'scipy.spatial', 'numba', 'concurrent.futures') if m in sys.modules)\n"
        "from somnium import SOM\n"
        "from somnium.datasets import make_blobs\n"
        "SOM(random_state=0).fit_auto(make_blobs(150, 4, n_clusters=3, random_state=0))\n"
        "after_fit = sorted(m for m in ('scipy.stats', 'scipy.spatial', 'numba') if m in sys.modules)\n"
        "print(json.dumps(dict(at_import=at_import, after_fit=after_fit)))\n"
    )
    assert loaded == {"at_import": [], "after_fit": []}


def test_everything_trains_without_numba():
    # numba made unimportable in a fresh interpreter: batch and online fits take the numpy paths.
    result = run_fresh(
        "import json, sys\n"
        "sys.modules['numba'] = None\n"
        "import numpy as np\n"
        "from somnium import SOM, engine\n"
        "from somnium.datasets import make_blobs\n"
        "X = make_blobs(3000, 5, n_clusters=4, random_state=0)\n"
        "model = SOM(mapsize=(6, 7), random_state=0).fit(X, epochs=3, collect_history=True)\n"
        "model.fit_online(X, epochs=1)\n"
        "print(json.dumps(dict(te=model.calculate_topographic_error(), kernels=engine.numba_kernels() is None)))\n"
    )
    assert result["kernels"] and 0 <= result["te"] <= 1
