"""Exceptions raised by Somnium.

Every exception derives from :class:`SomniumError` and from the builtin a
generic handler would expect (``ValueError`` for bad input, ...), so both
``except somnium.exceptions.InvalidValuesInDataSet`` and ``except ValueError``
catch it.
"""

import os
import sys
import warnings

__all__ = [
    "ClusterError",
    "DaskRowsError",
    "ExportTooLargeError",
    "FitInProgressError",
    "InvalidValuesInDataSet",
    "LatticeTypeNotFound",
    "ModelFileError",
    "ModelNotTrainedError",
    "NeighborhoodFunctionNotFound",
    "NormalizationFunctionNotFound",
    "SomniumError",
    "UnknownOptionError",
]


class SomniumError(Exception):
    """Base class of every Somnium exception."""


class ModelNotTrainedError(SomniumError, ValueError, AttributeError):
    """The model must be fitted before this call (like scikit-learn's ``NotFittedError``)."""


class InvalidValuesInDataSet(SomniumError, ValueError):
    """The data contain NaN/inf, have the wrong shape or columns, or are empty."""


class UnknownOptionError(SomniumError, ValueError):
    """An option name is not one of the valid choices (the message lists them)."""


class LatticeTypeNotFound(UnknownOptionError):
    """Unknown lattice name."""


class NeighborhoodFunctionNotFound(UnknownOptionError):
    """Unknown neighbourhood function name."""


class NormalizationFunctionNotFound(UnknownOptionError):
    """Unknown normalization name."""


class ModelFileError(SomniumError, ValueError):
    """A file is not a Somnium model, is damaged, or comes from an unknown version."""


class FitInProgressError(SomniumError, RuntimeError):
    """A fit was started on a model that is already training (one fit per model at a time)."""


class ClusterError(SomniumError, RuntimeError):
    """The Dask cluster failed during a pass over the data (scheduler gone, workers lost for good).

    A fit keeps its last completed epoch; the original Dask error is chained as ``__cause__``.
    """


class DaskRowsError(SomniumError, ValueError):
    """What cannot be done with Dask rows without pulling every row (or every BMU) to the client.

    The message says what to do instead (a lazy equivalent, or computing a subset first).
    """


class ExportTooLargeError(SomniumError, ValueError):
    """What ``to_html(..., rows=...)`` asks to embed is more than a page holds (the message gives the limits)."""


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointing at the first caller outside Somnium, whatever the route in
    (a method, ``fit_auto``, a widget, the Dask layer): the line a user wrote, so that the default
    filters show it once per line of theirs. (Python 3.12's ``skip_file_prefixes``, on 3.11 too.)"""
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
