"""What is read at all: the checks of an input file before any reader opens it.

Regular files only (a folder, a named pipe or a device such as ``/dev/zero`` is refused
at once, never read); no empty (0-byte) files; at most :data:`MAX_LAYER_BYTES` (2 GiB)
for a vector layer (a shapefile's ``.shp`` and ``.dbf`` together, a ``.zip``'s members
unzipped), :data:`MAX_KML_BYTES` (256 MiB) for KML (a KMZ unzipped: LIBKML holds the
whole document in memory) and :data:`MAX_TABLE_BYTES` (50 MiB) for a CSV or an XLSX
(unzipped): a table is read whole into memory, which takes about fifteen times its size.
A shapefile needs its ``.shx`` and ``.dbf``, and its ``.shp`` and ``.shx`` as long as
their headers say.  A zip member (also inside ``.kmz`` and ``.xlsx``) that would unzip to
more than :data:`MAX_ZIP_RATIO` times its stored size is a zip bomb and refused; members
whose names point outside the zip (``../``) are ignored.  A KML declaring XML entities
(``<!DOCTYPE … [<!ENTITY …>]>``) is refused: GDAL would refuse it too, and entities can
pull in other files.  Each limit is a constant of this module (tests lower them here);
tables are read through :func:`_read_bytes`, bounded by the same limit.
"""

from __future__ import annotations

import codecs
import re
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path

from ..errors import EmptyLayerError, GeoEnvError, InputFileNotFoundError

__all__ = ["VECTOR_SUFFIXES", "TABLE_SUFFIXES", "MAX_LAYER_BYTES", "MAX_KML_BYTES", "MAX_TABLE_BYTES",
           "MAX_ZIP_RATIO"]

#: The vector layer files read, by suffix (lower case).
VECTOR_SUFFIXES = (".gpkg", ".shp", ".zip", ".geojson", ".json", ".kml", ".kmz", ".fgb", ".gdb", ".parquet",
                   ".geoparquet")
#: The tables read (CSV/XLSX/XLS: points with x/y columns, or facts without geometry).
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")

#: Largest vector layer read (bytes): a GeoPackage, GeoJSON or FlatGeobuf file, a
#: shapefile's .shp and .dbf together, the unzipped members of a .zip.  2 GiB.
MAX_LAYER_BYTES = 2 * 1024**3
#: Largest KML read (bytes; a KMZ's members unzipped): LIBKML parses the whole document
#: into memory at several times its size.  256 MiB.
MAX_KML_BYTES = 256 * 1024**2
#: Largest CSV or XLSX table read (bytes; an XLSX's members unzipped): a table is read
#: whole into memory, at about fifteen times its size.  50 MiB (a county's tables are a
#: few hundred KB; Excel's 1 048 576 rows of a farm table are about 70 MB of CSV).
MAX_TABLE_BYTES = 50 * 1024**2
#: A zip member (also in .kmz and .xlsx) unzipping to more than this many times its stored
#: size is refused as a zip bomb.  Deflate reaches about 1030 on runs of one byte; real
#: layers and spreadsheets stay far below.  Only members of :data:`_ZIP_RATIO_FROM_BYTES`
#: or more (unzipped) are checked: small files of blanks are harmless.
MAX_ZIP_RATIO = 500
_ZIP_RATIO_FROM_BYTES = 16 * 1024**2
#: Bytes of a KML searched for a ``<!DOCTYPE>`` with entities (it precedes the root element).
_KML_HEAD_BYTES = 64 * 1024
#: The files of a shapefile besides its .shp (either case).
_SHAPEFILE_PARTS = (".dbf", ".DBF", ".shx", ".SHX", ".prj", ".PRJ", ".cpg", ".CPG")
#: The file types that are zip archives.
_ZIPPED = (".zip", ".kmz", ".xlsx", ".xlsm")


def _size_text(n: int) -> str:
    """``n`` bytes as Windows Explorer shows sizes (1 KB = 1024 bytes)."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"


def _limit_of(suffix: str) -> tuple[int, str]:
    """The size limit (bytes) for a file type, and what to do above it."""
    if suffix in TABLE_SUFFIXES:
        return MAX_TABLE_BYTES, "keep only the district's rows, or give the points as a GeoPackage or Shapefile"
    if suffix in (".kml", ".kmz"):
        return MAX_KML_BYTES, "clip it to the district and save it as GeoPackage (QGIS: Export ▸ Save Features As)"
    return MAX_LAYER_BYTES, "clip it to the district (QGIS: Vector ▸ Geoprocessing ▸ Clip) and save it as GeoPackage"


def _regular_size(path: Path, *, label: str | None, what: str = "layer file") -> int:
    """The size (bytes) of ``path``, which must be a regular file: a folder, a named pipe
    or a device is refused without being opened (reading a pipe waits for ever, a device
    such as /dev/zero never ends).  ``what`` names the file in the hint."""
    try:
        st = path.stat()  # follows symbolic links: a link to a device is a device
    except OSError as exc:
        raise InputFileNotFoundError(f"cannot be opened ({exc.strerror})", file=str(path), layer=label,
                                     hint="check the path and that the file can be read") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileNotFoundError("is a folder, not a file", file=str(path), layer=label,
                                     hint=f"give the path of the {what} inside it")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device")
        raise InputFileNotFoundError(f"is {kind}, not a regular file; geo_env does not read it",
                                     file=str(path), layer=label, hint=f"give the path of the {what} itself")
    return st.st_size


def _too_big(path: Path, size: int, *, label: str | None, unzipped: bool = False) -> GeoEnvError:
    limit, todo = _limit_of(path.suffix.lower())
    what = ("the file unzips to" if unzipped else "the shapefile (.shp and .dbf) is" if path.suffix.lower() == ".shp"
            else "the file is")
    return GeoEnvError(f"{what} {_size_text(size)}, more than geo_env reads ({_size_text(limit)})",
                       file=str(path), layer=label, hint=todo)


def _check_input(path: Path, *, label: str | None) -> None:
    """Refuse, before any reader opens it, a layer file that is no regular file, is empty,
    is larger than its limit, is a zip bomb, or is a KML declaring XML entities."""
    suffix = path.suffix.lower()
    if suffix not in (*TABLE_SUFFIXES, *VECTOR_SUFFIXES):
        return  # read_layer says which types it reads
    if suffix == ".gdb":
        size = _gdb_size(path, label=label)
    else:
        size = _regular_size(path, label=label)
    if size == 0:
        raise EmptyLayerError("the file is empty (0 bytes)", file=str(path), layer=label,
                              hint="copy it again from its source: the copy probably failed")
    if suffix == ".shp":
        parts = [p for p in (path.with_suffix(e) for e in _SHAPEFILE_PARTS) if p.exists() or p.is_symlink()]
        sizes = {p.suffix.lower(): _regular_size(p, label=label) for p in parts}
        size += sizes.get(".dbf", 0)
        _check_shapefile_parts(path, {p.suffix.lower(): p for p in parts}, label=label)
    if size > _limit_of(suffix)[0]:
        raise _too_big(path, size, label=label)
    if suffix in _ZIPPED:
        _check_zip(path, label=label)
    elif suffix == ".kml":
        with open(path, "rb") as fh:
            _check_kml_head(fh.read(_KML_HEAD_BYTES), path=path, label=label)


def _gdb_size(path: Path, *, label: str | None) -> int:
    """The size (bytes) of the largest table of an Esri File Geodatabase (a folder ``*.gdb``
    of ``.gdbtable`` files, one per layer): a county's geodatabase of many layers may be
    large while the layer read is small; the limit is a layer's."""
    if not path.is_dir():
        raise InputFileNotFoundError(
            "is not a File Geodatabase folder", file=str(path), layer=label,
            hint="a File Geodatabase is a folder whose name ends in .gdb: give the folder's path (copy the "
                 "whole folder), or export the layer to GeoPackage")
    files = [p for p in path.iterdir() if p.is_file()]
    if not any(p.suffix.lower() == ".gdbtable" for p in files):
        raise InputFileNotFoundError(
            "the .gdb folder holds no .gdbtable files: it is no File Geodatabase, or only part of it was copied",
            file=str(path), layer=label, hint="copy the whole .gdb folder again from its source")
    return max(p.stat().st_size for p in files if p.suffix.lower() == ".gdbtable")


def _check_shapefile_parts(path: Path, parts: Mapping[str, Path], *, label: str | None) -> None:
    """A shapefile needs its .shx and .dbf, each whole: without the .dbf GDAL reads shapes
    without attributes (then "no column 'CUN_DM'"), a cut .shp or .shx reads as features
    without geometry.  The length that the .shp and .shx headers declare (bytes 24–27,
    big-endian, in 16-bit words) must be there."""
    for ext, what in ((".dbf", "its attribute table"), (".shx", "its index")):
        if ext not in parts:
            raise InputFileNotFoundError(
                f"the shapefile has no {ext} file ({what})", file=str(path), layer=label,
                hint=f"copy {path.with_suffix(ext).name} together with {path.name} (a shapefile is several "
                     f"files: .shp, .shx, .dbf, .prj, .cpg), or send the layer as GeoPackage or zipped")
    for ext in (".shp", ".shx"):
        part = parts.get(ext, path)
        with open(part, "rb") as fh:
            head = fh.read(28)
        declared = int.from_bytes(head[24:28], "big") * 2 if len(head) == 28 else 0
        actual = part.stat().st_size
        if len(head) < 28 or actual < declared:
            raise InputFileNotFoundError(
                f"{part.name} is incomplete ({actual:,} of {declared:,} bytes): it was copied or "
                f"downloaded only in part", file=str(path), layer=label,
                hint="copy the shapefile's files again from their source")


def _check_zip(path: Path, *, label: str | None) -> None:
    """A zip, KMZ or XLSX whose members would unzip beyond the file type's limit or at a
    zip bomb's ratio is refused (from the sizes its directory declares, before unzipping)."""
    excel = path.suffix.lower() in (".xlsx", ".xlsm")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InputFileNotFoundError(
            "is not a valid Excel file (an .xlsx is a zip archive; this one is damaged)" if excel
            else "is not a valid zip file", file=str(path), layer=label,
            hint="copy it again from its source, or open and save it again") from None
    with zf:
        infos = zf.infolist()
        for info in infos:
            if info.file_size >= _ZIP_RATIO_FROM_BYTES and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                raise GeoEnvError(
                    f"the zip member '{info.filename}' would unzip to {_size_text(info.file_size)} from "
                    f"{_size_text(info.compress_size)} ({info.file_size / max(info.compress_size, 1):,.0f} times, "
                    f"more than {MAX_ZIP_RATIO}): a damaged or malicious archive (zip bomb)", file=str(path),
                    layer=label, hint="get the file again from its source; do not unzip it")
        total = sum(info.file_size for info in infos)
        if total > _limit_of(path.suffix.lower())[0]:
            raise _too_big(path, total, label=label, unzipped=True)
        for info in infos:
            if info.filename.lower().endswith(".kml") and not _unsafe_member(info.filename):
                with zf.open(info) as fh:
                    _check_kml_head(fh.read(_KML_HEAD_BYTES), path=path, label=label, member=info.filename)


def _unsafe_member(name: str) -> bool:
    """A zip member name pointing outside the zip (``../x.shp``, ``/x.shp``, ``C:\\x.shp``)."""
    parts = re.split(r"[\\/]", name)
    return name.startswith(("/", "\\")) or ".." in parts or bool(re.match(r"[A-Za-z]:", name))


def _check_kml_head(head: bytes, *, path: Path, label: str | None, member: str | None = None) -> None:
    """A KML whose ``<!DOCTYPE>`` declares entities (``<!ENTITY …>``: external ones read
    other files, nested ones expand without end) is refused with a clear message."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    root = head.find(b"<kml")
    prolog = head if root < 0 else head[:root]
    if b"<!ENTITY" in prolog:
        where = f" ('{member}' in the archive)" if member else ""
        raise GeoEnvError(
            f"the KML{where} declares XML entities in a <!DOCTYPE …> header; geo_env does not read such files "
            f"(entities can pull in other files or expand without end)", file=str(path), layer=label,
            hint="delete the <!DOCTYPE …> header at the top of the file, or save it again from Google Earth or QGIS")


def _read_head(path: Path, n: int) -> bytes:
    """The first ``n`` bytes of a (regular, checked) file."""
    with open(path, "rb") as fh:
        return fh.read(n)


def _read_bytes(path: Path, *, label: str | None) -> bytes:
    """The whole of a CSV/TXT table, refused beyond :data:`MAX_TABLE_BYTES` (read bounded:
    a file that grows while read, or is no regular file, is never read without end)."""
    _regular_size(path, label=label)
    data = _read_head(path, MAX_TABLE_BYTES + 1)
    if len(data) > MAX_TABLE_BYTES:
        raise _too_big(path, path.stat().st_size, label=label)
    return data
