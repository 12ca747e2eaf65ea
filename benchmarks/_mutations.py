"""The mutation corpus of ``benchmarks/stress_mutations.py``: bad inputs and faults made
from the sample district (``data/sample/``), each with what a CORRECT geo_env must do.

Every :class:`Case` mutates a fresh copy of the sample district (files and/or
``project.toml``; or the output folder, the environment, a fault) and names the command to
run and its :class:`Expect`\\ ation.  The expectations are those of the reliability issue
(quoted per group below), not what today's code does: the corpus is the yardstick.

Expectation kinds (a case accepts a set of them):

``error``
    exit status 2, one ``error:`` line (no traceback) that matches every regex of ``need``
    (they say *where*: file, layer, column, row or id — and a key word of *what*).
``warn``
    exit status 0, a ``warning:`` line matching every regex of ``need`` — for ``run`` also
    an entry of ``summary.json`` ``"warnings"`` matching them — and ``check`` passing.
``ok``
    exit status 0 and ``check`` (a function of the result: summary.json figures equal to
    the unmutated baseline's, a file of the output …) passing.  Warnings are allowed.

Regexes match ids, row numbers, file names and a few key words in Chinese or English
(any clear wording passes, not one exact sentence): see :func:`at`, :func:`kw`.

This module only builds cases; ``stress_mutations.py`` runs and classifies them.  It
imports geopandas, pyogrio, rasterio, openpyxl (geo_env's own dependencies) but not geo_env.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import shutil
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLE = REPO / "data" / "sample"

# ---------------------------------------------------------------------------------------
# expectations
# ---------------------------------------------------------------------------------------


@dataclass
class Expect:
    """What a correct geo_env does: one of ``kinds``; see the module docstring."""

    kinds: frozenset[str]
    need: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = None

    def describe(self) -> str:
        return "|".join(sorted(self.kinds))


def error(*need: str) -> Expect:
    return Expect(frozenset({"error"}), tuple(need))


def warn(*need: str, check: Callable[[Any], str | None] | None = None) -> Expect:
    return Expect(frozenset({"warn"}), tuple(need), check)


def ok(check: Callable[[Any], str | None] | None = None) -> Expect:
    return Expect(frozenset({"ok"}), (), check)


def either(kinds: Iterable[str], *need: str, check: Callable[[Any], str | None] | None = None) -> Expect:
    return Expect(frozenset(kinds), tuple(need), check)


# ---------------------------------------------------------------------------------------
# regex helpers: where (ids, rows, files) and what (key words)
# ---------------------------------------------------------------------------------------


def lit(*texts: str) -> str:
    """Any of ``texts`` literally."""
    return "(?:" + "|".join(re.escape(t) for t in texts) + ")"


def kw(*words: str) -> str:
    """Any of ``words`` (regexes), case-insensitive."""
    return "(?i:" + "|".join(words) + ")"


def rows(*numbers: int) -> str:
    """A row/line/feature number named after a word that says it is one ("rows 2, 5",
    "line 7", "第 7 行", "FID 6", "记录 7")."""
    nums = "|".join(str(n) for n in numbers)
    return (r"(?i:(?:rows?|lines?|records?|features?|fid|行|第|记录|要素)[^\n]{0,80}?"
            rf"(?<![\d.])(?<!\d,)(?:{nums})(?![\d.]|,\d))")


def at(ids: Sequence[str] = (), row_numbers: Sequence[int] = ()) -> str:
    """Where: one of the ids literally, or one of the row numbers (see :func:`rows`)."""
    alts = []
    if ids:
        alts.append(lit(*ids))
    if row_numbers:
        alts.append(rows(*row_numbers))
    return "(?:" + "|".join(alts) + ")"


def dbf_rows(i: int) -> tuple[int, ...]:
    """What a person may call record ``i`` (0-based) of a shapefile: feature i+1, FID i."""
    return (i + 1, i)


def csv_rows(i: int) -> tuple[int, ...]:
    """What a person may call data row ``i`` (0-based) of a CSV with one header line:
    file line i+2, or data row i+1."""
    return (i + 2, i + 1)


def file_kw(*names: str) -> str:
    """The file named (its name, or the layer's name)."""
    return lit(*names)


POP_KW = kw("population", "人口", r"\bRK\b")
HH_KW = kw("household", "户数", r"\bHS\b", "户")
HEAD_KW = kw(r"\bhead\b", "存栏", "stock")
CAP_KW = kw("capacity", "设计规模", "规模", "处理能力")
FARMLAND_KW = kw("farmland", "耕地", "GD_MU", "manure", "balance", "粪污", "承载")
PLAUSIBLE_KW = kw("plausib", "unrealistic", "absurd", "too (?:large|many|high|big)", "exceed", "household",
                  "per household", "户", "异常", "不合理", "过大", "超过", "偏大", "impossible", "range", "范围")

# ---------------------------------------------------------------------------------------
# checks of a result (exit 0): functions of the runner's Result, returning a reason or None
# ---------------------------------------------------------------------------------------


def _get(d: Any, path: str) -> Any:
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            raise KeyError(path)
        d = d[k]
    return d


def same(*paths: str, rel: float = 0.0) -> Callable[[Any], str | None]:
    """summary.json figures equal to the baseline's (within ``rel``)."""

    def check(r: Any) -> str | None:
        if r.summary is None:
            return None if r.command != "run" else "no summary.json"
        for p in paths:
            try:
                got, want = _get(r.summary, p), _get(r.baseline, p)
            except KeyError:
                return f"summary.json has no {p}"
            if isinstance(want, (int, float)) and isinstance(got, (int, float)) and rel:
                if abs(got - want) > rel * abs(want):
                    return f"{p} = {got}, baseline {want} (±{rel:.0%})"
            elif got != want:
                shown = [json.dumps(v, ensure_ascii=False)[:80] for v in (got, want)]
                return f"{p} = {shown[0]}, baseline {shown[1]}"
        return None

    return check


def township_names(expected: Callable[[Any], set[str]] | set[str] | None = None) -> Callable[[Any], str | None]:
    """The township names of the waste table equal the baseline's (or ``expected``):
    text decoded right, not mojibake."""

    def check(r: Any) -> str | None:
        if r.summary is None:
            return "no summary.json"
        want = set(_get(r.baseline, "waste.by_township")) if expected is None else (
            expected(r) if callable(expected) else expected)
        try:
            got = set(_get(r.summary, "waste.by_township"))
        except KeyError:
            return "summary.json has no waste.by_township"
        return None if got == want else f"townships {sorted(got)[:4]}…, expected {sorted(want)[:4]}…"

    return check


def all_of(*checks: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    def check(r: Any) -> str | None:
        for c in checks:
            reason = c(r)
            if reason:
                return reason
        return None

    return check


def check_count(layer: str, n: int) -> Callable[[Any], str | None]:
    """``geo-env check`` reports ``layer: n feature(s)`` (skipped when the line is absent)."""

    def check(r: Any) -> str | None:
        m = re.search(rf"^{layer}: (\d+) feature", r.stdout, re.M)
        if m and int(m.group(1)) != n:
            return f"{layer}: {m.group(1)} features read, expected {n}"
        return None

    return check


# ---------------------------------------------------------------------------------------
# the context a mutation works in
# ---------------------------------------------------------------------------------------


@dataclass
class Ctx:
    """A case's folders: ``proj`` (the copy of the sample), ``out`` (the output folder)."""

    root: Path
    proj: Path
    out: Path
    env: dict[str, str] = field(default_factory=dict)
    project_arg: Path | None = None
    out_arg: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def toml_path(self) -> Path:
        return self.proj / "project.toml"

    def toml(self) -> str:
        return self.toml_path.read_text(encoding="utf-8")

    def sub(self, old: str, new: str, count: int = 1) -> None:
        """Replace ``old`` (which must occur) in project.toml."""
        text = self.toml()
        if old not in text:
            raise AssertionError(f"project.toml has no {old!r}")
        self.toml_path.write_text(text.replace(old, new, count), encoding="utf-8")

    def append(self, text: str) -> None:
        self.toml_path.write_text(self.toml() + "\n" + text + "\n", encoding="utf-8")

    def section_add(self, section: str, line: str) -> None:
        """Add ``line`` right under ``[section]`` of project.toml."""
        self.sub(f"[{section}]\n", f"[{section}]\n{line}\n")


VILLAGE_COLUMNS = ('columns = { id = "CUN_DM", name = "CUN_MC", township = "XZ_MC", population = "RK", '
                   'households = "HS", farmland_mu = "GD_MU" }')


# ---------------------------------------------------------------------------------------
# DBF: read and write a shapefile's attributes byte for byte (GBK kept, no .cpg, LDID 0)
# ---------------------------------------------------------------------------------------


@dataclass
class DbfField:
    name: bytes
    type: str
    length: int
    decimals: int


class Dbf:
    """A dBASE III table as raw bytes per value; edits keep everything else as it was."""

    def __init__(self, data: bytes) -> None:
        self.version = data[0]
        self.date = data[1:4]
        n = struct.unpack("<I", data[4:8])[0]
        hlen, rlen = struct.unpack("<HH", data[8:12])
        self.ldid = data[29]
        self.fields: list[DbfField] = []
        pos = 32
        while data[pos] != 0x0D:
            d = data[pos:pos + 32]
            self.fields.append(DbfField(d[:11].split(b"\x00")[0], chr(d[11]), d[16], d[17]))
            pos += 32
        self.records: list[list[bytes]] = []
        self.flags: list[bytes] = []
        for i in range(n):
            rec = data[hlen + i * rlen: hlen + (i + 1) * rlen]
            self.flags.append(rec[:1])
            vals, o = [], 1
            for f in self.fields:
                vals.append(rec[o:o + f.length])
                o += f.length
            self.records.append(vals)

    @classmethod
    def load(cls, path: Path) -> Dbf:
        return cls(path.read_bytes())

    def col(self, name: str) -> int:
        for i, f in enumerate(self.fields):
            if f.name == name.encode("gbk"):
                return i
        raise KeyError(name)

    def text(self, row: int, name: str, enc: str = "gbk") -> str:
        return self.records[row][self.col(name)].decode(enc).strip()

    def column(self, name: str, enc: str = "gbk") -> list[str]:
        return [self.text(i, name, enc) for i in range(len(self.records))]

    def set(self, row: int, name: str, value: str | bytes | None, enc: str = "gbk") -> None:
        """Set a value (None or "" = blank); numeric values right-aligned, text left."""
        j = self.col(name)
        raw = b"" if value is None else (value if isinstance(value, bytes) else str(value).encode(enc))
        self.records[row][j] = raw

    def set_type(self, name: str, type_: str) -> None:
        f = self.fields[self.col(name)]
        f.type = type_
        if type_ == "C":
            f.decimals = 0

    def rename(self, old: str, new: str) -> None:
        self.fields[self.col(old)].name = new.encode("gbk")

    def drop(self, name: str) -> None:
        j = self.col(name)
        del self.fields[j]
        for rec in self.records:
            del rec[j]

    def recode(self, src: str, dst: str, convert: Callable[[str], str] | None = None,
               errors: str = "strict") -> None:
        """Re-encode every character field (and field name) from ``src`` to ``dst``."""
        for j, f in enumerate(self.fields):
            if f.type != "C":
                continue
            for rec in self.records:
                text = rec[j].decode(src).rstrip(" \x00")
                if convert:
                    text = convert(text)
                rec[j] = text.encode(dst, errors=errors)

    def keep_rows(self, keep: Sequence[int]) -> None:
        self.records = [self.records[i] for i in keep]
        self.flags = [self.flags[i] for i in keep]

    def to_bytes(self) -> bytes:
        widths = []
        for j, f in enumerate(self.fields):
            longest = max((len(r[j].strip()) for r in self.records), default=0)
            widths.append(min(254, max(f.length, longest)))
        hlen = 32 + 32 * len(self.fields) + 1
        rlen = 1 + sum(widths)
        head = bytearray(32)
        head[0] = self.version
        head[1:4] = self.date
        head[4:8] = struct.pack("<I", len(self.records))
        head[8:12] = struct.pack("<HH", hlen, rlen)
        head[29] = self.ldid
        out = bytearray(head)
        for f, w in zip(self.fields, widths):
            d = bytearray(32)
            d[:len(f.name[:10])] = f.name[:10]
            d[11] = ord(f.type)
            d[16] = w
            d[17] = f.decimals
            out += d
        out += b"\x0d"
        for flag, rec in zip(self.flags, self.records):
            out += flag
            for f, w, v in zip(self.fields, widths, rec):
                v = v.strip() if f.type != "C" else v.rstrip(b" ")
                v = v[:w]
                out += v.rjust(w) if f.type in "NF" else v.ljust(w)
        out += b"\x1a"
        return bytes(out)

    def save(self, path: Path) -> None:
        path.write_bytes(self.to_bytes())


# ---------------------------------------------------------------------------------------
# the sample district as the mutations need to know it
# ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def sample() -> dict[str, Any]:
    """Ids, rows and figures of the sample used to build regexes (read once)."""
    import geopandas as gpd
    import numpy as np

    dbf = Dbf.load(SAMPLE / "villages.dbf")
    ids = dbf.column("CUN_DM")
    names = dbf.column("CUN_MC")
    pop = [int(v) for v in dbf.column("RK")]
    hh = [int(v) for v in dbf.column("HS")]
    farms = _read_csv(SAMPLE / "livestock_farms.csv")
    header, body = farms[0], farms[1:]
    v = gpd.read_file(SAMPLE / "villages.shp", encoding="gbk").to_crs(4548)
    f = body
    fx = np.array([_deg(r[header.index("经度")]) for r in f])
    fy = np.array([_deg(r[header.index("纬度")]) for r in f])
    fpts = gpd.GeoSeries(gpd.points_from_xy(fx, fy), crs=4326).to_crs(4548)
    cent = v.geometry.representative_point()
    dist = np.array([fpts.distance(c).min() for c in cent])
    unreachable = {"361199101225", "361199102211", "361199101201", "361199101202", "361199102222"}
    order = [i for i in np.argsort(-dist) if ids[i] not in unreachable and i >= 10]
    return {
        "ids": ids, "names": names, "pop": pop, "hh": hh,
        "townships": dbf.column("XZ_MC"),
        "farm_header": header, "farm_rows": body,
        "far_village": int(order[len(order) // 10]),  # far from every farm, not an odd one
    }


def _deg(text: str) -> float:
    m = re.match(r"^\s*(\d+)°(\d+)'([\d.]+)\"([NSEW])?\s*$", text)
    if m:
        return int(m.group(1)) + int(m.group(2)) / 60 + float(m.group(3)) / 3600
    return float(text)


def _read_csv(path: Path, enc: str = "gbk") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(enc), newline="")))


def _write_csv(path: Path, table: Sequence[Sequence[Any]], enc: str = "gbk", sep: str = ",",
               bom: bool = False) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    w.writerows(table)
    data = buf.getvalue().encode(enc)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def farms_table(ctx: Ctx) -> list[list[str]]:
    return _read_csv(ctx.proj / "livestock_farms.csv")


def farm_col(name: str) -> int:
    return sample()["farm_header"].index(name)


def edit_farms(ctx: Ctx, fn: Callable[[list[list[str]]], None], enc: str = "gbk", **kw_: Any) -> None:
    t = farms_table(ctx)
    fn(t)
    _write_csv(ctx.proj / "livestock_farms.csv", t, enc=enc, **kw_)


def edit_dbf(ctx: Ctx, fn: Callable[[Dbf], None]) -> None:
    d = Dbf.load(ctx.proj / "villages.dbf")
    fn(d)
    d.save(ctx.proj / "villages.dbf")


def edit_json(ctx: Ctx, name: str, fn: Callable[[dict], None]) -> None:
    p = ctx.proj / name
    data = json.loads(p.read_text(encoding="utf-8"))
    fn(data)
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def edit_xlsx(ctx: Ctx, fn: Callable[[Any], None], name: str = "transfer_stations.xlsx") -> None:
    import openpyxl

    p = ctx.proj / name
    wb = openpyxl.load_workbook(p)
    fn(wb)
    wb.save(p)


def village_geoms(ctx: Ctx) -> Any:
    import geopandas as gpd

    return gpd.read_file(ctx.proj / "villages.shp", columns=[], ignore_geometry=False).geometry


def write_village_geoms(ctx: Ctx, geoms: Any, dbf: Dbf | None = None) -> None:
    """Rewrite villages.shp/.shx with ``geoms`` (EPSG:4490); keep the .dbf (or write
    ``dbf``) and .prj as they are, no .cpg."""
    import tempfile

    import geopandas as gpd

    with tempfile.TemporaryDirectory(dir=ctx.root) as tmp:
        gdf = gpd.GeoDataFrame({"k": range(len(geoms))}, geometry=list(geoms), crs=4490)
        gdf.to_file(Path(tmp) / "v.shp", engine="pyogrio")
        for ext in (".shp", ".shx"):
            shutil.copyfile(Path(tmp) / f"v{ext}", ctx.proj / f"villages{ext}")
    if dbf is not None:
        dbf.save(ctx.proj / "villages.dbf")


def move_village(ctx: Ctx, i: int, dx_m: float, dy_m: float = 0.0) -> None:
    import shapely

    g = village_geoms(ctx).to_crs(4548)
    g.iloc[i] = shapely.affinity.translate(g.iloc[i], dx_m, dy_m)
    write_village_geoms(ctx, g.to_crs(4490))


def edit_dem(ctx: Ctx, fn: Callable[[Any, dict], tuple[Any, dict]]) -> None:
    import rasterio

    p = ctx.proj / "dem.tif"
    with rasterio.open(p) as src:
        arr = src.read(1)
        prof = src.profile.copy()
    arr, prof = fn(arr, prof)
    p.unlink()
    with rasterio.open(p, "w", **prof) as dst:
        dst.write(arr, 1)


def truncate(path: Path, share: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * share)])


def village_table_rows(key: str = "code", float_codes: bool = False) -> list[list[Any]]:
    s = sample()
    head = ["村代码" if key == "code" else "村名", "人口", "户数"]
    out: list[list[Any]] = [head]
    for i, vid in enumerate(s["ids"]):
        k: Any = s["names"][i] if key == "name" else (float(vid) if float_codes else vid)
        out.append([k, s["pop"][i], s["hh"][i]])
    return out


def write_xlsx(path: Path, table: Sequence[Sequence[Any]], sheet: str = "Sheet1") -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in table:
        ws.append(list(r))
    wb.save(path)


def drop_people_columns(ctx: Ctx) -> None:
    ctx.sub(VILLAGE_COLUMNS, 'columns = { id = "CUN_DM", name = "CUN_MC", township = "XZ_MC", '
                             'farmland_mu = "GD_MU" }')


def _kml_water(ctx: Ctx) -> Path:
    import geopandas as gpd

    w = gpd.read_file(ctx.proj / "water.geojson")
    p = ctx.proj / "water.kml"
    w.to_file(p, driver="KML", engine="pyogrio")
    (ctx.proj / "water.geojson").unlink()
    ctx.sub('path = "water.geojson"', 'path = "water.kml"')
    return p


# a few simplified → traditional characters so that a Big5 file holds real Big5 text
_S2T = str.maketrans({"东": "東", "门": "門", "镇": "鎮", "据": "據", "仅": "僅", "数": "數",
                      "凤": "鳳", "龙": "龍", "岭": "嶺", "陈": "陳", "吴": "吳", "邓": "鄧",
                      "黄": "黃", "万": "萬", "张": "張", "刘": "劉", "杨": "楊", "罗": "羅",
                      "汤": "湯", "冯": "馮", "钟": "鍾", "赵": "趙", "叶": "葉", "华": "華",
                      "湾": "灣", "坝": "壩", "塘": "塘", "圩": "圩", "桥": "橋", "庙": "廟",
                      "闸": "閘", "坊": "坊", "营": "營", "头": "頭", "丰": "豐", "兴": "興",
                      "乡": "鄉", "区": "區", "县": "縣", "厂": "廠", "广": "廣", "园": "園"})


def to_big5_text(text: str) -> str:
    out = []
    for ch in text.translate(_S2T):
        try:
            ch.encode("big5")
            out.append(ch)
        except UnicodeEncodeError:
            out.append("村")
    return "".join(out)


# ---------------------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------------------


@dataclass
class Case:
    """One mutation: ``mutate(ctx)`` then ``command`` (check | run | demo | api-… |
    module-check | fault-…), judged against ``expect``."""

    name: str
    group: str
    mutate: Callable[[Ctx], None]
    command: str
    expect: Expect
    timeout: float = 120.0
    prior_output: bool = False      # a previous good output (+ notes.docx) in the output folder
    fault: dict[str, Any] = field(default_factory=dict)
    note: str = ""


CASES: list[Case] = []
SKIPPED: list[tuple[str, str, str]] = []  # (name, group, why it cannot be simulated here)


def nothing(ctx: Ctx) -> None:
    """No mutation (the fault is in the command, environment or output folder)."""


def add(name: str, group: str, command: str, expect: Expect, mutate: Callable[[Ctx], None] = nothing,
        **kwargs: Any) -> None:
    CASES.append(Case(name, group, mutate, command, expect, **kwargs))


def _s() -> dict[str, Any]:
    return sample()


def _vid(i: int) -> str:
    return _s()["ids"][i]


def _fid(i: int) -> str:
    return _s()["farm_rows"][i][farm_col("编号")]


# Rows used below (0-based).  Village 2 has 152 households (the example).
V_A, V_B, V_C = 2, 40, 120
F_A, F_B = 3, 20

# =======================================================================================
# Group "blank": the issue, "Crashes": "A blank numeric cell anywhere (empty 人口 RK in the
# villages DBF, empty 存栏量 in the farms CSV, null 设计规模 in sewage plants) crashes both
# `run` and `check`. Blank means missing: report which rows, and use a documented rule
# (village population missing → estimated from households × the standard household size,
# flagged in the output and the warnings; capacity missing → that plant cannot absorb
# villages, warned)."
# =======================================================================================
G = "blank"


def _blank_rk(ctx: Ctx) -> None:
    edit_dbf(ctx, lambda d: [d.set(i, "RK", None) for i in (V_A, V_B, V_C)])


def _where_villages(*rows_: int) -> str:
    return at([_vid(i) for i in rows_], [n for i in rows_ for n in dbf_rows(i)])


def _where_farms(*rows_: int) -> str:
    return at([_fid(i) for i in rows_], [n for i in rows_ for n in csv_rows(i)])


def _pop_estimate_ok(r: Any) -> str | None:
    """Population = baseline − blanked + households × the standard household size (the
    parameter summary.json reports, else 2.62), ±0.1 %: counting the blanks as 0 is 0.8 % off."""
    s = _s()
    try:
        size = float(_get(r.summary, "parameters.villages.persons_per_household"))
    except (KeyError, TypeError, ValueError):
        size = 2.62
    want = sum(s["pop"]) - sum(s["pop"][i] for i in (V_A, V_B, V_C)) + sum(
        round(s["hh"][i] * size) for i in (V_A, V_B, V_C))
    got = (r.summary or {}).get("population")
    if got is None:
        return "summary.json has no population"
    return None if abs(got - want) <= 0.001 * want else f"population {got}, expected ≈ {want} (estimated)"


add("blank-RK-villages-run", G, "run", warn(_where_villages(V_A, V_B, V_C), POP_KW, check=_pop_estimate_ok),
    _blank_rk)
add("blank-RK-villages-check", G, "check", warn(_where_villages(V_A, V_B, V_C), POP_KW), _blank_rk)
add("blank-RK-all-villages", G, "check", warn(POP_KW, kw("household", "户", "estimat", "估")),
    lambda ctx: edit_dbf(ctx, lambda d: [d.set(i, "RK", None) for i in range(len(d.records))]))
add("blank-HS-villages", G, "check", warn(_where_villages(V_B), HH_KW),
    lambda ctx: edit_dbf(ctx, lambda d: d.set(V_B, "HS", None)))
add("blank-GD_MU-villages", G, "check", warn(_where_villages(V_C), FARMLAND_KW),
    lambda ctx: edit_dbf(ctx, lambda d: d.set(V_C, "GD_MU", None)))
add("blank-RK-and-HS-one-village", G, "check", either({"error", "warn"}, _where_villages(V_B), POP_KW),
    lambda ctx: edit_dbf(ctx, lambda d: (d.set(V_B, "RK", None), d.set(V_B, "HS", None))))


def _blank_head(ctx: Ctx, value: str = "") -> None:
    def fn(t: list[list[str]]) -> None:
        for i in (F_A, F_B):
            t[i + 1][farm_col("存栏量")] = value
    edit_farms(ctx, fn)


add("blank-head-farms-run", G, "run", either({"error", "warn"}, _where_farms(F_A, F_B), HEAD_KW), _blank_head)
add("blank-head-farms-check", G, "check", either({"error", "warn"}, _where_farms(F_A, F_B), HEAD_KW),
    _blank_head)
add("blank-head-farms-whitespace", G, "check", either({"error", "warn"}, _where_farms(F_A, F_B), HEAD_KW),
    lambda ctx: _blank_head(ctx, "  "))


def _null_capacity(value: Any) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        def fn(d: dict) -> None:
            d["features"][1]["properties"]["设计规模"] = value
        edit_json(ctx, "sewage_plants.geojson", fn)
    return m


add("blank-capacity-null-run", G, "run", warn(at(["WS02", "港口镇污水处理站"], [2, 1]), CAP_KW),
    _null_capacity(None))
add("blank-capacity-empty-string-check", G, "check", warn(at(["WS02", "港口镇污水处理站"], [2, 1]), CAP_KW),
    _null_capacity(""))

# "An absurd population (1e15) reaches the MILP and HiGHS fails with "Model error"."
add("population-1e15", G, "run", either({"error", "warn"}, _where_villages(V_B), POP_KW),
    lambda ctx: edit_dbf(ctx, lambda d: d.set(V_B, "RK", "1000000000000000")))

# "PROJECT.toml argument is a folder"
_FOLDER_KW = kw("folder", "directory", "目录", "文件夹", r"not a (?:toml )?file", "project\\.toml")


def _project_is_folder(ctx: Ctx) -> None:
    ctx.project_arg = ctx.proj


# the issue allows "a one-line error … or a correct run": a folder holding project.toml runs it
add("project-arg-is-folder-run", G, "run", either({"error", "ok"}, _FOLDER_KW), _project_is_folder)
add("project-arg-is-folder-check", G, "check", either({"error", "ok"}, _FOLDER_KW), _project_is_folder)


# "truncated KML/GPKG; KML with a DOCTYPE"
add("gpkg-truncated", G, "check", error(file_kw("roads.gpkg")),
    lambda ctx: truncate(ctx.proj / "roads.gpkg", 0.6))
add("kml-water-valid", G, "check", ok(check_count("water", 4)), lambda ctx: _kml_water(ctx),
    note="control: the same water layer as KML reads")
add("kml-truncated", G, "check", error(file_kw("water.kml")),
    lambda ctx: truncate(_kml_water(ctx), 0.5))


def _kml_doctype(ctx: Ctx) -> None:
    p = _kml_water(ctx)
    text = p.read_text(encoding="utf-8")
    doctype = ('<!DOCTYPE kml [\n<!ENTITY secret SYSTEM "file:///etc/passwd">\n'
               '<!ENTITY lol "lollollollollollollollollollol">\n]>\n')
    text = re.sub(r"(<\?xml[^>]*\?>\s*)", lambda m: m.group(1) + doctype, text, count=1)
    text = text.replace("<name>", "<name>&secret;", 1)
    p.write_text(text, encoding="utf-8")


add("kml-with-doctype", G, "run", either({"error", "warn", "ok"}, file_kw("water.kml"),
                                           check=lambda r: _no_text_in_outputs(r, "root:x:0:0")),
    _kml_doctype, note="an external entity must not be read into the outputs")


def _no_text_in_outputs(r: Any, text: str) -> str | None:
    for p in r.out.rglob("*") if r.out.exists() else []:
        if p.is_file() and p.suffix in (".json", ".html") and text in p.read_text("utf-8", "replace"):
            return f"{p.name} holds {text!r} (an external entity was read)"
    return None


# "disk full (ENOSPC and "Failed to commit transaction" must read: no space left in OUT,
# nothing was replaced)".  Without root no small filesystem can be mounted; RLIMIT_FSIZE
# (ulimit -f) with SIGXFSZ ignored makes every write past 256 KB fail with EFBIG instead:
# the first output file (plan.gpkg) cannot be written.
add("write-fails-file-size-limit", G, "run",
    error(kw("space", "full", "large", "write", "写", "空间", "size", "too big"), kw("out", "plan\\.gpkg", "输出")),
    prior_output=True, fault={"fsize": 256 * 1024},
    note="stands in for disk full: ulimit -f 256 KB (EFBIG, not ENOSPC); old output must stay")
SKIPPED.append(("disk-full-ENOSPC", G, "a full filesystem needs a small mount (root); simulated by "
                "write-fails-file-size-limit, ENOSPC itself is unit-tested with monkeypatching"))

# "The Python API on an empty villages layer (IndexError in livestock)."
_API = """
import dataclasses, sys
import geo_env as ge
from geo_env.errors import GeoEnvError
try:
    d = ge.load_project(sys.argv[1])
    d = dataclasses.replace(d, villages=d.villages.iloc[0:0])
    {call}
except GeoEnvError as exc:
    print(f"error: {{exc}}", file=sys.stderr)
    sys.exit(2)
print("ok")
"""
add("api-empty-villages-livestock_check", G, "api", either({"error", "ok"}, kw("village", "村"),
                                                          kw("empty", "no village", "没有", "为空", "0 ")),
    fault={"code": _API.format(call="ge.livestock_check(d)")})
add("api-empty-villages-analyze", G, "api", either({"error", "ok"}, kw("village", "村"),
                                                   kw("empty", "no village", "没有", "为空", "0 ")),
    fault={"code": _API.format(call="ge.analyze(d)")})


# =======================================================================================
# Group "plausibility": the issue, "Silent wrong answers, which must be caught by
# plausibility checks that warn loudly (summary.json warnings + stderr + a red note in the
# report) or stop: One village polygon moved ~50 km away: no warning, and the rule that
# picks how distance to a village is measured flips … A far outlier must be reported by id,
# and no automatic method choice may hinge on one record. 300 km away: the working CRS
# zone silently changes. Population 12,000,000 in a village with 152 households: accepted.
# Check population against households. All villages on one point; a DEM of all zeros or
# constant; a DEM that does not overlap; service_radius_m = 1e308 (validate every numeric
# parameter against a documented range)."   Either a warning or an error is right.
# =======================================================================================
G = "plausibility"
_FAR = "far_village"


def _far_check(r: Any) -> str | None:
    """No method choice hinges on the one record: same residential basis, setback breaches
    as in the baseline (the moved village lies far from every farm: at most 1 fewer)."""
    if r.summary is None:
        return "no summary.json"
    try:
        basis = _get(r.summary, "livestock.residential_basis")
        want_basis = _get(r.baseline, "livestock.residential_basis")
        n, want = _get(r.summary, "livestock.flags.setback_not_ok"), _get(r.baseline, "livestock.flags.setback_not_ok")
    except KeyError as exc:
        return f"summary.json has no {exc}"
    if basis != want_basis:
        return f"residential_basis flipped to {basis!r} (baseline {want_basis!r})"
    if not want - 1 <= n <= want:
        return f"setback breaches {n}, baseline {want}"
    return None


_FAR_KW = kw("far", "outside", "away", "outlier", r"\bkm\b", "distance", "isolated", "远", "离群", "偏离", "超出",
             "异常", "范围")


def _moved(dx_km: float, dy_km: float) -> Callable[[Ctx], None]:
    return lambda ctx: move_village(ctx, _s()[_FAR], dx_km * 1000, dy_km * 1000)


add("village-moved-50km", G, "run",
    either({"error", "warn"}, _where_villages(_s()[_FAR]), _FAR_KW, check=_far_check),
    _moved(0, 50), note="50 km north (the working zone stays)")
add("village-moved-300km", G, "run",
    either({"error", "warn"}, _where_villages(_s()[_FAR]), _FAR_KW, check=all_of(_far_check, same("crs"))),
    _moved(300, 0), note="300 km east: into the next 3° zone")
add("population-12M-152-households", G, "run",
    either({"error", "warn"}, _where_villages(V_A), POP_KW),
    lambda ctx: edit_dbf(ctx, lambda d: d.set(V_A, "RK", "12000000")))
add("population-below-households-swapped-mapping", G, "run",
    either({"error", "warn"}, kw("population", "人口", "RK", "HS"), kw("household", "户")),
    lambda ctx: ctx.sub('population = "RK", households = "HS"', 'population = "HS", households = "RK"'),
    note="RK and HS swapped in the mapping: every village has fewer people than households")
add("population-mapped-to-code-column", G, "check", either({"error", "warn"}, POP_KW, PLAUSIBLE_KW),
    lambda ctx: ctx.sub('population = "RK"', 'population = "XZ_DM"'),
    note="population = the 12-digit township codes (3.6e11 people per village)")


def _villages_one_point(ctx: Ctx) -> None:
    s = _s()
    table = [["CUN_DM", "CUN_MC", "XZ_MC", "RK", "HS", "GD_MU", "经度", "纬度"]]
    dbf = Dbf.load(ctx.proj / "villages.dbf")
    gd = dbf.column("GD_MU")
    for i, vid in enumerate(s["ids"]):
        table.append([vid, s["names"][i], s["townships"][i], s["pop"][i], s["hh"][i], gd[i],
                      "117.512345", "28.401234"])
    _write_csv(ctx.proj / "villages.csv", table)
    for ext in (".shp", ".shx", ".dbf", ".prj"):
        (ctx.proj / f"villages{ext}").unlink()
    ctx.sub('path = "villages.shp"', 'path = "villages.csv"\nx = "经度"\ny = "纬度"')


add("villages-all-on-one-point", G, "run",
    either({"error", "warn"}, kw("villages", "村"), kw("same", "identical", "one (?:point|location|place)",
                                                     "coincid", "share", "duplicate", "重合", "同一", "相同",
                                                     "重复")),
    _villages_one_point, note="a villages table geocoded to the township seat: 165 villages, one point")

_DEM_KW = kw("dem", "高程", "elevation", "terrain")


def _dem_value(v: int) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        import numpy as np

        edit_dem(ctx, lambda a, p: (np.full_like(a, v), p))
    return m


_FLAT_KW = kw("zero", r"\b0 m", "flat", "constant", "no relief", "same value", "uniform", "single value",
              "one value", "平坦", "常数", "相同", "全为", "单一", "无起伏", "全部为")
add("dem-all-zeros", G, "run", either({"error", "warn"}, _DEM_KW, _FLAT_KW), _dem_value(0))
add("dem-constant-100m", G, "run", either({"error", "warn"}, _DEM_KW, _FLAT_KW), _dem_value(100))


def _dem_shift(ctx: Ctx) -> None:
    from affine import Affine

    def fn(a: Any, p: dict) -> tuple[Any, dict]:
        t = p["transform"]
        p["transform"] = Affine(t.a, t.b, t.c + 200_000, t.d, t.e, t.f)
        return a, p
    edit_dem(ctx, fn)


add("dem-does-not-overlap", G, "check",
    either({"error", "warn"}, _DEM_KW, kw("cover", "overlap", "outside", "extent", "覆盖", "范围", "重叠")),
    _dem_shift)


def _dem_nodata(new_nodata: Any) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        def fn(a: Any, p: dict) -> tuple[Any, dict]:
            p["nodata"] = new_nodata
            return a, p
        edit_dem(ctx, fn)
    return m


add("dem-nodata-undeclared", G, "run", either({"ok", "warn"}, _DEM_KW, check=same("sewage.by_mode")),
    _dem_nodata(None), note="the -32768 fill stays in the file but is no longer declared nodata")
add("dem-nodata-declared-wrong", G, "run", either({"ok", "warn"}, _DEM_KW, check=same("sewage.by_mode")),
    _dem_nodata(0), note="the file declares nodata = 0 while its fill is -32768")


def _param(section: str, line: str) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        key = line.split("=")[0].strip()
        text = ctx.toml()
        if re.search(rf"^{key} = ", text, re.M):                 # replace the value given
            ctx.toml_path.write_text(re.sub(rf"^{key} = .*$", line, text, count=1, flags=re.M), encoding="utf-8")
        elif re.search(rf"^\[{section}\]$", text, re.M):        # add it to the section
            ctx.toml_path.write_text(re.sub(rf"^\[{section}\]$", f"[{section}]\n{line}", text, count=1,
                                            flags=re.M), encoding="utf-8")
        else:                                                      # the section is commented out
            ctx.append(f"[{section}]\n{line}")
    return m


for _name, _section, _line, _key in [
    ("param-service-radius-1e308", "waste", "service_radius_m = 1e308", "service_radius_m"),
    ("param-service-radius-inf", "waste", "service_radius_m = inf", "service_radius_m"),
    ("param-water-use-5000-L", "sewage", "water_use_l_per_capita_day = 5000", "water_use_l_per_capita_day"),
    ("param-residential-setback-1e9", "livestock", "residential_setback_m = 1e9", "residential_setback_m"),
    ("param-discount-rate-5", "sewage", "discount_rate = 5", "discount_rate"),
    ("param-max-connect-distance-1e12", "sewage", "max_connect_distance_m = 1e12", "max_connect_distance_m"),
    ("param-target-coverage-0", "waste", "target_coverage = 0", "target_coverage"),
]:
    add(_name, G, "check", error(lit(_key)), _param(_section, _line))


def _snap(ctx: Ctx) -> None:
    ctx.sub("snap_tolerance_m = 10", "snap_tolerance_m = 1e6")


def _pph(ctx: Ctx) -> None:
    ctx.sub('path = "villages.shp"\n', 'path = "villages.shp"\npersons_per_household = 50\n')


add("param-snap-tolerance-1e6", G, "check", error(lit("snap_tolerance_m")), _snap)
add("param-persons-per-household-50", G, "check", error(lit("persons_per_household")), _pph)


def _farm_far(ctx: Ctx) -> None:
    def fn(t: list[list[str]]) -> None:
        t[F_B + 1][farm_col("经度")] = "118.55"   # ~100 km east, still in China
    edit_farms(ctx, fn)


add("farm-far-outlier-100km", G, "run", either({"error", "warn"}, _where_farms(F_B)), _farm_far)


# =======================================================================================
# Group "fewer-columns": the issue, "Real files with fewer columns: a villages layer
# without a `township` column, or without `population`, is refused outright, and the
# livestock check refuses to run at all without farmland. Make these optional with
# documented fallbacks: township from the 12-digit village code (digits 7–9) …, else one
# township "未分乡镇" with a warning; population and households joined from a separate table
# (`[layers.village_table]`, an Excel/CSV keyed by village code or name, with unmatched rows
# listed), else analyses that need people say which figures are unavailable instead of
# stopping; livestock setbacks and pig equivalents run without farmland, and only the
# manure–land balance is skipped with the reason."
# =======================================================================================
G = "fewer-columns"


def _no_township(ctx: Ctx) -> None:
    ctx.sub('township = "XZ_MC", ', "")


add("no-township-column-code-fallback", G, "run", ok(same("townships")), _no_township,
    note="7 townships from digits 7–9 of the 12-digit codes")


def _no_township_no_code(ctx: Ctx) -> None:
    _no_township(ctx)
    edit_dbf(ctx, lambda d: [d.set(i, "CUN_DM", f"C{i + 1:03d}") for i in range(len(d.records))])


add("no-township-column-no-code", G, "run", warn(kw("未分乡镇", "township", "乡镇"),
                                                 check=lambda r: None if (r.summary or {}).get("townships") == 1
                                                 else f"townships = {(r.summary or {}).get('townships')}, expected 1"),
    _no_township_no_code)
add("no-population-column", G, "run", warn(POP_KW),
    lambda ctx: ctx.sub('population = "RK", ', ""))
add("no-population-no-households", G, "run", warn(POP_KW), drop_people_columns)
add("no-households-column", G, "check", ok(), lambda ctx: ctx.sub('households = "HS", ', ""))


def _village_table(kind: str) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        drop_people_columns(ctx)
        if kind == "xlsx-code":
            write_xlsx(ctx.proj / "village_table.xlsx", village_table_rows("code"), sheet="村人口")
            ctx.append('[layers.village_table]\npath = "village_table.xlsx"\n'
                       'columns = { id = "村代码", population = "人口", households = "户数" }')
        elif kind == "xlsx-float":
            write_xlsx(ctx.proj / "village_table.xlsx", village_table_rows("code", float_codes=True))
            ctx.append('[layers.village_table]\npath = "village_table.xlsx"\n'
                       'columns = { id = "村代码", population = "人口", households = "户数" }')
        elif kind == "csv-name":
            _write_csv(ctx.proj / "village_table.csv", village_table_rows("name"))
            ctx.append('[layers.village_table]\npath = "village_table.csv"\n'
                       'columns = { name = "村名", population = "人口", households = "户数" }')
        elif kind == "unmatched":
            t = village_table_rows("code")
            del t[1 + V_C]                       # a village without a row
            t.append(["361199999299", 800, 250])  # a row for no village
            write_xlsx(ctx.proj / "village_table.xlsx", t)
            ctx.append('[layers.village_table]\npath = "village_table.xlsx"\n'
                       'columns = { id = "村代码", population = "人口", households = "户数" }')
    return m


add("village-table-xlsx-by-code", G, "run", ok(same("population", "households")), _village_table("xlsx-code"))
add("village-table-xlsx-float-codes", G, "run", ok(same("population", "households")),
    _village_table("xlsx-float"), note="codes typed as numbers in Excel (3.61199001201E+11)")
add("village-table-csv-gbk-by-name", G, "run", ok(same("population", "households")), _village_table("csv-name"))
add("village-table-unmatched-rows", G, "run", warn(lit("361199999299")), _village_table("unmatched"))


def _no_farmland(ctx: Ctx) -> None:
    ctx.sub(', farmland_mu = "GD_MU"', "")


add("no-farmland-run", G, "run",
    warn(FARMLAND_KW, check=same("livestock.flags", "livestock.pig_equivalents")), _no_farmland)
add("no-farmland-check", G, "check", ok(), _no_farmland)


# =======================================================================================
# Group "output-folder": the issue, "Output folder: on failure or Ctrl-C the previous good
# output stays complete; summary.json has a manifest; stale outputs of an earlier run
# removed but never the user's own files; refuse an output folder that contains or equals
# any input file (`--out` pointing at the folder holding the villages); a lock so two runs
# into one folder do not interleave; files that are not regular files (a FIFO, /dev/zero, a
# symlink to a device) refused at once; a layer file bigger than a documented limit or a
# zip bomb refused with a message; big CSVs read with a bound on memory."
# The runner checks these folders: user files (notes.docx …) byte-identical; the old
# output byte-identical or the new one complete (every output file rewritten).
# =======================================================================================
G = "output-folder"
add("sigint-while-analysing", G, "fault", ok(), prior_output=True,
    fault={"signal": "SIGINT", "after": r"analysing: sewage", "fallback_s": 20})
add("sigint-while-writing", G, "fault", ok(), prior_output=True,
    fault={"signal": "SIGINT", "after": r"writing report\.xlsx", "fallback_s": 20})
add("sigint-while-writing-figures", G, "fault", ok(), prior_output=True,
    fault={"signal": "SIGINT", "after": r"writing figures", "fallback_s": 20})
add("sigkill-while-writing", G, "fault", ok(), prior_output=True,
    fault={"signal": "SIGKILL", "after": r"writing plan_map\.html", "fallback_s": 20},
    note="no clean-up possible: the old output must stay complete (hidden temp files ignored)")


def _dir_in_place(ctx: Ctx) -> None:
    p = ctx.out / "figures" / "livestock.png"
    p.unlink()
    p.mkdir()


add("write-fails-midway", G, "run", either({"error", "ok"}, kw("livestock\\.png", "figures")),
    _dir_in_place, prior_output=True,
    note="a folder where the last figure goes: the write fails after 4 files; stands in for a "
         "disk that fills mid-way (the old output must stay or the new one be complete)")


def _manifest_check(r: Any) -> str | None:
    s = r.summary or {}
    m = next((v for k, v in s.items() if "manifest" in k.lower() or k == "files"), None)  # DESIGN: "files"
    if not m:
        return "summary.json has no manifest"
    text = json.dumps(m, ensure_ascii=False)
    missing = [n for n in ("plan.gpkg", "report.xlsx", "plan_map.html", "livestock.png") if n not in text]
    return f"the manifest does not list {', '.join(missing)}" if missing else None


def _user_file_only(ctx: Ctx) -> None:
    ctx.out.mkdir()
    (ctx.out / "notes.docx").write_bytes(b"PK\x03\x04 the planner's own notes")


add("summary-has-manifest", G, "run", ok(_manifest_check), _user_file_only)


def _stale(ctx: Ctx) -> None:
    text = ctx.toml()
    start = text.index("[layers.livestock_farms]")
    end = text.index("[layers.roads]")
    ctx.toml_path.write_text(text[:start] + text[end:], encoding="utf-8")
    (ctx.out / "figures" / "现场照片.jpg").write_bytes(b"\xff\xd8\xff user photo")


def _stale_check(r: Any) -> str | None:
    if (r.out / "figures" / "livestock.png").exists():
        return "figures/livestock.png of the earlier run is still there (stale: no livestock layer now)"
    if "livestock" in (r.summary or {}):
        return "summary.json still has a livestock block"
    return None


add("stale-outputs-removed-user-files-kept", G, "run", ok(_stale_check), _stale, prior_output=True,
    fault={"not_written": ["figures/livestock.png"]},
    note="the earlier run had livestock; this one has no farms layer")

_OUT_KW = kw("input", "输入", "villages", "project", "数据", "contain", "包含", "same", "相同", "holds")


def _out_is(what: str) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        ctx.out_arg = {"proj": ctx.proj, "parent": ctx.root, "file": ctx.proj / "villages.shp"}[what]
    return m


add("out-equals-project-folder", G, "run", error(_OUT_KW), _out_is("proj"))
add("out-contains-project-folder", G, "run", error(_OUT_KW), _out_is("parent"))
add("out-is-an-input-file", G, "run", error(lit("villages.shp")), _out_is("file"))
add("two-runs-one-folder", G, "fault", ok(), prior_output=True, fault={"lock": True},
    note="a second run (--lang en) starts 1 s after the first; they must not interleave")


def _special(name: str, kind: str) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        p = ctx.proj / name
        p.unlink()
        if kind == "fifo":
            os.mkfifo(p)
        else:
            p.symlink_to(kind)
    return m


add("fifo-as-farms-csv", G, "check", error(lit("livestock_farms.csv")), _special("livestock_farms.csv", "fifo"),
    timeout=30)
add("dev-zero-as-farms-csv", G, "check", error(lit("livestock_farms.csv")),
    _special("livestock_farms.csv", "/dev/zero"), timeout=30)
add("dev-zero-as-villages-dbf", G, "check", error(kw("villages\\.dbf", "villages\\.shp")),
    _special("villages.dbf", "/dev/zero"), timeout=30)
add("dev-urandom-as-dem", G, "check", error(lit("dem.tif")), _special("dem.tif", "/dev/urandom"), timeout=30)


def _huge_csv(ctx: Ctx) -> None:
    p = ctx.proj / "livestock_farms.csv"
    with open(p, "r+b") as fh:
        fh.truncate(6 * 2 ** 30)  # 6 GB, sparse: no disk used
    ctx.data["big"] = [p]


add("huge-sparse-csv-6GB", G, "check", error(lit("livestock_farms.csv")), _huge_csv, timeout=60,
    note="real rows followed by 6 GB of NUL bytes (a sparse file); the child runs under a 3 GB address-space limit")


def _zip_member_raw(name: str, data: bytes) -> tuple[bytes, bytes, int, int, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = c.compress(data) + c.flush()
    return name.encode(), comp, zlib.crc32(data), len(comp), len(data)


def _write_zip(path: Path, members: list[tuple[bytes, bytes, int, int, int]]) -> None:
    """A plain zip (deflate) from precompressed members (name, data, crc, csize, usize)."""
    out = bytearray()
    central = bytearray()
    for name, comp, crc, csize, usize in members:
        off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, csize, usize, len(name), 0)
        out += name + comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, csize, usize,
                               len(name), 0, 0, 0, 0, 0, off) + name
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                       len(out) - len(central), 0)
    path.write_bytes(bytes(out))


def _zip_bomb(ctx: Ctx) -> None:
    """villages.zip whose .dbf unpacks to 4 GB (the real table, then NUL bytes): 4 MB packed."""
    members = [_zip_member_raw(f"villages{e}", (ctx.proj / f"villages{e}").read_bytes())
               for e in (".shp", ".shx", ".prj")]
    dbf = (ctx.proj / "villages.dbf").read_bytes()
    size = 4 * 2 ** 30 - 2 ** 20
    chunk = 2 ** 26
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(dbf) + c.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(chunk)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    n_blocks, rest = divmod(size - len(dbf), chunk)
    tail = c.compress(bytes(rest)) + c.flush()
    crc = zlib.crc32(dbf)
    for _ in range(n_blocks):
        crc = zlib.crc32(zeros, crc)
    crc = zlib.crc32(bytes(rest), crc)
    comp = head + block * n_blocks + tail
    members.append((b"villages.dbf", comp, crc, len(comp), size))
    _write_zip(ctx.proj / "villages.zip", members)
    for e in (".shp", ".shx", ".prj", ".dbf"):
        (ctx.proj / f"villages{e}").unlink()
    ctx.sub('path = "villages.shp"', 'path = "villages.zip"')


add("zip-bomb-villages", G, "check", error(lit("villages.zip")), _zip_bomb, timeout=60,
    note="the .dbf member unpacks to 4 GB (1000:1)")


def _zip_slip(ctx: Ctx) -> None:
    members = [_zip_member_raw(f"../villages{e}", (ctx.proj / f"villages{e}").read_bytes())
               for e in (".shp", ".shx", ".dbf", ".prj")]
    _write_zip(ctx.proj / "villages.zip", members)
    for e in (".shp", ".shx", ".prj", ".dbf"):
        (ctx.proj / f"villages{e}").unlink()
    ctx.sub('path = "villages.shp"', 'path = "villages.zip"')


add("zip-members-dotdot", G, "check", either({"error", "ok", "warn"}, lit("villages.zip")), _zip_slip,
    note="members named ../villages.*: nothing may be written outside (the runner checks the case folder)")

SKIPPED.append(("big-csv-memory-bound", G, "a real multi-GB CSV takes minutes to write and read; "
                "huge-sparse-csv-6GB checks the refusal under a 3 GB address-space limit"))


# =======================================================================================
# Group "windows": the issue, "Windows: on a GBK console (`PYTHONIOENCODING=gbk`)
# `geo-env demo` crashes printing m³/d; project.toml saved by Notepad with a UTF-8 BOM, or
# in GBK, must load (or say exactly what is wrong); `path = "C:\temp\new.shp"` in TOML
# silently becomes a tab and a newline: detect control characters in paths and say to use
# single quotes or forward slashes; report.xlsx open in Excel …; `python -m geo_env` works."
# =======================================================================================
G = "windows"


def _gbk_console(ctx: Ctx) -> None:
    ctx.env["PYTHONIOENCODING"] = "gbk"


add("gbk-console-demo", G, "demo", ok(), _gbk_console)
add("gbk-console-check", G, "check", ok(), _gbk_console)


def _bom(ctx: Ctx) -> None:
    ctx.toml_path.write_bytes(b"\xef\xbb\xbf" + ctx.toml_path.read_bytes())


def _toml_gbk(ctx: Ctx) -> None:
    ctx.toml_path.write_bytes(ctx.toml().encode("gb18030"))


add("project-toml-utf8-bom", G, "check", either({"ok", "error"}, lit("project.toml"),
                                                kw("BOM", "byte.order", "FEFF", "签名"),
                                                check=check_count("villages", 165)),
    _bom, note="loads, or the error says it is the BOM")
add("project-toml-gbk", G, "check", either({"ok", "error"}, lit("project.toml"),
                                           kw("GBK", "GB18030", "UTF-8", "encod", "编码")), _toml_gbk)

_CTRL_KW = kw("single.quot", "单引号", "forward slash", "正斜杠", r"control char", "控制字符", r"\btab\b", "制表",
              "newline", "line break", "换行", "backslash", "反斜杠")
add("toml-path-backslash-t-n", G, "check", error(_CTRL_KW),
    lambda ctx: ctx.sub('path = "villages.shp"', 'path = "C:\\temp\\new.shp"'))


def _backslash_r(ctx: Ctx) -> None:
    (ctx.proj / "data").mkdir()
    shutil.move(ctx.proj / "roads.gpkg", ctx.proj / "data" / "roads.gpkg")
    ctx.sub('path = "roads.gpkg"', 'path = "data\\roads.gpkg"')


add("toml-path-backslash-r", G, "check", error(_CTRL_KW), _backslash_r,
    note='"data\\roads.gpkg" holds a carriage return')
add("python-m-geo_env", G, "module-check", ok())
SKIPPED.append(("report-xlsx-open-in-excel", G, "Excel's lock cannot be simulated on Linux; unit-tested"))


# =======================================================================================
# Group "traps": the realistic traps of a county's data (README "What the readers handle";
# the "Planners feed it real, messy files"): encodings, shapefile parts, tables,
# coordinates, ids, geometries, names, project keys.  Errors must name file and where.
# =======================================================================================
G = "encodings"


def _dbf_utf8(ctx: Ctx) -> None:
    edit_dbf(ctx, lambda d: d.recode("gbk", "utf-8"))


def _dbf_big5(ctx: Ctx) -> None:
    edit_dbf(ctx, lambda d: d.recode("gbk", "big5", convert=to_big5_text))


add("dbf-utf8-without-cpg", G, "run", ok(township_names()), _dbf_utf8)
add("dbf-big5-without-key", G, "check",
    either({"error", "warn"}, kw("villages"), kw("big5", "encod", "编码", "garbled", "乱码", "private use")),
    _dbf_big5)
add("dbf-big5-with-key", G, "run",
    ok(township_names(lambda r: {to_big5_text(t) for t in _get(r.baseline, "waste.by_township")})),
    lambda ctx: (_dbf_big5(ctx), ctx.section_add("layers.villages", 'encoding = "big5"')))
add("cpg-says-utf8-file-gbk", G, "run", ok(township_names()),
    lambda ctx: (ctx.proj / "villages.cpg").write_text("UTF-8"))
add("cpg-says-1252-file-gbk", G, "run", ok(township_names()),
    lambda ctx: (ctx.proj / "villages.cpg").write_text("1252"))
add("cpg-says-gbk-file-utf8", G, "run", ok(township_names()),
    lambda ctx: (_dbf_utf8(ctx), (ctx.proj / "villages.cpg").write_text("GBK")))
add("encoding-key-utf8-on-gbk", G, "check",
    either({"error", "warn"}, kw("villages"), kw("utf-8", "encod", "编码", "GBK")),
    lambda ctx: ctx.section_add("layers.villages", 'encoding = "utf-8"'))
add("csv-farms-utf8-bom", G, "check", ok(check_count("livestock_farms", 45)),
    lambda ctx: edit_farms(ctx, lambda t: None, enc="utf-8", bom=True))
add("csv-farms-utf8-no-bom", G, "check", ok(check_count("livestock_farms", 45)),
    lambda ctx: edit_farms(ctx, lambda t: None, enc="utf-8"))


def _mixed_csv(ctx: Ctx) -> None:
    p = ctx.proj / "livestock_farms.csv"
    lines = p.read_bytes().split(b"\r\n")
    lines[F_B + 1] = lines[F_B + 1].decode("gbk").encode("utf-8")
    p.write_bytes(b"\r\n".join(lines))


add("csv-farms-one-line-utf8", G, "check", either({"error", "warn"}, _where_farms(F_B)), _mixed_csv)

G = "shapefile-parts"


def _rm(*names: str) -> Callable[[Ctx], None]:
    return lambda ctx: [(ctx.proj / n).unlink() for n in names]


add("missing-prj", G, "check", warn(kw("villages"), kw(r"\.prj", "crs", "坐标系", "4490", "CGCS2000"),
                                   check=check_count("villages", 165)), _rm("villages.prj"))
add("missing-shx", G, "check", either({"error", "warn"}, kw(r"\.shx", "index", "索引")), _rm("villages.shx"))
add("missing-dbf", G, "check", either({"error", "warn"}, kw(r"\.dbf", "attribute", "属性")), _rm("villages.dbf"))
add("missing-shp", G, "check", error(lit("villages.shp")), _rm("villages.shp"))
add("truncated-shp", G, "check", error(lit("villages.shp")),
    lambda ctx: truncate(ctx.proj / "villages.shp", 0.6))
add("truncated-dbf", G, "check", either({"error", "warn"}, lit("villages")),
    lambda ctx: truncate(ctx.proj / "villages.dbf", 0.6))
add("truncated-geojson", G, "check", error(lit("sewage_plants.geojson")),
    lambda ctx: truncate(ctx.proj / "sewage_plants.geojson", 0.7))
add("geojson-empty-collection", G, "check", either({"error", "warn"}, kw("prohibited_zones")),
    lambda ctx: edit_json(ctx, "prohibited_zones.geojson", lambda d: d.update(features=[])))


def _villages_empty(ctx: Ctx) -> None:
    d = Dbf.load(ctx.proj / "villages.dbf")
    d.keep_rows([])
    write_village_geoms(ctx, [], d)


add("villages-zero-records", G, "check", error(kw("villages"), kw("empty", "no feature", "0 feature", "没有", "为空")),
    _villages_empty)


def _villages_lines(ctx: Ctx) -> None:
    g = village_geoms(ctx)
    write_village_geoms(ctx, g.boundary)


add("villages-as-lines", G, "check", error(kw("villages"), kw("polygon", "point", "line", "面", "线")), _villages_lines)

G = "tables"


def _title_rows_csv(ctx: Ctx) -> None:
    def fn(t: list[list[str]]) -> None:
        t[0:0] = [["示例区畜禽养殖场名录（2024年）"] + [""] * 8, [""] * 9]
    edit_farms(ctx, fn)


add("csv-title-rows", G, "check", either({"ok", "warn"}, kw("header", "title", "表头", "标题"),
                                         check=check_count("livestock_farms", 45)), _title_rows_csv)


def _tab_csv(ctx: Ctx) -> None:
    edit_farms(ctx, lambda t: None, sep="\t")


add("csv-tab-separated", G, "check", ok(check_count("livestock_farms", 45)), _tab_csv)


def _thousands(ctx: Ctx) -> None:
    p = ctx.proj / "livestock_farms.csv"
    lines = p.read_bytes().decode("gbk").split("\r\n")
    cells = lines[F_A + 1].split(",")
    cells[farm_col("存栏量")] = "1,730"
    lines[F_A + 1] = ",".join(cells)
    p.write_bytes("\r\n".join(lines).encode("gbk"))


add("csv-unquoted-thousands-separator", G, "check", error(_where_farms(F_A)), _thousands)


def _fullwidth(ctx: Ctx) -> None:
    tr = str.maketrans("0123456789.", "０１２３４５６７８９．")

    def fn(t: list[list[str]]) -> None:
        for r in t[1:]:
            r[farm_col("存栏量")] = r[farm_col("存栏量")].translate(tr)
    edit_farms(ctx, fn)


add("csv-fullwidth-digits-head", G, "run", ok(same("livestock.pig_equivalents", "livestock.flags")), _fullwidth)


def _name_break(ctx: Ctx) -> None:
    def fn(t: list[list[str]]) -> None:
        t[F_A + 1][farm_col("养殖场名称")] = "樟坊生猪\n养殖场"
    edit_farms(ctx, fn)


_BREAK_KW = kw("line break", "newline", "换行", r"\\n")
add("csv-name-with-line-break", G, "check", either({"ok", "warn"}, _BREAK_KW, check=check_count("livestock_farms", 45)),
    _name_break)


def _dbf_name_break(ctx: Ctx) -> None:
    edit_dbf(ctx, lambda d: d.set(V_B, "CUN_MC", _s()["names"][V_B][:1] + "\r\n" + _s()["names"][V_B][1:]))


add("dbf-name-with-line-break", G, "check", either({"ok", "warn"}, _BREAK_KW), _dbf_name_break)


def _xlsx_title(ctx: Ctx) -> None:
    def fn(wb: Any) -> None:
        ws = wb.active
        ws.insert_rows(1, 2)
        ws["A1"] = "示例区生活垃圾转运站一览表"
    edit_xlsx(ctx, fn)


add("xlsx-title-rows", G, "check", either({"ok", "warn"}, kw("header", "title", "表头", "标题"),
                                          check=check_count("transfer_stations", 8)), _xlsx_title)
add("xlsx-wrong-sheet-name", G, "check", error(lit("transfer_stations.xlsx"), kw("sheet", "工作表", "垃圾转运站")),
    lambda ctx: ctx.section_add("layers.transfer_stations", 'sheet = "转运站"'))


def _xlsx_second_sheet(ctx: Ctx) -> None:
    def fn(wb: Any) -> None:
        ws = wb.create_sheet("说明", 0)
        ws["A1"] = "本表由区城管局提供，坐标取自高德地图"
    edit_xlsx(ctx, fn)


add("xlsx-data-on-second-sheet", G, "check",
    either({"error", "ok", "warn"}, lit("transfer_stations.xlsx"), kw("sheet", "工作表", "说明"),
           check=check_count("transfer_stations", 8)), _xlsx_second_sheet)


def _xlsx_is_csv(ctx: Ctx) -> None:
    shutil.copyfile(ctx.proj / "livestock_farms.csv", ctx.proj / "transfer_stations.xlsx")


add("xlsx-that-is-a-csv", G, "check", error(lit("transfer_stations.xlsx")), _xlsx_is_csv)
add("xlsx-renamed-xls", G, "check", either({"error", "ok"}, lit("transfer_stations.xls")),
    lambda ctx: (shutil.move(ctx.proj / "transfer_stations.xlsx", ctx.proj / "transfer_stations.xls"),
                 ctx.sub('"transfer_stations.xlsx"', '"transfer_stations.xls"')))
add("gpkg-wrong-layer-name", G, "check", error(lit("roads.gpkg"), lit("roads")),
    lambda ctx: ctx.sub('layer = "roads"', 'layer = "road"'))


def _formula(ctx: Ctx) -> None:
    def fn(t: list[list[str]]) -> None:
        t[1][farm_col("养殖场名称")] = '=HYPERLINK("http://evil.example/x","点击查看")'
        t[2][farm_col("养殖场名称")] = "+cmd|' /C calc'!A0"
        t[3][farm_col("养殖场名称")] = "@SUM(1+1)*cmd|' /C calc'!A0"
    edit_farms(ctx, fn)
    edit_dbf(ctx, lambda d: d.set(V_A, "CUN_MC", '=HYPERLINK("http://evil.example","村")'))


def _no_formulas(r: Any) -> str | None:
    import openpyxl

    p = r.out / "report.xlsx"
    if not p.exists():
        return "no report.xlsx"
    wb = openpyxl.load_workbook(p)
    seen = False
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith(("=", "+", "@"))
                                          and c.data_type != "s"):
                    return f"report.xlsx sheet {ws.title!r} cell {c.coordinate} is a formula: {str(c.value)[:40]}"
                seen = seen or (isinstance(c.value, str) and "HYPERLINK" in c.value)
    return None if seen else "report.xlsx does not hold the =HYPERLINK(…) name as text (name lost?)"



_XSS = '<script>alert("xss")</script>'


def _hostile(ctx: Ctx) -> None:
    _formula(ctx)

    def fn(t: list[list[str]]) -> None:
        t[5][farm_col("养殖场名称")] = _XSS + "陈圩生猪家庭农场"
    edit_farms(ctx, fn)
    edit_dbf(ctx, lambda d: d.set(V_B, "CUN_MC", _XSS + "村"))


def _escaped(r: Any) -> str | None:
    p = r.out / "plan_map.html"
    if not p.exists():
        return "no plan_map.html"
    html = p.read_text("utf-8", "replace")
    if _XSS in html:
        return "plan_map.html holds the raw <script>alert(…)</script> of a name"
    if "xss" not in html:
        return "plan_map.html does not show the name holding <script> at all (name lost?)"
    return None


add("hostile-names-formula-and-script", G, "run", ok(all_of(_no_formulas, _escaped)), _hostile,
    note="=HYPERLINK(…), +cmd|…, @SUM(…) must be text in report.xlsx; <script> escaped in plan_map.html")

G = "coordinates"


def _gcj_unlabelled(ctx: Ctx) -> None:
    """GCJ-02 columns named 高德经度/高德纬度, the coords key removed (read as WGS84)."""
    def fn(wb: Any) -> None:
        ws = wb.active
        for c in ws[1]:
            if c.value in ("经度", "纬度"):
                c.value = "高德" + c.value
    edit_xlsx(ctx, fn)
    text = ctx.toml()
    text = re.sub(r'x = "经度"\ny = "纬度"\ncoords = "gcj02".*\n', 'x = "高德经度"\ny = "高德纬度"\n', text, count=1)
    ctx.toml_path.write_text(text, encoding="utf-8")


add("gcj02-read-as-wgs84", G, "check", warn(kw("gcj", "高德", "amap")), lambda ctx: _gcj_unlabelled(ctx),
    note="the coords key forgotten; only the column names 高德经度/高德纬度 tell")


def _swap_rows(ctx: Ctx) -> None:
    def fn(t: list[list[str]]) -> None:
        for i in (F_A, F_B):
            r = t[i + 1]
            r[farm_col("经度")], r[farm_col("纬度")] = r[farm_col("纬度")], r[farm_col("经度")]
    edit_farms(ctx, fn)


add("lonlat-swapped-in-two-rows", G, "check", either({"error", "warn"}, _where_farms(F_A, F_B)), _swap_rows)
add("lonlat-swapped-columns", G, "check",
    either({"error", "warn"}, kw("swap", "互换", "颠倒", "对调", "反了", "order")),
    lambda ctx: ctx.sub('path = "livestock_farms.csv"\nx = "经度"\ny = "纬度"',
                        'path = "livestock_farms.csv"\nx = "纬度"\ny = "经度"'))


def _dms_cn(ctx: Ctx) -> None:
    def to(v: str) -> str:
        x = _deg(v)
        d = int(x)
        m = int((x - d) * 60)
        s = (x - d - m / 60) * 3600
        return f"{d}度{m}分{s:.4f}秒"

    def fn(t: list[list[str]]) -> None:
        for r in t[1:12]:
            r[farm_col("经度")] = to(r[farm_col("经度")])
            r[farm_col("纬度")] = to(r[farm_col("纬度")])
    edit_farms(ctx, fn)


add("dms-chinese-degree-minute-second", G, "run", ok(same("livestock.flags", "livestock.pig_equivalents")), _dms_cn)


def _dms_w(ctx: Ctx) -> None:
    def fn(t: list[list[str]]) -> None:
        t[F_B + 1][farm_col("经度")] = "117°30'12.5\"W"
    edit_farms(ctx, fn)


add("dms-west-letter", G, "check", error(_where_farms(F_B)), _dms_w)


def _gk(prefixed: bool, swapped: bool = False, crs: str | None = "EPSG:4527") -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        import pyproj

        tr = pyproj.Transformer.from_crs(4490, 4527 if prefixed else 4548, always_xy=True)

        def fn(t: list[list[str]]) -> None:
            t[0][farm_col("经度")], t[0][farm_col("纬度")] = "X坐标", "Y坐标"
            for r in t[1:]:
                e, n = tr.transform(_deg(r[farm_col("经度")]), _deg(r[farm_col("纬度")]))
                x, y = (n, e) if swapped else (e, n)
                r[farm_col("经度")], r[farm_col("纬度")] = f"{x:.3f}", f"{y:.3f}"
        edit_farms(ctx, fn)
        ctx.sub('path = "livestock_farms.csv"\nx = "经度"\ny = "纬度"',
                'path = "livestock_farms.csv"\nx = "X坐标"\ny = "Y坐标"' + (f'\ncrs = "{crs}"' if crs else ""))
    return m


add("gk-eastings-with-zone-number", G, "run", ok(same("livestock.flags")), _gk(True))
add("gk-eastings-with-zone-number-no-crs", G, "check", error(kw("4527", "zone", "带", "crs")), _gk(True, crs=None))
add("gk-surveyor-xy-order", G, "check", either({"error", "warn"}, kw("swap", "互换", "north", "北", "order", "颠倒")),
    _gk(True, swapped=True))
add("gk-crs-of-other-zone", G, "check", either({"error", "warn"}, kw("zone", "带", "4527", "4548")),
    _gk(True, crs="EPSG:4528"))


def _farm_value(col: str, value: str, row: int = F_B) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        def fn(t: list[list[str]]) -> None:
            t[row + 1][farm_col(col)] = value
        edit_farms(ctx, fn)
    return m


add("lonlat-zero-for-missing", G, "check", either({"error", "warn"}, _where_farms(F_B)),
    lambda ctx: (_farm_value("经度", "0")(ctx), _farm_value("纬度", "0")(ctx)))
add("lon-lost-digit", G, "check", either({"error", "warn"}, _where_farms(F_B)), _farm_value("经度", "11.75"))
add("roads-wrong-zone-override", G, "check", either({"error", "warn"}, lit("roads")),
    lambda ctx: ctx.sub('layer = "roads"', 'layer = "roads"\ncrs = "EPSG:4547"'))
add("crs-override-4326-on-4490", G, "check", either({"ok", "warn"}, kw("villages"), check=check_count("villages", 165)),
    lambda ctx: ctx.section_add("layers.villages", 'crs = "EPSG:4326"'))
add("crs-override-metres-on-lonlat", G, "check", error(kw("villages")),
    lambda ctx: ctx.section_add("layers.villages", 'crs = "EPSG:4548"'))
add("project-crs-web-mercator", G, "check", error(kw("3857", "crs")),
    lambda ctx: ctx.sub('crs = "auto"', 'crs = "EPSG:3857"'))
add("project-crs-geographic", G, "check", error(kw("4490", "crs")),
    lambda ctx: ctx.sub('crs = "auto"', 'crs = "EPSG:4490"'))
add("project-crs-explicit-zone", G, "run", ok(same("crs", "waste.covered_villages", "livestock.flags")),
    lambda ctx: ctx.sub('crs = "auto"', 'crs = "EPSG:4548"'))

G = "ids-geometry"


def _dup_village(ctx: Ctx) -> None:
    edit_dbf(ctx, lambda d: d.set(V_C, "CUN_DM", _vid(V_B)))


add("duplicate-village-ids", G, "check", error(lit(_vid(V_B))), _dup_village)
add("duplicate-farm-ids", G, "check", error(lit(_fid(F_A))), _farm_value("编号", _fid(F_A), F_B))
add("empty-village-id", G, "check", either({"error", "warn"}, at([], dbf_rows(V_B))),
    lambda ctx: edit_dbf(ctx, lambda d: d.set(V_B, "CUN_DM", None)))


def _bowtie(ctx: Ctx) -> None:
    import shapely

    g = village_geoms(ctx)
    x0, y0, x1, y1 = g.iloc[V_B].bounds
    g.iloc[V_B] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    write_village_geoms(ctx, g)


add("self-intersecting-polygon", G, "check", either({"ok", "warn"}, _where_villages(V_B)), _bowtie)


def _empty_geom(ctx: Ctx) -> None:
    g = village_geoms(ctx)
    g.iloc[V_B] = None
    write_village_geoms(ctx, g)


add("empty-geometry-one-village", G, "check", warn(_where_villages(V_B)), _empty_geom)


def _all_empty(ctx: Ctx) -> None:
    g = village_geoms(ctx)
    write_village_geoms(ctx, [None] * len(g))


add("empty-geometry-all-villages", G, "check", error(kw("villages"), kw("geometr", "empty", "几何", "空")), _all_empty)
add("negative-population", G, "check", either({"error", "warn"}, _where_villages(V_B), POP_KW),
    lambda ctx: edit_dbf(ctx, lambda d: d.set(V_B, "RK", "-5")))
add("negative-head", G, "check", either({"error", "warn"}, _where_farms(F_A), HEAD_KW), _farm_value("存栏量", "-100", F_A))
add("negative-capacity", G, "check", either({"error", "warn"}, lit("sewage_plants"), CAP_KW),
    lambda ctx: edit_json(ctx, "sewage_plants.geojson",
                          lambda d: d["features"][2]["properties"].update({"设计规模": -500})))
add("text-in-numeric-csv", G, "check", either({"error", "warn"}, _where_farms(F_A), HEAD_KW),
    _farm_value("存栏量", "约300头", F_A))


def _rk_text(ctx: Ctx) -> None:
    def fn(d: Dbf) -> None:
        d.set_type("RK", "C")
        d.set(V_B, "RK", "暂缺")
    edit_dbf(ctx, fn)


add("text-in-numeric-dbf", G, "check", either({"error", "warn"}, _where_villages(V_B), POP_KW), _rk_text,
    note="RK stored as a text field holding 暂缺 in one record")
add("ambiguous-species", G, "check", either({"error", "warn"}, _where_farms(F_A), kw("牛", "species", "畜种")),
    _farm_value("畜种", "牛", F_A), note="牛 alone: dairy or beef cattle?")


def _english_species(ctx: Ctx) -> None:
    m = {"生猪": "pig", "奶牛": "dairy_cow", "肉牛": "beef_cattle", "羊": "sheep", "蛋鸡": "layer", "肉鸡": "broiler"}

    def fn(t: list[list[str]]) -> None:
        for r in t[1:]:
            r[farm_col("畜种")] = m[r[farm_col("畜种")]]
    edit_farms(ctx, fn)


add("species-in-english", G, "check", ok(check_count("livestock_farms", 45)), _english_species)
add("load-above-capacity", G, "check", warn(at(["WS03", "石门镇污水处理站"], [3, 2]), CAP_KW),
    lambda ctx: edit_json(ctx, "sewage_plants.geojson",
                          lambda d: d["features"][2]["properties"].update({"实际处理量": 99999})))

G = "project-file"
add("unknown-top-level-section", G, "check", error(lit("sewer")), lambda ctx: ctx.append("[sewer]\nmax_distance = 5"))
add("unknown-layer-key-typo", G, "check", error(lit("colums")),
    lambda ctx: ctx.sub(VILLAGE_COLUMNS, VILLAGE_COLUMNS.replace("columns =", "colums =")))
add("unknown-parameter-key", G, "check", error(lit("service_radius")),
    lambda ctx: ctx.sub("service_radius_m = 3000", "service_radius = 3000"))
add("wrong-column-mapping", G, "check", error(lit("RKS")),
    lambda ctx: ctx.sub('population = "RK"', 'population = "RKS"'))
add("toml-syntax-error", G, "check", error(lit("project.toml"), kw("line", "行")),
    lambda ctx: ctx.sub('name = "示例区农村人居环境整治（合成数据）"', 'name = "示例区农村人居环境整治（合成数据）'))
add("toml-duplicate-key", G, "check", error(lit("project.toml")),
    lambda ctx: ctx.sub("service_radius_m = 3000", "service_radius_m = 3000\nservice_radius_m = 5000"))
add("project-toml-empty", G, "check", error(lit("project.toml"), kw("villages")),
    lambda ctx: ctx.toml_path.write_bytes(b""))
add("project-toml-is-binary", G, "check", error(lit("project.toml")),
    lambda ctx: shutil.copyfile(ctx.proj / "dem.tif", ctx.toml_path))


def _chinese_folder(ctx: Ctx) -> None:
    sub = ctx.proj / "数据 2024（终稿）"
    sub.mkdir()
    text = ctx.toml()
    for p in sorted(ctx.proj.iterdir()):
        if p.is_file() and p.name != "project.toml" and p.name != "README.md":
            shutil.move(p, sub / p.name)
    for name in ("villages.shp", "transfer_stations.xlsx", "sewage_plants.geojson", "livestock_farms.csv",
                 "roads.gpkg", "water.geojson", "prohibited_zones.geojson", "dem.tif", "waste_facilities.csv",
                 "buildings.gpkg", "collection_points.geojson"):
        text = text.replace(f'path = "{name}"', f'path = "{sub.name}/{name}"')
    ctx.toml_path.write_text(text, encoding="utf-8")


add("paths-in-chinese-folder-with-space", G, "check", ok(check_count("villages", 165)), _chinese_folder)
add("project-toml-crlf", G, "check", ok(check_count("villages", 165)),
    lambda ctx: ctx.toml_path.write_bytes(ctx.toml_path.read_bytes().replace(b"\n", b"\r\n")))
add("missing-file-near-name", G, "check", error(lit("road.gpkg")),
    lambda ctx: ctx.sub('path = "roads.gpkg"', 'path = "road.gpkg"'))
add("dem-truncated", G, "check", error(lit("dem.tif")), lambda ctx: truncate(ctx.proj / "dem.tif", 0.3))


# =======================================================================================
# Group "baseline": issue 13 (status baseline and indicators), contract: the baseline's
# columns are optional, but a value that is there and cannot be read or cannot be true is
# an error naming the file, the column and the row (blank = unknown is not an error).
# The sample's baseline columns: villages 污水现状 设施编号 卫厕户数 垃圾收运;
# sewage_plants 状态 类型 建成年份; transfer_stations 运行状态 建成年份;
# livestock_farms 粪污处理设施 综合利用率.
# =======================================================================================
G = "baseline"
_VILLAGES_FILE = file_kw("villages.shp", "villages.dbf", "villages")
_PLANTS_FILE = file_kw("sewage_plants.geojson", "sewage_plants")
_FARMS_FILE = file_kw("livestock_farms.csv", "livestock_farms")
P_VS = 4  # the second village station (0-based feature; the town plants come first)


def _plant(i: int) -> tuple[str, str]:
    """(id, name) of feature ``i`` of the sample's sewage plants."""
    props = json.loads((SAMPLE / "sewage_plants.geojson").read_text("utf-8"))["features"][i]["properties"]
    return props["编号"], props["名称"]


def _toilets_above_households(ctx: Ctx) -> None:
    edit_dbf(ctx, lambda d: d.set(V_B, "卫厕户数", str(_s()["hh"][V_B] + 50)))


def _plant_status(word: str) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        edit_json(ctx, "sewage_plants.geojson",
                  lambda d: d["features"][P_VS]["properties"].update({"状态": word}))
    return m


add("baseline-unknown-sewage-status", G, "check",
    error(_VILLAGES_FILE, lit("污水现状", "sewage_status"), _where_villages(V_B), lit("半治理")),
    lambda ctx: edit_dbf(ctx, lambda d: d.set(V_B, "污水现状", "半治理")),
    note="污水现状 = 半治理: not a word of the vocabulary (未治理 纳管 村级集中 片区集中 分散 …)")
add("baseline-toilets-above-households", G, "check",
    error(_VILLAGES_FILE, lit("卫厕户数", "sanitary_toilet_households"), _where_villages(V_B)),
    _toilets_above_households, note="卫厕户数 = HS + 50 in one village")
add("baseline-unknown-facility-status", G, "check",
    error(_PLANTS_FILE, lit("状态", "status"), at(list(_plant(P_VS)), [P_VS + 1, P_VS]), lit("坏了")),
    _plant_status("坏了"), note="状态 = 坏了 for a village station: not 运行/停运/在建/规划 …")
add("baseline-utilization-rate-1.7", G, "check",
    error(_FARMS_FILE, lit("综合利用率", "utilization_rate"), _where_farms(F_A), lit("1.7")),
    _farm_value("综合利用率", "1.7", F_A), note="综合利用率 = 1.7: neither a share 0–1 nor a percentage")

# Group "effluent": issue 17 item 2 — the water layer's 水质类别 (GB 3838 class) is optional;
# a word that is no class is an error naming the file, the column and the row.
_WATER_FILE = file_kw("water.geojson", "water")


def _water_class(word: str) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        edit_json(ctx, "water.geojson", lambda d: d["features"][2]["properties"].update({"水质类别": word}))
    return m


add("effluent-unknown-water-class", "effluent", "check",
    error(_WATER_FILE, lit("水质类别", "water_class"), at(["SX03", "杨坑水"], [3, 2]), lit("Ⅵ类")),
    _water_class("Ⅵ类"), note="水质类别 = Ⅵ类: GB 3838 has classes Ⅰ–Ⅴ only")


# =======================================================================================
# Group "chain": issue 14, the waste chain's inputs — station capacities (设计能力（吨/日）),
# the treatment facilities (waste_facilities.csv) and the per-township generation rate.
# "Without a capacity column: the station's load is reported, utilisation null with the
# reason. Without waste_facilities: the haul link is 'not assessed' and said so."
# =======================================================================================
G = "chain"
_STATIONS_FILE = lit("transfer_stations.xlsx")
_FACILITIES_FILE = lit("waste_facilities.csv")
_T_CAP_KW = kw("capacity", "设计能力", "能力")
ZZ = 3  # station ZZ04, data row 4 of the sheet (line 5)


def _station_capacity(value: Any) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        def fn(wb: Any) -> None:
            wb.active.cell(row=ZZ + 2, column=6).value = value  # 设计能力（吨/日） (cell(value=None) sets nothing)
        edit_xlsx(ctx, fn)
    return m


def _facilities(fn: Callable[[list[list[str]]], None]) -> Callable[[Ctx], None]:
    def m(ctx: Ctx) -> None:
        p = ctx.proj / "waste_facilities.csv"
        table = _read_csv(p, "utf-8-sig")
        fn(table)
        _write_csv(p, table, "utf-8-sig")
    return m


def _utilisation_null(station: str) -> Callable[[Any], str | None]:
    def check(r: Any) -> str | None:
        entries = {e.get("id"): e for e in _get(r.summary, "waste.chain.stations") or []}
        e = entries.get(station)
        if e is None:
            return f"summary.json waste.chain.stations has no {station}"
        if e.get("utilisation") is not None or not e.get("utilisation_note") or not e.get("load_t_per_day"):
            return f"{station}: load reported, utilisation null with a note expected, got {e}"
        return None
    return check


def _no_facility_capacity(ctx: Ctx) -> None:
    _facilities(lambda t: [row.pop(3) for row in t])(ctx)
    ctx.sub(', capacity_t_per_day = "设计能力（吨/日）" }\n\n# 房屋', ' }\n\n# 房屋')


def _facilities_inflow_unlimited(r: Any) -> str | None:
    fac = _get(r.summary, "waste.chain.facilities") or []
    if not fac or any(f.get("capacity_t_per_day") is not None or f.get("utilisation") is not None for f in fac):
        return f"facilities without capacity: inflow reported, capacity and utilisation null expected, got {fac}"
    if abs(sum(f["inflow_t_per_day"] for f in fac) - _get(r.summary, "waste.chain.mass_balance.to_stations_t_per_day")
           + _get(r.summary, "waste.chain.mass_balance.unhauled_t_per_day")) > 1e-3:
        return "facility inflows do not add up to the stations' loads"
    return None


def _haul_not_assessed(r: Any) -> str | None:
    haul = _get(r.summary, "waste.chain.haul") or {}
    return None if haul.get("assessed") is False and haul.get("reason") else f"haul not assessed expected, got {haul}"


add("chain-station-capacity-text", G, "check", error(_STATIONS_FILE, _T_CAP_KW, at(["ZZ04"], [ZZ + 2, ZZ + 1])),
    _station_capacity("约20"), note="设计能力 = 约20: no number")
add("chain-station-capacity-zero", G, "check", error(_STATIONS_FILE, _T_CAP_KW, at(["ZZ04"], [ZZ + 2, ZZ + 1])),
    _station_capacity(0), note="设计能力 = 0: leave it empty when unknown")
add("chain-station-capacity-blank-run", G, "run",
    warn(_STATIONS_FILE, _T_CAP_KW, at(["ZZ04"], [ZZ + 2, ZZ + 1]), check=_utilisation_null("ZZ04")),
    _station_capacity(None), note="a blank capacity: load reported, utilisation null and why")
add("chain-facility-without-capacity-column", G, "run", either({"ok", "warn"}, check=_facilities_inflow_unlimited),
    _no_facility_capacity, note="no 设计能力 column (and no mapping): inflows reported, capacity null")
add("chain-facility-unknown-kind", G, "check", error(_FACILITIES_FILE, kw("kind", "类型"), lit("垃圾山")),
    _facilities(lambda t: t[1].__setitem__(2, "垃圾山")), note="类型 = 垃圾山: no kind of facility")
add("chain-no-facilities-layer", G, "run", ok(check=_haul_not_assessed),
    lambda ctx: ctx.sub('[layers.waste_facilities]\npath = "waste_facilities.csv"\nx = "经度"\ny = "纬度"\n'
                        'columns = { id = "编号", name = "名称", kind = "类型", capacity_t_per_day = "设计能力（吨/日）" }\n', ''),
    note="no facilities: the haul is not assessed, and summary.json says so")
add("chain-township-rate-typo", G, "check", error(kw("township_generation_kg_per_person_day"), lit("西城街道")),
    lambda ctx: ctx.section_add("waste", 'township_generation_kg_per_person_day = { "西城街" = 0.8 }'),
    note="a township name that is no township: the closest is suggested")


def finalize() -> list[Case]:
    """The cases (names checked unique)."""
    names = [c.name for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise AssertionError(f"duplicate case names: {dup}")
    return CASES
