"""The administrators' page of api keys, and the CLI: issue (shown once), revoke, admins only."""

from __future__ import annotations

import re

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from dashboard.open311 import keys
from dashboard.open311.models import ApiKey
from ioc.auth.models import Role
from ioc.cli import main
from ioc.cli_context import CliContext
from ioc.settings import Settings
from tests.conftest import MakeUser, csrf_from, sign_in
from tests.dashboard.open311.conftest import errors_of, json_of
from tests.reports.conftest import TAM_THANG

PAGE = "/admin/open311-keys"


def _file(client: TestClient, raw: str) -> int:
    data = {
        "api_key": raw,
        "service_code": "giao-thong",
        "lat": str(TAM_THANG[0]),
        "long": str(TAM_THANG[1]),
        "description": "Ổ gà",
    }
    return client.post("/open311/v2/requests.json", data=data).status_code


def test_an_admin_issues_a_key_shown_once_and_revokes_it(
    client: TestClient, dbs: Session, make_user: MakeUser
) -> None:
    make_user("root", Role.admin)
    sign_in(client, "root")
    token = csrf_from(client, PAGE)
    page = client.post(PAGE, data={"name": "FixMyStreet", "rate_limit": "50", "csrf_token": token})
    assert page.status_code == 200 and page.headers["Cache-Control"].startswith("no-store")
    match = re.search(r'id="new-key">([^<]+)<', page.text)
    assert match
    raw = match.group(1)
    key = dbs.scalar(select(ApiKey).where(ApiKey.name == "FixMyStreet"))
    assert key is not None and key.rate_limit == 50 and key.key_hash == keys.hash_key(raw)
    assert raw not in client.get(PAGE).text  # never shown again
    assert _file(client, raw) == 200
    revoke = f"{PAGE}/{key.id}/revoke"
    done = client.post(revoke, data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert key.revoked_at is not None
    assert _file(client, raw) == 403


def test_a_bad_form_is_shown_again_with_its_error(
    client: TestClient, dbs: Session, make_user: MakeUser
) -> None:
    make_user("root", Role.admin)
    sign_in(client, "root")
    token = csrf_from(client, PAGE)
    before = len(keys.listing(dbs))
    for name, limit in (("", "10"), ("A", "0"), ("A", "abc")):
        page = client.post(PAGE, data={"name": name, "rate_limit": limit, "csrf_token": token})
        assert page.status_code == 422 and 'class="field-error"' in page.text
    assert len(keys.listing(dbs)) == before


def test_the_page_is_for_admins_only_and_forms_need_csrf(
    client: TestClient, dbs: Session, make_user: MakeUser
) -> None:
    assert client.get(PAGE, headers={"Accept": "application/json"}).status_code == 401
    make_user("op", Role.ioc_operator)
    sign_in(client, "op")
    assert client.get(PAGE).status_code == 403
    client.cookies.clear()
    make_user("root", Role.admin)
    sign_in(client, "root")
    before = len(keys.listing(dbs))
    assert client.post(PAGE, data={"name": "X", "rate_limit": "5"}).status_code == 403
    assert len(keys.listing(dbs)) == before


def test_the_cli_creates_lists_and_revokes_keys(
    settings: Settings, connection: Connection, client: TestClient
) -> None:
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    context = CliContext(settings=settings, sessions=factory)
    runner = CliRunner()
    created = runner.invoke(main, ["open311", "key", "create", "SeeClickFix"], obj=context)
    assert created.exit_code == 0, created.output
    raw = created.output.rsplit(" ", 1)[1].strip()
    assert _file(client, raw) == 200
    listed = runner.invoke(main, ["open311", "key", "list"], obj=context)
    assert "SeeClickFix" in listed.output and raw not in listed.output
    key_id = created.output.split()[1]
    revoked = runner.invoke(main, ["open311", "key", "revoke", key_id], obj=context)
    assert revoked.exit_code == 0, revoked.output
    assert _file(client, raw) == 403
    missing = runner.invoke(main, ["open311", "key", "revoke", "999999"], obj=context)
    assert missing.exit_code != 0


def test_the_demo_key_is_seeded_once(dbs: Session) -> None:
    assert keys.ensure_demo_key(dbs) is False  # seeded with the test database (demo mode)
    demo = dbs.scalar(select(ApiKey).where(ApiKey.key_hash == keys.hash_key(keys.DEMO_KEY)))
    assert demo is not None and demo.revoked_at is None


def test_json_errors_of_a_revoked_key_name_the_field(client: TestClient, dbs: Session) -> None:
    key, raw = keys.issue(dbs, "Gone", 5)
    key.revoked_at = key.created_at
    response = client.post("/open311/v2/requests.json", data={"api_key": raw})
    assert errors_of(response, 403).startswith("api_key: ")
    assert json_of(response)[0]["code"] == 403
