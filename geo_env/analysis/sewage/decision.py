"""The sewage analysis as a pipeline of named steps (:func:`sewage_plan`).

Each step is a function of the step module named below; it takes the records of the steps
before it and returns its own (frozen dataclasses of arrays, one value per village, plant
or (village, plant) pair):

==========================  ===========================================  ==========================
step (``timings`` key)      function                                     record
==========================  ===========================================  ==========================
inputs                      :func:`.params.sewage_params`,               ``dict`` of parameters,
                            :func:`.demand.village_demand`,              :class:`.demand.Demand`,
                            :func:`.plants.read_plants`                  :class:`.plants.Plants`
terrain                     :func:`.terrain.village_terrain`             :class:`.terrain.Terrain`
local costs                 :func:`.demand.settlements`,                 :class:`.demand.Settlements`,
                            :func:`.options.local_costs`                 :class:`.options.LocalCosts`
routes (with plants)        :func:`.connect.plant_pairs`,                :class:`.connect.PlantPairs`
                            :func:`.connect.road_routes`
connection profiles         :func:`.connect.connection_sewers`           :class:`.sewers.Sewers`
capacity                    :func:`.connect.connections`,                :class:`.connect.Connections`,
                            :func:`.capacity.assign_plants`              :class:`.capacity.Assignment`
cluster links (when any)    :func:`.clusters.cluster_links`              :class:`.clusters.ClusterLinks`
cluster merges              :func:`.clusters.merge_clusters`             :class:`.clusters.Clusters`
reasons                     :func:`.modes.decide`,                       :class:`.modes.Decision`,
                            :func:`.reasons.village_reasons`             one sentence per village
outputs                     :mod:`.tables`, :mod:`.summary`              :class:`SewagePlan`
==========================  ===========================================  ==========================
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

from ..._choices import SEWAGE_MODES
from ..._progress import Progress, Steps
from ...io.project import District
from ..baseline import village_baseline
from .capacity import assign_plants
from .clusters import cluster_links, merge_clusters
from .connect import connection_sewers, connections, plant_pairs, road_routes
from .demand import settlements, village_demand
from .effluent import effluent_summary, receiving_water, rules_table, village_standards
from .existing import existing_reasons, kept_villages, planning_demand, with_existing
from .modes import decide
from .money import ITEMS, investment_summary, investment_table, village_money
from .options import local_costs
from .params import sewage_params
from .plants import read_plants
from .reasons import village_reasons, with_effluent
from .summary import by_township, sewage_summary
from .tables import add_baseline_columns, clusters_layer, details_table, plants_layer, routes_layer, villages_table
from .terrain import village_terrain

__all__ = ["MODES", "SewagePlan", "sewage_modes", "sewage_plan"]

log = logging.getLogger(__name__)

#: The modes, in the order used for ties and tables.
MODES = SEWAGE_MODES
#: The steps of :func:`sewage_plan`, in order (``SewagePlan.timings`` keys; "routes" only
#: with plants, "cluster links" only when some villages may share a station).
STEP_NAMES = ("inputs", "terrain", "local costs", "routes", "connection profiles", "capacity", "cluster links",
              "cluster merges", "reasons", "outputs")


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
    investment
        投资估算 by township: capex per item and in total (万元), O&M (万元/年), total row
        (:mod:`.money`).
    effluent_rules
        The effluent-standard rule table used (:func:`.effluent.rules_table`; None when the
        standards are not assessed).
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
    investment: pd.DataFrame | None = None
    effluent_rules: pd.DataFrame | None = None


class _Clock:
    """Seconds per named step (added up when a name recurs); tells ``progress`` each step."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress
        self.last = time.perf_counter()

    def tick(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now
        if self.progress is not None:
            self.progress(name)


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
    district: District, *, progress: Progress = None, **overrides: Any
) -> SewagePlan:
    """The full sewage analysis (villages, clusters, plants, tables, summary).

    The steps, each timed under its name in :attr:`SewagePlan.timings` and announced to
    ``progress``: inputs, terrain, local costs, routes (with plants), connection profiles,
    capacity, cluster links (when villages may cluster), cluster merges, reasons, outputs.

    Parameters
    ----------
    district
        The district.
    progress
        Called with the name of each step when it is done; or True / False: a progress
        bar shown / not shown (default: automatic, see :mod:`geo_env._progress`).
    **overrides
        ``[sewage]`` parameters, as for :func:`sewage_modes`.

    Returns
    -------
    SewagePlan
    """
    with Steps("sewage", total=len(STEP_NAMES), progress=progress) as steps:
        return _sewage_plan(district, _Clock(steps.done), overrides)


def _sewage_plan(district: District, clock: _Clock, overrides: dict[str, Any]) -> SewagePlan:
    """:func:`sewage_plan`, each step timed and announced by ``clock``."""
    prm = sewage_params(district, overrides)
    full = village_demand(district, prm)
    plants = read_plants(district)
    bl = village_baseline(district)
    clock.tick("inputs")
    terrain = village_terrain(district, full.xy, plants.xy)
    clock.tick("terrain")
    st = settlements(district.villages, full, terrain.slope_percent, prm)
    rx = receiving_water(district, full.xy, prm)
    local = local_costs(district, full, st, terrain.slope_percent, prm, rx)
    ex = kept_villages(bl, full, local, prm)
    demand = planning_demand(full, ex)  # kept villages' sewage is treated already
    clock.tick("local costs")
    pairs = plant_pairs(demand, plants, prm)
    if plants.count:
        pairs = road_routes(pairs, district, demand.xy, plants.xy, prm)
        clock.tick("routes")
    sewers = connection_sewers(pairs, demand, plants.xy, terrain.dem, prm)
    clock.tick("connection profiles")
    conn = connections(pairs, sewers, demand, local, plants, prm)
    assignment = assign_plants(conn, demand, plants)
    clock.tick("capacity")
    # no shared station may stand inside a protection zone: villages there join none
    # nor relocating villages (搬迁撤并), which build no fixed works
    free = np.flatnonzero(~assignment.connected & (demand.flow_m3_per_day > 0) & ~local.no_outfall
                          & ~demand.relocation)
    links = cluster_links(free, demand, terrain.dem, prm)
    if len(links.a):
        clock.tick("cluster links")
    clusters = merge_clusters(links, demand, local, prm, rx)
    clock.tick("cluster merges")
    decision = decide(demand, local, conn, assignment, clusters, plants, prm)
    reasons = village_reasons(demand, st, terrain, local, plants, conn, assignment, decision, prm, district.lang)
    decision = with_existing(decision, bl, ex, full, prm)
    reasons = existing_reasons(reasons, bl, ex, decision, district.lang)
    standards, into = village_standards(rx, decision.mode, demand.flow_m3_per_day,
                                        local.village_stations.astype(float), local.no_outfall, clusters.members,
                                        clusters.stations)
    reasons = with_effluent(reasons, decision.mode, standards, into, district.lang)
    clock.tick("reasons")
    v = district.villages
    out = villages_table(v, full, terrain, local, decision, reasons, standards)
    add_baseline_columns(out, bl, ex, full)
    money = village_money(demand, local, conn, assignment, clusters, decision, ex, full, bl.toilets, prm, rx)
    out["capex_wan"], out["om_wan_per_year"] = money.capex_total / 1e4, money.om_total / 1e4
    details = details_table(v, terrain, st, local, conn, assignment, decision, rx)
    # relocating villages (搬迁撤并) given household systems as an interim measure, no fixed works
    details["relocation_interim"] = full.relocation & (out["sewage_mode"].to_numpy(dtype=object) == "household")
    details["suburban_priority"] = full.suburban
    clusters_out = clusters_layer(v, clusters, demand, local, standards)
    plants_out = plants_layer(plants, conn, assignment, demand)
    routes = routes_layer(v, demand, plants, conn, assignment)
    counted_apart = full.no_population & ~full.unknown
    by_town = by_township(out, counted_apart, full.unknown)
    summary = sewage_summary(out, counted_apart, plants_out, clusters_out, full.unknown)
    ids = out["id"].astype(str).to_numpy() if "id" in out.columns else np.arange(len(out)).astype(str)
    invest = investment_table(money, out["township"].astype(str).to_numpy() if "township" in out.columns
                              else np.full(len(out), ""), decision.mode)
    summary["investment"] = investment_summary(invest, prm)
    by_town["capex_wan"] = by_town["township"].map(invest.set_index("township")["capex_wan"])
    by_town["om_wan_per_year"] = by_town["township"].map(invest.set_index("township")["om_wan_per_year"])
    summary["protection_zone"] = {"inside_villages": int(local.inside_zone.sum()),
                                  "no_feasible_option": ids[local.no_option & local.inside_zone
                                                            & ~assignment.connected].tolist()}
    summary["effluent"] = effluent_summary(rx, standards, ids, local.no_outfall, local.inside_zone,
                                           local.no_option & ~assignment.connected)
    clock.tick("outputs")
    log.info("sewage modes: %s", summary["by_mode"])
    for item in ITEMS:
        details[f"capex_{item}_yuan"], details[f"om_{item}_yuan_per_year"] = money.capex[item], money.om[item]
    details["annualised_yuan_per_year"] = money.annualised
    return SewagePlan(out, details, clusters_out, plants_out, routes, by_town, summary, prm, clock.timings,
                      investment=invest, effluent_rules=rules_table(rx))


