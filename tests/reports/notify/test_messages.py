"""Which messages each lifecycle event writes, to whom, in which language, and what they never
say (issue 9, item 4; DOMAIN.md, Privacy). Everything here runs in the test's transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ioc.i18n import translations
from ioc.settings import GatewaySettings, Settings
from reports.models import ActorKind, Follower, Report, ReportEvent, ReportState
from reports.notify import content
from reports.notify.models import Audience, Channel, Message, MessageState
from reports.notify.service import queue_for_event
from routing.models import Agency
from tests.reports.conftest import Post, photo
from tests.reports.notify.conftest import with_notify

NAME, PHONE, EMAIL = "Nguyễn Văn An", "0901 234 567", "an@example.vn"
NOTE = "Internal: ask the ward chief first"
AGENCY_CONTACTS = {
    "email": "ubnd@example.vn",
    "phone": "0254 3852 000",
    "webhook": "http://127.0.0.1:9/hook",
    "webhook_secret": "s3cret-s3cret",
}


def file_report(post: Post, dbs: Session, **fields: Any) -> Report:
    """A report filed through the API (its intake messages are written too)."""
    values = {"name": NAME, "phone": PHONE, "email": EMAIL, "private": "true", **fields}
    created = post(
        category="giao-thong", description="Ổ gà sâu trước nhà số 12", photos=[photo()], **values
    )
    assert created.status_code == 201, created.text
    return dbs.get_one(Report, created.json()["id"])


def assign(dbs: Session, report: Report) -> Agency:
    """Forward the report to its suggested agency, with delivery contacts."""
    agency = dbs.get_one(Agency, report.suggested_agency_id)
    agency.contacts = AGENCY_CONTACTS
    report.agency_id = agency.id
    report.state = ReportState.assigned
    dbs.flush()
    return agency


def event(
    dbs: Session, report: Report, action: str, payload: dict[str, Any] | None = None, **kw: Any
) -> ReportEvent:
    """A flushed event of the report, as the lifecycle writes it."""
    found = ReportEvent(
        report_id=report.id,
        actor_kind=kw.pop("actor_kind", ActorKind.staff),
        from_state=report.state,
        to_state=kw.pop("to_state", report.state),
        action=action,
        note=kw.pop("note", ""),
        payload=payload or {},
    )
    dbs.add(found)
    dbs.flush()
    return found


def messages(dbs: Session, found: ReportEvent) -> list[Message]:
    """The messages an event wrote, in a stable order."""
    return list(
        dbs.scalars(
            select(Message)
            .where(Message.event_id == found.id)
            .order_by(Message.audience, Message.channel, Message.recipient)
        )
    )


def by(found: list[Message], audience: Audience, channel: Channel) -> list[Message]:
    return [m for m in found if m.audience == audience and m.channel == channel]


@pytest.fixture
def ioc_settings(settings: Settings, tmp_path: Path) -> Settings:
    return with_notify(settings, tmp_path, ioc_emails=["truc-ban@ioc.example.vn"])


@pytest.mark.parametrize(
    ("lang", "words"), [("vi", "đã được tiếp nhận"), ("en", "has been received")]
)
def test_intake_tells_the_resident_the_code_and_the_private_link_in_their_language(
    post: Post, dbs: Session, client: TestClient, lang: str, words: str
) -> None:
    report = file_report(post, dbs, lang=lang)
    [submitted] = dbs.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id))
    found = messages(dbs, submitted)
    assert {(m.audience, m.channel, m.recipient) for m in found} == {
        (Audience.resident, Channel.email, EMAIL),
        (Audience.resident, Channel.sms, "0901234567"),
    }
    for message in found:
        assert message.locale == lang and message.sensitive
        assert report.tracking_code in message.subject and words in message.body
        assert message.state == MessageState.pending
    link = found[0].body.split("http://testserver", 1)[1].split()[0]
    assert link.startswith(f"/r/{report.tracking_code}?t=")
    page = client.get(link)  # the private link opens the private status page
    assert page.status_code == 200 and "Ổ gà sâu trước nhà số 12" in page.text
    jobs = dbs.scalar(
        text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'reports.notify.deliver'")
    )
    assert jobs == 1  # one delivery job waits, deferred in the same transaction


def test_a_resident_who_gave_no_contact_gets_no_message(post: Post, dbs: Session) -> None:
    report = file_report(post, dbs, name="", phone="", email="")
    assert dbs.scalar(select(func.count()).where(Message.report_id == report.id)) == 0


def test_forwarding_tells_the_reporter_the_followers_and_the_agency(
    post: Post, dbs: Session, ioc_settings: Settings
) -> None:
    report = file_report(post, dbs)
    dbs.add(Follower(report_id=report.id, email="hang@example.vn", submitter_key="k" * 64))
    agency = assign(dbs, report)
    forwarded = event(
        dbs, report, "verify_forward", {"agency": agency.id, "agency_code": agency.code}, note=NOTE
    )
    written = queue_for_event(dbs, ioc_settings, report, forwarded)
    found = messages(dbs, forwarded)
    assert written == len(found) == 6
    residents = [m for m in found if m.audience == Audience.resident]
    assert {m.recipient for m in residents} == {EMAIL, "0901234567", "hang@example.vn"}
    for message in residents:
        assert agency.name in message.body and "Internal" not in message.body
        assert not message.sensitive  # no private link after intake
    assert {m.recipient for m in found if m.audience == Audience.agency} == {
        "ubnd@example.vn",
        "02543852000",
        "http://127.0.0.1:9/hook",
    }
    [mail] = by(found, Audience.agency, Channel.email)
    assert "Ổ gà sâu trước nhà số 12" in mail.body and NOTE in mail.body
    assert mail.locale == "vi" and "Phản ánh" in mail.subject


def test_the_agency_never_sees_the_reporter_unless_the_resident_shares_it(
    post: Post, dbs: Session, ioc_settings: Settings
) -> None:
    hidden, shared = file_report(post, dbs), file_report(post, dbs, private="false")
    for report, visible in ((hidden, False), (shared, True)):
        assign(dbs, report)
        forwarded = event(dbs, report, "verify_forward")
        queue_for_event(dbs, ioc_settings, report, forwarded)
        agency = [m for m in messages(dbs, forwarded) if m.audience == Audience.agency]
        [hook] = by(agency, Audience.agency, Channel.webhook)
        assert hook.payload is not None
        assert ("reporter" in hook.payload["report"]) is visible
        for message in agency:
            text_sent = message.body + repr(message.payload)
            for secret in (NAME, "0901 234 567", EMAIL):
                assert (secret in text_sent) is visible, (message.channel, secret)


def test_a_rejection_tells_its_reason_and_never_the_staff_note(
    post: Post, dbs: Session, ioc_settings: Settings
) -> None:
    report = file_report(post, dbs, lang="en")
    rejected = event(
        dbs,
        report,
        "reject",
        {"reason": "A complaint about a decision: it follows the law on complaints."},
        note=NOTE,
        to_state=ReportState.rejected,
    )
    queue_for_event(dbs, ioc_settings, report, rejected)
    found = messages(dbs, rejected)
    assert {m.audience for m in found} == {Audience.resident}
    for message in found:
        assert "it follows the law on complaints" in message.body
        assert "Internal" not in message.body and message.locale == "en"


@pytest.mark.parametrize(
    ("action", "payload", "told"),
    [
        ("return", {"reason": "Không thuộc thẩm quyền"}, "Lý do: Không thuộc thẩm quyền"),
        (
            "request_extension",
            {"until": "2026-12-10T03:00:00+00:00", "reason": "Chờ vật tư"},
            "đến 10:00 10/12/2026. Lý do: Chờ vật tư",
        ),
        ("reopen", {"note": "Vẫn còn ổ gà"}, "Ý kiến của người dân: Vẫn còn ổ gà"),
        (
            "overdue",
            {"stage": "verify", "due": "2026-12-01T09:30:00+07:00"},
            "quá hạn xác minh (hạn: 09:30 01/12/2026)",
        ),
    ],
)
def test_the_ioc_hears_of_returns_extensions_reopenings_and_missed_deadlines(
    post: Post,
    dbs: Session,
    ioc_settings: Settings,
    action: str,
    payload: dict[str, Any],
    told: str,
) -> None:
    report = file_report(post, dbs, lang="en")
    assign(dbs, report)
    found_event = event(dbs, report, action, payload)
    queue_for_event(dbs, ioc_settings, report, found_event)
    found = messages(dbs, found_event)
    [ioc] = [m for m in found if m.audience == Audience.ioc]
    assert ioc.recipient == "truc-ban@ioc.example.vn" and ioc.locale == "vi"
    assert report.tracking_code in ioc.subject and told in ioc.body
    assert not [m for m in found if m.audience == Audience.agency]  # none for these steps
    residents = [m for m in found if m.audience == Audience.resident]
    assert bool(residents) == (action == "reopen")  # the resident's reopening is acknowledged


def test_an_overdue_result_alerts_the_agency_and_the_ioc(
    post: Post, dbs: Session, ioc_settings: Settings
) -> None:
    report = file_report(post, dbs)
    assign(dbs, report)
    late = event(dbs, report, "overdue", {"stage": "resolve", "due": "2026-12-01T16:00:00+07:00"})
    queue_for_event(dbs, ioc_settings, report, late)
    found = messages(dbs, late)
    assert {m.audience for m in found} == {Audience.agency, Audience.ioc}
    [mail] = by(found, Audience.agency, Channel.email)
    assert "16:00 01/12/2026" in mail.body  # the deadline in Vietnam's time


@pytest.mark.parametrize(
    "action", ["recategorise", "relocate", "set_priority", "resolve", "an_unknown_action"]
)
def test_staff_only_steps_send_nothing(
    post: Post, dbs: Session, ioc_settings: Settings, action: str
) -> None:
    report = file_report(post, dbs)
    assign(dbs, report)
    assert queue_for_event(dbs, ioc_settings, report, event(dbs, report, action)) == 0


def test_queueing_an_event_twice_writes_its_messages_once(
    post: Post, dbs: Session, ioc_settings: Settings
) -> None:
    report = file_report(post, dbs)
    assign(dbs, report)
    accepted = event(dbs, report, "accept", to_state=ReportState.in_progress)
    first = queue_for_event(dbs, ioc_settings, report, accepted)
    assert first == 2 and queue_for_event(dbs, ioc_settings, report, accepted) == 0
    assert len(messages(dbs, accepted)) == 2


def test_the_resident_reads_english_and_the_agency_vietnamese(
    post: Post, dbs: Session, ioc_settings: Settings
) -> None:
    report = file_report(post, dbs, lang="en")
    assign(dbs, report)
    forwarded = event(dbs, report, "verify_forward")
    queue_for_event(dbs, ioc_settings, report, forwarded)
    found = messages(dbs, forwarded)
    [resident] = by(found, Audience.resident, Channel.email)
    [agency] = by(found, Audience.agency, Channel.email)
    assert "has been verified and forwarded" in resident.body
    assert "(Roads and traffic)" in resident.body
    assert "(Giao thông, mức độ: thông thường)" in agency.body
    assert "đã được chuyển" in agency.body


def test_without_smtp_or_gateways_outside_demo_mode_only_webhooks_are_written(
    post: Post, dbs: Session, settings: Settings, tmp_path: Path
) -> None:
    report = file_report(post, dbs)
    assign(dbs, report)
    production = with_notify(settings, tmp_path).model_copy(update={"demo": False})
    forwarded = event(dbs, report, "verify_forward")
    queue_for_event(dbs, production, report, forwarded)
    assert [m.channel for m in messages(dbs, forwarded)] == [Channel.webhook]
    gateway = with_notify(settings, tmp_path, zalo=GatewaySettings(url="http://127.0.0.1:9/z"))
    zalo = gateway.model_copy(update={"demo": False})
    zalo.notify.phone_channels = ["zalo", "sms"]
    accepted = event(dbs, report, "accept")
    queue_for_event(dbs, zalo, report, accepted)
    assert {(m.channel, m.recipient) for m in messages(dbs, accepted)} == {
        (Channel.zalo, "0901234567")
    }


def test_later_messages_link_to_the_public_status_page_when_the_site_is_known(
    post: Post, dbs: Session, settings: Settings, tmp_path: Path
) -> None:
    site = with_notify(settings, tmp_path, site_url="https://phananh.example.vn/")
    report = file_report(post, dbs, email="", lang="en")
    merged = event(
        dbs, report, "mark_duplicate", {"of": "PA-2026-000001"}, to_state=ReportState.duplicate
    )
    queue_for_event(dbs, site, report, merged)
    [message] = messages(dbs, merged)
    assert "was reported before as PA-2026-000001" in message.body
    assert "Follow it: https://phananh.example.vn/r/PA-2026-000001" in message.body
    assigned = event(dbs, report, "verify_forward", to_state=ReportState.assigned)
    queue_for_event(dbs, site, report, assigned)
    [message] = messages(dbs, assigned)
    assert f"https://phananh.example.vn/r/{report.tracking_code}" in message.body
    assert "?t=" not in message.body  # the private token is never stored to be sent again


@pytest.mark.parametrize(("audience", "action"), sorted(content.TEXTS))
def test_every_message_is_translated(audience: Audience, action: str) -> None:
    subject, lines = content.TEXTS[(audience, action)]
    vietnamese = translations("vi")
    for msgid in (subject, *lines):
        assert vietnamese.gettext(msgid) != msgid, msgid
