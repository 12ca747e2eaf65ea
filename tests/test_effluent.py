"""Effluent standards (出水标准, issue 17 item 2): the rule tables cell by cell, the receiving
water, the grade's price, class-Ⅰ water taking no outfall, and the outputs."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import geo_env as ge
from geo_env.analysis.sewage import sewage_plan
from geo_env.analysis.sewage.costs import capital_recovery_factor, station_capital
from geo_env.effluent import GRADES, WATER_CLASSES, load_table, provinces
from geo_env.errors import DataValueError, ParameterError
from test_sewage import CRS, X0, Y0, district, plants, villages

from builders import grid_villages, write_project

# The grades by hand, from the articles the tables cite (环办水体函〔2018〕1083号 二(二) and
# DB44/2208-2019 ch. 4 below 500 m³/d; GB 18918-2002 4.1.2.2–4.1.2.3 and GB 8978-1996 4.1.1
# from 500 m³/d): class → (grade below 500 m³/d, grade from 500 m³/d).
HAND = {"I": ("不得排放", "不得排放"), "II": ("一级", "不得排放"), "III": ("一级", "一级B"),
        "IV": ("二级", "二级"), "V": ("二级", "二级"), "unclassified": ("三级", "一级B")}
SMALL_DOC = {"national": "省级农村排放标准", "44": "DB44/2208-2019"}


@pytest.mark.parametrize("province", ["national", "44"])
@pytest.mark.parametrize("cls", WATER_CLASSES)
@pytest.mark.parametrize("size", [0.0, 5.0, 499.99, 500.0, 12000.0])
def test_every_class_and_size_cell_of_the_shipped_tables(province, cls, size):
    std, grade = load_table(province).lookup(np.array([None if cls == "unclassified" else cls], dtype=object),
                                             np.array([size]))
    small = size < 500
    assert grade[0] == HAND[cls][0 if small else 1]
    assert std[0] == (SMALL_DOC[province] if small else "GB 18918-2002")


def test_shipped_provinces_and_an_unknown_one_says_what_to_add(tmp_path):
    assert provinces() == ["national", "44"]
    with pytest.raises(ParameterError) as e:
        load_table("45")
    assert "effluent_table" in str(e.value) and "national.toml" in str(e.value)
    v = villages([(0, 0, 450, 170)])
    with pytest.raises(ParameterError, match="province = '45'"):
        sewage_plan(district(v, water=_river("III")), province="45")


_ALL = "I='一级'\nII='一级'\nIII='一级'\nIV='二级'\nV='二级'\nunclassified='三级'\n"


@pytest.mark.parametrize("body, message", [
    ("", "no \\[\\[bands\\]\\]"),
    ("[[bands]]\nmin_m3_per_day = 10\n" + _ALL, "starts at 10"),
    ("[[bands]]\nmin_m3_per_day = 0\nmax_m3_per_day = 500\n" + _ALL, "last band ends at 500"),
    ("[[bands]]\nmin_m3_per_day = 0\nI='一级'\n", "no grade for II"),
    ("[[bands]]\nmin_m3_per_day = 0\n" + _ALL.replace("'三级'", "'四级'"), "unknown grades"),
    ("[[bands]\n", "not a readable TOML"),
])
def test_a_broken_custom_table_is_refused_with_what_is_wrong(tmp_path, body, message):
    p = tmp_path / "t.toml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(ParameterError, match=message):
        load_table(path=p)


def _river(cls, *, y=100.0, protection=None):
    """A river along y (m north of the villages' row) with GB 3838 class ``cls``."""
    cols = {"id": ["W1"], "water_class": [cls]}
    if protection is not None:
        cols["protection"] = [protection]
    return gpd.GeoDataFrame(cols, geometry=[shapely.LineString([(X0 - 5000, Y0 + y), (X0 + 15000, Y0 + y)])],
                            crs=CRS)


def _station_part(res, i=0):
    """The village's station part of its centralized cost (yuan/year)."""
    d = res.details.iloc[i]
    return res.villages.cost_centralized_yuan_per_year.iloc[i] - d.cost_internal_yuan_per_year


def test_the_grade_prices_the_station_by_its_factor():
    # one village of 450 residents (too big for household systems: a village station)
    v = villages([(0, 0, 450, 170)])
    base = sewage_plan(district(v, water=_river("III").drop(columns="water_class")))
    q = 450 * 0.08 * 0.6
    r = capital_recovery_factor(0.08, 15)
    hand = station_capital(q, base.params) * r + q * 365 * 1.5
    assert _station_part(base) == pytest.approx(hand, rel=1e-9)
    factors = {"III": 1.0, "IV": 0.85, None: 0.7}  # 一级, 二级, 三级 (unclassified)
    for cls, f in factors.items():
        res = sewage_plan(district(v, water=_river(cls)))
        assert res.villages.sewage_mode.iloc[0] == "centralized"
        assert _station_part(res) == pytest.approx(f * hand, rel=1e-9), cls
        money = res.details.iloc[0]
        assert money.capex_stations_yuan == pytest.approx(f * station_capital(q, base.params), rel=1e-9)
        assert money.om_stations_yuan_per_year == pytest.approx(f * q * 365 * 1.5, rel=1e-9)
    # a project's own factor for 一级
    res = sewage_plan(district(v, water=_river("II")), effluent_cost_factors={"一级": 1.4})
    assert _station_part(res) == pytest.approx(1.4 * hand, rel=1e-9)



def test_a_receiving_water_distance_of_zero_is_refused_as_a_parameter():
    # 0 passed the check once and shapely's query_nearest raised ValueError inside the analysis
    v = villages([(0, 0, 450, 170)])
    with pytest.raises(ParameterError, match="receiving_water_max_m"):
        sewage_plan(district(v, water=_river("III")), receiving_water_max_m=0)

def test_standards_label_reason_summary_and_outputs():
    v = villages([(0, 0, 450, 170), (6000, 0, 450, 170)])
    water = gpd.GeoDataFrame({"id": ["W1", "W2"], "water_class": ["Ⅳ类", "3"]}, geometry=[
        shapely.LineString([(X0 - 500, Y0 + 100), (X0 + 500, Y0 + 100)]),
        shapely.LineString([(X0 + 5500, Y0 + 300), (X0 + 6500, Y0 + 300)])], crs=CRS)
    res = sewage_plan(district(v, water=water), province="44")
    sew = res.villages
    assert sew.effluent_standard.tolist() == ["DB44/2208-2019 二级", "DB44/2208-2019 一级"]
    assert sew.sewage_reason.iloc[0].endswith("出水执行DB44/2208-2019 二级（受纳水体Ⅳ类）")
    assert res.details.receiving_water_id.tolist() == ["W1", "W2"]
    assert res.details.receiving_water_distance_m.to_numpy() == pytest.approx([100.0, 300.0])
    eff = res.summary["effluent"]
    assert eff["assessed"] and eff["province"] == "44"
    assert eff["villages_by_standard"] == {"DB44/2208-2019 一级": 1, "DB44/2208-2019 二级": 1}
    # beyond receiving_water_max_m: water of no set function, 三级
    far = sewage_plan(district(v, water=water), province="44", receiving_water_max_m=200)
    assert far.villages.effluent_standard.tolist() == ["DB44/2208-2019 二级", "DB44/2208-2019 三级"]
    assert "受纳水体环境功能未明确" in far.villages.sewage_reason.iloc[1]


def test_without_a_class_column_nothing_changes_and_the_summary_says_not_assessed():
    v = villages([(0, 0, 450, 170), (3000, 0, 60, 20), (3300, 200, 300, 100)])
    water = _river("III").drop(columns="water_class")
    res = sewage_plan(district(v, water=water))
    plain = sewage_plan(district(v))
    assert res.villages.effluent_standard.isna().all()
    assert res.summary["effluent"]["assessed"] is False
    assert "water_class" in res.summary["effluent"]["note"]
    cols = ["sewage_mode", "cost_centralized_yuan_per_year", "cost_cluster_yuan_per_year", "capex_wan"]
    assert res.villages[cols].equals(plain.villages[cols])


def test_class_one_water_takes_no_outfall_connect_or_reuse_or_flag():
    # three big villages beside a class-Ⅰ stream (源头水): no station may discharge there
    v = villages([(0, 0, 450, 170), (400, 0, 450, 170), (8000, 0, 450, 170)])
    res = sewage_plan(district(v, plants([(8300, 0, 500, 0)]), water=_river("I")))
    sew = res.villages
    stations = sew.sewage_mode.isin(["centralized", "cluster"]).to_numpy()
    assert not stations.any()  # 0 discharge points
    assert sew.sewage_mode.tolist() == ["household", "household", "connect"]
    assert res.details.no_outfall.tolist() == [True, True, True]
    assert sew.effluent_standard.iloc[:2].tolist() == ["资源化利用，不外排"] * 2
    assert sew.effluent_standard.isna().iloc[2]  # connected: the plant's own standard
    assert "不允许新设排污口" in sew.sewage_reason.iloc[0] and "无合规方案" in sew.sewage_reason.iloc[0]
    assert res.summary["effluent"]["no_outfall_water_villages"] == ["v0", "v1", "v2"]
    assert res.summary["protection_zone"]["no_feasible_option"] == []
    assert res.summary["effluent"]["no_feasible_option"] == ["v0", "v1"]  # flagged: too big for household
    # the same villages beside class-Ⅱ water may discharge (一级) below 500 m³/d
    ok = sewage_plan(district(v, plants([(8300, 0, 500, 0)]), water=_river("II")))
    assert ok.villages.sewage_mode.isin(["centralized", "cluster"]).sum() == 2


def test_a_shared_station_stands_where_the_grade_is_cheaper():
    # two equal villages 200 m apart: one beside class-Ⅲ water (一级), the other beside
    # class-Ⅴ water (二级, cheaper): the shared station goes to the second
    v = villages([(0, 0, 450, 170), (200, 0, 450, 170)])
    water = gpd.GeoDataFrame({"id": ["W1", "W2"], "water_class": ["III", "劣Ⅴ类"]}, geometry=[
        shapely.LineString([(X0 - 100, Y0 - 50), (X0 + 50, Y0 - 50)]),
        shapely.LineString([(X0 + 150, Y0 + 50), (X0 + 300, Y0 + 50)])], crs=CRS)
    res = sewage_plan(district(v, water=water))
    assert res.villages.sewage_mode.tolist() == ["cluster", "cluster"]
    assert res.clusters.station_village_id.tolist() == ["v1"]
    assert res.clusters.effluent_standard.tolist() == ["省级农村排放标准 二级"]
    assert res.villages.effluent_standard.nunique() == 1
    assert "受纳水体Ⅴ类" in res.villages.sewage_reason.iloc[0]


def test_metamorphic_a_stricter_receiving_water_never_makes_a_station_cheaper():
    v = grid_villages(3)
    costs = []
    for cls in ("V", "IV", "III", "II"):
        water = gpd.GeoDataFrame({"water_class": [cls]}, geometry=[shapely.LineString(
            [(v.total_bounds[0] - 100, v.total_bounds[1] - 100), (v.total_bounds[2] + 100, v.total_bounds[3] + 100)])],
            crs=v.crs)
        res = sewage_plan(ge.District(name="t", crs=v.crs, villages=v, water=water), receiving_water_max_m=50_000)
        costs.append(res.villages.cost_centralized_yuan_per_year.to_numpy())
    assert np.isfinite(costs[0]).any()
    for looser, stricter in zip(costs, costs[1:]):
        assert (np.nan_to_num(stricter, nan=np.inf) >= np.nan_to_num(looser, nan=np.inf) - 1e-6).all()
    assert (costs[-1] > costs[0])[np.isfinite(costs[0])].all()  # 一级 costs more than 二级


@pytest.mark.parametrize("cell, code", [("Ⅲ", "III"), ("III类", "III"), (3, "III"), ("三类", "III"),
                                        ("劣Ⅴ类", "V"), ("ⅱ", "II"), ("", None)])
def test_water_class_words_are_read(tmp_path, cell, code):
    proj = _water_project(tmp_path, cell)
    d = ge.load_project(proj)
    assert d.water["water_class"].iloc[0] == code


def test_an_unknown_water_class_names_file_column_and_row(tmp_path):
    proj = _water_project(tmp_path, "Ⅵ类")
    with pytest.raises(DataValueError) as e:
        ge.load_project(proj)
    msg = str(e.value)
    assert "water.geojson" in msg and "水质类别" in msg and "row" in msg


def test_a_project_table_file_relative_to_the_project(tmp_path):
    text = Path(load_table("44").path).read_text(encoding="utf-8").replace('"一级"', '"一级A"')
    (tmp_path / "my.toml").write_text(text, encoding="utf-8")
    proj = _water_project(tmp_path, "III", extra='\n[sewage]\neffluent_table = "my.toml"\n')
    res = sewage_plan(ge.load_project(proj), receiving_water_max_m=50_000)
    stations = res.villages.sewage_mode.isin(["centralized", "cluster"])
    assert stations.any()
    assert res.villages.effluent_standard[stations].str.endswith("一级A").all()
    assert res.summary["effluent"]["table"] == "广东省"
    assert set(GRADES) >= {g for b in res.summary["effluent"]["bands"] for g in b["grades"].values()}


def _water_project(folder, cell, extra=""):
    """A small project whose water layer is one river of class ``cell`` (column 水质类别)."""
    proj = write_project(folder, stations=False, extra='\n[layers.water]\npath = "water.geojson"\n' + extra)
    v = gpd.read_file(folder / "villages.shp")
    x0, y0, x1, y1 = v.to_crs(4326).total_bounds
    river = gpd.GeoDataFrame({"名称": ["河"], "水质类别": [cell]},
                             geometry=[shapely.LineString([(x0, y0), (x1, y1)])], crs=4326)
    river.to_file(folder / "water.geojson", engine="pyogrio")
    return proj


def test_the_sample_plan_carries_the_standards_to_its_outputs():
    from geo_env.outputs.report import report_sheets

    plan = ge.analyze(ge.sample_district())
    eff = plan.summary["sewage"]["effluent"]
    assert eff["assessed"] and eff["receiving_water_classified"] > 0
    v = plan.villages
    stations = v.sewage_mode.isin(["centralized", "cluster"])
    assert v.loc[stations, "effluent_standard"].notna().all()
    assert v.loc[v.sewage_mode.isin(["connect", "existing"]), "effluent_standard"].isna().all()
    rules = report_sheets(plan)["effluent_rules"]
    assert rules["standard"].tolist() == ["省级农村排放标准", "GB 18918-2002"]
    assert "环办水体函〔2018〕1083号" in rules["source"].iloc[0]
    assert "effluent_standard" in plan.gpkg_layers()["villages"].columns
