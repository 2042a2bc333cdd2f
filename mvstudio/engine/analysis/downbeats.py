"""Downbeats and meter: which beats start a bar.

Each beat gets an accent from three pieces of evidence, each relative to its neighbourhood so that
loud and quiet passages count alike:

* low-frequency onset strength (kick drum, bass notes land on the one), over the low band's own
  loud range only (``Features.onset_bass``: where the band falls silent between bass notes, the
  faint leakage of chord stabs on the other beats would count as much as the bass),
* harmonic change (chords tend to change at bar starts): chroma after the beat vs before it,
* broadband onset strength (a weaker hint; backbeat snares also score here).

For each candidate meter and bar phase the mean accent of the beats that would be downbeats is
compared with the rest; the best phase wins.  Meter 4 is assumed unless 3 is clearly better.  The
phase is global for the song (a seam for a later, per-passage decision).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mvstudio.engine.analysis.features import N_FFT, Features

DEFAULT_METER = 4
CANDIDATE_METERS = (4, 3)
_WEIGHTS = {"low": 1.0, "harmony": 1.0, "onset": 0.5}
_LOCAL_BEATS = 16  # neighbourhood for relative accents
_THREE_MARGIN = 1.25  # meter 3 must beat meter 4 by this factor


def _at_beats(curve: np.ndarray, frames: np.ndarray, reach: int = 2) -> np.ndarray:
    """Peak of ``curve`` within ``reach`` frames of each beat frame."""
    windows = frames[:, None] + np.arange(-reach, reach + 1)[None, :]
    return curve[np.clip(windows, 0, len(curve) - 1)].max(axis=1)


def _harmonic_change(chroma: np.ndarray, frames: np.ndarray, guard: int) -> np.ndarray:
    """Cosine distance between the mean chroma of the beat starting at each beat and the one before.

    Each beat's chroma skips ``guard`` frames at both ends: an STFT frame near a beat also hears
    the neighbouring beat, which would blur exactly the change being measured.
    """
    n = chroma.shape[1]
    ends = np.concatenate([frames[1:], [n]])
    lo, hi = frames + guard, ends - guard
    narrow = hi <= lo
    lo[narrow], hi[narrow] = frames[narrow], np.maximum(ends[narrow], frames[narrow] + 1)
    lo, hi = lo.clip(0, n), hi.clip(0, n)
    cum = np.concatenate([np.zeros((12, 1)), np.cumsum(chroma, axis=1)], axis=1)
    seg = (cum[:, hi] - cum[:, lo]) / np.maximum(hi - lo, 1)  # (12, beats)
    seg = seg / np.maximum(np.linalg.norm(seg, axis=0, keepdims=True), 1e-9)
    change = np.zeros(len(frames))
    change[1:] = 1.0 - np.sum(seg[:, 1:] * seg[:, :-1], axis=0)
    change[0] = change[1:].mean() if len(frames) > 1 else 0.0
    return change


def _relative(x: np.ndarray) -> np.ndarray:
    """``x`` over its local mean, centred: 0 is an ordinary beat, +1 twice as strong as usual."""
    local = ndimage.uniform_filter1d(x.astype(float), min(_LOCAL_BEATS, len(x)), mode="nearest")
    return x / np.maximum(local, 1e-6 + 1e-3 * max(float(x.max()), 0.0)) - 1.0


def beat_accents(features: Features, beats: np.ndarray) -> np.ndarray:
    """One accent value per beat (higher = more likely a downbeat)."""
    frames = features.frame_of(beats)
    parts = {"low": _at_beats(features.onset_bass, frames),
             "harmony": _harmonic_change(features.chroma, frames, guard=N_FFT // (2 * features.hop)),
             "onset": _at_beats(features.onset, frames)}
    return sum(_WEIGHTS[k] * _relative(v) for k, v in parts.items())


def phase_scores(accents: np.ndarray, meter: int) -> np.ndarray:
    """For each bar phase, mean accent of its beats minus the mean of all beats."""
    return np.array([accents[p::meter].mean() - accents.mean() for p in range(meter)])


def find_downbeats(features: Features, beats: np.ndarray, meter: int | None = None
                   ) -> tuple[np.ndarray, int]:
    """``(downbeat times, meter)``; pass ``meter`` to skip meter detection."""
    beats = np.asarray(beats, dtype=float)
    if len(beats) < 2 * (meter or DEFAULT_METER):
        return beats[:: meter or DEFAULT_METER], meter or DEFAULT_METER
    accents = beat_accents(features, beats)
    candidates = (meter,) if meter else CANDIDATE_METERS
    best = {m: phase_scores(accents, m) for m in candidates if len(beats) >= 2 * m}
    if meter is None:
        meter = DEFAULT_METER
        if 3 in best and best[3].max() > _THREE_MARGIN * max(best[4].max(), 0.0) + 0.05:
            meter = 3
    phase = int(np.argmax(best[meter]))
    return beats[phase::meter], meter
