"""Statements about reports; geometry stays in SQL."""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.sql.dml import ReturningInsert

from reports.models import (
    OPEN_STATES,
    Follower,
    IdempotencyKey,
    LookupCounter,
    Report,
    ReportEvent,
    ReportMedia,
    ReportState,
)
from routing.models import Agency, Category, Jurisdiction, JurisdictionLevel

METRES_PER_DEGREE = 111_320.0
NEARBY_LIMIT = 5


def point(lat: float, lon: float) -> ColumnElement[Any]:
    """A point in EPSG:4326."""
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)


def active_category(code: str) -> Select[Category]:
    """An active category by code."""
    return select(Category).where(Category.code == code, Category.active.is_(True))


def categories() -> Select[Category]:
    """Active categories in the order the reporting page shows them."""
    return (
        select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.id)
    )


def report_by_code(code: str) -> Select[Report]:
    """A report by its tracking code, with its media (the status shows them to those who may)."""
    return select(Report).options(selectinload(Report.media)).where(Report.tracking_code == code)


def idempotency_key(key: str) -> Select[IdempotencyKey]:
    """A stored Idempotency-Key."""
    return select(IdempotencyKey).where(IdempotencyKey.key == key)


def submissions_since(submitter: str, since: datetime) -> Select[int]:
    """How many reports an address has filed since a moment."""
    return select(func.count(Report.id)).where(
        Report.submitter_key == submitter, Report.created_at >= since
    )


def follows_since(submitter: str, since: datetime) -> Select[int]:
    """How many reports an address has started to follow since a moment."""
    return select(func.count(Follower.id)).where(
        Follower.submitter_key == submitter, Follower.created_at >= since
    )


def refs(report: Report) -> Select[str, str, str, str, str, str, str]:
    """Codes and names of a report's category, ward and agency (assigned, else suggested)."""
    ward = aliased(Jurisdiction)
    agency = aliased(Agency)
    return (
        select(
            Category.code.label("category_code"),
            Category.name_vi,
            Category.name_en,
            ward.code.label("ward_code"),
            ward.full_name.label("ward_name"),
            agency.code.label("agency_code"),
            agency.name.label("agency_name"),
        )
        .select_from(Category)
        .outerjoin(ward, ward.id == report.ward_id)
        .outerjoin(agency, agency.id == func.coalesce(report.agency_id, report.suggested_agency_id))
        .where(Category.id == report.category_id)
    )


@functools.cache
def report_names() -> Select[*tuple[Any, ...]]:
    """Names of a report's category, ward, agencies and original, and its place (``report_id``).

    The staff view and the notifications read it; the assigned agency's contacts are for delivery.

    Built once: building a statement of four aliased entities costs more than running it.
    """
    ward = aliased(Jurisdiction)
    suggested = aliased(Agency)
    assigned = aliased(Agency)
    original = aliased(Report)
    return (
        select(
            Category.code.label("category_code"),
            Category.name_vi,
            Category.name_en,
            ward.code.label("ward_code"),
            ward.full_name.label("ward_name"),
            suggested.code.label("suggested_code"),
            suggested.name.label("suggested_name"),
            assigned.id.label("agency_id"),
            assigned.code.label("agency_code"),
            assigned.name.label("agency_name"),
            assigned.contacts.label("agency_contacts"),
            original.tracking_code.label("original_code"),
            func.ST_Y(Report.location).label("lat"),
            func.ST_X(Report.location).label("lon"),
        )
        .select_from(Report)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(ward, ward.id == Report.ward_id)
        .outerjoin(suggested, suggested.id == Report.suggested_agency_id)
        .outerjoin(assigned, assigned.id == Report.agency_id)
        .outerjoin(original, original.id == Report.duplicate_of_id)
        .where(Report.id == bindparam("report_id", type_=Integer))
    )


def location(report_id: int) -> Select[float, float]:
    """Latitude and longitude of a report."""
    return select(func.ST_Y(Report.location), func.ST_X(Report.location)).where(
        Report.id == report_id
    )


def timeline(report_id: int) -> Select[ReportEvent]:
    """A report's events, oldest first."""
    return (
        select(ReportEvent)
        .where(ReportEvent.report_id == report_id)
        .order_by(ReportEvent.at, ReportEvent.id)
    )


def nearby(
    lat: float, lon: float, category_id: int, radius_m: float
) -> Select[Report, float, str | None]:
    """Open reports of a category within ``radius_m`` metres, nearest first, with a thumbnail."""
    here = point(lat, lon)
    # A box in degrees lets the GiST index find candidates; the geography test is exact.
    margin = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    distance = func.ST_Distance(cast(Report.location, Geography), cast(here, Geography))
    thumbnail = (
        select(ReportMedia.thumbnail_path)  # a public derivative: no metadata
        .where(ReportMedia.report_id == Report.id, ReportMedia.stage == "report")
        .order_by(ReportMedia.position)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(Report, distance.label("distance"), thumbnail.label("thumbnail"))
        .where(
            Report.category_id == category_id,
            Report.state.in_(OPEN_STATES),
            Report.location.op("&&")(func.ST_Expand(here, margin)),
            func.ST_DWithin(cast(Report.location, Geography), cast(here, Geography), radius_m),
        )
        .order_by(distance)
        .limit(NEARBY_LIMIT)
    )


def media_is_published(relative: str) -> Select[bool]:
    """Whether a stored derivative belongs to a report (and so may be served)."""
    return select(
        exists().where(
            or_(ReportMedia.display_path == relative, ReportMedia.thumbnail_path == relative)
        )
    )


def offices_near(ward_id: int) -> Select[str, str]:
    """Active agencies of a ward and of its province: the offices a resident may name."""
    parent = select(Jurisdiction.parent_id).where(Jurisdiction.id == ward_id).scalar_subquery()
    return (
        select(Agency.code, Agency.name)
        .where(
            Agency.active.is_(True),
            or_(Agency.jurisdiction_id == ward_id, Agency.jurisdiction_id == parent),
        )
        .order_by(Agency.jurisdiction_id != ward_id, Agency.kind, Agency.name)
    )


@functools.cache
def city_offices() -> Select[str, str]:
    """Active agencies of the province (city) of the ward nearest a point, the province's first.

    Outside coverage a resident may still name any office of the city (params ``lat``, ``lon``).
    """
    ward = aliased(Jurisdiction)
    point = func.ST_SetSRID(
        func.ST_MakePoint(bindparam("lon", type_=Float), bindparam("lat", type_=Float)), 4326
    )
    province = (
        select(ward.province_code)
        .where(ward.level == JurisdictionLevel.ward)
        .order_by(ward.geom.op("<->")(point))
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(Agency.code, Agency.name)
        .join(Jurisdiction, Agency.jurisdiction_id == Jurisdiction.id)
        .where(Agency.active.is_(True), Jurisdiction.province_code == province)
        .order_by(Jurisdiction.level != JurisdictionLevel.province, Agency.kind, Agency.name)
    )


FOLLOWABLE_STATES = OPEN_STATES | {ReportState.published}


def open_report(code: str) -> Select[Report]:
    """A report that residents may still follow (open, not merged or rejected)."""
    return select(Report).where(Report.tracking_code == code, Report.state.in_(FOLLOWABLE_STATES))


def open_report_by_id(report_id: int) -> Select[Report]:
    """A report that residents may still follow, by id (from a duplicate hint's handle)."""
    return select(Report).where(Report.id == report_id, Report.state.in_(FOLLOWABLE_STATES))


def count_lookup(submitter: str) -> ReturningInsert[int, int]:
    """Count one lookup of an address in the database's current minute, as one upsert.

    Returns the count so far in this minute and the seconds until the next one. The database's
    clock decides the minute, so app servers whose clocks differ share one window.
    """
    minute = func.date_trunc("minute", func.now())
    counter = LookupCounter.__table__.c
    statement = insert(LookupCounter).values(
        submitter_key=submitter, window_start=minute, count=literal(1, Integer)
    )
    same_window = counter.window_start == statement.excluded.window_start
    ends = counter.window_start + text("interval '1 minute'") - func.now()
    seconds_left = func.greatest(1, func.ceil(func.extract("epoch", ends)))
    return statement.on_conflict_do_update(
        index_elements=[counter.submitter_key],
        set_={
            "count": case((same_window, counter.count + 1), else_=1),
            "window_start": statement.excluded.window_start,
        },
    ).returning(
        counter.count.label("lookups"),
        cast(seconds_left, Integer).label("retry_after"),
    )
