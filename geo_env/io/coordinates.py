"""Coordinates: parsed from table cells, checked against China and the CRS, and given a CRS.

Table cells hold decimal degrees, DMS strings (``116°00'30.5"``, ``N28°24'10"``,
``117度30分12.5秒``) or projected metres, also typed full-width (:func:`parse_coordinate`).
Longitude/latitude must lie in China and not be swapped (:func:`_check_lonlat`);
projected coordinates must fit their Gauss-Krüger CRS: no swapped axes, no missing or
extra or wrong 3° zone number (:func:`_check_projected`).  A layer without a CRS is
CGCS2000 when its coordinates are longitude/latitude, else an error that names the zone
CRS its eastings suggest; GCJ-02 / BD-09 coordinates (``coords``) are converted to WGS84,
and names such as ``高德经度`` or ``baidu_lng`` that contradict ``coords`` are warned
about (:func:`_assign_crs`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import crs as _crs
from ..errors import CoordinateError, CRSError, ProjectFileError, format_rows
from ._messages import _feature_row, _warn

__all__ = ["parse_coordinate", "halfwidth"]

_DMS_ALLOWED = re.compile(r"^[\s\d.°º˚度分秒'′’‘\"″”“:NSEWnsew+\-]+$")
_NUM = re.compile(r"\d+(?:\.\d+)?")


#: Full-width ASCII forms (U+FF01–FF5E) and the ideographic space → their ASCII twins.
_HALFWIDTH = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: 0x20}


def halfwidth(text: str) -> str:
    """``text`` with full-width digits, letters and signs (as typed with a Chinese input
    method: ``１２３．５``, ``，``) made ASCII.  Nothing else changes: superscripts, circled
    digits and the degree-like signs ``º ˚`` stay as they are (NFKC would turn ``10⁴``
    into ``104``)."""
    return text.translate(_HALFWIDTH)


def parse_coordinate(value: Any) -> float:
    """One coordinate from a number or a string.

    Accepts decimal degrees or metres (``117.5``, ``"117.5E"``), DMS (``116°00'30.5"``,
    ``"N28°24'10.2\\""``, ``"117度30分12.5秒"``, ``"117 30 12.5"``), with an optional
    hemisphere letter (S and W are negative). Returns NaN for empty cells; raises
    ValueError for anything else.
    """
    if value is None:
        return float("nan")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    text = halfwidth(str(value)).strip()  # １１７．５ → 117.5
    if not text or text.lower() in ("nan", "none", "null"):
        return float("nan")
    try:
        return float(text)
    except ValueError:
        pass
    if not _DMS_ALLOWED.match(text):
        raise ValueError(f"not a coordinate: {value!r}")
    upper = text.upper()
    hemis = [c for c in upper if c in "NSEW"]
    if len(hemis) > 1:
        raise ValueError(f"more than one hemisphere letter in {value!r}")
    nums = [float(n) for n in _NUM.findall(text)]
    if not 1 <= len(nums) <= 3:
        raise ValueError(f"not a coordinate: {value!r}")
    deg, minutes, seconds = (nums + [0.0, 0.0])[:3]
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"minutes and seconds must be below 60 in {value!r}")
    out = deg + minutes / 60.0 + seconds / 3600.0
    negative = text.lstrip().startswith("-") or (hemis and hemis[0] in "SW")
    return -out if negative else out


def _parse_coordinates(series: pd.Series, *, file: str, column: str, label: str | None = None) -> np.ndarray:
    """Vector of coordinates from a table column; errors name the row (the series' index
    holds the spreadsheet row or CSV line numbers)."""
    numeric = np.array(pd.to_numeric(series, errors="coerce"), dtype=float)  # writable copy
    todo = np.flatnonzero(np.isnan(numeric) & series.notna().to_numpy())
    for i in todo.tolist():  # only the cells that are not plain numbers: DMS strings
        try:
            numeric[i] = parse_coordinate(series.iloc[i])
        except ValueError as exc:
            raise CoordinateError(
                str(exc), file=file, layer=label, column=column, row=int(series.index[i]),
                hint="write decimal degrees (117.503), DMS (117°30'12.5\"E) or metres",
            ) from None
    missing = np.flatnonzero(np.isnan(numeric))
    if len(missing):
        raise CoordinateError(
            f"{len(missing)} empty coordinate(s)", file=file, layer=label, column=column,
            row=format_rows([int(series.index[i]) for i in missing.tolist()]),
            hint="fill in the coordinates or delete the rows",
        )
    return numeric


def _coords_look_geographic(xs: np.ndarray, ys: np.ndarray) -> bool:
    """Most rows are longitude/latitude (a few typos must not make the table 'projected')."""
    inside = (np.abs(xs) <= 180) & (np.abs(ys) <= 90)
    return bool(inside.mean() >= 0.5)


def _swapped_rows(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Rows whose x is a Chinese latitude and y a Chinese longitude."""
    return (xs >= 3) & (xs <= 54) & (ys >= 73) & (ys <= 136)


#: China's extent with a margin (its territory spans about 73–135°E, 3–54°N): geographic
#: coordinates outside it are typing or export errors in a Chinese district's data.
_CHINA_LON, _CHINA_LAT = (70.0, 140.0), (0.0, 56.0)


def _check_lonlat(xs: np.ndarray, ys: np.ndarray, *, file: str, label: str | None,
                  row_of: Callable[[int], object], columns: tuple[str, str] | None = None) -> None:
    swapped = np.flatnonzero(_swapped_rows(xs, ys))
    if len(swapped):
        cols = f"'{columns[0]}' and '{columns[1]}'" if columns else "x and y"
        fix = (f'swap them: x = "{columns[1]}", y = "{columns[0]}"' if columns
               else "swap the coordinate order (longitude first) and re-export the file")
        raise CoordinateError(
            f"longitude and latitude look swapped: {cols} hold latitudes and longitudes "
            f"(x = {xs[swapped[0]]:.4f}, y = {ys[swapped[0]]:.4f})",
            file=file, layer=label, row=format_rows([row_of(i) for i in swapped.tolist()]), hint=fix,
        )
    bad = np.flatnonzero((np.abs(xs) > 180) | (np.abs(ys) > 90))
    if len(bad):
        raise CoordinateError(
            "coordinates outside longitude/latitude range", file=file, layer=label,
            row=format_rows([row_of(i) for i in bad.tolist()]),
            hint='if they are metres, set crs = "EPSG:…" for the layer',
        )
    (x0, x1), (y0, y1) = _CHINA_LON, _CHINA_LAT
    away = np.flatnonzero(~((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)))
    if len(away):
        raise CoordinateError(
            f"longitude/latitude outside China (x = {xs[away[0]]:.6g}, y = {ys[away[0]]:.6g}; China lies "
            f"within {x0:g}–{x1:g}°E, {y0:g}–{y1:g}°N)", file=file, layer=label,
            row=format_rows([row_of(i) for i in away.tolist()]),
            hint="look for a W/S hemisphere letter or a minus sign, a lost digit (11.75 for 117.5) or "
                 "0 put in for a missing value",
        )


def _crs_hint(xs: np.ndarray) -> str:
    east = float(np.nanmedian(xs))
    code = _crs.gk_zone_crs_for_easting(east)
    if code is not None:
        return (f'eastings like {east:,.0f} carry the 3° zone number {int(east // 1e6)}: add '
                f'crs = "EPSG:{code}" (CGCS2000 3° zone {int(east // 1e6)}) to the layer\'s section, or '
                f'the Xian 1980 / Beijing 1954 zone CRS the data were made in')
    return 'add crs = "EPSG:…" (the projected CRS of the coordinates) to the layer\'s section'


def _parse_crs(value: Any, *, file: str, label: str | None) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise CRSError(f"unknown crs {value!r}", file=file, layer=label,
                       hint='write it as "EPSG:4547"') from None


def _assign_crs(gdf: gpd.GeoDataFrame, *, file: str, label: str | None, coords: str | None,
                crs: Any) -> gpd.GeoDataFrame:
    if len(gdf) == 0:
        return gdf if gdf.crs is not None else gdf.set_crs(4490)
    bounds = gdf.total_bounds
    if crs is not None:
        the_crs = _parse_crs(crs, file=file, label=label)
        if gdf.crs is not None and pyproj.CRS(gdf.crs) != the_crs:
            _warn(f"{file}: the file's CRS ({pyproj.CRS(gdf.crs).name}) is overridden by crs = {crs!r}")
        gdf = gdf.set_crs(the_crs, allow_override=True)
    elif gdf.crs is None:
        if np.isfinite(bounds).all() and -180 <= bounds[0] and bounds[2] <= 180 and -90 <= bounds[1] and bounds[3] <= 90:
            _warn(f"{file}: no CRS (.prj); the coordinates are longitude/latitude and are taken as "
                  f"CGCS2000 (EPSG:4490); add crs = \"EPSG:…\" to say otherwise")
            gdf = gdf.set_crs(4490)
        else:
            raise CRSError("the file has no CRS (no .prj) and its coordinates are not longitude/latitude",
                           file=file, layer=label,
                           hint=_crs_hint(shapely.get_coordinates(gdf.geometry.values)[:, 0]))
    the_crs = pyproj.CRS(gdf.crs)
    if the_crs.is_geographic:
        xy = shapely.get_coordinates(gdf.geometry.values)
        idx = _first_vertex_feature(gdf)
        _check_lonlat(xy[:, 0], xy[:, 1], file=file, label=label,
                      row_of=lambda i: _feature_row(idx[i]))
        _check_coords_names(coords, [Path(file).stem], file=file, what="the file name")
        if coords in ("gcj02", "bd09"):
            def conv(a: np.ndarray) -> np.ndarray:
                lon, lat = _crs.to_wgs84(a[:, 0], a[:, 1], coords)
                return np.column_stack([lon, lat])

            gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, conv)).set_crs(4326, allow_override=True)
    else:
        if coords not in (None, "wgs84", "cgcs2000"):
            raise ProjectFileError(f"coords = {coords!r} applies to lon/lat, but the layer is projected",
                                   file=file, layer=label, hint="remove coords")
        _check_projected(gdf, the_crs, file=file, label=label)
    return gdf


#: Words in column, file or sheet names that say which online map the lon/lat came from.
_COORDS_WORDS = {
    "gcj02": ("高德", "腾讯", "火星", "gaode", "amap", "gcj", "tencent"),
    "bd09": ("百度", "baidu", "bd09", "bd_lng", "bd_lon", "bd_lat", "bdlng", "bdlat"),
}
_COORDS_SOURCES = {"gcj02": "GCJ-02 (Amap/Tencent)", "bd09": "BD-09 (Baidu)", "wgs84": "WGS84"}


def _check_coords_names(coords: str | None, names: Sequence[str], *, file: str, what: str) -> None:
    """Warn when names such as ``高德经度`` or ``baidu_lng`` contradict ``coords``.

    GCJ-02 or BD-09 lon/lat read as WGS84 lie 300–600 m off, nothing else shows it: the
    names are the one clue.  Without a ``coords`` key the names are compared with the
    WGS84 default; a declared GCJ-02/BD-09 is compared only with the other of the two (a
    declared WGS84 or CGCS2000 is the planner's word, e.g. after converting).
    """
    text = " ".join(names).lower()
    said = [c for c, words in _COORDS_WORDS.items() if any(w in text for w in words)]
    if len(said) != 1:
        return
    hint = said[0]
    if coords is None or (coords in ("gcj02", "bd09") and coords != hint):
        now = _COORDS_SOURCES.get(coords or "wgs84", coords)
        _warn(f"{file}: {what} suggest {_COORDS_SOURCES[hint]} coordinates, but they are read as "
              f"{now}; if they come from that map, add coords = \"{hint}\" to the layer "
              f"(otherwise the points lie 300–600 m off)")


def _first_vertex_feature(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Feature index of each coordinate of ``shapely.get_coordinates(gdf.geometry)``."""
    _, index = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    return index


def _check_projected(gdf: gpd.GeoDataFrame, the_crs: pyproj.CRS, *, file: str, label: str | None) -> None:
    """Coordinates that cannot fit a Gauss-Krüger / transverse Mercator CRS are an error:
    swapped axes (surveyors' X is the northing), eastings with a zone prefix in a CRS
    without one (or the reverse), and a zone number that is not the CRS's zone."""
    xy = shapely.get_coordinates(gdf.geometry.values)
    if not len(xy):
        return
    east = float(np.nanmedian(xy[:, 0]))
    north = float(np.nanmedian(xy[:, 1]))
    if _coords_look_geographic(xy[:, 0], xy[:, 1]) and _swapped_rows(xy[:, 1], xy[:, 0]).mean() >= 0.5:
        raise CRSError(
            f"the coordinates are longitude/latitude (e.g. {east:.4f}, {north:.4f}), but the CRS "
            f"({the_crs.name}) is projected in metres", file=file, layer=label,
            hint="remove the crs key of the layer (or give a geographic one such as \"EPSG:4490\")")
    op = the_crs.coordinate_operation
    if op is None:  # a geographic CRS
        return
    try:
        fe = next(float(p.value) for p in op.params if p.name == "False easting")
    except (AttributeError, StopIteration):
        return
    if fe < 1_000 or not np.isfinite([east, north]).all():
        return  # not a false-easting TM-style CRS: nothing to check here
    # in China, northings are 0.3–6.0 million m; TM eastings stay within ±400 km of the false easting
    east_ok = abs(east - fe % 1_000_000) < 400_000 if east < 1_000_000 else 25e6 <= east < 46e6
    north_like = 300_000 <= east <= 6_000_000 and not east_ok
    east_like_y = abs(north - 500_000) < 400_000 or 25e6 <= north < 46e6
    if north_like and east_like_y:
        raise CoordinateError(
            f"x and y look swapped: x values like {east:,.0f} are northings and y values like {north:,.0f} "
            f"eastings (the surveyors' convention: X = north)", file=file, layer=label,
            hint="swap the columns (x = the easting, y = the northing) or re-export the layer",
        )
    if east > 1_000_000 and fe < 1_000_000:
        code = _crs.gk_zone_crs_for_easting(east)
        raise CRSError(
            f"eastings like {east:,.0f} carry a zone number, but the CRS ({the_crs.name}) has no zone prefix",
            file=file, layer=label,
            hint=(f'set crs = "EPSG:{code}" (CGCS2000 3° zone {int(east // 1e6)}) for the layer' if code
                  else 'set crs = "EPSG:…" to the zone CRS the data were made in'),
        )
    if fe > 1_000_000 and east < 1_000_000:
        raise CRSError(
            f"eastings like {east:,.0f} have no zone number, but the CRS ({the_crs.name}) expects one",
            file=file, layer=label,
            hint='set crs = "EPSG:…" to the matching CM zone CRS (e.g. EPSG:4534–4554 for CGCS2000)',
        )
    if fe > 1_000_000 and east > 1_000_000 and int(east // 1_000_000) != int(fe // 1_000_000):
        code = _crs.gk_zone_crs_for_easting(east)
        raise CRSError(
            f"eastings like {east:,.0f} are in zone {int(east // 1_000_000)}, but the CRS ({the_crs.name}) "
            f"is zone {int(fe // 1_000_000)}", file=file, layer=label,
            hint=(f'set crs = "EPSG:{code}" (CGCS2000 3° zone {int(east // 1e6)}) or the zone CRS of the '
                  f'datum the data were made in' if code else 'set crs = "EPSG:…" to the right zone'),
        )
