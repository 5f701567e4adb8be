"""Changes to routing data (categories, agencies, rules, days off), each checked and audited.

Admin pages and the YAML import both come through here, so they share one set of checks and
every change leaves an audit row: who, when, which record, before and after.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, joinedload, selectinload

from ioc.errors import InvalidInput
from ioc.i18n import N_
from routing.models import (
    CURRENT_VINTAGE,
    Agency,
    AuditAction,
    Category,
    DayOff,
    Jurisdiction,
    RoutingAudit,
    RoutingRule,
    RuleTarget,
)
from routing.schemas import AgencyIn, CategoryIn, DayOffIn, RuleIn

GEOJSON_DECIMALS = 7  # about 1 cm: exports and comparisons use the same precision
KEEP = object()  # "leave the service area as it is"


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in user, or the command line."""

    name: str
    user_id: int | None = None


def record(
    db: Session,
    actor: Actor,
    entity: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> bool:
    """Write an audit row unless nothing changed; true if one was written."""
    if before == after:
        return False
    db.info["routing_audit_count"] = audit_count(db) + 1
    action = (
        AuditAction.create
        if before is None
        else AuditAction.delete
        if after is None
        else AuditAction.update
    )
    db.add(
        RoutingAudit(
            user_id=actor.user_id,
            actor=actor.name[:64],
            entity=entity,
            entity_key=key[:64],
            action=action,
            before=before,
            after=after,
        )
    )
    return True


def audit_count(db: Session) -> int:
    """How many audit rows this session has written (an import counts its changes with it)."""
    count: int = db.info.get("routing_audit_count", 0)
    return count


# --- Snapshots: the JSON form of a record, for the audit and the YAML export ------------------


def category_data(category: Category) -> dict[str, Any]:
    """A category as plain data."""
    return CategoryIn(
        code=category.code,
        name_vi=category.name_vi,
        name_en=category.name_en,
        group=category.group,
        icon=category.icon,
        default_priority=category.default_priority,
        geographic=category.geographic,
        active=category.active,
        sort_order=category.sort_order,
        sla=category.sla,  # validated into CategoryOverride
    ).model_dump(mode="json")


def area_geojson(db: Session, agency_id: int) -> dict[str, Any] | None:
    """An agency's service area as a GeoJSON geometry."""
    text = db.scalar(
        select(func.ST_AsGeoJSON(Agency.service_area, GEOJSON_DECIMALS)).where(
            Agency.id == agency_id
        )
    )
    return json.loads(text) if text else None


def _digest(area: dict[str, Any] | None) -> str | None:
    if area is None:
        return None
    return hashlib.sha256(json.dumps(area, sort_keys=True).encode()).hexdigest()[:16]


# What the snapshots below read, loaded with the rows that need them: relationships raise when
# not loaded, so that a forgotten one fails in tests instead of costing a query per row. The one
# row a reference needs is joined; the rules' places come in one more statement.
AGENCY_REFS = (
    joinedload(Agency.parent).load_only(Agency.code),
    joinedload(Agency.jurisdiction).load_only(Jurisdiction.code),
)
RULE_REFS = (
    joinedload(RoutingRule.category),
    joinedload(RoutingRule.agency).load_only(Agency.code, Agency.name),
    selectinload(RoutingRule.jurisdictions).load_only(Jurisdiction.code, Jurisdiction.full_name),
)


def agency_data(db: Session, agency: Agency, *, with_area: bool = False) -> dict[str, Any]:
    """An agency as plain data; the service area as a digest (or in full with ``with_area``)."""
    area = area_geojson(db, agency.id) if agency.id else None
    return agency_snapshot(agency, area, with_area=with_area)


def agency_snapshot(
    agency: Agency, area: dict[str, Any] | None, *, with_area: bool = False
) -> dict[str, Any]:
    """An agency with its service area already read (GeoJSON) as plain data."""
    data = AgencyIn(
        code=agency.code,
        name=agency.name,
        kind=agency.kind,
        jurisdiction=agency.jurisdiction.code if agency.jurisdiction else None,
        parent=agency.parent.code if agency.parent else None,
        active=agency.active,
        contacts=agency.contacts or {},  # validated into Contacts
    ).model_dump(mode="json")
    data["service_area_digest"] = _digest(area)
    if with_area:
        data["service_area"] = area
    return data


def rule_data(rule: RoutingRule) -> dict[str, Any]:
    """A rule as plain data."""
    return RuleIn(
        position=rule.position,
        category=rule.category.code,
        target=rule.target,
        agency_kind=rule.agency_kind,
        level=rule.level,
        agency=rule.agency.code if rule.agency else None,
        within_service_area=rule.within_service_area,
        jurisdictions=sorted(j.code for j in rule.jurisdictions),
        active=rule.active,
        note=rule.note,
    ).model_dump(mode="json")


def day_data(day: DayOff) -> dict[str, Any]:
    """A day off as plain data."""
    return DayOffIn(day=day.day, working=day.working, note=day.note).model_dump(mode="json")


# --- Categories -----------------------------------------------------------------------------


def save_category(
    db: Session, actor: Actor, data: CategoryIn, existing: Category | None = None
) -> Category:
    """Create or update a category."""
    other = db.scalar(select(Category).where(Category.code == data.code))
    if other is not None and other is not existing:
        raise InvalidInput(N_("This code is already used."), field="code")
    before = category_data(existing) if existing else None
    category = existing or Category()
    values = data.model_dump(mode="json")
    for name in ("code", "name_vi", "name_en", "group", "icon", "geographic", "active"):
        setattr(category, name, values[name])
    category.default_priority = data.default_priority
    category.sort_order = data.sort_order
    category.sla = values["sla"]
    db.add(category)
    db.flush()
    record(db, actor, "category", category.code, before, category_data(category))
    return category


# --- Agencies -------------------------------------------------------------------------------


def _jurisdiction(db: Session, code: str | None, field: str) -> Jurisdiction | None:
    if code is None:
        return None
    found = db.scalar(
        select(Jurisdiction).where(
            Jurisdiction.code == code, Jurisdiction.vintage == CURRENT_VINTAGE
        )
    )
    if found is None:
        raise InvalidInput(N_("Unknown ward or province code: %(code)s."), field=field, code=code)
    return found


def _agency(db: Session, code: str | None, field: str) -> Agency | None:
    if code is None:
        return None
    found = db.scalar(select(Agency).where(Agency.code == code))
    if found is None:
        raise InvalidInput(N_("Unknown agency: %(code)s."), field=field, code=code)
    return found


def _check_no_cycle(db: Session, agency: Agency | None, parent: Agency | None) -> None:
    """An agency may not be its own ancestor (the chain is walked on ids read in one query)."""
    if parent is None:
        return
    parents = dict(db.execute(select(Agency.id, Agency.parent_id)).all())
    seen: set[int] = set()
    node: int | None = parent.id
    while node is not None:
        if (agency is not None and node == agency.id) or node in seen:
            raise InvalidInput(
                N_("This parent would make the agency its own ancestor."), field="parent"
            )
        seen.add(node)
        node = parents.get(node)


def parse_area(db: Session, area: dict[str, Any]) -> Any:
    """A GeoJSON (Multi)Polygon, Feature or FeatureCollection as a valid MultiPolygon 4326."""
    if area.get("type") == "Feature":
        area = area.get("geometry") or {}
    if area.get("type") == "FeatureCollection":
        geometries = [f.get("geometry") for f in area.get("features", []) if f.get("geometry")]
        area = {"type": "GeometryCollection", "geometries": geometries}
    if area.get("type") not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        raise InvalidInput(N_("The service area must be GeoJSON polygons."), field="service_area")
    source = func.ST_SetSRID(func.ST_GeomFromGeoJSON(json.dumps(area)), 4326)
    geom = func.ST_Multi(func.ST_CollectionExtract(source, 3))
    box = (func.ST_XMin(geom), func.ST_YMin(geom), func.ST_XMax(geom), func.ST_YMax(geom))
    try:
        with db.begin_nested():
            row = db.execute(select(func.ST_IsValid(geom), func.ST_IsEmpty(geom), *box)).one()
    except DBAPIError as exc:
        raise InvalidInput(
            N_("The service area is not valid GeoJSON."), field="service_area"
        ) from exc
    valid, empty, x_min, y_min, x_max, y_max = row
    in_range = x_min is not None and -180 <= x_min <= x_max <= 180 and -90 <= y_min <= y_max <= 90
    if not valid or empty or not in_range:
        raise InvalidInput(
            N_("The service area is not a valid polygon in longitude and latitude."),
            field="service_area",
        )
    return geom  # an SQL expression: the geometry is built again by the UPDATE, never in Python


def _same_area(db: Session, agency: Agency, geom: Any) -> bool:
    """Whether a parsed area equals the agency's at export precision."""
    text = db.scalar(select(func.ST_AsGeoJSON(geom, GEOJSON_DECIMALS)))
    return _digest(json.loads(text or "null")) == _digest(area_geojson(db, agency.id))


def save_agency(
    db: Session,
    actor: Actor,
    data: AgencyIn,
    existing: Agency | None = None,
    area: Any = KEEP,
) -> Agency:
    """Create or update an agency; ``area`` is GeoJSON, None to clear, or KEEP."""
    other = db.scalar(select(Agency).where(Agency.code == data.code))
    if other is not None and other is not existing:
        raise InvalidInput(N_("This code is already used."), field="code")
    parent = _agency(db, data.parent, "parent")
    _check_no_cycle(db, existing, parent)
    jurisdiction = _jurisdiction(db, data.jurisdiction, "jurisdiction")
    new_area = parse_area(db, area) if isinstance(area, dict) else area
    if existing is not None and isinstance(area, dict) and _same_area(db, existing, new_area):
        area = new_area = KEEP  # the same shape at export precision: leave the row alone
    area_changes = area is not KEEP
    before = agency_data(db, existing, with_area=area_changes) if existing else None
    agency = existing or Agency()
    agency.code, agency.name, agency.kind = data.code, data.name, data.kind
    agency.active = data.active
    kept = (existing.contacts or {}) if existing is not None else {}
    secret = data.contacts.webhook_secret or kept.get("webhook_secret")
    agency.contacts = data.contacts.model_dump(mode="json") | (
        {"webhook_secret": secret} if secret else {}
    )
    agency.parent, agency.jurisdiction = parent, jurisdiction
    if area_changes:
        agency.service_area = new_area
    db.add(agency)
    db.flush()
    after = agency_data(db, agency, with_area=area_changes)
    if before and before.get("service_area_digest") == after.get("service_area_digest"):
        before.pop("service_area", None)
        after.pop("service_area", None)
    record(db, actor, "agency", agency.code, before, after)
    return agency


# --- Rules ----------------------------------------------------------------------------------


def _check_target(data: RuleIn) -> None:
    """A rule names exactly what its target needs."""
    if data.target == RuleTarget.agency and not data.agency:
        raise InvalidInput(N_("Choose the agency this rule sends reports to."), field="agency")
    if data.target != RuleTarget.agency and data.agency_kind is None:
        raise InvalidInput(N_("Choose the kind of agency."), field="agency_kind")
    if data.target == RuleTarget.jurisdiction and data.level is None:
        raise InvalidInput(N_("Choose the level: ward or city."), field="level")


def save_rule(
    db: Session, actor: Actor, data: RuleIn, existing: RoutingRule | None = None
) -> RoutingRule:
    """Create or update a rule."""
    _check_target(data)
    category = db.scalar(select(Category).where(Category.code == data.category))
    if category is None:
        raise InvalidInput(N_("Unknown category: %(code)s."), field="category", code=data.category)
    other = db.scalar(select(RoutingRule).where(RoutingRule.position == data.position))
    if other is not None and other is not existing:
        raise InvalidInput(N_("Another rule has this number."), field="position")
    agency = _agency(db, data.agency, "agency") if data.target == RuleTarget.agency else None
    places = [_jurisdiction(db, code, "jurisdictions") for code in data.jurisdictions]
    before = rule_data(existing) if existing else None
    rule = existing or RoutingRule()
    rule.position, rule.category, rule.target = data.position, category, data.target
    is_named = data.target == RuleTarget.agency
    rule.agency_kind = None if is_named else data.agency_kind
    rule.level = data.level if data.target == RuleTarget.jurisdiction else None
    rule.agency = agency
    rule.within_service_area = data.within_service_area and is_named
    rule.jurisdictions = [p for p in places if p is not None]
    rule.active, rule.note = data.active, data.note
    db.add(rule)
    db.flush()
    record(db, actor, "rule", str(rule.position), before, rule_data(rule))
    return rule


def delete_rule(db: Session, actor: Actor, rule: RoutingRule) -> None:
    """Remove a rule."""
    before = rule_data(rule)
    db.delete(rule)
    db.flush()
    record(db, actor, "rule", str(before["position"]), before, None)


# --- Days off -------------------------------------------------------------------------------


def save_day(db: Session, actor: Actor, data: DayOffIn) -> DayOff:
    """Add or change a day off (or a make-up working day)."""
    existing = db.get(DayOff, data.day)
    before = day_data(existing) if existing else None
    day = existing or DayOff(day=data.day)
    day.working, day.note = data.working, data.note
    db.add(day)
    db.flush()
    record(db, actor, "day_off", data.day.isoformat(), before, day_data(day))
    return day


def delete_day(db: Session, actor: Actor, day: date) -> None:
    """Remove a day off."""
    existing = db.get(DayOff, day)
    if existing is None:
        return
    before = day_data(existing)
    db.delete(existing)
    db.flush()
    record(db, actor, "day_off", day.isoformat(), before, None)
