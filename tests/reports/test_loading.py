"""Report pages load what they show in their own queries (relationships raise when not loaded)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.reports.conftest import Post, photo


def test_the_private_status_lists_photos_read_by_its_own_query(
    post: Post, client: TestClient, dbs: Session
) -> None:
    created = post(category="giao-thong", description="Cây đổ", photos=[photo(), photo()])
    assert created.status_code == 201, created.text
    dbs.expunge_all()  # as in a new request: the report and its media are not in memory
    owner = client.get(created.json()["links"]["private_api"])
    assert owner.status_code == 200, owner.text
    assert len(owner.json()["photos"]) == 2
    dbs.expunge_all()
    page = client.get(created.json()["links"]["private_status_page"])
    assert page.status_code == 200, page.text
    assert page.text.count("/media/display/") == 2
