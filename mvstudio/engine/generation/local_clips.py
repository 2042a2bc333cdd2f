"""The offline clip maker: animates a still with a slow pan or zoom and a pulse on every beat."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional

from mvstudio.engine.events import CancelToken, StageReporter
from mvstudio.engine.generation.protocols import ClipRequest, Generated
from mvstudio.engine.render.commands import animate_still
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
        args = animate_still(request.image, out, frames=request.frames, fps=request.fps,
                             width=request.width, height=request.height, move=request.move,
                             beat_frames=list(request.beat_frames), pulse=self.pulse,
                             seed=request.seed, crf=self.crf, preset=self.preset)
        duration = request.frames / request.fps
        await asyncio.to_thread(run_ffmpeg, args, expected_duration=duration, reporter=reporter,
                                cancel=cancel)
        return Generated(out, self.name, width=request.width, height=request.height,
                         duration=duration)
