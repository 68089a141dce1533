"""fit_auto's schedule: how many epochs at which neighbourhood radius, and when to stop.

The rule (numbers from ``benchmarks/bench_quality.py`` on penguins, iris, wine,
breast_cancer and digits, and from make_blobs; see the README):

1. **rough** -- orders the map: the Gaussian radius shrinks linearly from a
   third of the longest side to a quarter of that (at least 1),
   :data:`AUTO_ROUGH_EPOCHS` epochs (as before issue #9).
2. **fine** -- the radius shrinks linearly from ``max(1, min(rough end,
   longest side / 12))`` to :data:`FINAL_RADIUS` = 0.5, eight epochs per
   lattice unit covered (6 to 16 epochs).  The seed's schedule stopped at 1,
   where each prototype still averages its neighbours' rows: its QE was
   1.2-1.5x the best peer's.  At 0.5 (a neighbour's weight ``exp(-2)``) the QE
   is within 1-4% of the best peer's, but on some data the map starts to fold
   and the topographic error (TE) climbs.
3. The **TE guard** watches the TE every epoch already measures: below radius
   1, a map whose TE exceeds the lowest TE of the fine phase's maps by more
   than :data:`TE_BUDGET` (0.06) stops the phase.  Budgets of 0.04 and 0.05
   were measured too: they stop breast_cancer's fine phase at radius 0.6-0.7
   and leave its QE at 1.10x the best peer's.
4. **converge** -- at a fixed radius until the quantization error improves by
   less than :data:`PLATEAU_DELTA` (0.3%) in an epoch (at least 2, at most
   :data:`CONVERGE_EPOCHS` epochs; batch SOM at a fixed radius settles in
   2-4), the guard still on.  The radius: if the guard stopped the fine
   phase, halfway between that radius and the last one it accepted (a
   bisection step); otherwise 0.5, or 0.5 + :data:`STEP_BACK` (0.075) when
   the fine phase ended in the upper half of the TE budget (converging at a
   fixed radius lets a map close to folding fold: penguins' TE went from
   0.070 to 0.085 at 0.5; steps of 0.05 and 0.1 were measured too: 0.05 let
   make_blobs(500, 4, 3)'s TE end 0.06 above the old schedule's, 0.1 left
   penguins' QE at 1.10x the best peer's).

The budget is a soft bound: the converge phase's guard stops it as soon as
the TE exceeds the budget, but that map is kept (breast_cancer ends at 0.097
against a reference of 0.021), and on strongly clustered data a folded map
does not unfold (make_blobs 5000 x 8, 8 clusters: TE 0.13 against the seed
schedule's 0.05, with a QE 9% lower; ``benchmarks/bench_fit_auto.py``).

So the map size sets the radii and the epoch counts, and the data (N, D and
their structure) act through the measured errors: the guard and the plateau.
On iris-sized data the run is 13-15 epochs (the seed's: 18), 13 ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ._training import BatchSchedule
from ._validation import check_int, check_option
from .callbacks import EarlyStopping

#: Epochs of the rough (ordering) phase.
AUTO_ROUGH_EPOCHS = 6
#: Radius the fine phase ends at (lattice units; the Gaussian's sigma).
FINAL_RADIUS = 0.5
#: Fine-phase epochs per lattice unit of radius it covers, and its bounds.
FINE_EPOCHS_PER_UNIT = 8
FINE_EPOCHS_MIN, FINE_EPOCHS_MAX = 6, 16
#: Most epochs of the converge phase.
CONVERGE_EPOCHS = 8
#: Converged when the QE improves by less than this fraction in an epoch.
PLATEAU_DELTA = 0.003
#: How far the TE may rise above the run's lowest TE once the radius is below 1.
TE_BUDGET = 0.06
#: How far above the final radius the converge phase runs when the fine phase ended close to the TE budget.
STEP_BACK = 0.075
#: What ``fit_auto(emphasis=...)`` may favour.
EMPHASES = ("topology", "quantization")


@dataclass(frozen=True)
class Phase:
    """One ``fit`` call of the schedule."""

    role: str  # "rough", "fine" or "converge"
    epochs: int
    radiusin: float
    radiusfin: float
    decay: str = "linear"
    guarded: bool = True  # may the guard / plateau stop it


def rough_radii(lattice) -> tuple[float, float]:
    """Start and end radius of the rough phase (a third of the longest side, then a quarter of that)."""
    start = max(1.0, max(lattice.rows, lattice.cols) / 3.0)
    return start, max(1.0, start / 4.0)


def fine_start(lattice) -> float:
    longest = max(lattice.rows, lattice.cols)
    return max(1.0, min(rough_radii(lattice)[1], longest / 12.0))


def fine_epoch_count(lattice, end: float = FINAL_RADIUS) -> int:
    span = fine_start(lattice) - end
    return int(min(FINE_EPOCHS_MAX, max(FINE_EPOCHS_MIN, math.ceil(FINE_EPOCHS_PER_UNIT * span))))


def final_radius(neighborhood: str = "gaussian") -> float:
    """Where the fine phase ends: 0.5 for the Gaussian; 1 for the kernels that vanish beyond their radius.

    A bubble, cut Gaussian or Epanechikov kernel of radius < 1 reaches no neighbour (Epanechikov already
    gives them weight 0 at radius 1): below 1 the map would turn into k-means and the guard would stop it
    at once, so these kernels end at 1 as before.
    """
    return FINAL_RADIUS if neighborhood == "gaussian" else 1.0


def auto_schedule(
    n_rows: int, n_features: int, lattice, rough_epochs=None, fine_epochs=None, neighborhood="gaussian"
) -> list[Phase]:
    """The phases fit_auto runs on a map of ``lattice`` for ``n_rows`` x ``n_features`` data.

    ``rough_epochs`` / ``fine_epochs`` (the seed's overrides) fix those phases' lengths; a fixed fine
    phase is run whole and is not followed by a converge phase.  The converge phase's radius is the
    final radius unless the guard stops the fine phase earlier (see :class:`AutoMonitor`).
    ``n_rows`` and ``n_features`` do not change the plan: they act through the measured errors.
    """
    del n_rows, n_features  # the plan depends on the map; the data act through the guard and the plateau
    rough = AUTO_ROUGH_EPOCHS if rough_epochs is None else int(rough_epochs)
    r0, r1 = rough_radii(lattice)
    end = final_radius(neighborhood)
    phases = [Phase("rough", rough, r0, r1, guarded=False)]
    if fine_epochs is not None:
        phases.append(Phase("fine", int(fine_epochs), fine_start(lattice), end, guarded=False))
        return phases
    phases.append(Phase("fine", fine_epoch_count(lattice, end), fine_start(lattice), end))
    phases.append(Phase("converge", CONVERGE_EPOCHS, end, end))
    return phases


class AutoRun:
    """One fit_auto run: its phases and its own stops (the phases object of :mod:`somnium._training`).

    The training loop asks it for the first schedule (:meth:`first`, the rough phase on the map), for
    each next one (:meth:`next`: after the rough phase it plans the rest with :meth:`plan`, then
    :meth:`next_phase`), and for the epochs planned (:meth:`planned`).  It sees every phase begin and
    every epoch end after the user's callbacks (which the loop notifies; a callback's stop ends the
    run there); its own stops -- the TE guard and the QE plateau -- end only the current phase.
    """

    needs_metrics = True  # the guard and the plateau read every epoch's TE and QE

    def __init__(
        self,
        rough_epochs=None,
        fine_epochs=None,
        te_budget=None,
        plateau_delta=None,
        *,
        neighborhood="gaussian",
        emphasis="topology",
    ):
        self.rough_epochs = (
            AUTO_ROUGH_EPOCHS if rough_epochs is None else check_int(rough_epochs, "rough_epochs")
        )
        self.fine_epochs = None if fine_epochs is None else check_int(fine_epochs, "fine_epochs")
        self.te_budget = TE_BUDGET if te_budget is None else float(te_budget)
        self.plateau_delta = PLATEAU_DELTA if plateau_delta is None else float(plateau_delta)
        self.neighborhood = neighborhood
        self.emphasis = check_option(emphasis, EMPHASES, "emphasis")
        self.n_rows = 0
        self.planned_rest = False  # plan() has run
        self.best_te = math.inf  # the guard's reference: the lowest TE at radius <= reference_radius
        self.reference_radius = 1.0
        self.phase = Phase("rough", self.rough_epochs, math.nan, math.nan, guarded=False)
        self.pending: list[Phase] = []
        self.fired_at = None  # radius of the epoch the guard stopped, in the current phase
        self.accepted = None  # last radius < 1 whose map passed the guard
        self.last_accepted_te = math.inf  # its TE
        # The QE plateau of the converge phase: stop at the first epoch that improves by less than the delta.
        self._plateau = EarlyStopping(
            "quantization_error", patience=1, min_delta=self.plateau_delta, min_epochs=2
        )

    # ------------------------------------------------- the training loop's side
    def first(self, lattice) -> BatchSchedule:
        """The rough phase's schedule on ``lattice``."""
        start, end = rough_radii(lattice)
        self.phase = replace(self.phase, radiusin=start, radiusfin=end)
        return self._schedule(self.phase)

    def next(self, state) -> BatchSchedule | None:
        """The schedule after the current phase (planned from the map after the rough one), or None."""
        if not self.planned_rest:
            self.plan(state.lattice, state.n_features, self.neighborhood)
        phase = self.next_phase()
        return None if phase is None else self._schedule(phase)

    def planned(self, done: int) -> int:
        """Epochs planned for the whole run once ``done`` are completed (an upper bound before :meth:`plan`)."""
        if not self.planned_rest:  # the rough phase: the most the rest can be
            rest = FINE_EPOCHS_MAX + CONVERGE_EPOCHS if self.fine_epochs is None else self.fine_epochs
            return self.rough_epochs + rest
        return done + self.phase.epochs + sum(p.epochs for p in self.pending)

    @staticmethod
    def _schedule(phase: Phase) -> BatchSchedule:
        return BatchSchedule(phase.epochs, phase.radiusin, phase.radiusfin, phase.decay)

    # ----------------------------------------------------------- the plan
    def plan(self, lattice, n_features: int, neighborhood: str = "gaussian"):
        phases = auto_schedule(
            self.n_rows, n_features, lattice, self.rough_epochs, self.fine_epochs, neighborhood
        )
        self.pending = phases[1:]  # the rough phase has run
        self.reference_radius = max(1.0, phases[1].radiusin)
        self.planned_rest = True

    def next_phase(self):
        """The next phase to run, or None when the run is over."""
        if not self.pending:
            return None
        fired, self.fired_at = self.fired_at, None
        phase = self.pending.pop(0)
        if phase.role == "converge":
            radius = self.converge_radius(phase.radiusin, fired)
            phase = replace(phase, radiusin=radius, radiusfin=radius)
        self.phase = phase
        return phase

    def converge_radius(self, final: float, fired) -> float:
        """Where the converge phase runs, from how the fine phase ended.

        Converging at a fixed radius lets the TE creep up a little more (a map close to folding folds), so
        when the fine phase ended in the upper half of the TE budget the converge phase keeps a step back:
        the last radius the guard accepted if it fired, else :data:`STEP_BACK` above the final radius.
        With room to spare it converges at the final radius, or halfway between the radius the guard
        stopped and the last one it accepted (a bisection step).
        """
        if fired is not None:
            accepted = self.accepted if self.accepted is not None else 1.0
            return 0.5 * (accepted + fired)
        comfortable = self.last_accepted_te <= self.best_te + 0.5 * self.te_budget
        return final if comfortable else min(1.0, final + STEP_BACK)

    # ------------------------------------------------------ phases and epochs
    def on_fit_begin(self, plan):
        self.n_rows = plan.n_rows
        self._plateau.on_fit_begin(plan)

    def on_epoch_end(self, info) -> bool:
        """True ends the current phase (the guard fired, or the converge phase reached its plateau)."""
        te = info.metrics.get("topographic_error", math.nan)
        qe = info.metrics.get("quantization_error", math.nan)
        if not (math.isfinite(te) and math.isfinite(qe)):
            return False
        phase = self.phase
        if phase.guarded and info.radius < 1.0 and te > self.best_te + self.te_budget:
            self.fired_at = info.radius
            return True
        if (
            info.radius <= self.reference_radius + 1e-9
        ):  # the reference: maps of the fine phase (and narrower)
            self.best_te = min(self.best_te, te)
        if info.radius < 1.0:
            self.accepted, self.last_accepted_te = info.radius, te
        return phase.role == "converge" and self._plateau.on_epoch_end(info)
