"""Where the loaded layers lie: the villages' anchors, misplaced villages and facilities, the DEM.

Each village gets an anchor (``anchor_x``/``anchor_y``, working CRS, m): a supplied one
(columns of the villages, or a ``[layers.village_points]`` point matched by id, village
codes of a longer code system re-keyed), else a point inside the village; supplied
anchors far outside their village are warned about.  Features the reprojection cannot
place are an error.  Villages far from the body of the district, and facilities far
outside the villages' extent, are warned about by id; a whole layer (or the villages)
lying :data:`WHOLE_LAYER_AWAY_M` away is an error.  A DEM that does not overlap the
villages, or holds one value everywhere, is set aside (warned: terrain not assessed).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import crs as _crs
from .._geometry import anchor_points
from ..crs import FAR_OUTSIDE_M
from ..errors import (
    CoordinateError,
    CRSError,
    DataWarning,
    InputFileNotFoundError,
    ProjectFileError,
    format_rows,
)
from .checks import _regular_size
from .coordinates import _check_lonlat
from .projectfile import _resolve

__all__ = ["ANCHOR_OUTSIDE_M", "WHOLE_LAYER_AWAY_M"]

#: A supplied village anchor farther than this outside its polygon is named in a warning (m).
ANCHOR_OUTSIDE_M = 1_000.0


def _anchors(villages: gpd.GeoDataFrame, source_crs: pyproj.CRS, coords: str | None,
             points: gpd.GeoDataFrame | None, working: pyproj.CRS, label: str = "villages") -> gpd.GeoDataFrame:
    """Add ``anchor_x``/``anchor_y`` (working CRS, m) by the docs/DESIGN.md rule."""
    v = villages
    given = np.full((len(v), 2), np.nan)
    if "anchor_x" in v.columns and "anchor_y" in v.columns:
        ax = v["anchor_x"].to_numpy(dtype=float)
        ay = v["anchor_y"].to_numpy(dtype=float)
        have = np.isfinite(ax) & np.isfinite(ay)
        if source_crs.is_geographic:
            rows = v["_row"].to_numpy() if "_row" in v.columns else np.arange(len(v)) + 1
            _check_lonlat(ax[have], ay[have], file=label, label="villages anchor_x/anchor_y",
                          row_of=lambda i: rows[np.flatnonzero(have)[i]])
            if coords in ("gcj02", "bd09"):
                ax, ay = _crs.to_wgs84(ax, ay, coords)
                source_crs = pyproj.CRS.from_epsg(4326)
        tx = pyproj.Transformer.from_crs(source_crs, working, always_xy=True)
        given[:, 0], given[:, 1] = tx.transform(ax, ay)
        lost = have & ~np.isfinite(given).all(axis=1)
        if lost.any():
            warnings.warn(f"{label}: {int(lost.sum())} anchor(s) cannot be placed in the working CRS and are "
                          f"replaced by points inside the villages ({format_rows(list(v.loc[lost, 'id']))})",
                          DataWarning, stacklevel=4)
    if points is not None:
        pos = pd.Series(np.arange(len(v)), index=v["id"].to_numpy())
        points = _same_code_system(points, pos.index, label=label)
        hit = points["id"].isin(pos.index)
        if (~hit).any():
            warnings.warn(f"village_points: {int((~hit).sum())} point(s) match no village id "
                          f"({format_rows(list(points.loc[~hit, 'id']))})", DataWarning, stacklevel=4)
        idx = pos.loc[points.loc[hit, "id"]].to_numpy()
        xy = shapely.get_coordinates(points.loc[hit].geometry.values)
        given[idx] = xy
    v = v.drop(columns=[c for c in ("anchor_x", "anchor_y") if c in v.columns])
    xy = anchor_points(v)
    ok = np.isfinite(given).all(axis=1)
    if ok.any():
        off = shapely.distance(v.geometry.values[ok], shapely.points(given[ok]))
        far = np.zeros(len(v), dtype=bool)
        far[np.flatnonzero(ok)[off > ANCHOR_OUTSIDE_M]] = True
        if far.any():
            warnings.warn(f"{label}: {int(far.sum())} anchor(s) lie more than {ANCHOR_OUTSIDE_M:,.0f} m outside "
                          f"their village ({format_rows(list(v.loc[far, 'id']))}); check their coordinates",
                          DataWarning, stacklevel=4)
    xy[ok] = given[ok]
    v["anchor_x"] = xy[:, 0]
    v["anchor_y"] = xy[:, 1]
    return v


def _same_code_system(points: gpd.GeoDataFrame, village_ids: pd.Index, *, label: str) -> gpd.GeoDataFrame:
    """Village points whose ids are the villages' codes in a longer code system, re-keyed.

    Chinese village codes come as the 12-digit 统计用区划代码 and as longer codes that
    extend it with zeros (the 15-digit form with ``000``, the 19-digit 坐落单位代码 of the
    land surveys).  An all-digit point id that matches no village, is longer than a
    village code and is that code followed only by zeros, is given that code (warned).
    Nothing else is guessed: a code that would fit several villages stays unmatched.
    """
    ids = points["id"].astype(str)
    vid = pd.Series(village_ids.astype(str))
    if ids.isin(vid).all() or not (vid.str.fullmatch(r"\d+").all()):
        return points
    lengths = sorted(set(vid.str.len()), reverse=True)  # the most specific code first
    new = ids.copy()
    changed = pd.Series(False, index=ids.index)
    todo = ~ids.isin(vid) & ids.str.fullmatch(r"\d+")
    for n in lengths:
        head, tail = ids.str[:n], ids.str[n:]
        fit = todo & ~changed & (ids.str.len() > n) & head.isin(vid) & tail.str.fullmatch(r"0+")
        fit &= ~head.isin(ids[~todo]) & ~head.duplicated(keep=False)  # one point per village
        new[fit] = head[fit]
        changed |= fit
    if not changed.any():
        return points
    out = points.copy()
    out["id"] = new.to_numpy()
    warnings.warn(f"village_points: {int(changed.sum())} id(s) are village codes extended with zeros "
                  f"(e.g. {ids[changed].iloc[0]} → {new[changed].iloc[0]}, a longer code system than "
                  f"{label}'s); matched on the {'/'.join(str(n) for n in lengths)}-digit codes",
                  DataWarning, stacklevel=5)
    return out


def _check_finite(gdf: gpd.GeoDataFrame, *, label: str) -> None:
    """Coordinates that the reprojection could not place (outside the CRS's domain) are an error."""
    xy, idx = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    bad = np.unique(idx[~np.isfinite(xy).all(axis=1)])
    if len(bad):
        raise CoordinateError(
            f"{len(bad)} feature(s) cannot be placed in the working CRS (ids {format_rows(list(gdf['id'].iloc[bad]))})",
            file=label, hint="their coordinates do not fit the layer's CRS: check crs, swapped x/y or zone numbers",
        )


#: A layer whose every feature lies this far (m) outside the villages' extent is misplaced
#: as a whole (a wrong zone or CRS moves data 250 km and more; a neighbouring county's plant
#: is tens of kilometres away): an error, not a warning.
WHOLE_LAYER_AWAY_M = 150_000.0


def _far_villages(villages: gpd.GeoDataFrame, *, label: str) -> np.ndarray:
    """Villages placed away from the district's body, named; returns the outlier mask.

    All villages on one point is an error (coordinates lost in an export); villages far
    from the body of the others (:func:`geo_env.crs.outliers`) are warned about by id and
    distance, and are an error when they lie more than :data:`WHOLE_LAYER_AWAY_M` beyond
    the body's extent (a wrong zone or CRS, not a remote village).
    """
    xy = villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
    ids = villages["id"].astype(str).to_numpy()
    if len(xy) > 1 and np.ptp(xy, axis=0).max() == 0:
        raise CoordinateError(f"all {len(xy)} villages lie on one point ({xy[0, 0]:,.1f}, {xy[0, 1]:,.1f})",
                              file=label, layer="villages",
                              hint="the coordinates were lost in an export: give the village polygons or points")
    far, dist = _crs.outliers(xy)
    if not far.any():
        return far
    x0, y0 = xy[~far].min(axis=0)
    x1, y1 = xy[~far].max(axis=0)
    beyond = np.hypot(np.maximum(np.maximum(x0 - xy[:, 0], xy[:, 0] - x1), 0),
                      np.maximum(np.maximum(y0 - xy[:, 1], xy[:, 1] - y1), 0))
    shown = [f"{i} ({b / 1000:,.0f} km)" for i, b in zip(ids[far], beyond[far])]
    if (beyond[far] > WHOLE_LAYER_AWAY_M).any():
        raise CoordinateError(
            f"{int(far.sum())} village(s) lie far from all the others, beyond the district's extent: "
            f"{format_rows(shown)}", file=label, layer="villages",
            hint="check their coordinates (a digit lost or added, lon/lat swapped, another zone's eastings)")
    warnings.warn(f"{label}: {int(far.sum())} village(s) lie far from the body of the district "
                  f"(distance beyond the other villages' extent: {format_rows(shown)}); check their "
                  f"coordinates — their results are computed where they are", DataWarning, stacklevel=3)
    return far


def _far_facilities(villages: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
                    sources: dict[str, str] | None = None) -> None:
    """Warn about facilities more than ``FAR_OUTSIDE_M`` outside the villages' extent.

    A layer lying entirely more than :data:`WHOLE_LAYER_AWAY_M` away is an error; when
    every other layer does, the villages are the ones misplaced and the error names them.
    """
    sources = sources or {}
    x0, y0, x1, y1 = villages.total_bounds
    present = [n for n in ("transfer_stations", "sewage_plants", "livestock_farms", "roads", "waste_facilities",
                           "collection_points")
               if layers.get(n) is not None and len(layers[n])]
    away: dict[str, float] = {}
    for name in present:
        gdf = layers[name]
        b = gdf.geometry.bounds.to_numpy()  # a point's bounds are the point
        dx = np.maximum(np.maximum(x0 - b[:, 2], b[:, 0] - x1), 0)
        dy = np.maximum(np.maximum(y0 - b[:, 3], b[:, 1] - y1), 0)
        dist = np.hypot(dx, dy)
        if dist.min() > WHOLE_LAYER_AWAY_M:
            away[name] = float(dist.min())
            continue
        far = dist > FAR_OUTSIDE_M
        if far.any() and name != "roads":
            ids = list(gdf.loc[far, "id"])
            warnings.warn(
                f"{name}: {int(far.sum())} feature(s) lie more than {FAR_OUTSIDE_M / 1000:.0f} km outside the "
                f"villages' extent ({format_rows(ids)}); check their coordinates (swapped lon/lat, "
                f"GCJ-02 or a wrong CRS)", DataWarning, stacklevel=4)
    if not away:
        return
    if len(away) >= 2 and len(away) == len(present):
        raise CRSError(
            f"every other layer ({', '.join(away)}) lies {min(away.values()) / 1000:,.0f} km or more from the "
            f"villages: the villages are probably misplaced", file=sources.get("villages"), layer="villages",
            hint="check the villages' CRS (.prj or the crs key: the zone, the datum) and lon/lat order")
    name, dist = next(iter(away.items()))
    raise CRSError(
        f"every feature of {name} lies {dist / 1000:,.0f} km or more outside the villages' extent: the "
        f"layer and the villages cannot both be in the right place", file=sources.get(name), layer=name,
        hint="check the crs (zone) of this layer and of the villages, lon/lat swapped or GCJ-02; "
             "if the layer is right, it does not belong to this district's project")


def _check_dem(table: dict[str, Any], base: Path, villages: gpd.GeoDataFrame,
               file: Path) -> tuple[Path | None, float | None, pyproj.CRS | None]:
    """The DEM's path, declared nodata and CRS, checked; ``(None, None, None)`` when it
    cannot describe the villages' terrain (warned: terrain not assessed)."""
    import rasterio

    path = _resolve(base, table["path"])
    if not path.exists():
        raise InputFileNotFoundError("DEM file not found", file=path, layer="dem",
                                     hint="check [layers.dem] path (relative to the project file)")
    _regular_size(path, label="dem", what="DEM file")  # a pipe or a device would hang or never end
    try:
        with rasterio.open(path) as src:
            dem_crs = src.crs
            bounds = src.bounds
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileNotFoundError(f"cannot be read as a raster: {exc}", file=path, layer="dem") from None
    if dem_crs is None and "crs" not in table:
        raise CRSError("the DEM has no CRS", file=path, layer="dem", hint='add crs = "EPSG:…" to [layers.dem]')
    try:
        the_crs = pyproj.CRS.from_user_input(table.get("crs") or dem_crs.to_wkt())
    except pyproj.exceptions.CRSError:
        raise ProjectFileError(f"[layers.dem] crs = {table.get('crs')!r} is not a known CRS", file=file,
                               hint='write it as "EPSG:4548"') from None
    nodata = table.get("nodata")
    if nodata is not None and (isinstance(nodata, bool) or not isinstance(nodata, (int, float))):
        raise ProjectFileError(f"[layers.dem] nodata must be a number, not {nodata!r}", file=file)
    nodata = None if nodata is None else float(nodata)
    declared = the_crs if "crs" in table else None
    why = _dem_unusable(path, nodata, declared, villages)
    if why:
        warnings.warn(f"{path}: {why}: terrain is not assessed (no slopes, no lift stations; sewers costed "
                      f"as on flat ground) — check [layers.dem] path, crs and nodata", DataWarning, stacklevel=4)
        return None, None, None
    vb = villages.geometry.to_crs(the_crs).total_bounds
    if vb[0] < bounds.left or vb[2] > bounds.right or vb[1] < bounds.bottom or vb[3] > bounds.top:
        warnings.warn(f"{path}: the DEM does not cover every village; elevations outside it are unknown",
                      DataWarning, stacklevel=4)
    return path, nodata, declared


#: Cells of the coarse grid read to screen a DEM (its longer side): enough to tell terrain
#: from a constant or empty raster, cheap on any DEM.
_DEM_SCREEN_PIXELS = 512


def _dem_unusable(path: Path, nodata: float | None, dem_crs: pyproj.CRS | None,
                  villages: gpd.GeoDataFrame) -> str | None:
    """Why the DEM cannot describe the villages' terrain, or None: no data over any village
    anchor (it lies elsewhere, or its CRS is wrong), or one value everywhere (a constant or
    all-zero raster is no terrain)."""
    from ..terrain import read_dem

    xy = villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
    b = villages.total_bounds
    with warnings.catch_warnings():  # the analyses read it again and say what they find
        warnings.simplefilter("ignore")
        dem = read_dem(path, nodata=nodata, crs=pyproj.CRS(villages.crs), dem_crs=dem_crs,
                       bounds=(b[0], b[1], b[2], b[3]), max_pixels=_DEM_SCREEN_PIXELS)
    z = dem.sample(xy, method="nearest")
    if not np.isfinite(z).any():
        return ("the DEM does not overlap any village: no elevation at any of them (it lies elsewhere, "
                "or its CRS or nodata is wrong)")
    values = dem.values[np.isfinite(dem.values)]
    if values.min() == values.max():
        return f"every cell of the DEM over the villages holds {values.min():g} m, which is no terrain"
    return None
