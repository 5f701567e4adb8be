"""Domain errors. Each maps to one status code and an RFC 9457 problem body in one handler.

Messages are English gettext message ids (marked with ``N_``) with ``%(name)s`` placeholders; the
handler translates them into the user's language (Vietnamese first). Domain code never raises
``HTTPException``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ioc.i18n import N_


class DomainError(Exception):
    """Base of every error the user may see."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = N_("The request cannot be processed.")
    retry_after: int | None = None  # seconds, sent as Retry-After
    # Members added to the problem body (e.g. a 409's current state and the actions allowed in it).
    extra: dict[str, Any] | None = None

    def __init__(
        self, detail: str | None = None, *, field: str | None = None, **params: Any
    ) -> None:
        self.detail = detail or self.title
        self.field = field
        self.params = params
        super().__init__(self.detail % params if params else self.detail)


class InvalidInput(DomainError):
    """A field is missing, malformed or out of range."""

    status = 422
    code = "invalid-input"
    title = N_("Some information is missing or not valid.")


class Unauthorized(DomainError):
    """No valid credentials."""

    status = 401
    code = "unauthorized"
    title = N_("Please sign in.")


class Forbidden(DomainError):
    """Signed in, but this role may not do this."""

    status = 403
    code = "forbidden"
    title = N_("You do not have permission to open this page.")


class CsrfFailed(Forbidden):
    """A form arrived without the token of the page that showed it."""

    code = "csrf-failed"
    title = N_(
        "The form has expired or was not sent from this site. Reload the page and try again."
    )


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to this user)."""

    status = 404
    code = "not-found"
    title = N_("Not found.")


class Conflict(DomainError):
    """The request contradicts the current state."""

    status = 409
    code = "conflict"
    title = N_("The request conflicts with the current state.")


class InvalidTransition(Conflict):
    """A report cannot move from its state to the one asked for."""

    code = "invalid-transition"
    title = N_("This action is not possible in the report's current state.")


class OutsideCoverage(InvalidInput):
    """A place outside every jurisdiction the system covers."""

    code = "outside-coverage"
    title = N_("This place is outside the area the system serves.")


class InvalidMedia(InvalidInput):
    """A file that is not a photo or video we accept, or is damaged."""

    code = "invalid-media"
    title = N_("The file is not a photo or video that can be accepted.")


class PayloadTooLarge(DomainError):
    """Too many or too large files."""

    status = 413
    code = "payload-too-large"
    title = N_("The files are too large.")


class RateLimited(DomainError):
    """Too many attempts in a short time; the answer says when to try again."""

    status = 429
    code = "rate-limited"
    title = N_("Too many attempts. Please wait a few minutes and try again.")

    def __init__(
        self,
        detail: str | None = None,
        *,
        field: str | None = None,
        retry_after: int | None = None,
        **params: Any,
    ) -> None:
        super().__init__(detail, field=field, **params)
        minutes = params.get("minutes")
        # Without an exact moment, the window named in the message (or a minute) is a safe bound.
        self.retry_after = retry_after or (minutes * 60 if isinstance(minutes, int) else 60)


class ServiceUnavailable(DomainError):
    """A part the system depends on (the database) does not answer; worth retrying soon."""

    status = 503
    code = "unavailable"
    title = N_("The service is briefly unavailable. Please try again in a minute.")
    retry_after = 30
