"""The reporting page's markup for everyone, and the place lookup's offices (issue 13)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.settings import MapSettings
from routing.models import Agency, Jurisdiction, JurisdictionLevel
from routing.service import ward_at
from tests.reports.conftest import OUTSIDE, TAM_THANG


def test_the_page_can_be_zoomed_and_speaks_vietnamese_on_its_map(client: TestClient) -> None:
    page = client.get("/report").text
    assert "user-scalable=no" not in page and "maximum-scale" not in page
    assert page.count('name="viewport"') == 1
    assert '"zoomIn": "Phóng to"' in page and '"zoomOut": "Thu nhỏ"' in page
    assert '"keyboard": false' in page  # the pin is no tab stop of its own
    assert 'class="skip-link" href="#main"' in page
    client.get("/lang/en?next=/report")
    english = client.get("/report").text
    assert '"zoomIn": "Zoom in"' in english and "Phóng to" not in english


def test_every_map_gets_translated_labels_and_no_zoom_lock(client: TestClient) -> None:
    page = client.get("/map/jurisdictions").text
    assert "user-scalable=no" not in page
    assert '"zoomIn": "Phóng to"' in page


def test_category_tiles_carry_a_short_name_and_the_full_one_as_description(
    client: TestClient,
) -> None:
    page = client.get("/report").text
    tile = re.search(r'<label class="cat"><input[^>]*value="ho-so-cham-tre".*?</label>', page)
    assert tile, "the late-dossier tile"
    assert '<span class="name">Hồ sơ chậm</span>' in tile.group(0)
    assert 'aria-describedby="cat-ho-so-cham-tre"' in tile.group(0)
    assert '<span class="sr-only" id="cat-ho-so-cham-tre">Hồ sơ, thủ tục hành chính chậm trễ' in (
        tile.group(0)
    )
    # A name short enough already has no description of itself.
    plain = re.search(r'<label class="cat"><input[^>]*value="giao-thong".*?</label>', page)
    assert plain and "aria-describedby" not in plain.group(0)


def test_the_office_field_is_required_and_errors_have_a_place_per_step(client: TestClient) -> None:
    page = client.get("/report").text
    assert '<select id="office" name="office" required>' in page
    for step in ("media", "place", "what"):
        assert f'id="error-{step}" role="alert" hidden' in page


def test_the_default_centre_is_central_vung_tau(dbs: Session) -> None:
    config = MapSettings()
    ward = ward_at(dbs, config.center_lat, config.center_lon, 0)
    assert ward is not None and ward.name == "Phường Vũng Tàu"
    assert 12 <= config.zoom <= 14


def test_outside_coverage_every_office_of_the_city_may_be_named(
    client: TestClient, dbs: Session
) -> None:
    outside = client.get(f"/api/v1/reports/place?lat={OUTSIDE[0]}&lon={OUTSIDE[1]}").json()
    assert outside["outside_coverage"] is True
    codes = [office["code"] for office in outside["offices"]]
    city = dbs.scalars(
        select(Agency.code)
        .join(Jurisdiction, Agency.jurisdiction_id == Jurisdiction.id)
        .where(Agency.active.is_(True), Jurisdiction.province_code == "79")
    ).all()
    assert sorted(codes) == sorted(city) and "ubnd-26526" in codes
    levels = dict(
        dbs.execute(
            select(Agency.code, Jurisdiction.level).join(
                Jurisdiction, Agency.jurisdiction_id == Jurisdiction.id
            )
        ).all()
    )
    first_ward = next(i for i, code in enumerate(codes) if levels[code] is JurisdictionLevel.ward)
    assert all(levels[c] is JurisdictionLevel.province for c in codes[:first_ward])
    assert first_ward > 0  # the city's own offices come first
    inside = client.get(f"/api/v1/reports/place?lat={TAM_THANG[0]}&lon={TAM_THANG[1]}").json()
    assert len(inside["offices"]) < len(codes)  # inside, the ward's and the city's only
