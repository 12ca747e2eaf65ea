"""Attachment: where points (villages, facilities) meet the road network.

A point attaches at the nearest point of the nearest road edge, by a straight
connector whose length counts (docs/DESIGN.md).  :class:`_EdgeFinder` finds that edge
exactly: through the segment grid the build made for snapping (road edges are pieces of
its segments), or a grid of the road edges themselves.  Coordinates ``(x, y)`` in the
roads' CRS, in metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._arrays import _take
from .index import _SegmentGrid
from .segments import _project

__all__ = ["Attachment"]


@dataclass(frozen=True)
class Attachment:
    """Where points meet the road network.

    Attributes
    ----------
    edge
        Index of the road edge each point attaches to (``-1`` when the network is empty).
    position_m
        Distance (m) along that edge from its first node ``edge_u`` to the attachment point.
    connector_m
        Length (m) of the straight connector from the point to the road (also given for
        points that are not attached).
    point_xy
        Coordinates of the attachment points, shape (n, 2), CRS of the roads (m).
    attached
        True where ``connector_m <= max_connector_m``.
    """

    edge: np.ndarray
    position_m: np.ndarray
    connector_m: np.ndarray
    point_xy: np.ndarray
    attached: np.ndarray


class _SegmentEdges(NamedTuple):
    """The road edges of the segments of a snapping index ``grid``.

    ``seg_edge`` is the edge of each segment that is one edge whole (else -1); the
    pieces of split segments are sorted by ``key`` (segment * 2 + start fraction), with
    their ``edge`` and segment ``seg``.
    """

    grid: _SegmentGrid
    seg_edge: np.ndarray
    key: np.ndarray
    edge: np.ndarray
    seg: np.ndarray


class _EdgeFinder:
    """The nearest road edge of points (exact distance; ties: any one).

    Parameters
    ----------
    edge_xy
        Edge end coordinates ``x0 y0 x1 y1`` (m), shape (E, 4).
    road_edges
        The indices of the road edges (links are never attached to).
    """

    def __init__(self, edge_xy: np.ndarray, road_edges: np.ndarray) -> None:
        self.edge_xy = edge_xy
        self.road_edges = road_edges
        self._grid: _SegmentGrid | None = None
        self._seg: _SegmentEdges | None = None

    def grid(self) -> _SegmentGrid:
        """A grid of the road edges (built at the first call)."""
        if self._grid is None:
            e = self.road_edges
            self._grid = _SegmentGrid(self.edge_xy[e, :2], self.edge_xy[e, 2:])
        return self._grid

    def use_segment_index(self, index: _SegmentGrid, edge_seg: np.ndarray) -> None:
        """Attach through the index of the original segments built for snapping.

        Road edges are pieces of those segments (``edge_seg``: the segment of each edge):
        the nearest segment gives the edge directly when the segment is one edge, else
        the position on it does (looked up by segment and start fraction among the
        pieces of split segments).
        """
        e = self.road_edges
        seg = edge_seg[e]
        n_seg = len(index.a)
        pieces = np.bincount(seg, minlength=n_seg)
        whole = pieces[seg] == 1
        seg_edge = np.full(n_seg, -1, dtype=np.int64)
        seg_edge[seg[whole]] = e[whole]
        e, seg = e[~whole], seg[~whole]
        a, d = _take(index.a, seg), _take(index.b, seg) - _take(index.a, seg)
        exy = _take(self.edge_xy, e)
        t0 = ((exy[:, :2] - a) * d).sum(axis=1) / (d * d).sum(axis=1)
        t1 = ((exy[:, 2:] - a) * d).sum(axis=1) / (d * d).sum(axis=1)
        key = seg * 2.0 + np.clip(np.minimum(t0, t1), 0.0, 1.0)
        o = np.argsort(key, kind="stable")
        self._seg = _SegmentEdges(index, seg_edge, key[o], e[o], seg[o])

    def nearest(self, pts: np.ndarray) -> np.ndarray:
        """Index of the nearest road edge to each point (exact distance; ties: any one)."""
        if self._seg is None:
            return self.road_edges[self.grid().nearest(pts)]
        index, seg_edge, key, edge, seg_of = self._seg
        s = index.nearest(pts)
        out = seg_edge[s]
        split = np.flatnonzero(out < 0)
        if len(split) and len(key):
            ss = s[split]
            t, _ = _project(_take(pts, split), _take(index.a, ss), _take(index.b, ss))
            k = np.clip(np.searchsorted(key, ss * 2.0 + t, side="right") - 1, 0, len(key) - 1)
            out[split] = np.where(seg_of[k] == ss, edge[k], -1)
        lost = np.flatnonzero(out < 0)  # the piece fell out of the graph (a dropped self-loop)
        if len(lost):
            out[lost] = self.road_edges[self.grid().nearest(_take(pts, lost))]
        return out
