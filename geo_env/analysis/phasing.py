"""The phased sewage programme (近远期分期实施): which villages each phase treats within its
budget, in priority order, and the treatment rate after each phase (:func:`phase_plan`).

Priority (``priority``, 0–1)
    Σ wₖ fₖ ÷ Σ wₖ over the factors (``[phasing] weights``): ``protection_zone`` (the settled
    area in or touching a drinking-water source protection zone: 1), ``black_odorous``
    (within ``black_odorous_distance_m`` of a water feature marked ``black_odorous``: 1),
    ``key_village`` (the villages column ``key_village`` true: 1), ``population`` (÷ the
    largest), ``cost_per_person`` (1 − capex per resident ÷ the largest).

What is scheduled
    Every village whose chosen works need new money (capex or O&M): a cluster's villages go
    together (one item), every other village is one item.  Villages kept as they are
    (``existing`` at no cost) count as treated from the start.

The choice (``scipy.optimize.milp``, HiGHS)
    x[g, p] = 1 when item g is built in phase p; each item at most once; the capex of a
    phase's items within its ``budget_wan``; the O&M of everything built by the end of a
    phase within its ``om_ceiling_wan_per_year`` where given.  Objective ``indicator``:
    lexicographically, the villages treated by the end of phase 1, then of phase 2 … (one
    solve per phase, each fixing the optimum of the ones before), then the priority-weighted
    count built earliest.  Objective ``priority``: the same with each village weighted by
    its population × (1 + priority).  So raising a phase's budget never lowers the
    treatment rate after that phase (its level only gains room; the levels before it are
    unchanged) — tested, with the optimum checked against brute force on small cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from ..io.status import YES_WORDS

__all__ = ["PhasePlan", "phase_plan", "priority_scores", "schedule", "flag_cells"]

#: Words that mark a key or demonstration village (besides yes words).
_KEY_WORDS = ("重点", "示范")


@dataclass
class PhasePlan:
    """The programme: ``phase`` (name or None) and ``priority`` per village, the per-phase
    table by township (``phases``), and the ``phases`` list of summary.json."""

    phase: pd.Series
    priority: pd.Series
    table: pd.DataFrame
    summary: list[dict[str, Any]]
    optimal: bool


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as floats (NaN where blank; all NaN without the column)."""
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)


def flag_cells(values: pd.Series, words: tuple[str, ...] = ()) -> np.ndarray:
    """True cells, and yes words (:data:`geo_env.io.status.YES_WORDS`) or ``words``."""
    text = values.astype("string").str.strip().str.lower().fillna("")
    return (values.astype(object).isin([True]).to_numpy(dtype=bool)
            | text.isin((*YES_WORDS, *words)).to_numpy(dtype=bool))


def priority_scores(villages: pd.DataFrame, protected: np.ndarray, black_odorous: np.ndarray,
                    weights: Mapping[str, float]) -> np.ndarray:
    """Each village's priority 0–1 (see the module docstring)."""
    pop = np.nan_to_num(_col(villages, "population"))
    capex = np.nan_to_num(_col(villages, "capex_wan"))
    per = np.divide(capex, pop, out=np.zeros_like(capex), where=pop > 0)
    key = flag_cells(villages["key_village"], _KEY_WORDS) if "key_village" in villages.columns else np.zeros(len(villages), bool)
    factors = {
        "protection_zone": protected.astype(float), "black_odorous": black_odorous.astype(float),
        "key_village": key.astype(float), "population": pop / pop.max() if pop.max() > 0 else pop,
        "cost_per_person": 1.0 - per / per.max() if per.max() > 0 else np.ones(len(per)),
    }
    total = sum(float(w) for w in weights.values())
    if total <= 0:
        return np.zeros(len(villages))
    return np.sum([float(weights.get(k, 0.0)) * f for k, f in factors.items()], axis=0) / total


def schedule(count: np.ndarray, value: np.ndarray, capex: np.ndarray, om: np.ndarray,
             budgets: list[float], ceilings: list[float | None], *, objective: str = "indicator",
             time_limit: float = 60.0) -> tuple[np.ndarray, bool]:
    """Phase index (−1: none) of each item by the lexicographic MILP of the module docstring.

    ``count``: villages of each item; ``value``: its priority-weighted worth; ``capex``,
    ``om``: its money (万元, 万元/年).  Returns the phases and whether every solve was optimal.
    """
    g, n_p = len(count), len(budgets)
    if g == 0 or n_p == 0:
        return np.full(g, -1), True
    nv = g * n_p  # x[i, p] at i * n_p + p
    rows, cons = [], []
    once = csr_array((np.ones(nv), (np.repeat(np.arange(g), n_p), np.arange(nv))), shape=(g, nv))
    cons.append(LinearConstraint(once, -np.inf, 1.0))
    for p in range(n_p):
        cols = np.arange(g) * n_p + p
        rows.append(csr_array((capex, (np.zeros(g, dtype=int), cols)), shape=(1, nv)))
        cons.append(LinearConstraint(rows[-1], -np.inf, budgets[p] + 1e-9))
        ceiling = ceilings[p]
        if ceiling is not None:
            upto = (np.arange(g)[:, None] * n_p + np.arange(p + 1)[None, :]).ravel()
            a = csr_array((np.repeat(om, p + 1), (np.zeros(len(upto), dtype=int), upto)), shape=(1, nv))
            cons.append(LinearConstraint(a, -np.inf, float(ceiling) + 1e-9))
    worth = count.astype(float) if objective == "indicator" else value.astype(float)
    optimal = True
    x = np.zeros(nv)
    for p in range(n_p + 1):
        if p < n_p:  # worth built by the end of phase p
            c = np.zeros(nv)
            for q in range(p + 1):
                c[np.arange(g) * n_p + q] = worth
        else:  # ties: the priority-weighted worth, the earlier the better
            c = (value[:, None] * (n_p - np.arange(n_p))[None, :].astype(float)).ravel()
        res = milp(-c, constraints=cons, integrality=np.ones(nv), bounds=Bounds(0, 1),
                   options={"time_limit": time_limit, "mip_rel_gap": 0.0})
        if res.x is None:
            break
        optimal &= res.status == 0
        x = np.round(res.x)
        if p < n_p:  # later levels keep this optimum
            cons.append(LinearConstraint(csr_array(c[None, :]), float(c @ x) - 1e-6, np.inf))
    sel = x.reshape(g, n_p)
    phase = np.where(sel.any(axis=1), sel.argmax(axis=1), -1)
    return phase, bool(optimal)


def phase_plan(villages: pd.DataFrame, protected: np.ndarray, black_odorous: np.ndarray,
               settings: Mapping[str, Any]) -> PhasePlan | None:
    """The programme for the plan's villages (sewage columns present); None without phases."""
    phases = list(settings.get("phases") or [])
    if not phases:
        return None
    v = villages
    n = len(v)
    prio = priority_scores(v, protected, black_odorous, settings.get("weights") or {})
    capex = np.nan_to_num(_col(v, "capex_wan"))
    om = np.nan_to_num(_col(v, "om_wan_per_year"))
    mode = v["sewage_mode"].to_numpy(dtype=object)
    needs = pd.notna(pd.Series(mode)).to_numpy() & ((capex > 0) | (om > 0))
    cluster = v["sewage_cluster_id"].astype(object).where(v["sewage_cluster_id"].notna(), None) \
        if "sewage_cluster_id" in v.columns else pd.Series(None, index=v.index, dtype=object)
    key = np.where(pd.notna(cluster.to_numpy()), cluster.astype(str).to_numpy(),
                   "v" + np.arange(n).astype(str)).astype(object)
    item = pd.Series(key[needs]).astype("category")
    codes = item.cat.codes.to_numpy()
    pop = np.nan_to_num(_col(v, "population"))
    k = len(item.cat.categories)
    count = np.bincount(codes, minlength=k).astype(float)
    value = np.bincount(codes, weights=(pop * (1.0 + prio))[needs] if settings.get("objective") == "priority"
                        else (1.0 + prio)[needs], minlength=k)
    at, optimal = schedule(count, value, np.bincount(codes, weights=capex[needs], minlength=k),
                           np.bincount(codes, weights=om[needs], minlength=k),
                           [float(p["budget_wan"]) for p in phases],
                           [p.get("om_ceiling_wan_per_year") for p in phases],
                           objective=str(settings.get("objective", "indicator")))
    phase_idx = np.full(n, -1)
    phase_idx[needs] = at[codes]
    names = np.array([p["name"] for p in phases], dtype=object)
    phase = pd.Series(np.where(phase_idx >= 0, names[np.maximum(phase_idx, 0)], None), index=v.index,
                      dtype=object)
    table, summary = _trajectory(v, phase_idx, phases, capex, om)
    return PhasePlan(phase, pd.Series(prio, index=v.index), table, summary, optimal)


def _trajectory(v: pd.DataFrame, phase_idx: np.ndarray, phases: list[dict[str, Any]], capex: np.ndarray,
                om: np.ndarray) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Per phase and township: villages treated in it, capex, O&M, the treatment rate after."""
    pop = _col(v, "population")
    lives = ~(pop <= 0)
    base = (v["sewage_baseline_treated"].fillna(False).to_numpy(bool) if "sewage_baseline_treated" in v.columns
            else np.zeros(len(v), bool)) | (v["sewage_mode"].to_numpy(dtype=object) == "existing")
    town = v["township"].astype(str).to_numpy()
    rows, summary = [], []
    for p, ph in enumerate(phases):
        built = (phase_idx == p)
        done = (base | ((phase_idx >= 0) & (phase_idx <= p))) & lives
        frame = pd.DataFrame({"township": town, "villages_count": built.astype(int), "capex_wan": capex * built,
                              "om_wan_per_year": om * built, "treated": done.astype(int), "n": lives.astype(int)})
        g = frame.groupby("township", sort=True).sum()
        g.loc["total"] = g.sum()
        g["treatment_rate_after"] = g["treated"] / g["n"].where(g["n"] > 0)
        g.insert(0, "phase", ph["name"])
        rows.append(g.reset_index())
        tot = g.loc["total"]
        summary.append({"name": ph["name"], "end_year": ph["end_year"], "budget_wan": ph["budget_wan"],
                        "capex_wan": round(float(tot["capex_wan"]), 2),
                        "om_wan_per_year": round(float(tot["om_wan_per_year"]), 2),
                        "villages": v.loc[built, "id"].astype(str).tolist() if "id" in v.columns else [],
                        "indicators": {"sewage_treatment_rate": {
                            "district": float(tot["treatment_rate_after"]),
                            "by_township": {t: float(r) for t, r in g["treatment_rate_after"].drop("total").items()}}}})
    table = pd.concat(rows, ignore_index=True)[["phase", "township", "villages_count", "capex_wan", "om_wan_per_year",
                                                "treatment_rate_after"]]
    return table, summary
