"""fit_auto's schedule (somnium/_auto.py): its invariants, the seed's override, stops, and quality."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from somnium import SOM, _auto
from somnium._params import batch_params
from somnium.callbacks import EpochInfo
from somnium.datasets import load_penguins, make_blobs
from somnium.lattice import Lattice

SIZES = [(2, 2), (3, 5), (6, 10), (8, 12), (15, 14), (28, 25), (40, 60), (100, 100)]


def _longest(lattice):
    return max(lattice.rows, lattice.cols)


# ------------------------------------------------------------ the schedule
@pytest.fixture(scope="module")
def penguins():
    return load_penguins(numeric_only=True)


@pytest.mark.parametrize("rows, cols", SIZES)
def test_the_radius_never_grows_and_ends_below_one(rows, cols):
    lattice = Lattice(rows, cols, "hexa")
    phases = _auto.auto_schedule(500, 8, lattice)
    assert [p.role for p in phases] == ["rough", "fine", "converge"]
    radii = [r for p in phases for r in (p.radiusin, p.radiusfin)]
    assert all(a >= b for a, b in itertools.pairwise(radii)), radii
    assert phases[-1].radiusfin == _auto.FINAL_RADIUS < 1.0
    assert all(p.decay == "linear" for p in phases)


@pytest.mark.parametrize("rows, cols", SIZES)
def test_epochs_are_bounded(rows, cols):
    phases = _auto.auto_schedule(500, 8, Lattice(rows, cols, "hexa"))
    epochs = [p.epochs for p in phases]
    assert epochs[0] == _auto.AUTO_ROUGH_EPOCHS
    assert _auto.FINE_EPOCHS_MIN <= epochs[1] <= _auto.FINE_EPOCHS_MAX
    assert epochs[2] == _auto.CONVERGE_EPOCHS
    assert sum(epochs) <= 6 + 16 + 8


def test_the_schedule_scales_with_the_map():
    plans = [_auto.auto_schedule(500, 8, Lattice(r, c, "hexa")) for r, c in SIZES]
    starts = [p[0].radiusin for p in plans]
    fine_epochs = [p[1].epochs for p in plans]
    assert all(a <= b for a, b in itertools.pairwise(starts))
    assert all(a <= b for a, b in itertools.pairwise(fine_epochs))
    # a third of the longest side; small maps start at 1 and the fine phase then covers only 1 -> 0.5
    assert starts[-1] == pytest.approx(100 / 3)
    assert plans[0][1].radiusin == 1.0 and plans[0][1].epochs == _auto.FINE_EPOCHS_MIN
    assert fine_epochs[-1] == _auto.FINE_EPOCHS_MAX
    # the fine phase takes about an eighth of a lattice unit per epoch
    for plan in plans:
        fine = plan[1]
        step = (fine.radiusin - fine.radiusfin) / max(1, fine.epochs - 1)
        assert step <= 1.0


@pytest.mark.parametrize("neighborhood", ["bubble", "cut_gaussian", "epanechicov"])
def test_kernels_that_vanish_beyond_their_radius_end_at_one(neighborhood, penguins):
    phases = _auto.auto_schedule(500, 8, Lattice(8, 12, "hexa"), neighborhood=neighborhood)
    assert phases[-1].radiusfin == 1.0 and phases[1].radiusfin == 1.0
    model = SOM(neighborhood=neighborhood, random_state=0).fit_auto(penguins)
    assert min(model.history_["radius"]) == pytest.approx(1.0)


def test_the_overrides_fix_both_phases_and_drop_the_converge_phase():
    phases = _auto.auto_schedule(500, 8, Lattice(8, 12, "hexa"), rough_epochs=3, fine_epochs=4)
    assert [(p.role, p.epochs, p.guarded) for p in phases] == [("rough", 3, False), ("fine", 4, False)]
    assert phases[-1].radiusfin == _auto.FINAL_RADIUS


# ---------------------------------------------------------------- the run
def test_the_seed_override_runs_exactly_its_epochs(penguins):
    model = SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins, rough_epochs=3, fine_epochs=4)
    history = model.history_
    assert len(history["epoch"]) == 7
    assert history["phase"] == ["batch-1"] * 3 + ["batch-2"] * 4
    assert history["radius"][-1] == pytest.approx(_auto.FINAL_RADIUS)


def test_a_stop_in_the_rough_phase_skips_every_later_phase(penguins):
    begins = []

    class Stop:
        def on_fit_begin(self, plan):
            begins.append(plan.phase)

        def on_epoch_end(self, info):
            return info.run_epoch == 2

    model = SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins, callbacks=Stop())
    assert len(model.history_["epoch"]) == 2
    assert begins == ["batch-1"]


def test_a_stop_in_the_fine_phase_skips_the_converge_phase(penguins):
    stop_at = _auto.AUTO_ROUGH_EPOCHS + 2
    model = SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins, callbacks=lambda i: i.run_epoch == stop_at)
    assert len(model.history_["epoch"]) == stop_at
    assert set(model.history_["phase"]) == {"batch-1", "batch-2"}


def test_the_callbacks_see_one_run_numbered_without_gaps(penguins):
    seen = []
    SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins, callbacks=lambda i: seen.append(i))
    assert [i.run_epoch for i in seen] == list(range(1, len(seen) + 1))
    # run_epochs is the plan: an upper bound, since the guard and the plateau may stop a phase early
    assert all(i.run_epoch <= i.run_epochs <= 6 + 16 + 8 for i in seen)


def test_the_plateau_stops_the_converge_phase_early_on_easy_data():
    X = np.random.default_rng(0).uniform(size=(500, 2))  # a square: nothing to fold
    model = SOM(mapsize=(5, 6), random_state=0).fit_auto(X)
    history = model.history_
    phases = history["phase"]
    last = phases[-1]
    converge = [k for k, p in enumerate(phases) if p == last]
    assert 2 <= len(converge) < _auto.CONVERGE_EPOCHS
    qe = np.asarray(history["quantization_error"])[converge]
    assert qe[-1] > qe[-2] * (1 - _auto.PLATEAU_DELTA)  # stopped because it stopped improving


def test_the_schedule_does_not_depend_on_collect_history(penguins):
    a = SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins)
    b = SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins, collect_history=False)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)


def test_the_guard_keeps_the_topographic_error_within_its_budget(penguins):
    seen = []
    model = SOM(random_state=0).fit_auto(penguins, callbacks=lambda i: seen.append(i))
    reference = min(i.metrics["topographic_error"] for i in seen if i.radius <= 1.0)
    assert model.calculate_topographic_error() <= reference + _auto.TE_BUDGET
    assert model.history_["radius"][-1] < 1.0


# ---------------------------------------------------------------- quality
def _old_fit_auto(X, seed=0):
    """The schedule before issue #9: 6 linear epochs, then 12 exponential ones ending at radius 1."""
    model = SOM(random_state=seed)
    model.fit(X, 1, radiusin=1.0, radiusfin=1.0)  # only to size the map like fit_auto
    rows, cols = model.mapsize_
    model = SOM(mapsize=(rows, cols), random_state=seed)
    rough_in = max(1.0, max(rows, cols) / 3.0)
    rough_fin = max(1.0, rough_in / 4.0)
    model.fit(X, 6, radiusin=rough_in, radiusfin=rough_fin, decay="linear")
    fine_in = max(1.0, min(rough_fin, max(rows, cols) / 12.0))
    model.fit(X, 12, radiusin=fine_in, radiusfin=1.0, decay="exponential")
    return model


FOLDS = pytest.mark.xfail(
    reason="known: on 1000 x 8 blobs (12 x 13 map) the TE ends 0.057 above the old schedule's (QE -12%)",
    strict=False,
)


@pytest.mark.parametrize(
    "blobs",
    [None, (500, 4, 3), pytest.param((1000, 8, 5), marks=FOLDS)],
    ids=["penguins", "blobs-500x4", "blobs-1000x8"],
)
def test_fit_auto_quantizes_10_percent_better_than_the_old_schedule_at_a_similar_te(blobs, penguins):
    X = penguins if blobs is None else make_blobs(*blobs, random_state=0)
    old = _old_fit_auto(X)
    new = SOM(random_state=0).fit_auto(X)
    assert new.mapsize_ == old.mapsize_
    assert new.calculate_mean_bmu_distance() <= 0.9 * old.calculate_mean_bmu_distance()
    assert new.calculate_topographic_error() <= old.calculate_topographic_error() + 0.05


# ------------------------------------------------------ the run's decisions
def _info(radius, te, qe=1.0, phase_epoch=1):
    metrics = {"topographic_error": te, "quantization_error": qe}
    return EpochInfo(0, "batch-2", phase_epoch, 1, radius, 1.0, metrics)


def test_a_guard_stop_converges_halfway_back_to_the_accepted_radius():
    run = _auto.AutoRun()
    run.plan(Lattice(6, 10, "hexa"), 4)
    fine = run.next_phase()
    assert (fine.role, fine.radiusin, fine.radiusfin) == ("fine", 1.0, _auto.FINAL_RADIUS)
    assert run.on_epoch_end(_info(1.0, 0.02)) is False
    assert run.on_epoch_end(_info(0.9, 0.05)) is False
    assert run.on_epoch_end(_info(0.8, 0.02 + _auto.TE_BUDGET + 0.01)) is True  # folded: stop
    converge = run.next_phase()
    assert converge.role == "converge" and converge.radiusin == converge.radiusfin == pytest.approx(0.85)
    assert run.on_epoch_end(_info(0.85, 0.2)) is True  # the guard still watches
    assert run.next_phase() is None


def test_a_fine_phase_ending_close_to_the_budget_converges_a_step_back():
    run = _auto.AutoRun()
    run.plan(Lattice(6, 10, "hexa"), 4)
    fine = run.next_phase()
    for k in range(fine.epochs):
        radius = fine.radiusin + (fine.radiusfin - fine.radiusin) * k / (fine.epochs - 1)
        te = 0.02 if k < fine.epochs - 1 else 0.02 + 0.8 * _auto.TE_BUDGET  # within the budget, but close
        assert run.on_epoch_end(_info(radius, te)) is False
    converge = run.next_phase()
    assert converge.radiusin == pytest.approx(_auto.FINAL_RADIUS + _auto.STEP_BACK)


def test_without_a_guard_stop_the_converge_phase_runs_at_the_final_radius_until_the_plateau():
    run = _auto.AutoRun()
    run.plan(Lattice(6, 10, "hexa"), 4)
    fine = run.next_phase()
    for k in range(fine.epochs):
        radius = fine.radiusin + (fine.radiusfin - fine.radiusin) * k / (fine.epochs - 1)
        assert run.on_epoch_end(_info(radius, 0.03, qe=1.0 - 0.05 * k)) is False
    converge = run.next_phase()
    assert converge.radiusin == converge.radiusfin == _auto.FINAL_RADIUS
    assert run.on_epoch_end(_info(0.5, 0.03, qe=0.60, phase_epoch=1)) is False
    assert run.on_epoch_end(_info(0.5, 0.03, qe=0.55, phase_epoch=2)) is False  # still improving
    assert run.on_epoch_end(_info(0.5, 0.03, qe=0.549, phase_epoch=3)) is True
    assert run.next_phase() is None


def test_a_user_stop_ends_the_run_and_the_user_callbacks_see_everything(penguins):
    events = []
    stop_at = _auto.AUTO_ROUGH_EPOCHS + 2  # inside the fine phase

    class User:
        def on_fit_begin(self, plan):
            events.append(("begin", plan.phase))

        def on_epoch_end(self, info):
            events.append(info.run_epoch)
            return info.run_epoch == stop_at

        def on_fit_end(self, result):
            events.append(("end", result.phase, result.stopped, result.run_over, result.run_epoch))

    SOM(mapsize=(6, 10), random_state=0).fit_auto(penguins, callbacks=User())
    rough = list(range(1, _auto.AUTO_ROUGH_EPOCHS + 1))
    assert events == [
        ("begin", "batch-1"),
        *rough,
        ("end", "batch-1", False, False, _auto.AUTO_ROUGH_EPOCHS),
        ("begin", "batch-2"),
        *range(_auto.AUTO_ROUGH_EPOCHS + 1, stop_at + 1),
        ("end", "batch-2", True, True, stop_at),
    ]


def test_listeners_see_the_last_phase_coming_and_no_stop_of_their_own(penguins):
    """Plan-based listeners (the training monitor) finish on the phase whose plan reaches run_epochs."""
    plans, results = [], []

    class Listener:
        def on_fit_begin(self, plan):
            plans.append(plan)

        def on_fit_end(self, result):
            results.append(result)

    SOM(random_state=0).fit_auto(penguins, callbacks=Listener())
    last = [p.run_offset + p.n_epochs >= p.run_epochs for p in plans]
    assert last == [False] * (len(plans) - 1) + [True]
    assert not any(r.stopped for r in results)  # the guard's and the plateau's stops are fit_auto's own
    # the one answer: each phase's result says whether the run is over, and counts the run's epochs
    assert [r.run_over for r in results] == [False] * (len(results) - 1) + [True]
    assert [r.run_epoch for r in results] == list(itertools.accumulate(r.epochs_run for r in results))


def test_the_run_is_over_once_even_when_the_guard_ends_the_fine_phase():
    """A guard stop ends the fine phase, not the run: the converge phase follows and ends the run."""
    results = []

    class Listener:
        def on_fit_end(self, result):
            results.append(result)

    run = _auto.AutoRun(te_budget=0.0)  # every TE rise below radius 1 fires the guard
    X = make_blobs(600, 6, n_clusters=8, random_state=3)
    model = SOM(mapsize=(8, 10), random_state=0)
    model._run(X, run, True, [Listener()], batch_params(model.get_params()))
    phases = model.history_["phase"]
    assert len(results) == 3 and results[-1].run_over and not any(r.run_over for r in results[:-1])
    assert not any(r.stopped for r in results)
    assert results[1].epochs_run == phases.count("batch-2") < _auto.fine_epoch_count(model.lattice_)


def test_a_dask_run_keeps_the_training_statistics_after_its_own_stops():
    """Dask passes keep no BMUs; a phase ended by the guard or the plateau still stores the per-node statistics."""
    da = pytest.importorskip("dask.array")
    X = make_blobs(900, 4, n_clusters=5, random_state=1)
    model = SOM(mapsize=(5, 6), random_state=0).fit_auto(da.from_array(X, chunks=300))
    assert len(model.history_["epoch"]) < 6 + _auto.fine_epoch_count(model.lattice_) + _auto.CONVERGE_EPOCHS
    np.testing.assert_array_equal(model.node_hits(), np.bincount(model.predict(X), minlength=30))
    assert model.calculate_quantization_error() == pytest.approx(model.calculate_quantization_error(X))
