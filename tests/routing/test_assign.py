"""Assignment on the real database with the real ward polygons: every rule type and edge case."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from ioc.errors import InvalidInput
from ioc.i18n import set_locale
from routing import service
from routing.admin.service import Actor, save_day
from routing.models import Agency, Category, Jurisdiction, RoutingRule
from routing.schemas import DayOffIn
from routing.sla import VN_TZ, Priority
from tests.routing.conftest import (
    ELSEWHERE,
    PHU_XUAN,
    SEA,
    TAM_THANG,
    generated_points,
    point_in,
    set_active,
    ward_codes,
)

MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=VN_TZ)  # a week without public holidays


def test_points_inside_every_ward_go_to_that_wards_committee(dbs: Session) -> None:
    points = generated_points(dbs, per_ward=4)
    assert {code for code, _, _ in points} == set(ward_codes(dbs))
    assert len(points) >= 70 * 3  # a ward with thin parts may get fewer
    for code, lat, lon in points:
        result = service.assign(dbs, category="trat-tu-do-thi", lat=lat, lon=lon)
        assert result.jurisdiction is not None and result.jurisdiction.code == code, (lat, lon)
        assert result.agency is not None and result.agency.code == f"ubnd-{code}"
        assert result.rule == 3 and not result.outside_coverage
        assert result.jurisdiction.name in result.reason


def test_points_inside_every_ward_go_to_that_wards_police(dbs: Session) -> None:
    for code, lat, lon in generated_points(dbs, per_ward=1):
        result = service.assign(dbs, category="an-ninh-trat-tu", lat=lat, lon=lon)
        assert result.agency is not None and result.agency.code == f"ca-{code}"


@pytest.mark.parametrize(("lat", "lon"), SEA + ELSEWHERE)
def test_sea_and_other_provinces_are_outside_coverage(dbs: Session, lat: float, lon: float) -> None:
    for category in ("trat-tu-do-thi", "dien-luc", "chieu-sang"):
        result = service.assign(dbs, category=category, lat=lat, lon=lon)
        assert result.outside_coverage is True
        assert result.agency is None and result.jurisdiction is None and result.rule is None
        assert "IOC" in result.reason
    assert service.ward_at(dbs, lat, lon) is None


def _shared_edge_points(dbs: Session, limit: int = 5) -> list[tuple[str, str, float, float]]:
    """Points that lie in two neighbouring wards at once (on a shared edge or in an overlap)."""
    rows = dbs.execute(
        text(
            "SELECT DISTINCT ON (a.code, b.code) a.code, b.code, ST_Y(d.geom), ST_X(d.geom) "
            "FROM jurisdictions a JOIN jurisdictions b ON a.code < b.code "
            "AND a.level = 'ward' AND b.level = 'ward' AND ST_Intersects(a.geom, b.geom), "
            "LATERAL ST_DumpPoints(ST_Intersection(a.geom, b.geom)) AS d "
            "WHERE ST_Intersects(d.geom, a.geom) AND ST_Intersects(d.geom, b.geom) "
            "ORDER BY a.code, b.code LIMIT :n"
        ),
        {"n": limit},
    )
    return [(r[0], r[1], float(r[2]), float(r[3])) for r in rows]


def test_a_point_on_a_shared_edge_has_one_answer_always_the_same(dbs: Session) -> None:
    points = _shared_edge_points(dbs)
    assert points, "the seeded wards share edges"
    for low, high, lat, lon in points:
        answers = {service.ward_at(dbs, lat, lon) for _ in range(10)}
        assert len(answers) == 1
        (ward,) = answers
        assert ward is not None and ward.code == low  # the smaller code wins
        result = service.assign(dbs, category="trat-tu-do-thi", lat=lat, lon=lon)
        assert result.agency is not None and result.agency.code == f"ubnd-{low}"
        # Rewrite both rows in the other order (new physical positions): same answer.
        for code in (low, high)[::-1]:
            dbs.execute(
                update(Jurisdiction).where(Jurisdiction.code == code).values(name=Jurisdiction.name)
            )
        dbs.flush()
        assert service.ward_at(dbs, lat, lon) == ward


def test_a_point_in_an_overlap_of_two_wards_is_deterministic(dbs: Session) -> None:
    overlap = dbs.execute(
        text(
            "SELECT a.code, b.code, ST_Y(ST_PointOnSurface(ST_Intersection(a.geom, b.geom))), "
            "ST_X(ST_PointOnSurface(ST_Intersection(a.geom, b.geom))) "
            "FROM jurisdictions a JOIN jurisdictions b ON a.code < b.code "
            "AND a.level = 'ward' AND b.level = 'ward' AND ST_Overlaps(a.geom, b.geom) "
            "WHERE ST_Area(ST_Intersection(a.geom, b.geom)) > 0 ORDER BY 1, 2 LIMIT 1"
        )
    ).first()
    if overlap is None:  # the source has none here: make one by growing a ward a little
        dbs.execute(
            update(Jurisdiction)
            .where(Jurisdiction.code == "26536")
            .values(geom=func.ST_Multi(func.ST_Buffer(Jurisdiction.geom, 0.002)))
        )
        dbs.flush()
        return test_a_point_in_an_overlap_of_two_wards_is_deterministic(dbs)
    low, high, lat, lon = overlap
    inside = dbs.scalars(
        select(Jurisdiction.code).where(
            func.ST_Intersects(
                Jurisdiction.geom, func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
            ),
            Jurisdiction.level == "ward",
        )
    ).all()
    assert {low, high} <= set(inside)
    for _ in range(5):
        ward = service.ward_at(dbs, lat, lon)
        assert ward is not None and ward.code == low


def test_sector_service_areas_cross_ward_boundaries(dbs: Session) -> None:
    # Inside Xã Long Sơn but within Điện lực Vũng Tàu's area (a 500 m buffer of the city wards).
    row = dbs.execute(
        text(
            "SELECT ST_Y(p), ST_X(p) FROM agencies a, jurisdictions j, "
            "LATERAL ST_PointOnSurface(ST_Intersection(a.service_area, "
            "ST_Buffer(j.geom, -0.0005))) p "
            "WHERE a.code = 'dl-vungtau' AND j.code = '26545'"
        )
    ).one()
    result = service.assign(dbs, category="dien-luc", lat=row[0], lon=row[1])
    assert result.jurisdiction is not None and result.jurisdiction.code == "26545"
    assert result.agency is not None and result.agency.code == "dl-vungtau"  # the smaller area
    # Deep in Long Sơn: Điện lực Bà Rịa; in Côn Đảo: the province-wide company.
    deep = dbs.execute(
        text(
            "SELECT ST_Y(p), ST_X(p) FROM agencies a, jurisdictions j, "
            "LATERAL ST_PointOnSurface(ST_Difference(ST_Buffer(j.geom, -0.001), "
            "a.service_area)) p WHERE a.code = 'dl-vungtau' AND j.code = '26545'"
        )
    ).one()
    far = service.assign(dbs, category="dien-luc", lat=deep[0], lon=deep[1])
    assert far.jurisdiction is not None and far.jurisdiction.code == "26545"
    assert far.agency is not None and far.agency.code == "dl-baria"
    con_dao = service.assign(dbs, category="dien-luc", lat=8.683, lon=106.607)
    assert con_dao.agency is not None and con_dao.agency.code == "pc-brvt"


def test_named_agency_within_its_service_area_with_the_reason_of_the_issue(dbs: Session) -> None:
    result = service.assign(dbs, category="chieu-sang", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert result.agency is not None and result.agency.code == "chieusang-vungtau"
    assert result.rule == 12
    assert result.jurisdiction is not None and result.jurisdiction.code == "26526"
    set_locale("en")
    english = service.assign(dbs, category="chieu-sang", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert english.reason == (
        "The place is in Phường Tam Thắng; category Street lighting → "
        "Đội chiếu sáng khu vực Vũng Tàu (rule 12)"
    )
    # Outside the team's area (Bà Rịa) the next rule sends it to the ward's committee.
    lat, lon = point_in(dbs, "26560")
    elsewhere = service.assign(dbs, category="chieu-sang", lat=lat, lon=lon)
    assert elsewhere.agency is not None and elsewhere.agency.code == "ubnd-26560"
    assert elsewhere.rule == 13


def test_reason_in_vietnamese(dbs: Session) -> None:
    result = service.assign(dbs, category="chieu-sang", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert result.reason == (
        "Điểm thuộc Phường Tam Thắng; lĩnh vực Chiếu sáng công cộng → "
        "Đội chiếu sáng khu vực Vũng Tàu (quy tắc 12)"
    )


def test_rule_limited_to_some_jurisdictions(dbs: Session) -> None:
    hue = service.assign(dbs, category="giao-thong", lat=PHU_XUAN[0], lon=PHU_XUAN[1])
    assert hue.agency is not None and hue.agency.code == "sxd-46" and hue.rule == 1
    vung_tau = service.assign(dbs, category="giao-thong", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert vung_tau.agency is not None and vung_tau.agency.code == "ubnd-26526"
    assert vung_tau.rule == 2


def test_service_area_rule_falls_back_to_the_ward_where_no_body_serves(dbs: Session) -> None:
    lat, lon = point_in(dbs, "20071")  # A Lưới 3: no water company there
    result = service.assign(dbs, category="cap-nuoc", lat=lat, lon=lon)
    assert result.agency is not None and result.agency.code == "ubnd-20071" and result.rule == 7
    town = service.assign(dbs, category="cap-nuoc", lat=PHU_XUAN[0], lon=PHU_XUAN[1])
    assert town.agency is not None and town.agency.code == "capnuoc-hue" and town.rule == 6


def test_no_rule_for_the_category_goes_to_the_ioc_queue(dbs: Session) -> None:
    dbs.add(
        Category(
            code="test-norule",
            name_vi="Thử",
            name_en="Test",
            group="other",
            icon="🧪",
            default_priority=Priority.normal,
            geographic=True,
        )
    )
    dbs.flush()
    result = service.assign(dbs, category="test-norule", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert result.agency is None and result.rule is None and not result.outside_coverage
    assert result.jurisdiction is not None and result.jurisdiction.code == "26526"
    assert "IOC" in result.reason
    # Inactive rules do not count either.
    dbs.execute(
        update(RoutingRule)
        .where(
            RoutingRule.category_id
            == select(Category.id).where(Category.code == "cay-xanh").scalar_subquery()
        )
        .values(active=False)
    )
    dbs.flush()
    none = service.assign(dbs, category="cay-xanh", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert none.agency is None and none.rule is None


def test_inactive_agency_goes_to_its_parent_else_to_the_ioc(dbs: Session) -> None:
    lat, lon = TAM_THANG
    set_active(dbs, "ubnd-26526", False)
    result = service.assign(dbs, category="trat-tu-do-thi", lat=lat, lon=lon)
    assert result.agency is not None and result.agency.code == "ubnd-79"
    assert result.redirected_from is not None and result.redirected_from.code == "ubnd-26526"
    assert result.rule == 3 and "UBND Phường Tam Thắng" in result.reason
    set_active(dbs, "ubnd-79", False)
    queue = service.assign(dbs, category="trat-tu-do-thi", lat=lat, lon=lon)
    assert queue.agency is None and queue.rule == 3 and "IOC" in queue.reason
    # A sector body's parent: the lighting team belongs to the urban services company.
    set_active(dbs, "chieusang-vungtau", False)
    lighting = service.assign(dbs, category="chieu-sang", lat=lat, lon=lon)
    assert lighting.agency is not None and lighting.agency.code == "dvdt-vungtau"


def test_non_geographic_categories_go_to_the_named_office_wherever_the_point_is(
    dbs: Session,
) -> None:
    for lat, lon in [TAM_THANG, SEA[0], ELSEWHERE[0], (None, None), (500.0, 500.0)]:
        result = service.assign(
            dbs, category="thai-do-phuc-vu", lat=lat, lon=lon, office="ubnd-19753"
        )
        assert result.agency is not None and result.agency.code == "ubnd-19753"
        assert result.jurisdiction is None and not result.outside_coverage
        assert result.rule is None
    for category in ("ho-so-cham-tre", "khac"):
        office = service.assign(dbs, category=category, lat=None, lon=None, office="SXD-79")
        assert office.agency is not None and office.agency.code == "sxd-79"
    for bad in (None, "", "no-such-office"):
        with pytest.raises(InvalidInput) as error:
            service.assign(dbs, category="khac", lat=None, lon=None, office=bad)
        assert error.value.field == "office"
    set_active(dbs, "ubnd-19753", False)
    parent = service.assign(dbs, category="khac", lat=None, lon=None, office="ubnd-19753")
    assert parent.agency is not None and parent.agency.code == "ubnd-46"


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        (None, 107.0, "lat"),
        (10.0, None, "lon"),
        (90.5, 107.0, "lat"),
        (-91.0, 107.0, "lat"),
        (10.0, 180.5, "lon"),
        (float("nan"), 107.0, "lat"),
        (10.0, float("inf"), "lon"),
    ],
)
def test_bad_coordinates_name_the_field(
    dbs: Session, lat: float | None, lon: float | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        service.assign(dbs, category="giao-thong", lat=lat, lon=lon)
    assert error.value.field == field


def test_unknown_or_inactive_category(dbs: Session) -> None:
    with pytest.raises(InvalidInput) as error:
        service.assign(dbs, category="no-such-thing", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert error.value.field == "category"
    dbs.execute(update(Category).where(Category.code == "cay-xanh").values(active=False))
    dbs.flush()
    with pytest.raises(InvalidInput):
        service.assign(dbs, category="cay-xanh", lat=TAM_THANG[0], lon=TAM_THANG[1])


def test_priority_and_due_times_follow_the_category_and_the_calendar(dbs: Session) -> None:
    lat, lon = TAM_THANG
    urgent = service.assign(dbs, category="dien-luc", lat=lat, lon=lon, at=MONDAY_9)
    assert urgent.priority == Priority.urgent and urgent.due is not None
    assert urgent.due.resolve_by == MONDAY_9 + timedelta(hours=4)  # calendar hours
    normal = service.assign(dbs, category="giao-thong", lat=lat, lon=lon, at=MONDAY_9)
    assert normal.priority == Priority.normal and normal.due is not None
    assert normal.due.verify_by == MONDAY_9 + timedelta(hours=2)
    assert normal.due.resolve_by == datetime(2026, 12, 10, 9, 0, tzinfo=VN_TZ)  # 3 working days
    # The administrator gives Wednesday off: the result is due a day later.
    save_day(dbs, Actor("test"), DayOffIn(day=datetime(2026, 12, 9).date(), note="Nghỉ bù"))
    later = service.assign(dbs, category="giao-thong", lat=lat, lon=lon, at=MONDAY_9)
    assert later.due is not None
    assert later.due.resolve_by == datetime(2026, 12, 11, 9, 0, tzinfo=VN_TZ)
    # Public holidays come from the library: 24 November is Vietnam Cultural Day from 2026.
    week = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)
    holiday = service.assign(dbs, category="giao-thong", lat=lat, lon=lon, at=week)
    assert holiday.due is not None
    assert holiday.due.resolve_by == datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ)


def test_the_category_can_override_deadlines(dbs: Session) -> None:
    dbs.execute(
        update(Category)
        .where(Category.code == "giao-thong")
        .values(sla={"resolve": {"normal": {"days": 5}}})
    )
    dbs.flush()
    result = service.assign(
        dbs, category="giao-thong", lat=TAM_THANG[0], lon=TAM_THANG[1], at=MONDAY_9
    )
    assert result.due is not None
    assert result.due.resolve_by == datetime(2026, 12, 14, 9, 0, tzinfo=VN_TZ)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lat=st.floats(min_value=8.3, max_value=17.0, allow_nan=False),
    lon=st.floats(min_value=106.3, max_value=108.3, allow_nan=False),
)
def test_assignment_agrees_with_ward_at_everywhere(dbs: Session, lat: float, lon: float) -> None:
    ward = service.ward_at(dbs, lat, lon)
    first = service.assign(dbs, category="trat-tu-do-thi", lat=lat, lon=lon)
    again = service.assign(dbs, category="trat-tu-do-thi", lat=lat, lon=lon)
    assert first.agency == again.agency and first.reason == again.reason
    assert first.outside_coverage == (ward is None)
    assert first.jurisdiction == ward
    if ward is not None:
        assert first.agency is not None and first.agency.code == f"ubnd-{ward.code}"


def test_every_seeded_ward_has_a_committee_and_police(dbs: Session) -> None:
    for kind in ("ward_committee", "ward_police"):
        count = dbs.scalar(select(func.count()).select_from(Agency).where(Agency.kind == kind))
        assert count == 70


# --- Points on the shore (issue 8, item 11) ---------------------------------------------------

BAI_SAU = (10.3395, 107.0950)  # the beach: about 120 m outside Phường Vũng Tàu's boundary
OFFSHORE = (10.3350, 107.0950)  # about 360 m outside it


def test_a_point_on_the_beach_goes_to_the_nearest_ward(dbs: Session) -> None:
    result = service.assign(dbs, category="giao-thong", lat=BAI_SAU[0], lon=BAI_SAU[1])
    assert result.jurisdiction is not None and result.jurisdiction.code == "26506"
    assert not result.outside_coverage and result.agency is not None
    assert result.agency.code == "ubnd-26506"
    assert result.ward_distance_m is not None and 100 <= result.ward_distance_m <= 140
    assert result.reason.startswith(
        f"Điểm không thuộc phường, xã nào, cách Phường Vũng Tàu (gần nhất) "
        f"{result.ward_distance_m} m; lĩnh vực Giao thông"
    )
    set_locale("en")
    assert result.reason.startswith(
        f"The place is in no ward, {result.ward_distance_m} m from Phường Vũng Tàu, the nearest; "
        "category Roads and traffic → UBND Phường Vũng Tàu"
    )
    # The stored form: a message id and parameters, translated when read.
    assert result.why.msgid == service.R_NEAR_ROUTED
    assert result.why.params["category"] == {"vi": "Giao thông", "en": "Roads and traffic"}


def test_only_points_farther_than_the_distance_are_outside_coverage(dbs: Session) -> None:
    far = service.assign(dbs, category="giao-thong", lat=OFFSHORE[0], lon=OFFSHORE[1])
    assert far.outside_coverage and far.jurisdiction is None and far.agency is None
    closer = service.assign(
        dbs, category="giao-thong", lat=BAI_SAU[0], lon=BAI_SAU[1], near_metres=100
    )
    assert closer.outside_coverage and closer.jurisdiction is None
    wider = service.assign(
        dbs, category="giao-thong", lat=OFFSHORE[0], lon=OFFSHORE[1], near_metres=500
    )
    assert wider.jurisdiction is not None and wider.jurisdiction.code == "26506"


def test_inside_a_ward_the_nearest_one_plays_no_part(dbs: Session) -> None:
    result = service.assign(dbs, category="giao-thong", lat=TAM_THANG[0], lon=TAM_THANG[1])
    assert result.ward_distance_m is None and result.why.msgid == service.R_ROUTED
    assert service.ward_at(dbs, *BAI_SAU) is not None
    assert service.ward_at(dbs, *BAI_SAU, near_metres=0) is None


def test_the_explain_api_and_the_place_lookup_use_the_configured_distance(
    client: TestClient,
) -> None:
    explained = client.get(
        f"/api/v1/routing/explain?category=giao-thong&lat={BAI_SAU[0]}&lon={BAI_SAU[1]}"
    ).json()
    assert explained["jurisdiction"]["code"] == "26506" and not explained["outside_coverage"]
    place = client.get(f"/api/v1/reports/place?lat={BAI_SAU[0]}&lon={BAI_SAU[1]}").json()
    assert place["ward"]["code"] == "26506" and not place["outside_coverage"]
    ward = client.get(f"/api/v1/wards/at?lat={OFFSHORE[0]}&lon={OFFSHORE[1]}")
    assert ward.status_code == 404
