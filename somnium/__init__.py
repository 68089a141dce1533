"""Somnium: explore multi-dimensional data with Self-Organising Maps.

>>> from somnium import SOM
"""

__version__ = "0.3.0.dev0"

from . import exceptions
from .core import SOM, estimate_mapsize

__all__ = ["SOM", "__version__", "estimate_mapsize", "exceptions"]
