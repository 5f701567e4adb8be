"""The installer's choice of system packages, on throw-away roots that lack each prerequisite.

`scripts/system-packages.sh --dry-run` looks at files under ``IOC_SYSROOT`` as if it were the
machine's and prints the packages it would install; these tests assert the exact names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from ioc.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "system-packages.sh"
EVERYTHING = ("server", "browser")


def _touch(path: Path, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    if executable:
        path.chmod(0o755)


def server(root: Path, version: str, postgis: bool = True) -> None:
    """Lay out a Debian PostgreSQL server of a version, with or without its PostGIS."""
    _touch(root / f"usr/lib/postgresql/{version}/bin/pg_ctl", executable=True)
    if postgis:
        _touch(root / f"usr/share/postgresql/{version}/extension/postgis.control")
        _touch(root / f"usr/lib/postgresql/{version}/lib/postgis-3.so")


def browser(root: Path) -> None:
    _touch(root / "usr/bin/chromium", executable=True)
    _touch(root / "usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    _touch(root / "usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")


def npm(root: Path) -> None:
    """npm, and tilemaker beside it (the server group's two commands)."""
    _touch(root / "usr/bin/npm", executable=True)
    tilemaker(root)


def tilemaker(root: Path) -> None:
    _touch(root / "usr/bin/tilemaker", executable=True)


def apt_cache(tmp_path: Path, default_server: str | None) -> Path:
    """A stand-in for apt-cache's answer on Debian's default server (apt is outside the system)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    answer = f"postgresql\n  Depends: postgresql-{default_server}\n" if default_server else ""
    fake = bin_dir / "apt-cache"
    fake.write_text(f"#!/bin/sh\nprintf '{answer}'\n")
    fake.chmod(0o755)
    return bin_dir


def would_install(
    tmp_path: Path, groups: tuple[str, ...] = EVERYTHING, default_server: str | None = "15"
) -> list[str]:
    """The packages the installer would install on the root under ``tmp_path``."""
    env = {
        "PATH": f"{apt_cache(tmp_path, default_server)}:/usr/bin:/bin",
        "IOC_SYSROOT": str(tmp_path / "root"),
        "IOC_VAR_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run", *groups],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = done.stdout.strip()
    assert line == "" or line.startswith("packages: "), done.stdout
    return line.removeprefix("packages: ").split() if line else []


def test_an_empty_machine_gets_the_server_its_extension_npm_and_the_browser(
    tmp_path: Path,
) -> None:
    assert would_install(tmp_path, default_server="15") == [
        "postgresql-15",
        "postgresql-15-postgis-3",
        "npm",
        "tilemaker",
        "chromium",
        "fonts-dejavu-core",
        "fonts-noto-color-emoji",
    ]


def test_the_extension_follows_the_version_debian_would_install(tmp_path: Path) -> None:
    assert would_install(tmp_path, ("server",), default_server="17")[:2] == [
        "postgresql-17",
        "postgresql-17-postgis-3",
    ]


def test_without_package_lists_the_metapackages_follow_the_default_version(
    tmp_path: Path,
) -> None:
    npm(tmp_path / "root")
    assert would_install(tmp_path, ("server",), default_server=None) == [
        "postgresql",
        "postgresql-postgis",
    ]


def test_a_server_without_postgis_gets_the_extension_of_its_own_version(tmp_path: Path) -> None:
    """The case that broke: PostgreSQL 15 installed, the `postgis` tools package is not enough."""
    root = tmp_path / "root"
    server(root, "15", postgis=False)
    npm(root)
    assert would_install(tmp_path, default_server="16") == [
        "postgresql-15-postgis-3",
        "chromium",
        "fonts-dejavu-core",
        "fonts-noto-color-emoji",
    ]


def test_an_existing_cluster_fixes_the_server_version(tmp_path: Path) -> None:
    root = tmp_path / "root"
    server(root, "16")
    npm(root)
    _touch(tmp_path / "var/db/pgdata/PG_VERSION")
    (tmp_path / "var/db/pgdata/PG_VERSION").write_text("15\n")
    assert would_install(tmp_path, ("server",)) == ["postgresql-15", "postgresql-15-postgis-3"]


def test_a_newer_server_without_postgis_is_left_alone_when_another_has_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    server(root, "15")
    server(root, "16", postgis=False)
    npm(root)
    assert would_install(tmp_path, ("server",)) == []


def test_a_complete_machine_needs_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    server(root, "15")
    npm(root)
    browser(root)
    assert would_install(tmp_path) == []


def test_only_a_missing_tilemaker_is_installed(tmp_path: Path) -> None:
    """The base map's builder joins the server group; a machine set up before it gets just that."""
    root = tmp_path / "root"
    server(root, "15")
    _touch(root / "usr/bin/npm", executable=True)
    assert would_install(tmp_path, ("server",)) == ["tilemaker"]
    _touch(root / "usr/local/bin/tilemaker", executable=True)  # built from source
    assert would_install(tmp_path, ("server",)) == []


def test_only_the_missing_fonts_are_installed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    browser(root)
    (root / "usr/share/fonts/truetype/noto/NotoColorEmoji.ttf").unlink()
    assert would_install(tmp_path, ("browser",)) == ["fonts-noto-color-emoji"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as an ordinary user")
def test_an_ordinary_user_gets_the_exact_command_and_a_failure() -> None:
    # pytest's tmp_path is private to root; the ordinary user must be able to read the script.
    tmp_path = Path(tempfile.mkdtemp(prefix="ioc-", dir="/tmp"))
    tmp_path.chmod(0o755)
    try:
        _as_ordinary_user(tmp_path)
    finally:
        shutil.rmtree(tmp_path)


def _as_ordinary_user(tmp_path: Path) -> None:
    script = tmp_path / "system-packages.sh"
    shutil.copy(SCRIPT, script)
    script.chmod(0o755)
    root = tmp_path / "root"
    server(root, "15", postgis=False)
    npm(root)
    env = {"PATH": "/usr/bin:/bin", "IOC_SYSROOT": str(root), "IOC_VAR_DIR": str(tmp_path / "v")}
    done = subprocess.run(
        ["/usr/sbin/runuser", "-u", "nobody", "--", "bash", str(script), "server"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert (
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends "
        "postgresql-15-postgis-3" in done.stdout
    )
