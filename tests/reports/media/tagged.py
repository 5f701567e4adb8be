"""Videos as phones write them: GPS, make, model, software and creation times in the container
and its streams (built with PyAV, so the repository holds no binary fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
from PIL import Image

from tests.reports.media_samples import _frame

LOCATION = "+21.0285+105.8048/"
ISO6709 = "+21.0285+105.8048+012.000/"
MAKE = "PhoneMakerCorp"
MODEL = "Model X SN-CAM-0042"
SOFTWARE = "CameraApp 17.4.1 private"
CREATED = "2025-03-14T09:26:53Z"
HANDLER = "Core Media Video SECRETHANDLER"
CONTAINER_TAGS = {
    "location": LOCATION,
    "com.apple.quicktime.location.ISO6709": ISO6709,
    "make": MAKE,
    "model": MODEL,
    "com.apple.quicktime.make": MAKE,
    "com.apple.quicktime.model": MODEL,
    "com.apple.quicktime.software": SOFTWARE,
    "creation_time": CREATED,
}
# Byte patterns of the tags above that must never reach a public copy.
MARKERS = (b"21.0285", b"105.8048", MAKE.encode(), MODEL.encode(), SOFTWARE.encode(), b"SECRET")
FPS = 10


def tagged(path: Path, container: str = "mov", *, seconds: float = 2, audio: bool = True) -> Path:
    """A small video with GPS and device tags, an audio track and stream metadata."""
    codec, audio_codec, sample_fmt = (
        ("libvpx", "libopus", "flt") if container == "webm" else ("libx264", "aac", "fltp")
    )
    options = {} if container == "webm" else {"movflags": "use_metadata_tags"}
    with av.open(str(path), "w", format=container, options=options) as out:
        out.metadata.update(CONTAINER_TAGS)
        video: Any = out.add_stream(codec, rate=FPS)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.metadata.update({"handler_name": HANDLER, "location": LOCATION})
        sound: Any = out.add_stream(audio_codec, rate=48000) if audio else None
        if sound is not None:
            sound.layout = "mono"
            sound.metadata["comment"] = "SECRET audio comment"
        for index in range(round(seconds * FPS)):
            out.mux(video.encode(_frame(Image.new("RGB", (64, 48), (5 * index, 90, 90)))))
        out.mux(video.encode(None))
        if sound is not None:
            _silence(out, sound, sample_fmt, seconds)
    return path


def _silence(out: Any, stream: Any, sample_fmt: str, seconds: float) -> None:
    """Silence, encoded."""
    for index in range(int(seconds * 48000 / 960)):
        frame = av.AudioFrame(format=sample_fmt, layout="mono", samples=960)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate, frame.pts = 48000, index * 960
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def metadata(path: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The container's and each stream's metadata, as FFmpeg reads them back."""
    with av.open(str(path)) as container:
        return dict(container.metadata), [dict(s.metadata) for s in container.streams]


def streams(path: Path) -> list[tuple[str, str, int, float]]:
    """Per stream: type, codec, packets with data, and the time they cover (seconds)."""
    found: list[tuple[str, str, int, float]] = []
    with av.open(str(path)) as container:
        for stream in container.streams:
            packets: list[Any] = [p for p in container.demux(stream) if p.size]
            container.seek(0)
            first = min(p.pts for p in packets)
            last = max(p.pts + (p.duration or 0) for p in packets)
            covered = float((last - first) * (stream.time_base or 0))
            found.append((stream.type, stream.codec_context.name, len(packets), covered))
    return found
