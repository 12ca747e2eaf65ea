"""Province scale (``geo-env batch``): many county projects, each one a Dask task.

A province plans 100+ counties at once.  :func:`run_batch` runs every county's project
exactly as ``geo-env run`` does (:func:`geo_env.plan.run_project`), each as one task of a
Dask cluster — a :class:`distributed.LocalCluster` on this machine by default, or an
existing scheduler (``--scheduler tcp://host:8786``, see ``docs/province.md``) — and then
writes the province's own files.  The layout of the output folder ``DIR``:

``DIR/<county>/``
    each county's output folder, exactly what ``geo-env run`` writes (``<county>`` is the
    name of the folder holding its ``project.toml``, or the province file's ``folder``);
    plus the hidden ``.geo_env_batch.json`` (the inputs' content hash of its last good run);
``DIR/summary.json``
    the province: ``counties`` (one entry per county, in the province's order: ``folder
    project status error rerun input_sha256 seconds`` and the county's headline figures),
    the province's ``indicators`` (Σ numerators ÷ Σ denominators), ``totals`` and the
    manifest ``files``;
``DIR/province.xlsx``, ``DIR/province_map.html``, ``DIR/province.gpkg``
    indicator tables by county and by township; the overview map (counties as polygons,
    each a relative link to ``<county>/plan_map.html``); the counties' outlines with their
    figures, for QGIS.

The rules:

* **Failures stay with their county.**  A county whose input is bad (any
  :class:`~geo_env.errors.GeoEnvError`) or whose run breaks is reported (``status``
  ``failed`` and its one-line ``error``) and the others go on; its previous output, if
  any, stays as it was (each county's folder is one transaction).
* **Reruns skip unchanged counties.**  The content hash (sha256) of a county's project
  file, every file it names (a shapefile with its ``.dbf .shx .prj .cpg``; a folder with
  every file in it), the province's shared settings and the geo_env version is kept
  beside its outputs; a rerun with the same hash and a complete output folder (every file
  its ``summary.json`` lists, at its size) does not run it again (``rerun`` false).
  A county with a database layer (``url``: PostGIS) is always run again: the rows behind
  a URL have no bytes to hash, and a stale county would be a silent wrong answer.
* **Shared settings.**  A province file's ``[waste] [sewage] [livestock] [targets]``
  apply to every county, except for the keys a county's own project file sets.
* **One county per worker process.**  Python's warning filters, which collect a run's data
  warnings, belong to a process: a local cluster runs one thread per worker process, and a
  cluster inside this process (``processes=False``, for tests) runs one county at a time.

Dask is imported only here, inside the functions that need it (the ``province`` extra:
``pip install geo_env[province]``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from .errors import GeoEnvError, InputFileNotFoundError, ProjectFileError, closest

__all__ = ["County", "Province", "CountyJob", "BatchResult", "read_province", "find_counties", "input_hash",
           "run_county", "run_batch", "county_record", "dask_client", "SHARED_SECTIONS", "PROVINCE_FILES", "MARKER"]

log = logging.getLogger(__name__)

#: The sections of a province file that apply to every county (unless the county sets a key).
SHARED_SECTIONS = ("waste", "sewage", "livestock", "targets")
#: Keys of a province file's ``[province]`` table and of each ``[[counties]]`` entry.
_PROVINCE_KEYS = ("name", "lang")
_COUNTY_KEYS = ("project", "folder")
_TOP_KEYS = ("province", "counties", *SHARED_SECTIONS)
#: The province's own files in ``DIR`` (``summary.json`` last).
PROVINCE_FILES = ("province.xlsx", "province_map.html", "province.gpkg", "summary.json")
#: Each county folder's record of the inputs of its last good run.
MARKER = ".geo_env_batch.json"
#: Shapefile parts that belong to a ``.shp`` (hashed with it).
_SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg", ".SHX", ".DBF", ".PRJ", ".CPG")
#: How long to try to reach a scheduler given by ``--scheduler`` (s).
SCHEDULER_TIMEOUT_S = 10
#: Simplification of the counties' outlines on the overview map (m, working CRS).
OUTLINE_TOLERANCE_M = 100.0


@dataclass(frozen=True)
class County:
    """One county of a batch: its output sub-folder name and its project file."""

    folder: str
    project: Path


@dataclass(frozen=True)
class Province:
    """What a batch runs: the counties and the settings they share.

    ``shared``: per section of :data:`SHARED_SECTIONS`, the keys the province file sets
    (validated); ``source``: the province file, or the folder searched.
    """

    name: str
    source: Path
    counties: tuple[County, ...]
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)
    lang: str = "zh"


# --------------------------------------------------------------------------------------
# the province: a file, or a folder of county folders
# --------------------------------------------------------------------------------------
def read_province(path: str | Path) -> Province:
    """The province a path names: a province file (TOML), or a folder whose sub-folders
    each hold a ``project.toml`` (:func:`find_counties`).

    A province file::

        [province]
        name = "某省"        # optional (default: the file's folder name)
        lang = "zh"          # of the province's outputs: zh | en

        [[counties]]
        project = "县A/project.toml"   # relative to this file; a folder means its project.toml
        folder = "县A"                 # optional: DIR/<folder>/ (default: the project's folder name)

        [waste]                        # shared settings: [waste] [sewage] [livestock] [targets]
        service_radius_m = 2500

    Raises
    ------
    ProjectFileError
        Not valid TOML, an unknown key, no counties, two counties writing into one folder.
    """
    from .io.projectfile import _toml_load

    p = Path(path)
    if p.is_dir():
        return find_counties(p)
    if not p.is_file():
        raise InputFileNotFoundError("province file or folder not found", file=p,
                                     hint="give a province .toml, or a folder whose sub-folders hold project.toml")
    data = _toml_load(p)
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown_key(key, _TOP_KEYS, "the province file (top level)", p)
    head = data.get("province", {})
    if not isinstance(head, dict):
        raise ProjectFileError("[province] must be a table", file=p)
    for key in head:
        if key not in _PROVINCE_KEYS:
            raise _unknown_key(key, _PROVINCE_KEYS, "[province]", p)
    lang = head.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise ProjectFileError(f"[province] lang = {lang!r} is not one of zh, en", file=p)
    counties = tuple(_county_entry(entry, k, p) for k, entry in enumerate(_county_list(data, p), start=1))
    _check_folders(counties, p)
    return Province(name=str(head.get("name") or p.resolve().parent.name), source=p, counties=counties,
                    shared=_shared_settings(data, p), lang=lang)


def _unknown_key(key: str, valid: Sequence[str], where: str, file: Path) -> ProjectFileError:
    hint = closest(key, valid)
    return ProjectFileError(f"unknown key '{key}' in {where}", file=file,
                            hint=f"did you mean '{hint}'?" if hint else f"valid keys: {', '.join(valid)}")


def _county_list(data: Mapping[str, Any], file: Path) -> list[Any]:
    entries = data.get("counties")
    if not isinstance(entries, list) or not entries:
        raise ProjectFileError("lists no counties", file=file,
                               hint='add one [[counties]] block per county: project = "县A/project.toml"')
    return entries


def _county_entry(entry: Any, k: int, file: Path) -> County:
    """One ``[[counties]]`` block (or a plain path text) as a :class:`County`."""
    where = f"[[counties]] block {k}"
    if isinstance(entry, str):
        entry = {"project": entry}
    if not isinstance(entry, dict):
        raise ProjectFileError(f"{where} is neither a table nor a path", file=file,
                               hint='[[counties]]\nproject = "县A/project.toml"')
    for key in entry:
        if key not in _COUNTY_KEYS:
            raise _unknown_key(key, _COUNTY_KEYS, where, file)
    if not isinstance(entry.get("project"), str) or not entry["project"].strip():
        raise ProjectFileError(f"{where} has no 'project' (the county's project.toml)", file=file)
    project = Path(entry["project"]).expanduser()
    project = project if project.is_absolute() else file.resolve().parent / project
    if project.is_dir() or project.suffix.lower() != ".toml":
        project = project / "project.toml"
    folder = entry.get("folder") or project.parent.name
    if not isinstance(folder, str) or not _safe_folder(folder):
        raise ProjectFileError(f"{where}: folder = {folder!r} is not a plain folder name", file=file,
                               hint=_FOLDER_HINT)
    return County(folder=folder, project=project)


#: Names Windows keeps for devices (``CON``, ``NUL.txt`` … are no folders there).
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                              *(f"lpt{i}" for i in range(1, 10))})
_FOLDER_HINT = ('one name without / \\ : * ? " < > |, a leading dot, a trailing dot or space, '
                "or a Windows device name (CON, NUL, COM1 …)")


def _safe_folder(name: str) -> bool:
    """Whether ``name`` is one folder name every system keeps as written (Windows drops a
    trailing dot or space, so "县A." and "县A" would be one folder there)."""
    return (bool(name) and not name.startswith(".") and name == name.rstrip(". ")
            and not any(c in name for c in '/\\:*?"<>|') and all(ord(c) >= 32 for c in name)
            and name.split(".")[0].casefold() not in _WINDOWS_DEVICES)


def _check_folders(counties: Sequence[County], file: Path) -> None:
    seen: dict[str, County] = {}
    for c in counties:
        key = c.folder.casefold()  # one folder on Windows and macOS
        if key in seen:
            raise ProjectFileError(f"two counties would write into one folder '{c.folder}': {seen[key].project} "
                                   f"and {c.project}", file=file, hint="give one of them its own folder = \"…\"")
        seen[key] = c


def _shared_settings(data: Mapping[str, Any], file: Path) -> dict[str, dict[str, Any]]:
    """The keys each shared section of the province file sets, validated like a project's."""
    from .standards import validate_section

    shared: dict[str, dict[str, Any]] = {}
    for sec in SHARED_SECTIONS:
        table = data.get(sec, {})
        if not isinstance(table, dict):
            raise ProjectFileError(f"[{sec}] must be a table", file=file)
        checked = validate_section(sec, table, file=str(file))
        if table:
            shared[sec] = {k: checked[k] for k in table}
    return shared


def find_counties(folder: str | Path) -> Province:
    """Every ``*/project.toml`` under ``folder`` (one level down), by folder name.

    Raises
    ------
    InputFileNotFoundError
        When no sub-folder holds a ``project.toml``.
    """
    base = Path(folder)
    projects = sorted(p for p in base.glob("*/project.toml") if p.is_file() and not p.parent.name.startswith("."))
    bad = [p.parent.name for p in projects if not _safe_folder(p.parent.name)]
    if bad:  # never left out silently: a county missing from the province's figures is a wrong answer
        raise ProjectFileError(f"county folder name(s) {', '.join(map(repr, bad[:5]))} cannot be output folder "
                               "names on every system", file=base,
                               hint=f"rename the folder(s), or list the counties in a province .toml with "
                               f"folder = \"…\": {_FOLDER_HINT}")
    if not projects:
        raise InputFileNotFoundError("holds no county folder with a project.toml (looked for */project.toml)",
                                     file=base, hint="give the folder whose sub-folders are the counties, or a "
                                     "province .toml listing them")
    counties = tuple(County(folder=p.parent.name, project=p) for p in projects)
    _check_folders(counties, base)
    return Province(name=base.resolve().name, source=base, counties=counties)


# --------------------------------------------------------------------------------------
# shared settings and the content hash
# --------------------------------------------------------------------------------------
def apply_shared(district: Any, *, shared: Mapping[str, Mapping[str, Any]], project: Path) -> Any:
    """The district with the province's shared settings, where its project file sets none.

    A target the province sets counts as given (``targets._given``), as if the county's
    file set it.
    """
    from .io.projectfile import _toml_load

    if not shared:
        return district
    own = _toml_load(project)
    for sec, values in shared.items():
        table = own.get(sec)
        mine: dict[str, Any] = table if isinstance(table, dict) else {}
        overrides = {k: v for k, v in values.items() if k not in mine}
        if not overrides:
            continue
        if sec == "targets":
            given = set(district.params.get("targets", {}).get("_given", ()))
            overrides["_given"] = sorted(given | {k for k in overrides if not k.endswith("_year")})
        district = district.with_params(sec, **overrides)
    return district


def _input_files(project: Path) -> list[Path]:
    """The files whose bytes a county's results depend on (sorted, each once)."""
    from .io.project import project_inputs

    files: set[Path] = set()
    for path in project_inputs(project) or (project.resolve(),):
        if path.is_dir():
            files.update(p for p in path.rglob("*") if p.is_file())
            continue
        files.add(path)
        if path.suffix.lower() == ".shp":
            files.update(p for p in (path.with_suffix(ext) for ext in _SHAPEFILE_PARTS) if p.is_file())
    return sorted(files)


def input_hash(project: str | Path, *, settings: Mapping[str, Any] | None = None) -> str:
    """sha256 (hex) of a county's inputs: the geo_env version, ``settings`` (the shared
    settings and overrides, as JSON), and the name (relative to the project's folder),
    size and bytes of every input file (a missing file counts as missing)."""
    from . import __version__

    project = Path(project)
    project = project / "project.toml" if project.is_dir() else project
    base = project.resolve().parent
    h = hashlib.sha256()
    h.update(json.dumps({"geo_env": __version__, "settings": settings or {}}, sort_keys=True,
                        ensure_ascii=False, default=str).encode("utf-8"))
    for path in _input_files(project):
        name = path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
        h.update(b"\0" + name.encode("utf-8") + b"\0")
        try:
            with open(path, "rb") as fh:
                h.update(str(os.fstat(fh.fileno()).st_size).encode("ascii") + b"\0")
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()


def _complete(out: Path) -> bool:
    """Whether ``out`` holds a whole output: a ``summary.json`` whose files are all there,
    each at its listed size."""
    from .io.output import MANIFEST_KEY, SUMMARY

    try:
        listed = json.loads((out / SUMMARY).read_text(encoding="utf-8"))[MANIFEST_KEY]
        return bool(listed) and all((out / e["path"]).stat().st_size == e["bytes"] for e in listed)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def reads_database(project: str | Path) -> bool:
    """Whether the county's project file reads any layer from a database (``url``)."""
    from .io.projectfile import _layer_sections, _toml_load

    file = Path(project)
    file = file / "project.toml" if file.is_dir() else file
    if not file.is_file():
        return False
    return any("url" in table for table in _layer_sections(_toml_load(file), file).values())


def _unchanged(out: Path, digest: str) -> bool:
    try:
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("input_sha256") == digest and _complete(out)


# --------------------------------------------------------------------------------------
# one county (runs on a Dask worker)
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CountyJob:
    """Everything a worker needs to run one county (plain data: it travels to the worker)."""

    county: County
    out: Path
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)
    lang: str | None = None
    basemap: str | None = None
    force: bool = False

    def settings(self) -> dict[str, Any]:
        """What besides the files decides the county's outputs (part of its hash)."""
        return {"shared": self.shared, "lang": self.lang, "basemap": self.basemap}


def run_county(job: CountyJob) -> dict[str, Any]:
    """Run one county into ``job.out`` (or skip it when its inputs did not change) and
    return its record (see :mod:`geo_env.outputs.province`).  Never raises for the
    county's own failure: the record says ``status`` ``failed`` and the ``error``."""
    from .io import writers as _io
    from .plan import run_project

    t0 = time.perf_counter()
    record: dict[str, Any] = {"folder": job.county.folder, "project": str(job.county.project), "status": "failed",
                              "error": None, "rerun": True, "input_sha256": None, "seconds": None}
    try:
        with warnings.catch_warnings(record=True):  # in summary.json already; not on the worker's stderr
            warnings.simplefilter("always")
            digest = input_hash(job.county.project, settings=job.settings())
            record["input_sha256"] = digest
            if not job.force and not reads_database(job.county.project) and _unchanged(job.out, digest):
                record["rerun"] = False
            else:
                adjust = partial(apply_shared, shared=job.shared, project=job.county.project)
                run_project(job.county.project, job.out, lang=job.lang, basemap=job.basemap, adjust=adjust)
                _io.write_text(job.out / MARKER, json.dumps({"input_sha256": digest}) + "\n")
            record.update(county_record(job.out))
        record["status"] = "ok"
    except GeoEnvError as exc:
        record["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - one county's failure must not stop the province
        log.debug("county %s failed", job.county.folder, exc_info=True)
        record["error"] = f"unexpected {type(exc).__name__}: {exc}"
    record["seconds"] = round(time.perf_counter() - t0, 3)
    return record


def county_record(out: str | Path) -> dict[str, Any]:
    """A county's headline figures and outline, read from its output folder.

    From ``summary.json``: ``project_name crs villages townships population households
    warnings waste`` (coverage rates) ``sewage`` (villages per mode) ``indicators``
    (``baseline planned target target_year counts by_township``); from ``plan.gpkg``: the
    ``outline`` (the villages' union, simplified by :data:`OUTLINE_TOLERANCE_M`, GeoJSON in
    WGS84 lon/lat rounded to 1e-5°).
    """
    from .io.output import SUMMARY

    out = Path(out)
    s = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    waste = s.get("waste") if isinstance(s.get("waste"), dict) else {}
    sewage = s.get("sewage") if isinstance(s.get("sewage"), dict) else {}
    keep = ("baseline", "planned", "target", "target_year", "counts", "by_township", "not_assessed")
    return {
        "project_name": s.get("project"), "crs": s.get("crs"), "villages": (s.get("layers") or {}).get("villages"),
        "townships": s.get("townships"), "population": s.get("population"), "households": s.get("households"),
        "warnings": len(s.get("warnings") or []),
        "waste": {k: waste.get(k) for k in ("coverage_rate_villages", "coverage_rate_population")} if waste else None,
        "sewage": {m: b.get("villages") for m, b in (sewage.get("by_mode") or {}).items()} if sewage else None,
        "indicators": {k: {f: e.get(f) for f in keep} for k, e in (s.get("indicators") or {}).items()
                       if isinstance(e, dict)},
        "outline": _outline(out / "plan.gpkg"),
    }


def _outline(gpkg: Path) -> dict[str, Any] | None:
    """The villages' union as GeoJSON (WGS84 lon/lat), or None without a plan.gpkg."""
    import geopandas as gpd
    import numpy as np
    import pyogrio
    import shapely

    if not gpkg.is_file():
        return None
    v = pyogrio.read_dataframe(gpkg, layer="villages", columns=[])
    geoms = v.geometry.values
    if not len(geoms):
        return None
    shape: Any
    if np.isin(shapely.get_type_id(geoms), (0, 4)).all():  # point villages: their hull, 500 m wider
        shape = shapely.convex_hull(shapely.union_all(geoms)).buffer(500.0)
    else:
        shape = shapely.union_all(shapely.make_valid(geoms)).simplify(OUTLINE_TOLERANCE_M)
    lonlat = gpd.GeoSeries([shape], crs=v.crs).to_crs(4326).values[0]
    rounded = shapely.transform(lonlat, lambda xy: np.round(xy, 5))
    return json.loads(shapely.to_geojson(rounded))


# --------------------------------------------------------------------------------------
# the batch
# --------------------------------------------------------------------------------------
@dataclass
class BatchResult:
    """What :func:`run_batch` did: one record per county (the province's order), the
    province's ``summary.json`` content and the province files written."""

    records: list[dict[str, Any]]
    summary: dict[str, Any]
    written: list[Path]

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The records of the counties that failed."""
        return [r for r in self.records if r["status"] != "ok"]


@contextmanager
def dask_client(scheduler: str | None, workers: int | None, processes: bool, n_jobs: int) -> Iterator[Any]:
    """A :class:`distributed.Client`: of the scheduler at ``scheduler``, else of a new
    :class:`distributed.LocalCluster` (``workers`` processes of one thread; default: one
    per core, at most one per county; in-process: one worker of one thread)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the test extra installs it
        raise GeoEnvError("geo-env batch needs Dask (dask.distributed), which is not installed",
                          hint="pip install 'geo_env[province]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise GeoEnvError(f"cannot reach the Dask scheduler at {scheduler} ({exc})",
                              hint="start it (`dask scheduler`) and its workers, or leave out --scheduler to run "
                                   "on this machine") from None
        with client:
            yield client
        return
    n = 1 if not processes else max(1, min(workers or (os.cpu_count() or 1), n_jobs))
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def _check_outputs(province: Province, out: Path) -> None:
    """Before any county runs: no county's output folder may be, or hold, its project file
    (``geo-env batch FOLDER --out FOLDER``), nor the province folder the province file."""
    from .io.output import refuse_inputs

    for c in province.counties:
        refuse_inputs(out / c.folder, [c.project.resolve()])
    if province.source.is_file():
        refuse_inputs(out, [province.source.resolve()])


def run_batch(province: Province, out_dir: str | Path, *, scheduler: str | None = None,
              workers: int | None = None, processes: bool = True, force: bool = False,
              lang: str | None = None, basemap: str | None = None,
              progress: Callable[[dict[str, Any], int, int], None] | None = None) -> BatchResult:
    """Run every county of ``province`` as a Dask task, then write the province's files.

    Parameters
    ----------
    province
        From :func:`read_province` or :func:`find_counties`.
    out_dir
        ``DIR``: each county into ``DIR/<folder>/``, the province's files into ``DIR``.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); default: a local cluster.
        Its workers need geo_env and the same paths to the inputs and to ``DIR``.
    workers
        Worker processes of the local cluster (default: one per core).
    processes
        False: the local cluster runs inside this process, one county at a time (tests).
    force
        Run every county, even those whose inputs did not change.
    lang, basemap
        Override every county's ``[project] lang`` / ``basemap``.
    progress
        Called as each county ends with ``(record, done, total)``.

    Raises
    ------
    GeoEnvError
        Before any county runs (bad output folder, unreachable scheduler, lock held).  A
        county's own failure is never raised: see :attr:`BatchResult.failed`.
    """
    from .io.output import output_lock

    out = Path(out_dir)
    _check_outputs(province, out)
    jobs = [CountyJob(county=c, out=out / c.folder, shared=province.shared, lang=lang, basemap=basemap,
                      force=force) for c in province.counties]
    with output_lock(out):
        records = _run_jobs(jobs, scheduler=scheduler, workers=workers, processes=processes, progress=progress)
        summary, written = _write_province(province, out, records)
    return BatchResult(records=records, summary=summary, written=written)


def _run_jobs(jobs: Sequence[CountyJob], *, scheduler: str | None, workers: int | None, processes: bool,
              progress: Callable[[dict[str, Any], int, int], None] | None) -> list[dict[str, Any]]:
    """Submit one task per county, collect the records as they end (in the jobs' order)."""
    from distributed import as_completed

    records: dict[int, dict[str, Any]] = {}
    with dask_client(scheduler, workers, processes, len(jobs)) as client:
        futures = {client.submit(run_county, job, key=f"geo_env-county-{k}-{os.urandom(4).hex()}",
                                 pure=False, retries=0): k for k, job in enumerate(jobs)}
        for future in as_completed(futures):
            k = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker (memory?) fails its county only
                record = {"folder": jobs[k].county.folder, "project": str(jobs[k].county.project),
                          "status": "failed", "rerun": True, "input_sha256": None, "seconds": None,
                          "error": f"its Dask task failed ({type(exc).__name__}: {exc}); a worker that died "
                                   f"may have run out of memory"}
            records[k] = record
            if progress is not None:
                progress(record, len(records), len(jobs))
    return [records[k] for k in range(len(jobs))]


def _province_summary(province: Province, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    from . import __version__
    from .outputs.province import county_href, province_indicators

    def entry(r: dict[str, Any]) -> dict[str, Any]:
        e = {k: v for k, v in r.items() if k not in ("outline", "indicators")}
        e["indicators"] = {k: {f: v.get(f) for f in ("baseline", "planned", "target", "counts")}
                           for k, v in (r.get("indicators") or {}).items()}
        if r["status"] == "ok":
            e["map"], e["summary"] = county_href(r["folder"]), f"{r['folder']}/summary.json"
        return e

    ok = [r for r in records if r["status"] == "ok"]

    def total(key: str) -> int | None:
        known = [r[key] for r in ok if r.get(key) is not None]
        return int(sum(known)) if known else None

    return {
        "geo_env_version": __version__, "province": province.name, "source": str(province.source),
        "lang": province.lang, "shared_settings": province.shared,
        "counties_total": len(records), "counties_ok": len(ok), "counties_failed": len(records) - len(ok),
        "counties_skipped": sum(1 for r in ok if not r.get("rerun", True)),
        "totals": {k: total(k) for k in ("villages", "townships", "population", "households")},
        "indicators": province_indicators(records),
        "counties": [entry(r) for r in records],
    }


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _write_province(province: Province, out: Path, records: list[dict[str, Any]]
                    ) -> tuple[dict[str, Any], list[Path]]:
    """The province's files, written into ``out`` as one transaction (summary.json last)."""
    from .io import output as _output
    from .io import writers as _io
    from .outputs.province import write_province_map, write_province_report

    summary = _province_summary(province, records)
    previous = _output.previous_outputs(out, PROVINCE_FILES)
    for rel in sorted(set(previous) | set(PROVINCE_FILES)):
        _output.check_replaceable(out, rel)
    with _output.staging(out) as stage:
        write_province_report(records, stage / "province.xlsx", lang=province.lang, title=province.name)
        write_province_map(records, stage / "province_map.html", lang=province.lang, title=province.name)
        _io.write_gpkg(stage / "province.gpkg", {"counties": _counties_layer(records)})
        files = list(PROVINCE_FILES[:-1])
        summary[_output.MANIFEST_KEY] = _output.manifest(stage, files)
        text = json.dumps(_json_safe(summary), ensure_ascii=False, indent=2, allow_nan=False)
        _io.write_text(stage / _output.SUMMARY, text + "\n")
        _output.commit(out, stage, [*files, _output.SUMMARY], previous)
    return summary, [out / rel for rel in PROVINCE_FILES]


def _counties_layer(records: Sequence[dict[str, Any]]) -> Any:
    """The counties' outlines (WGS84) with the county table's columns, for province.gpkg."""
    import geopandas as gpd
    import shapely

    from .outputs.province import county_table

    table = county_table(records).iloc[:-1]  # not the province's total row
    geoms = [shapely.from_geojson(json.dumps(r["outline"])) if r.get("outline") else None for r in records]
    gdf = gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geoms, crs="EPSG:4326")
    gdf.columns = [str(c).replace(".", "_") for c in gdf.columns]
    return gdf.set_geometry("geometry")

