"""Interactive JupyterLab views of a fitted SOM (anywidget), linked through one shared selection.

>>> from somnium.widgets import MapView  # doctest: +SKIP
>>> view = MapView(model, data=df, color="umatrix")  # doctest: +SKIP
"""

from .component_planes import ComponentPlanes
from .map_view import MapView
from .selection import Selection

__all__ = ["ComponentPlanes", "MapView", "Selection"]
