"""User management pages: roles and CSRF, create with an agency, bad inputs, edit, disable and
re-enable, password reset shown once, the audit trail, filters, and the ``ioc user`` commands."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from dashboard.admin import service as accounts
from dashboard.admin.forms import AccountIn
from dashboard.admin.models import AccountAction, AccountAudit
from ioc.auth.models import Role, User, UserSession
from ioc.auth.passwords import verify_password
from ioc.cli import main
from ioc.cli_context import CliContext
from ioc.errors import Conflict
from ioc.settings import Settings
from routing.models import Agency, AgencyMember
from tests.conftest import PASSWORD, MakeUser, csrf_from, sign_in

PAGES = [
    "/admin/users",
    "/admin/users?q=op&role=ioc_operator&status=active",
    "/admin/users/new",
    "/admin/users/audit",
]
PASSWORD_SHAPE = re.compile(r'id="new-password">([a-z2-9]{4}(?:-[a-z2-9]{4}){3})<')


@pytest.fixture
def admin(client: TestClient, make_user: MakeUser) -> User:
    """A signed-in administrator (the client carries the session)."""
    user = make_user("boss", Role.admin)
    sign_in(client, "boss")
    return user


@pytest.fixture
def other(app: FastAPI) -> Iterator[TestClient]:
    """A second browser, for the account being managed."""
    with TestClient(app, base_url="http://testserver") as second:
        yield second


def _agency(dbs: Session, active: bool = True) -> Agency:
    """A seeded agency (the first by code), switched on or off in the test's transaction."""
    agency = dbs.scalars(select(Agency).order_by(Agency.code)).first()
    assert agency is not None
    dbs.execute(update(Agency).where(Agency.id == agency.id).values(active=active))
    dbs.flush()
    dbs.refresh(agency)
    return agency


def _post(client: TestClient, path: str, data: dict[str, Any] | None = None) -> Any:
    """A form POST with the CSRF token of the users page."""
    token = csrf_from(client, "/admin/users")
    return client.post(path, data={**(data or {}), "csrf_token": token}, follow_redirects=False)


def _audits(dbs: Session, user_id: int | None = None) -> list[AccountAudit]:
    query = select(AccountAudit).order_by(AccountAudit.id)
    if user_id is not None:
        query = query.where(AccountAudit.user_id == user_id)
    return list(dbs.scalars(query))


def _count(dbs: Session, model: type[Any]) -> int:
    return dbs.scalar(select(func.count()).select_from(model)) or 0


def _shown_password(html: str) -> str:
    match = PASSWORD_SHAPE.search(html)
    assert match, "no password on the page"
    return match.group(1)


def _bearer(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}", "Accept": "text/html"}


# --- Who may use the pages ------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_for_administrators(client: TestClient, make_user: MakeUser, path: str) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 401 and 'name="password"' in anonymous.text  # sign-in form
    make_user("op-users", Role.ioc_operator)
    sign_in(client, "op-users")
    assert client.get(path).status_code == 403
    make_user("boss-users", Role.admin)
    sign_in(client, "boss-users")
    page = client.get(path)
    assert page.status_code == 200 and 'name="csrf_token"' in page.text


def test_every_action_refuses_other_roles_and_missing_csrf(
    client: TestClient, make_user: MakeUser, dbs: Session
) -> None:
    target = make_user("target-user", Role.ioc_operator)
    actions = ["", "/disable", "/enable", "/password", "/unlock"]
    make_user("supervisor-x", Role.ioc_supervisor)
    sign_in(client, "supervisor-x")
    assert _post(client, "/admin/users", {"username": "nope"}).status_code == 403
    for action in actions:
        assert _post(client, f"/admin/users/{target.id}{action}").status_code == 403
    make_user("boss-csrf", Role.admin)
    sign_in(client, "boss-csrf")
    form = {"full_name": "Changed", "role": "ioc_operator"}
    for action in actions:
        refused = client.post(f"/admin/users/{target.id}{action}", data=form)
        assert refused.status_code == 403 and "tải lại trang" in refused.text
    dbs.refresh(target)
    assert target.active and target.full_name == "" and _audits(dbs, target.id) == []


def test_an_unknown_account_is_404(client: TestClient, admin: User) -> None:
    assert client.get("/admin/users/987654321").status_code == 404
    assert _post(client, "/admin/users/987654321/disable").status_code == 404


# --- Create ---------------------------------------------------------------------------------


def test_an_admin_creates_agency_staff_and_sees_the_password_once(
    client: TestClient, other: TestClient, admin: User, dbs: Session
) -> None:
    agency = _agency(dbs)
    form = {
        "username": "Nguyen.Van-A",
        "full_name": "  Nguyễn   Văn A ",
        "role": "agency_staff",
        "agency": str(agency.id),
        "email": "a@example.vn",
    }
    page = _post(client, "/admin/users", form)
    assert page.status_code == 200, page.text
    assert "no-store" in page.headers["cache-control"]
    password = _shown_password(page.text)
    user = dbs.scalar(select(User).where(User.username == "nguyen.van-a"))
    assert user is not None and user.role == Role.agency_staff and user.active
    assert user.full_name == "Nguyễn Văn A" and user.email == "a@example.vn"
    assert verify_password(user.password_hash, password) and password not in user.password_hash
    assert dbs.get(AgencyMember, user.id).agency_id == agency.id  # type: ignore[union-attr]
    [row] = _audits(dbs, user.id)
    assert row.action == AccountAction.create and row.actor == "boss" and row.actor_id == admin.id
    assert row.before is None and row.after is not None
    assert row.after["role"] == "agency_staff" and row.after["agency"]["code"] == agency.code
    assert password not in json.dumps(row.after) and "hash" not in json.dumps(row.after)
    # Shown once: the account's page and the list never show it again.
    assert password not in client.get(f"/admin/users/{user.id}").text
    listing = client.get("/admin/users?q=nguyen")
    assert "Cán bộ xử lý" in listing.text and agency.name in listing.text
    sign_in(other, "nguyen.van-a", password)


def test_a_new_ioc_operator_has_no_agency(client: TestClient, admin: User, dbs: Session) -> None:
    form = {"username": "op-new", "full_name": "Trần Thị B", "role": "ioc_operator"}
    assert _post(client, "/admin/users", form).status_code == 200
    user = dbs.scalar(select(User).where(User.username == "op-new"))
    assert user is not None and dbs.get(AgencyMember, user.id) is None
    assert "Điều hành viên IOC" in client.get(f"/admin/users/{user.id}").text


BAD_FORMS = [
    ({"username": "boss"}, "username", "Tên đăng nhập đã được sử dụng."),
    ({"username": "BOSS"}, "username", "Tên đăng nhập đã được sử dụng."),
    ({"username": "có dấu"}, "username", "Dùng từ 2 đến 64 ký tự"),
    ({"username": ""}, "username", "Trường này là bắt buộc."),
    ({"username": "x" * 65}, "username", "Dùng từ 2 đến 64 ký tự"),
    ({"agency": ""}, "agency", "Cán bộ xử lý phải thuộc một cơ quan"),
    ({"role": "ioc_operator"}, "agency", "Chỉ cán bộ xử lý mới thuộc một cơ quan"),
    ({"agency": "987654321"}, "agency", "Hãy chọn một cơ quan đang hoạt động"),
    ({"agency": "99999999999999999999"}, "agency", "Vui lòng chọn một trong các lựa chọn."),
    ({"agency": "abc"}, "agency", "Vui lòng chọn một trong các lựa chọn."),
    ({"agency": "inactive"}, "agency", "Hãy chọn một cơ quan đang hoạt động"),
    ({"role": "superuser"}, "role", "Vui lòng chọn một trong các lựa chọn."),
    ({"role": ""}, "role", "Vui lòng chọn một trong các lựa chọn."),
    ({"full_name": "   "}, "full_name", "Trường này là bắt buộc."),
    ({"full_name": "x" * 201}, "full_name", "Nội dung quá dài."),
    ({"email": "not-an-email"}, "email", "Nhập địa chỉ email hợp lệ"),
    ({"email": "a@b"}, "email", "Nhập địa chỉ email hợp lệ"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_FORMS)
def test_bad_input_shows_the_form_again_and_changes_nothing(
    client: TestClient, admin: User, dbs: Session, change: dict[str, str], field: str, message: str
) -> None:
    agency = _agency(dbs)
    form = {"username": "new-staff", "full_name": "Lê C", "role": "agency_staff"}
    form |= {"agency": str(agency.id), "email": ""}
    form |= change
    if form["agency"] == "inactive":
        form["agency"] = str(_agency(dbs, active=False).id)
    dbs.commit()  # the setup stays when the request rolls back
    counts = (_count(dbs, User), _count(dbs, AgencyMember), _count(dbs, AccountAudit))
    page = _post(client, "/admin/users", form)
    assert page.status_code == 422
    assert f'data-field="{field}"' in page.text and message in page.text
    assert 'value="Lê C"' in page.text or field == "full_name"  # what was typed stays
    assert (_count(dbs, User), _count(dbs, AgencyMember), _count(dbs, AccountAudit)) == counts


def test_form_errors_follow_the_language(client: TestClient, admin: User) -> None:
    client.get("/lang/en")
    form = {"username": "staff-en", "full_name": "D", "role": "agency_staff", "agency": ""}
    page = _post(client, "/admin/users", form)
    assert page.status_code == 422 and "Agency staff work for an agency: choose it." in page.text


# --- Edit -----------------------------------------------------------------------------------


def test_editing_role_and_agency_is_audited_with_before_and_after(
    client: TestClient, admin: User, make_user: MakeUser, dbs: Session
) -> None:
    agency = _agency(dbs)
    staff = make_user("moving", Role.agency_staff, agency.id)
    form = {"full_name": "Phạm D", "role": "ioc_operator", "agency": "", "email": ""}
    done = _post(client, f"/admin/users/{staff.id}", form)
    assert done.status_code == 303 and done.headers["location"].endswith("done=saved")
    dbs.refresh(staff)
    assert staff.role == Role.ioc_operator and staff.full_name == "Phạm D"
    assert dbs.get(AgencyMember, staff.id) is None
    [row] = _audits(dbs, staff.id)
    assert row.action == AccountAction.edit and row.before and row.after
    assert (row.before["role"], row.after["role"]) == ("agency_staff", "ioc_operator")
    assert row.before["agency"]["id"] == agency.id and row.after["agency"] is None
    page = client.get(f"/admin/users/{staff.id}?done=saved")
    assert "Đã lưu các thay đổi." in page.text
    assert "Vai trò: Cán bộ xử lý → Điều hành viên IOC" in page.text
    # The same form again changes nothing and writes nothing.
    again = _post(client, f"/admin/users/{staff.id}", form)
    assert again.headers["location"].endswith("done=unchanged") and len(_audits(dbs, staff.id)) == 1


def test_editing_with_a_bad_agency_changes_nothing(
    client: TestClient, admin: User, make_user: MakeUser, dbs: Session
) -> None:
    staff = make_user("staying", Role.ioc_operator)
    dbs.commit()  # as if made by an earlier request: the failed one rolls back only its own
    form = {"full_name": "New name", "role": "agency_staff", "agency": "", "email": ""}
    page = _post(client, f"/admin/users/{staff.id}", form)
    assert page.status_code == 422 and 'data-field="agency"' in page.text
    dbs.refresh(staff)
    assert staff.role == Role.ioc_operator and staff.full_name == "" and not _audits(dbs, staff.id)


def test_staff_of_an_agency_made_inactive_may_keep_it(
    client: TestClient, admin: User, make_user: MakeUser, dbs: Session
) -> None:
    agency = _agency(dbs)
    staff = make_user("loyal", Role.agency_staff, agency.id)
    _agency(dbs, active=False)
    form = {"full_name": "Võ E", "role": "agency_staff", "agency": str(agency.id), "email": ""}
    assert _post(client, f"/admin/users/{staff.id}", form).status_code == 303
    assert dbs.get(AgencyMember, staff.id).agency_id == agency.id  # type: ignore[union-attr]


def test_an_admin_cannot_demote_or_disable_themselves(
    client: TestClient, admin: User, dbs: Session
) -> None:
    form = {"full_name": "Boss", "role": "ioc_operator", "agency": "", "email": ""}
    demoted = _post(client, f"/admin/users/{admin.id}", form)
    assert demoted.status_code == 422 and 'data-field="role"' in demoted.text
    assert "Bạn không thể tự đổi vai trò của mình" in demoted.text
    page = client.get(f"/admin/users/{admin.id}")
    assert f"/admin/users/{admin.id}/disable" not in page.text  # no button to do it
    refused = _post(client, f"/admin/users/{admin.id}/disable")
    assert refused.status_code == 409 and "Bạn không thể tự vô hiệu hóa" in refused.text
    dbs.refresh(admin)
    assert admin.role == Role.admin and admin.active and _audits(dbs, admin.id) == []
    assert client.get("/admin/users").status_code == 200  # still signed in


def test_the_last_active_administrator_stays(dbs: Session, make_user: MakeUser) -> None:
    last = make_user("last-admin", Role.admin)
    dbs.execute(
        update(User).where(User.role == Role.admin, User.id != last.id).values(active=False)
    )
    dbs.flush()
    with pytest.raises(Conflict):
        accounts.disable(dbs, accounts.CLI, last)
    operator = AccountIn(full_name="x", role=Role.ioc_operator)
    with pytest.raises(Conflict):
        accounts.update_account(dbs, accounts.CLI, last, operator)
    assert last.active and last.role == Role.admin and _audits(dbs, last.id) == []


# --- Disable, enable, reset -----------------------------------------------------------------


def test_disabling_ends_sessions_and_refuses_sign_in_and_tokens(
    client: TestClient, other: TestClient, admin: User, make_user: MakeUser, dbs: Session
) -> None:
    target = make_user("leaver", Role.ioc_supervisor)
    sign_in(other, "leaver")
    bearer = _bearer(other, "leaver")
    assert other.get("/").status_code == 200 and "leaver" in other.get("/").text
    done = _post(client, f"/admin/users/{target.id}/disable")
    assert done.status_code == 303 and done.headers["location"].endswith("done=disabled")
    dbs.refresh(target)
    assert not target.active
    assert _count_sessions(dbs, target.id) == 0
    assert "leaver" not in other.get("/").text  # the browser is signed out
    assert other.get("/admin/users", headers=bearer).status_code == 401
    refused = other.post("/api/v1/auth/token", json={"username": "leaver", "password": PASSWORD})
    assert refused.status_code == 401
    [row] = _audits(dbs, target.id)
    assert row.action == AccountAction.disable and row.before and row.after
    assert (row.before["active"], row.after["active"], row.after["sessions"]) == (True, False, 1)
    listing = client.get("/admin/users?status=disabled")
    assert 'data-username="leaver"' in listing.text and 'data-username="boss"' not in listing.text
    # Re-enabled: it signs in again, but the tokens issued before stay refused.
    assert _post(client, f"/admin/users/{target.id}/enable").status_code == 303
    assert other.get("/admin/users", headers=bearer).status_code == 401
    sign_in(other, "leaver")
    assert [r.action for r in _audits(dbs, target.id)][-1] == AccountAction.enable


def _count_sessions(dbs: Session, user_id: int) -> int:
    query = select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)
    return dbs.scalar(query) or 0


def test_a_password_reset_is_shown_once_and_the_old_one_stops_working(
    client: TestClient,
    other: TestClient,
    admin: User,
    make_user: MakeUser,
    dbs: Session,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = make_user("forgetful", Role.ioc_operator)
    sign_in(other, "forgetful")
    bearer = _bearer(other, "forgetful")
    page = _post(client, f"/admin/users/{target.id}/password")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    password = _shown_password(page.text)
    assert "Mật khẩu mới của forgetful" in page.text
    assert _count_sessions(dbs, target.id) == 0
    assert other.get("/admin/users", headers=bearer).status_code == 401
    old = other.post("/api/v1/auth/token", json={"username": "forgetful", "password": PASSWORD})
    assert old.status_code == 401
    sign_in(other, "forgetful", password)
    fresh = _bearer(other, "forgetful", password)  # issued just after the reset: accepted
    assert other.get("/admin/users", headers=fresh).status_code == 403  # signed in, not admin
    [row] = _audits(dbs, target.id)
    assert row.action == AccountAction.reset_password and row.after and row.after["sessions"] == 1
    stored = json.dumps([row.before, row.after])
    assert password not in stored and "argon2" not in stored
    assert password not in client.get(f"/admin/users/{target.id}").text
    assert password not in capsys.readouterr().err  # nor in the request log


def test_unlocking_is_audited(
    client: TestClient, admin: User, make_user: MakeUser, dbs: Session
) -> None:
    target = make_user("locked-out", Role.ioc_operator)
    for _ in range(6):
        client.post("/api/v1/auth/token", json={"username": "locked-out", "password": "wrong!"})
    page = client.get("/admin/users")
    action = f'action="/admin/users/{target.id}/unlock"'
    assert action in page.text and "Bị khóa đến" in page.text
    done = _post(client, f"/admin/users/{target.id}/unlock")
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    assert action not in client.get("/admin/users").text
    assert [r.action for r in _audits(dbs, target.id)] == [AccountAction.unlock]


# --- Lists ----------------------------------------------------------------------------------


def test_the_list_filters_by_role_agency_status_and_text(
    client: TestClient, admin: User, make_user: MakeUser, dbs: Session
) -> None:
    agency = _agency(dbs)
    make_user("filter-staff", Role.agency_staff, agency.id)
    make_user("filter-op", Role.ioc_operator)
    by_agency = client.get(f"/admin/users?agency={agency.id}").text
    assert (
        'data-username="filter-staff"' in by_agency and 'data-username="filter-op"' not in by_agency
    )
    by_role = client.get("/admin/users?role=ioc_operator&q=FILTER").text
    assert 'data-username="filter-op"' in by_role and 'data-username="filter-staff"' not in by_role
    assert "Không có tài khoản nào" in client.get("/admin/users?q=%25no_such%25").text
    for bad in ("role=root", "agency=x", "status=gone", "agency=99999999999"):
        assert client.get(f"/admin/users?{bad}").status_code == 422


def test_the_audit_page_shows_vietnam_time_and_action_names(
    client: TestClient, admin: User, make_user: MakeUser, dbs: Session
) -> None:
    target = make_user("audited", Role.ioc_operator)
    row = accounts.record(
        dbs, accounts.Actor.of(admin), target, AccountAction.disable, {"active": True}, {}
    )
    row.at = datetime(2026, 1, 1, 17, 30, tzinfo=UTC)  # 00:30 on 2 January in Vietnam
    row.after = {"active": False}
    dbs.flush()
    page = client.get("/admin/users/audit")
    assert "02/01/2026 00:30" in page.text and "Vô hiệu hóa tài khoản" in page.text
    assert "Hoạt động: có → không" in page.text
    client.get("/lang/en")
    english = client.get(f"/admin/users/{target.id}").text
    assert "Account disabled" in english and "Active: yes → no" in english


# --- The command line -----------------------------------------------------------------------


@pytest.fixture
def cli(settings: Settings, connection: Connection) -> CliContext:
    """The CLI bound to the test's transaction: its commits become savepoints."""
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return CliContext(settings=settings, sessions=factory)


def test_cli_disable_enable_and_reset_write_the_audit(
    cli: CliContext, make_user: MakeUser, dbs: Session
) -> None:
    target = make_user("cli-target", Role.ioc_operator)
    dbs.commit()
    runner = CliRunner()
    disabled = runner.invoke(main, ["user", "disable", "CLI-target"], obj=cli)
    assert disabled.exit_code == 0, disabled.output
    enabled = runner.invoke(main, ["user", "enable", "cli-target"], obj=cli)
    assert enabled.exit_code == 0, enabled.output
    reset = runner.invoke(main, ["user", "reset-password", "cli-target"], obj=cli)
    assert reset.exit_code == 0, reset.output
    password = reset.output.rsplit(": ", 1)[1].strip()
    dbs.expire_all()
    assert verify_password(dbs.get(User, target.id).password_hash, password)  # type: ignore[union-attr]
    actions = [(r.actor, r.action) for r in _audits(dbs, target.id)]
    assert actions == [
        ("cli", AccountAction.disable),
        ("cli", AccountAction.enable),
        ("cli", AccountAction.reset_password),
    ]
    missing = runner.invoke(main, ["user", "disable", "nobody-at-all"], obj=cli)
    assert missing.exit_code != 0 and "No user" in missing.output


def test_cli_user_add_binds_and_audits(cli: CliContext, dbs: Session) -> None:
    agency = _agency(dbs)
    dbs.commit()
    args = ["user", "add", "cli-staff", "--role", "agency_staff", "--agency", agency.code]
    added = CliRunner().invoke(main, [*args, "--password", "long-enough-1"], obj=cli)
    assert added.exit_code == 0, added.output
    user = dbs.scalar(select(User).where(User.username == "cli-staff"))
    assert user is not None and dbs.get(AgencyMember, user.id).agency_id == agency.id  # type: ignore[union-attr]
    assert [(r.actor, r.action) for r in _audits(dbs, user.id)] == [("cli", AccountAction.create)]
    bad = CliRunner().invoke(
        main, ["user", "add", "Bad Name", "--role", "admin", "--password", "x" * 10], obj=cli
    )
    assert bad.exit_code != 0 and "username" in bad.output
