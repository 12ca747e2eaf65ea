"""Step 10 of the sewage analysis: the records laid out as tables and layers of the
:class:`~.decision.SewagePlan` (villages, details, clusters, plants, routes).

Every table keeps the index of ``district.villages`` (the clusters, plants and routes
layers have their own rows); geometries are in the working CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..baseline import Baseline
from ._arrays import Objects
from .capacity import Assignment
from .clusters import Clusters
from .connect import Connections
from .demand import Demand, Settlements
from .effluent import Receiving
from .existing import Existing
from .modes import Decision
from .options import LocalCosts
from .plants import Plants
from .terrain import Terrain

__all__ = ["VILLAGE_COLUMNS", "BASELINE_COLUMNS", "add_baseline_columns", "villages_table", "details_table", "clusters_layer", "plants_layer", "routes_layer"]

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
    "cost_existing_yuan_per_year",
    "capex_wan",
    "om_wan_per_year",
    "effluent_standard",
    "sewage_reason",
    "toilet_suggestion",
    "population_horizon",
]

#: The baseline columns the sewage analysis adds where the data has them (a status
#: column: the first five; a sanitary-toilet column: the last two).
BASELINE_COLUMNS = [
    "sewage_status",
    "sewage_baseline_treated",
    "sewage_facility_status",
    "rectify",
    "cost_rectify_yuan_per_year",
    "sanitary_toilet_households",
    "toilet_households_to_convert",
]

_CLUSTER_COLUMNS = ["sewage_cluster_id", "station_village_id", "villages_count", "population",
                    "flow_m3_per_day", "cost_yuan_per_year", "saving_yuan_per_year", "effluent_standard", "geometry"]


def villages_table(v: gpd.GeoDataFrame, demand: Demand, terrain: Terrain, local: LocalCosts, decision: Decision,
                   reasons: list[str], standards: Objects) -> gpd.GeoDataFrame:
    """The villages' ``id name township population households`` (those present) and
    :data:`VILLAGE_COLUMNS` (costs in yuan/year; ``standards``: each village's effluent
    standard, :func:`.effluent.village_standards`)."""
    base_cols = [c for c in ("id", "name", "township", "population", "households") if c in v.columns]
    out = gpd.GeoDataFrame(v[base_cols].copy(), geometry=v.geometry.values, crs=v.crs, index=v.index)
    out["sewage_mode"] = decision.mode
    out["sewage_plant_id"] = decision.plant_id
    out["sewage_cluster_id"] = decision.cluster_id
    out["sewage_flow_m3_per_day"] = demand.flow_m3_per_day
    out["elevation_m"] = terrain.elevation_m
    out["pipe_length_m"] = decision.pipe_length_m
    out["pump_stations"] = decision.pump_stations
    out["cost_connect_yuan_per_year"] = decision.cost_connect
    out["cost_centralized_yuan_per_year"] = local.centralized
    out["cost_cluster_yuan_per_year"] = decision.cost_cluster
    out["effluent_standard"] = standards
    out["cost_household_yuan_per_year"] = decision.cost_household
    out["cost_existing_yuan_per_year"] = np.where(decision.mode == "existing", 0.0, np.nan)  # see add_baseline_columns
    out["sewage_reason"] = reasons
    out["toilet_suggestion"] = decision.toilet
    out["population_horizon"] = np.where(demand.unknown, np.nan, demand.population)  # persons at the horizon year
    return out


def details_table(v: gpd.GeoDataFrame, terrain: Terrain, st: Settlements, local: LocalCosts, conn: Connections,
                  assignment: Assignment, decision: Decision, rx: Receiving) -> pd.DataFrame:
    """Diagnostic numbers per village (see :attr:`~.decision.SewagePlan.details`), with the
    receiving water of a station at the village (``rx``)."""
    return pd.DataFrame({
        "slope_percent": terrain.slope_percent, "settled_area_m2": st.area_m2,
        "settled_area_from_data": st.area_from_data, "settlement_clusters": st.clusters,
        "settlement_population": st.cluster_population, "village_network_m": st.network_m,
        "trunk_m": st.trunk_m, "village_stations": local.village_stations,
        "cost_internal_yuan_per_year": local.internal, "cost_alone_yuan_per_year": local.alone,
        "nearest_plant_distance_m": conn.pairs.nearest_plant_m, "source_protection": local.protected,
        "cost_trunk_yuan_per_year": local.trunk, "household_too_large": local.too_big, "inside_protection_zone": local.inside_zone,
        "protection_no_option": local.no_option,
        "connect_priority": conn.priority_village, "connected_by_priority": decision.by_priority,
        "capacity_blocked": assignment.capacity_blocked,
        "no_outfall": local.no_outfall, "receiving_water_id": rx.water_id, "receiving_water_class": rx.water_class,
        "receiving_water_distance_m": rx.distance_m,
    }, index=v.index)


def clusters_layer(v: gpd.GeoDataFrame, clusters: Clusters, demand: Demand, local: LocalCosts,
                   standards: Objects) -> gpd.GeoDataFrame:
    """One row per shared station, with its effluent standard (``standards`` per village);
    geometry: the straight links into it (MultiLineString)."""
    xy, alone = demand.xy, local.alone
    rows = []
    for cid, members, stn, cost in zip(clusters.ids, clusters.members, clusters.stations, clusters.costs):
        others = members[members != stn]
        lines = shapely.linestrings(np.stack([xy[others], np.broadcast_to(xy[stn], xy[others].shape)], axis=1))
        rows.append({
            "sewage_cluster_id": cid,
            "station_village_id": str(v["id"].iloc[stn]) if "id" in v.columns else str(stn),
            "villages_count": len(members),
            "population": float(demand.population[members].sum()),
            "flow_m3_per_day": float(demand.flow_m3_per_day[members].sum()),
            "cost_yuan_per_year": float(cost),
            "saving_yuan_per_year": float(alone[members].sum() - cost),
            "effluent_standard": standards[stn],
            "geometry": shapely.multilinestrings(np.asarray(lines, dtype=object)),
        })
    return gpd.GeoDataFrame(rows or None, columns=_CLUSTER_COLUMNS, geometry="geometry", crs=v.crs)


def plants_layer(plants: Plants, conn: Connections, assignment: Assignment, demand: Demand) -> gpd.GeoDataFrame | None:
    """The plants with the villages and flow (m³/d) connected, and their load and spare
    capacity after (m³/d); None without plants."""
    if plants.layer is None:
        return None
    out = plants.layer.copy()
    jj = conn.pairs.plant[assignment.connected_pairs]
    out["connected_villages"] = np.bincount(jj, minlength=plants.count)
    out["connected_flow_m3_per_day"] = np.bincount(jj, weights=demand.flow_m3_per_day[assignment.connected],
                                                   minlength=plants.count)
    out["load_after_m3_per_day"] = plants.load_m3_per_day + out["connected_flow_m3_per_day"].to_numpy()
    out["spare_after_m3_per_day"] = plants.capacity_m3_per_day - out["load_after_m3_per_day"].to_numpy()
    return out


def routes_layer(v: gpd.GeoDataFrame, demand: Demand, plants: Plants, conn: Connections,
                 assignment: Assignment) -> gpd.GeoDataFrame:
    """The connecting sewers: the road route where one was used, else the straight line."""
    rows = np.flatnonzero(assignment.connected)
    q = assignment.pair[rows]
    lines = conn.pairs.lines
    geoms = np.full(len(q), None, dtype=object) if lines is None else lines[q]
    straight = shapely.is_missing(geoms)
    pair_p = conn.pairs.plant
    if straight.any():
        ends = np.stack([demand.xy[rows[straight]], plants.xy[pair_p[q[straight]]]], axis=1)
        geoms[straight] = shapely.linestrings(ends)
    ids = v["id"].astype(str).to_numpy()[rows] if "id" in v.columns else rows.astype(str)
    return gpd.GeoDataFrame({
        "village_id": ids,
        "plant_id": plants.ids[pair_p[q]] if len(q) else np.zeros(0, dtype=object),
        "pipe_length_m": conn.sewers.length_m[q] if len(q) else np.zeros(0),
        "pump_stations": conn.sewers.pumps[q] if len(q) else np.zeros(0, dtype=np.int64),
    }, geometry=geoms, crs=v.crs)


def add_baseline_columns(out: gpd.GeoDataFrame, bl: Baseline, ex: Existing, demand: Demand) -> None:
    """Add :data:`BASELINE_COLUMNS` (those the data allows) to the villages table, and
    the kept and repaired villages' ``cost_existing_yuan_per_year`` (0, the repair)."""
    kept = out["sewage_mode"].to_numpy(dtype=object) == "existing"
    out["cost_existing_yuan_per_year"] = np.where(kept, np.where(ex.repaired, ex.repair_cost, 0.0), np.nan)
    if bl.given:
        out["sewage_status"] = bl.status
        out["sewage_baseline_treated"] = bl.treated
        out["sewage_facility_status"] = bl.facility_status
        out["rectify"] = bl.rectify
        out["cost_rectify_yuan_per_year"] = ex.repair_cost
    if bl.toilets is not None:
        # today's households (the design households may be grown to the horizon year)
        now = pd.to_numeric(out["households"], errors="coerce").to_numpy(float) if "households" in out.columns \
            else np.full(len(out), np.nan)
        hh = np.where(np.isfinite(now), now, demand.households)
        toilets = np.minimum(bl.toilets, hh)  # estimated households may be fewer
        out["sanitary_toilet_households"] = toilets
        todo = np.maximum(hh - toilets, 0.0)
        todo[demand.no_population & ~demand.unknown] = 0.0
        out["toilet_households_to_convert"] = todo
