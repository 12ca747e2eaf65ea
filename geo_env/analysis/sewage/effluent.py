"""Step 3a of the sewage analysis: each village's receiving water and the effluent standard
(出水标准) its station must meet (:class:`Receiving`).

Receiving water
    A station stands at the village's anchor and discharges into the nearest water feature
    of ``[layers.water]`` (drinking-water source protection zones aside) within
    ``receiving_water_max_m``; it meets that feature's GB 3838-2002 functional class
    (column ``water_class``: Ⅰ–Ⅴ, 劣Ⅴ as Ⅴ).  No feature within reach, or a feature without
    a class: water of no set function (ponds and ditches near the village, ``unclassified``).

Standard and grade
    The rule table of ``[sewage] province`` (or ``effluent_table``; :mod:`geo_env.effluent`)
    gives the grade for the class and the station's size (m³/d): 一级A … 三级, or 不得排放 —
    no new outfall (GB 3838 class Ⅰ; classes Ⅰ–Ⅱ for stations of 500 m³/d and more).  The grade
    prices the station: its capital and operation × ``effluent_cost_factors[grade]``
    (:func:`.costs.station_cost`); a grade of 不得排放 makes a station there infeasible, so the
    village connects to a plant or uses household systems with reuse and no discharge, as
    inside a protection zone.

Not assessed
    Without a ``water_class`` column on the water layer (or without a water layer) the
    standards are not assessed: every factor is 1 (the unit costs' own 一级B), the column
    ``effluent_standard`` stays empty, and the summary says why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from ...effluent import NO_DISCHARGE, WATER_CLASSES, EffluentTable, load_table
from ...errors import ParameterError
from ...io.project import District
from ...io.status import water_class_codes
from ._arrays import Bools, Floats, Ints, Objects
from .params import Params

__all__ = ["Receiving", "REUSE", "receiving_water", "protection_flags", "cost_factors", "village_standards",
           "effluent_summary", "rules_table"]

log = logging.getLogger(__name__)

#: Cell texts of a protection column that mean "not a protection zone".
_NOT_ZONE = {"", "0", "false", "no", "none", "nan", "否", "无", "非"}


@dataclass(frozen=True)
class Receiving:
    """Each village's receiving water and the rule table that grades its station.

    Attributes
    ----------
    water_id
        Id of the receiving water feature; None where none lies within reach.
    water_class
        ``"I"``–``"V"``, or None (water of no set function).
    distance_m
        Anchor to the receiving feature (m); NaN where none.
    table
        The rule table; None when the standards are not assessed.
    factors
        Cost factor of each grade (``effluent_cost_factors``).
    note
        Why the standards are not assessed ("" when they are).
    """

    water_id: Objects
    water_class: Objects
    distance_m: Floats
    table: EffluentTable | None
    factors: dict[str, float] = field(default_factory=dict)
    note: str = ""

    @property
    def assessed(self) -> bool:
        return self.table is not None

    def grades(self, at: np.ndarray, size_m3_per_day: Floats) -> tuple[Objects, Objects]:
        """Standard (document) and grade of stations at villages ``at`` of the given sizes
        (m³/d); None when not assessed."""
        if self.table is None:
            return np.full(len(at), None, dtype=object), np.full(len(at), None, dtype=object)
        return self.table.lookup(self.water_class[at], np.asarray(size_m3_per_day, dtype=float))

    def factor(self, at: np.ndarray, size_m3_per_day: Floats | float) -> Floats:
        """Cost factor of stations at villages ``at`` of the given sizes (m³/d): 1 when not
        assessed, ∞ where the grade is 不得排放."""
        at = np.atleast_1d(np.asarray(at))
        size = np.broadcast_to(np.asarray(size_m3_per_day, dtype=float), at.shape)
        if self.table is None:
            return np.ones(len(at))
        return cost_factors(self.grades(at, size)[1], self.factors)

    def labels(self, at: np.ndarray, size_m3_per_day: Floats) -> Objects:
        """``"DB44/2208-2019 一级"``-style labels of stations at ``at`` (None when not assessed)."""
        std, grade = self.grades(at, size_m3_per_day)
        return np.array([None if g is None else f"{s} {g}" for s, g in zip(std, grade)], dtype=object)


def cost_factors(grades: Objects, factors: dict[str, float]) -> Floats:
    """Cost factor of each grade: ``factors[grade]``, ∞ for 不得排放, 1 for None."""
    return np.array([np.inf if g == NO_DISCHARGE else 1.0 if g is None else factors[g] for g in grades], dtype=float)


def protection_flags(district: District, column: str) -> Bools:
    """Which rows of ``district.water`` are drinking-water source protection zones (column
    ``column`` true / 1 / a non-empty value such as 一级); all False without the column."""
    water = district.water
    if water is None or column not in water.columns:
        return np.zeros(0 if water is None else len(water), dtype=bool)
    raw = water[column]
    if raw.dtype == bool:
        return raw.to_numpy()
    text = raw.astype(str).str.strip().str.lower()
    return raw.notna().to_numpy() & ~text.isin(_NOT_ZONE).to_numpy()


def receiving_water(district: District, xy: Floats, prm: Params) -> Receiving:
    """The receiving water of a station at every anchor ``xy`` (working CRS, m) and the rule
    table (see the module docstring)."""
    n = len(xy)
    none = np.full(n, None, dtype=object)
    water = district.water
    if water is None or "water_class" not in water.columns:
        why = ("no [layers.water]" if water is None else "the water layer has no water_class column "
               "(GB 3838 functional class Ⅰ–Ⅴ)")
        return Receiving(none, none.copy(), np.full(n, np.nan), None,
                         note=f"{why}: effluent standards not assessed; stations priced at the unit costs' 一级B")
    table = _rule_table(district, prm)
    factors = _factors(prm)
    keep = ~protection_flags(district, prm["protection_column"])
    geoms = np.asarray(water.geometry.values, dtype=object)
    keep &= ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    rows = np.flatnonzero(keep)
    cls = water_class_codes(water["water_class"]).to_numpy(dtype=object)
    ids = water["id"].astype(str).to_numpy() if "id" in water.columns else np.arange(len(water)).astype(str)
    water_id, water_class, dist = none.copy(), none.copy(), np.full(n, np.nan)
    if len(rows) and n:
        tree = shapely.STRtree(geoms[rows])
        (vi, wi), d = tree.query_nearest(shapely.points(xy), max_distance=prm["receiving_water_max_m"],
                                         return_distance=True, all_matches=False)
        water_id[vi], water_class[vi], dist[vi] = ids[rows[wi]], cls[rows[wi]], d
    return Receiving(water_id, water_class, dist, table, factors)


def _rule_table(district: District, prm: Params) -> EffluentTable:
    """The rule table of ``effluent_table`` (relative to the project file) or ``province``."""
    path = str(prm.get("effluent_table") or "")
    if not path:
        return load_table(str(prm["province"]))
    p = Path(path)
    if not p.is_absolute() and district.source is not None:
        p = Path(district.source).parent / p
    return load_table(path=p)


def _factors(prm: Params) -> dict[str, float]:
    """``effluent_cost_factors`` over the defaults, every grade a number within its limits."""
    from ...effluent import GRADES
    from ...standards import PARAMETERS

    p = PARAMETERS[("sewage", "effluent_cost_factors")]
    out = dict(p.default)
    lo, hi = p.limits or (0.0, np.inf)
    for grade, value in dict(prm["effluent_cost_factors"]).items():
        if grade not in GRADES or grade == NO_DISCHARGE:
            raise ParameterError(f"[sewage] effluent_cost_factors: unknown grade {grade!r}",
                                 hint=f"grades: {', '.join(g for g in GRADES if g != NO_DISCHARGE)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise ParameterError(f"[sewage] effluent_cost_factors {grade!r} = {value!r} must be a number "
                                 f"from {lo:g} to {hi:g}", hint="1 prices a station at the unit costs (一级B)")
        out[grade] = float(value)
    return out


#: ``effluent_standard`` of household systems where no outfall is allowed.
REUSE = "资源化利用，不外排"


def village_standards(rx: Receiving, mode: Objects, flow_m3_per_day: Floats, village_stations: Floats,
                      no_outfall: Bools, cluster_members: Sequence[Ints],
                      cluster_stations: Sequence[int]) -> tuple[Objects, Objects]:
    """``effluent_standard`` of every village's works — its village station(s) (each of
    flow / stations m³/d), its cluster's station (the cluster's flow, at the station
    village), household systems (the smallest size band; :data:`REUSE` where no outfall is
    allowed); None for connected villages and kept works (the plant's or the existing
    works' own standard) and when not assessed — and the class of the water its station
    discharges into (a cluster's: the station village's)."""
    out = np.full(len(mode), None, dtype=object)
    water = rx.water_class.copy()
    if not rx.assessed:
        return out, water
    c = np.flatnonzero(mode == "centralized")
    out[c] = rx.labels(c, flow_m3_per_day[c] / np.maximum(village_stations[c], 1))
    for members, stn in zip(cluster_members, cluster_stations):
        out[members] = rx.labels(np.array([stn]), np.array([flow_m3_per_day[members].sum()]))[0]
        water[members] = rx.water_class[stn]
    h = np.flatnonzero(mode == "household")
    out[h] = np.where(no_outfall[h], REUSE, rx.labels(h, np.zeros(len(h))))
    return out, water


def effluent_summary(rx: Receiving, standards: Objects, ids: Objects, no_outfall: Bools,
                     inside_zone: Bools, unsolved: Bools) -> dict[str, object]:
    """The ``effluent`` block of the sewage summary: the table used, villages by standard,
    receiving waters, villages whose receiving water takes no outfall (and of those, the
    ``unsolved`` ones: no compliant option, flagged)."""
    if not rx.assessed or rx.table is None:
        return {"assessed": False, "note": rx.note}
    t = rx.table
    counts = {str(k): int(v) for k, v in zip(*np.unique(standards[standards != None].astype(str),  # noqa: E711
                                                         return_counts=True))}
    return {
        "assessed": True,
        "province": t.province, "table": t.name,
        "bands": [{"min_m3_per_day": b.min_m3_per_day,
                   "max_m3_per_day": None if not np.isfinite(b.max_m3_per_day) else b.max_m3_per_day,
                   "standard": b.standard, "source": b.source, "grades": b.grades} for b in t.bands],
        "cost_factors": rx.factors,
        "villages_by_standard": counts,
        "receiving_water_classified": int(sum(c is not None for c in rx.water_class)),
        "receiving_water_unclassified": int(sum(c is None for c in rx.water_class)),
        "no_outfall_water_villages": [str(i) for i in ids[no_outfall & ~inside_zone]],
        "no_feasible_option": [str(i) for i in ids[no_outfall & ~inside_zone & unsolved]],
    }


def rules_table(rx: Receiving) -> pd.DataFrame | None:
    """The rule table used, one row per size band: its range (m³/d), standard, the grade of
    each water class and the source (for the report); None when not assessed."""
    if rx.table is None:
        return None
    rows = [{"band_min_m3_per_day": b.min_m3_per_day,
             "band_max_m3_per_day": b.max_m3_per_day if np.isfinite(b.max_m3_per_day) else None,
             "standard": b.standard, **{f"class_{c}": b.grades[c] for c in WATER_CLASSES}, "source": b.source}
            for b in rx.table.bands]
    return pd.DataFrame(rows)
