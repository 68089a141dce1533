"""TrainingMonitor: watch a SOM learn live in JupyterLab, and stop it from the browser.

How it works
------------
The epochs run in a **worker thread** (``start`` and the awaitable ``fit``)
so that the kernel's main thread stays free to receive the Stop click; the
monitor is a callback of that fit (see :mod:`somnium.callbacks`).  The
training thread only *records* each epoch and answers "stop?" from a
:class:`threading.Event`; a small publisher thread sends what was recorded
at most ``update_interval`` apart (about 10 updates/s) and redraws the maps
at most ``map_interval`` apart (about 2/s), less often when a redraw is slow
(at most :data:`MAP_DUTY` of the time).  Nothing is dropped: every
epoch's metrics reach the curves, and the last epoch and the final state
are always sent.  The Stop click's handler (which may run on any kernel
thread) only sets the event.

Widgets are created in the thread that created the monitor (the kernel's
main thread): the live hex map is a :class:`~somnium.widgets.MapView`
created once the first epoch exists, through the main thread's event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

import anywidget
import ipywidgets
import numpy as np
import traitlets

from .._validation import is_dask_collection
from ..engine import principal_axes
from ..exceptions import FitInProgressError, ModelNotTrainedError
from ..metrics import METRIC_LABELS
from ._hosts import marimo_notice

__all__ = ["STATES", "TrainingMonitor", "TrainingRun"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

#: Values of :attr:`TrainingMonitor.state` (and of the view's ``data-state``).
STATES = ("idle", "running", "stopping", "stopped", "done", "error")
_FINAL_STATES = ("stopped", "done", "error")
#: The metrics drawn as curves, one panel each.
CURVE_METRICS = ("quantization_error", "topographic_error", "vacancy_rate")
_CURVE_COLORS = ("#1f77b4", "#d95f02", "#7570b3")
#: Rows of the training data drawn in the "map in data space" panel.
MAX_SAMPLE_ROWS = 2000
#: Largest share of the wall-clock time the live maps' redraws may take (they share the GIL with training).
MAP_DUTY = 0.02
#: The first ipykernel that dispatches comm messages while a cell awaits.
AWAIT_KERNEL = (7, 4)


def _kernel_version():
    """The running ipykernel's version as a tuple, or None outside a kernel."""
    module = sys.modules.get("ipykernel")
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    if module is None or shell is None or getattr(shell, "kernel", None) is None:
        return None
    parts = []
    for piece in str(getattr(module, "__version__", "0")).split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _stop_works_while_awaiting() -> bool:
    version = _kernel_version()
    return version is None or version[:2] >= AWAIT_KERNEL


def _format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class _MonitorHeader(anywidget.AnyWidget):
    """The monitor's first child: state, progress, messages and the Stop button.

    Renders ``<div class="somnium-monitor" data-state=... data-epoch=...>`` with
    ``button[data-action="stop"]``; a click sends ``{"action": "stop"}``.
    """

    _esm = STATIC_DIR / "training_monitor.js"
    _css = STATIC_DIR / "training_monitor.css"

    state = traitlets.Enum(STATES, "idle").tag(sync=True)
    epoch = traitlets.Int(0).tag(sync=True)  # last epoch shown, cumulative over the model's fits
    fraction = traitlets.Float(0.0).tag(sync=True)  # of the current call's planned epochs
    status = traitlets.Unicode("").tag(sync=True)  # "Epoch 3 of 60 · batch-1 · ..."
    message = traitlets.Unicode("").tag(sync=True)  # how it ended, or an error
    note = traitlets.Unicode("").tag(sync=True)  # why Stop cannot act, when it cannot
    stop_enabled = traitlets.Bool(False).tag(sync=True)


class TrainingRun:
    """A fit started by :class:`TrainingMonitor`: await it, or call :meth:`wait`.

    ``await run`` (and :meth:`wait`) return the model once training has
    ended, and re-raise the exception that ended it.  Interrupting the wait
    stops training at the end of the current epoch first (see
    :meth:`TrainingMonitor.fit`).
    """

    def __init__(self, monitor, method: str, future: concurrent.futures.Future, background: bool):
        self._monitor = monitor
        self.method = method
        self._future = future
        self._background = background
        self._awaited = False

    def __await__(self):
        self._awaited = True
        return self._monitor._await_future(self._future).__await__()

    def wait(self, timeout: float | None = None):
        """Block until training ends; return the model (or raise what ended training)."""
        self._awaited = True
        return self._monitor._wait_future(self._future, timeout)

    def done(self) -> bool:
        """True once training has ended (however it ended)."""
        return self._future.done()

    def __repr__(self) -> str:
        state = self._monitor.state
        epoch = self._monitor.epoch
        if self._future.done():
            return f"<TrainingRun {self.method}: {state} at epoch {epoch}>"
        return (
            f"<TrainingRun {self.method}: {state}, epoch {epoch}, in the background; "
            "`await` it (or call .wait()) to block until training ends>"
        )

    def __del__(self):
        if not (self._awaited or self._background):
            warnings.warn(
                f"monitor.{self.method}(...) was never awaited: training goes on in the background. "
                f"Write `await monitor.{self.method}(...)` to wait for it, or use monitor.start(...) "
                "to train in the background on purpose.",
                RuntimeWarning,
                stacklevel=2,
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
        partitions of Dask data: :func:`somnium.distributed.sample_rows`).
    map_layer : str, default "umatrix"
        What the live map shows: ``"umatrix"``, ``"hits"`` (of the data
        sample) or a feature name (its component plane).
    update_interval : float, default 0.1
        Minimum seconds between two updates sent to the browser.
    map_interval : float, default 0.5
        Minimum seconds between two redraws of the maps.
    display : bool, default True
        Display the monitor at once (in a notebook).

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
        Passive: a live view only.  The cell blocks the kernel, so a click
        cannot reach Python before the fit ends; use ■ Interrupt to stop.

    ``fit_online`` and ``fit_auto`` work the same way (``fit_auto``'s two
    phases appear in one run, the boundary marked).

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
            raise ValueError(f"map_layer must be 'umatrix', 'hits' or a feature name, got {map_layer!r}.")
        self.map_layer = map_layer
        self.update_interval = float(update_interval)
        self.map_interval = float(map_interval)
        if self.update_interval < 0 or self.map_interval < 0:
            raise ValueError("update_interval and map_interval must be >= 0 seconds.")
        self._lock = threading.RLock()  # guards the recorded epochs and the run's bookkeeping
        self._send_lock = threading.RLock()  # one sender at a time (hold_sync is not thread-safe)
        self._stop_event = threading.Event()
        self._began = threading.Event()
        self._wake = threading.Condition()
        self._state = "idle"
        self._mode = "idle"  # how the current run is watched: background, await, blocking, passive
        self._future: concurrent.futures.Future | None = None
        self._launched = False
        self._began_fit = False
        self._publisher: threading.Thread | None = None
        self._publish_pending = False
        self._closing = False
        self._final = False
        self._last_send = -math.inf
        self._last_map = -math.inf
        self._map_cost = 0.0
        self.messages_sent = 0  # updates published to the browser (benchmarks read it)
        self._capture_owner()
        self._sample_raw = self._sample_rows(data) if data is not None else None
        self._basis = None
        self._map_view = None

        self._epochs: list[int] = []
        self._phases: list[str] = []
        self._values = {key: [] for key in CURVE_METRICS}
        self._latest = None
        self._plan = None
        self._run_start = self._end_time = time.perf_counter()
        self._stopped_epoch = None
        self._phase_starts_sent = None
        self._load_history()

        self._header = _MonitorHeader(epoch=len(self._epochs))
        self._header.on_msg(self._on_message)
        self._build_curves()
        self._build_maps()
        self.widget = ipywidgets.VBox(
            [self._header, self._curve_box, self._map_box],
            layout=ipywidgets.Layout(width="100%"),
        )
        self.widget.add_class("somnium-monitor-box")
        self._publish(final=True)
        if model.is_fitted:
            self._create_map()
        if display:
            self._display()

    # ------------------------------------------------------------ public API
    @property
    def state(self) -> str:
        """One of :data:`STATES`: idle, running, stopping, stopped, done, error."""
        if self._state == "running" and self._stop_event.is_set():
            return "stopping"
        return self._state

    @property
    def epoch(self) -> int:
        """The last epoch recorded (cumulative over the model's fits)."""
        with self._lock:
            return self._epochs[-1] if self._epochs else 0

    @property
    def stopped_epoch(self) -> int | None:
        """The epoch at which the last run was stopped (None if it was not)."""
        return self._stopped_epoch

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
        """Like :meth:`fit`, for :meth:`somnium.SOM.fit_auto` (both phases in one run)."""
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
        if method not in ("fit", "fit_online", "fit_auto"):
            raise ValueError(f"method must be 'fit', 'fit_online' or 'fit_auto', got {method!r}.")
        return self._launch(method, X, fit_kwargs, background=True)

    def wait(self, timeout: float | None = None):
        """Block until the current (or last) run ends; return the model.

        Re-raises the exception that ended training.  ■ Interrupt stops
        training at the end of the current epoch, then raises
        ``KeyboardInterrupt``.
        """
        if self._future is None:
            return self.model
        return self._wait_future(self._future, timeout)

    def __await__(self):
        if self._future is None:
            return _ready(self.model).__await__()
        return self._await_future(self._future).__await__()

    def stop(self) -> None:
        """Ask training to stop at the end of the current epoch (safe from any thread)."""
        self._stop_event.set()
        self._poke()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<TrainingMonitor {self.state} at epoch {self.epoch} of {self.model!r}>"

    # ------------------------------------------------------- running a fit
    def _launch(self, method, X, fit_kwargs, background):
        with self._lock:
            if self._state in ("running", "stopping"):
                raise FitInProgressError(
                    "This TrainingMonitor is already training its model; stop it (monitor.stop() or the "
                    "Stop button) or wait for it (monitor.wait()) before starting another fit."
                )
            if "data" in fit_kwargs and X is None:
                X = fit_kwargs.pop("data")
            user_callbacks = fit_kwargs.pop("callbacks", None)
            if user_callbacks is None:
                user_callbacks = []
            elif callable(user_callbacks) or hasattr(user_callbacks, "on_epoch_end"):
                user_callbacks = [user_callbacks]
            callbacks = [self, *user_callbacks]
            self._stop_event.clear()
            self._began.clear()
            self._began_fit = False
            self._launched = True
            self._mode = "background"
            self._capture_owner()
            if X is not None:
                self._sample_raw = self._sample_rows(X)
                self._basis = None
            future: concurrent.futures.Future = concurrent.futures.Future()
            self._future = future

        def train():
            future.set_running_or_notify_cancel()
            try:
                getattr(self.model, method)(X, callbacks=callbacks, **fit_kwargs)
            except BaseException as error:  # re-raised where the run is awaited
                self._after_worker(error)
                future.set_exception(error)
            else:
                self._after_worker(None)
                future.set_result(self.model)
            finally:
                self._began.set()

        threading.Thread(target=train, name=f"somnium-{method}", daemon=True).start()
        self._began.wait()
        if not self._began_fit and future.done() and future.exception() is not None:
            # Nothing started: argument errors and a model already training elsewhere belong to the caller.
            error = future.exception()
            with self._lock:
                self._launched = False
                self._future = None
                self._mode = "idle"
            if isinstance(error, FitInProgressError):
                self._set_message(
                    "This model is already training (another fit is running); wait for it or stop it first."
                )
            raise error
        return TrainingRun(self, method, future, background)

    def _after_worker(self, error):
        """Safety net: the run ends in a final state even if no phase ended through the callbacks."""
        with self._lock:
            self._launched = False
            unfinished = self._state in ("running", "stopping")
        if unfinished:
            self._finish(stopped=self._stop_event.is_set(), error=error)

    async def _await_future(self, future):
        """Await the worker; ■ Interrupt stops training at the end of its epoch, then cancels the cell.

        ipykernel turns SIGINT during an awaiting cell into a cancellation of the cell's task, but (7.4)
        only once the awaited thing ends by itself; so while we wait, SIGINT is ours: it sets the stop
        event and wakes this coroutine.  A cancellation from elsewhere is handled the same way.
        """
        self._set_mode("await")
        loop = asyncio.get_running_loop()
        waiting = asyncio.wrap_future(future)
        interrupts = _SigintWaker(loop, self._stop_event)
        with interrupts:
            try:
                await asyncio.wait({waiting, interrupts.next()}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                self.stop()
            if waiting.done():
                return waiting.result()  # the model, or the exception that ended training
            self.stop()
            self._poke()
            try:  # the worker ends its epoch; a second interrupt stops waiting for it
                await asyncio.wait({waiting, interrupts.next()}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                pass
        epoch = self.stopped_epoch if waiting.done() else self.epoch
        raise asyncio.CancelledError(
            f"Interrupted: training stopped at epoch {epoch}; the model holds that epoch."
        )

    def _wait_future(self, future, timeout):
        self._set_mode("blocking")
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    # Short waits keep the main thread responsive to ■ Interrupt.
                    return future.result(timeout=0.1 if remaining is None else min(0.1, remaining))
                except concurrent.futures.TimeoutError:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise TimeoutError(f"Training still runs after {timeout} s.") from None
        except KeyboardInterrupt:
            self.stop()
            try:
                concurrent.futures.wait([future])
            except KeyboardInterrupt:
                pass
            raise

    # -------------------------------------------------- callback protocol
    def on_fit_begin(self, plan) -> None:
        with self._lock:
            if plan.run_offset == 0:  # the first phase of the user's call
                if not self._launched:
                    self._mode = "passive"
                    self._stop_event.clear()
                self._run_start = time.perf_counter()
                self._stopped_epoch = None
                self._final = False
                self._load_history(upto=plan.first_epoch - 1)
                self._state = "running"
            self._plan = plan
            self._began_fit = True
        self._began.set()
        if plan.run_offset == 0:
            self._set_message("")
        self._ensure_publisher()
        self._send_controls()

    def on_epoch_end(self, info) -> bool:
        with self._lock:
            self._epochs.append(int(info.epoch))
            self._phases.append(info.phase)
            for key in CURVE_METRICS:
                self._values[key].append(float(info.metrics.get(key, math.nan)))
            self._latest = info
        self._poke()
        if self._map_view is None and threading.get_ident() == self._owner_thread:
            self._create_map()  # passive mode: the callbacks run in the main thread
        return self._stop_event.is_set()

    def on_fit_end(self, result) -> None:
        plan = self._plan
        last_phase = plan is None or plan.run_offset + plan.n_epochs >= plan.run_epochs
        if result.stopped or result.error is not None or last_phase:
            self._finish(result.stopped, result.error)

    # ------------------------------------------------------------- ending
    def _finish(self, stopped, error):
        with self._lock:
            epoch = self._epochs[-1] if self._epochs else 0
            if isinstance(error, KeyboardInterrupt) or (stopped and error is None):
                state = "stopped"
                self._stopped_epoch = epoch
                how = "Interrupted: stopped" if error is not None else "Stopped"
                message = (
                    f"{how} at epoch {epoch}. The model holds that epoch; "
                    "train it further or save it as it is."
                )
            elif error is not None:
                state = "error"
                message = f"Training failed at epoch {epoch + 1}: {type(error).__name__}: {error}"
            else:
                state = "done"
                message = f"Done: {epoch} epochs."
            self._state = state
            self._final = True
            self._end_time = time.perf_counter()
        self._set_message(message)
        self._publish(final=True)
        self._close_publisher()
        self._call_in_owner(self._refresh_map)

    # ------------------------------------------------------- stop control
    def _set_message(self, text):
        with self._send_lock:
            self._header.message = text

    def _on_message(self, widget, content, buffers):
        # May run on any kernel thread (comms over subshells): only signal.
        if isinstance(content, dict) and content.get("action") == "stop":
            self.stop()

    def _set_mode(self, mode):
        with self._lock:
            if self._state in ("running", "stopping") or not self._began_fit:
                self._mode = mode
        self._send_controls()

    def _send_controls(self):
        state, mode = self.state, self._mode
        note = ""
        enabled = state == "running"
        if enabled and mode == "passive":
            enabled = False
            note = "This cell blocks the kernel: use ■ Interrupt to stop (or train with monitor.fit / start)."
        elif enabled and mode == "blocking":
            enabled = False
            note = "The cell is blocked in monitor.wait(): use ■ Interrupt to stop."
        elif enabled and mode == "await" and not _stop_works_while_awaiting():
            enabled = False
            version = ".".join(map(str, _kernel_version() or ()))
            note = (
                f"Stop cannot act while a cell awaits on ipykernel {version} (needs 7.4 or later): "
                "use ■ Interrupt, or monitor.start(...) to train in the background."
            )
        with self._send_lock, self._header.hold_sync():
            self._header.state = state
            self._header.stop_enabled = enabled
            self._header.note = note

    # ---------------------------------------------------- the publisher
    def _poke(self):
        with self._wake:
            self._publish_pending = True
            self._wake.notify()

    def _ensure_publisher(self):
        with self._wake:
            self._closing = False
            if self._publisher is not None and self._publisher.is_alive():
                return
            self._publisher = threading.Thread(target=self._publish_loop, name="somnium-monitor", daemon=True)
            self._publisher.start()

    def _close_publisher(self):
        with self._wake:
            self._closing = True
            self._wake.notify()

    def _publish_loop(self):
        while True:
            with self._wake:
                while not self._publish_pending and not self._closing:
                    self._wake.wait()
                if self._closing:
                    return
                # Gather what arrives until the interval has passed; a close ends the wait early.
                while (delay := self._last_send + self.update_interval - time.perf_counter()) > 0:
                    self._wake.wait(delay)
                    if self._closing:
                        return
                self._publish_pending = False
            self._publish(final=False)

    def _publish(self, final: bool):
        """Send what was recorded since the last update (everything, when ``final``)."""
        with self._send_lock:
            now = time.perf_counter()
            with self._lock:
                epochs = np.asarray(self._epochs, dtype=np.float64)
                values = {key: np.asarray(v, dtype=np.float64) for key, v in self._values.items()}
                phases = list(self._phases)
                status, fraction = self._progress(now)
            with self._header.hold_sync():
                self._header.epoch = int(epochs[-1]) if epochs.size else 0
                self._header.status = status
                self._header.fraction = fraction
                self._header.state = self.state
                if self.state != "running":
                    self._header.stop_enabled = False
            self._draw_curves(epochs, values, phases)
            # The maps cost far more than the curves: redraw them at most map_interval apart, and
            # never more often than keeps their share of the time under MAP_DUTY.
            if final or now - self._last_map >= max(self.map_interval, self._map_cost / MAP_DUTY):
                self._draw_maps()
                self._last_map = now
                self._map_cost = time.perf_counter() - now
            self._last_send = now
            self.messages_sent += 1

    def _progress(self, now):
        info, plan = self._latest, self._plan
        if plan is None or info is None or not self._began_fit:
            epoch = self._epochs[-1] if self._epochs else 0
            return (f"{epoch} epochs trained." if epoch else "Not trained yet."), 0.0
        run_epoch = max(int(info.run_epoch), 0)
        run_epochs = max(int(info.run_epochs), 1)
        elapsed = (self._end_time if self._final else now) - self._run_start
        rate = run_epoch / elapsed if elapsed > 0 else math.nan
        left = (run_epochs - run_epoch) / rate if rate and rate > 0 else math.nan
        parts = [
            f"Epoch {run_epoch} of {run_epochs}",
            f"{info.phase} ({info.phase_epoch}/{info.n_epochs})",
            f"{_format_seconds(elapsed)} elapsed",
        ]
        if not self._final:
            parts.append(f"about {_format_seconds(left)} left")
        if rate and math.isfinite(rate):
            parts.append(f"{rate * info.n_rows:,.0f} rows/s")
        return " · ".join(parts), min(1.0, run_epoch / run_epochs)

    # ------------------------------------------------------------ history
    def _load_history(self, upto: int | None = None):
        """The model's existing history (the curves continue it)."""
        self._epochs, self._phases = [], []
        self._values = {key: [] for key in CURVE_METRICS}
        if not self.model.is_fitted:
            return
        history = self.model.history_
        n = len(history["quantization_error"]) if upto is None else min(upto, len(history["epoch"]))
        self._epochs = [int(e) for e in history["epoch"][:n]]
        self._phases = list(history["phase"][:n])
        for key in CURVE_METRICS:
            self._values[key] = [float(v) for v in history[key][:n]]

    # -------------------------------------------------------------- curves
    def _build_curves(self):
        import bqplot

        self._x_scale = bqplot.LinearScale(min=1.0)
        self._linear_scales = {key: bqplot.LinearScale() for key in CURVE_METRICS}
        self._log_scales = {key: bqplot.LogScale() for key in CURVE_METRICS}
        self._lines, self._points, self._boundaries, self._y_axes, self._figures = {}, {}, {}, {}, {}
        for key, color in zip(CURVE_METRICS, _CURVE_COLORS):
            label = METRIC_LABELS[key]
            scales = {"x": self._x_scale, "y": self._linear_scales[key]}
            line = bqplot.Lines(
                x=[], y=[], scales=scales, colors=[color], labels=[label], display_legend=True, stroke_width=2
            )
            points = bqplot.Scatter(
                x=[],
                y=[],
                scales=scales,
                colors=[color],
                default_size=14,
                tooltip=bqplot.Tooltip(fields=["x", "y"], labels=["epoch", label], formats=["", ".4g"]),
            )
            boundaries = bqplot.Lines(
                x=[],
                y=[],
                scales=scales,
                colors=["#888888"],
                line_style="dashed",
                labels=["phase start"],
                display_legend=False,
            )
            x_axis = bqplot.Axis(scale=self._x_scale, label="epoch", tick_format="d", num_ticks=5)
            y_axis = bqplot.Axis(scale=self._linear_scales[key], side="left", tick_format=".3g")
            figure = bqplot.Figure(
                marks=[boundaries, line, points],
                axes=[x_axis, y_axis],
                title=label,
                legend_location="top-right",
                fig_margin={"top": 40, "bottom": 40, "left": 55, "right": 15},
                layout=ipywidgets.Layout(width="33%", min_width="220px", height="240px"),
                animation_duration=0,
            )
            self._lines[key], self._points[key], self._boundaries[key] = line, points, boundaries
            self._y_axes[key], self._figures[key] = y_axis, figure
        self._log_toggle = ipywidgets.ToggleButton(
            value=False, description="log scale", tooltip="Logarithmic y axes", icon="chart-line"
        )
        self._log_toggle.observe(self._on_log_toggle, "value")
        self._curve_box = ipywidgets.VBox(
            [
                ipywidgets.HBox(
                    [self._figures[key] for key in CURVE_METRICS], layout=ipywidgets.Layout(width="100%")
                ),
                self._log_toggle,
            ]
        )

    def _on_log_toggle(self, change):
        scales = self._log_scales if change["new"] else self._linear_scales
        with self._send_lock:
            for key in CURVE_METRICS:
                new = {"x": self._x_scale, "y": scales[key]}
                for mark in (self._lines[key], self._points[key], self._boundaries[key]):
                    mark.scales = new
                self._y_axes[key].scale = scales[key]

    def _draw_curves(self, epochs, values, phases):
        starts = [float(epochs[i]) for i in range(1, len(phases)) if phases[i] != phases[i - 1]]
        redraw_boundaries = starts != self._phase_starts_sent
        self._phase_starts_sent = starts
        for key in CURVE_METRICS:
            y = values[key]
            with self._lines[key].hold_sync():
                self._lines[key].x, self._lines[key].y = epochs, y
            with self._points[key].hold_sync():
                self._points[key].x, self._points[key].y = epochs, y
            if not redraw_boundaries:
                continue
            finite = y[np.isfinite(y)]
            if starts and finite.size:
                low, high = float(finite.min()), float(finite.max())
                low = low if low > 0 else (high / 100 if high > 0 else 1e-6)
                xs = np.repeat(np.asarray(starts, dtype=np.float64) - 0.5, 2).reshape(-1, 2)
                ys = np.tile([low, high], (len(starts), 1))
                with self._boundaries[key].hold_sync():
                    self._boundaries[key].x, self._boundaries[key].y = xs, ys
            else:
                with self._boundaries[key].hold_sync():
                    self._boundaries[key].x, self._boundaries[key].y = [], []

    # ---------------------------------------------------------------- maps
    def _build_maps(self):
        import bqplot

        self._pc_x, self._pc_y = bqplot.LinearScale(), bqplot.LinearScale()
        scales = {"x": self._pc_x, "y": self._pc_y}
        self._sample_mark = bqplot.Scatter(
            x=[], y=[], scales=scales, colors=["#9e9e9e"], default_size=6, opacities=[0.35]
        )
        self._net_mark = bqplot.Lines(x=[], y=[], scales=scales, colors=["#d62728"], stroke_width=1)
        self._net_figure = bqplot.Figure(
            marks=[self._sample_mark, self._net_mark],
            axes=[
                bqplot.Axis(scale=self._pc_x, label="PC 1", num_ticks=4),
                bqplot.Axis(scale=self._pc_y, label="PC 2", side="left", num_ticks=4),
            ],
            title="Map in data space",
            fig_margin={"top": 40, "bottom": 40, "left": 45, "right": 15},
            layout=ipywidgets.Layout(width="50%", min_width="260px", height="380px"),
            animation_duration=0,
        )
        self._map_slot = ipywidgets.Box(layout=ipywidgets.Layout(width="50%", min_width="260px"))
        self._map_placeholder = ipywidgets.HTML("<em>The map appears after the first epoch.</em>")
        self._map_slot.children = [self._map_placeholder]
        self._map_box = ipywidgets.HBox(
            [self._map_slot, self._net_figure], layout=ipywidgets.Layout(width="100%")
        )

    def _capture_owner(self):
        self._owner_thread = threading.get_ident()
        try:
            self._owner_loop = asyncio.get_running_loop()
        except RuntimeError:
            self._owner_loop = None

    def _call_in_owner(self, function):
        """Run ``function`` in the thread that owns the widgets (widgets are created there)."""
        loop = self._owner_loop
        if threading.get_ident() == self._owner_thread or loop is None or loop.is_closed():
            function()
        elif loop.is_running():
            loop.call_soon_threadsafe(function)
        else:
            function()

    def _sample_rows(self, X):
        if is_dask_collection(X):
            # Never len() or index Dask rows here: that would read (or pull) every partition.
            from ..distributed import sample_rows

            return sample_rows(X, MAX_SAMPLE_ROWS)
        n_rows = len(X)
        if n_rows <= MAX_SAMPLE_ROWS:
            return X
        rows = np.sort(np.random.default_rng(0).choice(n_rows, MAX_SAMPLE_ROWS, replace=False))
        return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]

    def _live_layer(self):
        """The live map's values and label, from the last committed epoch."""
        model = self.model
        if self.map_layer == "hits" and self._sample_raw is not None:
            hits = np.bincount(model.predict(self._sample_raw), minlength=model.lattice_.n_nodes)
            return np.where(hits > 0, hits, np.nan).astype(np.float64), "Hits (data sample)"
        names = model.feature_names()
        if self.map_layer in names:
            return model.codebook_[:, names.index(self.map_layer)], self.map_layer
        return model.umatrix(), "U-matrix"

    def _create_map(self):
        """Embed a MapView (main thread only) once the model has an epoch."""
        if self._map_view is not None or not self.model.is_fitted:
            return
        from .map_view import MapView

        try:
            values, label = self._live_layer()
            view = MapView(self.model)
            view.add_layer("live", values, label=f"{label} (live)")
            view.color = "live"
        except ModelNotTrainedError:
            return
        with self._send_lock:
            self._map_view = view
            self._map_slot.children = [view]

    def _refresh_map(self):
        """After training: a fresh MapView of the final model (its built-in layers are then current)."""
        from .map_view import MapView

        if not self.model.is_fitted:
            return
        try:
            values, label = self._live_layer()
            view = MapView(self.model)
            view.add_layer("live", values, label=label)
            view.color = "live"
        except (ModelNotTrainedError, ValueError, traitlets.TraitError):
            return
        with self._send_lock:
            old, self._map_view = self._map_view, view
            self._map_slot.children = [view]
        if old is not None:
            old.close()

    def _draw_maps(self):
        model = self.model
        if not model.is_fitted:
            return
        if self._map_view is None:
            self._call_in_owner(self._create_map)
        else:
            values, label = self._live_layer()
            self._map_view.add_layer("live", values, label=f"{label} (live)")
        self._draw_net()

    def _draw_net(self):
        model = self.model
        codebook = model.normalized_codebook_
        if self._basis is None:
            sample = model.normalize(self._sample_raw) if self._sample_raw is not None else codebook
            center, _, axes = principal_axes(sample, 2)
            basis = axes if axes.shape[1] == 2 else np.eye(codebook.shape[1], 2)
            self._basis = (center, basis)
            self._edges = model.lattice_.edges
            if self._sample_raw is not None:
                projected = (sample - center) @ basis
                with self._sample_mark.hold_sync():
                    self._sample_mark.x, self._sample_mark.y = projected[:, 0], projected[:, 1]
                low, high = projected.min(axis=0), projected.max(axis=0)
                pad = 0.08 * (high - low)
                self._pc_x.min, self._pc_x.max = float(low[0] - pad[0]), float(high[0] + pad[0])
                self._pc_y.min, self._pc_y.max = float(low[1] - pad[1]), float(high[1] + pad[1])
        center, basis = self._basis
        nodes = (codebook - center) @ basis
        a, b = self._edges
        gap = np.full(a.size, np.nan)
        x = np.column_stack([nodes[a, 0], nodes[b, 0], gap]).ravel()
        y = np.column_stack([nodes[a, 1], nodes[b, 1], gap]).ravel()
        with self._net_mark.hold_sync():
            self._net_mark.x, self._net_mark.y = x, y

    def _display(self):
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover
            return
        if get_ipython() is not None:
            display(self.widget)


async def _ready(value):
    return value


class _SigintWaker:
    """While active (main thread only): SIGINT sets the stop event and resolves the latest ``next()`` future.

    The handler itself only sets a :class:`threading.Event` and schedules a loop callback (both safe
    in a signal handler); the previous handler comes back on exit.
    """

    def __init__(self, loop, stop_event):
        self._loop = loop
        self._stop_event = stop_event
        self._future = None
        self._previous = None

    def next(self):
        if self._future is not None and not self._future.done():
            self._future.cancel()
        self._future = self._loop.create_future()
        return self._future

    def _handle(self, signum, frame):
        self._stop_event.set()
        self._loop.call_soon_threadsafe(self._resolve)

    def _resolve(self):
        if self._future is not None and not self._future.done():
            self._future.set_result(True)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        if self._future is not None and not self._future.done():
            self._future.cancel()
