"""A plan in a notebook: the escaped HTML summary that ``Plan._repr_html_`` shows.

The key figures of ``plan.summary`` (waste coverage and siting, sewage modes and money,
livestock setbacks and the manure balance, the assessment indicators) in the district's
language, the output layers with their feature counts, and the warnings, collapsed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._display import Table, html_card, number, percent
from ..io.district import crs_text, geometry_types
from ..labels import label

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["plan_html", "key_figures"]


def _waste(w: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    if "coverage_rate_villages" not in w:
        return []
    rows = [(label("display.waste_villages", lang), percent(w.get("coverage_rate_villages"))),
            (label("display.waste_population", lang), percent(w.get("coverage_rate_population")))]
    siting = w.get("siting")
    if isinstance(siting, dict) and "after" in siting:
        share = percent(siting["after"].get("coverage_rate_population"))
        rows.append((label("display.waste_after", lang),
                     label("display.after_siting", lang).format(share=share, n=siting.get("proposed_stations", 0))))
    return rows


def _sewage(sw: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    if "by_mode" not in sw:
        return []
    rows = [(label(f"villages_{mode}", lang), number(block.get("villages")))
            for mode, block in sw["by_mode"].items() if mode != "existing" or block.get("villages")]
    rows.append((label("flow_m3_per_day", lang), number(sw.get("flow_m3_per_day"))))
    money = sw.get("investment")
    if isinstance(money, dict) and "capex_wan" in money:
        rows += [(label("capex_wan", lang), number(money.get("capex_wan"))),
                 (label("om_wan_per_year", lang), number(money.get("om_wan_per_year"), 1))]
    return rows


def _livestock(lv: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    if "farms" not in lv:
        return []
    rows = [(label("farms", lang), number(lv.get("farms"))),
            (label("pig_equivalents", lang), number(lv.get("pig_equivalents"))),
            (label("display.setback_not_ok", lang), number((lv.get("flags") or {}).get("setback_not_ok")))]
    balance = lv.get("balance")
    if isinstance(balance, dict):
        rows.append((label("display.overloaded_villages", lang), number(len(balance.get("overloaded_villages") or []))))
    return rows


def _indicators(ind: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    rows = []
    for key, e in ind.items():
        if not isinstance(e, dict):
            continue
        text = label("display.indicator_value", lang).format(baseline=percent(e.get("baseline")),
                                                             planned=percent(e.get("planned")))
        if e.get("target") is not None:
            text += label("display.target", lang).format(target=f"{e['target']:.0%}", year=e.get("target_year"))
        rows.append((label(key, lang), text))
    return rows


def key_figures(summary: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The headline figures of a plan's summary as (label, value) pairs in ``lang``."""
    rows = []
    for key, rows_of in (("waste", _waste), ("sewage", _sewage), ("livestock", _livestock),
                         ("indicators", _indicators)):
        block = summary.get(key)
        if isinstance(block, dict):
            rows += rows_of(block, lang)
    return rows


def plan_html(plan: Plan) -> str:
    """The plan as an HTML block for Jupyter: district, CRS, villages and people, key figures,
    the output layers (``plan.gpkg``'s) with their features, the warnings; every text escaped."""
    d, s = plan.district, plan.summary
    lang = d.lang
    facts = [(label("display.working_crs", lang), crs_text(d.crs)),
             (label("display.townships", lang), number(s.get("townships"))),
             (label("display.villages", lang), number(len(plan.villages))),
             (label("display.population", lang), number(s.get("population")))]
    figures = Table(label("display.key_figures", lang), (label("display.figure", lang), label("display.value", lang)),
                    key_figures(s, lang))
    rows = [(f"{label(name, lang)} ({name})", number(len(gdf)), geometry_types(gdf))
            for name, gdf in plan.gpkg_layers().items()]
    layers = Table(label("display.output_layers", lang),
                   (label("display.layer", lang), label("display.features", lang), label("display.geometry", lang)),
                   rows)
    title = label("display.title", lang).format(kind=label("display.plan", lang), name=d.name)
    return html_card(title, facts, [figures, layers],
                     notes=[str(w) for w in s.get("warnings") or []], notes_title=label("display.warnings", lang))
