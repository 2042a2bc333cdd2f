"""The offline clip maker: animates a still with a slow pan or zoom and a pulse on every beat.

Given a last picture too (``ClipRequest.last_image``: photo pairs), the move carries on from the
still to that picture, which dissolves in over the middle of the clip (``animate_pair``); the last
picture is first fitted upright to the still's size, as photo mode fits the still.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional

from mvstudio.engine.events import CancelToken, StageReporter
from mvstudio.engine.generation.protocols import ClipRequest, Generated
from mvstudio.engine.generation.local_images import overscan_size
from mvstudio.engine.generation.photos import cover_fit
from mvstudio.engine.render.commands import animate_pair, animate_still
from mvstudio.engine.render.runner import run_ffmpeg


class LocalClipMaker:
    """Offline ``VideoGenerator``: FFmpeg moves over the still, clip exactly as long as its slot."""

    name = "local-animator"

    def __init__(self, crf: int = 18, preset: str = "veryfast", pulse: float = 0.04):
        self.crf, self.preset, self.pulse = crf, preset, pulse

    def fingerprint(self) -> str:
        return f"{self.name}/1/crf{self.crf}/{self.preset}/pulse{self.pulse}"

    async def generate(self, request: ClipRequest, workdir: Path,
                       cancel: Optional[CancelToken] = None,
                       reporter: Optional[StageReporter] = None) -> Generated:
        out = Path(workdir) / f"{request.owner}.mp4"
        common = dict(frames=request.frames, fps=request.fps, width=request.width,
                      height=request.height, move=request.move,
                      beat_frames=list(request.beat_frames), pulse=self.pulse, seed=request.seed,
                      crf=self.crf, preset=self.preset)
        if request.last_image is not None:
            last = Path(workdir) / f"{request.owner}-last.png"
            await asyncio.to_thread(cover_fit, request.last_image, last,
                                    *overscan_size(request.width, request.height))
            args = animate_pair(request.image, last, out, **common)
        else:
            args = animate_still(request.image, out, **common)
        duration = request.frames / request.fps
        await asyncio.to_thread(run_ffmpeg, args, expected_duration=duration, reporter=reporter,
                                cancel=cancel)
        return Generated(out, self.name, width=request.width, height=request.height,
                         duration=duration)
