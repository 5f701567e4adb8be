"""The wards map page and its GeoJSON twin."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_geojson_twin_has_every_seeded_ward(client: TestClient) -> None:
    response = client.get("/map/jurisdictions?f=geojson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    features = response.json()["features"]
    assert len(features) == 70
    names = {f["properties"]["name"] for f in features}
    assert {"Phường Tam Thắng", "Phường Phú Xuân", "Đặc khu Côn Đảo"} <= names
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)


def test_same_resource_by_accept_header(client: TestClient) -> None:
    response = client.get("/map/jurisdictions", headers={"Accept": "application/geo+json"})
    assert response.json()["type"] == "FeatureCollection"


def test_map_page_embeds_the_wards_with_self_hosted_leaflet(client: TestClient) -> None:
    page = client.get("/map/jurisdictions")
    assert page.status_code == 200
    # Versioned by content (ioc.web.caching): cached for a year by the browser.
    leaflet = r'<script nonce="[\w-]+" src="/static/vendor/leaflet/leaflet.js\?v=\w{12}"></script>'
    assert re.search(leaflet, page.text)
    assert '"26526"' in page.text and "L.geoJson" in page.text  # Tam Thắng, by its code
    assert "Bản đồ phường, xã" in page.text
    assert "30 phường, xã" in page.text  # the province at the map centre: former Bà Rịa – Vũng Tàu
    hue = client.get("/map/jurisdictions?province=46")
    assert "40 phường, xã" in hue.text and '"19753"' in hue.text  # Phú Xuân


def test_geojson_of_one_province(client: TestClient) -> None:
    features = client.get("/map/jurisdictions?f=geojson&province=46").json()["features"]
    assert len(features) == 40


def test_low_detail_outlines_are_smaller(client: TestClient) -> None:
    full = client.get("/map/jurisdictions?f=geojson&province=46")
    low = client.get("/map/jurisdictions?f=geojson&province=46&detail=low")
    assert len(low.json()["features"]) == len(full.json()["features"]) == 40
    assert len(low.content) < len(full.content) / 2
    assert client.get("/map/jurisdictions?f=geojson&detail=coarse").status_code == 422


def test_outlines_for_a_pin_carry_only_each_wards_code(client: TestClient) -> None:
    low = client.get("/map/jurisdictions?f=geojson&province=46&detail=low").json()
    outline = client.get("/map/jurisdictions?f=geojson&province=46&detail=outline").json()
    assert [f["geometry"] for f in outline["features"]] == [f["geometry"] for f in low["features"]]
    assert all(list(f["properties"]) == ["code"] for f in outline["features"])
    assert {f["properties"]["code"] for f in outline["features"]} == {
        f["properties"]["code"] for f in low["features"]
    }
    # About 11 m: no coordinate of these outlines has more than four decimals.
    ring = outline["features"][0]["geometry"]["coordinates"][0]
    ring = ring[0] if isinstance(ring[0][0], list) else ring
    assert all(len(repr(value).partition(".")[2]) <= 4 for point in ring for value in point)
