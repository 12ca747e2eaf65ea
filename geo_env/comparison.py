"""Scenarios (方案比选): two plans of one district compared village by village (:func:`compare`).

Two :class:`~geo_env.plan.Plan` objects of the same district — the same villages, told
apart by ``id``, in the same working CRS — made from two project files (a larger budget, a
different ``[sewage]`` parameter, a moved plant …).  :func:`compare` answers what a planning
bureau asks of a variant: which villages' decision changes and why (both reason
sentences), what it costs (capex, O&M and the annualised cost, plan A, plan B and B − A),
how the modes shift, and what the assessment indicators become after each phase.

What counts as a changed decision
    A village's decision is its sewage mode (``sewage_mode``), the plant it connects to
    (``sewage_plant_id``), the villages it shares a station with (the other members of its
    cluster, whatever the clusters' ids) and its phase (``phase``, when either plan is
    phased).  A village whose decision is the same in both plans but whose works cost
    differently (a dearer sewer, a longer trunk to a moved plant) is not listed: the money
    shows in :attr:`Comparison.totals` and :attr:`Comparison.by_township`.  A village found
    in only one plan is listed (``only_in_a`` / ``only_in_b``), never dropped silently.

Same district
    Both plans must be in one working CRS (else :class:`~geo_env.errors.CRSError`), share
    village ids, and their villages matched by id must lie where each other's do (median
    distance between anchors at most :data:`SAME_PLACE_M`); otherwise the two plans are of
    different districts (or one file codes its villages differently) and comparing them
    would pair unrelated villages (:class:`~geo_env.errors.DataValueError`).

:meth:`Comparison.save` writes ``compare.json`` (written last, with the manifest ``files``),
``compare.xlsx`` and ``compare_map.html`` into a folder as one transaction
(:mod:`geo_env.io.output`); ``geo-env compare A.toml B.toml --out DIR`` is
:func:`plan_project` twice, :func:`compare` and :meth:`Comparison.save`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._choices import INDICATORS, SEWAGE_MODES
from .errors import CRSError, DataValueError, DuplicateIdError, GeoEnvError, ParameterError
from .plan import Plan, _jsonable

if TYPE_CHECKING:
    from .outputs.compare_map import CompareMap

__all__ = ["Comparison", "compare", "checked_names", "plan_project", "project_errors", "prepare_out", "COMPARE_FILES",
           "COMPARE_JSON", "CHANGES", "SAME_PLACE_M"]

log = logging.getLogger(__name__)

#: The file :meth:`Comparison.save` writes last; it holds the manifest (``files``).
COMPARE_JSON = "compare.json"
#: Every file :meth:`Comparison.save` writes, ``compare.json`` last.
COMPARE_FILES = ("compare.xlsx", "compare_map.html", COMPARE_JSON)
#: What may change for a village, in the order of the ``change`` column: its mode, its
#: receiving plant, its cluster partners, its phase; or it is in one plan only.
CHANGES = ("mode", "plant", "cluster", "phase", "only_in_a", "only_in_b")
#: Median distance (m) between the anchors of villages matched by id above which two plans
#: are taken to be of different districts (a geo_env choice: a village moves its anchor by
#: metres between two readings of one file, by kilometres only in another district).
SAME_PLACE_M = 1000.0

#: The per-village texts taken from each plan (the village table's column → its name here).
_TEXTS = {"sewage_mode": "mode", "sewage_reason": "reason", "sewage_plant_id": "plant", "phase": "phase"}
#: The per-village money taken from each plan (万元, 万元/年).
_MONEY = ("capex_wan", "om_wan_per_year")
#: The decision parts compared (name here → change code).
_DECISION = {"mode": "mode", "plant": "plant", "partners": "cluster", "phase": "phase"}


@dataclass
class Comparison:
    """Two plans of one district compared (made by :func:`compare`).

    Attributes
    ----------
    plan_a, plan_b
        The plans compared (A the reference, B the variant: differences are B − A).
    names
        The scenarios' names (``("A", "B")`` by default), used in every table heading.
    all_villages
        One row per village of either plan: ``id name township change`` (the change codes
        of :data:`CHANGES` joined by ``,``; ``""`` when nothing changed) ``in_a in_b``, then
        for each plan (suffix ``_a``, ``_b``) ``mode reason plant capex_wan om_wan_per_year
        annual_cost_wan_per_year phase``.  Money in 万元 (10⁴ yuan), O&M and annual cost
        per year.
    villages
        The rows of ``all_villages`` whose decision changed (or that are in one plan only):
        ``id name township change mode_a mode_b reason_a reason_b capex_wan_a capex_wan_b
        om_wan_per_year_a om_wan_per_year_b`` and ``phase_a phase_b`` when either plan is
        phased; sorted by township and id.
    totals
        Index: ``villages_count``, ``villages_<mode>`` for every mode either plan uses,
        ``villages_not_assessed`` (population unknown) when any, ``capex_wan``,
        ``om_wan_per_year``, ``annual_cost_wan_per_year``; columns ``a b delta``
        (delta = b − a).
    indicators
        One row per indicator and stage: ``indicator stage`` (``baseline``, ``phase``,
        ``final``) ``phase`` (the phase's name for a phase row) ``rate_a rate_b rate_delta``
        (shares 0–1, NaN where a plan has no figure).  The sewage treatment rate has a row
        after each phase of either plan (phases matched by name); every indicator a baseline
        and a final row.
    by_township
        Per township and a ``total`` row: ``villages_changed``, ``capex_wan_a/_b/_delta``,
        ``om_wan_per_year_a/_b/_delta``, ``villages_<mode>_a/_b`` for the modes in use.
    phases
        One row per phase of either plan (matched by name, A's order first): ``phase``,
        ``end_year_a/_b``, ``budget_wan_a/_b``, ``villages_count_a/_b/_delta`` (villages whose
        works the phase builds), ``capex_wan_a/_b/_delta``, ``om_wan_per_year_a/_b/_delta``; no rows
        when neither plan is phased.
    summary
        The content of ``compare.json`` (without its manifest), JSON-able.
    lang
        ``"zh"`` or ``"en"``: the labels of the workbook and map (plan A's language).
    """

    plan_a: Plan
    plan_b: Plan
    names: tuple[str, str]
    all_villages: pd.DataFrame
    villages: pd.DataFrame
    totals: pd.DataFrame
    indicators: pd.DataFrame
    by_township: pd.DataFrame
    phases: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    lang: str = "zh"

    def __repr__(self) -> str:
        cap, om = self.totals.loc["capex_wan"], self.totals.loc["om_wan_per_year"]
        return (f"Comparison({self.names[0]!r} → {self.names[1]!r}: {len(self.villages)} of "
                f"{len(self.all_villages)} villages changed; capex {float(cap['a']):,.0f} → {float(cap['b']):,.0f} "
                f"万元, O&M {float(om['a']):,.1f} → {float(om['b']):,.1f} 万元/年)")

    def _repr_html_(self) -> str:
        """Jupyter: the headline, the totals and the first changed villages (escaped)."""
        from .outputs.compare_report import comparison_html

        return comparison_html(self)

    def map(self, *, lang: str | None = None) -> CompareMap:
        """The side-by-side map (:func:`geo_env.outputs.compare_map.compare_map`): plan A on
        the left, plan B on the right, moving together; villages coloured by mode, changed
        villages outlined, both reasons in every popup.  Offline (Leaflet inlined); displays
        inline in Jupyter; ``.save(path)`` writes the HTML file."""
        from .outputs.compare_map import compare_map

        return compare_map(self, lang=lang)

    def save(self, out_dir: str | Path, *, lang: str | None = None,
             progress: Callable[[str], None] | None = None) -> list[Path]:
        """Write ``compare.xlsx``, ``compare_map.html`` and, last, ``compare.json`` into
        ``out_dir`` as one transaction; return the files written.

        The folder is locked, checked (an open ``compare.xlsx`` stops here) and written as
        :meth:`geo_env.Plan.save` writes its own (:mod:`geo_env.io.output`): every file is
        staged, then moved in, ``compare.json`` (with the manifest ``files``) last; on any
        error the previous files stay.  A plan's output files in the same folder are never
        touched.  The folder must not be, or hold, an input of either project.

        Parameters
        ----------
        out_dir
            The output folder (created if missing).
        lang
            ``"zh"`` or ``"en"`` for the workbook and the map; default: :attr:`lang`.
        progress
            Called with the name of each file before it is written.

        Raises
        ------
        geo_env.errors.OutputError
            The folder holds an input, cannot be written, has a folder where a file goes,
            another run is writing into it, or a file is open in another program.
        """
        import json

        from .io import output as _output
        from .io import writers as _io
        from .outputs.compare_map import save_compare_map
        from .outputs.compare_report import write_compare_report

        out = Path(out_dir)
        _output.refuse_inputs(out, [*self.plan_a.district.inputs, *self.plan_b.district.inputs])

        def step(msg: str) -> None:
            if progress is not None:
                progress(msg)
            log.info(msg)

        with _output.output_lock(out):
            previous = prepare_out(out)
            with _output.staging(out) as stage:
                step("compare.xlsx")
                write_compare_report(self, stage / "compare.xlsx", lang=lang)
                step("compare_map.html")
                save_compare_map(self.map(lang=lang), stage / "compare_map.html")
                step(COMPARE_JSON)
                files = list(COMPARE_FILES[:-1])
                body = {**_jsonable(self.summary), _output.MANIFEST_KEY: _output.manifest(stage, files)}
                _io.write_text(stage / COMPARE_JSON, json.dumps(body, ensure_ascii=False, indent=2) + "\n")
                files.append(COMPARE_JSON)
                _output.commit(out, stage, files, previous, summary_name=COMPARE_JSON)
        return [out / rel for rel in files]


def prepare_out(out: Path) -> dict[str, dict[str, Any] | None]:
    """Check that ``out`` can take the comparison's files before any is written (hold its
    lock); returns the previous comparison's files (see :func:`geo_env.io.output.prepare`)."""
    from .io import output as _output

    return _output.prepare(out, COMPARE_FILES, summary_name=COMPARE_JSON)


# --------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------
def compare(plan_a: Plan, plan_b: Plan, *, names: Sequence[str] = ("A", "B")) -> Comparison:
    """Compare two plans of one district, village by village.

    Parameters
    ----------
    plan_a, plan_b
        Analysed plans (:func:`geo_env.analyze`) of the same district: the same working CRS,
        villages matched by ``id``.  A is the reference: differences are B − A.
    names
        The two scenarios' names, shown in every heading (``("现状方案", "加大投资")``).

    Returns
    -------
    Comparison
        See :class:`Comparison`; money in 万元 (10⁴ yuan), rates as shares 0–1.

    Raises
    ------
    geo_env.errors.ParameterError
        Not two plans, or not two different, non-empty names.
    geo_env.errors.CRSError
        The plans are in different working CRS.
    geo_env.errors.DataValueError
        The plans share no village id, or their villages matched by id lie far apart
        (different districts).
    geo_env.errors.DuplicateIdError
        A plan repeats a village id.

    Examples
    --------
    >>> import geo_env as ge
    >>> d = ge.sample_district()                                          # doctest: +SKIP
    >>> a = ge.analyze(d)                                                 # doctest: +SKIP
    >>> b = ge.analyze(d.with_params("sewage", sewer_cost_yuan_per_m=150))  # doctest: +SKIP
    >>> c = ge.compare(a, b, names=("基准", "管网降价"))                    # doctest: +SKIP
    >>> c.villages[["name", "mode_a", "mode_b"]]                          # doctest: +SKIP
    """
    pair = checked_names(names)
    for which, plan in (("plan_a", plan_a), ("plan_b", plan_b)):
        if not isinstance(plan, Plan):
            raise ParameterError(f"{which} is a {type(plan).__name__}, not a Plan",
                                 hint="make each plan with ge.analyze(district)")
    table_a, table_b = _decisions(plan_a, pair[0]), _decisions(plan_b, pair[1])
    _check_same_district(plan_a, plan_b, table_a, table_b, pair)
    phased = "phase" in plan_a.villages.columns or "phase" in plan_b.villages.columns
    every = _pairs(table_a, table_b, phased=phased)
    changed = every.loc[every["change"] != "", _village_columns(phased)].sort_values(["township", "id"])
    totals = _totals(every)
    cmp = Comparison(plan_a=plan_a, plan_b=plan_b, names=pair, all_villages=every,
                     villages=changed.reset_index(drop=True), totals=totals,
                     indicators=_indicators(plan_a.summary, plan_b.summary),
                     by_township=_by_township(every), phases=_phases(plan_a.summary, plan_b.summary),
                     lang=plan_a.district.lang or "zh")
    cmp.summary = _summary(cmp)
    return cmp


def checked_names(names: Sequence[str]) -> tuple[str, str]:
    """Two different non-empty names (stripped)."""
    got = [] if isinstance(names, str) else [str(n).strip() for n in names]
    if len(got) != 2 or not all(got) or got[0] == got[1]:
        raise ParameterError(f"names = {names!r}: give two different, non-empty names",
                             hint='e.g. names=("现状方案", "加大投资") or --names A B')
    return got[0], got[1]


def _chosen_cost_yuan_per_year(v: pd.DataFrame) -> np.ndarray:
    """Each village's yearly cost of its chosen mode (yuan/year; NaN without a mode)."""
    mode = v["sewage_mode"].to_numpy(dtype=object) if "sewage_mode" in v.columns else np.full(len(v), None)
    costs = [pd.to_numeric(v[f"cost_{m}_yuan_per_year"], errors="coerce").to_numpy(dtype=float)
             if f"cost_{m}_yuan_per_year" in v.columns else np.full(len(v), np.nan) for m in SEWAGE_MODES]
    return np.select([mode == m for m in SEWAGE_MODES], costs, np.nan)


def _decisions(plan: Plan, name: str) -> pd.DataFrame:
    """One plan's villages, indexed by id (text): name, township, anchor, the decision and
    its money (NaN / None where the plan has no such column)."""
    v = plan.villages
    ids = v["id"].astype(str) if "id" in v.columns else pd.Series(v.index.astype(str), index=v.index)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DuplicateIdError(f"plan {name} repeats the village id(s) {', '.join(dup.unique()[:10])}",
                               layer="villages", column="id", hint="give every village its own id")
    out = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="id"))
    out["name"] = v["name"].to_numpy(dtype=object) if "name" in v.columns else ids.to_numpy()
    out["township"] = v["township"].astype(object).to_numpy() if "township" in v.columns else None
    for col, short in _TEXTS.items():  # a blank of any kind (NaN, pd.NA, None) is None
        out[short] = v[col].astype(object).where(v[col].notna(), None).to_numpy() if col in v.columns else None
    for col in _MONEY:
        out[col] = pd.to_numeric(v[col], errors="coerce").to_numpy(dtype=float) if col in v.columns else np.nan
    out["annual_cost_wan_per_year"] = _chosen_cost_yuan_per_year(v) / 1e4
    out["partners"] = _partners(v, ids)
    xy = _anchors(v)
    out["x"], out["y"] = xy[:, 0], xy[:, 1]
    return out


def _partners(v: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """For a village of a cluster, the ids of its cluster's villages (sorted, joined by ``,``);
    None elsewhere.  Clusters are compared by who is in them, not by their numbering."""
    out = np.full(len(v), None, dtype=object)
    if "sewage_cluster_id" not in v.columns:
        return out
    cid = v["sewage_cluster_id"]
    inside = cid.notna().to_numpy()
    if inside.any():
        members = ids[inside].groupby(cid[inside].astype(str).to_numpy()).transform(lambda s: ",".join(sorted(s)))
        out[inside] = members.to_numpy(dtype=object)
    return out


def _anchors(v: pd.DataFrame) -> np.ndarray:
    """Each village's anchor (working CRS, m): ``anchor_x``/``anchor_y``, else a point on it."""
    import shapely

    if {"anchor_x", "anchor_y"} <= set(v.columns):
        xy = v[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
        if np.isfinite(xy).all():
            return xy
    return shapely.get_coordinates(shapely.point_on_surface(np.asarray(v.geometry.values, dtype=object)))


def _where(plan: Plan, name: str) -> str:
    """A plan's name in messages: the scenario name and its project file."""
    src = plan.district.source
    return f"plan {name}" + (f" ({src})" if src is not None else f" ({plan.district.name})")


def _check_same_district(plan_a: Plan, plan_b: Plan, a: pd.DataFrame, b: pd.DataFrame,
                         names: tuple[str, str]) -> None:
    """The two plans are of one district: one working CRS, shared ids, matched villages in place."""
    crs_a, crs_b = plan_a.district.crs, plan_b.district.crs
    if crs_a != crs_b:
        raise CRSError(f"{_where(plan_a, names[0])} is in {crs_a.to_string()}, {_where(plan_b, names[1])} in "
                       f"{crs_b.to_string()}: the plans of one district must share a working CRS",
                       hint="set the same [project] crs in both project files (or crs = \"auto\" in both)")
    common = a.index.intersection(b.index)
    if not len(common):
        raise DataValueError(f"{_where(plan_a, names[0])} and {_where(plan_b, names[1])} share no village id: "
                             "they are not plans of one district", column="id",
                             hint="compare two projects that read the same villages (the same id column)")
    moved = np.hypot(a.loc[common, "x"].to_numpy() - b.loc[common, "x"].to_numpy(),
                     a.loc[common, "y"].to_numpy() - b.loc[common, "y"].to_numpy())
    median = float(np.nanmedian(moved)) if np.isfinite(moved).any() else 0.0
    if median > SAME_PLACE_M:
        raise DataValueError(f"the villages of {_where(plan_a, names[0])} and {_where(plan_b, names[1])} with the "
                             f"same id lie {median / 1000:,.1f} km apart (median): the plans are of different "
                             "districts, or their files code the villages differently", column="id",
                             hint="compare two projects of one district that read the same village layer")


def _pairs(a: pd.DataFrame, b: pd.DataFrame, *, phased: bool) -> pd.DataFrame:
    """Every village of either plan: the two decisions side by side and what changed."""
    both = a.drop(columns=["x", "y"]).join(b.drop(columns=["x", "y"]), how="outer", suffixes=("_a", "_b"))
    in_a, in_b = both.index.isin(a.index), both.index.isin(b.index)
    change = np.full(len(both), "", dtype=object)
    for part, code in _DECISION.items():
        if part == "phase" and not phased:
            continue
        x, y = both[f"{part}_a"], both[f"{part}_b"]
        differs = ~((x.isna() & y.isna()) | (x.astype(object) == y.astype(object))).to_numpy()
        change = _with_code(change, differs & in_a & in_b, code)
    change = _with_code(_with_code(change, ~in_b, "only_in_a"), ~in_a, "only_in_b")
    out = pd.DataFrame({
        "id": both.index.to_numpy(dtype=object),
        "name": both["name_a"].where(pd.Series(in_a, index=both.index), both["name_b"]).to_numpy(dtype=object),
        "township": both["township_a"].where(pd.Series(in_a, index=both.index), both["township_b"])
        .to_numpy(dtype=object),
        "change": change,
        "in_a": in_a, "in_b": in_b,
    })
    for short in ("mode", "reason", "plant", "capex_wan", "om_wan_per_year", "annual_cost_wan_per_year", "phase"):
        for s in ("a", "b"):
            out[f"{short}_{s}"] = both[f"{short}_{s}"].to_numpy()
    # plan A's order, then the villages only in B (in B's order)
    order = pd.Index(a.index).append(b.index.difference(a.index, sort=False))
    return out.set_index("id", drop=False).loc[order].reset_index(drop=True)


def _with_code(change: np.ndarray, where: np.ndarray, code: str) -> np.ndarray:
    """``code`` appended (after a comma) to the change codes of the rows ``where``."""
    sep = np.where(change != "", ",", "")
    return np.where(where, change + sep + code, change).astype(object)


def _village_columns(phased: bool) -> list[str]:
    cols = ["id", "name", "township", "change", "mode_a", "mode_b", "reason_a", "reason_b",
            "capex_wan_a", "capex_wan_b", "om_wan_per_year_a", "om_wan_per_year_b"]
    return cols + (["phase_a", "phase_b"] if phased else [])


def _mode_counts(modes: pd.Series, present: pd.Series) -> dict[str, int]:
    """Villages per mode among those present in the plan, and those without a mode."""
    m = modes[present.to_numpy(bool)]
    counts = {f"villages_{mode}": int((m == mode).sum()) for mode in SEWAGE_MODES}
    counts["villages_not_assessed"] = int(m.isna().sum())
    return counts


def _totals(every: pd.DataFrame) -> pd.DataFrame:
    """Villages per mode, capex, O&M and annual cost of each plan, and B − A."""
    rows: dict[str, list[float]] = {"villages_count": [float(every["in_a"].sum()), float(every["in_b"].sum())]}
    ca, cb = _mode_counts(every["mode_a"], every["in_a"]), _mode_counts(every["mode_b"], every["in_b"])
    for key in ca:
        if ca[key] or cb[key]:
            rows[key] = [float(ca[key]), float(cb[key])]
    for col in ("capex_wan", "om_wan_per_year", "annual_cost_wan_per_year"):
        rows[col] = [float(np.nansum(every[f"{col}_a"].to_numpy(dtype=float))),
                     float(np.nansum(every[f"{col}_b"].to_numpy(dtype=float)))]
    t = pd.DataFrame.from_dict(rows, orient="index", columns=["a", "b"])
    t["delta"] = t["b"] - t["a"]
    t.index.name = "item"
    return t


def _stage_rates(summary: dict[str, Any], ind: str) -> dict[tuple[str, str | None], float]:
    """One plan's figures of indicator ``ind``: (stage, phase name) → share."""
    got: dict[tuple[str, str | None], float] = {}
    meta = (summary.get("indicators") or {}).get(ind) or {}
    if meta.get("baseline") is not None:
        got[("baseline", None)] = float(meta["baseline"])
    for ph in summary.get("phases") or []:
        rate = ((ph.get("indicators") or {}).get(ind) or {}).get("district")
        if rate is not None:
            got[("phase", str(ph["name"]))] = float(rate)
    if meta.get("planned") is not None:
        got[("final", None)] = float(meta["planned"])
    return got


def _indicators(sa: dict[str, Any], sb: dict[str, Any]) -> pd.DataFrame:
    """Each indicator at each stage (baseline, after each phase, final) in A and B."""
    rows = []
    for ind in INDICATORS:
        ra, rb = _stage_rates(sa, ind), _stage_rates(sb, ind)
        stages = list(ra) + [k for k in rb if k not in ra]
        stages.sort(key=lambda k: ("baseline", "phase", "final").index(k[0]))  # stable: phases keep their order
        for stage, phase in stages:
            a, b = ra.get((stage, phase), np.nan), rb.get((stage, phase), np.nan)
            rows.append({"indicator": ind, "stage": stage, "phase": phase, "rate_a": a, "rate_b": b,
                         "rate_delta": b - a})
    return pd.DataFrame(rows, columns=["indicator", "stage", "phase", "rate_a", "rate_b", "rate_delta"])


#: The figures of one phase compared: summary.json ``phases`` entry key → column stem.
_PHASE_FIGURES = {"end_year": "end_year", "budget_wan": "budget_wan", "villages": "villages_count",
                  "capex_wan": "capex_wan", "om_wan_per_year": "om_wan_per_year"}


def _phases(sa: dict[str, Any], sb: dict[str, Any]) -> pd.DataFrame:
    """Each phase of either plan (by name): its year, budget, villages, capex and O&M in A and B."""
    def table(summary: dict[str, Any]) -> pd.DataFrame:
        rows = [{"phase": str(p["name"]), **{col: len(p[k]) if k == "villages" else p.get(k)
                                             for k, col in _PHASE_FIGURES.items()}}
                for p in summary.get("phases") or []]
        return pd.DataFrame(rows, columns=["phase", *_PHASE_FIGURES.values()]).set_index("phase")

    a, b = table(sa), table(sb)
    order = a.index.append(b.index.difference(a.index, sort=False))
    out = pd.DataFrame({"phase": order.to_numpy(dtype=object)})
    for col in _PHASE_FIGURES.values():
        for s, t in (("a", a), ("b", b)):
            out[f"{col}_{s}"] = pd.to_numeric(t[col].reindex(order), errors="coerce").to_numpy(dtype=float)
        if col not in ("end_year", "budget_wan"):
            out[f"{col}_delta"] = out[f"{col}_b"] - out[f"{col}_a"]
    return out


def _by_township(every: pd.DataFrame) -> pd.DataFrame:
    """Per township (and a ``total`` row): villages changed, capex and O&M of A, B and B − A,
    villages per mode in each plan."""
    town = every["township"].astype(object).where(every["township"].notna(), "—").astype(str)
    frame = pd.DataFrame({"township": town, "villages_changed": (every["change"] != "").astype(int)})
    for col in ("capex_wan", "om_wan_per_year"):
        for s in ("a", "b"):
            frame[f"{col}_{s}"] = every[f"{col}_{s}"].to_numpy(dtype=float)
    used = [m for m in SEWAGE_MODES if (every["mode_a"] == m).any() or (every["mode_b"] == m).any()]
    for m in used:
        for s in ("a", "b"):
            frame[f"villages_{m}_{s}"] = (every[f"mode_{s}"] == m).astype(int).to_numpy()
    g = frame.groupby("township", sort=True).sum(min_count=0)
    g.loc["total"] = g.sum()
    for col in ("capex_wan", "om_wan_per_year"):
        g.insert(g.columns.get_loc(f"{col}_b") + 1, f"{col}_delta", g[f"{col}_b"] - g[f"{col}_a"])
    g.index.name = "township"
    return g.reset_index()


def _summary(cmp: Comparison) -> dict[str, Any]:
    """The content of compare.json."""
    from . import __version__

    every, names = cmp.all_villages, cmp.names
    both = every["in_a"] & every["in_b"]
    a, b = every["mode_a"], every["mode_b"]
    same = (a.isna() & b.isna()) | (a.astype(object) == b.astype(object))  # None != None in pandas
    moves = every.loc[both & ~same]
    transitions = moves.groupby([moves["mode_a"].fillna("not_assessed"), moves["mode_b"].fillna("not_assessed")]
                                ).size()
    found = every["change"].str.split(",").explode().value_counts()
    counts = {code: int(found.get(code, 0)) for code in CHANGES}

    def plan_block(plan: Plan, name: str) -> dict[str, Any]:
        d = plan.district
        return {"name": name, "project": d.name, "source": None if d.source is None else str(d.source),
                "phases": [p.get("name") for p in plan.summary.get("phases") or []]}

    return _jsonable({
        "geo_env_version": __version__,
        "names": list(names),
        "crs": f"EPSG:{cmp.plan_a.district.crs.to_epsg()}" if cmp.plan_a.district.crs.to_epsg()
        else cmp.plan_a.district.crs.to_string(),
        "plans": {"a": plan_block(cmp.plan_a, names[0]), "b": plan_block(cmp.plan_b, names[1])},
        "villages": {"all": int(len(every)), "a": int(every["in_a"].sum()), "b": int(every["in_b"].sum()),
                     "matched": int(both.sum()),
                     "changed": int((every["change"] != "").sum()), "by_change": counts,
                     "changed_ids": cmp.villages["id"].astype(str).tolist(),
                     "only_in_a": every.loc[~every["in_b"], "id"].astype(str).tolist(),
                     "only_in_b": every.loc[~every["in_a"], "id"].astype(str).tolist()},
        "mode_changes": [{"from": str(f), "to": str(t), "villages": int(n)} for (f, t), n in transitions.items()],
        "totals": {str(k): {"a": r["a"], "b": r["b"], "delta": r["delta"]} for k, r in cmp.totals.iterrows()},
        "indicators": cmp.indicators.to_dict(orient="records"),
        "phases": cmp.phases.to_dict(orient="records"),
        "by_township": {str(r["township"]): {k: v for k, v in r.items() if k != "township"}
                        for r in cmp.by_township.to_dict(orient="records")},
    })


# --------------------------------------------------------------------------------------
# projects
# --------------------------------------------------------------------------------------
@contextlib.contextmanager
def project_errors(project: str | Path, name: str) -> Iterator[None]:
    """Raise a :class:`~geo_env.errors.GeoEnvError` of the block again naming the scenario
    and its project file (``project B (b/project.toml): villages.shp, column 'RKS': …``), of
    the same class where it can be: one run, two projects, and the user must know which."""
    try:
        yield
    except GeoEnvError as exc:
        text = f"project {name} ({project}): {exc}"
        try:
            named = type(exc)(text)
        except TypeError:  # a subclass with another signature
            named = GeoEnvError(text)
        raise named from exc


def plan_project(project: str | Path, name: str, *, lang: str | None = None,
                 progress: Callable[[str], None] | None = None) -> Plan:
    """Load and analyse one project of a comparison as ``geo-env run`` does; an error names
    the scenario and the project (:func:`project_errors`).

    Parameters
    ----------
    project
        The project file (or a folder holding ``project.toml``).
    name
        The scenario's name, for messages.
    lang
        ``"zh"`` or ``"en"``: overrides the project's language.
    progress
        Called with a short message before each step.
    """
    from dataclasses import replace

    from .io.project import load_project
    from .plan import analyze

    with project_errors(project, name):
        if progress is not None:
            progress(f"reading {project} ({name})")
        district = load_project(project)
        if lang:
            district = replace(district, lang=lang)
        return analyze(district, progress=None if progress is None else
                       (lambda step: progress(f"analysing {name}: {step}")))
