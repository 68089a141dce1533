"""The "Segments" layer every map view can show: per-node codes, colours, names and boundaries.

Python owns the whole layer: it numbers the nodes by segment, picks the colours and computes the
boundary lines (the hexagon or square edges two cells of different segments share, from
``lattice.neighbors`` and ``lattice.cell_vertices()``).  The browser only paints what it is sent and
writes the names as text.
"""

from __future__ import annotations

import numpy as np

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


def boundary_edges(lattice, labels) -> tuple[np.ndarray, np.ndarray]:
    """Edges shared by neighbouring cells whose labels differ (``-1`` = in no segment).

    Pairs of two unlabelled nodes are no boundary.  Neighbours across the seam of a wrapping map
    share no edge in the drawing, so they get no line (the dashed wrap edge marks the seam).

    Returns
    -------
    lines : ndarray of float, shape (n_edges, 4)
        ``x1, y1, x2, y2`` of every boundary edge, in lattice units.
    pairs : ndarray of int, shape (n_edges, 2)
        The two nodes (``a < b``) each edge separates.
    """
    labels = np.asarray(labels)
    vertices = lattice.cell_vertices()
    lines, pairs = [], []
    sources, targets = lattice.edges
    differ = labels[sources] != labels[targets]
    for a, b in zip(sources[differ].tolist(), targets[differ].tolist()):
        # the corners of a that are also corners of b
        close = np.linalg.norm(vertices[a][:, None, :] - vertices[b][None, :, :], axis=-1) < _TOLERANCE
        shared = vertices[a][close.any(axis=1)]
        if len(shared) != 2:
            continue  # neighbours across a seam
        lines.append(shared.reshape(4))
        pairs.append((a, b))
    return (
        np.asarray(lines, dtype=np.float64).reshape(-1, 4),
        np.asarray(pairs, dtype=np.int64).reshape(-1, 2),
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
    if getattr(segments, "n_nodes", None) != lattice.n_nodes:
        raise ValueError(
            f"These segments are of a {getattr(segments, 'n_nodes', '?')}-node map; "
            f"this view shows a {lattice.n_nodes}-node map."
        )
    labels = segments.node_labels()
    lines, _ = boundary_edges(lattice, labels)
    return {
        "_segment_codes": labels + 1,  # 0 = unassigned, i + 1 = segment i
        "_segment_names": list(segments.names),
        "_segment_colors": segment_colors(len(segments)),
        "_segment_edges": lines,
    }
