"""Media files built in code for the media tests, so the repository holds no binary fixtures."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import av
import pillow_heif
from PIL import Image, ImageDraw

SERIAL = "SN-CAM-0042-PRIVATE"
COMMENT = b"reporter phone 0912345678"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:aux="http://ns.adobe.com/exif/1.0/aux/" aux:SerialNumber="SN-CAM-0042-PRIVATE"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
IPTC = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0f\x1c\x02\x50\x00\x0bNguyen Van A"
# Every trace of the above that must never reach a public file.
PRIVATE_MARKERS = (b"Exif", SERIAL.encode(), COMMENT, b"ns.adobe.com", b"Photoshop 3.0", b"MM\0*")
HANOI = (21.028511, 105.804817)
RED = (220, 20, 20)


def picture(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A textured RGB picture (so JPEGs weigh what phone photos weigh) with a red top band."""
    width, height = size
    noise = Image.effect_noise(size, 40 + seed % 7).point(lambda v: v // 2 + 64)
    gradient = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    image = Image.merge("RGB", (noise, gradient, Image.blend(radial, noise, 0.5)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, max(1, height // 8)), fill=RED)
    return image


def exif_block(
    *,
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
    taken: str | None = "2025:03:14 09:26:53",
    offset: str | None = None,
) -> Image.Exif:
    """EXIF as a phone writes it: make, model, serial, capture time, GPS and orientation."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    if orientation is not None:
        exif[0x0112] = orientation
    sub: dict[int, object] = {0xA431: SERIAL}
    if taken is not None:
        sub[0x9003] = taken
    if offset is not None:
        sub[0x9011] = offset
    exif[0x8769] = sub
    if gps is not None:
        exif[0x8825] = _gps_ifd(*gps)
    return exif


def _gps_ifd(lat: float, lon: float) -> dict[int, object]:
    """A GPS IFD with N/S and E/W references and degree-minute-second rationals."""
    return {
        1: "N" if lat >= 0 else "S",
        2: _dms(abs(lat)),
        3: "E" if lon >= 0 else "W",
        4: _dms(abs(lon)),
    }


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    """Degrees as three EXIF rationals."""
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round((value - degrees - minutes / 60) * 3600 * 10000), 10000)
    return Fraction(degrees), Fraction(minutes), seconds


def jpeg(
    size: tuple[int, int] = (640, 480),
    *,
    exif: Image.Exif | None = None,
    quality: int = 90,
    progressive: bool = False,
    seed: int = 0,
    metadata: bool = True,
) -> bytes:
    """A JPEG with EXIF, XMP, a comment, an ICC profile and an IPTC block, like a phone's."""
    out = io.BytesIO()
    extra = {"comment": COMMENT, "xmp": XMP} if metadata else {}
    picture(size, seed).save(
        out,
        "JPEG",
        quality=quality,
        progressive=progressive,
        exif=(exif if exif is not None else exif_block(gps=HANOI)).tobytes(),
        icc_profile=srgb_icc(),
        **extra,
    )
    data = out.getvalue()
    return with_segments(data, [(0xED, IPTC)]) if metadata else data


def with_segments(data: bytes, segments: Sequence[tuple[int, bytes]]) -> bytes:
    """A JPEG with raw segments inserted right after SOI."""
    raw = b"".join(
        bytes([0xFF, marker]) + struct.pack(">H", len(p) + 2) + p for marker, p in segments
    )
    return data[:2] + raw + data[2:]


def srgb_icc() -> bytes:
    """A real sRGB ICC profile (from Pillow's ImageCms)."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def png(size: tuple[int, int] = (300, 200), *, alpha: bool = False) -> bytes:
    """A PNG with EXIF (GPS, serial) and a text comment."""
    from PIL import PngImagePlugin

    image = picture(size)
    if alpha:
        image.putalpha(Image.linear_gradient("L").resize(size))
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", COMMENT.decode())
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=text, exif=exif_block(gps=HANOI).tobytes())
    return out.getvalue()


def webp(size: tuple[int, int] = (300, 200), *, orientation: int | None = None) -> bytes:
    """A WebP with EXIF (GPS in the south-west, serial) and XMP."""
    out = io.BytesIO()
    exif = exif_block(gps=(-33.8688, -151.2093), orientation=orientation)
    picture(size).save(out, "WEBP", quality=80, exif=exif.tobytes(), xmp=XMP)
    return out.getvalue()


def heic(size: tuple[int, int] = (320, 240), *, orientation: int | None = None) -> bytes:
    """A HEIC (HEVC in HEIF) with EXIF, encoded by pillow-heif's libheif/x265."""
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    exif = exif_block(gps=HANOI, orientation=orientation)
    picture(size).save(out, "HEIF", quality=70, exif=exif.tobytes())
    return out.getvalue()


def truncated(data: bytes, keep: float = 0.6) -> bytes:
    """The first part of a file, as an interrupted upload leaves it."""
    return data[: int(len(data) * keep)]


def pdf() -> bytes:
    """A PDF (to be renamed .jpg by the test's imagination)."""
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header claims an enormous image (a decompression bomb's first move)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, payload: bytes) -> bytes:
    """A PNG chunk with its CRC."""
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def jpeg_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A small JPEG whose frame header claims an enormous size."""
    data = bytearray(jpeg((64, 48), metadata=False))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def video(
    container: str = "mp4",
    codec: str = "libx264",
    *,
    seconds: float = 3,
    fps: int = 4,
    size: tuple[int, int] = (32, 24),
    gop: int | None = None,
) -> bytes:
    """A tiny video whose frames are numbered by colour (frame i has red = 10 * i)."""
    out = io.BytesIO()
    with av.open(out, "w", format=container) as output:
        stream: Any = output.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if gop is not None:
            stream.codec_context.gop_size = gop
        for index in range(round(seconds * fps)):
            colour = (min(255, 10 * index), 90, 90)
            output.mux(stream.encode(_frame(Image.new("RGB", size, colour))))
        output.mux(stream.encode(None))
    return out.getvalue()


def _frame(image: Image.Image) -> av.VideoFrame:
    """A video frame from a Pillow image (PyAV leaves from_image untyped)."""
    from_image: Any = av.VideoFrame.from_image
    frame: av.VideoFrame = from_image(image)
    return frame


def rotated_mp4(size: tuple[int, int] = (32, 16)) -> bytes:
    """An MP4 recorded "portrait" as phones do: landscape frames and a 90° display matrix."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=2)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for _ in range(4):
            output.mux(stream.encode(_frame(picture(size))))
        output.mux(stream.encode(None))
    data = bytearray(out.getvalue())
    matrix_at = data.index(b"tkhd") + 4 + 40  # version 0 'tkhd': the matrix follows 40 bytes in
    data[matrix_at : matrix_at + 36] = struct.pack(
        ">9i", 0, 0x10000, 0, -0x10000, 0, 0, size[1] << 16, 0, 0x40000000
    )
    return bytes(data)


def audio_only_mp4() -> bytes:
    """An MP4 with one AAC audio track and no video."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as output:
        stream = output.add_stream("aac", rate=8000)
        stream.layout = "mono"
        for index in range(8):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate = 8000
            frame.pts = index * 1024
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return out.getvalue()


def cut_with_end_marker(data: bytes, keep: float = 0.6) -> bytes:
    """A JPEG cut short with an end-of-image marker appended, so that it still looks whole."""
    return truncated(data, keep) + b"\xff\xd9"


def faststart_mp4(seconds: float = 3, fps: int = 4, size: tuple[int, int] = (32, 24)) -> bytes:
    """A tiny MP4 with its ``moov`` before the ``mdat``, as phones and web servers write it."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "video.mp4"
        with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as output:
            stream: Any = output.add_stream("libx264", rate=fps)
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            for index in range(round(seconds * fps)):
                colour = (min(255, 10 * index), 90, 90)
                output.mux(stream.encode(_frame(Image.new("RGB", size, colour))))
            output.mux(stream.encode(None))
        return path.read_bytes()


GIGABYTES_2 = 2**31


def mp4_claiming(size: int = GIGABYTES_2, *, mdat: bool = True, sample: bool = True) -> bytes:
    """A 2 KB MP4 whose header claims ``size`` bytes: the ``mdat`` box size, the last sample's.

    FFmpeg reads what is there and stops quietly at the end of the file, so without a check of
    the declared sizes this plays as the 3 s its ``moov`` announces.
    """
    data = bytearray(faststart_mp4())
    if mdat:
        at = data.index(b"mdat") - 4
        data[at : at + 4] = struct.pack(">I", size)
    if sample:
        table = data.index(b"stsz")  # then version+flags, a common size (0), the count, sizes
        count = int.from_bytes(data[table + 12 : table + 16], "big")
        last = table + 16 + 4 * (count - 1)
        data[last : last + 4] = struct.pack(">I", size - 4096)
    return bytes(data)


def webm_claiming(size: int = GIGABYTES_2) -> bytes:
    """A tiny WebM whose Segment claims ``size`` bytes (an 8-byte EBML size after its ID)."""
    data = bytearray(video("webm", "libvpx"))
    at = data.index(b"\x18\x53\x80\x67") + 4
    width = 9 - data[at].bit_length()
    data[at : at + width] = ((0x80 >> (width - 1)) << (8 * (width - 1)) | size).to_bytes(
        width, "big"
    )
    return bytes(data)
