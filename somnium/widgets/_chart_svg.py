"""A bqplot figure's current picture, drawn by matplotlib from the figure's own numbers (SVG).

bqplot draws in the browser only (its ``get_svg`` needs a live front end), so a standalone page
(:mod:`somnium.widgets._export`) shows each chart as the picture this module draws from what the
figure holds right now: its marks' ``x``/``y``, colours, labels and styles, its axes' labels, tick
formats and scales' bounds, its title and layout size.  It reads bqplot's public traits only, so
it serves any figure (the segment profile's bars and whiskers, the training monitor's curves and
its map in data space).  Marks other than ``Bars``, ``Lines``, ``Scatter`` and ``Label`` are named
in the figure's note and left out.  Marks on scales other than the figure's axes' (a line drawn from
0 to 1 of the height, say) are drawn on an overlaid matplotlib axes of those scales.

Text is kept as SVG text (``svg.fonttype = "none"``), which matplotlib escapes; the page shows the
SVG through an ``<img>``, where an SVG never runs scripts.
"""

from __future__ import annotations

import io
import math
import re

import numpy as np

__all__ = ["draw_figure", "figure_svg"]

DPI = 96
DEFAULT_WIDTH_PX = 720
DEFAULT_HEIGHT_PX = 400
MIN_WIDTH_PX = 320
#: The page's width that a "100%" figure is drawn for.
PAGE_WIDTH_PX = 960

_LINE_STYLES = {"solid": "-", "dashed": "--", "dotted": ":", "dash_dotted": "-."}
_LEGEND_LOCATIONS = {
    "top-right": "upper right",
    "top": "upper center",
    "top-left": "upper left",
    "left": "center left",
    "right": "center right",
    "bottom-right": "lower right",
    "bottom": "lower center",
    "bottom-left": "lower left",
}
_STYLE = {
    "svg.fonttype": "none",  # text stays text (escaped by matplotlib), and the file stays small
    "svg.hashsalt": "somnium",  # the same figure gives the same file
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.titlesize": 10,
}
_D3_FORMAT = re.compile(r"^(?P<comma>,)?(?:\.(?P<precision>\d+))?~?(?P<kind>[a-z%])?$")


def _pixels(size, default: float, relative_to: float | None = None) -> float:
    """A CSS size of a widget's layout in pixels ("300px", "33%"), or ``default``."""
    text = str(size or "").strip()
    match = re.fullmatch(r"([0-9.]+)(px|%)", text)
    if match is None:
        return default
    value = float(match.group(1))
    if match.group(2) == "%":
        return value / 100 * relative_to if relative_to else default
    return value


def _tick_formatter(tick_format):
    """A matplotlib formatter for a d3 format string (the subset bqplot figures use), or None."""
    from matplotlib.ticker import FuncFormatter

    match = _D3_FORMAT.match(str(tick_format or ""))
    if not tick_format or match is None:
        return None
    precision = match.group("precision")
    kind = match.group("kind") or "g"
    comma = "," if match.group("comma") else ""

    def fmt(value, _position=None):
        if not math.isfinite(value):
            return ""
        if kind == "%":
            return f"{value * 100:{comma}.{int(precision or 0)}f}%"
        if kind == "d":
            return f"{value:{comma}.0f}" if abs(value - round(value)) < 1e-9 else ""
        if kind in "fe":
            return f"{value:{comma}.{int(precision or 6)}{kind}}"
        return f"{value:{comma}.{int(precision or 6)}g}"

    return FuncFormatter(fmt)


def _ordinal_positions(figure, scale) -> dict:
    """Position of each category of an ordinal scale: in order of first appearance in the marks."""
    positions: dict = {}
    for mark in figure.marks:
        for axis in ("x", "y"):
            if mark.scales.get(axis) is not scale:
                continue
            values = getattr(mark, axis)
            for value in np.asarray(values, dtype=object).ravel():
                positions.setdefault(value, len(positions))
    return positions


def _coordinates(values, scale, positions) -> np.ndarray:
    """Numbers to plot for a mark's x or y (categories of an ordinal scale by their position)."""
    array = np.asarray(values, dtype=object if _is_ordinal(scale) else np.float64)
    if _is_ordinal(scale):
        return np.vectorize(lambda v: positions.get(v, np.nan), otypes=[np.float64])(array)
    return array


def _is_ordinal(scale) -> bool:
    return type(scale).__name__ == "OrdinalScale"


def _color(colors, i, fallback="#1f77b4"):
    colors = list(colors or [])
    return css_color(colors[i % len(colors)], fallback) if colors else fallback


def css_color(value, fallback="#757575"):
    """A CSS colour as matplotlib takes it: ``var(--x, #hex)`` by its fallback, ``rgb[a](...)`` as a tuple."""
    from matplotlib.colors import is_color_like

    text = str(value).strip()
    var = re.fullmatch(r"var\(\s*--[\w-]+\s*,\s*(.+)\)", text)
    if var is not None:
        text = var.group(1).strip()
    rgb = re.fullmatch(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)", text)
    if rgb is not None:
        red, green, blue = (min(float(c), 255.0) / 255 for c in rgb.groups()[:3])
        return (red, green, blue, min(float(rgb.group(4) or 1), 1.0))
    return text if is_color_like(text) else fallback


def _opacity(opacities, i) -> float:
    opacities = list(opacities or [])
    return float(opacities[i % len(opacities)]) if opacities else 1.0


def _draw_bars(ax, mark, x, y, labels):
    if x.size == 0:
        return
    series = y.reshape(1, -1) if y.ndim == 1 else y
    n_series = series.shape[0]
    step = float(np.min(np.diff(np.unique(x)))) if np.unique(x).size > 1 else 1.0
    width = step * (1.0 - float(mark.padding))
    horizontal = mark.orientation == "horizontal"
    draw = ax.barh if horizontal else ax.bar
    bottom = np.zeros(series.shape[1])
    for i, values in enumerate(series):
        label = labels[i] if mark.display_legend and i < len(labels) else None
        color = _color(mark.colors, i)
        if mark.type == "grouped" and n_series > 1:
            offset = (i - (n_series - 1) / 2) * width / n_series
            draw(
                x + offset,
                values,
                width / n_series,
                color=color,
                alpha=_opacity(mark.opacities, i),
                label=label,
            )
        else:
            kwargs = {"left" if horizontal else "bottom": bottom.copy()}
            draw(x, values, width, color=color, alpha=_opacity(mark.opacities, i), label=label, **kwargs)
            bottom = bottom + np.nan_to_num(values)


def _draw_lines(ax, mark, x, y, labels):
    if x.size == 0 or y.size == 0:
        return
    ys = y.reshape(1, -1) if y.ndim == 1 else y
    xs = np.broadcast_to(x, ys.shape) if x.ndim == 1 else x
    style = _LINE_STYLES.get(mark.line_style, "-")
    width = float(mark.stroke_width) * 72 / DPI
    for i, (xi, yi) in enumerate(zip(xs, ys, strict=False)):
        label = labels[i] if mark.display_legend and i < len(labels) else None
        color, alpha = _color(mark.colors, i), _opacity(mark.opacities, i)
        ax.plot(xi, yi, style, color=color, linewidth=width, alpha=alpha, label=label)
        dots = _dots(np.asarray(xi, dtype=np.float64), np.asarray(yi, dtype=np.float64))
        if dots.any():  # points a line cannot show: bqplot's round caps draw them as dots
            ax.plot(xi[dots], yi[dots], "o", color=color, markersize=width, alpha=alpha, linestyle="none")


def _dots(x, y) -> np.ndarray:
    """Finite points with no segment of non-zero length to a finite neighbour."""
    finite = np.isfinite(x) & np.isfinite(y)
    dot = finite.copy()
    for step in (1, -1):
        neighbour = np.roll(finite, step)
        moved = (np.roll(x, step) != x) | (np.roll(y, step) != y)
        edge = np.zeros_like(finite)
        edge[0 if step == 1 else -1] = True  # np.roll wraps around: the ends have no neighbour there
        dot &= ~(neighbour & moved & ~edge)
    return dot


def _draw_label(ax, mark, x, y, labels):
    """bqplot's Label mark: texts at (x, y), rotated and aligned as bqplot draws them."""
    from matplotlib.transforms import offset_copy

    if x.size == 0:
        return
    rotation = -float(mark.rotate_angle or 0.0)  # bqplot turns clockwise, matplotlib the other way
    align = {"start": "left", "middle": "center", "end": "right"}.get(mark.align, "left")
    size = float(mark.default_size or 14) * 72 / DPI
    transform = offset_copy(
        ax.transData, fig=ax.figure, x=float(mark.x_offset or 0), y=-float(mark.y_offset or 0), units="dots"
    )
    for i, (xi, yi, text) in enumerate(zip(x.ravel(), y.ravel(), list(mark.text), strict=False)):
        ax.text(
            xi,
            yi,
            str(text),
            rotation=rotation,
            rotation_mode="anchor",
            ha=align,
            va="baseline",
            fontsize=size,
            color=_color(mark.colors, i, "#000000"),
            transform=transform,
        )


def _draw_scatter(ax, mark, x, y, labels):
    if x.size == 0:
        return
    label = labels[0] if mark.display_legend and labels else None
    area_points = float(mark.default_size) * (72 / DPI) ** 2  # bqplot's size is an area in px²
    ax.scatter(
        x.ravel(),
        y.ravel(),
        s=area_points,
        color=_color(mark.colors, 0),
        alpha=_opacity(mark.opacities, 0),
        linewidths=0,
        label=label,
    )


_DRAW = {"Bars": _draw_bars, "Label": _draw_label, "Lines": _draw_lines, "Scatter": _draw_scatter}


def _apply_scale(ax, scale, which) -> None:
    """A bqplot scale's kind and fixed bounds on one matplotlib axis (free bounds stay automatic)."""
    if scale is None or _is_ordinal(scale):
        return
    if type(scale).__name__ == "LogScale":
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    low, high = getattr(scale, "min", None), getattr(scale, "max", None)
    if low is not None or high is not None:
        (ax.set_xlim if which == "x" else ax.set_ylim)(low, high)


def _style_axis(ax, axis, which, ordinal_positions):
    """Label, ticks and grid of one bqplot Axis on matplotlib's x or y axis."""
    target = ax.xaxis if which == "x" else ax.yaxis
    if not axis.visible:
        target.set_visible(False)
        return
    if axis.label:
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(str(axis.label))
    if _is_ordinal(axis.scale):
        ticks = sorted(ordinal_positions, key=ordinal_positions.get)
        target.set_ticks(range(len(ticks)), [str(t) for t in ticks])
    else:
        formatter = _tick_formatter(axis.tick_format)
        if formatter is not None:
            target.set_major_formatter(formatter)
    if axis.tick_rotate:
        # bqplot rotates like SVG (clockwise for positive angles), matplotlib the other way
        ax.tick_params(axis=which, labelrotation=-float(axis.tick_rotate))
        for label in target.get_ticklabels():
            label.set_ha("left" if axis.tick_rotate > 0 else "right")
    if axis.grid_lines != "none":
        target.grid(True, color="#e0e0e0", linewidth=0.8)


def _side(axis) -> str:
    """Which matplotlib axis a bqplot Axis is: "x" (bottom or top) or "y"."""
    if axis.side is not None:
        return "x" if axis.side in ("bottom", "top") else "y"
    return "x" if axis.orientation == "horizontal" else "y"


def draw_figure(figure):
    """A matplotlib ``Figure`` of a bqplot ``Figure`` as it is now, and the names of marks left out."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    layout = figure.layout
    width = max(MIN_WIDTH_PX, _pixels(layout.width, DEFAULT_WIDTH_PX, PAGE_WIDTH_PX))
    height = _pixels(layout.height, DEFAULT_HEIGHT_PX)
    margin = {"top": 60, "bottom": 60, "left": 60, "right": 60, **dict(figure.fig_margin or {})}
    skipped = []
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasSVG(fig)
    left, right = margin["left"] / width, 1 - margin["right"] / width
    bottom, top = margin["bottom"] / height, 1 - margin["top"] / height
    ax = fig.add_axes((left, bottom, max(right - left, 0.1), max(top - bottom, 0.1)))
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)  # grid lines behind the marks, as bqplot draws them
    ordinal = {}
    for mark in figure.marks:
        for key in ("x", "y"):
            scale = mark.scales.get(key)
            if _is_ordinal(scale) and id(scale) not in ordinal:
                ordinal[id(scale)] = _ordinal_positions(figure, scale)
    # The figure's axes name the scales drawn with ticks; marks on other scales (a boundary drawn
    # from 0 to 1 of the height, say) get an overlaid matplotlib axes of their own, without ticks.
    sides = {"x": None, "y": None}
    for axis in figure.axes:
        sides[_side(axis)] = sides[_side(axis)] or axis.scale
    if sides["x"] is None or sides["y"] is None:
        first = next((mark.scales for mark in figure.marks if mark.scales), {})
        sides = {key: sides[key] or first.get(key) for key in sides}
    overlays = {}

    def axes_for(x_scale, y_scale):
        if x_scale is sides["x"] and y_scale is sides["y"]:
            return ax
        key = (id(x_scale), id(y_scale))
        if key not in overlays:
            overlay = fig.add_axes(
                ax.get_position(),
                sharex=ax if x_scale is sides["x"] else None,
                sharey=ax if y_scale is sides["y"] else None,
                facecolor="none",
            )
            overlay.set_axis_off()
            if x_scale is not sides["x"]:
                _apply_scale(overlay, x_scale, "x")
            if y_scale is not sides["y"]:
                _apply_scale(overlay, y_scale, "y")
            overlays[key] = overlay
        return overlays[key]

    for mark in figure.marks:
        draw = _DRAW.get(type(mark).__name__)
        if draw is None:
            skipped.append(type(mark).__name__)
            continue
        if not mark.visible:
            continue
        x_scale, y_scale = mark.scales.get("x"), mark.scales.get("y")
        x = _coordinates(mark.x, x_scale, ordinal.get(id(x_scale), {}))
        y = _coordinates(mark.y, y_scale, ordinal.get(id(y_scale), {}))
        draw(axes_for(x_scale, y_scale), mark, x, y, [str(label) for label in (mark.labels or [])])
    _apply_scale(ax, sides["x"], "x")
    _apply_scale(ax, sides["y"], "y")
    for axis in figure.axes:
        _style_axis(ax, axis, _side(axis), ordinal.get(id(axis.scale), {}))
    if figure.title:
        ax.set_title(str(figure.title), loc="center", wrap=True)
    handles, labels = [], []
    for target in (ax, *overlays.values()):
        more_handles, more_labels = target.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    if labels:
        location = _LEGEND_LOCATIONS.get(figure.legend_location, "best")
        ax.legend(handles, labels, loc=location, frameon=False, fontsize=8)
    return fig, sorted(set(skipped))


def figure_svg(figure) -> tuple[str, str]:
    """Draw a bqplot ``Figure`` as it is now; returns ``(svg_text, note)``.

    ``note`` names the marks that could not be drawn (empty when every mark was).
    """
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        fig, skipped = draw_figure(figure)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    note = f"(not drawn: {', '.join(skipped)})" if skipped else ""
    return buffer.getvalue(), note
