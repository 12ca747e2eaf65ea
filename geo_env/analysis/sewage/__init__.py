"""Sewage mode of every village: 纳管 / 村级集中 / 片区集中 / 联户分户, with the reason.

For each village the four modes are costed in yuan per year (annualised capital plus
operation); rules from the guidelines come first, then the cheapest feasible mode is chosen
("connect villages to a town plant where that pays, build village stations where villages
are dense, use joint or single-household systems where they are scattered"):

* ``connect`` (纳管): a sewer from the village anchor to a town plant.  Only the
  ``candidate_plants`` nearest plants are costed; the pipe route is the road route when
  roads and :mod:`geo_env.network` are available and the road is not a long detour (at
  most ``max_road_detour`` × the straight line), else the straight line × ``detour_factor``.
  Infeasible when the route is longer than ``max_connect_distance_m`` or the plant's spare
  capacity (capacity − load) is smaller than the village's flow.  *Priority rule*
  (纳管优先; 中农发〔2019〕14号, Guangdong's 纳厂 mode) is a property of a (village, plant)
  pair: a *priority pair* is a feasible pair whose sewer is at most
  ``connect_priority_distance_m`` long, needs no lift station and costs at most
  (1 + ``connect_priority_max_premium``) × the village's cheapest other mode, the village
  trunk sewer left out of both sides (connection − trunk ≤ (1 + premium) × (other − trunk);
  the trunk joins the village's settlements, and a connection and a single village
  station both need it; where household systems are the alternative this is stricter than
  the plain ratio).  A village given a plant through a priority pair connects even
  when another mode would cost less.  The rule does not extend to the village's other
  pairs: when the plants of its priority pairs fill up, it connects to another plant only
  where that is cheaper than its own solution.
* ``centralized`` (村级集中): a station for the village's settlements (one, or one per
  settlement cluster).  Always feasible.  See :mod:`.options`.
* ``cluster`` (片区集中): neighbouring villages share one station (see *Clusters*).
* ``household`` (联户分户): septic tanks with small treatment units, for one or a few
  households; not allowed near drinking-water sources nor for large settlements.  See
  :mod:`.options`.

Villages without residents or of unknown population, settlements, flows
    See :mod:`.demand`; the ground under the villages: :mod:`.terrain`; the plants:
    :mod:`.plants`.
Gravity and pumping, routes, diameters and sewer costs
    See :mod:`.sewers`; unit costs (yuan/year) in :mod:`.costs`.
Capacity sharing: how villages compete for a plant's spare capacity
    Every feasible (village, plant) pair saves ``min(centralized, household) − connect``
    yuan/year.  A pair is *eligible* when it is a priority pair or saves money; no other
    pair ever connects.  A village connects with its whole flow or not at all.  Among the
    assignments of villages to eligible pairs (each village at most one plant, each plant's
    connected flow within its spare capacity) the lexicographic optimum is taken
    (``scipy.optimize.milp``, HiGHS, one solve per level): (1) as many connected villages
    as possible — each connection spares a village its own works; (2) with that many, as
    many priority connections as possible; (3) with both, the largest total yearly saving.
    Villages whose eligible pairs all lead to plants with room for every village eligible
    there take their best pair directly (same optimum).  Clusters play no part: the
    comparison is with the village's stand-alone cost (clusters are formed afterwards among
    the villages that do not connect).

    Why the metamorphic relations hold by construction:

    * *Raising the sewer unit cost never increases the number of connected villages.*  The
      sewer cost c enters a connection through its sewer and the village trunk (slope
      T + L ≥ T per yuan/m), the stand-alone cost only through the trunk of a single
      village station (slope T or 0); so each pair's saving can only fall as c rises.  The
      priority test (connection − trunk vs (1 + premium) × (other − trunk)) has a left
      side that grows with c and a right side that does not; distance, lift stations and
      capacity do not depend on c.  So the eligible set can only shrink, and the largest
      number of villages that fit over a smaller set of pairs is never larger.
    * *Moving a plant closer to a village connected to it* keeps that village's pair to
      the plant eligible as long as that pair gets no dearer (without roads the shorter
      straight route is a prefix of the old one, with never more lift stations; the tests
      check it; with roads, a nearer plant may have a longer road route).  The count is maximal, so no unconnected village is left
      whose eligible pair still fits: the village stays ``connect`` unless another village
      that was not connected to that plant before takes its room — when the plant has room
      for every village eligible there, always.  Under scarce capacity this is the most that
      can hold: a plant moved towards one village also comes nearer to others, and more
      villages may then fit in its room.  When only the village's own pair improves (others
      unchanged) it always stays connected: its assignments gain at level 2 or 3, no other
      assignment does.
Clusters (agglomerative)
    Among villages not connected, start with every village alone (cost: its cheaper of
    centralized / household).  Two groups are neighbours when some of their villages lie
    within ``cluster_max_link_m``.  A merged group has one station at the member that makes
    it cheapest; every other member sends its sewage there through its own linking sewer.
    A link never follows roads: it is the straight line between the two anchors ×
    ``detour_factor``, its ground profile sampled on the DEM along that straight line, with
    its lift stations, trench depth and diameter (for the member's own flow) costed as for a
    connecting sewer; no plant capacity is involved.  Members farther than
    ``cluster_max_link_m`` (straight line) from the station are not allowed.  Repeatedly
    merge the pair of neighbouring groups with the largest positive saving (cost(A) +
    cost(B) − cost(A ∪ B)); stop when no merge saves.  Each merge saves, so every cluster costs less
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

from ..._choices import SEWAGE_MODES
from ...io.project import District
from ...labels import label as _label
from ...standards import defaults
from ...terrain import Dem
from .costs import capital_recovery_factor, station_cost
from .demand import mst_length, settlements, village_demand
from .options import local_costs
from .params import sewage_params as _params
from .plants import read_plants
from .sewers import gravity_sewer, sewer_links
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


def _road_network(district: District) -> Any | None:
    """The district's road network (:func:`geo_env.network.road_network`), or None without roads."""
    if district.roads is None or len(district.roads) == 0:
        return None
    from ...network import road_network

    return road_network(district)


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

    def station(q: np.ndarray | float) -> np.ndarray:
        return station_cost(q, prm)

    tick("local costs")

    # --- connection candidates ------------------------------------------------------------
    pair_v = pair_p = np.zeros(0, dtype=np.int64)
    plant_dist = np.full(n, np.nan)
    nearest_plant = np.full(n, -1)
    conn: dict[str, np.ndarray] = {k: np.zeros(0) for k in ("length_m", "pumps", "depth_m", "cost")}
    route_lines: np.ndarray | None = None
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
            straight = np.hypot(*(xy[pair_v] - pxy[pair_p]).T)
            # a sewer does not follow a long road detour (NaN length: no route, left alone)
            detour = shapely.length(route_lines) > prm["max_road_detour"] * np.maximum(straight, 1.0)
            route_lines[detour] = None
        tick("routes")
        sew = sewer_links(xy[pair_v], pxy[pair_p], flow[pair_v], dem, prm, route_lines,
                          max_length_m=prm["max_connect_distance_m"])
        conn = {"length_m": sew.length_m, "pumps": sew.pumps, "depth_m": sew.depth_m,
                "cost": sew.cost + internal[pair_v] + flow[pair_v] * 365.0 * prm["plant_opex_yuan_per_m3"]}
    tick("connection profiles")

    # hard rules: route length and the plant's spare capacity for this village alone
    within = conn["length_m"] <= prm["max_connect_distance_m"]
    feasible = within & (flow[pair_v] <= spare[pair_p] + 1e-9)
    has_within = np.bincount(pair_v[within], minlength=n) > 0
    cost_connect = np.full(n, np.nan)
    if feasible.any():
        cheapest = pd.Series(conn["cost"][feasible]).groupby(pair_v[feasible]).min()
        cost_connect[cheapest.index.to_numpy()] = cheapest.to_numpy()
    # priority rule (纳管优先), a property of a (village, plant) pair: a gravity sewer no
    # longer than connect_priority_distance_m to a plant with room for the village, whose
    # yearly cost is within the premium cap (see *Priority rule*)
    near_gravity = feasible & (conn["pumps"] == 0) & (conn["length_m"] <= prm["connect_priority_distance_m"])
    prio_pair = near_gravity & _within_premium(conn["cost"], alone[pair_v], trunk[pair_v],
                                               prm["connect_priority_max_premium"])
    prio_village = np.bincount(pair_v[prio_pair], minlength=n) > 0
    # spare capacity shared by a lexicographic assignment (see *Capacity sharing*)
    saving = alone[pair_v] - conn["cost"]
    eligible = feasible & ((saving > 0) | prio_pair)
    assigned = _share_capacity(n, pair_v, pair_p, flow, spare, eligible, prio_pair, saving)
    connected = assigned >= 0
    capacity_blocked = (np.bincount(pair_v[eligible], minlength=n) > 0) & ~connected
    tick("capacity")

    # --- clusters -------------------------------------------------------------------------
    free = np.flatnonzero(~connected & (flow > 0))
    groups, group_cost, links = _clusters(free, xy, flow, internal, alone, station, dem, prm, tick)
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


def _within_premium(cost: np.ndarray, alone: np.ndarray, trunk: np.ndarray, premium: float) -> np.ndarray:
    """Whether connections of yearly cost ``cost`` are within the priority premium cap.

    ``cost − trunk ≤ (1 + premium) × (alone − trunk)`` (yuan/year): the village trunk sewer
    (``trunk``, yuan/year), which a connection and a single village station both need, is
    left out of both sides.  So the test is monotone in the sewer unit cost: the left side
    grows with it, the right side does not (see *Priority rule*).  ``premium = inf``: no cap.
    """
    if np.isinf(premium):
        return np.ones(len(cost), dtype=bool)
    return cost - trunk <= (1.0 + premium) * (alone - trunk) + 1e-6


def _share_capacity(n: int, pair_v: np.ndarray, pair_p: np.ndarray, flow: np.ndarray,
                    spare: np.ndarray, eligible: np.ndarray, prio: np.ndarray,
                    saving: np.ndarray) -> np.ndarray:
    """Assign villages to plants within the plants' spare capacity (see *Capacity sharing*).

    Parameters
    ----------
    n
        Number of villages.
    pair_v, pair_p
        Village and plant index of each (village, plant) pair; at most one pair per
        (village, plant).
    flow
        Sewage flow of each village (m³/d).
    spare
        Spare capacity of each plant (m³/d).
    eligible, prio
        Per pair: may connect; is a priority pair.
    saving
        Per pair: yearly saving of connecting (yuan/year; may be negative for priority pairs).

    Returns
    -------
    numpy.ndarray
        Per village, the index of its assigned pair, −1 when it does not connect.

    Notes
    -----
    The lexicographic optimum over the eligible pairs: (1) as many villages as possible;
    (2) with that many, as many priority pairs as possible; (3) with both, the largest total
    saving.  A plant whose spare capacity takes every village with an eligible pair to it
    binds nobody; villages all of whose eligible pairs lead to such plants take their best
    pair (priority first, then saving) directly.  The others are assigned by three
    ``scipy.optimize.milp`` (HiGHS) solves, one per level, each keeping the optimum of the
    levels before as a constraint.
    """
    assigned = np.full(n, -1)
    cand = np.flatnonzero(eligible)
    if cand.size == 0:
        return assigned
    cv, cp = pair_v[cand], pair_p[cand]
    demand = np.bincount(cp, weights=flow[cv], minlength=len(spare))
    scarce = demand > spare + 1e-9
    contested = np.zeros(n, dtype=bool)
    contested[cv[scarce[cp]]] = True
    # uncontested villages: their best pair (priority, then saving, then plant order)
    free = np.zeros(len(pair_v), dtype=bool)
    free[cand[~contested[cv]]] = True
    best = _pick(n, pair_v, free, ~prio, -saving)
    assigned[best >= 0] = best[best >= 0]
    sub = cand[contested[cv]]
    if sub.size:
        x = _lexicographic_assignment(pair_v[sub], pair_p[sub], flow[pair_v[sub]], spare,
                                      scarce, prio[sub], saving[sub])
        assigned[pair_v[sub[x]]] = sub[x]
    return assigned


def _lexicographic_assignment(pv: np.ndarray, pp: np.ndarray, q: np.ndarray, spare: np.ndarray,
                              scarce: np.ndarray, prio: np.ndarray, saving: np.ndarray) -> np.ndarray:
    """The chosen pairs (boolean per pair) of the three-level MILP of :func:`_share_capacity`."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    m = len(pv)
    cols = np.arange(m)
    _, vrow = np.unique(pv, return_inverse=True)
    one_each = coo_array((np.ones(m), (vrow, cols)), shape=(int(vrow.max()) + 1, m))
    bind = scarce[pp]
    plants, prow = np.unique(pp[bind], return_inverse=True)
    load = coo_array((q[bind], (prow, cols[bind])), shape=(len(plants), m))
    rhs = spare[plants].astype(float) + 1e-9
    levels = [np.ones(m), prio.astype(float)]
    scale = max(float(np.abs(saving).max()), 1.0)
    levels.append(saving / scale)
    for _attempt in range(3):
        fixed: list[LinearConstraint] = []
        x = np.zeros(m, dtype=bool)
        for k, goal in enumerate(levels):
            if k == 1 and not prio.any():
                continue
            cons = [LinearConstraint(one_each, -np.inf, 1.0),
                    LinearConstraint(load, -np.inf, rhs), *fixed]
            res = milp(-goal, constraints=cons, integrality=np.ones(m), bounds=Bounds(0, 1),
                       options={"mip_rel_gap": 0.0, "time_limit": 120.0})
            if res.x is None:  # pragma: no cover - the empty assignment is always feasible
                raise RuntimeError(f"capacity assignment failed: {res.message}")
            if res.status != 0:
                log.warning("capacity assignment, level %d: %s; the best assignment found is used",
                            k + 1, res.message)
            x = res.x > 0.5
            if k < 2:  # keep this level's optimum (an integer) while optimising the next
                fixed.append(LinearConstraint(goal[None, :], float(goal[x].sum()) - 0.5, np.inf))
        over = np.bincount(prow[x[bind]], weights=q[bind][x[bind]], minlength=len(plants)) - spare[plants]
        if (over <= 1e-9).all():
            return x
        rhs = np.where(over > 1e-9, rhs - over - 1e-7, rhs)  # solver tolerance: tighten, solve again
    raise RuntimeError("capacity assignment exceeds a plant's spare capacity")  # pragma: no cover


def _pick(n: int, pair_v: np.ndarray, mask: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Per village, the index of its pair among ``mask`` with the smallest ``keys`` (the
    first key decides, the next break ties; then the pair order); −1 where it has none."""
    out = np.full(n, -1)
    sel = np.flatnonzero(mask)
    if sel.size:
        order = sel[np.lexsort(tuple(k[sel] for k in reversed(keys)) + (pair_v[sel],))]
        first = np.unique(pair_v[order], return_index=True)[1]
        out[pair_v[order[first]]] = order[first]
    return out


def _road_routes(net: Any, xy: np.ndarray, pxy: np.ndarray, pair_v: np.ndarray,
                 pair_p: np.ndarray, district: District) -> np.ndarray:
    """Road route per (village, plant) pair, oriented village → plant (None: no road path);
    an object array of LineStrings, working CRS."""
    # the district's [roads] setting over the standards' default (no default kept here)
    max_conn = float({**defaults("roads"), **(district.params.get("roads") or {})}["max_connector_m"])
    lines = np.full(len(pair_v), None, dtype=object)
    for j in np.unique(pair_p):  # one shortest-path tree per plant
        sel = np.flatnonzero(pair_p == j)
        got = np.empty(len(sel), dtype=object)
        got[:] = net.routes(pxy[j], xy[pair_v[sel]], max_connector_m=max_conn)
        ok = ~shapely.is_missing(got) & ~shapely.is_empty(got)
        lines[sel[ok]] = shapely.reverse(got[ok])
    return lines


@dataclass(frozen=True)
class _LinkTable:
    """Linking sewers between villages, looked up by (from, to) village index, vectorised.

    ``keys`` = from × n + to, sorted; ``cost`` (yuan/year), ``length_m`` and ``pumps`` in
    the same order.  A pair that is not in the table has no link (cost ∞).
    """

    n: int
    keys: np.ndarray
    cost: np.ndarray
    length_m: np.ndarray
    pumps: np.ndarray

    @classmethod
    def empty(cls, n: int) -> _LinkTable:
        return cls(n, np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64))

    def find(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in the table of the links src → dst, and whether each exists."""
        k = np.asarray(src, dtype=np.int64) * self.n + np.asarray(dst, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.keys, k), max(len(self.keys) - 1, 0))
        found = self.keys[pos] == k if len(self.keys) else np.zeros(k.shape, dtype=bool)
        return pos, found


def _clusters(
    free: np.ndarray, xy: np.ndarray, flow: np.ndarray, internal: np.ndarray, alone: np.ndarray,
    station: Callable[[Any], np.ndarray], dem: Dem | None, prm: dict[str, Any],
    tick: Callable[[str], None] | None = None,
) -> tuple[list[tuple[np.ndarray, int]], list[float], _LinkTable]:
    """Agglomerative clustering (see the module docstring). Returns groups of ≥ 2 villages
    as (members, station village), their yearly costs, and the table of linking sewers.
    ``tick("cluster links")`` is called once the links are costed."""
    n = len(xy)
    if len(free) < 2:
        return [], [], _LinkTable.empty(n)
    pairs = cKDTree(xy[free]).query_pairs(prm["cluster_max_link_m"], output_type="ndarray")
    if len(pairs) == 0:
        return [], [], _LinkTable.empty(n)
    a, b = free[pairs[:, 0]], free[pairs[:, 1]]
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    lk = sewer_links(xy[src], xy[dst], flow[src], dem, prm)
    keys = src.astype(np.int64) * n + dst
    order = np.argsort(keys)
    table = _LinkTable(n, keys[order], lk.cost[order], lk.length_m[order], lk.pumps[order])
    if tick is not None:
        tick("cluster links")

    # groups keyed by a representative id.  into[g][x] = (sum of the yearly costs of the
    # links from g's members into village x, how many of g's members link to x): with it a
    # candidate merge g ∪ h is costed in O(|g| + |h|), not by summing |g ∪ h|² links
    members: dict[int, list[int]] = {int(i): [int(i)] for i in free}
    cost: dict[int, float] = {int(i): float(alone[i]) for i in free}
    stn: dict[int, int] = {int(i): int(i) for i in free}
    inner: dict[int, float] = {int(i): float(internal[i]) for i in free}  # yuan/year
    q: dict[int, float] = {int(i): float(flow[i]) for i in free}  # m³/d
    into: dict[int, dict[int, tuple[float, int]]] = {int(i): {} for i in free}
    for i, j, c in zip(src[order].tolist(), dst[order].tolist(), table.cost.tolist()):
        into[i][j] = (c, 1)
    nbrs: dict[int, set[int]] = {int(i): set() for i in free}
    for i, j in zip(a.tolist(), b.tolist()):
        nbrs[i].add(j)
        nbrs[j].add(i)
    version: dict[int, int] = {int(i): 0 for i in free}

    def merged_cost(g: int, h: int) -> tuple[float, int]:
        """Yearly cost of g ∪ h with its best station, and that station (−1: none)."""
        ig, ih, ng, nh = into[g], into[h], len(members[g]), len(members[h])
        best, best_s = np.inf, -1
        for k, s in enumerate(members[g] + members[h]):  # first of equal sums wins
            own = k < ng  # s in g: the others of g and all of h link into s
            sg, cg = ig.get(s, (0.0, 0))
            sh, ch = ih.get(s, (0.0, 0))
            if cg == ng - own and ch == nh - (not own) and sg + sh < best:
                best, best_s = sg + sh, s
        return inner[g] + inner[h] + float(station(q[g] + q[h])) + best, best_s

    def push(g: int, h: int) -> None:
        c, s = merged_cost(g, h)
        gain = cost[g] + cost[h] - c
        if gain > 1e-6:
            heapq.heappush(heap, (-gain, g, h, version[g], version[h], c, s))

    # the first candidate merges, village pairs, all at once: the station is at a (first in
    # the members' order, as in merged_cost) unless the link into b is strictly cheaper
    to_a, ok_a = table.find(b, a)
    to_b, ok_b = table.find(a, b)
    link_a = np.where(ok_a, table.cost[to_a], np.inf)
    link_b = np.where(ok_b, table.cost[to_b], np.inf)
    pair_s = np.where(link_b < link_a, b, a)
    pair_c = internal[a] + internal[b] + station(flow[a] + flow[b]) + np.minimum(link_a, link_b)
    gain = alone[a] + alone[b] - pair_c
    good = np.flatnonzero(gain > 1e-6)
    heap: list[tuple[float, int, int, int, int, float, int]] = list(zip(
        (-gain[good]).tolist(), a[good].tolist(), b[good].tolist(), [0] * len(good),
        [0] * len(good), pair_c[good].tolist(), pair_s[good].tolist()))
    heapq.heapify(heap)
    while heap:
        _, g, h, vg, vh, c, s = heapq.heappop(heap)
        if g not in members or h not in members or version[g] != vg or version[h] != vh:
            continue
        members[g] = members[g] + members.pop(h)
        cost[g], stn[g] = c, s
        inner[g] += inner.pop(h)
        q[g] += q.pop(h)
        big, small = (into[g], into.pop(h)) if len(into[g]) >= len(into[h]) else (into.pop(h), into[g])
        for x, (sx, cx) in small.items():
            sb, cb = big.get(x, (0.0, 0))
            big[x] = (sb + sx, cb + cx)
        into[g] = big
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
    return groups, costs, table


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


