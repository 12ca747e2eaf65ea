"""Popups and tooltips of the map: every column of a layer as display text, in one language.

A layer's popup table is a list of fields, one per column (``name``, ``township``, ``id``,
``population`` and ``households`` first); each holds its escaped label and either its
values' text or, when few values repeat often, a dictionary of texts and a code per row.

With the status baseline, :func:`indicator_panel` gives the villages' popups a table of
their township's assessment indicators (baseline, planned, target).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._choices import INDICATORS
from ..labels import CODED_COLUMNS, label, value_label
from .html import esc, esc_series

__all__ = ["format_column", "popup_fields", "field_index", "indicator_panel"]

#: Columns shown as paragraphs in popups.
_LONG = {"sewage_reason", "toilet_suggestion", "issues"}
#: Columns never shown in popups.
_HIDDEN = {"geometry", "anchor_x", "anchor_y"}
#: Columns shown first, in this order.
_FIRST = ("name", "township", "id", "population", "households")


def _decimals(col: str) -> int:
    if col.endswith(("_m3_per_day", "_km", "_ratio")) or col in ("load_ratio",):
        return 2 if col.endswith("_ratio") else 1
    if col.endswith(("_m", "_yuan_per_year", "_yuan", "_mu", "_kg_per_year", "population",
                     "households", "head", "pig_equivalents")):
        return 0
    return 2


def format_column(values: pd.Series, col: str, lang: str) -> list[str]:
    """Display text of a column's values (escaped), in ``lang``.

    Booleans become yes/no, codes their labels, numbers get thousands separators and the
    decimals their unit suggests (m → 0, m³/d → 1, rates as %); missing values are ``""``.
    """
    s = pd.Series(values).reset_index(drop=True)
    if s.dtype == bool or (s.dtype == object and s.dropna().map(type).isin([bool, np.bool_]).all()
                           and s.notna().any()):
        yes, no = esc(label("yes", lang)), esc(label("no", lang))
        return [("" if pd.isna(v) else (yes if bool(v) else no)) for v in s]
    if pd.api.types.is_numeric_dtype(s.dtype):
        x = s.astype(float)
        if col.endswith(("_rate", "_share")) or col.startswith("coverage_rate"):
            text = x.map(lambda v: f"{v * 100:.1f}%")
        else:
            d = _decimals(col)
            if d == 2 and np.allclose(x.dropna(), np.round(x.dropna())):
                d = 0
            text = x.map(lambda v: f"{v:,.{d}f}")
        out = text.where(x.notna(), "").to_list()
        return out
    if col in CODED_COLUMNS:
        mapped = s.map(lambda v: v if pd.isna(v) else value_label(col, v, lang))
        return esc_series(mapped)
    return esc_series(s)


def popup_fields(df: pd.DataFrame, lang: str, *, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The popup table of ``df``: one field per shown column (all of them, or ``columns``)."""
    cols = [c for c in _FIRST if c in df.columns]
    cols += [c for c in (columns if columns is not None else df.columns)
             if c not in cols and c not in _HIDDEN and c != df.geometry.name
             and c in df.columns]
    fields = []
    for c in cols:
        vals = format_column(df[c], c, lang)
        if c == "station_distance_m" and "waste_covered" in df.columns:
            unreach = esc(label("unreachable", lang))
            isna = df[c].isna().to_numpy()
            vals = [unreach if m else v for v, m in zip(vals, isna)]
        f: dict[str, Any] = {"key": esc(c), "label": esc(label(c, lang))}
        uniq = pd.unique(pd.Series(vals, dtype=object))
        if len(vals) > 8 and len(uniq) * 4 < len(vals):
            codes = pd.Categorical(vals, categories=uniq).codes
            f["dict"], f["codes"] = list(uniq), codes.tolist()
        else:
            f["values"] = vals
        if c in _LONG:
            f["long"] = True
        fields.append(f)
    return fields


def field_index(fields: list[dict[str, Any]], *keys: str) -> list[int]:
    """Positions of the columns ``keys`` among ``fields`` (those present, in ``keys`` order)."""
    pos = {f["key"]: i for i, f in enumerate(fields)}
    return [pos[esc(k)] for k in keys if esc(k) in pos]


def _percent(values: pd.Series) -> list[str]:
    """Shares (0–1) as ``"40.0%"``; missing or not assessed: ``"—"``."""
    x = pd.to_numeric(values, errors="coerce").astype(float)
    return x.map(lambda v: f"{v * 100:.1f}%").where(x.notna(), "—").to_list()


def indicator_panel(table: Any, meta: Any, townships: pd.Series, lang: str) -> dict[str, Any] | None:
    """The indicator panel of the villages' popups, or None without indicators.

    ``table`` is ``plan.tables["indicators"]`` (one row per township and ``"total"``;
    ``<id>.baseline`` and ``<id>.planned`` shares 0–1, NaN not assessed), ``meta``
    ``plan.summary["indicators"]`` (the targets), ``townships`` the villages' township in
    map order.  The panel holds escaped text only: ``title``, ``head`` (indicator, baseline,
    planned, target), ``rows`` (per township row: one ``[label, baseline, planned, target]``
    per indicator), ``names`` (per row: the township) and ``codes`` (per village: its
    township's row, -1 when it has none).
    """
    if not isinstance(table, pd.DataFrame) or "township" not in table.columns or not len(table):
        return None
    ids = [i for i in INDICATORS if f"{i}.baseline" in table.columns and f"{i}.planned" in table.columns]
    if not ids:
        return None
    meta = meta if isinstance(meta, dict) else {}
    t = table.reset_index(drop=True)
    cells = []
    for ind in ids:
        target = (meta.get(ind) or {}).get("target")
        cells.append((esc(label(ind, lang)), _percent(t[f"{ind}.baseline"]), _percent(t[f"{ind}.planned"]),
                      _percent(pd.Series([target], dtype=float))[0]))
    rows = [[[name, b[r], p[r], target] for name, b, p, target in cells] for r in range(len(t))]
    pos = pd.Series(np.arange(len(t)), index=t["township"].astype(object))
    pos = pos[(pos.index != "total") & ~pos.index.duplicated()]
    codes = pos.reindex(pd.Series(townships, dtype=object).to_numpy()).fillna(-1).astype(np.int64)
    names = [esc(label("total", lang)) if n == "total" else esc(n) for n in t["township"]]
    return {"title": esc(label("indicator_panel", lang)),
            "head": [esc(label(k, lang)) for k in ("indicator", "baseline", "planned", "target")],
            "names": names, "rows": rows, "codes": codes.tolist()}
