"""Sending the private link again (issue 13): only for the link's holder, to the contacts given
with the report, once per ten minutes per report even when requests race, and the message
reaches a real SMTP server and the SMS gateway's local receiver."""

from __future__ import annotations

import email
import email.header
import email.policy
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc import db
from ioc.app import create_app
from ioc.settings import GatewaySettings, IntakeSettings, Settings
from reports.models import Report
from reports.notify.models import Attempt, LinkResend, Message
from tests.ioc import serving
from tests.reports.conftest import TAM_THANG, Post
from tests.reports.notify.conftest import Inbox, with_notify
from tests.reports.notify.receiver import Receiver
from tests.reports.notify.test_delivery import run_worker

PLACE = {"lat": TAM_THANG[0], "lon": TAM_THANG[1]}
VUNG_TAU = (10.3455, 107.0750)  # Phường Vũng Tàu: committed reports here crowd no other test
SUBJECT_VI = "Đường dẫn riêng tới phản ánh"


def token_of(created: dict[str, Any]) -> str:
    """The token of the private link in a 201 answer."""
    link = str(created["links"]["private_status_page"])
    return parse_qs(urlsplit(link).query)["t"][0]


def messages_of(dbs: Session, code: str) -> list[Message]:
    report_id = select(Report.id).where(Report.tracking_code == code).scalar_subquery()
    return list(dbs.scalars(select(Message).where(Message.report_id == report_id)))


def file(post: Post, **contact: str) -> tuple[str, str]:
    """A report with these contacts: (its code, its private token)."""
    created = post(category="giao-thong", description="Ổ gà", **PLACE, **contact)
    assert created.status_code == 201, created.text
    return created.json()["tracking_code"], token_of(created.json())


def resend(client: TestClient | httpx.Client, code: str, token: str) -> httpx.Response:
    return client.post(f"/api/v1/reports/{code}/resend-link", json={"token": token})


def test_the_link_is_queued_again_once_per_ten_minutes(
    post: Post, client: TestClient, dbs: Session
) -> None:
    code, token = file(post, phone="0901234567", email="lan@vidu.vn")
    before = len(messages_of(dbs, code))
    answer = resend(client, code, token)
    assert answer.status_code == 202, answer.text
    assert sorted(answer.json()["channels"]) == ["email", "sms"]
    again = [m for m in messages_of(dbs, code) if m.subject.startswith(SUBJECT_VI)]
    assert len(messages_of(dbs, code)) == before + 2 and len(again) == 2
    assert {m.recipient for m in again} == {"0901234567", "lan@vidu.vn"}
    assert all(f"/r/{code}?t={token}" in m.body and m.sensitive for m in again)

    soon = resend(client, code, token)
    assert soon.status_code == 429 and soon.json()["code"] == "rate-limited"
    assert 0 < int(soon.headers["Retry-After"]) <= 600
    assert "10 phút" in soon.json()["detail"]
    assert len(messages_of(dbs, code)) == before + 2  # nothing more was written

    report_id = dbs.scalar(select(Report.id).where(Report.tracking_code == code))
    earlier = LinkResend.sent_at - timedelta(minutes=10)
    dbs.execute(update(LinkResend).where(LinkResend.report_id == report_id).values(sent_at=earlier))
    assert resend(client, code, token).status_code == 202  # ten minutes later: once more
    assert len(messages_of(dbs, code)) == before + 4


def test_a_wrong_token_or_no_contact_writes_nothing(
    post: Post, client: TestClient, dbs: Session
) -> None:
    code, token = file(post, phone="0901234567")
    before = len(messages_of(dbs, code))
    wrong = resend(client, code, token[:-2] + ("aa" if not token.endswith("aa") else "bb"))
    assert wrong.status_code == 403 and wrong.json()["field"] == "token"
    assert resend(client, "PA-2099-999999", token).status_code == 404
    empty = client.post(f"/api/v1/reports/{code}/resend-link", json={})
    assert empty.status_code == 422 and empty.json()["field"] == "token"
    silent, silent_token = file(post)
    nobody = resend(client, silent, silent_token)
    assert nobody.status_code == 409
    assert (
        nobody.json()["detail"] == "Không có số điện thoại hay địa chỉ email nào đi kèm phản ánh."
    )
    ours = select(Report.id).where(Report.tracking_code.in_([code, silent]))
    taken = select(func.count()).select_from(LinkResend).where(LinkResend.report_id.in_(ours))
    assert len(messages_of(dbs, code)) == before and dbs.scalar(taken) == 0


def test_a_follower_gets_their_own_link_at_their_own_contacts(
    post: Post, client: TestClient, dbs: Session
) -> None:
    code, _ = file(post, phone="0901234567")
    followed = client.post(f"/api/v1/reports/{code}/follow", json={"email": "binh@vidu.vn"})
    assert followed.status_code == 201, followed.text
    link = followed.json()["status_page"]
    token = parse_qs(urlsplit(link).query)["t"][0]
    answer = resend(client, code, token)
    assert answer.status_code == 202 and answer.json()["channels"] == ["email"]
    [sent] = [m for m in messages_of(dbs, code) if m.subject.startswith(SUBJECT_VI)]
    assert sent.recipient == "binh@vidu.vn" and link in sent.body


@pytest.fixture
def live(
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    smtp: tuple[Inbox, int],
    receiver: Receiver,
) -> Iterator[tuple[str, Settings, list[str]]]:
    """A real server whose email goes to the local SMTP server and SMS to the local receiver;
    the codes of the reports a test files there are removed with their messages afterwards."""
    gateway = GatewaySettings(url=f"{receiver.url}/sms", token="gateway-token")
    conf = with_notify(settings, tmp_path, smtp_host="127.0.0.1", smtp_port=smtp[1], sms=gateway)
    conf = conf.model_copy(update={"intake": IntakeSettings(rate_limit=1_000_000)})
    codes: list[str] = []
    with serving.served(create_app(conf, engine=engine)) as (host, port):
        yield f"http://{host}:{port}", conf, codes
    _forget(engine, codes)


def _forget(engine: Engine, codes: list[str]) -> None:
    """Remove the messages and resends of these reports (the reports stay, as committed ones do)."""
    with engine.begin() as conn:
        ids = select(Report.id).where(Report.tracking_code.in_(codes))
        ours = select(Message.id).where(Message.report_id.in_(ids))
        conn.execute(delete(Attempt).where(Attempt.message_id.in_(ours)))
        conn.execute(delete(Message).where(Message.report_id.in_(ids)))
        conn.execute(delete(LinkResend).where(LinkResend.report_id.in_(ids)))


def _file_live(url: str, codes: list[str], **contact: str) -> tuple[str, str]:
    fields = {"category": "giao-thong", "description": "Đèn hỏng", "lat": VUNG_TAU[0]}
    fields |= {"lon": VUNG_TAU[1], **contact}
    created = httpx.post(
        f"{url}/api/v1/reports",
        data={k: str(v) for k, v in fields.items()},
        files=[("photos", ("", b"", "application/octet-stream"))],
        headers={"Accept": "application/json"},
    )
    assert created.status_code == 201, created.text
    codes.append(created.json()["tracking_code"])
    return codes[-1], token_of(created.json())


def test_the_link_reaches_the_smtp_server_and_the_sms_gateway(
    live: tuple[str, Settings, list[str]],
    engine: Engine,
    smtp: tuple[Inbox, int],
    receiver: Receiver,
) -> None:
    url, conf, codes = live
    code, token = _file_live(url, codes, phone="0907654321", email="chi@vidu.vn")
    with httpx.Client(base_url=url) as client:
        assert resend(client, code, token).status_code == 202
    run_worker(engine, conf)
    link = f"{url}/r/{code}?t={token}"
    mails = [email.message_from_bytes(e.original_content or b"") for e in smtp[0].envelopes]
    subjects = {
        str(email.header.make_header(email.header.decode_header(m["Subject"]))): m for m in mails
    }
    [mail] = [m for s, m in subjects.items() if s == f"{SUBJECT_VI} {code}"]
    assert mail["To"] == "chi@vidu.vn"
    text = email.message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    assert link in text.get_body().get_content()  # type: ignore[union-attr]
    texts = [json.loads(r.body) for r in receiver.received() if r.path == "/sms"]
    again = [t for t in texts if t["to"] == "0907654321" and "yêu cầu gửi lại" in t["text"]]
    assert len(again) == 1 and link in again[0]["text"]
    with db.make_sessionmaker(engine)() as session:
        sent = [m for m in messages_of(session, code) if m.subject.startswith(SUBJECT_VI)]
        assert {m.state for m in sent} == {"sent"} and all(m.body == "" for m in sent)


def test_racing_requests_send_the_link_once(
    live: tuple[str, Settings, list[str]], engine: Engine
) -> None:
    url, _, codes = live
    code, token = _file_live(url, codes, phone="0907654322")
    start = threading.Barrier(6)

    def ask(_: int) -> int:
        with httpx.Client(base_url=url, timeout=30) as client:
            start.wait()
            return resend(client, code, token).status_code

    with ThreadPoolExecutor(6) as pool:
        answers = sorted(pool.map(ask, range(6)))
    assert answers == [202] + [429] * 5
    with db.make_sessionmaker(engine)() as session:
        sent = [m for m in messages_of(session, code) if m.subject.startswith(SUBJECT_VI)]
    assert len(sent) == 1
