"""Account pages for administrators: list, create, edit, disable and re-enable, reset a
password, lift the sign-in limit, and the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from dashboard.admin import display, queries
from dashboard.admin import service as svc
from dashboard.admin.forms import (
    AccountForm,
    AccountIn,
    AdminUser,
    FormErrors,
    NewAccountIn,
    form_field,
    validated,
)
from dashboard.admin.models import AccountAction
from ioc import i18n
from ioc.auth import service as auth_service
from ioc.auth.models import Role, User
from ioc.db import utcnow
from ioc.errors import Conflict, InvalidInput, NotFound
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import CsrfProtected, SessionDep, SettingsDep, WriteSessionDep, templating

router = APIRouter(prefix="/admin/users")
# A page that shows a password must not stay in a cache or the browser's history.
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}
DONE = {
    "saved": N_("The changes are saved."),
    "unchanged": N_("Nothing was changed."),
    "disabled": N_("The account is disabled: it cannot sign in, and its sessions have ended."),
    "enabled": N_("The account may sign in again."),
}


def load_account(db: SessionDep, user_id: int) -> User:
    """The account named in the path; 404 if there is none."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


Account = Annotated[User, Depends(load_account)]


def _common() -> dict[str, Any]:
    """What every account page shows things with."""
    return {
        "roles": list(Role),
        "role_name": display.role_name,
        "local_time": display.local_time,
        "action_name": display.action_name,
        "changes": display.changes,
    }


def _errors(error: FormErrors | InvalidInput) -> dict[str, str]:
    """Problems by form field, in the reader's language."""
    if isinstance(error, FormErrors):
        return {field: i18n.gettext(message) for field, message in error.errors.items()}
    return {form_field(error.field): i18n.gettext(error.detail, **error.params)}


def _choice(value: str, parse: Any, field: str) -> Any:
    """A list filter's value: None when empty, InvalidInput naming the filter when unknown."""
    if not value.strip():
        return None
    try:
        return parse(value.strip())
    except ValueError as exc:
        raise InvalidInput(N_("Choose one of the options."), field=field) from exc


@router.get("")
def users_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    _: AdminUser,
    q: Annotated[str, Query(max_length=100)] = "",
    role: str = "",
    agency: str = "",
    status: str = "",
) -> Response:
    """Staff accounts with their role and agency, filtered, and the ones the sign-in limit locks."""
    filters = {
        "role": _choice(role, Role, "role"),
        "agency_id": _choice(agency, int, "agency"),
        "status": _choice(status, queries.Status, "status"),
    }
    if filters["agency_id"] is not None and not 1 <= filters["agency_id"] <= 2**31 - 1:
        raise InvalidInput(N_("Choose one of the options."), field="agency")
    rows = db.execute(queries.accounts(text=q, **filters)).all()
    locked = {
        name: display.local_time(until)
        for name, until in auth_service.locked_accounts(db, settings).items()
    }
    context = {
        **_common(),
        "rows": rows[: queries.LIST_LIMIT],
        "more": len(rows) > queries.LIST_LIMIT,
        "locked": locked,
        "agencies": db.execute(queries.member_agencies()).all(),
        "filters": {"q": q, "role": role, "agency": agency, "status": status},
    }
    return templating.render(request, "users/list.html", context)


def _new_page(
    request: Request, db: Session, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    context = {
        **_common(),
        "values": values,
        "errors": errors,
        "agencies": db.execute(queries.choosable_agencies()).all(),
    }
    return templating.render(request, "users/new.html", context, status=status)


@router.get("/new")
def new_page(request: Request, db: SessionDep, _: AdminUser) -> Response:
    """The form for a new staff account."""
    return _new_page(request, db, {}, {}, 200)


@router.post("", dependencies=[CsrfProtected])
def create(
    request: Request,
    db: WriteSessionDep,
    admin: AdminUser,
    form: Annotated[AccountForm, Form()],
) -> Response:
    """Create the account and show its password, once; a form error shows the form again."""
    values = form.values()
    try:
        user, password = svc.create_account(
            db, svc.Actor.of(admin), validated(NewAccountIn, values)
        )
    except (FormErrors, InvalidInput) as error:
        db.rollback()
        return _new_page(request, db, values, _errors(error), 422)
    return _password_page(request, user, password, AccountAction.create)


def _password_page(request: Request, user: User, password: str, action: AccountAction) -> Response:
    """The one page that shows a password: not cached, not kept in the browser's history."""
    context = {**_common(), "account": user, "password": password, "action": action.value}
    page = templating.render(request, "users/password.html", context)
    page.headers.update(NO_STORE)
    return page


@router.get("/audit")
def audit_page(
    request: Request,
    db: SessionDep,
    _: AdminUser,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    """Every change to staff accounts, newest first, a hundred at a time."""
    rows = db.scalars(queries.audit(before_id=before)).all()
    context = {
        **_common(),
        "rows": rows[: queries.AUDIT_PAGE],
        "older": rows[queries.AUDIT_PAGE - 1].id if len(rows) > queries.AUDIT_PAGE else None,
    }
    return templating.render(request, "users/audit.html", context)


def _account_page(
    request: Request,
    db: Session,
    settings: Settings,
    account: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """An account: its facts, the edit form, its actions and its audit trail."""
    agency = svc.agency_of(db, account)
    if values is None:
        values = {
            "full_name": account.full_name,
            "role": account.role.value,
            "agency_id": agency.id if agency else None,
            "email": account.email,
        }
    done = request.query_params.get("done", "")
    context = {
        **_common(),
        "account": account,
        "agency": agency,
        "values": values,
        "errors": errors or {},
        "done": i18n.gettext(DONE[done]) if done in DONE and status == 200 else "",
        "agencies": db.execute(queries.choosable_agencies(agency.id if agency else None)).all(),
        "sessions": db.scalar(queries.open_sessions(account.id, utcnow())),
        "locked": account.username in auth_service.locked_accounts(db, settings),
        "rows": db.scalars(queries.audit(user_id=account.id)).all()[: queries.AUDIT_PAGE],
    }
    return templating.render(request, "users/account.html", context, status=status)


@router.get("/{user_id}")
def account_page(
    request: Request, db: SessionDep, settings: SettingsDep, _: AdminUser, account: Account
) -> Response:
    """One account."""
    return _account_page(request, db, settings, account)


@router.post("/{user_id}", dependencies=[CsrfProtected])
def account_save(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    admin: AdminUser,
    account: Account,
    form: Annotated[AccountForm, Form()],
) -> Response:
    """Save the name, role, agency and email; a form error shows the page again (422)."""
    values = form.values()
    try:
        changed = svc.update_account(db, svc.Actor.of(admin), account, validated(AccountIn, values))
    except (FormErrors, InvalidInput, Conflict) as error:
        db.rollback()
        if isinstance(error, Conflict):  # the last administrator: a problem of the role
            error = InvalidInput(error.detail, field="role", **error.params)
        page_errors = _errors(error)
        return _account_page(
            request, db, settings, account, values=values, errors=page_errors, status=422
        )
    done = "saved" if changed else "unchanged"
    return RedirectResponse(f"/admin/users/{account.id}?done={done}", status_code=303)


def _refused(
    request: Request, db: Session, settings: Settings, account: User, error: Conflict
) -> Response:
    """The account page again with why an action was refused (409)."""
    db.rollback()
    message = {"action": i18n.gettext(error.detail, **error.params)}
    return _account_page(request, db, settings, account, errors=message, status=error.status)


@router.post("/{user_id}/disable", dependencies=[CsrfProtected])
def account_disable(
    request: Request, db: WriteSessionDep, settings: SettingsDep, admin: AdminUser, account: Account
) -> Response:
    """Disable the account: no sign-in, its sessions end, its tokens are refused."""
    try:
        svc.disable(db, svc.Actor.of(admin), account)
    except Conflict as error:
        return _refused(request, db, settings, account, error)
    return RedirectResponse(f"/admin/users/{account.id}?done=disabled", status_code=303)


@router.post("/{user_id}/enable", dependencies=[CsrfProtected])
def account_enable(db: WriteSessionDep, admin: AdminUser, account: Account) -> Response:
    """Let a disabled account sign in again."""
    svc.enable(db, svc.Actor.of(admin), account)
    return RedirectResponse(f"/admin/users/{account.id}?done=enabled", status_code=303)


@router.post("/{user_id}/password", dependencies=[CsrfProtected])
def account_reset_password(
    request: Request, db: WriteSessionDep, admin: AdminUser, account: Account
) -> Response:
    """Give the account a new random password and show it, once."""
    password = svc.reset_password(db, svc.Actor.of(admin), account)
    return _password_page(request, account, password, AccountAction.reset_password)


@router.post("/{user_id}/unlock", dependencies=[CsrfProtected])
def account_unlock(db: WriteSessionDep, admin: AdminUser, account: Account) -> Response:
    """Let an account locked by the sign-in limit try again at once."""
    svc.unlock(db, svc.Actor.of(admin), account)
    return RedirectResponse("/admin/users", status_code=303)
