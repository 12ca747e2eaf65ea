"""The waste chain chart (``figures/waste_chain.png``): tonnes per day through the chain.

Three horizontal bars, top to bottom: generated; into the transfer stations (one segment
per station, filled by its utilisation class, :data:`~geo_env.outputs.style.UTILISATION`,
and the tonnes no station reaches, hatched); into the treatment facilities (one segment
per facility, and the tonnes no facility reaches, hatched — or "not assessed" without a
facilities layer).  The bars' lengths are the mass balance: equal lengths, to rounding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.patches import Patch

from ..labels import label
from .style import BASELINE_BAR, LEGEND_EDGE, TREATMENT_BROWN, UTILISATION, WHITE

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["waste_chain_chart", "has_chain"]

#: Segments narrower than this share of the longest bar carry no text.
_MIN_LABEL_SHARE = 0.06


def has_chain(plan: Plan) -> bool:
    """Whether the plan holds the waste chain (``summary["waste"]["chain"]``)."""
    return bool((plan.summary.get("waste") or {}).get("chain"))


def _utilisation_code(entry: dict[str, Any]) -> str:
    u = entry.get("utilisation")
    if u is None:
        return "unknown"
    return "over" if u > 1.0 + 1e-9 else "high" if u > 0.8 else "low"


def _bar(ax: Any, y: float, parts: list[tuple[float, str, str, str | None]], span: float) -> None:
    """One bar of segments (tonnes, fill colour, text, hatch)."""
    left = 0.0
    for t, color, text, hatch in parts:
        if t <= 0:
            continue
        ax.barh(y, t, left=left, height=0.55, color=color, edgecolor=WHITE if hatch is None else LEGEND_EDGE,
                linewidth=0.8, hatch=hatch)
        if text and t >= _MIN_LABEL_SHARE * span:
            ax.text(left + t / 2, y, f"{text}\n{t:,.1f}", ha="center", va="center", fontsize=8.5)
        left += t


def waste_chain_chart(ax: Any, plan: Plan, lang: str) -> list[Any]:
    """Draw the chart on ``ax``; return the legend handles."""
    chain = plan.summary["waste"]["chain"]
    mb = chain["mass_balance"]
    gen = float(mb["generation_t_per_day"])
    span = max(gen, 1e-9)
    hatch_color = WHITE
    rows = [label("chain.generation", lang), label("chain.stations", lang), label("chain.facilities", lang)]
    _bar(ax, 2, [(gen, BASELINE_BAR, label("chain.generation", lang), None)], span)
    stations = sorted(chain["stations"], key=lambda e: -e["load_t_per_day"])
    _bar(ax, 1, [(e["load_t_per_day"], UTILISATION.colors[_utilisation_code(e)], e["id"], None) for e in stations]
         + [(float(mb["uncollected_t_per_day"]), hatch_color, label("chain.uncollected", lang), "///")], span)
    if chain["facilities"] is None:
        ax.text(0.0, 0, "  " + label("chain.not_assessed", lang), ha="left", va="center", fontsize=10)
    else:
        shades = np.linspace(0.0, 0.5, max(len(chain["facilities"]), 1))
        facilities = sorted(chain["facilities"], key=lambda e: -e["inflow_t_per_day"])
        _bar(ax, 0, [(e["inflow_t_per_day"], _lighten(TREATMENT_BROWN, k), e["id"], None)
                     for e, k in zip(facilities, shades)]
             + [(float(mb["unhauled_t_per_day"] or 0.0), hatch_color, label("chain.unhauled", lang), "\\\\\\")], span)
    ax.set_yticks([2, 1, 0])
    ax.set_yticklabels(rows, fontsize=11)
    ax.set_xlim(0, span * 1.04)
    ax.set_ylim(-0.6, 2.6)
    ax.set_xlabel(label("tonnes_per_day", lang), fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    codes = sorted({_utilisation_code(e) for e in stations}, key=UTILISATION.codes.index)
    handles: list[Any] = [Patch(facecolor=UTILISATION.colors[c], edgecolor=LEGEND_EDGE,
                                label=label(UTILISATION.label_key(c), lang)) for c in codes]
    if mb["uncollected_t_per_day"] > 0 or (mb["unhauled_t_per_day"] or 0) > 0:
        handles.append(Patch(facecolor=WHITE, edgecolor=LEGEND_EDGE, hatch="///",
                             label=label("chain.uncollected", lang) + " / " + label("chain.unhauled", lang)))
    return handles


def _lighten(color: str, share: float) -> str:
    """``color`` mixed with white by ``share`` (0: the colour itself)."""
    h = color.removeprefix("#")
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    mixed = [round(c + (255 - c) * share) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)
