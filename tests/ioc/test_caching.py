"""HTTP caching: static files revalidated by a content ETag or immutable when versioned, pages
with a CSP nonce never cached publicly, the ward outlines answered with a 304 when unchanged."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ioc.web import assets, caching

OUTLINES = "/map/jurisdictions?f=geojson&detail=outline"


def _digest(relative: str) -> str:
    return hashlib.sha256((assets.STATIC_DIR / relative).read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "relative", ["reports/report-nearby.js", "vendor/leaflet/leaflet.js", "css/app.css"]
)
def test_static_files_are_revalidated_by_their_content(client: TestClient, relative: str) -> None:
    first = client.get(f"/static/{relative}")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, no-cache"
    assert first.headers["etag"] == f'"{_digest(relative)[:32]}"'
    again = client.get(f"/static/{relative}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "public, no-cache"
    other = client.get(f"/static/{relative}", headers={"If-None-Match": '"0123"'})
    assert other.status_code == 200 and other.content == first.content


def test_a_versioned_url_is_immutable_only_for_the_current_content(client: TestClient) -> None:
    url = caching.static_url(assets.STATIC_DIR, "reports/report-nearby.js")
    assert url == f"/static/reports/report-nearby.js?v={_digest('reports/report-nearby.js')[:12]}"
    current = client.get(url)
    assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = client.get("/static/reports/report-nearby.js?v=000000000000")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "public, no-cache"


def test_a_changed_file_gets_a_new_version_and_etag(tmp_path: Path) -> None:
    script = tmp_path / "a.js"
    script.write_text("var a = 1;")
    before = caching.static_url(tmp_path, "/static/a.js")
    script.write_text("var a = 22;")  # another size: a new (mtime, size) key
    after = caching.static_url(tmp_path, "a.js")
    assert before.startswith("/static/a.js?v=") and after.startswith("/static/a.js?v=")
    assert before != after
    assert caching.static_url(tmp_path, "missing.js") == "/static/missing.js"


def test_the_reporting_page_loads_versioned_files_and_is_not_cached_publicly(
    client: TestClient,
) -> None:
    page = client.get("/report")
    assert page.headers["cache-control"] == "private, no-cache"
    versioned = re.findall(r'(?:src|href)="(/static/[^"?]+\?v=[0-9a-f]{12})"', page.text)
    paths = {url.split("?")[0] for url in versioned}
    assert {"/static/reports/report-core.js", "/static/reports/report-nearby.js"} <= paths
    assert {"/static/css/app.css", "/static/reports/report.css"} <= paths
    for url in versioned:
        assert client.get(url).headers["cache-control"].endswith("immutable"), url


def test_public_pages_keep_their_own_shared_caching(client: TestClient) -> None:
    assert client.get("/public").headers["cache-control"] == "public, max-age=60"


def test_the_ward_outlines_answer_304_when_unchanged(client: TestClient) -> None:
    first = client.get(OUTLINES)
    assert first.status_code == 200 and first.json()["features"]
    assert first.headers["cache-control"] == "public, max-age=3600"
    assert first.headers["content-type"] == "application/geo+json"
    etag = first.headers["etag"]
    again = client.get(OUTLINES, headers={"If-None-Match": f"W/{etag}"})  # as gzip proxies send
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    full = client.get("/map/jurisdictions?f=geojson", headers={"If-None-Match": etag})
    assert full.status_code == 200 and full.headers["etag"] != etag
