"""Discovery, the services (our active categories) and their definitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ioc import i18n
from ioc.errors import NotFound
from ioc.i18n import N_
from ioc.settings import Settings
from reports import queries
from routing.models import Category
from routing.schemas import GROUPS

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-30T00:00:00+07:00"  # the last change of this API's shape
OFFICE = "office"  # the attribute naming the office of a non-geographic category
UNKNOWN_SERVICE = N_("Unknown service_code.")
DEFAULT_CONTACT = N_("Ask the city's operations centre (IOC) for help with this API.")
DEFAULT_KEY_SERVICE = N_("Ask the city's operations centre (IOC) for an api_key.")


def discovery(settings: Settings, base: str) -> dict[str, Any]:
    """The service discovery document: one GeoReport v2 endpoint in both formats."""
    return {
        "changeset": CHANGESET,
        "contact": settings.open311.contact or i18n.gettext(DEFAULT_CONTACT),
        "key_service": settings.open311.key_service or i18n.gettext(DEFAULT_KEY_SERVICE),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base}/open311/v2",
                "changeset": CHANGESET,
                "type": "test" if settings.demo else "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service(category: Category) -> dict[str, Any]:
    """A category as a service; an office category has metadata (its ``office`` attribute)."""
    return {
        "service_code": category.code,
        "service_name": category.name(i18n.get_locale()),
        "description": f"{category.name_vi} ({category.name_en})",
        "metadata": not category.geographic,
        "type": "realtime",
        "keywords": ", ".join((category.code, category.name_vi, category.name_en)),
        "group": i18n.gettext(GROUPS.get(category.group, GROUPS["other"])),
    }


def services(db: Session) -> list[dict[str, Any]]:
    """Every active category, in the reporting page's order."""
    return [service(category) for category in db.scalars(queries.categories())]


def definition(db: Session, code: str) -> dict[str, Any]:
    """The definition of a service: the ``office`` attribute for office categories."""
    category = db.scalar(queries.active_category(code))
    if category is None:
        raise NotFound(UNKNOWN_SERVICE, field="service_code")
    attributes = [] if category.geographic else [_office_attribute()]
    return {"service_code": category.code, "attributes": attributes}


def _office_attribute() -> dict[str, Any]:
    """The office a non-geographic report is about, by its agency code."""
    return {
        "variable": True,
        "code": OFFICE,
        "datatype": "string",
        "required": True,
        "datatype_description": i18n.gettext(N_("The code of an agency, such as ubnd-26526.")),
        "order": 1,
        "description": i18n.gettext(N_("Which office is this about?")),
    }
