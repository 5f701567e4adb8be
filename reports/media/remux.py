"""Public copies of videos: the same video and audio, in a new container with no metadata.

A phone's video container says where and with what it was recorded: GPS in QuickTime ``©xyz`` and
``com.apple.quicktime.location.ISO6709`` keys, make, model and software, creation times, Matroska
tags, and whole metadata tracks (Apple's ``mebx``, cameras' GPS tracks). The original stays private;
the public copy is a remux (PyAV, no re-encode, so it costs a read and a write of the file):

* only the first video stream and the first audio stream are copied; data, subtitle, timecode and
  attachment streams are dropped, whatever they carry;
* no container or stream metadata is copied, and FFmpeg's ``bitexact`` flag keeps it from adding
  its own version strings and times (MP4 ``creation_time`` is written as zero);
* H.264 and HEVC lose their SEI units (``filter_units``): encoders and some cameras write their
  name, settings or GPS there; players do not need them;
* the rotation stays, as the stream's display matrix: the pixels are not turned (that would be a
  re-encode), and without the matrix a portrait video would play on its side;
* MP4 and QuickTime become MP4 with ``+faststart`` (the index first, so that playback starts before
  the whole file is loaded); WebM stays WebM (Matroska writes its index in front already).

The copy is then checked: reopened, it may carry only the harmless keys of an allow-list (the
brands the MP4 muxer writes, a language, a handler name, a stream duration), and none of the
original's metadata values may occur anywhere in its bytes. A copy that fails is not published:
the video then shows as its poster, as before.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import av
from av.bitstream import BitStreamFilterContext

from reports.media.store import Area, MediaKind, MediaStore, StoredFile

# The output format and the file extension of each accepted video type.
_OUTPUTS: Final = {
    MediaKind.MP4: ("mp4", "mp4"),
    MediaKind.MOV: ("mp4", "mp4"),
    MediaKind.WEBM: ("webm", "webm"),
}
MIME_OF_EXTENSION: Final = {"mp4": "video/mp4", "webm": "video/webm"}
_OPTIONS: Final = {
    "mp4": {"movflags": "+faststart", "fflags": "+bitexact"},
    "webm": {"fflags": "+bitexact"},
}
# SEI NAL unit types: H.264 6; HEVC 39 (prefix) and 40 (suffix).
_SEI_FILTERS: Final = {
    "h264": "filter_units=remove_types=6",
    "hevc": "filter_units=remove_types=39|40",
}
# What the muxers themselves write, with values that say nothing about the recording.
CONTAINER_KEYS: Final = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder"})
STREAM_KEYS: Final = frozenset({"language", "handler_name", "vendor_id", "duration"})
_MUXER_VALUES: Final = frozenset({"Lavf"})  # bitexact: FFmpeg's name without its version
_SHORTEST_SECRET: Final = 6  # shorter values ("und", "eng") may occur in any compressed data


class RemuxError(Exception):
    """The video could not be copied, or its copy did not pass the check: nothing is published."""


@dataclass(frozen=True, slots=True)
class PublicVideo:
    """The stored public copy of a video."""

    path: str
    mime: str


def publish(store: MediaStore, original: str, mime: str) -> PublicVideo:
    """Remux a stored original into a checked, metadata-free public copy in the store."""
    try:
        out_format, extension = _OUTPUTS[MediaKind(mime)]
    except (ValueError, KeyError):
        raise RemuxError(f"not a video type: {mime}") from None
    source = store.path(original)
    with _work_dir(store.root) as directory:
        made = directory / f"public.{extension}"
        secrets = remux(source, MediaKind(mime).decoder, made, out_format)
        check_clean(made, out_format, secrets)
        stored: StoredFile = store.adopt(made, Area.VIDEOS, extension)
    return PublicVideo(stored.path, MIME_OF_EXTENSION[extension])


@contextlib.contextmanager
def _work_dir(root: Path) -> Iterator[Path]:
    """A temporary directory under the media root, so that the copy is moved, not copied again."""
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".remux-", dir=root) as directory:
        yield Path(directory)


def remux(source: Path, demuxer: str, target: Path, out_format: str) -> set[bytes]:
    """Copy the first video and audio streams into a new container; the original's metadata
    values (to be looked for in the copy)."""
    try:
        with av.open(str(source), mode="r", format=demuxer) as inp:
            secrets = private_values(inp)
            _copy(inp, target, out_format)
    except (av.FFmpegError, OSError, ValueError, MemoryError) as error:
        raise RemuxError(f"remux failed: {error}") from error
    return secrets


def _copy(inp: Any, target: Path, out_format: str) -> None:
    """Mux the packets of the chosen streams, SEI removed, into ``target``."""
    if not inp.streams.video:
        raise RemuxError("no video stream")
    options = dict(_OPTIONS[out_format])
    with av.open(str(target), mode="w", format=out_format, options=options) as out:
        chosen = _streams(inp, out)
        filters = {index: _sei_filter(pair[0]) for index, pair in chosen.items()}
        for packet in inp.demux([pair[0] for pair in chosen.values()]):
            if packet.dts is None:  # the demuxer's empty flush packet
                continue
            index = packet.stream.index
            for clean in _filtered(filters[index], packet):
                clean.stream = chosen[index][1]
                out.mux(clean)
        for index, bsf in filters.items():
            for clean in _filtered(bsf, None):
                clean.stream = chosen[index][1]
                out.mux(clean)


def _streams(inp: Any, out: Any) -> dict[int, tuple[Any, Any]]:
    """Input stream index -> (input, output stream): the first video, the first audio that fits."""
    video = inp.streams.video[0]
    chosen = {video.index: (video, out.add_stream_from_template(video))}
    for audio in inp.streams.audio[:1]:
        with contextlib.suppress(ValueError):  # a codec the container cannot hold: no sound
            chosen[audio.index] = (audio, out.add_stream_from_template(audio))
    for _, made in chosen.values():
        if made.codec_context.name == "hevc":
            made.codec_tag = "hvc1"  # what Safari plays
    return chosen


def _sei_filter(stream: Any) -> BitStreamFilterContext | None:
    """A filter that removes SEI units from H.264 and HEVC, else None."""
    description = _SEI_FILTERS.get(stream.codec_context.name)
    return None if description is None else BitStreamFilterContext(description, stream)


def _filtered(bsf: BitStreamFilterContext | None, packet: Any) -> list[Any]:
    """The packet through the stream's filter (None flushes the filter)."""
    if bsf is None:
        return [] if packet is None else [packet]
    return list(bsf.filter(packet))


def private_values(container: Any) -> set[bytes]:
    """The metadata values of a file (container and streams) long enough to be searched for."""
    found: set[bytes] = set()
    tables = [container.metadata] + [stream.metadata for stream in container.streams]
    for table in tables:
        for key, value in table.items():
            text = str(value).strip()
            if key.lower() in CONTAINER_KEYS | STREAM_KEYS and text in _MUXER_VALUES:
                continue
            if len(text) >= _SHORTEST_SECRET:
                found.add(text.encode())
    return found


def check_clean(path: Path, out_format: str, secrets: set[bytes]) -> None:
    """Refuse a copy with metadata beyond the allow-list, or with any of the original's values."""
    try:
        with av.open(str(path), mode="r", format=out_format) as copy:
            extra = _unexpected_keys(copy)
    except (av.FFmpegError, OSError, ValueError) as error:
        raise RemuxError(f"the copy cannot be read: {error}") from error
    if extra:
        raise RemuxError(f"the copy carries metadata: {sorted(extra)}")
    if contains_any(path, secrets - _harmless(path, out_format)):
        raise RemuxError("the copy carries a value of the original's metadata")


def contains_any(path: Path, patterns: set[bytes], chunk: int = 4 * 1024 * 1024) -> bool:
    """Whether any of the byte strings occurs in the file (read in chunks that overlap)."""
    if not patterns:
        return False
    overlap = max(len(pattern) for pattern in patterns) - 1
    tail = b""
    with path.open("rb") as stream:
        while block := stream.read(chunk):
            window = tail + block
            if any(pattern in window for pattern in patterns):
                return True
            tail = window[-overlap:] if overlap else b""
    return False


def _unexpected_keys(copy: Any) -> set[str]:
    """Metadata keys of a file outside the allow-lists."""
    extra = {key for key in copy.metadata if key.lower() not in CONTAINER_KEYS}
    for stream in copy.streams:
        extra |= {key for key in stream.metadata if key.lower() not in STREAM_KEYS}
    return extra


def _harmless(path: Path, out_format: str) -> set[bytes]:
    """The copy's own allow-listed values (a brand list the original shared is no secret)."""
    with av.open(str(path), mode="r", format=out_format) as copy:
        tables = [copy.metadata] + [stream.metadata for stream in copy.streams]
        return {str(value).strip().encode() for table in tables for value in table.values()}
