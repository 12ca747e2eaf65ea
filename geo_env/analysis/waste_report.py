"""The waste chain laid out: the ``chain`` block of summary.json, the report's tables and
the layers of plan.gpkg (:class:`~.waste_chain.WasteChain` knows nothing of how it is shown;
these are plain tables the outputs render)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._geometry import anchor_points
from .waste_records import NOTES, STATION_COLUMNS, WasteChain

__all__ = ["chain_table", "chain_outputs", "station_layer", "facility_layer", "plan_layer", "flow_lines"]

def chain_table(chain: WasteChain) -> pd.DataFrame:
    """The report's 收运体系 sheet: one row per transfer station, then one per treatment
    facility (``facility`` says which; a facility's ``load_t_per_day`` is its inflow)."""
    st = chain.stations.assign(facility="transfer_station")
    cols = ["facility", "id", "name", "township", "status", "capacity_t_per_day", "load_t_per_day",
            "peak_load_t_per_day", "utilisation", "overloaded", "villages_served", "facility_id", "haul_km",
            "trips_per_day", "tonne_km_per_year", "haul_cost_yuan_per_year", "utilisation_note"]
    parts = [st.reindex(columns=cols)]
    if chain.facilities is not None:
        f = chain.facilities.assign(facility="waste_facility", load_t_per_day=chain.facilities["inflow_t_per_day"],
                                    villages_served=np.nan)
        parts.append(f.reindex(columns=cols))
    out = pd.concat(parts, ignore_index=True)
    out["utilisation_note"] = out["utilisation_note"].map(lambda n: NOTES.get(str(n), n) if n is not None else None)
    return out


def _points(df: pd.DataFrame, crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(df["x"], df["y"]), crs=crs)


def station_layer(chain: WasteChain, stations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The transfer stations as read, with the chain's columns (plan.gpkg, map)."""
    add = chain.stations[list(STATION_COLUMNS)].copy()
    add["utilisation_note"] = add["utilisation_note"].map(lambda n: NOTES.get(str(n), n) if n is not None else None)
    if "capacity_t_per_day" not in stations.columns:
        add.insert(0, "capacity_t_per_day", chain.stations["capacity_t_per_day"].to_numpy(float))
    out = stations.reset_index(drop=True).copy()
    for c in add.columns:
        out[c] = add[c].to_numpy()
    return out


def facility_layer(chain: WasteChain, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The treatment facilities as read, with ``inflow_t_per_day utilisation overloaded stations_served``."""
    if chain.facilities is None:
        return None
    out = facilities.reset_index(drop=True).copy()
    for c in ("inflow_t_per_day", "utilisation", "overloaded", "stations_served"):
        out[c] = chain.facilities[c].to_numpy()
    return out


def plan_layer(chain: WasteChain) -> gpd.GeoDataFrame:
    """The plan's stations as points (``waste_plan_stations``)."""
    return _points(chain.plan_stations, chain.crs)


def chain_outputs(chain: WasteChain, district: Any) -> tuple[pd.DataFrame, dict[str, gpd.GeoDataFrame],
                                                             dict[str, pd.DataFrame]]:
    """What the chain adds to a plan: village columns, layers and report tables.

    Village columns ``waste_t_per_day waste_peak_t_per_day waste_station_id
    waste_station_km households_beyond_collection`` (NaN where the village has no household
    in the household layer, or the link is not assessed); layers ``transfer_stations``
    (with :data:`~.waste_chain.STATION_COLUMNS`), ``waste_facilities`` (with inflows),
    ``waste_flows``, ``waste_plan_stations``, and with households ``collection_households``,
    ``collection_points``, ``proposed_collection_points``; tables ``waste_chain``
    (收运体系), ``waste_plan`` and ``collection_by_village``.
    """
    v = chain.villages
    cols = v[["waste_t_per_day", "waste_peak_t_per_day", "waste_station_id", "waste_station_km"]].copy()
    beyond = np.full(len(v), np.nan)
    col = chain.collection
    if col.assessed and len(col.by_village):
        pos = pd.Index(_village_ids(district)).get_indexer(col.by_village["village_id"])
        beyond[pos] = col.by_village["beyond"].to_numpy(float)
    cols["households_beyond_collection"] = beyond
    layers: dict[str, gpd.GeoDataFrame] = {}
    if district.transfer_stations is not None:
        layers["transfer_stations"] = station_layer(chain, district.transfer_stations)
    fac = facility_layer(chain, district.waste_facilities) if district.waste_facilities is not None else None
    if fac is not None:
        layers["waste_facilities"] = fac
    layers["waste_flows"] = flow_lines(chain, district.villages)
    layers["waste_plan_stations"] = plan_layer(chain)
    tables: dict[str, pd.DataFrame] = {"waste_chain": chain_table(chain),
                                       "waste_plan": chain.plan_stations.drop(columns=["x", "y"])}
    if col.assessed:
        layers["collection_households"] = col.households
        if district.collection_points is not None:
            layers["collection_points"] = district.collection_points
        if col.proposed is not None:
            layers["proposed_collection_points"] = col.proposed
        tables["collection_by_village"] = col.by_village
    return cols, layers, tables


def _village_ids(district: Any) -> np.ndarray:
    from .coverage import layer_ids

    return layer_ids(district.villages)


def flow_lines(chain: WasteChain, villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ``waste_flows`` layer: straight lines village → station and station → facility
    (working CRS) with ``link from_id to_id t_per_day distance_km`` (distance by the chain's
    metric, km)."""
    anchors = anchor_points(villages)
    st = chain.stations[["x", "y"]].to_numpy(dtype=float)
    parts = []
    vf = chain.village_flows
    if len(vf):
        a, b = anchors[vf["from_pos"].to_numpy(int)], st[vf["to_pos"].to_numpy(int)]
        parts.append((vf.assign(link="village_station"), a, b))
    sf = chain.station_flows
    if len(sf) and chain.facilities is not None:
        fxy = chain.facilities[["x", "y"]].to_numpy(dtype=float)
        parts.append((sf.assign(link="station_facility"), st[sf["from_pos"].to_numpy(int)],
                      fxy[sf["to_pos"].to_numpy(int)]))
    cols = ["link", "from_id", "to_id", "t_per_day", "distance_km"]
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=chain.crs)
    df = pd.concat([p[0][cols] for p in parts], ignore_index=True)
    a = np.concatenate([p[1] for p in parts])
    b = np.concatenate([p[2] for p in parts])
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    return gpd.GeoDataFrame(df, geometry=lines, crs=chain.crs)
