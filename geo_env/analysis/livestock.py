"""Livestock farms (畜禽养殖场): pig equivalents, setbacks and the manure–land balance.

Three questions of 畜禽粪污资源化 planning, answered with the guidelines' numbers
(every default and its source is in :mod:`geo_env.standards`, section ``[livestock]``):

* **How much manure?** Each farm's head count is converted to pig equivalents (猪当量) with
  the factors of 农办牧〔2018〕1号 (default) or GB 18596-2001 (``factors = "gb18596"``);
  nitrogen and phosphorus follow from the pig equivalents.
* **Too close?** :func:`livestock_check` measures each farm's distance to the villages
  (0 inside a village polygon when the polygons are settlements; to the village anchors when
  they are administrative territories that tile the district), to surface water and to sewage
  plants, tests it against the HJ/T 81-2001 setbacks, and flags farms inside no-farming
  zones (禁养区).
* **Can the land take it?** :func:`manure_balance` compares, per village and per township, the
  pig equivalents with the carrying capacity of the farmland there (土地承载力), and for
  overloaded villages finds the villages with spare land within the transport distance that
  could take the surplus (a transport linear programme solved with HiGHS).

Every distance is planar in the district's working CRS (metres; see docs/DESIGN.md, "Geometry
rules"). A farm belongs to the village polygon it lies in, else to the nearest village.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from .._geometry import anchor_points
from .._validate import number_column
from ..errors import (
    ColumnNotFoundError,
    DataValueError,
    DataWarning,
    LayerNotFoundError,
    ParameterError,
    format_rows,
)
from ..io.project import District
from ..species import SPECIES, parse_species, species_code
from ..standards import defaults, parameter

__all__ = [
    "SPECIES",
    "MU_M2",
    "parse_species",
    "pig_equivalents",
    "livestock_check",
    "manure_balance",
    "balance",
    "Balance",
    "livestock_params",
    "load_ratio",
]

log = logging.getLogger(__name__)

#: Square metres in one mu (亩): 1 mu = 10 000 / 15 m².
MU_M2 = 10_000.0 / 15.0

#: Pig equivalents per head on hand (存栏), by factor set (sources: standards.py, factors).
_FACTORS: dict[str, dict[str, float]] = {
    "guideline2018": {
        "pig": 1.0, "dairy_cow": 100 / 15, "beef_cattle": 100 / 30, "sheep": 100 / 250,
        "layer": 100 / 2500, "broiler": 100 / 2500, "poultry": 100 / 2500,
    },
    "gb18596": {
        "pig": 1.0, "dairy_cow": 10.0, "beef_cattle": 5.0, "sheep": 1 / 3,
        "layer": 1 / 30, "broiler": 1 / 60, "poultry": 1 / 30,
    },
}


_LAYER = "livestock_farms"


# ---------------------------------------------------------------------------------------
# species and pig equivalents
# ---------------------------------------------------------------------------------------
def pig_equivalents(species: Iterable[object], head: Iterable[float], *,
                    factors: str = "guideline2018", head_is: str = "stock",
                    cycle_days: Mapping[str, float] | None = None) -> np.ndarray:
    """Pig equivalents (猪当量) of head counts.

    Parameters
    ----------
    species
        Species names (English or Chinese, see :func:`parse_species`).
    head
        Head counts: stock on hand (存栏), or annual output (出栏) when ``head_is="output"``.
    factors
        ``"guideline2018"`` (农办牧〔2018〕1号) or ``"gb18596"`` (GB 18596-2001).
    head_is
        ``"stock"`` or ``"output"``. Output is converted to stock on hand as
        ``output × cycle_days[species] / 365`` before the (stock-based) factor applies.
    cycle_days
        Days on farm by species code; defaults to ``[livestock] cycle_days``.

    Returns
    -------
    numpy.ndarray
        Pig equivalents (stock basis), one per input.
    """
    p = _resolve({"factors": factors, "head_is": head_is,
                  **({} if cycle_days is None else {"cycle_days": cycle_days})})
    codes = parse_species(species)
    return _pe(codes, np.asarray(list(head), dtype=float), p)


def _stock(codes: np.ndarray, head: np.ndarray, p: Mapping[str, Any]) -> np.ndarray:
    """Head on hand (存栏) from the input head counts."""
    if p["head_is"] == "stock":
        return head.astype(float)
    days = np.array([p["cycle_days"][c] for c in codes], dtype=float)
    return head * days / 365.0


def _pe(codes: np.ndarray, head: np.ndarray, p: Mapping[str, Any]) -> np.ndarray:
    table = _FACTORS[p["factors"]]
    factor = np.array([table[c] for c in codes], dtype=float)
    return _stock(codes, head, p) * factor


def _scale_farm(codes: np.ndarray, head: np.ndarray, pe: np.ndarray,
                p: Mapping[str, Any]) -> np.ndarray:
    """Whether each farm reaches the scale-farm (规模养殖场) threshold, compared as stock."""
    thresholds, basis, days = p["scale_thresholds"], p["scale_threshold_basis"], p["cycle_days"]

    def as_stock(code: str) -> float:
        t = float(thresholds[code])
        return t * days[code] / 365.0 if basis.get(code, "stock") == "output" else t

    stock = _stock(codes, head, p)
    pig_pe = as_stock("pig") * _FACTORS[p["factors"]]["pig"] if "pig" in thresholds else np.inf
    own = np.array([as_stock(c) if c in thresholds else np.nan for c in codes], dtype=float)
    has = np.isfinite(own)
    return np.where(has, stock >= np.where(has, own, 0.0), pe >= pig_pe)


# ---------------------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------------------
def _resolve(overrides: Mapping[str, Any], district: District | None = None) -> dict[str, Any]:
    """``[livestock]`` defaults, then the district's settings, then keyword overrides."""
    p = defaults("livestock")
    if district is not None:
        p.update(copy.deepcopy(dict(district.params.get("livestock", {}))))
    for key, value in overrides.items():
        if value is not None:
            p[key] = parameter("livestock", key).validate(value)
    base = defaults("livestock")
    p["cycle_days"] = _species_map(p["cycle_days"], base["cycle_days"], "cycle_days", "positive")
    p["scale_thresholds"] = _species_map(p["scale_thresholds"], base["scale_thresholds"],
                                         "scale_thresholds", "positive")
    p["scale_threshold_basis"] = _species_map(p["scale_threshold_basis"],
                                              base["scale_threshold_basis"],
                                              "scale_threshold_basis", ("stock", "output"))
    for key in ("factors", "head_is", "residential_basis"):
        parameter("livestock", key).validate(p[key])
    return p


#: Per-species numbers (days on farm, head thresholds) beyond this are typing errors.
_SPECIES_MAX = 1e7


def _species_map(given: Mapping[str, Any], base: Mapping[str, Any], name: str,
                 check: Any) -> dict[str, Any]:
    """A per-species table merged over its default; keys may be any accepted species name."""
    if not isinstance(given, Mapping):
        raise ParameterError(f"[livestock] {name} must be a table {{ species = value }}")
    out = dict(base)
    for key, value in given.items():
        code = species_code(key)
        if code is None:
            raise ParameterError(f"[livestock] {name}: unknown species {key!r}",
                                 hint=f"use one of {', '.join(SPECIES)}")
        if isinstance(check, tuple):
            if value not in check:
                raise ParameterError(f"[livestock] {name}.{key} = {value!r} is not one of "
                                     f"{', '.join(map(repr, check))}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < _SPECIES_MAX:
            raise ParameterError(f"[livestock] {name}.{key} must be a number greater than 0 "
                                 f"and below {_SPECIES_MAX:g}, not {value!r}")
        out[code] = value
    return out


# ---------------------------------------------------------------------------------------
# farms: validation, assignment to villages, distances
# ---------------------------------------------------------------------------------------
@dataclass
class _Farms:
    gdf: gpd.GeoDataFrame  # the input layer
    codes: np.ndarray
    head: np.ndarray
    pe: np.ndarray
    village: np.ndarray  # position in district.villages: containing, else nearest


def _geoms(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(gdf.geometry.values, dtype=object)


def _nearest(src: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index (lowest on ties) and distance (m) of the nearest target of every source.

    0 when the source lies in or on a target. Vectorised with a shapely STRtree.
    """
    tree = shapely.STRtree(targets)
    (i_src, i_tgt), dist = tree.query_nearest(src, return_distance=True, all_matches=True)
    order = np.lexsort((i_tgt, i_src))
    i_src, i_tgt, dist = i_src[order], i_tgt[order], dist[order]
    first = np.unique(i_src, return_index=True)[1]
    idx = np.full(len(src), -1, dtype=np.int64)
    d = np.full(len(src), np.nan)
    idx[i_src[first]] = i_tgt[first]
    d[i_src[first]] = dist[first]
    return idx, d


def _distance_to(src: np.ndarray, layer: gpd.GeoDataFrame | None) -> np.ndarray:
    """Distance (m) from each source geometry to the nearest feature of ``layer`` (NaN if none)."""
    if layer is None or len(layer) == 0:
        return np.full(len(src), np.nan)
    geoms = _geoms(layer)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        return np.full(len(src), np.nan)
    return _nearest(src, geoms)[1]


def _farms(d: District, p: Mapping[str, Any]) -> _Farms:
    farms = d.livestock_farms
    if farms is None:
        raise LayerNotFoundError("the district has no livestock_farms layer", layer=_LAYER,
                                 hint="add [layers.livestock_farms] to the project file")
    for col in ("id", "species"):
        if col not in farms.columns:
            raise ColumnNotFoundError(f"required column '{col}' is missing", layer=_LAYER,
                                      column=col, hint="map it in [layers.livestock_farms] "
                                                       "columns = { ... }")
    codes = parse_species(farms["species"], ids=farms["id"])
    # a blank (or absent) head is unknown: no pig equivalents, setbacks still checked
    head = number_column(farms, "head", layer=_LAYER, what="a number of animals, 0 or more",
                         required=False, blanks=True)
    geoms = _geoms(farms)
    empty = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(empty):
        raise DataValueError(f"farms without a location (rows {format_rows(list(empty + 1))})",
                             layer=_LAYER, row=int(empty[0]) + 1,
                             hint="give every farm coordinates, or remove the row")
    village = _nearest(geoms, _geoms(d.villages))[0]
    return _Farms(farms, codes, head, _pe(codes, head, p), village)


def livestock_check(district: District, *, factors: str | None = None,
                    head_is: str | None = None, residential_setback_m: float | None = None,
                    water_setback_m: float | None = None,
                    residential_basis: str | None = None) -> gpd.GeoDataFrame:
    """Pig equivalents, scale class and setback checks of every livestock farm.

    Parameters
    ----------
    district
        A :class:`~geo_env.District` with a ``livestock_farms`` layer (points or farm
        polygons, working CRS, columns ``id species head`` and optionally ``name``).
    factors, head_is, residential_setback_m, water_setback_m, residential_basis
        Override the district's ``[livestock]`` settings (see :mod:`geo_env.standards`):
        conversion factors (``"guideline2018"`` or ``"gb18596"``), whether ``head`` is stock
        (存栏) or annual output (出栏), the setbacks in m (defaults 500 m and 400 m,
        HJ/T 81-2001 3.2 and 5), and whether the village distance is measured to the village
        polygons (``"polygon"``, 0 inside: settlement outlines) or to their anchors
        (``"anchor"``: for administrative territories, 村界); ``"auto"`` (default) picks
        ``"polygon"`` unless at least half of the polygons have a neighbour within 20 m
        (territories tile the district; settlement outlines lie apart).

    Returns
    -------
    geopandas.GeoDataFrame
        Aligned to the farms' index, in the working CRS: ``id name species`` (canonical code)
        ``head pig_equivalents nitrogen_kg_per_year phosphorus_kg_per_year scale_farm
        village_id township nearest_village_distance_m water_distance_m
        sewage_plant_distance_m`` (m; NaN when the layer is absent) ``in_prohibited_zone
        near_village near_water setback_ok issues`` (readable, in ``district.lang``),
        then the input's other columns; ``.attrs["residential_basis"]`` says how the village
        distance was measured. A farm on a zone's boundary is inside it; a farm exactly at
        the setback distance passes (the standards say "not less than").
    """
    p = _resolve({"factors": factors, "head_is": head_is,
                  "residential_setback_m": residential_setback_m,
                  "water_setback_m": water_setback_m,
                  "residential_basis": residential_basis}, district)
    f = _farms(district, p)
    farms, n = f.gdf, len(f.gdf)
    geoms = _geoms(farms)
    villages = district.villages

    basis = _residential_basis(villages, p["residential_basis"])
    if basis == "anchor":
        anchors = np.asarray(shapely.points(anchor_points(villages)), dtype=object)
        village_d = _nearest(geoms, anchors)[1]
    else:
        village_d = _distance_to(geoms, villages)
    water_d = _distance_to(geoms, district.water)
    sewage_d = _distance_to(geoms, district.sewage_plants)
    in_zone = np.zeros(n, dtype=bool)
    zones = district.prohibited_zones
    if zones is not None and len(zones) and n:
        hit = shapely.STRtree(_geoms(zones)).query(geoms, predicate="intersects")
        in_zone[hit[0]] = True

    res_m, water_m = float(p["residential_setback_m"]), float(p["water_setback_m"])
    near_village = village_d < res_m
    near_water = np.nan_to_num(water_d, nan=np.inf) < water_m
    ok = ~(near_village | near_water | in_zone)

    out = pd.DataFrame(index=farms.index)
    out["id"] = farms["id"].astype(str)
    out["name"] = farms["name"] if "name" in farms.columns else out["id"]
    out["species"] = f.codes
    out["head"] = f.head
    out["pig_equivalents"] = f.pe
    out["nitrogen_kg_per_year"] = f.pe * float(p["n_per_pig_equivalent_kg"])
    out["phosphorus_kg_per_year"] = f.pe * float(p["p_per_pig_equivalent_kg"])
    out["scale_farm"] = _scale_farm(f.codes, f.head, f.pe, p).astype(bool)
    out["village_id"] = villages["id"].astype(str).to_numpy()[f.village]
    out["township"] = villages["township"].to_numpy()[f.village]
    out["nearest_village_distance_m"] = village_d
    out["water_distance_m"] = water_d
    out["sewage_plant_distance_m"] = sewage_d
    out["in_prohibited_zone"] = in_zone
    out["near_village"] = near_village
    out["near_water"] = near_water
    out["setback_ok"] = ok
    out["issues"] = _issue_texts(village_d, water_d, near_village, near_water, in_zone,
                                 res_m, water_m, district.lang, head_unknown=np.isnan(f.head))
    extra = [c for c in farms.columns if c not in out.columns and c != farms.geometry.name]
    for c in extra:
        out[c] = farms[c]
    result = gpd.GeoDataFrame(out, geometry=farms.geometry.values, crs=farms.crs)
    result.attrs["residential_basis"] = basis
    return result


#: 'auto' treats village polygons as administrative territories (村界) when at least this
#: share of them has another village polygon within :data:`_NEIGHBOUR_GAP_M` — territories
#: tile the district, settlement outlines lie apart (a geo_env modelling choice).  A share
#: of villages, not a shape of the whole: one misplaced village cannot flip it.
_TERRITORY_SHARE = 0.5
#: Gap (m) between two village polygons that still makes them neighbours (hand-digitised
#: territories leave slivers of a few metres).
_NEIGHBOUR_GAP_M = 20.0


def _residential_basis(villages: gpd.GeoDataFrame, basis: str) -> str:
    """'polygon' or 'anchor': what the distance from a farm to a village is measured to."""
    if basis != "auto":
        return basis
    geoms = _geoms(villages)
    if len(geoms) < 2 or not bool(np.all(shapely.get_dimensions(geoms) == 2)):
        return "anchor"
    i, j = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=_NEIGHBOUR_GAP_M)
    neighbours = np.zeros(len(geoms), dtype=bool)
    neighbours[i[i != j]] = True
    return "anchor" if neighbours.mean() >= _TERRITORY_SHARE else "polygon"


def _issue_texts(village_d: np.ndarray, water_d: np.ndarray, near_village: np.ndarray,
                 near_water: np.ndarray, in_zone: np.ndarray, res_m: float, water_m: float,
                 lang: str, head_unknown: np.ndarray | None = None) -> list[str]:
    zh = lang == "zh"
    if head_unknown is None:
        head_unknown = np.zeros(len(village_d), dtype=bool)
    sep = "；" if zh else "; "
    texts = []
    # distances shown rounded down, so a farm 499.6 m away reads "499 m (< 500 m)"
    village_d, water_d = np.floor(village_d), np.floor(water_d)
    for vd, wd, nv, nw, z, hu in zip(village_d, water_d, near_village, near_water, in_zone, head_unknown):
        parts = ["存栏量缺失，未计猪当量" if zh else "head unknown: no pig equivalents counted"] if hu else []
        if nv:
            parts.append(f"距居民点 {vd:.0f} m（< {res_m:.0f} m）" if zh
                         else f"{vd:.0f} m from a village (< {res_m:.0f} m)")
        if nw:
            parts.append(f"距水体 {wd:.0f} m（< {water_m:.0f} m）" if zh
                         else f"{wd:.0f} m from water (< {water_m:.0f} m)")
        if z:
            parts.append("位于禁养区" if zh else "in a no-farming zone")
        texts.append(sep.join(parts))
    return texts


# ---------------------------------------------------------------------------------------
# manure–land balance
# ---------------------------------------------------------------------------------------
def _farmland_mu(d: District) -> tuple[np.ndarray, str]:
    """Farmland (mu) per village and where it came from: the farmland layer intersected with
    the village polygons when both exist, else the villages' ``farmland_mu`` column."""
    villages = d.villages
    vgeoms = _geoms(villages)
    polygonal = bool(np.all(shapely.get_dimensions(vgeoms) == 2))
    if d.farmland is not None and len(d.farmland) and polygonal:
        land = _without_overlaps(_geoms(d.farmland))
        iv, il = shapely.STRtree(land).query(vgeoms, predicate="intersects")
        area = shapely.area(shapely.intersection(vgeoms[iv], land[il]))
        return np.bincount(iv, weights=area, minlength=len(vgeoms)) / MU_M2, "farmland_layer"
    if "farmland_mu" in villages.columns:
        mu = pd.to_numeric(villages["farmland_mu"], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(mu < 0)
        if len(bad):
            raise DataValueError(f"farmland_mu must be 0 or more, not {mu[bad[0]]!r}",
                                 layer="villages", column="farmland_mu", row=int(bad[0]) + 1)
        missing = np.flatnonzero(np.isnan(mu))
        if len(missing):
            log.info("villages rows %s have no farmland_mu: counted as 0 mu",  # the reader warns
                     format_rows(list(missing + 1)))
        return np.nan_to_num(mu, nan=0.0), "farmland_mu_column"
    hint = ("the farmland layer needs village polygons to be intersected with; "
            if d.farmland is not None else "")
    raise ColumnNotFoundError(
        "the manure balance needs farmland: a farmland_mu column on the villages or a "
        "farmland polygon layer", layer="villages", column="farmland_mu",
        hint=hint + "add farmland_mu (mu per village) to the villages, or "
                    "[layers.farmland] polygons to the project")


def _without_overlaps(geoms: np.ndarray) -> np.ndarray:
    """Polygons whose interiors overlap are merged, so shared area counts once.

    Land-survey farmland layers tile without overlaps; the check (interiors intersecting,
    DE-9IM ``T********``) costs a few seconds for 50 000 parcels, a union of all of them
    far more.
    """
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    hit = shapely.relate_pattern(geoms[i], geoms[j], "T********")
    if not hit.any():
        return geoms
    bad = np.zeros(len(geoms), dtype=bool)
    bad[i[hit]] = bad[j[hit]] = True
    warnings.warn(f"farmland: {int(bad.sum())} polygons overlap; their union is used (no area counted twice)",
                  DataWarning, stacklevel=3)
    return np.concatenate([geoms[~bad], np.array([shapely.union_all(geoms[bad])], dtype=object)])


def _capacity_per_mu(p: Mapping[str, Any]) -> tuple[float, float]:
    """Pig equivalents one mu of the reference crop takes up, on nitrogen and on phosphorus.

    manure nutrient demand per mu = yield/100 × uptake per 100 kg × fertilizer share ×
    manure share / manure utilisation; divided by the nutrient supplied per pig
    equivalent (excretion × retention). 农办牧〔2018〕1号's method, one crop.
    """
    y = float(p["crop_yield_kg_per_mu"]) / 100.0
    shares = float(p["fertilizer_share"]) * float(p["manure_share"])
    keep = float(p["nutrient_retention"])
    n = y * float(p["crop_n_per_100kg"]) * shares / float(p["manure_n_utilisation"])
    ph = y * float(p["crop_p_per_100kg"]) * shares / float(p["manure_p_utilisation"])
    return (n / (float(p["n_per_pig_equivalent_kg"]) * keep),
            ph / (float(p["p_per_pig_equivalent_kg"]) * keep))


def load_ratio(pe: ArrayLike, cap: ArrayLike) -> np.ndarray:
    """pe / cap; ``inf`` where there is manure and no capacity, 0 where there is neither."""
    pe, cap = np.asarray(pe, float), np.asarray(cap, float)
    out = np.zeros_like(pe)
    pos = cap > 0
    out[pos] = pe[pos] / cap[pos]
    out[~pos & (pe > 0)] = np.inf
    return out


def _transfers(xy: np.ndarray, surplus: np.ndarray, spare: np.ndarray,
               max_m: float) -> pd.DataFrame:
    """Surplus pig equivalents moved to villages with spare capacity within ``max_m``.

    A transport problem solved in two stages with HiGHS (scipy.optimize.linprog): first the
    largest amount that can be moved, then, keeping that amount, the smallest total
    pig-equivalent × distance. Straight-line distances between anchors (m).
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack
    from scipy.spatial.distance import cdist

    src, snk = np.flatnonzero(surplus > 0), np.flatnonzero(spare > 0)
    empty = pd.DataFrame({"from": pd.Series(dtype=int), "to": pd.Series(dtype=int),
                          "distance_m": pd.Series(dtype=float),
                          "pig_equivalents": pd.Series(dtype=float)})
    if not len(src) or not len(snk):
        return empty
    dist = cdist(xy[src], xy[snk])
    i, j = np.nonzero(dist <= max_m)
    if not len(i):
        return empty
    m = len(i)
    rows = np.concatenate([i, len(src) + j])
    a_ub = coo_matrix((np.ones(2 * m), (rows, np.concatenate([np.arange(m)] * 2))),
                      shape=(len(src) + len(snk), m)).tocsr()
    b_ub = np.concatenate([surplus[src], spare[snk]])
    first = linprog(-np.ones(m), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    moved = -first.fun
    a2 = vstack([a_ub, coo_matrix(-np.ones((1, m)))]).tocsr()
    second = linprog(dist[i, j], A_ub=a2, b_ub=np.append(b_ub, -moved * (1 - 1e-9)),
                     bounds=(0, None), method="highs")
    x = second.x if second.status == 0 else first.x
    keep = x > 1e-9
    return pd.DataFrame({"from": src[i[keep]], "to": snk[j[keep]],
                         "distance_m": dist[i, j][keep], "pig_equivalents": x[keep]})


def _remaining(surplus: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """Surplus left after the moves; the LP's relative tolerance (1e-9) is not a surplus."""
    rest = np.maximum(surplus - moved, 0.0)
    return np.where(rest <= 1e-6 * np.maximum(surplus, 1.0), 0.0, rest)


@dataclass
class Balance:
    """The manure–land balance: per village, per township, the possible transfers, and
    where the farmland came from (see :func:`manure_balance` for the columns)."""

    villages: pd.DataFrame
    townships: pd.DataFrame
    transfers: pd.DataFrame
    farmland_source: str


def balance(district: District) -> Balance:
    """The manure–land balance with the district's ``[livestock]`` settings (all tables).

    Raises :class:`~geo_env.errors.ColumnNotFoundError` when the district has no farmland
    information (neither a ``farmland`` layer nor a ``farmland_mu`` column)."""
    return _balance(district, livestock_params(district))


def livestock_params(district: District | None = None, **overrides: Any) -> dict[str, Any]:
    """The ``[livestock]`` settings: defaults, the district's, then ``overrides`` (validated)."""
    return _resolve(overrides, district)


def _balance(d: District, p: Mapping[str, Any]) -> Balance:
    """Farms' pig equivalents per village against the land's capacity, the transfers of
    surplus to villages with spare land, and the township sums."""
    villages = d.villages
    nv = len(villages)
    f = _farms(d, p)
    mu, source = _farmland_mu(d)
    pe = np.bincount(f.village, weights=np.nan_to_num(f.pe), minlength=nv)  # unknown head: not counted
    cap_n, cap_p = _capacity_per_mu(p)
    cap = mu * min(cap_n, cap_p)
    surplus = np.maximum(pe - cap, 0.0)
    moves = _transfers(anchor_points(villages), surplus, np.maximum(cap - pe, 0.0), float(p["transport_distance_m"]))
    ids = villages["id"].astype(str).to_numpy()
    names = (villages["name"] if "name" in villages.columns else villages["id"]).astype(str).to_numpy()
    n_kg, p_kg = float(p["n_per_pig_equivalent_kg"]), float(p["p_per_pig_equivalent_kg"])
    out_pe = np.bincount(moves["from"], weights=moves["pig_equivalents"], minlength=nv)
    vt = pd.DataFrame({
        "id": ids, "name": names, "township": villages["township"].to_numpy(),
        "farms": np.bincount(f.village, minlength=nv),
        "farms_head_unknown": np.bincount(f.village, weights=np.isnan(f.pe), minlength=nv).astype(int),
        "pig_equivalents": pe, "nitrogen_kg_per_year": pe * n_kg, "phosphorus_kg_per_year": pe * p_kg,
        "farmland_mu": mu, "capacity_pig_equivalents": cap, "load_ratio": load_ratio(pe, cap),
        "surplus_pig_equivalents": surplus, "spare_pig_equivalents": np.maximum(cap - pe, 0.0),
        "overloaded": pe > cap, "no_farmland": mu <= 0,
        "transfer_out_pig_equivalents": out_pe,
        "remaining_surplus_pig_equivalents": _remaining(surplus, out_pe),
        "manure_destinations": _destinations(moves, surplus, ids, names, float(p["transport_distance_m"]), d.lang),
        "limiting_nutrient": "nitrogen" if cap_n <= cap_p else "phosphorus",
        "farmland_source": source,
    }, index=villages.index)
    transfers = pd.DataFrame({
        "from_id": ids[moves["from"].to_numpy()], "from_name": names[moves["from"].to_numpy()],
        "to_id": ids[moves["to"].to_numpy()], "to_name": names[moves["to"].to_numpy()],
        "distance_m": moves["distance_m"].to_numpy(),
        "pig_equivalents": moves["pig_equivalents"].to_numpy(),
        "nitrogen_kg_per_year": moves["pig_equivalents"].to_numpy() * n_kg,
    })
    return Balance(vt, _township_balance(vt, moves, ids, names, d.lang), transfers, source)


def _destinations(moves: pd.DataFrame, surplus: np.ndarray, ids: np.ndarray, names: np.ndarray,
                  distance_m: float, lang: str) -> list[str]:
    """Per village, where its surplus could go ("乙村[V2] 接收 300 猪当量（1.2 km）…"), or
    that no village within ``distance_m`` can take it."""
    dest = [""] * len(surplus)
    for src, grp in moves.sort_values(["from", "distance_m"]).groupby("from"):
        dest[int(src)] = ("；" if lang == "zh" else "; ").join(
            (f"{names[t]}[{ids[t]}] 接收 {q:.0f} 猪当量（{dm / 1000:.1f} km）" if lang == "zh"
             else f"{names[t]} [{ids[t]}] takes {q:.0f} PE ({dm / 1000:.1f} km)")
            for t, q, dm in zip(grp["to"], grp["pig_equivalents"], grp["distance_m"]))
    none_text = (f"{distance_m / 1000:.0f} km 内无可消纳村" if lang == "zh"
                 else f"no village with spare land within {distance_m / 1000:.0f} km")
    return [t if t or s <= 0 else none_text for t, s in zip(dest, surplus)]


def _township_balance(vt: pd.DataFrame, moves: pd.DataFrame, ids: np.ndarray, names: np.ndarray,
                      lang: str) -> pd.DataFrame:
    """Townships: sums of their villages; exports = transfers to villages of other townships."""
    tw = vt["township"].to_numpy()
    cross = moves[tw[moves["from"].to_numpy()] != tw[moves["to"].to_numpy()]] if len(moves) else moves
    sums = ["farms", "farms_head_unknown", "pig_equivalents", "nitrogen_kg_per_year", "phosphorus_kg_per_year",
            "farmland_mu", "capacity_pig_equivalents"]
    tt = vt.groupby("township", sort=True)[sums].sum()
    tt["load_ratio"] = load_ratio(tt["pig_equivalents"], tt["capacity_pig_equivalents"])
    tt["surplus_pig_equivalents"] = np.maximum(tt["pig_equivalents"] - tt["capacity_pig_equivalents"], 0.0)
    tt["spare_pig_equivalents"] = np.maximum(tt["capacity_pig_equivalents"] - tt["pig_equivalents"], 0.0)
    tt["overloaded"] = tt["pig_equivalents"] > tt["capacity_pig_equivalents"]
    tt["villages_overloaded"] = vt.groupby("township", sort=True)["overloaded"].sum()
    exported = pd.Series(cross["pig_equivalents"].to_numpy(),
                         index=tw[cross["from"].to_numpy()]).groupby(level=0).sum()
    tt["transfer_out_pig_equivalents"] = exported.reindex(tt.index).fillna(0.0)
    tt["remaining_surplus_pig_equivalents"] = _remaining(
        tt["surplus_pig_equivalents"].to_numpy(), tt["transfer_out_pig_equivalents"].to_numpy())
    receivers = pd.Series([f"{names[t]}[{ids[t]}]" for t in cross["to"]],
                          index=tw[cross["from"].to_numpy()], dtype=object)
    tt["manure_destinations"] = [
        ("、" if lang == "zh" else ", ").join(dict.fromkeys(receivers.loc[[t]]))
        if t in receivers.index else "" for t in tt.index]
    tt["limiting_nutrient"] = vt["limiting_nutrient"].iloc[0] if len(vt) else ""
    tt["farmland_source"] = vt["farmland_source"].iloc[0] if len(vt) else ""
    return tt.reset_index()


def manure_balance(district: District, by: str = "township", *,
                   factors: str | None = None, head_is: str | None = None,
                   transport_distance_m: float | None = None) -> pd.DataFrame:
    """Manure (pig equivalents, N, P) against the farmland's carrying capacity.

    Every farm counts in the village polygon it lies in, else in the nearest village.
    Farmland comes from the ``farmland`` layer intersected with the village polygons when
    the district has one, else from the villages' ``farmland_mu`` column; the
    ``farmland_source`` column (and ``.attrs["farmland_source"]``) says which.

    Capacity per mu follows 农办牧〔2018〕1号 for one reference crop (``[livestock]``
    crop_yield_kg_per_mu, crop_n_per_100kg, crop_p_per_100kg, fertilizer_share,
    manure_share, manure_n/p_utilisation, nutrient_retention); the smaller of the nitrogen
    and the phosphorus capacity applies (``limiting_nutrient``).

    Parameters
    ----------
    district
        A :class:`~geo_env.District` with ``livestock_farms`` and farmland information.
    by
        ``"township"``, ``"village"`` (aligned to ``district.villages``' index) or
        ``"transfers"`` (the suggested moves of surplus manure between villages).
    factors, head_is, transport_distance_m
        Override the district's ``[livestock]`` settings; ``transport_distance_m`` is the
        straight-line distance (m) between village anchors within which surplus manure may
        go to villages with spare capacity (default 5000 m, a geo_env estimate).

    Returns
    -------
    pandas.DataFrame
        For villages and townships: ``farms pig_equivalents nitrogen_kg_per_year
        phosphorus_kg_per_year`` (excreted, kg/year) ``farmland_mu capacity_pig_equivalents
        load_ratio`` (> 1: more manure than the land takes; ``inf`` for manure and no
        farmland) ``surplus_pig_equivalents spare_pig_equivalents overloaded
        transfer_out_pig_equivalents remaining_surplus_pig_equivalents manure_destinations
        limiting_nutrient farmland_source``; villages also ``no_farmland``. For transfers:
        ``from_id from_name to_id to_name distance_m pig_equivalents nitrogen_kg_per_year``.

    Notes
    -----
    Surplus goes only to villages with spare capacity within reach; the moves maximise the
    amount moved, then minimise pig-equivalent-metres (a linear programme, HiGHS). A
    receiving village is never filled beyond its spare capacity, even when several
    overloaded villages reach it.
    """
    if by not in ("township", "village", "transfers"):
        raise ParameterError(f"by must be 'township', 'village' or 'transfers', not {by!r}")
    p = _resolve({"factors": factors, "head_is": head_is,
                  "transport_distance_m": transport_distance_m}, district)
    bal = _balance(district, p)
    table = {"township": bal.townships, "village": bal.villages, "transfers": bal.transfers}[by]
    table.attrs["farmland_source"] = bal.farmland_source
    return table


# ---------------------------------------------------------------------------------------
# plan
# ---------------------------------------------------------------------------------------
