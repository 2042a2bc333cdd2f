"""Sync audit: where each planned cut really is in the output file, and how long its streams are.

A hard cut is found by ``cuts.cuts_from_differences`` near its planned frame.  A transition's
midpoint is where the picture is half-way between the last frame before it and the first frame
after it (mean absolute difference of raw grey frames, interpolated to a fraction of a frame); for
fades through black or white (whose dip is not symmetric in ``xfade``) it is the centre of the
frames whose brightness leaves the straight line between the two.  Each is compared to the cut's
planned frame, which the plan put on a beat.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from mvstudio.engine.render.commands import Cut
from mvstudio.engine.render.cuts import cuts_from_differences, differences, grey_frames
from mvstudio.engine.render.output import atomic_output

SEARCH_FRAMES = 3  # a hard cut is looked for this many frames either side of its planned frame
MAX_OFFSET_FRAMES = 1.0  # target: every cut within one frame
MAX_AV_SECONDS = 0.1  # target: |video - audio| stream durations
DIP_SHARE = 0.05  # a fade's frames are those off the straight line by this share of its depth


@dataclass(frozen=True)
class CutCheck:
    """One planned cut: its frame (a beat), kind and where it was measured (None: not found)."""

    frame: int
    kind: str
    measured: Optional[float]

    @property
    def offset_frames(self) -> Optional[float]:
        return None if self.measured is None else round(self.measured - self.frame, 2)


@dataclass(frozen=True)
class SyncAudit:
    """Measured cut positions and stream durations of one output file."""

    fps: int
    cuts: list[CutCheck]
    video_duration: float
    audio_duration: Optional[float]
    unplanned_cuts: list[int]  # measured hard cuts nobody planned (a looped clip's restart)

    def _ms(self, frames: float) -> float:
        return round(frames * 1000 / self.fps, 1)

    @property
    def missed(self) -> list[int]:
        return [c.frame for c in self.cuts if c.measured is None]

    @property
    def outside(self) -> list[CutCheck]:
        """The cuts off by more than ``MAX_OFFSET_FRAMES``, or not found."""
        return [c for c in self.cuts
                if c.measured is None or abs(c.offset_frames) > MAX_OFFSET_FRAMES]

    @property
    def max_offset_frames(self) -> float:
        return max((abs(c.offset_frames) for c in self.cuts if c.measured is not None), default=0.0)

    @property
    def drift_frames(self) -> float:
        """Offset of the last measured cut minus that of the first (a creeping error)."""
        offsets = [c.offset_frames for c in self.cuts if c.measured is not None]
        return round(offsets[-1] - offsets[0], 2) if offsets else 0.0

    @property
    def av_difference(self) -> float:
        return abs(self.video_duration - (self.audio_duration or 0.0))

    @property
    def ok(self) -> bool:
        return (not self.missed and self.max_offset_frames <= MAX_OFFSET_FRAMES
                and self.av_difference <= MAX_AV_SECONDS)

    def summary(self) -> str:
        """``sync: 23 cuts, max offset 0 frames (0 ms), |video-audio| 0.01 s`` (+ problems)."""
        line = (f"sync: {len(self.cuts)} cuts, max offset {self.max_offset_frames:g} frames "
                f"({self._ms(self.max_offset_frames):g} ms), |video-audio| "
                f"{self.av_difference:.2f} s")
        if self.missed:
            line += f", not found at frames {', '.join(map(str, self.missed))}"
        return line + ("" if self.ok else " (outside the targets)")

    def as_dict(self) -> dict:
        cuts = [{"frame": c.frame, "kind": c.kind, "measured": c.measured,
                 "offset_frames": c.offset_frames,
                 "offset_ms": None if c.measured is None else self._ms(c.offset_frames)}
                for c in self.cuts]
        return {"fps": self.fps, "cuts": cuts, "missed": self.missed,
                "unplanned_cuts": self.unplanned_cuts,
                "max_offset_frames": self.max_offset_frames,
                "max_offset_ms": self._ms(self.max_offset_frames),
                "drift_ms": self._ms(self.drift_frames), "video_duration": self.video_duration,
                "audio_duration": self.audio_duration, "av_difference": self.av_difference,
                "ok": self.ok, "summary": self.summary()}


def _hard_cut(found: Sequence[int], frame: int) -> Optional[float]:
    near = [f for f in found if abs(f - frame) <= SEARCH_FRAMES]
    return float(min(near, key=lambda f: abs(f - frame))) if near else None


def _half_way(share: np.ndarray) -> Optional[float]:
    """First fractional index where ``share`` rises through 0.5."""
    for k in range(1, len(share)):
        if share[k - 1] < 0.5 <= share[k]:
            return k - 1 + float((0.5 - share[k - 1]) / (share[k] - share[k - 1]))
    return None


def transition_midpoint(grey: np.ndarray, cut: Cut) -> Optional[float]:
    """Measured midpoint (fractional frame) of the transition ``cut`` in decoded grey frames."""
    before, after = cut.at_frame - cut.lead - 1, cut.at_frame + cut.tail
    if before < 0 or after >= len(grey):
        return None
    window = grey[before:after + 1].astype(np.float32)
    if cut.kind in ("fade", "fadeblack", "fadewhite"):
        brightness = window.mean(axis=(1, 2))
        dip = np.abs(brightness - np.linspace(brightness[0], brightness[-1], len(brightness)))
        inside = np.flatnonzero(dip > DIP_SHARE * max(float(dip.max()), 1e-6))
        return float(before + (inside[0] + inside[-1]) / 2) if dip.max() > 1 else None
    to_a = np.abs(window - window[0]).mean(axis=(1, 2))
    to_b = np.abs(window - window[-1]).mean(axis=(1, 2))
    middle = _half_way(to_a / np.maximum(to_a + to_b, 1e-6))
    return None if middle is None else round(before + middle, 2)


def audit_render(path: Path | str, cuts: Sequence[Cut], *, fps: int, video_duration: float,
                 audio_duration: Optional[float]) -> SyncAudit:
    """Measure every cut of ``cuts`` in the file at ``path`` (decoded once, small and grey)."""
    grey = grey_frames(path)
    found = cuts_from_differences(differences(grey))
    checks = [CutCheck(c.at_frame, c.kind, _hard_cut(found, c.at_frame) if c.overlap == 0
                       else transition_midpoint(grey, c)) for c in cuts]
    expected = [range(c.at_frame - SEARCH_FRAMES, c.at_frame + SEARCH_FRAMES + 1) if c.overlap == 0
                else range(c.at_frame - c.lead - 1, c.at_frame + c.tail + 2) for c in cuts]
    unplanned = [f for f in found if not any(f in window for window in expected)]
    return SyncAudit(fps, checks, video_duration, audio_duration, unplanned)


def audit_path(video: Path | str) -> Path:
    """Where the audit of ``video`` is written: ``NAME.audit.json`` beside it."""
    video = Path(video)
    return video.with_name(f"{video.stem}.audit.json")


def write_audit(audit: SyncAudit, video: Path | str) -> Path:
    """Write ``audit`` as JSON beside ``video`` (atomically); returns the path."""
    path = audit_path(video)
    with atomic_output(path) as temp:
        temp.write_text(json.dumps(audit.as_dict(), indent=2), encoding="utf-8")
    return path
