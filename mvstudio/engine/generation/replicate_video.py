"""Clips from an image-to-video model on Replicate (seedance, wan, kling, hailuo ...).

The still is the first frame (and ``last_image`` the last, for models that take one).  The clip's
length is the nearest the model allows at or above the slot (``choose_duration``); the composer
fits the rest.  A result counts only if FFmpeg finds a picture stream in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from mvstudio.engine.errors import InputError
from mvstudio.engine.events import CancelToken, StageReporter
from mvstudio.engine.generation.protocols import ClipRequest, Generated
from mvstudio.engine.generation.replicate_client import BadOutput, ReplicateProvider
from mvstudio.engine.render.probe import probe

DEFAULT_MODEL = "seedance-1-lite"


def check_video(path: Path) -> tuple[int, int, float]:
    """``(width, height, seconds)`` of a readable video; ``BadOutput`` otherwise."""
    try:
        info = probe(path)
    except InputError as exc:
        raise BadOutput(f"the video could not be read ({exc})") from None
    video = info.video
    if video is None or not video.width or not video.height or not info.duration:
        raise BadOutput("the result has no playable video stream")
    return video.width, video.height, info.duration


class ReplicateVideo(ReplicateProvider):
    """``VideoGenerator`` on Replicate; ``model`` is a registry key (see ``ReplicateProvider``)."""

    kind = "video"
    check = staticmethod(check_video)

    def __init__(self, api_token: str, model: str = DEFAULT_MODEL, **options):
        super().__init__(api_token, model, **options)

    async def generate(self, request: ClipRequest, workdir: Path,
                       cancel: Optional[CancelToken] = None,
                       reporter: Optional[StageReporter] = None, *,
                       on_created: Optional[Callable[[str], None]] = None,
                       resume_id: Optional[str] = None) -> Generated:
        """The clip; ``reporter`` hears the model's progress; ``on_created`` and ``resume_id``
        as for ``ReplicateImages.generate``."""
        progress = (lambda f: reporter.update(f, f"{self.model.key} {f:.0%}")) \
            if reporter is not None else None
        return await self._make(request, workdir, cancel, on_created, resume_id, progress)
