"""Effluent standards (出水标准) of treatment stations: rule tables by province.

A rule table gives, for ranges of treatment size (m³/d) and the receiving water's class
(GB 3838-2002 functional classes I–V, or ``unclassified``), the grade a station must meet:
``一级A``, ``一级B``, ``一级``, ``二级``, ``三级``, or ``不得排放`` (no new outfall).  The tables
ship as TOML data files in ``geo_env/data/effluent/`` — ``national.toml`` (环办水体函〔2018〕1083号
for rural facilities under 500 m³/d, GB 18918-2002 above) and ``44.toml`` (Guangdong,
DB44/2208-2019) — each band with its document and article.  A project picks one with
``[sewage] province`` or points ``[sewage] effluent_table`` at its own file of the same
format; :func:`load_table` checks that the bands cover every size and class.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ParameterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["WATER_CLASSES", "GRADES", "NO_DISCHARGE", "EffluentTable", "Band", "load_table", "provinces"]

#: Receiving-water classes of a rule table: GB 3838-2002 I–V and water of no set function.
WATER_CLASSES = ("I", "II", "III", "IV", "V", "unclassified")
#: Grades a table may give, strictest first.
GRADES = ("一级A", "一级B", "一级", "二级", "三级", "不得排放")
#: The grade that forbids a new outfall.
NO_DISCHARGE = "不得排放"


@dataclass(frozen=True)
class Band:
    """The grades for treatment sizes ``min_m3_per_day ≤ size < max_m3_per_day`` (m³/d)."""

    min_m3_per_day: float
    max_m3_per_day: float
    standard: str
    source: str
    grades: dict[str, str]


@dataclass(frozen=True)
class EffluentTable:
    """A province's rule table (see the module docstring)."""

    province: str
    name: str
    bands: tuple[Band, ...]
    path: str

    def lookup(self, water_class: np.ndarray, size_m3_per_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The standard (document) and grade of every station, from its receiving water's
        class (``"I"``–``"V"``, None for unclassified) and its size (m³/d).  Object arrays."""
        cls = np.asarray([c if c in WATER_CLASSES else "unclassified" for c in water_class], dtype=object)
        size = np.asarray(size_m3_per_day, dtype=float)
        standard = np.full(len(cls), None, dtype=object)
        grade = np.full(len(cls), None, dtype=object)
        lows = np.array([b.min_m3_per_day for b in self.bands])
        band = np.clip(np.searchsorted(lows, np.nan_to_num(size, nan=0.0), side="right") - 1, 0, len(lows) - 1)
        for k, b in enumerate(self.bands):
            at = np.flatnonzero(band == k)
            standard[at] = b.standard
            grade[at] = [b.grades[c] for c in cls[at]]
        return standard, grade


def provinces() -> list[str]:
    """The province codes that have a shipped table (``national`` first)."""
    names = sorted(p.name[:-5] for p in resources.files("geo_env").joinpath("data/effluent").iterdir()
                   if p.name.endswith(".toml"))
    return ["national", *[n for n in names if n != "national"]]


def load_table(province: str = "national", *, path: str | Path | None = None) -> EffluentTable:
    """The rule table of ``province`` (a shipped table), or the file at ``path``.

    Raises :class:`~geo_env.errors.ParameterError` for a province without a table (saying
    what to add) and for a table whose bands leave a size or a class without a grade.
    """
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ParameterError(f"[sewage] effluent_table: no file {str(p)!r}",
                                 hint="give the path of a rule table (TOML), relative to the project file")
        text, where = p.read_bytes(), str(p)
    else:
        known = provinces()
        if str(province) not in known:
            shipped = resources.files("geo_env").joinpath("data/effluent/national.toml")
            raise ParameterError(
                f"[sewage] province = {province!r}: geo_env has no effluent-standard table for it "
                f"(tables: {', '.join(known)})",
                hint=f"write the province's rule table in the format of {shipped} (its rural discharge standard, "
                     "the grade for each water class and size) and set [sewage] effluent_table = \"that file\"; "
                     "or use province = \"national\"")
        res = resources.files("geo_env").joinpath(f"data/effluent/{province}.toml")
        text, where = res.read_bytes(), str(res)
    try:
        raw = tomllib.loads(text.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ParameterError(f"effluent table {where}: not a readable TOML file ({exc})",
                             hint="save it as UTF-8 TOML in the format of geo_env's national.toml") from None
    return _table(raw, where)


def _table(raw: dict[str, Any], where: str) -> EffluentTable:
    """The table of a parsed file, checked: bands from 0 m³/d up, contiguous, every class graded."""
    bands_raw = raw.get("bands")
    if not isinstance(bands_raw, list) or not bands_raw:
        raise ParameterError(f"effluent table {where}: no [[bands]]", hint="see geo_env's national.toml")
    bands = []
    expect_low = 0.0
    for k, b in enumerate(bands_raw, start=1):
        low, high = b.get("min_m3_per_day"), b.get("max_m3_per_day", float("inf"))
        if not isinstance(low, (int, float)) or float(low) != expect_low:
            raise ParameterError(f"effluent table {where}: band {k} starts at {low!r} m³/d, not at {expect_low:g}",
                                 hint="bands run from 0 m³/d up without gaps, each min equal to the last max")
        if not isinstance(high, (int, float)) or high <= low:
            raise ParameterError(f"effluent table {where}: band {k} ends at {high!r} m³/d, not above its start")
        missing = [c for c in WATER_CLASSES if c not in b]
        bad = {c: b[c] for c in WATER_CLASSES if c in b and b[c] not in GRADES}
        if missing or bad:
            raise ParameterError(
                f"effluent table {where}: band {k} " + (f"has no grade for {', '.join(missing)}" if missing else
                                                        f"has unknown grades {bad}"),
                hint=f"give every class {', '.join(WATER_CLASSES)} one of {', '.join(GRADES)}")
        bands.append(Band(float(low), float(high), str(b.get("standard", "")), str(b.get("source", "")),
                          {c: str(b[c]) for c in WATER_CLASSES}))
        expect_low = float(high)
    if np.isfinite(expect_low):
        raise ParameterError(f"effluent table {where}: the last band ends at {expect_low:g} m³/d",
                             hint="leave max_m3_per_day out of the last band so that every size has a grade")
    return EffluentTable(str(raw.get("province", "")), str(raw.get("name", "")), tuple(bands), where)
