"""Sending a resident's private link again (issue 13): to the phone and email given with the
report (or with the follow, for a follower's link), through the outbox, at most once per
``notify.resend_link_minutes`` per report.

The turn is taken with one conditional upsert, so that requests racing each other (a double tap,
two app servers) send one message, not two: a second transaction waits on the first one's row
and then finds the turn taken.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ioc.errors import Conflict, RateLimited
from ioc.i18n import N_, get_locale
from ioc.settings import Settings
from reports import queries as report_queries
from reports.models import Follower, Report
from reports.notify import content
from reports.notify.models import Audience, Channel, LinkResend
from reports.notify.service import Draft, Recipient, addresses, write
from reports.tracking.codes import Holder

NO_CONTACT = N_("No phone number or email address was given with this report.")
TOO_SOON = N_("The link was sent a moment ago. You can ask again in %(minutes)s minutes.")


def contacts_of(db: Session, report: Report, holder: Holder) -> tuple[str | None, str | None]:
    """The (phone, email) that the holder of a private link gave."""
    if holder.follower_id is None:
        return report.reporter_phone, report.reporter_email
    row = db.execute(
        select(Follower.phone, Follower.email).where(Follower.id == holder.follower_id)
    ).one()
    return row.phone, row.email


def take_turn(db: Session, report_id: int, now: datetime, minutes: int) -> int | None:
    """Take the report's turn to send its link again: None if taken, else the seconds to wait."""
    window = timedelta(minutes=minutes)
    statement = (
        insert(LinkResend)
        .values(report_id=report_id, sent_at=now)
        .on_conflict_do_update(
            index_elements=[LinkResend.report_id],
            set_={"sent_at": now},
            where=LinkResend.sent_at <= now - window,
        )
        .returning(LinkResend.report_id)
    )
    if db.execute(statement).first() is not None:
        return None
    last = db.scalar(select(LinkResend.sent_at).where(LinkResend.report_id == report_id))
    left = (last + window - now).total_seconds() if last is not None else 1.0
    return max(1, math.ceil(left))


def queue_link_again(
    db: Session,
    settings: Settings,
    report: Report,
    holder: Holder,
    private_url: str,
    now: datetime,
) -> list[Channel]:
    """Write the messages that carry the private link again; the channels they go by.

    Nothing is written (and the turn is not taken) when no contact was given: Conflict.
    """
    phone, email = contacts_of(db, report, holder)
    pairs = addresses(settings, [email], [phone])
    if not pairs:
        raise Conflict(NO_CONTACT)
    minutes = settings.notify.resend_link_minutes
    wait = take_turn(db, report.id, now, minutes)
    if wait is not None:
        raise RateLimited(TOO_SOON, retry_after=wait, minutes=math.ceil(wait / 60))
    row = db.execute(report_queries.report_names(), {"report_id": report.id}).one()
    facts = content.Facts(
        code=report.tracking_code,
        category={"vi": row.name_vi, "en": row.name_en, "code": row.category_code},
        values={"private_link": private_url},
    )
    locale = get_locale()  # the language the resident is reading the page in
    drafts = []
    for channel, address in pairs:
        recipient = Recipient(Audience.resident, channel, address, locale)
        subject, body = content.render(Audience.resident, content.LINK_AGAIN, facts, locale)
        drafts.append(Draft(recipient, subject, body, sensitive=True))
    write(db, settings, drafts, report_id=report.id, event_id=None)
    return [channel for channel, _ in pairs]
