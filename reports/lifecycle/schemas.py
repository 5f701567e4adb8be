"""Bodies of the lifecycle API: the staff view of a report, its timeline, the staff list."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from reports.schemas import Ref


class Deadlines(BaseModel):
    """The stage deadlines, the current one (``due_at``) and whether it has passed."""

    verify_by: datetime | None
    accept_by: datetime | None
    resolve_by: datetime | None
    due_at: datetime | None
    overdue: bool
    overdue_since: datetime | None


class Extension(BaseModel):
    """The report's one extension request."""

    state: str
    until: datetime | None
    reason: str | None


class Contact(BaseModel):
    """The reporter's contact: the IOC's to see, an agency's only if the resident shared it."""

    name: str | None
    phone: str | None
    email: str | None


class MediaOut(BaseModel):
    """A metadata-free image of a report (``report``) or of its result (``result``)."""

    kind: str
    stage: str
    display_url: str
    thumbnail_url: str
    width: int
    height: int
    duration_s: float | None = None


class StaffView(BaseModel):
    """A report as staff see it; the same first fields as the public status view."""

    tracking_code: str
    status: str
    status_label: str
    visibility: Literal["staff"] = "staff"
    version: int  # send it back with an action: a stale one gets 409
    category: Ref
    priority: str
    description: str
    location: dict[str, float]
    ward: Ref | None
    suggested_agency: Ref | None
    agency: Ref | None  # the agency the report is assigned to
    routing_reason: str | None  # why the agency was suggested, in the reader's language
    outside_coverage: bool
    created_at: datetime
    forwarded_at: datetime | None
    accepted_at: datetime | None
    resolved_at: datetime | None
    published_at: datetime | None
    closed_at: datetime | None
    deadlines: Deadlines
    extension: Extension | None
    result_text: str | None
    duplicate_of: str | None
    media: list[MediaOut]
    allowed_actions: list[str]  # what this caller may do now
    identity_shared: bool  # the resident turned off "keep my identity from the agency"
    contact: Contact | None  # None where this caller may not see it


class EventActor(BaseModel):
    """Who caused an event: the kind, the staff role, and the username where the reader may."""

    kind: str
    role: str | None = None
    username: str | None = None


class EventOut(BaseModel):
    """One step of a report's timeline."""

    id: int
    at: datetime
    action: str
    action_label: str
    from_status: str | None
    status: str
    status_label: str
    actor: EventActor
    note: str | None  # None where an agency may not read the IOC's own note
    payload: dict[str, Any]


class EventsOut(BaseModel):
    """A report's timeline, oldest first."""

    tracking_code: str
    items: list[EventOut]


class ListItem(BaseModel):
    """A report in the staff list."""

    tracking_code: str
    status: str
    status_label: str
    category: Ref
    priority: str
    agency: Ref | None
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    version: int


class ReportList(BaseModel):
    """A page of the staff list; ``next`` fetches the following one (None on the last page)."""

    items: list[ListItem]
    next_cursor: str | None = None
    next: str | None = None
    limit: int = Field(ge=1)


class ReopenIn(BaseModel):
    """The resident's reopening form (the private status page); checked by the lifecycle."""

    t: str = ""  # the private status token, as in the page's address
    note: str = ""
