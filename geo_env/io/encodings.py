"""Text encodings: which one a file's bytes are in, and decoding what GDAL read as Latin-1.

Shapefiles: a declared encoding (``.cpg`` file, or a DBF language id of a CJK code page)
is used; otherwise the DBF bytes are decoded strictly as UTF-8 first and as GB18030 (a
superset of GBK and GB2312) next, so a GBK shapefile without ``.cpg`` reads correctly
instead of as Latin-1 mojibake (:func:`_dbf_encoding`).  GDAL reads the DBF's bytes 1:1
as Latin-1 and :func:`_recode` decodes them: values cut by the field width, undecodable
bytes, records in UTF-8 among GBK ones and Big5 read as GBK are each warned about with
their rows.  CSV files are detected the same way (:func:`detect_encoding`: UTF-8 with or
without BOM, else GB18030); a GBK file with lines pasted in UTF-8 is an error naming the
lines (:func:`_check_mixed_utf8`).  A reader's ``encoding`` argument overrides all of this.
"""

from __future__ import annotations

import codecs
import unicodedata
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import EncodingError, format_rows
from ._messages import _feature_row, _warn

__all__ = ["detect_encoding"]

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


def _dbf_encoding(dbf: bytes, cpg: bytes | None, encoding: str | None, *, file: str,
                  label: str | None) -> str:
    """The Python codec of a DBF's text: ``encoding`` when given (it must decode the text),
    else what :func:`detect_encoding` finds, given the encoding the ``.cpg`` file or else
    the DBF's language id declares.  ``dbf`` holds the start of the DBF (see
    :func:`_dbf_text`), ``cpg`` the bytes of the ``.cpg`` file, if any."""
    declared = None
    if cpg is not None:
        declared = _normalise_encoding(cpg.decode("ascii", "ignore"))
    text, ldid = _dbf_text(dbf)
    if declared is None:
        declared = _LDID.get(ldid)
    if encoding is not None:
        enc = _normalise_encoding(encoding) or encoding  # read_layer has checked that it is known
        if not _decodes(text, enc, allow_cut=True):
            found = ("UTF-8" if _decodes(text, "utf-8", allow_cut=True)
                     else "GBK" if _decodes(text, "gb18030", allow_cut=True) else None)
            raise EncodingError(
                f"the attributes cannot be decoded as {encoding}", file=file, layer=label,
                hint=(f"they decode as {found}: set encoding = \"{found.lower()}\" or remove the key"
                      if found else "check the encoding key"),
            )
        return enc
    try:
        enc, note = detect_encoding(text, declared, field_values=True)
    except EncodingError as exc:
        if not _each_value_decodes(text):
            raise EncodingError(exc.message, file=file, layer=label, hint=exc.hint) from None
        enc, note = "gb18030", None  # GBK and UTF-8 records mixed: _recode sorts them
    if note:
        _warn(f"{file}: {note}; set encoding = \"…\" to choose another")
    return enc
