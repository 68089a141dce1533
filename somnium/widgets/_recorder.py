"""The training monitor's record of a run: one transition table for its state, the callback, the pacing.

No widget code here.  :class:`Recorder` is the monitor's :class:`~somnium.callbacks.Callback`: it records
every epoch for the view and moves the run's state through :data:`_TRANSITIONS` only.  A run ends in one
place, :meth:`Recorder.end_run`: a launched run's worker calls it when the fit has returned or raised
(its future), a passive run's ``on_fit_end`` calls it from the :class:`~somnium.callbacks.FitResult`.
:class:`Publisher` decides when the view sends the next update: the latest state wins, at most one
update every ``interval`` seconds, fewer while the page says it is behind.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..callbacks import Callback, notify
from . import _run

__all__ = ["CURVE_METRICS", "STATES", "Publisher", "Recorder", "Snapshot"]

#: Values of :attr:`TrainingMonitor.state` (and of the view's ``data-state``).
STATES = ("idle", "running", "stopping", "stopped", "done", "error")
FINAL_STATES = ("stopped", "done", "error")
#: The metrics drawn as curves, one panel each.
CURVE_METRICS = ("quantization_error", "topographic_error", "vacancy_rate")

#: (state, event) -> next state.  Every change of state goes through this table.
_TRANSITIONS = {
    **{(state, "begin"): "running" for state in ("idle", *FINAL_STATES)},
    ("running", "stop"): "stopping",
    ("running", "done"): "done",
    ("stopping", "done"): "stopped",
    ("running", "error"): "error",
    ("stopping", "error"): "stopped",
    ("running", "interrupt"): "stopped",
    ("stopping", "interrupt"): "stopped",
    # A passive fit_auto's next phase: a passive run only learns that it goes on when it does.
    ("done", "resume"): "running",
}


@dataclass(frozen=True)
class Snapshot:
    """What the view draws: the header's fields and the epochs recorded since ``start``."""

    state: str
    epoch: int
    status: str
    fraction: float
    message: str
    note: str
    stop_enabled: bool
    start: int  # index of rows[0] in the recorded epochs
    rows: np.ndarray  # float64 (n, 1 + len(CURVE_METRICS)): the epoch, then the curves' values
    n_epochs: int  # epochs recorded
    phase_starts: tuple  # ((epoch, phase), ...): where each phase starts
    last_epoch: int  # the x axis's end: the planned last epoch while running
    final: bool


def _format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _raised_in_a_callback(error: BaseException) -> bool:
    """True if ``error`` came out of a callback (its traceback passes through :func:`notify`)."""
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is notify.__code__:
            return True
        tb = tb.tb_next
    return False


class Recorder(Callback):
    """The monitor's callback and its record of the run (thread-safe).

    ``listener(event)`` is called after every change, outside the lock, with ``"begin"``, ``"epoch"``,
    ``"end"`` or ``"controls"``.
    """

    def __init__(self, model, listener=None):
        self.model = model
        self._listener = listener if listener is not None else (lambda event: None)
        self._lock = threading.RLock()
        self.stop_event = threading.Event()
        self.state = "idle"
        self.mode = "idle"  # how the run is watched: background, await, blocking (in wait()), passive
        self.launched = False
        self.stopped_epoch = None
        self.message = ""
        self._plan = self._latest = None
        self._prior = 0  # epochs the model had when the run began
        self._run_start = self._run_end = time.perf_counter()
        self._epochs, self._phases, self._values = [], [], {key: [] for key in CURVE_METRICS}
        self._rewind = 0
        self.load_history()

    # ------------------------------------------------------------ state
    def _go(self, event: str) -> None:
        self.state = _TRANSITIONS[(self.state, event)]  # a KeyError here is a bug, not a UI glitch

    @property
    def epoch(self) -> int:
        with self._lock:
            return self._epochs[-1] if self._epochs else 0

    def stop(self) -> None:
        """Ask training to stop at the end of the current epoch (safe from any thread; a signal handler
        sets only :attr:`stop_event`)."""
        self.stop_event.set()
        with self._lock:
            if self.state == "running":
                self._go("stop")
        self._listener("controls")

    def prepare_launch(self, background: bool = True) -> None:
        """A launched run is about to begin: in the background, or to be awaited (``monitor.fit``)."""
        with self._lock:
            self.stop_event.clear()
            self.launched = True
            self.mode = "background" if background else "await"

    def launch_failed(self) -> None:
        with self._lock:
            self.launched = False
            self.mode = "idle" if self.state == "idle" else self.mode

    @contextmanager
    def waiting(self, mode: str):
        """While the caller blocks (``await``: "await", :meth:`wait`: "blocking"), say how Stop can act."""
        with self._lock:
            previous, self.mode = self.mode, mode
        self._listener("controls")
        try:
            yield
        finally:
            with self._lock:
                self.mode = "background" if previous == "idle" else previous
            self._listener("controls")

    # -------------------------------------------------------- callback protocol
    def on_fit_begin(self, plan) -> None:
        with self._lock:
            if plan.run_offset == 0:  # the first phase of the user's call
                if not self.launched:
                    self.mode = "passive"
                    self.stop_event.clear()
                self._go("begin")
                self._prior = plan.first_epoch - 1
                self._run_start = time.perf_counter()
                self.stopped_epoch, self.message = None, ""
                self.load_history(upto=self._prior)
                if self.stop_event.is_set():  # stopped before it began
                    self._go("stop")
            elif self.state == "done":
                self._go("resume")
                self.message = ""
            self._plan = plan
        self._listener("begin")

    def on_epoch_end(self, info) -> bool:
        with self._lock:
            self._epochs.append(int(info.epoch))
            self._phases.append(info.phase)
            for key in CURVE_METRICS:
                self._values[key].append(float(info.metrics.get(key, math.nan)))
            self._latest = info
        self._listener("epoch")
        return self.stop_event.is_set()

    def on_fit_end(self, result) -> None:
        if not self.launched:  # a launched run ends with its future (FitRunner's on_end)
            self.end_run(result.error)

    def end_run(self, error) -> None:
        """The one place a run ends: how it ended follows from the state and the error."""
        with self._lock:
            if isinstance(error, KeyboardInterrupt):
                self._go("interrupt")
            else:
                self._go("error" if error is not None else "done")
            self.launched = False
            self._run_end = time.perf_counter()
            # The model's committed epochs are the truth: an interrupted or failed pass may have
            # committed one more epoch than the callbacks heard of (the fit measured it afterwards).
            if self.model.is_fitted and len(self.model.history_["epoch"]) != self.epoch:
                self.load_history()
            epoch = self._epochs[-1] if self._epochs else 0
            run_epochs = epoch - self._prior
            if self.state == "stopped":
                self.stopped_epoch = epoch
                how = "Interrupted: stopped" if error is not None else "Stopped"
                self.message = f"{how} at epoch {epoch}. The model holds that epoch; train it further or save it as it is."
            elif self.state == "error":
                where = (
                    f"A callback failed at epoch {epoch}"
                    if _raised_in_a_callback(error)
                    else f"Training failed in epoch {epoch + 1}"
                )
                held = f" The model holds epoch {epoch}." if epoch else ""
                self.message = f"{where}: {type(error).__name__}: {error}.{held}"
            else:
                self.message = f"Done: {run_epochs} epochs trained" + (
                    f"; the model holds epoch {epoch}." if self._prior else "."
                )
        self._listener("end")

    # ------------------------------------------------------------ history
    def load_history(self, upto: int | None = None) -> None:
        """The model's existing history (the curves continue it)."""
        with self._lock:
            old = self._rows(0)
            self._epochs, self._phases = [], []
            self._values = {key: [] for key in CURVE_METRICS}
            if self.model.is_fitted:
                history = self.model.history_
                n = len(history["epoch"]) if upto is None else min(upto, len(history["epoch"]))
                self._epochs = [int(e) for e in history["epoch"][:n]]
                self._phases = list(history["phase"][:n])
                for key in CURVE_METRICS:
                    self._values[key] = [float(v) for v in history[key][:n]]
            new = self._rows(0)
            common = min(len(old), len(new))
            same = np.all(
                (old[:common] == new[:common]) | (np.isnan(old[:common]) & np.isnan(new[:common])), axis=1
            )
            kept = int(np.argmin(same)) if not same.all() else common
            self._rewind = min(self._rewind, kept)

    def _rows(self, start: int) -> np.ndarray:
        columns = [self._epochs[start:], *(self._values[key][start:] for key in CURVE_METRICS)]
        return np.array(columns, dtype=np.float64).T.reshape(-1, 1 + len(CURVE_METRICS))

    # ------------------------------------------------------------ for the view
    def rows(self) -> np.ndarray:
        """Every recorded epoch: the epoch, then the curves' values."""
        with self._lock:
            return self._rows(0)

    def snapshot(self, since: int) -> Snapshot:
        """The header's fields and the epochs from ``since`` (earlier if the history was rewritten)."""
        with self._lock:
            start = min(since, self._rewind, len(self._epochs))
            self._rewind = len(self._epochs)
            epoch = self._epochs[-1] if self._epochs else 0
            status, fraction, planned = self._progress(epoch)
            stop_enabled, note = self._controls()
            phases = self._phases
            starts = tuple(
                (self._epochs[i], phases[i])
                for i in range(len(phases))
                if i == 0 or phases[i] != phases[i - 1]
            )
            return Snapshot(
                state=self.state,
                epoch=epoch,
                status=status,
                fraction=fraction,
                message=self.message,
                note=note,
                stop_enabled=stop_enabled,
                start=start,
                rows=self._rows(start),
                n_epochs=len(self._epochs),
                phase_starts=starts,
                last_epoch=max(epoch, self._prior + planned, 1),
                final=self.state in FINAL_STATES,
            )

    def _progress(self, epoch):
        """(status text, progress fraction, epochs planned in this run)."""
        plan, info = self._plan, self._latest
        if plan is None:
            return (f"{epoch} epochs trained." if epoch else "Not trained yet."), 0.0, 0
        done = epoch - self._prior
        final = self.state in FINAL_STATES
        planned = done if self.state == "done" else max(plan.run_epochs, done)
        if done <= 0 and not final:
            return f"Starting: {planned} epochs planned.", 0.0, planned
        elapsed = (self._run_end if final else time.perf_counter()) - self._run_start
        rate = done / elapsed if elapsed > 0 else math.nan
        head = f"Epoch {epoch} of {self._prior + planned}"
        if self._prior:
            head += f" ({done} of {planned} in this fit)"
        parts = [head]
        if not final and info is not None:
            parts.append(f"{info.phase} ({info.phase_epoch}/{info.n_epochs})")
            parts.append(f"{_format_seconds(elapsed)} elapsed")
            parts.append(f"about {_format_seconds((planned - done) / rate)} left" if rate > 0 else "")
        else:
            parts.append(_format_seconds(elapsed))
        if rate > 0 and math.isfinite(rate):
            parts.append(f"{rate * plan.n_rows:,.0f} rows/s")
        fraction = 1.0 if self.state == "done" else min(1.0, done / max(planned, 1))
        return " · ".join(part for part in parts if part), fraction, planned

    def controls(self):
        """(state, Stop enabled, the note saying why not)."""
        with self._lock:
            return (self.state, *self._controls())

    def _controls(self):
        """(Stop enabled, the note saying why not)."""
        if self.state != "running":
            return False, ""
        if self.mode == "passive":
            return (
                False,
                "This cell blocks the kernel: use ■ Interrupt to stop (or train with monitor.fit / start).",
            )
        if self.mode == "blocking":
            return False, "The cell is blocked in monitor.wait(): use ■ Interrupt to stop."
        if self.mode == "await" and not _run.stop_works_while_awaiting():
            version = ".".join(map(str, _run.kernel_version() or ()))
            return False, (
                f"Stop cannot act while a cell awaits on ipykernel {version} (needs 7.4 or later): "
                "use ■ Interrupt, or monitor.start(...) to train in the background."
            )
        return True, ""


#: The longest interval between two updates a page that says it is behind can ask for, in seconds.
MAX_INTERVAL = 1.0
#: Seconds without the page saying it is behind before the interval halves again.
RECOVERY = 3.0


class Publisher:
    """Calls ``send(final)`` from its own thread when the view may take an update.

    The latest state wins (a send reads the recorder then), at most one update every ``interval``
    seconds.  When the page says it is behind (:meth:`slow_down`) the interval doubles, up to
    :data:`MAX_INTERVAL`, and halves back towards ``interval`` every :data:`RECOVERY` seconds without
    another complaint: a page that draws slowly gets fewer updates instead of a backlog.  The page
    speaks only when it is behind, because every message it sends makes the kernel's status flicker.
    """

    def __init__(self, send, interval: float):
        self._send = send
        self.interval = self._base = interval
        self._wake = threading.Condition()
        self._pending = self._closing = False
        self._thread = None
        self._last_send = self._slowed_at = -math.inf

    def poke(self) -> None:
        """Something new to show."""
        with self._wake:
            # Already pending: the loop is sending or waiting for the interval to pass, and will send
            # the latest state then; waking it every epoch only cost the training threads a core.
            if not self._pending:
                self._pending = True
                self._wake.notify()

    def slow_down(self) -> None:
        """The page is behind."""
        with self._wake:
            self.interval = min(max(2 * self.interval, 0.2), MAX_INTERVAL)
            self._slowed_at = time.perf_counter()

    def flush(self, final: bool = True) -> None:
        """Send now, in the caller's thread (a change of state, or the final state of a run)."""
        with self._wake:
            self._pending = False
            self._last_send = time.perf_counter()
        self._send(final)

    def ensure_running(self) -> None:
        with self._wake:
            self._closing = False
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._loop, name="somnium-monitor", daemon=True)
            self._thread.start()

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()

    def _delay(self) -> float:
        """Seconds until an update may go (0 or less: now)."""
        now = time.perf_counter()
        if self.interval > self._base and now - self._slowed_at > RECOVERY:
            self.interval, self._slowed_at = max(self._base, self.interval / 2), now
        return self._last_send + self.interval - now

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._closing and (not self._pending or self._delay() > 0):
                    self._wake.wait(None if not self._pending else self._delay())
                if self._closing:
                    return
                self._pending = False
                self._last_send = time.perf_counter()
            self._send(False)
