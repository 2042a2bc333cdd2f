"""How well the music supports each tracked beat (0-1), and the stretches where it does not.

Per beat, from the onset accent the tracker followed (level-normalised, ``beats.level_onsets``):

* strength: the accent at the beat (1 = as strong as the loudest onsets around it; silence ~0);
* alignment: the accent at the beat over its peak within a quarter beat either side (1 = the beat
  sits on the strongest onset near it; a beat between onsets, or drifting off them, scores less);
* regularity: the beat's interval against the median of its nine neighbours (a lurch of 8 %
  gives ``1/e``).

A beat's value is ``sqrt(strength) * alignment * regularity``, averaged over ``SMOOTH_BEATS``
beats so that a marked stretch is a passage, not a single soft beat.  Measured on the annotated
music in ``../shared/data`` (``benchmarks/beat_confidence.py``): beats under ``LOW`` are tracking
errors far more often than the rest.  numpy only: cheap, and safe to import anywhere.
"""

from __future__ import annotations

import numpy as np

LOW = 0.4  # beats below this are "low confidence" (marked on the timeline)
SMOOTH_BEATS = 5
_NEIGHBOURS = 9
_LURCH = 0.08


def _peak_near(accent: np.ndarray, frames: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Max of ``accent`` within ``half`` frames of each frame."""
    n = len(accent)
    return np.array([accent[max(f - h, 0):min(f + h + 1, n)].max() for f, h in zip(frames, half)])


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Moving average over ``width`` values, edges repeated."""
    if len(values) < 2 or width < 2:
        return values
    pad = width // 2
    padded = np.pad(values, pad, mode="edge")
    return np.convolve(padded, np.ones(width) / width, mode="valid")[:len(values)]


def beat_confidence(accent: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Confidence 0-1 of each beat at ``frames`` (sorted) of the ``accent`` (see module doc)."""
    frames = np.clip(np.asarray(frames, dtype=int), 0, max(len(accent) - 1, 0))
    if len(frames) == 0 or len(accent) == 0:
        return np.zeros(len(frames))
    if len(frames) < 3:
        return np.full(len(frames), 0.5)
    period = np.diff(frames).astype(float)
    period = np.maximum(np.r_[period[0], period], 1.0)
    on = _peak_near(accent, frames, np.ones(len(frames), dtype=int))
    near = _peak_near(accent, frames, np.maximum(period // 4, 1).astype(int))
    alignment = np.where(near > 0, on / np.maximum(near, 1e-9), 0.0).clip(0.0, 1.0)
    strength = on.clip(0.0, 1.0)
    typical = np.array([np.median(period[max(i - _NEIGHBOURS // 2, 0):i + _NEIGHBOURS // 2 + 1])
                        for i in range(len(period))])
    regularity = np.exp(-(np.log(period / typical) / _LURCH) ** 2)
    return _smooth(np.sqrt(strength) * alignment * regularity, SMOOTH_BEATS).clip(0.0, 1.0)


def low_confidence_spans(beats: list[float], curve: list[float], end: float,
                         threshold: float = LOW) -> list[tuple[float, float]]:
    """``(start, end)`` seconds of runs of beats under ``threshold``; each run reaches to the beat
    after it (or ``end``).  Empty when the curve is unknown or does not match the beats."""
    if not curve or len(curve) != len(beats):
        return []
    spans: list[tuple[float, float]] = []
    start = None
    for i, value in enumerate(curve):
        if value < threshold and start is None:
            start = beats[i]
        elif value >= threshold and start is not None:
            spans.append((start, beats[i]))
            start = None
    if start is not None:
        spans.append((start, max(end, start)))
    return spans
