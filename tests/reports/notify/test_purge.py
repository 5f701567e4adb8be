"""The outbox purge: finished messages past the kept period go with their attempts; others stay."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from reports.notify.models import Attempt, Audience, Channel, Message, MessageState
from reports.notify.purge import purge

KEEP = timedelta(days=180)


def _message(dbs: Session, state: MessageState, at: datetime, key: str) -> Message:
    message = Message(
        audience=Audience.resident,
        channel=Channel.email,
        recipient="nguoidan@vidu.vn",
        idempotency_key=f"test-purge-{key}",
        state=state,
        created_at=at,
        next_attempt_at=at,
        give_up_at=at + timedelta(hours=48),
        sent_at=at if state is MessageState.sent else None,
    )
    dbs.add(message)
    dbs.flush()
    dbs.add(Attempt(message_id=message.id, at=at, ok=state is MessageState.sent))
    dbs.flush()
    return message


def test_finished_messages_older_than_the_kept_period_are_purged(dbs: Session) -> None:
    now = utcnow()
    old = now - KEEP - timedelta(days=3)
    gone = [
        _message(dbs, MessageState.sent, old, "old-sent").id,
        _message(dbs, MessageState.failed, old, "old-failed").id,
    ]
    kept = [
        _message(dbs, MessageState.sent, now - KEEP + timedelta(days=1), "recent-sent").id,
        # Still waiting, however old: it is never purged before it is delivered or given up.
        _message(dbs, MessageState.pending, old, "old-pending").id,
    ]
    assert purge(dbs, now, KEEP) == 2
    left = set(dbs.scalars(select(Message.id).where(Message.id.in_(gone + kept))))
    assert left == set(kept)
    attempts = set(
        dbs.scalars(select(Attempt.message_id).where(Attempt.message_id.in_(gone + kept)))
    )
    assert attempts == set(kept)
