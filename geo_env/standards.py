"""Every default parameter of geo_env, each with the document it comes from.

A project file overrides any of them in its ``[waste]``, ``[sewage]`` or ``[livestock]``
section (or the road options in ``[layers.roads]``); functions accept them as keyword
arguments.  ``report.xlsx`` lists every parameter used with the source given here.

Where a value is a modelling choice of geo_env rather than a number from a standard,
``source`` says so plainly.

Each :class:`Parameter` states its unit and a check that the loader applies
(``positive``, ``nonnegative``, ``fraction``, ``bool``, a tuple of choices, ``any``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError, ProjectFileError, closest

__all__ = ["Parameter", "PARAMETERS", "defaults", "validate_section", "parameter", "SECTIONS"]


@dataclass(frozen=True)
class Parameter:
    """One default value with its unit and source."""

    section: str
    name: str
    default: Any
    unit: str
    source: str
    label_zh: str
    check: Any = "positive"
    note: str = ""

    def validate(self, value: Any, *, file: str | None = None) -> Any:
        """Return ``value`` converted to the parameter's type, or raise ParameterError."""
        where = f"[{self.section}] {self.name}"
        check = self.check
        if isinstance(check, tuple):
            if value not in check:
                hint = closest(str(value), [str(c) for c in check])
                raise ParameterError(
                    f"{where} = {value!r} is not one of {', '.join(map(repr, check))}",
                    file=file,
                    hint=f"did you mean {hint!r}?" if hint else None,
                )
            return value
        if check == "bool":
            if not isinstance(value, bool):
                raise ParameterError(f"{where} must be true or false, not {value!r}", file=file)
            return value
        if check in ("str", "any"):
            return value
        if check == "mapping":
            if not isinstance(value, Mapping):
                raise ParameterError(f"{where} must be a table {{ key = value }}", file=file)
            return dict(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{where} must be a number ({self.unit}), not {value!r}", file=file)
        value = float(value) if isinstance(self.default, float) else value
        if check == "positive" and not value > 0:
            raise ParameterError(
                f"{where} must be greater than 0 ({self.unit}), not {value!r}",
                file=file,
                hint=f"the default is {self.default} {self.unit} ({self.source})",
            )
        if check == "nonnegative" and not value >= 0:
            raise ParameterError(f"{where} must be 0 or more ({self.unit}), not {value!r}", file=file)
        if check == "fraction" and not 0 < value <= 1:
            raise ParameterError(
                f"{where} must be a fraction in (0, 1], not {value!r}",
                file=file,
                hint="write 0.95 for 95 %",
            )
        return value


_P = Parameter
_MODEL = "geo_env modelling choice (no standard prescribes it)"

# ---------------------------------------------------------------------------------------
# [roads]: how the road network is built (keys of [layers.roads] in the project file)
# ---------------------------------------------------------------------------------------
_ROADS = [
    _P("roads", "snap_tolerance_m", 1.0, "m",
       _MODEL + "; a line end this close to another line joins it at its nearest point "
       "by a straight link whose length counts (vertices of different lines within 1 m "
       "are always one junction, whatever this tolerance)",
       "道路端点捕捉容差"),
    _P("roads", "node_crossings", False, "",
       _MODEL + "; lines crossing without a shared vertex are bridges unless this is true",
       "交叉处自动打断", check="bool"),
    _P("roads", "max_connector_m", 1000.0, "m",
       _MODEL + "; a village anchor or facility farther than this from every road is not "
       "attached to the network (its road distance is unknown)",
       "接入道路最大距离"),
]

# ---------------------------------------------------------------------------------------
# [waste]: rural household waste collection (户集中、村收集、镇转运、区/县处理)
# ---------------------------------------------------------------------------------------
_WASTE = [
    _P("waste", "service_radius_m", 3000.0, "m",
       "GB 50337-2018《城市环境卫生设施规划标准》: transfer stations served by small "
       "motor vehicles have a collection service radius within 3.0 km",
       "转运站服务半径"),
    _P("waste", "metric", "auto", "",
       _MODEL + "; 'road' when a roads layer is given, else 'straight'",
       "距离计算方式", check=("auto", "road", "straight")),
    _P("waste", "target_coverage", 0.95, "share of population",
       _MODEL + "; the share of population the proposed stations should bring within "
       "the service radius",
       "收运覆盖目标", check="fraction"),
]

# ---------------------------------------------------------------------------------------
# [sewage]: rural domestic sewage (农村生活污水) — see sewage.py
# ---------------------------------------------------------------------------------------
_SEWAGE: list[Parameter] = [
]

# ---------------------------------------------------------------------------------------
# [livestock]: livestock manure (畜禽粪污) — see livestock.py
# ---------------------------------------------------------------------------------------
_LIVESTOCK: list[Parameter] = [
]

# ---------------------------------------------------------------------------------------
# [villages]: facts about villages used when a column is missing
# ---------------------------------------------------------------------------------------
_VILLAGES = [
    _P("villages", "persons_per_household", 2.62, "persons",
       "第七次全国人口普查 (2020): average family household size 2.62 persons; used only "
       "to estimate households where the villages layer has no households column",
       "户均人口"),
]

SECTIONS = ("roads", "waste", "sewage", "livestock", "villages")

PARAMETERS: dict[tuple[str, str], Parameter] = {
    (p.section, p.name): p for p in [*_ROADS, *_WASTE, *_SEWAGE, *_LIVESTOCK, *_VILLAGES]
}


def parameter(section: str, name: str) -> Parameter:
    """The :class:`Parameter` ``section.name``."""
    return PARAMETERS[(section, name)]


def defaults(section: str) -> dict[str, Any]:
    """The default values of one section, as a new dict."""
    return {p.name: p.default for p in PARAMETERS.values() if p.section == section}


def validate_section(
    section: str,
    values: Mapping[str, Any],
    *,
    file: str | None = None,
    extra_keys: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Merge ``values`` over the section's defaults, checking each key and value.

    Unknown keys raise :class:`ProjectFileError` naming the closest valid key;
    ``extra_keys`` are accepted and returned unchanged (the caller checks them).
    """
    out = defaults(section)
    known = [p.name for p in PARAMETERS.values() if p.section == section] + list(extra_keys)
    for key, value in values.items():
        if key in extra_keys:
            out[key] = value
            continue
        p = PARAMETERS.get((section, key))
        if p is None:
            hint = closest(key, known)
            raise ProjectFileError(
                f"unknown key '{key}' in [{section}]",
                file=file,
                hint=(f"did you mean '{hint}'?" if hint else f"valid keys: {', '.join(known)}"),
            )
        out[key] = p.validate(value, file=file)
    return out
