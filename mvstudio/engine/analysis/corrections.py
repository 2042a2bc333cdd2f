"""The user's corrections of an analysis, applied by one pure function after every (re)analysis.

``apply_corrections(analysis, corrections)`` never changes its inputs.  Order of application::

    beats:     taps (>= 2)  ->  else tempo override  ->  then phase shift
    bars:      the meter is kept; the bar phase follows the analysed first downbeat
    per beat:  energy and brightness follow the new beats (value of the analysed beat interval);
               confidence is 1 on a grid the user set (taps, tempo), else follows a shifted beat
    sections:  relabels, then boundary moves; section energies follow the new boundaries
    clips:     proposed clip slots are recomputed from the corrected beats, bars and sections

A tempo override that is (within ``OCTAVE_TOLERANCE``) twice, half or the same as the analysed
tempo re-levels the analysed beats, which keeps their drift; any other tempo lays a regular grid
from the first downbeat.  Taps that fit a straight line become a regular grid over the whole song;
taps that drift are used as they are, extended at their end periods.

Section edits name their target by time where they can (``at``, ``original``), so after a
re-analysis they land on the same music even if sections were renumbered; an edit whose target no
longer exists is left out.  Invalid corrections raise ``InputError`` (``validate_corrections``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

from mvstudio.engine.analysis.boundaries import clip_boundaries
from mvstudio.engine.analysis.pulse import local_tempi, stability, tempo_from_beats
from mvstudio.engine.analysis.settings import AnalysisSettings
from mvstudio.engine.errors import InputError
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import (SECTION_LABELS, Analysis, AnalysisCorrections, BoundaryMove,
                                   Section, SectionRelabel)

TEMPO_LIMITS = (20.0, 400.0)
MAX_SHIFT_MS = 5000.0
OCTAVE_TOLERANCE = 0.06
MOVE_REACH_S = 4.0  # a boundary move follows its boundary this far after a re-analysis
MIN_SECTION_S = 0.5
_STRAIGHT_TAPS = 0.05  # taps whose residual from a line is under this share of a beat are steady


def corrections_hash(corrections: AnalysisCorrections) -> str:
    """Hash of the corrections ("" when there are none)."""
    return "" if corrections.is_empty() else input_hash("corrections", corrections)


def validate_corrections(corrections: AnalysisCorrections, duration: float) -> None:
    """Raise ``InputError`` (one line) for a correction that cannot apply to a song this long."""
    c = corrections
    lo, hi = TEMPO_LIMITS
    if c.tempo_bpm is not None and not (math.isfinite(c.tempo_bpm) and lo <= c.tempo_bpm <= hi):
        raise InputError(f"a corrected tempo must be {lo:g}-{hi:g} BPM, not {c.tempo_bpm}")
    if not (math.isfinite(c.phase_shift_ms) and abs(c.phase_shift_ms) <= MAX_SHIFT_MS):
        raise InputError(f"a beat shift must be within +-{MAX_SHIFT_MS:g} ms, not {c.phase_shift_ms}")
    taps = c.tapped_beats
    if any(not math.isfinite(t) or not 0.0 <= t <= duration for t in taps):
        raise InputError(f"tapped beats must lie inside the song (0-{duration:.2f} s)")
    if taps and len(set(round(t, 3) for t in taps)) < 2:
        raise InputError("tap at least two beats to set the beat grid")
    for r in c.relabels:
        if r.label not in SECTION_LABELS:
            raise InputError(f"unknown section label {r.label!r}; use one of "
                             f"{', '.join(SECTION_LABELS)}")
    for m in c.boundary_moves:
        if m.index < 1 or not (math.isfinite(m.time) and 0.0 < m.time < duration):
            raise InputError(f"a section boundary must move inside the song (0-{duration:.2f} s)"
                             f" and cannot be the start of the first section")


def relabel_section(analysis: Analysis, index: int, label: str) -> SectionRelabel:
    """A relabel of section ``index`` that finds the same music after a re-analysis."""
    sec = analysis.sections[index]
    return SectionRelabel(index=index, label=label, at=round((sec.start + sec.end) / 2, 3))


def move_boundary(analysis: Analysis, index: int, time: float) -> BoundaryMove:
    """A move of the start of section ``index`` that finds the same boundary after re-analysis."""
    return BoundaryMove(index=index, time=float(time), original=analysis.sections[index].start)


# --------------------------------------------------------------------------- beats


def _tapped_grid(taps: np.ndarray, duration: float) -> np.ndarray:
    """Beats from the user's taps (see module doc)."""
    taps = np.unique(np.round(taps, 3))
    period0 = float(np.median(np.diff(taps)))
    k = np.round((taps - taps[0]) / period0)
    slope, intercept = np.polyfit(k, taps, 1) if len(np.unique(k)) > 1 else (period0, taps[0])
    residual = np.abs(taps - (intercept + slope * k)).max()
    if residual <= _STRAIGHT_TAPS * slope:
        return _grid(intercept, slope, duration)
    first_p = taps[1] - taps[0]
    last_p = taps[-1] - taps[-2]
    before = taps[0] - first_p * np.arange(int(taps[0] / first_p), 0, -1)
    after = taps[-1] + last_p * np.arange(1, int((duration - taps[-1]) / last_p) + 1)
    beats = np.concatenate([before, taps, after])
    return beats[(beats >= 0) & (beats < duration)]


def _grid(anchor: float, period: float, duration: float) -> np.ndarray:
    """A regular grid through ``anchor`` covering ``[0, duration)``."""
    start = anchor - period * math.floor(anchor / period)
    return np.arange(start, duration, period)


def _relevel(analysis: Analysis, beats: np.ndarray, ratio: float) -> Optional[np.ndarray]:
    """The analysed beats at twice/half the rate for an octave ratio, the same for ~1; else None."""
    near = lambda r: abs(ratio / r - 1.0) <= OCTAVE_TOLERANCE  # noqa: E731
    if near(1.0):
        return beats
    if near(2.0) and len(beats) >= 2:
        return np.sort(np.concatenate([beats, 0.5 * (beats[:-1] + beats[1:])]))
    if near(0.5) and len(beats) >= 2:
        phase = 0
        if analysis.downbeats:
            phase = int(np.argmin(np.abs(beats - analysis.downbeats[0]))) % 2
        return beats[phase::2]
    return None


def corrected_beats(analysis: Analysis, c: AnalysisCorrections) -> tuple[np.ndarray, float]:
    """``(beats, tempo)`` after taps / tempo override / phase shift."""
    beats = np.asarray(analysis.beats, dtype=float)
    tempo = float(analysis.bpm)
    duration = analysis.duration
    if len(c.tapped_beats) >= 2:
        beats = _tapped_grid(np.asarray(c.tapped_beats, dtype=float), duration)
        tempo = tempo_from_beats(beats, tempo)
    elif c.tempo_bpm is not None:
        releveled = _relevel(analysis, beats, c.tempo_bpm / tempo) if tempo > 0 else None
        if releveled is None:
            anchor = analysis.downbeats[0] if analysis.downbeats else (beats[0] if len(beats) else 0.0)
            releveled = _grid(anchor, 60.0 / c.tempo_bpm, duration)
        beats, tempo = releveled, float(c.tempo_bpm)
    if c.phase_shift_ms:
        beats = beats + c.phase_shift_ms / 1000.0
        beats = beats[(beats >= 0.0) & (beats < duration)]
    return beats, tempo


def _downbeats(analysis: Analysis, beats: np.ndarray, shift_s: float) -> np.ndarray:
    """Every ``meter``-th new beat, in the bar phase of the analysed first downbeat."""
    meter = max(1, analysis.meter)
    if len(beats) == 0:
        return beats
    anchor = (analysis.downbeats[0] + shift_s) if analysis.downbeats else beats[0]
    phase = int(np.argmin(np.abs(beats - anchor))) % meter
    return beats[phase::meter]


def _per_beat(values: list[float], old_beats: list[float], beats: np.ndarray) -> list[float]:
    """Each new beat takes the value of the analysed beat interval it falls in."""
    if not values or not old_beats:
        return [0.0] * len(beats)
    idx = np.searchsorted(np.asarray(old_beats), beats, side="right") - 1
    idx = np.clip(idx, 0, len(values) - 1)
    return [float(values[i]) for i in idx]


def _confidence(analysis: Analysis, c: AnalysisCorrections, beats: np.ndarray) -> list[float]:
    """Per-beat confidence of the corrected beats: the user's own grid is certain; shifted
    beats keep the value of the beat they were shifted from."""
    if len(c.tapped_beats) >= 2 or c.tempo_bpm is not None:
        return [1.0] * len(beats)
    old = np.asarray(analysis.beats, dtype=float)
    if not analysis.confidence_curve or len(old) != len(analysis.confidence_curve):
        return []
    source = beats - c.phase_shift_ms / 1000.0
    nearest = np.abs(old[None, :] - source[:, None]).argmin(axis=1)
    return [float(analysis.confidence_curve[i]) for i in nearest]


# --------------------------------------------------------------------------- sections


def find_section(sections: list[Section], edit: SectionRelabel) -> Optional[int]:
    """Index of the section ``edit`` renames in ``sections``, None when there is none."""
    if edit.at is not None:
        for i, s in enumerate(sections):
            if s.start <= edit.at < s.end:
                return i
        return len(sections) - 1 if sections and edit.at >= sections[-1].end else None
    return edit.index if 0 <= edit.index < len(sections) else None


def find_boundary(sections: list[Section], move: BoundaryMove) -> Optional[int]:
    """Index of the section whose start ``move`` moves in ``sections``, None when there is none."""
    if move.original is not None:
        starts = [s.start for s in sections[1:]]
        if not starts:
            return None
        i = int(np.argmin([abs(t - move.original) for t in starts]))
        return i + 1 if abs(starts[i] - move.original) <= MOVE_REACH_S else None
    return move.index if 1 <= move.index < len(sections) else None


def corrected_sections(analysis: Analysis, c: AnalysisCorrections, beats: np.ndarray,
                       energy: list[float]) -> list[Section]:
    """Sections after relabels and boundary moves, energies re-measured on the new beats."""
    from mvstudio.engine.analysis.sections import energy_levels  # scipy; only needed here

    sections = [dataclasses.replace(s) for s in analysis.sections]
    for edit in c.relabels:
        i = find_section(sections, edit)
        if i is not None:
            sections[i].label = edit.label
    for move in c.boundary_moves:
        i = find_boundary(sections, move)
        if i is None:
            continue
        lo = sections[i - 1].start + MIN_SECTION_S
        hi = sections[i].end - MIN_SECTION_S
        if lo < hi:
            sections[i - 1].end = sections[i].start = float(np.clip(move.time, lo, hi))
    if not sections:
        return sections
    values = np.asarray(energy, dtype=float)
    for s in sections:
        inside = (beats >= s.start) & (beats < s.end)
        if inside.any():
            s.energy_value = round(float(values[inside].mean()), 4)
    for s, level in zip(sections, energy_levels([s.energy_value for s in sections])):
        s.energy = level
    return sections


# --------------------------------------------------------------------------- all together


def apply_corrections(analysis: Analysis, corrections: AnalysisCorrections,
                      settings: Optional[AnalysisSettings] = None) -> Analysis:
    """The analysis as the user corrected it (see module doc); ``analysis`` is left untouched.

    ``settings`` decide the recomputed clip slots (the analysis' own when not given).  With no
    corrections the analysis itself is returned.
    """
    if corrections.is_empty():
        return analysis
    validate_corrections(corrections, analysis.duration)
    settings = settings or analysis.settings
    c = corrections
    beats_changed = bool(c.tapped_beats or c.tempo_bpm is not None or c.phase_shift_ms)
    if beats_changed:
        beats, tempo = corrected_beats(analysis, c)
        shift = c.phase_shift_ms / 1000.0 if not c.tapped_beats else 0.0
        downbeats = _downbeats(analysis, beats, shift)
        energy = _per_beat(analysis.beat_energy, analysis.beats, beats)
        brightness = _per_beat(analysis.beat_brightness, analysis.beats, beats)
        curve = local_tempi(beats, tempo)
        confidence = _confidence(analysis, c, beats)
    else:
        beats, tempo = np.asarray(analysis.beats, dtype=float), analysis.bpm
        downbeats = np.asarray(analysis.downbeats, dtype=float)
        energy, brightness = list(analysis.beat_energy), list(analysis.beat_brightness)
        curve = np.asarray(analysis.tempo_curve, dtype=float)
        confidence = list(analysis.confidence_curve)
    sections = corrected_sections(analysis, c, beats, energy)
    clips = clip_boundaries(beats, downbeats, [s.start for s in sections[1:]], analysis.duration,
                            analysis.fps, settings.min_clip_s, settings.max_clip_s,
                            settings.min_clips, energy)
    chash = corrections_hash(c)
    return dataclasses.replace(
        analysis, bpm=float(tempo), beats=[float(b) for b in beats],
        downbeats=[float(d) for d in downbeats], beat_energy=energy, beat_brightness=brightness,
        sections=sections, clip_boundaries=clips, tempo_curve=[float(t) for t in curve],
        tempo_stability=stability(curve) if beats_changed else analysis.tempo_stability,
        confidence_curve=confidence,
        corrections_hash=chash, settings=settings, id="ana_" + input_hash(analysis.id, chash)[:8])
