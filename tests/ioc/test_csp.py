"""Content-Security-Policy: inline scripts run only with the response's own nonce."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import sign_in

PAGES = ["/", "/login", "/map/jurisdictions", "/report", "/api/docs", "/no/such/page"]
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def _script_src(policy: str) -> str:
    return next(d.strip() for d in policy.split(";") if d.strip().startswith("script-src"))


def _check_page(client: TestClient, path: str) -> str:
    """Assert the page's scripts all carry the nonce of its header; return the nonce."""
    response = client.get(path)
    script_src = _script_src(response.headers["content-security-policy"])
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    match = re.search(r"'nonce-([\w-]+)'", script_src)
    assert match, script_src
    nonce = match.group(1)
    tags = SCRIPT.findall(response.text)
    assert all(f'nonce="{nonce}"' in attributes for attributes in tags), (path, tags)
    assert not HANDLER.search(response.text), f"{path} has an inline event handler"
    return nonce


@pytest.mark.parametrize("path", PAGES)
def test_every_script_of_a_page_carries_the_nonce(client: TestClient, path: str) -> None:
    first = _check_page(client, path)
    assert _check_page(client, path) != first  # a fresh nonce per response


def test_the_admin_map_scripts_carry_the_nonce(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    from ioc.auth.models import Role

    make_user("csp-admin", Role.admin)
    sign_in(client, "csp-admin")
    _check_page(client, "/admin/routing/map")
