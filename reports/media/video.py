"""Videos: duration, size and a poster frame, probed with PyAV (FFmpeg).

Videos are kept as uploaded, privately: the container carries GPS (MP4/QuickTime ``udta`` and
``meta`` atoms, Matroska tags) and device names. At upload, what is public is the poster frame, as
metadata-free JPEGs made like photo derivatives; a job then makes the video's public copy, a remux
with no metadata (``reports.media.remux``, ``reports.media.videos``).

The demuxer is the one the content was sniffed as (never FFmpeg's own probing, which knows
playlist formats that can reach for other files), and every packet of the video stream is read, so
the duration checked is the one the stream covers, not only what its header claims.

A container's declared sizes must fit the file: FFmpeg quietly stops at the end of the data, so a
2 KB MP4 whose ``moov`` describes 2 GB of samples would otherwise play as its header says. The
top-level boxes (MP4, QuickTime) or the Segment (WebM) must end within the file, every packet must
lie within it, and a stream that declares its frame count must deliver that many packets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import av
from PIL import Image

from ioc.errors import InvalidMedia
from ioc.i18n import N_
from reports.media.source import Source, read_at, readable, size_of

POSTER_SECONDS: Final = 1.0
# Containers round durations (audio priming, edit lists): a "60 s" recording may measure 60.04 s.
GRACE_SECONDS: Final = 0.5
# A 60 s video has a few thousand packets; millions mean a file built to keep us busy.
_MAX_PACKETS: Final = 200_000
_ISO_DEMUXERS: Final = frozenset({"mp4", "mov"})
_EBML_HEADER, _SEGMENT = 0x1A45DFA3, 0x18538067
# Display-matrix rotation (degrees counterclockwise) -> the transposition that shows it upright.
_ROTATIONS: Final = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """What probing a video found: its duration and an upright RGB poster frame."""

    duration_s: float
    poster: Image.Image


def probe_video(
    source: Source, demuxer: str, *, max_seconds: int, max_pixels: int, field: str
) -> VideoFacts:
    """Open a video with the demuxer it was sniffed as, check it and take its poster frame."""
    size = size_of(source)
    if not _declared_sizes_fit(source, demuxer, size):
        raise _unreadable(field)
    try:
        with av.open(readable(source), mode="r", format=demuxer) as container:
            return _probe(container, size, max_seconds, max_pixels, field)
    except (av.FFmpegError, OSError, ValueError, MemoryError) as error:
        raise _unreadable(field) from error


def _declared_sizes_fit(source: Source, demuxer: str, size: int) -> bool:
    """Whether the container's outermost structures end within the file."""
    if demuxer in _ISO_DEMUXERS:
        return _boxes_fit(source, size)
    if demuxer == "webm":
        return _segment_fits(source, size)
    return True


def _boxes_fit(source: Source, size: int) -> bool:
    """ISO base media: each top-level box ends within the file, and a ``moov`` is among them."""
    pos, kinds = 0, set()
    while pos < size:
        head = read_at(source, pos, 16)
        if len(head) < 8:
            return False
        length, kind = int.from_bytes(head[:4], "big"), head[4:8]
        if length == 1:  # a 64-bit size follows the type
            length = int.from_bytes(head[8:16], "big") if len(head) == 16 else 0
        elif length == 0:  # the last box runs to the end of the file
            length = size - pos
        if length < 8 or pos + length > size:
            return False
        kinds.add(kind)
        pos += length
    return b"moov" in kinds


def _segment_fits(source: Source, size: int) -> bool:
    """WebM: the EBML header, then a Segment whose size (unless "unknown") ends within the file."""
    head = read_at(source, 0, 1024)
    try:
        element, pos = _vint(head, 0, marker=True)
        length, pos = _vint(head, pos)
        if element != _EBML_HEADER or length is None:
            return False
        element, pos = _vint(head, pos + length, marker=True)
        length, pos = _vint(head, pos)
    except ValueError:
        return False
    return element == _SEGMENT and (length is None or pos + length <= size)


def _vint(data: bytes, pos: int, *, marker: bool = False) -> tuple[int | None, int]:
    """An EBML variable-length integer and the position after it; a size of all ones is None.

    Element IDs keep their length marker bit (``marker``); sizes do not.
    """
    if pos >= len(data) or data[pos] == 0:
        raise ValueError("not an EBML integer")
    width = 9 - data[pos].bit_length()
    if pos + width > len(data):
        raise ValueError("cut short")
    raw = int.from_bytes(data[pos : pos + width], "big")
    if marker:
        return raw, pos + width
    ones = (1 << (7 * width)) - 1
    value = raw & ones
    return (None if value == ones else value), pos + width


def _probe(container: Any, size: int, max_seconds: int, max_pixels: int, field: str) -> VideoFacts:
    """Check the first video stream's size and duration; decode keyframes for a poster."""
    if not container.streams.video:
        raise InvalidMedia(N_("The file contains no video."), field=field)
    stream = container.streams.video[0]
    codec = stream.codec_context  # None when FFmpeg has no decoder for the stream
    if codec is None or codec.width < 1 or codec.height < 1:
        raise _unreadable(field)
    if codec.width * codec.height > max_pixels:
        raise InvalidMedia(
            N_("The video frame is too large: at most %(megapixels)s megapixels are accepted."),
            field=field,
            megapixels=max_pixels // 1_000_000,
        )
    claimed = (container.duration or 0) / av.time_base
    _check_seconds(claimed, max_seconds, field)  # cheap refusal before reading every packet
    codec.skip_frame = "NONKEY"  # keyframes are enough for a poster
    poster, covered = _walk(container, stream, size, field)
    seconds = max(claimed, covered)
    _check_seconds(seconds, max_seconds, field)
    if poster is None:
        raise _unreadable(field)
    return VideoFacts(duration_s=round(seconds, 3), poster=_upright(poster))


def _walk(container: Any, stream: Any, size: int, field: str) -> tuple[Any, float]:
    """One pass over the stream: the time its packets cover, and a keyframe about 1 s in."""
    base = float(stream.time_base)
    first: int | None = None
    last: int | None = None
    poster: Any = None
    settled = False
    packets = 0
    for count, packet in enumerate(container.demux(stream)):
        if count > _MAX_PACKETS or (packet.pos or 0) + packet.size > size:
            raise _unreadable(field)
        packets += 1 if packet.size else 0
        if packet.pts is not None:
            first = packet.pts if first is None else min(first, packet.pts)
            end = packet.pts + (packet.duration or 0)
            last = end if last is None else max(last, end)
        if not settled:
            poster, settled = _pick(packet.decode(), poster, (first or 0) * base + POSTER_SECONDS)
    if stream.frames and packets < stream.frames:  # the index lists samples the file lacks
        raise _unreadable(field)
    covered = (last - first) * base if first is not None and last is not None else 0.0
    return poster, covered


def _pick(frames: Any, poster: Any, target: float) -> tuple[Any, bool]:
    """The first keyframe at or after ``target`` (settled), else the first keyframe so far."""
    for frame in frames:
        if poster is None:
            poster = frame
        if frame.time is not None and frame.time >= target:
            return frame, True
    return poster, False


def _upright(frame: Any) -> Image.Image:
    """The frame as an RGB image turned as the phone meant it (the display matrix)."""
    image: Image.Image = frame.to_image()
    method = _ROTATIONS.get(round(frame.rotation) % 360)
    return image if method is None else image.transpose(method)


def _check_seconds(seconds: float, max_seconds: int, field: str) -> None:
    """Refuse a video longer than the limit, saying how long it is."""
    if seconds > max_seconds + GRACE_SECONDS:
        raise InvalidMedia(
            N_("The video is %(seconds)s seconds long; at most %(limit)s seconds are accepted."),
            field=field,
            seconds=math.ceil(seconds),
            limit=max_seconds,
        )


def _unreadable(field: str) -> InvalidMedia:
    """The error for a video that cannot be read."""
    return InvalidMedia(
        N_("The video could not be read. It may be damaged or in a format that is not accepted."),
        field=field,
    )
