"""Stress geo_env with the mutation corpus and count the outcomes (no benchmark figures).

The acceptance tool of the reliability issue: every case of ``benchmarks/_mutations.py``
mutates a fresh copy of the sample district (``data/sample/``), runs ``geo-env check`` or
``geo-env run`` on it (or a fault: Ctrl-C while writing, two runs into one folder, a FIFO
as a layer …) and is judged against what a CORRECT geo_env must do.  Target: 0 crashes,
0 silent wrong results, 0 data loss.

Outcome classes:

``clear-error``    exit 2 with one ``error:`` line saying where (file, layer, column, row/id)
                   — and an error was a right answer
``warned``         exit 0 with the expected warning (on the console and, for ``run``, in
                   summary.json ``warnings``) and the figures checked right
``ok``             exit 0 and the figures checked right (or: a fault left the output
                   folder consistent)
``crash``          exit status not 0 or 2, a traceback, a timeout, or "error: unexpected …"
``silent-wrong``   exit 0 but the expected error or warning is missing, or a figure of
                   summary.json / an output file is wrong
``data-loss``      an input file changed; a file written outside the case folder; in the
                   output folder a user's file damaged, or the previous good output mixed
                   with a partial new one
``unclear-error``  exit 2 but the message does not say where (or several error lines)
``refused``        exit 2 where the issue asks geo_env to go on (with a fallback, a warning)

Exit status 0 only when there is no crash, silent-wrong, data-loss, unclear-error or
refused case.

Usage::

    python benchmarks/stress_mutations.py              # the whole corpus, 2 jobs
    python benchmarks/stress_mutations.py --list       # the cases and what each expects
    python benchmarks/stress_mutations.py --only 'blank|dem' --keep --json out.json
    python benchmarks/stress_mutations.py --build DIR  # write the mutated districts only

Each child runs with a 3 GB address-space limit (a /dev/zero or a zip bomb read whole
must fail, not take the shared machine down) and a timeout (120 s; 30–60 s for special
files).  Runtime: a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _mutations as M  # noqa: E402

CLASSES = ("clear-error", "warned", "ok", "crash", "silent-wrong", "data-loss", "unclear-error", "refused")
FAILING = ("crash", "silent-wrong", "data-loss", "unclear-error", "refused")
AS_LIMIT = 3 * 2 ** 30
MUTATE_LOCK = threading.Lock()
#: Output files of ``run`` that are geo_env's (relative to the output folder); filled from the baseline.
OUTPUTS: set[str] = set()
LOCK_KW = re.compile(r"(?i)lock|another|running|in use|busy|concurrent|正在|占用|锁|其他")


def geo_env_command() -> list[str]:
    """``python -m geo_env`` when the package has a ``__main__``, else the ``geo-env``
    script next to this interpreter."""
    with contextlib.suppress(ImportError, ValueError):
        if importlib.util.find_spec("geo_env.__main__") is not None:
            return [sys.executable, "-m", "geo_env"]
    script = Path(sys.executable).parent / "geo-env"
    return [str(script)] if script.exists() else [sys.executable, "-m", "geo_env"]


# ---------------------------------------------------------------------------------------
# running one child
# ---------------------------------------------------------------------------------------


@dataclass
class Proc:
    rc: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    signalled: str | None = None
    started: float = 0.0                      # time.time() at start and end
    ended: float = 0.0
    lines: list[tuple[float, str]] = field(default_factory=list)  # (time.time(), stderr line)


def launch(cmd: list[str], *, env: dict[str, str], timeout: float, cwd: Path, fsize: int | None = None,
           signal_on: dict[str, Any] | None = None, start_delay: float = 0.0) -> Proc:
    """Run ``cmd``; optionally send a signal when a stderr line matches ``signal_on["after"]``
    (or ``signal_on["fallback_s"]`` seconds after the start)."""
    if start_delay:
        time.sleep(start_delay)

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # writes fail with EFBIG instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
                "MPLBACKEND": "Agg", **env}
    enc = full_env.get("PYTHONIOENCODING", "utf-8").split(":")[0] or "utf-8"
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         env=full_env, cwd=cwd, preexec_fn=limits, start_new_session=True)
    started = time.time()
    out_chunks: list[bytes] = []
    err_lines: list[bytes] = []
    err_times: list[float] = []

    def read_out() -> None:
        out_chunks.append(p.stdout.read())

    def read_err() -> None:
        for line in iter(p.stderr.readline, b""):
            err_times.append(time.time())
            err_lines.append(line)

    threads = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
    for t in threads:
        t.start()
    timed_out = False
    sent = None
    pattern = re.compile(signal_on["after"]) if signal_on else None
    while p.poll() is None:
        elapsed = time.perf_counter() - t0
        if signal_on and sent is None:
            text = b"".join(err_lines).decode(enc, "replace")
            fallback = signal_on.get("fallback_s")
            if pattern.search(text) or (fallback and elapsed > fallback):
                time.sleep(signal_on.get("delay", 0.2))
                sig = getattr(signal, signal_on["signal"])
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, sig)
                sent = signal_on["signal"] + ("" if pattern.search(text) else " (fallback time)")
        if elapsed > timeout:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    p.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, signal.SIGKILL)  # anything the child left running
    for t in threads:
        t.join(timeout=5)
    ended = time.time()
    return Proc(p.returncode, b"".join(out_chunks).decode(enc, "replace"),
                b"".join(err_lines).decode(enc, "replace"), time.perf_counter() - t0, timed_out, sent,
                started, ended, [(t, ln.decode(enc, "replace")) for t, ln in zip(err_times, err_lines)])


# ---------------------------------------------------------------------------------------
# snapshots of folders (inputs, output folder)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    kind: str
    digest: str
    ino: int
    mtime: int


def snapshot(folder: Path, skip: Path | None = None) -> dict[str, Entry]:
    """Every entry under ``folder`` (not following links) by relative path; big files by
    size and time only."""
    out: dict[str, Entry] = {}
    if not folder.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        d = Path(dirpath)
        if skip is not None and (d == skip or skip in d.parents):
            dirnames[:] = []
            continue
        for name in filenames + [n for n in dirnames if (d / n).is_symlink()]:
            p = d / name
            rel = str(p.relative_to(folder))
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = Entry("link", os.readlink(p), st.st_ino, st.st_mtime_ns)
            elif not stat.S_ISREG(st.st_mode):
                out[rel] = Entry("special", oct(st.st_mode), st.st_ino, st.st_mtime_ns)
            elif st.st_size > 256 * 2 ** 20:
                out[rel] = Entry("big", str(st.st_size), st.st_ino, st.st_mtime_ns)
            else:
                h = hashlib.sha256()
                with open(p, "rb") as fh:
                    for chunk in iter(lambda: fh.read(2 ** 20), b""):
                        h.update(chunk)
                out[rel] = Entry("file", h.hexdigest(), st.st_ino, st.st_mtime_ns)
        if skip is not None:
            dirnames[:] = [n for n in dirnames if (d / n) != skip]
    return out


def _visible(snap: dict[str, Entry]) -> dict[str, Entry]:
    """Without hidden files (temporary files of an atomic write, a lock file)."""
    return {k: v for k, v in snap.items() if not any(part.startswith(".") for part in Path(k).parts)}


def output_state(before: dict[str, Entry], after: dict[str, Entry], expected: set[str]) -> tuple[bool, bool, str]:
    """(old output intact, new output complete, what is mixed)."""
    before, after = _visible(before), _visible(after)
    old = [p for p in before if p in OUTPUTS]
    intact = all(p in after and after[p].digest == before[p].digest for p in old)
    rewritten = {p for p in expected if p in after and after[p].kind == "file"
                 and (p not in before or (after[p].ino, after[p].mtime) != (before[p].ino, before[p].mtime))}
    complete = rewritten == expected
    kept = sorted(p for p in expected if p in after and p not in rewritten)
    missing = sorted(p for p in expected if p not in after)
    detail = (f"rewritten: {', '.join(sorted(rewritten)) or '-'}; old: {', '.join(kept) or '-'}"
              + (f"; missing: {', '.join(missing)}" if missing else ""))
    return intact, complete, detail


def user_files_damaged(before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    return [p for p, e in before.items() if p not in OUTPUTS and not p.startswith(".")
            and (p not in after or after[p].digest != e.digest)]


# ---------------------------------------------------------------------------------------
# one case
# ---------------------------------------------------------------------------------------


@dataclass
class Result:
    """What a check function of the corpus sees."""

    case: M.Case
    command: str
    rc: int | None
    stdout: str
    stderr: str
    out: Path
    baseline: dict[str, Any]
    summary: dict[str, Any] | None = None
    seconds: float = 0.0
    timed_out: bool = False
    data_loss: list[str] = field(default_factory=list)
    fault: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    name: str
    group: str
    command: str
    expect: str
    cls: str
    reason: str
    seconds: float
    folder: str | None = None


def prepare(case: M.Case, session: Path, baseline_out: Path | None) -> M.Ctx:
    # a neutral folder name: messages quote paths, and the case name must not match a regex
    root = Path(tempfile.mkdtemp(prefix="case-", dir=session))
    proj = root / "district"
    shutil.copytree(M.SAMPLE, proj, symlinks=True)
    ctx = M.Ctx(root=root, proj=proj, out=root / "out")
    if case.prior_output and baseline_out is not None:
        # the previous good output, and the planner's own file beside it
        shutil.copytree(baseline_out, ctx.out)
        (ctx.out / "notes.docx").write_bytes(b"PK\x03\x04 the planner's own notes")
        # a changed parameter, so that a mix of old and new files is visible in their bytes
        ctx.sub("service_radius_m = 3000", "service_radius_m = 2500")
    with MUTATE_LOCK:  # GDAL/openpyxl work in this process: one mutation at a time
        case.mutate(ctx)
    return ctx


def _cmd(case: M.Case, ctx: M.Ctx, ge: list[str]) -> list[str]:
    project = str(ctx.project_arg or ctx.toml_path)
    out = str(ctx.out_arg or ctx.out)
    if case.command in ("check", "module-check"):
        base = [sys.executable, "-m", "geo_env"] if case.command == "module-check" else ge
        return [*base, "check", project]
    if case.command == "demo":
        return [*ge, "demo", "--out", out]
    if case.command == "api":
        return [sys.executable, "-c", case.fault["code"], project]
    return [*ge, "run", project, "--out", out]


def run_case(case: M.Case, session: Path, baseline: dict[str, Any], baseline_out: Path, ge: list[str],
             keep: bool) -> Outcome:
    t0 = time.perf_counter()
    try:
        ctx = prepare(case, session, baseline_out)
    except Exception as exc:  # noqa: BLE001 - a broken mutation is reported, not fatal
        return Outcome(case.name, case.group, case.command, case.expect.describe(), "crash",
                       f"MUTATION FAILED (a bug of the corpus): {type(exc).__name__}: {exc}", 0.0)
    inputs_before = snapshot(ctx.proj, skip=ctx.out)
    out_before = snapshot(ctx.out)
    root_before = set(os.listdir(ctx.root))
    res = Result(case, case.command, None, "", "", ctx.out_arg or ctx.out, baseline)
    try:
        if case.fault.get("lock"):
            _run_lock(case, ctx, ge, res)
        else:
            proc = launch(_cmd(case, ctx, ge), env=ctx.env, timeout=case.timeout, cwd=ctx.root,
                          fsize=case.fault.get("fsize"),
                          signal_on=case.fault if "signal" in case.fault else None)
            res.rc, res.stdout, res.stderr, res.seconds, res.timed_out = (
                proc.rc, proc.stdout, proc.stderr, proc.seconds, proc.timed_out)
            res.fault["signalled"] = proc.signalled
        summary_path = Path(res.out) / "summary.json"
        if case.command in ("run", "demo", "fault") and summary_path.is_file():
            with contextlib.suppress(ValueError, OSError):
                res.summary = json.loads(summary_path.read_text("utf-8"))
        # data loss: inputs, files outside, the output folder
        after = snapshot(ctx.proj, skip=ctx.out)
        for rel, e in inputs_before.items():
            if rel not in after:
                res.data_loss.append(f"input {rel} removed")
            elif after[rel].digest != e.digest or after[rel].kind != e.kind:
                res.data_loss.append(f"input {rel} changed")
        new_outside = set(os.listdir(ctx.root)) - root_before - {"out"}
        if ctx.out_arg != ctx.root and new_outside:
            res.data_loss.append(f"written outside the project and output folders: {', '.join(sorted(new_outside))}")
        out_after = snapshot(ctx.out) if out_before else {}
        damaged = user_files_damaged(out_before, out_after)
        if damaged:
            res.data_loss.append(f"user file(s) in the output folder damaged or removed: {', '.join(damaged)}")
        if case.prior_output:
            expected = OUTPUTS - set(case.fault.get("not_written", ()))
            intact, complete, detail = output_state(out_before, out_after, expected)
            res.fault.update(intact=intact, complete=complete, detail=detail)
            if res.rc == 0 and not complete:
                res.data_loss.append(f"exit 0 but the output folder is not one complete new output ({detail})")
            elif res.rc != 0 and not (intact or complete):
                res.data_loss.append(f"the previous output is neither intact nor replaced by a complete one ({detail})")
        cls, reason = judge(case, res)
    except Exception as exc:  # noqa: BLE001
        cls, reason = "crash", f"RUNNER FAILED (a bug of this script): {type(exc).__name__}: {exc}"
    folder = str(ctx.root) if keep else None
    if not keep:
        shutil.rmtree(ctx.root, ignore_errors=True)
    return Outcome(case.name, case.group, case.command, case.expect.describe(), cls, reason,
                   time.perf_counter() - t0, folder)


def _run_lock(case: M.Case, ctx: M.Ctx, ge: list[str], res: Result) -> None:
    """Two runs into one folder: the second (--lang en) starts 1 s after the first."""
    cmd = [*ge, "run", str(ctx.toml_path), "--out", str(ctx.out)]
    procs: list[Proc | None] = [None, None]

    def go(i: int) -> None:
        procs[i] = launch(cmd + (["--lang", "en"] if i else []), env=ctx.env, timeout=case.timeout,
                          cwd=ctx.root, start_delay=1.0 * i)

    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = procs
    res.rc = a.rc if a.rc != 0 else b.rc
    res.stdout = a.stdout + "\n---- second run ----\n" + b.stdout
    res.stderr = a.stderr + "\n---- second run ----\n" + b.stderr
    res.seconds = max(a.seconds, b.seconds + 1.0)
    res.timed_out = a.timed_out or b.timed_out
    res.fault["runs"] = [(a.rc, a.stderr), (b.rc, b.stderr)]
    res.fault["windows"] = [_write_window(a), _write_window(b)]


def _write_window(p: Proc) -> tuple[float, float] | None:
    """When a run wrote into the output folder: from its first "writing …" progress line to
    its end (None when it wrote nothing or shows no progress)."""
    for t, line in p.lines:
        if re.search(r"\bwriting\b", line):
            return (t, p.ended)
    return None


def _error_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith("error:")]


def _warning_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith("warning:")]


def _matches(text: str, need: tuple[str, ...]) -> bool:
    return all(re.search(n, text) for n in need)


def _crash_reason(rc: int | None, out: str, err: str, timed_out: bool, ok_rcs: set[int]) -> str | None:
    if timed_out:
        return "timeout"
    if "Traceback (most recent call last)" in out + err:
        last = [ln for ln in err.splitlines() if ln.strip()][-1:] or [""]
        return f"traceback: {last[0][:160]}"
    m = re.search(r"^error: unexpected .*$", err, re.M)
    if m:
        return m.group(0)[:200]
    if rc not in ok_rcs:
        tail = [ln for ln in err.splitlines() if ln.strip()][-1:] or [""]
        return f"exit {rc}: {tail[0][:160]}"
    return None


def _lang_of_outputs(out: Path) -> dict[str, str | None]:
    """The language each output file was written in (zh | en | None when it cannot tell)."""
    langs: dict[str, str | None] = {}
    with contextlib.suppress(Exception):
        langs["summary.json"] = json.loads((out / "summary.json").read_text("utf-8")).get("lang")
    with contextlib.suppress(Exception):
        import openpyxl

        wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
        names = "".join(wb.sheetnames)
        wb.close()
        langs["report.xlsx"] = "zh" if re.search(r"[\u4e00-\u9fff]", names) else "en"
    with contextlib.suppress(Exception):
        html = (out / "plan_map.html").read_text("utf-8", "replace")
        langs["plan_map.html"] = ("zh" if "农村人居环境整治规划图" in html else
                                  "en" if "rural living-environment plan map" in html else None)
    return langs


def judge(case: M.Case, r: Result) -> tuple[str, str]:
    exp = case.expect
    if r.data_loss:
        return "data-loss", "; ".join(r.data_loss)
    if case.command == "fault":
        return _judge_fault(case, r)
    crash = _crash_reason(r.rc, r.stdout, r.stderr, r.timed_out, {0, 2})
    if crash:
        return "crash", crash
    console = r.stderr if case.command != "check" else r.stdout + "\n" + r.stderr
    if r.rc == 2:
        lines = _error_lines(console)
        first = (lines[0] if lines else r.stderr.strip().splitlines()[-1:] or [""])[:220]
        if "error" not in exp.kinds:
            return "refused", f"exit 2 where the issue asks for {exp.describe()}: {first}"
        if not lines:
            return "unclear-error", "exit 2 without an 'error:' line"
        if case.command != "check" and len(lines) > 1:
            return "unclear-error", f"{len(lines)} error lines: {first}"
        if not any(_matches(ln, exp.need) for ln in lines):
            return "unclear-error", f"does not say where/what ({' & '.join(exp.need)[:120]}): {first}"
        return "clear-error", first
    # exit 0
    if exp.check is not None:
        reason = exp.check(r)
        if reason:
            return "silent-wrong", reason
    if "warn" in exp.kinds:
        warned = [ln for ln in _warning_lines(console) if _matches(ln, exp.need)]
        if warned:
            if case.command in ("run", "demo"):
                kept = (r.summary or {}).get("warnings") or []
                if not any(_matches(str(w), exp.need) for w in kept):
                    return "silent-wrong", f"warned on the console but not in summary.json warnings: {warned[0][:160]}"
            return "warned", warned[0][:220]
        if "ok" in exp.kinds:
            return "ok", "exit 0" + (", figures as expected" if exp.check else "")
        shown = "; ".join(w[:100] for w in _warning_lines(console)[:2]) or "no warnings"
        return "silent-wrong", f"exit 0 without the expected warning ({shown})"
    if "ok" in exp.kinds:
        return "ok", "exit 0" + (", figures as expected" if exp.check else "")
    shown = "; ".join(w[:100] for w in _warning_lines(console)[:2]) or "no warnings"
    return "silent-wrong", f"exit 0 where an error is expected ({shown})"


def _judge_fault(case: M.Case, r: Result) -> tuple[str, str]:
    if case.fault.get("lock"):
        reasons = []
        for i, (rc, err) in enumerate(r.fault["runs"]):
            c = _crash_reason(rc, "", err, False, {0, 2})
            if c:
                return "crash", f"run {i + 1}: {c}"
            if rc == 2:
                first = (_error_lines(err) or [""])[0]
                if not LOCK_KW.search(first):
                    return "unclear-error", (f"run {i + 1} refused without saying another run holds the "
                                             f"folder: {first[:160]}")
                reasons.append(f"run {i + 1} refused: {first[:120]}")
        langs = {k: v for k, v in _lang_of_outputs(r.out).items() if v}
        if len(set(langs.values())) > 1:
            return "silent-wrong", f"the two runs interleaved: {langs}"
        (a_rc, _), (b_rc, _) = r.fault["runs"]
        wa, wb = r.fault["windows"]
        if a_rc == 0 and b_rc == 0 and wa and wb and wa[0] < wb[1] and wb[0] < wa[1]:
            overlap = min(wa[1], wb[1]) - max(wa[0], wb[0])
            return "silent-wrong", (f"both runs wrote into the folder at the same time ({overlap:.1f} s overlap; "
                                    f"no lock); final files: {langs}")
        return "ok", "; ".join(reasons) or f"both runs finished one after the other ({langs})"
    crash = _crash_reason(r.rc, r.stdout, r.stderr, r.timed_out, {0, 2, 130, -2, -9})
    if crash:
        return "crash", crash
    sent = r.fault.get("signalled") or "no signal sent (the run ended first)"
    state = "old output intact" if r.fault.get("intact") else "new output complete"
    return "ok", f"{sent}; exit {r.rc}; {state}"


# ---------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------


def baseline_run(session: Path, ge: list[str]) -> tuple[dict[str, Any], Path]:
    root = session / "baseline"
    shutil.copytree(M.SAMPLE, root / "district")
    out = root / "out"
    proc = launch([*ge, "run", str(root / "district" / "project.toml"), "--out", str(out)], env={},
                  timeout=300, cwd=root)
    if proc.rc != 0:
        sys.exit(f"the unmutated sample does not run (exit {proc.rc}):\n{proc.stderr[-2000:]}")
    OUTPUTS.update(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    return json.loads((out / "summary.json").read_text("utf-8")), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", metavar="PATTERN", help="run the cases whose name or group matches this regex")
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    ap.add_argument("--list", action="store_true", help="list the cases and their expectations; run nothing")
    ap.add_argument("--keep", action="store_true", help="keep each case's folder (printed) for debugging")
    ap.add_argument("--json", metavar="FILE", help="write every outcome to FILE")
    ap.add_argument("--build", metavar="DIR", help="only write the mutated districts into DIR/<case>/")
    args = ap.parse_args(argv)

    cases = M.finalize()
    if args.only:
        rx = re.compile(args.only)
        cases = [c for c in cases if rx.search(c.name) or rx.search(c.group)]
    if args.list:
        for c in cases:
            need = " & ".join(c.expect.need)
            print(f"{c.group:15} {c.name:45} {c.command:12} expect {c.expect.describe():16}"
                  f"{' need ' + need[:90] if need else ''}{' — ' + c.note if c.note else ''}")
        print(f"\n{len(cases)} case(s).  Not simulated here:")
        for name, group, why in M.SKIPPED:
            print(f"  {group:15} {name:40} {why}")
        return 0
    if args.build:
        dest = Path(args.build)
        dest.mkdir(parents=True, exist_ok=True)
        built = 0
        for c in cases:
            if c.prior_output or c.fault.get("code"):
                print(f"  {c.name}: not built (it needs a previous output or is a Python snippet)")
                continue
            tmp = Path(tempfile.mkdtemp(dir=dest))
            ctx = prepare(c, tmp, None)
            target = dest / c.name
            shutil.rmtree(target, ignore_errors=True)
            ctx.root.rename(target)
            tmp.rmdir()
            built += 1
        print(f"wrote {built} mutated district(s) to {dest} (each: district/ = the project folder)")
        return 0

    ge = geo_env_command()
    sample_before = snapshot(M.SAMPLE)
    session = Path(tempfile.mkdtemp(prefix="geo_env-stress-"))
    t0 = time.perf_counter()
    print(f"geo_env: {' '.join(ge)}; {len(cases)} case(s), {args.jobs} job(s); folder {session}", flush=True)
    try:
        baseline, baseline_out = baseline_run(session, ge)
        print(f"baseline: exit 0 in {time.perf_counter() - t0:.1f} s; population {baseline['population']:,}, "
              f"{baseline['townships']} townships, {baseline['crs']}", flush=True)
        outcomes: list[Outcome] = []
        parallel = [c for c in cases if not c.fault.get("lock")]
        alone = [c for c in cases if c.fault.get("lock")]  # starts two runs itself
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(run_case, c, session, baseline, baseline_out, ge, args.keep) for c in parallel]
            for f in concurrent.futures.as_completed(futures):
                o = f.result()
                outcomes.append(o)
                print(f"  {o.cls:13} {o.name:45} {o.seconds:5.1f}s  {o.reason[:150]}", flush=True)
        for c in alone:
            o = run_case(c, session, baseline, baseline_out, ge, args.keep)
            outcomes.append(o)
            print(f"  {o.cls:13} {o.name:45} {o.seconds:5.1f}s  {o.reason[:150]}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(session, ignore_errors=True)
    if snapshot(M.SAMPLE) != sample_before:
        print("data/sample/ CHANGED during the run: a bug of this script", file=sys.stderr)
        return 3

    order = {c.name: i for i, c in enumerate(cases)}
    outcomes.sort(key=lambda o: order[o.name])
    elapsed = time.perf_counter() - t0
    print(f"\n== per case ({len(outcomes)} in {elapsed:.0f} s)")
    group = None
    for o in outcomes:
        if o.group != group:
            group = o.group
            print(f"-- {group}")
        print(f"  {o.cls:13} {o.name:45} [{o.command}, expect {o.expect}] {o.reason[:200]}"
              + (f"  ({o.folder})" if o.folder else ""))
    print("\n== not simulated")
    for name, group_, why in M.SKIPPED:
        print(f"  {name} ({group_}): {why}")
    counts = {k: sum(o.cls == k for o in outcomes) for k in CLASSES}
    print("\n== outcomes")
    for k in CLASSES:
        print(f"  {k:13} {counts[k]:4}" + ("   <- must be 0" if k in FAILING and counts[k] else ""))
    print(f"  {'total':13} {len(outcomes):4}   ({elapsed:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "counts": counts, "seconds": round(elapsed, 1), "geo_env": ge,
            "cases": [o.__dict__ for o in outcomes],
            "not_simulated": [{"name": n, "group": g, "why": w} for n, g, w in M.SKIPPED],
        }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 1 if any(counts[k] for k in FAILING) else 0


if __name__ == "__main__":
    sys.exit(main())
