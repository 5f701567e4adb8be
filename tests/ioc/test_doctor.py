"""`ioc doctor`: each missing prerequisite is named with its fix, for the targets that need it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ioc.cli import main
from ioc.settings import PROJECT_ROOT
from ioc.system import doctor
from ioc.system.doctor import Machine, Problem
from tests.ioc.test_system_packages import browser, server


def machine(
    tmp_path: Path, *, npm: bool = True, tilemaker: bool = True, is_root: bool = False
) -> Machine:
    commands = {name for name, present in (("npm", npm), ("tilemaker", tilemaker)) if present}
    return Machine(
        root=tmp_path / "root",
        var_dir=tmp_path / "var",
        is_root=is_root,
        which=lambda name: f"/usr/bin/{name}" if name in commands else None,
    )


def keys(problems: list[Problem]) -> list[str]:
    return [p.key for p in problems]


def test_no_server_names_the_packages_of_the_default_version(tmp_path: Path) -> None:
    problems = doctor.check_server(machine(tmp_path))
    assert keys(problems) == ["server"]
    assert problems[0].fix.endswith(" postgresql postgresql-postgis")


def test_a_server_without_postgis_names_the_extension_of_that_version(tmp_path: Path) -> None:
    server(tmp_path / "root", "15", postgis=False)
    (problem,) = doctor.check_server(machine(tmp_path))
    assert problem.key == "postgis"
    assert problem.message("en") == "PostgreSQL 15 has no PostGIS extension"
    assert problem.message("vi") == "PostgreSQL 15 chưa có phần mở rộng PostGIS"
    assert problem.fix == (
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends "
        "postgresql-15-postgis-3"
    )


def test_an_existing_cluster_needs_its_own_server_version(tmp_path: Path) -> None:
    server(tmp_path / "root", "16")
    version_file = tmp_path / "var/db/pgdata/PG_VERSION"
    version_file.parent.mkdir(parents=True)
    version_file.write_text("15\n")
    (problem,) = doctor.check_server(machine(tmp_path))
    assert problem.key == "server_version"
    assert problem.fix.endswith("postgresql-15 postgresql-15-postgis-3")


def test_a_complete_server_passes_and_root_has_no_sudo(tmp_path: Path) -> None:
    server(tmp_path / "root", "15")
    assert doctor.check_server(machine(tmp_path)) == []
    assert machine(tmp_path, is_root=True).apt("npm").startswith("apt-get update && apt-get")


def test_npm_is_checked_on_the_path(tmp_path: Path) -> None:
    assert doctor.check_npm(machine(tmp_path)) == []
    (problem,) = doctor.check_npm(machine(tmp_path, npm=False))
    assert problem.key == "npm" and problem.fix.endswith(" npm")


def test_tilemaker_is_checked_on_the_path_and_the_demo_needs_it(tmp_path: Path) -> None:
    assert doctor.check_tilemaker(machine(tmp_path)) == []
    problems = doctor.check_tilemaker(machine(tmp_path, tilemaker=False))
    assert keys(problems) == ["tilemaker"] and problems[0].fix.endswith(" tilemaker")
    text, status = doctor.report(problems, "demo", "vi")
    assert status == 1
    assert text.splitlines()[0] == "✗ Chưa có tilemaker (dựng bản đồ nền từ OpenStreetMap)"
    assert problems[0].message("en") == (
        "tilemaker is missing (it builds the base map from OpenStreetMap)"
    )


def test_missing_browser_and_fonts_matter_only_for_the_tests(tmp_path: Path) -> None:
    problems = doctor.check_browser(machine(tmp_path))
    assert keys(problems) == ["chromium", "font", "font"]
    assert [p.fix.split()[-1] for p in problems] == [
        "chromium",
        "fonts-dejavu-core",
        "fonts-noto-color-emoji",
    ]
    _, demo_status = doctor.report(problems, "demo", "en")
    text, test_status = doctor.report(problems, "test", "en")
    assert (demo_status, test_status) == (0, 1)
    assert "3 problem(s) to fix before 'test' can run." in text


def test_a_chromium_that_does_not_start_is_reported(tmp_path: Path) -> None:
    browser(tmp_path / "root")  # an empty file: exec fails
    problems = doctor.check_browser(machine(tmp_path))
    assert keys(problems) == ["chromium_broken"]


def test_the_real_chromium_starts() -> None:
    assert doctor.check_browser(Machine()) == []


def test_old_python_and_full_disk_are_reported(tmp_path: Path) -> None:
    (problem,) = doctor.check_python(machine(tmp_path), version=(3, 9, 2))
    assert problem.message("en") == "Python 3.9.2: 3.11 or newer is needed"
    assert doctor.check_python(machine(tmp_path)) == []
    (full,) = doctor.check_disk(machine(tmp_path), need_gb=10**9)
    assert full.key == "disk" and "GB free at" in full.message("en")


def test_the_socket_path_is_short_even_for_a_deep_checkout(tmp_path: Path) -> None:
    deep = Machine(var_dir=tmp_path / ("d" * 80) / ("e" * 80) / "var")
    assert doctor.check_socket(deep) == []


def test_the_language_follows_the_environment() -> None:
    assert doctor.user_language({"LANG": "en_US.UTF-8"}) == "en"
    assert doctor.user_language({"LANG": "vi_VN.UTF-8"}) == "vi"
    assert doctor.user_language({"IOC_LANG": "vi", "LANG": "en_US.UTF-8"}) == "vi"
    assert doctor.user_language({}) == "vi"


def test_the_report_prints_each_problem_with_its_fix_in_vietnamese(tmp_path: Path) -> None:
    problems = doctor.check_npm(machine(tmp_path, npm=False))
    text, status = doctor.report(problems, "demo", "vi")
    assert status == 1
    assert text.splitlines() == [
        "✗ Chưa có npm (cài thư viện bản đồ)",
        "    Cách sửa: sudo apt-get update && sudo apt-get install -y --no-install-recommends npm",
        "1 vấn đề cần sửa trước khi chạy 'demo'.",
    ]


def test_it_runs_with_the_standard_library_alone_before_the_venv_exists() -> None:
    done = subprocess.run(
        [sys.executable, "-S", "-m", "ioc.system.doctor", "--for", "test", "--lang", "en"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("Everything 'test' needs is in place.")


def test_the_cli_command_checks_this_machine() -> None:
    result = CliRunner().invoke(main, ["doctor", "--for", "test", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Everything 'test' needs is in place." in result.output
