"""Where to add transfer stations so that collection coverage reaches a target.

The existing stations stay.  Candidate sites (by default every village anchor) cover
the villages within the service radius (same metric and radius as
:func:`geo_env.waste_coverage`).  Two questions, both solved exactly as mixed-integer
programmes with :func:`scipy.optimize.milp` (HiGHS):

* **fewest sites** (``max_new=None``): the fewest new sites that bring the covered share
  of the weight (population by default) to ``target``; among those, the ones that cover
  the most;
* **best k sites** (``max_new=k``): the at most k sites that cover the most weight;
  among those, the fewest.

Model (x_j = 1 when candidate j is built, 0 ≤ y_g ≤ 1 the covered share of village
group g, w_g its weight)::

    fewest(need):  min Σ_j x_j      s.t.  y_g ≤ Σ_{j covers g} x_j,  Σ_g w_g y_g ≥ need
    most(k):       max Σ_g w_g y_g  s.t.  y_g ≤ Σ_{j covers g} x_j,  Σ_j x_j ≤ k

The fewest-sites answer is ``fewest(need)`` = K, then ``most(K)``; the best-k answer is
``most(k)`` = C, then ``fewest(C)``.  (y may stay continuous: with integral x the best y_g
is 1 exactly when a built site covers g.)

Before solving, the model is shrunk without changing its optimum: villages already
covered by existing stations, villages of zero weight and villages no candidate reaches
are left out; villages that the same set of candidates covers are merged (their weights
added); candidates covering nothing are dropped, and so is every candidate whose set of
villages is contained in another's (identical sets keep one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from .._geometry import anchor_points
from .._progress import Steps
from .._validate import number_column
from ..errors import ColumnNotFoundError, ParameterError
from ..io.project import District
from .coverage import (
    _max_connector,
    _settings,
    coverage_by_township,
    coverage_frame,
    layer_ids,
    planar_distance,
    points_xy,
    waste_coverage,
)

__all__ = ["site_transfer_stations", "SitingResult", "choose_sites"]


log = logging.getLogger(__name__)

#: Relative tolerance on weights (coverage target comparisons).
_TOL = 1e-9


@dataclass
class SitingResult:
    """Proposed transfer stations and the coverage they bring.

    Attributes
    ----------
    sites
        The proposed stations (working CRS): ``id`` (``P1``, ``P2`` … by rank), ``rank``
        (1 = covers the most population), ``covers_villages`` and ``covers_population``
        (villages not covered before whose nearest new station this is), ``candidate_id``,
        ``name`` and ``township`` (of the candidate; for village candidates the village's).
    before, after
        :func:`geo_env.waste_coverage` results with the existing stations, and with the
        existing and proposed ones (``station_id`` may then name a proposed site).
    townships
        Coverage by township before and after (:func:`geo_env.coverage_by_township`
        columns, the ``*_after`` ones with the proposed stations).
    proposed_station_of_village
        Per village (index of the villages): the proposed station that newly covers it,
        else None.
    target, weight, max_new, radius_m, metric
        The question asked.
    target_reached
        Whether the covered share of the weight after siting is at least ``target``.
    achievable
        The largest share of the weight that any choice of candidates can cover.
    optimal
        Whether the solver proved the answer optimal (False only after a time limit).
    message
        One sentence for people (in the district's language).
    """

    sites: gpd.GeoDataFrame
    before: gpd.GeoDataFrame
    after: gpd.GeoDataFrame
    townships: pd.DataFrame
    proposed_station_of_village: pd.Series
    target: float
    weight: str
    max_new: int | None
    radius_m: float
    metric: str
    target_reached: bool
    achievable: float
    optimal: bool
    message: str
    share_before: float = 0.0
    share_after: float = 0.0
    model: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The ``siting`` part of the ``waste`` block of summary.json."""
        tab = self.townships
        total = tab.iloc[-1]
        return {
            "target": self.target,
            "weight": self.weight,
            "max_new": self.max_new,
            "target_reached": self.target_reached,
            "optimal": self.optimal,
            "message": self.message,
            "achievable_share": self.achievable,
            "share_before": self.share_before,
            "share_after": self.share_after,
            "proposed_stations": int(len(self.sites)),
            "after": {
                "covered_villages": int(total["covered_villages_after"]),
                "covered_population": float(total["covered_population_after"]),
                "coverage_rate_villages": total["coverage_rate_villages_after"],
                "coverage_rate_population": total["coverage_rate_population_after"],
            },
            "by_township_after": {
                str(r["township"]): {
                    "covered_villages": int(r["covered_villages_after"]),
                    "covered_population": float(r["covered_population_after"]),
                    "coverage_rate_villages": r["coverage_rate_villages_after"],
                    "coverage_rate_population": r["coverage_rate_population_after"],
                }
                for _, r in tab.iloc[:-1].iterrows()
            },
            "model": dict(self.model),
        }

    def __repr__(self) -> str:
        return (f"SitingResult({len(self.sites)} new sites, {self.weight} covered "
                f"{self.share_before:.1%} → {self.share_after:.1%}, target {self.target:.0%}"
                f"{'' if self.target_reached else ' NOT reached'})")


def site_transfer_stations(
    district: District,
    *,
    target: float | None = None,
    max_new: int | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    weight: str = "population",
    radius_m: float | None = None,
    metric: str | None = None,
    time_limit_s: float | None = None,
    coverage: gpd.GeoDataFrame | None = None,
) -> SitingResult:
    """New transfer stations that bring collection coverage to a target.

    Parameters
    ----------
    district
        The district (its existing ``transfer_stations`` are kept).
    target
        Share of the weight to cover, in (0, 1].  Default: the project's ``[waste]
        target_coverage`` (0.95).
    max_new
        If given, choose at most this many sites covering the most weight instead of the
        fewest sites reaching ``target``.
    candidates
        Candidate sites as points in the working CRS (``id``, ``name`` and ``township``
        columns optional).  Default: every village's anchor.
    weight
        ``"population"`` (default), ``"villages"`` (each village counts 1) or the name of
        a numeric, non-negative column of the villages.
    radius_m, metric
        As in :func:`geo_env.waste_coverage` (default: the project's settings).
    time_limit_s
        Stop each of the two solver stages after this many seconds (s) and keep its best
        answer (``optimal`` is then False).  Default: no limit.
    coverage
        The coverage before siting, as :func:`geo_env.waste_coverage` returned it for this
        district (its radius and metric are used); default: computed here.

    Returns
    -------
    SitingResult

    Raises
    ------
    ParameterError
        A bad target, max_new, weight or time limit.
    ColumnNotFoundError
        ``weight`` names a column the villages do not have.
    """
    before = waste_coverage(district, radius_m=radius_m, metric=metric) if coverage is None else coverage
    return _site(district, before, target=target, max_new=max_new, candidates=candidates,
                 weight=weight, time_limit_s=time_limit_s)


def _site(
    district: District,
    before: gpd.GeoDataFrame,
    *,
    target: float | None,
    max_new: int | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    weight: str = "population",
    time_limit_s: float | None = None,
) -> SitingResult:
    """:func:`site_transfer_stations` on the coverage ``before``: choose, assign, measure."""
    radius, metric = before.attrs["waste"]["radius_m"], before.attrs["waste"]["metric"]
    _settings(district, radius, metric)  # validates again (cheap)
    target = _check_target(district, target)
    _check_options(max_new, time_limit_s)
    w = _weights(district.villages, weight)
    with Steps("siting transfer stations", total=3) as step:
        step("distances")
        cxy, cids, cnames, ctowns = _candidates(district, candidates)
        pc, pv, pdist = _pairs(district, cxy, radius, metric)
        covered = before["waste_covered"].to_numpy(bool)
        step("optimisation")
        choice = _choose(pc, pv, w, covered, len(cxy), target=target, max_new=max_new, time_limit_s=time_limit_s)
        sites, newly, ranked = _new_sites(district, choice.chosen, pc, pv, pdist, covered, cxy, cids, cnames,
                                          ctowns)
        step("coverage after")
        st_xy = np.concatenate([points_xy(district.transfer_stations, "transfer_stations"), cxy[ranked]])
        st_ids = np.concatenate([layer_ids(district.transfer_stations), sites["id"].to_numpy(dtype=object)])
        after = coverage_frame(district, st_xy, st_ids, radius, metric)
    w_after = float(w[after["waste_covered"].to_numpy(bool)].sum())
    res = SitingResult(
        sites=sites, before=before, after=after, townships=_before_after(before, after),
        proposed_station_of_village=pd.Series(newly, index=district.villages.index, dtype=object),
        target=target, weight=weight, max_new=max_new, radius_m=radius, metric=metric,
        target_reached=bool(w_after >= target * choice.w_total - choice.tol),
        achievable=choice.share(choice.w_achievable), optimal=choice.optimal, message="",
        share_before=choice.share(choice.w_before), share_after=choice.share(w_after), model=choice.model,
    )
    res.message = _message(res, district.lang, need_met=choice.need <= choice.tol,
                           out_of_reach=int(((~covered) & (w > 0) & ~choice.reachable).sum()))
    log.info("siting: %s", res.message)
    return res


def _check_options(max_new: int | None, time_limit_s: float | None) -> None:
    if max_new is not None and (isinstance(max_new, bool) or not isinstance(max_new, (int, np.integer))
                                or max_new < 0):
        raise ParameterError(f"max_new must be a whole number ≥ 0, not {max_new!r}")
    if time_limit_s is not None and not (isinstance(time_limit_s, (int, float)) and time_limit_s > 0):
        raise ParameterError(f"time_limit_s must be a positive number of seconds, not {time_limit_s!r}")


@dataclass
class _Choice:
    """The chosen candidates (positions) and the weights the choice was made on."""

    chosen: np.ndarray
    optimal: bool
    model: dict[str, int]
    reachable: np.ndarray  # per village: some candidate reaches it (and it is not covered)
    w_total: float
    w_before: float
    w_achievable: float
    need: float  # weight still to cover to reach the target
    tol: float

    def share(self, x: float) -> float:
        return x / self.w_total if self.w_total > 0 else float("nan")


def _choose(pc: np.ndarray, pv: np.ndarray, w: np.ndarray, covered: np.ndarray, n_cand: int, *,
            target: float, max_new: int | None, time_limit_s: float | None) -> _Choice:
    """The candidates to open: the fewest reaching ``target`` (or the ``max_new`` covering
    the most weight) among the uncovered villages of positive weight some candidate reaches."""
    w_total = float(w.sum())
    w_before = float(w[covered].sum())
    tol = _TOL * max(w_total, 1.0)
    keep = ~covered[pv] & (w[pv] > 0)
    pc_m, pv_m = pc[keep], pv[keep]
    reachable = np.zeros(len(w), dtype=bool)
    reachable[pv_m] = True
    w_achievable = w_before + float(w[reachable].sum())
    need = target * w_total - w_before
    none: tuple[np.ndarray, bool, dict[str, int]] = (np.zeros(0, np.int64), True, {})
    if max_new is None:
        goal = min(need, w_achievable - w_before)
        chosen, optimal, model = none if goal <= tol else \
            _solve(pc_m, pv_m, w, n_cand, need=goal - tol, k=None, time_limit=time_limit_s)
    else:
        chosen, optimal, model = none if max_new == 0 or not len(pc_m) \
            else _solve(pc_m, pv_m, w, n_cand, need=None, k=int(max_new), time_limit=time_limit_s)
    return _Choice(chosen, optimal, model, reachable, w_total, w_before, w_achievable, need, tol)


def choose_sites(pc: np.ndarray, pv: np.ndarray, weight: np.ndarray, covered: np.ndarray, n_cand: int, *,
                 target: float, time_limit_s: float | None = None) -> tuple[np.ndarray, bool, float]:
    """The siting engine on any points: the fewest candidates whose pairs bring the covered
    share of ``weight`` to ``target`` (the most weight with that many).

    Parameters
    ----------
    pc, pv
        Candidate–point pairs within the service distance (0-based indices).
    weight
        Per point (≥ 0).
    covered
        Per point: already covered (by existing facilities).
    n_cand
        Number of candidates.
    target
        Share of the weight to cover, in (0, 1].

    Returns
    -------
    chosen : ndarray of int
        The chosen candidates (0-based).
    optimal : bool
        Whether HiGHS proved it optimal.
    achievable : float
        The largest share of the weight any choice of candidates covers.
    """
    choice = _choose(np.asarray(pc, np.int64), np.asarray(pv, np.int64), np.asarray(weight, float),
                     np.asarray(covered, bool), n_cand, target=target, max_new=None, time_limit_s=time_limit_s)
    return choice.chosen, choice.optimal, choice.share(choice.w_achievable)


def _new_sites(district: District, chosen: np.ndarray, pc: np.ndarray, pv: np.ndarray, pdist: np.ndarray,
               covered: np.ndarray, cxy: np.ndarray, cids: np.ndarray, cnames: np.ndarray,
               ctowns: np.ndarray) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """The proposed stations ranked (most population newly covered first) with what each
    newly covers; per village the proposed station that newly covers it (its nearest
    chosen site), else None; and the candidates' positions in rank order."""
    is_chosen = np.zeros(len(cxy), dtype=bool)
    is_chosen[chosen] = True
    m = is_chosen[pc] & ~covered[pv]
    o = np.lexsort((pc[m], pdist[m], pv[m]))
    nv, nc = pv[m][o], pc[m][o]
    firsts = np.r_[True, nv[1:] != nv[:-1]] if len(nv) else np.zeros(0, bool)
    nv, nc = nv[firsts], nc[firsts]
    pop = pd.to_numeric(district.villages["population"], errors="coerce").fillna(0).to_numpy(float)
    cov_v = np.bincount(nc, minlength=len(cxy))[chosen]
    cov_p = np.bincount(nc, weights=pop[nv], minlength=len(cxy))[chosen]
    order = np.lexsort((cids[chosen].astype(str), -cov_v, -cov_p))
    ranked, cov_v, cov_p = chosen[order], cov_v[order], cov_p[order]
    existing_ids = set(layer_ids(district.transfer_stations))
    prefix = "P" if not any(f"P{i + 1}" in existing_ids for i in range(len(ranked))) else "new-P"
    new_ids = np.array([f"{prefix}{i + 1}" for i in range(len(ranked))], dtype=object)
    sites = gpd.GeoDataFrame(
        {"id": pd.Series(new_ids, dtype=object), "rank": np.arange(1, len(ranked) + 1),
         "covers_villages": cov_v.astype(int), "covers_population": cov_p,
         "candidate_id": pd.Series(cids[ranked], dtype=object),
         "name": pd.Series(cnames[ranked], dtype=object),
         "township": pd.Series(ctowns[ranked], dtype=object)},
        geometry=gpd.points_from_xy(cxy[ranked, 0], cxy[ranked, 1]) if len(ranked) else [],
        crs=district.crs,
    )
    id_of = np.full(len(cxy), None, dtype=object)
    id_of[ranked] = new_ids
    newly = np.full(len(district.villages), None, dtype=object)
    newly[nv] = id_of[nc]
    return sites, newly, ranked


def _before_after(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame) -> pd.DataFrame:
    """The township table before siting with the ``…_after`` columns beside."""
    tab = coverage_by_township(before)
    tab_a = coverage_by_township(after)
    for c in ("covered_villages", "coverage_rate_villages", "covered_population", "coverage_rate_population"):
        tab[f"{c}_after"] = tab_a[c].to_numpy()
    return tab


# ---------------------------------------------------------------------------- helpers
def _check_target(district: District, target: float | None) -> float:
    from ..standards import parameter

    if target is None:
        target = (district.params.get("waste") or {}).get(
            "target_coverage", parameter("waste", "target_coverage").default)
    if isinstance(target, bool) or not isinstance(target, (int, float, np.number)) \
            or not 0 < target <= 1:
        raise ParameterError(f"target must be a share in (0, 1], not {target!r}",
                             hint="write 0.95 for 95 %")
    return float(target)


def _weights(villages: gpd.GeoDataFrame, weight: str) -> np.ndarray:
    """Weight per village (population, 1 per village, or a column)."""
    if weight == "villages":
        return np.ones(len(villages))
    if not isinstance(weight, str):
        raise ParameterError(f"weight must be 'population', 'villages' or a column name, "
                             f"not {weight!r}")
    if weight not in villages.columns:
        raise ColumnNotFoundError(f"the villages have no column '{weight}' to weigh by",
                                  layer="villages", column=weight,
                                  hint="use weight='population' or weight='villages'")
    # a blank weight (population unknown) weighs nothing: those villages are left out
    return np.nan_to_num(number_column(villages, weight, layer="villages", blanks=True), nan=0.0)


def _candidates(
    district: District, candidates: gpd.GeoDataFrame | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate coordinates (n, 2) in the working CRS, ids, names and townships."""
    v = district.villages
    if candidates is None:
        xy = anchor_points(v)
        src = v
    else:
        xy = points_xy(candidates, "candidates", district.crs)
        src = candidates
    n = len(xy)

    def col(name: str) -> np.ndarray:
        if name in src.columns:
            return src[name].astype(object).where(src[name].notna(), None).to_numpy(object)
        return np.full(n, None, dtype=object)

    return xy, layer_ids(src), col("name"), col("township")


def _pairs(
    district: District, cxy: np.ndarray, radius: float, metric: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(candidate, village, distance m) for every candidate–village pair within the radius."""
    v = district.villages
    anchors = anchor_points(v)
    if not len(cxy) or not len(anchors):
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    if metric == "straight":
        # a little wider, then the exact test with the same formula as waste_coverage
        m = cKDTree(cxy).sparse_distance_matrix(cKDTree(anchors), radius * (1 + 1e-9) + 1e-9,
                                                output_type="ndarray")
        c, vi = m["i"].astype(np.int64), m["j"].astype(np.int64)
        d = planar_distance(cxy[c], anchors[vi])
        ok = d <= radius
        return c[ok], vi[ok], d[ok]
    from ..network import road_network

    return road_network(district).pair_distances(
        cxy, anchors, max_connector_m=_max_connector(district), limit=radius)


def _reduce(
    pc: np.ndarray, pv: np.ndarray, w: np.ndarray
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """The shrunk coverage matrix (village groups × candidates), group weights, candidates.

    Returns ``A`` (0/1, groups × kept candidates), the weight of each group and the
    original indices of the kept candidates.
    """
    # villages as rows, candidates as columns, duplicates removed
    rows_v, vi = np.unique(pv, return_inverse=True)
    cols_c, ci = np.unique(pc, return_inverse=True)
    A = sp.csr_array((np.ones(len(pv), dtype=np.int32), (vi, ci)),
                     shape=(len(rows_v), len(cols_c)))
    A.sum_duplicates()
    A.data[:] = 1
    # dominated candidates: set(j) ⊆ set(k), j ≠ k (identical sets: keep the lowest index)
    size = np.asarray(A.sum(axis=0)).ravel()
    ov = (A.T @ A).tocoo()
    j, k, n_common = ov.row, ov.col, ov.data
    dom = (j != k) & (n_common == size[j]) & ((size[k] > size[j]) | (k < j))
    keep_c = np.ones(len(cols_c), dtype=bool)
    keep_c[j[dom]] = False
    A = A[:, np.flatnonzero(keep_c)].tocsr()
    cols_c = cols_c[keep_c]
    # villages covered by the same candidates: one group (hash, then verified exactly)
    rng = np.random.default_rng(12345)
    h1 = A @ rng.integers(1, 2**52, A.shape[1]).astype(np.float64)
    h2 = A @ rng.integers(1, 2**52, A.shape[1]).astype(np.float64)
    nnz = np.diff(A.indptr)
    _, first, grp = np.unique(np.stack([nnz, h1, h2], axis=1), axis=0, return_index=True,
                              return_inverse=True)
    grp = np.asarray(grp).ravel()
    rep = first[grp]
    if (A - A[rep]).count_nonzero() == 0:  # exact check of the grouping
        gw = np.bincount(grp, weights=w[rows_v], minlength=len(first))
        A = A[first].tocsr()
    else:  # pragma: no cover - a hash collision; keep villages apart
        gw = w[rows_v]
    return A, gw, cols_c


def _solve(
    pc: np.ndarray, pv: np.ndarray, w: np.ndarray, n_cand: int, *, need: float | None,
    k: int | None, time_limit: float | None,
) -> tuple[np.ndarray, bool, dict[str, int]]:
    """Chosen candidate indices, whether optimal, and the model size."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    if not len(pc):
        return np.zeros(0, np.int64), True, {}
    A, gw, cand = _reduce(pc, pv, w)
    ng, nc = A.shape
    model = {"candidates": int(n_cand), "candidates_kept": int(nc),
             "villages_modelled": int(len(np.unique(pv))), "village_groups": int(ng)}
    link = LinearConstraint(sp.hstack([-A, sp.identity(ng, format="csr")]).tocsr(), -np.inf, 0)
    cover = sp.csr_array(np.r_[np.zeros(nc), gw][None, :])
    count = sp.csr_array(np.r_[np.ones(nc), np.zeros(ng)][None, :])
    integrality = np.r_[np.ones(nc), np.zeros(ng)]
    bounds = Bounds(0, 1)
    opts: dict[str, Any] = {"mip_rel_gap": 0.0}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    gsum = float(gw.sum()) or 1.0

    def run(c: np.ndarray, cons: list[LinearConstraint]) -> tuple[np.ndarray, bool]:
        r = milp(c, constraints=cons, integrality=integrality, bounds=bounds, options=opts)
        if r.x is None:
            raise RuntimeError(f"the siting model could not be solved: {r.message}")
        return r.x[:nc] > 0.5, r.status == 0

    def fewest(goal: float) -> tuple[np.ndarray, bool]:
        return run(np.r_[np.ones(nc), np.zeros(ng)], [link, LinearConstraint(cover, goal, np.inf)])

    def most(kk: int) -> tuple[np.ndarray, bool]:
        return run(np.r_[np.zeros(nc), -gw / gsum], [link, LinearConstraint(count, 0, kk)])

    # Two lexicographic stages, each a plain MILP (one weighted objective for both is far
    # harder for the solver to prove optimal):
    if k is None:  # fewest sites reaching `need`, then the most weight with that many
        assert need is not None  # one of need and k is given
        x, opt1 = fewest(need)
        x, opt2 = most(int(x.sum()))
    else:  # the most weight with ≤ k sites, then the fewest sites covering that much
        x, opt1 = most(k)
        best = float(gw @ np.minimum(1.0, A @ x.astype(float)))
        x, opt2 = fewest(best - _TOL * gsum)
    optimal = opt1 and opt2
    model["optimal"] = int(optimal)
    return cand[x], optimal, model


_MESSAGES = {
    "already": ("现状覆盖率 {before:.1%} 已达到目标 {target:.0%}，无需新增转运站。",
                "Coverage is {before:.1%}, already at the target {target:.0%}: no new station "
                "is needed."),
    "reached": ("新增 {n} 座转运站可使覆盖率由 {before:.1%} 提高到 {after:.1%}，达到目标 {target:.0%}。",
                "{n} new station(s) raise coverage from {before:.1%} to {after:.1%}, reaching "
                "the target {target:.0%}."),
    "unreachable": ("目标 {target:.0%} 无法达到：候选站点最多可覆盖 {best:.1%}"
                    "（{out} 个村在任何候选点服务半径之外）；新增 {n} 座转运站可达 {after:.1%}。",
                    "The target {target:.0%} cannot be reached: the candidates can cover at "
                    "most {best:.1%} ({out} village(s) are beyond the radius of every "
                    "candidate); {n} new station(s) reach {after:.1%}."),
    "max_new": ("在最多新增 {k} 座的条件下，新增 {n} 座转运站可使覆盖率由 {before:.1%} 提高到 "
                "{after:.1%}（目标 {target:.0%}{status}）。",
                "With at most {k} new station(s), {n} raise coverage from {before:.1%} to "
                "{after:.1%} (target {target:.0%}{status})."),
    "by_villages": ("（覆盖率按村数计）", " (coverage counted by villages)"),
    "limit": ("（求解达到时间上限，结果可能不是最优）", " (the solver hit its time limit: the answer "
              "may not be optimal)"),
}


def _message(res: SitingResult, lang: str, *, need_met: bool, out_of_reach: int) -> str:
    i = 0 if lang == "zh" else 1
    f = {"before": res.share_before, "after": res.share_after, "target": res.target,
         "n": len(res.sites), "best": res.achievable, "out": out_of_reach, "k": res.max_new}
    if res.max_new is not None:
        status = ("，已达到" if i == 0 else ", reached") if res.target_reached else \
            ("，未达到" if i == 0 else ", not reached")
        text = _MESSAGES["max_new"][i].format(status=status, **f)
    elif need_met:
        text = _MESSAGES["already"][i].format(**f)
    elif res.target_reached:
        text = _MESSAGES["reached"][i].format(**f)
    else:
        text = _MESSAGES["unreachable"][i].format(**f)
    if not res.optimal:
        text += _MESSAGES["limit"][i]
    if res.weight == "villages":
        text += _MESSAGES["by_villages"][i]
    return text
