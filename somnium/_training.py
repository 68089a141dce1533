"""Training runs: schedules, phases, commits, measurements and callbacks (used by :class:`somnium.core.SOM`).

A call of ``fit``, ``fit_online`` or ``fit_auto`` is one *run* of one or more *phases*; each phase follows a
schedule (:class:`BatchSchedule` or :class:`OnlineSchedule`).  What comes next is asked of a *phases*
object: :class:`OnePhase` for ``fit`` / ``fit_online``, :class:`somnium._auto.AutoRun` for ``fit_auto``.
It provides

- ``first(lattice)``: the first schedule (its radii may depend on the map);
- ``next(state)``: the schedule after a phase that ran out or that it stopped itself, or None: the run is over;
- ``planned(done)``: the epochs planned for the whole run once ``done`` of them are completed;
- ``on_fit_begin(plan)`` and ``on_epoch_end(info)``: its own view of each phase and epoch; True from
  ``on_epoch_end`` ends the phase (fit_auto's guard and plateau), not the run;
- ``needs_metrics``: whether its ``on_epoch_end`` reads the metrics (then every epoch is measured).

:class:`Training` alone decides whether the run is over and says so in the :class:`~somnium.callbacks.FitResult`
of every phase (``run_over``): after an error, after a callback's stop, or when ``next`` has no schedule.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from . import _encoding, _online, engine
from ._distances import DistanceDistribution, node_scale
from ._state import FittedState, NodeStatistics, initial_state, model_rng
from ._validation import check_int, check_option, check_real
from .callbacks import EpochInfo, FitPlan, FitResult, notify
from .exceptions import FitInProgressError
from .metrics import HISTORY_METRICS
from .neighborhood import NeighborhoodOperator

__all__ = [
    "DECAYS",
    "BatchSchedule",
    "OnePhase",
    "OnlineSchedule",
    "Training",
    "exclusive",
    "first_state",
    "node_statistics",
    "training_data",
]

DECAYS = ("linear", "exponential")

_FIT_GUARD = threading.Lock()


@contextmanager
def exclusive(model):
    """One fit at a time per model: another one (from a thread or a callback) is refused."""
    with _FIT_GUARD:
        if model.__dict__.get("_fitting"):
            raise FitInProgressError(
                "This SOM is already training (in another thread, or this call comes from one of its "
                "callbacks); wait for that fit to end (or stop it) before starting another."
            )
        model._fitting = True
    try:
        yield
    finally:
        model._fitting = False


def node_statistics(stats, bmus=None) -> NodeStatistics:
    """What a model keeps of a measuring pass; with its ``bmus`` (and rows' distances, an in-memory
    pass), the distances' exact quantiles too."""
    stats = stats.with_node_terms(bmus)
    distribution = None
    if stats.distances is not None:
        distribution = DistanceDistribution(stats.distances)
        if bmus is not None and stats.row_distance is not None and stats.n_rows > 0:
            scale = node_scale(stats.hits, stats.node_sq_distance)
            relative = stats.row_distance / scale[bmus]
            distribution = DistanceDistribution.of_rows(stats.distances, stats.row_distance, relative)
    return NodeStatistics(
        hits=stats.hits,
        abs_error=stats.node_abs_error,
        metrics=stats.metrics(),
        n_rows=stats.n_rows,
        distance=stats.node_distance,
        sq_distance=stats.node_sq_distance,
        distances=distribution,
    )


def first_state(X, params: dict, rng) -> tuple[FittedState, np.ndarray]:
    """A first fit's uncommitted state (normaliser, map, initial codebook) and normalised rows, in memory.

    ``params`` are the estimator's checked parameters; Dask input builds the same from reductions.
    With missing cells the moments are over observed cells (a pairwise-complete covariance).
    """
    encoder, normalizer, Xn, feature_names = _encoding.first_rows(X, params)
    missing = params["missing"] == "ignore" and engine.has_missing(Xn)
    mean, covariance = engine.mean_covariance(Xn, missing)  # chunked: no centred copy of the data
    state = initial_state(
        params,
        rng=rng,
        normalizer=normalizer,
        feature_names=feature_names,
        n_rows=Xn.shape[0],
        mean=mean,
        covariance=covariance,
        low=np.fmin.reduce(Xn, axis=0) if missing else Xn.min(axis=0),
        high=np.fmax.reduce(Xn, axis=0) if missing else Xn.max(axis=0),
        encoder=encoder,
    )
    return state, Xn


def training_data(state, rows: np.ndarray, params: dict, missing: bool | None = None) -> engine.TrainingData:
    """Normalised ``rows`` prepared for passes with the model's checked ``params`` (dtype, metric, missing
    cells, feature weights); ``missing`` overrides ``params["missing"] == "ignore"`` (impute)."""
    weights, counts = _encoding.distance_weights(state, params["feature_weights"])
    if missing is None:
        missing = params["missing"] == "ignore"
    return engine.TrainingData(
        rows,
        state.center,
        params["dtype"],
        params["distance_metric"],
        missing=missing,
        weights=weights,
        count_weights=counts,
    )


def resolved_radii(radiusin, radiusfin, lattice, decay="linear") -> tuple[float, float]:
    """A phase's radii: the defaults (a quarter of the longest side, then a quarter of that) where None."""
    longest = max(lattice.rows, lattice.cols)
    if radiusin is None:
        radiusin = max(1.0, longest / 4.0)
    if radiusfin is None:
        radiusfin = max(1.0, radiusin / 4.0) if radiusin > 1.0 else radiusin
    radiusin = check_real(radiusin, "radiusin", 0.0, exclusive_minimum=True)
    # 0 is allowed at the end: a last phase without neighbourhood (each node moves to its rows' mean)
    radiusfin = check_real(radiusfin, "radiusfin", 0.0)
    if radiusfin > radiusin:
        raise ValueError(
            f"radiusfin ({radiusfin}) is larger than radiusin ({radiusin}); the neighbourhood "
            "must shrink (or stay constant) during a phase. Swap them or call fit again."
        )
    if radiusfin == 0 and decay == "exponential":
        raise ValueError("An exponential decay never reaches radiusfin=0; use decay='linear' for it.")
    return radiusin, radiusfin


@dataclass(frozen=True)
class BatchSchedule:
    """One batch phase (:meth:`SOM.fit`'s arguments); checked when made, radii resolved on the map."""

    epochs: int = 10
    radiusin: float | None = None
    radiusfin: float | None = None
    decay: str = "linear"
    learning_rate: float = 1.0
    subsample_ratio: float = 1.0
    kind: ClassVar[str] = "batch"

    def __post_init__(self):
        object.__setattr__(self, "epochs", check_int(self.epochs, "epochs"))
        check_option(self.decay, DECAYS, "decay")
        rate = check_real(self.learning_rate, "learning_rate", 0.0, 1.0, exclusive_minimum=True)
        ratio = check_real(self.subsample_ratio, "subsample_ratio", 0.0, 1.0, exclusive_minimum=True)
        object.__setattr__(self, "learning_rate", rate)
        object.__setattr__(self, "subsample_ratio", ratio)

    def radii(self, lattice) -> tuple[float, float]:
        return resolved_radii(self.radiusin, self.radiusfin, lattice, self.decay)


@dataclass(frozen=True)
class OnlineSchedule:
    """One sequential phase (:meth:`SOM.fit_online`'s arguments); radius and rate move over all steps."""

    epochs: int = 10
    radiusin: float | None = None
    radiusfin: float | None = None
    learning_rate_init: float = 0.1
    learning_rate_fin: float = 0.01
    decay: str = "linear"
    use_numba: bool | None = None
    kind: ClassVar[str] = "online"

    def __post_init__(self):
        object.__setattr__(self, "epochs", check_int(self.epochs, "epochs"))
        check_option(self.decay, DECAYS, "decay")
        for name in ("learning_rate_init", "learning_rate_fin"):
            object.__setattr__(
                self, name, check_real(getattr(self, name), name, 0.0, 1.0, exclusive_minimum=True)
            )

    def radii(self, lattice) -> tuple[float, float]:
        return resolved_radii(self.radiusin, self.radiusfin, lattice, self.decay)


class OnePhase:
    """The phases of a ``fit`` or ``fit_online`` call: one schedule, no stop of its own."""

    needs_metrics = False

    def __init__(self, schedule):
        self.schedule = schedule

    def first(self, lattice):
        return self.schedule

    def next(self, state):
        return None

    def planned(self, done: int) -> int:
        return self.schedule.epochs

    def on_fit_begin(self, plan):
        pass

    def on_epoch_end(self, info) -> bool:
        return False


class Training:
    """One run: its phases' epochs, commits, measurements and callbacks.

    Epoch ``k``'s row of ``history_`` describes the map at the end of epoch ``k``.  A batch epoch's own
    pass measures the codebook it starts from, so epoch ``k`` is measured by epoch ``k + 1``'s pass and
    the last one by the final pass (which also gives ``bmu_``): no extra pass.  Callbacks for epoch ``k``
    therefore run once that measurement exists.  An online epoch is measured by a pass after it, only
    when someone reads the metrics (``collect_history`` or callbacks) or when the phase ends.
    """

    def __init__(self, model, state, data, callbacks, collect_history, params):
        self.model = model
        self.state = state  # the last committed (or initial, uncommitted) state
        self.data = data
        self.callbacks = callbacks
        self.collect_history = collect_history
        self.neighborhood = params["neighborhood"]  # the checked parameters: a canonical kernel name
        self.n_jobs = params["n_jobs"]
        self.run_epoch = 0  # epochs completed in this run, over its phases

    def run(self, phases) -> FitResult:
        """Run every phase ``phases`` gives; return the last phase's result (its ``run_over`` is True)."""
        self.with_metrics = bool(self.collect_history or self.callbacks or phases.needs_metrics)
        counter = getattr(self.data, "n_chunks", None)
        if counter is not None:
            limits = engine.thread_limits(self.n_jobs, counter(self.state.lattice.n_nodes))
        else:
            # Dask data: the passes run on the workers. Threaded BLAS here would gain a few ms on the
            # client's updates, and then its idle threads busy-wait (OpenBLAS: ~0.1 s after each call)
            # beside the workers of a cluster on this machine: W2 on a 2-worker LocalCluster, ~60 ms of
            # a core per 0.3 s epoch.
            limits = engine.thread_limits(1)
        schedule = phases.first(self.state.lattice)
        with limits:  # entered once per run (each entry costs ~2.5 ms)
            while schedule is not None:
                schedule, result = self._phase(schedule, phases)
        return result

    # -------------------------------------------------------------- one phase
    def _phase(self, schedule, phases):
        self.phase = f"{schedule.kind}-{self.state.n_phases + 1}"
        self.n_epochs = schedule.epochs
        self.committed, self.final, self.start = 0, None, time.perf_counter()
        self.run_offset, self.run_epochs = self.run_epoch, phases.planned(self.run_epoch)
        lattice = self.state.lattice
        radii = schedule.radii(lattice)  # checked, like the operator, before anyone hears the phase begin
        operator = NeighborhoodOperator(lattice, self.neighborhood) if schedule.kind == "batch" else None
        plan = FitPlan(
            kind=schedule.kind,
            phase=self.phase,
            n_epochs=schedule.epochs,
            first_epoch=self.state.n_epochs + 1,
            n_rows=self.data.n_rows,
            run_epochs=self.run_epochs,
            run_offset=self.run_offset,
            model=self.model,
        )
        notify(self.callbacks, "on_fit_begin", plan)
        phases.on_fit_begin(plan)
        stop, error, following = None, None, None
        try:
            if operator is not None:
                stop = self._batch_epochs(schedule, radii, operator, phases)
            else:
                stop = self._online_epochs(schedule, radii, phases)
            if stop != "callback":
                following = phases.next(self.state)
        except BaseException as caught:
            error = caught
            raise
        finally:
            if error is not None and self.committed and self.state.nodes is None:
                self._finish_after_error()
            result = FitResult(
                phase=self.phase,
                epochs_run=self.committed,
                stopped=stop == "callback",
                error=error,
                elapsed=time.perf_counter() - self.start,
                model=self.model,
                run_over=following is None,
                run_epoch=self.run_epoch,
            )
            notify(self.callbacks, "on_fit_end", result)
        return following, result

    def _batch_epochs(self, schedule: BatchSchedule, radii, operator, phases) -> str | None:
        lattice, data = self.state.lattice, self.data
        radiusin, radiusfin = radii
        rng = model_rng(self.model)
        codebook = self.state.codebook
        for e in range(schedule.epochs):
            rows = data if schedule.subsample_ratio >= 1.0 else data.sample(schedule.subsample_ratio, rng)
            measures_all = rows is data and self.with_metrics  # a final pass's equal (Dask keeps no BMUs)
            stats, bmus = rows.statistics(
                codebook,
                lattice,
                with_metrics=self.with_metrics,
                return_bmus=measures_all,
                n_jobs=self.n_jobs,
            )
            if self.committed:  # this pass measured the last committed epoch
                self.final = (stats, bmus) if measures_all else None
                stop = self._measured(stats if self.with_metrics else None, phases)
                if stop:
                    if self.final is not None:
                        self._finalize(*self.final)
                    return stop
            radius = float(engine.schedule(radiusin, radiusfin, schedule.epochs, schedule.decay, e, e + 1)[0])
            codebook = engine.batch_update(codebook, stats, operator, radius, schedule.learning_rate)
            self._commit(codebook, radius, schedule.learning_rate)
        self._finalize(*self._final_pass())
        return self._measured(self.final[0] if self.with_metrics else None, phases)

    def _online_epochs(self, schedule: OnlineSchedule, radii, phases) -> str | None:
        lattice, data = self.state.lattice, self.data
        radiusin, radiusfin = radii
        n_rows, steps = data.n_rows, schedule.epochs * data.n_rows
        rng = model_rng(self.model)
        codebook = self.state.codebook
        for e in range(schedule.epochs):
            window = (e * n_rows, (e + 1) * n_rows)
            radii = engine.schedule(radiusin, radiusfin, steps, schedule.decay, *window)
            rates = engine.schedule(
                schedule.learning_rate_init, schedule.learning_rate_fin, steps, schedule.decay, *window
            )
            codebook = codebook.copy()  # the committed codebook stays as it was
            order = rng.permutation(n_rows)
            masked = data.masked
            _online.online_epoch(
                data.X,
                codebook,
                order,
                radii,
                rates,
                lattice,
                self.neighborhood,
                use_numba=schedule.use_numba,
                feature_weights=(data.weights if data.weights is not None else np.ones(data.X.shape[1]))
                if masked
                else None,
                count_weights=data.count_weights,
            )
            self._commit(codebook, float(radii[-1]), float(rates[-1]))
            if e == schedule.epochs - 1:
                self._finalize(*self._final_pass())
                return self._measured(self.final[0] if self.with_metrics else None, phases)
            if self.with_metrics:
                # The metrics are read now; the stored node statistics are built only if the phase stops here.
                self.final = data.statistics(
                    codebook, lattice, with_metrics=True, return_bmus=True, n_jobs=self.n_jobs
                )
                stop = self._measured(self.final[0], phases)
                if stop:
                    self._finalize(*self.final)
                    return stop
        return None

    # ------------------------------------------------------------- the steps
    def _commit(self, codebook, radius, rate):
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
        self.run_epoch += 1
        self.final = None  # no pass has measured this codebook yet

    def _measured(self, stats, phases) -> str | None:
        """Record the last committed epoch's metrics and tell the callbacks; who ends the phase, if anyone."""
        metrics = stats.metrics() if stats is not None else {}
        epoch = self.state.n_epochs
        self.state.history.set_metrics(epoch, metrics)
        record = self.state.history.row(epoch)
        info = EpochInfo(
            epoch=epoch,
            phase=self.phase,
            phase_epoch=self.committed,
            n_epochs=self.n_epochs,
            radius=record["radius"],
            learning_rate=record["learning_rate"],
            metrics={key: record[key] for key in HISTORY_METRICS},
            elapsed=time.perf_counter() - self.start,
            n_rows=self.data.n_rows,
            run_epoch=self.run_epoch,
            run_epochs=self.run_epochs,
            model=self.model,
        )
        if notify(self.callbacks, "on_epoch_end", info):
            return "callback"
        return "schedule" if phases.on_epoch_end(info) else None

    def _final_pass(self):
        self.final = self.data.statistics(
            self.state.codebook, self.state.lattice, with_metrics=True, return_bmus=True, n_jobs=self.n_jobs
        )
        return self.final

    def _finalize(self, stats, bmus):
        """Attach the training data's BMUs and per-node statistics to the committed state."""
        self.state = self.state.with_training_statistics(bmus, node_statistics(stats, bmus))
        self.model._state = self.state

    def _finish_after_error(self):
        # The committed epoch stands; measure it so bmu_ and the metrics exist. A second interrupt here
        # leaves the committed epoch without them (bmu_ then says so).
        try:
            self._finalize(*(self.final if self.final is not None else self._final_pass()))
        except Exception:  # the original error is what the user needs to see
            pass
