"""Builders of small input files the way planners have them (for the reader tests).

Everything is placed around 117.5°E 28.4°N (Jiangxi), working CRS EPSG:4548
(CGCS2000 / 3-degree Gauss-Kruger CM 117E).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import LineString, box

WORK = pyproj.CRS.from_epsg(4548)
TO_LONLAT = pyproj.Transformer.from_crs(WORK, 4490, always_xy=True)
ORIGIN = (500_000.0 + 48_900.0, 3_142_000.0)  # ≈ 117.5°E, 28.4°N in EPSG:4548

NAMES = ["上坪村", "石门村", "下湾村", "龙潭村", "枫树坪村", "河口村", "新塘村", "长岭村", "高岗村"]
TOWNS = ["河口镇", "河口镇", "河口镇", "石溪镇", "石溪镇", "石溪镇", "城南街道", "城南街道", "城南街道"]


def grid_villages(n: int = 3, size: float = 2000.0) -> gpd.GeoDataFrame:
    """n×n square villages of ``size`` m in EPSG:4548, canonical columns."""
    x0, y0 = ORIGIN
    polys, rows = [], []
    for j in range(n):
        for i in range(n):
            k = j * n + i
            polys.append(box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size))
            rows.append({
                "id": f"3611231002{k:02d}",
                "name": NAMES[k % len(NAMES)] if k < len(NAMES) else f"村{k}",
                "township": TOWNS[k % len(TOWNS)],
                "population": 500 + 100 * k,
                "households": 150 + 30 * k,
            })
    return gpd.GeoDataFrame(rows, geometry=polys, crs=WORK)


def planner_villages(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The villages as a planner's shapefile has them: lon/lat, Chinese pinyin-initial columns."""
    out = v.to_crs(4490).rename(columns={"id": "CUN_DM", "name": "CUN_MC", "township": "XZ_MC",
                                         "population": "RK", "households": "HS"})
    return out


def write_shapefile(gdf: gpd.GeoDataFrame, path: Path, *, encoding: str, cpg: bool, ldid: int | None = 0) -> Path:
    """Write a shapefile in ``encoding``; drop the .cpg unless ``cpg``; set the DBF LDID byte."""
    gdf.to_file(path, encoding=encoding, engine="pyogrio")
    cpg_path = path.with_suffix(".cpg")
    if not cpg and cpg_path.exists():
        cpg_path.unlink()
    if ldid is not None:
        dbf = path.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        data[29] = ldid
        dbf.write_bytes(bytes(data))
    return path


STATIONS_WORK = [(ORIGIN[0] + 1000.0, ORIGIN[1] + 1000.0), (ORIGIN[0] + 5000.0, ORIGIN[1] + 5000.0)]


def station_lonlat() -> np.ndarray:
    """True WGS84/CGCS2000 lon/lat of the two fixture stations, (2, 2)."""
    xs, ys = zip(*STATIONS_WORK)
    lon, lat = TO_LONLAT.transform(np.array(xs), np.array(ys))
    return np.column_stack([lon, lat])


def stations_table(coords: str = "wgs84") -> pd.DataFrame:
    """Stations as an Excel sheet has them: Chinese headers, lon/lat in ``coords``."""
    from geo_env.crs import wgs84_to_bd09, wgs84_to_gcj02

    ll = station_lonlat()
    lon, lat = ll[:, 0], ll[:, 1]
    if coords == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif coords == "bd09":
        lon, lat = wgs84_to_bd09(lon, lat)
    return pd.DataFrame({"编号": ["T01", "T02"], "名称": ["河口转运站", "石溪转运站"], "经度": lon, "纬度": lat})


def roads_layer() -> gpd.GeoDataFrame:
    x0, y0 = ORIGIN
    lines = [LineString([(x0, y0 + 1000), (x0 + 6000, y0 + 1000)]),
             LineString([(x0 + 3000, y0 + 1000), (x0 + 3000, y0 + 6000)])]
    return gpd.GeoDataFrame({"level": ["县道", "乡道"]}, geometry=lines, crs=WORK)


def write_project(folder: Path, *, extra: str = "", stations: bool = True, villages_cols: str | None = None) -> Path:
    """A complete small project: GBK shapefile without .cpg, GCJ-02 xlsx stations, roads gpkg."""
    folder.mkdir(parents=True, exist_ok=True)
    v = planner_villages(grid_villages())
    write_shapefile(v, folder / "villages.shp", encoding="GBK", cpg=False, ldid=0)
    cols = villages_cols or 'id = "CUN_DM", name = "CUN_MC", township = "XZ_MC", population = "RK", households = "HS"'
    text = f'''[project]
name = "测试区"
crs = "auto"

[layers.villages]
path = "villages.shp"
columns = {{ {cols} }}
'''
    if stations:
        stations_table("gcj02").to_excel(folder / "stations.xlsx", index=False)
        roads_layer().to_file(folder / "roads.gpkg", layer="roads", engine="pyogrio")
        text += '''
[layers.transfer_stations]
path = "stations.xlsx"
x = "经度"
y = "纬度"
coords = "gcj02"
columns = { id = "编号", name = "名称" }

[layers.roads]
path = "roads.gpkg"
'''
    text += extra
    (folder / "project.toml").write_text(text, encoding="utf-8")
    return folder / "project.toml"


def file_digests(folder: Path) -> dict[str, bytes]:
    """Every file's bytes under ``folder`` (to prove inputs are unchanged)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (POSIX): a read that would wait for
    ever (a named pipe) fails the test instead of hanging it."""
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bowtie(x0: float, y0: float, s: float) -> shapely.Polygon:
    """A self-intersecting 'bowtie' polygon; make_valid gives two triangles of area s²/4 each."""
    return shapely.Polygon([(x0, y0), (x0 + s, y0 + s), (x0 + s, y0), (x0, y0 + s), (x0, y0)])
