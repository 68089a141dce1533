"""Dask input: batch training, prediction, metrics and the views' rows on Dask arrays and DataFrames.

Imported only when Dask input arrives (importing :mod:`somnium` never imports Dask).  Three modules,
one job each:

- :mod:`somnium.dask.passes`: a pass over the partitions as one low-level graph (a task per
  partition summed up a tree of :data:`~somnium.dask.passes.SPLIT_EVERY` children), the client and
  cluster failures, and :class:`DaskData`, the engine's ``TrainingData`` interface over partitions;
- :mod:`somnium.dask.fit`: the input checks and a first fit's normaliser and initial state by
  reductions (:func:`prepare_fit`; :func:`prepare` for a fitted model's predict and metrics);
- :mod:`somnium.dask.rows`: :class:`DaskRows`, the rows protocol (:mod:`somnium._rows`) for the views
  and Segments, plus lazy selections, segment labels and samples.

The active ``distributed.Client`` is used when there is one, Dask's default scheduler otherwise.
"""

try:  # the dask library: absolute imports, since this package's own name is "dask" too
    import dask as _dask  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised by hiding the library
    raise ImportError(
        "Dask input needs Somnium's optional 'dask' extra: pip install 'somnium-som[dask]' "
        "(installs dask[array,dataframe] and distributed, 2025.1 or newer)."
    ) from error

from .fit import prepare, prepare_fit
from .passes import ClusterError, DaskData, active_client
from .rows import DaskRows, rows_of_nodes, sample_rows, segment_labels

__all__ = [
    "ClusterError",
    "DaskData",
    "DaskRows",
    "active_client",
    "prepare",
    "prepare_fit",
    "rows_of_nodes",
    "sample_rows",
    "segment_labels",
]
