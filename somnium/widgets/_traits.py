"""Trait types that validate and encode themselves, so no view encodes bytes by hand.

* :class:`FloatArray` / :class:`UIntArray`: a NumPy array held in Python, sent to the browser as
  ``{"dtype": "float32" | "float64" | "uint32", "shape": [...], "data": <little-endian bytes>}``
  (values in input units as float64: float32's 7 digits would flatten a column around 1e8).  ipywidgets
  lifts the bytes out of the message into a binary buffer and the front end puts them back as a
  ``DataView`` (decoded by ``widget_js/lib/binary.js``'s ``decodeArray``).
* :class:`NodeSelection`: a sorted list of unique node indices, checked against the owner's
  ``n_nodes``.
* :class:`BrowserWrites`: what the front end may write.  A widget names the traits its front end
  edits (``_browser_traits``: a map's colour and brush mode, a selection's nodes); a message that
  writes any other trait is refused whole, and a value that fails validation is rolled back, with
  the front end put back on Python's values either way.  So wire-only traits (feature names, layer
  info, geometry, ...) hold only what Python wrote, and Python never reads a browser-written value.
"""

from __future__ import annotations

import numpy as np
import traitlets

from .._validation import check_nodes

__all__ = ["BrowserWrites", "FloatArray", "NodeSelection", "TraitValueError", "UIntArray", "check_text"]


def check_text(text: str, what: str) -> str:
    """``text`` if it can travel to a browser: it must encode as UTF-8 (no lone surrogates).

    A kernel's message packer and the browser's decoder both fail on a lone surrogate, so text
    that holds one is refused where it enters a view, with the reason.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"{what} {text!r}, which is not valid Unicode text: it holds {error.object[error.start : error.end]!r}, "
            f"half of a surrogate pair, at position {error.start}, which no browser message can carry."
        ) from None
    return text


class TraitValueError(traitlets.TraitError, ValueError):
    """A bad value for a trait: a ``TraitError`` (so a browser message's changes roll back) that is
    also the ``ValueError`` Python callers have always caught."""


class BrowserWrites:
    """Mixin of a widget whose front end may write only the traits in ``_browser_traits``.

    ``set_state`` is the call ipywidgets makes for a front end's message.  A message naming any
    other trait is refused whole with a :class:`traitlets.TraitError`; a value that fails
    validation raises its ``TraitError`` after the held changes rolled back.  Either way the front
    end is sent Python's current values of the traits it tried to write.

    Messages are handled under :meth:`_message_lock` when it gives one: ipykernel >= 7.4 hands each
    comm's messages to the thread of the subshell that last used that comm, so one gesture's two
    messages (a selection's nodes, then its view's request) can be handled at the same time in two
    threads, and an observer of the first could finish last and report a stale state.  Widgets that
    share a selection share its lock, so their messages (and the observers they set off) run one at
    a time, in the order the threads take the lock.
    """

    _browser_traits: tuple = ()

    def _message_lock(self):
        """The lock this widget's front-end messages are handled under, or None."""
        return None

    def _handle_msg(self, msg):
        lock = self._message_lock()
        if lock is None:
            return super()._handle_msg(msg)
        with lock:
            return super()._handle_msg(msg)

    def set_state(self, sync_data):
        refused = sorted(name for name in sync_data if name not in self._browser_traits)
        if refused:
            self._resync(sync_data)
            allowed = ", ".join(self._browser_traits) or "nothing"
            raise traitlets.TraitError(
                f"The front end may not write {', '.join(map(str, refused))} of {type(self).__name__} "
                f"(it may write {allowed}); the message was ignored."
            )
        try:
            super().set_state(sync_data)
        except traitlets.TraitError:
            self._resync(sync_data)
            raise
        except Exception as error:  # a malformed message (e.g. a value its decoder cannot read)
            self._resync(sync_data)
            raise traitlets.TraitError(
                f"The front end sent values {type(self).__name__} cannot read ({type(error).__name__}: "
                f"{error}); the message was ignored."
            ) from None

    def _resync(self, names) -> None:
        """Send the front end Python's values of ``names`` (after a refused or rolled-back message)."""
        known = [name for name in names if name in self.keys]
        if known:
            self.send_state(known)


class _BinaryArray(traitlets.TraitType):
    """A NumPy array of one wire dtype; ``None`` stands for "nothing to send" (an empty array)."""

    wire_dtype: str = ""
    wire_dtypes: tuple = ()
    kind = "an array"

    def __init__(self, default_value=None, wire_dtype: str | None = None, **kwargs):
        super().__init__(default_value=default_value, allow_none=True, **kwargs)
        if wire_dtype is not None:
            if wire_dtype not in self.wire_dtypes:
                raise ValueError(f"wire_dtype must be one of {self.wire_dtypes}, got {wire_dtype!r}.")
            self.wire_dtype = wire_dtype
        self.metadata.setdefault("to_json", self._to_json)
        self.metadata.setdefault("from_json", self._from_json)

    def validate(self, obj, value):
        if value is None:
            return None
        try:
            array = np.asarray(value)
        except Exception:  # anything that is not array-like
            self.error(obj, value)
        return self._cast(obj, array)

    def _cast(self, obj, array):
        raise NotImplementedError

    def _to_json(self, value, widget):
        if value is None:
            return {"dtype": self.wire_dtype, "shape": [0], "data": b""}
        array = np.ascontiguousarray(value, dtype=np.dtype(self.wire_dtype).newbyteorder("<"))
        return {"dtype": self.wire_dtype, "shape": list(array.shape), "data": array.tobytes()}

    def _from_json(self, value, widget):
        if value is None:
            return None
        data = np.frombuffer(bytes(value["data"]), dtype=np.dtype(self.wire_dtype).newbyteorder("<"))
        return data.reshape(value["shape"])


class FloatArray(_BinaryArray):
    """Real numbers, sent as float32 or, with ``wire_dtype="float64"``, every digit (NaN stays NaN:
    it means "no value")."""

    wire_dtype = "float32"
    wire_dtypes = ("float32", "float64")
    info_text = "an array of real numbers"

    def _cast(self, obj, array):
        if array.dtype.kind not in "biuf":
            raise traitlets.TraitError(
                f"{self.name} must hold real numbers, got an array of dtype {array.dtype}."
            )
        return array.astype(np.float64, copy=False)


class UIntArray(_BinaryArray):
    """Non-negative integers (counts, indices), sent as uint32."""

    wire_dtype = "uint32"
    wire_dtypes = ("uint32",)
    info_text = "an array of non-negative integers"

    def _cast(self, obj, array):
        if array.size == 0:
            return array.astype(np.int64)
        if array.dtype.kind not in "iu":
            raise traitlets.TraitError(
                f"{self.name} must hold integers, got an array of dtype {array.dtype}."
            )
        if array.min() < 0 or array.max() > np.iinfo(np.uint32).max:
            raise traitlets.TraitError(f"{self.name} must hold integers between 0 and 2**32 - 1.")
        return array.astype(np.int64, copy=False)


class NodeSelection(traitlets.TraitType):
    """A list of node indices, stored sorted and without duplicates.

    Accepts any iterable of integers (a list, a set, a NumPy array); repeated
    indices are collapsed (selecting a node twice selects it).  Indices outside
    ``0 .. n_nodes - 1`` of the owner (its ``n_nodes`` attribute), booleans and
    non-integers are rejected with a :class:`traitlets.TraitError` that names
    the bad value (the wording of :func:`somnium._validation.check_nodes`).
    """

    default_value: list = []
    info_text = "a list of node indices"

    def validate(self, obj, value):
        try:
            return check_nodes(value, obj.n_nodes, self.name).tolist()
        except (ValueError, TypeError) as error:
            raise traitlets.TraitError(str(error)) from None
