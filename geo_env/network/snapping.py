"""Snapping: where road lines join other than at shared vertices.

* a line *end* within ``snap_tolerance_m`` of another line joins that line at its
  nearest point (the segment is split there) by a straight link whose length counts
  (:func:`_snap_ends`);
* with ``node_crossings=True``, lines that cross without a shared vertex are split at
  the crossing and join there (:func:`_node_crossings`).

Both record what they join in a :class:`_Joins`, which the build
(:func:`~geo_env.network.build._graph_arrays`) turns into edges and merged nodes.
Coordinates ``(x, y)`` in metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from ._arrays import _group_starts, _take
from .index import _SegmentGrid
from .lines import _Lines
from .segments import _EPS_M

__all__: list[str] = []  # nothing public here: geo_env.network re-exports what is


@dataclass
class _Joins:
    """What the build joins besides the lines' own segments, gathered step by step.

    Nodes ``0 .. n_vert - 1`` are the lines' vertices; new nodes (points inside
    segments) are numbered on from ``n_vert``.

    Attributes
    ----------
    n_vert
        Number of vertices.
    merges
        Node pairs that are one point (merged whatever else is merged).
    split_seg, split_t, split_node
        Segments to split, at fraction ``t`` (0 < t < 1), by which new node.
    new_xy
        Coordinates of the new nodes (m), in their order.
    links
        Straight links ``(node, node, length_m)`` from snapped line ends.
    n_new
        Number of new nodes.
    """

    n_vert: int
    merges: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    split_seg: list[np.ndarray] = field(default_factory=list)
    split_t: list[np.ndarray] = field(default_factory=list)
    split_node: list[np.ndarray] = field(default_factory=list)
    new_xy: list[np.ndarray] = field(default_factory=list)
    links: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    n_new: int = 0

    @property
    def n_nodes(self) -> int:
        """Number of nodes: the vertices and the new nodes."""
        return self.n_vert + self.n_new

    def new_nodes(self, xy: np.ndarray) -> np.ndarray:
        """Numbers of new nodes at ``xy`` (shape (k, 2), m)."""
        nodes = self.n_vert + self.n_new + np.arange(len(xy))
        self.n_new += len(xy)
        self.new_xy.append(xy)
        return nodes

    def to_node(self, lines: _Lines, seg: np.ndarray, t: np.ndarray, node: np.ndarray) -> None:
        """Join ``node`` to the point at ``t`` on ``seg``: merge at ends, split inside."""
        at_a, at_b = t <= 0.0, t >= 1.0
        self.merges.append((node[at_a], lines.seg_a[seg[at_a]]))
        self.merges.append((node[at_b], lines.seg_b[seg[at_b]]))
        inner = ~(at_a | at_b)
        self.split_seg.append(seg[inner])
        self.split_t.append(t[inner])
        self.split_node.append(node[inner])

    def node_xy(self, xy: np.ndarray) -> np.ndarray:
        """Coordinates of every node (m): the vertices ``xy``, then the new nodes."""
        return np.concatenate([xy, *self.new_xy]) if self.new_xy else xy

    def splits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The split points: segment, fraction and node of each."""
        return (
            np.concatenate(self.split_seg) if self.split_seg else np.zeros(0, np.int64),
            np.concatenate(self.split_t) if self.split_t else np.zeros(0),
            np.concatenate(self.split_node) if self.split_node else np.zeros(0, np.int64),
        )


def _snap_ends(lines: _Lines, joins: _Joins, snap: float) -> _SegmentGrid | None:
    """Join each line end within ``snap`` (m) of another line to that line's nearest
    point: the end is that point when closer than ``_EPS_M``, else a link leads there.

    Returns the segment index built on the way (reused to attach points), or None when
    there are no segments.
    """
    ends, seg_line, seg_a, seg_b = lines.ends, lines.seg_line, lines.seg_a, lines.seg_b
    if not (len(ends) and len(seg_a)):
        return None
    seg_index = _SegmentGrid(lines.a_xy, lines.b_xy)
    ei, si, t, d = seg_index.within(_take(lines.xy, ends), snap)
    ev = ends[ei]
    other = seg_line[si] != lines.vline[ev]
    ev, si, t, d = ev[other], si[other], t[other], d[other]
    # per (end, other line): the nearest point of that line
    order = np.lexsort((d, seg_line[si], ev))
    ev, si, t, d = ev[order], si[order], t[order], d[order]
    firsts = _group_starts(ev, seg_line[si])
    ev, si, t, d = ev[firsts], si[firsts], t[firsts], d[firsts]
    # the nearest point is a vertex of the other line, or a new node splitting it
    at_a, at_b = t <= 0.0, t >= 1.0
    nodes = np.where(at_a, seg_a[si], seg_b[si])
    inner = np.flatnonzero(~(at_a | at_b))
    a, b = _take(lines.a_xy, si[inner]), _take(lines.b_xy, si[inner])
    nodes[inner] = joins.new_nodes(a + t[inner, None] * (b - a))
    joins.to_node(lines, si[inner], t[inner], nodes[inner])
    short = d < _EPS_M  # (on the line: the end is that point)
    joins.merges.append((ev[short], nodes[short]))
    joins.links.append((ev[~short], nodes[~short], d[~short]))
    return seg_index


def _node_crossings(lines: _Lines, joins: _Joins) -> None:
    """Split segments where they cross (not at a shared vertex) and join them there;
    collinear overlaps are left alone."""
    seg_a, seg_b, a_xy, b_xy = lines.seg_a, lines.seg_b, lines.a_xy, lines.b_xy
    if not len(seg_a):
        return
    seg_geoms = np.asarray(shapely.linestrings(np.stack([a_xy, b_xy], axis=1)), dtype=object)
    i, j = shapely.STRtree(seg_geoms).query(seg_geoms, predicate="intersects")
    keep = (i < j) & (seg_b[i] != seg_a[j]) & (seg_a[i] != seg_b[j])
    i, j = i[keep], j[keep]
    a, r = _take(a_xy, i), _take(b_xy, i) - _take(a_xy, i)
    c, s = _take(a_xy, j), _take(b_xy, j) - _take(a_xy, j)
    den = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
    ok = np.abs(den) > 1e-12 * np.hypot(*r.T) * np.hypot(*s.T)  # collinear: skip
    i, j, a, r, c, s, den = i[ok], j[ok], a[ok], r[ok], c[ok], s[ok], den[ok]
    w = c - a
    ti = np.clip((w[:, 0] * s[:, 1] - w[:, 1] * s[:, 0]) / den, 0.0, 1.0)
    tj = np.clip((w[:, 0] * r[:, 1] - w[:, 1] * r[:, 0]) / den, 0.0, 1.0)
    ti = np.where(ti < 1e-12, 0.0, np.where(ti > 1 - 1e-12, 1.0, ti))
    tj = np.where(tj < 1e-12, 0.0, np.where(tj > 1 - 1e-12, 1.0, tj))
    nodes = joins.new_nodes(a + ti[:, None] * r)
    joins.to_node(lines, i, ti, nodes)
    joins.to_node(lines, j, tj, nodes)
