"""QGIS styles, field aliases and layer descriptions for ``plan.gpkg``.

A planner opens ``plan.gpkg`` in QGIS first; it should look like the plan map.  This module
builds, from the one palette of :mod:`.style` (the same colours, classes and legend labels
as the map and the print figures):

* one QML style per layer — several for the villages (sewage mode, the default; waste
  coverage; sewage treatment today; the phase of the programme), switched in QGIS under
  *Layer Properties → Style*.  Classes that the map computes from several columns are
  categorised by a QGIS expression that mirrors the map's rule (:func:`.style.waste_class`
  …); a ``tests/test_qgis.py`` test loads the file in QGIS itself (``python3-qgis``,
  headless) and compares every feature's colour with the map's;
* the Chinese (or English) label of every column as its alias, in the QML and in
  ``gpkg_data_columns`` (the GeoPackage schema extension, read by GDAL ≥ 3.7 as the
  fields' alternative names);
* a description of every layer (``gpkg_contents.description``).

:func:`gpkg_metadata` returns them as :class:`geo_env.io.writers.GpkgLayerMeta` records;
:func:`geo_env.io.writers.write_gpkg` stores them in the ``layer_styles`` table that QGIS
reads automatically (the default style applies when the layer is added).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import geopandas as gpd

from .._choices import FACILITY_STATUSES
from ..io.writers import GpkgLayerMeta, GpkgStyle
from ..labels import label
from .style import (
    CLASS_FILL,
    FACILITY_STATUS,
    FARMS,
    FLOW_BREAKS_T,
    FLOW_COLORS,
    FLOW_WIDTHS,
    SEWAGE,
    SEWAGE_BASELINE,
    SYMBOLS,
    UTILISATION,
    WASTE,
    ClassTable,
    Symbol,
    flow_width_edges,
    phase_table,
)

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["gpkg_metadata", "qml", "CLASS_EXPRESSIONS"]

#: Millimetres per screen pixel at 96 dpi (QGIS sizes symbols in mm).
_MM_PER_PX = 25.4 / 96

#: QGIS expressions that give each village or farm its class code, as the map's rules do
#: (:func:`.style.waste_class`, :func:`.style.sewage_baseline_class`, :func:`.style.farm_class`).
CLASS_EXPRESSIONS = {
    "waste": ("CASE WHEN \"waste_covered\" IS NULL THEN 'unknown' WHEN \"waste_covered\" THEN 'covered' "
              "WHEN \"station_distance_m\" IS NULL THEN 'unreachable' ELSE 'outside' END"),
    "sewage_baseline": ("CASE WHEN coalesce(\"rectify\", false) THEN 'rectify' "
                        "WHEN \"sewage_baseline_treated\" IS NULL THEN 'unknown' "
                        "WHEN \"sewage_baseline_treated\" THEN 'treated' "
                        "WHEN \"sewage_status\" IS NULL THEN 'unknown' ELSE 'untreated' END"),
    "farms": "CASE WHEN \"setback_ok\" IS NULL THEN 'unknown' WHEN \"setback_ok\" THEN 'ok' ELSE 'issue' END",
    "phase": ("CASE WHEN \"phase\" IS NOT NULL THEN \"phase\" WHEN \"sewage_mode\" = 'existing' THEN 'kept' "
              "ELSE 'unscheduled' END"),
    # transfer stations: utilisation class (:func:`.style.utilisation_class`) | status class
    "utilisation": ("CASE WHEN \"utilisation\" IS NULL THEN 'unknown' WHEN \"utilisation\" > 1.000000001 "
                    "THEN 'over' WHEN \"utilisation\" > 0.8 THEN 'high' ELSE 'low' END"),
    "status": (f"CASE WHEN \"status\" IN ({', '.join(repr(c) for c in FACILITY_STATUSES)}) THEN \"status\" "
               "ELSE 'unknown' END"),
    # waste flows: link | width class (:func:`.style.flow_class`)
    "flow": ("\"link\" || '|' || CASE " + " ".join(
        f"WHEN \"t_per_day\" >= {b!r} THEN '{len(FLOW_BREAKS_T) - i}'" for i, b in enumerate(reversed(FLOW_BREAKS_T)))
        + " ELSE '0' END"),
}


def gpkg_metadata(plan: Plan, layers: dict[str, gpd.GeoDataFrame], lang: str) -> dict[str, GpkgLayerMeta]:
    """Styles, aliases and a description for every layer of ``plan.gpkg`` (``layers``: the
    plan's :meth:`~geo_env.Plan.gpkg_layers`)."""
    out = {}
    for name, gdf in layers.items():
        fields = [c for c in gdf.columns if c != gdf.geometry.name]
        aliases = {c: label(c, lang) for c in fields if label(c, lang) != c}
        styles = [GpkgStyle(title, qml(gdf, renderer, aliases, fields), desc)
                  for title, renderer, desc in _styles(plan, name, gdf, lang)]
        out[name] = GpkgLayerMeta(description=label(f"layer.{name}", lang) if label(f"layer.{name}", lang)
                                  != f"layer.{name}" else label(name, lang), aliases=aliases, styles=styles)
    return out


#: A renderer: (``"single"``, symbol) or (``"categorized"``, attribute or expression,
#: [(value, legend label, symbol)]).
_Renderer = tuple


def _styles(plan: Plan, name: str, gdf: gpd.GeoDataFrame, lang: str) -> list[tuple[str, _Renderer, str]]:
    """(style name, renderer, description) of a layer, the default first."""
    cols = set(gdf.columns)
    if name == "villages":
        out = []
        if "sewage_mode" in cols:
            out.append((label("layer.villages_sewage", lang), _classes("sewage_mode", SEWAGE, lang, other="unknown"),
                        "sewage_mode"))
        if "waste_covered" in cols:
            out.append((label("layer.villages_waste", lang), _classes(CLASS_EXPRESSIONS["waste"], WASTE, lang),
                        "waste"))
        if {"sewage_baseline_treated", "sewage_status", "rectify"} <= cols:
            out.append((label("layer.villages_sewage_baseline", lang),
                        _classes(CLASS_EXPRESSIONS["sewage_baseline"], SEWAGE_BASELINE, lang), "baseline"))
        phases = [str(p["name"]) for p in plan.summary.get("phases") or []]
        if phases and {"phase", "sewage_mode"} <= cols:
            out.append((label("layer.villages_phase", lang), _phase_classes(phases, lang), "phase"))
        return out or [(label("villages", lang), ("single", SYMBOLS["villages"]), "")]
    if name == "livestock_farms" and "setback_ok" in cols:
        sym = SYMBOLS["livestock_farms"]
        return [(label(name, lang), ("categorized", CLASS_EXPRESSIONS["farms"],
                                     [(c, label(FARMS.label_key(c), lang), sym.filled(FARMS.colors[c]))
                                      for c in FARMS.codes]), "")]
    sym = SYMBOLS.get(name) or SYMBOLS["other_points" if _is_point(gdf) else "other_areas"]
    if name == "waste_flows" and {"link", "t_per_day"} <= cols:
        return [(label(name, lang), _flow_classes(sym, lang), "")]
    out = []
    if name == "transfer_stations" and "utilisation" in cols:
        out.append((label("layer.station_utilisation", lang), _utilisation_classes(sym, "status" in cols, lang), ""))
    if name in ("sewage_plants", "transfer_stations", "waste_facilities") and "status" in cols:
        out.append((label(name, lang), ("categorized", "status",
                                        [(c if c != "unknown" else "", label(FACILITY_STATUS.label_key(c), lang),
                                          sym.stroked(FACILITY_STATUS.colors[c])) for c in FACILITY_STATUS.codes]), ""))
    if out:
        return out
    return [(label(f"layer.{name}", lang) if label(f"layer.{name}", lang) != f"layer.{name}" else label(name, lang),
             ("single", sym), "")]


def _classes(attr: str, table: ClassTable, lang: str, *, other: str | None = None) -> _Renderer:
    """A categorized renderer of ``table``'s classes on ``attr`` (a column or an expression);
    the class ``other`` takes every other value (the empty category)."""
    return ("categorized", attr, [("" if c == other else c, label(table.label_key(c), lang),
                                   CLASS_FILL.filled(table.colors[c])) for c in table.codes])


def _utilisation_classes(sym: Symbol, with_status: bool, lang: str) -> _Renderer:
    """Stations filled by utilisation and, ``with_status``, outlined by status — the map's
    symbols (:func:`geo_env.outputs.map_layers._utilisation_layer`), one category per pair."""
    if not with_status:
        return ("categorized", CLASS_EXPRESSIONS["utilisation"],
                [(u, label(UTILISATION.label_key(u), lang), sym.filled(UTILISATION.colors[u]))
                 for u in UTILISATION.codes])
    sep = "，" if lang == "zh" else ", "
    rows = [(f"{u}|{s}", label(UTILISATION.label_key(u), lang) + sep + label(FACILITY_STATUS.label_key(s), lang),
             replace(sym.filled(UTILISATION.colors[u]).stroked(FACILITY_STATUS.colors[s]), weight=3.0))
            for u in UTILISATION.codes for s in FACILITY_STATUS.codes]
    return ("categorized", f"({CLASS_EXPRESSIONS['utilisation']}) || '|' || ({CLASS_EXPRESSIONS['status']})", rows)


def _flow_classes(sym: Symbol, lang: str) -> _Renderer:
    """Waste flows coloured by link and as wide as their tonnes' class, as on the map."""
    edges = flow_width_edges()
    unit = label("tonnes_per_day", lang)
    return ("categorized", CLASS_EXPRESSIONS["flow"],
            [(f"{link}|{k}", f"{label(f'link.{link}', lang)} {edges[k]} {unit}", replace(sym.stroked(color), weight=w))
             for link, color in FLOW_COLORS.items() for k, w in enumerate(FLOW_WIDTHS)])


def _phase_classes(phases: Sequence[str], lang: str) -> _Renderer:
    table = phase_table(phases)
    rows = [(phases[i] if i < len(phases) else table.codes[i],
             phases[i] if i < len(phases) else label(f"phase.{table.codes[i]}", lang),
             CLASS_FILL.filled(table.colors[table.codes[i]])) for i in range(len(table.codes))]
    return ("categorized", CLASS_EXPRESSIONS["phase"], rows)


def _is_point(gdf: gpd.GeoDataFrame) -> bool:
    types = set(gdf.geom_type.dropna())
    return bool(types) and types <= {"Point", "MultiPoint"}


def _is_line(gdf: gpd.GeoDataFrame) -> bool:
    types = set(gdf.geom_type.dropna())
    return bool(types) and types <= {"LineString", "MultiLineString"}


# --------------------------------------------------------------------------------------
# QML
# --------------------------------------------------------------------------------------
def qml(gdf: gpd.GeoDataFrame, renderer: _Renderer, aliases: dict[str, str], fields: Sequence[str]) -> str:
    """The QML document (QGIS style) of one renderer with the layer's field aliases."""
    root = ET.Element("qgis", version="3.22.0", styleCategories="Symbology|Fields")
    geom_kind = "point" if _is_point(gdf) else "line" if _is_line(gdf) else "fill"
    if renderer[0] == "single":
        r = ET.SubElement(root, "renderer-v2", type="singleSymbol", forceraster="0", symbollevels="0",
                          enableorderby="0")
        syms = ET.SubElement(r, "symbols")
        _symbol(syms, "0", renderer[1], geom_kind)
    else:
        _, attr, rows = renderer
        r = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=attr, forceraster="0",
                          symbollevels="0", enableorderby="0")
        cats = ET.SubElement(r, "categories")
        syms = ET.SubElement(r, "symbols")
        for k, (value, text, sym) in enumerate(rows):
            ET.SubElement(cats, "category", render="true", symbol=str(k), value=str(value), label=str(text),
                          type="string")
            _symbol(syms, str(k), sym, geom_kind)
    al = ET.SubElement(root, "aliases")
    for i, f in enumerate(fields):
        if f in aliases:
            ET.SubElement(al, "alias", field=f, index=str(i + 1), name=aliases[f])  # field 0 is the fid
    ET.SubElement(root, "layerGeometryType").text = {"point": "0", "line": "1", "fill": "2"}[geom_kind]
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def _rgba(color: str, alpha: float | None) -> str:
    """QGIS colour text ``r,g,b,a`` (0–255) of a palette hex colour and an opacity 0–1."""
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    a = 1.0 if alpha is None else alpha
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{round(255 * a)}"


def _symbol(parent: ET.Element, name: str, sym: Symbol, geom_kind: str) -> None:
    """A QGIS symbol (one simple layer) drawing ``sym`` on ``geom_kind`` features."""
    kind = "marker" if geom_kind == "point" else "line" if geom_kind == "line" else "fill"
    s = ET.SubElement(parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    width = f"{sym.weight * _MM_PER_PX:.3f}"
    stroke = _rgba(sym.color, sym.opacity)
    fill = _rgba(sym.fill_color or sym.color, sym.fill_opacity)
    if kind == "marker":
        props = {"name": "circle", "color": fill, "outline_color": stroke, "outline_width": width,
                 "outline_width_unit": "MM", "size": f"{2 * (sym.radius or 5) * _MM_PER_PX:.3f}", "size_unit": "MM"}
        cls = "SimpleMarker"
    elif kind == "line":
        props = {"line_color": stroke, "line_width": width, "line_width_unit": "MM", "capstyle": "round",
                 "joinstyle": "round"}
        cls = "SimpleLine"
        if sym.dash:
            props.update(use_custom_dash="1", customdash=";".join(
                f"{float(x) * _MM_PER_PX:.3f}" for x in sym.dash.split()), customdash_unit="MM")
    else:
        props = {"color": fill if sym.fill_color else _rgba(sym.color, 0.0), "style": "solid",
                 "outline_color": stroke, "outline_width": width, "outline_width_unit": "MM",
                 "outline_style": "dash" if sym.dash else "solid", "joinstyle": "round"}
        cls = "SimpleFill"
    lay = ET.SubElement(s, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    opt = ET.SubElement(lay, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(opt, "Option", type="QString", name=k, value=v)
    for k, v in props.items():  # QGIS before 3.26 reads <prop>
        ET.SubElement(lay, "prop", k=k, v=v)
