"""The status baseline (现状): how each village is treated today, and the state of the
facilities that treat it (:func:`village_baseline`, :func:`facilities_table`).

Which facility treats a village today
    its ``sewage_facility_id`` (an id of the sewage plants layer, which may hold village
    stations as well as town plants); else, for a ``connected`` village, the nearest plant;
    for a ``centralized`` or ``cluster`` village, a facility lying inside its polygon (the
    nearest to its anchor when several do); else none is recorded.

Treated today (治理, the numerator of 农村生活污水治理率)
    a village whose ``sewage_status`` is ``connected``, ``centralized``, ``cluster`` or
    ``household`` and whose facility, where one is recorded, is ``running``.  A village
    tied to a ``stopped`` facility is not treated and is flagged ``rectify`` (整改); one
    tied to a facility ``building`` or ``planned`` is not treated yet.  A blank status is
    unknown and counted as untreated (the reader warns).  No national text defines which
    villages count; this rule (stopped facilities do not count) is geo_env's reading of
    the indicator's intent, stated in the report.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .._choices import SEWAGE_STATUSES
from .._geometry import anchor_points, facility_points
from ..errors import DataWarning
from ..io.project import District
from ..io.status import status_codes

__all__ = ["Baseline", "village_baseline", "facilities_table", "facility_townships"]

#: The statuses that claim a working treatment (all but ``none``).
_TREATED = tuple(s for s in SEWAGE_STATUSES if s != "none")


@dataclass(frozen=True)
class Baseline:
    """The villages' baseline (one value per village of ``district.villages``).

    Attributes
    ----------
    status
        ``sewage_status`` codes; None where blank or without the column.
    given
        The villages layer has a ``sewage_status`` column.
    facility
        Index (in ``district.sewage_plants``) of the facility treating the village; −1: none.
    facility_id, facility_status
        Its id and status (None: none).
    treated
        Treated today (see the module docstring).
    rectify
        Tied to a stopped facility (整改).
    toilets
        Households with a sanitary toilet (NaN: unknown); None without the column.
    """

    status: np.ndarray
    given: bool
    facility: np.ndarray
    facility_id: np.ndarray
    facility_status: np.ndarray
    treated: np.ndarray
    rectify: np.ndarray
    toilets: np.ndarray | None = None


def _plant_status(plants: gpd.GeoDataFrame | None) -> np.ndarray:
    if plants is None or not len(plants):
        return np.zeros(0, dtype=object)
    if "status" not in plants.columns:
        return np.full(len(plants), "running", dtype=object)
    return status_codes(plants["status"], "facility", layer="sewage_plants", column="status").to_numpy(dtype=object)


def village_baseline(district: District) -> Baseline:
    """How each village is treated today (see the module docstring)."""
    v, plants = district.villages, district.sewage_plants
    n = len(v)
    given = "sewage_status" in v.columns
    status = (status_codes(v["sewage_status"], "sewage", layer="villages", column="sewage_status")
              .to_numpy(dtype=object) if given else np.full(n, None, dtype=object))
    facility = np.full(n, -1, dtype=np.int64)
    pstatus = _plant_status(plants)
    if plants is not None and len(plants) and given:
        facility = _tie(v, plants, status)
    fid = np.full(n, None, dtype=object)
    fstatus = np.full(n, None, dtype=object)
    tied = facility >= 0
    if tied.any() and plants is not None:
        fid[tied] = plants["id"].astype(str).to_numpy()[facility[tied]]
        fstatus[tied] = pstatus[facility[tied]]
    claims = np.isin(status, _TREATED)
    treated = claims & (~tied | (fstatus == "running"))
    rectify = claims & (fstatus == "stopped")
    toilets = (pd.to_numeric(v["sanitary_toilet_households"], errors="coerce").to_numpy(dtype=float)
               if "sanitary_toilet_households" in v.columns else None)
    return Baseline(status=status, given=given, facility=facility, facility_id=fid, facility_status=fstatus,
                    treated=treated, rectify=rectify, toilets=toilets)


def _tie(v: gpd.GeoDataFrame, plants: gpd.GeoDataFrame, status: np.ndarray) -> np.ndarray:
    """Index of the facility of each village (−1: none), by the rules of the module docstring."""
    n = len(v)
    out = np.full(n, -1, dtype=np.int64)
    ids = plants["id"].astype(str).to_numpy()
    where = {k: i for i, k in enumerate(ids)}
    if "sewage_facility_id" in v.columns:
        text = v["sewage_facility_id"].astype("string").str.strip()
        has = (text.notna() & (text != "")).to_numpy(dtype=bool)
        found = text.map(where).astype("Float64").fillna(-1).to_numpy(dtype=np.int64)
        given = text.to_numpy(dtype=object)
        lost = has & (found < 0)
        if lost.any():
            shown = ", ".join(sorted({str(g) for g in given[lost]})[:10])
            warnings.warn(f"villages: sewage_facility_id of {int(lost.sum())} village(s) names no sewage plant "
                          f"or station ({shown}); their facility is looked up by the location rules",
                          DataWarning, stacklevel=3)
        out[has & ~lost] = found[has & ~lost]
    pts = facility_points(plants)
    anchors = anchor_points(v)
    free = out < 0
    conn = free & (status == "connected")
    if conn.any():
        out[conn] = cKDTree(pts).query(anchors[conn], k=1)[1]
    local = free & np.isin(status, ("centralized", "cluster"))
    geoms = np.asarray(v.geometry.values, dtype=object)
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    pick = np.flatnonzero(local & poly)
    if len(pick):
        tree = shapely.STRtree(np.asarray(shapely.points(pts), dtype=object))
        vi, pj = tree.query(geoms[pick], predicate="contains")
        if len(vi):
            d = np.hypot(anchors[pick[vi], 0] - pts[pj, 0], anchors[pick[vi], 1] - pts[pj, 1])
            order = np.lexsort((d, vi))  # nearest facility first within each village
            first = np.unique(vi[order], return_index=True)[1]
            out[pick[vi[order][first]]] = pj[order][first]
    return out


def facility_townships(points: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> np.ndarray:
    """Township of each facility: the village polygon it lies in, else the nearest village."""
    if not len(points):
        return np.zeros(0, dtype=object)
    pts = points[[points.geometry.name]].copy()
    pts["geometry"] = shapely.point_on_surface(np.asarray(points.geometry.values))
    pts = gpd.GeoDataFrame(pts, geometry="geometry", crs=points.crs)
    joined = gpd.sjoin_nearest(pts, villages[["township", villages.geometry.name]], how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["township"].reindex(points.index).to_numpy(dtype=object)


def facilities_table(district: District, baseline: Baseline) -> pd.DataFrame:
    """The existing facilities (现状设施): sewage plants and stations, transfer stations.

    Columns ``facility id name type status township year_built capacity load spare
    villages_served rectify`` (capacity, load, spare in m³/d for sewage facilities;
    ``villages_served``: villages tied to a sewage facility today (see the module
    docstring); transfer stations' are counted by the plan (the villages whose nearest
    station it is); ``rectify``: the facility is stopped).
    """
    frames = []
    v = district.villages
    for kind, layer in (("sewage_plant", district.sewage_plants), ("transfer_station", district.transfer_stations)):
        if layer is None or not len(layer):
            continue
        status = (_plant_status(layer) if kind == "sewage_plant" else
                  (status_codes(layer["status"], "facility", layer="transfer_stations", column="status")
                   .to_numpy(dtype=object) if "status" in layer.columns
                   else np.full(len(layer), "running", dtype=object)))
        num = {c: pd.to_numeric(layer[c], errors="coerce").to_numpy(float) if c in layer.columns
               else np.full(len(layer), np.nan) for c in ("capacity_m3_per_day", "load_m3_per_day", "year_built")}
        served = (np.bincount(baseline.facility[baseline.facility >= 0], minlength=len(layer)).astype(float)
                  if kind == "sewage_plant" else np.full(len(layer), np.nan))
        frames.append(pd.DataFrame({
            "facility": kind,
            "id": layer["id"].astype(str).to_numpy(),
            "name": layer["name"].astype(str).to_numpy() if "name" in layer.columns else layer["id"].astype(str),
            "type": layer["type"].to_numpy(dtype=object) if "type" in layer.columns else None,
            "status": status,
            "township": facility_townships(layer, v),
            "year_built": num["year_built"],
            "capacity": num["capacity_m3_per_day"],
            "load": num["load_m3_per_day"],
            "spare": np.maximum(num["capacity_m3_per_day"] - np.nan_to_num(num["load_m3_per_day"]), 0.0),
            "villages_served": served,
            "rectify": status == "stopped",
        }))
    cols = ["facility", "id", "name", "type", "status", "township", "year_built", "capacity", "load", "spare",
            "villages_served", "rectify"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)

