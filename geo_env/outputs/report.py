"""``report.xlsx``: the township assessment table (督查考核表) and the detail sheets.

Sheets, each only when the plan holds what it shows:

* township summary — per township and in total: villages, population, households;
  with waste coverage: covered villages and population, both coverage rates, villages
  with no road path; with sewage modes: villages per mode; with the livestock check:
  farms, farms with an issue, pig equivalents;
* with the status baseline (``plan.tables["indicators"]`` and ``["existing_facilities"]``),
  right after the summary (and its warnings): the assessment indicators (考核指标: a target
  row, one row per township, the total, baseline and planned share of every indicator,
  cells below their target in light red, one note per indicator with its definition and
  the source of its target) and the existing facilities (现状设施; statuses by their
  labels, the rows to rectify highlighted);
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

from .._choices import INDICATORS, SEWAGE_MODES
from ..analysis.baseline import facility_townships
from ..io import writers as _io
from ..labels import CODED_COLUMNS, display_width, label, value_label
from .style import BELOW_TARGET_FILL, HEADER_FILL, HEADER_TEXT, RECTIFY_FILL, RULE_LINE, WARNING_RED, excel_rgb

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
    return pd.Series(facility_townships(farms, villages), index=farms.index, name="township")


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
    for key in _BASELINE_SHEETS:  # the status baseline, laid out by write_report
        table = plan.tables.get(key)
        if isinstance(table, pd.DataFrame):
            sheets[key] = table.reset_index(drop=True)
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


#: The sheets of the status baseline (issue 13), after the summary, in this order.
_BASELINE_SHEETS = ("indicators", "existing_facilities")


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
    if col.split(".")[0] in INDICATORS:  # "<indicator>.baseline", "<indicator>.planned": shares
        return "0.0%"
    if "rate" in col or "utilisation" in col or col.endswith("_share") or col.endswith("_ratio"):
        return "0.00" if col.endswith("_ratio") else "0.0%"
    if col in ("lon", "lat"):
        return "0.000000"
    if col == "year_built":
        return "0"
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


# --------------------------------------------------------------------------------------
# the status baseline: indicators and existing facilities
# --------------------------------------------------------------------------------------
def _fill_rows(ws: Any, rows: np.ndarray, ncols: int) -> None:
    """Fill the data rows ``rows`` (True per table row) of a sheet with :data:`RECTIFY_FILL`."""
    from openpyxl.styles import PatternFill

    fill = PatternFill("solid", fgColor=excel_rgb(RECTIFY_FILL))
    for i in np.flatnonzero(rows):
        for j in range(1, ncols + 1):
            ws.cell(row=int(i) + 2, column=j).fill = fill


def _text_cell(ws: Any, row: int, col: int, text: str) -> Any:
    """A cell that holds ``text`` as text (never a formula, even after an edit)."""
    cell = ws.cell(row=row, column=col, value=text)
    cell.data_type = "s"
    if text[:1] in _FORMULA_START:
        cell.quotePrefix = True
    return cell


def _indicator_ids(table: pd.DataFrame) -> list[str]:
    """The indicators of ``table`` (those with both columns), in :data:`INDICATORS` order."""
    return [i for i in INDICATORS if f"{i}.baseline" in table.columns and f"{i}.planned" in table.columns]


def _target(meta: dict[str, Any], ind: str) -> float | None:
    t = (meta.get(ind) or {}).get("target")
    return float(t) if t is not None and np.isfinite(float(t)) else None


def _target_row_title(meta: dict[str, Any], ids: list[str], lang: str) -> tuple[str, bool]:
    """The target row's first cell, and whether each target cell names its own year (the
    indicators' target years differ)."""
    years = {int(y) for i in ids if (y := (meta.get(i) or {}).get("target_year")) is not None}
    if len(years) == 1:
        return label("target_of_year", lang).format(year=next(iter(years))), False
    return label("target", lang), len(years) > 1


def _indicator_header(ws: Any, ids: list[str], lang: str) -> list[int]:
    """Header row; returns the column widths."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    heads = [label("township", lang)] + [f"{label(i, lang)}·{label(part, lang)}"
                                          for i in ids for part in ("baseline", "planned")]
    font = Font(bold=True, color=excel_rgb(HEADER_TEXT))
    fill = PatternFill("solid", fgColor=excel_rgb(HEADER_FILL))
    for j, text in enumerate(heads, start=1):
        cell = _text_cell(ws, 1, j, text)
        cell.font, cell.fill = font, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=Side(style="thin", color=excel_rgb(RULE_LINE)))
    return [display_width(label("township", lang))] + [14] * (2 * len(ids))


def _indicator_targets(ws: Any, ids: list[str], meta: dict[str, Any], lang: str) -> None:
    """Row 2: each indicator's target over its two columns (with its year when years differ)."""
    from openpyxl.styles import Alignment, Font

    title, own_year = _target_row_title(meta, ids, lang)
    _text_cell(ws, 2, 1, title).font = Font(bold=True)
    for k, ind in enumerate(ids):
        col = 2 + 2 * k
        target = _target(meta, ind)
        if target is None:
            cell = _text_cell(ws, 2, col, "—")
        else:
            cell = ws.cell(row=2, column=col, value=target)
            year = (meta.get(ind) or {}).get("target_year")
            cell.number_format = (f'0.0%"（{int(year)}年）"' if lang == "zh" else f'0.0%" ({int(year)})"') \
                if own_year and year is not None else "0.0%"
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + 1)


def _indicator_values(ws: Any, table: pd.DataFrame, ids: list[str], meta: dict[str, Any], lang: str) -> int:
    """The township rows and the total row from row 3; returns the last row written."""
    from openpyxl.styles import Border, Font, PatternFill, Side

    red = PatternFill("solid", fgColor=excel_rgb(BELOW_TARGET_FILL))
    not_assessed = label("not_assessed", lang)
    towns = table["township"].to_numpy(dtype=object)
    for i, town in enumerate(towns, start=3):
        _text_cell(ws, i, 1, label("total", lang) if town == "total" else str(town))
    for k, ind in enumerate(ids):
        target = _target(meta, ind)
        for m, part in enumerate(("baseline", "planned")):
            col = 2 + 2 * k + m
            values = pd.to_numeric(table[f"{ind}.{part}"], errors="coerce").to_numpy(dtype=float)
            below = values < target if target is not None else np.zeros(len(values), dtype=bool)
            for i, (v, low) in enumerate(zip(values, below), start=3):
                if np.isfinite(v):
                    cell = ws.cell(row=i, column=col, value=float(v))
                    cell.number_format = "0.0%"
                    if low:
                        cell.fill = red
                else:
                    _text_cell(ws, i, col, not_assessed)
    last = 2 + len(towns)
    if len(towns) and towns[-1] == "total":
        for j in range(1, 2 + 2 * len(ids)):
            cell = ws.cell(row=last, column=j)
            cell.font = Font(bold=True)
            cell.border = Border(top=Side(style="thin", color=excel_rgb(RULE_LINE)))
    return last


def _indicator_notes(ws: Any, row: int, ids: list[str], meta: dict[str, Any], lang: str) -> None:
    """One note per indicator under the table: its definition and the source of its target."""
    from openpyxl.styles import Alignment

    colon, op, cl = ("：", "（", "）") if lang == "zh" else (": ", " (", ")")
    for k, ind in enumerate(ids):
        m = meta.get(ind) or {}
        text = f"{label(ind, lang)}{colon}{m.get('definition' if lang == 'zh' else 'definition_en') or ''}"
        if m.get("target_source"):
            text += f"{op}{label('target_source', lang)}{colon}{m['target_source']}{cl}"
        if m.get("not_assessed"):
            text += f"{op}{label('not_assessed', lang)}{colon}{m['not_assessed']}{cl}"
        cell = _text_cell(ws, row + k, 1, text)
        cell.alignment = Alignment(wrap_text=False, vertical="top")


def _write_indicators(wb: Any, title: str, table: pd.DataFrame, meta: dict[str, Any], lang: str) -> None:
    """The assessment indicators sheet (考核指标): header, target row, townships and total,
    then a note per indicator.  ``table`` is ``plan.tables["indicators"]`` (shares 0–1,
    NaN not assessed), ``meta`` ``plan.summary["indicators"]``."""
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ids = _indicator_ids(table)
    widths = _indicator_header(ws, ids, lang)
    _indicator_targets(ws, ids, meta, lang)
    last = _indicator_values(ws, table, ids, meta, lang)
    _indicator_notes(ws, last + 2, ids, meta, lang)
    widths[0] = max([widths[0], *(display_width(str(t)) for t in table["township"])]) if len(table) else widths[0]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(8, min(w + 2, 40))
    ws.row_dimensions[1].height = 48
    ws.freeze_panes = "B3"


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
        if key == "indicators":
            _write_indicators(wb, titles[key], df, plan.summary.get("indicators") or {}, lang)
            continue
        _write_sheet(wb, titles[key], df, lang)
        if key == "existing_facilities" and "rectify" in df.columns:
            _fill_rows(wb[titles[key]], df["rectify"].fillna(False).astype(bool).to_numpy(), len(df.columns))
    if "warnings" in sheets:
        _red_notes(wb, titles, len(sheets["warnings"]), lang)
    wb.properties.title = f"{plan.district.name}"
    wb.properties.creator = "geo_env"
    with _io.atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)
