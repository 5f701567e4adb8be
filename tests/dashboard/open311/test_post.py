"""POST requests: filed through the resident page's intake, answered as the spec's examples,
refused with the spec's errors and nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.open311 import keys
from dashboard.open311.models import ApiKey, FiledRequest
from ioc.db import utcnow
from reports.models import Report, ReportMedia, ReportState
from routing.models import Category
from tests.dashboard.open311.conftest import (
    CREATED,
    FileRequest,
    errors_of,
    json_of,
    tags,
    xml_of,
)
from tests.reports import media_samples as samples
from tests.reports.conftest import OUTSIDE, files_under, photo

Count = Callable[[], int]


@pytest.fixture
def reports(dbs: Session) -> Count:
    """How many reports exist."""
    return lambda: dbs.scalar(select(func.count()).select_from(Report)) or 0


def test_a_request_becomes_a_submitted_report_with_the_reporter_kept_private(
    file_request: FileRequest, dbs: Session, api_key: str
) -> None:
    response = file_request(
        first_name="Lan", last_name="Nguyễn", email="lan@vidu.vn", phone="0901234567"
    )
    assert response.status_code == 200
    body = json_of(response)
    assert isinstance(body, list) and len(body) == 1 and list(body[0]) == CREATED
    code = body[0]["service_request_id"]
    assert body[0]["account_id"] is None and body[0]["service_notice"]
    for private in ("Lan", "Nguyễn", "lan@vidu.vn", "0901234567"):
        assert private not in response.text
    report = dbs.scalar(select(Report).where(Report.tracking_code == code))
    assert report is not None and report.state == ReportState.submitted
    assert (report.reporter_name, report.reporter_email) == ("Lan Nguyễn", "lan@vidu.vn")
    assert report.reporter_phone == "0901234567" and report.description == "Ổ gà trước sân bay"
    assert report.suggested_agency_id is not None  # routed as the page's reports are
    filed = dbs.get_one(FiledRequest, report.id)
    key = dbs.scalar(select(ApiKey).where(ApiKey.key_hash == keys.hash_key(api_key)))
    assert key is not None and filed.key_id == key.id and key.last_used_at is not None


def test_the_xml_answer_follows_the_spec_example(file_request: FileRequest) -> None:
    root = xml_of(file_request("xml"))
    assert root.tag == "service_requests" and tags(root) == ["request"]
    assert tags(root[0]) == CREATED
    assert root[0].findtext("service_request_id")
    account = root[0].find("account_id")
    assert account is not None and account.text is None  # <account_id/>


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_or_unknown_key_is_a_403_and_files_nothing(
    file_request: FileRequest, reports: Count, fmt: str
) -> None:
    before = reports()
    errors_of(file_request(fmt, api_key=None), 403)
    errors_of(file_request(fmt, api_key=""), 403)  # empty is absent
    description = errors_of(file_request(fmt, api_key="not-a-key", lang="en"), 403)
    assert reports() == before
    assert description.startswith("api_key:")


def test_a_revoked_key_is_refused(
    file_request: FileRequest, dbs: Session, api_key: str, reports: Count
) -> None:
    key = dbs.scalar(select(ApiKey).where(ApiKey.key_hash == keys.hash_key(api_key)))
    assert key is not None
    keys.revoke(dbs, key.id, utcnow())
    before = reports()
    description = errors_of(file_request(), 403)
    assert "thu hồi" in description  # Vietnamese first: "revoked"
    assert reports() == before


def test_the_demo_key_exists_in_demo_mode(client: TestClient) -> None:
    response = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": keys.DEMO_KEY,
            "service_code": "giao-thong",
            "lat": "10.3736",
            "long": "107.095",
            "description": "Đèn tín hiệu hỏng",
        },
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"service_code": "no-such"}, 404, "service_code"),
        ({"service_code": ""}, 400, "service_code"),
        ({"lat": OUTSIDE[0], "long": OUTSIDE[1]}, 400, "lat"),
        ({"description": ""}, 400, "description"),
        ({"description": " "}, 400, "description"),
        ({"lat": "", "long": "", "address_string": "1 Lê Lợi"}, 400, "lat"),
        ({"lat": "91"}, 400, "lat"),
        ({"long": "abc"}, 400, "long"),
        ({"lat": ""}, 400, "lat"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"description": "x" * 5001}, 400, "description"),
    ],
)
def test_bad_requests_are_400_with_the_field_named_and_nothing_filed(
    file_request: FileRequest,
    reports: Count,
    fields: dict[str, str],
    status: int,
    field: str,
) -> None:
    before = reports()
    description = errors_of(file_request(**fields), status)
    assert description.startswith(f"{field}: ")
    assert reports() == before


def test_an_office_category_needs_its_office_attribute(
    file_request: FileRequest, dbs: Session
) -> None:
    office = dbs.scalar(select(Category.code).where(Category.geographic.is_(False)).limit(1))
    errors = file_request(service_code=office)
    assert errors_of(errors, 400).startswith("attribute[office]: ")
    filed = file_request(service_code=office, **{"attribute[office]": "ubnd-26526"})
    code = json_of(filed)[0]["service_request_id"]
    report = dbs.scalar(select(Report).where(Report.tracking_code == code))
    assert report is not None and report.office_id is not None


def test_the_rate_limit_is_per_key_not_per_address(
    client: TestClient, dbs: Session, file_request: FileRequest
) -> None:
    _, slow = keys.issue(dbs, "Slow client", 2)
    _, other = keys.issue(dbs, "Other client", 2)
    assert file_request(api_key=slow).status_code == 200
    assert file_request(api_key=slow).status_code == 200
    refused = file_request(api_key=slow)
    errors_of(refused, 429)
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # Another key from the same address is counted apart.
    assert file_request(api_key=other).status_code == 200


def test_a_replay_with_the_same_idempotency_key_files_once(
    client: TestClient, api_key: str, reports: Count
) -> None:
    data = {
        "api_key": api_key,
        "service_code": "giao-thong",
        "lat": "10.3736",
        "long": "107.095",
        "description": "Cây đổ",
    }
    headers = {"Idempotency-Key": "open311-test-1"}
    first = client.post("/open311/v2/requests.json", data=data, headers=headers)
    before = reports()
    second = client.post("/open311/v2/requests.json", data=data, headers=headers)
    assert reports() == before
    assert (
        json.loads(second.content)[0]["service_request_id"]
        == json.loads(first.content)[0]["service_request_id"]
    )


def test_a_multipart_media_file_goes_through_the_media_pipeline(
    file_request: FileRequest, dbs: Session, media_root: Path
) -> None:
    response = file_request(media=photo(), description="")  # a photo alone is enough
    code = json_of(response)[0]["service_request_id"]
    report = dbs.scalar(select(Report).where(Report.tracking_code == code))
    assert report is not None
    media = dbs.scalars(select(ReportMedia).where(ReportMedia.report_id == report.id)).all()
    assert len(media) == 1 and media[0].exif_lat is not None
    assert media[0].display_path in files_under(media_root)
    assert media[0].original_path not in response.text
    with Image.open(media_root / media[0].display_path) as image:
        assert not image.getexif()  # the public copy carries no metadata


def test_a_photo_with_gps_places_a_request_without_lat_long(
    file_request: FileRequest, reports: Count
) -> None:
    before = reports()
    assert file_request(media=photo(), lat="", long="").status_code == 200
    assert reports() == before + 1
    errors_of(file_request(media=photo(gps=OUTSIDE), lat="", long=""), 400)


def test_a_file_that_is_not_a_photo_is_refused(file_request: FileRequest, reports: Count) -> None:
    before = reports()
    answer = file_request(media=b"%PDF-1.4 not a photo")
    assert errors_of(answer, 400).startswith("media: ")
    assert "file_index" not in answer.text  # the spec's error array, not the page's problem body
    assert reports() == before


def test_a_video_as_media_is_kept_as_the_report_video(
    file_request: FileRequest, dbs: Session
) -> None:
    response = file_request(media=samples.video(), description="Nước ngập")
    code = json_of(response)[0]["service_request_id"]
    report = dbs.scalar(select(Report).where(Report.tracking_code == code))
    assert report is not None
    (media,) = dbs.scalars(select(ReportMedia).where(ReportMedia.report_id == report.id)).all()
    assert media.kind == "video" and media.duration_s is not None
