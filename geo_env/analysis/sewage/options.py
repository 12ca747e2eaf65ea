"""Step 3 of the sewage analysis: what each village costs on its own (:class:`LocalCosts`).

* ``centralized`` (村级集中): a station for the village's settlements, either one station
  with a trunk sewer joining the settlement clusters or one station per cluster, whichever
  costs less.  Always feasible.
* ``household`` (联户分户): septic tanks with small treatment units, for one or a few
  households.  Not allowed where the settled area (a disc of the settled area round the
  anchor) touches a drinking-water source protection zone (``[layers.water]`` rows whose
  ``protection_column`` is true / 1 / a non-empty value), nor for villages whose
  settlement clusters hold more than ``household_max_settlement_population`` residents on
  average (Guangdong's 200-resident bound for on-site reuse; 0 lifts the rule) — except in
  relocating villages (搬迁撤并), whose only option they are (an interim measure, no fixed
  works).

The village network (lanes and house connections) and the trunk joining its settlement
clusters gather its sewage at its anchor; a single village station and a connection to a
plant both need them.  A village without residents costs 0 as ``household`` and has no
``centralized`` cost (see :mod:`.demand`).  Unit costs: :mod:`.costs`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import shapely

from ...io.project import District
from ._arrays import Bools, Floats, Ints, Objects
from .costs import household_cost, pipe_factor, station_cost
from .demand import Demand, Settlements
from .effluent import Receiving, protection_flags
from .params import Params, number_column

__all__ = ["LocalCosts", "local_costs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalCosts:
    """The village's own solutions, in yuan/year (one value per village).

    Attributes
    ----------
    network
        Lanes and house connections of the settled area.
    trunk
        The trunk sewer joining the settlement clusters (0 for one cluster).
    internal
        ``network + trunk``: all the village's sewage gathered at its anchor.
    centralized
        Village station(s) (村级集中), the cheaper of one station with the trunk and one per
        cluster; NaN without residents.
    village_stations
        Stations of the ``centralized`` solution (1, or one per settlement cluster).
    household
        Household systems (联户分户); NaN where not allowed, 0 without residents.
    protected
        The settled area touches a drinking-water source protection zone.
    inside_zone
        The village's anchor — where a station would discharge — lies inside a zone.
    no_outfall
        No station (village or shared) may discharge at the anchor: inside a zone, or the
        receiving water's grade is 不得排放 (GB 3838 class Ⅰ; :mod:`.effluent`); household
        systems with reuse and no discharge (资源化利用、不外排) or a connection are its options.
    no_option
        No outfall allowed and settlements too big for household systems: nothing but a
        connection complies (flagged; costed as household systems, an interim measure).
    too_big
        Settlement clusters above ``household_max_settlement_population`` on average.
    alone
        The cheaper of ``centralized`` and ``household``: the village's stand-alone cost.
    """

    network: Floats
    trunk: Floats
    internal: Floats
    centralized: Floats
    village_stations: Ints
    household: Floats
    protected: Bools
    too_big: Bools
    alone: Floats
    inside_zone: Bools
    no_outfall: Bools
    no_option: Bools


def local_costs(district: District, demand: Demand, st: Settlements, slope_percent: Floats,
                prm: Params, rx: Receiving) -> LocalCosts:
    """Village network, village station(s) and household systems of every village, with
    the rules that forbid household systems (see the module docstring).

    ``slope_percent``: mean slope of each village polygon (%; NaN: flat), which makes its
    lanes and trunk dearer by ``slope_cost_per_percent`` per %.  ``rx``: the receiving
    water, whose effluent grade prices the stations (∞: no outfall allowed).
    """
    hh, flow = demand.households, demand.flow_m3_per_day
    slope_f = 1.0 + prm["slope_cost_per_percent"] * np.nan_to_num(slope_percent, nan=0.0)
    pipe_f = pipe_factor(prm)
    network = ((st.network_m * prm["internal_pipe_cost_yuan_per_m"] * slope_f
                + hh * prm["house_connection_yuan"]) * pipe_f)
    trunk = st.trunk_m * prm["sewer_cost_yuan_per_m"] * slope_f * pipe_f
    internal = network + trunk  # all the village's sewage gathered at its anchor
    k_cl = st.clusters
    at = np.arange(len(flow))
    one_station = internal + station_cost(flow, prm, rx.factor(at, flow))
    # a station in every cluster, no trunk
    per_cluster = network + k_cl * station_cost(flow / k_cl, prm, rx.factor(at, flow / k_cl))
    split = (k_cl > 1) & (per_cluster < one_station)
    centralized = np.where(split, per_cluster, one_station)
    outfall_barred = np.isinf(centralized)  # the receiving water takes no new outfall (不得排放)
    village_stations = np.where(split, k_cl, 1)
    # households with a sanitary toilet have a three-compartment tank already
    tanks = number_column(district.villages, "sanitary_toilet_households", "villages", blanks=True) \
        if "sanitary_toilet_households" in district.villages.columns else None
    household = household_cost(hh, prm, tanks)
    protected, zone = _in_protection_zone(district, demand.xy, st.area_m2, prm["protection_column"])
    inside = zone | outfall_barred
    too_big = np.zeros(len(hh), dtype=bool)
    if prm["household_max_settlement_population"] > 0:
        too_big = st.cluster_population > prm["household_max_settlement_population"]
    # inside a zone no station may discharge: household systems with reuse are its own
    # option (also when too big: flagged no_option); touching one from outside, household
    # infiltration is not allowed and a station outside the zone is
    no_option = inside & too_big & ~demand.no_population & ~demand.relocation
    # a relocating village (搬迁撤并) gets no fixed works: household systems as an interim measure
    household = np.where(((protected & ~inside) | too_big) & ~inside & ~demand.relocation, np.nan, household)
    # no residents: nothing to build; recorded as household mode at no cost (see
    # *Villages without residents* in .demand)
    household = np.where(demand.no_population, 0.0, household)
    centralized = np.where(demand.no_population | outfall_barred, np.nan, centralized)
    alone = np.where((inside | demand.relocation) & np.isfinite(household), household,
                     np.fmin(centralized, household))
    return LocalCosts(network=network, trunk=trunk, internal=internal, centralized=centralized,
                      village_stations=village_stations, household=household, protected=protected,
                      too_big=too_big, alone=alone, inside_zone=zone, no_outfall=inside, no_option=no_option)


def _in_protection_zone(district: District, xy: Floats, area_m2: Floats, column: str) -> tuple[Bools, Bools]:
    """Whether each village's settled area (a disc of ``area_m2`` round its anchor ``xy``)
    touches a drinking-water source protection zone, and whether its anchor lies inside one."""
    protected = np.zeros(len(xy), dtype=bool)
    inside = np.zeros(len(xy), dtype=bool)
    zones = _protection_zones(district, column)
    if zones is not None:  # the settled area as a disc around the anchor
        tree = shapely.STRtree(zones)
        discs = shapely.buffer(shapely.points(xy), np.sqrt(area_m2 / np.pi) + 1.0)
        hit = tree.query(discs, predicate="intersects")
        protected[np.unique(hit[0])] = True
        within = tree.query(shapely.points(xy), predicate="intersects")
        inside[np.unique(within[0])] = True
    return protected, inside


def _protection_zones(district: District, column: str) -> Objects | None:
    """Polygons of drinking-water source protection zones from ``district.water``."""
    water = district.water
    if water is None or column not in water.columns:
        if water is not None:
            log.info("[layers.water] has no column %r: no source-protection zones", column)
        return None
    geoms = np.asarray(water.geometry.values[protection_flags(district, column)], dtype=object)
    geoms = geoms[np.isin(shapely.get_type_id(geoms), [3, 6])]
    return geoms if len(geoms) else None
