"""``geo-env batch``: a province of tiny counties on a Dask cluster (issue 16).

The oracle of a batch is three single ``geo-env run``s: each county's outputs must be the
same, figure for figure.  The province's shares are checked against sums over the single
runs' own summaries (Σ share × villages ÷ Σ villages), not against the code's counts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geo_env import batch
from geo_env.cli import main
from geo_env.errors import GeoEnvError, OutputError

from builders import grid_villages, write_project

STATUSES = {
    "甲县": ["未治理", "未治理", "分户", "未治理", "分户", "未治理", "未治理", "分户", "未治理"],
    "乙县": ["纳管", "未治理", "未治理", "未治理", "未治理", "未治理", "未治理", "未治理", "未治理"],
    "丙县": ["分户"] * 5 + ["未治理"] * 4,
}
RADII = {"甲县": 2500, "乙县": 1500, "丙县": 4000}


def _county(folder: Path, name: str, *, extra: str = "") -> Path:
    v = grid_villages()
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"code": v["id"], "st": STATUSES[name]}).to_csv(folder / "status.csv", index=False)
    return write_project(folder, extra=f'''
[layers.village_table]
path = "status.csv"
columns = {{ id = "code", sewage_status = "st" }}

[waste]
service_radius_m = {RADII[name]}
{extra}''')


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Path:
    """A folder of three tiny counties (9 villages each, different statuses and radii)."""
    root = tmp_path_factory.mktemp("province")
    for name in STATUSES:
        _county(root / name, name)
    return root


@pytest.fixture(scope="module")
def singles(province, tmp_path_factory) -> dict[str, Path]:
    """Each county run on its own by `geo-env run` (the oracle)."""
    out = tmp_path_factory.mktemp("singles")
    for name in STATUSES:
        assert main(["-q", "run", str(province / name / "project.toml"), "--out", str(out / name)]) == 0
    return {name: out / name for name in STATUSES}


@pytest.fixture(scope="module")
def batched(province, tmp_path_factory) -> tuple[Path, batch.BatchResult]:
    out = tmp_path_factory.mktemp("batch") / "out"
    seen: list[tuple[str, int, int]] = []
    result = batch.run_batch(batch.read_province(province), out, processes=False,
                             progress=lambda r, done, total: seen.append((r["folder"], done, total)))
    assert sorted(f for f, _, _ in seen) == sorted(STATUSES) and [d for _, d, _ in seen] == [1, 2, 3]
    return out, result


def _summary(folder: Path) -> dict:
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    s.pop("files")
    return s


def test_a_batch_equals_single_runs(batched, singles):
    out, result = batched
    assert [r["status"] for r in result.records] == ["ok"] * 3
    for name, single in singles.items():
        assert _summary(out / name) == _summary(single), name
        for layer in ("villages", "transfer_stations", "service_areas"):
            a = pyogrio.read_dataframe(out / name / "plan.gpkg", layer=layer)
            b = pyogrio.read_dataframe(single / "plan.gpkg", layer=layer)
            pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                          pd.DataFrame(b.drop(columns="geometry")))
            assert (a.geometry.isna() == b.geometry.isna()).all()
            both = a.geometry.notna()
            assert a.geometry[both].geom_equals_exact(b.geometry[both], tolerance=0).all()
        names = {p.relative_to(single).as_posix() for p in single.rglob("*") if p.is_file()}
        assert names <= {p.relative_to(out / name).as_posix() for p in (out / name).rglob("*") if p.is_file()}


def test_the_province_summary_adds_up_the_single_runs(batched, singles):
    out, result = batched
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [c["folder"] for c in s["counties"]] == sorted(STATUSES)  # the folder's order
    assert s["counties_total"] == 3 and s["counties_ok"] == 3 and s["counties_failed"] == 0
    one = {name: _summary(single) for name, single in singles.items()}
    assert s["totals"]["villages"] == 27
    assert s["totals"]["population"] == sum(x["population"] for x in one.values())
    # Σ share × villages ÷ Σ villages over the single runs (every village has residents)
    for ind in ("sewage_treatment_rate", "waste_system_coverage"):
        for when in ("baseline", "planned"):
            expect = sum(x["indicators"][ind][when] * x["layers"]["villages"] for x in one.values()) / 27
            assert s["indicators"][ind][when] == pytest.approx(expect, rel=1e-12), (ind, when)
    # by hand: 3 + 1 + 5 villages treated today of 27
    assert s["indicators"]["sewage_treatment_rate"]["baseline"] == pytest.approx(9 / 27)
    for c in s["counties"]:
        assert c["map"] == f"{c['folder']}/plan_map.html".replace(c["folder"], _quoted(c["folder"]))
        assert (out / c["folder"] / "plan_map.html").is_file()
        assert c["rerun"] is True and len(c["input_sha256"]) == 64
    listed = {e["path"] for e in s["files"]}
    assert listed == {"province.xlsx", "province_map.html", "province.gpkg"}


def _quoted(folder: str) -> str:
    from urllib.parse import quote

    return quote(folder, safe="")


def test_province_report_has_a_row_per_county_and_township(batched, singles):
    from openpyxl import load_workbook

    out, _ = batched
    wb = load_workbook(out / "province.xlsx")
    assert wb.sheetnames == ["县区考核汇总", "乡镇考核指标"]
    ws = wb["县区考核汇总"]
    rows = list(ws.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [*sorted(STATUSES), "全省"]
    head = list(rows[0])
    col = head.index("农村生活污水治理率（现状）")
    assert rows[1 + sorted(STATUSES).index("丙县")][col] == pytest.approx(5 / 9)
    assert rows[-1][col] == pytest.approx(9 / 27)
    assert ws.cell(row=2, column=col + 1).number_format == "0.0%"
    towns = list(wb["乡镇考核指标"].iter_rows(values_only=True))
    n_towns = sum(_summary(s)["townships"] for s in singles.values())
    assert len(towns) - 1 == n_towns


def test_province_gpkg_holds_the_counties_outlines(batched):
    out, _ = batched
    g = gpd.read_file(out / "province.gpkg", layer="counties")
    assert list(g["county"]) == sorted(STATUSES) and g.crs.to_epsg() == 4326
    # the outline is the 3×3 grid of 2 km villages: 36 km² (the union of squares simplifies to itself)
    area_km2 = g.to_crs(4548).area / 1e6
    assert area_km2.to_numpy() == pytest.approx([36.0] * 3, rel=1e-4)


def test_rerun_skips_unchanged_counties_and_reruns_changed_ones(batched, province, tmp_path):
    out, first = batched
    again = batch.run_batch(batch.read_province(province), out, processes=False)
    assert [r["rerun"] for r in again.records] == [False] * 3
    assert [r["input_sha256"] for r in again.records] == [r["input_sha256"] for r in first.records]
    assert again.summary["counties_skipped"] == 3
    assert again.summary["indicators"] == first.summary["indicators"]
    # a changed input file, and a county whose output lost a file, run again; the third does not
    status = province / "乙县" / "status.csv"
    before = status.read_bytes()
    try:
        status.write_bytes(before.replace("纳管".encode(), "分户".encode()))
        (out / "丙县" / "report.xlsx").unlink()
        third = batch.run_batch(batch.read_province(province), out, processes=False)
        rerun = {r["folder"]: r["rerun"] for r in third.records}
        assert rerun == {"甲县": False, "乙县": True, "丙县": True}
        assert (out / "丙县" / "report.xlsx").is_file()
    finally:
        status.write_bytes(before)
    restored = batch.run_batch(batch.read_province(province), out, processes=False)
    assert {r["folder"]: r["rerun"] for r in restored.records}["乙县"] is True  # back to the first inputs


def test_a_bad_county_fails_alone_with_its_message(province, tmp_path, capsys):
    root = tmp_path / "prov"
    for name in ("甲县", "乙县"):
        _county(root / name, name)
    bad = _county(root / "丙县", "丙县")
    bad.write_text(bad.read_text(encoding="utf-8").replace('population = "RK"', 'population = "RKS"'),
                   encoding="utf-8")
    (root / "丁县").mkdir()
    (root / "丁县" / "project.toml").write_text("[project\nname = 1\n", encoding="utf-8")
    out = tmp_path / "out"
    result = batch.run_batch(batch.read_province(root), out, processes=False)
    status = {r["folder"]: r["status"] for r in result.records}
    assert status == {"丁县": "failed", "丙县": "failed", "甲县": "ok", "乙县": "ok"}
    errors = {r["folder"]: r["error"] for r in result.failed}
    assert "villages.shp" in errors["丙县"] and "'RKS'" in errors["丙县"] and "Did you mean 'RK'?" in errors["丙县"]
    assert "project.toml" in errors["丁县"] and "line 1" in errors["丁县"]
    assert (out / "甲县" / "plan_map.html").is_file() and not (out / "丙县" / "summary.json").exists()
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["counties_failed"] == 2 and s["totals"]["villages"] == 18
    failed = next(c for c in s["counties"] if c["folder"] == "丙县")
    assert failed["error"] == errors["丙县"] and "map" not in failed
    from openpyxl import load_workbook

    sheet = load_workbook(out / "province.xlsx")["运行失败的县区"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["丁县", "丙县"]
    html = (out / "province_map.html").read_text(encoding="utf-8")
    assert "RKS" in html  # the error is shown on the map's list of counties


def test_a_task_that_dies_fails_its_county_only(province, tmp_path, monkeypatch):
    real = batch.run_county

    def flaky(job):
        if job.county.folder == "乙县":
            raise RuntimeError("worker lost")
        return real(job)

    monkeypatch.setattr(batch, "run_county", flaky)
    result = batch.run_batch(batch.read_province(province), tmp_path / "out", processes=False)
    assert [r["status"] for r in result.records] == ["ok", "failed", "ok"]
    assert "worker lost" in result.records[1]["error"]


def test_the_cli_runs_a_province_file_on_local_worker_processes(province, tmp_path, capsys):
    """The real path: `geo-env batch PROVINCE.toml` with worker processes; shared settings
    apply where a county's own file is silent."""
    pfile = tmp_path / "省.toml"
    pfile.write_text(f'''[province]
name = "测试省"

[[counties]]
project = "{(province / "甲县").as_posix()}"
folder = "A"

[[counties]]
project = "{(province / "乙县" / "project.toml").as_posix()}"

[sewage]
water_use_l_per_capita_day = 95

[waste]
service_radius_m = 1000
''', encoding="utf-8")
    out = tmp_path / "out"
    code = main(["batch", str(pfile), "--out", str(out), "--workers", "2"])
    text = capsys.readouterr()
    assert code == 0, text.err
    assert "测试省：2/2 个县（区）完成" in text.out
    assert "1/2" in text.err and "2/2" in text.err
    a = _summary(out / "A")
    assert a["parameters"]["sewage"]["water_use_l_per_capita_day"] == 95  # shared
    assert a["parameters"]["waste"]["service_radius_m"] == RADII["甲县"]  # the county's own wins
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["province"] == "测试省" and [c["folder"] for c in s["counties"]] == ["A", "乙县"]
    assert s["shared_settings"] == {"waste": {"service_radius_m": 1000},
                                    "sewage": {"water_use_l_per_capita_day": 95}}


def test_shared_settings_change_the_hash(province):
    project = province / "甲县" / "project.toml"
    h0 = batch.input_hash(project)
    assert h0 == batch.input_hash(province / "甲县")  # a folder means its project.toml
    assert batch.input_hash(project, settings={"shared": {"waste": {"service_radius_m": 1}}}) != h0
    files = {p.name for p in batch._input_files(project)}
    assert files == {"project.toml", "villages.shp", "villages.shx", "villages.dbf", "villages.prj",
                     "stations.xlsx", "roads.gpkg", "status.csv"}


@pytest.mark.parametrize("text, words", [
    ("[[counties]]\nproject = 'a'\n[wast]\n", "Did you mean 'waste'"),
    ("[province]\nname = 'x'\n", "lists no counties"),
    ("[[counties]]\nprojet = 'a'\n", "Did you mean 'project'"),
    ("[[counties]]\nproject = 'a/project.toml'\n[[counties]]\nproject = 'b/x/../a'\n", "two counties would write"),
    ("[[counties]]\nproject = 'a'\nfolder = '../up'\n", "not a plain folder name"),
    # Windows drops a trailing dot or space ("县A." and "县A" would be one folder) and keeps device names
    ("[[counties]]\nproject = 'a'\nfolder = '县A.'\n", "not a plain folder name"),
    ("[[counties]]\nproject = 'a'\nfolder = '县A '\n", "not a plain folder name"),
    ("[[counties]]\nproject = 'a'\nfolder = 'a?b'\n", "not a plain folder name"),
    ("[[counties]]\nproject = 'a'\nfolder = 'CON'\n", "not a plain folder name"),
    ("[[counties]]\nproject = 'a'\nfolder = 'nul.txt'\n", "not a plain folder name"),
    ("[[counties]]\nproject = 'a'\n[waste]\nservice_radius_m = -5\n", "service_radius_m"),
])
def test_bad_province_files_are_one_clear_error(tmp_path, text, words):
    pfile = tmp_path / "province.toml"
    pfile.write_text(text, encoding="utf-8")
    with pytest.raises(GeoEnvError) as err:
        batch.read_province(pfile)
    assert words in str(err.value) and "province.toml" in str(err.value)


def test_output_folder_over_the_inputs_is_refused_before_any_county_runs(province, capsys):
    with pytest.raises(OutputError):
        batch.run_batch(batch.read_province(province), province, processes=False)
    assert not any((province / name / "summary.json").exists() for name in STATUSES)
    assert main(["batch", str(province), "--out", str(province)]) == 2
    assert "error:" in capsys.readouterr().err


def test_an_empty_folder_and_a_missing_scheduler_are_clear_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batch, "SCHEDULER_TIMEOUT_S", 1)
    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "*/project.toml" in capsys.readouterr().err
    _county(tmp_path / "p" / "甲县", "甲县")
    code = main(["batch", str(tmp_path / "p"), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_the_overview_map_links_each_county_and_escapes_names(tmp_path):
    from geo_env.outputs.province import province_map_html

    evil = '<img src=x onerror="alert(1)">'
    square = {"type": "Polygon", "coordinates": [[[117, 28], [117.1, 28], [117.1, 28.1], [117, 28]]]}
    records = [{"folder": "a b#?", "status": "ok", "project_name": evil, "villages": 3, "outline": square,
                "indicators": {"sewage_treatment_rate": {"baseline": 0.5, "planned": 1.0,
                                                         "counts": {"baseline": 1, "planned": 2, "of": 2}}}},
               {"folder": "</script>", "status": "failed", "error": evil, "outline": None}]
    html = province_map_html(records, lang="en", title=evil)
    assert evil not in html
    assert html.count("</script>") == html.count("<script")  # no text of the data ends a script element
    assert '"a%20b%23%3F/plan_map.html"' in html
    assert "&lt;img src=x" in html  # the title, escaped
    assert len(html) < 400_000  # Leaflet and a few polygons: no county's plan inside


def test_batch_is_not_imported_by_geo_env_and_dask_stays_lazy():
    import subprocess
    import sys

    code = "import sys, geo_env, geo_env.cli, geo_env.batch; print('dask' in sys.modules, 'distributed' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ})
    assert r.stdout.split() == ["False", "False"], r.stderr


@pytest.mark.browser
def test_the_overview_map_renders_offline_and_a_click_opens_the_county(batched):
    from _browser import browser, open_page, skip_or_fail_without_browser

    skip_or_fail_without_browser()
    out, _ = batched
    with browser() as b, open_page(b, out / "province_map.html") as (page, log):
        assert page.locator("#counties a").count() == 3
        page.select_option("#indicator", "waste_system_coverage")
        page.select_option("#when", "baseline")
        shown = page.locator("#counties li").first.inner_text()
        assert "%" in shown
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the counties overlap
        page.wait_for_url("**/plan_map.html", timeout=10_000)
        assert page.url.endswith("/plan_map.html") and "/out/" in page.url
        assert not log.console_errors and not log.page_errors and not log.blocked


def test_a_county_without_a_baseline_is_left_out_of_that_share_not_counted_untreated():
    from geo_env.outputs.province import province_indicators

    def county(baseline, planned, of):
        return {"status": "ok", "indicators": {"sewage_treatment_rate": {
            "counts": {"baseline": baseline, "planned": planned, "of": of}}}}

    # 甲: no sewage_status column (baseline not assessed); 乙: 8 of 10 treated today
    got = province_indicators([county(None, 10, 10), county(8, 10, 10), county(None, None, 5)])
    ind = got["sewage_treatment_rate"]
    assert ind["baseline"] == pytest.approx(8 / 10)  # not 8 / 20, and not 8 / 25
    assert ind["planned"] == pytest.approx(20 / 20)
    assert ind["counts"] == {"baseline": 8, "planned": 20, "of": 25, "of_baseline": 10, "of_planned": 20}
    assert ind["counties_assessed"] == 3 and ind["counties_assessed_by"] == {"baseline": 1, "planned": 2}
    none = province_indicators([county(None, None, 10)])["sewage_treatment_rate"]
    assert none["baseline"] is None and none["planned"] is None and none["counts"]["of_baseline"] is None


def test_a_county_folder_with_an_unportable_name_is_an_error_not_left_out(tmp_path):
    from geo_env.errors import ProjectFileError

    for name in ("甲县", "乙县.", ".git"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "project.toml").write_text("", encoding="utf-8")
    with pytest.raises(ProjectFileError, match="'乙县.'"):  # once skipped silently: a county missing
        batch.find_counties(tmp_path)
    (tmp_path / "乙县.").rename(tmp_path / "乙县")
    assert [c.folder for c in batch.find_counties(tmp_path).counties] == ["乙县", "甲县"]  # .git: not a county
