"""The road network: :class:`RoadNetwork`, built from lines and queried by road distance.

Its build is :func:`~geo_env.network.build._graph_arrays`; points attach through
:mod:`geo_env.network.attach`; distances, pair distances, reachable road pieces and
routes run :func:`scipy.sparse.csgraph.dijkstra` on the graphs of
:mod:`geo_env.network.paths`; :meth:`RoadNetwork.report` lists connected parts and
dangling ends for ``geo-env check``.  Coordinates ``(x, y)`` in the roads' projected
CRS, in metres.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from .._progress import Steps
from ..errors import DataValueError, GeometryTypeError, ParameterError
from ._arrays import _group_starts, _take
from .attach import Attachment, _EdgeFinder
from .build import _graph_arrays
from .lines import _line_geometries
from .paths import (
    _augment,
    _augmented_csr,
    _csr_parts,
    _CSRParts,
    _Graph,
    _on_edges,
    _source_entries,
)
from .segments import _project

__all__ = ["RoadNetwork"]

log = logging.getLogger(__name__)

#: Road-graph nodes above which :meth:`RoadNetwork.pair_distances` works in smaller chunks.
_CHUNK_CELLS = 25_000_000


class RoadNetwork:
    """A road graph built by docs/DESIGN.md's geometry rules.

    Build it with :meth:`from_lines` (or :func:`~geo_env.network.road_network` for a
    District).

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
        self._parts: _CSRParts | None = None
        self._road_edges = np.flatnonzero(edge_is_road)
        self._finder = _EdgeFinder(edge_xy, self._road_edges)

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
        with Steps("road network", total=3) as step:
            step("lines")
            geoms, crs = _line_geometries(roads)
            if len(geoms) and (shapely.get_type_id(geoms) == 1).all():
                parts, part_row = geoms, np.arange(len(geoms))  # no multi-part lines to explode
            else:
                parts, part_row = shapely.get_parts(geoms, return_index=True)
            keep = ~shapely.is_empty(parts)
            parts, part_row = parts[keep], part_row[keep]
            step("junctions")
            arrays, seg_index, eseg = _graph_arrays(parts, part_row, snap, bool(node_crossings))
            step("graph")
            net = cls(**arrays, snap_tolerance_m=snap, node_crossings=bool(node_crossings),
                      crs=crs)
            del arrays  # (the build's temporaries are gone before the CSR is made)
            if seg_index is not None:
                net._finder.use_segment_index(seg_index, eseg)
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

    def _csr_parts(self) -> _CSRParts:
        """The CSR arrays of the graph and, per edge, its two entries in them
        (:func:`~geo_env.network.paths._csr_parts`, built once)."""
        if self._parts is None:
            self._parts = _csr_parts(self._graph)
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
            e = self._finder.nearest(pts)
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

    def _augment(self, *atts: Attachment) -> tuple[_Graph, list[np.ndarray]]:
        """The graph with nodes added at the attachment points (edges split there), as
        an edge list; and, per attachment, the node of each point (-1: not attached)
        (:func:`~geo_env.network.paths._augment`)."""
        return _augment(self._graph, atts)

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
        csr, s_idx, start, _, s_edge, s_t = _augmented_csr(self._graph, self._csr_parts(), sa)
        d, _, origin = dijkstra(csr, directed=True, indices=start, min_only=True,
                                return_predecessors=True, limit=lim)
        # the start node of each source -> its index (on-road sources share nodes: first)
        owner = np.full(csr.shape[0], -1, dtype=np.int64)
        owner[start[::-1]] = s_idx[::-1]
        t_idx = np.flatnonzero(ta.attached)
        dt, via = _on_edges(self._graph, d, ta.edge[t_idx], ta.position_m[t_idx], s_edge, s_t)
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
        csr, s_idx, start, (tnode,), _, _ = _augmented_csr(self._graph, self._csr_parts(), sa, ta)
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
        extra, start = _source_entries(snode[s_idx], sa.connector_m[s_idx], aug.n_nodes)
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
            out[i] = shapely.MultiLineString([shapely.LineString(piece) for piece in pieces])
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
        extra, start = _source_entries(snode, sa.connector_m, aug.n_nodes)
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
            qi, ti, _, dd = self._finder.grid().within(exy, tol)
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

