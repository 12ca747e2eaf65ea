"""The project file's JSON Schema (issue 15): generated from the loader's own lists, it
accepts what the loader accepts and refuses what it refuses."""

from __future__ import annotations

import json
import sys

import jsonschema
import pytest

from geo_env import cli
from geo_env.io.schema import project_schema
from geo_env.sample import sample_dir
from geo_env.standards import PARAMETERS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture(scope="module")
def validator():
    schema = project_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _sample() -> dict:
    return tomllib.loads((sample_dir() / "project.toml").read_text(encoding="utf-8"))


def test_the_sample_project_and_the_template_are_valid(validator, tmp_path):
    assert list(validator.iter_errors(_sample())) == []
    assert cli.main(["init", str(tmp_path / "new")]) == 0
    text = (tmp_path / "new" / "project.toml").read_text(encoding="utf-8")
    assert text.startswith("#:schema ./project.schema.json\n")
    assert json.loads((tmp_path / "new" / "project.schema.json").read_text(encoding="utf-8")) == project_schema()
    assert list(validator.iter_errors(tomllib.loads(text))) == []


def test_every_parameter_is_described_with_its_source(validator):
    props = project_schema()["properties"]
    for (section, name), p in PARAMETERS.items():
        if section in ("roads", "villages"):  # options of their layer sections
            layer = "roads" if section == "roads" else "villages"
            entry = props["layers"]["properties"][layer]["properties"][name]
        else:
            entry = props[section]["properties"][name]
        assert p.source in entry["description"], (section, name)


@pytest.mark.parametrize("edit, where", [
    (lambda d: d["sewage"].update(sewer_cost=400), "sewage"),                          # unknown key
    (lambda d: d["waste"].update(service_radius_m="3 km"), "service_radius_m"),          # text for a number
    (lambda d: d["waste"].update(service_radius_m=-5), "service_radius_m"),              # below its limit
    (lambda d: d["layers"]["transfer_stations"].update(coords="gcj"), "coords"),         # no such system
    (lambda d: d["layers"]["villages"]["columns"].update(popultion="RK"), "columns"),     # misspelt canonical name
    (lambda d: d["layers"].update(wells={"path": "x.shp"}), "layers"),                   # no such layer
    (lambda d: d["layers"]["roads"].update(url="postgresql://u:pw@h/db"), "roads"),      # password, and path too
    (lambda d: d.update(phases=[{"name": "近期", "end_year": 2027}]), "phases"),          # no budget
    (lambda d: d["layers"].pop("villages"), "villages"),
])
def test_refused_edits_are_schema_errors_as_they_are_loader_errors(validator, edit, where, tmp_path):
    from geo_env.errors import GeoEnvError
    from geo_env.io.project import load_project

    d = _sample()
    d.setdefault("sewage", {})
    edit(d)
    errors = list(validator.iter_errors(d))
    assert errors, where
    assert any(where in json.dumps(list(e.absolute_path) + [e.message], ensure_ascii=False) for e in errors), \
        [e.message for e in errors]
    # the loader refuses the same file
    import shutil

    import tomli_w

    shutil.copytree(sample_dir(), tmp_path / "s")
    (tmp_path / "s" / "project.toml").write_bytes(tomli_w.dumps(d).encode("utf-8"))
    with pytest.raises(GeoEnvError):
        load_project(tmp_path / "s" / "project.toml")


def test_a_database_layer_is_valid_without_path(validator):
    d = _sample()
    d["layers"]["sewage_plants"] = {"url": "postgresql://planner@10.0.0.5:5432/county", "table": "基础数据.污水处理厂"}
    assert list(validator.iter_errors(d)) == []
    d["layers"]["sewage_plants"]["sql"] = "SELECT 1"
    assert list(validator.iter_errors(d))  # table and sql both


def test_the_cli_prints_the_schema(capsys, tmp_path):
    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == project_schema()
    assert cli.main(["-q", "schema", "--out", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8")) == project_schema()


def test_the_schema_redirected_from_a_gbk_console_is_utf8(tmp_path):
    # Chinese Windows: stdout redirected to a file is cp936; the schema's ² ³ − once came out
    # as GBK with ^2 ^3 ? — editors read a schema as UTF-8
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    with open(tmp_path / "s.json", "wb") as fh:
        r = subprocess.run([sys.executable, "-m", "geo_env", "schema"], stdout=fh, stderr=subprocess.PIPE, env=env,
                           timeout=120)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "s.json").read_bytes().decode("utf-8")
    assert json.loads(text) == project_schema()
    assert "³" in text


def test_init_keeps_an_existing_schema_file(tmp_path):
    (tmp_path / "project.schema.json").write_text("{}", encoding="utf-8")
    assert cli.main(["-q", "init", str(tmp_path)]) == 0
    assert (tmp_path / "project.schema.json").read_text(encoding="utf-8") == "{}"
    assert (tmp_path / "project.toml").read_text(encoding="utf-8").startswith("#:schema ./project.schema.json")
