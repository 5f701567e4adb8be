"""The public copy of a video: the same streams, none of the metadata (real files, PyAV)."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from reports.media import remux
from reports.media.remux import CONTAINER_KEYS, STREAM_KEYS, RemuxError
from reports.media.store import Area, MediaStore
from tests.reports import media_samples as samples
from tests.reports.media import tagged

CASES = [
    ("mov", "video/quicktime", "mp4", "video/mp4"),
    ("webm", "video/webm", "webm", "video/webm"),
]


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    """A media store of the test's own."""
    return MediaStore(tmp_path / "media")


def _original(store: MediaStore, data: bytes, extension: str) -> str:
    return store.write(data, Area.ORIGINALS, extension).path


@pytest.mark.parametrize(("container", "mime", "extension", "public_mime"), CASES)
def test_the_copy_keeps_every_packet_and_drops_every_tag(
    store: MediaStore, tmp_path: Path, container: str, mime: str, extension: str, public_mime: str
) -> None:
    made = tagged.tagged(tmp_path / f"phone.{container}", container)
    original = made.read_bytes()
    assert all(marker in original for marker in tagged.MARKERS)  # the test's premise
    copy = remux.publish(store, _original(store, original, container), mime)
    assert copy.mime == public_mime
    assert copy.path.startswith("public/videos/") and copy.path.endswith(f".{extension}")
    public = store.path(copy.path)
    before, after = tagged.streams(made), tagged.streams(public)
    assert [s[:3] for s in after] == [s[:3] for s in before]  # type, codec, packet count
    for (_, _, _, was), (_, _, _, now) in zip(before, after, strict=True):
        assert abs(now - was) <= 1 / tagged.FPS + 1e-6  # within a frame
    fields, per_stream = tagged.metadata(public)
    assert {key.lower() for key in fields} <= CONTAINER_KEYS
    assert all({key.lower() for key in s} <= STREAM_KEYS for s in per_stream)
    assert "creation_time" not in fields and all("creation_time" not in s for s in per_stream)
    data = public.read_bytes()
    assert not [marker for marker in tagged.MARKERS if marker in data]


def test_an_mp4_copy_starts_with_its_index_and_has_no_encoder_sei(
    store: MediaStore, tmp_path: Path
) -> None:
    original = tagged.tagged(tmp_path / "phone.mov").read_bytes()
    assert b"x264 - core" in original  # x264 writes its name and settings in an SEI unit
    copy = store.path(
        remux.publish(store, _original(store, original, "mov"), "video/quicktime").path
    )
    data = copy.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart
    assert b"x264" not in data and b"Lavf" not in data
    with av.open(str(copy)) as container:  # and it still decodes, frame by frame
        assert sum(1 for _ in container.decode(video=0)) == 2 * tagged.FPS


def test_the_rotation_stays_as_the_display_matrix(store: MediaStore) -> None:
    original = samples.rotated_mp4((32, 16))
    copy = remux.publish(store, _original(store, original, "mp4"), "video/mp4")
    with av.open(str(store.path(copy.path))) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (32, 16)  # not re-encoded, not turned
        assert round(frame.rotation) % 360 == 270  # shown upright, as the original is


def test_the_same_video_gives_the_same_copy(store: MediaStore, tmp_path: Path) -> None:
    original = _original(store, tagged.tagged(tmp_path / "a.mov").read_bytes(), "mov")
    first = remux.publish(store, original, "video/quicktime")
    second = remux.publish(store, original, "video/quicktime")
    assert first == second
    assert len(list((store.root / "public/videos").rglob("*.mp4"))) == 1
    assert not list(store.root.glob(".remux-*"))  # the work directories are gone


@pytest.mark.parametrize(
    "broken",
    [
        lambda: samples.truncated(samples.video(), 0.5),
        lambda: b"\x00\x00\x00\x18ftypisom" + bytes(4000),
        samples.audio_only_mp4,
    ],
    ids=["truncated", "garbage", "audio-only"],
)
def test_a_video_that_cannot_be_copied_publishes_nothing(store: MediaStore, broken: object) -> None:
    assert callable(broken)
    original = _original(store, broken(), "mp4")
    with pytest.raises(RemuxError):
        remux.publish(store, original, "video/mp4")
    assert not (store.root / "public/videos").exists()
    assert store.path(original).is_file()  # the original is untouched


def test_the_check_refuses_a_file_that_still_carries_tags(tmp_path: Path) -> None:
    made = tagged.tagged(tmp_path / "phone.mp4", "mp4")
    with pytest.raises(RemuxError, match="metadata"):
        remux.check_clean(made, "mp4", set())
    with pytest.raises(RemuxError):
        remux.check_clean(tmp_path / "missing.mp4", "mp4", set())


def test_the_byte_search_finds_a_value_across_chunk_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"x" * 10 + b"PhoneMakerCorp" + b"y" * 10)
    assert remux.contains_any(path, {b"PhoneMakerCorp"}, chunk=16)
    assert not remux.contains_any(path, {b"Model X"}, chunk=16)
    assert not remux.contains_any(path, set())


def test_an_unknown_type_is_refused(store: MediaStore) -> None:
    with pytest.raises(RemuxError):
        remux.publish(store, "private/originals/ab/cd/" + "ab" * 32 + ".jpg", "image/jpeg")
