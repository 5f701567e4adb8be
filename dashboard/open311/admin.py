"""The administrators' page of Open311 api keys: issue (the key is shown once), revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from dashboard.admin.display import local_time
from dashboard.admin.forms import MAX_ID, AdminUser
from dashboard.open311 import keys
from dashboard.open311.models import DEFAULT_RATE_LIMIT
from ioc import i18n
from ioc.db import utcnow
from ioc.errors import InvalidInput
from ioc.web import CsrfProtected, SessionDep, SettingsDep, WriteSessionDep, templating

router = APIRouter(prefix="/admin/open311-keys")
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}


def _page(
    request: Request,
    db: Session,
    window: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """Every key with its use and state, and the form for a new one."""
    context = {
        "keys": keys.listing(db),
        "local_time": local_time,
        "window": window,
        "values": values or {"name": "", "rate_limit": DEFAULT_RATE_LIMIT},
        "errors": errors or {},
        "revoked": request.query_params.get("done") == "revoked",
    }
    return templating.render(request, "open311/keys.html", context, status=status)


@router.get("")
def keys_page(request: Request, db: SessionDep, settings: SettingsDep, _: AdminUser) -> Response:
    """The keys of Open311 clients."""
    return _page(request, db, settings.open311.rate_window_minutes)


@router.post("", dependencies=[CsrfProtected])
def issue_key(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    admin: AdminUser,
    name: Annotated[str, Form(max_length=500)] = "",
    rate_limit: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Issue a key and show it, once; a form error shows the form again (422)."""
    values = {"name": name, "rate_limit": rate_limit}
    try:
        limit = int(rate_limit.strip()) if rate_limit.strip().isdigit() else 0
        key, raw = keys.issue(db, name, limit, created_by_id=admin.id)
    except InvalidInput as error:
        db.rollback()
        message = {error.field or "name": i18n.gettext(error.detail, **error.params)}
        window = settings.open311.rate_window_minutes
        return _page(request, db, window, values=values, errors=message, status=422)
    page = templating.render(request, "open311/key_issued.html", {"key": key, "raw": raw})
    page.headers.update(NO_STORE)
    return page


@router.post("/{key_id}/revoke", dependencies=[CsrfProtected])
def revoke_key(
    db: WriteSessionDep, _: AdminUser, key_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> Response:
    """Revoke a key: requests filed with it are refused from now on (403)."""
    keys.revoke(db, key_id, utcnow())
    return RedirectResponse("/admin/open311-keys?done=revoked", status_code=303)
