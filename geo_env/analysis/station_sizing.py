"""Capacitated siting of new transfer stations: where, and which module size (t/d).

The existing stations stay with their capacities.  New stations may open at candidate
sites, each with one module size from a list (such as 10, 20 or 50 t/d) at its yearly
cost; some candidates may be *forced* open (the sites the coverage siting proposed: they
still need a size).  The villages' tonnes then go to the open stations at the least
transport cost.  A mixed-integer programme, solved with :func:`scipy.optimize.milp`
(HiGHS)::

    min  Σ_a c_a x_a + Σ_{j,m} f_m y_jm + P Σ_j o_j
    s.t. Σ_{a from i} x_a = s_i                    every village sends all it makes
         Σ_{a into j} x_a − o_j ≤ K_j              existing station j of capacity K_j
         Σ_{a into j} x_a − Σ_m k_m y_jm − o_j ≤ 0  candidate j
         o_j ≤ S Σ_m y_jm                          a closed candidate takes nothing
         x_a ≤ s_i Σ_m y_jm                        (arc a into candidate j; tightens the model)
         Σ_m y_jm ≤ 1   (= 1 when forced)          one module per site
         x, o ≥ 0,  y ∈ {0, 1}

``c_a``: yuan/year per t/d along arc a (collection cost × distance × 365); ``f_m``: the
module's yearly cost (capex ÷ life); ``k_m``: its capacity (t/d); ``S``: the total supply.
``o_j`` is overflow.  The least overflow any choice allows, o*, is that of the
transportation problem with every candidate open at the largest module (no choice has more
capacity anywhere); the model adds Σ_j o_j ≤ o* (+ 1e-6 × S, the solver's tolerance), so
overflow appears only when no choice of modules can take the tonnes (a village beyond
every site's reach, a load above the largest module) — reported, never hidden — and
never because a module costs more than a penalty.  Overflow is also priced at ``P`` = 10 ×
(the largest arc cost + the largest module cost per t/d + 1) so that what must overflow
does so where it costs least.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError
from .transport import Flows, _exact, _overflow, sink_loads, transport

__all__ = ["Modules", "Sizing", "size_stations"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Modules:
    """The module sizes a new station may take: capacity (t/d) and yearly cost (yuan/year)."""

    capacity_t_per_day: np.ndarray
    cost_yuan_per_year: np.ndarray

    def __post_init__(self) -> None:
        k, f = np.asarray(self.capacity_t_per_day, float), np.asarray(self.cost_yuan_per_year, float)
        if k.ndim != 1 or k.shape != f.shape or not len(k) or not (k > 0).all() or not (f >= 0).all() \
                or not np.isfinite(np.r_[k, f]).all():
            raise ParameterError("modules need capacities > 0 t/d and yearly costs ≥ 0, as many of each")


@dataclass
class Sizing:
    """The answer of :func:`size_stations`.

    Attributes
    ----------
    module
        Per candidate: the index of its module in :class:`Modules`, -1 when not opened.
    capacity_t_per_day
        Per sink (existing, then candidates): the capacity in the plan (t/d; ``inf``
        unlimited, 0 for a closed candidate).
    flows
        The flows along every arc (:class:`~geo_env.analysis.transport.Flows`), overflow
        per sink.
    cost_yuan_per_year
        Transport plus modules (yuan/year), without the overflow's penalty.
    optimal
        Whether HiGHS proved the answer optimal.
    model
        The model's size (for summary.json).
    """

    module: np.ndarray
    capacity_t_per_day: np.ndarray
    flows: Flows
    cost_yuan_per_year: float
    optimal: bool
    model: dict[str, int] = field(default_factory=dict)


def size_stations(supply: np.ndarray, capacity: np.ndarray, n_candidates: int, forced: np.ndarray,
                  modules: Modules, src: np.ndarray, snk: np.ndarray, cost: np.ndarray, *,
                  time_limit_s: float | None = None) -> Sizing:
    """Open candidates with a module each so that the villages' tonnes fit (module docstring).

    Parameters
    ----------
    supply
        Per source (village), t/d.
    capacity
        Per existing station, t/d (``inf``: unlimited).
    n_candidates
        Candidate sites; sink ``len(capacity) + k`` is candidate ``k``.
    forced
        Per candidate: True when it must open (with some module).
    modules
        The module sizes and their yearly costs.
    src, snk, cost
        The arcs: source, sink (existing first, then candidates), yuan/year per t/d.
    time_limit_s
        Stop HiGHS after this many seconds and keep its best answer (``optimal`` False).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    supply, capacity = np.asarray(supply, float), np.asarray(capacity, float)
    src, snk, cost = np.asarray(src, np.int64), np.asarray(snk, np.int64), np.asarray(cost, float)
    forced = np.asarray(forced, dtype=bool)
    n_exist, n_m = len(capacity), len(modules.capacity_t_per_day)
    n_sink = n_exist + n_candidates
    if len(forced) != n_candidates:
        raise ParameterError("forced must have one value per candidate")
    used = np.unique(src) if len(src) else np.zeros(0, np.int64)
    unserved = supply.copy()
    unserved[used] = 0.0
    if not len(src):  # nothing to carry (no arcs, or every village at 0 t/d): forced sites still open
        module = np.where(forced, int(np.argmin(modules.cost_yuan_per_year)), -1)
        cap = np.r_[capacity, np.where(module >= 0, modules.capacity_t_per_day[np.maximum(module, 0)], 0.0)]
        return Sizing(module, cap, Flows(np.zeros(0), unserved, np.zeros(n_sink)),
                      float(modules.cost_yuan_per_year[module[module >= 0]].sum()), True, {})
    biggest = float(modules.capacity_t_per_day.max())
    least = transport(supply, np.r_[capacity, np.full(n_candidates, biggest)], src, snk, cost).overflow.sum()
    m = _Model(supply, capacity, n_candidates, modules, src, snk, cost, used,
               max_overflow=float(least) + 1e-6 * max(1.0, float(supply.sum())))
    integrality = np.r_[np.zeros(m.n_x), np.ones(m.n_y), np.zeros(m.n_o)]
    upper = np.r_[np.full(m.n_x, np.inf), np.ones(m.n_y), np.full(m.n_o, np.inf)]
    opts: dict[str, float] = {"mip_rel_gap": 1e-9}
    if time_limit_s is not None:
        opts["time_limit"] = float(time_limit_s)
    res = milp(m.objective(), constraints=m.constraints(forced, LinearConstraint), integrality=integrality,
               bounds=Bounds(0, upper), options=opts)
    if res.x is None:
        raise RuntimeError(f"the capacitated siting model could not be solved: {res.message}")
    y = res.x[m.n_x:m.n_x + m.n_y].reshape(n_candidates, n_m) > 0.5
    module = np.where(y.any(axis=1), y.argmax(axis=1), -1)
    cap = np.r_[capacity, np.where(module >= 0, modules.capacity_t_per_day[np.maximum(module, 0)], 0.0)]
    flow = _exact(np.clip(res.x[:m.n_x], 0.0, None), supply, src, cost)
    flows = Flows(flow, unserved, _overflow(sink_loads(flow, snk, n_sink), cap), optimal=res.status == 0)
    total = float(cost @ flow + modules.cost_yuan_per_year[module[module >= 0]].sum())
    model = {"arcs": int(m.n_x), "candidates": int(n_candidates), "modules": int(n_m),
             "forced": int(forced.sum()), "optimal": int(res.status == 0)}
    log.info("capacitated siting: %d of %d candidates opened, %.0f yuan/year", int((module >= 0).sum()),
             n_candidates, total)
    return Sizing(module, cap, flows, total, res.status == 0, model)


class _Model:
    """The matrices of the model (variables: arcs x, modules y (candidate-major), overflow o
    of every existing station of finite capacity and every candidate)."""

    def __init__(self, supply: np.ndarray, capacity: np.ndarray, n_cand: int, modules: Modules,
                 src: np.ndarray, snk: np.ndarray, cost: np.ndarray, used: np.ndarray, *,
                 max_overflow: float) -> None:
        self.supply, self.capacity, self.n_cand, self.modules = supply, capacity, n_cand, modules
        self.max_overflow = max_overflow
        self.src, self.snk, self.cost, self.used = src, snk, cost, used
        self.n_exist = len(capacity)
        self.limited = np.flatnonzero(np.isfinite(capacity))
        self.n_x, self.n_m = len(src), len(modules.capacity_t_per_day)
        self.n_y = n_cand * self.n_m
        self.n_o = len(self.limited) + n_cand
        self.n = self.n_x + self.n_y + self.n_o
        self.o_of = np.full(self.n_exist + n_cand, -1, dtype=np.int64)  # sink → its overflow variable
        self.o_of[self.limited] = self.n_x + self.n_y + np.arange(len(self.limited))
        self.o_of[self.n_exist:] = self.n_x + self.n_y + len(self.limited) + np.arange(n_cand)

    def objective(self) -> np.ndarray:
        per_t = self.modules.cost_yuan_per_year / self.modules.capacity_t_per_day
        penalty = 10.0 * (float(np.abs(self.cost).max(initial=0.0)) + float(per_t.max()) + 1.0)
        return np.r_[self.cost, np.tile(self.modules.cost_yuan_per_year, self.n_cand), np.full(self.n_o, penalty)]

    def _y(self, cand: np.ndarray) -> np.ndarray:
        """Column of module 0 of each candidate."""
        return self.n_x + cand * self.n_m

    def constraints(self, forced: np.ndarray, lc: type) -> list:
        rows: list[tuple[np.ndarray, ...]] = [
            self._supply(), self._capacity(), self._closed(), self._arc_open(), self._one_module(forced),
            self._least_overflow()]
        out, r0 = [], 0
        r_all, c_all, v_all, lo_all, hi_all = [], [], [], [], []
        for r, c, v, lo, hi in rows:
            r_all.append(r + r0)
            c_all.append(c)
            v_all.append(v)
            lo_all.append(lo)
            hi_all.append(hi)
            r0 += len(lo)
        a = sp.csr_array((np.concatenate(v_all), (np.concatenate(r_all), np.concatenate(c_all))), shape=(r0, self.n))
        out.append(lc(a, np.concatenate(lo_all), np.concatenate(hi_all)))
        return out

    def _supply(self) -> tuple[np.ndarray, ...]:
        row_of = np.full(len(self.supply), -1, dtype=np.int64)
        row_of[self.used] = np.arange(len(self.used))
        s = self.supply[self.used]
        return row_of[self.src], np.arange(self.n_x), np.ones(self.n_x), s, s

    def _capacity(self) -> tuple[np.ndarray, ...]:
        """One row per limited existing station and per candidate: inflow − modules − overflow ≤ K."""
        sinks = np.r_[self.limited, self.n_exist + np.arange(self.n_cand)]
        row_of = np.full(self.n_exist + self.n_cand, -1, dtype=np.int64)
        row_of[sinks] = np.arange(len(sinks))
        on = row_of[self.snk] >= 0
        cand = np.arange(self.n_cand)
        k = self.modules.capacity_t_per_day
        r = np.r_[row_of[self.snk[on]], np.repeat(row_of[self.n_exist + cand], self.n_m), row_of[sinks]]
        c = np.r_[np.flatnonzero(on), (self._y(cand)[:, None] + np.arange(self.n_m)).ravel(), self.o_of[sinks]]
        v = np.r_[np.ones(int(on.sum())), -np.tile(k, self.n_cand), -np.ones(len(sinks))]
        hi = np.r_[self.capacity[self.limited], np.zeros(self.n_cand)]
        return r, c, v, np.full(len(sinks), -np.inf), hi

    def _closed(self) -> tuple[np.ndarray, ...]:
        """o_j − S Σ_m y_jm ≤ 0 for every candidate."""
        cand = np.arange(self.n_cand)
        big = float(self.supply.sum()) or 1.0
        r = np.r_[cand, np.repeat(cand, self.n_m)]
        c = np.r_[self.o_of[self.n_exist + cand], (self._y(cand)[:, None] + np.arange(self.n_m)).ravel()]
        v = np.r_[np.ones(self.n_cand), np.full(self.n_cand * self.n_m, -big)]
        return r, c, v, np.full(self.n_cand, -np.inf), np.zeros(self.n_cand)

    def _arc_open(self) -> tuple[np.ndarray, ...]:
        """x_a − s_i Σ_m y_jm ≤ 0 for every arc into a candidate."""
        a = np.flatnonzero(self.snk >= self.n_exist)
        cand = self.snk[a] - self.n_exist
        r = np.r_[np.arange(len(a)), np.repeat(np.arange(len(a)), self.n_m)]
        c = np.r_[a, (self._y(cand)[:, None] + np.arange(self.n_m)).ravel()]
        v = np.r_[np.ones(len(a)), -np.repeat(self.supply[self.src[a]], self.n_m)]
        return r, c, v, np.full(len(a), -np.inf), np.zeros(len(a))

    def _least_overflow(self) -> tuple[np.ndarray, ...]:
        """Σ_j o_j ≤ o*: no more overflow than the least any choice allows."""
        cols = np.arange(self.n_x + self.n_y, self.n)
        return (np.zeros(len(cols), np.int64), cols, np.ones(len(cols)), np.array([-np.inf]),
                np.array([self.max_overflow]))

    def _one_module(self, forced: np.ndarray) -> tuple[np.ndarray, ...]:
        cand = np.arange(self.n_cand)
        r = np.repeat(cand, self.n_m)
        c = (self._y(cand)[:, None] + np.arange(self.n_m)).ravel()
        return r, c, np.ones(len(r)), forced.astype(float), np.ones(self.n_cand)
