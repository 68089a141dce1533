"""Named segments of a map: which nodes, which rows, what they look like, as JSON.

A :class:`Segments` object holds named, disjoint sets of nodes of one fitted
map.  It labels rows by their best matching unit, profiles the segments on
any data with the training columns, and round-trips through JSON.

Names are free text (1 to 200 characters, any Unicode that can be written
as UTF-8: no lone surrogates) and are stored verbatim; views must show them as
text.  ``"(unassigned)"`` is reserved for the profile row of the rows whose
node is in no segment.

Segments remember the map they were made for: its lattice (rows, columns,
name, shifted rows) and its prototypes.  Views, :meth:`Segments.labels` and
:meth:`Segments.profile` refuse them for a map of another lattice (their node
numbers mean other places), and warn when the model was trained again since
(its prototypes moved, so rows may now fall on other nodes than when the
segments were drawn).  After checking them on the new map, keep them for it
with ``segments = Segments.from_dict(model, segments.to_dict())``.
"""

from __future__ import annotations

import html
import json
import zipfile
from pathlib import Path

import numpy as np

from ._rows import rows_for
from ._summaries import check_column_names
from ._validation import check_integers, check_nodes, check_option, is_dataframe, numeric_columns
from .exceptions import DaskRowsError, warn
from .persistence import _atomic_write, read_attachment

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_NAME_LENGTH",
    "UNASSIGNED",
    "Segments",
    "check_segments",
    "describe_lattice",
]

#: longest segment name, in characters
MAX_NAME_LENGTH = 200
#: largest JSON text :meth:`Segments.from_json` reads
MAX_JSON_BYTES = 10_000_000
#: the profile row of rows whose node belongs to no segment (not a valid segment name)
UNASSIGNED = "(unassigned)"

_FORMAT = "somnium.segments"
#: 2 adds the lattice's shifted rows (hexagonal maps); version 1 files were made when the odd rows were.
_VERSION = 2
_READ_VERSIONS = (1, 2)


class Segments:
    """Named, disjoint groups of nodes of a fitted map.

    Parameters
    ----------
    model : SOM
        A fitted map; node numbers refer to its lattice (row-major).

    Raises
    ------
    ModelNotTrainedError
        If the model is not fitted.

    Examples
    --------
    >>> from somnium import SOM
    >>> from somnium.datasets import make_blobs
    >>> model = SOM(mapsize=(4, 5), random_state=0).fit(make_blobs(200, 3, random_state=0), epochs=3)
    >>> segments = Segments(model)
    >>> segments.add("corner", [0, 1, 5])
    >>> segments.add("edge", [4, 9])
    >>> segments.names
    ['corner', 'edge']
    >>> segments.node_labels()[:6].tolist()
    [0, 0, -1, -1, 1, 0]
    """

    def __init__(self, model):
        self.model = model
        self.lattice = model.lattice_  # the model's own error when it is not fitted
        self.n_nodes = int(self.lattice.n_nodes)
        self._prototypes = model.normalized_codebook_  # the map state these segments describe
        self._warned_for = None  # the later state check_map last warned about
        self._nodes: dict[str, np.ndarray] = {}

    def check_map(self, lattice=None) -> None:
        """Check that these segments still describe their model's map (and fit ``lattice``, if given).

        Raises
        ------
        ValueError
            If the model's map, or ``lattice`` (a view's), is of another lattice than the one the
            segments were made for: their node numbers mean other places there.

        Warns
        -----
        UserWarning
            If the model was trained again since the segments were made (see the module notes);
            once per state of the model.
        """
        current = self.model.lattice_
        if current != self.lattice:
            raise ValueError(
                f"These segments were made for a {describe_lattice(self.lattice)} map, but the model is now "
                f"a {describe_lattice(current)} map: their node numbers mean other places there. Make "
                "segments of this map, e.g. Segments.from_clustering(model, cluster_map(model))."
            )
        if lattice is not None and lattice != self.lattice:
            raise ValueError(
                f"These segments are of a {describe_lattice(self.lattice)} map; this view shows a "
                f"{describe_lattice(lattice)} map."
            )
        prototypes = self.model.normalized_codebook_
        if not _same(prototypes, self._prototypes) and not _same(prototypes, self._warned_for):
            self._warned_for = prototypes  # once per state of the model, not at every call
            warn(
                "The model was trained again since these segments were made: its prototypes moved, so "
                "rows may now fall on other nodes than when the segments were drawn. Check them on the "
                "new map, then keep them for it with segments = Segments.from_dict(model, "
                "segments.to_dict()), or make new ones.",
                UserWarning,
            )

    # -------------------------------------------------------------- building
    @classmethod
    def from_clustering(cls, model, labels, names=None) -> Segments:
        """Segments from a node labelling such as :func:`somnium.clustering.cluster_map` returns.

        Parameters
        ----------
        model : SOM
        labels : array-like of int, shape (n_nodes,), or a ClusteringResult
            Segment ``0..k-1`` of every node, ``-1`` for none.
        names : sequence of str, optional
            Name of segment ``i`` at position ``i``; default ``"Segment 1"``,
            ``"Segment 2"``, ...  A label no node carries makes no segment.
        """
        segments = cls(model)
        labels = getattr(labels, "labels", labels)
        labels = check_integers(labels, "labels", minimum=-1)
        if labels.shape != (segments.n_nodes,):
            raise ValueError(
                f"labels must hold one label per node ({segments.n_nodes}), got {labels.shape[0]}."
            )
        k = int(labels.max()) + 1 if labels.size else 0
        if names is None:
            names = [f"Segment {i + 1}" for i in range(k)]
        else:
            names = list(names)
            if len(names) < k:
                raise ValueError(
                    f"names must name all {k} segments (labels go up to {k - 1}), got {len(names)}."
                )
        for i, name in enumerate(names):
            nodes = np.flatnonzero(labels == i)
            if nodes.size:
                segments.add(name, nodes)
        return segments

    def add(self, name: str, nodes) -> None:
        """Put ``nodes`` in segment ``name`` (created if new, extended if it exists).

        A node belongs to at most one segment: nodes that belonged to another
        segment move to this one, with a ``UserWarning`` naming the segments and
        how many nodes each lost; a segment left with no node is removed (the
        warning says so).

        Parameters
        ----------
        name : str
            1 to 200 characters; not ``"(unassigned)"``.
        nodes : iterable of int
            Node numbers in ``0..n_nodes-1`` (repeats are ignored); at least one.
        """
        name = _check_name(name)
        nodes = check_nodes(nodes, self.n_nodes)
        if nodes.size == 0:
            raise ValueError(f"Segment {name!r} needs at least one node; got none.")
        taken, emptied = [], []
        for other, owned in list(self._nodes.items()):
            if other == name:
                continue
            lost = np.isin(owned, nodes, assume_unique=True)
            if lost.any():
                taken.append(f"{int(lost.sum())} from {other!r}")
                self._nodes[other] = owned[~lost]
                if lost.all():
                    emptied.append(other)
                    del self._nodes[other]
        if name in self._nodes:
            nodes = np.union1d(self._nodes[name], nodes)
        self._nodes[name] = nodes
        if taken:
            message = f"Segment {name!r} took nodes already in other segments: {', '.join(taken)}."
            if emptied:
                message += f" Removed, left with no nodes: {', '.join(map(repr, emptied))}."
            warn(message, UserWarning)

    def from_selection(self, selection, name: str) -> None:
        """:meth:`add` the nodes of a selection (anything with a ``.nodes`` attribute, or an iterable).

        A :class:`~somnium.widgets.Selection` already shown on a map must be of this map's lattice.
        """
        lattice = getattr(selection, "lattice", None)
        if lattice is not None and lattice != self.lattice:
            raise ValueError(
                f"This selection is of a {describe_lattice(lattice)} map; these segments are of a "
                f"{describe_lattice(self.lattice)} map."
            )
        self.add(name, getattr(selection, "nodes", selection))

    def rename(self, old: str, new: str) -> None:
        """Rename segment ``old`` to ``new``, keeping its place in :attr:`names`."""
        self._require(old)
        new = _check_name(new)
        if new == old:
            return
        if new in self._nodes:
            raise ValueError(f"A segment named {new!r} already exists; remove or rename it first.")
        self._nodes = {(new if key == old else key): value for key, value in self._nodes.items()}

    def remove(self, name: str) -> None:
        """Delete segment ``name`` (its nodes become unassigned)."""
        self._require(name)
        del self._nodes[name]

    def merge(self, names, new_name: str) -> None:
        """Join the segments ``names`` into one called ``new_name``.

        The merged segment takes the place of the first of ``names`` in
        :attr:`names`.  ``new_name`` may be one of ``names`` or a new name.
        """
        if isinstance(names, str):
            names = [names]
        names = list(dict.fromkeys(names))
        if not names:
            raise ValueError("merge needs at least one segment name.")
        for name in names:
            self._require(name)
        new_name = _check_name(new_name)
        if new_name in self._nodes and new_name not in names:
            raise ValueError(f"A segment named {new_name!r} already exists and is not being merged.")
        joined = np.unique(np.concatenate([self._nodes[name] for name in names]))
        result = {}
        for key, value in self._nodes.items():
            if key == names[0]:
                result[new_name] = joined
            elif key not in names:
                result[key] = value
        self._nodes = result

    # -------------------------------------------------------------- reading
    @property
    def names(self) -> list[str]:
        """Segment names in insertion order."""
        return list(self._nodes)

    def nodes(self, name: str) -> np.ndarray:
        """Sorted node numbers (int64) of segment ``name``."""
        self._require(name)
        return self._nodes[name].copy()

    def node_labels(self) -> np.ndarray:
        """Per node: the position of its segment in :attr:`names`, ``-1`` when in none."""
        labels = np.full(self.n_nodes, -1, dtype=np.int64)
        for position, nodes in enumerate(self._nodes.values()):
            labels[nodes] = position
        return labels

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, name) -> bool:
        return name in self._nodes

    def __iter__(self):
        return iter(self.names)

    def __repr__(self) -> str:
        assigned = sum(len(nodes) for nodes in self._nodes.values())
        listing = ", ".join(f"{name!r} ({len(nodes)})" for name, nodes in self._nodes.items())
        return f"Segments({len(self)} segments, {assigned} of {self.n_nodes} nodes assigned" + (
            f": {listing})" if listing else ")"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{len(nodes)}</td></tr>"
            for name, nodes in self._nodes.items()
        )
        return (
            f"<table><caption>Segments of a {self.n_nodes}-node map</caption>"
            f"<thead><tr><th>segment</th><th>nodes</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    # -------------------------------------------------------------- rows
    def labels(self, data=None, bmu=None):
        """The segment of every row, as a pandas categorical Series (a lazy Dask Series for Dask rows).

        Parameters
        ----------
        data : DataFrame or array-like, or dask.dataframe.DataFrame or dask.array.Array, optional
            Rows to label.  Without ``bmu`` their nodes come from
            ``model.predict`` (of the training columns, for a DataFrame).
            The Series takes a DataFrame's (or Series') index, else a RangeIndex.
            Dask rows give a lazy Dask Series, computed partition-wise, with
            the DataFrame's index and partitions:
            ``ddf.assign(segment=segments.labels(ddf))`` lines up row by row.
        bmu : array-like of int, optional
            The node of every row, when already known (skips the prediction);
            not with Dask rows (``DaskRowsError``: they have no positions).

        Returns
        -------
        pandas.Series or dask.dataframe.Series
            Named ``"segment"``, categorical with the categories :attr:`names`
            in order; NaN for rows whose node is in no segment.
        """
        rows = self._rows(data, bmu)
        return rows.labels(self.node_labels(), self.names)

    def profile(self, data, bmu=None):
        """Size and summary statistics of every segment's rows.

        Parameters
        ----------
        data : DataFrame or array-like
            Rows to describe (numpy columns are named like the model's features).
        bmu : array-like of int, optional
            The node of every row; default ``model.predict`` (see :meth:`labels`).

        Returns
        -------
        pandas.DataFrame
            One row per segment in :attr:`names` order (segments with no rows
            included, with size 0), then ``"(unassigned)"`` when some rows fall
            on nodes in no segment.  Columns: ``size`` (rows), ``share`` (of all
            rows); for every numeric column ``<col>_mean`` and ``<col>_median``
            (NaN values skipped); for every categorical, string, object or
            boolean column ``<col>_top`` (the most frequent value; ties go to the
            first in the column's category order, or order of appearance) and
            ``<col>_top_share`` (its share of the segment's rows, missing values
            counted in the denominator).  Other columns (dates...) are left out.
        """
        import pandas as pd

        rows = self._rows(data, bmu)
        if rows.bmu is None:  # rows without positions (Dask): no per-row groups in memory
            raise DaskRowsError(
                "Segments.profile needs the rows in memory (its medians are not a reduction). For Dask rows "
                "profile the segments with SegmentProfile(model, ddf) or the Explorer, or group the "
                "labelled rows on the cluster: ddf.assign(segment=segments.labels(ddf)).groupby('segment')."
            )
        bmu, data = rows.bmu, rows.data
        frame = (
            data if is_dataframe(data) else pd.DataFrame(np.asarray(data), columns=self.model.feature_names())
        )
        n_rows = len(bmu)
        k = len(self)
        codes = self.node_labels()[bmu]
        codes[codes < 0] = k  # rows of unassigned nodes form group k
        n_groups = k + 1
        size = np.bincount(codes, minlength=n_groups)
        columns = {"size": size, "share": size / n_rows if n_rows else np.zeros(n_groups)}

        check_column_names(frame.columns)  # the profile's columns are named by text
        numeric = numeric_columns(frame)  # a boolean column is a category: its top value and share
        order, bounds = _group_slices(codes, n_groups)
        for column in frame.columns:
            series = frame[column]
            if column in numeric:
                values = series.to_numpy(dtype=np.float64, na_value=np.nan)
                columns[f"{column}_mean"], columns[f"{column}_median"] = _mean_and_median(
                    values, order, bounds, n_groups
                )
            elif _is_categorical_like(series.dtype):
                columns[f"{column}_top"], columns[f"{column}_top_share"] = _top_value(
                    series, codes, size, n_groups
                )
        index = pd.Index([*self.names, UNASSIGNED], dtype=object, name="segment")
        result = pd.DataFrame(columns, index=index)
        if size[k] == 0:
            result = result.iloc[:k]
        return result

    def _rows(self, data, bmu):
        """The rows to label or profile (the rows protocol: in memory, or lazily on Dask)."""
        if data is None and bmu is None:
            raise ValueError("Pass the rows (data) or their nodes (bmu=).")
        self.check_map()
        return rows_for(self.model, data, bmu)

    def _require(self, name) -> None:
        check_option(name, self._nodes, "segment")

    # -------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        """A JSON-ready description: format, version, the map's lattice and every segment.

        The lattice is identified by its rows, columns, name and, on hexagonal
        maps, which rows are shifted (:meth:`somnium.lattice.Lattice.to_dict`).
        """
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "n_nodes": self.n_nodes,
            "lattice": self.model.lattice_.to_dict(),
            "segments": [{"name": name, "nodes": nodes.tolist()} for name, nodes in self._nodes.items()],
        }

    @classmethod
    def from_dict(cls, model, description) -> Segments:
        """Segments of ``model`` from :meth:`to_dict`'s output, every field checked.

        Raises
        ------
        ValueError
            Naming the first problem: not a segments description, another
            version, a map of another lattice (rows, columns, name or shifted
            rows), a bad name, nodes that are not integers in range, or a node
            in two segments.
        """
        segments = cls(model)
        if not isinstance(description, dict):
            raise ValueError(
                f"Invalid segments data: expected a JSON object, got {type(description).__name__}."
            )
        if description.get("format") != _FORMAT:
            raise ValueError(f"Invalid segments data: 'format' must be {_FORMAT!r}.")
        version = description.get("version")
        if type(version) is not int or version not in _READ_VERSIONS:
            raise ValueError(
                f"Invalid segments data: unsupported version {version!r} (this Somnium reads "
                f"{', '.join(map(str, _READ_VERSIONS))})."
            )
        extra = set(description) - {"format", "version", "n_nodes", "lattice", "segments"}
        if extra:
            raise ValueError(f"Invalid segments data: unexpected fields {sorted(map(str, extra))}.")
        n_nodes = description.get("n_nodes")
        if type(n_nodes) is not int or n_nodes != segments.n_nodes:
            raise ValueError(
                f"Invalid segments data: made for a map of {n_nodes!r} nodes, but this model has {segments.n_nodes}."
            )
        _check_lattice(description.get("lattice"), model.lattice_, version)
        items = description.get("segments")
        if not isinstance(items, list):
            raise ValueError("Invalid segments data: 'segments' must be a list.")
        owner = np.full(segments.n_nodes, -1, dtype=np.int64)
        for position, item in enumerate(items):
            where = f"segments[{position}]"
            if not isinstance(item, dict) or set(item) != {"name", "nodes"}:
                raise ValueError(
                    f"Invalid segments data: {where} must be an object with exactly 'name' and 'nodes'."
                )
            try:
                name = _check_name(item["name"])
            except ValueError as error:
                raise ValueError(f"Invalid segments data: {where}: {error}") from None
            if name in segments._nodes:
                raise ValueError(f"Invalid segments data: {where}: the name {name!r} is used twice.")
            nodes = item["nodes"]
            if not isinstance(nodes, list) or not nodes or not all(type(node) is int for node in nodes):
                raise ValueError(
                    f"Invalid segments data: {where}: 'nodes' must be a non-empty list of integers."
                )
            try:
                nodes = check_nodes(nodes, segments.n_nodes, unique=False)
            except ValueError as error:
                raise ValueError(f"Invalid segments data: {where}: {error}") from None
            unique = np.unique(nodes)
            if unique.size != nodes.size:
                raise ValueError(f"Invalid segments data: {where}: a node is listed twice.")
            clash = owner[unique] >= 0
            if clash.any():
                other = items[int(owner[unique[clash][0]])]["name"]
                raise ValueError(
                    f"Invalid segments data: node {int(unique[clash][0])} is in both {other!r} and {name!r}."
                )
            owner[unique] = position
            segments._nodes[name] = unique
        return segments

    def save(self, path) -> None:
        """Write :meth:`to_json` to ``path`` atomically (to keep them inside a model file: ``model.save(path, segments=...)``)."""
        text = self.to_json(indent=1).encode("utf-8")
        _atomic_write(Path(path), lambda handle: handle.write(text))

    @classmethod
    def load(cls, model, path) -> Segments:
        """Segments from a JSON file written by :meth:`save`, or from a model file saved with ``segments=``.

        Raises
        ------
        ValueError
            If the file holds no segments or invalid ones (every field is checked).
        """
        path = Path(path)
        if zipfile.is_zipfile(path):
            text = read_attachment(path, "segments", limit=MAX_JSON_BYTES)
            if text is None:
                raise ValueError(
                    f"{path} is a model file without segments; save them with model.save(path, segments=...)."
                )
            return cls.from_json(model, text)
        with open(path, "rb") as handle:
            data = handle.read(MAX_JSON_BYTES + 1)
        return cls.from_json(model, data)

    def to_json(self, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text (ASCII; any name round-trips exactly)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=True)

    @classmethod
    def from_json(cls, model, text) -> Segments:
        """Segments of ``model`` from :meth:`to_json`'s text (at most 10 MB), every field checked.

        Raises
        ------
        ValueError
            If the text is too large, not JSON, or not a valid description (see
            :meth:`from_dict`).
        """
        if isinstance(text, (bytes, bytearray)):
            if len(text) > MAX_JSON_BYTES:
                raise ValueError(f"Invalid segments data: larger than {MAX_JSON_BYTES} bytes.")
            try:
                text = bytes(text).decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(f"Invalid segments data: not UTF-8 text ({error}).") from None
        if not isinstance(text, str):
            raise ValueError(f"Invalid segments data: expected JSON text, got {type(text).__name__}.")
        if len(text) > MAX_JSON_BYTES:
            raise ValueError(f"Invalid segments data: larger than {MAX_JSON_BYTES} bytes.")
        try:
            description = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise ValueError(
                f"Invalid segments data: not valid JSON ({type(error).__name__}: {error})."
            ) from None
        return cls.from_dict(model, description)


# ------------------------------------------------------------------ helpers
def _check_name(name) -> str:
    if not isinstance(name, str):
        raise ValueError(f"A segment name must be a string, got {type(name).__name__} {name!r}.")
    if not name:
        raise ValueError("A segment name must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"A segment name must be at most {MAX_NAME_LENGTH} characters, got {len(name)}.")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate: no browser, file or kernel message carries it
        raise ValueError(
            f"A segment name must be valid Unicode text, but {name!r} is not valid Unicode text: it holds "
            f"{error.object[error.start : error.end]!r}, half of a surrogate pair, at position {error.start}."
        ) from None
    if name == UNASSIGNED:
        raise ValueError(f"{UNASSIGNED!r} is reserved for rows in no segment; choose another name.")
    return name


def _same(a, b) -> bool:
    return b is not None and a.shape == b.shape and np.array_equal(a, b)


def describe_lattice(lattice) -> str:
    """A lattice's identity in words: ``"4 x 9 'rect'"``, ``"6 x 6 'hexa' (even rows shifted)"``."""
    text = f"{lattice.rows} x {lattice.cols} {lattice.name!r}"
    return text + (f" ({lattice.shifted_rows} rows shifted)" if lattice.is_hexagonal else "")


def check_segments(segments, lattice) -> Segments:
    """A view's ``segments=`` argument: :class:`Segments` of a map of ``lattice`` (see :meth:`Segments.check_map`)."""
    if not isinstance(segments, Segments):
        raise TypeError(
            "segments must be a somnium.segments.Segments (e.g. Segments.from_dict(model, data) for a "
            f"description, Segments.from_clustering(model, labels) for labels), got {type(segments).__name__}."
        )
    segments.check_map(lattice)
    return segments


def _check_lattice(lattice, expected, version: int = _VERSION) -> None:
    """Segments fit only the lattice they were made on: same rows, columns, name and shifted rows."""
    keys = {"rows", "cols", "name"}
    if isinstance(lattice, dict) and version >= 2 and "shifted_rows" in lattice:
        keys = keys | {"shifted_rows"}
    valid = (
        isinstance(lattice, dict)
        and set(lattice) == keys
        and type(lattice["rows"]) is int
        and type(lattice["cols"]) is int
    )
    if valid:
        # Version 1 was written when Somnium shifted the odd rows of hexagonal maps.
        shifted_rows = lattice.get("shifted_rows", "odd" if version < 2 else None)
        made_for = (lattice["rows"], lattice["cols"], lattice["name"])
        valid = made_for == (expected.rows, expected.cols, expected.name) and (
            not expected.is_hexagonal or shifted_rows == expected.shifted_rows
        )
    if not valid:
        raise ValueError(
            f"Invalid segments data: made for lattice {lattice!r}, but this model's is {expected.to_dict()!r}."
        )


def _is_categorical_like(dtype) -> bool:
    import pandas as pd

    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
    )


def _group_slices(codes, n_groups):
    """Rows sorted by group (stable) and each group's ``[start, stop)`` in that order."""
    small = codes.astype(np.int16) if n_groups < 2**15 else codes  # int16 sorts by radix
    order = np.argsort(small, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n_groups))])
    return order, bounds


def _mean_and_median(values, order, bounds, n_groups):
    """Per group mean and median of ``values`` (NaN skipped; NaN for a group with no value)."""
    grouped = values[order]
    mean = np.full(n_groups, np.nan)
    median = np.full(n_groups, np.nan)
    has_nan = np.isnan(grouped).any()
    for group in range(n_groups):
        part = grouped[bounds[group] : bounds[group + 1]]
        if has_nan:
            part = part[~np.isnan(part)]
        if part.size:
            mean[group] = part.mean()
            median[group] = np.median(part)
    return mean, median


def _top_value(series, codes, size, n_groups):
    """Per group: the most frequent value (ties: the first in category order, or order of appearance)
    and its share of the group's rows.

    Counts only the (group, value) pairs that occur: memory and time grow with the rows, not with
    groups x distinct values (an ID column has as many values as rows).
    """
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        value_codes, categories = series.cat.codes.to_numpy(), series.cat.categories
    else:
        value_codes, categories = pd.factorize(series, use_na_sentinel=True)
    value_codes = np.asarray(value_codes, dtype=np.int64)
    n_values = len(categories)
    top = np.full(n_groups, None, dtype=object)
    share = np.full(n_groups, np.nan)
    if n_values == 0:
        return top, share
    present = value_codes >= 0
    groups, values = codes[present], value_codes[present]
    if n_groups * n_values <= max(len(codes), 1 << 16):  # a table no larger than the rows: count densely
        counts = np.bincount(groups * n_values + values, minlength=n_groups * n_values).reshape(
            n_groups, n_values
        )
        has_value = counts.max(axis=1) > 0
        best = counts.argmax(axis=1)[has_value]
        most = counts.max(axis=1)[has_value]
        where = np.flatnonzero(has_value)
    else:
        order = np.lexsort((values, groups))  # by group, then value: equal pairs form runs
        groups, values = groups[order], values[order]
        starts = np.flatnonzero(np.r_[True, (groups[1:] != groups[:-1]) | (values[1:] != values[:-1])])
        run_group, run_value = groups[starts], values[starts]
        run_count = np.diff(np.r_[starts, len(groups)])
        ranked = np.lexsort((run_value, -run_count, run_group))  # per group: most rows, then first value
        where, first = np.unique(run_group[ranked], return_index=True)
        best, most = run_value[ranked[first]], run_count[ranked[first]]
    top[where] = np.asarray(categories, dtype=object)[best]
    share[where] = most / size[where]
    return top, share
