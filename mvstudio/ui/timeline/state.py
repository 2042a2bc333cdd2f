"""What the timeline shows: the project (read only), the waveform and the view's own state.

The lanes read one ``TimelineData``; the view owns it and never writes to the project.  Arrays the
lanes need on every repaint (beats, energy, words, bar numbers) are derived once per change of the
analysis, and ``signatures`` lets ``refresh()`` tell which lanes actually changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from mvstudio.engine.analysis.confidence import low_confidence_spans
from mvstudio.engine.analysis.lyrics import TEXT_SETTING, lyrics_timing
from mvstudio.engine.model import Analysis, Plan, Project
from mvstudio.engine.snapping import SNAP_KINDS
from mvstudio.engine.timebase import DEFAULT_FPS
from mvstudio.engine.waveform import Envelope


@dataclass(frozen=True)
class LyricRow:
    """One lyric line as the lyrics lane draws it: span, text, and its words' starts and texts."""

    start: float
    end: float
    text: str
    word_starts: tuple[float, ...]
    words: tuple[str, ...]


def _lyric_rows(analysis: Analysis) -> tuple[LyricRow, ...]:
    rows = [LyricRow(line.start, max(line.end, line.start), line.text,
                     tuple(w.start for w in line.words), tuple(w.text for w in line.words))
            for line in analysis.lyrics if line.text.strip() or line.words]
    return tuple(sorted(rows, key=lambda r: r.start))


@dataclass(frozen=True, eq=False)
class Grid:
    """Analysis arrays in seconds, ready for ``searchsorted``; bar/beat numbers per beat."""

    beats: np.ndarray
    downbeats: np.ndarray
    energy: np.ndarray  # per beat, 0..1 of the song's loudest beat
    bar: np.ndarray  # bar number of each beat (0 before the first downbeat)
    beat_in_bar: np.ndarray  # 1-based
    lines: tuple[LyricRow, ...] = ()  # sorted by start
    line_reach: np.ndarray = field(default_factory=lambda: np.zeros(0))  # latest end so far
    confidence: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per beat ([] unknown)
    low_spans: tuple[tuple[float, float], ...] = ()  # stretches of low beat confidence (s)

    @classmethod
    def from_analysis(cls, analysis: Optional[Analysis]) -> "Grid":
        if analysis is None:
            empty = np.zeros(0)
            return cls(empty, empty, empty, empty, empty)
        beats = np.asarray(sorted(analysis.beats), dtype=np.float64)
        downbeats = np.asarray(sorted(analysis.downbeats), dtype=np.float64)
        energy = np.asarray(analysis.beat_energy[:len(beats)], dtype=np.float64)
        if energy.size and energy.max() > 0:
            energy = energy / energy.max()
        bar = np.searchsorted(downbeats, beats + 1e-3, side="right")
        beat_in_bar = np.arange(len(beats)) - np.searchsorted(bar, bar, side="left") + 1
        lines = _lyric_rows(analysis)
        reach = np.maximum.accumulate([r.end for r in lines]) if lines else np.zeros(0)
        curve = analysis.confidence_curve
        return cls(beats, downbeats, energy, bar, beat_in_bar, lines, reach,
                   np.asarray(curve if len(curve) == len(beats) else [], dtype=np.float64),
                   tuple(low_confidence_spans(analysis.beats, curve, analysis.duration)))

    def beat_spacing(self) -> float:
        """Typical seconds between beats (0 without beats)."""
        return float(np.median(np.diff(self.beats))) if len(self.beats) > 1 else 0.0

    def bar_spacing(self) -> float:
        return float(np.median(np.diff(self.downbeats))) if len(self.downbeats) > 1 else 0.0


@dataclass
class TimelineData:
    project: Optional[Project] = None
    envelope: Optional[Envelope] = None
    grid: Grid = field(default_factory=lambda: Grid.from_analysis(None))
    clip_states: dict[str, str] = field(default_factory=dict)
    selected: Optional[str] = None
    ruler_mode: str = "time"  # "time" | "bars"
    preview: Optional[tuple[int, int]] = None  # (cut index, frame) while a cut is dragged
    snap_enabled: set[str] = field(default_factory=lambda: set(SNAP_KINDS))
    sync_problems: tuple[float, ...] = ()  # seconds of cuts the last render's audit found off

    @property
    def analysis(self) -> Optional[Analysis]:
        return self.project.analysis if self.project else None

    @property
    def plan(self) -> Optional[Plan]:
        return self.project.plan if self.project else None

    @property
    def fps(self) -> int:
        return self.project.fps if self.project else DEFAULT_FPS

    @property
    def duration(self) -> float:
        """The song's length in seconds, from whatever the project knows (0 when nothing)."""
        known = [self.envelope.duration if self.envelope else 0.0]
        if self.project is not None:
            if self.project.song:
                known.append(self.project.song.duration)
            if self.analysis:
                known.append(self.analysis.duration)
            if self.plan and self.plan.clips:
                known.append(self.plan.clips[-1].end_frame / self.fps)
        return max(known)

    @property
    def lyrics_estimated(self) -> bool:
        """The lyrics are pasted text spread over the song, not timed by what was heard."""
        text = self.project.settings.get(TEXT_SETTING, "") if self.project else ""
        return bool(self.analysis and text) and lyrics_timing(self.analysis, text) == "estimated"

    def bars_available(self) -> bool:
        return len(self.grid.downbeats) > 1


def signatures(data: TimelineData) -> dict[str, tuple]:
    """A cheap fingerprint of what each lane draws; a lane repaints when its fingerprint changes."""
    a, plan = data.analysis, data.plan
    beats = (id(a), a.duration, tuple(a.beats), tuple(a.downbeats)) if a else ()
    lyrics = (tuple((ln.start, ln.end, ln.text, tuple((w.start, w.text) for w in ln.words))
                    for ln in a.lyrics) if a else (), data.lyrics_estimated)
    sections = tuple((s.label, s.start, s.end) for s in a.sections) if a else ()
    clips = ()
    if plan is not None:
        clips = (tuple((c.id, c.start_frame, c.end_frame, c.visual_description[:60]) for c in plan.clips),
                 tuple((t.from_clip, t.to_clip, t.kind, t.duration_frames) for t in plan.transitions))
    return {"ruler": (beats, data.ruler_mode, data.duration),
            "sections": sections, "waveform": (id(data.envelope),),
            "beats": (beats, tuple(a.confidence_curve) if a else ()),
            "energy": (beats, tuple(a.beat_energy) if a else ()), "lyrics": lyrics,
            "clips": (clips, tuple(sorted(data.clip_states.items())), data.selected, data.preview,
                      data.sync_problems)}
