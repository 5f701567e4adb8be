"""The rating form of the private status page: what it shows to the reporter or a follower."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.i18n import gettext
from ioc.settings import Settings
from reports.feedback import service
from reports.feedback.models import MAX_COMMENT, RATING_LABELS, RatingValue
from reports.models import Report
from reports.tracking.codes import token_holder


@dataclass
class RatingForm:
    """The form (``open``), the resident's rating of this publication, and a message."""

    token: str
    until: datetime | None
    open: bool
    changeable: bool = False  # a rating sent now may still be changed later
    current: str | None = None  # the value given so far
    chosen: str | None = None  # the value the form shows as checked
    comment: str = ""
    error: str | None = None
    max_comment: int = MAX_COMMENT
    choices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def current_label(self) -> str | None:
        """The rating given so far, in the reader's language."""
        return label(self.current) if self.current else None


def label(value: str) -> str:
    """A rating value's label in the reader's language."""
    return gettext(RATING_LABELS[RatingValue(value)])


def rating_form(
    db: Session, report: Report, settings: Settings, token: str | None
) -> RatingForm | None:
    """The form for a private link's holder once the result is published; None otherwise."""
    until = service.change_until(report, settings)
    if not token or until is None:
        return None
    holder = token_holder(db, report, token)
    if holder is None:
        return None
    rating = service.current(db, report, holder)
    given = rating.value.value if rating else None
    return RatingForm(
        token=token,
        until=until,
        open=rating is None or utcnow() <= until,
        changeable=utcnow() <= until,
        current=given,
        chosen=given,
        comment=rating.comment if rating else "",
        choices=[(value.value, gettext(text)) for value, text in RATING_LABELS.items()],
    )
