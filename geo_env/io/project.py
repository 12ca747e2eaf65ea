"""Project files (project.toml) and the :class:`District` they load into.

:func:`load_project` reads the project file (:mod:`geo_env.io.projectfile`), every layer
it names (:func:`geo_env.io.layers.read_layer`, :func:`geo_env.io.layers.read_table`),
completes the villages (:mod:`geo_env.io.villages`), reprojects everything into the
working CRS and checks where the layers lie (:mod:`geo_env.io.placement`), then builds
the :class:`~geo_env.io.district.District`.  :func:`check_project` reads each layer on its
own to list every problem at once.  The names of those modules that users import from
here (``District``, ``project_template`` …) stay importable from here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from .. import _progress
from .. import crs as _crs
from .._choices import BASEMAPS as BASEMAPS
from .._choices import LANGS as LANGS
from ..crs import FAR_OUTSIDE_M as FAR_OUTSIDE_M
from ..errors import GeoEnvError, GeoEnvWarning, ProjectFileError
from . import villages as villages_mod
from .checks import TABLE_SUFFIXES
from .district import LAYER_NAMES, District, _lonlat_centre
from .layers import read_database_layer, read_layer, read_table
from .placement import ANCHOR_OUTSIDE_M as ANCHOR_OUTSIDE_M
from .placement import WHOLE_LAYER_AWAY_M as WHOLE_LAYER_AWAY_M
from .placement import _anchors, _check_dem, _check_finite, _far_facilities, _far_villages
from .projectfile import MAX_PROJECT_BYTES as MAX_PROJECT_BYTES
from .projectfile import (
    _input_paths,
    _layer_sections,
    _params,
    _project_file,
    _project_table,
    _resolve,
    _toml_load,
    project_inputs,
    project_template,
    section_label,
)

__all__ = ["District", "LAYER_NAMES", "load_project", "check_project", "CheckReport", "project_template",
           "project_inputs"]


def _read(name: str, table: dict[str, Any], base: Path) -> gpd.GeoDataFrame | pd.DataFrame:
    """One section's layer; the village table (and a townships table) as a DataFrame."""
    if "url" in table:  # PostGIS
        db_opts: dict[str, Any] = {k: table[k] for k in ("table", "sql", "columns", "coords", "crs") if k in table}
        return read_database_layer(table["url"], kind=name, label=name, **db_opts)
    path = _resolve(base, table["path"])
    if name == "village_table" or (name == "townships" and path.suffix.lower() in TABLE_SUFFIXES
                                   and "x" not in table):
        opts: dict[str, Any] = {k: table[k] for k in ("sheet", "encoding", "columns") if k in table}
        return read_table(path, kind=name, label=name, **opts)
    opts = {k: table[k] for k in ("layer", "sheet", "encoding", "columns", "x", "y", "coords", "crs") if k in table}
    return read_layer(path, kind=name, label=name, **opts)


def _working_crs(value: Any, villages: gpd.GeoDataFrame, file: Path) -> pyproj.CRS:
    lon, lat = _lonlat_centre(villages)
    if value in (None, "auto"):
        return _crs.working_crs(lon, lat)
    try:
        the = _crs.projected_metric_crs(value)
        _crs.check_scale(the, lon, lat)
    except ProjectFileError as exc:
        message = exc.message if exc.message.startswith("crs =") else f"crs = {value!r} {exc.message}"
        raise ProjectFileError(f"[project] {message}", file=file, hint=exc.hint) from None
    return the


#: Parameters given per township ({ township name = value }): section, key, the parameter
#: whose limits apply, unit.  Checked once the villages' townships are known.
_TOWNSHIP_TABLES = (
    ("waste", "township_generation_kg_per_person_day", "generation_kg_per_person_day", "kg/(person·d)"),
    ("sewage", "township_growth_rates", "population_growth_rate", "share per year"),
)


def _township_tables(params: dict[str, dict[str, Any]], villages: gpd.GeoDataFrame, file: Path) -> None:
    """Every per-township table names townships the villages have, with values within the
    limits of its parameter (else a ParameterError naming the project file and the closest name)."""
    from .._validate import township_values
    from ..errors import ParameterError
    from ..standards import parameter

    towns = [str(t) for t in villages["township"].dropna().unique()]
    for section, key, like, unit in _TOWNSHIP_TABLES:
        table = (params.get(section) or {}).get(key) or {}
        try:
            township_values(dict(table), towns, where=f"[{section}] {key}", unit=unit,
                            limits=parameter(section, like).limits or (-np.inf, np.inf))
        except ParameterError as exc:
            raise ParameterError(exc.message, file=str(file), hint=exc.hint) from None


def load_project(path: str | Path, *, progress: _progress.Progress = None) -> District:
    """Read a project file and every layer it names into a :class:`District`.

    Parameters
    ----------
    path
        The ``project.toml``. Layer paths in it are relative to its folder.
    progress
        Called with each layer's name before it is read; or True / False: a progress bar
        shown / not shown (default: automatic, see :mod:`geo_env._progress`).

    Returns
    -------
    District
        Every layer validated and reprojected into the working CRS (``[project] crs``,
        default ``"auto"``: the CGCS2000 3° zone of the villages' centroid).

    Raises
    ------
    geo_env.GeoEnvError
        For any problem in the project file or the layers, naming the file, layer, column
        and row and what to do.
    """
    file = _project_file(Path(path))
    with warnings.catch_warnings(record=True) as toml_notes:  # kept with the layers' warnings
        warnings.simplefilter("always")
        data = _toml_load(file)
    proj = _project_table(data, file)
    lang = proj.get("lang", "zh")
    basemap = proj.get("basemap", "none")
    sections = _layer_sections(data, file)
    params = _params(data, sections, file)

    base = file.resolve().parent
    names = [name for name in sections if name != "dem"]
    with warnings.catch_warnings(record=True) as caught, \
            _progress.Steps("reading layers", total=len(names) + 1, progress=progress) as step:
        warnings.simplefilter("always")
        raw: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
        for name in names:
            step(name)
            raw[name] = _read(name, sections[name], base)
        step("checking")
        tables = {n: raw.pop(n) for n in list(raw) if not isinstance(raw[n], gpd.GeoDataFrame)}
        vpath = section_label(sections["villages"])
        if "village_table" in tables:
            raw["villages"] = villages_mod.join_village_table(raw["villages"], tables["village_table"], label=vpath,
                                                              table_label=section_label(sections["village_table"]))
        working = _working_crs(proj.get("crs", "auto"), raw["villages"], file)
        layers = {name: _crs.to_crs(gdf, working, label=section_label(sections[name])) for name, gdf in raw.items()}
        for name, gdf in layers.items():
            _check_finite(gdf, label=section_label(sections[name]))
        villages = villages_mod.complete_people(layers["villages"], params["villages"]["persons_per_household"],
                                                label=vpath)
        villages_mod.check_people(villages, label=vpath)
        villages = _anchors(villages, pyproj.CRS(raw["villages"].crs), sections["villages"].get("coords"),
                            layers.pop("village_points", None), working, label=vpath)
        townships = layers.pop("townships", None)
        villages = villages_mod.complete_townships(
            villages, townships if townships is not None else tables.get("townships"), label=vpath,
            township_label=section_label(sections["townships"]) if "townships" in sections else "townships")
        layers["villages"] = villages
        _township_tables(params, villages, file)
        far = _far_villages(villages, label=vpath)
        _far_facilities(villages.loc[~far], layers, {n: section_label(sections[n]) for n in layers if n in sections})
        dem = dem_nodata = dem_crs = None
        if "dem" in sections:
            dem, dem_nodata, dem_crs = _check_dem(sections["dem"], base, villages, file)
    messages: list[str] = []
    for w in [*toml_notes, *caught]:
        if issubclass(w.category, GeoEnvWarning):
            messages.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return District(
        name=str(proj.get("name") or file.parent.name),
        crs=working,
        dem=dem,
        dem_nodata=dem_nodata,
        dem_crs=dem_crs,
        params=params,
        lang=lang,
        basemap=basemap,
        source=file.resolve(),
        warnings=messages,
        inputs=_input_paths(file, sections),
        **{n: layers.get(n) for n in LAYER_NAMES},
    )


@dataclass
class CheckReport:
    """What ``geo-env check`` found: ``problems`` as (level, message), and ``info`` lines."""

    problems: list[tuple[str, str]] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    district: District | None = None

    @property
    def ok(self) -> bool:
        return not any(level == "error" for level, _ in self.problems)


def check_project(path: str | Path) -> CheckReport:
    """Read and validate every layer of a project; collect every problem; change nothing.

    Unlike :func:`load_project`, which stops at the first error, this reads each layer on
    its own so that one run lists the problems of all layers.
    """
    report = CheckReport()
    file = Path(path)

    def record(caught: list[warnings.WarningMessage]) -> None:
        for w in caught:
            if issubclass(w.category, GeoEnvWarning):
                item = ("warning", str(w.message))
                if item not in report.problems:
                    report.problems.append(item)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            file = _project_file(file)
            data = _toml_load(file)
            sections = _layer_sections(data, file)
        except GeoEnvError as exc:
            report.problems.append(("error", str(exc)))
    record(caught)
    if not report.ok:
        return report
    base = file.resolve().parent
    for name, table in sections.items():
        if name == "dem":
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                gdf = _read(name, table, base)
                report.info.append(f"{name}: {len(gdf)} feature(s), CRS {gdf.crs.name if gdf.crs else '?'}"
                                   if isinstance(gdf, gpd.GeoDataFrame) else f"{name}: {len(gdf)} row(s)")
            except GeoEnvError as exc:
                report.problems.append(("error", str(exc)))
        record(caught)
    if report.ok:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                d = load_project(file)
                report.district = d
                report.info.append(f"working CRS: EPSG:{d.crs.to_epsg()} ({d.crs.name})")
                report.info.extend(_network_lines(d))
                report.info.extend(_dem_lines(d))
            except GeoEnvError as exc:
                report.problems.append(("error", str(exc)))
        record(caught)
    return report


def _dem_lines(d: District) -> list[str]:
    """The DEM as the analyses read it, for ``geo-env check``: its cells and range; its
    fill values and the villages without an elevation come as warnings."""
    if d.dem is None:
        return []
    from ..terrain import anchor_elevations, read_dem

    xy = d.villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
    b = d.villages.total_bounds
    dem = read_dem(d.dem, nodata=d.dem_nodata, crs=d.crs, dem_crs=d.dem_crs,
                   bounds=(b[0], b[1], b[2], b[3]))
    z = anchor_elevations(dem, xy, d.villages["id"].to_numpy(), where=Path(d.dem).name)
    dx, dy = dem.cell_size
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(dem.values), np.nanmax(dem.values)
    return [f"dem: {Path(d.dem).name}, {abs(dx):g} × {abs(dy):g} m cells, elevations {lo:,.0f}–{hi:,.0f} m; "
            f"villages' anchors {np.nanmin(z):,.0f}–{np.nanmax(z):,.0f} m"
            if np.isfinite(z).any() else f"dem: {Path(d.dem).name}: no elevation at any village"]


def _network_lines(d: District) -> list[str]:
    """The road network's connected parts and dangling ends, for ``geo-env check``."""
    if d.roads is None:
        return []
    from ..network import RoadNetwork

    opts = d.params["roads"]
    net = RoadNetwork.from_lines(d.roads, snap_tolerance_m=opts["snap_tolerance_m"],
                                 node_crossings=opts["node_crossings"])
    rep = net.report()
    parts = ", ".join(f"{m / 1000:.1f} km" for m in rep["part_length_m"][:8])
    more = " …" if rep["parts"] > 8 else ""
    lines = [f"roads: {rep['length_m'] / 1000:.1f} km in {rep['parts']} connected part(s): {parts}{more}"]
    ends = rep["dangling_ends"]
    if ends:
        shown = "; ".join(f"road row {e['row']} at ({e['x']:.0f}, {e['y']:.0f}): gap {e['gap_m']:.1f} m"
                          + (" (joins another part)" if e["joins_other_part"] else "") for e in ends[:5])
        lines.append(f"roads: {len(ends)} dangling end(s) lie within {rep['larger_tolerance_m']:g} m of another "
                     f"line; a larger snap_tolerance_m in [layers.roads] would join them: {shown}"
                     + (" …" if len(ends) > 5 else ""))
    return lines
