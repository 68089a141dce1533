"""ComponentPlanes: one small hex map per feature, all on the shared selection.

Each plane shows a feature's prototype values (``model.codebook_``, input units) on the map's
lattice, drawn by the same HexMap component as :class:`~somnium.widgets.MapView`; a click, brush or
lasso on any plane edits the shared :class:`~somnium.widgets.Selection` exactly as on the map.
"""

from __future__ import annotations

import numpy as np
import traitlets

from .._validation import check_int, check_option
from ..explain import PLANE_CORRELATION, plane_distances, plane_weights, similarity_order
from ._base import STATIC_DIR, SomniumWidget
from ._segments import SEGMENT_PALETTE
from ._traits import FloatArray

# similarity_order and plane_distances live in somnium.explain (feature_groups uses the same tree);
# they stay importable from here
__all__ = ["ComponentPlanes", "plane_distances", "similarity_order"]

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


def plane_feature_weights(model) -> np.ndarray | None:
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
        ``"similarity"`` puts planes whose prototypes correlate next to each other: the leaf order
        of the average-linkage tree of ``1 - |r|``, ``r`` the hit-weighted rank (Spearman)
        correlation of two planes over the nodes (:func:`somnium.explain.similarity_order`; the same
        tree as :func:`somnium.explain.feature_groups`); ``"input"`` keeps the order of ``features``.
    columns : int, optional
        Planes per row (default: as many as fit the width).
    segments : Segments, optional
        Named segments to show (see :meth:`show_segments`): a "Segments" plane in the segment
        colours comes first, boundaries are drawn on every plane (the feature planes keep their
        value colours), and a legend names the segments.
    groups : FeatureGroups or list of lists of str, optional
        Groups of features to outline (see :meth:`show_groups`), e.g.
        ``somnium.explain.feature_groups(model, 0.9)``.

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
    _values = FloatArray(wire_dtype="float64").tag(
        sync=True
    )  # (n_planes, n_nodes), input units, display order (all digits)
    _group_of = traitlets.List(traitlets.Int()).tag(sync=True)  # per plane (display order): group or -1
    _group_names = traitlets.List(traitlets.Unicode()).tag(sync=True)  # per group, for the hover card
    _group_colors = traitlets.List(traitlets.Unicode()).tag(sync=True)  # per group: frame "#rrggbb", "" none

    def __init__(
        self,
        model,
        features=None,
        selection=None,
        shared_scale: bool = False,
        order: str = "similarity",
        columns: int | None = None,
        segments=None,
        groups=None,
    ):
        names = list(model.feature_names())  # raises ModelNotTrainedError on an unfitted model
        chosen = self._check_features(features, names, column_planes(model))
        order = check_option(order, ORDERS, "order")
        columns = 0 if columns is None else check_int(columns, "columns", minimum=1)
        codebook = np.asarray(model.codebook_, dtype=np.float64)[:, [names.index(f) for f in chosen]]
        permutation = (
            similarity_order(codebook, plane_weights(model), PLANE_CORRELATION)
            if order == "similarity"
            else np.arange(len(chosen))
        )
        self._order = order
        super().__init__(
            model,
            selection=selection,
            shared_scale=bool(shared_scale),
            columns=columns,
            _feature_names=[chosen[i] for i in permutation],
            _values=codebook[:, permutation].T,
        )
        self._groups = None
        if segments is not None:
            self.show_segments(segments)
        if groups is not None:
            self.show_groups(groups)

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

    # ------------------------------------------------------------------ feature groups
    @property
    def groups(self) -> list[list[str]] | None:
        """The feature groups outlined (None when none)."""
        return None if self._groups is None else [list(g) for g in self._groups]

    def show_groups(self, groups) -> None:
        """Outline groups of features: a frame in one colour per group of two or more planes.

        The hover card of a plane names its group.  With ``order="similarity"`` the groups of
        :func:`somnium.explain.feature_groups` sit side by side (both read the same tree).

        Parameters
        ----------
        groups : FeatureGroups, list of lists of str, or None
            Disjoint groups of shown features (features in no group get no frame); None removes
            the frames.
        """
        if groups is None:
            self._groups = None
            with self.hold_sync():
                self._group_of, self._group_names, self._group_colors = [], [], []
            return
        shown = self.features
        checked = []
        seen = set()
        for group in groups:
            names = [group] if isinstance(group, str) else [str(name) for name in group]
            for name in names:
                check_option(name, shown, "feature", error=ValueError)
                if name in seen:
                    raise ValueError(f"Feature {name!r} is in two groups; groups must be disjoint.")
                seen.add(name)
            if names:
                checked.append(names)
        group_of = {name: i for i, names in enumerate(checked) for name in names}
        mean_r = getattr(groups, "mean_correlations", None)
        names, colors = [], []
        framed = 0
        for i, members in enumerate(checked):
            if len(members) == 1:
                names.append(f"Group {i + 1} (alone)")
                colors.append("")
                continue
            strength = ""
            if mean_r is not None and i < len(mean_r) and np.isfinite(mean_r[i]):
                strength = f", mean |r| {mean_r[i]:.2f}"
            names.append(f"Group {i + 1} ({len(members)} features{strength})")
            colors.append(SEGMENT_PALETTE[framed % len(SEGMENT_PALETTE)])
            framed += 1
        self._groups = checked
        with self.hold_sync():
            self._group_names = names
            self._group_colors = colors
            self._group_of = [group_of.get(name, -1) for name in shown]
