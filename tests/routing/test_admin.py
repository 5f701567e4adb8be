"""Admin pages for routing data: roles, CSRF, form errors, audit rows, service-area upload."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ioc.auth.models import Role
from routing import service
from routing.models import Agency, Category, DayOff, RoutingAudit, RoutingRule
from tests.conftest import sign_in
from tests.routing.conftest import TAM_THANG

PAGES = [
    "/admin/routing",
    "/admin/routing/categories",
    "/admin/routing/categories/giao-thong",
    "/admin/routing/categories/new",
    "/admin/routing/agencies",
    "/admin/routing/agencies?q=vũng&kind=lighting",
    "/admin/routing/agencies/dl-vungtau",
    "/admin/routing/agencies/new",
    "/admin/routing/rules",
    "/admin/routing/rules/12",
    "/admin/routing/rules/new",
    "/admin/routing/days",
    "/admin/routing/audit",
    "/admin/routing/map",
]


def _token(client: TestClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def _audits(dbs: Session, entity: str, key: str) -> list[RoutingAudit]:
    query = select(RoutingAudit).where(
        RoutingAudit.entity == entity, RoutingAudit.entity_key == key
    )
    return list(dbs.scalars(query.order_by(RoutingAudit.id)))


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_for_admins_only(client: TestClient, make_user, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 401
    make_user("op-routing", Role.ioc_operator)
    sign_in(client, "op-routing")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_pages_open_for_an_admin(admin_client: TestClient, path: str) -> None:
    page = admin_client.get(path)
    assert page.status_code == 200, page.text
    assert 'name="csrf_token"' in page.text  # at least the sign-out form


def test_editing_a_category_needs_csrf_and_is_audited(
    admin_client: TestClient, dbs: Session
) -> None:
    form = {
        "code": "giao-thong",
        "name_vi": "Giao thông đường bộ",
        "name_en": "Roads",
        "group": "infrastructure",
        "icon": "🚦",
        "default_priority": "normal",
        "sort_order": "10",
        "geographic": "on",
        "active": "on",
    }
    refused = admin_client.post(
        "/admin/routing/categories/giao-thong", data=form, follow_redirects=False
    )
    assert refused.status_code == 403
    assert dbs.scalar(select(Category.name_vi).where(Category.code == "giao-thong")) == "Giao thông"
    token = _token(admin_client, "/admin/routing/categories/giao-thong")
    saved = admin_client.post(
        "/admin/routing/categories/giao-thong",
        data={**form, "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    dbs.expire_all()
    assert dbs.scalar(select(Category.name_vi).where(Category.code == "giao-thong")) == (
        "Giao thông đường bộ"
    )
    (audit,) = _audits(dbs, "category", "giao-thong")
    assert audit.actor == "routing-admin" and audit.user_id is not None
    assert audit.before is not None and audit.before["name_vi"] == "Giao thông"
    assert audit.after is not None and audit.after["name_vi"] == "Giao thông đường bộ"
    assert audit.action.value == "update"
    assert "Giao thông đường bộ" in admin_client.get("/admin/routing/audit").text


def test_a_bad_category_form_shows_the_error_and_changes_nothing(
    admin_client: TestClient, dbs: Session
) -> None:
    token = _token(admin_client, "/admin/routing/categories/new")
    response = admin_client.post(
        "/admin/routing/categories/new",
        data={
            "csrf_token": token,
            "code": "Có Dấu",
            "name_vi": "x",
            "name_en": "x",
            "group": "other",
            "icon": "x",
        },
    )
    assert response.status_code == 422
    assert 'data-field="code"' in response.text
    assert dbs.scalar(select(func.count()).select_from(Category)) == 13
    assert _audits(dbs, "category", "Có Dấu") == []


def _agency_form(**changes: str) -> dict[str, str]:
    form = {
        "code": "dl-vungtau",
        "name": "Điện lực Vũng Tàu",
        "kind": "power",
        "jurisdiction": "",
        "parent": "pc-brvt",
        "email": "dl-vungtau@demo.invalid",
        "phone": "0254 3852 000",
        "webhook": "",
        "active": "on",
    }
    form.update(changes)
    return form


def test_deactivating_an_agency_reroutes_to_its_parent(
    admin_client: TestClient, dbs: Session
) -> None:
    token = _token(admin_client, "/admin/routing/agencies/dl-vungtau")
    form = _agency_form(csrf_token=token)
    del form["active"]
    response = admin_client.post(
        "/admin/routing/agencies/dl-vungtau", data=form, follow_redirects=False
    )
    assert response.status_code == 303
    dbs.expire_all()
    result = service.assign(dbs, category="dien-luc", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert result.agency is not None and result.agency.code == "pc-brvt"
    (audit,) = _audits(dbs, "agency", "dl-vungtau")
    assert audit.before and audit.after
    assert audit.before["active"] is True and audit.after["active"] is False
    assert audit.after["contacts"]["phone"] == "0254 3852 000"


def test_a_parent_cycle_is_a_form_error(admin_client: TestClient, dbs: Session) -> None:
    token = _token(admin_client, "/admin/routing/agencies/pc-brvt")
    form = _agency_form(
        code="pc-brvt",
        name="Công ty Điện lực Bà Rịa – Vũng Tàu",
        parent="dl-vungtau",
        csrf_token=token,
    )
    response = admin_client.post("/admin/routing/agencies/pc-brvt", data=form)
    assert response.status_code == 422 and 'data-field="parent"' in response.text
    unknown = admin_client.post(
        "/admin/routing/agencies/pc-brvt", data={**form, "parent": "nobody"}
    )
    assert unknown.status_code == 422 and 'data-field="parent"' in unknown.text
    dbs.expire_all()
    assert dbs.scalar(select(Agency.parent_id).where(Agency.code == "pc-brvt")) is None
    assert _audits(dbs, "agency", "pc-brvt") == []


def _square(lon: float, lat: float, size: float) -> dict[str, object]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_uploading_a_service_area(admin_client: TestClient, dbs: Session) -> None:
    token = _token(admin_client, "/admin/routing/agencies/new")
    area = json.dumps(_square(107.08, 10.36, 0.03)).encode()
    response = admin_client.post(
        "/admin/routing/agencies/new",
        data=_agency_form(code="dl-test", name="Điện lực thử", parent="", csrf_token=token),
        files={"service_area": ("area.geojson", area, "application/geo+json")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    result = service.assign(dbs, category="dien-luc", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert result.agency is not None and result.agency.code == "dl-test"  # the smallest area
    (audit,) = _audits(dbs, "agency", "dl-test")
    assert audit.before is None and audit.after is not None
    assert audit.after["service_area"]["type"] == "MultiPolygon"


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"type": "Point", "coordinates": [107, 10]}',
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[107, 10], [108, 11], [108, 10], [107, 11], [107, 10]]],
            }
        ).encode(),  # a bow tie: self-intersecting
        json.dumps(_square(200, 10, 1)).encode(),
    ],
)
def test_a_bad_service_area_is_a_form_error(
    admin_client: TestClient, dbs: Session, content: bytes
) -> None:
    token = _token(admin_client, "/admin/routing/agencies/dl-vungtau")
    response = admin_client.post(
        "/admin/routing/agencies/dl-vungtau",
        data=_agency_form(csrf_token=token, name="Đổi tên"),
        files={"service_area": ("area.geojson", content, "application/json")},
    )
    assert response.status_code == 422 and 'data-field="service_area"' in response.text
    dbs.expire_all()
    assert dbs.scalar(select(Agency.name).where(Agency.code == "dl-vungtau")) == "Điện lực Vũng Tàu"


def test_rules_can_be_added_reordered_and_deleted(admin_client: TestClient, dbs: Session) -> None:
    token = _token(admin_client, "/admin/routing/rules/new")
    form = {
        "csrf_token": token,
        "position": "100",
        "category": "trat-tu-do-thi",
        "target": "agency",
        "agency": "sxd-79",
        "jurisdictions": "26526",
        "active": "on",
        "note": "thử",
    }
    bad = admin_client.post("/admin/routing/rules/new", data={**form, "agency": "nobody"})
    assert bad.status_code == 422 and 'data-field="agency"' in bad.text
    taken = admin_client.post("/admin/routing/rules/new", data={**form, "position": "3"})
    assert taken.status_code == 422 and 'data-field="position"' in taken.text
    created = admin_client.post("/admin/routing/rules/new", data=form, follow_redirects=False)
    assert created.status_code == 303
    # Number 100 comes after rule 3: rule 3 still wins. Renumber it to 2 and it wins in Tam Thắng.
    lat, lon = TAM_THANG
    assert service.assign(dbs, category="trat-tu-do-thi", lat=lat, lon=lon).rule == 3
    moved = admin_client.post(
        "/admin/routing/rules/100", data={**form, "position": "2"}, follow_redirects=False
    )
    assert moved.status_code == 422  # 2 is taken by giao-thong's rule
    renumbered = admin_client.post(
        "/admin/routing/rules/100", data={**form, "position": "1000"}, follow_redirects=False
    )
    assert renumbered.status_code == 303
    result = service.assign(dbs, category="trat-tu-do-thi", lat=lat, lon=lon)
    assert result.rule == 3
    dbs.execute(
        RoutingRule.__table__.update()  # type: ignore[attr-defined]
        .where(RoutingRule.position == 3)
        .values(position=2000)
    )
    dbs.flush()
    now = service.assign(dbs, category="trat-tu-do-thi", lat=lat, lon=lon)
    assert now.rule == 1000 and now.agency is not None and now.agency.code == "sxd-79"
    elsewhere = service.assign(dbs, category="trat-tu-do-thi", lat=10.3461, lon=107.0843)
    assert elsewhere.rule == 2000  # the new rule is limited to Tam Thắng
    deleted = admin_client.post(
        "/admin/routing/rules/1000/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    actions = [a.action.value for a in _audits(dbs, "rule", "100")]
    assert actions == ["create"]
    assert [a.action.value for a in _audits(dbs, "rule", "1000")] == ["update", "delete"]


def test_days_off_are_added_audited_and_removed(admin_client: TestClient, dbs: Session) -> None:
    token = _token(admin_client, "/admin/routing/days")
    bad = admin_client.post("/admin/routing/days", data={"csrf_token": token, "day": "hôm qua"})
    assert bad.status_code == 422 and 'data-field="day"' in bad.text
    added = admin_client.post(
        "/admin/routing/days",
        data={"csrf_token": token, "day": "2026-12-09", "note": "Nghỉ bù"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert dbs.scalar(select(func.count()).select_from(DayOff)) == 1
    assert "2026-12-09" in admin_client.get("/admin/routing/days").text
    admin_client.post("/admin/routing/days/2026-12-09/delete", data={"csrf_token": token})
    assert dbs.scalar(select(func.count()).select_from(DayOff)) == 0
    assert [a.action.value for a in _audits(dbs, "day_off", "2026-12-09")] == ["create", "delete"]


def test_explain_map_page_and_yaml_download(admin_client: TestClient) -> None:
    page = admin_client.get("/admin/routing/map?province=79")
    assert re.search(r'src="/static/vendor/leaflet/leaflet.js(\?v=\w+)?"></script>', page.text)
    assert 'id="explain-category"' in page.text and "/api/v1/routing/explain" in page.text
    assert 'value="chieu-sang"' in page.text and 'value="khac"' not in page.text
    export = admin_client.get("/admin/routing/export.yaml")
    assert export.status_code == 200 and "chieusang-vungtau" in export.text


def test_names_on_the_explain_map_are_escaped(admin_client: TestClient, dbs: Session) -> None:
    # folium's tooltips set innerHTML: an agency's name must reach them as text (issue 8, item 6).
    payload = '<img src=x onerror="window.__xss=1">'
    dbs.execute(update(Agency).where(Agency.code == "dl-vungtau").values(name=payload))
    dbs.flush()
    page = admin_client.get("/admin/routing/map?province=79").text
    embedded = page.replace("\\u0026", "&").replace("\\u003c", "<").replace("\\u003e", ">")
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in embedded
    assert "<img src=x onerror" not in embedded


def test_the_explain_map_opens_with_no_service_area_at_all(
    admin_client: TestClient, dbs: Session
) -> None:
    # folium refuses a tooltip field that an empty layer does not have: that was a 500.
    dbs.execute(update(Agency).values(service_area=None))
    dbs.flush()
    page = admin_client.get("/admin/routing/map?province=79")
    assert page.status_code == 200 and 'id="explain-category"' in page.text


@pytest.mark.parametrize("position", ["²", "99999999999999999999"])
def test_a_rule_position_that_is_no_number_is_a_404(
    admin_client: TestClient, position: str
) -> None:
    # Found by schemathesis: "²".isdigit() is true, but int("²") fails (a 500).
    assert admin_client.get(f"/admin/routing/rules/{position}").status_code == 404
