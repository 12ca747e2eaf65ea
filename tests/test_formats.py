"""Formats planners are sent (issue 15): Esri File Geodatabase folders, legacy .xls sheets,
GeoParquet — read as the sample's own layers are, with their Chinese text intact; and
GeoParquet out for analysts."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import geo_env as ge
from geo_env.errors import GeometryTypeError, InputFileNotFoundError, LayerNotFoundError
from geo_env.io.layers import read_layer

from builders import grid_villages, planner_villages, stations_table, write_project

COLS = 'id = "CUN_DM", name = "CUN_MC", township = "XZ_MC", population = "RK", households = "HS"'


def _villages_gdb(folder, layer="村庄"):
    gdb = folder / "县数据.gdb"
    v = planner_villages(grid_villages())
    opts = {"TARGET_ARCGIS_VERSION": "ARCGIS_PRO_3_2_OR_LATER"}  # keep the int64 columns
    pyogrio.write_dataframe(v, gdb, layer=layer, driver="OpenFileGDB", layer_options=opts)
    pyogrio.write_dataframe(v.iloc[:2], gdb, layer="道路缓冲", driver="OpenFileGDB", layer_options=opts)
    return gdb, v


def test_a_file_geodatabase_layer_is_read_by_name_with_its_chinese_text(tmp_path):
    gdb, v = _villages_gdb(tmp_path)
    proj = write_project(tmp_path, stations=False, villages_cols=COLS)
    text = proj.read_text(encoding="utf-8").replace('path = "villages.shp"', 'path = "县数据.gdb"\nlayer = "村庄"')
    proj.write_text(text, encoding="utf-8")
    d = ge.load_project(proj)
    assert d.villages["name"].tolist() == v["CUN_MC"].tolist()
    assert d.villages["township"].tolist() == v["XZ_MC"].tolist()
    assert np.allclose(d.villages.area, v.to_crs(d.crs).area)


def test_a_file_geodatabase_needs_its_layer_name_and_a_whole_folder(tmp_path):
    gdb, _ = _villages_gdb(tmp_path)
    with pytest.raises(LayerNotFoundError, match="2 layers"):
        read_layer(gdb, kind="villages", columns={"id": "CUN_DM", "name": "CUN_MC"})
    with pytest.raises(LayerNotFoundError, match="Did you mean '村庄'"):
        read_layer(gdb, kind="villages", layer="村荘", columns={"id": "CUN_DM", "name": "CUN_MC"})
    broken = tmp_path / "broken.gdb"
    broken.mkdir()
    (broken / "readme.txt").write_text("x")
    with pytest.raises(InputFileNotFoundError, match="no .gdbtable"):
        read_layer(broken, kind="villages")
    fake = tmp_path / "file.gdb"
    fake.write_bytes(b"not a folder")
    with pytest.raises(InputFileNotFoundError, match="not a File Geodatabase folder"):
        read_layer(fake, kind="villages")


def test_a_legacy_xls_sheet_of_stations_with_gcj02_coordinates(tmp_path):
    import xlwt

    df = stations_table("gcj02")
    book = xlwt.Workbook(encoding="utf-8")
    sh = book.add_sheet("转运站")
    sh.write(0, 0, "示例区垃圾转运站一览表（2024年）")  # a title row above the header
    for j, c in enumerate(df.columns):
        sh.write(1, j, c)
        for i, value in enumerate(df[c]):
            sh.write(i + 2, j, value.item() if hasattr(value, "item") else value)
    book.save(str(tmp_path / "stations.xls"))
    df.to_excel(tmp_path / "stations.xlsx", index=False)
    with pytest.warns(UserWarning, match="header is on row 2"):
        old = read_layer(tmp_path / "stations.xls", kind="transfer_stations", x="经度", y="纬度", coords="gcj02",
                         columns={"id": "编号", "name": "名称"})
    new = read_layer(tmp_path / "stations.xlsx", kind="transfer_stations", x="经度", y="纬度", coords="gcj02",
                     columns={"id": "编号", "name": "名称"})
    assert old["name"].tolist() == new["name"].tolist()
    assert np.allclose(old.geometry.x, new.geometry.x) and np.allclose(old.geometry.y, new.geometry.y)
    bad = tmp_path / "bad.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0 cut short")
    with pytest.raises(InputFileNotFoundError, match="Excel 97"):
        read_layer(bad, kind="transfer_stations", x="经度", y="纬度")


def test_a_geoparquet_layer_reads_like_its_geopackage(tmp_path):
    v = planner_villages(grid_villages())
    v.to_parquet(tmp_path / "villages.parquet")
    v.to_file(tmp_path / "villages.gpkg", engine="pyogrio")
    cols = {"id": "CUN_DM", "name": "CUN_MC", "township": "XZ_MC", "population": "RK", "households": "HS"}
    a = read_layer(tmp_path / "villages.parquet", kind="villages", columns=cols)
    b = read_layer(tmp_path / "villages.gpkg", kind="villages", columns=cols)
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")),
                                  check_dtype=False)
    assert a.crs == b.crs and a.geometry.equals(b.geometry)
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(GeometryTypeError, match="no GeoParquet geometry"):
        read_layer(tmp_path / "plain.parquet", kind="villages")


def test_plan_layers_out_as_geoparquet(tmp_path):
    plan = ge.analyze(ge.sample_district())
    files = plan.to_geoparquet(tmp_path / "pq")
    layers = plan.gpkg_layers()
    assert sorted(p.stem for p in files) == sorted(layers)
    back = gpd.read_parquet(tmp_path / "pq" / "villages.parquet")
    assert back.crs == plan.villages.crs and len(back) == len(plan.villages)
    assert back["sewage_mode"].tolist() == plan.villages["sewage_mode"].tolist()
    assert back.geometry.equals(plan.villages.geometry.reset_index(drop=True))


def test_no_geoparquet_into_a_folder_holding_an_input(tmp_path):
    from geo_env.errors import OutputError

    src = ge.sample.sample_dir()
    shutil.copytree(src, tmp_path / "d")
    plan = ge.analyze(ge.load_project(tmp_path / "d" / "project.toml"))
    with pytest.raises(OutputError):
        plan.to_geoparquet(tmp_path / "d")


def test_a_geometry_column_named_geom_is_read_and_analysed(tmp_path):
    # PostGIS tables made by shp2pgsql or QGIS, and GeoParquet from DuckDB, call it "geom":
    # the sewage analysis once dropped columns="geometry" from the plants and crashed
    v = planner_villages(grid_villages())
    c = v.geometry.to_crs(4548).union_all().centroid
    plants = gpd.GeoDataFrame({"编号": ["P1"], "名称": ["镇污水厂"], "规模": [2000.0], "负荷": [800.0]},
                              geometry=gpd.GeoSeries([c], crs=4548).to_crs(4326)).rename_geometry("geom")
    plants.to_parquet(tmp_path / "plants.parquet")
    cols = {"id": "编号", "name": "名称", "capacity_m3_per_day": "规模", "load_m3_per_day": "负荷"}
    got = read_layer(tmp_path / "plants.parquet", kind="sewage_plants", columns=cols)
    assert got.geometry.name == "geometry" and "geom" not in got.columns
    project = write_project(tmp_path / "p", extra=f'''
[layers.sewage_plants]
path = "{(tmp_path / 'plants.parquet').as_posix()}"
columns = {{ id = "编号", name = "名称", capacity_m3_per_day = "规模", load_m3_per_day = "负荷" }}
''')
    plan = ge.analyze(ge.load_project(project))
    assert plan.summary["sewage"]["villages"] == len(v)


def test_a_geodatabase_is_limited_by_its_largest_table_not_by_all_its_layers(tmp_path, monkeypatch):
    from geo_env.errors import GeoEnvError
    from geo_env.io import checks

    gdb, v = _villages_gdb(tmp_path)
    tables = sorted(p.stat().st_size for p in gdb.iterdir() if p.suffix == ".gdbtable")
    everything = sum(p.stat().st_size for p in gdb.iterdir() if p.is_file())
    cols = {"id": "CUN_DM", "name": "CUN_MC"}
    monkeypatch.setattr(checks, "MAX_LAYER_BYTES", tables[-1] + 1)  # the folder as a whole is larger
    assert everything > tables[-1] + 1
    assert len(read_layer(gdb, kind="villages", layer="村庄", columns=cols)) == len(v)
    monkeypatch.setattr(checks, "MAX_LAYER_BYTES", tables[-1] - 1)
    with pytest.raises(GeoEnvError, match="more than geo_env reads"):
        read_layer(gdb, kind="villages", layer="村庄", columns=cols)
