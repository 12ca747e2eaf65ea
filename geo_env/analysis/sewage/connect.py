"""Steps 4 and 5 of the sewage analysis: the sewers that could connect villages to town
plants, costed, and the rules that say which may (:class:`PlantPairs`, :class:`Connections`).

``connect`` (纳管): a sewer from the village anchor to a town plant.  Only the
``candidate_plants`` nearest plants are costed; the pipe route is the road route when
roads and :mod:`geo_env.network` are available and the road is not a long detour (at
most ``max_road_detour`` × the straight line), else the straight line × ``detour_factor``.
Infeasible when the route is longer than ``max_connect_distance_m`` or the plant's spare
capacity (capacity − load) is smaller than the village's flow.  A connection's yearly cost
is its sewer (:mod:`.sewers`), the village network and trunk that gather the sewage at the
anchor (:mod:`.options`) and the plant's operation (``plant_opex_yuan_per_m3``).

Priority rule
    The *priority rule* (纳管优先; 中农发〔2019〕14号, Guangdong's 纳厂 mode) is a property
    of a (village, plant) pair: a *priority pair* is a feasible pair whose sewer is at most
    ``connect_priority_distance_m`` long, needs no lift station and costs at most
    (1 + ``connect_priority_max_premium``) × the village's cheapest other mode, the village
    trunk sewer left out of both sides (connection − trunk ≤ (1 + premium) × (other − trunk);
    the trunk joins the village's settlements, and a connection and a single village
    station both need it; where household systems are the alternative this is stricter than
    the plain ratio).  A village given a plant through a priority pair connects even
    when another mode would cost less.  The rule does not extend to the village's other
    pairs: when the plants of its priority pairs fill up, it connects to another plant only
    where that is cheaper than its own solution.  Every feasible pair of a village inside a
    drinking-water source protection zone, or of a suburban village (城郊融合,
    ``village_class``), is a priority pair; a relocating village (搬迁撤并) has no pairs.
Eligible pairs
    A feasible pair is *eligible* (may connect) when it is a priority pair or saves money
    over the village's own solution; :mod:`.capacity` chooses among the eligible pairs
    within the plants' spare capacity.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ...io.project import District
from ...standards import defaults
from ...terrain import Dem
from ._arrays import Bools, Floats, Ints, Objects
from .demand import Demand
from .options import LocalCosts
from .params import Params
from .plants import Plants
from .sewers import Sewers, sewer_links

__all__ = ["PlantPairs", "Connections", "plant_pairs", "road_routes", "connection_sewers", "connections", "pick"]


@dataclass(frozen=True)
class PlantPairs:
    """The (village, plant) pairs to cost: each village's ``candidate_plants`` nearest
    plants within ``max_connect_distance_m`` in a straight line (villages with sewage only).

    Attributes
    ----------
    village, plant
        Village and plant index of each pair; at most one pair per (village, plant).
    lines
        Road route of each pair (LineString village → plant, working CRS; None: the straight
        line × detour factor); None when the roads are not used.
    nearest_plant
        Per village: index of the nearest plant in a straight line (−1 without plants).
    nearest_plant_m
        Per village: straight distance to it (m; NaN without plants).
    """

    village: Ints
    plant: Ints
    lines: Objects | None
    nearest_plant: Ints
    nearest_plant_m: Floats


@dataclass(frozen=True)
class Connections:
    """Every costed pair with the rules applied (per pair unless said; yuan/year).

    Attributes
    ----------
    pairs
        The pairs (:class:`PlantPairs`).
    sewers
        The connecting sewer of each pair: length, lift stations, depth, its own cost.
    cost
        Yearly cost of connecting: sewer + village network and trunk + plant operation;
        NaN for a sewer longer than ``max_connect_distance_m``.
    within
        The sewer is at most ``max_connect_distance_m`` long.
    feasible
        Within, and the plant's spare capacity holds the village's flow.
    near_gravity
        Feasible, no lift station, at most ``connect_priority_distance_m`` long.
    priority
        A priority pair: near by gravity and within the premium cap (see *Priority rule*).
    saving
        ``alone − cost``: what connecting saves over the village's own solution (may be < 0).
    eligible
        Feasible and (priority or saving > 0): may connect.
    has_within
        Per village: some pair of it is within the length limit.
    cheapest_cost
        Per village: the cost of its cheapest feasible pair (NaN: none).
    priority_village
        Per village: it has a priority pair.
    """

    pairs: PlantPairs
    sewers: Sewers
    cost: Floats
    within: Bools
    feasible: Bools
    near_gravity: Bools
    priority: Bools
    saving: Floats
    eligible: Bools
    has_within: Bools
    cheapest_cost: Floats
    priority_village: Bools


def plant_pairs(demand: Demand, plants: Plants, prm: Params) -> PlantPairs:
    """The pairs to cost (KD-tree queries on the straight distances), without routes."""
    n = len(demand.xy)
    if not plants.count:
        empty = np.zeros(0, dtype=np.int64)
        return PlantPairs(empty, empty, None, np.full(n, -1), np.full(n, np.nan))
    tree = cKDTree(plants.xy)
    nearest_m, nearest = tree.query(demand.xy, k=1)
    k = min(prm["candidate_plants"], plants.count)
    dist, idx = tree.query(demand.xy, k=k, distance_upper_bound=prm["max_connect_distance_m"])
    dist, idx = dist.reshape(n, k), idx.reshape(n, k)
    # relocating villages (搬迁撤并) build no fixed works: no connection is costed for them
    ok = np.isfinite(dist) & (demand.flow_m3_per_day[:, None] > 0) & ~demand.relocation[:, None]
    return PlantPairs(np.repeat(np.arange(n), k)[ok.ravel()], idx.ravel()[ok.ravel()], None, nearest, nearest_m)


def road_routes(pairs: PlantPairs, district: District, xy: Floats, plant_xy: Floats, prm: Params) -> PlantPairs:
    """``pairs`` with the road route of each (None where no road joins the two or the road
    is longer than ``max_road_detour`` × the straight line); unchanged without roads.

    ``xy``, ``plant_xy``: village anchors and plant points, working CRS (m).
    """
    if district.roads is None or len(district.roads) == 0:
        return pairs
    from ...network import road_network

    net = road_network(district)  # built (and its data checked) whenever there are roads and plants
    if not len(pairs.village):
        return pairs
    lines = _road_lines(net, xy, plant_xy, pairs.village, pairs.plant, district)
    straight = np.hypot(*(xy[pairs.village] - plant_xy[pairs.plant]).T)
    # a sewer does not follow a long road detour (NaN length: no route, left alone)
    detour = shapely.length(lines) > prm["max_road_detour"] * np.maximum(straight, 1.0)
    lines[detour] = None
    return dataclasses.replace(pairs, lines=lines)


def _road_lines(net: Any, xy: Floats, pxy: Floats, pair_v: Ints, pair_p: Ints, district: District) -> Objects:
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


def connection_sewers(pairs: PlantPairs, demand: Demand, plant_xy: Floats, dem: Dem | None,
                      prm: Params) -> Sewers:
    """The sewer of every pair, village anchor → plant, profiled on ``dem`` (:mod:`.sewers`);
    sewers longer than ``max_connect_distance_m`` are not profiled (cost NaN)."""
    v, p = pairs.village, pairs.plant
    return sewer_links(demand.xy[v], plant_xy[p], demand.flow_m3_per_day[v], dem, prm, pairs.lines,
                       max_length_m=prm["max_connect_distance_m"])


def connections(pairs: PlantPairs, sewers: Sewers, demand: Demand, local: LocalCosts, plants: Plants,
                prm: Params) -> Connections:
    """The yearly cost of every pair and the rules: feasible, priority, eligible."""
    n = len(demand.xy)
    v, p, flow = pairs.village, pairs.plant, demand.flow_m3_per_day
    cost = sewers.cost + local.internal[v] + flow[v] * 365.0 * prm["plant_opex_yuan_per_m3"]
    # hard rules: route length and the plant's spare capacity for this village alone
    within = sewers.length_m <= prm["max_connect_distance_m"]
    feasible = within & (flow[v] <= plants.spare_m3_per_day[p] + 1e-9)
    cheapest_cost = np.full(n, np.nan)
    if feasible.any():
        cheapest = pd.Series(cost[feasible]).groupby(v[feasible]).min()
        cheapest_cost[cheapest.index.to_numpy()] = cheapest.to_numpy()
    # priority rule (纳管优先), a property of a (village, plant) pair: a gravity sewer no
    # longer than connect_priority_distance_m to a plant with room for the village, whose
    # yearly cost is within the premium cap (see *Priority rule*)
    near_gravity = feasible & (sewers.pumps == 0) & (sewers.length_m <= prm["connect_priority_distance_m"])
    priority = near_gravity & _within_premium(cost, local.alone[v], local.trunk[v],
                                              prm["connect_priority_max_premium"])
    # a village inside a drinking-water source protection zone (or whose receiving water takes
    # no outfall) may build no station: every
    # feasible connection to a plant is a priority one (纳管优先, pumped if need be)
    priority |= feasible & local.no_outfall[v]
    # suburban villages (城郊融合) prefer connection: every feasible pair of theirs is a priority one
    priority |= feasible & demand.suburban[v]
    saving = local.alone[v] - cost
    return Connections(
        pairs=pairs, sewers=sewers, cost=cost, within=within, feasible=feasible, near_gravity=near_gravity,
        priority=priority, saving=saving, eligible=feasible & ((saving > 0) | priority),
        has_within=np.bincount(v[within], minlength=n) > 0, cheapest_cost=cheapest_cost,
        priority_village=np.bincount(v[priority], minlength=n) > 0)


def _within_premium(cost: Floats, alone: Floats, trunk: Floats, premium: float) -> Bools:
    """Whether connections of yearly cost ``cost`` are within the priority premium cap.

    ``cost − trunk ≤ (1 + premium) × (alone − trunk)`` (yuan/year): the village trunk sewer
    (``trunk``, yuan/year), which a connection and a single village station both need, is
    left out of both sides.  So the test is monotone in the sewer unit cost: the left side
    grows with it, the right side does not (see *Priority rule*).  ``premium = inf``: no cap.
    """
    if np.isinf(premium):
        return np.ones(len(cost), dtype=bool)
    return cost - trunk <= (1.0 + premium) * (alone - trunk) + 1e-6


def pick(n: int, pair_v: Ints, mask: Bools, *keys: Floats | Bools) -> Ints:
    """Per village, the index of its pair among ``mask`` with the smallest ``keys`` (the
    first key decides, the next break ties; then the pair order); −1 where it has none."""
    out = np.full(n, -1)
    sel = np.flatnonzero(mask)
    if sel.size:
        order = sel[np.lexsort(tuple(k[sel] for k in reversed(keys)) + (pair_v[sel],))]
        first = np.unique(pair_v[order], return_index=True)[1]
        out[pair_v[order[first]]] = order[first]
    return out
