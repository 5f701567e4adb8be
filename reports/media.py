"""Media of reports: what a file is, checking it, and storing the original and its derivatives.

Pure functions over bytes and files; no database. The type of a file is decided from its content
(never its name or the client's content type): JPEG, PNG, WebP and HEIC/HEIF photos; MP4,
QuickTime and WebM videos. Everything else is ``InvalidMedia``.

Storage is content-addressed under one media root::

    private/originals/ab/cd/abcd…64 hex….jpg   the upload as sent (EXIF, GPS and all)
    public/display/ab/cd/….jpg                  metadata-free, long side ≤ 1600 px
    public/thumbnails/ab/cd/….jpg               metadata-free, long side ≤ 320 px

Only ``process_photo`` and ``process_video`` write to ``public/``, and only derivatives that carry
no metadata (videos: their poster frame; the video itself is never public). Each file is named by
the SHA-256 of its own bytes, so a public name says nothing about the private original.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final, Literal, NamedTuple, Self

from ioc.errors import InvalidMedia, PayloadTooLarge
from ioc.i18n import N_
from reports.media_image import derive_photo, encode_derivatives
from reports.media_video import probe_video

MB: Final = 1024 * 1024
_SNIFF_BYTES: Final = 256
_HEIC_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_HEIF_BRANDS: Final = frozenset({b"mif1", b"msf1"})
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})  # no AV1 decoder in our libheif
_STORED_NAME: Final = re.compile(
    r"(private/originals|public/display|public/thumbnails)"
    r"/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{2,4}"
)


class MediaKind(StrEnum):
    """A file type we accept; the value is its MIME type."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    HEIC = "image/heic"
    HEIF = "image/heif"
    MP4 = "video/mp4"
    MOV = "video/quicktime"
    WEBM = "video/webm"

    @property
    def is_video(self) -> bool:
        """Whether this is a video type."""
        return self.value.startswith("video/")

    @property
    def extension(self) -> str:
        """The file name extension of stored originals."""
        return _TRAITS[self][0]

    @property
    def decoder(self) -> str:
        """The Pillow plugin (photos) or FFmpeg demuxer (videos) that reads it."""
        return _TRAITS[self][1]


_TRAITS: Final = {
    MediaKind.JPEG: ("jpg", "JPEG"),
    MediaKind.PNG: ("png", "PNG"),
    MediaKind.WEBP: ("webp", "WEBP"),
    MediaKind.HEIC: ("heic", "HEIF"),
    MediaKind.HEIF: ("heif", "HEIF"),
    MediaKind.MP4: ("mp4", "mp4"),
    MediaKind.MOV: ("mov", "mov"),
    MediaKind.WEBM: ("webm", "webm"),
}


class Area(StrEnum):
    """Where a stored file lives under the media root."""

    ORIGINALS = "private/originals"
    DISPLAY = "public/display"
    THUMBNAILS = "public/thumbnails"


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """Upload limits; pass your own (from settings) to change them."""

    photo_bytes: int = 15 * MB
    video_bytes: int = 50 * MB
    video_seconds: int = 60
    pixels: int = 50_000_000  # photos and video frames; a bomb claims far more


DEFAULT_LIMITS: Final = MediaLimits()


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    """A stored photo: paths are relative to the media root; width and height are upright."""

    sha256: str
    mime: str
    width: int
    height: int
    original_path: str
    display_path: str
    thumbnail_path: str
    gps: tuple[float, float] | None
    taken_at: datetime | None
    kind: Literal["image"] = "image"


@dataclass(frozen=True, slots=True)
class StoredVideo:
    """A stored video: display and thumbnail are JPEGs of its poster frame (upright size)."""

    sha256: str
    mime: str
    width: int
    height: int
    duration_s: float
    original_path: str
    display_path: str
    thumbnail_path: str
    kind: Literal["video"] = "video"


class StoredFile(NamedTuple):
    """A file in the store: the SHA-256 of its bytes and its path relative to the root."""

    sha256: str
    path: str


def sniff(data: bytes, *, field: str = "media") -> MediaKind:
    """The kind of a file from its first bytes; anything we do not accept is InvalidMedia."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(b"\xff\xd8\xff"):
        return MediaKind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaKind.PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaKind.WEBP
    if head[4:8] == b"ftyp" and (kind := _iso_kind(head)) is not None:
        return kind
    if head.startswith(b"\x1a\x45\xdf\xa3") and _ebml_doctype(head) == b"webm":
        return MediaKind.WEBM
    raise InvalidMedia(field=field)


def _iso_kind(head: bytes) -> MediaKind | None:
    """HEIC/HEIF, QuickTime or MP4 from the brands of an ISO base media ``ftyp`` box."""
    size = int.from_bytes(head[:4], "big")
    if size < 16:
        return None
    box = head[8 : min(size, len(head))]
    brands = {box[:4]} | {box[i : i + 4] for i in range(8, len(box) - 3, 4)}
    if brands & _AVIF_BRANDS:
        return None
    if brands & _HEIC_BRANDS:
        return MediaKind.HEIC
    if brands & _HEIF_BRANDS:
        return MediaKind.HEIF
    return MediaKind.MOV if box[:4] == b"qt  " else MediaKind.MP4


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType ("webm", "matroska") of an EBML header, if it has a one-byte size."""
    found = head.find(b"\x42\x82", 4, 64)
    if found < 0 or found + 3 > len(head) or not head[found + 2] & 0x80:
        return None
    return head[found + 3 : found + 3 + (head[found + 2] & 0x7F)]


# Use one MediaStore per submission. ``rollback()`` removes the files this store created (not
# those that already existed with the same content); ``commit()`` keeps them. As a context manager
# it rolls back when the block raises and commits otherwise. A file two concurrent submissions share
# is created by the first: if that one rolls back while the second commits, the file goes too, so a
# periodic sweep of files no report refers to remains the last word on orphans.
class MediaStore:
    """Content-addressed files under a media root, and the undo list of one submission."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._created: list[Path] = []

    @property
    def created(self) -> tuple[str, ...]:
        """Paths (relative to the root) of the files this store created and has not settled."""
        return tuple(path.relative_to(self.root).as_posix() for path in self._created)

    def write(self, data: bytes, area: Area, extension: str) -> StoredFile:
        """Store bytes under their SHA-256; an identical file already stored is reused."""
        digest = hashlib.sha256(data).hexdigest()
        return self._put(digest, area, extension, lambda out: out.write(data))

    def write_file(self, source: Path, area: Area, extension: str) -> StoredFile:
        """Store a copy of a file (such as a spooled video upload) under its SHA-256."""
        with source.open("rb") as stream:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()

        def copy(out: BinaryIO) -> None:
            with source.open("rb") as stream:
                shutil.copyfileobj(stream, out, MB)

        return self._put(digest, area, extension, copy)

    def path(self, relative: str) -> Path:
        """The absolute path of a stored file; refuses anything that is not a store name."""
        if not _STORED_NAME.fullmatch(relative):
            raise ValueError(f"not a stored media path: {relative!r}")
        return self.root / relative

    def rollback(self) -> None:
        """Remove the files this store created."""
        while self._created:
            with contextlib.suppress(FileNotFoundError):
                self._created.pop().unlink()

    def commit(self) -> None:
        """Keep the files this store created: forget them."""
        self._created.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.rollback()

    def _put(
        self, digest: str, area: Area, extension: str, fill: Callable[[BinaryIO], object]
    ) -> StoredFile:
        """Write a file atomically at its content address unless it is already there."""
        relative = f"{area}/{digest[:2]}/{digest[2:4]}/{digest}.{extension}"
        final = self.path(relative)
        if not final.exists():
            private = area is Area.ORIGINALS
            _make_dirs(final.parent, 0o700 if private else 0o755)
            _write_atomic(final, fill, 0o600 if private else 0o644)
            self._created.append(final)
        return StoredFile(digest, relative)


def _make_dirs(directory: Path, mode: int) -> None:
    """Create missing directories, each made durable in its parent."""
    missing: list[Path] = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=mode)
        except FileExistsError:
            continue  # a concurrent upload made it
        _fsync_dir(path.parent)


def _write_atomic(final: Path, fill: Callable[[BinaryIO], object], mode: int) -> None:
    """Write through a temporary file in the same directory: readers see all of it or nothing."""
    fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            fill(out)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(temporary, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_dir(final.parent)


def _fsync_dir(directory: Path) -> None:
    """Make a directory's entries (a rename, a new file) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def process_photo(
    data: bytes,
    store: MediaStore,
    *,
    limits: MediaLimits = DEFAULT_LIMITS,
    field: str = "photos",
) -> StoredPhoto:
    """Check a photo, read its GPS and time, store the private original and public derivatives."""
    if len(data) > limits.photo_bytes:
        raise _photo_too_large(limits, field)
    kind = sniff(data, field=field)
    if kind.is_video:
        raise InvalidMedia(field=field)
    # Everything is checked and derived before the first write: a bad photo leaves no file.
    photo = derive_photo(data, kind.decoder, max_pixels=limits.pixels, field=field)
    original = store.write(data, Area.ORIGINALS, kind.extension)
    display = store.write(photo.display, Area.DISPLAY, "jpg")
    thumbnail = store.write(photo.thumbnail, Area.THUMBNAILS, "jpg")
    return StoredPhoto(
        sha256=original.sha256,
        mime=kind.value,
        width=photo.width,
        height=photo.height,
        original_path=original.path,
        display_path=display.path,
        thumbnail_path=thumbnail.path,
        gps=photo.gps,
        taken_at=photo.taken_at,
    )


def process_video(
    source: Path | bytes,
    store: MediaStore,
    *,
    limits: MediaLimits = DEFAULT_LIMITS,
    field: str = "videos",
) -> StoredVideo:
    """Check a video (size, container, duration), store it privately and its poster publicly."""
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > limits.video_bytes:
        raise PayloadTooLarge(
            N_("A video may be at most %(megabytes)s MB."),
            field=field,
            megabytes=limits.video_bytes // MB,
        )
    kind = sniff(_head(source), field=field)
    if not kind.is_video:
        raise InvalidMedia(field=field)
    facts = probe_video(
        source,
        kind.decoder,
        max_seconds=limits.video_seconds,
        max_pixels=limits.pixels,
        field=field,
    )
    poster_display, poster_thumbnail = encode_derivatives(facts.poster)
    if isinstance(source, bytes):
        original = store.write(source, Area.ORIGINALS, kind.extension)
    else:
        original = store.write_file(source, Area.ORIGINALS, kind.extension)
    display = store.write(poster_display, Area.DISPLAY, "jpg")
    thumbnail = store.write(poster_thumbnail, Area.THUMBNAILS, "jpg")
    return StoredVideo(
        sha256=original.sha256,
        mime=kind.value,
        width=facts.poster.width,
        height=facts.poster.height,
        duration_s=facts.duration_s,
        original_path=original.path,
        display_path=display.path,
        thumbnail_path=thumbnail.path,
    )


def process_media(
    source: Path | bytes,
    store: MediaStore,
    *,
    limits: MediaLimits = DEFAULT_LIMITS,
    field: str = "media",
) -> StoredPhoto | StoredVideo:
    """Process an upload that may be a photo or a video, as its content says."""
    if sniff(_head(source), field=field).is_video:
        return process_video(source, store, limits=limits, field=field)
    if isinstance(source, Path):
        if source.stat().st_size > limits.photo_bytes:  # refuse before reading it into memory
            raise _photo_too_large(limits, field)
        source = source.read_bytes()
    return process_photo(source, store, limits=limits, field=field)


def _photo_too_large(limits: MediaLimits, field: str) -> PayloadTooLarge:
    """The error for a photo over the size limit."""
    return PayloadTooLarge(
        N_("A photo may be at most %(megabytes)s MB."),
        field=field,
        megabytes=limits.photo_bytes // MB,
    )


def _head(source: Path | bytes) -> bytes:
    """The first bytes of an upload, enough to sniff it."""
    if isinstance(source, bytes):
        return source[:_SNIFF_BYTES]
    with source.open("rb") as stream:
        return stream.read(_SNIFF_BYTES)
