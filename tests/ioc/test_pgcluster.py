"""Where the embedded cluster lives, and that the running one listens on its socket only."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ioc.pgcluster import MAX_SOCKET_PATH, LocalCluster


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
