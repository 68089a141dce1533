"""ComponentPlanes: one small hex map per feature, all on the shared selection.

Each plane shows a feature's prototype values (``model.codebook_``, input units) on the map's
lattice, drawn by the same HexMap component as :class:`~somnium.widgets.MapView`; a click, brush or
lasso on any plane edits the shared :class:`~somnium.widgets.Selection` exactly as on the map.
"""

from __future__ import annotations

import numpy as np
import traitlets
from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
from scipy.spatial.distance import squareform

from .._validation import check_int, check_option
from ._base import STATIC_DIR, SomniumWidget
from ._traits import FloatArray

__all__ = ["ComponentPlanes", "similarity_order"]

ORDERS = ("similarity", "input")


def column_planes(model) -> dict[str, list[str]]:
    """The planes of each column of the table ``model`` was fit on (empty without one).

    A numeric column has one plane, its own name; a categorical one (``categorical="onehot"``) one
    per category, ``"column=value"``, in :meth:`SOM.feature_names` order.
    """
    names = list(model.feature_names())
    try:
        columns = [str(c) for c in model.feature_names_in_]
    except AttributeError:  # fit on an array
        return {}
    planes, position = {}, 0
    for column in columns:
        if position < len(names) and names[position] == column:
            planes[column], position = [column], position + 1
            continue
        start = position
        while position < len(names) and names[position].startswith(f"{column}="):
            position += 1
        planes[column] = names[start:position]
    return planes


def plane_weights(model) -> np.ndarray | None:
    """The distance weight of each plane (``model.feature_weights`` of its column), None if all are 1."""
    weights = model.feature_weights
    if weights is None:
        return None
    planes = column_planes(model) or {name: [name] for name in model.feature_names()}
    if isinstance(weights, dict):
        per_column = [float(weights.get(column, 1.0)) for column in planes]
    else:
        per_column = [float(w) for w in np.asarray(weights, dtype=np.float64).ravel()]
    return np.repeat(per_column, [len(names) for names in planes.values()])


def similarity_order(values: np.ndarray) -> np.ndarray:
    """Order of the columns of ``values`` that puts correlated planes next to each other.

    The rule: the distance between two planes is ``1 - |r|``, with ``r`` the Pearson correlation
    of their prototype values across nodes (a constant plane is at distance 1 from every other);
    the planes are clustered hierarchically (average linkage) and read off in the leaf order that
    SciPy's ``optimal_leaf_ordering`` gives, which minimises the sum of distances between
    neighbours among the orders the tree allows.  Strongly related planes, positively or
    negatively, therefore sit side by side.  Deterministic for given values.

    Parameters
    ----------
    values : ndarray, shape (n_nodes, n_planes)

    Returns
    -------
    ndarray of int
        A permutation of ``range(n_planes)``.
    """
    n_planes = values.shape[1]
    if n_planes < 3:
        return np.arange(n_planes)
    distance = plane_distances(values)
    condensed = squareform(distance, checks=False)
    tree = optimal_leaf_ordering(linkage(condensed, method="average"), condensed)
    return leaves_list(tree).astype(np.int64)


def plane_distances(values: np.ndarray) -> np.ndarray:
    """``1 - |r|`` between every pair of columns (1 where a column is constant)."""
    centred = values - values.mean(axis=0)
    norms = np.sqrt((centred**2).sum(axis=0))
    constant = norms == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(constant, 0.0, centred / np.where(constant, 1.0, norms))
    correlation = np.clip(scaled.T @ scaled, -1.0, 1.0)
    distance = 1.0 - np.abs(correlation)
    distance[constant, :] = 1.0
    distance[:, constant] = 1.0
    np.fill_diagonal(distance, 0.0)
    return distance


class ComponentPlanes(SomniumWidget):
    """A grid of component planes: one small hex map per feature, linked to the shared selection.

    Parameters
    ----------
    model : SOM
        A fitted model.
    features : list of str, optional
        Which features to show (default: all, as ``model.feature_names()``); a categorical column of
        the table (``categorical="onehot"``) stands for its planes, ``"column=value"`` per category.
    selection : Selection, optional
        The selection to show and edit, shared with other views; a new one by default.
    shared_scale : bool, default False
        False: each plane has its own colour scale, in the feature's units.  True: every plane
        is coloured by z-score (``(value - mean over nodes) / std over nodes``) on one common
        scale, so planes can be compared with each other.
    order : {"similarity", "input"}, default "similarity"
        ``"similarity"`` puts planes whose prototypes correlate next to each other (see
        :func:`similarity_order`); ``"input"`` keeps the order of ``features``.
    columns : int, optional
        Planes per row (default: as many as fit the width).
    segments : Segments, optional
        Named segments to show (see :meth:`show_segments`): a "Segments" plane in the segment
        colours comes first, boundaries are drawn on every plane (the feature planes keep their
        value colours), and a legend names the segments.

    Attributes
    ----------
    features : list of str
        The features in the order shown.
    selected : list of int
        Shortcut of ``selection.nodes``.

    Examples
    --------
    >>> planes = ComponentPlanes(model, selection=view.selection)  # doctest: +SKIP
    """

    _esm = STATIC_DIR / "component_planes.js"
    _css = STATIC_DIR / "component_planes.css"

    shared_scale = traitlets.Bool(False).tag(sync=True)
    columns = traitlets.Int(0, min=0).tag(sync=True)  # 0: as many as fit
    brush_mode = traitlets.Enum(("rectangle", "lasso"), "rectangle").tag(sync=True)
    _feature_names = traitlets.List(traitlets.Unicode()).tag(sync=True)  # in display order
    _values = FloatArray().tag(sync=True)  # (n_planes, n_nodes), input units, display order

    def __init__(
        self,
        model,
        features=None,
        selection=None,
        shared_scale: bool = False,
        order: str = "similarity",
        columns: int | None = None,
        segments=None,
    ):
        names = list(model.feature_names())  # raises ModelNotTrainedError on an unfitted model
        chosen = self._check_features(features, names, column_planes(model))
        order = check_option(order, ORDERS, "order")
        columns = 0 if columns is None else check_int(columns, "columns", minimum=1)
        codebook = np.asarray(model.codebook_, dtype=np.float64)[:, [names.index(f) for f in chosen]]
        permutation = similarity_order(codebook) if order == "similarity" else np.arange(len(chosen))
        self._order = order
        super().__init__(
            model,
            selection=selection,
            shared_scale=bool(shared_scale),
            columns=columns,
            _feature_names=[chosen[i] for i in permutation],
            _values=codebook[:, permutation].T,
        )
        if segments is not None:
            self.show_segments(segments)

    @staticmethod
    def _check_features(features, names, planes=None):
        if features is None:
            return names
        if isinstance(features, str):
            features = [features]
        planes = planes or {}
        # A categorical column of the table stands for its planes ("island": "island=Biscoe", ...).
        chosen = [
            p for f in map(str, features) for p in (planes[f] if f not in names and f in planes else [f])
        ]
        unknown = [f for f in chosen if f not in names]
        if unknown:
            raise ValueError(f"Unknown feature {unknown[0]!r}; the model's features are {names}.")
        if len(set(chosen)) != len(chosen):
            raise ValueError("features lists a feature twice.")
        if not chosen:
            raise ValueError("features is empty: give at least one feature (or None for all).")
        return chosen

    @property
    def features(self) -> list[str]:
        """The features in the order shown."""
        return list(self._feature_names)

    @property
    def order(self) -> str:
        """How the planes were ordered: ``"similarity"`` or ``"input"``."""
        return self._order

    @property
    def values(self) -> np.ndarray:
        """The planes' prototype values, shape (n_planes, n_nodes), in :attr:`features` order."""
        return self._values.copy()
