"""Tempo and beats: librosa's dynamic-programming beat tracker with a checked tempo.

0. Onsets: librosa's onset strength with a slow automatic gain (``level_onsets``) so that quiet
   intros and outros are tracked as well as loud choruses.
1. Tempo: the global onset autocorrelation (mean tempogram) is weighted by a log-normal prior
   around 120 BPM and searched only inside ``TEMPO_RANGE``, so a half- or double-time reading is
   folded onto the metrical level with the most evidence in the usual range.
2. Beats: ``librosa.beat.beat_track`` at that tempo.
3. Refined tempo: the mean of the regular inter-beat intervals (the tempogram's lag grid alone is
   several BPM coarse).  Should it land outside ``TEMPO_RANGE``, the beats are halved (keeping the
   phase with the stronger onsets) or doubled (adding midpoints) to fold it back.
4. Latency: onset-strength peaks trail the perceived attack (librosa issue #1052 reports 20-60 ms;
   on annotated recordings we measured ~25 ms), so beats are moved ``ONSET_LATENCY_S`` earlier.
5. Confidence: tempo confidence is the tempogram peak sharpness; beat confidence the geometric
   mean of that and the on-beat vs off-beat onset contrast times interval regularity (a beat is
   trusted when it is both locally salient and globally periodic; noise is only the former).

When no usable beats come out (silence, noise, a sound effect) a regular grid at the estimated (or
default) tempo stands in and ``fallback_used`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
from scipy import ndimage

from mvstudio.engine.analysis.features import Features

TEMPO_RANGE = (70.0, 180.0)
DEFAULT_TEMPO = 120.0
_PRIOR_CENTER = 120.0
_PRIOR_OCTAVES = 1.0  # std of the log2-tempo prior
_TEMPOGRAM_WIN = 384  # ~8.9 s at 22050/512
ONSET_LATENCY_S = 0.015  # conservative: less than the measured lag, never past the attack
_AGC_S = 4.0  # window of the onset gain control
_AGC_FLOOR = 0.1  # never amplify by more than 1/floor relative to the loudest passage


@dataclass
class BeatResult:
    tempo: float
    beats: np.ndarray  # seconds
    beat_confidence: float
    tempo_confidence: float
    fallback_used: bool = False


def level_onsets(onset: np.ndarray, sr: int, hop: int) -> np.ndarray:
    """Onset strength divided by its local (``_AGC_S``) peak level, floored to spare silence."""
    if len(onset) == 0 or onset.max() <= 0:
        return onset
    width = max(1, int(round(_AGC_S * sr / hop)))
    level = ndimage.uniform_filter1d(ndimage.maximum_filter1d(onset, width), width)
    return onset / np.maximum(level, _AGC_FLOOR * onset.max())


def mean_tempogram(onset: np.ndarray, win: int, block: int = 2048) -> np.ndarray:
    """``librosa.feature.tempogram(...).mean(axis=1)`` computed in blocks of frames.

    The full tempogram of a 20-minute song takes ~1 GB while computing; only its mean over time is
    needed, so frames are windowed, autocorrelated and normalised a block at a time.
    """
    padded = np.pad(onset.astype(float), win // 2, mode="linear_ramp", end_values=(0, 0))
    frames = librosa.util.frame(padded, frame_length=win, hop_length=1)[:, :len(onset)]
    window = librosa.filters.get_window("hann", win, fftbins=True)[:, None]
    total = np.zeros(win)
    for t0 in range(0, frames.shape[1], block):
        chunk = frames[:, t0:t0 + block] * window
        power = np.abs(np.fft.rfft(chunk, n=2 * win, axis=0)) ** 2
        ac = np.fft.irfft(power, axis=0)[:win]
        peak = np.abs(ac).max(axis=0, keepdims=True)
        total += np.where(peak > 0, ac / np.where(peak > 0, peak, 1.0), 0.0).sum(axis=1)
    return total / frames.shape[1]


def estimate_tempo(onset: np.ndarray, sr: int, hop: int) -> tuple[float, float]:
    """``(bpm, confidence)`` from the global onset autocorrelation; ``(0, 0)`` if there is none."""
    if len(onset) < 8 or not np.any(onset > 0):
        return 0.0, 0.0
    win = min(_TEMPOGRAM_WIN, max(8, len(onset)))
    ac = mean_tempogram(onset, win)
    bpms = librosa.tempo_frequencies(win, sr=sr, hop_length=hop)
    lo, hi = TEMPO_RANGE
    valid = np.flatnonzero((bpms >= lo) & (bpms <= hi))
    if len(valid) == 0 or ac[valid].max() <= 0:
        return 0.0, 0.0
    prior = np.exp(-0.5 * (np.log2(bpms[valid] / _PRIOR_CENTER) / _PRIOR_OCTAVES) ** 2)
    best = valid[np.argmax(ac[valid] * prior)]
    bpm = _interpolate_peak(bpms, ac, best)
    # sharpness: how far the chosen lag stands above the typical lag in range (1 = a clean pulse)
    confidence = float(np.clip((ac[best] - np.median(ac[valid])) / max(ac[best], 1e-9), 0, 1))
    return bpm, confidence


def _interpolate_peak(bpms: np.ndarray, ac: np.ndarray, i: int) -> float:
    """Parabolic interpolation of the autocorrelation peak in lag space."""
    if 0 < i < len(ac) - 1:
        a, b, c = ac[i - 1], ac[i], ac[i + 1]
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
        lag = i + float(np.clip(shift, -0.5, 0.5))
        return float(bpms[i] * i / lag)  # bpm is inversely proportional to lag
    return float(bpms[i])


def refine_tempo(beats: np.ndarray, fallback: float) -> float:
    """Tempo from the mean of inter-beat intervals within 20% of their median."""
    if len(beats) < 3:
        return fallback
    ibi = np.diff(beats)
    med = np.median(ibi)
    steady = ibi[np.abs(ibi - med) <= 0.2 * med]
    return float(60.0 / steady.mean()) if len(steady) else fallback


def fold_octave(beats: np.ndarray, tempo: float, onset: np.ndarray, sr: int, hop: int
                ) -> tuple[np.ndarray, float]:
    """Halve or double the beat level until ``tempo`` lies in ``TEMPO_RANGE``."""
    lo, hi = TEMPO_RANGE
    while tempo > hi and len(beats) >= 4:
        frames = librosa.time_to_frames(beats, sr=sr, hop_length=hop).clip(0, len(onset) - 1)
        phase = int(np.argmax([onset[frames[p::2]].mean() for p in (0, 1)]))
        beats, tempo = beats[phase::2], tempo / 2
    while 0 < tempo < lo and len(beats) >= 2:
        mids = 0.5 * (beats[:-1] + beats[1:])
        beats, tempo = np.sort(np.concatenate([beats, mids])), tempo * 2
    return beats, tempo


def beat_salience(onset: np.ndarray, beat_frames: np.ndarray) -> float:
    """Salience 0..1: onset strength on the beats against half-way between them, times regularity."""
    if len(beat_frames) < 3:
        return 0.0
    n = len(onset)
    on = np.array([onset[max(f - 1, 0):f + 2].max() for f in beat_frames])
    mids = ((beat_frames[:-1] + beat_frames[1:]) // 2).clip(0, n - 1)
    off = np.array([onset[max(f - 1, 0):f + 2].max() for f in mids])
    contrast = (on.mean() - off.mean()) / max(on.mean(), 1e-9)
    ibi = np.diff(beat_frames)
    regular = np.mean(np.abs(ibi - np.median(ibi)) <= max(1.0, 0.1 * np.median(ibi)))
    return float(np.clip(contrast, 0, 1) * regular)


def tempo_grid(tempo: float, duration: float, start: float = 0.0) -> np.ndarray:
    """Evenly spaced beats from ``start`` to the end of the song."""
    period = 60.0 / tempo
    return np.arange(start, duration - 1e-6, period)


def track_beats(features: Features) -> BeatResult:
    """Tempo, beat times and confidences of a song (falls back to a tempo grid, see module doc)."""
    sr, hop = features.sr, features.hop
    onset = level_onsets(features.onset, sr, hop)
    tempo, tempo_conf = estimate_tempo(onset, sr, hop)
    frames = np.empty(0, dtype=int)
    if tempo > 0:
        _, frames = librosa.beat.beat_track(onset_envelope=onset, sr=sr, hop_length=hop, bpm=tempo,
                                            units="frames")
        frames = np.asarray(frames, dtype=int)
    expected = features.duration * (tempo or DEFAULT_TEMPO) / 60.0
    if len(frames) < max(3, 0.25 * expected):
        return _fallback(features, tempo)
    beats = librosa.frames_to_time(frames, sr=sr, hop_length=hop)
    beats, tempo = fold_octave(beats, refine_tempo(beats, tempo), onset, sr, hop)
    frames = librosa.time_to_frames(beats, sr=sr, hop_length=hop)
    beats = np.maximum(beats - ONSET_LATENCY_S, 0.0)
    salience = beat_salience(onset, frames)
    return BeatResult(tempo=tempo, beats=beats, beat_confidence=float(np.sqrt(salience * tempo_conf)),
                      tempo_confidence=tempo_conf)


def _fallback(features: Features, tempo: float) -> BeatResult:
    """A grid at the estimated tempo (or ``DEFAULT_TEMPO``), starting at the first clear onset."""
    lo, hi = TEMPO_RANGE
    tempo = tempo if lo <= tempo <= hi else DEFAULT_TEMPO
    onset = features.onset
    start = 0.0
    if onset.max() > 0:
        first = int(np.argmax(onset > 0.3 * onset.max()))
        start = float(librosa.frames_to_time(first, sr=features.sr, hop_length=features.hop))
        start %= 60.0 / tempo
    return BeatResult(tempo=tempo, beats=tempo_grid(tempo, features.duration, start),
                      beat_confidence=0.0, tempo_confidence=0.0, fallback_used=True)
