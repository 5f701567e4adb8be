"""Which messages an event causes, written to the outbox in the caller's transaction.

``queue_for_event`` never commits: the messages exist only if the state change commits, and a
delivery job is deferred in the same transaction. Delivery happens later, in the worker
(``reports.notify.delivery``), so a slow or failing channel never holds up or undoes a change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ioc import jobs
from ioc.db import utcnow
from ioc.i18n import get_locale
from ioc.settings import Settings
from reports import queries as report_queries
from reports.models import Follower, Report, ReportEvent
from reports.notify import content
from reports.notify.models import Audience, Channel, Message, MessageState
from reports.notify.tasks import deliver

# A delivery job already waiting will claim these messages too. Looked up first, because deferring
# would wait on procrastinate's unique queueing lock for any concurrent transaction that deferred
# one and has not committed yet: concurrent state changes would queue behind each other.
_JOB_WAITING = text(
    "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = :lock "
    "AND status = 'todo')"
)
KEY_NAMESPACE = uuid.UUID("5b0c4c1e-6f0a-4d8e-9a57-1f3d2c6b8e90")
STAFF_LOCALE = "vi"  # agencies and the IOC read Vietnamese


@dataclass(frozen=True)
class Recipient:
    """One address of one audience by one channel."""

    audience: Audience
    channel: Channel
    address: str
    locale: str
    agency_id: int | None = None


@dataclass(frozen=True)
class Draft:
    """A message about to be written."""

    recipient: Recipient
    subject: str
    body: str
    payload: dict[str, Any] | None = None
    sensitive: bool = False


def queue_for_event(
    db: Session,
    settings: Settings,
    report: Report,
    event: ReportEvent,
    *,
    status_url: str | None = None,
) -> int:
    """Write the messages ``event`` causes (resident, agency, IOC); the number written.

    ``status_url`` is the private status link with its token, known only at intake. Calling it
    twice for one event writes nothing the second time (the idempotency keys are derived).
    """
    audiences = content.audiences_of(event.action)
    if event.action == "overdue" and (report.agency_id is None or _stage(event) == "verify"):
        audiences.discard(Audience.agency)
    if not audiences:
        return 0
    row = db.execute(report_queries.report_names(), {"report_id": report.id}).one()
    recipients = _recipients(db, settings, report, event, audiences, row)
    if not recipients:
        return 0
    facts = _facts(settings, report, event, row, status_url)
    drafts = [_draft(report, event, facts, recipient, status_url) for recipient in recipients]
    return write(db, settings, drafts, report_id=report.id, event_id=event.id)


def write(
    db: Session,
    settings: Settings,
    drafts: list[Draft],
    *,
    report_id: int | None,
    event_id: int | None,
) -> int:
    """Insert drafts as pending messages and defer a delivery job; the number inserted."""
    if not drafts:
        return 0
    now = utcnow()
    give_up = now + timedelta(hours=settings.notify.give_up_hours)
    rows = [_row(draft, report_id, event_id, now, give_up) for draft in drafts]
    statement = (
        insert(Message)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Message.id)
    )
    written = len(db.execute(statement).all())
    if written and not db.scalar(_JOB_WAITING, {"lock": deliver.queueing_lock}):
        jobs.defer(db, deliver, timestamp=0)
    return written


def idempotency_key(event_id: int | None, recipient: Recipient) -> str:
    """The same key for the same event, audience, channel and address (a UUID receivers keep)."""
    name = f"{event_id}|{recipient.audience}|{recipient.channel}|{recipient.address.lower()}"
    return str(uuid.uuid5(KEY_NAMESPACE, name) if event_id is not None else uuid.uuid4())


def _row(
    draft: Draft, report_id: int | None, event_id: int | None, now: datetime, give_up: datetime
) -> dict[str, Any]:
    recipient = draft.recipient
    return {
        "report_id": report_id,
        "event_id": event_id,
        "agency_id": recipient.agency_id,
        "audience": recipient.audience,
        "channel": recipient.channel,
        "recipient": recipient.address,
        "locale": recipient.locale,
        "subject": draft.subject[:300],
        "body": draft.body,
        "payload": draft.payload,
        "idempotency_key": idempotency_key(event_id, recipient),
        "sensitive": draft.sensitive,
        "state": MessageState.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "give_up_at": give_up,
        "created_at": now,
    }


def _stage(event: ReportEvent) -> str | None:
    stage = (event.payload or {}).get("stage")
    return str(stage) if stage else None


def queue_follow(
    db: Session, settings: Settings, report: Report, follower: Follower, private_url: str
) -> int:
    """Tell a new follower their own private link, where they gave a phone or an email."""
    pairs = addresses(settings, [follower.email], [follower.phone])
    if not pairs:
        return 0
    row = db.execute(report_queries.report_names(), {"report_id": report.id}).one()
    facts = content.Facts(
        code=report.tracking_code,
        category={"vi": row.name_vi, "en": row.name_en, "code": row.category_code},
        values={"private_link": private_url},
    )
    locale = get_locale()  # the follower's language: the request's
    drafts = []
    for channel, address in pairs:
        recipient = Recipient(Audience.resident, channel, address, locale)
        subject, body = content.render(Audience.resident, content.FOLLOWED, facts, locale)
        drafts.append(Draft(recipient, subject, body, sensitive=True))
    return write(db, settings, drafts, report_id=report.id, event_id=None)


# --- Recipients -----------------------------------------------------------------------------


def email_ready(settings: Settings) -> bool:
    """Email goes out through SMTP, or to demo mode's log."""
    return bool(settings.notify.smtp_host) or settings.demo


def phone_channels(settings: Settings) -> list[Channel]:
    """The channels a phone number gets: those with a gateway (any of them in demo mode)."""
    gateways = {"sms": settings.notify.sms, "zalo": settings.notify.zalo}
    return [
        Channel(name)
        for name in settings.notify.phone_channels
        if gateways[name].url or settings.demo
    ]


def addresses(
    settings: Settings, emails: Sequence[str | None], phones: Sequence[str | None]
) -> list[tuple[Channel, str]]:
    """(channel, address) pairs for some emails and phones, without blanks."""
    found: list[tuple[Channel, str]] = []
    if email_ready(settings):
        found += [(Channel.email, email.strip()) for email in emails if email and email.strip()]
    for channel in phone_channels(settings):
        found += [(channel, "".join(phone.split())) for phone in phones if phone and phone.strip()]
    return found


def _recipients(
    db: Session,
    settings: Settings,
    report: Report,
    event: ReportEvent,
    audiences: set[Audience],
    row: Any,
) -> list[Recipient]:
    """Every recipient of the event, each (audience, channel, address) once."""
    found: list[Recipient] = []
    if Audience.resident in audiences:
        found += _residents(db, settings, report, event)
    if Audience.agency in audiences and row.agency_id is not None:
        found += _agency(settings, row.agency_id, row.agency_contacts or {})
    if Audience.ioc in audiences:
        pairs = addresses(settings, settings.notify.ioc_emails, settings.notify.ioc_phones)
        found += [Recipient(Audience.ioc, ch, addr, STAFF_LOCALE) for ch, addr in pairs]
    unique: dict[tuple[Audience, Channel, str], Recipient] = {}
    for recipient in found:
        key = (recipient.audience, recipient.channel, recipient.address.lower())
        unique.setdefault(key, recipient)
    return list(unique.values())


def _residents(
    db: Session, settings: Settings, report: Report, event: ReportEvent
) -> list[Recipient]:
    """The reporter, and (after intake) the followers, in the reporter's language."""
    emails, phones = [report.reporter_email], [report.reporter_phone]
    if event.action != "submit":
        # A merge moved the duplicate's followers to the original: they hear of the merge too.
        moved = (event.payload or {}).get("moved_followers") or []
        for _, phone, email in db.execute(_followers(report.id, moved)):
            emails.append(email)
            phones.append(phone)
    locale = report.locale or STAFF_LOCALE
    pairs = addresses(settings, emails, phones)
    return [Recipient(Audience.resident, channel, addr, locale) for channel, addr in pairs]


def _followers(report_id: int, moved: list[int]) -> Any:
    who = Follower.report_id == report_id
    return select(Follower.name, Follower.phone, Follower.email).where(
        or_(who, Follower.id.in_(moved)) if moved else who
    )


def _agency(settings: Settings, agency_id: int, contacts: dict[str, Any]) -> list[Recipient]:
    """The agency's email, phone and webhook from its contacts."""
    pairs = addresses(settings, [contacts.get("email")], [contacts.get("phone")])
    if webhook := contacts.get("webhook"):
        pairs.append((Channel.webhook, str(webhook)))
    return [Recipient(Audience.agency, ch, addr, STAFF_LOCALE, agency_id) for ch, addr in pairs]


# --- Content --------------------------------------------------------------------------------


def _facts(
    settings: Settings, report: Report, event: ReportEvent, row: Any, status_url: str | None
) -> content.Facts:
    """What the texts may name; the reporter only where the resident shares their identity."""
    payload = event.payload or {}
    site = settings.notify.site_url.rstrip("/")
    original = payload.get("of")
    values: dict[str, Any] = {
        "agency": row.agency_name or payload.get("agency_name"),
        "reason": payload.get("reason"),
        "until": content.when(_time(payload.get("until"))),
        "due": content.when(_time(payload.get("due"))),
        "stage": payload.get("stage"),
        "note": payload.get("note") or event.note,
        "answer": report.result_text or payload.get("text"),
        "original": original,
        "priority": str(report.priority),
        "description": report.description,
        "place": f"{row.lat:.5f}, {row.lon:.5f}" + (f" ({row.ward_name})" if row.ward_name else ""),
        "accept_by": content.when(report.accept_by),
        "resolve_by": content.when(report.resolve_by),
        "link": f"{site}/r/{report.tracking_code}" if site else None,
        "original_link": f"{site}/r/{original}" if site and original else None,
        "private_link": status_url,
        "reporter": None if report.keep_identity_private else _reporter(report),
    }
    return content.Facts(
        code=report.tracking_code,
        category={"vi": row.name_vi, "en": row.name_en, "code": row.category_code},
        values=values,
    )


def _time(value: Any) -> datetime | None:
    """A datetime from an ISO string in a payload (None if absent or unreadable)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _reporter(report: Report) -> str | None:
    parts = [report.reporter_name, report.reporter_phone, report.reporter_email]
    shown = ", ".join(part for part in parts if part)
    return shown or None


def _draft(
    report: Report,
    event: ReportEvent,
    facts: content.Facts,
    recipient: Recipient,
    status_url: str | None,
) -> Draft:
    """The subject, body (and webhook JSON) of one recipient's message."""
    subject, body = content.render(recipient.audience, event.action, facts, recipient.locale)
    payload = None
    if recipient.channel == Channel.webhook:
        payload = webhook_body(report, event, facts, idempotency_key(event.id, recipient))
    sensitive = recipient.audience == Audience.resident and status_url is not None
    return Draft(recipient, subject, body, payload, sensitive)


def webhook_body(
    report: Report, event: ReportEvent, facts: content.Facts, key: str
) -> dict[str, Any]:
    """The JSON an agency's webhook receives (docs/NOTIFICATIONS.md describes it)."""
    values = facts.values
    body: dict[str, Any] = {
        "id": key,
        "event": event.action,
        "occurred_at": event.at.isoformat(),
        "report": {
            "tracking_code": report.tracking_code,
            "state": str(report.state),
            "category": {"code": facts.category["code"], "name": facts.category["vi"]},
            "priority": str(report.priority),
            "description": report.description,
            "place": values["place"],
            "accept_by": _iso(report.accept_by),
            "resolve_by": _iso(report.resolve_by),
            "due_at": _iso(report.due_at),
            "overdue": report.overdue,
            "url": values["link"],
        },
        "details": {
            key: (event.payload or {}).get(key)
            for key in ("reason", "until", "stage", "due", "agency_code", "agency_name")
            if (event.payload or {}).get(key) is not None
        },
        "note": event.note or None,
    }
    if not report.keep_identity_private:
        body["report"]["reporter"] = {
            "name": report.reporter_name,
            "phone": report.reporter_phone,
            "email": report.reporter_email,
        }
    return body


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
