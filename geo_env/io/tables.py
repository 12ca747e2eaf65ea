"""CSV/XLSX tables: points with x/y columns, and tables of facts without geometry.

CSV (or tab-separated) text is decoded as :mod:`geo_env.io.encodings` detects it; a row
with another number of fields than the header is an error (pandas would shift its
values).  XLSX sheets are read by name or index.  Title rows above the header are
skipped (warned): the header is the first of the first :data:`_HEADER_SEARCH` rows that
names the columns sought.  Messages name each record by its CSV line or spreadsheet row.
Point tables (:func:`_read_table`) find their coordinate columns by name (``x``/``y``,
``lon``/``lat``, ``经度``/``纬度``, ``高德经度`` …) and become points in the CRS their
coordinates are in (see :mod:`geo_env.io.coordinates`); :func:`read_table` reads a table
without geometry (facts per village, township names), its total rows dropped.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from .. import crs as _crs
from ..errors import (
    ColumnNotFoundError,
    CRSError,
    DataValueError,
    DuplicateIdError,
    EmptyLayerError,
    EncodingError,
    InputFileNotFoundError,
    LayerNotFoundError,
    ProjectFileError,
    closest,
    format_rows,
)
from . import checks as _checks
from ._messages import _warn
from .checks import TABLE_SUFFIXES, _read_bytes
from .columns import ALIASES, RESERVED_NAMES, SPECS, _id_strings, _rename_canonical
from .coordinates import (
    _check_coords_names,
    _check_lonlat,
    _check_projected,
    _coords_look_geographic,
    _crs_hint,
    _parse_coordinates,
    _parse_crs,
    _swapped_rows,
)
from .encodings import _check_mixed_utf8, _first_undecodable_line, _normalise_encoding, _strict, detect_encoding
from .values import _check_values

__all__ = ["read_table"]

#: Names of the x and y columns of a point table (exact, case-insensitive; see :func:`_find_column`).
_X_ALIASES = ("x", "lon", "lng", "long", "longitude", "point_x", "经度", "东经", "x坐标", "坐标x")
_Y_ALIASES = ("y", "lat", "latitude", "point_y", "纬度", "北纬", "y坐标", "坐标y")


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
    _checks._check_input(path, label=label)  # looked up when called: tests replace it
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
        sheets, engine = _sheet_names(path, label=label)
        if sheet is None:
            sheet = 0
        if isinstance(sheet, str) and sheet not in sheets:
            near = closest(sheet, sheets)
            raise LayerNotFoundError(f"no sheet '{sheet}' (sheets: {', '.join(sheets)})", file=fname,
                                     layer=label, hint=f"did you mean '{near}'?" if near else None)
        top = pd.read_excel(path, sheet_name=sheet, dtype=object, engine=engine, header=None,
                            nrows=_HEADER_SEARCH).dropna(how="all")
        h = int(top.index[_header_index(top.to_numpy().tolist(), is_header)]) if len(top) else 0
        if h:
            _warn(f"{fname}: the header is on row {h + 1}; the row(s) above it (a title?) are skipped")
        df = pd.read_excel(path, sheet_name=sheet, dtype=object, engine=engine, header=h)
        df.index = df.index + h + 2  # spreadsheet rows: the header is row h + 1
    df.columns = [_clean_name(c) for c in df.columns]
    df = df.dropna(how="all")  # trailing empty spreadsheet rows
    if len(df) == 0:
        raise EmptyLayerError("the table has no rows below its header", file=fname, layer=label,
                              hint="check the file or sheet name, or remove the layer")
    return df


def _sheet_names(path: Path, *, label: str | None) -> tuple[list[str], Literal["openpyxl", "calamine"]]:
    """The sheets of an Excel workbook and the pandas engine that reads it: openpyxl for
    .xlsx/.xlsm, calamine for the legacy .xls (Excel 97–2003; pandas' xlrd engine is
    deprecated)."""
    fname = str(path)
    if path.suffix.lower() == ".xls":
        try:
            import python_calamine
        except ImportError:
            raise InputFileNotFoundError("reading .xls (Excel 97–2003) needs the python-calamine package",
                                         file=fname, layer=label,
                                         hint="pip install python-calamine, or save the sheet as .xlsx") from None
        try:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises its own errors for damaged or encrypted files
            raise InputFileNotFoundError(f"cannot be read as Excel 97–2003 (.xls): {exc}", file=fname, layer=label,
                                         hint="open it in Excel or WPS and save it as .xlsx") from None
        names = list(book.sheet_names)
        book.close()
        return names, "calamine"
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InputFileNotFoundError(f"cannot be read as Excel: {exc}", file=fname, layer=label) from None
    names = list(wb.sheetnames)
    wb.close()
    return names, "openpyxl"


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
