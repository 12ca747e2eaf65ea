"""Static briefing maps for print: A4 landscape PNGs with a CJK font.

:func:`write_figures` draws, for the analyses a plan holds,

* ``waste_coverage.png`` — villages by collection coverage, stations, proposed stations;
* ``sewage_modes.png`` — villages by sewage mode, plants, shared-station clusters;
* ``livestock.png`` — farms by setback check with their setback rings, water,
  no-farming zones;

each with a Chinese (or English) title and legend, township labels, a scale bar, a north
arrow and a footer with the CRS; and with the status baseline a chart,

* ``indicators.png`` — the assessment indicators of the district: baseline and planned
  share as grouped horizontal bars, the target as a mark across each group.
  Text is set in a CJK font found on the system
(:func:`cjk_font`); when none exists the figures are not drawn and
:class:`~geo_env.errors.GeoEnvError` says which font package to install — never
boxes in place of characters.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle
from matplotlib.patheffects import withStroke

from .._choices import INDICATORS
from ..io import writers as _io
from ..labels import display_width, label
from ._shapes import all_points, plan_layer, township_areas
from .fonts import FONT_HINT as FONT_HINT
from .fonts import PREFERRED_CJK as PREFERRED_CJK
from .fonts import FontNotFoundError as FontNotFoundError
from .fonts import cjk_font as cjk_font
from .style import (
    BASELINE_BAR,
    BLACK,
    FARMS,
    FOOTER_TEXT_PRINT,
    LEGEND_EDGE,
    MAP_BACKGROUND_PRINT,
    PLANNED_BAR,
    SEWAGE,
    SYMBOLS,
    TARGET_MARK,
    TOWNSHIP_LABEL_PRINT,
    TOWNSHIP_LINE_PRINT,
    VILLAGE_BACKGROUND_PRINT,
    WASTE,
    WHITE,
    ClassTable,
    Symbol,
    farm_class,
    sewage_class,
    waste_class,
)
from .waste_figure import has_chain, waste_chain_chart

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["A4_LANDSCAPE_IN", "DPI", "FIGURES", "cjk_font", "write_figures", "draw_figure",
           "FontNotFoundError"]

log = logging.getLogger(__name__)

#: A4 landscape in inches (297 × 210 mm).
A4_LANDSCAPE_IN = (297 / 25.4, 210 / 25.4)
#: Print resolution (dots per inch).
DPI = 200


# --------------------------------------------------------------------------------------
# map furniture
# --------------------------------------------------------------------------------------
def nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k m) of about a fifth of ``span_m``."""
    target = max(span_m / 5, 1e-9)
    exp = math.floor(math.log10(target))
    for mult in (5, 2, 1):
        if mult * 10 ** exp <= target:
            return float(mult * 10 ** exp)
    return float(10 ** exp)


def _scale_bar(ax: Any, lang: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    h = (y1 - y0) * 0.008
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    ax.add_patch(Rectangle((bx - (x1 - x0) * 0.015, by - (y1 - y0) * 0.02),
                           length + (x1 - x0) * 0.06, (y1 - y0) * 0.075, facecolor=WHITE,
                           edgecolor="none", alpha=0.85, zorder=19))
    for k in range(4):
        ax.add_patch(Rectangle((bx + k * length / 4, by), length / 4, h,
                               facecolor=BLACK if k % 2 == 0 else WHITE,
                               edgecolor=BLACK, linewidth=0.6, zorder=20))
    unit_km = length >= 1000
    fmt = (lambda v: f"{v / 1000:g}") if unit_km else (lambda v: f"{v:g}")
    for v in (0, length / 2, length):
        ax.text(bx + v, by + h * 1.8, fmt(v), ha="center", va="bottom", fontsize=7.5, zorder=20)
    ax.text(bx + length + (x1 - x0) * 0.01, by + h / 2, "km" if unit_km else "m", ha="left",
            va="center", fontsize=7.5, zorder=20)


def _north_arrow(ax: Any, lang: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    cx, top = x1 - w * 0.05, y1 - h * 0.05
    ln = h * 0.07
    ax.add_patch(FancyArrow(cx, top - ln, 0, ln, width=w * 0.004, head_width=w * 0.022,
                            head_length=ln * 0.45, length_includes_head=True, color=BLACK,
                            zorder=20))
    ax.text(cx, top - ln * 1.12, label("north", lang), ha="center", va="top", fontsize=11,
            fontweight="bold", zorder=20)


def _boundaries(ax: Any, villages: gpd.GeoDataFrame, lang: str) -> None:
    if not len(villages):
        return
    areas = township_areas(villages)
    if not all_points(villages):
        areas.boundary.plot(ax=ax, color=TOWNSHIP_LINE_PRINT, linewidth=0.9, linestyle=(0, (5, 2.5)), zorder=6)
        outline = shapely.union_all(areas.geometry.values)
        gpd.GeoSeries([outline], crs=villages.crs).boundary.plot(ax=ax, color=SYMBOLS["district"].color,
                                                                 linewidth=1.8, zorder=7)
    halo = [withStroke(linewidth=2.6, foreground=WHITE)]
    for town, pt in zip(areas.index, areas["label_point"]):
        ax.text(pt.x, pt.y, str(town), ha="center", va="center", fontsize=10, fontweight="bold",
                color=TOWNSHIP_LABEL_PRINT, path_effects=halo, zorder=15)


def _villages(ax: Any, villages: gpd.GeoDataFrame, colors: Sequence[str]) -> None:
    if not len(villages):
        return
    if all_points(villages):
        villages.plot(ax=ax, color=list(colors), markersize=14, edgecolor=WHITE, linewidth=0.4,
                      zorder=3)
    else:
        villages.plot(ax=ax, color=list(colors), edgecolor=WHITE, linewidth=0.3, zorder=3)


def _points(ax: Any, gdf: gpd.GeoDataFrame | None, **style: Any) -> bool:
    if gdf is None or not len(gdf):
        return False
    gdf.plot(ax=ax, zorder=10, **style)
    return True


# --------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------
def _class_patches(table: ClassTable, cls: np.ndarray, lang: str) -> list[Any]:
    """Legend swatches of the classes that occur in ``cls``."""
    return [Patch(facecolor=table.colors[c], edgecolor=LEGEND_EDGE, label=label(table.label_key(c), lang))
            for c in table.present(cls)]


def _marker(symbol: Symbol, marker: str, size: float, key: str, lang: str) -> Line2D:
    """A legend row for point markers drawn with ``symbol``'s fill and rim."""
    return Line2D([], [], marker=marker, linestyle="", markerfacecolor=symbol.fill_color,
                  markeredgecolor=symbol.color, markersize=size, label=label(key, lang))


def _waste(ax: Any, plan: Plan, lang: str) -> list[Any]:
    v = plan.villages
    cls = waste_class(v)
    _villages(ax, v, WASTE.colors_of(cls))
    handles: list[Any] = _class_patches(WASTE, cls, lang)
    areas = plan.layers.get("service_areas")
    if areas is not None and len(areas):
        blue = SYMBOLS["service_areas"].color
        areas.boundary.plot(ax=ax, color=blue, linewidth=0.7, linestyle=(0, (3, 2)), zorder=5)
        handles.append(Line2D([], [], color=blue, linewidth=0.9, linestyle=(0, (3, 2)),
                              label=label("service_areas", lang)))
    station = SYMBOLS["transfer_stations"]
    if _points(ax, plan_layer(plan, "transfer_stations"), color=station.fill_color, markersize=36,
               edgecolor=station.color, linewidth=0.8):
        handles.append(_marker(station, "o", 7, "transfer_stations", lang))
    proposed = SYMBOLS["proposed_transfer_stations"]
    if _points(ax, plan.layers.get("proposed_transfer_stations"), marker="*", color=proposed.fill_color,
               markersize=160, edgecolor=proposed.color, linewidth=1.0):
        handles.append(_marker(proposed, "*", 12, "proposed_transfer_stations", lang))
    return handles


def _sewage(ax: Any, plan: Plan, lang: str) -> list[Any]:
    v = plan.villages
    cls = sewage_class(v)
    _villages(ax, v, SEWAGE.colors_of(cls))
    handles: list[Any] = _class_patches(SEWAGE, cls, lang)
    clusters = plan.layers.get("sewage_clusters")
    if clusters is not None and len(clusters):
        geoms = clusters.geometry
        polys = clusters[np.isin(shapely.get_type_id(geoms.values), [3, 6])]
        if len(polys):
            orange = SYMBOLS["sewage_clusters"].color
            polys.boundary.plot(ax=ax, color=orange, linewidth=1.4, linestyle=(0, (6, 3)), zorder=8)
            handles.append(Line2D([], [], color=orange, linewidth=1.4, linestyle=(0, (6, 3)),
                                  label=label("sewage_clusters", lang)))
    plant = SYMBOLS["sewage_plants"]
    if _points(ax, plan_layer(plan, "sewage_plants"), marker="s", color=plant.fill_color, markersize=60,
               edgecolor=plant.color, linewidth=0.8):
        handles.append(_marker(plant, "s", 8, "sewage_plants", lang))
    return handles


def _livestock(ax: Any, plan: Plan, lang: str) -> list[Any]:
    d = plan.district
    v = plan.villages
    _villages(ax, v, [VILLAGE_BACKGROUND_PRINT] * len(v))
    handles = _zones(ax, plan, lang)
    farms = plan_layer(plan, "livestock_farms")
    assert farms is not None  # FIGURES draws livestock.png only for a plan with farms
    cls = farm_class(farms)
    colors = FARMS.colors_of(cls)
    radius = d.params.get("livestock", {}).get("residential_setback_m")
    if radius:
        rings = farms.geometry.buffer(float(radius), quad_segs=32).boundary
        rings.plot(ax=ax, color=colors, linewidth=0.8, linestyle=(0, (4, 3)), zorder=9)
        handles.append(Line2D([], [], color=SYMBOLS["setback_rings"].color, linewidth=0.8, linestyle=(0, (4, 3)),
                              label=f"{label('setback_rings', lang)} {float(radius):,.0f} m"))
    size = np.full(len(farms), 40.0)
    if "pig_equivalents" in farms.columns:
        pe = farms["pig_equivalents"].to_numpy(dtype=float)
        size = 20 + 160 * np.sqrt(np.nan_to_num(pe) / max(np.nanmax(pe), 1e-9))
    rim = SYMBOLS["livestock_farms"].color
    farms.plot(ax=ax, color=colors, markersize=size, edgecolor=rim, linewidth=0.6, zorder=10)
    handles += [Line2D([], [], marker="o", linestyle="", markerfacecolor=FARMS.colors[c], markeredgecolor=rim,
                       markersize=8, label=label(FARMS.label_key(c), lang))
                for c in FARMS.present(cls)]
    return handles


#: The areas under the farms: layer, opacity of their fill in the frame and in the legend.
_ZONES = (("prohibited_zones", 0.5, 0.7), ("water", None, None))


def _zones(ax: Any, plan: Plan, lang: str) -> list[Any]:
    """No-farming zones and water under the farms (areas filled, lines in the outline colour)."""
    handles: list[Any] = []
    for name, alpha, swatch_alpha in _ZONES:
        gdf = getattr(plan.district, name)
        if gdf is None or not len(gdf):
            continue
        sym = SYMBOLS[name]
        kinds = shapely.get_type_id(gdf.geometry.values)
        polys, lines = gdf[np.isin(kinds, [3, 6])], gdf[np.isin(kinds, [1, 2, 5])]
        if len(polys):
            polys.plot(ax=ax, zorder=4, linewidth=0.5, color=sym.fill_color, alpha=alpha, edgecolor=sym.color)
        if len(lines):
            lines.plot(ax=ax, zorder=4, linewidth=1.0, color=sym.color)
        handles.append(Patch(facecolor=sym.fill_color, edgecolor=sym.color, alpha=swatch_alpha,
                             label=label(name, lang)))
    return handles


def indicator_values(plan: Plan) -> pd.DataFrame:
    """The district's assessment indicators: ``baseline``, ``planned`` and ``target`` (shares
    0–1, NaN not assessed or no target) by indicator id, in :data:`INDICATORS` order.

    From ``plan.summary["indicators"]``; an indicator missing there takes its baseline and
    planned share from the ``"total"`` row of ``plan.tables["indicators"]``.  Empty without
    indicators.
    """
    meta = plan.summary.get("indicators")
    meta = meta if isinstance(meta, dict) else {}
    table = plan.tables.get("indicators")
    total = None
    if isinstance(table, pd.DataFrame) and "township" in table.columns:
        rows = table[table["township"] == "total"]
        total = rows.iloc[0] if len(rows) else None
    out = {}
    for ind in INDICATORS:
        m = meta.get(ind)
        if isinstance(m, dict):
            out[ind] = [m.get("baseline"), m.get("planned"), m.get("target")]
        elif total is not None and f"{ind}.baseline" in total.index:
            out[ind] = [total[f"{ind}.baseline"], total.get(f"{ind}.planned"), None]
    df = pd.DataFrame.from_dict(out, orient="index", columns=["baseline", "planned", "target"])
    return df.apply(pd.to_numeric, errors="coerce").astype(float)


def _indicators(ax: Any, plan: Plan, lang: str) -> list[Any]:
    """Grouped horizontal bars: baseline and planned per indicator (first at the top), the
    target a vertical mark across its group; not assessed values say so."""
    values = indicator_values(plan)
    y = np.arange(len(values))[::-1].astype(float)
    h = 0.36
    halo = [withStroke(linewidth=2.4, foreground=WHITE)]
    for col, dy, color in (("baseline", h / 2, BASELINE_BAR), ("planned", -h / 2, PLANNED_BAR)):
        x = values[col].to_numpy()
        ax.barh(y + dy, np.nan_to_num(x), height=h, color=color, zorder=3)
        for yi, v in zip(y + dy, x):
            text = f"{v * 100:.1f}%" if np.isfinite(v) else label("not_assessed", lang)
            ax.text((v if np.isfinite(v) else 0) + 0.01, yi, text, va="center", fontsize=9, zorder=6,
                    path_effects=halo)
    t = values["target"].to_numpy()
    has = np.isfinite(t)
    ax.vlines(t[has], y[has] - h * 1.25, y[has] + h * 1.25, colors=TARGET_MARK, linewidth=2.2, zorder=5)
    for ti, yi in zip(t[has], y[has]):
        ax.text(ti, yi + h * 1.3, f"{ti * 100:.0f}%", ha="center", va="bottom", fontsize=8,
                color=TARGET_MARK, zorder=6, path_effects=halo)
    ax.set_yticks(y, [label(i, lang) for i in values.index], fontsize=10)
    ax.set_xlim(0, 1.12)
    ax.set_ylim(-0.8, len(values) - 0.2)
    ticks = np.linspace(0, 1, 6)
    ax.set_xticks(ticks, [f"{v * 100:.0f}%" for v in ticks])
    ax.grid(axis="x", color=LEGEND_EDGE, linewidth=0.4, alpha=0.5, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return [Patch(facecolor=BASELINE_BAR, label=label("baseline", lang)),
            Patch(facecolor=PLANNED_BAR, label=label("planned", lang)),
            Line2D([], [], color=TARGET_MARK, linewidth=2.2, label=label("target", lang))]


def _phases(ax: Any, plan: Plan, lang: str) -> list[Any]:
    """The treatment-rate trajectory: baseline, then after each phase; the district bold,
    each township thin; the target as a horizontal line."""
    phases = plan.summary.get("phases") or []
    meta = (plan.summary.get("indicators") or {}).get("sewage_treatment_rate") or {}
    base = meta.get("baseline")
    x = np.arange(len(phases) + 1)
    names = [label("baseline", lang), *(f"{p['name']}（{p['end_year']}）" if lang == "zh"
                                         else f"{p['name']} ({p['end_year']})" for p in phases)]
    towns = sorted({t for p in phases for t in p["indicators"]["sewage_treatment_rate"]["by_township"]})
    ends: list[tuple[float, str]] = []
    for t in towns:
        b = (meta.get("by_township") or {}).get(t, {}).get("baseline")
        ys = [np.nan if b is None else b, *(p["indicators"]["sewage_treatment_rate"]["by_township"].get(t, np.nan)
                                           for p in phases)]
        ax.plot(x, ys, color=BASELINE_BAR, linewidth=1.0, marker="o", markersize=3, zorder=3)
        ends.append((float(ys[-1]), t))
    last = -1.0
    for y_end, t in sorted(ends):  # names at the right end, pushed apart so none overlap
        last = max(y_end, last + 0.035)
        ax.text(x[-1] + 0.08, last, t, fontsize=8, va="center", color=BASELINE_BAR)
    ys = [np.nan if base is None else base, *(p["indicators"]["sewage_treatment_rate"]["district"] for p in phases)]
    ax.plot(x, ys, color=PLANNED_BAR, linewidth=3.0, marker="o", markersize=6, zorder=4)
    for xi, yi in zip(x, ys):
        if np.isfinite(yi):
            ax.text(xi, yi + 0.03, f"{yi * 100:.1f}%", ha="center", fontsize=9, color=PLANNED_BAR, zorder=6)
    if meta.get("target") is not None:
        ax.axhline(meta["target"], color=TARGET_MARK, linewidth=1.6, zorder=2)
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1.08)
    ax.set_xlim(-0.3, len(phases) + 0.8)
    ticks = np.linspace(0, 1, 6)
    ax.set_yticks(ticks, [f"{v * 100:.0f}%" for v in ticks])
    ax.grid(axis="y", color=LEGEND_EDGE, linewidth=0.4, alpha=0.5, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return [Line2D([], [], color=PLANNED_BAR, linewidth=3.0, label=label("district_total", lang)),
            Line2D([], [], color=BASELINE_BAR, linewidth=1.0, label=label("township", lang)),
            Line2D([], [], color=TARGET_MARK, linewidth=1.6, label=label("target", lang))]


#: file name → (title label, the test that the analysis is present, drawing function)
FIGURES: dict[str, tuple[str, Callable[[Plan], bool], Callable[[Any, Plan, str], list[Any]]]] = {
    "waste_coverage.png": ("figure.waste_coverage", lambda p: "waste_covered" in p.villages.columns,
                           _waste),
    "sewage_modes.png": ("figure.sewage_modes", lambda p: "sewage_mode" in p.villages.columns, _sewage),
    "livestock.png": ("figure.livestock",
                      lambda p: (f := plan_layer(p, "livestock_farms")) is not None and len(f) > 0
                      and "setback_ok" in f.columns, _livestock),
    "indicators.png": ("figure.indicators", lambda p: len(indicator_values(p)) > 0, _indicators),
    "phases.png": ("figure.phases", lambda p: bool(p.summary.get("phases")), _phases),
    "waste_chain.png": ("figure.waste_chain", has_chain, waste_chain_chart),
}
#: The figures that are charts, not maps (no boundaries, scale bar or north arrow).
_CHARTS = frozenset({"indicators.png", "phases.png", "waste_chain.png"})


def _text_of(plan: Plan, lang: str, title_key: str) -> str:
    towns = "".join(map(str, plan.villages["township"].unique()))
    return f"{plan.district.name}{label(title_key, lang)}{towns}{label('legend', lang)}"


def draw_figure(plan: Plan, name: str, *, lang: str | None = None, dpi: int = DPI) -> Figure:
    """The figure ``name`` (a key of :data:`FIGURES`) as a matplotlib Figure (A4 landscape).

    Raises
    ------
    FontNotFoundError
        When the text needs a CJK font and none is installed.
    """
    lang = lang or plan.district.lang or "zh"
    title_key, _, draw = FIGURES[name]
    text = _text_of(plan, lang, title_key)
    family = ["DejaVu Sans"]
    if any(ord(c) > 0x2E7F for c in text):
        family = [cjk_font(), "DejaVu Sans"]
    import matplotlib

    if name in _CHARTS:
        return _chart(plan, title_key, draw, family, lang, dpi)
    # parse_math off: user text (names with "$") is drawn as written, never as mathtext
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False, "text.parse_math": False}):
        fig = Figure(figsize=A4_LANDSCAPE_IN, dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.035, 0.08, 0.70, 0.80))
        handles = draw(ax, plan, lang)
        _boundaries(ax, plan.villages, lang)
        handles += [Line2D([], [], color=TOWNSHIP_LINE_PRINT, linewidth=0.9, linestyle=(0, (5, 2.5)),
                           label=label("townships", lang)),
                    Line2D([], [], color=SYMBOLS["district"].color, linewidth=1.8, label=label("district", lang))]
        _frame(ax, plan)
        _scale_bar(ax, lang)
        _north_arrow(ax, lang)
        title = f"{plan.district.name}{label(title_key, lang)}"
        size = 18.0
        if display_width(title) > _TITLE_WIDTH:  # a long district name: two lines, then smaller
            title = f"{plan.district.name}\n{label(title_key, lang).strip()}"
            size = max(10.0, min(16.0, 16.0 * _TITLE_WIDTH / max(map(display_width, title.split("\n")))))
        fig.suptitle(title, fontsize=size, fontweight="bold", y=0.965 if "\n" in title else 0.955,
                     va="top" if "\n" in title else "baseline")
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.755, 0.88), frameon=True,
                   title=label("legend", lang), title_fontsize=12, fontsize=10, borderpad=0.9,
                   labelspacing=0.8, alignment="left")
        _footer(fig, plan, lang)
        # draw now, inside the font context, so the text is laid out with the CJK font
        fig.canvas.draw()
    return fig


def _chart(plan: Plan, title_key: str, draw: Callable[[Any, Plan, str], list[Any]], family: list[str],
           lang: str, dpi: int) -> Figure:
    """A chart figure (A4 landscape): the title, the chart with its legend, the footer."""
    import matplotlib

    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False, "text.parse_math": False}):
        fig = Figure(figsize=A4_LANDSCAPE_IN, dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.30, 0.12, 0.62, 0.74))
        handles = draw(ax, plan, lang)
        title = f"{plan.district.name}{label(title_key, lang)}"
        size = 18.0 if display_width(title) <= _TITLE_WIDTH else max(10.0, 18.0 * _TITLE_WIDTH / display_width(title))
        fig.suptitle(title, fontsize=size, fontweight="bold", y=0.955, va="baseline")
        fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.92, 0.93), ncols=len(handles),
                   frameon=False, fontsize=10)
        _footer(fig, plan, lang)
        fig.canvas.draw()
    return fig


def _frame(ax: Any, plan: Plan) -> None:
    x0, y0, x1, y1 = plan.villages.total_bounds
    w, h = x1 - x0, y1 - y0
    pad = 0.06 * max(w, h, 1.0)
    # the axes' shape: 0.70 × 0.80 of an A4 landscape page
    aspect = (0.80 * A4_LANDSCAPE_IN[1]) / (0.70 * A4_LANDSCAPE_IN[0])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = w / 2 + pad, h / 2 + pad
    if half_h / half_w > aspect:
        half_w = half_h / aspect
    else:
        half_h = half_w * aspect
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_h, cy + half_h)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_facecolor(MAP_BACKGROUND_PRINT)
    for spine in ax.spines.values():
        spine.set_linewidth(1.2)


#: Width of an 18 pt title that fits across the A4 page, in half-width characters.
_TITLE_WIDTH = 84


def _footer(fig: Figure, plan: Plan, lang: str) -> None:
    from .. import __version__

    crs = plan.district.crs
    epsg = crs.to_epsg()
    colon, op, cl = ("：", "（", "）") if lang == "zh" else (": ", " (", ")")
    text = (f"{label('crs', lang)}{colon}{crs.name}" + (f"{op}EPSG:{epsg}{cl}" if epsg else "")
            + f"    {label('made_with', lang)}{colon}geo_env {__version__}"
            + f"    {label('date', lang)}{colon}{_dt.date.today().isoformat()}")
    fig.text(0.035, 0.035, text, fontsize=8.5, color=FOOTER_TEXT_PRINT, ha="left")


def write_figures(plan: Plan, out_dir: str | Path, *, lang: str | None = None,
                  dpi: int = DPI) -> list[Path]:
    """Draw every figure whose analysis the plan holds into ``out_dir``; return the paths.

    Each PNG is written atomically. Figures of missing analyses are skipped.

    Raises
    ------
    FontNotFoundError
        When the text needs a CJK font and none is installed.
    """
    out = Path(out_dir)
    written: list[Path] = []
    for name, (_, present, _) in FIGURES.items():
        if not present(plan):
            log.info("figure %s skipped: its analysis is not in the plan", name)
            continue
        fig = draw_figure(plan, name, lang=lang, dpi=dpi)
        with _io.atomic_path(out / name) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png", facecolor=WHITE)
        written.append(out / name)
    return written
