"""Regression tests for the training monitor's findings of issue 21 (each failed before its fix).

- two concurrent ``start()`` calls left ``wait()`` returning while training still ran;
- a user callback failing at epoch 3 was reported as "epoch 4";
- a misspelt ``map_layer`` fell back to the U-matrix silently.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from somnium import SOM
from somnium.exceptions import FitInProgressError, UnknownOptionError
from somnium.widgets import TrainingMonitor

X = np.random.default_rng(0).normal(size=(600, 4))


def new_model():
    return SOM(mapsize=(6, 7), random_state=0)


def sleeper(seconds):
    def callback(info):
        time.sleep(seconds)

    return callback


# ------------------------------------------------------------------ concurrent starts
def test_of_two_concurrent_starts_one_trains_the_other_raises_and_wait_waits_for_training():
    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    barrier = threading.Barrier(2)
    outcomes = []

    def start():
        barrier.wait()
        try:
            monitor.start(X, epochs=30, callbacks=[sleeper(0.01)])
            outcomes.append("started")
        except FitInProgressError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str).count("started") == 1
    [error] = [o for o in outcomes if o != "started"]
    assert "already training" in str(error)
    assert monitor.wait() is model
    # wait() returned because training ended: all 30 epochs, and the model is free again
    assert monitor.state == "done"
    assert len(model.history_["epoch"]) == 30
    model.fit(X, epochs=1)


# ------------------------------------------------------------------ the epoch of an error
class Boom(RuntimeError):
    pass


def test_a_callback_failing_at_epoch_3_is_reported_at_epoch_3():
    def fail_at_3(info):
        if info.epoch == 3:
            raise Boom("broken")

    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    with pytest.raises(Boom):
        monitor.start(X, epochs=10, callbacks=[fail_at_3]).wait()
    assert monitor.state == "error"
    message = monitor._header.message
    assert "epoch 3" in message and "epoch 4" not in message, message
    assert len(model.history_["epoch"]) == 3  # the model holds epoch 3, as the message says


def test_a_callback_placed_before_the_monitor_is_reported_at_its_epoch_too():
    def fail_at_3(info):
        if info.epoch == 3:
            raise Boom("broken")

    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    with pytest.raises(Boom):
        model.fit(X, epochs=10, callbacks=[fail_at_3, monitor])  # the monitor never heard of epoch 3
    assert "epoch 3" in monitor._header.message
    assert monitor._header.epoch == 3 == monitor.epoch


def test_an_error_of_the_training_itself_names_the_epoch_being_computed():
    da = pytest.importorskip("dask.array")
    monitor = None

    def block(block_info=None):
        if monitor is not None and monitor.epoch >= 3:
            raise Boom("partition lost")
        return np.random.default_rng(block_info[None]["chunk-location"][0]).normal(size=(200, 4))

    lazy = da.map_blocks(block, chunks=((200,) * 3, (4,)), dtype=np.float64)
    model = new_model()
    monitor = TrainingMonitor(model, display=False)
    with pytest.raises(Boom):
        monitor.start(lazy, epochs=10).wait()
    held = len(model.history_["epoch"])  # what the model holds after the failure
    assert held >= 3
    assert f"Training failed in epoch {held + 1}" in monitor._header.message
    assert f"The model holds epoch {held}." in monitor._header.message
    assert monitor._header.epoch == held


# ------------------------------------------------------------------ map_layer
def test_an_unknown_map_layer_of_a_fitted_model_raises_with_the_valid_names():
    model = new_model().fit(X, epochs=2)
    with pytest.raises(UnknownOptionError) as caught:
        TrainingMonitor(model, display=False, map_layer="x9")
    assert (
        str(caught.value) == "Unknown map layer 'x9'. Valid map layer values: umatrix, hits, x0, x1, x2, x3."
    )
    TrainingMonitor(model, display=False, map_layer="x3")  # a feature is valid


def test_an_unknown_map_layer_raises_when_the_fit_starts_and_nothing_trains():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["height", "weight", "age", "income"])
    model = new_model()
    monitor = TrainingMonitor(model, display=False, map_layer="hieght")
    with pytest.raises(
        UnknownOptionError, match="Valid map layer values: umatrix, hits, height, weight, age, income"
    ):
        monitor.start(frame, epochs=3)
    assert monitor.state == "idle" and not model.is_fitted
    ok = TrainingMonitor(model, display=False, map_layer="income")
    ok.start(frame, epochs=2).wait()
    np.testing.assert_allclose(ok._maps.view.color_values, model.codebook_[:, 3])


def test_an_unknown_map_layer_in_a_passive_fit_stops_it_at_the_first_epoch():
    model = new_model()
    monitor = TrainingMonitor(model, display=False, map_layer="x9")
    with pytest.raises(UnknownOptionError, match="Unknown map layer 'x9'"):
        model.fit(X, epochs=5, callbacks=[monitor])
    assert monitor.state == "error" and "Unknown map layer 'x9'" in monitor._header.message


@pytest.mark.parametrize("layer", [None, 3, ""])
def test_a_map_layer_that_is_not_a_name_raises(layer):
    with pytest.raises(UnknownOptionError, match="Valid map layer values: umatrix, hits, or a feature name"):
        TrainingMonitor(new_model(), display=False, map_layer=layer)
