"""Steps 1 and 3 of the sewage analysis: who lives where, how much sewage they make, and
how their houses are spread (:class:`Demand`, :class:`Settlements`).

Flows
    flow (m³/d) = population × water use (L/(person·d)) / 1000 × sewage coefficient.
    Water use: the villages column ``water_use_l_per_capita_day`` where given, else the
    ``[sewage]`` parameter.  Households: the villages column, else population /
    ``[villages] persons_per_household`` rounded.

Horizon population (规划期末人口)
    Flows and households are sized for the population at ``[sewage] horizon_year``:
    population × (1 + r)^(horizon_year − base_year), r the village's township's rate in
    ``township_growth_rates``, else ``population_growth_rate``; households are scaled by the
    same factor.  The villages table keeps today's ``population`` and adds
    ``population_horizon``.

Village classes (村庄分类)
    The villages column ``village_class`` (:data:`geo_env._choices.VILLAGE_CLASSES`; blank or
    absent: ``other``).  ``relocation`` (搬迁撤并) villages get no fixed investment — household
    systems only, as an interim measure (no connection, no station, no cluster);
    ``suburban`` (城郊融合) villages prefer connection (every feasible pair of theirs is a
    priority pair, :mod:`.connect`).

Villages of unknown population
    A village with neither population nor households is not assessed: its mode, toilet
    suggestion and household cost are left empty, its reason says so, and the summary and
    the township table count it as ``population_unknown``.  It is costed as a village of
    0 residents, so it makes no sewage and takes no plant capacity.

Villages without residents
    A village of 0 residents needs no sewage works.  To keep the contract (every village
    has one of the four modes) it gets ``household`` at a cost of 0 (the other modes NaN),
    the reason "无常住人口，无需建设污水设施", ``toilet_suggestion`` ``not_needed``, and the
    summary and the township table count it as ``no_population``, not as a household
    village.

Settlements (村庄建设用地, 自然村)
    An administrative village is mostly fields and forest; its sewers serve only the
    settled area A (m²): the villages column ``settlement_area_ha`` × 10 000 where given,
    else residents × ``land_per_capita_m2`` (GB 50188 per-capita construction land), never
    more than the village polygon.  The settled area is split into k settlement clusters
    (natural villages): the villages column ``natural_villages`` where given, else
    ⌈residents / P⌉ with P the residents of one cluster, ``settlement_population_plain`` on
    a mean slope ≤ ``plain_slope_deg`` falling geometrically to
    ``settlement_population_hill`` at ≥ ``hill_slope_deg`` (mean slope of the polygon from
    the DEM; flat without one), and at most ``max_settlements_per_km2`` clusters per km²
    of territory.  Lanes: a tour through the houses, 0.7124·√(households × A) (Beardwood–
    Halton–Hammersley; the same for any k as each cluster holds its share of houses and
    area).  Trunk joining the clusters: :func:`mst_length` of k points over the village
    polygon (points: over 10 × A) × ``detour_factor``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from ... import _validate
from ..._geometry import anchor_points
from ...io.project import District
from ...io.status import village_class_codes
from ...standards import parameter
from ._arrays import Bools, Floats, Ints
from .params import Params, number_column, optional_positive

__all__ = ["Demand", "Settlements", "village_demand", "growth_factor", "settlements", "mst_length"]

#: Tour length constant of Beardwood, Halton & Hammersley (1959): a shortest tour through
#: n random points in area A is about 0.7124·√(nA).
_BHH = 0.7124
#: Villages given as points have no territory: their settlement clusters are taken to lie
#: within this many times their settled area (geo_env estimate).
_POINT_SPREAD = 10.0


@dataclass(frozen=True)
class Demand:
    """Where each village's sewage is gathered and how much there is (one value per village).

    Attributes
    ----------
    xy
        Anchor of each village, array (n, 2) of x, y in the working CRS (m): where its
        sewage is gathered (:func:`geo_env._geometry.anchor_points`).
    population
        Design residents (persons) at the horizon year (see *Horizon population*); 0 where
        unknown.
    unknown
        Neither population nor households given: not assessed.
    no_population
        No residents (population ≤ 0, unknown ones included): nothing to build.
    households
        Households at the horizon year: the data's, else population / persons per
        household, rounded; times the growth factor.
    water_use_l_per_capita_day
        Water use (L/(person·d)): the data's, else the ``[sewage]`` parameter.
    flow_m3_per_day
        Sewage flow (m³/d) of the horizon population.
    population_present
        Residents today (persons; the data's); 0 where unknown.
    relocation
        ``village_class`` is ``relocation`` (搬迁撤并): household systems only, an interim measure.
    suburban
        ``village_class`` is ``suburban`` (城郊融合): connection preferred.
    """

    xy: Floats
    population: Floats
    unknown: Bools
    no_population: Bools
    households: Floats
    water_use_l_per_capita_day: Floats
    flow_m3_per_day: Floats
    population_present: Floats
    relocation: Bools
    suburban: Bools


@dataclass(frozen=True)
class Settlements:
    """The settled area of each village and its settlement clusters (one value per village).

    Attributes
    ----------
    area_m2
        Settled area (m²); 0 without residents.
    area_from_data
        The settled area is the data's ``settlement_area_ha``.
    clusters
        Settlement clusters (natural villages), at least 1.
    cluster_population
        Residents per cluster (persons).
    network_m
        Lanes: the tour through the houses (m).
    trunk_m
        Trunk sewer joining the clusters (m; 0 for one cluster).
    spread_m2
        Area over which the clusters lie (m²): the polygon, or 10 × the settled area for a
        village given as a point.
    """

    area_m2: Floats
    area_from_data: Bools
    clusters: Ints
    cluster_population: Floats
    network_m: Floats
    trunk_m: Floats
    spread_m2: Floats


def village_demand(district: District, prm: Params) -> Demand:
    """Population, households, water use, flow and anchor of every village (see *Flows*).

    Raises :class:`~geo_env.errors.DataValueError` naming the rows whose population or
    households are not numbers of 0 or more (blanks are unknown, not errors).
    """
    v = district.villages
    # unknown population (NaN: neither population nor households given) is not assessed
    pop_raw = number_column(v, "population", "villages", blanks=True)
    unknown = np.isnan(pop_raw)
    pop = np.nan_to_num(pop_raw, nan=0.0)
    # households: optional (estimated from population where blank), else checked like population
    hh = _validate.number_column(v, "households", layer="villages", required=False, blanks=True)
    persons = float((district.params.get("villages") or {}).get(
        "persons_per_household", parameter("villages", "persons_per_household").default))
    hh = np.where(np.isnan(hh), np.round(pop / persons), hh)
    use = number_column(v, "water_use_l_per_capita_day", "villages", required=False)
    use = np.where(np.isfinite(use), use, prm["water_use_l_per_capita_day"])
    xy = anchor_points(v)
    growth = growth_factor(v, prm)
    design = pop * growth
    flow = design * use / 1000.0 * prm["sewage_coefficient"]
    cls = (village_class_codes(v["village_class"]).to_numpy(dtype=object) if "village_class" in v.columns
           else np.full(len(v), "other", dtype=object))
    return Demand(xy=xy, population=design, unknown=unknown, no_population=pop <= 0, households=hh * growth,
                  water_use_l_per_capita_day=use, flow_m3_per_day=flow, population_present=pop,
                  relocation=cls == "relocation", suburban=cls == "suburban")


def growth_factor(villages: gpd.GeoDataFrame, prm: Params) -> Floats:
    """Per village, horizon population ÷ today's: (1 + r)^(horizon_year − base_year), r the
    township's rate in ``township_growth_rates``, else ``population_growth_rate`` (1/year)."""
    rate = np.full(len(villages), float(prm["population_growth_rate"]))
    towns = prm.get("township_growth_rates") or {}
    if towns and "township" in villages.columns:
        own = villages["township"].astype(object).map(lambda t: towns.get(str(t), np.nan)).to_numpy(dtype=float)
        rate = np.where(np.isnan(own), rate, own)
    years = int(prm["horizon_year"]) - int(prm["base_year"])
    return (1.0 + rate) ** years


def mst_length(k: Floats | Ints | float, area_m2: Floats | float) -> Floats:
    """Expected length (m) of the minimum spanning tree of ``k`` points spread uniformly
    over an area of ``area_m2`` (m²).

    ``0.7·√A·(k − 1.25)/√(k − 1)`` for k ≥ 2, 0 for k ≤ 1: a fit to Monte Carlo means in a
    square, within 3 % for k = 2 … 40 (exact mean for k = 2: 0.5214·√A); for large k it
    tends to the Beardwood–Halton–Hammersley-type growth ∝ √(kA).
    """
    k = np.asarray(k, dtype=float)
    a = np.asarray(area_m2, dtype=float)
    km1 = np.maximum(k - 1.0, 1.0)
    return np.where(k >= 2, 0.7 * np.sqrt(a) * (km1 - 0.25) / np.sqrt(km1), 0.0)


def settlements(villages: gpd.GeoDataFrame, demand: Demand, slope_percent: Floats, prm: Params) -> Settlements:
    """Settled area, settlement clusters and village sewer lengths (see *Settlements*).

    ``slope_percent``: mean slope of each village polygon (%; NaN: flat).
    """
    geoms = np.asarray(villages.geometry.values, dtype=object)
    pop, hh = demand.population, demand.households
    is_poly = np.isin(shapely.get_type_id(geoms), [3, 6])
    poly_area = np.where(is_poly, shapely.area(geoms), np.inf)
    given = optional_positive(villages, "settlement_area_ha") * 10_000.0
    estimated = pop * prm["land_per_capita_m2"]
    area = np.minimum(np.where(np.isfinite(given), given, estimated), poly_area)
    area = np.where(pop > 0, area, 0.0)
    spread = np.where(is_poly, poly_area, _POINT_SPREAD * area)  # where the clusters lie
    k = _settlement_clusters(villages, pop, slope_percent, spread, prm)
    # houses of each cluster lie within its share of the settled area: a tour through the
    # houses of all clusters together is 0.7124·√(households × area) whatever the number of
    # clusters; the clusters are joined by a trunk across the village territory
    network = _BHH * np.sqrt(hh * area)
    trunk = mst_length(k, spread) * prm["detour_factor"]
    return Settlements(area_m2=area, area_from_data=np.isfinite(given) & (pop > 0), clusters=k,
                       cluster_population=pop / k, network_m=network, trunk_m=trunk, spread_m2=spread)


def _settlement_clusters(villages: gpd.GeoDataFrame, pop: Floats, slope_percent: Floats, spread_m2: Floats,
                         prm: Params) -> Ints:
    """Settlement clusters (自然村) per village: the data's count, else from population and
    mean slope, at most ``max_settlements_per_km2`` per km² of ``spread_m2``; 1 without residents."""
    deg = np.degrees(np.arctan(np.nan_to_num(slope_percent, nan=0.0) / 100.0))
    lo, hi = prm["plain_slope_deg"], max(prm["hill_slope_deg"], prm["plain_slope_deg"])
    t = np.clip((deg - lo) / (hi - lo), 0.0, 1.0) if hi > lo else (deg > lo).astype(float)
    p_plain, p_hill = prm["settlement_population_plain"], prm["settlement_population_hill"]
    per_cluster = p_plain * (p_hill / p_plain) ** t
    k_max = np.floor(spread_m2 / 1e6 * prm["max_settlements_per_km2"])
    k_model = np.maximum(np.minimum(np.ceil(pop / per_cluster - 1e-9), k_max), 1.0)
    k_data = optional_positive(villages, "natural_villages")
    k = np.where(np.isfinite(k_data), np.maximum(np.round(k_data), 1.0), k_model)
    return np.where(pop > 0, k, 1.0).astype(np.int64)
