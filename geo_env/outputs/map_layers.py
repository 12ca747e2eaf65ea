"""The map's layers: what each layer of a plan becomes in the map's data block.

:func:`village_layers` adds the district and township boundaries (the arcs of the village
polygons with one side, or with sides in two townships), the township names and the
villages once per theme — by waste coverage, by sewage mode, plain without either — the
first shown; with the status baseline also by sewage treatment today (switched off), and
every village popup gets its township's indicator panel.  :func:`plan_layers` adds every
other layer the plan or its district holds: service areas, water, roads, no-farming zones,
farmland, sewage clusters, transfer stations (existing and proposed), sewage plants (both
outlined by their ``status`` when they have one), livestock farms with their setback
rings, and any further layer an analysis adds (switched off).

Each layer spec holds its symbols (:data:`geo_env.outputs.style.SYMBOLS`, the class tables),
its legend rows, and for layers with popups the popup table and the tooltip's columns.
Every user-supplied string is escaped (:func:`geo_env.outputs.html.esc`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..labels import label
from ._mapdata import MapData
from ._popups import field_index, popup_fields
from ._shapes import all_points, nonempty, plan_layer, present, township_areas
from .html import esc, esc_series
from .style import (
    CLASS_FILL,
    CLASS_POINT,
    FACILITY_STATUS,
    FARMS,
    FLOW_COLORS,
    FLOW_WIDTHS,
    LEGEND_EDGE,
    SEWAGE,
    SEWAGE_BASELINE,
    SYMBOLS,
    UTILISATION,
    WASTE,
    ClassTable,
    Symbol,
    facility_status_class,
    farm_class,
    flow_class,
    flow_width_edges,
    phase_class,
    phase_table,
    sewage_baseline_class,
    sewage_class,
    utilisation_class,
    waste_class,
)

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["village_layers", "plan_layers"]


def village_layers(b: MapData, villages: gpd.GeoDataFrame, lang: str,
                   *, panel: dict[str, Any] | None = None, phases: Sequence[str] = ()) -> None:
    """The villages' layers: district and township boundaries, township names, and the
    villages once per theme (waste coverage, sewage mode, sewage treatment today; plain
    villages without any), the phase of the sewage programme (``phases``: the phase names in
    order).  ``panel`` (:func:`~._popups.indicator_panel`): the indicator panel of every
    village popup."""
    fields = popup_fields(villages, lang)
    b.tables["villages"] = fields
    if panel is not None:
        b.tables["villages_indicators"] = panel
    if bool(len(villages)) and all_points(villages):
        geom: Any = b.points(villages)
        kind = "points"
    else:
        _boundaries(b, villages, lang)
        geom, kind = "villages", "polygons"
    if len(villages):
        areas = township_areas(villages)
        pts = gpd.GeoDataFrame(geometry=list(areas["label_point"]), crs=villages.crs)
        b.add({"key": "township_labels", "name": esc(label("township_names", lang)),
               "kind": "labels", "show": True, "geom": b.points(pts),
               "text": esc_series(areas.index.to_series())})
    for n, (key, name, cls, symbols, legend, extra) in enumerate(_village_themes(villages, lang, phases)):
        if kind == "points":
            symbols = [CLASS_POINT.filled(s.legend_fill) for s in symbols]
        rows: list[dict[str, Any]] = list(_legend(legend, "circle" if kind == "points" else "box"))
        # the phase theme filters by phase: a tick box per legend row shows or hides its class
        # (the one-canvas polygon layer only; village points are not filtered)
        filtered = key == "villages_phase" and kind == "polygons"
        if filtered:
            present = [int(c) for c in range(len(symbols)) if (cls == c).any()]
            rows = [{**r, "cls": c} for r, c in zip(rows, present)]
        b.add({"key": key, "name": esc(label(name, lang)), "kind": kind, "show": n == 0,
               "fast": kind == "polygons",  # drawn by the runtime's one-canvas layer
               "geom": geom, "cls": cls.tolist(), "styles": [s.leaflet() for s in symbols],
               "legend": rows, **({"filter": True} if filtered else {}),
               "fields": "villages", "tooltip": field_index(fields, "name", "township", *extra),
               "popup": list(range(len(fields))),
               "search": {"name": field_index(fields, "name")[0] if "name" in villages else 0,
                          "extra": next(iter(field_index(fields, "township")), None)},
               **({"panel": "villages_indicators"} if panel is not None else {})})


def _boundaries(b: MapData, villages: gpd.GeoDataFrame, lang: str) -> None:
    """The village polygons (geometry ``villages``), and the district boundary (arcs with one
    side) and township boundaries (arcs whose sides lie in two townships) made of their arcs."""
    polys, _, owners = b.polygons(villages, coverage=True)
    b.geoms["villages"] = polys
    ids = np.arange(len(owners)) + (b.store.count - len(owners))
    town = pd.factorize(villages["township"].to_numpy())[0]
    one_side = owners[:, 1] < 0
    two = ~one_side
    differs = np.zeros(len(owners), dtype=bool)
    differs[two] = town[owners[two, 0]] != town[owners[two, 1]]
    for key, arcs, show_if in (("townships", differs | one_side, differs.any()), ("district", one_side, True)):
        if show_if:
            sym = SYMBOLS[key]
            b.add({"key": key, "name": esc(label(key, lang)), "kind": "lines",
                   "show": True, "geom": [ids[arcs].tolist()],
                   "styles": [dict(sym.leaflet(), interactive=False)],
                   "legend": _legend([(label(key, lang), sym.color, sym.legend_fill)], "line")})


#: One theme of the village layer: key, name label key, class code per village, symbol per
#: class, legend rows (label, stroke, fill) and the columns its tooltip adds.
_Theme = tuple[str, str, np.ndarray, list[Symbol], list[tuple[str, str, str]], list[str]]


def _class_theme(key: str, table: ClassTable, cls: np.ndarray, lang: str, tip: list[str]) -> _Theme:
    return (key, f"layer.{key}", cls, [CLASS_FILL.filled(table.colors[c]) for c in table.codes],
            [(label(table.label_key(c), lang), LEGEND_EDGE, table.colors[c]) for c in table.present(cls)],
            tip)


def _phase_theme(villages: gpd.GeoDataFrame, lang: str, phases: Sequence[str]) -> _Theme:
    """Villages by the phase that builds their works; kept works; not scheduled."""
    table = phase_table(phases)
    cls = phase_class(villages, phases)
    legend = [(phases[i] if i < len(phases) else label(f"phase.{table.codes[i]}", lang), LEGEND_EDGE,
               table.colors[table.codes[i]]) for i in range(len(table.codes)) if (cls == i).any()]
    return ("villages_phase", "layer.villages_phase", cls,
            [CLASS_FILL.filled(table.colors[c]) for c in table.codes], legend, ["phase"])


def _village_themes(villages: gpd.GeoDataFrame, lang: str, phases: Sequence[str] = ()) -> list[_Theme]:
    themes = []
    if "waste_covered" in villages.columns:
        themes.append(_class_theme("villages_waste", WASTE, waste_class(villages), lang, ["station_distance_m"]))
    if "sewage_mode" in villages.columns:
        themes.append(_class_theme("villages_sewage", SEWAGE, sewage_class(villages), lang, ["sewage_mode"]))
    if "sewage_baseline_treated" in villages.columns:
        themes.append(_class_theme("villages_sewage_baseline", SEWAGE_BASELINE, sewage_baseline_class(villages),
                                   lang, ["sewage_status"]))
    if phases and "phase" in villages.columns:
        themes.append(_phase_theme(villages, lang, phases))
    if not themes:
        sym = SYMBOLS["villages"]
        themes.append(("villages", "villages", np.zeros(len(villages), dtype=np.int64), [sym],
                       [(label("villages", lang), sym.color, sym.legend_fill)], []))
    return themes


def _point_layer(b: MapData, key: str, gdf: gpd.GeoDataFrame, lang: str, symbol: Symbol,
                 *, show: bool = True, cls: np.ndarray | None = None,
                 symbols: list[Symbol] | None = None,
                 legend: list[dict[str, str]] | None = None, tip: Sequence[str] = ()) -> None:
    gdf = nonempty(gdf)
    if not len(gdf):
        return
    fields = popup_fields(gdf, lang)
    b.tables[key] = fields
    b.add({"key": key, "name": esc(label(key, lang)), "kind": "points", "show": show,
           "geom": b.points(gdf), "cls": None if cls is None else cls.tolist(),
           "styles": [s.leaflet() for s in (symbols or [symbol])],
           "legend": legend if legend is not None else _legend(
               [(label(key, lang), symbol.color, symbol.legend_fill)], "circle"),
           "fields": key, "tooltip": field_index(fields, "name", "id", *tip),
           "popup": list(range(len(fields)))})


def _area_layer(b: MapData, key: str, gdf: gpd.GeoDataFrame, lang: str, symbol: Symbol,
                *, show: bool, interactive: bool = False) -> None:
    gdf = nonempty(gdf)
    if not len(gdf):
        return
    types = set(shapely.get_type_id(gdf.geometry.values).tolist())
    style = symbol.leaflet()
    stroke, fill = symbol.color, symbol.legend_fill
    spec: dict[str, Any] = {"key": key, "name": esc(label(key, lang)), "show": show,
                            "styles": [dict(style, interactive=interactive)]}
    if types <= {3, 6}:
        polys, _, _ = b.polygons(gdf)
        b.geoms[key] = polys
        spec.update(kind="polygons", geom=key, legend=_legend([(label(key, lang), stroke, fill)]))
    elif types <= {1, 2, 5}:
        spec.update(kind="lines", geom=b.lines(gdf),
                    legend=_legend([(label(key, lang), stroke, "none")], "line"))
    elif types <= {0, 4}:
        spec.update(kind="points", geom=b.points(gdf),
                    legend=_legend([(label(key, lang), stroke, fill)], "circle"))
    else:  # mixed (rivers as lines, reservoirs as polygons): one part of each kind
        tid = shapely.get_type_id(gdf.geometry.values)
        is_poly = np.isin(tid, [3, 6])
        key_poly = key + "_polygons"
        polys, _, _ = b.polygons(gdf[is_poly])
        b.geoms[key_poly] = polys
        spec.update(kind="parts", parts=[
            {"kind": "polygons", "geom": key_poly, "styles": spec["styles"]},
            {"kind": "lines", "geom": b.lines(gdf[~is_poly]),
             "styles": [dict(style, fill=False, interactive=False)]}],
            legend=_legend([(label(key, lang), stroke, fill)]))
        if interactive:  # popups would need one index across both parts
            interactive = False
    if interactive:
        fields = popup_fields(gdf, lang)
        b.tables[key] = fields
        spec.update(fields=key, tooltip=field_index(fields, "name", "id"),
                    popup=list(range(len(fields))))
    b.add(spec)


def plan_layers(b: MapData, plan: Plan, lang: str) -> None:
    """Every layer but the villages': areas and lines, stations and plants, farms, and any
    further layer an analysis added."""
    d, layers = plan.district, plan.layers
    for key, area, show, interactive in (
        ("service_areas", layers.get("service_areas"), False, False),
        ("water", d.water, True, False),
        ("roads", d.roads, False, False),
        ("prohibited_zones", d.prohibited_zones, False, False),
        ("farmland", d.farmland, False, False),
        ("sewage_clusters", layers.get("sewage_clusters"), False, True),
    ):
        if present(area):
            _area_layer(b, key, area, lang, SYMBOLS[key], show=show, interactive=interactive)
    flows = layers.get("waste_flows")
    if present(flows):
        _flow_layer(b, nonempty(flows), lang)
    for key, points, tip in (
        ("transfer_stations", plan_layer(plan, "transfer_stations"), ()),
        ("proposed_transfer_stations", layers.get("proposed_transfer_stations"), ("rank", "covers_population")),
        ("sewage_plants", plan_layer(plan, "sewage_plants"), ("capacity_m3_per_day", "load_m3_per_day")),
        ("waste_facilities", layers.get("waste_facilities"), ("kind", "inflow_t_per_day", "capacity_t_per_day")),
    ):
        if points is not None and present(points) and "utilisation" in points.columns and key == "transfer_stations":
            _utilisation_layer(b, key, nonempty(points), lang)
        elif points is not None and present(points) and "status" in points.columns:
            _status_layer(b, key, nonempty(points), lang, tip)
        elif present(points):
            _point_layer(b, key, points, lang, SYMBOLS[key], tip=tip)
    farms = plan_layer(plan, "livestock_farms")
    if present(farms):
        _farm_layers(b, nonempty(farms), d.params.get("livestock", {}), lang)
    _added_layers(b, plan, lang)


def _added_layers(b: MapData, plan: Plan, lang: str) -> None:
    """Any other output layer an analysis adds (e.g. sewer routes): shown, switched off."""
    handled = {"service_areas", "sewage_clusters", "proposed_transfer_stations", "sewage_plants",
               "livestock_farms", "transfer_stations", "villages", "waste_flows", "waste_facilities"}
    for name, gdf in plan.layers.items():
        if name in handled or not present(gdf):
            continue
        kinds = set(shapely.get_type_id(nonempty(gdf).geometry.values).tolist())
        if kinds and kinds <= {0, 4}:
            _point_layer(b, name, gdf, lang, SYMBOLS.get(name, SYMBOLS["other_points"]), show=False)
        else:
            _area_layer(b, name, gdf, lang, SYMBOLS["other_areas"], show=False,
                        interactive=kinds <= {1, 2, 3, 5, 6})


def _status_layer(b: MapData, key: str, points: gpd.GeoDataFrame, lang: str, tip: Sequence[str]) -> None:
    """Existing plants or stations outlined by their ``status``
    (:data:`~geo_env.outputs.style.FACILITY_STATUS`), filled as their layer."""
    cls = facility_status_class(points)
    sym = SYMBOLS[key]
    symbols = [replace(sym.stroked(FACILITY_STATUS.colors[c]), weight=3.0) for c in FACILITY_STATUS.codes]
    legend = _legend([(label(FACILITY_STATUS.label_key(c), lang), FACILITY_STATUS.colors[c], sym.legend_fill)
                      for c in FACILITY_STATUS.present(cls)], "circle")
    _point_layer(b, key, points, lang, symbols[0], cls=cls, symbols=symbols, legend=legend,
                 tip=(*tip, "status"))


def _utilisation_layer(b: MapData, key: str, points: gpd.GeoDataFrame, lang: str) -> None:
    """Transfer stations filled by utilisation (:data:`~geo_env.outputs.style.UTILISATION`)
    and, with a ``status``, outlined by it (:data:`~geo_env.outputs.style.FACILITY_STATUS`)."""
    ucls = utilisation_class(points)
    sym = SYMBOLS[key]
    n_s = len(FACILITY_STATUS.codes)
    has_status = "status" in points.columns
    scls = facility_status_class(points) if has_status else np.zeros(len(points), dtype=np.int64)
    symbols = [replace(sym.filled(UTILISATION.colors[u]).stroked(FACILITY_STATUS.colors[s]) if has_status
                       else sym.filled(UTILISATION.colors[u]), weight=3.0 if has_status else sym.weight)
               for u in UTILISATION.codes for s in FACILITY_STATUS.codes]
    rows = [(label(UTILISATION.label_key(c), lang), LEGEND_EDGE, UTILISATION.colors[c]) for c in UTILISATION.present(ucls)]
    if has_status:
        rows += [(label(FACILITY_STATUS.label_key(c), lang), FACILITY_STATUS.colors[c], "none")
                 for c in FACILITY_STATUS.present(scls)]
    _point_layer(b, key, points, lang, symbols[0], cls=ucls * n_s + scls, symbols=symbols,
                 legend=_legend(rows, "circle"),
                 tip=("load_t_per_day", "capacity_t_per_day", "utilisation", *(("status",) if has_status else ())))


def _flow_layer(b: MapData, flows: gpd.GeoDataFrame, lang: str) -> None:
    """The waste flows: a line per flow, coloured by link, as wide as its tonnes' class."""
    cls = flow_class(flows)
    base = SYMBOLS["waste_flows"]
    styles = [replace(base.stroked(color), weight=w).leaflet() for color in FLOW_COLORS.values() for w in FLOW_WIDTHS]
    fields = popup_fields(flows, lang)
    b.tables["waste_flows"] = fields
    edges = flow_width_edges()
    unit = label("tonnes_per_day", lang)
    present_links = sorted(set((cls // len(FLOW_WIDTHS)).tolist()))
    legend: list[dict[str, Any]] = [
        {"label": esc(label(f"link.{k}", lang)), "color": esc(FLOW_COLORS[k]), "fill": "none", "shape": "line"}
        for i, k in enumerate(FLOW_COLORS) if i in present_links]
    widths = cls % len(FLOW_WIDTHS)
    legend += [{"label": esc(f"{e} {unit}"), "color": esc(LEGEND_EDGE), "fill": "none", "shape": "line",
                "weight": float(w)} for k, (e, w) in enumerate(zip(edges, FLOW_WIDTHS)) if (widths == k).any()]
    b.add({"key": "waste_flows", "name": esc(label("waste_flows", lang)), "kind": "lines", "show": True,
           "geom": b.lines(flows), "cls": cls.tolist(), "styles": styles, "legend": legend,
           "fields": "waste_flows", "tooltip": field_index(fields, "from_id", "to_id", "t_per_day"),
           "popup": list(range(len(fields)))})


def _farm_layers(b: MapData, farms: gpd.GeoDataFrame, params: dict[str, Any], lang: str) -> None:
    """Farms by setback check (:data:`~geo_env.outputs.style.FARMS`) and their setback rings."""
    cls = farm_class(farms)
    farm = SYMBOLS["livestock_farms"]
    symbols = [farm.filled(FARMS.colors[c]) for c in FARMS.codes]
    legend = _legend([(label(FARMS.label_key(c), lang), farm.color, FARMS.colors[c]) for c in FARMS.present(cls)],
                     "circle")
    _point_layer(b, "livestock_farms", farms, lang, symbols[0], cls=cls, symbols=symbols,
                 legend=legend, tip=("species", "head", "pig_equivalents", "issues"))
    radius = params.get("residential_setback_m")
    if radius and np.isfinite(float(radius)):
        ring = SYMBOLS["setback_rings"]
        b.add({"key": "setback_rings", "name": esc(label("setback_rings", lang)),
               "kind": "circles", "show": False, "geom": b.points(farms),
               "radius": [float(radius)] * len(farms), "cls": cls.tolist(),
               "styles": [dict(ring.stroked(FARMS.colors[c]).leaflet(), fill=False, interactive=False)
                          for c in FARMS.codes],
               "legend": _legend([(label("setback_rings", lang) + f" {float(radius):,.0f} m",
                                   ring.color, "none")], "line")})


def _legend(entries: Sequence[tuple[str, str, str]], shape: str = "box") -> list[dict[str, str]]:
    """Legend rows from (label, stroke colour, fill colour)."""
    return [{"label": esc(lab), "color": esc(stroke), "fill": esc(fill), "shape": shape}
            for lab, stroke, fill in entries]
