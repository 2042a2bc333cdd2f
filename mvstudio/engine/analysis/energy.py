"""Per-beat loudness and brightness, each 0..1.

* Energy: mean RMS over each beat interval in dB, mapped linearly from a floor (``_RANGE_DB`` below
  the song's loud level, never under ``_SILENCE_DB``) to the loud level (98th percentile).  Quiet
  passages therefore read low relative to the song's own loud parts, and silence reads 0.
* Song loudness: the whole song's mean-power level in dBFS on an absolute 0..1 scale (for mood).
* Brightness: RMS-weighted spectral centroid on a log-frequency scale from ``_DARK_HZ`` (0) to
  ``_BRIGHT_HZ`` (1): an absolute scale, comparable across songs.
"""

from __future__ import annotations

import numpy as np

from mvstudio.engine.analysis.features import Features

_SILENCE_DB = -60.0
_RANGE_DB = 24.0
_QUIET_DBFS = -35.0  # song_loudness 0
_LOUD_DBFS = -10.0  # song_loudness 1 (typical of mastered pop)
_DARK_HZ = 400.0
_BRIGHT_HZ = 4000.0


def beat_segments(features: Features, beats: np.ndarray) -> np.ndarray:
    """Frame edges ``[0, b1, b2, ..., n]``: segment ``i`` runs from edge ``i`` to ``i + 1``.

    The first segment is the lead-in before the first beat (possibly empty), so segment ``i + 1``
    is the beat ``i`` interval.
    """
    frames = features.frame_of(beats) if len(beats) else np.empty(0, dtype=int)
    return np.concatenate([[0], frames, [features.n_frames]]).astype(int)


def segment_means(values: np.ndarray, edges: np.ndarray, weights: np.ndarray | None = None
                  ) -> np.ndarray:
    """(Weighted) mean of ``values`` between consecutive frame ``edges``; empty segments read 0."""
    w = np.ones_like(values) if weights is None else weights
    cum_vw = np.concatenate([[0.0], np.cumsum(values * w)])
    cum_w = np.concatenate([[0.0], np.cumsum(w)])
    lo, hi = edges[:-1], np.maximum(edges[1:], edges[:-1] + 1).clip(max=len(values))
    return (cum_vw[hi] - cum_vw[lo]) / np.maximum(cum_w[hi] - cum_w[lo], 1e-12)


def loudness_db(rms: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.maximum(rms, 1e-10))


def normalise_db(db: np.ndarray) -> np.ndarray:
    """dB values to 0..1 against the song's loud level (see module doc)."""
    if len(db) == 0:
        return db
    top = float(np.percentile(db, 98))
    if top <= _SILENCE_DB:
        return np.zeros_like(db)
    floor = max(top - _RANGE_DB, _SILENCE_DB)
    return np.clip((db - floor) / (top - floor), 0.0, 1.0)


def brightness_scale(centroid_hz: np.ndarray) -> np.ndarray:
    """Centroid in Hz to 0..1 on a log scale between ``_DARK_HZ`` and ``_BRIGHT_HZ``."""
    c = np.log2(np.maximum(centroid_hz, 1.0) / _DARK_HZ) / np.log2(_BRIGHT_HZ / _DARK_HZ)
    return np.clip(c, 0.0, 1.0)


def beat_energy(features: Features, beats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(energy, brightness)``, one value per beat interval (the last runs to the end)."""
    if len(beats) == 0:
        return np.empty(0), np.empty(0)
    edges = beat_segments(features, beats)[1:]  # from the first beat on
    rms = features.rms.astype(float)
    db = loudness_db(np.sqrt(segment_means(rms ** 2, edges)))
    centroid = segment_means(features.centroid.astype(float), edges, weights=rms + 1e-9)
    bright = brightness_scale(centroid)
    bright[db <= _SILENCE_DB] = 0.0
    return normalise_db(db), bright


def song_loudness(features: Features) -> float:
    """Absolute loudness of the whole song, 0..1, from its mean-power level in dBFS."""
    if features.n_frames == 0:
        return 0.0
    db = float(loudness_db(np.sqrt(np.mean(features.rms.astype(float) ** 2))))
    return float(np.clip((db - _QUIET_DBFS) / (_LOUD_DBFS - _QUIET_DBFS), 0.0, 1.0))
