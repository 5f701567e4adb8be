"""Time process_photo on 1600 px, ~300 KB phone-like JPEGs with EXIF GPS, on one core.

Run from the project root: ``.venv/bin/python -m bench.media [--count N] [--root DIR]``.
The root decides what an fsync costs: put it on the disk the media root will live on.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path, where bench/routing.py would
# shadow the routing package: put the project root there instead (the benchmarks use tests/ too).
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from PIL import Image

from reports.media.image import derive_photo
from reports.media.store import MediaStore, process_photo
from tests.reports.media_samples import HANOI, exif_block, jpeg


def photos(count: int) -> list[bytes]:
    """Distinct JPEGs (random texture), so that no write is skipped as already stored."""
    exif = exif_block(gps=HANOI)
    return [jpeg((1600, 1200), exif=exif, quality=80) for _ in range(count)]


def timed(
    label: str, round_of: Callable[[int], Callable[[bytes], object]], inputs: list[bytes]
) -> float:
    """Run three rounds over the inputs; print and return the best rate in photos per second."""
    rates = []
    for number in range(3):
        work = round_of(number)
        start = time.perf_counter()
        for data in inputs:
            work(data)
        rates.append(len(inputs) / (time.perf_counter() - start))
    best = max(rates)
    print(f"{label:<40} {best:7.1f} photos/s  {1000 / best:6.2f} ms/photo")
    return best


def plain_pillow(data: bytes) -> bytes:
    """The naive pipeline, for comparison: full decode and re-encode."""
    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.convert("RGB").save(out, "JPEG", quality=82)
    return out.getvalue()


def main() -> None:
    """Print the rates of the naive pipeline, of derive_photo and of process_photo."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args()
    inputs = photos(args.count)
    size = statistics.mean(len(data) for data in inputs) / 1024
    print(f"{args.count} JPEGs 1600x1200 with EXIF GPS, {size:.0f} KB on average")
    timed("plain Pillow decode + re-encode", lambda _: plain_pillow, inputs)
    timed("derive_photo (no storage)", lambda _: derive, inputs)
    with tempfile.TemporaryDirectory(dir=args.root) as root:
        # A fresh store each round, so that every write is a real one (nothing already stored).
        timed(
            "process_photo (3 fsynced files)",
            lambda number: partial(process_photo, store=MediaStore(Path(root) / str(number))),
            inputs,
        )


def derive(data: bytes) -> object:
    """The processing alone: parse, EXIF, thumbnail decode and encode."""
    return derive_photo(data, "JPEG", max_pixels=50_000_000, field="photos")


if __name__ == "__main__":
    main()
