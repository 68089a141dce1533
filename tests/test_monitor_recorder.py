"""The training monitor's parts without widgets: the run's transition table, the recorder, the publisher's pacing.

The recorder is driven through the public callback API (FitPlan, EpochInfo, FitResult built by hand, as
a fit would send them) on a real model; the expected values are worked out by hand in each test.
"""

from __future__ import annotations

import ast
import itertools
import math
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import somnium.widgets
from somnium import SOM
from somnium.callbacks import EpochInfo, FitPlan, FitResult, notify
from somnium.widgets import _recorder
from somnium.widgets._monitor_panels import epoch_ticks, value_range
from somnium.widgets._recorder import CURVE_METRICS, STATES, Publisher, Recorder

EVENTS = ("begin", "stop", "done", "error", "interrupt", "resume")

# Written out by hand from the design: a run begins from idle or from any ending; Stop only acts on a
# running run; a stopped run ends "stopped" however it ends; only a passive run that looked done resumes.
EXPECTED = {
    ("idle", "begin"): "running",
    ("stopped", "begin"): "running",
    ("done", "begin"): "running",
    ("error", "begin"): "running",
    ("running", "stop"): "stopping",
    ("running", "done"): "done",
    ("running", "error"): "error",
    ("running", "interrupt"): "stopped",
    ("stopping", "done"): "stopped",
    ("stopping", "error"): "stopped",
    ("stopping", "interrupt"): "stopped",
    ("done", "resume"): "running",
}


# ------------------------------------------------------------------ the transition table
@pytest.mark.parametrize(("state", "event"), list(itertools.product(STATES, EVENTS)))
def test_every_transition_is_the_designed_one_and_every_other_is_a_key_error(state, event):
    recorder = Recorder(SOM(mapsize=(3, 4)))
    recorder.state = state
    if (state, event) in EXPECTED:
        recorder._go(event)
        assert recorder.state == EXPECTED[(state, event)]
    else:
        with pytest.raises(KeyError):
            recorder._go(event)
        assert recorder.state == state


def test_the_table_holds_nothing_but_the_design():
    assert _recorder._TRANSITIONS == EXPECTED
    assert set(_recorder._TRANSITIONS.values()) <= set(STATES)


# ------------------------------------------------------------------ the recorder
def plan(n_epochs=5, first_epoch=1, run_epochs=None, run_offset=0, phase="batch-1", n_rows=100):
    return FitPlan(
        kind="batch",
        phase=phase,
        n_epochs=n_epochs,
        first_epoch=first_epoch,
        n_rows=n_rows,
        run_epochs=n_epochs if run_epochs is None else run_epochs,
        run_offset=run_offset,
    )


def epoch(k, phase="batch-1", phase_epoch=None, n_epochs=5):
    metrics = {"quantization_error": 1.0 / k, "topographic_error": 0.01 * k, "vacancy_rate": 0.0}
    return EpochInfo(
        epoch=k,
        phase=phase,
        phase_epoch=k if phase_epoch is None else phase_epoch,
        n_epochs=n_epochs,
        radius=1.0,
        learning_rate=1.0,
        metrics=metrics,
        n_rows=100,
    )


def result(stopped=False, error=None, epochs_run=5, phase="batch-1"):
    return FitResult(phase=phase, epochs_run=epochs_run, stopped=stopped, error=error, elapsed=0.1)


class Events(list):
    def __call__(self, event):
        self.append(event)


def test_a_passive_run_records_every_epoch_and_ends_with_its_fit_result():
    events = Events()
    recorder = Recorder(SOM(mapsize=(3, 4)), events)
    recorder.on_fit_begin(plan(n_epochs=3))
    assert recorder.state == "running" and recorder.mode == "passive"
    assert [recorder.on_epoch_end(epoch(k, n_epochs=3)) for k in (1, 2, 3)] == [False] * 3
    recorder.on_fit_end(result(epochs_run=3))
    assert recorder.state == "done"
    assert events == ["begin", "epoch", "epoch", "epoch", "end"]
    snap = recorder.snapshot(since=0)
    # rows: the epoch, then the curves in CURVE_METRICS order (from the EpochInfo above)
    expected = np.array([[k, 1.0 / k, 0.01 * k, 0.0] for k in (1, 2, 3)])
    assert CURVE_METRICS == ("quantization_error", "topographic_error", "vacancy_rate")
    np.testing.assert_allclose(snap.rows, expected)
    assert (snap.start, snap.n_epochs, snap.epoch, snap.final, snap.fraction) == (0, 3, 3, True, 1.0)
    assert snap.status.startswith("Epoch 3 of 3")
    assert snap.message == "Done: 3 epochs trained."
    assert recorder.snapshot(since=2).rows[:, 0].tolist() == [3.0]  # only what the page lacks


def test_stop_makes_the_run_end_stopped_at_the_last_epoch():
    recorder = Recorder(SOM(mapsize=(3, 4)))
    recorder.on_fit_begin(plan(n_epochs=10))
    recorder.on_epoch_end(epoch(1, n_epochs=10))
    recorder.stop()
    assert recorder.state == "stopping"
    assert recorder.on_epoch_end(epoch(2, n_epochs=10)) is True  # training is asked to stop
    recorder.on_fit_end(result(stopped=True, epochs_run=2))
    assert recorder.state == "stopped" and recorder.stopped_epoch == 2
    assert "Stopped at epoch 2." in recorder.message
    assert recorder.snapshot(since=0).status.startswith("Epoch 2 of 10")


def test_a_stop_before_the_run_begins_stops_it_at_once():
    recorder = Recorder(SOM(mapsize=(3, 4)))
    recorder.prepare_launch()
    recorder.stop()  # idle: nothing to change yet
    assert recorder.state == "idle"
    recorder.on_fit_begin(plan())
    assert recorder.state == "stopping"


def test_a_launched_run_ends_with_its_worker_not_with_a_phase():
    recorder = Recorder(SOM(mapsize=(3, 4)))
    recorder.prepare_launch()
    recorder.on_fit_begin(plan(n_epochs=2, run_epochs=4))
    recorder.on_epoch_end(epoch(1, n_epochs=2))
    recorder.on_epoch_end(epoch(2, n_epochs=2))
    recorder.on_fit_end(result(epochs_run=2))  # the first phase of fit_auto, say
    assert recorder.state == "running"
    recorder.on_fit_begin(plan(n_epochs=2, first_epoch=3, run_epochs=4, run_offset=2, phase="batch-2"))
    recorder.on_epoch_end(epoch(3, phase="batch-2", phase_epoch=1, n_epochs=2))
    recorder.on_fit_end(result(epochs_run=1, phase="batch-2"))  # fit_auto's own early end of a phase
    assert recorder.state == "running"
    recorder.end_run(None)  # the worker: the fit returned
    assert recorder.state == "done" and not recorder.launched
    assert recorder.snapshot(since=0).phase_starts == ((1, "batch-1"), (3, "batch-2"))


def test_a_passive_multi_phase_run_resumes_after_each_phase():
    recorder = Recorder(SOM(mapsize=(3, 4)))
    recorder.on_fit_begin(plan(n_epochs=2, run_epochs=4))
    recorder.on_epoch_end(epoch(1, n_epochs=2))
    recorder.on_fit_end(result(epochs_run=1))
    assert recorder.state == "done"
    recorder.on_fit_begin(plan(n_epochs=2, first_epoch=2, run_epochs=4, run_offset=1, phase="batch-2"))
    assert recorder.state == "running" and recorder.message == ""
    recorder.on_epoch_end(epoch(2, phase="batch-2", phase_epoch=1, n_epochs=2))
    recorder.on_fit_end(result(epochs_run=1, phase="batch-2"))
    assert recorder.state == "done" and recorder.message == "Done: 2 epochs trained."


def test_keyboard_interrupt_ends_stopped_and_another_error_ends_in_error():
    recorder = Recorder(SOM(mapsize=(3, 4)))
    recorder.on_fit_begin(plan())
    recorder.on_epoch_end(epoch(1))
    recorder.on_fit_end(result(error=KeyboardInterrupt(), epochs_run=1))
    assert recorder.state == "stopped" and recorder.message.startswith("Interrupted: stopped at epoch 1.")
    recorder.on_fit_begin(plan())
    recorder.on_fit_end(result(error=ValueError("bad"), epochs_run=0))
    assert recorder.state == "error"
    assert recorder.message == "Training failed in epoch 1: ValueError: bad."


def test_an_error_raised_by_a_callback_names_the_epoch_it_was_called_for():
    def broken(info):
        raise RuntimeError("broken")

    recorder = Recorder(SOM(mapsize=(3, 4)))
    recorder.on_fit_begin(plan())
    with pytest.raises(RuntimeError) as caught:
        notify([recorder, _FunctionCallbackless(broken)], "on_epoch_end", epoch(1))
    recorder.on_fit_end(result(error=caught.value, epochs_run=1))
    assert recorder.message.startswith("A callback failed at epoch 1: RuntimeError: broken.")


class _FunctionCallbackless:
    def __init__(self, function):
        self.on_epoch_end = function


def test_the_status_counts_a_continued_fit_from_the_models_epochs():
    model = SOM(mapsize=(3, 4), random_state=0).fit(np.random.default_rng(0).normal(size=(50, 2)), epochs=4)
    recorder = Recorder(model)
    assert recorder.snapshot(since=0).n_epochs == 4  # the model's history is where the curves start
    recorder.on_fit_begin(plan(n_epochs=10, first_epoch=5))
    recorder.on_epoch_end(epoch(5, phase="batch-2", phase_epoch=1, n_epochs=10))
    snap = recorder.snapshot(since=0)
    assert snap.status.startswith("Epoch 5 of 14 (1 of 10 in this fit)")
    assert snap.fraction == pytest.approx(0.1) and snap.last_epoch == 14


def test_a_rewritten_history_is_sent_again_from_where_it_changed():
    X = np.random.default_rng(0).normal(size=(50, 2))
    model = SOM(mapsize=(3, 4), random_state=0).fit(X, epochs=3, collect_history=True)
    recorder = Recorder(model)
    assert recorder.snapshot(since=0).start == 0
    assert recorder.snapshot(since=3).rows.size == 0
    model.fit(
        X, epochs=2, collect_history=True
    )  # elsewhere: the history grows by two epochs, the first three unchanged
    recorder.load_history()
    assert recorder.snapshot(since=3).start == 3
    fresh = SOM(mapsize=(3, 4), random_state=1).fit(X * 5, epochs=5, collect_history=True)
    recorder.model = fresh
    recorder.load_history()  # a different history: everything again
    snap = recorder.snapshot(since=5)
    assert snap.start == 0 and snap.n_epochs == 5


@pytest.mark.parametrize(
    ("mode", "enabled", "note"),
    [
        ("background", True, ""),
        ("await", True, ""),
        ("blocking", False, "monitor.wait()"),
        ("passive", False, "Interrupt"),
    ],
)
def test_stop_is_offered_where_a_click_can_reach_python(mode, enabled, note):
    recorder = Recorder(SOM(mapsize=(3, 4)))
    recorder.prepare_launch()
    recorder.on_fit_begin(plan())
    with recorder.waiting(mode):
        state, stop_enabled, text = recorder.controls()
        assert (state, stop_enabled) == ("running", enabled) and note in text
    assert recorder.controls() == ("running", True, "")  # back in the background: the note goes


# ------------------------------------------------------------------ the publisher
class Sent(list):
    def __call__(self, final):
        self.append((time.perf_counter(), final))


def test_the_publisher_sends_the_latest_state_at_most_once_an_interval():
    sent = Sent()
    publisher = Publisher(sent, 0.05)
    publisher.ensure_running()
    started = time.perf_counter()
    while time.perf_counter() - started < 0.6:
        publisher.poke()
        time.sleep(0.002)
    publisher.close()
    elapsed = time.perf_counter() - started  # the loop may overrun 0.6 s on a loaded machine
    gaps = np.diff([t for t, _ in sent])
    assert 5 <= len(sent) <= round(elapsed / 0.05, 6) + 1
    assert gaps.min() >= 0.05 * 0.95
    assert not any(final for _, final in sent)


def test_epochs_within_an_interval_do_not_wake_the_publisher():
    """Every epoch pokes; only the first poke after a send wakes the loop (it then sleeps out the
    interval): a wake per epoch took a core from the training threads."""
    sent = Sent()
    publisher = Publisher(sent, 0.5)
    checks = []
    delay = publisher._delay
    publisher._delay = lambda: checks.append(1) or delay()  # the loop checks the time when it wakes
    publisher.ensure_running()
    publisher.poke()
    deadline = time.perf_counter() + 10
    while not sent and time.perf_counter() < deadline:
        time.sleep(0.001)
    checks.clear()
    for _ in range(100):  # well within the interval after that first send
        publisher.poke()
        time.sleep(0.001)
    while len(sent) < 2 and time.perf_counter() < deadline:
        time.sleep(0.005)
    publisher.close()
    assert len(sent) == 2 and sent[1][0] - sent[0][0] >= 0.5 * 0.95
    assert len(checks) <= 6  # one wake for the first poke, then the timed one; each poke woke it before


def test_a_page_that_is_behind_gets_fewer_updates_until_it_catches_up(monkeypatch):
    monkeypatch.setattr(_recorder, "RECOVERY", 0.2)
    publisher = Publisher(Sent(), 0.05)
    publisher.slow_down()
    assert publisher.interval == pytest.approx(0.2)  # doubled, and at least 0.2 s
    for _ in range(5):
        publisher.slow_down()
    assert publisher.interval == _recorder.MAX_INTERVAL
    time.sleep(0.25)
    publisher._delay()
    assert publisher.interval == pytest.approx(_recorder.MAX_INTERVAL / 2)
    for _ in range(6):
        time.sleep(0.21)
        publisher._delay()
    assert publisher.interval == pytest.approx(0.05)  # never below the asked interval


def test_flush_sends_at_once_from_the_calling_thread():
    threads = []
    publisher = Publisher(lambda final: threads.append((threading.current_thread(), final)), 10.0)
    publisher.flush(final=True)
    assert threads == [(threading.current_thread(), True)]


# ------------------------------------------------------------------ the x axis
@pytest.mark.parametrize(
    ("last", "ticks"),
    [
        (1, [1]),
        (3, [1, 2, 3]),
        (7, [1, 2, 3, 4, 5, 6, 7]),
        (30, [5, 10, 15, 20, 25, 30]),
        (60, [10, 20, 30, 40, 50, 60]),
        (800, [200, 400, 600, 800]),
        (1234, [200, 400, 600, 800, 1000, 1200]),
    ],
)
def test_epoch_ticks_are_whole_round_epochs(last, ticks):
    assert epoch_ticks(last).tolist() == ticks


def test_epoch_ticks_are_a_few_evenly_spaced_round_integers_within_the_run():
    for last in range(1, 5000, 7):
        ticks = epoch_ticks(last)
        assert 1 <= len(ticks) <= 8, last
        assert ticks[0] >= 1 and ticks[-1] <= last and last - ticks[-1] < ticks[0]
        step = ticks[0]
        np.testing.assert_array_equal(ticks, step * np.arange(1, len(ticks) + 1))
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert mantissa in (1, 2, 5)


# ------------------------------------------------------------------ the y axes
@pytest.mark.parametrize(
    ("values", "low", "high", "ticks"),
    [
        ([0.108, 0.392], 0.1, 0.4, [0.1, 0.2, 0.3, 0.4]),
        ([0.0, 0.323], 0.0, 0.4, [0.0, 0.1, 0.2, 0.3, 0.4]),
        ([0.15, 0.689], 0.1, 0.7, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),
        ([12.0, 13.0], 12.0, 13.0, [12.0, 12.2, 12.4, 12.6, 12.8, 13.0]),
        ([0.0, 0.0], 0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        ([np.nan], 0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        ([-3.0, -3.0], -3.4, -2.6, [-3.4, -3.2, -3.0, -2.8, -2.6]),  # ±10%, then the 0.2 grid
    ],
)
def test_y_bounds_are_round_and_hold_every_value(values, low, high, ticks):
    got_low, got_high, got_ticks = value_range(np.array(values))
    assert (got_low, got_high) == pytest.approx((low, high))
    np.testing.assert_allclose(got_ticks, ticks, atol=1e-12)


def test_y_bounds_hold_the_values_for_any_data():
    rng = np.random.default_rng(0)
    for _ in range(300):
        values = rng.normal(size=20) * 10.0 ** rng.integers(-6, 6) + rng.normal() * 10.0 ** rng.integers(
            -3, 3
        )
        low, high, ticks = value_range(values)
        assert low <= values.min() and values.max() <= high
        assert 2 <= len(ticks) <= 11 and ticks[0] == pytest.approx(low) and ticks[-1] == pytest.approx(high)
        assert np.allclose(np.diff(ticks), ticks[1] - ticks[0])


def test_log_bounds_are_whole_decades_around_the_positive_values():
    low, high, ticks = value_range(np.array([0.0, 0.003, 0.2, np.nan]), log=True)
    assert (low, high) == pytest.approx((1e-3, 1.0))
    np.testing.assert_allclose(ticks, [1e-3, 1e-2, 1e-1, 1.0])
    low, high, ticks = value_range(np.array([0.15, 0.4]), log=True)  # within one decade: 1-2-5
    assert (low, high) == pytest.approx((0.1, 1.0))
    np.testing.assert_allclose(ticks, [0.1, 0.2, 0.5, 1.0])


# ------------------------------------------------------------------ the seams
def test_running_and_recording_know_no_widget_library():
    widgets = Path(somnium.widgets.__file__).parent
    for name in ("_run.py", "_recorder.py"):
        tree = ast.parse((widgets / name).read_text())
        imported = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {
            m for m in imported if m.split(".")[0] in ("ipywidgets", "anywidget", "bqplot", "traitlets")
        }
        assert not {
            m for m in imported if m.lstrip(".") in ("training_monitor", "_monitor_panels", "map_view")
        }
