"""In headless Chromium: an administrator creates an agency account and resets its password."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from dashboard.admin.models import AccountAudit
from ioc import db
from ioc.auth.models import User

pytestmark = pytest.mark.e2e


@pytest.fixture
def username(engine: Engine) -> Iterator[str]:
    """A name for the account the test creates; the account is removed afterwards."""
    name = f"e2e-staff-{secrets.token_hex(3)}"
    yield name
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        user_id = session.scalar(select(User.id).where(User.username == name))
        session.execute(delete(AccountAudit).where(AccountAudit.user_id == user_id))
        session.execute(delete(User).where(User.id == user_id))


def _sign_in(page: Page, live_server: str, username: str, password: str, then: str) -> None:
    page.goto(f"{live_server}/login?next={then}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_an_admin_creates_an_agency_account_and_resets_its_password(
    page: Page, browser: Browser, live_server: str, username: str
) -> None:
    _sign_in(page, live_server, "admin", "demo12345", "/admin/users/new")
    page.wait_for_url(f"{live_server}/admin/users/new")
    agency = page.locator("#agency")
    expect(agency).to_be_hidden()  # until the role is agency staff
    page.fill("#username", username)
    page.fill("#full_name", "Nguyễn Thị Thử")
    page.select_option("#role", "agency_staff")
    expect(agency).to_be_visible()
    page.select_option("#agency", label="Điện lực Vũng Tàu (dl-vungtau)")
    page.click("button.primary")
    first = page.locator("#new-password").inner_text()
    expect(page.locator("h1")).to_contain_text(username)
    page.click("text=Quay lại tài khoản")
    expect(page.locator("#account-role")).to_have_text("Cán bộ xử lý")
    expect(page.locator("#account-agency")).to_have_text("Điện lực Vũng Tàu")
    expect(page.locator(".audit")).to_contain_text("Tạo tài khoản")

    # The new account signs in elsewhere; then the administrator resets its password.
    staff = browser.new_context(locale="vi-VN").new_page()
    _sign_in(staff, live_server, username, first, "/")
    staff.wait_for_url(f"{live_server}/")
    expect(staff.locator(".topnav")).to_contain_text(username)
    page.click("#reset-form button")
    second = page.locator("#new-password").inner_text()
    assert second != first
    staff.reload()
    expect(staff.locator(".topnav")).not_to_contain_text(username)  # its session has ended
    _sign_in(staff, live_server, username, first, "/")
    expect(staff.locator(".alert")).to_contain_text("Sai tên đăng nhập hoặc mật khẩu")
    _sign_in(staff, live_server, username, second, "/")
    staff.wait_for_url(f"{live_server}/")
    expect(staff.locator(".topnav")).to_contain_text(username)
    staff.context.close()
