"""Staff sign-in: form with CSRF, cookies, the token API, roles, rate limits, messages."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.auth.models import LoginAttempt, Role, User, UserSession
from tests.conftest import PASSWORD, MakeUser, csrf_from, sign_in


def _sessions_of(dbs: Session, username: str) -> int:
    return (
        dbs.scalar(
            select(func.count())
            .select_from(UserSession)
            .join(User)
            .where(User.username == username)
        )
        or 0
    )


def _login(client: TestClient, username: str, password: str, **extra: str) -> Response:
    token = csrf_from(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, **extra},
        follow_redirects=False,
    )


def test_login_page_is_a_form_with_a_csrf_token(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert "Đăng nhập cán bộ" in page.text  # Vietnamese by default
    cookie = page.headers["set-cookie"]
    assert "ioc_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_sign_in_sets_a_safe_session_cookie(
    client: TestClient, make_user: MakeUser, dbs: Session
) -> None:
    make_user("lan")
    response = _login(client, "lan", PASSWORD, next="/admin/users")
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"
    cookie = response.headers["set-cookie"]
    assert "ioc_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    assert _sessions_of(dbs, "lan") == 1
    assert "Đã đăng nhập: lan" in client.get("/").text


def test_session_cookie_is_secure_over_https(app: FastAPI, make_user: MakeUser) -> None:
    make_user("hoa")
    with TestClient(app, base_url="https://testserver") as https_client:
        response = _login(https_client, "hoa", PASSWORD)
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]


def test_open_redirects_are_refused(client: TestClient, make_user: MakeUser) -> None:
    make_user("minh")
    response = _login(client, "minh", PASSWORD, next="//evil.example/")
    assert response.headers["location"] == "/"


def test_wrong_password_is_401_in_vietnamese_and_records_the_attempt(
    client: TestClient,
    make_user: MakeUser,
    dbs: Session,
) -> None:
    make_user("tuan")
    response = _login(client, "tuan", "wrong password")
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
    assert "ioc_session" not in response.headers.get("set-cookie", "")
    assert _sessions_of(dbs, "tuan") == 0
    failures = dbs.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.username == "tuan", LoginAttempt.success.is_(False))
    )
    assert failures == 1


def test_unknown_user_gets_the_same_message_in_english(client: TestClient) -> None:
    client.cookies.set("ioc_lang", "en")
    response = _login(client, "nobody", "whatever")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text


def test_form_without_csrf_token_is_403_and_signs_nobody_in(
    client: TestClient,
    make_user: MakeUser,
    dbs: Session,
) -> None:
    make_user("binh")
    client.get("/login")
    response = client.post(
        "/login", data={"username": "binh", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in response.text
    forged = client.post(
        "/login",
        data={"username": "binh", "password": PASSWORD, "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert _sessions_of(dbs, "binh") == 0


def test_failed_sign_ins_are_rate_limited_per_account(
    client: TestClient, make_user: MakeUser
) -> None:
    make_user("khoa")
    for _ in range(5):
        assert _login(client, "khoa", "bad").status_code == 401
    blocked = _login(client, "khoa", PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Bạn đã thử quá nhiều lần" in blocked.text
    api = client.post("/api/v1/auth/token", json={"username": "khoa", "password": PASSWORD})
    assert api.status_code == 429 and api.headers["content-type"] == "application/problem+json"


def test_failed_sign_ins_are_rate_limited_per_address(
    client: TestClient, make_user: MakeUser
) -> None:
    make_user("dung")
    for i in range(20):
        client.post("/api/v1/auth/token", json={"username": f"ghost{i}", "password": "x"})
    assert (
        client.post(
            "/api/v1/auth/token", json={"username": "dung", "password": PASSWORD}
        ).status_code
        == 429
    )


def test_token_endpoint(client: TestClient, make_user: MakeUser) -> None:
    make_user("an", Role.admin)
    good = client.post("/api/v1/auth/token", json={"username": "an", "password": PASSWORD})
    assert good.status_code == 200
    body = good.json()
    assert body["token_type"] == "bearer" and body["access_token"].count(".") == 2
    users = client.get("/admin/users", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert users.status_code == 200 and "an" in users.text

    bad = client.post(
        "/api/v1/auth/token",
        json={"username": "an", "password": "nope"},
        headers={"Accept-Language": "en"},
    )
    assert bad.status_code == 401
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["detail"] == "Wrong username or password."
    missing = client.post("/api/v1/auth/token", json={"username": "an"})
    assert missing.status_code == 422
    assert missing.json()["field"] == "password"
    assert missing.json()["errors"][0]["message"] == "Trường này là bắt buộc."


def test_a_forged_or_expired_token_is_401(client: TestClient) -> None:
    response = client.get(
        "/admin/users",
        headers={"Authorization": "Bearer abc.def.ghi", "Accept": "application/json"},
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Mã truy cập không hợp lệ hoặc đã hết hạn."


def test_roles_are_checked(client: TestClient, make_user: MakeUser) -> None:
    anonymous = client.get("/admin/users")
    assert anonymous.status_code == 401 and 'name="password"' in anonymous.text
    make_user("op", Role.ioc_operator)
    sign_in(client, "op")
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403
    assert "Bạn không có quyền mở trang này." in forbidden.text


def test_admin_sees_users_and_sign_out_ends_the_session(
    client: TestClient,
    make_user: MakeUser,
    dbs: Session,
) -> None:
    make_user("root2", Role.admin)
    sign_in(client, "root2")
    page = client.get("/admin/users")
    assert page.status_code == 200 and "operator" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    assert _sessions_of(dbs, "root2") == 1
    client.post("/logout", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert _sessions_of(dbs, "root2") == 0
    assert client.get("/admin/users").status_code == 401
