"""Step 5 of the waste chain: the proposed plan of transfer stations, capacity-aware.

The existing stations that take load (not ``stopped``) stay with their capacities
(unknown: unlimited, said in the plan).  The coverage siting's proposed sites are kept
and sized.  The villages go to stations by the transportation problem (each within the
service radius of its station, or to its nearest existing station; of those, its
:data:`ARCS_PER_VILLAGE` shortest links and the one to its nearest existing station).
Where that leaves a station over capacity, new sites are weighed: the anchors of the
villages sending to overloaded stations, taken in turn from each of them (heaviest
village first), the first in each half-radius grid cell (at most
:data:`~.waste_records.MAX_PLAN_CANDIDATES`), each
serving the villages within the service radius, with the module sizes of ``[waste]
station_module_capex_wan`` (:func:`~.station_sizing.size_stations`; HiGHS stops after
:data:`PLAN_TIME_LIMIT_S` and keeps its best answer, said by ``optimal``).

The plan puts no station over capacity unless no choice can avoid it; then it is
reported infeasible, naming the stations and villages and why.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._geometry import anchor_points
from ..io.project import District
from .coverage import layer_ids, points_xy
from .station_sizing import Sizing, size_stations
from .transport import sink_loads, transport
from .waste_links import Arcs, pairs_within
from .waste_records import MAX_PLAN_CANDIDATES, WasteChain, records

__all__ = ["plan_stations", "PLAN_COLUMNS", "ARCS_PER_VILLAGE", "PLAN_TIME_LIMIT_S"]

#: Arcs per village the plan weighs (its shortest; and the one to its nearest existing station).
ARCS_PER_VILLAGE = 5
#: Seconds HiGHS may take for the plan before it keeps its best answer (``optimal`` false).
PLAN_TIME_LIMIT_S = 30.0

#: Columns of the plan's station table.
PLAN_COLUMNS = ("id", "name", "township", "kind", "x", "y", "capacity_t_per_day", "module_t_per_day", "capex_wan",
                "plan_load_t_per_day", "plan_utilisation", "plan_overflow_t_per_day", "plan_villages_served")


def plan_stations(chain: WasteChain, district: District, gen: pd.DataFrame, arcs: Arcs,
                  proposed: gpd.GeoDataFrame | None,
                  time_limit_s: float | None) -> tuple[dict[str, Any], pd.DataFrame]:
    """The plan's summary block and its stations (:data:`PLAN_COLUMNS`)."""
    s = chain.settings
    st = chain.stations
    supply = gen["waste_t_per_day"].to_numpy(float)
    cap = st["capacity_t_per_day"].to_numpy(float)
    cap = np.where(~st["active"].to_numpy(bool), 0.0, np.where(np.isnan(cap), np.inf, cap))
    anchors = anchor_points(district.villages)
    fxy = points_xy(proposed, "proposed stations", district.crs) if proposed is not None else np.zeros((0, 2))
    fids = layer_ids(proposed) if proposed is not None else np.zeros(0, dtype=object)
    biggest = float(s.modules.capacity_t_per_day.max())
    # a first look: existing stations and the proposed sites at their largest module
    f_arcs = _candidate_arcs(district, fxy, anchors, s.metric, s.radius_m, len(st))
    all_arcs = _join(arcs, f_arcs)
    first = transport(supply, np.r_[cap, np.full(len(fxy), biggest)], all_arcs.src, all_arcs.snk,
                      all_arcs.distance_m / 1000.0)
    cxy = np.zeros((0, 2))
    cids = np.zeros(0, dtype=object)
    if first.overflow.sum() > 0:
        cxy, cids = _extra_candidates(district, all_arcs, first.flow, first.overflow, supply, anchors,
                                      MAX_PLAN_CANDIDATES, s.radius_m / 2.0)
    c_arcs = _candidate_arcs(district, cxy, anchors, s.metric, s.radius_m, len(st) + len(fxy))
    all_arcs = _sparse(_join(all_arcs, c_arcs), supply, len(st))
    n_cand = len(fxy) + len(cxy)
    cost = all_arcs.distance_m / 1000.0 * s.collection_cost_yuan_per_t_km * 365.0
    sizing = size_stations(supply, cap, n_cand, np.r_[np.ones(len(fxy), bool), np.zeros(len(cxy), bool)],
                           s.modules, all_arcs.src, all_arcs.snk, cost,
                           time_limit_s=PLAN_TIME_LIMIT_S if time_limit_s is None else time_limit_s)
    table = _plan_table(chain, sizing, all_arcs, np.r_[fxy, cxy].reshape(-1, 2), np.r_[fids, cids], len(fxy))
    return _plan_summary(chain, district, sizing, table, supply, all_arcs, n_cand), table


def _candidate_arcs(district: District, cxy: np.ndarray, anchors: np.ndarray, metric: str, radius_m: float,
                    offset: int) -> Arcs:
    """Arcs village → candidate within the service radius; candidates numbered from ``offset``."""
    if not len(cxy):
        z = np.zeros(0, np.int64)
        return Arcs(z, z, np.zeros(0))
    p, k, d = pairs_within(district, cxy, anchors, metric, radius_m)
    return Arcs(p, k + offset, d)


def _join(a: Arcs, b: Arcs) -> Arcs:
    return Arcs(np.r_[a.src, b.src].astype(np.int64), np.r_[a.snk, b.snk].astype(np.int64),
                np.r_[a.distance_m, b.distance_m])


def _sparse(arcs: Arcs, supply: np.ndarray, n_exist: int) -> Arcs:
    """The arcs the plan weighs: of the villages that make waste, the :data:`ARCS_PER_VILLAGE`
    shortest, and always the one to the village's nearest existing station (so that no
    village depends on a site that may stay closed)."""
    keep = supply[arcs.src] > 0
    src, snk, d = arcs.src[keep], arcs.snk[keep], arcs.distance_m[keep]
    o = np.lexsort((snk, d, src))
    src, snk, d = src[o], snk[o], d[o]
    start = np.r_[0, np.flatnonzero(src[1:] != src[:-1]) + 1] if len(src) else np.zeros(0, np.int64)
    rank = np.arange(len(src)) - np.repeat(start, np.diff(np.r_[start, len(src)]))
    existing = snk < n_exist
    first_existing = existing & ~_seen_before(src, existing)
    take = (rank < ARCS_PER_VILLAGE) | first_existing
    return Arcs(src[take], snk[take], d[take])


def _seen_before(src: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Per row (sorted by ``src``): whether an earlier row of the same ``src`` is flagged."""
    count = np.cumsum(flag) - flag
    start = np.r_[0, np.flatnonzero(src[1:] != src[:-1]) + 1] if len(src) else np.zeros(0, np.int64)
    base = np.repeat(count[start], np.diff(np.r_[start, len(src)]))
    return (count - base) > 0


def _extra_candidates(district: District, arcs: Arcs, flow: np.ndarray, overflow: np.ndarray,
                      supply: np.ndarray, anchors: np.ndarray, limit: int,
                      cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The anchors of the villages sending to overflowing stations: the one making most
    waste in each ``cell_m`` grid cell, at most ``limit``, taken in turn from each
    overflowing station (its heaviest village first), so that every one gets candidates."""
    into = (overflow[arcs.snk] > 0) & (flow > 0)
    v, k = arcs.src[into], arcs.snk[into]
    o = np.lexsort((-supply[v], k))
    v, k = v[o], k[o]
    start = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1] if len(k) else np.zeros(0, np.int64)
    turn = np.arange(len(v)) - np.repeat(start, np.diff(np.r_[start, len(v)]))
    villages = v[np.lexsort((-supply[v], turn))]
    villages = villages[np.sort(np.unique(villages, return_index=True)[1])]
    cell = np.floor(anchors[villages] / max(cell_m, 1.0)).astype(np.int64)
    _, first = np.unique(cell, axis=0, return_index=True)
    villages = np.sort(villages[np.sort(first)][:limit])
    return anchors[villages], layer_ids(district.villages)[villages]


def _plan_table(chain: WasteChain, sizing: Sizing, arcs: Arcs, cxy: np.ndarray, cids: np.ndarray,
                n_forced: int) -> pd.DataFrame:
    """Every station of the plan: the existing ones that take load, then the opened sites."""
    st = chain.stations
    n_exist = len(st)
    s = chain.settings
    load = sink_loads(sizing.flows.flow, arcs.snk, n_exist + len(cxy))
    served = np.bincount(arcs.snk[sizing.flows.flow > 0], minlength=n_exist + len(cxy))
    active = np.flatnonzero(st["active"].to_numpy(bool))
    opened = np.flatnonzero(sizing.module >= 0)
    ranks = opened[np.argsort(-load[n_exist + opened], kind="stable")]
    extra_ids = {int(k): f"N{r + 1}" for r, k in enumerate(ranks[ranks >= n_forced])} if len(ranks) else {}
    module = np.where(sizing.module >= 0, s.modules.capacity_t_per_day[np.maximum(sizing.module, 0)], np.nan)
    rows = pd.DataFrame({
        "id": np.r_[st["id"].to_numpy(dtype=object)[active],
                    [str(cids[k]) if k < n_forced else extra_ids[int(k)] for k in opened]],
        "name": np.r_[st["name"].to_numpy(dtype=object)[active], [None] * len(opened)],
        "township": np.r_[st["township"].to_numpy(dtype=object)[active], [None] * len(opened)],
        "kind": np.r_[["existing"] * len(active), ["coverage" if k < n_forced else "capacity" for k in opened]],
        "candidate_id": np.r_[[None] * len(active), [str(cids[k]) for k in opened]],
        "x": np.r_[st["x"].to_numpy(float)[active], cxy[opened, 0]],
        "y": np.r_[st["y"].to_numpy(float)[active], cxy[opened, 1]],
        "capacity_t_per_day": np.r_[st["capacity_t_per_day"].to_numpy(float)[active], module[opened]],
        "module_t_per_day": np.r_[np.full(len(active), np.nan), module[opened]],
        "capex_wan": np.r_[np.full(len(active), np.nan), [s.module_capex_wan[m] for m in module[opened]]],
        "plan_load_t_per_day": np.r_[load[active], load[n_exist + opened]],
        "plan_overflow_t_per_day": np.r_[sizing.flows.overflow[active], sizing.flows.overflow[n_exist + opened]],
        "plan_villages_served": np.r_[served[active], served[n_exist + opened]],
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        rows["plan_utilisation"] = rows["plan_load_t_per_day"] / rows["capacity_t_per_day"]
    return rows


def _plan_summary(chain: WasteChain, district: District, sizing: Sizing, table: pd.DataFrame,
                  supply: np.ndarray, arcs: Arcs, n_cand: int) -> dict[str, Any]:
    """The ``plan`` block: feasible or not (and why), the new stations, capex and cost."""
    zh = district.lang == "zh"
    over = table.loc[table["plan_overflow_t_per_day"] > 0]
    unserved = layer_ids(district.villages)[(supply > 0) & (sizing.flows.unserved > 0)]
    reason = unserved_reason = None
    if len(over):
        items = ", ".join(f"{r.id} (+{r.plan_overflow_t_per_day:.2f} t/d)" for r in over.itertuples())
        biggest = chain.settings.modules.capacity_t_per_day.max()
        reason = (f"转运站超负荷且无法消除：{items}——其服务村庄的服务半径内没有可新建站点，或负荷超过最大模块 {biggest:g} t/d"
                  if zh else f"stations over capacity that no choice removes: {items} — no candidate site within the "
                             f"service radius of their villages, or a load above the largest module ({biggest:g} t/d)")
    if len(unserved):
        shown = ", ".join(map(str, unserved[:10])) + (" …" if len(unserved) > 10 else "")
        unserved_reason = (f"{len(unserved)} 个村无道路通往任何转运站或候选站点，其垃圾无法收运：{shown}" if zh else
                           f"{len(unserved)} village(s) reach no station or candidate site, their waste is not "
                           f"collected: {shown}")
    unknown = table.loc[(table["kind"] == "existing") & table["capacity_t_per_day"].isna(), "id"]
    new = table.loc[table["kind"] != "existing"]
    return {
        "assignment": "capacity",
        "feasible": reason is None,
        "reason": reason,
        "new_stations": records(new, {"id": "text", "kind": "text", "candidate_id": "text",
                                      "module_t_per_day": "num", "capex_wan": "num",
                                      "plan_load_t_per_day": "num"}),
        "capex_wan": float(new["capex_wan"].sum()),
        "cost_yuan_per_year": sizing.cost_yuan_per_year,
        "stations_over_capacity": over["id"].astype(str).tolist(),
        "unserved_villages": [str(i) for i in unserved],
        "unserved_reason": unserved_reason,
        "capacity_unknown_stations": unknown.astype(str).tolist(),
        "candidates": int(n_cand),
        "optimal": sizing.optimal,
        "model": sizing.model,
        "stations": records(table, {"id": "text", "kind": "text", "plan_load_t_per_day": "num",
                                    "capacity_t_per_day": "num", "plan_utilisation": "num"}),
    }
