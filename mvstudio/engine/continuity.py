"""One continuous shot across a cut: a clip marked ``continues`` starts on the last frame the
render shows of the clip before it, instead of on its own still.

The composer trims a long clip from its end, so the frame shown last is the one at the slot's
length; a clip shorter than its slot (retimed or looped) shows its own last frame there.  That
frame is taken from the earlier clip's video file and recorded as the later clip's ``frame``
asset, whose input hash names the video and the time, so a new take of the earlier clip makes
the later one stale (and only it).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from mvstudio.engine.errors import ProviderError, RenderError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import Asset, ClipScript, Plan
from mvstudio.engine.generation.protocols import Generated
from mvstudio.engine.render.runner import run_ffmpeg

if TYPE_CHECKING:
    from mvstudio.engine.pipeline import Pipeline

VERSION = "continuity/1"  # bump when the frame chosen changes
SLACK = 0.002  # seconds: a frame starting this close after the time still counts (rounding)


def continued_clip(plan: Plan, clip: ClipScript) -> Optional[ClipScript]:
    """The clip ``clip`` continues as one shot (None: it is not marked, or is the first)."""
    if not clip.continues:
        return None
    index = plan.clips.index(clip)
    return plan.clips[index - 1] if index > 0 else None


def shown_last_second(slot_frames: int, fps: int, video_seconds: float) -> float:
    """The time in a clip's video of the last frame the render shows in a slot of
    ``slot_frames``: the slot's last frame when the video is long enough, else its own end."""
    frame = 1.0 / fps
    slot_last = (slot_frames - 1) * frame
    if video_seconds <= 0:
        return slot_last
    return max(0.0, min(slot_last, video_seconds - frame))


def frame_hash(video: Asset, seconds: float) -> str:
    """The input hash of the frame at ``seconds`` of ``video`` (its content-named media)."""
    return input_hash("frame", VERSION, video.media, round(seconds, 4))


def extract_frame(video: Path, seconds: float, out: Path,
                  cancel: Optional[CancelToken] = None) -> Path:
    """The frame of ``video`` shown at ``seconds`` (the last one starting by then) as a PNG at
    ``out``: every frame up to there is decoded and each overwrites the one before."""
    out.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(["-y", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(video), "-map",
                "0:v:0", "-vf", f"trim=end={seconds + SLACK:.4f}", "-fps_mode", "passthrough",
                "-update", "1", str(out)], cancel=cancel)
    if not out.is_file() or out.stat().st_size == 0:
        raise RenderError(f"no frame at {seconds:.2f} s of {video.name} to continue from")
    return out


class ContinuedShots:
    """The frames that one pipeline's continuing clips start on."""

    def __init__(self, pipeline: "Pipeline"):
        self.pipeline = pipeline

    def _video_before(self, clip: ClipScript) -> Optional[tuple[Asset, float]]:
        """The video the render shows for the clip ``clip`` continues and the time of the last
        frame it shows (None: not continued, or that video is not made)."""
        p = self.pipeline
        before = continued_clip(p.project.plan, clip)
        video = p.clip_source(before) if before is not None else None
        if video is None:
            return None
        return video, shown_last_second(before.frames, p.project.fps, video.duration)

    def hash(self, clip: ClipScript) -> Optional[str]:
        """The input hash of the frame ``clip`` starts on (None: not known yet)."""
        found = self._video_before(clip)
        return frame_hash(*found) if found else None

    def start(self, clip: ClipScript) -> Optional[Asset]:
        """The recorded frame ``clip`` starts on, if it is there and current."""
        wanted = self.hash(clip)
        return self.pipeline.project.fresh_asset(clip.id, "frame", wanted) if wanted else None

    async def take(self, clip: ClipScript, workdir: Path, cancel: CancelToken) -> None:
        """Take the frame a continuing ``clip`` starts on from the clip before and record it,
        unless it is recorded already; ``ProviderError`` when that clip has no video."""
        p = self.pipeline
        before = continued_clip(p.project.plan, clip)
        if before is None:
            return
        found = self._video_before(clip)
        if found is None:
            raise ProviderError(f"it continues {p.label(before)}, whose video is not made")
        wanted = frame_hash(*found)
        if p.project.fresh_asset(clip.id, "frame", wanted) is not None:
            return
        video, seconds = found
        path = await asyncio.to_thread(extract_frame, p.store.media.path(video.media), seconds,
                                       Path(workdir) / f"{clip.id}-first.png", cancel)
        await p.record(clip.id, "frame", wanted,
                       Generated(path, "continuity", width=p.project.width,
                                 height=p.project.height))
