"""Terrain from a DEM (GeoTIFF): elevations at points, profiles along lines, slope by zone.

The DEM is read once into memory as a :class:`Dem` (float64 metres, ``NaN`` where there
is no data) in the district's working CRS; every query after that is vectorised numpy.

No-data handling
----------------
A cell has no data when it equals the declared nodata value (the project's
``[layers.dem] nodata`` — ``District.dem_nodata`` — overrides the file's own), when it is
NaN, or when it is not a possible elevation on Earth: outside
:data:`PLAUSIBLE_ELEVATION_M`, i.e. below :data:`MIN_ELEVATION_M` (−1000 m; the lowest land
is the Dead Sea shore at about −430 m) or above :data:`MAX_ELEVATION_M` (9000 m; Everest is
8849 m).  Other modules that screen elevations import this range rather than restate it.
The last rule catches the fill values of files whose nodata is undeclared or wrongly
declared (−3.4028235e38, −9999, −32768, 32767 …); it warns with a
:class:`~geo_env.errors.DataWarning` naming the values.

Interpolation
-------------
``bilinear`` (default) interpolates between the four cell centres around a point, which
keeps profiles smooth along a pipe route; where one of those four cells has no data it falls
back to the value of the cell containing the point (``nearest``).  Points outside the grid
or in a no-data cell get ``NaN``.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely
from affine import Affine

from .errors import CRSError, DataWarning, InputFileNotFoundError, format_rows

__all__ = [
    "Dem",
    "read_dem",
    "clean_elevations",
    "densify_segments",
    "densify_lines",
    "zonal_mean",
    "anchor_elevations",
    "MIN_ELEVATION_M",
    "MAX_ELEVATION_M",
    "PLAUSIBLE_ELEVATION_M",
]

log = logging.getLogger(__name__)

#: Values below this (m) are not elevations: treated as no data.
MIN_ELEVATION_M = -1000.0
#: Values above this (m) are not elevations: treated as no data.
MAX_ELEVATION_M = 9000.0
#: The range (m) of values taken as elevations, (MIN_ELEVATION_M, MAX_ELEVATION_M), both
#: included; anything outside is no data.  Shared by every module that screens elevations.
PLAUSIBLE_ELEVATION_M: tuple[float, float] = (MIN_ELEVATION_M, MAX_ELEVATION_M)


def clean_elevations(
    values: np.ndarray, nodata: float | None = None, *, where: str = "DEM"
) -> np.ndarray:
    """Elevations as float64 with every no-data cell set to ``NaN``.

    Parameters
    ----------
    values
        Raw raster values (any numeric dtype).
    nodata
        The declared no-data value, or ``None``.
    where
        How to name the raster in the warning (file name).

    Returns
    -------
    numpy.ndarray
        A new float64 array (m); the input is not modified.

    Warns
    -----
    DataWarning
        When cells hold values outside :data:`PLAUSIBLE_ELEVATION_M` (−1000 … 9000 m) that
        were not declared as nodata.
    """
    z = np.array(values, dtype=np.float64, copy=True)
    if nodata is not None and np.isfinite(nodata):
        declared = np.isclose(z, float(nodata), rtol=1e-6, atol=0.0)
        # float32 fill values (e.g. -3.4028235e38) compare exactly only after the same cast
        declared |= z == np.float64(np.float32(nodata))
        z[declared] = np.nan
    elif nodata is not None:  # NaN declared
        pass
    with np.errstate(invalid="ignore"):
        lo, hi = PLAUSIBLE_ELEVATION_M
        bad = np.isfinite(z) & ((z < lo) | (z > hi))
    bad |= np.isinf(z)
    if bad.any():
        shown = ", ".join(f"{v:g}" for v in np.unique(z[bad])[:5])
        msg = (
            f"{where}: {int(bad.sum()):,} cells hold values that are not elevations ({shown}) "
            f"but are not declared as nodata (declared: {nodata}); they are treated as no "
            "data. Set [layers.dem] nodata in the project file to say so explicitly"
        )
        warnings.warn(msg, DataWarning, stacklevel=3)
        z[bad] = np.nan
    _warn_fill_block(z, nodata, where)
    return z


#: A lowest value at or below 0 m this far (m) below every other cell of the DEM, covering
#: at least :data:`_FILL_MIN_SHARE` of the cells, looks like an undeclared fill (0 around
#: the data, a hole patched with 0): real terrain rises from its lowest cells gradually.
_FILL_GAP_M = 20.0
_FILL_MIN_SHARE = 0.002


def _warn_fill_block(z: np.ndarray, nodata: float | None, where: str) -> None:
    """Warn when the lowest value of a DEM is at or below sea level and stands apart from
    every other cell (an undeclared 0 or −999 fill).  A reservoir's flat surface, however
    steep its banks, lies above sea level; a coast's 0 m sea rises gradually onto land.

    Reductions with ``where=``: a large DEM is not copied (boolean masks only)."""
    finite = np.isfinite(z)
    total = int(np.count_nonzero(finite))
    if total < 100:
        return
    v = float(np.fmin.reduce(z, axis=None, where=finite, initial=np.inf))
    if v > 0:
        return
    n = int(np.count_nonzero(z == v))
    if n < _FILL_MIN_SHARE * total or n == total:
        return
    gap = float(np.fmin.reduce(z, axis=None, where=z > v, initial=np.inf)) - v
    if gap >= _FILL_GAP_M:
        warnings.warn(
            f"{where}: {n:,} cells ({n / total:.1%}) hold {v:g}, {gap:,.0f} m below every other cell — "
            f"a fill value not declared as nodata (declared: {nodata})? If it means no data, set "
            f"[layers.dem] nodata = {v:g}; elevations there are used as they are",
            DataWarning, stacklevel=4)


@dataclass(frozen=True)
class Dem:
    """An elevation grid in memory.

    Attributes
    ----------
    values
        Elevations (m) as float64, shape (rows, cols), ``NaN`` where there is no data.
    transform
        Affine transform from (col, row) to (x, y) of the cells' upper-left corners.
    crs
        The grid's CRS (the working CRS after :func:`read_dem` with ``crs=``), or ``None``.
    """

    values: np.ndarray
    transform: Affine
    crs: pyproj.CRS | None = None

    @classmethod
    def from_array(
        cls,
        values: np.ndarray,
        transform: Affine,
        crs: pyproj.CRS | str | None = None,
        *,
        nodata: float | None = None,
    ) -> Dem:
        """A :class:`Dem` from an array (no-data cleaned as by :func:`clean_elevations`)."""
        return cls(
            clean_elevations(values, nodata, where="DEM array"),
            transform,
            None if crs is None else pyproj.CRS.from_user_input(crs),
        )

    @property
    def cell_size(self) -> tuple[float, float]:
        """Cell width and height (CRS units, m), both positive."""
        return abs(self.transform.a), abs(self.transform.e)

    def _fractional_index(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (col, row) of points; cell centres are at integers."""
        if self.transform.b != 0 or self.transform.d != 0:
            raise CRSError("rotated DEM grids are not supported", hint="warp the DEM to a north-up grid")
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        col = (xy[:, 0] - self.transform.c) / self.transform.a - 0.5
        row = (xy[:, 1] - self.transform.f) / self.transform.e - 0.5
        return col, row

    def sample(self, xy: np.ndarray, *, method: str = "bilinear") -> np.ndarray:
        """Elevation (m) at points.

        Parameters
        ----------
        xy
            Array (n, 2) of x, y in the DEM's CRS (m).
        method
            ``"bilinear"`` (default; falls back to nearest where a neighbour has no data)
            or ``"nearest"`` (the value of the cell that contains the point).

        Returns
        -------
        numpy.ndarray
            Shape (n,), ``NaN`` outside the grid or in no-data cells.
        """
        if method not in ("bilinear", "nearest"):
            raise ValueError(f"method must be 'bilinear' or 'nearest', not {method!r}")
        z = self.values
        nrow, ncol = z.shape
        col, row = self._fractional_index(xy)
        out = np.full(col.shape, np.nan)
        # nearest: the containing cell
        ci = np.floor(col + 0.5).astype(np.int64)
        ri = np.floor(row + 0.5).astype(np.int64)
        inside = (ci >= 0) & (ci < ncol) & (ri >= 0) & (ri < nrow) & np.isfinite(col) & np.isfinite(row)
        out[inside] = z[ri[inside], ci[inside]]
        if method == "nearest":
            return out
        c0 = np.floor(col).astype(np.int64)
        r0 = np.floor(row).astype(np.int64)
        ok = inside & (c0 >= 0) & (c0 + 1 < ncol) & (r0 >= 0) & (r0 + 1 < nrow)
        if ok.any():
            c0o, r0o = c0[ok], r0[ok]
            fc, fr = col[ok] - c0o, row[ok] - r0o
            z00 = z[r0o, c0o]
            z01 = z[r0o, c0o + 1]
            z10 = z[r0o + 1, c0o]
            z11 = z[r0o + 1, c0o + 1]
            bil = (z00 * (1 - fc) * (1 - fr) + z01 * fc * (1 - fr)
                   + z10 * (1 - fc) * fr + z11 * fc * fr)
            keep = np.isfinite(bil)  # a no-data neighbour keeps the nearest value
            idx = np.flatnonzero(ok)[keep]
            out[idx] = bil[keep]
        return out

    def slope_percent(self) -> np.ndarray:
        """Slope of every cell in percent (rise / run × 100), ``NaN`` next to no data.

        Central differences (``numpy.gradient``) over the cell size in metres.
        """
        dx, dy = self.cell_size
        if self.values.shape[0] < 2 or self.values.shape[1] < 2:
            return np.full(self.values.shape, np.nan)
        gy, gx = np.gradient(self.values, dy, dx)
        return np.hypot(gx, gy) * 100.0


def read_dem(
    path: str | Path,
    *,
    nodata: float | None = None,
    crs: pyproj.CRS | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    margin_m: float = 500.0,
    dem_crs: pyproj.CRS | str | None = None,
    max_pixels: int | None = None,
) -> Dem:
    """Read a DEM GeoTIFF (first band) into memory, in the working CRS.

    Parameters
    ----------
    path
        The GeoTIFF.
    nodata
        A no-data value that overrides the file's declared one (``[layers.dem] nodata``).
    crs
        The working CRS; a DEM in another CRS is warped into it (bilinear).  ``None``:
        keep the file's CRS.
    bounds
        (xmin, ymin, xmax, ymax) in ``crs`` (m): read only the part of the DEM that covers
        them plus ``margin_m`` on each side (saves memory on large DEMs).
    margin_m
        Margin around ``bounds`` (m).
    dem_crs
        The DEM's CRS where the file declares none (``[layers.dem] crs``); overrides the
        file's own.
    max_pixels
        Read a coarser grid whose longer side has at most this many cells (nearest cells,
        so nodata values stay recognisable), e.g. for a map's hillshade; ``None``: full
        resolution.

    Returns
    -------
    Dem

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    CRSError
        The file has no CRS while a working CRS is given.
    """
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds
    from rasterio.windows import Window, from_bounds

    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError("DEM file not found", file=path, hint="check [layers.dem] path")
    with rasterio.open(path) as src:
        declared = nodata if nodata is not None else src.nodata
        src_crs: pyproj.CRS | None
        if dem_crs is not None:
            src_crs = pyproj.CRS.from_user_input(dem_crs)
        else:
            src_crs = None if src.crs is None else pyproj.CRS.from_user_input(src.crs.to_wkt())
        src_crs_rio = None if src_crs is None else src_crs.to_wkt()
        if src_crs is None and crs is not None:
            raise CRSError(
                "the DEM has no coordinate reference system",
                file=path,
                hint="assign one, e.g. gdal_edit.py -a_srs EPSG:4490 dem.tif",
            )
        window = None
        if bounds is not None:
            b = np.asarray(bounds, dtype=float) + np.array([-margin_m, -margin_m, margin_m, margin_m])
            if crs is not None and src_crs is not None and not src_crs.equals(crs):
                b = np.asarray(transform_bounds(crs.to_wkt(), src_crs_rio, *b, densify_pts=21))
            win = from_bounds(*b, transform=src.transform).round_offsets().round_lengths()
            col0 = max(int(win.col_off) - 1, 0)
            row0 = max(int(win.row_off) - 1, 0)
            col1 = min(int(win.col_off + win.width) + 2, src.width)
            row1 = min(int(win.row_off + win.height) + 2, src.height)
            if col1 <= col0 or row1 <= row0:
                warnings.warn(f"{path.name}: the DEM does not cover the district; elevations are unknown",
                              DataWarning, stacklevel=2)
                return Dem(np.full((1, 1), np.nan), src.transform, crs or src_crs)
            window = Window(col0, row0, col1 - col0, row1 - row0)
        rows, cols = (src.height, src.width) if window is None else (int(window.height), int(window.width))
        out_shape = None
        if max_pixels is not None and max(rows, cols) > max_pixels:
            f = math.ceil(max(rows, cols) / max_pixels)
            out_shape = (max(1, math.ceil(rows / f)), max(1, math.ceil(cols / f)))
        raw = src.read(1, window=window, out_shape=out_shape, resampling=Resampling.nearest)
        transform = src.transform
        if window is not None:  # (rasterio's window_transform warns with affine >= 3.1)
            t = transform
            transform = Affine(t.a, t.b, t.c + window.col_off * t.a + window.row_off * t.b,
                               t.d, t.e, t.f + window.col_off * t.d + window.row_off * t.e)
        if out_shape is not None:  # coarser cells over the same extent
            sx, sy = cols / out_shape[1], rows / out_shape[0]
            t = transform
            transform = Affine(t.a * sx, t.b * sy, t.c, t.d * sx, t.e * sy, t.f)
        z = clean_elevations(raw, declared, where=path.name)
        if crs is None or src_crs is None or src_crs.equals(crs):
            return Dem(z, transform, src_crs)
        h, w = z.shape
        left, top = transform.c, transform.f
        right, bottom = transform.c + transform.a * w, transform.f + transform.e * h
        with warnings.catch_warnings():  # rasterio 1.4 uses affine's deprecated `*` inside
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            dst_t, dst_w, dst_h = calculate_default_transform(
                src_crs_rio, crs.to_wkt(), w, h, left=left, bottom=bottom, right=right, top=top)
            dst = np.full((dst_h, dst_w), np.nan)
            reproject(z, dst, src_transform=transform, src_crs=src_crs_rio, src_nodata=np.nan,
                      dst_transform=dst_t, dst_crs=crs.to_wkt(), dst_nodata=np.nan,
                      resampling=Resampling.bilinear)
        log.info("DEM %s warped from %s to %s", path.name, src_crs.name, crs.name)
        return Dem(dst, dst_t, crs)


def densify_segments(
    starts: np.ndarray, ends: np.ndarray, *, step_m: float, stretch: np.ndarray | float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample points every ``step_m`` along straight segments (vectorised).

    Parameters
    ----------
    starts, ends
        Arrays (n, 2) of segment ends, working CRS (m).
    step_m
        Spacing of the samples along the (stretched) route (m): samples at 0, step,
        2·step … and at the end (the last interval may be shorter), so the samples of a
        shorter segment in the same direction are a prefix of those of a longer one.
    stretch
        Factor (≥ 1) by which the route is longer than the straight segment (detour factor);
        the returned distances ``s`` run along the stretched route.

    Returns
    -------
    line_idx, s, xy
        For every sample: the segment index, the distance along the route from the start
        (m) and its coordinates (m).  Samples of one segment are contiguous and ordered.
    """
    starts = np.asarray(starts, dtype=float).reshape(-1, 2)
    ends = np.asarray(ends, dtype=float).reshape(-1, 2)
    stretch = np.broadcast_to(np.asarray(stretch, dtype=float), (len(starts),))
    length = np.hypot(*(ends - starts).T) * stretch
    idx, s = _stations(length, step_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length[idx] > 0, s / np.where(length[idx] > 0, length[idx], 1.0), 0.0)
    xy = starts[idx] + t[:, None] * (ends[idx] - starts[idx])
    return idx, s, xy


def _stations(length: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Line index and distance of samples at 0, step, 2·step … and the end of each line."""
    n = np.ceil(length / step_m).astype(np.int64) + 1
    idx = np.repeat(np.arange(len(length)), n)
    first = np.cumsum(n) - n
    k = np.arange(idx.size) - first[idx]
    return idx, np.minimum(k * step_m, length[idx])


def densify_lines(lines: np.ndarray, *, step_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample points every ``step_m`` along LineStrings (vectorised numpy).

    Parameters
    ----------
    lines
        Array of shapely LineStrings, working CRS (m).
    step_m
        Spacing (m): samples at 0, step, 2·step … and at the line's end.

    Returns
    -------
    line_idx, s, xy
        As :func:`densify_segments`.
    """
    lines = np.asarray(lines, dtype=object)
    coords, vline = shapely.get_coordinates(lines, return_index=True)
    seg = np.hypot(*np.diff(coords, axis=0).T)
    seg[vline[1:] != vline[:-1]] = 0.0  # no segment between two lines
    pos = np.r_[0.0, np.cumsum(seg)]  # distance of every vertex along all lines in a row
    nv = np.bincount(vline, minlength=len(lines))
    first_v = np.cumsum(nv) - nv
    last_v = first_v + nv - 1
    length = pos[last_v] - pos[first_v]
    idx, s = _stations(length, step_m)
    g = pos[first_v[idx]] + s
    k = np.searchsorted(pos, g, side="right") - 1
    k = np.clip(k, first_v[idx], np.maximum(last_v[idx] - 1, first_v[idx]))
    span = pos[k + 1] - pos[k] if len(pos) > 1 else np.zeros(len(k))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(span > 0, (g - pos[k]) / np.where(span > 0, span, 1.0), 0.0)
    t = np.clip(t, 0.0, 1.0)
    nxt = np.minimum(k + 1, len(coords) - 1)
    xy = coords[k] + t[:, None] * (coords[nxt] - coords[k])
    return idx, s, xy


def anchor_elevations(dem: Dem, xy: np.ndarray, ids: Any, *, where: str, note: str = "") -> np.ndarray:
    """Elevations (m) at village anchors ``xy``; anchors in no-data cells (NaN) are named
    by their ``ids`` in a :class:`~geo_env.errors.DataWarning` (``where``: the DEM's name,
    ``note``: what follows for them)."""
    z = dem.sample(xy)
    lost = np.isnan(z)
    if lost.any():
        warnings.warn(f"{where}: {int(lost.sum())} village anchor(s) lie where the DEM has no data "
                      f"({format_rows(list(np.asarray(ids)[lost]))}){note}", DataWarning, stacklevel=3)
    return z


def zonal_mean(
    grid: np.ndarray, transform: Affine, polygons: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``grid`` over the cells whose centres fall in each polygon.

    Parameters
    ----------
    grid
        Values (rows, cols); ``NaN`` cells are ignored.
    transform
        The grid's affine transform.
    polygons
        Array of shapely geometries in the grid's CRS; non-polygons get no cells.  Where
        polygons overlap, a cell counts for the later one.

    Returns
    -------
    mean, count
        Per polygon: the mean (``NaN`` when no valid cell) and the number of valid cells.
    """
    from rasterio.features import rasterize

    polygons = np.asarray(polygons, dtype=object)
    n = len(polygons)
    is_poly = np.isin(shapely.get_type_id(polygons), [3, 6])
    shapes = [(g, i + 1) for i, g in enumerate(polygons) if is_poly[i]]
    if not shapes:
        return np.full(n, np.nan), np.zeros(n, dtype=np.int64)
    labels = rasterize(shapes, out_shape=grid.shape, transform=transform, fill=0, dtype="int32")
    valid = (labels > 0) & np.isfinite(grid)
    lab = labels[valid] - 1
    total = np.bincount(lab, weights=grid[valid], minlength=n)
    count = np.bincount(lab, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return mean, count
