"""The rows every view filters and summarises: the rows protocol of :mod:`somnium._rows`, for the views.

:func:`rows_for` chooses, once, between rows in memory (:class:`RowIndex`) and Dask rows
(:class:`somnium.dask.DaskRows`); the views only call the protocol (:class:`Rows`).  The protocol
lives outside the widgets because :class:`~somnium.segments.Segments` uses it too.
"""

from .._rows import BMU_WITH_DASK, RowIndex, Rows, model_features, rows_for, sample_rows
from ..exceptions import DaskRowsError

__all__ = ["BMU_WITH_DASK", "DaskRowsError", "RowIndex", "Rows", "model_features", "rows_for", "sample_rows"]


def __getattr__(name):
    if name == "DaskRows":  # imported on demand: importing the views never imports Dask
        from ..dask import DaskRows

        return DaskRows
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
