"""Reports, their media and events, followers, idempotency keys and the tracking-code counter."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Boolean,
    Computed,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ioc.db import Base, TimestampMixin, utcnow
from ioc.i18n import N_
from routing.sla import Priority

# Relationships are lazy="raise": each query loads what its caller reads (an N+1 fails in tests).


class ReportState(enum.StrEnum):
    """The lifecycle of DOMAIN.md."""

    submitted = "submitted"
    assigned = "assigned"
    returned = "returned"
    in_progress = "in_progress"
    resolved = "resolved"
    published = "published"
    reopened = "reopened"
    rejected = "rejected"
    duplicate = "duplicate"


STATE_LABELS: dict[ReportState, str] = {
    ReportState.submitted: N_("Waiting for verification"),
    ReportState.assigned: N_("Forwarded to the agency"),
    ReportState.returned: N_("Returned by the agency"),
    ReportState.in_progress: N_("Being handled"),
    ReportState.resolved: N_("Handled, result under review"),
    ReportState.published: N_("Result published"),
    ReportState.reopened: N_("Reopened"),
    ReportState.rejected: N_("Rejected"),
    ReportState.duplicate: N_("Duplicate"),
}
# Verified by the IOC: the report, its description and photos are public (DOMAIN.md).
PUBLIC_STATES = frozenset(
    {
        ReportState.assigned,
        ReportState.returned,
        ReportState.in_progress,
        ReportState.resolved,
        ReportState.published,
        ReportState.reopened,
    }
)
OPEN_STATES = PUBLIC_STATES - {ReportState.published} | {ReportState.submitted}
# PUBLIC_STATES as SQL, for the partial indexes of the public site (migration 0011_public).
_PUBLIC_WHERE = (
    "state IN ('assigned', 'returned', 'in_progress', 'resolved', 'published', 'reopened')"
)


class ExtensionState(enum.StrEnum):
    """Where a report's one extension request stands."""

    requested = "requested"
    approved = "approved"
    denied = "denied"


class ActorKind(enum.StrEnum):
    """Who caused an event."""

    resident = "resident"
    staff = "staff"
    system = "system"


class LocationSource(enum.StrEnum):
    """Where the report's place came from."""

    exif = "exif"  # a photo's EXIF GPS (read by the server, or by the page before downscaling)
    device = "device"  # the phone's GPS (browser geolocation)
    map = "map"  # a pin placed on the map
    given = "given"  # coordinates sent by an API client


class Report(TimestampMixin, Base):
    """A resident's report, with the routing engine's suggestion and the private contact."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_state_category", "state", "category_id"),
        Index("ix_reports_submitter_created", "submitter_key", "created_at"),
        # The queues: open reports by state and deadline; an agency's by state and deadline.
        Index("ix_reports_state_due", "state", "due_at"),
        Index("ix_reports_agency_state_due", "agency_id", "state", "due_at"),
        # The map's tiles filter on web_point && ST_TileEnvelope(z, x, y) (migration 0010_data).
        Index("ix_reports_web_point", "web_point", postgresql_using="gist"),
        # The map's clusters count the overdue reports of each cell (dashboard.operator.tiles).
        Index(
            "ix_reports_overdue_cells",
            text("report_tile_x(web_point, 16)"),
            text("report_tile_y(web_point, 16)"),
            "state",
            "category_id",
            "created_at",
            postgresql_include=["web_point"],  # an index-only scan needs what the expressions read
            postgresql_where=text("overdue"),
        ),
        # The dashboard's text search: words of the description (dashboard.operator.filters).
        Index(
            "ix_reports_description_words",
            text("to_tsvector('simple'::regconfig, description)"),
            postgresql_using="gin",
        ),
        # The public site (reports.publication, migration 0011_public): words of the description
        # without tone marks, and the newest first, of public reports only.
        Index(
            "ix_reports_public_words",
            text("to_tsvector('simple'::regconfig, ioc_unaccent(description))"),
            postgresql_using="gin",
            postgresql_where=text(_PUBLIC_WHERE),
        ),
        Index(
            "ix_reports_public_created",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text(_PUBLIC_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[ReportState] = mapped_column(
        Enum(ReportState, native_enum=False, length=16), default=ReportState.submitted
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[WKBElement] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True, nullable=False)
    )
    # The place in web mercator (EPSG:3857), computed by the database; not loaded unless asked.
    web_point: Mapped[WKBElement] = mapped_column(
        Geometry("POINT", srid=3857, spatial_index=False, nullable=False),
        Computed("ST_Transform(location, 3857)", persisted=True),
        deferred=True,
        deferred_raiseload=True,
    )
    location_source: Mapped[LocationSource] = mapped_column(
        Enum(LocationSource, native_enum=False, length=16)
    )
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # The routing engine's suggestion (the IOC verifies it); re-routing replaces it.
    suggested_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    # The agency the IOC forwarded the report to (its history is in the events).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    rule_position: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[Priority] = mapped_column(Enum(Priority, native_enum=False, length=16))
    # A message id and its parameters (routing.service.reason_text translates them when shown);
    # rows from before migration 0006 have plain Vietnamese text and no parameters.
    routing_reason: Mapped[str] = mapped_column(Text, default="")
    routing_reason_params: Mapped[dict[str, Any] | None] = mapped_column(JSONB, default=None)
    outside_coverage: Mapped[bool] = mapped_column(Boolean, default=False)
    verify_by: Mapped[datetime | None]
    accept_by: Mapped[datetime | None]
    resolve_by: Mapped[datetime | None]
    # The deadline of the current state (verify_by, accept_by or resolve_by); None when closed.
    due_at: Mapped[datetime | None]
    # Past due_at: set once by the deadline sweep (with an event), cleared when the stage changes.
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue_since: Mapped[datetime | None]
    forwarded_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # The published result came with no missed deadline of the agency since the forward that began
    # its cycle (dashboard.kpi's "on time"); set by approve_result, None before any publication.
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None]  # rejected, duplicate
    # One extension per report (DOMAIN.md): asked by the agency, approved or denied by the IOC.
    extension_state: Mapped[ExtensionState | None] = mapped_column(
        Enum(ExtensionState, native_enum=False, length=16)
    )
    extension_until: Mapped[datetime | None]
    extension_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    # The agency's answer, public once published.
    result_text: Mapped[str | None] = mapped_column(Text)
    # Bumped by every action: a client may send it back, and a stale one gets 409.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The time of the latest action (the deadline sweep's flag is not one): public caches, Open311.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    locale: Mapped[str] = mapped_column(String(5), default="vi")  # the resident's language
    # Private: seen by the IOC only (DOMAIN.md, Privacy).
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    keep_identity_private: Mapped[bool] = mapped_column(Boolean, default=True)
    status_token_hash: Mapped[str] = mapped_column(String(64))
    submitter_key: Mapped[str] = mapped_column(String(64))  # HMAC of the address: rate limits

    media: Mapped[list[ReportMedia]] = relationship(
        back_populates="report", order_by="ReportMedia.position", lazy="raise"
    )


class ReportMedia(Base):
    """A photo or video of a report: paths in the media store, facts from the file."""

    __tablename__ = "report_media"
    __table_args__ = (UniqueConstraint("report_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # image, video
    # "report": sent by the resident; "result": an after-photo of the agency's result.
    stage: Mapped[str] = mapped_column(String(8), default="report")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("report_events.id"))
    mime: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    original_path: Mapped[str] = mapped_column(String(200))
    display_path: Mapped[str] = mapped_column(String(200), index=True)
    thumbnail_path: Mapped[str] = mapped_column(String(200), index=True)
    # Videos: the metadata-free public copy (remuxed, no re-encode); None for photos and for a
    # video not remuxed yet (or whose remux failed): then only its poster is public.
    video_path: Mapped[str | None] = mapped_column(String(200), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[datetime | None]

    report: Mapped[Report] = relationship(back_populates="media", lazy="raise")


class ReportEvent(Base):
    """One change of state; never updated or deleted (a trigger refuses it)."""

    __tablename__ = "report_events"
    __table_args__ = (Index("ix_report_events_report_at", "report_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[ActorKind] = mapped_column(Enum(ActorKind, native_enum=False, length=16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_state: Mapped[ReportState | None] = mapped_column(
        Enum(ReportState, native_enum=False, length=16)
    )
    to_state: Mapped[ReportState] = mapped_column(Enum(ReportState, native_enum=False, length=16))
    # The lifecycle action ("submit", "verify_forward", …, "overdue"); see reports.lifecycle.
    action: Mapped[str] = mapped_column(String(32), default="submit")
    note: Mapped[str] = mapped_column(Text, default="")
    # What the action carried: {"agency": id, "reason": …, "until": iso, "media": [ids], …}.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    report: Mapped[Report] = relationship(lazy="raise")


class Follower(TimestampMixin, Base):
    """A resident who follows an existing report instead of filing a new one."""

    __tablename__ = "report_followers"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    submitter_key: Mapped[str] = mapped_column(String(64))
    # The follower's own private status link (reports.tracking.codes.token_hash); None for
    # followers from before migration 0011 and for the reporter added by a merge.
    status_token_hash: Mapped[str | None] = mapped_column(String(64))


class IdempotencyKey(TimestampMixin, Base):
    """A client's Idempotency-Key and the fingerprint of the body it first came with."""

    __tablename__ = "report_idempotency_keys"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))

    report: Mapped[Report] = relationship(lazy="raise")


class TrackingCounter(Base):
    """The last tracking number of a year; its row lock orders concurrent intakes."""

    __tablename__ = "report_tracking_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class LookupCounter(Base):
    """Status lookups by tracking code alone from one address in the current minute.

    Kept in the database so that the limit holds across app servers; one upsert counts a lookup
    (reports.queries.count_lookup), so concurrent lookups queue on the row instead of racing.
    """

    __tablename__ = "report_lookup_counters"

    submitter_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column()
    count: Mapped[int] = mapped_column(Integer)


# The operators' queue and its ward filter (dashboard.operator): overdue first, then the nearest
# deadline, then the newest.
Index(
    "ix_reports_queue",
    Report.overdue.desc(),
    Report.due_at.asc().nulls_last(),
    Report.created_at.desc(),
    Report.id.desc(),
)
Index("ix_reports_ward_state", Report.ward_id, Report.state)
