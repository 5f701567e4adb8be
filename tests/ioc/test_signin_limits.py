"""Sign-in limits under concurrency, unlocking, Retry-After, and revocable bearer tokens."""

from __future__ import annotations

import http.client
import json
import re
import secrets
import threading
from collections.abc import Iterator

import jwt
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc import db
from ioc.app import create_app
from ioc.auth import service
from ioc.auth.models import LoginAttempt, LoginThrottle, Role, User
from ioc.cli import main
from ioc.cli_context import CliContext
from ioc.settings import Settings
from tests.conftest import PASSWORD, MakeUser, csrf_from, sign_in
from tests.ioc.serving import served

CLIENTS = 40


@pytest.fixture
def committed_user(engine: Engine) -> Iterator[str]:
    """A user committed for real (concurrent requests cannot see a test's open transaction)."""
    username = f"race-{secrets.token_hex(4)}"
    factory = db.make_sessionmaker(engine)
    with db.session_scope(factory) as session:
        service.create_user(session, username=username, password=PASSWORD, role=Role.ioc_operator)
    yield username
    with db.session_scope(factory) as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
        session.execute(
            delete(LoginThrottle).where(
                or_(
                    LoginThrottle.key == service.ACCOUNT_KEY + username,
                    LoginThrottle.key.startswith(service.ADDRESS_KEY + "198.51.100."),
                )
            )
        )
        session.execute(delete(User).where(User.username == username))


def _wrong_password(port: int, username: str, index: int, barrier: threading.Barrier) -> int:
    """One token request with a wrong password, from its own (forwarded) address."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"username": username, "password": f"wrong-{index}"})
    headers = {"Content-Type": "application/json", "X-Forwarded-For": f"198.51.100.{index}"}
    barrier.wait()
    connection.request("POST", "/api/v1/auth/token", body, headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status == 429:
        assert int(response.getheader("Retry-After", "0")) > 0
    return response.status


def test_forty_simultaneous_wrong_passwords_get_at_most_five_checks(
    settings: Settings, engine: Engine, committed_user: str
) -> None:
    app = create_app(settings, engine=engine)  # each request its own session and commits
    statuses: list[int] = []
    barrier = threading.Barrier(CLIENTS)
    with served(app) as (_, port):

        def run(index: int) -> None:
            statuses.append(_wrong_password(port, committed_user, index, barrier))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    with Session(engine) as session:
        checked = session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.username == committed_user)
        )
    assert len(statuses) == CLIENTS
    assert statuses.count(401) == checked
    assert checked is not None and 1 <= checked <= settings.login_max_failures
    assert statuses.count(429) == CLIENTS - checked


def _token(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def test_a_429_says_when_to_try_again(client: TestClient, make_user: MakeUser) -> None:
    make_user("chi")
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"username": "chi", "password": "bad"})
    api = client.post(
        "/api/v1/auth/token",
        json={"username": "chi", "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert api.status_code == 429
    assert 60 <= int(api.headers["Retry-After"]) <= 15 * 60
    assert re.fullmatch(
        r"Too many attempts\. Please try again in \d+ minutes\.", api.json()["detail"]
    )
    page = client.post(
        "/login",
        data={"username": "chi", "password": PASSWORD, "csrf_token": csrf_from(client)},
        follow_redirects=False,
    )
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0


def test_a_right_password_gives_its_check_back(client: TestClient, make_user: MakeUser) -> None:
    make_user("script")
    for _ in range(8):  # a client that fetches tokens often is not locked out by its successes
        _token(client, "script")
    for _ in range(4):
        client.post("/api/v1/auth/token", json={"username": "script", "password": "bad"})
    _token(client, "script")  # four failures leave the fifth check for the right password


def test_an_admin_unlocks_an_account_from_the_users_page(
    client: TestClient, make_user: MakeUser
) -> None:
    admin = other = client  # the token API ignores the admin's cookies
    make_user("locked", Role.ioc_operator)
    make_user("boss", Role.admin)
    for _ in range(6):
        other.post("/api/v1/auth/token", json={"username": "locked", "password": "bad"})
    assert other.post(
        "/api/v1/auth/token", json={"username": "locked", "password": PASSWORD}
    ).is_error
    sign_in(admin, "boss")
    page = admin.get("/admin/users")
    assert "Bị khóa đến" in page.text
    action = re.search(r'action="(/admin/users/\d+/unlock)"', page.text)
    assert action
    forged = admin.post(action.group(1), data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    token = csrf_from(admin, "/admin/users")
    done = admin.post(action.group(1), data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    assert "Bị khóa đến" not in admin.get("/admin/users").text
    _token(other, "locked")


def test_only_an_admin_may_unlock(client: TestClient, make_user: MakeUser) -> None:
    target = make_user("victim")
    make_user("op2", Role.ioc_operator)
    sign_in(client, "op2")
    token = csrf_from(client)
    response = client.post(
        f"/admin/users/{target.id}/unlock", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 403


def test_ioc_user_unlock(settings: Settings, engine: Engine, committed_user: str) -> None:
    factory = db.make_sessionmaker(engine)
    with db.session_scope(factory) as session:
        for _ in range(settings.login_max_failures):
            service.admit_check(session, settings, committed_user, "198.51.100.200")
    with db.session_scope(factory) as session:
        assert committed_user in service.locked_accounts(session, settings)
    cli = CliContext(settings=settings, sessions=factory)
    result = CliRunner().invoke(main, ["user", "unlock", committed_user.upper()], obj=cli)
    missing = CliRunner().invoke(main, ["user", "unlock", "nobody-here"], obj=cli)
    assert result.exit_code == 0, result.output
    assert missing.exit_code != 0 and "No user" in missing.output
    with db.session_scope(factory) as session:
        assert committed_user not in service.locked_accounts(session, settings)
        service.admit_check(session, settings, committed_user, "198.51.100.201")  # admitted


def test_logout_revokes_the_bearer_token(client: TestClient, make_user: MakeUser) -> None:
    make_user("leaving", Role.admin)
    token = _token(client, "leaving")
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    assert client.get("/admin/users", headers=auth).status_code == 200
    other = _token(client, "leaving")  # another device's token stays valid
    assert client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    refused = client.get("/admin/users", headers=auth)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Mã truy cập không hợp lệ hoặc đã hết hạn."
    assert client.post("/api/v1/auth/logout", headers=auth).status_code == 401
    assert client.post("/api/v1/auth/logout").status_code == 401
    assert client.get("/admin/users", headers={"Authorization": f"Bearer {other}"}).is_success


def test_tokens_carry_a_jti_and_tokens_without_one_are_refused(
    client: TestClient, make_user: MakeUser, settings: Settings
) -> None:
    user = make_user("jti-user", Role.admin)
    claims = jwt.decode(_token(client, "jti-user"), settings.secret_key, algorithms=["HS256"])
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    del claims["jti"]
    claims["sub"] = str(user.id)
    legacy = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    response = client.get("/admin/users", headers={"Authorization": f"Bearer {legacy}"})
    assert response.status_code == 401
