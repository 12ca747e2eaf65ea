"""Capex and O&M of the chosen sewage works (issue 17, item 1): the split by item adds up
to the yearly cost every mode is chosen by, and the hand-computable items are right."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import geo_env as ge
from geo_env._choices import SEWAGE_MODES
from geo_env.analysis.sewage import sewage_plan
from geo_env.analysis.sewage.costs import capital_recovery_factor, station_capital
from geo_env.analysis.sewage.money import ITEMS
from geo_env.standards import defaults
from test_sewage import district, plants, villages

P = defaults("sewage")


def chosen_cost(v: pd.DataFrame) -> np.ndarray:
    return np.nan_to_num(np.select([v.sewage_mode == m for m in SEWAGE_MODES],
                                   [v[f"cost_{m}_yuan_per_year"] for m in SEWAGE_MODES], np.nan))


def check_annualised(res) -> None:
    """Σ capex × the item's recovery factor + O&M = the chosen mode's yearly cost, per village."""
    v, det = res.villages, res.details
    assert det["annualised_yuan_per_year"].to_numpy() == pytest.approx(chosen_cost(v), rel=1e-9, abs=1e-6)
    capex = sum(det[f"capex_{k}_yuan"] for k in ITEMS) / 1e4
    om = sum(det[f"om_{k}_yuan_per_year"] for k in ITEMS) / 1e4
    assert v["capex_wan"].to_numpy() == pytest.approx(capex.to_numpy())
    assert v["om_wan_per_year"].to_numpy() == pytest.approx(om.to_numpy())
    inv = res.investment.set_index("township")
    assert inv.loc["total", "capex_wan"] == pytest.approx(v["capex_wan"].sum())
    assert res.summary["investment"]["om_wan_per_year"] == pytest.approx(v["om_wan_per_year"].sum(), abs=0.01)


def test_every_mode_splits_into_capex_and_om_that_annualise_to_its_cost():
    # two close villages too big for household systems share a station; one near a plant
    # connects; a small far one has household systems; a big far one its own station
    v = villages([(0, 0, 450, 170), (200, 0, 450, 170), (6000, 0, 300, 110), (20000, 0, 60, 23),
                  (30000, 0, 900, 340)])
    res = sewage_plan(district(v, plants([(6400, 0, 5000, 0)])))
    modes = res.villages.sewage_mode.tolist()
    assert modes == ["cluster", "cluster", "connect", "household", "centralized"]
    check_annualised(res)


def test_the_sample_district_splits_exactly():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sewage_plan(ge.sample_district())
    check_annualised(res)
    # existing works kept cost nothing new; repaired ones their repair only
    v = res.villages
    kept = (v.sewage_mode == "existing").to_numpy() & ~v["rectify"].fillna(False).to_numpy(bool)
    assert (v.loc[kept, "capex_wan"] == 0).all() and (v.loc[kept, "om_wan_per_year"] == 0).all()


def test_household_and_station_items_by_hand():
    v = villages([(20000, 0, 60, 23), (30000, 0, 900, 340)])
    res = sewage_plan(district(v))
    det = res.details
    assert det.loc[0, "capex_households_yuan"] == pytest.approx(23 * P["household_capex_yuan"])
    assert det.loc[0, "om_households_yuan_per_year"] == pytest.approx(23 * P["household_om_yuan_per_year"])
    q = res.villages.loc[1, "sewage_flow_m3_per_day"]
    k = int(det.loc[1, "village_stations"])
    assert det.loc[1, "capex_stations_yuan"] == pytest.approx(k * float(station_capital(q / k, P)))
    assert det.loc[1, "om_stations_yuan_per_year"] == pytest.approx(q * 365 * P["station_opex_yuan_per_m3"])
    # the pipes' O&M is their share of capital
    assert det.loc[1, "om_pipes_yuan_per_year"] == pytest.approx(det.loc[1, "capex_pipes_yuan"] * P["pipe_om_share"])
    crf = capital_recovery_factor(P["discount_rate"], P["household_life_years"])
    assert res.villages.loc[0, "cost_household_yuan_per_year"] == pytest.approx(
        det.loc[0, "capex_households_yuan"] * crf + det.loc[0, "om_households_yuan_per_year"])


def test_the_report_has_the_investment_sheet(tmp_path):
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = ge.analyze(ge.sample_district())
        plan.save(tmp_path / "out")
    wb = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")
    assert "投资估算" in wb.sheetnames
    head = [c.value for c in wb["投资估算"][1]]
    assert "总投资（万元）" in head and "年运行维护费（万元/年）" in head


def test_summary_json_has_the_investment_at_the_top(tmp_path):
    import json

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = ge.analyze(ge.sample_district())
        plan.save(tmp_path / "out")
    s = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    inv = s["investment"]
    assert inv == s["sewage"]["investment"]
    assert inv["capex_wan"] == pytest.approx(plan.villages["capex_wan"].sum(), abs=0.01)
    assert sum(t["capex_wan"] for t in inv["by_township"].values()) == pytest.approx(inv["capex_wan"], abs=0.1)
