"""Vector files read with GDAL (pyogrio): the layer or zip member, the DBF's encoding.

A GeoPackage or KML with several layers needs ``layer``; a ``.zip`` is read in place
(``/vsizip/``), its one layer or the member named by ``layer`` (members whose names point
outside the zip are ignored, warned).  A shapefile's text is decoded by
:mod:`geo_env.io.encodings` (GDAL reads it as Latin-1); the layer's CRS is checked and
assigned by :mod:`geo_env.io.coordinates`.  GDAL's errors become input errors that name
the file (a damaged or cut-short file is named as such).
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..errors import GeometryTypeError, InputFileNotFoundError, LayerNotFoundError, closest, format_rows
from ._messages import _warn
from .checks import _read_head, _unsafe_member
from .coordinates import _assign_crs
from .encodings import _dbf_encoding, _recode

__all__: list[str] = []  # geo_env.io.layers.read_layer reads vector files with _read_vector

#: Bytes of a DBF read for its encoding: the header (< 64 KiB) and the 8 MB that
#: :func:`_dbf_text` samples.
_DBF_HEAD_BYTES = 16 * 1024**2


def _read_vector(path: Path, *, label: str | None, layer: str | None, encoding: str | None,
                 coords: str | None, crs: Any) -> gpd.GeoDataFrame:
    """A vector file (or a zip member) read with GDAL, its text decoded, its CRS assigned
    and checked (see :func:`geo_env.io.coordinates._assign_crs`)."""
    import pyogrio

    fname = str(path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".geoparquet"):
        return _assign_crs(_read_parquet(path, label=label), file=fname, label=label, coords=coords, crs=crs)
    source, dbf, cpg = _source(path, layer, label)
    if suffix == ".zip":
        layer = None
    layer = _choose_layer(source, path, layer, label=label)
    read_kwargs: dict[str, Any] = {}
    enc = None
    if dbf is not None:
        enc = _dbf_encoding(dbf, cpg, encoding, file=fname, label=label)
        # GDAL reads the bytes 1:1 as Latin-1; geo_env decodes them (see _recode)
        read_kwargs["encoding"] = "ISO-8859-1"
    elif encoding is not None and suffix not in (".gpkg", ".geojson", ".json", ".kml", ".kmz", ".fgb", ".gdb"):
        read_kwargs["encoding"] = encoding
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's own encoding notes
            gdf = pyogrio.read_dataframe(source, layer=layer, **read_kwargs)
    except Exception as exc:  # GDAL's errors are not typed: report them as input errors
        raise _unreadable(exc, path, label=label) from None
    if enc is not None and isinstance(gdf, pd.DataFrame):
        gdf = _recode(gdf, enc, file=fname)
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name is None:
        raise GeometryTypeError("the file has no geometry", file=fname, layer=label,
                                hint="for a table of points use CSV/XLSX with x and y columns")
    return _assign_crs(gdf, file=fname, label=label, coords=coords, crs=crs)


def _read_parquet(path: Path, *, label: str | None) -> gpd.GeoDataFrame:
    """A GeoParquet file (geometry in its ``geo`` metadata), read with pyarrow."""
    fname = str(path)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputFileNotFoundError(
            "reading GeoParquet needs the pyarrow package", file=fname, layer=label,
            hint="install it: pip install \"geo_env[parquet]\" (or pip install pyarrow)") from None
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:  # no geo metadata: a plain Parquet table
        if "geo" in str(exc).lower() or "geometry" in str(exc).lower():
            raise GeometryTypeError(f"the Parquet file has no GeoParquet geometry ({exc})", file=fname,
                                    layer=label, hint="write it with GeoPandas' to_parquet, or give the points as "
                                    "CSV/XLSX with x and y columns") from None
        raise _unreadable(exc, path, label=label) from None
    except OSError as exc:  # damaged or cut short
        raise _unreadable(exc, path, label=label) from None


def _source(path: Path, layer: str | None, label: str | None) -> tuple[str, bytes | None, bytes | None]:
    """What GDAL opens (the file, or a ``.zip``'s member), and the start of the shapefile's
    DBF and its ``.cpg`` (None when it is no shapefile or they are absent)."""
    if path.suffix.lower() == ".zip":
        return _zip_member(path, layer, label)
    dbf: bytes | None = None
    cpg: bytes | None = None
    if path.suffix.lower() == ".shp":
        for ext in (".dbf", ".DBF"):
            if path.with_suffix(ext).exists():
                dbf = _read_head(path.with_suffix(ext), _DBF_HEAD_BYTES)
                break
        for ext in (".cpg", ".CPG"):
            if path.with_suffix(ext).exists():
                cpg = _read_head(path.with_suffix(ext), 4096)
                break
    return str(path), dbf, cpg


def _choose_layer(source: str, path: Path, layer: str | None, *, label: str | None) -> str | None:
    """The layer of a GeoPackage, KML or File Geodatabase to read: ``layer``, which it must
    have, or its only one; for other files ``layer`` as given."""
    import pyogrio

    suffix = path.suffix.lower()
    fname = str(path)
    try:
        layers = ([str(n) for n in pyogrio.list_layers(source)[:, 0]] if suffix in (".gpkg", ".kml", ".kmz", ".gdb")
                  else [])
    except Exception as exc:  # GDAL's errors are not typed: a damaged file fails here first
        raise _unreadable(exc, path, label=label) from None
    if layers:
        if layer is None:
            if len(layers) > 1:
                raise LayerNotFoundError(
                    f"the file has {len(layers)} layers: {', '.join(layers)}", file=fname,
                    layer=label, hint='name one with layer = "…"',
                )
            layer = layers[0]
        elif layer not in layers:
            near = closest(layer, layers)
            raise LayerNotFoundError(
                f"no layer '{layer}' (layers: {', '.join(layers)})", file=fname, layer=label,
                hint=f"did you mean '{near}'?" if near else 'set layer = "…" to one of them',
            )
    return layer


#: GDAL's words for a file cut short or damaged (GeoPackage/SQLite, KML/expat, any driver).
_DAMAGED = ("malformed", "not a database", "no element found", "not well-formed", "unclosed token",
            "not recognized as being in a supported file format", "not a valid kmz", "error parsing kml",
            "truncated", "unexpected end")


def _unreadable(exc: Exception, path: Path, *, label: str | None) -> InputFileNotFoundError:
    """GDAL's error about ``path`` as an input error: damage is named as such."""
    detail = str(exc).split("; It might help", 1)[0].rsplit("failed: ", 1)[-1]  # not SQLite's query
    detail = " ".join(detail.replace(str(path), path.name).split()).rstrip(".")
    detail = "; ".join(dict.fromkeys(detail.split("; ")))  # GDAL repeats SQLite's message
    if any(w in detail.lower() for w in _DAMAGED):
        return InputFileNotFoundError(
            f"cannot be read: the file is damaged or incomplete (GDAL: {detail})", file=str(path), layer=label,
            hint="copy it again from its source (a copy cut short looks like this), or open it in QGIS and "
                 "save it again as GeoPackage")
    return InputFileNotFoundError(f"cannot be read: {detail}", file=str(path), layer=label,
                                  hint="open it in QGIS to check it; re-export it as GeoPackage if it is damaged")


def _zip_member(path: Path, member: str | None, label: str | None) -> tuple[str, bytes | None, bytes | None]:
    fname = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InputFileNotFoundError("not a valid zip file", file=fname, layer=label) from None
    with zf:
        names = [n for n in zf.namelist() if not _unsafe_member(n)]
        outside = [n for n in zf.namelist() if _unsafe_member(n)]
        if outside:
            _warn(f"{fname}: zip member(s) {format_rows(outside, 3)} ignored: their names point outside the zip")
        readable = [n for n in names if n.lower().endswith((".shp", ".gpkg", ".geojson", ".json", ".kml"))
                    and not n.startswith("__MACOSX")]
        if member is not None:
            if member not in readable:
                near = closest(member, readable)
                raise LayerNotFoundError(
                    f"no '{member}' in the zip (it has {', '.join(readable) or 'no layer'})",
                    file=fname, layer=label, hint=f"did you mean '{near}'?" if near else None,
                )
        else:
            if not readable:
                raise LayerNotFoundError("the zip holds no shapefile or other layer", file=fname, layer=label)
            if len(readable) > 1:
                raise LayerNotFoundError(
                    f"the zip holds several layers: {', '.join(readable)}", file=fname, layer=label,
                    hint='name one with layer = "…"',
                )
            member = readable[0]
        dbf = cpg = None
        if member.lower().endswith(".shp"):
            stem = member[:-4]
            lookup = {n.lower(): n for n in names}
            if (stem + ".dbf").lower() in lookup:
                with zf.open(lookup[(stem + ".dbf").lower()]) as fh:
                    dbf = fh.read(_DBF_HEAD_BYTES)
            if (stem + ".cpg").lower() in lookup:
                with zf.open(lookup[(stem + ".cpg").lower()]) as fh:
                    cpg = fh.read(4096)
    return f"/vsizip/{path.resolve()}/{member}", dbf, cpg
