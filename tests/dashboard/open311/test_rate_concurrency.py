"""The per-key rate limit holds when requests of one key arrive at once (separate connections,
committed, as on several app servers)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dashboard.open311 import keys
from dashboard.open311.models import ApiKey
from ioc.db import utcnow
from ioc.errors import RateLimited

WINDOW = timedelta(hours=1)


def _try(engine: Engine, raw: str) -> bool:
    """One request's check in its own transaction; whether the key allowed it."""
    with Session(engine) as session:
        try:
            keys.spend(session, raw, utcnow(), WINDOW)
        except RateLimited:
            session.rollback()
            return False
        session.commit()
        return True


def test_concurrent_requests_of_one_key_count_one_by_one(engine: Engine) -> None:
    with Session(engine) as session:
        key, raw = keys.issue(session, "Concurrent client", 5)
        session.commit()
        key_id = key.id
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            allowed = list(pool.map(lambda _: _try(engine, raw), range(16)))
        assert allowed.count(True) == 5
    finally:
        with Session(engine) as session:
            session.execute(delete(ApiKey).where(ApiKey.id == key_id))
            session.commit()
