"""The analysis as the PRD's Audio Parser JSON (plain dicts, lists and rounded numbers)."""

from __future__ import annotations

from typing import Any, Optional

from mvstudio.engine.analysis.confidence import LOW, low_confidence_spans
from mvstudio.engine.model import Analysis
from mvstudio.engine.timebase import to_seconds

_T = 3  # decimals for times (ms)
_V = 3  # decimals for 0..1 values


def _t(seconds: float) -> float:
    return round(float(seconds), _T)


def audio_parser_json(analysis: Analysis, cache_hit: bool = False,
                      processing_time: Optional[float] = None) -> dict[str, Any]:
    """PRD Module 3 output shape; ``clip_boundaries`` are seconds of the analysis' frame slots.

    Beyond the PRD: ``downbeats``, ``meter``, ``tempo_curve`` (local BPM per beat),
    ``confidence_curve`` (0-1 per beat) and ``low_confidence`` (stretches of beats under
    ``confidence.LOW``), per-section ``energy_value``, ``energy_curve`` (loudness and brightness
    per beat) and, in ``metadata``, ``tempo_confidence`` and ``tempo_stability``.
    ``processing_time`` overrides the analysis' own (e.g. the time a cache hit took).
    """
    fps = analysis.fps
    clips = []
    for c in analysis.clip_boundaries:
        start, end = to_seconds(c.start_frame, fps), to_seconds(c.end_frame, fps)
        clips.append({"start": _t(start), "end": _t(end), "duration": _t(end - start)})
    return {
        "bpm": round(float(analysis.bpm), 2),
        "duration": _t(analysis.duration),
        "beat_timestamps": [_t(b) for b in analysis.beats],
        "downbeats": [_t(b) for b in analysis.downbeats],
        "meter": int(analysis.meter),
        "tempo_curve": [round(float(t), 2) for t in analysis.tempo_curve],
        "confidence_curve": [round(float(c), _V) for c in analysis.confidence_curve],
        "low_confidence": [{"start": _t(a), "end": _t(b)} for a, b in low_confidence_spans(
            analysis.beats, analysis.confidence_curve, analysis.duration, LOW)],
        "song_structure": [{"type": s.label, "start": _t(s.start), "end": _t(s.end),
                            "energy": s.energy, "energy_value": round(float(s.energy_value), _V)}
                           for s in analysis.sections],
        "lyrics": [{"text": line.text, "timestamp": _t(line.start), "end": _t(line.end),
                    "words": [{"text": w.text, "start": _t(w.start), "end": _t(w.end)}
                              for w in line.words]}
                   for line in analysis.lyrics],
        "mood": {"primary": analysis.mood.primary, "secondary": analysis.mood.secondary,
                 "energy_level": analysis.mood.energy_level,
                 "confidence": round(float(analysis.mood.confidence), _V)},
        "clip_boundaries": clips,
        "energy_curve": [{"time": _t(b), "energy": round(float(e), _V),
                          "brightness": round(float(br), _V)}
                         for b, e, br in zip(analysis.beats, analysis.beat_energy,
                                             analysis.beat_brightness)],
        "metadata": {
            "processing_time": round(float(analysis.processing_time if processing_time is None
                                           else processing_time), 2),
            "cache_hit": bool(cache_hit),
            "beat_detection_confidence": round(float(analysis.beat_confidence), _V),
            "tempo_confidence": round(float(analysis.tempo_confidence), _V),
            "tempo_stability": round(float(analysis.tempo_stability), _V),
            "fallback_used": bool(analysis.fallback_used),
        },
    }
