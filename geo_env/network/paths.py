"""Shortest paths: the graph for :mod:`scipy.sparse.csgraph`, with attached points in it.

The road graph is a symmetric CSR matrix built once with the network
(:func:`_csr_parts`).  A query copies its arrays and lets each edge that holds a source's
attachment point lead to that point (:func:`_augmented_csr`), runs one multi-source
Dijkstra from the sources, and reads each target off the two ends of its piece of edge
(:func:`_on_edges`), so targets never enter the graph.  Routes and reachable road pieces
need every point as a node: :func:`_augment` splits the edges at them, as an edge list.
Lengths in metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .attach import Attachment
from .segments import _EPS_M, _split_edges

__all__: list[str] = []  # nothing public here: geo_env.network re-exports what is


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


class _CSRParts(NamedTuple):
    """The CSR arrays of a graph: ``indptr, indices`` (int32), ``data`` (m), and per edge
    the positions ``slot_uv, slot_vu`` of its entries ``u -> v`` and ``v -> u``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    slot_uv: np.ndarray
    slot_vu: np.ndarray


def _csr_parts(g: _Graph) -> _CSRParts:
    """The CSR arrays of the graph ``g`` and, per edge, its two entries in them."""
    n, m = g.n_nodes, len(g.u)
    rows = np.concatenate([g.u, g.v])
    cols = np.concatenate([g.v, g.u])
    # scipy's COO -> CSR conversion (a counting sort) carries each entry's number
    coo = sp.coo_array((np.arange(1, 2 * m + 1, dtype=np.float64), (rows, cols)),
                       shape=(n, n))
    csr = coo.tocsr()
    assert csr.nnz == 2 * m, "the graph is simple: one entry per directed edge"
    which = csr.data.astype(np.int64) - 1
    slot = np.empty(2 * m, dtype=np.int64)
    slot[which] = np.arange(2 * m)
    data = np.concatenate([g.length, g.length])[which]
    return _CSRParts(csr.indptr.astype(np.int32), csr.indices.astype(np.int32), data,
                     slot[:m], slot[m:])


def _attachment_nodes(
    g: _Graph, atts: Sequence[Attachment]
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Graph nodes of attached points: existing nodes of ``g``, or new ones inside edges.

    One node per point along an edge (points closer than ``_EPS_M`` share it); a point
    at an edge's end is that end's node.  Returns, per attachment, the node of each
    point (-1: not attached), and the edge and fraction ``t`` (0 < t < 1) of each new
    node ``n_nodes + k``, sorted by edge and fraction.
    """
    n = g.n_nodes
    edges = np.concatenate([a.edge[a.attached] for a in atts])
    pos = np.concatenate([a.position_m[a.attached] for a in atts])
    elen_ = g.length[edges]
    node = np.full(len(edges), -1, dtype=np.int64)
    at_u, at_v = pos < _EPS_M, elen_ - pos < _EPS_M
    at_v &= ~at_u
    node[at_u] = g.u[edges[at_u]]
    node[at_v] = g.v[edges[at_v]]
    inner = np.flatnonzero(~(at_u | at_v))
    o = inner[np.lexsort((pos[inner], edges[inner]))]
    first = np.ones(len(o), dtype=bool)
    first[1:] = (edges[o][1:] != edges[o][:-1]) | (np.diff(pos[o]) >= _EPS_M)
    node[o] = n + np.cumsum(first) - 1
    new_edge = edges[o][first]
    new_t = pos[o][first] / g.length[new_edge]
    out: list[np.ndarray] = []
    k = 0
    for a in atts:
        nodes = np.full(len(a.edge), -1, dtype=np.int64)
        m = int(a.attached.sum())
        nodes[a.attached] = node[k:k + m]
        k += m
        out.append(nodes)
    return out, new_edge, new_t


def _augment(g: _Graph, atts: Sequence[Attachment]) -> tuple[_Graph, list[np.ndarray]]:
    """The graph ``g`` with nodes added at the attachment points (edges split there), as
    an edge list (for routes and reachable road pieces).

    Returns the graph and, per attachment, the node of each point (-1: not attached).
    """
    out, u_e, u_t = _attachment_nodes(g, atts)
    eu, ev, elen, exy, eorig, zero = _split_edges(
        g.u, g.v, g.length, g.xy, u_e, u_t, g.n_nodes + np.arange(len(u_e)), eps=0.0)
    assert not len(zero[0]), "strictly increasing split points make positive pieces"
    return _Graph(g.n_nodes + len(u_e), eu, ev, elen, exy), out


def _augmented_csr(
    g: _Graph, parts: _CSRParts, sources: Attachment, *atts: Attachment
) -> tuple[sp.csr_array, np.ndarray, np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """The CSR graph with the attachment points as nodes and a start node per source.

    The CSR arrays ``parts`` of ``g`` are copied once; an edge with new nodes inside
    keeps its two entries, which now lead from its ends to its first and last new node,
    and each new node gets a row with its two neighbours along the edge (piece lengths as
    in :func:`~geo_env.network.segments._split_edges`).  A source off the road gets a node
    of its own with a one-way connector to its attachment node.

    Returns the matrix, the attached sources' indices and start nodes, per
    attachment in ``atts`` the node of each point (-1: not attached), and the edge and
    fraction of each new node (as :func:`_attachment_nodes`).
    """
    indptr, indices, data, slot_uv, slot_vu = parts
    (snode, *nodes), u_e, u_t = _attachment_nodes(g, (sources, *atts))
    n, k = g.n_nodes, len(u_e)
    new = n + np.arange(k)
    length = g.length[u_e]
    with_prev = np.zeros(k, dtype=bool)  # the previous new node is on the same edge
    with_prev[1:] = u_e[1:] == u_e[:-1]
    with_next = np.zeros(k, dtype=bool)
    with_next[:-1] = with_prev[1:]
    prev = np.where(with_prev, new - 1, g.u[u_e])
    nxt = np.where(with_next, new + 1, g.v[u_e])
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
    (vs, vt, vw), start = _source_entries(snode[s_idx], sources.connector_m[s_idx], n + k)
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
    g: _Graph, d: np.ndarray, edge: np.ndarray, pos: np.ndarray, node_edge: np.ndarray,
    node_t: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Shortest distances to points inside edges of ``g`` that are not graph nodes.

    ``d`` holds the distances of the nodes of a graph whose edges are split at the
    new nodes ``n_nodes + k`` (edge ``node_edge``, fraction ``node_t``, sorted).  A
    point at ``pos`` (m) along ``edge`` is reached through its neighbour on the left or
    on the right: the edge's end or the nearest new node on that edge, at the piece
    lengths :func:`~geo_env.network.segments._split_edges` would give; a point within
    ``_EPS_M`` of an end is that end.  Splitting an edge at a point changes no other
    distance, so this equals a Dijkstra run with the points added as nodes.

    Returns the distance (m) and the node through which each point is reached.
    """
    n, k = g.n_nodes, len(node_edge)
    length = g.length[edge]
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
    ln = np.where(has_l, n + lk, g.u[e])
    rn = np.where(has_r, n + rk, g.v[e])
    tp = t[pt]
    dl = d[ln] + (tp - np.where(has_l, node_t[lk], 0.0)) * length[pt]
    dr = d[rn] + (np.where(has_r, node_t[rk], 1.0) - tp) * length[pt]
    via = np.where(dr < dl, rn, ln)
    dist = np.minimum(dl, dr)
    at_u = pos[pt] < _EPS_M
    at_v = ~at_u & (length[pt] - pos[pt] < _EPS_M)
    via = np.where(at_u, g.u[e], np.where(at_v, g.v[e], via))
    dist = np.where(at_u | at_v, d[via], dist)
    out_d, out_via = np.empty(len(edge)), np.empty(len(edge), dtype=np.int64)
    out_d[pt], out_via[pt] = dist, via
    return out_d, out_via


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
