"""Fixtures of the Open311 tests: calling the endpoint in either format, parsing the answer,
and filing a request with a key."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dashboard.open311 import keys
from tests.reports.conftest import TAM_THANG, photo

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
# The spec's element order of each kind of item (GeoReport v2's examples).
SERVICE = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
CREATED = ["service_request_id", "service_notice", "account_id"]
REQUEST = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
UPDATE = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
]
ERROR = ["code", "description"]


def xml_of(response: httpx.Response) -> ET.Element:
    """The XML body, after checking its declaration and content type."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(DECLARATION)
    return ET.fromstring(response.content)


def json_of(response: httpx.Response) -> Any:
    """The JSON body, after checking its content type."""
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def tags(element: ET.Element) -> list[str]:
    """The names of an element's children, in order."""
    return [child.tag for child in element]


def errors_of(response: httpx.Response, status: int) -> str:
    """The one error of a spec error answer (either format), checked; its description."""
    assert response.status_code == status, response.text
    if response.request.url.path.endswith(".json"):
        body = json_of(response)
        assert isinstance(body, list) and len(body) == 1
        assert list(body[0]) == ERROR and body[0]["code"] == status
        return str(body[0]["description"])
    root = xml_of(response)
    assert root.tag == "errors" and tags(root) == ["error"]
    assert tags(root[0]) == ERROR and root[0].findtext("code") == str(status)
    return root[0].findtext("description") or ""


@pytest.fixture
def api_key(dbs: Session) -> str:
    """A fresh key of a test client."""
    return keys.issue(dbs, "Test client", 100)[1]


FileRequest = Callable[..., httpx.Response]


@pytest.fixture
def file_request(client: TestClient, api_key: str) -> FileRequest:
    """POST a request: ``file_request(fmt="json", media=bytes, **fields)`` (urlencoded
    without media, multipart with it); a pothole at Tam Thắng unless told otherwise."""

    def _file(
        fmt: str = "json", media: bytes | None = None, lang: str = "vi", **fields: Any
    ) -> httpx.Response:
        data = {
            "api_key": api_key,
            "service_code": "giao-thong",
            "lat": TAM_THANG[0],
            "long": TAM_THANG[1],
            "description": "Ổ gà trước sân bay",
            **fields,
        }
        data = {name: str(value) for name, value in data.items() if value is not None}
        files = {"media": ("m.jpg", media, "image/jpeg")} if media is not None else None
        path = f"/open311/v2/requests.{fmt}?lang={lang}"
        return client.post(path, data=data, files=files)

    return _file


__all__ = ["TAM_THANG", "photo"]
