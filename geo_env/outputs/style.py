"""The outputs' one palette and symbol table: the map, the figures and the Excel report draw
with these colours and symbols, and spell none of their own.

* The palette: every colour, named after what it colours, as ``#rrggbb`` hex (sRGB); the
  map's runtime and matplotlib read the text as it is, openpyxl gets :func:`excel_rgb`,
  images :func:`rgb255`.
* The class tables (:class:`ClassTable`): :data:`WASTE` (villages by collection coverage),
  :data:`SEWAGE` (villages by sewage mode, :data:`geo_env._choices.SEWAGE_MODES` and
  ``unknown``), :data:`FARMS` (farms by setback check), :data:`SEWAGE_BASELINE` (villages by
  sewage treatment today) and :data:`FACILITY_STATUS` (existing plants and stations by
  status): class codes in code order, their colours and legend label keys;
  :func:`waste_class`, :func:`sewage_class`, :func:`farm_class`,
  :func:`sewage_baseline_class` and :func:`facility_status_class` give each row its class
  code (the index into ``codes``).
* The symbol table :data:`SYMBOLS`: how each layer is drawn (:class:`Symbol`: kind, stroke
  and fill colour, weight and radius in px on the map, opacities, dash pattern).  The
  figures take their colours from the same entries and draw at print sizes of their own;
  a GeoPackage style (QGIS ``layer_styles``) would be written from them too — ``plan.gpkg``
  carries none yet.

The map's page chrome (``assets/geo_env_map.css`` and ``.js``: background, panels, the
measuring line) keeps its own CSS colours: they style the page, not the data.

No folium and no matplotlib here: every renderer can read this module cheaply, and none
has to import another renderer to agree on a colour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from .._choices import FACILITY_STATUSES, SEWAGE_MODES

__all__ = [
    # the palette
    "WHITE", "BLACK", "LEGEND_EDGE", "NO_DATA", "DISTRICT_LINE", "TOWNSHIP_LINE", "TOWNSHIP_LINE_PRINT",
    "TOWNSHIP_LABEL_PRINT", "FOOTER_TEXT_PRINT", "MAP_BACKGROUND_PRINT", "VILLAGE_LINE", "VILLAGE_FILL",
    "VILLAGE_BACKGROUND_PRINT", "STATION_BLUE", "ALERT_RED", "PROPOSED_YELLOW", "CLUSTER_ORANGE", "PLANT_TEAL",
    "WATER_LINE", "WATER_FILL", "ROAD_LINE", "PROHIBITED_FILL", "FARMLAND_LINE", "FARMLAND_FILL", "OTHER_POINT",
    "OTHER_LINE", "OTHER_FILL", "HILLSHADE_SHADE", "CHANGED_LINE", "HEADER_TEXT", "HEADER_FILL", "RULE_LINE", "WARNING_RED",
    "BELOW_TARGET_FILL", "RECTIFY_FILL", "BASELINE_BAR", "PLANNED_BAR", "TARGET_MARK",
    "SHARE_RAMP", "SHARE_BREAKS", "FAILED_FILL",
    "excel_rgb", "rgb255",
    # the class tables
    "ClassTable", "WASTE", "SEWAGE", "FARMS", "SEWAGE_BASELINE", "FACILITY_STATUS", "COLORS", "WASTE_CLASSES",
    "SEWAGE_CLASSES", "FARM_CLASSES", "waste_class", "sewage_class", "farm_class", "sewage_baseline_class",
    "facility_status_class", "PHASE_COLORS", "phase_table", "phase_class", "UTILISATION", "utilisation_class",
    "FLOW_COLORS", "FLOW_BREAKS_T", "FLOW_WIDTHS", "flow_class", "flow_width_edges", "TREATMENT_BROWN", "COLLECTION_TEAL",
    # the symbols
    "Symbol", "SymbolKind", "SYMBOLS", "CLASS_FILL", "CLASS_POINT", "HILLSHADE_OPACITY",
]

# --------------------------------------------------------------------------------------
# the palette (#rrggbb, sRGB), by what each colour paints
# --------------------------------------------------------------------------------------
WHITE: Final = "#ffffff"  # outlines of markers and village polygons, label halos, paper
BLACK: Final = "#000000"  # scale bar and north arrow (print)
LEGEND_EDGE: Final = "#888"  # outline of the class swatches in the legends (map and print)
NO_DATA: Final = "#e3ded3"  # villages whose class is unknown

DISTRICT_LINE: Final = "#1c2833"
TOWNSHIP_LINE: Final = "#455a64"  # map; the same blue-grey writes the figures' footer
TOWNSHIP_LINE_PRINT: Final = "#37474f"  # figures: a shade darker on paper
TOWNSHIP_LABEL_PRINT: Final = "#263238"
FOOTER_TEXT_PRINT: Final = TOWNSHIP_LINE
MAP_BACKGROUND_PRINT: Final = "#fbfaf7"  # the figures' map frame
VILLAGE_LINE: Final = "#7d8a6e"  # villages without a theme (no analysis ran)
VILLAGE_FILL: Final = "#cfd8c4"
VILLAGE_BACKGROUND_PRINT: Final = "#ece8df"  # villages under the livestock figure

STATION_BLUE: Final = "#1565c0"  # transfer stations and their service areas
ALERT_RED: Final = "#c62828"  # proposed stations' outline, no-farming zones
PROPOSED_YELLOW: Final = "#ffeb3b"
CLUSTER_ORANGE: Final = "#e65100"  # shared-station sewage clusters (outline)
PLANT_TEAL: Final = "#00838f"
WATER_LINE: Final = "#3b83bd"
WATER_FILL: Final = "#a6cee3"
ROAD_LINE: Final = "#8c7b6b"
PROHIBITED_FILL: Final = "#ef9a9a"
FARMLAND_LINE: Final = "#9ccc65"
FARMLAND_FILL: Final = "#dcedc8"
OTHER_POINT: Final = "#546e7a"  # any other point layer an analysis adds
OTHER_LINE: Final = "#6d4c41"  # any other line or polygon layer an analysis adds
OTHER_FILL: Final = "#bcaaa4"
HILLSHADE_SHADE: Final = "#282828"  # the DEM hillshade's shadows (transparency: the light)
CHANGED_LINE: Final = "#d6006f"  # compare_map.html: the outline of villages whose decision changed
TREATMENT_BROWN: Final = "#6d3a1f"  # waste treatment facilities (incinerators, landfills)
COLLECTION_TEAL: Final = "#00897b"  # collection points

# the Excel report
HEADER_TEXT: Final = "#1f2d3d"
HEADER_FILL: Final = "#dce6f0"
RULE_LINE: Final = "#9aa5b1"  # under the header, over the total row
WARNING_RED: Final = "#c00000"  # the warnings sheet and the note pointing to it
BELOW_TARGET_FILL: Final = "#ffc7ce"  # indicator cells below their target (light red)
RECTIFY_FILL: Final = "#fde9d9"  # existing facilities to rectify (stopped), whole row

# the indicators figure (baseline and planned bars, the target mark)
BASELINE_BAR: Final = "#90a4ae"
PLANNED_BAR: Final = STATION_BLUE
TARGET_MARK: Final = ALERT_RED

# the province overview map (counties coloured by an indicator's share, 0–1)
SHARE_RAMP: Final = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")  # low (red) → high (green)
SHARE_BREAKS: Final = (0.6, 0.7, 0.8, 0.9)  # class k holds shares in [breaks[k-1], breaks[k])
FAILED_FILL: Final = "#9e9e9e"  # a county whose run failed (no figures)


def excel_rgb(color: str) -> str:
    """A palette colour as openpyxl's ``RRGGBB`` (``"#rrggbb"`` → ``"RRGGBB"``).

    >>> excel_rgb(WARNING_RED)
    'C00000'
    """
    return color.removeprefix("#").upper()


def rgb255(color: str) -> tuple[int, int, int]:
    """A ``#rrggbb`` palette colour as 0–255 integers.

    >>> rgb255(HILLSHADE_SHADE)
    (40, 40, 40)
    """
    h = color.removeprefix("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


# --------------------------------------------------------------------------------------
# class tables
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassTable:
    """The classes of one theme: codes in code order, their colours and legend labels.

    A row's class code is the index of its class in ``codes``; its legend label is the
    label of ``"<label_prefix>.<class>"`` (:func:`geo_env.labels.label`).
    """

    theme: str
    codes: tuple[str, ...]
    colors: Mapping[str, str]
    label_prefix: str

    def label_key(self, code: str) -> str:
        """The label key of the class ``code`` (``"waste.covered"``)."""
        return f"{self.label_prefix}.{code}"

    def colors_of(self, cls: np.ndarray) -> list[str]:
        """The colour of each class code in ``cls``."""
        return [self.colors[self.codes[c]] for c in cls]

    def present(self, cls: np.ndarray) -> list[str]:
        """The classes that occur in ``cls`` (class codes), in code order: the legend rows."""
        return [c for i, c in enumerate(self.codes) if (cls == i).any()]


WASTE: Final = ClassTable(
    "waste", ("covered", "outside", "unreachable", "unknown"),
    {"covered": "#66bd63", "outside": "#fdae61", "unreachable": "#d73027", "unknown": NO_DATA},
    "waste")
SEWAGE: Final = ClassTable(
    "sewage", (*SEWAGE_MODES, "unknown"),
    {"connect": "#1f78b4", "centralized": "#33a02c", "cluster": "#ff7f00",
     "household": "#6a3d9a", "existing": "#80cdc1", "unknown": NO_DATA},
    "sewage_mode")
FARMS: Final = ClassTable(
    "farms", ("ok", "issue", "unknown"),
    {"ok": "#8d6e63", "issue": "#d32f2f", "unknown": "#9e9e9e"},
    "farms")

#: Villages by sewage treatment today (the status baseline); ``rectify``: tied to a stopped facility.
SEWAGE_BASELINE: Final = ClassTable(
    "sewage_baseline", ("treated", "untreated", "rectify", "unknown"),
    {"treated": "#4dac26", "untreated": "#f1a340", "rectify": "#d01c8b", "unknown": NO_DATA},
    "sewage_baseline")
#: Existing sewage plants and transfer stations by ``status`` (the colour of their outline).
FACILITY_STATUS: Final = ClassTable(
    "facility_status", (*FACILITY_STATUSES, "unknown"),
    {"running": "#2e7d32", "stopped": "#c62828", "building": "#f9a825", "planned": "#7e57c2",
     "unknown": "#9e9e9e"},
    "status")

#: Transfer stations by utilisation (load ÷ capacity; the fill of their marker).
UTILISATION: Final = ClassTable(
    "utilisation", ("low", "high", "over", "unknown"),
    {"low": "#1a9850", "high": "#fdae61", "over": "#d73027", "unknown": "#bdbdbd"},
    "utilisation")


def utilisation_class(stations: pd.DataFrame) -> np.ndarray:
    """Class code per station (:data:`UTILISATION`): 0 up to 80 %, 1 up to 100 %, 2 over
    capacity, 3 unknown (no capacity, or stopped)."""
    u = pd.to_numeric(stations["utilisation"], errors="coerce").to_numpy(dtype=float)
    out = np.full(len(stations), 3, dtype=np.int64)
    known = np.isfinite(u)
    out[known & (u <= 0.8)] = 0
    out[known & (u > 0.8)] = 1
    out[known & (u > 1.0 + 1e-9)] = 2
    return out


#: Waste flows: line colour by link of the chain; width (px on the map) by tonnes per day,
#: in classes split at :data:`FLOW_BREAKS_T` (t/d).
FLOW_COLORS: Final = {"village_station": "#4a90c8", "station_facility": TREATMENT_BROWN}
FLOW_BREAKS_T: Final = (1.0, 5.0, 20.0)
FLOW_WIDTHS: Final = (1.2, 2.5, 4.5, 7.0)


def flow_width_edges() -> list[str]:
    """The tonnes of each width class as legend text (t/d): ``< 1``, ``1–5``, ``5–20``, ``≥ 20``."""
    b = FLOW_BREAKS_T
    return [f"< {b[0]:g}", *(f"{lo:g}–{hi:g}" for lo, hi in zip(b[:-1], b[1:])), f"≥ {b[-1]:g}"]


def flow_class(flows: pd.DataFrame) -> np.ndarray:
    """Class code per flow: link (order of :data:`FLOW_COLORS`) × width class
    (:data:`FLOW_WIDTHS`)."""
    links = list(FLOW_COLORS)
    link = flows["link"].map({k: i for i, k in enumerate(links)}).fillna(0).to_numpy(dtype=np.int64)
    width = np.searchsorted(np.asarray(FLOW_BREAKS_T), flows["t_per_day"].to_numpy(dtype=float), side="right")
    return link * len(FLOW_WIDTHS) + width


#: Phases of the sewage programme, first to last (more than six share the last colour).
PHASE_COLORS: Final = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7")


def phase_table(phases: Sequence[str]) -> ClassTable:
    """Villages by phase: one class per phase (``p0``, ``p1`` …, in order), then ``kept``
    (existing works, nothing new) and ``unscheduled``."""
    codes = (*(f"p{i}" for i in range(len(phases))), "kept", "unscheduled")
    colors = {f"p{i}": PHASE_COLORS[min(i, len(PHASE_COLORS) - 1)] for i in range(len(phases))}
    return ClassTable("phase", codes, {**colors, "kept": SEWAGE.colors["existing"], "unscheduled": NO_DATA},
                      "phase")


def phase_class(villages: pd.DataFrame, phases: Sequence[str]) -> np.ndarray:
    """Class code per village (:func:`phase_table`): its phase's index, then kept, then not
    scheduled."""
    pos = {name: i for i, name in enumerate(phases)}
    out = villages["phase"].map(pos).to_numpy(dtype=float)
    kept = (villages["sewage_mode"] == "existing").to_numpy() if "sewage_mode" in villages.columns \
        else np.zeros(len(villages), dtype=bool)
    return np.where(np.isfinite(out), out, np.where(kept, len(phases), len(phases) + 1)).astype(np.int64)


#: Fill colours of the classes, by theme and class code.
COLORS: Final[dict[str, dict[str, str]]] = {t.theme: dict(t.colors) for t in
                                            (WASTE, SEWAGE, FARMS, SEWAGE_BASELINE, FACILITY_STATUS, UTILISATION)}
WASTE_CLASSES: Final = WASTE.codes
SEWAGE_CLASSES: Final = SEWAGE.codes
FARM_CLASSES: Final = FARMS.codes


def waste_class(villages: pd.DataFrame) -> np.ndarray:
    """Class code per village (:data:`WASTE`): 0 covered, 1 outside the radius, 2 unreachable,
    3 unknown."""
    cov = villages["waste_covered"]
    dist = villages["station_distance_m"] if "station_distance_m" in villages.columns else \
        pd.Series(0.0, index=villages.index)
    out = np.full(len(villages), 3, dtype=np.int64)
    known = cov.notna().to_numpy()
    c = cov.fillna(False).astype(bool).to_numpy()
    out[known & c] = 0
    out[known & ~c] = 1
    out[known & ~c & dist.isna().to_numpy()] = 2
    return out


def sewage_class(villages: pd.DataFrame) -> np.ndarray:
    """Class code per village (:data:`SEWAGE`): index in :data:`~geo_env._choices.SEWAGE_MODES`,
    4 when missing/unknown."""
    codes = villages["sewage_mode"].map({m: i for i, m in enumerate(SEWAGE_MODES)})
    return codes.fillna(len(SEWAGE_MODES)).to_numpy(dtype=np.int64)


def farm_class(farms: pd.DataFrame) -> np.ndarray:
    """Class code per farm (:data:`FARMS`): 0 setbacks kept, 1 an issue, 2 not checked."""
    if "setback_ok" not in farms.columns:
        return np.full(len(farms), 2, dtype=np.int64)
    ok = farms["setback_ok"]
    out = np.full(len(farms), 2, dtype=np.int64)
    known = ok.notna().to_numpy()
    v = ok.fillna(False).astype(bool).to_numpy()
    out[known & v] = 0
    out[known & ~v] = 1
    return out


def sewage_baseline_class(villages: pd.DataFrame) -> np.ndarray:
    """Class code per village (:data:`SEWAGE_BASELINE`): 0 treated today, 1 untreated, 2 tied
    to a stopped facility (``rectify``, whatever it treats), 3 unknown (no
    ``sewage_baseline_treated``, or untreated with a blank ``sewage_status``)."""
    treated = villages["sewage_baseline_treated"]
    known = treated.notna().to_numpy()
    t = treated.fillna(False).astype(bool).to_numpy()
    out = np.full(len(villages), 3, dtype=np.int64)
    out[known & t] = 0
    out[known & ~t] = 1
    if "sewage_status" in villages.columns:  # blank status: counted as untreated, shown as unknown
        out[(out == 1) & villages["sewage_status"].isna().to_numpy()] = 3
    if "rectify" in villages.columns:
        out[villages["rectify"].fillna(False).astype(bool).to_numpy()] = 2
    return out


def facility_status_class(facilities: pd.DataFrame) -> np.ndarray:
    """Class code per facility (:data:`FACILITY_STATUS`): index of its ``status`` in
    :data:`~geo_env._choices.FACILITY_STATUSES`, 4 when blank or unknown."""
    codes = facilities["status"].map({s: i for i, s in enumerate(FACILITY_STATUSES)})
    return codes.fillna(len(FACILITY_STATUSES)).to_numpy(dtype=np.int64)


# --------------------------------------------------------------------------------------
# symbols
# --------------------------------------------------------------------------------------
#: What a symbol draws: areas (a fill and its outline), lines, or point markers.
SymbolKind = Literal["fill", "line", "point"]


@dataclass(frozen=True)
class Symbol:
    """How the features of one layer (or one class) are drawn.

    Attributes
    ----------
    kind
        ``"fill"``, ``"line"`` or ``"point"`` (a circle marker).
    color
        Stroke colour (palette hex): outlines, lines, marker rims.
    weight
        Stroke width, px on the map.
    fill_color, fill_opacity
        Fill colour (palette hex) and its opacity (0–1); None: no fill given.
    opacity
        Stroke opacity (0–1); None: opaque.
    dash
        Dash pattern, px drawn and px left out (``"4 3"``); None: solid.
    radius
        Marker radius, px on the map (a fill layer's point features too); None: not given.
    """

    kind: SymbolKind
    color: str
    weight: float
    fill_color: str | None = None
    fill_opacity: float | None = None
    opacity: float | None = None
    dash: str | None = None
    radius: float | None = None

    def leaflet(self) -> dict[str, Any]:
        """The symbol as Leaflet path options (one entry of a map layer's ``styles``)."""
        out: dict[str, Any] = {}
        if self.kind == "point" and self.radius is not None:
            out["radius"] = self.radius
        out["color"] = self.color
        out["weight"] = self.weight
        if self.dash is not None:
            out["dashArray"] = self.dash
        if self.opacity is not None:
            out["opacity"] = self.opacity
        if self.fill_color is not None:
            out["fillColor"] = self.fill_color
        if self.fill_opacity is not None:
            out["fillOpacity"] = self.fill_opacity
        if self.kind != "point" and self.radius is not None:
            out["radius"] = self.radius
        return out

    @property
    def legend_fill(self) -> str:
        """The fill of the symbol's legend swatch (``"none"`` without a fill)."""
        return self.fill_color if self.fill_color is not None else "none"

    def filled(self, color: str) -> Symbol:
        """The same symbol with the fill colour ``color`` (a class colour)."""
        return replace(self, fill_color=color)

    def stroked(self, color: str) -> Symbol:
        """The same symbol with the stroke colour ``color`` (a class colour)."""
        return replace(self, color=color)


#: A village class on the map: polygon fill in its class colour (see :meth:`Symbol.filled`).
CLASS_FILL: Final = Symbol("fill", WHITE, 0.6, fill_opacity=0.78)
#: A village class when the villages are points.
CLASS_POINT: Final = Symbol("point", WHITE, 1, fill_opacity=0.95, radius=5)

#: How each layer is drawn, by layer key; ``other_points`` and ``other_areas`` are for any
#: further layer an analysis adds (e.g. sewer routes).
SYMBOLS: Final[Mapping[str, Symbol]] = {
    "villages": Symbol("fill", VILLAGE_LINE, 0.8, fill_color=VILLAGE_FILL, fill_opacity=0.55),
    "townships": Symbol("line", TOWNSHIP_LINE, 1.8, dash="7 4"),
    "district": Symbol("line", DISTRICT_LINE, 3.2),
    "service_areas": Symbol("fill", STATION_BLUE, 1, dash="4 3", fill_color=STATION_BLUE, fill_opacity=0.07),
    "water": Symbol("fill", WATER_LINE, 1.4, fill_color=WATER_FILL, fill_opacity=0.7),
    "roads": Symbol("line", ROAD_LINE, 1.1, opacity=0.8),
    "prohibited_zones": Symbol("fill", ALERT_RED, 1, dash="3 3", fill_color=PROHIBITED_FILL,
                               fill_opacity=0.3),
    "farmland": Symbol("fill", FARMLAND_LINE, 0.5, fill_color=FARMLAND_FILL, fill_opacity=0.6),
    "sewage_clusters": Symbol("fill", CLUSTER_ORANGE, 2, dash="6 3", fill_color=SEWAGE.colors["cluster"],
                              fill_opacity=0.12, radius=5),
    "transfer_stations": Symbol("point", WHITE, 1.5, fill_color=STATION_BLUE, fill_opacity=1, radius=6),
    "proposed_transfer_stations": Symbol("point", ALERT_RED, 3, fill_color=PROPOSED_YELLOW,
                                         fill_opacity=1, radius=7),
    "sewage_plants": Symbol("point", WHITE, 1.5, fill_color=PLANT_TEAL, fill_opacity=1, radius=7),
    # fill: the farm's class colour (FARMS)
    "livestock_farms": Symbol("point", WHITE, 1.2, fill_opacity=1, radius=6),
    # stroke: the farm's class colour; the legend shows the colour of an issue
    "setback_rings": Symbol("line", FARMS.colors["issue"], 1.2, dash="5 4"),
    # the waste chain: treatment facilities, flows (colour by link, width by tonnes), collection points
    "waste_facilities": Symbol("point", WHITE, 1.5, fill_color=TREATMENT_BROWN, fill_opacity=1, radius=8),
    "waste_flows": Symbol("line", FLOW_COLORS["village_station"], 2.0, opacity=0.7),
    "collection_points": Symbol("point", WHITE, 1, fill_color=COLLECTION_TEAL, fill_opacity=1, radius=4),
    "proposed_collection_points": Symbol("point", ALERT_RED, 2, fill_color=PROPOSED_YELLOW, fill_opacity=1,
                                         radius=4),
    "collection_households": Symbol("point", OTHER_POINT, 0.5, fill_color=OTHER_POINT, fill_opacity=0.6, radius=2),
    "other_points": Symbol("point", WHITE, 1, fill_color=OTHER_POINT, fill_opacity=1, radius=5),
    "other_areas": Symbol("fill", OTHER_LINE, 1.6, fill_color=OTHER_FILL, fill_opacity=0.25),
    # the comparison map: villages whose decision changed, outlined over their mode's fill
    "changed_villages": Symbol("line", CHANGED_LINE, 3.0),
}
#: Opacity (0–1) of the hillshade image over the map.
HILLSHADE_OPACITY: Final = 0.55
