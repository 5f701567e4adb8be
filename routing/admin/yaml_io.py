"""Routing data as YAML: export everything; import after checking everything first.

An import adds or updates the categories, agencies, rules and days off it lists (matched by code,
by rule number, by date) and leaves others alone. It is checked whole before anything is written:
an unknown agency or category, a cycle of parents or a bad geometry is reported with the entry
and field it concerns, and nothing changes. Unchanged entries write nothing, so an export
imported again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ioc.errors import InvalidInput
from ioc.i18n import N_
from routing.admin import service as svc
from routing.models import CURRENT_VINTAGE, Agency, Category, DayOff, Jurisdiction, RoutingRule
from routing.schemas import AgencyDoc, RoutingDoc, RuleIn

# The C loader (libyaml) when present: a file with service areas runs to megabytes. The Python
# dumper, because libyaml's escapes emoji (the category icons) instead of writing them.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: Any = yaml.SafeDumper


class RoutingImportError(InvalidInput):
    """A routing file that cannot be imported; ``errors`` name each entry and field."""

    code = "invalid-routing-file"

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(N_("The routing file has errors: %(errors)s"), errors="; ".join(errors))


@dataclass(frozen=True)
class ImportResult:
    """How many records an import created, changed or left as they were."""

    changed: int
    unchanged: int


def export_doc(db: Session) -> dict[str, Any]:
    """All routing data as plain data, in a stable order."""
    area = func.ST_AsGeoJSON(Agency.service_area, svc.GEOJSON_DECIMALS)
    rows = db.execute(select(Agency, area).options(*svc.AGENCY_REFS).order_by(Agency.code)).all()
    areas = {agency.id: json.loads(text) if text else None for agency, text in rows}
    rules = select(RoutingRule).options(*svc.RULE_REFS).order_by(RoutingRule.position)
    return {
        "version": 1,
        "categories": [
            svc.category_data(c)
            for c in db.scalars(select(Category).order_by(Category.sort_order, Category.code))
        ],
        "agencies": [
            _agency_entry(a, areas[a.id]) for a in _parents_first([agency for agency, _ in rows])
        ],
        "rules": [svc.rule_data(r) for r in db.scalars(rules)],
        "days_off": [svc.day_data(d) for d in db.scalars(select(DayOff).order_by(DayOff.day))],
    }


def _agency_entry(agency: Agency, area: dict[str, Any] | None) -> dict[str, Any]:
    data = svc.agency_snapshot(agency, area, with_area=True)
    data.pop("service_area_digest")
    return data


def _parents_first(agencies: list[Agency]) -> list[Agency]:
    """Agencies ordered so that each parent comes before its children (then by code)."""
    by_id = {agency.id: agency for agency in agencies}
    depth: dict[int, int] = {}

    def level(agency: Agency) -> int:
        if agency.id not in depth:
            depth[agency.id] = 0  # guards a (forbidden) cycle
            parent = by_id.get(agency.parent_id) if agency.parent_id else None
            depth[agency.id] = level(parent) + 1 if parent else 0
        return depth[agency.id]

    return sorted(agencies, key=lambda a: (level(a), a.code))


def dump(db: Session) -> str:
    """The export as YAML text (UTF-8, Vietnamese kept readable)."""
    return yaml.dump(export_doc(db), Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=100)


def parse(text: str) -> RoutingDoc:
    """Read and validate a routing file's shape; RoutingImportError names each bad field."""
    try:
        raw = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (C or Python)
    except yaml.YAMLError as exc:
        raise RoutingImportError([f"YAML: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise RoutingImportError(["the file must be a mapping with categories, agencies, rules"])
    try:
        return RoutingDoc.model_validate(raw)
    except ValidationError as exc:
        raise RoutingImportError([_where(e) for e in exc.errors()]) from exc


def _where(error: Any) -> str:
    """``agencies[3].kind: Input should be ...`` from a pydantic error."""
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return f"{path}: {error['msg']}"


def _duplicates(doc: RoutingDoc) -> list[str]:
    errors = []
    for section, keys in (
        ("categories", [c.code for c in doc.categories]),
        ("agencies", [a.code for a in doc.agencies]),
        ("rules", [str(r.position) for r in doc.rules]),
        ("days_off", [d.day.isoformat() for d in doc.days_off]),
    ):
        seen: set[str] = set()
        for index, key in enumerate(keys):
            if key in seen:
                errors.append(f"{section}[{index}]: {key} is listed twice")
            seen.add(key)
    return errors


def _references(db: Session, doc: RoutingDoc) -> list[str]:
    """Unknown agencies, categories and ward codes, and cycles of parents."""
    parent = aliased(Agency)
    rows = db.execute(select(Agency.code, parent.code).outerjoin(parent, Agency.parent)).all()
    parents: dict[str, str | None] = dict(rows)
    parents.update({a.code: a.parent for a in doc.agencies})
    categories = set(db.scalars(select(Category.code))) | {c.code for c in doc.categories}
    places = set(
        db.scalars(select(Jurisdiction.code).where(Jurisdiction.vintage == CURRENT_VINTAGE))
    )
    errors = []
    for i, agency in enumerate(doc.agencies):
        errors += _agency_refs(i, agency, parents, places)
    for i, rule in enumerate(doc.rules):
        errors += _rule_refs(i, rule, parents, categories, places)
    return errors


def _agency_refs(
    index: int, agency: AgencyDoc, parents: dict[str, str | None], places: set[str]
) -> list[str]:
    where = f"agencies[{index}] ({agency.code})"
    errors = []
    if agency.parent is not None and agency.parent not in parents:
        errors.append(f"{where}.parent: unknown agency {agency.parent!r}")
    if agency.jurisdiction is not None and agency.jurisdiction not in places:
        errors.append(f"{where}.jurisdiction: unknown ward or province {agency.jurisdiction!r}")
    chain, node = [agency.code], parents.get(agency.code)
    while node is not None and node in parents:
        chain.append(node)
        if node == agency.code or len(chain) > len(parents) + 1:
            errors.append(f"{where}.parent: a cycle of parents: {' → '.join(chain)}")
            break
        node = parents[node]
    return errors


def _rule_refs(
    index: int,
    rule: RuleIn,
    agencies: dict[str, str | None],
    categories: set[str],
    places: set[str],
) -> list[str]:
    where = f"rules[{index}] (rule {rule.position})"
    errors = []
    if rule.category not in categories:
        errors.append(f"{where}.category: unknown category {rule.category!r}")
    if rule.agency is not None and rule.agency not in agencies:
        errors.append(f"{where}.agency: unknown agency {rule.agency!r}")
    errors += [
        f"{where}.jurisdictions: unknown ward or province {code!r}"
        for code in rule.jurisdictions
        if code not in places
    ]
    return errors


def _geometries(db: Session, doc: RoutingDoc) -> list[str]:
    errors = []
    for index, agency in enumerate(doc.agencies):
        if agency.service_area is None:
            continue
        try:
            svc.parse_area(db, agency.service_area)
        except InvalidInput as exc:
            errors.append(f"agencies[{index}] ({agency.code}).service_area: {exc}")
    return errors


def check(db: Session, doc: RoutingDoc) -> None:
    """Everything that can be checked before writing; raises RoutingImportError."""
    errors = _duplicates(doc) + _references(db, doc) + _geometries(db, doc)
    if errors:
        raise RoutingImportError(errors)


def apply(db: Session, actor: svc.Actor, doc: RoutingDoc) -> ImportResult:
    """Write a checked file; the caller commits (or rolls back on any error)."""
    entries = len(doc.categories) + len(doc.agencies) + len(doc.rules) + len(doc.days_off)
    before = svc.audit_count(db)
    for category in doc.categories:
        existing = db.scalar(select(Category).where(Category.code == category.code))
        svc.save_category(db, actor, category, existing)
    for agency in _file_parents_first(doc.agencies):
        found = db.scalar(
            select(Agency).options(*svc.AGENCY_REFS).where(Agency.code == agency.code)
        )
        area = agency.service_area if "service_area" in agency.model_fields_set else svc.KEEP
        svc.save_agency(db, actor, agency, found, area)
    for rule in doc.rules:
        existing_rule = db.scalar(
            select(RoutingRule).options(*svc.RULE_REFS).where(RoutingRule.position == rule.position)
        )
        svc.save_rule(db, actor, rule, existing_rule)
    for day in doc.days_off:
        svc.save_day(db, actor, day)
    changed = svc.audit_count(db) - before
    return ImportResult(changed=changed, unchanged=entries - changed)


def _file_parents_first(agencies: list[AgencyDoc]) -> list[AgencyDoc]:
    """The file's agencies with parents listed in the file placed before their children."""
    by_code = {a.code: a for a in agencies}
    ordered: list[AgencyDoc] = []
    placed: set[str] = set()

    def place(agency: AgencyDoc) -> None:
        if agency.code in placed:
            return
        placed.add(agency.code)
        if agency.parent in by_code:
            place(by_code[agency.parent])
        ordered.append(agency)

    for agency in agencies:
        place(agency)
    return ordered


def import_text(db: Session, actor: svc.Actor, text: str) -> ImportResult:
    """Parse, check and apply a routing file; the caller commits."""
    doc = parse(text)
    check(db, doc)
    return apply(db, actor, doc)
