"""The comparison map (``compare_map.html``): plan A on the left, plan B on the right, in one
self-contained HTML file that opens with no network.

Each panel shows the villages coloured by their sewage mode in that plan
(:data:`~geo_env.outputs.style.SEWAGE`; a village the plan does not hold is left white), the
villages whose decision changed outlined (:data:`~geo_env.outputs.style.SYMBOLS`
``changed_villages``), township and district boundaries, township names and the plan's own
sewage plants (a moved plant shows where each plan has it).  A village's popup, the same in
both panels, gives what changed, both modes, both capex and O&M figures, both phases and
both reason sentences.  Moving or zooming either map moves the other.

The page is built like the plan map (:mod:`geo_env.outputs.maps`): one data block
(:class:`~geo_env.outputs._mapdata.MapData`, every string escaped by
:func:`~geo_env.outputs.html.esc`, the block written by
:func:`~geo_env.outputs.html.script_json`), Leaflet and the plan map's runtime inlined, and a
short runtime of its own (``assets/geo_env_compare.js``: the two maps, their legends and
the synchronisation; folium's ``DualMap`` would load Leaflet.Sync from a CDN).  The
villages' geometry is stored once and drawn by both panels: each village with plan A's
polygon (plan B's for a village only in B).
"""

from __future__ import annotations

import html as _html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._choices import SEWAGE_MODES
from ..errors import ParameterError
from ..io import writers as _io
from ..labels import LANGS, label, value_label
from . import _assets
from ._mapdata import MapData
from ._popups import field_index, format_column, popup_fields
from ._shapes import all_points, nonempty, plan_layer, present, township_areas
from .compare_report import change_text, heading
from .html import esc, esc_series, script_json
from .map_layers import _boundaries, _legend
from .style import CLASS_FILL, CLASS_POINT, LEGEND_EDGE, SEWAGE, SYMBOLS, WHITE, sewage_class
from .topology import QUANTUM

if TYPE_CHECKING:
    from ..comparison import Comparison

__all__ = ["CompareMap", "compare_map", "save_compare_map"]

#: The ``id`` of each panel's map element, plan A first.
_ELEMENTS = ("gc-map-a", "gc-map-b")


@dataclass(frozen=True)
class CompareMap:
    """The comparison map's page (``html``); displays inline in Jupyter."""

    html: str

    def save(self, path: str | Path) -> Path:
        """Write the page as one self-contained HTML file, atomically; return the path."""
        return save_compare_map(self, path)

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" style="width:100%;height:620px;'
                'border:none" sandbox="allow-scripts"></iframe>')


def save_compare_map(m: CompareMap, path: str | Path) -> Path:
    """Write ``m`` atomically; return the path."""
    return _io.write_text(path, m.html)


def compare_map(cmp: Comparison, *, lang: str | None = None, simplify_m: float = 5.0,
                max_vertices: int = 400_000) -> CompareMap:
    """The side-by-side map of a comparison.

    Parameters
    ----------
    cmp
        The comparison (:func:`geo_env.compare`).
    lang
        ``"zh"`` or ``"en"`` (labels, legends, popups); default: the comparison's language.
    simplify_m, max_vertices
        As for :func:`geo_env.outputs.maps.plan_map`: the boundaries' simplification (m,
        working CRS) and the vertex budget of the village polygons.

    Returns
    -------
    CompareMap
        ``.html`` the page; ``.save(path)`` writes it.
    """
    lang = lang or cmp.lang
    if lang not in LANGS:
        raise ParameterError(f"lang = {lang!r} is not one of {', '.join(LANGS)}",
                             hint="use 'zh' for Chinese labels or 'en' for English")
    d = cmp.plan_a.district
    b = MapData(crs=d.crs, gcj=False, simplify_m=float(simplify_m), max_vertices=int(max_vertices))
    rows, villages = _drawn_villages(cmp)
    b.tables["villages"] = _village_fields(rows, cmp.names, lang)
    if all_points(villages):
        geom: Any = b.points(villages)
        kind = "points"
    else:
        _boundaries(b, villages, lang)
        geom, kind = "villages", "polygons"
    shared = [spec["key"] for spec in b.layers]  # the district and township boundaries
    shared += _township_names(b, villages, lang)
    keys = [[f"{s}_villages"] for s in ("a", "b")]
    for s in ("a", "b"):
        _mode_layer(b, rows, s, geom, kind, lang)
    shared += _changed_layer(b, rows, villages, kind, lang)
    for k, (s, plan) in enumerate((("a", cmp.plan_a), ("b", cmp.plan_b))):
        keys[k] += shared + _plant_layer(b, plan_layer(plan, "sewage_plants"), s, lang)
    bounds = villages.to_crs(4326).total_bounds
    payload = {
        "arcs": b.store.encode(), "origin": list(b.store.origin()), "quantum": QUANTUM,
        "geoms": b.geoms, "tables": b.tables, "layers": b.layers,
        "ui": {"colon": "：" if lang == "zh" else ": "},
        "bounds": [[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]],
        "panels": [{"element": _ELEMENTS[k], "layers": keys[k]} for k in range(2)],
    }
    return CompareMap(_page(cmp, payload, lang))


def _drawn_villages(cmp: Comparison) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """The villages of either plan with a geometry (plan A's; plan B's for those only in B),
    and their rows of :attr:`Comparison.all_villages`, in one order."""
    every = cmp.all_villages
    a, b = cmp.plan_a.villages, cmp.plan_b.villages
    geo_a = gpd.GeoSeries(a.geometry.to_numpy(), index=a["id"].astype(str).to_numpy(), crs=a.crs)
    geo_b = gpd.GeoSeries(b.geometry.to_numpy(), index=b["id"].astype(str).to_numpy(), crs=a.crs)
    ids = every["id"].astype(str)
    geoms = np.where(every["in_a"].to_numpy(bool), geo_a.reindex(ids).to_numpy(), geo_b.reindex(ids).to_numpy())
    gdf = gpd.GeoDataFrame({"township": every["township"].astype(object).fillna("—").astype(str).to_numpy()},
                           geometry=list(geoms), crs=a.crs)
    keep = nonempty(gdf).index
    return every.loc[keep].reset_index(drop=True), gdf.loc[keep].reset_index(drop=True)


def _village_fields(rows: pd.DataFrame, names: tuple[str, str], lang: str) -> list[dict[str, Any]]:
    """The villages' popup table: name, township, id, what changed, then each figure of A
    and of B, the reason sentences last (long)."""
    phased = rows["phase_a"].notna().any() or rows["phase_b"].notna().any()
    cols = ["name", "township", "id", "change", "mode_a", "mode_b", "capex_wan_a", "capex_wan_b",
            "om_wan_per_year_a", "om_wan_per_year_b", *(["phase_a", "phase_b"] if phased else []),
            "reason_a", "reason_b"]
    fields = []
    for col in cols:
        if col == "change":
            values = esc_series([change_text(c, names, lang) for c in rows[col]])
        elif col.startswith("mode_"):
            values = format_column(rows[col], "sewage_mode", lang)
        else:
            values = format_column(rows[col], col.removesuffix("_a").removesuffix("_b"), lang)
        text = label(col, lang) if col in ("name", "township", "id") else heading(col, names, lang)
        field: dict[str, Any] = {"key": esc(col), "label": esc(text), "values": values}
        if col.startswith("reason_"):
            field["long"] = True
        fields.append(field)
    return fields


def _township_names(b: MapData, villages: gpd.GeoDataFrame, lang: str) -> list[str]:
    areas = township_areas(villages)
    pts = gpd.GeoDataFrame(geometry=list(areas["label_point"]), crs=villages.crs)
    b.add({"key": "township_labels", "name": esc(label("township_names", lang)), "kind": "labels",
           "show": True, "geom": b.points(pts), "text": esc_series(areas.index.to_series())})
    return ["township_labels"]


def _mode_layer(b: MapData, rows: pd.DataFrame, s: str, geom: Any, kind: str, lang: str) -> None:
    """Plan ``s``'s villages by sewage mode; villages the plan does not hold: white."""
    cls = sewage_class(pd.DataFrame({"sewage_mode": rows[f"mode_{s}"]})).copy()
    cls[~rows[f"in_{s}"].to_numpy(bool)] = len(SEWAGE.codes)
    base = CLASS_POINT if kind == "points" else CLASS_FILL
    colors = [*(SEWAGE.colors[c] for c in SEWAGE.codes), WHITE]
    keys = [*(SEWAGE.label_key(c) for c in SEWAGE.codes), "sewage_mode.absent"]
    fields = b.tables["villages"]
    b.add({"key": f"{s}_villages", "name": esc(label("layer.villages_sewage", lang)), "kind": kind, "show": True,
           "fast": kind == "polygons", "geom": geom, "cls": cls.tolist(),
           "styles": [base.filled(c).leaflet() for c in colors],
           "legend": _legend([(label(keys[i], lang), LEGEND_EDGE, colors[i]) for i in range(len(colors))
                              if (cls == i).any()], "circle" if kind == "points" else "box"),
           "fields": "villages", "tooltip": field_index(fields, "name", "township", f"mode_{s}", "change"),
           "popup": list(range(len(fields)))})


def _changed_layer(b: MapData, rows: pd.DataFrame, villages: gpd.GeoDataFrame, kind: str, lang: str) -> list[str]:
    """The outline of every village whose decision changed (both panels); none: no layer."""
    changed = np.flatnonzero((rows["change"] != "").to_numpy())
    if not len(changed):
        return []
    sym = SYMBOLS["changed_villages"]
    style = dict(sym.leaflet(), fill=False, interactive=False)
    spec: dict[str, Any] = {"key": "changed_villages", "name": esc(label("layer.changed_villages", lang)),
                            "show": True, "styles": [style],
                            "legend": _legend([(label("layer.changed_villages", lang), sym.color, "none")], "line")}
    if kind == "points":
        spec.update(kind="points", geom=b.points(villages.iloc[changed]), styles=[dict(style, radius=9)])
    else:
        polys = b.geoms["villages"]
        spec.update(kind="polygons", geom=[polys[i] for i in changed])
    b.add(spec)
    return ["changed_villages"]


def _plant_layer(b: MapData, plants: gpd.GeoDataFrame | None, s: str, lang: str) -> list[str]:
    """Plan ``s``'s sewage plants and stations (where that plan has them)."""
    if plants is None or not present(plants):
        return []
    plants = nonempty(plants)
    key = f"{s}_sewage_plants"
    fields = popup_fields(plants, lang)
    b.tables[key] = fields
    sym = SYMBOLS["sewage_plants"]
    b.add({"key": key, "name": esc(label("sewage_plants", lang)), "kind": "points", "show": True,
           "geom": b.points(plants), "styles": [sym.leaflet()],
           "legend": _legend([(label("sewage_plants", lang), sym.color, sym.legend_fill)], "circle"),
           "fields": key, "tooltip": field_index(fields, "name", "id", "capacity_m3_per_day"),
           "popup": list(range(len(fields)))})
    return [key]


def _headline(cmp: Comparison, s: str, lang: str) -> str:
    """One panel's figures: capex, O&M and villages per mode (plain text, escaped by the page)."""
    t = cmp.totals[s]
    per = ("、" if lang == "zh" else ", ").join(
        f"{value_label('sewage_mode', m, lang)} {int(t[f'villages_{m}'])}" for m in SEWAGE_MODES
        if f"villages_{m}" in t.index)
    if lang == "zh":
        return f"总投资 {t['capex_wan']:,.0f} 万元 · 年运行维护费 {t['om_wan_per_year']:,.1f} 万元/年 · {per}"
    return f"capex {t['capex_wan']:,.0f} × 10⁴ yuan · O&M {t['om_wan_per_year']:,.1f} × 10⁴ yuan/year · {per}"


def _page(cmp: Comparison, payload: dict[str, Any], lang: str) -> str:
    """The HTML page: inlined assets, a header, the two panels, the data block."""
    name = cmp.plan_a.district.name
    title = f"{name} · {label('compare_map', lang)}"
    n, total = len(cmp.villages), len(cmp.all_villages)
    sub = (f"{cmp.names[0]} → {cmp.names[1]}：决策变化的村 {n} 个（共 {total} 个），已描边；两图联动，拖动或缩放任一图，另一图随之移动"
           if lang == "zh" else
           f"{cmp.names[0]} → {cmp.names[1]}: {n} of {total} villages changed their decision (outlined); "
           f"the two maps move together")
    panels = "".join(
        f'<section class="gc-panel"><div class="gc-name"><b>{esc(cmp.names[k])}</b>{esc(_headline(cmp, s, lang))}'
        f'</div><div class="gc-map" id="{_ELEMENTS[k]}"></div></section>' for k, s in enumerate(("a", "b")))
    assets = (_assets.inline_style(_assets.leaflet_css()) + _assets.inline_style(_assets.runtime_css())
              + _assets.inline_style(_assets.compare_css()) + _assets.inline_script(_assets.leaflet_js())
              + _assets.inline_script(_assets.runtime_js()) + _assets.inline_script(_assets.compare_js()))
    return ("<!DOCTYPE html>\n"
            f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title>{assets}</head>"
            f'<body class="gc-body"><header class="gc-head"><div class="gc-title">{esc(title)}</div>'
            f'<div class="gc-sub">{esc(sub)}</div></header><main class="gc-panels">{panels}</main>'
            f'<script type="application/json" id="geo-env-data">{script_json(payload)}</script>'
            '<script>geCompare.start("geo-env-data");</script></body></html>\n')
