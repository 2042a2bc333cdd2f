"""Beat-tracking building blocks against exact truth: onset lead, tempo, tempo curve, accents."""

from __future__ import annotations

import numpy as np
import pytest

from mvstudio.engine.analysis.beats import (ONSET_LEAD_S, TEMPO_RANGE, estimate_tempo,
                                             fold_octave, peak_offset, tempo_and_curve,
                                             tempo_curve)
from mvstudio.engine.analysis.features import compute_features
from mvstudio.engine.analysis.pulse import local_tempi, stability, tempo_from_beats

SR, HOP = 22050, 512


def _tone(f0: float, seconds: float, decay: float, slope: float = 1.0, n: int = 8) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return sum(k ** -slope * np.sin(2 * np.pi * f0 * k * t) for k in range(1, n + 1)) * \
        np.exp(-t / decay)


def _sounds(rng: np.random.Generator) -> dict:
    t = np.arange(int(0.3 * SR)) / SR
    return {
        "kick": lambda: np.sin(2 * np.pi * np.cumsum(60 + 100 * np.exp(-t / 0.02)) / SR)
        * np.exp(-t / 0.08),
        "snare": lambda: rng.standard_normal(int(0.2 * SR)) * np.exp(-np.arange(int(0.2 * SR))
                                                                     / SR / 0.05),
        "pluck": lambda: _tone(196 * 2 ** (rng.integers(0, 12) / 12), 1.0, 0.3),
        "piano": lambda: _tone(262 * 2 ** (rng.integers(0, 12) / 12), 1.0, 0.5, slope=1.5),
        "bass": lambda: _tone(55 * 2 ** (rng.integers(0, 12) / 12), 0.6, 0.25, 1.2, 5),
    }


def measured_lead() -> float:
    """Median (onset time - flux peak time) over several sounds and noise floors (see beats doc)."""
    rng = np.random.default_rng(0)
    leads = []
    for make in _sounds(rng).values():
        for floor_db in (-40, -20):
            y = 10 ** (floor_db / 20) * 0.1 * rng.standard_normal(12 * SR)
            onsets = np.arange(0.5, 11.0, 0.61) + rng.uniform(0, 0.02, 18)
            for o in onsets:
                s, i = make(), int(o * SR)
                y[i:i + len(s)] += 0.3 * s[:len(y) - i]
            flux = compute_features(y.astype(np.float32), SR).onset
            for o in onsets:
                f = int(round(o * SR / HOP))
                k = max(f - 4, 1) + int(np.argmax(flux[max(f - 4, 1):f + 5]))
                a, b, c = flux[k - 1:k + 2]
                shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c < 0 else 0.0
                leads.append(o - (k + shift) * HOP / SR)
    return float(np.median(leads))


def test_onset_lead_is_what_the_flux_shows_on_synthesised_onsets():
    assert measured_lead() == pytest.approx(ONSET_LEAD_S, abs=0.004)


def click_onsets(bpm_at, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """A flux-like impulse train whose tempo follows ``bpm_at(t)``; returns (onset, beat times)."""
    beats, t = [], 0.3
    while t < duration:
        beats.append(t)
        t += 60.0 / bpm_at(t)
    onset = np.zeros(int(duration * SR / HOP) + 1)
    onset[np.round(np.array(beats) * SR / HOP).astype(int)] = 1.0
    return onset, np.array(beats)


@pytest.mark.parametrize("bpm,reading", [(66.0, 66.0), (97.0, 97.0), (128.0, 128.0),
                                         (150.0, 150.0), (175.0, 87.5)])
def test_tempo_of_steady_pulses(bpm, reading):
    """Identical pulses carry equal evidence for every metrical level; the prior (0.55 s) then
    keeps the reading between ~77 and ~154 BPM, so bare 175 BPM pulses read as 87.5."""
    onset, _ = click_onsets(lambda t: bpm, 40.0)
    from scipy import ndimage

    tempo, confidence = estimate_tempo(ndimage.gaussian_filter1d(onset, 1.0), SR, HOP)
    assert tempo == pytest.approx(reading, rel=0.02) and confidence > 0.5


def test_tempo_curve_follows_a_ramp_and_stays_on_its_level():
    onset, beats = click_onsets(lambda t: 90.0 + t, 60.0)  # 90 -> 150 BPM
    from scipy import ndimage

    curve = tempo_curve(ndimage.gaussian_filter1d(onset, 1.0), SR, HOP, 120.0)
    times = np.arange(len(curve)) * HOP / SR
    for t in (12.0, 30.0, 48.0):
        assert curve[np.searchsorted(times, t)] == pytest.approx(90.0 + t, rel=0.06)
    assert curve.max() <= 120.0 * 1.3 + 1e-6 and curve.min() >= 120.0 / 1.3 - 1e-6


def rubato_onsets(bpm: float, depth: float, period: float, pattern: list[float],
                  duration: float = 45.0) -> tuple[np.ndarray, float]:
    """A smoothed flux-like train: each beat split into ``len(pattern)`` tatums with these
    accents, the tempo swinging by +-``depth`` every ``period`` s; returns (onset, median BPM)."""
    from scipy import ndimage

    beats, t = [], 0.3
    while t < duration:
        beats.append(t)
        t += 60.0 / (bpm * (1 + depth * np.sin(2 * np.pi * t / period)))
    onset = np.zeros(int(duration * SR / HOP) + 1)
    for a, b in zip(beats[:-1], beats[1:]):
        for k, accent in enumerate(pattern):
            onset[round((a + (b - a) * k / len(pattern)) * SR / HOP)] += accent
    return ndimage.gaussian_filter1d(onset, 1.0), float(60.0 / np.median(np.diff(beats)))


def test_rubato_tempo_is_read_in_score_time():
    """Rubato smears long periods in the plain mean tempogram; reading the tempo again with the
    tempo curve divided out finds the beat level more often and never loses one already found."""
    plain, warped = [], []
    for pattern in ([1, 0.5, 0, 0.8], [1, 0, 0.6, 0.6], [1, 0.4, 0.7, 0.4]):
        for bpm in (62.0, 80.0, 105.0):
            for depth, period in ((0.05, 6.0), (0.1, 12.0)):
                onset, truth = rubato_onsets(bpm, depth, period, pattern)
                plain.append(abs(estimate_tempo(onset, SR, HOP)[0] / truth - 1) < 0.04)
                tempo, _, curve = tempo_and_curve(onset, SR, HOP)
                warped.append(abs(tempo / truth - 1) < 0.04)
                assert len(curve) == len(onset)
    assert all(w for p, w in zip(plain, warped) if p)
    assert sum(warped) > sum(plain)


def test_steady_tempo_reads_the_same_in_score_time():
    onset, truth = rubato_onsets(97.0, 0.0, 10.0, [1, 0.3, 0.6, 0.3])
    tempo, _, curve = tempo_and_curve(onset, SR, HOP)
    assert tempo == pytest.approx(estimate_tempo(onset, SR, HOP)[0], rel=0.01)
    assert tempo == pytest.approx(truth, rel=0.02)
    assert np.allclose(curve, tempo, rtol=0.05)


def test_peak_offset_finds_the_peak_between_frames():
    accent = np.zeros(20)
    accent[[9, 10, 11]] = [0.5, 1.0, 0.0]  # true peak left of frame 10
    accent[[14, 15, 16]] = [0.2, 1.0, 0.2]  # symmetric: on the frame
    accent[4:7] = [1.0, 0.5, 0.2]  # frame 5 is no peak: left alone
    offset = peak_offset(accent, np.array([10, 15, 5]))
    assert -0.5 < offset[0] < 0 and offset[1] == 0.0 and offset[2] == 0.0


def test_pulse_measures():
    steady = np.arange(0.0, 30.0, 0.5)
    assert tempo_from_beats(steady, 0.0) == pytest.approx(120.0)
    assert stability(local_tempi(steady, 120.0)) == 1.0
    ramp = np.cumsum(60.0 / np.linspace(90, 150, 80))
    curve = local_tempi(ramp, 120.0)
    step = 60.0 / 79  # BPM added per beat
    assert curve[5] == pytest.approx(90 + 6 * step, abs=1.0)
    assert curve[-5] == pytest.approx(90 + 76 * step, abs=1.0)
    assert stability(curve) < 0.3
    assert tempo_from_beats(np.array([1.0, 2.0]), 99.0) == 99.0


def test_octave_folding_into_range():
    assert TEMPO_RANGE == (60.0, 200.0)
    onset = np.zeros(500)
    onset[::22] = 1.0  # the even beats of a 220 BPM grid carry the onsets
    fast = np.arange(0.0, 10.0, 60 / 220)
    beats, tempo = fold_octave(fast, 220.0, onset, SR, HOP)
    assert tempo == 110.0 and np.allclose(np.diff(beats), 120 / 220)
