"""Discovery, services and service definitions, in both formats, shaped as the spec's examples."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.models import Category
from tests.dashboard.open311.conftest import SERVICE, errors_of, json_of, tags, xml_of


def test_discovery_in_json_names_the_v2_endpoint_and_both_formats(client: TestClient) -> None:
    body = json_of(client.get("/open311/v2/discovery.json"))
    assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = body["endpoints"]
    assert list(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "test"  # the tests run in demo mode
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert body["changeset"].endswith("+07:00")


def test_discovery_in_xml_nests_endpoints_and_formats(client: TestClient) -> None:
    root = xml_of(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert tags(root) == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert tags(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_json_is_a_bare_array_of_our_active_categories(
    client: TestClient, dbs: Session
) -> None:
    body = json_of(client.get("/open311/v2/services.json"))
    assert isinstance(body, list)
    active = dbs.scalars(select(Category.code).where(Category.active.is_(True))).all()
    assert sorted(item["service_code"] for item in body) == sorted(active)
    road = next(item for item in body if item["service_code"] == "giao-thong")
    assert list(road) == SERVICE
    assert road["metadata"] is False and road["type"] == "realtime"
    assert road["service_name"] == "Giao thông"  # Vietnamese first
    assert "giao-thong" in road["keywords"]


def test_services_xml_follows_the_spec_example(client: TestClient) -> None:
    root = xml_of(client.get("/open311/v2/services.xml?lang=en"))
    assert root.tag == "services"
    assert set(tags(root)) == {"service"}
    road = next(s for s in root if s.findtext("service_code") == "giao-thong")
    assert tags(road) == SERVICE
    assert road.findtext("metadata") == "false" and road.findtext("type") == "realtime"
    assert road.findtext("service_name") == "Roads and traffic"


def test_an_office_category_has_metadata_and_an_office_attribute(
    client: TestClient, dbs: Session
) -> None:
    office = dbs.scalar(select(Category.code).where(Category.geographic.is_(False)).limit(1))
    assert office is not None
    services = json_of(client.get("/open311/v2/services.json"))
    assert next(s for s in services if s["service_code"] == office)["metadata"] is True
    body = json_of(client.get(f"/open311/v2/services/{office}.json"))
    assert body["service_code"] == office
    (attribute,) = body["attributes"]
    assert attribute["code"] == "office" and attribute["required"] is True
    assert list(attribute) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
    ]
    root = xml_of(client.get(f"/open311/v2/services/{office}.xml"))
    assert root.tag == "service_definition"
    assert tags(root) == ["service_code", "attributes"]
    assert root.findtext("attributes/attribute/code") == "office"


def test_a_geographic_service_definition_has_no_attributes(client: TestClient) -> None:
    body = json_of(client.get("/open311/v2/services/giao-thong.json"))
    assert body == {"service_code": "giao-thong", "attributes": []}
    root = xml_of(client.get("/open311/v2/services/giao-thong.xml"))
    assert tags(root) == ["service_code", "attributes"] and len(root.find("attributes") or []) == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_code_is_a_404_error_array(client: TestClient, fmt: str) -> None:
    description = errors_of(client.get(f"/open311/v2/services/no-such.{fmt}?lang=en"), 404)
    assert description == "service_code: Unknown service_code."


def test_an_unknown_format_or_path_is_a_404_error(client: TestClient) -> None:
    errors_of(client.get("/open311/v2/services.html"), 404)
    errors_of(client.get("/open311/v2/nothing-here.json"), 404)


def test_a_configured_jurisdiction_refuses_another_and_accepts_empty(
    client: TestClient, app: object
) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    settings_copy = settings.model_copy(deep=True)
    settings_copy.open311.jurisdiction_id = "vungtau.gov.vn"
    client.app.state.settings = settings_copy  # type: ignore[attr-defined]
    try:
        assert client.get("/open311/v2/services.json?jurisdiction_id=vungtau.gov.vn").is_success
        assert client.get("/open311/v2/services.json?jurisdiction_id=").is_success
        errors_of(client.get("/open311/v2/services.xml?jurisdiction_id=hanoi.gov.vn"), 404)
    finally:
        client.app.state.settings = settings  # type: ignore[attr-defined]
