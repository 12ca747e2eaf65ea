"""Waste coverage: hand-computed fixtures, pyproj.Geod, road distances, empty and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely import LineString, Point, box

from geo_env.analysis.coverage import coverage_by_township, service_areas, waste_coverage
from geo_env.errors import ColumnNotFoundError, CRSError, EmptyLayerError, GeometryTypeError, ParameterError
from geo_env.io.project import District
from geo_env.parts import waste_part as plan_part

CRS = pyproj.CRS("EPSG:4548")
X0, Y0 = 548_900.0, 3_142_000.0


def villages(xy, towns=None, pops=None, index=None):
    n = len(xy)
    return gpd.GeoDataFrame(
        {"id": [f"v{i}" for i in range(n)], "name": [f"村{i}" for i in range(n)],
         "township": towns or ["甲镇"] * n, "population": pops or [100] * n,
         "households": [30] * n},
        geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs=CRS, index=index)


def stations(xy, ids=None):
    return gpd.GeoDataFrame({"id": ids or [f"s{i}" for i in range(len(xy))],
                             "name": [f"站{i}" for i in range(len(xy))]},
                            geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs=CRS)


def roads(lines):
    return gpd.GeoDataFrame(geometry=[LineString([(X0 + x, Y0 + y) for x, y in c]) for c in lines],
                            crs=CRS)


def district(v, st=None, rd=None, **waste):
    d = District(name="测试区", crs=CRS, villages=v, transfer_stations=st, roads=rd)
    return d.with_params("waste", **waste) if waste else d


# ---------------------------------------------------------------- straight, by hand
def test_straight_hand_fixture_village_exactly_at_the_radius_is_covered():
    v = villages([(1800, 2400), (1800, 2400.01), (3000, 0), (9000, 100), (10000, 0)],
                 towns=["甲镇", "甲镇", "甲镇", "乙镇", "乙镇"], pops=[100, 200, 300, 400, 500])
    d = district(v, stations([(0, 0), (9000, 0)], ids=["A", "B"]))
    cov = waste_coverage(d, radius_m=3000, metric="straight")
    np.testing.assert_allclose(cov["station_distance_m"],
                               [3000, np.hypot(1800, 2400.01), 3000, 100, 1000])
    assert cov["station_id"].tolist() == ["A", "A", "A", "B", "B"]
    assert cov["waste_covered"].tolist() == [True, False, True, True, True]
    assert not cov["waste_unreachable"].any()
    assert (cov["distance_metric"] == "straight").all()
    t = coverage_by_township(cov)
    assert t["township"].tolist() == ["甲镇", "乙镇", "total"]
    assert t["villages"].tolist() == [3, 2, 5]
    assert t["covered_villages"].tolist() == [2, 2, 4]
    assert t["population"].tolist() == [600, 900, 1500]
    assert t["covered_population"].tolist() == [400, 900, 1300]
    np.testing.assert_allclose(t["coverage_rate_villages"], [2 / 3, 1, 0.8])
    np.testing.assert_allclose(t["coverage_rate_population"], [400 / 600, 1, 1300 / 1500])
    assert t["unreachable_villages"].tolist() == [0, 0, 0]


def test_polygon_villages_use_their_anchor_and_index_is_kept():
    polys = [box(X0 + 2000, Y0 - 500, X0 + 3000, Y0 + 500),  # centroid 2500 m away
             box(X0 + 5000, Y0 - 500, X0 + 6000, Y0 + 500)]  # centroid 5500 m away
    v = gpd.GeoDataFrame({"id": ["a", "b"], "name": ["甲", "乙"], "township": ["t", "t"],
                          "population": [1, 2], "households": [1, 1]},
                         geometry=polys, crs=CRS, index=["x", "y"])
    v["anchor_x"] = [np.nan, X0 + 2900.0]  # a supplied anchor for the second village
    v["anchor_y"] = [np.nan, Y0]
    before = v.copy()
    cov = waste_coverage(district(v, stations([(0, 0)])), radius_m=3000, metric="straight")
    assert list(cov.index) == ["x", "y"]
    np.testing.assert_allclose(cov["station_distance_m"], [2500, 2900])
    assert cov["waste_covered"].all()
    pd.testing.assert_frame_equal(v, before)  # input not mutated
    assert "station_id" not in v.columns


def test_defaults_come_from_the_project_parameters():
    v = villages([(2500, 0)])
    d = district(v, stations([(0, 0)]))
    assert waste_coverage(d)["waste_covered"].all()          # 3000 m default, straight (no roads)
    d2 = district(v, stations([(0, 0)]), service_radius_m=2000.0)
    assert not waste_coverage(d2)["waste_covered"].any()
    assert waste_coverage(d2, radius_m=2600)["waste_covered"].all()


@pytest.mark.parametrize("seed", range(3))
def test_straight_distances_agree_with_pyproj_geod(seed):
    """Real coordinates around 117.5°E 28.5°N, CGCS2000 3° zone EPSG:4548 (CM 117°E)."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(117.2, 117.8, 300)
    lat = rng.uniform(28.3, 28.7, 300)
    slon, slat = rng.uniform(117.2, 117.8, 15), rng.uniform(28.3, 28.7, 15)
    to_work = pyproj.Transformer.from_crs(4490, 4548, always_xy=True)
    vx, vy = to_work.transform(lon, lat)
    sx, sy = to_work.transform(slon, slat)
    v = gpd.GeoDataFrame({"id": [str(i) for i in range(300)], "name": "村", "township": "t",
                          "population": 1, "households": 1},
                         geometry=gpd.points_from_xy(vx, vy), crs=CRS)
    st = gpd.GeoDataFrame({"id": [str(i) for i in range(15)]},
                          geometry=gpd.points_from_xy(sx, sy), crs=CRS)
    cov = waste_coverage(district(v, st), radius_m=5000, metric="straight")
    geod = pyproj.CRS(4490).get_geod()
    k = cov["station_id"].astype(int).to_numpy()
    _, _, g = geod.inv(lon, lat, slon[k], slat[k])
    np.testing.assert_allclose(cov["station_distance_m"], g, rtol=5e-4)
    # and it is the geodesically nearest station, up to the same tolerance
    all_g = np.array([geod.inv(lon, lat, np.full(300, a), np.full(300, b))[2]
                      for a, b in zip(slon, slat)])
    assert (g <= all_g.min(axis=0) * (1 + 5e-4)).all()


# ------------------------------------------------------------------------- road metric
def road_district(**kw):
    # a main road y=0 from 0 to 10 km, a side road x=4000 up to y=3000 (T, 0.5 m short),
    # and an isolated road far north
    rd = roads([[(0, 0), (10000, 0)], [(4000, 0.5), (4000, 3000)], [(0, 8000), (3000, 8000)]])
    v = villages([(2000, 50), (4100, 2900), (7100, 0), (1000, 8000), (5000, 5000)])
    return district(v, stations([(1000, -20)]), rd, **kw)


def test_road_distances_by_hand_and_unreachable_villages():
    d = road_district()
    cov = waste_coverage(d, radius_m=5000)  # metric auto -> road
    assert (cov["distance_metric"] == "road").all()
    want = [20 + 1000 + 50,                       # along the main road
            20 + 3000 + 0.5 + 2899.5 + 100,       # up the side road
            20 + 6100,                            # on the main road
            np.nan,                               # on the isolated road
            np.nan]                               # 2000 m from any road (max_connector 1000)
    np.testing.assert_allclose(cov["station_distance_m"], want)
    assert cov["waste_covered"].tolist() == [True, False, False, False, False]
    assert cov["waste_unreachable"].tolist() == [False, False, False, True, True]
    assert cov["station_id"].tolist()[:3] == ["s0"] * 3
    assert cov["station_id"].isna().tolist()[3:] == [True, True]
    t = coverage_by_township(cov)
    assert t["unreachable_villages"].iloc[-1] == 2
    # straight distances are shorter: the side-road village is covered in a straight line
    s = waste_coverage(d, radius_m=5000, metric="straight")
    assert s["waste_covered"].tolist() == [True, True, False, False, False]


def test_node_crossings_setting_reaches_the_road_distances():
    # an X of two roads crossing at (1000, 1000) without a shared vertex (a bridge, unless
    # [layers.roads] node_crossings = true); station at one end, village 100 m off the other
    lines = [[(0, 1000), (2000, 1000)], [(1000, 0), (1000, 2000)]]
    d = district(villages([(1000, 2100)]), stations([(0, 1000)]), roads(lines))
    cov = waste_coverage(d, radius_m=5000, metric="road")
    assert cov["waste_unreachable"].tolist() == [True]
    d = d.with_params("roads", node_crossings=True)
    cov = waste_coverage(d, radius_m=5000, metric="road")
    # 1000 m to the crossing, 1000 m up the other road, 100 m connector
    assert cov["station_distance_m"].tolist() == [pytest.approx(2100.0)]


# --------------------------------------------------------------------- empty & bad input
def test_no_stations_and_no_villages():
    v = villages([(0, 0), (10, 10)])
    for st in (None, stations([])):
        cov = waste_coverage(district(v, st), metric="straight")
        assert not cov["waste_covered"].any() and not cov["waste_unreachable"].any()  # nothing to reach
        assert cov["station_distance_m"].isna().all() and cov["station_id"].isna().all()
    # a district without villages is refused when it is made, with the loader's error (the
    # analyses used to meet it one by one: IndexError in livestock)
    with pytest.raises(EmptyLayerError, match="the district has no villages"):
        district(villages([]), stations([(0, 0)]))
    t = coverage_by_township(cov.iloc[:0])  # the township table of no villages
    assert t["township"].tolist() == ["total"] and t["villages"].tolist() == [0]
    assert np.isnan(t["coverage_rate_population"].iloc[0])


def test_bad_input_raises_clear_errors():
    v = villages([(0, 0)])
    d = district(v, stations([(0, 0)]))
    with pytest.raises(ParameterError, match="radius_m"):
        waste_coverage(d, radius_m=-1)
    with pytest.raises(ParameterError, match="metric"):
        waste_coverage(d, metric="crow")
    with pytest.raises(ParameterError, match="roads layer"):
        waste_coverage(d, metric="road")
    poly = gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=CRS)
    with pytest.raises(GeometryTypeError, match="transfer_stations.*Polygon"):
        waste_coverage(district(v, poly))
    with pytest.raises(CRSError, match="working CRS"):
        waste_coverage(district(v, stations([(0, 0)]).to_crs(4490)))
    with pytest.raises(ColumnNotFoundError, match="waste_covered"):
        coverage_by_township(v)


def test_metamorphic_larger_radius_or_more_stations_never_cover_less():
    rng = np.random.default_rng(3)
    v = villages([tuple(p) for p in rng.uniform(0, 20000, (300, 2))])
    st = [tuple(p) for p in rng.uniform(0, 20000, (5, 2))]
    base = waste_coverage(district(v, stations(st)), radius_m=3000, metric="straight")
    wider = waste_coverage(district(v, stations(st)), radius_m=3500, metric="straight")
    more = waste_coverage(district(v, stations(st + [(10000, 10000)])), radius_m=3000,
                          metric="straight")
    assert (wider["waste_covered"] >= base["waste_covered"]).all()
    assert (more["waste_covered"] >= base["waste_covered"]).all()
    assert (more["station_distance_m"] <= base["station_distance_m"]).all()


# ------------------------------------------------------------------------ service areas
def test_straight_service_areas_are_circles():
    d = district(villages([(0, 0)]), stations([(0, 0), (5000, 0)]))
    sa = service_areas(d, radius_m=3000, metric="straight")
    assert sa["station_id"].tolist() == ["s0", "s1"]
    # a regular 256-gon inscribed in the circle
    np.testing.assert_allclose(sa.area, 0.5 * 256 * 3000**2 * np.sin(2 * np.pi / 256), rtol=1e-9)
    assert sa.geometry.iloc[0].contains(Point(X0 + 2990, Y0))
    assert sa.crs == CRS


def test_road_service_area_follows_the_reachable_roads():
    d = district(villages([(0, 0)]), stations([(1000, -20), (5000, 7000)]),
                 roads([[(0, 0), (10000, 0)], [(4000, 0), (4000, 6000)]]))
    sa = service_areas(d, radius_m=3000, metric="road", buffer_m=100)
    g = sa.geometry.iloc[0]
    # along the main road the station reaches 3000 - 20 m each way from x = 1000
    assert g.contains(Point(X0 + 3950, Y0 + 50)) and g.contains(Point(X0 + 0, Y0))
    assert not g.contains(Point(X0 + 4100, Y0))
    assert not g.contains(Point(X0 + 4000, Y0 + 200))  # the side road starts 3000 m away
    assert sa.geometry.iloc[1] is None  # 1414 m from every road: not attached
    # reachable length: 1000 m west (road ends), 2980 m east
    net_pieces = shapely.intersection(g, LineString([(X0, Y0), (X0 + 10000, Y0)]))
    assert net_pieces.length == pytest.approx(3980 + 100, abs=1)


# --------------------------------------------------------------------------- plan part
def test_plan_part_columns_layers_tables_and_summary():
    v = villages([(0, 0), (2000, 0), (8000, 0), (8500, 0), (20000, 0)],
                 towns=["甲镇", "甲镇", "乙镇", "乙镇", "乙镇"], pops=[100, 200, 300, 400, 50])
    d = district(v, stations([(0, 0)]), service_radius_m=3000.0, metric="straight",
                 target_coverage=0.9)
    part = plan_part(d)
    assert part.name == "waste"
    cols = part.village_columns
    assert list(cols.index) == list(v.index)
    assert {"station_id", "station_distance_m", "distance_metric", "waste_covered",
            "waste_unreachable", "proposed_station_id"} <= set(cols.columns)
    sites = part.layers["proposed_transfer_stations"]
    assert len(sites) == 1 and sites["covers_villages"].tolist() == [2]
    assert sites["covers_population"].tolist() == [700]
    assert cols["proposed_station_id"].tolist() == [None, None, "P1", "P1", None]
    sa = part.layers["service_areas"]
    assert sa["status"].tolist() == ["existing", "proposed"]
    s = part.summary
    assert s["covered_villages"] == 2 and s["coverage_rate_population"] == pytest.approx(300 / 1050)
    assert s["by_township"]["乙镇"]["covered_villages"] == 0
    assert s["siting"]["target_reached"] and s["siting"]["proposed_stations"] == 1
    assert s["siting"]["after"]["covered_population"] == 1000
    assert "GB/T 51435-2021" in s["radius_source"]
    unc = part.tables["uncovered_villages"]
    assert unc["id"].tolist() == ["v2", "v3", "v4"]
    tw = part.tables["waste_townships"]
    assert tw["covered_villages_after"].tolist() == [2, 2, 4]
    json.dumps(s, default=float)


def test_analyze_and_cli_write_the_waste_outputs(tmp_path):
    from builders import write_project

    project = write_project(tmp_path / "proj")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "geo_env.cli", "run", str(project), "--out",
                        str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    w = summary["waste"]
    assert w["metric"] == "road" and w["radius_m"] == 3000
    assert w["villages"] == 9 and "siting" in w and "by_township" in w
    import pyogrio

    names = {n for n, _ in pyogrio.list_layers(out / "plan.gpkg")}
    assert {"villages", "transfer_stations", "service_areas",
            "proposed_transfer_stations"} <= names
    vil = gpd.read_file(out / "plan.gpkg", layer="villages")
    assert {"station_id", "station_distance_m", "distance_metric", "waste_covered"} <= set(vil)
    assert int(vil["waste_covered"].sum()) == w["covered_villages"]
    proposed = gpd.read_file(out / "plan.gpkg", layer="proposed_transfer_stations")
    assert len(proposed) == w["siting"]["proposed_stations"] > 0
    assert {"id", "rank", "covers_villages", "covers_population"} <= set(proposed)
    import openpyxl

    from geo_env.labels import label

    sheets = openpyxl.load_workbook(out / "report.xlsx", read_only=True).sheetnames
    for key in ("waste_townships", "uncovered_villages", "sheet.proposed_transfer_stations"):
        assert label(key) in sheets
    assert (out / "figures" / "waste_coverage.png").exists()
