"""Waste collection coverage: distance from each village to its nearest transfer station.

A village is covered when the distance from its anchor (docs/DESIGN.md "Geometry rules") to
the nearest transfer station is at most the service radius (``[waste]
service_radius_m``, default 3 km from GB/T 51435-2021 §4.4.2).  Distances are

* ``"straight"``: planar distance in the working CRS (m), exact (a KD-tree query, not a
  buffer polygon, whose chords would leave out villages right at the radius);
* ``"road"``: connector + shortest path along the roads + connector
  (:mod:`geo_env.network`); where no road joins a village to any station the distance is
  NaN, the village is not covered and it is reported as unreachable.

``metric = "auto"`` (the default) means ``"road"`` when the district has a roads layer,
else ``"straight"``.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .._geometry import anchor_points
from ..crs import require_crs
from ..errors import ColumnNotFoundError, DataValueError, GeometryTypeError, ParameterError
from ..io.project import District

__all__ = [
    "waste_coverage",
    "coverage_by_township",
    "township_rates",
    "service_areas",
    "SERVICE_AREA_BUFFER_M",
]

log = logging.getLogger(__name__)

#: Half-width (m) of the band drawn around the reachable roads of a road service area.
SERVICE_AREA_BUFFER_M = 100.0

#: Township column value of the total row of :func:`coverage_by_township`.
TOTAL = "total"

COVERAGE_COLUMNS = ("station_id", "station_distance_m", "distance_metric", "waste_covered",
                    "waste_unreachable")


# ------------------------------------------------------------------------------ settings
def _settings(district: District, radius_m: float | None, metric: str | None) -> tuple[float, str]:
    """The service radius (m) and the resolved metric (``"road"`` or ``"straight"``)."""
    from ..standards import parameter

    p = {**{"service_radius_m": parameter("waste", "service_radius_m").default,
            "metric": "auto"}, **(district.params.get("waste") or {})}
    radius = p["service_radius_m"] if radius_m is None else radius_m
    radius = parameter("waste", "service_radius_m").validate(  # positive, within its limits
        float(radius) if isinstance(radius, np.number) else radius)
    m = p["metric"] if metric is None else metric
    if m not in ("auto", "road", "straight"):
        raise ParameterError(f"metric must be 'road', 'straight' or 'auto', not {m!r}")
    if m == "auto":
        m = "road" if district.roads is not None else "straight"
    if m == "road" and district.roads is None:
        raise ParameterError(
            "metric='road' needs a roads layer",
            hint="add [layers.roads] to the project file, or use metric='straight'",
        )
    return float(radius), m


def _max_connector(district: District) -> float:
    from ..standards import defaults

    return float({**defaults("roads"), **(district.params.get("roads") or {})}["max_connector_m"])


def points_xy(gdf: gpd.GeoDataFrame | None, layer: str, crs: Any = None) -> np.ndarray:
    """Coordinates (n, 2) of a point layer in its CRS (m); GeoEnvError for non-points."""
    if gdf is None or len(gdf) == 0:
        return np.zeros((0, 2))
    if crs is not None:
        require_crs(gdf, crs, layer=layer)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = np.array([g is None for g in geoms], dtype=bool)
    if missing.any():
        raise DataValueError(f"the {layer} have features without geometry", layer=layer,
                             row=int(np.flatnonzero(missing)[0]) + 1,
                             hint="give each feature a point or delete it")
    tid = shapely.get_type_id(geoms)
    single = (tid == 4) & (shapely.get_num_geometries(geoms) == 1)
    geoms = np.where(single, shapely.get_geometry(geoms, 0), geoms)
    tid = shapely.get_type_id(geoms)
    bad = (tid != 0) | shapely.is_empty(geoms)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise GeometryTypeError(f"the {layer} must be single points; feature {row + 1} is a "
                                f"{'empty geometry' if shapely.is_empty(geoms[row]) else geoms[row].geom_type}",
                                layer=layer, row=row + 1, hint="give one point per feature")
    return shapely.get_coordinates(geoms)


def layer_ids(gdf: gpd.GeoDataFrame | None) -> np.ndarray:
    """Ids of a layer as strings (the ``id`` column, else the index)."""
    if gdf is None:
        return np.zeros(0, dtype=object)
    ids = gdf["id"] if "id" in gdf.columns else pd.Series(gdf.index, index=gdf.index)
    return ids.astype(str).to_numpy(dtype=object)


def nearest_station(
    district: District, stations_xy: np.ndarray, radius: float, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m, NaN if none) and index (-1 if none) of each village's nearest station."""
    anchors = anchor_points(district.villages)
    n = len(anchors)
    if not len(stations_xy) or not n:
        return np.full(n, np.nan), np.full(n, -1, dtype=np.int64)
    if metric == "straight":
        _, idx = cKDTree(stations_xy).query(anchors, k=1, workers=-1)
        idx = np.asarray(idx, dtype=np.int64)
        return planar_distance(anchors, stations_xy[idx]), idx
    from ..network import road_network

    return road_network(district).distances(stations_xy, anchors,
                                            max_connector_m=_max_connector(district))


def planar_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Planar distance (m) between matching rows of two (n, 2) arrays (one formula for all)."""
    return np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])


def coverage_frame(
    district: District, stations_xy: np.ndarray, station_ids: np.ndarray, radius: float,
    metric: str,
) -> gpd.GeoDataFrame:
    """The villages with the coverage columns for the given stations."""
    d, idx = nearest_station(district, stations_xy, radius, metric)
    out = district.villages.copy()
    sid = np.full(len(out), None, dtype=object)
    sid[idx >= 0] = np.asarray(station_ids, dtype=object)[idx[idx >= 0]]
    out["station_id"] = pd.Series(sid, index=out.index, dtype=object)
    out["station_distance_m"] = d
    out["distance_metric"] = metric
    out["waste_covered"] = np.nan_to_num(d, nan=np.inf) <= radius
    # no road path to any station; a district without stations has nothing to reach, so
    # its villages are uncovered but not "unreachable"
    out["waste_unreachable"] = np.isnan(d) & (len(stations_xy) > 0)
    out.attrs["waste"] = {"radius_m": radius, "metric": metric}
    return out


# ---------------------------------------------------------------------------- public API
def waste_coverage(
    district: District, *, radius_m: float | None = None, metric: str | None = None
) -> gpd.GeoDataFrame:
    """Waste collection coverage of each village by the existing transfer stations.

    Parameters
    ----------
    district
        The district; its ``transfer_stations`` (points, working CRS) may be ``None``.
    radius_m
        Service radius (m).  Default: the project's ``[waste] service_radius_m``, else
        3000 m (GB/T 51435-2021 §4.4.2: small motor collection vehicles, radius ≤ 3 km).
    metric
        ``"straight"``, ``"road"`` or ``"auto"``.  Default: the project's ``[waste]
        metric``, else ``"auto"`` (``"road"`` when the district has roads).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``district.villages`` (same index) with ``station_id`` (nearest station,
        None when none is reachable), ``station_distance_m`` (m; NaN when no station is
        reachable), ``distance_metric``, ``waste_covered`` (distance ≤ radius) and
        ``waste_unreachable`` (no station can be reached: none exists, or for ``"road"``
        the village or every station is off the network or no road joins them).

    Raises
    ------
    ParameterError
        Bad radius or metric, or ``metric="road"`` without roads.

    Examples
    --------
    >>> import geo_env as ge
    >>> cov = ge.waste_coverage(ge.sample_district(), metric="straight")  # doctest: +SKIP
    >>> cov["waste_covered"].mean()  # doctest: +SKIP
    """
    radius, m = _settings(district, radius_m, metric)
    xy = points_xy(district.transfer_stations, "transfer_stations", district.crs)
    cov = coverage_frame(district, xy, layer_ids(district.transfer_stations), radius, m)
    log.info("waste coverage (%s, %.0f m): %d of %d villages covered", m, radius,
             int(cov["waste_covered"].sum()), len(cov))
    return cov


def coverage_by_township(coverage: pd.DataFrame) -> pd.DataFrame:
    """Coverage per township and in total.

    Parameters
    ----------
    coverage
        The result of :func:`waste_coverage` (columns ``township``, ``population``,
        ``waste_covered``, and ``waste_unreachable`` if present).

    Returns
    -------
    pandas.DataFrame
        One row per township (in order of first appearance) and a last row whose
        ``township`` is ``"total"``: ``villages``, ``covered_villages``,
        ``coverage_rate_villages``, ``population``, ``covered_population``,
        ``coverage_rate_population`` (rates as fractions in [0, 1], NaN when the
        denominator is 0) and ``unreachable_villages``.
    """
    for col in ("township", "population", "waste_covered"):
        if col not in coverage.columns:
            raise ColumnNotFoundError(
                f"coverage_by_township needs the column '{col}'", column=col,
                hint="pass the result of geo_env.waste_coverage(district)")
    cov = coverage["waste_covered"].astype(bool).to_numpy()
    pop = pd.to_numeric(coverage["population"], errors="coerce").fillna(0).to_numpy(float)
    unr = (coverage["waste_unreachable"].astype(bool).to_numpy()
           if "waste_unreachable" in coverage.columns else np.zeros(len(coverage), bool))
    df = pd.DataFrame({
        "township": coverage["township"].astype(str).to_numpy(),
        "villages": 1, "covered_villages": cov.astype(int), "population": pop,
        "covered_population": pop * cov, "unreachable_villages": unr.astype(int),
    })
    g = df.groupby("township", sort=False).sum().reset_index()
    total = g.drop(columns="township").sum().to_frame().T
    total.insert(0, "township", TOTAL)
    out = pd.concat([g, total], ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage_rate_villages"] = out["covered_villages"] / out["villages"].where(
            out["villages"] > 0)
        out["coverage_rate_population"] = out["covered_population"] / out["population"].where(
            out["population"] > 0)
    cols = ["township", "villages", "covered_villages", "coverage_rate_villages", "population",
            "covered_population", "coverage_rate_population", "unreachable_villages"]
    out = out[cols]
    for c in ("villages", "covered_villages", "unreachable_villages"):
        out[c] = out[c].astype(int)
    return out


def service_areas(
    district: District,
    *,
    radius_m: float | None = None,
    metric: str | None = None,
    stations: gpd.GeoDataFrame | None = None,
    buffer_m: float = SERVICE_AREA_BUFFER_M,
) -> gpd.GeoDataFrame:
    """Service area polygon of each transfer station (for maps).

    * ``"straight"``: the circle of the service radius around the station (a 256-gon
      inscribed in it).
    * ``"road"``: the parts of the road network whose road distance from the station
      (connector included) is at most the radius — whole edges, and the reachable ends of
      edges that are reached only part-way — together with the station's connector,
      buffered by ``buffer_m`` on each side and merged into one polygon.  It shows where
      the collection vehicle gets within the radius; whether a village is covered is
      decided by its own exact distance (:func:`waste_coverage`), not by this polygon.

    Parameters
    ----------
    district
        The district.
    radius_m, metric
        As in :func:`waste_coverage`.
    stations
        Points to draw areas for (``id`` column optional); default the district's
        transfer stations.
    buffer_m
        Half-width (m) of the band around reachable roads (road metric only).

    Returns
    -------
    geopandas.GeoDataFrame
        ``station_id``, ``metric``, ``radius_m`` and the polygon (working CRS); the
        geometry is None for a station that is not attached to the road network.
    """
    radius, m = _settings(district, radius_m, metric)
    st = district.transfer_stations if stations is None else stations
    xy = points_xy(st, "transfer_stations", district.crs)
    ids = layer_ids(st)
    geoms: list[Any]
    if m == "straight":
        pts = np.asarray(shapely.points(xy), dtype=object)
        geoms = list(shapely.buffer(pts, radius, quad_segs=64)) if len(xy) else []
    else:
        from ..network import road_network

        net = road_network(district)
        reach = net.reachable(xy, max_connector_m=_max_connector(district), limit=radius)
        geoms = [None if r is None else shapely.buffer(r, buffer_m) for r in reach]
    return gpd.GeoDataFrame(
        {"station_id": pd.Series(ids, dtype=object), "metric": m, "radius_m": radius},
        geometry=gpd.GeoSeries(geoms, crs=district.crs), crs=district.crs,
    )


# --------------------------------------------------------------------------- plan part
def township_rates(tab: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{township: {column: value}}`` of a township table (for summary.json)."""
    return {str(r["township"]): {k: r[k] for k in tab.columns if k != "township"}
            for _, r in tab.iterrows()}


