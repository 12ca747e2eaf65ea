"""Layers from a real PostgreSQL/PostGIS server, and a plan written back to it (issue 15).

The server is started by the fixture (tests/_postgis.py) in a temporary folder on a free
local port; no mocks.  The password reaches geo_env only through PGPASSWORD.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import sqlalchemy

import geo_env as ge
from _postgis import PASSWORD, postgis_server, skip_or_fail_without_postgis
from geo_env.errors import InputFileNotFoundError, LayerNotFoundError, OutputError, ProjectFileError

from builders import grid_villages, planner_villages, write_project

pytestmark = pytest.mark.slow

COLS = '{ id = "CUN_DM", name = "CUN_MC", township = "XZ_MC", population = "RK", households = "HS" }'


@pytest.fixture(scope="module")
def server():
    skip_or_fail_without_postgis()
    with postgis_server() as s:
        engine = sqlalchemy.create_engine(s.url.replace("postgresql://geo@", f"postgresql+psycopg://geo:{PASSWORD}@"))
        v = planner_villages(grid_villages())
        with engine.begin() as con:
            con.execute(sqlalchemy.text('CREATE SCHEMA "基础数据"'))
        v.to_postgis("村庄", engine, schema="基础数据")
        v.to_crs(4548).to_postgis("villages_gk", engine)  # in CGCS2000 / 3° GK CM 117E
        engine.dispose()
        yield s


@pytest.fixture()
def password(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", PASSWORD)


def _project(tmp_path, url, table_line):
    proj = write_project(tmp_path, stations=False)
    text = proj.read_text(encoding="utf-8").replace(
        'path = "villages.shp"', f'url = "{url}"\n{table_line}').replace(
        "columns = { id = \"CUN_DM\", name = \"CUN_MC\", township = \"XZ_MC\", population = \"RK\", "
        "households = \"HS\" }", f"columns = {COLS}")
    proj.write_text(text, encoding="utf-8")
    return proj


def test_villages_from_postgis_equal_the_same_villages_from_a_file(server, password, tmp_path):
    from_file = ge.load_project(write_project(tmp_path / "file", stations=False))
    for table in ('"基础数据.村庄"', '"villages_gk"'):
        d = ge.load_project(_project(tmp_path / table.strip('"'), server.url, f"table = {table}"))
        a, b = d.villages, from_file.villages
        assert a["name"].tolist() == b["name"].tolist() and a["township"].tolist() == b["township"].tolist()
        assert a["population"].tolist() == b["population"].tolist()
        assert d.crs == from_file.crs
        assert np.allclose(a.geometry.area, b.geometry.area, rtol=1e-9)


def test_a_query_selects_the_rows(server, password, tmp_path):
    sql = 'sql = "SELECT * FROM \\"基础数据\\".\\"村庄\\" WHERE \\"XZ_MC\\" = \'石溪镇\'"'
    d = ge.load_project(_project(tmp_path, server.url, sql))
    assert set(d.villages["township"]) == {"石溪镇"} and d.villages["name"].tolist() == ["龙潭村", "枫树坪村", "河口村"]


def test_a_password_in_the_project_file_is_refused_and_never_repeated(server, tmp_path):
    url = server.url.replace("geo@", "geo:hunter2@")
    with pytest.raises(ProjectFileError, match="PGPASSWORD") as e:
        ge.load_project(_project(tmp_path, url, 'table = "villages_gk"'))
    assert "hunter2" not in str(e.value)


def test_a_wrong_password_and_an_unknown_table_say_what_to_do(server, monkeypatch, tmp_path):
    monkeypatch.setenv("PGPASSWORD", "wrong")
    with pytest.raises(InputFileNotFoundError, match="PGPASSWORD") as e:
        ge.load_project(_project(tmp_path / "a", server.url, 'table = "villages_gk"'))
    assert "wrong" not in str(e.value).replace("wrong password", "")
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    with pytest.raises(LayerNotFoundError, match="Did you mean 'public.villages_gk'"):
        ge.load_project(_project(tmp_path / "b", server.url, 'table = "villages_kg"'))


def test_the_plan_written_to_a_schema_replaces_its_tables_and_no_output_holds_the_password(
        server, password, tmp_path):
    d = ge.load_project(_project(tmp_path, server.url, 'table = "villages_gk"'))
    plan = ge.analyze(d)
    for _ in range(2):  # the second run replaces the tables
        names = plan.to_postgis(server.url, schema="plan_2025")
    assert "plan_2025.villages" in names
    engine = sqlalchemy.create_engine(server.url.replace("postgresql://", "postgresql+psycopg://"))
    back = gpd.read_postgis('SELECT * FROM plan_2025.villages', engine, geom_col="geometry")
    engine.dispose()
    assert len(back) == len(plan.villages)
    assert back["sewage_mode"].tolist() == plan.villages["sewage_mode"].tolist()
    assert back.crs == plan.villages.crs
    files = plan.save(tmp_path / "out")
    for f in files:
        assert PASSWORD.encode() not in f.read_bytes(), f
    with pytest.raises(OutputError, match="PGPASSWORD"):
        plan.to_postgis(server.url.replace("geo@", "geo:pw@"))


def test_a_batch_always_reruns_a_county_whose_layer_lives_in_the_database(server, password, tmp_path):
    # the rows behind a URL have no bytes to hash: a rerun that skipped the county would show
    # last run's figures after the database changed (a silent wrong answer)
    from geo_env import batch
    proj = _project(tmp_path / "甲县", server.url, 'sql = "SELECT * FROM villages_gk"')
    job = batch.CountyJob(county=batch.County(folder="甲县", project=proj), out=tmp_path / "out" / "甲县")
    assert batch.reads_database(proj)
    first = batch.run_county(job)
    assert first["status"] == "ok" and first["rerun"] is True
    engine = sqlalchemy.create_engine(server.url.replace("postgresql://geo@", f"postgresql+psycopg://geo:{PASSWORD}@"))
    try:
        with engine.begin() as con:
            con.execute(sqlalchemy.text('UPDATE villages_gk SET "RK" = "RK" + 100'))
        again = batch.run_county(job)
    finally:
        with engine.begin() as con:
            con.execute(sqlalchemy.text('UPDATE villages_gk SET "RK" = "RK" - 100'))
        engine.dispose()
    assert again["status"] == "ok" and again["rerun"] is True
    assert again["input_sha256"] == first["input_sha256"]  # the files did not change: only the rows did
    assert again["population"] == first["population"] + 100 * first["villages"]
    # a county of files only is still skipped when nothing changed
    files = batch.CountyJob(county=batch.County(folder="乙县", project=write_project(tmp_path / "乙县", stations=False)),
                            out=tmp_path / "out" / "乙县")
    assert not batch.reads_database(files.county.project)
    assert batch.run_county(files)["rerun"] is True and batch.run_county(files)["rerun"] is False


def test_url_mistakes_are_project_file_errors_without_a_server(tmp_path):
    base = "postgresql://geo@localhost:5432/county"
    for url, words in ((base + "?password=hunter2", "PGPASSWORD"), (base + "?sslmode=require&PASSWORD=hunter2",
                                                                  "PGPASSWORD"),
                       ("postgresql://geo@localhost:54x2/county", "port")):
        with pytest.raises(ProjectFileError, match=words) as e:
            ge.load_project(_project(tmp_path / str(len(url)), url, 'table = "villages_gk"'))
        assert "hunter2" not in str(e.value)


def test_without_the_postgis_extra_the_error_says_what_to_install(tmp_path, monkeypatch):
    import sys

    from geo_env.io.layers import read_database_layer

    for module in ("sqlalchemy", "geoalchemy2", "psycopg"):
        with monkeypatch.context() as m:
            m.setitem(sys.modules, module, None)  # import fails as if not installed
            with pytest.raises(InputFileNotFoundError, match=r'geo_env\[postgis\]'):
                read_database_layer("postgresql://geo@localhost:1/county", table="villages_gk", kind="villages")


def test_a_query_ending_in_a_semicolon_and_a_table_with_two_geometries(server, password, tmp_path):
    d = ge.load_project(_project(tmp_path / "a", server.url, 'sql = "SELECT * FROM villages_gk;  "'))
    assert len(d.villages) == 9
    engine = sqlalchemy.create_engine(server.url.replace("postgresql://geo@", f"postgresql+psycopg://geo:{PASSWORD}@"))
    with engine.begin() as con:
        con.execute(sqlalchemy.text("CREATE TABLE IF NOT EXISTS two_geoms AS SELECT *, ST_Centroid(geometry)::"
                                    "geometry(Point, 4548) AS centre FROM villages_gk"))
    engine.dispose()
    with pytest.raises(LayerNotFoundError, match="several geometry columns") as e:
        ge.load_project(_project(tmp_path / "b", server.url, 'table = "two_geoms"'))
    assert "centre" in str(e.value) and "sql" in str(e.value)
