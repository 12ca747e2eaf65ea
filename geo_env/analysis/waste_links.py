"""The waste chain's inputs and distances: settings, generation, stations, facilities, arcs.

* :func:`chain_settings` — the ``[waste]`` parameters of the chain, validated (the
  per-township generation rates name townships the villages have; module sizes are numbers);
* :func:`generation` — tonnes per day of each village: population × its township's rate
  (else the district's) ÷ 1000, and the peak (× ``peak_factor``);
* :func:`facility_table` — stations or treatment facilities: ids, status, capacity (t/d,
  NaN unknown), whether they take load (a ``stopped`` one takes none), points;
* :func:`village_arcs` — the stations a village may send to: every station within the
  service radius, and its nearest station wherever that is (by the chain's metric);
* :func:`all_pairs` — every station–facility pair joined by a road (or straight line).

Distances are in metres, in the working CRS (road: connector + path + connector, as
:mod:`geo_env.network` measures them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .._geometry import anchor_points
from .._validate import number_column, township_values
from ..errors import DataValueError, ParameterError
from ..io.project import District
from .coverage import _max_connector, _settings, layer_ids, planar_distance, points_xy
from .station_sizing import Modules

__all__ = ["ChainSettings", "chain_settings", "generation", "facility_table", "Arcs", "village_arcs",
           "all_pairs", "pairs_within", "GENERATION_COLUMNS"]

#: A road distance no real pair exceeds (m): "no limit" for the network's pair search.
_NO_LIMIT_M = 1e9

GENERATION_COLUMNS = ("waste_t_per_day", "waste_peak_t_per_day")


@dataclass(frozen=True)
class ChainSettings:
    """The chain's parameters (``[waste]``), validated; distances in m, tonnes per day."""

    rate_kg_per_person_day: float
    township_rates: dict[str, float]
    peak_factor: float
    assignment: str
    radius_m: float
    metric: str
    vehicle_payload_t: float
    haul_cost_yuan_per_vehicle_km: float
    collection_cost_yuan_per_t_km: float
    modules: Modules
    module_capex_wan: dict[float, float]
    station_life_years: float


def chain_settings(district: District) -> ChainSettings:
    """The ``[waste]`` parameters of the chain with the defaults of :mod:`geo_env.standards`."""
    from ..standards import defaults, parameter

    p = {**defaults("waste"), **(district.params.get("waste") or {})}
    for key in ("generation_kg_per_person_day", "peak_factor", "vehicle_payload_t",
                "haul_cost_yuan_per_vehicle_km", "collection_cost_yuan_per_t_km", "transfer_station_life_years"):
        p[key] = parameter("waste", key).validate(p[key])
    parameter("waste", "assignment").validate(p["assignment"])
    radius, metric = _settings(district, None, None)
    capex = _modules(p["station_module_capex_wan"])
    sizes = np.array(sorted(capex), dtype=float)
    life = float(p["transfer_station_life_years"])
    modules = Modules(sizes, np.array([capex[k] * 1e4 / life for k in sizes]))
    return ChainSettings(float(p["generation_kg_per_person_day"]), _township_rates(district, p),
                         float(p["peak_factor"]), str(p["assignment"]), radius, metric,
                         float(p["vehicle_payload_t"]), float(p["haul_cost_yuan_per_vehicle_km"]),
                         float(p["collection_cost_yuan_per_t_km"]), modules, capex, life)


def _modules(table: Any) -> dict[float, float]:
    """``{size t/d: capex 万元}`` from ``station_module_capex_wan`` (TOML keys are text)."""
    where = "[waste] station_module_capex_wan"
    if not isinstance(table, dict) or not table:
        raise ParameterError(f"{where} must be a table of module sizes (t/d) and their capex (万元)",
                             hint='write station_module_capex_wan = { "10" = 110, "20" = 170, "50" = 290 }')
    out: dict[float, float] = {}
    for size, capex in table.items():
        try:
            k = float(size)
        except (TypeError, ValueError):
            k = float("nan")
        if not (np.isfinite(k) and 0 < k <= 5_000):
            raise ParameterError(f"{where}: the module size {size!r} is not a number of t/d from 0 to 5000",
                                 hint='write the sizes as keys: { "10" = 110 }')
        if isinstance(capex, bool) or not isinstance(capex, (int, float)) or not 0 <= capex <= 1e6:
            raise ParameterError(f"{where}: the capex of the {size} t/d module must be a number of 万元 "
                                 f"from 0 to 1e6, not {capex!r}")
        out[k] = float(capex)
    return out


def _township_rates(district: District, p: dict[str, Any]) -> dict[str, float]:
    """``township_generation_kg_per_person_day`` checked: rates within the generation's
    limits, keyed by townships the villages have."""
    from ..standards import parameter

    table = p["township_generation_kg_per_person_day"]
    where = "[waste] township_generation_kg_per_person_day"
    if not isinstance(table, dict):
        raise ParameterError(f"{where} must be a table {{ township = kg/(person·d) }}")
    towns = [str(t) for t in district.villages["township"].dropna().unique()] \
        if "township" in district.villages.columns else []
    return township_values(table, towns, where=where, unit="kg/(person·d)",
                           limits=parameter("waste", "generation_kg_per_person_day").limits or (0.0, np.inf))


def generation(district: District, s: ChainSettings) -> pd.DataFrame:
    """Per village (index of ``district.villages``): ``population`` (NaN unknown),
    ``generation_kg_per_person_day``, ``waste_t_per_day`` (0 where the population is
    unknown) and ``waste_peak_t_per_day``."""
    v = district.villages
    pop = number_column(v, "population", layer="villages", blanks=True) if "population" in v.columns \
        else np.full(len(v), np.nan)
    rate = np.full(len(v), s.rate_kg_per_person_day)
    if s.township_rates and "township" in v.columns:
        town = v["township"].astype(str).map(s.township_rates).to_numpy(dtype=float)
        rate = np.where(np.isnan(town), rate, town)
    t = np.nan_to_num(pop, nan=0.0) * rate / 1000.0
    return pd.DataFrame({"population": pop, "generation_kg_per_person_day": rate, "waste_t_per_day": t,
                         "waste_peak_t_per_day": t * s.peak_factor}, index=v.index)


def facility_table(gdf: gpd.GeoDataFrame | None, layer: str, crs: Any) -> pd.DataFrame:
    """Stations or facilities: ``id name township kind status capacity_t_per_day active x y``
    (capacity NaN: unknown; ``active`` False for ``stopped``)."""
    cols = ["id", "name", "township", "kind", "status", "capacity_t_per_day", "active", "x", "y"]
    if gdf is None or not len(gdf):
        return pd.DataFrame(columns=cols)
    xy = points_xy(gdf, layer, crs)
    cap = number_column(gdf, "capacity_t_per_day", layer=layer, required=False, blanks=True,
                        what="a capacity in t/d (empty when unknown)")
    zero = np.flatnonzero(cap <= 0)
    if len(zero):
        raise DataValueError("capacity must be greater than 0", layer=layer, column="capacity_t_per_day",
                             row=int(zero[0]) + 1, hint="leave the cell empty when the capacity is unknown")
    status = _status(gdf, layer)

    def text(col: str) -> np.ndarray:
        if col not in gdf.columns:
            return np.full(len(gdf), None, dtype=object)
        return gdf[col].astype(object).where(gdf[col].notna(), None).to_numpy(dtype=object)

    return pd.DataFrame({"id": layer_ids(gdf), "name": text("name"), "township": text("township"),
                         "kind": text("kind"), "status": status, "capacity_t_per_day": cap,
                         "active": status != "stopped", "x": xy[:, 0], "y": xy[:, 1]})


def _status(gdf: gpd.GeoDataFrame, layer: str) -> np.ndarray:
    if "status" not in gdf.columns:
        return np.full(len(gdf), "running", dtype=object)
    from ..io.status import status_codes

    return status_codes(gdf["status"], "facility", layer=layer, column="status").to_numpy(dtype=object)


@dataclass
class Arcs:
    """Source–sink pairs and their distance (m); for villages also the nearest sink."""

    src: np.ndarray
    snk: np.ndarray
    distance_m: np.ndarray


def _nearest(district: District, sinks: np.ndarray, pts: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    if not len(sinks) or not len(pts):
        return np.full(len(pts), np.nan), np.full(len(pts), -1, dtype=np.int64)
    if metric == "straight":
        _, idx = cKDTree(sinks).query(pts, k=1, workers=-1)
        idx = np.asarray(idx, dtype=np.int64)
        return planar_distance(pts, sinks[idx]), idx
    from ..network import road_network

    return road_network(district).distances(sinks, pts, max_connector_m=_max_connector(district))


def pairs_within(district: District, sinks: np.ndarray, pts: np.ndarray, metric: str,
            limit_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point, sink, distance m) for every pair within ``limit_m``."""
    if not len(sinks) or not len(pts):
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    if metric == "straight":
        m = cKDTree(pts).sparse_distance_matrix(cKDTree(sinks), limit_m * (1 + 1e-9) + 1e-9, output_type="ndarray")
        p, k = m["i"].astype(np.int64), m["j"].astype(np.int64)
        d = planar_distance(pts[p], sinks[k])
        ok = d <= limit_m
        return p[ok], k[ok], d[ok]
    from ..network import road_network

    k, p, d = road_network(district).pair_distances(sinks, pts, max_connector_m=_max_connector(district),
                                                     limit=limit_m)
    return p, k, d


def village_arcs(district: District, sinks: np.ndarray, metric: str, radius_m: float) -> tuple[Arcs, np.ndarray]:
    """The arcs village → station: every station within ``radius_m`` and the nearest one.

    Returns the arcs (``src`` village position, ``snk`` station position, distance m) and
    the distance (m) of each village's nearest station (NaN: none reachable).
    """
    anchors = anchor_points(district.villages)
    d_near, s_near = _nearest(district, sinks, anchors, metric)
    p, k, d = pairs_within(district, sinks, anchors, metric, radius_m)
    has = s_near >= 0
    p = np.r_[p, np.flatnonzero(has)]
    k = np.r_[k, s_near[has]]
    d = np.r_[d, d_near[has]]
    key = p * max(len(sinks), 1) + k
    _, first = np.unique(key, return_index=True)
    return Arcs(p[first], k[first], d[first]), d_near


def all_pairs(district: District, sources: np.ndarray, sinks: np.ndarray, metric: str) -> Arcs:
    """Every source–sink pair with a distance (road: joined by roads; straight: all)."""
    p, k, d = pairs_within(district, sinks, sources, metric, _NO_LIMIT_M)
    o = np.lexsort((k, p))
    return Arcs(p[o], k[o], d[o])
