"""media_url: never fetched unless the administrator allowed its host; then fetched within
limits, redirects only within the host, through the same media pipeline."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.app import create_app
from ioc.settings import Open311Settings, Settings
from ioc.web import get_db
from reports.models import Report, ReportMedia
from tests.dashboard.open311.conftest import errors_of, json_of
from tests.reports.conftest import TAM_THANG, photo

PHOTO = photo()


class Server:
    """A local HTTP server: a photo at /photo.jpg, redirects, and the paths it was asked for."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                if self.path == "/photo.jpg":
                    self._send(200, PHOTO, "image/jpeg")
                elif self.path == "/here":
                    self._redirect("/photo.jpg")
                elif self.path == "/away":
                    self._redirect("http://localhost:9/photo.jpg")
                else:
                    self._send(404, b"no", "text/plain")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _redirect(self, to: str) -> None:
                self.send_response(302)
                self.send_header("Location", to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def server() -> Iterator[Server]:
    """The local server, running for the test."""
    made = Server()
    thread = threading.Thread(target=made.httpd.serve_forever, daemon=True)
    thread.start()
    yield made
    made.httpd.shutdown()
    made.httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def client_allowing(
    settings: Settings, engine: Engine, dbs: Session
) -> Iterator[Callable[..., TestClient]]:
    """A client of an app whose settings allow media from some hosts."""
    made: list[TestClient] = []

    def _make(*hosts: str) -> TestClient:
        changed = settings.model_copy(update={"open311": Open311Settings(media_hosts=list(hosts))})
        app = create_app(changed, engine=engine)

        def _db() -> Iterator[Session]:
            yield dbs

        app.dependency_overrides[get_db] = _db
        made.append(TestClient(app, base_url="http://testserver"))
        return made[-1]

    yield _make
    for test_client in made:
        test_client.close()


def _post(client: TestClient, api_key: str, media_url: str, **extra: str) -> Any:
    data = {
        "api_key": api_key,
        "service_code": "giao-thong",
        "lat": str(TAM_THANG[0]),
        "long": str(TAM_THANG[1]),
        "media_url": media_url,
        **extra,
    }
    return client.post("/open311/v2/requests.json?lang=en", data=data)


def _media_of(dbs: Session, response: Any) -> list[ReportMedia]:
    code = json_of(response)[0]["service_request_id"]
    report = dbs.scalar(select(Report).where(Report.tracking_code == code))
    assert report is not None
    return list(dbs.scalars(select(ReportMedia).where(ReportMedia.report_id == report.id)))


def test_a_media_url_is_not_fetched_by_default(
    client: TestClient, dbs: Session, server: Server, api_key: str
) -> None:
    response = _post(client, api_key, f"{server.url}/photo.jpg", description="Ổ gà")
    assert response.status_code == 200
    assert "not fetched" in json_of(response)[0]["service_notice"]
    assert server.hits == [] and _media_of(dbs, response) == []


def test_without_a_description_an_unfetched_media_url_is_not_enough(
    client: TestClient, server: Server, api_key: str
) -> None:
    errors_of(_post(client, api_key, f"{server.url}/photo.jpg"), 400)
    assert server.hits == []


def test_an_allowed_host_is_fetched_into_the_media_pipeline(
    client_allowing: Callable[..., TestClient], dbs: Session, server: Server, api_key: str
) -> None:
    client = client_allowing("127.0.0.1")
    response = _post(client, api_key, f"{server.url}/here")  # a photo alone, via a redirect
    assert response.status_code == 200, response.text
    assert server.hits == ["/here", "/photo.jpg"]
    (media,) = _media_of(dbs, response)
    assert media.kind == "image" and media.exif_lat is not None


@pytest.mark.parametrize("path", ["/away", "/missing"])
def test_a_redirect_to_another_host_or_an_error_is_a_400(
    client_allowing: Callable[..., TestClient], server: Server, api_key: str, path: str
) -> None:
    client = client_allowing("127.0.0.1", "localhost")
    description = errors_of(_post(client, api_key, f"{server.url}{path}"), 400)
    assert description == "media_url: The media_url could not be fetched."
    assert server.hits == [path]  # the other host was never asked


def test_only_http_urls_are_fetched(
    client_allowing: Callable[..., TestClient], server: Server, api_key: str
) -> None:
    client = client_allowing("127.0.0.1")
    response = _post(client, api_key, "file://127.0.0.1/etc/passwd", description="x")
    assert response.status_code == 200 and "not fetched" in json_of(response)[0]["service_notice"]
