"""One training phase: its epochs, commits, measurements and callbacks (used by :class:`somnium.core.SOM`)."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from . import engine
from ._state import NodeStatistics
from .callbacks import EpochInfo, FitPlan, FitResult, notify
from .metrics import HISTORY_METRICS

__all__ = ["Training", "node_statistics"]


def node_statistics(stats) -> NodeStatistics:
    return NodeStatistics(
        hits=stats.hits,
        abs_error=stats.node_abs_error,
        metrics=stats.metrics(),
        n_rows=stats.n_rows,
    )


class Training:
    """One training phase: its epochs, commits, measurements and callbacks.

    Epoch ``k``'s row of ``history_`` describes the map at the end of epoch
    ``k``.  A batch epoch's own pass measures the codebook it starts from, so
    epoch ``k`` is measured by epoch ``k + 1``'s pass and the last one by the
    final pass (which also gives ``bmu_``): no extra pass.  Callbacks for
    epoch ``k`` therefore run once that measurement exists.
    """

    def __init__(self, model, kind, state, data, epochs, callbacks, collect_history, run=None):
        self.model = model
        self.kind = kind
        self.state = state  # the last committed (or initial, uncommitted) state
        self.data = data
        self.epochs = epochs
        self.callbacks = callbacks
        self.with_metrics = bool(collect_history or callbacks)
        self.phase = f"{kind}-{state.n_phases + 1}"
        self.committed = 0
        self.start = time.perf_counter()
        offset, total = run if run is not None else (0, epochs)
        self.run_offset, self.run_epochs = offset, total

    def _n_chunks(self):
        counter = getattr(self.data, "n_chunks", None)  # Dask data has no row blocks of ours
        return counter(self.state.lattice.n_nodes) if counter is not None else 1

    def begin(self):
        plan = FitPlan(
            kind=self.kind,
            phase=self.phase,
            n_epochs=self.epochs,
            first_epoch=self.state.n_epochs + 1,
            n_rows=self.data.n_rows,
            run_epochs=self.run_epochs,
            run_offset=self.run_offset,
            model=self.model,
        )
        notify(self.callbacks, "on_fit_begin", plan)

    def commit(self, codebook, radius, rate):
        """The one place a completed epoch becomes the model's state."""
        if not np.isfinite(codebook).all():
            raise FloatingPointError(
                f"Training diverged in epoch {self.state.n_epochs + 1}: prototypes became NaN or infinite, so "
                "that epoch was not kept. Check the data's scale (normalization='none' with huge values "
                "overflows) and the neighbourhood."
            )
        state = self.state
        if self.committed == 0:
            state = replace(state, n_phases=state.n_phases + 1)
        state.history.append(self.phase, radius, rate)
        self.state = state.with_epoch(codebook)
        self.model._state = self.state
        self.committed += 1

    def measured(self, stats) -> bool:
        """Record the metrics of the last committed epoch and tell the callbacks; True to stop."""
        metrics = stats.metrics() if stats is not None else {}
        epoch = self.state.n_epochs
        self.state.history.set_metrics(epoch, metrics)
        record = self.state.history.row(epoch)
        info = EpochInfo(
            epoch=epoch,
            phase=self.phase,
            phase_epoch=self.committed,
            n_epochs=self.epochs,
            radius=record["radius"],
            learning_rate=record["learning_rate"],
            metrics={key: record[key] for key in HISTORY_METRICS},
            elapsed=time.perf_counter() - self.start,
            n_rows=self.data.n_rows,
            run_epoch=self.run_offset + self.committed,
            run_epochs=self.run_epochs,
            model=self.model,
        )
        return notify(self.callbacks, "on_epoch_end", info)

    def finalize(self, stats, bmus):
        """Attach the training data's BMUs and per-node statistics to the committed state."""
        self.state = self.state.with_training_statistics(bmus, node_statistics(stats))
        self.model._state = self.state

    def final_pass(self):
        return self.data.statistics(
            self.state.codebook,
            self.state.lattice,
            with_metrics=True,
            return_bmus=True,
            n_jobs=self.model.n_jobs,
        )

    def end(self, stopped, error):
        result = FitResult(
            phase=self.phase,
            epochs_run=self.committed,
            stopped=stopped,
            error=error,
            elapsed=time.perf_counter() - self.start,
            model=self.model,
        )
        notify(self.callbacks, "on_fit_end", result)

    def run_batch(self, epoch_rows, update, learning_rate) -> bool:
        self.begin()
        stopped, error, final = False, None, None
        n_jobs = self.model.n_jobs
        try:
            with engine.thread_limits(n_jobs, self._n_chunks()):
                codebook = self.state.codebook
                for e in range(self.epochs):
                    rows = epoch_rows()
                    full = rows is self.data
                    stats, bmus = rows.statistics(
                        codebook,
                        self.state.lattice,
                        with_metrics=self.with_metrics,
                        return_bmus=full and self.with_metrics,
                        n_jobs=n_jobs,
                    )
                    if self.committed:
                        final = (stats, bmus) if full else None
                        if self.measured(stats if self.with_metrics else None):
                            stopped = True
                            break
                    codebook, radius = update(codebook, stats, e)
                    self.commit(codebook, radius, learning_rate)
                    final = None
                if not stopped:
                    final = self.final_pass()
                    self.finalize(*final)
                    stopped = self.measured(final[0] if self.with_metrics else None)
                    final = None
                elif final is not None:
                    self.finalize(*final)
                    final = None
        except BaseException as caught:
            error = caught
            raise
        finally:
            if error is not None and self.committed and self.state.nodes is None:
                self._finish_after_error(final)
            self.end(stopped, error)
        return stopped

    def run_online(self, run_epoch) -> bool:
        self.begin()
        stopped, error = False, None
        try:
            with engine.thread_limits(self.model.n_jobs, self._n_chunks()):
                codebook = self.state.codebook
                for e in range(self.epochs):
                    codebook, radius, rate = run_epoch(codebook, e)
                    self.commit(codebook, radius, rate)
                    if self.with_metrics or e == self.epochs - 1:
                        final = self.final_pass()
                        self.finalize(*final)
                        if self.measured(final[0] if self.with_metrics else None):
                            stopped = True
                            break
        except BaseException as caught:
            error = caught
            raise
        finally:
            if error is not None and self.committed and self.state.nodes is None:
                self._finish_after_error(None)
            self.end(stopped, error)
        return stopped

    def _finish_after_error(self, final):
        # The committed epoch stands; measure it so bmu_ and the metrics exist. A second interrupt here
        # leaves the committed epoch without them (bmu_ then says so).
        try:
            self.finalize(*(final if final is not None else self.final_pass()))
        except Exception:  # the original error is what the user needs to see
            pass
