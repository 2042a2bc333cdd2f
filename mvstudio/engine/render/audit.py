"""Sync audit: where each planned cut really is in the output file, and how long its streams are.

Only the frames around the cuts are decoded (``audit_windows``, each window by an accurate seek),
small and grey: decoding a whole 1080p output costs about as much as rendering it.

A hard cut is found by ``cuts.cuts_from_differences`` near its planned frame.  A transition's
midpoint is the mean time of the change from the last frame before it to the first frame after
it (each frame's share of the way projected onto that change, to a fraction of a frame); for
fades through black or white (whose dip is not symmetric in ``xfade``) it is the centre of the
frames whose brightness leaves the straight line between the two.  Each is compared to the cut's
planned frame, which the plan put on a beat.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from mvstudio.engine.render.commands import Cut
from mvstudio.engine.render.cuts import (auto_threshold, cuts_from_differences, differences,
                                         grey_frames)
from mvstudio.engine.render.output import atomic_output

SEARCH_FRAMES = 3  # a hard cut is looked for this many frames either side of its planned frame
MAX_OFFSET_FRAMES = 1.0  # target: every cut within one frame
MAX_AV_SECONDS = 0.1  # target: |video - audio| stream durations
DIP_SHARE = 0.05  # a fade's frames are those off the straight line by this share of its depth
CONTEXT_FRAMES = 5  # decoded either side of where a cut may show: typical frame changes
MERGE_FRAMES = 60  # windows closer than this decode as one (a seek re-decodes from a keyframe)
DECODERS = 2  # windows decoded at once (a short decode keeps few cores busy)


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
    return _mean_time_of_change(window, before)


def _mean_time_of_change(window: np.ndarray, before: int) -> Optional[float]:
    """Where the change from ``window[0]`` to ``window[-1]`` happens on average (a fractional
    frame, counted from ``before``): the frame at which a steady mix would be half-way.

    Each frame's share of the way is its projection onto ``window[-1] - window[0]``: picture
    motion unrelated to that change cancels out, where a mean absolute difference adds it.
    The mean time of change is ``n - 1/2 - sum(shares strictly inside)``; it uses every frame,
    not the two around one crossing of 0.5, so one odd frame moves it by 1/n of its error.
    """
    flat = window.reshape(len(window), -1)
    axis = flat[-1] - flat[0]
    norm = float(axis @ axis)
    if norm < 1e-6 * axis.size:
        return None  # the two clips look alike: nothing to measure
    share = np.clip((flat[1:-1] - flat[0]) @ axis / norm, 0.0, 1.0)
    return round(before + len(window) - 1.5 - float(share.sum()), 2)


def expected_frames(cut: Cut) -> range:
    """Where ``cut`` may show: a hard cut's search window, a transition and a frame either side."""
    if cut.overlap == 0:
        return range(cut.at_frame - SEARCH_FRAMES, cut.at_frame + SEARCH_FRAMES + 1)
    return range(cut.at_frame - cut.lead - 1, cut.at_frame + cut.tail + 2)


def audit_windows(cuts: Sequence[Cut], watch: Sequence[int] = (),
                  total_frames: Optional[int] = None) -> list[range]:
    """The frames the audit decodes: where each cut may show and ``SEARCH_FRAMES`` around each
    frame of ``watch`` (a looped clip's restart), ``CONTEXT_FRAMES`` wider, merged when less than
    ``MERGE_FRAMES`` apart (or from the start, or from ``total_frames`` when known)."""
    spans = [*map(expected_frames, cuts),
             *(range(f - SEARCH_FRAMES, f + SEARCH_FRAMES + 1) for f in watch)]
    merged = [[0, 0]]
    for span in sorted(spans, key=lambda r: r.start):
        start, stop = max(span.start - CONTEXT_FRAMES, 0), span.stop + CONTEXT_FRAMES
        if start - merged[-1][1] < MERGE_FRAMES:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    if total_frames:
        merged = [[a, min(b, total_frames)] for a, b in merged if a < total_frames]
        if merged and total_frames - merged[-1][1] < MERGE_FRAMES:
            merged[-1][1] = total_frames
    return [range(a, b) for a, b in merged if b > a]


@dataclass(frozen=True)
class _Window:
    """Grey frames decoded from frame ``start`` on."""

    start: int
    grey: np.ndarray

    def midpoint(self, cut: Cut) -> Optional[float]:
        local = transition_midpoint(self.grey, replace(cut, at_frame=cut.at_frame - self.start))
        return None if local is None else round(self.start + local, 2)


def _found_cuts(windows: Sequence[_Window]) -> list[int]:
    """Hard cuts in the windows, against one threshold from all their frame changes."""
    diffs = [differences(w.grey) for w in windows]
    level = auto_threshold(np.concatenate([[0.0], *(d[1:] for d in diffs)]))
    return [w.start + k for w, d in zip(windows, diffs) for k in cuts_from_differences(d, level)]


def _midpoint(windows: Sequence[_Window], cut: Cut) -> Optional[float]:
    window = next((w for w in windows if w.start <= cut.at_frame < w.start + len(w.grey)), None)
    return None if window is None else window.midpoint(cut)


def audit_render(path: Path | str, cuts: Sequence[Cut], *, fps: int, video_duration: float,
                 audio_duration: Optional[float], watch: Sequence[int] = ()) -> SyncAudit:
    """Measure every cut of ``cuts`` in the file at ``path``, decoded small and grey in the
    ``audit_windows`` around them (and around the frames of ``watch``, where looped clips
    restart); hard cuts found there that nobody planned are ``unplanned_cuts``."""
    total = round(video_duration * fps) or None

    def decode(window: range) -> _Window:
        return _Window(window.start, grey_frames(path, start=window.start, count=len(window),
                                                 fps=fps))

    with ThreadPoolExecutor(DECODERS) as pool:
        windows = list(pool.map(decode, audit_windows(cuts, watch, total)))
    found = _found_cuts(windows)
    checks = [CutCheck(c.at_frame, c.kind, _hard_cut(found, c.at_frame) if c.overlap == 0
                       else _midpoint(windows, c)) for c in cuts]
    expected = [expected_frames(c) for c in cuts]
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
