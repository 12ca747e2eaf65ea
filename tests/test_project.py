import os
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Polygon

from geo_env import load_project
from geo_env.errors import (
    CRSError,
    DataWarning,
    GeoEnvError,
    GeoEnvWarning,
    InputFileNotFoundError,
    ParameterError,
    ProjectFileError,
)
from geo_env.io.project import check_project, project_template

from builders import ORIGIN, STATIONS_WORK, WORK, grid_villages, planner_villages, write_project, write_shapefile


def test_load_project_reads_every_layer_into_the_working_crs(tmp_path):
    d = load_project(write_project(tmp_path))
    assert d.name == "测试区"
    assert d.crs.to_epsg() == 4548  # the villages are around 117.5°E → CGCS2000 3° CM 117E
    assert d.villages.crs == d.crs and d.transfer_stations.crs == d.crs and d.roads.crs == d.crs
    truth = grid_villages()
    assert d.villages["name"].tolist() == truth["name"].tolist()
    # GCJ-02 station coordinates were converted: within 0.5 m of the true positions
    got = shapely.get_coordinates(d.transfer_stations.geometry.values)
    assert np.hypot(*(got - np.array(STATIONS_WORK)).T).max() < 0.5
    # polygons survive lon/lat → working CRS within centimetres
    assert d.villages.geometry.iloc[0].symmetric_difference(truth.geometry.iloc[0]).area < 1.0
    assert d.params["waste"]["service_radius_m"] == 3000.0
    assert d.warnings == []


def test_layer_paths_are_relative_to_the_project_file(tmp_path, monkeypatch):
    write_project(tmp_path / "proj")
    monkeypatch.chdir(tmp_path)
    assert len(load_project("proj/project.toml").villages) == 9


def test_anchors_follow_the_geometry_rule(tmp_path):
    d = load_project(write_project(tmp_path))
    cent = shapely.centroid(d.villages.geometry.values)
    np.testing.assert_allclose(d.villages[["anchor_x", "anchor_y"]].to_numpy(), shapely.get_coordinates(cent))
    # a C-shaped village whose centroid lies outside it gets a point inside
    x0, y0 = ORIGIN
    c_shape = Polygon([(x0, y0), (x0 + 3000, y0), (x0 + 3000, y0 + 500), (x0 + 500, y0 + 500),
                       (x0 + 500, y0 + 2500), (x0 + 3000, y0 + 2500), (x0 + 3000, y0 + 3000), (x0, y0 + 3000)])
    assert not c_shape.contains(c_shape.centroid)
    v = grid_villages().iloc[:1].copy()
    v = v.set_geometry([c_shape], crs=WORK)
    write_shapefile(planner_villages(v), tmp_path / "villages.shp", encoding="GBK", cpg=False)
    d = load_project(tmp_path / "project.toml")
    anchor = shapely.Point(d.villages[["anchor_x", "anchor_y"]].to_numpy()[0])
    assert d.villages.geometry.iloc[0].contains(anchor)


def test_village_points_layer_gives_the_anchor(tmp_path):
    import pandas as pd

    pts = pd.DataFrame({"id": ["361123100200"], "lon": [117.501], "lat": [28.401]})
    pts.to_csv(tmp_path / "vp.csv", index=False)
    d = load_project(write_project(tmp_path, extra='\n[layers.village_points]\npath = "vp.csv"\n'))
    x, y = pyproj.Transformer.from_crs(4326, WORK, always_xy=True).transform(117.501, 28.401)
    np.testing.assert_allclose(d.villages[["anchor_x", "anchor_y"]].to_numpy()[0], [x, y], atol=1e-6)
    # the others keep their centroids
    np.testing.assert_allclose(d.villages[["anchor_x", "anchor_y"]].to_numpy()[1],
                               shapely.get_coordinates(d.villages.geometry.iloc[1].centroid)[0])


def test_missing_households_are_estimated_with_a_warning(tmp_path):
    cols = 'id = "CUN_DM", name = "CUN_MC", township = "XZ_MC", population = "RK"'
    v = planner_villages(grid_villages()).drop(columns="HS")
    path = write_project(tmp_path, villages_cols=cols)
    write_shapefile(v, tmp_path / "villages.shp", encoding="GBK", cpg=False)
    with pytest.warns(DataWarning, match="2.62 persons per household"):
        d = load_project(path)
    assert d.villages["households"].iloc[0] == round(500 / 2.62)
    assert any("households missing" in w for w in d.warnings)


def test_facilities_far_outside_are_named(tmp_path):
    import pandas as pd

    path = write_project(tmp_path)
    df = pd.read_excel(tmp_path / "stations.xlsx", engine="openpyxl")
    df.loc[1, "经度"] = 119.5  # ~200 km east
    df.to_excel(tmp_path / "stations.xlsx", index=False)
    with pytest.warns(DataWarning, match=r"more than 50 km outside.*T02"):
        load_project(path)


def test_a_layer_entirely_far_away_is_an_error(tmp_path):
    """Metres of one zone declared as another zone: every station lands ~100 km away."""
    import pandas as pd

    path = write_project(tmp_path)
    df = pd.read_excel(tmp_path / "stations.xlsx", engine="openpyxl")
    x, y = pyproj.Transformer.from_crs(4326, 4548, always_xy=True).transform(df["经度"].to_numpy(),
                                                                            df["纬度"].to_numpy())
    df["经度"], df["纬度"] = x, y  # CGCS2000 / 3° zone 39 (117°E) metres …
    df.to_excel(tmp_path / "stations.xlsx", index=False)
    text = path.read_text(encoding="utf-8").replace('coords = "gcj02"', 'crs = "EPSG:4547"')  # … said zone 38
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CRSError, match=r"stations.xlsx, layer 'transfer_stations': every feature of "
                                       r"transfer_stations lies \d+ km or more outside"):
        load_project(path)
    path.write_text(text.replace('crs = "EPSG:4547"', 'crs = "EPSG:4548"'), encoding="utf-8")
    assert len(load_project(path).transfer_stations) == 2  # the right zone loads
    # stations of the neighbouring county, 60 km away: named in a warning, not an error
    df["经度"] = df["经度"] + 60_000.0 + (df["经度"].max() - df["经度"].min())
    df.to_excel(tmp_path / "stations.xlsx", index=False)
    with pytest.warns(DataWarning, match="lie more than 50 km outside"):
        assert len(load_project(path).transfer_stations) == 2


def test_villages_in_a_wrong_zone_are_named_when_every_other_layer_is_far(tmp_path):
    path = write_project(tmp_path)
    v = planner_villages(grid_villages()).to_crs(4548)
    write_shapefile(v, tmp_path / "villages.shp", encoding="GBK", cpg=False)
    (tmp_path / "villages.prj").unlink()
    text = path.read_text(encoding="utf-8").replace('path = "villages.shp"',
                                                    'path = "villages.shp"\ncrs = "EPSG:4547"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CRSError, match=r"villages.shp, layer 'villages': every other layer "
                                       r"\(transfer_stations, roads\) lies \d+ km or more"):
        load_project(path)


@pytest.mark.parametrize("extra, error, text", [
    ("[wast]\nservice_radius_m = 2000\n", ProjectFileError, "Did you mean 'waste'"),
    ("[waste]\nservice_radius = 2000\n", ProjectFileError, "Did you mean 'service_radius_m'"),
    ("[waste]\nservice_radius_m = -5\n", ParameterError, "greater than 0"),
    ("[waste]\nservice_radius_m = 0\n", ParameterError, "greater than 0"),
    ("[waste]\nmetric = \"raod\"\n", ParameterError, "Did you mean 'road'"),
    ("[waste]\ntarget_coverage = 95\n", ParameterError, "0.95 for 95 %"),
    ("[layers.vilages]\npath = \"x.shp\"\n", ProjectFileError, "Did you mean 'villages'"),
    ("[layers.roads]\nsnap_tolerance_m = 2\n", ProjectFileError, "has no path"),
    ("[layers.villages.extra]\n", ProjectFileError, "unknown key 'extra'"),
])
def test_bad_project_keys_and_values(tmp_path, extra, error, text):
    path = write_project(tmp_path, stations=False, extra=extra)
    with pytest.raises(error) as err:
        load_project(path)
    assert "project.toml" in str(err.value)
    if text:
        assert text in str(err.value)


def test_negative_road_tolerance_is_rejected(tmp_path):
    path = write_project(tmp_path)
    text = path.read_text(encoding="utf-8").replace('[layers.roads]\npath = "roads.gpkg"\n',
                                                    '[layers.roads]\npath = "roads.gpkg"\nmax_connector_m = -10\n')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError, match="max_connector_m"):
        load_project(path)


def test_project_errors(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="project file not found"):
        load_project(tmp_path / "nope.toml")
    (tmp_path / "p.toml").write_text("[project\nname = 1", encoding="utf-8")
    with pytest.raises(ProjectFileError, match="not valid TOML"):
        load_project(tmp_path / "p.toml")
    (tmp_path / "p.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(ProjectFileError, match=r"no \[layers.villages\]"):
        load_project(tmp_path / "p.toml")
    path = write_project(tmp_path / "a", stations=False)
    path.write_text(path.read_text(encoding="utf-8").replace('crs = "auto"', 'crs = "EPSG:4490"'), encoding="utf-8")
    with pytest.raises(ProjectFileError, match="not a projected CRS"):
        load_project(path)


def test_explicit_working_crs(tmp_path):
    path = write_project(tmp_path, stations=False)
    path.write_text(path.read_text(encoding="utf-8").replace('crs = "auto"', 'crs = "EPSG:4547"'), encoding="utf-8")
    d = load_project(path)
    assert d.crs.to_epsg() == 4547 and d.villages.crs.to_epsg() == 4547


def test_check_project_lists_problems_of_every_layer(tmp_path):
    path = write_project(tmp_path)
    (tmp_path / "roads.gpkg").unlink()
    text = path.read_text(encoding="utf-8").replace('columns = { id = "编号", name = "名称" }',
                                                    'columns = { id = "编号", name = "名字" }')
    path.write_text(text, encoding="utf-8")
    report = check_project(path)
    errors = [m for level, m in report.problems if level == "error"]
    assert len(errors) == 2
    assert any("roads.gpkg" in m and "not found" in m for m in errors)
    assert any("'名字'" in m and "Did you mean '名称'" in m for m in errors)
    assert any(line.startswith("villages: 9 feature(s)") for line in report.info)


def test_template_parses_and_names_every_section():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    data = tomllib.loads(project_template())
    assert set(data) == {"project", "layers", "waste"}
    assert data["waste"]["service_radius_m"] == 3000


def test_check_reports_road_parts_and_dangling_ends(tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString

    path = write_project(tmp_path)
    x0, y0 = ORIGIN
    roads = gpd.GeoDataFrame(geometry=[
        LineString([(x0, y0 + 1000), (x0 + 6000, y0 + 1000)]),
        LineString([(x0 + 3000, y0 + 1005), (x0 + 3000, y0 + 6000)]),  # stops 5 m short: a T not joined
    ], crs=WORK)
    roads.to_file(tmp_path / "roads.gpkg", layer="roads", engine="pyogrio")
    report = check_project(path)
    assert report.ok
    text = "\n".join(report.info)
    assert "2 connected part(s): 6.0 km, 5.0 km" in text
    assert "1 dangling end(s)" in text and "road row 2" in text and "gap 5.0 m (joins another part)" in text


def _write_dem(path, crs=WORK, shift=0.0, value=None):
    import rasterio
    from rasterio.transform import from_origin

    x0, y0 = ORIGIN
    data = np.arange(100 * 100, dtype="float32").reshape(100, 100)
    if value is not None:
        data[:] = value
    with rasterio.open(path, "w", driver="GTiff", width=100, height=100, count=1, dtype="float32",
                       crs=crs, transform=from_origin(x0 - 500 + shift, y0 + 6500, 70, 70)) as dst:
        dst.write(data, 1)


def test_dem_section(tmp_path):
    path = write_project(tmp_path, stations=False, extra='\n[layers.dem]\npath = "dem.tif"\nnodata = -9999\n')
    _write_dem(tmp_path / "dem.tif")
    d = load_project(path)
    assert d.dem.resolve() == (tmp_path / "dem.tif").resolve()
    assert d.dem_nodata == -9999.0 and d.dem_crs is None
    # a GeoTIFF without CRS needs the crs key, which then reaches the District
    _write_dem(tmp_path / "dem.tif", crs=None)
    with pytest.raises(CRSError, match=r"\[layers.dem\]"):
        load_project(path)
    path.write_text(path.read_text(encoding="utf-8") + 'crs = "EPSG:4548"\n', encoding="utf-8")
    assert load_project(path).dem_crs.to_epsg() == 4548
    # a DEM that misses some villages is named
    _write_dem(tmp_path / "dem.tif", shift=3_000)
    with pytest.warns(DataWarning, match="does not cover every village"):
        load_project(path)
    # one that misses them all describes no terrain: dropped, said so (it was used: NaN everywhere)
    _write_dem(tmp_path / "dem.tif", shift=20_000)
    with pytest.warns(DataWarning, match="does not overlap any village: no elevation at any of them.*terrain is not assessed"):
        assert load_project(path).dem is None
    # so is a DEM of one value (all zeros): no slopes to read
    _write_dem(tmp_path / "dem.tif", value=0.0)
    with pytest.warns(DataWarning, match="every cell of the DEM over the villages holds 0 m"):
        assert load_project(path).dem is None


def test_working_crs_that_distorts_distances_is_rejected(tmp_path):
    path = write_project(tmp_path, stations=False)
    path.write_text(path.read_text(encoding="utf-8").replace('crs = "auto"', 'crs = "EPSG:3857"'), encoding="utf-8")
    with pytest.raises(ProjectFileError) as err:
        load_project(path)
    # Web Mercator stretches lengths by 1/cos(latitude) - 1: 13.7 % at the fixture's 28.43°N
    assert "13.7" in str(err.value) and "EPSG:4548" in str(err.value)


def test_supplied_anchors_are_checked(tmp_path):
    import re


    path = write_project(tmp_path, stations=False, villages_cols=(
        'id = "CUN_DM", name = "CUN_MC", township = "XZ_MC", population = "RK", households = "HS", '
        'anchor_x = "AX", anchor_y = "AY"'))
    v = planner_villages(grid_villages())
    c = grid_villages().geometry.centroid.to_crs(4490)
    v["AX"], v["AY"] = c.x.to_numpy(), c.y.to_numpy()
    v.loc[2, "AX"] = v.loc[2, "AX"] + 0.2  # ~20 km east of its village
    write_shapefile(v, tmp_path / "villages.shp", encoding="GBK", cpg=False)
    with pytest.warns(DataWarning) as rec:
        d = load_project(path)
    text = " | ".join(str(w.message) for w in rec)
    assert re.search(r"1 anchor\(s\) lie more than 1,000 m outside.*361123100202", text)
    assert re.search(r"1 village\(s\) lie far from the body of the district.*361123100202 \(20 km\)", text)
    assert not d.villages.geometry.iloc[2].contains(shapely.Point(d.villages[["anchor_x", "anchor_y"]].iloc[2]))
    v["AX"], v["AY"] = c.y.to_numpy(), c.x.to_numpy()  # swapped
    write_shapefile(v, tmp_path / "villages.shp", encoding="GBK", cpg=False)
    from geo_env.errors import CoordinateError
    with pytest.raises(CoordinateError, match="swapped"):
        load_project(path)


def test_every_commented_key_of_the_sample_project_is_valid(tmp_path):
    """Planners copy data/sample/project.toml as a template: its commented keys must load when uncommented."""
    import re
    import shutil
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    shutil.copytree(sample, tmp_path / "s")
    text = (tmp_path / "s" / "project.toml").read_text(encoding="utf-8")
    opened = re.sub(r"(?m)^# (\[[a-z_.]+\]|[a-z_]+ = )", r"\1", text)
    assert opened.count("\n[") > text.count("\n[")  # something was uncommented
    (tmp_path / "s" / "project.toml").write_text(opened, encoding="utf-8")
    d = load_project(tmp_path / "s" / "project.toml")
    assert d.params["livestock"]["factors"] == "guideline2018"
    assert d.params["waste"]["metric"] == "road"


def test_a_district_holds_every_layer_in_its_working_crs():
    from geo_env import District

    v = grid_villages()
    with pytest.raises(CRSError, match="transfer_stations layer is in WGS 84"):
        District(name="x", crs=WORK, villages=v, transfer_stations=v.iloc[:1].to_crs(4326))
    d = District(name="x", crs="EPSG:4548", villages=v)
    assert d.crs == WORK  # a CRS given as text is parsed once


def test_layers_assigned_later_are_checked_too():
    from geo_env import District

    v = grid_villages()
    d = District(name="x", crs=WORK, villages=v)
    with pytest.raises(CRSError, match="water layer is in WGS 84"):
        d.water = v.iloc[:1].to_crs(4326)  # livestock distances would be ~3,000 km otherwise
    with pytest.raises(ProjectFileError, match="not a projected CRS"):
        District(name="x", crs="EPSG:4326", villages=v.to_crs(4326))
    with pytest.raises(ProjectFileError, match="stretches distances"):
        District(name="x", crs="EPSG:3857", villages=v.to_crs(3857))
    # anchors left behind by a reprojection are caught
    v = v.assign(anchor_x=v.centroid.x, anchor_y=v.centroid.y).to_crs(4547)
    with pytest.raises(CRSError, match="anchor_x/anchor_y"):
        District(name="x", crs="EPSG:4547", villages=v)
    with pytest.raises(ProjectFileError, match="lang"):
        District(name="x", crs=WORK, villages=grid_villages(), lang="fr")


def test_village_points_with_longer_codes_are_matched(tmp_path):
    """19-digit 坐落单位代码 and 15-digit codes are the 12-digit code followed by zeros."""
    import pandas as pd

    pts = pd.DataFrame({"id": ["3611231002000000000", "361123100201000", "361123100202001"],
                        "lon": [117.501, 117.52, 117.53], "lat": [28.401, 28.402, 28.403]})
    pts.to_csv(tmp_path / "vp.csv", index=False)
    with pytest.warns(DataWarning) as got:
        d = load_project(write_project(tmp_path, extra='\n[layers.village_points]\npath = "vp.csv"\n'))
    text = " | ".join(str(w.message) for w in got)
    assert "2 id(s) are village codes extended with zeros" in text
    assert "3611231002000000000 → 361123100200" in text
    assert "1 point(s) match no village id (361123100202001)" in text  # not zeros: not guessed
    tx = pyproj.Transformer.from_crs(4326, WORK, always_xy=True)
    anchors = d.villages.set_index("id")[["anchor_x", "anchor_y"]]
    for code, lon, lat in [("361123100200", 117.501, 28.401), ("361123100201", 117.52, 28.402)]:
        np.testing.assert_allclose(anchors.loc[code].to_numpy(), tx.transform(lon, lat), atol=1e-6)
    row = d.villages.set_index("id").loc["361123100202"]  # unmatched: keeps its centroid
    np.testing.assert_allclose(anchors.loc["361123100202"].to_numpy(),
                               shapely.get_coordinates(row.geometry.centroid)[0])


def test_dem_fill_values_show_in_check_and_in_the_summary(tmp_path):
    """An undeclared fill under a village: `check` names the village, the run keeps the
    warnings in summary.json's list (they were printed mid-analysis only)."""
    import shutil

    import rasterio

    import geo_env as ge

    src = Path(ge.__file__).resolve().parent.parent / "data" / "sample"
    shutil.copytree(src, tmp_path / "p")
    d0 = load_project(tmp_path / "p" / "project.toml")
    target = d0.villages.iloc[0]
    with rasterio.open(tmp_path / "p" / "dem.tif") as f:
        z, profile = f.read(1).astype("float32"), f.profile
        r, c = f.index(target["anchor_x"], target["anchor_y"])
    z[max(r - 5, 0):r + 6, max(c - 5, 0):c + 6] = -3.4028235e38  # a hole, fill undeclared
    profile.update(dtype="float32", nodata=None)
    (tmp_path / "p" / "dem.tif").unlink()
    with rasterio.open(tmp_path / "p" / "dem.tif", "w", **profile) as f:
        f.write(z, 1)
    report = check_project(tmp_path / "p" / "project.toml")
    warned = " | ".join(m for level, m in report.problems if level == "warning")
    assert "not elevations" in warned
    assert f"1 village anchor(s) lie where the DEM has no data ({target['id']})" in warned
    assert any(line.startswith("dem: dem.tif, 30 × 30 m cells") for line in report.info)
    with pytest.warns(DataWarning):
        plan = ge.analyze(load_project(tmp_path / "p" / "project.toml"))
    assert any("not elevations" in w for w in plan.summary["warnings"])
    assert any(target["id"] in w and "no data" in w for w in plan.summary["warnings"])


# --------------------------------------------------------------------------- the project file itself

def test_a_folder_holding_project_toml_is_read_as_that_file(tmp_path):
    path = write_project(tmp_path / "county", stations=False)
    d = load_project(tmp_path / "county")
    assert d.source == path.resolve() and d.name == "测试区"
    report = check_project(tmp_path / "county")
    assert report.ok and any(line.startswith("villages: 9 feature(s)") for line in report.info)


def test_a_folder_without_project_toml_names_its_toml_files_or_says_there_are_none(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "two").mkdir()
    for name in ("b_2023.toml", "a_2024.toml", "notes.txt"):
        (tmp_path / "two" / name).write_text("", encoding="utf-8")
    with pytest.raises(ProjectFileError) as err:
        load_project(tmp_path / "two")
    assert str(err.value) == (f"{tmp_path / 'two'}: is a folder without a project.toml; it holds a_2024.toml, "
                              f"b_2023.toml. Give the project file itself, e.g. {tmp_path / 'two' / 'a_2024.toml'}.")
    for call in (load_project, lambda p: _raise_first(check_project(p))):
        with pytest.raises(ProjectFileError, match=r"empty: is a folder without a project\.toml \(nor any other "
                                                   r"\.toml file\)\. Give the path of the project file"):
            call(tmp_path / "empty")


def _raise_first(report):
    """The first error of a CheckReport, raised as the ProjectFileError it was (for one test body)."""
    errors = [m for level, m in report.problems if level == "error"]
    assert len(errors) == 1, report.problems
    raise ProjectFileError(errors[0])


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="POSIX pipes and devices")
def test_a_project_file_that_is_no_regular_file_is_refused_at_once(tmp_path):
    from builders import deadline

    os.mkfifo(tmp_path / "pipe.toml")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    for name, what in (("pipe.toml", "a named pipe (FIFO)"), ("zero.toml", "a device")):
        for call in (load_project, lambda p: _raise_first(check_project(p))):
            with deadline(5), pytest.raises(GeoEnvError) as err:
                call(tmp_path / name)
            assert f"{tmp_path / name}: is {what}, not a regular file" in str(err.value)
            assert "Give the path of the project file itself" in str(err.value)
    # a DEM that is a pipe: GDAL would wait on it for ever
    path = write_project(tmp_path / "dem", stations=False, extra='\n[layers.dem]\npath = "dem.tif"\n')
    os.mkfifo(path.parent / "dem.tif")
    with deadline(10), pytest.raises(InputFileNotFoundError,
                                     match=r"dem\.tif, layer 'dem': is a named pipe \(FIFO\), not a regular file"):
        load_project(path)
    (tmp_path / "big.toml").write_bytes(b"# " + b"x" * (1024**2))
    with pytest.raises(ProjectFileError, match=r"big\.toml: is more than 1\.0 MB; a project file is a few KB"):
        load_project(tmp_path / "big.toml")
    with pytest.raises(ProjectFileError, match=r"villages\.shp: is not a text file .* not a layer or Excel file"):
        load_project(write_project(tmp_path / "p", stations=False).parent / "villages.shp")


def test_project_files_saved_by_notepad_with_a_bom_or_in_gbk_load(tmp_path):
    path = write_project(tmp_path, stations=False)
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # Notepad's "UTF-8 with BOM"
    assert load_project(path).name == "测试区"
    assert check_project(path).problems == []
    path.write_bytes(text.encode("gbk"))  # Chinese Notepad's "ANSI"
    with pytest.warns(GeoEnvWarning, match=r"project\.toml: not UTF-8; read as GBK .*Save it as UTF-8"):
        assert load_project(path).name == "测试区"
    assert check_project(path).problems == [
        ("warning", f"{path}: not UTF-8; read as GBK (Chinese Windows \"ANSI\"). Save it as UTF-8 to be sure "
                    f"(Notepad: Save As, Encoding: UTF-8)")]
    path.write_bytes(text.encode("utf-16"))  # Notepad's "Unicode"
    with pytest.warns(GeoEnvWarning, match="saved as UTF-16"):
        assert load_project(path).name == "测试区"
    path.write_bytes(text.encode("utf-8") + b'\n# \xff\xfe\xff\n')  # neither UTF-8 nor GBK on line 8
    n = text.count("\n") + 2
    with pytest.raises(ProjectFileError, match=f"line {n} is neither UTF-8 nor GBK text. Save the project file as "
                                               f"UTF-8"):
        load_project(path)


@pytest.mark.parametrize("line, words, hint", [
    ("name = 测试区", "line 2 is not valid TOML (Invalid value, column 8): name = 测试区",
     'Text needs quotes: name = "…"'),
    ("crs auto", "line 2 is not valid TOML (Expected '=' after a key in a key/value pair, column 5): crs auto",
     "Write key = value"),
    ('lang = "zh', "line 2 is not valid TOML (Illegal character '\\n', column 11): lang = \"zh",
     "A text value is not closed"),
    ('name = "x"', "line 3 is not valid TOML (Cannot overwrite a value, column 11): name = \"y\"",
     "A key or [section] is given twice"),
])
def test_toml_errors_name_the_line_show_it_and_say_what_to_check(tmp_path, line, words, hint):
    path = tmp_path / "project.toml"
    path.write_text(f'[project]\n{line}\nname = "y"\n', encoding="utf-8")
    with pytest.raises(ProjectFileError) as err:
        load_project(path)
    assert str(err.value).startswith(f"{path}: {words}. {hint}"), str(err.value)


def test_windows_paths_in_double_quotes_are_caught_with_the_advice_to_use_single_quotes(tmp_path):
    path = write_project(tmp_path, stations=False)
    text = path.read_text(encoding="utf-8")
    advice = "Write Windows paths in single quotes ('{0}') or with forward slashes (\"{1}\")."
    # escapes TOML accepts: \t and \n silently became a tab and a line break
    path.write_text(text.replace('path = "villages.shp"', 'path = "C:\\temp\\new.shp"'), encoding="utf-8")
    for call in (load_project, lambda p: _raise_first(check_project(p))):
        with pytest.raises(ProjectFileError) as err:
            call(path)
        msg = str(err.value)
        assert msg.startswith(f'{path}: [layers.villages] path "C:\\temp\\new.shp": in double quotes TOML reads')
        assert msg.endswith(advice.format("C:\\temp\\new.shp", "C:/temp/new.shp")) and "\t" not in msg
    # escapes TOML refuses: \d, \U…, \x
    for typed in ("D:\\data\\村界.shp", "C:\\Users\\张三\\villages.shp", "E:\\xian\\villages.shp"):
        path.write_text(text.replace('path = "villages.shp"', f'path = "{typed}"'), encoding="utf-8")
        with pytest.raises(ProjectFileError) as err:
            load_project(path)
        msg = str(err.value)
        assert "is not valid TOML" in msg and f'path = "{typed}"' in msg, msg
        assert msg.endswith(advice.format(typed, typed.replace("\\", "/"))), msg
    # in single quotes the same path is the path (and not found here: a plain message, no TOML advice)
    path.write_text(text.replace('path = "villages.shp"', "path = 'C:\\temp\\new.shp'"), encoding="utf-8")
    with pytest.raises(InputFileNotFoundError, match=r"C:\\temp\\new\.shp, layer 'villages': file not found"):
        load_project(path)
