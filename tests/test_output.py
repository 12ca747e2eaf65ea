"""The output folder as one transaction (``Plan.save``, ``geo-env run --out``).

A complete folder is written once per module (``template``) and copied for each test; the
previous output must come out of every failed run byte for byte as it went in.  Windows
behaviour (a file open in Excel) is simulated: such a file cannot be opened for writing nor
renamed (PermissionError).
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from geo_env import cli
from geo_env.errors import OutputError
from geo_env.outputs import figures, report

from _plans import make_plan
from builders import file_digests, write_project


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A folder written by Plan.save from make_plan() (with the livestock figure)."""
    out = tmp_path_factory.mktemp("template") / "out"
    make_plan().save(out)
    return out


@pytest.fixture
def out(template, tmp_path) -> Path:
    """A copy of the template, plus a file of the user's."""
    folder = tmp_path / "out"
    shutil.copytree(template, folder)
    (folder / "notes.docx").write_bytes(b"the planner's own notes")
    return folder


def without_farms():
    """make_plan() without livestock farms: no livestock figure."""
    plan = make_plan()
    plan.layers.pop("livestock_farms")
    plan.district = replace(plan.district, livestock_farms=None)
    return plan


def is_commit_move(src, dst) -> bool:
    """A rename of the commit: into or out of the backup folder, or out of the staging one."""
    src, dst = str(src), str(dst)
    return ".geo_env-backup-" in src + dst or (".geo_env-staging-" in src and ".geo_env-staging-" not in dst)


def hidden(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*")]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed(folder: Path) -> dict[str, tuple[int, str]]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return {e["path"]: (e["bytes"], e["sha256"]) for e in summary["files"]}


def test_the_manifest_lists_every_file_with_its_size_and_sha256(template):
    on_disk = {p.relative_to(template).as_posix(): (p.stat().st_size, sha256(p))
               for p in template.rglob("*") if p.is_file() and p.name != "summary.json"}
    assert set(on_disk) == {"plan.gpkg", "report.xlsx", "plan_map.html", "figures/waste_coverage.png",
                            "figures/sewage_modes.png", "figures/livestock.png"}
    assert listed(template) == on_disk
    assert not hidden(template)  # no staging, backup or lock file left


@pytest.mark.parametrize("where, error", [
    ((report, "write_report"), KeyboardInterrupt),
    ((figures, "write_figures"), OSError(errno.EIO, "I/O error")),
])
def test_an_error_mid_write_leaves_the_previous_output_byte_identical(out, monkeypatch, where, error):
    before = file_digests(out)

    def boom(*args, **kwargs):
        raise error

    monkeypatch.setattr(*where, boom)
    with pytest.raises(type(error) if isinstance(error, OSError) else error):
        without_farms().save(out)
    assert file_digests(out) == before
    assert not hidden(out)


def test_without_a_cjk_font_every_other_file_is_written_and_listed(out, monkeypatch):
    def no_font(*args, **kwargs):
        raise figures.FontNotFoundError("no installed font has Chinese characters")

    monkeypatch.setattr(figures, "write_figures", no_font)
    before = file_digests(out)
    with pytest.raises(figures.FontNotFoundError):
        without_farms().save(out)
    assert set(listed(out)) == {"plan.gpkg", "report.xlsx", "plan_map.html"}
    assert file_digests(out)["plan.gpkg"] != before["plan.gpkg"]
    assert not (out / "figures").exists()  # last run's figures would not match the new tables
    assert (out / "notes.docx").exists() and not hidden(out)


@pytest.mark.parametrize("where, error", [
    ((report, "write_report"), OSError(errno.ENOSPC, "No space left on device")),
    (("geo_env.io.writers.write_gpkg",), "pyogrio"),
])
def test_a_full_disk_says_so_and_replaces_nothing(out, monkeypatch, where, error):
    import pyogrio.errors

    if error == "pyogrio":  # what GDAL says when SQLite cannot commit the GeoPackage
        error = pyogrio.errors.DataSourceError(
            "sqlite3_exec(COMMIT) failed: database or disk is full; Failed to commit transaction")
    before = file_digests(out)

    def boom(*args, **kwargs):
        raise error

    monkeypatch.setattr(*where, boom)
    with pytest.raises(OutputError) as caught:
        without_farms().save(out)
    text = str(caught.value)
    assert str(out) in text and "no space left" in text and "nothing was replaced" in text
    assert file_digests(out) == before
    assert not hidden(out)


@pytest.mark.parametrize("manifest", [True, False], ids=["manifest", "older geo_env"])
def test_stale_outputs_are_removed_and_the_users_files_kept(out, manifest):
    (out / "figures" / "my_sketch.png").write_bytes(b"drawn by the planner")
    if not manifest:  # a folder written before summary.json had its file list
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        del summary["files"]
        (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    files = without_farms().save(out)
    assert not (out / "figures" / "livestock.png").exists()
    assert (out / "notes.docx").read_bytes() == b"the planner's own notes"
    assert (out / "figures" / "my_sketch.png").read_bytes() == b"drawn by the planner"
    assert sorted(p.relative_to(out).as_posix() for p in files) == [
        "figures/sewage_modes.png", "figures/waste_coverage.png", "plan.gpkg", "plan_map.html",
        "report.xlsx", "summary.json"]
    assert set(listed(out)) == {p.relative_to(out).as_posix() for p in files} - {"summary.json"}
    assert not hidden(out)


def test_a_stale_output_the_user_changed_is_theirs_and_kept(out):
    (out / "figures" / "livestock.png").write_bytes(b"edited in an image program")
    without_farms().save(out)
    assert (out / "figures" / "livestock.png").read_bytes() == b"edited in an image program"
    assert "figures/livestock.png" not in listed(out)


def test_an_output_folder_holding_an_input_is_refused_before_anything_is_written(tmp_path):
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "plan.gpkg").write_bytes(b"the planner's villages")
    plan = make_plan()
    plan.district = replace(plan.district, inputs=((maps / "plan.gpkg").resolve(),))
    for folder in (maps, tmp_path):  # the input's folder, and a folder above it
        with pytest.raises(OutputError, match="holds the input file .*plan.gpkg.*[Cc]hoose another --out"):
            plan.save(folder)
    assert file_digests(tmp_path) == {"maps/plan.gpkg": b"the planner's villages"}
    assert not hidden(tmp_path)
    plan.save(tmp_path / "elsewhere")  # a folder beside the input is fine


def test_project_inputs_are_the_project_file_and_every_file_it_names(tmp_path):
    from geo_env.io.project import load_project, project_inputs

    project = write_project(tmp_path / "proj")
    expected = {(tmp_path / "proj" / name).resolve()
                for name in ("project.toml", "villages.shp", "stations.xlsx", "roads.gpkg")}
    assert set(project_inputs(project)) == expected
    assert set(load_project(project).inputs) == expected


def test_the_cli_refuses_an_input_folder_before_reading_any_layer(tmp_path, capsys):
    project = write_project(tmp_path / "proj")
    (tmp_path / "proj" / "stations.xlsx").unlink()  # reading the layers would stop here
    before = file_digests(tmp_path)
    for out in (tmp_path / "proj", tmp_path):
        assert cli.main(["-q", "run", str(project), "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "holds the input file" in err[0] and "project.toml" in err[0]
    assert file_digests(tmp_path) == before


def windows_lock(monkeypatch, path: Path, *, on_open: bool = True) -> None:
    """Make ``path`` behave like a file open in Excel on Windows: it cannot be opened for
    writing (when ``on_open``) nor renamed or replaced (PermissionError)."""
    real_open, real_replace = builtins.open, os.replace

    def is_it(p) -> bool:
        return isinstance(p, (str, os.PathLike)) and Path(p) == path

    def fake_open(file, mode="r", *args, **kwargs):
        if on_open and is_it(file) and set(mode) & set("wa+"):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    def fake_replace(src, dst, *args, **kwargs):
        if is_it(src) or is_it(dst):
            raise PermissionError(errno.EACCES, "Permission denied", str(src))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "replace", fake_replace)


@pytest.mark.parametrize("on_open", [True, False], ids=["found before writing", "found at commit"])
def test_a_report_open_in_excel_stops_the_run_and_keeps_the_old_output(out, monkeypatch, on_open):
    before = file_digests(out)
    windows_lock(monkeypatch, out / "report.xlsx", on_open=on_open)
    plan = without_farms()
    with pytest.raises(OutputError) as caught:
        plan.save(out)
    text = str(caught.value).lower()
    assert "close report.xlsx in excel" in text and "run again" in text and "nothing was replaced" in text
    monkeypatch.undo()
    assert file_digests(out) == before
    assert not hidden(out)


def test_the_cli_finds_an_open_report_before_the_analysis(tmp_path, monkeypatch, capsys):
    import geo_env

    project = write_project(tmp_path / "proj")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.xlsx").write_bytes(b"last week's report")

    def analysis_must_not_run(*args, **kwargs):
        raise AssertionError("analysed although the output folder cannot take the files")

    monkeypatch.setattr(geo_env, "analyze", analysis_must_not_run)
    windows_lock(monkeypatch, out / "report.xlsx")
    assert cli.main(["-q", "run", str(project), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "close report.xlsx in excel" in err[0].lower()
    monkeypatch.undo()
    assert file_digests(out) == {"report.xlsx": b"last week's report"}


def test_ctrl_c_during_the_commit_waits_until_it_is_done(out, monkeypatch):
    real_replace = os.replace
    moves: list[str] = []

    def interrupted(src, dst, *args, **kwargs):
        if is_commit_move(src, dst):
            moves.append(dst)
            if len(moves) == 1:
                signal.raise_signal(signal.SIGINT)  # Ctrl-C at the first move of the commit
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        without_farms().save(out)
    monkeypatch.undo()
    assert len(moves) > 1  # the commit went on after the signal
    # the new output is complete: every listed file as listed, the stale figure gone
    on_disk = {p.relative_to(out).as_posix(): (p.stat().st_size, sha256(p))
               for p in out.rglob("*") if p.is_file() and p.name not in ("summary.json", "notes.docx")}
    assert listed(out) == on_disk and "figures/livestock.png" not in on_disk
    assert not hidden(out)


def test_a_commit_cut_short_is_rolled_back_by_the_next_run(out, monkeypatch):
    from geo_env.io import output as _output

    before = file_digests(out)
    (out / ".geo_env-staging-dead").mkdir()
    (out / ".geo_env-staging-dead" / "plan.gpkg").write_bytes(b"half written")
    real_replace = os.replace
    moves = []

    def killed(src, dst, *args, **kwargs):  # the process dies at the 4th move of the commit
        if is_commit_move(src, dst):
            moves.append(dst)
            if len(moves) == 4:
                raise SystemExit("killed")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", killed)
    monkeypatch.setattr(_output, "_undo", lambda *a: True)  # a killed process undoes nothing
    monkeypatch.setattr(_output, "_discard", lambda backup: None)
    with pytest.raises(SystemExit):
        without_farms().save(out)
    monkeypatch.undo()
    assert file_digests(out) != before  # a mix of old and new files, and the backup
    with _output.output_lock(out):
        _output.recover(out)
    assert file_digests(out) == before
    assert not hidden(out)


def test_a_rollback_that_fails_is_finished_by_the_next_run(out, monkeypatch):
    from geo_env.io import output as _output

    before = file_digests(out)
    real_replace = os.replace
    moves = []

    def failing(src, dst, *args, **kwargs):  # the 4th move fails, and so does every restore
        if is_commit_move(src, dst):
            moves.append(dst)
            restore = ".geo_env-backup-" in str(src) and "journal" not in Path(src).name
            if len(moves) == 4 or restore:
                raise OSError(errno.EIO, "I/O error", str(src))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OutputError, match="could not put the previous output back.*[Rr]un geo-env again"):
        without_farms().save(out)
    monkeypatch.undo()
    assert hidden(out)  # the old files wait in the backup folder
    with _output.output_lock(out):
        _output.recover(out)
    assert file_digests(out) == before


def test_a_finished_commit_whose_backup_was_left_is_kept(out, monkeypatch):
    from geo_env.io import output as _output

    monkeypatch.setattr(_output, "_discard", lambda backup: None)  # killed before the clean-up
    without_farms().save(out)
    monkeypatch.undo()
    new = file_digests(out)
    assert hidden(out)
    with _output.output_lock(out):
        _output.recover(out)
    assert not hidden(out)
    assert {k: v for k, v in file_digests(out).items() if not k.startswith(".")} == {
        k: v for k, v in new.items() if not k.startswith(".")}


def test_a_second_run_into_a_locked_folder_stops_at_once(out):
    from geo_env.io import output as _output

    holder = ("import sys\nfrom pathlib import Path\nfrom geo_env.io import output as _output\n"
              "with _output.output_lock(Path(sys.argv[1])):\n"
              "    print('locked', flush=True)\n    sys.stdin.read()\n")
    before = file_digests(out)
    with subprocess.Popen([sys.executable, "-c", holder, str(out)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout.readline().strip() == "locked"
            with pytest.raises(OutputError, match=f"another geo-env run \\(pid {proc.pid}\\) is writing"):
                without_farms().save(out)
            assert {k: v for k, v in file_digests(out).items() if k != ".geo_env.lock"} == before
        finally:
            proc.kill()  # a killed holder leaves no stale lock
    with _output.output_lock(out):
        pass
    assert file_digests(out) == before
