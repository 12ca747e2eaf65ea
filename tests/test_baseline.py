"""The status baseline (现状) and the assessment indicators (issue 13): reading the
baseline columns, existing works in the sewage plan, and indicators computed by hand."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import geo_env as ge
from geo_env._choices import INDICATORS
from geo_env.analysis.sewage.costs import capital_recovery_factor, station_capital
from geo_env.errors import DataValueError, ParameterError, ProjectFileError
from geo_env.io.project import District
from geo_env.standards import defaults, parameter, target_of

from _plans import CRS, SIZE, X0, Y0, _grid, _pts

# the 3 × 3 grid of _plans: village k has 100·(k+1) residents, 40·(k+1) households;
# columns 0–1 are 甲镇, column 2 乙镇 (villages 2, 5, 8)
STATUS = ["connected", "centralized", "household", "none", "centralized", None, "none", "none", "household"]
TOILETS = [40, 60, 120, 0, np.nan, 240, 100, 320, 360]


def district(status=STATUS, *, plant_status="running", station_status="stopped", toilets=TOILETS,
             waste=None, farms=True) -> District:
    v = _grid()
    v["sewage_status"] = np.array(status, dtype=object)
    v["sanitary_toilet_households"] = np.array(toilets, dtype=float)
    if waste is not None:
        v["waste_collected"] = np.array(waste, dtype=object)
    # P1: a town plant near village 0; VS1: the village station inside village 1
    plants = _pts([(X0 - 300, Y0 + 200), (X0 + 1.5 * SIZE, Y0 + 0.5 * SIZE)], id=["P1", "VS1"],
                  name=["城镇污水厂", "村1站"], capacity_m3_per_day=[2000.0, 20.0], load_m3_per_day=[500.0, 0.0],
                  status=[plant_status, station_status], type=["城镇污水处理厂", "一体化设备"])
    stations = _pts([(X0 + 500, Y0 + 500), (X0 + 2500, Y0 + 2500)], id=["S1", "S2"], name=["一号站", "二号站"],
                    status=["running", "stopped"])
    lf = None
    if farms:
        lf = _pts([(X0 + 2900, Y0 + 100), (X0 + 1500, Y0 + 1500), (X0 + 3600, Y0 + 1500)],
                  id=["F1", "F2", "F3"], name=["甲猪场", "乙牛场", "丙鸡场"], species=["pig", "dairy_cow", "layer"],
                  head=[1000, 50, 20000], manure_facility=[True, False, None], utilization_rate=[0.9, 0.5, np.nan])
    return District(name="示例区", crs=CRS, villages=v, transfer_stations=stations, sewage_plants=plants,
                    livestock_farms=lf)


def run(d: District):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ge.analyze(d)


# --------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------
def _csv(tmp_path, text: str):
    p = tmp_path / "v.csv"
    p.write_text("id,name,lon,lat,户数,人口,污水现状,卫厕户数,垃圾收运\n" + text, encoding="utf-8")
    return p


def _read(p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ge.read_layer(p, kind="villages", x="lon", y="lat", crs=4326)


def test_chinese_status_words_are_read_into_codes(tmp_path):
    p = _csv(tmp_path, "V1,甲村,117.5,28.4,100,260,纳管,80,是\nV2,乙村,117.51,28.41,50,130,分户,40,否\n"
                       "V3,丙村,117.52,28.42,50,130,未治理,0,\nV4,丁村,117.53,28.43,50,130,村级集中,,√\n")
    v = _read(p)
    assert v["sewage_status"].tolist() == ["connected", "household", "none", "centralized"]
    assert v["waste_collected"].tolist() == [True, False, None, True]
    assert v["sanitary_toilet_households"].iloc[:3].tolist() == [80, 40, 0]
    assert np.isnan(v["sanitary_toilet_households"].iloc[3])


@pytest.mark.parametrize("row, column, words", [
    ("V2,乙村,117.51,28.41,50,130,半治理,40,否", "污水现状", "半治理"),
    ("V2,乙村,117.51,28.41,50,130,分户,60,否", "卫厕户数", "exceed households"),
    ("V2,乙村,117.51,28.41,50,130,分户,40,也许", "垃圾收运", "yes or no"),
])
def test_bad_baseline_values_name_file_column_and_row(tmp_path, row, column, words):
    p = _csv(tmp_path, "V1,甲村,117.5,28.4,100,260,纳管,80,是\n" + row + "\n")
    with pytest.raises(DataValueError) as e:
        _read(p)
    msg = str(e.value)
    assert f"column '{column}'" in msg and "row 3" in msg and words in msg and "v.csv" in msg


def test_facility_status_and_utilisation_rate_checks(tmp_path):
    p = tmp_path / "plants.csv"
    p.write_text("id,name,lon,lat,设计规模,负荷,状态\nP1,甲厂,117.5,28.4,100,0,运行\nP2,乙厂,117.6,28.4,100,0,坏了\n",
                 encoding="utf-8")
    with pytest.raises(DataValueError, match=r"column '状态', row 3: unknown facility status '坏了'"):
        ge.read_layer(p, kind="sewage_plants", x="lon", y="lat", crs=4326)
    p.write_text("id,name,lon,lat,设计规模,负荷,状态\nP1,甲厂,117.5,28.4,100,0,停运\nP2,乙厂,117.6,28.4,100,50,\n",
                 encoding="utf-8")
    with pytest.warns(UserWarning, match="taken as running"):
        got = ge.read_layer(p, kind="sewage_plants", x="lon", y="lat", crs=4326)
    assert got["status"].tolist() == ["stopped", "running"]
    f = tmp_path / "farms.csv"
    f.write_text("id,name,lon,lat,畜种,存栏,综合利用率\nF1,甲,117.5,28.4,生猪,100,85%\nF2,乙,117.6,28.4,生猪,100,1.7\n",
                 encoding="utf-8")
    with pytest.raises(DataValueError, match=r"column '综合利用率', row 3: .*share from 0 to 1"):
        ge.read_layer(f, kind="livestock_farms", x="lon", y="lat", crs=4326)
    f.write_text("id,name,lon,lat,畜种,存栏,综合利用率\nF1,甲,117.5,28.4,生猪,100,85%\nF2,乙,117.6,28.4,生猪,100,0.6\n",
                 encoding="utf-8")
    got = ge.read_layer(f, kind="livestock_farms", x="lon", y="lat", crs=4326)
    assert got["utilization_rate"].tolist() == pytest.approx([0.85, 0.6])


# --------------------------------------------------------------------------------------
# existing works in the sewage plan
# --------------------------------------------------------------------------------------
def test_running_works_are_kept_stopped_ones_rectified():
    plan = run(district())
    v = plan.villages
    # 0: connected to running P1; 2, 8: household systems; 4: a village station nobody
    # recorded (no facility in its polygon): all kept at no new cost
    kept = v.index[v["sewage_mode"] == "existing"].tolist()
    assert {0, 2, 4, 8} <= set(kept)
    assert v.loc[0, "sewage_plant_id"] == "P1" and v.loc[0, "cost_existing_yuan_per_year"] == 0
    assert v.loc[[0, 2, 4, 8], "sewage_baseline_treated"].all()
    # 1: its station VS1 lies inside it and is stopped → rectify, not treated today
    assert v.loc[1, "rectify"] and not v.loc[1, "sewage_baseline_treated"]
    assert v.loc[1, "sewage_facility_status"] == "stopped"
    assert v["rectify"].sum() == 1
    # its repair, by hand: share × station capital for its flow, recovered over the station
    # life, + a year's operation of the station
    prm = {k: parameter("sewage", k).default for k in (
        "rectify_capex_share", "discount_rate", "station_life_years", "station_opex_yuan_per_m3",
        "station_capex_yuan_per_m3_day", "station_reference_m3_per_day", "station_scale_exponent")}
    q = v.loc[1, "sewage_flow_m3_per_day"]
    crf = capital_recovery_factor(prm["discount_rate"], prm["station_life_years"])
    want = prm["rectify_capex_share"] * float(station_capital(q, prm)) * crf + q * 365 * prm["station_opex_yuan_per_m3"]
    assert v.loc[1, "cost_rectify_yuan_per_year"] == pytest.approx(want)
    assert "停运" in v.loc[1, "sewage_reason"]
    # kept villages take no plant capacity: P1 connects nobody new at village 0
    plants = plan.layers["sewage_plants"]
    assert plants.set_index("id").loc["P1", "connected_flow_m3_per_day"] == pytest.approx(
        v.loc[v["sewage_mode"] == "connect", "sewage_flow_m3_per_day"].sum())


def test_replan_existing_plans_every_village_from_zero():
    d = district()
    d = d.with_params("sewage", replan_existing=True)
    v = run(d).villages
    assert not (v["sewage_mode"] == "existing").any()
    assert v["rectify"].sum() == 1  # still flagged


def test_repair_or_replace_follows_the_cost():
    cheap = run(district().with_params("sewage", rectify_capex_share=0.01)).villages
    dear = run(district().with_params("sewage", rectify_capex_share=1.0, station_opex_yuan_per_m3=50.0)).villages
    assert cheap.loc[1, "sewage_mode"] == "existing" and "修复" in cheap.loc[1, "sewage_reason"]
    assert dear.loc[1, "sewage_mode"] != "existing" and "改为新建" in dear.loc[1, "sewage_reason"]


def test_existing_tanks_make_household_systems_cheaper_by_the_tank():
    with_t = run(district(status=[None] * 9)).villages
    without = run(district(status=[None] * 9, toilets=[np.nan] * 9)).villages
    crf = capital_recovery_factor(parameter("sewage", "discount_rate").default,
                                  parameter("sewage", "household_life_years").default)
    tank = parameter("sewage", "septic_tank_capex_yuan").default
    for k in (0, 1):  # 100 and 200 residents: household systems allowed (≤ 200 per settlement)
        saving = without.loc[k, "cost_household_yuan_per_year"] - with_t.loc[k, "cost_household_yuan_per_year"]
        assert saving == pytest.approx(TOILETS[k] * tank * crf)
    hh = 40 * (np.arange(9) + 1)
    todo = with_t["toilet_households_to_convert"].to_numpy()
    known = np.isfinite(np.array(TOILETS))
    assert todo[known] == pytest.approx(hh[known] - np.array(TOILETS)[known])


# --------------------------------------------------------------------------------------
# indicators, by hand
# --------------------------------------------------------------------------------------
def test_indicators_hand_computed():
    plan = run(district(waste=[True, None, None, False, None, None, None, None, True]))
    ind = plan.summary["indicators"]
    pop, hh = 100 * (np.arange(9) + 1), 40 * (np.arange(9) + 1)
    treated = np.array([0, 2, 4, 8])  # 1 is tied to a stopped station, 5 blank (untreated)
    s = ind["sewage_treatment_rate"]
    assert s["basis"] == "villages" and s["baseline"] == pytest.approx(4 / 9)
    assert s["by_households"]["baseline"] == pytest.approx(hh[treated].sum() / hh.sum())
    assert s["by_basis"]["population"]["baseline"] == pytest.approx(pop[treated].sum() / pop.sum())
    assert s["planned"] == pytest.approx(1.0)
    # 甲镇: villages 0, 1, 3, 4, 6, 7 → treated 0, 4; 乙镇: 2, 5, 8 → treated 2, 8
    assert s["by_township"]["甲镇"]["baseline"] == pytest.approx(2 / 6)
    assert s["by_township"]["乙镇"]["baseline"] == pytest.approx(2 / 3)
    assert s["target"] == 0.4 and s["target_year"] == 2025
    # toilets: villages with both known (4 has no count)
    t = np.array(TOILETS)
    known = np.isfinite(t)
    toilet = ind["sanitary_toilet_rate"]
    assert toilet["baseline"] == pytest.approx(t[known].sum() / hh[known].sum())
    assert toilet["planned"] == pytest.approx(1.0)
    # facilities: P1 running, VS1 stopped, S1 running, S2 stopped
    assert ind["facility_operating_rate"]["baseline"] == pytest.approx(2 / 4)
    # waste: collected said for 0 (yes), 3 (no), 8 (yes); others within 3 km of running S1
    v = plan.villages
    d_s1 = np.hypot(v["anchor_x"] - (X0 + 500), v["anchor_y"] - (Y0 + 500)).to_numpy()
    said = {0: True, 3: False, 8: True}
    base = np.array([said.get(k, d_s1[k] <= 3000) for k in range(9)])
    assert ind["waste_system_coverage"]["baseline"] == pytest.approx(base.mean())
    assert v["waste_baseline_covered"].tolist() == base.tolist()
    # farms: utilisation weighted by pig equivalents over farms with a rate (F1, F2)
    farms = plan.layers["livestock_farms"].set_index("id")
    pe = farms["pig_equivalents"]
    m = ind["manure_utilization_rate"]
    assert m["baseline"] == pytest.approx((0.9 * pe["F1"] + 0.5 * pe["F2"]) / (pe["F1"] + pe["F2"]))
    assert m["planned"] is None and m["target"] == 0.8
    # scale farms (first national pollution census thresholds): F1's 1,000 pigs are one,
    # F2's 50 dairy cows are not (F3's facility is unknown): 1 of 1 equipped
    assert farms["scale_farm"].to_dict() == {"F1": True, "F2": False, "F3": True}
    f = ind["manure_facility_rate"]
    assert f["baseline"] == pytest.approx(1.0) and f["farms_to_equip"] == []
    # the township table: one row per township and the total, two columns per indicator
    tab = plan.tables["indicators"]
    assert tab["township"].tolist() == ["乙镇", "甲镇", "total"]
    assert tab.loc[2, "sewage_treatment_rate.baseline"] == pytest.approx(4 / 9)
    fac = plan.tables["existing_facilities"].set_index("id")
    assert fac.loc["VS1", "rectify"] and fac.loc["VS1", "villages_served"] == 1
    assert fac.loc["P1", "villages_served"] == 1 and not fac.loc["P1", "rectify"]


def test_marking_a_village_treated_never_lowers_an_indicator():
    base = run(district()).summary["indicators"]
    for k in (3, 5, 6):
        status = list(STATUS)
        status[k] = "household"
        more = run(district(status=status)).summary["indicators"]
        for ind, e in base.items():
            for when in ("baseline", "planned"):
                for basis, blk in e["by_basis"].items():
                    a, b = blk[when], more[ind]["by_basis"][basis][when]
                    if a is not None:
                        assert b is not None and b >= a - 1e-12, (k, ind, basis, when)


def test_stopping_a_plant_never_raises_the_operating_rate():
    running = run(district()).summary["indicators"]["facility_operating_rate"]
    stopped = run(district(plant_status="stopped")).summary["indicators"]["facility_operating_rate"]
    assert stopped["baseline"] <= running["baseline"]
    assert stopped["baseline"] == pytest.approx(1 / 4)


def test_no_baseline_columns_no_indicator_outputs():
    d = district()
    v = d.villages.drop(columns=["sewage_status", "sanitary_toilet_households"])
    plants = d.sewage_plants.drop(columns=["status"])
    d = replace(d, villages=v, sewage_plants=plants, transfer_stations=d.transfer_stations.drop(columns=["status"]),
                livestock_farms=d.livestock_farms.drop(columns=["manure_facility", "utilization_rate"]))
    plan = run(d)
    assert "indicators" not in plan.summary and "indicators" not in plan.tables
    assert "rectify" not in plan.villages.columns


# --------------------------------------------------------------------------------------
# [targets]
# --------------------------------------------------------------------------------------
def test_targets_defaults_province_and_project_values():
    t = defaults("targets")
    assert target_of("sewage_treatment_rate", t)[:2] == (0.4, 2025)
    assert target_of("sanitary_toilet_rate", t)[0] is None
    assert target_of("sewage_treatment_rate", {**t, "province": "44"})[0] == 0.6
    own = {**t, "province": "44", "sewage_treatment_rate": 0.7, "_given": ["sewage_treatment_rate"]}
    assert target_of("sewage_treatment_rate", own) == (0.7, 2025, "project file [targets]")


def test_targets_in_the_project_file(tmp_path):
    from builders import write_project

    proj = write_project(tmp_path, extra='[targets]\nprovince = "44"\nsanitary_toilet_rate = 0.9\n')
    d = ge.load_project(proj)
    assert target_of("sanitary_toilet_rate", d.params["targets"])[0] == 0.9
    assert target_of("sewage_treatment_rate", d.params["targets"])[0] == 0.6
    bad = write_project(tmp_path / "b", extra="[targets]\nsewage_treatment_rate = 40\n")
    with pytest.raises(ParameterError):
        ge.load_project(bad)
    typo = write_project(tmp_path / "c", extra="[targets]\nsewage_rate = 0.5\n")
    with pytest.raises(ProjectFileError, match="(?i)did you mean 'sewage_treatment_rate'"):
        ge.load_project(typo)


def test_summary_json_carries_every_indicator(tmp_path):
    plan = run(district())
    plan.save(tmp_path / "out")
    s = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert list(s["indicators"]) == list(INDICATORS)
    for e in s["indicators"].values():
        assert {"baseline", "planned", "target", "target_year", "unit", "basis", "by_township"} <= set(e)
        assert e["unit"] == "share"
    assert "by_households" in s["indicators"]["sewage_treatment_rate"]
    assert pd.Series(s["indicators"]["sewage_treatment_rate"]["by_township"]).index.tolist() == ["乙镇", "甲镇"]


def test_a_stopped_plant_takes_no_new_villages():
    # village 3 lies next to VS1 (stopped, 20 m³/d empty): it must not connect there
    plan = run(district(status=[None] * 9))
    v = plan.villages
    assert not (v["sewage_plant_id"] == "VS1").any()
    spare = plan.layers["sewage_plants"].set_index("id")
    assert spare.loc["VS1", "connected_villages"] == 0


def test_a_garbled_status_word_points_at_the_encoding(tmp_path):
    # Big5 bytes of 村級集中 read as GBK come out as kana and rare characters (make stress)
    p = _csv(tmp_path, "V1,甲村,117.5,28.4,100,260,ゼ獀瞶,80,是\n")
    with pytest.raises(DataValueError, match=r"(?s)unknown sewage status.*garbled.*encoding = \"big5\""):
        _read(p)


def test_households_to_convert_count_todays_households_under_growth():
    # the design flows grow to the horizon year; the toilets still to build are today's
    v = run(district(status=[None] * 9).with_params("sewage", population_growth_rate=0.05)).villages
    hh = 40 * (np.arange(9) + 1)
    known = np.isfinite(np.array(TOILETS))
    assert v["toilet_households_to_convert"].to_numpy()[known] == pytest.approx(hh[known] - np.array(TOILETS)[known])
    assert (v["population_horizon"] > v["population"]).all()
