"""Load-or-404 dependencies, so that route bodies stay short (``CurrentReport``)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ioc.auth.models import Role, User
from ioc.errors import NotFound
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import CurrentUser, OptionalUser, SessionDep, client_address
from reports import queries
from reports.lifecycle.service import Actor, can_see
from reports.models import ActorKind, Report
from reports.tracking import codes as tracking
from reports.tracking.codes import is_tracking_code
from routing import service as routing_service


def base_url(request: Request) -> str:
    """The site's address as the client sees it, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def limiter(request: Request, name: str, size: int) -> anyio.CapacityLimiter:
    """A limiter of this worker's (made on first use): waiting requests queue in the event loop."""
    state = request.app.state
    if getattr(state, name, None) is None:
        setattr(state, name, anyio.CapacityLimiter(max(1, size)))
    made: anyio.CapacityLimiter = getattr(state, name)
    return made


def load_report(
    request: Request,
    db: Session,
    tracking_code: str,
    token: str | None = None,
    user: User | None = None,
) -> Report:
    """A report by tracking code; 404 otherwise. Lookups by the code alone are rate-limited.

    Without the private token or staff credentials, a lookup counts (an unknown code too: codes
    are sequential and could be walked), in the database so that every app server shares it.
    """
    report = (
        db.scalar(queries.report_by_code(tracking_code))
        if is_tracking_code(tracking_code)
        else None
    )
    if not tracking.is_privileged(db, report, token, user):
        settings: Settings = request.app.state.settings
        wait = tracking.count_lookup(
            db, settings.secret_key, client_address(request), settings.intake.lookups_per_minute
        )
        db.commit()  # the lookup counts whatever its answer
        if wait is not None:
            raise tracking.TooManyLookups(wait)
    if report is None:
        raise NotFound(N_("No report has this tracking code."), field="tracking_code")
    return report


def current_report(
    request: Request,
    db: SessionDep,
    user: OptionalUser,
    tracking_code: str,
    token: str | None = None,
) -> Report:
    """The report named in the path, for its private token or staff; a lookup otherwise."""
    return load_report(request, db, tracking_code, token, user)


CurrentReport = Annotated[Report, Depends(current_report)]


def staff_actor(db: SessionDep, user: CurrentUser) -> Actor:
    """The signed-in staff member as the lifecycle sees them: role and, for agency staff, agency."""
    agency_id = routing_service.agency_of(db, user.id) if user.role == Role.agency_staff else None
    return Actor(ActorKind.staff, user_id=user.id, role=user.role.value, agency_id=agency_id)


StaffActor = Annotated[Actor, Depends(staff_actor)]


def staff_report(db: SessionDep, actor: StaffActor, tracking_code: str) -> Report:
    """The report named in the path if this staff member may see it; 404 otherwise.

    An agency gets the same 404 for another agency's report as for a code that does not exist:
    it must not learn that the report exists.
    """
    report = (
        db.scalar(queries.report_by_code(tracking_code))
        if is_tracking_code(tracking_code)
        else None
    )
    if report is None or not can_see(report, actor):
        raise NotFound(N_("No report has this tracking code."), field="tracking_code")
    return report


StaffReport = Annotated[Report, Depends(staff_report)]
