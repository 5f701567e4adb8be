"""The embedded default database: a private PostgreSQL + PostGIS cluster under ``./var/``.

It listens on a unix socket only (no TCP port), so two checkouts can run side by side. PostgreSQL
refuses to run as root, so under root the server runs as the unprivileged ``postgres`` user.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

SERVER_USER = "postgres"
SUPERUSER = "ioc"
PORT = 5432
MAX_SOCKET_PATH = 100  # sun_path is 108 bytes; keep a margin


class ClusterError(RuntimeError):
    """The local cluster could not be set up, started or stopped."""


def _pg_bindir() -> Path:
    """The newest installed PostgreSQL server whose version has PostGIS, else the one on PATH."""
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        reverse=True,
    )
    for pg_ctl in versions:
        version = pg_ctl.parent.parent.name
        if Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            return pg_ctl.parent
    if versions:
        return versions[0].parent
    found = shutil.which("pg_ctl")
    if not found:
        raise ClusterError(
            "PostgreSQL is not installed: run `make setup` (or apt-get install postgis)"
        )
    return Path(found).resolve().parent


def _is_root() -> bool:
    return os.geteuid() == 0


def _server_can_reach(path: Path) -> bool:
    """Whether the unprivileged server user can traverse into ``path``."""
    probe = subprocess.run(  # noqa: S603 - fixed argv
        ["runuser", "-u", SERVER_USER, "--", "test", "-x", str(path)],  # noqa: S607
        check=False,
        capture_output=True,
    )
    return probe.returncode == 0


@dataclass(frozen=True)
class LocalCluster:
    """A private cluster whose files live under one ``var`` directory."""

    var_dir: Path

    @cached_property
    def base(self) -> Path:
        """Where data and socket live: ``var/`` itself, or a short private fallback path.

        The fallback is used when the socket path would be too long for the kernel, or when the
        server user (under root) cannot reach the checkout (a home directory of mode 0700).
        """
        self.var_dir.mkdir(parents=True, exist_ok=True)
        var = self.var_dir.resolve()
        socket = var / "db" / "run" / f".s.PGSQL.{PORT}"
        reachable = not _is_root() or _server_can_reach(var)
        if len(str(socket)) <= MAX_SOCKET_PATH and reachable:
            return var / "db"
        digest = hashlib.sha256(str(var).encode()).hexdigest()[:10]
        return Path("/var/tmp") / f"ioc-{digest}"  # noqa: S108 - private, mode 0700

    @property
    def data_dir(self) -> Path:
        return self.base / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.base / "run"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    def url(self, database: str = "ioc") -> str:
        """The SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket_dir}&port={PORT}"

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        if _is_root():
            argv = ["runuser", "-u", SERVER_USER, "--", *argv]
        return subprocess.run(argv, check=False, capture_output=True, text=True)  # noqa: S603

    def _prepare_dirs(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir.chmod(0o755)
        for path in (self.base, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            if _is_root():
                entry = pwd.getpwnam(SERVER_USER)
                os.chown(path, entry.pw_uid, entry.pw_gid)
        if self.base != self.var_dir.resolve() / "db":
            link = self.var_dir / "db"
            if not link.exists():
                link.symlink_to(self.base)

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster once; a second call does nothing."""
        self._prepare_dirs()
        if self.initialised():
            return
        bindir = _pg_bindir()
        done = self._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ]
        )
        if done.returncode != 0:
            raise ClusterError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as handle:
            handle.write(
                "\n# ioc: private cluster, unix socket only\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "unix_socket_permissions = 0700\n"
                f"port = {PORT}\n"
                "synchronous_commit = off\n"
                "shared_buffers = 256MB\n"
                "max_connections = 100\n"
            )

    def running(self) -> bool:
        if not self.initialised():
            return False
        status = self._run([str(_pg_bindir() / "pg_ctl"), "status", "-D", str(self.data_dir)])
        return status.returncode == 0

    def start(self) -> None:
        """Initialise if needed and start the server; a running server is left alone."""
        self.init()
        if self.running():
            return
        self._prepare_dirs()
        done = self._run(
            [
                str(_pg_bindir() / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
            ]
        )
        if done.returncode != 0:
            tail = self.log_file.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise ClusterError(f"PostgreSQL did not start:\n{done.stderr}\n{tail}")

    def stop(self) -> None:
        """Stop the server if it runs."""
        if not self.running():
            return
        done = self._run(
            [str(_pg_bindir() / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data_dir)]
        )
        if done.returncode != 0:
            raise ClusterError(f"PostgreSQL did not stop:\n{done.stderr}")
