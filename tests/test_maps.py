"""The plan map as text: offline page, layers and legends, escaping, geometry encoding."""

from __future__ import annotations

import base64
import html as htmllib
import io
import json
import os
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_env.crs import wgs84_to_gcj02
from geo_env.errors import DataWarning, GeoEnvWarning, ParameterError
from geo_env.outputs import maps
from geo_env.outputs.html import esc, esc_series, script_json
from geo_env.outputs.topology import QUANTUM, ArcStore, decode_ints, encode_ints, polygon_topology

from _plans import CRS, PAYLOADS, make_plan

UNSAFE = set("<>\"'`$\\")


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def page(plan, **kw) -> str:
    return maps.map_html(maps.plan_map(plan, **kw))


def data_of(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="geo-env-data">(.*?)</script>', html, re.S)
    assert m, "data block missing"
    return json.loads(m.group(1))


def decoded_arcs(data: dict) -> list[np.ndarray]:
    """Arcs of the data block as (k, 2) lon/lat arrays (independent Python decoder)."""
    out = []
    ox, oy = data["origin"]
    for seq in decode_ints(data["arcs"]):
        a = np.array(seq, dtype=np.int64).reshape(-1, 2)
        a[0] += (ox, oy)
        out.append(np.cumsum(a, axis=0) * data["quantum"])
    return out


def ring_coords(refs, arcs) -> np.ndarray:
    pts: list = []
    for r in refs:
        a = arcs[r] if r >= 0 else arcs[~r][::-1]
        pts.extend(a if not pts else a[1:])
    return np.array(pts)


def polygons_of(spec_geom, arcs) -> list:
    return [shapely.MultiPolygon([shapely.Polygon(ring_coords(rs[0], arcs),
                                                  [ring_coords(h, arcs) for h in rs[1:]])
                                  for rs in feat]) for feat in spec_geom]


def layer(data: dict, key: str) -> dict:
    return next(s for s in data["layers"] if s["key"] == key)


def strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


# --------------------------------------------------------------------------------------
# escaping
# --------------------------------------------------------------------------------------
def test_esc_replaces_every_dangerous_character_and_round_trips():
    text = "<a href='x' onclick=\"y\">&`${z}`\\</a>"
    out = esc(text)
    assert not (UNSAFE & set(out))
    assert htmllib.unescape(out) == text
    assert esc("&lt;") == "&amp;lt;"  # never double-decoded
    assert esc(None) == "" and esc(float("nan")) == "" and esc(pd.NA) == ""
    assert esc(12.5) == "12.5"


def test_esc_series_equals_esc_per_value():
    values = ["村<1>", None, "a$b`c\\d", np.nan, 3, "&amp;"]
    assert esc_series(values) == [esc(v) for v in values]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_script_json_cannot_end_its_script_element(payload):
    obj = {"k": payload, payload: [payload, "\u2028"]}
    text = script_json(obj)
    assert "</" not in text and "<!--" not in text and "<" not in text
    assert "\u2028" not in text
    assert json.loads(text) == obj


# --------------------------------------------------------------------------------------
# geometry encoding
# --------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=12), min_size=1,
                max_size=8))
def test_encode_ints_round_trips(seqs):
    flat = np.array([v for s in seqs for v in s], dtype=np.int64)
    starts = np.cumsum([0] + [len(s) for s in seqs[:-1]])
    text = encode_ints(flat, starts)
    assert decode_ints(text) == seqs
    assert re.fullmatch(r"[A-Za-z0-9_,-]*", text)


def test_small_deltas_take_one_character():
    # zig-zag of -16..15 is 0..31: one character each
    text = encode_ints(np.arange(-16, 16), np.array([0]))
    assert len(text) == 32


def _grid_lonlat(n=3, size=0.01):
    return np.array([shapely.box(110 + i * size, 30 + j * size, 110 + (i + 1) * size,
                                 30 + (j + 1) * size) for j in range(n) for i in range(n)],
                    dtype=object)


def test_grid_topology_stores_each_shared_edge_once():
    """3 × 3 squares: 12 inner edges (ends are junctions) and 8 outer arcs (the 8
    T-junctions on the edge cut it; corners have degree 2 and are not cut) = 20 arcs."""
    g = _grid_lonlat()
    topo = polygon_topology(g)
    assert len(topo.arc_lengths) == 20
    # 12 inner arcs of 2 points, 4 straight outer arcs of 2 points, 4 corner arcs of 3
    assert sorted(topo.arc_lengths.tolist()) == [2] * 16 + [3] * 4
    one_side = (topo.arc_owners[:, 1] < 0).sum()
    assert one_side == 8
    # every inner arc is used by two different squares
    inner = topo.arc_owners[topo.arc_owners[:, 1] >= 0]
    assert (inner[:, 0] != inner[:, 1]).all()


def test_topology_rebuilds_the_polygons_exactly():
    donut = shapely.box(110.05, 30, 110.08, 30.03).difference(shapely.box(110.06, 30.01, 110.07, 30.02))
    island = shapely.box(110.06, 30.01, 110.07, 30.02)
    multi = shapely.MultiPolygon([shapely.box(111, 30, 111.01, 30.01), shapely.box(111.02, 30, 111.03, 30.01)])
    geoms = np.array([*_grid_lonlat(), donut, island, multi], dtype=object)
    topo = polygon_topology(geoms)
    store = ArcStore()
    store.add(topo.arc_coords, topo.arc_lengths)
    data = {"arcs": store.encode(), "origin": list(store.origin()), "quantum": QUANTUM}
    arcs = decoded_arcs(data)
    rebuilt = polygons_of(topo.polygons, arcs)
    for a, b in zip(rebuilt, geoms):
        assert a.symmetric_difference(b).area < 1e-12
        assert shapely.hausdorff_distance(a, b) < QUANTUM
    # the donut's hole and the island share their one arc
    hole_arc = topo.polygons[9][0][1]
    island_arc = topo.polygons[10][0][0]
    assert len(hole_arc) == len(island_arc) == 1
    assert (hole_arc[0] ^ island_arc[0]) in (0, -1)  # same arc (i and ~i)


def test_coverage_simplification_leaves_no_gaps_or_overlaps():
    rng = np.random.default_rng(1)
    pts = shapely.multipoints(rng.uniform(0, 10_000, (60, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=shapely.box(0, 0, 10_000, 10_000)))
    cells = shapely.intersection(cells, shapely.box(0, 0, 10_000, 10_000))
    # make boundaries wiggly: many vertices on the shared edges
    cells = shapely.segmentize(cells, 50)
    cells = np.array(shapely.set_precision(cells, 0.01), dtype=object)
    out = maps._simplify_coverage(cells, 200.0)
    assert shapely.get_num_coordinates(out).sum() < shapely.get_num_coordinates(cells).sum() / 3
    total = shapely.area(out).sum()
    union = shapely.union_all(out).area
    assert total == pytest.approx(union, rel=1e-9)          # no overlaps
    assert union == pytest.approx(100_000_000, rel=1e-9)    # no gaps (area of the box)


# --------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------
def test_page_loads_nothing_from_anywhere():
    html = page(make_plan())
    assert not re.findall(r"<script[^>]*\bsrc=", html, re.I)
    assert not re.findall(r"<link[^>]*>", html, re.I)
    assert not re.search(r"(jsdelivr|cdnjs|cloudflare|code\.jquery|bootstrapcdn|fontawesome)", html, re.I)
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()
    assert not re.findall(r"url\((?!data:|#)", html)  # CSS images are data: URIs
    assert "leafletjs.com" in html                       # Leaflet itself is inlined
    assert "sourceMappingURL" not in html


def test_layers_follow_what_the_plan_holds():
    full = data_of(page(make_plan()))
    keys = [s["key"] for s in full["layers"]]
    assert keys == ["townships", "district", "township_labels", "villages_waste", "villages_sewage",
                    "service_areas", "water", "roads", "sewage_clusters", "transfer_stations",
                    "proposed_transfer_stations", "sewage_plants", "livestock_farms", "setback_rings"]
    bare = data_of(page(make_plan(analyses=False)))
    keys = [s["key"] for s in bare["layers"]]
    assert keys == ["townships", "district", "township_labels", "villages", "water", "roads",
                    "transfer_stations", "sewage_plants", "livestock_farms", "setback_rings"]
    assert layer(bare, "livestock_farms")["cls"] == [2, 2, 2]  # not checked yet


def test_legends_and_classes_of_the_village_themes():
    data = data_of(page(make_plan()))
    waste = layer(data, "villages_waste")
    # hand-computed: villages 0, 1, 3, 4 within 1500 m of S1; 8 has no road path
    assert waste["cls"] == [0, 0, 1, 0, 0, 1, 1, 1, 2]
    assert [e["label"] for e in waste["legend"]] == ["服务半径内", "超出服务半径", "道路不可达"]
    sew = layer(data, "villages_sewage")
    assert sew["cls"] == [3, 0, 0, 2, 2, 0, 1, 3, 0]
    assert {e["label"] for e in sew["legend"]} == {"纳管（接入城镇污水管网）", "村级集中处理",
                                                 "联村集中处理", "联户/分户处理"}
    farms = layer(data, "livestock_farms")
    assert farms["cls"] == [1, 1, 0]
    assert layer(data, "setback_rings")["radius"] == [500.0] * 3


def test_boundaries_are_the_arcs_between_townships_and_at_the_edge():
    plan = make_plan()
    data = data_of(page(plan))
    arcs = decoded_arcs(data)
    town = shapely.union_all([shapely.LineString(arcs[i]) for i in layer(data, "townships")["geom"][0]])
    dist = shapely.union_all([shapely.LineString(arcs[i]) for i in layer(data, "district")["geom"][0]])
    # expected, in lon/lat: outline of the grid; the line x = X0 + 2000 m between the townships
    v = plan.villages.to_crs(4326)
    outline = shapely.union_all(v.geometry.values).boundary
    towns = v.dissolve("township").boundary
    assert shapely.hausdorff_distance(dist, outline) < 2e-5
    assert shapely.hausdorff_distance(town, shapely.union_all(towns.values)) < 2e-5


def test_village_polygons_survive_the_round_trip_within_a_metre():
    plan = make_plan()
    data = data_of(page(plan))
    arcs = decoded_arcs(data)
    rebuilt = gpd.GeoSeries(polygons_of(data["geoms"]["villages"], arcs), crs=4326).to_crs(CRS)
    for a, b in zip(rebuilt.values, plan.villages.geometry.values):
        assert shapely.hausdorff_distance(a, b) < 1.0


def test_popups_and_tooltips_hold_the_village_columns():
    data = data_of(page(make_plan()))
    fields = data["tables"]["villages"]
    by_key = {f["key"]: f for f in fields}
    assert list(by_key)[:5] == ["name", "township", "id", "population", "households"]

    def value(key, i):
        f = by_key[key]
        return f["dict"][f["codes"][i]] if "codes" in f else f["values"][i]

    assert value("name", 4) == "村4"
    assert value("station_distance_m", 4) == "1,414"
    assert value("station_distance_m", 8) == "道路不可达"
    assert value("waste_covered", 0) == "是" and value("waste_covered", 2) == "否"
    assert value("sewage_mode", 1) == "纳管（接入城镇污水管网）"
    assert value("cost_connect_yuan_per_year", 8) == "90,000"
    assert by_key["sewage_reason"]["long"] is True
    assert "anchor_x" not in by_key
    waste = layer(data, "villages_waste")
    assert [fields[i]["key"] for i in waste["tooltip"]] == ["name", "township", "station_distance_m"]
    assert waste["popup"] == list(range(len(fields)))


def test_english_labels():
    data = data_of(page(make_plan(), lang="en"))
    names = {s["key"]: s["name"] for s in data["layers"]}
    assert names["villages_waste"] == "Waste collection coverage"
    assert names["district"] == "District boundary"
    assert data["tables"]["villages"][1]["label"] == "Township"
    assert data["ui"]["colon"] == ": " and data_of(page(make_plan()))["ui"]["colon"] == "："


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_user_string_is_escaped(payload):
    html = page(make_plan(payload=payload))
    clean = page(make_plan())
    # the page has exactly the scripts of a page without payloads
    n = len(re.findall(r"<script", clean, re.I))
    assert len(re.findall(r"<script", html, re.I)) == n
    assert len(re.findall(r"</script", html, re.I)) == n
    assert html.count("<!--") == 0
    data = data_of(html)
    for s in strings(data):
        if s.startswith("data:image/png;base64,"):
            continue
        assert not (UNSAFE & set(s)), s
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert htmllib.unescape(title).startswith(payload)
    assert not (set("<>`$\\") & set(title))
    # the payload text itself (escaped) reaches the popups, not lost
    names = data["tables"]["villages"][0]
    assert esc(payload + "0") in (names.get("values") or names["dict"])
    assert os.getcwd() not in html  # the template payload ran nothing


def test_layer_control_names_are_escaped(monkeypatch):
    from geo_env import labels

    evil = "<b onmouseover=alert(1)>$`"
    monkeypatch.setitem(labels.labels(), "water", (evil, evil))
    html = page(make_plan())
    assert evil not in html
    hits = [m.start() for m in re.finditer("onmouseover", html)]
    assert len(hits) >= 2  # the data block and folium's LayerControl
    for i in hits:
        assert html[i - 5: i] == "lt;b "  # always after an escaped "<"


def test_basemap_options():
    with pytest.raises(ParameterError, match="basemap"):
        maps.plan_map(make_plan(), basemap="google")
    with pytest.raises(ParameterError, match="lang"):
        maps.plan_map(make_plan(), lang="fr")
    html = page(make_plan(), basemap="osm")
    assert "tile.openstreetmap.org" in html
    assert "autonavi" not in page(make_plan(), basemap="none")


def test_tianditu_needs_a_key(monkeypatch):
    monkeypatch.delenv("GEO_ENV_TIANDITU_KEY", raising=False)
    with pytest.raises(ParameterError, match="GEO_ENV_TIANDITU_KEY"):
        maps.plan_map(make_plan(), basemap="tianditu")
    monkeypatch.setenv("GEO_ENV_TIANDITU_KEY", "abc123")
    with pytest.warns(GeoEnvWarning, match="key is written into the map file"):
        assert "tk=abc123" in page(make_plan(), basemap="tianditu")


def test_amap_shifts_every_overlay_to_gcj02():
    plan = make_plan()
    plain, shifted = data_of(page(plan)), data_of(page(plan, basemap="amap"))
    a0, a1 = decoded_arcs(plain), decoded_arcs(shifted)
    for key in ("transfer_stations", "livestock_farms", "township_labels"):
        p0 = a0[layer(plain, key)["geom"]]
        p1 = a1[layer(shifted, key)["geom"]]
        lon, lat = wgs84_to_gcj02(p0[:, 0], p0[:, 1])
        np.testing.assert_allclose(p1, np.column_stack([lon, lat]), atol=1.5 * QUANTUM)
        # the GCJ-02 offset in eastern China is hundreds of metres, not zero
        assert np.abs(p1 - p0).max() > 100 * QUANTUM
    v0 = polygons_of(plain["geoms"]["villages"], a0)
    v1 = polygons_of(shifted["geoms"]["villages"], a1)
    for g0, g1 in zip(v0, v1):
        xy0, xy1 = shapely.get_coordinates(g0), shapely.get_coordinates(g1)
        lon, lat = wgs84_to_gcj02(xy0[:, 0], xy0[:, 1])
        np.testing.assert_allclose(xy1, np.column_stack([lon, lat]), atol=1.5 * QUANTUM)
    assert "autonavi" in page(plan, basemap="amap")


def test_point_villages_and_a_plan_without_layers():
    plan = make_plan(analyses=False)
    v = plan.villages.copy()
    v["geometry"] = v.geometry.centroid
    plan.villages = gpd.GeoDataFrame(v, geometry="geometry", crs=CRS)
    d = plan.district
    d.transfer_stations = d.sewage_plants = d.livestock_farms = d.roads = d.water = None
    data = data_of(page(plan))
    assert [s["key"] for s in data["layers"]] == ["township_labels", "villages"]
    assert layer(data, "villages")["kind"] == "points"


def test_plan_map_is_a_folium_map_for_jupyter():
    m = make_plan().map()
    assert isinstance(m, folium.Map)
    frame = m._repr_html_()
    inner = htmllib.unescape(re.search(r'srcdoc="(.*?)"', frame, re.S).group(1))
    assert not re.findall(r"<script[^>]*\bsrc=", inner, re.I)
    assert 'id="geo-env-data"' in inner


def _write_dem(path, z, transform, nodata=None):
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0], count=1,
                       dtype="float32", crs=CRS, transform=transform, nodata=nodata) as dst:
        dst.write(z.astype("float32"), 1)


def test_hillshade_lights_northwest_slopes_and_hides_nodata(tmp_path):
    from affine import Affine
    from PIL import Image

    n = 60
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    # rows run south, cols east; 0.3 m rise per metre: left half rises to the south-east
    # (its slope faces north-west, towards the 315° sun), right half faces south-east
    ramp = 0.3 * 30.0 * (rows + cols)
    z = np.where(cols < n // 2, ramp, 2 * ramp.max() - ramp)
    z[:5, :5] = -3.4e38  # an undeclared fill value
    path = tmp_path / "dem.tif"
    X0 = 500_000.0
    _write_dem(path, z, Affine(30.0, 0.0, X0, 0.0, -30.0, 3_403_000.0))
    with pytest.warns(DataWarning, match="not elevations"):  # the fill is named, then hidden
        png, (w, s, e, nn) = maps.hillshade_png(path, max_pixels=200)
    img = np.asarray(Image.open(io.BytesIO(png)))
    alpha = img[..., 3].astype(float)
    h, wd = alpha.shape
    left = alpha[h // 3: 2 * h // 3, wd // 8: wd // 3]
    right = alpha[h // 3: 2 * h // 3, 2 * wd // 3: 7 * wd // 8]
    assert left.mean() < right.mean() - 50   # NW-facing is lit: less shadow
    assert alpha[0:2, 0:2].max() == 0         # nodata is transparent
    ll = gpd.GeoSeries([shapely.box(X0, 3_403_000 - n * 30, X0 + n * 30, 3_403_000)], crs=CRS).to_crs(4326)
    bw, bs, be, bn = ll.total_bounds
    assert w <= bw + 1e-4 and e >= be - 1e-4 and s <= bs + 1e-4 and nn >= bn - 1e-4
    plan = make_plan(dem=path)
    import warnings

    with warnings.catch_warnings():  # the map does not repeat the DEM's warnings (check and
        warnings.simplefilter("error", DataWarning)  # the analyses report them)
        hs = layer(data_of(page(plan)), "hillshade")
    assert hs["url"].startswith("data:image/png;base64,")
    assert base64.b64decode(hs["url"].split(",", 1)[1]) == png


def test_large_districts_get_coarser_boundaries_without_gaps():
    rng = np.random.default_rng(3)
    box = shapely.box(500_000, 3_400_000, 520_000, 3_420_000)
    pts = shapely.multipoints(rng.uniform([500_000, 3_400_000], [520_000, 3_420_000], (80, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box)), box)
    cells = shapely.set_precision(shapely.segmentize(cells, 10.0), 0.01)
    cells = shapely.transform(cells, lambda xy: xy + np.column_stack(
        [8 * np.sin(xy[:, 1] / 300.0), 8 * np.cos(xy[:, 0] / 300.0)]) * (
        np.minimum.reduce([xy[:, 0] - 500_000, 520_000 - xy[:, 0], xy[:, 1] - 3_400_000,
                           3_420_000 - xy[:, 1]])[:, None] > 1))
    v = gpd.GeoDataFrame({"id": [f"V{i}" for i in range(len(cells))],
                          "name": [f"村{i}" for i in range(len(cells))], "township": "甲镇",
                          "population": 100, "households": 40}, geometry=cells, crs=CRS)
    plan = make_plan(analyses=False)
    plan.villages = v
    plan.district.villages = v
    total = int(shapely.get_num_coordinates(cells).sum())
    budget = total // 20
    data = data_of(page(plan, max_vertices=budget))
    rebuilt = polygons_of(data["geoms"]["villages"], decoded_arcs(data))
    assert sum(shapely.get_num_coordinates(g) for g in rebuilt) <= budget
    # still a tiling: areas add up to the union's (no overlaps) and to the box's (no gaps)
    areas = gpd.GeoSeries(rebuilt, crs=4326).to_crs(CRS)
    assert areas.area.sum() == pytest.approx(shapely.union_all(areas.values).area, rel=1e-6)
    assert areas.area.sum() == pytest.approx(box.area, rel=1e-4)


def test_other_output_layers_are_shown_too():
    plan = make_plan()
    plan.layers["sewer_routes"] = gpd.GeoDataFrame(
        {"village_id": ["V1"], "length_m": [1234.0]},
        geometry=[shapely.LineString([(500_500, 3_400_500), (502_500, 3_402_500)])], crs=CRS)
    data = data_of(page(plan))
    spec = layer(data, "sewer_routes")
    assert spec["kind"] == "lines" and spec["show"] is False
    assert [f["key"] for f in data["tables"]["sewer_routes"]] == ["village_id", "length_m"]


def test_hillshade_of_a_dem_without_crs_uses_the_projects_dem_crs(tmp_path):
    import rasterio
    from affine import Affine

    z = np.add.outer(np.arange(40.0), np.arange(40.0)) * 10
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype="float32",
                       transform=Affine(30.0, 0.0, 548_900.0, 0.0, -30.0, 3_143_000.0)) as dst:
        dst.write(z.astype("float32"), 1)  # no CRS in the file
    png, (w, s, e, n) = maps.hillshade_png(path, dem_crs="EPSG:4548")
    assert png.startswith(b"\x89PNG") and 117.4 < w < e < 117.6 and 28.3 < s < n < 28.5
