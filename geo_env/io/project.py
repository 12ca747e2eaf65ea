"""Project files (project.toml) and the :class:`District` they load into."""

from __future__ import annotations

import codecs
import copy
import re
import warnings
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import ProjectFileError, closest
from ..standards import SECTIONS, defaults

__all__ = ["District", "LAYER_NAMES", "load_project", "check_project", "CheckReport", "project_template",
           "project_inputs"]

#: The vector layers a District may hold, in the order they are read.
LAYER_NAMES = (
    "villages",
    "transfer_stations",
    "sewage_plants",
    "livestock_farms",
    "roads",
    "water",
    "prohibited_zones",
    "farmland",
)


def _check_anchor_columns(villages: gpd.GeoDataFrame) -> None:
    """``anchor_x``/``anchor_y`` must lie in the villages' CRS (stale after ``to_crs``)."""
    from ..crs import FAR_OUTSIDE_M
    from ..errors import CRSError

    if "anchor_x" not in villages.columns or "anchor_y" not in villages.columns or not len(villages):
        return
    xy = villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return
    x0, y0, x1, y1 = villages.total_bounds
    m = FAR_OUTSIDE_M
    if xy[:, 0].min() < x0 - m or xy[:, 0].max() > x1 + m or xy[:, 1].min() < y0 - m or xy[:, 1].max() > y1 + m:
        raise CRSError(
            "the villages' anchor_x/anchor_y do not lie in the villages' CRS (were the villages reprojected "
            "without them?)", layer="villages",
            hint="drop the anchor_x/anchor_y columns to derive anchors from the polygons, or reproject them too",
        )


def _default_params() -> dict[str, dict[str, Any]]:
    return {s: defaults(s) for s in SECTIONS}


@dataclass
class District:
    """A district's (区/县) layers, read, validated and in one working CRS.

    Attributes
    ----------
    name
        The project name (``[project] name``).
    crs
        The working CRS: a projected CRS in metres, by default the CGCS2000 3° Gauss-Krüger
        zone (EPSG:4534–4554) of the villages' centroid.
    villages
        Polygons (or points) with canonical columns ``id name township population
        households`` and the anchor coordinates ``anchor_x anchor_y`` (working CRS, m).
    transfer_stations, sewage_plants, livestock_farms, roads, water, prohibited_zones, farmland
        GeoDataFrames in the working CRS with canonical columns, or ``None`` when absent.
    dem
        Path of the DEM GeoTIFF, or ``None``.
    dem_nodata
        A nodata value declared in the project (``[layers.dem] nodata``) that overrides the
        file's, or ``None``.
    dem_crs
        The DEM's CRS when the project declares it (``[layers.dem] crs``, for GeoTIFFs
        without one), else ``None`` (the file's own CRS is used).
    params
        ``{"waste": {...}, "sewage": {...}, "livestock": {...}, "roads": {...},
        "villages": {...}}``: the project's settings merged over :mod:`geo_env.standards`.
    lang
        ``"zh"`` or ``"en"``: language of labels, reasons and tables.
    source
        The project file this district was loaded from, if any.
    warnings
        The warnings raised while loading (also emitted as :class:`GeoEnvWarning`).
    inputs
        The resolved paths of the project file and of every file it names (empty when the
        district was not loaded from a project): :meth:`Plan.save` refuses an output folder
        that is or holds one of them.
    """

    name: str
    crs: pyproj.CRS
    villages: gpd.GeoDataFrame
    transfer_stations: gpd.GeoDataFrame | None = None
    sewage_plants: gpd.GeoDataFrame | None = None
    livestock_farms: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    water: gpd.GeoDataFrame | None = None
    prohibited_zones: gpd.GeoDataFrame | None = None
    farmland: gpd.GeoDataFrame | None = None
    dem: Path | None = None
    dem_nodata: float | None = None
    dem_crs: pyproj.CRS | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=_default_params)
    lang: str = "zh"
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)
    basemap: str = "none"
    inputs: tuple[Path, ...] = ()

    def __setattr__(self, key: str, value: Any) -> None:
        """Every assignment of the CRS or a layer is checked, also after construction
        (``d.water = water.to_crs(4326)`` is an error, not wrong distances later)."""
        from .. import crs as _crs

        if key == "crs":
            value = _crs.projected_metric_crs(value)
        elif key in LAYER_NAMES and value is not None and "crs" in self.__dict__:
            _crs.require_crs(value, self.crs, layer=key)
            if key == "villages":
                _check_anchor_columns(value)
        object.__setattr__(self, key, value)

    def __post_init__(self) -> None:
        from .. import crs as _crs
        from ..errors import EmptyLayerError

        if not len(self.villages):
            raise EmptyLayerError("the district has no villages", layer="villages",
                                  hint="give a villages layer with at least one village")
        lon, lat = _lonlat_centre(self.villages)
        if np.isfinite([lon, lat]).all():
            _crs.check_scale(self.crs, lon, lat)
        if self.lang not in LANGS:
            raise ProjectFileError(f"lang = {self.lang!r} is not one of {', '.join(LANGS)}")
        if self.basemap not in BASEMAPS:
            raise ProjectFileError(f"basemap = {self.basemap!r} is not one of {', '.join(BASEMAPS)}")

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The vector layers that are present, by name."""
        return {n: getattr(self, n) for n in LAYER_NAMES if getattr(self, n) is not None}

    def with_params(self, section: str, **overrides: Any) -> District:
        """A copy with ``params[section]`` updated (layers shared, not copied)."""
        params = copy.deepcopy(self.params)
        params.setdefault(section, {}).update(overrides)
        return replace(self, params=params)

    def __repr__(self) -> str:
        parts = [f"District({self.name!r}, crs=EPSG:{self.crs.to_epsg() or '?'}"]
        for f in fields(self):
            if f.name in LAYER_NAMES:
                gdf = getattr(self, f.name)
                if gdf is not None:
                    parts.append(f"{f.name}={len(gdf)}")
        if self.dem is not None:
            parts.append(f"dem={Path(self.dem).name}")
        return ", ".join(parts) + ")"



# ---------------------------------------------------------------------------------------
# project files
# ---------------------------------------------------------------------------------------

_TOP_KEYS = ("project", "layers", "waste", "sewage", "livestock")
_PROJECT_KEYS = ("name", "crs", "lang", "basemap")
_LAYER_KEYS = ("path", "layer", "sheet", "encoding", "columns", "x", "y", "coords", "crs")
_EXTRA_LAYER_KEYS = {
    "roads": ("snap_tolerance_m", "node_crossings", "max_connector_m"),
    "villages": ("persons_per_household",),
}
_DEM_KEYS = ("path", "crs", "nodata")
#: Sections read as tables without geometry (``townships`` too when it is CSV/XLSX).
_TABLE_KEYS = ("path", "sheet", "encoding", "columns")
_LAYER_SECTIONS = (*LAYER_NAMES, "village_points", "village_table", "townships", "dem")
from .._choices import BASEMAPS, LANGS  # noqa: E402 - re-exported for the loader's checks
from ..crs import FAR_OUTSIDE_M  # noqa: E402 - facilities this far (m) outside the villages are named

#: A supplied village anchor farther than this outside its polygon is named in a warning (m).
ANCHOR_OUTSIDE_M = 1_000.0


#: Largest project file read (bytes): a project.toml is a few KB of text.  1 MiB.
MAX_PROJECT_BYTES = 1024**2


def _toml_load(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    text = _project_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(str(exc), text, path) from None


def _project_file(path: Path) -> Path:
    """The project file ``path`` names: the file itself, or a folder's ``project.toml``."""
    from ..errors import InputFileNotFoundError, format_rows

    if path.is_dir():
        if (path / "project.toml").exists():
            return path / "project.toml"
        tomls = sorted(p.name for p in path.iterdir() if p.suffix.lower() == ".toml")
        if tomls:
            raise ProjectFileError(f"is a folder without a project.toml; it holds {format_rows(tomls, 5)}",
                                   file=path, hint=f"give the project file itself, e.g. {path / tomls[0]}")
        raise ProjectFileError("is a folder without a project.toml (nor any other .toml file)", file=path,
                               hint="give the path of the project file; `geo-env init DIR` writes a template")
    if not path.exists():
        raise InputFileNotFoundError("project file not found", file=path,
                                     hint="give the path of a project.toml; `geo-env init DIR` writes a template")
    return path


def _project_text(path: Path) -> str:
    """The text of a project file: UTF-8 with or without BOM; else GBK (Chinese Notepad's
    "ANSI") or UTF-16 with BOM (Notepad's "Unicode"), warned.  A file that is no regular
    file, larger than :data:`MAX_PROJECT_BYTES` or binary is refused."""
    from ..errors import EncodingError, GeoEnvWarning
    from .checks import _regular_size, _size_text
    from .encodings import _first_undecodable_line, detect_encoding

    too_big = ProjectFileError(f"is more than {_size_text(MAX_PROJECT_BYTES)}; a project file is a few KB of text",
                               file=path, hint="give the project.toml, not a layer file")
    if _regular_size(path, label=None, what="project file") > MAX_PROJECT_BYTES:
        raise too_big
    with open(path, "rb") as fh:
        data = fh.read(MAX_PROJECT_BYTES + 1)  # bounded even if the file grows meanwhile
    if len(data) > MAX_PROJECT_BYTES:
        raise too_big
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
        warnings.warn(f"{path}: saved as UTF-16 (Notepad's \"Unicode\"); read as such. Save it as UTF-8 to be sure",
                      GeoEnvWarning, stacklevel=4)
        return text
    if b"\x00" in data:
        raise ProjectFileError("is not a text file (it holds NUL bytes)", file=path,
                               hint="give the project.toml, not a layer or Excel file")
    data = data.removeprefix(codecs.BOM_UTF8)  # Notepad's "UTF-8 with BOM"
    try:
        enc, _ = detect_encoding(data)
    except EncodingError:
        raise ProjectFileError(f"line {_first_undecodable_line(data)} is neither UTF-8 nor GBK text", file=path,
                               hint="save the project file as UTF-8 (Notepad: Save As, Encoding: UTF-8)") from None
    if enc != "utf-8":
        warnings.warn(f"{path}: not UTF-8; read as GBK (Chinese Windows \"ANSI\"). Save it as UTF-8 to be sure "
                      f"(Notepad: Save As, Encoding: UTF-8)", GeoEnvWarning, stacklevel=4)
    return data.decode(enc)


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
#: What to check for tomllib's messages (by their start).
_TOML_HINTS = (
    ("Invalid statement", "each line must be key = value, a [section] header or a # comment"),
    ("Illegal character", "a text value is not closed: end it with its quote on the same line"),
    ("Cannot overwrite", "a key or [section] is given twice: keep one"),
    ("Cannot declare", "a key or [section] is given twice: keep one"),
    ("Expected '=' after a key", "write key = value; a key with spaces or Chinese characters needs quotes"),
    ("Invalid value", 'text needs quotes: name = "…"'),
    ("Expected ']'", "close the [section] header with ]"),
)


def _windows_path_hint(typed: str) -> str:
    """What to do with a Windows path typed in double quotes (TOML reads ``\\t``, ``\\n`` …
    in them as escapes)."""
    slashes = typed.replace("\\", "/")
    return f"write Windows paths in single quotes ('{typed}') or with forward slashes (\"{slashes}\")"


def _toml_error(message: str, text: str, path: Path) -> ProjectFileError:
    """tomllib's ``message`` as an error naming the line, showing it and saying what to check."""
    at = _TOML_AT.search(message)
    if at is None:  # "… (at end of document)"
        return ProjectFileError(f"not valid TOML: {message}", file=path,
                                hint="check quotes, = signs and [section] headers")
    reason = message[: at.start()]
    lineno, col = int(at[1]), int(at[2])
    lines = text.split("\n")
    src = lines[lineno - 1].strip() if lineno <= len(lines) else ""
    shown = src if len(src) <= 80 else src[:79] + "…"
    backslash = re.search(r'"([^"]*\\[^"]*)"?', src)
    if backslash:
        hint = _windows_path_hint(backslash[1])
    else:
        hint = next((h for start, h in _TOML_HINTS if reason.startswith(start)),
                    "check quotes, = signs and [section] headers on that line")
    return ProjectFileError(f"line {lineno} is not valid TOML ({reason}, column {col}): {shown}", file=path, hint=hint)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: How a control character got into a path: the escape TOML read in double quotes.
_ESCAPED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\x1b": "\\e"}


def _check_path_value(section: str, value: Any, file: Path) -> None:
    """A layer's ``path`` must be text without control characters: ``"C:\\temp\\new.shp"``
    in double quotes is ``C:`` + tab + ``emp`` + newline + ``ew.shp`` to TOML."""
    if not isinstance(value, str) or not value.strip():
        raise ProjectFileError(f"[layers.{section}] path must be a file name in quotes, not {value!r}", file=file,
                               hint='write path = "villages.shp" (relative to the project file)')
    if _CONTROL.search(value):
        typed = "".join(_ESCAPED.get(c, f"\\u{ord(c):04X}") if _CONTROL.match(c) else c for c in value)
        raise ProjectFileError(
            f"[layers.{section}] path \"{typed}\": in double quotes TOML reads \\t, \\n … as a tab, a line "
            f"break …, so this path names no file", file=file, hint=_windows_path_hint(typed))


def _unknown(key: str, valid: tuple[str, ...], where: str, file: Path) -> ProjectFileError:
    hint = closest(key, valid)
    return ProjectFileError(
        f"unknown key '{key}' in {where}", file=file,
        hint=f"did you mean '{hint}'?" if hint else f"valid keys: {', '.join(valid)}",
    )


def _check_keys(table: Any, valid: tuple[str, ...], where: str, file: Path) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ProjectFileError(f"{where} must be a table", file=file, hint=f"write it as {where} with keys below it")
    for key in table:
        if key not in valid:
            raise _unknown(key, valid, where, file)
    return table


def _layer_sections(data: dict[str, Any], file: Path) -> dict[str, dict[str, Any]]:
    layers = _check_keys(data.get("layers", {}), _LAYER_SECTIONS, "[layers]", file)
    out: dict[str, dict[str, Any]] = {}
    for name, table in layers.items():
        valid = (_DEM_KEYS if name == "dem" else _TABLE_KEYS if name == "village_table"
                 else (*_LAYER_KEYS, *_EXTRA_LAYER_KEYS.get(name, ())))
        table = _check_keys(table, valid, f"[layers.{name}]", file)
        if "path" not in table:
            raise ProjectFileError(f"[layers.{name}] has no path", file=file, hint='add path = "…"')
        _check_path_value(name, table["path"], file)
        if "columns" in table and not isinstance(table["columns"], dict):
            raise ProjectFileError(f"[layers.{name}] columns must be a table", file=file,
                                   hint='write columns = { id = "CODE", name = "NAME" }')
        out[name] = dict(table)
    if "villages" not in out:
        raise ProjectFileError("no [layers.villages] section: the villages layer is required", file=file,
                               hint='add [layers.villages] with path = "…"')
    return out


def _resolve(base: Path, value: str) -> Path:
    p = Path(str(value)).expanduser()
    return p if p.is_absolute() else (base / p)


def _input_paths(file: Path, sections: dict[str, dict[str, Any]]) -> tuple[Path, ...]:
    base = file.resolve().parent
    return (file.resolve(), *(_resolve(base, table["path"]).resolve() for table in sections.values()))


def project_inputs(path: str | Path) -> tuple[Path, ...]:
    """The resolved paths of the project file and of every file it names.

    Reads only the TOML (no layer), so the CLI can refuse an output folder that holds the
    project's data before reading anything; ``()`` when the file does not exist (loading it
    says so).  Raises :class:`ProjectFileError` for a project file that is not valid.
    """
    file = Path(path)
    if file.is_dir():
        file = file / "project.toml"
    if not file.is_file():
        return ()
    return _input_paths(file, _layer_sections(_toml_load(file), file))


def _read(name: str, table: dict[str, Any], base: Path) -> gpd.GeoDataFrame | pd.DataFrame:
    """One section's layer; the village table (and a townships table) as a DataFrame."""
    from .layers import TABLE_SUFFIXES, read_layer, read_table

    path = _resolve(base, table["path"])
    if name == "village_table" or (name == "townships" and path.suffix.lower() in TABLE_SUFFIXES
                                   and "x" not in table):
        opts = {k: table[k] for k in ("sheet", "encoding", "columns") if k in table}
        return read_table(path, kind=name, label=name, **opts)
    opts = {k: table[k] for k in ("layer", "sheet", "encoding", "columns", "x", "y", "coords", "crs") if k in table}
    return read_layer(path, kind=name, label=name, **opts)


def _lonlat_centre(villages: gpd.GeoDataFrame) -> tuple[float, float]:
    """The villages' median point in lon/lat (°): one misplaced village cannot move it."""
    from .. import crs as _crs

    pts = gpd.GeoSeries(shapely.point_on_surface(villages.geometry.values), crs=villages.crs).to_crs(4490)
    xy = shapely.get_coordinates(pts.values)
    return _crs.centre(xy[:, 0], xy[:, 1])


def _working_crs(value: Any, villages: gpd.GeoDataFrame, file: Path) -> pyproj.CRS:
    from .. import crs as _crs

    lon, lat = _lonlat_centre(villages)
    if value in (None, "auto"):
        return _crs.working_crs(lon, lat)
    try:
        the = _crs.projected_metric_crs(value)
        _crs.check_scale(the, lon, lat)
    except ProjectFileError as exc:
        message = exc.message if exc.message.startswith("crs =") else f"crs = {value!r} {exc.message}"
        raise ProjectFileError(f"[project] {message}", file=file, hint=exc.hint) from None
    return the


def _anchors(villages: gpd.GeoDataFrame, source_crs: pyproj.CRS, coords: str | None,
             points: gpd.GeoDataFrame | None, working: pyproj.CRS, label: str = "villages") -> gpd.GeoDataFrame:
    """Add ``anchor_x``/``anchor_y`` (working CRS, m) by the DESIGN.md rule."""

    from .. import crs as _crs
    from .._geometry import anchor_points
    from ..errors import DataWarning, format_rows

    v = villages
    given = np.full((len(v), 2), np.nan)
    if "anchor_x" in v.columns and "anchor_y" in v.columns:
        ax = v["anchor_x"].to_numpy(dtype=float)
        ay = v["anchor_y"].to_numpy(dtype=float)
        have = np.isfinite(ax) & np.isfinite(ay)
        if source_crs.is_geographic:
            from .coordinates import _check_lonlat

            rows = v["_row"].to_numpy() if "_row" in v.columns else np.arange(len(v)) + 1
            _check_lonlat(ax[have], ay[have], file=label, label="villages anchor_x/anchor_y",
                          row_of=lambda i: rows[np.flatnonzero(have)[i]])
            if coords in ("gcj02", "bd09"):
                ax, ay = _crs.to_wgs84(ax, ay, coords)
                source_crs = pyproj.CRS.from_epsg(4326)
        tx = pyproj.Transformer.from_crs(source_crs, working, always_xy=True)
        given[:, 0], given[:, 1] = tx.transform(ax, ay)
        lost = have & ~np.isfinite(given).all(axis=1)
        if lost.any():
            warnings.warn(f"{label}: {int(lost.sum())} anchor(s) cannot be placed in the working CRS and are "
                          f"replaced by points inside the villages ({format_rows(list(v.loc[lost, 'id']))})",
                          DataWarning, stacklevel=4)
    if points is not None:
        pos = pd.Series(np.arange(len(v)), index=v["id"].to_numpy())
        points = _same_code_system(points, pos.index, label=label)
        hit = points["id"].isin(pos.index)
        if (~hit).any():
            warnings.warn(f"village_points: {int((~hit).sum())} point(s) match no village id "
                          f"({format_rows(list(points.loc[~hit, 'id']))})", DataWarning, stacklevel=4)
        idx = pos.loc[points.loc[hit, "id"]].to_numpy()
        xy = shapely.get_coordinates(points.loc[hit].geometry.values)
        given[idx] = xy
    v = v.drop(columns=[c for c in ("anchor_x", "anchor_y") if c in v.columns])
    xy = anchor_points(v)
    ok = np.isfinite(given).all(axis=1)
    if ok.any():
        off = shapely.distance(v.geometry.values[ok], shapely.points(given[ok]))
        far = np.zeros(len(v), dtype=bool)
        far[np.flatnonzero(ok)[off > ANCHOR_OUTSIDE_M]] = True
        if far.any():
            warnings.warn(f"{label}: {int(far.sum())} anchor(s) lie more than {ANCHOR_OUTSIDE_M:,.0f} m outside "
                          f"their village ({format_rows(list(v.loc[far, 'id']))}); check their coordinates",
                          DataWarning, stacklevel=4)
    xy[ok] = given[ok]
    v["anchor_x"] = xy[:, 0]
    v["anchor_y"] = xy[:, 1]
    return v


def _same_code_system(points: gpd.GeoDataFrame, village_ids: pd.Index, *, label: str) -> gpd.GeoDataFrame:
    """Village points whose ids are the villages' codes in a longer code system, re-keyed.

    Chinese village codes come as the 12-digit 统计用区划代码 and as longer codes that
    extend it with zeros (the 15-digit form with ``000``, the 19-digit 坐落单位代码 of the
    land surveys).  An all-digit point id that matches no village, is longer than a
    village code and is that code followed only by zeros, is given that code (warned).
    Nothing else is guessed: a code that would fit several villages stays unmatched.
    """

    from ..errors import DataWarning

    ids = points["id"].astype(str)
    vid = pd.Series(village_ids.astype(str))
    if ids.isin(vid).all() or not (vid.str.fullmatch(r"\d+").all()):
        return points
    lengths = sorted(set(vid.str.len()), reverse=True)  # the most specific code first
    new = ids.copy()
    changed = pd.Series(False, index=ids.index)
    todo = ~ids.isin(vid) & ids.str.fullmatch(r"\d+")
    for n in lengths:
        head, tail = ids.str[:n], ids.str[n:]
        fit = todo & ~changed & (ids.str.len() > n) & head.isin(vid) & tail.str.fullmatch(r"0+")
        fit &= ~head.isin(ids[~todo]) & ~head.duplicated(keep=False)  # one point per village
        new[fit] = head[fit]
        changed |= fit
    if not changed.any():
        return points
    out = points.copy()
    out["id"] = new.to_numpy()
    warnings.warn(f"village_points: {int(changed.sum())} id(s) are village codes extended with zeros "
                  f"(e.g. {ids[changed].iloc[0]} → {new[changed].iloc[0]}, a longer code system than "
                  f"{label}'s); matched on the {'/'.join(str(n) for n in lengths)}-digit codes",
                  DataWarning, stacklevel=5)
    return out


def _check_finite(gdf: gpd.GeoDataFrame, *, label: str) -> None:
    """Coordinates that the reprojection could not place (outside the CRS's domain) are an error."""

    from ..errors import CoordinateError, format_rows

    xy, idx = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    bad = np.unique(idx[~np.isfinite(xy).all(axis=1)])
    if len(bad):
        raise CoordinateError(
            f"{len(bad)} feature(s) cannot be placed in the working CRS (ids {format_rows(list(gdf['id'].iloc[bad]))})",
            file=label, hint="their coordinates do not fit the layer's CRS: check crs, swapped x/y or zone numbers",
        )


#: A layer whose every feature lies this far (m) outside the villages' extent is misplaced
#: as a whole (a wrong zone or CRS moves data 250 km and more; a neighbouring county's plant
#: is tens of kilometres away): an error, not a warning.
WHOLE_LAYER_AWAY_M = 150_000.0


def _far_villages(villages: gpd.GeoDataFrame, *, label: str) -> np.ndarray:
    """Villages placed away from the district's body, named; returns the outlier mask.

    All villages on one point is an error (coordinates lost in an export); villages far
    from the body of the others (:func:`geo_env.crs.outliers`) are warned about by id and
    distance, and are an error when they lie more than :data:`WHOLE_LAYER_AWAY_M` beyond
    the body's extent (a wrong zone or CRS, not a remote village).
    """
    from .. import crs as _crs
    from ..errors import CoordinateError, DataWarning, format_rows

    xy = villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
    ids = villages["id"].astype(str).to_numpy()
    if len(xy) > 1 and np.ptp(xy, axis=0).max() == 0:
        raise CoordinateError(f"all {len(xy)} villages lie on one point ({xy[0, 0]:,.1f}, {xy[0, 1]:,.1f})",
                              file=label, layer="villages",
                              hint="the coordinates were lost in an export: give the village polygons or points")
    far, dist = _crs.outliers(xy)
    if not far.any():
        return far
    x0, y0 = xy[~far].min(axis=0)
    x1, y1 = xy[~far].max(axis=0)
    beyond = np.hypot(np.maximum(np.maximum(x0 - xy[:, 0], xy[:, 0] - x1), 0),
                      np.maximum(np.maximum(y0 - xy[:, 1], xy[:, 1] - y1), 0))
    shown = [f"{i} ({b / 1000:,.0f} km)" for i, b in zip(ids[far], beyond[far])]
    if (beyond[far] > WHOLE_LAYER_AWAY_M).any():
        raise CoordinateError(
            f"{int(far.sum())} village(s) lie far from all the others, beyond the district's extent: "
            f"{format_rows(shown)}", file=label, layer="villages",
            hint="check their coordinates (a digit lost or added, lon/lat swapped, another zone's eastings)")
    warnings.warn(f"{label}: {int(far.sum())} village(s) lie far from the body of the district "
                  f"(distance beyond the other villages' extent: {format_rows(shown)}); check their "
                  f"coordinates — their results are computed where they are", DataWarning, stacklevel=3)
    return far


def _far_facilities(villages: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
                    sources: dict[str, str] | None = None) -> None:
    """Warn about facilities more than ``FAR_OUTSIDE_M`` outside the villages' extent.

    A layer lying entirely more than :data:`WHOLE_LAYER_AWAY_M` away is an error; when
    every other layer does, the villages are the ones misplaced and the error names them.
    """
    from ..errors import CRSError, DataWarning, format_rows

    sources = sources or {}
    x0, y0, x1, y1 = villages.total_bounds
    present = [n for n in ("transfer_stations", "sewage_plants", "livestock_farms", "roads")
               if layers.get(n) is not None and len(layers[n])]
    away: dict[str, float] = {}
    for name in present:
        gdf = layers[name]
        b = gdf.geometry.bounds.to_numpy()  # a point's bounds are the point
        dx = np.maximum(np.maximum(x0 - b[:, 2], b[:, 0] - x1), 0)
        dy = np.maximum(np.maximum(y0 - b[:, 3], b[:, 1] - y1), 0)
        dist = np.hypot(dx, dy)
        if dist.min() > WHOLE_LAYER_AWAY_M:
            away[name] = float(dist.min())
            continue
        far = dist > FAR_OUTSIDE_M
        if far.any() and name != "roads":
            ids = list(gdf.loc[far, "id"])
            warnings.warn(
                f"{name}: {int(far.sum())} feature(s) lie more than {FAR_OUTSIDE_M / 1000:.0f} km outside the "
                f"villages' extent ({format_rows(ids)}); check their coordinates (swapped lon/lat, "
                f"GCJ-02 or a wrong CRS)", DataWarning, stacklevel=4)
    if not away:
        return
    if len(away) >= 2 and len(away) == len(present):
        raise CRSError(
            f"every other layer ({', '.join(away)}) lies {min(away.values()) / 1000:,.0f} km or more from the "
            f"villages: the villages are probably misplaced", file=sources.get("villages"), layer="villages",
            hint="check the villages' CRS (.prj or the crs key: the zone, the datum) and lon/lat order")
    name, dist = next(iter(away.items()))
    raise CRSError(
        f"every feature of {name} lies {dist / 1000:,.0f} km or more outside the villages' extent: the "
        f"layer and the villages cannot both be in the right place", file=sources.get(name), layer=name,
        hint="check the crs (zone) of this layer and of the villages, lon/lat swapped or GCJ-02; "
             "if the layer is right, it does not belong to this district's project")


def _check_dem(table: dict[str, Any], base: Path, villages: gpd.GeoDataFrame,
               file: Path) -> tuple[Path | None, float | None, pyproj.CRS | None]:
    """The DEM's path, declared nodata and CRS, checked; ``(None, None, None)`` when it
    cannot describe the villages' terrain (warned: terrain not assessed)."""

    import rasterio

    from ..errors import CRSError, DataWarning, InputFileNotFoundError

    path = _resolve(base, table["path"])
    if not path.exists():
        raise InputFileNotFoundError("DEM file not found", file=path, layer="dem",
                                     hint="check [layers.dem] path (relative to the project file)")
    from .checks import _regular_size

    _regular_size(path, label="dem", what="DEM file")  # a pipe or a device would hang or never end
    try:
        with rasterio.open(path) as src:
            dem_crs = src.crs
            bounds = src.bounds
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileNotFoundError(f"cannot be read as a raster: {exc}", file=path, layer="dem") from None
    if dem_crs is None and "crs" not in table:
        raise CRSError("the DEM has no CRS", file=path, layer="dem", hint='add crs = "EPSG:…" to [layers.dem]')
    try:
        the_crs = pyproj.CRS.from_user_input(table.get("crs") or dem_crs.to_wkt())
    except pyproj.exceptions.CRSError:
        raise ProjectFileError(f"[layers.dem] crs = {table.get('crs')!r} is not a known CRS", file=file,
                               hint='write it as "EPSG:4548"') from None
    nodata = table.get("nodata")
    if nodata is not None and (isinstance(nodata, bool) or not isinstance(nodata, (int, float))):
        raise ProjectFileError(f"[layers.dem] nodata must be a number, not {nodata!r}", file=file)
    nodata = None if nodata is None else float(nodata)
    declared = the_crs if "crs" in table else None
    why = _dem_unusable(path, nodata, declared, villages)
    if why:
        warnings.warn(f"{path}: {why}: terrain is not assessed (no slopes, no lift stations; sewers costed "
                      f"as on flat ground) — check [layers.dem] path, crs and nodata", DataWarning, stacklevel=4)
        return None, None, None
    vb = villages.geometry.to_crs(the_crs).total_bounds
    if vb[0] < bounds.left or vb[2] > bounds.right or vb[1] < bounds.bottom or vb[3] > bounds.top:
        warnings.warn(f"{path}: the DEM does not cover every village; elevations outside it are unknown",
                      DataWarning, stacklevel=4)
    return path, nodata, declared


#: Cells of the coarse grid read to screen a DEM (its longer side): enough to tell terrain
#: from a constant or empty raster, cheap on any DEM.
_DEM_SCREEN_PIXELS = 512


def _dem_unusable(path: Path, nodata: float | None, dem_crs: pyproj.CRS | None,
                  villages: gpd.GeoDataFrame) -> str | None:
    """Why the DEM cannot describe the villages' terrain, or None: no data over any village
    anchor (it lies elsewhere, or its CRS is wrong), or one value everywhere (a constant or
    all-zero raster is no terrain)."""
    from ..terrain import read_dem

    xy = villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
    b = villages.total_bounds
    with warnings.catch_warnings():  # the analyses read it again and say what they find
        warnings.simplefilter("ignore")
        dem = read_dem(path, nodata=nodata, crs=pyproj.CRS(villages.crs), dem_crs=dem_crs,
                       bounds=(b[0], b[1], b[2], b[3]), max_pixels=_DEM_SCREEN_PIXELS)
    z = dem.sample(xy, method="nearest")
    if not np.isfinite(z).any():
        return ("the DEM does not overlap any village: no elevation at any of them (it lies elsewhere, "
                "or its CRS or nodata is wrong)")
    values = dem.values[np.isfinite(dem.values)]
    if values.min() == values.max():
        return f"every cell of the DEM over the villages holds {values.min():g} m, which is no terrain"
    return None


def load_project(path: str | Path) -> District:
    """Read a project file and every layer it names into a :class:`District`.

    Parameters
    ----------
    path
        The ``project.toml``. Layer paths in it are relative to its folder.

    Returns
    -------
    District
        Every layer validated and reprojected into the working CRS (``[project] crs``,
        default ``"auto"``: the CGCS2000 3° zone of the villages' centroid).

    Raises
    ------
    geo_env.GeoEnvError
        For any problem in the project file or the layers, naming the file, layer, column
        and row and what to do.
    """

    from .. import crs as _crs
    from ..errors import GeoEnvWarning
    from ..standards import validate_section
    from . import villages as villages_mod

    file = _project_file(Path(path))
    with warnings.catch_warnings(record=True) as toml_notes:  # kept with the layers' warnings
        warnings.simplefilter("always")
        data = _toml_load(file)
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown(key, _TOP_KEYS, "the project file (top level)", file)
    proj = _check_keys(data.get("project", {}), _PROJECT_KEYS, "[project]", file)
    lang = proj.get("lang", "zh")
    if lang not in LANGS:
        raise ProjectFileError(f"[project] lang = {lang!r} is not one of zh, en", file=file)
    basemap = proj.get("basemap", "none")
    if basemap not in BASEMAPS:
        hint = closest(str(basemap), BASEMAPS)
        raise ProjectFileError(f"[project] basemap = {basemap!r} is not one of {', '.join(BASEMAPS)}", file=file,
                               hint=f"did you mean {hint!r}?" if hint else None)
    sections = _layer_sections(data, file)
    params: dict[str, dict[str, Any]] = {}
    for sec in ("waste", "sewage", "livestock"):
        table = data.get(sec, {})
        if not isinstance(table, dict):
            raise ProjectFileError(f"[{sec}] must be a table", file=file)
        params[sec] = validate_section(sec, table, file=str(file))
    roads_opts = {k: v for k, v in sections.get("roads", {}).items() if k in _EXTRA_LAYER_KEYS["roads"]}
    params["roads"] = validate_section("roads", roads_opts, file=str(file))
    village_opts = {k: v for k, v in sections["villages"].items() if k in _EXTRA_LAYER_KEYS["villages"]}
    params["villages"] = validate_section("villages", village_opts, file=str(file))

    base = file.resolve().parent
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = {name: _read(name, table, base) for name, table in sections.items() if name != "dem"}
        tables = {n: raw.pop(n) for n in list(raw) if not isinstance(raw[n], gpd.GeoDataFrame)}
        vpath = sections["villages"]["path"]
        if "village_table" in tables:
            raw["villages"] = villages_mod.join_village_table(raw["villages"], tables["village_table"], label=vpath,
                                                              table_label=sections["village_table"]["path"])
        working = _working_crs(proj.get("crs", "auto"), raw["villages"], file)
        layers = {name: _crs.to_crs(gdf, working, label=sections[name]["path"]) for name, gdf in raw.items()}
        for name, gdf in layers.items():
            _check_finite(gdf, label=sections[name]["path"])
        villages = villages_mod.complete_people(layers["villages"], params["villages"]["persons_per_household"],
                                                label=vpath)
        villages_mod.check_people(villages, label=vpath)
        villages = _anchors(villages, pyproj.CRS(raw["villages"].crs), sections["villages"].get("coords"),
                            layers.pop("village_points", None), working, label=vpath)
        townships = layers.pop("townships", None)
        villages = villages_mod.complete_townships(
            villages, townships if townships is not None else tables.get("townships"), label=vpath,
            township_label=sections.get("townships", {}).get("path", "townships"))
        layers["villages"] = villages
        far = _far_villages(villages, label=vpath)
        _far_facilities(villages.loc[~far], layers, {n: sections[n]["path"] for n in layers if n in sections})
        dem = dem_nodata = dem_crs = None
        if "dem" in sections:
            dem, dem_nodata, dem_crs = _check_dem(sections["dem"], base, villages, file)
    messages: list[str] = []
    for w in [*toml_notes, *caught]:
        if issubclass(w.category, GeoEnvWarning):
            messages.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return District(
        name=str(proj.get("name") or file.parent.name),
        crs=working,
        dem=dem,
        dem_nodata=dem_nodata,
        dem_crs=dem_crs,
        params=params,
        lang=lang,
        basemap=basemap,
        source=file.resolve(),
        warnings=messages,
        inputs=_input_paths(file, sections),
        **{n: layers.get(n) for n in LAYER_NAMES},
    )


@dataclass
class CheckReport:
    """What ``geo-env check`` found: ``problems`` as (level, message), and ``info`` lines."""

    problems: list[tuple[str, str]] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    district: District | None = None

    @property
    def ok(self) -> bool:
        return not any(level == "error" for level, _ in self.problems)


def check_project(path: str | Path) -> CheckReport:
    """Read and validate every layer of a project; collect every problem; change nothing.

    Unlike :func:`load_project`, which stops at the first error, this reads each layer on
    its own so that one run lists the problems of all layers.
    """

    from ..errors import GeoEnvError, GeoEnvWarning

    report = CheckReport()
    file = Path(path)

    def record(caught: list[warnings.WarningMessage]) -> None:
        for w in caught:
            if issubclass(w.category, GeoEnvWarning):
                item = ("warning", str(w.message))
                if item not in report.problems:
                    report.problems.append(item)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            file = _project_file(file)
            data = _toml_load(file)
            sections = _layer_sections(data, file)
        except GeoEnvError as exc:
            report.problems.append(("error", str(exc)))
    record(caught)
    if not report.ok:
        return report
    base = file.resolve().parent
    for name, table in sections.items():
        if name == "dem":
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                gdf = _read(name, table, base)
                report.info.append(f"{name}: {len(gdf)} feature(s), CRS {gdf.crs.name if gdf.crs else '?'}"
                                   if isinstance(gdf, gpd.GeoDataFrame) else f"{name}: {len(gdf)} row(s)")
            except GeoEnvError as exc:
                report.problems.append(("error", str(exc)))
        record(caught)
    if report.ok:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                d = load_project(file)
                report.district = d
                report.info.append(f"working CRS: EPSG:{d.crs.to_epsg()} ({d.crs.name})")
                report.info.extend(_network_lines(d))
                report.info.extend(_dem_lines(d))
            except GeoEnvError as exc:
                report.problems.append(("error", str(exc)))
        record(caught)
    return report


def _dem_lines(d: District) -> list[str]:
    """The DEM as the analyses read it, for ``geo-env check``: its cells and range; its
    fill values and the villages without an elevation come as warnings."""
    if d.dem is None:
        return []
    from ..terrain import anchor_elevations, read_dem

    xy = d.villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
    b = d.villages.total_bounds
    dem = read_dem(d.dem, nodata=d.dem_nodata, crs=d.crs, dem_crs=d.dem_crs,
                   bounds=(b[0], b[1], b[2], b[3]))
    z = anchor_elevations(dem, xy, d.villages["id"].to_numpy(), where=Path(d.dem).name)
    dx, dy = dem.cell_size
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(dem.values), np.nanmax(dem.values)
    return [f"dem: {Path(d.dem).name}, {abs(dx):g} × {abs(dy):g} m cells, elevations {lo:,.0f}–{hi:,.0f} m; "
            f"villages' anchors {np.nanmin(z):,.0f}–{np.nanmax(z):,.0f} m"
            if np.isfinite(z).any() else f"dem: {Path(d.dem).name}: no elevation at any village"]


def _network_lines(d: District) -> list[str]:
    """The road network's connected parts and dangling ends, for ``geo-env check``."""
    if d.roads is None:
        return []
    from ..network import RoadNetwork

    opts = d.params["roads"]
    net = RoadNetwork.from_lines(d.roads, snap_tolerance_m=opts["snap_tolerance_m"],
                                 node_crossings=opts["node_crossings"])
    rep = net.report()
    parts = ", ".join(f"{m / 1000:.1f} km" for m in rep["part_length_m"][:8])
    more = " …" if rep["parts"] > 8 else ""
    lines = [f"roads: {rep['length_m'] / 1000:.1f} km in {rep['parts']} connected part(s): {parts}{more}"]
    ends = rep["dangling_ends"]
    if ends:
        shown = "; ".join(f"road row {e['row']} at ({e['x']:.0f}, {e['y']:.0f}): gap {e['gap_m']:.1f} m"
                          + (" (joins another part)" if e["joins_other_part"] else "") for e in ends[:5])
        lines.append(f"roads: {len(ends)} dangling end(s) lie within {rep['larger_tolerance_m']:g} m of another "
                     f"line; a larger snap_tolerance_m in [layers.roads] would join them: {shown}"
                     + (" …" if len(ends) > 5 else ""))
    return lines


_TEMPLATE = '''\
# geo_env project file (TOML).  运行: geo-env check project.toml ; geo-env run project.toml
# Paths are relative to this file.  路径相对于本文件所在目录。
# Windows paths: in single quotes ('D:\\数据\\村界.shp') or with / ("D:/数据/村界.shp"); in "…" a \\ starts an escape.

[project]
name = "某区农村人居环境整治"   # 项目名称 / project name
crs = "auto"                   # "auto" = CGCS2000 3° zone of the district, or e.g. "EPSG:4547"
lang = "zh"                    # zh | en : labels of maps and tables
basemap = "none"               # none | osm | tianditu | amap (tiles need internet; the map works without)

[layers.villages]              # 行政村面 (polygons or points) — required / 必填
path = "villages.shp"
# encoding = "gbk"             # only if names come out garbled; normally detected
# crs = "EPSG:4527"            # only for files without .prj
columns = { id = "CUN_DM", name = "CUN_MC", township = "XZ_MC", population = "RK", households = "HS" }
# persons_per_household = 2.62 # households ↔ population where one of them is blank
# township, population, households may be missing: see README "Blank cells and missing columns"

# [layers.village_table]       # 各村人口表 (CSV/XLSX, no coordinates), joined by village code or name
# path = "village_table.xlsx"
# columns = { id = "村代码", population = "常住人口", households = "户数" }

# [layers.townships]           # 乡镇名称: polygons, or a table of township codes (9 digits)
# path = "townships.csv"
# columns = { id = "乡镇代码", name = "乡镇名称" }

[layers.transfer_stations]     # 垃圾转运站 (points; CSV/XLSX with x/y columns)
path = "stations.xlsx"
x = "经度"
y = "纬度"
coords = "gcj02"               # wgs84 | cgcs2000 | gcj02 (高德/腾讯) | bd09 (百度)
columns = { id = "编号", name = "名称" }

# [layers.sewage_plants]       # 污水处理厂/站: capacity_m3_per_day, load_m3_per_day
# path = "plants.xlsx"
# columns = { id = "编号", name = "名称", capacity_m3_per_day = "设计规模", load_m3_per_day = "现状负荷" }

# [layers.livestock_farms]     # 畜禽养殖场: species (生猪/奶牛/肉牛/羊/蛋鸡/肉鸡), head (存栏)
# path = "farms.csv"
# columns = { id = "编号", name = "养殖场名称", species = "畜种", head = "存栏量" }

# [layers.roads]               # 道路 (lines) — needed for road distances
# path = "roads.gpkg"
# layer = "roads"
# snap_tolerance_m = 1.0       # line ends this close to another line join it
# node_crossings = false       # true: lines that cross without a vertex are joined
# max_connector_m = 1000       # farther from every road → road distance unknown

# [layers.water]               # 水系 (lines/polygons): rivers, reservoirs, source-protection zones
# path = "water.shp"

# [layers.dem]                 # 数字高程模型 GeoTIFF
# path = "dem.tif"
# nodata = -9999               # only when the file declares nodata wrongly

[waste]                        # 垃圾收运
service_radius_m = 3000        # 服务半径 (m)
metric = "auto"                # auto | road | straight
target_coverage = 0.95         # 覆盖目标（按人口）

# [sewage]                     # 污水治理参数 (see report.xlsx, sheet 参数, for every key and its source)
# [livestock]                  # 畜禽粪污参数
'''


def project_template() -> str:
    """A commented ``project.toml`` template (``geo-env init``)."""
    return _TEMPLATE
