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

What is read at all (checked before any reader opens a file, see :func:`_check_input`):
regular files only (a folder, a named pipe or a device such as ``/dev/zero`` is refused
at once, never read); no empty (0-byte) files; at most :data:`MAX_LAYER_BYTES` (2 GiB)
for a vector layer (a shapefile's ``.shp`` and ``.dbf`` together, a ``.zip``'s members
unzipped), :data:`MAX_KML_BYTES` (256 MiB) for KML (a KMZ unzipped: LIBKML holds the
whole document in memory) and :data:`MAX_TABLE_BYTES` (50 MiB) for a CSV or an XLSX
(unzipped): a table is read whole into memory, which takes about fifteen times its size.
A zip member (also inside ``.kmz`` and ``.xlsx``) that would unzip to more than
:data:`MAX_ZIP_RATIO` times its stored size is a zip bomb and refused; members whose
names point outside the zip (``../``) are ignored.  A KML declaring XML entities
(``<!DOCTYPE … [<!ENTITY …>]>``) is refused: GDAL would refuse it too, and entities can
pull in other files.  Each limit is a module constant (tests lower them).
"""

from __future__ import annotations

import codecs
import logging
import re
import stat
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import crs as _crs
from ..errors import (
    ColumnNotFoundError,
    CoordinateError,
    CRSError,
    DataValueError,
    DataWarning,
    DuplicateIdError,
    EmptyLayerError,
    EncodingError,
    GeoEnvError,
    GeometryTypeError,
    InputFileNotFoundError,
    LayerNotFoundError,
    ProjectFileError,
    closest,
    format_rows,
)

__all__ = ["read_layer", "read_table", "LayerSpec", "SPECS", "parse_coordinate", "detect_encoding"]

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".gpkg", ".shp", ".zip", ".geojson", ".json", ".kml", ".kmz", ".fgb")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


# ---------------------------------------------------------------------------------------
# what each layer kind needs
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerSpec:
    """The canonical columns and geometry types of one kind of layer."""

    kind: str
    geometry: tuple[str, ...]  # allowed shapely geometry families
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    id_prefix: str = ""

    @property
    def canonical(self) -> tuple[str, ...]:
        return ("id", "name", *self.required, *self.optional)


SPECS: dict[str, LayerSpec] = {
    # township, population and households may be missing (whole columns or cells): the
    # loader fills them by documented rules (geo_env.villages) and says what it could not
    "villages": LayerSpec(
        "villages", ("polygon", "point"),
        optional=("township", "population", "households", "farmland_mu", "settlement_area_ha", "natural_villages",
                  "anchor_x", "anchor_y", "level"),
        numeric=("population", "households", "farmland_mu", "settlement_area_ha", "natural_villages", "anchor_x",
                 "anchor_y"),
        id_prefix="V",
    ),
    "village_points": LayerSpec("village_points", ("point",), id_prefix="VP"),
    # a table without geometry: population, households … per village, joined by code or name
    "village_table": LayerSpec(
        "village_table", (),
        optional=("township", "population", "households", "farmland_mu", "settlement_area_ha", "natural_villages"),
        numeric=("population", "households", "farmland_mu", "settlement_area_ha", "natural_villages"),
    ),
    # township polygons (or a code table): names for townships known by code only
    "townships": LayerSpec("townships", ("polygon",), id_prefix="TS"),
    "transfer_stations": LayerSpec("transfer_stations", ("point",), id_prefix="T"),
    # a blank capacity is a plant that cannot take villages; a blank load is taken as 0
    "sewage_plants": LayerSpec(
        "sewage_plants", ("point",), optional=("capacity_m3_per_day", "load_m3_per_day"),
        numeric=("capacity_m3_per_day", "load_m3_per_day"),
        id_prefix="P",
    ),
    # a blank head is a farm whose pig equivalents are unknown (its setbacks are still checked)
    "livestock_farms": LayerSpec(
        "livestock_farms", ("point",), required=("species",), optional=("head",), numeric=("head",),
        id_prefix="F",
    ),
    "roads": LayerSpec("roads", ("line",), optional=("level",), id_prefix="R"),
    "water": LayerSpec("water", ("line", "polygon"), optional=("kind", "protection"), id_prefix="W"),
    "prohibited_zones": LayerSpec("prohibited_zones", ("polygon",), id_prefix="Z"),
    "farmland": LayerSpec("farmland", ("polygon",), id_prefix="L"),
}

#: Column names recognised without a ``columns`` mapping (exact match, case-insensitive).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "code", "编号", "代码", "编码", "村代码", "区划代码", "fid_code"),
    "name": ("name", "名称", "村名", "村名称", "站名", "厂名", "场名", "养殖场名称", "行政村"),
    "township": ("township", "town", "乡镇", "镇街", "乡镇街道", "乡镇（街道）", "所属乡镇", "镇"),
    "population": ("population", "pop", "人口", "户籍人口", "常住人口", "人口数"),
    "households": ("households", "户数", "总户数"),
    "farmland_mu": ("farmland_mu", "耕地面积", "耕地亩数", "耕地"),
    "settlement_area_ha": ("settlement_area_ha", "村庄建设用地", "建设用地面积", "居民点面积"),
    "natural_villages": ("natural_villages", "自然村数", "自然村个数", "自然村数量"),
    "capacity_m3_per_day": ("capacity_m3_per_day", "capacity", "设计规模", "处理规模", "规模"),
    "load_m3_per_day": ("load_m3_per_day", "load", "现状负荷", "实际处理量", "负荷"),
    "species": ("species", "畜种", "品种", "养殖种类"),
    "head": ("head", "存栏", "存栏量", "存栏数", "数量"),
    "level": ("level", "等级", "道路等级"),
    "kind": ("kind", "类型"),
}

#: Township names the township tables use for their total row.
RESERVED_NAMES = ("total", "合计", "总计")

_X_ALIASES = ("x", "lon", "lng", "long", "longitude", "point_x", "经度", "东经", "x坐标", "坐标x")
_Y_ALIASES = ("y", "lat", "latitude", "point_y", "纬度", "北纬", "y坐标", "坐标y")

_FAMILY = {
    "Point": "point", "MultiPoint": "point",
    "LineString": "line", "MultiLineString": "line", "LinearRing": "line",
    "Polygon": "polygon", "MultiPolygon": "polygon",
}


# ---------------------------------------------------------------------------------------
# encodings
# ---------------------------------------------------------------------------------------

# DBF language driver ids (byte 29) that name a code page unambiguously. 0x00 (none) and
# 0x57 ("ANSI", the writing machine's code page) say nothing and are treated as undeclared.
_LDID = {
    0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x4D: "gb18030", 0x4E: "cp949",
    0x4F: "cp950", 0x7A: "gb18030", 0x78: "cp950", 0x79: "cp949", 0x7B: "cp932",
    0x13: "cp932", 0x7C: "cp874", 0x64: "cp852", 0x65: "cp866", 0xC8: "cp1250",
    0xC9: "cp1251", 0xCA: "cp1254", 0xCB: "cp1253",
}
_CJK_CODECS = {"gb18030", "gbk", "gb2312", "cp936", "cp950", "big5", "cp949", "cp932"}


def _normalise_encoding(name: str) -> str | None:
    """Python codec name for an encoding label as found in .cpg files (None if unknown)."""
    label = name.strip().strip("\x00").lower().replace("_", "-")
    if not label:
        return None
    table = {"65001": "utf-8", "utf8": "utf-8", "936": "gb18030", "cp936": "gb18030",
             "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030", "54936": "gb18030",
             "950": "cp950", "big5": "cp950", "1252": "cp1252", "ansi 1252": "cp1252",
             "88591": "latin-1", "8859-1": "latin-1", "iso-8859-1": "latin-1"}
    label = table.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _strict(data: bytes, enc: str) -> str | None:
    try:
        return data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_cjk(text: str) -> bool:
    """True when every non-ASCII character of ``text`` is CJK text or CJK punctuation."""
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return False
    return all(
        unicodedata.name(c, "").startswith(("CJK", "FULLWIDTH", "IDEOGRAPHIC", "HALFWIDTH"))
        or "\u3000" <= c <= "\u303f"
        for c in non_ascii
    )


def detect_encoding(data: bytes, declared: str | None = None, *,
                    field_values: bool = False) -> tuple[str, str | None]:
    """Choose the text encoding of ``data``.

    Returns ``(python codec name, warning or None)``. A declared encoding is used unless
    its strict decoding fails, or it is a Western single-byte code page while the bytes are
    valid UTF-8 or GB18030 text made of CJK characters (a mislabelled Chinese file).
    Without a declaration: UTF-8 if the bytes decode strictly as UTF-8, else GB18030.
    ``field_values``: ``data`` are DBF values (see :func:`_dbf_text`), which may end inside
    a character where they fill their field.
    """
    if data.isascii():
        return (declared or "utf-8"), None
    utf8 = _strict(data, "utf-8")
    if utf8 is None and field_values and _decodes(data, "utf-8", allow_cut=True):
        utf8 = data.decode("utf-8", errors="ignore")
    gb = None if utf8 is not None else _strict(data, "gb18030")
    if declared:
        text = _strict(data, declared)
        if text is None and field_values and _decodes(data, declared, allow_cut=True):
            text = data.decode(declared, errors="ignore")
        if text is not None:
            if declared in _CJK_CODECS or declared in ("utf-8",):
                return declared, None
            if utf8 is not None and _looks_cjk(utf8):
                return "utf-8", f"declared encoding {declared} gives mojibake; read as UTF-8"
            if gb is not None and _looks_cjk(gb):
                return "gb18030", f"declared encoding {declared} gives mojibake; read as GBK/GB18030"
            return declared, None
        found = "utf-8" if utf8 is not None else ("gb18030" if gb is not None else None)
        if found:
            return found, f"declared encoding {declared} cannot decode the text; read as {found}"
        raise EncodingError(
            f"the text decodes neither as the declared {declared}, nor as UTF-8 or GBK",
            hint='set encoding = "…" in the layer\'s section of the project file',
        )
    if utf8 is not None:
        return "utf-8", None
    if gb is not None:
        return "gb18030", None
    raise EncodingError(
        "the text decodes neither as UTF-8 nor as GBK/GB18030",
        hint='set encoding = "…" (e.g. "big5") in the layer\'s section of the project file',
    )


_CUT_REASONS = ("unexpected end of data", "incomplete multibyte sequence")


def _decode_value(raw: bytes, enc: str, *, allow_cut: bool = True) -> tuple[str, int]:
    """Decode one DBF text value; 0 = clean, 1 = its last character was cut by the field
    width (dropped), 2 = undecodable bytes replaced by U+FFFD.

    A cut is only recognised where the bytes end in the middle of a valid multi-byte
    sequence (not where they are invalid: that is another encoding)."""
    try:
        return raw.decode(enc), 0
    except UnicodeDecodeError as exc:
        if allow_cut and exc.reason in _CUT_REASONS and exc.end == len(raw):
            try:
                return raw[: exc.start].decode(enc), 1
            except UnicodeDecodeError:
                pass
        return raw.decode(enc, errors="replace"), 2


def _decodes(text: bytes, enc: str, *, allow_cut: bool = False) -> bool:
    """``text`` (DBF values of full field width, separated by newlines) decodes in ``enc``.

    With ``allow_cut``, a value may end inside a character when it fills its field (no
    padding after it): ArcGIS cuts text to the field width in bytes."""
    if _strict(text, enc) is not None:
        return True
    try:
        codecs.lookup(enc)
    except LookupError:
        return False
    for piece in text.split(b"\n"):
        full = piece[-1:] not in (b" ", b"\x00", b"")
        if _decode_value(piece.rstrip(b" \x00"), enc, allow_cut=allow_cut and full)[1] == 2:
            return False
    return True


def _each_value_decodes(text: bytes) -> bool:
    """Every DBF value (``text`` as :func:`_dbf_text` gives it) decodes as UTF-8 or as GBK,
    though the whole does not in either: records of both encodings in one file."""
    return all(_decodes(piece, "utf-8", allow_cut=True) or _decodes(piece, "gb18030", allow_cut=True)
               for piece in text.split(b"\n"))


#: Non-ASCII signs that sit among Chinese text in planners' tables (degrees, primes, dots).
_WITH_CHINESE = set("°º˚′″’‘“”·—–…×±²³")


def _utf8_cjk(raw: bytes) -> str | None:
    """``raw`` as UTF-8 when it is valid UTF-8 holding Chinese text (CJK characters and
    the signs that go with them), else None.  GBK bytes that happen to be valid UTF-8 give
    Latin, Cyrillic or Greek letters (路 → ``·``, 谢一山 → ``лһɽ``), never this."""
    if raw.isascii():
        return None
    text = _strict(raw, "utf-8")
    if text is None:
        return None
    rest = "".join(c for c in text if ord(c) > 127 and c not in _WITH_CHINESE)
    return text if rest and _looks_cjk(rest) else None


def _text_columns(gdf: gpd.GeoDataFrame) -> list[Any]:
    """The columns of ``gdf`` that hold text (not the geometry)."""
    return [c for c in gdf.columns if c != gdf.geometry.name
            and (gdf[c].dtype == object or pd.api.types.is_string_dtype(gdf[c]))]


def _recode(gdf: gpd.GeoDataFrame, enc: str, *, file: str) -> gpd.GeoDataFrame:
    """Decode the text columns (and column names) of a layer GDAL read as Latin-1.

    In a GBK file, values that are valid UTF-8 Chinese text (records added by a program
    writing UTF-8; GBK text is practically never valid UTF-8) are decoded as UTF-8, rows
    named in a warning: read as GBK they would be garbled."""
    flags = np.zeros(len(gdf), dtype=np.int8)
    # rows with values read as UTF-8 / as the file's encoding, and how many values each
    utf8_rows = np.zeros(len(gdf), dtype=bool)
    enc_rows = np.zeros(len(gdf), dtype=bool)
    counts = [0, 0]

    def decode_series(col: pd.Series) -> pd.Series:
        text = col.where(col.map(lambda v: isinstance(v, str)), None)
        if enc != "utf-8":
            as_utf8 = text.map(lambda v: _utf8_cjk(v.encode("latin-1")) if isinstance(v, str) else None)
            hit = as_utf8.notna().to_numpy()
            wide = text.map(lambda v: isinstance(v, str) and not v.isascii()).to_numpy(dtype=bool) & ~hit
            utf8_rows[hit] = True
            enc_rows[wide] = True
            counts[0] += int(hit.sum())
            counts[1] += int(wide.sum())
            if hit.any():
                rest = text.where(~hit, None)
                return _decode_plain(rest, col, enc, flags).where(~hit, as_utf8)
        return _decode_plain(text, col, enc, flags)

    renamed = {c: _decode_value(c.encode("latin-1"), enc)[0] for c in gdf.columns
               if isinstance(c, str) and c != gdf.geometry.name}
    out = gdf.copy()
    pua = np.zeros(len(gdf), dtype=bool)  # characters of the Private Use Area: Big5 read as GBK?
    for c in _text_columns(gdf):
        out[c] = decode_series(gdf[c])
        if enc != "utf-8":
            pua |= out[c].map(lambda v: isinstance(v, str) and any("\ue000" <= ch <= "\uf8ff" for ch in v)
                              ).to_numpy(dtype=bool)
    out = out.rename(columns=renamed)
    if counts[0] and counts[1]:  # both encodings: name the records of the fewer values
        if counts[0] > counts[1]:
            rows, what, read = np.flatnonzero(enc_rows), "GBK text in a UTF-8 file", "GBK"
        else:
            rows, what, read = np.flatnonzero(utf8_rows), f"UTF-8 text in a {enc.upper()} file", "UTF-8"
        _warn(f"{file}: {len(rows)} record(s) hold {what} (added by another program?); read as {read} "
              f"(rows {format_rows([_feature_row(i) for i in rows])})")
    if pua.any():
        rows = np.flatnonzero(pua)
        _warn(f"{file}: {len(rows)} record(s) hold characters without a standard meaning (Private Use "
              f"Area) after decoding as {enc.upper()} (rows {format_rows([_feature_row(i) for i in rows])}): "
              f"if the names look garbled the file is in another encoding, e.g. Big5: set encoding = \"big5\"")
    cut = np.flatnonzero(flags == 1)
    bad = np.flatnonzero(flags == 2)
    if len(cut):
        _warn(f"{file}: {len(cut)} text value(s) end in a character cut by the field width; it was dropped "
              f"(rows {format_rows([_feature_row(i) for i in cut])})")
    if len(bad):
        _warn(f"{file}: {len(bad)} text value(s) hold bytes that are not {enc}; they show as � "
              f"(rows {format_rows([_feature_row(i) for i in bad])})")
    return out


def _decode_plain(text: pd.Series, col: pd.Series, enc: str, flags: np.ndarray) -> pd.Series:
    """Decode the Latin-1-read strings of ``text`` in ``enc`` (others taken from ``col``);
    ``flags`` gets 1 (last character cut) or 2 (undecodable) per row."""
    if not text.notna().any():  # nothing to decode (e.g. every value was UTF-8)
        return col
    text = text.astype(object)
    try:  # the common case: every value decodes
        return text.str.encode("latin-1").str.decode(enc).where(text.notna(), col)
    except UnicodeDecodeError:
        pass
    values = text.to_numpy(dtype=object)
    orig = col.to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # text values only; geometry is untouched
        if isinstance(v, str):
            out[i], f = _decode_value(v.encode("latin-1"), enc)
            flags[i] = max(flags[i], f)
        else:
            out[i] = orig[i]
    return pd.Series(out, index=col.index, name=col.name)


def _dbf_text(data: bytes, limit: int = 8_000_000) -> tuple[bytes, int]:
    """The bytes of a DBF's field names and character fields, and its language id."""
    if len(data) < 33:
        return b"", 0
    ldid = data[29]
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    n_records = int.from_bytes(data[4:8], "little")
    names: list[bytes] = []
    char_fields: list[tuple[int, int]] = []
    offset = 1  # deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        desc = data[pos:pos + 32]
        names.append(desc[:11].split(b"\x00")[0])
        ftype, flen = chr(desc[11]), desc[16]
        if ftype == "C":
            flen += desc[17] * 256  # FoxPro/GDAL long character fields
            char_fields.append((offset, flen))
        offset += flen
        pos += 32
    out = b"\n".join(names)
    if record_len > 0 and char_fields and n_records > 0:
        n = min(n_records, max(1, limit // record_len))
        body = data[header_len:header_len + n * record_len]
        n = len(body) // record_len
        if n:
            rec = np.frombuffer(body[: n * record_len], dtype=np.uint8).reshape(n, record_len)
            parts = [rec[:, o:o + ln] for o, ln in char_fields if o + ln <= record_len]
            sep = np.full((n, 1), 0x0A, dtype=np.uint8)
            blob = np.hstack([p for part in parts for p in (part, sep)])
            out += b"\n" + blob.tobytes()
    return out, ldid


# ---------------------------------------------------------------------------------------
# coordinates in tables
# ---------------------------------------------------------------------------------------

_DMS_ALLOWED = re.compile(r"^[\s\d.°º˚度分秒'′’‘\"″”“:NSEWnsew+\-]+$")
_NUM = re.compile(r"\d+(?:\.\d+)?")


#: Full-width ASCII forms (U+FF01–FF5E) and the ideographic space → their ASCII twins.
_HALFWIDTH = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: 0x20}


def halfwidth(text: str) -> str:
    """``text`` with full-width digits, letters and signs (as typed with a Chinese input
    method: ``１２３．５``, ``，``) made ASCII.  Nothing else changes: superscripts, circled
    digits and the degree-like signs ``º ˚`` stay as they are (NFKC would turn ``10⁴``
    into ``104``)."""
    return text.translate(_HALFWIDTH)


def parse_coordinate(value: Any) -> float:
    """One coordinate from a number or a string.

    Accepts decimal degrees or metres (``117.5``, ``"117.5E"``), DMS (``116°00'30.5"``,
    ``"N28°24'10.2\\""``, ``"117度30分12.5秒"``, ``"117 30 12.5"``), with an optional
    hemisphere letter (S and W are negative). Returns NaN for empty cells; raises
    ValueError for anything else.
    """
    if value is None:
        return float("nan")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    text = halfwidth(str(value)).strip()  # １１７．５ → 117.5
    if not text or text.lower() in ("nan", "none", "null"):
        return float("nan")
    try:
        return float(text)
    except ValueError:
        pass
    if not _DMS_ALLOWED.match(text):
        raise ValueError(f"not a coordinate: {value!r}")
    upper = text.upper()
    hemis = [c for c in upper if c in "NSEW"]
    if len(hemis) > 1:
        raise ValueError(f"more than one hemisphere letter in {value!r}")
    nums = [float(n) for n in _NUM.findall(text)]
    if not 1 <= len(nums) <= 3:
        raise ValueError(f"not a coordinate: {value!r}")
    deg, minutes, seconds = (nums + [0.0, 0.0])[:3]
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"minutes and seconds must be below 60 in {value!r}")
    out = deg + minutes / 60.0 + seconds / 3600.0
    negative = text.lstrip().startswith("-") or (hemis and hemis[0] in "SW")
    return -out if negative else out


def _parse_coordinates(series: pd.Series, *, file: str, column: str, label: str | None = None) -> np.ndarray:
    """Vector of coordinates from a table column; errors name the row (the series' index
    holds the spreadsheet row or CSV line numbers)."""
    numeric = np.array(pd.to_numeric(series, errors="coerce"), dtype=float)  # writable copy
    todo = np.flatnonzero(np.isnan(numeric) & series.notna().to_numpy())
    for i in todo:  # only the cells that are not plain numbers: DMS strings
        try:
            numeric[i] = parse_coordinate(series.iloc[i])
        except ValueError as exc:
            raise CoordinateError(
                str(exc), file=file, layer=label, column=column, row=int(series.index[i]),
                hint="write decimal degrees (117.503), DMS (117°30'12.5\"E) or metres",
            ) from None
    missing = np.flatnonzero(np.isnan(numeric))
    if len(missing):
        raise CoordinateError(
            f"{len(missing)} empty coordinate(s)", file=file, layer=label, column=column,
            row=format_rows([int(series.index[i]) for i in missing]),
            hint="fill in the coordinates or delete the rows",
        )
    return numeric


def _feature_row(i: int) -> str:
    return f"{int(i) + 1} (FID {int(i)})"


def _row_labels(n: int) -> np.ndarray:
    """The row label of every feature of a vector layer, as :func:`_feature_row` gives them."""
    i = np.arange(n)
    return np.char.add(np.char.add((i + 1).astype(str), " (FID "), np.char.add(i.astype(str), ")")).astype(object)


# ---------------------------------------------------------------------------------------
# the reader
# ---------------------------------------------------------------------------------------


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
    _check_input(path, label=label)
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
            hint="use GeoPackage, Shapefile (or zipped), GeoJSON, KML, CSV or XLSX",
        )
    gdf = gdf.reset_index(drop=True)
    if len(gdf) == 0:
        raise EmptyLayerError("the layer has no features", file=fname, layer=label,
                              hint="check the file, the layer or sheet name, or remove the layer")
    gdf = _clean_geometries(gdf, spec, file=fname, label=label)
    if spec is not None:
        gdf = _map_columns(gdf, spec, columns or {}, file=fname, label=label)
        gdf = _check_values(gdf, spec, file=fname, label=label)
    elif columns:
        gdf = gdf.rename(columns={v: k for k, v in columns.items()})
    gdf = _clean_text(gdf, file=fname, label=label)
    return gdf.drop(columns="_row").reset_index(drop=True)


#: Keys of the rows a table adds up in (dropped when reading a village table).
_TOTAL_ROWS = (*RESERVED_NAMES, "小计", "总数")


def read_table(
    path: str | Path,
    *,
    kind: str = "village_table",
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    label: str | None = None,
) -> pd.DataFrame:
    """Read a table without geometry (CSV/XLSX): facts per village or township names.

    Parameters
    ----------
    path
        ``.csv``/``.txt`` (UTF-8 or GBK, detected) or ``.xlsx``; title rows above the
        header are skipped.
    kind
        ``"village_table"`` (population, households … per village, keyed by village code
        ``id`` and/or ``name``) or ``"townships"`` (township code ``id`` and ``name``).
    sheet, encoding, columns, label
        As for :func:`read_layer`.

    Returns
    -------
    pandas.DataFrame
        Canonical columns (``id`` and/or ``name`` as text, numbers as float with NaN for
        blanks) then the file's others, and ``_row`` (the CSV line or spreadsheet row of
        each record).  Rows keyed 合计/总计/小计 are dropped (warned).

    Raises
    ------
    geo_env.GeoEnvError
        For a missing file, a table with neither a code nor a name column, repeated keys
        or values that are no numbers, naming the file, column and rows.
    """
    path = Path(path)
    fname = str(path)
    label = label or kind
    spec = SPECS[kind]
    if not path.exists():
        raise InputFileNotFoundError("file not found", file=fname, layer=label,
                                     hint="check the path; relative paths are relative to the project file")
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise ProjectFileError(f"cannot read a table from '{path.suffix}' files", file=fname, layer=label,
                               hint="give the table as CSV or XLSX")
    _check_input(path, label=label)
    columns = dict(columns or {})
    wanted = {str(c).lower() for c in columns.values()} | {
        a.lower() for key in ("id", "name", "population", "households") for a in ALIASES.get(key, ())}
    df = _table_frame(path, label=label, sheet=sheet, encoding=encoding,
                      is_header=lambda cells: sum(c.lower() in wanted for c in cells) >= 2)
    df["_row"] = df.index.to_numpy()
    df = _rename_canonical(df.reset_index(drop=True), spec, columns, file=fname, label=label)
    keys = [k for k in ("id", "name") if k in df.columns]
    if not keys:
        raise ColumnNotFoundError(
            f"the table has neither a code nor a name column (columns: "
            f"{', '.join(str(c) for c in df.columns if c != '_row')})", file=fname, layer=label,
            hint='map one: columns = { id = "<village code column>" } or { name = "<village name column>" }')
    for k in keys:
        df[k] = _id_strings(df[k]).replace("", None)
    total = np.zeros(len(df), dtype=bool)
    for k in keys:
        total |= df[k].str.lower().isin(_TOTAL_ROWS).to_numpy(dtype=bool)
    if total.any():
        _warn(f"{fname}: {int(total.sum())} total row(s) skipped (rows {format_rows(list(df.loc[total, '_row']))})")
        df = df.loc[~total].reset_index(drop=True)
    nokey = df[keys].isna().all(axis=1).to_numpy()
    if nokey.any():
        raise DataValueError(f"{int(nokey.sum())} row(s) have no {' or '.join(keys)}", file=fname, layer=label,
                             column=keys[0], row=format_rows(list(df.loc[nokey, "_row"])),
                             hint="fill in the village code or name, or delete the rows")
    key = keys[0]
    dup = df[key].notna() & df[key].duplicated(keep=False)
    if dup.any():
        groups = df.loc[dup].groupby(key)["_row"].apply(list)
        shown = [f"{i} (rows {format_rows(r, 3)})" for i, r in list(groups.items())[:10]]
        raise DuplicateIdError(f"{len(groups)} repeated {key}(s): {'; '.join(shown)}", file=fname, layer=label,
                               column=df.attrs.get("source_columns", {}).get(key, key),
                               hint="give each village one row" if kind == "village_table" else "one row per code")
    df = _check_values(df, spec, file=fname, label=label)
    order = [c for c in spec.canonical if c in df.columns]
    return df[order + [c for c in df.columns if c not in order]]


def _read_vector(path: Path, *, label: str | None, layer: str | None, encoding: str | None,
                 coords: str | None, crs: Any) -> gpd.GeoDataFrame:
    import pyogrio

    fname = str(path)
    source: str = fname
    dbf: bytes | None = None
    cpg: bytes | None = None
    suffix = path.suffix.lower()
    if suffix == ".zip":
        source, dbf, cpg = _zip_member(path, layer, label)
        layer = None
    elif suffix == ".shp":
        for ext in (".dbf", ".DBF"):
            if path.with_suffix(ext).exists():
                dbf = _read_head(path.with_suffix(ext), _DBF_HEAD_BYTES)
                break
        for ext in (".cpg", ".CPG"):
            if path.with_suffix(ext).exists():
                cpg = _read_head(path.with_suffix(ext), 4096)
                break
    try:
        layers = [str(n) for n in pyogrio.list_layers(source)[:, 0]] if suffix in (".gpkg", ".kml", ".kmz") else []
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
    read_kwargs: dict[str, Any] = {}
    enc = None
    if dbf is not None:
        declared = None
        if cpg is not None:
            declared = _normalise_encoding(cpg.decode("ascii", "ignore"))
        text, ldid = _dbf_text(dbf)
        if declared is None:
            declared = _LDID.get(ldid)
        if encoding is not None:
            enc = _normalise_encoding(encoding)
            if not _decodes(text, enc, allow_cut=True):
                found = ("UTF-8" if _decodes(text, "utf-8", allow_cut=True)
                         else "GBK" if _decodes(text, "gb18030", allow_cut=True) else None)
                raise EncodingError(
                    f"the attributes cannot be decoded as {encoding}", file=fname, layer=label,
                    hint=(f"they decode as {found}: set encoding = \"{found.lower()}\" or remove the key"
                          if found else "check the encoding key"),
                )
        else:
            try:
                enc, note = detect_encoding(text, declared, field_values=True)
            except EncodingError as exc:
                if not _each_value_decodes(text):
                    raise EncodingError(exc.message, file=fname, layer=label, hint=exc.hint) from None
                enc, note = "gb18030", None  # GBK and UTF-8 records mixed: _recode sorts them
            if note:
                _warn(f"{fname}: {note}; set encoding = \"…\" to choose another")
        # GDAL reads the bytes 1:1 as Latin-1; geo_env decodes them (see _recode)
        read_kwargs["encoding"] = "ISO-8859-1"
    elif encoding is not None and suffix not in (".gpkg", ".geojson", ".json", ".kml", ".kmz", ".fgb"):
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



# ---------------------------------------------------------------------------------------
# the files themselves: what is read at all
# ---------------------------------------------------------------------------------------

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
#: Bytes of a DBF read for its encoding: the header (< 64 KiB) and the 8 MB that
#: :func:`_dbf_text` samples.
_DBF_HEAD_BYTES = 16 * 1024**2
_SHAPEFILE_PARTS = (".dbf", ".DBF", ".shx", ".SHX", ".prj", ".PRJ", ".cpg", ".CPG")
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


def _table_frame(path: Path, *, label: str | None, sheet: str | int | None, encoding: str | None,
                 is_header: Callable[[list[str]], bool]) -> pd.DataFrame:
    """The records of a CSV/XLSX table as text/objects, indexed by their CSV line or
    spreadsheet row number; the header is the first of the first rows for which
    ``is_header(cells)`` holds (title rows above it skipped, warned), else the first row."""
    fname = str(path)
    if path.suffix.lower() in (".csv", ".txt"):
        raw = _read_bytes(path, label=label)
        if encoding is not None:
            enc = _normalise_encoding(encoding) or encoding
            if _strict(raw, enc) is None:
                raise EncodingError(f"the file cannot be decoded as {encoding}", file=fname, layer=label,
                                    hint="remove the encoding key to detect it")
        elif raw.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
        else:
            try:
                enc, _ = detect_encoding(raw)
            except EncodingError as exc:
                raise EncodingError(exc.message, file=fname, layer=label,
                                    row=_first_undecodable_line(raw), hint=exc.hint) from None
            if enc != "utf-8":
                _check_mixed_utf8(raw, file=fname, label=label)

        df = _parse_csv(raw.decode(enc), file=fname, label=label, is_header=is_header)
    else:
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise InputFileNotFoundError(f"cannot be read as Excel: {exc}", file=fname, layer=label) from None
        sheets = wb.sheetnames
        wb.close()
        if sheet is None:
            sheet = 0
        if isinstance(sheet, str) and sheet not in sheets:
            near = closest(sheet, sheets)
            raise LayerNotFoundError(f"no sheet '{sheet}' (sheets: {', '.join(sheets)})", file=fname,
                                     layer=label, hint=f"did you mean '{near}'?" if near else None)
        top = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl", header=None,
                            nrows=_HEADER_SEARCH).dropna(how="all")
        h = int(top.index[_header_index(top.to_numpy().tolist(), is_header)]) if len(top) else 0
        if h:
            _warn(f"{fname}: the header is on row {h + 1}; the row(s) above it (a title?) are skipped")
        df = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl", header=h)
        df.index = df.index + h + 2  # spreadsheet rows: the header is row h + 1
    df.columns = [_clean_name(c) for c in df.columns]
    df = df.dropna(how="all")  # trailing empty spreadsheet rows
    if len(df) == 0:
        raise EmptyLayerError("the table has no rows below its header", file=fname, layer=label,
                              hint="check the file or sheet name, or remove the layer")
    return df


def _read_table(path: Path, *, label: str | None, sheet: str | int | None, encoding: str | None,
                x: str | None, y: str | None, coords: str | None,
                crs: Any) -> gpd.GeoDataFrame:
    """A CSV/XLSX point table; its ``_row`` column holds the CSV line or spreadsheet row
    number of each record (blank lines and rows skipped, so messages point at the file)."""
    fname = str(path)
    df = _table_frame(path, label=label, sheet=sheet, encoding=encoding,
                      is_header=lambda cells: _names_xy(cells, x, y))
    cols = list(df.columns)
    xcol = _find_column(cols, x, _X_ALIASES, "x", file=fname, label=label)
    ycol = _find_column(cols, y, _Y_ALIASES, "y", file=fname, label=label)
    if xcol == ycol:
        raise ColumnNotFoundError(
            f"x and y would both be the column '{xcol}'", file=fname, layer=label,
            hint='give the two coordinate columns with x = "…" and y = "…"; a single "lon,lat" '
                 "column must be split into two first")
    lines = df.index.to_numpy()

    def row_of(i: int) -> int:
        return int(lines[i])

    xs = _parse_coordinates(df[xcol], file=fname, column=xcol, label=label)
    ys = _parse_coordinates(df[ycol], file=fname, column=ycol, label=label)
    geo = _coords_look_geographic(xs, ys)
    if crs is not None:
        the_crs = _parse_crs(crs, file=fname, label=label)
        if the_crs.is_geographic:
            _check_lonlat(xs, ys, file=fname, label=label, row_of=row_of, columns=(xcol, ycol))
            xs, ys = _crs.to_wgs84(xs, ys, coords or "wgs84")
        elif coords not in (None, "wgs84", "cgcs2000"):
            raise ProjectFileError(f"coords = {coords!r} applies to lon/lat, but crs is projected",
                                   file=fname, layer=label, hint="remove coords")
    elif geo or _swapped_rows(xs, ys).any():
        _check_lonlat(xs, ys, file=fname, label=label, row_of=row_of, columns=(xcol, ycol))
        _check_coords_names(coords, [xcol, ycol, path.stem, str(sheet or "")], file=fname,
                            what=f"the columns '{xcol}'/'{ycol}'")
        xs, ys = _crs.to_wgs84(xs, ys, coords or "wgs84")
        the_crs = pyproj.CRS.from_epsg(4490 if coords == "cgcs2000" else 4326)
    else:
        raise CRSError(
            f"coordinates in '{xcol}'/'{ycol}' are not longitude/latitude "
            f"(e.g. {xs[0]:.1f}, {ys[0]:.1f}) and no crs is given", file=fname, layer=label,
            hint=_crs_hint(xs),
        )
    df = df.drop(columns=[xcol, ycol])
    df["_row"] = lines
    gdf = gpd.GeoDataFrame(df.reset_index(drop=True), geometry=gpd.points_from_xy(xs, ys), crs=the_crs)
    if not the_crs.is_geographic:
        _check_projected(gdf, the_crs, file=fname, label=label)
    return gdf


def _check_mixed_utf8(raw: bytes, *, file: str, label: str | None) -> None:
    """A GBK file with lines pasted in UTF-8 decodes as GB18030 without an error, those
    lines as mojibake: lines whose non-ASCII text is valid UTF-8 (GBK text practically
    never is) are an error naming them."""
    bad = [n for n, line in enumerate(raw.split(b"\n"), start=1) if _utf8_cjk(line.rstrip(b"\r")) is not None]
    if bad:
        raise EncodingError(
            "the file mixes encodings: these lines are UTF-8, the others GBK (read as GBK they "
            "would be garbled)", file=file, layer=label, row=format_rows(bad),
            hint="save the whole table in one encoding (in Excel: CSV UTF-8), or set encoding = \"…\"")


def _first_undecodable_line(raw: bytes) -> int | None:
    """The first line (1-based) that does not decode in the file's encoding: the one of
    UTF-8 and GB18030 that most lines decode in (a file with a line pasted from another
    encoding), or a line that decodes in neither."""
    lines = raw.split(b"\n")
    ok = {enc: [_strict(line, enc) is not None for line in lines] for enc in ("utf-8", "gb18030")}
    main = max(ok, key=lambda enc: sum(ok[enc]))
    for n, good in enumerate(ok[main], start=1):
        if not good:
            return n
    return None


def _parse_csv(text: str, *, file: str, label: str | None,
               is_header: Callable[[list[str]], bool] = lambda cells: True) -> pd.DataFrame:
    """A CSV (or tab-separated) table as strings; rows whose number of fields differs from
    the header's are an error (pandas would silently shift or drop their values).  Title
    lines above the header are skipped (see :func:`_header_index`)."""
    import csv

    records: list[tuple[int, list[str]]] = []
    line = 1  # the line on which the next record starts
    head = text[:_nth_line_end(text, 12)]  # the first 12 lines choose the separator
    sep = "\t" if head.count("\t") > head.count(",") else ","
    reader = csv.reader(_lines(text), delimiter=sep, skipinitialspace=True)
    for record in reader:
        start, line = line, reader.line_num + 1
        if any(field.strip() for field in record):  # blank lines skipped
            records.append((start, record))
    if not records:
        raise EmptyLayerError("the table is empty", file=file, layer=label)
    h = _header_index([r for _, r in records[:_HEADER_SEARCH]], is_header)
    if h:
        _warn(f"{file}: the header is on line {records[h][0]}; the line(s) above it (a title?) are skipped")
    header = records[h][1]
    rows: list[list[str]] = []
    starts: list[int] = []
    bad: list[int] = []
    for start, record in records[h + 1:]:
        if len(record) != len(header):
            bad.append(start)
        rows.append(record)
        starts.append(start)
    if bad:
        raise DataValueError(
            f"{len(bad)} line(s) have a different number of fields than the header ({len(header)})",
            file=file, layer=label, row=format_rows(bad),
            hint="a value probably holds the separator: put it in double quotes, or save the sheet as XLSX",
        )
    df = pd.DataFrame(rows, columns=header, dtype=object, index=pd.Index(starts, dtype=np.int64))
    return df.replace("", None)


def _nth_line_end(text: str, n: int) -> int:
    """The index just past the ``n``-th newline of ``text`` (its length if it has fewer)."""
    end = 0
    for _ in range(n):
        end = text.find("\n", end) + 1
        if not end:
            return len(text)
    return end


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ``\\n``, one at a time (``io.StringIO(text)`` would
    copy the whole text, at up to four bytes a character)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


#: Rows searched for the header of a CSV/XLSX table (title rows above it are skipped).
_HEADER_SEARCH = 10


def _pick_column(cells: Sequence[str], given: str | None, aliases: Sequence[str], axis: str) -> str | None:
    try:
        return _find_column(cells, given, aliases, axis, file="", label=None)
    except ColumnNotFoundError:
        return None


def _header_index(rows: Sequence[Sequence[Any]], is_header: Callable[[list[str]], bool]) -> int:
    """Index of the header among the first rows: the first row for which
    ``is_header(cells)`` holds.  0 when none does (the error about a missing column then
    speaks of the first row)."""
    for i, row in enumerate(rows):
        if is_header([_clean_name(c) for c in row if c is not None and str(c) != "nan"]):
            return i
    return 0


def _names_xy(cells: list[str], x: str | None, y: str | None) -> bool:
    """The cells name both coordinate columns (``x``/``y`` or the usual names) — two
    cells: a title naming 经度、纬度 is one cell."""
    xc, yc = _pick_column(cells, x, _X_ALIASES, "x"), _pick_column(cells, y, _Y_ALIASES, "y")
    return xc is not None and yc is not None and xc != yc


def _clean_name(c: object) -> str:
    return " ".join(str(c).split())


def _find_column(cols: Sequence[str], given: str | None, aliases: Sequence[str], axis: str,
                 *, file: str, label: str | None) -> str:
    if given is not None:
        if given in cols:
            return given
        near = closest(given, cols)
        raise ColumnNotFoundError(
            f"no {axis} column '{given}' (columns: {', '.join(cols)})", file=file, layer=label,
            hint=f"did you mean {axis} = \"{near}\"?" if near else f"set {axis} = \"…\" to one of them",
        )
    lowered = {c.lower(): c for c in cols}
    for a in aliases:
        if a in lowered:
            return lowered[a]
    # 高德经度, GPS纬度, 中心点经度 (the Chinese word anywhere), baidu_lng, gps-lat (an ASCII
    # name after a separator: not "belong"); a Chinese match wins over an ASCII one
    zh = [c for low, c in lowered.items() if any(not a.isascii() and a in low for a in aliases)]
    ascii_ = [c for low, c in lowered.items()
              if any(a.isascii() and len(a) > 1 and len(low) > len(a)
                     and ((low.endswith(a) and not low[-len(a) - 1].isalnum())      # gps_lat
                          or (low.startswith(a) and not low[len(a)].isalnum()))    # lon_gcj, lat_dd
                     for a in aliases)]
    for found in (zh, ascii_):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ColumnNotFoundError(
                f"several columns could hold the {axis} coordinate ({', '.join(found)})", file=file,
                layer=label, hint=f'name the right one with {axis} = "…" in the layer\'s section')
    raise ColumnNotFoundError(
        f"no {axis} coordinate column found (columns: {', '.join(cols)})", file=file, layer=label,
        hint=f'name it with {axis} = "…" in the layer\'s section',
    )


def _coords_look_geographic(xs: np.ndarray, ys: np.ndarray) -> bool:
    """Most rows are longitude/latitude (a few typos must not make the table 'projected')."""
    inside = (np.abs(xs) <= 180) & (np.abs(ys) <= 90)
    return bool(inside.mean() >= 0.5)


def _swapped_rows(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Rows whose x is a Chinese latitude and y a Chinese longitude."""
    return (xs >= 3) & (xs <= 54) & (ys >= 73) & (ys <= 136)


#: China's extent with a margin (its territory spans about 73–135°E, 3–54°N): geographic
#: coordinates outside it are typing or export errors in a Chinese district's data.
_CHINA_LON, _CHINA_LAT = (70.0, 140.0), (0.0, 56.0)


def _check_lonlat(xs: np.ndarray, ys: np.ndarray, *, file: str, label: str | None, row_of: Any,
                  columns: tuple[str, str] | None = None) -> None:
    swapped = np.flatnonzero(_swapped_rows(xs, ys))
    if len(swapped):
        cols = f"'{columns[0]}' and '{columns[1]}'" if columns else "x and y"
        fix = (f'swap them: x = "{columns[1]}", y = "{columns[0]}"' if columns
               else "swap the coordinate order (longitude first) and re-export the file")
        raise CoordinateError(
            f"longitude and latitude look swapped: {cols} hold latitudes and longitudes "
            f"(x = {xs[swapped[0]]:.4f}, y = {ys[swapped[0]]:.4f})",
            file=file, layer=label, row=format_rows([row_of(i) for i in swapped]), hint=fix,
        )
    bad = np.flatnonzero((np.abs(xs) > 180) | (np.abs(ys) > 90))
    if len(bad):
        raise CoordinateError(
            "coordinates outside longitude/latitude range", file=file, layer=label,
            row=format_rows([row_of(i) for i in bad]),
            hint='if they are metres, set crs = "EPSG:…" for the layer',
        )
    (x0, x1), (y0, y1) = _CHINA_LON, _CHINA_LAT
    away = np.flatnonzero(~((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)))
    if len(away):
        raise CoordinateError(
            f"longitude/latitude outside China (x = {xs[away[0]]:.6g}, y = {ys[away[0]]:.6g}; China lies "
            f"within {x0:g}–{x1:g}°E, {y0:g}–{y1:g}°N)", file=file, layer=label,
            row=format_rows([row_of(i) for i in away]),
            hint="look for a W/S hemisphere letter or a minus sign, a lost digit (11.75 for 117.5) or "
                 "0 put in for a missing value",
        )


def _crs_hint(xs: np.ndarray) -> str:
    east = float(np.nanmedian(xs))
    code = _crs.gk_zone_crs_for_easting(east)
    if code is not None:
        return (f'eastings like {east:,.0f} carry the 3° zone number {int(east // 1e6)}: add '
                f'crs = "EPSG:{code}" (CGCS2000 3° zone {int(east // 1e6)}) to the layer\'s section, or '
                f'the Xian 1980 / Beijing 1954 zone CRS the data were made in')
    return 'add crs = "EPSG:…" (the projected CRS of the coordinates) to the layer\'s section'


def _parse_crs(value: Any, *, file: str, label: str | None) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise CRSError(f"unknown crs {value!r}", file=file, layer=label,
                       hint='write it as "EPSG:4547"') from None


def _assign_crs(gdf: gpd.GeoDataFrame, *, file: str, label: str | None, coords: str | None,
                crs: Any) -> gpd.GeoDataFrame:
    if len(gdf) == 0:
        return gdf if gdf.crs is not None else gdf.set_crs(4490)
    bounds = gdf.total_bounds
    if crs is not None:
        the_crs = _parse_crs(crs, file=file, label=label)
        if gdf.crs is not None and pyproj.CRS(gdf.crs) != the_crs:
            _warn(f"{file}: the file's CRS ({pyproj.CRS(gdf.crs).name}) is overridden by crs = {crs!r}")
        gdf = gdf.set_crs(the_crs, allow_override=True)
    elif gdf.crs is None:
        if np.isfinite(bounds).all() and -180 <= bounds[0] and bounds[2] <= 180 and -90 <= bounds[1] and bounds[3] <= 90:
            _warn(f"{file}: no CRS (.prj); the coordinates are longitude/latitude and are taken as "
                  f"CGCS2000 (EPSG:4490); add crs = \"EPSG:…\" to say otherwise")
            gdf = gdf.set_crs(4490)
        else:
            raise CRSError("the file has no CRS (no .prj) and its coordinates are not longitude/latitude",
                           file=file, layer=label,
                           hint=_crs_hint(shapely.get_coordinates(gdf.geometry.values)[:, 0]))
    the_crs = pyproj.CRS(gdf.crs)
    if the_crs.is_geographic:
        xy = shapely.get_coordinates(gdf.geometry.values)
        idx = _first_vertex_feature(gdf)
        _check_lonlat(xy[:, 0], xy[:, 1], file=file, label=label,
                      row_of=lambda i: _feature_row(idx[i]))
        _check_coords_names(coords, [Path(file).stem], file=file, what="the file name")
        if coords in ("gcj02", "bd09"):
            def conv(a: np.ndarray) -> np.ndarray:
                lon, lat = _crs.to_wgs84(a[:, 0], a[:, 1], coords)
                return np.column_stack([lon, lat])

            gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, conv)).set_crs(4326, allow_override=True)
    else:
        if coords not in (None, "wgs84", "cgcs2000"):
            raise ProjectFileError(f"coords = {coords!r} applies to lon/lat, but the layer is projected",
                                   file=file, layer=label, hint="remove coords")
        _check_projected(gdf, the_crs, file=file, label=label)
    return gdf


#: Words in column, file or sheet names that say which online map the lon/lat came from.
_COORDS_WORDS = {
    "gcj02": ("高德", "腾讯", "火星", "gaode", "amap", "gcj", "tencent"),
    "bd09": ("百度", "baidu", "bd09", "bd_lng", "bd_lon", "bd_lat", "bdlng", "bdlat"),
}
_COORDS_SOURCES = {"gcj02": "GCJ-02 (Amap/Tencent)", "bd09": "BD-09 (Baidu)", "wgs84": "WGS84"}


def _check_coords_names(coords: str | None, names: Sequence[str], *, file: str, what: str) -> None:
    """Warn when names such as ``高德经度`` or ``baidu_lng`` contradict ``coords``.

    GCJ-02 or BD-09 lon/lat read as WGS84 lie 300–600 m off, nothing else shows it: the
    names are the one clue.  Without a ``coords`` key the names are compared with the
    WGS84 default; a declared GCJ-02/BD-09 is compared only with the other of the two (a
    declared WGS84 or CGCS2000 is the planner's word, e.g. after converting).
    """
    text = " ".join(names).lower()
    said = [c for c, words in _COORDS_WORDS.items() if any(w in text for w in words)]
    if len(said) != 1:
        return
    hint = said[0]
    if coords is None or (coords in ("gcj02", "bd09") and coords != hint):
        now = _COORDS_SOURCES.get(coords or "wgs84", coords)
        _warn(f"{file}: {what} suggest {_COORDS_SOURCES[hint]} coordinates, but they are read as "
              f"{now}; if they come from that map, add coords = \"{hint}\" to the layer "
              f"(otherwise the points lie 300–600 m off)")


def _first_vertex_feature(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Feature index of each coordinate of ``shapely.get_coordinates(gdf.geometry)``."""
    _, index = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    return index


def _check_projected(gdf: gpd.GeoDataFrame, the_crs: pyproj.CRS, *, file: str, label: str | None) -> None:
    """Coordinates that cannot fit a Gauss-Krüger / transverse Mercator CRS are an error:
    swapped axes (surveyors' X is the northing), eastings with a zone prefix in a CRS
    without one (or the reverse), and a zone number that is not the CRS's zone."""
    xy = shapely.get_coordinates(gdf.geometry.values)
    if not len(xy):
        return
    east = float(np.nanmedian(xy[:, 0]))
    north = float(np.nanmedian(xy[:, 1]))
    if _coords_look_geographic(xy[:, 0], xy[:, 1]) and _swapped_rows(xy[:, 1], xy[:, 0]).mean() >= 0.5:
        raise CRSError(
            f"the coordinates are longitude/latitude (e.g. {east:.4f}, {north:.4f}), but the CRS "
            f"({the_crs.name}) is projected in metres", file=file, layer=label,
            hint="remove the crs key of the layer (or give a geographic one such as \"EPSG:4490\")")
    try:
        fe = next(p.value for p in the_crs.coordinate_operation.params if p.name == "False easting")
    except (AttributeError, StopIteration):
        return
    if fe < 1_000 or not np.isfinite([east, north]).all():
        return  # not a false-easting TM-style CRS: nothing to check here
    # in China, northings are 0.3–6.0 million m; TM eastings stay within ±400 km of the false easting
    east_ok = abs(east - fe % 1_000_000) < 400_000 if east < 1_000_000 else 25e6 <= east < 46e6
    north_like = 300_000 <= east <= 6_000_000 and not east_ok
    east_like_y = abs(north - 500_000) < 400_000 or 25e6 <= north < 46e6
    if north_like and east_like_y:
        raise CoordinateError(
            f"x and y look swapped: x values like {east:,.0f} are northings and y values like {north:,.0f} "
            f"eastings (the surveyors' convention: X = north)", file=file, layer=label,
            hint="swap the columns (x = the easting, y = the northing) or re-export the layer",
        )
    if east > 1_000_000 and fe < 1_000_000:
        code = _crs.gk_zone_crs_for_easting(east)
        raise CRSError(
            f"eastings like {east:,.0f} carry a zone number, but the CRS ({the_crs.name}) has no zone prefix",
            file=file, layer=label,
            hint=(f'set crs = "EPSG:{code}" (CGCS2000 3° zone {int(east // 1e6)}) for the layer' if code
                  else 'set crs = "EPSG:…" to the zone CRS the data were made in'),
        )
    if fe > 1_000_000 and east < 1_000_000:
        raise CRSError(
            f"eastings like {east:,.0f} have no zone number, but the CRS ({the_crs.name}) expects one",
            file=file, layer=label,
            hint='set crs = "EPSG:…" to the matching CM zone CRS (e.g. EPSG:4534–4554 for CGCS2000)',
        )
    if fe > 1_000_000 and east > 1_000_000 and int(east // 1_000_000) != int(fe // 1_000_000):
        code = _crs.gk_zone_crs_for_easting(east)
        raise CRSError(
            f"eastings like {east:,.0f} are in zone {int(east // 1_000_000)}, but the CRS ({the_crs.name}) "
            f"is zone {int(fe // 1_000_000)}", file=file, layer=label,
            hint=(f'set crs = "EPSG:{code}" (CGCS2000 3° zone {int(east // 1e6)}) or the zone CRS of the '
                  f'datum the data were made in' if code else 'set crs = "EPSG:…" to the right zone'),
        )


def _warn(message: str) -> None:
    warnings.warn(message, DataWarning, stacklevel=3)


def _clean_geometries(gdf: gpd.GeoDataFrame, spec: LayerSpec | None, *, file: str,
                      label: str | None) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        rows = gdf["_row"].to_numpy()[missing]
        if missing.all():
            raise EmptyLayerError("every feature has an empty geometry", file=file, layer=label)
        _warn(f"{file}: {int(missing.sum())} feature(s) without geometry dropped (rows {format_rows(list(rows))})")
        gdf = gdf.loc[~missing].copy()
        geoms = geoms[~missing]
    types = shapely.get_type_id(geoms)
    # families: 0 point, 1/2 line, 3 polygon, 4 multipoint, 5 multiline, 6 multipolygon, 7 collection
    family = np.array(["point", "line", "line", "polygon", "point", "line", "polygon", "collection"], dtype=object)[types]
    if (family == "collection").any():
        geoms = geoms.copy()
        coll = family == "collection"
        # keep the parts of the dominant allowed family (e.g. polygons out of a KML collection)
        want = spec.geometry[0] if spec else "polygon"
        code = {"point": 0, "line": 1, "polygon": 3}[want]
        parts = [shapely.get_parts(g) for g in geoms[coll]]
        geoms[coll] = [shapely.union_all(p[np.isin(shapely.get_type_id(p), [code, code + 3, 2 if code == 1 else code])])
                       if len(p) else None for p in parts]
        types = shapely.get_type_id(geoms)
        family = np.array(["point", "line", "line", "polygon", "point", "line", "polygon", "collection"], dtype=object)[types]
    if spec is not None:
        bad = ~np.isin(family, spec.geometry)
        if bad.any() and spec.geometry == ("point",) and np.isin(family[bad], ["polygon"]).all():
            _warn(f"{file}: {int(bad.sum())} {label or 'feature'} given as polygons; each is placed at a point inside it")
            geoms = geoms.copy()
            geoms[bad] = shapely.point_on_surface(geoms[bad])
            bad[:] = False
        if bad.any():
            rows = gdf["_row"].to_numpy()[bad]
            found = sorted(set(family[bad]))
            raise GeometryTypeError(
                f"{label} must be {' or '.join(spec.geometry)} geometries, found {', '.join(found)}",
                file=file, layer=label, row=format_rows(list(rows)),
                hint="check that the file is the right layer",
            )
        multi_pts = (types == 4)
        if multi_pts.any():
            n_parts = shapely.get_num_geometries(geoms[multi_pts])
            if (n_parts > 1).any():
                rows = gdf["_row"].to_numpy()[multi_pts][n_parts > 1]
                raise GeometryTypeError("multipoints with several points", file=file, layer=label,
                                        row=format_rows(list(rows)), hint="give one point per feature")
            geoms = geoms.copy()
            geoms[multi_pts] = shapely.get_geometry(geoms[multi_pts], 0)
    poly = np.isin(shapely.get_type_id(geoms), [3, 6])
    invalid = poly & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        fixed = shapely.make_valid(geoms[invalid])
        # keep the polygonal part of what make_valid returns (it may add slivers as lines)
        geoms[invalid] = np.array([_polygonal(g) for g in fixed], dtype=object)
        rows = gdf["_row"].to_numpy()[invalid]
        _warn(f"{file}: {int(invalid.sum())} invalid polygon(s) repaired with make_valid (rows {format_rows(list(rows))})")
        degenerate = invalid & shapely.is_missing(geoms)
        if degenerate.any():
            if degenerate.all():
                raise EmptyLayerError("every polygon is degenerate (no area)", file=file, layer=label)
            rows = gdf["_row"].to_numpy()[degenerate]
            _warn(f"{file}: {int(degenerate.sum())} polygon(s) without area dropped (rows {format_rows(list(rows))})")
            gdf = gdf.loc[~degenerate].copy()
            geoms = geoms[~degenerate]
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    return gdf


def _polygonal(g: Any) -> Any:
    """The polygonal part of a repaired geometry; None when it has no area."""
    if g is None or shapely.get_type_id(g) in (3, 6):
        return g
    parts = shapely.get_parts(g)
    polys = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
    return shapely.union_all(polys) if len(polys) else None


def _rename_canonical(gdf: pd.DataFrame, spec: LayerSpec, columns: Mapping[str, str], *, file: str,
                      label: str | None) -> pd.DataFrame:
    """Columns renamed to their canonical names (the ``columns`` mapping, else the
    :data:`ALIASES`); unknown mapping keys and mapped columns the file lacks, or a
    required column that is missing, are errors naming the file's columns."""
    have = [c for c in gdf.columns if c not in ("geometry", "_row")]
    for canon, src in columns.items():
        if canon not in spec.canonical:
            near = closest(canon, spec.canonical)
            raise ProjectFileError(
                f"unknown column name '{canon}' in columns for {label}", file=file, layer=label,
                hint=(f"did you mean '{near}'?" if near else f"valid names: {', '.join(spec.canonical)}"),
            )
        if src not in gdf.columns:
            near = closest(str(src), have)
            raise ColumnNotFoundError(
                f"no column '{src}' (mapped to {canon}); columns: {', '.join(have)}",
                file=file, layer=label, column=str(src),
                hint=f"did you mean '{near}'?" if near else "check the columns table",
            )
    rename: dict[str, str] = {}
    lowered = {str(c).lower(): c for c in have}
    for canon in spec.canonical:
        if canon in columns:
            rename[columns[canon]] = canon
            continue
        for alias in ALIASES.get(canon, (canon,)):
            src = lowered.get(alias.lower())
            if src is not None and src not in rename and src not in columns.values():
                rename[src] = canon
                break
    # move aside file columns that carry a canonical name but are not the mapped source
    clash = {c: f"{c}_source" for c in have if c in spec.canonical and c not in rename and rename.get(c) != c}
    out = gdf.rename(columns=clash).rename(columns=rename)
    out.attrs["source_columns"] = {canon: str(src) for src, canon in rename.items()}
    for canon in spec.required:
        if canon not in out.columns:
            others = [c for c in out.columns if c not in ("geometry", "_row", *spec.canonical)]
            near = closest(canon, others)
            raise ColumnNotFoundError(
                f"no '{canon}' column (columns: {', '.join(map(str, others))})", file=file, layer=label,
                column=canon,
                hint=(f'map it: columns = {{ {canon} = "{near}" }}' if near
                      else f'map it: columns = {{ {canon} = "<column name>" }}'),
            )
    return out


def _map_columns(gdf: gpd.GeoDataFrame, spec: LayerSpec, columns: Mapping[str, str], *, file: str,
                 label: str | None) -> gpd.GeoDataFrame:
    """Canonical columns (:func:`_rename_canonical`), then unique ids and names: ids in
    file order where the layer has none (warned), names from the ids where blank."""
    out = _rename_canonical(gdf, spec, columns, file=file, label=label)
    n = len(out)
    if "id" not in out.columns:
        out["id"] = [f"{spec.id_prefix}{i + 1:03d}" for i in range(n)]
        if spec.kind not in ("roads", "water", "farmland", "prohibited_zones", "townships"):
            _warn(f"{file}: {label} have no id column; ids {out['id'].iloc[0]}… were assigned in file order "
                  f"(map one with columns = {{ id = \"…\" }})")
    out["id"] = _id_strings(out["id"])
    missing_id = out["id"].isna() | (out["id"] == "")
    if missing_id.any():
        raise DataValueError(f"{int(missing_id.sum())} empty id(s)", file=file, layer=label, column="id",
                             row=format_rows(list(out.loc[missing_id, "_row"])), hint="give every feature an id")
    dup = out["id"].duplicated(keep=False)
    if dup.any():
        groups = out.loc[dup].groupby("id")["_row"].apply(list)
        shown = [f"{i} (rows {format_rows(r, 3)})" for i, r in list(groups.items())[:10]]
        raise DuplicateIdError(
            f"{len(groups)} duplicate id(s): {'; '.join(shown)}" + (" …" if len(groups) > 10 else ""),
            file=file, layer=label, column="id", hint="make the ids unique, or map another id column",
        )
    if "name" not in out.columns:
        out["name"] = out["id"]
    else:
        out["name"] = out["name"].astype(object).where(out["name"].notna(), out["id"]).astype(str)
    order = [c for c in spec.canonical if c in out.columns]
    rest = [c for c in out.columns if c not in order]
    return out[order + rest]


def _id_strings(s: pd.Series) -> pd.Series:
    """Ids as strings: 361123100201.0 → "361123100201"; whitespace stripped."""
    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        return " ".join(str(v).split())

    return s.map(one).astype(object)


#: Cell texts that planners' tables use for "no value" (besides an empty cell).
BLANK_TEXTS = ("-", "--", "/", "—", "——", "－", "无", "nan", "null", "none", "na", "n/a", "#n/a")

#: What a blank cell of a numeric column means, by (layer kind, column); said in the warning
#: naming the rows.  Villages' population and households are completed (and warned about)
#: by :mod:`geo_env.villages`; other numeric columns' blanks are read as missing silently
#: only where the column's description says so.
BLANK_RULES: dict[tuple[str, str], str] = {
    ("sewage_plants", "capacity_m3_per_day"): "capacity unknown: these plants take no villages",
    ("sewage_plants", "load_m3_per_day"): "current load taken as 0 m³/d",
    ("livestock_farms", "head"): "head unknown: their pig equivalents are not counted (setbacks are still checked)",
    ("villages", "farmland_mu"): "farmland unknown: counted as 0 mu in the manure balance",
    ("villages", "settlement_area_ha"): "settlement area unknown: taken as if the column were absent",
    ("villages", "natural_villages"): "number of natural villages unknown: estimated from population and terrain",
    ("villages", "anchor_x"): "anchor unknown: a point inside the village is used",
    ("villages", "anchor_y"): "anchor unknown: a point inside the village is used",
}


def _numbers(raw: pd.Series, rows: pd.Series, *, file: str, label: str | None, column: str,
             name: str) -> pd.Series:
    """A numeric column from what a table holds: numbers, numbers as text (``"1,730"``,
    full-width ``１７３０``), and blanks (empty cells, :data:`BLANK_TEXTS`) as NaN.
    Text that is no number, infinities and negative numbers are errors naming the rows."""
    # pandas' string dtype keeps empty cells as <NA> (astype(str) gives a float NaN under
    # pandas 3 and the text "nan" under pandas 2)
    text = (raw.astype("string").str.translate(_HALFWIDTH)  # full-width digits: １７３０ → 1730
            .str.replace(",", "", regex=False).str.strip())
    blank = (text.isna() | (text == "") | text.str.lower().isin(BLANK_TEXTS)).to_numpy(dtype=bool)
    vals = pd.to_numeric(text.where(~blank), errors="coerce").astype(float).to_numpy()
    for bad, what in ((np.isnan(vals) & ~blank, "a number"), (np.isinf(vals), "a finite number")):
        if bad.any():
            i = np.flatnonzero(bad)
            raise DataValueError(f"{name} must be {what}, found {raw.iloc[i[0]]!r}", file=file, layer=label,
                                 column=column, row=format_rows(list(rows.iloc[i])),
                                 hint="fix the value(s) in the file (leave a cell empty when the value is unknown)")
    neg = vals < 0
    if neg.any():
        i = np.flatnonzero(neg)
        raise DataValueError(f"{name} must not be negative ({vals[i[0]]:g})", file=file, layer=label,
                             column=column, row=format_rows(list(rows.iloc[i])))
    return pd.Series(vals, index=raw.index, name=raw.name)


def _check_values(gdf: gpd.GeoDataFrame, spec: LayerSpec, *, file: str, label: str | None) -> gpd.GeoDataFrame:
    out = gdf
    sources = gdf.attrs.get("source_columns", {})

    def src(col: str) -> str:
        """The file's name of a canonical column, for messages."""
        return sources.get(col, col)

    for col in spec.numeric:
        if col in out.columns:
            out[col] = _numbers(out[col], out["_row"], file=file, label=label, column=src(col), name=col)
            rule = BLANK_RULES.get((spec.kind, col))
            blank = out[col].isna().to_numpy()
            if rule and blank.any():
                _warn(f"{file}: {col} ({src(col)}) is blank in {int(blank.sum())} row(s) "
                      f"(rows {format_rows(list(out['_row'].iloc[np.flatnonzero(blank)]))}): {rule}")
    if "township" in out.columns:
        out["township"] = _township_text(out, file=file, label=label, column=src("township"))
    if spec.kind == "villages" and "population" in out.columns:
        known = out["population"].dropna()
        if len(known) and not known.sum() > 0:
            raise DataValueError("every village has population 0", file=file, layer=label, column=src("population"),
                                 hint="map the right population column (常住人口 or 户籍人口)")
    if spec.kind == "livestock_farms":
        from ..species import parse_species  # the one list of species names

        parse_species(out["species"], layer=label or spec.kind, column=src("species"), ids=out["id"],
                      rows=out["_row"], file=file)
    if spec.kind == "sewage_plants":
        out = _check_plants(out, file=file, label=label, src=src)
    return out


def _township_text(out: pd.DataFrame, *, file: str, label: str | None, column: str) -> pd.Series:
    """Township names with whitespace normalised; blanks stay missing (``None``: the
    loader fills them, see :func:`geo_env.villages.complete_townships`)."""
    town = _id_strings(out["township"]).replace("", None)  # township codes 361123100.0 → "361123100"
    reserved = town.str.lower().isin(RESERVED_NAMES).to_numpy(dtype=bool)
    if reserved.any():
        raise DataValueError(
            f"the township name {town[reserved].iloc[0]!r} is reserved for the total row "
            f"of the township tables", file=file, layer=label, column=column,
            row=format_rows(list(out.loc[reserved, "_row"])), hint="fill in the real township name",
        )
    return town.astype(object)


def _check_plants(out: gpd.GeoDataFrame, *, file: str, label: str | None, src: Any) -> gpd.GeoDataFrame:
    """Sewage plants' capacity and load: a missing capacity column makes every capacity
    unknown (no plant takes villages), a missing load column every load 0 (warned)."""
    if "capacity_m3_per_day" not in out.columns:
        _warn(f"{file}: sewage plants have no capacity column: capacity unknown, so no plant takes villages "
              f"(map it with columns = {{ capacity_m3_per_day = \"…\" }})")
        out["capacity_m3_per_day"] = np.nan
    if "load_m3_per_day" not in out.columns:
        _warn(f"{file}: sewage plants have no load column; current load taken as 0 m³/d "
              f"(map it with columns = {{ load_m3_per_day = \"…\" }})")
        out["load_m3_per_day"] = 0.0
    out["load_m3_per_day"] = out["load_m3_per_day"].fillna(0.0)
    over = out["load_m3_per_day"] > out["capacity_m3_per_day"]
    if over.any():
        _warn(f"{file}: {int(over.sum())} plant(s) loaded above capacity (rows "
              f"{format_rows(list(out.loc[over, '_row']))}); they have no spare capacity")
    zero = out["capacity_m3_per_day"] <= 0
    if zero.any():
        raise DataValueError("capacity must be greater than 0", file=file, layer=label,
                             column=src("capacity_m3_per_day"), row=format_rows(list(out.loc[zero, "_row"])),
                             hint="leave the cell empty when the capacity is unknown")
    return out


def _clean_text(gdf: gpd.GeoDataFrame, *, file: str, label: str | None) -> gpd.GeoDataFrame:
    """Line breaks and runs of spaces inside names become one space (counted, warned)."""
    out = gdf
    changed = 0
    for col in ("name", "township", "species"):
        if col in out.columns:
            s = out[col].astype(object)
            text = s.map(lambda v: v if not isinstance(v, str) else " ".join(v.split()))
            changed += int(((text != s) & s.map(lambda v: isinstance(v, str) and ("\n" in v or "\r" in v))).sum())
            out[col] = text
    if changed:
        _warn(f"{file}: {changed} name(s) contained line breaks; replaced by spaces")
    return out
