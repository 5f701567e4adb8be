"""Time the public copy of a phone-sized video: a 60 s, ~50 MB H.264 + AAC MOV with GPS and
device tags (the intake's limits), remuxed, checked and stored by ``reports.media.remux.publish``.

Run from the project root: ``.venv/bin/python bench/video.py [--seconds 60] [--megabytes 50]``.
Making the input (an x264 encode) takes longer than what is measured. ``--root`` puts the media
store on the disk it will live on (the copy is fsynced).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, this file's directory comes first on sys.path, where bench/routing.py would
# shadow the routing package: put the project root there instead (the benchmarks use tests/ too).
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import av
from PIL import Image

from reports.media import remux
from reports.media.store import Area, MediaStore
from reports.media.video import probe_video
from tests.reports.media.tagged import CONTAINER_TAGS
from tests.reports.media_samples import _frame

FPS, SIZE = 30, (1280, 720)


def make_video(path: Path, seconds: int, megabytes: int) -> Path:
    """An H.264 (x264 ultrafast) + AAC QuickTime file of about the size asked, with phone tags."""
    rng = random.Random(1)
    frames = [Image.effect_noise(SIZE, 30 + i).convert("RGB") for i in range(6)]
    options = {"movflags": "use_metadata_tags"}
    with av.open(str(path), "w", format="mov", options=options) as out:
        out.metadata.update(CONTAINER_TAGS)
        video: Any = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        video.bit_rate = megabytes * 8 * 1024 * 1024 // seconds
        sound: Any = out.add_stream("aac", rate=48000)
        sound.layout = "mono"
        for _ in range(seconds * FPS):
            out.mux(video.encode(_frame(rng.choice(frames))))
        out.mux(video.encode(None))
        for index in range(seconds * 48000 // 1024):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            frame.planes[0].update(bytes(frame.planes[0].buffer_size))
            frame.sample_rate, frame.pts = 48000, index * 1024
            out.mux(sound.encode(frame))
        out.mux(sound.encode(None))
    return path


def best_of(label: str, rounds: int, work: Callable[[int], object]) -> float:
    """Run ``work`` a few times; print and return the best time in seconds."""
    times = []
    for number in range(rounds):
        start = time.perf_counter()
        work(number)
        times.append(time.perf_counter() - start)
    best = min(times)
    print(f"{label:<48} {best * 1000:8.0f} ms  (best of {rounds})")
    return best


def main() -> None:
    """Print the time of the probe the intake does, the remux, the check and the whole publish."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.root) as work:
        root = Path(work)
        source = make_video(root / "phone.mov", args.seconds, args.megabytes)
        size = source.stat().st_size / 1024 / 1024
        print(f"input: {args.seconds} s, {size:.1f} MB, {SIZE[0]}x{SIZE[1]} H.264 + AAC, tagged")
        limits: dict[str, Any] = {"max_seconds": 3600, "max_pixels": 10**8, "field": "video"}
        best_of(
            "probe_video (what the intake already does)",
            args.rounds,
            lambda _: probe_video(source, "mov", **limits),
        )
        secrets: set[bytes] = set()
        best_of(
            "remux (streams copied, SEI removed, faststart)",
            args.rounds,
            lambda n: secrets.update(remux.remux(source, "mov", root / f"r{n}.mp4", "mp4")),
        )
        best_of(
            "check_clean (reopen, keys, byte search)",
            args.rounds,
            lambda _: remux.check_clean(root / "r0.mp4", "mp4", secrets),
        )

        def publish(number: int) -> None:
            store = MediaStore(root / f"store{number}")  # a fresh store: a real write each round
            original = store.write_file(source, Area.ORIGINALS, "mov")
            started = time.perf_counter()
            remux.publish(store, original.path, "video/quicktime")
            publish_times.append(time.perf_counter() - started)

        publish_times: list[float] = []
        best_of("(setup: store the original, then publish)", args.rounds, publish)
        print(
            f"{'publish (remux + check + fsynced store)':<48} "
            f"{min(publish_times) * 1000:8.0f} ms  (best of {args.rounds})"
        )


if __name__ == "__main__":
    main()
