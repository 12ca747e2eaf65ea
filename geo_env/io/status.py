"""The status baseline's columns (现状): what exists today and in what state.

Words planners write are read into closed codes (:data:`geo_env._choices`):

* villages' ``sewage_status`` → ``none | connected | centralized | cluster | household``
  (:data:`SEWAGE_STATUS_WORDS`); a blank cell is unknown (counted as untreated, warned);
* ``status`` of sewage plants, transfer stations and waste facilities → ``running |
  stopped | building | planned`` (:data:`FACILITY_STATUS_WORDS`); a blank cell is taken as
  ``running`` (warned);
* ``kind`` of waste facilities → ``incinerator | landfill | composting | other``
  (:data:`WASTE_FACILITY_KIND_WORDS`); a blank cell is unknown (None);
* villages' ``village_class`` (村庄分类) → ``agglomeration | suburban | heritage | relocation |
  other`` (:data:`VILLAGE_CLASS_WORDS`); a blank cell is ``other``;
* yes/no columns (``waste_collected``, ``manure_facility``) → True / False, blank unknown;
* water features' ``water_class`` (GB 3838-2002 functional class) → ``I | II | III | IV | V``
  (:data:`WATER_CLASS_WORDS`: Ⅲ, Ⅲ类, III, 3, 三类 …; 劣Ⅴ类 is ``V``); a blank cell is unclassified;
* farms' ``utilization_rate``: a share 0–1 or a percentage text (``85%``); or
  ``manure_utilized_t`` ÷ ``manure_produced_t``.

An unknown word, a rate outside 0–1, or more sanitary-toilet households than households
is a :class:`~geo_env.errors.DataValueError` naming the file, column and rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValueError, format_rows
from ._messages import _warn
from .columns import BLANK_TEXTS, LayerSpec, _id_strings
from .coordinates import _HALFWIDTH

__all__ = ["SEWAGE_STATUS_WORDS", "FACILITY_STATUS_WORDS", "WASTE_FACILITY_KIND_WORDS", "VILLAGE_CLASS_WORDS",
           "WATER_CLASS_WORDS", "YES_WORDS", "NO_WORDS",
           "check_status_columns", "status_codes", "village_class_codes", "water_class_codes"]

#: Words for each sewage status (lower case; matched after trimming spaces).
SEWAGE_STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "none": ("none", "untreated", "未治理", "未处理", "无设施", "否"),
    "connected": ("connected", "connect", "纳管", "已纳管", "接管", "纳入城镇管网", "纳入城镇污水管网", "管网收集"),
    "centralized": ("centralized", "centralised", "村级集中", "集中", "集中处理", "集中式", "村级集中处理", "村集中"),
    "cluster": ("cluster", "片区集中", "联村", "联村集中", "联村集中处理", "片区"),
    "household": ("household", "分散", "分散处理", "分散式", "联户", "分户", "联户分户", "联户/分户", "户用"),
}
#: Words for each facility status.
FACILITY_STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "running": ("running", "operating", "in operation", "运行", "正常运行", "运行中", "在用", "正常", "使用中"),
    "stopped": ("stopped", "idle", "停运", "闲置", "停用", "停止运行", "故障", "非正常运行", "未运行"),
    "building": ("building", "under construction", "在建", "建设中", "施工中"),
    "planned": ("planned", "规划", "拟建", "规划新建", "计划"),
}
#: Words for each village class (村庄分类 of the village plans, 《乡村振兴战略规划（2018－2022年）》).
VILLAGE_CLASS_WORDS: dict[str, tuple[str, ...]] = {
    "agglomeration": ("agglomeration", "集聚提升", "集聚提升类", "集聚提升型", "集聚提升类村庄"),
    "suburban": ("suburban", "城郊融合", "城郊融合类", "城郊融合型", "城郊融合类村庄"),
    "heritage": ("heritage", "特色保护", "特色保护类", "特色保护型", "特色保护类村庄"),
    "relocation": ("relocation", "搬迁撤并", "搬迁撤并类", "搬迁撤并型", "搬迁撤并类村庄"),
    "other": ("other", "其他", "其它", "其他类", "其他类村庄", "看不准", "看不准类", "暂不分类"),
}
#: Words for each GB 3838-2002 functional class of a water feature (劣Ⅴ类 meets Ⅴ's grade).
WATER_CLASS_WORDS: dict[str, tuple[str, ...]] = {
    code: (code, f"{code}类", roman, f"{roman}类", str(k), f"{k}.0", f"{k}类", f"{zh}类", f"{zh}类水", f"{roman}类水")
    for k, (code, roman, zh) in enumerate((("I", "Ⅰ", "一"), ("II", "Ⅱ", "二"), ("III", "Ⅲ", "三"),
                                           ("IV", "Ⅳ", "四"), ("V", "Ⅴ", "五")), start=1)
}
WATER_CLASS_WORDS["V"] += ("劣V", "劣V类", "劣Ⅴ", "劣Ⅴ类", "劣五类")

#: Words for each kind of waste treatment facility (``kind`` of ``waste_facilities``).
WASTE_FACILITY_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "incinerator": ("incinerator", "incineration", "焚烧", "焚烧厂", "焚烧发电厂", "垃圾焚烧发电厂", "生活垃圾焚烧发电厂",
                    "垃圾焚烧厂", "焚烧发电"),
    "landfill": ("landfill", "填埋", "填埋场", "卫生填埋场", "垃圾填埋场", "生活垃圾填埋场"),
    "composting": ("composting", "compost", "堆肥", "堆肥厂", "餐厨", "厨余", "厨余垃圾处理厂", "餐厨垃圾处理厂", "有机垃圾处理"),
    "other": ("other", "其他", "其它", "综合处理", "综合处理厂", "资源化利用"),
}
YES_WORDS = ("yes", "y", "true", "1", "是", "有", "√", "✓", "已纳入", "已配套", "配套")
NO_WORDS = ("no", "n", "false", "0", "否", "无", "×", "✗", "未纳入", "未配套")
#: Blank cells here: the reader's blank texts, but 无 is an answer in these columns (no / none).
_BLANK = ("", "<na>", *(t for t in BLANK_TEXTS if t != "无"))


def _text(raw: pd.Series) -> pd.Series:
    """Cell texts, trimmed, lower case, full-width digits and letters made half-width."""
    return raw.astype("string").str.translate(_HALFWIDTH).str.strip().str.lower().fillna("")


def _codes(raw: pd.Series, words: Mapping[str, tuple[str, ...]], *, blank_value: str | None, what: str,
           rows: pd.Series, file: str, label: str | None, column: str) -> pd.Series:
    """The code of every cell; unknown words are an error naming the rows."""
    lookup = {w.lower(): code for code, ws in words.items() for w in ws}
    text = _text(raw)
    codes = text.map(lookup).astype(object)
    blank = text.isin(_BLANK).to_numpy() & codes.isna().to_numpy()  # "none" is a status, not a blank
    bad = codes.isna().to_numpy() & ~blank
    if bad.any():
        i = np.flatnonzero(bad)
        shown = ", ".join(sorted({repr(str(raw.iloc[k])) for k in i[:5]}))
        valid = "; ".join(f"{code}: {'/'.join(ws[:4])}" for code, ws in words.items())
        hint = f"write one of — {valid}"
        if any(_garbled(str(raw.iloc[k])) for k in i[:20]):
            hint = ("the words look garbled: the file is probably in another encoding than it was read in "
                    "(e.g. Big5: set encoding = \"big5\" in its [layers.…] section); else " + hint)
        raise DataValueError(f"unknown {what} {shown}", file=file, layer=label, column=column,
                             row=format_rows(list(rows.iloc[i])), hint=hint)
    codes[blank] = blank_value
    return codes


def _garbled(text: str) -> bool:
    """Text with characters no planner's status word holds: kana, Hangul, private use,
    replacement characters (Big5 or UTF-8 read as GBK)."""
    return any(0x3040 <= ord(c) <= 0x30FF or 0xAC00 <= ord(c) <= 0xD7AF or 0xE000 <= ord(c) <= 0xF8FF
               or c == "\ufffd" for c in text)


def _yes_no(raw: pd.Series, *, rows: pd.Series, file: str, label: str | None, column: str) -> pd.Series:
    """True / False / None (blank) from yes/no words."""
    text = _text(raw)
    yes, no = text.isin(YES_WORDS).to_numpy(), text.isin(NO_WORDS).to_numpy()
    blank = text.isin(_BLANK).to_numpy() & ~no
    bad = ~(yes | no | blank)
    if bad.any():
        i = np.flatnonzero(bad)
        raise DataValueError(f"{column} must be yes or no, found {raw.iloc[i[0]]!r}", file=file, layer=label,
                             column=column, row=format_rows(list(rows.iloc[i])),
                             hint="write 是/否 (yes/no, 1/0); leave the cell empty when unknown")
    out = np.full(len(text), None, dtype=object)
    out[yes], out[no] = True, False
    return pd.Series(out, index=raw.index)


def _rate(raw: pd.Series, *, rows: pd.Series, file: str, label: str | None, column: str) -> pd.Series:
    """A share 0–1 from ``0.85`` or ``85%`` (NaN blank); other numbers are an error."""
    text = _text(raw).str.replace(",", "", regex=False)
    pct = text.str.endswith("%").to_numpy()
    num = pd.to_numeric(text.str.rstrip("%").str.strip().where(~text.isin(_BLANK)), errors="coerce").to_numpy(float)
    num = np.where(pct, num / 100.0, num)
    blank = text.isin(_BLANK).to_numpy()
    bad = ~blank & (np.isnan(num) | (num < 0) | (num > 1))
    if bad.any():
        i = np.flatnonzero(bad)
        raise DataValueError(f"{column} must be a share from 0 to 1 or a percentage, found {raw.iloc[i[0]]!r}",
                             file=file, layer=label, column=column, row=format_rows(list(rows.iloc[i])),
                             hint="write 0.85 or 85% (leave the cell empty when unknown)")
    return pd.Series(num, index=raw.index)


def check_status_columns(out: pd.DataFrame, spec: LayerSpec, *, file: str, label: str | None,
                         src: Callable[[str], str]) -> pd.DataFrame:
    """Read the baseline columns of a layer into codes (see the module docstring)."""
    rows = out["_row"]
    kw: dict[str, Any] = {"rows": rows, "file": file, "label": label}
    if "sewage_status" in out.columns:
        out["sewage_status"] = _codes(out["sewage_status"], SEWAGE_STATUS_WORDS, blank_value=None,
                                      what="sewage status", column=src("sewage_status"), **kw)
        blank = out["sewage_status"].isna().to_numpy()
        if blank.any():
            _warn(f"{file}: sewage_status ({src('sewage_status')}) is blank in {int(blank.sum())} row(s) (rows "
                  f"{format_rows(list(rows.iloc[np.flatnonzero(blank)]))}): counted as untreated today")
    if "village_class" in out.columns:
        out["village_class"] = _codes(out["village_class"], VILLAGE_CLASS_WORDS, blank_value="other",
                                      what="village class", column=src("village_class"), **kw)
    if "water_class" in out.columns and spec.kind == "water":
        out["water_class"] = _codes(out["water_class"], WATER_CLASS_WORDS, blank_value=None,
                                    what="water class (GB 3838 I–V)", column=src("water_class"), **kw)
    if "kind" in out.columns and spec.kind == "waste_facilities":
        out["kind"] = _codes(out["kind"], WASTE_FACILITY_KIND_WORDS, blank_value=None, what="facility kind",
                             column=src("kind"), **kw)
    if "status" in out.columns and spec.kind in ("sewage_plants", "transfer_stations", "waste_facilities"):
        codes = _codes(out["status"], FACILITY_STATUS_WORDS, blank_value="running", what="facility status",
                       column=src("status"), **kw)
        blank = _text(out["status"]).isin(_BLANK).to_numpy()
        if blank.any():
            _warn(f"{file}: status ({src('status')}) is blank in {int(blank.sum())} row(s) (rows "
                  f"{format_rows(list(rows.iloc[np.flatnonzero(blank)]))}): taken as running")
        out["status"] = codes
    if "sewage_facility_id" in out.columns:
        ids = _id_strings(out["sewage_facility_id"])
        out["sewage_facility_id"] = ids.where(~_text(ids).isin(_BLANK), None)
    for col in ("waste_collected", "manure_facility"):
        if col in out.columns:
            out[col] = _yes_no(out[col], column=src(col), **kw)
    if "utilization_rate" in out.columns:
        out["utilization_rate"] = _rate(out["utilization_rate"], column=src("utilization_rate"), **kw)
    if {"manure_utilized_t", "manure_produced_t"} <= set(out.columns):
        used, made = out["manure_utilized_t"].to_numpy(float), out["manure_produced_t"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = np.where(made > 0, used / made, np.nan)
        over = derived > 1
        if over.any():
            raise DataValueError("manure utilised exceeds manure produced", file=file, layer=label,
                                 column=src("manure_utilized_t"), row=format_rows(list(rows.iloc[np.flatnonzero(over)])),
                                 hint="check both columns (tonnes per year)")
        rate = (out["utilization_rate"].to_numpy(float) if "utilization_rate" in out.columns
                else np.full(len(out), np.nan))
        out["utilization_rate"] = np.where(np.isnan(rate), derived, rate)
    if {"sanitary_toilet_households", "households"} <= set(out.columns):
        toilets, hh = out["sanitary_toilet_households"].to_numpy(float), out["households"].to_numpy(float)
        over = toilets > hh
        if over.any():
            i = np.flatnonzero(over)
            raise DataValueError(
                f"sanitary toilet households ({toilets[i[0]]:g}) exceed households ({hh[i[0]]:g})",
                file=file, layer=label, column=src("sanitary_toilet_households"), row=format_rows(list(rows.iloc[i])),
                hint="check both columns: sanitary toilet households can be at most the village's households")
    return out


def status_codes(values: pd.Series, what: str, *, layer: str, column: str) -> pd.Series:
    """Codes of a status column an analyst set in a GeoDataFrame (codes pass through,
    words are read as the reader reads them): ``what`` is ``"sewage"`` or ``"facility"``."""
    words = SEWAGE_STATUS_WORDS if what == "sewage" else FACILITY_STATUS_WORDS
    rows = pd.Series(np.arange(len(values)) + 1, index=values.index)
    return _codes(values, words, blank_value=None if what == "sewage" else "running",
                  what=f"{what} status", rows=rows, file=layer, label=layer, column=column)


def village_class_codes(values: pd.Series, *, layer: str = "villages", column: str = "village_class") -> pd.Series:
    """Codes of a ``village_class`` column an analyst set in a GeoDataFrame (codes pass
    through, words are read as the reader reads them; blank: ``other``)."""
    rows = pd.Series(np.arange(len(values)) + 1, index=values.index)
    return _codes(values, VILLAGE_CLASS_WORDS, blank_value="other", what="village class", rows=rows,
                  file=layer, label=layer, column=column)


def water_class_codes(values: pd.Series, *, layer: str = "water", column: str = "water_class") -> pd.Series:
    """Codes ``I``–``V`` of a ``water_class`` column an analyst set in a GeoDataFrame (codes
    pass through, words are read as the reader reads them; blank: None, unclassified)."""
    rows = pd.Series(np.arange(len(values)) + 1, index=values.index)
    return _codes(values, WATER_CLASS_WORDS, blank_value=None, what="water class (GB 3838 I–V)", rows=rows,
                  file=layer, label=layer, column=column)
