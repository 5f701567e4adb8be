"""Intake: a checked submission becomes a ``submitted`` report with the routing suggestion.

Nothing here commits. The caller decodes the media first (``prepare_media``, no transaction
open), then holds one transaction around ``submit``. ``submit`` runs every check (category, place,
routing) before it writes the first file, so a refused submission leaves no row and no file; once
written, files stay even if the transaction fails (``reports.media`` explains why; a periodic
sweep removes those that no row refers to).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import DomainError, InvalidInput, NotFound, RateLimited
from ioc.i18n import N_, get_locale
from ioc.settings import IntakeSettings, Settings
from reports import queries
from reports.intake.submission import Submission
from reports.media import videos
from reports.media.image import PixelBudget
from reports.media.rows import media_row
from reports.media.store import (
    MB,
    MediaLimits,
    MediaStore,
    Prepared,
    PreparedPhoto,
    StoredPhoto,
    StoredVideo,
    prepare_photo,
    prepare_video,
)
from reports.models import (
    ActorKind,
    Follower,
    IdempotencyKey,
    LocationSource,
    Report,
    ReportEvent,
    ReportState,
)
from reports.schemas import FollowIn
from reports.tracking import codes as tracking
from routing.models import Category
from routing.service import Assignment, assign

NO_PLACE = N_(
    "Where is it? Allow the phone to share its location, move the pin on the map, "
    "or add a photo that carries its place."
)
TOO_MANY = N_("Too many reports from this connection. Please wait %(minutes)s minutes.")

Stored = StoredPhoto | StoredVideo


class IdempotencyKeyReused(InvalidInput):
    """The same Idempotency-Key came with a different body (RFC draft: 422)."""

    code = "idempotency-key-reused"
    title = N_("This Idempotency-Key was already used for a different report.")


class ConcurrentRetryError(Exception):
    """A request with the same Idempotency-Key committed first: roll back and replay it."""


@dataclass(frozen=True)
class Intake:
    """A stored report, its status token, and whether this was a retry of an earlier request."""

    report: Report
    token: str
    replayed: bool
    routed: Assignment | None = None  # the suggestion just made (a replay reads it back)
    event: ReportEvent | None = None  # the submission's event (a replay has none: told before)


def media_limits(intake: IntakeSettings) -> MediaLimits:
    """The media pipeline's limits from the settings."""
    return MediaLimits(
        photo_bytes=intake.photo_mb * MB,
        video_bytes=intake.video_mb * MB,
        video_seconds=intake.video_seconds,
        pixels=intake.photo_megapixels * 1_000_000,
        request_pixels=intake.request_megapixels * 1_000_000,
    )


def replay(db: Session, settings: Settings, sub: Submission) -> Intake | None:
    """The report an earlier request with this key created; a different body is refused."""
    if sub.idempotency_key is None:
        return None
    earlier = db.scalar(queries.idempotency_key(sub.idempotency_key))
    if earlier is None:
        return None
    if earlier.fingerprint != sub.fingerprint:
        raise IdempotencyKeyReused(field="Idempotency-Key")
    report = db.get_one(Report, earlier.report_id)
    token = tracking.new_status_token(settings.secret_key, sub.idempotency_key, sub.fingerprint)
    return Intake(report, token, replayed=True)


def check_rate(db: Session, intake: IntakeSettings, submitter: str, at: datetime) -> None:
    """Refuse an address that filed too many reports in the window."""
    since = at - timedelta(minutes=intake.rate_window_minutes)
    count = db.scalar(queries.submissions_since(submitter, since)) or 0
    if count >= intake.rate_limit:
        raise RateLimited(TOO_MANY, minutes=intake.rate_window_minutes)


def precheck(db: Session, settings: Settings, sub: Submission, address: str) -> Intake | None:
    """Before any media is decoded: the replay of an earlier request, or a refusal for the rate."""
    if (earlier := replay(db, settings, sub)) is not None:
        return earlier
    submitter = tracking.submitter_key(settings.secret_key, address)
    check_rate(db, settings.intake, submitter, utcnow())
    return None


def submit(
    db: Session,
    store: MediaStore,
    settings: Settings,
    sub: Submission,
    address: str,
    prepared: list[Prepared] | None = None,
    *,
    at: datetime | None = None,
) -> Intake:
    """File a report: media, place, routing, code, events; or the replay of an earlier one.

    ``at`` backdates the filing (demo data and frozen-clock tests); residents' reports file now.
    """
    if (earlier := replay(db, settings, sub)) is not None:
        return earlier
    at = at or utcnow()
    submitter = tracking.submitter_key(settings.secret_key, address)
    check_rate(db, settings.intake, submitter, at)
    category = db.scalar(queries.active_category(sub.category))
    if category is None:
        raise InvalidInput(N_("Unknown category."), field="category")
    if prepared is None:
        prepared = prepare_media(sub, media_limits(settings.intake))
    lat, lon, source = place_of(sub, prepared)
    routed = _assign(db, settings, category, (lat, lon), sub.office, at)
    # Every check has passed: write the files now, before the rows that will refer to them (and
    # before the tracking counter's row lock, which is held until commit).
    stored: list[Stored] = [item.store(store) for item in prepared]
    token = tracking.new_status_token(settings.secret_key, sub.idempotency_key, sub.fingerprint)
    report = _report(sub, category, routed, (lat, lon, source), at)
    report.tracking_code = tracking.next_tracking_code(db, at)
    report.status_token_hash = tracking.token_hash(token)
    report.submitter_key = submitter
    event = _save(db, report, stored, sub, at)
    return Intake(report, token, replayed=False, routed=routed, event=event)


def prepare_media(sub: Submission, limits: MediaLimits) -> list[Prepared]:
    """Check and decode every photo, then the video, in memory; the first bad file stops it,
    and its error names it (``file_index`` in its field, ``file_name`` as the client sent it)."""
    budget = PixelBudget(limits.request_pixels)
    prepared: list[Prepared] = []
    for index, source in enumerate(sub.photos):
        with _naming(sub, "photos", index, index):
            prepared.append(prepare_photo(source, limits=limits, budget=budget))
    if sub.video is not None:
        with _naming(sub, "video", 0, len(sub.photos)):
            prepared.append(prepare_video(sub.video, limits=limits, field="video"))
    return prepared


@contextmanager
def _naming(sub: Submission, field: str, index: int, position: int) -> Iterator[None]:
    """Add the refused file's field, index and name to a media error raised inside."""
    try:
        yield
    except DomainError as error:
        names = sub.file_names
        name = names[position] if position < len(names) else ""
        error.field = field
        error.extra = {**(error.extra or {}), "file_index": index, "file_name": name}
        raise


def place_of(sub: Submission, prepared: list[Prepared]) -> tuple[float, float, LocationSource]:
    """The place given, else the first photo's EXIF GPS; without either, InvalidInput."""
    if sub.lat is not None and sub.lon is not None:
        return sub.lat, sub.lon, sub.location_source or LocationSource.given
    for item in prepared:
        if isinstance(item, PreparedPhoto) and item.photo.gps is not None:
            return item.photo.gps[0], item.photo.gps[1], LocationSource.exif
    raise InvalidInput(NO_PLACE, field="lat")


def _assign(
    db: Session,
    settings: Settings,
    category: Category,
    where: tuple[float, float],
    office: str | None,
    at: datetime,
) -> Assignment:
    """The routing engine's suggestion; its reason is kept as a message id, translated when read."""
    lat, lon = where
    near = settings.routing.nearest_ward_metres
    return assign(
        db, category=category.code, lat=lat, lon=lon, office=office, at=at, near_metres=near
    )


def _report(
    sub: Submission,
    category: Category,
    routed: Assignment,
    where: tuple[float, float, LocationSource],
    at: datetime,
) -> Report:
    """A new report (without code and token yet)."""
    lat, lon, source = where
    due = routed.due
    return Report(
        state=ReportState.submitted,
        category_id=category.id,
        description=sub.description,
        location=f"SRID=4326;POINT({lon} {lat})",
        location_source=source,
        ward_id=routed.jurisdiction.id if routed.jurisdiction else None,
        office_id=_office_id(category, routed),
        suggested_agency_id=routed.agency.id if routed.agency else None,
        rule_position=routed.rule,
        priority=routed.priority,
        routing_reason=routed.why.msgid,
        routing_reason_params=routed.why.params,
        outside_coverage=routed.outside_coverage,
        verify_by=due.verify_by if due else None,
        accept_by=due.accept_by if due else None,
        resolve_by=due.resolve_by if due else None,
        due_at=due.verify_by if due else None,
        locale=get_locale(),
        reporter_name=sub.name,
        reporter_phone=sub.phone,
        reporter_email=sub.email,
        keep_identity_private=sub.keep_private,
        created_at=at,
    )


def _office_id(category: Category, routed: Assignment) -> int | None:
    """The office the resident named (non-geographic categories), even if it was redirected."""
    if category.geographic:
        return None
    named = routed.redirected_from or routed.agency
    return named.id if named else None


def _save(
    db: Session, report: Report, stored: list[Stored], sub: Submission, at: datetime
) -> ReportEvent:
    """Insert the report, its media, its first event and its key, in one flush."""
    db.add(report)
    rows = [media_row(position, item) for position, item in enumerate(stored)]
    for row in rows:
        row.report = report
        db.add(row)
    event = ReportEvent(
        report=report,
        at=at,
        actor_kind=ActorKind.resident,
        from_state=None,
        to_state=ReportState.submitted,
        action="submit",
    )
    db.add(event)
    if sub.idempotency_key is not None:
        db.add(IdempotencyKey(key=sub.idempotency_key, fingerprint=sub.fingerprint, report=report))
    try:
        db.flush()
    except IntegrityError as error:
        if sub.idempotency_key is not None and "idempotency" in str(error.orig):
            raise ConcurrentRetryError() from error
        raise
    videos.schedule(db, rows)  # the public copies, made once this commits
    return event


@dataclass(frozen=True)
class Followed:
    """A new follower of a report, and their own private status token (None: no link given)."""

    report: Report
    follower: Follower
    token: str | None


def follow(db: Session, settings: Settings, code: str, contact: FollowIn, address: str) -> Followed:
    """Follow an existing report by its code (known to the caller: a private link is given)."""
    report = db.scalar(queries.open_report(code))
    return follow_open(db, settings, report, contact, address, with_link=True)


def follow_open(
    db: Session,
    settings: Settings,
    report: Report | None,
    contact: FollowIn,
    address: str,
    *,
    with_link: bool,
) -> Followed:
    """Follow a report found by code or by handle; None (not found, closed) is a 404.

    ``with_link``: the follower gets a private status token of their own (its hash is kept).
    A report found by the duplicate hint before the IOC verified it gets none: its link would
    name the report's code, which nothing public may show yet (DOMAIN.md, Privacy).
    """
    if report is None:
        raise NotFound(N_("No report can be followed with this code."), field="tracking_code")
    submitter = tracking.submitter_key(settings.secret_key, address)
    since = utcnow() - timedelta(minutes=settings.intake.rate_window_minutes)
    if (db.scalar(queries.follows_since(submitter, since)) or 0) >= settings.intake.rate_limit:
        raise RateLimited(TOO_MANY, minutes=settings.intake.rate_window_minutes)
    token = secrets.token_urlsafe(32) if with_link else None
    follower = Follower(
        report_id=report.id,
        name=contact.name or None,
        phone=contact.phone or None,
        email=contact.email or None,
        submitter_key=submitter,
        status_token_hash=tracking.token_hash(token) if token else None,
    )
    db.add(follower)
    db.flush()
    return Followed(report, follower, token)
