"""Chinese and English labels for columns, values, legends and sheet names.

Analysis modules keep the labels of their own outputs in a module-level ``LABELS`` dict
(``code -> (zh, en)``); :func:`label` looks in the shared labels below first, then in
those modules (listed in ``_MODULES``), so every label lives next to the code it names.
"""

from __future__ import annotations

import importlib
from functools import cache

__all__ = ["label", "labels", "LANGS"]

LANGS = ("zh", "en")

_BASE: dict[str, tuple[str, str]] = {
    # canonical columns
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "township": ("乡镇（街道）", "Township"),
    "population": ("人口（人）", "Population"),
    "households": ("户数（户）", "Households"),
    "farmland_mu": ("耕地面积（亩）", "Farmland (mu)"),
    "settlement_area_ha": ("村庄建设用地（公顷）", "Settlement area (ha)"),
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

#: Modules whose ``LABELS`` dict extends the table (added as analyses land).
_MODULES: tuple[str, ...] = ("sewage", "livestock")


@cache
def labels() -> dict[str, tuple[str, str]]:
    """All labels: the shared ones and each analysis module's ``LABELS``."""
    table = dict(_BASE)
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
