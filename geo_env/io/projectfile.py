"""The project file (``project.toml``): its text, its TOML, its keys and sections, its paths.

The text is UTF-8 with or without BOM, else GBK (Chinese Notepad's "ANSI") or UTF-16 with
BOM (Notepad's "Unicode"), warned; a folder stands for its ``project.toml``.  TOML errors
name the line, show it and say what to check (a Windows path in double quotes first of
all).  Unknown keys are errors suggesting the closest valid one; every layer section
needs a ``path``, relative to the project file.  :func:`project_template` is the
commented template ``geo-env init`` writes.
"""

from __future__ import annotations

import codecs
import re
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._choices import BASEMAPS, LANGS
from ..errors import EncodingError, GeoEnvWarning, InputFileNotFoundError, ProjectFileError, closest, format_rows
from ..standards import validate_section
from .checks import _regular_size, _size_text
from .district import LAYER_NAMES
from .encodings import _first_undecodable_line, detect_encoding

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

__all__ = ["MAX_PROJECT_BYTES", "project_inputs", "project_template", "section_label"]

#: The keys and sections a project file may hold.
_TOP_KEYS = ("project", "layers", "waste", "sewage", "livestock", "targets", "phasing", "phases")
#: The keys of one ``[[phases]]`` block (近期/远期): its name, last year, capex budget (万元)
#: and, optionally, a ceiling of the yearly O&M of everything built by its end (万元/年).
_PHASE_KEYS = ("name", "end_year", "budget_wan", "om_ceiling_wan_per_year")
_PROJECT_KEYS = ("name", "crs", "lang", "basemap")
_LAYER_KEYS = ("path", "layer", "sheet", "encoding", "columns", "x", "y", "coords", "crs", "url", "table", "sql")
#: The keys of a layer read from PostGIS (``url`` with ``table`` or ``sql``).
_DATABASE_KEYS = ("url", "table", "sql", "columns", "coords", "crs")
_EXTRA_LAYER_KEYS = {
    "roads": ("snap_tolerance_m", "node_crossings", "max_connector_m"),
    "villages": ("persons_per_household",),
}
_DEM_KEYS = ("path", "crs", "nodata")
#: Sections read as tables without geometry (``townships`` too when it is CSV/XLSX).
_TABLE_KEYS = ("path", "sheet", "encoding", "columns")
_LAYER_SECTIONS = (*LAYER_NAMES, "village_points", "village_table", "townships", "dem")

#: Largest project file read (bytes): a project.toml is a few KB of text.  1 MiB.
MAX_PROJECT_BYTES = 1024**2


def _toml_load(path: Path) -> dict[str, Any]:
    """The TOML of the project file ``path`` (see :func:`_project_text`); errors name the line."""
    text = _project_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(str(exc), text, path) from None


def _project_file(path: Path) -> Path:
    """The project file ``path`` names: the file itself, or a folder's ``project.toml``."""
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
        if "url" in table:
            out[name] = _database_section(name, table, file)
            continue
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


def _database_section(name: str, table: dict[str, Any], file: Path) -> dict[str, Any]:
    """A layer read from PostGIS: ``url`` (no password) and one of ``table`` / ``sql``; file keys refused."""
    from .postgis import check_url

    where = f"[layers.{name}]"
    extra = _EXTRA_LAYER_KEYS.get(name, ())
    wrong = [k for k in table if k not in (*_DATABASE_KEYS, *extra)]
    if wrong:
        raise ProjectFileError(f"{where} reads from a database (url): {', '.join(wrong)} are for files", file=file,
                               hint="remove them; a database layer takes url, table or sql, columns, coords, crs")
    for key in ("url", "table", "sql"):
        if key in table and not isinstance(table[key], str):
            raise ProjectFileError(f"{where} {key} must be text", file=file)
    check_url(table["url"], where=where, file=str(file))
    if ("table" in table) == ("sql" in table):
        raise ProjectFileError(f"{where} needs either table or sql with its url", file=file,
                               hint='add table = "schema.table" or sql = "SELECT …"')
    if "columns" in table and not isinstance(table["columns"], dict):
        raise ProjectFileError(f"{where} columns must be a table", file=file,
                               hint='write columns = { id = "CODE", name = "NAME" }')
    return dict(table)


def section_label(table: Mapping[str, Any]) -> str:
    """How messages name a layer section: its path, or its database and table (never a password)."""
    if "url" in table:
        from .postgis import display_url

        return f"{display_url(table['url'])} {table.get('table') or 'sql'}"
    return str(table["path"])


def _project_table(data: dict[str, Any], file: Path) -> dict[str, Any]:
    """The ``[project]`` table, its keys, ``lang`` and ``basemap`` checked (and first the
    file's top-level keys)."""
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
    return proj


def _params(data: dict[str, Any], sections: dict[str, dict[str, Any]], file: Path) -> dict[str, dict[str, Any]]:
    """The analyses' settings, validated and merged over :mod:`geo_env.standards`: the
    ``[waste]``, ``[sewage]`` and ``[livestock]`` tables, and the roads' and villages'
    options in their layer sections."""
    params: dict[str, dict[str, Any]] = {}
    for sec in ("waste", "sewage", "livestock", "targets", "phasing"):
        table = data.get(sec, {})
        if not isinstance(table, dict):
            raise ProjectFileError(f"[{sec}] must be a table", file=file)
        params[sec] = validate_section(sec, table, file=str(file))
    # which targets the project sets itself (the others may take a province's figure)
    params["targets"]["_given"] = sorted(k for k in data.get("targets", {}) if not k.endswith("_year"))
    params["phasing"]["phases"] = _phases(data.get("phases", []), file)
    roads_opts = {k: v for k, v in sections.get("roads", {}).items() if k in _EXTRA_LAYER_KEYS["roads"]}
    params["roads"] = validate_section("roads", roads_opts, file=str(file))
    village_opts = {k: v for k, v in sections["villages"].items() if k in _EXTRA_LAYER_KEYS["villages"]}
    params["villages"] = validate_section("villages", village_opts, file=str(file))
    return params


def _phases(blocks: Any, file: Path) -> list[dict[str, Any]]:
    """The ``[[phases]]`` blocks, checked: each a table with a name, an end year after the
    previous one's, a budget of 0 or more (万元) and an optional O&M ceiling."""
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise ProjectFileError("phases must be written as [[phases]] blocks (an array of tables)", file=file,
                               hint='[[phases]]\nname = "近期"\nend_year = 2027\nbudget_wan = 3000')
    out: list[dict[str, Any]] = []
    for k, block in enumerate(blocks, start=1):
        where = f"[[phases]] block {k}"
        _check_keys(block, _PHASE_KEYS, where, file)
        for key in ("name", "end_year", "budget_wan"):
            if key not in block:
                raise ProjectFileError(f"{where} has no '{key}'", file=file,
                                       hint='each phase needs name, end_year and budget_wan (万元)')
        year, budget = block["end_year"], block["budget_wan"]
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            raise ProjectFileError(f"{where}: end_year = {year!r} is not a year from 2000 to 2100", file=file)
        if out and year <= out[-1]["end_year"]:
            raise ProjectFileError(f"{where}: end_year {year} is not after the previous phase's "
                                   f"({out[-1]['end_year']})", file=file, hint="list the phases in time order")
        ceiling = block.get("om_ceiling_wan_per_year")
        for key, val in (("budget_wan", budget), ("om_ceiling_wan_per_year", ceiling)):
            if val is not None and (isinstance(val, bool) or not isinstance(val, (int, float))
                                    or not 0 <= val <= 1e9):
                raise ProjectFileError(f"{where}: {key} = {val!r} must be a number of 0 or more (万元)", file=file)
        out.append({"name": str(block["name"]), "end_year": int(year), "budget_wan": float(budget),
                    "om_ceiling_wan_per_year": None if ceiling is None else float(ceiling)})
    return out


def _resolve(base: Path, value: str) -> Path:
    p = Path(str(value)).expanduser()
    return p if p.is_absolute() else (base / p)


def _input_paths(file: Path, sections: dict[str, dict[str, Any]]) -> tuple[Path, ...]:
    base = file.resolve().parent
    return (file.resolve(), *(_resolve(base, table["path"]).resolve() for table in sections.values()
                              if "path" in table))


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

# [layers.waste_facilities]    # 垃圾处理设施 (焚烧厂/填埋场/堆肥厂; points): kind, capacity_t_per_day
# path = "waste_facilities.xlsx"
# columns = { id = "编号", name = "名称", kind = "类型", capacity_t_per_day = "设计能力（吨/日）" }

# [layers.collection_points]   # 村收集点 (points)
# path = "collection_points.gpkg"

# [layers.households]          # 农户/房屋 (points or polygons; or [layers.buildings]); households = 户数 per feature
# path = "buildings.gpkg"

# [layers.water]               # 水系 (lines/polygons): rivers, reservoirs, source-protection zones
# path = "water.shp"

# [layers.dem]                 # 数字高程模型 GeoTIFF
# path = "dem.tif"
# nodata = -9999               # only when the file declares nodata wrongly

[waste]                        # 垃圾收运
service_radius_m = 3000        # 服务半径 (m)
metric = "auto"                # auto | road | straight
target_coverage = 0.95         # 覆盖目标（按人口）
# generation_kg_per_person_day = 0.52   # 人均垃圾产生量 kg/(人·d)
# township_generation_kg_per_person_day = { "某某镇" = 0.8 }   # per-township override
# peak_factor = 1.3            # 产量变化系数 (festivals, tourists)
# transfer stations: add capacity_t_per_day = "设计能力（吨/日）" to their columns

# [sewage]                     # 污水治理参数 (see report.xlsx, sheet 参数, for every key and its source)
# replan_existing = false      # true: plan villages treated today from zero (default: keep running works)
# [livestock]                  # 畜禽粪污参数

# Status baseline (现状), all optional: villages 污水现状 (未治理/纳管/村级集中/片区集中/分散),
# 设施编号, 卫生厕所户数, 已纳入收运体系 (是/否); plants and stations 状态 (运行/停运/在建/规划),
# 类型, 建成年份; farms 配套粪污处理设施 (是/否), 综合利用率 (0.85 or 85%).
# [targets]                    # 考核指标目标值 (defaults: national plan figures, cited in report.xlsx)
# province = "44"              # national | 44 (Guangdong figures where it has them)
# sewage_treatment_rate = 0.6  # 农村生活污水治理率
# sewage_treatment_rate_year = 2025
# sanitary_toilet_rate = 0.9   # 卫生厕所普及率 (no national figure)
'''


def project_template() -> str:
    """A commented ``project.toml`` template (``geo-env init``)."""
    return _TEMPLATE
