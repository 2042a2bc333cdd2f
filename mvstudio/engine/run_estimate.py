"""What a run will cost before it starts: the paid providers' ``estimate`` over the stale items.

References (when the image model takes them), stills and clips that are fresh cost nothing, nor
do those whose earlier prediction the run will reattach to (``Budget.resumable``), nor offline
providers.  Before there is a plan, the analysis' clip slots (or, before that, the song's length
in clips of the user's mean length) stand in for the clips, so the first Generate can show a price
too (references are counted once there is a plan).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from mvstudio.engine.generation.budget import is_paid
from mvstudio.engine.generation.protocols import ClipRequest, ImageRequest
from mvstudio.engine.pipeline import ITEM_NOUNS, Pipeline

PENDING_STILL = Path("pending-still.png")  # a clip's first frame before its still exists


@dataclass(frozen=True)
class RunEstimate:
    """USD per stage (``references`` when made, ``images``, ``clips``) for ``counts`` paid items
    each, over a video of ``video_seconds``; ``approximate`` when the plan is not made yet."""

    stages: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    video_seconds: float = 0.0
    approximate: bool = False

    @property
    def total(self) -> float:
        return sum(self.stages.values())

    @property
    def per_minute(self) -> float:
        """USD per minute of video."""
        return self.total * 60.0 / self.video_seconds if self.video_seconds > 0 else 0.0

    def label(self) -> str:
        """``~$1.84`` (empty when the run costs nothing)."""
        if self.total <= 0:
            return ""
        return "~<$0.01" if self.total < 0.005 else f"~${self.total:.2f}"

    def describe(self) -> str:
        """One line per stage, the total and the price per minute of video."""
        if self.total <= 0:
            return "Nothing to pay for: everything runs offline or is already made."
        lines = [f"{self.counts.get(stage, 0)} {ITEM_NOUNS.get(stage, stage)}: ≈ ${usd:.2f}"
                 for stage, usd in self.stages.items() if usd > 0]
        rough = "rough, before planning; " if self.approximate else ""
        lines.append(f"total ≈ ${self.total:.2f} ({rough}${self.per_minute:.2f} per minute of "
                     f"video)")
        return "\n".join(lines)


def _slots(pipeline: Pipeline) -> tuple[list[tuple[str, int, int]], bool]:
    """``(owner, start_frame, frames)`` of every clip, and whether they are only guessed."""
    project = pipeline.project
    if project.plan is not None:
        return [(c.id, c.start_frame, c.frames) for c in project.plan.clips], False
    if project.analysis is not None and project.analysis.clip_boundaries:
        return [(f"slot{i}", b.start_frame, b.end_frame - b.start_frame)
                for i, b in enumerate(project.analysis.clip_boundaries)], True
    seconds = project.song.duration if project.song else 0.0
    analysis = pipeline.options.analysis
    mean = (analysis.min_clip_s + analysis.max_clip_s) / 2
    count = max(1, math.ceil(seconds / mean)) if seconds else 0
    frames = round(seconds * project.fps / count) if count else 0
    return [(f"slot{i}", i * frames, frames) for i in range(count)], True


def _image_request(pipeline: Pipeline, owner: str) -> ImageRequest:
    project = pipeline.project
    return ImageRequest(owner, "", (), 0, project.width, project.height)


def _clip_request(pipeline: Pipeline, owner: str, frames: int) -> ClipRequest:
    project = pipeline.project
    return ClipRequest(owner, "", PENDING_STILL, frames, project.fps, project.width,
                       project.height, (), "", 0)


def _continuing(plan, clip_id: str) -> set[str]:
    """The clips that continue ``clip_id``'s shot, one after the other (a new take of it makes
    their videos stale too)."""
    ids, after = set(), False
    for clip in plan.clips if plan else ():
        if after and clip.continues:
            ids.add(clip.id)
        elif after:
            break
        after = after or clip.id == clip_id
    return ids


def estimate_run(pipeline: Pipeline, only: Optional[str] = None) -> RunEstimate:
    """The cost of Generate now (``only``: of remaking that clip's still and video, and the
    videos of the clips continuing its shot, as Regenerate does)."""
    project, providers = pipeline.project, pipeline.providers
    slots, approximate = _slots(pipeline)
    stages, counts = {"images": 0.0, "clips": 0.0}, {"images": 0, "clips": 0}
    clips = {c.id: c for c in project.plan.clips} if project.plan else {}
    followers = _continuing(project.plan, only) if only else set()
    for owner, _start, frames in slots:
        if only is not None and owner != only and owner not in followers:
            continue
        clip = clips.get(owner)
        own_still = not (clip and clip.image_path) and owner not in followers
        if is_paid(providers.images) and own_still and (
                only or clip is None or _stale_paid(pipeline, "images", clip)):
            request = pipeline.image_request(clip) if clip else _image_request(pipeline, owner)
            stages["images"] += providers.images.estimate(request)
            counts["images"] += 1
        if is_paid(providers.clips) and (only or clip is None
                                         or _stale_paid(pipeline, "clips", clip)):
            request = (pipeline.clip_request(clip) if clip else None) \
                or _clip_request(pipeline, owner, frames)
            maker = pipeline.clip_maker(clip) if clip else providers.clips  # its own model
            stages["clips"] += maker.estimate(request)
            counts["clips"] += 1
    if project.plan is not None and only is None and pipeline.references.wanted:
        _references(pipeline, stages, counts)
    seconds = project.analysis.duration if project.analysis else (
        project.song.duration if project.song else 0.0)
    return RunEstimate(stages, counts, seconds, approximate)


def _references(pipeline: Pipeline, stages: dict, counts: dict) -> None:
    """Add the stale scene and character references (``references``) to the estimate."""
    refs = pipeline.references
    todo = [s for s in refs.stale() if not pipeline.budget.resumable("references", s.id,
                                                                      refs.hash(s))]
    stages["references"] = sum(pipeline.providers.images.estimate(refs.request(s)) for s in todo)
    counts["references"] = len(todo)


def _stale_paid(pipeline: Pipeline, stage: str, clip) -> bool:
    """The clip's still or video will be paid for: stale, and no earlier prediction to reuse."""
    if stage == "images":
        wanted = pipeline.image_hash(clip)
        if pipeline.project.fresh_asset(clip.id, "image", wanted):
            return False
    else:
        wanted = pipeline.clip_hash(clip)
        if wanted and pipeline.project.fresh_asset(clip.id, "clip", wanted):
            return False
    return not (wanted and pipeline.budget.resumable(stage, clip.id, wanted))
