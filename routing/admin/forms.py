"""Helpers shared by the routing admin pages: who acts, form validation, form re-display."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import Response

from ioc import i18n
from ioc.auth.models import Role, User
from ioc.errors import InvalidInput
from ioc.i18n import N_
from ioc.web import require_role, templating
from routing.admin.service import Actor

M = TypeVar("M", bound=BaseModel)
AdminUser = Annotated[User, Depends(require_role(Role.admin))]
FIELD_MESSAGES = {
    "missing": N_("This field is required."),
    "string_pattern_mismatch": N_(
        "Use lowercase letters, digits, hyphens and underscores only (no spaces or accents)."
    ),
    "string_too_long": N_("This text is too long."),
    "string_too_short": N_("This field is required."),
    "int_parsing": N_("Enter a whole number."),
    "enum": N_("Choose one of the options."),
    "date_from_datetime_parsing": N_("Enter a date."),
    "date_parsing": N_("Enter a date."),
}


def actor(user: User) -> Actor:
    """The audit's name for a signed-in user."""
    return Actor(name=user.username, user_id=user.id)


def validated(model: type[M], data: dict[str, Any]) -> M:
    """A form as a model; the first problem becomes InvalidInput naming its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        message = FIELD_MESSAGES.get(error["type"], N_("This value is not valid."))
        raise InvalidInput(message, field=field) from exc


def form_error(
    request: Request, template: str, context: dict[str, Any], error: InvalidInput
) -> Response:
    """Show the form again with the problem next to it (422)."""
    message = i18n.gettext(error.detail, **error.params)
    context = {**context, "error": message, "error_field": error.field}
    return templating.render(request, template, context, status=422)


def checkbox(value: str | None) -> bool:
    """An HTML checkbox: present means on."""
    return value is not None and value not in ("", "0", "false", "off")


class FormFields(BaseModel):
    """An HTML form as FastAPI reads it (``Annotated[Model, Form()]``): every field text, as
    typed; ``values()`` turns it into what the form's validated model (``CategoryIn``…) reads."""

    model_config = ConfigDict(extra="ignore")  # the CSRF token is checked by its own dependency


class CategoryForm(FormFields):
    """The category form."""

    code: str = ""
    name_vi: str = ""
    name_en: str = ""
    group: str = ""
    icon: str = ""
    default_priority: str = "normal"
    sort_order: str = "0"
    geographic: str | None = None
    active: str | None = None

    def values(self) -> dict[str, Any]:
        """The fields for ``CategoryIn`` (and for showing the form again)."""
        data = self.model_dump()
        data["sort_order"] = self.sort_order or "0"
        data["geographic"], data["active"] = checkbox(self.geographic), checkbox(self.active)
        return data


class AgencyForm(FormFields):
    """The agency form (its service-area file comes as a separate upload)."""

    code: str = ""
    name: str = ""
    kind: str = ""
    jurisdiction: str = ""
    parent: str = ""
    email: str = ""
    phone: str = ""
    webhook: str = ""
    active: str | None = None
    clear_area: str | None = None

    def values(self) -> dict[str, Any]:
        """The fields for ``AgencyIn`` (and for showing the form again)."""
        return {
            "code": self.code.strip().lower(),
            "name": self.name,
            "kind": self.kind,
            "jurisdiction": self.jurisdiction.strip(),
            "parent": self.parent.strip().lower(),
            "active": checkbox(self.active),
            "contacts": {"email": self.email, "phone": self.phone, "webhook": self.webhook},
        }


class RuleForm(FormFields):
    """The routing rule form."""

    position: str = ""
    category: str = ""
    target: str = ""
    agency_kind: str = ""
    level: str = ""
    agency: str = ""
    jurisdictions: str = ""
    note: str = ""
    within_service_area: str | None = None
    active: str | None = None

    def values(self) -> dict[str, Any]:
        """The fields for ``RuleIn`` (and for showing the form again)."""
        data = self.model_dump()
        data["agency"] = self.agency.strip().lower()
        data["jurisdictions"] = [c for c in self.jurisdictions.replace(",", " ").split() if c]
        data["within_service_area"] = checkbox(self.within_service_area)
        data["active"] = checkbox(self.active)
        return data


class DayOffForm(FormFields):
    """The day-off form."""

    day: str = ""
    note: str = ""
    working: str | None = None

    def values(self) -> dict[str, Any]:
        """The fields for ``DayOffIn`` (and for showing the form again)."""
        return {"day": self.day, "note": self.note, "working": checkbox(self.working)}
