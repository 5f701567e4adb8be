"""The benchmarks run as plain scripts (``python bench/X.py``), as docs/PERFORMANCE.md shows."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ioc.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    "script",
    [
        "bench/routing.py",
        "bench/intake.py",
        "bench/media.py",
        "bench/lifecycle.py",
        "bench/notify.py",
        "bench/live.py",
        "bench/map.py",
        "bench/kpi.py",
        "bench/public.py",
        "bench/video.py",
        "bench/basemap.py",
        "bench/opendata.py",
    ],
)
def test_each_benchmark_starts_as_a_script(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / script), "--help"],
        cwd="/",  # not the project root: the script must find the project by itself
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "IOC_DEMO": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_the_media_benchmark_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench/media.py"), "--count", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "process_photo" in done.stdout
