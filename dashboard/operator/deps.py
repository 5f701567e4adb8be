"""Who may open the operators' dashboard: the IOC's operators and supervisors (and an admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ioc.auth.models import Role, User
from ioc.web import SessionDep, require_role
from reports.deps import staff_actor
from reports.lifecycle.service import Actor

# An agency's staff member gets a 403: the dashboard shows every agency's reports.
OperatorUser = Annotated[User, Depends(require_role(Role.ioc_operator, Role.ioc_supervisor))]
SupervisorUser = Annotated[User, Depends(require_role(Role.ioc_supervisor))]


def operator_actor(db: SessionDep, user: OperatorUser) -> Actor:
    """The signed-in operator as the lifecycle sees them."""
    return staff_actor(db, user)


OperatorActor = Annotated[Actor, Depends(operator_actor)]
