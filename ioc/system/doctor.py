"""``ioc doctor``: checks the system prerequisites the way the system will use them.

Each problem is printed in the user's language with the exact command that fixes it. It runs
with the system's ``python3`` before the virtual environment exists
(``python3 -m ioc.system.doctor``), so it uses the standard library only, and keeps its few
messages in both languages here rather than in the gettext catalogs, which are compiled later in
the set-up.

Targets: ``demo`` needs the server, its PostGIS extension, npm and tilemaker; ``test`` also
needs Chromium and its fonts.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ioc.system.pgcluster import (
    MAX_SOCKET_PATH,
    PORT,
    SERVER_USER,
    LocalCluster,
    choose_version,
    has_postgis,
)

MIN_PYTHON = (3, 11)
MIN_FREE_GB = 2.0
FONTS = {
    "fonts-dejavu-core": "usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "fonts-noto-color-emoji": "usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
}
TARGETS = {"demo": {"demo"}, "test": {"demo", "test"}}

# (Vietnamese, English) for each message; {placeholders} are filled in after choosing.
MESSAGES: dict[str, tuple[str, str]] = {
    "python": ("Python {found}: cần {need} trở lên", "Python {found}: {need} or newer is needed"),
    "venv": (
        "Python không tạo được môi trường ảo (thiếu ensurepip)",
        "Python cannot create virtual environments (ensurepip is missing)",
    ),
    "server": ("Chưa cài máy chủ PostgreSQL", "No PostgreSQL server is installed"),
    "server_version": (
        "Cơ sở dữ liệu trong {data} cần PostgreSQL {version}, chưa được cài",
        "The database in {data} needs PostgreSQL {version}, which is not installed",
    ),
    "postgis": (
        "PostgreSQL {version} chưa có phần mở rộng PostGIS",
        "PostgreSQL {version} has no PostGIS extension",
    ),
    "server_user": (
        "Chạy với quyền root cần người dùng hệ thống '{user}' để chạy PostgreSQL",
        "Running as root needs the system user '{user}' to run PostgreSQL",
    ),
    "socket": (
        "Không tạo được socket {path} ({length} ký tự, tối đa {limit})",
        "The socket {path} cannot be made ({length} characters, at most {limit})",
    ),
    "npm": ("Chưa có npm (cài thư viện bản đồ)", "npm is missing (it installs the map library)"),
    "tilemaker": (
        "Chưa có tilemaker (dựng bản đồ nền từ OpenStreetMap)",
        "tilemaker is missing (it builds the base map from OpenStreetMap)",
    ),
    "chromium": (
        "Chưa có Chromium ở {path} (cho kiểm thử trình duyệt)",
        "Chromium is missing at {path} (for the browser tests)",
    ),
    "chromium_broken": (
        "Chromium không chạy được: {error}",
        "Chromium does not run: {error}",
    ),
    "font": ("Thiếu phông chữ {package}", "The font package {package} is missing"),
    "disk": (
        "Chỉ còn {free:.1f} GB trống ở {path} (cần {need:.0f} GB)",
        "Only {free:.1f} GB free at {path} ({need:.0f} GB needed)",
    ),
    "fix": ("Cách sửa", "Fix"),
    "ok": ("Mọi điều kiện cho '{target}' đều đã có.", "Everything '{target}' needs is in place."),
    "failed": (
        "{count} vấn đề cần sửa trước khi chạy '{target}'.",
        "{count} problem(s) to fix before '{target}' can run.",
    ),
    "external": (
        "IOC_DATABASE_URL đã đặt: dùng máy chủ đó, không kiểm tra máy chủ nhúng",
        "IOC_DATABASE_URL is set: that server is used, the embedded one is not checked",
    ),
}


@dataclass(frozen=True)
class Problem:
    """A missing prerequisite, the targets that need it, and the command that fixes it."""

    key: str
    fix: str
    needed_for: frozenset[str] = frozenset({"demo"})
    params: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        """The problem in the user's language."""
        return MESSAGES[self.key][0 if lang == "vi" else 1].format(**self.params)


@dataclass(frozen=True)
class Machine:
    """What the checks look at: a root to find files under (tests use another), and the user."""

    root: Path = Path("/")
    var_dir: Path = Path("var")
    is_root: bool = field(default_factory=lambda: os.geteuid() == 0)
    which: Callable[[str], str | None] = shutil.which
    external_db: bool = False

    def apt(self, *packages: str) -> str:
        """The exact install command for this user."""
        sudo = "" if self.is_root else "sudo "
        names = " ".join(packages)
        return f"{sudo}apt-get update && {sudo}apt-get install -y --no-install-recommends {names}"


def _cluster_version(machine: Machine) -> str | None:
    """The version an existing cluster under ``var/`` was made with."""
    found = (machine.var_dir / "db" / "pgdata" / "PG_VERSION").resolve()
    return found.read_text(encoding="utf-8").strip() if found.is_file() else None


def check_python(
    machine: Machine, version: tuple[int, ...] = sys.version_info[:3]
) -> list[Problem]:
    """The Python that builds the virtual environment: new enough, with ensurepip."""
    if tuple(version[:2]) < MIN_PYTHON:
        need = ".".join(map(str, MIN_PYTHON))
        found = ".".join(map(str, version))
        return [Problem("python", machine.apt("python3"), params={"found": found, "need": need})]
    try:
        import ensurepip  # noqa: F401 - only its presence matters
    except ImportError:
        return [Problem("venv", machine.apt("python3-venv"))]
    return []


def check_server(machine: Machine) -> list[Problem]:
    """The server binary the cluster will run on and the PostGIS extension of that version."""
    if machine.external_db:
        return []
    own = _cluster_version(machine)
    version = choose_version(machine.root, own)
    if version is None:
        return [Problem("server", machine.apt("postgresql", "postgresql-postgis"))]
    problems: list[Problem] = []
    if not (machine.root / f"usr/lib/postgresql/{version}/bin/pg_ctl").exists():
        data = machine.var_dir / "db" / "pgdata"
        fix = machine.apt(f"postgresql-{version}", f"postgresql-{version}-postgis-3")
        return [Problem("server_version", fix, params={"version": version, "data": data})]
    if not has_postgis(version, machine.root):
        fix = machine.apt(f"postgresql-{version}-postgis-3")
        problems.append(Problem("postgis", fix, params={"version": version}))
    if machine.is_root and not _has_user(SERVER_USER):
        problems.append(
            Problem("server_user", machine.apt("postgresql-common"), params={"user": SERVER_USER})
        )
    return problems


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def check_socket(machine: Machine) -> list[Problem]:
    """The socket path the cluster will use fits the kernel's limit, in a place it can write."""
    if machine.external_db:
        return []
    base = LocalCluster(machine.var_dir).base
    socket = base / "run" / f".s.PGSQL.{PORT}"
    where = base if base.exists() else base.parent
    if len(str(socket)) <= MAX_SOCKET_PATH and os.access(where, os.W_OK):
        return []
    params = {"length": len(str(socket)), "limit": MAX_SOCKET_PATH, "path": socket}
    return [Problem("socket", "export IOC_VAR_DIR=/var/tmp/ioc-var", params=params)]


def check_npm(machine: Machine) -> list[Problem]:
    """npm, which installs the browser assets."""
    return [] if machine.which("npm") else [Problem("npm", machine.apt("npm"))]


def check_tilemaker(machine: Machine) -> list[Problem]:
    """tilemaker, which turns an OpenStreetMap extract into the base map's vector tiles."""
    return [] if machine.which("tilemaker") else [Problem("tilemaker", machine.apt("tilemaker"))]


def check_browser(machine: Machine, chromium: str = "usr/bin/chromium") -> list[Problem]:
    """Chromium and the fonts its pages need, for the browser tests."""
    test = frozenset({"test"})
    path = machine.root / chromium
    problems: list[Problem] = []
    if not os.access(path, os.X_OK):
        problems.append(Problem("chromium", machine.apt("chromium"), test, {"path": path}))
    elif error := _chromium_error(path):
        problems.append(
            Problem(
                "chromium_broken", machine.apt("--reinstall", "chromium"), test, {"error": error}
            )
        )
    for package, font in FONTS.items():
        if not (machine.root / font).is_file():
            problems.append(Problem("font", machine.apt(package), test, {"package": package}))
    return problems


def _chromium_error(path: Path) -> str | None:
    """Why Chromium cannot start, if it cannot (it answers --version without a display)."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None if done.returncode == 0 else (done.stderr or done.stdout).strip()[-200:]


def check_disk(machine: Machine, need_gb: float = MIN_FREE_GB) -> list[Problem]:
    """Room for the database, the media and the virtual environment."""
    path = machine.var_dir if machine.var_dir.exists() else machine.var_dir.parent
    free = shutil.disk_usage(path).free / 1024**3
    if free >= need_gb:
        return []
    params = {"free": free, "path": path, "need": need_gb}
    return [Problem("disk", f"du -sh {path}/* | sort -h", params=params)]


CHECKS = (
    check_python,
    check_server,
    check_socket,
    check_npm,
    check_tilemaker,
    check_browser,
    check_disk,
)


def diagnose(machine: Machine) -> list[Problem]:
    """Every problem on this machine, for any target."""
    return [problem for check in CHECKS for problem in check(machine)]


def report(problems: Iterable[Problem], target: str, lang: str) -> tuple[str, int]:
    """The text to print and the exit status for a target."""
    relevant = [p for p in problems if p.needed_for & TARGETS[target]]
    fix = MESSAGES["fix"][0 if lang == "vi" else 1]
    lines = [f"✗ {p.message(lang)}\n    {fix}: {p.fix}" for p in relevant]
    key = "failed" if relevant else "ok"
    summary = MESSAGES[key][0 if lang == "vi" else 1].format(count=len(relevant), target=target)
    return "\n".join([*lines, summary]), 1 if relevant else 0


def user_language(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """Vietnamese unless the environment asks for English."""
    for name in ("IOC_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if value := environ.get(name):
            return "en" if value.lower().startswith("en") else "vi"
    return "vi"


def main(argv: list[str] | None = None) -> int:
    """Check the machine for a target and print what is missing."""
    parser = argparse.ArgumentParser(prog="ioc doctor", description=__doc__.splitlines()[0])
    parser.add_argument("--for", dest="target", choices=sorted(TARGETS), default="demo")
    parser.add_argument("--lang", choices=("vi", "en"), default=None)
    args = parser.parse_args(argv)
    var_dir = Path(os.environ.get("IOC_VAR_DIR") or Path(__file__).parent.parent.parent / "var")
    machine = Machine(var_dir=var_dir, external_db=bool(os.environ.get("IOC_DATABASE_URL")))
    lang = args.lang or user_language()
    if machine.external_db:
        print(MESSAGES["external"][0 if lang == "vi" else 1])
    text, status = report(diagnose(machine), args.target, lang)
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
