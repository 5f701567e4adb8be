"""A resident's rating of a report's published result.

One rating per resident (the reporter, or one follower) per publication: a report reopened and
published again may be rated again, and the earlier cycle's ratings stay as they were (they rated
the result of that time). ``published_at`` names the publication rated; ``agency_id`` the agency
whose result it was (the KPIs count the rating for it even if the report is later forwarded
elsewhere). A rating may be changed within ``lifecycle.reopen_days`` of its publication.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, TimestampMixin, utcnow
from ioc.i18n import N_


class RatingValue(enum.StrEnum):
    """How the resident judges the result (the three answers of Hue-S and iHanoi)."""

    satisfied = "satisfied"  # Hài lòng
    accepted = "accepted"  # Chấp nhận
    dissatisfied = "dissatisfied"  # Không hài lòng


RATING_LABELS: dict[RatingValue, str] = {
    RatingValue.satisfied: N_("Satisfied"),
    RatingValue.accepted: N_("Acceptable"),
    RatingValue.dissatisfied: N_("Not satisfied"),
}
# Satisfaction rate = (satisfied + accepted) / rated (DOMAIN.md).
CONTENT = frozenset({RatingValue.satisfied, RatingValue.accepted})
MAX_COMMENT = 2000


class Rating(TimestampMixin, Base):
    """One resident's rating of one publication of a report's result."""

    __tablename__ = "report_ratings"
    __table_args__ = (
        # One rating per resident and publication: the reporter (no follower) …
        Index(
            "uq_report_ratings_reporter",
            "report_id",
            "published_at",
            unique=True,
            postgresql_where=text("follower_id IS NULL"),
        ),
        # … and each follower.
        Index(
            "uq_report_ratings_follower",
            "report_id",
            "follower_id",
            "published_at",
            unique=True,
            postgresql_where=text("follower_id IS NOT NULL"),
        ),
        # The KPIs and the public site count ratings by the day of the publication rated.
        Index(
            "ix_report_ratings_published",
            "published_at",
            postgresql_include=["agency_id", "value"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    follower_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_followers.id"), index=True
    )  # None: the reporter
    published_at: Mapped[datetime]
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    value: Mapped[RatingValue] = mapped_column(Enum(RatingValue, native_enum=False, length=16))
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # How many times the resident changed it (0: as first given).
    changes: Mapped[int] = mapped_column(Integer, default=0)
