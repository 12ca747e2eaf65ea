"""Layers in a PostgreSQL/PostGIS database, and plan layers written back to one.

A county's data often lives in PostGIS.  A project names a layer by
``url = "postgresql://user@host:5432/db"`` and either ``table = "schema.table"`` or
``sql = "SELECT …"``; the layer then goes through the same column, value and geometry checks
as a file (:func:`geo_env.io.layers.read_layer`).

Credentials come from the environment, never from the project file: libpq's ``PGPASSWORD``
(or ``~/.pgpass``, ``PGUSER``, ``PGSSLMODE`` …).  A URL carrying a password is refused — a
project file is copied, mailed and backed up — and no message, log or output repeats a URL
with its password.

The database is reached through SQLAlchemy with the psycopg (3) driver and GeoAlchemy2 for
writing (extra ``postgis``: ``pip install "geo_env[postgis]"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd

from ..errors import InputFileNotFoundError, LayerNotFoundError, OutputError, ProjectFileError, closest

__all__ = ["is_database_url", "check_url", "display_url", "read_postgis_frame", "write_postgis"]

_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgis")
_IDENT = re.compile(r'^(?:"[^"]+"|[^".\s]+)(?:\.(?:"[^"]+"|[^".\s]+))?$')


def is_database_url(value: str) -> bool:
    """Whether ``value`` is a PostgreSQL URL (``postgresql://…``)."""
    return urlsplit(str(value)).scheme.lower() in _SCHEMES


def check_url(url: str, *, where: str, file: str | None = None) -> None:
    """Refuse a URL that is no PostgreSQL URL, or that carries a password."""
    parts = urlsplit(str(url))
    if parts.scheme.lower() not in _SCHEMES:
        raise ProjectFileError(f"{where} url must start with postgresql://", file=file,
                               hint='write url = "postgresql://user@host:5432/database"')
    in_query = any(k.strip().lower() == "password" for k in parse_qs(parts.query, keep_blank_values=True))
    if parts.password is not None or in_query:
        raise ProjectFileError(
            f"{where} url carries a password: geo_env refuses to read it from a project file", file=file,
            hint="remove it from the url and set the environment variable PGPASSWORD (or use ~/.pgpass); "
                 "project files are copied, mailed and backed up")
    try:
        parts.port  # noqa: B018 - urllib checks the port only when it is read
    except ValueError:
        raise ProjectFileError(f"{where} url has a port that is no number", file=file,
                               hint='write url = "postgresql://user@host:5432/database"') from None


def display_url(url: str) -> str:
    """The URL as messages show it: scheme, user, host, port and database, never a password."""
    p = urlsplit(str(url))
    user = f"{p.username}@" if p.username else ""
    try:
        port = f":{p.port}" if p.port else ""
    except ValueError:
        port = ""
    return f"postgresql://{user}{p.hostname or ''}{port}{p.path}"


@contextmanager
def _engine(url: str, *, label: str | None) -> Iterator[Any]:
    """A SQLAlchemy engine on ``url`` (psycopg driver), disposed afterwards."""
    missing = InputFileNotFoundError(
        "reading or writing PostGIS needs SQLAlchemy, GeoAlchemy2 and psycopg", file=display_url(url), layer=label,
        hint='install them: pip install "geo_env[postgis]"')
    try:
        import geoalchemy2  # noqa: F401 - GeoPandas' to_postgis needs it
        import sqlalchemy

        p = urlsplit(str(url))
        engine = sqlalchemy.create_engine(p._replace(scheme="postgresql+psycopg").geturl())  # imports psycopg
    except ImportError:
        raise missing from None
    try:
        yield engine
    finally:
        engine.dispose()


def _connect_error(exc: Exception, url: str, label: str | None) -> InputFileNotFoundError:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputFileNotFoundError(
        f"cannot read from the database ({text})", file=display_url(url), layer=label,
        hint="check the server and the url; the password comes from PGPASSWORD or ~/.pgpass")


def read_postgis_frame(url: str, *, table: str | None = None, sql: str | None = None,
                       label: str | None = None) -> gpd.GeoDataFrame:
    """The rows of ``table`` (``schema.table`` or ``table``) or of the query ``sql``, with
    their geometry column and its SRID as CRS (no SRID: no CRS, as a file without .prj)."""
    if (table is None) == (sql is None):
        raise ProjectFileError("a database layer needs either table or sql", file=display_url(url), layer=label,
                               hint='add table = "schema.table" or sql = "SELECT …"')
    with _engine(url, label=label) as engine:
        import sqlalchemy

        try:
            with engine.connect() as con:
                if table is not None:
                    query, geom = _table_query(con, table, url, label)
                else:  # a query copied from pgAdmin ends in ";", which no subquery takes
                    query = str(sql).strip().rstrip(";").rstrip()
                    geom = _query_geometry(con, query, url, label)
                return gpd.read_postgis(sqlalchemy.text(query), con, geom_col=geom)
        except (LayerNotFoundError, InputFileNotFoundError):
            raise
        except sqlalchemy.exc.SQLAlchemyError as exc:
            raise _connect_error(exc, url, label) from None


def _table_query(con: Any, table: str, url: str, label: str | None) -> tuple[str, str]:
    """``SELECT * FROM "schema"."table"`` and its geometry column, from ``geometry_columns``."""
    import sqlalchemy

    if not _IDENT.match(table.strip()):
        raise ProjectFileError(f"table = {table!r} is no table name", file=display_url(url), layer=label,
                               hint='write table = "schema.table" (or use sql = "SELECT …")')
    parts = [s.strip('"') for s in re.findall(r'"[^"]+"|[^".]+', table.strip())]
    schema, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
    rows = con.execute(sqlalchemy.text(
        "SELECT f_table_schema, f_table_name, f_geometry_column FROM geometry_columns")).fetchall()
    hit = [r for r in rows if r[1] == name and (schema is None or r[0] == schema)]
    if not hit:
        known = [f"{r[0]}.{r[1]}" for r in rows]
        near = closest(table, known) or closest(name, [r[1] for r in rows])
        raise LayerNotFoundError(
            f"no table with geometry named {table!r} (tables: {', '.join(known[:20]) or 'none'})",
            file=display_url(url), layer=label, hint=f"did you mean {near!r}?" if near else
            "give schema.table of a table with a geometry column, or use sql = \"SELECT …\"")
    schemas = sorted({str(r[0]) for r in hit})
    if len(schemas) > 1:
        raise LayerNotFoundError(f"{table!r} is in several schemas ({', '.join(schemas)})",
                                 file=display_url(url), layer=label, hint='write table = "schema.table"')
    if len(hit) > 1:
        geoms = ", ".join(str(r[2]) for r in hit)
        raise LayerNotFoundError(f"{table!r} has several geometry columns ({geoms})", file=display_url(url),
                                 layer=label, hint=f'use sql = "SELECT … FROM {hit[0][0]}.{hit[0][1]}" selecting '
                                 "one geometry column")
    s, t, g = hit[0]
    return f'SELECT * FROM "{s}"."{t}"', str(g)


def _query_geometry(con: Any, sql: str, url: str, label: str | None) -> str:
    """The geometry column of a query's result (its only column of type geometry)."""
    import sqlalchemy

    res = con.execute(sqlalchemy.text(f"SELECT * FROM ({sql}) AS geo_env_q LIMIT 0"))
    types = dict(con.execute(sqlalchemy.text(
        "SELECT oid, typname FROM pg_type WHERE typname IN ('geometry', 'geography')")).fetchall())
    cols = [d[0] for d in res.cursor.description if d[1] in types]
    if len(cols) != 1:
        raise ProjectFileError(
            f"the query returns {len(cols)} geometry columns" + (f" ({', '.join(cols)})" if cols else ""),
            file=display_url(url), layer=label, hint="select exactly one geometry column")
    return str(cols[0])


def write_postgis(url: str, layers: Mapping[str, gpd.GeoDataFrame], *, schema: str) -> list[str]:
    """Write ``layers`` into ``schema`` (created if missing), replacing tables of the same
    names, in one transaction: all or nothing.  Returns ``schema.table`` of each."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", schema):
        raise OutputError(f"schema {schema!r} is no plain SQL name", file=display_url(url),
                          hint="use letters, digits and underscores, e.g. geo_env_plan")
    with _engine(url, label=schema) as engine:
        import sqlalchemy

        try:
            with engine.begin() as con:
                con.execute(sqlalchemy.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                for name, gdf in layers.items():
                    gdf.to_postgis(name, con, schema=schema, if_exists="replace", index=False)
        except sqlalchemy.exc.SQLAlchemyError as exc:
            text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise OutputError(f"cannot write to the database ({text})", file=display_url(url),
                              hint="check the server, the url and the role's rights on the schema") from None
    return [f"{schema}.{name}" for name in layers]
