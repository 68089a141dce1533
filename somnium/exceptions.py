"""Exceptions raised by Somnium.

Every exception derives from :class:`SomniumError` and from the builtin a
generic handler would expect (``ValueError`` for bad input, ...), so both
``except somnium.exceptions.InvalidValuesInDataSet`` and ``except ValueError``
catch it.
"""

import os
import sys
import threading
import warnings
from contextlib import contextmanager

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
_thread = threading.local()  # .origin: where the user asked for the work this thread does


def _first_outside(frame):
    """The first frame from ``frame`` outward whose code is not Somnium's (the outermost one at
    the bottom of the stack), and how many frames were skipped."""
    skipped = 0
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, skipped = frame.f_back, skipped + 1
    return frame, skipped


def caller_origin() -> tuple:
    """Where the user called Somnium from (file, line, module globals), for a thread Somnium starts
    on their behalf: its warnings are reported there (:func:`reported_at`)."""
    frame, _ = _first_outside(sys._getframe(1))
    return frame.f_code.co_filename, frame.f_lineno, frame.f_globals


@contextmanager
def reported_at(origin: tuple):
    """Within this thread, :func:`warn` reports at ``origin`` (a :func:`caller_origin`): a thread's
    own stack holds no line of the user's."""
    previous = getattr(_thread, "origin", None)
    _thread.origin = origin
    try:
        yield
    finally:
        _thread.origin = previous


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointing at the first caller outside Somnium, whatever the route in
    (a method, ``fit_auto``, a widget, the Dask layer): the line a user wrote, so that the default
    filters show it once per line of theirs. (Python 3.12's ``skip_file_prefixes``, on 3.11 too.)
    In a thread Somnium started for the user (a training monitor's fit), the line that started it,
    unless the user's own code (a callback) is on that thread's stack."""
    frame, skipped = _first_outside(sys._getframe(1))
    origin = getattr(_thread, "origin", None)
    if origin is not None and frame.f_globals.get("__name__") == "threading":
        filename, lineno, module_globals = origin
        warnings.warn_explicit(
            message,
            category,
            filename,
            lineno,
            module=module_globals.get("__name__"),
            registry=module_globals.setdefault("__warningregistry__", {}),
            module_globals=module_globals,
        )
        return
    warnings.warn(message, category, stacklevel=2 + skipped)
