"""Step 6 of the sewage analysis: which villages connect, within the plants' spare capacity
(:class:`Assignment`).

Capacity sharing: how villages compete for a plant's spare capacity
    Every feasible (village, plant) pair saves ``min(centralized, household) − connect``
    yuan/year.  A pair is *eligible* when it is a priority pair or saves money; no other
    pair ever connects.  A village connects with its whole flow or not at all.  Among the
    assignments of villages to eligible pairs (each village at most one plant, each plant's
    connected flow within its spare capacity) the lexicographic optimum is taken
    (``scipy.optimize.milp``, HiGHS, one solve per level): (1) as many connected villages
    as possible — each connection spares a village its own works; (2) with that many, as
    many priority connections as possible; (3) with both, the largest total yearly saving.
    Villages whose eligible pairs all lead to plants with room for every village eligible
    there take their best pair directly (same optimum).  Clusters play no part: the
    comparison is with the village's stand-alone cost (clusters are formed afterwards among
    the villages that do not connect).

    Why the metamorphic relations hold by construction:

    * *Raising the sewer unit cost never increases the number of connected villages.*  The
      sewer cost c enters a connection through its sewer and the village trunk (slope
      T + L ≥ T per yuan/m), the stand-alone cost only through the trunk of a single
      village station (slope T or 0); so each pair's saving can only fall as c rises.  The
      priority test (connection − trunk vs (1 + premium) × (other − trunk)) has a left
      side that grows with c and a right side that does not; distance, lift stations and
      capacity do not depend on c.  So the eligible set can only shrink, and the largest
      number of villages that fit over a smaller set of pairs is never larger.
    * *Moving a plant closer to a village connected to it* keeps that village's pair to
      the plant eligible as long as that pair gets no dearer (without roads the shorter
      straight route is a prefix of the old one, with never more lift stations; the tests
      check it; with roads, a nearer plant may have a longer road route).  The count is
      maximal, so no unconnected village is left whose eligible pair still fits: the
      village stays ``connect`` unless another village that was not connected to that
      plant before takes its room — when the plant has room for every village eligible
      there, always.  Under scarce capacity this is the most that
      can hold: a plant moved towards one village also comes nearer to others, and more
      villages may then fit in its room.  When only the village's own pair improves (others
      unchanged) it always stays connected: its assignments gain at level 2 or 3, no other
      assignment does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ._arrays import Bools, Floats, Ints
from .connect import Connections, pick
from .demand import Demand
from .plants import Plants

__all__ = ["Assignment", "assign_plants", "share_capacity"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assignment:
    """The connections chosen (one value per village).

    Attributes
    ----------
    pair
        Index of the village's assigned (village, plant) pair in :class:`~.connect.Connections`;
        −1 when it does not connect.
    connected
        The village connects (``pair ≥ 0``).
    capacity_blocked
        The village had an eligible pair but no plant had room left for it.
    """

    pair: Ints
    connected: Bools
    capacity_blocked: Bools

    @property
    def connected_pairs(self) -> Ints:
        """The assigned pairs, in village order (one per connected village)."""
        return self.pair[self.connected]


def assign_plants(conn: Connections, demand: Demand, plants: Plants) -> Assignment:
    """Share the plants' spare capacity among the eligible pairs (see the module docstring)."""
    n = len(demand.xy)
    pair_v = conn.pairs.village
    assigned = share_capacity(n, pair_v, conn.pairs.plant, demand.flow_m3_per_day, plants.spare_m3_per_day,
                              conn.eligible, conn.priority, conn.saving)
    connected = assigned >= 0
    blocked = (np.bincount(pair_v[conn.eligible], minlength=n) > 0) & ~connected
    return Assignment(assigned, connected, blocked)


def share_capacity(n: int, pair_v: Ints, pair_p: Ints, flow: Floats, spare: Floats, eligible: Bools,
                   prio: Bools, saving: Floats) -> Ints:
    """Assign villages to plants within the plants' spare capacity (see *Capacity sharing*).

    Parameters
    ----------
    n
        Number of villages.
    pair_v, pair_p
        Village and plant index of each (village, plant) pair; at most one pair per
        (village, plant).
    flow
        Sewage flow of each village (m³/d).
    spare
        Spare capacity of each plant (m³/d).
    eligible, prio
        Per pair: may connect; is a priority pair.
    saving
        Per pair: yearly saving of connecting (yuan/year; may be negative for priority pairs).

    Returns
    -------
    numpy.ndarray
        Per village, the index of its assigned pair, −1 when it does not connect.

    Notes
    -----
    The lexicographic optimum over the eligible pairs: (1) as many villages as possible;
    (2) with that many, as many priority pairs as possible; (3) with both, the largest total
    saving.  A plant whose spare capacity takes every village with an eligible pair to it
    binds nobody; villages all of whose eligible pairs lead to such plants take their best
    pair (priority first, then saving) directly.  The others are assigned by three
    ``scipy.optimize.milp`` (HiGHS) solves, one per level, each keeping the optimum of the
    levels before as a constraint.
    """
    assigned = np.full(n, -1)
    cand = np.flatnonzero(eligible)
    if cand.size == 0:
        return assigned
    cv, cp = pair_v[cand], pair_p[cand]
    demand = np.bincount(cp, weights=flow[cv], minlength=len(spare))
    scarce = demand > spare + 1e-9
    contested = np.zeros(n, dtype=bool)
    contested[cv[scarce[cp]]] = True
    # uncontested villages: their best pair (priority, then saving, then plant order)
    free = np.zeros(len(pair_v), dtype=bool)
    free[cand[~contested[cv]]] = True
    best = pick(n, pair_v, free, ~prio, -saving)
    assigned[best >= 0] = best[best >= 0]
    sub = cand[contested[cv]]
    if sub.size:
        x = _lexicographic_assignment(pair_v[sub], pair_p[sub], flow[pair_v[sub]], spare,
                                      scarce, prio[sub], saving[sub])
        assigned[pair_v[sub[x]]] = sub[x]
    return assigned


def _lexicographic_assignment(pv: Ints, pp: Ints, q: Floats, spare: Floats, scarce: Bools, prio: Bools,
                              saving: Floats) -> Bools:
    """The chosen pairs (boolean per pair) of the three-level MILP of :func:`share_capacity`."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    m = len(pv)
    cols = np.arange(m)
    _, vrow = np.unique(pv, return_inverse=True)
    one_each = coo_array((np.ones(m), (vrow, cols)), shape=(int(vrow.max()) + 1, m))
    bind = scarce[pp]
    plants, prow = np.unique(pp[bind], return_inverse=True)
    load = coo_array((q[bind], (prow, cols[bind])), shape=(len(plants), m))
    rhs = spare[plants].astype(float) + 1e-9
    levels = [np.ones(m), prio.astype(float)]
    scale = max(float(np.abs(saving).max()), 1.0)
    levels.append(saving / scale)
    for _attempt in range(3):
        fixed: list[LinearConstraint] = []
        x = np.zeros(m, dtype=bool)
        for k, goal in enumerate(levels):
            if k == 1 and not prio.any():
                continue
            cons = [LinearConstraint(one_each, -np.inf, 1.0),
                    LinearConstraint(load, -np.inf, rhs), *fixed]
            res = milp(-goal, constraints=cons, integrality=np.ones(m), bounds=Bounds(0, 1),
                       options={"mip_rel_gap": 0.0, "time_limit": 120.0})
            if res.x is None:  # pragma: no cover - the empty assignment is always feasible
                raise RuntimeError(f"capacity assignment failed: {res.message}")
            if res.status != 0:
                log.warning("capacity assignment, level %d: %s; the best assignment found is used",
                            k + 1, res.message)
            x = res.x > 0.5
            if k < 2:  # keep this level's optimum (an integer) while optimising the next
                fixed.append(LinearConstraint(goal[None, :], float(goal[x].sum()) - 0.5, np.inf))
        over = np.bincount(prow[x[bind]], weights=q[bind][x[bind]], minlength=len(plants)) - spare[plants]
        if (over <= 1e-9).all():
            return x
        rhs = np.where(over > 1e-9, rhs - over - 1e-7, rhs)  # solver tolerance: tighten, solve again
    raise RuntimeError("capacity assignment exceeds a plant's spare capacity")  # pragma: no cover
