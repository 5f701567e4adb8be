"""Rating a published result: one rating per resident and publication, changeable for a while.

The rules (issue 11): only a report whose result is published now may be rated; the reporter and
each follower (their own private links) rate once per publication; a rating may be changed
within ``lifecycle.reopen_days`` of the publication, not after. A first rating is taken as long
as the result stays published: a resident who reads it late still has a say. Nothing commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import Conflict, InvalidInput
from ioc.i18n import N_
from ioc.settings import Settings
from reports.feedback.models import MAX_COMMENT, Rating, RatingValue
from reports.models import Report, ReportState
from reports.tracking.codes import Holder

NOT_PUBLISHED = N_("The result of this report is not published: it cannot be rated now.")
TOO_LATE = N_(
    "A rating can be changed within %(days)s days of the result's publication; that time is over."
)
UNKNOWN_VALUE = N_("Choose a rating: %(values)s.")
COMMENT_TOO_LONG = N_("At most %(n)s characters.")


@dataclass(frozen=True)
class RatingIn:
    """What the resident sent: the value's name and a comment (checked by ``check_input``)."""

    value: str
    comment: str = ""


def check_input(sent: RatingIn) -> tuple[RatingValue, str]:
    """The value and the comment, or a 422 naming the field."""
    try:
        value = RatingValue(sent.value.strip())
    except ValueError:
        values = ", ".join(v.value for v in RatingValue)
        raise InvalidInput(UNKNOWN_VALUE, field="value", values=values) from None
    comment = sent.comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(COMMENT_TOO_LONG, field="comment", n=MAX_COMMENT)
    return value, comment


def change_until(report: Report, settings: Settings) -> datetime | None:
    """Until when a rating of the current publication may be changed; None if unpublished."""
    if report.state != ReportState.published or report.published_at is None:
        return None
    return report.published_at + timedelta(days=settings.lifecycle.reopen_days)


def current(db: Session, report: Report, holder: Holder) -> Rating | None:
    """The holder's rating of the report's current publication, if any."""
    if report.published_at is None:
        return None
    return db.scalar(_of(report.id, holder, report.published_at))


def _of(report_id: int, holder: Holder, published_at: datetime) -> Select[Rating]:
    who = (
        Rating.follower_id.is_(None)
        if holder.follower_id is None
        else Rating.follower_id == holder.follower_id
    )
    return select(Rating).where(
        Rating.report_id == report_id, Rating.published_at == published_at, who
    )


def rate(
    db: Session,
    settings: Settings,
    report_id: int,
    holder: Holder,
    sent: RatingIn,
    *,
    now: datetime | None = None,
) -> tuple[Rating, bool]:
    """Rate (or change the rating of) the current publication; the rating and if it is new."""
    value, comment = check_input(sent)
    now = now or utcnow()
    report = _lock(db, report_id)
    until = change_until(report, settings)
    if until is None or report.published_at is None:
        raise Conflict(NOT_PUBLISHED, field="value")
    rating = db.scalar(_of(report.id, holder, report.published_at))
    if rating is None:
        rating = Rating(
            report_id=report.id,
            follower_id=holder.follower_id,
            published_at=report.published_at,
            agency_id=report.agency_id,
            value=value,
            comment=comment,
            created_at=now,
            updated_at=now,
            changes=0,
        )
        db.add(rating)
        db.flush()
        return rating, True
    if now > until:
        raise Conflict(TOO_LATE, field="value", days=settings.lifecycle.reopen_days)
    if (rating.value, rating.comment) != (value, comment):
        rating.value, rating.comment = value, comment
        rating.updated_at, rating.changes = now, rating.changes + 1
        db.flush()
    return rating, False


def _lock(db: Session, report_id: int) -> Report:
    """The report's row, locked: a rating and a reopening (or a new publication) queue here."""
    statement = (
        select(Report)
        .where(Report.id == report_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.scalars(statement).one()
