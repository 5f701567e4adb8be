"""POST requests: a service request becomes a report through the resident page's own intake,
routing and media pipeline; the answer is the spec's ``service_request_id`` (the tracking code).

The steps are those of ``reports.api``: a short transaction checks and counts the api key, the
media are decoded with no transaction open, then one transaction files the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from dashboard.open311 import fetch, keys, params
from dashboard.open311.catalogue import OFFICE, UNKNOWN_SERVICE
from dashboard.open311.form import PostedForm
from dashboard.open311.models import FiledRequest
from ioc import i18n
from ioc.db import utcnow
from ioc.errors import InvalidInput, NotFound, OutsideCoverage
from ioc.i18n import N_
from ioc.settings import Settings
from reports import queries
from reports.intake import filing, service
from reports.intake.form import IntakeForm, Upload
from reports.intake.submission import Submission, parse_submission
from reports.media.source import head_of
from reports.media.store import Prepared, sniff
from routing.service import ward_at

RECEIVED = N_(
    "Received. The operations centre verifies each request; once verified it is public "
    "and listed by GET requests."
)
NOT_FETCHED = N_("The file at media_url was not fetched: its host is not on the allowed list.")
NO_PLACE = N_("Give lat and long: an address alone cannot be placed on the map.")


@dataclass(frozen=True)
class Caller:
    """Who files: the api key as sent, the request's Idempotency-Key and the site's address."""

    api_key: str | None
    idempotency_key: str | None
    base: str


def file_request(
    db: Session, settings: Settings, posted: PostedForm, caller: Caller
) -> list[dict[str, Any]]:
    """Check the key, then file the report (or replay the one filed with this Idempotency-Key);
    the spec's one-item answer."""
    params.check_jurisdiction(posted.fields, settings)
    window = timedelta(minutes=settings.open311.rate_window_minutes)
    key_id, rate_limit = keys.spend(db, caller.api_key, utcnow(), window)
    db.commit()  # the attempt is counted; the key's row lock is released
    notices = [i18n.gettext(RECEIVED)]
    sub = parse_submission(_intake_form(posted, settings, notices), caller.idempotency_key)
    intake = service.replay(db, settings, sub)
    if intake is None:
        _precheck(db, settings, sub)
        db.commit()  # read-only so far: no connection idles in a transaction while decoding
        prepared = service.prepare_media(sub, service.media_limits(settings.intake))
        if sub.lat is None or sub.lon is None:
            lat, lon, _ = service.place_of(sub, prepared)  # a photo's GPS
            _check_place(db, settings, lat, lon)
        intake = _submit(db, _per_key(settings, rate_limit), sub, prepared, key_id, caller.base)
    code, notice = intake.report.tracking_code, " ".join(notices)
    return [{"service_request_id": code, "service_notice": notice, "account_id": None}]


def _precheck(db: Session, settings: Settings, sub: Submission) -> None:
    """Before any decoding: the service exists (404), and a place given lies in the area."""
    if db.scalar(queries.active_category(sub.category)) is None:
        raise NotFound(UNKNOWN_SERVICE, field="service_code")
    if sub.lat is not None and sub.lon is not None:
        _check_place(db, settings, sub.lat, sub.lon)
    elif not sub.photos:
        raise InvalidInput(NO_PLACE, field="lat")


def _submit(
    db: Session,
    settings: Settings,
    sub: Submission,
    prepared: list[Prepared],
    key_id: int,
    base: str,
) -> service.Intake:
    """Store and commit as the resident page does, recording which key filed the report."""

    def record(intake: service.Intake) -> None:
        db.add(FiledRequest(report_id=intake.report.id, key_id=key_id))

    submitter = f"open311:{key_id}"
    return filing.store_and_commit(db, settings, sub, submitter, prepared, base, with_new=record)


def _per_key(settings: Settings, rate_limit: int) -> Settings:
    """The intake's own rate limit, counted per key (the key's limit, over the same window)."""
    intake = settings.intake.model_copy(
        update={
            "rate_limit": rate_limit,
            "rate_window_minutes": settings.open311.rate_window_minutes,
        }
    )
    return settings.model_copy(update={"intake": intake})


def _intake_form(posted: PostedForm, settings: Settings, notices: list[str]) -> IntakeForm:
    """The resident page's fields from the spec's; the media file or the fetched media_url."""

    def get(name: str) -> str:
        return params.value(posted.fields, name) or ""

    name = " ".join(part for part in (get("first_name"), get("last_name")) if part)
    description = get("description")
    if address := get("address_string"):
        described = i18n.gettext(N_("Address: %(address)s"), address=address)
        description = f"{description}\n{described}" if description else described
    form = IntakeForm(
        fields={
            "category": get("service_code"),
            "description": description,
            "lat": get("lat"),
            "lon": get("long"),
            "office": get(f"attribute[{OFFICE}]"),
            "name": name,
            "phone": get("phone"),
            "email": get("email"),
        }
    )
    media = posted.media or _fetched(get("media_url"), settings, notices)
    posted.media = media  # closed with the form
    if media is not None:
        is_video = sniff(head_of(media.file), field="media").is_video
        (form.videos if is_video else form.photos).append(media)
    return form


def _fetched(url: str, settings: Settings, notices: list[str]) -> Upload | None:
    """The file at media_url if its host is allowed; otherwise nothing, and a notice says so."""
    if not url:
        return None
    if not fetch.allowed(url, settings):
        notices.append(i18n.gettext(NOT_FETCHED))
        return None
    return fetch.fetch(url, settings)


def _check_place(db: Session, settings: Settings, lat: float, lon: float) -> None:
    """The place must lie in the area served (or near enough to a ward, as routing allows)."""
    if ward_at(db, lat, lon, settings.routing.nearest_ward_metres) is None:
        raise OutsideCoverage(field="lat")
