"""What real village files lack: townships, head counts — completed by documented rules.

A village boundary from the land-survey database often carries only its code, name and
area; head counts come from another office as a spreadsheet.  The loader
(:func:`geo_env.load_project`) therefore completes the villages in this order, each step
warning with the villages' ids:

1. :func:`join_village_table` — columns of a ``[layers.village_table]`` (population,
   households, township …, keyed by village code or name) joined onto the villages;
   table rows that match no village and villages without a row are listed.
2. :func:`complete_townships` — a blank or missing township from the village code
   (统计用区划代码: digits 1–9 are the township's code): the name other villages of that
   code carry, else the name of a ``[layers.townships]`` code table or polygon (the
   polygon holding the village's anchor), else the code itself; villages without a
   code or township polygon go to one township :data:`UNASSIGNED`.
3. :func:`complete_people` — population missing but households known: households ×
   persons per household (``population_estimated`` = True); households missing:
   population ÷ persons per household; both missing: unknown (NaN) — analyses that need
   people leave such villages out and say so.
4. :func:`check_people` — population against households (persons per household) and
   against the size of an administrative village (:mod:`geo_env.standards`,
   ``PLAUSIBLE``): implausible values are warned about, impossible ones stop the run.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import DataValueError, DataWarning, format_rows

__all__ = ["UNASSIGNED", "township_codes", "join_village_table", "complete_townships", "complete_people",
           "check_people"]

#: The township of villages whose township is unknown and cannot be derived.
UNASSIGNED = "未分乡镇"

#: Columns a village table may bring to the villages.
TABLE_COLUMNS = ("township", "population", "households", "farmland_mu", "settlement_area_ha", "natural_villages",
                 "sewage_status", "sewage_facility_id", "sanitary_toilet_households", "waste_collected")
#: Columns of the table joined as they are (codes, words), not as numbers.
_TEXT_COLUMNS = ("township", "sewage_status", "sewage_facility_id", "waste_collected")


def _warn(message: str) -> None:
    warnings.warn(message, DataWarning, stacklevel=3)


def _code12(codes: pd.Series) -> pd.Series:
    """Village codes in the 12-digit 统计用区划代码 where they are that code extended with
    zeros (the 15-digit form with ``000``, the 19-digit 坐落单位代码); others unchanged."""
    s = codes.astype(str)
    longer = s.str.fullmatch(r"\d{13,}") & s.str[12:].str.fullmatch(r"0+")
    return s.where(~longer, s.str[:12])


def township_codes(ids: pd.Series) -> pd.Series:
    """The 9-digit township code of each village code (统计用区划代码: 2 province, 2 city,
    2 county, 3 township, 3 village digits; longer zero-extended codes too); None for ids
    that are no such code."""
    s = _code12(ids)
    return s.str[:9].where(s.str.fullmatch(r"\d{12}"), None)


def _match(keys: pd.Series, targets: pd.Series) -> np.ndarray:
    """Position in ``targets`` of each key (-1: none), exact or in the 12-digit code system;
    a target that is repeated matches nothing (ambiguous)."""
    tgt = targets.astype(str)
    pos = pd.Series(np.arange(len(tgt)), index=tgt.to_numpy())
    pos = pos[~pos.index.duplicated(keep=False)]
    out = pd.Series(keys.astype(str).to_numpy()).map(pos)
    miss = out.isna().to_numpy()
    if miss.any():  # codes of another length of the same system
        pos12 = pd.Series(np.arange(len(tgt)), index=_code12(tgt).to_numpy())
        pos12 = pos12[~pos12.index.duplicated(keep=False)]
        out[miss] = _code12(keys.astype(str)).iloc[np.flatnonzero(miss)].map(pos12).to_numpy()
    return out.fillna(-1).to_numpy(dtype=int)


def join_village_table(villages: gpd.GeoDataFrame, table: pd.DataFrame, *, label: str = "villages",
                       table_label: str = "village_table") -> gpd.GeoDataFrame:
    """Join a table of facts per village (:func:`geo_env.io.layers.read_table`) onto the villages.

    Rows are matched by village code (``id``, also across the 12/15/19-digit code systems)
    when the table has one, else by name (names repeated among the villages match
    nothing).  For each column of :data:`TABLE_COLUMNS` the table holds, the table's value
    is used where it is given (a different value in the villages layer is replaced, counted
    in a warning) and the layer's is kept where the table's cell is blank.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``villages`` with the table's columns.
    """
    key = "id" if "id" in table.columns and table["id"].notna().any() else "name"
    where = _match(table[key], villages[key])
    rows = table["_row"] if "_row" in table.columns else pd.Series(np.arange(len(table)) + 2)
    lost = where < 0
    if lost.all():
        raise DataValueError(
            f"no row of the table matches a village by {'code' if key == 'id' else 'name'} (e.g. "
            f"{table[key].iloc[0]!r} against {villages[key].iloc[0]!r})", file=table_label, column=key,
            hint="map the column that holds the villages' codes (id) or names in [layers.village_table] columns")
    if lost.any():
        shown = [f"{k} (row {r})" for k, r in zip(table.loc[lost, key], rows[lost])]
        _warn(f"{table_label}: {int(lost.sum())} row(s) match no village by {key}: {format_rows(shown)}")
    out = villages.copy()
    hit = np.flatnonzero(~lost)
    have = np.zeros(len(out), dtype=bool)
    have[where[hit]] = True
    if (~have).any():
        _warn(f"{label}: {int((~have).sum())} village(s) have no row in {table_label} "
              f"({format_rows(list(out.loc[~have, 'id']))})")
    changed = 0
    for col in TABLE_COLUMNS:
        if col not in table.columns:
            continue
        new = pd.Series(np.nan if col not in _TEXT_COLUMNS else None, index=out.index, dtype=object)
        new.iloc[where[hit]] = table[col].to_numpy(dtype=object)[hit]
        old = out[col] if col in out.columns else pd.Series(None, index=out.index, dtype=object)
        given = new.notna() & old.notna()
        changed += int((given & (new.astype(str) != old.astype(str))).sum())
        merged = new.where(new.notna(), old)
        out[col] = merged if col in _TEXT_COLUMNS else pd.to_numeric(merged, errors="coerce").astype(float)
    if changed:
        _warn(f"{label}: {changed} value(s) of the villages layer differ from {table_label}; the table's are used")
    return out


def complete_townships(villages: gpd.GeoDataFrame, townships: pd.DataFrame | None = None, *,
                       label: str = "villages", township_label: str = "townships") -> gpd.GeoDataFrame:
    """Fill blank or missing townships (see the module's rules); a copy of ``villages``.

    ``townships``: a code table (``id`` = 9-digit township code, or the 12-digit form
    ending in ``000``; ``name``) or township polygons (``name``; ``id`` codes used when
    they are codes) in the villages' CRS.
    """
    out = villages.copy()
    town = (out["township"] if "township" in out.columns else pd.Series(None, index=out.index)).astype(object)
    todo = town.isna().to_numpy()
    if not todo.any():
        out["township"] = town
        return out
    code = township_codes(out["id"])
    found = pd.Series(None, index=out.index, dtype=object)
    # 1. the name that the other villages of the same township code carry (one name only:
    #    a code whose villages carry several names gives none)
    named = pd.DataFrame({"code": code, "town": town}).dropna().drop_duplicates()
    by_code = named.drop_duplicates("code", keep=False).set_index("code")["town"]
    found[todo] = code[todo].map(by_code)
    # 2. a township table or polygons: by code, then (polygons) by place
    if townships is not None and len(townships):
        found = _from_townships(out, code, found, todo, townships)
    # 3. the code itself; 4. one township for the rest
    by_code_only = todo & found.isna().to_numpy() & code.notna().to_numpy()
    found[by_code_only] = code[by_code_only]
    rest = todo & found.isna().to_numpy()
    found[rest] = UNASSIGNED
    town[todo] = found[todo]
    out["township"] = town
    _warn_townships(out, todo, by_code_only, rest, label=label, had_column="township" in villages.columns,
                    township_label=township_label if townships is not None else None)
    return out


def _from_townships(villages: gpd.GeoDataFrame, code: pd.Series, found: pd.Series, todo: np.ndarray,
                    townships: pd.DataFrame) -> pd.Series:
    """Township names for the villages still without one: by township code, then by the
    township polygon that holds the village's anchor."""
    found = found.copy()
    t = townships
    if "id" in t.columns:
        tcode = t["id"].astype(str)
        tcode = tcode.where(~tcode.str.fullmatch(r"\d{9}000"), tcode.str[:9])
        names = pd.Series(t["name"].to_numpy(), index=tcode.to_numpy())
        names = names[~names.index.duplicated(keep="first")]
        left = todo & found.isna().to_numpy()
        found[left] = code[left].map(names)
    left = todo & found.isna().to_numpy()
    if left.any() and isinstance(t, gpd.GeoDataFrame):
        from .._geometry import anchor_points

        pts = np.asarray(shapely.points(anchor_points(villages.loc[left])))
        i_pt, i_poly = shapely.STRtree(np.asarray(t.geometry.values)).query(pts, predicate="within")
        first = pd.Series(i_poly).groupby(i_pt).first()
        got = pd.Series(None, index=np.arange(len(pts)), dtype="object")
        got[first.index.to_numpy()] = t["name"].to_numpy(dtype=object)[first.to_numpy()]
        found[left] = got.to_numpy()
    return found


def _warn_townships(v: gpd.GeoDataFrame, todo: np.ndarray, by_code: np.ndarray, rest: np.ndarray, *,
                    label: str, had_column: bool, township_label: str | None) -> None:
    what = "have a blank township" if had_column else "have no township (the layer has no township column)"
    named = todo & ~by_code & ~rest
    parts = []
    if named.any():
        parts.append(f"{int(named.sum())} named from their village code or "
                     f"{township_label or 'the other villages'}")
    if by_code.any():
        parts.append(f"{int(by_code.sum())} given their 9-digit township code as the township name "
                     f"({format_rows(sorted(set(v.loc[by_code, 'township'])))}; add [layers.townships] "
                     f"with the codes' names)")
    if rest.any():
        parts.append(f"{int(rest.sum())} without a village code or township polygon put in one township "
                     f"'{UNASSIGNED}' ({format_rows(list(v.loc[rest, 'id']))})")
    _warn(f"{label}: {int(todo.sum())} village(s) {what}: " + "; ".join(parts))


def complete_people(villages: gpd.GeoDataFrame, persons_per_household: float, *,
                    label: str = "villages") -> gpd.GeoDataFrame:
    """Population and households completed from each other (see the module's rules).

    Returns a copy with float ``population`` and ``households`` (NaN = unknown) and the
    boolean ``population_estimated``.
    """
    v = villages.copy()
    for col in ("population", "households"):
        v[col] = (pd.to_numeric(v[col], errors="coerce").astype(float) if col in v.columns
                  else np.full(len(v), np.nan))
    pop, hh = v["population"].to_numpy(), v["households"].to_numpy()
    if np.isnan(pop).all() and np.isnan(hh).all():
        _warn(f"{label}: no population or households (no such column, no [layers.village_table]): "
              f"figures by population are not assessed (coverage by population, sewage flows and modes); "
              f"add them to the villages or as [layers.village_table]")
        v["population_estimated"] = False
        return v
    from_hh = np.isnan(pop) & np.isfinite(hh)
    from_pop = np.isnan(hh) & np.isfinite(pop)
    unknown = np.isnan(pop) & np.isnan(hh)
    v["population"] = np.where(from_hh, np.round(hh * persons_per_household), pop)
    v["households"] = np.where(from_pop, np.round(pop / persons_per_household), hh)
    v["population_estimated"] = from_hh
    ids = v["id"].to_numpy()
    if from_hh.any():
        _warn(f"{label}: population missing for {int(from_hh.sum())} village(s); estimated as households × "
              f"{persons_per_household} persons per household and flagged population_estimated "
              f"({format_rows(list(ids[from_hh]))})")
    if from_pop.any():
        _warn(f"{label}: households missing for {int(from_pop.sum())} village(s); estimated as "
              f"population / {persons_per_household} persons per household ({format_rows(list(ids[from_pop]))})")
    if unknown.any():
        _warn(f"{label}: population and households unknown for {int(unknown.sum())} village(s) "
              f"({format_rows(list(ids[unknown]))}): figures by population leave them out and their "
              f"sewage is not assessed; fill in population or households")
    return v


def check_people(villages: gpd.GeoDataFrame, *, label: str = "villages") -> None:
    """Population against households and against the size of an administrative village.

    Raises :class:`~geo_env.errors.DataValueError` for impossible values (a village of
    more people than any administrative village has; more persons per household than
    any household has) and warns for implausible ones, naming the villages — the bounds
    and their sources are in :data:`geo_env.standards.PLAUSIBLE`.
    """
    from ..standards import PLAUSIBLE

    v = villages
    pop = v["population"].to_numpy(dtype=float)
    hh = v["households"].to_numpy(dtype=float)
    est = v["population_estimated"].to_numpy(dtype=bool) if "population_estimated" in v.columns else False
    ids = v["id"].to_numpy()
    size = PLAUSIBLE["village_population"]
    too_big = pop > size.stop
    if too_big.any():
        i = np.flatnonzero(too_big)
        raise DataValueError(
            f"population {pop[i[0]]:,.0f} of village {ids[i[0]]} exceeds what any administrative village has "
            f"(over {size.stop:,.0f}; {format_rows(list(ids[i]))})", file=label, column="population",
            hint="check the population column (a value in persons, not in 10⁻⁴ or with extra digits)")
    with np.errstate(divide="ignore", invalid="ignore"):
        pph = np.where(~est & (hh > 0), pop / hh, np.nan)
    ratio = PLAUSIBLE["persons_per_household"]
    impossible = pph > ratio.stop
    if impossible.any():
        i = np.flatnonzero(impossible)
        raise DataValueError(
            f"village {ids[i[0]]} has {pop[i[0]]:,.0f} people in {hh[i[0]]:,.0f} households "
            f"({pph[i[0]]:,.0f} persons per household; more than {ratio.stop:g} is no household) "
            f"({format_rows(list(ids[i]))})", file=label, column="population",
            hint="check population and households of these villages (swapped columns, extra digits?)")
    odd = (pph < ratio.low) | (pph > ratio.high)
    big = pop > size.high
    if odd.any():
        shown = [f"{i} ({p:.1f})" for i, p in zip(ids[odd], pph[odd])]
        _warn(f"{label}: {int(odd.sum())} village(s) have an implausible number of persons per household "
              f"(outside {ratio.low:g}–{ratio.high:g}): {format_rows(shown)}; check population and households")
    if big.any():
        _warn(f"{label}: {int(big.sum())} village(s) have more than {size.high:,.0f} people "
              f"({format_rows(list(ids[big]))}); check the population column")
