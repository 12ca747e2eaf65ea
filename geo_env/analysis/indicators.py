"""The official assessment indicators (考核指标): baseline (现状), after the plan (规划) and
target, for the district and by township (:func:`indicators`).

Definitions (each also written into the report, ``DEFINITIONS``):

``sewage_treatment_rate`` 农村生活污水治理率
    villages treated ÷ villages with residents (main basis: administrative villages; also
    by households and by population).  Baseline: treated today
    (:mod:`geo_env.analysis.baseline`: stopped facilities do not count).  Planned: every
    village the sewage plan gives a mode (kept, repaired or new works); villages of unknown
    population keep their baseline.  Not assessed without a ``sewage_status`` column
    (baseline) or a plan.
``waste_system_coverage`` 生活垃圾收运处置体系覆盖行政村比例
    villages in the collection system ÷ villages.  Baseline: ``waste_collected`` where the
    data says so, else within the service radius of a running transfer station.  Planned:
    within the radius of an existing or proposed station, or collected already.
``sanitary_toilet_rate`` 卫生厕所普及率
    households with a sanitary toilet ÷ households (main basis: households), over villages
    where both are known.  Planned: the plan converts every remaining household (the
    ``toilet_suggestion`` and ``toilet_households_to_convert`` per village).
``manure_utilization_rate`` 畜禽粪污综合利用率
    Σ farm utilisation rate × pig equivalents ÷ Σ pig equivalents of farms with both known.
    Planned: not planned by geo_env (farm measures); the land balance's ceiling (the share
    of manure the farmland can take within the transport distance) is given as ``ceiling``.
``manure_facility_rate`` 规模养殖场粪污处理设施装备配套率
    scale farms with a manure facility ÷ scale farms whose facility is known.  Planned: 1
    (every scale farm without one is to be equipped; listed).
``facility_operating_rate`` 设施正常运行率
    running ÷ (running + stopped) sewage plants, stations and transfer stations (those
    building or planned are not counted).  Planned: 1 (stopped ones rectified or replaced).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._choices import INDICATORS
from ..labels import label
from ..standards import defaults, target_of

__all__ = ["indicators", "DEFINITIONS", "BASES"]

#: The main basis of each indicator.
BASES = {"sewage_treatment_rate": "villages", "waste_system_coverage": "villages",
         "sanitary_toilet_rate": "households", "manure_utilization_rate": "pig_equivalents",
         "manure_facility_rate": "farms", "facility_operating_rate": "facilities"}

#: What counts, per indicator: (zh, en).
DEFINITIONS: dict[str, tuple[str, str]] = {
    "sewage_treatment_rate": (
        "已治理行政村数 ÷ 有常住人口的行政村数。现状：纳管、村级集中、片区集中或分散治理且设施正常运行（停运设施不计）；"
        "规划：规划确定治理模式的村（现状保留、整改修复或新建）。另按户数、人口计算。",
        "Treated villages ÷ villages with residents. Baseline: connected, village or shared station, or household "
        "systems with works in operation (stopped works do not count); planned: villages the plan gives a mode."),
    "waste_system_coverage": (
        "纳入收运体系的行政村数 ÷ 行政村数。现状：数据标明已纳入的村，否则位于运行中转运站服务半径内的村；规划：现有及规划转运站服务半径内的村。",
        "Villages in the collection system ÷ villages. Baseline: as the data says, else within the service radius "
        "of a running transfer station; planned: within the radius of an existing or proposed station."),
    "sanitary_toilet_rate": (
        "卫生厕所户数 ÷ 总户数（两者已知的村）。规划：改厕建议覆盖其余农户。",
        "Households with a sanitary toilet ÷ households (villages where both are known). Planned: the remaining "
        "households converted as suggested."),
    "manure_utilization_rate": (
        "Σ(养殖场综合利用率 × 猪当量) ÷ Σ猪当量（两者已知的养殖场）。规划值不由本工具测算，给出土地承载力允许的上限。",
        "Σ(farm utilisation rate × pig equivalents) ÷ Σ pig equivalents. Not planned by geo_env; the land "
        "balance's ceiling is given."),
    "manure_facility_rate": (
        "配套粪污处理设施的规模养殖场数 ÷ 规模养殖场数（已知的）。规划：全部规模养殖场配套。",
        "Scale farms with a manure facility ÷ scale farms (where known). Planned: every scale farm equipped."),
    "facility_operating_rate": (
        "正常运行的污水处理设施和垃圾转运站数 ÷（运行 + 停运）设施数（在建、规划不计）。规划：停运设施整改或替代。",
        "Running sewage works and transfer stations ÷ (running + stopped) ones. Planned: stopped ones rectified "
        "or replaced."),
}


def _share(num: np.ndarray, den: np.ndarray, town: np.ndarray) -> tuple[float | None, dict[str, float | None]]:
    """Σnum ÷ Σden overall and per township (None where Σden is 0)."""
    def one(n: float, d: float) -> float | None:
        return float(n / d) if d > 0 else None

    frame = pd.DataFrame({"t": town, "n": num, "d": den}).groupby("t", sort=True)[["n", "d"]].sum()
    return one(num.sum(), den.sum()), {str(t): one(r.n, r.d) for t, r in frame.iterrows()}


def _entry(ind: str, base: str, towns: np.ndarray, bases: Mapping[str, tuple[Any, ...]],
           targets: Mapping[str, Any], lang_note: str | None = None) -> dict[str, Any]:
    """One indicator's summary block from (numerator before, numerator after, denominator) per basis."""
    value, year, source = target_of(ind, targets)
    by_basis: dict[str, dict[str, float | None]] = {}
    by_town: dict[str, dict[str, float | None]] = {}
    counts: dict[str, float | None] = {"baseline": None, "planned": None, "of": None}
    for b, (before, after, den, town) in bases.items():
        b0, t0 = _share(before, den, town)
        b1, t1 = _share(after, den, town) if after is not None else (None, {k: None for k in t0})
        by_basis[b] = {"baseline": b0, "planned": b1}
        if b == base:
            by_town = {t: {"baseline": t0[t], "planned": t1.get(t)} for t in t0}
            counts = {"baseline": _sum(before), "planned": None if after is None else _sum(after), "of": _sum(den)}
    main = by_basis.get(base, {"baseline": None, "planned": None})
    return {"label": label(ind, "zh"), "label_en": label(ind, "en"),
            "baseline": main["baseline"], "planned": main["planned"], "target": value, "target_year": year,
            "target_source": source, "unit": "share", "basis": base, "by_basis": by_basis,
            "by_township": {str(t): by_town.get(str(t), {"baseline": None, "planned": None}) for t in towns},
            "definition": DEFINITIONS[ind][0], "definition_en": DEFINITIONS[ind][1], "not_assessed": lang_note,
            "counts": counts}


def _sum(values: np.ndarray) -> float | None:
    """Σ of a numerator or denominator (the main basis' ``counts``, so that shares can be
    summed over districts: a province's share is Σ numerators ÷ Σ denominators); None
    where nothing is known."""
    total = float(np.nansum(values))
    return None if np.isnan(values).all() and len(values) else total


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    return (pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float) if col in df.columns
            else np.full(len(df), np.nan))


def _flag(df: pd.DataFrame, col: str) -> np.ndarray:
    """A boolean column (None/NaN → False)."""
    if col not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df[col].astype(object).isin([True]).to_numpy(dtype=bool)  # True, np.True_ or 1


def _sewage(v: pd.DataFrame, towns: np.ndarray, targets: Mapping[str, Any]) -> dict[str, Any]:
    pop, hh = _num(v, "population"), _num(v, "households")
    town = v["township"].astype(str).to_numpy()
    lives = ~(pop <= 0)  # unknown population counts (its status is known)
    if "sewage_baseline_treated" not in v.columns:
        reason = "no sewage_status column: the baseline is not assessed"
        before = None
    else:
        reason, before = None, _flag(v, "sewage_baseline_treated") & lives
    mode = v["sewage_mode"].to_numpy(dtype=object) if "sewage_mode" in v.columns else np.full(len(v), None)
    planned = pd.notna(pd.Series(mode, dtype=object)).to_numpy(dtype=bool) & lives
    if before is not None:
        planned |= before
    zero = np.zeros(len(v))
    bases = {}
    for b, w in (("villages", lives.astype(float)), ("households", np.nan_to_num(hh) * lives),
                 ("population", np.nan_to_num(pop) * lives)):
        bases[b] = ((before * w) if before is not None else zero * np.nan, planned * w, w, town)
    e = _entry("sewage_treatment_rate", "villages", towns, bases, targets, reason)
    if before is None:
        e["baseline"] = None
        for blk in (*e["by_basis"].values(), *e["by_township"].values()):
            blk["baseline"] = None
    e["by_households"] = e["by_basis"]["households"]
    return e


def indicators(villages: pd.DataFrame, *, waste_baseline: np.ndarray | None, waste_planned: np.ndarray | None,
               farms: pd.DataFrame | None, scale_ceiling: float | None, facilities: pd.DataFrame | None,
               targets: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """The six indicators (summary block by id) and the township table (``indicators``).

    ``villages``: the plan's villages (``township population households`` and the
    analyses' columns); ``waste_baseline`` / ``waste_planned``: in the collection system
    today / after the plan, per village (None: no waste analysis); ``farms``: the checked
    farms (``pig_equivalents scale_farm`` and the baseline columns) or None;
    ``scale_ceiling``: the land balance's ceiling of the utilisation rate (None: not
    assessed); ``facilities``: the existing facilities table.
    """
    t = dict(defaults("targets"), **(targets or {}))
    v = villages
    town = v["township"].astype(str).to_numpy()
    towns = np.unique(town)
    out: dict[str, Any] = {"sewage_treatment_rate": _sewage(v, towns, t)}
    one = np.ones(len(v))
    if waste_baseline is not None and waste_planned is not None:
        pop, hh = np.nan_to_num(_num(v, "population")), np.nan_to_num(_num(v, "households"))
        wb, wp = waste_baseline.astype(float), (waste_planned | waste_baseline).astype(float)
        out["waste_system_coverage"] = _entry("waste_system_coverage", "villages", towns, {
            "villages": (wb, wp, one, town), "households": (wb * hh, wp * hh, hh, town),
            "population": (wb * pop, wp * pop, pop, town)}, t)
    else:
        out["waste_system_coverage"] = _entry("waste_system_coverage", "villages", towns, {}, t,
                                              "no waste analysis")
    out["sanitary_toilet_rate"] = _toilets(v, town, towns, t)
    out.update(_farms(farms, scale_ceiling, v, t))
    out["facility_operating_rate"] = _operating(facilities, towns, t)
    return out, township_table(out, towns)


def _toilets(v: pd.DataFrame, town: np.ndarray, towns: np.ndarray, t: Mapping[str, Any]) -> dict[str, Any]:
    toilets, hh, pop = _num(v, "sanitary_toilet_households"), _num(v, "households"), _num(v, "population")
    if "sanitary_toilet_households" not in v.columns:
        return _entry("sanitary_toilet_rate", "households", towns, {}, t, "no sanitary_toilet_households column")
    known = np.isfinite(toilets) & np.isfinite(hh) & (hh > 0)
    th = np.where(known, np.minimum(toilets, hh), 0.0)
    h = np.where(known, hh, 0.0)
    suggested = v["toilet_suggestion"].notna().to_numpy() if "toilet_suggestion" in v.columns else known
    after = np.where(suggested, h, th)
    share = np.divide(th, h, out=np.zeros_like(th), where=h > 0)
    p = np.where(known, np.nan_to_num(pop), 0.0)
    full = (known & (th >= h)).astype(float)
    return _entry("sanitary_toilet_rate", "households", towns, {
        "households": (th, after, h, town), "population": (share * p, np.where(suggested, p, share * p), p, town),
        "villages": (full, np.where(suggested & known, 1.0, full), known.astype(float), town)}, t)


def _farms(farms: pd.DataFrame | None, ceiling: float | None, v: pd.DataFrame,
           t: Mapping[str, Any]) -> dict[str, Any]:
    if farms is None or not len(farms):
        return {k: _entry(k, BASES[k], np.unique(v["township"].astype(str)), {}, t, "no livestock farms layer")
                for k in ("manure_utilization_rate", "manure_facility_rate")}
    town = farms["township"].astype(str).to_numpy() if "township" in farms.columns else np.full(len(farms), "")
    towns = np.unique(v["township"].astype(str))
    pe = _num(farms, "pig_equivalents")
    out: dict[str, Any] = {}
    if "utilization_rate" in farms.columns:
        rate = _num(farms, "utilization_rate")
        known = np.isfinite(rate) & np.isfinite(pe)
        w = np.where(known, pe, 0.0)
        e = _entry("manure_utilization_rate", "pig_equivalents", towns,
                   {"pig_equivalents": (np.where(known, rate, 0.0) * w, None, w, town)}, t)
        e["planned"], e["ceiling"] = None, ceiling
        e["not_assessed"] = "planned: geo_env plans no farm measures (the land balance's ceiling is given)"
        out["manure_utilization_rate"] = e
    else:
        out["manure_utilization_rate"] = _entry("manure_utilization_rate", "pig_equivalents", towns, {}, t,
                                                "no utilization_rate column")
    if "manure_facility" in farms.columns:
        scale = _flag(farms, "scale_farm")
        has = farms["manure_facility"].astype(object).isin([True, False]).to_numpy(dtype=bool)
        den = (scale & has).astype(float)
        yes = _flag(farms, "manure_facility") & scale
        e = _entry("manure_facility_rate", "farms", towns, {"farms": (yes.astype(float), den, den, town)}, t)
        e["farms_to_equip"] = farms.loc[scale & has & ~yes, "id"].astype(str).tolist()
        out["manure_facility_rate"] = e
    else:
        out["manure_facility_rate"] = _entry("manure_facility_rate", "farms", towns, {}, t,
                                             "no manure_facility column")
    return out


def _operating(fac: pd.DataFrame | None, towns: np.ndarray, t: Mapping[str, Any]) -> dict[str, Any]:
    if fac is None or not len(fac):
        return _entry("facility_operating_rate", "facilities", towns, {}, t, "no facilities")
    st = fac["status"].to_numpy(dtype=object)
    built = np.isin(st, ("running", "stopped")).astype(float)
    run = (st == "running").astype(float)
    return _entry("facility_operating_rate", "facilities", towns,
                  {"facilities": (run, built, built, fac["township"].astype(str).to_numpy())}, t)


def township_table(ind: Mapping[str, Any], towns: np.ndarray) -> pd.DataFrame:
    """One row per township then ``total``; ``<id>.baseline`` and ``<id>.planned`` columns."""
    rows = []
    for name in [*map(str, towns), "total"]:
        row: dict[str, Any] = {"township": name}
        for k in INDICATORS:
            e = ind[k]
            cell = e if name == "total" else e["by_township"].get(name, {})
            for when in ("baseline", "planned"):
                val = cell.get(when)
                row[f"{k}.{when}"] = np.nan if val is None else float(val)
        rows.append(row)
    return pd.DataFrame(rows)
