"""The supervisors' page of reject reason templates: add, edit, reorder, disable (CSRF on forms)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from dashboard.operator import reject_templates as rt
from dashboard.operator.deps import SupervisorUser
from ioc import i18n
from ioc.errors import InvalidInput
from ioc.web import CsrfProtected, SessionDep, WriteSessionDep, templating

router = APIRouter(prefix="/dashboard/reject-templates")
PAGE = "/dashboard/reject-templates"
TEMPLATE = "panel_reject_templates.html"
TitleField = Annotated[str, Form(max_length=rt.TITLE_MAX * 2)]
TextField = Annotated[str, Form(max_length=rt.TEXT_MAX * 2)]


def _page(
    request: Request,
    db: Session,
    *,
    editing: int | None = None,
    values: dict[str, Any] | None = None,
    error: InvalidInput | None = None,
) -> Response:
    """The list with the add form (or one template's edit form), an error beside its field."""
    context = {
        "templates": list(db.scalars(rt.listed(active_only=False))),
        "editing": editing,
        "values": values or {},
        "error": i18n.gettext(error.detail, **error.params) if error else None,
        "error_field": error.field if error else None,
    }
    return templating.render(request, TEMPLATE, context, status=error.status if error else 200)


@router.get("")
def templates_page(
    request: Request, db: SessionDep, _: SupervisorUser, edit: int | None = None
) -> Response:
    """Every template in order, active or not; ``?edit=ID`` opens one in the form."""
    values: dict[str, Any] = {"active": True}
    if edit is not None:
        row = rt.get(db, edit)
        values = {
            "title_vi": row.title_vi,
            "title_en": row.title_en,
            "text_vi": row.text_vi,
            "text_en": row.text_en,
            "active": row.active,
        }
    return _page(request, db, editing=edit, values=values)


def _save(request: Request, db: Session, template_id: int | None, data: rt.TemplateIn) -> Response:
    try:
        rt.save(db, data, template_id)
    except InvalidInput as error:
        db.rollback()
        values = {**data.__dict__}
        return _page(request, db, editing=template_id, values=values, error=error)
    return RedirectResponse(PAGE, status_code=303)


@router.post("", dependencies=[CsrfProtected])
def add_template(
    request: Request,
    db: WriteSessionDep,
    _: SupervisorUser,
    title_vi: TitleField = "",
    title_en: TitleField = "",
    text_vi: TextField = "",
    text_en: TextField = "",
    active: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """Add a template at the end of the list."""
    data = rt.TemplateIn(title_vi, title_en, text_vi, text_en, active=active is not None)
    return _save(request, db, None, data)


@router.post("/{template_id}", dependencies=[CsrfProtected])
def edit_template(
    request: Request,
    db: WriteSessionDep,
    _: SupervisorUser,
    template_id: int,
    title_vi: TitleField = "",
    title_en: TitleField = "",
    text_vi: TextField = "",
    text_en: TextField = "",
    active: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """Change a template's titles and texts, or turn it off (it stays, hidden from the panel)."""
    rt.get(db, template_id)
    data = rt.TemplateIn(title_vi, title_en, text_vi, text_en, active=active is not None)
    return _save(request, db, template_id, data)


@router.post("/{template_id}/move", dependencies=[CsrfProtected])
def move_template(
    db: WriteSessionDep,
    _: SupervisorUser,
    template_id: int,
    direction: Annotated[Literal["up", "down"], Form()],
) -> Response:
    """Move a template one place up or down the list."""
    rt.move(db, template_id, -1 if direction == "up" else 1)
    return RedirectResponse(PAGE, status_code=303)
