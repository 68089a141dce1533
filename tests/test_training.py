"""Training, prediction and metrics against independent references."""

import itertools
import warnings

import numpy as np
import pytest

from somnium import SOM, _auto, _online, engine
from somnium.lattice import LATTICES
from somnium.neighborhood import NEIGHBORHOODS, NeighborhoodOperator
from tests.support.reference import brute_bmus, brute_distances, dense_batch_epoch


def blobs(n=240, d=4, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-4, 4, size=(4, d))
    labels = rng.integers(0, 4, size=n)
    return centres[labels] + rng.normal(size=(n, d)) + offset


@pytest.fixture(autouse=True)
def quiet_twisted_torus_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


# ---------------------------------------------------------------- BMU search
def test_float64_bmus_equal_brute_force():
    X = blobs(500, 6)
    model = SOM(mapsize=(7, 9), dtype="float64", random_state=0).fit(X, epochs=3)
    Xn = model.normalize(X)
    expected, _, _ = brute_bmus(Xn, model.normalized_codebook_)
    np.testing.assert_array_equal(model.predict(X), expected)
    np.testing.assert_array_equal(model.bmu_, expected)


@pytest.mark.parametrize("offset", [0.0, 1000.0])
def test_float32_bmus_are_nearest_up_to_float32_rounding(offset):
    # A common offset of 1000 breaks an uncentred float32 GEMM; the engine centres internally.
    X = blobs(800, 5, offset=offset)
    model = SOM(mapsize=(8, 8), normalization="none", random_state=0).fit(X, epochs=2)
    W = model.normalized_codebook_
    _, _, d = brute_bmus(X, W)
    got = model.predict(X)
    chosen = d[np.arange(len(X)), got]
    assert np.all(chosen <= d.min(axis=1) * (1 + 1e-4) + 1e-6)
    assert (got == d.argmin(axis=1)).mean() > 0.99


def test_chunked_and_threaded_search_equal_single_pass(monkeypatch):
    X = blobs(3000, 5)
    model = SOM(mapsize=(6, 6), dtype="float64", random_state=0).fit(X, epochs=2)
    single = model.predict(X)
    monkeypatch.setattr(engine, "_block_rows", lambda n_nodes: 97)
    monkeypatch.setattr(engine, "_tile_rows", lambda n_nodes, itemsize, block_rows: 13)
    model.n_jobs = 2
    np.testing.assert_array_equal(model.predict(X), single)


def test_the_calling_thread_shares_the_blocks_and_results_come_in_block_order():
    """The pass's blocks run on the pool and the calling thread, finishing in any order (random
    delays), and come out in block order, each once, equal to a plain map."""
    import random
    import threading
    import time

    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=40, deadline=None)
    @given(st.integers(1, 40), st.integers(2, 4), st.integers(0, 2**32 - 1))
    def check(n_blocks, workers, seed):
        delays = random.Random(seed).choices([0.0, 0.0005, 0.002], k=n_blocks)
        threads = set()

        def work(index):
            threads.add(threading.get_ident())
            time.sleep(delays[index])
            return index * index

        assert list(engine._shared_map(work, list(range(n_blocks)), workers)) == [
            i * i for i in range(n_blocks)
        ]
        assert len(threads) <= workers

    check()
    ran_on = set()

    def slow(index):
        ran_on.add(threading.get_ident())
        time.sleep(0.005)
        return index

    assert list(engine._shared_map(slow, list(range(40)), 2)) == list(range(40))
    assert threading.get_ident() in ran_on and len(ran_on) == 2


def test_a_failing_block_is_raised_in_turn_and_no_block_runs_after_the_pass():
    import threading
    import time

    running, finished, lock = [0], [], threading.Lock()

    def work(index):
        with lock:
            running[0] += 1
        try:
            time.sleep(0.002)
            if index == 5:
                raise ValueError("block 5")
            return index
        finally:
            with lock:
                running[0] -= 1
                finished.append(index)

    got = []
    with pytest.raises(ValueError, match="block 5"):
        for result in engine._shared_map(work, list(range(40)), 3):
            got.append(result)
    assert got == [0, 1, 2, 3, 4]
    assert running[0] == 0  # every thread is done with this pass's arrays
    stopped = len(finished)
    time.sleep(0.02)
    assert len(finished) == stopped < 40  # the rest never started

    # A reader that stops early: the pool stops taking blocks and is done before close() returns.
    running[0], finished[:] = 0, []
    reader = engine._shared_map(lambda i: work(i + 100), list(range(40)), 2)
    assert next(reader) == 100
    reader.close()
    assert running[0] == 0 and len(finished) < 40


def test_a_blocks_tiles_cover_it_in_order_without_slivers():
    """Tiles split a block into consecutive slices of near-equal size: within an eighth over the
    budget, and never a sliver tile (the 1-row third tile 30x30 maps had)."""
    from hypothesis import given
    from hypothesis import strategies as st

    class Data:
        dtype, uses_gemm = np.dtype(np.float32), True

    @given(st.integers(1, 20_000), st.integers(1, 5_000), st.integers(0, 50))
    def check(n_nodes, total, offset):
        budget = engine._tile_rows(n_nodes, 4, total)
        tiles = list(engine._tiles_of(Data, slice(offset, offset + total), n_nodes))
        starts = [rows.start for rows, _ in tiles]
        assert starts[0] == offset and tiles[-1][0].stop == offset + total
        assert all(a.stop == b.start for (a, _), (b, _) in itertools.pairwise(tiles))
        assert all(
            rows.start - offset == local.start and rows.stop - offset == local.stop for rows, local in tiles
        )
        sizes = [rows.stop - rows.start for rows, _ in tiles]
        assert max(sizes) <= budget + budget // 8 + 1
        assert len(tiles) == 1 or min(sizes) >= budget // 8

    check()


def test_non_euclidean_metric_uses_that_metric():
    X = blobs(300, 4)
    model = SOM(mapsize=(5, 5), distance_metric="cityblock", dtype="float64", random_state=0).fit(X, epochs=3)
    Xn, W = model.normalize(X), model.normalized_codebook_
    expected = np.abs(Xn[:, None, :] - W[None]).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(model.predict(X), expected)


# ------------------------------------------------------------- batch epochs
@pytest.mark.parametrize("lattice", list(LATTICES))
@pytest.mark.parametrize("neighborhood", list(NEIGHBORHOODS))
def test_one_batch_epoch_equals_a_plain_dense_implementation(lattice, neighborhood):
    rows, cols = 5, 6  # odd row count: toroidal_hexa is the odd-row torus (the original's seam)
    X = blobs(150, 3, seed=3)
    if (
        neighborhood == "mexican_hat"
    ):  # the estimator refuses it in batch mode; the engine's operator stays exact
        model = SOM(mapsize=(rows, cols), lattice=lattice, dtype="float64", random_state=0).fit(X, epochs=1)
        before, Xn = model.normalized_codebook_, model.normalize(X)
        data = engine.TrainingData(Xn, Xn.mean(axis=0), "float64")
        stats, _ = data.statistics(before, model.lattice_)
        operator = NeighborhoodOperator(model.lattice_, "mexican_hat")
        updated = engine.batch_update(before, stats, operator, 2.2)
        expected = dense_batch_epoch(Xn, before, rows, cols, lattice, neighborhood, 2.2)
        np.testing.assert_allclose(updated, expected, atol=1e-10, rtol=1e-10)
        return
    model = SOM(
        mapsize=(rows, cols), lattice=lattice, neighborhood=neighborhood, dtype="float64", random_state=0
    ).fit(X, epochs=1, radiusin=3.0, radiusfin=3.0)
    before = model.normalized_codebook_
    model.fit(X, epochs=1, radiusin=2.2, radiusfin=2.2)
    expected = dense_batch_epoch(model.normalize(X), before, rows, cols, lattice, neighborhood, 2.2)
    np.testing.assert_allclose(model.normalized_codebook_, expected, atol=1e-10, rtol=1e-10)


def test_batch_training_refuses_the_mexican_hat_and_names_fit_online():
    model = SOM(mapsize=(4, 4), neighborhood="mexican_hat")
    for fit in (model.fit, model.fit_auto):
        with pytest.raises(ValueError, match="fit_online"):
            fit(blobs(100, 3))
    assert not model.is_fitted


def test_online_training_with_the_mexican_hat_warns_that_it_empties_the_map():
    model = SOM(mapsize=(4, 4), neighborhood="mexican_hat", random_state=0)
    with pytest.warns(UserWarning, match="empty"):
        model.fit_online(blobs(100, 3), epochs=1)


def test_a_diverging_epoch_is_not_committed(monkeypatch):
    model = SOM(mapsize=(3, 3), random_state=0).fit(blobs(100, 3), epochs=2)
    before = model.normalized_codebook_
    monkeypatch.setattr(engine, "batch_update", lambda codebook, *a, **k: codebook * np.inf)
    with pytest.raises(FloatingPointError, match="epoch 3"):
        model.fit(blobs(100, 3), epochs=2)
    np.testing.assert_array_equal(model.normalized_codebook_, before)
    assert len(model.history_["epoch"]) == 2


def test_even_row_torus_epoch_matches_dense_reference():
    X = blobs(150, 3, seed=4)
    model = SOM(mapsize=(6, 5), lattice="toroidal_hexa", dtype="float64", random_state=0).fit(X, epochs=1)
    before = model.normalized_codebook_
    model.fit(X, epochs=1, radiusin=1.4, radiusfin=1.4)
    expected = dense_batch_epoch(model.normalize(X), before, 6, 5, "toroidal_hexa", "gaussian", 1.4)
    np.testing.assert_allclose(model.normalized_codebook_, expected, atol=1e-10, rtol=1e-10)


def test_learning_rate_blends_old_and_new_codebooks():
    X = blobs(200, 3)
    a = SOM(mapsize=(4, 5), dtype="float64", random_state=0).fit(X, epochs=1)
    b = SOM(mapsize=(4, 5), dtype="float64", random_state=0).fit(X, epochs=1)
    before = a.normalized_codebook_
    a.fit(X, epochs=1, radiusin=1.5, radiusfin=1.5)
    b.fit(X, epochs=1, radiusin=1.5, radiusfin=1.5, learning_rate=0.25)
    np.testing.assert_allclose(
        b.normalized_codebook_, 0.75 * before + 0.25 * a.normalized_codebook_, atol=1e-12
    )


def test_radius_schedules():
    np.testing.assert_allclose(engine.schedule(8, 2, 4, "linear"), [8, 6, 4, 2])
    np.testing.assert_allclose(engine.schedule(8, 1, 4, "exponential"), [8, 4, 2, 1])
    X = blobs(100, 2)
    model = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=3, radiusin=5, radiusfin=1, decay="exponential")
    np.testing.assert_allclose(model.history_["radius"], [5, np.sqrt(5), 1])


def test_training_is_deterministic_with_a_seed_and_subsampling():
    X = blobs(400, 3)
    kwargs = dict(epochs=4, subsample_ratio=0.5)
    a = SOM(mapsize=(5, 5), initialization="random", random_state=7).fit(X, **kwargs)
    b = SOM(mapsize=(5, 5), initialization="random", random_state=7).fit(X, **kwargs)
    c = SOM(mapsize=(5, 5), initialization="random", random_state=8).fit(X, **kwargs)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    assert not np.allclose(a.codebook_, c.codebook_)


def test_training_reduces_quantization_error_and_orders_the_map():
    X = blobs(600, 4)
    model = SOM(mapsize=(8, 8), initialization="random", random_state=0)
    model.fit(X, epochs=1, radiusin=4, radiusfin=4)
    first = model.calculate_quantization_error()
    model.fit(X, epochs=15, radiusin=4, radiusfin=1)
    assert model.calculate_quantization_error() < 0.7 * first
    assert model.calculate_topographic_error() < 0.2


def test_codebook_is_in_the_input_units():
    X = blobs(300, 3) * [1, 100, 1e4] + [0, 5, -3]
    model = SOM(mapsize=(5, 5), random_state=0).fit(X, epochs=10)
    means = np.array([X[model.bmu_ == i].mean(axis=0) for i in np.unique(model.bmu_)])
    # prototypes lie within the data's range, column by column
    assert np.all(model.codebook_.min(axis=0) >= X.min(axis=0) - 1e-9)
    assert np.all(model.codebook_.max(axis=0) <= X.max(axis=0) + 1e-9)
    assert np.abs(means.mean(axis=0) - X.mean(axis=0)).max() < 0.5 * X.std(axis=0).max()


def test_pca_initialisation_spans_the_principal_plane():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3)) * [5.0, 2.0, 0.1]
    model = SOM(mapsize=(6, 4), normalization="none", random_state=0)
    model.fit(X, epochs=1, radiusin=100, radiusfin=100)  # huge radius: codebook barely moves from init
    W = model.normalized_codebook_ - X.mean(axis=0)
    # the third axis has almost no variance: prototypes stay in the first two PCs' plane
    assert np.abs(W[:, 2]).max() < 0.05


# --------------------------------------------------------------- metrics
def adjacency_from_reference(rows, cols, lattice):
    d = brute_distances(rows, cols, lattice)
    return np.abs(d - 1) < 1e-9


@pytest.mark.parametrize("lattice", ["hexa", "toroidal_rect", "cylindrical_hexa"])
def test_metrics_equal_direct_computation(lattice):
    X = blobs(400, 4, seed=5)
    model = SOM(mapsize=(5, 6), lattice=lattice, dtype="float64", random_state=0).fit(X, epochs=5)
    Xn, W = model.normalize(X), model.normalized_codebook_
    first, second, _ = brute_bmus(Xn, W)
    adjacent = adjacency_from_reference(5, 6, lattice)
    qe = np.mean([np.mean(np.abs(Xn[i] - W[first[i]])) for i in range(len(X))])
    te = np.mean([not adjacent[first[i], second[i]] for i in range(len(X))])
    vr = 1 - len(np.unique(first)) / W.shape[0]
    assert model.calculate_quantization_error() == pytest.approx(qe, rel=1e-12)
    assert model.calculate_topographic_error() == pytest.approx(te, abs=1e-12)
    assert model.calculate_vacancy_rate() == pytest.approx(vr, abs=1e-12)
    assert model.calculate_mean_bmu_distance() == pytest.approx(
        np.mean(np.linalg.norm(Xn - W[first], axis=1)), rel=1e-12
    )
    # the same metrics on explicit data
    assert model.calculate_quantization_error(X[:100]) == pytest.approx(
        np.mean(np.abs(Xn[:100] - W[first[:100]])), rel=1e-12
    )


def test_history_describes_the_map_at_the_end_of_each_epoch():
    X = blobs(300, 3)
    seen = []
    model = SOM(mapsize=(5, 5), dtype="float64", random_state=0)
    model.fit(X, epochs=1)
    model.fit(
        X, epochs=3, collect_history=True, callbacks=lambda info: seen.append(info.model.normalized_codebook_)
    )
    # row k describes the codebook the model held after epoch k (what the callback saw then)
    Xn = model.normalize(X)
    for k, W in enumerate(seen):
        b, _, _ = brute_bmus(Xn, W)
        expected = np.mean(np.abs(Xn - W[b]).mean(axis=1))
        assert model.history_["quantization_error"][1 + k] == pytest.approx(expected, rel=1e-10)
    # and the last row is the final model's own metric (the seed's test_te_history_matches_model_te)
    assert model.history_["quantization_error"][-1] == pytest.approx(model.calculate_quantization_error())
    assert model.history_["topographic_error"][-1] == pytest.approx(model.calculate_topographic_error())


def test_history_accumulates_across_fit_calls():
    X = blobs(200, 3)
    model = SOM(mapsize=(4, 4), random_state=0)
    model.fit(X, epochs=3, collect_history=True)
    model.fit(X, epochs=2, radiusin=1, radiusfin=1, collect_history=True)
    model.fit_online(X, epochs=2, collect_history=True)
    h = model.history_
    assert h["epoch"] == [1, 2, 3, 4, 5, 6, 7]
    assert h["phase"] == ["batch-1"] * 3 + ["batch-2"] * 2 + ["online-3"] * 2
    assert all(len(v) == 7 for v in h.values())
    for key in ("quantization_error", "topographic_error", "vacancy_rate"):
        assert np.all(np.isfinite(h[key]))


def test_history_without_collection_records_nan_metrics():
    model = SOM(mapsize=(4, 4), random_state=0).fit(blobs(100, 2), epochs=2)
    assert len(model.history_["radius"]) == 2
    assert np.isnan(model.history_["quantization_error"]).all()


# --------------------------------------------------------- callbacks & safety
def test_callback_receives_epoch_info_and_can_stop_training():
    infos = []

    def callback(info):
        infos.append(info)
        return info.phase_epoch == 3

    model = SOM(mapsize=(4, 4), random_state=0).fit(
        blobs(100, 2), epochs=10, radiusin=3, radiusfin=1, callbacks=callback
    )
    assert [i.phase_epoch for i in infos] == [1, 2, 3]
    assert len(model.history_["epoch"]) == 3
    assert infos[0].radius == 3 and infos[0].n_epochs == 10 and infos[0].phase == "batch-1"
    assert set(infos[0].metrics) >= {"quantization_error", "topographic_error", "vacancy_rate"}


def test_callback_object_with_on_epoch_end():
    class Counter:
        n = 0

        def on_epoch_end(self, info):
            self.n += 1

    counter = Counter()
    SOM(mapsize=(3, 3), random_state=0).fit(blobs(50, 2), epochs=4, callbacks=[counter])
    assert counter.n == 4


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_interrupt_during_an_epoch_leaves_the_last_completed_epoch(monkeypatch, tmp_path, error):
    X = blobs(300, 3)
    model = SOM(mapsize=(5, 5), random_state=0)
    snapshots = []
    real_update = engine.batch_update
    calls = {"n": 0}

    def failing_update(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise error("interrupted in epoch 4")
        return real_update(*args, **kwargs)

    monkeypatch.setattr(engine, "batch_update", failing_update)
    with pytest.raises(error):
        model.fit(
            X,
            epochs=10,
            collect_history=True,
            callbacks=lambda info: snapshots.append(info.model.normalized_codebook_),
        )
    assert len(snapshots) == 3
    np.testing.assert_array_equal(model.normalized_codebook_, snapshots[-1])
    assert len(model.history_["epoch"]) == 3
    np.testing.assert_array_equal(model.bmu_, model.predict(X))
    model.save(tmp_path / "after-interrupt.som")
    assert SOM.load(tmp_path / "after-interrupt.som").predict(X).tolist() == model.predict(X).tolist()
    monkeypatch.setattr(engine, "batch_update", real_update)
    model.fit(X, epochs=2)  # still trainable
    assert len(model.history_["epoch"]) == 5


def test_an_interrupt_without_collected_metrics_still_measures_the_kept_epoch(monkeypatch):
    # No history and no callbacks: the epochs' own passes measure nothing, so the kept epoch is measured
    # after the interrupt (not filled with an unmeasured pass's NaN metrics and no BMUs).
    X = blobs(300, 3)
    model = SOM(mapsize=(5, 5), dtype="float64", random_state=0)
    real_update = engine.batch_update
    calls = {"n": 0}

    def failing_update(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_update(*args, **kwargs)

    monkeypatch.setattr(engine, "batch_update", failing_update)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, epochs=5)
    Xn, W = model.normalize(X), model.normalized_codebook_
    first, _, _ = brute_bmus(Xn, W)
    np.testing.assert_array_equal(model.bmu_, first)
    assert model.calculate_quantization_error() == pytest.approx(np.abs(Xn - W[first]).mean(), rel=1e-12)


def test_online_epochs_are_measured_once_each_and_the_last_keeps_the_bmus():
    X = blobs(200, 3)
    model = SOM(mapsize=(4, 4), dtype="float64", random_state=0)
    seen = []
    model.fit_online(X, epochs=3, callbacks=lambda info: seen.append(info.model.normalized_codebook_))
    Xn = model.normalize(X)
    for k, W in enumerate(seen):  # each epoch's metrics describe the map the callback saw
        b, _, _ = brute_bmus(Xn, W)
        assert model.history_["quantization_error"][k] == pytest.approx(np.abs(Xn - W[b]).mean(), rel=1e-10)
    np.testing.assert_array_equal(model.bmu_, brute_bmus(Xn, model.normalized_codebook_)[0])


def test_interrupt_in_the_first_epoch_leaves_the_model_unfitted(monkeypatch):
    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "batch_update", fail)
    model = SOM(mapsize=(3, 3), random_state=0)
    with pytest.raises(KeyboardInterrupt):
        model.fit(blobs(50, 2), epochs=3)
    assert not model.is_fitted


# ------------------------------------------------------------------ online
@pytest.mark.parametrize("neighborhood", list(NEIGHBORHOODS))
def test_online_numba_and_numpy_paths_agree(neighborhood):
    pytest.importorskip("numba")
    X = blobs(120, 3, seed=2)
    a = SOM(
        mapsize=(4, 5), lattice="toroidal_hexa", neighborhood=neighborhood, dtype="float64", random_state=0
    )
    b = SOM(
        mapsize=(4, 5), lattice="toroidal_hexa", neighborhood=neighborhood, dtype="float64", random_state=0
    )
    a.fit_online(X, epochs=2, use_numba=True, collect_history=True)
    b.fit_online(X, epochs=2, use_numba=False, collect_history=True)
    np.testing.assert_allclose(a.normalized_codebook_, b.normalized_codebook_, atol=1e-8)
    assert a.history_["topographic_error"] == pytest.approx(b.history_["topographic_error"])


def test_online_rule_by_hand_for_one_step():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    model = SOM(mapsize=(1, 3), lattice="rect", normalization="none", dtype="float64", random_state=0)
    model.fit(X, epochs=1, radiusin=0.1, radiusfin=0.1)
    W = model.normalized_codebook_
    order = np.array([1])
    lattice = model.lattice_
    work = W.copy()
    _online.online_epoch(
        X, work, order, np.array([1.0]), np.array([0.5]), lattice, "gaussian", use_numba=False
    )
    b = np.argmin(((W - X[1]) ** 2).sum(axis=1))
    h = np.exp(-(np.abs(np.arange(3) - b) ** 2) / 2.0)
    np.testing.assert_allclose(work, W + 0.5 * h[:, None] * (X[1] - W))


def test_fit_online_reduces_error():
    X = blobs(400, 3)
    model = SOM(mapsize=(6, 6), initialization="random", random_state=0)
    model.fit_online(X, epochs=1, radiusin=3, radiusfin=3, learning_rate_init=0.01, learning_rate_fin=0.01)
    first = model.calculate_quantization_error()
    model.fit_online(X, epochs=5, radiusin=3, radiusfin=1)
    assert model.calculate_quantization_error() < 0.8 * first


# ---------------------------------------------------------------- fit_auto
def test_fit_auto_trains_rough_fine_and_converge_phases_on_an_auto_sized_map():
    X = blobs(500, 4)
    model = SOM(random_state=0).fit_auto(X, emphasis="quantization")  # the topology plan: test_fit_auto
    rows, cols = model.mapsize_
    assert 0.5 * 5 * np.sqrt(500) <= rows * cols <= 1.5 * 5 * np.sqrt(500)
    phases = model.history_["phase"]
    assert phases[0] == "batch-1" and phases[-1] == "batch-3"
    assert len(phases) <= 6 + 16 + 8
    assert _auto.FINAL_RADIUS <= model.history_["radius"][-1] < 1.0
    assert model.calculate_topographic_error() < 0.3


@pytest.mark.parametrize("neighborhood", ["gaussian", "bubble", "epanechicov"])
def test_a_final_radius_of_zero_is_a_k_means_step(neighborhood):
    X = blobs(200, 3)
    model = SOM(mapsize=(4, 4), neighborhood=neighborhood, dtype="float64", random_state=0).fit(X, epochs=2)
    seen = []
    # epoch 1 at radius 1, epoch 2 at radius 0: compare epoch 2 with the codebook epoch 1 left
    model.fit(
        X, epochs=2, radiusin=1.0, radiusfin=0, callbacks=lambda i: seen.append(i.model.normalized_codebook_)
    )
    before, Xn = seen[0], model.normalize(X)
    b, _, _ = brute_bmus(Xn, before)
    for node in range(16):
        rows = Xn[b == node]
        expected = rows.mean(axis=0) if len(rows) else before[node]
        np.testing.assert_allclose(model.normalized_codebook_[node], expected, rtol=1e-9, atol=1e-12)


def test_radius_zero_online_moves_only_the_winner():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    model = SOM(mapsize=(1, 3), lattice="rect", normalization="none", dtype="float64", random_state=0)
    model.fit(X, epochs=1, radiusin=0.1, radiusfin=0.1)
    W = model.normalized_codebook_
    for use_numba in (False, True):
        if use_numba:
            pytest.importorskip("numba")
        work = W.copy()
        _online.online_epoch(
            X,
            work,
            np.array([1]),
            np.array([0.0]),
            np.array([0.5]),
            model.lattice_,
            "gaussian",
            use_numba=use_numba,
        )
        b = np.argmin(((W - X[1]) ** 2).sum(axis=1))
        expected = W.copy()
        expected[b] += 0.5 * (X[1] - W[b])
        np.testing.assert_allclose(work, expected)


def test_exponential_decay_to_zero_is_refused():
    with pytest.raises(ValueError, match="linear"):
        SOM(mapsize=(3, 3)).fit(blobs(50, 2), epochs=2, radiusin=2, radiusfin=0, decay="exponential")


def test_pca_initialisation_is_oriented_by_a_fixed_rule():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)) * [5.0, 2.0, 0.5]
    model = SOM(mapsize=(4, 8), lattice="rect", normalization="none", dtype="float64", random_state=0)
    model.fit(X, epochs=1, radiusin=100, radiusfin=100)  # a huge radius barely moves the initial plane
    _, _, vectors = engine.principal_axes(X, 2)
    for k in range(2):
        assert vectors[np.argmax(np.abs(vectors[:, k])), k] > 0
    init = engine.pca_initialization(X, model.lattice_)
    # along the long side (columns) the first component grows left to right
    first = (init - X.mean(axis=0)) @ vectors[:, 0]
    assert np.all(np.diff(first.reshape(4, 8), axis=1) > 0)
    # and the result does not depend on the order of the rows
    np.testing.assert_allclose(engine.pca_initialization(X[::-1], model.lattice_), init, atol=1e-9)


def test_work_arrays_kept_or_not_give_the_same_fit(monkeypatch):
    # Huge maps allocate their work arrays per use instead of keeping them per thread: same numbers.
    X = blobs(2000, 5)
    kept = SOM(mapsize=(6, 7), dtype="float64", random_state=0).fit(X, epochs=3, collect_history=True)
    monkeypatch.setattr(engine, "_SCRATCH_KEEP_BYTES", 0)
    fresh = SOM(mapsize=(6, 7), dtype="float64", random_state=0).fit(X, epochs=3, collect_history=True)
    np.testing.assert_array_equal(fresh.codebook_, kept.codebook_)
    np.testing.assert_array_equal(fresh.bmu_, kept.bmu_)
    assert fresh.history_["topographic_error"] == kept.history_["topographic_error"]
