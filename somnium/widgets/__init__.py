"""Interactive JupyterLab views of a fitted SOM (anywidget), linked through one shared selection.

>>> from somnium.widgets import Explorer  # doctest: +SKIP
>>> explorer = Explorer(model, df)  # map + component planes + profile, one selection  # doctest: +SKIP
>>> explorer.selected_rows  # doctest: +SKIP
>>> explorer.to_html("explorer.html")  # one standalone page, offline  # doctest: +SKIP
"""

from ._export import to_html
from .component_planes import ComponentPlanes
from .explorer import Explorer
from .map_view import MapView
from .segment_profile import SegmentProfile
from .selection import Selection
from .surrogate_view import SurrogateView
from .training_monitor import TrainingMonitor

__all__ = [
    "ComponentPlanes",
    "Explorer",
    "MapView",
    "SegmentProfile",
    "Selection",
    "SurrogateView",
    "TrainingMonitor",
    "to_html",
]
