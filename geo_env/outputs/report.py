"""``report.xlsx``: the township assessment table (督查考核表) and the detail sheets.

Sheets, each only when the plan holds what it shows:

* township summary — per township and in total: villages, population, households;
  with waste coverage: covered villages and population, both coverage rates, villages
  with no road path; with sewage modes: villages per mode; with the livestock check:
  farms, farms with an issue, pig equivalents;
* villages — every village column (codes as labels, booleans as yes/no);
* proposed stations, livestock farms — with longitude/latitude (WGS84) and x/y (working
  CRS, m);
* the analyses' own tables (``plan.tables``);
* parameters — every parameter used, its value, default, unit and source.

Headers are labels in the plan's language (:func:`geo_env.labels.label`); the header row
is frozen and filtered, columns get widths and number formats (rates as %, metres and
yuan with thousands separators).  Text cells are always stored as text, so a value such as
``=HYPERLINK(…)`` is never turned into a formula.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._choices import SEWAGE_MODES
from ..io import writers as _io
from ..labels import CODED_COLUMNS, display_width, label, value_label
from .style import HEADER_FILL, HEADER_TEXT, RULE_LINE, WARNING_RED, excel_rgb

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["township_summary", "report_sheets", "write_report", "parameters_table"]

log = logging.getLogger(__name__)

_DROP = {"anchor_x", "anchor_y", "geometry"}


# --------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------
def _farm_townships(farms: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> pd.Series:
    """Township of each farm: its own ``township`` column, else the village it lies in,
    else the nearest village (working CRS)."""
    if "township" in farms.columns:
        return farms["township"]
    pts = farms[[farms.geometry.name]]
    joined = gpd.sjoin_nearest(pts, villages[["township", villages.geometry.name]], how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["township"].reindex(farms.index)


def township_summary(plan: Plan) -> pd.DataFrame:
    """The township assessment table (督查考核表), with a total row labelled ``"total"``.

    Columns (codes; labels come with :func:`geo_env.labels.label`): ``township
    villages_count population households``; with waste coverage ``covered_villages
    coverage_rate_villages covered_population coverage_rate_population
    unreachable_villages``; with sewage modes ``villages_<mode>`` per mode; with the
    livestock check ``farms farms_with_issues pig_equivalents``.  Rates are fractions
    (0–1) of villages and of population.
    """
    v = plan.villages
    g = v.groupby("township", sort=True)
    out = pd.DataFrame({
        "villages_count": g.size(),
        "population": g["population"].sum(),
        "households": g["households"].sum(),
    })
    if "waste_covered" in v.columns:
        cov = v["waste_covered"].fillna(False).astype(bool)
        out["covered_villages"] = cov.groupby(v["township"]).sum()
        out["covered_population"] = v["population"].where(cov, 0).groupby(v["township"]).sum()
        # the coverage analysis' own flag (no road to any station): a district without
        # stations has no distances, but nothing is "unreachable" there
        unreach = (v["waste_unreachable"].fillna(False).astype(bool) if "waste_unreachable" in v.columns
                   else pd.Series(False, index=v.index))
        out["unreachable_villages"] = unreach.groupby(v["township"]).sum()
    if "sewage_mode" in v.columns:
        for mode in SEWAGE_MODES:
            out[f"villages_{mode}"] = (v["sewage_mode"] == mode).groupby(v["township"]).sum()
    farms = plan.layers.get("livestock_farms")
    if farms is not None and len(farms) and "setback_ok" in farms.columns:
        town = _farm_townships(farms, v)
        out["farms"] = town.value_counts()
        out["farms_with_issues"] = (~farms["setback_ok"].fillna(True).astype(bool)).groupby(town).sum()
        if "pig_equivalents" in farms.columns:
            out["pig_equivalents"] = farms["pig_equivalents"].groupby(town).sum()
    out = out.fillna(0)
    total = out.sum(numeric_only=True)
    out.loc["total"] = total
    if "covered_villages" in out.columns:
        out.insert(out.columns.get_loc("covered_villages") + 1, "coverage_rate_villages",
                   out["covered_villages"] / out["villages_count"])
        pop = out["population"].where(out["population"] > 0)
        out.insert(out.columns.get_loc("covered_population") + 1, "coverage_rate_population",
                   out["covered_population"] / pop)
    out.index.name = "township"
    return out.reset_index()


def parameters_table(plan: Plan) -> pd.DataFrame:
    """Every parameter the plan used: section, name, label, value, default, unit, source."""
    from ..standards import PARAMETERS

    rows = []
    for section, values in plan.district.params.items():
        for name, value in values.items():
            if name.startswith("_"):  # bookkeeping (which targets the project set itself)
                continue
            p = PARAMETERS.get((section, name))
            rows.append({
                "section": section,
                "parameter": name,
                "parameter_label": p.label_zh if p is not None else "",
                "value": _cell_text(value),
                "default": _cell_text(p.default) if p is not None else "",
                "unit": p.unit if p is not None else "",
                "source": p.source if p is not None else "project file",
            })
    return pd.DataFrame(rows, columns=["section", "parameter", "parameter_label", "value",
                                       "default", "unit", "source"])


def _cell_text(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return value


def _attributes(gdf: gpd.GeoDataFrame, crs_lonlat: bool = True) -> pd.DataFrame:
    """Attribute table of a point layer, with lon/lat (WGS84) and x/y (working CRS)."""
    df = pd.DataFrame(gdf.drop(columns=[c for c in _DROP | {gdf.geometry.name} if c in gdf.columns]))
    pts = gdf.geometry.representative_point()
    df["x_m"], df["y_m"] = pts.x.to_numpy(), pts.y.to_numpy()
    if crs_lonlat and gdf.crs is not None:
        ll = pts.to_crs(4326)
        df["lon"], df["lat"] = ll.x.round(6).to_numpy(), ll.y.round(6).to_numpy()
    return df


def report_sheets(plan: Plan) -> dict[str, pd.DataFrame]:
    """The report's tables by sheet key, in order (column names are codes)."""
    sheets: dict[str, pd.DataFrame] = {"township_summary": township_summary(plan)}
    warnings = plan.summary.get("warnings") or []
    if warnings:  # right after the summary, in red (see write_report)
        sheets["warnings"] = pd.DataFrame({"warning": [str(w) for w in warnings]})
    v = plan.villages
    sheets["villages"] = pd.DataFrame(v.drop(columns=[c for c in _DROP | {v.geometry.name}
                                                      if c in v.columns]))
    proposed = plan.layers.get("proposed_transfer_stations")
    if proposed is not None:  # present (possibly empty: no station needed) whenever siting ran
        sheets["proposed_transfer_stations"] = _attributes(proposed)
    farms = plan.layers.get("livestock_farms")
    if farms is not None and len(farms):
        sheets["livestock_farms"] = _attributes(farms)
    for key, table in plan.tables.items():
        if key not in sheets and isinstance(table, pd.DataFrame):
            t = table.drop(columns=[c for c in ("geometry",) if c in table.columns])
            sheets[key] = pd.DataFrame(t).reset_index(drop=not _named_index(t))
    sheets["parameters"] = parameters_table(plan)
    return sheets


def _named_index(df: pd.DataFrame) -> bool:
    return any(n is not None for n in df.index.names)


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------
def _sheet_title(key: str, lang: str, used: set[str]) -> str:
    text = label(f"sheet.{key}", lang)
    if text == f"sheet.{key}":
        text = label(key, lang)
    text = re.sub(r"[\[\]:*?/\\]", "_", text)[:31] or "sheet"
    base, n = text, 2
    while text.lower() in used:
        suffix = f" ({n})"
        text = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(text.lower())
    return text


def _number_format(col: str, series: pd.Series) -> str | None:
    if not pd.api.types.is_numeric_dtype(series.dtype) or series.dtype == bool:
        return None
    if "rate" in col or col.endswith("_share") or col.endswith("_ratio"):
        return "0.0%" if "rate" in col or col.endswith("_share") else "0.00"
    if col in ("lon", "lat"):
        return "0.000000"
    if col.endswith(("_m3_per_day",)):
        return "#,##0.0"
    if pd.api.types.is_integer_dtype(series.dtype) or col.endswith(
            ("_m", "_yuan_per_year", "_yuan", "population", "households", "head", "_count")):
        return "#,##0"
    finite = series.dropna()
    if len(finite) and np.allclose(finite, np.round(finite)):
        return "#,##0"
    return "#,##0.00"


#: First characters that make Excel read typed text as a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell_value(v: Any, col: str, lang: str) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return label("yes" if v else "no", lang)
    if isinstance(v, (int, np.integer)):  # (object arrays hold Python ints)
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, str):
        if col in CODED_COLUMNS:
            return value_label(col, v, lang)
        if col == "township" and v == "total":
            return label("total", lang)
        return v
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def _write_sheet(wb: Any, title: str, df: pd.DataFrame, lang: str) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    head_font = Font(bold=True, color=excel_rgb(HEADER_TEXT))
    head_fill = PatternFill("solid", fgColor=excel_rgb(HEADER_FILL))
    thin = Side(style="thin", color=excel_rgb(RULE_LINE))
    cols = [str(c) for c in df.columns]
    for j, col in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=j, value=label(col, lang))
        cell.data_type = "s"
        cell.font, cell.fill = head_font, head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=thin)
    widths = [display_width(label(c, lang)) for c in cols]
    formats = [_number_format(c, df[c]) for c in df.columns]
    values = df.to_numpy(dtype=object)
    total_row = None
    for i, row in enumerate(values, start=2):
        for j, (col, v) in enumerate(zip(cols, row), start=1):
            value = _cell_value(v, col, lang)
            cell = ws.cell(row=i, column=j, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text: "=…" is never a formula
                if value[:1] in _FORMULA_START:
                    # and stays text even when a user edits the cell (F2, Enter)
                    cell.quotePrefix = True
                widths[j - 1] = max(widths[j - 1], min(display_width(value), 60))
            elif value is not None:
                if formats[j - 1]:
                    cell.number_format = formats[j - 1]
                widths[j - 1] = max(widths[j - 1], len(f"{value:,.2f}") if isinstance(value, float)
                                    else len(str(value)))
        if cols and cols[0] == "township" and row[0] == "total":
            total_row = i
    if total_row is not None:
        for j in range(1, len(cols) + 1):
            ws.cell(row=total_row, column=j).font = Font(bold=True)
            ws.cell(row=total_row, column=j).border = Border(top=thin)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(8, min(w + 2, 62))
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"
    if len(df) and cols:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(df) + 1}"


def _red_notes(wb: Any, titles: dict[str, str], n: int, lang: str) -> None:
    """The warnings sheet in red, and a red note under the township summary pointing to it."""
    from openpyxl.styles import Alignment, Font

    red_rgb = excel_rgb(WARNING_RED)
    red = Font(bold=True, color=red_rgb)
    ws = wb[titles["warnings"]]
    ws.sheet_properties.tabColor = red_rgb
    ws.column_dimensions["A"].width = 120
    for row in ws.iter_rows(min_row=2, max_col=1):
        for cell in row:
            cell.font = Font(color=red_rgb)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    summary = wb[titles["township_summary"]]
    note = (f"注意：读取与分析数据时有 {n} 条警告，部分结果可能受影响，请查看“{titles['warnings']}”表。" if lang == "zh"
            else f"Note: {n} warning(s) while reading and analysing the data; some results may be "
                 f"affected. See the sheet '{titles['warnings']}'.")
    cell = summary.cell(row=summary.max_row + 2, column=1, value=note)
    cell.data_type = "s"
    cell.font = red


def write_report(plan: Plan, path: str | Path, *, lang: str | None = None) -> Path:
    """Write ``report.xlsx`` atomically; return its path.

    Parameters
    ----------
    plan
        An analysed plan; sheets appear for the analyses it holds.
    path
        Target file.
    lang
        ``"zh"`` or ``"en"`` headers and labels; default: the district's language.
    """
    from openpyxl import Workbook

    lang = lang or plan.district.lang or "zh"
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    sheets = report_sheets(plan)
    titles = {key: _sheet_title(key, lang, used) for key in sheets}
    for key, df in sheets.items():
        _write_sheet(wb, titles[key], df, lang)
    if "warnings" in sheets:
        _red_notes(wb, titles, len(sheets["warnings"]), lang)
    wb.properties.title = f"{plan.district.name}"
    wb.properties.creator = "geo_env"
    with _io.atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)
