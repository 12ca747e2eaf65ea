"""The waste chain in tonnes: 户集中 → 村收集 → 镇转运 → 区处理.

A pipeline of named steps (:func:`waste_chain`):

1. **generation** — each village's tonnes per day (:func:`~.waste_links.generation`);
2. **collection** — households to collection points (:func:`~.collection.collection_links`);
3. **stations** — each village to a transfer station: its nearest, or the
   transportation problem within the stations' capacities (``[waste] assignment``);
   a ``stopped`` station takes nothing; load, utilisation and overload per station;
4. **haul** — each station's load to a treatment facility (``[layers.waste_facilities]``)
   along the roads: distance, trips per day (full loads of ``vehicle_payload_t``), tonne-km
   and cost per year; a station with no road path to any facility is reported; without
   facilities the link is *not assessed*;
5. **plan** — the proposed plan: the existing stations kept, the coverage siting's sites
   and, where capacity lacks, new sites, each with a module size
   (:func:`~.station_sizing.size_stations`); no station over capacity unless the plan is
   reported infeasible with the reason.

Mass balance: generation = Σ station loads + uncollected (villages no station reaches) and
Σ station loads = Σ facility inflows + unhauled (stations no facility reaches), to rounding.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from ..io.project import District
from .collection import collection_links
from .coverage import layer_ids
from .transport import Flows, nearest_flows, sink_loads, transport
from .waste_links import Arcs, ChainSettings, all_pairs, chain_settings, facility_table, generation, village_arcs
from .waste_plan import plan_stations
from .waste_records import MAX_PLAN_CANDIDATES, STATION_COLUMNS, WasteChain

__all__ = ["WasteChain", "waste_chain", "MAX_PLAN_CANDIDATES", "STATION_COLUMNS"]

log = logging.getLogger(__name__)

def waste_chain(district: District, *, proposed: gpd.GeoDataFrame | None = None,
                assignment: str | None = None, time_limit_s: float | None = None) -> WasteChain:
    """The waste chain in tonnes from household to treatment facility.

    Parameters
    ----------
    district
        The district; its ``transfer_stations`` (``capacity_t_per_day`` and ``status``
        optional), ``waste_facilities``, ``collection_points``, ``households``/``buildings``
        may each be absent (the links they make are then not assessed, and said so).
    proposed
        New stations proposed by the coverage siting (points, working CRS, ``id``): the
        plan keeps them and gives each a module size.
    assignment
        ``"nearest"`` or ``"capacity"``; default ``[waste] assignment``.
    time_limit_s
        Stop the plan's solver after this many seconds (its answer is then not proven optimal).

    Returns
    -------
    WasteChain
    """
    from ..standards import parameter

    s = chain_settings(district)
    if assignment is not None:
        s = _with_assignment(s, parameter("waste", "assignment").validate(assignment))
    gen = generation(district, s)
    stations = facility_table(district.transfer_stations, "transfer_stations", district.crs)
    if len(stations) and stations["township"].isna().any() and "township" in district.villages.columns:
        from .baseline import facility_townships

        towns = facility_townships(district.transfer_stations, district.villages)
        stations["township"] = stations["township"].where(stations["township"].notna(), pd.Series(towns))
    arcs, d_near = village_arcs(district, _xy(stations, active=True), s.metric, s.radius_m)
    arcs = _to_table_positions(arcs, stations)
    supply = gen["waste_t_per_day"].to_numpy(float)
    cap = stations["capacity_t_per_day"].to_numpy(float)
    cap = np.where(np.isnan(cap), np.inf, cap)
    flows = _assign(s.assignment, supply, cap, arcs)
    chain = WasteChain(s, _village_columns(gen, arcs, flows, stations), stations, None,
                       _flow_table(arcs, flows.flow, layer_ids(district.villages), stations["id"].to_numpy()),
                       pd.DataFrame(columns=["from_id", "to_id", "t_per_day", "distance_km"]),
                       collection_links(district), crs=district.crs)
    _station_loads(chain, arcs, flows, gen)
    chain.uncollected = [str(i) for i in layer_ids(district.villages)[(supply > 0) & np.isnan(d_near)]]
    _haul(chain, district)
    _plan(chain, district, gen, arcs, proposed, time_limit_s)
    log.info("waste chain: %s", chain)
    return chain


def _with_assignment(s: ChainSettings, assignment: str) -> ChainSettings:
    from dataclasses import replace

    return replace(s, assignment=assignment)


def _xy(table: pd.DataFrame, *, active: bool) -> np.ndarray:
    t = table.loc[table["active"].to_numpy(bool)] if active else table
    return t[["x", "y"]].to_numpy(dtype=float).reshape(-1, 2)


def _to_table_positions(arcs: Arcs, table: pd.DataFrame) -> Arcs:
    """Arcs whose sinks count the active rows only, re-indexed to rows of ``table``."""
    rows = np.flatnonzero(table["active"].to_numpy(bool))
    return Arcs(arcs.src, rows[arcs.snk] if len(arcs.snk) else arcs.snk, arcs.distance_m)


def _assign(mode: str, supply: np.ndarray, cap: np.ndarray, arcs: Arcs) -> Flows:
    km = arcs.distance_m / 1000.0
    if mode == "nearest":
        return nearest_flows(supply, cap, arcs.src, arcs.snk, km)
    return transport(supply, cap, arcs.src, arcs.snk, km)


def _main_sink(arcs: Arcs, flow: np.ndarray, n_src: int, *, idle: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per source: the arc carrying most of its tonnes (-1: none); with ``idle``, a source
    that sends nothing gets its shortest arc."""
    best = np.full(n_src, -1, dtype=np.int64)
    for pos, key in ((np.flatnonzero(flow > 0), -flow), (np.arange(len(flow)) if idle else np.zeros(0, np.int64),
                                                         arcs.distance_m)):
        pos = pos[best[arcs.src[pos]] < 0] if len(pos) else pos
        if len(pos):
            o = np.lexsort((key[pos], arcs.src[pos]))
            p = pos[o]
            first = p[np.r_[True, arcs.src[p][1:] != arcs.src[p][:-1]]]
            best[arcs.src[first]] = first
    return best, best >= 0


def _village_columns(gen: pd.DataFrame, arcs: Arcs, flows: Flows, stations: pd.DataFrame) -> pd.DataFrame:
    """The generation columns, the station taking most of each village's tonnes and its distance (km)."""
    best, has = _main_sink(arcs, flows.flow, len(gen))
    sid = np.full(len(gen), None, dtype=object)
    km = np.full(len(gen), np.nan)
    sid[has] = stations["id"].to_numpy(dtype=object)[arcs.snk[best[has]]]
    km[has] = arcs.distance_m[best[has]] / 1000.0
    return gen.assign(waste_station_id=pd.Series(sid, index=gen.index, dtype=object), waste_station_km=km)


def _flow_table(arcs: Arcs, flow: np.ndarray, src_ids: np.ndarray, snk_ids: np.ndarray) -> pd.DataFrame:
    on = flow > 0
    return pd.DataFrame({"from_id": src_ids[arcs.src[on]], "to_id": snk_ids[arcs.snk[on]],
                         "t_per_day": flow[on], "distance_km": arcs.distance_m[on] / 1000.0,
                         "from_pos": arcs.src[on], "to_pos": arcs.snk[on]})


def _station_loads(chain: WasteChain, arcs: Arcs, flows: Flows, gen: pd.DataFrame) -> None:
    """Load, peak, utilisation and overload of each station (t/d, shares)."""
    st = chain.stations
    n = len(st)
    load = sink_loads(flows.flow, arcs.snk, n)
    peak_share = np.bincount(arcs.snk, weights=flows.flow * chain.settings.peak_factor, minlength=n)
    cap = st["capacity_t_per_day"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.where(np.isfinite(cap), load / cap, np.nan)
        peak_util = np.where(np.isfinite(cap), peak_share / cap, np.nan)
    served = np.bincount(arcs.snk[flows.flow > 0], minlength=n)
    note = np.full(n, None, dtype=object)
    note[np.isnan(cap)] = "capacity_unknown"
    note[~st["active"].to_numpy(bool)] = "stopped"
    st["load_t_per_day"] = load
    st["peak_load_t_per_day"] = peak_share
    st["utilisation"] = util
    st["peak_utilisation"] = peak_util
    st["overflow_t_per_day"] = np.where(np.isfinite(cap), np.maximum(load - np.nan_to_num(cap), 0.0), 0.0)
    st["overloaded"] = st["overflow_t_per_day"].to_numpy() > 1e-9
    st["utilisation_note"] = note
    st["villages_served"] = served


def _haul(chain: WasteChain, district: District) -> None:
    """Stations to facilities: the link's flows, each station's facility, distance, trips,
    tonne-km and cost; the facilities' inflows.  Not assessed without facilities."""
    st = chain.stations
    for col, value in (("facility_id", None), ("haul_km", np.nan), ("trips_per_day", np.nan),
                       ("tonne_km_per_year", np.nan), ("haul_cost_yuan_per_year", np.nan)):
        st[col] = pd.Series([value] * len(st), index=st.index, dtype=object if value is None else float)
    fac = facility_table(district.waste_facilities, "waste_facilities", district.crs)
    if district.waste_facilities is None:
        chain.haul_reason = ("no [layers.waste_facilities]: the haul from stations to treatment is not assessed "
                             "(facility, distance, trips and cost are null)")
        return
    s = chain.settings
    active_f = np.flatnonzero(fac["active"].to_numpy(bool))
    pairs = all_pairs(district, _xy(st, active=False), _xy(fac, active=True), s.metric)
    arcs = Arcs(pairs.src, active_f[pairs.snk] if len(pairs.snk) else pairs.snk, pairs.distance_m)
    load = st["load_t_per_day"].to_numpy(float)
    cap = fac["capacity_t_per_day"].to_numpy(float)
    flows = _assign(s.assignment, load, np.where(np.isnan(cap), np.inf, cap), arcs)
    best, has = _main_sink(arcs, flows.flow, len(st), idle=True)
    km = arcs.distance_m / 1000.0
    trips = flows.flow / s.vehicle_payload_t
    st.loc[has, "facility_id"] = fac["id"].to_numpy(dtype=object)[arcs.snk[best[has]]]
    st.loc[has, "haul_km"] = km[best[has]]
    st.loc[has, "trips_per_day"] = np.bincount(arcs.src, weights=trips, minlength=len(st))[has]
    st.loc[has, "tonne_km_per_year"] = np.bincount(arcs.src, weights=flows.flow * km * 365, minlength=len(st))[has]
    st.loc[has, "haul_cost_yuan_per_year"] = np.bincount(
        arcs.src, weights=trips * 2 * km * s.haul_cost_yuan_per_vehicle_km * 365, minlength=len(st))[has]
    inflow = sink_loads(flows.flow, arcs.snk, len(fac))
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.where(np.isfinite(cap), inflow / cap, np.nan)
    fac["inflow_t_per_day"] = inflow
    fac["utilisation"] = util
    fac["overloaded"] = np.isfinite(cap) & (inflow > np.nan_to_num(cap, nan=np.inf) * (1 + 1e-9))
    fac["stations_served"] = np.bincount(arcs.snk[flows.flow > 0], minlength=len(fac))
    chain.facilities = fac
    chain.station_flows = _flow_table(arcs, flows.flow, st["id"].to_numpy(), fac["id"].to_numpy())


def _plan(chain: WasteChain, district: District, gen: pd.DataFrame, arcs: Arcs,
          proposed: gpd.GeoDataFrame | None, time_limit_s: float | None) -> None:
    """The proposed plan: existing stations kept, coverage sites sized, new capacity where lacking."""
    chain.plan, chain.plan_stations = plan_stations(chain, district, gen, arcs, proposed, time_limit_s)
