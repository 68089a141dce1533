"""fit_auto's schedule (somnium/_auto.py): its invariants, the seed's override, stops, and quality."""

from __future__ import annotations

import inspect
import itertools
import math

import numpy as np
import pytest

from somnium import SOM, _auto
from somnium._params import batch_params
from somnium.callbacks import EpochInfo
from somnium.datasets import load_flights, load_penguins, make_blobs
from somnium.exceptions import UnknownOptionError
from somnium.lattice import Lattice

SIZES = [(2, 2), (3, 5), (6, 10), (8, 12), (15, 14), (28, 25), (40, 60), (100, 100)]


def _longest(lattice):
    return max(lattice.rows, lattice.cols)


# ------------------------------------------------------------ the schedule
@pytest.fixture(scope="module")
def penguins():
    return load_penguins(numeric_only=True)


@pytest.mark.parametrize("emphasis", _auto.EMPHASES)
@pytest.mark.parametrize("rows, cols", SIZES)
def test_the_radius_never_grows(rows, cols, emphasis):
    lattice = Lattice(rows, cols, "hexa")
    phases = _auto.auto_schedule(500, 8, lattice, emphasis=emphasis)
    assert [p.role for p in phases] == ["rough", "fine", "converge"]
    radii = [r for p in phases for r in (p.radiusin, p.radiusfin)]
    assert all(a >= b for a, b in itertools.pairwise(radii)), radii
    end = _auto.FINAL_RADIUS if emphasis == "quantization" else _auto.TOPOLOGY_FINAL_RADIUS
    assert phases[-1].radiusfin == end


@pytest.mark.parametrize("rows, cols", SIZES)
def test_the_quantization_schedule_ends_below_one_with_linear_phases(rows, cols):
    phases = _auto.auto_schedule(500, 8, Lattice(rows, cols, "hexa"), emphasis="quantization")
    assert phases[-1].radiusfin == _auto.FINAL_RADIUS < 1.0
    assert all(p.decay == "linear" for p in phases)


@pytest.mark.parametrize("rows, cols", SIZES)
def test_epochs_are_bounded(rows, cols):
    phases = _auto.auto_schedule(500, 8, Lattice(rows, cols, "hexa"), emphasis="quantization")
    epochs = [p.epochs for p in phases]
    assert epochs[0] == _auto.AUTO_ROUGH_EPOCHS
    assert _auto.FINE_EPOCHS_MIN <= epochs[1] <= _auto.FINE_EPOCHS_MAX
    assert epochs[2] == _auto.CONVERGE_EPOCHS
    assert sum(epochs) <= 6 + 16 + 8


def test_the_schedule_scales_with_the_map():
    plans = [_auto.auto_schedule(500, 8, Lattice(r, c, "hexa"), emphasis="quantization") for r, c in SIZES]
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


@pytest.mark.parametrize("emphasis", _auto.EMPHASES)
@pytest.mark.parametrize("neighborhood", ["bubble", "cut_gaussian", "epanechicov"])
def test_kernels_that_vanish_beyond_their_radius_end_at_one(neighborhood, emphasis, penguins):
    phases = _auto.auto_schedule(500, 8, Lattice(8, 12, "hexa"), neighborhood=neighborhood, emphasis=emphasis)
    assert phases[-1].radiusfin == 1.0 and phases[1].radiusfin == 1.0
    model = SOM(neighborhood=neighborhood, random_state=0).fit_auto(penguins, emphasis=emphasis)
    assert min(model.history_["radius"]) == pytest.approx(1.0)


@pytest.mark.parametrize("emphasis", _auto.EMPHASES)
def test_the_overrides_fix_both_phases_and_drop_the_converge_phase(emphasis):
    lattice = Lattice(8, 12, "hexa")
    phases = _auto.auto_schedule(500, 8, lattice, rough_epochs=3, fine_epochs=4, emphasis=emphasis)
    assert [(p.role, p.epochs, p.guarded) for p in phases] == [("rough", 3, False), ("fine", 4, False)]
    end = _auto.FINAL_RADIUS if emphasis == "quantization" else _auto.TOPOLOGY_FINAL_RADIUS
    assert phases[-1].radiusfin == end


# ---------------------------------------------------------------- the run
@pytest.mark.parametrize("emphasis", _auto.EMPHASES)
def test_the_seed_override_runs_exactly_its_epochs(penguins, emphasis):
    model = SOM(mapsize=(6, 8), random_state=0).fit_auto(
        penguins, rough_epochs=3, fine_epochs=4, emphasis=emphasis
    )
    history = model.history_
    assert len(history["epoch"]) == 7
    assert history["phase"] == ["batch-1"] * 3 + ["batch-2"] * 4
    end = _auto.FINAL_RADIUS if emphasis == "quantization" else _auto.TOPOLOGY_FINAL_RADIUS
    assert history["radius"][-1] == pytest.approx(end)


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
    most = _auto.TOPOLOGY_ROUGH_EPOCHS + sum(_auto.topology_epochs(0, _auto.TOPOLOGY_FINE_START_MAX))
    assert all(i.run_epoch <= i.run_epochs <= most for i in seen)
    assert seen[-1].run_epochs < most  # after the rough phase the plan knows the map


@pytest.mark.parametrize(
    "emphasis, delta", [("quantization", _auto.PLATEAU_DELTA), ("topology", _auto.TOPOLOGY_PLATEAU_DELTA)]
)
def test_the_plateau_stops_the_converge_phase_early_on_easy_data(emphasis, delta):
    X = np.random.default_rng(0).uniform(size=(500, 2))  # a square: nothing to fold
    model = SOM(mapsize=(5, 6), random_state=0).fit_auto(X, emphasis=emphasis)
    history = model.history_
    phases = history["phase"]
    last = phases[-1]
    converge = [k for k, p in enumerate(phases) if p == last]
    most = _auto.CONVERGE_EPOCHS if emphasis == "quantization" else _auto.TOPOLOGY_CONVERGE_EPOCHS
    assert 2 <= len(converge) < most
    qe = np.asarray(history["quantization_error"])[converge]
    assert qe[-1] > qe[-2] * (1 - delta)  # stopped because it stopped improving
    if emphasis == "topology":  # ... and so had the topographic error
        te = np.asarray(history["topographic_error"])[converge]
        assert te[-1] >= te[:-1].min()


@pytest.mark.parametrize("emphasis", _auto.EMPHASES)
def test_the_schedule_does_not_depend_on_collect_history(penguins, emphasis):
    a = SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins, emphasis=emphasis)
    b = SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins, collect_history=False, emphasis=emphasis)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)


def test_the_guard_keeps_the_topographic_error_within_its_budget(penguins):
    seen = []
    model = SOM(random_state=0).fit_auto(
        penguins, callbacks=lambda i: seen.append(i), emphasis="quantization"
    )
    reference = min(i.metrics["topographic_error"] for i in seen if i.radius <= 1.0)
    assert model.calculate_topographic_error() <= reference + _auto.TE_BUDGET
    assert model.history_["radius"][-1] < 1.0


# ---------------------------------------------------------------- quality
def _old_fit_auto(X, mapsize, seed=0):
    """The schedule before issue #9: 6 linear epochs, then 12 exponential ones ending at radius 1."""
    rows, cols = mapsize
    model = SOM(mapsize=(rows, cols), random_state=seed)
    rough_in = max(1.0, max(rows, cols) / 3.0)
    rough_fin = max(1.0, rough_in / 4.0)
    model.fit(X, 6, radiusin=rough_in, radiusfin=rough_fin, decay="linear")
    fine_in = max(1.0, min(rough_fin, max(rows, cols) / 12.0))
    model.fit(X, 12, radiusin=fine_in, radiusfin=1.0, decay="exponential")
    return model


# The quantization emphasis trades topology for QE (README, "Map quality against other libraries"): it ends at
# radius 0.4, where its QE is below every peer's on the benchmark's data sets, and the TE rises well above the
# old schedule's (measured: penguins 0.134 against 0.015, blobs 500 x 4 0.240 against 0.048, blobs 1000 x 8
# 0.215 against 0.024).  The bound is the guard's budget over the old schedule's TE: the target (QE
# within 1.10x of the best peer, never Pareto-dominated) cannot be met on iris below a TE of about 0.07, and a
# bound of old + 0.05 held the schedule in the region a peer (XPySom) dominates (see the module notes of
# somnium._auto).  The default (topology) is held to the old schedule's TE below, on the same data.
# The grids mapsize="auto" chose when these tests were calibrated (issue 21 rounds the node count down as
# the original Somnium does, which moves some grids).
BLOBS = [(None, (8, 12)), ((500, 4, 3), (10, 11)), ((1000, 8, 5), (12, 13))]
BLOB_IDS = ["penguins", "blobs-500x4", "blobs-1000x8"]


@pytest.mark.parametrize("blobs, mapsize", BLOBS, ids=BLOB_IDS)
def test_the_quantization_emphasis_quantizes_15_percent_better_than_the_old_schedule(
    blobs, mapsize, penguins
):
    X = penguins if blobs is None else make_blobs(*blobs, random_state=0)
    old = _old_fit_auto(X, mapsize)
    new = SOM(mapsize=mapsize, random_state=0).fit_auto(X, emphasis="quantization")
    assert new.mapsize_ == old.mapsize_
    assert new.calculate_mean_bmu_distance() <= 0.85 * old.calculate_mean_bmu_distance()
    assert new.calculate_topographic_error() <= old.calculate_topographic_error() + _auto.TE_BUDGET


@pytest.mark.parametrize("blobs, mapsize", BLOBS, ids=BLOB_IDS)
def test_the_topology_default_keeps_the_old_schedules_topology_at_a_lower_qe(blobs, mapsize, penguins):
    """The old 6 + 12 epochs ended at radius 1 like the original's 400 + 400: TE within 0.01 of it."""
    X = penguins if blobs is None else make_blobs(*blobs, random_state=0)
    old = _old_fit_auto(X, mapsize)
    new = SOM(mapsize=mapsize, random_state=0).fit_auto(X)
    assert new.mapsize_ == old.mapsize_
    assert new.calculate_mean_bmu_distance() <= 1.01 * old.calculate_mean_bmu_distance()
    assert new.calculate_topographic_error() <= old.calculate_topographic_error() + 0.01


# ------------------------------------------------------ the run's decisions
def _info(radius, te, qe=1.0, phase_epoch=1):
    metrics = {"topographic_error": te, "quantization_error": qe}
    return EpochInfo(0, "batch-2", phase_epoch, 1, radius, 1.0, metrics)


def test_a_guard_stop_converges_halfway_back_to_the_accepted_radius():
    run = _auto.AutoRun(emphasis="quantization")
    run.plan(Lattice(6, 10, "hexa"), 4)
    fine = run.next_phase()
    assert (fine.role, fine.radiusin, fine.radiusfin) == ("fine", 1.0, _auto.FINAL_RADIUS)
    assert run.on_epoch_end(_info(1.0, 0.02)) is False
    assert run.on_epoch_end(_info(0.9, 0.05)) is False
    assert run.on_epoch_end(_info(0.8, 0.02 + _auto.TE_BUDGET + 0.01)) is True  # folded: stop
    converge = run.next_phase()
    assert converge.role == "converge" and converge.radiusin == converge.radiusfin == pytest.approx(0.85)
    assert run.on_epoch_end(_info(0.85, 0.03 + _auto.TE_BUDGET)) is True  # the guard still watches
    assert run.next_phase() is None


def test_a_fine_phase_ending_close_to_the_budget_still_converges_at_the_final_radius():
    """No step back without a guard stop: converging above the final radius lands where a peer dominates."""
    run = _auto.AutoRun(emphasis="quantization")
    run.plan(Lattice(6, 10, "hexa"), 4)
    fine = run.next_phase()
    for k in range(fine.epochs):
        radius = fine.radiusin + (fine.radiusfin - fine.radiusin) * k / (fine.epochs - 1)
        te = 0.02 if k < fine.epochs - 1 else 0.02 + 0.9 * _auto.TE_BUDGET  # within the budget, but close
        assert run.on_epoch_end(_info(radius, te)) is False
    converge = run.next_phase()
    assert converge.radiusin == converge.radiusfin == _auto.FINAL_RADIUS


def test_without_a_guard_stop_the_converge_phase_runs_at_the_final_radius_until_the_plateau():
    run = _auto.AutoRun(emphasis="quantization")
    run.plan(Lattice(6, 10, "hexa"), 4)
    fine = run.next_phase()
    for k in range(fine.epochs):
        radius = fine.radiusin + (fine.radiusfin - fine.radiusin) * k / (fine.epochs - 1)
        assert run.on_epoch_end(_info(radius, 0.03, qe=1.0 - 0.05 * k)) is False
    converge = run.next_phase()
    assert converge.radiusin == converge.radiusfin == _auto.FINAL_RADIUS
    end = _auto.FINAL_RADIUS
    assert run.on_epoch_end(_info(end, 0.03, qe=0.60, phase_epoch=1)) is False
    assert run.on_epoch_end(_info(end, 0.03, qe=0.55, phase_epoch=2)) is False  # still improving
    assert run.on_epoch_end(_info(end, 0.03, qe=0.549, phase_epoch=3)) is True
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

    SOM(mapsize=(6, 10), random_state=0).fit_auto(penguins, callbacks=User(), emphasis="quantization")
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


# ------------------------------------------------------------- emphasis
def test_the_default_emphasis_is_topology(penguins):
    assert inspect.signature(SOM.fit_auto).parameters["emphasis"].default == "topology"
    default = SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins)
    topology = SOM(mapsize=(6, 8), random_state=0).fit_auto(penguins, emphasis="topology")
    np.testing.assert_array_equal(default.codebook_, topology.codebook_)
    # the topology schedule never narrows the Gaussian below TOPOLOGY_FINAL_RADIUS (about 1)
    assert min(default.history_["radius"]) == pytest.approx(_auto.TOPOLOGY_FINAL_RADIUS)
    assert _auto.TOPOLOGY_FINAL_RADIUS > 0.9


@pytest.mark.parametrize("emphasis", ["topo", "Topology", "", None, 1])
def test_an_unknown_emphasis_is_refused_before_training(emphasis, penguins):
    model = SOM(mapsize=(6, 8), random_state=0)
    expected = f"Unknown emphasis {emphasis!r}. Valid emphasis values: topology, quantization."
    with pytest.raises(UnknownOptionError) as caught:
        model.fit_auto(penguins, emphasis=emphasis)
    assert str(caught.value) == expected
    assert not model.is_fitted


# The quantization schedule (random_state=0, PCA start), pinned on the grids mapsize="auto" chose when it was
# calibrated: (data, map, [(phase, epochs)], radius of every epoch, QE, TE).  The radii follow the rule by hand:
# rough from a third of the longest side to a quarter of that (at least 1) in 6 linear epochs; fine from
# max(1, min(rough end, longest / 12)) to FINAL_RADIUS (0.4) in ceil(8 x span) epochs (at least 6): 8 x 12 and
# 10 x 11 span 1 -> 0.4 (4.8 -> 6 epochs, steps of 0.12), 12 x 13 spans 13/12 -> 0.4 (5.47 -> 6 epochs, steps
# of 0.13667); then the converge phase at 0.4 (the guard never fires on these: the TE stays within 0.25 of
# the fine phase's lowest) until the QE improves by less than 0.3% in an epoch (at least 2, at most 8).
SCHEDULES = [
    (
        None,
        (8, 12),
        [("batch-1", 6), ("batch-2", 6), ("batch-3", 4)],
        [4.0, 3.4, 2.8, 2.2, 1.6, 1.0, 1.0, 0.88, 0.76, 0.64, 0.52, 0.4] + [0.4] * 4,
        0.32565080055243445,
        0.13450292397660818,
    ),
    (
        (1000, 8, 5),
        (12, 13),
        [("batch-1", 6), ("batch-2", 6), ("batch-3", 4)],
        [13 / 3, 3.683333333333, 3.033333333333, 2.383333333333, 1.733333333333, 1.083333333333]
        + [1.083333333333, 0.946666666667, 0.81, 0.673333333333, 0.536666666667, 0.4]
        + [0.4] * 4,
        0.34725314147176173,
        0.215,
    ),
    (
        (500, 4, 3),
        (10, 11),
        [("batch-1", 6), ("batch-2", 6), ("batch-3", 5)],
        [11 / 3, 3.133333333333, 2.6, 2.066666666667, 1.533333333333, 1.0, 1.0, 0.88, 0.76, 0.64, 0.52, 0.4]
        + [0.4] * 5,
        0.15433366613318883,
        0.24,
    ),
]


@pytest.mark.parametrize("blobs, mapsize, phases, radii, qe, te", SCHEDULES, ids=BLOB_IDS)
def test_the_quantization_emphasis_keeps_its_schedule(blobs, mapsize, phases, radii, qe, te, penguins):
    X = penguins if blobs is None else make_blobs(*blobs, random_state=0)
    model = SOM(mapsize=mapsize, random_state=0).fit_auto(X, emphasis="quantization")
    history = model.history_
    assert [(k, len(list(g))) for k, g in itertools.groupby(history["phase"])] == phases
    np.testing.assert_allclose(history["radius"], radii, rtol=0, atol=1e-9)
    assert model.calculate_mean_bmu_distance() == pytest.approx(qe, rel=1e-6)
    assert model.calculate_topographic_error() == pytest.approx(te, abs=1.5 / len(X))  # a row may tie


def test_the_topology_plan_shrinks_with_the_number_of_rows():
    """Above TOPOLOGY_FULL_ROWS rows the fine and converge phases visit about as many rows in all."""
    lattice = Lattice(74, 68, "hexa")  # the "auto" map of 1,000,000 rows
    sizes = [100, 10_000, 20_000, 100_000, 1_000_000, 10_000_000]
    plans = [_auto.auto_schedule(n, 16, lattice) for n in sizes]
    totals = [sum(p.epochs for p in plan) for plan in plans]
    assert totals[0] == totals[1]  # small data: the full plan
    assert all(a >= b for a, b in itertools.pairwise(totals)), totals
    assert totals[1] > 3 * totals[4]
    fine = [plan[1].epochs for plan in plans]
    assert (
        fine[2] * 20_000 <= 1.05 * fine[1] * 10_000
    )  # rows visited by the fine phase: no more than at 10,000
    # the floor: a million rows still get an ordering phase, an annealing phase and a converge phase
    assert [p.epochs for p in plans[4]] == [
        _auto.TOPOLOGY_ROUGH_EPOCHS,
        _auto.TOPOLOGY_FINE_EPOCHS_MIN,
        _auto.TOPOLOGY_CONVERGE_EPOCHS_MIN,
    ]
    assert plans[4] == plans[5]
    # the quantization plan does not depend on the rows (the data act through the guard and plateau)
    assert _auto.auto_schedule(100, 16, lattice, emphasis="quantization") == _auto.auto_schedule(
        1_000_000, 16, lattice, emphasis="quantization"
    )


def test_the_topology_plan_follows_the_map():
    """The fine phase starts at 3 (or a sixth of the longest side on large maps) and takes as many
    epochs per e-fold of the radius: a map twice as long anneals for more epochs."""
    small = _auto.auto_schedule(500, 4, Lattice(8, 12, "hexa"))
    large = _auto.auto_schedule(500, 4, Lattice(30, 40, "hexa"))
    assert small[0].radiusin == 4.0 and small[1].radiusin == _auto.TOPOLOGY_MID_RADIUS
    assert large[0].radiusin == pytest.approx(40 / 3) and large[1].radiusin == pytest.approx(20 / 3)
    assert small[1].epochs == _auto.TOPOLOGY_FINE_EPOCHS
    expected = _auto.TOPOLOGY_FINE_EPOCHS * math.log(20 / 3) / math.log(3)
    assert large[1].epochs == round(expected)
    assert small[1].decay == large[1].decay == "exponential"


def _notebook(n=2000, seed=0):
    """The original project's getting-started data (weight, height, BMI, body fat, noise)."""
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal(n) * 8 + 75
    height = rng.standard_normal(n) * 8 + 180
    fat = ((weight - 75) / 8) * 2 + 23.5 + rng.standard_normal(n) * 3
    return np.column_stack([weight, height, 703 * weight / height**2, fat, 10 + rng.standard_normal(n)])


def _real(name):
    if name == "penguins":
        return load_penguins(numeric_only=True)
    if name == "flights":
        return load_flights(numeric_only=True).dropna().iloc[:3000]
    if name == "notebook":
        return _notebook()
    datasets = pytest.importorskip("sklearn.datasets")
    return getattr(datasets, f"load_{name}")().data


# Measured with random_state=0 (PCA start, deterministic) on the even-row hexagonal lattice with the
# original's rounding of mapsize="auto": topology TE penguins 0.006, iris 0.013, wine 0.034, flights 0.029,
# notebook 0.055; quantization 0.178, 0.120, 0.185, 0.173, 0.302.  The original's own fit_auto reaches 0.012,
# 0.007, 0.028 on the first three (README); the bounds are its TE + 0.01 or the measured value + 0.015-0.02
# for BLAS rounding and ties moving a few rows.
TE_BOUNDS = {"penguins": 0.03, "iris": 0.03, "wine": 0.04, "flights": 0.05, "notebook": 0.075}


@pytest.mark.parametrize("name", list(TE_BOUNDS))
def test_topology_guard_on_real_data(name):
    X = _real(name)
    topology = SOM(random_state=0).fit_auto(X)
    quantization = SOM(random_state=0).fit_auto(X, emphasis="quantization")
    assert topology.calculate_topographic_error() <= TE_BOUNDS[name]
    # the trade-off each emphasis makes, on the same map
    assert topology.calculate_topographic_error() < quantization.calculate_topographic_error() - 0.01
    assert quantization.calculate_mean_bmu_distance() < topology.calculate_mean_bmu_distance()


def test_the_run_is_over_once_even_when_the_guard_ends_the_fine_phase():
    """A guard stop ends the fine phase, not the run: the converge phase follows and ends the run."""
    results = []

    class Listener:
        def on_fit_end(self, result):
            results.append(result)

    run = _auto.AutoRun(
        te_budget=0.0, emphasis="quantization"
    )  # every TE rise below radius 1 fires the guard
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
    model = SOM(mapsize=(5, 6), random_state=0).fit_auto(
        da.from_array(X, chunks=300), emphasis="quantization"
    )
    assert len(model.history_["epoch"]) < 6 + _auto.fine_epoch_count(model.lattice_) + _auto.CONVERGE_EPOCHS
    np.testing.assert_array_equal(model.node_hits(), np.bincount(model.predict(X), minlength=30))
    assert model.calculate_quantization_error() == pytest.approx(model.calculate_quantization_error(X))
