"""The sample district: deterministic files, stored the way planners store them.

The generator is run once per module (``regenerated``); its in-memory layers are the
truth the stored files are checked against, with independent readers where it matters
(a hand-written DBF parser, openpyxl, the csv module, pyproj.Geod, a union-find over the
road lines).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import rasterio
import shapely
import tomllib
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

import geo_env as ge
from geo_env import sample as loader
from geo_env._geometry import anchor_points
from geo_env.crs import gcj02_to_wgs84

import make_sample as sample  # tools/make_sample.py (pyproject: pytest's pythonpath)

COMMITTED = Path(__file__).resolve().parents[1] / "data" / "sample"
GEOD = pyproj.Geod(ellps="WGS84")
TO_WGS84 = pyproj.Transformer.from_crs(sample.WORK_EPSG, 4326, always_xy=True)
SPECIES = {"生猪", "奶牛", "肉牛", "羊", "蛋鸡", "肉鸡"}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """(layers, folder): the sample built and written afresh."""
    layers = sample.build_sample()
    out = tmp_path_factory.mktemp("sample")
    sample.write_sample(out, layers)
    return layers, out


@pytest.fixture(scope="module")
def district():
    return ge.sample_district()


def _true_lonlat(gdf: gpd.GeoDataFrame) -> np.ndarray:
    xy = shapely.get_coordinates(gdf.geometry.values)
    return np.column_stack(TO_WGS84.transform(xy[:, 0], xy[:, 1]))


def _geod_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic distances (m) between lon/lat rows of ``a`` and ``b``."""
    return GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2]


def _read_dbf(path: Path) -> tuple[list[tuple[str, str, int]], list[dict[str, bytes]], bytes]:
    """A minimal dBASE III reader: field list, raw field bytes per record, header.

    Field names are bytes in the file's code page, like the values: GBK here (the status
    baseline's fields have Chinese names such as 污水现状).
    """
    b = path.read_bytes()
    n = int.from_bytes(b[4:8], "little")
    header_len = int.from_bytes(b[8:10], "little")
    rec_len = int.from_bytes(b[10:12], "little")
    fields, off = [], 32
    while b[off] != 0x0D:
        name = b[off:off + 11].split(b"\0")[0].decode("gbk")
        fields.append((name, chr(b[off + 11]), b[off + 16]))
        off += 32
    rows = []
    for i in range(n):
        rec = b[header_len + i * rec_len: header_len + (i + 1) * rec_len]
        pos, row = 1, {}
        for name, _, length in fields:
            row[name] = rec[pos:pos + length]
            pos += length
        rows.append(row)
    return fields, rows, b[:header_len]


# ------------------------------------------------------------------------------------------
# determinism and size
# ------------------------------------------------------------------------------------------
def test_regenerated_files_equal_the_committed_ones(regenerated):
    _, out = regenerated
    assert sorted(p.name for p in COMMITTED.iterdir()) == sorted(sample.FILES)
    differ = [f for f in sample.FILES if (out / f).read_bytes() != (COMMITTED / f).read_bytes()]
    assert not differ, f"regenerate with `make sample`: {differ} differ"


def test_committed_sample_is_small():
    total = sum(p.stat().st_size for p in COMMITTED.iterdir())
    assert total < 3_000_000


def test_another_seed_gives_another_district():
    # guards against a generator that ignores its seed (which would make the byte test vacuous)
    a = sample._boundary(np.random.default_rng(1))
    b = sample._boundary(np.random.default_rng(2))
    assert a.symmetric_difference(b).area > 1e6


# ------------------------------------------------------------------------------------------
# villages
# ------------------------------------------------------------------------------------------
def test_villages_tile_the_district(regenerated):
    layers, _ = regenerated
    v = pyogrio.read_dataframe(COMMITTED / "villages.shp", encoding="GBK").to_crs(sample.WORK_EPSG)
    union = shapely.union_all(v.geometry.values)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no gaps inside
    assert union.area == pytest.approx(layers.district.area, rel=1e-4)
    overlap = v.area.sum() - union.area
    assert abs(overlap) < 1e-6 * union.area
    left, right = shapely.STRtree(v.geometry.values).query(v.geometry.values, predicate="overlaps")
    pair_area = shapely.area(shapely.intersection(v.geometry.values[left], v.geometry.values[right]))
    assert pair_area.sum() < 1.0  # m²
    assert shapely.is_valid(v.geometry.values).all()


def test_village_counts_and_attributes(regenerated):
    v = regenerated[0].villages
    assert 120 <= len(v) <= 200
    towns = v["township"].unique()
    assert sum(t.endswith("镇") for t in towns) == 3 and sum(t.endswith("街道") for t in towns) == 4
    pop = v["population"].to_numpy()
    assert 3 <= ((pop >= 3000) & (pop <= 6000)).sum() <= 12  # a few central villages
    assert ((pop >= 300) & (pop <= 1500)).mean() > 0.75  # many small ones
    assert pop.min() >= 300 and pop.max() <= 6000
    assert ((pop / v["households"]) > 2.5).all() and ((pop / v["households"]) < 4.5).all()
    assert v["id"].str.fullmatch(r"361199\d{6}").all() and v["id"].is_unique
    assert v["name"].str.endswith("村").all() and v["name"].is_unique
    # the big villages sit at the township seats
    anchors = anchor_points(v)
    seats = np.array([t.xy for t in sample.TOWNSHIPS])
    assert (cKDTree(seats).query(anchors[pop >= 3000])[0] < 1500).all()
    # farmland: some villages have little, others a lot (mu)
    assert (v["farmland_mu"] < 300).sum() >= 3 and v["farmland_mu"].max() > 1500


def test_villages_shapefile_is_gbk_without_cpg(regenerated):
    v = regenerated[0].villages
    assert not (COMMITTED / "villages.cpg").exists()
    fields, rows, header = _read_dbf(COMMITTED / "villages.dbf")
    assert header[29] == 0  # language driver id: undeclared
    assert {"CUN_DM", "CUN_MC", "XZ_MC", "RK", "HS", "GD_MU"} <= {f[0] for f in fields}
    text = b"".join(r["CUN_MC"] + r["XZ_MC"] for r in rows)
    with pytest.raises(UnicodeDecodeError):
        text.decode("utf-8")
    names = [r["CUN_MC"].decode("gbk", errors="strict").rstrip() for r in rows]
    assert names == list(v["name"])
    # some names need GBK proper: a GB2312 reader cannot decode them
    beyond_gb2312 = [n for n in names if not _encodable(n, "gb2312")]
    assert len(beyond_gb2312) >= 3
    towns = {r["XZ_MC"].decode("gbk").rstrip() for r in rows}
    assert towns == {t.name for t in sample.TOWNSHIPS}
    assert "China_Geodetic_Coordinate_System_2000" in (COMMITTED / "villages.prj").read_text()


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


# ------------------------------------------------------------------------------------------
# facilities
# ------------------------------------------------------------------------------------------
def test_station_sheet_holds_gcj02_coordinates(regenerated):
    from openpyxl import load_workbook

    layers, _ = regenerated
    ws = load_workbook(COMMITTED / "transfer_stations.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:5] == ("编号", "名称", "经度", "纬度", "所属乡镇")
    ids = [r[0] for r in rows[1:]]
    gcj = np.array([[r[2], r[3]] for r in rows[1:]], dtype=float)
    truth = _true_lonlat(layers.transfer_stations)
    assert ids == list(layers.transfer_stations["id"])
    assert 5 <= len(ids) <= 8
    assert (_geod_m(gcj, truth) > 100).all()  # really offset: not WGS84
    back = np.column_stack(gcj02_to_wgs84(gcj[:, 0], gcj[:, 1]))
    assert (_geod_m(back, truth) < 0.5).all()


def test_farm_csv_is_an_excel_gbk_export(regenerated):
    layers, _ = regenerated
    raw = (COMMITTED / "livestock_farms.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw.decode("gbk"), newline="")))
    assert rows[0][:6] == ["编号", "养殖场名称", "畜种", "存栏量", "经度", "纬度"]
    body = rows[1:]
    assert 30 <= len(body) <= 60
    assert {r[2] for r in body} <= SPECIES and len({r[2] for r in body}) >= 5
    dms = [i for i, r in enumerate(body) if "°" in r[4]]
    assert 1 <= len(dms) <= 2
    lonlat = np.array([[_degrees(r[4]), _degrees(r[5])] for r in body])
    err = _geod_m(lonlat, _true_lonlat(layers.livestock_farms))
    assert (np.delete(err, dms) < 0.2).all()  # 6 decimals
    assert (err[dms] < 3.5).all()  # 0.1 arc-second


def _degrees(text: str) -> float:
    """Decimal degrees or DMS like 117°30'12.5"E (an independent little parser)."""
    m = re.fullmatch(r"(\d+)°(\d+)'([\d.]+)\"([NSEW])", text)
    if not m:
        return float(text)
    d, mi, s, h = m.groups()
    value = int(d) + int(mi) / 60 + float(s) / 3600
    return -value if h in "SW" else value


def test_sewage_plants_and_one_nearly_full(regenerated):
    g = gpd.read_file(COMMITTED / "sewage_plants.geojson")
    assert g.crs.to_epsg() == 4326
    town = g.loc[g["编号"].str.startswith("WS")]  # the village stations (VS…) follow them
    assert 2 <= len(town) <= 3 and list(g.index[:len(town)]) == list(town.index)
    ratio = town["实际处理量"] / town["设计规模"]
    assert ((ratio > 0) & (ratio <= 1)).all() and (ratio >= 0.95).sum() == 1


def test_status_baseline_as_stored():
    """The status baseline (现状) read back from the files with independent readers."""
    fields, _, _ = _read_dbf(COMMITTED / "villages.dbf")
    names = [f[0] for f in fields]
    assert names[-4:] == ["污水现状", "设施编号", "卫厕户数", "垃圾收运"]
    assert all(len(n.encode("gbk")) <= 10 for n in names)  # a DBF field name's limit
    v = pyogrio.read_dataframe(COMMITTED / "villages.shp", encoding="GBK").to_crs(sample.WORK_EPSG)
    status = v["污水现状"].fillna("")
    counts = status.value_counts().to_dict()
    assert set(counts) == {"纳管", "村级集中", "分散", "未治理"}  # no blanks: the demo runs without warnings
    assert 8 <= counts["纳管"] <= 12 and counts["村级集中"] == 15 and counts["分散"] == 10
    toilets, hh = v["卫厕户数"], v["HS"]
    assert toilets.isna().sum() == 0
    known = toilets.notna()
    assert (toilets[known] <= hh[known]).all() and (toilets[known] >= 0.5 * hh[known] - 1).all()
    assert set(v["垃圾收运"]) == {"是", "否"} and 0.6 <= (v["垃圾收运"] == "是").mean() <= 0.7
    # every treated village names the plant or station treating it; a station stands
    # inside its village, sized about 1.2 times the village's flow (80 L/d × 0.6 per person)
    g = gpd.read_file(COMMITTED / "sewage_plants.geojson").to_crs(sample.WORK_EPSG).set_index("编号")
    assert set(g["状态"]) == {"运行", "停运"} and g["建成年份"].notna().all()
    treated = status.isin(["纳管", "村级集中"])
    assert (v["设施编号"].notna() == treated).all() and v.loc[treated, "设施编号"].isin(g.index).all()
    central = v.loc[status == "村级集中"]
    st = g.loc[central["设施编号"]]
    assert sorted(st.index) == sorted(i for i in g.index if i.startswith("VS"))
    assert shapely.within(st.geometry.values, central.geometry.values).all()
    assert set(st["类型"]) == {"一体化设备", "人工湿地"} and st["建成年份"].between(2015, 2022).all()
    flow = central["RK"].to_numpy() * 0.048
    assert (np.abs(st["设计规模"].to_numpy() / flow - 1.2) < 0.2).all()
    stopped = st["状态"] == "停运"
    assert stopped.sum() == 2 and (st.loc[stopped, "实际处理量"] == 0).all()
    assert (np.abs(st.loc[~stopped, "实际处理量"].to_numpy() - flow[~stopped.to_numpy()]) <= 0.5).all()
    connected = v.loc[status == "纳管"]
    assert connected["设施编号"].str.startswith("WS").all()
    by_plant = (connected["RK"] * 0.048).groupby(connected["设施编号"]).sum()
    assert (by_plant <= g.loc[by_plant.index, "实际处理量"]).all()
    anchors = shapely.points(anchor_points(connected))
    assert (shapely.distance(anchors, g.loc[connected["设施编号"]].geometry.values) < 2000).all()


def test_facility_and_farm_baseline_as_stored():
    from openpyxl import load_workbook

    rows = list(load_workbook(COMMITTED / "transfer_stations.xlsx").active.iter_rows(values_only=True))
    head = list(rows[0])
    assert {r[head.index("运行状态")] for r in rows[1:]} == {"运行"}  # coverage as before
    assert all(2000 < r[head.index("建成年份")] < 2025 for r in rows[1:])
    raw = (COMMITTED / "livestock_farms.csv").read_bytes().decode("gbk")
    table = list(csv.reader(io.StringIO(raw, newline="")))
    head, body = table[0], table[1:]
    facility = [r[head.index("粪污处理设施")] for r in body]
    assert set(facility) == {"是", "否"} and facility.count("否") == 4
    rates = [r[head.index("综合利用率")] for r in body]
    assert rates.count("") == 3
    assert all(re.fullmatch(r"\d{2}%", x) and 60 <= int(x[:-1]) <= 95 for x in rates if x)


def test_water_has_river_lines_and_a_protected_reservoir(regenerated):
    layers, _ = regenerated
    g = gpd.read_file(COMMITTED / "water.geojson")
    assert set(g["kind"]) == {"river", "reservoir"}
    assert set(g.loc[g["kind"] == "river"].geom_type) == {"LineString"}
    res = g.loc[g["kind"] == "reservoir"]
    assert len(res) == 1 and res.geom_type.iloc[0] == "Polygon"
    assert res["protection"].iloc[0] == "drinking_water_source"
    # the reservoir lies in the western hills, in a basin, as a flat water surface
    poly = res.to_crs(sample.WORK_EPSG).geometry.iloc[0]
    with rasterio.open(COMMITTED / "dem.tif") as src:
        z = src.read(1)
        t = src.transform
    rows, cols = np.indices(z.shape)
    xs, ys = t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e  # pixel centres (north-up)
    inner = shapely.contains_xy(poly.buffer(-60), xs, ys)
    ring = shapely.contains_xy(poly.buffer(1000), xs, ys) & ~shapely.contains_xy(poly.buffer(100), xs, ys)
    assert np.unique(z[inner]).size == 1
    assert z[inner][0] < np.median(z[ring & (z != sample.DEM_NODATA)]) - 20
    assert poly.centroid.x < layers.district.centroid.x - 5000


def test_dem_hills_west_plain_east(regenerated):
    layers, _ = regenerated
    with rasterio.open(COMMITTED / "dem.tif") as src:
        assert src.crs.to_epsg() == sample.WORK_EPSG
        assert src.res == (30.0, 30.0)
        assert src.nodata == sample.DEM_NODATA and src.dtypes[0] == "int16"
        assert src.compression.name.lower() == "deflate"
        z = src.read(1, masked=True)
    assert z.mask.any() and not z.mask.all()  # nodata around the district
    west, east = np.array_split(z, 3, axis=1)[0], np.array_split(z, 3, axis=1)[2]
    assert west.mean() > east.mean() + 150
    assert east.max() - east.min() < 60  # a plain
    assert west.max() > 500


def test_farms_near_villages_and_water(regenerated):
    layers, _ = regenerated
    f = layers.livestock_farms
    xy = shapely.get_coordinates(f.geometry.values)
    d_v = cKDTree(anchor_points(layers.villages)).query(xy)[0]
    d_w = shapely.distance(shapely.points(xy), shapely.union_all(layers.water.geometry.values))
    assert (d_v < 500).sum() >= 3 and (d_w < 400).sum() >= 3
    assert (d_w > 0).all()  # none in the water


# ------------------------------------------------------------------------------------------
# roads: not fully noded, a few villages unreachable
# ------------------------------------------------------------------------------------------
def _road_parts(lines: np.ndarray, tolerance: float) -> np.ndarray:
    """Connected parts of lines that touch or come within ``tolerance`` m (union-find)."""
    i, j = shapely.STRtree(lines).query(lines, predicate="dwithin", distance=tolerance)
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(lines), len(lines)))
    return connected_components(graph, directed=False)[1]


def test_road_ends_need_the_snapping_rule(regenerated):
    roads = pyogrio.read_dataframe(COMMITTED / "roads.gpkg", layer="roads")
    assert roads.crs.to_epsg() == sample.WORK_EPSG
    assert set(roads["level"]) == {"county", "township", "village"}
    lines = roads.geometry.values
    starts = shapely.get_point(lines, 0)
    kinds = {"vertex": 0, "segment": 0, "short": 0, "other": 0}
    for k in np.flatnonzero(roads["level"] == "village"):
        others = np.delete(lines, k)
        gap = shapely.distance(starts[k], others).min()
        on_vertex = any((shapely.get_coordinates(o) == shapely.get_coordinates(starts[k])).all(1).any()
                        for o in others[shapely.dwithin(starts[k], others, 0.01)])
        kind = ("vertex" if on_vertex else "segment" if gap < 0.01
                else "short" if 2 <= gap <= 8 else "other")
        kinds[kind] += 1
    assert kinds["vertex"] > kinds["segment"] > 0 and kinds["short"] > 0
    facts = regenerated[0].facts["road_joins"]  # what README.md says
    assert kinds == {"vertex": facts["noded"], "segment": facts["on_segment"],
                     "short": facts["short"], "other": facts["piece"]}
    tolerance = tomllib.loads((COMMITTED / "project.toml").read_text("utf-8"))["layers"]["roads"]
    assert tolerance["snap_tolerance_m"] >= 8


def test_some_villages_are_unreachable_by_road(regenerated):
    layers, _ = regenerated
    roads = pyogrio.read_dataframe(COMMITTED / "roads.gpkg", layer="roads")
    lines = roads.geometry.values
    part = _road_parts(lines, 10.0)
    stations = shapely.get_coordinates(layers.transfer_stations.geometry.values)
    main = np.unique(part[shapely.STRtree(lines).nearest(shapely.points(stations))])
    assert main.size == 1  # every station is on one network
    anchors = shapely.points(anchor_points(layers.villages))
    nearest = shapely.STRtree(lines).nearest(anchors)
    d = shapely.distance(anchors, lines[nearest])
    unreachable = (d > 1000) | (part[nearest] != main[0])
    got = sorted(layers.villages["id"][unreachable])
    facts = layers.facts["unreachable"]
    assert got == sorted(facts["no_road"] + facts["cut_off"])
    assert len(facts["no_road"]) >= 2 and len(facts["cut_off"]) >= 2
    assert len(np.unique(part)) == 2  # the main network and one cut-off piece


# ------------------------------------------------------------------------------------------
# the project file and loading it
# ------------------------------------------------------------------------------------------
def test_project_file_declares_no_encoding():
    p = tomllib.loads((COMMITTED / "project.toml").read_text("utf-8"))
    assert p["project"]["crs"] == "auto" and p["project"]["lang"] == "zh"
    assert "合成" in p["project"]["name"]
    assert "encoding" not in p["layers"]["villages"]
    assert "encoding" not in p["layers"]["livestock_farms"]
    assert p["layers"]["transfer_stations"]["coords"] == "gcj02"
    assert p["waste"]["service_radius_m"] == 3000
    for table in p["layers"].values():
        assert (COMMITTED / table["path"]).is_file()


def test_sample_district_loads_like_a_project(district, regenerated):
    layers, _ = regenerated
    d = district
    assert d.crs.to_epsg() == sample.WORK_EPSG
    assert d.source == (COMMITTED / "project.toml").resolve()
    v = d.villages.set_index("id").loc[layers.villages["id"]]
    assert list(v["name"]) == list(layers.villages["name"])  # no mojibake
    assert list(v["township"]) == list(layers.villages["township"])
    assert (v["population"].to_numpy() == layers.villages["population"].to_numpy()).all()
    assert len(d.transfer_stations) == len(layers.transfer_stations)
    assert len(d.sewage_plants) == len(layers.sewage_plants)
    assert len(d.livestock_farms) == len(layers.livestock_farms)
    assert set(d.livestock_farms["species"]) <= SPECIES
    assert d.dem is not None and d.params["waste"]["service_radius_m"] == 3000


def test_loaded_stations_are_at_their_true_positions(district, regenerated):
    layers, _ = regenerated
    got = district.transfer_stations.set_index("id").loc[layers.transfer_stations["id"]]
    err = shapely.distance(got.geometry.values, layers.transfer_stations.geometry.values)
    assert (err < 0.5).all()


def test_loaded_sample_leaves_villages_beyond_3_km(district):
    d = district
    stations = shapely.get_coordinates(d.transfer_stations.geometry.values)
    dist = cKDTree(stations).query(d.villages[["anchor_x", "anchor_y"]].to_numpy())[0]
    outside = dist > d.params["waste"]["service_radius_m"]
    assert 0.15 < outside.mean() < 0.6


# ------------------------------------------------------------------------------------------
# where the sample lives, and the command
# ------------------------------------------------------------------------------------------
def test_sample_dir_is_the_committed_folder():
    assert loader.sample_dir() == COMMITTED


def test_an_installed_package_carries_the_sample(tmp_path, monkeypatch):
    """Without data/sample/ beside the package (a wheel install) the files come from the
    package geo_env._sample_data, which pyproject.toml maps onto data/sample/."""
    import importlib.util

    import tomllib

    conf = tomllib.loads((COMMITTED.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert conf["package-dir"]["geo_env._sample_data"] == "data/sample"
    assert "geo_env._sample_data" in conf["packages"] and conf["package-data"]["geo_env._sample_data"] == ["*"]
    installed = tmp_path / "site" / "geo_env" / "_sample_data"
    installed.mkdir(parents=True)
    for f in sample.FILES:
        (installed / f).write_bytes((COMMITTED / f).read_bytes())
    spec = importlib.util.spec_from_loader("geo_env._sample_data", loader=None, is_package=True)
    spec.submodule_search_locations = [str(installed)]
    monkeypatch.setattr(loader, "_REPO_SAMPLE", tmp_path / "not-a-checkout")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec if name == "geo_env._sample_data" else None)
    assert loader.sample_dir() == installed
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ge.GeoEnvError, match="sample district's files are missing"):
        loader.sample_dir()


def test_command_usage_error(capsys):
    assert sample.main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_waste_chain_files_as_stored(regenerated):
    layers, out = regenerated
    raw = (out / "waste_facilities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # Excel's "CSV UTF-8"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["编号", "名称", "类型", "设计能力（吨/日）", "运行状态", "经度", "纬度", "备注"]
    assert [r[4] for r in rows[1:]] == ["运行", "停运"]
    ll = np.array([[float(r[5]), float(r[6])] for r in rows[1:]])
    assert _geod_m(ll, _true_lonlat(layers.waste_facilities)).max() < 0.2
    houses = pyogrio.read_dataframe(out / "buildings.gpkg", layer="buildings")
    assert list(houses.columns) == ["户数", "备注", "geometry"]  # no ids, as house layers come
    assert len(houses) > 500 and set(houses["户数"]) == {1, 2, 3}
    v = layers.villages
    town = shapely.union_all(v.loc[v["township"] == "西城街道"].geometry.values)
    assert shapely.within(shapely.centroid(houses.geometry.values), town).all()  # each house stands in it
    points = pyogrio.read_dataframe(out / "collection_points.geojson")
    assert len(points) >= len(v.loc[v["township"] == "西城街道"]) and points["编号"].is_unique
    caps = dict(zip(layers.transfer_stations["id"], layers.transfer_stations["capacity_t_per_day"]))
    assert [i for i, *_ in layers.facts["chain"]["over_capacity"]] == ["ZZ04"] and caps["ZZ04"] == 12


def test_a_synthetic_county_moves_every_layer_and_loads(regenerated, tmp_path):
    # tools/make_counties.py (the province benchmark's counties): a layer the generator gained
    # later (the waste chain's facilities, houses, collection points) once stayed behind,
    # 40 km away, and every county was refused
    from dataclasses import fields

    from make_counties import shifted, write_counties

    layers, _ = regenerated
    moved = shifted(layers, 40_000.0, -80_000.0)
    geo = [f.name for f in fields(layers) if isinstance(getattr(layers, f.name), gpd.GeoDataFrame)]
    assert {"villages", "roads", "waste_facilities", "buildings", "collection_points"} <= set(geo)
    for name in geo:
        before, after = getattr(layers, name).total_bounds, getattr(moved, name).total_bounds
        assert after == pytest.approx(before + [40_000.0, -80_000.0, 40_000.0, -80_000.0], abs=1e-6), name
    project = write_counties(tmp_path, 2)[1]  # the second county: 40 km east of the first
    d = ge.load_project(project)
    assert len(d.villages) > 0 and len(d.waste_facilities) > 0 and len(d.buildings) > 0
