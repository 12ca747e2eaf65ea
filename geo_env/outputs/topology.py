"""Compact geometry for the HTML map: shared boundaries once, ~1 m integers, short text.

Polygons that tile a district (villages) share their boundaries. :func:`polygon_topology`
cuts every ring at the junctions (vertices where the boundary network branches) into
*arcs*, stores each arc once and describes each polygon by the signed ids of its arcs
(``~i`` = arc ``i`` reversed, as in TopoJSON).  Township and district boundaries are then
just the arcs whose two sides lie in different townships, or which have one side only.

Coordinates are longitude/latitude quantised to :data:`QUANTUM` degrees (1e-5° ≈ 1.1 m
north–south, ≈ 0.96 m east–west at 30° N).  :class:`ArcStore` writes all arcs into one
string: per arc, its first point relative to the store's origin and then the differences
between consecutive points, each integer zig-zag mapped to a non-negative one and written
in 5-bit groups, least significant first, one character per group from the URL-safe
base-64 alphabet, where values 32–63 mean "another group follows"; arcs are separated by
``,``.  The decoder in ``assets/geo_env_map.js`` (``decodeArcs``) reverses it.  The
alphabet has no character that JSON or HTML would need to escape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["QUANTUM", "ALPHABET", "ArcStore", "Topology", "polygon_topology", "quantize"]

#: Coordinate quantum in degrees.
QUANTUM = 1e-5
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_ALPHA_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_MAX_GROUPS = 13  # 64-bit integers need at most 13 groups of 5 bits


def quantize(lonlat: np.ndarray) -> np.ndarray:
    """Longitude/latitude (degrees, shape (n, 2)) → int64 multiples of :data:`QUANTUM`."""
    return np.round(np.asarray(lonlat, dtype=float) / QUANTUM).astype(np.int64)


def _zigzag(v: np.ndarray) -> np.ndarray:
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def encode_ints(values: np.ndarray, starts: np.ndarray) -> str:
    """Encode integer sequences into one string; sequence ``i`` begins at ``starts[i]``.

    Sequences are separated by ``,``. Each integer becomes 1 or more characters.
    """
    values = np.asarray(values, dtype=np.int64)
    z = _zigzag(values)
    n = len(z)
    groups = np.ones(n, dtype=np.int64)
    rest = z >> np.uint64(5)
    while rest.any():
        groups += rest > 0
        rest >>= np.uint64(5)
    g = int(groups.max()) if n else 1
    shifts = (np.arange(g, dtype=np.uint64) * np.uint64(5))[None, :]
    chunks = ((z[:, None] >> shifts) & np.uint64(31)).astype(np.int64)
    col = np.arange(g)[None, :]
    more = col < (groups[:, None] - 1)
    present = col < groups[:, None]
    chars = np.where(present, _ALPHA_BYTES[chunks + 32 * more], 0).astype(np.uint8)
    # a separator before every sequence but the first
    sep = np.zeros((n, 1), dtype=np.uint8)
    starts = np.asarray(starts, dtype=np.int64)
    if len(starts) and (np.diff(np.append(starts, n)) <= 0).any():
        raise ValueError("empty sequences cannot be encoded")
    sep[starts[starts > 0], 0] = ord(",")
    out = np.concatenate([sep, chars], axis=1).ravel()
    return out[out != 0].tobytes().decode("ascii")


def decode_ints(text: str) -> list[list[int]]:
    """Inverse of :func:`encode_ints` (for tests and tools)."""
    lookup = {c: i for i, c in enumerate(ALPHABET)}
    out: list[list[int]] = []
    for part in text.split(","):
        seq: list[int] = []
        value = shift = 0
        for ch in part:
            d = lookup[ch]
            value |= (d & 31) << shift
            shift += 5
            if d < 32:
                seq.append((value >> 1) ^ -(value & 1))
                value = shift = 0
        out.append(seq)
    return out


class ArcStore:
    """Collects point sequences (arcs) and encodes them into one string.

    Arcs are integer coordinate arrays (quantised lon/lat); their ids are their order of
    addition.
    """

    def __init__(self) -> None:
        self._coords: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self.count = 0

    def add(self, coords: npt.ArrayLike, lengths: npt.ArrayLike) -> np.ndarray:
        """Add arcs given as concatenated (m, 2) int coordinates and per-arc lengths.

        Returns the ids of the new arcs.
        """
        lengths = np.asarray(lengths, dtype=np.int64)
        if (lengths < 1).any():
            raise ValueError("every arc needs at least one point")
        coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
        if int(lengths.sum()) != len(coords):
            raise ValueError("lengths do not add up to the number of coordinates")
        ids = np.arange(self.count, self.count + len(lengths))
        self._coords.append(coords)
        self._lengths.append(lengths)
        self.count += len(lengths)
        return ids

    def origin(self) -> tuple[int, int]:
        """The integer origin that first points are relative to."""
        if not self._coords or not sum(len(c) for c in self._coords):
            return (0, 0)
        allc = np.concatenate(self._coords)
        return (int(allc[:, 0].min()), int(allc[:, 1].min()))

    def encode(self) -> str:
        """All arcs as one string (see the module docstring)."""
        if not self.count:
            return ""
        coords = np.concatenate(self._coords)
        lengths = np.concatenate(self._lengths)
        ox, oy = self.origin()
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        delta = np.empty_like(coords)
        delta[1:] = coords[1:] - coords[:-1]
        delta[starts] = coords[starts] - np.array([ox, oy])
        return encode_ints(delta.ravel(), starts * 2)


@dataclass
class Topology:
    """Polygons as rings of shared arcs.

    Attributes
    ----------
    arc_coords, arc_lengths
        The arcs' quantised coordinates, concatenated, and their point counts.
    polygons
        Per input geometry: a list of polygons, each a list of rings (exterior first),
        each a list of signed arc ids (``~i`` = arc ``i`` reversed). Empty list for an
        empty or vanished geometry.
    arc_owners
        Shape (n_arcs, 2): the input geometries on the arc's two sides; ``-1`` where only
        one side belongs to a geometry.
    """

    arc_coords: np.ndarray
    arc_lengths: np.ndarray
    polygons: list[list[list[list[int]]]]
    arc_owners: np.ndarray


def _group_first(values: np.ndarray, group: np.ndarray, n_groups: int, fill: int) -> np.ndarray:
    """For each group, the smallest value (``fill`` for empty groups)."""
    out = np.full(n_groups, fill, dtype=np.int64)
    np.minimum.at(out, group, values)
    return out


def polygon_topology(geoms: np.ndarray) -> Topology:
    """Shared-arc topology of (multi)polygons given in lon/lat degrees.

    Vertices are quantised first (:func:`quantize`); consecutive repeats are dropped and
    rings with fewer than 3 distinct points vanish.  Polygons that tile the plane
    without gaps (a valid coverage) store each shared boundary once.  Works for any
    polygons: where they overlap or leave gaps, the arcs are merely cut more often.

    The steps: clean open rings (:func:`_clean_rings`), the graph of their vertices and
    segments with its junctions (:func:`_vertex_graph`), the rings cut at the junctions into
    chains, each the run of one arc (:func:`_chains`), the arcs' points
    (:func:`_arc_coords`) and owners (:func:`_arc_owners`), and the polygons as rings of
    arc ids (:func:`_nest`).
    """
    geoms = np.asarray(geoms, dtype=object)
    n_geoms = len(geoms)
    rings = _clean_rings(geoms)
    if len(rings.counts) == 0:
        return Topology(np.zeros((0, 2), np.int64), np.zeros(0, np.int64),
                        [[] for _ in range(n_geoms)], np.zeros((0, 2), np.int64))
    graph = _vertex_graph(rings)
    chains = _chains(rings, graph)
    arc_coords, arc_lengths = _arc_coords(chains, graph.vxy, len(rings.q))
    owners = _arc_owners(chains, rings.part_geom[rings.part], len(arc_lengths), n_geoms)
    return Topology(arc_coords, arc_lengths, _nest(chains, rings, n_geoms), owners)


@dataclass
class _Rings:
    """Polygon rings as open sequences of quantised vertices, ring after ring.

    Attributes
    ----------
    q, ring_of
        Shape (m, 2) vertex coordinates (int multiples of :data:`QUANTUM`) and the ring of
        each vertex (0..R-1; the first point is not repeated at the end).
    counts, starts
        Per ring: its number of vertices (≥ 3) and the position of its first vertex.
    part, part_geom
        The polygon part of each ring, and the input geometry of each part.
    """

    q: np.ndarray
    ring_of: np.ndarray
    counts: np.ndarray
    starts: np.ndarray
    part: np.ndarray
    part_geom: np.ndarray


def _ring_starts(counts: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _clean_rings(geoms: np.ndarray) -> _Rings:
    """The rings of the polygons in ``geoms``, quantised, open, without repeated points; rings
    with fewer than 3 points vanish, and so does a part whose exterior vanished."""
    parts, part_geom = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == 3
    parts, part_geom = parts[keep], part_geom[keep]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    n_rings = len(rings)
    first_ring_of_part = np.full(len(parts), n_rings, dtype=np.int64)
    np.minimum.at(first_ring_of_part, ring_part, np.arange(n_rings))
    ring_is_exterior = np.arange(n_rings) == first_ring_of_part[ring_part]

    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    q, ring_of = _open_rings(quantize(xy), ring_of, n_rings)
    counts = np.bincount(ring_of, minlength=n_rings)
    ok_ring = counts >= 3
    ok_part = np.zeros(len(parts), dtype=bool)
    ok_part[ring_part[ring_is_exterior & ok_ring]] = True
    ok_ring &= ok_part[ring_part]
    sel = ok_ring[ring_of]
    q, ring_of = q[sel], ring_of[sel]
    # renumber the surviving rings 0..R-1
    ring_ids = np.flatnonzero(ok_ring)
    ring_new = np.full(n_rings, -1, dtype=np.int64)
    ring_new[ring_ids] = np.arange(len(ring_ids))
    ring_of = ring_new[ring_of]
    counts = np.bincount(ring_of, minlength=len(ring_ids))
    return _Rings(q, ring_of, counts, _ring_starts(counts), ring_part[ring_ids], part_geom)


def _open_rings(q: np.ndarray, ring_of: np.ndarray, n_rings: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop consecutive repeats within a ring and the closing point (equal to the ring's
    first): rings are handled open."""
    same = np.zeros(len(q), dtype=bool)
    same[1:] = (ring_of[1:] == ring_of[:-1]) & (q[1:] == q[:-1]).all(axis=1)
    q, ring_of = q[~same], ring_of[~same]
    counts = np.bincount(ring_of, minlength=n_rings)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    last = starts + counts - 1
    closing = np.zeros(len(q), dtype=bool)
    has = counts > 1
    closing[last[has]] = (q[last[has]] == q[starts[has]]).all(axis=1)
    return q[~closing], ring_of[~closing]


@dataclass
class _Graph:
    """The vertices and segments the rings share.

    Attributes
    ----------
    vid, sid
        Per ring vertex: its vertex id, and the id of the segment to the ring's next vertex.
    vxy
        Shape (V, 2): the coordinates of each vertex id.
    junction
        Per vertex id: the boundary network branches there (or a ring without any branch
        is cut there: at its smallest vertex id).
    """

    vid: np.ndarray
    sid: np.ndarray
    vxy: np.ndarray
    junction: np.ndarray


def _vertex_graph(r: _Rings) -> _Graph:
    """Vertex and segment ids of the rings, and the junctions (vertices of degree ≠ 2)."""
    q, ring_of, n_r = r.q, r.ring_of, len(r.counts)
    key = (q[:, 0] + (1 << 30)) * (1 << 31) + (q[:, 1] + (1 << 30))
    ukey, vid = np.unique(key, return_inverse=True)
    n_v = len(ukey)
    vxy = np.empty((n_v, 2), dtype=np.int64)
    vxy[vid] = q
    nxt = np.arange(len(q)) + 1
    ends = r.starts + r.counts - 1
    nxt[ends] = r.starts
    a, b = vid, vid[nxt]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    skey = lo * n_v + hi
    useg, sid = np.unique(skey, return_inverse=True)
    seg_lo, seg_hi = useg // n_v, useg % n_v
    degree = np.bincount(seg_lo, minlength=n_v) + np.bincount(seg_hi, minlength=n_v)
    junction = degree != 2
    # a ring without a junction (an island, or the hole it fills) is cut at its
    # smallest vertex id, which every ring made of the same vertices shares
    ring_has_j = np.bincount(ring_of, weights=junction[vid], minlength=n_r) > 0
    if not ring_has_j.all():
        minv = _group_first(vid, ring_of, n_r, n_v)
        junction[minv[~ring_has_j]] = True
    return _Graph(vid, sid, vxy, junction)


@dataclass
class _Chains:
    """The rings cut at their junctions into chains, each the run of one arc along a ring.

    Attributes
    ----------
    rv
        The ring vertices' ids, each ring rotated to start at its first junction.
    first, last, end
        Per chain: positions (in ``rv``) of its first vertex, of its last segment's start,
        and of the vertex after its last segment (the next chain's start, or its ring's).
    ring
        Per chain: its ring.
    forward, arc
        Per chain: whether it runs in its arc's direction, and its arc id.
    arc_first
        Per arc: its first chain (whose points, oriented forward, are the arc's).
    """

    rv: np.ndarray
    first: np.ndarray
    last: np.ndarray
    end: np.ndarray
    ring: np.ndarray
    forward: np.ndarray
    arc: np.ndarray
    arc_first: np.ndarray


def _chains(r: _Rings, g: _Graph) -> _Chains:
    """Rotate every ring to start at its first junction and cut it there and at every
    further junction; chains over the same segments are one arc."""
    n_q, n_r, starts, ring_of = len(r.q), len(r.counts), r.starts, r.ring_of
    pos = np.arange(n_q)
    isj = g.junction[g.vid]
    first_j = _group_first(np.where(isj, pos, n_q), ring_of, n_r, n_q)
    off = first_j - starts
    k = pos - starts[ring_of]
    rot = starts[ring_of] + (off[ring_of] + k) % r.counts[ring_of]
    rv, rs = g.vid[rot], g.sid[rot]
    c_first = np.flatnonzero(g.junction[rv])
    c_last = np.append(c_first[1:], n_q) - 1
    c_ring = ring_of[c_first]
    first_seg, last_seg = rs[c_first], rs[c_last]
    # vertex after the chain's last segment: the next chain's start, or the ring's start
    end_pos = c_last + 1
    wraps = (end_pos >= n_q) | (np.append(c_ring[1:], -1) != c_ring)
    end_pos = np.where(wraps, starts[c_ring], end_pos)
    start_v, end_v = rv[c_first], rv[end_pos]
    forward = np.where(first_seg == last_seg, start_v <= end_v, first_seg < last_seg)
    ckey = np.minimum(first_seg, last_seg)
    _, first_occ, arc_of_chain = np.unique(ckey, return_index=True, return_inverse=True)
    return _Chains(rv, c_first, c_last, end_pos, c_ring, forward, arc_of_chain, first_occ)


def _arc_coords(c: _Chains, vxy: np.ndarray, n_q: int) -> tuple[np.ndarray, np.ndarray]:
    """Arc coordinates from each arc's first chain, oriented forward, and the arcs' lengths."""
    rep = c.arc_first
    lens = (c.last[rep] - c.first[rep] + 2).astype(np.int64)
    arc_start = np.concatenate([[0], np.cumsum(lens)[:-1]])
    total = int(lens.sum())
    which = np.repeat(np.arange(len(rep)), lens)
    kk = np.arange(total) - arc_start[which]
    kk = np.where(c.forward[rep][which], kk, lens[which] - 1 - kk)
    ppos = c.first[rep][which] + kk
    is_end = kk == lens[which] - 1
    ppos = np.where(is_end, c.end[rep][which], np.minimum(ppos, n_q - 1))
    return vxy[c.rv[ppos]], lens


def _arc_owners(c: _Chains, ring_geom: np.ndarray, n_arcs: int, n_geoms: int) -> np.ndarray:
    """The smallest and largest geometry using each arc (-1: one side only)."""
    c_geom = ring_geom[c.ring]
    uses = np.bincount(c.arc, minlength=n_arcs)
    gmin = np.full(n_arcs, n_geoms, dtype=np.int64)
    gmax = np.full(n_arcs, -1, dtype=np.int64)
    np.minimum.at(gmin, c.arc, c_geom)
    np.maximum.at(gmax, c.arc, c_geom)
    return np.column_stack([gmin, np.where(uses >= 2, gmax, -1)])


def _nest(c: _Chains, r: _Rings, n_geoms: int) -> list[list[list[list[int]]]]:
    """Geometry → polygons (parts) → rings → signed arc ids."""
    signed = np.where(c.forward, c.arc, ~c.arc)
    cuts = np.flatnonzero(np.diff(c.ring)) + 1
    ring_chains = np.split(signed, cuts)
    ring_index = c.ring[np.r_[0, cuts]]
    polygons: list[list[list[list[int]]]] = [[] for _ in range(n_geoms)]
    last_part = -1
    for ring, chains in zip(ring_index.tolist(), ring_chains):
        p = int(r.part[ring])
        g = int(r.part_geom[p])
        if p != last_part:
            polygons[g].append([])
            last_part = p
        polygons[g][-1].append(chains.tolist())
    return polygons


def line_coords(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quantised coordinates of (multi)lines or polygon rings, one arc per line part.

    Returns ``(coords, lengths, geom_index)``; consecutive repeats are dropped and parts
    with fewer than 2 points vanish.
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, part_geom = shapely.get_parts(geoms, return_index=True)
    tid = shapely.get_type_id(parts)
    poly = tid == 3
    if poly.any():
        rings, ring_part = shapely.get_rings(parts[poly], return_index=True)
        parts = np.concatenate([parts[~poly], rings])
        part_geom = np.concatenate([part_geom[~poly], part_geom[poly][ring_part]])
    xy, part_of = shapely.get_coordinates(parts, return_index=True)
    q = quantize(xy)
    same = np.zeros(len(q), dtype=bool)
    same[1:] = (part_of[1:] == part_of[:-1]) & (q[1:] == q[:-1]).all(axis=1)
    q, part_of = q[~same], part_of[~same]
    counts = np.bincount(part_of, minlength=len(parts))
    ok = counts >= 2
    sel = ok[part_of]
    return q[sel], counts[ok], part_geom[ok]
