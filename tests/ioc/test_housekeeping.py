"""The periodic clean-ups: ended windows and expired revocations go; the rest stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.app import job_app
from ioc.auth.models import LoginThrottle, RevokedToken
from ioc.auth.tasks import prune
from ioc.db import utcnow
from ioc.settings import Settings
from reports.models import LookupCounter
from reports.tracking.housekeeping import prune_lookups


def test_sign_in_records_past_their_time_are_pruned(dbs: Session, settings: Settings) -> None:
    now = utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    dbs.add_all(
        [
            LoginThrottle(key="account:old", window_start=now - window - timedelta(1), checks=5),
            LoginThrottle(key="account:current", window_start=now - window / 2, checks=2),
            RevokedToken(jti="expired", expires_at=now - timedelta(minutes=1)),
            RevokedToken(jti="valid", expires_at=now + timedelta(minutes=30)),
        ]
    )
    dbs.flush()
    assert prune(dbs, settings, now) == 2
    assert set(dbs.scalars(select(LoginThrottle.key))) >= {"account:current"}
    assert "account:old" not in set(dbs.scalars(select(LoginThrottle.key)))
    assert set(dbs.scalars(select(RevokedToken.jti))) == {"valid"}


def test_lookup_counters_of_ended_minutes_are_pruned(dbs: Session) -> None:
    now = utcnow()
    dbs.add_all(
        [
            LookupCounter(submitter_key="old", window_start=now - timedelta(minutes=5), count=9),
            LookupCounter(submitter_key="current", window_start=now, count=1),
        ]
    )
    dbs.flush()
    assert prune_lookups(dbs, now) >= 1
    keys = set(dbs.scalars(select(LookupCounter.submitter_key)))
    assert "current" in keys and "old" not in keys


def test_the_worker_runs_the_clean_ups_every_hour(settings: Settings) -> None:
    app = job_app(settings)
    periodic = {entry.task.name for entry in app.periodic_registry.periodic_tasks.values()}
    assert {"ioc.prune_sign_in_records", "reports.prune_lookups", "reports.sweep_media"} <= periodic
