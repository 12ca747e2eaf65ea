"""Step 8 of the sewage analysis: each village's mode and what comes with it (:class:`Decision`).

The mode of a village, rules first, then the cheapest:

* a village of unknown population is not assessed (mode None; see :mod:`.demand`);
* a village without residents gets ``household`` at no cost, one without sewage (no
  water use) ``household``;
* a village assigned a plant by :mod:`.capacity` gets ``connect``;
* a member of a cluster (:mod:`.clusters`) gets ``cluster``;
* any other gets the cheaper of ``household`` (where allowed) and ``centralized``
  (:mod:`.options`); inside a drinking-water source protection zone ``household`` (with
  reuse, no discharge: no station may discharge there); in a relocating village (搬迁撤并,
  ``village_class``) ``household``, an interim measure (no fixed works).

Toilet suggestion: ``flush`` where sewage is collected (connect, centralized, cluster);
with household systems ``dry`` below ``dry_toilet_below_l_per_capita_day`` of water use,
else ``septic_tank``; ``not_needed`` without residents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import Bools, Floats, Ints, Objects
from .capacity import Assignment
from .clusters import Clusters
from .connect import Connections
from .demand import Demand
from .options import LocalCosts
from .params import Params
from .plants import Plants

__all__ = ["Decision", "decide", "toilet_of_modes"]


@dataclass(frozen=True)
class Decision:
    """Each village's mode and what comes with it (one value per village unless said).

    Attributes
    ----------
    mode
        ``connect`` / ``centralized`` / ``cluster`` / ``household``; None: population unknown.
    plant
        Index of the plant a ``connect`` village joins (−1: none).
    plant_id
        Its id (None: none).
    cluster_id
        ``C001`` … for cluster members (None: none).
    cluster_size
        Villages in the village's cluster (0: none).
    cost_connect
        Yearly cost of connecting (yuan/year): the chosen pair's for ``connect`` villages,
        else the cheapest feasible pair's; NaN: no feasible pair.
    cost_cluster
        The member's share of its cluster's yearly cost (yuan/year; NaN: no cluster).
    cost_household
        Household systems (yuan/year) as reported: NaN where not allowed or the population
        is unknown, 0 without residents.
    pipe_length_m
        The connecting sewer (``connect``) or the link into the station (``cluster``) (m; 0).
    pump_stations
        Its lift stations.
    by_priority
        Connected through a priority pair.
    room_after_m3_per_day
        Per plant: spare capacity left after the connections (m³/d).
    toilet
        ``flush`` / ``septic_tank`` / ``dry`` / ``not_needed``; None: population unknown.
    """

    mode: Objects
    plant: Ints
    plant_id: Objects
    cluster_id: Objects
    cluster_size: Ints
    cost_connect: Floats
    cost_cluster: Floats
    cost_household: Floats
    pipe_length_m: Floats
    pump_stations: Ints
    by_priority: Bools
    room_after_m3_per_day: Floats
    toilet: Objects


def decide(demand: Demand, local: LocalCosts, conn: Connections, assignment: Assignment, clusters: Clusters,
           plants: Plants, prm: Params) -> Decision:
    """The mode of every village and its numbers (see the module docstring)."""
    n = len(demand.xy)
    connected, q = assignment.connected, assignment.connected_pairs
    # where no station may discharge (protection zone, water taking no outfall): household systems with reuse
    # and a relocating village (搬迁撤并) builds no fixed works: household systems, an interim measure
    aside = local.no_outfall | demand.relocation
    mode = np.where(np.isfinite(local.household) & ((local.household < local.centralized) | aside),
                    "household", "centralized").astype(object)
    mode[(demand.flow_m3_per_day <= 0) | demand.no_population] = "household"
    mode[connected] = "connect"
    cluster_id, cluster_size, cost_cluster, pipe_len, pumps = _cluster_members(clusters, local.alone, n)
    mode[cluster_size > 0] = "cluster"
    plant = np.full(n, -1)
    plant[connected] = conn.pairs.plant[q]
    plant_id = np.full(n, None, dtype=object)
    plant_id[connected] = plants.ids[plant[connected]]
    pipe_len[connected] = conn.sewers.length_m[q]
    pumps[connected] = conn.sewers.pumps[q]
    cost_connect = conn.cheapest_cost.copy()
    cost_connect[connected] = conn.cost[q]
    by_priority = np.zeros(n, dtype=bool)  # connected through a priority pair
    by_priority[connected] = conn.priority[q]
    room_after = plants.spare_m3_per_day - np.bincount(conn.pairs.plant[q], weights=demand.flow_m3_per_day[connected],
                                                       minlength=plants.count)
    toilet = toilet_of_modes(mode, demand, prm)
    unknown = demand.unknown  # not assessed (see *Villages of unknown population*)
    mode[unknown], toilet[unknown] = None, None
    return Decision(mode=mode, plant=plant, plant_id=plant_id, cluster_id=cluster_id, cluster_size=cluster_size,
                    cost_connect=cost_connect, cost_cluster=cost_cluster,
                    cost_household=np.where(unknown, np.nan, local.household), pipe_length_m=pipe_len,
                    pump_stations=pumps, by_priority=by_priority, room_after_m3_per_day=room_after, toilet=toilet)


def _cluster_members(clusters: Clusters, alone: Floats, n: int) -> tuple[Objects, Ints, Floats, Floats, Ints]:
    """Per village: its cluster's id and size, its share of the cluster's yearly cost (in
    proportion to ``alone``, yuan/year), and the length (m) and lift stations of its link
    into the station (0 for the station village and for villages in no cluster)."""
    cluster_id = np.full(n, None, dtype=object)
    size = np.zeros(n, dtype=np.int64)
    share = np.full(n, np.nan)
    pipe_len = np.zeros(n)
    pumps = np.zeros(n, dtype=np.int64)
    for cid, members, stn, cost in zip(clusters.ids, clusters.members, clusters.stations, clusters.costs):
        share[members] = cost * alone[members] / alone[members].sum()
        cluster_id[members] = cid
        size[members] = len(members)
        others = members[members != stn]
        at, _ = clusters.links.find(others, np.full(len(others), stn))
        pipe_len[others] = clusters.links.length_m[at]
        pumps[others] = clusters.links.pumps[at]
    return cluster_id, size, share, pipe_len, pumps


def toilet_of_modes(mode: Objects, demand: Demand, prm: Params) -> Objects:
    """Toilet suggestion per village from its mode and water use (see the module docstring)."""
    dry = demand.water_use_l_per_capita_day < prm["dry_toilet_below_l_per_capita_day"]
    toilet = np.where(mode == "household", np.where(dry, "dry", "septic_tank"), "flush").astype(object)
    toilet[demand.no_population] = "not_needed"
    return toilet
