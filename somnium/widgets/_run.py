"""Running a fit beside the kernel: a worker thread and its future, awaiting it, and ■ Interrupt.

No widget code here.  :class:`FitRunner` runs ``model.fit`` (or ``fit_online``, ``fit_auto``) in a
worker thread, so that the kernel's main thread stays free to receive a Stop click; a run is over
when its future is done, and nothing else decides that for a launched run.  :class:`TrainingRun` is
what the user awaits or waits for.  Facts this rests on (measured in JupyterLab, see the design notes):
during a top-level ``await`` ipykernel >= 7.4 dispatches comm messages; ipykernel turns ■ Interrupt of
an awaiting cell into a cancellation only once the awaited thing ends by itself, so while we wait,
SIGINT is ours.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import signal
import sys
import threading
import time
import warnings

from ..callbacks import as_callbacks
from ..exceptions import FitInProgressError, caller_origin, reported_at

__all__ = ["AWAIT_KERNEL", "FitRunner", "TrainingRun", "kernel_version", "stop_works_while_awaiting"]

#: The first ipykernel that dispatches comm messages while a cell awaits.
AWAIT_KERNEL = (7, 4)
METHODS = ("fit", "fit_online", "fit_auto")


def kernel_version():
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


def stop_works_while_awaiting() -> bool:
    version = kernel_version()
    return version is None or version[:2] >= AWAIT_KERNEL


class _Began:
    """Placed right after the watcher in the callbacks: its ``on_fit_begin`` means the run has begun."""

    def __init__(self):
        self.began = False
        self.event = threading.Event()

    def on_fit_begin(self, plan):
        self.began = True
        self.event.set()


class FitRunner:
    """One fit at a time of one model, in a worker thread.

    :meth:`launch` reserves the runner (atomically: a second launch while a run is under way raises
    :class:`~somnium.exceptions.FitInProgressError`), starts the worker and returns once the fit has
    begun, or raises what stopped it from beginning (argument errors, the model's own fit guard).
    """

    def __init__(self, model):
        self.model = model
        self._lock = threading.Lock()
        self.future: concurrent.futures.Future | None = None

    def busy(self) -> bool:
        future = self.future
        return future is not None and not future.done()

    def launch(self, method, X, fit_kwargs, watcher, background: bool) -> concurrent.futures.Future:
        """Run ``model.<method>(X, callbacks=[watcher, *user callbacks], **fit_kwargs)`` in a worker.

        The watcher (the monitor's recorder) hears of the run: ``prepare_launch(background)`` (a run to
        be awaited, or one in the background) once the runner is
        reserved, ``launch_failed()`` if the fit raised before it began, and ``end_run(error)`` in the
        worker once a fit that began has returned (``error`` None) or raised, before the future
        resolves: that is where a launched run ends.
        """
        if method not in METHODS:
            raise ValueError(f"method must be 'fit', 'fit_online' or 'fit_auto', got {method!r}.")
        fit_kwargs = dict(fit_kwargs)
        if "data" in fit_kwargs and X is None:
            X = fit_kwargs.pop("data")
        began = _Began()
        origin = caller_origin()  # the worker's warnings are reported at the user's line
        callbacks = [watcher, began, *as_callbacks(fit_kwargs.pop("callbacks", None))]
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            if self.future is not None and not self.future.done():
                raise FitInProgressError(
                    "This TrainingMonitor is already training its model; stop it (monitor.stop() or the "
                    "Stop button) or wait for it (monitor.wait()) before starting another fit."
                )
            previous, self.future = self.future, future
        watcher.prepare_launch(background)

        def train():
            future.set_running_or_notify_cancel()
            error = None
            try:
                with reported_at(origin):
                    getattr(self.model, method)(X, callbacks=callbacks, **fit_kwargs)
            except BaseException as caught:  # re-raised where the run is awaited
                error = caught
            try:
                if began.began:
                    watcher.end_run(error)
            finally:
                if error is None:
                    future.set_result(self.model)
                else:
                    future.set_exception(error)
                began.event.set()

        threading.Thread(target=train, name=f"somnium-{method}", daemon=True).start()
        began.event.wait()
        if not began.began:  # nothing started: the error belongs to the caller, the last run stays the last
            with self._lock:
                self.future = previous
            watcher.launch_failed()
            future.result()  # raises it (a fit cannot return without beginning)
        return future


async def await_future(future, stop, stop_event, epoch_now):
    """Await the worker; ■ Interrupt stops training at the end of its epoch, then cancels the cell.

    ``stop()`` asks training to stop (the SIGINT handler only sets ``stop_event``, then wakes us to call
    it); ``epoch_now()`` is the epoch to report.  A cancellation from elsewhere is handled like an
    interrupt.
    """
    loop = asyncio.get_running_loop()
    waiting = asyncio.wrap_future(future)
    with _SigintWaker(loop, stop_event) as interrupts:
        try:
            await asyncio.wait({waiting, interrupts.next()}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            stop()
        if waiting.done():
            return waiting.result()  # the model, or the exception that ended training
        stop()
        try:  # the worker ends its epoch; a second interrupt stops waiting for it
            await asyncio.wait({waiting, interrupts.next()}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass
    raise asyncio.CancelledError(
        f"Interrupted: training stopped at epoch {epoch_now()}; the model holds that epoch."
    )


def wait_future(future, timeout, stop):
    """Block until the worker ends (short waits keep the main thread responsive to ■ Interrupt)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return future.result(timeout=0.1 if remaining is None else min(0.1, remaining))
            except concurrent.futures.TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"Training still runs after {timeout} s.") from None
    except KeyboardInterrupt:
        stop()
        try:
            concurrent.futures.wait([future])
        except KeyboardInterrupt:
            pass
        raise


class _SigintWaker:
    """While active (main thread only): SIGINT sets ``stop_event`` and resolves the latest ``next()`` future.

    The handler only sets a :class:`threading.Event` and schedules a loop callback (both safe in a signal
    handler); the previous handler comes back on exit.
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


class TrainingRun:
    """A fit started by :class:`~somnium.widgets.TrainingMonitor`: await it, or call :meth:`wait`.

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
        state, epoch = self._monitor.state, self._monitor.epoch
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
