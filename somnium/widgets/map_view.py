"""MapView: the interactive hex map of a fitted SOM.

The map is drawn in the browser from the model's lattice (binary geometry, see
:mod:`somnium.widgets._base`); Python computes every colour layer and sends it
as a float32 array, and the browser edits only the shared selection.

Values given per row (a column of the data, a Series aligned on its index, an array of its length)
become one value per node through the rows (:meth:`somnium._rows.Rows.node_layer` /
:meth:`~somnium._rows.Rows.column_layer`, in memory or by Dask reductions) and the rules of
:mod:`somnium._node_layers`: numbers by their mean, categories and booleans by their most frequent
value, drawn in a categorical palette with a legend.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import traitlets

from .. import anomaly
from .._node_layers import NodeLayer, node_layer
from .._summaries import OTHER, check_column_names
from .._validation import (
    check_int,
    check_option,
    check_real,
    is_dataframe,
    is_series,
    numeric_columns,
)
from ..exceptions import ModelNotTrainedError
from ._base import STATIC_DIR, SomniumWidget
from ._rows import Rows, rows_for
from ._segments import SEGMENT_PALETTE
from ._traits import FloatArray, TraitValueError, UIntArray, check_text
from .component_planes import column_planes

__all__ = ["MapView"]

BUILT_IN_LAYERS = ("umatrix", "hits", "quality", "anomaly", "drift")
#: key of the categorical layer :meth:`MapView.show_segments` adds
SEGMENTS_LAYER = "segments"
#: fill of the "(other)" value of a categorical layer (every value past the kept ones)
OTHER_COLOR = "#8c8c8c"
#: what ``add_layer(..., per=)`` accepts
PER = ("node", "row")


@dataclass
class _Layer:
    label: str
    compute: Callable[[], np.ndarray | NodeLayer]
    integer: bool = False
    custom: bool = False
    categorical: bool = False  # the segments layer: codes, not a colour scale
    diverging: bool = False  # a signed layer: a diverging palette with zero in the middle


def _row_columns(model, data) -> list:
    """The columns of ``data`` that are not the model's features (frame order; none for an array).

    A one-hot column "c" is a feature too (its planes are "c=value").  Layers are keyed by text, so
    the frame's names are checked here, once for both kinds of layer.
    """
    if not hasattr(getattr(data, "dtypes", None), "items"):
        return []
    check_column_names(data.columns)
    features = {*model.feature_names(), *column_planes(model)}
    return [c for c in data.columns if str(c) not in features]


def layer_columns(model, data) -> list:
    """The columns of ``data`` a map shows as per-node means: numeric, not features (frame order)."""
    numeric = set(numeric_columns(data))
    return [c for c in _row_columns(model, data) if c in numeric]


def category_columns(model, data) -> list:
    """The columns of ``data`` a map shows by their most frequent value per node: text, categorical,
    boolean (not numeric, not dates, not features; frame order)."""
    numeric = set(numeric_columns(data))
    dtypes = getattr(data, "dtypes", None)
    return [
        c
        for c in _row_columns(model, data)
        if c not in numeric and getattr(dtypes[c], "kind", "O") not in "mM"
    ]


def category_colors(categories) -> list[str]:
    """One ``#rrggbb`` per category of a layer: the segment palette in order, grey for ``"(other)"``."""
    return [
        OTHER_COLOR if value is OTHER else SEGMENT_PALETTE[i % len(SEGMENT_PALETTE)]
        for i, value in enumerate(categories)
    ]


class MapView(SomniumWidget):
    """Interactive map of a fitted SOM: colour layers, hover details and selection.

    Parameters
    ----------
    model : SOM
        A fitted model; the view reads only its public API.
    data : pandas.DataFrame or ndarray, optional
        Rows to explore.  Their best matching units are computed once here
        (``model.predict``) unless ``bmu`` is given; a DataFrame may hold
        extra columns besides the model's features -- numeric ones become
        "row mean per node" colour layers, boolean ones "share of True per
        node" layers (a boolean is a category).  Without ``data`` the hits and
        quality layers use the training data and :attr:`selected_rows` is
        unavailable.  A Dask DataFrame (or 2-D Dask array) is never pulled to
        the client: the hits, quality and "mean of rows" layers are Dask
        reductions (only per-node numbers come back; a column's missing values
        are skipped), :attr:`selected_rows` is a lazy Dask DataFrame, and
        :attr:`selected_index` / :attr:`bmu` are unavailable (no positions).
    color : str, pandas Series or array-like, default "umatrix"
        Initial colour layer: ``"umatrix"``, ``"hits"``, ``"quality"``, a
        feature name (prototype values in input units; a categorical
        feature's planes are named ``"column=value"``, each the share of that
        category per node), a column of ``data``
        (numeric: the mean over each node's rows; text, categorical or
        boolean: the most frequent value, with a legend), or values: one per
        row of ``data`` (a Series aligned on its index, an array of its
        length; e.g. a model's predictions, residuals or labels), shown per
        node as a column is, or one per node.  Values are shown under the
        ``name`` of a pandas Series, else as ``"custom"`` (see :meth:`add_layer`).
        With ``data``, also
        ``"anomaly"``: per node, the share of its rows whose BMU distance is
        above ``model.anomaly_threshold(anomaly_quantile)`` (the hover card
        gives the count and the node's typical training distance; see
        :meth:`select_anomalies`), and ``"drift"``: per node, the share of
        ``data``'s rows minus the share of the training rows
        (``model.drift(data).difference``), on a diverging palette with zero
        in the middle.
    bmu : array-like of int, optional
        Best matching unit of each row of ``data``, to skip the prediction
        when it is already known (``bmu=model.bmu_`` when ``data`` is the
        training data); not with Dask data (``DaskRowsError``).
    top_k : int, default 3
        How many "features that set the node apart" the hover card lists:
        the features whose prototype value has the largest absolute z-score
        across all nodes (per feature: (value - mean over nodes) / std over nodes).
    brush_mode : {"rectangle", "lasso"}, default "rectangle"
        What dragging on the map draws.
    segments : Segments, optional
        Named segments to show as the ``"segments"`` colour layer (see :meth:`show_segments`).
    selection : Selection, optional
        The selection to show and edit, shared with other views; a new one by default.
    rows : Rows, optional
        The rows of ``data`` (:func:`somnium.widgets._rows.rows_for`) to share instead of building
        them (the Explorer does).
    anomaly_quantile : float, default 0.99
        The training quantile of the BMU distance above which a row is an anomaly (the
        ``"anomaly"`` layer and :meth:`select_anomalies`).

    Attributes
    ----------
    selection : Selection
        The (shared) selection; ``selection.nodes`` is the same list as :attr:`selected`.
    selected : list of int
        Selected node indices, sorted and unique; assign any iterable of node
        indices (duplicates are collapsed, out-of-range indices raise
        ``traitlets.TraitError``).  Observe it with
        ``view.observe(fn, "selected")``.
    color : str
        Key of the shown layer; assign a layer key, or values per row or per node.
    color_values : ndarray
        The shown layer per node: a mean, or the share of the most frequent value.
    anomalies_only : bool
        When True, :attr:`selected_rows` (and :attr:`selected_index`) keep only the rows above
        the anomaly threshold among the selected nodes' rows.  :meth:`select_anomalies` (the
        "Select anomalies" button) sets it; the "anomalies only" box shows and changes it, and
        it stays on for later selections (a brushed region's anomalies) until switched off.

    Raises
    ------
    ModelNotTrainedError
        If ``model`` is not fitted.

    Examples
    --------
    >>> view = MapView(model, data=df, color="hits")  # doctest: +SKIP
    >>> view.selected = [3, 4]  # doctest: +SKIP
    >>> view.selected_rows  # rows of df whose BMU is node 3 or 4  # doctest: +SKIP
    """

    _esm = STATIC_DIR / "map_view.js"
    _css = STATIC_DIR / "map_view.css"

    _browser_traits = ("color", "brush_mode", "anomalies_only")  # the layer menu, brush buttons, anomaly box
    color = traitlets.Any("umatrix").tag(sync=True)
    brush_mode = traitlets.Enum(("rectangle", "lasso"), "rectangle").tag(sync=True)
    _layer_options = traitlets.List().tag(sync=True)  # [[key, label], ...] for the layer menu
    _layer_info = traitlets.Dict().tag(sync=True)  # {"key", "label", "integer"} of the shown layer
    _layer_values = FloatArray(wire_dtype="float64").tag(sync=True)  # (n_nodes,), NaN = no value; all digits
    _layer_codes = UIntArray().tag(sync=True)  # (n_nodes,) category + 1 (0: none); empty unless categorical
    _hit_counts = UIntArray().tag(sync=True)  # (n_nodes,), empty without rows
    _feature_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _top_features = UIntArray().tag(sync=True)  # (n_nodes, top_k) feature indices
    _top_scores = FloatArray().tag(sync=True)  # (n_nodes, top_k) z-scores
    _top_title = traitlets.Unicode("Sets it apart (z across nodes)").tag(sync=True)  # their hover heading
    _top_format = traitlets.Enum(("sigma", "r"), "sigma").tag(sync=True)  # "+1.2σ" or "r +0.84"
    _details = traitlets.Dict().tag(sync=True)  # {"title", "rows": [[name, text], ...]} under the map
    anomalies_only = traitlets.Bool(False).tag(sync=True)
    _anomaly_counts = UIntArray().tag(sync=True)  # (n_nodes,) rows above the threshold; empty until known
    _node_scales = FloatArray().tag(sync=True)  # (n_nodes,) typical training distance; empty until known

    def __init__(
        self,
        model,
        data=None,
        color="umatrix",
        *,
        bmu=None,
        top_k: int = 3,
        brush_mode: str = "rectangle",
        selection=None,
        rows: Rows | None = None,
        segments=None,
        anomaly_quantile: float = 0.99,
    ):
        n_nodes = model.lattice_.n_nodes  # raises ModelNotTrainedError on an unfitted model
        top_k = check_int(top_k, "top_k", minimum=0)
        self._anomaly_quantile = check_real(anomaly_quantile, "anomaly_quantile", 0.0, 1.0)
        self._anomaly_limit = None
        self._anomaly_unavailable = "the view has no rows: pass data= to MapView"
        if data is None and bmu is not None:
            raise ValueError("bmu= describes the rows of data=; pass data as well.")
        self._rows = rows if rows is not None else rows_for(model, data, bmu, with_distances=True)
        self._data = self._rows.data if self._rows is not None else None
        self._bmu = self._rows.bmu if self._rows is not None else None
        # The column layers' sums first: rows that need a pass for their counts (Dask) get them with it.
        self._column_means = self._row_means(model)
        self._counts = self._rows.counts if self._rows is not None else None
        self._constructed = False
        self._layer_cache: dict[str, np.ndarray] = {}
        self._layers: dict[str, _Layer] = {}
        self._column_planes = column_planes(model)
        self._register_layers(model)
        for key, layer in self._layers.items():  # feature and column names travel as menu text
            check_text(layer.label, f"The layer {key!r} is labelled")
        self.n_nodes = n_nodes
        key = self._layer_key(color)

        top_features, top_scores = self._standouts(model.codebook_, top_k)
        super().__init__(
            model,
            selection=selection,
            rows=self._rows,
            _feature_names=model.feature_names(),
            _top_features=top_features,
            _top_scores=top_scores,
            _hit_counts=self._counts,
            _layer_options=self._options(),
            color=key,
            brush_mode=brush_mode,
            **self._layer_payload(key),
        )
        self._constructed = True
        self.on_msg(self._on_browser_message)
        if segments is not None:
            self.show_segments(segments)

    def _on_browser_message(self, widget, content, buffers) -> None:
        # The "Select anomalies" button: one message, so the selection and the filter change together.
        if (
            isinstance(content, dict)
            and content.get("action") == "select_anomalies"
            and "anomaly" in self._layers
        ):
            self.select_anomalies()

    # --------------------------------------------------------------- rows
    def _row_means(self, model) -> dict:
        """Per-node mean of every numeric layer column, from one plan of sums."""
        if self._data is None:
            return {}
        columns = layer_columns(model, self._data)
        if not columns:
            return {}
        plan = self._rows.sum_plan(columns)
        return self._rows.node_sums(plan).means(plan, columns)

    @property
    def top_k(self) -> int:
        """How many standout features the hover card lists."""
        return int(self._top_features.shape[1]) if self._top_features is not None else 0

    @property
    def bmu(self) -> np.ndarray | None:
        """Best matching unit of each row of ``data`` (training rows without ``data``; None for Dask data)."""
        return self._bmu

    @property
    def selected_index(self) -> np.ndarray:
        """Positions (0-based, ascending) of the rows whose BMU is selected (with :attr:`anomalies_only`,
        of those above the anomaly threshold).

        Raises ``DaskRowsError`` (a ``ValueError``) for Dask data: use ``selected_rows.index``.
        """
        if self._rows is None:
            raise ValueError("This view has no rows: pass data= to MapView to map rows onto the map.")
        if self.anomalies_only:
            return self._rows.anomaly_positions(self.model, self.selected, self._anomaly_limit)
        return self._rows.positions(self.selected)

    @property
    def selected_rows(self):
        """The rows of ``data`` whose BMU is selected, in their original order.

        A DataFrame keeps its index (``data.iloc[selected_index]``); an array
        returns ``data[selected_index]``.  With :attr:`anomalies_only`, only those
        rows above the anomaly threshold.  For Dask data it is lazy: a Dask DataFrame
        (index and columns kept) or array filtered to the selected nodes, the BMUs
        computed partition-wise; nothing runs until it is computed (``.head()``,
        ``.compute()``, ``.to_parquet(...)``).
        """
        if self._data is None:
            raise ValueError(
                "selected_rows needs the rows: create the view with MapView(model, data=...). "
                "Without data, selected_index gives positions in the training data."
            )
        if self.anomalies_only:
            return self._rows.anomaly_rows(self.model, self.selected, self._anomaly_limit)
        return self._rows.rows(self.selected)

    # ------------------------------------------------------------ anomalies
    @property
    def anomaly_threshold(self) -> float | None:
        """The BMU distance above which a row is an anomaly here (None when the model cannot say)."""
        return self._anomaly_limit

    @property
    def drift(self):
        """``model.drift(data)`` for this view's rows (a :class:`~somnium.anomaly.Drift`; no further pass)."""
        if "drift" not in self._layers:
            raise ValueError(f"Drift is not available in this view: {self._anomaly_unavailable}.")
        self._layer_payload("drift")
        return self._drift

    def select_anomalies(self) -> None:
        """Select the anomalies: the nodes holding rows above the threshold, with :attr:`anomalies_only` on.

        :attr:`selected_rows` then holds exactly the rows above the threshold: a node selection alone
        would also bring the ordinary rows that share a node with an anomaly.  What the "Select
        anomalies" button does (it appears with the ``"anomaly"`` layer).
        """
        counts = self._anomaly_node_counts()
        with self.hold_trait_notifications():
            self.selected = np.flatnonzero(counts > 0)
            self.anomalies_only = True

    def _anomaly_node_counts(self) -> np.ndarray:
        if "anomaly" not in self._layers:
            raise ValueError(f"Anomalies are not available in this view: {self._anomaly_unavailable}.")
        self._layer_payload("anomaly")  # computes (once) and sends the counts
        return np.asarray(self._anomaly_counts, dtype=np.int64)

    @traitlets.validate("anomalies_only")
    def _validate_anomalies_only(self, proposal):
        if proposal["value"] and "anomaly" not in self._layers:
            raise traitlets.TraitError(
                f"Anomalies are not available in this view: {self._anomaly_unavailable}."
            )
        return proposal["value"]

    def _anomaly_shares(self, model) -> np.ndarray:
        """Per node, the share of its rows above the threshold (one pass over the rows, kept)."""
        counts = np.asarray(self._rows.anomaly_counts(model, self._anomaly_limit), dtype=np.int64)
        hits = np.asarray(self._counts, dtype=np.int64)
        with self.hold_sync():
            self._node_scales = anomaly.node_scales(model)
            self._anomaly_counts = counts
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(hits > 0, counts / np.maximum(hits, 1), np.nan)

    def _drift_difference(self, model) -> np.ndarray:
        """Per node, the rows' share minus the training rows' share (the colour bar names the summary)."""
        report = self._drift = anomaly.drift_of_hits(model.node_hits(), self._counts)
        p = "p < 0.01" if report.p_value < 0.01 else f"p = {report.p_value:.2f}"
        self._layers[
            "drift"
        ].label = (
            f"Drift: share of rows here − training share (JS divergence {report.divergence:.3f} bits, {p})"
        )
        return report.difference

    def select_rows(self, rows) -> None:
        """Select the nodes that hold the given rows.

        Parameters
        ----------
        rows : boolean mask, index labels, DataFrame/Series, or row positions
            * a boolean array or Series with one entry per row of ``data``
              (a Series is aligned on the DataFrame's index);
            * a DataFrame or non-boolean Series (e.g. ``df.query(...)``):
              its index labels;
            * other integers: index labels of a DataFrame, or row positions
              of an array.

            For Dask data: a Dask boolean Series aligned with ``data``
            (``ddf["x"] > 0``), a Dask DataFrame of rows with the model's
            features (``ddf[ddf["x"] > 0]``: their BMUs), a pandas DataFrame or
            Series (index labels; a boolean Series: where True) or index labels.
            One pass over the data; only node indices reach the client.

        Raises
        ------
        ValueError
            If the view has no rows or a mask has the wrong length (``DaskRowsError``,
            a ``ValueError``, for a boolean array with Dask data, which has no positions).
        KeyError
            If labels are not in ``data``'s index.
        IndexError
            If positions are out of range.
        """
        if self._rows is None:
            raise ValueError("This view has no rows: pass data= to MapView to select rows.")
        self.selected = self._rows.nodes_of(rows)

    # ------------------------------------------------------------- layers
    def _register_layers(self, model):
        layers = self._layers
        layers["umatrix"] = _Layer("U-matrix", model.umatrix)
        if self._counts is not None:
            counts = self._counts
            layers["hits"] = _Layer("Hits", lambda: np.where(counts > 0, counts, np.nan), integer=True)
            # The training rows' without data; one pass on Dask rows.
            layers["quality"] = _Layer(
                "Quantization error", lambda: self._rows.node_quantization_error(model)
            )
        if self._data is not None:
            self._register_anomaly_layers(model)
        codebook = model.codebook_
        for j, name in enumerate(model.feature_names()):
            key = name if name not in layers and name != SEGMENTS_LAYER else f"feature:{name}"
            layers[key] = _Layer(name, lambda j=j: codebook[:, j])
        for name, means in self._column_means.items():
            key = name if name not in layers and name != SEGMENTS_LAYER else f"column:{name}"
            layers[key] = _Layer(f"{name} (mean of rows)", lambda means=means: means)
        if self._data is not None:
            for column in category_columns(model, self._data):  # computed when first shown
                name = str(column)
                key = name if name not in layers and name != SEGMENTS_LAYER else f"column:{name}"
                layers[key] = _Layer(
                    f"{name} (most frequent)", lambda c=column: self._rows.column_layer(c, name=str(c))
                )

    def _register_anomaly_layers(self, model):
        """The "anomaly" and "drift" layers of rows given as data (computed when first shown)."""
        try:
            self._anomaly_limit = model.anomaly_threshold(self._anomaly_quantile)
            model.node_hits()  # the training hits drift compares with
        except ModelNotTrainedError as error:
            self._anomaly_unavailable = str(error).rstrip(".")
            return
        q = self._anomaly_quantile
        label = f"Anomalies: share of rows with BMU distance > {self._anomaly_limit:.3g} (training q = {q:g})"
        self._layers["anomaly"] = _Layer(label, lambda: self._anomaly_shares(model))
        self._layers["drift"] = _Layer(
            "Drift: share of rows here − training share",
            lambda: self._drift_difference(model),
            diverging=True,
        )

    def _options(self):
        return [[key, layer.label] for key, layer in self._layers.items()]

    @property
    def layers(self) -> list[str]:
        """Keys accepted by :attr:`color`, in menu order."""
        return list(self._layers)

    def add_layer(self, name: str, values, label: str | None = None, *, per: str | None = None) -> None:
        """Add (or replace) a custom colour layer: values per row of the data, or per node.

        Parameters
        ----------
        name : str
            Key for :attr:`color`; must not be a built-in, feature or column layer.
        values : array-like, pandas Series or Dask Series
            One value per row of ``data`` (a Series is aligned on the data's index; for Dask rows a
            Dask Series aligned with them), or one per node.  Numbers are shown by their mean per
            node, categories and booleans by their most frequent value (see
            :mod:`somnium._node_layers`); missing values are skipped, NaN marks a node without one.
        label : str, optional
            Text of the menu entry and colour bar (default ``name``, with "(mean of rows)" or
            "(most frequent)" for values per row).
        per : {"row", "node"}, optional
            Which the values are; by default told by their length (a Series indexed like the data
            is per row).  Needed when the data has as many rows as the map has nodes.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"A layer name must be a non-empty string, got {name!r}.")
        check_text(name, "A layer name")
        if label is not None:
            if not isinstance(label, str):
                raise ValueError(f"A layer label must be a string, got {type(label).__name__} {label!r}.")
            check_text(label, "A layer label")
        existing = self._layers.get(name)
        if existing is not None and not existing.custom:
            raise ValueError(f"{name!r} is already a built-in or feature layer; choose another name.")
        given = getattr(values, "name", None)  # a Series' name names the values (the key may differ)
        shown = str(given) if isinstance(given, str) and given else name
        layer, per = self._node_values(values, per, shown)
        text = label or (layer.describe() if per == "row" else shown)
        self._layers[name] = _Layer(text, lambda: layer, custom=True)
        self._layer_cache.pop(name, None)
        if self._constructed:
            self._layer_options = self._options()
            if self.color == name:
                self._show_layer(name)

    def _node_values(self, values, per, name) -> tuple[NodeLayer, str]:
        """The per-node layer of ``values`` and whether they were given per "row" or per "node"."""
        if isinstance(values, NodeLayer):
            return values, "node"
        if per is not None:
            per = check_option(per, PER, "per", error=ValueError)
        n_rows = self._rows.n_rows if self._rows is not None and self._rows.bmu is not None else None
        n = _length(values)
        if per is None and n is None:  # a length known only once computed (Dask): values of the rows
            per = "row"
        if per is None:
            fits_node, fits_row = n == self.n_nodes, n_rows is not None and n == n_rows
            if fits_node and fits_row:
                indexed = (
                    is_series(values) and is_dataframe(self._data) and values.index.equals(self._data.index)
                )
                if not indexed:
                    raise ValueError(
                        f"These {n} values could be one per node or one per row (the map has {self.n_nodes} "
                        f"nodes and the data {n_rows} rows): say which with "
                        f"view.add_layer({name!r}, values, per='row') or per='node'."
                    )
                per = "row"
            elif fits_node or fits_row:
                per = "node" if fits_node else "row"
            else:
                rows = f" or one per row of the data ({n_rows})" if n_rows is not None else ""
                raise ValueError(f"A layer needs one value per node ({self.n_nodes}){rows}, got {n} values.")
        if per == "row":
            if self._rows is None:
                raise ValueError(
                    "Values per row need the rows: create the view with MapView(model, data=...)."
                )
            return self._rows.node_layer(values, name=name), per
        if is_series(values) or is_dataframe(values):
            values = values.to_numpy()
        array = np.asarray(values)
        array = array.reshape(-1) if array.ndim == 2 and 1 in array.shape else array
        if array.shape != (self.n_nodes,):
            raise ValueError(f"A layer needs one value per node ({self.n_nodes}), got shape {array.shape}.")
        return node_layer(array, np.arange(self.n_nodes), self.n_nodes, name=name), per

    def _layer_key(self, color) -> str:
        """The layer key for a ``color`` value, registering values as a custom layer."""
        if isinstance(color, str):
            if color in ("anomaly", "drift") and color not in self._layers:
                raise traitlets.TraitError(
                    f"The {color!r} layer is not available in this view: {self._anomaly_unavailable}."
                )
            if color not in self._layers:
                planes = self._column_planes.get(color, ())
                if len(planes) > 1 or (planes and planes[0] != color):
                    shown = ", ".join(repr(p) for p in planes)
                    raise traitlets.TraitError(
                        f"{color!r} is a categorical column: the map shows one plane per category, {shown}."
                    )
                valid = ", ".join(repr(c) for c in self._layers)
                rows = " or per row of the data" if self._rows is not None else ""
                raise traitlets.TraitError(
                    f"Unknown colour layer {color!r}. Choose one of {valid}; or pass values per node{rows}."
                )
            return color
        name = getattr(color, "name", None)  # a (pandas or Dask) Series
        key = (
            str(name)
            if name is not None
            and str(name)
            and (str(name) not in self._layers or self._layers[str(name)].custom)
            else "custom"
        )
        self.add_layer(key, color)
        return key

    def _computed(self, key):
        """The shown layer's values (an array) or :class:`NodeLayer`, computed once."""
        if key not in self._layer_cache:
            result = self._layers[key].compute()
            if not isinstance(result, NodeLayer):
                result = np.asarray(result, dtype=np.float64)
            self._layer_cache[key] = result
        return self._layer_cache[key]

    def _layer_payload(self, key) -> dict:
        layer = self._layers[key]
        result = self._computed(key)
        info = {"key": key, "label": layer.label, "integer": layer.integer}
        if layer.diverging:
            info["palette"] = "diverging"
        codes = np.empty(0, dtype=np.uint32)
        values = result
        if isinstance(result, NodeLayer):
            values = result.values
            if result.categorical:
                # codes + 1 per node (0: no value); the browser paints and names the categories
                info.update(
                    categorical=True, categories=result.labels, colors=category_colors(result.categories)
                )
                codes = (result.codes + 1).astype(np.uint32)
        elif layer.categorical:
            info["categorical"] = True  # the segments layer: the browser paints _segment_codes
        return {"_layer_values": values, "_layer_info": info, "_layer_codes": codes}

    def show_segments(self, segments, show: bool = True) -> None:
        """Show ``segments`` as the ``"segments"`` colour layer (categorical) with boundaries and legend.

        Each segment gets a colour of its own, nodes in no segment a neutral grey; the boundaries
        between segments stay drawn over any other layer.  Call again after editing the segments
        to redraw; ``None`` removes the layer.

        Parameters
        ----------
        segments : Segments or None
        show : bool, default True
            Switch :attr:`color` to the segments layer.
        """
        super().show_segments(segments)
        key = SEGMENTS_LAYER
        if segments is None:
            self._layers.pop(key, None)
            self._layer_cache.pop(key, None)
            self._layer_options = self._options()
            if self.color == key:
                self.color = "umatrix"
            return
        codes = segments.node_labels().astype(np.float64)
        codes[codes < 0] = np.nan
        self._layers[key] = _Layer("Segments", lambda: codes, integer=True, categorical=True)
        self._layer_cache.pop(key, None)
        self._layer_options = self._options()
        if show and self.color != key:
            self.color = key
        elif self.color == key:
            self._show_layer(key)

    @property
    def color_values(self) -> np.ndarray:
        """Values of the shown layer, one per node (float64; NaN = no value).

        For a layer of categories: the share of each node's most frequent value among its rows
        with a value (:attr:`color_categories` says which value).
        """
        result = self._computed(self.color)
        return (result.values if isinstance(result, NodeLayer) else result).copy()

    @property
    def color_categories(self) -> np.ndarray | None:
        """For a layer of categories, each node's most frequent value (None: no value); else None."""
        result = self._computed(self.color)
        if not isinstance(result, NodeLayer) or not result.categorical:
            return None
        lookup = np.array([*result.categories, None], dtype=object)
        return lookup[np.where(result.codes >= 0, result.codes, len(result.categories))]

    @traitlets.validate("color")
    def _validate_color(self, proposal):
        try:
            return self._layer_key(proposal["value"])
        except traitlets.TraitError:
            raise
        except (ValueError, TypeError) as error:  # a TraitError rolls a front end's message back
            raise TraitValueError(str(error)) from None

    def set_state(self, sync_data):
        # The layer menu sends a layer's key: values only Python may give (arrays of one value per node) are refused.
        color = sync_data.get("color", "")
        if not isinstance(color, str):
            self._resync(sync_data)
            raise traitlets.TraitError(
                f"The front end may set color to a layer key only, got {type(color).__name__}; the message "
                "was ignored."
            )
        super().set_state(sync_data)

    @traitlets.observe("color")
    def _on_color(self, change):
        self._show_layer(change["new"])

    def _show_layer(self, key):
        payload = self._layer_payload(key)
        with self.hold_sync():
            self._layer_values = payload["_layer_values"]
            self._layer_codes = payload["_layer_codes"]
            self._layer_info = payload["_layer_info"]

    # ------------------------------------------------------ hover details
    @staticmethod
    def _standouts(codebook, top_k):
        """Indices and z-scores of each node's ``top_k`` most atypical features.

        z = (prototype value - mean over nodes) / std over nodes, per feature;
        a feature constant across nodes scores 0.
        """
        codebook = np.asarray(codebook, dtype=np.float64)
        k = min(int(top_k), codebook.shape[1])
        std = codebook.std(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(std > 0, (codebook - codebook.mean(axis=0)) / np.where(std > 0, std, 1), 0.0)
        order = np.argsort(-np.abs(z), axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(z, order, axis=1)


def _length(values) -> int | None:
    """How many values: the length of a 1-D array or Series, of a column or row vector, else ``len``;
    None when it is not known without computing (a Dask Series)."""
    shape = getattr(values, "shape", None)
    if shape is not None and len(shape) == 2 and shape[0] == 1:
        shape = shape[1:]
    if shape is not None and len(shape) >= 1:
        return int(shape[0]) if isinstance(shape[0], numbers.Integral) else None
    return len(values)
