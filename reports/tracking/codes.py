"""Tracking codes (PA-2026-000123), private status tokens, and what each reader may see.

Codes are sequential, so anyone can guess one: a lookup by the code alone shows, before the IOC
verifies the report, only that it exists and waits (DOMAIN.md, Privacy), and such lookups are
rate-limited per address. The private token and IOC staff see the report as it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Integer, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ioc.auth.models import Role, User
from ioc.errors import Forbidden, RateLimited
from ioc.i18n import N_
from reports import queries
from reports.models import PUBLIC_STATES, Follower, Report, TrackingCounter
from routing.sla import VN_TZ

CODE_PATTERN = re.compile(r"^PA-(\d{4})-(\d{6,})$")
BAD_TOKEN = N_("This private link is not valid. Check that it was copied in full.")
TOO_MANY_LOOKUPS = N_(
    "Too many reports were looked up from this connection. Please wait %(seconds)s seconds."
)
# Staff who verify reports see them whole; agency staff see what the public sees until the IOC
# forwards a report (there is no agency view yet).
IOC_ROLES = frozenset({Role.admin, Role.ioc_supervisor, Role.ioc_operator})


class TooManyLookups(RateLimited):
    """Too many lookups by tracking code alone; ``retry_after`` seconds until the next window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(TOO_MANY_LOOKUPS, seconds=retry_after)
        self.retry_after = retry_after


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


HANDLE_MAX_AGE_S = 24 * 3600  # a duplicate hint is followed while the reporting page is open


def _handles(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="nearby-follow")


def follow_handle(secret: str, report_id: int) -> str:
    """An opaque, signed handle to follow a report the duplicate hint showed without its code."""
    return _handles(secret).dumps(report_id)


def report_id_of(secret: str, handle: str) -> int | None:
    """The report a handle names; None if it is forged, altered or older than a day."""
    try:
        value = _handles(secret).loads(handle, max_age=HANDLE_MAX_AGE_S)
    except BadData:  # a bad or expired signature, or a payload that is not ours
        return None
    return value if isinstance(value, int) else None


@dataclass(frozen=True)
class Holder:
    """Who holds a report's private token: the reporter (``follower_id`` None) or a follower."""

    follower_id: int | None = None

    @property
    def is_reporter(self) -> bool:
        """The reporter's own link (a follower's shows less before the IOC verifies)."""
        return self.follower_id is None


def token_holder(db: Session, report: Report, token: str) -> Holder | None:
    """The reporter or the follower whose private token this is; None for a wrong token."""
    hashed = token_hash(token)
    if hmac.compare_digest(hashed, report.status_token_hash):
        return Holder()
    follower = db.scalar(
        select(Follower.id).where(
            Follower.report_id == report.id, Follower.status_token_hash == hashed
        )
    )
    return None if follower is None else Holder(follower)


def token_matches(db: Session, report: Report, token: str) -> bool:
    """Whether a token is the report's private status token, or one of its followers'."""
    return token_holder(db, report, token) is not None


def is_privileged(db: Session, report: Report | None, token: str | None, user: User | None) -> bool:
    """Whether a lookup carries a private token of the report or staff credentials (not limited)."""
    if user is not None:
        return True
    return report is not None and token is not None and token_matches(db, report, token)


def count_lookup(db: Session, secret: str, address: str, per_minute: int) -> int | None:
    """Count a lookup by code alone: the seconds to wait past ``per_minute``, else None."""
    row = db.execute(queries.count_lookup(submitter_key(secret, address))).one()
    return int(row.retry_after) if row.lookups > per_minute else None


def visibility(db: Session, report: Report, token: str | None, user: User | None = None) -> str:
    """Owner (right token), staff (IOC), public (verified) or limited; a wrong token is refused.

    A follower's link shows what the reporter's shows, but only once the report is public: a
    follower who found it through the duplicate hint must not learn more of an unverified one.
    """
    if token:
        holder = token_holder(db, report, token)
        if holder is None:
            raise Forbidden(BAD_TOKEN, field="token")
        return "owner" if holder.is_reporter or report.state in PUBLIC_STATES else "limited"
    if user is not None and user.role in IOC_ROLES:
        return "staff"
    return "public" if report.state in PUBLIC_STATES else "limited"
