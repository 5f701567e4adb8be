"""Bodies of the reports API: what a submission returns and what the public may read."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Ref(BaseModel):
    """A code and a name (an agency, a ward, a category)."""

    code: str
    name: str


class CreatedLinks(BaseModel):
    """Where to follow a new report; the private links carry its status token."""

    status_page: str
    api: str
    private_status_page: str
    private_api: str


class ReportCreated(BaseModel):
    """The answer to a submission (the same again for a retry with the same Idempotency-Key)."""

    id: int
    tracking_code: str
    status: str
    agency: Ref | None
    ward: Ref | None
    outside_coverage: bool
    links: CreatedLinks


class PhotoOut(BaseModel):
    """A published, metadata-free image; a video is its poster, and its metadata-free copy once
    made (``video_url``; through the private link it carries the token)."""

    kind: str
    display_url: str
    thumbnail_url: str
    width: int
    height: int
    duration_s: float | None = None
    video_url: str | None = None
    video_type: str | None = None


class TimelineEntry(BaseModel):
    """A public step, as residents see it (no actor, no internal note)."""

    at: datetime
    status: str
    status_label: str
    action: str | None = None
    action_label: str | None = None
    # Only what the resident is owed: a rejection's reason, the original of a duplicate.
    reason: str | None = None
    original: str | None = None


class ResultOut(BaseModel):
    """The agency's answer and its after-photos, public once the IOC has published them."""

    text: str
    published_at: datetime
    photos: list[PhotoOut] = Field(default_factory=list)


class ReportStatus(BaseModel):
    """The status of a report: never a private field (name, phone, email, token)."""

    tracking_code: str
    status: str
    status_label: str
    # "public": verified, everyone sees it; "owner": shown through the private link; "staff":
    # the IOC; "limited": the code alone before verification, or a rejected or duplicate report:
    # only that it exists and its state (DOMAIN.md, Privacy).
    visibility: str
    category: Ref | None = None
    ward: Ref | None = None
    agency: Ref | None = None
    created_at: datetime | None = None
    verify_by: datetime | None = None
    resolve_by: datetime | None = None
    routing_reason: str | None = None  # why the agency was suggested, in the reader's language
    description: str | None = None
    location: dict[str, float] | None = None
    photos: list[PhotoOut] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    result: ResultOut | None = None


class CategoryRef(Ref):
    """A category with its icon (an emoji), as its tile on the reporting page shows it."""

    icon: str


class NearbyReport(BaseModel):
    """An open report of the same category near a place (the duplicate hint).

    Not verified yet: only its category, its distance rounded to 50 m, its age in hours (and
    that age in words) and a handle to follow it (DOMAIN.md, Privacy). Verified: also its code,
    state, content, public thumbnail and public page.
    """

    verified: bool
    category: CategoryRef
    distance_m: int
    age_hours: int
    age_label: str  # "2 ngày trước", in the reader's language
    follow_url: str  # POST here to follow it (carries an opaque, signed handle)
    tracking_code: str | None = None
    status: str | None = None
    status_label: str | None = None
    created_at: datetime | None = None
    description: str | None = None
    thumbnail_url: str | None = None
    status_page: str | None = None
    public_page: str | None = None  # the public site's page of the report


class NearbyOut(BaseModel):
    """Open reports near a place."""

    radius_m: float
    items: list[NearbyReport]


class FollowIn(BaseModel):
    """Optional contact details of a resident who follows a report."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)


class FollowOut(BaseModel):
    """A confirmed follow (through a nearby handle: no code, the report is not public yet)."""

    following: bool
    tracking_code: str | None = None
    status_page: str | None = None


class PlaceOut(BaseModel):
    """What the reporting page shows once a place is known."""

    lat: float
    lon: float
    ward: Ref | None
    outside_coverage: bool
    offices: list[Ref]
    # The nearest named street of the base map (within 150 m), and "near <street>, <ward>".
    street: str | None = None
    address: str | None = None


class ResendIn(BaseModel):
    """A request to send a report's private link again: the link's token proves the right."""

    token: str = Field(min_length=1, max_length=200)


class ResendOut(BaseModel):
    """The channels the link goes out by again (``email``, ``sms``, ``zalo``)."""

    channels: list[str]
