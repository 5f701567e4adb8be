"""Admin pages for routing rules (order, target, limits) and the calendar's days off."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from ioc.errors import InvalidInput, NotFound
from ioc.web import CsrfProtected, SessionDep, WriteSessionDep, templating
from routing.admin import service as svc
from routing.admin.forms import AdminUser, DayOffForm, RuleForm, actor, form_error, validated
from routing.models import Category, DayOff, JurisdictionLevel, RoutingRule, RuleTarget
from routing.schemas import KIND_NAMES, DayOffIn, RuleIn

router = APIRouter(prefix="/admin/routing")
POSITION = re.compile(r"[0-9]{1,9}")


@router.get("/rules")
def rules(request: Request, db: SessionDep, _: AdminUser) -> Response:
    """Every rule in the order they are tried (by category, then by number)."""
    query = select(RoutingRule).options(*svc.RULE_REFS).order_by(RoutingRule.position)
    rows = db.scalars(query).all()
    return templating.render(request, "routing/rules.html", {"rules": rows, "kinds": KIND_NAMES})


def _load_rule(db: SessionDep, position: str) -> RoutingRule | None:
    if position == "new":
        return None
    rule = (
        db.scalar(
            select(RoutingRule).options(*svc.RULE_REFS).where(RoutingRule.position == int(position))
        )
        if POSITION.fullmatch(position)  # ASCII digits only ("²".isdigit()), in int range
        else None
    )
    if rule is None:
        raise NotFound()
    return rule


def _rule_context(db: SessionDep, rule: RoutingRule | None, values: dict[str, Any]) -> Any:
    categories = db.scalars(select(Category).order_by(Category.sort_order)).all()
    return {
        "rule": rule,
        "values": values,
        "categories": categories,
        "kinds": KIND_NAMES,
        "targets": list(RuleTarget),
        "levels": list(JurisdictionLevel),
    }


@router.get("/rules/{position}")
def rule_form(request: Request, db: SessionDep, _: AdminUser, position: str) -> Response:
    """The form of one rule (``new`` for a new one)."""
    rule = _load_rule(db, position)
    values = svc.rule_data(rule) if rule else {"active": True, "jurisdictions": []}
    return templating.render(request, "routing/rule_form.html", _rule_context(db, rule, values))


@router.post("/rules/{position}", dependencies=[CsrfProtected])
def rule_save(
    request: Request,
    db: WriteSessionDep,
    user: AdminUser,
    position: str,
    form: Annotated[RuleForm, Form()],
) -> Response:
    """Save a rule; a form error shows the form again."""
    rule = _load_rule(db, position)
    values = form.values()
    try:
        svc.save_rule(db, actor(user), validated(RuleIn, values), rule)
    except InvalidInput as error:
        db.rollback()
        context = _rule_context(db, rule, values)
        return form_error(request, "routing/rule_form.html", context, error)
    return RedirectResponse("/admin/routing/rules", status_code=303)


@router.post("/rules/{position}/delete", dependencies=[CsrfProtected])
def rule_delete(db: WriteSessionDep, user: AdminUser, position: str) -> Response:
    """Remove a rule."""
    rule = _load_rule(db, position)
    if rule is not None:
        svc.delete_rule(db, actor(user), rule)
    return RedirectResponse("/admin/routing/rules", status_code=303)


# --- Days off -------------------------------------------------------------------------------


@router.get("/days")
def days(request: Request, db: SessionDep, _: AdminUser) -> Response:
    """Days off and make-up working days added by administrators."""
    rows = db.scalars(select(DayOff).order_by(DayOff.day.desc())).all()
    return templating.render(request, "routing/days.html", {"days": rows, "values": {}})


@router.post("/days", dependencies=[CsrfProtected])
def day_save(
    request: Request,
    db: WriteSessionDep,
    user: AdminUser,
    form: Annotated[DayOffForm, Form()],
) -> Response:
    """Add (or change) a day off."""
    values = form.values()
    try:
        svc.save_day(db, actor(user), validated(DayOffIn, values))
    except InvalidInput as error:
        db.rollback()
        rows = db.scalars(select(DayOff).order_by(DayOff.day.desc())).all()
        return form_error(request, "routing/days.html", {"days": rows, "values": values}, error)
    return RedirectResponse("/admin/routing/days", status_code=303)


@router.post("/days/{day}/delete", dependencies=[CsrfProtected])
def day_delete(db: WriteSessionDep, user: AdminUser, day: date) -> Response:
    """Remove a day off."""
    svc.delete_day(db, actor(user), day)
    return RedirectResponse("/admin/routing/days", status_code=303)
