"""Sewers between two points: ground profile, gravity and lift stations, diameter, yearly cost.

Used by two steps: the connecting sewers from village anchors to plants (:mod:`.connect`)
and the linking sewers between villages of a cluster (:mod:`.clusters`).

Gravity and pumping (:func:`gravity_sewer`)
    The ground profile along the route is sampled every ``profile_step_m``.  The pipe
    leaves the village at ``min_trench_depth_m`` and falls at least at ``min_slope``; it
    never rises closer to the ground than the minimum depth.  Where the trench would become
    deeper than ``max_trench_depth_m`` a lift station is placed and the pipe restarts at the
    minimum depth.  Without a DEM the ground is taken as flat.
Routes
    A sewer follows its road route where one is given (a LineString from start to end);
    else it is the straight line × ``detour_factor``, its profile sampled along the
    straight line and stretched by that factor.
Diameter and cost
    The smallest of 0.3–1.0 m that carries the peak flow (flow × ``peak_factor``) half full
    at the minimum slope (Manning, ``manning_n``); yearly cost by
    :func:`~geo_env.analysis.sewage.costs.sewer_cost`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from ...terrain import Dem, densify_lines, densify_segments
from ._arrays import Bools, Floats, Ints, Objects
from .costs import sewer_cost
from .params import Params

__all__ = ["Sewers", "gravity_sewer", "sewer_links"]

_DIAMETERS_M = np.array([0.3, 0.4, 0.5, 0.6, 0.8, 1.0])
_SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Sewers:
    """Sewers, one per (start, end) pair, in the order of the pairs.

    Attributes
    ----------
    length_m
        Route length (m): the road route's, else the straight line × detour factor.
    pumps
        Lift stations along the route (0 for a route not profiled: longer than the limit).
    depth_m
        Length-weighted mean trench depth (m; 0 for a route not profiled).
    cost
        Yearly cost (yuan/year) of the sewer and its lift stations; NaN for a route longer
        than the limit (infeasible).
    diameter_m
        Pipe diameter (m) for the flow it carries.
    """

    length_m: Floats
    pumps: Ints
    depth_m: Floats
    cost: Floats
    diameter_m: Floats

    @classmethod
    def empty(cls) -> Sewers:
        return cls(np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0))


def gravity_sewer(
    line_idx: Ints,
    s: Floats,
    z: Floats,
    *,
    min_slope: float,
    min_depth_m: float,
    max_depth_m: float,
    chunk_cells: int = 2_000_000,
) -> tuple[Ints, Floats]:
    """Lift stations and mean trench depth of sewers laid along ground profiles.

    The pipe starts at the first sample ``min_depth_m`` below ground and runs to the last
    one (the flow direction).  At each next sample its invert is the lower of (previous
    invert − ``min_slope`` × step) and (ground − ``min_depth_m``).  Where the trench would be
    deeper than ``max_depth_m`` a lift station is placed at that sample and the invert
    restarts at ground − ``min_depth_m``.  No lift station is counted at the last sample:
    the receiving plant or station lifts incoming sewage anyway.  (So the lift stations of
    a route are never fewer than those of its first part.)

    Vectorised across profiles: the loop runs over the sample position, every profile at
    once (profiles are processed in chunks of similar length).

    Parameters
    ----------
    line_idx
        Profile number of each sample (0 … P−1); samples of one profile contiguous, in order.
    s
        Distance of each sample along its route (m).
    z
        Ground elevation of each sample (m); ``NaN`` values are filled along the profile
        (linear between known neighbours, else the nearest known, else flat ground).
    min_slope
        Minimum pipe slope (m/m).
    min_depth_m, max_depth_m
        Trench depth limits (m).
    chunk_cells
        Memory bound: profiles × samples per chunk.

    Returns
    -------
    pumps, mean_depth_m
        Per profile: the number of lift stations and the length-weighted mean trench
        depth (m; ``min_depth_m`` for a zero-length profile).
    """
    line_idx = np.asarray(line_idx, dtype=np.int64)
    s = np.asarray(s, dtype=float)
    z = _fill_profile_gaps(line_idx, s, np.asarray(z, dtype=float))
    n_prof = int(line_idx.max()) + 1 if line_idx.size else 0
    counts = np.bincount(line_idx, minlength=n_prof)
    first = np.cumsum(counts) - counts
    pumps = np.zeros(n_prof, dtype=np.int64)
    depth_int = np.zeros(n_prof)
    order = np.argsort(counts, kind="stable")
    start = 0
    while start < n_prof:
        width = max(int(counts[order[start]]), 1)
        stop = start + 1
        # grow the chunk while the padded block stays within the memory bound
        while stop < n_prof and (stop - start + 1) * max(int(counts[order[stop]]), 1) <= chunk_cells:
            stop += 1
        rows = order[start:stop]
        width = max(int(counts[rows].max()), 1)
        n_rows = counts[rows]
        k = np.arange(width)
        valid = k[None, :] < n_rows[:, None]
        src = np.where(valid, first[rows][:, None] + k[None, :], 0)
        Z = np.where(valid, z[src], np.nan)
        S = np.where(valid, s[src], np.nan)
        inv = Z[:, 0] - min_depth_m
        prev_depth = np.full(len(rows), min_depth_m)
        p = np.zeros(len(rows), dtype=np.int64)
        acc = np.zeros(len(rows))
        for j in range(1, width):
            act = valid[:, j]
            if not act.any():
                break
            ds = S[:, j] - S[:, j - 1]
            top = Z[:, j] - min_depth_m
            new = np.minimum(inv - min_slope * ds, top)
            depth = Z[:, j] - new
            lift = act & (depth > max_depth_m + 1e-9) & (j < n_rows - 1)
            new = np.where(lift, top, new)
            depth = np.where(lift, min_depth_m, depth)
            acc += np.where(act, 0.5 * (prev_depth + depth) * ds, 0.0)
            inv = np.where(act, new, inv)
            prev_depth = np.where(act, depth, prev_depth)
            p += lift
        pumps[rows] = p
        depth_int[rows] = acc
        start = stop
    length = np.zeros(n_prof)
    if line_idx.size:
        last = first + counts - 1
        has = counts > 0
        length[has] = s[last[has]] - s[first[has]]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_depth = np.where(length > 0, depth_int / np.where(length > 0, length, 1.0), min_depth_m)
    return pumps, mean_depth


def _fill_profile_gaps(line_idx: Ints, s: Floats, z: Floats) -> Floats:
    """``z`` with NaN filled within each profile (linear / nearest known / 0 = flat)."""
    bad = ~np.isfinite(z)
    if not bad.any():
        return z
    n = z.size
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(~bad, idx, -1))
    nxt = np.minimum.accumulate(np.where(~bad, idx, n)[::-1])[::-1]
    pc, nc = np.clip(prev, 0, n - 1), np.clip(nxt, 0, n - 1)
    prev_ok = (prev >= 0) & (line_idx[pc] == line_idx)
    next_ok = (nxt < n) & (line_idx[nc] == line_idx)
    out = z.copy()
    both = bad & prev_ok & next_ok
    span = s[nc] - s[pc]
    w = np.where(span > 0, (s - s[pc]) / np.where(span > 0, span, 1.0), 0.0)
    out[both] = (z[pc] + w * (z[nc] - z[pc]))[both]
    only_p = bad & prev_ok & ~next_ok
    out[only_p] = z[pc][only_p]
    only_n = bad & ~prev_ok & next_ok
    out[only_n] = z[nc][only_n]
    out[bad & ~prev_ok & ~next_ok] = 0.0
    return out


def sewer_links(
    starts: Floats,
    ends: Floats,
    flow_m3_per_day: Floats,
    dem: Dem | None,
    prm: Params,
    lines: Objects | None = None,
    max_length_m: float = np.inf,
) -> Sewers:
    """Length, lift stations, depth and yearly cost of sewers from ``starts`` to ``ends``.

    ``starts``, ``ends``: arrays (n, 2) of x, y in the working CRS (m); ``flow_m3_per_day``:
    the flow each sewer carries (m³/d).  ``lines`` (optional) gives a road route per link
    (object array: LineString from start to end, or None for the straight line × detour
    factor).  Links longer than ``max_length_m`` are not profiled: their pumps and depth are
    0 and their cost NaN (they are infeasible).
    """
    n = len(starts)
    if n == 0:
        return Sewers.empty()
    road = np.zeros(n, dtype=bool) if lines is None else ~shapely.is_missing(lines)
    length = np.hypot(*(np.asarray(ends) - np.asarray(starts)).T) * prm["detour_factor"]
    if lines is not None and road.any():
        length[road] = shapely.length(lines[road])
    keep = length <= max_length_m
    pumps, depth = _lifts_and_depth(starts, ends, lines, road, keep, dem, prm)
    diameter = _diameter(flow_m3_per_day, prm)
    cost = np.where(keep, sewer_cost(length, diameter, depth, pumps, prm), np.nan)
    return Sewers(length, pumps, depth, cost, diameter)


def _lifts_and_depth(starts: Floats, ends: Floats, lines: Objects | None, road: Bools, keep: Bools,
                     dem: Dem | None, prm: Params) -> tuple[Ints, Floats]:
    """Lift stations and mean trench depth (m) of each sewer among ``keep`` (0 elsewhere):
    its route sampled every ``profile_step_m`` (road route where ``road``, else the straight
    line stretched by the detour factor), the ground read from ``dem`` (flat without one)."""
    n = len(starts)
    step = prm["profile_step_m"]
    idx_parts, s_parts, xy_parts = [], [], []
    straight = np.flatnonzero(~road & keep)
    if straight.size:
        i, s, xy = densify_segments(starts[straight], ends[straight], step_m=step,
                                    stretch=prm["detour_factor"])
        idx_parts.append(straight[i])
        s_parts.append(s)
        xy_parts.append(xy)
    on_road = np.flatnonzero(road & keep)
    if lines is not None and on_road.size:
        i, s, xy = densify_lines(lines[on_road], step_m=step)
        idx_parts.append(on_road[i])
        s_parts.append(s)
        xy_parts.append(xy)
    pumps = np.zeros(n, dtype=np.int64)
    depth = np.zeros(n)
    if idx_parts:
        li = np.concatenate(idx_parts)
        s = np.concatenate(s_parts)
        xy = np.concatenate(xy_parts)
        order = np.lexsort((s, li))
        li, s, xy = li[order], s[order], xy[order]
        z = dem.sample(xy) if dem is not None else np.zeros(len(s))
        kept = np.flatnonzero(keep)
        remap = np.full(n, -1)
        remap[kept] = np.arange(len(kept))
        p_k, d_k = gravity_sewer(remap[li], s, z, min_slope=prm["min_slope"],
                                 min_depth_m=prm["min_trench_depth_m"],
                                 max_depth_m=prm["max_trench_depth_m"])
        pumps[kept], depth[kept] = p_k, d_k
    return pumps, depth


def _diameter(flow_m3_d: Floats, prm: Params) -> Floats:
    """Smallest standard diameter (m) carrying the peak flow half full at the minimum slope."""
    d = _DIAMETERS_M
    full = (1.0 / prm["manning_n"]) * (np.pi * d**2 / 4) * (d / 4) ** (2 / 3) * np.sqrt(prm["min_slope"])
    half = full / 2.0 * _SECONDS_PER_DAY  # m³/d
    peak = np.asarray(flow_m3_d, dtype=float) * prm["peak_factor"]
    k = np.searchsorted(half, peak, side="left")
    return d[np.clip(k, 0, len(d) - 1)]
