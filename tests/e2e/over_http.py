"""What browser tests do over HTTP before the browser looks: file a report, forward it."""

from __future__ import annotations

import httpx

from ioc.cli import DEMO_PASSWORD

PLACE = (10.3461, 107.0761)  # Phường Vũng Tàu


def file_report(live_server: str, description: str, **extra: str) -> str:
    """File a pothole report without photos at PLACE; its tracking code."""
    fields = {"category": "giao-thong", "description": description}
    fields |= {"lat": str(PLACE[0]), "lon": str(PLACE[1])} | extra
    created = httpx.post(
        f"{live_server}/api/v1/reports",
        data=fields,
        files=[("photos", ("", b"", "application/octet-stream"))],
        headers={"Accept": "application/json"},
    )
    assert created.status_code == 201, created.text
    code: str = created.json()["tracking_code"]
    return code


def forward(live_server: str, code: str, agency: str = "ubnd-26506") -> None:
    """The demo operator forwards the report (through the API, with a bearer token)."""
    body = {"username": "operator", "password": DEMO_PASSWORD}
    token = httpx.post(f"{live_server}/api/v1/auth/token", json=body).json()["access_token"]
    answer = httpx.post(
        f"{live_server}/api/v1/reports/{code}/actions/verify_forward",
        data={"agency": agency},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
