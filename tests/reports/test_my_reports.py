"""The pages of issue 13's confirmation: the reporting page carries the confirmation it shows in
place, "My reports" renders (its list comes from the phone's storage), and the home page and the
old confirmation page link to it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.reports.conftest import TAM_THANG, Post


def test_the_reporting_page_carries_its_hidden_confirmation(client: TestClient) -> None:
    page = client.get("/report").text
    assert '<section id="confirmation" class="sent confirmation"' in page
    assert 'aria-labelledby="confirmation-title" hidden>' in page
    assert "/static/reports/report-mine.js" in page and 'href="/my-reports"' in page
    assert '"maxVideoSeconds": ' not in page and "maxVideoSeconds: 60," in page


def test_my_reports_renders_in_vietnamese_and_english(client: TestClient) -> None:
    page = client.get("/my-reports")
    assert page.status_code == 200
    assert "<h1>Phản ánh của tôi</h1>" in page.text
    assert "/static/reports/my-reports.js" in page.text
    english = client.get("/my-reports", headers={"Accept-Language": "en"}).text
    assert "<h1>My reports</h1>" in english


def test_the_home_page_and_the_old_confirmation_link_to_my_reports(
    client: TestClient, post: Post
) -> None:
    assert 'href="/my-reports"' in client.get("/").text
    created = post(category="giao-thong", description="Ổ gà", lat=TAM_THANG[0], lon=TAM_THANG[1])
    sent = client.get(f"/report/sent/{created.json()['tracking_code']}").text
    assert 'href="/my-reports"' in sent and "/static/reports/report-sent.js" in sent


def test_the_scripts_are_served(client: TestClient) -> None:
    for name in ("report-mine.js", "my-reports.js", "report-sent.js"):
        script = client.get(f"/static/reports/{name}")
        assert script.status_code == 200 and "use strict" in script.text
