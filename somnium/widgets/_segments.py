"""The "Segments" layer every map view can show: per-node codes, colours, names and boundaries.

Python owns the whole layer: it numbers the nodes by segment, picks the colours and computes the
boundary lines (the hexagon or square edges two cells of different segments share, from
``lattice.neighbors`` and ``lattice.cell_vertices()``).  The browser only paints what it is sent and
writes the names as text.
"""

from __future__ import annotations

import numpy as np

from ..segments import check_segments

__all__ = ["SEGMENT_PALETTE", "UNASSIGNED_COLOR", "boundary_edges", "segment_colors", "segment_layer"]

#: categorical colours, one per segment in order (cycled past the tenth segment): Tableau 10 with a
#: lighter first blue, since Tableau's #4e79a7 (relative luminance 0.18) all but vanished on
#: JupyterLab's dark background once dimmed by a selection (contrast 1.85; #3d8fd1: 2.14 there, and
#: 3.5 on white, where #4e79a7 had 4.6)
SEGMENT_PALETTE = (
    "#3d8fd1",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#9c755f",
    "#ff9da7",
    "#17becf",
)
#: fill of the nodes in no segment
UNASSIGNED_COLOR = "#d3d3d3"

_TOLERANCE = 1e-6


def segment_colors(n_segments: int) -> list[str]:
    """The colour of each of ``n_segments`` segments (the palette, cycled)."""
    return [SEGMENT_PALETTE[i % len(SEGMENT_PALETTE)] for i in range(int(n_segments))]


#: Differing neighbour pairs compared per block in :func:`boundary_edges` (bounds its memory: ~10 MB)
_EDGE_BLOCK = 16384


def boundary_edges(lattice, labels) -> tuple[np.ndarray, np.ndarray]:
    """Edges shared by neighbouring cells whose labels differ (``-1`` = in no segment).

    Pairs of two unlabelled nodes are no boundary.  Neighbours across the seam of a wrapping map
    share no edge in the drawing, so they get no line (the dashed wrap edge marks the seam).
    Vectorised over the differing pairs, in blocks: time and memory grow with the map's edges.

    Returns
    -------
    lines : ndarray of float, shape (n_edges, 4)
        ``x1, y1, x2, y2`` of every boundary edge, in lattice units (the two shared corners in the
        order of the first cell's corners).
    pairs : ndarray of int, shape (n_edges, 2)
        The two nodes (``a < b``) each edge separates.
    """
    labels = np.asarray(labels)
    vertices = lattice.cell_vertices()
    sources, targets = lattice.edges
    differ = labels[sources] != labels[targets]
    sources, targets = sources[differ], targets[differ]
    lines, pairs = [], []
    for start in range(0, len(sources), _EDGE_BLOCK):
        a = sources[start : start + _EDGE_BLOCK]
        b = targets[start : start + _EDGE_BLOCK]
        corners_a, corners_b = vertices[a], vertices[b]  # (block, k, 2)
        gaps = corners_a[:, :, None, :] - corners_b[:, None, :, :]  # every corner of a to every corner of b
        shared = (np.einsum("eijc,eijc->eij", gaps, gaps) < _TOLERANCE**2).any(axis=2)  # (block, k)
        keep = shared.sum(axis=1) == 2  # else neighbours across a seam
        first_two = np.argsort(~shared[keep], axis=1, kind="stable")[:, :2]  # in a's corner order
        ends = np.take_along_axis(corners_a[keep], first_two[:, :, None], axis=1)
        lines.append(ends.reshape(-1, 4))
        pairs.append(np.column_stack([a[keep], b[keep]]))
    return (
        np.concatenate(lines).astype(np.float64) if lines else np.empty((0, 4)),
        np.concatenate(pairs).astype(np.int64) if pairs else np.empty((0, 2), dtype=np.int64),
    )


def segment_layer(model, segments) -> dict:
    """The synced traits of the segments layer of ``segments`` (``None``: no layer)."""
    if segments is None:
        return {
            "_segment_codes": None,
            "_segment_names": [],
            "_segment_colors": [],
            "_segment_edges": None,
        }
    lattice = model.lattice_
    check_segments(segments, lattice)  # Segments of this lattice (TypeError / ValueError; warns if stale)
    labels = segments.node_labels()
    lines, _ = boundary_edges(lattice, labels)
    return {
        "_segment_codes": labels + 1,  # 0 = unassigned, i + 1 = segment i
        "_segment_names": list(segments.names),
        "_segment_colors": segment_colors(len(segments)),
        "_segment_edges": lines,
    }
