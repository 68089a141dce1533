"""Somnium's warnings point at the user's line, whatever the route in (``warnings``' default filters show
a warning once per line it is attributed to, and the line is what a user reads first)."""

import warnings

import numpy as np
import pytest

from somnium import SOM
from somnium.lattice import Lattice
from somnium.segments import Segments


def _data(n=200, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def _only(record, category):
    found = [w for w in record if issubclass(w.category, category)]
    assert found, [str(w.message) for w in record]
    return found


def test_a_warning_from_deep_in_a_fit_points_at_the_callers_line():
    huge = _data() * 1e25  # beyond float32's range for distances: the fit computes in float64
    with pytest.warns(UserWarning, match="float32") as record:
        SOM(mapsize=(4, 4), normalization="none", random_state=0).fit(huge, epochs=1)
    assert {w.filename for w in _only(record, UserWarning)} == {__file__}
    with pytest.warns(UserWarning, match="float32") as record:
        SOM(mapsize=(4, 4), normalization="none", random_state=0).fit_auto(huge)
    assert {w.filename for w in _only(record, UserWarning)} == {__file__}


def test_warnings_of_direct_calls_point_at_the_callers_line():
    with pytest.warns(RuntimeWarning, match="half-cell twist") as record:
        Lattice(5, 4, "toroidal_hexa", shifted_rows="odd")
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match="mexican_hat") as record:
        SOM(mapsize=(3, 3), neighborhood="mexican_hat", random_state=0).fit_online(_data(50), epochs=1)
    assert _only(record, UserWarning)[0].filename == __file__
    model = SOM(mapsize=(3, 3), random_state=0).fit(_data(), epochs=1)
    with pytest.warns(DeprecationWarning) as record:
        model.transform(_data(5))
    assert record[0].filename == __file__


def test_a_warning_from_a_method_calling_another_points_at_the_callers_line():
    X = _data()
    model = SOM(mapsize=(3, 3), random_state=0).fit(X, epochs=2)
    segments = Segments(model)
    segments.add("a", [0, 1])
    model.fit(X, epochs=1)  # trained again: the segments warn when they read rows
    with pytest.warns(UserWarning, match="trained again") as record:
        segments.labels(X)
    assert record[0].filename == __file__


def test_a_warning_in_another_thread_points_at_that_threads_code():
    """In a thread the user's line is not on the stack: the warning names the thread's first frame
    outside Somnium (here the test's ``run``), never a line inside the package."""
    import threading

    from somnium.exceptions import warn

    caught = []

    def run():
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            warn("from a thread")
        caught.extend(record)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert caught and caught[0].filename == __file__  # `run` is the first frame outside the package


def test_a_training_monitors_fit_warns_at_the_line_that_started_it():
    """A monitor trains in its own thread, whose stack holds no line of the user's: the fit's warnings
    are reported at the call that started it (not at ``threading.py``)."""
    import inspect

    from somnium.widgets import TrainingMonitor

    huge = _data() * 1e25  # the fit computes in float64 and says so
    monitor = TrainingMonitor(SOM(mapsize=(4, 4), normalization="none", random_state=0))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        monitor.start(huge, epochs=1)
        monitor.wait()
    found = [w for w in record if "float32" in str(w.message)]
    assert found and {(w.filename, w.lineno) for w in found} == {(__file__, line)}


def test_a_callback_in_a_monitors_thread_warns_at_its_own_line():
    """User code on the monitor's thread (a callback) is on that stack: warnings it causes point at it."""
    import inspect

    from somnium.widgets import TrainingMonitor

    X = _data()
    lines = []

    def callback(info):
        lines.append(inspect.currentframe().f_lineno + 1)
        info.model.transform(X[:3])  # deprecated: warns

    monitor = TrainingMonitor(SOM(mapsize=(3, 3), random_state=0))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        monitor.start(X, epochs=2, callbacks=[callback])
        monitor.wait()
    found = _only(record, DeprecationWarning)
    assert lines and {(w.filename, w.lineno) for w in found} == {(__file__, lines[0])}
