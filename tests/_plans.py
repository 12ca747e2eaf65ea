"""Small hand-made Plans for the briefing-pack tests (maps, figures, report).

A 3 × 3 grid of 1 km square villages in EPSG:4548 (CGCS2000 3° GK, CM 117° E), near
30.7° N: columns 0–1 are township 甲镇, column 2 is 乙镇.  Every analysis column and
output layer named in docs/DESIGN.md and issues 3–5 is present unless ``analyses=False``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo_env.io.project import District
from geo_env.plan import Plan

CRS = pyproj.CRS("EPSG:4548")
X0, Y0, SIZE = 500_000.0, 3_400_000.0, 1000.0

#: Strings that would run script if any layer of the page let them through as HTML/JS.
PAYLOADS = (
    '<img src=x onerror="document.title=\'pwned-img\'">',
    "</script><script>document.title='pwned-script'</script>",
    "${document.title='pwned-tpl'}`\\",
    "<!--<script>",
    # branca re-parses what folium's macros render as a Jinja template: must stay text
    "{{ 7*7 }}{{ cycler.__init__.__globals__.os.getcwd() }}{% if %}{#",
)


def _grid() -> gpd.GeoDataFrame:
    rows = []
    for j in range(3):          # row (y)
        for i in range(3):      # column (x)
            k = 3 * j + i
            rows.append({
                "id": f"V{k}",
                "name": f"村{k}",
                "township": "甲镇" if i < 2 else "乙镇",
                "population": 100 * (k + 1),
                "households": 40 * (k + 1),
                "geometry": shapely.box(X0 + i * SIZE, Y0 + j * SIZE,
                                        X0 + (i + 1) * SIZE, Y0 + (j + 1) * SIZE),
            })
    gdf = gpd.GeoDataFrame(rows, crs=CRS)
    c = gdf.geometry.centroid
    gdf["anchor_x"], gdf["anchor_y"] = c.x, c.y
    return gdf


def _pts(xy, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=[shapely.Point(x, y) for x, y in xy], crs=CRS)


def make_plan(*, analyses: bool = True, payload: str | None = None, dem=None) -> Plan:
    """A Plan on the 3 × 3 grid; ``payload`` replaces every user-supplied string."""
    v = _grid()
    stations = _pts([(X0 + 500, Y0 + 500)], id=["S1"], name=["一号转运站"])
    plants = _pts([(X0 + 2500, Y0 + 2500)], id=["P1"], name=["城镇污水厂"],
                  capacity_m3_per_day=[500.0], load_m3_per_day=[300.0])
    farms = _pts([(X0 + 2900, Y0 + 100), (X0 + 1500, Y0 + 1500), (X0 + 3600, Y0 + 1500)],
                 id=["F1", "F2", "F3"], name=["甲猪场", "乙牛场", "丙鸡场"],
                 species=["pig", "dairy_cow", "layer"], head=[1000, 50, 20000])
    roads = gpd.GeoDataFrame({"name": ["一号路"]}, geometry=[shapely.LineString(
        [(X0, Y0 + 500), (X0 + 3000, Y0 + 500), (X0 + 3000, Y0 + 2500)])], crs=CRS)
    water = gpd.GeoDataFrame({"name": ["小河", "水库"]}, geometry=[
        shapely.LineString([(X0 + 200, Y0), (X0 + 200, Y0 + 3000)]),
        shapely.box(X0 + 1200, Y0 + 2200, X0 + 1600, Y0 + 2600)], crs=CRS)
    d = District(name="示例区", crs=CRS, villages=v, transfer_stations=stations,
                 sewage_plants=plants, livestock_farms=farms, roads=roads, water=water, dem=dem)
    d.params.setdefault("livestock", {})["residential_setback_m"] = 500.0
    villages = v.copy()
    layers: dict[str, gpd.GeoDataFrame] = {}
    if analyses:
        # distance from each anchor to S1 (straight), radius 1500 m; village 8 unreachable
        ax, ay = villages["anchor_x"].to_numpy(), villages["anchor_y"].to_numpy()
        dist = np.hypot(ax - (X0 + 500), ay - (Y0 + 500))
        dist[8] = np.nan
        villages["station_id"] = np.where(np.isnan(dist), None, "S1")
        villages["station_distance_m"] = dist
        villages["distance_metric"] = "straight"
        villages["waste_covered"] = dist <= 1500
        villages["waste_unreachable"] = np.isnan(dist)
        villages["sewage_mode"] = ["household", "connect", "connect", "cluster", "cluster",
                                   "connect", "centralized", "household", "connect"]
        villages["sewage_plant_id"] = np.where(villages["sewage_mode"] == "connect", "P1", None)
        villages["sewage_cluster_id"] = np.where(villages["sewage_mode"] == "cluster", "C1", None)
        villages["sewage_reason"] = "距污水厂2.1 km，需1座提升泵站，纳管年费用比村级集中低38%"
        villages["toilet_suggestion"] = "水冲式厕所"
        villages["cost_connect_yuan_per_year"] = np.linspace(10_000, 90_000, 9)
        villages["cost_household_yuan_per_year"] = 55_000.0
        layers["service_areas"] = gpd.GeoDataFrame(
            {"station_id": ["S1"]}, geometry=[shapely.Point(X0 + 500, Y0 + 500).buffer(1500)], crs=CRS)
        layers["proposed_transfer_stations"] = _pts(
            [(X0 + 2500, Y0 + 2500)], id=["N1"], rank=[1], covers_villages=[3],
            covers_population=[1200])
        layers["sewage_clusters"] = gpd.GeoDataFrame(
            {"id": ["C1"], "villages": [2], "flow_m3_per_day": [12.5]},
            geometry=[shapely.box(X0, Y0 + 1000, X0 + 2000, Y0 + 2000)], crs=CRS)
        f = farms.copy()
        f["pig_equivalents"] = [1000.0, 333.3, 333.3]
        f["nearest_village_distance_m"] = [0.0, 0.0, 600.0]
        f["water_distance_m"] = [2700.0, 500.0, 3400.0]
        f["setback_ok"] = [False, False, True]
        f["issues"] = ["距村庄0 m（要求≥500 m）", "距村庄0 m（要求≥500 m）", ""]
        layers["livestock_farms"] = f
        p = plants.copy()
        p["load_after_m3_per_day"] = [420.0]
        layers["sewage_plants"] = p
    plan = Plan(district=d, villages=villages, layers=layers, summary={"project": d.name})
    if payload is not None:
        _inject(plan, payload)
    return plan


def _inject(plan: Plan, payload: str) -> None:
    """Replace every string cell (and the project name) with ``payload`` + a suffix."""
    def poison(df: pd.DataFrame) -> None:
        for c in df.columns:
            if c == df.geometry.name:
                continue
            if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype):
                df[c] = [None if x is None else f"{payload}{i}" for i, x in enumerate(df[c])]

    d = plan.district
    d.name = payload
    poison(plan.villages)
    for gdf in [*plan.layers.values(), d.transfer_stations, d.sewage_plants, d.livestock_farms,
                d.roads, d.water]:
        if gdf is not None:
            poison(gdf)
    # a layer name and a column name from the user as well
    plan.villages[payload] = "x"
