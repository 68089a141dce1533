"""SegmentProfile: how the rows of a node set differ from all rows (bqplot).

Everything a profile needs is summed per node once, at construction: row counts, means and squared
deviations of every numeric column (NaN-aware; exact spreads at large offsets) and counts of every
category (:mod:`somnium._summaries`), by the rows themselves (:meth:`Rows.node_sums <somnium._rows.Rows.node_sums>`: in memory, or Dask
reductions).  A profile of any node set (the shared selection, or a segment's nodes) then adds up
those per-node rows: it costs time proportional to the selected nodes, not to the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import bqplot
import ipywidgets
import numpy as np

from .._summaries import NodeSums, SumPlan, split_columns
from .._validation import check_int, check_nodes
from ..metrics import node_mean
from ..segments import check_segments
from ._hosts import marimo_notice
from ._rows import Rows, rows_for
from ._traits import NodeSelection
from .selection import check_selection, link_shortcut

__all__ = ["NodeSummaries", "SegmentProfile"]

#: Bar colours that read on JupyterLab's light and dark themes (bqplot's own axes and text follow
#: the theme through its --bq-* variables).
SELECTION_COLOUR = "#1e88e5"
REST_COLOUR = "#9e9e9e"
#: Categories shown per categorical column by default
MAX_CATEGORIES = 5
#: Tick labels of the bar charts: rotated, and anchored at their end so that the end of a long label
#: (the category, in "column: category") sits at its bar and the text runs down and away from the
#: plot (centred labels turned by 30 degrees ran their ends up behind the plot: "cultivar: class_").
TICK_ROTATION = -30
TICK_STYLE = {"text-anchor": "end"}
#: Rough width of a tick label's character (bqplot's axis text), to leave room under the bars
TICK_CHAR_PX = 6.5
CATEGORY_TITLE = "Share of rows per category: selection (blue) vs the rest (grey)"


@dataclass
class _Categories:
    name: str
    labels: list[str]
    counts: np.ndarray  # (n_nodes, n_labels)


class NodeSummaries:
    """Per-node sums of the rows' columns, so any node set is profiled in O(its nodes).

    Built from a plan and its sums (:mod:`somnium._summaries`), whatever the rows' backend.

    Parameters
    ----------
    plan : SumPlan
        What was summed: numeric columns (profiled by mean) and non-numeric ones (by share).
    sums : NodeSums
        The plan's per-node sums.
    """

    def __init__(self, plan: SumPlan, sums: NodeSums):
        self.n_nodes = plan.n_nodes
        self.node_rows = sums.rows
        self.numeric_names = plan.numeric_names(sums.counts.shape[1])
        self.counts = sums.counts
        self.node_sums = sums  # per-node count, mean and squared deviations of every numeric column
        self.categories = [
            _Categories(str(column), labels, counts)
            for column, labels, counts in zip(plan.categorical, plan.labels(), sums.categories, strict=True)
        ]

    @property
    def sums(self) -> np.ndarray:
        """Per node and numeric column: the sum of the values (for reading; spreads use the moments)."""
        return self.node_sums.sums

    @property
    def squares(self) -> np.ndarray:
        """Per node and numeric column: the sum of the squared values (for reading only)."""
        return self.node_sums.squares

    @staticmethod
    def plan(rows: Rows, max_categories: int = 8) -> SumPlan:
        """A profile's plan of ``rows``: every numeric column, and the ``max_categories`` most frequent
        values of every other one (a pass of value counts first on Dask rows with such columns)."""
        if rows.data is None:
            raise ValueError("A profile needs the rows themselves: pass data=.")
        numeric, categorical = split_columns(rows.data)
        return rows.sum_plan(numeric, categorical, max_categories)

    @classmethod
    def of_rows(cls, rows: Rows, max_categories: int = 8) -> NodeSummaries:
        """The summaries of ``rows`` (one pass over Dask rows, two with non-numeric columns)."""
        plan = cls.plan(rows, max_categories)
        return cls(plan, rows.node_sums(plan))

    def numeric(self, nodes):
        """Per numeric column: n, mean and std (population) of the rows on ``nodes`` and of all rows.

        Returns a dict of arrays (one entry per column) with keys ``n_selected``, ``mean_selected``,
        ``std_selected``, ``mean_all``, ``std_all``.
        """
        selected = _moments(*self.node_sums.pooled(np.asarray(nodes, dtype=np.int64)))
        overall = _moments(*self.node_sums.pooled())
        return {
            "n_selected": selected[0],
            "mean_selected": selected[1],
            "std_selected": selected[2],
            "mean_all": overall[1],
            "std_all": overall[2],
        }

    def shares(self, nodes):
        """Per categorical column: (labels, share inside the node set, share outside it)."""
        mask = np.zeros(self.n_nodes, dtype=bool)
        mask[np.asarray(nodes, dtype=np.int64)] = True
        out = []
        for category in self.categories:
            inside = category.counts[mask].sum(0)
            outside = category.counts[~mask].sum(0)
            out.append(
                (
                    category.name,
                    category.labels,
                    node_mean(inside, inside.sum()),
                    node_mean(outside, outside.sum()),
                )
            )
        return out


def _heading(text: str = "") -> ipywidgets.Label:
    """A chart's heading: plain text (a Label draws it as text), centred, in the theme's colours."""
    label = ipywidgets.Label(
        text,
        style={"font_size": "15px"},
        layout=ipywidgets.Layout(align_self="center", margin="8px 0 0 0"),
    )
    label.add_class("somnium-profile__heading")
    return label


def _share_label(column, category) -> str:
    return f"{column}: {category}"


def _margins(labels) -> dict:
    """The chart's margins, with room under the bars for its longest rotated tick label."""
    longest = max((len(str(label)) for label in labels), default=0)
    bottom = 24 + 0.5 * TICK_CHAR_PX * longest  # sin(30 degrees) of the label's length, and its height
    return {"top": 16, "bottom": int(min(max(bottom, 50), 150)), "left": 60, "right": 20}


def _moments(n, mean, m2):
    """Count, mean and population std from pooled moments (NaN without values)."""
    return n, mean, np.sqrt(node_mean(m2, n))


class SegmentProfile(ipywidgets.VBox):
    """How the selected rows differ from all rows: a bqplot chart that follows the selection.

    Numeric columns: the selection's mean in standard units of the population,
    ``z = (mean_selected - mean_all) / std_all`` (bars; the whiskers are the 95 % interval of the
    selection's mean, ``± 1.96 · std_selected / sqrt(n_selected) / std_all``), the ``max_features``
    largest ``|z|`` first.  Categorical columns of a DataFrame: the share of each of the most
    frequent categories inside the selection against outside it.

    Parameters
    ----------
    model : SOM
        A fitted model.
    data : pandas.DataFrame or ndarray, or dask.dataframe.DataFrame or dask.array.Array
        The rows to profile (any columns: numeric ones are compared by mean, the others by share).
        Dask rows never reach the client: the per-node sums are Dask reductions, one pass over the
        data (two when a DataFrame has non-numeric columns: their most frequent values first), each
        partition's BMUs from ``model.predict``; only per-node numbers come back.  The profile's
        numbers equal those of the same rows in memory.
    selection : Selection, optional
        The node set to profile, shared with other views; a new one by default.
    bmu : array-like of int, optional
        Best matching unit of each row (skips ``model.predict``); not with Dask data
        (``DaskRowsError``: its BMUs are computed partition-wise).
    max_features : int, default 12
        Numeric columns shown (largest ``|z|`` first).
    max_categories : int, default 5
        Categories shown per categorical column.
    rows, summaries : optional
        The rows' index and their :class:`NodeSummaries`, when another view built them (the Explorer).

    Attributes
    ----------
    selection : Selection
    selected : list of int
        Shortcut of ``selection.nodes``.
    numeric_table : pandas.DataFrame
        The numbers behind the numeric chart for the current selection (see :meth:`compare`).

    Notes
    -----
    The chart is redrawn by Python when ``selection.nodes`` changes, so it follows a browser
    selection once the kernel is free.
    """

    _display_ = marimo_notice("SegmentProfile")  # marimo draws anywidgets only: say so there

    selected = NodeSelection()  # Python-only shortcut of selection.nodes

    def __init__(
        self,
        model,
        data,
        selection=None,
        *,
        bmu=None,
        max_features: int = 12,
        max_categories: int = MAX_CATEGORIES,
        rows: Rows | None = None,
        summaries: NodeSummaries | None = None,
    ):
        n_nodes = model.lattice_.n_nodes  # raises ModelNotTrainedError on an unfitted model
        if data is None and rows is None:
            raise ValueError("SegmentProfile needs the rows to profile: pass data=.")
        self.max_features = check_int(max_features, "max_features")
        self.max_categories = check_int(max_categories, "max_categories")
        self.n_nodes = n_nodes
        self._lattice = model.lattice_
        self._rows = rows if rows is not None else rows_for(model, data, bmu)
        if summaries is None:
            summaries = NodeSummaries.of_rows(self._rows, max(self.max_categories, 1))
        self.summaries = summaries
        self.selection = check_selection(selection, model.lattice_)
        self.selection._attach_rows(self._rows)
        self.segments = None  # the Segments show_segment(name) reads (the Explorer sets it)
        self._segment = None  # (name, nodes) shown instead of the selection
        self._build_charts()
        super().__init__(children=self._children())
        self.add_class("somnium-profile")
        link_shortcut(self, self.selection)
        self.selection.observe(self._redraw, "nodes")
        self._redraw()

    # ------------------------------------------------------------------ numbers
    def compare(self, nodes):
        """Numeric columns of the rows on ``nodes`` against all rows, largest ``|z|`` first.

        Works for any node set (a segment's nodes, say), not only the selection.

        Returns
        -------
        pandas.DataFrame
            Indexed by column name: ``mean_selected``, ``mean_all``, ``std_all``, ``z``,
            ``z_low``, ``z_high`` (95 % interval of ``z``), ``n_selected``.
        """
        import pandas as pd

        stats = self.summaries.numeric(check_nodes(nodes, self.n_nodes))
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(stats["std_all"] > 0, stats["std_all"], np.nan)
            z = (stats["mean_selected"] - stats["mean_all"]) / scale
            half = 1.96 * stats["std_selected"] / np.sqrt(np.maximum(stats["n_selected"], 1)) / scale
        table = pd.DataFrame(
            {
                "mean_selected": stats["mean_selected"],
                "mean_all": stats["mean_all"],
                "std_all": stats["std_all"],
                "z": z,
                "z_low": z - half,
                "z_high": z + half,
                "n_selected": stats["n_selected"].astype(np.int64),
            },
            index=pd.Index(self.summaries.numeric_names, name="column"),
        )
        order = np.argsort(-np.nan_to_num(np.abs(z), nan=-1.0), kind="stable")
        return table.iloc[order]

    def compare_categories(self, nodes):
        """Share of each category inside ``nodes``' rows and outside them, per categorical column.

        A share is among the rows with a value in that column: missing values are left out (the
        ``n`` of a numeric column in :meth:`compare` likewise counts only its observed values).

        Returns
        -------
        pandas.DataFrame
            Columns ``column``, ``category``, ``share_selected``, ``share_rest``.
        """
        import pandas as pd

        records = []
        for name, labels, inside, outside in self.summaries.shares(check_nodes(nodes, self.n_nodes)):
            for label, a, b in zip(labels, inside, outside, strict=True):
                records.append({"column": name, "category": label, "share_selected": a, "share_rest": b})
        return pd.DataFrame(records, columns=["column", "category", "share_selected", "share_rest"])

    @property
    def numeric_table(self):
        """:meth:`compare` of the current selection."""
        return self.compare(self.selection.nodes)

    # ------------------------------------------------------------------ charts
    def _build_charts(self):
        x = bqplot.OrdinalScale()
        y = bqplot.LinearScale()
        self._z_bars = bqplot.Bars(
            x=[],
            y=[],
            scales={"x": x, "y": y},
            colors=[SELECTION_COLOUR],
            padding=0.3,
            tooltip=bqplot.Tooltip(fields=["x", "y"], formats=["", ".2f"], labels=["column", "z"]),
        )
        self._z_whiskers = bqplot.Lines(
            x=[], y=[], scales={"x": x, "y": y}, colors=[REST_COLOUR], stroke_width=2
        )
        # The headings are Labels above the charts, not drawn by bqplot: a Figure reads its title once
        # before it first draws and listens for changes only once drawn, so a selection set while the
        # view was still drawing (a cell run right after the one that shows it) kept "Select nodes..."
        # over the new bars.  figure.title keeps the same text for code and exports; the page hides it.
        self.numeric_heading = _heading()
        self.category_heading = _heading(CATEGORY_TITLE)
        self.numeric_figure = bqplot.Figure(
            marks=[self._z_bars, self._z_whiskers],
            axes=[
                bqplot.Axis(scale=x, grid_lines="none", tick_rotate=TICK_ROTATION, tick_style=TICK_STYLE),
                bqplot.Axis(scale=y, side="left", label="selection mean (std units)"),
            ],
            fig_margin=_margins(self.summaries.numeric_names),
            layout=ipywidgets.Layout(width="100%", height="300px"),
            title="",
            title_style={"display": "none"},
        )
        cx = bqplot.OrdinalScale()
        cy = bqplot.LinearScale(min=0.0, max=1.0)  # shares; a min without a max leaves bqplot no domain
        self._share_bars = bqplot.Bars(
            x=[],
            y=[],
            scales={"x": cx, "y": cy},
            type="grouped",
            colors=[SELECTION_COLOUR, REST_COLOUR],
            padding=0.2,
        )
        self.category_figure = bqplot.Figure(
            marks=[self._share_bars],
            axes=[
                bqplot.Axis(scale=cx, grid_lines="none", tick_rotate=TICK_ROTATION, tick_style=TICK_STYLE),
                bqplot.Axis(scale=cy, side="left", label="share of rows", tick_format=".0%"),
            ],
            fig_margin=_margins(
                _share_label(c.name, label) for c in self.summaries.categories for label in c.labels
            ),
            layout=ipywidgets.Layout(width="100%", height="300px"),
            title=CATEGORY_TITLE,
            title_style={"display": "none"},
        )

    def _children(self):
        numeric = [self.numeric_heading, self.numeric_figure]
        return (
            numeric + [self.category_heading, self.category_figure] if self.summaries.categories else numeric
        )

    def show_segment(self, name=None, segments=None) -> None:
        """Profile segment ``name`` against all rows instead of the selection (``None``: the selection).

        Parameters
        ----------
        name : str or None
            A name in ``segments``; ``None`` goes back to following the selection.
        segments : Segments, optional
            Where to look ``name`` up (default :attr:`segments`, which the Explorer sets).
        """
        if name is None:
            self._segment = None
        else:
            segments = segments if segments is not None else self.segments
            if segments is None:
                raise ValueError("show_segment needs the Segments: pass segments= (or set profile.segments).")
            check_segments(segments, self._lattice)
            self._segment = (name, [int(n) for n in segments.nodes(name)])
        self._redraw()

    @property
    def shown_segment(self):
        """Name of the segment profiled, or ``None`` when the profile follows the selection."""
        return None if self._segment is None else self._segment[0]

    @property
    def shown_nodes(self) -> list[int]:
        """The nodes whose rows the chart profiles (the segment's or the selection's)."""
        return list(self._segment[1]) if self._segment is not None else list(self.selection.nodes)

    def _redraw(self, change=None):
        nodes = self.shown_nodes
        n_rows = int(self.summaries.node_rows[nodes].sum()) if nodes else 0
        total = int(self.summaries.node_rows.sum())
        if not nodes:
            title = f"Select nodes on a map to profile their rows ({total:,} rows in all)"
        else:
            title = (
                f"{n_rows:,} of {total:,} rows on {len(nodes)} node{'s' if len(nodes) != 1 else ''}: "
                "mean vs all rows (z)"
            )
            if self._segment is not None:
                title = f"Segment {self._segment[0]}: {title}"
        table = self.compare(nodes).head(self.max_features) if nodes else self.compare([]).iloc[:0]
        table = table[np.isfinite(table["z"])]
        names = list(table.index)
        with self._z_bars.hold_sync(), self._z_whiskers.hold_sync():
            self._z_bars.x = names
            self._z_bars.y = table["z"].to_numpy()
            self._z_whiskers.x = [[name, name] for name in names]
            self._z_whiskers.y = table[["z_low", "z_high"]].to_numpy()
        self.numeric_figure.title = title
        self.numeric_heading.value = title
        if self.summaries.categories:
            shares = self.compare_categories(nodes)
            keep = shares.groupby("column", sort=False).head(self.max_categories)
            labels = [_share_label(c, k) for c, k in zip(keep["column"], keep["category"], strict=True)]
            with self._share_bars.hold_sync():
                self._share_bars.x = labels
                self._share_bars.y = np.nan_to_num(keep[["share_selected", "share_rest"]].to_numpy().T)
