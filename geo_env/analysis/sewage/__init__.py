"""Sewage mode of every village: 纳管 / 村级集中 / 片区集中 / 联户分户, with the reason.

For each village the four modes are costed in yuan per year (annualised capital plus
operation); rules from the guidelines come first, then the cheapest feasible mode is chosen
("connect villages to a town plant where that pays, build village stations where villages
are dense, use joint or single-household systems where they are scattered"):

* ``connect`` (纳管): a sewer from the village anchor to a town plant, within reach and
  within the plant's spare capacity; villages near a plant connect first (*Priority
  rule*).  See :mod:`.connect`, and :mod:`.capacity` for how villages share a plant's
  spare capacity.
* ``centralized`` (村级集中): a station for the village's settlements (one, or one per
  settlement cluster).  Always feasible.  See :mod:`.options`.
* ``cluster`` (片区集中): neighbouring villages share one station.  See :mod:`.clusters`.
* ``household`` (联户分户): septic tanks with small treatment units, for one or a few
  households; not allowed near drinking-water sources nor for large settlements.  See
  :mod:`.options`.

Villages without residents or of unknown population, settlements, flows
    See :mod:`.demand`; the ground under the villages: :mod:`.terrain`; the plants:
    :mod:`.plants`.
Gravity and pumping, routes, diameters and sewer costs
    See :mod:`.sewers`; unit costs (yuan/year) in :mod:`.costs`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..._choices import SEWAGE_MODES
from ...io.project import District
from ...labels import label as _label
from .capacity import assign_plants
from .clusters import cluster_links, merge_clusters
from .connect import connection_sewers, connections, plant_pairs, road_routes
from .connect import pick as _pick
from .costs import capital_recovery_factor
from .demand import mst_length, settlements, village_demand
from .options import local_costs
from .params import sewage_params as _params
from .plants import read_plants
from .sewers import gravity_sewer
from .terrain import village_terrain

__all__ = [
    "MODES",
    "SewagePlan",
    "VILLAGE_COLUMNS",
    "sewage_modes",
    "sewage_plan",
    "gravity_sewer",
    "capital_recovery_factor",
    "mst_length",
]

log = logging.getLogger(__name__)

#: The modes, in the order used for ties and tables.
MODES = SEWAGE_MODES


#: The columns the sewage analysis adds to the villages of a Plan.
VILLAGE_COLUMNS = [
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

#: Township key of villages without one (left out of the per-township summary).
_NO_TOWN = "\x00"


# ---------------------------------------------------------------------------------------
# small public building blocks
# ---------------------------------------------------------------------------------------


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
        stand-alone cost, ``cost_trunk_yuan_per_year``: the village trunk sewer (left out
        of the priority premium test), nearest plant, ``connect_priority``: the village has
        a priority pair, ``connected_by_priority``: it connected through one,
        ``capacity_blocked``: it had an eligible pair but no plant had room left …), same
        index.
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


# ---------------------------------------------------------------------------------------
# routes and profiles
# ---------------------------------------------------------------------------------------


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
        NaN where the mode is infeasible or, for clusters, not formed; villages without
        residents: ``household`` at cost 0, toilet ``not_needed``); working CRS.

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
    demand = village_demand(district, prm)
    xy, pop, unknown, no_pop = demand.xy, demand.population, demand.unknown, demand.no_population
    use, flow = demand.water_use_l_per_capita_day, demand.flow_m3_per_day
    plant_rec = read_plants(district)
    plants, pxy, spare, pid = plant_rec.layer, plant_rec.xy, plant_rec.spare_m3_per_day, plant_rec.ids
    cap, load = plant_rec.capacity_m3_per_day, plant_rec.load_m3_per_day
    tick("inputs")
    terrain = village_terrain(district, xy, pxy)
    dem, elev, slope = terrain.dem, terrain.elevation_m, terrain.slope_percent
    tick("terrain")
    st = settlements(v, demand, slope, prm)
    local = local_costs(district, demand, st, slope, prm)
    trunk, internal, centralized, household = local.trunk, local.internal, local.centralized, local.household
    village_stations, protected, too_big, alone = local.village_stations, local.protected, local.too_big, local.alone
    tick("local costs")

    pairs = plant_pairs(demand, plant_rec, prm)
    if plant_rec.count:
        pairs = road_routes(pairs, district, xy, pxy, prm)
        tick("routes")
    sewers = connection_sewers(pairs, demand, pxy, dem, prm)
    tick("connection profiles")
    cn = connections(pairs, sewers, demand, local, plant_rec, prm)
    assignment = assign_plants(cn, demand, plant_rec)
    pair_v, pair_p, route_lines = pairs.village, pairs.plant, pairs.lines
    plant_dist, nearest_plant = pairs.nearest_plant_m, pairs.nearest_plant
    conn = {"length_m": sewers.length_m, "pumps": sewers.pumps, "cost": cn.cost}
    within, feasible, near_gravity, prio_pair = cn.within, cn.feasible, cn.near_gravity, cn.priority
    saving, eligible, has_within, prio_village = cn.saving, cn.eligible, cn.has_within, cn.priority_village
    cost_connect = cn.cheapest_cost.copy()
    assigned, connected, capacity_blocked = assignment.pair, assignment.connected, assignment.capacity_blocked
    tick("capacity")

    cand_links = cluster_links(np.flatnonzero(~connected & (flow > 0)), demand, dem, prm)
    if len(cand_links.a):
        tick("cluster links")
    cl = merge_clusters(cand_links, demand, local, prm)
    groups, group_cost, links = list(zip(cl.members, cl.stations)), cl.costs, cl.links
    tick("cluster merges")

    # --- assemble -------------------------------------------------------------------------
    mode = np.where(np.isfinite(household) & (household < centralized), "household", "centralized").astype(object)
    mode[(flow <= 0) | no_pop] = "household"
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
        others = members[members != stn]
        at, _ = links.find(others, np.full(len(others), stn))
        pipe_len[others] = links.length_m[at]
        pumps_out[others] = links.pumps[at]
        lines = shapely.linestrings(np.stack([xy[others], np.broadcast_to(xy[stn], xy[others].shape)], axis=1))
        cluster_rows.append({
            "sewage_cluster_id": cid,
            "station_village_id": str(v["id"].iloc[stn]) if "id" in v.columns else str(stn),
            "villages_count": len(members),
            "population": float(pop[members].sum()),
            "flow_m3_per_day": float(flow[members].sum()),
            "cost_yuan_per_year": float(group_cost[c]),
            "saving_yuan_per_year": float(alone[members].sum() - group_cost[c]),
            "geometry": shapely.multilinestrings(lines),
        })
    plant_of = np.full(n, None, dtype=object)
    conn_q = assigned[connected]
    plant_of[connected] = pid[pair_p[conn_q]]
    pipe_len[connected] = conn["length_m"][conn_q]
    pumps_out[connected] = conn["pumps"][conn_q]
    cost_connect[connected] = conn["cost"][conn_q]
    plant_label = plant_rec.labels
    plant_j = np.full(n, -1)
    plant_j[connected] = pair_p[conn_q]
    by_priority = np.zeros(n, dtype=bool)  # connected through a priority pair
    by_priority[connected] = prio_pair[conn_q]

    room_after = spare - np.bincount(pair_p[conn_q], weights=flow[connected], minlength=len(spare))
    pair_cost = conn["cost"]
    facts = {
        "flow": flow, "pop": pop, "mode": mode, "protected": protected, "too_big": too_big,
        "cost_connect": cost_connect, "centralized": centralized, "household": household,
        "cost_cluster": cost_cluster, "alone": alone, "trunk": trunk, "pipe_len": pipe_len,
        "pumps": pumps_out, "plant_j": plant_j, "plant_label": plant_label, "plant_dist": plant_dist,
        "nearest_plant": nearest_plant, "spare": spare, "room_after": room_after, "has_within": has_within,
        "capacity_blocked": capacity_blocked, "by_priority": by_priority,
        "cluster_size": cluster_size, "clusters": st.clusters,
        "cluster_population": st.cluster_population, "stations": village_stations, "slope": slope,
        # pairs, and per village the pair each reason quotes (−1: none)
        "pair_p": pair_p, "pair_len": conn["length_m"], "pair_pumps": conn["pumps"],
        "near_gravity": near_gravity,
        "nearest_pair": _pick(n, pair_v, np.ones(len(pair_v), dtype=bool),
                              np.hypot(*(xy[pair_v] - pxy[pair_p]).T)),
        "roomiest_pair": _pick(n, pair_v, within, -spare[pair_p], conn["length_m"]),
        "cheapest_pair": _pick(n, pair_v, feasible, pair_cost),
        "best_eligible_pair": _pick(n, pair_v, eligible, ~prio_pair, -saving),
    }
    reasons = _reasons(facts, prm, district.lang)
    toilet = np.where(mode == "household",
                      np.where(use < prm["dry_toilet_below_l_per_capita_day"], "dry", "septic_tank"),
                      "flush").astype(object)
    toilet[no_pop] = "not_needed"
    mode[unknown], toilet[unknown], household[unknown] = None, None, np.nan
    reasons = [("人口不详（无人口和户数），未评估" if district.lang == "zh"
                else "Population unknown (no population or households): not assessed") if u else r
               for r, u in zip(reasons, unknown)]
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
        "slope_percent": slope, "settled_area_m2": st.area_m2,
        "settled_area_from_data": st.area_from_data, "settlement_clusters": st.clusters,
        "settlement_population": st.cluster_population, "village_network_m": st.network_m,
        "trunk_m": st.trunk_m, "village_stations": village_stations,
        "cost_internal_yuan_per_year": internal, "cost_alone_yuan_per_year": alone,
        "nearest_plant_distance_m": plant_dist, "source_protection": protected,
        "cost_trunk_yuan_per_year": trunk, "household_too_large": too_big, "connect_priority": prio_village,
        "connected_by_priority": by_priority, "capacity_blocked": capacity_blocked,
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
    by_town = _by_township(out, no_pop & ~unknown, unknown)
    summary = _summary(out, no_pop & ~unknown, plants_out, clusters, unknown)
    tick("outputs")
    log.info("sewage modes: %s", summary["by_mode"])
    return SewagePlan(out, details, clusters, plants_out, routes, by_town, summary, prm, timings)


# ---------------------------------------------------------------------------------------
# reasons
# ---------------------------------------------------------------------------------------
def _pct(chosen: float, other: float) -> float:
    return (other - chosen) / other * 100.0 if other > 0 else 0.0


def _reasons(f: dict[str, Any], prm: dict[str, Any], lang: str) -> list[str]:
    """One sentence per village in ``lang`` with the numbers that decided its mode."""
    zh = lang == "zh"
    name = {m: _label(m, "zh") for m in MODES} if zh else {
        "connect": "connecting", "centralized": "a village station", "cluster": "a shared station",
        "household": "household systems"}
    out = []
    for i in range(len(f["mode"])):
        m = f["mode"][i]
        if f["pop"][i] <= 0:
            out.append("无常住人口，无需建设污水设施" if zh else "No residents: no sewage works needed")
            continue
        if m == "connect":
            out.append(_connect_reason(f, i, prm, zh, name))
            continue
        why = _why_not_connect(f, i, prm, zh)
        local = _local_reason(f, i, prm, zh, name)
        out.append(f"{why}；{local}" if zh else f"{why}; {local}")
    return out


def _connect_reason(f: dict[str, Any], i: int, prm: dict[str, Any], zh: bool, name: dict[str, str]) -> str:
    cen, hou = f["centralized"][i], f["household"][i]
    alt_m = "household" if np.isfinite(hou) and hou < cen else "centralized"
    alt = float(np.fmin(cen, hou))
    km, pu = f["pipe_len"][i] / 1000.0, int(f["pumps"][i])
    pct = _pct(f["cost_connect"][i], alt)
    label = f["plant_label"][f["plant_j"][i]][0 if zh else 1]
    if f["by_priority"][i]:  # a priority pair: short, by gravity; it connects whatever the cost
        lim = prm["connect_priority_distance_m"] / 1000.0
        dearer = pct < 0
        if zh:
            return (f"距{label}管线{km:.1f} km（不超过{lim:.1f} km）且全程重力流，按就近纳管优先原则接入"
                    f"（年费用比{name[alt_m]}{'高' if dearer else '低'}{abs(pct):.0f}%）")
        return (f"Connects to {label}, as villages near a plant connect first: {km:.1f} km of sewer "
                f"(at most {lim:.1f} km) by gravity all the way, "
                f"{'though' if dearer else 'and'} {abs(pct):.0f}% {'dearer' if dearer else 'cheaper'} "
                f"per year than {name[alt_m]}")
    # otherwise it connects only because connecting saves money (pct > 0)
    if zh:
        lift = f"需{pu}座提升泵站" if pu else "全程重力流"
        return f"接入{label}，管线{km:.1f} km，{lift}，纳管年费用比{name[alt_m]}低{pct:.0f}%"
    lift = _lifts_en(pu) if pu else "gravity all the way"
    return f"Connects to {label}: {km:.1f} km of sewer, {lift}; {pct:.0f}% cheaper per year than {name[alt_m]}"


def _why_not_connect(f: dict[str, Any], i: int, prm: dict[str, Any], zh: bool) -> str:
    """Why a village with residents does not connect; every plant it names is one of its
    (village, plant) pairs, with that pair's sewer length and the plant's spare capacity."""
    j = f["nearest_plant"][i]
    if j < 0:
        return "区内无污水厂可纳管" if zh else "No sewage plant to connect to"
    label = f["plant_label"][j][0 if zh else 1]
    km, lim = f["plant_dist"][i] / 1000.0, prm["max_connect_distance_m"] / 1000.0
    if not f["has_within"][i]:
        if km > lim:
            return (f"距最近的{label}直线{km:.1f} km，超过纳管距离{lim:.1f} km" if zh else
                    f"The nearest plant, {label}, is {km:.1f} km away in a straight line, beyond the "
                    f"{lim:.1f} km connection limit")
        return (f"距最近的{label}直线{km:.1f} km，但管线将超过纳管距离{lim:.1f} km" if zh else
                f"The sewer to the nearest plant, {label} ({km:.1f} km in a straight line), would "
                f"exceed the {lim:.1f} km connection limit")
    q = f["flow"][i]

    def plant(pair: int) -> tuple[str, float, float]:
        pj = f["pair_p"][pair]
        return f["plant_label"][pj][0 if zh else 1], f["pair_len"][pair] / 1000.0, f["spare"][pj]

    if not np.isfinite(f["cost_connect"][i]):  # no plant within reach has room for the village
        w_label, w_km, w_spare = plant(f["roomiest_pair"][i])
        near, en_near = "", ""
        nq = f["nearest_pair"][i]
        if f["pair_len"][nq] > prm["max_connect_distance_m"]:  # the nearest plant is out of reach
            n_label, n_km, _ = plant(nq)
            near = f"距最近的{n_label}管线{n_km:.1f} km，超过纳管距离{lim:.1f} km；"
            en_near = f"The sewer to the nearest plant, {n_label}, would be {n_km:.1f} km, beyond the {lim:.1f} km limit; "
        return (f"{near}管线{lim:.1f} km内可达的污水厂余量不足（本村污水量{q:.1f} m³/d，其中余量最多的"
                f"{w_label}管线{w_km:.1f} km、余量{w_spare:.1f} m³/d）" if zh else
                f"{en_near}the plants within {lim:.1f} km of sewer lack room for its {q:.1f} m³/d (the "
                f"roomiest, {w_label}, {w_km:.1f} km of sewer, has {w_spare:.1f} m³/d spare)")
    if f["capacity_blocked"][i]:  # an eligible pair, but its plant's room went to others
        b = f["best_eligible_pair"][i]
        b_label, b_km, b_spare = plant(b)
        after = f["room_after"][f["pair_p"][b]]
        return (f"可接入的{b_label}距本村管线{b_km:.1f} km，其余量{b_spare:.1f} m³/d已分配给其他村，余下"
                f"{after:.1f} m³/d不足本村污水量{q:.1f} m³/d（余量先使纳管村数最多）" if zh else
                f"The spare {b_spare:.1f} m³/d of {b_label} ({b_km:.1f} km of sewer) went to other "
                f"villages (as many villages as possible connect); the {after:.1f} m³/d left is less "
                f"than its {q:.1f} m³/d")
    c = f["cheapest_pair"][i]
    cost, alone, trunk = f["cost_connect"][i], f["alone"][i], f["trunk"][i]
    if f["near_gravity"][c]:  # short and by gravity, but beyond the priority premium cap
        c_label, c_km, _ = plant(c)
        cen, hou = f["centralized"][i], f["household"][i]
        alt = _label("household" if np.isfinite(hou) and hou < cen else "centralized", "zh" if zh else "en")
        cap = prm["connect_priority_max_premium"] * 100.0
        head = (f"距{c_label}管线{c_km:.1f} km且全程重力流，但" if zh else
                f"The sewer to {c_label} is {c_km:.1f} km long and by gravity, but ")
        pct = (cost - alone) / alone * 100.0
        # the cap's own premium leaves the village trunk sewer out of both sides
        if trunk <= 0:
            rule, en_rule = "", ""
        elif alone > trunk:
            pct_rule = (cost - alone) / (alone - trunk) * 100.0
            rule, en_rule = f"（不计村内干管高{pct_rule:.0f}%）", f" ({pct_rule:.0f}% leaving out the village trunk sewer)"
        else:
            rule = f"，而{alt}年费用还低于村内干管"
            en_rule = f", and {alt.lower()} cost less than the village trunk sewer alone"
        return (f"{head}纳管年费用比{alt}高{pct:.0f}%{rule}，超过就近纳管优先的加价上限{cap:.0f}%" if zh else
                f"{head}connecting costs {pct:.0f}% more per year than {alt.lower()}{en_rule}, above "
                f"the {cap:.0f}% cap for villages near a plant")
    pct = -_pct(cost, alone)
    pu = max(int(f["pair_pumps"][c]), 0)
    c_label, c_km, _ = plant(c)
    if zh:
        return f"距{c_label}管线{c_km:.1f} km，" + (f"纳管需{pu}座提升泵站，年费用高{pct:.0f}%" if pu
                                                  else f"纳管年费用高{pct:.0f}%")
    lift = f" needs {_lifts_en(pu)} and" if pu else ""
    return f"Connecting to {c_label} ({c_km:.1f} km of sewer){lift} costs {pct:.0f}% more per year"


def _lifts_en(n: int) -> str:
    return "1 lift station" if n == 1 else f"{n} lift stations"


def _local_reason(f: dict[str, Any], i: int, prm: dict[str, Any], zh: bool, name: dict[str, str]) -> str:
    """The village's own choice: shared station, village station(s) or household systems."""
    m = f["mode"][i]
    cen, hou = f["centralized"][i], f["household"][i]
    k, cp, pop = int(f["clusters"][i]), f["cluster_population"][i], f["pop"][i]
    if m == "cluster":
        n_other = int(f["cluster_size"][i]) - 1
        pct = _pct(f["cost_cluster"][i], f["alone"][i])
        return (f"与{n_other}个相邻村共建片区处理站，年费用比单独处理低{pct:.0f}%" if zh else
                f"shares a station with {n_other} neighbouring village(s), {pct:.0f}% cheaper per "
                "year than on its own")
    if m == "centralized":
        s = int(f["stations"][i])
        stn = ("建村级处理站" if s == 1 else f"分{s}处建村级处理站") if zh else (
            "a village station" if s == 1 else f"{s} village stations, one per settlement")
        if f["protected"][i]:
            return (f"居民点邻近饮用水水源保护区，不宜分户处理，{stn}" if zh else
                    f"the settlement touches a drinking-water source protection zone, where household "
                    f"systems are not allowed: {stn}")
        if f["too_big"][i]:
            lim = prm["household_max_settlement_population"]
            if zh:
                pts = f"居民点{cp:.0f}人" if k == 1 else f"{k}处居民点平均{cp:.0f}人"
                return f"{pts}，超过分户处理上限{lim:.0f}人，{stn}"
            pts = f"one settlement of {cp:.0f} residents" if k == 1 else (
                f"{k} settlements of {cp:.0f} residents on average")
            return f"{pts}, above the {lim:.0f}-resident limit for household systems: {stn}"
        pct = _pct(cen, hou)
        return (f"{pop:.0f}人居住较集中（居民点{k}处），{stn}，年费用比联户分户低{pct:.0f}%" if zh else
                f"{pop:.0f} residents in {k} settlement(s): {stn}, {pct:.0f}% cheaper per year than "
                "household systems")
    pct = _pct(hou, cen)
    slope = f["slope"][i]
    if k > 1:
        sl = (f"，平均坡度{slope:.0f}%" if zh else f", mean slope {slope:.0f}%") if np.isfinite(slope) else ""
        return (f"居民点分散（{k}处，平均{cp:.0f}人{sl}），联户分户年费用比村级集中低{pct:.0f}%" if zh else
                f"scattered settlements ({k}, {cp:.0f} residents each{sl}): household systems cost "
                f"{pct:.0f}% less per year than village stations")
    return (f"人口{pop:.0f}人，联户分户年费用比村级集中低{pct:.0f}%" if zh else
            f"{pop:.0f} residents: household systems cost {pct:.0f}% less per year than a village station")


# ---------------------------------------------------------------------------------------
# tables, layers, summary
# ---------------------------------------------------------------------------------------
def _routes_layer(v: gpd.GeoDataFrame, xy: np.ndarray, pxy: np.ndarray, pid: np.ndarray,
                  pair_p: np.ndarray, assigned: np.ndarray, connected: np.ndarray,
                  conn: dict[str, np.ndarray], lines: np.ndarray | None, prm: dict[str, Any]) -> gpd.GeoDataFrame:
    """The connecting sewers: the road route where one was used, else the straight line."""
    rows = np.flatnonzero(connected)
    q = assigned[rows]
    geoms = np.full(len(q), None, dtype=object) if lines is None else lines[q]
    straight = shapely.is_missing(geoms)
    if straight.any():
        ends = np.stack([xy[rows[straight]], pxy[pair_p[q[straight]]]], axis=1)
        geoms[straight] = shapely.linestrings(ends)
    ids = v["id"].astype(str).to_numpy()[rows] if "id" in v.columns else rows.astype(str)
    return gpd.GeoDataFrame({
        "village_id": ids,
        "plant_id": pid[pair_p[q]] if len(q) else np.zeros(0, dtype=object),
        "pipe_length_m": conn["length_m"][q] if len(q) else np.zeros(0),
        "pump_stations": conn["pumps"][q] if len(q) else np.zeros(0, dtype=np.int64),
    }, geometry=geoms, crs=v.crs)


def _keys(out: gpd.GeoDataFrame, no_pop: np.ndarray, unknown: np.ndarray | None) -> np.ndarray:
    """Per village its mode, or ``no_population`` / ``population_unknown`` (counted apart)."""
    unknown = np.zeros(len(out), dtype=bool) if unknown is None else unknown
    return np.select([unknown, no_pop], ["population_unknown", "no_population"],
                     out["sewage_mode"].to_numpy(dtype=object)).astype(object)


def _by_township(out: gpd.GeoDataFrame, no_pop: np.ndarray, unknown: np.ndarray | None = None) -> pd.DataFrame:
    """Villages, population and flow per mode and township (one row per township + total).

    Villages without residents are counted in ``no_population_villages``, villages of
    unknown population (not assessed) in ``population_unknown_villages``, not under a mode.
    """
    df = pd.DataFrame({
        "township": out["township"] if "township" in out.columns else "",
        "mode": _keys(out, no_pop, unknown),
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
    for key in ("no_population", "population_unknown"):
        cols[f"{key}_villages"] = wide[("villages", key)] if ("villages", key) in wide.columns else 0.0
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


def _summary(out: gpd.GeoDataFrame, no_pop: np.ndarray, plants: gpd.GeoDataFrame | None,
             clusters: gpd.GeoDataFrame, unknown: np.ndarray | None = None) -> dict[str, Any]:
    """The ``sewage`` block of summary.json; villages without residents are counted apart
    (``no_population``), not as household villages, and villages of unknown population
    (``population_unknown``, with their ids) are not assessed."""
    tw = out["township"] if "township" in out.columns else pd.Series(np.nan, index=out.index)
    frame = pd.DataFrame({
        "township": tw.astype(str).where(tw.notna(), _NO_TOWN).to_numpy(),
        "key": _keys(out, no_pop, unknown),
        "population": out["population"].to_numpy(dtype=float) if "population" in out.columns else 0.0,
        "flow": out["sewage_flow_m3_per_day"].to_numpy(dtype=float),
    })
    # one pass: villages, population and flow per (township, mode or no_population)
    agg = frame.groupby(["township", "key"]).agg(
        villages=("key", "size"), population=("population", "sum"), flow=("flow", "sum"))
    cells = {k: (int(r.villages), float(r.population), float(r.flow)) for k, r in zip(agg.index, agg.itertuples())}
    towns = sorted({t for t, _ in cells})

    def block(ts: list[str]) -> dict[str, Any]:
        res: dict[str, Any] = {}
        for m in MODES:
            got = [cells[(t, m)] for t in ts if (t, m) in cells]
            res[m] = {"villages": sum(c[0] for c in got), "population": float(sum(c[1] for c in got)),
                      "flow_m3_per_day": round(float(sum(c[2] for c in got)), 3)}
        return res

    def empty(ts: list[str]) -> dict[str, int]:
        return {"villages": sum(cells[(t, "no_population")][0] for t in ts if (t, "no_population") in cells)}

    total_cost = np.nansum(np.select(
        [out["sewage_mode"] == m for m in MODES],
        [out[f"cost_{m}_yuan_per_year"] for m in MODES], np.nan))
    summary: dict[str, Any] = {
        "villages": int(len(out)),
        "flow_m3_per_day": round(float(out["sewage_flow_m3_per_day"].sum()), 3),
        "by_mode": block(towns),
        "no_population": empty(towns),
        "population_unknown": {"villages": int(np.sum(unknown)) if unknown is not None else 0,
                               "ids": out.loc[unknown, "id"].astype(str).tolist()
                               if unknown is not None and "id" in out.columns else []},
        "clusters": int(len(clusters)),
        "cost_yuan_per_year": round(float(total_cost), 0),
        "lift_stations": int(out["pump_stations"].sum()),
    }
    if "township" in out.columns:
        summary["by_township"] = {t: {**block([t]), "no_population": empty([t])}
                                  for t in towns if t != _NO_TOWN}
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


