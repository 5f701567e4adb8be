"""Demo reports along the whole lifecycle, made through the real intake and ``apply_action``.

Each story files a report some working hours ago and takes it through its steps at past moments,
as the demo operator, supervisor and the assigned agency's demo account would have, so that its
deadlines come from routing's calendar and its overdue flags are the ones the sweep would have
set (an "overdue" event a minute after each deadline that passed before the next step). Every
story has a fixed idempotency key: seeding again replays it and changes nothing.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.auth.models import Role, User
from ioc.db import utcnow
from ioc.settings import Settings
from reports.intake import service as intake
from reports.intake.seed import DemoReport, demo_submission
from reports.intake.submission import Submission
from reports.lifecycle import sweep
from reports.lifecycle.rules import RULES, Action, Party
from reports.lifecycle.seed_data import STORIES, Step, Story
from reports.lifecycle.service import ActionInput, Actor, apply_action, mark_overdue
from reports.media.store import MediaStore, prepare_photo
from reports.models import ActorKind, IdempotencyKey, Report
from routing import service as routing
from routing.models import Agency, AgencyMember, Category
from routing.sla import VN_TZ, WorkCalendar

SEED_ADDRESS = "demo-lifecycle"
SWEEP_DELAY = timedelta(minutes=1)  # the sweep runs every minute


@dataclass(frozen=True)
class SeedResult:
    """What a seed did: reports filed, overdue flags set, agencies with demo work."""

    added: int
    overdue: int
    agencies: tuple[str, ...]


@dataclass(frozen=True)
class Cast:
    """The demo accounts that act: the IOC's operator and supervisor (agencies looked up)."""

    operator: Actor
    supervisor: Actor


def _user_actor(db: Session, role: Role) -> Actor:
    """The first active account with ``role``; the demo seed creates one of each."""
    stmt = select(User.id).where(User.role == role, User.active.is_(True)).order_by(User.id)
    user_id = db.scalars(stmt).first()
    if user_id is None:
        raise LookupError(f"no active {role.value} account: seed the demo staff first")
    return Actor(ActorKind.staff, user_id=user_id, role=role.value, agency_id=None)


def _agency_actor(db: Session, agency_id: int) -> Actor:
    """The agency's demo account (named by its code), else any of its staff."""
    code = db.scalar(select(Agency.code).where(Agency.id == agency_id))
    stmt = (
        select(User.id)
        .join(AgencyMember, AgencyMember.user_id == User.id)
        .where(AgencyMember.agency_id == agency_id, User.active.is_(True))
        .order_by((User.username != code), User.id)
    )
    user_id = db.scalars(stmt).first()
    if user_id is None:
        raise LookupError(f"agency {code} has no staff account: seed the demo staff first")
    role = Role.agency_staff.value
    return Actor(ActorKind.staff, user_id=user_id, role=role, agency_id=agency_id)


def _actor(db: Session, cast: Cast, report: Report, action: str) -> Actor:
    """Who takes ``action`` in the demo: the agency, the resident, else the IOC's first role."""
    who = RULES[Action(action)].who
    if Party.agency.value in who and report.agency_id is not None:
        return _agency_actor(db, report.agency_id)
    if Party.resident.value in who:
        return Actor(ActorKind.resident)
    return cast.operator if Role.ioc_operator.value in who else cast.supervisor


def working_before(calendar: WorkCalendar, end: datetime, hours: float) -> datetime:
    """The moment ``hours`` of working time before ``end`` (``add_working_time`` backwards)."""
    remaining = timedelta(hours=hours)
    local = end.astimezone(VN_TZ).replace(tzinfo=None)
    day = local.date()
    while True:
        if calendar.is_working_day(day):
            for start, stop in reversed(calendar.windows):
                low = datetime.combine(day, start)
                high = min(datetime.combine(day, stop), local)
                if high <= low:
                    continue
                if remaining <= high - low:
                    return (high - remaining).replace(tzinfo=VN_TZ)
                remaining -= high - low
        day -= timedelta(days=1)


def after_photo(scene: DemoReport, number: int) -> bytes:
    """A made-up picture of the result: the same scene, tidy, with a green tick."""
    image = Image.new("RGB", (1200, 900), (185, 210, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 520, 1200, 900), fill=(150, 160, 150))
    draw.line((470, 420, 570, 520, 760, 300), fill=(30, 150, 60), width=40)
    draw.text((40, 40), f"{scene.category} #{number}", fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _submission(story: Story) -> Submission:
    fingerprint = hashlib.sha256(story.key.encode()).hexdigest()
    return demo_submission(story.scene, _key(story.key), fingerprint)


def load_demo_lifecycle(db: Session, settings: Settings, now: datetime | None = None) -> SeedResult:
    """File the stories not filed yet and play their steps; then one pass of the sweep."""
    now = now or utcnow()
    cast = Cast(_user_actor(db, Role.ioc_operator), _user_actor(db, Role.ioc_supervisor))
    store = MediaStore(settings.media_dir)
    player = _Player(db, settings, store, cast, now, _calendar(db, now))
    added = sum(player.play(story) for story in STORIES)
    sweep.sweep(db, settings, now)
    reports = db.scalars(select(Report).join(IdempotencyKey).where(IdempotencyKey.key.in_(KEYS)))
    seeded = list(reports)
    assigned = {r.agency_id for r in seeded if r.agency_id is not None}
    agencies = db.scalars(select(Agency.code).where(Agency.id.in_(assigned)).order_by(Agency.code))
    return SeedResult(added, sum(r.overdue for r in seeded), tuple(agencies))


def _key(story_key: str) -> str:
    return f"demo-{story_key}"


KEYS = tuple(_key(story.key) for story in STORIES)


def _calendar(db: Session, now: datetime) -> WorkCalendar:
    """Routing's working-time calendar (the same for every category), with two months of the
    administrator's days off before ``now``."""
    category_id = db.scalars(select(Category.id).order_by(Category.id)).first()
    if category_id is None:
        raise LookupError("no categories: seed the routing data first")
    return routing.clock(db, category_id, now - timedelta(days=60)).calendar


@dataclass
class _Player:
    """Plays stories through the real intake and lifecycle, at moments before ``now``."""

    db: Session
    settings: Settings
    store: MediaStore
    cast: Cast
    now: datetime
    calendar: WorkCalendar

    def play(self, story: Story) -> bool:
        """File the story's report and take its steps; False if it was filed before."""
        filed_at = working_before(self.calendar, self.now, story.filed)
        sub = _submission(story)
        filed = intake.submit(self.db, self.store, self.settings, sub, SEED_ADDRESS, at=filed_at)
        if filed.replayed:
            return False
        report, previous = filed.report, filed_at
        for step in story.steps:
            at = max(working_before(self.calendar, self.now, step.ago), previous + SWEEP_DELAY)
            if step.action == Action.reopen:  # within the reopening window, whatever the holidays
                at = min(at, previous + timedelta(days=1))
            self.catch_up(report, previous, at)
            actor = _actor(self.db, self.cast, report, step.action)
            data = self.data(story, report, step)
            apply_action(
                self.db,
                self.settings,
                report.id,
                step.action,
                actor,
                data,
                store=self.store,
                now=at,
            )
            previous = at
        self.catch_up(report, previous, self.now)
        return True

    def catch_up(self, report: Report, since: datetime, at: datetime) -> None:
        """Flag a deadline passed before ``at`` a minute after it (or after ``since``, the last
        step, if that came later), as the sweep would have."""
        due = report.due_at
        if due is None or report.overdue:
            return
        moment = max(due, since) + SWEEP_DELAY
        if moment < at:
            mark_overdue(self.db, self.settings, report.id, moment)

    def data(self, story: Story, report: Report, step: Step) -> ActionInput:
        """A step's fields, with the extension's date and the original's code worked out."""
        until = None
        if step.extend_days and report.resolve_by is not None:
            extended = self.calendar.add_working_days(report.resolve_by, step.extend_days)
            until = extended.isoformat()
        of = None
        if step.of is not None:
            original = select(Report.tracking_code).join(IdempotencyKey)
            of = self.db.scalar(original.where(IdempotencyKey.key == _key(step.of)))
        limits = intake.media_limits(self.settings.intake)
        photos = [
            prepare_photo(after_photo(story.scene, n), limits=limits) for n in range(step.photos)
        ]
        return ActionInput(reason=step.reason, note=step.note, until=until, of=of, photos=photos)
