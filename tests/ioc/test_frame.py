"""The page frame: languages, health, request logs, error shapes, and no outside hosts."""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from ioc.i18n import LOCALE_DIR, negotiate


def test_every_message_has_a_vietnamese_translation() -> None:
    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    assert len(catalog) > 40


def test_catalog_covers_the_messages_in_the_code() -> None:
    from babel.messages.extract import extract_from_dir

    from ioc.settings import PROJECT_ROOT

    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle)}
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    found = set()
    for package in ("ioc", "routing", "reports", "dashboard"):
        for _, _, message, _, _ in extract_from_dir(
            PROJECT_ROOT / package,
            method_map,
            keywords={"N_": None, "_": None, "gettext": None},
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        ):
            found.add(message if isinstance(message, str) else message[0])
    assert sorted(found - known) == [], "run `make messages` and translate the new messages"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("vi-VN,vi;q=0.9,en;q=0.5", "vi"),
        ("fr-FR", None),
        ("fr;q=0.9, en;q=0.8", "en"),
        (None, None),
    ],
)
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert negotiate(header) == expected


def test_pages_are_vietnamese_first_with_an_english_switch(client: TestClient) -> None:
    home = client.get("/")
    assert '<html lang="vi">' in home.text and "Phản ánh hiện trường" in home.text
    switch = client.get("/lang/en?next=/map/jurisdictions", follow_redirects=False)
    assert switch.status_code == 303 and switch.headers["location"] == "/map/jurisdictions"
    client.cookies.set("ioc_lang", "en")
    english = client.get("/")
    assert '<html lang="en">' in english.text and "City field reports" in english.text
    assert client.get("/?lang=vi").text.count("Phản ánh hiện trường") >= 1


def test_healthz_checks_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok" and response.json()["postgis"]


def test_each_request_is_one_structured_log_line(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    client.get("/healthz", headers={"X-Request-ID": "req-42"})
    lines = [
        json.loads(line)
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("{") and '"request"' in line
    ]
    entry = next(line for line in lines if line.get("request_id") == "req-42")
    assert entry["path"] == "/healthz" and entry["status"] == 200 and entry["method"] == "GET"
    assert isinstance(entry["ms"], float)


def test_unknown_pages_and_api_paths(client: TestClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "Không tìm thấy." in page.text
    api = client.get("/api/v1/nothing", headers={"Accept-Language": "en"})
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["title"] == "Not found."


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]


PAGES = ["/", "/login", "/map/jurisdictions", "/no/such/page", "/api/docs"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_reference_no_other_host(client: TestClient, path: str) -> None:
    html = client.get(path).text
    references = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', html)
    references += re.findall(r"url\(([^)]+)\)", html)
    assert references, "the page should load its own assets"
    outside = [ref for ref in references if re.match(r"^(https?:)?//", ref.strip("'\""))]
    assert outside == []


def test_vendored_assets_are_served(client: TestClient) -> None:
    js = client.get("/static/vendor/leaflet/leaflet.js")
    assert js.status_code == 200 and "Leaflet" in js.text[:500]
    assert client.get("/static/vendor/leaflet/leaflet.css").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


def test_text_is_compressed_for_weak_links(client: TestClient) -> None:
    page = client.get("/map/jurisdictions", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert int(page.headers["content-length"]) < len(page.content) / 3
    script = client.get("/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"
