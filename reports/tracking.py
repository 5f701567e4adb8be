"""Tracking codes (PA-2026-000123), private status tokens, and what each reader may see."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import Integer, literal
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ioc.errors import Forbidden
from ioc.i18n import N_
from reports.models import PUBLIC_STATES, Report, TrackingCounter
from routing.sla import VN_TZ

CODE_PATTERN = re.compile(r"^PA-(\d{4})-(\d{6,})$")
BAD_TOKEN = N_("This private link is not valid. Check that it was copied in full.")


def next_tracking_code(db: Session, at: datetime) -> str:
    """The next code of the year; the counter row stays locked until the transaction ends.

    An upsert is one statement: concurrent intakes queue on the row lock rather than racing, and a
    submission that rolls back returns its number, so codes of committed reports have no gaps.
    """
    year = at.astimezone(VN_TZ).year
    statement = (
        insert(TrackingCounter)
        .values(year=year, last=literal(1, Integer))
        .on_conflict_do_update(
            index_elements=[TrackingCounter.year], set_={"last": TrackingCounter.last + 1}
        )
        .returning(TrackingCounter.last)
    )
    number = db.scalars(statement).one()
    return f"PA-{year}-{number:06d}"


def is_tracking_code(text: str) -> bool:
    """Whether a text looks like a tracking code."""
    return CODE_PATTERN.fullmatch(text) is not None


def new_status_token(secret: str, idempotency_key: str | None, fingerprint: str) -> str:
    """An unguessable token; a retry with the same key and body gets the same one back.

    With a key, the token is an HMAC under the server's secret of the key and the body's
    fingerprint, so the retry's response can carry it again although only its hash is stored.
    """
    if idempotency_key is None:
        return secrets.token_urlsafe(32)
    message = f"status-token\0{idempotency_key}\0{fingerprint}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """What is stored of a status token."""
    return hashlib.sha256(token.encode()).hexdigest()


def submitter_key(secret: str, address: str) -> str:
    """A keyed hash of the sender's address: enough to count, not to identify."""
    return hmac.new(secret.encode(), f"address\0{address}".encode(), hashlib.sha256).hexdigest()


def visibility(report: Report, token: str | None) -> str:
    """Owner (right token), public (verified) or limited; a wrong token is refused."""
    if token:
        if not hmac.compare_digest(token_hash(token), report.status_token_hash):
            raise Forbidden(BAD_TOKEN, field="token")
        return "owner"
    return "public" if report.state in PUBLIC_STATES else "limited"
