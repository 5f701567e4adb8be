"""The /open-data page (Vietnamese first, English as a switch) and the Data Package descriptor."""

from __future__ import annotations

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.orm import Session

from dashboard.opendata.fields import FIELDS, NAMES
from tests.dashboard.opendata.conftest import Story, secrets_of


def test_the_page_speaks_vietnamese_first(client: TestClient) -> None:
    page = client.get("/open-data")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "<h1>Dữ liệu mở</h1>" in page.text and "Từ điển dữ liệu" in page.text
    assert "Creative Commons Attribution 4.0 International (CC-BY-4.0)" in page.text
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license"' in page.text
    assert "ODbL" in page.text and "thanglequoc/vietnamese-provinces-database" in page.text
    for link in (
        "reports.geojson",
        "reports.csv",
        "datapackage.json",
        "/open311/v2/discovery.json",
    ):
        assert f'href="/open-data/{link}"' in page.text or f'href="{link}"' in page.text
    assert "<code>giao-thong</code>" in page.text  # the category codes for the filter
    assert "Chưa có bản chụp nào được công bố." in page.text


def test_the_dictionary_names_every_column_in_both_languages(client: TestClient) -> None:
    page = client.get("/open-data?lang=en")
    assert '<html lang="en">' in page.text and "<h1>Open data</h1>" in page.text
    for field in FIELDS:
        row = page.text.split(f'data-field="{field.name}"', 1)[1].split("</tr>", 1)[0]
        assert escape(field.vi) in row and escape(field.en) in row and escape(field.example) in row
    assert page.text.count('data-field="') == len(FIELDS)


def test_the_page_and_the_footer_link(client: TestClient) -> None:
    assert 'href="/open-data"' in client.get("/").text


def test_the_data_package_describes_the_csv(client: TestClient) -> None:
    answer = client.get("/open-data/datapackage.json")
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
    package = answer.json()
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    table = package["resources"][0]
    assert table["path"] == "http://testserver/open-data/reports.csv"
    assert tuple(f["name"] for f in table["schema"]["fields"]) == NAMES
    types = {f["name"]: f["type"] for f in table["schema"]["fields"]}
    assert types["on_time"] == "boolean" and types["lat"] == "number"
    assert types["created"] == "datetime"


def test_no_private_field_on_the_page(client: TestClient, story: Story, dbs: Session) -> None:
    text = client.get("/open-data").text + client.get("/open-data/datapackage.json").text
    for secret in secrets_of(dbs, story):
        assert secret not in text
