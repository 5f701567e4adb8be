"""A staff member changes their own password: the current one checked (and counted), the new one
confirmed, every other session and token of the account ended, this browser kept signed in."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.auth import passwords
from ioc.auth.models import LoginAttempt, User
from tests.conftest import PASSWORD, MakeUser, csrf_from, sign_in

NEW = "a brand new passphrase"


def _change(client: TestClient, current: str, new: str, again: str | None = None) -> Response:
    token = csrf_from(client, "/account/password")
    data = {
        "current_password": current,
        "new_password": new,
        "new_password_again": new if again is None else again,
        "csrf_token": token,
    }
    return client.post("/account/password", data=data)


def _hash(dbs: Session, username: str) -> str:
    dbs.expire_all()
    return dbs.scalars(select(User.password_hash).where(User.username == username)).one()


def test_the_page_is_for_signed_in_staff_only(client: TestClient) -> None:
    page = client.get("/account/password")
    assert page.status_code == 401 and 'name="password"' in page.text  # the sign-in form


def test_a_changed_password_ends_the_other_sessions_and_keeps_this_one(
    app: FastAPI, client: TestClient, make_user: MakeUser, dbs: Session
) -> None:
    make_user("thu")
    sign_in(client, "thu")
    with TestClient(app, base_url="http://testserver") as elsewhere:
        sign_in(elsewhere, "thu")
        assert "Đổi mật khẩu" in client.get("/account/password").text
        done = _change(client, PASSWORD, NEW)
        assert done.status_code == 200 and "Mật khẩu của bạn đã được đổi" in done.text
        assert elsewhere.get("/account/password").status_code == 401
    assert client.get("/account/password").status_code == 200  # a fresh session for this browser
    assert passwords.verify_password(_hash(dbs, "thu"), NEW)
    assert not passwords.verify_password(_hash(dbs, "thu"), PASSWORD)


def test_a_wrong_current_password_changes_nothing_and_is_counted(
    client: TestClient, make_user: MakeUser, dbs: Session
) -> None:
    make_user("vy")
    sign_in(client, "vy")
    before = _hash(dbs, "vy")
    refused = _change(client, "not my password", NEW)
    assert refused.status_code == 422 and "Mật khẩu hiện tại không đúng" in refused.text
    assert _hash(dbs, "vy") == before
    failures = dbs.scalars(
        select(LoginAttempt).where(LoginAttempt.username == "vy", LoginAttempt.success.is_(False))
    ).all()
    assert len(failures) == 1
    assert client.get("/account/password").status_code == 200  # still signed in


def test_new_passwords_that_differ_are_too_short_or_unchanged_are_refused(
    client: TestClient, make_user: MakeUser, dbs: Session
) -> None:
    make_user("khoa")
    sign_in(client, "khoa")
    before = _hash(dbs, "khoa")
    differ = _change(client, PASSWORD, NEW, again=NEW + "!")
    assert differ.status_code == 422 and "không giống nhau" in differ.text
    short = _change(client, PASSWORD, "short")
    assert short.status_code == 422 and "ít nhất 8 ký tự" in short.text
    same = _change(client, PASSWORD, PASSWORD)
    assert same.status_code == 422 and "phải khác mật khẩu hiện tại" in same.text
    assert _hash(dbs, "khoa") == before


def test_without_a_csrf_token_the_password_stays(
    client: TestClient, make_user: MakeUser, dbs: Session
) -> None:
    make_user("duc")
    sign_in(client, "duc")
    before = _hash(dbs, "duc")
    data = {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW}
    assert client.post("/account/password", data=data).status_code == 403
    assert _hash(dbs, "duc") == before
