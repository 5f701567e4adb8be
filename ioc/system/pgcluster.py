"""The embedded default database: a private PostgreSQL + PostGIS cluster under ``./var/``.

It listens on a unix socket only (no TCP port), so two checkouts can run side by side. PostgreSQL
refuses to run as root, so under root the server runs as the unprivileged ``postgres`` user.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

SERVER_USER = "postgres"
SUPERUSER = "ioc"
PORT = 5432
MAX_SOCKET_PATH = 100  # sun_path is 108 bytes; keep a margin


# A 201 means the report is on disk: PostgreSQL's durable defaults, whatever a config file says.
DURABLE_OPTIONS = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
NON_DURABLE = re.compile(r"^\s*(fsync|synchronous_commit|full_page_writes)\s*=", re.IGNORECASE)


class ClusterError(RuntimeError):
    """The local cluster could not be set up, started or stopped."""


def server_versions(root: Path = Path("/")) -> list[str]:
    """Major versions of the PostgreSQL servers installed under Debian's layout, newest first."""
    found = [p.parent.parent.name for p in (root / "usr/lib/postgresql").glob("*/bin/pg_ctl")]
    return sorted((v for v in found if v.isdigit()), key=int, reverse=True)


def has_postgis(version: str, root: Path = Path("/")) -> bool:
    """Whether the PostGIS extension is installed for this server version."""
    return (root / f"usr/share/postgresql/{version}/extension/postgis.control").exists() and (
        root / f"usr/lib/postgresql/{version}/lib/postgis-3.so"
    ).exists()


def choose_version(root: Path = Path("/"), cluster_version: str | None = None) -> str | None:
    """The server for the cluster: its own version, else the newest with PostGIS, else newest."""
    if cluster_version:
        return cluster_version
    versions = server_versions(root)
    with_postgis = [v for v in versions if has_postgis(v, root)]
    candidates = with_postgis or versions
    return candidates[0] if candidates else None


def install_command(version: str) -> str:
    """The exact command that installs a server version with its PostGIS extension."""
    return (
        "apt-get update && apt-get install -y --no-install-recommends "
        f"postgresql-{version} postgresql-{version}-postgis-3"
    )


def orphaned_servers(data_dir: Path) -> list[int]:
    """Postmasters working in ``data_dir`` after it was deleted (their cwd is marked deleted)."""
    gone = f"{data_dir.resolve()} (deleted)"
    pids: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "cwd") != gone:
                continue
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:
            continue
        pids[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return sorted(pid for pid, parent in pids.items() if parent not in pids)


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

    def version(self) -> str | None:
        """The server major version this cluster runs on (its own, once initialised)."""
        own = None
        if self.initialised():
            own = (self.data_dir / "PG_VERSION").read_text(encoding="utf-8").strip()
        return choose_version(cluster_version=own)

    def bindir(self) -> Path:
        """The programs of the server version this cluster needs."""
        version = self.version()
        if version is None:
            found = shutil.which("pg_ctl")
            if found:
                return Path(found).resolve().parent
            raise ClusterError(
                "PostgreSQL is not installed: run `make setup`, or as root: "
                + install_command("<version>")
            )
        bindir = Path(f"/usr/lib/postgresql/{version}/bin")
        if not (bindir / "pg_ctl").exists():
            raise ClusterError(
                f"The cluster in {self.data_dir} needs PostgreSQL {version}: "
                + install_command(version)
            )
        return bindir

    def init(self) -> None:
        """Create the cluster once; a second call does nothing."""
        self._prepare_dirs()
        if self.initialised():
            return
        bindir = self.bindir()
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
                "shared_buffers = 256MB\n"
                "max_connections = 100\n"
            )

    def dead_postmaster(self) -> int | None:
        """The pid in ``postmaster.pid`` if that process died and nobody reaped it (a zombie).

        After a crash, a container whose init reaps nothing keeps the postmaster as a zombie:
        ``pg_ctl`` and PostgreSQL itself would take it for a running server and never start.
        """
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text(encoding="utf-8").split()[0])
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        except (OSError, ValueError, IndexError):
            return None
        return pid if stat.rsplit(")", 1)[1].split()[0] == "Z" else None

    def running(self) -> bool:
        if not self.initialised() or self.dead_postmaster() is not None:
            return False
        status = self._run([str(self.bindir() / "pg_ctl"), "status", "-D", str(self.data_dir)])
        return status.returncode == 0

    def start(self) -> None:
        """Initialise if needed and start the server; a running server is left alone."""
        self._refuse_orphans()
        self.init()
        if self.running():
            return
        self._prepare_dirs()
        if self.dead_postmaster() is not None:
            # Its process is gone: drop the lock files it left, and crash recovery follows.
            (self.data_dir / "postmaster.pid").unlink()
            (self.socket_dir / f".s.PGSQL.{PORT}.lock").unlink(missing_ok=True)
        self._make_durable()
        done = self._run(
            [
                str(self.bindir() / "pg_ctl"),
                "start",
                "-o",
                DURABLE_OPTIONS,
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

    def _make_durable(self) -> None:
        """Drop settings that trade durability for speed (clusters made before they were banned).

        The server also starts with ``DURABLE_OPTIONS``, which win over any configuration file.
        """
        conf = self.data_dir / "postgresql.conf"
        lines = conf.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not NON_DURABLE.match(line)]
        if kept != lines:
            conf.write_text("".join(kept), encoding="utf-8")

    def _refuse_orphans(self) -> None:
        """Refuse to start beside a server whose data directory at this path was deleted.

        Such a server (left running when a checkout was deleted and made again) would remove the
        new server's socket when it stops.
        """
        if pids := orphaned_servers(self.data_dir):
            pid = pids[0]
            raise ClusterError(
                f"A PostgreSQL server (process {pid}) left running from a deleted checkout "
                f"still uses {self.data_dir}. Stop it first: kill -INT {pid}"
            )

    def stop(self) -> None:
        """Stop the server if it runs."""
        if not self.running():
            return
        done = self._run(
            [str(self.bindir() / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data_dir)]
        )
        if done.returncode != 0:
            raise ClusterError(f"PostgreSQL did not stop:\n{done.stderr}")
