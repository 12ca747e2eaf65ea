"""Junctions: which vertices of the road lines are one node of the graph.

Vertices of different lines within :data:`JUNCTION_TOLERANCE_M` (1 m) are one junction,
a line's own vertices only where they coincide exactly.  Close pairs come from a 1 m
grid hash (:func:`_close_pairs`), groups from a vectorised union-find
(:func:`_merge_labels`); pairs are joined closest first and refused where a junction
would hold two points of one line, decided again in vectorised rounds only where that
can happen (:func:`_join_junctions`), and pair by pair for what rounds decide slowly
(near-parallel lines, :func:`_join_one_by_one`).  Coordinates in metres.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from ._arrays import _ranges, _take, _unique

__all__ = ["JUNCTION_TOLERANCE_M"]

log = logging.getLogger(__name__)

#: Vertices of different lines closer than this (m) are one junction (docs/DESIGN.md).
JUNCTION_TOLERANCE_M = 1.0

#: Junction rounds go on while each decides at least 1/this of the pairs left.
_ROUND_SHARE = 16


def _close_pairs(xy: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``i < j`` of points at most ``r`` apart (m), found through a grid hash.

    The points are binned in square cells of side ``r``; a pair within ``r`` lies in one
    cell or in two neighbouring ones, so the points of each occupied cell are paired with
    each other and with those of four of its eight neighbours (sorted cell keys and binary
    search, no tree).  Squared distances are compared, as in
    :meth:`scipy.spatial.cKDTree.query_pairs`.
    """
    n = len(xy)
    z = np.zeros(0, np.int64)
    if n < 2:
        return z, z
    x, y = xy[:, 0], xy[:, 1]
    qx = ((x - x.min()) / r).astype(np.int64)
    qy = ((y - y.min()) / r).astype(np.int64)
    ny = int(qy.max()) + 3
    key = qx * ny + qy + 1  # + 1: the cell below never wraps to another column
    order = np.argsort(key)
    sk = key[order]
    first = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    cells = sk[first]
    count = np.diff(np.r_[first, n])
    out_i, out_j = [], []
    # pairs inside one cell: sorted positions p and p + s in one cell, s = 1, 2, ...
    p = np.flatnonzero(sk[1:] == sk[:-1])
    s = 1
    while len(p):
        out_i.append(p)
        out_j.append(p + s)
        s += 1
        p = p[p + s < n]
        p = p[sk[p + s] == sk[p]]
    # pairs with four of the eight neighbour cells
    for off in (1, ny - 1, ny, ny + 1):
        pos = np.searchsorted(cells, cells + off)
        pos[pos == len(cells)] = 0
        hit = np.flatnonzero(cells[pos] == cells + off)
        if not len(hit):
            continue
        other = pos[hit]
        ca, cb = count[hit], count[other]
        n_pair = ca * cb
        c = np.repeat(np.arange(len(hit)), n_pair)
        k = np.arange(len(c)) - np.repeat(np.cumsum(n_pair) - n_pair, n_pair)
        out_i.append(first[hit][c] + k // cb[c])
        out_j.append(first[other][c] + k % cb[c])
    if not out_i:
        return z, z
    i, j = order[np.concatenate(out_i)], order[np.concatenate(out_j)]
    d = _take(xy, i) - _take(xy, j)
    near = (d * d).sum(axis=1) <= r * r
    i, j = i[near], j[near]
    return np.minimum(i, j), np.maximum(i, j)


def _junction_labels(
    label: np.ndarray, n_lab: int, i: np.ndarray, j: np.ndarray, xy: np.ndarray,
    piece_u: np.ndarray, piece_v: np.ndarray, piece_line: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Node labels after joining the junction candidates ``i``–``j`` (docs/DESIGN.md rule).

    ``label`` (``n_lab`` groups) are the nodes merged as one point; ``i, j`` vertices of
    different lines within 1 m (coordinates ``xy``, m); the road pieces ``piece_u`` –
    ``piece_v`` of line ``piece_line`` say which lines each node lies on.  The pairs are
    joined closest first (ties: by vertex numbers), and a pair is refused when its two
    junctions, as joined so far, both hold a node of one line: so a junction never holds
    two points of one line and no road piece ends where it starts (no road gets
    shorter), while lines meeting at one place (a star, a chain of vertices each within
    1 m of the next, on different lines) all join (:func:`_join_junctions`).
    """
    d = _take(xy, i) - _take(xy, j)
    member = label[np.concatenate([piece_u, piece_v])]
    root = _join_junctions(n_lab, label[i], label[j], (j, i, (d * d).sum(axis=1)), member,
                           np.concatenate([piece_line, piece_line]))
    number, n_out = _number_roots(root)
    return number[label], n_out


def _merge_labels(
    n: int, merges: Sequence[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, int]:
    """Node label after merging the given node pairs (union of all pairs).

    Labels number the groups in the order of their smallest node (as
    :func:`scipy.sparse.csgraph.connected_components` does).
    """
    a = np.concatenate([m[0] for m in merges]) if merges else np.zeros(0, np.int64)
    b = np.concatenate([m[1] for m in merges]) if merges else np.zeros(0, np.int64)
    if not len(a):
        return np.arange(n), n
    return _number_roots(_union_roots(n, a, b))


def _union_roots(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each of ``n`` elements' smallest element after joining the pairs ``(a, b)``.

    Union by hooking every pair's larger root onto the smaller and pointer jumping, a
    few vectorised passes for the small groups that junctions make.
    """
    root = np.arange(n)
    ra, rb = a, b  # each node is its own root at first
    while len(a):
        diff = ra != rb
        a, b, ra, rb = a[diff], b[diff], ra[diff], rb[diff]
        if not len(a):
            break
        lo = np.minimum(ra, rb)
        np.minimum.at(root, ra, lo)
        np.minimum.at(root, rb, lo)
        while True:  # root[x] <= x always, so jumping ends at each tree's root
            nxt = root[root]
            if (nxt == root).all():
                break
            root = nxt
        ra, rb = root[a], root[b]
    return root


def _number_roots(root: np.ndarray) -> tuple[np.ndarray, int]:
    """Group labels 0, 1, ... in the order of the roots (``root[x]`` is x's group's
    smallest element), and the number of groups."""
    is_root = root == np.arange(len(root))
    number = np.cumsum(is_root) - 1
    return number[root], int(is_root.sum())


def _join_junctions(
    n: int, a: np.ndarray, b: np.ndarray, order_by: tuple[np.ndarray, ...],
    member: np.ndarray, line: np.ndarray,
) -> np.ndarray:
    """Join groups ``a[k]``–``b[k]`` in the order ``np.lexsort(order_by)``, refusing a
    join that would put two groups holding one line into one junction.

    This is the greedy rule of :func:`~geo_env.network.build._graph_arrays`: the candidate pairs come closest
    first, and a pair is joined unless its two groups (as joined so far) both hold a
    point of the same line; a refusal is final, since groups only grow.  Group ``g``
    holds line ``line[k]`` wherever ``member[k] == g``.

    Vectorised in two steps:

    1. all pairs are joined (union-find); a resulting component in which no line occurs
       in two groups refuses nothing, so it is final (nearly every junction);
    2. the other components are joined again in rounds.  Each round refuses every pair
       whose groups now share a line, and joins every pair that comes first among the
       remaining pairs of both its groups (these join disjoint groups, so at once).  The
       first remaining pair always qualifies, so every round decides at least one pair,
       and a pair is decided with its groups exactly as the one-by-one greedy order would
       have them: everything in them was joined by earlier pairs, and no earlier pair
       touching them is left.  Where rounds decide few pairs (a long run of
       near-parallel lines whose distances grow along it: each decision waits for the
       one before), the rest goes one pair after the other (:func:`_join_in_rounds`).

    Returns ``root``: each group's smallest group in its junction.
    """
    root = np.arange(n)
    if not len(a):
        return root
    touched = np.zeros(n, dtype=bool)
    touched[a] = touched[b] = True
    on = touched[member]
    n_line = int(line.max(initial=0)) + 1
    key = _unique(member[on] * n_line + line[on])  # (group, line) once each
    eg, el = key // n_line, key % n_line
    root = _union_roots(n, a, b)
    comp_line, count = np.unique(root[eg] * n_line + el, return_counts=True)
    bad = np.zeros(n, dtype=bool)
    bad[comp_line[count > 1] // n_line] = True
    if not bad.any():
        return root
    bad_g = bad[root]
    gid = np.flatnonzero(bad_g)
    root[gid] = gid
    sel = np.flatnonzero(bad_g[a])
    sel = sel[np.lexsort(tuple(x[sel] for x in order_by))]  # (only here does order matter)
    ent = bad_g[eg]
    c_root = _join_in_rounds(len(gid), np.searchsorted(gid, a[sel]),
                             np.searchsorted(gid, b[sel]), np.searchsorted(gid, eg[ent]),
                             el[ent], n_line)
    root[gid] = gid[c_root]
    log.debug("junctions: %d candidate pairs in %d groups decided in order",
              len(sel), len(gid))
    return root


def _join_in_rounds(
    n: int, a: np.ndarray, b: np.ndarray, eg: np.ndarray, el: np.ndarray, n_line: int
) -> np.ndarray:
    """Step 2 of :func:`_join_junctions` on groups ``0..n-1``: pairs ``a, b`` in order,
    group ``eg[k]`` holding line ``el[k]`` (pairs (group, line) unique, sorted).

    Rounds while each decides at least 1/:data:`_ROUND_SHARE` of the pairs left; the
    rest (a long run of near-parallel lines whose pairs come in order along them, where
    each decision waits for the one before) one pair after the other.
    """
    root = np.arange(n)
    rank = np.arange(len(a))
    while len(a):
        ra, rb = root[a], root[b]
        # the lines of each pair's two groups, as (pair, line) keys; shared keys refuse
        start = np.searchsorted(eg, np.arange(n + 1))
        keys = []
        for g in (ra, rb):
            k, j = _ranges(start[g], start[g + 1] - start[g])
            keys.append(k * n_line + el[j])
        refused = np.zeros(len(a), dtype=bool)
        refused[np.intersect1d(keys[0], keys[1], assume_unique=True) // n_line] = True
        live = ~refused & (ra != rb)
        n_left = len(a)
        a, b, ra, rb, rank = a[live], b[live], ra[live], rb[live], rank[live]
        if not len(a):
            break
        first = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(first, ra, rank)
        np.minimum.at(first, rb, rank)
        join = (first[ra] == rank) & (first[rb] == rank)
        root[np.maximum(ra[join], rb[join])] = np.minimum(ra[join], rb[join])
        root = root[root]  # a join hooks one root onto another root: one jump
        key = _unique(root[eg] * n_line + el)
        eg, el = key // n_line, key % n_line
        a, b, rank = a[~join], b[~join], rank[~join]
        if (n_left - len(a)) * _ROUND_SHARE < n_left:
            return _join_one_by_one(root, a, b, eg, el)
    return root


def _join_one_by_one(
    root: np.ndarray, a: np.ndarray, b: np.ndarray, eg: np.ndarray, el: np.ndarray
) -> np.ndarray:
    """The greedy rule of :func:`_join_junctions`, pair after pair (union-find with the
    set of lines of each junction), from the groups ``root`` joined so far."""
    parent = root.tolist()
    lines: dict[int, set[int]] = {}
    for g, ln in zip(eg.tolist(), el.tolist()):
        lines.setdefault(g, set()).add(ln)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = x = parent[parent[x]]
        return x

    for x, y in zip(a.tolist(), b.tolist()):
        rx, ry = sorted((find(x), find(y)))
        lx, ly = lines.get(rx, set()), lines.get(ry, set())
        if rx == ry or not lx.isdisjoint(ly):
            continue
        parent[ry] = rx
        if len(lx) < len(ly):
            lx, ly = ly, lx
        lx |= ly  # (the larger set takes the smaller one)
        lines[rx] = lx
    return np.array([find(x) for x in range(len(parent))], dtype=np.int64)
