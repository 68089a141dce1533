"""SurrogateView: a black-box model's predictions on the interactive map (``SurrogateMap.view()``).

A :class:`~somnium.widgets.MapView` of the surrogate's rows with two more layers, the prediction
(the mean per node; the most frequent class and its share, or mean probability) and the
disagreement (how far the node's rows stray from it), and the drivers of the prediction
(:meth:`somnium.explain.SurrogateMap.drivers`): the hovered node's in its hover card, the selected
nodes' (weighted by their rows) under the map.  Everything is computed by the surrogate; the view
only shows it.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from .map_view import MapView, _Layer

__all__ = ["SurrogateView"]

#: how many drivers of the selected nodes the panel under the map lists
SELECTED_DRIVERS = 5


class SurrogateView(MapView):
    """A surrogate map: prediction and disagreement layers, and the drivers of hovered and selected nodes.

    Parameters
    ----------
    surrogate : SurrogateMap
        The model's predictions on the map (:class:`somnium.explain.SurrogateMap`).
    color : str, default "prediction"
        The first layer shown: ``"prediction"``, ``"disagreement"`` or any layer of a MapView of
        the surrogate's rows (a feature, a column, ``"hits"``...).
    radius : int, default 1
        Neighbourhood of the drivers (steps on the map).
    top_k : int, default 3
        Drivers listed in the hover card.
    brush_mode, selection, segments
        As for :class:`~somnium.widgets.MapView`.

    Attributes
    ----------
    surrogate : SurrogateMap
    selected_drivers : pandas.DataFrame or None
        The drivers of the selected nodes (see :meth:`SurrogateMap.drivers`); None without a selection.

    Examples
    --------
    >>> view = SurrogateMap(model, X, clf.predict_proba(X)[:, 1]).view()  # doctest: +SKIP
    """

    def __init__(
        self,
        surrogate,
        color: str = "prediction",
        *,
        radius: int = 1,
        top_k: int = 3,
        brush_mode: str = "rectangle",
        selection=None,
        segments=None,
    ):
        self.surrogate = surrogate
        self.radius = check_int(radius, "radius", minimum=1)
        surrogate.local_associations(self.radius)  # checks the radius; the hover card needs them
        super().__init__(
            surrogate.model,
            surrogate.X,
            color=color,
            bmu=surrogate.bmu,
            top_k=top_k,
            brush_mode=brush_mode,
            selection=selection,
            segments=segments,
        )
        with self.hold_sync():
            self._top_title = f"Drivers of {surrogate.name} here (local r)"
            self._top_format = "r"
        self.observe(self._show_selected_drivers, "selected")
        self._show_selected_drivers()

    # -------------------------------------------------------------------------- layers
    def _register_layers(self, model):
        surrogate = self.surrogate
        layers = self._layers
        prediction = surrogate.layer
        if surrogate.kind == "values":
            label = f"{surrogate.name} (mean of rows)"
            spread = f"Disagreement (RMS of {surrogate.name} around the node's mean)"
        else:
            label = (
                f"{surrogate.name} (most {'probable' if surrogate.kind == 'probabilities' else 'frequent'})"
            )
            spread = "Disagreement (share of rows of another class)"
        disagreement = surrogate.disagreement
        # first in the menu; a feature or column of the same name gets a prefixed key from MapView
        layers["prediction"] = _Layer(label, lambda: prediction)
        layers["disagreement"] = _Layer(spread, lambda: disagreement)
        super()._register_layers(model)

    def _standouts(self, codebook, top_k):
        """The hover card's features: each node's strongest drivers and their local correlation."""
        return self.surrogate.top_drivers(int(top_k), radius=self.radius)

    # -------------------------------------------------------------------------- drivers
    @property
    def selected_drivers(self):
        """The drivers of the selected nodes, strongest first (None without a selection)."""
        nodes = self.selected
        if not nodes:
            return None
        return self.surrogate.drivers(nodes, radius=self.radius)

    def _show_selected_drivers(self, change=None):
        table = self.selected_drivers
        if table is None:
            self._details = {}
            return
        shown = table.dropna(subset=["association"]).head(SELECTED_DRIVERS)
        rows = [[str(feature), _driver_text(row.association, row.slope)] for feature, row in shown.iterrows()]
        n = len(self.selected)
        title = f"Drivers of {self.surrogate.name} in the {n} selected node{'s' if n != 1 else ''} (local r)"
        self._details = {"title": title if rows else f"{title}: too few nodes with rows around", "rows": rows}


def _driver_text(association, slope) -> str:
    sign = "+" if association >= 0 else "−"
    text = f"r {sign}{abs(association):.2f}"
    if np.isfinite(slope):
        text += f" · slope {slope:+.3g}".replace("-", "−")
    return text
