"""What each analysis adds to a :class:`~geo_env.Plan` (L5: it assembles results, so the
analyses never import the plan): columns for the villages, layers for ``plan.gpkg``,
tables for ``report.xlsx`` and a block for ``summary.json``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from .errors import ColumnNotFoundError, DataWarning
from .io.project import District

__all__ = ["PlanPart", "STEPS", "waste_part", "sewage_part", "livestock_part", "indicators_part", "has_baseline"]


@dataclass
class PlanPart:
    """What one analysis adds to a :class:`~geo_env.Plan`.

    Attributes
    ----------
    name
        The block name in ``summary.json`` (``"waste"``, ``"sewage"``, ``"livestock"``).
    village_columns
        Columns to add to the villages, indexed like ``district.villages``.
    layers
        Output layers for ``plan.gpkg`` by layer name (working CRS).
    tables
        Tables for ``report.xlsx`` by key (the report names and formats the sheets).
    summary
        The JSON-serialisable block for ``summary.json``.
    result
        The analysis' own result object, for analysts (``plan.results[name]``).
    top_level
        Keys for the top level of ``summary.json`` (the sewage programme's ``phases``).
    """

    name: str
    village_columns: pd.DataFrame | None = None
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    top_level: dict[str, Any] = field(default_factory=dict)


def waste_part(district: District) -> PlanPart:
    """Waste coverage, transfer-station siting and the waste chain in tonnes with the
    project's ``[waste]`` parameters.

    Village columns ``station_id station_distance_m distance_metric waste_covered
    waste_unreachable proposed_station_id`` and the chain's
    (:func:`geo_env.analysis.waste_report.chain_outputs`); layers ``service_areas``
    (existing and proposed stations, ``status`` column), ``proposed_transfer_stations`` and
    the chain's; tables ``waste_townships`` (coverage by township before and after siting),
    ``uncovered_villages`` and the chain's; the ``waste`` block of summary.json (radius and
    its source, metric, counts and rates by villages and by population, overall and by
    township, the siting result and ``chain``); result ``{"siting", "chain"}``.
    """
    from .analysis.coverage import COVERAGE_COLUMNS, service_areas, township_rates, waste_coverage
    from .analysis.siting import site_transfer_stations
    from .standards import parameter

    cov = waste_coverage(district)
    radius, metric = cov.attrs["waste"]["radius_m"], cov.attrs["waste"]["metric"]
    # without any known population the target is a share of villages (said in the summary)
    v = district.villages
    known = pd.to_numeric(v["population"], errors="coerce").notna() if "population" in v.columns \
        else pd.Series(False, index=v.index)
    site = site_transfer_stations(district, target=(district.params.get("waste") or {}).get("target_coverage"),
                                  weight="population" if known.any() else "villages", coverage=cov)
    tab = site.townships
    cols = cov[list(COVERAGE_COLUMNS)].copy()
    cols["proposed_station_id"] = site.proposed_station_of_village
    total = tab.iloc[-1]
    areas = []
    for status, stations in (("existing", None), ("proposed", site.sites if len(site.sites) else None)):
        if status == "existing" or stations is not None:
            layer = service_areas(district, radius_m=radius, metric=metric, stations=stations)
            layer.insert(1, "status", status)
            areas.append(layer)
    area_layer = gpd.GeoDataFrame(pd.concat(areas, ignore_index=True), crs=district.crs)
    keep = [c for c in ("id", "name", "township", "population") if c in cov.columns]
    uncovered = pd.DataFrame(cols.join(cov[keep]).loc[
        ~cov["waste_covered"].to_numpy(bool),
        keep + ["station_id", "station_distance_m", "waste_unreachable", "proposed_station_id"]])
    summary = {
        "radius_m": radius,
        "radius_source": parameter("waste", "service_radius_m").source,
        "metric": metric,
        "transfer_stations": int(0 if district.transfer_stations is None else len(district.transfer_stations)),
        "villages": int(total["villages"]),
        "covered_villages": int(total["covered_villages"]),
        "unreachable_villages": int(total["unreachable_villages"]),
        "population": float(total["population"]),
        "covered_population": float(total["covered_population"]),
        "coverage_rate_villages": total["coverage_rate_villages"],
        "coverage_rate_population": total["coverage_rate_population"] if known.any() else None,
        "population_unknown_villages": v.loc[~known.to_numpy(), "id"].astype(str).tolist(),
        "by_township": township_rates(tab[[c for c in tab.columns if not c.endswith("_after")]].iloc[:-1]),
        "siting": site.summary(),
    }
    # the chain in tonnes (issue 14): generation → stations → facilities, and the capacity-aware plan
    from .analysis.waste_chain import waste_chain
    from .analysis.waste_report import chain_outputs

    chain = waste_chain(district, proposed=site.sites if len(site.sites) else None)
    summary["chain"] = chain.summary()
    chain_cols, chain_layers, chain_tables = chain_outputs(chain, district)
    return PlanPart(name="waste", village_columns=cols.join(chain_cols),
                    layers={"service_areas": area_layer, "proposed_transfer_stations": site.sites, **chain_layers},
                    tables={"waste_townships": tab, "uncovered_villages": uncovered, **chain_tables},
                    summary=summary, result={"siting": site, "chain": chain})


def sewage_part(district: District) -> PlanPart:
    """The sewage analysis: village columns, clusters, routes and plants, the township table."""
    from .analysis.sewage import BASELINE_COLUMNS, VILLAGE_COLUMNS, sewage_plan

    res = sewage_plan(district)
    columns = VILLAGE_COLUMNS + [c for c in BASELINE_COLUMNS if c in res.villages.columns]
    programme = _phasing(district, res)
    # the investment estimate also at the top of summary.json (issue 17's key)
    top: dict[str, Any] = {"investment": res.summary["investment"]} if "investment" in res.summary else {}
    tables: dict[str, pd.DataFrame] = {}
    if programme is not None:
        res.villages["phase"], res.villages["priority"] = programme.phase, programme.priority
        columns += ["phase", "priority"]
        tables["phases"] = programme.table
        top["phases"] = programme.summary
        res.summary["phasing_optimal"] = programme.optimal
    layers: dict[str, gpd.GeoDataFrame] = {"sewage_clusters": res.clusters, "sewer_routes": res.routes}
    if res.plants is not None:
        layers["sewage_plants"] = res.plants
    return PlanPart(name="sewage", village_columns=pd.DataFrame(res.villages[columns]), layers=layers,
                    tables={"sewage_by_township": res.by_township, **tables,
                            **({"investment": res.investment} if res.investment is not None else {}),
                            **({"effluent_rules": res.effluent_rules} if res.effluent_rules is not None else {})}, summary=res.summary, result=res, top_level=top)


def _phasing(district: District, res: Any) -> Any:
    """The phased programme of the sewage plan, when the project lists ``[[phases]]``."""
    import numpy as np
    import shapely

    from .analysis.phasing import flag_cells, phase_plan
    from .standards import defaults

    settings = {**defaults("phasing"), **(district.params.get("phasing") or {})}
    if not settings.get("phases"):
        return None
    det = res.details
    protected = (det["source_protection"].to_numpy(bool) | det.get("inside_protection_zone", False)).astype(bool)
    near = np.zeros(len(res.villages), dtype=bool)
    water = district.water
    if water is not None and "black_odorous" in water.columns:
        marked = flag_cells(water["black_odorous"], ("黑臭",))
        if marked.any():
            tree = shapely.STRtree(np.asarray(water.geometry.values[marked], dtype=object))
            hit = tree.query(np.asarray(district.villages.geometry.values, dtype=object), predicate="dwithin",
                             distance=float(settings["black_odorous_distance_m"]))
            near[np.unique(hit[0])] = True
    v = res.villages
    if "key_village" in district.villages.columns:
        v = v.assign(key_village=district.villages["key_village"])
    return phase_plan(v, np.asarray(protected, dtype=bool), near, settings)


def livestock_part(district: District) -> PlanPart | None:
    """Farms' pig equivalents and setbacks, and the manure–land balance where farmland is
    known (else skipped with the reason, warned); None without a farms layer."""
    from .analysis.livestock import livestock_check, livestock_params

    if district.livestock_farms is None:
        return None
    p = livestock_params(district)
    farms = livestock_check(district)
    summary: dict[str, Any] = {
        "farms": int(len(farms)),
        "pig_equivalents": float(farms["pig_equivalents"].sum()),
        "nitrogen_kg_per_year": float(farms["nitrogen_kg_per_year"].sum()),
        "phosphorus_kg_per_year": float(farms["phosphorus_kg_per_year"].sum()),
        "by_species": {str(k): float(v) for k, v in farms.groupby("species")["pig_equivalents"].sum().items()},
        "scale_farms": int(farms["scale_farm"].sum()),
        "head_unknown_farms": farms.loc[farms["head"].isna(), "id"].tolist(),
        "flags": {
            "near_village": int(farms["near_village"].sum()),
            "near_water": int(farms["near_water"].sum()),
            "in_prohibited_zone": int(farms["in_prohibited_zone"].sum()),
            "setback_not_ok": int((~farms["setback_ok"]).sum()),
        },
        "factors": p["factors"],
        "head_is": p["head_is"],
        "residential_basis": farms.attrs["residential_basis"],
        "layers_checked": {name: getattr(district, name) is not None
                           for name in ("water", "sewage_plants", "prohibited_zones")},
    }
    part = PlanPart(name="livestock", layers={"livestock_farms": farms}, summary=summary, result={"farms": farms},
                    tables={"livestock_farms": pd.DataFrame(farms.drop(columns=farms.geometry.name))})
    _add_balance(part, district, float(p["transport_distance_m"]))
    return part


def _add_balance(part: PlanPart, district: District, transport_distance_m: float) -> None:
    """The manure–land balance's columns, tables and summary block, or the reason it is skipped."""
    from .analysis.livestock import balance, load_ratio

    try:
        bal = balance(district)
    except ColumnNotFoundError as exc:  # no farmland information: checks only
        warnings.warn(f"livestock: the manure–land balance is not assessed (setbacks and pig equivalents "
                      f"are): {exc.message}", DataWarning, stacklevel=3)
        part.summary["balance"] = None
        part.summary["balance_skipped"] = str(exc)
        return
    vt, tt = bal.villages, bal.townships
    part.village_columns = pd.DataFrame({
        "manure_pig_equivalents": vt["pig_equivalents"],
        "manure_capacity_pig_equivalents": vt["capacity_pig_equivalents"],
        "manure_load_ratio": vt["load_ratio"],
        "manure_overloaded": vt["overloaded"],
        "manure_destinations": vt["manure_destinations"],
    }, index=vt.index)
    part.tables.update({"manure_balance_township": tt, "manure_balance_village": vt,
                        "manure_transfers": bal.transfers})
    part.result.update(villages=vt, townships=tt, transfers=bal.transfers)
    part.summary["balance"] = {
        "farmland_source": bal.farmland_source,
        "farmland_mu": float(vt["farmland_mu"].sum()),
        "capacity_pig_equivalents": float(vt["capacity_pig_equivalents"].sum()),
        "load_ratio": float(load_ratio(vt["pig_equivalents"].sum(), vt["capacity_pig_equivalents"].sum())),
        "limiting_nutrient": str(vt["limiting_nutrient"].iloc[0]) if len(vt) else None,
        "overloaded_villages": vt.loc[vt["overloaded"], "id"].tolist(),
        "villages_without_farmland_with_farms": vt.loc[vt["no_farmland"] & (vt["farms"] > 0), "id"].tolist(),
        "overloaded_townships": tt.loc[tt["overloaded"], "township"].tolist(),
        "transferable_pig_equivalents": float(bal.transfers["pig_equivalents"].sum()),
        "remaining_surplus_pig_equivalents": float(vt["remaining_surplus_pig_equivalents"].sum()),
        "transport_distance_m": transport_distance_m,
    }


#: Columns whose presence makes a project have a status baseline (现状).
_BASELINE_INPUTS = {"villages": ("sewage_status", "sanitary_toilet_households", "waste_collected"),
                    "sewage_plants": ("status",), "transfer_stations": ("status",),
                    "livestock_farms": ("manure_facility", "utilization_rate")}


def has_baseline(district: District) -> bool:
    """Whether any layer carries a status-baseline column (:data:`_BASELINE_INPUTS`)."""
    return any(layer is not None and any(c in layer.columns for c in cols)
               for layer, cols in ((getattr(district, name), cols) for name, cols in _BASELINE_INPUTS.items()))


def indicators_part(district: District, villages: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
                    summary: dict[str, Any]) -> PlanPart | None:
    """The status baseline and the assessment indicators, from the other parts' results:
    the village column ``waste_baseline_covered``, tables ``indicators`` and
    ``existing_facilities``, the ``indicators`` block of summary.json; None without any
    baseline column in the data (old projects keep their outputs)."""
    from dataclasses import replace

    import numpy as np

    from .analysis.baseline import facilities_table, facility_townships, village_baseline
    from .analysis.coverage import waste_coverage
    from .analysis.indicators import indicators

    if not has_baseline(district):
        return None
    v = villages
    wb = wp = None
    cols = pd.DataFrame(index=v.index)
    if "waste_covered" in v.columns:
        covered = v["waste_covered"].fillna(False).to_numpy(dtype=bool)
        st = district.transfer_stations
        if st is not None and "status" in st.columns and (st["status"] != "running").any():
            running = st.loc[st["status"].to_numpy() == "running"]
            cov = waste_coverage(replace(district, transfer_stations=running if len(running) else None))
            covered = cov["waste_covered"].reindex(v.index).fillna(False).to_numpy(dtype=bool)
        said = v["waste_collected"].to_numpy(dtype=object) if "waste_collected" in v.columns \
            else np.full(len(v), None, dtype=object)
        wb = np.where(pd.isna(said), covered, said == True).astype(bool)  # noqa: E712 (object array)
        wp = wb | v["waste_covered"].fillna(False).to_numpy(dtype=bool)
        if "proposed_station_id" in v.columns:
            wp |= v["proposed_station_id"].notna().to_numpy()
        cols["waste_baseline_covered"] = wb
    facilities = facilities_table(district, village_baseline(district))
    if "station_id" in v.columns and len(facilities):
        served = v["station_id"].astype(str).value_counts()
        is_ts = facilities["facility"] == "transfer_station"
        facilities.loc[is_ts, "villages_served"] = facilities.loc[is_ts, "id"].map(served).fillna(0).to_numpy()
    farms = layers.get("livestock_farms")
    if farms is not None and district.livestock_farms is not None:
        extra = [c for c in ("manure_facility", "utilization_rate") if c in district.livestock_farms.columns
                 and c not in farms.columns]
        farms = farms.join(district.livestock_farms[extra]) if extra else farms
        if "township" not in farms.columns:
            farms = farms.assign(township=facility_townships(farms, v))
    bal = (summary.get("livestock") or {}).get("balance")
    pe_total = (summary.get("livestock") or {}).get("pig_equivalents") or 0.0
    ceiling = (max(0.0, 1.0 - bal["remaining_surplus_pig_equivalents"] / pe_total)
               if bal and pe_total > 0 else None)
    block, table = indicators(v, waste_baseline=wb, waste_planned=wp, farms=farms, scale_ceiling=ceiling,
                              facilities=facilities, targets=district.params.get("targets"))
    return PlanPart(name="indicators", village_columns=cols, summary=block,
                    tables={"indicators": table, "existing_facilities": facilities})


#: The analyses in the order :func:`geo_env.analyze` runs them.
STEPS: tuple[tuple[str, Callable[[District], PlanPart | None]], ...] = (
    ("waste", waste_part), ("sewage", sewage_part), ("livestock", livestock_part))
