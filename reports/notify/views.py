"""Admin page: messages waiting or given up, with every attempt, and "retry now"."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload
from starlette.responses import RedirectResponse, Response

from ioc import jobs
from ioc.auth.models import Role, User
from ioc.db import rows_changed, utcnow
from ioc.errors import Conflict, NotFound
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import (
    CsrfProtected,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
    require_role,
    templating,
)
from reports.models import Report
from reports.notify.models import Message, MessageState
from reports.notify.tasks import deliver
from routing.sla import VN_TZ

router = APIRouter(prefix="/admin/notifications")
AdminUser = Annotated[User, Depends(require_role(Role.admin))]
SHOWN = 200  # messages listed at most (newest first)
STATES = {
    "open": (MessageState.pending, MessageState.failed),
    "failed": (MessageState.failed,),
    "pending": (MessageState.pending,),
    "sent": (MessageState.sent,),
}


@router.get("")
def notifications(request: Request, db: SessionDep, _: AdminUser, state: str = "open") -> Response:
    """Messages by state (failed and pending by default), newest first, with their attempts."""
    shown = STATES.get(state, STATES["open"])
    rows = db.execute(
        select(Message, Report.tracking_code)
        .outerjoin(Report, Report.id == Message.report_id)
        .options(selectinload(Message.attempt_rows))
        .where(Message.state.in_(shown))
        .order_by(Message.id.desc())
        .limit(SHOWN)
    ).all()
    grouped = db.execute(select(Message.state, func.count()).group_by(Message.state))
    counts = {found: number for found, number in grouped}
    context = {
        "rows": rows,
        "counts": {state: counts.get(state, 0) for state in MessageState},
        "state": state if state in STATES else "open",
        "limit": SHOWN,
        "tz": VN_TZ,
    }
    return templating.render(request, "notify/admin.html", context)


def retry(db: Session, settings: Settings, message_ids: list[int] | None) -> int:
    """Make failed or pending messages due now, with a fresh give-up time; the number changed."""
    now = utcnow()
    statement = (
        update(Message)
        .where(Message.state.in_((MessageState.failed, MessageState.pending)))
        .values(
            state=MessageState.pending,
            next_attempt_at=now,
            give_up_at=now + timedelta(hours=settings.notify.give_up_hours),
        )
        .execution_options(synchronize_session=False)
    )
    if message_ids is not None:
        statement = statement.where(Message.id.in_(message_ids))
    else:
        statement = statement.where(Message.state == MessageState.failed)
    changed = rows_changed(db, statement)
    if changed:
        jobs.defer(db, deliver, timestamp=0)
    return changed


@router.post("/{message_id}/retry", dependencies=[CsrfProtected])
def retry_one(
    db: WriteSessionDep, settings: SettingsDep, _: AdminUser, message_id: int
) -> Response:
    """Try one message again now."""
    found = db.get(Message, message_id)
    if found is None:
        raise NotFound()
    if found.state == MessageState.sent:
        raise Conflict(N_("This message was delivered already."))
    retry(db, settings, [message_id])
    return RedirectResponse("/admin/notifications", status_code=303)


@router.post("/retry-failed", dependencies=[CsrfProtected])
def retry_failed(db: WriteSessionDep, settings: SettingsDep, _: AdminUser) -> Response:
    """Try every failed message again now."""
    retry(db, settings, None)
    return RedirectResponse("/admin/notifications", status_code=303)
