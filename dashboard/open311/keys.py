"""Api keys: issue (shown once), revoke, the demo key, and the check that spends one request
of a key's rate limit."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from dashboard.open311.models import DEFAULT_RATE_LIMIT, ApiKey
from ioc.errors import Forbidden, InvalidInput, NotFound, RateLimited
from ioc.i18n import N_

DEMO_KEY = "demo-open311-key"  # only in demo mode (``settings.demo``)
PREFIX = "o311_"
MAX_NAME = 100
MAX_RATE = 100_000
NO_KEY = N_("A valid api_key is required to file a request.")
REVOKED = N_("This api_key has been revoked.")
TOO_MANY = N_("Too many requests with this api_key. Please wait %(minutes)s minutes.")


def hash_key(raw: str) -> str:
    """What is stored of a key: its SHA-256 (keys are random, so no salt is needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def check_fields(name: str, rate_limit: int) -> tuple[str, int]:
    """A key's name (1-100 characters) and rate limit (1-100000), or InvalidInput."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(N_("Give the client a name of 1 to 100 characters."), field="name")
    if not 1 <= rate_limit <= MAX_RATE:
        raise InvalidInput(
            N_("Enter a whole number between %(low)s and %(high)s."),
            field="rate_limit",
            low=1,
            high=MAX_RATE,
        )
    return name, rate_limit


def issue(
    db: Session,
    name: str,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    *,
    created_by_id: int | None = None,
    raw: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its only clear copy (``raw`` is given for the demo key alone)."""
    name, rate_limit = check_fields(name, rate_limit)
    raw = raw or PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name, key_hash=hash_key(raw), rate_limit=rate_limit, created_by_id=created_by_id
    )
    db.add(key)
    db.flush()
    return key, raw


def ensure_demo_key(db: Session) -> bool:
    """The demo key ``demo-open311-key`` (demo mode only); whether it was created now."""
    if db.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(DEMO_KEY))) is not None:
        return False
    issue(db, "Demo", raw=DEMO_KEY)
    return True


def revoke(db: Session, key_id: int, at: datetime) -> ApiKey:
    """Revoke a key (once: a second revoke keeps the first time)."""
    key = db.get(ApiKey, key_id)
    if key is None:
        raise NotFound()
    if key.revoked_at is None:
        key.revoked_at = at
        db.flush()
    return key


def spend(db: Session, raw: str | None, now: datetime, window: timedelta) -> tuple[int, int]:
    """Check a key and count one request against its limit; the key's id and rate limit.

    One UPDATE checks, counts and stamps the key: its row lock lets concurrent requests of the
    same key count one after the other, on any number of app servers.
    """
    if not raw:
        raise Forbidden(NO_KEY, field="api_key")
    fresh = ApiKey.window_start.is_(None) | (ApiKey.window_start <= now - window)
    statement = (
        update(ApiKey)
        .where(ApiKey.key_hash == hash_key(raw), ApiKey.revoked_at.is_(None))
        .values(
            window_start=case((fresh, now), else_=ApiKey.window_start),
            window_count=case((fresh, 1), else_=ApiKey.window_count + 1),
            last_used_at=now,
        )
        .returning(ApiKey.id, ApiKey.window_count, ApiKey.rate_limit, ApiKey.window_start)
    )
    row = db.execute(statement).first()
    if row is None:
        revoked = db.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(raw)))
        raise Forbidden(REVOKED if revoked else NO_KEY, field="api_key")
    if row.window_count > row.rate_limit:
        wait = (row.window_start + window - now).total_seconds()
        minutes = max(1, math.ceil(wait / 60))
        raise RateLimited(TOO_MANY, retry_after=max(1, math.ceil(wait)), minutes=minutes)
    return int(row.id), int(row.rate_limit)


def listing(db: Session) -> list[ApiKey]:
    """Every key, newest first."""
    return list(db.scalars(select(ApiKey).order_by(ApiKey.id.desc())))
