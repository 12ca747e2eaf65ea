import os
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from geo_env.errors import (
    ColumnNotFoundError,
    CoordinateError,
    CRSError,
    DataValueError,
    DataWarning,
    DuplicateIdError,
    EmptyLayerError,
    EncodingError,
    GeoEnvError,
    GeometryTypeError,
    InputFileNotFoundError,
    LayerNotFoundError,
    ProjectFileError,
)
from geo_env.io.layers import detect_encoding, parse_coordinate, read_layer

from builders import (
    NAMES,
    ORIGIN,
    WORK,
    bowtie,
    grid_villages,
    planner_villages,
    station_lonlat,
    stations_table,
    write_shapefile,
)

COLS = {"id": "CUN_DM", "name": "CUN_MC", "township": "XZ_MC", "population": "RK", "households": "HS"}
GEOD = pyproj.Geod(ellps="WGS84")


def villages_shp(tmp_path, encoding="GBK", cpg=False, ldid=0, gdf=None):
    gdf = planner_villages(grid_villages()) if gdf is None else gdf
    return write_shapefile(gdf, tmp_path / "villages.shp", encoding=encoding, cpg=cpg, ldid=ldid)


# --------------------------------------------------------------------------- encodings

def test_gbk_shapefile_without_cpg_reads_correctly_where_plain_gdal_gives_mojibake(tmp_path):
    path = villages_shp(tmp_path)
    assert not path.with_suffix(".cpg").exists()
    plain = gpd.read_file(path, engine="pyogrio")["CUN_MC"].tolist()
    assert plain[0] != NAMES[0]  # the trap: GDAL reads it as Latin-1
    v = read_layer(path, kind="villages", columns=COLS)
    assert v["name"].tolist() == NAMES
    assert v["township"].iloc[0] == "河口镇"


def test_gbk_shapefile_with_records_added_in_utf8(tmp_path):
    """Records appended by a program writing UTF-8 into a GBK file: read as UTF-8, named."""
    path = villages_shp(tmp_path)
    dbf = path.with_suffix(".dbf")
    data = dbf.read_bytes()
    for name in (NAMES[1], NAMES[4]):  # rows 2 and 5
        gbk, utf8 = name.encode("gbk"), name.encode("utf-8")
        pad = len(utf8) - len(gbk)
        assert data.count(gbk + b" " * pad) == 1
        data = data.replace(gbk + b" " * pad, utf8)
    dbf.write_bytes(data)
    with pytest.warns(DataWarning, match=r"2 record\(s\) hold UTF-8 text in a GB18030 file .*rows 2 \(FID 1\), "
                                         r"5 \(FID 4\)"):
        v = read_layer(path, kind="villages", columns=COLS)
    assert v["name"].tolist() == NAMES
    assert v["township"].iloc[0] == "河口镇"


def test_utf8_shapefile_with_a_few_gbk_records_names_those(tmp_path):
    path = villages_shp(tmp_path, encoding="UTF-8")
    dbf = path.with_suffix(".dbf")
    data = dbf.read_bytes()
    name = NAMES[2]  # row 3 written back in GBK
    utf8, gbk = name.encode("utf-8"), name.encode("gbk")
    data = data.replace(utf8, gbk + b" " * (len(utf8) - len(gbk)))
    dbf.write_bytes(data)
    with pytest.warns(DataWarning, match=r"1 record\(s\) hold GBK text in a UTF-8 file .*rows 3 \(FID 2\)\)"):
        v = read_layer(path, kind="villages", columns=COLS)
    assert v["name"].tolist() == NAMES


def test_big5_shapefile_without_cpg_is_not_silent(tmp_path):
    v = planner_villages(grid_villages())
    v["CUN_MC"] = ["臺灣村", "龍潭村", "鳳山村"] * 3
    v["XZ_MC"] = "鄉鎮"
    path = write_shapefile(v, tmp_path / "big5.shp", encoding="big5", cpg=False)
    with pytest.warns(DataWarning, match=r'Private Use Area.*encoding = "big5"'):
        read_layer(path, kind="villages", columns=COLS)
    right = read_layer(path, kind="villages", columns=COLS, encoding="big5")
    assert right["name"].iloc[0] == "臺灣村"


def test_utf8_shapefile_without_cpg(tmp_path):
    path = villages_shp(tmp_path, encoding="UTF-8")
    v = read_layer(path, kind="villages", columns=COLS)
    assert v["name"].tolist() == NAMES


def test_declared_cpg_and_cjk_language_id_are_used(tmp_path):
    path = villages_shp(tmp_path, cpg=True, ldid=0)  # GDAL writes .cpg saying GBK/CP936
    assert read_layer(path, kind="villages", columns=COLS)["name"].tolist() == NAMES
    path.with_suffix(".cpg").unlink()
    data = bytearray(path.with_suffix(".dbf").read_bytes())
    data[29] = 0x4D  # LDID "Chinese GBK (PRC)"
    path.with_suffix(".dbf").write_bytes(bytes(data))
    assert read_layer(path, kind="villages", columns=COLS)["name"].tolist() == NAMES


def test_chinese_field_names_in_gbk(tmp_path):
    gdf = planner_villages(grid_villages()).rename(columns={"CUN_MC": "村名", "XZ_MC": "乡镇", "RK": "人口"})
    path = villages_shp(tmp_path, gdf=gdf)
    # the aliases recognise 村名 / 乡镇 / 人口 without a mapping
    v = read_layer(path, kind="villages", columns={"id": "CUN_DM", "households": "HS"})
    assert v["name"].tolist() == NAMES and v["population"].iloc[1] == 600


def test_western_language_id_on_gbk_bytes_is_not_trusted_into_mojibake(tmp_path):
    path = villages_shp(tmp_path, ldid=0x03)  # says cp1252, bytes are GBK
    with pytest.warns(DataWarning, match="mojibake"):
        v = read_layer(path, kind="villages", columns=COLS)
    assert v["name"].tolist() == NAMES


def test_encoding_key_overrides_and_a_wrong_one_is_an_error_that_names_the_right_one(tmp_path):
    path = villages_shp(tmp_path)
    assert read_layer(path, kind="villages", columns=COLS, encoding="gbk")["name"].tolist() == NAMES
    with pytest.raises(EncodingError) as err:
        read_layer(path, kind="villages", columns=COLS, encoding="utf-8")
    assert "villages.shp" in str(err.value) and 'encoding = "gbk"' in str(err.value)


def test_detect_encoding_prefers_strict_utf8():
    text = "上坪村,河口镇"
    assert detect_encoding(text.encode("utf-8"))[0] == "utf-8"
    assert detect_encoding(text.encode("gbk"))[0] == "gb18030"
    assert detect_encoding(b"plain ascii")[0] == "utf-8"
    with pytest.raises(EncodingError):
        detect_encoding(b"\xff\xfe\xff\x80\x80")


def test_zipped_shapefile_is_read_in_place(tmp_path):
    path = villages_shp(tmp_path)
    zpath = tmp_path / "villages.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(path.with_suffix(ext), f"data/villages{ext}")
    for ext in (".shp", ".shx", ".dbf", ".prj"):
        path.with_suffix(ext).unlink()
    before = sorted(os.listdir(tmp_path))
    v = read_layer(zpath, kind="villages", columns=COLS)
    assert v["name"].tolist() == NAMES
    assert sorted(os.listdir(tmp_path)) == before  # nothing extracted


# --------------------------------------------------------------------------- formats

def test_geopackage_layers(tmp_path):
    v = grid_villages()
    path = tmp_path / "data.gpkg"
    v.to_file(path, layer="villages", engine="pyogrio")
    v.iloc[:2].to_file(path, layer="other", engine="pyogrio")
    with pytest.raises(LayerNotFoundError, match="2 layers"):
        read_layer(path, kind="villages")
    with pytest.raises(LayerNotFoundError, match="Did you mean 'villages'"):
        read_layer(path, kind="villages", layer="vilages")
    out = read_layer(path, kind="villages", layer="villages")
    assert len(out) == 9 and out.crs == WORK
    assert out["name"].tolist() == NAMES


def test_geojson_and_kml(tmp_path):
    v = grid_villages().to_crs(4326)
    v.to_file(tmp_path / "v.geojson", engine="pyogrio")
    assert read_layer(tmp_path / "v.geojson", kind="villages")["name"].tolist() == NAMES
    pts = gpd.GeoDataFrame({"Name": ["河口转运站", "石溪转运站"]},
                           geometry=gpd.points_from_xy(*station_lonlat().T), crs=4326)
    pts.to_file(tmp_path / "s.kml", driver="KML", engine="pyogrio")
    s = read_layer(tmp_path / "s.kml", kind="transfer_stations")
    assert s["name"].tolist() == ["河口转运站", "石溪转运站"]
    np.testing.assert_allclose(shapely.get_coordinates(s.geometry.values), station_lonlat(), atol=1e-7)


def test_xlsx_with_gcj02_coordinates_lands_on_the_true_positions(tmp_path):
    stations_table("gcj02").to_excel(tmp_path / "s.xlsx", index=False)
    s = read_layer(tmp_path / "s.xlsx", kind="transfer_stations", x="经度", y="纬度", coords="gcj02",
                   columns={"id": "编号", "name": "名称"})
    got = shapely.get_coordinates(s.geometry.values)
    truth = station_lonlat()
    dist = GEOD.inv(got[:, 0], got[:, 1], truth[:, 0], truth[:, 1])[2]
    assert dist.max() < 0.5
    # read as if it were WGS84 (the trap), it is hundreds of metres off
    s_bad = read_layer(tmp_path / "s.xlsx", kind="transfer_stations", columns={"id": "编号", "name": "名称"})
    bad = shapely.get_coordinates(s_bad.geometry.values)
    assert GEOD.inv(bad[:, 0], bad[:, 1], truth[:, 0], truth[:, 1])[2].min() > 200


def test_column_names_that_name_the_map_warn_when_coords_contradicts_them(tmp_path):
    import warnings

    df = stations_table("gcj02").rename(columns={"经度": "高德经度", "纬度": "高德纬度"})
    df.to_excel(tmp_path / "s.xlsx", index=False)
    cols = {"id": "编号", "name": "名称"}
    with pytest.warns(DataWarning, match=r"'高德经度'/'高德纬度' suggest GCJ-02 .* coords = \"gcj02\""):
        read_layer(tmp_path / "s.xlsx", kind="transfer_stations", columns=cols)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        s = read_layer(tmp_path / "s.xlsx", kind="transfer_stations", columns=cols, coords="gcj02")
        read_layer(tmp_path / "s.xlsx", kind="transfer_stations", columns=cols, coords="wgs84")
    truth = station_lonlat()
    got = shapely.get_coordinates(s.geometry.values)
    assert GEOD.inv(got[:, 0], got[:, 1], truth[:, 0], truth[:, 1])[2].max() < 0.5
    # a Baidu export declared as GCJ-02: the two online systems contradict each other
    stations_table("bd09").to_csv(tmp_path / "百度坐标.csv", index=False)
    with pytest.warns(DataWarning, match=r"file name suggest|'经度'/'纬度' suggest BD-09"):
        read_layer(tmp_path / "百度坐标.csv", kind="transfer_stations", columns=cols, coords="gcj02")


def test_bd09_table(tmp_path):
    stations_table("bd09").to_csv(tmp_path / "s.csv", index=False)
    s = read_layer(tmp_path / "s.csv", kind="transfer_stations", coords="bd09",
                   columns={"id": "编号", "name": "名称"})
    got = shapely.get_coordinates(s.geometry.values)
    truth = station_lonlat()
    assert GEOD.inv(got[:, 0], got[:, 1], truth[:, 0], truth[:, 1])[2].max() < 0.5


def test_gbk_csv_with_dms_strings(tmp_path):
    text = ("编号,养殖场名称,畜种,存栏量,经度,纬度\n"
            "F1,东坑养猪场,生猪,1200,117°30'00\"E,28°24'00\"N\n"
            "F2,\"新塘\n牛场\",肉牛,80,117度30分36秒,N28°24'36\"\n"
            "F3,西村鸡场,蛋鸡,\"12,000\",117.52,28.42\n")
    (tmp_path / "farms.csv").write_bytes(text.encode("gbk"))
    with pytest.warns(DataWarning, match="line breaks"):
        f = read_layer(tmp_path / "farms.csv", kind="livestock_farms",
                       columns={"id": "编号", "name": "养殖场名称", "species": "畜种", "head": "存栏量"})
    assert f["name"].tolist() == ["东坑养猪场", "新塘 牛场", "西村鸡场"]
    assert f["head"].tolist() == [1200.0, 80.0, 12000.0]
    xy = shapely.get_coordinates(f.geometry.values)
    np.testing.assert_allclose(xy[0], [117.5, 28.4])
    np.testing.assert_allclose(xy[1], [117.51, 28.41])
    assert f.crs.to_epsg() == 4326


def _write_rows(path, rows):
    """A table as planners save it: XLSX through openpyxl, or a plain UTF-8 CSV."""
    import openpyxl

    if path.suffix == ".xlsx":
        wb = openpyxl.Workbook()
        for r in rows:
            wb.active.append(r)
        wb.save(path)
    else:
        path.write_text("\n".join(",".join("" if v is None else str(v) for v in r) for r in rows) + "\n",
                        encoding="utf-8")


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_title_rows_above_the_header_are_skipped_and_rows_keep_their_numbers(tmp_path, suffix):
    rows = [["某区生活垃圾转运站一览表", None, None, None], [None, None, None, None],
            ["编号", "名称", "经度", "纬度"], ["S1", "河口转运站", 117.5, 28.4],
            ["S2", "石溪转运站", "not a number", 28.41]]
    path = tmp_path / f"s.{suffix}"
    _write_rows(path, rows)
    with pytest.warns(DataWarning, match="the header is on (row|line) 3"):
        with pytest.raises(CoordinateError, match=r"column '经度', row 5"):
            read_layer(path, kind="transfer_stations", columns={"id": "编号", "name": "名称"})
    rows[4][2] = 117.51
    _write_rows(path, rows)
    with pytest.warns(DataWarning, match="above it"):
        s = read_layer(path, kind="transfer_stations", columns={"id": "编号", "name": "名称"})
    assert s["name"].tolist() == ["河口转运站", "石溪转运站"]
    np.testing.assert_allclose(shapely.get_coordinates(s.geometry.values), [[117.5, 28.4], [117.51, 28.41]])


def test_full_width_digits_are_numbers(tmp_path):
    text = ("编号,养殖场名称,畜种,存栏量,经度,纬度\n"
            "F1,东坑养猪场,生猪,１７３０,１１７．５,２８．４\n")
    (tmp_path / "farms.csv").write_bytes(text.encode("gbk"))
    f = read_layer(tmp_path / "farms.csv", kind="livestock_farms",
                   columns={"id": "编号", "name": "养殖场名称", "species": "畜种", "head": "存栏量"})
    assert f["head"].tolist() == [1730.0]
    np.testing.assert_allclose(shapely.get_coordinates(f.geometry.values)[0], [117.5, 28.4])


@pytest.mark.parametrize("lon, lat, words", [
    ("117°35'37.8\"W", "28.4", "outside China"),     # a western hemisphere letter
    ("11.7561892", "28.4", "outside China"),          # a lost digit
    ("0", "0", "outside China"),                      # 0 put in for a missing value
])
def test_points_outside_china_are_errors_naming_the_row(tmp_path, lon, lat, words):
    text = ("编号,名称,经度,纬度\n"
            "S1,河口转运站,117.5,28.4\n"
            f"S2,石溪转运站,\"{lon}\",{lat}\n".replace('"""', '"'))
    (tmp_path / "s.csv").write_text(text, encoding="utf-8")
    with pytest.raises(CoordinateError) as e:
        read_layer(tmp_path / "s.csv", kind="transfer_stations", columns={"id": "编号", "name": "名称"})
    msg = str(e.value)
    assert words in msg and "row 3" in msg and "layer 'transfer_stations'" in msg


def test_coordinate_columns_by_name_prefer_chinese_and_never_a_word_ending_in_long(tmp_path):
    text = "编号,名称,所属村_belong,GPS经度,GPS纬度,饲养周期_long\nS1,河口,甲村,117.5,28.4,180\n"
    (tmp_path / "s.csv").write_text(text, encoding="utf-8")
    s = read_layer(tmp_path / "s.csv", kind="transfer_stations", columns={"id": "编号", "name": "名称"})
    np.testing.assert_allclose(shapely.get_coordinates(s.geometry.values)[0], [117.5, 28.4])
    (tmp_path / "t.csv").write_text("编号,名称,gps_lng,bd_lng,lat\nS1,河口,117.5,117.51,28.4\n", encoding="utf-8")
    with pytest.raises(ColumnNotFoundError, match=r"several columns could hold the x coordinate \(gps_lng, bd_lng\)"):
        read_layer(tmp_path / "t.csv", kind="transfer_stations", columns={"id": "编号", "name": "名称"})


def test_gbk_text_that_happens_to_be_valid_utf8_is_not_taken_for_it(tmp_path):
    """路 is C2 B7 in GBK, a valid UTF-8 "·"; 谢一山 gives Cyrillic: GBK all the same."""
    text = ("编号,养殖场名称,畜种,存栏量,经度,纬度\n"
            "YZ004,谢一山,鸭,100,117.5,28.4\n"
            "YZ005,路,生猪,20,117°30'12\",28°24'36\"\n")
    cols = {"id": "编号", "name": "养殖场名称", "species": "畜种", "head": "存栏量"}
    (tmp_path / "farms.csv").write_bytes(text.encode("gbk"))
    f = read_layer(tmp_path / "farms.csv", kind="livestock_farms", columns=cols)
    assert f["name"].tolist() == ["谢一山", "路"]
    dms = [117.5 + 12 / 3600, 28.4 + 36 / 3600]
    np.testing.assert_allclose(shapely.get_coordinates(f.geometry.values)[1], dms)
    # the ordinal and ring signs some keyboards give for degrees (UTF-8 only: not in GBK)
    (tmp_path / "u.csv").write_text(text.replace("°", "º", 1).replace("°", "˚"), encoding="utf-8")
    u = read_layer(tmp_path / "u.csv", kind="livestock_farms", columns=cols)
    np.testing.assert_allclose(shapely.get_coordinates(u.geometry.values)[1], dms)


def test_superscripts_are_not_digits(tmp_path):
    text = "编号,养殖场名称,畜种,存栏量,经度,纬度\nF1,东坑,生猪,10⁴,117.5,28.4\n"
    (tmp_path / "farms.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataValueError, match="head must be a number, found '10⁴'"):
        read_layer(tmp_path / "farms.csv", kind="livestock_farms",
                   columns={"id": "编号", "name": "养殖场名称", "species": "畜种", "head": "存栏量"})


@pytest.mark.parametrize("head, first, words", [
    ("某区垃圾转运站一览表（经度、纬度为WGS84坐标）,,,\n编号,名称,经度,纬度", None, "header is on line 2"),
    ("编号,名称,经度纬度,备注", "", "x and y would both be the column '经度纬度'"),
    ("编号,名称,POINT_X,POINT_Y", None, None),
    ("编号,名称,lon_gcj,lat_gcj", None, "suggest GCJ-02"),
])
def test_coordinate_columns_need_two_distinct_columns(tmp_path, head, first, words):
    import warnings

    (tmp_path / "s.csv").write_text(head + "\nS1,河口,117.5,28.4\n", encoding="utf-8")
    args = dict(kind="transfer_stations", columns={"id": "编号", "name": "名称"})
    if first == "":
        with pytest.raises(ColumnNotFoundError, match=words):
            read_layer(tmp_path / "s.csv", **args)
        return
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        s = read_layer(tmp_path / "s.csv", **args)
    said = " | ".join(str(w.message) for w in got)
    assert (words in said) if words else not said
    np.testing.assert_allclose(shapely.get_coordinates(s.geometry.values)[0], [117.5, 28.4])


def test_a_line_pasted_in_another_encoding_is_named(tmp_path):
    head = "编号,养殖场名称,畜种,存栏量,经度,纬度\n".encode("gbk")
    rows = [f"F{k},东坑养猪场{k},生猪,100,117.5,28.4\n".encode("gbk") for k in range(4)]
    rows.insert(2, "F9,新塘牛场,肉牛,80,117.5,28.4\n".encode("utf-8"))  # line 4 in UTF-8
    (tmp_path / "farms.csv").write_bytes(head + b"".join(rows))
    with pytest.raises(EncodingError, match=r"row 4"):
        read_layer(tmp_path / "farms.csv", kind="livestock_farms")


def test_csv_in_no_known_encoding_names_file_layer_and_line(tmp_path):
    good = "编号,养殖场名称,畜种,存栏量,经度,纬度\nF1,东坑养猪场,生猪,100,117.5,28.4\n".encode("gbk")
    bad = "F2,".encode() + b"\xff\xfe\xfa\xfb" + ",生猪,100,117.5,28.4\n".encode("gbk")
    (tmp_path / "farms.csv").write_bytes(good + bad)
    with pytest.raises(EncodingError) as e:
        read_layer(tmp_path / "farms.csv", kind="livestock_farms")
    msg = str(e.value)
    assert "farms.csv" in msg and "layer 'livestock_farms'" in msg and "row 3" in msg


def test_empty_coordinates_name_the_layer(tmp_path):
    (tmp_path / "s.csv").write_text("编号,名称,经度,纬度\nS1,河口,117.5,28.4\nS2,石溪,,28.4\n", encoding="utf-8")
    with pytest.raises(CoordinateError, match=r"layer 'transfer_stations', column '经度', row 3"):
        read_layer(tmp_path / "s.csv", kind="transfer_stations", columns={"id": "编号", "name": "名称"})


@pytest.mark.parametrize("text, value", [
    ("116°00'30.5\"", 116 + 30.5 / 3600),
    ("116°00'30.5\"E", 116 + 30.5 / 3600),
    ("W116°00′30.5″", -(116 + 30.5 / 3600)),
    ("28°24'", 28.4),
    ("S 28 24 36", -(28 + 24 / 60 + 36 / 3600)),
    ("117度30分12.5秒", 117 + 30 / 60 + 12.5 / 3600),
    ("117.5E", 117.5),
    ("-33.25", -33.25),
    (117.25, 117.25),
])
def test_parse_coordinate(text, value):
    assert parse_coordinate(text) == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize("text", ["117°75'00\"", "abc", "117°E N", "1-2-3-4"])
def test_parse_coordinate_rejects(text):
    with pytest.raises(ValueError):
        parse_coordinate(text)


def test_bad_dms_names_the_row(tmp_path):
    pd.DataFrame({"id": ["a", "b"], "lon": ["117.5", "117°61'"], "lat": [28.4, 28.4]}).to_csv(
        tmp_path / "s.csv", index=False)
    with pytest.raises(CoordinateError) as err:
        read_layer(tmp_path / "s.csv", kind="transfer_stations")
    assert "row 3" in str(err.value) and "'lon'" in str(err.value)


def test_projected_table_with_zone_prefix(tmp_path):
    # planners' Gauss-Krüger tables: eastings carry the zone number 39
    pd.DataFrame({"id": ["a"], "X": [39_500_000.0 + 48_900.0], "Y": [3_142_000.0]}).to_csv(tmp_path / "s.csv",
                                                                                          index=False)
    with pytest.raises(CRSError) as err:
        read_layer(tmp_path / "s.csv", kind="transfer_stations")
    assert 'crs = "EPSG:4527"' in str(err.value)
    s = read_layer(tmp_path / "s.csv", kind="transfer_stations", crs="EPSG:4527")
    p = s.to_crs(WORK).geometry.iloc[0]
    assert p.distance(Point(ORIGIN)) < 1e-6
    # the same numbers labelled with the zone-less CM CRS are caught
    with pytest.raises(CRSError, match="EPSG:4527"):
        read_layer(tmp_path / "s.csv", kind="transfer_stations", crs="EPSG:4548")


def test_swapped_lon_lat_is_an_error_that_suggests_the_swap(tmp_path):
    pd.DataFrame({"id": ["a", "b"], "经度": [28.4, 28.41], "纬度": [117.5, 117.51]}).to_excel(
        tmp_path / "s.xlsx", index=False)
    with pytest.raises(CoordinateError) as err:
        read_layer(tmp_path / "s.xlsx", kind="transfer_stations", x="经度", y="纬度")
    msg = str(err.value)
    assert "swapped" in msg and 'x = "纬度", y = "经度"' in msg and "row 2, 3" in msg


def test_swapped_axes_in_a_vector_file(tmp_path):
    pts = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(28.4, 117.5)], crs=4326)
    pts.to_file(tmp_path / "s.geojson", engine="pyogrio")
    with pytest.raises(CoordinateError, match="swapped"):
        read_layer(tmp_path / "s.geojson", kind="transfer_stations")


def test_file_without_prj(tmp_path):
    path = villages_shp(tmp_path)
    path.with_suffix(".prj").unlink()
    with pytest.warns(DataWarning, match="EPSG:4490"):
        v = read_layer(path, kind="villages", columns=COLS)
    assert v.crs.to_epsg() == 4490
    # projected coordinates without .prj: an error that says to add crs
    proj = planner_villages(grid_villages()).to_crs(WORK)
    p2 = write_shapefile(proj, tmp_path / "p.shp", encoding="GBK", cpg=False)
    p2.with_suffix(".prj").unlink()
    with pytest.raises(CRSError) as err:
        read_layer(p2, kind="villages", columns=COLS)
    assert 'crs = "EPSG:' in str(err.value)
    assert read_layer(p2, kind="villages", columns=COLS, crs="EPSG:4548").crs == WORK


# --------------------------------------------------------------------------- validation

def test_missing_file_names_the_closest(tmp_path):
    villages_shp(tmp_path)
    with pytest.raises(InputFileNotFoundError) as err:
        read_layer(tmp_path / "village.shp", kind="villages")
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, ValueError)
    assert "villages.shp" in str(err.value)


def test_missing_column_names_the_nearest(tmp_path):
    path = villages_shp(tmp_path)
    with pytest.raises(ColumnNotFoundError) as err:
        read_layer(path, kind="villages", columns={**COLS, "population": "RKS"})
    assert "'RKS'" in str(err.value) and "Did you mean 'RK'" in str(err.value)
    # population is optional (the loader completes it or says what is not assessed)
    got = read_layer(path, kind="villages", columns={"id": "CUN_DM", "name": "CUN_MC", "township": "XZ_MC"})
    assert "population" not in got.columns and len(got) == 9


def test_unknown_canonical_name_in_columns(tmp_path):
    path = villages_shp(tmp_path)
    with pytest.raises(ProjectFileError, match="Did you mean 'population'"):
        read_layer(path, kind="villages", columns={**COLS, "populaton": "RK"})


def test_empty_layer(tmp_path):
    v = grid_villages().iloc[:0]
    v.to_file(tmp_path / "e.gpkg", layer="villages", engine="pyogrio")
    with pytest.raises(EmptyLayerError, match="no features"):
        read_layer(tmp_path / "e.gpkg", kind="villages")


def test_duplicate_ids_are_listed(tmp_path):
    v = grid_villages()
    v.loc[[1, 4], "id"] = v.loc[0, "id"]
    v.loc[7, "id"] = v.loc[8, "id"]
    v.to_file(tmp_path / "d.gpkg", engine="pyogrio")
    with pytest.raises(DuplicateIdError) as err:
        read_layer(tmp_path / "d.gpkg", kind="villages")
    msg = str(err.value)
    assert "2 duplicate id(s)" in msg and v.loc[0, "id"] in msg and "rows 1 (FID 0), 2 (FID 1), 5 (FID 4)" in msg


def test_null_geometries_dropped_with_rows_and_invalid_polygons_repaired(tmp_path):
    v = grid_villages()
    geoms = list(v.geometry)
    geoms[2] = None
    geoms[5] = bowtie(ORIGIN[0] + 2000, ORIGIN[1] + 2000, 2000)
    v = v.set_geometry(gpd.GeoSeries(geoms, crs=WORK))
    v.to_file(tmp_path / "v.gpkg", engine="pyogrio")
    with pytest.warns(DataWarning) as rec:
        out = read_layer(tmp_path / "v.gpkg", kind="villages")
    msgs = " | ".join(str(w.message) for w in rec)
    assert "1 feature(s) without geometry dropped (rows 3 (FID 2))" in msgs
    assert "1 invalid polygon(s) repaired" in msgs
    assert len(out) == 8
    fixed = out.loc[out["id"] == v.loc[5, "id"]].geometry.iloc[0]
    assert fixed.is_valid and fixed.area == pytest.approx(2 * (2000 * 2000 / 4))


def test_wrong_geometry_type(tmp_path):
    lines = gpd.GeoDataFrame({"id": ["a"], "name": ["x"], "township": ["t"], "population": [1]},
                             geometry=[LineString([(0, 0), (1, 1)])], crs=WORK)
    lines.to_file(tmp_path / "l.gpkg", engine="pyogrio")
    with pytest.raises(GeometryTypeError, match="villages must be polygon or point geometries, found line"):
        read_layer(tmp_path / "l.gpkg", kind="villages")


def test_plants_given_as_polygons_become_points(tmp_path):
    plants = gpd.GeoDataFrame({"id": ["P1"], "capacity_m3_per_day": [500], "load_m3_per_day": [100]},
                              geometry=[box(*ORIGIN, ORIGIN[0] + 100, ORIGIN[1] + 100)], crs=WORK)
    plants.to_file(tmp_path / "p.gpkg", engine="pyogrio")
    with pytest.warns(DataWarning, match="given as polygons"):
        out = read_layer(tmp_path / "p.gpkg", kind="sewage_plants")
    assert out.geometry.iloc[0].geom_type == "Point"
    assert plants.geometry.iloc[0].contains(out.geometry.iloc[0])


def test_values_must_be_numbers_and_ids_are_clean_strings(tmp_path):
    df = pd.DataFrame({"id": [361123100201.0, 361123100202.0], "name": ["a", "b"], "乡镇": ["t", "t"],
                       "人口": ["1,200", "很多"], "x": [117.5, 117.51], "y": [28.4, 28.41]})
    df.to_excel(tmp_path / "v.xlsx", index=False)
    with pytest.raises(DataValueError) as err:
        read_layer(tmp_path / "v.xlsx", kind="villages")
    msg = str(err.value)
    assert "v.xlsx" in msg and "column '人口'" in msg and "row 3" in msg and "'很多'" in msg
    df["人口"] = ["1,200", "800"]
    df.to_excel(tmp_path / "v.xlsx", index=False)
    v = read_layer(tmp_path / "v.xlsx", kind="villages")
    assert v["id"].tolist() == ["361123100201", "361123100202"]
    assert v["population"].tolist() == [1200.0, 800.0]


def test_every_error_is_a_geoenv_value_error():
    for cls in (ColumnNotFoundError, CoordinateError, CRSError, DataValueError, DuplicateIdError,
                EmptyLayerError, EncodingError, GeometryTypeError, InputFileNotFoundError,
                LayerNotFoundError, ProjectFileError):
        assert issubclass(cls, GeoEnvError) and issubclass(cls, ValueError)


def test_beijing_1954_zone_data_load_with_a_datum_warning(tmp_path):
    from geo_env import load_project

    from builders import write_project

    path = write_project(tmp_path, stations=False)
    v = planner_villages(grid_villages()).to_crs(4527)  # CGCS2000 zone 39 with prefix
    v = v.set_crs(2415, allow_override=True)  # the same numbers labelled Beijing 1954 zone 39
    write_shapefile(v, tmp_path / "villages.shp", encoding="GBK", cpg=False)
    with pytest.warns(DataWarning, match="Beijing 1954"):
        d = load_project(path)
    # the zone-prefixed eastings were understood: the village is where it should be (± the datum)
    truth = grid_villages().geometry.iloc[0].centroid
    assert d.villages.geometry.iloc[0].centroid.distance(truth) < 200


def test_unknown_species_is_reported_with_the_file_row(tmp_path):
    text = "编号,畜种,存栏量,经度,纬度\nF1,生猪,100,117.5,28.4\nF2,羊驼,5,117.51,28.41\n"
    (tmp_path / "farms.csv").write_bytes(text.encode("gbk"))
    with pytest.raises(DataValueError) as err:
        read_layer(tmp_path / "farms.csv", kind="livestock_farms", columns={"id": "编号", "species": "畜种",
                                                                          "head": "存栏量"})
    msg = str(err.value)
    assert "farms.csv" in msg and "column '畜种'" in msg and "row 3" in msg and "'羊驼'" in msg and "生猪" in msg


def test_optional_village_columns_by_alias(tmp_path):
    v = grid_villages()
    v["自然村数"] = [3] * 9
    v["村庄建设用地"] = ["12.5"] * 9
    v.to_file(tmp_path / "v.gpkg", engine="pyogrio")
    out = read_layer(tmp_path / "v.gpkg", kind="villages")
    assert out["natural_villages"].tolist() == [3.0] * 9
    assert out["settlement_area_ha"].tolist() == [12.5] * 9


def test_utf8_value_cut_inside_a_character_by_the_field_width(tmp_path):
    # ArcGIS truncates text to the DBF field width in bytes, which can split a UTF-8 character
    gdf = planner_villages(grid_villages())
    path = villages_shp(tmp_path, encoding="UTF-8", gdf=gdf)
    data = bytearray(path.with_suffix(".dbf").read_bytes())
    header_len = int.from_bytes(data[8:10], "little")
    start = data.index(NAMES[0].encode("utf-8"), header_len)
    field = 32 + 32 * 1  # CUN_MC is the second field descriptor
    width = data[field + 16]
    long_name = ("上坪村" * 40).encode("utf-8")[:width]  # fills the field, ends inside a character
    data[start:start + width] = long_name
    path.with_suffix(".dbf").write_bytes(bytes(data))
    kept = long_name[: width - width % 3].decode("utf-8")
    with pytest.warns(DataWarning, match=r"cut by the field width.*rows 1 \(FID 0\)"):
        v = read_layer(path, kind="villages", columns=COLS)
    assert v["name"].tolist() == [kept, *NAMES[1:]]
    # the explicit key works the same way
    with pytest.warns(DataWarning, match="cut by the field width"):
        assert read_layer(path, kind="villages", columns=COLS, encoding="utf-8")["name"].iloc[0] == kept


def test_ragged_csv_and_a_typo_row(tmp_path):
    (tmp_path / "s.csv").write_text("id,name,lon,lat\na,河口,站,117.5,28.4\n", encoding="utf-8")
    with pytest.raises(DataValueError) as err:
        read_layer(tmp_path / "s.csv", kind="transfer_stations")
    assert "s.csv" in str(err.value) and "double quotes" in str(err.value)
    pd.DataFrame({"id": ["a", "b", "c"], "lon": [117.5, 1175.2, 117.52], "lat": [28.4, 28.41, 28.42]}).to_csv(
        tmp_path / "t.csv", index=False)
    with pytest.raises(CoordinateError) as err:
        read_layer(tmp_path / "t.csv", kind="transfer_stations")
    assert "outside longitude/latitude range" in str(err.value) and "row 3" in str(err.value)


def test_zone_number_must_match_the_crs(tmp_path):
    pd.DataFrame({"id": ["a"], "X": [38_548_900.0], "Y": [3_142_000.0]}).to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(CRSError) as err:
        read_layer(tmp_path / "s.csv", kind="transfer_stations", crs="EPSG:4527")  # zone 39
    assert "zone 38" in str(err.value) and 'crs = "EPSG:4526"' in str(err.value)


@pytest.mark.parametrize("crs, x, y", [("EPSG:4548", 3_142_000.0, 548_900.0),
                                       ("EPSG:4527", 3_142_000.0, 39_548_900.0)])
def test_surveyor_axis_order_is_caught(tmp_path, crs, x, y):
    pd.DataFrame({"id": ["a", "b"], "X": [x, x + 10], "Y": [y, y + 10]}).to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(CoordinateError, match="swapped"):
        read_layer(tmp_path / "s.csv", kind="transfer_stations", crs=crs)


def test_degenerate_polygon_is_dropped_with_its_row(tmp_path):
    v = grid_villages()
    x0, y0 = ORIGIN
    geoms = list(v.geometry)
    geoms[4] = shapely.Polygon([(x0, y0), (x0 + 10, y0), (x0 + 20, y0), (x0, y0)])  # no area
    v = v.set_geometry(gpd.GeoSeries(geoms, crs=WORK))
    v.to_file(tmp_path / "v.gpkg", engine="pyogrio")
    with pytest.warns(DataWarning) as rec:
        out = read_layer(tmp_path / "v.gpkg", kind="villages")
    assert any("without area dropped (rows 5 (FID 4))" in str(w.message) for w in rec)
    assert len(out) == 8 and set(out.geom_type) == {"Polygon"}


@pytest.mark.parametrize("township", ["合计", "Total"])
def test_reserved_township_names(tmp_path, township):
    v = grid_villages()
    v.loc[3, "township"] = township
    v.to_file(tmp_path / "v.gpkg", engine="pyogrio")
    with pytest.raises(DataValueError, match="reserved for the total row"):
        read_layer(tmp_path / "v.gpkg", kind="villages")


def test_villages_without_any_population(tmp_path):
    v = grid_villages()
    v["population"] = 0
    v.to_file(tmp_path / "v.gpkg", engine="pyogrio")
    with pytest.raises(DataValueError, match="every village has population 0"):
        read_layer(tmp_path / "v.gpkg", kind="villages")


def test_gbk_with_one_character_values_is_not_mistaken_for_cut_utf8(tmp_path):
    # short Chinese values decode as UTF-8 up to their last bytes: only a value that ends
    # inside a valid UTF-8 sequence *and* fills its field may be a cut one
    gdf = planner_villages(grid_villages())
    gdf["CUN_MC"] = [f"{k}组" for k in range(1, 10)]
    gdf["PZ"] = ["猪", "羊", "牛"] * 3
    path = villages_shp(tmp_path, gdf=gdf)
    v = read_layer(path, kind="villages", columns=COLS)
    assert v["name"].tolist() == [f"{k}组" for k in range(1, 10)]
    assert v["PZ"].tolist() == ["猪", "羊", "牛"] * 3


def test_gbk_csv_with_a_one_character_last_column(tmp_path):
    text = "编号,经度,纬度,畜种,存栏量\nF1,117.5,28.4,猪,10\nF2,117.51,28.41,羊,5\n"
    (tmp_path / "f.csv").write_bytes(text.encode("gbk"))
    f = read_layer(tmp_path / "f.csv", kind="livestock_farms", columns={"id": "编号", "species": "畜种",
                                                                      "head": "存栏量"})
    assert f["species"].tolist() == ["猪", "羊"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_header_only_table_is_an_empty_layer(tmp_path, suffix):
    df = pd.DataFrame({"编号": [], "经度": [], "纬度": []})
    path = tmp_path / f"s{suffix}"
    df.to_csv(path, index=False) if suffix == ".csv" else df.to_excel(path, index=False)
    with pytest.raises(EmptyLayerError, match="no rows below its header"):
        read_layer(path, kind="transfer_stations")


def test_csv_rows_are_named_by_their_line_in_the_file(tmp_path):
    text = "id,lon,lat\n\na,117.5,28.4\n\n\"b\nb\",117.51,28.41\nc,117.52,abc\n"
    (tmp_path / "s.csv").write_text(text, encoding="utf-8")
    with pytest.raises(CoordinateError) as err:
        read_layer(tmp_path / "s.csv", kind="transfer_stations")
    assert "row 7" in str(err.value)  # the physical line of record c (blank lines and a 2-line record before it)
    df = pd.DataFrame({"id": ["a", None, "c"], "lon": [117.5, None, 117.52], "lat": [28.4, None, 95.0]})
    df.to_excel(tmp_path / "s.xlsx", index=False)
    with pytest.raises(CoordinateError) as err:
        read_layer(tmp_path / "s.xlsx", kind="transfer_stations")
    assert "row 4" in str(err.value)  # the spreadsheet row, the blank row 3 counted


# --------------------------------------------------------------------------- the files themselves

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/null"),
                                reason="named pipes and /dev/null are POSIX")


def stations_kml(doctype: str = "", names=("河口转运站", "石溪转运站")) -> str:
    """Two stations as Google Earth saves them (a Placemark with a name and a Point each)."""
    marks = "".join(f"<Placemark><name>{n}</name><Point><coordinates>{lon:.6f},{lat:.6f},0</coordinates>"
                    f"</Point></Placemark>\n" for n, (lon, lat) in zip(names, station_lonlat()))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<kml xmlns="http://www.opengis.net/kml/2.2">\n'
            f"<Document><name>转运站</name>\n{marks}</Document>\n</kml>\n")


@needs_fifo
def test_a_layer_that_is_no_regular_file_is_refused_at_once(tmp_path):
    from builders import deadline

    os.mkfifo(tmp_path / "pipe.csv")  # reading it would wait for a writer for ever
    (tmp_path / "zero.shp").symlink_to("/dev/zero")  # a device: reading never ends
    (tmp_path / "null.csv").symlink_to("/dev/null")
    (tmp_path / "folder.gpkg").mkdir()
    shp = villages_shp(tmp_path)  # a real shapefile whose .dbf is a device
    (tmp_path / "dev.shp").write_bytes(shp.read_bytes())
    (tmp_path / "dev.shx").write_bytes(shp.with_suffix(".shx").read_bytes())
    (tmp_path / "dev.dbf").symlink_to("/dev/null")
    cases = [("pipe.csv", "pipe.csv", "is a named pipe (FIFO), not a regular file"),
             ("zero.shp", "zero.shp", "is a device, not a regular file"),
             ("null.csv", "null.csv", "is a device, not a regular file"),
             ("folder.gpkg", "folder.gpkg", "is a folder, not a file"),
             ("dev.shp", "dev.dbf", "is a device, not a regular file")]
    for name, named, words in cases:
        with deadline(5), pytest.raises(InputFileNotFoundError) as err:
            read_layer(tmp_path / name, kind="transfer_stations")
        text = str(err.value)
        assert named in text and "layer 'transfer_stations'" in text and words in text, text
        assert "\n" not in text


def test_damaged_and_empty_files_say_so(tmp_path):
    roads = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"level": ["县道"]}, geometry=[LineString([ORIGIN, (ORIGIN[0] + 1000, ORIGIN[1])])],
                     crs=WORK).to_file(roads, layer="roads", engine="pyogrio")
    data = roads.read_bytes()
    (tmp_path / "cut.gpkg").write_bytes(data[: len(data) // 2])  # a copy cut short
    kml = stations_kml()
    (tmp_path / "cut.kml").write_text(kml[: kml.index("<Point>", kml.index("石溪")) + 9], encoding="utf-8")
    for name in ("cut.gpkg", "cut.kml"):
        with pytest.raises(InputFileNotFoundError) as err:
            read_layer(tmp_path / name, label="roads")
        text = str(err.value)
        assert text.startswith(f"{tmp_path / name}, layer 'roads': cannot be read: the file is damaged or "
                               f"incomplete (GDAL: "), text
        assert "Copy it again from its source" in text and "sqlite3_prepare" not in text
    for suffix in (".gpkg", ".kml", ".kmz", ".shp", ".zip", ".geojson", ".csv", ".xlsx"):
        (tmp_path / f"empty{suffix}").write_bytes(b"")
        with pytest.raises(EmptyLayerError, match=r"the file is empty \(0 bytes\)\. Copy it again"):
            read_layer(tmp_path / f"empty{suffix}", kind="transfer_stations")


def test_kml_with_a_doctype_reads_but_entities_are_refused_and_nothing_else_is_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    plain = ['<!DOCTYPE kml>', f'<!DOCTYPE kml SYSTEM "{secret.as_uri()}">']
    for i, doctype in enumerate(plain):
        (tmp_path / f"ok{i}.kml").write_text(stations_kml(doctype), encoding="utf-8")
        s = read_layer(tmp_path / f"ok{i}.kml")
        assert s["Name"].tolist() == ["河口转运站", "石溪转运站"]
        assert np.allclose(shapely.get_coordinates(s.geometry.values), station_lonlat(), atol=1e-6)
        assert not s.astype(str).apply(lambda c: c.str.contains("TOP-SECRET")).any().any()
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    hostile = {
        "xxe": (f'<!DOCTYPE kml [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>', "&xxe;"),
        "param": (f'<!DOCTYPE kml [<!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;]>', ""),
        "laughs": (f'<!DOCTYPE kml [<!ENTITY l0 "lol">{laughs}]>', "&l9;"),
    }
    for name, (doctype, ref) in hostile.items():
        text = stations_kml(doctype, names=(f"河口{ref}", "石溪"))
        (tmp_path / f"{name}.kml").write_text(text, encoding="utf-8")
        with zipfile.ZipFile(tmp_path / f"{name}.kmz", "w") as z:
            z.writestr("doc.kml", text)
        for path in (tmp_path / f"{name}.kml", tmp_path / f"{name}.kmz"):
            with pytest.raises(GeoEnvError) as err:
                read_layer(path, kind="transfer_stations")
            msg = str(err.value)
            assert msg.startswith(f"{path}, layer 'transfer_stations': the KML") and "declares XML entities" in msg
            assert "Delete the <!DOCTYPE …> header" in msg and "TOP-SECRET" not in msg


def _bomb_member(n_bytes: int = 4 * 1024**2) -> bytes:
    return bytes(n_bytes)  # zeros deflate about 1000:1


def test_zip_bombs_are_refused_before_anything_is_unzipped(tmp_path, monkeypatch):
    import geo_env.io.checks as layers  # the input checks and their size limits

    monkeypatch.setattr(layers, "_ZIP_RATIO_FROM_BYTES", 1024**2)  # real bombs are GBs; 4 MB keeps the test fast
    shp = villages_shp(tmp_path)
    with zipfile.ZipFile(tmp_path / "villages.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for ext in (".shp", ".shx", ".prj"):
            z.write(shp.with_suffix(ext), f"villages{ext}")
        z.writestr("villages.dbf", _bomb_member())
    with zipfile.ZipFile(tmp_path / "stations.kmz", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", stations_kml())
        z.writestr("files/photo.jpg", _bomb_member())
    stations_table().to_excel(tmp_path / "ok.xlsx", index=False)
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as src, \
            zipfile.ZipFile(tmp_path / "stations.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, src.read(info))
        z.writestr("xl/media/image1.png", _bomb_member())
    for name, member in (("villages.zip", "villages.dbf"), ("stations.kmz", "files/photo.jpg"),
                         ("stations.xlsx", "xl/media/image1.png")):
        with pytest.raises(GeoEnvError) as err:
            read_layer(tmp_path / name, kind="transfer_stations")
        msg = str(err.value)
        assert msg.startswith(f"{tmp_path / name}, layer 'transfer_stations': the zip member '{member}' would "
                              f"unzip to 4.0 MB from "), msg
        assert "zip bomb" in msg and "Get the file again from its source" in msg
    assert len(read_layer(tmp_path / "ok.xlsx", kind="transfer_stations", x="经度", y="纬度")) == 2


def test_files_beyond_the_size_limits_are_refused_with_size_limit_and_what_to_do(tmp_path, monkeypatch):
    import geo_env.io.checks as layers  # the input checks and their size limits

    shp = villages_shp(tmp_path)
    gpkg = tmp_path / "v.gpkg"
    planner_villages(grid_villages()).to_file(gpkg, layer="villages", engine="pyogrio")
    stations_table().to_csv(tmp_path / "s.csv", index=False)
    stations_table().to_excel(tmp_path / "s.xlsx", index=False)
    (tmp_path / "s.kml").write_text(stations_kml(), encoding="utf-8")
    monkeypatch.setattr(layers, "MAX_LAYER_BYTES", 1000)
    monkeypatch.setattr(layers, "MAX_TABLE_BYTES", 100)
    monkeypatch.setattr(layers, "MAX_KML_BYTES", 100)
    shp_size = shp.stat().st_size + shp.with_suffix(".dbf").stat().st_size
    cases = [(gpkg, f"the file is {gpkg.stat().st_size / 1024:,.1f} KB, more than geo_env reads (1000 bytes)",
              "Clip it to the district"),
             (shp, f"the shapefile (.shp and .dbf) is {shp_size / 1024:,.1f} KB", "Clip it to the district"),
             (tmp_path / "s.csv", f"the file is {(tmp_path / 's.csv').stat().st_size} bytes, more than geo_env "
                                  f"reads (100 bytes)", "Keep only the district's rows"),
             (tmp_path / "s.xlsx", "the file is", "Keep only the district's rows"),
             (tmp_path / "s.kml", "more than geo_env reads (100 bytes)", "Clip it to the district")]
    for path, words, todo in cases:
        with pytest.raises(GeoEnvError) as err:
            read_layer(path, label="layer1")
        msg = str(err.value)
        assert msg.startswith(f"{path}, layer 'layer1': ") and words in msg and todo in msg, msg
    # an XLSX is measured unzipped: a small file of big sheets is refused too
    monkeypatch.setattr(layers, "MAX_TABLE_BYTES", (tmp_path / "s.xlsx").stat().st_size + 1)
    with pytest.raises(GeoEnvError, match=r"the file unzips to [\d.]+ KB, more than geo_env reads"):
        read_layer(tmp_path / "s.xlsx")


def test_a_csv_is_read_bounded_even_when_it_grows_after_the_check(tmp_path, monkeypatch):
    import geo_env.io.checks as layers  # the input checks and their size limits

    path = tmp_path / "s.csv"
    stations_table().to_csv(path, index=False, encoding="utf-8-sig")
    monkeypatch.setattr(layers, "_check_input", lambda *a, **k: None)  # as if it grew after the check
    monkeypatch.setattr(layers, "MAX_TABLE_BYTES", 100)
    reads = []
    real = layers._read_head
    monkeypatch.setattr(layers, "_read_head", lambda p, n: reads.append(n) or real(p, n))
    with pytest.raises(GeoEnvError, match=r"s\.csv, layer 'transfer_stations': the file is \d+ bytes, more than "):
        read_layer(path, kind="transfer_stations")
    assert reads == [101]  # never more than the limit and one byte


def test_zip_members_pointing_outside_the_zip_are_ignored(tmp_path):
    shp = villages_shp(tmp_path)
    with zipfile.ZipFile(tmp_path / "only.zip", "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            z.write(shp.with_suffix(ext), f"../villages{ext}")
    with zipfile.ZipFile(tmp_path / "mixed.zip", "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            z.write(shp.with_suffix(ext), f"data/villages{ext}")
            z.write(shp.with_suffix(ext), f"../../evil{ext}")
    with pytest.warns(DataWarning, match=r"only\.zip: zip member\(s\) \.\./villages\.shp, .* ignored: their names "
                                         r"point outside the zip"), \
            pytest.raises(LayerNotFoundError, match="the zip holds no shapefile"):
        read_layer(tmp_path / "only.zip", kind="villages", columns=COLS)
    with pytest.warns(DataWarning, match=r"\.\./\.\./evil\.shp"):
        v = read_layer(tmp_path / "mixed.zip", kind="villages", columns=COLS)
    assert v["name"].tolist() == NAMES


# ------------------------------------------------------ shapefiles copied in part
def test_a_shapefile_without_its_dbf_or_shx_says_which_file_is_missing(tmp_path):
    path = villages_shp(tmp_path)
    path.with_suffix(".dbf").unlink()  # it read as shapes without attributes: "no column 'CUN_DM'"
    with pytest.raises(InputFileNotFoundError, match=r"the shapefile has no \.dbf file \(its attribute table\)"):
        read_layer(path, kind="villages", columns=COLS)
    path = villages_shp(tmp_path)
    path.with_suffix(".shx").unlink()
    with pytest.raises(InputFileNotFoundError, match=r"no \.shx file"):
        read_layer(path, kind="villages", columns=COLS)


@pytest.mark.parametrize("part", [".shp", ".shx"])
def test_a_shapefile_cut_short_is_an_error_not_dropped_features(tmp_path, part):
    path = villages_shp(tmp_path)
    f = path.with_suffix(part)
    data = f.read_bytes()
    declared = int.from_bytes(data[24:28], "big") * 2  # the header's file length, 16-bit words
    assert declared == len(data)
    f.write_bytes(data[: len(data) // 2])  # it read with 'N feature(s) without geometry dropped'
    with pytest.raises(InputFileNotFoundError, match=rf"villages{part} is incomplete \({len(data) // 2:,} of "
                                                     rf"{declared:,} bytes\)"):
        read_layer(path, kind="villages", columns=COLS)


def test_lonlat_under_a_projected_crs_names_the_file(tmp_path):
    path = villages_shp(tmp_path)  # lon/lat (CGCS2000), read with crs = "EPSG:4548" (metres)
    with pytest.raises(CRSError, match=r"villages\.shp.*longitude/latitude \(e\.g\. 117\.5\d+, 28\.4\d+\), "
                                       r"but the CRS .* is projected"):
        with pytest.warns(DataWarning, match="overridden by crs = 'EPSG:4548'"):
            read_layer(path, kind="villages", columns=COLS, crs="EPSG:4548")
