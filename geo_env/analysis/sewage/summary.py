"""Step 10 of the sewage analysis (with :mod:`.tables`): villages, population and flow per
mode and township, and the ``sewage`` block of ``summary.json``.

Villages without residents are counted as ``no_population`` and villages of unknown
population (not assessed) as ``population_unknown``, not under a mode.  In the summary,
villages without a township count in the district's totals but in no ``by_township`` entry.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..._choices import SEWAGE_MODES as MODES
from ._arrays import Bools, Objects

__all__ = ["by_township", "sewage_summary"]

#: Township key of villages without one (left out of the per-township summary).
_NO_TOWN = "\x00"


def _keys(out: gpd.GeoDataFrame, no_pop: Bools, unknown: Bools | None) -> Objects:
    """Per village its mode, or ``no_population`` / ``population_unknown`` (counted apart)."""
    unknown = np.zeros(len(out), dtype=bool) if unknown is None else unknown
    return np.select([unknown, no_pop], ["population_unknown", "no_population"],
                     out["sewage_mode"].to_numpy(dtype=object)).astype(object)


def by_township(out: gpd.GeoDataFrame, no_pop: Bools, unknown: Bools | None = None) -> pd.DataFrame:
    """Villages, population and flow per mode and township (one row per township + total).

    Villages without residents are counted in ``no_population_villages``, villages of
    unknown population (not assessed) in ``population_unknown_villages``, not under a mode.
    """
    df = pd.DataFrame({
        "township": out["township"] if "township" in out.columns else "",
        "mode": _keys(out, no_pop, unknown),
        "population": out["population"] if "population" in out.columns else 0,
        "flow": out["sewage_flow_m3_per_day"],
    })
    g = df.groupby(["township", "mode"]).agg(villages=("mode", "size"), population=("population", "sum"),
                                              flow=("flow", "sum"))
    wide = g.unstack("mode").fillna(0)
    cols = {}
    for m in MODES:
        for what, suffix in (("villages", "villages"), ("population", "population"), ("flow", "flow_m3_per_day")):
            cols[f"{m}_{suffix}"] = wide[(what, m)] if (what, m) in wide.columns else 0.0
    for key in ("no_population", "population_unknown"):
        cols[f"{key}_villages"] = wide[("villages", key)] if ("villages", key) in wide.columns else 0.0
    table = pd.DataFrame(cols, index=wide.index)
    table.insert(0, "villages", df.groupby("township").size())
    table.insert(1, "population", df.groupby("township")["population"].sum())
    table.insert(2, "flow_m3_per_day", df.groupby("township")["flow"].sum())
    total = table.sum(numeric_only=True).to_frame().T
    total.index = ["total"]
    table = pd.concat([table, total])
    for c in table.columns:
        table[c] = table[c].astype(int) if c.endswith("villages") else table[c].astype(float)
    table.index.name = "township"
    return table.reset_index()


def sewage_summary(out: gpd.GeoDataFrame, no_pop: Bools, plants: gpd.GeoDataFrame | None,
                   clusters: gpd.GeoDataFrame, unknown: Bools | None = None) -> dict[str, Any]:
    """The ``sewage`` block of summary.json; villages without residents are counted apart
    (``no_population``), not as household villages, and villages of unknown population
    (``population_unknown``, with their ids) are not assessed."""
    tw = out["township"] if "township" in out.columns else pd.Series(np.nan, index=out.index)
    frame = pd.DataFrame({
        "township": tw.astype(str).where(tw.notna(), _NO_TOWN).to_numpy(),
        "key": _keys(out, no_pop, unknown),
        "population": out["population"].to_numpy(dtype=float) if "population" in out.columns else 0.0,
        "flow": out["sewage_flow_m3_per_day"].to_numpy(dtype=float),
    })
    # one pass: villages, population and flow per (township, mode or no_population)
    agg = frame.groupby(["township", "key"]).agg(
        villages=("key", "size"), population=("population", "sum"), flow=("flow", "sum"))
    cells = {k: (int(r.villages), float(r.population), float(r.flow)) for k, r in zip(agg.index, agg.itertuples())}
    towns = sorted({t for t, _ in cells})

    def block(ts: list[str]) -> dict[str, Any]:
        res: dict[str, Any] = {}
        for m in MODES:
            got = [cells[(t, m)] for t in ts if (t, m) in cells]
            res[m] = {"villages": sum(c[0] for c in got), "population": float(sum(c[1] for c in got)),
                      "flow_m3_per_day": round(float(sum(c[2] for c in got)), 3)}
        return res

    def empty(ts: list[str]) -> dict[str, int]:
        return {"villages": sum(cells[(t, "no_population")][0] for t in ts if (t, "no_population") in cells)}

    total_cost = np.nansum(np.select(
        [out["sewage_mode"] == m for m in MODES],
        [out[f"cost_{m}_yuan_per_year"] for m in MODES], np.nan))
    summary: dict[str, Any] = {
        "villages": int(len(out)),
        "flow_m3_per_day": round(float(out["sewage_flow_m3_per_day"].sum()), 3),
        "by_mode": block(towns),
        "no_population": empty(towns),
        "population_unknown": {"villages": int(np.sum(unknown)) if unknown is not None else 0,
                               "ids": out.loc[unknown, "id"].astype(str).tolist()
                               if unknown is not None and "id" in out.columns else []},
        "clusters": int(len(clusters)),
        "cost_yuan_per_year": round(float(total_cost), 0),
        "lift_stations": int(out["pump_stations"].sum()),
    }
    if "township" in out.columns:
        summary["by_township"] = {t: {**block([t]), "no_population": empty([t])}
                                  for t in towns if t != _NO_TOWN}
    if plants is not None:
        summary["plants"] = [
            {"id": str(r.get("id", k)), "name": str(r.get("name", "")),
             "capacity_m3_per_day": float(r["capacity_m3_per_day"]),
             "load_m3_per_day": float(r["load_m3_per_day"]),
             "connected_villages": int(r["connected_villages"]),
             "connected_flow_m3_per_day": round(float(r["connected_flow_m3_per_day"]), 3),
             "load_after_m3_per_day": round(float(r["load_after_m3_per_day"]), 3)}
            for k, r in plants.drop(columns=plants.geometry.name).iterrows()]
    return summary


