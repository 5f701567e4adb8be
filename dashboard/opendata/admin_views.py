"""The administrator's page of snapshots (``/admin/open-data``): publish today's, withdraw one,
publish a withdrawn one again. Admins only; every form carries the CSRF token."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from dashboard.opendata import snapshots
from ioc import i18n
from ioc.auth.models import Role, User
from ioc.db import utcnow
from ioc.i18n import N_
from ioc.web import (
    CsrfProtected,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
    require_role,
    templating,
)
from routing.sla import VN_TZ

router = APIRouter(prefix="/admin/open-data")
AdminUser = Annotated[User, Depends(require_role(Role.admin))]
SnapshotId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DONE: Final = {
    "requested": N_("Today's snapshot is being written; reload this page in a moment."),
    "withdrawn": N_("The snapshot is withdrawn: its files are no longer served."),
    "republished": N_("The snapshot is published again."),
}


def _names(db: SessionDep, ids: set[int]) -> dict[int, str]:
    """Usernames of the accounts that published or withdrew snapshots."""
    if not ids:
        return {}
    rows = db.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _local(value: Any) -> str:
    return value.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M") if value else "—"


@router.get("")
def admin_page(request: Request, db: SessionDep, settings: SettingsDep, _: AdminUser) -> Response:
    """Every snapshot with its state, files and who published it; the publish button."""
    rows = snapshots.listed(db, published_only=False)
    ids = {i for row in rows for i in (row.published_by_id, row.withdrawn_by_id) if i}
    done = request.query_params.get("done", "")
    context = {
        "rows": rows,
        "names": _names(db, ids),
        "local": _local,
        "file_name": snapshots.file_name,
        "today": snapshots.vietnam_day(utcnow()),
        "auto_publish": settings.open_data.auto_publish,
        "done": i18n.gettext(DONE[done]) if done in DONE else "",
    }
    return templating.render(request, "opendata/admin.html", context)


def _back(done: str) -> Response:
    return RedirectResponse(f"/admin/open-data?done={done}", status_code=303)


@router.post("/snapshots", dependencies=[CsrfProtected])
def publish_today(db: WriteSessionDep, admin: AdminUser) -> Response:
    """Ask for today's snapshot: the job writes its files and publishes it."""
    snapshots.request_today(db, admin.id, utcnow())
    return _back("requested")


@router.post("/snapshots/{snapshot_id}/withdraw", dependencies=[CsrfProtected])
def withdraw(db: WriteSessionDep, admin: AdminUser, snapshot_id: SnapshotId) -> Response:
    """Stop serving a snapshot."""
    snapshots.withdraw(db, snapshot_id, admin.id, utcnow())
    return _back("withdrawn")


@router.post("/snapshots/{snapshot_id}/publish", dependencies=[CsrfProtected])
def republish(db: WriteSessionDep, admin: AdminUser, snapshot_id: SnapshotId) -> Response:
    """Serve a withdrawn snapshot again."""
    snapshots.republish(db, snapshot_id)
    return _back("republished")
