"""Watching and steering training: the callback protocol.

Every fit method (``fit``, ``fit_online``, ``fit_auto``, and Dask fits)
accepts ``callbacks=``: a function, a :class:`Callback`, or a list of them.

- ``on_fit_begin(plan)`` once per training phase, before its first epoch,
  with a :class:`FitPlan` (``fit_auto`` runs three or four).
- ``on_epoch_end(info)`` after every completed epoch, with an
  :class:`EpochInfo`; the model already holds that epoch's state.  Returning
  ``True`` stops training after this epoch (for ``fit_auto``: the whole run).
- ``on_fit_end(result)`` once per phase, with a :class:`FitResult`, also when
  training was stopped, interrupted or failed.  ``result.run_over`` says
  whether the user's call ends with this phase: the one answer to "is the
  run over?" (``fit_auto``'s own stops end a phase, not the run).

A plain function is treated as ``on_epoch_end``.  Callbacks run in the
training thread; one that drives a user interface should only record what
it needs and return quickly (the training monitor throttles its updates).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_int, check_option, check_real
from .metrics import HISTORY_METRICS, METRIC_LABELS

__all__ = ["Callback", "EarlyStopping", "EpochInfo", "FitPlan", "FitResult", "TextProgress"]


@dataclass(frozen=True)
class FitPlan:
    """What a training phase is about to do.

    Attributes
    ----------
    kind : str
        ``"batch"`` or ``"online"``.
    phase : str
        ``"<kind>-<k>"``: the model's k-th training phase.
    n_epochs : int
        Epochs planned in this phase.
    first_epoch : int
        Cumulative (over all the model's phases) number of the phase's first epoch, 1-based.
    n_rows : int
        Rows visited per epoch.
    run_epochs : int
        Epochs planned for the whole call (all the phases of ``fit_auto``; an upper
        bound there, since its plateau and guard may end a phase early).
    run_offset : int
        Epochs of the same call run in earlier phases.
    model : SOM
    """

    kind: str
    phase: str
    n_epochs: int
    first_epoch: int
    n_rows: int
    run_epochs: int
    run_offset: int = 0
    model: object = None


@dataclass(frozen=True)
class EpochInfo:
    """What a callback receives after every completed epoch.

    Attributes
    ----------
    epoch : int
        Epochs completed by the model so far (across all fit calls), 1-based;
        equals ``len(model.history_["quantization_error"])``.
    phase : str
        ``"batch-<k>"`` or ``"online-<k>"``: the model's k-th training phase.
    phase_epoch : int
        Epoch number within this phase, 1-based.
    n_epochs : int
        Epochs planned for this phase.
    radius, learning_rate : float
        Values used in this epoch.
    metrics : dict
        The metrics of :data:`somnium.metrics.HISTORY_METRICS` for the map at
        the end of this epoch's update as far as they are known: batch epochs
        report the error of the codebook the epoch started from (its own pass),
        online epochs the error met while visiting the rows.  NaN when not
        collected.
    elapsed : float
        Seconds since this phase started.
    n_rows : int
        Rows visited per epoch.
    run_epoch, run_epochs : int
        Epoch number within the user's call and the call's planned total
        (they differ from ``phase_epoch``/``n_epochs`` in ``fit_auto``).
    model : SOM
        The model, already holding this epoch's codebook.
    """

    epoch: int
    phase: str
    phase_epoch: int
    n_epochs: int
    radius: float
    learning_rate: float
    metrics: dict = field(default_factory=dict)
    elapsed: float = 0.0
    n_rows: int = 0
    run_epoch: int = 0
    run_epochs: int = 0
    model: object = None


@dataclass(frozen=True)
class FitResult:
    """How a training phase ended, and whether the user's call ended with it.

    Attributes
    ----------
    phase : str
    epochs_run : int
        Epochs completed in this phase.
    stopped : bool
        A callback asked to stop (this ends the whole call).  ``fit_auto``'s own
        stops (its topographic guard and its plateau) end a phase and are not
        reported here.
    error : BaseException or None
        The exception that ended training (``KeyboardInterrupt`` included), re-raised after the callbacks.
    elapsed : float
        Seconds this phase ran.
    model : SOM
    run_over : bool
        No phase of the same call follows: the last phase ran, a callback
        stopped it, or an error ended it.  Decided by the training loop alone,
        so a listener never has to infer it from the plan.
    run_epoch : int
        Epochs completed in the whole call so far (all phases of ``fit_auto``).
    """

    phase: str
    epochs_run: int
    stopped: bool
    error: BaseException | None
    elapsed: float
    model: object = None
    run_over: bool = True
    run_epoch: int = 0


class Callback:
    """Base class: override what you need; every method is optional."""

    def on_fit_begin(self, plan: FitPlan) -> None:
        """Called before the first epoch of a phase."""

    def on_epoch_end(self, info: EpochInfo) -> bool | None:
        """Called after each completed epoch; return True to stop training."""
        return None

    def on_fit_end(self, result: FitResult) -> None:
        """Called when a phase ends, however it ends."""


class _FunctionCallback(Callback):
    def __init__(self, function):
        self.function = function

    def on_epoch_end(self, info):
        return self.function(info)


def as_callbacks(callbacks) -> list:
    """Normalise ``callbacks=`` (None, one, or a list; functions or objects) to a list of objects.

    Objects need only the methods they use (duck typing): missing ones are skipped.
    """
    if callbacks is None:
        return []
    if callable(callbacks) or _is_callback_object(callbacks):
        callbacks = [callbacks]
    try:
        items = list(callbacks)
    except TypeError:
        raise TypeError(
            f"callbacks must be a function, a Callback, or a list of them; got {type(callbacks).__name__}."
        ) from None
    result = []
    for item in items:
        if _is_callback_object(item):
            result.append(item)
        elif callable(item):
            result.append(_FunctionCallback(item))
        else:
            raise TypeError(
                f"Callback {item!r} is neither callable nor has on_epoch_end/on_fit_begin/on_fit_end."
            )
    return result


def _is_callback_object(obj) -> bool:
    return any(hasattr(obj, name) for name in ("on_epoch_end", "on_fit_begin", "on_fit_end"))


def notify(callbacks, method: str, argument) -> bool:
    """Call ``method`` on every callback that has it (all of them, in order); True if any returned True.

    Only a boolean True stops: a function that happens to return something else (``list.append``'s
    None, ``dict.setdefault``'s value) never does.
    """
    answers = [getattr(cb, method)(argument) for cb in callbacks if hasattr(cb, method)]
    return any(isinstance(answer, (bool, np.bool_)) and bool(answer) for answer in answers)


class EarlyStopping(Callback):
    """Stop when a history metric has stopped improving.

    Parameters
    ----------
    monitor : str, default "quantization_error"
        A key of :data:`somnium.metrics.HISTORY_METRICS`.
    patience : int, default 3
        Epochs without an improvement of at least ``min_delta`` before stopping.
    min_delta : float, default 1e-3
        Relative improvement that counts (0.001 = 0.1%).
    min_epochs : int, default 1
        Never stop before this many epochs of the phase.

    Notes
    -----
    The metric must be collected: pass ``collect_history=True`` (``fit_auto``
    does by default).  Epochs whose metric is NaN do not count.
    """

    def __init__(self, monitor="quantization_error", patience=3, min_delta=1e-3, min_epochs=1):
        self.monitor = check_option(monitor, HISTORY_METRICS, "monitor")
        self.patience = check_int(patience, "patience", minimum=1)
        self.min_delta = check_real(min_delta, "min_delta", minimum=0.0)
        self.min_epochs = check_int(min_epochs, "min_epochs", minimum=1)
        self.best = math.inf
        self.wait = 0
        self.stopped_epoch = None

    def on_fit_begin(self, plan):
        self.best, self.wait, self.stopped_epoch = math.inf, 0, None

    def on_epoch_end(self, info):
        value = info.metrics.get(self.monitor, math.nan)
        if not math.isfinite(value):
            return False
        if value < self.best * (1.0 - self.min_delta) or self.best == math.inf:
            self.best, self.wait = value, 0
        else:
            self.wait += 1
        if self.wait >= self.patience and info.phase_epoch >= self.min_epochs:
            self.stopped_epoch = info.epoch
            return True
        return False


class TextProgress(Callback):
    """One line per epoch (at most one every ``interval`` seconds, always the last) for scripts and logs.

    Parameters
    ----------
    stream : file-like, default sys.stderr
    interval : float, default 1.0
        Minimum seconds between lines.
    """

    def __init__(self, stream=None, interval=1.0):
        self.stream = stream
        self.interval = float(interval)
        self._last = -math.inf

    def on_fit_begin(self, plan):
        self._last = -math.inf
        self._write(f"{plan.phase}: {plan.n_epochs} epochs on {plan.n_rows:,} rows")

    def on_epoch_end(self, info):
        now = time.perf_counter()
        if info.phase_epoch < info.n_epochs and now - self._last < self.interval:
            return False
        self._last = now
        parts = [f"epoch {info.phase_epoch}/{info.n_epochs}", f"radius {info.radius:.3g}"]
        for key in HISTORY_METRICS:
            value = info.metrics.get(key, math.nan)
            if math.isfinite(value):
                parts.append(f"{METRIC_LABELS[key]} {value:.4g}")
        rate = info.n_rows * info.phase_epoch / max(info.elapsed, 1e-9)
        parts.append(f"{info.elapsed:.1f} s, {rate:,.0f} rows/s")
        self._write("  ".join(parts))
        return False

    def on_fit_end(self, result):
        how = "stopped" if result.stopped else ("interrupted" if result.error is not None else "done")
        self._write(f"{result.phase}: {how} after {result.epochs_run} epochs in {result.elapsed:.1f} s")

    def _write(self, line):
        stream = self.stream if self.stream is not None else sys.stderr
        print(line, file=stream, flush=True)
