"""A refused file is named in the answer (issue 13, forgiving drafts): its field, its index in
that field and its name as the page sent it, so that the page can drop that file alone."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.reports import media_samples as samples
from tests.reports.conftest import TAM_THANG, Post, files_under, photo

PLACE = {"lat": TAM_THANG[0], "lon": TAM_THANG[1]}


def test_the_second_photo_that_is_not_an_image_is_named(
    post: Post, counts: Callable[[], dict[str, int]], media_root: Path
) -> None:
    rows, files = counts(), files_under(media_root)
    # The test client names the photos p0.jpg, p1.jpg, … (tests/reports/conftest.multipart).
    answer = post(category="giao-thong", photos=[photo(), samples.pdf(), photo()], **PLACE)
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid-media" and body["field"] == "photos"
    assert (body["file_index"], body["file_name"]) == (1, "p1.jpg")
    assert body["detail"] == "Tệp không phải là ảnh hoặc video hợp lệ."
    assert counts() == rows and files_under(media_root) == files


def test_a_damaged_photo_after_good_ones_is_named_in_english_too(post: Post) -> None:
    photos = [photo(), photo(), samples.truncated(photo())]
    body = post(category="giao-thong", photos=photos, lang="en", **PLACE).json()
    assert (body["field"], body["file_index"], body["file_name"]) == ("photos", 2, "p2.jpg")
    assert body["detail"] == "The photo could not be read. It may be damaged or incomplete."


def test_a_video_too_large_is_named_after_the_photos(
    client_with: Callable[..., TestClient], post: Post
) -> None:
    small = client_with(video_mb=1)
    big = samples.video() + os.urandom(1024 * 1024)
    answer = post(via=small, category="giao-thong", photos=[photo()], video=big, **PLACE)
    assert answer.status_code == 413
    body = answer.json()
    assert (body["field"], body["file_index"], body["file_name"]) == ("video", 0, "v0.mp4")


def test_a_refusal_of_the_whole_request_names_no_file(post: Post) -> None:
    body = post(category="khong-co", photos=[photo()], **PLACE).json()
    assert body["field"] == "category"
    assert "file_index" not in body and "file_name" not in body
