"""Every bad input of issue 4: a 4xx RFC 9457 problem, Vietnamese by default, English on request,
and nothing stored: no row, no file."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ioc import i18n
from tests.reports import media_samples as samples
from tests.reports.conftest import TAM_THANG, Post, files_under, photo

VI_TITLES = {
    422: "Thông tin còn thiếu hoặc không hợp lệ.",
    413: "Tệp quá lớn.",
    429: "Bạn đã thử quá nhiều lần. Vui lòng chờ vài phút rồi thử lại.",
}
MEDIA_VI_TITLE = "Tệp không phải là ảnh hoặc video hợp lệ."
PLACE = {"lat": TAM_THANG[0], "lon": TAM_THANG[1]}


@dataclass
class Case:
    """A bad submission and the problem it must get."""

    fields: Callable[[], dict[str, Any]]
    status: int
    field: str | None
    message: str  # the English message id
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    code: str = "invalid-input"


CASES: dict[str, Case] = {
    "renamed-pdf": Case(
        lambda: {"category": "giao-thong", "photos": [samples.pdf()], **PLACE},
        422,
        "photos",
        "The file is not a photo or video that can be accepted.",
        code="invalid-media",
    ),
    "truncated-jpeg": Case(
        lambda: {"category": "giao-thong", "photos": [samples.truncated(photo())], **PLACE},
        422,
        "photos",
        "The photo could not be read. It may be damaged or incomplete.",
        code="invalid-media",
    ),
    "good-photo-then-truncated": Case(
        lambda: {"category": "giao-thong", "photos": [photo(), samples.truncated(photo())]},
        422,
        "photos",
        "The photo could not be read. It may be damaged or incomplete.",
        code="invalid-media",
    ),
    "jpeg-cut-at-60%-with-an-end-marker": Case(
        lambda: {
            "category": "giao-thong",
            "photos": [samples.cut_with_end_marker(photo((1600, 1200)))],
            **PLACE,
        },
        422,
        "photos",
        "The photo could not be read. It may be damaged or incomplete.",
        code="invalid-media",
    ),
    "mp4-claiming-2-gb-in-2-kb": Case(
        lambda: {"category": "giao-thong", "video": samples.mp4_claiming(), **PLACE},
        422,
        "video",
        "The video could not be read. It may be damaged or in a format that is not accepted.",
        code="invalid-media",
    ),
    "description-of-100-kb": Case(
        lambda: {"category": "giao-thong", "description": "ổ gà " * 17_000, **PLACE},
        422,
        "description",
        "The description may have at most %(n)s characters.",
        {"n": 5000},
    ),
    "description-of-5001-characters": Case(
        lambda: {"category": "giao-thong", "description": "x" * 5001, **PLACE},
        422,
        "description",
        "The description may have at most %(n)s characters.",
        {"n": 5000},
    ),
    "name-of-100-kb": Case(
        lambda: {"category": "giao-thong", "description": "x", "name": "A" * 100_000, **PLACE},
        422,
        "name",
        "At most %(n)s characters.",
        {"n": 200},
    ),
    "category-of-100-kb": Case(
        lambda: {"category": "c" * 100_000, "description": "x", **PLACE},
        422,
        "category",
        "At most %(n)s characters.",
        {"n": 64},
    ),
    "email-too-long": Case(
        lambda: {"category": "giao-thong", "description": "x", "email": "a" * 250 + "@vidu.vn"},
        422,
        "email",
        "At most %(n)s characters.",
        {"n": 254},
    ),
    "png-bomb": Case(
        lambda: {"category": "giao-thong", "photos": [samples.png_bomb()], **PLACE},
        422,
        "photos",
        "The photo has too many pixels: at most %(megapixels)s megapixels are accepted.",
        {"megapixels": 50},
        code="invalid-media",
    ),
    "jpeg-bomb": Case(
        lambda: {"category": "giao-thong", "photos": [samples.jpeg_bomb()], **PLACE},
        422,
        "photos",
        "The photo has too many pixels: at most %(megapixels)s megapixels are accepted.",
        {"megapixels": 50},
        code="invalid-media",
    ),
    "too-many-photos": Case(
        lambda: {"category": "giao-thong", "photos": [photo() for _ in range(6)]},
        422,
        "photos",
        "At most %(photos)s photos and one video can be sent.",
        {"photos": 5},
    ),
    "two-videos": Case(
        lambda: {
            "category": "giao-thong",
            "videos": [samples.video(), samples.video()],
            **PLACE,
        },
        422,
        "video",
        "At most %(photos)s photos and one video can be sent.",
        {"photos": 5},
    ),
    "video-too-long": Case(
        lambda: {
            "category": "giao-thong",
            "photos": [photo()],
            "video": samples.video(seconds=62, fps=2),
        },
        422,
        "video",
        "The video is %(seconds)s seconds long; at most %(limit)s seconds are accepted.",
        {"seconds": 62, "limit": 60},
        code="invalid-media",
    ),
    "lat-out-of-range": Case(
        lambda: {"category": "giao-thong", "description": "x", "lat": 91, "lon": 107},
        422,
        "lat",
        "Enter a number between %(low)s and %(high)s.",
        {"low": -90.0, "high": 90.0},
    ),
    "lon-out-of-range": Case(
        lambda: {"category": "giao-thong", "description": "x", "lat": 10, "lon": -180.5},
        422,
        "lon",
        "Enter a number between %(low)s and %(high)s.",
        {"low": -180.0, "high": 180.0},
    ),
    "lat-not-a-number": Case(
        lambda: {"category": "giao-thong", "description": "x", "lat": "abc", "lon": 107},
        422,
        "lat",
        "Enter a number.",
    ),
    "no-place-at-all": Case(
        lambda: {"category": "giao-thong", "photos": [photo(gps=None)]},
        422,
        "lat",
        "Where is it? Allow the phone to share its location, move the pin on the map, "
        "or add a photo that carries its place.",
    ),
    "unknown-category": Case(
        lambda: {"category": "khong-co", "description": "x", "photos": [photo()]},
        422,
        "category",
        "Unknown category.",
    ),
    "no-description-no-photo": Case(
        lambda: {"category": "giao-thong", **PLACE},
        422,
        "description",
        "Describe the problem or add a photo.",
    ),
}


def _post_case(post: Post, case: Case, lang: str | None) -> Any:
    return post(lang=lang, **case.fields())


def _expected(message: str, params: dict[str, Any], locale: str) -> str:
    i18n.set_locale(locale)
    try:
        return i18n.gettext(message, **params)
    finally:
        i18n.set_locale("vi")


def assert_problem(response: Any, case: Case, locale: str) -> None:
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == case.status and body["code"] == case.code
    assert body["type"] == f"/problems/{case.code}" and body["instance"] == "/api/v1/reports"
    assert body.get("field") == case.field
    assert body["detail"] == _expected(case.message, case.params, locale)
    assert response.headers["content-language"] == locale


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_and_nothing_is_stored(
    name: str, post: Post, counts: Callable[[], dict[str, int]], media_root: Path
) -> None:
    case = CASES[name]
    rows, files = counts(), files_under(media_root)
    vietnamese = _post_case(post, case, None)
    assert_problem(vietnamese, case, "vi")
    title = vietnamese.json()["title"]
    assert title in (VI_TITLES[case.status], MEDIA_VI_TITLE)
    english = _post_case(post, case, "en")
    assert_problem(english, case, "en")
    assert english.json()["title"] != title
    assert counts() == rows
    assert files_under(media_root) == files
    assert not [p for p in media_root.rglob(".*.tmp")]


def test_same_key_with_a_different_body_is_refused(
    post: Post, counts: Callable[[], dict[str, int]], media_root: Path
) -> None:
    first = post(category="giao-thong", description="Ổ gà", key="same-key", **PLACE)
    assert first.status_code == 201
    rows, files = counts(), files_under(media_root)
    case = Case(
        lambda: {},
        422,
        "Idempotency-Key",
        "This Idempotency-Key was already used for a different report.",
        code="idempotency-key-reused",
    )
    for lang, locale in ((None, "vi"), ("en", "en")):
        other = post(
            category="giao-thong", description="Rác", photos=[photo()], key="same-key", lang=lang
        )
        assert other.status_code == 422
        body = other.json()
        assert body["code"] == "idempotency-key-reused" and body["field"] == "Idempotency-Key"
        assert body["title"] == _expected(case.message, {}, locale)
    assert counts() == rows and files_under(media_root) == files


def test_a_video_over_the_size_limit(
    client_with: Callable[..., TestClient],
    post: Post,
    counts: Callable[[], dict[str, int]],
    media_root: Path,
) -> None:
    small = client_with(video_mb=1)
    rows, files = counts(), files_under(media_root)
    big = samples.video() + os.urandom(1024 * 1024)
    for lang, locale in ((None, "vi"), ("en", "en")):
        response = post(via=small, category="giao-thong", video=big, lang=lang, **PLACE)
        case = Case(
            lambda: {},
            413,
            "video",
            "A video may be at most %(megabytes)s MB.",
            {"megabytes": 1},
            code="payload-too-large",
        )
        assert_problem(response, case, locale)
    assert counts() == rows and files_under(media_root) == files


def test_a_request_over_the_size_limit(
    client_with: Callable[..., TestClient],
    post: Post,
    counts: Callable[[], dict[str, int]],
    media_root: Path,
) -> None:
    small = client_with(max_request_mb=1)
    rows, files = counts(), files_under(media_root)
    response = post(
        via=small, category="giao-thong", photos=[photo(), os.urandom(1024 * 1024)], **PLACE
    )
    case = Case(
        lambda: {},
        413,
        None,
        "The report is too large: at most %(megabytes)s MB can be sent at once.",
        {"megabytes": 1},
        code="payload-too-large",
    )
    assert_problem(response, case, "vi")
    assert counts() == rows and files_under(media_root) == files


def test_the_rate_limit_per_address(
    client_with: Callable[..., TestClient], post: Post, counts: Callable[[], dict[str, int]]
) -> None:
    limited = client_with(rate_limit=2, rate_window_minutes=10)
    for number in range(2):
        assert (
            post(
                via=limited, category="giao-thong", description=f"Ổ gà {number}", **PLACE
            ).status_code
            == 201
        )
    rows = counts()
    refused = post(via=limited, category="giao-thong", description="Ổ gà 3", **PLACE)
    assert refused.status_code == 429 and refused.json()["code"] == "rate-limited"
    assert refused.json()["detail"] == _expected(
        "Too many reports from this connection. Please wait %(minutes)s minutes.",
        {"minutes": 10},
        "vi",
    )
    assert counts() == rows


def test_the_pixels_of_one_report_are_bounded(
    client_with: Callable[..., TestClient],
    post: Post,
    counts: Callable[[], dict[str, int]],
    media_root: Path,
) -> None:
    """Photos that each pass the per-photo limit but together would decode too much."""
    small = client_with(request_megapixels=1)
    rows, files = counts(), files_under(media_root)
    pngs = [samples.png((800, 600)) for _ in range(3)]  # 0.48 MP each, decoded in full
    case = Case(
        lambda: {},
        413,
        "photos",
        "The photos of one report may have at most %(megapixels)s megapixels in all: "
        "send fewer or smaller photos.",
        {"megapixels": 1},
        code="payload-too-large",
    )
    for lang, locale in ((None, "vi"), ("en", "en")):
        response = post(via=small, category="giao-thong", photos=pngs, lang=lang, **PLACE)
        assert_problem(response, case, locale)
    assert counts() == rows and files_under(media_root) == files
    assert post(via=small, category="giao-thong", photos=pngs[:2], **PLACE).status_code == 201
