"""TrainingMonitor without a browser: throttling, stopping, errors, phases, states and interrupts.

The browser side (streaming into the DOM, the Stop click, ■ Interrupt) is in test_training_monitor_lab.py.
"""

from __future__ import annotations

import _thread
import asyncio
import gc
import math
import os
import signal
import threading
import time

import numpy as np
import pytest

from somnium import SOM
from somnium.exceptions import FitInProgressError
from somnium.widgets import MapView, TrainingMonitor, _run
from somnium.widgets import training_monitor as tm

X = np.random.default_rng(0).normal(size=(600, 4))


def new_model(**kwargs):
    return SOM(mapsize=(6, 7), random_state=0, **kwargs)


def sleeper(seconds):
    def callback(info):
        time.sleep(seconds)

    return callback


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.005)


def record_states(monitor):
    states = []
    monitor._header.observe(lambda change: states.append(change["new"]), "state")
    return states


# ------------------------------------------------------------------ creation
def test_a_new_monitor_is_idle_at_epoch_zero():
    monitor = TrainingMonitor(new_model(), display=False)
    assert monitor.state == "idle"
    assert monitor._header.state == "idle"
    assert monitor._header.epoch == 0
    assert monitor.wait() is monitor.model  # nothing to wait for


def test_a_monitor_of_a_fitted_model_shows_its_history_and_map():
    model = new_model().fit(X, epochs=4, collect_history=True)
    monitor = TrainingMonitor(model, display=False)
    assert monitor._header.epoch == 4 == monitor.epoch
    assert list(monitor._curves.lines["quantization_error"].y) == pytest.approx(
        model.history_["quantization_error"]
    )
    assert isinstance(monitor._maps.view, MapView)


def test_bad_arguments_raise_at_the_call_and_leave_the_monitor_idle():
    monitor = TrainingMonitor(new_model(), display=False)
    with pytest.raises(ValueError, match="epochs"):
        monitor.start(X, epochs=0)
    assert monitor.state == "idle"
    with pytest.raises(ValueError, match="method"):
        monitor.start(X, method="fit_fast")


# ---------------------------------------------------------------- throttling
def test_updates_are_throttled_and_the_last_epoch_is_always_sent():
    monitor = TrainingMonitor(new_model(), display=False, update_interval=0.1)
    sent_before = monitor.messages_sent
    started = time.perf_counter()
    monitor.start(X, epochs=120, callbacks=[sleeper(0.005)]).wait()
    duration = time.perf_counter() - started
    published = monitor.messages_sent - sent_before
    # at most one update per interval, plus the final one (and the first, sent at once)
    assert published <= duration / 0.1 + 3, (published, duration)
    assert published >= 3  # it did stream while training
    assert monitor._header.epoch == 120
    # nothing is dropped: every epoch reached the curves
    assert list(monitor._curves.lines["quantization_error"].x) == list(range(1, 121))
    assert np.isfinite(monitor._curves.lines["topographic_error"].y).all()


def test_the_header_streams_increasing_epochs_during_the_fit():
    monitor = TrainingMonitor(new_model(), display=False, update_interval=0.05)
    shown = []
    monitor._header.observe(lambda change: shown.append(change["new"]), "epoch")
    monitor.start(X, epochs=40, callbacks=[sleeper(0.01)]).wait()
    assert len(shown) >= 4
    assert shown == sorted(shown) and shown[-1] == 40


# ----------------------------------------------------------------- stopping
def test_stop_leaves_the_state_of_the_same_epochs_without_stop():
    reference = {}

    def keep(info):
        reference[info.epoch] = (info.model.codebook_.copy(), dict(info.model.history_))

    new_model().fit(X, epochs=30, callbacks=[keep])

    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    monitor.start(X, epochs=30, callbacks=[sleeper(0.02)])
    wait_for(lambda: monitor.epoch >= 3)
    monitor.stop()
    assert monitor.state in ("stopping", "stopped")
    assert monitor.wait() is model
    assert monitor.state == "stopped"
    stopped = monitor.stopped_epoch
    assert 3 <= stopped < 30
    assert len(model.history_["quantization_error"]) == stopped == monitor._header.epoch
    codebook, history = reference[stopped]
    np.testing.assert_array_equal(model.codebook_, codebook)
    np.testing.assert_allclose(model.history_["radius"], history["radius"])
    np.testing.assert_array_equal(model.bmu_, model.predict(X))
    assert f"stopped at epoch {stopped}" in monitor._header.message.lower()
    # usable: it trains further and saves
    model.fit(X, epochs=2)
    assert len(model.history_["epoch"]) == stopped + 2


def test_a_click_on_stop_only_sets_the_event(tmp_path):
    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    monitor.start(X, epochs=200, callbacks=[sleeper(0.01)])
    wait_for(lambda: monitor.epoch >= 2)
    # what the browser's click delivers, from another thread (comms over subshells)
    clicker = threading.Thread(target=monitor._on_message, args=(monitor._header, {"action": "stop"}, []))
    clicker.start()
    clicker.join()
    monitor.wait()
    assert monitor.state == "stopped" and monitor.epoch < 200
    model.save(tmp_path / "stopped.somnium")


def test_states_go_idle_running_stopping_stopped():
    monitor = TrainingMonitor(new_model(), display=False)
    states = record_states(monitor)
    monitor.start(X, epochs=100, callbacks=[sleeper(0.01)])
    wait_for(lambda: monitor.epoch >= 2)
    monitor.stop()
    monitor.wait()
    assert states[0] == "running"
    assert states[-1] == "stopped"
    assert set(states) <= {"running", "stopping", "stopped"}


def test_states_go_running_then_done_and_the_stop_button_follows():
    monitor = TrainingMonitor(new_model(), display=False)
    states = record_states(monitor)
    monitor.start(X, epochs=20, callbacks=[sleeper(0.01)])
    wait_for(lambda: monitor._header.stop_enabled)  # background: Stop can act
    assert monitor.state == "running"
    monitor.wait()  # blocking the main thread: Stop cannot act, ■ Interrupt can
    assert states[0] == "running" and states[-1] == "done" == monitor.state
    assert monitor._header.stop_enabled is False


# ------------------------------------------------------------ the fit guard
def test_one_fit_at_a_time_is_surfaced():
    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    monitor.start(X, epochs=200, callbacks=[sleeper(0.01)])
    wait_for(lambda: monitor.epoch >= 1)
    with pytest.raises(FitInProgressError, match="monitor"):
        monitor.start(X, epochs=2)
    other = TrainingMonitor(model, display=False)
    with pytest.raises(FitInProgressError):
        other.start(X, epochs=2)
    assert "already training" in other._header.message
    assert other.state != "error"
    with pytest.raises(FitInProgressError):
        model.fit(X, epochs=1)
    # reading the model during the fit gives the last committed epoch
    history = model.history_
    assert len(history["epoch"]) == len(history["quantization_error"]) >= 1
    monitor.stop()
    monitor.wait()
    other.start(X, epochs=2).wait()  # free again
    assert other.state == "done"


# ---------------------------------------------------------------- errors
class Boom(RuntimeError):
    pass


def failing_at(epoch):
    def callback(info):
        if info.phase_epoch == epoch:
            raise Boom(f"broken at {epoch}")

    return callback


def test_an_error_in_training_is_shown_and_raised_by_wait():
    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    run = monitor.start(X, epochs=10, callbacks=[failing_at(3)])
    with pytest.raises(Boom, match="broken at 3"):
        run.wait()
    with pytest.raises(Boom):
        monitor.wait()
    assert monitor.state == "error" == monitor._header.state
    assert "Boom" in monitor._header.message and "broken at 3" in monitor._header.message
    assert len(model.history_["epoch"]) == 3  # the committed epochs stand


def test_an_error_in_training_is_raised_by_await():
    monitor = TrainingMonitor(new_model(), display=False)

    async def main():
        await monitor.fit(X, epochs=10, callbacks=[failing_at(2)])

    with pytest.raises(Boom):
        asyncio.run(main())
    assert monitor.state == "error"


# ----------------------------------------------------------------- await
def test_await_fit_returns_the_model_after_all_epochs():
    model = new_model()
    monitor = TrainingMonitor(model, display=False)

    async def main():
        result = await monitor.fit(X, epochs=6, collect_history=True)
        again = await monitor  # the last run, already finished
        return result, again

    result, again = asyncio.run(main())
    assert result is model is again
    assert monitor.state == "done" and monitor.epoch == 6 == model.history_["epoch"][-1]


def test_fit_online_is_awaitable_too():
    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    asyncio.run(_await(monitor.fit_online(X, epochs=3, use_numba=False)))
    assert monitor.state == "done" and monitor.epoch == 3
    assert set(model.history_["phase"]) == {"online-1"}


async def _await(run):
    return await run


def test_a_fit_that_is_never_awaited_warns():
    monitor = TrainingMonitor(new_model(), display=False)
    with pytest.warns(RuntimeWarning, match="never awaited"):
        monitor.fit(X, epochs=2)
        gc.collect()
    monitor.wait()
    assert monitor.state == "done"


def test_the_run_says_how_to_wait_for_it_in_its_repr():
    monitor = TrainingMonitor(new_model(), display=False)
    run = monitor.start(X, epochs=50, callbacks=[sleeper(0.01)])
    assert "await" in repr(run)
    monitor.stop()
    run.wait()
    assert "stopped" in repr(run)


# -------------------------------------------------------------- fit_auto
def test_fit_auto_shows_both_phases_and_marks_the_boundary():
    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    asyncio.run(_await(monitor.fit_auto(X, rough_epochs=3, fine_epochs=4)))
    assert monitor.state == "done"
    assert monitor.epoch == 7 == len(model.history_["epoch"])
    assert monitor._curves.phase_starts == [4.0]
    boundary_x = np.asarray(monitor._curves.boundaries["quantization_error"].x)
    assert list(np.ravel(boundary_x)) == [3.5, 3.5]  # dashed line between epochs 3 and 4
    assert "Epoch 7 of 7" in monitor._header.status


def test_stopping_fit_auto_in_its_first_phase_skips_the_second():
    model = new_model()
    monitor = TrainingMonitor(model, display=False)

    def stop_at_two(info):
        if info.run_epoch == 2:
            monitor.stop()

    monitor.start(X, method="fit_auto", rough_epochs=5, fine_epochs=5, callbacks=[stop_at_two]).wait()
    assert monitor.state == "stopped"
    assert set(model.history_["phase"]) == {"batch-1"}
    assert monitor.stopped_epoch == len(model.history_["epoch"]) <= 3


# ----------------------------------------------------------- interrupts
def test_cancelling_the_awaiting_cell_stops_training_and_re_raises():
    """What ipykernel does on ■ Interrupt while a cell awaits: it cancels the cell's task."""
    model = new_model()
    monitor = TrainingMonitor(model, display=False)

    async def main():
        task = asyncio.ensure_future(monitor.fit(X, epochs=300, callbacks=[sleeper(0.01)]))
        while monitor.epoch < 3:
            await asyncio.sleep(0.01)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(main())
    # the cancelled await waited for the worker to end its epoch
    assert monitor.state == "stopped"
    assert 3 <= monitor.stopped_epoch < 300
    assert len(model.history_["epoch"]) == monitor.stopped_epoch
    np.testing.assert_array_equal(model.bmu_, model.predict(X))
    model.fit(X, epochs=1)  # the fit guard is released


def test_keyboard_interrupt_in_wait_stops_training_then_re_raises():
    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    monitor.start(X, epochs=300, callbacks=[sleeper(0.01)])
    wait_for(lambda: monitor.epoch >= 2)
    threading.Timer(0.05, _thread.interrupt_main).start()
    with pytest.raises(KeyboardInterrupt):
        monitor.wait()
    assert monitor.state == "stopped"
    assert len(model.history_["epoch"]) == monitor.stopped_epoch < 300


def test_keyboard_interrupt_in_a_passive_fit_is_shown_as_stopped():
    model = new_model()
    monitor = TrainingMonitor(model, display=False)

    def interrupt(info):
        if info.epoch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(X, epochs=10, callbacks=[monitor, interrupt])
    assert monitor.state == "stopped"
    assert "Interrupted" in monitor._header.message
    assert len(model.history_["epoch"]) == 3 == monitor.stopped_epoch


# ------------------------------------------------------------ passive mode
def test_passive_mode_streams_and_says_to_use_interrupt():
    model = new_model()
    monitor = TrainingMonitor(model, data=X, display=False)
    notes = []
    monitor._header.observe(lambda change: notes.append(change["new"]), "note")
    model.fit(X, epochs=5, callbacks=[monitor])
    assert monitor.state == "done" and monitor._header.epoch == 5
    assert any("Interrupt" in note for note in notes)
    assert monitor._header.stop_enabled is False


def test_stop_cannot_act_while_awaiting_on_an_old_kernel(monkeypatch):
    monkeypatch.setattr(_run, "kernel_version", lambda: (7, 1, 0))
    monitor = TrainingMonitor(new_model(), display=False)
    notes = []
    monitor._header.observe(lambda change: notes.append(change["new"]), "note")
    asyncio.run(_await(monitor.fit(X, epochs=3)))
    assert any("7.4" in note and "Interrupt" in note for note in notes)


# ------------------------------------------------------------------ maps
def test_the_maps_show_the_final_state_after_training():
    rows = np.random.default_rng(1).normal(size=(3000, 4))
    model = new_model()
    monitor = TrainingMonitor(model, display=False, map_layer="hits")
    monitor.start(rows, epochs=4).wait()
    view = monitor._maps.view
    assert isinstance(view, MapView) and view.color == "live"
    assert monitor._maps.slot.children == (view,)
    sample = monitor._maps.sample
    assert len(sample) == tm.MAX_SAMPLE_ROWS
    hits = np.bincount(model.predict(sample), minlength=42)
    np.testing.assert_array_equal(np.nan_to_num(view.color_values), hits)
    # the net: one segment (two points and a gap) per lattice edge, at the final codebook (no gap after
    # the last one: bqplot places a label at a line's last point, and NaN there is a browser error)
    a, b = monitor._maps.edges
    assert len(a) == sum((n >= 0).sum() for n in model.lattice_.neighbors) // 2
    center, basis = monitor._maps.basis
    nodes = (model.normalized_codebook_ - center) @ basis
    x = np.asarray(monitor._maps.net_mark.x)
    assert x.shape == (3 * len(a) - 1,)
    np.testing.assert_allclose(x[0::3], nodes[a, 0], rtol=1e-6)
    np.testing.assert_allclose(x[1::3], nodes[b, 0], rtol=1e-6)
    assert all(math.isnan(v) for v in x[2::3])


def test_the_end_of_a_run_builds_the_final_map_once(monkeypatch):
    """A run shorter than map_interval shows its map at the end: one view, not a view drawn by the
    final update and then replaced by the end's fresh one (each costs milliseconds of the fit)."""
    built = []
    original = MapView.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(MapView, "__init__", counting)
    model = new_model()
    monitor = TrainingMonitor(model, display=False, map_interval=60.0)
    monitor.start(X, epochs=3).wait()
    assert built == [monitor._maps.view] and monitor._maps.slot.children == (built[0],)
    np.testing.assert_allclose(built[0].color_values, model.umatrix())
    # a monitor made for the fitted model shows it at once, in one view too
    built.clear()
    again = TrainingMonitor(model, display=False)
    assert built == [again._maps.view]


def test_the_final_update_redraws_a_live_map_but_builds_none():
    """At the final update a live map that exists shows the final model at once (the end's fresh view
    waits for the event loop, which a blocking wait in the cell holds); none is built there."""
    from somnium.widgets._monitor_panels import MapPanel

    model = new_model().fit(X, epochs=2)
    panel = MapPanel(model, "umatrix", threading.RLock(), X)
    panel.draw(create=False)
    assert panel.view is None and panel.net_mark.x is not None and len(panel.net_mark.x) > 0
    panel.draw()  # a live map, in this (the owner) thread
    view = panel.view
    before = view.color_values.copy()
    model.fit(X, epochs=3)
    panel.draw(create=False)
    assert panel.view is view and view.color == "live"
    np.testing.assert_allclose(view.color_values, model.umatrix())
    assert not np.allclose(before, view.color_values)


def test_a_component_plane_can_be_watched():
    model = new_model()
    monitor = TrainingMonitor(model, display=False, map_layer="x2")
    monitor.start(X, epochs=3).wait()
    np.testing.assert_allclose(monitor._maps.view.color_values, model.codebook_[:, 2])


def test_log_toggle_switches_every_y_axis():
    monitor = TrainingMonitor(new_model(), display=False)
    monitor._curves.log_toggle.value = True
    for key in tm.CURVE_METRICS:
        assert monitor._curves.y_axes[key].scale is monitor._curves.log_scales[key]
        assert monitor._curves.lines[key].scales["y"] is monitor._curves.log_scales[key]
    monitor._curves.log_toggle.value = False
    assert monitor._curves.y_axes["vacancy_rate"].scale is monitor._curves.linear_scales["vacancy_rate"]


def test_sigint_while_awaiting_stops_training_then_cancels_the_cell():
    """■ Interrupt is SIGINT in the kernel's main thread; ipykernel 7.4 would only act once the await ends."""
    model = new_model()
    monitor = TrainingMonitor(model, display=False)

    async def main():
        run = monitor.fit(X, epochs=300, callbacks=[sleeper(0.01)])
        threading.Thread(target=_interrupt_after_epoch, args=(monitor, 3)).start()
        await run

    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError, match="stopped at epoch"):
        asyncio.run(main())
    assert time.monotonic() - started < 2.0  # not the 3 s of the whole fit
    assert monitor.state == "stopped"
    assert len(model.history_["epoch"]) == monitor.stopped_epoch < 300
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler was restored


def _interrupt_after_epoch(monitor, epoch):
    wait_for(lambda: monitor.epoch >= epoch)
    os.kill(os.getpid(), signal.SIGINT)


def test_a_dask_fit_is_monitored_from_a_sample_of_a_few_partitions():
    da = pytest.importorskip("dask.array")
    read = []

    def block(block_info=None):
        index = block_info[None]["chunk-location"][0]
        read.append(index)
        return np.random.default_rng(index).normal(size=(500, 4))

    lazy = da.map_blocks(block, chunks=((500,) * 40, (4,)), dtype=np.float64)
    model = new_model()
    monitor = TrainingMonitor(model, display=False, map_layer="hits")
    sampled = list(read)  # nothing read before the run starts
    monitor.start(lazy, epochs=3).wait()
    assert sampled == []
    sample = monitor._maps.sample
    assert isinstance(sample, np.ndarray) and len(sample) == tm.MAX_SAMPLE_ROWS
    # the sample's rows are rows of the data: each one is in the block it came from
    everything = np.concatenate([np.random.default_rng(i).normal(size=(500, 4)) for i in range(40)])
    assert {tuple(r) for r in sample} <= {tuple(r) for r in everything}
    # the fit itself is the in-memory fit; the monitor's map shows the sample's hits
    reference = new_model().fit(everything, epochs=3)
    np.testing.assert_allclose(model.codebook_, reference.codebook_, rtol=1e-6, atol=1e-9)
    hits = np.bincount(model.predict(sample), minlength=42)
    np.testing.assert_array_equal(np.nan_to_num(monitor._maps.view.color_values), hits)
    assert monitor._header.epoch == 3 and monitor.state == "done"


def test_sample_rows_reads_at_most_max_partitions():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from somnium.distributed import sample_rows

    frame = pd.DataFrame({"a": np.arange(10_000.0), "b": np.arange(10_000) % 7})
    frame.index = frame.index + 100
    lazy = dd.from_pandas(frame, npartitions=50, sort=False)
    seen = []
    counted = lazy.map_partitions(lambda part: seen.append(part.index[0]) or part, meta=lazy._meta)
    sample = sample_rows(counted, 300, max_partitions=10)
    assert len(sample) == 300 and sample.index.is_unique
    pd.testing.assert_frame_equal(sample, frame.loc[sample.index])  # real rows, index kept
    assert len(set(seen)) <= 10
    assert len(sample_rows(lazy, 10**6, max_partitions=50)) == len(frame)  # fewer rows than asked: all
    assert len(sample_rows(lazy, 10**6)) == 32 * 200  # 32 partitions of 200 rows by default
