"""MapView: the interactive hex map of a fitted SOM.

The map is drawn in the browser from the model's lattice (binary geometry, see
:mod:`somnium.widgets._base`); Python computes every colour layer and sends it
as a float32 array, and the browser edits only the shared selection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import traitlets

from .._validation import boolean_columns, check_int, is_dataframe, is_series, numeric_columns
from ._base import STATIC_DIR, SomniumWidget
from ._rows import Rows, rows_for
from ._traits import FloatArray, UIntArray

__all__ = ["MapView"]

BUILT_IN_LAYERS = ("umatrix", "hits", "quality")
#: key of the categorical layer :meth:`MapView.show_segments` adds
SEGMENTS_LAYER = "segments"


@dataclass
class _Layer:
    label: str
    compute: Callable[[], np.ndarray]
    integer: bool = False
    custom: bool = False
    categorical: bool = False  # the segments layer: codes, not a colour scale


def layer_columns(model, data) -> list:
    """The columns of ``data`` a map shows as per-node layers: numeric or boolean, not features (frame order)."""
    shown = {*numeric_columns(data), *boolean_columns(data)}  # empty for an array
    features = set(model.feature_names())
    return [c for c in data.columns if c in shown and str(c) not in features] if shown else []


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
    color : str or array-like, default "umatrix"
        Initial colour layer: ``"umatrix"``, ``"hits"``, ``"quality"``, a
        feature name (prototype values in input units), a numeric column of
        ``data`` (mean over each node's rows), or an array of one value per
        node (e.g. a model's mean prediction per node), shown as ``"custom"``
        or under the ``name`` of a pandas Series.
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
        Key of the shown layer; assign a layer key or an array of per-node values.

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

    color = traitlets.Any("umatrix").tag(sync=True)
    brush_mode = traitlets.Enum(("rectangle", "lasso"), "rectangle").tag(sync=True)
    _layer_options = traitlets.List().tag(sync=True)  # [[key, label], ...] for the layer menu
    _layer_info = traitlets.Dict().tag(sync=True)  # {"key", "label", "integer"} of the shown layer
    _layer_values = FloatArray().tag(sync=True)  # (n_nodes,), NaN = no value
    _hit_counts = UIntArray().tag(sync=True)  # (n_nodes,), empty without rows
    _feature_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _top_features = UIntArray().tag(sync=True)  # (n_nodes, top_k) feature indices
    _top_scores = FloatArray().tag(sync=True)  # (n_nodes, top_k) z-scores

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
    ):
        n_nodes = model.lattice_.n_nodes  # raises ModelNotTrainedError on an unfitted model
        top_k = check_int(top_k, "top_k", minimum=0)
        if data is None and bmu is not None:
            raise ValueError("bmu= describes the rows of data=; pass data as well.")
        self._rows = rows if rows is not None else rows_for(model, data, bmu)
        self._data = self._rows.data if self._rows is not None else None
        self._bmu = self._rows.bmu if self._rows is not None else None
        # The column layers' sums first: rows that need a pass for their counts (Dask) get them with it.
        self._column_means = self._row_means(model)
        self._counts = self._rows.counts if self._rows is not None else None
        self._constructed = False
        self._layer_cache: dict[str, np.ndarray] = {}
        self._layers: dict[str, _Layer] = {}
        self._register_layers(model)
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
        if segments is not None:
            self.show_segments(segments)

    # --------------------------------------------------------------- rows
    def _row_means(self, model) -> dict:
        """Per-node mean of every layer column (a boolean's is its share of True), from one plan of sums."""
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
        """Positions (0-based, ascending) of the rows whose BMU is selected.

        Raises ``DaskRowsError`` (a ``ValueError``) for Dask data: use ``selected_rows.index``.
        """
        if self._rows is None:
            raise ValueError("This view has no rows: pass data= to MapView to map rows onto the map.")
        return self._rows.positions(self.selected)

    @property
    def selected_rows(self):
        """The rows of ``data`` whose BMU is selected, in their original order.

        A DataFrame keeps its index (``data.iloc[selected_index]``); an array
        returns ``data[selected_index]``.  For Dask data it is lazy: a Dask DataFrame
        (index and columns kept) or array filtered to the selected nodes, the BMUs
        computed partition-wise; nothing runs until it is computed (``.head()``,
        ``.compute()``, ``.to_parquet(...)``).
        """
        if self._data is None:
            raise ValueError(
                "selected_rows needs the rows: create the view with MapView(model, data=...). "
                "Without data, selected_index gives positions in the training data."
            )
        return self._rows.rows(self.selected)

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
        codebook = model.codebook_
        for j, name in enumerate(model.feature_names()):
            key = name if name not in layers and name != SEGMENTS_LAYER else f"feature:{name}"
            layers[key] = _Layer(name, lambda j=j: codebook[:, j])
        booleans = {str(c) for c in boolean_columns(self._data)}
        for name, means in self._column_means.items():
            key = name if name not in layers and name != SEGMENTS_LAYER else f"column:{name}"
            label = f"{name} (share of True)" if name in booleans else f"{name} (mean of rows)"
            layers[key] = _Layer(label, lambda means=means: means)

    def _options(self):
        return [[key, layer.label] for key, layer in self._layers.items()]

    @property
    def layers(self) -> list[str]:
        """Keys accepted by :attr:`color`, in menu order."""
        return list(self._layers)

    def add_layer(self, name: str, values, label: str | None = None) -> None:
        """Add (or replace) a custom colour layer of one value per node.

        Parameters
        ----------
        name : str
            Key for :attr:`color`; must not be a built-in layer or a feature.
        values : array-like, shape (n_nodes,)
            Numbers; NaN marks nodes without a value.
        label : str, optional
            Text of the menu entry and colour bar (default ``name``).
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"A layer name must be a non-empty string, got {name!r}.")
        existing = self._layers.get(name)
        if existing is not None and not existing.custom:
            raise ValueError(f"{name!r} is already a built-in or feature layer; choose another name.")
        array = self._per_node_values(values)
        self._layers[name] = _Layer(label or name, lambda: array, custom=True)
        self._layer_cache.pop(name, None)
        if self._constructed:
            self._layer_options = self._options()
            if self.color == name:
                self._show_layer(name)

    def _per_node_values(self, values) -> np.ndarray:
        if is_series(values) or is_dataframe(values):
            values = values.to_numpy()
        array = np.asarray(values)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"Layer values must be numbers, got dtype {array.dtype}.")
        array = array.astype(np.float64).reshape(-1) if array.ndim == 2 and 1 in array.shape else array
        if array.shape != (self.n_nodes,):
            raise ValueError(f"A layer needs one value per node ({self.n_nodes}), got shape {array.shape}.")
        return array.astype(np.float64)

    def _layer_key(self, color) -> str:
        """The layer key for a ``color`` value, registering an array as a custom layer."""
        if isinstance(color, str):
            if color not in self._layers:
                # Every name: a list cut short hides the one the user was after.
                shown = ", ".join(repr(c) for c in self._layers)
                raise traitlets.TraitError(
                    f"Unknown colour layer {color!r}. Choose one of {shown}, or pass one value per node."
                )
            return color
        name = getattr(color, "name", None) if is_series(color) else None
        key = (
            str(name)
            if name is not None
            and str(name)
            and (str(name) not in self._layers or self._layers[str(name)].custom)
            else "custom"
        )
        self.add_layer(key, color)
        return key

    def _layer_payload(self, key) -> dict:
        layer = self._layers[key]
        if key not in self._layer_cache:
            self._layer_cache[key] = np.asarray(layer.compute(), dtype=np.float64)
        info = {"key": key, "label": layer.label, "integer": layer.integer}
        if layer.categorical:
            info["categorical"] = True  # the segments layer: the browser paints _segment_codes
        return {"_layer_values": self._layer_cache[key], "_layer_info": info}

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
        """Values of the shown layer, one per node (float64; NaN = no value)."""
        return self._layer_cache[self.color].copy()

    @traitlets.validate("color")
    def _validate_color(self, proposal):
        return self._layer_key(proposal["value"])

    @traitlets.observe("color")
    def _on_color(self, change):
        self._show_layer(change["new"])

    def _show_layer(self, key):
        payload = self._layer_payload(key)
        with self.hold_sync():
            self._layer_values = payload["_layer_values"]
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
