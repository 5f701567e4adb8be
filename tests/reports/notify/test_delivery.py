"""Delivery on the real job queue: a real SMTP server and a local HTTP receiver get the messages,
a failure is retried with backoff, a message is given up after the configured time, and killing
the worker mid-delivery loses nothing (issue 9, "Done when")."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc import db, jobs
from ioc.app import job_app
from ioc.auth.models import Role
from ioc.settings import GatewaySettings, Settings
from reports.notify.models import Attempt, Audience, Channel, Message, MessageState
from reports.notify.service import Draft, Recipient, write
from reports.notify.tasks import deliver
from routing.models import Agency, AgencyKind
from tests.conftest import MakeUser, csrf_from, sign_in
from tests.ioc.test_jobs import run_until_empty
from tests.reports.notify.conftest import TEST_AGENCY, Inbox, with_notify
from tests.reports.notify.receiver import Received, Receiver

SECRET = "webhook-secret-of-the-test-agency"


def queue(engine: Engine, settings: Settings, drafts: list[Draft]) -> list[Message]:
    """Commit messages (and their delivery job) as a state change would."""
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        assert write(session, settings, drafts, report_id=None, event_id=None) == len(drafts)
    return read(engine)


OURS = Message.report_id.is_(None)  # other tests' committed reports may have messages too


def read(engine: Engine) -> list[Message]:
    """This test's messages (written without a report)."""
    with db.make_sessionmaker(engine)() as session:
        return list(session.scalars(select(Message).where(OURS).order_by(Message.id)))


def attempts(engine: Engine, message_id: int) -> list[Attempt]:
    with db.make_sessionmaker(engine)() as session:
        found = select(Attempt).where(Attempt.message_id == message_id).order_by(Attempt.id)
        return list(session.scalars(found))


def run_worker(engine: Engine, settings: Settings) -> None:
    """A worker on the real queue, in this process, until the queue is empty."""
    run_until_empty(job_app(settings), jobs.Resources(settings, db.make_sessionmaker(engine)))


def sms(to: str, text: str = "Phản ánh PA-2026-000001 đã được tiếp nhận.") -> Draft:
    return Draft(Recipient(Audience.resident, Channel.sms, to, "vi"), "", text)


def test_an_email_reaches_a_real_smtp_server(
    committed: Engine, settings: Settings, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    conf = with_notify(settings, tmp_path, smtp_host="127.0.0.1", smtp_port=port)
    subject, body = "Phản ánh PA-2026-000007 đã được tiếp nhận", "Theo dõi tại: …"
    mail = Draft(Recipient(Audience.resident, Channel.email, "an@example.vn", "vi"), subject, body)
    [message] = queue(committed, conf, [mail])
    run_worker(committed, conf)
    mails = [(e, email.message_from_bytes(e.original_content or b"")) for e in inbox.envelopes]
    [(envelope, received)] = [
        (e, m) for e, m in mails if m["Message-ID"] == f"<{message.idempotency_key}@ioc.invalid>"
    ]  # others may be what earlier tests left in the outbox
    assert envelope.rcpt_tos == ["an@example.vn"]
    assert str(email.header.make_header(email.header.decode_header(received["Subject"]))) == subject
    [after] = read(committed)
    assert after.state == MessageState.sent and after.attempts == 1
    assert [a.ok for a in attempts(committed, message.id)] == [True]


def _agency(engine: Engine, webhook: str) -> int:
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        agency = Agency(
            code=TEST_AGENCY,
            name="Đơn vị thử",
            kind=AgencyKind.other,
            contacts={"webhook": webhook, "webhook_secret": SECRET},
        )
        session.add(agency)
        session.flush()
        return agency.id


def _signature_is_valid(request: Received) -> bool:
    stamp = request.headers["x-ioc-timestamp"]
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + request.body, hashlib.sha256)
    fresh = abs(time.time() - int(stamp)) < 300
    return fresh and hmac.compare_digest(
        request.headers["x-ioc-signature"], f"sha256={expected.hexdigest()}"
    )


def test_sms_and_a_signed_webhook_reach_the_http_receiver(
    committed: Engine, settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    gateway = GatewaySettings(url=f"{receiver.url}/sms", token="gateway-token")
    conf = with_notify(settings, tmp_path, sms=gateway)
    agency_id = _agency(committed, f"{receiver.url}/hook")
    body = {"event": "verify_forward", "report": {"tracking_code": "PA-2026-000009"}}
    hook = Draft(
        Recipient(Audience.agency, Channel.webhook, f"{receiver.url}/hook", "vi", agency_id),
        "Phản ánh mới",
        "",
        payload=body,
    )
    messages = queue(committed, conf, [sms("0901234567"), hook])
    run_worker(committed, conf)
    by_path = {r.path: r for r in mine(receiver, messages)}
    sent = json.loads(by_path["/sms"].body)
    assert sent == {
        "to": "0901234567",
        "text": "Phản ánh PA-2026-000001 đã được tiếp nhận.",
        "idempotency_key": messages[0].idempotency_key,
    }
    assert by_path["/sms"].headers["authorization"] == "Bearer gateway-token"
    webhook = by_path["/hook"]
    assert json.loads(webhook.body) == body and _signature_is_valid(webhook)
    assert webhook.headers["idempotency-key"] == messages[1].idempotency_key
    assert webhook.headers["x-ioc-event"] == "verify_forward"
    assert {m.state for m in read(committed)} == {MessageState.sent}


def mine(receiver: Receiver, messages: list[Message]) -> list[Received]:
    """The requests for these messages (a worker also delivers what other tests left)."""
    keys = {m.idempotency_key for m in messages}
    return [r for r in receiver.received() if r.headers.get("idempotency-key") in keys]


def _answers(message: Message, *codes: int) -> Callable[[Received], int]:
    """Answer the message's requests with these statuses in turn, then 200 (others: 200)."""
    left = list(codes)

    def status(request: Received) -> int:
        ours = request.headers.get("idempotency-key") == message.idempotency_key
        return left.pop(0) if ours and left else 200

    return status


def test_a_failure_is_retried_after_a_backoff_and_then_delivered(
    committed: Engine, settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    gateway = GatewaySettings(url=f"{receiver.url}/sms")
    conf = with_notify(settings, tmp_path, sms=gateway, backoff_seconds=120)
    [message] = queue(committed, conf, [sms("0901234567")])
    receiver.status = _answers(message, 503)
    run_worker(committed, conf)
    [waiting] = read(committed)
    [failure] = attempts(committed, message.id)
    assert waiting.state == MessageState.pending and waiting.attempts == 1
    assert failure.status_code == 503 and not failure.ok and "503" in (waiting.last_error or "")
    delay = (waiting.next_attempt_at - failure.at).total_seconds()
    assert 0.9 * 120 - 1 <= delay <= 1.1 * 120 + 1  # the first backoff, with its jitter
    run_worker(committed, conf)  # not due yet: nothing is sent
    assert len(mine(receiver, [message])) == 1
    with committed.begin() as conn:  # the backoff has passed
        conn.execute(update(Message).where(OURS).values(next_attempt_at=func.now()))
    with db.session_scope(db.make_sessionmaker(committed)) as session:
        jobs.defer(session, deliver, timestamp=0)
    run_worker(committed, conf)
    [delivered] = read(committed)
    assert delivered.state == MessageState.sent and delivered.attempts == 2
    assert [a.status_code for a in attempts(committed, message.id)] == [503, 200]
    assert len(mine(receiver, [message])) == 2  # the same key both times


def test_a_refusal_for_good_fails_at_once(
    committed: Engine, settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    conf = with_notify(settings, tmp_path, sms=GatewaySettings(url=f"{receiver.url}/sms"))
    [message] = queue(committed, conf, [sms("not-a-number")])
    receiver.status = _answers(message, 400)
    run_worker(committed, conf)
    [failed] = read(committed)
    assert failed.state == MessageState.failed and failed.attempts == 1
    assert "HTTP 400" in (failed.last_error or "")


def test_a_message_is_given_up_after_the_configured_time_and_shown_to_admins(
    committed: Engine,
    settings: Settings,
    tmp_path: Path,
    receiver: Receiver,
    client: TestClient,
    dbs: Session,
    make_user: MakeUser,
) -> None:
    receiver.status = lambda _: 503
    conf = with_notify(settings, tmp_path, sms=GatewaySettings(url=f"{receiver.url}/sms"))
    [message] = queue(committed, conf, [sms("0909999999")])
    with committed.begin() as conn:  # the configured time has passed since it was written
        conn.execute(
            update(Message).where(OURS).values(give_up_at=func.now() - timedelta(seconds=1))
        )
    run_worker(committed, conf)
    [failed] = read(committed)
    assert failed.state == MessageState.failed and failed.attempts == 1
    make_user("quan-tri", Role.admin)
    sign_in(client, "quan-tri")
    page = client.get("/admin/notifications")
    assert page.status_code == 200
    assert "0909999999" in page.text and "HTTP 503" in page.text
    token = csrf_from(client, "/admin/notifications")
    retried = client.post(
        f"/admin/notifications/{message.id}/retry",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert retried.status_code == 303
    again = dbs.get_one(Message, message.id)
    dbs.refresh(again)
    assert again.state == MessageState.pending and again.give_up_at > again.created_at


def test_demo_mode_writes_sms_to_a_log_that_a_person_can_read(
    committed: Engine, settings: Settings, tmp_path: Path
) -> None:
    conf = with_notify(settings, tmp_path)
    assert conf.demo and not conf.notify.sms.url
    [message] = queue(committed, conf, [sms("0912345678", "Phản ánh PA-2026-000003 đã quá hạn.")])
    run_worker(committed, conf)
    log = (tmp_path / "messages.log").read_text(encoding="utf-8")
    assert "sms → 0912345678" in log and "Phản ánh PA-2026-000003 đã quá hạn." in log
    assert message.idempotency_key in log
    assert read(committed)[0].state == MessageState.sent


def _worker(settings: Settings, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    assert settings.database_url
    environment = dict(
        os.environ, IOC_DATABASE_URL=settings.database_url, IOC_SECRET_KEY=settings.secret_key
    )
    environment.update(env)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ioc", "worker"], env=environment, stderr=out
        )


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_killing_the_worker_mid_delivery_loses_nothing(
    committed: Engine, settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.delay = 2.0  # a slow gateway: the worker is killed with sends in flight
    env = {
        "IOC_DEMO": "1",
        "IOC_MEDIA_DIR": str(tmp_path),
        "IOC_NOTIFY__SMS__URL": f"{receiver.url}/sms",
        "IOC_NOTIFY__CONCURRENCY": "4",
        "IOC_NOTIFY__TIMEOUT_SECONDS": "5",
        "IOC_NOTIFY__LEASE_SECONDS": "6",
        "IOC_NOTIFY__LOG_FILE": str(tmp_path / "messages.log"),
    }
    conf = with_notify(settings, tmp_path)
    messages = queue(committed, conf, [sms(f"09000000{n:02d}") for n in range(12)])
    first = _worker(settings, env, tmp_path / "worker.log")
    try:
        _wait(lambda: len(mine(receiver, messages)) >= 2, 60, "the first worker sent nothing")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert {m.state for m in read(committed)} == {MessageState.pending}  # none recorded yet
    receiver.delay = 0.0
    second = _worker(settings, env, tmp_path / "worker.log")
    try:
        sent = lambda: {m.state for m in read(committed)} == {MessageState.sent}  # noqa: E731
        _wait(sent, 90, "the second worker did not deliver every message")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    received = [r.headers["idempotency-key"] for r in mine(receiver, messages)]
    assert set(received) == {m.idempotency_key for m in messages}  # none lost
    assert len(received) >= len(messages)  # those in flight were sent again: at least once
