"""Per-beat confidence: low over a stretch the music does not support, carried by corrections,
shown in the Audio Parser JSON, empty for analyses made before it existed."""

from __future__ import annotations

import numpy as np
import pytest

from media_factory import write_wav
from mvstudio.engine.analysis.analyze import analyze
from mvstudio.engine.analysis.confidence import LOW, beat_confidence, low_confidence_spans
from mvstudio.engine.analysis.corrections import apply_corrections
from mvstudio.engine.analysis.parser_json import audio_parser_json
from mvstudio.engine.codec import from_dict, to_dict
from mvstudio.engine.model import Analysis, AnalysisCorrections, SectionRelabel

SR = 22050
GAP = (12.0, 18.0)


def click_track(seconds: float = 30.0, bpm: float = 120.0, gap_kind: str = "noise") -> np.ndarray:
    """Clicks every beat except inside ``GAP``, which holds noise or silence."""
    t = np.arange(int(0.03 * SR)) / SR
    click = np.sin(2 * np.pi * 1000 * t) * np.exp(-150 * t)
    y = np.zeros(int(seconds * SR))
    for beat in np.arange(0.5, seconds, 60.0 / bpm):
        if not GAP[0] <= beat < GAP[1]:
            i = int(beat * SR)
            y[i:i + len(click)] += click[:len(y) - i]
    if gap_kind == "noise":
        a, b = int(GAP[0] * SR), int(GAP[1] * SR)
        y[a:b] += 0.3 * np.random.default_rng(0).standard_normal(b - a)
    return 0.8 * y


@pytest.mark.parametrize("gap_kind", ["noise", "silence"])
def test_a_stretch_without_clicks_is_marked_low(tmp_path, gap_kind):
    analysis = analyze(write_wav(tmp_path / "clicks.wav", click_track(gap_kind=gap_kind), SR))
    beats, curve = np.array(analysis.beats), np.array(analysis.confidence_curve)
    assert len(curve) == len(beats) and abs(analysis.bpm - 120) < 1
    inside = (beats >= GAP[0] + 1) & (beats < GAP[1] - 1)
    steady = (beats < GAP[0] - 2) | (beats > GAP[1] + 2)
    assert curve[inside].max() < LOW, curve[inside]
    assert curve[steady].min() > 0.6 and np.median(curve[steady]) > 0.75
    (span,) = low_confidence_spans(analysis.beats, analysis.confidence_curve, analysis.duration)
    assert abs(span[0] - GAP[0]) <= 1.5 and abs(span[1] - GAP[1]) <= 1.5  # smoothing: 2 beats
    data = audio_parser_json(analysis)
    assert len(data["confidence_curve"]) == len(data["beat_timestamps"])
    assert data["low_confidence"] == [{"start": round(span[0], 3), "end": round(span[1], 3)}]


def test_confidence_of_few_or_no_beats():
    accent = np.ones(100)
    assert beat_confidence(accent, np.array([], dtype=int)).shape == (0,)
    assert list(beat_confidence(accent, np.array([3, 40]))) == [0.5, 0.5]
    assert low_confidence_spans([1.0, 2.0], [], 3.0) == []
    assert low_confidence_spans([1.0, 2.0, 3.0], [0.1, 0.9, 0.2], 4.0) == [(1.0, 2.0), (3.0, 4.0)]


def analysis_with_confidence() -> Analysis:
    beats = [0.25 + 0.5 * i for i in range(40)]
    curve = [0.9] * 10 + [0.2] * 10 + [0.8] * 20
    return Analysis(duration=20.0, bpm=120.0, beats=beats, downbeats=beats[::4],
                    beat_energy=[0.5] * 40, beat_brightness=[0.5] * 40, tempo_curve=[120.0] * 40,
                    confidence_curve=curve)


def test_corrections_carry_the_confidence():
    a = analysis_with_confidence()
    relabelled = apply_corrections(a, AnalysisCorrections(relabels=[SectionRelabel(0, "verse")]))
    assert relabelled.confidence_curve == a.confidence_curve
    shifted = apply_corrections(a, AnalysisCorrections(phase_shift_ms=100.0))
    assert shifted.confidence_curve == a.confidence_curve and len(shifted.beats) == 40
    back = apply_corrections(a, AnalysisCorrections(phase_shift_ms=-400.0))  # first beat drops
    assert back.confidence_curve == a.confidence_curve[1:]
    for user in (AnalysisCorrections(tapped_beats=[1.0, 1.5, 2.0]),
                 AnalysisCorrections(tempo_bpm=60.0)):
        corrected = apply_corrections(a, user)
        assert corrected.confidence_curve == [1.0] * len(corrected.beats)


def test_analyses_from_before_have_no_confidence_or_transcript():
    data = to_dict(analysis_with_confidence())
    del data["confidence_curve"], data["transcript"]
    old = from_dict(Analysis, data)
    assert old.confidence_curve == [] and old.transcript is None
    assert audio_parser_json(old)["low_confidence"] == []
    shifted = apply_corrections(old, AnalysisCorrections(phase_shift_ms=100.0))
    assert shifted.confidence_curve == []
