"""Bodies of the routing API, and the routing data as admins edit it and YAML carries it."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ioc.i18n import N_
from routing.models import AgencyKind, JurisdictionLevel, RuleTarget
from routing.sla import CategoryOverride, Priority

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
# Category groups: the mobile page shows categories under these headings.
GROUPS: dict[str, str] = {
    "infrastructure": N_("Infrastructure"),
    "order": N_("Order and security"),
    "environment": N_("Environment and greenery"),
    "public_service": N_("Public services"),
    "other": N_("Other"),
}
KIND_NAMES: dict[AgencyKind, str] = {
    AgencyKind.ward_committee: N_("Ward People's Committee"),
    AgencyKind.ward_police: N_("Ward police"),
    AgencyKind.province_committee: N_("City People's Committee"),
    AgencyKind.province_police: N_("City police"),
    AgencyKind.power: N_("Power company"),
    AgencyKind.water: N_("Water company"),
    AgencyKind.drainage: N_("Drainage company"),
    AgencyKind.urban_services: N_("Urban services"),
    AgencyKind.lighting: N_("Street lighting"),
    AgencyKind.telecom: N_("Telecom"),
    AgencyKind.department: N_("Department"),
    AgencyKind.other: N_("Other"),
}


# --- API ------------------------------------------------------------------------------------


class CategoryOut(BaseModel):
    """A category as the reporting page lists it; ``name`` is in the request's language."""

    code: str
    name: str
    group: str
    group_name: str
    geographic: bool
    icon: str
    default_priority: Priority


class AgencyOut(BaseModel):
    """An agency as the public sees it: no contact details."""

    code: str
    name: str
    kind: AgencyKind


T = TypeVar("T")


class Items(BaseModel, Generic[T]):
    """A list response."""

    items: list[T]


class Ref(BaseModel):
    """A code and a name."""

    code: str
    name: str


class DueOut(BaseModel):
    """Deadlines, in Asia/Ho_Chi_Minh."""

    verify_by: datetime
    accept_by: datetime
    resolve_by: datetime


class ExplainOut(BaseModel):
    """Where a report of a category at a place would go, and why."""

    agency: Ref | None
    jurisdiction: Ref | None
    rule: int | None
    reason: str
    outside_coverage: bool
    priority: Priority
    due: DueOut | None


# --- Routing data (admin forms and YAML) ----------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CategoryIn(_Strict):
    """A category as an administrator edits it."""

    code: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    name_vi: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    group: str = Field(max_length=64)
    icon: str = Field(min_length=1, max_length=16)
    default_priority: Priority = Priority.normal
    geographic: bool = True
    active: bool = True
    sort_order: int = 0
    sla: CategoryOverride | None = None

    @field_validator("group")
    @classmethod
    def _known_group(cls, value: str) -> str:
        if value not in GROUPS:
            raise ValueError(f"unknown group {value!r}; one of {', '.join(GROUPS)}")
        return value


class Contacts(_Strict):
    """Where deliveries go; never shown to the public."""

    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    webhook: str | None = Field(default=None, max_length=500)
    # Signs the webhook's deliveries (reports.notify): set in the database, never shown, exported
    # or written to the audit (excluded from dumps); an edit of the agency keeps it.
    webhook_secret: str | None = Field(default=None, max_length=200, exclude=True)

    @field_validator("email", "phone", "webhook", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("webhook")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://", value):
            raise ValueError("a webhook is an http(s) URL")
        return value


class AgencyIn(_Strict):
    """An agency as an administrator edits it (service area apart: it is a file)."""

    code: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=300)
    kind: AgencyKind
    jurisdiction: str | None = Field(default=None, max_length=16)  # ward or province code
    parent: str | None = Field(default=None, max_length=64)  # agency code
    active: bool = True
    contacts: Contacts = Field(default_factory=Contacts)

    @field_validator("jurisdiction", "parent", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class AgencyDoc(AgencyIn):
    """An agency in a YAML file: with its service area as a GeoJSON geometry."""

    service_area: dict[str, Any] | None = None


class RuleIn(_Strict):
    """A routing rule as an administrator edits it."""

    position: int = Field(ge=1, le=1_000_000)
    category: str = Field(min_length=1, max_length=64)
    target: RuleTarget
    agency_kind: AgencyKind | None = None
    level: JurisdictionLevel | None = None
    agency: str | None = Field(default=None, max_length=64)
    within_service_area: bool = False
    jurisdictions: list[str] = Field(default_factory=list)
    active: bool = True
    note: str = Field(default="", max_length=500)

    @field_validator("agency_kind", "level", "agency", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class DayOffIn(_Strict):
    """A day off (or a make-up working day) added by an administrator."""

    day: date
    working: bool = False
    note: str = Field(default="", max_length=300)


class RoutingDoc(_Strict):
    """The whole of the routing data, as ``ioc routing export`` writes it."""

    version: int = 1
    categories: list[CategoryIn] = Field(default_factory=list)
    agencies: list[AgencyDoc] = Field(default_factory=list)
    rules: list[RuleIn] = Field(default_factory=list)
    days_off: list[DayOffIn] = Field(default_factory=list)
