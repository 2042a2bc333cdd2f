"""Clips made side by side on Replicate take no longer than their waves: concurrency is real.

A fake Replicate on 127.0.0.1 (``tests/fakes/replicate_server.py``) answers every prediction
``--delay`` seconds after its create.  ``--clips`` clips go through ``ReplicateVideo`` (the real
``replicate`` client: create, poll, download, probe), ``--concurrency`` at a time behind an
``asyncio.Semaphore`` as ``Pipeline._run_items`` does.  The ideal is one delay per wave
(``ceil(clips / concurrency)`` waves); printed: the wall time (after one warm-up clip that pays
the one-off costs: lazy imports, loading the certificate store), the ideal and their ratio.
Target: ratio <= 1.1.  Exit status 1 when the target is missed.  Each clip also costs a fixed
~50-100 ms that no concurrency hides (create, the last poll's lag at ``REPLICATE_POLL_INTERVAL``
0.02 s, the FFmpeg probe of the result), so with 1 s predictions on a busy 2-core machine the ratio
is ~1.08-1.15; real predictions take 30 s and more.

Run: ``python benchmarks/generation_concurrency.py [--clips 20] [--concurrency 5] [--delay 2.0]``
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
os.environ.setdefault("REPLICATE_POLL_INTERVAL", "0.02")

from fakes.replicate_server import FakeReplicate, Outcome  # noqa: E402
from media_factory import still_image  # noqa: E402

from mvstudio.engine.generation.protocols import ClipRequest  # noqa: E402
from mvstudio.engine.generation.replicate_video import ReplicateVideo  # noqa: E402

TARGET = 1.1


async def make_all(video: ReplicateVideo, requests: list[ClipRequest], workdir: Path,
                   concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(request: ClipRequest) -> None:
        async with gate:
            await video.generate(request, workdir)

    await asyncio.gather(*(one(r) for r in requests))


def measure(clips: int, concurrency: int, delay: float) -> tuple[float, float]:
    """``(wall seconds, ideal seconds)`` for ``clips`` clips."""
    with FakeReplicate() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.default = Outcome(seconds=delay)
        still = still_image(Path(tmp) / "still.png", width=64, height=36)
        requests = [ClipRequest(owner=f"clip{i}", prompt=f"shot {i}", image=still, frames=120,
                                fps=30, width=1280, height=720, beat_frames=(), move="push",
                                seed=i) for i in range(clips)]
        video = ReplicateVideo(fake.token, base_url=fake.base_url)
        asyncio.run(make_all(video, requests[:1], Path(tmp), 1))  # warm-up: imports, TLS store
        fake.creates.clear()
        started = time.perf_counter()
        asyncio.run(make_all(video, requests, Path(tmp), concurrency))
        wall = time.perf_counter() - started
        assert sum(fake.creates.values()) == clips
    return wall, math.ceil(clips / concurrency) * delay


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--delay", type=float, default=2.0)
    args = parser.parse_args()
    wall, ideal = measure(args.clips, args.concurrency, args.delay)
    ratio = wall / ideal
    print(f"{args.clips} clips, {args.concurrency} at a time, {args.delay:g} s each: "
          f"{wall:.2f} s (ideal {ideal:.2f} s), ratio {ratio:.3f} "
          f"({'meets' if ratio <= TARGET else 'misses'} the target <= {TARGET})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
