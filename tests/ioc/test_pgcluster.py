"""Where the embedded cluster lives, that it stays durable, and that it refuses orphaned servers."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from ioc.system.pgcluster import MAX_SOCKET_PATH, ClusterError, LocalCluster, orphaned_servers

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def test_cluster_lives_under_var_when_the_path_is_short() -> None:
    # pytest's tmp_path is private to root; the server user must be able to reach this one.
    top = Path(tempfile.mkdtemp(prefix="ioc-", dir="/tmp"))
    try:
        top.chmod(0o755)
        cluster = LocalCluster(top / "var")
        assert cluster.base == (top / "var" / "db").resolve()
    finally:
        shutil.rmtree(top)
    assert cluster.data_dir == cluster.base / "pgdata"
    assert cluster.url("x").endswith(f"/x?host={cluster.socket_dir}&port=5432")


def test_a_socket_path_too_long_for_the_kernel_moves_to_a_short_private_path(
    tmp_path: Path,
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "var"
    cluster = LocalCluster(deep)
    assert str(cluster.base).startswith("/var/tmp/ioc-")
    assert len(str(cluster.socket_dir / ".s.PGSQL.5432")) <= MAX_SOCKET_PATH
    # Two checkouts never share a fallback.
    assert LocalCluster(tmp_path / ("d" * 60) / ("f" * 60) / "var").base != cluster.base


def _reachable_dir() -> Path:
    """A temporary directory the server user can reach (pytest's tmp_path is private to root)."""
    top = Path(tempfile.mkdtemp(prefix="ioc-", dir="/tmp"))
    top.chmod(0o755)
    return top


def _show(cluster: LocalCluster, name: str) -> str:
    with psycopg.connect(host=str(cluster.socket_dir), user="ioc", dbname="postgres") as conn:
        row = conn.execute(f"SHOW {name}").fetchone()
    assert row is not None
    return str(row[0])


def test_durable_settings_win_and_an_orphaned_server_is_refused() -> None:
    top = _reachable_dir()
    cluster = LocalCluster(top / "var")
    pid = 0
    try:
        cluster.init()
        conf = cluster.data_dir / "postgresql.conf"
        conf.write_text(conf.read_text() + "synchronous_commit = off\nfsync = off\n")
        cluster.start()
        assert [_show(cluster, n) for n in ("synchronous_commit", "fsync", "full_page_writes")] == [
            "on",
            "on",
            "on",
        ]
        assert "synchronous_commit = off" not in conf.read_text()
        pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        # The checkout is deleted while its server runs, and made again at the same path.
        shutil.rmtree(top / "var")
        assert orphaned_servers(cluster.data_dir) == [pid]
        again = LocalCluster(top / "var")
        with pytest.raises(ClusterError, match=f"process {pid}.*kill -INT {pid}"):
            again.start()
        assert not again.running()
    finally:
        if pid:
            os.kill(pid, signal.SIGQUIT)
            _wait_gone(pid)
        else:
            cluster.stop()
        shutil.rmtree(top, ignore_errors=True)


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_crashed_server_that_nobody_reaped_is_started_again() -> None:
    """A SIGKILLed postmaster whose parent never reaps it (some containers' init) is a zombie."""
    top = _reachable_dir()
    cluster = LocalCluster(top / "var")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans come to this test, which waits
    try:
        cluster.start()
        pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        _wait_for_state(pid, "Z")
        assert cluster.dead_postmaster() == pid and not cluster.running()
        cluster.start()
        assert cluster.running() and _show(cluster, "fsync") == "on"
    finally:
        cluster.stop()
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        _reap_children()
        shutil.rmtree(top, ignore_errors=True)


def _wait_for_state(pid: int, state: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == state:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never reached state {state}")


def _reap_children() -> None:
    """Collect the adopted processes that have ended (the killed postmaster and its backends)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
