"""Sewage mode of every village: 纳管 / 村级集中 / 片区集中 / 联户分户, with the reason.

For each village the four modes are costed in yuan per year (annualised capital plus
operation) and the cheapest feasible one is chosen, hard rules first:

* ``connect`` (纳管): a sewer from the village anchor to a town plant.  Only the
  ``candidate_plants`` nearest plants are costed; the pipe route is the road route when
  roads and :mod:`geo_env.network` are available, else the straight line × ``detour_factor``.
  Infeasible when the route is longer than ``max_connect_distance_m`` or the plant's spare
  capacity (capacity − load) is smaller than the village's flow.
* ``centralized`` (村级集中): a station for the village.  Always feasible.
* ``cluster`` (片区集中): neighbouring villages share one station (see *Clusters*).
* ``household`` (联户分户): septic tanks and small household units.  Not allowed in
  drinking-water source protection zones (``[layers.water]`` rows whose
  ``protection_column`` is true / 1 / a non-empty zone name).

Flows
    flow (m³/d) = population × water use (L/(person·d)) / 1000 × sewage coefficient.
Gravity and pumping (:func:`gravity_sewer`)
    The ground profile along the route is sampled every ``profile_step_m``.  The pipe
    leaves the village at ``min_trench_depth_m`` and falls at least at ``min_slope``; it
    never rises closer to the ground than the minimum depth.  Where the trench would become
    deeper than ``max_trench_depth_m`` a lift station is placed and the pipe restarts at the
    minimum depth.  Without a DEM the ground is taken as flat.
Costs (yuan/year)
    capital × capital recovery factor ``r(1+r)^n/((1+r)^n − 1)`` (``discount_rate`` r,
    lifetime n years) + operation.  Sewer: length × (unit cost × diameter/0.3 m + depth
    cost × mean trench depth); diameter: the smallest of 0.3–1.0 m that carries the peak
    flow half full at the minimum slope (Manning).  Village network: length
    0.7124·√(households × settled area) (the Beardwood–Halton–Hammersley length of a tour
    through randomly placed houses) × unit cost × (1 + slope factor × mean slope %) +
    house connections; settled area = polygon area capped at households ×
    ``max_area_per_household_m2`` (points: households × ``area_per_household_m2``).
    Station: ``station_capex_yuan_per_m3_day`` × Q_ref × (Q / Q_ref)^exponent + opex per m³.
Capacity sharing (fair, documented)
    Every feasible (village, plant) pair saves ``min(centralized, household) − connect``
    yuan/year.  Pairs are ranked by saving per m³/d of flow (the best use of scarce
    capacity) and assigned greedily: a village takes the first pair whose plant still has
    room for its whole flow; villages with no positive saving never connect.  So a plant's
    connected flow never exceeds its spare capacity.
Clusters (agglomerative)
    Among villages not connected, start with every village alone (cost: its cheaper of
    centralized / household).  Two groups are neighbours when some of their villages lie
    within ``cluster_max_link_m``.  A merged group has one station at the member that makes
    it cheapest; every other member sends its sewage there through its own linking sewer
    (costed with profile and pumps like a connection); members farther than
    ``cluster_max_link_m`` from the station are not allowed.  Repeatedly merge the pair of
    neighbouring groups with the largest positive saving (cost(A) + cost(B) −
    cost(A ∪ B)); stop when no merge saves.  Each merge saves, so every cluster costs less
    than its members alone.  A member's ``cost_cluster_yuan_per_year`` is the cluster's
    cost shared in proportion to the members' stand-alone costs (so each member pays less
    than alone).
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ._geometry import anchor_points
from .errors import ColumnNotFoundError, DataValueError, ParameterError, closest, format_rows
from .project import District
from .standards import PARAMETERS, defaults
from .terrain import Dem, densify_lines, densify_segments, read_dem, zonal_mean

__all__ = [
    "MODES",
    "LABELS",
    "SewagePlan",
    "sewage_modes",
    "sewage_plan",
    "gravity_sewer",
    "capital_recovery_factor",
    "plan_part",
]

log = logging.getLogger(__name__)

#: The modes, in the order used for ties and tables.
MODES = ("connect", "centralized", "cluster", "household")

#: Tour length constant of Beardwood, Halton & Hammersley (1959): a shortest tour through
#: n random points in area A is about 0.7124·√(nA).
_BHH = 0.7124
_DIAMETERS_M = np.array([0.3, 0.4, 0.5, 0.6, 0.8, 1.0])
_SECONDS_PER_DAY = 86400.0

LABELS: dict[str, tuple[str, str]] = {
    "sewage": ("生活污水治理", "Sewage"),
    "sewage_mode": ("污水治理模式", "Sewage mode"),
    "connect": ("纳管", "Connect to town plant"),
    "centralized": ("村级集中", "Village station"),
    "cluster": ("片区集中", "Shared station"),
    "household": ("联户分户", "Household systems"),
    "sewage_plant_id": ("纳管污水厂编号", "Receiving plant ID"),
    "sewage_cluster_id": ("片区编号", "Cluster ID"),
    "sewage_flow_m3_per_day": ("污水量（m³/d）", "Sewage flow (m³/d)"),
    "elevation_m": ("高程（米）", "Elevation (m)"),
    "pipe_length_m": ("村外管道长度（米）", "Outside sewer length (m)"),
    "pump_stations": ("提升泵站（座）", "Lift stations"),
    "cost_connect_yuan_per_year": ("纳管年费用（元/年）", "Connect cost (yuan/year)"),
    "cost_centralized_yuan_per_year": ("村级集中年费用（元/年）", "Village station cost (yuan/year)"),
    "cost_cluster_yuan_per_year": ("片区集中年费用（元/年）", "Shared station cost (yuan/year)"),
    "cost_household_yuan_per_year": ("联户分户年费用（元/年）", "Household systems cost (yuan/year)"),
    "sewage_reason": ("治理模式理由", "Reason"),
    "toilet_suggestion": ("改厕建议", "Toilet upgrade"),
    "flush": ("水冲式厕所（接入污水收集）", "Flush toilet (sewage collected)"),
    "septic_tank": ("三格化粪池厕所", "Three-compartment septic tank"),
    "dry": ("双瓮或卫生旱厕（宜旱则旱）", "Double-urn or dry toilet"),
    "sewage_clusters": ("片区污水处理站", "Shared sewage stations"),
    "sewer_routes": ("纳管管线", "Connecting sewers"),
    "station_village_id": ("处理站所在村编号", "Station village ID"),
    "villages_count": ("村数", "Villages"),
    "flow_m3_per_day": ("污水量（m³/d）", "Flow (m³/d)"),
    "cost_yuan_per_year": ("年费用（元/年）", "Cost (yuan/year)"),
    "saving_yuan_per_year": ("年节省（元/年）", "Saving (yuan/year)"),
    "connected_villages": ("纳管村数", "Connected villages"),
    "connected_flow_m3_per_day": ("新增纳管水量（m³/d）", "Connected flow (m³/d)"),
    "load_after_m3_per_day": ("纳管后负荷（m³/d）", "Load after connection (m³/d)"),
    "spare_after_m3_per_day": ("纳管后余量（m³/d）", "Spare after connection (m³/d)"),
    "village_id": ("村编号", "Village ID"),
    "plant_id": ("污水厂编号", "Plant ID"),
    "sewage_by_township": ("乡镇污水治理模式", "Sewage modes by township"),
}

for _m in MODES:  # the per-mode columns of the township table
    _zh, _en = LABELS[_m]
    LABELS[f"{_m}_villages"] = (f"{_zh}村数", f"{_en}: villages")
    LABELS[f"{_m}_population"] = (f"{_zh}人口（人）", f"{_en}: population")
    LABELS[f"{_m}_flow_m3_per_day"] = (f"{_zh}污水量（m³/d）", f"{_en}: flow (m³/d)")

_OUT_COLUMNS = [
    "sewage_mode",
    "sewage_plant_id",
    "sewage_cluster_id",
    "sewage_flow_m3_per_day",
    "elevation_m",
    "pipe_length_m",
    "pump_stations",
    "cost_connect_yuan_per_year",
    "cost_centralized_yuan_per_year",
    "cost_cluster_yuan_per_year",
    "cost_household_yuan_per_year",
    "sewage_reason",
    "toilet_suggestion",
]

_TRUE_WORDS = {"", "0", "false", "no", "none", "nan", "否", "无", "非"}


# ---------------------------------------------------------------------------------------
# small public building blocks
# ---------------------------------------------------------------------------------------
def capital_recovery_factor(rate: float, years: float) -> float:
    """Capital recovery factor r(1+r)^n / ((1+r)^n − 1) (1/year); 1/n when r = 0."""
    if rate == 0:
        return 1.0 / years
    g = (1.0 + rate) ** years
    return rate * g / (g - 1.0)


def gravity_sewer(
    line_idx: np.ndarray,
    s: np.ndarray,
    z: np.ndarray,
    *,
    min_slope: float,
    min_depth_m: float,
    max_depth_m: float,
    chunk_cells: int = 2_000_000,
) -> tuple[np.ndarray, np.ndarray]:
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


def _fill_profile_gaps(line_idx: np.ndarray, s: np.ndarray, z: np.ndarray) -> np.ndarray:
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


# ---------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------
@dataclass
class SewagePlan:
    """The sewage analysis of a district.

    Attributes
    ----------
    villages
        The villages (geometry, id, name, township, population, households) with the output
        columns (``sewage_mode`` … ``toilet_suggestion``), index of ``district.villages``.
    details
        Diagnostic numbers per village (slope %, settled area m², network length m, flows,
        stand-alone cost, nearest plant …), same index.
    clusters
        One row per shared station: ``sewage_cluster_id station_village_id villages_count
        population flow_m3_per_day cost_yuan_per_year saving_yuan_per_year``; geometry: the
        linking sewers as straight lines (MultiLineString), working CRS.
    plants
        The sewage plants with ``connected_villages connected_flow_m3_per_day
        load_after_m3_per_day spare_after_m3_per_day`` (``None`` without plants).
    routes
        The connecting sewers of ``connect`` villages (``village_id plant_id
        pipe_length_m pump_stations``), LineStrings in the working CRS.
    by_township
        Villages, population and flow per mode and township.
    summary
        The ``sewage`` block of ``summary.json``.
    params
        The [sewage] parameters used.
    timings
        Seconds spent per step.
    """

    villages: gpd.GeoDataFrame
    details: pd.DataFrame
    clusters: gpd.GeoDataFrame
    plants: gpd.GeoDataFrame | None
    routes: gpd.GeoDataFrame
    by_township: pd.DataFrame
    summary: dict[str, Any]
    params: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# parameters and inputs
# ---------------------------------------------------------------------------------------
def _params(district: District, overrides: dict[str, Any]) -> dict[str, Any]:
    out = defaults("sewage")
    out.update(district.params.get("sewage", {}))
    for key, value in overrides.items():
        p = PARAMETERS.get(("sewage", key))
        if p is None:
            hint = closest(key, [k for (s, k) in PARAMETERS if s == "sewage"])
            raise ParameterError(
                f"unknown sewage parameter {key!r}",
                hint=f"did you mean {hint!r}?" if hint else "see geo_env.standards",
            )
        out[key] = p.validate(value)
    if out["max_trench_depth_m"] <= out["min_trench_depth_m"]:
        raise ParameterError(
            f"[sewage] max_trench_depth_m ({out['max_trench_depth_m']} m) must be greater than "
            f"min_trench_depth_m ({out['min_trench_depth_m']} m)")
    if out["detour_factor"] < 1:
        raise ParameterError(f"[sewage] detour_factor must be 1 or more, not {out['detour_factor']}")
    out["candidate_plants"] = int(out["candidate_plants"])
    return out


def _number_column(gdf: gpd.GeoDataFrame, column: str, layer: str, *, required: bool = True) -> np.ndarray:
    """A numeric, non-negative column as float array; clear errors naming the rows."""
    if column not in gdf.columns:
        if not required:
            return np.full(len(gdf), np.nan)
        hint = closest(column, gdf.columns)
        raise ColumnNotFoundError(
            f"the layer has no column '{column}'", layer=layer, column=column,
            hint=f"did you mean '{hint}'? map it in [layers.{layer}] columns" if hint
            else f"map it in [layers.{layer}] columns")
    values = pd.to_numeric(gdf[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if required and bad.any():
        rows = list(np.flatnonzero(bad) + 1)
        raise DataValueError(
            f"{column} must be a number of 0 or more; rows {format_rows(rows)} are not",
            layer=layer, column=column, row=rows[0], hint="fix or remove those rows")
    return values


def _protection_zones(district: District, column: str) -> np.ndarray | None:
    """Polygons of drinking-water source protection zones from ``district.water``."""
    water = district.water
    if water is None or column not in water.columns:
        if water is not None:
            log.info("[layers.water] has no column %r: no source-protection zones", column)
        return None
    raw = water[column]
    if raw.dtype == bool:
        flag = raw.to_numpy()
    else:
        text = raw.astype(str).str.strip().str.lower()
        flag = raw.notna().to_numpy() & ~text.isin(_TRUE_WORDS).to_numpy()
    geoms = water.geometry.values[flag]
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[np.isin(shapely.get_type_id(geoms), [3, 6])]
    return geoms if len(geoms) else None


def _plant_points(plants: gpd.GeoDataFrame) -> np.ndarray:
    geoms = np.asarray(plants.geometry.values, dtype=object)
    pts = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    return shapely.get_coordinates(pts)


# ---------------------------------------------------------------------------------------
# routes and profiles
# ---------------------------------------------------------------------------------------
def _road_network(district: District) -> Any | None:
    """The district's road network (:func:`geo_env.network.road_network`), or None without roads."""
    if district.roads is None or len(district.roads) == 0:
        return None
    from .network import road_network

    return road_network(district)


def _links(
    starts: np.ndarray,
    ends: np.ndarray,
    flow: np.ndarray,
    dem: Dem | None,
    prm: dict[str, Any],
    lines: list[Any] | None = None,
    max_length_m: float = np.inf,
) -> dict[str, np.ndarray]:
    """Length, lift stations, depth and yearly cost of sewers from ``starts`` to ``ends``.

    ``lines`` (optional) gives a road route per link (LineString from start to end, or None
    for the straight line × detour factor).  Links longer than ``max_length_m`` are not
    profiled: their pumps and depth are 0 and their cost NaN (they are infeasible).
    """
    n = len(starts)
    if n == 0:
        return {k: np.zeros(0) for k in ("length_m", "pumps", "depth_m", "cost", "diameter_m")}
    step = prm["profile_step_m"]
    road = np.zeros(n, dtype=bool) if lines is None else np.array([g is not None for g in lines])
    idx_parts, s_parts, xy_parts = [], [], []
    length = np.hypot(*(np.asarray(ends) - np.asarray(starts)).T) * prm["detour_factor"]
    if road.any():
        length[road] = shapely.length(np.array([lines[k] for k in np.flatnonzero(road)], dtype=object))  # type: ignore[index]
    keep = length <= max_length_m
    straight = np.flatnonzero(~road & keep)
    if straight.size:
        i, s, xy = densify_segments(starts[straight], ends[straight], step_m=step,
                                    stretch=prm["detour_factor"])
        idx_parts.append(straight[i]); s_parts.append(s); xy_parts.append(xy)
    on_road = np.flatnonzero(road & keep)
    if on_road.size:
        geoms = np.array([lines[k] for k in on_road], dtype=object)  # type: ignore[index]
        i, s, xy = densify_lines(geoms, step_m=step)
        idx_parts.append(on_road[i]); s_parts.append(s); xy_parts.append(xy)
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
    diameter = _diameter(flow, prm)
    capex = length * (prm["sewer_cost_yuan_per_m"] * diameter / 0.3
                      + prm["sewer_depth_cost_yuan_per_m_per_m"] * depth)
    crf_pipe = capital_recovery_factor(prm["discount_rate"], prm["pipe_life_years"])
    crf_pump = capital_recovery_factor(prm["discount_rate"], prm["pump_life_years"])
    cost = (capex * (crf_pipe + prm["pipe_om_share"])
            + pumps * (prm["pump_station_capex_yuan"] * crf_pump + prm["pump_station_om_yuan_per_year"]))
    cost = np.where(keep, cost, np.nan)
    return {"length_m": length, "pumps": pumps, "depth_m": depth, "cost": cost, "diameter_m": diameter}


def _diameter(flow_m3_d: np.ndarray, prm: dict[str, Any]) -> np.ndarray:
    """Smallest standard diameter (m) carrying the peak flow half full at the minimum slope."""
    d = _DIAMETERS_M
    full = (1.0 / prm["manning_n"]) * (np.pi * d**2 / 4) * (d / 4) ** (2 / 3) * np.sqrt(prm["min_slope"])
    half = full / 2.0 * _SECONDS_PER_DAY  # m³/d
    peak = np.asarray(flow_m3_d, dtype=float) * prm["peak_factor"]
    k = np.searchsorted(half, peak, side="left")
    return d[np.clip(k, 0, len(d) - 1)]


# ---------------------------------------------------------------------------------------
# the analysis
# ---------------------------------------------------------------------------------------
def sewage_modes(district: District, **overrides: Any) -> gpd.GeoDataFrame:
    """Sewage mode of every village, with costs and the reason.

    Parameters
    ----------
    district
        The district (villages required; sewage_plants, roads, water, dem optional).
    **overrides
        Any ``[sewage]`` parameter of :mod:`geo_env.standards` (validated), e.g.
        ``sewer_cost_yuan_per_m=600`` for a sweep.

    Returns
    -------
    geopandas.GeoDataFrame
        Index of ``district.villages``; columns ``id name township population households``
        and ``sewage_mode sewage_plant_id sewage_cluster_id sewage_flow_m3_per_day
        elevation_m pipe_length_m pump_stations cost_connect_yuan_per_year
        cost_centralized_yuan_per_year cost_cluster_yuan_per_year
        cost_household_yuan_per_year sewage_reason toilet_suggestion`` (costs in yuan/year,
        NaN where the mode is infeasible or, for clusters, not formed); working CRS.

    Examples
    --------
    >>> sew = ge.sewage_modes(d, sewer_cost_yuan_per_m=800)   # doctest: +SKIP
    >>> sew["sewage_mode"].value_counts()                      # doctest: +SKIP
    """
    return sewage_plan(district, **overrides).villages


def sewage_plan(
    district: District, *, progress: Callable[[str], None] | None = None, **overrides: Any
) -> SewagePlan:
    """The full sewage analysis (villages, clusters, plants, tables, summary).

    Parameters
    ----------
    district
        The district.
    progress
        Called with the name of each step.
    **overrides
        ``[sewage]`` parameters, as for :func:`sewage_modes`.

    Returns
    -------
    SewagePlan
    """
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def tick(name: str) -> None:
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - clock[0]
        clock[0] = now
        if progress is not None:
            progress(name)

    prm = _params(district, overrides)
    v = district.villages
    n = len(v)
    pop = _number_column(v, "population", "villages")
    hh = _number_column(v, "households", "villages")
    use = _number_column(v, "water_use_l_per_capita_day", "villages", required=False)
    use = np.where(np.isfinite(use), use, prm["water_use_l_per_capita_day"])
    xy = anchor_points(v)
    plants = district.sewage_plants
    if plants is not None and len(plants) == 0:
        plants = None
    if plants is not None:
        cap = _number_column(plants, "capacity_m3_per_day", "sewage_plants")
        load = _number_column(plants, "load_m3_per_day", "sewage_plants")
        pxy = _plant_points(plants)
        spare = np.maximum(cap - load, 0.0)
        pid = plants["id"].astype(str).to_numpy() if "id" in plants.columns else np.arange(len(plants)).astype(str)
        pname = plants["name"].astype(str).to_numpy() if "name" in plants.columns else pid
    else:
        pxy = np.zeros((0, 2))
        spare = np.zeros(0)
        pid = pname = np.zeros(0, dtype=object)
    tick("inputs")

    # --- terrain ------------------------------------------------------------------------
    dem = None
    elev = np.full(n, np.nan)
    slope = np.full(n, np.nan)
    if district.dem is not None:
        allxy = np.vstack([xy, pxy])
        bounds = (*allxy.min(axis=0), *allxy.max(axis=0))
        dem = read_dem(district.dem, nodata=district.dem_nodata, crs=district.crs, bounds=bounds,
                       dem_crs=district.dem_crs)
        elev = dem.sample(xy)
        grid = dem.slope_percent()
        slope, count = zonal_mean(grid, dem.transform, np.asarray(v.geometry.values, dtype=object))
        no_cells = count == 0
        if no_cells.any():  # points and villages smaller than a cell: slope at the anchor
            slope[no_cells] = Dem(grid, dem.transform, dem.crs).sample(xy[no_cells], method="nearest")
    tick("terrain")

    # --- flows and local costs ------------------------------------------------------------
    flow = pop * use / 1000.0 * prm["sewage_coefficient"]
    geoms = np.asarray(v.geometry.values, dtype=object)
    is_poly = np.isin(shapely.get_type_id(geoms), [3, 6])
    area = np.where(is_poly, np.minimum(shapely.area(geoms), hh * prm["max_area_per_household_m2"]),
                    hh * prm["area_per_household_m2"])
    net_len = _BHH * np.sqrt(hh * area)
    slope_f = 1.0 + prm["slope_cost_per_percent"] * np.nan_to_num(slope, nan=0.0)
    r = prm["discount_rate"]
    crf_pipe = capital_recovery_factor(r, prm["pipe_life_years"])
    crf_station = capital_recovery_factor(r, prm["station_life_years"])
    crf_house = capital_recovery_factor(r, prm["household_life_years"])
    internal = ((net_len * prm["internal_pipe_cost_yuan_per_m"] * slope_f + hh * prm["house_connection_yuan"])
                * (crf_pipe + prm["pipe_om_share"]))

    def station(q: np.ndarray | float) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        qref = prm["station_reference_m3_per_day"]
        capex = prm["station_capex_yuan_per_m3_day"] * qref * (q / qref) ** prm["station_scale_exponent"]
        return capex * crf_station + q * 365.0 * prm["station_opex_yuan_per_m3"]

    centralized = internal + station(flow)
    household = hh * (prm["household_capex_yuan"] * crf_house + prm["household_om_yuan_per_year"])
    zones = _protection_zones(district, prm["protection_column"])
    protected = np.zeros(n, dtype=bool)
    if zones is not None:
        hit = shapely.STRtree(zones).query(geoms, predicate="intersects")
        protected[np.unique(hit[0])] = True
        household = np.where(protected, np.nan, household)
    alone = np.fmin(centralized, household)
    tick("local costs")

    # --- connection candidates ------------------------------------------------------------
    pair_v = pair_p = np.zeros(0, dtype=np.int64)
    plant_dist = np.full(n, np.nan)
    nearest_plant = np.full(n, -1)
    conn: dict[str, np.ndarray] = {k: np.zeros(0) for k in ("length_m", "pumps", "depth_m", "cost")}
    route_lines: list[Any] | None = None
    if len(pxy):
        tree = cKDTree(pxy)
        dd, ii = tree.query(xy, k=1)
        plant_dist, nearest_plant = dd, ii
        k = min(prm["candidate_plants"], len(pxy))
        dist, idx = tree.query(xy, k=k, distance_upper_bound=prm["max_connect_distance_m"])
        dist, idx = dist.reshape(n, k), idx.reshape(n, k)
        ok = np.isfinite(dist) & (flow[:, None] > 0)
        pair_v = np.repeat(np.arange(n), k)[ok.ravel()]
        pair_p = idx.ravel()[ok.ravel()]
        net = _road_network(district)
        if net is not None and len(pair_v):
            route_lines = _road_routes(net, xy, pxy, pair_v, pair_p, district)
        tick("routes")
        conn = _links(xy[pair_v], pxy[pair_p], flow[pair_v], dem, prm, route_lines,
                      max_length_m=prm["max_connect_distance_m"])
        conn["cost"] = conn["cost"] + internal[pair_v] + flow[pair_v] * 365.0 * prm["plant_opex_yuan_per_m3"]
    tick("connection profiles")

    # hard rules: route length and the plant's spare capacity for this village alone
    within = conn["length_m"] <= prm["max_connect_distance_m"]
    feasible = within & (flow[pair_v] <= spare[pair_p] + 1e-9)
    has_within = np.bincount(pair_v[within], minlength=n) > 0
    cost_connect = np.full(n, np.nan)
    if feasible.any():
        cheapest = pd.Series(conn["cost"][feasible]).groupby(pair_v[feasible]).min()
        cost_connect[cheapest.index.to_numpy()] = cheapest.to_numpy()
    # fair sharing of spare capacity: greedy by saving per m³/d
    saving = alone[pair_v] - conn["cost"]
    cand = np.flatnonzero(feasible & (saving > 0))
    rank = cand[np.lexsort((pair_p[cand], pair_v[cand], -saving[cand] / flow[pair_v[cand]]))]
    room = spare.copy()
    assigned = np.full(n, -1)  # pair index
    capacity_blocked = np.zeros(n, dtype=bool)
    for q in rank:  # pairs in order of saving per m³/d; cheap scalar work per pair
        i, j = pair_v[q], pair_p[q]
        if assigned[i] >= 0:
            continue
        if flow[i] <= room[j] + 1e-9:
            room[j] -= flow[i]
            assigned[i] = q
        else:
            capacity_blocked[i] = True
    connected = assigned >= 0
    capacity_blocked &= ~connected
    tick("capacity")

    # --- clusters -------------------------------------------------------------------------
    free = np.flatnonzero(~connected & (flow > 0))
    groups, group_cost, link_of = _clusters(free, xy, flow, internal, alone, station, dem, prm)
    tick("clusters")

    # --- assemble -------------------------------------------------------------------------
    mode = np.where(np.isfinite(household) & (household < centralized), "household", "centralized").astype(object)
    mode[flow <= 0] = "household"
    mode[connected] = "connect"
    cluster_id = np.full(n, None, dtype=object)
    cost_cluster = np.full(n, np.nan)
    pipe_len = np.zeros(n)
    pumps_out = np.zeros(n, dtype=np.int64)
    cluster_size = np.zeros(n, dtype=np.int64)
    cluster_rows = []
    for c, (members, stn) in enumerate(groups):
        cid = f"C{c + 1:03d}"
        share = group_cost[c] * alone[members] / alone[members].sum()
        mode[members] = "cluster"
        cluster_id[members] = cid
        cost_cluster[members] = share
        cluster_size[members] = len(members)
        lines = []
        for m in members:
            if m != stn:
                ln, pu = link_of[(m, stn)]
                pipe_len[m] = ln
                pumps_out[m] = pu
                lines.append(shapely.LineString([xy[m], xy[stn]]))
        cluster_rows.append({
            "sewage_cluster_id": cid,
            "station_village_id": str(v["id"].iloc[stn]) if "id" in v.columns else str(stn),
            "villages_count": len(members),
            "population": float(pop[members].sum()),
            "flow_m3_per_day": float(flow[members].sum()),
            "cost_yuan_per_year": float(group_cost[c]),
            "saving_yuan_per_year": float(alone[members].sum() - group_cost[c]),
            "geometry": shapely.MultiLineString(lines),
        })
    plant_of = np.full(n, None, dtype=object)
    plant_name = np.full(n, None, dtype=object)
    conn_q = assigned[connected]
    plant_of[connected] = pid[pair_p[conn_q]]
    plant_name[connected] = pname[pair_p[conn_q]]
    pipe_len[connected] = conn["length_m"][conn_q]
    pumps_out[connected] = conn["pumps"][conn_q]
    cost_connect[connected] = conn["cost"][conn_q]

    facts = {
        "flow": flow, "pop": pop, "hh": hh, "use": use, "mode": mode, "protected": protected,
        "cost_connect": cost_connect, "centralized": centralized, "household": household,
        "cost_cluster": cost_cluster, "alone": alone, "pipe_len": pipe_len, "pumps": pumps_out,
        "plant_name": plant_name, "plant_dist": plant_dist, "nearest_plant": nearest_plant,
        "spare": spare, "has_within": has_within, "capacity_blocked": capacity_blocked,
        "cluster_size": cluster_size, "best_pair_pumps": _cheapest_pair_pumps(n, pair_v, conn),
    }
    reasons = _reasons(facts, prm, district.lang)
    toilet = np.where(mode == "household",
                      np.where(use < prm["dry_toilet_below_l_per_capita_day"], "dry", "septic_tank"),
                      "flush").astype(object)
    tick("reasons")

    base_cols = [c for c in ("id", "name", "township", "population", "households") if c in v.columns]
    out = gpd.GeoDataFrame(v[base_cols].copy(), geometry=v.geometry.values, crs=v.crs, index=v.index)
    out["sewage_mode"] = mode
    out["sewage_plant_id"] = plant_of
    out["sewage_cluster_id"] = cluster_id
    out["sewage_flow_m3_per_day"] = flow
    out["elevation_m"] = elev
    out["pipe_length_m"] = pipe_len
    out["pump_stations"] = pumps_out
    out["cost_connect_yuan_per_year"] = cost_connect
    out["cost_centralized_yuan_per_year"] = centralized
    out["cost_cluster_yuan_per_year"] = cost_cluster
    out["cost_household_yuan_per_year"] = household
    out["sewage_reason"] = reasons
    out["toilet_suggestion"] = toilet

    details = pd.DataFrame({
        "slope_percent": slope, "settled_area_m2": area, "village_network_m": net_len,
        "cost_internal_yuan_per_year": internal, "cost_alone_yuan_per_year": alone,
        "nearest_plant_distance_m": plant_dist, "source_protection": protected,
        "capacity_blocked": capacity_blocked,
    }, index=v.index)

    clusters = gpd.GeoDataFrame(
        cluster_rows or None,
        columns=["sewage_cluster_id", "station_village_id", "villages_count", "population",
                 "flow_m3_per_day", "cost_yuan_per_year", "saving_yuan_per_year", "geometry"],
        geometry="geometry", crs=v.crs)
    plants_out = None
    if plants is not None:
        plants_out = plants.copy()
        jj = pair_p[conn_q]
        plants_out["connected_villages"] = np.bincount(jj, minlength=len(plants))
        plants_out["connected_flow_m3_per_day"] = np.bincount(jj, weights=flow[connected], minlength=len(plants))
        plants_out["load_after_m3_per_day"] = load + plants_out["connected_flow_m3_per_day"].to_numpy()
        plants_out["spare_after_m3_per_day"] = cap - plants_out["load_after_m3_per_day"].to_numpy()
    routes = _routes_layer(v, xy, pxy, pid, pair_p, assigned, connected, conn, route_lines, prm)
    by_town = _by_township(out)
    summary = _summary(out, by_town, plants_out, clusters)
    tick("outputs")
    log.info("sewage modes: %s", summary["by_mode"])
    return SewagePlan(out, details, clusters, plants_out, routes, by_town, summary, prm, timings)


def _cheapest_pair_pumps(n: int, pair_v: np.ndarray, conn: dict[str, np.ndarray]) -> np.ndarray:
    """Lift stations of each village's cheapest costed connection (−1: none costed)."""
    out = np.full(n, -1)
    if len(pair_v):
        order = np.lexsort((conn["cost"], pair_v))
        first = np.unique(pair_v[order], return_index=True)[1]
        out[pair_v[order][first]] = conn["pumps"][order][first]
    return out


def _road_routes(net: Any, xy: np.ndarray, pxy: np.ndarray, pair_v: np.ndarray,
                 pair_p: np.ndarray, district: District) -> list[Any]:
    """Road route per (village, plant) pair, oriented village → plant (None: no road path)."""
    max_conn = district.params.get("roads", {}).get("max_connector_m", 1000.0)
    lines: list[Any] = [None] * len(pair_v)
    for j in np.unique(pair_p):  # one shortest-path tree per plant
        sel = np.flatnonzero(pair_p == j)
        got = net.routes(pxy[j], xy[pair_v[sel]], max_connector_m=max_conn)
        for q, g in zip(sel, got):
            if g is not None and not g.is_empty:
                lines[q] = shapely.reverse(g)
    return lines


def _clusters(
    free: np.ndarray, xy: np.ndarray, flow: np.ndarray, internal: np.ndarray, alone: np.ndarray,
    station: Callable[[Any], np.ndarray], dem: Dem | None, prm: dict[str, Any],
) -> tuple[list[tuple[np.ndarray, int]], list[float], dict[tuple[int, int], tuple[float, int]]]:
    """Agglomerative clustering (see the module docstring). Returns groups of ≥ 2 villages
    as (members, station village), their yearly costs, and (member, station) → (length, pumps)."""
    if len(free) < 2:
        return [], [], {}
    pairs = cKDTree(xy[free]).query_pairs(prm["cluster_max_link_m"], output_type="ndarray")
    if len(pairs) == 0:
        return [], [], {}
    a, b = free[pairs[:, 0]], free[pairs[:, 1]]
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    lk = _links(xy[src], xy[dst], flow[src], dem, prm)
    link_cost = dict(zip(zip(src.tolist(), dst.tolist()), lk["cost"].tolist()))
    link_info = dict(zip(zip(src.tolist(), dst.tolist()),
                         zip(lk["length_m"].tolist(), lk["pumps"].tolist())))

    def group_cost(members: list[int]) -> tuple[float, int]:
        base = float(internal[members].sum() + station(flow[members].sum()))
        best, best_s = np.inf, -1
        for s in members:
            tot = 0.0
            for m in members:
                if m == s:
                    continue
                c = link_cost.get((m, s))
                if c is None:
                    tot = np.inf
                    break
                tot += c
            if tot < best:
                best, best_s = tot, s
        return base + best, best_s

    # groups keyed by a representative id
    members: dict[int, list[int]] = {int(i): [int(i)] for i in free}
    cost: dict[int, float] = {int(i): float(alone[i]) for i in free}
    stn: dict[int, int] = {int(i): int(i) for i in free}
    nbrs: dict[int, set[int]] = {int(i): set() for i in free}
    for i, j in zip(a.tolist(), b.tolist()):
        nbrs[i].add(j)
        nbrs[j].add(i)
    version: dict[int, int] = {int(i): 0 for i in free}
    heap: list[tuple[float, int, int, int, int, float, int]] = []

    def push(g: int, h: int) -> None:
        c, s = group_cost(members[g] + members[h])
        gain = cost[g] + cost[h] - c
        if gain > 1e-6:
            heapq.heappush(heap, (-gain, g, h, version[g], version[h], c, s))

    for i, j in zip(a.tolist(), b.tolist()):
        push(i, j)
    while heap:
        _, g, h, vg, vh, c, s = heapq.heappop(heap)
        if g not in members or h not in members or version[g] != vg or version[h] != vh:
            continue
        members[g] = members[g] + members.pop(h)
        cost[g], stn[g] = c, s
        version[g] += 1
        del cost[h], stn[h], version[h]
        nb = (nbrs[g] | nbrs.pop(h)) - {g, h}
        for x in nb:
            nbrs[x].discard(h)
            nbrs[x].add(g)
        nbrs[g] = nb
        for x in nb:
            push(g, x)
    groups, costs = [], []
    for g in sorted(members, key=lambda k: min(members[k])):
        if len(members[g]) >= 2:
            groups.append((np.array(sorted(members[g])), stn[g]))
            costs.append(cost[g])
    return groups, costs, link_info


# ---------------------------------------------------------------------------------------
# reasons
# ---------------------------------------------------------------------------------------
def _pct(chosen: float, other: float) -> float:
    return (other - chosen) / other * 100.0 if other > 0 else 0.0


def _reasons(f: dict[str, Any], prm: dict[str, Any], lang: str) -> list[str]:
    """One sentence per village in ``lang`` with the numbers that decided its mode."""
    zh = lang == "zh"
    name = {m: LABELS[m][0 if zh else 1] for m in MODES}
    max_km = prm["max_connect_distance_m"] / 1000.0
    out = []
    for i in range(len(f["mode"])):
        m = f["mode"][i]
        if f["flow"][i] <= 0:
            out.append("无常住人口，无需建设污水设施" if zh else "No residents: no sewage works needed")
            continue
        cen, hou = f["centralized"][i], f["household"][i]
        if m == "connect":
            alt_m = "household" if np.isfinite(hou) and hou < cen else "centralized"
            alt = min(cen, hou) if np.isfinite(hou) else cen
            km, pu, pct = f["pipe_len"][i] / 1000.0, f["pumps"][i], _pct(f["cost_connect"][i], alt)
            lift = (f"需{pu}座提升泵站" if pu else "全程重力流") if zh else (
                f"{pu} lift station(s)" if pu else "gravity all the way")
            out.append(
                f"距{f['plant_name'][i]}污水厂管线{km:.1f} km，{lift}，纳管年费用比{name[alt_m]}低{pct:.0f}%"
                if zh else
                f"{km:.1f} km of sewer to plant {f['plant_name'][i]}, {lift}; connecting "
                f"costs {pct:.0f}% less per year than {name[alt_m].lower()}")
            continue
        why = _why_not_connect(f, i, prm, zh, max_km)
        if m == "cluster":
            k = int(f["cluster_size"][i]) - 1
            pct = _pct(f["cost_cluster"][i], f["alone"][i])
            out.append(f"{why}；与{k}个相邻村共建片区站，年费用比单独处理低{pct:.0f}%" if zh else
                       f"{why}; shares a station with {k} neighbouring village(s), {pct:.0f}% cheaper "
                       "per year than on its own")
        elif m == "centralized":
            if not np.isfinite(hou):
                out.append(f"{why}；位于水源保护区，不宜分户处理，采用村级集中" if zh else
                           f"{why}; inside a source-protection zone, so household systems are not "
                           "allowed: village station")
            else:
                pct = _pct(cen, hou)
                out.append(f"{why}；村级集中年费用比联户分户低{pct:.0f}%" if zh else
                           f"{why}; a village station costs {pct:.0f}% less per year than household systems")
        else:
            pct = _pct(hou, cen)
            pop = f["pop"][i]
            out.append(f"{why}；人口{pop:.0f}人，联户分户年费用比村级集中低{pct:.0f}%" if zh else
                       f"{why}; {pop:.0f} residents: household systems cost {pct:.0f}% less per year "
                       "than a village station")
    return out


def _why_not_connect(f: dict[str, Any], i: int, prm: dict[str, Any], zh: bool, max_km: float) -> str:
    if f["nearest_plant"][i] < 0:
        return "无可纳管污水厂" if zh else "No sewage plant"
    km = f["plant_dist"][i] / 1000.0
    if not f["has_within"][i]:
        return (f"距最近污水厂直线{km:.1f} km，管线将超过纳管距离{max_km:.1f} km" if zh else
                f"Nearest plant {km:.1f} km away in a straight line; the sewer would exceed the "
                f"{max_km:.1f} km limit")
    if not np.isfinite(f["cost_connect"][i]):
        return (f"邻近污水厂余量不足（本村{f['flow'][i]:.1f} m³/d）" if zh else
                f"The nearby plants lack spare capacity for {f['flow'][i]:.1f} m³/d")
    if f["capacity_blocked"][i]:
        return ("纳管可省钱，但邻近污水厂余量已分配给单位水量节省更多的村" if zh else
                "Connecting would save money, but the plants' spare capacity went to villages "
                "saving more per m³/d")
    pct = -_pct(f["cost_connect"][i], f["alone"][i])
    pu = max(int(f["best_pair_pumps"][i]), 0)
    lift = (f"需{pu}座提升泵站，" if pu else "") if zh else (f"needs {pu} lift station(s) and " if pu else "")
    return (f"纳管{lift}年费用高{pct:.0f}%" if zh else f"Connecting {lift}costs {pct:.0f}% more per year")


# ---------------------------------------------------------------------------------------
# tables, layers, summary
# ---------------------------------------------------------------------------------------
def _routes_layer(v: gpd.GeoDataFrame, xy: np.ndarray, pxy: np.ndarray, pid: np.ndarray,
                  pair_p: np.ndarray, assigned: np.ndarray, connected: np.ndarray,
                  conn: dict[str, np.ndarray], lines: list[Any] | None, prm: dict[str, Any]) -> gpd.GeoDataFrame:
    rows = np.flatnonzero(connected)
    q = assigned[rows]
    geoms = []
    for i, k in zip(rows, q):
        g = lines[k] if lines is not None else None
        geoms.append(g if g is not None else shapely.LineString([xy[i], pxy[pair_p[k]]]))
    ids = v["id"].astype(str).to_numpy()[rows] if "id" in v.columns else rows.astype(str)
    return gpd.GeoDataFrame({
        "village_id": ids,
        "plant_id": pid[pair_p[q]] if len(q) else np.zeros(0, dtype=object),
        "pipe_length_m": conn["length_m"][q] if len(q) else np.zeros(0),
        "pump_stations": conn["pumps"][q] if len(q) else np.zeros(0, dtype=np.int64),
    }, geometry=geoms, crs=v.crs)


def _by_township(out: gpd.GeoDataFrame) -> pd.DataFrame:
    """Villages, population and flow per mode and township (one row per township + total)."""
    df = pd.DataFrame({
        "township": out["township"] if "township" in out.columns else "",
        "mode": out["sewage_mode"],
        "population": out["population"] if "population" in out.columns else 0,
        "flow": out["sewage_flow_m3_per_day"],
    })
    g = df.groupby(["township", "mode"]).agg(villages=("mode", "size"), population=("population", "sum"),
                                              flow=("flow", "sum"))
    wide = g.unstack("mode").fillna(0)
    cols = {}
    for m in MODES:
        for what, suffix in (("villages", "villages"), ("population", "population"), ("flow", "flow_m3_per_day")):
            cols[f"{m}_{suffix}"] = wide[(what, m)] if (what, m) in wide.columns else 0.0
    table = pd.DataFrame(cols, index=wide.index)
    table.insert(0, "villages", df.groupby("township").size())
    table.insert(1, "population", df.groupby("township")["population"].sum())
    table.insert(2, "flow_m3_per_day", df.groupby("township")["flow"].sum())
    total = table.sum(numeric_only=True).to_frame().T
    total.index = ["total"]
    table = pd.concat([table, total])
    for c in table.columns:
        table[c] = table[c].astype(int) if c.endswith("villages") else table[c].astype(float)
    table.index.name = "township"
    return table.reset_index()


def _summary(out: gpd.GeoDataFrame, by_town: pd.DataFrame, plants: gpd.GeoDataFrame | None,
             clusters: gpd.GeoDataFrame) -> dict[str, Any]:
    def block(df: pd.DataFrame) -> dict[str, Any]:
        res = {}
        for m in MODES:
            sel = df["sewage_mode"] == m
            res[m] = {"villages": int(sel.sum()),
                      "population": float(df.loc[sel, "population"].sum()) if "population" in df else 0.0,
                      "flow_m3_per_day": round(float(df.loc[sel, "sewage_flow_m3_per_day"].sum()), 3)}
        return res

    total_cost = np.nansum(np.select(
        [out["sewage_mode"] == m for m in MODES],
        [out[f"cost_{m}_yuan_per_year"] for m in MODES], np.nan))
    summary: dict[str, Any] = {
        "villages": int(len(out)),
        "flow_m3_per_day": round(float(out["sewage_flow_m3_per_day"].sum()), 3),
        "by_mode": block(out),
        "clusters": int(len(clusters)),
        "cost_yuan_per_year": round(float(total_cost), 0),
        "lift_stations": int(out["pump_stations"].sum()),
    }
    if "township" in out.columns:
        summary["by_township"] = {str(t): block(g) for t, g in out.groupby("township")}
    if plants is not None:
        summary["plants"] = [
            {"id": str(r.get("id", k)), "name": str(r.get("name", "")),
             "capacity_m3_per_day": float(r["capacity_m3_per_day"]),
             "load_m3_per_day": float(r["load_m3_per_day"]),
             "connected_villages": int(r["connected_villages"]),
             "connected_flow_m3_per_day": round(float(r["connected_flow_m3_per_day"]), 3),
             "load_after_m3_per_day": round(float(r["load_after_m3_per_day"]), 3)}
            for k, r in plants.drop(columns="geometry").iterrows()]
    return summary


def plan_part(district: District) -> Any:
    """The sewage part of :func:`geo_env.analyze`: village columns, layers, tables, summary."""
    from .plan import PlanPart

    res = sewage_plan(district)
    layers: dict[str, gpd.GeoDataFrame] = {"sewage_clusters": res.clusters, "sewer_routes": res.routes}
    if res.plants is not None:
        layers["sewage_plants"] = res.plants
    return PlanPart(
        name="sewage",
        village_columns=pd.DataFrame(res.villages[_OUT_COLUMNS]),
        layers=layers,
        tables={"sewage_by_township": res.by_township},
        summary=res.summary,
        result=res,
    )
