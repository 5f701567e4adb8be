"""The admin page of notifications: admins only, forms with CSRF, retry refused where it makes
no sense (in the test's transaction)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from ioc.auth.models import Role
from ioc.settings import Settings
from reports.notify.models import Audience, Channel, Message, MessageState
from reports.notify.service import Draft, Recipient, write
from tests.conftest import MakeUser, csrf_from, sign_in


def _message(dbs: Session, settings: Settings, state: MessageState) -> Message:
    draft = Draft(Recipient(Audience.ioc, Channel.email, "ioc@example.vn", "vi"), "Tiêu đề", "…")
    write(dbs, settings, [draft], report_id=None, event_id=None)
    message = dbs.query(Message).order_by(Message.id.desc()).first()
    assert message is not None
    dbs.execute(update(Message).where(Message.id == message.id).values(state=state))
    dbs.refresh(message)
    return message


@pytest.mark.parametrize("role", [Role.ioc_operator, Role.ioc_supervisor, Role.agency_staff])
def test_only_admins_see_the_page(client: TestClient, make_user: MakeUser, role: Role) -> None:
    assert client.get("/admin/notifications").status_code == 401
    make_user("nhan-vien", role)
    sign_in(client, "nhan-vien")
    assert client.get("/admin/notifications").status_code == 403


def test_retry_needs_the_forms_csrf_token(
    client: TestClient, dbs: Session, settings: Settings, make_user: MakeUser
) -> None:
    message = _message(dbs, settings, MessageState.failed)
    make_user("quan-tri", Role.admin)
    sign_in(client, "quan-tri")
    refused = client.post(f"/admin/notifications/{message.id}/retry", follow_redirects=False)
    assert refused.status_code == 403
    dbs.refresh(message)
    assert message.state == MessageState.failed


def test_a_delivered_or_unknown_message_cannot_be_retried(
    client: TestClient, dbs: Session, settings: Settings, make_user: MakeUser
) -> None:
    message = _message(dbs, settings, MessageState.sent)
    make_user("quan-tri", Role.admin)
    sign_in(client, "quan-tri")
    token = csrf_from(client, "/admin/notifications")
    sent = client.post(f"/admin/notifications/{message.id}/retry", data={"csrf_token": token})
    assert sent.status_code == 409
    gone = client.post("/admin/notifications/999999999/retry", data={"csrf_token": token})
    assert gone.status_code == 404


def test_every_failed_message_can_be_retried_at_once(
    client: TestClient, dbs: Session, settings: Settings, make_user: MakeUser
) -> None:
    failed = [_message(dbs, settings, MessageState.failed) for _ in range(2)]
    sent = _message(dbs, settings, MessageState.sent)
    make_user("quan-tri", Role.admin)
    sign_in(client, "quan-tri")
    page = client.get("/admin/notifications?state=failed")
    assert page.status_code == 200 and "ioc@example.vn" in page.text
    token = csrf_from(client, "/admin/notifications")
    done = client.post(
        "/admin/notifications/retry-failed", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    for message in (*failed, sent):
        dbs.refresh(message)
    assert [m.state for m in failed] == [MessageState.pending] * 2
    assert sent.state == MessageState.sent
