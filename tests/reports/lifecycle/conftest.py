"""Fixtures of the lifecycle tests: a filed report, actors of each kind, and applying actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.auth.models import Role
from ioc.settings import Settings
from reports.lifecycle.service import ActionInput, Actor, apply_action
from reports.media.store import MediaStore, prepare_photo
from reports.models import ActorKind, Report, ReportEvent
from routing.models import Agency
from tests.conftest import MakeUser
from tests.reports.conftest import Post, photo

AGENCY_A = "ubnd-26526"  # UBND Phường Tam Thắng: the suggestion for giao-thong at TAM_THANG
AGENCY_B = "ca-26526"


@dataclass(frozen=True)
class Cast:
    """One actor of each kind."""

    operator: Actor
    supervisor: Actor
    admin: Actor
    agency_a: Actor
    agency_b: Actor
    resident: Actor


def _staff(dbs: Session, make_user: MakeUser, name: str, role: Role, agency: str | None) -> Actor:
    agency_id = dbs.scalar(select(Agency.id).where(Agency.code == agency)) if agency else None
    user = make_user(name, role, agency_id)
    return Actor(ActorKind.staff, user_id=user.id, role=role.value, agency_id=agency_id)


@pytest.fixture
def cast(dbs: Session, make_user: MakeUser) -> Cast:
    """An operator, a supervisor, an admin, staff of two agencies and a resident."""
    return Cast(
        operator=_staff(dbs, make_user, "op", Role.ioc_operator, None),
        supervisor=_staff(dbs, make_user, "sup", Role.ioc_supervisor, None),
        admin=_staff(dbs, make_user, "adm", Role.admin, None),
        agency_a=_staff(dbs, make_user, "staff-a", Role.agency_staff, AGENCY_A),
        agency_b=_staff(dbs, make_user, "staff-b", Role.agency_staff, AGENCY_B),
        resident=Actor(ActorKind.resident),
    )


@pytest.fixture
def filed(post: Post, dbs: Session) -> Report:
    """A submitted report of a pothole in Phường Tam Thắng (suggested: AGENCY_A)."""
    created = post(
        category="giao-thong", description="Ổ gà", photos=[photo()], phone="0901234567"
    ).json()
    return dbs.get_one(Report, created["id"])


Act = Callable[..., ReportEvent]


@pytest.fixture
def act(dbs: Session, settings: Settings) -> Act:
    """Apply an action: ``act(report, "accept", actor, reason=..., photos=1)``."""
    store = MediaStore(settings.media_dir)

    def _act(
        report: Report, action: str, actor: Actor, photos: int = 0, **fields: Any
    ) -> ReportEvent:
        now = fields.pop("now", None)
        prepared = [prepare_photo(photo()) for _ in range(photos)]
        data = ActionInput(photos=prepared, **fields)
        return apply_action(dbs, settings, report.id, action, actor, data, store=store, now=now)

    return _act


def event_count(dbs: Session, report: Report) -> int:
    """How many events a report has."""
    return dbs.scalar(select(func.count()).where(ReportEvent.report_id == report.id)) or 0
