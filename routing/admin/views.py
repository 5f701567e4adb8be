"""Admin pages for routing data: overview, categories, agencies (with service areas), audit."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy import func, or_, select
from starlette.responses import RedirectResponse, Response

from ioc.errors import InvalidInput, NotFound
from ioc.i18n import N_
from ioc.web import CsrfProtected, SessionDep, WriteSessionDep, templating
from routing.admin import service as svc
from routing.admin import yaml_io
from routing.admin.forms import (
    AdminUser,
    AgencyForm,
    CategoryForm,
    actor,
    checkbox,
    form_error,
    validated,
)
from routing.models import Agency, AgencyKind, Category, RoutingAudit
from routing.schemas import GROUPS, KIND_NAMES, AgencyIn, CategoryIn
from routing.sla import Priority

router = APIRouter(prefix="/admin/routing")
MAX_AREA_BYTES = 10 * 1024 * 1024


@router.get("")
def overview(request: Request, db: SessionDep, _: AdminUser) -> Response:
    """What routing data there is, with links to edit it."""
    counts = {
        "categories": db.scalar(select(func.count()).select_from(Category)),
        "agencies": db.scalar(select(func.count()).select_from(Agency)),
        "audit": db.scalar(select(func.count()).select_from(RoutingAudit)),
    }
    return templating.render(request, "routing/overview.html", {"counts": counts})


@router.get("/export.yaml")
def export_yaml(db: SessionDep, _: AdminUser) -> Response:
    """All routing data as a YAML file (the same as ``ioc routing export``)."""
    headers = {"Content-Disposition": 'attachment; filename="routing.yaml"'}
    return Response(yaml_io.dump(db), media_type="application/yaml", headers=headers)


@router.get("/audit")
def audit(request: Request, db: SessionDep, _: AdminUser, entity: str | None = None) -> Response:
    """The latest changes to routing data: who, when, before and after."""
    query = select(RoutingAudit).order_by(RoutingAudit.id.desc()).limit(200)
    if entity:
        query = query.where(RoutingAudit.entity == entity)
    rows = db.scalars(query).all()
    changes = [(row, _changed_fields(row.before, row.after)) for row in rows]
    return templating.render(request, "routing/audit.html", {"changes": changes})


def _changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """Fields whose values differ, shown as ``field: old → new``."""
    keys = sorted(set(before or {}) | set(after or {}))
    lines = []
    for key in keys:
        old, new = (before or {}).get(key), (after or {}).get(key)
        if old != new and key != "service_area":
            lines.append(
                f"{key}: {json.dumps(old, ensure_ascii=False)[:80]} → "
                f"{json.dumps(new, ensure_ascii=False)[:80]}"
            )
    return lines


# --- Categories -----------------------------------------------------------------------------


def _category_context(category: Category | None, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": category,
        "values": values,
        "groups": GROUPS,
        "priorities": list(Priority),
    }


@router.get("/categories")
def categories(request: Request, db: SessionDep, _: AdminUser) -> Response:
    """Every category, active or not."""
    rows = db.scalars(select(Category).order_by(Category.sort_order, Category.code)).all()
    return templating.render(request, "routing/categories.html", {"categories": rows})


def _load_category(db: SessionDep, code: str) -> Category | None:
    if code == "new":
        return None
    category = db.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound()
    return category


@router.get("/categories/{code}")
def category_form(request: Request, db: SessionDep, _: AdminUser, code: str) -> Response:
    """The form of one category (``new`` for a new one)."""
    category = _load_category(db, code)
    values = svc.category_data(category) if category else {"active": True, "geographic": True}
    context = _category_context(category, values)
    return templating.render(request, "routing/category_form.html", context)


@router.post("/categories/{code}", dependencies=[CsrfProtected])
def category_save(
    request: Request,
    db: WriteSessionDep,
    user: AdminUser,
    code: str,
    form: Annotated[CategoryForm, Form()],
) -> Response:
    """Save a category; a form error shows the form again."""
    category = _load_category(db, code)
    values = {**form.values(), "sla": category.sla if category else None}
    try:
        svc.save_category(db, actor(user), validated(CategoryIn, values), category)
    except InvalidInput as error:
        db.rollback()
        context = _category_context(category, values)
        return form_error(request, "routing/category_form.html", context, error)
    return RedirectResponse("/admin/routing/categories", status_code=303)


# --- Agencies -------------------------------------------------------------------------------


@router.get("/agencies")
def agencies(
    request: Request,
    db: SessionDep,
    _: AdminUser,
    q: str = "",
    kind: AgencyKind | None = None,
) -> Response:
    """Agencies, filtered by a search text and kind."""
    query = select(Agency).options(*svc.AGENCY_REFS).order_by(Agency.kind, Agency.code)
    if q.strip():
        pattern = f"%{q.strip()}%"
        query = query.where(or_(Agency.code.ilike(pattern), Agency.name.ilike(pattern)))
    if kind is not None:
        query = query.where(Agency.kind == kind)
    context = {"agencies": db.scalars(query).all(), "q": q, "kind": kind, "kinds": KIND_NAMES}
    return templating.render(request, "routing/agencies.html", context)


def _load_agency(db: SessionDep, code: str) -> Agency | None:
    if code == "new":
        return None
    agency = db.scalar(select(Agency).options(*svc.AGENCY_REFS).where(Agency.code == code))
    if agency is None:
        raise NotFound()
    return agency


def _agency_context(db: SessionDep, agency: Agency | None, values: dict[str, Any]) -> Any:
    has_area = bool(
        agency and db.scalar(select(Agency.service_area.is_not(None)).where(Agency.id == agency.id))
    )
    return {"agency": agency, "values": values, "kinds": KIND_NAMES, "has_area": has_area}


@router.get("/agencies/{code}")
def agency_form(request: Request, db: SessionDep, _: AdminUser, code: str) -> Response:
    """The form of one agency (``new`` for a new one)."""
    agency = _load_agency(db, code)
    values = svc.agency_data(db, agency) if agency else {"active": True, "contacts": {}}
    context = _agency_context(db, agency, values)
    return templating.render(request, "routing/agency_form.html", context)


def _read_area(upload: UploadFile | None) -> dict[str, Any] | None:
    """An uploaded GeoJSON file as a dict, or None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    raw = upload.file.read(MAX_AREA_BYTES + 1)
    if len(raw) > MAX_AREA_BYTES:
        raise InvalidInput(N_("The service area file is too large."), field="service_area")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            N_("The service area is not valid GeoJSON."), field="service_area"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInput(N_("The service area is not valid GeoJSON."), field="service_area")
    return data


@router.post("/agencies/{code}", dependencies=[CsrfProtected])
def agency_save(
    request: Request,
    db: WriteSessionDep,
    user: AdminUser,
    code: str,
    form: Annotated[AgencyForm, Form()],
    service_area: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Save an agency (and its uploaded service area); a form error shows the form again."""
    agency = _load_agency(db, code)
    values = form.values()
    try:
        area = _read_area(service_area)
        change: Any = None if checkbox(form.clear_area) else area if area is not None else svc.KEEP
        svc.save_agency(db, actor(user), validated(AgencyIn, values), agency, change)
    except InvalidInput as error:
        db.rollback()
        context = _agency_context(db, agency, values)
        return form_error(request, "routing/agency_form.html", context, error)
    return RedirectResponse("/admin/routing/agencies", status_code=303)
