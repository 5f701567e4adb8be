"""Api keys of Open311 clients, and which key filed which report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, TimestampMixin

DEFAULT_RATE_LIMIT = 120  # requests filed per key and window (``open311.rate_window_minutes``)


class ApiKey(TimestampMixin, Base):
    """A client's key: only its SHA-256 is stored; shown once when issued.

    ``window_start``/``window_count`` are the rate limit's counter, moved by one UPDATE that
    also checks the key (its row lock makes concurrent requests of one key count one by one).
    """

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit: Mapped[int] = mapped_column(Integer, default=DEFAULT_RATE_LIMIT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    window_start: Mapped[datetime | None]
    window_count: Mapped[int] = mapped_column(Integer, default=0)


class FiledRequest(Base):
    """A report filed through Open311, and the key that filed it (never public)."""

    __tablename__ = "open311_requests"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    key_id: Mapped[int] = mapped_column(ForeignKey("open311_keys.id"), index=True)
