"""Static matplotlib figures for reading a fitted Self-Organising Map.

Every map plot draws its per-node values with one helper, :func:`_draw_nodes`,
which places the cells at the model's own lattice polygons
(:meth:`somnium.lattice.Lattice.cell_vertices`) in a single
:class:`~matplotlib.collections.PolyCollection`.  So node 0 sits top-left in
every figure (row 0 is drawn at the top), hexagons tile without gaps, and a
100 x 100 map renders quickly.  Toroidal and cylindrical maps are drawn flat,
with their wrapping borders marked by dashed lines.

Empty nodes ("no data") are drawn in a neutral grey, distinct from every
colour of the default perceptually uniform colour maps.

Every function returns the :class:`matplotlib.figure.Figure` and never calls
``plt.show()``.  In a notebook, end the line with ``;`` to avoid showing the
figure twice.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib import pyplot as plt
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.colors import Colormap, ListedColormap, Normalize, to_rgba
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.textpath import TextPath
from matplotlib.transforms import Bbox, TransformedPatchPath

from . import metrics
from ._validation import check_option, require_fitted

__all__ = [
    "plot_bmus",
    "plot_components",
    "plot_history",
    "plot_label_map",
    "plot_neuron_indices",
    "plot_quality_map",
    "plot_umatrix",
]

#: Colour of nodes without data (NaN values).
NO_DATA_COLOR = "#d4d4d4"
#: Dashed lines marking a border whose cells are neighbours of the opposite border.
COLUMN_WRAP_COLOR = "#e41a1c"
ROW_WRAP_COLOR = "#377eb8"
DEFAULT_COLORMAP = "viridis"

_PANEL_WIDTH = 3.4  # inches per map panel when no figure_width is given
_TITLE_HEIGHT = 0.45  # inches reserved above a panel for its title
_MARGIN = 0.04  # lattice units of blank space around a drawn map


# --------------------------------------------------------------------------- drawing on a lattice
def _fitted_lattice(model, plot_name: str):
    """The model's lattice; raises before any figure is created when the model is not fitted."""
    require_fitted(model, f"{plot_name}()")
    return model.lattice_


def _colormap(colormap, default=DEFAULT_COLORMAP) -> Colormap:
    """The requested colour map (name or object) with NaN drawn as :data:`NO_DATA_COLOR`."""
    if colormap is None:
        colormap = default
    base = colormaps[colormap] if isinstance(colormap, str) else colormap
    return base.with_extremes(bad=NO_DATA_COLOR)


def _value_norm(values, vmin=None, vmax=None) -> Normalize:
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if vmin is None:
        vmin = float(finite.min()) if finite.size else 0.0
    if vmax is None:
        vmax = float(finite.max()) if finite.size else 1.0
    return Normalize(vmin=vmin, vmax=vmax)


def _draw_nodes(ax, lattice, values, colormap=None, norm=None, scale=None, **collection_kwargs):
    """Draw one value per node as coloured cells of ``lattice`` on ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    lattice : somnium.lattice.Lattice
    values : array-like, shape (n_nodes,)
        NaN values are drawn in :data:`NO_DATA_COLOR`.
    colormap : str or Colormap, optional
    norm : matplotlib.colors.Normalize, optional
        Defaults to the finite range of ``values``.
    scale : array-like, shape (n_nodes,), optional
        Shrink factor of each cell about its centre (1 = full cell).
    **collection_kwargs
        Passed to :class:`~matplotlib.collections.PolyCollection`.

    Returns
    -------
    matplotlib.collections.PolyCollection
        One polygon per node, in node order.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (lattice.n_nodes,):
        raise ValueError(
            f"Expected one value per node ({lattice.n_nodes}), got an array of shape {values.shape}."
        )
    vertices = lattice.cell_vertices()
    if scale is not None:
        centres = lattice.coordinates[:, None, :]
        vertices = centres + np.asarray(scale, dtype=np.float64)[:, None, None] * (vertices - centres)
    # Edges painted in the face colour hide the hairline seams antialiasing leaves between cells.
    collection_kwargs.setdefault("edgecolors", "face")
    collection_kwargs.setdefault("linewidths", 0.25)
    collection = PolyCollection(
        vertices,
        array=np.ma.masked_invalid(values),
        cmap=_colormap(colormap),
        norm=norm if norm is not None else _value_norm(values),
        **collection_kwargs,
    )
    ax.add_collection(collection)
    _frame_map(ax, lattice)
    return collection


def _frame_map(ax, lattice) -> None:
    """Equal aspect, row 0 at the top, no ticks, and the wrapping borders marked."""
    xmin, xmax, ymin, ymax = lattice.extent()
    ax.set_xlim(xmin - _MARGIN, xmax + _MARGIN)
    ax.set_ylim(ymax + _MARGIN, ymin - _MARGIN)  # inverted: row 0 on top
    ax.set_aspect("equal")
    ax.set_axis_off()
    if not getattr(ax, "_somnium_wraps_marked", False):
        _mark_wrap_edges(ax, lattice)
        ax._somnium_wraps_marked = True


@lru_cache(maxsize=8)
def _wrap_edges(lattice) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges on the borders that wrap around, as line segments.

    An edge is a wrap edge when the cell across it is a lattice neighbour
    reached through the seam (its minimum-image displacement differs from the
    flat one).  On an odd-row hexagonal torus the node across the row seam
    is straight above or below, facing a corner: the two edges beside that
    corner mark it.

    Parameters
    ----------
    lattice : somnium.lattice.Lattice

    Returns
    -------
    column_seam, row_seam : ndarray, shape (n_segments, 2, 2)
        Segments on the left/right borders (columns wrap) and on the top/bottom
        borders (rows wrap).  Empty on flat maps.
    """
    vertices = lattice.cell_vertices()
    if not (lattice.wraps_x or lattice.wraps_y):
        empty = np.empty((0, 2, 2))
        return empty, empty
    tolerance = 1e-6
    centres = lattice.coordinates
    starts, ends = vertices, np.roll(vertices, -1, axis=1)
    # Mirroring the centre across an edge gives the centre of the cell beyond it.
    across = (starts + ends) - 2.0 * centres[:, None, :]  # (n_nodes, k, 2)

    table = lattice.neighbors
    valid = table >= 0
    neighbour = np.where(valid, table, 0)
    nodes = np.arange(lattice.n_nodes)[:, None]
    wrapped_dx, wrapped_dy = lattice.displacement(neighbour, nodes)  # (n_nodes, degree)
    flat = centres[neighbour] - centres[nodes]

    match = (
        valid[:, None, :]
        & (np.abs(wrapped_dx[:, None, :] - across[..., 0:1]) < tolerance)
        & (np.abs(wrapped_dy[:, None, :] - across[..., 1:2]) < tolerance)
    )
    faced = valid & ~match.any(axis=1)  # neighbours no edge faces exactly
    if faced.any():
        normal = across / np.linalg.norm(across, axis=-1, keepdims=True)
        length = np.maximum(np.hypot(wrapped_dx, wrapped_dy), tolerance)
        cosine = (
            normal[..., 0:1] * (wrapped_dx / length)[:, None, :]
            + normal[..., 1:2] * (wrapped_dy / length)[:, None, :]
        )
        match |= faced[:, None, :] & (cosine > np.cos(np.deg2rad(30.0)) - tolerance)
    through_rows = np.abs(flat[..., 1] - wrapped_dy) > tolerance
    through_cols = (np.abs(flat[..., 0] - wrapped_dx) > tolerance) & ~through_rows
    row_edges = (match & through_rows[:, None, :]).any(axis=2)
    col_edges = (match & through_cols[:, None, :]).any(axis=2)
    segments = np.stack([starts, ends], axis=2)  # (n_nodes, k, 2, 2)
    return segments[col_edges], segments[row_edges]


def _mark_wrap_edges(ax, lattice) -> None:
    column_seam, row_seam = _wrap_edges(lattice)
    for segments, colour, label in (
        (column_seam, COLUMN_WRAP_COLOR, "left/right borders wrap"),
        (row_seam, ROW_WRAP_COLOR, "top/bottom borders wrap"),
    ):
        if len(segments):
            lines = LineCollection(
                segments, colors=colour, linewidths=1.6, linestyles=(0, (3, 2)), label=label, zorder=3
            )
            lines.set_gid("somnium-wrap-edges")
            ax.add_collection(lines)


def _legend_handles(lattice, show_no_data: bool) -> list:
    handles = []
    if lattice.wraps_x:
        handles.append(
            Line2D([], [], color=COLUMN_WRAP_COLOR, ls="--", lw=1.6, label="left/right borders wrap")
        )
    if lattice.wraps_y:
        handles.append(Line2D([], [], color=ROW_WRAP_COLOR, ls="--", lw=1.6, label="top/bottom borders wrap"))
    if show_no_data:
        handles.append(Patch(facecolor=NO_DATA_COLOR, edgecolor="none", label="no data"))
    return handles


def _add_legend(fig, ax, lattice, show_no_data: bool = False) -> None:
    """Explain the wrap marks and the "no data" colour below the map (or the figure)."""
    handles = _legend_handles(lattice, show_no_data)
    if not handles:
        return
    options = dict(handles=handles, ncol=len(handles), frameon=False, fontsize="small", handlelength=2.2)
    if ax is None:
        fig.legend(loc="outside lower center", **options)
    else:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), **options)


def _colorbar(fig, collection, ax, label=None):
    colorbar = fig.colorbar(collection, ax=ax, fraction=0.05, pad=0.03, shrink=0.9)
    if label:
        colorbar.set_label(label)
    return colorbar


# --------------------------------------------------------------------------- figure layout
def _map_aspect(lattice) -> float:
    xmin, xmax, ymin, ymax = lattice.extent()
    return (ymax - ymin + 2 * _MARGIN) / (xmax - xmin + 2 * _MARGIN)


def _grid_shape(n_panels: int, max_columns: int) -> tuple[int, int]:
    """Fewest rows with at most ``max_columns`` columns, then the columns balanced over those rows."""
    max_columns = max(1, int(max_columns))
    n_rows = math.ceil(n_panels / max_columns)
    return n_rows, math.ceil(n_panels / n_rows)


def _panel_figure(lattice, n_panels, max_columns, figure_width, fig=None, extra_height=0.0):
    """A constrained-layout figure with a grid of equal map panels (unused cells removed)."""
    n_rows, n_cols = _grid_shape(n_panels, max_columns)
    if fig is None:
        width = figure_width if figure_width is not None else _PANEL_WIDTH * n_cols + 0.4
        map_width = 0.78 * width / n_cols  # the rest holds the colour bar and padding
        height = n_rows * (map_width * _map_aspect(lattice) + _TITLE_HEIGHT) + extra_height + 0.3
        fig = plt.figure(figsize=(width, height), layout="constrained")
    elif fig.get_layout_engine() is None:
        fig.set_layout_engine("constrained")  # keeps the colour bars off the neighbouring panels
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for unused in axes[n_panels:]:
        unused.remove()
    return fig, list(axes[:n_panels])


def _single_map_axes(lattice, ax, figure_width, colorbar=True):
    """The figure and axes of a one-map plot (creating them unless ``ax`` is given)."""
    if ax is not None:
        return ax.figure, ax
    width = figure_width if figure_width is not None else 6.0
    map_width = width * (0.8 if colorbar else 0.95)
    height = map_width * _map_aspect(lattice) + 0.9
    if lattice.wraps_x:
        height += 0.3
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


# --------------------------------------------------------------------------- public plots
def plot_components(model, names=None, colormap=None, max_subplot_columns=5, figure_width=None, *, fig=None):
    """Component planes: one map per feature, in the input's units.

    Parameters
    ----------
    model : SOM
        A fitted model.
    names : list of str, optional
        One title per feature; defaults to ``model.feature_names()`` (the
        DataFrame's column names, or ``x0``, ``x1``, ...).
    colormap : str or Colormap, default "viridis"
    max_subplot_columns : int, default 5
        Maximum panels per row; the panels are spread evenly over the rows.
    figure_width : float, optional
        Figure width in inches (default about 3.4 per column).
    fig : matplotlib.figure.Figure, optional
        Draw into this (empty) figure instead of a new one (given constrained
        layout if it has no layout engine).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per feature, each with one cell collection and a colour bar.

    Raises
    ------
    ModelNotTrainedError
        If the model is not fitted.
    ValueError
        If ``names`` does not have one entry per feature.
    """
    lattice = _fitted_lattice(model, "plot_components")
    codebook = np.asarray(model.codebook_, dtype=np.float64)
    names = list(model.feature_names() if names is None else names)
    if len(names) != codebook.shape[1]:
        raise ValueError(
            f"Got {len(names)} names for {codebook.shape[1]} features; pass one name per feature."
        )
    fig, axes = _panel_figure(lattice, len(names), max_subplot_columns, figure_width, fig=fig)
    for feature, (ax, name) in enumerate(zip(axes, names)):
        collection = _draw_nodes(ax, lattice, codebook[:, feature], colormap=colormap)
        ax.set_title(str(name))
        _colorbar(fig, collection, ax)
    _add_legend(fig, None, lattice)
    return fig


def plot_umatrix(model, colormap=None, figure_width=None, *, ax=None):
    """U-matrix: each node's mean distance to its lattice neighbours' prototypes.

    Distances are taken in the model's normalised space; neighbours across a
    wrapping border count on toroidal and cylindrical maps.  Bright ridges
    separate clusters, dark valleys are cluster cores.

    Parameters
    ----------
    model : SOM
        A fitted model.
    colormap : str or Colormap, default "viridis"
    figure_width : float, optional
        Figure width in inches (ignored when ``ax`` is given).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelNotTrainedError
        If the model is not fitted.
    """
    lattice = _fitted_lattice(model, "plot_umatrix")
    values = np.asarray(model.umatrix(), dtype=np.float64)
    fig, ax = _single_map_axes(lattice, ax, figure_width)
    collection = _draw_nodes(ax, lattice, values, colormap=colormap)
    ax.set_title("U-matrix")
    _colorbar(fig, collection, ax, "mean distance to neighbours")
    _add_legend(fig, ax, lattice)
    return fig


def plot_bmus(model, figure_width=None, *, X=None, mode="size", colormap=None, annotate=False, ax=None):
    """Hit map: how many rows each node is the best matching unit of.

    With ``mode="size"`` (the default) each cell's *area* is proportional to
    its hits (the fullest node fills its cell) and its colour repeats the
    count; every cell is outlined, so empty nodes show as empty outlines.
    With ``mode="color"`` every cell is full size and its colour is the
    count; empty nodes are drawn in the "no data" grey.

    Parameters
    ----------
    model : SOM
        A fitted model.
    X : array-like or DataFrame, optional
        Rows to map; defaults to the training data.
    mode : {"size", "color"}, default "size"
    colormap : str or Colormap, default "viridis"
    annotate : bool, default False
        Write the count in every non-empty cell (for small maps).
    figure_width : float, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_option(mode, ("size", "color"), "mode")
    lattice = _fitted_lattice(model, "plot_bmus")
    hits = np.asarray(model.node_hits(X), dtype=np.float64)
    fig, ax = _single_map_axes(lattice, ax, figure_width)
    norm = Normalize(vmin=0.0, vmax=max(hits.max(), 1.0))
    if mode == "size":
        outlines = PolyCollection(
            lattice.cell_vertices(), facecolors="none", edgecolors="#b8b8b8", linewidths=0.5
        )
        ax.add_collection(outlines)
        scale = np.sqrt(hits / norm.vmax)
        collection = _draw_nodes(ax, lattice, hits, colormap=colormap, norm=norm, scale=scale)
    else:
        shown = np.where(hits > 0, hits, np.nan)
        collection = _draw_nodes(ax, lattice, shown, colormap=colormap, norm=norm)
    if annotate:
        filled = hits > 0
        if mode == "color":
            _label_cells(ax, lattice, hits, where=filled, colors=_readable_text_colors(collection)[filled])
        else:
            labels = _label_cells(ax, lattice, hits, where=filled)
            labels.set_path_effects([patheffects.withStroke(linewidth=1.5, foreground="white")])
    total = int(hits.sum())
    empty = int((hits == 0).sum())
    ax.set_title(f"Hits per node ({total} rows, {empty} of {lattice.n_nodes} nodes empty)")
    _colorbar(fig, collection, ax, "hits")
    _add_legend(fig, ax, lattice, show_no_data=(mode == "color" and empty > 0))
    return fig


def plot_quality_map(model, colormap=None, figure_width=None, *, X=None, ax=None):
    """Quality map: per-node mean quantization error of the rows mapped to it.

    Nodes without rows are drawn as "no data" (grey), not as zero error.

    Parameters
    ----------
    model : SOM
        A fitted model.
    X : array-like or DataFrame, optional
        Rows to evaluate; defaults to the training data.
    colormap : str or Colormap, default "magma"
        Brighter is worse.
    figure_width : float, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelNotTrainedError
        If the model is not fitted.
    """
    lattice = _fitted_lattice(model, "plot_quality_map")
    errors = np.asarray(model.node_quantization_error(X), dtype=np.float64)
    fig, ax = _single_map_axes(lattice, ax, figure_width)
    collection = _draw_nodes(ax, lattice, errors, colormap=_colormap(colormap, default="magma"))
    ax.set_title("Quantization error per node")
    _colorbar(fig, collection, ax, "mean quantization error")
    _add_legend(fig, ax, lattice, show_no_data=bool(np.isnan(errors).any()))
    return fig


def plot_label_map(
    model, labels, colormap=None, max_subplot_columns=5, figure_width=None, *, X=None, fig=None
):
    """Label map: the share of each class among the rows mapped to each node.

    One panel per class (sorted), all on the same 0-1 scale with one shared
    colour bar; empty nodes are drawn as "no data".  Labels are only used for
    this picture, never in training.

    Parameters
    ----------
    model : SOM
        A fitted model.
    labels : array-like, shape (n_rows,)
        One label per training row (or per row of ``X``).
    X : array-like or DataFrame, optional
        Rows the labels belong to; defaults to the training data.
    colormap : str or Colormap, default "viridis"
    max_subplot_columns : int, default 5
    figure_width : float, optional
    fig : matplotlib.figure.Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelNotTrainedError
        If the model is not fitted.
    """
    lattice = _fitted_lattice(model, "plot_label_map")
    bmu = model.bmu_ if X is None else model.predict(X)
    labels = np.asarray(labels).ravel()
    classes, shares = metrics.label_shares(bmu, labels, lattice.n_nodes)
    counts = np.unique(labels, return_counts=True)[1]
    fig, axes = _panel_figure(lattice, len(classes), max_subplot_columns, figure_width, fig=fig)
    norm = Normalize(vmin=0.0, vmax=1.0)
    collection = None
    for ax, name, share, count in zip(axes, classes, shares, counts):
        collection = _draw_nodes(ax, lattice, share, colormap=colormap, norm=norm)
        ax.set_title(f"{name} ({count} rows)")
    if collection is not None:
        _colorbar(fig, collection, axes, "share of the node's rows")
    _add_legend(fig, None, lattice, show_no_data=bool(np.isnan(shares).any()))
    return fig


@lru_cache(maxsize=1)
def _digit_glyphs():
    """Outline, advance width and cap height of the digits 0-9, for a font size of 1."""
    zero = TextPath((0, 0), "0", size=1.0)
    zero_right = zero.vertices[:, 0].max()
    glyphs = {}
    for digit in "0123456789":
        # Drawing "d0" puts the 0 one advance of d to the right.
        advance = TextPath((0, 0), digit + "0", size=1.0).vertices[:, 0].max() - zero_right
        glyphs[digit] = (TextPath((0, 0), digit, size=1.0), advance)
    return glyphs, float(zero.vertices[:, 1].max())


def _number_outlines(texts) -> tuple[list, float]:
    """Each string of digits as a filled outline centred on the origin, y up, and the font size used.

    The font size (in lattice units) is the one that fits the widest number in a cell.
    """
    glyphs, cap_height = _digit_glyphs()
    widths = [sum(glyphs[d][1] for d in text) for text in texts]
    size = min(0.26 / cap_height, 0.72 / max(widths, default=1.0))
    outlines = []
    for text, width in zip(texts, widths):
        vertices, codes, x = [], [], -width / 2
        for digit in text:
            outline, advance = glyphs[digit]
            vertices.append(outline.vertices + (x, -cap_height / 2))
            codes.append(outline.codes)
            x += advance
        outlines.append(Path(size * np.concatenate(vertices), np.concatenate(codes)))
    return outlines, size


def _number_paths(lattice, numbers, nodes) -> list:
    """Each number as a filled outline centred on its node's cell, sized in lattice units.

    Outlines scale with the map (they always fit their cell, at any figure
    size) and draw as one collection, which keeps a 100 x 100 map fast.
    """
    outlines, _ = _number_outlines([str(int(numbers[node])) for node in nodes])
    # The y axis points down (row 0 on top), so the glyphs are flipped upright.
    return [
        Path(lattice.coordinates[node] + outline.vertices * (1.0, -1.0), outline.codes)
        for node, outline in zip(nodes, outlines)
    ]


def _label_cells(ax, lattice, numbers, where=None, colors="black"):
    """Write ``numbers[i]`` in cell ``i`` (for every ``i`` in ``where``); returns the collection."""
    nodes = np.flatnonzero(np.ones(lattice.n_nodes, dtype=bool) if where is None else where)
    labels = PathCollection(_number_paths(lattice, numbers, nodes), facecolors=colors, edgecolors="none")
    labels.set_transform(ax.transData)
    ax.add_collection(labels, autolim=False)
    return labels


class _CellNumber(Text):
    """A cell's number: a :class:`~matplotlib.text.Text` artist drawn from cached digit outlines.

    One per cell, so ``ax.texts`` lists them as ``ax.text`` would (the original's
    ``plot_neuron_indices`` draws text).  Rendering 10,000 texts one by one takes
    several times longer than filling their outlines in one path collection,
    so the numbers of one map are drawn together by their :class:`_CellNumbers`,
    which reads every label's position, colour, alpha, visibility and font size
    when it draws.  The outline is sized in lattice units, so it fits its cell at
    any figure size.  A change the outline cannot follow (the text, rotation,
    alignment or font) hands that label to matplotlib's own text rendering.
    """

    def __init__(self, x, y, text, outline, fontproperties):
        # Text's own parameters, not aliases (ha=, fontsize=): those go through a much slower path.
        super().__init__(
            x,
            y,
            text,
            fontproperties=fontproperties,
            horizontalalignment="center",
            verticalalignment="center",
            parse_math=False,
        )
        self._outline = outline  # centred on the origin, y up, in lattice units at the font size
        self._outline_fontsize = fontproperties.get_size_in_points()
        self._outline_style = self._style()
        self._batch = None
        self._placed = (None, None)

    def _style(self) -> tuple:
        font = self._fontproperties
        return (
            self._text,
            self._rotation,
            self._horizontalalignment,
            self._verticalalignment,
            tuple(font.get_family()),
            font.get_style(),
            font.get_weight(),
        )

    def _uses_outline(self) -> bool:
        return self.axes is not None and self._style() == self._outline_style

    def _data_path(self, flips) -> Path:
        """The outline placed at the label's position in data units, upright on screen."""
        key = (self.get_position(), self.get_fontsize(), flips)
        if self._placed[0] != key:
            scale = self.get_fontsize() / self._outline_fontsize * np.asarray(flips)
            vertices = self._outline.vertices * scale + np.asarray(self.get_position(), dtype=np.float64)
            self._placed = (key, Path(vertices, self._outline.codes))
        return self._placed[1]

    def get_window_extent(self, renderer=None, dpi=None):
        if dpi is not None or not self._uses_outline():
            return super().get_window_extent(renderer, dpi)
        corners = self._data_path(_axis_flips(self.axes)).get_extents().corners()
        display = self.axes.transData.transform(corners)
        return Bbox([display.min(axis=0), display.max(axis=0)])

    def draw(self, renderer):
        if not self._uses_outline():
            return super().draw(renderer)
        batch = self._batch
        if batch is None or batch.axes is not self.axes:
            batch = _CellNumbers([self])
            batch.axes, batch.figure = self.axes, self.figure
            batch.draw(renderer)
        # otherwise its _CellNumbers draws it with the other labels
        self.stale = False


def _axis_flips(ax) -> tuple[float, float]:
    return (-1.0 if ax.xaxis_inverted() else 1.0, -1.0 if ax.yaxis_inverted() else 1.0)


class _CellNumbers(Artist):
    """Draws the outlines of its :class:`_CellNumber` labels in one path collection."""

    def __init__(self, labels):
        super().__init__()
        self.labels = labels
        self.set_zorder(Text.zorder)

    def draw(self, renderer):
        if not self.get_visible():
            return
        flips = _axis_flips(self.axes)
        paths, colors = [], []
        for label in self.labels:
            if label.axes is self.axes and label.get_visible() and label._uses_outline():
                paths.append(label._data_path(flips))
                colors.append(to_rgba(label.get_color(), label.get_alpha()))
        if paths:
            collection = PathCollection(paths, facecolors=colors, edgecolors="none")
            collection.set_transform(self.axes.transData)
            collection.set_figure(self.figure)
            collection.set_clip_on(False)
            collection.draw(renderer)
        self.stale = False


def _write_cell_numbers(ax, lattice, numbers) -> list:
    """One :class:`_CellNumber` per node, in node order (``ax.texts``), drawn by one :class:`_CellNumbers`."""
    texts = [str(int(number)) for number in numbers]
    outlines, size = _number_outlines(texts)
    # The font size in points that matches the outline at the axes' current scale (used if a label
    # falls back to matplotlib's text rendering).
    (x0, _), (x1, _) = ax.transData.transform([(0.0, 0.0), (1.0, 0.0)])
    font = FontProperties(size=max(size * abs(x1 - x0) * 72.0 / ax.figure.dpi, 1.0))
    labels = []
    clip = TransformedPatchPath(ax.patch)  # one clip path for all (add_artist would make one each)
    for (x, y), text, outline in zip(lattice.coordinates.tolist(), texts, outlines):
        label = _CellNumber(x, y, text, outline, font)
        # The numbers sit inside the map: no clipping to the axes, and the layout need not measure them.
        label.set_clip_path(clip)
        label.set_clip_on(False)
        label.set_in_layout(False)
        ax.add_artist(label)
        labels.append(label)
    batch = _CellNumbers(labels)
    batch.set_clip_on(False)
    batch.set_in_layout(False)
    ax.add_artist(batch)
    for label in labels:
        label._batch = batch
    return labels


def _readable_text_colors(collection):
    """Black or white, whichever reads better on each cell's face colour."""
    faces = collection.to_rgba(collection.get_array())
    luminance = faces[:, :3] @ np.array([0.299, 0.587, 0.114])
    return np.where(luminance[:, None] > 0.5, [[0.0, 0.0, 0.0, 1.0]], [[1.0, 1.0, 1.0, 1.0]])


def plot_neuron_indices(model, figure_width=None, *, ax=None):
    """Neuron index map: each cell labelled with the index ``predict()`` returns.

    Indices are row-major: node ``i`` is in row ``i // cols`` and column
    ``i % cols``, with node 0 at the top left.  Each number is a text
    artist (``ax.texts[i]`` is node ``i``'s, as in the original Somnium),
    drawn from cached digit outlines so that a 100 x 100 map stays fast.

    Parameters
    ----------
    model : SOM
        A fitted model.
    figure_width : float, optional
        Figure width in inches; defaults to about 0.3 inch per column (at
        least 6), so the numbers, which always fit their cell, stay legible.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelNotTrainedError
        If the model is not fitted.
    """
    lattice = _fitted_lattice(model, "plot_neuron_indices")
    if figure_width is None:
        figure_width = float(np.clip(0.3 * lattice.cols + 1.0, 6.0, 40.0))
    fig, ax = _single_map_axes(lattice, ax, figure_width, colorbar=False)
    # Faintly alternating row shades make the row-major numbering easy to follow.
    shade = (lattice.row_index % 2).astype(np.float64)
    _draw_nodes(
        ax,
        lattice,
        shade,
        colormap=ListedColormap(["#f4f4f4", "#e0e0e0"]),
        norm=Normalize(0.0, 1.0),
        edgecolors="white",
        linewidths=0.6,
    )
    _write_cell_numbers(ax, lattice, np.arange(lattice.n_nodes))
    ax.set_title(f"Neuron indices ({lattice.rows} rows x {lattice.cols} columns, row-major)")
    _add_legend(fig, ax, lattice)
    return fig


_HISTORY_CURVES = tuple((key, metrics.METRIC_LABELS[key].lower()) for key in metrics.HISTORY_METRICS[:3])


def plot_history(model, figure_width=None, *, fig=None):
    """Training curves: quantization error, topographic error and vacancy rate per epoch.

    Epochs are numbered across all fit calls; each training phase (e.g.
    ``batch-1``, ``online-1``) is shaded and named at the top.  Epochs trained
    without ``collect_history`` have no metrics and leave gaps in the curves.

    Parameters
    ----------
    model : SOM
        A model fitted with ``collect_history=True``.
    fig : matplotlib.figure.Figure, optional
    figure_width : float, optional

    Returns
    -------
    matplotlib.figure.Figure
        Three axes sharing the epoch axis.

    Raises
    ------
    ModelNotTrainedError
        If the model is not fitted.
    ValueError
        If the model has no recorded training metrics.
    """
    _fitted_lattice(model, "plot_history")
    history = model.history_
    recorded = np.asarray(history.get("quantization_error", []) if history else [], dtype=np.float64)
    if not np.isfinite(recorded).any():
        raise ValueError("The model has no recorded training metrics; fit it with collect_history=True.")
    n_epochs = len(recorded)
    if fig is None:
        width = figure_width if figure_width is not None else 7.5
        fig = plt.figure(figsize=(width, 6.0), layout="constrained")
    axes = fig.subplots(len(_HISTORY_CURVES), 1, sharex=True)
    epochs = np.arange(1, n_epochs + 1)
    phases = list(history.get("phase", [""] * n_epochs))
    starts = [0] + [i for i in range(1, n_epochs) if phases[i] != phases[i - 1]]
    bounds = list(zip(starts, starts[1:] + [n_epochs]))
    for ax, (key, label) in zip(axes, _HISTORY_CURVES):
        ax.plot(epochs, history[key], marker="o", markersize=3, color="#2c7fb8")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        for number, (first, stop) in enumerate(bounds):
            if number % 2 == 1:
                ax.axvspan(first + 0.5, stop + 0.5, color="#000000", alpha=0.06, lw=0)
            if number > 0:
                ax.axvline(first + 0.5, color="#636363", ls="--", lw=1)
    for first, stop in bounds:
        axes[0].annotate(
            phases[first],
            xy=((first + stop + 1) / 2, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize="small",
        )
    axes[-1].set_xlabel("epoch")
    axes[-1].set_xlim(0.5, n_epochs + 0.5)
    axes[0].set_title("Training history", pad=16)
    return fig
