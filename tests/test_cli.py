import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geo_env import cli

from builders import file_digests, write_project

GEO_ENV = [sys.executable, "-m", "geo_env.cli"]


def run(*args, cwd=None):
    return subprocess.run([*GEO_ENV, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_help_is_instant_and_lists_the_commands():
    r = run("--help")
    assert r.returncode == 0
    for verb in ("demo", "run", "check", "init"):
        assert verb in r.stdout


def test_run_writes_summary_and_leaves_inputs_unchanged(tmp_path):
    project = write_project(tmp_path / "proj")
    before = file_digests(tmp_path / "proj")
    out = tmp_path / "out"
    r = run("run", project, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["project"] == "测试区"
    assert summary["crs"] == "EPSG:4548"
    assert summary["layers"]["villages"] == 9 and summary["layers"]["transfer_stations"] == 2
    assert summary["population"] == sum(500 + 100 * k for k in range(9))
    assert (out / "plan.gpkg").exists()
    assert file_digests(tmp_path / "proj") == before
    # no temporary files left behind
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_run_default_output_folder(tmp_path):
    project = write_project(tmp_path / "county")
    r = run("run", project, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "maps" / "county" / "summary.json").exists()


@pytest.mark.parametrize("breakage, words", [
    (lambda p: p.write_text(p.read_text(encoding="utf-8").replace("[waste]", "[wast]") + "\n[wast]\nx=1\n",
                            encoding="utf-8"), ["project.toml", "wast", "Did you mean 'waste'"]),
    (lambda p: (p.parent / "stations.xlsx").unlink(), ["stations.xlsx", "file not found"]),
    (lambda p: p.write_text(p.read_text(encoding="utf-8").replace('population = "RK"', 'population = "RKS"'),
                            encoding="utf-8"), ["villages.shp", "'RKS'", "Did you mean 'RK'"]),
])
def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, breakage, words):
    project = write_project(tmp_path)
    breakage(project)
    before = file_digests(tmp_path)
    for verb in ("run", "check"):
        r = run(verb, project, "--out", tmp_path / "out") if verb == "run" else run(verb, project)
        assert r.returncode == 2, (verb, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr + r.stdout
        text = r.stderr if verb == "run" else r.stdout
        errors = [line for line in text.splitlines() if line.startswith("error:")]
        assert len(errors) == 1
        for w in words:
            assert w in errors[0]
    assert file_digests(tmp_path) == before
    assert not (tmp_path / "out").exists()


def test_check_reports_and_changes_nothing(tmp_path):
    project = write_project(tmp_path)
    before = file_digests(tmp_path)
    r = run("check", project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "villages: 9 feature(s)" in r.stdout and "EPSG:4548" in r.stdout
    assert "0 error(s)" in r.stdout
    assert file_digests(tmp_path) == before


def test_init_writes_a_template_and_refuses_to_overwrite(tmp_path):
    r = run("init", tmp_path / "new")
    assert r.returncode == 0
    assert (tmp_path / "new" / "project.toml").exists()
    r = run("init", tmp_path / "new")
    assert r.returncode == 2 and "already exists" in r.stderr
    # the template names files that do not exist yet: check says so, precisely
    r = run("check", tmp_path / "new" / "project.toml")
    assert r.returncode == 2 and "villages.shp" in r.stdout and "not found" in r.stdout


def test_unexpected_errors_exit_1_without_traceback_unless_debug(tmp_path, monkeypatch, capsys):
    import geo_env.plan

    def boom(*a, **k):
        raise RuntimeError("kaputt")

    project = write_project(tmp_path)
    monkeypatch.setattr(geo_env.plan, "analyze", boom)  # what `run` calls (geo_env.plan.run_project)
    assert cli.main(["-q", "run", str(project), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: kaputt" in err and "--debug" in err and "Traceback" not in err
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "-q", "run", str(project), "--out", str(tmp_path / "o")])


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "geo-env"
    assert exe.exists()


def test_help_does_not_import_the_heavy_stack():
    code = ("import sys\nfrom geo_env import cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('geopandas', 'pandas', 'shapely', 'pyproj', 'rasterio') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip().splitlines()[-1] == "[]"


def _one_error_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_folders_pipes_and_damaged_files_exit_2_with_one_line(tmp_path, capsys):
    from builders import deadline

    (tmp_path / "empty").mkdir()
    os.mkfifo(tmp_path / "pipe.toml")
    for target, words in ((tmp_path / "empty", "empty: is a folder without a project.toml"),
                          (tmp_path / "pipe.toml", "pipe.toml: is a named pipe (FIFO), not a regular file")):
        with deadline(10):
            assert cli.main(["-q", "run", str(target), "--out", str(tmp_path / "out")]) == 2
        assert words in _one_error_line(capsys.readouterr().err)
        with deadline(10):
            assert cli.main(["-q", "check", str(target)]) == 2
        assert words in _one_error_line(capsys.readouterr().out)
    assert not (tmp_path / "out").exists()
    # a folder holding a project.toml is that project; a layer copied only in half is named
    project = write_project(tmp_path / "county")
    assert cli.main(["-q", "check", str(tmp_path / "county")]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    roads = project.parent / "roads.gpkg"
    roads.write_bytes(roads.read_bytes()[: roads.stat().st_size // 2])
    assert cli.main(["-q", "check", str(tmp_path / "county")]) == 2
    assert "roads.gpkg, layer 'roads': cannot be read: the file is damaged or incomplete" in _one_error_line(
        capsys.readouterr().out)
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace('path = "roads.gpkg"', 'path = "D:\\gis\\roads.gpkg"'), encoding="utf-8")
    assert cli.main(["-q", "run", str(project), "--out", str(tmp_path / "out")]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "is not valid TOML" in line and "single quotes ('D:\\gis\\roads.gpkg')" in line

@pytest.mark.slow
def test_demo_writes_the_whole_pack(tmp_path):
    import pyogrio

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    before = file_digests(sample)
    r = run("demo", "--out", tmp_path / "demo")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "demo"
    for name in ("summary.json", "plan.gpkg", "report.xlsx", "plan_map.html", "figures/waste_coverage.png",
                 "figures/sewage_modes.png", "figures/livestock.png"):
        assert (out / name).stat().st_size > 0, name
    layers = set(pyogrio.list_layers(out / "plan.gpkg")[:, 0])
    assert {"villages", "transfer_stations", "proposed_transfer_stations", "service_areas", "sewage_plants",
            "livestock_farms", "sewage_clusters"} <= layers
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {"waste", "sewage", "livestock"} <= set(summary)
    # the headline lines are in the project's language and carry the summary's numbers
    w = summary["waste"]
    assert f"人口占 {w['coverage_rate_population']:.1%}" in r.stdout
    assert file_digests(sample) == before
    # the README shows these lines: keep it true
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("and prints the headline figures, e.g.", 1)[1].split("```")[1].strip().splitlines()
    assert shown and all(line.strip() in r.stdout for line in shown), shown


def _farms_csv(folder: Path, *, with_farmland: bool) -> str:
    import pandas as pd

    from builders import ORIGIN, TO_LONLAT

    lon, lat = TO_LONLAT.transform([ORIGIN[0] + 300, ORIGIN[0] + 9000], [ORIGIN[1] + 300, ORIGIN[1] + 9000])
    pd.DataFrame({"编号": ["F1", "F2"], "畜种": ["生猪", "蛋鸡"], "存栏量": [800, 20000],
                  "经度": lon, "纬度": lat}).to_csv(folder / "farms.csv", index=False)
    return '\n[layers.livestock_farms]\npath = "farms.csv"\ncolumns = { id = "编号", species = "畜种", head = "存栏量" }\n'


@pytest.mark.slow
@pytest.mark.parametrize("case", ["villages_only", "farms_without_farmland", "no_stations", "point_villages"])
def test_run_on_thin_projects(tmp_path, case):
    """Real projects often hold few layers: every combination runs and says what it could do."""
    folder = tmp_path / case
    project = write_project(folder, stations=case not in ("villages_only", "no_stations"))
    if case == "farms_without_farmland":
        project.write_text(project.read_text(encoding="utf-8") + _farms_csv(folder, with_farmland=False),
                           encoding="utf-8")
    if case == "no_stations":
        from builders import roads_layer

        roads_layer().to_file(folder / "roads.gpkg", layer="roads", engine="pyogrio")
        project.write_text(project.read_text(encoding="utf-8") + '\n[layers.roads]\npath = "roads.gpkg"\n',
                           encoding="utf-8")
    if case == "point_villages":
        import geopandas as gpd

        from builders import grid_villages, planner_villages, write_shapefile

        v = planner_villages(grid_villages())
        v = v.set_geometry(gpd.GeoSeries(grid_villages().geometry.centroid.to_crs(4490).to_numpy(), crs=4490))
        write_shapefile(v, folder / "villages.shp", encoding="GBK", cpg=False)
    r = run("run", project, "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert (tmp_path / "out" / "plan_map.html").exists() and (tmp_path / "out" / "report.xlsx").exists()
    if case == "farms_without_farmland":
        assert summary["livestock"]["farms"] == 2
        assert "畜禽养殖：2 个养殖场" in r.stdout
    if case == "no_stations":
        assert "无道路可达" not in r.stdout  # nothing to reach is not "unreachable"
        assert summary["waste"]["unreachable_villages"] == 0
        assert summary["waste"]["covered_villages"] == 0
    if case == "point_villages":
        assert summary["waste"]["villages"] == 9


def test_an_output_folder_that_cannot_take_the_files_exits_2_before_writing(tmp_path):
    project = write_project(tmp_path / "proj")
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    r = run("run", project, "--out", afile)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "afile: the output folder is a file" in r.stderr
    out = tmp_path / "out"
    (out / "plan_map.html").mkdir(parents=True)
    (out / "summary.json").write_text("old", encoding="utf-8")
    r = run("run", project, "--out", out)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "'plan_map.html' here is a folder" in r.stderr.strip().splitlines()[-1]
    # nothing was replaced: the folder does not hold a mix of old and new outputs
    assert (out / "summary.json").read_text(encoding="utf-8") == "old"
    assert not (out / "plan.gpkg").exists()


@pytest.mark.slow
@pytest.mark.parametrize("encoding, args, shown", [
    # a Chinese Windows console (cmd, cp936): the demo used to stop at "m³/d" after writing
    ("gbk", ["demo"], "污水量"),
    # a console that takes only ASCII; English labels carry "× 10⁴ yuan/year"
    ("ascii", ["demo", "--lang", "en"], "x 10^4 yuan/year"),
])
def test_console_output_survives_any_console_encoding(tmp_path, encoding, args, shown):
    import os

    out = tmp_path / "out"
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    r = subprocess.run([*GEO_ENV, *args, "--out", str(out)], capture_output=True, env=env, timeout=300)
    stdout, stderr = r.stdout.decode(encoding), r.stderr.decode(encoding)
    assert r.returncode == 0, stderr
    assert "Traceback" not in stderr and "error" not in stderr
    assert "m^3/d" in stdout and shown in stdout
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["files"]


def test_python_dash_m_geo_env_is_the_command(tmp_path):
    r = subprocess.run([sys.executable, "-m", "geo_env", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "usage: geo-env" in r.stdout
    for verb in ("demo", "run", "check", "init"):
        assert verb in r.stdout
    r = subprocess.run([sys.executable, "-m", "geo_env", "-q", "run", str(tmp_path / "missing.toml")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: ") and "missing.toml" in r.stderr and "not found" in r.stderr


def test_version_verbose_and_quiet_before_or_after_the_command(tmp_path, capsys):
    import importlib.metadata
    import logging

    import geo_env

    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"geo-env {geo_env.__version__}"
    assert importlib.metadata.version("geo_env") == geo_env.__version__  # one place: pyproject reads it
    project = write_project(tmp_path / "p")
    for argv in (["-v", "check", str(project)], ["check", str(project), "--verbose"]):
        assert cli.main(argv) == 0
        assert "INFO geo_env.network" in capsys.readouterr().err
        assert logging.getLogger("geo_env").level == logging.INFO
    for argv in (["-q", "check", str(project)], ["check", str(project), "-q"]):
        assert cli.main(argv) == 0
        assert "INFO" not in capsys.readouterr().err
        assert logging.getLogger("geo_env").level == logging.ERROR
    assert cli.main(["check", str(project)]) == 0
    assert logging.getLogger("geo_env").level == logging.WARNING  # warnings always shown


def test_license_matches_the_package_metadata():
    import importlib.metadata

    root = Path(__file__).resolve().parents[1]
    text = (root / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    meta = importlib.metadata.metadata("geo_env")
    assert "MIT License" in (meta.get("License") or "") + (meta.get("License-Expression") or "") + str(
        meta.get_all("License-File"))
    assert (root / "CHANGELOG.md").read_text(encoding="utf-8").startswith("# Changelog")
