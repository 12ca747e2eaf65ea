"""The interactive plan map: one self-contained HTML file that opens with no network.

:func:`plan_map` turns a :class:`~geo_env.plan.Plan` into a :class:`folium.Map` showing
whatever the plan holds: boundaries and township names always; villages coloured by waste
coverage and by sewage mode, service areas, proposed stations, sewage clusters and plants,
livestock farms with their setback rings, roads, water, no-farming zones and a DEM
hillshade when those layers or columns exist.  Each layer has its legend, a tooltip with
the key numbers and a popup with every column (and the reason sentences).

This module makes the page; the layers are made by :mod:`geo_env.outputs.map_layers`
(symbols from :mod:`geo_env.outputs.style`, popups from ``_popups``) into the data block
of ``_mapdata``.

How it stays offline, safe, small and fast:

* Leaflet and geo_env's runtime (``assets/geo_env_map.js``: decoder, search, fullscreen,
  measure, legend) are inlined; folium's CDN links are removed (:class:`OfflineMap`).
  Tiles (``basemap``) are optional decoration; with ``"amap"`` (GCJ-02 tiles) every
  overlay is shifted to GCJ-02 so that it lines up with them.
* Every user-supplied string passes through :func:`geo_env.outputs.html.esc`; the data sit
  in one ``<script type="application/json">`` block written by
  :func:`geo_env.outputs.html.script_json`, which cannot close its element.
* Village polygons are simplified as a coverage (no gaps, no overlaps), their shared
  boundaries are stored once and coordinates are ~1 m integers in a short text encoding
  (:mod:`geo_env.outputs.topology`); township and district boundaries are the arcs between
  townships and at the edge.  Layers are drawn on a canvas and built when first shown.
"""
from __future__ import annotations

import base64
import io
import logging
import math
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import folium
import numpy as np
from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from folium.template import Template

from .._choices import BASEMAPS
from ..errors import DataWarning, GeoEnvWarning, ParameterError
from ..io import writers as _io
from ..labels import LANGS, label
from . import _assets
from ._mapdata import MapData
from ._mapdata import simplify_coverage as _simplify_coverage  # noqa: F401 - tests call maps._simplify_coverage
from ._popups import indicator_panel
from ._shapes import nonempty, township_areas
from .html import esc, script_json
from .map_layers import plan_layers, village_layers
from .style import COLORS as COLORS  # re-exported: the class colours were maps.COLORS
from .style import HILLSHADE_OPACITY, HILLSHADE_SHADE, rgb255
from .topology import QUANTUM

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

    def render(self, **kwargs: Any) -> str:
        """Put the inlined assets into the page's header, then render as folium does.

        Returns ``""``: a map writes into its page (header, body, script), not in place.
        """
        _page(self).header.add_child(_Raw(  # third-party code, not a template either
            _assets.inline_style(_assets.leaflet_css())
            + _assets.inline_style(_assets.runtime_css())
            + _assets.inline_script(_assets.leaflet_js())
            + _assets.inline_script(_assets.runtime_js())
        ), name="geo_env_assets")
        super().render(**kwargs)
        return ""


def _page(element: Element) -> Figure:
    """The page an element is on: a folium map always sits in a branca Figure (``Map()``
    adds itself to a new one), and so does everything added to the map."""
    return cast(Figure, element.get_root())


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

    def render(self, **kwargs: Any) -> str:
        """Put the data block into the page's body and the start script into its script.

        Returns ``""``: the element writes into its page, not in place.
        """
        _page(self).html.add_child(_Raw(
            f'<script type="application/json" id="{self.block_id}">{self.json}</script>'),
            name=self.get_name())
        super().render(**kwargs)
        return ""


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
    b = MapData(crs=d.crs, gcj=basemap == "amap", simplify_m=float(simplify_m),
                 max_vertices=int(max_vertices))
    villages = nonempty(plan.villages)
    panel = indicator_panel(plan.tables.get("indicators"), plan.summary.get("indicators"),
                            villages["township"], lang)
    village_layers(b, villages, lang, panel=panel,
                   phases=[str(p["name"]) for p in plan.summary.get("phases") or []])
    plan_layers(b, plan, lang)
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
    _page(m).title = esc(title)
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


def _hillshade_layer(b: MapData, dem: Path, nodata: float | None, lang: str,
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
