"""A real PostgreSQL + PostGIS server for the tests, started in a temporary folder.

Debian's binaries (``/usr/lib/postgresql/<version>/bin``, packages ``postgresql`` and
``postgresql-<version>-postgis-3``) run a throw-away cluster: ``initdb`` into a temporary
folder, ``pg_ctl start`` on a free local port (TCP on 127.0.0.1 and a Unix socket in the same
folder), a role ``geo`` with a password (scram-sha-256 over TCP, as a county server would
ask) and a database ``county`` with the postgis extension.  PostgreSQL refuses to run as
root: under root the server runs as the unprivileged ``postgres`` user (made by the Debian
package) through ``runuser``.

Skip policy: without the binaries the tests skip with how to install them — except under
``GEO_ENV_REQUIRE_POSTGIS=1`` (set by .ci/run, which installs them), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "geo-secret-不在项目文件里"
INSTALL_HINT = ("PostgreSQL and PostGIS are needed: `sudo apt-get install postgresql postgresql-15-postgis-3` "
                "(Debian 12; the version of the postgresql package)")


def _bin_dir() -> Path | None:
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                  if p.parent.name.isdigit() else 0)
    for d in reversed(dirs):
        ext = Path(f"/usr/share/postgresql/{d.parent.name}/extension/postgis.control")
        if (d / "initdb").exists() and ext.exists():
            return d
    return None


def missing_reason() -> str | None:
    if _bin_dir() is None:
        return f"no PostgreSQL with PostGIS under /usr/lib/postgresql; {INSTALL_HINT}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and no 'postgres' user to run the server as"
    return None


def skip_or_fail_without_postgis() -> None:
    import pytest

    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("GEO_ENV_REQUIRE_POSTGIS") == "1":
        pytest.fail(f"GEO_ENV_REQUIRE_POSTGIS=1 but {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class Server:
    port: int
    url: str  # postgresql://geo@127.0.0.1:<port>/county (no password)
    socket_dir: Path

    def psql(self, sql: str, *, db: str = "county") -> str:
        """Run ``sql`` as the superuser over the Unix socket; return its output."""
        return _run([str(_bin_dir() / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres",
                     "-d", db, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str]) -> str:
    r = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip() or r.stdout.strip()}")
    return r.stdout


@contextlib.contextmanager
def postgis_server() -> Iterator[Server]:
    """Start a cluster, yield it, stop it and remove its folder."""
    bin_dir = _bin_dir()
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="geo_env-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
              "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60",
              "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
        server = Server(port, f"postgresql://geo@127.0.0.1:{port}/county", root)
        server.psql(f"CREATE ROLE geo LOGIN PASSWORD '{PASSWORD}'", db="postgres")
        server.psql("CREATE DATABASE county OWNER geo ENCODING 'UTF8'", db="postgres")
        server.psql("CREATE EXTENSION postgis")
        yield server
    finally:
        with contextlib.suppress(Exception):
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)
