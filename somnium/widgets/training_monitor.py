"""TrainingMonitor: watch a SOM learn live in JupyterLab, and stop it from the browser.

The view only.  :mod:`._run` runs the fit beside the kernel (a worker thread, so the Stop click can
reach Python); :class:`~._recorder.Recorder`, the monitor's callback, records each epoch and holds the
run's state; this module draws what the recorder holds: the header (an anywidget), three bqplot curves
and the maps (:mod:`._monitor_panels`).  Updates never queue up behind the kernel: the
:class:`~._recorder.Publisher` sends the latest state at most ``update_interval`` apart (less often
while the page says it is behind), only the epochs the page does not have yet are sent (the page
appends them to the curves, at most once per animation frame), and the maps, which cost far more,
are redrawn at most ``map_interval`` apart and at most :data:`MAP_DUTY` of the time.  Widgets are
created in the thread that created the monitor (the kernel's main thread).
"""

from __future__ import annotations

import math
import threading
import time

import anywidget
import ipywidgets
import numpy as np
import traitlets

from .._validation import boolean_columns, check_option, column_names, numeric_columns
from ..exceptions import FitInProgressError, UnknownOptionError
from . import _run
from ._base import STATIC_DIR
from ._hosts import marimo_notice
from ._monitor_panels import MAX_SAMPLE_ROWS, CurvePanel, MapPanel
from ._recorder import CURVE_METRICS, STATES, Publisher, Recorder
from ._run import FitRunner, TrainingRun
from ._traits import BrowserWrites

__all__ = ["CURVE_METRICS", "MAX_SAMPLE_ROWS", "STATES", "TrainingMonitor", "TrainingRun"]

#: Largest share of the wall-clock time the live maps' redraws may take (they share the GIL with training).
MAP_DUTY = 0.02


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    return get_ipython()


class _MonitorHeader(BrowserWrites, anywidget.AnyWidget):
    """The monitor's first child: state, progress, messages and the Stop button.

    Renders ``<div class="somnium somnium-monitor" data-state=... data-epoch=...>`` with
    ``button[data-action="stop"]``.  Messages from the page: ``{"action": "stop"}``,
    ``{"action": "behind"}`` (it draws updates late) and ``{"action": "resync", "have": k}`` (its
    curves hold k epochs); to the page: ``{"kind": "epochs", "start": i}`` with the new rows
    (little-endian float32: the epoch, then one value per curve).
    """

    _esm = STATIC_DIR / "training_monitor.js"
    _css = STATIC_DIR / "training_monitor.css"
    _browser_traits = ()  # the page only sends messages; every trait is Python's

    state = traitlets.Enum(STATES, "idle").tag(sync=True)
    epoch = traitlets.Int(0).tag(sync=True)  # last epoch shown, cumulative over the model's fits
    fraction = traitlets.Float(0.0).tag(sync=True)  # of the current call's planned epochs
    status = traitlets.Unicode("").tag(sync=True)  # "Epoch 3 of 60 · batch-1 · ..."
    message = traitlets.Unicode("").tag(sync=True)  # how it ended, or an error
    note = traitlets.Unicode("").tag(sync=True)  # why Stop cannot act, when it cannot
    stop_enabled = traitlets.Bool(False).tag(sync=True)
    _sent_at = traitlets.Float(0.0).tag(sync=True)  # time.time() of the update: the page measures its lag
    _curves = traitlets.List(traitlets.Instance(ipywidgets.Widget)).tag(
        sync=True, **ipywidgets.widget_serialization
    )


class TrainingMonitor:
    """Live view of a SOM's training, with a Stop button that works during the fit.

    Shows the quality curves (quantization error, topographic error, vacancy
    rate) epoch by epoch with the phase boundaries marked, the progress (epoch
    k of n, phase, elapsed, time left, rows/s), the map's U-matrix (or hits, or
    a component plane) on a :class:`~somnium.widgets.MapView`, and the "map in
    data space": a sample of the data on its first two principal components
    with the codebook's lattice drawn over it as a net.

    Parameters
    ----------
    model : SOM
        The model to train (fitted or not; training continues a fitted one).
    data : array-like, DataFrame or Dask collection, optional
        Rows for the "map in data space" panel in passive mode
        (``model.fit(X, callbacks=[monitor])``); :meth:`fit` and :meth:`start`
        use their own ``X``.  At most 2,000 rows are drawn (from at most 32
        partitions of Dask data: :func:`somnium._rows.sample_rows`).
    map_layer : str, default "umatrix"
        What the live map shows: ``"umatrix"``, ``"hits"`` (of the data
        sample) or a feature name (its component plane).
    update_interval : float, default 0.1
        Minimum seconds between two updates sent to the browser.
    map_interval : float, default 0.5
        Minimum seconds between two redraws of the maps.
    display : bool, default True
        Show the monitor in a notebook: at the end of the cell that creates
        it, or when a fit starts, if it has not been shown by then (as the
        cell's value or with ``display(monitor)``).  It never shows itself twice.

    Three ways to train
    -------------------
    ``await monitor.fit(X, epochs=60)``
        Blocks the cell like ``model.fit`` while the epochs run in a worker
        thread; Stop works (ipykernel >= 7.4 dispatches the click while the
        cell awaits).  Returns the model.  Works with Run All and nbclient.
    ``monitor.start(X, epochs=600)``
        Returns at once; the next cells run during training.  Block later with
        ``monitor.wait()`` or ``await monitor``.  While training runs, the
        model's fitted attributes show the last completed epoch, and another
        fit of the same model raises :class:`~somnium.exceptions.FitInProgressError`.
    ``model.fit(X, callbacks=[monitor])``
        Passive: a live view only.  The cell blocks the kernel, so the Stop
        button is off (a click may not reach Python before the fit ends); use
        ■ Interrupt to stop.

    ``fit_online`` and ``fit_auto`` work the same way (``fit_auto``'s phases
    appear in one run, the boundaries marked).

    Stopping
    --------
    Stop (the button, or :meth:`stop` from Python) ends training at the end of
    the current epoch: ``history_``, ``codebook_`` and ``bmu_`` are those of
    the last completed epoch, the view says "stopped at epoch k", and the
    model can be trained further or saved.  ■ Interrupt while the cell awaits
    (or blocks in :meth:`wait`) does the same, then ends the cell with the
    interruption: ``asyncio.CancelledError`` when awaiting (ipykernel turns
    the interrupt of an awaiting cell into a cancellation), ``KeyboardInterrupt``
    in :meth:`wait`.  The model stays at the last completed epoch.  A second
    interrupt stops waiting at once (the worker still ends its epoch).

    An exception in training is shown in the view and raised again by
    ``await`` and :meth:`wait`.

    Examples
    --------
    >>> monitor = TrainingMonitor(model)  # doctest: +SKIP
    >>> await monitor.fit(X, epochs=60)  # doctest: +SKIP
    """

    _display_ = marimo_notice("TrainingMonitor")  # marimo draws anywidgets only: say so there

    def __init__(
        self,
        model,
        data=None,
        *,
        map_layer: str = "umatrix",
        update_interval: float = 0.1,
        map_interval: float = 0.5,
        display: bool = True,
    ):
        self.model = model
        if not isinstance(map_layer, str) or not map_layer:
            raise UnknownOptionError(
                f"Unknown map layer {map_layer!r}. Valid map layer values: umatrix, hits, or a feature name."
            )
        self.map_layer = map_layer
        self._layer_checked = False  # against the model's features, once it has them
        if model.is_fitted:
            self._check_map_layer(model.feature_names())
        self.update_interval, self.map_interval = float(update_interval), float(map_interval)
        if self.update_interval < 0 or self.map_interval < 0:
            raise ValueError("update_interval and map_interval must be >= 0 seconds.")
        self._send_lock = threading.RLock()  # one sender at a time (hold_sync is not thread-safe)
        self._runner = FitRunner(model)
        self._recorder = Recorder(model, self._on_record)
        self._publisher = Publisher(self._send, self.update_interval)
        self.messages_sent = 0  # updates published to the browser (benchmarks read it)
        self._sent_upto = 0  # epochs the page's curves hold
        self._last_map, self._map_cost = -math.inf, 0.0
        self._curves = CurvePanel(self._send_lock)
        self._maps = MapPanel(model, map_layer, self._send_lock, data)
        self._header = _MonitorHeader(_curves=[self._curves.lines[key] for key in CURVE_METRICS])
        self._header.on_msg(self._on_message)
        self.widget = ipywidgets.VBox(
            [self._header, self._curves.widget, self._maps.widget], layout=ipywidgets.Layout(width="100%")
        )
        for name in ("somnium", "somnium-monitor-box"):
            self.widget.add_class(name)
        self._publisher.flush(final=True)
        if model.is_fitted:
            self._maps.create()
        self._auto_display, self._shown, self._shown_by_fit_in = display, False, None
        shell = _shell()
        if display and shell is not None:
            shell.events.register("post_run_cell", self._end_of_cell)

    # ------------------------------------------------------------ public API
    @property
    def state(self) -> str:
        """One of :data:`STATES`: idle, running, stopping, stopped, done, error."""
        return self._recorder.state

    @property
    def epoch(self) -> int:
        """The last epoch recorded (cumulative over the model's fits)."""
        return self._recorder.epoch

    @property
    def stopped_epoch(self) -> int | None:
        """The epoch at which the last run was stopped (None if it was not)."""
        return self._recorder.stopped_epoch

    def fit(self, X=None, **fit_kwargs) -> TrainingRun:
        """Batch training in a worker thread; ``await`` the result (it returns the model).

        Takes the arguments of :meth:`somnium.SOM.fit` (``callbacks=`` are
        called after the monitor).  Argument errors and
        :class:`~somnium.exceptions.FitInProgressError` are raised here, at
        once.  Training starts immediately; ``await`` blocks the cell until it
        ends while the Stop button keeps working.  A run that is never awaited
        goes on in the background and warns (use :meth:`start` for that).
        """
        return self._launch("fit", X, fit_kwargs, background=False)

    def fit_online(self, X=None, **fit_kwargs) -> TrainingRun:
        """Like :meth:`fit`, for :meth:`somnium.SOM.fit_online`."""
        return self._launch("fit_online", X, fit_kwargs, background=False)

    def fit_auto(self, X=None, **fit_kwargs) -> TrainingRun:
        """Like :meth:`fit`, for :meth:`somnium.SOM.fit_auto` (all its phases in one run)."""
        return self._launch("fit_auto", X, fit_kwargs, background=False)

    def start(self, X=None, method: str = "fit", **fit_kwargs) -> TrainingRun:
        """Start training in the background and return at once.

        Parameters
        ----------
        X : array-like or DataFrame
        method : {"fit", "fit_online", "fit_auto"}, default "fit"
        **fit_kwargs
            Arguments of that method.

        Returns
        -------
        TrainingRun
            Await it, or call :meth:`wait` (or ``await monitor``) later.
        """
        return self._launch(method, X, fit_kwargs, background=True)

    def wait(self, timeout: float | None = None):
        """Block until the current (or last) run ends; return the model.

        Re-raises the exception that ended training.  ■ Interrupt stops
        training at the end of the current epoch, then raises
        ``KeyboardInterrupt``.
        """
        future = self._runner.future
        return self.model if future is None else self._wait_future(future, timeout)

    def __await__(self):
        future = self._runner.future
        if future is None:
            return _ready(self.model).__await__()
        return self._await_future(future).__await__()

    def stop(self) -> None:
        """Ask training to stop at the end of the current epoch (safe from any thread)."""
        self._recorder.stop()

    def _repr_mimebundle_(self, **kwargs):
        shell = _shell()
        if shell is not None and self._shown_by_fit_in == shell.execution_count:
            return {"text/plain": repr(self)}  # its fit already showed it in this cell
        self._shown = True
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<TrainingMonitor {self.state} at epoch {self.epoch} of {self.model!r}>"

    # ------------------------------------------------------------ running a fit
    def _launch(self, method, X, fit_kwargs, background):
        names = _feature_names(X)
        if names is not None:
            check_option(self.map_layer, ("umatrix", "hits", *names), "map layer")
        if not self._runner.busy():
            self._maps.capture_owner()
            if X is not None:
                self._maps.set_data(X)
        try:
            future = self._runner.launch(method, X, fit_kwargs, self._recorder, background)
        except FitInProgressError:
            if not self._runner.busy():  # the model trains elsewhere (not in this monitor)
                self._set_message(
                    "This model is already training (another fit is running); wait for it or stop it first."
                )
            raise
        self._show_if_hidden(by_fit=True)
        return TrainingRun(self, method, future, background)

    async def _await_future(self, future):
        with self._recorder.waiting("await"):
            return await _run.await_future(future, self.stop, self._recorder.stop_event, lambda: self.epoch)

    def _wait_future(self, future, timeout):
        with self._recorder.waiting("blocking"):
            return _run.wait_future(future, timeout, self.stop)

    # ------------------------------------------------------ callback protocol (passive mode)
    def on_fit_begin(self, plan) -> None:
        self._recorder.on_fit_begin(plan)

    def on_epoch_end(self, info) -> bool:
        return self._recorder.on_epoch_end(info)

    def on_fit_end(self, result) -> None:
        self._recorder.on_fit_end(result)

    def _on_record(self, event):
        """The recorder changed (in the training thread; "controls" in any thread)."""
        if event == "epoch":
            if not self._layer_checked:  # a passive fit of a new model: its features are known now
                self._check_map_layer(self.model.feature_names())
            if self._maps.view is None and threading.get_ident() == self._maps.owner_thread:
                self._maps.create()  # passive mode: the callbacks run in the main thread
            self._publisher.poke()  # epochs are paced; a change of state shows at once
            return
        if event == "end":
            self._publisher.flush(final=True)
            self._publisher.close()
            self._maps.call_in_owner(self._maps.refresh)
            return
        if event == "begin":
            if self._recorder.mode == "passive":
                self._show_if_hidden(by_fit=True)
            self._publisher.ensure_running()
            self._publisher.poke()
        state, stop_enabled, note = self._recorder.controls()
        with self._send_lock, self._header.hold_sync():  # what Stop can do shows at once
            self._header.state, self._header.stop_enabled, self._header.note = state, stop_enabled, note

    def _on_message(self, widget, content, buffers):
        # May run on any kernel thread (comms over subshells): only signal and record.
        if not isinstance(content, dict):
            return
        action = content.get("action")
        if action == "stop":
            self.stop()
        elif action == "behind":
            self._publisher.slow_down()
        elif action == "resync" and isinstance(content.get("have"), int):
            with self._send_lock:
                self._sent_upto = max(0, min(self._sent_upto, content["have"]))
            self._publisher.poke()

    def _check_map_layer(self, names):
        try:
            check_option(self.map_layer, ("umatrix", "hits", *names), "map layer")
        except UnknownOptionError:
            if hasattr(self, "_maps"):
                self._maps.map_layer = None  # nothing to draw: the error says why
            raise
        self._layer_checked = True

    # ------------------------------------------------------------ showing it once
    def _end_of_cell(self, result=None):
        _shell().events.unregister("post_run_cell", self._end_of_cell)
        self._show_if_hidden(by_fit=False)

    def _show_if_hidden(self, by_fit: bool):
        shell = _shell()
        if self._shown or not self._auto_display or shell is None:
            return
        if threading.current_thread() is not threading.main_thread():
            return  # widgets are displayed from the main thread; the end of the cell will show it
        from IPython.display import display

        self._shown = True
        if by_fit:
            self._shown_by_fit_in = shell.execution_count
        display(self.widget)

    # ------------------------------------------------------------ publishing
    def _send(self, final: bool):
        """Send the recorder's state: the new epochs, the header, the maps when due (the Publisher's call)."""
        with self._send_lock:
            snap = self._recorder.snapshot(since=self._sent_upto)
            if snap.rows.size:
                self._header.send(
                    {"kind": "epochs", "start": snap.start}, [snap.rows.astype("<f4").tobytes()]
                )
            self._sent_upto = snap.n_epochs
            rows = self._recorder.rows()
            self._curves.draw_frame(snap, rows)
            if final:
                self._curves.sync(rows)
            header = self._header
            with header.hold_sync():
                header.state, header.epoch, header.status = snap.state, snap.epoch, snap.status
                header.fraction, header.message, header.note = snap.fraction, snap.message, snap.note
                header.stop_enabled, header._sent_at = snap.stop_enabled, time.time()
            now = time.perf_counter()
            if final:
                # A fresh view of the final model is built next (refresh at a run's end, create when a
                # monitor of a fitted model is made): building a live one here too made two at the end
                # of a run shorter than map_interval. A live map that exists still shows the final state
                # at once (the fresh view waits for the event loop, which a blocking wait holds).
                self._maps.draw(create=False)
                self._last_map = now
            elif now - self._last_map >= max(self.map_interval, self._map_cost / MAP_DUTY):
                # The maps cost far more than the curves: at most map_interval apart and MAP_DUTY of the time.
                self._maps.draw()
                self._last_map, self._map_cost = now, time.perf_counter() - now
            self.messages_sent += 1

    def _set_message(self, text):
        with self._send_lock:
            self._header.message = text


def _feature_names(X) -> list[str] | None:
    """The names a fit on ``X`` gives its features (:meth:`SOM.feature_names`), or None if unclear."""
    try:
        if hasattr(X, "columns"):
            if len(numeric_columns(X)) + len(boolean_columns(X)) < len(X.columns):
                return None  # one-hot columns get names "column=value" from the fit
            return column_names(X.columns)
        shape = X.shape if hasattr(X, "shape") else np.shape(X)
        return [f"x{i}" for i in range(int(shape[1]))] if len(shape) == 2 else None
    except Exception:  # the fit itself says what is wrong with X
        return None


async def _ready(value):
    return value
