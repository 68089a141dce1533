"""Interactive JupyterLab views of a fitted SOM (anywidget).

>>> from somnium.widgets import MapView  # doctest: +SKIP
>>> view = MapView(model, data=df, color="umatrix")  # doctest: +SKIP
"""

from .map_view import MapView
from .training_monitor import TrainingMonitor

__all__ = ["MapView", "TrainingMonitor"]
