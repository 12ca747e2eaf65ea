"""The ``geo-env`` command (also ``python -m geo_env``): a thin layer over the library.

Exit status: 0 done; 2 bad input, bad project file or an output folder that cannot take the
files (one line on stderr: what, where, what to do; no traceback); 130 Ctrl-C; 1 anything
else (traceback only with ``--debug``).

``run`` and ``demo`` check the output folder before reading the layers (it must not hold an
input of the project) and before the analysis (no other run writing into it, no output
file open in Excel); the folder is then written as one transaction
(:meth:`geo_env.Plan.save`): the previous output stays whole unless every file is written.
Console output survives any console encoding (a GBK or ASCII console shows ``m^3/d``).
"""

from __future__ import annotations

import argparse
import codecs
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

from ._choices import BASEMAPS as _BASEMAPS
from ._choices import LANGS as _LANGS


def _common(*, top: bool) -> argparse.ArgumentParser:
    """The options every command takes, before or after its name (``geo-env -q run …`` and
    ``geo-env run … -q``); on the subcommands they default to "not given" so that an option
    before the name is not reset by the subcommand's parser."""
    c = argparse.ArgumentParser(add_help=False)
    kw: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    c.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors", **kw)
    c.add_argument("-q", "--quiet", action="store_true", help="print only errors and the final summary", **kw)
    c.add_argument("-v", "--verbose", action="store_true",
                   help="log what each step does (INFO) on stderr; warnings are always shown", **kw)
    return c


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(
        prog="geo-env", parents=[_common(top=True)],
        description="Rural living-environment planning (农村人居环境整治): waste collection coverage, "
        "sewage modes, livestock manure, offline briefing maps.",
    )
    p.add_argument("-V", "--version", action="version", version=f"geo-env {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    common = [_common(top=False)]

    def out_opts(sp: argparse.ArgumentParser, default: str | None) -> None:
        sp.add_argument("--out", metavar="DIR", default=default,
                        help=f"output folder (default: {default or 'maps/<project folder name>'})")
        sp.add_argument("--lang", choices=_LANGS, help="labels of maps and tables (default: the project's)")
        sp.add_argument("--basemap", choices=_BASEMAPS, help="map background tiles (default: the project's, else none)")

    demo = sub.add_parser("demo", parents=common, help="analyse the sample district")
    out_opts(demo, "maps/demo")
    run = sub.add_parser("run", parents=common, help="analyse a project")
    run.add_argument("project", metavar="PROJECT.toml")
    out_opts(run, None)
    check = sub.add_parser("check", parents=common, help="read and validate every layer; list problems; change nothing")
    check.add_argument("project", metavar="PROJECT.toml")
    batch = sub.add_parser("batch", parents=common, help="analyse many county projects (a province) as Dask tasks")
    batch.add_argument("province", metavar="PROVINCE.toml|FOLDER",
                       help="a province file listing county projects, or a folder of */project.toml")
    batch.add_argument("--out", metavar="DIR", required=True,
                       help="output folder: DIR/<county>/ per county, the province's files in DIR")
    batch.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler (default: a local cluster)")
    batch.add_argument("--workers", metavar="N", type=_positive_int, help="local worker processes (default: cores)")
    batch.add_argument("--force", action="store_true", help="run every county, even those whose inputs did not change")
    batch.add_argument("--lang", choices=_LANGS, help="labels of every county's outputs (default: each project's)")
    batch.add_argument("--basemap", choices=_BASEMAPS, help="map tiles of every county (default: each project's)")
    homes = sub.add_parser("households", parents=common, help="straight coverage of every building/household point (GeoParquet, Dask)")
    homes.add_argument("buildings", metavar="BUILDINGS", help="a (spatially partitioned) GeoParquet of points")
    homes.add_argument("--points", metavar="FILE", required=True, help="collection points or transfer stations")
    homes.add_argument("--out", metavar="DIR", required=True, help="GeoParquet folder to write")
    homes.add_argument("--radius-m", type=float, help="service radius in m (default: [waste] service_radius_m)")
    homes.add_argument("--by", metavar="COLUMN", help="count by this column (county, township)")
    homes.add_argument("--weight", metavar="COLUMN", help="households per point (default: 1)")
    homes.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler (default: a local cluster)")
    homes.add_argument("--workers", metavar="N", type=_positive_int, help="local worker processes (default: cores)")
    init = sub.add_parser("init", parents=common, help="write a commented project.toml template")
    init.add_argument("dir", metavar="DIR")
    schema = sub.add_parser("schema", parents=common,
                            help="print the project file's JSON Schema (for editors that validate TOML)")
    schema.add_argument("--out", metavar="FILE", help="write it to FILE instead of printing it")
    cmp = sub.add_parser("compare", parents=common, help="run two projects of one district and compare their plans")
    cmp.add_argument("project_a", metavar="A.toml")
    cmp.add_argument("project_b", metavar="B.toml")
    cmp.add_argument("--out", metavar="DIR", default="maps/compare", help="output folder (default: maps/compare)")
    cmp.add_argument("--names", nargs=2, metavar=("A", "B"), default=("A", "B"),
                     help="the two scenarios' names in tables and maps (default: A B)")
    cmp.add_argument("--lang", choices=_LANGS, help="labels of the map and tables (default: project A's)")
    return p


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return n


class _Console:
    """Progress and warnings on stderr, the summary on stdout."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.warned: list[str] = []

    def step(self, msg: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:5.1f}s] {msg}", file=sys.stderr, flush=True)

    def showwarning(self, message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        text = " ".join(str(message).split("\n"))
        self.warned.append(text)
        if not self.quiet:
            print(f"warning: {text}", file=sys.stderr, flush=True)


#: What a console that cannot show a character shows instead (else ``?``).
_CONSOLE_FALLBACK = {"×": "x", "–": "-", "—": "-", "…": "...", "·": ".",
                     **{sup: f"^{digit}" for digit, sup in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}}


def _console_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: ``m³`` → ``m^3``, ``×`` → ``x``, anything else → ``?``."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(_CONSOLE_FALLBACK.get(c, "?") for c in bad), exc.end


def _survive_console() -> None:
    """Let stdout and stderr print any text whatever the console's encoding.

    A Chinese Windows console (``cp936``/GBK), a redirected stream or ``PYTHONIOENCODING=ascii``
    cannot encode ``m³/d`` or ``10⁴``: such characters are replaced instead of raising
    :class:`UnicodeEncodeError` after the files were written.
    """
    codecs.register_error("geo_env_console", _console_fallback)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="geo_env_console")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``geo-env`` and ``python -m geo_env``; returns the exit status."""
    from . import _progress
    from .errors import GeoEnvWarning

    _survive_console()
    args = _parser().parse_args(argv)
    _logging(args)
    console = _Console(args.quiet)
    with warnings.catch_warnings():  # restores the filters and showwarning afterwards
        warnings.showwarning = console.showwarning  # one line each, no source line
        # notes about the data are shown, never raised (`python -W error` or a test's filter)
        warnings.simplefilter("default", GeoEnvWarning)
        with _progress.switch(False if args.quiet else None):  # -q silences the progress bars too
            return _main(args, console)


def _logging(args: argparse.Namespace) -> None:
    """geo_env's log on stderr: INFO and up with ``-v``, else WARNING and up (``-q``: ERROR)."""
    import logging

    level = logging.INFO if args.verbose else logging.ERROR if args.quiet else logging.WARNING
    log = logging.getLogger("geo_env")
    for h in [h for h in log.handlers if getattr(h, "_geo_env_cli", False)]:
        log.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler._geo_env_cli = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


def _main(args: argparse.Namespace, console: _Console) -> int:
    """The command, its errors turned into exit statuses."""
    try:
        if args.command == "init":
            return _init(Path(args.dir))
        if args.command == "check":
            return _check(Path(args.project), console)
        if args.command == "compare":
            return _compare(args, console)
        if args.command == "schema":
            return _schema(args)
        if args.command == "batch":
            return _batch(args, console)
        if args.command == "households":
            return _households(args, console)
        return _run(args, console)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `geo-env … | head`: the reader left; stop quietly like other tools
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # noqa: BLE001 - the CLI turns every error into an exit status
        from .errors import GeoEnvError

        if isinstance(exc, GeoEnvError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback, "
              f"and please report it)", file=sys.stderr)
        return 1


def _schema(args: argparse.Namespace) -> int:
    """Print (or write atomically) the project file's JSON Schema."""
    import json

    from .io.schema import project_schema
    from .io.writers import write_text

    text = json.dumps(project_schema(), ensure_ascii=False, indent=2) + "\n"
    if args.out:
        write_text(Path(args.out), text)
        print(f"wrote {args.out}; first line of project.toml: #:schema {Path(args.out).name}")
    elif sys.stdout.isatty() or not hasattr(sys.stdout, "buffer"):
        sys.stdout.write(text)
    else:  # `geo-env schema > file`: UTF-8, as editors read a schema, not the console's GBK
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    return 0


def _run(args: argparse.Namespace, console: _Console) -> int:
    import geo_env as ge

    from .plan import run_district, run_project

    if args.command == "demo":
        console.step("reading the sample district (synthetic data)")
        district = ge.sample_district()
        out = Path(args.out)
        if args.lang or args.basemap:
            from dataclasses import replace

            district = replace(district, lang=args.lang or district.lang, basemap=args.basemap or district.basemap)
        plan, written = run_district(district, out, progress=console.step)
    else:
        project = Path(args.project)
        folder = project if project.is_dir() else project.parent  # a folder names its project.toml
        out = Path(args.out) if args.out else Path("maps") / (folder.resolve().name or "out")
        plan, written = run_project(project, out, lang=args.lang, basemap=args.basemap, progress=console.step)
    _print_summary(plan, written, out)
    return 0


def _print_summary(plan, written: list[Path], out: Path) -> None:  # noqa: ANN001
    s = plan.summary
    zh = s.get("lang") == "zh"
    people = ("未知" if zh else "unknown") if s.get("population") is None else f"{s['population']:,}"
    if zh:
        print(f"{s['project']}：{s['townships']} 个乡镇（街道）、{s['layers'].get('villages', 0)} 个村，"
              f"人口 {people}；工作坐标系 {s['crs']}（{s['crs_name']}）")
    else:
        print(f"{s['project']}: {s['layers'].get('villages', 0)} villages in {s['townships']} townships, "
              f"population {people}; working CRS {s['crs']} ({s['crs_name']})")
    for line in _headlines(s, zh):
        print(line)
    print(f"已写出 {len(written)} 个文件到 {out}：" if zh else f"wrote {len(written)} file(s) to {out}:")
    for p in written:
        print(f"  {p}")
    if s.get("warnings"):
        n = len(s["warnings"])
        print(f"读取与分析时有 {n} 条警告，见 summary.json" if zh else
              f"{n} warning(s) while reading and analysing; see summary.json")


def _share(rate: float | None, zh: bool) -> str:
    """A rate as a percentage, or "not assessed" (no population known, nothing to divide)."""
    return ("未评估" if zh else "not assessed") if rate is None else f"{rate:.1%}"


def _headlines(s: dict, zh: bool) -> list[str]:
    """One line per analysis present in the summary, in the project's language."""
    lines = []
    w = s.get("waste")
    if isinstance(w, dict) and "coverage_rate_villages" in w:
        km = w["radius_m"] / 1000
        metric = {"road": "沿道路", "straight": "直线"}.get(w["metric"], w["metric"]) if zh else w["metric"]
        by_v, by_p = _share(w["coverage_rate_villages"], zh), _share(w["coverage_rate_population"], zh)
        if zh:
            line = f"垃圾收运：{km:g} km（{metric}）服务半径内村数占 {by_v}，人口占 {by_p}"
            if w.get("unreachable_villages"):
                line += f"；{w['unreachable_villages']} 个村无道路可达"
        else:
            line = f"waste: {by_v} of villages and {by_p} of population within {km:g} km ({metric})"
            if w.get("unreachable_villages"):
                line += f"; {w['unreachable_villages']} village(s) unreachable by road"
        lines.append(line)
        siting = w.get("siting")
        if isinstance(siting, dict) and siting.get("message"):
            lines.append(f"  {siting['message']}")
        lines += _chain_lines(w.get("chain"), zh)
    sw = s.get("sewage")
    if isinstance(sw, dict) and "by_mode" in sw:
        if zh:
            from .labels import label, value_label

            # existing works kept are named only where the project has a status baseline
            modes = "、".join(f"{value_label('sewage_mode', m, 'zh') if m == 'existing' else label(m, 'zh')} "
                             f"{b['villages']} 个村"
                             for m, b in sw["by_mode"].items() if m != "existing" or b["villages"])
            empty = (sw.get("no_population") or {}).get("villages", 0)
            unknown = (sw.get("population_unknown") or {}).get("villages", 0)
            modes += f"、无常住人口 {empty} 个村" if empty else ""
            modes += f"、人口不详未评估 {unknown} 个村" if unknown else ""
            lines.append(f"污水治理：{modes}；污水量 {sw['flow_m3_per_day']:,.0f} m³/d；"
                         f"年费用 {sw['cost_yuan_per_year'] / 1e4:,.0f} 万元")
        else:
            modes = ", ".join(f"{m} {b['villages']}" for m, b in sw["by_mode"].items()
                              if m != "existing" or b["villages"])
            empty = (sw.get("no_population") or {}).get("villages", 0)
            unknown = (sw.get("population_unknown") or {}).get("villages", 0)
            modes += f", no residents {empty}" if empty else ""
            modes += f", population unknown (not assessed) {unknown}" if unknown else ""
            lines.append(f"sewage: {modes} villages; {sw['flow_m3_per_day']:,.0f} m³/d; "
                         f"{sw['cost_yuan_per_year'] / 1e4:,.0f} × 10⁴ yuan/year")
    lv = s.get("livestock")
    if isinstance(lv, dict) and "farms" in lv:
        bad = (lv.get("flags") or {}).get("setback_not_ok", 0)
        balance = lv.get("balance")
        over = len(balance["overloaded_villages"]) if balance else None
        if zh:
            land = f"{over} 个村粪污超过土地承载力" if balance else "粪污土地承载力未评估（无耕地数据）"
            lines.append(f"畜禽养殖：{lv['farms']} 个养殖场，{lv['pig_equivalents']:,.0f} 猪当量；"
                         f"{bad} 个不满足防护距离；{land}")
        else:
            land = (f"{over} village(s) with more manure than their land takes" if balance
                    else "manure–land balance not assessed (no farmland data)")
            lines.append(f"livestock: {lv['farms']} farms, {lv['pig_equivalents']:,.0f} pig equivalents; "
                         f"{bad} break a setback; {land}")
    lines += _indicator_lines(s.get("indicators"), zh)
    return lines


def _chain_lines(c: Any, zh: bool) -> list[str]:
    """The waste chain in tonnes (t/d): generation, stations over capacity, haul, households, plan."""
    if not isinstance(c, dict) or "mass_balance" not in c:
        return []
    mb, over, share = c["mass_balance"], c.get("overloaded_stations") or [], c.get("households_within_collection_distance")
    haul = c.get("haul") or {}
    plan = c.get("plan") or {}
    new = plan.get("new_stations") or []
    if zh:
        line = (f"收运体系：产生 {mb['generation_t_per_day']:,.1f} t/d（高峰 {c['peak_generation_t_per_day']:,.1f}）；"
                f"进站 {mb['to_stations_t_per_day']:,.1f} t/d，{len(over)} 座转运站超负荷" + (f"（{'、'.join(over)}）" if over else ""))
        line += (f"；进处理设施 {mb['to_facilities_t_per_day']:,.1f} t/d，年转运 {haul['tonne_km_per_year'] / 1e4:,.1f} 万吨·公里"
                 if haul.get("assessed") else "；末端处理未评估（无处理设施图层）")
        line += f"；农户在收集点服务半径内 {share:.1%}" if share is not None else ""
        tail = "无转运站超负荷" if plan.get("feasible") else f"仍不可行：{plan.get('reason')}"
        plan_line = f"  规划：新增 {len(new)} 座转运站，投资 {plan.get('capex_wan', 0):,.0f} 万元；{tail}"
    else:
        line = (f"waste chain: {mb['generation_t_per_day']:,.1f} t/d generated (peak {c['peak_generation_t_per_day']:,.1f}); "
                f"{mb['to_stations_t_per_day']:,.1f} t/d into stations, {len(over)} over capacity"
                + (f" ({', '.join(over)})" if over else ""))
        line += (f"; {mb['to_facilities_t_per_day']:,.1f} t/d into treatment, {haul['tonne_km_per_year'] / 1e4:,.1f} × 10⁴ t·km/year"
                 if haul.get("assessed") else "; treatment not assessed (no facilities layer)")
        line += f"; {share:.1%} of households within the collection distance" if share is not None else ""
        tail = "no station over capacity" if plan.get("feasible") else f"still infeasible: {plan.get('reason')}"
        plan_line = f"  plan: {len(new)} new station(s), {plan.get('capex_wan', 0):,.0f} × 10⁴ yuan capex; {tail}"
    return [line, plan_line]


def _indicator_lines(ind: Any, zh: bool) -> list[str]:
    """The assessment indicators, baseline → planned (target), for the headline."""
    if not isinstance(ind, dict) or not ind:
        return []
    from .labels import label

    def pct(x: Any) -> str:
        return "—" if x is None else f"{x:.1%}"

    parts = []
    for key, e in ind.items():
        target = "" if e.get("target") is None else (
            f"（目标 {e['target']:.0%}，{e['target_year']}年）" if zh else f" (target {e['target']:.0%} by {e['target_year']})")
        parts.append(f"  {label(key, 'zh' if zh else 'en')}：{pct(e.get('baseline'))} → {pct(e.get('planned'))}{target}"
                     if zh else f"  {label(key, 'en')}: {pct(e.get('baseline'))} → {pct(e.get('planned'))}{target}")
    return ["考核指标（现状 → 规划）：" if zh else "indicators (baseline → planned):", *parts]


def _compare(args: argparse.Namespace, console: _Console) -> int:
    """``geo-env compare``: both projects run as ``run`` runs one, then compared; the output
    folder checked before any layer is read and before the analyses."""
    from .comparison import checked_names, compare, plan_project, prepare_out, project_errors
    from .io import output as _output
    from .io.project import project_inputs

    out, names = Path(args.out), checked_names(args.names)  # before minutes of analysis, not after
    projects = (Path(args.project_a), Path(args.project_b))
    for project, name in zip(projects, names):
        with project_errors(project, name):
            _output.refuse_inputs(out, project_inputs(project))  # before reading any layer
    with _output.output_lock(out):
        prepare_out(out)  # a compare.xlsx open in Excel stops the run now, not after the analyses
        plans = [plan_project(project, name, lang=args.lang, progress=console.step)
                 for project, name in zip(projects, names)]
        cmp = compare(plans[0], plans[1], names=names)
        written = cmp.save(out, progress=lambda name: console.step(f"writing {name}"))
    zh = cmp.lang == "zh"
    for line in _compare_lines(cmp.summary, zh):
        print(line)
    print(f"已写出 {len(written)} 个文件到 {out}：" if zh else f"wrote {len(written)} file(s) to {out}:")
    for p in written:
        print(f"  {p}")
    return 0


def _compare_lines(s: dict, zh: bool) -> list[str]:
    """The headline of a comparison: villages changed, capex A → B, O&M A → B."""
    from .labels import label

    a, b = s["names"]
    v, t = s["villages"], s["totals"]
    kinds = ("、" if zh else ", ").join(f"{label(f'change.{k}', 'zh' if zh else 'en').format(a=a, b=b)} {n}"
                                       for k, n in v["by_change"].items() if n)
    cap, om = t["capex_wan"], t["om_wan_per_year"]
    if zh:
        return [f"方案对比 {a} → {b}：{v['all']} 个村中 {v['changed']} 个村的治理决策变化{('（' + kinds + '）') if kinds else ''}",
                f"总投资：{cap['a']:,.0f} → {cap['b']:,.0f} 万元（{cap['delta']:+,.0f}）",
                f"年运行维护费：{om['a']:,.1f} → {om['b']:,.1f} 万元/年（{om['delta']:+,.1f}）"]
    return [f"compare {a} → {b}: {v['changed']} of {v['all']} villages changed their sewage decision"
            f"{(' (' + kinds + ')') if kinds else ''}",
            f"capex: {cap['a']:,.0f} → {cap['b']:,.0f} × 10⁴ yuan ({cap['delta']:+,.0f})",
            f"O&M: {om['a']:,.1f} → {om['b']:,.1f} × 10⁴ yuan/year ({om['delta']:+,.1f})"]


def _batch(args: argparse.Namespace, console: _Console) -> int:
    from .batch import read_province, run_batch

    province = read_province(Path(args.province))
    where = f"the Dask scheduler at {args.scheduler}" if args.scheduler else "a local Dask cluster"
    console.step(f"{province.name}: {len(province.counties)} counties from {province.source}, on {where}")

    def progress(r: dict[str, Any], done: int, total: int) -> None:
        if r["status"] != "ok":
            console.step(f"{done}/{total} {r['folder']}: failed: {r['error']}")
        elif not r.get("rerun", True):
            console.step(f"{done}/{total} {r['folder']}: inputs unchanged, not run again")
        else:
            console.step(f"{done}/{total} {r['folder']}: done in {r['seconds']:.1f} s ({r.get('villages')} villages)")

    result = run_batch(province, Path(args.out), scheduler=args.scheduler, workers=args.workers, force=args.force,
                       lang=args.lang, basemap=args.basemap, progress=progress)
    _print_batch(result.summary, result.written, province.lang == "zh")
    for r in result.failed:
        print(f"error: {r['folder']}: {r['error']}", file=sys.stderr)
    return 2 if result.failed else 0


def _print_batch(s: dict, written: list[Path], zh: bool) -> None:
    t = s["totals"]
    people = "—" if t.get("population") is None else f"{t['population']:,}"
    if zh:
        print(f"{s['province']}：{s['counties_ok']}/{s['counties_total']} 个县（区）完成（其中 {s['counties_skipped']} 个"
              f"输入未变、未重算），{s['counties_failed']} 个失败；{t.get('villages') or 0} 个村，人口 {people}")
    else:
        print(f"{s['province']}: {s['counties_ok']} of {s['counties_total']} counties done ({s['counties_skipped']} "
              f"unchanged, not run again), {s['counties_failed']} failed; {t.get('villages') or 0} villages, "
              f"population {people}")
    for line in _indicator_lines(s.get("indicators"), zh):
        print(line)
    print(f"已写出 {len(written)} 个全省文件：" if zh else f"wrote {len(written)} province file(s):")
    for p in written:
        print(f"  {p}")


def _households(args: argparse.Namespace, console: _Console) -> int:
    from .analysis.households import household_coverage
    from .batch import dask_client
    from .io.layers import read_layer

    points = read_layer(Path(args.points), kind="transfer_stations", label="collection_points")
    console.step(f"{len(points)} collection points from {args.points}")
    with dask_client(args.scheduler, args.workers, processes=True, n_jobs=args.workers or os.cpu_count() or 1) as c:
        res = household_coverage(Path(args.buildings), points, Path(args.out), radius_m=args.radius_m, by=args.by,
                                 weight=args.weight, client=c)
    console.step(f"{res.partitions} partitions done")
    with _wide_pandas():
        print(res.table.to_string(float_format=lambda x: f"{x:,.3f}"))
    print(f"wrote {res.out} (GeoParquet: the buildings with collection_point_id, collection_distance_m, "
          f"collection_covered; radius {res.radius_m:g} m)")
    return 0


def _wide_pandas() -> Any:
    import pandas as pd

    return pd.option_context("display.width", 160, "display.max_columns", 20)


def _check(project: Path, console: _Console) -> int:
    from .io.project import check_project

    report = check_project(project)
    for level, msg in report.problems:
        print(f"{level}: {msg}")
    for line in report.info:
        print(line)
    errors = sum(1 for level, _ in report.problems if level == "error")
    warns = sum(1 for level, _ in report.problems if level == "warning")
    print(f"{project}: {errors} error(s), {warns} warning(s)")
    return 2 if errors else 0


def _init(folder: Path) -> int:
    from .errors import GeoEnvError
    from .io import writers as _io
    from .io.project import project_template

    target = folder / "project.toml"
    if target.exists():
        raise GeoEnvError("already exists; not overwritten", file=target,
                          hint="choose another folder or edit the existing file")
    import json

    from .io.schema import project_schema

    # the schema beside the template: editors that read `#:schema` (taplo, Even Better TOML)
    # check the file as it is typed
    schema = folder / "project.schema.json"
    kept = schema.exists()  # never overwritten either
    if not kept:
        _io.write_text(schema, json.dumps(project_schema(), ensure_ascii=False, indent=2) + "\n")
    _io.write_text(target, "#:schema ./project.schema.json\n" + project_template())
    print(f"wrote {target}: fill in the layer paths and column names, then run `geo-env check {target}`")
    if kept:
        print(f"kept the existing {schema} (`geo-env schema --out {schema}` writes the current one)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
