"""Real village files: blank cells and missing columns completed by documented rules, and
implausible head counts caught (geo_env.io.villages and the readers' blank handling)."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_env import analyze, cli, load_project, read_layer
from geo_env.errors import DataValueError, DataWarning
from geo_env.io.layers import read_table
from geo_env.io.villages import UNASSIGNED, complete_townships, join_village_table, township_codes

from builders import WORK, grid_villages, planner_villages, write_project, write_shapefile

PPH = 2.62  # standards: persons per household (第七次全国人口普查)


def _quiet(fn, *args, **kw):
    """``fn(*args, **kw)`` and the texts of the warnings it raised."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = fn(*args, **kw)
    return out, " | ".join(str(w.message) for w in rec)


def _villages_with(tmp_path, **changes):
    """The builders' 3 × 3 villages as a GBK shapefile, with columns changed per row:
    ``RK={0: None}`` blanks row 0's population."""
    v = planner_villages(grid_villages())
    for col, rows in changes.items():
        if rows is None:
            v = v.drop(columns=col)
            continue
        v[col] = v[col].astype(object)
        for i, value in rows.items():
            v.loc[i, col] = value
    write_shapefile(v, tmp_path / "villages.shp", encoding="GBK", cpg=False)
    return v


# ---------------------------------------------------------------------------------------
# blank numeric cells (they crashed `run` and `check`: pandas 3 keeps NaN as float)
# ---------------------------------------------------------------------------------------
def test_blank_population_is_estimated_from_households_and_flagged(tmp_path):
    path = write_project(tmp_path)
    _villages_with(tmp_path, RK={0: None, 1: None}, HS={1: None})
    with pytest.warns(DataWarning) as rec:
        d = load_project(path)
    v = d.villages.set_index("id")
    # row 0: 150 households × 2.62 = 393 people, flagged; row 1: nothing known
    assert v.loc["361123100200", "population"] == round(150 * PPH) == 393
    assert v["population_estimated"].tolist() == [True] + [False] * 8
    assert np.isnan(v.loc["361123100201", "population"]) and np.isnan(v.loc["361123100201", "households"])
    text = " ".join(str(w.message) for w in rec)
    assert "estimated as households × 2.62" in text and "361123100200" in text
    assert "unknown for 1 village(s) (361123100201)" in text
    assert sum("361123100201" in w for w in d.warnings) == 1


def test_unknown_population_is_not_assessed_by_the_analyses(tmp_path):
    path = write_project(tmp_path)
    _villages_with(tmp_path, RK={1: None}, HS={1: None})
    d, _ = _quiet(load_project, path)
    plan, _ = _quiet(analyze, d)
    row = plan.villages.set_index("id").loc["361123100201"]
    assert pd.isna(row["sewage_mode"]) and "未评估" in row["sewage_reason"]
    assert plan.summary["sewage"]["population_unknown"] == {"villages": 1, "ids": ["361123100201"]}
    # coverage by population counts the known people only: 9 villages' 8,100 minus row 1's 600
    assert plan.summary["waste"]["population"] == sum(500 + 100 * k for k in range(9)) - 600 == 7500
    assert plan.summary["population"] == 7500


@pytest.mark.parametrize("command", ["check", "run"])
def test_cli_with_blank_cells_runs_and_names_the_rows(tmp_path, command, capsys):
    path = write_project(tmp_path / "p")
    _villages_with(tmp_path / "p", RK={2: None})
    argv = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    assert cli.main(argv) == 0
    out = capsys.readouterr()
    assert "unexpected" not in out.err and "361123100202" in out.err + out.out
    if command == "run":  # the warning also reaches summary.json and the report, in red
        import openpyxl

        summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
        assert any("361123100202" in w for w in summary["warnings"])
        sheet = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")["数据警告"]
        assert any("361123100202" in str(c.value) for c in sheet["A"])


def test_blank_text_markers_are_blanks_and_text_is_an_error(tmp_path):
    path = write_project(tmp_path)
    _villages_with(tmp_path, RK={0: "—", 1: "/"})
    with pytest.warns(DataWarning, match="estimated as households"):
        v = load_project(path).villages
    assert v["population"].iloc[:2].tolist() == [round(150 * PPH), round(180 * PPH)]
    _villages_with(tmp_path, RK={3: "约500"})
    with pytest.raises(DataValueError, match="population must be a number, found '约500'") as err:
        load_project(path)
    assert "row 4 (FID 3)" in str(err.value) and "'RK'" in str(err.value)


def test_blank_head_keeps_the_farm_for_the_setbacks(tmp_path):
    farms = pd.DataFrame({"编号": ["F1", "F2"], "畜种": ["生猪", "生猪"], "存栏量": [300, None],
                          "经度": [117.5052, 117.5100], "纬度": [28.4101, 28.4200]})
    farms.to_csv(tmp_path / "farms.csv", index=False, encoding="gbk")
    path = write_project(tmp_path, extra='\n[layers.livestock_farms]\npath = "farms.csv"\n'
                                          'columns = { id = "编号", species = "畜种", head = "存栏量" }\n')
    d, text = _quiet(load_project, path)
    assert "head (存栏量) is blank in 1 row(s) (rows 3)" in text
    plan, _ = _quiet(analyze, d)
    farms = plan.layers["livestock_farms"].set_index("id")
    assert farms.loc["F1", "pig_equivalents"] == 300 and np.isnan(farms.loc["F2", "pig_equivalents"])
    assert np.isfinite(farms.loc["F2", "nearest_village_distance_m"])  # still checked
    assert "存栏量缺失" in farms.loc["F2", "issues"]
    assert plan.summary["livestock"]["pig_equivalents"] == 300
    assert plan.summary["livestock"]["head_unknown_farms"] == ["F2"]


def _plant_project(tmp_path, capacity):
    """A plant 300 m east of village 0's anchor (working CRS), design capacity ``capacity``."""
    tmp_path.mkdir()
    v = grid_villages()
    x, y = v.geometry.iloc[0].centroid.coords[0]
    plant = gpd.GeoDataFrame({"编号": ["WS1"], "名称": ["污水厂"], "设计规模": [capacity], "实际处理量": [0.0]},
                             geometry=[shapely.Point(x + 300, y)], crs=WORK)
    plant.to_file(tmp_path / "plants.gpkg", layer="plants", engine="pyogrio")
    return write_project(tmp_path, stations=False, extra='\n[layers.sewage_plants]\npath = "plants.gpkg"\n'
                         'columns = { id = "编号", name = "名称", capacity_m3_per_day = "设计规模", '
                         'load_m3_per_day = "实际处理量" }\n')


def test_blank_capacity_plant_takes_no_villages(tmp_path):
    # with room, the village 300 m away connects (metamorphic pair: only the capacity differs)
    with_room = analyze(load_project(_plant_project(tmp_path / "a", 5000.0))).villages
    assert with_room["sewage_plant_id"].iloc[0] == "WS1"
    with pytest.warns(DataWarning, match="capacity unknown: these plants take no villages"):
        unknown = analyze(load_project(_plant_project(tmp_path / "b", None))).villages
    assert unknown["sewage_plant_id"].isna().all()
    assert (unknown["sewage_mode"] != "connect").all()


# ---------------------------------------------------------------------------------------
# implausible head counts (1e15 reached the MILP: HiGHS "Model error")
# ---------------------------------------------------------------------------------------
def test_impossible_population_stops_with_the_village_named(tmp_path, capsys):
    path = write_project(tmp_path)
    _villages_with(tmp_path, RK={4: 1e15})
    with pytest.raises(DataValueError, match="361123100204") as err:
        load_project(path)
    assert "exceeds what any administrative village has" in str(err.value)
    assert cli.main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "361123100204" in capsys.readouterr().err


def test_population_against_households(tmp_path):
    path = write_project(tmp_path)
    # 12,000,000 people in 152 households (the case): stopped, the village named
    _villages_with(tmp_path, RK={1: 12_000_000}, HS={1: 152})
    with pytest.raises(DataValueError, match=r"12,000,000 of village 361123100201"):
        load_project(path)
    # a village-sized number with a household count it cannot fit: 263 persons per household
    _villages_with(tmp_path, RK={1: 40_000}, HS={1: 152})
    with pytest.raises(DataValueError, match=r"361123100201 has 40,000 people in 152 households"):
        load_project(path)
    # 7 persons per household: possible, but needs a look (warned, by id and ratio)
    _villages_with(tmp_path, RK={1: 1064}, HS={1: 152})
    with pytest.warns(DataWarning, match=r"persons per household .*361123100201 \(7\.0\)"):
        d = load_project(path)
    assert d.villages["population"].iloc[1] == 1064


# ---------------------------------------------------------------------------------------
# missing columns: township, population
# ---------------------------------------------------------------------------------------
def test_township_codes_of_the_code_systems():
    ids = pd.Series(["361123100201", "361123100201000", "3611231002010000000", "V1", "36112310020"])
    got = township_codes(ids)
    assert got.iloc[:3].tolist() == ["361123100"] * 3 and got.iloc[3:].isna().all()


def _coded(tmp_path):
    """Villages of two townships by code (361123100…, 361123101…) without a township column."""
    v = planner_villages(grid_villages())
    v["CUN_DM"] = [f"3611231{'00' if k < 5 else '01'}2{k:02d}" for k in range(9)]
    write_shapefile(v.drop(columns="XZ_MC"), tmp_path / "villages.shp", encoding="GBK", cpg=False)
    return v


def test_township_from_the_village_code_and_a_code_table(tmp_path):
    cols = 'id = "CUN_DM", name = "CUN_MC", population = "RK", households = "HS"'
    path = write_project(tmp_path, villages_cols=cols)
    _coded(tmp_path)
    with pytest.warns(DataWarning, match="9-digit township code"):
        d = load_project(path)
    assert d.villages["township"].tolist() == ["361123100"] * 5 + ["361123101"] * 4
    pd.DataFrame({"乡镇代码": ["361123100000", "361123101000"], "乡镇名称": ["河口镇", "石溪镇"]}).to_csv(
        tmp_path / "towns.csv", index=False)
    path.write_text(path.read_text(encoding="utf-8") + '\n[layers.townships]\npath = "towns.csv"\n'
                    'columns = { id = "乡镇代码", name = "乡镇名称" }\n', encoding="utf-8")
    with pytest.warns(DataWarning, match="9 named from their village code or towns.csv"):
        d = load_project(path)
    assert d.villages["township"].tolist() == ["河口镇"] * 5 + ["石溪镇"] * 4


def test_township_from_township_polygons_and_the_unassigned_rest(tmp_path):
    cols = 'id = "CUN_DM", name = "CUN_MC", population = "RK", households = "HS"'
    path = write_project(tmp_path, villages_cols=cols)
    v = planner_villages(grid_villages())
    v["CUN_DM"] = [f"V{k}" for k in range(9)]  # no codes
    write_shapefile(v.drop(columns="XZ_MC"), tmp_path / "villages.shp", encoding="GBK", cpg=False)
    g = grid_villages()
    west = shapely.union_all(g.geometry.iloc[[0, 3, 6]].buffer(1.0))  # the grid's first column
    gpd.GeoDataFrame({"名称": ["西乡"]}, geometry=[west], crs=WORK).to_file(
        tmp_path / "towns.gpkg", layer="towns", engine="pyogrio")
    path.write_text(path.read_text(encoding="utf-8") + '\n[layers.townships]\npath = "towns.gpkg"\n'
                    'columns = { name = "名称" }\n', encoding="utf-8")
    with pytest.warns(DataWarning, match=rf"6 without a village code or township polygon put in one township "
                                         rf"'{UNASSIGNED}' \(V1, V2, V4, V5, V7, V8\)"):
        d = load_project(path)
    assert d.villages["township"].tolist() == ["西乡", UNASSIGNED, UNASSIGNED] * 3


def test_blank_township_cells_take_the_name_of_their_code(tmp_path):
    path = write_project(tmp_path)
    v = planner_villages(grid_villages())  # 河口镇 ×3, 石溪镇 ×3, 城南街道 ×3: one code each
    v["CUN_DM"] = [f"36112310{k // 3}2{k:02d}" for k in range(9)]
    v.loc[[0, 4], "XZ_MC"] = None
    write_shapefile(v, tmp_path / "villages.shp", encoding="GBK", cpg=False)
    d, text = _quiet(load_project, path)
    assert "2 village(s) have a blank township: 2 named from their village code" in text
    assert d.villages["township"].tolist() == ["河口镇"] * 3 + ["石溪镇"] * 3 + ["城南街道"] * 3
    # a code whose villages carry two names gives no name: its code is used, said so
    v["CUN_DM"] = [f"3611231002{k:02d}" for k in range(9)]
    write_shapefile(v, tmp_path / "villages.shp", encoding="GBK", cpg=False)
    d, text = _quiet(load_project, path)
    assert d.villages["township"].iloc[[0, 4]].tolist() == ["361123100"] * 2
    assert "2 given their 9-digit township code" in text


def test_no_population_column_reports_what_is_not_assessed(tmp_path, capsys):
    cols = 'id = "CUN_DM", name = "CUN_MC", township = "XZ_MC"'
    path = write_project(tmp_path, villages_cols=cols)
    _villages_with(tmp_path, RK=None, HS=None)
    assert cli.main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr()
    assert "人口 未知" in out.out and "人口占 未评估" in out.out and "人口不详未评估 9 个村" in out.out
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["population"] is None and summary["waste"]["coverage_rate_population"] is None
    assert summary["waste"]["siting"]["weight"] == "villages"
    assert summary["sewage"]["population_unknown"]["villages"] == 9
    assert any("no population or households" in w for w in summary["warnings"])


# ---------------------------------------------------------------------------------------
# [layers.village_table]: head counts from another office, keyed by code or name
# ---------------------------------------------------------------------------------------
def _table_project(tmp_path, table: pd.DataFrame, columns: str):
    cols = 'id = "CUN_DM", name = "CUN_MC", township = "XZ_MC"'
    path = write_project(tmp_path, villages_cols=cols)
    _villages_with(tmp_path, RK=None, HS=None)
    with pd.ExcelWriter(tmp_path / "人口.xlsx") as xw:  # a title row above the header, as offices send them
        pd.DataFrame([["2023年各村人口统计表"]]).to_excel(xw, index=False, header=False)
        table.to_excel(xw, index=False, startrow=2)
    path.write_text(path.read_text(encoding="utf-8") + f'\n[layers.village_table]\npath = "人口.xlsx"\n'
                    f'columns = {{ {columns} }}\n', encoding="utf-8")
    return path


def test_village_table_joined_by_code_lists_what_does_not_match(tmp_path):
    v = grid_villages()
    table = pd.DataFrame({"村代码": list(v["id"].iloc[1:]) + ["361123100299", "合计"],
                          "常住人口": list(v["population"].iloc[1:] + 1) + [50, 99999],
                          "户数": list(v["households"].iloc[1:]) + [20, 9999]})
    path = _table_project(tmp_path, table, 'id = "村代码", population = "常住人口", households = "户数"')
    d, text = _quiet(load_project, path)
    assert "the header is on row 3" in text
    assert "1 row(s) match no village by id: 361123100299 (row" in text
    assert "1 village(s) have no row in" in text and "(361123100200)" in text
    assert "1 total row(s) skipped" in text
    got = d.villages.set_index("id")
    assert got["population"].iloc[1:].tolist() == list(v["population"].iloc[1:] + 1)
    assert np.isnan(got["population"].iloc[0])


def test_village_table_by_name_and_by_a_longer_code_system(tmp_path):
    v = grid_villages()
    by_name = pd.DataFrame({"村名": v["name"], "人口": v["population"]})
    d, _ = _quiet(load_project, _table_project(tmp_path / "a", by_name, 'name = "村名", population = "人口"'))
    assert d.villages["population"].tolist() == v["population"].tolist()
    # the 19-digit 坐落单位代码 of the land survey: the 12-digit code followed by zeros
    long = pd.DataFrame({"坐落单位代码": [f"{c}0000000" for c in v["id"]], "人口": v["population"] * 2})
    d, _ = _quiet(load_project, _table_project(tmp_path / "b", long, 'id = "坐落单位代码", population = "人口"'))
    assert d.villages["population"].tolist() == (v["population"] * 2).tolist()


def test_village_table_that_matches_nothing_is_an_error(tmp_path):
    table = pd.DataFrame({"代码": ["110101001001", "110101001002"], "人口": [1, 2]})
    with pytest.raises(DataValueError, match="no row of the table matches a village by code"):
        _quiet(load_project, _table_project(tmp_path, table, 'id = "代码", population = "人口"'))


def test_read_table_and_join_directly():
    v = grid_villages().iloc[:3]
    t = pd.DataFrame({"name": ["上坪村", "石门村"], "households": [10.0, 20.0], "_row": [2, 3]})
    out, text = _quiet(join_village_table, v, t)
    assert "1 village(s) have no row" in text and "2 value(s) of the villages layer differ" in text
    assert out["households"].tolist()[:2] == [10.0, 20.0] and out["households"].iloc[2] == 210
    assert v["households"].iloc[0] == 150  # the input is not changed
    towns, _ = _quiet(complete_townships, v.assign(township=[None, "乙", None]))
    assert towns["township"].tolist() == ["乙", "乙", "乙"]  # one code: the name its villages carry


def test_read_table_refuses_repeated_keys(tmp_path):
    pd.DataFrame({"村名": ["甲", "乙", "甲"], "人口": [1, 2, 3]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(Exception, match=r"1 repeated name\(s\): 甲 \(rows 2, 4\)"):
        read_table(tmp_path / "t.csv", columns={"name": "村名", "population": "人口"})


def test_read_layer_keeps_blank_townships_missing(tmp_path):
    _villages_with(tmp_path, XZ_MC={1: None})
    got = read_layer(tmp_path / "villages.shp", kind="villages",
                     columns={"id": "CUN_DM", "name": "CUN_MC", "township": "XZ_MC", "population": "RK"})
    assert got["township"].isna().tolist() == [False, True] + [False] * 7


def test_sewage_still_checks_households_given_by_an_analyst():
    """Blank households are estimated; a negative one is an error (the optional-column read
    must not let it through)."""
    from dataclasses import replace

    import geo_env as ge

    d, _ = _quiet(ge.sample_district)
    v = d.villages.copy()
    v.loc[v.index[3], "households"] = -5
    with pytest.raises(DataValueError, match="households must be a number of 0 or more"):
        ge.sewage_modes(replace(d, villages=v))
