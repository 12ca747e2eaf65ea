"""The one place for coordinate reference systems in geo_env.

- the working CRS: the CGCS2000 3° Gauss-Krüger zone (EPSG:4534–4554, central meridians
  75°E–135°E, false easting 500 000 m, no zone prefix) of the villages' centroid;
- checks that a layer's coordinates fit its CRS (swapped lon/lat, zone-prefixed eastings in
  a CRS without the prefix, missing CRS);
- conversion of Amap/Tencent **GCJ-02** and Baidu **BD-09** lon/lat to WGS84 and back,
  vectorised over numpy arrays.

GCJ-02 is the obfuscated datum that Chinese web maps (Amap, Tencent) must use; its
forward formula from WGS84 is public, its inverse has no closed form, so
:func:`gcj02_to_wgs84` solves ``f(w) = g`` by fixed-point iteration until the residual is
below 1e-10° (≈ 0.01 mm); the tests check round trips to < 0.5 m. BD-09 is Baidu's
further polar-coordinate offset of GCJ-02, inverted the same way. Outside China's bounding
box GCJ-02 equals WGS84, as the providers do.

All lon/lat arrays are in degrees, longitude first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyproj
from numpy.typing import ArrayLike

from .errors import CRSError

__all__ = [
    "working_crs",
    "cgcs2000_zone_epsg",
    "to_crs",
    "ballpark_transformation",
    "require_crs",
    "projected_metric_crs",
    "check_scale",
    "centre",
    "outliers",
    "MAX_SCALE_ERROR",
    "gk_zone_crs_for_easting",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "to_wgs84",
    "COORDS",
    "CGCS2000",
    "WGS84",
]

CGCS2000 = pyproj.CRS.from_epsg(4490)
WGS84 = pyproj.CRS.from_epsg(4326)

#: Accepted values of the ``coords`` key for geographic inputs.
COORDS = ("wgs84", "cgcs2000", "gcj02", "bd09")

# ---------------------------------------------------------------------------------------
# working CRS
# ---------------------------------------------------------------------------------------


def cgcs2000_zone_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3° Gauss-Krüger CM zone (4534–4554) containing ``lon``.

    The zone's central meridian is the multiple of 3° nearest to ``lon`` (75°E … 135°E).
    """
    if not 73.5 <= lon <= 136.5:
        raise CRSError(
            f"longitude {lon:.4f}° is outside China's CGCS2000 3° zones (75°E–135°E)",
            hint='set [project] crs = "EPSG:…" to a projected CRS in metres',
        )
    cm = int(round(lon / 3.0)) * 3
    return 4534 + (cm - 75) // 3


def working_crs(lon: float, lat: float) -> pyproj.CRS:
    """The working CRS for a district whose villages' centroid is at (``lon``, ``lat``)°."""
    if not 3.0 <= lat <= 54.0:
        raise CRSError(f"latitude {lat:.4f}° is outside China (3°N–54°N)")
    return pyproj.CRS.from_epsg(cgcs2000_zone_epsg(lon))


def gk_zone_crs_for_easting(easting: float) -> int | None:
    """For an easting with a 3° zone prefix (e.g. 39 512 345 m), the EPSG code of the
    CGCS2000 3° Gauss-Krüger zone CRS *with* that prefix (EPSG:4513–4533), else None."""
    zone = int(easting // 1_000_000)
    if 25 <= zone <= 45:
        return 4513 + zone - 25
    return None


def to_crs(gdf, crs: pyproj.CRS, *, label: str | None = None):  # noqa: ANN001, ANN201
    """Reproject the GeoDataFrame ``gdf`` (which must carry a CRS) to ``crs``.

    A no-op when the CRSs are equal. Warns when PROJ knows no datum transformation between
    them (a "ballpark" one, e.g. Beijing 1954 or Xian 1980 to CGCS2000), since positions
    may then be off by tens of metres.
    """
    if gdf.crs is None:
        raise CRSError("layer has no CRS", layer=label, hint='add crs = "EPSG:…" to its [layers.…] section')
    source = pyproj.CRS(gdf.crs)
    if source == crs:
        return gdf
    if ballpark_transformation(source, crs):
        import warnings

        from .errors import DataWarning

        warnings.warn(
            f"{label or 'layer'}: no datum transformation is known from {source.name} to {crs.name}; "
            f"positions may be off by tens of metres (up to ~100 m for Beijing 1954). Ask for the data "
            f"in CGCS2000, or convert them with the local 7-parameter set first",
            DataWarning, stacklevel=2,
        )
    return gdf.to_crs(crs)


def _cm_level_datum(c: pyproj.CRS) -> bool:
    """WGS84 and CGCS2000 agree to centimetres: no shift between them matters here."""
    datum = c.geodetic_crs.datum if c.geodetic_crs else c.datum
    name = (datum.name if datum is not None else "") or ""
    return name.startswith(("World Geodetic System 1984", "China 2000"))


#: Largest scale error a working CRS may have at the district's centre: 0.5 % (a 3° zone has
#: < 0.03 %, its neighbour ~0.15 %; Web Mercator at 28°N 13 %).
MAX_SCALE_ERROR = 0.005
#: Points farther than this outside the villages' extent are suspect (m).
FAR_OUTSIDE_M = 50_000.0


#: A village is an outlier when its distance from the district's median point exceeds the
#: median distance by more than this many robust spreads (1.4826 × the median absolute
#: deviation of the distances) …
OUTLIER_SPREADS = 5.0
#: … and by more than this (m): a compact district's spread is small, its edge villages
#: are not outliers.  Both are geo_env modelling choices: a district's own remote villages
#: lie within about 2 spreads (a uniform disc: its rim is 1.5 spreads beyond the median
#: distance), a village moved by a lost digit or a wrong zone lies tens of spreads away.
OUTLIER_MIN_M = 10_000.0


def centre(lon: ArrayLike, lat: ArrayLike) -> tuple[float, float]:
    """The district's centre for choosing its zone: the median point (°), which no single
    misplaced village can move (the centre of the bounding box can)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return float(np.nanmedian(lon)), float(np.nanmedian(lat))


def outliers(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points far from the body of the others: ``(mask, distance from the median point, m)``.

    ``xy`` (n, 2) in a projected CRS (m).  A point is an outlier when its distance from the
    coordinate-wise median point exceeds the median distance by more than
    ``max(OUTLIER_SPREADS × 1.4826 × MAD, OUTLIER_MIN_M)``; with fewer than 5 points none
    is.  Robust: moving one point anywhere changes no other point's verdict much.
    """
    xy = np.asarray(xy, dtype=float)
    mid = np.nanmedian(xy, axis=0) if len(xy) else np.zeros(2)
    d = np.hypot(xy[:, 0] - mid[0], xy[:, 1] - mid[1]) if len(xy) else np.zeros(0)
    far = np.zeros(len(xy), dtype=bool)
    if np.count_nonzero(np.isfinite(d)) >= 5:
        med = float(np.nanmedian(d))
        spread = 1.4826 * float(np.nanmedian(np.abs(d - med)))
        far = np.nan_to_num(d, nan=0.0) > med + max(OUTLIER_SPREADS * spread, OUTLIER_MIN_M)
    return far, d


def projected_metric_crs(value: Any) -> pyproj.CRS:
    """``value`` as a projected CRS in metres (the only kind analyses measure in)."""
    from .errors import ProjectFileError

    try:
        the = pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise ProjectFileError(f"crs = {value!r} is not a known CRS",
                               hint='use "auto" or an EPSG code such as "EPSG:4547"') from None
    if not the.is_projected or the.axis_info[0].unit_name not in ("metre", "meter"):
        raise ProjectFileError(f"crs = {value!r} is not a projected CRS in metres",
                               hint='use "auto" (the CGCS2000 3° zone of the district) or e.g. "EPSG:4547"')
    return the


def check_scale(the: pyproj.CRS, lon: float, lat: float) -> None:
    """Raise unless ``the`` measures lengths at (``lon``, ``lat``)° within :data:`MAX_SCALE_ERROR`."""
    from .errors import ProjectFileError

    factors = pyproj.Proj(the).get_factors(lon, lat)
    scale = max(abs(factors.meridional_scale - 1), abs(factors.parallel_scale - 1))
    if not scale <= MAX_SCALE_ERROR:
        raise ProjectFileError(
            f"stretches distances by {scale:.2%} at the district (limit {MAX_SCALE_ERROR:.2%}): service "
            f"radii and pipe lengths would be wrong",
            hint=('use "auto" or the Gauss-Krüger zone of the district'
                  + (f" (here EPSG:{cgcs2000_zone_epsg(lon)})" if 73.5 <= lon <= 136.5 else "")),
        )


def require_crs(gdf, crs: pyproj.CRS, *, layer: str) -> None:  # noqa: ANN001 - a GeoDataFrame
    """Raise :class:`CRSError` unless the GeoDataFrame ``gdf`` is in ``crs`` (the working CRS)."""
    if gdf.crs is None:
        raise CRSError(f"the {layer} layer has no CRS", layer=layer,
                       hint=f"set it with .set_crs(...) and reproject with .to_crs({crs.to_string()!r})")
    if not pyproj.CRS(gdf.crs).equals(crs):
        raise CRSError(f"the {layer} layer is in {pyproj.CRS(gdf.crs).name}, not in the working CRS {crs.name}",
                       layer=layer, hint=f"reproject it with .to_crs({crs.to_string()!r}), or load the district "
                                         f"with geo_env.load_project, which reprojects every layer")


def ballpark_transformation(source: pyproj.CRS, target: pyproj.CRS) -> bool:
    """True when PROJ's best transformation between the CRSs ignores a datum shift that
    matters (e.g. Beijing 1954 or Xian 1980 to CGCS2000; not WGS84 to CGCS2000)."""
    if _cm_level_datum(source) and _cm_level_datum(target):
        return False
    t = pyproj.Transformer.from_crs(source, target, always_xy=True)
    return "Ballpark" in t.description


# ---------------------------------------------------------------------------------------
# GCJ-02 / BD-09
# ---------------------------------------------------------------------------------------

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02 (m)
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # BD-09 constant


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (dlon, dlat) in degrees at WGS84 (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    if lon_a.shape != lat_a.shape:
        raise ValueError(f"lon and lat differ in shape: {lon_a.shape} vs {lat_a.shape}")
    return lon_a, lat_a


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (°) → GCJ-02 lon/lat (°), the published forward formula."""
    lon_a, lat_a = _arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def _invert(forward, lon, lat, tol: float = 1e-10, max_iter: int = 30):  # noqa: ANN001, ANN202
    """Solve forward(w) = (lon, lat) for w by fixed-point iteration (vectorised)."""
    g_lon, g_lat = _arrays(lon, lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = forward(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if np.all(np.abs(e_lon) < tol) and np.all(np.abs(e_lat) < tol):
            return w_lon, w_lat
    finite = np.isfinite(e_lon) & np.isfinite(e_lat)
    worst = float(np.max(np.abs(np.r_[e_lon[finite], e_lat[finite]]), initial=0.0))
    if worst > 1e-7:  # ~1 cm: never seen inside China; say so rather than return it silently
        import warnings

        from .errors import DataWarning

        warnings.warn(f"GCJ-02/BD-09 inversion did not converge (residual {worst:.1e}°)", DataWarning,
                      stacklevel=3)
    return w_lon, w_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat (°) → WGS84 lon/lat (°); the inverse of :func:`wgs84_to_gcj02`
    (iterated to a residual below 1e-10°)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat (°) → BD-09 lon/lat (°), Baidu's published forward formula."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 lon/lat (°) → GCJ-02 lon/lat (°), inverse of :func:`gcj02_to_bd09` (iterated)."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (°) → BD-09 lon/lat (°)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 lon/lat (°) → WGS84 lon/lat (°)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, coords: str) -> tuple[np.ndarray, np.ndarray]:
    """Geographic lon/lat in ``coords`` (one of :data:`COORDS`) → WGS84/CGCS2000 lon/lat.

    WGS84 and CGCS2000 agree to a few centimetres, far below any planning use, so both are
    returned unchanged.
    """
    if coords in ("wgs84", "cgcs2000"):
        return _arrays(lon, lat)
    if coords == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if coords == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise CRSError(f"coords = {coords!r} is not one of {', '.join(COORDS)}")
