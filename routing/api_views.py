"""The public routing API: categories, agencies, where a report would go, the ward at a point."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from ioc import i18n
from ioc.errors import NotFound
from ioc.i18n import N_
from ioc.web import SessionDep, SettingsDep
from routing import service
from routing.models import Agency, AgencyKind, Category
from routing.schemas import GROUPS, AgencyOut, CategoryOut, DueOut, ExplainOut, Items, Ref

router = APIRouter(prefix="/api/v1", tags=["routing"])
Coordinate = Annotated[float | None, Query()]


@router.get("/categories")
def categories(db: SessionDep) -> Items[CategoryOut]:
    """Active categories in display order; names in the request's language."""
    locale = i18n.get_locale()
    rows = db.scalars(
        select(Category).where(Category.active).order_by(Category.sort_order, Category.code)
    )
    return Items[CategoryOut](
        items=[
            CategoryOut(
                code=c.code,
                name=c.name(locale),
                group=c.group,
                group_name=i18n.gettext(GROUPS.get(c.group, N_("Other"))),
                geographic=c.geographic,
                icon=c.icon,
                default_priority=c.default_priority,
            )
            for c in rows
        ]
    )


@router.get("/agencies")
def agencies(db: SessionDep, kind: AgencyKind | None = None) -> Items[AgencyOut]:
    """Active agencies (code, name, kind): no contact details."""
    query = select(Agency).where(Agency.active).order_by(Agency.code)
    if kind is not None:
        query = query.where(Agency.kind == kind)
    return Items[AgencyOut](
        items=[AgencyOut(code=a.code, name=a.name, kind=a.kind) for a in db.scalars(query)]
    )


@router.get("/routing/explain")
def explain(
    db: SessionDep,
    settings: SettingsDep,
    category: str,
    lat: Coordinate = None,
    lon: Coordinate = None,
    office: str | None = None,
) -> ExplainOut:
    """Where a report of ``category`` at ``lat``/``lon`` (or about ``office``) goes, and why."""
    near = settings.routing.nearest_ward_metres
    result = service.assign(
        db, category=category, lat=lat, lon=lon, office=office, near_metres=near
    )
    due = result.due
    return ExplainOut(
        agency=Ref(code=result.agency.code, name=result.agency.name) if result.agency else None,
        jurisdiction=(
            Ref(code=result.jurisdiction.code, name=result.jurisdiction.name)
            if result.jurisdiction
            else None
        ),
        rule=result.rule,
        reason=result.reason,
        outside_coverage=result.outside_coverage,
        priority=result.priority,
        due=DueOut(verify_by=due.verify_by, accept_by=due.accept_by, resolve_by=due.resolve_by)
        if due
        else None,
    )


@router.get("/wards/at")
def ward_at(db: SessionDep, settings: SettingsDep, lat: float, lon: float) -> Ref:
    """The ward at a point, or the nearest within the configured distance; 404 outside coverage."""
    ward = service.ward_at(db, lat, lon, settings.routing.nearest_ward_metres)
    if ward is None:
        raise NotFound(N_("This place is outside the area the system serves."))
    return Ref(code=ward.code, name=ward.name)
