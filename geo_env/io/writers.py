"""Atomic output writes: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

__all__ = ["atomic_path", "write_text", "write_bytes", "write_gpkg", "GpkgLayerMeta", "GpkgStyle"]


@dataclass(frozen=True)
class GpkgStyle:
    """One QGIS style of a layer: its name, QML document and description."""

    name: str
    qml: str
    description: str = ""


@dataclass(frozen=True)
class GpkgLayerMeta:
    """What ``plan.gpkg`` says about one layer besides its features: a description
    (``gpkg_contents``), column aliases (``gpkg_data_columns``) and QGIS styles
    (``layer_styles``, the first one the default)."""

    description: str = ""
    aliases: Mapping[str, str] = field(default_factory=dict)
    styles: Sequence[GpkgStyle] = ()


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    On error the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers (GDAL, openpyxl) want to create the file themselves
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        for leftover in (tmp_path, Path(str(tmp_path) + "-journal"), Path(str(tmp_path) + "-wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def write_text(target: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically; return ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write bytes atomically; return ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_gpkg(target: str | Path, layers: Mapping[str, gpd.GeoDataFrame],
               meta: Mapping[str, GpkgLayerMeta] | None = None) -> Path:
    """Write several layers into one GeoPackage atomically, with each layer's ``meta`` (its
    description, column aliases and QGIS styles); return ``target``."""
    with atomic_path(target) as tmp:
        for name, gdf in layers.items():
            gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        if meta:
            _write_meta(tmp, {k: m for k, m in meta.items() if k in layers}, layers)
    return Path(target)


#: The table QGIS reads styles from (as QGIS itself creates it in a GeoPackage).
_LAYER_STYLES = """CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
    f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
    useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""
#: The GeoPackage schema extension's column table (GeoPackage 1.3, F.9).
_DATA_COLUMNS = """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
    mime_type TEXT, constraint_name TEXT,
    CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))"""
_EXTENSIONS = """CREATE TABLE IF NOT EXISTS gpkg_extensions (
    table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
    scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"""
_SCHEMA_EXT = "http://www.geopackage.org/spec130/#extension_schema"


def _write_meta(path: Path, meta: Mapping[str, GpkgLayerMeta], layers: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Descriptions, aliases (names unique within a layer) and styles into the GeoPackage."""
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(_LAYER_STYLES)
            con.execute(_DATA_COLUMNS)
            con.execute(_EXTENSIONS)
            for ext_table in ("gpkg_data_columns",):
                con.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')",
                            (ext_table, _SCHEMA_EXT))
            for name, m in meta.items():
                row = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                                  (name,)).fetchone()
                geom = row[0] if row else layers[name].geometry.name
                con.execute("UPDATE gpkg_contents SET description = ? WHERE table_name = ?", (m.description, name))
                used: set[str] = set()
                for column, alias in m.aliases.items():
                    text = alias if alias not in used else f"{alias} ({column})"
                    used.add(text)
                    con.execute("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title) "
                                "VALUES (?, ?, ?, ?)", (name, column, text, text))
                for k, st in enumerate(m.styles):
                    con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner) "
                                "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, 'geo_env')",
                                (name, geom, st.name, st.qml, k == 0, st.description))
    finally:
        con.close()
