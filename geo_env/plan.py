"""``analyze(district) → Plan``: every analysis with the project's parameters, and the
output folder (``Plan.save``).

Each analysis contributes a :class:`~geo_env.parts.PlanPart` (:data:`geo_env.parts.STEPS`):
columns to add to the villages, layers for ``plan.gpkg``, tables for ``report.xlsx`` and a
block for ``summary.json``.
:meth:`Plan.save` writes the output folder as one transaction (:mod:`geo_env.io.output`).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from . import _progress
from .io import writers as _io
from .io.project import District
from .parts import STEPS, PlanPart, indicators_part

if TYPE_CHECKING:
    import folium

__all__ = ["Plan", "PlanPart", "analyze", "run_district", "run_project"]

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """A district with every analysis result.

    Attributes
    ----------
    district
        The analysed :class:`District`.
    villages
        ``district.villages`` with every analysis column added (same index).
    layers
        Output layers by name (``transfer_stations``, ``service_areas`` …), working CRS.
    tables
        Report tables by key.
    summary
        The content of ``summary.json``.
    results
        Each analysis' own result object by name.
    """

    district: District
    villages: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        analyses = ", ".join(k for k in ("waste", "sewage", "livestock") if k in self.summary) or "none"
        return (f"Plan({self.district.name!r}, villages={len(self.villages)}, analyses: {analyses}; "
                f"layers: {', '.join(self.layers) or 'none'})")

    def _repr_html_(self) -> str:
        """Jupyter: the district, CRS, key figures and output layers (escaped; see
        :func:`geo_env.outputs.display.plan_html`)."""
        from .outputs.display import plan_html

        return plan_html(self)

    def save(
        self,
        out_dir: str | Path,
        *,
        progress: _progress.Progress = None,
        lang: str | None = None,
        basemap: str | None = None,
    ) -> list[Path]:
        """Write the output folder as one transaction and return the files written.

        ``plan.gpkg``, ``report.xlsx``, ``plan_map.html``, ``figures/*.png`` (the figures
        of the analyses present) and, last, ``summary.json``, whose ``files`` list (the
        manifest: each file's relative path, size in bytes and sha256) tells a reader the
        folder is complete.  Every file is first written into a hidden staging folder; only
        when all are written are they moved in, replacing the previous run's files and
        removing those of its files this run no longer produces (a livestock figure from a
        run that had farms).  On any error, or Ctrl-C, the previous output stays complete
        and unchanged.  Files geo_env did not write (not in the previous manifest) are
        never touched.  A lock file (``.geo_env.lock``, removed afterwards) stops a second
        run into the same folder.

        Parameters
        ----------
        out_dir
            The output folder (created if missing).  It must not be, or hold, an input
            file of the district's project (``district.inputs``).
        progress
            Called with the name of each file before it is written (the CLI shows it); or
            True / False: a progress bar shown / not shown (default: automatic, see
            :mod:`geo_env._progress`: in a notebook or a terminal, unless silenced).
        lang
            ``"zh"`` or ``"en"`` for the report, map and figures; default: the district's.
        basemap
            Basemap of the HTML map (see :data:`geo_env.outputs.maps.BASEMAPS`); default: the
            district's setting, else ``"none"``.

        Returns
        -------
        list of Path
            ``out_dir / name`` of each file written, ``summary.json`` last.

        Raises
        ------
        geo_env.errors.OutputError
            Before anything is replaced: the folder holds an input, cannot be written,
            has a folder where a file goes, another run is writing into it, an output file
            is open in another program (Excel), or the disk is full.
        geo_env.outputs.figures.FontNotFoundError
            When no CJK font is installed (after every other file has been written).
        """
        from .io import output as _output

        out = Path(out_dir)
        _output.refuse_inputs(out, self.district.inputs)

        with _output.output_lock(out), _progress.Steps("writing", total=5, progress=progress) as announce:

            def step(msg: str) -> None:
                announce(msg)
                log.info(msg)

            previous = _prepare_out(out)
            with _output.staging(out) as stage:
                files, font_error = self._write_files(stage, step, lang=lang, basemap=basemap)
                _output.commit(out, stage, files, previous)
        if font_error is not None:
            raise font_error
        return [out / rel for rel in files]

    def _write_files(self, stage: Path, step: Callable[[str], None], *, lang: str | None,
                     basemap: str | None) -> tuple[list[str], Exception | None]:
        """Write every output file into ``stage``; return their relative paths (summary.json
        last) and the :class:`~geo_env.outputs.figures.FontNotFoundError` that stopped the figures."""
        from .io import output as _output
        from .outputs import figures, maps, qgis, report

        step("plan.gpkg")
        layers = self.gpkg_layers()
        _io.write_gpkg(stage / "plan.gpkg", layers,
                       qgis.gpkg_metadata(self, layers, lang or self.district.lang or "zh"))
        step("report.xlsx")
        report.write_report(self, stage / "report.xlsx", lang=lang)
        step("plan_map.html")
        maps.save_map(self.map(lang=lang, basemap=basemap), stage / "plan_map.html")
        files = ["plan.gpkg", "report.xlsx", "plan_map.html"]
        step("figures")
        font_error: Exception | None = None
        try:
            files += [p.relative_to(stage).as_posix()
                      for p in figures.write_figures(self, stage / "figures", lang=lang)]
        except figures.FontNotFoundError as exc:
            font_error = exc
        step("summary.json")
        summary = {**_jsonable(self.summary), _output.MANIFEST_KEY: _output.manifest(stage, files)}
        _io.write_text(stage / _output.SUMMARY, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        return [*files, _output.SUMMARY], font_error

    def map(self, *, lang: str | None = None, basemap: str | None = None) -> folium.Map:
        """The interactive plan map (a :class:`folium.Map`; displays inline in Jupyter).

        See :func:`geo_env.outputs.maps.plan_map`: offline (Leaflet inlined), every layer the plan
        holds, labels in ``lang`` (default: the district's), ``basemap`` one of
        ``none | osm | tianditu | amap`` (default: the district's setting, else none).
        """
        from .outputs.maps import plan_map

        return plan_map(self, lang=lang, basemap=basemap)

    def to_geoparquet(self, folder: str | Path) -> list[Path]:
        """Write every layer of ``plan.gpkg`` as GeoParquet (``<layer>.parquet``, working
        CRS in its metadata) into ``folder``, each file atomically; return their paths.

        For analysts (pandas/DuckDB/dask read it column by column); needs pyarrow
        (``pip install "geo_env[parquet]"``).  Empty layers are written too (no rows).
        """
        from .errors import OutputError
        from .io import output as _output

        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise OutputError("writing GeoParquet needs the pyarrow package", file=str(folder),
                              hint='install it: pip install "geo_env[parquet]" (or pip install pyarrow)') from None
        out = Path(folder)
        _output.refuse_inputs(out, self.district.inputs)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, gdf in self.gpkg_layers().items():
            with _io.atomic_path(out / f"{name}.parquet") as tmp:
                gdf.to_parquet(tmp, index=False)
            written.append(out / f"{name}.parquet")
        return written

    def to_postgis(self, url: str, *, schema: str = "geo_env") -> list[str]:
        """Write every layer of ``plan.gpkg`` into the PostGIS ``schema`` (created if
        missing; tables of the same names replaced) in one transaction; return
        ``schema.table`` of each.  ``url`` as in a project file (``postgresql://user@host/db``,
        no password: it comes from ``PGPASSWORD`` or ``~/.pgpass``)."""
        from .errors import ProjectFileError
        from .io.postgis import check_url, write_postgis

        try:
            check_url(url, where="to_postgis")
        except ProjectFileError as exc:
            from .errors import OutputError

            raise OutputError(exc.message, hint=exc.hint) from None
        return write_postgis(url, self.gpkg_layers(), schema=schema)

    def gpkg_layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The layers of ``plan.gpkg`` in writing order."""
        d = self.district
        layers: dict[str, gpd.GeoDataFrame] = {"villages": self.villages}
        for name in ("transfer_stations", "sewage_plants", "livestock_farms"):
            gdf = self.layers.get(name, getattr(d, name))
            if gdf is not None:
                layers[name] = gdf
        for name, gdf in self.layers.items():
            layers.setdefault(name, gdf)
        return layers


def analyze(district: District, *, progress: _progress.Progress = None) -> Plan:
    """Run every analysis the district's layers allow, with the project's parameters.

    Parameters
    ----------
    district
        A loaded :class:`District` (``load_project`` or ``sample_district``).
    progress
        Called with a short message before each step (the CLI shows it); or True / False:
        progress bars shown / not shown, for the analyses' own steps too (default:
        automatic, see :mod:`geo_env._progress`).

    Returns
    -------
    Plan
    """
    villages = district.villages.copy()
    plan = Plan(district=district, villages=villages, summary=_base_summary(district))
    steps: list[tuple[str, Callable[[], PlanPart | None]]] = [(name, partial(fn, district)) for name, fn in STEPS]
    # the indicators read the other analyses' results (run last)
    steps.append(("indicators", lambda: indicators_part(district, villages, plan.layers, plan.summary)))
    with _progress.Steps("analysing", total=len(steps), progress=progress) as step:
        for name, run in steps:
            step(name)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                part = run()
            _add_part(plan, villages, part, caught)
    plan.villages = villages
    return plan


def _add_part(plan: Plan, villages: gpd.GeoDataFrame, part: PlanPart | None,
              caught: list[warnings.WarningMessage]) -> None:
    """Put what one analysis made into the plan (``villages`` gains its columns in place),
    and show its warnings again (kept in summary.json when they are geo_env's)."""
    from .errors import GeoEnvWarning

    for w in caught:  # shown as usual, and kept in summary.json (a DEM's fill values …)
        text = str(w.message)
        if issubclass(w.category, GeoEnvWarning) and text not in plan.summary["warnings"]:
            plan.summary["warnings"].append(text)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if part is None:
        return
    if part.village_columns is not None and len(part.village_columns.columns):
        cols = part.village_columns.reindex(villages.index)
        for c in cols.columns:
            villages[c] = cols[c]
    plan.layers.update(part.layers)
    plan.tables.update(part.tables)
    if part.summary:
        plan.summary[part.name] = part.summary
    plan.summary.update(part.top_level)
    plan.results[part.name] = part.result


def run_district(district: District, out_dir: str | Path, *,
                 progress: Callable[[str], None] | None = None) -> tuple[Plan, list[Path]]:
    """Analyse a district into an output folder, as ``geo-env run`` and ``demo`` do.

    The folder is checked first (it must not hold an input of the district; no other run
    writing into it; every output file replaceable: a ``report.xlsx`` open in Excel stops
    here, before the analysis), then locked while :func:`analyze` and :meth:`Plan.save` run.

    Parameters
    ----------
    district
        The district to analyse.
    out_dir
        The output folder (created if missing).
    progress
        Called with a short message before each step (``analysing: …``, ``writing …``).

    Returns
    -------
    (Plan, list of Path)
        The plan and the files written (``summary.json`` last).
    """
    from .io import output as _output

    def say(msg: str) -> None:
        if progress is not None:
            progress(msg)

    out = Path(out_dir)
    _output.refuse_inputs(out, district.inputs)
    say(f"{district!r}")
    with _output.output_lock(out):
        _prepare_out(out)  # a report.xlsx open in Excel stops the run now, not after the analysis
        plan = analyze(district, progress=lambda name: say(f"analysing: {name}"))
        written = plan.save(out, progress=lambda name: say(f"writing {name}"))
    return plan, written


def run_project(project: str | Path, out_dir: str | Path, *, lang: str | None = None,
                basemap: str | None = None, adjust: Callable[[District], District] | None = None,
                progress: Callable[[str], None] | None = None) -> tuple[Plan, list[Path]]:
    """``geo-env run PROJECT --out DIR``: load a project, analyse it, write the folder.

    The output folder is refused from the project file alone (before any layer is read)
    when it is or holds one of the project's inputs; then :func:`run_district`.

    Parameters
    ----------
    project
        ``project.toml``, or a folder holding one.
    out_dir
        The output folder.
    lang, basemap
        Override the project's ``[project] lang`` / ``basemap``.
    adjust
        Applied to the loaded district before the analysis (``geo-env batch`` applies a
        province's shared settings with it).
    progress
        Called with a short message before each step.
    """
    from dataclasses import replace

    from .io import output as _output
    from .io.project import load_project, project_inputs

    project, out = Path(project), Path(out_dir)
    _output.refuse_inputs(out, project_inputs(project))  # before reading any layer
    if progress is not None:
        progress(f"reading {project}")
    district = load_project(project)
    if adjust is not None:
        district = adjust(district)
    if lang:
        district = replace(district, lang=lang)
    if basemap:
        district = replace(district, basemap=basemap)
    return run_district(district, out, progress=progress)


def _base_summary(d: District) -> dict[str, Any]:
    from . import __version__

    return {
        "geo_env_version": __version__,
        "project": d.name,
        "source": None if d.source is None else str(d.source),
        "crs": f"EPSG:{d.crs.to_epsg()}" if d.crs.to_epsg() else d.crs.to_string(),
        "crs_name": d.crs.name,
        "lang": d.lang,
        "layers": {name: int(len(gdf)) for name, gdf in d.layers().items()},
        "dem": None if d.dem is None else Path(d.dem).name,
        "townships": int(d.villages["township"].nunique()),
        "population": _total(d.villages, "population"),
        "households": _total(d.villages, "households"),
        "warnings": list(d.warnings),
        "parameters": _jsonable(d.params),
    }


def _total(villages: pd.DataFrame, column: str) -> int | None:
    """The sum of a column over the villages where it is known; None when nowhere."""
    if column not in villages.columns:
        return None
    values = pd.to_numeric(villages[column], errors="coerce")
    return int(values.sum()) if values.notna().any() else None


def _jsonable(obj: Any) -> Any:
    """Plain JSON types from numpy / pandas scalars, NaN → null."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


#: What :meth:`Plan.save` writes into its folder (and ``figures/*.png``).
OUTPUT_FILES = ("plan.gpkg", "summary.json", "report.xlsx", "plan_map.html")


def _known_outputs() -> tuple[str, ...]:
    """Every file name geo_env may write, relative to the folder (for folders written by a
    geo_env without a manifest in ``summary.json``)."""
    from .outputs.figures import FIGURES

    return (*OUTPUT_FILES, *(f"figures/{name}" for name in FIGURES))


def _prepare_out(out: Path) -> dict[str, dict[str, Any] | None]:
    """Make sure the output folder can take every file of a plan before the first is written
    (:func:`geo_env.io.output.prepare`: a folder where a file goes, a file where ``figures/``
    goes, a folder that cannot be written, a file open in Excel are
    :class:`~geo_env.errors.OutputError`); call it holding the folder's lock.

    Returns
    -------
    dict
        geo_env's files of the previous run (see :func:`geo_env.io.output.previous_outputs`).
    """
    from .io import output as _output

    return _output.prepare(out, _known_outputs(), folders=("figures",))
