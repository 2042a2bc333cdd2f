"""Song analysis in one call: decode, features, beats, bars, energy, sections, mood, clip slots.

``analyze`` runs on a worker thread (never touches a UI), reports progress as stage ``"analyse"``
through the sink, and checks the cancel token between steps.  Lyrics are left empty: a transcriber
fills them later.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np

from mvstudio.engine.analysis.audio_io import load_audio
from mvstudio.engine.analysis.beats import track_beats
from mvstudio.engine.analysis.boundaries import clip_boundaries
from mvstudio.engine.analysis.downbeats import find_downbeats
from mvstudio.engine.analysis.energy import beat_energy, song_loudness
from mvstudio.engine.analysis.features import compute_features
from mvstudio.engine.analysis.mood import MoodInputs, classify_mood, majorness
from mvstudio.engine.analysis.sections import find_sections
from mvstudio.engine.events import CancelToken, Notice, Sink, StageReporter, null_sink
from mvstudio.engine.analysis.settings import AnalysisSettings, settings_hash
from mvstudio.engine.hashing import file_hash
from mvstudio.engine.model import Analysis
from mvstudio.engine.timebase import DEFAULT_FPS

STAGE = "analyse"
__all__ = ["AnalysisSettings", "analyze", "settings_hash", "STAGE"]


def analyze(path: str | Path, fps: int = DEFAULT_FPS, settings: Optional[AnalysisSettings] = None,
            sink: Sink = null_sink, cancel: Optional[CancelToken] = None) -> Analysis:
    """Analyse the song at ``path``; raises ``AudioError`` for unusable files, ``Cancelled``."""
    settings = settings or AnalysisSettings()
    began = time.monotonic()
    report = StageReporter(sink, STAGE)
    report.start("Analysing the song")

    def step(fraction: float, message: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        report.update(fraction, message, force=True)

    step(0.0, "Decoding audio")
    y = load_audio(path, sr=settings.sr)
    audio_hash = file_hash(path)
    duration = len(y) / settings.sr
    step(0.15, "Measuring the spectrum")
    features = compute_features(y, settings.sr)
    del y
    step(0.35, "Finding the beat")
    beat = track_beats(features)
    if beat.fallback_used:
        sink(Notice(f"No steady beat found; using a {beat.tempo:.0f} BPM grid", STAGE, "warning"))
    step(0.55, "Finding bars")
    downbeats, meter = find_downbeats(features, beat.beats)
    energy, brightness = beat_energy(features, beat.beats)
    step(0.7, "Finding sections")
    sections = find_sections(features, beat.beats, downbeats, energy)
    step(0.85, "Judging the mood")
    major, tonal = majorness(features.chroma.mean(axis=1))
    mood = classify_mood(MoodInputs(
        bpm=beat.tempo, loudness=song_loudness(features),
        brightness=float(np.mean(brightness)) if len(brightness) else 0.0,
        pulse=beat.beat_confidence, majorness=major, tonal=tonal))
    step(0.92, "Placing clip boundaries")
    clips = clip_boundaries(beat.beats, downbeats, [s.start for s in sections[1:]], duration, fps,
                            settings.min_clip_s, settings.max_clip_s, settings.min_clips, energy)
    analysis = Analysis(
        duration=duration, bpm=float(beat.tempo), beats=[float(b) for b in beat.beats],
        downbeats=[float(d) for d in downbeats], meter=meter, sections=sections,
        beat_energy=[float(e) for e in energy], beat_brightness=[float(b) for b in brightness],
        mood=mood, lyrics=[], clip_boundaries=clips, fps=fps,
        beat_confidence=round(beat.beat_confidence, 4),
        tempo_confidence=round(beat.tempo_confidence, 4),
        tempo_curve=[round(float(t), 2) for t in beat.tempo_curve],
        tempo_stability=round(beat.tempo_stability, 4),
        confidence_curve=[round(float(c), 3) for c in beat.confidence],
        audio_hash=audio_hash, settings_hash=settings_hash(settings, fps), settings=settings,
        fallback_used=beat.fallback_used, processing_time=round(time.monotonic() - began, 3))
    report.finish(f"{analysis.bpm:.0f} BPM, {len(sections)} sections, {len(clips)} clips")
    return analysis
