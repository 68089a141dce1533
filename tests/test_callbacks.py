"""The callback protocol, the fit guard and the committed state seen from callbacks and threads."""

import io
import threading

import numpy as np
import pytest

from somnium import SOM, engine, metrics
from somnium.callbacks import Callback, EarlyStopping, TextProgress
from somnium.exceptions import FitInProgressError, ModelNotTrainedError
from tests.support.reference import brute_bmus

X = np.random.default_rng(1).normal(size=(300, 3))


class Recorder(Callback):
    def __init__(self, stop_at=None):
        self.events = []
        self.stop_at = stop_at

    def on_fit_begin(self, plan):
        self.events.append(("begin", plan.phase, plan.n_epochs, plan.first_epoch, plan.run_epochs))

    def on_epoch_end(self, info):
        self.events.append(("epoch", info.epoch, info.phase_epoch, info.run_epoch, info.run_epochs))
        return self.stop_at is not None and info.epoch >= self.stop_at

    def on_fit_end(self, result):
        self.events.append(("end", result.phase, result.epochs_run, result.stopped, result.error))


def test_callbacks_see_begin_every_epoch_and_end_in_order():
    recorder = Recorder()
    SOM(mapsize=(3, 4), random_state=0).fit(X, epochs=3, callbacks=recorder)
    assert recorder.events == [
        ("begin", "batch-1", 3, 1, 3),
        ("epoch", 1, 1, 1, 3),
        ("epoch", 2, 2, 2, 3),
        ("epoch", 3, 3, 3, 3),
        ("end", "batch-1", 3, False, None),
    ]


def test_stop_leaves_the_model_exactly_at_the_stopped_epoch():
    stopped = SOM(mapsize=(4, 4), dtype="float64", random_state=0)
    stopped.fit(X, epochs=8, radiusin=3, radiusfin=1, callbacks=Recorder(stop_at=3))
    # the same schedule run for 3 epochs without a stop is a different schedule, so compare with
    # the snapshot a callback saw at epoch 3 of an unstopped run
    seen = {}
    full = SOM(mapsize=(4, 4), dtype="float64", random_state=0)
    full.fit(
        X, epochs=8, radiusin=3, radiusfin=1, callbacks=lambda i: seen.setdefault(i.epoch, i.model.codebook_)
    )
    np.testing.assert_array_equal(stopped.codebook_, seen[3])
    assert len(stopped.history_["quantization_error"]) == 3
    np.testing.assert_array_equal(stopped.bmu_, stopped.predict(X))
    assert stopped.history_["quantization_error"][-1] == pytest.approx(stopped.calculate_quantization_error())


def test_a_stop_in_fit_auto_skips_its_second_phase():
    recorder = Recorder(stop_at=2)
    model = SOM(mapsize=(4, 4), random_state=0).fit_auto(X, callbacks=recorder)
    assert len(model.history_["epoch"]) == 2
    assert [e[0] for e in recorder.events].count("begin") == 1


def test_fit_auto_reports_its_position_in_the_whole_run():
    recorder = Recorder()
    SOM(mapsize=(4, 4), random_state=0).fit_auto(X, callbacks=recorder, rough_epochs=2, fine_epochs=3)
    epochs = [e for e in recorder.events if e[0] == "epoch"]
    assert [e[3] for e in epochs] == [1, 2, 3, 4, 5] and {e[4] for e in epochs} == {5}
    begins = [e for e in recorder.events if e[0] == "begin"]
    assert [(b[1], b[2], b[3]) for b in begins] == [("batch-1", 2, 1), ("batch-2", 3, 3)]


def test_an_error_reaches_on_fit_end_and_the_caller(monkeypatch):
    recorder = Recorder()
    calls = {"n": 0}
    real = engine.batch_update

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "batch_update", failing)
    model = SOM(mapsize=(3, 3), random_state=0)
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(X, epochs=5, callbacks=recorder)
    end = recorder.events[-1]
    assert end[0] == "end" and end[2] == 2 and isinstance(end[4], RuntimeError)
    assert len(model.history_["epoch"]) == 2


def test_bad_radii_are_refused_before_the_callbacks_hear_of_a_phase():
    recorder = Recorder()
    model = SOM(mapsize=(3, 3), random_state=0)
    with pytest.raises(ValueError, match="radiusfin"):
        model.fit(X, epochs=2, radiusin=1.0, radiusfin=2.0, callbacks=recorder)
    assert recorder.events == [] and not model.is_fitted


def test_each_phase_result_says_whether_the_run_is_over():
    results = []
    model = SOM(mapsize=(4, 4), random_state=0)
    model.fit(X, epochs=2, callbacks=Recorder())  # a plain fit: one phase, over
    model.fit(
        X, epochs=2, callbacks=type("R", (Callback,), {"on_fit_end": lambda self, r: results.append(r)})()
    )
    model.fit_auto(
        X, 2, 3, callbacks=type("R", (Callback,), {"on_fit_end": lambda self, r: results.append(r)})()
    )
    assert [(r.phase, r.run_over, r.run_epoch, r.epochs_run) for r in results] == [
        ("batch-2", True, 2, 2),
        ("batch-3", False, 2, 2),
        ("batch-4", True, 5, 3),
    ]


def test_a_fit_started_from_a_callback_is_refused():
    model = SOM(mapsize=(3, 3), random_state=0)
    errors = []

    def nested(info):
        try:
            info.model.fit(X, epochs=1)
        except FitInProgressError as error:
            errors.append(error)
        return True

    model.fit(X, epochs=3, callbacks=nested)
    assert len(errors) == 1 and "already training" in str(errors[0])
    model.fit(X, epochs=1)  # the guard is released afterwards


def test_a_second_thread_cannot_fit_while_one_trains_and_reads_the_last_epoch():
    model = SOM(mapsize=(3, 3), random_state=0)
    inside, release = threading.Event(), threading.Event()
    outcome = {}

    def slow(info):
        inside.set()
        release.wait(10)

    worker = threading.Thread(target=lambda: model.fit(X, epochs=2, callbacks=slow))
    worker.start()
    assert inside.wait(10)
    with pytest.raises(FitInProgressError):
        model.fit(X, epochs=1)
    outcome["epochs"] = len(model.history_["epoch"])  # the committed epoch, not "not trained"
    release.set()
    worker.join(10)
    assert outcome["epochs"] == 1
    assert len(model.history_["epoch"]) == 2


def test_reading_before_the_first_epoch_of_a_running_fit_says_training_is_in_progress():
    model = SOM(mapsize=(3, 3), random_state=0)
    messages = []
    real = engine.batch_update

    def peek(*args, **kwargs):
        if not messages:
            try:
                model.codebook_
            except ModelNotTrainedError as error:
                messages.append(str(error))
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "batch_update", peek)
        model.fit(X, epochs=1)
    assert "in progress" in messages[0]


def test_early_stopping_stops_on_a_plateau():
    stopper = EarlyStopping(patience=2, min_delta=0.5)  # nothing improves by 50%: stop after 1 + 2 epochs
    model = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=20, collect_history=True, callbacks=stopper)
    assert len(model.history_["epoch"]) == 3 and stopper.stopped_epoch == 3


def test_early_stopping_validates_its_metric():
    with pytest.raises(ValueError, match="quantization_error"):
        EarlyStopping(monitor="qe")


def test_text_progress_writes_one_line_per_epoch_and_a_summary():
    stream = io.StringIO()
    SOM(mapsize=(3, 3), random_state=0).fit(X, epochs=2, callbacks=TextProgress(stream, interval=0))
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("batch-1: 2 epochs on 300 rows")
    assert lines[1].startswith("epoch 1/2") and metrics.METRIC_LABELS["quantization_error"] in lines[1]
    assert lines[-1].startswith("batch-1: done after 2 epochs")


def test_plain_functions_and_bad_callbacks():
    seen = []
    SOM(mapsize=(3, 3), random_state=0).fit(X, epochs=2, callbacks=lambda info: seen.append(info.epoch))
    assert seen == [1, 2]
    with pytest.raises(TypeError, match="neither callable"):
        SOM(mapsize=(3, 3)).fit(X, epochs=1, callbacks=[42])


def test_stored_node_statistics_add_up_over_many_chunks(monkeypatch):
    # Blocks of 37 rows in tiles of 5: every block ends mid-tile and the last block is short.
    monkeypatch.setattr(engine, "_BLOCK_ROWS", 37)
    monkeypatch.setattr(engine, "_MAX_BLOCK_ROWS", 37)
    monkeypatch.setattr(engine, "_TILE_BYTES", 1)
    monkeypatch.setattr(engine, "_MIN_TILE_ROWS", 5)
    model = SOM(mapsize=(4, 5), dtype="float64", random_state=0).fit(X, epochs=2)
    Xn, W, b = model.normalize(X), model.normalized_codebook_, model.bmu_
    np.testing.assert_allclose(
        model.node_quantization_error(), metrics.node_quantization_error(Xn, W, b), equal_nan=True
    )
    assert model.calculate_mean_bmu_distance() == pytest.approx(metrics.mean_bmu_distance(Xn, W, b))
    # The blocked, tiled pass on two threads against brute force over all rows at once.
    first, second, _ = brute_bmus(Xn, W)
    model.n_jobs = 2
    assert model.calculate_quantization_error(X) == pytest.approx(metrics.quantization_error(Xn, W, first))
    assert model.calculate_topographic_error(X) == pytest.approx(
        metrics.topographic_error(first, second, model.lattice_)
    )
    np.testing.assert_array_equal(model.predict(X), first)
