"""The training monitor's two panels: the quality curves (bqplot) and the maps (a MapView and the net).

Drawing only: :class:`~somnium.widgets.TrainingMonitor` gives them what its recorder holds.  The curves'
epochs are appended in the browser (the monitor's header sends only the new ones); Python's copy of the
lines is brought up to date when a run ends.
"""

from __future__ import annotations

import asyncio
import math
import threading

import ipywidgets
import numpy as np
import traitlets

from .._rows import sample_rows
from ..engine import has_missing, principal_axes
from ..exceptions import ModelNotTrainedError
from ..metrics import METRIC_LABELS
from ._recorder import CURVE_METRICS
from .component_planes import plane_feature_weights

__all__ = ["MAX_SAMPLE_ROWS", "CurvePanel", "MapPanel", "epoch_ticks", "value_range"]

#: Rows of the training data kept for the live map's hits and the "map in data space" panel.
MAX_SAMPLE_ROWS = 2000
#: Of those, the points drawn.
MAX_DRAWN_POINTS = 1000
#: One colour per curve; training_monitor.css sets them for the light and the dark theme.
CURVE_COLORS = tuple(
    f"var(--somnium-curve-{i}, {fallback})" for i, fallback in enumerate(("#1f77b4", "#d95f02", "#7570b3"), 1)
)
MUTED = "var(--somnium-fg-muted, #757575)"


def _nice_step(raw: float) -> float:
    """The multiple of 1, 2 or 5 times a power of ten nearest ``raw`` on a log scale (as d3's ticks choose)."""
    power = 10.0 ** math.floor(math.log10(raw))
    ratio = raw / power
    return power * (
        10 if ratio >= math.sqrt(50) else 5 if ratio >= math.sqrt(10) else 2 if ratio >= math.sqrt(2) else 1
    )


def epoch_ticks(last: int, count: int = 5) -> np.ndarray:
    """About ``count`` whole-epoch ticks up to ``last``: the multiples of 1, 2 or 5 times a power of ten."""
    last = max(int(last), 1)
    step = _nice_step(max(last / count, 1.0))
    return np.arange(step, last + 0.5, step, dtype=np.float64)


def value_range(values: np.ndarray, log: bool = False, count: int = 4):
    """``(low, high, ticks)``: round bounds around the finite (for ``log``, positive) values, and ticks.

    Linear: about ``count`` ticks, multiples of a 1-2-5 step.  Log: whole decades (1, 2 and 5 times
    them when the values span less than two).
    """
    values = values[np.isfinite(values) & ((values > 0) if log else True)]
    if log:
        if values.size == 0:
            return 1e-3, 1.0, np.array([1e-3, 1e-2, 1e-1, 1.0])
        low = math.floor(math.log10(values.min()))
        high = max(math.ceil(math.log10(values.max())), low + 1)
        decades = 10.0 ** np.arange(low, high + 1)
        ticks = decades if high - low >= 2 else np.outer(decades, [1, 2, 5]).ravel()
        return 10.0**low, 10.0**high, ticks[ticks <= 10.0**high * (1 + 1e-9)]
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if high - low <= 1e-12 * max(abs(low), abs(high), 1e-300):
        low, high = (low - abs(low) / 10, high + abs(high) / 10) if low else (0.0, 1.0)
    step = _nice_step((high - low) / count)
    low, high = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
    return low, high, np.arange(low, high + step / 2, step)


class CurvePanel:
    """One bqplot figure per curve metric, the labelled phase boundaries, and a log-scale toggle."""

    def __init__(self, lock):
        import bqplot

        self._lock = lock  # the monitor's sending lock (hold_sync is not thread-safe)
        self.x_scale = bqplot.LinearScale(min=1.0, max=2.0)
        unit = bqplot.LinearScale(min=0.0, max=1.0)  # the boundaries span the plot's height
        self.linear_scales = {key: bqplot.LinearScale() for key in CURVE_METRICS}
        self.log_scales = {key: bqplot.LogScale() for key in CURVE_METRICS}
        self.lines, self.boundaries, self.phase_labels, self.x_axes, self.y_axes = {}, {}, {}, {}, {}
        self.last_epoch = self.phase_starts = self._rows = None
        self.ranges = {}  # per curve: the y bounds drawn
        figures = []
        for key, color in zip(CURVE_METRICS, CURVE_COLORS):
            frame = {"x": self.x_scale, "y": unit}
            self.lines[key] = bqplot.Lines(
                x=[], y=[], scales={"x": self.x_scale, "y": self.linear_scales[key]}, colors=[color]
            )
            self.boundaries[key] = bqplot.Lines(
                x=[], y=[], scales=frame, colors=[MUTED], line_style="dashed", stroke_width=1
            )
            self.phase_labels[key] = bqplot.Label(
                x=[],
                y=[],
                text=[],
                scales=frame,
                colors=[MUTED],
                default_size=11,
                rotate_angle=-90,
                align="end",
                x_offset=7,
            )
            self.x_axes[key] = bqplot.Axis(scale=self.x_scale, label="epoch", tick_format="d")
            self.y_axes[key] = bqplot.Axis(scale=self.linear_scales[key], side="left", tick_format=".3~g")
            figures.append(
                bqplot.Figure(
                    marks=[self.boundaries[key], self.phase_labels[key], self.lines[key]],
                    axes=[self.x_axes[key], self.y_axes[key]],
                    title=METRIC_LABELS[key],
                    fig_margin={"top": 36, "bottom": 40, "left": 56, "right": 16},
                    layout=ipywidgets.Layout(width="33%", min_width="220px", height="230px"),
                    animation_duration=0,
                )
            )
        self.log_toggle = ipywidgets.ToggleButton(
            value=False, description="log scale", tooltip="Logarithmic y axes", icon="chart-line"
        )
        self.log_toggle.observe(self._on_log_toggle, "value")
        self.widget = ipywidgets.VBox(
            [ipywidgets.HBox(figures, layout=ipywidgets.Layout(width="100%")), self.log_toggle]
        )

    def _on_log_toggle(self, change):
        scales = self.log_scales if change["new"] else self.linear_scales
        with self._lock:
            for key in CURVE_METRICS:
                self.lines[key].scales = {"x": self.x_scale, "y": scales[key]}
                self.y_axes[key].scale = scales[key]
            self.ranges.clear()
            if self._rows is not None:
                self._draw_ranges(self._rows)

    def draw_frame(self, snap, rows: np.ndarray) -> None:
        """The axes, from Python (the page only appends points): whole epochs on x up to the planned end,
        round bounds and ticks on y that change only when the values leave them; and the labelled
        phase boundaries."""
        if snap.last_epoch != self.last_epoch:
            self.last_epoch = snap.last_epoch
            with self.x_scale.hold_sync():
                self.x_scale.min, self.x_scale.max = 1.0, float(max(snap.last_epoch, 2))
            ticks = epoch_ticks(snap.last_epoch)
            for axis in self.x_axes.values():
                axis.tick_values = ticks
        self._rows = rows
        self._draw_ranges(rows)
        starts = [float(epoch) for epoch, _ in snap.phase_starts[1:]]
        if starts == self.phase_starts:
            return
        self.phase_starts = starts
        xs = np.repeat(np.asarray(starts) - 0.5, 2).reshape(-1, 2)  # between the phases' epochs
        ys = np.tile([0.0, 1.0], (len(starts), 1))
        names = [phase for _, phase in snap.phase_starts[1:]]
        for key in CURVE_METRICS:
            with self.boundaries[key].hold_sync():
                self.boundaries[key].x, self.boundaries[key].y = xs, ys
            with self.phase_labels[key].hold_sync():  # along each line, hanging from its top, in its phase
                self.phase_labels[key].x, self.phase_labels[key].text = xs[:, 0], names
                self.phase_labels[key].y = np.full(len(starts), 0.98)

    def _draw_ranges(self, rows: np.ndarray) -> None:
        log = self.log_toggle.value
        for i, key in enumerate(CURVE_METRICS, 1):
            low, high, ticks = value_range(rows[:, i], log=log)
            if self.ranges.get(key) == (low, high):
                continue
            self.ranges[key] = (low, high)
            scale = (self.log_scales if log else self.linear_scales)[key]
            with scale.hold_sync():
                scale.min, scale.max = low, high
            self.y_axes[key].tick_values = ticks

    def sync(self, rows: np.ndarray) -> None:
        """Python's copy of the lines (the page appended the epochs as they came)."""
        for i, key in enumerate(CURVE_METRICS, 1):
            with self.lines[key].hold_sync():
                self.lines[key].x, self.lines[key].y = rows[:, 0], rows[:, i]


class MapPanel:
    """The live hex map (a :class:`~somnium.widgets.MapView`) and the map in data space (a net over a sample).

    The MapView is created in the thread that owns the widgets (:meth:`call_in_owner`); the other
    redraws may run in the monitor's publisher thread.
    """

    def __init__(self, model, map_layer: str, lock, data=None):
        import bqplot

        self.model, self.map_layer, self._lock = model, map_layer, lock
        self.view = self.basis = self.edges = None
        self.sample = self.sample_rows(data) if data is not None else None
        self.capture_owner()
        self.pc_x, self.pc_y = bqplot.LinearScale(), bqplot.LinearScale()
        scales = {"x": self.pc_x, "y": self.pc_y}
        # The sample's points as zero-length segments of one path (round caps draw them as dots): a
        # Scatter would make the browser create, and animate, one element per point.
        self.sample_mark = bqplot.Lines(
            x=[], y=[], scales=scales, colors=[MUTED], stroke_width=4, opacities=[0.45]
        )
        self.net_mark = bqplot.Lines(x=[], y=[], scales=scales, colors=["#d62728"], stroke_width=1)
        self.net_figure = bqplot.Figure(
            marks=[self.sample_mark, self.net_mark],
            axes=[
                bqplot.Axis(scale=self.pc_x, label="PC 1", num_ticks=4),
                bqplot.Axis(scale=self.pc_y, label="PC 2", side="left", num_ticks=4),
            ],
            title="Map in data space",
            fig_margin={"top": 36, "bottom": 40, "left": 45, "right": 15},
            layout=ipywidgets.Layout(width="50%", min_width="260px", height="380px"),
            animation_duration=0,
        )
        self.net_figure.add_class("somnium-monitor-net")
        self.slot = ipywidgets.Box(layout=ipywidgets.Layout(width="50%", min_width="260px"))
        self.slot.children = [ipywidgets.HTML("<em>The map appears after the first epoch.</em>")]
        self.widget = ipywidgets.HBox([self.slot, self.net_figure], layout=ipywidgets.Layout(width="100%"))

    def set_data(self, X) -> None:
        self.sample, self.basis = self.sample_rows(X), None

    @staticmethod
    def sample_rows(X):
        # Never len() or index Dask rows here: that would read (or pull) every partition.
        return sample_rows(X, MAX_SAMPLE_ROWS)

    # ------------------------------------------------------------ the owner thread
    def capture_owner(self) -> None:
        self.owner_thread = threading.get_ident()
        try:
            self.owner_loop = asyncio.get_running_loop()
        except RuntimeError:
            self.owner_loop = None

    def call_in_owner(self, function) -> None:
        """Run ``function`` in the thread that owns the widgets (widgets are created there)."""
        loop = self.owner_loop
        if threading.get_ident() == self.owner_thread or loop is None or loop.is_closed():
            function()
        elif loop.is_running():
            loop.call_soon_threadsafe(function)
        else:
            function()

    # ------------------------------------------------------------ drawing
    def live_layer(self):
        """The live map's values and label, from the last committed epoch."""
        model = self.model
        if self.map_layer == "hits" and self.sample is not None:
            hits = np.bincount(model.predict(self.sample), minlength=model.lattice_.n_nodes)
            return np.where(hits > 0, hits, np.nan).astype(np.float64), "Hits (data sample)"
        if self.map_layer == "hits":
            return model.umatrix(), "U-matrix (hits need data=)"
        if self.map_layer != "umatrix":
            return model.codebook_[:, model.feature_names().index(self.map_layer)], self.map_layer
        return model.umatrix(), "U-matrix"

    def _new_view(self, suffix: str):
        from .map_view import MapView

        values, label = self.live_layer()
        view = MapView(self.model)
        view.add_layer("live", values, label=label + suffix)
        view.color = "live"
        return view

    def create(self) -> None:
        """Embed a MapView (owner thread only) once the model has an epoch."""
        if self.view is not None or not self.model.is_fitted or self.map_layer is None:
            return
        try:
            view = self._new_view(" (live)")
        except ModelNotTrainedError:
            return
        with self._lock:
            self.view = view
            self.slot.children = [view]

    def refresh(self) -> None:
        """After training (owner thread): a fresh MapView of the final model, its built-in layers current."""
        if not self.model.is_fitted or self.map_layer is None:
            return
        try:
            view = self._new_view("")
        except (ModelNotTrainedError, ValueError, traitlets.TraitError):
            return
        with self._lock:
            old, self.view = self.view, view
            self.slot.children = [view]
        if old is not None:
            old.close()

    def draw(self, create: bool = True) -> None:
        """The live map and the net in data space. ``create=False``: redraw a live map that exists, but
        build none (a fresh view of the final model follows, see :meth:`refresh`)."""
        if not self.model.is_fitted or self.map_layer is None:
            return
        if self.view is not None:
            values, label = self.live_layer()
            self.view.add_layer("live", values, label=f"{label} (live)")
        elif create:
            self.call_in_owner(self.create)
        self._draw_net()

    def _draw_net(self):
        model = self.model
        # The space the map sees: columns scaled by the square root of their weight (a weight-0 column
        # decides no BMU, so it must not set the axes either).
        weights = plane_feature_weights(model)
        scale = 1.0 if weights is None else np.sqrt(weights)
        codebook = model.normalized_codebook_ * scale
        if self.basis is None:
            sample = model.normalize(self.sample) * scale if self.sample is not None else codebook
            # Rows with missing cells: a pairwise-complete covariance, and each row drawn by its
            # observed cells (a missing one at the centre, the projection of what is known).
            gaps = has_missing(sample)
            center, _, axes = principal_axes(sample, 2, missing=gaps)
            if gaps:
                sample = np.where(np.isnan(sample), center, sample)
            self.basis = (center, axes if axes.shape[1] == 2 else np.eye(codebook.shape[1], 2))
            self.edges = model.lattice_.edges
            if self.sample is not None:
                projected = (sample - center) @ self.basis[1]
                low, high = projected.min(axis=0), projected.max(axis=0)
                pad = 0.08 * (high - low)
                for scale, axis in (
                    (self.pc_x, 0),
                    (self.pc_y, 1),
                ):  # the frame first: one redraw of the points
                    with scale.hold_sync():
                        scale.min, scale.max = float(low[axis] - pad[axis]), float(high[axis] + pad[axis])
                drawn = projected[:: -(-len(projected) // MAX_DRAWN_POINTS)]
                with self.sample_mark.hold_sync():
                    self.sample_mark.x, self.sample_mark.y = (_dots(drawn[:, axis]) for axis in (0, 1))
        center, basis = self.basis
        nodes = (codebook - center) @ basis
        a, b = self.edges
        gap = np.full(a.size, np.nan)
        with self.net_mark.hold_sync():  # no gap after the last segment: bqplot places a label at the end
            self.net_mark.x = np.column_stack([nodes[a, 0], nodes[b, 0], gap]).ravel()[:-1]
            self.net_mark.y = np.column_stack([nodes[a, 1], nodes[b, 1], gap]).ravel()[:-1]


def _dots(values: np.ndarray) -> np.ndarray:
    """Each value twice, with gaps between: one zero-length segment per point (none after the last:
    bqplot places a label at a line's last point, and a gap there is an error in the browser)."""
    return np.column_stack([values, values, np.full(values.size, np.nan)]).ravel()[:-1]
