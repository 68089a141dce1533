"""fit_auto's schedules: how many epochs at which neighbourhood radius, and when to stop.

``fit_auto(X, emphasis=...)`` has two schedules.  Numbers from
``benchmarks/bench_quality.py`` (penguins, iris, wine, breast_cancer, digits
and the original project's getting-started data, "notebook") and from
make_blobs; see the README, "Map quality against other libraries".

emphasis="topology" (the default)
---------------------------------
The reference is the original project's ``fit_auto`` (ivallesp/somnium: 400
linear epochs from ``max(longest side / 3, 4)`` to 3, then 400 exponential
ones from 3 to 1): a converged map at Gaussian radius 1, where neighbouring
prototypes stay similar.  The goal: QE within 1% of its QE and TE within 0.01
of its TE on every data set, 10x faster or more, and finished in under two
minutes on 1M x 16 rows.

1. **rough** -- :data:`TOPOLOGY_ROUGH_EPOCHS` (4) linear epochs from a third
   of the longest side to half of that, but not below 3 (the original's
   transition radius).  The epoch count is fixed because fit_auto runs this
   phase before it knows the map ("auto" size) and the rows.
2. **fine** -- exponential decay to :data:`TOPOLOGY_FINAL_RADIUS` (0.97),
   :data:`TOPOLOGY_FINE_EPOCHS` (64) epochs per e-fold of 3 (so 64 from
   radius 3, 83 from 4.2), times ``min(1, 10,000 / n_rows)``
   (:func:`size_factor`: above 10,000 rows the phase visits about as many
   rows in all), at least 6.
3. **converge** -- at the final radius until the QE improves by less than
   0.1% in an epoch *and* the TE stopped falling (it often still falls for a
   few epochs after the QE has settled), at most 8 epochs (also scaled, at
   least 2).  No TE guard: the radius never goes below where batch maps
   start to fold.

So a small data set gets 55-95 epochs (the original: 800), 10,000 rows 95,
100,000 rows 17 and 1,000,000 rows 12.  Measured while choosing (our engine,
PCA start; the original's own runs as reference: penguins, iris, wine,
breast_cancer, digits, and for "notebook" our engine running the original's
400 + 400):

- Shapes tried: a linear fine phase, the quantization-style rough end
  (a quarter of the start), 4-24 rough and 8-64 fine epochs, converge 4-12.
  A linear rough phase to 3 then an exponential fine phase was the only
  family within both bounds on every data set; how much of it mattered
  chiefly on the larger maps (notebook 20 x 25: rough 4 -> TE +0.0096 over
  the reference, rough 16 -> +0.0021), which is why the rough phase hands
  over at half its start there and the fine phase grows with the e-folds.
- Fine epochs 40 / 48 / 64: worst TE over the reference +0.0061 / +0.0095 /
  +0.0048 (digits), QE at most 0.9997 / 1.0004 / 0.9997 x the reference.
- Final radius 1.0 / 0.97 / 0.95 / 0.90: at 1.0 the QE was up to 1.0088x
  the reference (notebook 15 x 10), no margin against the 1% bound; 0.97
  takes 0.3-1.4% off the QE, keeps the TE within +0.0045, and leaves
  trustworthiness and continuity unchanged (within 0.002) and the
  topographic product within 6% of its value at 1.0; 0.95 and 0.90 raise
  the TE (blobs 1000 x 8: 0.018 -> 0.026) and push the topographic product
  away from 0 (digits -0.0165 at 1.0, -0.0192 at 0.9).
- Other kernels end at 1: a bubble, cut Gaussian or Epanechikov kernel
  narrower than 1 reaches no neighbour.

emphasis="quantization"
-----------------------
The target (issue 23): on every data set QE at most 1.10x the best peer's and
never Pareto-dominated (no peer with both a lower QE and a lower TE).  The
release before ended at radius 0.5 with a TE guard of 0.06 and met it on four
of the six data sets; iris (6 x 9: QE 0.318, TE 0.073, dominated by MiniSom
0.303 / 0.027 and XPySom 0.289 / 0.040) and notebook (QE 0.796, 1.124x
XPySom's 0.708) failed.

1. **rough** -- orders the map: the Gaussian radius shrinks linearly from a
   third of the longest side to a quarter of that (at least 1),
   :data:`AUTO_ROUGH_EPOCHS` epochs.
2. **fine** -- the radius shrinks linearly from ``max(1, min(rough end,
   longest side / 12))`` to :data:`FINAL_RADIUS` = 0.4, eight epochs per
   lattice unit covered (6 to 16 epochs).
3. The **TE guard** watches the TE every epoch already measures: below radius
   1, a map whose TE exceeds the lowest TE of the fine phase's maps by more
   than :data:`TE_BUDGET` (0.25) stops the phase.
4. **converge** -- at the final radius until the quantization error improves
   by less than :data:`PLATEAU_DELTA` (0.3%) in an epoch (at least 2, at most
   :data:`CONVERGE_EPOCHS` epochs), the guard still on; if the guard stopped
   the fine phase, halfway between that radius and the last one it accepted.

Why 0.4 and not a tighter guard (bench_quality, 3 runs, the peers' medians;
our runs start from PCA and are identical): a batch map converged at radius
0.5 lands next to XPySom's point (its Gaussian ends at an effective 0.5),
sometimes just inside its shadow -- converged with 16 fine epochs, iris
0.299 / 0.060 against 0.289 / 0.040, breast_cancer 2.251 / 0.151 against
2.234 / 0.149, notebook 0.716 / 0.209 against 0.708 / 0.203 -- so a guard
that stops anywhere between 0.45 and 0.55 can land dominated.  On iris no
schedule tried (6-24 fine epochs, exponential 3 or 1.5 -> 0.45-0.55 over
20-100 epochs) beats XPySom's TE at a QE within 1.10x: only a QE below
0.289 escapes, which needs radius <= 0.45 and a TE of 0.06-0.08 (+0.066
over the fine phase's lowest, 0.007), beyond a 0.06 budget.  Converged at
0.45, penguins sits at 0.362 / 0.152 against XPySom's 0.361 / 0.135; at 0.4
the QE is below every peer's on all six (0.91-0.96x the best) and no peer
can dominate it.  Measured, the schedule as run (fit_auto):

- end 0.5, budget 0.06 with its step back (the release before): iris and
  notebook fail (above).
- end 0.45, budget 0.075 or 2 x lowest TE + 0.06, 8 or 16 fine epochs per
  unit: iris 0.294-0.303 / 0.087, dominated by XPySom (the step back of
  0.075 above the end radius took it to 0.525); without the step back,
  budget 0.08: iris still 0.294 / 0.087 (the guard fired), budget 0.10:
  passes, but breast_cancer ties XPySom's QE (2.2336 / 0.176 against
  2.2336 / 0.149); budget 0.12: penguins dominated (0.368 / 0.146).
- end 0.4, budget 0.08-0.12: breast_cancer 2.252 / 0.162, dominated (the
  guard stopped near 0.5).
- end 0.4, budget 0.2 / 0.25 / 0.3 and up: all six pass; the guard fires on
  breast_cancer and notebook / on notebook only (0.687 / 0.307 against
  0.678 / 0.338 unguarded) / never.  0.25 keeps notebook's QE 3% under
  XPySom's (0.2: 1.8%).

The price is topology: the TE is 1.6-3.6x the release before's (penguins
0.178, iris 0.120, wine 0.185, breast_cancer 0.258, digits 0.218, notebook
0.307; the peers 0.03-0.21), while trustworthiness drops by at most 0.002
(notebook rises, 0.968 -> 0.980) and the topographic product moves little
(digits -0.027 -> -0.034): rows keep their neighbours, prototypes of
adjacent rows are less often adjacent.  There is no step back: converging
above the end radius lands where XPySom dominates (iris above).  Kernels
other than the Gaussian end at 1 as before (:func:`final_radius`).  Here
the map size sets the radii and the epoch counts, and the data (N, D and
their structure) act only through the measured errors: the guard and the
plateau.  On the six data sets the run is 15-17 epochs.
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
FINAL_RADIUS = 0.4
#: Fine-phase epochs per lattice unit of radius it covers, and its bounds.
FINE_EPOCHS_PER_UNIT = 8
FINE_EPOCHS_MIN, FINE_EPOCHS_MAX = 6, 16
#: Most epochs of the converge phase.
CONVERGE_EPOCHS = 8
#: Converged when the QE improves by less than this fraction in an epoch.
PLATEAU_DELTA = 0.003
#: How far the TE may rise above the fine phase's lowest TE once the radius is below 1 (a fail-safe: see the notes).
TE_BUDGET = 0.25
#: fit_auto's two schedules; the first is the default.
EMPHASES = ("topology", "quantization")

# ----------------------------------------------------------- emphasis="topology"
#: Epochs of the topology schedule's rough phase (the map size sets its radii).
TOPOLOGY_ROUGH_EPOCHS = 4
#: Radius the rough phase hands over at (the original project's transition radius).
TOPOLOGY_MID_RADIUS = 3.0
#: Radius the topology schedule ends and converges at (Gaussian; the other kernels end at 1).
TOPOLOGY_FINAL_RADIUS = 0.97
#: Epochs of the exponential fine phase on up to TOPOLOGY_FULL_ROWS rows, and the fewest on any data.
TOPOLOGY_FINE_EPOCHS, TOPOLOGY_FINE_EPOCHS_MIN = 64, 6
#: Most epochs of the converge phase on up to TOPOLOGY_FULL_ROWS rows, and the fewest it may be given.
TOPOLOGY_CONVERGE_EPOCHS, TOPOLOGY_CONVERGE_EPOCHS_MIN = 8, 2
#: Up to this many rows the plan runs its full length; above, the fine and converge phases shrink
#: with TOPOLOGY_FULL_ROWS / n_rows, down to their minimums (see :func:`size_factor`).
TOPOLOGY_FULL_ROWS = 10_000
#: The converge phase stops when the QE improves by less than this fraction in an epoch.
TOPOLOGY_PLATEAU_DELTA = 0.001
#: The largest radius a topology fine phase starts at (for run_epochs before the map is known).
TOPOLOGY_FINE_START_MAX = 100.0
#: The TE guard's budget in the topology converge phase (radius 0.97 < 1): the quantization emphasis's
#: budget before it became :data:`TE_BUDGET` = 0.25, kept so that the default schedule does not change.
TOPOLOGY_TE_BUDGET = 0.06


@dataclass(frozen=True)
class Phase:
    """One ``fit`` call of the schedule."""

    role: str  # "rough", "fine" or "converge"
    epochs: int
    radiusin: float
    radiusfin: float
    decay: str = "linear"
    guarded: bool = True  # may the guard / plateau stop it


def check_emphasis(emphasis) -> str:
    """``emphasis`` if it is one of :data:`EMPHASES`, else the library's unknown-option error."""
    return check_option(emphasis, EMPHASES, "emphasis")


# ------------------------------------------------------- emphasis="quantization"
def rough_radii(lattice) -> tuple[float, float]:
    """Start and end radius of the quantization rough phase (a third of the longest side, then a quarter)."""
    start = max(1.0, max(lattice.rows, lattice.cols) / 3.0)
    return start, max(1.0, start / 4.0)


def fine_start(lattice) -> float:
    longest = max(lattice.rows, lattice.cols)
    return max(1.0, min(rough_radii(lattice)[1], longest / 12.0))


def fine_epoch_count(lattice, end: float = FINAL_RADIUS) -> int:
    span = fine_start(lattice) - end
    return int(min(FINE_EPOCHS_MAX, max(FINE_EPOCHS_MIN, math.ceil(FINE_EPOCHS_PER_UNIT * span))))


def final_radius(neighborhood: str = "gaussian") -> float:
    """Where the quantization fine phase ends: :data:`FINAL_RADIUS` (0.4) for the Gaussian; 1 for the kernels that vanish beyond it.

    A bubble, cut Gaussian or Epanechikov kernel of radius < 1 reaches no neighbour (Epanechikov already
    gives them weight 0 at radius 1): below 1 the map would turn into k-means and the guard would stop it
    at once, so these kernels end at 1 as before.
    """
    return FINAL_RADIUS if neighborhood == "gaussian" else 1.0


def quantization_schedule(
    lattice, rough_epochs=None, fine_epochs=None, neighborhood="gaussian"
) -> list[Phase]:
    """The QE-leaning phases (the schedule of releases before the topology default; see the module notes)."""
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


# ----------------------------------------------------------- emphasis="topology"
def topology_rough_radii(lattice) -> tuple[float, float]:
    """Start and end radius of the topology rough phase: a third of the longest side (at least 1), then
    half of that, but not below :data:`TOPOLOGY_MID_RADIUS` (nor above the start)."""
    start = max(1.0, max(lattice.rows, lattice.cols) / 3.0)
    return start, min(start, max(TOPOLOGY_MID_RADIUS, start / 2.0))


def size_factor(n_rows) -> float:
    """1 up to :data:`TOPOLOGY_FULL_ROWS` rows, then ``TOPOLOGY_FULL_ROWS / n_rows``: above that size
    the fine and converge phases visit about as many rows in all as they do on TOPOLOGY_FULL_ROWS."""
    if not n_rows or n_rows <= TOPOLOGY_FULL_ROWS:
        return 1.0
    return TOPOLOGY_FULL_ROWS / n_rows


def topology_epochs(n_rows, start: float = TOPOLOGY_MID_RADIUS) -> tuple[int, int]:
    """``(fine epochs, most converge epochs)`` of the topology schedule for ``n_rows`` rows.

    The fine phase takes :data:`TOPOLOGY_FINE_EPOCHS` epochs from the mid radius (3) to 1, as many per
    e-fold of the radius from a larger ``start``, both times :func:`size_factor`.
    """
    factor = size_factor(n_rows)
    span = math.log(max(start, 1.0)) / math.log(TOPOLOGY_MID_RADIUS)  # e-folds down to 1, in units of 3 -> 1
    fine = max(TOPOLOGY_FINE_EPOCHS_MIN, round(TOPOLOGY_FINE_EPOCHS * span * factor))
    converge = max(TOPOLOGY_CONVERGE_EPOCHS_MIN, round(TOPOLOGY_CONVERGE_EPOCHS * factor))
    return int(fine), int(converge)


def topology_final_radius(neighborhood: str = "gaussian") -> float:
    """Where the topology schedule ends: :data:`TOPOLOGY_FINAL_RADIUS` for the Gaussian, 1 otherwise
    (a bubble, cut Gaussian or Epanechikov kernel narrower than 1 reaches no neighbour)."""
    return TOPOLOGY_FINAL_RADIUS if neighborhood == "gaussian" else 1.0


def topology_schedule(
    n_rows, lattice, rough_epochs=None, fine_epochs=None, neighborhood="gaussian"
) -> list[Phase]:
    """The topology-first phases: a short rough phase, an exponential fine phase to about radius 1, and a
    converge phase there until the QE stops improving (see the module notes)."""
    rough = TOPOLOGY_ROUGH_EPOCHS if rough_epochs is None else int(rough_epochs)
    r0, r1 = topology_rough_radii(lattice)
    end = topology_final_radius(neighborhood)
    start = max(r1, end)
    fine, converge = topology_epochs(n_rows, start)
    # No TE guard: the radius stays at about 1, above where batch maps fold (see emphasis="quantization").
    phases = [Phase("rough", rough, r0, r1, guarded=False)]
    if fine_epochs is not None:
        phases.append(Phase("fine", int(fine_epochs), start, end, "exponential", guarded=False))
        return phases
    phases.append(Phase("fine", fine, start, end, "exponential", guarded=False))
    phases.append(Phase("converge", converge, end, end))
    return phases


def auto_schedule(
    n_rows: int,
    n_features: int,
    lattice,
    rough_epochs=None,
    fine_epochs=None,
    neighborhood="gaussian",
    emphasis="topology",
) -> list[Phase]:
    """The phases fit_auto runs on a map of ``lattice`` for ``n_rows`` x ``n_features`` data.

    ``rough_epochs`` / ``fine_epochs`` (the seed's overrides) fix those phases' lengths; a fixed fine
    phase is run whole and is not followed by a converge phase.  ``emphasis="quantization"``: the map
    size sets the plan, and the data act through the measured errors (``n_rows`` and ``n_features`` do
    not change it); the converge phase's radius is the final radius unless the guard stops the fine
    phase earlier (see :class:`AutoRun`).  ``emphasis="topology"``: the fine and converge phases get
    fewer epochs above :data:`TOPOLOGY_FULL_ROWS` rows (:func:`topology_epochs`).
    """
    del n_features  # the data act through the measured errors
    if check_emphasis(emphasis) == "quantization":
        return quantization_schedule(lattice, rough_epochs, fine_epochs, neighborhood)
    return topology_schedule(n_rows, lattice, rough_epochs, fine_epochs, neighborhood)


class AutoRun:
    """One fit_auto run: its phases and its own stops (the phases object of :mod:`somnium._training`).

    The training loop asks it for the first schedule (:meth:`first`, the rough phase on the map), for
    each next one (:meth:`next`: after the rough phase it plans the rest with :meth:`plan`, then
    :meth:`next_phase`), and for the epochs planned (:meth:`planned`).  It sees every phase begin and
    every epoch end after the user's callbacks (which the loop notifies; a callback's stop ends the
    run there); its own stops -- the TE guard (quantization emphasis) and the QE plateau -- end only
    the current phase.
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
        self.emphasis = check_emphasis(emphasis)
        topology = self.emphasis == "topology"
        default_rough = TOPOLOGY_ROUGH_EPOCHS if topology else AUTO_ROUGH_EPOCHS
        self.rough_epochs = default_rough if rough_epochs is None else check_int(rough_epochs, "rough_epochs")
        self.fine_epochs = None if fine_epochs is None else check_int(fine_epochs, "fine_epochs")
        default_budget = TOPOLOGY_TE_BUDGET if topology else TE_BUDGET
        self.te_budget = default_budget if te_budget is None else float(te_budget)
        default_delta = TOPOLOGY_PLATEAU_DELTA if topology else PLATEAU_DELTA
        self.plateau_delta = default_delta if plateau_delta is None else float(plateau_delta)
        self.neighborhood = neighborhood
        self.n_rows = 0
        self.planned_rest = False  # plan() has run
        self.best_te = math.inf  # the guard's reference: the lowest TE at radius <= reference_radius
        self.reference_radius = 1.0
        self.phase = Phase("rough", self.rough_epochs, math.nan, math.nan, guarded=False)
        self.pending: list[Phase] = []
        self.fired_at = None  # radius of the epoch the guard stopped, in the current phase
        self.accepted = None  # last radius < 1 whose map passed the guard
        self.converge_te = math.inf  # the lowest TE of the converge phase so far (topology emphasis)
        # The QE plateau of the converge phase: stop at the first epoch that improves by less than the delta.
        self._plateau = EarlyStopping(
            "quantization_error", patience=1, min_delta=self.plateau_delta, min_epochs=2
        )

    # ------------------------------------------------- the training loop's side
    def rough_radii(self, lattice) -> tuple[float, float]:
        """Start and end radius of the rough phase on ``lattice``."""
        return topology_rough_radii(lattice) if self.emphasis == "topology" else rough_radii(lattice)

    def first(self, lattice) -> BatchSchedule:
        """The rough phase's schedule on ``lattice``."""
        start, end = self.rough_radii(lattice)
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
            if self.fine_epochs is not None:
                rest = self.fine_epochs
            elif self.emphasis == "topology":
                rest = sum(topology_epochs(0, TOPOLOGY_FINE_START_MAX))
            else:
                rest = FINE_EPOCHS_MAX + CONVERGE_EPOCHS
            return self.rough_epochs + rest
        return done + self.phase.epochs + sum(p.epochs for p in self.pending)

    @staticmethod
    def _schedule(phase: Phase) -> BatchSchedule:
        return BatchSchedule(phase.epochs, phase.radiusin, phase.radiusfin, phase.decay)

    # ----------------------------------------------------------- the plan
    def plan(self, lattice, n_features: int, neighborhood: str = "gaussian"):
        phases = auto_schedule(
            self.n_rows,
            n_features,
            lattice,
            self.rough_epochs,
            self.fine_epochs,
            neighborhood,
            self.emphasis,
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
        if phase.role == "converge" and self.emphasis == "quantization":
            radius = self.converge_radius(phase.radiusin, fired)
            phase = replace(phase, radiusin=radius, radiusfin=radius)
        self.converge_te = math.inf
        self.phase = phase
        return phase

    def converge_radius(self, final: float, fired) -> float:
        """Where the quantization converge phase runs: the final radius, or, if the guard stopped the fine
        phase, halfway between the radius it stopped and the last one it accepted (a bisection step)."""
        if fired is None:
            return final
        accepted = self.accepted if self.accepted is not None else 1.0
        return 0.5 * (accepted + fired)

    def te_limit(self) -> float:
        """The highest TE the guard accepts below radius 1."""
        return self.best_te + self.te_budget

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
        if phase.guarded and info.radius < 1.0 and te > self.te_limit():
            self.fired_at = info.radius
            return True
        if info.radius <= self.reference_radius + 1e-9:  # the reference: maps of the fine phase and narrower
            self.best_te = min(self.best_te, te)
        if info.radius < 1.0:
            self.accepted = info.radius
        if phase.role != "converge":
            return False
        plateau = self._plateau.on_epoch_end(info)  # called every epoch: it keeps its own best
        if self.emphasis == "topology":
            # converged when the QE has stopped improving and the TE has too (it often still falls
            # for a few epochs after the QE has settled: the map unfolds the last kinks)
            te_improved = te < self.converge_te
            self.converge_te = min(self.converge_te, te)
            return plateau and not te_improved
        return plateau
