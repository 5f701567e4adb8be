"""Media of reports: what a file is, checking it, and storing the original and its derivatives.

Pure functions over bytes and files; no database. The type of a file is decided from its content
(never its name or the client's content type): JPEG, PNG, WebP and HEIC/HEIF photos; MP4,
QuickTime and WebM videos. Everything else is ``InvalidMedia``.

Storage is content-addressed under one media root::

    private/originals/ab/cd/abcd…64 hex….jpg   the upload as sent (EXIF, GPS and all)
    public/display/ab/cd/….jpg                  metadata-free, long side ≤ 1600 px
    public/thumbnails/ab/cd/….jpg               metadata-free, long side ≤ 320 px
    public/videos/ab/cd/….mp4 (or .webm)        a video's metadata-free copy (``remux``)

Only ``PreparedPhoto.store``, ``PreparedVideo.store`` and ``reports.media.remux`` write to
``public/``, and only derivatives that carry no metadata (videos: their poster frame at upload, and
a checked remux of the video made afterwards by a job; the original is never public). Each file is
named by the SHA-256 of its own bytes, so a public name says nothing about the private original.

Write, then reference; never delete on failure
-----------------------------------------------
A file exists for as long as a committed row may refer to it, and a request never deletes one:

1. ``prepare_photo``/``prepare_video`` check and decode everything in memory; the intake then runs
   every other check (category, place, routing) before ``store`` writes the first file. A request
   refused for bad input therefore leaves no file, with nothing to undo.
2. Files are written through a temporary file in the same directory, fsynced, then renamed into
   place: a reader (or a concurrent writer of the same content) sees all of a file or nothing.
3. The rows that refer to the files are inserted and committed after the files are durable.
4. If anything fails after the first write (a lost race for an Idempotency-Key, a database
   error, a crash), the files stay. They may not be ours alone to delete: content addressing
   means that a concurrent request with the same photo (the retry a weak 3G link produces) may
   have found the file already there and be about to commit its own row pointing at it. Checking
   "no committed row refers to it and I created it" before deleting does not help, because that
   other request's row is not committed yet; only a lock that every writer takes from its
   existence check to its commit would, and the sweep below makes that unnecessary.
5. A periodic sweep (run by the job queue) removes files that no ``report_media`` row refers to
   (``original_path``, ``display_path``, ``thumbnail_path``, ``video_path``) and whose
   modification time is older than a grace period. A writer that finds its file already there
   sets the file's time to now (``_refresh``), so a stray about to be reused by an in-flight
   request is not swept from under it; the grace period must exceed the longest a request takes
   from writing to committing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, BinaryIO, Final, Literal, NamedTuple

from ioc.errors import InvalidMedia, PayloadTooLarge
from ioc.i18n import N_
from reports.media.image import Photo, PixelBudget, derive_photo, encode_derivatives
from reports.media.source import SNIFF_BYTES, Source, head_of, read_all, sha256_of, size_of
from reports.media.video import probe_video

MB: Final = 1024 * 1024
_HEIC_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_HEIF_BRANDS: Final = frozenset({b"mif1", b"msf1"})
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})  # no AV1 decoder in our libheif
_STORED_NAME: Final = re.compile(
    r"(private/originals|public/display|public/thumbnails|public/videos)"
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
    VIDEOS = "public/videos"


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """Upload limits; pass your own (from settings) to change them."""

    photo_bytes: int = 15 * MB
    video_bytes: int = 50 * MB
    video_seconds: int = 60
    pixels: int = 50_000_000  # photos and video frames; a bomb claims far more
    # What the photos of one submission may decode in all (five 24 MP phone photos fit).
    request_pixels: int = 150_000_000


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
    head = data[:SNIFF_BYTES]
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


class MediaStore:
    """Content-addressed files under a media root: written before a row refers to them, never
    removed here (the module docstring says why)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._written: list[str] = []

    @property
    def written(self) -> tuple[str, ...]:
        """Paths (relative to the root) of the files this store wrote (not those it found)."""
        return tuple(self._written)

    def write(self, data: bytes, area: Area, extension: str) -> StoredFile:
        """Store bytes under their SHA-256; an identical file already stored is reused."""
        digest = hashlib.sha256(data).hexdigest()
        return self._put(digest, area, extension, lambda out: out.write(data))

    def write_source(self, source: Source, area: Area, extension: str) -> StoredFile:
        """Store a copy of an upload (bytes, a file, a spooled upload) under its SHA-256."""
        if isinstance(source, bytes):
            return self.write(source, area, extension)
        with _opened(source) as stream:
            digest = sha256_of(stream)

        def copy(out: BinaryIO) -> None:
            with _opened(source) as stream:
                shutil.copyfileobj(stream, out, MB)

        return self._put(digest, area, extension, copy)

    def write_file(self, source: Path, area: Area, extension: str) -> StoredFile:
        """Store a copy of a file (such as a spooled video upload) under its SHA-256."""
        return self.write_source(source, area, extension)

    def adopt(self, made: Path, area: Area, extension: str) -> StoredFile:
        """Move a file made in a directory under the root (one file system) to its content
        address; if that content is stored already, the made file is left to its maker."""
        with made.open("rb") as stream:
            digest = sha256_of(stream)
        relative = f"{area}/{digest[:2]}/{digest[2:4]}/{digest}.{extension}"
        final = self.path(relative)
        if not _refresh(final):
            _make_dirs(final.parent, 0o700 if area is Area.ORIGINALS else 0o755)
            with made.open("rb") as stream:
                os.fchmod(stream.fileno(), 0o600 if area is Area.ORIGINALS else 0o644)
                os.fsync(stream.fileno())
            os.replace(made, final)
            _fsync_dir(final.parent)
            self._written.append(relative)
        return StoredFile(digest, relative)

    def path(self, relative: str) -> Path:
        """The absolute path of a stored file; refuses anything that is not a store name."""
        if not _STORED_NAME.fullmatch(relative):
            raise ValueError(f"not a stored media path: {relative!r}")
        return self.root / relative

    def _put(
        self, digest: str, area: Area, extension: str, fill: Callable[[BinaryIO], object]
    ) -> StoredFile:
        """Write a file atomically at its content address unless it is already there."""
        relative = f"{area}/{digest[:2]}/{digest[2:4]}/{digest}.{extension}"
        final = self.path(relative)
        if not _refresh(final):
            private = area is Area.ORIGINALS
            _make_dirs(final.parent, 0o700 if private else 0o755)
            _write_atomic(final, fill, 0o600 if private else 0o644)
            self._written.append(relative)
        return StoredFile(digest, relative)


@contextlib.contextmanager
def _opened(source: Path | IO[bytes]) -> Iterator[IO[bytes]]:
    """A file object at the start of the upload (a file is opened and closed again)."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            yield stream
    else:
        source.seek(0)
        yield source


def _refresh(final: Path) -> bool:
    """Whether the file is there; if so its time is set to now, restarting the sweep's grace."""
    try:
        os.utime(final)
    except FileNotFoundError:
        return False
    return True


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


@dataclass(frozen=True, slots=True)
class PreparedPhoto:
    """A checked photo and its derivatives in memory: nothing is written yet."""

    source: Source
    kind: MediaKind
    photo: Photo

    def store(self, store: MediaStore) -> StoredPhoto:
        """Write the private original and the public derivatives."""
        original = store.write_source(self.source, Area.ORIGINALS, self.kind.extension)
        display = store.write(self.photo.display, Area.DISPLAY, "jpg")
        thumbnail = store.write(self.photo.thumbnail, Area.THUMBNAILS, "jpg")
        return StoredPhoto(
            sha256=original.sha256,
            mime=self.kind.value,
            width=self.photo.width,
            height=self.photo.height,
            original_path=original.path,
            display_path=display.path,
            thumbnail_path=thumbnail.path,
            gps=self.photo.gps,
            taken_at=self.photo.taken_at,
        )


@dataclass(frozen=True, slots=True)
class PreparedVideo:
    """A checked video, its duration and its poster's derivatives: nothing is written yet."""

    source: Source
    kind: MediaKind
    width: int
    height: int
    duration_s: float
    display: bytes
    thumbnail: bytes

    def store(self, store: MediaStore) -> StoredVideo:
        """Write the private original and the poster's public derivatives."""
        original = store.write_source(self.source, Area.ORIGINALS, self.kind.extension)
        display = store.write(self.display, Area.DISPLAY, "jpg")
        thumbnail = store.write(self.thumbnail, Area.THUMBNAILS, "jpg")
        return StoredVideo(
            sha256=original.sha256,
            mime=self.kind.value,
            width=self.width,
            height=self.height,
            duration_s=self.duration_s,
            original_path=original.path,
            display_path=display.path,
            thumbnail_path=thumbnail.path,
        )


Prepared = PreparedPhoto | PreparedVideo


def prepare_photo(
    source: Source,
    *,
    limits: MediaLimits = DEFAULT_LIMITS,
    field: str = "photos",
    budget: PixelBudget | None = None,
) -> PreparedPhoto:
    """Check a photo, read its GPS and time, and make its public derivatives in memory."""
    if size_of(source) > limits.photo_bytes:  # refused before it is read into memory
        raise _photo_too_large(limits, field)
    kind = sniff(head_of(source), field=field)
    if kind.is_video:
        raise InvalidMedia(field=field)
    photo = derive_photo(
        read_all(source), kind.decoder, max_pixels=limits.pixels, field=field, budget=budget
    )
    return PreparedPhoto(source, kind, photo)


def prepare_video(
    source: Source, *, limits: MediaLimits = DEFAULT_LIMITS, field: str = "videos"
) -> PreparedVideo:
    """Check a video (size, container, duration) and make its poster's derivatives in memory."""
    if size_of(source) > limits.video_bytes:
        raise PayloadTooLarge(
            N_("A video may be at most %(megabytes)s MB."),
            field=field,
            megabytes=limits.video_bytes // MB,
        )
    kind = sniff(head_of(source), field=field)
    if not kind.is_video:
        raise InvalidMedia(field=field)
    facts = probe_video(
        source,
        kind.decoder,
        max_seconds=limits.video_seconds,
        max_pixels=limits.pixels,
        field=field,
    )
    display, thumbnail = encode_derivatives(facts.poster)
    return PreparedVideo(
        source=source,
        kind=kind,
        width=facts.poster.width,
        height=facts.poster.height,
        duration_s=facts.duration_s,
        display=display,
        thumbnail=thumbnail,
    )


def prepare_media(
    source: Source, *, limits: MediaLimits = DEFAULT_LIMITS, field: str = "media"
) -> Prepared:
    """Prepare an upload that may be a photo or a video, as its content says."""
    if sniff(head_of(source), field=field).is_video:
        return prepare_video(source, limits=limits, field=field)
    return prepare_photo(source, limits=limits, field=field)


def process_photo(
    data: Source,
    store: MediaStore,
    *,
    limits: MediaLimits = DEFAULT_LIMITS,
    field: str = "photos",
) -> StoredPhoto:
    """Check a photo and store it: everything is checked before the first write."""
    return prepare_photo(data, limits=limits, field=field).store(store)


def process_video(
    source: Source,
    store: MediaStore,
    *,
    limits: MediaLimits = DEFAULT_LIMITS,
    field: str = "videos",
) -> StoredVideo:
    """Check a video and store it privately, and its poster publicly."""
    return prepare_video(source, limits=limits, field=field).store(store)


def process_media(
    source: Source,
    store: MediaStore,
    *,
    limits: MediaLimits = DEFAULT_LIMITS,
    field: str = "media",
) -> StoredPhoto | StoredVideo:
    """Process an upload that may be a photo or a video, as its content says."""
    return prepare_media(source, limits=limits, field=field).store(store)


def _photo_too_large(limits: MediaLimits, field: str) -> PayloadTooLarge:
    """The error for a photo over the size limit."""
    return PayloadTooLarge(
        N_("A photo may be at most %(megabytes)s MB."),
        field=field,
        megabytes=limits.photo_bytes // MB,
    )
