"""Fuzz the whole OpenAPI document with schemathesis and fail on any 5xx (part of `make check`).

A throw-away database (``ioc_fuzz`` in the embedded cluster, or ``IOC_FUZZ_DATABASE_URL``) is
migrated and seeded, the app is served by ``ioc serve`` on a free loopback port, and schemathesis
sends at least ``FUZZ_EXAMPLES`` (100) generated requests to every operation, signed in as the
demo administrator so that admin routes are reached too. The seed is printed; ``FUZZ_SEED=N``
repeats a run. The server's log (tracebacks of any 5xx) is kept in ``var/fuzz/server.log``.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ioc.cli import DEMO_PASSWORD, prepare_database
from ioc.settings import PROJECT_ROOT, Settings
from ioc.system.pgcluster import LocalCluster

BIN = Path(sys.executable).parent
WORK = Path(os.environ.get("IOC_VAR_DIR", PROJECT_ROOT / "var")) / "fuzz"
SECRET = "fuzz-secret-key-0123456789abcdef0123456789"  # noqa: S105 - a throw-away server's key
LOGOUT = "/api/v1/auth/logout"  # revokes the token it is called with: fuzzed on its own, last


def database_url() -> str:
    """A fresh, migrated, seeded database for this run."""
    url = os.environ.get("IOC_FUZZ_DATABASE_URL")
    if not url:
        cluster = LocalCluster(Path(os.environ.get("IOC_VAR_DIR", PROJECT_ROOT / "var")))
        cluster.start()
        url = cluster.url("ioc_fuzz")
    return prepare_database(Settings(database_url=url, demo=True, secret_key=SECRET), fresh=True)


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(url: str, port: int, media: Path, log: Path) -> subprocess.Popen[bytes]:
    """``ioc serve`` on the fuzz database; the intake limit is lifted so that reports get filed."""
    env = {
        **os.environ,
        "IOC_DATABASE_URL": url,
        "IOC_DEMO": "1",
        "IOC_SECRET_KEY": SECRET,
        "IOC_MEDIA_DIR": str(media),
        "IOC_INTAKE__RATE_LIMIT": "1000000",
    }
    command = [str(BIN / "ioc"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped; see {log}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start within a minute")


def admin_token(base: str) -> str:
    """A bearer token of the demo administrator."""
    body = json.dumps({"username": "admin", "password": DEMO_PASSWORD}).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # a loopback URL of ours
        token: str = json.load(response)["access_token"]
        return token


def schemathesis(base: str, token: str, seed: int, examples: int, *selection: str) -> int:
    """One schemathesis run; its exit status (0 when no check failed)."""
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{base}/api/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(examples),
        "--seed",
        str(seed),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "2",
        "--request-timeout",
        "60",
        "--suppress-health-check",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        *selection,
    ]
    return subprocess.call(command, cwd=WORK)  # its cache (.schemathesis/) stays under var/


def main() -> int:
    """Fuzz every operation; non-zero if any answered 5xx."""
    seed = int(os.environ.get("FUZZ_SEED") or random.randrange(2**31))  # noqa: S311 - not secret
    examples = int(os.environ.get("FUZZ_EXAMPLES", "100"))
    print(f"fuzz seed: {seed} (repeat with FUZZ_SEED={seed} make fuzz)", flush=True)
    WORK.mkdir(parents=True, exist_ok=True)
    url = database_url()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = WORK / "server.log"
    with tempfile.TemporaryDirectory(prefix="ioc-fuzz-media-") as media:
        server = serve(url, port, Path(media), log)
        try:
            # Both tokens first: fuzzed sign-ins soon use up this address's sign-in allowance.
            token, spare = admin_token(base), admin_token(base)
            status = schemathesis(base, token, seed, examples, "--exclude-path", LOGOUT)
            status |= schemathesis(base, spare, seed, examples, "--include-path", LOGOUT)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"fuzz seed: {seed}; server log: {log}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
