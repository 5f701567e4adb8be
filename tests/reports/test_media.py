"""The media pipeline: sniffing, EXIF facts, metadata-free derivatives, limits and storage."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, JpegImagePlugin

from ioc.errors import InvalidMedia, PayloadTooLarge
from reports.media import store as media
from reports.media.image import VN_TZ, PixelBudget, derive_photo, parse_jpeg
from reports.media.store import MediaKind, MediaLimits, MediaStore, StoredPhoto, StoredVideo
from reports.media.video import probe_video
from tests.reports import media_samples as samples

PHOTOS: dict[str, tuple[Callable[[], bytes], MediaKind]] = {
    "jpeg": (samples.jpeg, MediaKind.JPEG),
    "png": (samples.png, MediaKind.PNG),
    "png-alpha": (lambda: samples.png(alpha=True), MediaKind.PNG),
    "webp": (samples.webp, MediaKind.WEBP),
    "heic": (samples.heic, MediaKind.HEIC),
}
VIDEOS: dict[str, tuple[Callable[[], bytes], MediaKind]] = {
    "mp4": (samples.video, MediaKind.MP4),
    "mov": (lambda: samples.video("mov"), MediaKind.MOV),
    "webm": (lambda: samples.video("webm", "libvpx"), MediaKind.WEBM),
}


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    """A store on an empty media root."""
    return MediaStore(tmp_path / "media")


def read(store: MediaStore, relative: str) -> bytes:
    """The bytes of a stored file."""
    return store.path(relative).read_bytes()


def assert_clean(data: bytes) -> Image.Image:
    """A JPEG that carries pixels (and a colour profile) but no metadata at all."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not {"exif", "xmp", "comment", "photoshop", "mp"} & set(image.info)
    for marker in samples.PRIVATE_MARKERS:
        assert marker not in data, marker
    image.load()
    return image


def scan(data: bytes) -> bytes:
    """The last scan of a baseline JPEG through EOI (0xFFDA cannot occur inside coded data)."""
    return data[data.rindex(b"\xff\xda") :]


@pytest.fixture
def decoded_sizes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int]]]:
    """The sizes at which JPEGs are decoded (after DCT scaling), recorded as they happen."""
    sizes: list[tuple[int, int]] = []
    load = JpegImagePlugin.JpegImageFile.load

    def recording(self: JpegImagePlugin.JpegImageFile) -> object:
        if self.tile:
            sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", recording)
    yield sizes


# --- What a file is ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*PHOTOS, *VIDEOS])
def test_sniff_recognises_accepted_kinds(name: str) -> None:
    make, kind = {**PHOTOS, **VIDEOS}[name]
    assert media.sniff(make()) is kind


@pytest.mark.parametrize(
    "data",
    [
        samples.pdf(),
        b"",
        b"just some text, named photo.jpg",
        samples.video("avi", "mpeg4"),
        samples.video("matroska", "libx264"),
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00avifmif1",
        b"GIF89a\x01\x00\x01\x00",
    ],
    ids=["pdf", "empty", "text", "avi", "matroska", "wav", "avif", "gif"],
)
def test_sniff_refuses_everything_else(data: bytes) -> None:
    with pytest.raises(InvalidMedia):
        media.sniff(data)


def test_a_renamed_pdf_is_not_a_photo(store: MediaStore) -> None:
    with pytest.raises(InvalidMedia) as caught:
        media.process_photo(samples.pdf(), store)
    assert caught.value.field == "photos"
    assert not (store.root).exists()


# --- Photos -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PHOTOS)
def test_every_photo_format_gets_private_original_and_clean_derivatives(
    name: str, store: MediaStore
) -> None:
    make, kind = PHOTOS[name]
    data = make()
    photo = media.process_photo(data, store)
    assert isinstance(photo, StoredPhoto)
    assert (photo.kind, photo.mime) == ("image", kind.value)
    assert photo.original_path.startswith("private/originals/")
    assert photo.original_path.endswith("." + kind.extension)
    assert read(store, photo.original_path) == data
    display = assert_clean(read(store, photo.display_path))
    thumbnail = assert_clean(read(store, photo.thumbnail_path))
    assert display.size == (photo.width, photo.height)
    assert max(thumbnail.size) <= 320
    assert photo.gps is not None
    assert photo.taken_at == datetime(2025, 3, 14, 9, 26, 53, tzinfo=VN_TZ)


def test_transparent_png_is_flattened_on_white(store: MediaStore) -> None:
    photo = media.process_photo(samples.png(alpha=True), store)
    display = Image.open(io.BytesIO(store.path(photo.display_path).read_bytes()))
    assert display.mode == "RGB"
    top = display.getpixel((150, 1))  # alpha rises from 0 at the top (over the red band)
    assert isinstance(top, tuple)
    assert min(top) > 200


@pytest.mark.parametrize(
    "make",
    [
        lambda: samples.jpeg(exif=samples.exif_block(orientation=6)),
        lambda: samples.webp((640, 480), orientation=6),
        lambda: samples.heic((640, 480), orientation=6),
    ],
    ids=["jpeg", "webp", "heic"],
)
def test_orientation_6_comes_out_portrait(make: Callable[[], bytes], store: MediaStore) -> None:
    photo = media.process_photo(make(), store)
    assert (photo.width, photo.height) == (480, 640)
    display = Image.open(io.BytesIO(store.path(photo.display_path).read_bytes())).convert("RGB")
    assert display.size == (480, 640)
    assert Image.open(io.BytesIO(store.path(photo.thumbnail_path).read_bytes())).size == (240, 320)
    # The red band on top of the stored pixels ends up on the right: turned 90° clockwise.
    right, left = display.getpixel((470, 320)), display.getpixel((10, 320))
    assert isinstance(right, tuple) and isinstance(left, tuple)
    assert right[0] > 180 and right[1] < 80
    assert not (left[0] > 180 and left[1] < 80)


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        ((21.028511, 105.804817), (21.028511, 105.804817)),
        ((-33.8688, -151.2093), (-33.8688, -151.2093)),
        ((10.7769, -0.5), (10.7769, -0.5)),
        ((0.0, 0.0), None),
    ],
    ids=["north-east", "south-west", "north-west", "no-fix"],
)
def test_gps_is_read_with_the_right_sign(
    position: tuple[float, float], expected: tuple[float, float] | None, store: MediaStore
) -> None:
    data = samples.jpeg(exif=samples.exif_block(gps=position))
    gps = media.process_photo(data, store).gps
    if expected is None:
        assert gps is None
    else:
        assert gps == pytest.approx(expected, abs=1e-6)


def test_south_west_gps_from_webp(store: MediaStore) -> None:
    gps = media.process_photo(samples.webp(), store).gps
    assert gps == pytest.approx((-33.8688, -151.2093), abs=1e-6)


def test_photo_without_exif_has_no_facts(store: MediaStore) -> None:
    photo = media.process_photo(samples.jpeg(exif=Image.Exif()), store)
    assert (photo.gps, photo.taken_at) == (None, None)


@pytest.mark.parametrize(
    ("taken", "offset", "expected"),
    [
        ("2025:03:14 09:26:53", "+02:00", datetime(2025, 3, 14, 7, 26, 53, tzinfo=UTC)),
        ("2025:03:14 09:26:53", None, datetime(2025, 3, 14, 2, 26, 53, tzinfo=UTC)),
        ("2025:03:14 09:26:53", "junk", datetime(2025, 3, 14, 2, 26, 53, tzinfo=UTC)),
        ("    :  :     :  :  ", None, None),
        (None, None, None),
    ],
    ids=["offset", "naive-is-vietnam", "bad-offset", "blank", "absent"],
)
def test_capture_time(
    taken: str | None, offset: str | None, expected: datetime | None, store: MediaStore
) -> None:
    data = samples.jpeg(exif=samples.exif_block(taken=taken, offset=offset))
    taken_at = media.process_photo(data, store).taken_at
    assert taken_at == expected
    if taken_at is not None:
        assert taken_at.utcoffset() in (timedelta(hours=2), timedelta(hours=7))


def test_small_upright_jpeg_keeps_its_coded_pixels(
    store: MediaStore, decoded_sizes: list[tuple[int, int]]
) -> None:
    data = samples.jpeg((1600, 1200), quality=80)
    photo = media.process_photo(data, store)
    # Pillow decodes nothing: FFmpeg decodes the scans once, at 1/4 scale, for the thumbnail
    # (and to prove them whole), never the whole 1600x1200 image.
    assert decoded_sizes == []
    display = read(store, photo.display_path)
    assert scan(display) == scan(data)  # not re-encoded: only segments before the scan differ
    assert len(display) < len(data)
    assert b"ICC_PROFILE\0" in display  # the colour profile is kept
    assert_clean(display)
    assert Image.open(io.BytesIO(store.path(photo.thumbnail_path).read_bytes())).size == (320, 240)


def test_progressive_jpeg_also_takes_the_fast_path(store: MediaStore) -> None:
    data = samples.jpeg((800, 600), progressive=True)
    photo = media.process_photo(data, store)
    display = read(store, photo.display_path)
    assert display[display.index(b"\xff\xc2") :] == data[data.index(b"\xff\xc2") :]
    assert_clean(display)


def test_large_jpeg_is_decoded_once_at_a_reduced_scale(
    store: MediaStore, decoded_sizes: list[tuple[int, int]]
) -> None:
    photo = media.process_photo(samples.jpeg((4000, 3000), quality=70), store)
    assert decoded_sizes == [(2000, 1500)]  # DCT-scaled by 1/2, once, for both derivatives
    assert (photo.width, photo.height) == (4000, 3000)
    assert assert_clean(read(store, photo.display_path)).size == (1600, 1200)
    assert assert_clean(read(store, photo.thumbnail_path)).size == (320, 240)


def test_heavy_jpeg_is_reencoded_even_if_small_enough(store: MediaStore) -> None:
    data = samples.jpeg((800, 600), quality=100)
    display = read(store, media.process_photo(data, store).display_path)
    assert scan(display) != scan(data)
    assert len(display) < len(data) / 2


def test_data_after_the_image_is_dropped(store: MediaStore) -> None:
    motion_photo = samples.jpeg() + b"\x00\x00\x00\x18ftypmp42 MotionPhoto_Data " + b"x" * 500
    display = read(store, media.process_photo(motion_photo, store).display_path)
    assert display.endswith(b"\xff\xd9")
    assert b"MotionPhoto_Data" not in display


def test_grey_and_cmyk_jpegs(store: MediaStore) -> None:
    for mode in ("L", "CMYK"):
        out = io.BytesIO()
        samples.picture((200, 100)).convert(mode).save(out, "JPEG")
        photo = media.process_photo(out.getvalue(), store)
        assert assert_clean(read(store, photo.thumbnail_path)).mode in ("L", "RGB")


# --- Damaged and hostile photos ---------------------------------------------------------------


def test_truncated_images_are_refused(store: MediaStore) -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    for data in (
        samples.jpeg(),
        samples.jpeg((4000, 3000), quality=60),
        samples.jpeg(progressive=True),
        samples.png(),
        samples.webp(),
        samples.heic(),
    ):
        for keep in (0.3, 0.6, 0.95):
            with pytest.raises(InvalidMedia):
                media.process_photo(samples.truncated(data, keep), store)
    assert not store.root.exists()


@pytest.mark.parametrize(
    "make",
    [
        samples.jpeg,  # small: the fast path keeps its coded data without decoding it all
        lambda: samples.jpeg((4000, 3000), quality=60),  # decoded at a reduced scale
        lambda: samples.jpeg(progressive=True),
        lambda: samples.jpeg((2000, 1500), exif=samples.exif_block(orientation=6)),
    ],
    ids=["fast-path", "large", "progressive", "rotated"],
)
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_jpeg_cut_short_with_an_end_marker_is_refused(
    make: Callable[[], bytes], keep: float, store: MediaStore
) -> None:
    """libjpeg only warns on such a file and fills the missing part grey: that must not pass."""
    with pytest.raises(InvalidMedia) as caught:
        media.process_photo(samples.cut_with_end_marker(make(), keep), store)
    assert caught.value.detail == "The photo could not be read. It may be damaged or incomplete."
    assert not store.root.exists()


def test_photos_of_one_submission_share_a_pixel_budget() -> None:
    budget = PixelBudget(1_000_000)
    png = samples.png((800, 600))  # 0.48 MP each, decoded in full
    derive_photo(png, "PNG", max_pixels=50_000_000, field="photos", budget=budget)
    derive_photo(png, "PNG", max_pixels=50_000_000, field="photos", budget=budget)
    with pytest.raises(PayloadTooLarge) as caught:
        derive_photo(png, "PNG", max_pixels=50_000_000, field="photos", budget=budget)
    assert caught.value.field == "photos" and caught.value.params == {"megapixels": 1}
    # A large JPEG counts at the DCT scale it is decoded at, not at its full size.
    big = samples.jpeg((4000, 3000), quality=60)
    derive_photo(big, "JPEG", max_pixels=50_000_000, field="photos", budget=PixelBudget(4_000_000))


def _jpeg_with(segment: bytes) -> bytes:
    """A small JPEG with raw bytes put right after SOI."""
    data = samples.jpeg((64, 48), metadata=False)
    return data[:2] + segment + data[2:]


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff",
        b"\xff\xd8\xff\xe1\xff\xff" + b"\0" * 10,  # segment longer than the file
        _jpeg_with(b"\xff\xe1\x00\x01"),  # length below its own two bytes
        _jpeg_with(b"\xff\x02\x00\x04ab"),  # reserved marker
        _jpeg_with(b"\x00\x00"),  # not a marker where one must be
        samples.jpeg((64, 48))[:-2],  # no EOI
        samples.jpeg((64, 48)).replace(b"\xff\xc0", b"\xff\xfe", 1),  # no frame header
        b"\xff\xd8\xff\xdb\x00\x04\x00\x00\xff\xd9",  # tables but no frame or scan
        samples.jpeg_bomb(0, 48),  # zero width
    ],
    ids=["bare", "overrun", "short", "reserved", "garbage", "no-eoi", "no-sof", "no-scan", "empty"],
)
def test_malformed_jpeg_structure_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidMedia):
        derive_photo(data, "JPEG", max_pixels=50_000_000, field="photos")


def test_second_frame_header_is_refused() -> None:
    data = samples.jpeg((64, 48), metadata=False)
    start = data.index(b"\xff\xc0")
    end = start + 2 + int.from_bytes(data[start + 2 : start + 4], "big")
    with pytest.raises(InvalidMedia):
        parse_jpeg(data[:end] + data[start:], "photos")


_FUZZ_BASE = samples.jpeg((64, 48), quality=75)


@pytest.mark.filterwarnings("ignore:.*EXIF:UserWarning", "ignore:Tag data:UserWarning")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, len(_FUZZ_BASE) - 1), st.integers(0, 255)), max_size=8),
    cut=st.integers(2, len(_FUZZ_BASE)),
)
def test_damaged_jpeg_is_refused_or_still_valid(edits: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_FUZZ_BASE[:cut])
    for position, value in edits:
        if position < len(data):
            data[position] = value
    try:
        photo = derive_photo(bytes(data), "JPEG", max_pixels=50_000_000, field="photos")
    except InvalidMedia:
        return
    for derivative in (photo.display, photo.thumbnail):
        Image.open(io.BytesIO(derivative)).load()
        assert b"Exif\0\0" not in derivative


@pytest.mark.parametrize("data", [samples.png_bomb(), samples.jpeg_bomb()], ids=["png", "jpeg"])
def test_decompression_bombs_are_refused_before_decoding(data: bytes, store: MediaStore) -> None:
    with pytest.raises(InvalidMedia) as caught:
        media.process_photo(data, store)
    assert caught.value.params == {"megapixels": 50}


def test_pixel_limit_is_a_parameter(store: MediaStore) -> None:
    with pytest.raises(InvalidMedia):
        media.process_photo(samples.jpeg(), store, limits=MediaLimits(pixels=100_000))


def test_photo_over_15_mb_is_too_large(store: MediaStore) -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        media.process_photo(b"\xff\xd8\xff" + bytes(15 * 1024 * 1024), store)
    assert caught.value.params == {"megabytes": 15}
    with pytest.raises(PayloadTooLarge):
        media.process_photo(samples.jpeg(), store, limits=MediaLimits(photo_bytes=10_000))


def test_a_video_is_not_a_photo(store: MediaStore) -> None:
    with pytest.raises(InvalidMedia):
        media.process_photo(samples.video(), store)


# --- Videos -----------------------------------------------------------------------------------


def test_a_faststart_mp4_is_accepted(store: MediaStore) -> None:
    video = media.process_video(samples.faststart_mp4(), store)
    assert video.duration_s == pytest.approx(3.0, abs=0.3)


@pytest.mark.parametrize("name", VIDEOS)
def test_every_video_container_is_probed_and_stored(name: str, store: MediaStore) -> None:
    make, kind = VIDEOS[name]
    data = make()
    video = media.process_video(data, store)
    assert isinstance(video, StoredVideo)
    assert (video.kind, video.mime) == ("video", kind.value)
    assert video.duration_s == pytest.approx(3.0, abs=0.3)
    assert (video.width, video.height) == (32, 24)
    assert video.original_path.startswith("private/originals/")
    assert video.original_path.endswith("." + kind.extension)
    assert read(store, video.original_path) == data
    assert assert_clean(read(store, video.display_path)).size == (32, 24)
    assert_clean(read(store, video.thumbnail_path))


def test_video_from_a_file_is_stored_like_from_bytes(tmp_path: Path, store: MediaStore) -> None:
    data = samples.video()
    upload = tmp_path / "upload.bin"
    upload.write_bytes(data)
    from_file = media.process_video(upload, store)
    assert from_file == media.process_video(data, store)
    assert read(store, from_file.original_path) == data


def test_poster_is_the_keyframe_about_one_second_in(store: MediaStore) -> None:
    data = samples.video(fps=4, seconds=3, gop=4)  # x264 puts keyframes every 0.75 s or so
    poster = Image.open(
        io.BytesIO(store.path(media.process_video(data, store).display_path).read_bytes())
    )
    red = poster.convert("RGB").getpixel((16, 12))
    assert isinstance(red, tuple)
    # Frame i has red 10 * i: the poster is a frame from 1 s on (i >= 4), and not far past it.
    assert 35 <= red[0] <= 70


def test_poster_of_a_portrait_phone_video_is_upright(store: MediaStore) -> None:
    video = media.process_video(samples.rotated_mp4((32, 16)), store)
    assert (video.width, video.height) == (16, 32)
    poster = Image.open(io.BytesIO(store.path(video.display_path).read_bytes())).convert("RGB")
    right, left = poster.getpixel((14, 16)), poster.getpixel((1, 16))
    assert isinstance(right, tuple) and isinstance(left, tuple)
    assert right[0] > 150 and left[0] < right[0]  # the red top band turned to the right


def test_video_over_60_seconds_is_refused_with_its_length(store: MediaStore) -> None:
    data = samples.video(seconds=61, fps=2, size=(16, 16))
    with pytest.raises(InvalidMedia) as caught:
        media.process_video(data, store)
    assert caught.value.field == "videos"
    assert caught.value.params == {"seconds": 61, "limit": 60}
    assert "61 seconds" in str(caught.value)
    assert not store.root.exists()


def test_video_limits_are_parameters(store: MediaStore) -> None:
    with pytest.raises(InvalidMedia):
        media.process_video(samples.video(seconds=3), store, limits=MediaLimits(video_seconds=2))
    with pytest.raises(PayloadTooLarge) as caught:
        media.process_video(samples.video(), store, limits=MediaLimits(video_bytes=1000))
    assert caught.value.status == 413


_FUZZ_VIDEOS = {"mp4": samples.video(), "webm": samples.video("webm", "libvpx")}


@settings(max_examples=150, deadline=None)
@given(
    demuxer=st.sampled_from(sorted(_FUZZ_VIDEOS)),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=6),
    keep=st.floats(0.05, 1),
)
def test_damaged_video_is_refused_or_probed(
    demuxer: str, edits: list[tuple[float, int]], keep: float
) -> None:
    data = bytearray(samples.truncated(_FUZZ_VIDEOS[demuxer], keep))
    for where, value in edits:
        data[int(where * len(data))] = value
    try:
        facts = probe_video(
            bytes(data), demuxer, max_seconds=60, max_pixels=50_000_000, field="videos"
        )
    except InvalidMedia:
        return
    assert facts.poster.mode == "RGB"


@pytest.mark.parametrize(
    "data",
    [
        samples.video("avi", "mpeg4"),
        samples.video("matroska", "libx264"),
        samples.audio_only_mp4(),
        samples.video()[:48] + bytes(2000),
        samples.truncated(samples.video("webm", "libvpx"), 0.3),
        samples.jpeg(),
        samples.mp4_claiming(),
        samples.mp4_claiming(mdat=True, sample=False),
        samples.mp4_claiming(mdat=False, sample=True),
        samples.truncated(samples.faststart_mp4(), 0.8),
        samples.webm_claiming(),
    ],
    ids=[
        "avi",
        "matroska",
        "audio-only",
        "garbage-after-ftyp",
        "truncated-webm",
        "photo",
        "mp4-claims-2-gb",
        "mdat-claims-2-gb",
        "sample-claims-2-gb",
        "faststart-mp4-cut-short",
        "webm-segment-claims-2-gb",
    ],
)
def test_unacceptable_videos_are_refused(data: bytes, store: MediaStore) -> None:
    with pytest.raises(InvalidMedia):
        media.process_video(data, store)
    assert not store.root.exists()


# --- Dispatch -----------------------------------------------------------------------------------


def test_process_media_follows_the_content(tmp_path: Path, store: MediaStore) -> None:
    named_jpg = tmp_path / "clip.jpg"
    named_jpg.write_bytes(samples.video())
    assert isinstance(media.process_media(named_jpg, store), StoredVideo)
    assert isinstance(media.process_media(samples.png(), store), StoredPhoto)
    named_mp4 = tmp_path / "photo.mp4"
    named_mp4.write_bytes(samples.heic())
    assert isinstance(media.process_media(named_mp4, store), StoredPhoto)
    with pytest.raises(PayloadTooLarge):
        media.process_media(named_mp4, store, limits=MediaLimits(photo_bytes=100))


# --- Storage ------------------------------------------------------------------------------------


def all_files(root: Path) -> list[Path]:
    """Every file under a directory."""
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_files_are_sharded_by_content_hash_with_no_temporaries(store: MediaStore) -> None:
    photo = media.process_photo(samples.jpeg(), store)
    digest = photo.sha256
    assert photo.original_path == f"private/originals/{digest[:2]}/{digest[2:4]}/{digest}.jpg"
    files = all_files(store.root)
    assert len(files) == 3
    assert not [path for path in store.root.rglob(".*")]
    assert stat.S_IMODE(store.path(photo.original_path).stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path(photo.display_path).stat().st_mode) == 0o644


def test_public_subtree_holds_only_metadata_free_files(store: MediaStore) -> None:
    for make, _ in (*PHOTOS.values(), *VIDEOS.values()):
        media.process_media(make(), store)
    public = all_files(store.root / "public")
    assert len(public) >= 2 * (len(PHOTOS) + len(VIDEOS)) - 2  # MP4 and MOV share a poster
    for path in public:
        assert_clean(path.read_bytes())


def test_same_content_twice_gets_the_same_names(store: MediaStore, tmp_path: Path) -> None:
    data = samples.jpeg()
    first = media.process_photo(data, store)
    assert len(store.written) == 3
    again = MediaStore(store.root)
    assert media.process_photo(data, again) == first
    assert again.written == ()
    assert len(all_files(store.root)) == 3


def test_preparing_writes_nothing(store: MediaStore) -> None:
    photo = media.prepare_photo(samples.jpeg())
    video = media.prepare_video(samples.video())
    assert not store.root.exists()
    stored = photo.store(store), video.store(store)
    assert len(all_files(store.root)) == 6
    assert {s.original_path for s in stored} <= set(store.written)


def test_reusing_a_file_restarts_its_grace_period(store: MediaStore) -> None:
    """A stray about to be referred to again must look new to the sweep of unreferenced files."""
    data = samples.jpeg()
    media.process_photo(data, store)
    paths = [store.path(relative) for relative in store.written]
    for path in paths:
        os.utime(path, (1_000_000, 1_000_000))
    media.process_photo(data, MediaStore(store.root))
    now = datetime.now(UTC).timestamp()
    assert all(now - path.stat().st_mtime < 60 for path in paths)


def test_nothing_removes_files_once_written(store: MediaStore) -> None:
    """Two submissions share a photo; the one that wrote it fails: the file stays for the other."""
    data = samples.jpeg()
    failing, succeeding = MediaStore(store.root), MediaStore(store.root)
    with pytest.raises(RuntimeError):
        media.process_photo(data, failing)
        raise RuntimeError("the report could not be saved")
    stored = media.process_photo(data, succeeding)
    assert succeeding.written == ()
    for path in (stored.original_path, stored.display_path, stored.thumbnail_path):
        assert store.path(path).is_file()


def test_failed_write_leaves_neither_file_nor_temporary(
    store: MediaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.write(b"some bytes", media.Area.DISPLAY, "jpg")
    assert all_files(store.root) == []
    assert store.written == ()


def test_store_paths_refuse_anything_but_store_names(store: MediaStore) -> None:
    for bad in ("../etc/passwd", "public/display/ab/cd/x.jpg", "private/originals/../../x"):
        with pytest.raises(ValueError):
            store.path(bad)
