"""Chinese and English labels for columns, values, legends and sheet names.

Every label is here, in the vocabulary layer (L0), so that the readers, the analyses and
the outputs all name things the same way without importing each other: the shared labels,
the briefing pack's, and those of each analysis' outputs.
"""

from __future__ import annotations

import unicodedata
from functools import cache

__all__ = ["label", "labels", "value_label", "display_width", "LANGS", "CODED_COLUMNS"]

from ._choices import LANGS, SEWAGE_MODES  # noqa: E402

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
    "villages_existing": ("现状保留村数（个）", "Villages: existing kept"),
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

# waste coverage (analysis.coverage)
_WASTE: dict[str, tuple[str, str]] = {
    # village columns
    "station_id": ("最近转运站编号", "Nearest transfer station"),
    "station_distance_m": ("至转运站距离（米）", "Distance to station (m)"),
    "distance_metric": ("距离计算方式", "Distance metric"),
    "waste_covered": ("收运覆盖", "Covered by collection"),
    "waste_unreachable": ("无道路可达", "No road to a station"),
    "proposed_station_id": ("拟建转运站编号", "Proposed station"),
    "straight": ("直线距离", "straight line"),
    "road": ("道路距离", "along roads"),
    # township table
    "covered_villages": ("覆盖村数（个）", "Covered villages"),
    "coverage_rate_villages": ("覆盖率（按村）", "Coverage (villages)"),
    "covered_population": ("覆盖人口（人）", "Covered population"),
    "coverage_rate_population": ("覆盖率（按人口）", "Coverage (population)"),
    "unreachable_villages": ("无道路可达村数（个）", "Villages without road access"),
    "covered_villages_after": ("新增站点后覆盖村数（个）", "Covered villages after siting"),
    "coverage_rate_villages_after": ("新增站点后覆盖率（按村）", "Coverage after siting (villages)"),
    "covered_population_after": ("新增站点后覆盖人口（人）", "Covered population after siting"),
    "coverage_rate_population_after": ("新增站点后覆盖率（按人口）",
                                       "Coverage after siting (population)"),
    # layers and tables
    "waste_townships": ("乡镇收运覆盖", "Collection coverage by township"),
    "uncovered_villages": ("未覆盖行政村", "Villages not covered"),
    "status": ("状态", "Status"),
    "existing": ("现状", "Existing"),
    "proposed": ("拟建", "proposed"),
    "radius_m": ("服务半径（米）", "Service radius (m)"),
    "metric": ("距离计算方式", "Distance metric"),
}

# transfer-station siting (analysis.siting)
_SITING: dict[str, tuple[str, str]] = {
    "rank": ("优先序", "Rank"),
    "covers_villages": ("新增覆盖村数（个）", "Villages newly covered"),
    "covers_population": ("新增覆盖人口（人）", "Population newly covered"),
    "candidate_id": ("候选点编号", "Candidate"),
}

# sewage modes (analysis.sewage)
_SEWAGE: dict[str, tuple[str, str]] = {
    "sewage": ("生活污水治理", "Sewage"),
    "sewage_mode": ("污水治理模式", "Sewage mode"),
    "sewage_mode.existing": ("现状保留", "Existing (kept)"),
    "connect": ("纳管", "Connect to town plant"),
    "centralized": ("村级集中", "Village station"),
    "cluster": ("片区集中", "Shared station"),
    "household": ("联户分户", "Household systems"),
    "sewage_plant_id": ("纳管污水厂编号", "Receiving plant ID"),
    "sewage_cluster_id": ("片区编号", "Cluster ID"),
    "sewage_flow_m3_per_day": ("污水量（m³/d）", "Sewage flow (m³/d)"),
    "elevation_m": ("高程（米）", "Elevation (m)"),
    "pipe_length_m": ("村外管道长度（米）", "Outside sewer length (m)"),
    "pump_stations": ("提升泵站（座）", "Lift stations"),
    "cost_connect_yuan_per_year": ("纳管年费用（元/年）", "Connect cost (yuan/year)"),
    "cost_centralized_yuan_per_year": ("村级集中年费用（元/年）", "Village station cost (yuan/year)"),
    "cost_cluster_yuan_per_year": ("片区集中年费用（元/年）", "Shared station cost (yuan/year)"),
    "cost_household_yuan_per_year": ("联户分户年费用（元/年）", "Household systems cost (yuan/year)"),
    "cost_existing_yuan_per_year": ("现状保留（整改）年费用（元/年）", "Existing works cost (yuan/year)"),
    "sewage_reason": ("治理模式理由", "Reason"),
    "toilet_suggestion": ("改厕建议", "Toilet upgrade"),
    "flush": ("水冲式厕所（接入污水收集）", "Flush toilet (sewage collected)"),
    "septic_tank": ("三格化粪池厕所", "Three-compartment septic tank"),
    "dry": ("双瓮或卫生旱厕（宜旱则旱）", "Double-urn or dry toilet"),
    "not_needed": ("无需改厕（无常住人口）", "Not needed (no residents)"),
    "no_population": ("无常住人口", "No residents"),
    "no_population_villages": ("无常住人口村数", "No residents: villages"),
    "population_unknown": ("人口不详（未评估）", "Population unknown (not assessed)"),
    "population_unknown_villages": ("人口不详村数（未评估）", "Population unknown: villages (not assessed)"),
    "sewage_clusters": ("片区污水处理站", "Shared sewage stations"),
    "sewer_routes": ("纳管管线", "Connecting sewers"),
    "station_village_id": ("处理站所在村编号", "Station village ID"),
    "villages_count": ("村数", "Villages"),
    "flow_m3_per_day": ("污水量（m³/d）", "Flow (m³/d)"),
    "cost_yuan_per_year": ("年费用（元/年）", "Cost (yuan/year)"),
    "saving_yuan_per_year": ("年节省（元/年）", "Saving (yuan/year)"),
    "connected_villages": ("纳管村数", "Connected villages"),
    "connected_flow_m3_per_day": ("新增纳管水量（m³/d）", "Connected flow (m³/d)"),
    "load_after_m3_per_day": ("纳管后负荷（m³/d）", "Load after connection (m³/d)"),
    "spare_after_m3_per_day": ("纳管后余量（m³/d）", "Spare after connection (m³/d)"),
    "village_id": ("村编号", "Village ID"),
    "plant_id": ("污水厂编号", "Plant ID"),
    "sewage_by_township": ("乡镇污水治理模式", "Sewage modes by township"),
    # the money of the chosen works (analysis.sewage.money)
    "capex_wan": ("总投资（万元）", "Capex (10⁴ yuan)"),
    "om_wan_per_year": ("年运行维护费（万元/年）", "O&M (10⁴ yuan/year)"),
    "effluent_standard": ("出水标准", "Effluent standard"),
    "receiving_water_class": ("受纳水体功能类别", "Receiving water class"),
    "effluent_rules": ("出水标准规则", "Effluent standard rules"),
    "band_min_m3_per_day": ("规模下限（m³/d，含）", "Size from (m³/d, incl.)"),
    "band_max_m3_per_day": ("规模上限（m³/d，不含）", "Size below (m³/d)"),
    "standard": ("执行标准", "Standard"),
    "class_I": ("Ⅰ类水域", "Class I water"), "class_II": ("Ⅱ类水域", "Class II water"),
    "class_III": ("Ⅲ类水域", "Class III water"), "class_IV": ("Ⅳ类水域", "Class IV water"),
    "class_V": ("Ⅴ类水域", "Class V water"), "class_unclassified": ("功能未明确水体", "Water of no set function"),
    "capex_pipes_wan": ("管网投资（万元）", "Pipes capex (10⁴ yuan)"),
    "capex_pumps_wan": ("提升泵站投资（万元）", "Lift stations capex (10⁴ yuan)"),
    "capex_stations_wan": ("处理站投资（万元）", "Stations capex (10⁴ yuan)"),
    "capex_households_wan": ("分户设施投资（万元）", "Household units capex (10⁴ yuan)"),
    "capex_plant_wan": ("纳管污水厂投资（万元）", "Plant capex (10⁴ yuan)"),
    "capex_rectify_wan": ("整改投资（万元）", "Rectification capex (10⁴ yuan)"),
    "villages_with_new_works": ("新建（整改）村数（个）", "Villages with new works"),
    "investment": ("投资估算", "Investment estimate"),
    "sheet.investment": ("投资估算", "Investment estimate"),
    # the phased programme (analysis.phasing)
    "phase": ("实施期", "Phase"),
    "priority": ("优先级（0–1）", "Priority (0–1)"),
    "phases": ("分期实施", "Phasing"),
    "sheet.phases": ("分期实施", "Phasing"),
    "treatment_rate_after": ("期末污水治理率", "Treatment rate after the phase"),
    "layer.villages_phase": ("污水治理分期实施", "Sewage works by phase"),
    "phase.kept": ("现状保留", "Existing works kept"),
    "phase.unscheduled": ("未列入分期", "Not scheduled"),
}
for _m in SEWAGE_MODES:  # the per-mode columns of the township table
    _zh, _en = _SEWAGE.get(f"sewage_mode.{_m}") or _SEWAGE[_m]
    _SEWAGE[f"{_m}_villages"] = (f"{_zh}村数", f"{_en}: villages")
    _SEWAGE[f"{_m}_population"] = (f"{_zh}人口（人）", f"{_en}: population")
    _SEWAGE[f"{_m}_flow_m3_per_day"] = (f"{_zh}污水量（m³/d）", f"{_en}: flow (m³/d)")

# livestock and manure (analysis.livestock)
_LIVESTOCK: dict[str, tuple[str, str]] = {
    # species
    "pig": ("生猪", "Pig"),
    "dairy_cow": ("奶牛", "Dairy cow"),
    "beef_cattle": ("肉牛", "Beef cattle"),
    "sheep": ("羊", "Sheep / goat"),
    "layer": ("蛋鸡", "Layer"),
    "broiler": ("肉鸡", "Broiler"),
    "poultry": ("家禽", "Poultry"),
    # farm columns
    "pig_equivalents": ("猪当量", "Pig equivalents"),
    "scale_farm": ("规模养殖场", "Large-scale farm"),
    "nearest_village_distance_m": ("距居民点距离（米）", "Distance to village (m)"),
    "water_distance_m": ("距水体距离（米）", "Distance to water (m)"),
    "sewage_plant_distance_m": ("距污水处理厂距离（米）", "Distance to sewage plant (m)"),
    "in_prohibited_zone": ("位于禁养区", "In no-farming zone"),
    "near_village": ("距居民点不足防护距离", "Too close to village"),
    "near_water": ("距水体不足防护距离", "Too close to water"),
    "setback_ok": ("选址合规", "Siting OK"),
    "issues": ("问题", "Issues"),
    "nitrogen_kg_per_year": ("氮排泄量（kg/年）", "Nitrogen (kg/year)"),
    "phosphorus_kg_per_year": ("磷排泄量（kg/年）", "Phosphorus (kg/year)"),
    # balance columns
    "farms": ("养殖场数", "Farms"),
    "farms_head_unknown": ("存栏量缺失的养殖场数", "Farms with unknown head"),
    "capacity_pig_equivalents": ("土地承载力（猪当量）", "Land capacity (pig equivalents)"),
    "load_ratio": ("承载指数", "Load ratio"),
    "surplus_pig_equivalents": ("超载量（猪当量）", "Surplus (pig equivalents)"),
    "spare_pig_equivalents": ("剩余承载量（猪当量）", "Spare capacity (pig equivalents)"),
    "overloaded": ("超载", "Overloaded"),
    "no_farmland": ("无耕地", "No farmland"),
    "limiting_nutrient": ("限制养分", "Limiting nutrient"),
    "farmland_source": ("耕地数据来源", "Farmland source"),
    "transfer_out_pig_equivalents": ("可外运量（猪当量）", "Transferable (pig equivalents)"),
    "remaining_surplus_pig_equivalents": ("外运后剩余超载（猪当量）",
                                          "Surplus after transfer (pig equivalents)"),
    "manure_destinations": ("粪肥可去向", "Where the manure could go"),
    "villages_overloaded": ("超载村数", "Overloaded villages"),
    "from_id": ("输出村编号", "From village"),
    "from_name": ("输出村", "From"),
    "to_id": ("接收村编号", "To village"),
    "to_name": ("接收村", "To"),
    "distance_m": ("距离（米）", "Distance (m)"),
    "farmland_layer": ("耕地图层", "farmland layer"),
    "farmland_mu_column": ("村耕地面积字段", "villages' farmland_mu column"),
    "nitrogen": ("氮", "nitrogen"),
    "phosphorus": ("磷", "phosphorus"),
    # village columns added to the plan
    "manure_pig_equivalents": ("养殖量（猪当量）", "Livestock (pig equivalents)"),
    "manure_capacity_pig_equivalents": ("土地承载力（猪当量）", "Land capacity (pig equivalents)"),
    "manure_load_ratio": ("粪污承载指数", "Manure load ratio"),
    "manure_overloaded": ("粪污超载", "Manure overloaded"),
    # tables / blocks
    "livestock": ("畜禽粪污", "Livestock manure"),
    "manure_balance_township": ("乡镇粪污土地承载", "Manure balance by township"),
    "manure_balance_village": ("村粪污土地承载", "Manure balance by village"),
    "manure_transfers": ("粪肥外运建议", "Suggested manure transfers"),
}


# status baseline and the assessment indicators (analysis.baseline, analysis.indicators)
_BASELINE: dict[str, tuple[str, str]] = {
    "sewage_status": ("现状污水治理方式", "Sewage treatment today"),
    "sewage_status.none": ("未治理", "Untreated"),
    "sewage_status.connected": ("已纳管", "Connected to a town plant"),
    "sewage_status.centralized": ("村级集中", "Village station"),
    "sewage_status.cluster": ("片区集中", "Shared station"),
    "sewage_status.household": ("分散（联户分户）", "Household systems"),
    "sewage_facility_id": ("现状污水设施编号", "Existing sewage facility ID"),
    "sewage_facility_status": ("现状污水设施状态", "Existing facility status"),
    "sewage_baseline_treated": ("现状已治理", "Treated today"),
    "rectify": ("需整改", "To rectify"),
    "cost_rectify_yuan_per_year": ("整改年费用（元/年）", "Rectification cost (yuan/year)"),
    "sanitary_toilet_households": ("卫生厕所户数（户）", "Households with sanitary toilets"),
    "toilet_households_to_convert": ("待改厕户数（户）", "Households still to convert"),
    "waste_collected": ("已纳入收运体系", "In the waste collection system"),
    "waste_baseline_covered": ("现状纳入收运体系", "In the collection system today"),
    "manure_facility": ("配套粪污处理设施", "Manure facility"),
    "utilization_rate": ("粪污综合利用率", "Manure utilisation rate"),
    "facility": ("设施类别", "Facility"),
    "sewage_plant": ("污水处理设施", "Sewage facility"),
    "transfer_station": ("垃圾转运站", "Waste transfer station"),
    "type": ("类型", "Type"),
    "year_built": ("建成年份", "Year built"),
    "capacity": ("设计规模（m³/d）", "Capacity (m³/d)"),
    "load": ("现状负荷（m³/d）", "Load (m³/d)"),
    "spare": ("剩余能力（m³/d）", "Spare capacity (m³/d)"),
    "villages_served": ("现状服务村数（个）", "Villages served today"),
    "status.running": ("运行", "Running"),
    "status.stopped": ("停运（闲置）", "Stopped"),
    "status.building": ("在建", "Under construction"),
    "status.planned": ("规划", "Planned"),
    "baseline": ("现状", "Baseline"),
    "planned": ("规划", "Planned"),
    "target": ("目标", "Target"),
    "target_year": ("目标年", "Target year"),
    "sheet.indicators": ("考核指标", "Indicators"),
    "sheet.existing_facilities": ("现状设施", "Existing facilities"),
    "indicators": ("考核指标", "Indicators"),
    "existing_facilities": ("现状设施", "Existing facilities"),
    "sewage_treatment_rate": ("农村生活污水治理率", "Rural sewage treatment rate"),
    "waste_system_coverage": ("生活垃圾收运处置体系覆盖行政村比例", "Villages in the waste collection system"),
    "sanitary_toilet_rate": ("卫生厕所普及率", "Sanitary toilet coverage"),
    "manure_utilization_rate": ("畜禽粪污综合利用率", "Manure utilisation rate"),
    "manure_facility_rate": ("规模养殖场粪污处理设施装备配套率", "Scale farms with manure facilities"),
    "facility_operating_rate": ("设施正常运行率", "Facilities in normal operation"),
    # the outputs of the status baseline (report, map, figure)
    "not_assessed": ("未评估", "not assessed"),
    "target_of_year": ("目标（{year}年）", "Target ({year})"),
    "definition": ("指标定义", "Definition"),
    "target_source": ("目标依据", "Target source"),
    "indicator_panel": ("所在乡镇考核指标", "Township indicators"),
    "indicator": ("指标", "Indicator"),
    "layer.villages_sewage_baseline": ("现状污水治理", "Sewage treatment today"),
    "sewage_baseline.treated": ("现状已治理", "Treated today"),
    "sewage_baseline.untreated": ("现状未治理", "Untreated today"),
    "sewage_baseline.rectify": ("设施停运，需整改", "Facility stopped: to rectify"),
    "sewage_baseline.unknown": ("现状不详", "Unknown"),
    "status.unknown": ("状态不详", "Status unknown"),
    "figure.indicators": ("农村人居环境整治考核指标（现状与规划）", " — assessment indicators: baseline and plan"),
    "figure.phases": ("农村生活污水治理率分期变化", " — sewage treatment rate by phase"),
    "district_total": ("全区", "District"),
}


#: Columns whose values are codes shown by their labels (``label(f"{col}.{value}")``, else
#: ``label(value)``) in the map, the report and the figures.
CODED_COLUMNS = frozenset({"sewage_mode", "distance_metric", "species", "species_code",
                           "toilet_suggestion", "limiting_nutrient", "farmland_source", "sewage_status",
                           "status", "sewage_facility_status", "facility", "village_class", "kind", "link"})


@cache
def labels() -> dict[str, tuple[str, str]]:
    """All labels: the shared ones, the briefing pack's and each analysis' (later ones win)."""
    return {**_BASE, **_BRIEFING, **_WASTE, **_SITING, **_SEWAGE, **_LIVESTOCK, **_BASELINE, **_HORIZON,
            **_COMPARE, **_DISPLAY, **_CHAIN, **_PROVINCE}


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


#: The waste chain in tonnes (analysis.waste_chain; issue 14).
_CHAIN: dict[str, tuple[str, str]] = {
    "waste_t_per_day": ("垃圾产生量（吨/日）", "Waste generated (t/d)"),
    "waste_peak_t_per_day": ("高峰产生量（吨/日）", "Peak generation (t/d)"),
    "waste_station_id": ("收运转运站编号", "Station receiving its waste"),
    "waste_station_km": ("至收运转运站距离（公里）", "Distance to that station (km)"),
    "households_beyond_collection": ("超出收集点服务半径户数（户）", "Households beyond the collection distance"),
    "capacity_t_per_day": ("设计能力（吨/日）", "Design capacity (t/d)"),
    "load_t_per_day": ("负荷（吨/日）", "Load (t/d)"),
    "peak_load_t_per_day": ("高峰负荷（吨/日）", "Peak load (t/d)"),
    "utilisation": ("负荷率", "Utilisation"),
    "peak_utilisation": ("高峰负荷率", "Peak utilisation"),
    "overloaded": ("超负荷", "Over capacity"),
    "overflow_t_per_day": ("超出能力（吨/日）", "Above capacity (t/d)"),
    "utilisation_note": ("说明", "Note"),
    "facility_id": ("末端处理设施编号", "Treatment facility"),
    "haul_km": ("转运距离（公里）", "Haul distance (km)"),
    "trips_per_day": ("日转运车次", "Trips per day"),
    "tonne_km_per_year": ("年转运周转量（吨·公里）", "Haul (t·km/year)"),
    "haul_cost_yuan_per_year": ("年转运费用（元/年）", "Haul cost (yuan/year)"),
    "inflow_t_per_day": ("进场量（吨/日）", "Inflow (t/d)"),
    "stations_served": ("服务转运站数（座）", "Stations served"),
    "kind": ("类型", "Kind"),
    "kind.incinerator": ("焚烧厂", "Incinerator"),
    "kind.landfill": ("填埋场", "Landfill"),
    "kind.composting": ("堆肥（厨余）处理厂", "Composting plant"),
    "kind.other": ("其他处理设施", "Other treatment"),
    "kind.existing": ("现状保留", "Existing (kept)"),
    "kind.coverage": ("拟建（覆盖）", "Proposed (coverage)"),
    "kind.capacity": ("拟建（扩容）", "Proposed (capacity)"),
    "waste_facility": ("垃圾处理设施", "Waste treatment facility"),
    "waste_facilities": ("垃圾处理设施", "Waste treatment facilities"),
    "collection_points": ("村收集点", "Collection points"),
    "collection_households": ("农户（收集点距离）", "Households (distance to a collection point)"),
    "proposed_collection_points": ("拟建收集点", "Proposed collection points"),
    "households_newly_within": ("新增服务户数（户）", "Households newly served"),
    "within": ("服务半径内户数（户）", "Households within the distance"),
    "beyond": ("服务半径外户数（户）", "Households beyond the distance"),
    "distance_m": ("距离（米）", "Distance (m)"),
    "waste_flows": ("垃圾收运流向", "Waste flows"),
    "link": ("环节", "Link"),
    "link.village_station": ("村→转运站", "village → station"),
    "link.station_facility": ("转运站→处理设施", "station → facility"),
    "from_id": ("起点编号", "From"),
    "to_id": ("终点编号", "To"),
    "t_per_day": ("运量（吨/日）", "Tonnes per day"),
    "distance_km": ("距离（公里）", "Distance (km)"),
    "waste_plan_stations": ("规划转运站（按能力）", "Planned stations (capacity)"),
    "module_t_per_day": ("新建模块规模（吨/日）", "New module (t/d)"),
    "plan_load_t_per_day": ("规划负荷（吨/日）", "Planned load (t/d)"),
    "plan_utilisation": ("规划负荷率", "Planned utilisation"),
    "plan_overflow_t_per_day": ("规划超出能力（吨/日）", "Planned load above capacity (t/d)"),
    "plan_villages_served": ("规划服务村数（个）", "Villages served in the plan"),
    "waste_chain": ("收运体系", "Collection chain"),
    "sheet.waste_chain": ("收运体系", "Collection chain"),
    "sheet.waste_plan": ("规划转运站（按能力）", "Planned stations"),
    "sheet.collection_by_village": ("收集点服务（按村）", "Collection points by village"),
    "collection_by_village": ("收集点服务（按村）", "Collection points by village"),
    "layer.utilisation": ("转运站负荷率", "Station utilisation"),
    "layer.station_utilisation": ("转运站负荷率", "Transfer stations by utilisation"),
    "utilisation.low": ("负荷率 ≤ 80%", "Utilisation ≤ 80%"),
    "utilisation.high": ("负荷率 80%–100%", "Utilisation 80–100%"),
    "utilisation.over": ("超负荷（> 100%）", "Over capacity (> 100%)"),
    "utilisation.unknown": ("能力不详或停运", "Capacity unknown or stopped"),
    "flow_width": ("运量（吨/日）", "Tonnes per day"),
    "figure.waste_chain": ("生活垃圾收运体系（吨/日）", " — the waste chain in tonnes per day"),
    "chain.generation": ("产生量", "Generated"),
    "chain.stations": ("进转运站", "Into stations"),
    "chain.facilities": ("进处理设施", "Into treatment"),
    "chain.uncollected": ("未收运（无道路可达）", "Not collected (no road)"),
    "chain.unhauled": ("未转运（无道路通往处理设施）", "Not hauled (no road to treatment)"),
    "chain.not_assessed": ("未评估（无处理设施图层）", "Not assessed (no facilities layer)"),
    "chain.capacity": ("设计能力", "Design capacity"),
    "tonnes_per_day": ("吨/日", "t/d"),
}

#: Horizon population and village classes (村庄分类; issue 17, item 5).
_HORIZON: dict[str, tuple[str, str]] = {
    "population_horizon": ("规划期末人口（人）", "Population at the horizon year (persons)"),
    "village_class": ("村庄分类", "Village class"),
    "village_class.agglomeration": ("集聚提升类", "Agglomeration and upgrading"),
    "village_class.suburban": ("城郊融合类", "Suburban integration"),
    "village_class.heritage": ("特色保护类", "Heritage protection"),
    "village_class.relocation": ("搬迁撤并类", "Relocation and merger"),
    "village_class.other": ("其他类", "Other"),
}

#: Two plans compared (geo_env.comparison: compare.xlsx, compare_map.html; issue 17, item 6).
_COMPARE: dict[str, tuple[str, str]] = {
    "compare": ("方案对比", "Scenario comparison"),
    "compare_map": ("农村生活污水治理方案对比图", "sewage plan comparison map"),
    "sheet.compare_totals": ("方案对比", "Totals"),
    "sheet.compare_villages": ("村庄差异", "Changed villages"),
    "sheet.compare_indicators": ("分期对比", "Indicators by phase"),
    "sheet.compare_townships": ("乡镇对比", "By township"),
    "sheet.compare_phases": ("分期投资对比", "Money by phase"),
    "end_year": ("期末年份", "End year"),
    "budget_wan": ("投资预算（万元）", "Capex budget (10⁴ yuan)"),
    "item": ("项目", "Item"),
    "delta": ("差值", "Difference"),
    "rate": ("指标值", "Value"),
    "mode": ("污水治理模式", "Sewage mode"),
    "reason": ("治理模式理由", "Reason"),
    "change": ("变化内容", "What changed"),
    "change.mode": ("治理模式", "sewage mode"),
    "change.plant": ("纳管污水厂", "receiving plant"),
    "change.cluster": ("联村片区", "shared-station partners"),
    "change.phase": ("实施期", "phase"),
    "change.only_in_a": ("仅{a}有此村", "only in {a}"),
    "change.only_in_b": ("仅{b}有此村", "only in {b}"),
    "villages_changed": ("决策变化村数（个）", "Villages changed"),
    "villages_not_assessed": ("未评估村数（个）", "Villages not assessed"),
    "annual_cost_wan_per_year": ("年费用（万元/年，折算）", "Annual cost (10⁴ yuan/year, annualised)"),
    "stage": ("阶段", "Stage"),
    "stage.baseline": ("现状", "Baseline"),
    "stage.final": ("规划期末", "End of plan"),
    "layer.changed_villages": ("决策变化的村", "Villages whose decision changed"),
    "sewage_mode.absent": ("本方案无此村", "Not in this plan"),
}

#: The rich display of a District and a Plan in Jupyter (``_repr_html_``; issue 15).
_DISPLAY: dict[str, tuple[str, str]] = {
    "display.title": ("{kind}：{name}", "{kind}: {name}"),
    "display.district": ("区县", "District"),
    "display.plan": ("规划成果", "Plan"),
    "display.working_crs": ("工作坐标系", "Working CRS"),
    "display.townships": ("乡镇（街道）数", "Townships"),
    "display.villages": ("行政村数", "Villages"),
    "display.population": ("人口（人）", "Population"),
    "display.households": ("户数（户）", "Households"),
    "display.dem": ("高程（DEM）", "DEM"),
    "display.project_file": ("项目文件", "Project file"),
    "display.lang": ("语言", "Language"),
    "display.layers": ("输入图层", "Input layers"),
    "display.output_layers": ("成果图层", "Output layers"),
    "display.layer": ("图层", "Layer"),
    "display.features": ("要素数", "Features"),
    "display.geometry": ("几何类型", "Geometry"),
    "display.columns": ("字段数", "Columns"),
    "display.key_figures": ("主要指标", "Key figures"),
    "display.figure": ("指标", "Figure"),
    "display.value": ("数值", "Value"),
    "display.warnings": ("数据警告", "Data warnings"),
    "display.none": ("无", "none"),
    "display.waste_villages": ("垃圾收运覆盖率（按村）", "Waste collection coverage (villages)"),
    "display.waste_population": ("垃圾收运覆盖率（按人口）", "Waste collection coverage (population)"),
    "display.waste_after": ("新增转运站后覆盖率（按人口）", "Coverage after siting (population)"),
    "display.after_siting": ("{share}（新增 {n} 座）", "{share} ({n} new stations)"),
    "display.setback_not_ok": ("不满足防护距离的养殖场", "Farms breaking a setback"),
    "display.overloaded_villages": ("粪污超过土地承载力的村", "Villages with more manure than their land takes"),
    "display.indicator_value": ("{baseline} → {planned}", "{baseline} → {planned}"),
    "display.target": ("（目标 {target}，{year}年）", " (target {target} by {year})"),
}

#: The province batch (``geo-env batch``): province.xlsx, province_map.html (issue 16).
_PROVINCE: dict[str, tuple[str, str]] = {
    "county": ("县（区）文件夹", "County folder"),
    "project": ("项目名称", "Project"),
    "batch_status": ("运行结果", "Result"),
    "batch_status.ok": ("完成", "done"),
    "batch_status.failed": ("失败", "failed"),
    "rerun": ("本次重算", "Run this time"),
    "townships_count": ("乡镇数（个）", "Townships"),
    "warnings_count": ("数据警告（条）", "Data warnings"),
    "seconds": ("用时（秒）", "Time (s)"),
    "error": ("错误信息", "Error"),
    "province_total": ("全省", "Province"),
    "sheet.counties": ("县区考核汇总", "Counties"),
    "sheet.county_townships": ("乡镇考核指标", "Townships"),
    "sheet.failures": ("运行失败的县区", "Failed counties"),
    "province_map": ("农村人居环境整治全省总览图", "rural living-environment: province overview"),
    "open_county_map": ("点击县区打开其规划图", "click a county to open its plan map"),
    **{f"{k}.{when}": (f"{zh}（{wz}）", f"{en} ({we})") for k, zh, en in (
        ("sewage_treatment_rate", "农村生活污水治理率", "Sewage treatment rate"),
        ("waste_system_coverage", "生活垃圾收运体系覆盖率", "Waste collection coverage"),
        ("sanitary_toilet_rate", "卫生厕所普及率", "Sanitary toilet coverage"),
        ("manure_utilization_rate", "畜禽粪污综合利用率", "Manure utilisation rate"),
        ("manure_facility_rate", "规模养殖场粪污设施配套率", "Scale farms with manure facilities"),
        ("facility_operating_rate", "设施正常运行率", "Facilities in normal operation"))
       for when, wz, we in (("baseline", "现状", "baseline"), ("planned", "规划", "planned"))},
}
