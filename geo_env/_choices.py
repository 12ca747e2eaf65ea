"""Closed lists of option values, shared by the CLI, the loader, the analyses and the outputs
(a light module: the CLI imports it without loading the geospatial stack)."""

from __future__ import annotations

#: Languages of labels, tables and reason sentences.
LANGS = ("zh", "en")
#: Map backgrounds; every one is optional decoration, the map is complete without tiles.
BASEMAPS = ("none", "osm", "tianditu", "amap")
#: The sewage modes, in the order used for ties, tables and legends.
SEWAGE_MODES = ("connect", "centralized", "cluster", "household", "existing")
#: How a village's sewage is treated today (``sewage_status``); ``none``: untreated.
SEWAGE_STATUSES = ("none", "connected", "centralized", "cluster", "household")
#: The state of an existing facility (``status`` of sewage plants and transfer stations).
FACILITY_STATUSES = ("running", "stopped", "building", "planned")
#: Village classes of the village plans (村庄分类: 集聚提升, 城郊融合, 特色保护, 搬迁撤并, 其他).
VILLAGE_CLASSES = ("agglomeration", "suburban", "heritage", "relocation", "other")
#: The official assessment indicators (考核指标), in the order of tables and summary.json.
INDICATORS = ("sewage_treatment_rate", "waste_system_coverage", "sanitary_toilet_rate",
              "manure_utilization_rate", "manure_facility_rate", "facility_operating_rate")
