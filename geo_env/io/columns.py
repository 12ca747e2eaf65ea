"""Column mapping: what each kind of layer needs, and the file's columns renamed to it.

:data:`SPECS` gives each layer kind its canonical columns (``id name`` and the kind's own:
``population``, ``capacity_m3_per_day`` …), its geometry types and its id prefix.  A
file's columns are renamed by the project's ``columns`` mapping, else by the names in
:data:`ALIASES` (``人口``, ``村名``, ``存栏量`` …); ids are made text
(``361123100201.0`` → ``"361123100201"``), unique and never blank, and blank names are
the ids (:func:`_map_columns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import ColumnNotFoundError, DataValueError, DuplicateIdError, ProjectFileError, closest, format_rows
from ._messages import _warn

__all__ = ["LayerSpec", "SPECS", "ALIASES", "RESERVED_NAMES", "BLANK_TEXTS"]


@dataclass(frozen=True)
class LayerSpec:
    """The canonical columns and geometry types of one kind of layer."""

    kind: str
    geometry: tuple[str, ...]  # allowed shapely geometry families
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    id_prefix: str = ""

    @property
    def canonical(self) -> tuple[str, ...]:
        return ("id", "name", *self.required, *self.optional)


#: The status baseline's village columns (read by :mod:`geo_env.io.status`).
_VILLAGE_BASELINE = ("sewage_status", "sewage_facility_id", "sanitary_toilet_households", "waste_collected")
#: The status baseline's facility columns (sewage plants and transfer stations).
_FACILITY_BASELINE = ("status", "type", "year_built")

SPECS: dict[str, LayerSpec] = {
    # township, population and households may be missing (whole columns or cells): the
    # loader fills them by documented rules (geo_env.io.villages) and says what it could not
    "villages": LayerSpec(
        "villages", ("polygon", "point"),
        optional=("township", "population", "households", "farmland_mu", "settlement_area_ha", "natural_villages",
                  "anchor_x", "anchor_y", "level", *_VILLAGE_BASELINE, "village_class"),
        numeric=("population", "households", "farmland_mu", "settlement_area_ha", "natural_villages", "anchor_x",
                 "anchor_y", "sanitary_toilet_households"),
        id_prefix="V",
    ),
    "village_points": LayerSpec("village_points", ("point",), id_prefix="VP"),
    # a table without geometry: population, households … per village, joined by code or name
    "village_table": LayerSpec(
        "village_table", (),
        optional=("township", "population", "households", "farmland_mu", "settlement_area_ha", "natural_villages",
                  *_VILLAGE_BASELINE),
        numeric=("population", "households", "farmland_mu", "settlement_area_ha", "natural_villages",
                 "sanitary_toilet_households"),
    ),
    # township polygons (or a code table): names for townships known by code only
    "townships": LayerSpec("townships", ("polygon",), id_prefix="TS"),
    # a blank capacity (t/d) is a station whose load is reported without a utilisation
    "transfer_stations": LayerSpec("transfer_stations", ("point",),
                                   optional=("capacity_t_per_day", *_FACILITY_BASELINE),
                                   numeric=("capacity_t_per_day", "year_built"), id_prefix="T"),
    # a blank capacity is a plant that cannot take villages; a blank load is taken as 0
    "sewage_plants": LayerSpec(
        "sewage_plants", ("point",), optional=("capacity_m3_per_day", "load_m3_per_day", *_FACILITY_BASELINE),
        numeric=("capacity_m3_per_day", "load_m3_per_day", "year_built"),
        id_prefix="P",
    ),
    # a blank head is a farm whose pig equivalents are unknown (its setbacks are still checked)
    "livestock_farms": LayerSpec(
        "livestock_farms", ("point",), required=("species",),
        optional=("head", "manure_facility", "utilization_rate", "manure_utilized_t", "manure_produced_t"),
        numeric=("head", "manure_utilized_t", "manure_produced_t"),
        id_prefix="F",
    ),
    # the waste chain (issue 14): treatment facilities, collection points, households or buildings
    "waste_facilities": LayerSpec("waste_facilities", ("point",),
                                  optional=("kind", "capacity_t_per_day", "status", "year_built"),
                                  numeric=("capacity_t_per_day", "year_built"), id_prefix="WF"),
    "collection_points": LayerSpec("collection_points", ("point",), id_prefix="CP"),
    "households": LayerSpec("households", ("point", "polygon"), optional=("households",),
                            numeric=("households",), id_prefix="H"),
    "buildings": LayerSpec("buildings", ("point", "polygon"), optional=("households",),
                           numeric=("households",), id_prefix="B"),
    "roads": LayerSpec("roads", ("line",), optional=("level",), id_prefix="R"),
    "water": LayerSpec("water", ("line", "polygon"), optional=("kind", "protection", "water_class"), id_prefix="W"),
    "prohibited_zones": LayerSpec("prohibited_zones", ("polygon",), id_prefix="Z"),
    "farmland": LayerSpec("farmland", ("polygon",), id_prefix="L"),
}

#: Column names recognised without a ``columns`` mapping (exact match, case-insensitive).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "code", "编号", "代码", "编码", "村代码", "区划代码", "fid_code"),
    "name": ("name", "名称", "村名", "村名称", "站名", "厂名", "场名", "养殖场名称", "行政村"),
    "township": ("township", "town", "乡镇", "镇街", "乡镇街道", "乡镇（街道）", "所属乡镇", "镇"),
    "population": ("population", "pop", "人口", "户籍人口", "常住人口", "人口数"),
    "households": ("households", "户数", "总户数"),
    "farmland_mu": ("farmland_mu", "耕地面积", "耕地亩数", "耕地"),
    "settlement_area_ha": ("settlement_area_ha", "村庄建设用地", "建设用地面积", "居民点面积"),
    "natural_villages": ("natural_villages", "自然村数", "自然村个数", "自然村数量"),
    "capacity_m3_per_day": ("capacity_m3_per_day", "capacity", "设计规模", "处理规模", "规模"),
    "capacity_t_per_day": ("capacity_t_per_day", "capacity", "设计能力（吨/日）", "设计能力(吨/日)", "设计能力",
                           "转运能力", "处理能力", "日处理能力", "设计规模", "处理规模", "规模"),
    "load_m3_per_day": ("load_m3_per_day", "load", "现状负荷", "实际处理量", "负荷"),
    "species": ("species", "畜种", "品种", "养殖种类"),
    "head": ("head", "存栏", "存栏量", "存栏数", "数量"),
    "level": ("level", "等级", "道路等级"),
    "kind": ("kind", "类型", "设施类别", "处理方式"),
    # the status baseline (现状)
    "sewage_status": ("sewage_status", "污水治理现状", "现状污水治理方式", "治理现状", "污水现状"),
    "sewage_facility_id": ("sewage_facility_id", "现状污水设施编号", "污水设施编号", "设施编号"),
    "sanitary_toilet_households": ("sanitary_toilet_households", "卫生厕所户数", "无害化卫生厕所户数", "卫厕户数"),
    "waste_collected": ("waste_collected", "已纳入收运体系", "纳入收运体系", "垃圾收运"),
    "status": ("status", "状态", "运行状态", "运行情况"),
    "type": ("type", "类型", "设施类型", "工艺"),
    "year_built": ("year_built", "建成年份", "建设年份", "投运年份"),
    "village_class": ("village_class", "村庄分类", "村庄类型", "分类"),
    "manure_facility": ("manure_facility", "配套粪污处理设施", "粪污处理设施", "粪污设施"),
    "utilization_rate": ("utilization_rate", "粪污综合利用率", "综合利用率"),
    "manure_utilized_t": ("manure_utilized_t", "综合利用量", "粪污综合利用量"),
    "manure_produced_t": ("manure_produced_t", "粪污产生量", "产生量"),
    # GB 3838 functional class of a water feature (水环境功能区类别)
    "water_class": ("water_class", "水质类别", "水质目标", "水功能区类别", "功能区类别", "水环境功能区类别",
                    "水环境功能", "功能类别"),
}

#: Cell texts that planners' tables use for "no value" (besides an empty cell).
BLANK_TEXTS = ("-", "--", "/", "—", "——", "－", "无", "nan", "null", "none", "na", "n/a", "#n/a")

#: Township names the township tables use for their total row.
RESERVED_NAMES = ("total", "合计", "总计")


def _rename_canonical(gdf: pd.DataFrame, spec: LayerSpec, columns: Mapping[str, str], *, file: str,
                      label: str | None) -> pd.DataFrame:
    """Columns renamed to their canonical names (the ``columns`` mapping, else the
    :data:`ALIASES`); unknown mapping keys and mapped columns the file lacks, or a
    required column that is missing, are errors naming the file's columns."""
    have = [c for c in gdf.columns if c not in ("geometry", "_row")]
    for canon, src in columns.items():
        if canon not in spec.canonical:
            near = closest(canon, spec.canonical)
            raise ProjectFileError(
                f"unknown column name '{canon}' in columns for {label}", file=file, layer=label,
                hint=(f"did you mean '{near}'?" if near else f"valid names: {', '.join(spec.canonical)}"),
            )
        if src not in gdf.columns:
            near = closest(str(src), have)
            raise ColumnNotFoundError(
                f"no column '{src}' (mapped to {canon}); columns: {', '.join(have)}",
                file=file, layer=label, column=str(src),
                hint=f"did you mean '{near}'?" if near else "check the columns table",
            )
    rename: dict[str, str] = {}
    lowered = {str(c).lower(): c for c in have}
    for canon in spec.canonical:
        if canon in columns:
            rename[columns[canon]] = canon
            continue
        for alias in ALIASES.get(canon, (canon,)):
            col = lowered.get(alias.lower())
            if col is not None and col not in rename and col not in columns.values():
                rename[col] = canon
                break
    # move aside file columns that carry a canonical name but are not the mapped source
    clash = {c: f"{c}_source" for c in have if c in spec.canonical and c not in rename and rename.get(c) != c}
    out = gdf.rename(columns=clash).rename(columns=rename)
    out.attrs["source_columns"] = {canon: str(src) for src, canon in rename.items()}
    for canon in spec.required:
        if canon not in out.columns:
            others = [c for c in out.columns if c not in ("geometry", "_row", *spec.canonical)]
            near = closest(canon, others)
            raise ColumnNotFoundError(
                f"no '{canon}' column (columns: {', '.join(map(str, others))})", file=file, layer=label,
                column=canon,
                hint=(f'map it: columns = {{ {canon} = "{near}" }}' if near
                      else f'map it: columns = {{ {canon} = "<column name>" }}'),
            )
    return out


def _map_columns(gdf: gpd.GeoDataFrame, spec: LayerSpec, columns: Mapping[str, str], *, file: str,
                 label: str | None) -> gpd.GeoDataFrame:
    """Canonical columns (:func:`_rename_canonical`), then unique ids and names: ids in
    file order where the layer has none (warned), names from the ids where blank."""
    out = _rename_canonical(gdf, spec, columns, file=file, label=label)
    n = len(out)
    if "id" not in out.columns:
        out["id"] = [f"{spec.id_prefix}{i + 1:03d}" for i in range(n)]
        if spec.kind not in ("roads", "water", "farmland", "prohibited_zones", "townships", "households",
                             "buildings"):
            _warn(f"{file}: {label} have no id column; ids {out['id'].iloc[0]}… were assigned in file order "
                  f"(map one with columns = {{ id = \"…\" }})")
    out["id"] = _id_strings(out["id"])
    missing_id = out["id"].isna() | (out["id"] == "")
    if missing_id.any():
        raise DataValueError(f"{int(missing_id.sum())} empty id(s)", file=file, layer=label, column="id",
                             row=format_rows(list(out.loc[missing_id, "_row"])), hint="give every feature an id")
    dup = out["id"].duplicated(keep=False)
    if dup.any():
        groups = out.loc[dup].groupby("id")["_row"].apply(list)
        shown = [f"{i} (rows {format_rows(r, 3)})" for i, r in list(groups.items())[:10]]
        raise DuplicateIdError(
            f"{len(groups)} duplicate id(s): {'; '.join(shown)}" + (" …" if len(groups) > 10 else ""),
            file=file, layer=label, column="id", hint="make the ids unique, or map another id column",
        )
    if "name" not in out.columns:
        out["name"] = out["id"]
    else:
        out["name"] = out["name"].astype(object).where(out["name"].notna(), out["id"]).astype(str)
    order = [c for c in spec.canonical if c in out.columns]
    rest = [c for c in out.columns if c not in order]
    return out[order + rest]


def _id_strings(s: pd.Series) -> pd.Series:
    """Ids as strings: 361123100201.0 → "361123100201"; whitespace stripped."""
    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        return " ".join(str(v).split())

    return s.map(one).astype(object)
