"""Road network from a roads layer: junctions, snapping, attachment, shortest paths.

The rules are DESIGN.md's "Geometry rules"; every analysis that measures along roads
(waste coverage, transfer-station siting, sewer routes) uses this one network:

* vertices of *different* lines within :data:`JUNCTION_TOLERANCE_M` (1 m) are one
  junction; a line's own vertices are never merged (so no road gets shorter), except
  where they coincide exactly (a closed ring, a line that revisits a point).  Pairs are
  joined closest first, and a pair is refused when it would put two points of one line
  into one junction: lines meeting at one place (a star, a chain of vertices each
  within 1 m of the next) all join, while a feature digitised twice or a GPS track
  beside a road joins rung by rung instead of collapsing (:func:`_junction_labels`);
* a line *end* within ``snap_tolerance_m`` of another line joins that line at its
  nearest point (the segment is split there) by a straight link whose length counts;
* lines that cross without a shared vertex do not join (bridges, flyovers) unless
  ``node_crossings=True``, which splits both lines at the crossing;
* a point (village anchor, facility) attaches at the nearest point of the nearest road
  by a straight connector whose length counts; farther than ``max_connector_m`` it is not
  attached;
* road distance = connector + shortest path along roads + connector.

All coordinates are ``(x, y)`` in the roads' projected CRS, in metres.  The graph is a
symmetric CSR matrix for :mod:`scipy.sparse.csgraph`; every edge is a straight piece of
one road segment (or a snapping link), with a strictly positive length.

How it stays fast at county-to-province scale (a million edges in about a second or two):
everything is a handful of numpy passes, no Python loop per vertex or point.  Junctions
come from a 1 m grid hash of the vertices (:func:`_close_pairs`) and a vectorised
union-find (:func:`_merge_labels`); only where that would put a line twice into one
junction are the pairs decided again, in vectorised rounds (:func:`_join_junctions`;
a long run of near-parallel lines whose pairs come in order along them ends pair by
pair in Python, some 10^5 pairs a second).  Line ends and attached points find their
segments in a uniform grid of segment pieces (:class:`_SegmentGrid`, exact; a KD-tree
only for points far from every road).  The CSR matrix is built once with the network; a
query copies its arrays and lets each edge that holds a source's attachment point lead
to that point (:meth:`RoadNetwork._augmented_csr`), runs one multi-source Dijkstra from
the sources, and reads each target off the two ends of its piece of edge
(:meth:`RoadNetwork._on_edges`), so targets never enter the graph.

Examples
--------
>>> import shapely
>>> net = RoadNetwork.from_lines([shapely.LineString([(0, 0), (1000, 0)]),
...                               shapely.LineString([(500, 0.5), (500, 800)])])
>>> d, src = net.distances([(0, 10)], [(500, 900)], max_connector_m=200)
>>> round(float(d[0]), 1), int(src[0])
(1410.0, 0)
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from ..errors import DataValueError, GeometryTypeError, ParameterError
from ._arrays import _group_starts, _take
from .build import _graph_arrays
from .index import _SegmentGrid
from .junctions import JUNCTION_TOLERANCE_M
from .lines import _line_geometries
from .segments import _EPS_M, _project, _split_edges

if TYPE_CHECKING:
    from ..io.project import District

__all__ = ["RoadNetwork", "Attachment", "road_network", "JUNCTION_TOLERANCE_M"]

log = logging.getLogger(__name__)

#: Road-graph nodes above which :meth:`RoadNetwork.pair_distances` works in smaller chunks.
_CHUNK_CELLS = 25_000_000


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


@dataclass(frozen=True)
class _Graph:
    """An undirected graph given by its edge list, with the CSR matrix built from it."""

    n_nodes: int
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    xy: np.ndarray  # (E, 4): x0 y0 x1 y1, oriented u -> v

    def csr(self, extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
            n_extra: int = 0) -> sp.csr_array:
        rows = [self.u, self.v]
        cols = [self.v, self.u]
        data = [self.length, self.length]
        if extra is not None:
            rows.append(extra[0])
            cols.append(extra[1])
            data.append(extra[2])
        n = self.n_nodes + n_extra
        return sp.csr_array(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
        )


class RoadNetwork:
    """A road graph built by DESIGN.md's geometry rules.

    Build it with :meth:`from_lines` (or :func:`road_network` for a District).

    Attributes
    ----------
    node_xy
        Node coordinates, shape (n_nodes, 2), CRS of the roads (m).  A junction made of
        several vertices within 1 m takes the coordinates of one of them.
    edge_u, edge_v
        End nodes of each edge.
    edge_length_m
        Edge lengths (m), all > 0.
    edge_xy
        Edge end coordinates ``x0 y0 x1 y1`` (m), oriented ``edge_u -> edge_v``.
    edge_is_road
        True for pieces of road lines, False for the links that join snapped line ends.
    edge_row
        0-based position of the roads feature each edge comes from.
    snap_tolerance_m, node_crossings
        The options the network was built with.
    crs
        The CRS of the roads, when they came as a GeoDataFrame/GeoSeries.
    """

    def __init__(
        self,
        *,
        node_xy: np.ndarray,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        edge_length_m: np.ndarray,
        edge_xy: np.ndarray,
        edge_is_road: np.ndarray,
        edge_row: np.ndarray,
        end_node: np.ndarray,
        end_row: np.ndarray,
        end_xy: np.ndarray,
        snap_tolerance_m: float,
        node_crossings: bool,
        crs: Any = None,
    ) -> None:
        self.node_xy = node_xy
        self.edge_u = edge_u
        self.edge_v = edge_v
        self.edge_length_m = edge_length_m
        self.edge_xy = edge_xy
        self.edge_is_road = edge_is_road
        self.edge_row = edge_row
        self._end_node = end_node
        self._end_row = end_row
        self._end_xy = end_xy
        self.snap_tolerance_m = snap_tolerance_m
        self.node_crossings = node_crossings
        self.crs = crs
        self._graph = _Graph(len(node_xy), edge_u, edge_v, edge_length_m, edge_xy)
        self._csr: sp.csr_array | None = None
        self._parts: tuple[np.ndarray, ...] | None = None
        self._kd: _SegmentGrid | None = None
        self._seg: tuple[_SegmentGrid, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._road_edges = np.flatnonzero(edge_is_road)

    # ----------------------------------------------------------------------------- build
    @classmethod
    def from_lines(
        cls,
        roads: Any,
        *,
        snap_tolerance_m: float = 1.0,
        node_crossings: bool = False,
    ) -> RoadNetwork:
        """Build the network from road lines.

        Parameters
        ----------
        roads
            A GeoDataFrame, GeoSeries or sequence of LineStrings / MultiLineStrings in a
            projected CRS (m).  Each part of a MultiLineString counts as one line.  Empty
            and missing geometries are skipped; Z values are ignored.
        snap_tolerance_m
            A line end this close (m) to another line joins it at the nearest point by a
            straight link whose length counts.  ``0`` joins only ends lying on a line.
        node_crossings
            Split lines where they cross without a shared vertex (default: they do not
            join, as at bridges).

        Returns
        -------
        RoadNetwork

        Raises
        ------
        GeometryTypeError
            A feature is not a line.
        CRSError
            The roads are in a geographic CRS (degrees).
        DataValueError
            Coordinates are not finite.
        ParameterError
            ``snap_tolerance_m`` is negative or not a number.
        """
        if isinstance(snap_tolerance_m, bool) or not np.isfinite(float(snap_tolerance_m)) \
                or float(snap_tolerance_m) < 0:
            raise ParameterError(
                f"[layers.roads] snap_tolerance_m must be 0 or more (m), not {snap_tolerance_m!r}"
            )
        snap = float(snap_tolerance_m)
        geoms, crs = _line_geometries(roads)
        if len(geoms) and (shapely.get_type_id(geoms) == 1).all():
            parts, part_row = geoms, np.arange(len(geoms))  # no multi-part lines to explode
        else:
            parts, part_row = shapely.get_parts(geoms, return_index=True)
        keep = ~shapely.is_empty(parts)
        parts, part_row = parts[keep], part_row[keep]
        arrays, seg_index, eseg = _graph_arrays(parts, part_row, snap, bool(node_crossings))
        net = cls(**arrays, snap_tolerance_m=snap, node_crossings=bool(node_crossings),
                  crs=crs)
        del arrays  # (the build's temporaries are gone before the CSR is made)
        if seg_index is not None:
            net._use_segment_index(seg_index, eseg)
        net._csr_parts()  # the graph for scipy.sparse.csgraph, built with the network
        log.info("road network: %d lines, %d nodes, %d edges, %.1f km",
                 len(parts), net.n_nodes, net.n_edges, net.length_m / 1000)
        return net

    # ------------------------------------------------------------------------ properties
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        """Number of edges (road pieces and snapping links)."""
        return len(self.edge_u)

    @property
    def length_m(self) -> float:
        """Total length of the road edges (m), links excluded."""
        return float(self.edge_length_m[self.edge_is_road].sum())

    def graph(self) -> sp.csr_array:
        """The symmetric CSR adjacency matrix (edge lengths in m) for scipy.sparse.csgraph."""
        if self._csr is None:
            indptr, indices, data, _, _ = self._csr_parts()
            self._csr = sp.csr_array((data, indices, indptr), shape=(self.n_nodes,) * 2)
        return self._csr

    def _csr_parts(self) -> tuple[np.ndarray, ...]:
        """The CSR arrays of the graph and, per edge, its two entries in them.

        Returns ``indptr, indices`` (int32), ``data`` (m) and ``slot_uv, slot_vu``: the
        positions of the entries ``u -> v`` and ``v -> u`` of each edge.
        """
        if self._parts is None:
            n, m = self.n_nodes, self.n_edges
            rows = np.concatenate([self.edge_u, self.edge_v])
            cols = np.concatenate([self.edge_v, self.edge_u])
            # scipy's COO -> CSR conversion (a counting sort) carries each entry's number
            coo = sp.coo_array((np.arange(1, 2 * m + 1, dtype=np.float64), (rows, cols)),
                               shape=(n, n))
            csr = coo.tocsr()
            assert csr.nnz == 2 * m, "the graph is simple: one entry per directed edge"
            which = csr.data.astype(np.int64) - 1
            slot = np.empty(2 * m, dtype=np.int64)
            slot[which] = np.arange(2 * m)
            data = np.concatenate([self.edge_length_m, self.edge_length_m])[which]
            self._parts = (csr.indptr.astype(np.int32), csr.indices.astype(np.int32), data,
                           slot[:m], slot[m:])
        return self._parts

    def __repr__(self) -> str:
        return (f"RoadNetwork({self.n_nodes} nodes, {self.n_edges} edges, "
                f"{self.length_m / 1000:.1f} km)")

    # ---------------------------------------------------------------------------- attach
    def attach(self, xy: Any, *, max_connector_m: float) -> Attachment:
        """Attach points at the nearest point of the nearest road line.

        Parameters
        ----------
        xy
            Points, shape (n, 2), ``(x, y)`` in the roads' CRS (m).
        max_connector_m
            Points whose connector is longer than this (m) are not attached.

        Returns
        -------
        Attachment
        """
        pts = _as_xy(xy, "points")
        maxc = _check_positive(max_connector_m, "max_connector_m")
        n = len(pts)
        edge = np.full(n, -1, dtype=np.int64)
        t = np.zeros(n)
        conn = np.full(n, np.inf)
        at_xy = np.full((n, 2), np.nan)
        if n and len(self._road_edges):
            e = self._nearest_edges(pts)
            exy = _take(self.edge_xy, e)
            a, b = exy[:, :2], exy[:, 2:]
            t, conn = _project(pts, a, b)
            edge[:] = e
            at_xy = np.where(t[:, None] <= 0, a, np.where(t[:, None] >= 1, b,
                                                          a + t[:, None] * (b - a)))
        pos = np.full(n, np.nan)
        pos[edge >= 0] = t[edge >= 0] * self.edge_length_m[edge[edge >= 0]]
        return Attachment(edge=edge, position_m=pos, connector_m=conn, point_xy=at_xy,
                          attached=conn <= maxc)

    def _index(self) -> _SegmentGrid:
        if self._kd is None:
            e = self._road_edges
            self._kd = _SegmentGrid(self.edge_xy[e, :2], self.edge_xy[e, 2:])
        return self._kd

    def _use_segment_index(self, index: _SegmentGrid, edge_seg: np.ndarray) -> None:
        """Attach through the index of the original segments built for snapping.

        Road edges are pieces of those segments: the nearest segment gives the edge
        directly when the segment is one edge, else the position on it does (looked up by
        segment and start fraction among the pieces of split segments).
        """
        e = self._road_edges
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
        self._seg = (index, seg_edge, key[o], e[o], seg[o])

    def _nearest_edges(self, pts: np.ndarray) -> np.ndarray:
        """Index of the nearest road edge to each point (exact distance; ties: any one)."""
        if self._seg is None:
            return self._road_edges[self._index().nearest(pts)]
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
            out[lost] = self._road_edges[self._index().nearest(_take(pts, lost))]
        return out

    def _attachment_nodes(
        self, atts: Sequence[Attachment]
    ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """Graph nodes of attached points: existing nodes, or new ones inside edges.

        One node per point along an edge (points closer than ``_EPS_M`` share it); a point
        at an edge's end is that end's node.  Returns, per attachment, the node of each
        point (-1: not attached), and the edge and fraction ``t`` (0 < t < 1) of each new
        node ``n_nodes + k``, sorted by edge and fraction.
        """
        n = self.n_nodes
        edges = np.concatenate([a.edge[a.attached] for a in atts])
        pos = np.concatenate([a.position_m[a.attached] for a in atts])
        elen_ = self.edge_length_m[edges]
        node = np.full(len(edges), -1, dtype=np.int64)
        at_u, at_v = pos < _EPS_M, elen_ - pos < _EPS_M
        at_v &= ~at_u
        node[at_u] = self.edge_u[edges[at_u]]
        node[at_v] = self.edge_v[edges[at_v]]
        inner = np.flatnonzero(~(at_u | at_v))
        o = inner[np.lexsort((pos[inner], edges[inner]))]
        first = np.ones(len(o), dtype=bool)
        first[1:] = (edges[o][1:] != edges[o][:-1]) | (np.diff(pos[o]) >= _EPS_M)
        node[o] = n + np.cumsum(first) - 1
        new_edge = edges[o][first]
        new_t = pos[o][first] / self.edge_length_m[new_edge]
        out: list[np.ndarray] = []
        k = 0
        for a in atts:
            nodes = np.full(len(a.edge), -1, dtype=np.int64)
            m = int(a.attached.sum())
            nodes[a.attached] = node[k:k + m]
            k += m
            out.append(nodes)
        return out, new_edge, new_t

    def _augment(self, *atts: Attachment) -> tuple[_Graph, list[np.ndarray]]:
        """The graph with nodes added at the attachment points (edges split there), as
        an edge list (for routes and reachable road pieces).

        Returns the graph and, per attachment, the node of each point (-1: not attached).
        """
        g = self._graph
        out, u_e, u_t = self._attachment_nodes(atts)
        eu, ev, elen, exy, eorig, zero = _split_edges(
            g.u, g.v, g.length, g.xy, u_e, u_t, g.n_nodes + np.arange(len(u_e)), eps=0.0)
        assert not len(zero[0]), "strictly increasing split points make positive pieces"
        return _Graph(g.n_nodes + len(u_e), eu, ev, elen, exy), out

    def _augmented_csr(
        self, sources: Attachment, *atts: Attachment
    ) -> tuple[sp.csr_array, np.ndarray, np.ndarray, list[np.ndarray], np.ndarray,
               np.ndarray]:
        """The CSR graph with the attachment points as nodes and a start node per source.

        The graph's CSR arrays are copied once; an edge with new nodes inside keeps its two
        entries, which now lead from its ends to its first and last new node, and each new
        node gets a row with its two neighbours along the edge (piece lengths as in
        :func:`_split_edges`).  A source off the road gets a node of its own with a
        one-way connector to its attachment node.

        Returns the matrix, the attached sources' indices and start nodes, per
        attachment in ``atts`` the node of each point (-1: not attached), and the edge and
        fraction of each new node (as :meth:`_attachment_nodes`).
        """
        indptr, indices, data, slot_uv, slot_vu = self._csr_parts()
        (snode, *nodes), u_e, u_t = self._attachment_nodes((sources, *atts))
        n, k = self.n_nodes, len(u_e)
        new = n + np.arange(k)
        length = self.edge_length_m[u_e]
        with_prev = np.zeros(k, dtype=bool)  # the previous new node is on the same edge
        with_prev[1:] = u_e[1:] == u_e[:-1]
        with_next = np.zeros(k, dtype=bool)
        with_next[:-1] = with_prev[1:]
        prev = np.where(with_prev, new - 1, self.edge_u[u_e])
        nxt = np.where(with_next, new + 1, self.edge_v[u_e])
        t_prev = np.where(with_prev, np.roll(u_t, 1), 0.0)
        t_next = np.where(with_next, np.roll(u_t, -1), 1.0)
        w_prev, w_next = (u_t - t_prev) * length, (t_next - u_t) * length
        indices, data = indices.copy(), data.copy()
        f, last = ~with_prev, ~with_next
        indices[slot_uv[u_e[f]]] = new[f]
        data[slot_uv[u_e[f]]] = w_prev[f]
        indices[slot_vu[u_e[last]]] = new[last]
        data[slot_vu[u_e[last]]] = w_next[last]
        s_idx = np.flatnonzero(sources.attached)
        (vs, vt, vw), start = self._source_entries(snode[s_idx], sources.connector_m[s_idx],
                                                   n + k)
        size = n + k + len(vs)
        csr = sp.csr_array((
            np.concatenate([data, np.column_stack([w_prev, w_next]).ravel(), vw]),
            np.concatenate([indices, np.column_stack([prev, nxt]).ravel().astype(np.int32),
                            vt.astype(np.int32)]),
            np.concatenate([indptr, indptr[-1] + 2 * np.arange(1, k + 1, dtype=np.int32),
                            indptr[-1] + 2 * k + np.arange(1, len(vs) + 1, dtype=np.int32)]),
        ), shape=(size, size))
        return csr, s_idx, start, nodes, u_e, u_t

    def _on_edges(
        self, d: np.ndarray, edge: np.ndarray, pos: np.ndarray, node_edge: np.ndarray,
        node_t: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Shortest distances to points inside edges that are not graph nodes.

        ``d`` holds the distances of the nodes of a graph whose edges are split at the
        new nodes ``n_nodes + k`` (edge ``node_edge``, fraction ``node_t``, sorted).  A
        point at ``pos`` (m) along ``edge`` is reached through its neighbour on the left or
        on the right: the edge's end or the nearest new node on that edge, at the piece
        lengths :func:`_split_edges` would give; a point within ``_EPS_M`` of an end is that
        end.  Splitting an edge at a point changes no other distance, so this equals a
        Dijkstra run with the points added as nodes.

        Returns the distance (m) and the node through which each point is reached.
        """
        n, k = self.n_nodes, len(node_edge)
        length = self.edge_length_m[edge]
        t = pos / length
        # the new nodes and the points on one line, by edge and fraction (nodes first)
        all_e = np.concatenate([node_edge, edge])
        o = np.lexsort((np.r_[np.zeros(k), np.ones(len(edge))], np.r_[node_t, t], all_e))
        at = np.arange(len(o))
        is_node = o < k
        left = np.maximum.accumulate(np.where(is_node, at, -1))
        right = np.minimum.accumulate(np.where(is_node, at, len(o))[::-1])[::-1]
        pt = o[~is_node] - k
        li, ri = left[~is_node], right[~is_node]
        # the nearest new node before / after each point (k: none), if on the same edge
        lk = np.where(li >= 0, o[np.maximum(li, 0)], k)
        rk = np.where(ri < len(o), o[np.minimum(ri, len(o) - 1)], k)
        node_edge, node_t = np.r_[node_edge, -1], np.r_[node_t, 0.0]
        e = edge[pt]
        has_l, has_r = node_edge[lk] == e, node_edge[rk] == e
        ln = np.where(has_l, n + lk, self.edge_u[e])
        rn = np.where(has_r, n + rk, self.edge_v[e])
        tp = t[pt]
        dl = d[ln] + (tp - np.where(has_l, node_t[lk], 0.0)) * length[pt]
        dr = d[rn] + (np.where(has_r, node_t[rk], 1.0) - tp) * length[pt]
        via = np.where(dr < dl, rn, ln)
        dist = np.minimum(dl, dr)
        at_u = pos[pt] < _EPS_M
        at_v = ~at_u & (length[pt] - pos[pt] < _EPS_M)
        via = np.where(at_u, self.edge_u[e], np.where(at_v, self.edge_v[e], via))
        dist = np.where(at_u | at_v, d[via], dist)
        out_d, out_via = np.empty(len(edge)), np.empty(len(edge), dtype=np.int64)
        out_d[pt], out_via[pt] = dist, via
        return out_d, out_via

    @staticmethod
    def _source_entries(
        src_nodes: np.ndarray, conn: np.ndarray, n_nodes: int
    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
        """Directed connector edges from one new node per source to its attachment node.

        A source exactly on a road (connector 0) starts at its attachment node itself,
        so no edge has length 0.  Returns the extra CSR entries and the start node of
        each source.
        """
        on_road = conn < _EPS_M
        start = np.where(on_road, src_nodes, -1)
        off = np.flatnonzero(~on_road)
        new = n_nodes + np.arange(len(off))
        start[off] = new
        return (new, src_nodes[off], conn[off]), start

    # ------------------------------------------------------------------------- distances
    def distances(
        self,
        sources_xy: Any,
        targets_xy: Any,
        *,
        max_connector_m: float,
        limit: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Road distance from each target to its nearest source.

        One multi-source Dijkstra run on the graph with the attachment points added as
        nodes, so points on one segment (two facilities, a village and a station) are
        measured exactly.

        Parameters
        ----------
        sources_xy, targets_xy
            Points, shapes (m, 2) and (n, 2), ``(x, y)`` in the roads' CRS (m).
        max_connector_m
            Longest connector (m) from a point to the road.
        limit
            Stop searching beyond this road distance (m); farther targets get NaN.

        Returns
        -------
        distance_m : ndarray of float, shape (n,)
            Connector + path + connector (m); NaN where the target or every source is not
            attached, no road path joins them, or the distance exceeds ``limit``.
        source : ndarray of int, shape (n,)
            Index (0-based, into ``sources_xy``) of the nearest source; -1 where NaN.
        """
        src = _as_xy(sources_xy, "sources")
        tgt = _as_xy(targets_xy, "targets")
        lim = np.inf if limit is None else _check_positive(limit, "limit", allow_zero=True)
        dist = np.full(len(tgt), np.nan)
        which = np.full(len(tgt), -1, dtype=np.int64)
        sa = self.attach(src, max_connector_m=max_connector_m)
        ta = self.attach(tgt, max_connector_m=max_connector_m)
        if not sa.attached.any() or not ta.attached.any():
            return dist, which
        # the targets are not added as nodes: each is reached through an end of its edge
        # or a source's node on that edge (_on_edges)
        csr, s_idx, start, _, s_edge, s_t = self._augmented_csr(sa)
        d, _, origin = dijkstra(csr, directed=True, indices=start, min_only=True,
                                return_predecessors=True, limit=lim)
        # the start node of each source -> its index (on-road sources share nodes: first)
        owner = np.full(csr.shape[0], -1, dtype=np.int64)
        owner[start[::-1]] = s_idx[::-1]
        t_idx = np.flatnonzero(ta.attached)
        dt, via = self._on_edges(d, ta.edge[t_idx], ta.position_m[t_idx], s_edge, s_t)
        total = dt + ta.connector_m[t_idx]
        ok = np.isfinite(total) & (total <= lim)
        dist[t_idx[ok]] = total[ok]
        which[t_idx[ok]] = owner[origin[via[ok]]]
        return dist, which

    def pair_distances(
        self,
        sources_xy: Any,
        targets_xy: Any,
        *,
        max_connector_m: float,
        limit: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every source–target pair within ``limit`` road metres.

        Parameters
        ----------
        sources_xy, targets_xy
            Points, shapes (m, 2) and (n, 2), ``(x, y)`` in the roads' CRS (m).
        max_connector_m
            Longest connector (m) from a point to the road.
        limit
            Largest road distance (m) to report.

        Returns
        -------
        source, target : ndarray of int
            0-based indices of the pairs.
        distance_m : ndarray of float
            Their road distances (m), all ``<= limit``.
        """
        src = _as_xy(sources_xy, "sources")
        tgt = _as_xy(targets_xy, "targets")
        lim = _check_positive(limit, "limit", allow_zero=True)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        sa = self.attach(src, max_connector_m=max_connector_m)
        ta = self.attach(tgt, max_connector_m=max_connector_m)
        if not sa.attached.any() or not ta.attached.any():
            return empty
        csr, s_idx, start, (tnode,), _, _ = self._augmented_csr(sa, ta)
        t_idx = np.flatnonzero(ta.attached)
        tn, tc = tnode[t_idx], ta.connector_m[t_idx]
        chunk = max(1, _CHUNK_CELLS // max(csr.shape[0], 1))
        out_s, out_t, out_d = [], [], []
        for lo in range(0, len(start), chunk):
            d = dijkstra(csr, directed=True, indices=start[lo:lo + chunk], limit=lim)
            total = d[:, tn] + tc[None, :]
            r, c = np.nonzero(total <= lim)
            out_s.append(s_idx[lo + r])
            out_t.append(t_idx[c])
            out_d.append(total[r, c])
        if not out_s:
            return empty
        return np.concatenate(out_s), np.concatenate(out_t), np.concatenate(out_d)

    def reachable(
        self, sources_xy: Any, *, max_connector_m: float, limit: float
    ) -> list[shapely.MultiLineString | None]:
        """The road pieces within ``limit`` road metres of each source.

        Parameters
        ----------
        sources_xy
            Points, shape (m, 2), ``(x, y)`` in the roads' CRS (m).
        max_connector_m
            Longest connector (m) from a point to the road.
        limit
            Road distance (m), the connector included.

        Returns
        -------
        list of shapely.MultiLineString or None
            Per source: its connector (as far as ``limit`` reaches) and every edge or
            part of an edge whose road distance from the source is at most ``limit`` (an
            edge reached from both ends is whole when the two reaches meet); None for a
            source that is not attached.
        """
        src = _as_xy(sources_xy, "sources")
        lim = _check_positive(limit, "limit")
        out: list[shapely.MultiLineString | None] = [None] * len(src)
        sa = self.attach(src, max_connector_m=max_connector_m)
        if not sa.attached.any():
            return out
        aug, (snode,) = self._augment(sa)
        s_idx = np.flatnonzero(sa.attached)
        extra, start = self._source_entries(snode[s_idx], sa.connector_m[s_idx], aug.n_nodes)
        csr = aug.csr(extra, len(extra[0]))
        a, b, length = aug.xy[:, :2], aug.xy[:, 2:], aug.length
        for k, i in enumerate(s_idx):
            d = dijkstra(csr, directed=True, indices=int(start[k]), limit=lim)
            du, dv = d[aug.u], d[aug.v]
            ru = np.where(np.isfinite(du), np.clip(lim - du, 0, None), 0.0)
            rv = np.where(np.isfinite(dv), np.clip(lim - dv, 0, None), 0.0)
            whole = (ru + rv >= length) & ((ru > 0) | (rv > 0))
            from_u = ~whole & (ru > 0)
            from_v = ~whole & (rv > 0)
            t0 = np.concatenate([np.zeros(whole.sum() + from_u.sum()),
                                 1 - rv[from_v] / length[from_v]])
            t1 = np.concatenate([np.ones(whole.sum()), ru[from_u] / length[from_u],
                                 np.ones(from_v.sum())])
            e = np.concatenate([np.flatnonzero(whole), np.flatnonzero(from_u),
                                np.flatnonzero(from_v)])
            p0 = a[e] + t0[:, None] * (b[e] - a[e])
            p1 = np.where(t1[:, None] >= 1, b[e], a[e] + t1[:, None] * (b[e] - a[e]))
            c = min(1.0, lim / sa.connector_m[i]) if sa.connector_m[i] > 0 else 1.0
            conn = np.array([[src[i], src[i] + c * (sa.point_xy[i] - src[i])]])
            pieces = np.concatenate([conn, np.stack([p0, p1], axis=1)])
            out[i] = shapely.multilinestrings(shapely.linestrings(pieces))
        return out

    # ---------------------------------------------------------------------------- routes
    def routes(
        self, source_xy: Any, targets_xy: Any, *, max_connector_m: float
    ) -> list[shapely.LineString | None]:
        """Shortest road route from one source to each target.

        Parameters
        ----------
        source_xy
            The source point ``(x, y)`` in the roads' CRS (m).
        targets_xy
            Points, shape (n, 2), same CRS.
        max_connector_m
            Longest connector (m) from a point to the road.

        Returns
        -------
        list of shapely.LineString or None
            Per target, the route from the source to the target including both
            connectors, in the roads' CRS; None when no route exists.  Its length equals
            the road distance except at junctions merged from vertices up to 1 m apart,
            where the line jumps between them (a jump is not counted in the distance).
        """
        src = _as_xy(np.asarray(source_xy, dtype=float).reshape(1, -1), "source")
        tgt = _as_xy(targets_xy, "targets")
        out: list[shapely.LineString | None] = [None] * len(tgt)
        sa = self.attach(src, max_connector_m=max_connector_m)
        ta = self.attach(tgt, max_connector_m=max_connector_m)
        if not sa.attached[0] or not ta.attached.any():
            return out
        aug, (snode, tnode) = self._augment(sa, ta)
        extra, start = self._source_entries(snode, sa.connector_m, aug.n_nodes)
        csr = aug.csr(extra, len(extra[0]))
        d, pred = dijkstra(csr, directed=True, indices=int(start[0]), return_predecessors=True)
        # directed edge lookup: (a, b) -> coordinates from a to b
        n = csr.shape[0]
        key = np.concatenate([aug.u * n + aug.v, aug.v * n + aug.u])
        exy = np.concatenate([aug.xy, aug.xy[:, [2, 3, 0, 1]]])
        order = np.argsort(key)
        key, exy = key[order], exy[order]
        for k in np.flatnonzero(ta.attached):
            node = int(tnode[k])
            if not np.isfinite(d[node]):
                continue
            path = [node]
            while path[-1] != start[0]:
                path.append(int(pred[path[-1]]))
            path = path[::-1]
            if len(path) and start[0] >= aug.n_nodes:  # the connector edge is not a road
                path = path[1:]
            pts = [src[0], sa.point_xy[0]]
            if len(path) > 1:
                p = np.asarray(path)
                pos = np.searchsorted(key, p[:-1] * n + p[1:])
                seg = exy[pos]
                pts.extend(seg.reshape(-1, 2))
            pts.extend([ta.point_xy[k], tgt[k]])
            line = np.asarray(pts)
            keep = np.r_[True, (np.abs(np.diff(line, axis=0)) > 0).any(axis=1)]
            line = line[keep]
            if len(line) == 1:
                line = np.vstack([line, line])
            out[k] = shapely.LineString(line)
        return out

    # ---------------------------------------------------------------------------- report
    def report(self, *, larger_tolerance_m: float = 20.0) -> dict[str, Any]:
        """Connected parts and dangling ends, for ``geo-env check``.

        Parameters
        ----------
        larger_tolerance_m
            Report dangling line ends (ends joined to nothing) that lie within this
            distance (m) of another line: a larger ``snap_tolerance_m`` would join them.

        Returns
        -------
        dict
            ``parts`` (number of connected parts), ``part_edges`` and ``part_length_m``
            (per part, longest first), ``length_m``, ``nodes``, ``edges``,
            ``snap_tolerance_m``, ``larger_tolerance_m`` and ``dangling_ends``: a list,
            nearest gap first, of ``{"x", "y", "row", "gap_m", "joins_other_part"}`` —
            coordinates in the roads' CRS (m), ``row`` the 1-based feature number of the
            road the end belongs to, ``gap_m`` the distance to the nearest other line, and
            whether joining it would connect two parts.
        """
        tol = _check_positive(larger_tolerance_m, "larger_tolerance_m")
        csr = self.graph()
        deg = np.diff(csr.indptr)
        n_parts, lab = connected_components(csr, directed=False)
        used = np.flatnonzero(np.bincount(lab[self.edge_u], minlength=n_parts) > 0)
        edges = np.bincount(lab[self.edge_u], minlength=n_parts)[used]
        length = np.bincount(lab[self.edge_u], weights=self.edge_length_m * self.edge_is_road,
                             minlength=n_parts)[used]
        order = np.argsort(-length, kind="stable")
        dangling: list[dict[str, Any]] = []
        end_ok = deg[self._end_node] == 1
        en, erow, exy = self._end_node[end_ok], self._end_row[end_ok], self._end_xy[end_ok]
        if len(en) and len(self._road_edges):
            qi, ti, _, dd = self._index().within(exy, tol)
            e = self._road_edges[ti]
            other = (self.edge_row[e] != erow[qi]) & (self.edge_u[e] != en[qi]) \
                & (self.edge_v[e] != en[qi])
            qi, e, dd = qi[other], e[other], dd[other]
            o = np.lexsort((dd, qi))
            qi, e, dd = qi[o], e[o], dd[o]
            first = _group_starts(qi)
            for q, ee, g in zip(qi[first], e[first], dd[first]):
                dangling.append({
                    "x": float(exy[q, 0]), "y": float(exy[q, 1]), "row": int(erow[q]) + 1,
                    "gap_m": float(g),
                    "joins_other_part": bool(lab[en[q]] != lab[self.edge_u[ee]]),
                })
            dangling.sort(key=lambda r: r["gap_m"])
        return {
            "parts": int(len(used)),
            "part_edges": [int(x) for x in edges[order]],
            "part_length_m": [float(x) for x in length[order]],
            "length_m": self.length_m,
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "snap_tolerance_m": self.snap_tolerance_m,
            "larger_tolerance_m": tol,
            "dangling_ends": dangling,
        }


# --------------------------------------------------------------------------- District
_CACHE: OrderedDict[tuple[Any, ...], RoadNetwork] = OrderedDict()
_CACHE_SIZE = 4


def road_network(district: District) -> RoadNetwork:
    """The road network of a District, built with its ``[layers.roads]`` options.

    Built once per roads layer and options (the result is cached on a fingerprint of the
    coordinates, so changed roads are rebuilt).

    Raises
    ------
    ParameterError
        The district has no roads layer.
    """
    roads = district.roads
    if roads is None:
        raise ParameterError(
            "road distances need a roads layer",
            hint="add [layers.roads] to the project file, or set [waste] metric = \"straight\"",
        )
    p = {**_road_defaults(), **(district.params.get("roads") or {})}
    geoms, _ = _line_geometries(roads)
    h = hashlib.sha1()
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    h.update(np.ascontiguousarray(xy).tobytes())
    h.update(np.ascontiguousarray(idx).tobytes())
    key = (h.hexdigest(), len(geoms), float(p["snap_tolerance_m"]), bool(p["node_crossings"]),
           str(getattr(roads, "crs", None)))
    net = _CACHE.get(key)
    if net is None:
        net = RoadNetwork.from_lines(roads, snap_tolerance_m=p["snap_tolerance_m"],
                                     node_crossings=p["node_crossings"])
        _CACHE[key] = net
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return net


def _road_defaults() -> dict[str, Any]:
    from ..standards import defaults

    return defaults("roads")


# ---------------------------------------------------------------------------- helpers


def _as_xy(xy: Any, what: str) -> np.ndarray:
    """Points as a float (n, 2) array; raise DataValueError if not finite."""
    if hasattr(xy, "geometry") or (isinstance(xy, np.ndarray) and xy.dtype == object):
        geoms = np.asarray(getattr(xy, "geometry", xy), dtype=object)
        arr = shapely.get_coordinates(geoms)
        if len(arr) != len(geoms):
            raise GeometryTypeError(f"{what} must be single points")
    else:
        arr = np.asarray(xy, dtype=float)
        if arr.size == 0:
            arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise DataValueError(f"{what} must be an (n, 2) array of x, y in metres, "
                             f"not shape {arr.shape}")
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise DataValueError(f"{what} have coordinates that are not finite numbers",
                             row=row + 1)
    return arr


def _check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = np.nan
    if isinstance(value, bool) or not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ParameterError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} "
                             f"distance in metres, not {value!r}")
    return v


