"""Existing works (现状): which villages keep what treats them today (:func:`kept_villages`)
and how their rows read after the decision (:func:`with_existing`).

* A village treated today by a running facility (:mod:`geo_env.analysis.baseline`) keeps
  it: mode ``existing``, no new cost, its sewage takes no plant capacity and joins no
  cluster — unless ``[sewage] replan_existing = true``.
* A village tied to a stopped facility is flagged ``rectify`` (整改).  Repairing costs
  ``rectify_capex_share`` × the capital of a station for its flow (a town plant's share
  for a connected village), recovered over the station life, plus a year's operation
  (``station_opex_yuan_per_m3``, or ``plant_opex_yuan_per_m3`` when connected).  When
  that is no dearer than the village's cheapest works of its own (village station or
  household systems) it is repaired (mode ``existing`` at that cost), else the village is
  planned anew like any untreated one (the flag stays, the reason says why).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..baseline import Baseline
from ._arrays import Bools, Floats
from .costs import capital_recovery_factor, station_capital
from .demand import Demand
from .modes import Decision, toilet_of_modes
from .options import LocalCosts
from .params import Params

__all__ = ["Existing", "kept_villages", "planning_demand", "with_existing", "existing_reasons"]


@dataclass(frozen=True)
class Existing:
    """Per village: kept as ``existing`` (running works, or repaired ones), the repair's
    yearly cost (NaN: nothing to repair) and whether repair was chosen."""

    keep: Bools
    repair_cost: Floats
    repaired: Bools
    replanned: bool = False


def kept_villages(bl: Baseline, demand: Demand, local: LocalCosts, prm: Params) -> Existing:
    """Which villages keep their works (see the module docstring)."""
    q = demand.flow_m3_per_day
    crf = capital_recovery_factor(prm["discount_rate"], prm["station_life_years"])
    opex = np.where(bl.status == "connected", prm["plant_opex_yuan_per_m3"], prm["station_opex_yuan_per_m3"])
    repair = np.where(bl.rectify, prm["rectify_capex_share"] * station_capital(q, prm) * crf + q * 365.0 * opex,
                      np.nan)
    if prm["replan_existing"]:
        none = np.zeros(len(q), dtype=bool)
        return Existing(none, repair, none, replanned=True)
    repaired = bl.rectify & ~(repair > local.alone)  # NaN alone (no residents): repair
    return Existing(keep=bl.treated | repaired, repair_cost=repair, repaired=repaired)


def planning_demand(demand: Demand, ex: Existing) -> Demand:
    """The demand the new works are planned for: kept villages' sewage is treated already."""
    if not ex.keep.any():
        return demand
    return replace(demand, flow_m3_per_day=np.where(ex.keep, 0.0, demand.flow_m3_per_day))


def with_existing(decision: Decision, bl: Baseline, ex: Existing, demand: Demand, prm: Params) -> Decision:
    """The decision with kept villages as ``existing`` (their facility as plant id when
    connected today, their toilet suggestion from how they are treated)."""
    if not ex.keep.any():
        return decision
    keep = ex.keep & ~demand.unknown
    mode = decision.mode.copy()
    mode[keep] = "existing"
    plant_id = decision.plant_id.copy()
    plant_id[keep] = np.where(bl.status[keep] == "connected", bl.facility_id[keep], np.array(None, dtype=object))
    as_mode = np.where(bl.status == "household", "household", "connect")
    toilet = decision.toilet.copy()
    toilet[keep] = toilet_of_modes(as_mode, demand, prm)[keep]
    zero = np.where(keep, 0.0, decision.pipe_length_m)
    return replace(decision, mode=mode, plant_id=plant_id, toilet=toilet, pipe_length_m=zero,
                   pump_stations=np.where(keep, 0, decision.pump_stations))


def existing_reasons(reasons: list[str], bl: Baseline, ex: Existing, decision: Decision, lang: str) -> list[str]:
    """The reason sentences, with those of kept and rectified villages rewritten."""
    zh = lang == "zh"
    out = list(reasons)
    for i in np.flatnonzero(ex.keep | bl.rectify):
        fac = bl.facility_id[i]
        where = (f"（{fac}）" if zh else f" ({fac})") if fac is not None else ""
        rep = ex.repair_cost[i] / 1e4
        if decision.mode[i] is None:
            continue
        if ex.replanned:
            out[i] = ((f"现状设施{where}停运，需整改；" if zh else f"Its works{where} are stopped (to rectify); ")
                      + out[i]) if bl.rectify[i] else out[i]
        elif ex.keep[i] and not bl.rectify[i]:
            out[i] = (f"现状已治理{where}，设施正常运行，保留现状，不新增投资。" if zh else
                      f"Treated today{where} by works in operation: kept, no new investment.")
        elif ex.repaired[i]:
            out[i] = (f"现状设施{where}停运，需整改：修复年费用约 {rep:,.1f} 万元，不高于新建，建议修复后恢复运行。"
                      if zh else f"Its works{where} are stopped and must be rectified: repair costs about "
                      f"{rep:,.1f} × 10⁴ yuan/year, no more than new works, so they are repaired.")
        elif bl.rectify[i]:
            out[i] = (f"现状设施{where}停运，需整改：修复年费用约 {rep:,.1f} 万元，高于新建，改为新建。" + out[i]
                      if zh else f"Its works{where} are stopped: repair (about {rep:,.1f} × 10⁴ yuan/year) "
                      f"costs more than new works, which are planned instead. " + out[i])
    return out
