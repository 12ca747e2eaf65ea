"""Progress bars of the long steps (geo_env._progress): where they show, how they are
silenced, and that a caller's callback replaces the bar instead of doubling it."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

import geo_env as ge
from geo_env import _progress, cli
from geo_env.errors import GeoEnvWarning, ParameterError

from _plans import make_plan
from builders import write_project


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv(_progress.ENV_VAR, raising=False)
    monkeypatch.setattr(_progress.options, "_progress", None)


@pytest.fixture(scope="module")
def district():
    return make_plan(analyses=False).district


def test_off_in_pipes_and_on_in_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not _progress.bars_on()            # the test suite, a log file, CI
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert _progress.bars_on()


def test_the_switches_in_order_of_precedence(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.setenv(_progress.ENV_VAR, "0")
    assert not _progress.bars_on()            # the environment beats the terminal
    ge.options.progress = True
    assert _progress.bars_on()                # the option beats the environment
    with _progress.switch(False):
        assert not _progress.bars_on()        # the call (or the CLI's -q) beats the option
        with _progress.switch(None):
            assert not _progress.bars_on()    # None leaves the switch as it is
    assert _progress.bars_on()
    monkeypatch.setenv(_progress.ENV_VAR, "auto")
    ge.options.progress = None
    assert _progress.bars_on()                # back to automatic: a terminal


@pytest.mark.parametrize("value", ["yes please", 2])
def test_bad_settings_are_refused_with_what_to_do(monkeypatch, value):
    if isinstance(value, str):
        monkeypatch.setenv(_progress.ENV_VAR, value)
        with pytest.raises(ParameterError, match=f"{_progress.ENV_VAR}=.*unset it"):
            _progress.bars_on()
    else:
        with pytest.raises(ParameterError, match="True, False or None"):
            ge.options.progress = value
        assert ge.options.progress is None


def test_a_callback_gets_the_steps_and_no_bar_is_drawn(monkeypatch):
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    seen: list[str] = []
    with _progress.Steps("task", total=2, progress=seen.append) as step:
        step("a")
        step("b")
    assert seen == ["a", "b"] and err.getvalue() == ""


def test_a_bar_counts_every_step_and_ends_complete(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with _progress.Steps("task", total=4, progress=True) as step:
        for name in ("a", "b", "c"):                  # one step did not apply
            step(name)
    text = err.getvalue()
    assert "task" in text and "4/4" in text and "done" in text


def test_false_silences_the_steps_inside_too(monkeypatch, district):
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    ge.options.progress = True
    with pytest.warns(GeoEnvWarning, match="farmland"):  # the small grid has none
        ge.analyze(district, progress=False)
    assert err.getvalue() == ""


def test_analyze_and_save_draw_bars_for_their_steps_and_those_inside(monkeypatch, district, tmp_path):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with pytest.warns(GeoEnvWarning, match="farmland"):  # the small grid has none
        plan = ge.analyze(district, progress=True)
    plan.save(tmp_path / "out", progress=True)
    text = err.getvalue()
    for desc in ("analysing", "siting transfer stations", "sewage", "writing"):
        assert f"{desc}:" in text, desc
    assert "summary.json" in text


def test_the_caller_s_callback_replaces_the_outer_bar_only(monkeypatch, district):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    ge.options.progress = True
    seen: list[str] = []
    with pytest.warns(GeoEnvWarning, match="farmland"):
        ge.analyze(district, progress=seen.append)
    assert seen == ["waste", "sewage", "livestock", "indicators"]
    text = err.getvalue()
    assert "analysing:" not in text                     # announced by the callback instead
    assert "sewage:" in text                            # the sewage pipeline's own steps


def test_reading_a_project_shows_each_layer(monkeypatch, tmp_path):
    project = write_project(tmp_path / "p")
    seen: list[str] = []
    ge.load_project(project, progress=seen.append)
    assert seen == ["villages", "transfer_stations", "roads", "checking"]


def test_the_cli_shows_bars_unless_quiet(monkeypatch, tmp_path, capsys):
    project = write_project(tmp_path / "p")
    monkeypatch.setenv(_progress.ENV_VAR, "1")
    assert cli.main(["run", str(project), "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "reading layers:" in err                     # the bar over the layers
    assert "analysing: waste" in err                    # the CLI's lines …
    assert not re.search(r"analysing:\s+\d+%\|", err)  # … and no bar of the same steps
    assert cli.main(["-q", "run", str(project), "--out", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert "reading layers" not in err and "%|" not in err
    monkeypatch.setenv(_progress.ENV_VAR, "sometimes")
    assert cli.main(["run", str(project), "--out", str(tmp_path / "c")]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == [f"error: the environment variable {_progress.ENV_VAR}='sometimes' is not one of 0, 1, off, on, "
                      f"auto. Set {_progress.ENV_VAR}=0 to silence the progress bars, 1 to show them, or unset it."]
    assert _progress._CALL.get() is None                # no switch left behind


def test_import_geo_env_imports_neither_tqdm_nor_matplotlib():
    code = "import sys, geo_env\nprint(sorted(m for m in ('tqdm', 'matplotlib', 'geopandas') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "[]", r.stderr
