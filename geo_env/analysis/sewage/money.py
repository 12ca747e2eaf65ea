"""Step 10 of the sewage analysis (with :mod:`.tables`): the money of the chosen works split
into construction (总投资, capex) and yearly operation (年运行维护费, O&M) (:class:`Money`).

Every yearly cost of :mod:`.costs` is capital × capital recovery factor + operation; this
step takes the chosen mode's works apart into those two, by item:

==================  ==========================================  ==================================
item                capex (yuan)                                O&M (yuan/year)
==================  ==========================================  ==================================
``pipes``           village lanes and house connections, the    ``pipe_om_share`` × capex
                    trunk, connecting and linking sewers
``pumps``           ``pump_station_capex_yuan`` each            ``pump_station_om_yuan_per_year``
``stations``        :func:`.costs.station_capital` of the flow  flow × 365 × ``station_opex_yuan_per_m3``
                    (both × the effluent grade's factor)
``households``      ``household_capex_yuan`` per household      ``household_om_yuan_per_year``
                    (less ``septic_tank_capex_yuan`` per tank)
``plant``           — (the town plant exists)                   flow × 365 × ``plant_opex_yuan_per_m3``
``rectify``         ``rectify_capex_share`` × station capital   station (or plant) operation
==================  ==========================================  ==================================

Kept existing works cost nothing new.  A cluster's works are shared among its villages in
proportion to their stand-alone costs, as its yearly cost is.  The annualised figure
(``annualised_yuan_per_year``: Σ capex × the item's recovery factor + O&M; ``discount_rate``,
``pipe_life_years``, ``station_life_years``, ``pump_life_years``, ``household_life_years``)
equals the chosen mode's yearly cost (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._arrays import Floats
from .capacity import Assignment
from .clusters import Clusters
from .connect import Connections
from .costs import capital_recovery_factor, pipe_factor, station_capital, station_opex
from .demand import Demand
from .effluent import Receiving
from .existing import Existing
from .modes import Decision
from .options import LocalCosts
from .params import Params

__all__ = ["ITEMS", "ITEM_PARAMETERS", "Money", "village_money", "investment_table", "investment_summary"]

#: The items of the investment estimate (投资估算), in table order.
ITEMS = ("pipes", "pumps", "stations", "households", "plant", "rectify")


@dataclass(frozen=True)
class Money:
    """Per village and item: capex (yuan) and O&M (yuan/year) of its chosen works."""

    capex: dict[str, Floats]
    om: dict[str, Floats]
    annualised: Floats

    @property
    def capex_total(self) -> Floats:
        return np.sum([self.capex[k] for k in ITEMS], axis=0)

    @property
    def om_total(self) -> Floats:
        return np.sum([self.om[k] for k in ITEMS], axis=0)


def _crfs(prm: Params) -> dict[str, float]:
    r = prm["discount_rate"]
    return {"pipes": capital_recovery_factor(r, prm["pipe_life_years"]),
            "pumps": capital_recovery_factor(r, prm["pump_life_years"]),
            "stations": capital_recovery_factor(r, prm["station_life_years"]),
            "rectify": capital_recovery_factor(r, prm["station_life_years"]),
            "households": capital_recovery_factor(r, prm["household_life_years"]), "plant": 0.0}


def village_money(demand: Demand, local: LocalCosts, conn: Connections, assignment: Assignment,
                  clusters: Clusters, decision: Decision, ex: Existing, full: Demand, tanks: Floats | None,
                  prm: Params, rx: Receiving) -> Money:
    """Capex and O&M of every village's chosen works (see the module docstring); stations
    priced by their effluent grade (``rx``)."""
    n = len(demand.xy)
    cap = {k: np.zeros(n) for k in ITEMS}
    om = {k: np.zeros(n) for k in ITEMS}
    pf = pipe_factor(prm)
    mode = decision.mode
    q = demand.flow_m3_per_day
    pump_year = (prm["pump_station_capex_yuan"] * capital_recovery_factor(prm["discount_rate"], prm["pump_life_years"])
                 + prm["pump_station_om_yuan_per_year"])

    def pipes(at: np.ndarray, capex: Floats) -> None:
        cap["pipes"][at] += capex
        om["pipes"][at] += capex * prm["pipe_om_share"]

    def sewer(at: np.ndarray, yearly: Floats, pumps: np.ndarray) -> None:
        """A sewer of the given yearly cost and lift stations, taken apart."""
        pipes(at, (yearly - pumps * pump_year) / pf)
        cap["pumps"][at] += pumps * prm["pump_station_capex_yuan"]
        om["pumps"][at] += pumps * prm["pump_station_om_yuan_per_year"]

    # household systems
    h = np.flatnonzero(mode == "household")
    hh = demand.households[h]
    have = np.zeros(len(h)) if tanks is None else np.minimum(np.nan_to_num(tanks[h], nan=0.0), hh)
    cap["households"][h] = hh * prm["household_capex_yuan"] - have * min(prm["septic_tank_capex_yuan"],
                                                                          prm["household_capex_yuan"])
    om["households"][h] = hh * prm["household_om_yuan_per_year"]
    # village stations: one with the trunk, or one per settlement cluster
    c = np.flatnonzero(mode == "centralized")
    k = local.village_stations[c].astype(float)
    pipes(c, np.where(k > 1, local.network[c], local.internal[c]) / pf)
    f = rx.factor(c, q[c] / k)
    cap["stations"][c] = k * station_capital(q[c] / k, prm, f)
    om["stations"][c] = station_opex(q[c], prm, f)
    # connections: the village's own network and trunk, the sewer, the plant's operation
    j = np.flatnonzero(mode == "connect")
    pair = assignment.pair[j]
    pipes(j, local.internal[j] / pf)
    sewer(j, conn.sewers.cost[pair], conn.sewers.pumps[pair])
    om["plant"][j] = q[j] * 365.0 * prm["plant_opex_yuan_per_m3"]
    _clusters(clusters, local, demand, prm, rx, cap, om)
    # repaired works: a share of a station's capital, and its operation
    r = np.flatnonzero((mode == "existing") & ex.repaired)
    qr = full.flow_m3_per_day[r]
    cap["rectify"][r] = prm["rectify_capex_share"] * station_capital(qr, prm)
    om["rectify"][r] = ex.repair_cost[r] - cap["rectify"][r] * capital_recovery_factor(
        prm["discount_rate"], prm["station_life_years"])
    crf = _crfs(prm)
    annualised = np.sum([cap[k] * crf[k] + om[k] for k in ITEMS], axis=0)
    return Money(cap, om, annualised)


def _clusters(clusters: Clusters, local: LocalCosts, demand: Demand, prm: Params, rx: Receiving,
              cap: dict[str, Floats], om: dict[str, Floats]) -> None:
    """Each cluster's networks, links and station, shared in proportion to stand-alone cost."""
    pf = pipe_factor(prm)
    pump_year = (prm["pump_station_capex_yuan"] * capital_recovery_factor(prm["discount_rate"], prm["pump_life_years"])
                 + prm["pump_station_om_yuan_per_year"])
    for members, stn in zip(clusters.members, clusters.stations):
        share = local.alone[members] / local.alone[members].sum()
        others = members[members != stn]
        at, _ = clusters.links.find(others, np.full(len(others), stn))
        link_pumps = clusters.links.pumps[at].astype(float)
        link_pipe = ((clusters.links.cost[at] - link_pumps * pump_year) / pf).sum()
        total_pipe = local.internal[members].sum() / pf + link_pipe
        qc = demand.flow_m3_per_day[members].sum()
        cap["pipes"][members] += share * total_pipe
        om["pipes"][members] += share * total_pipe * prm["pipe_om_share"]
        cap["pumps"][members] += share * link_pumps.sum() * prm["pump_station_capex_yuan"]
        om["pumps"][members] += share * link_pumps.sum() * prm["pump_station_om_yuan_per_year"]
        f = float(rx.factor(np.array([stn]), qc)[0])
        cap["stations"][members] += share * float(station_capital(qc, prm, f))
        om["stations"][members] += share * float(station_opex(qc, prm, f))


def investment_table(money: Money, township: np.ndarray, mode: np.ndarray) -> pd.DataFrame:
    """投资估算 by township: capex per item and in total (万元), O&M (万元/年), with a total row."""
    df = pd.DataFrame({f"capex_{k}_wan": money.capex[k] / 1e4 for k in ITEMS})
    df["capex_wan"] = money.capex_total / 1e4
    df["om_wan_per_year"] = money.om_total / 1e4
    df["villages_with_new_works"] = ((money.capex_total > 0) | (money.om_total > 0)).astype(int)
    df["township"] = township
    out = df.groupby("township", sort=True).sum()
    out.loc["total"] = out.sum()
    out.index.name = "township"
    return out.reset_index()


#: The parameters that price each item (their values and sources are in geo_env.standards).
ITEM_PARAMETERS = {
    "pipes": ("internal_pipe_cost_yuan_per_m", "house_connection_yuan", "sewer_cost_yuan_per_m",
              "sewer_depth_cost_yuan_per_m_per_m", "pipe_om_share"),
    "pumps": ("pump_station_capex_yuan", "pump_station_om_yuan_per_year"),
    "stations": ("station_capex_yuan_per_m3_day", "station_reference_m3_per_day", "station_scale_exponent",
                 "station_opex_yuan_per_m3"),
    "households": ("household_capex_yuan", "septic_tank_capex_yuan", "household_om_yuan_per_year"),
    "plant": ("plant_opex_yuan_per_m3",),
    "rectify": ("rectify_capex_share",),
}


def investment_summary(table: pd.DataFrame, prm: Params) -> dict[str, object]:
    """The ``investment`` block of summary.json: totals, by item, by township, and how the
    annualised figure is derived."""
    total = table.set_index("township").loc["total"]
    towns = table[table["township"] != "total"]
    return {
        "capex_wan": round(float(total["capex_wan"]), 2),
        "om_wan_per_year": round(float(total["om_wan_per_year"]), 2),
        "by_item": {k: round(float(total[f"capex_{k}_wan"]), 2) for k in ITEMS},
        "by_township": {str(r.township): {"capex_wan": round(float(r.capex_wan), 2),
                                          "om_wan_per_year": round(float(r.om_wan_per_year), 2)}
                        for r in towns.itertuples()},
        "item_parameters": {k: list(v) for k, v in ITEM_PARAMETERS.items()},
        "annualised": {"discount_rate": prm["discount_rate"], "pipe_life_years": prm["pipe_life_years"],
                       "station_life_years": prm["station_life_years"], "pump_life_years": prm["pump_life_years"],
                       "household_life_years": prm["household_life_years"]},
    }
