"""Value checks: numbers, blank cells and their rules, townships, species, sewage plants.

Numeric columns accept numbers, numbers as text (``"1,730"``, full-width ``１７３０``) and
blanks (empty cells and :data:`BLANK_TEXTS` such as ``-`` or ``无``); text that is no
number, infinities and negative numbers are errors naming the rows (:func:`_numbers`).
What a blank means is said once per column in :data:`BLANK_RULES` and warned with the
rows.  Township names may not be a total row's (``合计``); species are parsed by
:mod:`geo_env.species` (the one list of species names); a sewage plant's load may not
exceed its capacity (warned).  Line breaks inside names become spaces (:func:`_clean_text`).
Completing villages' townships and head counts is :mod:`geo_env.io.villages`' part.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import DataValueError, format_rows
from ..species import parse_species  # the one list of species names
from ._messages import _warn
from .columns import BLANK_TEXTS, RESERVED_NAMES, LayerSpec, _id_strings
from .coordinates import _HALFWIDTH
from .status import check_status_columns

__all__ = ["BLANK_TEXTS", "BLANK_RULES"]


#: What a blank cell of a numeric column means, by (layer kind, column); said in the warning
#: naming the rows.  Villages' population and households are completed (and warned about)
#: by :mod:`geo_env.io.villages`; other numeric columns' blanks are read as missing silently
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
    ("villages", "sanitary_toilet_households"): "sanitary toilets unknown: left out of the toilet indicator",
    ("village_table", "sanitary_toilet_households"): "sanitary toilets unknown: left out of the toilet indicator",
    ("sewage_plants", "year_built"): "year built unknown",
    ("transfer_stations", "year_built"): "year built unknown",
    ("transfer_stations", "capacity_t_per_day"): "capacity unknown: their load is reported, their utilisation is "
                                                 "not assessed and the capacity-aware assignment does not limit them",
    ("waste_facilities", "capacity_t_per_day"): "capacity unknown: their inflow is reported, their utilisation is "
                                                "not assessed",
    ("waste_facilities", "year_built"): "year built unknown",
    ("households", "households"): "taken as 1 household per feature",
    ("buildings", "households"): "taken as 1 household per feature",
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
        parse_species(out["species"], layer=label or spec.kind, column=src("species"), ids=out["id"],
                      rows=out["_row"], file=file)
    if spec.kind == "sewage_plants":
        out = _check_plants(out, file=file, label=label, src=src)
    if "capacity_t_per_day" in out.columns:
        _positive_capacity(out, "capacity_t_per_day", file=file, label=label, src=src)
    return check_status_columns(out, spec, file=file, label=label, src=src)


def _township_text(out: pd.DataFrame, *, file: str, label: str | None, column: str) -> pd.Series:
    """Township names with whitespace normalised; blanks stay missing (``None``: the
    loader fills them, see :func:`geo_env.io.villages.complete_townships`)."""
    town = _id_strings(out["township"]).replace("", None)  # township codes 361123100.0 → "361123100"
    reserved = town.str.lower().isin(RESERVED_NAMES).to_numpy(dtype=bool)
    if reserved.any():
        raise DataValueError(
            f"the township name {town[reserved].iloc[0]!r} is reserved for the total row "
            f"of the township tables", file=file, layer=label, column=column,
            row=format_rows(list(out.loc[reserved, "_row"])), hint="fill in the real township name",
        )
    return town.astype(object)


def _check_plants(out: gpd.GeoDataFrame, *, file: str, label: str | None,
                  src: Callable[[str], str]) -> gpd.GeoDataFrame:
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


def _positive_capacity(out: pd.DataFrame, column: str, *, file: str, label: str | None,
                       src: Callable[[str], str]) -> None:
    """A capacity of 0 is no capacity the file means: an error (blank = unknown)."""
    zero = (out[column] <= 0).to_numpy()
    if zero.any():
        raise DataValueError("capacity must be greater than 0", file=file, layer=label, column=src(column),
                             row=format_rows(list(out.loc[zero, "_row"])),
                             hint="leave the cell empty when the capacity is unknown")


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
