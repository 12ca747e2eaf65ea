"""report.xlsx (sheets, headers, formats, numbers) and the whole output folder."""

from __future__ import annotations

import json
import re

import openpyxl
import pytest

from geo_env.errors import GeoEnvWarning
from geo_env.labels import label
from geo_env.outputs import report
from geo_env.plan import analyze
from geo_env.standards import PARAMETERS

from _plans import make_plan


def test_township_summary_numbers_by_hand():
    """Grid villages k = 3j + i, population 100(k+1); 甲镇 = columns 0–1, 乙镇 = column 2.
    Within 1500 m of S1: villages 0, 1, 3, 4 (all 甲镇); village 8 (乙镇) unreachable."""
    t = report.township_summary(make_plan()).set_index("township")
    assert t.loc["甲镇", "villages_count"] == 6 and t.loc["乙镇", "villages_count"] == 3
    assert t.loc["乙镇", "population"] == 300 + 600 + 900
    assert t.loc["甲镇", "covered_villages"] == 4
    assert t.loc["甲镇", "covered_population"] == 100 + 200 + 400 + 500
    assert t.loc["甲镇", "coverage_rate_villages"] == pytest.approx(4 / 6)
    assert t.loc["甲镇", "coverage_rate_population"] == pytest.approx(1200 / 2700)
    assert t.loc["乙镇", "unreachable_villages"] == 1
    assert t.loc["total", "coverage_rate_population"] == pytest.approx(1200 / 4500)
    # sewage modes per township: 甲镇 = villages 0,1,3,4,6,7
    assert t.loc["甲镇", ["villages_connect", "villages_centralized", "villages_cluster",
                         "villages_household"]].tolist() == [1, 1, 2, 2]
    assert t.loc["乙镇", ["villages_connect", "villages_centralized", "villages_cluster",
                         "villages_household"]].tolist() == [3, 0, 0, 0]
    # farms: F1 in village 2 (乙镇), F2 in village 4 (甲镇), F3 outside, nearest village 5 (乙镇)
    assert t.loc["乙镇", "farms"] == 2 and t.loc["甲镇", "farms"] == 1
    assert t.loc["乙镇", "farms_with_issues"] == 1 and t.loc["甲镇", "farms_with_issues"] == 1
    assert t.loc["total", "pig_equivalents"] == pytest.approx(1666.6)


def test_summary_of_a_plan_without_analyses_has_the_base_columns_only():
    t = report.township_summary(make_plan(analyses=False))
    assert list(t.columns) == ["township", "villages_count", "population", "households"]
    assert t["township"].tolist() == ["乙镇", "甲镇", "total"]


def test_workbook_sheets_headers_and_formats(tmp_path):
    path = report.write_report(make_plan(), tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["乡镇督查考核汇总", "行政村明细", "规划新增转运站", "畜禽养殖场核查", "参数及依据"]
    ws = wb["乡镇督查考核汇总"]
    head = [c.value for c in ws[1]]
    codes = ["township", "villages_count", "population", "households"]
    assert head[:4] == [label(c, "zh") for c in codes]
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in head)  # every header in Chinese
    assert ws.freeze_panes == "A2"
    col = head.index(label("coverage_rate_population", "zh")) + 1
    assert ws.cell(row=4, column=1).value == "合计"
    rate = ws.cell(row=4, column=col)
    assert rate.value == pytest.approx(1200 / 4500) and rate.number_format == "0.0%"
    assert ws.column_dimensions["A"].width >= 8
    v = wb["行政村明细"]
    vhead = [c.value for c in v[1]]
    assert vhead[:3] == ["编号", "名称", "乡镇（街道）"] and "定位点X（米）" not in vhead
    modes = [r[vhead.index(label("sewage_mode"))].value for r in v.iter_rows(min_row=2)]
    assert modes[1] == label("sewage_mode.connect") and modes[1] != "connect"
    covered = [r[vhead.index(label("waste_covered"))].value for r in v.iter_rows(min_row=2)]
    assert covered[:3] == ["是", "是", "否"]
    farms = wb["畜禽养殖场核查"]
    fhead = [c.value for c in farms[1]]
    assert "经度（WGS84）" in fhead and "纬度（WGS84）" in fhead


def test_sheets_appear_for_the_analyses_present(tmp_path):
    path = report.write_report(make_plan(analyses=False), tmp_path / "r.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == ["乡镇督查考核汇总", "行政村明细", "参数及依据"]


def test_parameters_sheet_lists_every_parameter_with_its_source(tmp_path):
    plan = make_plan()
    path = report.write_report(plan, tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(path)["参数及依据"]
    rows = {(r[0].value, r[1].value): r for r in ws.iter_rows(min_row=2)}
    expected = {(s, k) for s, vals in plan.district.params.items() for k in vals}
    assert set(rows) == expected
    for (section, name), row in rows.items():
        p = PARAMETERS.get((section, name))
        assert row[6].value == (p.source if p else "project file")
    assert rows[("waste", "service_radius_m")][3].value == 3000


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    plan = make_plan()
    plan.villages.loc[0, "name"] = '=HYPERLINK("http://x","y")'
    path = report.write_report(plan, tmp_path / "r.xlsx")
    cell = openpyxl.load_workbook(path)["行政村明细"]["B2"]
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"
    assert cell.quotePrefix  # Excel keeps it text even after the user edits the cell
    assert not openpyxl.load_workbook(path)["行政村明细"]["B3"].quotePrefix


def test_english_headers(tmp_path):
    path = report.write_report(make_plan(), tmp_path / "r.xlsx", lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Township summary"
    assert wb["Township summary"]["A1"].value == "Township"
    assert wb["Township summary"]["A4"].value == "Total"


def test_plan_save_writes_the_whole_pack_and_keeps_summary_keys(tmp_path):
    plan = make_plan()
    with pytest.warns(GeoEnvWarning, match="balance is not assessed"):  # the plan has no farmland
        base = analyze(plan.district)  # the foundation's summary keys
    plan.summary = base.summary
    files = plan.save(tmp_path, progress=lambda m: None)
    names = sorted(str(f.relative_to(tmp_path)) for f in files)
    assert names == ["figures/livestock.png", "figures/sewage_modes.png", "figures/waste_chain.png",
                     "figures/waste_coverage.png", "plan.gpkg", "plan_map.html", "report.xlsx",
                     "summary.json"]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert set(base.summary) <= set(summary)
    assert not [f for f in tmp_path.rglob(".*")]  # no temporary files left behind


def test_proposed_stations_sheet_is_there_even_when_none_are_needed(tmp_path):
    plan = make_plan()
    plan.layers["proposed_transfer_stations"] = plan.layers["proposed_transfer_stations"].iloc[:0]
    wb = openpyxl.load_workbook(report.write_report(plan, tmp_path / "r.xlsx"))
    ws = wb["规划新增转运站"]
    assert ws.max_row == 1 and ws["A1"].value == "编号"


def test_plan_repr_is_one_line():
    text = repr(make_plan())
    assert text.startswith("Plan(") and "\n" not in text and "villages=9" in text


def test_counts_are_numbers_and_codes_are_labels(tmp_path):
    """Counts come out of object arrays as Python ints: they must stay numbers (Excel's SUM
    skips text); coded values (toilets, limiting nutrient) are shown by their labels."""
    plan = make_plan()
    path = report.write_report(plan, tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["乡镇督查考核汇总"]
    head = [c.value for c in ws[1]]
    col = head.index(label("villages_count", "zh")) + 1
    counts = [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]
    assert all(c.data_type == "n" and isinstance(c.value, int) for c in counts)
    assert counts[-1].value == sum(c.value for c in counts[:-1]) == len(plan.villages)
    assert counts[-1].number_format == "#,##0"
    v = wb["行政村明细"]
    vhead = [c.value for c in v[1]]
    j = vhead.index(label("toilet_suggestion", "zh"))
    shown = {r[j].value for r in v.iter_rows(min_row=2)} - {None}
    assert shown and not shown & {"flush", "septic_tank", "dry", "not_needed"}
    assert all(not t.isascii() for t in shown)  # labels in Chinese, not the codes


def test_warnings_get_a_red_sheet_and_a_red_note_under_the_summary(tmp_path):
    plan = make_plan()
    plan.summary["warnings"] = ["villages.shp: population missing for 1 village(s) (V3)", "dem.tif: flat"]
    path = report.write_report(plan, tmp_path / "r.xlsx", lang="zh")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["乡镇督查考核汇总", "数据警告"]
    ws = wb["数据警告"]
    assert [c.value for c in ws["A"]] == ["警告（请核查）", *plan.summary["warnings"]]
    assert ws["A2"].font.color.rgb.endswith("C00000")
    summary = wb["乡镇督查考核汇总"]
    note = summary.cell(row=summary.max_row, column=1)
    assert "2 条警告" in note.value and "数据警告" in note.value and note.font.color.rgb.endswith("C00000")
    # without warnings: neither
    plan.summary["warnings"] = []
    wb = openpyxl.load_workbook(report.write_report(plan, tmp_path / "r2.xlsx", lang="zh"))
    assert "数据警告" not in wb.sheetnames
    assert all("警告" not in str(c.value) for row in wb["乡镇督查考核汇总"].iter_rows() for c in row)


def test_unreachable_villages_agree_with_the_coverage_analysis():
    """A district without transfer stations has no distances, but no village is
    "unreachable" there (the coverage analysis and summary.json say 0; the report counted
    every village with a missing distance)."""
    from dataclasses import replace

    import geo_env as ge

    d = replace(ge.sample_district(), transfer_stations=None, livestock_farms=None, sewage_plants=None)
    plan = analyze(d.with_params("waste", metric="road"))
    t = report.township_summary(plan).set_index("township")
    assert plan.summary["waste"]["unreachable_villages"] == 0
    assert t.loc["total", "unreachable_villages"] == 0
    assert plan.villages["station_distance_m"].isna().all()
