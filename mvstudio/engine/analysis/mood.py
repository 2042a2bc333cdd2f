"""Rule-based mood on two axes: arousal (energetic/calm) and valence (bright/dark).

* arousal = mix of absolute loudness (see ``energy.song_loudness``), tempo (70..180 BPM -> 0..1)
  and pulse clarity (beat confidence: a driving beat feels energetic);
* valence = mix of mode (major/minor by Krumhansl-Schmuckler key profiles on the mean chroma)
  and brightness (spectral centroid, see ``energy``).

The axis that departs furthest from neutral gives the primary mood, the other the secondary;
confidence grows with that departure.  ``energy_level`` follows arousal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvstudio.engine.model import Mood

# Krumhansl-Kessler probe-tone profiles, tonic first
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_TEMPO_LO, _TEMPO_HI = 70.0, 180.0


@dataclass(frozen=True)
class MoodInputs:
    """Song-level descriptors the rules read (all 0..1 except ``bpm``)."""

    bpm: float
    loudness: float  # absolute song loudness
    brightness: float  # mean beat brightness
    pulse: float  # beat confidence
    majorness: float  # 1 = clearly major, 0 = clearly minor, 0.5 = unclear
    tonal: bool = True  # False when chroma carries no key (silence, noise, drums only)


def majorness(mean_chroma: np.ndarray) -> tuple[float, bool]:
    """``(0..1 major vs minor, tonal?)`` from the best-correlating major and minor key profile."""
    c = np.asarray(mean_chroma, dtype=float)
    if c.size != 12 or np.ptp(c) < 1e-6:
        return 0.5, False
    def best_key(profile: np.ndarray) -> float:
        return max(np.corrcoef(c, np.roll(profile, k))[0, 1] for k in range(12))

    major, minor = best_key(_MAJOR), best_key(_MINOR)
    tonal = max(major, minor) > 0.5
    return float(np.clip(0.5 + 2.0 * (major - minor), 0.0, 1.0)), tonal


def classify_mood(inputs: MoodInputs) -> Mood:
    """Primary/secondary mood, energy level and confidence from ``inputs`` (see module doc)."""
    tempo = float(np.clip((inputs.bpm - _TEMPO_LO) / (_TEMPO_HI - _TEMPO_LO), 0.0, 1.0))
    arousal = 0.45 * inputs.loudness + 0.3 * tempo + 0.25 * inputs.pulse
    mode = inputs.majorness if inputs.tonal else 0.5
    valence = 0.6 * mode + 0.4 * inputs.brightness
    a_dev, v_dev = arousal - 0.5, valence - 0.5
    a_label = "energetic" if a_dev >= 0 else "calm"
    v_label = "bright" if v_dev >= 0 else "dark"
    primary, secondary = (a_label, v_label) if abs(a_dev) >= abs(v_dev) else (v_label, a_label)
    level = "high" if arousal >= 0.62 else "low" if arousal < 0.38 else "medium"
    if inputs.loudness <= 0.0:
        level = "low"
    confidence = float(np.clip(0.35 + 1.3 * max(abs(a_dev), abs(v_dev)), 0.0, 1.0))
    if inputs.loudness <= 0.0 and not inputs.tonal:  # silence: nothing to judge
        confidence = 0.0
    return Mood(primary=primary, secondary=secondary, energy_level=level,
                confidence=round(confidence, 3))
