"""Read planners' layer files into GeoDataFrames with canonical columns.

Formats: GeoPackage (``layer``), Shapefile (also inside a ``.zip``, read in place),
GeoJSON, KML, and CSV / XLSX point tables with ``x``/``y`` columns holding decimal
degrees, DMS strings (``116°00'30.5"``, ``N28°24'10"``, ``117度30分12.5秒``) or projected
metres.

Text encoding of Shapefiles: a declared encoding (``.cpg`` file, or a DBF language id of a
CJK code page) is used; otherwise the DBF bytes are decoded strictly as UTF-8 first and as
GB18030 (a superset of GBK and GB2312) next, so a GBK shapefile without ``.cpg`` reads
correctly instead of as Latin-1 mojibake. The ``encoding`` argument overrides all of this.
CSV files are detected the same way (UTF-8 with or without BOM, else GB18030).

:func:`read_layer` returns the layer in its own CRS (GCJ-02 / BD-09 inputs already
converted to WGS84); :func:`geo_env.load_project` reprojects every layer into the
district's working CRS.

What is read at all (checked before any reader opens a file, see
:func:`geo_env.io.checks._check_input`): regular files only (a folder, a named pipe or a
device such as ``/dev/zero`` is refused at once, never read); no empty (0-byte) files; at
most :data:`~geo_env.io.checks.MAX_LAYER_BYTES` (2 GiB) for a vector layer (a shapefile's
``.shp`` and ``.dbf`` together, a ``.zip``'s members unzipped),
:data:`~geo_env.io.checks.MAX_KML_BYTES` (256 MiB) for KML (a KMZ unzipped: LIBKML holds
the whole document in memory) and :data:`~geo_env.io.checks.MAX_TABLE_BYTES` (50 MiB) for
a CSV or an XLSX (unzipped): a table is read whole into memory, which takes about fifteen
times its size.  A zip member (also inside ``.kmz`` and ``.xlsx``) that would unzip to
more than :data:`~geo_env.io.checks.MAX_ZIP_RATIO` times its stored size is a zip bomb and
refused; members whose names point outside the zip (``../``) are ignored.  A KML declaring
XML entities (``<!DOCTYPE … [<!ENTITY …>]>``) is refused: GDAL would refuse it too, and
entities can pull in other files.  Each limit is a constant of :mod:`geo_env.io.checks`
(tests lower them there).

The reader's steps, one module each: :mod:`~geo_env.io.checks` (the file itself),
:mod:`~geo_env.io.vector` (GDAL: layers, zip members) or :mod:`~geo_env.io.tables`
(CSV/XLSX: header, coordinate columns), :mod:`~geo_env.io.encodings` (text encodings),
:mod:`~geo_env.io.coordinates` (coordinates, CRS), :mod:`~geo_env.io.geometry` (geometry
cleaning), :mod:`~geo_env.io.columns` (canonical columns, ids) and
:mod:`~geo_env.io.values` (numbers, blank cells, names).  This module keeps
:func:`read_layer`, the entry, and re-exports the readers' public names.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd

from .. import crs as _crs
from ..errors import EmptyLayerError, InputFileNotFoundError, ProjectFileError, closest
from . import checks as _checks
from ._messages import _row_labels
from .checks import MAX_KML_BYTES as MAX_KML_BYTES
from .checks import MAX_LAYER_BYTES as MAX_LAYER_BYTES
from .checks import MAX_TABLE_BYTES as MAX_TABLE_BYTES
from .checks import MAX_ZIP_RATIO as MAX_ZIP_RATIO
from .checks import TABLE_SUFFIXES, VECTOR_SUFFIXES
from .columns import ALIASES as ALIASES
from .columns import RESERVED_NAMES as RESERVED_NAMES
from .columns import SPECS, LayerSpec, _map_columns
from .coordinates import halfwidth as halfwidth
from .coordinates import parse_coordinate
from .encodings import _normalise_encoding, detect_encoding
from .geometry import _clean_geometries
from .tables import _read_table, read_table
from .values import BLANK_RULES as BLANK_RULES
from .values import BLANK_TEXTS as BLANK_TEXTS
from .values import _check_values, _clean_text
from .vector import _read_vector

# The names imported ``as`` themselves stay importable from here, where they were defined
# before the readers were split; the size limits are lowered in geo_env.io.checks.
__all__ = ["read_layer", "read_database_layer", "read_table", "LayerSpec", "SPECS", "parse_coordinate", "detect_encoding"]


def read_layer(
    path: str | Path,
    *,
    kind: str | None = None,
    layer: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
    coords: str | None = None,
    crs: Any = None,
    label: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one layer file; map, check and clean it.

    Parameters
    ----------
    path
        The file: ``.gpkg``, ``.shp``, ``.zip`` (a zipped shapefile, read in place),
        ``.geojson``/``.json``, ``.kml``, ``.csv``/``.txt``, ``.xlsx``.
    kind
        One of :data:`SPECS` (``"villages"``, ``"transfer_stations"`` …): enables the
        canonical columns, geometry-type, id and value checks of that layer. ``None`` reads
        the file as it is (geometry repaired, encoding detected, CRS checked).
    layer
        Layer name inside a GeoPackage / KML, or member name inside a ``.zip``.
    sheet
        Sheet name (or 0-based index) of an ``.xlsx`` file; default the first sheet.
    encoding
        Text encoding, overriding the declared or detected one.
    columns
        ``{canonical name: column in the file}``, e.g. ``{"population": "RK"}``.
    x, y
        Coordinate columns of a CSV/XLSX table (default: recognised names such as
        ``x``/``y``, ``lon``/``lat``, ``经度``/``纬度``).
    coords
        For geographic coordinates: ``"wgs84"`` (default), ``"cgcs2000"``, ``"gcj02"``
        (Amap, Tencent) or ``"bd09"`` (Baidu); GCJ-02/BD-09 are converted to WGS84.
    crs
        CRS of the coordinates when the file has none (``"EPSG:4527"``); overrides a
        file's own CRS with a warning.
    label
        How messages name the layer (default: ``kind``).

    Returns
    -------
    geopandas.GeoDataFrame
        In the file's CRS (EPSG:4326 for converted GCJ-02/BD-09), with a fresh
        ``RangeIndex``; canonical columns first, the file's other columns kept.
    """
    path = Path(path)
    fname = str(path)
    label = label or kind
    spec = SPECS.get(kind) if kind else None
    if kind is not None and spec is None:
        raise ValueError(f"unknown layer kind {kind!r}; one of {', '.join(SPECS)}")
    if coords is not None and coords not in _crs.COORDS:
        hint = closest(coords, _crs.COORDS)
        raise ProjectFileError(
            f"coords = {coords!r} is not one of {', '.join(_crs.COORDS)}", file=fname,
            layer=label, hint=f"did you mean {hint!r}?" if hint else None,
        )
    if encoding is not None and _normalise_encoding(encoding) is None:
        raise ProjectFileError(f"unknown encoding {encoding!r}", file=fname, layer=label,
                               hint='use e.g. "gbk" or "utf-8"')
    if not path.exists():
        near = closest(path.name, [p.name for p in path.parent.glob("*")]) if path.parent.is_dir() else None
        raise InputFileNotFoundError(
            "file not found", file=fname, layer=label,
            hint=(f"did you mean {near!r}?" if near else "check the path; relative paths are relative to the project file"),
        )
    suffix = path.suffix.lower()
    _checks._check_input(path, label=label)  # looked up when called: tests replace it
    if suffix in TABLE_SUFFIXES:
        gdf = _read_table(path, label=label, sheet=sheet, encoding=encoding, x=x, y=y,
                          coords=coords, crs=crs)
    elif suffix in VECTOR_SUFFIXES:
        if x or y:
            raise ProjectFileError("x/y columns are only for CSV/XLSX tables", file=fname, layer=label,
                                   hint="remove the x and y keys")
        gdf = _read_vector(path, label=label, layer=layer, encoding=encoding, coords=coords, crs=crs)
        gdf = gdf.reset_index(drop=True)
        gdf["_row"] = _row_labels(len(gdf))
    else:
        raise ProjectFileError(
            f"cannot read files of type '{path.suffix}'", file=fname, layer=label,
            hint="use GeoPackage, Shapefile (or zipped), GeoJSON, KML, FlatGeobuf, GeoParquet, a File Geodatabase (.gdb folder), CSV, XLSX or XLS",
        )
    return _finish(gdf, spec, columns, fname=fname, label=label)


def read_database_layer(
    url: str,
    *,
    table: str | None = None,
    sql: str | None = None,
    kind: str | None = None,
    columns: Mapping[str, str] | None = None,
    coords: str | None = None,
    crs: Any = None,
    label: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one layer from PostGIS (``table`` or ``sql``; :mod:`geo_env.io.postgis`) and map,
    check and clean it as :func:`read_layer` does a file.  The password comes from
    ``PGPASSWORD`` or ``~/.pgpass``; messages name the database without it."""
    from .coordinates import _assign_crs
    from .postgis import display_url, read_postgis_frame

    label = label or kind
    spec = SPECS.get(kind) if kind else None
    fname = display_url(url) + (f" {table}" if table else "")
    gdf = read_postgis_frame(url, table=table, sql=sql, label=label).reset_index(drop=True)
    gdf = _assign_crs(gdf, file=fname, label=label, coords=coords, crs=crs)
    gdf["_row"] = _row_labels(len(gdf))
    return _finish(gdf, spec, columns, fname=fname, label=label)


def _finish(gdf: gpd.GeoDataFrame, spec: LayerSpec | None, columns: Mapping[str, str] | None, *, fname: str,
            label: str | None) -> gpd.GeoDataFrame:
    """The common end of every reader: no empty layer, geometries cleaned, canonical columns
    mapped and checked, text cleaned."""
    gdf = gdf.reset_index(drop=True)
    if len(gdf) == 0:
        raise EmptyLayerError("the layer has no features", file=fname, layer=label,
                              hint="check the file, the layer or sheet name, or remove the layer")
    gdf = _clean_geometries(gdf, spec, file=fname, label=label)
    if gdf.geometry.name != "geometry":  # PostGIS's "geom", DuckDB's GeoParquet …: one name downstream
        gdf = gdf.drop(columns=[c for c in gdf.columns if c == "geometry"]).rename_geometry("geometry")
    if spec is not None:
        gdf = _map_columns(gdf, spec, columns or {}, file=fname, label=label)
        gdf = _check_values(gdf, spec, file=fname, label=label)
    elif columns:
        gdf = gdf.rename(columns={v: k for k, v in columns.items()})
    gdf = _clean_text(gdf, file=fname, label=label)
    return gdf.drop(columns="_row").reset_index(drop=True)
