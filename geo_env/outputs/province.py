"""The province outputs of ``geo-env batch``: tables by county and township, the province's
indicators, ``province.xlsx`` and the overview map ``province_map.html``.

Everything here reads *county records*: one dict per county, as :mod:`geo_env.batch`
makes them from each county's own output folder (its ``summary.json`` and the outline of
its villages).  The keys read here:

``folder`` (the county's output sub-folder), ``status`` (``ok`` / ``failed``), ``error``,
``rerun``, ``seconds``, ``project_name``, ``villages``, ``townships``, ``population``,
``households``, ``warnings``, ``waste`` (``coverage_rate_villages``,
``coverage_rate_population``), ``indicators`` (per indicator id: ``baseline planned
target target_year counts by_township``, as in a county's ``summary.json``) and ``outline``
(a GeoJSON geometry in WGS84 lon/lat, or None).

A province's share of an indicator is Σ numerators ÷ Σ denominators over the counties
where it was assessed (each county's ``counts``), never a mean of the counties' shares.

The map is one small self-contained page (Leaflet inlined, no network): the counties as
simplified polygons on a canvas, coloured by the indicator chosen in its panel (baseline
or planned), each a relative link to its own ``<folder>/plan_map.html``, so the browser
opens one county's full map at a time instead of one page holding the province.  Every
text from the data is set with ``textContent`` in the page; the data sit in one
``<script type="application/json">`` block (:func:`geo_env.outputs.html.script_json`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from .._choices import INDICATORS
from ..io import writers as _io
from ..labels import label
from . import _assets
from .html import esc, script_json
from .style import FAILED_FILL, NO_DATA, SHARE_BREAKS, SHARE_RAMP

__all__ = ["province_indicators", "county_table", "township_table", "failure_table", "province_sheets",
           "write_province_report", "province_map_html", "write_province_map", "county_href"]

#: The figures of a county record shown per county (beside the indicators).
_COUNTY_FIGURES = ("villages", "townships", "population", "households")


def _ok(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in records if r.get("status") == "ok"]


def province_indicators(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each indicator for the province: Σ numerators ÷ Σ denominators of the counties.

    Returns
    -------
    dict
        Indicator id → ``label label_en baseline planned`` (shares 0–1, None where no county
        assessed it) ``counts`` (``baseline planned``: the sums of the numerators; ``of``: of
        every county's denominator; ``of_baseline of_planned``: of the denominators of the
        counties that assessed that share — a county without, say, the sewage baseline
        column is left out of the baseline share, not counted as untreated)
        ``counties_assessed`` (counties with a denominator) and ``counties_assessed_by``
        (``baseline planned``: counties with that share).
    """
    out: dict[str, dict[str, Any]] = {}
    whens = ("baseline", "planned")
    for ind in INDICATORS:
        num = dict.fromkeys(whens, 0.0)
        den = dict.fromkeys(whens, 0.0)  # each share over the counties that assessed it
        of_all, assessed = 0.0, 0
        by = dict.fromkeys(whens, 0)
        for r in _ok(records):
            counts = ((r.get("indicators") or {}).get(ind) or {}).get("counts") or {}
            of = counts.get("of")
            if of is None or of <= 0:
                continue
            assessed += 1
            of_all += of
            for when in whens:
                if counts.get(when) is not None:  # a county without the baseline column: not 0 treated
                    num[when] += counts[when]
                    den[when] += of
                    by[when] += 1
        share = {w: (num[w] / den[w] if by[w] and den[w] > 0 else None) for w in whens}
        out[ind] = {"label": label(ind, "zh"), "label_en": label(ind, "en"), **share,
                    "counts": {**{w: (num[w] if by[w] else None) for w in whens}, "of": of_all,
                               **{f"of_{w}": (den[w] if by[w] else None) for w in whens}},
                    "counties_assessed": assessed, "counties_assessed_by": by}
    return out


def _share(ind: Mapping[str, Any] | None, when: str) -> float:
    v = None if ind is None else ind.get(when)
    return np.nan if v is None else float(v)


def county_table(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per county (in the records' order), then the province ``total``: result,
    villages, townships, population, households, waste coverage and each indicator's
    baseline and planned share (``<id>.baseline``, ``<id>.planned``)."""
    rows = []
    for r in records:
        ok = r.get("status") == "ok"
        ind = r.get("indicators") or {}
        waste = r.get("waste") or {}
        row: dict[str, Any] = {"county": r["folder"], "project": r.get("project_name"),
                               "batch_status": r.get("status")}
        for k in _COUNTY_FIGURES:
            row[k if k != "townships" else "townships_count"] = r.get(k) if ok else None
        for k in ("coverage_rate_villages", "coverage_rate_population"):
            row[k] = _share(waste, k) if ok else np.nan
        for k in INDICATORS:
            for when in ("baseline", "planned"):
                row[f"{k}.{when}"] = _share(ind.get(k), when) if ok else np.nan
        row["warnings_count"] = r.get("warnings") if ok else None
        rows.append(row)
    table = pd.DataFrame(rows, columns=_county_columns())
    return pd.concat([table, _total_row(records)], ignore_index=True)


def _county_columns() -> list[str]:
    return ["county", "project", "batch_status", "villages", "townships_count", "population", "households",
            "coverage_rate_villages", "coverage_rate_population",
            *(f"{k}.{w}" for k in INDICATORS for w in ("baseline", "planned")), "warnings_count"]


def _total_row(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    ok = _ok(records)
    total: dict[str, Any] = {"county": "total", "project": None,
                             "batch_status": f"{len(ok)}/{len(records)}"}
    for k in _COUNTY_FIGURES:
        known = [r[k] for r in ok if r.get(k) is not None]
        total[k if k != "townships" else "townships_count"] = sum(known) if known else None
    for k in ("coverage_rate_villages", "coverage_rate_population"):
        total[k] = np.nan  # a province share needs the counties' numerators: see the indicators
    for k, e in province_indicators(records).items():
        for when in ("baseline", "planned"):
            total[f"{k}.{when}"] = _share(e, when)
    known_w = [r["warnings"] for r in ok if r.get("warnings") is not None]
    total["warnings_count"] = sum(known_w) if known_w else None
    return pd.DataFrame([total], columns=_county_columns())


def township_table(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per township of every county that ran: county, township, each indicator's
    baseline and planned share (from the county's ``indicators.by_township``)."""
    rows = []
    for r in _ok(records):
        ind = r.get("indicators") or {}
        towns = sorted({t for e in ind.values() if isinstance(e, dict) for t in (e.get("by_township") or {})})
        for town in towns:
            row: dict[str, Any] = {"county": r["folder"], "township": town}
            for k in INDICATORS:
                cell = ((ind.get(k) or {}).get("by_township") or {}).get(town)
                for when in ("baseline", "planned"):
                    row[f"{k}.{when}"] = _share(cell, when)
            rows.append(row)
    cols = ["county", "township", *(f"{k}.{w}" for k in INDICATORS for w in ("baseline", "planned"))]
    return pd.DataFrame(rows, columns=cols)


def failure_table(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The counties whose run failed: folder, project file, the error (one line)."""
    rows = [{"county": r["folder"], "project": r.get("project"), "error": r.get("error")}
            for r in records if r.get("status") != "ok"]
    return pd.DataFrame(rows, columns=["county", "project", "error"])


def province_sheets(records: Sequence[Mapping[str, Any]]) -> dict[str, pd.DataFrame]:
    """The sheets of ``province.xlsx`` by key: ``counties``, ``county_townships`` and, when
    a county failed, ``failures``."""
    sheets = {"counties": county_table(records), "county_townships": township_table(records)}
    failed = failure_table(records)
    if len(failed):
        sheets["failures"] = failed
    return sheets


def write_province_report(records: Sequence[Mapping[str, Any]], path: str | Path, *, lang: str = "zh",
                          title: str = "") -> Path:
    """Write ``province.xlsx`` atomically (the sheets of :func:`province_sheets`, laid out
    like ``report.xlsx``'s: labelled headers, shares as %, text kept as text)."""
    from openpyxl import Workbook

    from .report import _sheet_title, _write_sheet

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for key, df in province_sheets(records).items():
        shown = df.copy()
        if "batch_status" in shown.columns:
            shown["batch_status"] = [label(f"batch_status.{v}", lang) if v in ("ok", "failed") else v
                                     for v in shown["batch_status"]]
        if "county" in shown.columns and len(shown) and shown["county"].iloc[-1] == "total":
            shown.loc[shown.index[-1], "county"] = label("province_total", lang)
        _write_sheet(wb, _sheet_title(key, lang, used), shown, lang)
    wb.properties.title = title
    wb.properties.creator = "geo_env"
    with _io.atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


# --------------------------------------------------------------------------------------
# the overview map
# --------------------------------------------------------------------------------------
def county_href(folder: str) -> str:
    """The relative link from the province folder to a county's ``plan_map.html``."""
    return f"{quote(folder, safe='')}/plan_map.html"


def _map_data(records: Sequence[Mapping[str, Any]], lang: str, title: str) -> dict[str, Any]:
    counties = []
    for r in records:
        ok = r.get("status") == "ok"
        ind = r.get("indicators") or {}
        counties.append({
            "folder": r["folder"], "name": r.get("project_name") or r["folder"], "status": r.get("status"),
            "href": county_href(r["folder"]) if ok else None, "error": None if ok else r.get("error"),
            "villages": r.get("villages") if ok else None, "population": r.get("population") if ok else None,
            "values": {k: [_none(_share(ind.get(k), "baseline")), _none(_share(ind.get(k), "planned"))]
                       for k in INDICATORS} if ok else {},
            "geometry": r.get("outline")})
    prov = province_indicators(records)
    return {
        "title": title, "counties": counties,
        "indicators": [{"id": k, "label": label(k, lang),
                        "province": [prov[k]["baseline"], prov[k]["planned"]]} for k in INDICATORS],
        "ramp": list(SHARE_RAMP), "breaks": list(SHARE_BREAKS), "no_data": NO_DATA, "failed": FAILED_FILL,
        "text": {k: label(k, lang) for k in ("baseline", "planned", "not_assessed", "open_county_map",
                                             "villages_count", "population", "province_total")}
        | {"failed": label("batch_status.failed", lang)},
    }


def _none(v: float) -> float | None:
    return None if np.isnan(v) else round(float(v), 4)


def province_map_html(records: Sequence[Mapping[str, Any]], *, lang: str = "zh", title: str = "") -> str:
    """The overview page's HTML (self-contained; see the module's docstring)."""
    heading = title or label("province_map", lang)
    data = _map_data(records, lang, heading)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(heading)}</title>"
        + _assets.inline_style(_assets.leaflet_css())
        + _assets.inline_style(_assets.province_css())
        + _assets.inline_script(_assets.leaflet_js())
        + "</head><body>"
        '<div id="map"></div><div id="panel"><h1 id="title"></h1><p id="hint"></p>'
        '<select id="indicator"></select><select id="when"></select>'
        '<div id="legend"></div><ol id="counties"></ol></div>'
        f'<script type="application/json" id="province-data">{script_json(data)}</script>'
        + _assets.inline_script(_assets.province_js())
        + "</body></html>\n"
    )


def write_province_map(records: Sequence[Mapping[str, Any]], path: str | Path, *, lang: str = "zh",
                       title: str = "") -> Path:
    """Write ``province_map.html`` atomically; return its path."""
    return _io.write_text(path, province_map_html(records, lang=lang, title=title))
