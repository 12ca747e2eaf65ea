# size: one generator of one synthetic district, every layer drawn from one seeded stream (the baseline from a second)
"""The sample district's generator: a deterministic synthetic district (示例区, 合成数据).

``python tools/make_sample.py OUTDIR`` (or ``make sample``) writes it; the copy committed in
``data/sample/`` is what :func:`geo_env.sample_district` loads, through
:func:`geo_env.load_project` like any project.  The generator is a tool of the repository,
not part of the package: the package ships the files.  Every layer is made up: the
district is placed in the hills of north-eastern Jiangxi (around 117.5°E, 28.4°N) so that
its coordinates, terrain and names look like a real county's, but no feature describes a
real place.

The layers are stored the way planners hand them over, so that the readers are exercised
on realistic files: a GBK shapefile without ``.cpg`` for the villages, an ``.xlsx`` with
Amap (GCJ-02) coordinates for the transfer stations, a GBK CSV exported by Excel for the
livestock farms, a GeoPackage for the roads, GeoJSON for the sewage plants, water and
no-farming zones, and a deflate-compressed GeoTIFF for the DEM.

Everything is derived from one seeded :class:`numpy.random.Generator`, but the status
baseline (现状: sewage status, sanitary toilets, waste collection, facility status, manure
facilities), which comes from a second one created after every other layer is built, so
that adding it changed none of the earlier values; regenerating writes byte-identical
files (tested).
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import LineString, Point, Polygon

from geo_env._geometry import anchor_points

__all__ = ["FILES", "SEED", "SampleLayers", "build_sample", "write_sample"]

log = logging.getLogger(__name__)

#: Seed of the one random generator every sample layer is drawn from.
SEED = 20241128

#: Working CRS of the sample: CGCS2000 / 3-degree Gauss-Krüger CM 117E (metres).
WORK_EPSG = 4548
#: CGCS2000 geographic (lon/lat degrees), the CRS of the villages shapefile.
CGCS2000_EPSG = 4490
#: WGS84 geographic (lon/lat degrees), the CRS of the GeoJSON layers and the CSV.
WGS84_EPSG = 4326

#: District centre in EPSG:4548 (metres): about 117.50°E, 28.39°N.
CENTER = (549_000.0, 3_142_500.0)

#: DEM cell size (m).
DEM_RES_M = 30.0
DEM_NODATA = -32768

#: Regional code of the synthetic county in 统计用区划代码 style: 36 Jiangxi, 11 上饶市,
#: 99 (not the code of any county).
COUNTY_CODE = "361199"

#: Mu per square metre (1 亩 = 666.67 m²).
MU_PER_M2 = 0.0015

NOTE_ZH = "合成数据，仅供演示"

FILES = (
    "villages.shp",
    "villages.shx",
    "villages.dbf",
    "villages.prj",
    "transfer_stations.xlsx",
    "livestock_farms.csv",
    "sewage_plants.geojson",
    "water.geojson",
    "prohibited_zones.geojson",
    "roads.gpkg",
    "dem.tif",
    "waste_facilities.csv",
    "buildings.gpkg",
    "collection_points.geojson",
    "project.toml",
    "README.md",
)


@dataclass(frozen=True)
class _Township:
    code: str  # 3 digits: 街道 001-099, 镇 100-199 (统计用区划代码)
    name: str
    dx_km: float  # centre, km east of CENTER
    dy_km: float  # centre, km north of CENTER

    @property
    def xy(self) -> tuple[float, float]:
        return CENTER[0] + 1000.0 * self.dx_km, CENTER[1] + 1000.0 * self.dy_km

    @property
    def root(self) -> str:
        return self.name.removesuffix("街道").removesuffix("镇")


TOWNSHIPS = (
    _Township("001", "东城街道", 7.6, 0.95),
    _Township("002", "西城街道", 4.4, 0.8),
    _Township("003", "南城街道", 6.4, -2.9),
    _Township("004", "北城街道", 6.0, 3.6),
    _Township("101", "石门镇", -4.4, -0.6),
    _Township("102", "青溪镇", -1.6, 5.6),
    _Township("103", "港口镇", 1.6, -6.0),
)

# Main river (龙溪河) and tributary (杨坑水) waypoints, km from CENTER, upstream first.
_RIVER_KM = [(-17.5, 3.8), (-12.5, 3.4), (-9.8, 2.6), (-7.8, 1.9), (-5.9, 0.8), (-4.2, 0.0),
             (-1.2, 0.9), (1.0, 0.1), (3.2, 0.5), (5.6, 0.2), (7.6, 0.45), (10.5, -0.3),
             (17.5, -0.7)]
_BASIN_KM = (-7.6, 1.7)  # centre of the reservoir's basin
_DAM_INDEX = 4  # the dam of 石门水库 is at this waypoint
_TRIBUTARY_KM = [(-3.4, 13.5), (-2.4, 8.5), (-0.4, 4.2)]  # joins the river at waypoint 6


@dataclass
class SampleLayers:
    """The sample district's true layers in memory, in EPSG:4548 (metres).

    These are the positions before they are stored the way planners store them (the
    transfer stations' file holds GCJ-02 coordinates computed from ``transfer_stations``).
    """

    district: Polygon
    villages: gpd.GeoDataFrame
    transfer_stations: gpd.GeoDataFrame
    sewage_plants: gpd.GeoDataFrame
    livestock_farms: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    prohibited_zones: gpd.GeoDataFrame
    dem: np.ndarray  # int16, DEM_NODATA outside the district
    dem_transform: tuple[float, float, float, float, float, float]
    facts: dict[str, object]
    # the waste chain (issue 14), drawn last from its own generator
    waste_facilities: gpd.GeoDataFrame | None = None
    collection_points: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None


# ------------------------------------------------------------------------------------------
# small geometry helpers
# ------------------------------------------------------------------------------------------
def _km(points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Offsets in km from CENTER → EPSG:4548 coordinates (m), shape (n, 2)."""
    return np.asarray(CENTER) + 1000.0 * np.asarray(points, dtype=float)


def _wiggle_line(xy: np.ndarray, rng: np.random.Generator, *, step_m: float, amp: float,
                 max_m: float) -> np.ndarray:
    """Densify a polyline and offset it along its normals by a smooth random amount.

    The offset is ``Σ a_k sin(kπt)``, k = 1…4, of the normalised arc length ``t``, so both
    ends stay exactly where they are; ``a_k`` has standard deviation ``amp`` × line length
    / k^1.2, and the offset is capped at ``max_m`` metres.  Returns coordinates (m).
    """
    xy = shapely.get_coordinates(shapely.segmentize(LineString(xy), step_m))
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    tangent = np.gradient(xy, s, axis=0)
    tangent /= np.maximum(np.hypot(*tangent.T), 1e-12)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    k = np.arange(1, 5)
    coef = rng.normal(0.0, 1.0, k.size) * amp * s[-1] / k**1.2
    off = np.clip(np.sin(np.pi * np.outer(s / s[-1], k)) @ coef, -max_m, max_m)
    off[[0, -1]] = 0.0
    return xy + off[:, None] * normal


def _wiggle(coords: np.ndarray, rng: np.random.Generator, *, step_m: float, amp: float,
            max_m: float) -> np.ndarray:
    """:func:`_wiggle_line` leg by leg, so every given vertex stays exactly in place."""
    legs = [_wiggle_line(coords[i:i + 2], rng, step_m=step_m, amp=amp, max_m=max_m)
            for i in range(len(coords) - 1)]
    return np.vstack([legs[0], *(leg[1:] for leg in legs[1:])])


def _linestrings(coords: Sequence[np.ndarray]) -> np.ndarray:
    """Object array of LineStrings from coordinate arrays of different lengths."""
    out = np.empty(len(coords), dtype=object)
    out[:] = [LineString(c) for c in coords]
    return out


# ------------------------------------------------------------------------------------------
# boundary, terrain, water
# ------------------------------------------------------------------------------------------
def _boundary(rng: np.random.Generator) -> Polygon:
    """A plausible irregular district outline (≈ 29 km × 21 km) around CENTER."""
    theta = np.linspace(0.0, 2.0 * np.pi, 240, endpoint=False)
    a, b = 14_600.0, 10_600.0
    r = a * b / np.hypot(b * np.cos(theta), a * np.sin(theta))
    k = np.arange(2, 13)
    c = rng.normal(0.0, 1.0, k.size) * 0.09 / k**0.8
    phase = rng.uniform(0.0, 2.0 * np.pi, k.size)
    r = r * (1.0 + np.cos(np.outer(theta, k) + phase) @ c)
    xy = np.column_stack([CENTER[0] + r * np.cos(theta), CENTER[1] + r * np.sin(theta)])
    return Polygon(xy)


@dataclass(frozen=True)
class _Terrain:
    """Smooth random land surface: hills in the west, a plain in the east (metres)."""

    k_hill: np.ndarray  # (n, 2) wave vectors, rad/km
    ph_hill: np.ndarray
    a_hill: np.ndarray
    k_plain: np.ndarray
    ph_plain: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator) -> _Terrain:
        n = 48
        wavelength = np.exp(rng.uniform(np.log(0.7), np.log(14.0), n))  # km
        ang = rng.uniform(0.0, np.pi, n)
        k = (2 * np.pi / wavelength)[:, None] * np.column_stack([np.cos(ang), np.sin(ang)])
        ph = rng.uniform(0.0, 2 * np.pi, n)
        amp = wavelength**0.6
        m = 8
        wl2 = rng.uniform(3.0, 9.0, m)
        ang2 = rng.uniform(0.0, np.pi, m)
        k2 = (2 * np.pi / wl2)[:, None] * np.column_stack([np.cos(ang2), np.sin(ang2)])
        return cls(k, ph, amp, k2, rng.uniform(0.0, 2 * np.pi, m))

    @staticmethod
    def hilliness(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """0 on the plain (east) … 1 in the hills (west)."""
        u = (np.asarray(x) - CENTER[0]) / 1000.0
        v = (np.asarray(y) - CENTER[1]) / 1000.0
        front = -1.5 + 1.4 * np.sin(v / 4.0 + 0.6)
        return 1.0 / (1.0 + np.exp((u - front) / 1.7))

    def land(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Land elevation (m) at points, before rivers carve their valleys."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        uv = np.stack([(x - CENTER[0]) / 1000.0, (y - CENTER[1]) / 1000.0], axis=-1)
        hill = np.cos(uv @ self.k_hill.T + self.ph_hill) @ self.a_hill
        plain = np.cos(uv @ self.k_plain.T + self.ph_plain).sum(axis=-1)
        return self._combine(hill, plain, self.hilliness(x, y))

    def land_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """:meth:`land` on the grid ``ys × xs`` (rows × columns), computed separably.

        ``cos(kx·u + ky·v + φ) = Re(e^{i ky v} · e^{i (kx u + φ)})``, so each sum of waves
        is one complex matrix product instead of a cosine per pixel and wave.
        """
        u = (np.asarray(xs) - CENTER[0]) / 1000.0
        v = (np.asarray(ys) - CENTER[1]) / 1000.0

        def waves(k: np.ndarray, ph: np.ndarray, amp: np.ndarray) -> np.ndarray:
            rows = np.exp(1j * np.outer(v, k[:, 1]))
            cols = np.exp(1j * (np.outer(u, k[:, 0]) + ph)) * amp
            return (rows @ cols.T).real

        hill = waves(self.k_hill, self.ph_hill, self.a_hill)
        plain = waves(self.k_plain, self.ph_plain, np.ones(len(self.ph_plain)))
        gx, gy = np.meshgrid(xs, ys)
        return self._combine(hill, plain, self.hilliness(gx, gy))

    def _combine(self, hill: np.ndarray, plain: np.ndarray, w: np.ndarray) -> np.ndarray:
        n01 = np.clip(0.5 + 1.0 * hill / self.a_hill.sum(), 0.0, 1.0)
        return 40.0 + 5.0 * plain / len(self.ph_plain) + w * (110.0 + 600.0 * n01**1.5)


def _rivers(rng: np.random.Generator) -> tuple[LineString, LineString]:
    """The main river and its tributary (unclipped, upstream → downstream)."""
    main = _wiggle(_km(_RIVER_KM), rng, step_m=80.0, amp=0.07, max_m=600.0)
    trib_pts = np.vstack([_km(_TRIBUTARY_KM), _km(_RIVER_KM)[6:7]])
    trib = _wiggle(trib_pts, rng, step_m=80.0, amp=0.05, max_m=350.0)
    return LineString(main), LineString(trib)


def _bed_profile(line: LineString, terrain: _Terrain, *, floor_m: float) -> np.ndarray:
    """River-bed elevation (m) at each vertex: smoothed, never rising downstream."""
    xy = shapely.get_coordinates(line)
    raw = 31.0 + 0.30 * (terrain.land(xy[:, 0], xy[:, 1]) - 31.0)
    kernel = np.ones(31) / 31.0
    smooth = np.convolve(np.pad(raw, 15, mode="edge"), kernel, mode="valid")
    bed = np.minimum.accumulate(smooth)
    return np.maximum(bed, floor_m)


@dataclass
class _Grid:
    x0: float  # west edge (m)
    y0: float  # north edge (m)
    nx: int
    ny: int

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        return (DEM_RES_M, 0.0, self.x0, 0.0, -DEM_RES_M, self.y0)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        xs = self.x0 + DEM_RES_M * (np.arange(self.nx) + 0.5)
        ys = self.y0 - DEM_RES_M * (np.arange(self.ny) + 0.5)
        return xs, ys


def _carve(z: np.ndarray, grid: _Grid, line: LineString, bed: np.ndarray) -> np.ndarray:
    """Lower ``z`` (in place) into a valley along ``line`` whose floor follows ``bed``.

    The valley's cross-section is ``bed + (z - bed)(1 - exp(-(d/W)²))`` with ``d`` the
    distance to the river and ``W`` 250 m on the plain to 650 m in the hills.  Works
    segment by segment on the pixels within 2 km.  Returns, per pixel, the along-river
    distance (m) of the nearest river point (NaN farther than 2 km).
    """
    full_s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(
        shapely.get_coordinates(line), axis=0).T))])
    coarse = line.simplify(12.0)  # fewer, longer segments: same valley, less work
    xy = shapely.get_coordinates(coarse)
    s = shapely.line_locate_point(line, shapely.points(xy))
    bed = np.interp(s, full_s, bed)
    xs, ys = grid.centres()
    dmin = np.full(z.shape, np.inf)
    bmin = np.zeros(z.shape)
    smin = np.full(z.shape, np.nan)
    reach = 2000.0
    for i in range(len(xy) - 1):
        (ax, ay), (bx, by) = xy[i], xy[i + 1]
        c0 = max(int((min(ax, bx) - reach - grid.x0) // DEM_RES_M), 0)
        c1 = min(int((max(ax, bx) + reach - grid.x0) // DEM_RES_M) + 1, grid.nx)
        r0 = max(int((grid.y0 - max(ay, by) - reach) // DEM_RES_M), 0)
        r1 = min(int((grid.y0 - min(ay, by) + reach) // DEM_RES_M) + 1, grid.ny)
        if c0 >= c1 or r0 >= r1:
            continue
        px = xs[c0:c1][None, :]
        py = ys[r0:r1][:, None]
        dx, dy = bx - ax, by - ay
        seg2 = dx * dx + dy * dy
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / seg2, 0.0, 1.0)
        d = np.hypot(px - ax - t * dx, py - ay - t * dy)
        win = (slice(r0, r1), slice(c0, c1))
        better = d < dmin[win]
        dmin[win] = np.where(better, d, dmin[win])
        bmin[win] = np.where(better, bed[i] + t * (bed[i + 1] - bed[i]), bmin[win])
        smin[win] = np.where(better, s[i] + t * (s[i + 1] - s[i]), smin[win])
    gx, gy = np.meshgrid(xs, ys)
    width = 250.0 + 400.0 * _Terrain.hilliness(gx, gy)
    hit = np.isfinite(dmin) & (z > bmin)
    f = 1.0 - np.exp(-((dmin / width) ** 2))
    z[hit] = (bmin + (z - bmin) * f)[hit]
    return smin


@dataclass
class _Land:
    """Terrain and water before the villages: elevations (float m) on the DEM grid."""

    grid: _Grid
    z: np.ndarray
    river: LineString  # 龙溪河, unclipped, upstream → downstream
    tributary: LineString  # 杨坑水
    reservoir: Polygon  # 石门水库
    level: float  # its water level (m)


def _terrain_and_water(rng: np.random.Generator, boundary: Polygon) -> _Land:
    """Hills and plain, two rivers in their valleys, and a reservoir flooding a basin."""
    terrain = _Terrain.draw(rng)
    main, trib = _rivers(rng)
    minx, miny, maxx, maxy = boundary.bounds
    pad = 1200.0
    x0 = np.floor((minx - pad) / DEM_RES_M) * DEM_RES_M
    y1 = np.ceil((maxy + pad) / DEM_RES_M) * DEM_RES_M
    grid = _Grid(x0, y1, int(np.ceil((maxx + pad - x0) / DEM_RES_M)),
                 int(np.ceil((y1 - (miny - pad)) / DEM_RES_M)))
    xs, ys = grid.centres()
    z = terrain.land_grid(xs, ys)
    main_bed = _bed_profile(main, terrain, floor_m=33.0)
    main_xy = shapely.get_coordinates(main)
    i_dam = int(np.argmin(np.hypot(*(main_xy - _km(_RIVER_KM)[_DAM_INDEX]).T)))
    level = float(main_bed[i_dam]) + 30.0  # reservoir water level (m)
    # the basin of 石门水库: the hills upstream of the dam sink towards a floor 25 m below
    # the water level; the shore is where this surface crosses the level, lobed by the hills
    bx, by = _km([_BASIN_KM])[0]
    c, s = np.cos(np.radians(-25.0)), np.sin(np.radians(-25.0))
    du, dv = xs[None, :] - bx, ys[:, None] - by
    basin = np.exp(-(((du * c + dv * s) / 2600.0) ** 2 + ((-du * s + dv * c) / 1700.0) ** 2))
    z += basin * (level - 25.0 - z)
    s_near = _carve(z, grid, main, main_bed)
    junction = np.argmin(np.hypot(*(main_xy - shapely.get_coordinates(trib)[-1]).T))
    _carve(z, grid, trib, _bed_profile(trib, terrain, floor_m=float(main_bed[junction])))
    s_dam = float(main.project(Point(main_xy[i_dam])))
    flooded = (z < level) & (s_near < s_dam) & (basin > 0.15)
    return _Land(grid, z, main, trib, _reservoir(flooded, grid, main.interpolate(s_dam - 200.0)),
                 level)


def _reservoir(flooded: np.ndarray, grid: _Grid, inside: Point) -> Polygon:
    """The flooded pixels connected to ``inside``, as a smoothed polygon without islands."""
    from scipy import ndimage

    labels, _ = ndimage.label(flooded)
    label = labels[int((grid.y0 - inside.y) // DEM_RES_M), int((inside.x - grid.x0) // DEM_RES_M)]
    if label == 0:
        raise RuntimeError("sample: the reservoir's seed pixel is not flooded")
    lake = ndimage.binary_opening(ndimage.binary_fill_holes(labels == label), iterations=1)
    poly = _mask_to_polygon(lake, grid)
    poly = poly.buffer(40.0, quad_segs=4).buffer(-55.0, quad_segs=4).simplify(8.0)
    if poly.geom_type != "Polygon":
        poly = max(shapely.get_parts(poly), key=lambda g: g.area)
    return Polygon(poly.exterior)


def _mask_to_polygon(mask: np.ndarray, grid: _Grid) -> Polygon:
    import rasterio.features
    from affine import Affine

    shapes = rasterio.features.shapes(mask.astype(np.uint8), mask=mask,
                                      transform=Affine(*grid.transform))
    polys = [shapely.geometry.shape(g) for g, v in shapes if v == 1]
    return max(polys, key=lambda p: p.area)




# ------------------------------------------------------------------------------------------
# villages: a tiling of the district
# ------------------------------------------------------------------------------------------
def _village_seeds(rng: np.random.Generator, boundary: Polygon, reservoir: Polygon) -> np.ndarray:
    """Village seats (m, EPSG:4548): township centres first, then Poisson-disc points.

    The minimum spacing is 1.2 km on the plain, 2.0 km in the hills and down to 70 % of
    that near township seats, so hill villages are large and villages crowd round towns.
    """
    fixed = np.array([t.xy for t in TOWNSHIPS])
    minx, miny, maxx, maxy = boundary.bounds
    cand = rng.uniform((minx, miny), (maxx, maxy), size=(9000, 2))
    inner = boundary.buffer(-400.0)
    wet = reservoir.buffer(300.0)
    cand = cand[shapely.contains_xy(inner, *cand.T) & ~shapely.contains_xy(wet, *cand.T)]
    spacing = 1220.0 + 800.0 * _Terrain.hilliness(*cand.T)
    d_town = np.min(np.hypot(*(cand[:, None, :] - fixed[None, :, :]).transpose(2, 0, 1)), axis=1)
    spacing *= np.where(d_town < 4000.0, 0.7 + 0.3 * d_town / 4000.0, 1.0)
    seeds = np.empty((len(cand) + len(fixed), 2))
    seeds[: len(fixed)] = fixed
    n = len(fixed)
    for p, r in zip(cand, spacing):  # sequential by nature (dart throwing)
        if np.min(np.hypot(*(seeds[:n] - p).T)) >= r:
            seeds[n] = p
            n += 1
    return seeds[:n]


def _tile(rng: np.random.Generator, seeds: np.ndarray, boundary: Polygon) -> np.ndarray:
    """Polygons tiling ``boundary``, one per seed: Voronoi cells with wiggly edges.

    The cells' edges and the boundary are noded into one set of edges, each edge is
    wiggled once (so neighbours share it exactly) and the edges are polygonized; a face
    without a seed (a cell cut in two by the boundary) joins the neighbour with which it
    shares the longest border.  Returns an object array of Polygons aligned with ``seeds``.
    """
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=boundary.buffer(3000.0), ordered=True))
    noded = shapely.union_all(np.append(shapely.boundary(cells), boundary.exterior))
    edges = shapely.get_parts(noded)
    mid = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    edges = edges[shapely.dwithin(mid, boundary, 1e-6)]
    wiggled = _linestrings([
        _wiggle_line(shapely.get_coordinates(e), rng, step_m=60.0, amp=0.05, max_m=150.0)
        if e.length > 150.0 else shapely.get_coordinates(e)
        for e in edges
    ])
    tree = shapely.STRtree(wiggled)
    bad = np.unique(tree.query(wiggled, predicate="crosses").ravel())
    wiggled[bad] = edges[bad]  # the rare edge that would cross a neighbour stays straight
    faces = shapely.get_parts(shapely.polygonize(wiggled))
    seed_i, face_i = shapely.STRtree(faces).query(shapely.points(seeds), predicate="within")
    if len(np.unique(seed_i)) != len(seeds) or len(np.unique(face_i)) != len(face_i):
        raise RuntimeError("sample: village seeds and cells do not match one to one")
    owner = np.full(len(faces), -1)
    owner[face_i] = seed_i
    for f in np.flatnonzero(owner < 0):  # cut-off pieces (few): give to a neighbour
        shared = shapely.length(shapely.intersection(faces[f].boundary, shapely.boundary(faces)))
        shared[owner < 0] = 0.0
        owner[f] = owner[int(np.argmax(shared))]
    polys = np.empty(len(seeds), dtype=object)
    count = np.bincount(owner, minlength=len(seeds))
    whole = count[owner] == 1
    polys[owner[whole]] = faces[whole]
    for i in np.flatnonzero(count > 1):  # the few villages that got a cut-off piece
        polys[i] = shapely.union_all(faces[owner == i])
    if (shapely.get_type_id(polys) != 3).any():  # 3: Polygon
        raise RuntimeError("sample: a village is not a single polygon")
    return polys


# Syllables of the made-up village names: a first character and a hill or plain ending.
# 坵, 墈 and 塅 (common in Jiangxi place names) are in GBK but not in GB2312, so a reader
# that decodes the villages' DBF as GB2312 garbles them.
_FIRST = ("上下中大小新老东西南北高黄石杨刘陈李王张周吴徐胡朱何罗曾邓余龙凤马白青桃梅竹枫"
          "樟柏松桂荷金银花洪沙蒲芦甘彭汪程叶廖万熊")
_SURNAMES = "黄杨刘陈李王张周吴徐胡朱何罗曾邓余彭汪程叶廖万熊"
_HILL_END = ("坑", "源", "岭", "坳", "坪", "山", "岗", "排", "窝", "垄", "坵", "墈", "峰", "冲")
_PLAIN_END = ("畈", "洲", "塘", "埠", "港", "湾", "桥", "田", "坊", "塅", "家", "湖", "圩", "渡")


def _name_pool(rng: np.random.Generator, endings: Sequence[str]) -> list[str]:
    names = [f + e for f in _FIRST for e in endings if e != "家" or f in _SURNAMES]
    return [names[i] for i in rng.permutation(len(names))]


def _village_names(rng: np.random.Generator, hilly: np.ndarray, reserved: dict[int, str]
                   ) -> list[str]:
    """Unique village names (…村): hill endings for hill villages, plain endings else."""
    pools = {True: _name_pool(rng, _HILL_END), False: _name_pool(rng, _PLAIN_END)}
    taken = {v.removesuffix("村") for v in reserved.values()}
    names = []
    for i, h in enumerate(hilly):
        if i in reserved:
            names.append(reserved[i])
            continue
        pool = pools[bool(h)]
        while pool[-1] in taken:
            pool.pop()
        taken.add(pool[-1])
        names.append(pool.pop() + "村")
    return names


def _villages(rng: np.random.Generator, boundary: Polygon, reservoir: Polygon) -> gpd.GeoDataFrame:
    """The administrative villages (行政村) with their attributes, EPSG:4548.

    Columns: ``id`` (12-digit code), ``name``, ``township``, ``township_code``,
    ``population``, ``households``, ``farmland_mu``, ``seat_x``/``seat_y`` (the village
    seat where its road ends, m), ``hilliness`` (0 plain … 1 hills), ``central``.
    """
    seeds = _village_seeds(rng, boundary, reservoir)
    polys = _tile(rng, seeds, boundary)
    gdf = gpd.GeoDataFrame({"seat_x": seeds[:, 0], "seat_y": seeds[:, 1]}, geometry=polys,
                           crs=WORK_EPSG)
    anchors = anchor_points(gdf)
    centres = np.array([t.xy for t in TOWNSHIPS])
    # nearest seat, 街道 counting 1.6 times farther: subdistricts are the smaller units
    weight = np.array([1.6 if t.name.endswith("街道") else 1.0 for t in TOWNSHIPS])
    dist = np.hypot(*(anchors[:, None, :] - centres[None]).transpose(2, 0, 1)) * weight
    t_idx = np.argmin(dist, axis=1)
    t_idx[: len(TOWNSHIPS)] = np.arange(len(TOWNSHIPS))  # the seats of the townships
    gdf["t_idx"] = t_idx
    parts = shapely.get_num_geometries(gdf.dissolve("t_idx").geometry.values)
    if (parts != 1).any():
        raise RuntimeError("sample: a township is not contiguous; change SEED or the seats")
    gdf["central"] = np.arange(len(gdf)) < len(TOWNSHIPS)
    gdf["hilliness"] = _Terrain.hilliness(*anchors.T)
    # codes: township by township, north to south then west to east (统计用区划代码)
    gdf["_row"] = np.round(-anchors[:, 1] / 1000.0)
    gdf["_x"] = anchors[:, 0]
    gdf = gdf.sort_values(["t_idx", "_row", "_x"], kind="stable")
    rank = gdf.groupby("t_idx").cumcount().to_numpy()
    tcode = np.array([TOWNSHIPS[i].code for i in gdf["t_idx"]])
    gdf["id"] = [f"{COUNTY_CODE}{t}{201 + r:03d}" for t, r in zip(tcode, rank)]
    gdf["township"] = [TOWNSHIPS[i].name for i in gdf["t_idx"]]
    gdf["township_code"] = [f"{COUNTY_CODE}{t}000" for t in tcode]
    gdf = gdf.reset_index(drop=True)

    n = len(gdf)
    w = gdf["hilliness"].to_numpy()
    central = gdf["central"].to_numpy()
    reserved = {i: TOWNSHIPS[t].root + "村" for i, t in enumerate(gdf["t_idx"])
                if central[i] and TOWNSHIPS[t].name.endswith("镇")}
    gdf["name"] = _village_names(rng, w > 0.5, reserved)

    pop = np.exp(rng.normal(np.log(950.0 - 450.0 * w), 0.38))
    pop = np.clip(pop, 300.0, 2600.0)
    pop[central] = rng.uniform(3000.0, 6000.0, central.sum())
    gdf["population"] = np.round(pop).astype(int)
    gdf["households"] = np.round(pop / rng.uniform(3.0, 3.8, n)).astype(int)
    land = gdf.geometry.difference(reservoir).area.to_numpy() * MU_PER_M2
    share = (1 - w) * rng.uniform(0.28, 0.45, n) + w * rng.uniform(0.05, 0.12, n)
    share[central] *= 0.12  # town seats: built up, little farmland left
    gdf["farmland_mu"] = np.round(land * share, 1)
    return gdf.drop(columns=["_row", "_x"])


# ------------------------------------------------------------------------------------------
# roads: county roads through the seats, village roads grown like a tree, then shortcuts
# ------------------------------------------------------------------------------------------
# Waypoints: a township name (its seat, so roads meet there at a shared vertex) or km
# offsets from CENTER.  County roads run past the district edge and are clipped to it.
_COUNTY_ROADS = {
    "X801": [(18.0, 1.3), "东城街道", "西城街道", (1.2, 1.7), (-2.0, 0.2), "石门镇",
             (-8.0, -1.4), (-12.0, -2.4), (-18.0, -2.8)],
    "X802": ["西城街道", (2.2, 3.4), "青溪镇", (-2.6, 9.0), (-3.6, 14.0)],
    "X803": ["东城街道", "南城街道", "港口镇", (0.6, -9.0), (0.2, -14.0)],
    "X804": ["东城街道", "北城街道", (7.2, 8.0), (7.8, 14.0)],
}
_TOWNSHIP_ROADS = {
    "Y001": ["港口镇", (-1.6, -4.2), "石门镇"],
    "Y002": ["青溪镇", (-2.6, 3.0), "石门镇"],
    "Y003": ["西城街道", (5.0, -1.4), "南城街道"],
}
LEVEL_ZH = {"county": "县道", "township": "乡道", "village": "村道"}
#: How a village road's start meets the road it branches from, with probabilities:
#: at a vertex of that road (noded), on one of its segments without a vertex there
#: (a T-junction: needs the snapping rule), or stopping 2–8 m short (digitising slack).
_JOINS = (("noded", 0.72), ("on_segment", 0.18), ("short", 0.10))


def _waypoints(spec: Sequence[str | tuple[float, float]]) -> np.ndarray:
    seats = {t.name: t.xy for t in TOWNSHIPS}
    return np.array([seats[p] if isinstance(p, str) else _km([p])[0] for p in spec])


class _Roads:
    """Road lines under construction: coordinates (m), level, network part and code."""

    def __init__(self) -> None:
        self.coords: list[np.ndarray] = []
        self.level: list[str] = []
        self.part: list[int] = []  # 0: the main network; 1: the cut-off forest roads
        self.join: list[str] = []
        self.target: list[int] = []  # the line a branch starts from (-1: none)
        self.code: list[str] = []

    def add(self, xy: np.ndarray, level: str, *, part: int = 0, join: str = "",
            target: int = -1) -> int:
        prefix = {"county": "X", "township": "Y", "village": "C"}[level]
        self.coords.append(np.asarray(xy, dtype=float))
        self.level.append(level)
        self.part.append(part)
        self.join.append(join)
        self.target.append(target)
        self.code.append(f"{prefix}{sum(lv == level for lv in self.level):03d}")
        return len(self.coords) - 1

    def lines(self, part: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(indices, LineStrings) of the lines of one part (all parts when None)."""
        idx = np.array([i for i, p in enumerate(self.part) if part is None or p == part], int)
        return idx, _linestrings([self.coords[i] for i in idx])

    def join_at(self, i: int, q: np.ndarray, how: str) -> tuple[str, np.ndarray]:
        """Prepare a road branching from point ``q`` on line ``i``; return (join, start).

        ``how`` is ``"noded"`` (``q`` becomes a vertex of line ``i``), ``"on_segment"``
        (line ``i`` is left alone: a T-junction) or ``"short"`` (the caller stops the new
        road short of ``q``).
        """
        if how == "noded":
            return how, self.split_at(i, q)
        return how, q

    def relabel_joins(self) -> None:
        """Call a T-junction "noded" when its start is (by now) a vertex of another line."""
        verts = np.vstack(self.coords)
        owner = np.repeat(np.arange(len(self.coords)), [len(c) for c in self.coords])
        for i in [i for i, j in enumerate(self.join) if j == "on_segment"]:
            at = np.hypot(*(verts - self.coords[i][0]).T) < 1e-6
            if (owner[at] != i).any():
                self.join[i] = "noded"

    def split_at(self, i: int, q: np.ndarray) -> np.ndarray:
        """Insert point ``q`` (on line ``i``) as a vertex of line ``i``; return the vertex."""
        xy = self.coords[i]
        d = np.hypot(*(xy - q).T)
        if d.min() < 1e-6:
            return xy[int(np.argmin(d))]
        seg_len = np.hypot(*np.diff(xy, axis=0).T)
        cum = np.concatenate([[0.0], np.cumsum(seg_len)])
        at = shapely.line_locate_point(LineString(xy), Point(q))
        k = int(np.searchsorted(cum, at, side="right"))  # q lies between vertex k-1 and k
        self.coords[i] = np.vstack([xy[:k], q, xy[k:]])
        return q


def _fixed_roads(roads: _Roads, rng: np.random.Generator, district: Polygon) -> None:
    """County (X) and township (Y) roads through the township seats, clipped to the district."""
    for spec, level, amp in ((_COUNTY_ROADS, "county", 0.03), (_TOWNSHIP_ROADS, "township", 0.05)):
        for name, pts in spec.items():
            line = LineString(_wiggle(_waypoints(pts), rng, step_m=150.0, amp=amp, max_m=250.0))
            inside = shapely.intersection(line, district)
            if inside.geom_type != "LineString":
                raise RuntimeError(f"sample: road {name} leaves and re-enters the district")
            roads.add(shapely.get_coordinates(inside), level)
            roads.code[-1] = name


def _grow(roads: _Roads, rng: np.random.Generator, villages: gpd.GeoDataFrame,
          todo: np.ndarray, level: str, avoid: Polygon) -> None:
    """Give each village in ``todo`` a road from the main network to its seat.

    Prim-like: the village nearest to the network goes first, its road branching from the
    nearest point of the nearest road (or, if that straight line would cross ``avoid``,
    from the nearest road vertex that does not); later villages may branch from it.
    """
    seats = villages[["seat_x", "seat_y"]].to_numpy()
    todo = np.asarray(todo, dtype=int)
    idx, lines = roads.lines(0)
    dist = shapely.distance(shapely.points(seats[todo])[:, None], lines[None, :])
    best = dist.min(axis=1)
    best_line = idx[dist.argmin(axis=1)]
    hill = villages["hilliness"].to_numpy()
    names, probs = zip(*_JOINS)
    while todo.size:
        j = int(np.argmin(best))
        v, target = todo[j], int(best_line[j])
        todo, best, best_line = np.delete(todo, j), np.delete(best, j), np.delete(best_line, j)
        p = seats[v]
        line = LineString(roads.coords[target])
        q = shapely.get_coordinates(line.interpolate(line.project(Point(p))))[0]
        if LineString([p, q]).intersects(avoid):
            target, q = _vertex_avoiding(roads, p, avoid)
        gap = float(np.hypot(*(p - q)))
        if gap < 80.0:  # the seat is on the road already
            continue
        join, q = roads.join_at(target, q, str(rng.choice(names, p=probs)))
        start = q + (p - q) / gap * rng.uniform(2.0, 8.0) if join == "short" else q
        xy = _wiggle(np.array([start, p]), rng, step_m=110.0, amp=0.05 + 0.05 * hill[v],
                     max_m=220.0)
        new = roads.add(xy, level, join=join, target=target)
        d_new = shapely.distance(shapely.points(seats[todo]), LineString(xy))
        closer = d_new < best
        best[closer], best_line[closer] = d_new[closer], new


class _Graph:
    """The main network as a sparse graph, for the generator's own detour estimates.

    Nodes are the distinct vertices of the main-network lines, edges their segments (m);
    a branch that starts on a segment or short of its road gets an edge to that road's
    nearest vertex.  (:mod:`geo_env.network` is the real thing; this rough copy keeps the
    sample independent of it.)  Lines can be added one by one.
    """

    def __init__(self, roads: _Roads) -> None:
        self.node: dict[tuple[float, float], int] = {}
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.weights: list[float] = []
        self._csr: Any = None
        for i, part in enumerate(roads.part):
            if part != 0:
                continue
            self.add_line(roads.coords[i])
            t = roads.target[i]
            if roads.join[i] in ("on_segment", "short") and t >= 0:
                start = roads.coords[i][0]
                near = roads.coords[t][int(np.argmin(np.hypot(*(roads.coords[t] - start).T)))]
                self.add_line(np.array([start, near]))

    def _id(self, xy: np.ndarray) -> int:
        return self.node.setdefault((float(xy[0]), float(xy[1])), len(self.node))

    def add_line(self, xy: np.ndarray) -> None:
        ids = [self._id(p) for p in xy]
        self.rows += ids[:-1]
        self.cols += ids[1:]
        self.weights += list(np.hypot(*np.diff(xy, axis=0).T) + 1e-3)
        self._csr = None

    def csr(self) -> Any:
        from scipy.sparse import coo_matrix

        if self._csr is None:
            n = len(self.node)
            r, c = np.array(self.rows), np.array(self.cols)
            w = np.array(self.weights)
            self._csr = coo_matrix((np.concatenate([w, w]), (np.concatenate([r, c]),
                                   np.concatenate([c, r]))), shape=(n, n)).tocsr()
        return self._csr


def _shortcuts(roads: _Roads, rng: np.random.Generator, villages: gpd.GeoDataFrame,
               avoid: Polygon, *, max_link_m: float = 2500.0, detour: float = 1.6) -> None:
    """Link neighbouring village seats whose road route is a long detour (村村通).

    Candidates are the edges of the relative neighbourhood graph of the seats of villages
    with a road (each seat linked to the neighbours no third seat is closer to), up to
    ``max_link_m`` long, most roundabout first.  A link is added when the road route
    between its seats is still more than ``detour`` times the straight distance and the
    link crosses no road and stays out of ``avoid``.  Links start and end at the seats,
    which are vertices of the villages' own roads: noded.
    """
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import Delaunay

    seats = villages[["seat_x", "seat_y"]].to_numpy()
    graph = _Graph(roads)
    at_seat = np.array([graph.node.get((float(x), float(y)), -1) for x, y in seats])
    ids = np.flatnonzero(at_seat >= 0)  # seats at the end of a road
    tri = Delaunay(seats[ids]).simplices
    pairs = np.unique(np.sort(np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]]), 1),
                      axis=0)
    a, b = ids[pairs[:, 0]], ids[pairs[:, 1]]
    length = np.hypot(*(seats[a] - seats[b]).T)
    # relative neighbourhood graph: no seat closer to both ends than they are to each other
    to_a = np.hypot(*(seats[None, :, :] - seats[a][:, None, :]).transpose(2, 0, 1))
    to_b = np.hypot(*(seats[None, :, :] - seats[b][:, None, :]).transpose(2, 0, 1))
    third = np.maximum(to_a, to_b)
    third[np.arange(len(a)), a] = np.inf
    third[np.arange(len(a)), b] = np.inf
    keep = (third.min(axis=1) >= length) & (length <= max_link_m)
    a, b, length = a[keep], b[keep], length[keep]
    route = dijkstra(graph.csr(), indices=at_seat[a])[np.arange(len(a)), at_seat[b]]
    lines = list(roads.lines(0)[1])
    for k in np.argsort(-(route / length), kind="stable"):
        limit = detour * length[k]
        if dijkstra(graph.csr(), indices=at_seat[a[k]], limit=limit)[at_seat[b[k]]] <= limit:
            continue
        xy = _wiggle(seats[[a[k], b[k]]], rng, step_m=110.0, amp=0.04, max_m=150.0)
        link = LineString(xy)
        if link.intersects(avoid) or shapely.crosses(link, lines).any():
            continue
        roads.add(xy, "village", join="noded")
        graph.add_line(xy)
        lines.append(link)


def _vertex_avoiding(roads: _Roads, p: np.ndarray, avoid: Polygon) -> tuple[int, np.ndarray]:
    """The main-network vertex nearest to ``p`` whose straight link misses ``avoid``."""
    idx, _ = roads.lines(0)
    verts = np.vstack([roads.coords[i] for i in idx])
    owner = np.concatenate([np.full(len(roads.coords[i]), i) for i in idx])
    order = np.argsort(np.hypot(*(verts - p).T), kind="stable")
    links = shapely.linestrings(np.stack([np.broadcast_to(p, (len(order), 2)), verts[order]], 1))
    ok = np.flatnonzero(~shapely.intersects(links, avoid))
    k = order[ok[0]]
    return int(owner[k]), verts[k]


def _road_network(rng: np.random.Generator, villages: gpd.GeoDataFrame, district: Polygon,
                  reservoir: Polygon) -> tuple[gpd.GeoDataFrame, dict[str, list[str]]]:
    """The roads layer (EPSG:4548) and the ids of the villages it leaves unreachable.

    County and township roads run through the township seats; every other village seat
    gets a road branching from the nearest road (noded, a T-junction, or 2–8 m short, see
    ``_JOINS``); then neighbouring seats whose road route is a long detour are linked.

    Returns ``(roads, {"no_road": [...], "cut_off": [...]})``: two or more hill villages
    with no road within 1 km of their anchor, and three hill villages served only by a
    forest-road piece that does not touch the main network.
    """
    roads = _Roads()
    _fixed_roads(roads, rng, district)
    avoid = reservoir.buffer(60.0)
    _, fixed = roads.lines(0)
    anchors = anchor_points(villages)
    seats = villages[["seat_x", "seat_y"]].to_numpy()
    hill = villages["hilliness"].to_numpy()
    far = shapely.distance(shapely.points(anchors), shapely.union_all(fixed))
    candidates = (hill > 0.8) & ~villages["central"].to_numpy()
    # the cut-off piece: the hill village farthest from the county roads and 2 neighbours
    v0 = int(np.argmax(np.where(candidates, far, -1.0)))
    near0 = np.argsort(np.hypot(*(seats - seats[v0]).T), kind="stable")
    piece = [int(i) for i in near0 if candidates[i]][:3]
    # no-road candidates: hill villages on the district edge, far from the county roads
    on_edge = shapely.distance(villages.geometry.values, district.exterior) < 1.0
    pool = np.flatnonzero(candidates & on_edge & ~np.isin(np.arange(len(villages)), piece))
    pool = pool[np.argsort(-far[pool], kind="stable")][:6]

    big = (villages["population"].to_numpy() >= 1800) | villages["central"].to_numpy()
    rest = ~np.isin(np.arange(len(villages)), np.concatenate([piece, pool]))
    _grow(roads, rng, villages, np.flatnonzero(big & rest), "township", avoid)
    _grow(roads, rng, villages, np.flatnonzero(~big & rest), "village", avoid)
    _, main = roads.lines(0)
    d_pool = shapely.distance(shapely.points(anchors[pool]), shapely.union_all(main))
    no_road = pool[np.argsort(-d_pool, kind="stable")][:2]
    _grow(roads, rng, villages, np.setdiff1d(pool, no_road), "village", avoid)

    # the cut-off piece: forest roads joining its three seats, nowhere near the network
    a, b, c = piece
    first = roads.add(_wiggle(seats[[a, b]], rng, step_m=110.0, amp=0.08, max_m=220.0),
                      "village", part=1, join="piece")
    line = LineString(roads.coords[first])
    q = roads.split_at(first, shapely.get_coordinates(
        line.interpolate(line.project(Point(seats[c]))))[0])
    roads.add(_wiggle(np.array([q, seats[c]]), rng, step_m=110.0, amp=0.08, max_m=220.0),
              "village", part=1, join="noded")

    # shortcuts between neighbours, clear of the reservoir, the piece and the no-road villages
    keep_out = shapely.union_all([
        avoid, shapely.union_all(roads.lines(1)[1]).buffer(300.0),
        shapely.multipoints(anchors[no_road]).buffer(1100.0)])
    _shortcuts(roads, rng, villages, keep_out)

    roads.relabel_joins()
    gdf = gpd.GeoDataFrame(
        {"code": roads.code, "level": roads.level,
         "level_zh": [LEVEL_ZH[lv] for lv in roads.level],
         "part": roads.part, "join": roads.join},
        geometry=_linestrings(roads.coords), crs=WORK_EPSG)
    ids = villages["id"].to_numpy()
    return gdf, {"no_road": sorted(ids[no_road]), "cut_off": sorted(ids[piece])}


# ------------------------------------------------------------------------------------------
# facilities: transfer stations, sewage plants, livestock farms; zones
# ------------------------------------------------------------------------------------------
# Transfer stations: (township, km offset of the target from its seat).  Each station
# stands 25 m off the main road nearest to its target.  The hills keep few stations, so
# hill villages fall outside the 3 km service radius.
_STATIONS = (
    ("东城街道", (1.2, -0.4)), ("西城街道", (-0.9, 0.6)), ("南城街道", (-0.8, -1.6)),
    ("北城街道", (0.9, 2.4)), ("石门镇", (0.6, -0.3)), ("青溪镇", (0.5, 0.4)),
    ("港口镇", (-0.4, 0.6)), ("港口镇", (3.2, -2.6)),
)
#: Design capacity of each station (t/d, 设计能力). 北城街道's (ZZ04) is smaller than the
#: waste of the villages nearest to it (about 15 t/d at 0.52 kg/(person·d)): it is over capacity.
_STATION_CAPACITY_T = (30, 20, 20, 12, 15, 15, 15, 10)
# Sewage plants: (id, name, kind, township, km offset from its seat, capacity m³/d,
# load m³/d, process).  WS02 runs at 97 % of its design capacity.
_PLANTS = (
    ("WS01", "示例区城市污水处理厂", "城镇污水处理厂", "东城街道", (1.6, -0.9), 20000, 15400, "A²/O"),
    ("WS02", "港口镇污水处理站", "乡镇污水处理站", "港口镇", (0.6, -0.5), 1000, 970, "MBR"),
    ("WS03", "石门镇污水处理站", "乡镇污水处理站", "石门镇", (1.0, 0.3), 600, 260, "A/O"),
)
#: Livestock species (Chinese names as planners write them), their share of the farms and
#: the range of head counts (stock on hand).
_SPECIES = (
    ("生猪", 0.40, (300, 6000), 10), ("蛋鸡", 0.14, (5000, 60000), 100),
    ("肉鸡", 0.14, (10000, 80000), 100), ("肉牛", 0.12, (50, 300), 1),
    ("羊", 0.12, (100, 800), 1), ("奶牛", 0.08, (80, 500), 1),
)


def _on_road(roads: gpd.GeoDataFrame, target: np.ndarray, offset_m: float) -> np.ndarray:
    """A point ``offset_m`` beside the main-network road nearest to ``target`` (m)."""
    main = roads.geometry.values[roads["part"].to_numpy() == 0]
    k = int(np.argmin(shapely.distance(Point(target), main)))
    q = shapely.get_coordinates(main[k].interpolate(main[k].project(Point(target))))[0]
    away = target - q
    norm = float(np.hypot(*away))
    if norm < 1e-6:
        away, norm = np.array([0.0, 1.0]), 1.0
    return q + away / norm * offset_m


def _stations(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Waste transfer stations (垃圾转运站), EPSG:4548."""
    seats = {t.name: t for t in TOWNSHIPS}
    xy, names, towns = [], [], []
    for township, off in _STATIONS:
        target = np.asarray(seats[township].xy) + 1000.0 * np.asarray(off)
        xy.append(_on_road(roads, target, 25.0))
        n_before = towns.count(township)
        names.append(f"{township}{'第二' if n_before else ''}垃圾转运站")
        towns.append(township)
    return gpd.GeoDataFrame(
        {"id": [f"ZZ{i + 1:02d}" for i in range(len(xy))], "name": names, "township": towns,
         "capacity_t_per_day": list(_STATION_CAPACITY_T)},
        geometry=shapely.points(np.array(xy)), crs=WORK_EPSG)


def _sewage_plants(main_river: LineString) -> gpd.GeoDataFrame:
    """Sewage treatment plants (污水处理厂/站) beside the river, EPSG:4548."""
    seats = {t.name: t for t in TOWNSHIPS}
    rows, xy = [], []
    for pid, name, kind, township, off, cap, load, process in _PLANTS:
        target = np.asarray(seats[township].xy) + 1000.0 * np.asarray(off)
        q = shapely.get_coordinates(main_river.interpolate(main_river.project(Point(target))))[0]
        d = float(np.hypot(*(target - q)))
        xy.append(q + (target - q) / d * 120.0 if d > 120.0 else target)
        rows.append((pid, name, kind, township, cap, load, process))
    df = pd.DataFrame(rows, columns=["id", "name", "kind", "township", "capacity_m3_per_day",
                                     "load_m3_per_day", "process"])
    return gpd.GeoDataFrame(df, geometry=shapely.points(np.array(xy)), crs=WORK_EPSG)


def _farms(rng: np.random.Generator, villages: gpd.GeoDataFrame, water: gpd.GeoDataFrame,
           district: Polygon, n: int = 45) -> gpd.GeoDataFrame:
    """Livestock farms (畜禽养殖场), EPSG:4548.

    Eight stand 150–450 m from a village anchor, six 80–350 m from a river or the
    reservoir (one of them by the reservoir), the rest at least 600 m from every anchor
    and 500 m from water.  None stands in the seats' built-up areas or on steep hills.
    """
    from scipy.spatial import cKDTree

    anchors = anchor_points(villages)
    wet = shapely.union_all(water.geometry.values)
    reservoir = water.geometry.values[water["kind"].to_numpy() == "reservoir"][0]
    minx, miny, maxx, maxy = district.bounds
    cand = rng.uniform((minx, miny), (maxx, maxy), size=(6000, 2))
    pts = shapely.points(cand)
    seats = np.array([t.xy for t in TOWNSHIPS])
    d_seat = cKDTree(seats).query(cand)[0]
    ok = shapely.contains(district, pts) & ~shapely.intersects(wet, pts) & (d_seat > 1500.0)
    flat = ok & (_Terrain.hilliness(*cand.T) < 0.9)
    d_v = cKDTree(anchors).query(cand)[0]
    d_w = shapely.distance(pts, wet)
    d_r = shapely.distance(pts, reservoir)
    groups = [
        (flat & (d_v >= 150) & (d_v <= 450) & (d_w > 500), 8),
        (ok & (d_r >= 150) & (d_r <= 350) & (d_v > 600), 1),
        (flat & (d_w >= 80) & (d_w <= 350) & (d_v > 600) & (d_r > 1000), 5),
        (flat & (d_v >= 600) & (d_w >= 500), n - 14),
    ]
    chosen: list[int] = []
    for mask, k in groups:  # the first candidates of each kind, 1.2 km apart at least
        got = 0
        for i in np.flatnonzero(mask):
            if got == k:
                break
            if not chosen or np.min(np.hypot(*(cand[chosen] - cand[i]).T)) > 1200.0:
                chosen.append(int(i))
                got += 1
    if len(chosen) != n:
        raise RuntimeError(f"sample: placed {len(chosen)} of {n} farms")
    xy = cand[chosen]
    species_names, share, ranges, step = zip(*_SPECIES)
    species = rng.choice(len(_SPECIES), size=n, p=np.asarray(share) / sum(share))
    lo = np.array([ranges[s][0] for s in species], float)
    hi = np.array([ranges[s][1] for s in species], float)
    head = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    unit = np.array([step[s] for s in species])
    head = (np.round(head / unit) * unit).astype(int)
    host = cKDTree(anchors).query(xy)[1]
    vnames = villages["name"].to_numpy()[host]
    kinds = ("养殖场", "养殖场", "家庭农场", "养殖专业合作社")
    names = []
    for i in range(n):
        base = f"{vnames[i].removesuffix('村')}{species_names[species[i]]}{kinds[i % len(kinds)]}"
        names.append(base if base not in names else base.replace("养殖", "二号养殖", 1))
    gdf = gpd.GeoDataFrame(
        {"name": names, "species": [species_names[s] for s in species], "head": head,
         "township": villages["township"].to_numpy()[host], "village": vnames},
        geometry=shapely.points(xy), crs=WORK_EPSG)
    gdf = gdf.iloc[np.lexsort((xy[:, 0], -np.round(xy[:, 1] / 1000.0)))].reset_index(drop=True)
    gdf.insert(0, "id", [f"YZ{i + 1:03d}" for i in range(n)])
    return gdf


def _water(main: LineString, trib: LineString, reservoir: Polygon, district: Polygon
           ) -> gpd.GeoDataFrame:
    """Rivers (clipped to the district, cut at the reservoir) and the reservoir, EPSG:4548."""
    rows = []
    for name, line in (("龙溪河", main), ("杨坑水", trib)):
        pieces = shapely.get_parts(shapely.difference(shapely.intersection(line, district),
                                                      reservoir))
        for piece in pieces:
            rows.append((name, "river", "", piece))
    rows.append(("石门水库", "reservoir", "drinking_water_source", reservoir))
    df = pd.DataFrame(rows, columns=["name", "kind", "protection", "geometry"])
    df["protection_zh"] = np.where(df["protection"] == "", "", "饮用水水源保护区")
    # GB 3838 functional class (水环境功能区类别): the stations' effluent standard follows it
    df["水质类别"] = df["name"].map({"龙溪河": "Ⅲ类", "杨坑水": "Ⅳ类", "石门水库": "Ⅱ类"})
    return gpd.GeoDataFrame(df, geometry="geometry", crs=WORK_EPSG)


def _prohibited_zones(reservoir: Polygon, district: Polygon) -> gpd.GeoDataFrame:
    """No-farming zones (禁养区): the reservoir's protection zone and the town (城区).

    The town is the ground within 1 km of the line between the seats of 东城街道 and
    西城街道.  Both zones are illustrative, not drawn to any regulation.
    """
    protect = shapely.intersection(reservoir.buffer(500.0, quad_segs=8), district)
    seats = {t.name: t.xy for t in TOWNSHIPS}
    town = shapely.multipoints([seats["东城街道"], seats["西城街道"]]).convex_hull
    urban = shapely.intersection(town.buffer(1000.0, quad_segs=8), district)
    return gpd.GeoDataFrame(
        {"name": ["石门水库饮用水水源保护区禁养区", "城区禁养区"],
         "kind": ["drinking_water_source", "urban"],
         "kind_zh": ["饮用水水源保护区", "城镇居民区"]},
        geometry=[protect, urban], crs=WORK_EPSG)


# ------------------------------------------------------------------------------------------
# the status baseline (现状, issue 13): drawn from its own generator
# ------------------------------------------------------------------------------------------
#: Offset of the baseline's seed from :data:`SEED`.  The baseline came after the other
#: layers; drawing it from a second generator leaves their stream, and so every earlier
#: value, exactly as it was.
BASELINE_SEED_OFFSET = 13
#: Sewage flow per person (m³/d) used to size the sample's village stations:
#: 80 L/(人·d) × 0.6 (the defaults of geo_env's sewage analysis) / 1000.
_FLOW_M3_PER_PERSON_DAY = 80.0 * 0.6 / 1000.0
#: A village whose anchor lies this close (m, straight) to a town plant is connected to it
#: today (纳管), nearest first, as long as the plant's current load holds the flows.
_CONNECTED_WITHIN_M = 1750.0
#: Village stations (村级集中) per township (the largest township gets one more).
_STATIONS_PER_TOWNSHIP = 2
_N_HOUSEHOLD = 10  # villages with household systems (分散)
_N_STATUS_BLANK = 0  # villages whose sewage status is not known (the demo stays free of warnings)
_N_TOILETS_BLANK = 0  # villages whose sanitary-toilet count is not known
_N_STOPPED = 2  # village stations out of operation (停运)
_N_FARMS_WITHOUT_FACILITY = 4
_N_RATE_BLANK = 3  # farms whose utilisation rate is not known
#: Chinese words written for the canonical values (the words of the issue 13 contract).
SEWAGE_STATUS_ZH = {"none": "未治理", "connected": "纳管", "centralized": "村级集中",
                    "household": "分散"}
FACILITY_STATUS_ZH = {"running": "运行", "stopped": "停运"}


def _sewage_status(v: gpd.GeoDataFrame, plants: gpd.GeoDataFrame, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Sewage status today (canonical word, None = unknown) and the plant id, per village.

    纳管 (connected): within :data:`_CONNECTED_WITHIN_M` of a town plant whose current load
    holds the flows; 村级集中 (centralized): :data:`_STATIONS_PER_TOWNSHIP` villages of 600
    people or more per township, drawn; 分散 (household): drawn among the smallest third;
    the rest untreated (未治理), but for :data:`_N_STATUS_BLANK` blanks.
    """
    anchors = anchor_points(v)
    pop = v["population"].to_numpy()
    flow = pop * _FLOW_M3_PER_PERSON_DAY
    status = np.full(len(v), "none", dtype=object)
    facility = np.full(len(v), None, dtype=object)
    pxy = shapely.get_coordinates(plants.geometry.values)
    for j, (pid, load) in enumerate(zip(plants["id"], plants["load_m3_per_day"])):
        d = np.hypot(*(anchors - pxy[j]).T)
        held = 0.0
        for i in np.argsort(d, kind="stable"):
            if d[i] > _CONNECTED_WITHIN_M:
                break
            if status[i] == "none" and held + flow[i] <= load:
                status[i], facility[i] = "connected", pid
                held += flow[i]
    towns = v["township"].to_numpy()
    sizes = v.groupby("township", sort=False).size()
    for town in sizes.index:
        pool = np.flatnonzero((towns == town) & (status == "none") & (pop >= 600)
                              & ~v["central"].to_numpy())
        k = _STATIONS_PER_TOWNSHIP + int(town == sizes.idxmax())
        status[np.sort(rng.choice(pool, size=k, replace=False))] = "centralized"
    small = np.flatnonzero((status == "none") & (pop <= np.quantile(pop, 1 / 3)))
    status[rng.choice(small, size=_N_HOUSEHOLD, replace=False)] = "household"
    status[rng.choice(np.flatnonzero(status == "none"), size=_N_STATUS_BLANK,
                      replace=False)] = None
    return status, facility


def _village_stations(v: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """One station (村级污水处理站) per centralized village, inside its polygon, EPSG:4548.

    Design capacity ≈ 1.2 × the village's flow, rounded to 5 m³/d; current load = the flow
    rounded to 1 m³/d (integers, like the town plants' figures), 0 for the :data:`_N_STOPPED` stations out of operation.  Columns as the town
    plants' plus ``status`` and ``year_built``.
    """
    at = np.flatnonzero(v["sewage_status"].to_numpy() == "centralized")
    n = len(at)
    flow = v["population"].to_numpy()[at] * _FLOW_M3_PER_PERSON_DAY
    kind = rng.choice(["一体化设备", "人工湿地"], size=n, p=[0.6, 0.4])
    process = np.where(kind == "人工湿地", "厌氧池+人工湿地",
                       rng.choice(["A/O", "A²/O", "生物接触氧化"], size=n))
    status = np.full(n, "running", dtype=object)
    status[rng.choice(n, size=_N_STOPPED, replace=False)] = "stopped"
    return gpd.GeoDataFrame({
        "id": [f"VS{k + 1:02d}" for k in range(n)],
        "name": [f"{name}污水处理站" for name in v["name"].to_numpy()[at]],
        "kind": kind, "township": v["township"].to_numpy()[at],
        "capacity_m3_per_day": np.maximum(5, np.round(1.2 * flow / 5.0) * 5).astype(int),
        "load_m3_per_day": np.where(status == "running", np.round(flow), 0).astype(int),
        "process": process, "status": status,
        "year_built": rng.integers(2015, 2023, size=n),
    }, geometry=shapely.point_on_surface(v.geometry.values[at]), crs=WORK_EPSG)


def _toilets(v: gpd.GeoDataFrame, rng: np.random.Generator) -> np.ndarray:
    """Households with a sanitary toilet (卫生厕所户数): 50–98 % of the households, more
    where sewage is treated; NaN for :data:`_N_TOILETS_BLANK` villages (unknown)."""
    hh = v["households"].to_numpy()
    treated = np.isin(v["sewage_status"].to_numpy(), ["connected", "centralized"])
    share = np.where(treated, rng.uniform(0.80, 0.98, len(v)), rng.uniform(0.50, 0.95, len(v)))
    out = np.minimum(np.floor(hh * share), hh).astype(float)
    out[rng.choice(len(v), size=_N_TOILETS_BLANK, replace=False)] = np.nan
    return out


def _waste_collected(v: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, rng: np.random.Generator
                     ) -> np.ndarray:
    """In the waste collection system today (已纳入收运体系): most villages within 4 km
    (straight) of a transfer station (85 %), a few beyond (10 %, collected by truck)."""
    from scipy.spatial import cKDTree

    d = cKDTree(shapely.get_coordinates(stations.geometry.values)).query(anchor_points(v))[0]
    return rng.uniform(size=len(v)) < np.where(d <= 4000.0, 0.85, 0.10)


def _farm_manure(farms: gpd.GeoDataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Manure facility (配套粪污处理设施, bool) and utilisation rate (0–1, NaN unknown) per
    farm: all but :data:`_N_FARMS_WITHOUT_FACILITY` farms have a facility; rates 70–95 %
    with one, 60–75 % without, two decimals."""
    n = len(farms)
    facility = np.ones(n, dtype=bool)
    facility[rng.choice(n, size=_N_FARMS_WITHOUT_FACILITY, replace=False)] = False
    rate = np.round(np.where(facility, rng.uniform(0.70, 0.95, n), rng.uniform(0.60, 0.75, n)), 2)
    rate[rng.choice(n, size=_N_RATE_BLANK, replace=False)] = np.nan
    return facility, rate


def _baseline(s: SampleLayers, rng: np.random.Generator) -> SampleLayers:
    """The layers with the status baseline's columns (canonical names and values), and the
    village stations appended to the sewage plants (after the town plants).

    villages: ``sewage_status``, ``sewage_facility_id``, ``sanitary_toilet_households``,
    ``waste_collected``; sewage plants and transfer stations: ``status``, ``year_built``;
    farms: ``manure_facility``, ``utilization_rate``.
    """
    import dataclasses

    v = s.villages.copy()
    status, facility = _sewage_status(v, s.sewage_plants, rng)
    v["sewage_status"] = status
    stations = _village_stations(v, rng)
    facility[v["sewage_status"].to_numpy() == "centralized"] = stations["id"].to_numpy()
    v["sewage_facility_id"] = facility
    v["sanitary_toilet_households"] = _toilets(v, rng)
    v["waste_collected"] = _waste_collected(v, s.transfer_stations, rng)
    towns = s.sewage_plants.assign(
        status="running", year_built=[int(rng.integers(2006, 2012))] + list(
            rng.integers(2013, 2019, size=len(s.sewage_plants) - 1)))
    plants = gpd.GeoDataFrame(pd.concat([towns, stations], ignore_index=True),
                              geometry="geometry", crs=WORK_EPSG)
    transfer = s.transfer_stations.assign(
        status="running", year_built=rng.integers(2012, 2021, size=len(s.transfer_stations)))
    manure, rate = _farm_manure(s.livestock_farms, rng)
    farms = s.livestock_farms.assign(manure_facility=manure, utilization_rate=rate)
    return dataclasses.replace(s, villages=v, sewage_plants=plants,
                               transfer_stations=transfer, livestock_farms=farms)


# ------------------------------------------------------------------------------------------
# the waste chain (issue 14): treatment facilities, buildings and collection points
# ------------------------------------------------------------------------------------------
#: Offset of the chain's generator from SEED (drawn after the baseline: the layers above stay as they were).
CHAIN_SEED_OFFSET = 14
#: Treatment facilities: (id, name, kind as written, km offset from the district centre,
#: capacity t/d, status).  The landfill is closed (封场, 停运): it takes nothing.
_WASTE_FACILITIES = (
    ("WF01", "示例区生活垃圾焚烧发电厂", "焚烧发电厂", (10.5, -3.5), 600, "running"),
    ("WF02", "示例区生活垃圾卫生填埋场", "卫生填埋场", (-9.0, -6.0), 150, "stopped"),
)
#: The township whose houses (房屋) and collection points (收集点) the sample carries.
_BUILDINGS_TOWNSHIP = "西城街道"
#: Houses per settlement cluster, households per house (weights of 1, 2, 3).
_HOUSE_HOUSEHOLDS_P = (0.55, 0.3, 0.15)


def _waste_facilities(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The district's treatment facilities, 80 m off the main road nearest to their place."""
    xy = [_on_road(roads, np.asarray(CENTER) + 1000.0 * np.asarray(off), 80.0) for *_, off, _, _ in _WASTE_FACILITIES]
    return gpd.GeoDataFrame(
        {"id": [f[0] for f in _WASTE_FACILITIES], "name": [f[1] for f in _WASTE_FACILITIES],
         "kind": [f[2] for f in _WASTE_FACILITIES], "capacity_t_per_day": [f[4] for f in _WASTE_FACILITIES],
         "status": [f[5] for f in _WASTE_FACILITIES]},
        geometry=shapely.points(np.array(xy)), crs=WORK_EPSG)


def _houses(rng: np.random.Generator, village: Polygon, anchor: np.ndarray,
            households: float) -> tuple[list[Polygon], list[int], list[np.ndarray]]:
    """House footprints of one village: settlement clusters (1–3) around its anchor, each a
    scatter of 9–14 m × 8–12 m houses, about one house per two households; households per
    house 1–3.  Returns the footprints, the households of each and the clusters' centres."""
    n_cl = int(rng.integers(1, 4))
    centres = [anchor] + [anchor + rng.normal(0, 450, 2) for _ in range(n_cl - 1)]
    centres = [c for c in centres if village.contains(Point(*c))]
    houses: list[Polygon] = []
    hh: list[int] = []
    per = max(int(households // 2.0) // len(centres), 8)
    for c in centres:
        for x, y in c + rng.normal(0, 95, (per, 2)):
            w, h, a = rng.uniform(9, 14), rng.uniform(8, 12), rng.uniform(0, np.pi)
            if not village.contains(Point(x, y)):
                continue
            corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
            rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
            houses.append(Polygon(np.round(corners @ rot.T + [x, y], 2)))
            hh.append(int(rng.choice([1, 2, 3], p=_HOUSE_HOUSEHOLDS_P)))
    return houses, hh, centres


def _buildings_and_points(rng: np.random.Generator, v: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Houses (polygons, 户数) of the villages of :data:`_BUILDINGS_TOWNSHIP`, and a collection
    point at the first settlement cluster of each village and at three clusters in four of
    the others."""
    town = v.loc[v["township"] == _BUILDINGS_TOWNSHIP]
    polys: list[Polygon] = []
    hh: list[int] = []
    pts: list[np.ndarray] = []
    pt_village: list[str] = []
    for (_, row), anchor in zip(town.iterrows(), anchor_points(town)):
        houses, n_hh, centres = _houses(rng, row.geometry, anchor, float(row["households"]))
        polys += houses
        hh += n_hh
        for k, c in enumerate(centres):
            if k == 0 or rng.random() > 0.25:
                pts.append(c + rng.normal(0, 20, 2))
                pt_village.append(str(row["name"]))
    buildings = gpd.GeoDataFrame({"户数": hh, "备注": NOTE_ZH}, geometry=polys, crs=WORK_EPSG)
    points = gpd.GeoDataFrame({"编号": [f"SJD{i + 1:03d}" for i in range(len(pts))],
                               "名称": [f"{name}收集点" for name in pt_village], "所属村": pt_village,
                               "备注": NOTE_ZH}, geometry=shapely.points(np.array(pts)), crs=WORK_EPSG)
    return buildings, points


def _waste_chain(s: SampleLayers, rng: np.random.Generator) -> SampleLayers:
    """The layers with the chain's: treatment facilities, houses and collection points."""
    import dataclasses

    buildings, points = _buildings_and_points(rng, s.villages)
    return dataclasses.replace(s, waste_facilities=_waste_facilities(s.roads), buildings=buildings,
                               collection_points=points)


# ------------------------------------------------------------------------------------------
# the whole district
# ------------------------------------------------------------------------------------------
def _dem(land: _Land, district: Polygon) -> np.ndarray:
    """int16 DEM (m): the reservoir flat at its water level, nodata 600 m beyond the edge."""
    from affine import Affine
    from rasterio.features import rasterize

    transform = Affine(*land.grid.transform)
    shape = land.z.shape
    lake = rasterize([land.reservoir], out_shape=shape, transform=transform, dtype="uint8")
    inside = rasterize([district.buffer(600.0)], out_shape=shape, transform=transform,
                       dtype="uint8")
    z = np.where(lake == 1, land.level, land.z)
    return np.where(inside == 1, np.round(z), DEM_NODATA).astype(np.int16)


def build_sample(seed: int = SEED, *, check: bool = True) -> SampleLayers:
    """Build the sample district in memory (EPSG:4548, metres); deterministic in ``seed``.

    ``check=False`` skips the promises of :func:`_check` (other seeds give other districts,
    which need not keep the sample's promises: the province benchmark's synthetic counties).

    Raises
    ------
    RuntimeError
        If a property the sample promises (see :func:`_check`) does not hold — a guard
        for whoever changes the generator.
    """
    rng = np.random.default_rng(seed)
    boundary = _boundary(rng)
    land = _terrain_and_water(rng, boundary)
    reservoir = land.reservoir
    villages = _villages(rng, boundary, reservoir)
    district = shapely.union_all(villages.geometry.values)
    water = _water(land.river, land.tributary, reservoir, district)
    roads, unreachable = _road_network(rng, villages, district, reservoir)
    layers = SampleLayers(
        district=district,
        villages=villages,
        transfer_stations=_stations(roads),
        sewage_plants=_sewage_plants(land.river),
        livestock_farms=_farms(rng, villages, water, district),
        roads=roads,
        water=water,
        prohibited_zones=_prohibited_zones(reservoir, district),
        dem=_dem(land, district),
        dem_transform=land.grid.transform,
        facts={"unreachable": unreachable, "reservoir_level_m": round(land.level, 1)},
    )
    # created only now, so the layers above are drawn exactly as before the baseline existed
    layers = _baseline(layers, np.random.default_rng(seed + BASELINE_SEED_OFFSET))
    layers = _waste_chain(layers, np.random.default_rng(seed + CHAIN_SEED_OFFSET))
    layers.facts.update(_facts(layers))
    if check:
        _check(layers)
    log.info("sample district built: %d villages, %d road lines, %d farms",
             len(villages), len(roads), len(layers.livestock_farms))
    return layers


def _facts(s: SampleLayers) -> dict[str, object]:
    """Figures about the sample for README.md and the log (distances straight, m)."""
    from scipy.spatial import cKDTree

    from geo_env.crs import wgs84_to_gcj02

    v = s.villages
    anchors = anchor_points(v)
    st = shapely.get_coordinates(s.transfer_stations.geometry.values)
    d_station = cKDTree(st).query(anchors)[0]
    farms = shapely.get_coordinates(s.livestock_farms.geometry.values)
    wet = shapely.union_all(s.water.geometry.values)
    valid = s.dem[s.dem != DEM_NODATA]
    pop = v["population"].to_numpy()
    covered = d_station <= 3000.0
    town = s.sewage_plants.iloc[:len(_PLANTS)]  # the village stations follow them
    load = (town["load_m3_per_day"] / town["capacity_m3_per_day"]).to_numpy()
    lonlat = _lonlat(s.transfer_stations, WGS84_EPSG)
    gcj_offset = pyproj.Geod(ellps="WGS84").inv(
        *lonlat.T, *np.column_stack(wgs84_to_gcj02(*lonlat.T)).T)[2]
    return {
        "villages": len(v),
        "townships": v.groupby("township", sort=False).size().to_dict(),
        "population": int(pop.sum()),
        "villages_3000_plus": int((pop >= 3000).sum()),
        "villages_under_1500": int((pop < 1500).sum()),
        "area_km2": round(s.district.area / 1e6, 1),
        "stations": len(s.transfer_stations),
        "covered_villages_3km": int(covered.sum()),
        "covered_population_share_3km": round(float(pop[covered].sum() / pop.sum()), 3),
        "roads": s.roads["level"].value_counts().to_dict(),
        "road_km": round(float(s.roads.length.sum()) / 1000.0, 1),
        "road_joins": s.roads.loc[s.roads["level"] == "village", "join"].value_counts().to_dict(),
        "farms": len(s.livestock_farms),
        "farms_within_500m_of_village": int((cKDTree(anchors).query(farms)[0] < 500).sum()),
        "farms_within_400m_of_water": int((shapely.distance(
            shapely.points(farms), wet) < 400).sum()),
        "farms_in_prohibited_zones": int(shapely.intersects(
            shapely.union_all(s.prohibited_zones.geometry.values), shapely.points(farms)).sum()),
        "species": s.livestock_farms["species"].value_counts().to_dict(),
        "plants": len(town),
        "fullest_plant": str(town["name"].iloc[int(np.argmax(load))]),
        "fullest_plant_load_share": round(float(load.max()), 3),
        "gcj02_offset_m": [round(float(gcj_offset.min())), round(float(gcj_offset.max()))],
        "reservoir_km2": round(float(s.water.loc[s.water["kind"] == "reservoir"].area.iloc[0])
                               / 1e6, 2),
        "dem_shape": list(s.dem.shape),
        "dem_min_m": int(valid.min()),
        "dem_max_m": int(valid.max()),
        "baseline": _baseline_facts(s),
        "chain": _chain_facts(s),
    }


#: The rural generation rate the README's figures use (kg/(person·d); geo_env's default).
_README_KG_PER_PERSON_DAY = 0.52


def _chain_facts(s: SampleLayers) -> dict[str, Any]:
    """Figures of the waste chain for README.md: each station's load when every village
    sends to its nearest station in a straight line (t/d), the houses and points."""
    from scipy.spatial import cKDTree

    v = s.villages
    st = s.transfer_stations
    near = cKDTree(shapely.get_coordinates(st.geometry.values)).query(anchor_points(v))[1]
    load = np.bincount(near, weights=v["population"].to_numpy(float) * _README_KG_PER_PERSON_DAY / 1000,
                       minlength=len(st))
    over = [(str(i), round(float(x), 1), int(c)) for i, x, c in zip(st["id"], load, st["capacity_t_per_day"]) if x > c]
    b = s.buildings
    return {
        "generation_t_per_day": round(float(v["population"].sum()) * _README_KG_PER_PERSON_DAY / 1000, 1),
        "over_capacity": over,
        "houses": 0 if b is None else len(b),
        "house_households": 0 if b is None else int(b["户数"].sum()),
        "collection_points": 0 if s.collection_points is None else len(s.collection_points),
    }


def _baseline_facts(s: SampleLayers) -> dict[str, Any]:
    """Figures of the status baseline for README.md (counts; ids of the stopped stations)."""
    v = s.villages
    status = v["sewage_status"].fillna("blank")
    vs = s.sewage_plants.iloc[len(_PLANTS):]
    stopped = vs.loc[vs["status"] == "stopped"]
    by_id = dict(zip(v["sewage_facility_id"], v["name"]))
    hh = v["households"].to_numpy(dtype=float)
    toilets = v["sanitary_toilet_households"].to_numpy()
    known = np.isfinite(toilets)
    farms = s.livestock_farms
    return {
        "sewage_status": {k: int((status == k).sum()) for k in (*SEWAGE_STATUS_ZH, "blank")},
        "connected_by_plant": v["sewage_facility_id"][v["sewage_status"] == "connected"]
        .value_counts().sort_index().to_dict(),
        "village_stations": len(vs),
        "station_kinds": vs["kind"].value_counts().to_dict(),
        "stopped": [(i, by_id[i]) for i in stopped["id"]],
        "toilet_share": round(float(toilets[known].sum() / hh[known].sum()), 3),
        "toilets_blank": int((~known).sum()),
        "waste_collected": int(v["waste_collected"].sum()),
        "farms_without_facility": list(farms.loc[~farms["manure_facility"], "id"]),
        "rates_blank": int(farms["utilization_rate"].isna().sum()),
    }


def _check(s: SampleLayers) -> None:
    """The promises of the sample: raise RuntimeError naming the first one broken."""
    v = s.villages
    f = s.facts
    anchors = anchor_points(v)
    ids = v["id"].to_numpy()
    roads = s.roads.geometry.values
    part = s.roads["part"].to_numpy()
    nearest = shapely.STRtree(roads).nearest(shapely.points(anchors))
    d_road = shapely.distance(shapely.points(anchors), roads[nearest])
    no_road = np.isin(ids, f["unreachable"]["no_road"])
    cut_off = np.isin(ids, f["unreachable"]["cut_off"])
    problems = {
        "120-200 villages": 120 <= len(v) <= 200,
        "villages tile the district": abs(v.area.sum() - s.district.area) < 1e-6 * s.district.area,
        "3 towns and 4 subdistricts":
            sorted(t.name[-1] for t in TOWNSHIPS) == ["道"] * 4 + ["镇"] * 3,
        "no-road villages have no road within 1 km": bool((d_road[no_road] > 1000.0).all()),
        "cut-off villages' nearest road is the cut-off piece":
            bool((part[nearest[cut_off]] == 1).all()),
        "other villages reach the main network within 1 km": bool(
            ((part[nearest] == 0) & (d_road <= 1000.0))[~no_road & ~cut_off].all()),
        "cut-off piece is 200 m or more from the network": shapely.distance(
            shapely.union_all(roads[part == 1]), shapely.union_all(roads[part == 0])) > 200.0,
        "no road over the reservoir": not shapely.intersects(
            roads, s.water.geometry.values[s.water["kind"] == "reservoir"][0]).any(),
        "some villages beyond 3 km of every station": f["covered_villages_3km"] < len(v),
        "5-8 stations": 5 <= f["stations"] <= 8,
        "farms near villages": f["farms_within_500m_of_village"] >= 3,
        "farms near water": f["farms_within_400m_of_water"] >= 3,
        "names unique": v["name"].is_unique and v["id"].is_unique,
        **_baseline_promises(s),
        "one station over capacity (straight-line nearest, 0.52 kg)": len(f["chain"]["over_capacity"]) == 1,
    }
    broken = [k for k, ok in problems.items() if not ok]
    if broken:
        raise RuntimeError(f"sample: broken promise(s): {'; '.join(broken)}")


def _baseline_promises(s: SampleLayers) -> dict[str, bool]:
    """The status baseline's promises (see :func:`_check`)."""
    v = s.villages
    b = s.facts["baseline"]
    assert isinstance(b, dict)
    plants = s.sewage_plants.set_index("id")
    vs = s.sewage_plants.iloc[len(_PLANTS):]
    central = v["sewage_status"] == "centralized"
    host = v.set_index("sewage_facility_id").loc[vs["id"]]  # one village per station
    flows = (v["population"] * _FLOW_M3_PER_PERSON_DAY).groupby(
        v["sewage_facility_id"].where(v["sewage_status"] == "connected")).sum()
    toilets = v["sanitary_toilet_households"]
    return {
        "8-12 villages connected": 8 <= b["sewage_status"]["connected"] <= 12,
        "connected flows fit their plant's load":
            bool((flows <= plants.loc[flows.index, "load_m3_per_day"]).all()),
        "one station per centralized village": len(vs) == int(central.sum()) == len(host),
        "stations inside their village": bool(shapely.within(
            vs.geometry.values, host.geometry.values).all()),
        "two stations stopped": len(b["stopped"]) == _N_STOPPED,
        "sanitary toilets never above households":
            bool((toilets.dropna() <= v["households"][toilets.notna()]).all()),
        "60-70 % of villages in the waste system": 0.6 <= v["waste_collected"].mean() <= 0.7,
    }


# ------------------------------------------------------------------------------------------
# project.toml and README.md of the sample
# ------------------------------------------------------------------------------------------
PROJECT_TOML = """\
# 示例区农村人居环境整治 —— geo_env 项目文件（合成数据，仅供演示）
# Sample district project file for geo_env (SYNTHETIC data, for demonstration only).
#
# 复制本文件作为模板：把 path 改成你自己的数据文件，把 columns 里右边的字段名改成你文件里的字段名。
# Copy this file as a template: point each path at your own file and put your file's
# column names on the right-hand side of each `columns` mapping.
# 路径相对于本文件所在的文件夹。Paths are relative to this file's folder.

[project]
name = "示例区农村人居环境整治（合成数据）"
crs = "auto"    # 自动选用村庄中心所在的 CGCS2000 3° 带（此处 EPSG:4548）; or "EPSG:45xx"
lang = "zh"     # 地图与表格的语言 labels of maps and tables: zh | en

# 行政村（面）。Shapefile 为 GBK 编码且没有 .cpg 文件：geo_env 会自动识别编码，
# 所以这里不写 encoding。若识别有误，可加 encoding = "gbk"。
# Villages (polygons): a GBK shapefile without .cpg. geo_env detects the encoding, so there
# is no `encoding` key here; add encoding = "gbk" only if detection ever gets it wrong.
[layers.villages]
path = "villages.shp"
columns = { id = "CUN_DM", name = "CUN_MC", township = "XZ_MC", population = "RK", households = "HS", farmland_mu = "GD_MU" }

# 垃圾转运站（Excel 表）。经纬度是从高德地图取的 GCJ-02 坐标，coords = "gcj02" 让 geo_env 换算回 WGS84。
# Waste transfer stations (Excel): lon/lat picked from Amap, i.e. GCJ-02 — converted back.
# 设计能力（吨/日）= 转运站的日转运能力 capacity_t_per_day (t/d)。
[layers.transfer_stations]
path = "transfer_stations.xlsx"
x = "经度"
y = "纬度"
coords = "gcj02"    # wgs84（默认 default）| cgcs2000 | gcj02（高德、腾讯）| bd09（百度）
columns = { id = "编号", name = "名称", capacity_t_per_day = "设计能力（吨/日）" }

# 生活垃圾处理设施（CSV，UTF-8，WGS84 经纬度）：焚烧发电厂（运行）、卫生填埋场（已封场，停运）。
# Waste treatment facilities (CSV, UTF-8, WGS84): an incinerator (running) and a closed landfill.
[layers.waste_facilities]
path = "waste_facilities.csv"
x = "经度"
y = "纬度"
columns = { id = "编号", name = "名称", kind = "类型", capacity_t_per_day = "设计能力（吨/日）" }

# 房屋（GeoPackage，EPSG:4548，仅西城街道）：户数 = 每栋房屋的户数；村收集点（GeoJSON，WGS84）。
# Houses of one township (西城街道 only; 户数 = households per house) and collection points.
[layers.buildings]
path = "buildings.gpkg"
layer = "buildings"
columns = { households = "户数" }

[layers.collection_points]
path = "collection_points.geojson"
columns = { id = "编号", name = "名称" }

# 污水处理厂/站（GeoJSON，WGS84）。设计规模、实际处理量的单位均为 m³/d。
# Sewage plants (GeoJSON, WGS84); design capacity and current load in m³/d.
[layers.sewage_plants]
path = "sewage_plants.geojson"
columns = { id = "编号", name = "名称", capacity_m3_per_day = "设计规模", load_m3_per_day = "实际处理量" }

# 畜禽养殖场（CSV，Excel 在中文 Windows 上另存的 GBK 编码；个别坐标为度分秒）。
# Livestock farms (CSV saved by Excel on Chinese Windows: GBK; a few coordinates in DMS).
# 存栏量 = 现有存栏头（只）数 head = stock on hand.
[layers.livestock_farms]
path = "livestock_farms.csv"
x = "经度"
y = "纬度"
columns = { id = "编号", name = "养殖场名称", species = "畜种", head = "存栏量" }

# 道路（GeoPackage，EPSG:4548）：县道、乡道、村道。部分村道端点离所接道路还差 2–8 m，
# 所以捕捉容差设为 10 m。
# Roads (GeoPackage, EPSG:4548): some digitised ends stop 2–8 m short of the road they
# join, hence a 10 m snap tolerance (default 1 m).
[layers.roads]
path = "roads.gpkg"
layer = "roads"
snap_tolerance_m = 10
# max_connector_m = 1000   # 村庄到最近道路超过此距离即视为不通路 (default 1000 m)

# 水系（GeoJSON）：河流（线）和水库（面）。石门水库为饮用水水源保护区（protection 字段）。
# "水质类别"为 GB 3838 水环境功能类别（Ⅰ–Ⅴ类），决定村级处理站的出水标准。
# Water (GeoJSON): rivers (lines) and a reservoir (polygon) that is a drinking-water source
# protection zone (column `protection`); 水质类别 (GB 3838 class I–V) sets the stations'
# effluent standard.
[layers.water]
path = "water.geojson"

# 禁养区（GeoJSON）：水源保护区与城区。No-farming zones: the water-source zone and the town.
[layers.prohibited_zones]
path = "prohibited_zones.geojson"

# 数字高程模型（GeoTIFF，30 m，EPSG:4548，int16，nodata = -32768 已在文件中声明）。
# DEM (GeoTIFF, 30 m, EPSG:4548, int16; its nodata -32768 is declared in the file).
[layers.dem]
path = "dem.tif"

# 生活垃圾收运：服务半径 3 km（GB/T 51435-2021 §4.4.2：小型机动车收集服务半径不宜超过 3 km）。
# Waste collection: villages within 3 km of a transfer station are served (GB/T 51435-2021
# §4.4.2: small motor collection vehicles serve within 3 km).
[waste]
service_radius_m = 3000
# metric = "road"          # road（沿道路）| straight（直线）; default: road when roads exist
# target_coverage = 0.95   # 新增转运站选址的覆盖目标（人口比例）target share of population
# 收运体系（吨）：人均产生量、产量变化系数、村—站分配方式、收集点服务半径。The chain in tonnes.
# generation_kg_per_person_day = 0.52   # 人均生活垃圾产生量 kg/(人·d)
# township_generation_kg_per_person_day = { "东城街道" = 0.8 }   # 分乡镇覆盖 per-township override
# peak_factor = 1.3                     # 产量变化系数（节假日、游客）
# assignment = "nearest"                # nearest（就近）| capacity（按能力分配，运输问题）
# collection_distance_m = 120           # 收集点服务半径 (m)

# 农村生活污水：全部参数及其依据见 report.xlsx 的"参数"表；这里只列常改的几项。
# Rural sewage: every parameter and its source is in report.xlsx (sheet 参数); a few here.
# [sewage]
# water_use_l_per_capita_day = 80      # 人均用水量 L/(人·d)（GB/T 51347-2019 表4.1.2）
# sewage_coefficient = 0.6             # 污水排放系数
# max_connect_distance_m = 5000        # 纳管最大距离 (m)
# sewer_cost_yuan_per_m = 400          # 接户主管单价（元/m）
# province = "44"                      # 出水标准规则表：national（国家基线）| 44（广东 DB44/2208-2019）

# 畜禽粪污。Livestock manure.
# [livestock]
# factors = "guideline2018"            # 猪当量折算：guideline2018（农办牧〔2018〕1号）| gb18596
# head_is = "stock"                    # 养殖量口径：stock（存栏）| output（出栏）
# transport_distance_m = 5000          # 粪肥外运消纳距离 (m)
"""


def _readme(s: SampleLayers) -> str:
    """README.md of the sample folder, with figures computed from the layers."""
    f = s.facts
    towns = "、".join(f"{k} {n}" for k, n in f["townships"].items())
    roads = f["roads"]
    joins = f["road_joins"]
    un = f["unreachable"]
    species = "、".join(f"{k} {n}" for k, n in f["species"].items())
    b = f["baseline"]
    c = f["chain"]
    return f"""\
# 示例区 — the geo_env sample district (合成数据 / SYNTHETIC DATA)

**Every feature in this folder is made up.** The district is placed in the hills of
north-eastern Jiangxi (around 117.5°E, 28.4°N) so that its coordinates, terrain and names
look like a real county's, but no village, road, river, station or farm here describes a
real place, and the names are drawn from syllable lists. Do not use it for anything but
trying geo_env.

It is written by `tools/make_sample.py` (`make sample`, or `python tools/make_sample.py DIR`) from one
seeded random generator (seed {SEED}); regenerating gives byte-identical files
(`tests/test_sample.py` checks it). `geo_env.sample_district()` loads `project.toml` here
through `geo_env.load_project`, like any project.

## The district

- {f["area_km2"]} km², 3 towns (镇) and 4 subdistricts (街道); {f["villages"]} administrative
  villages (行政村) tiling the district: {towns}.
- Population {f["population"]:,}: {f["villages_3000_plus"]} town-seat villages of 3,000–6,000
  people, {f["villages_under_1500"]} villages under 1,500.
- Hills in the west (up to {f["dem_max_m"]} m) with 石门水库 (a reservoir of
  {f["reservoir_km2"]} km², water level {f["reservoir_level_m"]} m) on 龙溪河; a plain in the
  east (about {f["dem_min_m"]}–50 m) where the river and its tributary 杨坑水 run.
- {f["stations"]} waste transfer stations: {f["covered_villages_3km"]} of {f["villages"]}
  villages ({f["covered_population_share_3km"]:.0%} of the population) lie within 3 km of one
  in a straight line; the hills lie beyond.
- Roads: {roads.get("county", 0)} county roads (县道), {roads.get("township", 0)} township roads
  (乡道), {roads.get("village", 0)} village roads (村道), {f["road_km"]} km in all.
- {f["farms"]} livestock farms ({species}); {f["farms_within_500m_of_village"]} stand within
  500 m of a village's anchor, {f["farms_within_400m_of_water"]} within 400 m of water and
  {f["farms_in_prohibited_zones"]} in a no-farming zone.
- {f["plants"]} town sewage plants; {f["fullest_plant"]} runs at {f["fullest_plant_load_share"]:.0%} of
  its design capacity. {b["village_stations"]} village stations (村级污水处理站) beside them, {len(b["stopped"])} out of
  operation: see the status baseline below.

## Files, and the traps in them (on purpose)

| file | what | stored as |
|---|---|---|
| `villages.shp` (+ `.shx .dbf .prj`) | villages (polygons) | Shapefile, CGCS2000 lon/lat (EPSG:4490), attributes in **GBK with no `.cpg`** and DBF language byte 0 (undeclared); columns `CUN_DM` (12-digit 统计用区划代码 style code), `CUN_MC` name, `XZ_DM`/`XZ_MC` township code/name, `RK` population, `HS` households, `GD_MU` farmland (mu), `BZ` remark; then the status baseline's fields (below): `污水现状`, `设施编号`, `卫厕户数`, `垃圾收运`. Some names use 坵, 墈, 塅: in GBK but not in GB2312. |
| `transfer_stations.xlsx` | waste transfer stations | Excel sheet `垃圾转运站`, headers 编号 名称 经度 纬度 所属乡镇 设计能力（吨/日） 备注 运行状态 建成年份; **lon/lat are Amap GCJ-02** ({f["gcj02_offset_m"][0]}–{f["gcj02_offset_m"][1]} m away from the true WGS84 positions). |
| `livestock_farms.csv` | livestock farms | CSV as Excel saves it on Chinese Windows: **GBK, CRLF, no BOM**; headers 编号 养殖场名称 畜种 存栏量 经度 纬度 所属乡镇 所属村 备注 粪污处理设施 综合利用率; WGS84 decimal degrees, but rows {_DMS_ROWS[0] + 1} and {_DMS_ROWS[1] + 1} give **DMS strings** (`117°30'12.5"E`). 畜种 ∈ 生猪 奶牛 肉牛 羊 蛋鸡 肉鸡; 存栏量 = stock on hand (head). |
| `sewage_plants.geojson` | sewage plants and village stations | GeoJSON (UTF-8, WGS84); the town plants (WS…) first, then the village stations (VS…); `类型` type, `设计规模` = design capacity (m³/d), `实际处理量` = current load (m³/d), `处理工艺` process, `状态` status, `建成年份` year built. |
| `water.geojson` | rivers and the reservoir | GeoJSON (UTF-8, WGS84), lines and a polygon in one layer; `kind` = `river` or `reservoir`; `protection` = `drinking_water_source` marks 石门水库 as a drinking-water source protection zone (饮用水水源保护区, `protection_zh`); empty for rivers. `水质类别` = the GB 3838 functional class (龙溪河 Ⅲ类, 杨坑水 Ⅳ类, 石门水库 Ⅱ类), which sets the village stations' effluent standard (出水标准). |
| `prohibited_zones.geojson` | no-farming zones (禁养区) | GeoJSON: the reservoir plus 500 m (`kind` = `drinking_water_source`) and the town between the seats of 东城街道 and 西城街道 (`urban`). Illustrative, not drawn to any regulation. |
| `roads.gpkg` | roads | GeoPackage, layer `roads`, EPSG:4548; `code` (X…/Y…/C…), `level` = `county` or `township` or `village`, `level_zh` = 县道 or 乡道 or 村道. **Not fully noded**: of the village roads (村道), {joins.get("noded", 0)} start at a vertex of the road they branch from, {joins.get("on_segment", 0)} end on one of its segments (T-junctions: need the snapping rule), {joins.get("short", 0)} stop 2–8 m short (need `snap_tolerance_m` ≥ 8; the project sets 10). |
| `dem.tif` | 30 m DEM | GeoTIFF, EPSG:4548, int16 metres, deflate + predictor, **nodata −32768** beyond 600 m outside the district; the reservoir is flat at its water level. |
| `waste_facilities.csv` | waste treatment facilities | CSV, **UTF-8 with BOM** (Excel's "CSV UTF-8"), CRLF; headers 编号 名称 类型 设计能力（吨/日） 运行状态 经度 纬度 备注; WGS84. |
| `buildings.gpkg` | houses (房屋) of {_BUILDINGS_TOWNSHIP} only | GeoPackage, layer `buildings`, EPSG:4548, polygons **without ids**; `户数` = households per house (1–3). |
| `collection_points.geojson` | collection points (村收集点) of {_BUILDINGS_TOWNSHIP} | GeoJSON (UTF-8, WGS84); `编号` `名称` `所属村`. |
| `project.toml` | the project | commented in Chinese and English; copy it as a template. |

Villages that no road reaches (so road-distance analyses must give NaN, not a number):

- no road within 1 km of their anchor: {", ".join(un["no_road"])};
- served only by a forest-road piece that touches no other road (more than 200 m away):
  {", ".join(un["cut_off"])}.

## The status baseline (现状)

What exists today, so that a plan can start from it. Drawn from a second generator (seed
{SEED} + {BASELINE_SEED_OFFSET}), made after every other layer, so the other values are those of the
district without a baseline. geo_env recognises the Chinese column names as they are (no
`columns` mapping in `project.toml`); the canonical name each stands for is in brackets.

| file | column (canonical) | values |
|---|---|---|
| `villages.shp` | `污水现状` (`sewage_status`) | 纳管 (connected) {b["sewage_status"]["connected"]}, 村级集中 (centralized) {b["sewage_status"]["centralized"]}, 分散 (household) {b["sewage_status"]["household"]}, 未治理 (none) {b["sewage_status"]["none"]}, blank (unknown) {b["sewage_status"]["blank"]} |
| `villages.shp` | `设施编号` (`sewage_facility_id`) | id in `sewage_plants.geojson` of the plant or station treating the village today (纳管 and 村级集中 villages); blank for the others |
| `villages.shp` | `卫厕户数` (`sanitary_toilet_households`) | households with a sanitary toilet: 50–98 % of `HS`, never more; {b["toilets_blank"]} blank (unknown); {b["toilet_share"]:.1%} of the households where known |
| `villages.shp` | `垃圾收运` (`waste_collected`) | 是/否: in the waste collection system today; 是 for {b["waste_collected"]} of {f["villages"]} villages (most within 4 km of a transfer station, a few beyond) |
| `sewage_plants.geojson` | `状态` (`status`) | 运行 (running) or 停运 (stopped) |
| `sewage_plants.geojson` | `类型` (`type`) | 城镇污水处理厂, 乡镇污水处理站 (the town plants, as before); 一体化设备 or 人工湿地 (village stations) |
| `sewage_plants.geojson` | `建成年份` (`year_built`) | year; village stations 2015–2022 |
| `transfer_stations.xlsx` | `运行状态` (`status`), `建成年份` (`year_built`) | all 运行 (so waste coverage is as before); year |
| `livestock_farms.csv` | `粪污处理设施` (`manure_facility`) | 是/否; 否 for {", ".join(b["farms_without_facility"])} |
| `livestock_farms.csv` | `综合利用率` (`utilization_rate`) | text percentages (`85%`), 60–95 %; {b["rates_blank"]} blank (unknown) |

- 纳管 (connected): villages whose anchor lies within {_CONNECTED_WITHIN_M / 1000:.2f} km (straight) of a town
  plant, nearest first, while the plant's current load holds their sewage flow (population ×
  80 L/(人·d) × 0.6): {", ".join(f"{k} {n}" for k, n in b["connected_by_plant"].items())}. 石门村, the seat of
  石门镇, is close to WS03 but its flow exceeds that plant's load: it is not connected.
- 村级集中 (centralized): two villages of 600 people or more per township (three in the
  largest), each with its own station `VS01`… named "<村名>污水处理站", inside the village
  polygon, design capacity ≈ 1.2 × the village's flow (rounded to 5 m³/d), current load =
  the flow ({b["station_kinds"].get("一体化设备", 0)} 一体化设备, {b["station_kinds"].get("人工湿地", 0)} 人工湿地).
- Stopped stations (停运, current load 0): {"; ".join(f"{i} ({name})" for i, name in b["stopped"])}.
- 分散 (household): drawn among the smallest third of the villages.

## The waste chain (收运体系)

- Generation: {f["population"]:,} people × {_README_KG_PER_PERSON_DAY} kg/(person·d) (geo_env's default) =
  {c["generation_t_per_day"]} t/d.
- Transfer stations carry `设计能力（吨/日）` (`capacity_t_per_day`). With every village sending to its
  nearest station in a straight line, {"; ".join(f"{i} would take {x} t/d for a capacity of {k} t/d"
  for i, x, k in c["over_capacity"])}: one station is **over capacity** (by road, as geo_env measures
  it, too); the proposed plan adds capacity beside it.
- Treatment: `WF01` 示例区生活垃圾焚烧发电厂 (600 t/d, 运行) and `WF02` 示例区生活垃圾卫生填埋场
  (150 t/d, 停运: closed, it takes nothing).
- Households: {c["houses"]:,} houses ({c["house_households"]:,} households) in the villages of {_BUILDINGS_TOWNSHIP},
  in one to three settlement clusters each, and {c["collection_points"]} collection points: one at the first
  cluster of each village, at three in four of the others; houses more than 120 m from every point are
  beyond the collection distance. The other townships have no house layer: the share is that of
  {_BUILDINGS_TOWNSHIP}'s households.
- Drawn from a third generator (seed {SEED} + {CHAIN_SEED_OFFSET}), after the baseline.

## Coordinates

The generator works in EPSG:4548 (CGCS2000 / 3-degree Gauss-Krüger CM 117E, metres), the
working CRS geo_env picks for this district. The true positions of the transfer stations
are those in EPSG:4548 (`make_sample.build_sample().transfer_stations`); converting the
spreadsheet's GCJ-02 values back with `geo_env.crs.gcj02_to_wgs84` returns them to within
a few centimetres (the sheet keeps 6 decimals). CGCS2000 and WGS84 are taken as equal
(they differ by centimetres).
"""


# ------------------------------------------------------------------------------------------
# writing the files the way planners have them
# ------------------------------------------------------------------------------------------
#: Date written into file headers and metadata, so regenerating gives the same bytes.
_FIXED_DATE = (2024, 1, 1)
#: Rows of the farms CSV whose coordinates are written as DMS strings (0-based).
_DMS_ROWS = (6, 30)


def _lonlat(gdf: gpd.GeoDataFrame, epsg: int) -> np.ndarray:
    """Point coordinates as lon/lat degrees in ``epsg``, shape (n, 2)."""
    return shapely.get_coordinates(gdf.geometry.to_crs(epsg).values)


def _round_coords(gdf: gpd.GeoDataFrame, decimals: int) -> gpd.GeoDataFrame:
    """Coordinates rounded (shared vertices stay shared: they round alike)."""
    out = gdf.copy()
    out.geometry = shapely.transform(gdf.geometry.values, lambda c: np.round(c, decimals))
    if not shapely.is_valid(out.geometry.values).all():
        raise RuntimeError("sample: rounding coordinates made a geometry invalid")
    return out


@contextlib.contextmanager
def _gdal_fixed_date() -> Iterator[None]:
    """Let GDAL stamp GeoPackages with a fixed date instead of now (byte-stable files)."""
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2024-01-01T00:00:00.000Z"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def _write_villages(v: gpd.GeoDataFrame, out: Path) -> None:
    """villages.shp: CGCS2000 lon/lat, GBK attributes, no .cpg, DBF language byte 0.

    The baseline's fields come after the others, with Chinese names of at most 10 bytes
    in GBK (a DBF field name's limit); unknown values are blank (GDAL writes a blank
    number as asterisks, a blank text as spaces).
    """
    import pyogrio

    gdf = gpd.GeoDataFrame({
        "CUN_DM": v["id"], "CUN_MC": v["name"], "XZ_DM": v["township_code"],
        "XZ_MC": v["township"], "RK": v["population"], "HS": v["households"],
        "GD_MU": v["farmland_mu"], "BZ": NOTE_ZH,
        "污水现状": v["sewage_status"].map(SEWAGE_STATUS_ZH),
        "设施编号": v["sewage_facility_id"],
        "卫厕户数": pd.array(v["sanitary_toilet_households"].round(), dtype="Int64"),
        "垃圾收运": np.where(v["waste_collected"], "是", "否"),
    }, geometry=v.geometry.values, crs=WORK_EPSG).to_crs(CGCS2000_EPSG)
    path = out / "villages.shp"
    pyogrio.write_dataframe(
        _round_coords(gdf, 8), path, driver="ESRI Shapefile", encoding="GBK",
        layer_options={"DBF_DATE_LAST_UPDATE": "%04d-%02d-%02d" % _FIXED_DATE, "RESIZE": "YES"})
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0  # language driver id: undeclared, as many Chinese tools leave it
    dbf.write_bytes(bytes(data))
    back = pyogrio.read_dataframe(path, encoding="GBK", read_geometry=False)
    if list(back["CUN_MC"]) != list(v["name"]):
        raise RuntimeError("sample: village names do not survive the GBK shapefile")


def _write_stations(st: gpd.GeoDataFrame, out: Path) -> None:
    """transfer_stations.xlsx: Chinese headers, Amap GCJ-02 lon/lat (6 decimals)."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    from geo_env.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(*_lonlat(st, WGS84_EPSG).T)
    wb = Workbook()
    ws = wb.active
    ws.title = "垃圾转运站"
    ws.append(["编号", "名称", "经度", "纬度", "所属乡镇", "设计能力（吨/日）", "备注",
               "运行状态", "建成年份"])
    for row, x, y in zip(st.itertuples(), lon, lat):
        ws.append([row.id, row.name, round(float(x), 6), round(float(y), 6), row.township,
                   int(row.capacity_t_per_day), NOTE_ZH + "；坐标取自高德地图（GCJ-02）",
                   FACILITY_STATUS_ZH[row.status], int(row.year_built)])
    for col, width in zip("ABCDEFGHI", (8, 26, 13, 13, 12, 18, 40, 10, 10)):
        ws.column_dimensions[col].width = width
    import datetime as _dt

    stamp = _dt.datetime(*_FIXED_DATE)
    wb.properties.creator = "geo_env sample"
    wb.properties.created = wb.properties.modified = stamp
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    _write_zip_fixed_times(buf.getvalue(), out / "transfer_stations.xlsx")


def _write_zip_fixed_times(data: bytes, path: Path) -> None:
    """Rewrite a zip archive with every member stamped with the fixed date."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(*_FIXED_DATE, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    path.write_bytes(out.getvalue())


def _dms(value: float, hemispheres: str) -> str:
    """117.5034 → 117°30'12.2"E (0.1″ ≈ 3 m)."""
    tenths = int(round(abs(value) * 36000.0))
    deg, rest = divmod(tenths, 36000)
    minutes, tenth_sec = divmod(rest, 600)
    return f"{deg}°{minutes:02d}'{tenth_sec / 10:04.1f}\"{hemispheres[int(value < 0)]}"


def _write_farms(farms: gpd.GeoDataFrame, out: Path) -> None:
    """livestock_farms.csv as Excel saves it on a Chinese Windows PC: GBK, CRLF, no BOM."""
    lonlat = _lonlat(farms, WGS84_EPSG)
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow(["编号", "养殖场名称", "畜种", "存栏量", "经度", "纬度", "所属乡镇", "所属村", "备注",
                "粪污处理设施", "综合利用率"])
    for i, (row, (x, y)) in enumerate(zip(farms.itertuples(), lonlat)):
        lon, lat = (_dms(x, "EW"), _dms(y, "NS")) if i in _DMS_ROWS else (f"{x:.6f}", f"{y:.6f}")
        rate = "" if np.isnan(row.utilization_rate) else f"{round(100 * row.utilization_rate)}%"
        w.writerow([row.id, row.name, row.species, int(row.head), lon, lat, row.township,
                    row.village, NOTE_ZH, "是" if row.manure_facility else "否", rate])
    (out / "livestock_farms.csv").write_bytes(text.getvalue().encode("gbk"))


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """RFC 7946 GeoJSON: UTF-8, WGS84 lon/lat, 7 decimals."""
    import pyogrio

    pyogrio.write_dataframe(_round_coords(gdf.to_crs(WGS84_EPSG), 7), path, driver="GeoJSON",
                            layer_options={"RFC7946": "YES", "WRITE_NAME": "NO"})


def _write_roads(roads: gpd.GeoDataFrame, out: Path) -> None:
    """roads.gpkg, layer ``roads``, EPSG:4548, coordinates to the millimetre."""
    import pyogrio

    gdf = roads[["code", "level", "level_zh"]].assign(note=NOTE_ZH).set_geometry(
        roads.geometry.values, crs=WORK_EPSG)
    path = out / "roads.gpkg"
    path.unlink(missing_ok=True)
    with _gdal_fixed_date():
        pyogrio.write_dataframe(_round_coords(gdf, 3), path, layer="roads", driver="GPKG")


def _write_dem(s: SampleLayers, out: Path) -> None:
    """dem.tif: int16 metres, EPSG:4548, 30 m, deflate with a horizontal predictor."""
    import rasterio
    from affine import Affine

    profile = {
        "driver": "GTiff", "dtype": "int16", "nodata": DEM_NODATA, "count": 1,
        "width": s.dem.shape[1], "height": s.dem.shape[0], "crs": f"EPSG:{WORK_EPSG}",
        "transform": Affine(*s.dem_transform), "compress": "deflate", "predictor": 2,
        "zlevel": 9, "tiled": True, "blockxsize": 256, "blockysize": 256,
    }
    with rasterio.open(out / "dem.tif", "w", **profile) as dst:
        dst.write(s.dem, 1)
        dst.update_tags(DESCRIPTION="Synthetic 30 m DEM of the geo_env sample district "
                        "(not a real place); elevation in metres")


def _write_waste_facilities(f: gpd.GeoDataFrame, out: Path) -> None:
    """waste_facilities.csv: UTF-8 (with the BOM Excel writes for "CSV UTF-8"), WGS84 lon/lat."""
    lonlat = _lonlat(f, WGS84_EPSG)
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow(["编号", "名称", "类型", "设计能力（吨/日）", "运行状态", "经度", "纬度", "备注"])
    for row, (x, y) in zip(f.itertuples(), lonlat):
        w.writerow([row.id, row.name, row.kind, int(row.capacity_t_per_day), FACILITY_STATUS_ZH[row.status],
                    f"{x:.6f}", f"{y:.6f}", NOTE_ZH + ("；已封场" if row.status == "stopped" else "")])
    (out / "waste_facilities.csv").write_bytes(text.getvalue().encode("utf-8-sig"))


def _write_buildings(b: gpd.GeoDataFrame, out: Path) -> None:
    """buildings.gpkg, layer ``buildings``, EPSG:4548, house footprints to the centimetre."""
    import pyogrio

    path = out / "buildings.gpkg"
    path.unlink(missing_ok=True)
    with _gdal_fixed_date():
        pyogrio.write_dataframe(_round_coords(b, 2), path, layer="buildings", driver="GPKG")


def write_sample(out_dir: str | Path, layers: SampleLayers | None = None) -> list[Path]:
    """Write the sample district's files and ``project.toml`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write (created if missing); files of the same names are replaced.
    layers
        The layers to write; default :func:`build_sample` with :data:`SEED`.

    Returns
    -------
    list of Path
        The files written, in :data:`FILES` order.
    """
    s = layers if layers is not None else build_sample()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_villages(s.villages, out)
    _write_stations(s.transfer_stations, out)
    _write_farms(s.livestock_farms, out)
    plants = s.sewage_plants.rename(columns={
        "id": "编号", "name": "名称", "kind": "类型", "township": "所属乡镇",
        "capacity_m3_per_day": "设计规模", "load_m3_per_day": "实际处理量", "process": "处理工艺"})
    plants = plants.assign(备注=NOTE_ZH, 状态=plants["status"].map(FACILITY_STATUS_ZH),
                           建成年份=plants["year_built"])
    _write_geojson(plants.drop(columns=["status", "year_built"]), out / "sewage_plants.geojson")
    water = s.water.assign(id=[f"SX{i + 1:02d}" for i in range(len(s.water))], note=NOTE_ZH)
    _write_geojson(water[["id", "name", "kind", "protection", "protection_zh", "水质类别", "note", "geometry"]],
                   out / "water.geojson")
    zones = s.prohibited_zones.assign(id=[f"JY{i + 1:02d}" for i in range(len(s.prohibited_zones))],
                                      note=NOTE_ZH)
    _write_geojson(zones[["id", "name", "kind", "kind_zh", "note", "geometry"]],
                   out / "prohibited_zones.geojson")
    _write_roads(s.roads, out)
    _write_dem(s, out)
    if s.waste_facilities is not None and s.buildings is not None and s.collection_points is not None:
        _write_waste_facilities(s.waste_facilities, out)
        _write_buildings(s.buildings, out)
        _write_geojson(s.collection_points, out / "collection_points.geojson")
    (out / "project.toml").write_text(PROJECT_TOML, encoding="utf-8")
    (out / "README.md").write_text(_readme(s), encoding="utf-8")
    return [out / f for f in FILES]


# ------------------------------------------------------------------------------------------
# public entry points
# ------------------------------------------------------------------------------------------
#: The committed copy, in a source checkout.
def main(argv: Sequence[str] | None = None) -> int:
    """``python tools/make_sample.py OUTDIR``: write the sample district into OUTDIR."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python tools/make_sample.py OUTDIR", file=sys.stderr)
        return 2
    files = write_sample(args[0])
    total = sum(p.stat().st_size for p in files)
    print(f"wrote {len(files)} files, {total / 1e6:.2f} MB, into {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

