"""Straight segments as numpy arrays: the nearest point of a segment to a point, and
segments split at fractions into pieces.  Coordinates ``(x, y)`` in metres."""

from __future__ import annotations

import numpy as np

from ._arrays import _take

__all__: list[str] = []  # nothing public here: geo_env.network re-exports what is

#: Pieces or links shorter than this (m) join their ends instead of being edges, so that
#: every edge of the graph has a strictly positive length.
_EPS_M = 1e-9


def _project(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest point of segments a–b to points p: parameter t in [0, 1] and distance (m)."""
    if not len(p):
        return np.zeros(0), np.zeros(0)
    ax, ay, bx, by = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    abx, aby = bx - ax, by - ay
    den = abx * abx + aby * aby
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(den > 0, ((p[:, 0] - ax) * abx + (p[:, 1] - ay) * aby) / den, 0.0)
    np.clip(t, 0.0, 1.0, out=t)
    at_a, at_b = t <= 0, t >= 1
    qx = np.where(at_a, ax, np.where(at_b, bx, ax + t * abx))
    qy = np.where(at_a, ay, np.where(at_b, by, ay + t * aby))
    return t, np.hypot(p[:, 0] - qx, p[:, 1] - qy)


def _split_edges(
    u: np.ndarray, v: np.ndarray, length: np.ndarray, xy: np.ndarray,
    sp_edge: np.ndarray, sp_t: np.ndarray, sp_node: np.ndarray, eps: float = _EPS_M,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
           tuple[np.ndarray, np.ndarray]]:
    """Split straight edges at fractions ``sp_t`` (0 < t < 1) into pieces.

    Returns the new edge list ``u, v, length, xy, original edge index`` (unsplit edges
    kept as they are) and the node pairs of pieces not longer than ``eps`` m (to merge).
    """
    n = len(u)
    if not len(sp_edge):
        return u, v, length, xy, np.arange(n), (np.zeros(0, np.int64), np.zeros(0, np.int64))
    split = np.zeros(n, dtype=bool)
    split[sp_edge] = True
    se = np.flatnonzero(split)
    # boundary points of each split edge: its start, the split points, its end
    b_edge = np.concatenate([se, sp_edge, se])
    b_t = np.concatenate([np.zeros(len(se)), sp_t, np.ones(len(se))])
    b_node = np.concatenate([u[se], sp_node, v[se]])
    o = np.lexsort((b_t, b_edge))
    b_edge, b_t, b_node = b_edge[o], b_t[o], b_node[o]
    same = b_edge[1:] == b_edge[:-1]
    e = b_edge[:-1][same]
    t0, t1 = b_t[:-1][same], b_t[1:][same]
    n0, n1 = b_node[:-1][same], b_node[1:][same]
    exy = _take(xy, e)
    a, b = exy[:, :2], exy[:, 2:]
    d = b - a
    p0 = np.where(t0[:, None] <= 0, a, a + t0[:, None] * d)
    p1 = np.where(t1[:, None] >= 1, b, a + t1[:, None] * d)
    plen = (t1 - t0) * length[e]
    zero = plen <= eps if eps == 0 else plen < eps
    keep = ~split
    return (
        np.concatenate([u[keep], n0[~zero]]),
        np.concatenate([v[keep], n1[~zero]]),
        np.concatenate([length[keep], plen[~zero]]),
        np.concatenate([xy[keep], np.hstack([p0, p1])[~zero]]),
        np.concatenate([np.flatnonzero(keep), e[~zero]]),
        (n0[zero], n1[zero]),
    )
