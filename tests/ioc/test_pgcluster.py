"""Where the embedded cluster lives, and that the running one listens on its socket only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ioc.pgcluster import MAX_SOCKET_PATH, LocalCluster


def test_cluster_lives_under_var_when_the_path_is_short(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    cluster = LocalCluster(tmp_path / "var")
    if os.geteuid() == 0 and cluster.base != (tmp_path / "var" / "db").resolve():
        pytest.skip("the postgres user cannot reach this temporary directory")
    assert cluster.base == (tmp_path / "var" / "db").resolve()
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
