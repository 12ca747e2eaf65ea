"""Household-level straight coverage at province scale: every building or household point to its
nearest collection point or transfer station, over a partitioned GeoParquet (dask-geopandas).

A province's assessment (考核) counts households, and building layers hold tens of millions
of points: more than one process holds comfortably.  The work is split in two:

* the kernel, :func:`coverage_partition`: one partition (a GeoDataFrame of points, or of
  building footprints, taken at their centroids) against the collection points, with a
  :class:`scipy.spatial.cKDTree` — the planar distance (m, in the data's projected CRS) to
  the nearest point, its id, and whether it lies within the service radius.  Vectorised;
  memory is that of the partition and the tree;
* the driver, :func:`household_coverage`: ``dask_geopandas.read_parquet`` of the buildings,
  the kernel over every partition (``map_partitions``; the tree is built once and shared by
  every task), the result written back as GeoParquet (one file per partition) and the
  counts per group (``by``: a county or township column) summed from small per-partition
  tables.  Peak memory is bounded by the partition size and the number of workers, not by
  the province.

:func:`write_partitioned` writes a building layer as a spatially partitioned GeoParquet
(Hilbert order, ``spatial_shuffle``), so that each partition is a compact area and its
points query a warm part of the tree.

Distances are straight lines in the buildings' CRS, which must be projected and in metres
(see docs/DESIGN.md, "Geometry rules": in a CGCS2000 3° zone the scale error is below 0.03 %;
a province-wide zone stays below the 0.5 % limit within about 4.5° of its meridian, which is
checked where the partitions' extents are known).  Dask is imported inside the driver only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import ColumnNotFoundError, CRSError, DataValueError, EmptyLayerError, GeoEnvError, ProjectFileError

__all__ = ["COLUMNS", "nearest", "coverage_partition", "household_weights", "partition_counts", "household_coverage",
           "write_partitioned", "HouseholdCoverage"]

#: The columns the kernel adds: nearest point's id, straight distance (m), within the radius.
COLUMNS = ("collection_point_id", "collection_distance_m", "collection_covered")


def nearest(xy: np.ndarray, tree: Any) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) and index of the nearest point of ``tree`` (a cKDTree) for each row of
    ``xy`` ((n, 2), same CRS); rows with a NaN coordinate get NaN and -1."""
    d = np.full(len(xy), np.nan)
    i = np.full(len(xy), -1, dtype=np.int64)
    ok = np.isfinite(xy).all(axis=1)
    if ok.any():
        d[ok], i[ok] = tree.query(xy[ok], k=1)
    return d, i


def _points_xy(geoms: np.ndarray) -> np.ndarray:
    """(n, 2) coordinates of points, or of footprints' centroids; NaN for missing/empty."""
    kind = shapely.get_type_id(geoms)  # -1: missing
    xy = np.full((len(geoms), 2), np.nan)
    empty = shapely.is_empty(geoms)
    point = (kind == 0) & ~empty
    if point.any():
        xy[point, 0], xy[point, 1] = shapely.get_x(geoms[point]), shapely.get_y(geoms[point])
    other = (kind > 0) & ~empty
    if other.any():
        c = shapely.centroid(geoms[other])
        xy[other, 0], xy[other, 1] = shapely.get_x(c), shapely.get_y(c)
    return xy


def coverage_partition(part: gpd.GeoDataFrame, tree: Any, ids: np.ndarray, radius_m: float) -> gpd.GeoDataFrame:
    """The kernel: ``part`` with :data:`COLUMNS` added (a copy; same index and CRS).

    Parameters
    ----------
    part
        Building or household points (or footprints: their centroids), projected CRS in m.
    tree
        :class:`scipy.spatial.cKDTree` of the collection points, same CRS.
    ids
        The collection points' ids, in the tree's order.
    radius_m
        Service radius (m): covered when the distance is at most this.
    """
    d, i = nearest(_points_xy(np.asarray(part.geometry.values)), tree)
    out = part.copy()
    out[COLUMNS[0]] = pd.Series(np.where(i >= 0, np.asarray(ids, dtype=object)[np.maximum(i, 0)], None),
                                index=part.index, dtype=object).astype("string")
    out[COLUMNS[1]] = d
    out[COLUMNS[2]] = d <= radius_m  # NaN is never covered
    return out


def household_weights(part: pd.DataFrame, weight: str) -> np.ndarray:
    """Households per point from the column ``weight``: a blank cell counts one household
    (as a blank 户数 of a household layer does); text that is no number, or a negative
    number, is a :class:`DataValueError` naming the column and the value."""
    raw = part[weight]
    text = raw.astype("string").str.strip()
    blank = raw.isna().to_numpy() | text.isna().to_numpy() | (text == "").fillna(True).to_numpy(dtype=bool)
    values = pd.to_numeric(raw.where(~blank), errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~blank & (~np.isfinite(values) | (values < 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f" (point {part['id'].iloc[i]!r})" if "id" in part.columns else ""
        raise DataValueError(f"{weight} must be a number of households of 0 or more, not {raw.iloc[i]!r}{where}; "
                             f"{int(bad.sum())} such value(s) in this partition", column=weight,
                             hint="fix those cells (a blank cell counts one household)")
    values[blank] = 1.0
    return values


def partition_counts(part: pd.DataFrame, by: str | None, weight: str | None) -> pd.DataFrame:
    """Per group of ``by`` (all rows: ``"all"``): ``points covered households
    households_covered distance_sum_m`` of one covered partition (summed afterwards)."""
    w = np.ones(len(part)) if weight is None else household_weights(part, weight)
    cov = part[COLUMNS[2]].to_numpy(dtype=bool)
    dist = part[COLUMNS[1]].to_numpy(dtype=float)
    frame = pd.DataFrame({
        "group": part[by].astype(str).to_numpy() if by else np.full(len(part), "all", dtype=object),
        "points": np.ones(len(part), dtype=np.int64), "covered": cov.astype(np.int64),
        "households": w, "households_covered": w * cov, "distance_sum_m": np.nan_to_num(dist),
        "distance_known": np.isfinite(dist).astype(np.int64)})
    return frame.groupby("group", sort=True).sum()


@dataclass
class HouseholdCoverage:
    """What :func:`household_coverage` wrote and counted.

    ``table``: per group (``by``) — ``points covered households households_covered
    coverage_rate`` (households covered ÷ households) ``mean_distance_m``; ``out``: the
    GeoParquet folder written; ``partitions``: how many.
    """

    table: pd.DataFrame
    out: Path
    partitions: int
    radius_m: float


def _metric_crs(crs: Any, where: Path) -> pyproj.CRS:
    from ..crs import projected_metric_crs

    if crs is None:
        raise CRSError("the buildings have no CRS", file=where,
                       hint="write them with a projected CRS in metres, e.g. the CGCS2000 3° zone (EPSG:4526–4554)")
    try:
        return projected_metric_crs(crs)
    except ProjectFileError:
        raise CRSError(f"the buildings are in {pyproj.CRS(crs).name}, not in a projected CRS in metres", file=where,
                       hint="reproject them (e.g. to the CGCS2000 3° zone of the province's middle) before "
                            "partitioning") from None


def _check_extent(ddf: Any, crs: pyproj.CRS, where: Path) -> None:
    """The CRS's scale error at the corners of the partitions' extent (when known)."""
    from ..crs import check_scale

    parts = getattr(ddf, "spatial_partitions", None)
    if parts is None or not len(parts):
        return
    x0, y0, x1, y1 = parts.total_bounds
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform([x0, x1, x0, x1], [y0, y0, y1, y1])
    for a, b in zip(lon, lat):
        try:
            check_scale(crs, float(a), float(b))
        except ProjectFileError as exc:
            raise CRSError(f"the buildings' CRS {crs.name} {exc.message}", file=where,
                           hint="split the province by 3° zone, or use the zone of its middle") from None


def _targets(points: gpd.GeoDataFrame, crs: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    from ..crs import to_crs

    if points is None or not len(points):
        raise EmptyLayerError("no collection points", layer="collection_points",
                              hint="give the collection points or transfer stations (a layer with points)")
    pts = to_crs(points, crs, label="collection_points")
    xy = _points_xy(np.asarray(pts.geometry.values))
    ok = np.isfinite(xy).all(axis=1)
    if not ok.any():
        raise EmptyLayerError("no collection point has a location", layer="collection_points")
    ids = (pts["id"].astype(str) if "id" in pts.columns else pd.Series(pts.index.astype(str))).to_numpy(dtype=object)
    return xy[ok], ids[ok]


def _meta(ddf: Any) -> gpd.GeoDataFrame:
    meta = ddf._meta.copy()
    meta[COLUMNS[0]] = pd.Series([], dtype="string")
    meta[COLUMNS[1]] = pd.Series([], dtype=float)
    meta[COLUMNS[2]] = pd.Series([], dtype=bool)
    return meta


def household_coverage(buildings: str | Path, points: gpd.GeoDataFrame, out: str | Path, *,
                       radius_m: float | None = None, by: str | None = None, weight: str | None = None,
                       client: Any = None) -> HouseholdCoverage:
    """Straight coverage of every building/household point, partition by partition.

    Parameters
    ----------
    buildings
        A GeoParquet folder (or file) of points or footprints, projected CRS in metres,
        ideally written by :func:`write_partitioned` (spatially partitioned).
    points
        The collection points or transfer stations (``id`` column; any CRS with a
        transformation to the buildings').
    out
        The GeoParquet folder to write: the buildings with :data:`COLUMNS` added.
    radius_m
        Service radius (m); default ``[waste] service_radius_m`` (GB/T 51435-2021 §4.4.2).
    by
        A column to count by (``county``, ``township``); default: one row ``all``.
    weight
        A column of households per point (default: each point is one household).
    client
        A :class:`distributed.Client` to run on; default: the current one, else Dask's
        default scheduler.

    Returns
    -------
    HouseholdCoverage
    """
    import dask
    from scipy.spatial import cKDTree

    from ..standards import defaults

    src, dst = Path(buildings), Path(out)
    _check_target(dst, src)
    radius = float(defaults("waste")["service_radius_m"] if radius_m is None else radius_m)
    if not np.isfinite(radius) or radius <= 0:
        raise GeoEnvError(f"radius_m = {radius_m!r} must be a distance above 0 (m)")
    ddf = _read(src)
    crs = _metric_crs(ddf.crs, src)
    _check_extent(ddf, crs, src)
    for col in (by, weight):
        if col is not None and col not in ddf.columns:
            raise ColumnNotFoundError(f"no column '{col}'", file=src, column=col,
                                      hint=f"columns: {', '.join(map(str, ddf.columns))}")
    xy, ids = _targets(points, crs)
    tree = dask.delayed(cKDTree, pure=True)(xy)  # built once, shared by every task
    covered = ddf.map_partitions(coverage_partition, tree, ids, radius, meta=_meta(ddf))
    counts = covered.map_partitions(partition_counts, by, weight, meta=_counts_meta())
    with _staged(dst) as stage:  # the previous result stays whole until this one is
        write = covered.to_parquet(stage, compute=False, write_index=False)
        _, table = dask.compute(write, counts, **({} if client is None else {"scheduler": client}))
    return HouseholdCoverage(table=_summarise(table), out=dst, partitions=ddf.npartitions, radius_m=radius)


def _read(src: Path) -> Any:
    import dask_geopandas

    if not src.exists():
        from ..errors import InputFileNotFoundError

        raise InputFileNotFoundError("buildings GeoParquet not found", file=src,
                                     hint="write it with geo_env.analysis.households.write_partitioned")
    try:
        return dask_geopandas.read_parquet(src)
    except (ValueError, OSError, TypeError) as exc:
        raise GeoEnvError(f"cannot be read as GeoParquet ({exc})", file=src,
                          hint="give the folder that write_partitioned (or dask-geopandas to_parquet) wrote") from None


def _counts_meta() -> pd.DataFrame:
    cols = {"points": "int64", "covered": "int64", "households": "float64", "households_covered": "float64",
            "distance_sum_m": "float64", "distance_known": "int64"}
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in cols.items()},
                        index=pd.Index([], name="group", dtype=object))


def _summarise(parts: pd.DataFrame) -> pd.DataFrame:
    """The per-partition count tables (concatenated) summed by group, with the rates."""
    table = parts.groupby(level=0, sort=True).sum()
    table["coverage_rate"] = table["households_covered"] / table["households"].where(table["households"] > 0)
    table["mean_distance_m"] = table["distance_sum_m"] / table["distance_known"].where(table["distance_known"] > 0)
    return table.drop(columns=["distance_sum_m", "distance_known"])


def write_partitioned(buildings: gpd.GeoDataFrame | str | Path, out: str | Path, *, npartitions: int,
                      crs: Any = None) -> Path:
    """Write buildings as a spatially partitioned GeoParquet (Hilbert order).

    ``buildings``: a GeoDataFrame, or a vector file read in ``npartitions`` chunks (pyogrio);
    ``crs``: reproject to it first (a projected CRS in metres; default: keep the data's,
    which must be one).  Returns ``out``.
    """
    import dask_geopandas

    if isinstance(buildings, gpd.GeoDataFrame):
        ddf = dask_geopandas.from_geopandas(buildings, npartitions=npartitions)
    else:
        ddf = dask_geopandas.read_file(buildings, npartitions=npartitions)
    if crs is not None:
        ddf = ddf.to_crs(_metric_crs(crs, Path(str(out))))
    _metric_crs(ddf.crs, Path(str(out)))
    _check_target(Path(out), None if isinstance(buildings, gpd.GeoDataFrame) else Path(buildings))
    with _staged(Path(out)) as stage:
        ddf.spatial_shuffle(by="hilbert", npartitions=npartitions).to_parquet(stage, write_index=False)
    return Path(out)


#: What a GeoParquet folder written by Dask holds (a folder of anything else is refused).
_PARQUET_FILES = (".parquet",)
_PARQUET_NAMES = ("_metadata", "_common_metadata", "_SUCCESS")


def _check_target(dst: Path, src: Path | None) -> None:
    """``dst`` may be new, or a GeoParquet folder (a previous result, replaced whole); never
    a file, a folder holding other files, nor the input or a folder holding it."""
    from ..errors import OutputError

    if src is not None:
        s, d = src.resolve(), dst.resolve()
        if s == d or d in s.parents:
            raise OutputError("is the input or holds it; the result would replace its own input", file=dst,
                              hint="give another --out folder")
    if not dst.exists():
        return
    if not dst.is_dir():
        raise OutputError("is a file, where the result (a GeoParquet folder) goes", file=dst,
                          hint="give a new folder, or one a previous run wrote")
    other = sorted(p.name for p in dst.iterdir()
                   if not (p.is_file() and (p.suffix.lower() in _PARQUET_FILES or p.name in _PARQUET_NAMES)))
    if other:
        raise OutputError(f"holds files that are not GeoParquet parts ({', '.join(other[:5])}"
                          f"{' …' if len(other) > 5 else ''}); it is replaced whole, so they would be lost",
                          file=dst, hint="give a new folder, or one a previous run wrote")


@contextmanager
def _staged(dst: Path) -> Iterator[Path]:
    """A fresh sibling folder to write into; on success it replaces ``dst`` (the old folder
    moved aside, then removed), on failure it is removed and ``dst`` is as it was."""
    import os
    import shutil

    stage = dst.with_name(f".{dst.name}.geo_env-{os.getpid()}")
    old = dst.with_name(f".{dst.name}.geo_env-{os.getpid()}-old")
    for p in (stage, old):
        shutil.rmtree(p, ignore_errors=True)
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if dst.exists():
        dst.rename(old)
    try:
        stage.rename(dst)
    except OSError:
        if old.exists() and not dst.exists():
            old.rename(dst)
        shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
