"""Chinese and English labels for columns, values, legends and sheet names.

Analysis modules keep the labels of their own outputs in a module-level ``LABELS`` dict
(``code -> (zh, en)``); :func:`label` looks in the shared labels below first, then in
those modules (listed in ``_MODULES``), so every label lives next to the code it names.
"""

from __future__ import annotations

import importlib
import unicodedata
from functools import cache

__all__ = ["label", "labels", "value_label", "display_width", "LANGS", "CODED_COLUMNS"]

from ._choices import LANGS  # noqa: E402

_BASE: dict[str, tuple[str, str]] = {
    # canonical columns
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "township": ("乡镇（街道）", "Township"),
    "population": ("人口（人）", "Population"),
    "households": ("户数（户）", "Households"),
    "farmland_mu": ("耕地面积（亩）", "Farmland (mu)"),
    "settlement_area_ha": ("村庄建设用地（公顷）", "Settlement area (ha)"),
    "natural_villages": ("自然村数（个）", "Natural villages"),
    "anchor_x": ("定位点X（米）", "Anchor X (m)"),
    "anchor_y": ("定位点Y（米）", "Anchor Y (m)"),
    "capacity_m3_per_day": ("设计规模（m³/d）", "Design capacity (m³/d)"),
    "load_m3_per_day": ("现状负荷（m³/d）", "Current load (m³/d)"),
    "species": ("畜种", "Species"),
    "head": ("存栏量（头/只）", "Head"),
    # layers
    "villages": ("行政村", "Villages"),
    "transfer_stations": ("垃圾转运站", "Waste transfer stations"),
    "sewage_plants": ("污水处理厂（站）", "Sewage plants"),
    "livestock_farms": ("畜禽养殖场", "Livestock farms"),
    "roads": ("道路", "Roads"),
    "water": ("水系", "Water"),
    "prohibited_zones": ("禁养区", "No-farming zones"),
    "farmland": ("耕地", "Farmland"),
    "dem": ("地形", "Terrain"),
    "townships": ("乡镇（街道）界", "Township boundaries"),
    "district": ("区界", "District boundary"),
    # generic
    "total": ("合计", "Total"),
    "parameters": ("参数", "Parameters"),
    "parameter": ("参数", "Parameter"),
    "value": ("取值", "Value"),
    "unit": ("单位", "Unit"),
    "source": ("依据", "Source"),
    "section": ("类别", "Section"),
}

# the briefing pack: map, figures and report (maps.py, figures.py, report.py)
_BRIEFING: dict[str, tuple[str, str]] = {
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "unreachable": ("道路不可达", "no road path"),
    "plan_map": ("农村人居环境整治规划图", "rural living-environment plan map"),
    "map_subtitle": ("农村人居环境整治规划图", "Rural living-environment plan"),
    "search_village": ("搜索村名…", "Search village…"),
    "fullscreen": ("全屏", "Full screen"),
    "measure": ("测距（单击加点，再按按钮结束）", "Measure distance (click points; press again to stop)"),
    "zoom_in": ("放大", "Zoom in"),
    "zoom_out": ("缩小", "Zoom out"),
    "township_names": ("乡镇（街道）名称", "Township names"),
    "layer.villages_waste": ("垃圾收运覆盖", "Waste collection coverage"),
    "layer.villages_sewage": ("污水治理模式", "Sewage treatment mode"),
    "waste.covered": ("服务半径内", "Within service radius"),
    "waste.outside": ("超出服务半径", "Beyond service radius"),
    "waste.unreachable": ("道路不可达", "No road path"),
    "waste.unknown": ("未评价", "Not assessed"),
    "sewage_mode.connect": ("纳管（接入城镇污水管网）", "Connect to town plant"),
    "sewage_mode.centralized": ("村级集中处理", "Village station"),
    "sewage_mode.cluster": ("联村集中处理", "Shared station"),
    "sewage_mode.household": ("联户/分户处理", "Joint / single-household system"),
    "sewage_mode.unknown": ("未评价", "Not assessed"),
    "distance_metric.road": ("道路距离", "road distance"),
    "distance_metric.straight": ("直线距离", "straight-line distance"),
    "farms.ok": ("防护距离达标", "Setbacks kept"),
    "farms.issue": ("存在问题", "Issue found"),
    "farms.unknown": ("未核查", "Not checked"),
    "setback_rings": ("养殖场防护距离", "Farm setback distance"),
    "hillshade": ("地形晕渲", "Hillshade"),
    "basemap.osm": ("OpenStreetMap 底图", "OpenStreetMap"),
    "basemap.tianditu": ("天地图", "Tianditu"),
    "basemap.amap": ("高德地图", "Amap"),
    "service_areas": ("转运站服务范围", "Transfer station service areas"),
    "proposed_transfer_stations": ("规划新增转运站", "Proposed transfer stations"),
    "sewage_clusters": ("联村污水处理片区", "Shared sewage clusters"),
    "figure.waste_coverage": ("农村生活垃圾收运覆盖现状图", " — waste collection coverage"),
    "figure.sewage_modes": ("农村生活污水治理模式规划图", " — rural sewage treatment modes"),
    "figure.livestock": ("畜禽养殖场防护距离核查图", " — livestock farm setback check"),
    "legend": ("图例", "Legend"),
    "north": ("北", "N"),
    "crs": ("坐标系", "CRS"),
    "made_with": ("制图", "Made with"),
    "date": ("日期", "Date"),
    # report.xlsx
    "sheet.township_summary": ("乡镇督查考核汇总", "Township summary"),
    "sheet.villages": ("行政村明细", "Villages"),
    "sheet.proposed_transfer_stations": ("规划新增转运站", "Proposed stations"),
    "sheet.livestock_farms": ("畜禽养殖场核查", "Livestock farms"),
    "sheet.parameters": ("参数及依据", "Parameters"),
    "sheet.warnings": ("数据警告", "Data warnings"),
    "warning": ("警告（请核查）", "Warning (please check)"),
    "villages_count": ("行政村数（个）", "Villages"),
    "covered_villages": ("收运覆盖村数（个）", "Covered villages"),
    "coverage_rate_villages": ("收运覆盖率（按村）", "Coverage (villages)"),
    "covered_population": ("覆盖人口（人）", "Covered population"),
    "coverage_rate_population": ("收运覆盖率（按人口）", "Coverage (population)"),
    "unreachable_villages": ("道路不可达村数（个）", "Villages without road path"),
    "villages_connect": ("纳管村数（个）", "Villages: connect"),
    "villages_centralized": ("村级集中处理村数（个）", "Villages: village station"),
    "villages_cluster": ("联村集中处理村数（个）", "Villages: shared station"),
    "villages_household": ("联户/分户处理村数（个）", "Villages: household systems"),
    "farms": ("养殖场数（个）", "Farms"),
    "farms_with_issues": ("存在问题养殖场（个）", "Farms with issues"),
    "x_m": ("X坐标（米）", "X (m)"),
    "y_m": ("Y坐标（米）", "Y (m)"),
    "lon": ("经度（WGS84）", "Longitude (WGS84)"),
    "lat": ("纬度（WGS84）", "Latitude (WGS84)"),
    "parameter_label": ("参数名称", "Chinese term"),
    "default": ("默认值", "Default"),
}

#: Modules whose ``LABELS`` dict extends the table (added as analyses land).
_MODULES: tuple[str, ...] = ("analysis.coverage", "analysis.siting", "analysis.sewage", "analysis.livestock")


#: Columns whose values are codes shown by their labels (``label(f"{col}.{value}")``, else
#: ``label(value)``) in the map, the report and the figures.
CODED_COLUMNS = frozenset({"sewage_mode", "distance_metric", "species", "species_code",
                           "toilet_suggestion", "limiting_nutrient", "farmland_source"})


@cache
def labels() -> dict[str, tuple[str, str]]:
    """All labels: the shared ones and each analysis module's ``LABELS``."""
    table = {**_BASE, **_BRIEFING}
    for mod in _MODULES:
        table.update(getattr(importlib.import_module(f"geo_env.{mod}"), "LABELS", {}))
    return table


def label(code: str, lang: str = "zh") -> str:
    """The label of ``code`` in ``lang`` (``"zh"`` or ``"en"``); ``code`` itself if unknown."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    pair = labels().get(code)
    if pair is None:
        return code
    return pair[0] if lang == "zh" else pair[1]


def value_label(col: str, value: object, lang: str = "zh") -> str:
    """The label of a coded value of column ``col`` (see :data:`CODED_COLUMNS`):
    ``label(f"{col}.{value}")`` where that exists, else ``label(value)``."""
    key = f"{col}.{value}"
    text = label(key, lang)
    return text if text != key else label(str(value), lang)


def display_width(text: str) -> int:
    """Display width of ``text``: CJK and full-width characters count two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
