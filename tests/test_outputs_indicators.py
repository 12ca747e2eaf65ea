"""The outputs of the status baseline (issue 13): the indicators and existing-facilities
sheets of report.xlsx, the map's baseline theme, facility statuses and indicator panel,
and indicators.png.

The analysis is not run here: a hand-made Plan (tests/_plans.py) gets the tables, summary
entries and columns of the contract injected by :func:`with_baseline`, with numbers whose
right answers are read off by hand below.
"""

from __future__ import annotations

import html as htmllib
import json
import re

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from geo_env._choices import INDICATORS
from geo_env.labels import label
from geo_env.outputs import figures, maps, report
from geo_env.outputs.html import esc
from geo_env.outputs.style import BELOW_TARGET_FILL, FACILITY_STATUS, RECTIFY_FILL, SEWAGE_BASELINE, excel_rgb

from _plans import CRS, X0, Y0, make_plan

NAN = float("nan")
HOSTILE = "<img src=x onerror=alert(1)>"

#: Per indicator: baseline and planned of 乙镇, 甲镇, total; target; target year.
VALUES = {
    "sewage_treatment_rate": ([0.5, 0.25, 1 / 3], [0.9, 1.0, 0.95], 0.9, 2025),
    "waste_system_coverage": ([1.0, 0.5, 2 / 3], [1.0, 1.0, 1.0], 0.9, 2025),
    "sanitary_toilet_rate": ([NAN, 0.8, 0.8], [NAN, 0.95, 0.95], 0.85, 2025),
    "manure_utilization_rate": ([0.7, 0.85, 0.78], [0.8, 0.9, 0.85], 0.8, 2025),
    "manure_facility_rate": ([1.0, 0.5, 2 / 3], [1.0, 1.0, 1.0], 0.95, 2025),
    "facility_operating_rate": ([0.5, 1.0, 0.75], [1.0, 1.0, 1.0], None, None),
}
#: Cells of the 考核指标 sheet below their target (rows 3 乙镇, 4 甲镇, 5 合计; two columns
#: per indicator from B): by hand from VALUES (equal to the target is not below it).
BELOW = {"B3", "B4", "B5",  # sewage baseline, target 90%
         "D4", "D5",        # waste baseline 50%, 66.7%
         "F4", "F5",        # toilets baseline 80% < 85% (乙镇 not assessed)
         "H3", "H5",        # manure use 70%, 78% < 80%
         "J4", "J5"}        # manure facilities 50%, 66.7% < 95%


def with_baseline(plan=None, *, town: str = "乙镇"):
    """``plan`` (default :func:`make_plan`) with the status baseline injected as the
    contract says; township 乙镇 renamed ``town`` everywhere."""
    plan = plan if plan is not None else make_plan()
    v = plan.villages
    v["township"] = v["township"].replace("乙镇", town)
    # villages k = 3j + i; 乙镇 = column 2 (villages 2, 5, 8)
    v["sewage_status"] = ["none", "connected", "centralized", "household", None, "none",
                          "centralized", "cluster", "none"]
    v["sewage_baseline_treated"] = [False, True, True, True, False, False, False, True, False]
    v["sewage_facility_status"] = [None, "running", "running", None, None, None, "stopped", None, None]
    v["rectify"] = [False] * 6 + [True, False, False]
    v["sanitary_toilet_households"] = np.nan
    v["toilet_households_to_convert"] = np.nan
    towns = sorted([town, "甲镇"]) + ["total"]
    assert towns[:2] == ([town, "甲镇"] if town == "乙镇" else sorted([town, "甲镇"]))
    order = [0, 1] if towns[0] == town else [1, 0]  # VALUES rows are 乙镇, 甲镇
    cols: dict[str, list] = {"township": towns}
    for ind, (base, planned, _, _) in VALUES.items():
        cols[f"{ind}.baseline"] = [base[order[0]], base[order[1]], base[2]]
        cols[f"{ind}.planned"] = [planned[order[0]], planned[order[1]], planned[2]]
    plan.tables["indicators"] = pd.DataFrame(cols)
    plan.summary["indicators"] = {
        ind: {"label": label(ind), "baseline": base[2], "planned": planned[2], "target": target,
              "target_year": year, "target_source": f"{ind} 目标依据", "unit": "share",
              "definition": f"{label(ind)}的定义", "definition_en": f"definition of {ind}",
              "not_assessed": "缺少卫生厕所户数" if ind == "sanitary_toilet_rate" else None}
        for ind, (base, planned, target, year) in VALUES.items()}
    plants = pd.concat([plan.layers["sewage_plants"], gpd.GeoDataFrame(
        {"id": ["P2"], "name": ["二号站"], "capacity_m3_per_day": [50.0], "load_m3_per_day": [0.0]},
        geometry=[shapely.Point(X0 + 500, Y0 + 2500)], crs=CRS)], ignore_index=True)
    plants["status"] = ["running", "stopped"]
    plan.layers["sewage_plants"] = gpd.GeoDataFrame(plants, crs=CRS)
    stations = plan.district.transfer_stations.copy()
    stations["status"] = ["building"]
    plan.district.transfer_stations = stations
    plan.tables["existing_facilities"] = pd.DataFrame({
        "facility": ["sewage_plant", "sewage_plant", "transfer_station"],
        "id": ["P1", "P2", "S1"], "name": ["城镇污水厂", "二号站", "一号转运站"],
        "type": ["城镇污水处理厂", "=村级处理站", None], "status": ["running", "stopped", "building"],
        "township": [town, "甲镇", "甲镇"], "year_built": [2010.0, 2016.0, NAN],
        "capacity": [500.0, 50.0, NAN], "load": [300.0, 0.0, NAN], "spare": [200.0, 50.0, NAN],
        "villages_served": [3, 1, 0], "rectify": [False, True, False]})
    return plan


# --------------------------------------------------------------------------------------
# report.xlsx
# --------------------------------------------------------------------------------------
def test_sheets_follow_the_summary_in_order(tmp_path):
    wb = openpyxl.load_workbook(report.write_report(with_baseline(), tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["乡镇督查考核汇总", "考核指标", "现状设施", "行政村明细", "规划新增转运站",
                             "畜禽养殖场核查", "参数及依据"]
    plan = with_baseline()
    plan.summary["warnings"] = ["a warning"]
    wb = openpyxl.load_workbook(report.write_report(plan, tmp_path / "w.xlsx", lang="en"))
    assert wb.sheetnames[:5] == ["Township summary", "Data warnings", "Indicators", "Existing facilities",
                                 "Villages"]


def test_indicator_sheet_values_targets_and_red_cells(tmp_path):
    wb = openpyxl.load_workbook(report.write_report(with_baseline(), tmp_path / "r.xlsx"))
    ws = wb["考核指标"]
    head = [c.value for c in ws[1]]
    assert head[0] == "乡镇（街道）"
    assert head[1:] == [f"{label(i)}·{p}" for i in INDICATORS for p in ("现状", "规划")]
    assert [ws.cell(row=r, column=1).value for r in range(2, 6)] == ["目标（2025年）", "乙镇", "甲镇", "合计"]
    # targets: one per indicator over its two columns; none for the operating rate
    assert [ws.cell(row=2, column=c).value for c in range(2, 14, 2)] == [0.9, 0.9, 0.85, 0.8, 0.95, "—"]
    assert "B2:C2" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["B2"].number_format == "0.0%"
    # values as shares with a % format; not assessed as text
    assert ws["B4"].value == 0.25 and ws["B4"].number_format == "0.0%"
    assert ws["C3"].value == 0.9 and ws["D5"].value == pytest.approx(2 / 3)
    assert ws["F3"].value == "未评估" and ws["G3"].value == "未评估" and ws["F3"].data_type == "s"
    red = {c.coordinate for row in ws.iter_rows(min_row=1, max_row=5) for c in row
           if c.fill.fill_type == "solid" and c.fill.fgColor.rgb.endswith(excel_rgb(BELOW_TARGET_FILL))}
    assert red == BELOW
    assert ws["A5"].font.bold and ws.freeze_panes == "B3"
    # one note per indicator under the table: definition and target source
    notes = [ws.cell(row=r, column=1).value for r in range(7, 13)]
    assert notes[0] == "农村生活污水治理率：农村生活污水治理率的定义（目标依据：sewage_treatment_rate 目标依据）"
    assert "未评估：缺少卫生厕所户数" in notes[2]
    assert ws.cell(row=13, column=1).value is None


def test_indicator_sheet_in_english_and_with_different_target_years(tmp_path):
    plan = with_baseline()
    plan.summary["indicators"]["manure_utilization_rate"]["target_year"] = 2027
    wb = openpyxl.load_workbook(report.write_report(plan, tmp_path / "r.xlsx", lang="en"))
    ws = wb["Indicators"]
    assert ws["A2"].value == "Target"  # the years differ: each target cell names its own
    assert ws["B2"].number_format == '0.0%" (2025)"' and ws["H2"].number_format == '0.0%" (2027)"'
    assert ws["B1"].value == "Rural sewage treatment rate·Baseline" and ws["A5"].value == "Total"
    assert ws["F3"].value == "not assessed"
    assert ws["A7"].value.startswith("Rural sewage treatment rate: definition of sewage_treatment_rate")
    plan.summary["indicators"]["manure_utilization_rate"]["target_year"] = 2025
    ws = openpyxl.load_workbook(report.write_report(plan, tmp_path / "r2.xlsx", lang="en"))["Indicators"]
    assert ws["A2"].value == "Target (2025)"


def test_existing_facilities_sheet_labels_statuses_and_highlights_rectify(tmp_path):
    wb = openpyxl.load_workbook(report.write_report(with_baseline(), tmp_path / "r.xlsx"))
    ws = wb["现状设施"]
    head = [c.value for c in ws[1]]
    status, facility = head.index("状态"), head.index("设施类别")
    assert [ws.cell(row=r, column=status + 1).value for r in (2, 3, 4)] == ["运行", "停运（闲置）", "在建"]
    assert [ws.cell(row=r, column=facility + 1).value for r in (2, 3, 4)] == ["污水处理设施", "污水处理设施",
                                                                             "垃圾转运站"]
    filled = {r for r in (2, 3, 4)
              if all(c.fill.fill_type == "solid" and c.fill.fgColor.rgb.endswith(excel_rgb(RECTIFY_FILL))
                     for c in ws[r])}
    assert filled == {3}  # P2, stopped
    year = head.index("建成年份") + 1
    assert ws.cell(row=2, column=year).value == 2010 and ws.cell(row=2, column=year).number_format == "0"
    typ = ws.cell(row=3, column=head.index("类型") + 1)
    assert typ.value == "=村级处理站" and typ.data_type == "s"  # text, never a formula


def test_report_tables_are_not_written_twice():
    sheets = report.report_sheets(with_baseline())
    assert list(sheets)[:3] == ["township_summary", "indicators", "existing_facilities"]
    assert len(sheets) == len(set(sheets))


def test_a_plan_without_the_baseline_keeps_its_sheets_layers_and_figures(tmp_path):
    plan = make_plan()
    wb = openpyxl.load_workbook(report.write_report(plan, tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["乡镇督查考核汇总", "行政村明细", "规划新增转运站", "畜禽养殖场核查", "参数及依据"]
    data = _data(maps.map_html(maps.plan_map(plan)))
    assert "villages_indicators" not in data["tables"]
    assert all("panel" not in s for s in data["layers"])
    assert "villages_sewage_baseline" not in {s["key"] for s in data["layers"]}
    assert layer(data, "sewage_plants")["cls"] is None
    assert len(figures.indicator_values(plan)) == 0
    assert not figures.FIGURES["indicators.png"][1](plan)


# --------------------------------------------------------------------------------------
# the map
# --------------------------------------------------------------------------------------
def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="geo-env-data">(.*?)</script>', page, re.S)
    assert m
    return json.loads(m.group(1))


def layer(data: dict, key: str) -> dict:
    return next(s for s in data["layers"] if s["key"] == key)


def test_map_has_the_baseline_theme_with_its_classes():
    data = _data(maps.map_html(maps.plan_map(with_baseline())))
    keys = [s["key"] for s in data["layers"]]
    assert keys.index("villages_sewage_baseline") == keys.index("villages_sewage") + 1
    base = layer(data, "villages_sewage_baseline")
    assert base["show"] is False and base["name"] == "现状污水治理"
    # by hand: 1 connected, 2 centralized, 3 household, 7 cluster treated; 0, 5, 8 untreated;
    # 4 untreated with a blank status: unknown; 6 tied to a stopped facility: rectify
    assert base["cls"] == [1, 0, 0, 0, 3, 1, 2, 0, 1]
    assert [e["label"] for e in base["legend"]] == ["现状已治理", "现状未治理", "设施停运，需整改", "现状不详"]
    assert [e["fill"] for e in base["legend"]] == [SEWAGE_BASELINE.colors[c] for c in SEWAGE_BASELINE.codes]


def test_map_outlines_plants_and_stations_by_status():
    data = _data(maps.map_html(maps.plan_map(with_baseline())))
    plants = layer(data, "sewage_plants")
    assert plants["cls"] == [0, 1]
    assert [s["color"] for s in plants["styles"]] == [FACILITY_STATUS.colors[c] for c in FACILITY_STATUS.codes]
    assert [(e["label"], e["color"]) for e in plants["legend"]] == [
        ("运行", FACILITY_STATUS.colors["running"]), ("停运（闲置）", FACILITY_STATUS.colors["stopped"])]
    stations = layer(data, "transfer_stations")
    assert stations["cls"] == [2] and [e["label"] for e in stations["legend"]] == ["在建"]
    fields = data["tables"]["sewage_plants"]
    status = next(f for f in fields if f["key"] == "status")
    assert status["label"] == "状态" and status["values"] == ["运行", "停运（闲置）"]
    assert [fields[i]["key"] for i in plants["tooltip"]][-1] == "status"


def test_village_popups_show_their_townships_indicators():
    data = _data(maps.map_html(maps.plan_map(with_baseline())))
    panel = data["tables"]["villages_indicators"]
    assert all(layer(data, k)["panel"] == "villages_indicators"
               for k in ("villages_waste", "villages_sewage", "villages_sewage_baseline"))
    assert panel["head"] == ["指标", "现状", "规划", "目标"]
    assert panel["names"] == ["乙镇", "甲镇", "合计"]
    # 甲镇 = columns 0–1 of the grid → row 1; 乙镇 = column 2 → row 0
    assert panel["codes"] == [1, 1, 0, 1, 1, 0, 1, 1, 0]
    jia = panel["rows"][1]
    assert jia[0] == ["农村生活污水治理率", "25.0%", "100.0%", "90.0%"]
    assert jia[5] == ["设施正常运行率", "100.0%", "100.0%", "—"]
    assert panel["rows"][0][2] == ["卫生厕所普及率", "—", "—", "85.0%"]


def test_a_hostile_township_name_is_escaped_in_the_panel():
    page = maps.map_html(maps.plan_map(with_baseline(town=HOSTILE)))
    assert HOSTILE not in page
    panel = _data(page)["tables"]["villages_indicators"]
    assert panel["names"][0] == esc(HOSTILE) == "&lt;img src=x onerror=alert(1)&gt;"
    assert htmllib.unescape(panel["names"][0]) == HOSTILE
    assert panel["codes"] == [1, 1, 0, 1, 1, 0, 1, 1, 0]
    assert panel["rows"][0][0] == ["农村生活污水治理率", "50.0%", "90.0%", "90.0%"]


@pytest.mark.browser
def test_the_panel_opens_in_a_real_popup_and_runs_nothing(tmp_path):
    from _browser import browser, open_page, skip_or_fail_without_browser

    skip_or_fail_without_browser()
    path = tmp_path / "map.html"
    maps.save_map(maps.plan_map(with_baseline(town=HOSTILE)), path)
    with browser() as b, open_page(b, path) as (page, log):
        html = page.evaluate("""() => {
            const s = geoEnv.specs.find(s => s.key === 'villages_waste');
            const d = document.createElement('div');
            d.innerHTML = geoEnv.popupHtml(s, 2);  /* village 2: the hostile township */
            document.body.appendChild(d);
            return d.innerText;
        }""")
        assert "所在乡镇考核指标 · " + HOSTILE in html
        assert "农村生活污水治理率" in html and "50.0%" in html and "未评估" not in html
        assert page.locator("img[src='x']").count() == 0
        assert log.dialogs == [] and log.page_errors == [] and log.console_errors == []


# --------------------------------------------------------------------------------------
# indicators.png
# --------------------------------------------------------------------------------------
def test_indicator_values_come_from_the_summary_else_the_total_row():
    plan = with_baseline()
    v = figures.indicator_values(plan)
    assert list(v.index) == list(INDICATORS)
    assert v.loc["sewage_treatment_rate"].tolist() == pytest.approx([1 / 3, 0.95, 0.9])
    assert np.isnan(v.loc["facility_operating_rate", "target"])
    del plan.summary["indicators"]
    v = figures.indicator_values(plan)
    assert v.loc["waste_system_coverage", "baseline"] == pytest.approx(2 / 3)
    assert v["target"].isna().all()


def test_indicators_png_is_written_when_indicators_are_present(tmp_path):
    figures.cjk_font()
    paths = figures.write_figures(with_baseline(), tmp_path, dpi=60)
    assert [p.name for p in paths] == ["waste_coverage.png", "sewage_modes.png", "livestock.png",
                                       "indicators.png"]
    png = (tmp_path / "indicators.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    plan = with_baseline()
    plan.summary["indicators"]["sanitary_toilet_rate"].update(baseline=None, planned=None)
    fig = figures.draw_figure(plan, "indicators.png", dpi=60)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [label(i) for i in INDICATORS]
    assert list(ax.get_yticks()) == [5, 4, 3, 2, 1, 0]  # the first indicator at the top
    # bar ends: baseline then planned per indicator (from the summary's district values)
    assert [t.get_text() for t in ax.texts] == [
        "33.3%", "66.7%", "未评估", "78.0%", "66.7%", "75.0%",
        "95.0%", "100.0%", "未评估", "85.0%", "100.0%", "100.0%",
        "90%", "90%", "85%", "80%", "95%"]  # then the targets over their marks
    # the target marks: five indicators have a target
    marks = ax.collections[-1].get_segments()
    assert [round(float(s[0][0]), 2) for s in marks] == [0.9, 0.9, 0.85, 0.8, 0.95]
    assert fig.get_suptitle() == "示例区" + label("figure.indicators")
    fig.savefig(tmp_path / "look.png", dpi=60)
