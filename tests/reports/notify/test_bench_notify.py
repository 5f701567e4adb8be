"""The notification benchmark runs (a tiny run: the figures belong in docs/PERFORMANCE.md)."""

from __future__ import annotations

import subprocess
import sys

from ioc.settings import PROJECT_ROOT


def test_the_notification_benchmark_runs_and_loses_nothing() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench/notify.py"),
            *("--count", "100", "--outage", "2", "--outage-count", "20", "--backoff", "0.5"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "messages/s" in done.stdout
    assert "lost 0;" in done.stdout and "duplicates beyond at-least-once 0" in done.stdout
