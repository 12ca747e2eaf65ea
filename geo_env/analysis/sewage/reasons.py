"""Step 9 of the sewage analysis: one sentence per village, in the district's language, with
the numbers that decided its mode.

A village that connects says which plant, how long the sewer is, whether it needs lift
stations, and whether it connects because villages near a plant connect first (the
*Priority rule* of :mod:`.connect`) or because connecting is cheaper.  Any other village
first says why it does not connect (no plant, beyond reach, no room, the room went to
others, above the priority premium cap, or dearer), quoting one of its own (village,
plant) pairs, then why it has its own mode (shared station, village station(s) or
household systems).  A village without residents, or of unknown population, says so; a
relocating village (搬迁撤并) that it builds no fixed works; a suburban one (城郊融合) that
connects that it prefers connection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._choices import SEWAGE_MODES as MODES
from ...labels import label as _label
from ._arrays import Ints, Objects
from .capacity import Assignment
from .connect import Connections, pick
from .demand import Demand, Settlements
from .modes import Decision
from .options import LocalCosts
from .params import Params
from .plants import Plants
from .terrain import Terrain

__all__ = ["village_reasons", "with_effluent"]


@dataclass(frozen=True)
class _Quoted:
    """Per village, the (village, plant) pair each reason quotes (index into the pairs; −1: none)."""

    nearest: Ints  # the nearest plant in a straight line, among the village's pairs
    roomiest: Ints  # the most spare capacity among the pairs within reach (then the shortest)
    cheapest: Ints  # the cheapest feasible pair
    best_eligible: Ints  # the eligible pair it would take: priority first, then saving

    @classmethod
    def of(cls, demand: Demand, plants: Plants, conn: Connections) -> _Quoted:
        n, pv, pp = len(demand.xy), conn.pairs.village, conn.pairs.plant
        return cls(
            nearest=pick(n, pv, np.ones(len(pv), dtype=bool), np.hypot(*(demand.xy[pv] - plants.xy[pp]).T)),
            roomiest=pick(n, pv, conn.within, -plants.spare_m3_per_day[pp], conn.sewers.length_m),
            cheapest=pick(n, pv, conn.feasible, conn.cost),
            best_eligible=pick(n, pv, conn.eligible, ~conn.priority, -conn.saving))


@dataclass(frozen=True)
class _Evidence:
    """The records of the steps the reasons quote, and how to word them."""

    demand: Demand
    st: Settlements
    terrain: Terrain
    local: LocalCosts
    plants: Plants
    conn: Connections
    assignment: Assignment
    decision: Decision
    quoted: _Quoted
    prm: Params
    zh: bool
    name: dict[str, str]  # how each mode is named as the alternative

    def plant(self, j: int) -> str:
        """The label of plant ``j`` in the reasons' language."""
        return self.plants.labels[j][0 if self.zh else 1]

    def pair(self, pair: int) -> tuple[str, float, float]:
        """A pair's plant label, sewer length (km) and the plant's spare capacity (m³/d)."""
        pj = self.conn.pairs.plant[pair]
        return self.plant(pj), self.conn.sewers.length_m[pair] / 1000.0, self.plants.spare_m3_per_day[pj]

    def alternative(self, i: int) -> str:
        """The village's cheaper own mode, ``household`` or ``centralized``."""
        cen, hou = self.local.centralized[i], self.local.household[i]
        return "household" if np.isfinite(hou) and hou < cen else "centralized"


def village_reasons(demand: Demand, st: Settlements, terrain: Terrain, local: LocalCosts, plants: Plants,
                    conn: Connections, assignment: Assignment, decision: Decision, prm: Params,
                    lang: str) -> list[str]:
    """One sentence per village in ``lang`` (``"zh"`` or ``"en"``) with the numbers that
    decided its mode (see the module docstring)."""
    zh = lang == "zh"
    name = {m: _label(m, "zh") for m in MODES} if zh else {
        "connect": "connecting", "centralized": "a village station", "cluster": "a shared station",
        "household": "household systems"}
    e = _Evidence(demand, st, terrain, local, plants, conn, assignment, decision,
                  _Quoted.of(demand, plants, conn), prm, zh, name)
    out = []
    for i in range(len(demand.xy)):
        if demand.unknown[i]:
            out.append("人口不详（无人口和户数），未评估" if zh
                       else "Population unknown (no population or households): not assessed")
        elif demand.population[i] <= 0:
            out.append("无常住人口，无需建设污水设施" if zh else "No residents: no sewage works needed")
        elif demand.relocation[i]:
            out.append("搬迁撤并村：不新建固定设施，仅采取临时措施（联户分户）" if zh else
                       "Village to be relocated or merged (搬迁撤并): no fixed works are built, interim "
                       "measures only (household systems)")
        elif decision.mode[i] == "connect":
            out.append(_connect_reason(e, i))
        else:
            why, local_ = _why_not_connect(e, i), _local_reason(e, i)
            out.append(f"{why}；{local_}" if zh else f"{why}; {local_}")
    return out


def _pct(chosen: float, other: float) -> float:
    return (other - chosen) / other * 100.0 if other > 0 else 0.0


def _lifts_en(n: int) -> str:
    return "1 lift station" if n == 1 else f"{n} lift stations"


def _connect_reason(e: _Evidence, i: int) -> str:
    """Why a village connects: through a priority pair, or because it saves money."""
    d, zh, name = e.decision, e.zh, e.name
    alt_m = e.alternative(i)
    alt = float(np.fmin(e.local.centralized[i], e.local.household[i]))
    km, pu = d.pipe_length_m[i] / 1000.0, int(d.pump_stations[i])
    pct = _pct(d.cost_connect[i], alt)
    label = e.plant(d.plant[i])
    if d.by_priority[i] and e.demand.suburban[i] and not e.local.no_outfall[i]:
        return _suburban_reason(e, i, label, km, pu, pct, name[alt_m])
    if d.by_priority[i]:  # a priority pair: short, by gravity; it connects whatever the cost
        lim = e.prm["connect_priority_distance_m"] / 1000.0
        dearer = pct < 0
        if zh:
            return (f"距{label}管线{km:.1f} km（不超过{lim:.1f} km）且全程重力流，按就近纳管优先原则接入"
                    f"（年费用比{name[alt_m]}{'高' if dearer else '低'}{abs(pct):.0f}%）")
        return (f"Connects to {label}, as villages near a plant connect first: {km:.1f} km of sewer "
                f"(at most {lim:.1f} km) by gravity all the way, "
                f"{'though' if dearer else 'and'} {abs(pct):.0f}% {'dearer' if dearer else 'cheaper'} "
                f"per year than {name[alt_m]}")
    # otherwise it connects only because connecting saves money (pct > 0)
    if zh:
        lift = f"需{pu}座提升泵站" if pu else "全程重力流"
        return f"接入{label}，管线{km:.1f} km，{lift}，纳管年费用比{name[alt_m]}低{pct:.0f}%"
    lift = _lifts_en(pu) if pu else "gravity all the way"
    return f"Connects to {label}: {km:.1f} km of sewer, {lift}; {pct:.0f}% cheaper per year than {name[alt_m]}"


def _suburban_reason(e: _Evidence, i: int, label: str, km: float, pu: int, pct: float, alt: str) -> str:
    """Why a suburban village (城郊融合) connects: it prefers connection, whatever the cost."""
    dearer = pct < 0
    if e.zh:
        lift = f"需{pu}座提升泵站" if pu else "全程重力流"
        return (f"城郊融合村，优先纳管：接入{label}，管线{km:.1f} km，{lift}"
                f"（年费用比{alt}{'高' if dearer else '低'}{abs(pct):.0f}%）")
    lift = _lifts_en(pu) if pu else "gravity all the way"
    return (f"Suburban village (城郊融合), which connects first: connects to {label}, {km:.1f} km of sewer, "
            f"{lift}, {abs(pct):.0f}% {'dearer' if dearer else 'cheaper'} per year than {alt}")


def _why_not_connect(e: _Evidence, i: int) -> str:
    """Why a village with residents does not connect; every plant it names is one of its
    (village, plant) pairs, with that pair's sewer length and the plant's spare capacity."""
    zh, pairs = e.zh, e.conn.pairs
    j = pairs.nearest_plant[i]
    if j < 0:
        return "区内无污水厂可纳管" if zh else "No sewage plant to connect to"
    label = e.plant(j)
    km, lim = pairs.nearest_plant_m[i] / 1000.0, e.prm["max_connect_distance_m"] / 1000.0
    if not e.conn.has_within[i]:
        if km > lim:
            return (f"距最近的{label}直线{km:.1f} km，超过纳管距离{lim:.1f} km" if zh else
                    f"The nearest plant, {label}, is {km:.1f} km away in a straight line, beyond the "
                    f"{lim:.1f} km connection limit")
        return (f"距最近的{label}直线{km:.1f} km，但管线将超过纳管距离{lim:.1f} km" if zh else
                f"The sewer to the nearest plant, {label} ({km:.1f} km in a straight line), would "
                f"exceed the {lim:.1f} km connection limit")
    if not np.isfinite(e.decision.cost_connect[i]):  # no plant within reach has room for the village
        return _no_room(e, i, lim)
    if e.assignment.capacity_blocked[i]:  # an eligible pair, but its plant's room went to others
        return _room_taken(e, i)
    c = e.quoted.cheapest[i]
    if e.conn.near_gravity[c]:  # short and by gravity, but beyond the priority premium cap
        return _above_premium_cap(e, i, c)
    pct = -_pct(e.decision.cost_connect[i], e.local.alone[i])
    pu = max(int(e.conn.sewers.pumps[c]), 0)
    c_label, c_km, _ = e.pair(c)
    if zh:
        return f"距{c_label}管线{c_km:.1f} km，" + (f"纳管需{pu}座提升泵站，年费用高{pct:.0f}%" if pu
                                                  else f"纳管年费用高{pct:.0f}%")
    lift = f" needs {_lifts_en(pu)} and" if pu else ""
    return f"Connecting to {c_label} ({c_km:.1f} km of sewer){lift} costs {pct:.0f}% more per year"


def _no_room(e: _Evidence, i: int, lim: float) -> str:
    """No plant within ``lim`` km of sewer has room for the village's flow."""
    q = e.demand.flow_m3_per_day[i]
    w_label, w_km, w_spare = e.pair(e.quoted.roomiest[i])
    near, en_near = "", ""
    nq = e.quoted.nearest[i]
    if e.conn.sewers.length_m[nq] > e.prm["max_connect_distance_m"]:  # the nearest plant is out of reach
        n_label, n_km, _ = e.pair(nq)
        near = f"距最近的{n_label}管线{n_km:.1f} km，超过纳管距离{lim:.1f} km；"
        en_near = f"The sewer to the nearest plant, {n_label}, would be {n_km:.1f} km, beyond the {lim:.1f} km limit; "
    return (f"{near}管线{lim:.1f} km内可达的污水厂余量不足（本村污水量{q:.1f} m³/d，其中余量最多的"
            f"{w_label}管线{w_km:.1f} km、余量{w_spare:.1f} m³/d）" if e.zh else
            f"{en_near}the plants within {lim:.1f} km of sewer lack room for its {q:.1f} m³/d (the "
            f"roomiest, {w_label}, {w_km:.1f} km of sewer, has {w_spare:.1f} m³/d spare)")


def _room_taken(e: _Evidence, i: int) -> str:
    """The village had an eligible pair, but its plant's spare capacity went to others."""
    q = e.demand.flow_m3_per_day[i]
    b = e.quoted.best_eligible[i]
    b_label, b_km, b_spare = e.pair(b)
    after = e.decision.room_after_m3_per_day[e.conn.pairs.plant[b]]
    return (f"可接入的{b_label}距本村管线{b_km:.1f} km，其余量{b_spare:.1f} m³/d已分配给其他村，余下"
            f"{after:.1f} m³/d不足本村污水量{q:.1f} m³/d（余量先使纳管村数最多）" if e.zh else
            f"The spare {b_spare:.1f} m³/d of {b_label} ({b_km:.1f} km of sewer) went to other "
            f"villages (as many villages as possible connect); the {after:.1f} m³/d left is less "
            f"than its {q:.1f} m³/d")


def _above_premium_cap(e: _Evidence, i: int, c: int) -> str:
    """The cheapest pair ``c`` is short and by gravity, but dearer than the priority premium cap."""
    zh = e.zh
    cost, alone, trunk = e.decision.cost_connect[i], e.local.alone[i], e.local.trunk[i]
    c_label, c_km, _ = e.pair(c)
    alt = _label(e.alternative(i), "zh" if zh else "en")
    cap = e.prm["connect_priority_max_premium"] * 100.0
    head = (f"距{c_label}管线{c_km:.1f} km且全程重力流，但" if zh else
            f"The sewer to {c_label} is {c_km:.1f} km long and by gravity, but ")
    pct = (cost - alone) / alone * 100.0
    # the cap's own premium leaves the village trunk sewer out of both sides
    if trunk <= 0:
        rule, en_rule = "", ""
    elif alone > trunk:
        pct_rule = (cost - alone) / (alone - trunk) * 100.0
        rule, en_rule = f"（不计村内干管高{pct_rule:.0f}%）", f" ({pct_rule:.0f}% leaving out the village trunk sewer)"
    else:
        rule = f"，而{alt}年费用还低于村内干管"
        en_rule = f", and {alt.lower()} cost less than the village trunk sewer alone"
    return (f"{head}纳管年费用比{alt}高{pct:.0f}%{rule}，超过就近纳管优先的加价上限{cap:.0f}%" if zh else
            f"{head}connecting costs {pct:.0f}% more per year than {alt.lower()}{en_rule}, above "
            f"the {cap:.0f}% cap for villages near a plant")


def _local_reason(e: _Evidence, i: int) -> str:
    """The village's own choice: shared station, village station(s) or household systems."""
    zh, d, loc = e.zh, e.decision, e.local
    m = d.mode[i]
    cen, hou = loc.centralized[i], loc.household[i]
    k, cp, pop = int(e.st.clusters[i]), e.st.cluster_population[i], e.demand.population[i]
    if m == "cluster":
        n_other = int(d.cluster_size[i]) - 1
        pct = _pct(d.cost_cluster[i], loc.alone[i])
        return (f"与{n_other}个相邻村共建片区处理站，年费用比单独处理低{pct:.0f}%" if zh else
                f"shares a station with {n_other} neighbouring village(s), {pct:.0f}% cheaper per "
                "year than on its own")
    if m == "centralized":
        return _station_reason(e, i, k, cp, pop)
    if loc.no_outfall[i]:
        return _zone_reason(e, i, cp)
    pct = _pct(hou, cen)
    slope = e.terrain.slope_percent[i]
    if k > 1:
        sl = (f"，平均坡度{slope:.0f}%" if zh else f", mean slope {slope:.0f}%") if np.isfinite(slope) else ""
        return (f"居民点分散（{k}处，平均{cp:.0f}人{sl}），联户分户年费用比村级集中低{pct:.0f}%" if zh else
                f"scattered settlements ({k}, {cp:.0f} residents each{sl}): household systems cost "
                f"{pct:.0f}% less per year than village stations")
    return (f"人口{pop:.0f}人，联户分户年费用比村级集中低{pct:.0f}%" if zh else
            f"{pop:.0f} residents: household systems cost {pct:.0f}% less per year than a village station")


def _zone_reason(e: _Evidence, i: int, cp: float) -> str:
    """Why household systems where no outfall may be built: inside a drinking-water source
    protection zone, or beside water whose class takes no new outfall (GB 3838 Ⅰ类)."""
    zone = bool(e.local.inside_zone[i])
    where = ("位于饮用水水源保护区内" if zone else "受纳水体功能类别不允许新设排污口（出水标准：不得排放）") if e.zh else (
        "inside a drinking-water source protection zone" if zone else
        "beside water whose functional class takes no new outfall (effluent grade: no discharge)")
    if e.local.no_option[i]:
        lim = e.prm["household_max_settlement_population"]
        return (f"{where}，不得新设排污口，居民点{cp:.0f}人超过分户处理上限{lim:.0f}人且无法纳管："
                f"无合规方案，暂按联户分户、资源化利用不外排，需专项论证（如延伸管网纳管）" if e.zh else
                f"{where}, where no outfall may be built; settlements of "
                f"{cp:.0f} residents exceed the {lim:.0f}-resident limit for household systems and no plant can "
                "take it: no compliant option — household systems with reuse and no discharge as an interim "
                "measure; needs a special study (e.g. extending a sewer to a plant)")
    return (f"{where}，不得新设排污口：联户分户处理，资源化利用不外排" if e.zh else
            f"{where}, where no outfall may be built: household systems with reuse and no discharge")


_ROMAN = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ"}


def with_effluent(reasons: list[str], mode: Objects, standards: Objects, water_class: Objects,
                  lang: str) -> list[str]:
    """The reasons of villages with a station (``centralized``, ``cluster``) followed by the
    effluent standard it meets and its receiving water's class (when assessed)."""
    zh = lang == "zh"
    out = list(reasons)
    for i in np.flatnonzero(np.isin(mode.astype(str), ["centralized", "cluster"])):
        if standards[i] is None:
            continue
        cls = water_class[i]
        if zh:
            water = f"受纳水体{_ROMAN[cls]}类" if cls is not None else "受纳水体环境功能未明确"
            out[i] = f"{out[i]}；出水执行{standards[i]}（{water}）"
        else:
            water = f"receiving water class {cls}" if cls is not None else "receiving water of no set function"
            out[i] = f"{out[i]}; effluent to {standards[i]} ({water})"
    return out


def _station_reason(e: _Evidence, i: int, k: int, cp: float, pop: float) -> str:
    """Why village station(s): household systems not allowed (protection zone, settlements
    too big), or dearer.  ``k`` settlements of ``cp`` residents on average, ``pop`` residents."""
    zh, prm = e.zh, e.prm
    s = int(e.local.village_stations[i])
    stn = ("建村级处理站" if s == 1 else f"分{s}处建村级处理站") if zh else (
        "a village station" if s == 1 else f"{s} village stations, one per settlement")
    if e.local.protected[i]:
        return (f"居民点邻近饮用水水源保护区，不宜分户处理，{stn}" if zh else
                f"the settlement touches a drinking-water source protection zone, where household "
                f"systems are not allowed: {stn}")
    if e.local.too_big[i]:
        lim = prm["household_max_settlement_population"]
        if zh:
            pts = f"居民点{cp:.0f}人" if k == 1 else f"{k}处居民点平均{cp:.0f}人"
            return f"{pts}，超过分户处理上限{lim:.0f}人，{stn}"
        pts = f"one settlement of {cp:.0f} residents" if k == 1 else (
            f"{k} settlements of {cp:.0f} residents on average")
        return f"{pts}, above the {lim:.0f}-resident limit for household systems: {stn}"
    pct = _pct(e.local.centralized[i], e.local.household[i])
    return (f"{pop:.0f}人居住较集中（居民点{k}处），{stn}，年费用比联户分户低{pct:.0f}%" if zh else
            f"{pop:.0f} residents in {k} settlement(s): {stn}, {pct:.0f}% cheaper per year than "
            "household systems")
