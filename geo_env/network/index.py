"""Which road segments are near a point: a uniform grid of segment pieces, and a KD-tree
for points far from every segment.

Both answer exactly (distances are computed to the segments themselves): the nearest
segment of each point, and every (point, segment) pair within a distance.  The build
uses them to snap line ends onto other lines, :class:`~geo_env.network.RoadNetwork` to
attach points and to report dangling ends.  Coordinates ``(x, y)`` in metres.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from ._arrays import _group_starts, _take
from .segments import _project

__all__: list[str] = []  # nothing public here: geo_env.network re-exports what is

#: Points per batch of :class:`_SegmentGrid` queries (bounds their temporary arrays).
_GRID_CHUNK = 16_384

#: A :class:`_SegmentGrid` search square covering more cells than this goes to a KD-tree.
_GRID_MAX_CELLS = 400

#: :class:`_SegmentGrid` cell side, relative to the side of a square holding one segment.
_GRID_CELL_FACTOR = 2.0

#: :class:`_SegmentGrid` first search half-side for nearest segments, in cell sides.
_GRID_FIRST_R = 0.25


def _pieces(
    a: np.ndarray, d: np.ndarray, length: np.ndarray, step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Segments ``a -> a + d`` cut into equal pieces no longer than ``step`` (m).

    Returns each piece's segment, its midpoint's x and y (m), and half the longest piece.
    """
    n = len(a)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0), 0.0
    n_piece = np.maximum(np.ceil(length / step), 1).astype(np.int64)
    ax, ay, dx, dy = a[:, 0], a[:, 1], d[:, 0], d[:, 1]
    owner, mx, my = np.arange(n), ax + 0.5 * dx, ay + 0.5 * dy  # one piece each ...
    long = np.flatnonzero(n_piece > 1)
    if len(long):  # ... but the long segments, cut in several (usually few of them)
        npl = n_piece[long]
        lo = np.repeat(long, npl)
        k_in = np.arange(len(lo)) - np.repeat(np.cumsum(npl) - npl, npl)
        frac = (k_in + 0.5) / n_piece[lo]
        keep = n_piece == 1
        owner = np.concatenate([owner[keep], lo])
        mx = np.concatenate([mx[keep], ax[lo] + frac * dx[lo]])
        my = np.concatenate([my[keep], ay[lo] + frac * dy[lo]])
    return owner, mx, my, float((length / n_piece).max()) / 2


class _SegmentIndex:
    """Exact nearest-segment and within-distance queries for straight segments (KD-tree).

    The segments are cut, for indexing only, into pieces no longer than ``2 h`` (``h``
    about half the median segment length) whose midpoints go into a KD-tree.  The
    nearest point of any segment lies within ``h`` of one of its midpoints, so

    * every segment within ``r`` of a point has a midpoint within ``r + h`` of it;
    * once the k-th nearest midpoint of a point is farther than (the best exact distance
      found among the k) + h, the nearest segment is among those k.

    It serves :class:`_SegmentGrid` for points far from every segment; ``a, b`` are the
    segment ends, shape (n, 2) each, in metres.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a, self.b = a, b
        length = np.hypot(*(b - a).T) if len(a) else np.zeros(0)
        step = max(float(np.median(length)), 1.0) if len(a) else 1.0
        self.owner, mx, my, self.half = _pieces(a, b - a, length, step)
        self.tree = cKDTree(np.column_stack([mx, my]))

    def nearest(self, pts: np.ndarray) -> np.ndarray:
        """Index of the nearest segment to each point (pts non-empty, segments non-empty)."""
        n_samples = self.tree.n
        best = np.zeros(len(pts), dtype=np.int64)
        todo = np.arange(len(pts))
        k = min(8, n_samples)
        while len(todo):
            dd, ii = self.tree.query(pts[todo], k=k, workers=-1)
            dd, ii = dd.reshape(len(todo), k), ii.reshape(len(todo), k)
            cand = self.owner[ii]
            flat = cand.ravel()
            _, d = _project(np.repeat(pts[todo], k, axis=0), self.a[flat], self.b[flat])
            d = d.reshape(len(todo), k)
            o = np.argmin(d, axis=1)
            rows = np.arange(len(todo))
            best[todo] = cand[rows, o]
            if k == n_samples:
                break
            todo = todo[dd[:, -1] <= d[rows, o] + self.half]
            k = min(4 * k, n_samples)
        return best

    def within(
        self, pts: np.ndarray, r: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(point, segment) pairs at most ``r`` apart: indices, parameter t, distance (m).

        A pair may be listed more than once.
        """
        if not len(pts) or not self.tree.n:
            z = np.zeros(0, np.int64)
            return z, z, np.zeros(0), np.zeros(0)
        pairs = cKDTree(pts).sparse_distance_matrix(
            self.tree, max_distance=r + self.half * (1 + 1e-9) + 1e-9, output_type="ndarray")
        # a segment may come several times (one per piece): callers keep the nearest
        pi, seg = pairs["i"].astype(np.int64), self.owner[pairs["j"]]
        t, d = _project(pts[pi], self.a[seg], self.b[seg])
        ok = d <= r
        return pi[ok], seg[ok], t[ok], d[ok]


class _SegmentGrid:
    """Exact nearest-segment and within-distance queries for straight segments (a grid).

    The segments are cut, for indexing only, into pieces no longer than the cell side
    ``c`` (about the side of a square holding one segment on average), and each piece is
    filed under the grid cell holding its midpoint.  Every point of a piece lies within
    ``h`` (half the longest piece) of its midpoint, so a segment within ``R`` of a point
    has a piece midpoint in a cell that meets the square of half-side ``R + h`` around
    the point:

    * ``within(pts, r)`` looks at the cells meeting the square of half-side ``r + h``;
    * ``nearest(pts)`` looks at the cells meeting the square ``R0 + h``; the cells looked
      at cover a square of half-side ``R_eff + h >= R0 + h``, so a point whose nearest
      candidate lies within ``R_eff`` is done.  The others look again with ``R`` = that
      candidate's distance (or ``4 R`` while nothing is found).  Points whose square would
      meet more than :data:`_GRID_MAX_CELLS` cells (far from every road) go to a KD-tree
      of the pieces (:class:`_SegmentIndex`), built only then.

    Sorts, binary searches and gathers in numpy, no Python loop per point; the distances
    are computed to the segments themselves, so the answers are exact.

    Parameters
    ----------
    a, b
        Segment ends, shape (n, 2) each, in metres.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a, self.b = a, b
        self._kd: _SegmentIndex | None = None
        n = len(a)
        ax, ay = np.ascontiguousarray(a[:, 0]), np.ascontiguousarray(a[:, 1])
        dx, dy = b[:, 0] - ax, b[:, 1] - ay
        if not n:
            self.c, self.h, self.org, self.nx, self.ny = 1.0, 0.0, np.zeros(2), 1, 1
            self.start, self.seg = np.zeros(2, np.int64), np.zeros(0, np.int64)
            self.cols = tuple(np.zeros(0) for _ in range(5))
            return
        bx, by = ax + dx, ay + dy
        lo = np.array([min(ax.min(), bx.min()), min(ay.min(), by.min())])
        ext = np.array([max(ax.max(), bx.max()), max(ay.max(), by.max())]) - lo
        c = max(float(np.sqrt(ext[0] * ext[1] / n)) * _GRID_CELL_FACTOR,
                float(ext.max()) / n, 1.0)
        l2 = dx * dx + dy * dy
        owner, mx, my, half = _pieces(a, np.column_stack([dx, dy]), np.sqrt(l2), c)
        self.c, self.org = c, lo
        self.h = half * (1 + 1e-9) + 1e-9
        self.nx, self.ny = int(ext[0] // c) + 1, int(ext[1] // c) + 1
        qx = np.clip(((mx - lo[0]) / c).astype(np.int64), 0, self.nx - 1)
        qy = np.clip(((my - lo[1]) / c).astype(np.int64), 0, self.ny - 1)
        cell = qx * self.ny + qy
        order = np.argsort(cell)
        self.seg = owner[order]
        self.start = np.zeros(self.nx * self.ny + 1, dtype=np.int64)
        np.cumsum(np.bincount(cell, minlength=self.nx * self.ny), out=self.start[1:])
        # the segments' numbers in cell order, so a cell's candidates are read in one run
        il2 = np.divide(1.0, l2, out=np.zeros(n), where=l2 > 0)
        self.cols = tuple(x[self.seg] for x in (ax, ay, dx, dy, il2))

    def _n_cells(self, r: np.ndarray) -> np.ndarray:
        """Upper bound of the cells a square of half-side ``r + h`` meets."""
        w = np.minimum(2 * (r + self.h) / self.c + 2, max(self.nx, self.ny))
        return w * w

    def _candidates(
        self, px: np.ndarray, py: np.ndarray, r: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidates of each point: the pieces in the cells meeting its square of
        half-side ``r + h``.

        Returns the point of each candidate (grouped, ascending), the candidate's position
        in cell order, and per point the half-side ``R_eff`` (>= r) within which every
        segment has a candidate.
        """
        rr = r + self.h
        c, (ox, oy), nx, ny = self.c, self.org, self.nx, self.ny
        x0 = np.floor((px - rr - ox) / c).astype(np.int64)
        x1 = np.floor((px + rr - ox) / c).astype(np.int64)
        y0 = np.floor((py - rr - oy) / c).astype(np.int64)
        y1 = np.floor((py + rr - oy) / c).astype(np.int64)
        # how far the cells looked at reach around the point (no cells beyond the grid)
        inf = np.inf
        margin = np.minimum.reduce([
            np.where(x0 > 0, px - ox - x0 * c, inf),
            np.where(x1 < nx - 1, ox + (x1 + 1) * c - px, inf),
            np.where(y0 > 0, py - oy - y0 * c, inf),
            np.where(y1 < ny - 1, oy + (y1 + 1) * c - py, inf),
        ])
        np.maximum(x0, 0, out=x0)
        np.maximum(y0, 0, out=y0)
        np.minimum(x1, nx - 1, out=x1)
        np.minimum(y1, ny - 1, out=y1)
        wx, wy = np.maximum(x1 - x0 + 1, 0), np.maximum(y1 - y0 + 1, 0)
        n_cell = wx * wy
        if (n_cell == 1).all():
            cell = x0 * ny + y0
            pi = np.arange(len(px))
        else:
            pi = np.repeat(np.arange(len(px)), n_cell)
            k = np.arange(len(pi)) - np.repeat(np.cumsum(n_cell) - n_cell, n_cell)
            w = wy[pi]
            cell = (x0[pi] + k // w) * ny + y0[pi] + k % w
        s0 = self.start[cell]
        cnt = self.start[cell + 1] - s0
        pj = np.repeat(pi, cnt)
        j = np.repeat(s0 - np.cumsum(cnt) + cnt, cnt) + np.arange(len(pj))
        return pj, j, np.maximum(margin - self.h, r)

    def _dist2(
        self, px: np.ndarray, py: np.ndarray, j: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Parameter t and squared distance (m²) from points to the candidates ``j``."""
        ax, ay, dx, dy, il2 = (np.take(x, j) for x in self.cols)
        wx, wy = px - ax, py - ay
        t = (wx * dx + wy * dy) * il2
        np.clip(t, 0.0, 1.0, out=t)
        wx -= t * dx
        wy -= t * dy
        return t, wx * wx + wy * wy

    def _tree(self) -> _SegmentIndex:
        if self._kd is None:
            self._kd = _SegmentIndex(self.a, self.b)
        return self._kd

    def nearest(self, pts: np.ndarray) -> np.ndarray:
        """Index of the nearest segment to each point (pts non-empty, segments non-empty)."""
        n = len(pts)
        best = np.zeros(n, dtype=np.int64)
        # points taken in cell order read the candidates' columns in runs, not at random
        # (about 1.5x faster for 100,000 scattered points); the answers do not change
        q = np.clip(((pts - self.org) // self.c), -1, [self.nx, self.ny]).astype(np.int64)
        order = np.argsort(q[:, 0] * (self.ny + 2) + q[:, 1], kind="stable")
        for lo in range(0, n, _GRID_CHUNK):
            at = order[lo:lo + _GRID_CHUNK]
            best[at] = self._nearest(pts[at])
        return best

    def _nearest(self, pts: np.ndarray) -> np.ndarray:
        best = np.zeros(len(pts), dtype=np.int64)
        todo = np.arange(len(pts))
        r = np.full(len(pts), _GRID_FIRST_R * self.c)
        while len(todo):
            far = self._n_cells(r) > _GRID_MAX_CELLS
            if far.any():
                best[todo[far]] = self._tree().nearest(pts[todo[far]])
                todo, r = todo[~far], r[~far]
                if not len(todo):
                    break
            px, py = pts[todo, 0], pts[todo, 1]
            pj, j, r_eff = self._candidates(px, py, r)
            _, d2 = self._dist2(np.take(px, pj), np.take(py, pj), j)
            dmin = np.full(len(todo), np.inf)
            np.minimum.at(dmin, pj, d2)
            hit = np.flatnonzero(d2 == np.take(dmin, pj))
            hit = hit[_group_starts(pj[hit])]
            best[todo[pj[hit]]] = self.seg[j[hit]]
            again = dmin > r_eff * r_eff
            todo = todo[again]
            dmin = np.sqrt(dmin[again])
            r = np.where(np.isfinite(dmin), dmin, np.maximum(4 * r[again], self.c))
        return best

    def within(
        self, pts: np.ndarray, r: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(point, segment) pairs at most ``r`` apart: indices, parameter t, distance (m).

        A pair may be listed more than once.
        """
        z = np.zeros(0, np.int64)
        if not len(self.seg) or not len(pts):
            return z, z, np.zeros(0), np.zeros(0)
        if self._n_cells(np.array(r)) > _GRID_MAX_CELLS:
            return self._tree().within(pts, r)
        out: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        loose = (r * (1 + 1e-9) + 1e-9) ** 2
        for lo in range(0, len(pts), _GRID_CHUNK):
            p = pts[lo:lo + _GRID_CHUNK]
            px, py = p[:, 0], p[:, 1]
            pj, j, _ = self._candidates(px, py, np.full(len(p), float(r)))
            _, d2 = self._dist2(np.take(px, pj), np.take(py, pj), j)
            near = d2 <= loose
            pj, seg = pj[near], self.seg[j[near]]
            # the exact figures (as everywhere else) for the few pairs left
            t, d = _project(_take(p, pj), _take(self.a, seg), _take(self.b, seg))
            ok = d <= r
            out.append((pj[ok] + lo, seg[ok], t[ok], d[ok]))
        qi, si, ts, ds = (np.concatenate(x) for x in zip(*out))
        return qi, si, ts, ds

