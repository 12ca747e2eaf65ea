"""Scenarios (issue 17, item 6): ``ge.compare(plan_a, plan_b)`` and ``geo-env compare``.

The right answers come from outside the comparison: a plain loop over the two plans'
village tables (what changed, village by village), the sewage analysis' own summary
(capex, O&M, yearly cost), pandas group sums (townships), the phased programme's summary
(the rate after each phase), and two metamorphic relations (a plan compared with itself
changes nothing; swapping A and B negates every difference).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

import geo_env as ge
from geo_env import cli
from geo_env._choices import SEWAGE_MODES
from geo_env.comparison import COMPARE_FILES, Comparison
from geo_env.errors import CRSError, DataValueError, GeoEnvError, OutputError, ParameterError
from geo_env.labels import label
from geo_env.outputs.compare_map import compare_map
from geo_env.outputs.html import esc

from _browser import browser, open_page, skip_or_fail_without_browser
from _plans import PAYLOADS, make_plan
from builders import file_digests

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
PHASES = [{"name": "近期", "end_year": 2027, "budget_wan": 5000.0},
          {"name": "远期", "end_year": 2035, "budget_wan": 20000.0}]


# --------------------------------------------------------------------------------------
# fixtures: the sample district and its variants
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def district():
    return ge.sample_district()


@pytest.fixture(scope="module")
def base(district):
    return ge.analyze(district)


@pytest.fixture(scope="module")
def cheap_pipes(district):
    """Variant: sewers at 150 yuan/m instead of 400 (shared stations become cheaper)."""
    return ge.analyze(district.with_params("sewage", sewer_cost_yuan_per_m=150))


@pytest.fixture(scope="module")
def moved_plant(district):
    """Variant: the city plant WS01 moved 3 km west and 2 km south."""
    p = district.sewage_plants.copy()
    at = p["id"] == "WS01"
    p.loc[at, "geometry"] = shapely.affinity.translate(p.loc[at, "geometry"].iloc[0], xoff=-3000, yoff=-2000)
    return ge.analyze(replace(district, sewage_plants=p))


@pytest.fixture(scope="module")
def phased(district):
    """(A, B): the same plan in two phases, B with a larger first-phase budget."""
    bigger = [dict(PHASES[0], budget_wan=9000.0), PHASES[1]]
    return (ge.analyze(district.with_params("phasing", phases=PHASES)),
            ge.analyze(district.with_params("phasing", phases=bigger)))


@pytest.fixture(scope="module")
def cmp(base, cheap_pipes):
    return ge.compare(base, cheap_pipes, names=("基准", "管网降价"))


# --------------------------------------------------------------------------------------
# the oracle: a plain loop over both village tables
# --------------------------------------------------------------------------------------
def _value(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else x


def expected_changes(a: ge.Plan, b: ge.Plan) -> dict[str, set[str]]:
    """id → what changed, by a loop over the villages (cluster partners by membership)."""
    phased = "phase" in a.villages.columns or "phase" in b.villages.columns

    def rows(plan):
        members = defaultdict(set)
        table = {}
        for r in plan.villages.to_dict(orient="records"):
            table[str(r["id"])] = r
            if _value(r.get("sewage_cluster_id")) is not None:
                members[r["sewage_cluster_id"]].add(str(r["id"]))
        for r in table.values():
            cid = _value(r.get("sewage_cluster_id"))
            r["_partners"] = None if cid is None else frozenset(members[cid])
        return table

    ta, tb = rows(a), rows(b)
    out = {}
    for vid in set(ta) | set(tb):
        if vid not in tb:
            out[vid] = {"only_in_a"}
            continue
        if vid not in ta:
            out[vid] = {"only_in_b"}
            continue
        ra, rb = ta[vid], tb[vid]
        got = set()
        for col, code in (("sewage_mode", "mode"), ("sewage_plant_id", "plant"), ("_partners", "cluster")):
            if _value(ra.get(col)) != _value(rb.get(col)):
                got.add(code)
        if phased and _value(ra.get("phase")) != _value(rb.get("phase")):
            got.add("phase")
        if got:
            out[vid] = got
    return out


def found_changes(c: Comparison) -> dict[str, set[str]]:
    return {str(r.id): set(r.change.split(",")) for r in c.villages.itertuples()}


# --------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["cheap_pipes", "moved_plant"])
def test_changed_villages_are_those_a_plain_loop_finds(request, base, variant):
    other = request.getfixturevalue(variant)
    c = ge.compare(base, other)
    expected = expected_changes(base, other)
    assert expected, "the variant changes some decisions"
    assert found_changes(c) == expected
    # each row carries both plans' own figures, as the plans have them
    va = base.villages.set_index(base.villages["id"].astype(str))
    vb = other.villages.set_index(other.villages["id"].astype(str))
    for r in c.villages.itertuples():
        assert (r.mode_a, r.mode_b) == (va.at[r.id, "sewage_mode"], vb.at[r.id, "sewage_mode"])
        assert (r.reason_a, r.reason_b) == (va.at[r.id, "sewage_reason"], vb.at[r.id, "sewage_reason"])
        assert r.capex_wan_a == va.at[r.id, "capex_wan"] and r.capex_wan_b == vb.at[r.id, "capex_wan"]
        assert r.om_wan_per_year_b == vb.at[r.id, "om_wan_per_year"]
    assert c.summary["villages"]["changed"] == len(expected)
    assert c.summary["villages"]["changed_ids"] == c.villages["id"].tolist()


def test_cheaper_sewers_turn_villages_to_sewered_modes(cmp, base, cheap_pipes):
    """Metamorphic: cheaper sewers only make the modes that lay sewers (connect, cluster)
    cheaper, so every changed village ends in one of them and no stand-alone mode gains
    villages; the counts come from the plans themselves, read with pandas."""
    changes = found_changes(cmp)
    assert changes and all(v & {"mode", "cluster", "plant"} for v in changes.values())
    assert set(cmp.villages["mode_b"]) <= {"connect", "cluster"}
    count_a = base.villages["sewage_mode"].value_counts()
    count_b = cheap_pipes.villages["sewage_mode"].value_counts()
    for mode in ("centralized", "household"):
        assert count_b.get(mode, 0) <= count_a.get(mode, 0)
    moved = cmp.villages.groupby(["mode_a", "mode_b"]).size()
    assert cmp.summary["mode_changes"] == [{"from": a, "to": b, "villages": int(n)} for (a, b), n in moved.items()
                                           if a != b]


def test_moved_plant_changes_which_villages_connect(moved_plant, base):
    c = ge.compare(base, moved_plant)
    codes = c.summary["villages"]["by_change"]
    assert codes["plant"] > 0 and codes["mode"] > 0
    # every village whose plant changed gained or lost its connection to WS01
    plant = c.villages[c.villages["change"].str.contains("plant")]
    assert ((plant["mode_a"] == "connect") != (plant["mode_b"] == "connect")).all()


def test_totals_agree_with_each_plans_own_summary(cmp, base, cheap_pipes):
    t = cmp.totals
    for col, plan in (("a", base), ("b", cheap_pipes)):
        s = plan.summary["sewage"]
        assert t.at["capex_wan", col] == pytest.approx(s["investment"]["capex_wan"], abs=0.01)
        assert t.at["om_wan_per_year", col] == pytest.approx(s["investment"]["om_wan_per_year"], abs=0.01)
        # the yearly cost the modes were chosen by (summary rounded to the yuan)
        assert t.at["annual_cost_wan_per_year", col] == pytest.approx(s["cost_yuan_per_year"] / 1e4, abs=1e-3)
        counts = plan.villages["sewage_mode"].value_counts()
        for mode, n in counts.items():
            assert t.at[f"villages_{mode}", col] == n
        assert t.at["villages_count", col] == len(plan.villages)
    assert (t["delta"] == t["b"] - t["a"]).all()


def test_townships_sum_to_the_total_and_match_a_groupby(cmp, base, cheap_pipes):
    bt = cmp.by_township.set_index("township")
    body = bt.drop(index="total")
    assert np.allclose(body.sum().to_numpy(dtype=float), bt.loc["total"].to_numpy(dtype=float))
    for s, plan in (("a", base), ("b", cheap_pipes)):
        g = plan.villages.groupby("township")["capex_wan"].sum()
        assert np.allclose(body[f"capex_wan_{s}"].to_numpy(), g.reindex(body.index).to_numpy())
        modes = pd.crosstab(plan.villages["township"], plan.villages["sewage_mode"])
        for m in modes.columns:
            assert (body[f"villages_{m}_{s}"] == modes[m].reindex(body.index)).all()
    changed = cmp.villages.groupby("township").size()
    assert (body["villages_changed"] == changed.reindex(body.index).fillna(0)).all()


def test_a_plan_compared_with_itself_changes_nothing(base):
    c = ge.compare(base, base)
    assert len(c.villages) == 0 and c.summary["villages"]["changed"] == 0
    assert (c.totals["delta"] == 0).all()
    assert (c.indicators["rate_delta"].fillna(0) == 0).all()
    num = c.by_township.select_dtypes("number")
    assert (num[[col for col in num.columns if col.endswith("_delta")]] == 0).all().all()
    assert c.summary["mode_changes"] == []



def test_villages_of_unknown_population_are_no_mode_change(district):
    # their mode is unknown in both plans: pandas' None != None once listed them as
    # "not_assessed → not_assessed" in compare.json's mode_changes
    v = district.villages.copy()
    v.loc[v.index[:2], ["population", "households"]] = np.nan
    plan = ge.analyze(replace(district, villages=v))
    assert plan.villages["sewage_mode"].isna().sum() >= 2
    c = ge.compare(plan, plan)
    assert c.summary["mode_changes"] == [] and c.summary["villages"]["changed"] == 0

def test_swapping_a_and_b_negates_every_difference(base, cheap_pipes, cmp):
    back = ge.compare(cheap_pipes, base, names=("管网降价", "基准"))
    assert np.allclose(back.totals["delta"], -cmp.totals["delta"])
    assert found_changes(back) == found_changes(cmp)
    forward = cmp.villages.set_index("id")
    swapped = back.villages.set_index("id").loc[forward.index]
    assert (swapped["mode_a"] == forward["mode_b"]).all() and (swapped["reason_b"] == forward["reason_a"]).all()
    deltas = [c for c in cmp.by_township.columns if c.endswith("_delta")]
    assert np.allclose(back.by_township[deltas], -cmp.by_township[deltas])
    assert np.allclose(back.indicators["rate_delta"].fillna(0), -cmp.indicators["rate_delta"].fillna(0))


def test_phases_are_compared_phase_by_phase(phased):
    a, b = phased
    c = ge.compare(a, b, names=("近期5000万", "近期9000万"))
    assert found_changes(c) == expected_changes(a, b)
    assert c.summary["villages"]["by_change"]["phase"] > 0
    assert {"phase_a", "phase_b"} <= set(c.villages.columns)
    rate = c.indicators[c.indicators["indicator"] == "sewage_treatment_rate"]
    assert rate["stage"].tolist() == ["baseline", "phase", "phase", "final"]
    assert rate["phase"].tolist()[1:3] == ["近期", "远期"]
    for col, plan in (("rate_a", a), ("rate_b", b)):
        after = [p["indicators"]["sewage_treatment_rate"]["district"] for p in plan.summary["phases"]]
        assert rate[col].tolist()[1:3] == pytest.approx(after)
        assert rate[col].iloc[0] == pytest.approx(plan.summary["indicators"]["sewage_treatment_rate"]["baseline"])
    # metamorphic (issue 17): a larger first-phase budget never lowers the rate after it
    assert rate["rate_delta"].iloc[1] >= 0
    ph = c.phases.set_index("phase")
    assert ph.loc["近期", "budget_wan_b"] == 9000.0 and ph.loc["近期", "capex_wan_b"] <= 9000.0
    for s, plan in (("a", a), ("b", b)):
        assert ph[f"villages_count_{s}"].tolist() == [len(p["villages"]) for p in plan.summary["phases"]]
        assert ph[f"capex_wan_{s}"].tolist() == [p["capex_wan"] for p in plan.summary["phases"]]


def test_villages_only_in_one_plan_are_listed(base, district):
    fewer = ge.analyze(replace(district, villages=district.villages.iloc[1:]))
    gone = str(district.villages["id"].iloc[0])
    c = ge.compare(base, fewer)
    row = c.villages.set_index("id").loc[gone]
    assert row["change"] == "only_in_a" and row["mode_a"] == base.villages["sewage_mode"].iloc[0]
    assert pd.isna(row["mode_b"])
    assert c.summary["villages"]["only_in_a"] == [gone] and c.summary["villages"]["only_in_b"] == []
    assert c.totals.at["villages_count", "a"] - c.totals.at["villages_count", "b"] == 1
    back = ge.compare(fewer, base)
    assert back.summary["villages"]["only_in_b"] == [gone]
    assert back.villages.set_index("id").at[gone, "change"] == "only_in_b"


def _grid_plan(crs: str = "EPSG:4548", shift_m: float = 0.0) -> ge.Plan:
    plan = make_plan()
    if crs == "EPSG:4548" and not shift_m:
        return plan
    v = plan.villages.copy()
    v = v.set_geometry(v.geometry.translate(xoff=shift_m)).to_crs(crs)
    v["anchor_x"], v["anchor_y"] = v.geometry.centroid.x, v.geometry.centroid.y
    d = ge.District(name="另一区", crs=pyproj.CRS(crs), villages=v)
    return ge.Plan(district=d, villages=v, summary={})


@pytest.mark.parametrize("other, error, words", [
    (lambda: _grid_plan("EPSG:4547"), CRSError, ["EPSG:4548", "EPSG:4547", "same [project] crs"]),
    (lambda: _grid_plan(shift_m=50_000.0), DataValueError, ["50.0 km apart", "different districts"]),
])
def test_plans_of_another_district_are_refused(other, error, words):
    with pytest.raises(error) as info:
        ge.compare(make_plan(), other())
    for w in words:
        assert w in str(info.value)


def test_plans_that_share_no_village_are_refused(base):
    with pytest.raises(DataValueError, match="share no village id"):
        ge.compare(base, make_plan())


@pytest.mark.parametrize("kwargs, words", [
    ({"names": ("A", "A")}, "two different, non-empty names"),
    ({"names": ("A",)}, "two different"),
    ({"names": "AB"}, "two different"),
    ({"names": ("A", " ")}, "non-empty"),
])
def test_bad_names_are_parameter_errors(kwargs, words):
    with pytest.raises(ParameterError, match=words):
        ge.compare(make_plan(), make_plan(), **kwargs)


def test_a_non_plan_is_refused(district):
    with pytest.raises(ParameterError, match="plan_b is a District, not a Plan"):
        ge.compare(make_plan(), district)


# --------------------------------------------------------------------------------------
# the outputs
# --------------------------------------------------------------------------------------
def _hostile_pair(payload: str) -> tuple[ge.Plan, ge.Plan]:
    """Two grid plans whose every text is ``payload`` …; B changes villages 0 and 6."""
    a = make_plan(payload=payload or None)
    v = a.villages.copy()
    v.loc[[0, 6], "sewage_mode"] = ["centralized", "household"]
    v.loc[[0, 6], "sewage_reason"] = [f"{payload}B0", f"{payload}B6"]
    return a, replace(a, villages=v)


def test_workbook_sheets_headings_and_hostile_text(tmp_path, cmp):
    import openpyxl

    path = tmp_path / "cmp.xlsx"
    from geo_env.outputs.compare_report import write_compare_report

    write_compare_report(cmp, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["方案对比", "村庄差异", "分期对比", "乡镇对比"]
    head = [c.value for c in wb["村庄差异"][1]]
    assert head[:8] == ["编号", "名称", "乡镇（街道）", "变化内容", "基准：污水治理模式", "管网降价：污水治理模式",
                        "基准：治理模式理由", "管网降价：治理模式理由"]
    rows = list(wb["村庄差异"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(cmp.villages)
    assert [r[4] for r in rows] == [label(f"sewage_mode.{m}", "zh") for m in cmp.villages["mode_a"]]
    assert [r[5] for r in rows] == [label(f"sewage_mode.{m}", "zh") for m in cmp.villages["mode_b"]]
    assert rows[0][6] == cmp.villages["reason_a"].iloc[0] and rows[0][7] == cmp.villages["reason_b"].iloc[0]
    assert wb["村庄差异"]["A1"].fill.fgColor.rgb.endswith("DCE6F0")  # report.xlsx's header style
    totals = {r[0]: r[1:] for r in wb["方案对比"].iter_rows(min_row=2, values_only=True)}
    assert totals["总投资（万元）"] == pytest.approx(tuple(cmp.totals.loc["capex_wan"]))
    assert [c.value for c in wb["方案对比"][1]] == ["项目", "基准", "管网降价", "差值（管网降价−基准）"]
    assert wb["分期对比"]["C2"].number_format == "0.0%"
    assert list(wb["乡镇对比"].iter_rows(values_only=True))[-1][0] == "合计"
    # hostile names: stored as text, shown as typed, never a formula
    evil = '=HYPERLINK("http://x.invalid","点我")'
    a, b = _hostile_pair(evil)
    write_compare_report(ge.compare(a, b, names=("=1+1", "<b>B</b>")), path)
    ws = openpyxl.load_workbook(path)["村庄差异"]
    names = [ws.cell(row=r, column=2) for r in range(2, ws.max_row + 1)]
    assert [c.value for c in names] == [f"{evil}0", f"{evil}6"]
    assert all(c.data_type == "s" and c.quotePrefix for c in names)
    assert ws["E1"].value == "=1+1：污水治理模式" and ws["E1"].data_type == "s"
    heads = [c for c in openpyxl.load_workbook(path)["方案对比"][1]]
    assert heads[1].value == "=1+1" and heads[1].data_type == "s" and heads[1].quotePrefix


def test_phases_sheet_when_phased(tmp_path, phased):
    import openpyxl

    from geo_env.outputs.compare_report import write_compare_report

    path = write_compare_report(ge.compare(*phased), tmp_path / "p.xlsx", lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Totals", "Changed villages", "Indicators by phase", "By township", "Money by phase"]
    rows = list(wb["Money by phase"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Phase", "A: End year", "B: End year") and rows[1][:3] == ("近期", "2027", "2027")
    stages = [r[1] for r in wb["Indicators by phase"].iter_rows(min_row=2, max_row=5, values_only=True)]
    assert stages == ["Baseline", "近期", "远期", "End of plan"]


def test_summary_is_json_and_repr_html_escapes(cmp):
    text = json.dumps(cmp.summary, ensure_ascii=False, allow_nan=False)
    back = json.loads(text)
    assert back["names"] == ["基准", "管网降价"] and back["villages"]["changed"] == len(cmp.villages) > 0
    assert back["totals"]["capex_wan"]["delta"] == pytest.approx(cmp.totals.at["capex_wan", "delta"])
    a, b = _hostile_pair(PAYLOADS[0])
    html = ge.compare(a, b, names=(PAYLOADS[1], "B"))._repr_html_()
    assert "<img" not in html and "<script" not in html and "&lt;img" in html


def _data_block(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="geo-env-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(block)


def test_map_page_is_offline_and_holds_both_panels(cmp):
    html = compare_map(cmp).html
    assert not re.findall(r"<script[^>]*\bsrc=", html, re.I) and not re.findall(r"<link[^>]*>", html, re.I)
    assert not re.search(r"(jsdelivr|cdnjs|cloudflare|unpkg|rawgit|githack)", html, re.I)  # Leaflet.Sync's CDNs
    assert not re.findall(r"url\((?!data:|#)", html)  # CSS images are data: URIs
    assert "leafletjs.com" in html  # Leaflet itself is inlined
    assert html.count('class="gc-map"') == 2 and "L.Sync" not in html
    data = _data_block(html)
    assert [p["element"] for p in data["panels"]] == ["gc-map-a", "gc-map-b"]
    specs = {s["key"]: s for s in data["layers"]}
    assert {"a_villages", "b_villages", "changed_villages", "a_sewage_plants", "b_sewage_plants"} <= set(specs)
    for k, panel in enumerate(data["panels"]):
        s = "ab"[k]
        assert panel["layers"][0] == f"{s}_villages" and "changed_villages" in panel["layers"]
        # each panel colours the villages by its own plan's mode (class = SEWAGE_MODES index)
        modes = cmp.all_villages[f"mode_{s}"].map({m: i for i, m in enumerate(SEWAGE_MODES)})
        assert specs[f"{s}_villages"]["cls"] == modes.fillna(5).astype(int).tolist()
    assert len(specs["changed_villages"]["geom"]) == len(cmp.villages)
    popup = {f["key"]: f for f in data["tables"]["villages"]}
    i = int(np.flatnonzero((cmp.all_villages["change"] != "").to_numpy())[0])
    assert popup["reason_a"]["values"][i] and popup["reason_b"]["values"][i]
    want = label(f"sewage_mode.{cmp.all_villages['mode_b'].iloc[i]}", "zh")
    assert popup["reason_a"]["label"] == "基准：治理模式理由" and popup["mode_b"]["values"][i] == want


def test_moved_plant_is_drawn_where_each_plan_has_it(base, moved_plant):
    data = _data_block(compare_map(ge.compare(base, moved_plant)).html)
    specs = {s["key"]: s for s in data["layers"]}
    assert specs["a_sewage_plants"]["geom"] != specs["b_sewage_plants"]["geom"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_map_escapes_hostile_text(payload):
    a, b = _hostile_pair(payload)
    html = compare_map(ge.compare(a, b, names=(payload, "B"))).html
    clean = compare_map(ge.compare(*_hostile_pair("x"))).html
    assert esc(payload) in html  # the page's title and the panel's name: the text, escaped
    if set(payload) & set("<>&\"'`$\\"):
        assert payload not in html
    assert html.count("<script") == clean.count("<script") and html.count("</script") == clean.count("</script")


# --------------------------------------------------------------------------------------
# the folder
# --------------------------------------------------------------------------------------
def test_save_writes_the_three_files_with_a_manifest(tmp_path, cmp):
    out = tmp_path / "cmp"
    written = cmp.save(out)
    assert [p.name for p in written] == list(COMPARE_FILES)
    body = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in body["files"]] == ["compare.xlsx", "compare_map.html"]
    import hashlib

    for f in body["files"]:
        data = (out / f["path"]).read_bytes()
        assert len(data) == f["bytes"] and hashlib.sha256(data).hexdigest() == f["sha256"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_plans_folder_and_a_comparison_share_a_folder(tmp_path, cmp):
    """Each keeps its own manifest: neither removes or replaces the other's files."""
    out = tmp_path / "out"
    plan = make_plan()
    plan.save(out)
    plan_files = file_digests(out)
    cmp.save(out)
    assert {"compare.xlsx", "compare_map.html", "compare.json"} <= {p.name for p in out.iterdir()}
    assert {k: v for k, v in file_digests(out).items() if k in plan_files} == plan_files
    compare_files = {k: v for k, v in file_digests(out).items() if k.startswith("compare")}
    plan.save(out)
    assert {k: v for k, v in file_digests(out).items() if k.startswith("compare")} == compare_files


def test_an_output_folder_holding_an_input_is_refused(tmp_path, district, base):
    b = replace(base, district=replace(district, inputs=(tmp_path / "data" / "villages.shp",)))
    with pytest.raises(OutputError, match="holds the input file"):
        ge.compare(base, b).save(tmp_path / "data")
    assert not (tmp_path / "data").exists()


# --------------------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> Path:
    """Folder with a/ (the sample) and b/ (the sample, sewers at 150 yuan/m)."""
    root = tmp_path_factory.mktemp("projects")
    for name in ("a", "b"):
        shutil.copytree(SAMPLE, root / name)
    toml = root / "b" / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[sewage]\nsewer_cost_yuan_per_m = 150\n", encoding="utf-8")
    return root


@pytest.mark.slow
def test_cli_compares_two_projects_end_to_end(projects, tmp_path, cmp):
    before = file_digests(projects)
    out = tmp_path / "cmp"
    r = subprocess.run([sys.executable, "-m", "geo_env", "compare", str(projects / "a" / "project.toml"),
                        str(projects / "b"), "--out", str(out), "--names", "基准", "管网降价"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    body = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    t = body["totals"]
    lines = r.stdout.splitlines()
    changed = body["villages"]["changed"]
    assert changed == len(cmp.villages) > 0  # the same projects compared in Python
    assert lines[0].startswith(f"方案对比 基准 → 管网降价：165 个村中 {changed} 个村的治理决策变化（治理模式 ")
    assert lines[1] == (f"总投资：{t['capex_wan']['a']:,.0f} → {t['capex_wan']['b']:,.0f} 万元"
                        f"（{t['capex_wan']['delta']:+,.0f}）")
    assert lines[2].startswith(f"年运行维护费：{t['om_wan_per_year']['a']:,.1f} → {t['om_wan_per_year']['b']:,.1f}")
    assert all((out / name).stat().st_size > 0 for name in COMPARE_FILES)
    assert file_digests(projects) == before


def test_cli_names_the_project_that_fails(projects, tmp_path, capsys):
    bad = tmp_path / "bad"
    shutil.copytree(projects / "b", bad)
    toml = bad / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('population = "RK"', 'population = "RKS"'),
                    encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["-q", "compare", str(projects / "a"), str(toml), "--out", str(out), "--names", "基准", "新方案"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1
    assert err[0].startswith(f"error: project 新方案 ({toml}): ")
    assert "column 'RKS'" in err[0] and "Did you mean 'RK'" in err[0]
    assert not out.exists()
    # a project file that is not TOML is named too, before any layer is read
    toml.write_text("[project\n", encoding="utf-8")
    assert cli.main(["-q", "compare", str(toml), str(projects / "a"), "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"error: project A ({toml}): ")


def test_cli_refuses_an_output_folder_inside_a_project(projects, capsys):
    before = file_digests(projects)
    assert cli.main(["-q", "compare", str(projects / "a"), str(projects / "b"), "--out", str(projects / "b")]) == 2
    assert "holds the input file" in capsys.readouterr().err
    assert file_digests(projects) == before


def test_plan_project_errors_keep_their_class(tmp_path):
    from geo_env.comparison import plan_project

    with pytest.raises(GeoEnvError) as info:
        plan_project(tmp_path / "missing.toml", "B")
    assert isinstance(info.value, FileNotFoundError)
    assert str(info.value).startswith(f"project B ({tmp_path / 'missing.toml'}): ")


# --------------------------------------------------------------------------------------
# the map in Chromium
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium():
    skip_or_fail_without_browser()
    with browser() as b:
        yield b


def _views(page) -> list:
    return page.evaluate("() => geCompare.panels.map(p => [p.map.getCenter().lat, p.map.getCenter().lng, "
                         "p.map.getZoom()])")


def _same_view(views: list) -> bool:
    """Both maps at one zoom and one centre, to a pixel (Leaflet keeps a moved map's centre
    in whole pixels: the maps agree to the pixel, not to the last digit)."""
    (lat_a, lng_a, z_a), (lat_b, lng_b, z_b) = views
    pixel_deg = 360.0 / (256 * 2 ** z_a)
    return z_a == z_b and abs(lat_a - lat_b) <= pixel_deg and abs(lng_a - lng_b) <= pixel_deg


@pytest.mark.browser
def test_map_renders_both_panels_in_chromium(chromium, tmp_path, cmp):
    path = cmp.map().save(tmp_path / "compare_map.html")
    with open_page(chromium, path) as (page, log):
        assert page.locator(".gc-map.leaflet-container").count() == 2
        assert page.locator(".gc-map canvas.leaflet-zoom-animated").count() == 2  # both villages' canvases
        assert page.locator(".gc-map .ge-legend").count() == 2
        # the changed villages are outlined in both panels
        n = len(cmp.villages)
        assert page.evaluate("() => geCompare.panels.map(p => p.layers.changed_villages.getLayers().length)") == [n, n]
        assert log.blocked == [] and log.console_errors == [] and log.page_errors == []


@pytest.mark.browser
def test_moving_one_map_moves_the_other(chromium, tmp_path, cmp):
    path = cmp.map().save(tmp_path / "compare_map.html")
    with open_page(chromium, path) as (page, log):
        start = _views(page)
        assert start[0] == start[1]
        box = page.locator("#gc-map-a").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 120, y + 60, steps=6)
        page.mouse.up()
        page.wait_for_timeout(800)  # Leaflet's inertia, if any, has run out
        dragged = _views(page)
        assert _same_view(dragged)
        # A moved by the drag: 120 px west (inertia only adds to it), and B with it
        assert start[0][1] - dragged[0][1] >= 110 * 360.0 / (256 * 2 ** start[0][2])
        page.locator("#gc-map-b .leaflet-control-zoom-in").click()
        page.wait_for_function("() => geCompare.panels[1].map.getZoom() === %d" % (start[1][2] + 1))
        page.wait_for_timeout(400)
        zoomed = _views(page)
        assert zoomed[0][2] == zoomed[1][2] == start[1][2] + 1 and _same_view(zoomed)
        assert log.page_errors == [] and log.console_errors == []


@pytest.mark.browser
def test_clicking_a_changed_village_shows_both_reasons(chromium, tmp_path):
    a, b = _hostile_pair("")
    path = compare_map(ge.compare(a, b, names=("甲方案", "乙方案"))).save(tmp_path / "m.html")
    with open_page(chromium, path) as (page, log):
        xy = page.evaluate("""() => {
            const p = geCompare.panels[1], ll = p.layers.b_villages.itemBounds(6).getCenter();
            const pt = p.map.latLngToContainerPoint(ll), r = p.map.getContainer().getBoundingClientRect();
            return [pt.x + r.left, pt.y + r.top]; }""")
        page.mouse.click(xy[0], xy[1])
        popup = page.locator("#gc-map-b .leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        assert "村6" in text and "甲方案：治理模式理由" in text and "乙方案：治理模式理由" in text
        assert "距污水厂2.1 km" in text and "B6" in text  # A's reason, then B's
        assert "村级集中处理" in text and "联户/分户处理" in text
        assert log.console_errors == [] and log.page_errors == []


@pytest.mark.browser
@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_runs_nothing_in_chromium(chromium, tmp_path, payload):
    a, b = _hostile_pair(payload)
    clean = compare_map(ge.compare(*_hostile_pair("x"), names=("x", "B"))).html.count("<script")
    path = compare_map(ge.compare(a, b, names=(payload, "B"))).save(tmp_path / "evil.html")
    with open_page(chromium, path) as (page, log):
        title = page.evaluate("() => document.title")
        page.evaluate("""() => {
            const box = document.createElement('div'); box.id = 'all-popups'; document.body.appendChild(box);
            for (const s of geoEnv.specs) {
                if (!s.fields) continue;
                for (let i = 0; i < geoEnv.count(s); i++) {
                    const d = document.createElement('div');
                    d.innerHTML = geoEnv.popupHtml(s, i) + geoEnv.tooltipHtml(s, i);
                    box.appendChild(d);
                }
            }
            for (const p of geCompare.panels) {  /* every layer on: legends and layer lists */
                for (const k in p.layers) { if (!p.map.hasLayer(p.layers[k])) p.map.addLayer(p.layers[k]); }
            }
        }""")
        page.wait_for_timeout(200)
        assert page.locator("#all-popups > div").count() >= 18
        assert page.evaluate("() => document.title") == title and title.startswith(payload)
        assert page.locator(".gc-name b").first.inner_text() == payload  # shown as text
        assert page.locator("img[src='x']").count() == 0 and page.locator("[onerror]").count() == 0
        assert page.evaluate("() => document.scripts.length") == clean
        assert log.dialogs == [] and log.page_errors == [] and log.blocked == []


def test_cli_refuses_two_equal_names_before_any_analysis(projects, tmp_path, capsys, monkeypatch):
    import geo_env.comparison

    def never(*a, **k):
        raise AssertionError("a project was analysed before the names were checked")

    monkeypatch.setattr(geo_env.comparison, "plan_project", never)
    out = tmp_path / "out"
    assert cli.main(["-q", "compare", str(projects / "a"), str(projects / "b"), "--out", str(out),
                     "--names", "基准", " 基准 "]) == 2
    assert "two different, non-empty names" in capsys.readouterr().err and not out.exists()
