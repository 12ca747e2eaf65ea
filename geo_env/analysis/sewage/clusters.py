"""Step 7 of the sewage analysis: neighbouring villages that share one station
(片区集中; :class:`ClusterLinks`, :class:`Clusters`).

Clusters (agglomerative)
    Among villages not connected, start with every village alone (cost: its cheaper of
    centralized / household).  Two groups are neighbours when some of their villages lie
    within ``cluster_max_link_m``.  A merged group has one station at the member that makes
    it cheapest; every other member sends its sewage there through its own linking sewer.
    A link never follows roads: it is the straight line between the two anchors ×
    ``detour_factor``, its ground profile sampled on the DEM along that straight line, with
    its lift stations, trench depth and diameter (for the member's own flow) costed as for a
    connecting sewer; no plant capacity is involved.  Members farther than
    ``cluster_max_link_m`` (straight line) from the station are not allowed.  Repeatedly
    merge the pair of neighbouring groups with the largest positive saving (cost(A) +
    cost(B) − cost(A ∪ B)); stop when no merge saves.  Each merge saves, so every cluster costs less
    than its members alone.  A member's ``cost_cluster_yuan_per_year`` is the cluster's
    cost shared in proportion to the members' stand-alone costs (so each member pays less
    than alone).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ...terrain import Dem
from ._arrays import Bools, Floats, Ints
from .costs import station_cost
from .demand import Demand
from .effluent import Receiving
from .options import LocalCosts
from .params import Params
from .sewers import sewer_links

__all__ = ["LinkTable", "ClusterLinks", "Clusters", "cluster_links", "merge_clusters"]

#: A candidate merge: (−saving yuan/year, group g, group h, version of g, version of h,
#: yearly cost of g ∪ h, its station village).
_Merge = tuple[float, int, int, int, int, float, int]


@dataclass(frozen=True)
class LinkTable:
    """Linking sewers between villages, looked up by (from, to) village index, vectorised.

    ``keys`` = from × n + to, sorted; ``cost`` (yuan/year), ``length_m`` and ``pumps`` in
    the same order.  A pair that is not in the table has no link (cost ∞).
    """

    n: int
    keys: Ints
    cost: Floats
    length_m: Floats
    pumps: Ints

    @classmethod
    def empty(cls, n: int) -> LinkTable:
        return cls(n, np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64))

    def find(self, src: Ints, dst: Ints) -> tuple[Ints, Bools]:
        """Positions in the table of the links src → dst, and whether each exists."""
        k = np.asarray(src, dtype=np.int64) * self.n + np.asarray(dst, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.keys, k), max(len(self.keys) - 1, 0))
        found = self.keys[pos] == k if len(self.keys) else np.zeros(k.shape, dtype=bool)
        return pos, found


@dataclass(frozen=True)
class ClusterLinks:
    """The linking sewers that may join villages into clusters.

    Attributes
    ----------
    free
        The villages that may share a station: not connected, with sewage.
    a, b
        The village pairs within ``cluster_max_link_m`` (straight line), each pair once.
    table
        The linking sewer of each pair, both ways (a → b and b → a).
    """

    free: Ints
    a: Ints
    b: Ints
    table: LinkTable


@dataclass(frozen=True)
class Clusters:
    """The shared stations: groups of two or more villages, in the order of their first member.

    Attributes
    ----------
    members
        Village indices of each cluster, sorted.
    stations
        The village of each cluster where its station is.
    costs
        Yearly cost of each cluster (yuan/year): its villages' networks and trunks, the
        station, and the links into the station.
    links
        The table of linking sewers.
    """

    members: list[Ints]
    stations: list[int]
    costs: list[float]
    links: LinkTable

    @property
    def ids(self) -> list[str]:
        """``C001``, ``C002`` … in the clusters' order."""
        return [f"C{c + 1:03d}" for c in range(len(self.members))]


def cluster_links(free: Ints, demand: Demand, dem: Dem | None, prm: Params) -> ClusterLinks:
    """The linking sewers, both ways, between the ``free`` villages within
    ``cluster_max_link_m`` of each other, profiled on ``dem`` (:mod:`.sewers`)."""
    xy, flow = demand.xy, demand.flow_m3_per_day
    n = len(xy)
    none = np.zeros(0, dtype=np.int64)
    if len(free) < 2:
        return ClusterLinks(free, none, none, LinkTable.empty(n))
    pairs = cKDTree(xy[free]).query_pairs(prm["cluster_max_link_m"], output_type="ndarray")
    if len(pairs) == 0:
        return ClusterLinks(free, none, none, LinkTable.empty(n))
    a, b = free[pairs[:, 0]], free[pairs[:, 1]]
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    lk = sewer_links(xy[src], xy[dst], flow[src], dem, prm)
    keys = src.astype(np.int64) * n + dst
    order = np.argsort(keys)
    return ClusterLinks(free, a, b, LinkTable(n, keys[order], lk.cost[order], lk.length_m[order], lk.pumps[order]))


def merge_clusters(links: ClusterLinks, demand: Demand, local: LocalCosts, prm: Params, rx: Receiving) -> Clusters:
    """Agglomerative clustering (see the module docstring) over ``links``; a station's cost
    depends on its effluent grade at its village (``rx``; ∞ where no outfall is allowed)."""
    if len(links.a) == 0:
        return Clusters([], [], [], links.table)
    merging = _Agglomeration(links, demand, local, prm, rx)
    merging.run()
    members, stations, costs = merging.clusters()
    return Clusters(members, stations, costs, links.table)


class _Agglomeration:
    """The groups while they merge, keyed by a representative village.

    ``into[g][x]`` = (sum of the yearly costs of the links from g's members into village
    x, how many of g's members link to x): with it a candidate merge g ∪ h is costed in
    O(|g| + |h|), not by summing |g ∪ h|² links.  ``heap``: the candidate merges, best
    first; one whose groups have merged since (``version``) is stale and skipped.
    """

    def __init__(self, links: ClusterLinks, demand: Demand, local: LocalCosts, prm: Params, rx: Receiving) -> None:
        free = links.free
        self.prm, self.rx = prm, rx
        self.members: dict[int, list[int]] = {int(i): [int(i)] for i in free}
        self.cost: dict[int, float] = {int(i): float(local.alone[i]) for i in free}  # yuan/year
        self.stn: dict[int, int] = {int(i): int(i) for i in free}
        self.inner: dict[int, float] = {int(i): float(local.internal[i]) for i in free}  # yuan/year
        self.q: dict[int, float] = {int(i): float(demand.flow_m3_per_day[i]) for i in free}  # m³/d
        self.into: dict[int, dict[int, tuple[float, int]]] = {int(i): {} for i in free}
        t = links.table
        for i, j, c in zip((t.keys // t.n).tolist(), (t.keys % t.n).tolist(), t.cost.tolist()):
            self.into[i][j] = (c, 1)
        self.nbrs: dict[int, set[int]] = {int(i): set() for i in free}
        for i, j in zip(links.a.tolist(), links.b.tolist()):
            self.nbrs[i].add(j)
            self.nbrs[j].add(i)
        self.version: dict[int, int] = {int(i): 0 for i in free}
        self.heap = _first_merges(links, demand, local, prm, rx)

    def merged_cost(self, g: int, h: int) -> tuple[float, int]:
        """Yearly cost of g ∪ h with its best station, and that station (−1: none)."""
        ig, ih, ng, nh = self.into[g], self.into[h], len(self.members[g]), len(self.members[h])
        cands, links = [], []
        for k, s in enumerate(self.members[g] + self.members[h]):
            own = k < ng  # s in g: the others of g and all of h link into s
            sg, cg = ig.get(s, (0.0, 0))
            sh, ch = ih.get(s, (0.0, 0))
            if cg == ng - own and ch == nh - (not own):
                cands.append(s)
                links.append(sg + sh)
        if not cands:
            return np.inf, -1
        q = self.q[g] + self.q[h]
        at = np.array(cands)
        station = station_cost(q, self.prm, self.rx.factor(at, q))
        k = int(np.argmin(np.array(links) + station))  # first of equal totals wins
        if not np.isfinite(station[k] + links[k]):
            return np.inf, -1
        return self.inner[g] + self.inner[h] + float(station[k]) + links[k], int(at[k])

    def push(self, g: int, h: int) -> None:
        """Queue the merge g ∪ h when it saves money."""
        c, s = self.merged_cost(g, h)
        gain = self.cost[g] + self.cost[h] - c
        if gain > 1e-6:
            heapq.heappush(self.heap, (-gain, g, h, self.version[g], self.version[h], c, s))

    def run(self) -> None:
        """Merge the best candidate until none saves money."""
        while self.heap:
            _, g, h, vg, vh, c, s = heapq.heappop(self.heap)
            if g not in self.members or h not in self.members or self.version[g] != vg or self.version[h] != vh:
                continue
            self.merge(g, h, c, s)

    def merge(self, g: int, h: int, c: float, s: int) -> None:
        """Merge h into g (yearly cost ``c``, station ``s``) and queue g's new candidate merges."""
        members, into, nbrs = self.members, self.into, self.nbrs
        members[g] = members[g] + members.pop(h)
        self.cost[g], self.stn[g] = c, s
        self.inner[g] += self.inner.pop(h)
        self.q[g] += self.q.pop(h)
        big, small = (into[g], into.pop(h)) if len(into[g]) >= len(into[h]) else (into.pop(h), into[g])
        for x, (sx, cx) in small.items():
            sb, cb = big.get(x, (0.0, 0))
            big[x] = (sb + sx, cb + cx)
        into[g] = big
        self.version[g] += 1
        del self.cost[h], self.stn[h], self.version[h]
        nb = (nbrs[g] | nbrs.pop(h)) - {g, h}
        for x in nb:
            nbrs[x].discard(h)
            nbrs[x].add(g)
        nbrs[g] = nb
        for x in nb:
            self.push(g, x)

    def clusters(self) -> tuple[list[Ints], list[int], list[float]]:
        """Members (sorted), station and yearly cost of every group of two or more."""
        members, stations, costs = [], [], []
        for g in sorted(self.members, key=lambda k: min(self.members[k])):
            if len(self.members[g]) >= 2:
                members.append(np.array(sorted(self.members[g])))
                stations.append(self.stn[g])
                costs.append(self.cost[g])
        return members, stations, costs


def _first_merges(links: ClusterLinks, demand: Demand, local: LocalCosts, prm: Params,
                  rx: Receiving) -> list[_Merge]:
    """The first candidate merges, village pairs, all at once, as a heap: the station is at
    a (first in the members' order, as in ``merged_cost``) unless the link into b and the
    station there are strictly cheaper."""
    a, b, table = links.a, links.b, links.table
    internal, alone, flow = local.internal, local.alone, demand.flow_m3_per_day
    to_a, ok_a = table.find(b, a)
    to_b, ok_b = table.find(a, b)
    link_a = np.where(ok_a, table.cost[to_a], np.inf)
    link_b = np.where(ok_b, table.cost[to_b], np.inf)
    q = flow[a] + flow[b]
    st_a, st_b = station_cost(q, prm, rx.factor(a, q)), station_cost(q, prm, rx.factor(b, q))
    with np.errstate(invalid="ignore"):  # ∞ + ∞ where neither may discharge
        to_b_cheaper = link_b + st_b < link_a + st_a
    pair_s = np.where(to_b_cheaper, b, a)
    pair_c = internal[a] + internal[b] + np.where(to_b_cheaper, st_b, st_a) + np.where(to_b_cheaper, link_b, link_a)
    with np.errstate(invalid="ignore"):
        gain = alone[a] + alone[b] - pair_c
    good = np.flatnonzero(gain > 1e-6)
    heap: list[_Merge] = list(zip(
        (-gain[good]).tolist(), a[good].tolist(), b[good].tolist(), [0] * len(good),
        [0] * len(good), pair_c[good].tolist(), pair_s[good].tolist()))
    heapq.heapify(heap)
    return heap
