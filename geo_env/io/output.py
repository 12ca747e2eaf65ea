"""The output folder as one transaction: lock, stage, commit (or roll back).

:meth:`geo_env.Plan.save` holds :func:`output_lock` on the folder, writes every file into
a hidden staging folder inside it (:func:`staging`) and then swaps them in with
:func:`commit`: each old file (and each stale file of the previous run) is moved into a
hidden backup folder, each new file is moved in, ``summary.json`` last.  All moves are
renames within one folder tree, so they are quick and need no free space.  Any error
(or a Ctrl-C, which waits until the commit or its roll-back is done) puts the old files
back; a run that was killed mid-commit is rolled back (or finished) by the next run from
the journal it left in its backup folder.

geo_env's own files in the folder are those that the previous ``summary.json`` lists
(``files``: path, size in bytes, sha256); every other file is the user's and is never
moved, replaced or deleted.  Another set of outputs (``geo-env compare``: ``compare.json``
last) uses the same transaction with its own manifest file (``summary=``), and so never
touches a plan's files in the same folder, nor a plan's run its files.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import OutputError
from . import writers as _io

__all__ = ["LOCK_NAME", "MANIFEST_KEY", "SUMMARY", "output_lock", "refuse_inputs", "recover",
           "previous_outputs", "check_replaceable", "prepare", "staging", "manifest", "commit"]

#: The lock file inside the output folder (removed when the run ends).
LOCK_NAME = ".geo_env.lock"
#: The manifest's key in ``summary.json``: ``[{"path", "bytes", "sha256"}, …]``.
MANIFEST_KEY = "files"
#: The file written last; its presence with a manifest marks a complete folder.
SUMMARY = "summary.json"
_STAGING = ".geo_env-staging-"
_BACKUP = ".geo_env-backup-"
_JOURNAL = "journal.json"
_NOTHING_REPLACED = "nothing was replaced"
#: Words of GDAL/SQLite/pyogrio errors raised when the disk fills up mid-write.
_DISK_FULL_WORDS = ("failed to commit transaction", "no space left", "disk full", "disk is full")
_APPS = {".xlsx": "Excel", ".gpkg": "QGIS or ArcGIS", ".html": "the browser", ".png": "the image viewer"}

_held: dict[str, tuple[int, int]] = {}  # folder key -> (thread id, depth): re-entrant in one thread


# --------------------------------------------------------------------------------------
# inputs inside the output folder
# --------------------------------------------------------------------------------------
def _key(path: str | os.PathLike[str]) -> str:
    """A resolved, case-normalised path for comparisons (Windows paths ignore case)."""
    return os.path.normcase(str(Path(path).resolve()))


def refuse_inputs(out: Path, inputs: Iterable[Path]) -> None:
    """Raise :class:`OutputError` when ``out`` is, or contains, one of ``inputs``.

    Checked before anything is written: a folder holding the project's data would have its
    files replaced or mixed with outputs (``--out maps`` with villages in ``maps/plan.gpkg``).
    A shapefile's sidecar files lie in the same folder as the ``.shp``, so they are covered.
    """
    target = Path(_key(out))
    for path in inputs:
        p = Path(_key(path))
        if p == target or target in p.parents:
            raise OutputError(f"the output folder holds the input file {path}; writing there "
                              "would replace or mix with the project's data", file=out,
                              hint="choose another --out folder, outside the project's data")


# --------------------------------------------------------------------------------------
# the lock
# --------------------------------------------------------------------------------------
def _make_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError("the output folder is a file", file=out, hint="give a folder with --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder ({exc.strerror or exc})", file=out,
                          hint="choose another --out folder") from None


def _busy(out: Path, pid: str) -> OutputError:
    who = f" (pid {pid})" if pid else ""
    return OutputError(f"another geo-env run{who} is writing into this folder", file=out,
                       hint="wait for it to finish and run again, or choose another --out folder")


def _try_lock(fd: int) -> bool:
    """Take the OS lock on ``fd`` without waiting; False when another process has it.

    POSIX: ``flock``; Windows: ``msvcrt.locking`` of one byte past the pid text.  Both
    are released by the OS when the process ends, so a killed run leaves no stale lock.
    """
    try:
        if sys.platform == "win32":  # os.name == "nt", as type checkers understand it
            import msvcrt

            os.lseek(fd, 64, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN, errno.EDEADLK):
            return False
        raise
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # os.name == "nt", as type checkers understand it
        import msvcrt

        os.lseek(fd, 64, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    # POSIX: closing the descriptor releases the flock


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _acquire(out: Path) -> int:
    """Open and lock ``out/.geo_env.lock``; return its descriptor (pid written in it)."""
    path = out / LOCK_NAME
    for _ in range(20):  # the holder may remove the file between our open and our lock
        _make_folder(out)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write in the output folder ({exc.strerror or exc})", file=out,
                              hint="choose a folder you can write to") from None
        if not _try_lock(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            pid = os.read(fd, 32)
            os.close(fd)
            raise _busy(out, pid.decode("ascii", "replace").strip())
        if _same_file(fd, path):
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)
    raise _busy(out, "")


def _release(out: Path, fd: int) -> None:
    path = out / LOCK_NAME
    if os.name == "nt":  # an open file cannot be removed: unlock, close, then try
        _unlock(fd)
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        return
    with contextlib.suppress(OSError):
        path.unlink()  # while still locked: a waiting run sees the file is gone and retries
    os.close(fd)


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the output folder's lock for the block; create the folder if missing.

    A second run into the same folder (another process, or another thread) stops at once
    with :class:`OutputError` naming the holder's pid.  Re-entrant within one thread (the
    CLI holds it across analysis and :meth:`Plan.save`).  A folder this created and that
    is still empty afterwards (the run failed before writing) is removed again.
    """
    key = _key(out)
    me = threading.get_ident()
    if key in _held:
        owner, depth = _held[key]
        if owner != me:
            raise _busy(out, str(os.getpid()))
        _held[key] = (owner, depth + 1)
        try:
            yield
        finally:
            _held[key] = (owner, depth)
        return
    created = not out.exists()
    fd = _acquire(out)
    _held[key] = (me, 1)
    try:
        yield
    finally:
        del _held[key]
        _release(out, fd)
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only when empty


# --------------------------------------------------------------------------------------
# what the folder holds
# --------------------------------------------------------------------------------------
def _relative(value: Any) -> str | None:
    """``value`` as a safe relative POSIX path inside the folder, else None."""
    if not isinstance(value, str) or not value or "\\" in value or ":" in value:
        return None
    p = PurePosixPath(value)
    if p.is_absolute() or any(part in ("", ".", "..") or part.startswith(".") for part in p.parts):
        return None
    return p.as_posix()


def previous_outputs(out: Path, known: Sequence[str], *, summary_name: str = SUMMARY
                     ) -> dict[str, dict[str, Any] | None]:
    """geo_env's files in ``out`` from an earlier run: relative path → manifest entry.

    The files the previous ``summary.json`` (``summary_name``) lists (entry: ``bytes``,
    ``sha256``), plus that file itself.  A folder written by a geo_env without a manifest:
    the ``known`` output names that exist (entry ``None``).  No such file: nothing.
    """
    summary = out / summary_name
    if not summary.is_file():
        return {}
    try:
        listed = json.loads(summary.read_text(encoding="utf-8")).get(MANIFEST_KEY)
    except (OSError, ValueError, AttributeError):
        listed = None
    found: dict[str, dict[str, Any] | None] = {}
    if isinstance(listed, list):
        for entry in listed:
            rel = _relative(entry.get("path")) if isinstance(entry, dict) else None
            if rel is not None and rel != summary_name:
                found[rel] = entry
    else:
        found = {rel: None for rel in known if rel != summary_name and (out / rel).is_file()}
    found[summary_name] = None
    return found


def _unchanged(path: Path, entry: dict[str, Any] | None) -> bool:
    """Whether ``path`` still holds what the manifest says geo_env wrote (no manifest: yes)."""
    if entry is None:
        return True
    try:
        return path.stat().st_size == entry.get("bytes") and _sha256(path) == entry.get("sha256")
    except OSError:
        return False


def _locked(out: Path, rel: str) -> OutputError:
    name = PurePosixPath(rel).name
    app = _APPS.get(PurePosixPath(rel).suffix.lower())
    where = f" in {app}" if app else ""
    return OutputError(f"{rel} is open in another program", file=out,
                       hint=f"close {name}{where} (or whatever program has it open) and run again; "
                            f"{_NOTHING_REPLACED}")


def check_replaceable(out: Path, rel: str) -> None:
    """Raise :class:`OutputError` when ``out/rel`` cannot be replaced because it is open.

    On Windows a file that Excel (or QGIS …) holds open can neither be opened for writing
    nor renamed; trying ``open(path, "r+b")`` finds it without changing it.  A read-only
    file is replaced by rename on POSIX; on Windows it is refused too.
    """
    path = out / rel
    try:
        with open(path, "r+b"):
            pass
    except FileNotFoundError:
        return
    except PermissionError:
        if os.access(path, os.W_OK):
            raise _locked(out, rel) from None
        if os.name == "nt":
            raise OutputError(f"{rel} is read-only", file=out,
                              hint=f"clear its read-only attribute or choose another --out folder; "
                                   f"{_NOTHING_REPLACED}") from None


def prepare(out: Path, known: Sequence[str], *, summary_name: str = SUMMARY,
            folders: Sequence[str] = ()) -> dict[str, dict[str, Any] | None]:
    """Make sure ``out`` can take every file before the first is written.

    Call it holding :func:`output_lock` (which creates the folder).  A folder where one of
    the ``known`` files goes, a file where one of the ``folders`` goes, a folder that cannot
    be written to, or an output file held open by another program (Excel) is an
    :class:`OutputError` — found before anything is replaced.  Leftovers of a killed run
    are cleaned up first (:func:`recover`).

    Returns
    -------
    dict
        geo_env's files of the previous run (:func:`previous_outputs` of ``summary_name``).
    """
    import tempfile

    for name in known:
        if (out / name).is_dir():
            raise OutputError(f"'{name}' here is a folder, where geo_env writes a file", file=out,
                              hint="remove or rename it, or choose another --out folder")
    for name in folders:
        if (out / name).exists() and not (out / name).is_dir():
            raise OutputError(f"'{name}' here is a file, where geo_env writes a folder", file=out,
                              hint="remove or rename it, or choose another --out folder")
    try:
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write in the output folder ({exc.strerror or exc})", file=out,
                          hint="choose a folder you can write to") from None
    recover(out)
    previous = previous_outputs(out, known, summary_name=summary_name)
    for rel in sorted(set(previous) | set(known)):
        check_replaceable(out, rel)
    return previous


# --------------------------------------------------------------------------------------
# staging and the manifest
# --------------------------------------------------------------------------------------
def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return True
    return any(w in str(exc).lower() for w in _DISK_FULL_WORDS)


@contextlib.contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A fresh hidden folder inside ``out`` to write the new files into; always removed.

    A full disk while writing or committing (``ENOSPC``/``EDQUOT``, GDAL's "Failed to
    commit transaction") becomes :class:`OutputError`: nothing in ``out`` was replaced.
    """
    stage = out / f"{_STAGING}{secrets.token_hex(4)}"
    try:
        stage.mkdir()
        yield stage
    except Exception as exc:
        if _disk_full(exc):
            raise OutputError("no space left on the disk", file=out,
                              hint=f"free some space or choose another --out folder; "
                                   f"{_NOTHING_REPLACED}") from None
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest(stage: Path, rels: Iterable[str]) -> list[dict[str, Any]]:
    """The manifest entries of the staged files: relative path, size (bytes), sha256."""
    return [{"path": rel, "bytes": (stage / rel).stat().st_size, "sha256": _sha256(stage / rel)}
            for rel in rels]


# --------------------------------------------------------------------------------------
# commit, roll back, recover
# --------------------------------------------------------------------------------------
@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold back Ctrl-C during the block (main thread only), then raise it."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _move(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def _undo(out: Path, backup: Path, journal: Mapping[str, Any]) -> bool:
    """Put the old files back from ``backup`` and remove the new ones; True when complete."""
    complete = True
    for rel in journal["added"]:
        try:
            (out / rel).unlink()
        except FileNotFoundError:
            pass
        except OSError:
            complete = False
    for rel in [*journal["replaced"], *journal["stale"]]:
        saved = backup / "files" / rel
        if saved.exists():
            try:
                _move(saved, out / rel)
            except OSError:
                complete = False
    for rel in reversed(journal["dirs"]):
        with contextlib.suppress(OSError):
            (out / rel).rmdir()
    return complete


def _journal(out: Path, stage: Path, new: Sequence[str], stale: Sequence[str]) -> dict[str, Any]:
    """What a commit will do; ``new[-1]`` is the file written last (its manifest)."""
    dirs = sorted({str(p) for r in new for p in PurePosixPath(r).parents} - {"."})
    return {
        "added": [r for r in new if not (out / r).exists()],
        "replaced": [r for r in new if (out / r).exists()],
        "stale": list(stale),
        "dirs": [d for d in dirs if not (out / d).exists()],
        "summary": new[-1],
        "summary_sha256": _sha256(stage / new[-1]),
    }


def _swap(out: Path, stage: Path, backup: Path, journal: Mapping[str, Any], new: Sequence[str]) -> None:
    """The moves of a commit, after its journal; on any error the old state is restored and
    the error raised."""
    rel = ""
    try:
        backup.mkdir()
        _io.write_text(backup / _JOURNAL, json.dumps(journal, ensure_ascii=False))
        for rel in journal["stale"]:
            _move(out / rel, backup / "files" / rel)
        for rel in new:
            if rel in journal["replaced"]:
                _move(out / rel, backup / "files" / rel)
            _move(stage / rel, out / rel)
    except BaseException as exc:
        if not _undo(out, backup, journal):
            raise OutputError(f"could not put the previous output back after an error ({exc})", file=out,
                              hint=f"run geo-env again: it restores the previous files from {backup.name}") from exc
        _discard(backup)
        if isinstance(exc, PermissionError):
            raise _locked(out, rel) from None
        raise


def commit(out: Path, stage: Path, new: Sequence[str],
           previous: Mapping[str, dict[str, Any] | None], *, summary_name: str = SUMMARY) -> None:
    """Move the staged files ``new`` (relative paths, ``summary.json`` — ``summary_name`` —
    last) into ``out``.

    Files of the ``previous`` run that this run does not produce are removed, unless they
    were changed since (then they are the user's).  Either every move happens or, on any
    error, none: the old files are put back and the error is raised (a file held open by
    another program: :class:`OutputError` "close … and run again").  Ctrl-C waits until
    the commit or its roll-back is done.
    """
    if not new or new[-1] != summary_name:
        raise ValueError(f"the staged files must end with {summary_name}")
    stale = [rel for rel, entry in previous.items()
             if rel not in new and (out / rel).is_file() and _unchanged(out / rel, entry)]
    backup = out / f"{_BACKUP}{secrets.token_hex(4)}"
    journal = _journal(out, stage, new, stale)
    with _sigint_deferred():
        _swap(out, stage, backup, journal, new)
        _discard(backup)
        for folder in {(out / rel).parent for rel in stale} - {out}:  # figures/ left empty
            with contextlib.suppress(OSError):
                folder.rmdir()


def _discard(backup: Path) -> None:
    """Remove a finished commit's backup: the journal first, so a half-removed backup is
    never taken for an unfinished commit."""
    with contextlib.suppress(FileNotFoundError):
        (backup / _JOURNAL).unlink()
    shutil.rmtree(backup, ignore_errors=True)


def recover(out: Path) -> None:
    """Clean up after a run that was killed (call while holding :func:`output_lock`).

    Staging folders are removed.  A backup folder with a journal is a commit that was cut
    short: when ``summary.json`` is the new one, the commit had finished and the backup
    is removed; otherwise the old files are put back.  A backup without a journal had not
    started moving files (or was being removed after a finished commit): removed.
    """
    for entry in sorted(out.iterdir()):
        if entry.name.startswith(_STAGING) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(_BACKUP) and entry.is_dir():
            _recover_backup(out, entry)


def _recover_backup(out: Path, backup: Path) -> None:
    try:
        journal = json.loads((backup / _JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        shutil.rmtree(backup, ignore_errors=True)
        return
    # the manifest file of the commit (journals written before compare.json have none: summary.json)
    summary = out / (_relative(journal.get("summary")) or SUMMARY)
    if summary.is_file() and _sha256(summary) == journal.get("summary_sha256"):
        _discard(backup)
    elif _undo(out, backup, journal):
        _discard(backup)
    else:
        raise OutputError(f"a previous run was cut short and its files in {backup.name} cannot be put back",
                          file=out, hint="close any program that has files of this folder open and run again")
