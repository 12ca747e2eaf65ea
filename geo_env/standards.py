"""Every default parameter of geo_env, each with the document it comes from.

A project file overrides any of them in its ``[waste]``, ``[sewage]`` or ``[livestock]``
section (or the road options in ``[layers.roads]``); functions accept them as keyword
arguments.  ``report.xlsx`` lists every parameter used with the source given here.

Where a value is a modelling choice of geo_env rather than a number from a standard,
``source`` says so plainly.

Each :class:`Parameter` states its unit and a check that the loader applies
(``positive``, ``nonnegative``, ``fraction``, ``number`` (any sign, within its limits),
``bool``, a tuple of choices, ``any``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .errors import ParameterError, ProjectFileError, closest

__all__ = ["Parameter", "PARAMETERS", "Plausible", "PLAUSIBLE", "defaults", "validate_section", "parameter", "SECTIONS"]


@dataclass(frozen=True)
class Parameter:
    """One default value with its unit and source."""

    section: str
    name: str
    default: Any
    unit: str
    source: str
    label_zh: str
    check: Any = "positive"
    note: str = ""
    #: The values accepted (inclusive, in ``unit``): beyond them a number is a typing or
    #: unit error (1e308 m, 3 for a share written as 3 %), never a setting.  None: any.
    limits: tuple[float, float] | None = None

    def validate(self, value: Any, *, file: str | None = None) -> Any:
        """Return ``value`` converted to the parameter's type, or raise ParameterError."""
        where = f"[{self.section}] {self.name}"
        check = self.check
        if isinstance(check, tuple):
            if value not in check:
                hint = closest(str(value), [str(c) for c in check])
                raise ParameterError(
                    f"{where} = {value!r} is not one of {', '.join(map(repr, check))}",
                    file=file,
                    hint=f"did you mean {hint!r}?" if hint else None,
                )
            return value
        if check == "bool":
            if not isinstance(value, bool):
                raise ParameterError(f"{where} must be true or false, not {value!r}", file=file)
            return value
        if check in ("str", "any"):
            return value
        if check == "mapping":
            if not isinstance(value, Mapping):
                raise ParameterError(f"{where} must be a table {{ key = value }}", file=file)
            return dict(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{where} must be a number ({self.unit}), not {value!r}", file=file)
        if isinstance(self.default, int) and not float(value).is_integer():
            raise ParameterError(f"{where} must be a whole number, not {value!r}", file=file)
        value = float(value) if isinstance(self.default, float) else value
        if check == "positive" and not value > 0:
            raise ParameterError(
                f"{where} must be greater than 0 ({self.unit}), not {value!r}",
                file=file,
                hint=f"the default is {self.default} {self.unit} ({self.source})",
            )
        if check == "nonnegative" and not value >= 0:
            raise ParameterError(f"{where} must be 0 or more ({self.unit}), not {value!r}", file=file)
        if check == "fraction" and not 0 < value <= 1:
            raise ParameterError(
                f"{where} must be a fraction in (0, 1], not {value!r}",
                file=file,
                hint="write 0.95 for 95 %",
            )
        if self.limits is not None and not self.limits[0] <= value <= self.limits[1]:
            lo, hi = self.limits
            raise ParameterError(
                f"{where} = {value!r} is outside the values geo_env accepts ({lo:g} to {hi:g} {self.unit})",
                file=file, hint=f"the default is {self.default} {self.unit} ({self.source})")
        return value


_P = Parameter
_MODEL = "geo_env modelling choice (no standard prescribes it)"

# ---------------------------------------------------------------------------------------
# [roads]: how the road network is built (keys of [layers.roads] in the project file)
# ---------------------------------------------------------------------------------------
_ROADS = [
    _P("roads", "snap_tolerance_m", 1.0, "m",
       _MODEL + "; a line end this close to another line joins it at its nearest point "
       "by a straight link whose length counts (vertices of different lines within 1 m "
       "are always one junction, whatever this tolerance)",
       "道路端点捕捉容差"),
    _P("roads", "node_crossings", False, "",
       _MODEL + "; lines crossing without a shared vertex are bridges unless this is true",
       "交叉处自动打断", check="bool"),
    _P("roads", "max_connector_m", 1000.0, "m",
       _MODEL + "; a village anchor or facility farther than this from every road is not "
       "attached to the network (its road distance is unknown)",
       "接入道路最大距离"),
]

# ---------------------------------------------------------------------------------------
# [waste]: rural household waste collection (户集中、村收集、镇转运、区/县处理)
# ---------------------------------------------------------------------------------------
_WASTE = [
    _P("waste", "service_radius_m", 3000.0, "m",
       "GB/T 51435-2021《农村生活垃圾收运和处理技术标准》§4.4.2: collection by small "
       "motor vehicles — service radius should not exceed 3 km",
       "转运站服务半径",
       note="the same clause gives 1 km for non-motorised collection (set "
            "service_radius_m = 1000 where carts collect)"),
    _P("waste", "metric", "auto", "",
       _MODEL + "; 'road' when a roads layer is given, else 'straight'",
       "距离计算方式", check=("auto", "road", "straight")),
    _P("waste", "target_coverage", 0.95, "share of population",
       _MODEL + "; the share of population the proposed stations should bring within "
       "the service radius",
       "收运覆盖目标", check="fraction"),
    # --- the chain in tonnes (户集中 → 村收集 → 镇转运 → 区处理; issue 14) ---------------------
    _P("waste", "generation_kg_per_person_day", 0.52, "kg/(person·d)",
       "韩智勇 et al. 2017,《中国农村生活垃圾的产生量与物理特性分析及处理建议》(农业工程学报 2017 年第 15 期): "
       "rural domestic waste generation 0.034–3.000 kg/(person·d), median 0.521, from 580 households "
       "surveyed in 6 western provinces and 128 studies in 25 provinces (abstract as reposted by "
       "fx361.cc; geo_env found no national standard figure for rural waste: CJJ 47's 0.8–1.2 "
       "kg/(person·d) is for towns). Set the district's own survey figure",
       "人均生活垃圾产生量"),
    _P("waste", "township_generation_kg_per_person_day", {}, "kg/(person·d)",
       _MODEL + "; a rate per township name ({ 城关镇 = 0.9 }) that replaces "
       "generation_kg_per_person_day for that township's villages (town seats and tourist "
       "townships generate more)",
       "分乡镇人均垃圾产生量", check="mapping"),
    _P("waste", "peak_factor", 1.3, "",
       "CJJ 47-2006《生活垃圾转运站技术规范》2.2.2: 垃圾产量变化系数 δ 1.3–1.5 where no local "
       "data (as quoted, in translation, by inforeenvironment.com; CJJ/T 47-2016 replaced it and "
       "geo_env could not check whether it kept the clause); festivals and tourists. The peak "
       "(generation × this) is reported beside the average; capacities are checked on the average",
       "垃圾产量变化系数"),
    _P("waste", "assignment", "nearest", "",
       _MODEL + "; how villages are assigned to the existing stations: 'nearest' (by the metric, "
       "as collection works today) or 'capacity' (a transportation problem: the fewest tonne-km "
       "within the stations' capacities, each village within the service radius or at its "
       "nearest station). The proposed plan is always capacity-aware",
       "村—站分配方式", check=("nearest", "capacity")),
    _P("waste", "collection_distance_m", 120.0, "m",
       "《环境卫生设施设置标准》 (the revision of CJJ 27-2012) 条文说明 3.2.2: a service radius of "
       "120 m for the collection points of 城镇住宅小区 and 新农村集中居住点 (as shown by "
       "jianbiaoku.com; geo_env did not see the final text, nor a figure for scattered "
       "natural villages). CJJ 27-2012 gave 70 m for towns",
       "收集点服务半径"),
    _P("waste", "collection_metric", "straight", "",
       _MODEL + "; households walk to collection points on paths the roads layer rarely holds: "
       "'straight' by default; 'road' along the roads layer; 'auto' road when roads are given",
       "收集点距离计算方式", check=("auto", "road", "straight")),
    _P("waste", "collection_target", 0.95, "share of households",
       _MODEL + "; the share of households the proposed collection points should bring within "
       "collection_distance_m",
       "收集点覆盖目标", check="fraction"),
    _P("waste", "vehicle_payload_t", 8.0, "t",
       "geo_env estimate: an 8 t compression truck hauling a station's containers (the "
       "size bought for the rural stations of 嘉峪关, news of 2020-04-26 reposted by "
       "twgreatdaily.com); trips per day = load ÷ payload (full loads)",
       "转运车辆载重"),
    _P("waste", "haul_cost_yuan_per_vehicle_km", 6.0, "yuan/(vehicle·km)",
       "geo_env estimate (no verified source): fuel, driver, upkeep and depreciation of an 8 t "
       "truck per km driven; a trip drives the haul distance twice",
       "转运车辆公里成本"),
    _P("waste", "collection_cost_yuan_per_t_km", 3.0, "yuan/(t·km)",
       "geo_env estimate (no verified source): the cost of carrying one tonne one km from a "
       "village to its station by small collection vehicles; weighs transport against new "
       "stations in the capacitated siting",
       "村—站收集运输成本"),
    _P("waste", "station_module_capex_wan", {"10": 110.0, "20": 170.0, "50": 290.0}, "万元 by t/d",
       "geo_env estimate: the module sizes (t/d) a new station may take and their capex (万元), "
       "scaled with the exponent 0.6 from one news figure, 黄桥镇 刘陈社区 压缩式垃圾中转站 15 t/d, "
       "about 140 万元 (taixing.cn, 2015-09-11); set local quotes",
       "新建转运站模块及投资", check="mapping"),
    _P("waste", "transfer_station_life_years", 15.0, "years",
       "geo_env estimate: the life of a compression station's equipment; capex is spread evenly "
       "over it (yuan/year) when new stations are weighed against transport",
       "转运站设备使用年限"),
]

# ---------------------------------------------------------------------------------------
# [sewage]: rural domestic sewage (农村生活污水) — see sewage.py
# ---------------------------------------------------------------------------------------
_GBT51347 = "GB/T 51347-2019《农村生活污水处理工程技术标准》"
_SEWAGE_GUIDE = "住建部《农村生活污水处理项目建设与投资指南》"
_SEWAGE_GUIDE_SEEN = (" (figures as quoted by a trade article on the guide, cjhbo.com/19614613.html: "
                      "小型人工湿地 2600–3700、土地处理 2000–3300、稳定塘 1900–3300、净化沼气池 600–5300、"
                      "小型一体化污水处理设备 11000–39000 元 per m³/d; geo_env found no copy of the guide itself)")
_ZNB = ("中农办、农业农村部、生态环境部等《关于推进农村生活污水治理的指导意见》(中农发〔2019〕14号): "
        "推进城镇污水处理设施和服务向城镇近郊的农村延伸; 离城镇生活污水管网较远、人口密集的村庄可建设集中"
        "处理设施; 人口较少的村庄以卫生厕所改造为重点, 就地就近实现农田利用 (as quoted by shuzixc.com)")
_GD_NACHANG = ("广东省生态环境厅, 农村生活污水治理专栏 (gdee.gd.gov.cn/ztzl_13387/ncshwszlgj/content/"
               "post_3503695.html), 纳厂模式适用范围: 城镇周边(一般距离城镇3km范围内)、属于城镇污水处理厂规划"
               "服务范围内(一般在污水处理厂5km内)、人口集中且满足市政排水管网接入要求的村庄, 优先接入城镇污水"
               "收集管网")
_PYSEWER = "pysewer (UFZ) default settings.yaml"
_EST = "geo_env estimate (no verified source)"
_SEWAGE: list[Parameter] = [
    # --- flows --------------------------------------------------------------------------
    _P("sewage", "water_use_l_per_capita_day", 80.0, "L/(person·d)",
       _GBT51347 + " §4.1.2 and 条文说明 4.1.1: use local survey data or the regional "
       "reference values of 表4.1.2; surveyed rural use ranges 5–150 L/(person·d); 80 is a "
       "mid value — set the value of your region (a villages column "
       "water_use_l_per_capita_day overrides it per village)",
       "人均日用水量"),
    _P("sewage", "sewage_coefficient", 0.6, "share of water use",
       _GBT51347 + " 条文说明 4.1.2: sewage is generally 40 %–80 % of water use (lower "
       "where grey water is reused, upper where drainage is complete); 0.6 is the middle",
       "污水排放系数", check="fraction"),
    _P("sewage", "peak_factor", 2.3, "",
       _PYSEWER + " (peak_factor 2.3); used only to size connecting sewers",
       "污水量变化系数"),
    # --- settlements (村庄建设用地 and 自然村) -------------------------------------------------
    _P("sewage", "land_per_capita_m2", 150.0, "m²/person",
       "settled area (村庄建设用地) = residents × this, where the villages layer has no "
       "settlement_area_ha; bounded by the village polygon. 150 = the ceiling of planned "
       "construction land per person for villages in GB 50188-93《村镇规划标准》 (除坝上地区外均"
       "不得超过150 m²/人; as quoted by a planning handbook, ctoth.com/dictionary/1157910.html). "
       "Its successor GB 50188-2007《镇规划标准》 表5.2.2 is quoted with four grades of "
       "60–140 m²/person for planned towns; geo_env could not check that table against the "
       "standard's text. Existing villages usually exceed planning grades, hence the ceiling",
       "人均村庄建设用地"),
    _P("sewage", "settlement_population_plain", 500.0, "persons",
       _EST + ": residents of one settlement cluster (自然村) in flat villages (mean slope ≤ "
       "plain_slope_deg). China has about 2.36 million natural villages for about 510 million "
       "rural residents (national statistics as commonly quoted for 2020: ≈ 216 residents each); "
       "plains have larger ones. A villages column natural_villages (自然村数) overrides the model",
       "平原自然村人口"),
    _P("sewage", "settlement_population_hill", 120.0, "persons",
       _EST + ": residents of one settlement cluster in hill villages (mean slope ≥ "
       "hill_slope_deg), about 40 households: hamlets (村民小组) on valley floors and spurs. "
       "Between the two slopes the cluster size falls geometrically; √(500 × 120) ≈ 245 is "
       "near the national mean of ≈ 216",
       "山区自然村人口"),
    _P("sewage", "plain_slope_deg", 2.0, "°",
       "TD/T 1014-2007《第二次全国土地调查技术规程》 slope classes (≤2°, 2–6°, 6–15°, 15–25°, "
       ">25°): ≤ 2° is flat land; applied to the village's mean slope from the DEM",
       "平原坡度上限", check="nonnegative"),
    _P("sewage", "hill_slope_deg", 6.0, "°",
       "TD/T 1014-2007 slope classes: above 6° is sloping land (斜坡, then 陡坡 above 15°), "
       "where fields are terraced and settlements break into hamlets; applied to the "
       "village's mean slope from the DEM",
       "山区坡度下限"),
    _P("sewage", "max_settlements_per_km2", 3.0, "1/km²",
       _EST + ": at most this many settlement clusters per km² of village territory (natural "
       "villages rarely lie closer than about 600 m, each amid its own fields); caps the "
       "cluster count of small, populous villages such as town seats",
       "每平方公里最多居民点数"),
    # --- sewer hydraulics and terrain ----------------------------------------------------
    _P("sewage", "min_slope", 0.003, "m/m",
       "GB 50014《室外排水设计规范》-2006 §4.2.10 (kept in GB 50014-2021): sewers of the "
       "minimum diameter 300 mm have a minimum design slope of 0.003 (0.002 for plastic pipe)",
       "管道最小坡度"),
    _P("sewage", "min_trench_depth_m", 1.0, "m",
       _EST + ": about 0.7 m of cover under roads plus a 300 mm pipe; pysewer uses "
       "tmin = 0.25 m, too shallow for sewers laid along roads",
       "最小埋深"),
    _P("sewage", "max_trench_depth_m", 8.0, "m",
       _PYSEWER + " (tmax = 8 m): deeper than this a lift (pump) station is placed",
       "最大埋深"),
    _P("sewage", "profile_step_m", 10.0, "m",
       _PYSEWER + " (dx = 10 m): spacing of the elevation samples along a pipe route",
       "高程剖面采样间距"),
    _P("sewage", "manning_n", 0.013, "",
       _PYSEWER + " (roughness 0.013): Manning roughness used to size sewers (half full)",
       "管道粗糙系数"),
    _P("sewage", "detour_factor", 1.3, "",
       _EST + ": a sewer follows roads, which are longer than the straight line; road "
       "circuity is commonly 1.2–1.4; used where no road route is known",
       "绕行系数"),
    _P("sewage", "max_road_detour", 1.5, "",
       _MODEL + "; a road route longer than this × the straight line is not followed: the "
       "sewer is laid cross-country (field roads, ditches) at straight line × detour_factor",
       "沿路管线最大绕行比"),
    # --- decision rules ------------------------------------------------------------------
    _P("sewage", "max_connect_distance_m", 5000.0, "m",
       _GD_NACHANG + "; a county plan (东阳市) also takes 一般5公里以内 for 进厂治理. Farther "
       "than this along the pipe route a village is not considered for connection",
       "最大纳管距离"),
    _P("sewage", "connect_priority_distance_m", 3000.0, "m",
       _GD_NACHANG + "; " + _ZNB + ". geo_env's rule: a village whose sewer to a plant with "
       "room is at most this long and flows by gravity all the way (no lift station: 满足接入"
       "要求) connects even when another mode would cost less (distance along the pipe route "
       "to the plant, standing in for the distance to the town's sewers). 0 disables the rule",
       "优先纳管距离", check="nonnegative"),
    _P("sewage", "connect_priority_max_premium", 0.5, "share of the cheapest other mode",
       _MODEL + "; " + "纳管优先 applies where connection is technically and economically "
       "reasonable (" + "中农发〔2019〕14号: 推进城镇污水处理设施和服务向城镇近郊的农村延伸). "
       "geo_env's rule: a priority connection (see connect_priority_distance_m) is taken only "
       "while its yearly cost is at most (1 + this) × the cheapest other mode (centralized or "
       "household), the village trunk sewer (needed by a connection and by a single village "
       "station alike) left out of both sides so that the rule can only drop pairs as the sewer "
       "unit cost rises. 0.5 lets the preference carry up to half again the cost, for benefits "
       "the cost model does not price (a town plant's stricter effluent and professional "
       "operation); beyond that the connection is no longer economically reasonable. 0: "
       "priority connections must not cost more than the alternative; inf: no cap",
       "优先纳管加价上限", check="nonnegative"),
    _P("sewage", "household_max_settlement_population", 200.0, "persons",
       "广东省农业农村厅、广东省生态环境厅《广东省农村生活污水资源化利用技术细则（试行）》: "
       "资源化利用(就地就近) 适用于常住人口较少、居住分散的村庄; 人口超过200人的村庄或聚居片只在"
       "具备足够环境消纳能力时也可采用 (as reported by 中国经济网). geo_env's rule: household "
       "systems are not chosen for villages whose settlement clusters hold more residents "
       "than this on average; 0 disables the rule (raise it where land can take the effluent)",
       "分户处理聚居点人口上限", check="nonnegative"),
    _P("sewage", "candidate_plants", 3, "",
       _MODEL + "; the nearest plants (straight line) whose connection is costed per village",
       "候选污水厂数"),
    _P("sewage", "cluster_max_link_m", 1500.0, "m",
       _MODEL + "; villages farther apart than this (straight line) never share a station",
       "片区连接最大距离"),
    _P("sewage", "protection_column", "protection", "",
       _MODEL + "; the column of [layers.water] that marks drinking-water source "
       "protection zones (true, 1 or a non-empty value such as 一级 or drinking_water_source); "
       "household systems are not allowed for settlements touching them",
       "水源保护区字段", check="str"),
    # --- effluent standards (出水标准): rule tables in geo_env/data/effluent/ -------------------
    _P("sewage", "province", "national", "",
       "which effluent-standard rule table applies: 'national' (环办水体函〔2018〕1083号 grades for "
       "rural stations under 500 m³/d, GB 18918-2002 4.1.2 above) or '44' (Guangdong, DB44/2208-2019); "
       "each band's document and article are in its table and in the report", "出水标准适用省份", check="str"),
    _P("sewage", "effluent_table", "", "",
       _MODEL + "; a rule table of the same format as geo_env's national.toml (path relative to the "
       "project file) for a province geo_env has none of; replaces province", "出水标准规则表文件",
       check="str"),
    _P("sewage", "receiving_water_max_m", 1000.0, "m",
       _MODEL + "; a station discharges into the nearest water feature of [layers.water] (protection "
       "zones aside) within this distance of the village, and meets that water's class (GB 3838 "
       "functional class, column water_class); farther off, or a feature without a class, it discharges "
       "into water of no set function (ponds and ditches: 环办水体函〔2018〕1083号 三级)",
       "受纳水体搜索距离", check="positive"),
    _P("sewage", "effluent_cost_factors", {"一级A": 1.25, "一级B": 1.0, "一级": 1.0, "二级": 0.85, "三级": 0.7},
       "share of the station's capital and operation",
       _EST + ": station_capex_yuan_per_m3_day and station_opex_yuan_per_m3 price a packaged unit "
       "meeting 一级B (the rural 一级 grade of DB44/2208-2019 has 一级B's COD, NH3-N and SS limits); "
       "一级A needs filtration and more aeration and dosing (×1.25), 二级 and 三级 less (×0.85, ×0.7)",
       "出水标准造价系数", check="mapping"),
    _P("sewage", "dry_toilet_below_l_per_capita_day", 30.0, "L/(person·d)",
       _EST + ": 宜水则水、宜旱则旱 — where water use is below this, household villages are "
       "advised dry (double-urn) toilets rather than flush toilets with septic tanks",
       "宜旱则旱用水阈值", check="nonnegative"),
    # --- horizon population (规划期末人口) ---------------------------------------------------
    _P("sewage", "horizon_year", 2035, "year",
       "the plan horizon: 2035, the horizon of the territorial spatial master plans (国土空间总体规划 "
       "2021–2035) and the 2035 goal of 《乡村振兴战略规划（2018－2022年）》 (到2035年，乡村振兴取得决定性进展); "
       "design flows are sized for the population of this year — set the plan's own horizon",
       "规划期末年份"),
    _P("sewage", "base_year", 2025, "year",
       _MODEL + "; the year of the villages' population figures (the status year, 现状基准年)",
       "现状基准年"),
    _P("sewage", "population_growth_rate", 0.0, "share per year",
       _MODEL + "; rural population trends differ by county (many villages shrink, suburban ones "
       "grow): the planners set the district's rate; 0 keeps today's population. Horizon population "
       "= population × (1 + rate)^(horizon_year − base_year)",
       "人口年均增长率", check="number"),
    _P("sewage", "township_growth_rates", {}, "share per year",
       _MODEL + "; a rate per township name ({ 城关镇 = 0.01 }) that replaces population_growth_rate "
       "for that township's villages (same limits)",
       "分乡镇人口年均增长率", check="mapping"),
    # --- economics -----------------------------------------------------------------------
    _P("sewage", "discount_rate", 0.08, "1/year",
       "国家发展改革委、建设部《建设项目经济评价方法与参数》(第三版, 2006): social "
       "discount rate 8 %",
       "折现率", check="nonnegative"),
    _P("sewage", "pipe_life_years", 30.0, "years", _EST + ": sewers and village networks",
       "管网使用年限"),
    _P("sewage", "station_life_years", 15.0, "years",
       _EST + ": packaged treatment equipment", "处理站使用年限"),
    _P("sewage", "pump_life_years", 15.0, "years", _EST + ": prefabricated lift stations",
       "泵站使用年限"),
    _P("sewage", "household_life_years", 15.0, "years", _EST + ": septic tanks and small "
       "household units", "分户设施使用年限"),
    _P("sewage", "sewer_cost_yuan_per_m", 400.0, "yuan/m",
       _EST + ": a DN300 plastic sewer laid along a rural road incl. trench and surface "
       "repair at shallow depth; larger diameters cost in proportion to the diameter; also "
       "the trunk that joins a village's settlement clusters",
       "截污管单价（DN300）"),
    _P("sewage", "sewer_depth_cost_yuan_per_m_per_m", 80.0, "yuan/m per m of depth",
       _EST + ": extra excavation, shoring and backfill per metre of mean trench depth",
       "管道埋深附加单价", check="nonnegative"),
    _P("sewage", "pipe_om_share", 0.01, "share of capital per year",
       _EST + ": yearly sewer maintenance (dredging, repairs) as a share of its capital cost",
       "管网年维护费率", check="nonnegative"),
    _P("sewage", "pump_station_capex_yuan", 150000.0, "yuan",
       _EST + ": a small prefabricated lift station with its power supply",
       "提升泵站造价"),
    _P("sewage", "pump_station_om_yuan_per_year", 10000.0, "yuan/year",
       _EST + ": power and maintenance of one small lift station", "提升泵站年运维费",
       check="nonnegative"),
    _P("sewage", "station_capex_yuan_per_m3_day", 20000.0, "yuan per m³/d",
       _SEWAGE_GUIDE + ": small packaged treatment units (小型一体化污水处理设备) cost 11 000–39 000 "
       "yuan per m³/d" + _SEWAGE_GUIDE_SEEN + "; 20 000 at the reference size below is geo_env's reading "
       "of that range. For ecological stations (人工湿地) set 2600–3700",
       "村级处理站吨水投资"),
    _P("sewage", "station_reference_m3_per_day", 20.0, "m³/d",
       _MODEL + "; the size at which station_capex_yuan_per_m3_day applies",
       "处理站参考规模"),
    _P("sewage", "station_scale_exponent", 0.66, "",
       "geo_env estimate from " + _SEWAGE_GUIDE + ": reading the range 39 000 yuan per m³/d as "
       "the cost at 5 m³/d and 11 000 as the cost at 200 m³/d gives capital ∝ size^0.66 "
       "(economies of scale); the guide as quoted does not tie the range to sizes",
       "处理站规模指数", check="fraction"),
    _P("sewage", "station_opex_yuan_per_m3", 1.5, "yuan/m³",
       _EST + ": power, chemicals, sludge and visits of small village stations",
       "村级处理站吨水运行费"),
    _P("sewage", "plant_opex_yuan_per_m3", 1.0, "yuan/m³",
       _EST + ": marginal treatment cost at a town plant", "城镇污水厂吨水处理费",
       check="nonnegative"),
    _P("sewage", "internal_pipe_cost_yuan_per_m", 300.0, "yuan/m",
       _EST + ": DN200–300 collection pipes in village lanes", "村内管网单价"),
    _P("sewage", "house_connection_yuan", 1500.0, "yuan/household",
       _EST + ": household drain, inspection chamber and lateral", "户接管费用",
       check="nonnegative"),
    _P("sewage", "slope_cost_per_percent", 0.02, "share per % of slope",
       _EST + ": village networks on slopes need drop manholes and deeper trenches: +2 % "
       "of their cost per % of mean slope", "坡度管网附加系数", check="nonnegative"),
    _P("sewage", "household_capex_yuan", 7000.0, "yuan/household",
       _EST + ": a three-compartment septic tank (三格化粪池) with a small soil infiltration bed "
       "or wetland, or a household unit (户用一体化设施), shared by a few households (联户) "
       "or for one", "分户设施造价"),
    _P("sewage", "household_om_yuan_per_year", 200.0, "yuan/(household·year)",
       _EST + ": desludging and upkeep", "分户设施年运维费", check="nonnegative"),
    # the status baseline (现状): existing works
    _P("sewage", "replan_existing", False, "",
       _MODEL + "; false: a village treated today by a running facility keeps it (mode 'existing', "
       "no new cost); true: every village is planned from zero", "现状已治理村重新规划", check="bool"),
    _P("sewage", "rectify_capex_share", 0.3, "share of the new works' capital",
       _EST + ": repairing a stopped station (pumps, blowers, controls, media) costs this share "
       "of building it new; its operation costs as a new one", "停运设施整改费用比例", check="fraction"),
    _P("sewage", "septic_tank_capex_yuan", 1800.0, "yuan/household",
       "宣汉县户厕改造政策 (xuanhan.gov.cn, 2021): 三格式化粪池等地下处理设施 1,800 元/户 (a county "
       "subsidy standard; taken as the tank's cost): a household that has a sanitary toilet with a tank "
       "needs household systems that much cheaper", "三格式化粪池造价", check="nonnegative"),
]

# ---------------------------------------------------------------------------------------
# [livestock]: livestock manure (畜禽粪污) — see livestock.py
# ---------------------------------------------------------------------------------------
_GUIDE = "农办牧〔2018〕1号《畜禽粪污土地承载力测算技术指南》"
_UNCHECKED = (" [value as the guideline is commonly quoted; geo_env's research found no copy "
              "of the guideline's own text to check it against: verify before official use]")
_LIVESTOCK: list[Parameter] = [
    # --- pig equivalents ---------------------------------------------------------------
    _P("livestock", "factors", "guideline2018", "",
       "'guideline2018': " + _GUIDE + ", 猪当量 (按存栏量折算: 100头猪相当于15头奶牛、30头肉牛、"
       "250只羊、2500只家禽; per head on hand: dairy cow 6.667, beef cattle 3.333, sheep/goat "
       "0.4, poultry 0.04 pig equivalents)" + _UNCHECKED + ". 'gb18596': GB 18596-2001"
       "《畜禽养殖业污染物排放标准》1.2.2 (30只蛋鸡、60只肉鸡折算成1头猪, 1头奶牛折算成10头猪, "
       "1头肉牛折算成5头猪; scale classes of 表1 are counted by stock, 以存栏数计); sheep 3:1 "
       "is attributed to GB 18596-2001 (1.2.5) by secondary sources only, not verified; "
       "generic poultry uses the layer ratio (geo_env choice: the larger factor)",
       "猪当量折算系数", check=("guideline2018", "gb18596")),
    _P("livestock", "head_is", "stock", "",
       "GLOSSARY: head counts stock on hand (存栏) unless the project says annual output "
       "(出栏); output is converted to stock by [livestock] cycle_days",
       "头数口径", check=("stock", "output")),
    _P("livestock", "cycle_days", {"pig": 180, "dairy_cow": 365, "beef_cattle": 365,
                                   "sheep": 365, "layer": 365, "broiler": 45, "poultry": 45},
       "days",
       "geo_env estimate: stock = annual output × days on farm / 365. Days from the parameter "
       "table '畜禽规模养殖场粪污产生量参数表' (附件4《畜禽养殖粪污产生量参数及计算公式》, a local "
       "attachment whose issuer geo_env could not identify): 育肥猪 180 d, 肉鸡 45 d, 奶牛/肉牛/"
       "蛋鸡/羊 365 d; generic poultry (家禽) given 45 d like meat birds (geo_env choice)",
       "饲养周期（出栏折存栏）", check="mapping"),
    # --- nutrients ---------------------------------------------------------------------
    _P("livestock", "n_per_pig_equivalent_kg", 11.0, "kg N/year",
       _GUIDE + ", 猪当量: 1个猪当量的氮排泄量为11 kg" + _UNCHECKED,
       "每猪当量氮排泄量"),
    _P("livestock", "p_per_pig_equivalent_kg", 1.65, "kg P/year",
       _GUIDE + ", 猪当量: 1个猪当量的磷排泄量为1.65 kg" + _UNCHECKED,
       "每猪当量磷排泄量"),
    _P("livestock", "nutrient_retention", 0.65, "share",
       "geo_env estimate: share of excreted N and P left after collection, storage and "
       "treatment (the guideline's 养分留存率 depends on the manure process); 65 % is the "
       "粪污肥料化还田率 used by 董心怡 et al. 2022 (农业工程学报 2022 年第 15 期, Hubei) in a "
       "guideline-based assessment",
       "粪污养分留存率", check="fraction"),
    # --- crop uptake (土地承载力) -------------------------------------------------------
    _P("livestock", "crop_yield_kg_per_mu", 400.0, "kg/mu",
       "geo_env estimate: target yield of the reference crop (wheat), near the national "
       "average wheat yield of about 5.7 t/ha (≈ 380 kg/mu) in recent statistical yearbooks; "
       "set the district's own yield",
       "参考作物产量"),
    _P("livestock", "crop_n_per_100kg", 3.0, "kg N per 100 kg yield",
       _GUIDE + ", 表1 不同植物形成100 kg产量需要吸收氮磷量推荐值: 小麦 N 3.0 kg" + _UNCHECKED,
       "百千克产量需氮量"),
    _P("livestock", "crop_p_per_100kg", 1.0, "kg P per 100 kg yield",
       _GUIDE + ", 表1: 小麦 P 1.0 kg" + _UNCHECKED,
       "百千克产量需磷量"),
    _P("livestock", "fertilizer_share", 0.45, "share",
       _GUIDE + ", 施肥供给养分占比: 35 % / 45 % / 55 % for soil N/P grades I / II / III; "
       "45 % = grade II" + _UNCHECKED,
       "施肥供给养分占比", check="fraction"),
    _P("livestock", "manure_share", 0.5, "share",
       _GUIDE + ", 粪肥占施肥比例 (set locally; 50 % is the guideline's worked value)"
       + _UNCHECKED,
       "粪肥占施肥比例", check="fraction"),
    _P("livestock", "manure_n_utilisation", 0.30, "share",
       _GUIDE + ", 粪肥氮素当季利用率 25 %–30 %; geo_env takes the upper end (less land "
       "capacity, the cautious side)" + _UNCHECKED,
       "粪肥氮当季利用率", check="fraction"),
    _P("livestock", "manure_p_utilisation", 0.35, "share",
       _GUIDE + ", 粪肥磷素当季利用率 30 %–35 %; geo_env takes the upper end" + _UNCHECKED,
       "粪肥磷当季利用率", check="fraction"),
    _P("livestock", "transport_distance_m", 5000.0, "m",
       "geo_env estimate: straight-line distance between village anchors within which "
       "surplus manure is offered to villages with spare land; liquid manure hauled by "
       "tractor tanker is rarely worth more than a few kilometres. No standard sets it",
       "粪肥外运距离"),
    # --- setbacks ----------------------------------------------------------------------
    _P("livestock", "residential_setback_m", 500.0, "m",
       "HJ/T 81-2001《畜禽养殖业污染防治技术规范》3.2: 场界与禁建区域边界的最小距离不得小于500m "
       "(禁建区域 of 3.1 include 城市和城镇居民区). The Ministry's reply of 2018 says village "
       "settlements (村屯居民区) are not 3.1.2 areas and the distance is set by the EIA, with "
       "this value as a reference",
       "距居民点防护距离", check="nonnegative"),
    _P("livestock", "residential_basis", "auto", "",
       _MODEL + "; 'polygon': distance to the village polygons (0 inside: the polygons are "
       "settlements); 'anchor': distance to the village anchors (for polygons that are whole "
       "administrative territories, 村界, where every farm lies inside one); 'auto': "
       "'anchor' when at least half of the village polygons have another within 20 m "
       "(territories tile the district), else 'polygon' — a share of villages, so no single "
       "misplaced village decides it",
       "居民点距离口径", check=("auto", "polygon", "anchor")),
    _P("livestock", "water_setback_m", 400.0, "m",
       "HJ/T 81-2001 5 (畜禽粪便的贮存): 贮存设施的位置必须远离各类功能地表水体(距离不得小于400m); "
       "geo_env applies it to the farm geometry, having no storage locations",
       "距地表水体防护距离", check="nonnegative"),
    # --- scale farms -------------------------------------------------------------------
    _P("livestock", "scale_thresholds", {"pig": 500, "dairy_cow": 100, "beef_cattle": 200,
                                         "layer": 20000, "broiler": 50000},
       "head",
       "第一次全国污染源普查 (2007) 农业源: 规模化养殖场 生猪≥500头(出栏)、奶牛≥100头(存栏)、"
       "肉牛≥200头(出栏)、蛋鸡≥20000羽(存栏)、肉鸡≥50000羽(出栏); provinces set their own "
       "(《畜禽规模养殖污染防治条例》 leaves the scale standard to them): override here. "
       "Species without a threshold (sheep, generic poultry) compare their pig equivalents "
       "with the pig threshold in pig equivalents, as GB 18596-2001 1.2.2 converts mixed "
       "farms to pigs",
       "规模养殖场标准", check="mapping"),
    _P("livestock", "scale_threshold_basis", {"pig": "output", "dairy_cow": "stock",
                                              "beef_cattle": "output", "layer": "stock",
                                              "broiler": "output"},
       "",
       "第一次全国污染源普查 (2007): the basis (出栏 output / 存栏 stock) of each threshold "
       "in scale_thresholds",
       "规模标准口径", check="mapping"),
]

# ---------------------------------------------------------------------------------------
# [villages]: facts about villages used when a column is missing
# ---------------------------------------------------------------------------------------
_VILLAGES = [
    _P("villages", "persons_per_household", 2.62, "persons",
       "第七次全国人口普查 (2020): average family household size 2.62 persons; used only "
       "to estimate households where the villages layer has no households column",
       "户均人口"),
]

# ---------------------------------------------------------------------------------------
# [phasing]: the phased programme (近远期) — priorities and the solver's objective
# ---------------------------------------------------------------------------------------
_PHASING = [
    _P("phasing", "objective", "indicator", "",
       _MODEL + "; 'indicator': as many villages treated as early as possible (the treatment "
       "rate after each phase, in order), priorities breaking ties; 'priority': the "
       "priority-weighted population, phase by phase", "分期目标", check=("indicator", "priority")),
    _P("phasing", "weights", {"protection_zone": 3.0, "black_odorous": 3.0, "key_village": 2.0,
                              "population": 1.0, "cost_per_person": 1.0}, "",
       _MODEL + "; the weight of each priority factor (each factor 0–1): in or touching a drinking-"
       "water source protection zone, beside a black-and-odorous water body (black_odorous on "
       "water features), a key/demonstration village (key_village), population (÷ the largest), "
       "low capex per resident (1 − capex/person ÷ the largest)", "优先级权重", check="mapping"),
    _P("phasing", "black_odorous_distance_m", 500.0, "m",
       _MODEL + "; a village this close to a black-and-odorous water body counts as beside it",
       "黑臭水体邻近距离"),
]

# ---------------------------------------------------------------------------------------
# [targets]: the official assessment indicators' targets (考核指标目标值)
# ---------------------------------------------------------------------------------------
_HUANTU_2022 = ("生态环境部、农业农村部等《农业农村污染治理攻坚战行动方案（2021—2025年）》(环土〔2022〕8号) "
                "一、总体要求·行动目标: \"到2025年…农村生活污水治理率达到40%…畜禽粪污综合利用率达到80%以上\"")
_GUOBAN_2017 = ("国务院办公厅《关于加快推进畜禽养殖废弃物资源化利用的意见》(国办发〔2017〕48号) 一、(二): "
                "\"到2020年…规模养殖场粪污处理设施装备配套率达到95%以上\" (the latest national figure)")
_WASTE_2022 = ("住建部等6部门《关于进一步加强农村生活垃圾收运处置体系建设管理的通知》(2022) sets tiers, no number; "
               "90%: the share of (natural) villages whose waste is collected and treated, to be kept \"稳定保持在90%以上\" "
               "(national level reached at the end of 2020) — geo_env counts administrative villages")
_NO_FIGURE = "no national figure: 《农村人居环境整治提升五年行动方案（2021—2025年）》 (2021) says only "
_TARGETS = [
    _P("targets", "province", "national", "",
       "which defaults the targets take: the national plan figures, or a province's ('44' Guangdong)",
       "目标值口径", check=("national", "44")),
    _P("targets", "sewage_treatment_rate", 0.40, "share of administrative villages", _HUANTU_2022,
       "农村生活污水治理率目标", check="fraction"),
    _P("targets", "sewage_treatment_rate_year", 2025, "year", _HUANTU_2022, "目标年", check="positive"),
    _P("targets", "waste_system_coverage", 0.90, "share of administrative villages", _WASTE_2022,
       "生活垃圾收运处置体系覆盖行政村比例目标", check="fraction"),
    _P("targets", "waste_system_coverage_year", 2025, "year", _WASTE_2022, "目标年", check="positive"),
    _P("targets", "sanitary_toilet_rate", None, "share of households",
       _NO_FIGURE + "\"农村卫生厕所普及率稳步提高\"; set a provincial or county figure", "卫生厕所普及率目标",
       check="fraction"),
    _P("targets", "sanitary_toilet_rate_year", 2025, "year", _NO_FIGURE + "\"稳步提高\" by 2025", "目标年",
       check="positive"),
    _P("targets", "manure_utilization_rate", 0.80, "share of manure (pig equivalents)", _HUANTU_2022,
       "畜禽粪污综合利用率目标", check="fraction"),
    _P("targets", "manure_utilization_rate_year", 2025, "year", _HUANTU_2022, "目标年", check="positive"),
    _P("targets", "manure_facility_rate", 0.95, "share of scale farms", _GUOBAN_2017,
       "规模养殖场粪污处理设施装备配套率目标", check="fraction"),
    _P("targets", "manure_facility_rate_year", 2020, "year", _GUOBAN_2017, "目标年", check="positive"),
    _P("targets", "facility_operating_rate", None, "share of facilities",
       "no national figure; Guangdong: 0.80 (set province = \"44\")", "设施正常运行率目标", check="fraction"),
    _P("targets", "facility_operating_rate_year", 2025, "year", "the 14th Five-Year Plan's horizon", "目标年",
       check="positive"),
]
#: Targets of a province that differ from the national defaults: {province: {key: (value, source)}}.
PROVINCE_TARGETS: dict[str, dict[str, tuple[Any, str]]] = {
    "44": {
        "sewage_treatment_rate": (0.60, "广东省《深化广东农村生活污水治理攻坚行动的指导意见》(2021): \"到2025年…全省农村"
                                        "生活污水治理率达到60%以上\" (counted by natural villages in Guangdong)"),
        "facility_operating_rate": (0.80, "广东省生态环境厅 (南方日报, 2023-05): \"自然村生活污水治理和有效管控率、设施正常"
                                          "运行率稳定达到'双80%'\" by 2025"),
    },
}

# ---------------------------------------------------------------------------------------
# plausibility: values of the data that need a look (warned) or cannot be right (stop)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plausible:
    """A plausible range of a data value: outside ``[low, high]`` it is warned about, above
    ``stop`` it stops the run (no such value exists: a typing or column error)."""

    name: str
    low: float
    high: float
    stop: float
    unit: str
    source: str


PLAUSIBLE: dict[str, Plausible] = {p.name: p for p in (
    Plausible("persons_per_household", 1.0, 6.0, 20.0, "persons",
              "第七次全国人口普查 (2020): average family household 2.62 persons. geo_env bounds: a "
              "village averaging under 1 or over 6 persons per household (hollowed villages with "
              "户籍 counts go down to about 1) needs a look; over 20 is no household at all "
              "(swapped columns, extra digits)"),
    Plausible("village_population", 0.0, 50_000.0, 500_000.0, "persons",
              "geo_env bounds: China's most populous administrative villages, urban villages of the "
              "Pearl River Delta, hold some 10⁵ residents; over 5 × 10⁴ needs a look, over 5 × 10⁵ is "
              "no village (a county's total, extra digits)"),
)}

SECTIONS = ("roads", "waste", "sewage", "livestock", "villages", "targets", "phasing")

#: The values each numeric parameter accepts (inclusive): the widest that make sense for a
#: county's rural planning (a geo_env choice; the standards give the usual values, these
#: only stop typing and unit errors such as 1e308, inf or a share written as a percentage).
_LIMITS: dict[str, tuple[float, float]] = {
    # roads
    "snap_tolerance_m": (0.0, 200.0), "max_connector_m": (0.0, 20_000.0),
    # waste
    "service_radius_m": (0.0, 50_000.0), "target_coverage": (0.0, 1.0),
    "generation_kg_per_person_day": (0.0, 10.0), "township_generation_kg_per_person_day": (0.0, 10.0),
    "collection_distance_m": (0.0, 5_000.0), "collection_target": (0.0, 1.0), "vehicle_payload_t": (0.1, 100.0),
    "haul_cost_yuan_per_vehicle_km": (0.0, 1_000.0), "collection_cost_yuan_per_t_km": (0.0, 1_000.0),
    "station_module_capex_wan": (0.0, 1e6), "transfer_station_life_years": (1.0, 100.0),
    # sewage: flows and settlements
    "water_use_l_per_capita_day": (0.0, 500.0), "sewage_coefficient": (0.0, 1.0), "peak_factor": (1.0, 10.0),
    "land_per_capita_m2": (0.0, 2_000.0), "settlement_population_plain": (0.0, 100_000.0),
    "settlement_population_hill": (0.0, 100_000.0), "plain_slope_deg": (0.0, 45.0),
    "hill_slope_deg": (0.0, 60.0), "max_settlements_per_km2": (0.0, 1_000.0),
    # sewage: hydraulics and routes
    "min_slope": (0.0, 0.2), "min_trench_depth_m": (0.0, 10.0), "max_trench_depth_m": (0.0, 30.0),
    "profile_step_m": (1.0, 1_000.0), "manning_n": (0.005, 0.1), "detour_factor": (1.0, 5.0),
    "max_road_detour": (1.0, 10.0), "max_connect_distance_m": (0.0, 100_000.0),
    "connect_priority_distance_m": (0.0, 100_000.0), "connect_priority_max_premium": (0.0, float("inf")),
    "household_max_settlement_population": (0.0, 100_000.0), "candidate_plants": (1, 50),
    "cluster_max_link_m": (0.0, 50_000.0), "dry_toilet_below_l_per_capita_day": (0.0, 500.0),
    # sewage: money
    "discount_rate": (0.0, 0.5), "pipe_life_years": (1.0, 100.0), "station_life_years": (1.0, 100.0),
    "pump_life_years": (1.0, 100.0), "household_life_years": (1.0, 100.0),
    "sewer_cost_yuan_per_m": (0.0, 100_000.0), "sewer_depth_cost_yuan_per_m_per_m": (0.0, 100_000.0),
    "pipe_om_share": (0.0, 0.5), "pump_station_capex_yuan": (0.0, 1e8),
    "pump_station_om_yuan_per_year": (0.0, 1e7), "station_capex_yuan_per_m3_day": (0.0, 1e6),
    "station_reference_m3_per_day": (0.0, 100_000.0), "station_scale_exponent": (0.0, 1.0),
    "station_opex_yuan_per_m3": (0.0, 100.0), "plant_opex_yuan_per_m3": (0.0, 100.0),
    "internal_pipe_cost_yuan_per_m": (0.0, 100_000.0), "house_connection_yuan": (0.0, 1e6),
    "slope_cost_per_percent": (0.0, 1.0), "household_capex_yuan": (0.0, 1e6),
    "household_om_yuan_per_year": (0.0, 1e5), "rectify_capex_share": (0.0, 1.0),
    "septic_tank_capex_yuan": (0.0, 1e5),
    # sewage: horizon population (rates: shares per year; a tenth a year either way is already extreme)
    "horizon_year": (2000, 2100), "base_year": (2000, 2100), "population_growth_rate": (-0.1, 0.1),
    "township_growth_rates": (-0.1, 0.1),
    # sewage: effluent standards (cost factors: a tenth to five times the 一级B station)
    "receiving_water_max_m": (0.0, 50_000.0), "effluent_cost_factors": (0.1, 5.0),
    # livestock
    "n_per_pig_equivalent_kg": (0.0, 100.0), "p_per_pig_equivalent_kg": (0.0, 50.0),
    "nutrient_retention": (0.0, 1.0), "crop_yield_kg_per_mu": (0.0, 10_000.0),
    "crop_n_per_100kg": (0.0, 50.0), "crop_p_per_100kg": (0.0, 20.0), "fertilizer_share": (0.0, 1.0),
    "manure_share": (0.0, 1.0), "manure_n_utilisation": (0.0, 1.0), "manure_p_utilisation": (0.0, 1.0),
    "transport_distance_m": (0.0, 200_000.0), "residential_setback_m": (0.0, 10_000.0),
    "water_setback_m": (0.0, 10_000.0),
    # villages
    "persons_per_household": (1.0, 10.0),
    # phasing
    "black_odorous_distance_m": (0.0, 50_000.0),
}

PARAMETERS: dict[tuple[str, str], Parameter] = {
    (p.section, p.name): replace(p, limits=_LIMITS.get(p.name))
    for p in [*_ROADS, *_WASTE, *_SEWAGE, *_LIVESTOCK, *_VILLAGES, *_TARGETS, *_PHASING]
}
for (_sec, _name), _p in list(PARAMETERS.items()):  # targets: shares 0–1, whole years 2000–2100
    if _sec == "targets" and _name != "province":
        PARAMETERS[(_sec, _name)] = replace(_p, limits=(2000, 2100) if _name.endswith("_year") else (0.0, 1.0))


def target_of(indicator: str, values: Mapping[str, Any]) -> tuple[float | None, int, str]:
    """The target of ``indicator`` from the ``[targets]`` values: (share or None, year,
    source); a province's figure where ``province`` has one and the project sets none."""
    value, year = values.get(indicator), int(values.get(f"{indicator}_year") or 2025)
    source = PARAMETERS[("targets", indicator)].source
    given = values.get("_given", ())
    prov = PROVINCE_TARGETS.get(str(values.get("province", "national")), {})
    if indicator in given:
        source = "project file [targets]"
    elif indicator in prov:
        value, source = prov[indicator]
    return (None if value is None else float(value)), year, source


def parameter(section: str, name: str) -> Parameter:
    """The :class:`Parameter` ``section.name``."""
    return PARAMETERS[(section, name)]


def defaults(section: str) -> dict[str, Any]:
    """The default values of one section, as a new dict."""
    return {p.name: p.default for p in PARAMETERS.values() if p.section == section}


def validate_section(
    section: str,
    values: Mapping[str, Any],
    *,
    file: str | None = None,
    extra_keys: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Merge ``values`` over the section's defaults, checking each key and value.

    Unknown keys raise :class:`ProjectFileError` naming the closest valid key;
    ``extra_keys`` are accepted and returned unchanged (the caller checks them).
    """
    out = defaults(section)
    known = [p.name for p in PARAMETERS.values() if p.section == section] + list(extra_keys)
    for key, value in values.items():
        if key in extra_keys:
            out[key] = value
            continue
        p = PARAMETERS.get((section, key))
        if p is None:
            hint = closest(key, known)
            raise ProjectFileError(
                f"unknown key '{key}' in [{section}]",
                file=file,
                hint=(f"did you mean '{hint}'?" if hint else f"valid keys: {', '.join(known)}"),
            )
        out[key] = p.validate(value, file=file)
    return out
