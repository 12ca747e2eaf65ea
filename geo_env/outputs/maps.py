"""The interactive plan map: one self-contained HTML file that opens with no network.

:func:`plan_map` turns a :class:`~geo_env.plan.Plan` into a :class:`folium.Map` showing
whatever the plan holds: boundaries and township names always; villages coloured by waste
coverage and by sewage mode, service areas, proposed stations, sewage clusters and plants,
livestock farms with their setback rings, roads, water, no-farming zones and a DEM
hillshade when those layers or columns exist.  Each layer has its legend, a tooltip with
the key numbers and a popup with every column (and the reason sentences).

How it stays offline, safe, small and fast:

* Leaflet and geo_env's runtime (``assets/geo_env_map.js``: decoder, search, fullscreen,
  measure, legend) are inlined; folium's CDN links are removed (:class:`OfflineMap`).
  Tiles (``basemap``) are optional decoration; with ``"amap"`` (GCJ-02 tiles) every
  overlay is shifted to GCJ-02 so that it lines up with them.
* Every user-supplied string passes through :func:`geo_env._html.esc`; the data sit in
  one ``<script type="application/json">`` block written by
  :func:`geo_env._html.script_json`, which cannot close its element.
* Village polygons are simplified as a coverage (no gaps, no overlaps), their shared
  boundaries are stored once and coordinates are ~1 m integers in a short text encoding
  (:mod:`geo_env._topology`); township and district boundaries are the arcs between
  townships and at the edge.  Layers are drawn on a canvas and built when first shown.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

from .._choices import BASEMAPS
from ..errors import DataWarning, GeoEnvWarning, ParameterError
from ..io import writers as _io
from ..labels import CODED_COLUMNS, LANGS, label, value_label
from . import _assets
from ._shapes import all_points, nonempty, plan_layer, present, township_areas
from .html import esc, esc_series, script_json
from .style import (
    CLASS_FILL,
    CLASS_POINT,
    FARMS,
    HILLSHADE_OPACITY,
    HILLSHADE_SHADE,
    LEGEND_EDGE,
    SEWAGE,
    SYMBOLS,
    WASTE,
    ClassTable,
    Symbol,
    farm_class,
    rgb255,
    sewage_class,
    waste_class,
)
from .style import COLORS as COLORS  # re-exported: the class colours were maps.COLORS
from .topology import QUANTUM, ArcStore, line_coords, polygon_topology, quantize

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["BASEMAPS", "OfflineMap", "plan_map", "save_map", "map_html", "township_areas"]

log = logging.getLogger(__name__)

#: Tiles of the basemap choices (:data:`BASEMAPS`, one list for CLI, loader and maps): none
#: (default; boundaries give context), OpenStreetMap, Tianditu (天地图, needs a key in the
#: environment variable ``GEO_ENV_TIANDITU_KEY``) and Amap (高德, GCJ-02 tiles: overlays are
#: shifted to GCJ-02).
_TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "© OpenStreetMap contributors", "abc"),
    "tianditu": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                 "&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                 "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=", "© 天地图 Tianditu", "01234567"),
    "amap": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
             "&x={x}&y={y}&z={z}", "© 高德地图 AutoNavi", "1234"),
}

#: Columns shown as paragraphs in popups.
_LONG = {"sewage_reason", "toilet_suggestion", "issues"}
#: Columns never shown in popups.
_HIDDEN = {"geometry", "anchor_x", "anchor_y"}
_FIRST = ("name", "township", "id", "population", "households")


# --------------------------------------------------------------------------------------
# folium elements
# --------------------------------------------------------------------------------------
class OfflineMap(folium.Map):
    """A :class:`folium.Map` whose page inlines Leaflet and geo_env's runtime.

    folium's default JavaScript/CSS links (Leaflet, jQuery, Bootstrap, awesome-markers
    and Font Awesome from CDNs) are removed; nothing is loaded from the network except
    the tiles of an optional basemap.
    """

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        figure.header.add_child(_Raw(  # third-party code, not a template either
            _assets.inline_style(_assets.leaflet_css())
            + _assets.inline_style(_assets.runtime_css())
            + _assets.inline_script(_assets.leaflet_js())
            + _assets.inline_script(_assets.runtime_js())
        ), name="geo_env_assets")
        super().render(**kwargs)


class _Raw(Element):
    """Text put into the page as it is.

    branca's ``MacroElement.render`` wraps what its macros produce in a new ``Element``,
    whose ``render`` parses that text again as a Jinja template: a village named
    ``{{ 7*7 }}`` would become ``49`` and ``{{ cycler.__init__.__globals__.os… }}`` would
    run code.  Text that holds the user's data goes in through this class instead.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _Data(MacroElement):
    """The map's data block (JSON) and the runtime's start.

    The data block (every user string) is added as :class:`_Raw`, never rendered as a
    template; only the start script, which holds no user text, goes through branca.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        geoEnv.load("{{ this.block_id }}");
        geoEnv.controls({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "GeoEnvData"
        self.block_id = "geo-env-data"
        self.json = script_json(payload)

    def render(self, **kwargs: Any) -> None:
        self.get_root().html.add_child(_Raw(
            f'<script type="application/json" id="{self.block_id}">{self.json}</script>'),
            name=self.get_name())
        super().render(**kwargs)


class _DataLayer(Layer):
    """One overlay built by the runtime from the data block (a Leaflet FeatureGroup)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoEnv.layer({{ this._parent.get_name() }}, "{{ this.key }}");
        {% endmacro %}
    """)

    def __init__(self, key: str, name: str, show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeoEnvLayer"
        self.key = key


class _Ready(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        geoEnv.ready({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "GeoEnvReady"


# --------------------------------------------------------------------------------------
# value formatting
# --------------------------------------------------------------------------------------
def _decimals(col: str) -> int:
    if col.endswith(("_m3_per_day", "_km", "_ratio")) or col in ("load_ratio",):
        return 2 if col.endswith("_ratio") else 1
    if col.endswith(("_m", "_yuan_per_year", "_yuan", "_mu", "_kg_per_year", "population",
                     "households", "head", "pig_equivalents")):
        return 0
    return 2


def format_column(values: pd.Series, col: str, lang: str) -> list[str]:
    """Display text of a column's values (escaped), in ``lang``.

    Booleans become yes/no, codes their labels, numbers get thousands separators and the
    decimals their unit suggests (m → 0, m³/d → 1, rates as %); missing values are ``""``.
    """
    s = pd.Series(values).reset_index(drop=True)
    if s.dtype == bool or (s.dtype == object and s.dropna().map(type).isin([bool, np.bool_]).all()
                           and s.notna().any()):
        yes, no = esc(label("yes", lang)), esc(label("no", lang))
        return [("" if pd.isna(v) else (yes if bool(v) else no)) for v in s]
    if pd.api.types.is_numeric_dtype(s.dtype):
        x = s.astype(float)
        if col.endswith(("_rate", "_share")) or col.startswith("coverage_rate"):
            text = x.map(lambda v: f"{v * 100:.1f}%")
        else:
            d = _decimals(col)
            if d == 2 and np.allclose(x.dropna(), np.round(x.dropna())):
                d = 0
            text = x.map(lambda v: f"{v:,.{d}f}")
        out = text.where(x.notna(), "").to_list()
        return out
    if col in CODED_COLUMNS:
        mapped = s.map(lambda v: v if pd.isna(v) else value_label(col, v, lang))
        return esc_series(mapped)
    return esc_series(s)


def _fields(df: pd.DataFrame, lang: str, *, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    cols = [c for c in _FIRST if c in df.columns]
    cols += [c for c in (columns if columns is not None else df.columns)
             if c not in cols and c not in _HIDDEN and c != df.geometry.name
             and c in df.columns]
    fields = []
    for c in cols:
        vals = format_column(df[c], c, lang)
        if c == "station_distance_m" and "waste_covered" in df.columns:
            unreach = esc(label("unreachable", lang))
            isna = df[c].isna().to_numpy()
            vals = [unreach if m else v for v, m in zip(vals, isna)]
        f: dict[str, Any] = {"key": esc(c), "label": esc(label(c, lang))}
        uniq = pd.unique(pd.Series(vals, dtype=object))
        if len(vals) > 8 and len(uniq) * 4 < len(vals):
            codes = pd.Categorical(vals, categories=uniq).codes
            f["dict"], f["codes"] = list(uniq), codes.tolist()
        else:
            f["values"] = vals
        if c in _LONG:
            f["long"] = True
        fields.append(f)
    return fields


def _field_index(fields: list[dict[str, Any]], *keys: str) -> list[int]:
    pos = {f["key"]: i for i, f in enumerate(fields)}
    return [pos[esc(k)] for k in keys if esc(k) in pos]


# --------------------------------------------------------------------------------------
# geometry
# --------------------------------------------------------------------------------------
def _simplify_coverage(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify polygons that tile an area without opening gaps (GEOS coverage simplify)."""
    if tolerance <= 0:
        return geoms
    if hasattr(shapely, "coverage_simplify"):
        try:
            valid = bool(shapely.coverage_is_valid(geoms)) if hasattr(shapely, "coverage_is_valid") else True
            if valid:
                return np.asarray(shapely.coverage_simplify(geoms, tolerance), dtype=object)
            log.info("village polygons are not a clean coverage; simplified one by one")
        except shapely.errors.GEOSException as exc:  # pragma: no cover - GEOS-specific
            log.info("coverage simplification failed (%s); simplified one by one", exc)
    return np.asarray(shapely.simplify(geoms, tolerance, preserve_topology=True), dtype=object)


@dataclass
class _Builder:
    """Accumulates the map's geometry (one arc store) and layer specs."""

    crs: Any
    gcj: bool
    simplify_m: float
    max_vertices: int = 400_000
    village_tolerance_m: float = 0.0
    store: ArcStore = field(default_factory=ArcStore)
    layers: list[dict[str, Any]] = field(default_factory=list)
    geoms: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)

    def lonlat(self, geoms: gpd.GeoSeries) -> np.ndarray:
        """Geometries in lon/lat (WGS84; GCJ-02 when shifting for Amap)."""
        out = gpd.GeoSeries(geoms, crs=geoms.crs if geoms.crs is not None else self.crs)
        arr = np.asarray(out.to_crs(4326).values, dtype=object)
        if self.gcj:
            from ..crs import wgs84_to_gcj02

            def shift(xy: np.ndarray) -> np.ndarray:
                lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
                return np.column_stack([lon, lat])

            arr = np.asarray(shapely.transform(arr, shift), dtype=object)
        return arr

    def simplified(self, gdf: gpd.GeoDataFrame, *, coverage: bool = False) -> gpd.GeoSeries:
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        if coverage:
            geoms = _simplify_coverage(geoms, self.simplify_m)
            # a very large district: coarser boundaries keep the page fast (see max_vertices)
            tol = self.simplify_m
            while (tol > 0 and tol < 16 * self.simplify_m
                   and int(shapely.get_num_coordinates(geoms).sum()) > self.max_vertices):
                tol *= 2
                geoms = _simplify_coverage(geoms, tol)
            if tol != self.simplify_m:
                log.info("village boundaries simplified at %g m to stay under %d vertices",
                         tol, self.max_vertices)
            self.village_tolerance_m = tol
        elif self.simplify_m > 0:
            geoms = np.asarray(shapely.simplify(geoms, self.simplify_m, preserve_topology=True), dtype=object)
        return gpd.GeoSeries(geoms, crs=gdf.crs, index=gdf.index)

    def polygons(self, gdf: gpd.GeoDataFrame, *, coverage: bool = False):
        topo = polygon_topology(self.lonlat(self.simplified(gdf, coverage=coverage)))
        ids = self.store.add(topo.arc_coords, topo.arc_lengths)
        base = int(ids[0]) if len(ids) else 0

        def shift_ref(r: int) -> int:
            return r + base if r >= 0 else ~((~r) + base)

        polys = [[[[shift_ref(r) for r in ring] for ring in poly] for poly in feat]
                 for feat in topo.polygons] if base else topo.polygons
        owners = topo.arc_owners
        return polys, ids, owners

    def lines(self, gdf: gpd.GeoDataFrame) -> list[list[int]]:
        coords, lengths, geom_of = line_coords(self.lonlat(self.simplified(gdf)))
        ids = self.store.add(coords, lengths)
        out: list[list[int]] = [[] for _ in range(len(gdf))]
        for g, i in zip(geom_of.tolist(), ids.tolist()):
            out[g].append(i)
        return out

    def points(self, gdf: gpd.GeoDataFrame) -> int:
        pts = self.lonlat(gdf.geometry)
        xy = shapely.get_coordinates(shapely.point_on_surface(pts))
        return int(self.store.add(quantize(xy), [len(xy)])[0])

    def add(self, spec: dict[str, Any]) -> None:
        self.layers.append(spec)


def _legend(entries: Sequence[tuple[str, str, str]], shape: str = "box") -> list[dict[str, str]]:
    """Legend rows from (label, stroke colour, fill colour)."""
    return [{"label": esc(lab), "color": esc(stroke), "fill": esc(fill), "shape": shape}
            for lab, stroke, fill in entries]


# --------------------------------------------------------------------------------------
# the map
# --------------------------------------------------------------------------------------
def _check_options(lang: str, basemap: str) -> None:
    if lang not in LANGS:
        raise ParameterError(f"lang = {lang!r} is not one of {', '.join(LANGS)}",
                             hint="use 'zh' for Chinese labels or 'en' for English")
    if basemap not in BASEMAPS:
        raise ParameterError(f"basemap = {basemap!r} is not one of {', '.join(BASEMAPS)}",
                             hint="'none' needs no network; 'amap' shifts overlays to GCJ-02")
    if basemap == "tianditu" and not os.environ.get("GEO_ENV_TIANDITU_KEY"):
        raise ParameterError("basemap 'tianditu' needs a Tianditu key",
                             hint="set the environment variable GEO_ENV_TIANDITU_KEY to your "
                                  "天地图 key, or use basemap 'none', 'osm' or 'amap'")


def plan_map(plan: Plan, *, lang: str | None = None, basemap: str | None = None,
             simplify_m: float = 5.0, max_vertices: int = 400_000) -> OfflineMap:
    """The interactive plan map of ``plan``.

    Parameters
    ----------
    plan
        An analysed :class:`~geo_env.plan.Plan`; every layer and column it holds is shown.
    lang
        ``"zh"`` or ``"en"`` (labels, legends, popups); default: the district's language.
    basemap
        One of :data:`BASEMAPS`; default: the district's setting, else ``"none"``.
        ``"amap"`` shifts every overlay from WGS84 to GCJ-02.
    simplify_m
        Simplification tolerance (m, working CRS) for boundaries and lines; village
        polygons are simplified as a coverage, so neighbours stay gap-free.
    max_vertices
        When the simplified villages still have more vertices than this, the tolerance
        is doubled (up to 16 × ``simplify_m``) so that the page stays small and opens in
        about two seconds even for ~20,000 villages.

    Returns
    -------
    OfflineMap
        A :class:`folium.Map`; ``save_map(m, path)`` writes the offline HTML file.
    """
    d = plan.district
    lang = lang or d.lang or "zh"
    basemap = basemap or getattr(d, "basemap", None) or "none"
    _check_options(lang, basemap)
    b = _Builder(crs=d.crs, gcj=basemap == "amap", simplify_m=float(simplify_m),
                 max_vertices=int(max_vertices))
    villages = nonempty(plan.villages)
    _boundaries_and_villages(b, villages, lang)
    _other_layers(b, plan, lang)
    if d.dem is not None:
        _hillshade_layer(b, Path(d.dem), d.dem_nodata, lang, dem_crs=d.dem_crs, crs=d.crs,
                         bounds=tuple(d.villages.total_bounds))

    bounds = villages.to_crs(4326).total_bounds if len(villages) else np.array([73, 18, 135, 54])
    if b.gcj:
        from ..crs import wgs84_to_gcj02

        lon, lat = wgs84_to_gcj02(np.array(bounds[[0, 2]]), np.array(bounds[[1, 3]]))
        bounds = np.array([lon[0], lat[0], lon[1], lat[1]])
    center = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
    m = OfflineMap(location=center, zoom_start=11, tiles=None, prefer_canvas=True,
                   zoom_control=False, control_scale=False)
    title = f"{d.name} · {label('plan_map', lang)}"
    m.get_root().title = esc(title)
    if basemap != "none":
        url, attr, subdomains = _TILES[basemap]
        if basemap == "tianditu":
            url += os.environ["GEO_ENV_TIANDITU_KEY"]
            warnings.warn("the Tianditu key is written into the map file: whoever receives plan_map.html "
                          "can read it; share maps made with basemap = \"none\"", GeoEnvWarning, stacklevel=2)
        folium.TileLayer(tiles=url, attr=esc(attr), name=esc(label(f"basemap.{basemap}", lang)),
                         subdomains=subdomains, max_zoom=18, overlay=False).add_to(m)

    payload = {
        "arcs": b.store.encode(),
        "origin": list(b.store.origin()),
        "quantum": QUANTUM,
        "geoms": b.geoms,
        "tables": b.tables,
        "layers": b.layers,
        "ui": _ui(plan, lang, basemap),
        "bounds": [[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]],
    }
    _Data(payload).add_to(m)
    for spec in b.layers:
        _DataLayer(spec["key"], spec["name"], spec["show"]).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    _Ready().add_to(m)
    return m


def _ui(plan: Plan, lang: str, basemap: str) -> dict[str, str]:
    d = plan.district
    epsg = d.crs.to_epsg()
    crs = f"EPSG:{epsg}" if epsg else d.crs.name
    from .. import __version__

    sub = f"{label('map_subtitle', lang)} · {crs}"
    if basemap == "amap":
        sub += " · GCJ-02"
    return {
        "title": esc(d.name),
        "subtitle": esc(f"{sub} · geo_env {__version__}"),
        "search": esc(label("search_village", lang)),
        "fullscreen": esc(label("fullscreen", lang)),
        "measure": esc(label("measure", lang)),
        "zoom_in": esc(label("zoom_in", lang)),
        "zoom_out": esc(label("zoom_out", lang)),
        "colon": "：" if lang == "zh" else ": ",
    }


def _boundaries_and_villages(b: _Builder, villages: gpd.GeoDataFrame, lang: str) -> None:
    """The villages' layers: district and township boundaries, township names, and the
    villages once per theme (waste coverage, sewage mode; plain villages without either)."""
    fields = _fields(villages, lang)
    b.tables["villages"] = fields
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
    for n, (key, name, cls, symbols, legend, extra) in enumerate(_village_themes(villages, lang)):
        if kind == "points":
            symbols = [CLASS_POINT.filled(s.legend_fill) for s in symbols]
        b.add({"key": key, "name": esc(label(name, lang)), "kind": kind, "show": n == 0,
               "fast": kind == "polygons",  # drawn by the runtime's one-canvas layer
               "geom": geom, "cls": cls.tolist(), "styles": [s.leaflet() for s in symbols],
               "legend": _legend(legend, "circle" if kind == "points" else "box"),
               "fields": "villages", "tooltip": _field_index(fields, "name", "township", *extra),
               "popup": list(range(len(fields))),
               "search": {"name": _field_index(fields, "name")[0] if "name" in villages else 0,
                          "extra": next(iter(_field_index(fields, "township")), None)}})


def _boundaries(b: _Builder, villages: gpd.GeoDataFrame, lang: str) -> None:
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


def _village_themes(villages: gpd.GeoDataFrame, lang: str) -> list[_Theme]:
    themes = []
    if "waste_covered" in villages.columns:
        themes.append(_class_theme("villages_waste", WASTE, waste_class(villages), lang, ["station_distance_m"]))
    if "sewage_mode" in villages.columns:
        themes.append(_class_theme("villages_sewage", SEWAGE, sewage_class(villages), lang, ["sewage_mode"]))
    if not themes:
        sym = SYMBOLS["villages"]
        themes.append(("villages", "villages", np.zeros(len(villages), dtype=np.int64), [sym],
                       [(label("villages", lang), sym.color, sym.legend_fill)], []))
    return themes


def _point_layer(b: _Builder, key: str, gdf: gpd.GeoDataFrame, lang: str, symbol: Symbol,
                 *, show: bool = True, cls: np.ndarray | None = None,
                 symbols: list[Symbol] | None = None,
                 legend: list[dict[str, str]] | None = None, tip: Sequence[str] = ()) -> None:
    gdf = nonempty(gdf)
    if not len(gdf):
        return
    fields = _fields(gdf, lang)
    b.tables[key] = fields
    b.add({"key": key, "name": esc(label(key, lang)), "kind": "points", "show": show,
           "geom": b.points(gdf), "cls": None if cls is None else cls.tolist(),
           "styles": [s.leaflet() for s in (symbols or [symbol])],
           "legend": legend if legend is not None else _legend(
               [(label(key, lang), symbol.color, symbol.legend_fill)], "circle"),
           "fields": key, "tooltip": _field_index(fields, "name", "id", *tip),
           "popup": list(range(len(fields)))})


def _area_layer(b: _Builder, key: str, gdf: gpd.GeoDataFrame, lang: str, symbol: Symbol,
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
        fields = _fields(gdf, lang)
        b.tables[key] = fields
        spec.update(fields=key, tooltip=_field_index(fields, "name", "id"),
                    popup=list(range(len(fields))))
    b.add(spec)


def _other_layers(b: _Builder, plan: Plan, lang: str) -> None:
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
    for key, points, tip in (
        ("transfer_stations", plan_layer(plan, "transfer_stations"), ()),
        ("proposed_transfer_stations", layers.get("proposed_transfer_stations"), ("rank", "covers_population")),
        ("sewage_plants", plan_layer(plan, "sewage_plants"), ("capacity_m3_per_day", "load_m3_per_day")),
    ):
        if present(points):
            _point_layer(b, key, points, lang, SYMBOLS[key], tip=tip)
    farms = plan_layer(plan, "livestock_farms")
    if present(farms):
        _farm_layers(b, nonempty(farms), d.params.get("livestock", {}), lang)
    _added_layers(b, plan, lang)


def _added_layers(b: _Builder, plan: Plan, lang: str) -> None:
    """Any other output layer an analysis adds (e.g. sewer routes): shown, switched off."""
    handled = {"service_areas", "sewage_clusters", "proposed_transfer_stations", "sewage_plants",
               "livestock_farms", "transfer_stations", "villages"}
    for name, gdf in plan.layers.items():
        if name in handled or not present(gdf):
            continue
        kinds = set(shapely.get_type_id(nonempty(gdf).geometry.values).tolist())
        if kinds and kinds <= {0, 4}:
            _point_layer(b, name, gdf, lang, SYMBOLS["other_points"], show=False)
        else:
            _area_layer(b, name, gdf, lang, SYMBOLS["other_areas"], show=False,
                        interactive=kinds <= {1, 2, 3, 5, 6})


def _farm_layers(b: _Builder, farms: gpd.GeoDataFrame, params: dict[str, Any], lang: str) -> None:
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


def _hillshade_layer(b: _Builder, dem: Path, nodata: float | None, lang: str,
                     *, dem_crs: Any = None, crs: Any = None, bounds: Any = None,
                     max_pixels: int = 1200) -> None:
    """Hillshade of the DEM as a PNG image overlay (reprojected to Web Mercator)."""
    try:
        with warnings.catch_warnings():
            # the DEM's data problems are reported by `check` and the analyses (summary.json);
            # the decoration's own coarse read would only repeat them with other counts
            warnings.simplefilter("ignore", DataWarning)
            png, (west, south, east, north) = hillshade_png(dem, nodata=nodata, dem_crs=dem_crs,
                                                            max_pixels=max_pixels, crs=crs, bounds=bounds)
    except Exception as exc:  # decoration: a broken DEM must not break the map
        log.warning("no hillshade: %s", exc)
        return
    if b.gcj:
        from ..crs import wgs84_to_gcj02

        lon, lat = wgs84_to_gcj02(np.array([west, east]), np.array([south, north]))
        west, east, south, north = lon[0], lon[1], lat[0], lat[1]
    b.add({"key": "hillshade", "name": esc(label("hillshade", lang)), "kind": "image",
           "show": False, "url": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
           "bounds": [[south, west], [north, east]], "opacity": HILLSHADE_OPACITY, "legend": []})


def hillshade_png(dem: Path, *, nodata: float | None = None, dem_crs: Any = None, max_pixels: int = 1200,
                  crs: Any = None, bounds: tuple[float, float, float, float] | None = None,
                  azimuth: float = 315.0, altitude: float = 45.0) -> tuple[bytes, tuple[float, ...]]:
    """Hillshade of a DEM as a greyscale PNG in Web Mercator, and its lon/lat bounds.

    The DEM is read by :func:`geo_env.terrain.read_dem` (one reader for the declared,
    overridden and undeclared nodata values — implausible elevations such as a −3.4e38
    fill are nodata and transparent — and for ``dem_crs``), as a coarser grid of nearest
    cells whose longer side has at most ``max_pixels`` cells; with ``crs`` and ``bounds``
    (the district's extent in ``crs``, m) only that part, plus 2 km, is read.

    Returns
    -------
    (png bytes, (west, south, east, north) in degrees, WGS84)
    """
    from PIL import Image
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

    from ..terrain import read_dem

    # a coarse read (nearest cells) of the district's part only: a county 12.5 m DEM stays small
    grid = read_dem(dem, nodata=nodata, dem_crs=dem_crs, crs=crs, bounds=bounds, margin_m=2_000.0,
                    max_pixels=max_pixels)
    z, src_transform, src_crs = grid.values, grid.transform, grid.crs
    out_shape = z.shape
    sx, sy = src_transform.a, -src_transform.e
    if src_crs is not None and src_crs.is_geographic:
        top = src_transform.f
        lat = math.radians(top - sy * out_shape[0] / 2)
        sx, sy = sx * 111320 * math.cos(lat), sy * 110540
    t = src_transform
    src_bounds = (t.c, t.f + t.e * out_shape[0], t.c + t.a * out_shape[1], t.f)  # west, south, east, north
    gy, gx = np.gradient(z, sy, sx)
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(gy, -gx)  # gy: rise per metre southwards (row order)
    az, alt = math.radians(360 - azimuth + 90), math.radians(altitude)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    shade = np.clip(shade, 0, 1)
    dst_crs = "EPSG:3857"
    with warnings.catch_warnings():
        # rasterio (≤ 1.4) multiplies Affine objects with "*", which affine ≥ 3.1 flags
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        transform, w, h = calculate_default_transform(src_crs, dst_crs, out_shape[1],
                                                      out_shape[0], *src_bounds)
        dst = np.full((h, w), np.nan)
        reproject(shade, dst, src_transform=src_transform, src_crs=src_crs,
                  dst_transform=transform, dst_crs=dst_crs, src_nodata=np.nan,
                  dst_nodata=np.nan, resampling=Resampling.bilinear)
    valid = np.isfinite(dst)
    # dark where shaded, transparent where lit or nodata
    alpha = np.where(valid, (1 - np.nan_to_num(dst)) * 255, 0).astype(np.uint8)
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    rgba[..., :3] = rgb255(HILLSHADE_SHADE)
    rgba[..., 3] = alpha
    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG", optimize=True)
    left, top = transform.c, transform.f
    right, bottom = left + transform.a * w, top + transform.e * h
    west, south, east, north = transform_bounds(dst_crs, "EPSG:4326", left, bottom, right, top)
    return buf.getvalue(), (west, south, east, north)


def map_html(m: folium.Map) -> str:
    """The complete HTML page of ``m``."""
    return m.get_root().render()


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write ``m`` as one self-contained HTML file, atomically; return the path."""
    return _io.write_text(path, map_html(m))
