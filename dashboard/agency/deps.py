"""Who may open the agency pages, and the report named in the path (404 outside their scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ioc.auth.models import Role, User
from ioc.web import SessionDep, require_role
from reports.deps import staff_actor, staff_report
from reports.lifecycle.service import Actor
from reports.models import Report

# Agency staff; an admin may look (every action is refused to them by the transition table).
AgencyUser = Annotated[User, Depends(require_role(Role.agency_staff))]


def agency_actor(db: SessionDep, user: AgencyUser) -> Actor:
    """The signed-in agency staff member (or admin) as the lifecycle sees them."""
    return staff_actor(db, user)


AgencyActor = Annotated[Actor, Depends(agency_actor)]


def agency_report(db: SessionDep, actor: AgencyActor, tracking_code: str) -> Report:
    """The report in the path if this agency may see it; the same 404 as a missing one if not."""
    return staff_report(db, actor, tracking_code)


AgencyReport = Annotated[Report, Depends(agency_report)]
