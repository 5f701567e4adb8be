"""The outbox: messages written with the state change that caused them, and each attempt."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ioc.db import Base, TimestampMixin, utcnow


class Audience(enum.StrEnum):
    """Who a message is for."""

    resident = "resident"  # the reporter and the followers of a report
    agency = "agency"  # the agency a report is assigned to
    ioc = "ioc"  # the operations centre


class Channel(enum.StrEnum):
    """How a message travels."""

    email = "email"
    sms = "sms"
    zalo = "zalo"
    webhook = "webhook"


class MessageState(enum.StrEnum):
    """Where a message stands: waiting (first try or a retry), delivered, or given up."""

    pending = "pending"
    sent = "sent"
    failed = "failed"


class Message(TimestampMixin, Base):
    """One message to one recipient by one channel; the worker delivers it at least once."""

    __tablename__ = "notify_messages"
    __table_args__ = (
        # The worker's claim: the pending messages that are due, oldest due first.
        Index(
            "ix_notify_messages_pending_due",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
        Index("ix_notify_messages_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("report_events.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    audience: Mapped[Audience] = mapped_column(Enum(Audience, native_enum=False, length=16))
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=16))
    # An email address, a phone number, or a webhook URL.
    recipient: Mapped[str] = mapped_column(String(500))
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The JSON body of a webhook.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Sent with every attempt, so that receivers can drop the duplicates of at-least-once.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    # The body holds a private status link: it is blanked once delivered.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[MessageState] = mapped_column(
        Enum(MessageState, native_enum=False, length=16), default=MessageState.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a worker may take it: now, after a backoff, or once a claiming worker's lease ends.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    give_up_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    attempt_rows: Mapped[list[Attempt]] = relationship(
        back_populates="message", order_by="Attempt.id", lazy="raise"
    )


class Attempt(Base):
    """One delivery attempt of a message: when, how long, and what came back."""

    __tablename__ = "notify_attempts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("notify_messages.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

    message: Mapped[Message] = relationship(back_populates="attempt_rows", lazy="raise")


class LinkResend(Base):
    """When a report's private link was last sent again at the resident's request (rate limit)."""

    __tablename__ = "notify_link_resends"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    sent_at: Mapped[datetime]
