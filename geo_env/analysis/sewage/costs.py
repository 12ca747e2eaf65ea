"""Unit costs of the sewage works, in yuan per year (used by every costing step).

Costs (yuan/year)
    capital × capital recovery factor ``r(1+r)^n/((1+r)^n − 1)`` (``discount_rate`` r,
    lifetime n years) + operation.  Sewer: length × (unit cost × diameter/0.3 m + depth
    cost × mean trench depth); diameter: the smallest of 0.3–1.0 m that carries the peak
    flow half full at the minimum slope (Manning; :mod:`.sewers`).  Village network: lanes
    × lane pipe cost + trunk × sewer cost, both × (1 + slope factor × mean slope %), +
    house connections (:mod:`.options`).  Station: ``station_capex_yuan_per_m3_day`` × Q_ref
    × (Q / Q_ref)^exponent + opex per m³, both × the effluent grade's cost factor.  Household systems: per household capital + upkeep.
"""

from __future__ import annotations

import numpy as np

from ._arrays import Floats, Ints
from .params import Params

__all__ = ["capital_recovery_factor", "pipe_factor", "station_capital", "station_opex", "station_cost", "sewer_cost",
           "household_cost"]


def capital_recovery_factor(rate: float, years: float) -> float:
    """Capital recovery factor r(1+r)^n / ((1+r)^n − 1) (1/year); 1/n when r = 0."""
    if rate == 0:
        return 1.0 / years
    g = (1.0 + rate) ** years
    return rate * g / (g - 1.0)


def pipe_factor(prm: Params) -> float:
    """Yearly cost (1/year) of one yuan of pipe capital: recovery over the pipe life + upkeep."""
    return capital_recovery_factor(prm["discount_rate"], prm["pipe_life_years"]) + prm["pipe_om_share"]


def station_capital(q_m3_per_day: Floats | float, prm: Params, factor: Floats | float = 1.0) -> Floats:
    """Capital (yuan) of a treatment station for ``q_m3_per_day`` (m³/d), × the cost
    ``factor`` of its effluent grade (:mod:`.effluent`; 1: the unit costs' 一级B)."""
    q = np.asarray(q_m3_per_day, dtype=float)
    qref = prm["station_reference_m3_per_day"]
    return factor * prm["station_capex_yuan_per_m3_day"] * qref * (q / qref) ** prm["station_scale_exponent"]


def station_opex(q_m3_per_day: Floats | float, prm: Params, factor: Floats | float = 1.0) -> Floats:
    """Operation (yuan/year) of a treatment station for ``q_m3_per_day`` (m³/d), × ``factor``."""
    return factor * np.asarray(q_m3_per_day, dtype=float) * 365.0 * prm["station_opex_yuan_per_m3"]


def station_cost(q_m3_per_day: Floats | float, prm: Params, factor: Floats | float = 1.0) -> Floats:
    """Yearly cost (yuan/year) of treatment stations for ``q_m3_per_day`` (m³/d) each, ×
    the cost ``factor`` of their effluent grade (∞: no outfall allowed)."""
    q = np.asarray(q_m3_per_day, dtype=float)
    crf_station = capital_recovery_factor(prm["discount_rate"], prm["station_life_years"])
    with np.errstate(invalid="ignore"):  # ∞ × 0 for a station of no flow
        return station_capital(q, prm, factor) * crf_station + station_opex(q, prm, factor)


def sewer_cost(length_m: Floats, diameter_m: Floats, depth_m: Floats, pumps: Ints, prm: Params) -> Floats:
    """Yearly cost (yuan/year) of sewers of the given length (m), diameter (m) and mean
    trench depth (m), with their lift stations (count)."""
    capex = length_m * (prm["sewer_cost_yuan_per_m"] * diameter_m / 0.3
                        + prm["sewer_depth_cost_yuan_per_m_per_m"] * depth_m)
    crf_pump = capital_recovery_factor(prm["discount_rate"], prm["pump_life_years"])
    return (capex * pipe_factor(prm)
            + pumps * (prm["pump_station_capex_yuan"] * crf_pump + prm["pump_station_om_yuan_per_year"]))


def household_cost(households: Floats, prm: Params, tanks: Floats | None = None) -> Floats:
    """Yearly cost (yuan/year) of household systems for ``households`` households, of
    which ``tanks`` already have a three-compartment tank (a sanitary toilet): those need
    ``septic_tank_capex_yuan`` less capital each (never below 0)."""
    crf_house = capital_recovery_factor(prm["discount_rate"], prm["household_life_years"])
    capital = households * prm["household_capex_yuan"]
    if tanks is not None:
        have = np.minimum(np.nan_to_num(np.asarray(tanks, dtype=float), nan=0.0), households)
        capital = capital - have * min(prm["septic_tank_capex_yuan"], prm["household_capex_yuan"])
    return capital * crf_house + households * prm["household_om_yuan_per_year"]
