"""``compare.xlsx``: two plans of one district side by side (:func:`write_compare_report`).

Sheets, in order (titles in the comparison's language):

* 方案对比 (``compare_totals``) — villages per mode, capex (万元), O&M (万元/年) and the
  annualised cost of plan A, plan B and B − A;
* 村庄差异 (``compare_villages``) — the villages whose decision changed (or that are in one
  plan only): what changed, both modes, both reason sentences, both capex and O&M, both
  phases when phased;
* 分期对比 (``compare_indicators``) — each assessment indicator at the baseline, after each
  phase and at the end, in A and B, and the difference (rates as %);
* 乡镇对比 (``compare_townships``) — per township and in total: villages changed, capex and
  O&M of A, B and B − A, villages per mode in each plan;
* 分期投资对比 (``compare_phases``), when either plan is phased — per phase: end year, budget,
  villages built, capex and O&M of A, B and B − A.

The header style, number formats and the text-stays-text rule are ``report.xlsx``'s
(:mod:`geo_env.outputs.report`); the headings of a plan's columns carry the scenario's name
(``A：总投资（万元）``).  Codes are shown by their labels.

:func:`comparison_html` is the comparison's summary for Jupyter (escaped).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..io import writers as _io
from ..labels import display_width, label, value_label
from .html import esc
from .report import _sheet_title, _text_cell, _write_sheet

if TYPE_CHECKING:
    from ..comparison import Comparison

__all__ = ["compare_sheets", "write_compare_report", "comparison_html", "heading", "change_text"]

#: The suffixes of a plan's columns: plan A, plan B, B − A.
_SUFFIXES = ("_a", "_b", "_delta")


def heading(col: str, names: tuple[str, str], lang: str) -> str:
    """The heading of a column: ``A：总投资（万元）`` for ``capex_wan_a``, ``B−A：…`` for
    ``…_delta``; the column's label otherwise."""
    colon = "：" if lang == "zh" else ": "
    for k, suffix in enumerate(_SUFFIXES):
        if col.endswith(suffix) and col != suffix.lstrip("_"):
            base = col[: -len(suffix)]
            who = names[k] if k < 2 else f"{names[1]}−{names[0]}"
            return f"{who}{colon}{label(base, lang)}"
    if col in ("a", "b"):
        return names[0 if col == "a" else 1]
    if col == "delta":
        return f"{label('delta', lang)}（{names[1]}−{names[0]}）" if lang == "zh" else \
            f"{label('delta', lang)} ({names[1]} − {names[0]})"
    return label(col, lang)


def change_text(codes: str, names: tuple[str, str], lang: str) -> str:
    """The change codes of a village (``"mode,phase"``) as words (``治理模式、实施期``)."""
    words = [label(f"change.{c}", lang).format(a=names[0], b=names[1]) for c in str(codes).split(",") if c]
    return ("、" if lang == "zh" else ", ").join(words)


def _mode_words(values: pd.Series, lang: str) -> pd.Series:
    return values.map(lambda m: m if pd.isna(m) else value_label("sewage_mode", m, lang))


def compare_sheets(cmp: Comparison, lang: str) -> dict[str, pd.DataFrame]:
    """The workbook's tables by sheet key, in order (column names are codes; codes in the
    cells already turned into words)."""
    totals = cmp.totals.reset_index()
    totals["item"] = [label(k, lang) for k in totals["item"]]
    villages = cmp.villages.copy()
    villages["change"] = [change_text(c, cmp.names, lang) for c in villages["change"]]
    for col in ("mode_a", "mode_b"):
        villages[col] = _mode_words(villages[col], lang)
    ind = cmp.indicators
    stage = [label(f"stage.{s}", lang) if s != "phase" else str(p) for s, p in zip(ind["stage"], ind["phase"])]
    indicators = pd.DataFrame({"indicator": [label(i, lang) for i in ind["indicator"]], "stage": stage,
                               "rate_a": ind["rate_a"], "rate_b": ind["rate_b"], "rate_delta": ind["rate_delta"]})
    sheets = {"compare_totals": totals, "compare_villages": villages, "compare_indicators": indicators,
              "compare_townships": cmp.by_township}
    if len(cmp.phases):
        phases = cmp.phases.copy()
        for col in ("end_year_a", "end_year_b"):  # a year, not a quantity: 2027, not 2,027
            phases[col] = [None if pd.isna(y) else str(int(y)) for y in phases[col]]
        sheets["compare_phases"] = phases
    return sheets


def _headings(ws: Any, cols: list[str], names: tuple[str, str], lang: str) -> None:
    """Replace the header row's labels by the comparison's headings; widen to fit."""
    from openpyxl.utils import get_column_letter

    for j, col in enumerate(cols, start=1):
        text = heading(col, names, lang)
        _text_cell(ws, 1, j, text)  # keeps the header style; a name such as "=1+1" stays text
        dim = ws.column_dimensions[get_column_letter(j)]
        dim.width = max(dim.width or 8, min(display_width(text) + 2, 30))


def write_compare_report(cmp: Comparison, path: str | Path, *, lang: str | None = None) -> Path:
    """Write ``compare.xlsx`` atomically; return its path.

    Parameters
    ----------
    cmp
        The comparison (:func:`geo_env.compare`).
    path
        Target file.
    lang
        ``"zh"`` or ``"en"`` headings and labels; default: the comparison's language.
    """
    from openpyxl import Workbook

    lang = lang or cmp.lang
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for key, df in compare_sheets(cmp, lang).items():
        title = _sheet_title(key, lang, used)
        _write_sheet(wb, title, df, lang)
        _headings(wb[title], [str(c) for c in df.columns], cmp.names, lang)
    wb.properties.title = f"{cmp.plan_a.district.name}: {cmp.names[0]} / {cmp.names[1]}"
    wb.properties.creator = "geo_env"
    with _io.atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def comparison_html(cmp: Comparison, *, rows: int = 20) -> str:
    """The comparison in a notebook: headline, totals and the first ``rows`` changed
    villages, every text escaped."""
    lang = cmp.lang
    totals = cmp.totals.copy()
    totals.index = [label(k, lang) for k in totals.index]
    totals.columns = [heading(c, cmp.names, lang) for c in totals.columns]
    villages = compare_sheets(cmp, lang)["compare_villages"].head(rows)
    villages = villages.drop(columns=[c for c in ("reason_a", "reason_b") if c in villages.columns])
    villages.columns = [heading(c, cmp.names, lang) for c in villages.columns]
    head = (f"{cmp.plan_a.district.name} · {label('compare', lang)}：{cmp.names[0]} → {cmp.names[1]}，"
            f"{label('villages_changed', lang)} {len(cmp.villages)}") if lang == "zh" else \
        (f"{cmp.plan_a.district.name} · {label('compare', lang)}: {cmp.names[0]} → {cmp.names[1]}, "
         f"{label('villages_changed', lang)}: {len(cmp.villages)}")
    return (f"<div><p><b>{esc(head)}</b></p>"
            f"{totals.to_html(escape=True, float_format=lambda x: f'{x:,.2f}')}"
            f"{villages.to_html(escape=True, index=False, na_rep='', float_format=lambda x: f'{x:,.2f}')}</div>")
