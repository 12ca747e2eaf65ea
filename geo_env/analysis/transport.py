"""Tonnes from sources to sinks: the nearest sink, or the transportation problem.

The waste chain moves each village's waste to a transfer station and each station's load
to a treatment facility.  Both links are solved here, on *arcs*: the source–sink pairs a
source may use, each with its cost per tonne (the distance, km, for the chain).

* :func:`nearest_flows`: every source sends all it has along its cheapest arc (ties: the
  first arc given) — how collection works today, sink capacities ignored;
* :func:`transport`: the transportation problem, solved as a linear programme with
  :func:`scipy.optimize.linprog` (HiGHS dual simplex)::

      min  Σ_a c_a x_a + P Σ_j o_j
      s.t. Σ_{a from i} x_a = s_i          every source sends all it has
           Σ_{a into j} x_a − o_j ≤ K_j    (sinks of finite capacity K_j)
           x, o ≥ 0

  ``o_j`` is the overflow of sink j, priced at ``P`` = 10 × (the largest arc cost + 1) per
  tonne, more than any detour saves: the optimum overflows only when the capacities within
  reach of some sources cannot take what they send — then the overflow is *reported*, never
  hidden.  A basic optimum (simplex) splits at most (sinks − 1) sources between two sinks.

Sources without any arc send nothing (``unserved``).  Flows are rescaled per source so
that they add up to its supply exactly: mass balance holds to rounding, whatever the
solver's tolerances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError

__all__ = ["Flows", "nearest_flows", "transport", "sink_loads"]


@dataclass
class Flows:
    """Tonnes per day along each arc, and what could not go anywhere.

    Attributes
    ----------
    flow
        Per arc (same order as the arcs given), t/d, ≥ 0.
    unserved
        Per source: the supply it could not send (t/d): sources without any arc.
    overflow
        Per sink: the load above its capacity (t/d), 0 where within capacity or unlimited.
    optimal
        Whether the solver proved the flows optimal (``nearest_flows``: True).
    """

    flow: np.ndarray
    unserved: np.ndarray
    overflow: np.ndarray
    optimal: bool = True


def _check_arcs(supply: np.ndarray, n_sinks: int, src: np.ndarray, snk: np.ndarray, cost: np.ndarray) -> None:
    if not (len(src) == len(snk) == len(cost)):
        raise ParameterError("arc arrays must have the same length")
    if len(src) and (src.min() < 0 or src.max() >= len(supply) or snk.min() < 0 or snk.max() >= n_sinks):
        raise ParameterError("an arc names a source or sink that does not exist")
    if not (np.isfinite(cost).all() and np.isfinite(supply).all() and (supply >= 0).all()):
        raise ParameterError("supplies must be finite and ≥ 0, arc costs finite")


def sink_loads(flows: np.ndarray, snk: np.ndarray, n_sinks: int) -> np.ndarray:
    """Tonnes arriving at each sink (t/d)."""
    return np.bincount(snk, weights=flows, minlength=n_sinks).astype(float)


def _overflow(load: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        over = np.where(np.isfinite(capacity), load - capacity, 0.0)
    # rounding of the solver (1e-9 t) is no overflow
    return np.where(over > 1e-6 * np.maximum(1.0, np.nan_to_num(capacity, posinf=0.0)), over, 0.0)


def nearest_flows(supply: np.ndarray, capacity: np.ndarray, src: np.ndarray, snk: np.ndarray,
                  cost: np.ndarray) -> Flows:
    """Every source sends its whole supply along its cheapest arc (first on ties).

    Parameters
    ----------
    supply
        Per source, t/d.
    capacity
        Per sink, t/d (``inf``: unlimited); used only to report the overflow.
    src, snk, cost
        The arcs: source index, sink index, cost per tonne.
    """
    supply = np.asarray(supply, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    src, snk, cost = np.asarray(src, np.int64), np.asarray(snk, np.int64), np.asarray(cost, float)
    _check_arcs(supply, len(capacity), src, snk, cost)
    flow = np.zeros(len(src))
    if len(src):
        order = np.lexsort((np.arange(len(src)), cost, src))
        first = order[np.r_[True, src[order][1:] != src[order][:-1]]]
        flow[first] = supply[src[first]]
    unserved = supply.copy()
    unserved[np.unique(src)] = 0.0
    return Flows(flow, unserved, _overflow(sink_loads(flow, snk, len(capacity)), capacity))


def transport(supply: np.ndarray, capacity: np.ndarray, src: np.ndarray, snk: np.ndarray,
              cost: np.ndarray, *, time_limit_s: float | None = None) -> Flows:
    """The cheapest flows within the sinks' capacities (see the module docstring).

    Parameters
    ----------
    supply
        Per source, t/d (≥ 0).
    capacity
        Per sink, t/d (≥ 0; ``inf``: unlimited).
    src, snk, cost
        The arcs: source index, sink index, cost per tonne (≥ 0 or any finite number).
    time_limit_s
        Stop the solver after this many seconds (``optimal`` is then False).

    Returns
    -------
    Flows
    """
    from scipy.optimize import linprog

    supply = np.asarray(supply, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    src, snk, cost = np.asarray(src, np.int64), np.asarray(snk, np.int64), np.asarray(cost, float)
    _check_arcs(supply, len(capacity), src, snk, cost)
    n_arcs, n_sinks = len(src), len(capacity)
    used = np.unique(src) if n_arcs else np.zeros(0, np.int64)
    unserved = supply.copy()
    unserved[used] = 0.0
    flow = np.zeros(n_arcs)
    if not n_arcs or not supply[used].sum() > 0:
        return Flows(flow, unserved, np.zeros(n_sinks))
    limited = np.flatnonzero(np.isfinite(capacity))
    penalty = 10.0 * (float(np.abs(cost).max()) + 1.0)
    row_of = np.full(len(supply), -1, dtype=np.int64)
    row_of[used] = np.arange(len(used))
    a_eq = sp.csr_array((np.ones(n_arcs), (row_of[src], np.arange(n_arcs))),
                        shape=(len(used), n_arcs + len(limited)))
    lim_row = np.full(n_sinks, -1, dtype=np.int64)
    lim_row[limited] = np.arange(len(limited))
    on = lim_row[snk] >= 0
    a_ub = sp.csr_array((np.r_[np.ones(int(on.sum())), -np.ones(len(limited))],
                         (np.r_[lim_row[snk[on]], np.arange(len(limited))],
                          np.r_[np.flatnonzero(on), n_arcs + np.arange(len(limited))])),
                        shape=(len(limited), n_arcs + len(limited)))
    options = {} if time_limit_s is None else {"time_limit": float(time_limit_s)}
    res = linprog(np.r_[cost, np.full(len(limited), penalty)], A_ub=a_ub if len(limited) else None,
                  b_ub=capacity[limited] if len(limited) else None, A_eq=a_eq, b_eq=supply[used],
                  bounds=(0, None), method="highs-ds", options=options)
    if res.x is None:  # pragma: no cover - the model is always feasible (overflow is free to grow)
        raise RuntimeError(f"the transportation problem could not be solved: {res.message}")
    flow = _exact(np.clip(res.x[:n_arcs], 0.0, None), supply, src, cost)
    return Flows(flow, unserved, _overflow(sink_loads(flow, snk, n_sinks), capacity), optimal=res.status == 0)


def _exact(flow: np.ndarray, supply: np.ndarray, src: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Flows rescaled so each source sends exactly its supply (the solver's tolerance is
    about 1e-7 t); a source left with nothing sends its supply along its cheapest arc."""
    dust = flow < 1e-9 * np.maximum(1.0, supply[src])
    flow = np.where(dust, 0.0, flow)
    sent = np.bincount(src, weights=flow, minlength=len(supply))
    empty = (sent <= 0) & (supply > 0)
    if empty[src].any():  # pragma: no cover - only after a time limit
        order = np.lexsort((cost, src))
        first = order[np.r_[True, src[order][1:] != src[order][:-1]]]
        pick = first[empty[src[first]]]
        flow[pick] = supply[src[pick]]
        sent = np.bincount(src, weights=flow, minlength=len(supply))
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(sent > 0, supply / sent, 0.0)
    return flow * scale[src]
