"""The account form: every field as typed, validated into what the service takes."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ioc.auth.models import Role, User
from ioc.i18n import N_
from ioc.web import require_role

M = TypeVar("M", bound=BaseModel)
AdminUser = Annotated[User, Depends(require_role(Role.admin))]
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$"
MAX_ID = 2**31 - 1  # an integer column: a larger number cannot name a row

REQUIRED = N_("This field is required.")
TOO_LONG = N_("This text is too long.")
CHOOSE = N_("Choose one of the options.")
# The message of a field that is given but wrong (an empty one is required, or to be chosen).
FIELD_MESSAGES = {
    "full_name": TOO_LONG,
    "username": N_(
        "Use 2 to 64 characters: lowercase letters without accents, digits, dots, hyphens "
        "and underscores, starting with a letter or a digit."
    ),
    "role": CHOOSE,
    "agency_id": CHOOSE,
    "email": N_("Enter a valid email address, or leave it empty."),
}
CHOICES = ("role", "agency_id")
# Fields as the service names them, and as the form names them.
FORM_FIELDS = {"agency_id": "agency"}


class AccountIn(BaseModel):
    """What an administrator may change on an account."""

    full_name: str = Field(min_length=1, max_length=200)
    role: Role
    agency_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)


class NewAccountIn(AccountIn):
    """A new account: its username too (it never changes afterwards)."""

    username: str = Field(pattern=USERNAME_PATTERN)


class AccountForm(BaseModel):
    """The HTML form as FastAPI reads it (``Annotated[AccountForm, Form()]``), text as typed."""

    model_config = ConfigDict(extra="ignore")  # the CSRF token is checked by its own dependency

    username: str = ""
    full_name: str = ""
    role: str = ""
    agency: str = ""
    email: str = ""

    def values(self) -> dict[str, Any]:
        """The fields for ``AccountIn``/``NewAccountIn`` (and for showing the form again)."""
        return {
            "username": self.username.strip().lower(),
            "full_name": " ".join(self.full_name.split()),
            "role": self.role,
            "agency_id": self.agency.strip() or None,
            "email": self.email.strip() or None,
        }


class FormErrors(Exception):
    """Every problem of a form, by form field, as message ids."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def form_field(field: str | None) -> str:
    """The form's name of a field the service or a model names."""
    return FORM_FIELDS.get(field or "", field or "")


def validated(model: type[M], data: dict[str, Any]) -> M:
    """The form as a model; FormErrors with a message for each field that is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            errors.setdefault(form_field(field), _message(field, error["input"]))
        raise FormErrors(errors) from exc


def _message(field: str, given: object) -> str:
    """What to tell about a field that is not valid."""
    if field in CHOICES:
        return CHOOSE
    if given in ("", None):
        return REQUIRED
    return FIELD_MESSAGES.get(field, CHOOSE)
