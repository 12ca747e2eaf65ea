"""The first link of the waste chain: households to collection points (户集中 → 村收集).

A household is *within* the collection distance when its distance to the nearest
collection point is at most ``[waste] collection_distance_m`` (straight, or along the
roads with ``collection_metric = "road"``).  Households come from ``[layers.households]``
or ``[layers.buildings]`` (points, or polygons located at a point inside them), each
counting its ``households`` cell (blank or no column: 1).  Each belongs to the village
polygon it lies in, else to the village with the nearest anchor.

Collection points to reach ``collection_target`` (share of households) are proposed by the
siting engine (:func:`geo_env.analysis.siting.choose_sites`: the fewest points), the
candidates being the households beyond the distance themselves (one per
``collection_distance_m / 2`` grid cell when there are more than
:data:`MAX_CANDIDATES`).

Without a household layer the link is *not assessed* (the share is None, and the reason
says so).  This module keeps its own small nearest-point kernel (a KD-tree, or the road
network's multi-source Dijkstra).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .._geometry import anchor_points, facility_points
from ..io.project import District
from .coverage import layer_ids, planar_distance, points_xy

__all__ = ["Collection", "collection_links", "household_points", "MAX_CANDIDATES"]

log = logging.getLogger(__name__)

#: Most candidate sites for new collection points (beyond it, one per grid cell).
MAX_CANDIDATES = 5_000


@dataclass
class Collection:
    """Households and their distance to a collection point.

    Attributes
    ----------
    assessed
        False without a household layer (``reason`` says why).
    reason
        Why the link is not assessed, or None.
    households
        Points (working CRS): ``id households village_id distance_m within`` (distance m,
        NaN: no collection point reachable), or None.
    by_village
        Per village with households in the layer: ``village_id name township households
        within beyond`` (households counted by their ``households`` cells).
    proposed
        Proposed collection points (working CRS): ``id households_newly_within`` (``CP-P1`` …).
    share, share_after
        Share of households within the distance, before and with the proposed points
        (None when not assessed or no household).
    distance_m, metric, target, optimal, source
        The settings used; ``source`` is the layer the households came from.
    """

    assessed: bool
    reason: str | None = None
    households: gpd.GeoDataFrame | None = None
    by_village: pd.DataFrame = field(default_factory=pd.DataFrame)
    proposed: gpd.GeoDataFrame | None = None
    share: float | None = None
    share_after: float | None = None
    distance_m: float = 0.0
    metric: str = "straight"
    target: float = 0.0
    optimal: bool = True
    source: str | None = None
    collection_points: int = 0

    def summary(self) -> dict[str, Any]:
        """The ``collection`` block of ``waste.chain`` in summary.json."""
        hh = self.households
        n = float(hh["households"].sum()) if hh is not None else 0.0
        within = float(hh.loc[hh["within"], "households"].sum()) if hh is not None else 0.0
        beyond = self.by_village.loc[self.by_village["beyond"] > 0] if len(self.by_village) else self.by_village
        return {
            "assessed": self.assessed, "reason": self.reason, "source": self.source,
            "distance_m": self.distance_m, "metric": self.metric, "target": self.target,
            "collection_points": None if not self.assessed else int(self.collection_points),
            "households": n if self.assessed else None,
            "households_within": within if self.assessed else None,
            "share": self.share, "share_after": self.share_after,
            "proposed_points": 0 if self.proposed is None else int(len(self.proposed)),
            "optimal": self.optimal,
            "villages_with_households_beyond": {str(r["village_id"]): float(r["beyond"])
                                                for _, r in beyond.iterrows()},
        }


def household_points(district: District) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | None:
    """The households' points (n, 2; working CRS, m), household counts, ids and the layer's
    name (``households``, else ``buildings``); None when the district has neither."""
    for name in ("households", "buildings"):
        gdf = getattr(district, name)
        if gdf is not None and len(gdf):
            xy = facility_points(gdf)
            count = (pd.to_numeric(gdf["households"], errors="coerce").to_numpy(float)
                     if "households" in gdf.columns else np.ones(len(gdf)))
            return xy, np.where(np.isnan(count), 1.0, count), layer_ids(gdf), name
    return None


def _settings(district: District) -> tuple[float, str, float]:
    from ..standards import defaults

    p = {**defaults("waste"), **(district.params.get("waste") or {})}
    metric = p["collection_metric"]
    if metric == "auto":
        metric = "road" if district.roads is not None else "straight"
    if metric == "road" and district.roads is None:
        from ..errors import ParameterError

        raise ParameterError("[waste] collection_metric = \"road\" needs a roads layer",
                             hint='add [layers.roads], or set collection_metric = "straight"')
    return float(p["collection_distance_m"]), metric, float(p["collection_target"])


def _nearest_m(district: District, points: np.ndarray, xy: np.ndarray, metric: str) -> np.ndarray:
    """Distance (m) from each of ``xy`` to the nearest of ``points`` (NaN: none reachable)."""
    if not len(points) or not len(xy):
        return np.full(len(xy), np.nan)
    if metric == "straight":
        _, idx = cKDTree(points).query(xy, k=1, workers=-1)
        return planar_distance(xy, points[np.asarray(idx, dtype=np.int64)])
    from ..network import road_network
    from .coverage import _max_connector

    return road_network(district).distances(points, xy, max_connector_m=_max_connector(district))[0]


def _pairs(district: District, cand: np.ndarray, xy: np.ndarray, metric: str,
           dist: float) -> tuple[np.ndarray, np.ndarray]:
    """Candidate–household pairs within ``dist`` m."""
    if metric == "straight":
        m = cKDTree(cand).sparse_distance_matrix(cKDTree(xy), dist * (1 + 1e-9) + 1e-9, output_type="ndarray")
        c, h = m["i"].astype(np.int64), m["j"].astype(np.int64)
        ok = planar_distance(cand[c], xy[h]) <= dist
        return c[ok], h[ok]
    from ..network import road_network
    from .coverage import _max_connector

    c, h, _ = road_network(district).pair_distances(cand, xy, max_connector_m=_max_connector(district), limit=dist)
    return c, h


def village_of_points(district: District, xy: np.ndarray) -> np.ndarray:
    """Position (in ``district.villages``) of the village each point lies in, else of the
    village with the nearest anchor."""
    v = district.villages
    anchors = anchor_points(v)
    out = np.asarray(cKDTree(anchors).query(xy, k=1)[1], dtype=np.int64) if len(xy) else np.zeros(0, np.int64)
    geoms = np.asarray(v.geometry.values, dtype=object)
    polys = np.isin(shapely.get_type_id(geoms), [3, 6])
    if polys.any() and len(xy):
        idx = np.flatnonzero(polys)
        pt, poly = shapely.STRtree(geoms[idx]).query(shapely.points(xy), predicate="intersects")
        first = np.r_[True, pt[1:] != pt[:-1]] if len(pt) else np.zeros(0, bool)
        out[pt[first]] = idx[poly[first]]
    return out


def _candidates(xy: np.ndarray, beyond: np.ndarray, dist: float) -> np.ndarray:
    """Indices of the households that are candidate sites: those beyond, one per grid cell
    of ``dist / 2`` when more than :data:`MAX_CANDIDATES`."""
    idx = np.flatnonzero(beyond)
    if len(idx) <= MAX_CANDIDATES:
        return idx
    cell = np.floor(xy[idx] / max(dist / 2.0, 1.0)).astype(np.int64)
    _, first = np.unique(cell, axis=0, return_index=True)
    return idx[np.sort(first)]


def collection_links(district: District) -> Collection:
    """Households to collection points: distances, the share within, proposed points.

    Parameters
    ----------
    district
        With ``households`` or ``buildings`` (else the link is not assessed) and optionally
        ``collection_points`` (without them no household is within the distance).

    Returns
    -------
    Collection
    """
    from .siting import choose_sites

    dist, metric, target = _settings(district)
    hh = household_points(district)
    if hh is None:
        reason = ("no [layers.households] or [layers.buildings]: the distance from households to collection "
                  "points is not assessed")
        return Collection(False, reason, distance_m=dist, metric=metric, target=target)
    xy, count, ids, source = hh
    points = points_xy(district.collection_points, "collection_points", district.crs)
    d = _nearest_m(district, points, xy, metric)
    within = np.nan_to_num(d, nan=np.inf) <= dist
    village = village_of_points(district, xy)
    cand = _candidates(xy, ~within & (count > 0), dist)
    chosen, optimal = np.zeros(0, np.int64), True
    if len(cand):
        pc, ph = _pairs(district, xy[cand], xy, metric, dist)
        chosen, optimal, _ = choose_sites(pc, ph, count, within, len(cand), target=target)
        newly = np.zeros(len(xy), dtype=bool)
        newly[ph[np.isin(pc, chosen)]] = True
        newly &= ~within
    else:
        pc = ph = np.zeros(0, np.int64)
        newly = np.zeros(len(xy), dtype=bool)
    res = Collection(True, None, distance_m=dist, metric=metric, target=target, optimal=optimal, source=source)
    res.collection_points = len(points)
    res.households = gpd.GeoDataFrame(
        {"id": pd.Series(ids, dtype=object), "households": count,
         "village_id": pd.Series(layer_ids(district.villages)[village], dtype=object),
         "distance_m": d, "within": within},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=district.crs)
    res.by_village = _by_village(district, village, count, within)
    res.proposed = _proposed(district, xy, cand[chosen], pc, ph, chosen, count, within)
    total = float(count.sum())
    res.share = float(count[within].sum() / total) if total > 0 else None
    res.share_after = float(count[within | newly].sum() / total) if total > 0 else None
    log.info("collection: %s of households within %.0f m (%s)", res.share, dist, metric)
    return res


def _by_village(district: District, village: np.ndarray, count: np.ndarray, within: np.ndarray) -> pd.DataFrame:
    v = district.villages
    n = len(v)
    tot = np.bincount(village, weights=count, minlength=n)
    win = np.bincount(village, weights=count * within, minlength=n)
    has = np.bincount(village, minlength=n) > 0
    out = pd.DataFrame({
        "village_id": layer_ids(v), "name": v["name"].astype(str).to_numpy() if "name" in v.columns else "",
        "township": v["township"].astype(str).to_numpy() if "township" in v.columns else "",
        "households": tot, "within": win, "beyond": tot - win})
    return out.loc[has].sort_values(["beyond", "village_id"], ascending=[False, True]).reset_index(drop=True)


def _proposed(district: District, xy: np.ndarray, sites: np.ndarray, pc: np.ndarray, ph: np.ndarray,
              chosen: np.ndarray, count: np.ndarray, within: np.ndarray) -> gpd.GeoDataFrame:
    """The proposed collection points with the households each newly brings within."""
    newly = np.zeros(len(chosen))
    if len(chosen):
        order = np.argsort(chosen)
        keep = np.isin(pc, chosen) & ~within[ph]
        # each household counted once, at the first chosen site that reaches it
        o = np.lexsort((pc[keep], ph[keep]))
        h, c = ph[keep][o], pc[keep][o]
        first = np.r_[True, h[1:] != h[:-1]] if len(h) else np.zeros(0, bool)
        np.add.at(newly, order[np.searchsorted(chosen[order], c[first])], count[h[first]])
    return gpd.GeoDataFrame(
        {"id": pd.Series([f"CP-P{k + 1}" for k in range(len(sites))], dtype=object),
         "households_newly_within": newly},
        geometry=gpd.points_from_xy(xy[sites, 0], xy[sites, 1]) if len(sites) else [], crs=district.crs)
