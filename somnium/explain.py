"""Explaining a black-box model on the map, and finding the features that say the same thing.

Two workflows over a fitted map, on the engine side (no widget code; pandas and matplotlib are
imported only by the methods that return tables and figures):

:class:`SurrogateMap`
    A model's predictions (a regressor's values, a classifier's labels or probabilities) put on the
    map: every node predicts the mean (or most frequent) prediction of its rows.  How faithful that
    piecewise-constant surrogate is (:meth:`~SurrogateMap.fidelity`), where it disagrees with the
    model (:attr:`~SurrogateMap.disagreement`), which features drive the prediction around each node
    (:meth:`~SurrogateMap.drivers`) and which contiguous regions of the map predict alike
    (:meth:`~SurrogateMap.regions`).
:func:`feature_groups`
    Features whose component planes are strongly correlated (``|r|`` of the planes over the nodes,
    hit-weighted), grouped by average linkage: each group says one thing, its representative can
    stand for it.  The tree and its leaf order are :func:`similarity_linkage`'s, which also orders
    :class:`~somnium.widgets.ComponentPlanes`.

Definitions
    *Planes.*  A feature's component plane is its prototype value at every node (``codebook_``,
    input units).  The *prediction plane* is the surrogate's per-node prediction: the mean value
    (values), or, for labels and probabilities, the share (mean probability) of a class.
    *Hit weights.*  Correlations between planes weight each node by its rows (the training rows
    unless told otherwise); a node without rows counts for nothing.  Without rows (a loaded model)
    every node weighs 1.
    *Drivers.*  Around node ``i`` (the nodes at most ``radius`` steps away on the map, wrap-around
    included, that hold rows: at least 3 of them), the *local association* of feature ``j`` is the
    hit-weighted Pearson correlation between feature ``j``'s plane and the prediction plane; for
    labels and probabilities the plane of node ``i``'s own predicted class.  ``+1``: the prediction
    rises with the feature there; ``-1``: it falls; ``0``: it does not follow the feature (or
    either is constant there).  The local *slope* is the hit-weighted least-squares slope of the
    prediction plane on the mean of the feature over each node's rows, over the same nodes
    (prediction units per feature unit).  Row means rather than prototypes: the map smooths its
    prototypes towards their neighbours, which would inflate a slope measured on them (a prediction
    ``3 a`` reads as a slope of 4.6 on the prototypes at a map's corner, 3 on the row means).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ._node_layers import (
    NodeLayer,
    as_floats,
    factorize,
    is_categorical,
    layer_from_codes,
    node_layer,
    per_row_values,
)
from ._validation import (
    check_int,
    check_nodes,
    check_option,
    check_real,
    check_size,
    feature_columns,
    is_dask_collection,
    is_dataframe,
    is_series,
)
from .exceptions import DaskRowsError, ModelNotTrainedError

__all__ = [
    "KINDS",
    "MAX_OPTIMAL_ORDER_PLANES",
    "MAX_PLANES",
    "FeatureGroups",
    "Regions",
    "SurrogateMap",
    "feature_groups",
    "plane_correlations",
    "plane_distances",
    "plane_weights",
    "similarity_linkage",
    "similarity_order",
]

#: what predictions can be
KINDS = ("values", "labels", "probabilities")
#: how planes are correlated (:func:`plane_correlations`)
CORRELATIONS = ("pearson", "spearman")
#: the correlation :func:`feature_groups` and ComponentPlanes' similarity order use: planes related by
#: any monotone function say the same thing
PLANE_CORRELATION = "spearman"
#: the most planes ordered by optimal leaf ordering, whose cost is cubic in the planes
#: (0.5 s at 400 planes, 3 s at 800 on a loaded 2-core machine); above it, the tree's own leaf order
MAX_OPTIMAL_ORDER_PLANES = 400
#: the most planes compared at once: the distances hold planes^2 numbers (200 MB at 5,000)
MAX_PLANES = 5_000
#: node x neighbourhood x feature values per block of the local associations (bounds their memory)
_BLOCK_VALUES = 2_000_000
#: the largest neighbourhood radius (steps on the map) the drivers accept
MAX_RADIUS = 10


# =============================================================================== plane similarity
def plane_weights(model, X=None, hits=None) -> np.ndarray | None:
    """Node weights of the plane correlations: ``hits``, the hits of ``X``, or the training hits.

    None (every node weighs 1) for a model without training rows (a loaded model) and no ``X``.
    """
    n_nodes = model.lattice_.n_nodes
    if hits is not None:
        hits = np.asarray(hits, dtype=np.float64)
        if hits.shape != (n_nodes,) or not np.isfinite(hits).all() or (hits < 0).any():
            raise ValueError(
                f"hits must be {n_nodes} finite non-negative numbers (one per node), got shape {hits.shape}."
            )
        return hits
    try:
        return np.asarray(model.node_hits(X), dtype=np.float64)
    except ModelNotTrainedError:
        if X is not None:
            raise
        return None


def plane_correlations(values, weights=None, method: str = "pearson") -> np.ndarray:
    """Weighted correlation between every pair of columns of ``values`` (planes over nodes).

    Parameters
    ----------
    values : ndarray, shape (n_nodes, n_planes)
    weights : ndarray, shape (n_nodes,), optional
        Non-negative node weights (default 1 each); all zero counts as all equal.
    method : {"pearson", "spearman"}, default "pearson"
        ``"spearman"``: the weighted Pearson correlation of the planes' weighted mid-ranks (a node's
        rank is the weight of the nodes below it plus half the weight of the nodes level with it),
        so two planes related by any increasing (decreasing) function correlate at 1 (-1).  With
        equal weights it is Spearman's rho.

    Returns
    -------
    ndarray, shape (n_planes, n_planes)
        In ``[-1, 1]``; 0 off the diagonal for a constant plane (it says nothing), 1 on the diagonal.
    """
    method = check_option(method, CORRELATIONS, "correlation method", error=ValueError)
    values = np.asarray(values, dtype=np.float64)
    n_nodes, n_planes = values.shape
    if n_planes > MAX_PLANES:
        raise ValueError(
            f"Plane similarity compares at most {MAX_PLANES:,} planes (it holds planes^2 numbers), got "
            f"{n_planes:,}; compare a subset of the features."
        )
    w = _normalized_weights(weights, n_nodes)
    if method == "spearman":
        values = weighted_ranks(values, w)
    centred = values - w @ values  # two passes: stable at large offsets
    scaled = centred * np.sqrt(w)[:, None]
    norms = np.sqrt(np.einsum("ij,ij->j", scaled, scaled))
    # a plane that varies by less than rounding of its own size is constant
    constant = norms <= 1e-12 * np.maximum(np.abs(values).max(axis=0, initial=0.0), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(constant, 0.0, scaled / np.where(constant, 1.0, norms))
    correlation = np.clip(unit.T @ unit, -1.0, 1.0)
    np.fill_diagonal(correlation, 1.0)
    return correlation


def weighted_ranks(values, weights) -> np.ndarray:
    """Per column, each node's weighted mid-rank: the weight below its value plus half the weight at it."""
    values = np.asarray(values, dtype=np.float64)
    n_nodes, n_planes = values.shape
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)
    ordered_weight = np.asarray(weights, dtype=np.float64)[order]
    starts = np.ones(ordered.shape, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]  # a run of equal values begins
    run = np.cumsum(starts, axis=0) - 1 + np.arange(n_planes) * n_nodes  # run ids, distinct per column
    run_weight = np.bincount(run.ravel(), weights=ordered_weight.ravel(), minlength=n_nodes * n_planes)
    below = np.cumsum(ordered_weight, axis=0) - ordered_weight
    run_below = np.bincount(
        run.ravel(), weights=np.where(starts, below, 0.0).ravel(), minlength=n_nodes * n_planes
    )
    ranks = np.empty_like(values)
    np.put_along_axis(ranks, order, (run_below + run_weight / 2)[run], axis=0)
    return ranks


def _normalized_weights(weights, n_nodes) -> np.ndarray:
    if weights is None:
        return np.full(n_nodes, 1.0 / n_nodes)
    weights = np.asarray(weights, dtype=np.float64)
    total = weights.sum()
    if not total > 0:
        return np.full(n_nodes, 1.0 / n_nodes)
    return weights / total


def plane_distances(values, weights=None, method: str = "pearson") -> np.ndarray:
    """``1 - |r|`` between every pair of planes (:func:`plane_correlations`); 1 from a constant plane."""
    return 1.0 - np.abs(plane_correlations(values, weights, method))


def similarity_linkage(values, weights=None, method: str = "pearson") -> np.ndarray:
    """The average-linkage tree of the planes under :func:`plane_distances`, leaves in display order.

    Up to :data:`MAX_OPTIMAL_ORDER_PLANES` planes the tree's leaves are flipped by SciPy's
    ``optimal_leaf_ordering`` (minimum sum of distances between neighbours among the orders the tree
    allows); above it the tree keeps SciPy's own leaf order (optimal ordering is cubic in the planes).

    Returns
    -------
    ndarray, shape (n_planes - 1, 4)
        A SciPy linkage matrix; ``scipy.cluster.hierarchy.leaves_list`` of it is the order.
    """
    from scipy.cluster.hierarchy import linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    distance = plane_distances(values, weights, method)
    condensed = squareform(distance, checks=False)
    tree = linkage(condensed, method="average")
    if 3 <= distance.shape[0] <= MAX_OPTIMAL_ORDER_PLANES:
        tree = optimal_leaf_ordering(tree, condensed)
    return tree


def similarity_order(values, weights=None, method: str = "pearson") -> np.ndarray:
    """Order of the planes (columns of ``values``) that puts correlated planes next to each other.

    The rule: the distance between two planes is ``1 - |r|``, with ``r`` the correlation of their
    values across nodes (:func:`plane_correlations`: Pearson or Spearman, weighted when ``weights``
    are given; a constant plane is at distance 1 from every other); the planes are clustered hierarchically (average linkage) and
    read off in the leaf order of :func:`similarity_linkage`.  Strongly related planes, positively
    or negatively, therefore sit side by side.  Deterministic for given values.

    Parameters
    ----------
    values : ndarray, shape (n_nodes, n_planes)
    weights : ndarray, shape (n_nodes,), optional
    method : {"pearson", "spearman"}, default "pearson"

    Returns
    -------
    ndarray of int
        A permutation of ``range(n_planes)``.
    """
    from scipy.cluster.hierarchy import leaves_list

    n_planes = np.asarray(values).shape[1]
    if n_planes < 3:
        return np.arange(n_planes)
    return leaves_list(similarity_linkage(values, weights, method)).astype(np.int64)


# ================================================================================ feature groups
class FeatureGroups(list):
    """Groups of features whose component planes say the same thing: a list of lists of names.

    Made by :func:`feature_groups`.  Groups come in similarity order (as
    :class:`~somnium.widgets.ComponentPlanes` shows the planes), features within a group too.

    Attributes
    ----------
    threshold : float
        The grouping threshold on ``|r|``.
    order : list of str
        Every feature in similarity order (the dendrogram's leaves).
    representatives : list of str
        One feature per group: the one with the highest mean ``|r|`` to the rest of its group
        (ties: the first in order); a single feature represents itself.
    mean_correlations, min_correlations : list of float
        Per group: the mean and the smallest ``|r|`` between two of its features (NaN for one feature).
    correlation : ndarray, shape (n_features, n_features)
        The signed hit-weighted correlations of the planes, in :attr:`features` order.
    features : list of str
        The features compared, in the model's order.
    linkage : ndarray
        The average-linkage tree (SciPy layout) whose leaf order is :attr:`order`.
    """

    def __init__(self, groups, *, threshold, features, correlation, linkage, order):
        super().__init__([list(g) for g in groups])
        self.threshold = float(threshold)
        self.features = list(features)
        self.correlation = correlation
        self.linkage = linkage
        self.order = list(order)
        position = {name: i for i, name in enumerate(self.features)}
        strength = np.abs(correlation)
        self.representatives, self.mean_correlations, self.min_correlations = [], [], []
        for group in self:
            idx = [position[name] for name in group]
            block = strength[np.ix_(idx, idx)]
            if len(idx) == 1:
                self.representatives.append(group[0])
                self.mean_correlations.append(math.nan)
                self.min_correlations.append(math.nan)
                continue
            off = block[~np.eye(len(idx), dtype=bool)]
            self.mean_correlations.append(float(off.mean()))
            self.min_correlations.append(float(off.min()))
            mean_to_others = (block.sum(axis=1) - 1.0) / (len(idx) - 1)
            self.representatives.append(group[int(np.argmax(mean_to_others))])

    def __repr__(self) -> str:
        return f"FeatureGroups({list.__repr__(self)}, threshold={self.threshold})"

    def group_of(self, feature: str) -> int:
        """Index of the group that holds ``feature``."""
        for i, group in enumerate(self):
            if feature in group:
                return i
        check_option(feature, self.features, "feature")
        raise AssertionError("unreachable")  # pragma: no cover

    def table(self):
        """One row per feature (similarity order): group, representative, ``|r|`` with it (pandas)."""
        import pandas as pd

        position = {name: i for i, name in enumerate(self.features)}
        rows = []
        for i, (group, representative) in enumerate(zip(self, self.representatives)):
            for name in group:
                rows.append(
                    {
                        "feature": name,
                        "group": i,
                        "representative": representative,
                        "is_representative": name == representative,
                        "abs_r_with_representative": float(
                            abs(self.correlation[position[name], position[representative]])
                        ),
                        "group_mean_abs_r": self.mean_correlations[i],
                    }
                )
        return pd.DataFrame(rows).set_index("feature")

    def dendrogram(self, ax=None, *, labels: bool = True):
        """The average-linkage tree of the planes as a matplotlib figure (leaves in :attr:`order`).

        Heights are ``1 - |r|``; the dashed line is the cut at ``1 - threshold``, and branches
        below it are coloured by group.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (default: a new figure, sized to the features).
        labels : bool, default True
            Write the feature names at the leaves.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt
        from scipy.cluster.hierarchy import dendrogram

        n = len(self.features)
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, max(2.5, min(0.22 * n + 1, 40))))
        else:
            fig = ax.figure
        if n == 1:
            ax.text(0.5, 0.5, self.features[0], ha="center", va="center", transform=ax.transAxes)
            return fig
        cut = 1.0 - self.threshold
        dendrogram(
            self.linkage,
            labels=self.features if labels else None,
            no_labels=not labels,
            orientation="left",
            color_threshold=cut,
            above_threshold_color="#9a9a9a",
            ax=ax,
        )
        ax.axvline(cut, color="#444444", linestyle="--", linewidth=1)
        ax.set_xlabel("1 − |r| between planes (average linkage)")
        ax.set_title(f"{len(self)} groups of {n} features at |r| ≥ {self.threshold:g}")
        ax.invert_yaxis()  # the first leaf at the top, as the planes read
        fig.tight_layout()
        return fig


def feature_groups(model, threshold: float = 0.9, *, features=None, X=None, hits=None) -> FeatureGroups:
    """Groups of features whose component planes say the same thing.

    The planes are compared by ``|r|``, their hit-weighted Pearson correlation over the nodes, and
    grouped by average linkage cut at ``1 - threshold``: within a group the average ``|r|`` between
    features is at least ``threshold``.  The tree and the order are :func:`similarity_linkage`'s,
    the same as :class:`~somnium.widgets.ComponentPlanes`' similarity order.

    Parameters
    ----------
    model : SOM
        A fitted model.
    threshold : float, default 0.9
        In ``(0, 1]``: how strongly planes must correlate (in absolute value) to share a group.
    features : list of str, optional
        Which features to compare (default all).
    X : array-like, optional
        Rows whose hits weight the nodes (default: the training rows).
    hits : array-like, shape (n_nodes,), optional
        Node weights to use instead.

    Returns
    -------
    FeatureGroups
        A list of lists of feature names (with representatives, correlations and a dendrogram).

    Examples
    --------
    >>> groups = feature_groups(model, 0.9)  # doctest: +SKIP
    >>> groups.representatives  # one feature per group  # doctest: +SKIP
    """
    from scipy.cluster.hierarchy import fcluster, leaves_list

    threshold = check_real(threshold, "threshold", minimum=0.0, maximum=1.0, exclusive_minimum=True)
    names = list(model.feature_names())  # ModelNotTrainedError on an unfitted model
    chosen = _chosen_features(features, names)
    values = np.asarray(model.codebook_, dtype=np.float64)[:, [names.index(f) for f in chosen]]
    weights = plane_weights(model, X, hits)
    correlation = plane_correlations(values, weights, PLANE_CORRELATION)
    n = len(chosen)
    if n == 1:
        return FeatureGroups(
            [chosen],
            threshold=threshold,
            features=chosen,
            correlation=correlation,
            linkage=np.empty((0, 4)),
            order=chosen,
        )
    tree = similarity_linkage(values, weights, PLANE_CORRELATION)
    order = leaves_list(tree).tolist()
    # a little slack so that |r| exactly at the threshold groups despite rounding
    flat = fcluster(tree, t=(1.0 - threshold) + 1e-12, criterion="distance")
    groups: dict[int, list[str]] = {}
    for i in order:
        groups.setdefault(int(flat[i]), []).append(chosen[i])
    return FeatureGroups(
        list(groups.values()),
        threshold=threshold,
        features=chosen,
        correlation=correlation,
        linkage=tree,
        order=[chosen[i] for i in order],
    )


def _chosen_features(features, names) -> list[str]:
    if features is None:
        return names
    if isinstance(features, str):
        features = [features]
    chosen = [str(f) for f in features]
    for f in chosen:
        check_option(f, names, "feature", error=ValueError)
    if len(set(chosen)) != len(chosen):
        raise ValueError("features lists a feature twice.")
    if not chosen:
        raise ValueError("features is empty: give at least one feature (or None for all).")
    return chosen


# ================================================================================ surrogate maps
@dataclass(frozen=True, eq=False)
class Regions:
    """Contiguous regions of the map that predict alike, made by :meth:`SurrogateMap.regions`.

    Attributes
    ----------
    labels : ndarray of int64, shape (n_nodes,)
        Region of every node, ``0..k-1`` (region 0 is ``"Region 1"``).
    segments : Segments
        The regions as named segments (``"Region 1"``, ...), to show on a view
        (``view.show_segments(regions.segments)``) or label rows (``segments.labels(df)``).
    profile : pandas.DataFrame
        One row per region, ordered by prediction (highest mean first; for labels by class, then
        share): ``nodes``, ``size`` (rows), ``share``, the prediction's summary, then every
        column's summary as in :meth:`Segments.profile <somnium.segments.Segments.profile>`.
    """

    labels: np.ndarray = field(repr=False)
    segments: object = field(repr=False)
    profile: object

    def __len__(self) -> int:
        return len(self.segments)

    def _repr_html_(self) -> str:
        return self.profile._repr_html_()


class SurrogateMap:
    """A black-box model's predictions on the map: the map as a readable surrogate of the model.

    Every node predicts what the model predicts, on average, for the rows it holds: the mean of a
    regressor's values, the most frequent of a classifier's labels, the mean of its probabilities
    (class = the most probable on average).  Rows without a prediction (NaN, None) are skipped.

    Parameters
    ----------
    model : SOM
        A fitted map.
    X : pandas.DataFrame or array-like
        The rows the model predicted (the map's features; a DataFrame may hold other columns,
        which :meth:`regions` profiles too).
    predictions : array-like or pandas Series / DataFrame
        One prediction per row of ``X``: numbers (values), labels, or an ``(n_rows, n_classes)``
        array of probabilities (columns named by ``classes``, or a DataFrame's columns).  A Series
        is aligned on a DataFrame's index.
    kind : {"values", "labels", "probabilities"}, optional
        Default: probabilities for two dimensions, labels for text, booleans and categoricals,
        values for reals.  Integers are ambiguous (class labels or counts) and need ``kind``.
    classes : sequence, optional
        Names of the probability columns (e.g. a scikit-learn classifier's ``classes_``).
    bmu : array-like of int, optional
        The node of every row when already known (skips ``model.predict(X)``).
    name : str, optional
        What the predictions are called (default: a Series' name, else ``"prediction"``).

    Attributes
    ----------
    kind : str
    name : str
    classes : list or None
        Labels and probabilities: the classes, in order.
    bmu : ndarray of int64
        The node of every row.
    counts : ndarray of int64, shape (n_nodes,)
        Rows with a prediction per node.
    layer : NodeLayer
        The prediction layer (values: the mean; otherwise the class and its share or mean
        probability), as views draw it.
    node_prediction : ndarray
        Per node: the mean value (values), the class (labels, probabilities; ``None`` when empty).
    disagreement : ndarray of float64, shape (n_nodes,)
        Per node: how much its rows' predictions differ from the node's.  Values: their root mean
        squared difference from the node's mean; labels and probabilities: the share of its rows
        whose (most probable) class is not the node's.  NaN for a node without rows.

    Raises
    ------
    ModelNotTrainedError
        If the map is not fitted.
    DaskRowsError
        For Dask rows (compute the predictions and pass them in memory).

    Examples
    --------
    >>> surrogate = SurrogateMap(model, X, regressor.predict(X))  # doctest: +SKIP
    >>> surrogate.fidelity()  # R² of the map's prediction against the model's  # doctest: +SKIP
    >>> surrogate.drivers(12)  # features that move the prediction around node 12  # doctest: +SKIP
    """

    def __init__(self, model, X, predictions, *, kind=None, classes=None, bmu=None, name=None):
        self.model = model
        self.n_nodes = int(model.lattice_.n_nodes)  # ModelNotTrainedError on an unfitted model
        self.X, self.bmu = self._rows(X, bmu, predictions)
        read = _read_predictions(predictions, len(self.bmu), _index_of(self.X), kind, classes)
        self.kind, self.classes = read.kind, read.classes
        self.name = str(name) if name is not None else (read.name or "prediction")
        self._values, self._codes = read.values, read.codes
        if self.kind == "values":
            self.layer = node_layer(self._values, self.bmu, self.n_nodes, name=self.name)
            self.counts = self.layer.counts
            self.node_prediction = self.layer.values
            self._class_planes = None
        elif self.kind == "labels":
            self.layer = layer_from_codes(
                self._codes,
                self.classes,
                self.bmu,
                self.n_nodes,
                name=self.name,
                max_categories=None,
                ordered=True,
            )
            self.counts = self.layer.counts
            self._class_planes = self.layer.shares()  # (n_classes, n_nodes)
            self.node_prediction = _class_of(self.layer.codes, self.classes)
        else:
            self._class_planes, self.counts = _mean_probabilities(self._values, self.bmu, self.n_nodes)
            filled = np.nan_to_num(self._class_planes, nan=-1.0)
            codes = np.where(self.counts > 0, np.argmax(filled, axis=0), -1)
            top = np.where(codes >= 0, np.take_along_axis(filled, np.maximum(codes, 0)[None], 0)[0], np.nan)
            self.layer = NodeLayer(
                name=self.name, values=top, counts=self.counts, categories=tuple(self.classes), codes=codes
            )
            self.node_prediction = _class_of(codes, self.classes)
        self.disagreement = self._disagreement()
        self._associations = {}
        self._feature_means = None

    def _rows(self, X, bmu, predictions=None):
        """``X`` (a DataFrame, or an array) and the node of every row."""
        if is_dask_collection(X) or is_dask_collection(predictions):
            raise DaskRowsError(
                "SurrogateMap needs the rows and predictions in memory (one prediction per row): "
                "compute them, or a sample of them, first (e.g. ddf.sample(frac=0.1).compute())."
            )
        X = X if is_dataframe(X) else np.asarray(X)
        if bmu is None:
            bmu = self.model.predict(feature_columns(X, getattr(self.model, "feature_names_in_", None)))
        return X, _check_bmu(bmu, len(X), self.n_nodes)

    # ------------------------------------------------------------------------------- fidelity
    def predict(self, X=None, *, bmu=None) -> np.ndarray:
        """The surrogate's prediction for rows: their node's prediction.

        A row on a node without predictions gets the prediction of the node with predictions whose
        prototype is nearest to its node's.

        Parameters
        ----------
        X : array-like, optional
            Rows with the map's features.
        bmu : array-like of int, optional
            Their nodes, when known (then ``X`` may be omitted).

        Returns
        -------
        ndarray
            Values (float), or classes (object) for labels and probabilities.
        """
        if bmu is None:
            if X is None:
                raise ValueError("Pass the rows X (or their nodes, bmu=).")
            _, bmu = self._rows(X, None)
        else:
            bmu = _check_bmu(bmu, len(bmu), self.n_nodes)
        return self._node_values_filled()[bmu]

    def _node_values_filled(self) -> np.ndarray:
        dtype = np.float64 if self.kind == "values" else object
        return np.asarray(self.node_prediction, dtype=dtype)[self._filled_nodes()]

    def fidelity(self, X=None, predictions=None, *, bmu=None) -> float:
        """How well the map reproduces the model: R² (values) or accuracy (labels, probabilities).

        Every row is given its node's prediction (:meth:`predict`) and compared with the model's:
        ``R² = 1 - sum (p - p_node)^2 / sum (p - mean p)^2`` over the rows with a prediction, or
        the share of rows whose (most probable) class is their node's (a class the surrogate's rows
        never had counts as a miss).  Without arguments: on the rows the surrogate was built from
        (optimistic, as any in-sample score: a map with one node per row scores 1); with ``X`` and
        ``predictions``: on those rows (held out).

        Returns
        -------
        float
            NaN when no row has a prediction (or, for R², when all predictions are equal).
        """
        if (X is None) != (predictions is None):
            raise ValueError(
                "Pass both X and predictions (rows held out), or neither (the surrogate's own rows)."
            )
        if X is None:
            bmu, values, codes = self.bmu, self._values, self._codes
        else:
            X, bmu = self._rows(X, bmu, predictions)
            read = _read_predictions(
                predictions, len(bmu), _index_of(X), self.kind, self.classes, unseen_classes=True
            )
            values, codes = read.values, read.codes
        if self.kind == "values":
            keep = np.isfinite(values)
            if not keep.any():
                return math.nan
            truth, guess = values[keep], self._node_values_filled()[bmu[keep]]
            total = float(np.sum((truth - truth.mean()) ** 2))
            residual = float(np.sum((truth - guess) ** 2))
            return math.nan if total == 0 else 1.0 - residual / total
        keep = codes != -1
        if not keep.any():
            return math.nan
        node_codes = np.asarray(self.layer.codes)[self._filled_nodes()]
        return float(np.mean(codes[keep] == node_codes[bmu[keep]]))

    def _disagreement(self) -> np.ndarray:
        if self.kind == "values":
            keep = np.isfinite(self._values)
            gap = self._values[keep] - self.node_prediction[self.bmu[keep]]
            squares = np.bincount(self.bmu[keep], weights=gap * gap, minlength=self.n_nodes)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(self.counts > 0, np.sqrt(squares / np.maximum(self.counts, 1)), np.nan)
        keep = self._codes >= 0
        differs = self._codes[keep] != np.asarray(self.layer.codes)[self.bmu[keep]]
        wrong = np.bincount(self.bmu[keep], weights=differs.astype(np.float64), minlength=self.n_nodes)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, wrong / np.maximum(self.counts, 1), np.nan)

    def _filled_nodes(self) -> np.ndarray:
        """Per node, itself when it has predictions, else the node with predictions nearest in prototype."""
        from scipy.spatial import cKDTree

        has = self.counts > 0
        nodes = np.arange(self.n_nodes)
        if has.all() or not has.any():
            return nodes
        prototypes = np.asarray(self.model.normalized_codebook_, dtype=np.float64)
        with_rows = np.flatnonzero(has)
        _, nearest = cKDTree(prototypes[with_rows]).query(prototypes[~has])
        nodes[~has] = with_rows[nearest]
        return nodes

    # ------------------------------------------------------------------------------- drivers
    def local_associations(self, radius: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Local association and slope of every feature around every node (see the module notes).

        Returns
        -------
        association, slope : ndarray of float64, shape (n_nodes, n_features)
            NaN where fewer than 3 nodes around hold rows (and, for the slope, where the feature's
            node means do not vary around the node).
        """
        radius = check_int(radius, "radius", minimum=1, maximum=MAX_RADIUS)
        if radius not in self._associations:
            members = _neighbourhoods(self.model.lattice_, radius)
            association, _ = self._around(np.asarray(self.model.codebook_, dtype=np.float64), members)
            _, slope = self._around(self._node_feature_means(), members)
            self._associations[radius] = (association, slope)
        return self._associations[radius]

    def _around(self, planes, members):
        """:func:`_local_association` of ``planes`` with each node's own prediction plane."""
        weights = self.counts.astype(np.float64)
        if self.kind == "values":
            return _local_association(planes, self.node_prediction, weights, members)
        association = np.full((self.n_nodes, planes.shape[1]), np.nan)
        slope = association.copy()
        codes = np.asarray(self.layer.codes)
        for c in np.unique(codes[codes >= 0]):
            nodes = np.flatnonzero(codes == c)
            association[nodes], slope[nodes] = _local_association(
                planes, self._class_planes[c], weights, members[nodes]
            )
        return association, slope

    def _node_feature_means(self) -> np.ndarray:
        """Per node the mean of its rows' feature values (input units; NaN without rows), (n_nodes, d)."""
        if self._feature_means is None:
            names = list(self.model.feature_names())
            rows = feature_columns(self.X, getattr(self.model, "feature_names_in_", None))
            values = (
                rows.to_numpy(dtype=np.float64) if is_dataframe(rows) else np.asarray(rows, dtype=np.float64)
            )
            if values.ndim != 2 or values.shape[1] != len(names):
                raise ValueError(
                    f"X must hold the map's {len(names)} features to measure the drivers' slopes, got shape "
                    f"{values.shape}."
                )
            means = np.empty((self.n_nodes, len(names)))
            for j in range(len(names)):
                means[:, j] = node_layer(values[:, j], self.bmu, self.n_nodes).values
            self._feature_means = means
        return self._feature_means

    def drivers(self, node, *, radius: int = 1, top: int | None = None):
        """The features that change most with the prediction around ``node``, strongest first.

        Parameters
        ----------
        node : int or list of int
            A node, or several (a selection): then each feature's association and slope are the
            means over those nodes, weighted by their rows with a prediction (undefined ones left out).
        radius : int, default 1
            Neighbourhood: nodes at most ``radius`` steps away (see the module notes).
        top : int, optional
            Keep only the ``top`` strongest.

        Returns
        -------
        pandas.DataFrame
            Indexed by feature: ``association`` (local correlation with the prediction, in
            ``[-1, 1]``) and ``slope`` (prediction units per feature unit), by ``|association|``
            descending (ties: model order); NaN associations last.
        """
        import pandas as pd

        association, slope = self.local_associations(radius)
        if isinstance(node, numbers.Integral) and not isinstance(node, bool):
            node = check_int(node, "node", minimum=0, maximum=self.n_nodes - 1)
            association, slope = association[node], slope[node]
        else:
            nodes = check_nodes(node, self.n_nodes, "node")
            association = _weighted_mean(association[nodes], self.counts[nodes])
            slope = _weighted_mean(slope[nodes], self.counts[nodes])
        names = list(self.model.feature_names())
        strength = np.abs(association)
        order = np.lexsort((np.arange(len(names)), np.where(np.isnan(strength), np.inf, -strength)))
        if top is not None:
            order = order[: check_int(top, "top", minimum=1)]
        return pd.DataFrame(
            {"association": association[order], "slope": slope[order]},
            index=pd.Index([names[i] for i in order], name="feature"),
        )

    def drivers_table(self, *, radius: int = 1):
        """Every node's local association with every feature (pandas; nodes x features).

        See :meth:`drivers` for one node ranked, and the module notes for the definition.
        """
        import pandas as pd

        association, _ = self.local_associations(radius)
        return pd.DataFrame(
            association,
            index=pd.RangeIndex(self.n_nodes, name="node"),
            columns=pd.Index(list(self.model.feature_names()), name="feature"),
        )

    def top_drivers(self, k: int = 3, *, radius: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Per node the ``k`` features with the largest ``|association|``: indices and associations.

        Returns
        -------
        features : ndarray of int, shape (n_nodes, k)
        associations : ndarray of float, shape (n_nodes, k)
            NaN where undefined.
        """
        association, _ = self.local_associations(radius)
        k = min(check_int(k, "k", minimum=0), association.shape[1])
        strength = np.where(np.isnan(association), -1.0, np.abs(association))
        order = np.argsort(-strength, axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(association, order, axis=1)

    # ------------------------------------------------------------------------------- regions
    def regions(self, n_regions: int | None = None, *, max_regions: int | None = None) -> Regions:
        """Contiguous regions of the map with similar predictions, and what their rows look like.

        The prediction plane (the mean value; the class shares or mean probabilities) is clustered
        by :func:`somnium.clustering.cluster_map` (contiguous, hit-weighted SOM-Ward on the plane
        instead of the prototypes; nodes without predictions take the prediction of the nearest node
        with some, by prototype, and join a neighbouring region).  The regions are profiled on the
        rows by :meth:`Segments.profile <somnium.segments.Segments.profile>`, with the prediction as
        a column.

        Parameters
        ----------
        n_regions : int, optional
            How many regions; default chosen by the Davies-Bouldin index of the plane's clustering.
        max_regions : int, optional
            Largest number tried when ``n_regions`` is None.

        Returns
        -------
        Regions
            Labels per node, the regions as :class:`~somnium.segments.Segments` and the profile
            (highest mean prediction first).
        """
        import pandas as pd

        from .clustering import cluster_map
        from .segments import Segments

        plane = self._cluster_plane()[self._filled_nodes()]
        lattice_holder = _PlaneOnMap(self.model.lattice_, plane)
        hits = self.counts.astype(np.float64)
        if not hits.any():
            raise ValueError("No row has a prediction: there is nothing to group into regions.")
        raw = cluster_map(lattice_holder, n_regions, hits=hits, max_segments=max_regions)
        k = int(raw.max()) + 1
        order = self._region_order(raw, k)
        rank = np.empty(k, dtype=np.int64)
        rank[order] = np.arange(k)
        labels = rank[raw]
        names = [f"Region {i + 1}" for i in range(k)]
        segments = Segments.from_clustering(self.model, labels, names)
        frame = self._profile_frame()
        profile = segments.profile(frame, bmu=self.bmu)
        nodes = pd.Series(np.bincount(labels, minlength=k), index=names)
        profile.insert(0, "nodes", nodes.reindex(profile.index).fillna(0).astype(int))
        return Regions(labels=labels, segments=segments, profile=profile)

    def view(self, **kwargs):
        """The surrogate on an interactive map (:class:`somnium.widgets.SurrogateView`).

        The prediction and disagreement layers (and every layer of a :class:`~somnium.widgets.MapView`
        of ``X``), the drivers of the hovered node in its hover card and of the selected nodes under
        the map.  Keyword arguments go to :class:`~somnium.widgets.SurrogateView`.
        """
        from .widgets.surrogate_view import SurrogateView  # the widgets only when a view is asked for

        return SurrogateView(self, **kwargs)

    def _cluster_plane(self) -> np.ndarray:
        if self.kind == "values":
            return self.node_prediction.reshape(-1, 1)
        return self._class_planes.T

    def _region_order(self, raw, k) -> np.ndarray:
        """Regions by prediction: mean value descending; else by class, then share descending."""
        weights = self.counts.astype(np.float64)
        plane = self._cluster_plane()
        valued = np.where(np.isnan(plane), 0.0, plane) * weights[:, None]
        totals = np.bincount(raw, weights=weights, minlength=k)
        means = np.stack([np.bincount(raw, weights=c, minlength=k) for c in valued.T], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = means / totals[:, None]
        if self.kind == "values":
            return np.lexsort((np.arange(k), -np.nan_to_num(means[:, 0], nan=-np.inf)))
        top = np.argmax(np.nan_to_num(means, nan=-1), axis=1)
        share = means[np.arange(k), top]
        return np.lexsort((np.arange(k), -np.nan_to_num(share, nan=-1), top))

    def _profile_frame(self):
        import pandas as pd

        names = list(self.model.feature_names())
        frame = self.X.copy() if is_dataframe(self.X) else pd.DataFrame(self.X, columns=names)
        columns = {}
        if self.kind == "values":
            columns[self.name] = self._values
        elif self.kind == "labels":
            categories = pd.Index(list(self.classes), dtype=object)
            columns[self.name] = pd.Categorical.from_codes(self._codes, categories=categories)
        else:
            for j, c in enumerate(self.classes):
                columns[f"P({c})"] = self._values[:, j]
        lead = pd.DataFrame(columns, index=frame.index)
        clash = [c for c in lead.columns if c in frame.columns]
        if clash:
            raise ValueError(
                f"X already has a column named {clash[0]!r}: pass name= to call the predictions otherwise."
            )
        return pd.concat([lead, frame], axis=1)


@dataclass(frozen=True)
class _Predictions:
    kind: str
    values: np.ndarray | None  # values: (n,) floats; probabilities: (n, n_classes); labels: None
    codes: (
        np.ndarray | None
    )  # labels, probabilities: class index per row (-1 none, -2 a class not in classes)
    classes: list | None
    name: str | None


def _index_of(X):
    return X.index if is_dataframe(X) else None


def _read_predictions(predictions, n_rows, index, kind, classes, unseen_classes=False) -> _Predictions:
    """What predictions are (see :class:`SurrogateMap`), read once: numbers, class codes, classes."""
    if kind is not None:
        kind = check_option(kind, KINDS, "prediction kind", error=ValueError)
    width = predictions.shape[1] if is_dataframe(predictions) else None
    if width is None and not is_series(predictions) and np.ndim(predictions) == 2:
        width = np.shape(predictions)[1]
    if width is not None and width > 1:
        if kind not in (None, "probabilities"):
            raise ValueError(
                f"predictions with {width} columns are probabilities (one column per class), not "
                f"{kind}; pass one value per row for kind={kind!r}."
            )
        values, names = _probabilities(predictions, n_rows, index, classes)
        return _Predictions("probabilities", values, _most_probable(values), names, None)
    values, name = per_row_values(predictions, n_rows, index, "predictions")
    if kind is None:
        kind = _infer_kind(values)
    if kind == "probabilities":
        values, names = _probabilities(as_floats(values).copy().reshape(-1, 1), n_rows, None, classes)
        return _Predictions("probabilities", values, _most_probable(values), names, name)
    if kind == "values":
        if is_categorical(values) and not _all_bool(values):
            raise ValueError(
                "kind='values' needs numbers, got labels (text or categories): use kind='labels'."
            )
        return _Predictions("values", as_floats(values).copy(), None, None, name)
    codes, found = factorize(values)
    if classes is None:
        return _Predictions("labels", None, codes, list(found), name)
    classes = list(classes)
    lookup = {c: i for i, c in enumerate(classes)}
    unknown = [c for c in found if c not in lookup]
    if unknown and not unseen_classes:
        raise ValueError(f"predictions hold labels that are not in classes: {unknown[:5]}.")
    remap = np.array([lookup.get(c, -2) for c in found] + [-1], dtype=np.int64)
    return _Predictions("labels", None, remap[codes], classes, name)


def _infer_kind(values) -> str:
    dtype = getattr(values, "dtype", None)
    if getattr(dtype, "kind", None) in ("i", "u") and type(dtype).__name__ != "CategoricalDtype":
        raise ValueError(
            "Integer predictions could be class labels or counts: pass kind='labels' (a classifier's "
            "predict) or kind='values' (numbers to average)."
        )
    return "labels" if is_categorical(values) else "values"


def _probabilities(predictions, n_rows, index, classes):
    if is_dataframe(predictions):
        if index is not None and not predictions.index.equals(index):
            aligned, _ = per_row_values(predictions.iloc[:, 0], n_rows, index, "predictions")
            predictions = predictions.reindex(aligned.index)
        names = list(predictions.columns) if classes is None else list(classes)
        values = predictions.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(predictions, dtype=np.float64)
        names = list(classes) if classes is not None else list(range(values.shape[1]))
    if values.ndim != 2 or values.shape[0] != n_rows:
        raise ValueError(f"probabilities must be one row per row of X ({n_rows}), got shape {values.shape}.")
    if values.shape[1] == 1:  # one probability: of the positive class, against the rest
        values = np.column_stack([1.0 - values[:, 0], values[:, 0]])
        names = [False, True] if classes is None else list(classes)
    if len(names) != values.shape[1]:
        raise ValueError(f"classes names {len(names)} classes for {values.shape[1]} probability columns.")
    finite = values[np.isfinite(values)]
    if finite.size and (finite.min() < 0 or finite.max() > 1):
        raise ValueError(
            "probabilities must lie in [0, 1]; for scores or logits pass one column at a time with "
            "kind='values'."
        )
    return values, names


def _most_probable(values) -> np.ndarray:
    """Per row the most probable class (the first of equals); -1 where a probability is missing."""
    valid = np.isfinite(values).all(axis=1)
    return np.where(valid, np.argmax(np.where(np.isfinite(values), values, -1.0), axis=1), -1)


class _PlaneOnMap:
    """What :func:`~somnium.clustering.cluster_map` reads of a model, with a plane as prototypes."""

    def __init__(self, lattice, plane):
        self.lattice_ = lattice
        self.normalized_codebook_ = np.asarray(plane, dtype=np.float64)


# ------------------------------------------------------------------------------------ helpers
def _check_bmu(bmu, n_rows, n_nodes) -> np.ndarray:
    bmu = np.asarray(bmu)
    if bmu.ndim != 1 or bmu.shape[0] != n_rows:
        raise ValueError(f"bmu must hold one node index per row ({n_rows}), got shape {bmu.shape}.")
    if bmu.size and bmu.dtype.kind not in "iu":
        raise ValueError(f"bmu must hold integer node indices, got dtype {bmu.dtype}.")
    if bmu.size and (bmu.min() < 0 or bmu.max() >= n_nodes):
        raise ValueError(f"bmu must be node indices 0 to {n_nodes - 1} (the map has {n_nodes} nodes).")
    return bmu.astype(np.int64, copy=False)


def _all_bool(values) -> bool:
    return getattr(getattr(values, "dtype", None), "kind", None) == "b"


def _weighted_mean(values, weights) -> np.ndarray:
    """Column means of ``values`` (rows: nodes) weighted by ``weights``, NaN entries left out."""
    defined = np.isfinite(values)
    w = np.where(defined, np.asarray(weights, dtype=np.float64)[:, None], 0.0)
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.where(defined, values, 0.0) * w).sum(axis=0) / total, np.nan)


def _class_of(codes, classes) -> np.ndarray:
    lookup = np.empty(len(classes) + 1, dtype=object)
    lookup[: len(classes)] = list(classes)
    lookup[-1] = None
    codes = np.asarray(codes, dtype=np.int64)
    return lookup[np.where(codes >= 0, codes, len(classes))]


def _mean_probabilities(values, bmu, n_nodes):
    """Per class and node the mean probability over the rows with a full probability row."""
    valid = np.isfinite(values).all(axis=1)
    counts = np.bincount(bmu[valid], minlength=n_nodes)
    check_size(values.shape[1] * n_nodes, "The per-node mean probabilities")
    sums = np.stack(
        [np.bincount(bmu[valid], weights=values[valid, j], minlength=n_nodes) for j in range(values.shape[1])]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan), counts


def _neighbourhoods(lattice, radius: int) -> np.ndarray:
    """``(n_nodes, K)`` the nodes at most ``radius`` steps from each node (itself first), ``-1`` padded."""
    from scipy import sparse

    n = lattice.n_nodes
    step = lattice.adjacency_matrix().astype(bool) + sparse.identity(n, dtype=bool, format="csr")
    reach = step
    for _ in range(radius - 1):
        reach = (reach @ step).astype(bool)
    reach = sparse.csr_array(reach)
    sizes = np.diff(reach.indptr)
    width = int(sizes.max())
    table = np.full((n, width), -1, dtype=np.int64)
    rows = np.repeat(np.arange(n), sizes)
    slots = np.arange(reach.indices.size) - np.repeat(reach.indptr[:-1], sizes)
    table[rows, slots] = reach.indices
    return table


def _local_association(planes, target, weights, members):
    """Hit-weighted correlation and slope of every plane with ``target`` over each row of ``members``.

    ``members`` (n, K) node indices (-1 padded); ``target`` NaN where a node has no prediction (its
    weight is 0 then).  Two passes per neighbourhood (means first), in blocks of bounded memory.
    """
    n, width = members.shape
    d = planes.shape[1]
    association = np.full((n, d), np.nan)
    slope = np.full((n, d), np.nan)
    usable = np.where(np.isfinite(target) & (weights > 0), weights, 0.0)
    target = np.where(usable > 0, target, 0.0)
    step = max(1, _BLOCK_VALUES // max(width * d, 1))
    for start in range(0, n, step):
        idx = members[start : start + step]
        w = np.where(idx >= 0, usable[np.maximum(idx, 0)], 0.0)  # (b, K)
        total = w.sum(axis=1)
        enough = (w > 0).sum(axis=1) >= 3
        if not enough.any():
            continue
        idx, w, total = idx[enough], w[enough], total[enough]
        t = target[np.maximum(idx, 0)]
        # nodes of weight 0 (padding, no prediction) may hold NaN (no rows): they must not reach the sums
        x = np.where((w > 0)[:, :, None], planes[np.maximum(idx, 0)], 0.0)  # (b, K, d)
        w = w / total[:, None]
        dt = t - np.einsum("bk,bk->b", w, t)[:, None]
        dx = x - np.einsum("bk,bkd->bd", w, x)[:, None, :]
        wdt = w * dt
        cov = np.einsum("bk,bkd->bd", wdt, dx)
        var_t = np.einsum("bk,bk->b", wdt, dt)
        var_x = np.einsum("bk,bkd,bkd->bd", w, dx, dx)
        # what varies by less than rounding of its own size is constant here
        flat_t = var_t <= (1e-12 * np.abs(t).max(axis=1)) ** 2
        flat_x = var_x <= (1e-12 * np.abs(x).max(axis=1)) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov / np.sqrt(var_t[:, None] * var_x)
            b = cov / var_x
        r = np.where(flat_t[:, None] | flat_x, 0.0, np.clip(r, -1.0, 1.0))
        b = np.where(flat_x, np.nan, np.where(flat_t[:, None], 0.0, b))
        rows = np.flatnonzero(enough) + start
        association[rows] = r
        slope[rows] = b
    return association, slope
