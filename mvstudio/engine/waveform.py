"""Waveform envelopes for drawing: min/max peaks per bin, in a pyramid of halving resolutions.

Level 0 holds the minimum and maximum of every ``hop`` samples; each next level takes the min and
max of pairs of bins, so bin ``i`` of level ``k`` covers exactly the samples
``[i * hop_k, min((i + 1) * hop_k, n))`` with ``hop_k = hop * 2**k`` (only a level's last bin may
be short).  Peaks are never averaged away, so a transient stays visible at any zoom, and a view
that asks for "about one bin per pixel" costs time in proportion to its pixels, not the song.

::

    samples  |a b c|d e f|g h i|j k|      level 0, hop 3 (last bin short)
    level 1  |a .. f     |g .. k   |      min/max of pairs
    level 2  |a ..         .. k    |
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mvstudio.engine.analysis.audio_io import DEFAULT_SR, load_audio

DEFAULT_BINS_PER_SECOND = 2000.0
"""Finest resolution kept: at 22050 Hz a bin of 11 samples, ~70 bins per frame at 30 fps."""

MIN_LEVEL_BINS = 64
"""The pyramid stops halving once a level has this few bins."""


@dataclass(frozen=True)
class EnvelopeLevel:
    """One resolution: ``hop`` samples per bin and each bin's lowest and highest sample."""

    hop: int
    mins: np.ndarray
    maxs: np.ndarray

    def __len__(self) -> int:
        return len(self.mins)


def peak_envelope(samples: np.ndarray, sr: int, bins_per_second: float) -> EnvelopeLevel:
    """Min and max of consecutive bins of ``round(sr / bins_per_second)`` samples (at least 1)."""
    x = np.asarray(samples, dtype=np.float32).ravel()
    hop = max(1, int(round(sr / bins_per_second)))
    full = len(x) // hop
    body = x[:full * hop].reshape(full, hop)
    mins, maxs = body.min(axis=1), body.max(axis=1)
    if len(x) > full * hop:
        tail = x[full * hop:]
        mins = np.append(mins, tail.min())
        maxs = np.append(maxs, tail.max())
    return EnvelopeLevel(hop, mins.astype(np.float32), maxs.astype(np.float32))


def _halve(level: EnvelopeLevel) -> EnvelopeLevel:
    """The next coarser level: bins ``2i`` and ``2i+1`` merged (an odd last bin kept alone)."""
    pairs = len(level) // 2 * 2
    mins = np.minimum(level.mins[0:pairs:2], level.mins[1:pairs:2])
    maxs = np.maximum(level.maxs[0:pairs:2], level.maxs[1:pairs:2])
    if pairs < len(level):
        mins = np.append(mins, level.mins[-1])
        maxs = np.append(maxs, level.maxs[-1])
    return EnvelopeLevel(level.hop * 2, mins, maxs)


@dataclass(frozen=True)
class Envelope:
    """A song's peak pyramid: ``levels[0]`` finest, each next one half as many bins."""

    sr: int
    n_samples: int
    levels: tuple[EnvelopeLevel, ...]
    peak: float  # largest absolute sample, for scaling the drawing

    @classmethod
    def from_samples(cls, samples: np.ndarray, sr: int,
                     bins_per_second: float = DEFAULT_BINS_PER_SECOND) -> "Envelope":
        level = peak_envelope(samples, sr, bins_per_second)
        levels = [level]
        while len(level) > MIN_LEVEL_BINS:
            level = _halve(level)
            levels.append(level)
        peak = float(max(np.abs(levels[-1].mins).max(initial=0.0),
                         np.abs(levels[-1].maxs).max(initial=0.0)))
        return cls(sr, int(np.asarray(samples).size), tuple(levels), peak)

    @property
    def duration(self) -> float:
        return self.n_samples / self.sr

    def level_for(self, seconds_per_pixel: float) -> EnvelopeLevel:
        """The coarsest level that still has at least one bin per pixel (else the finest)."""
        fits = [lv for lv in self.levels if lv.hop / self.sr <= seconds_per_pixel]
        return fits[-1] if fits else self.levels[0]

    def window(self, start: float, end: float,
               seconds_per_pixel: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bins overlapping ``[start, end]`` s (plus one either side): centre times, mins, maxs."""
        level = self.level_for(seconds_per_pixel)
        first = max(int(np.floor(start * self.sr / level.hop)) - 1, 0)
        last = min(int(np.ceil(end * self.sr / level.hop)) + 1, len(level))
        if last <= first:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty.astype(np.float32), empty.astype(np.float32)
        lo = np.arange(first, last, dtype=np.int64) * level.hop
        hi = np.minimum(lo + level.hop, self.n_samples)
        centres = (lo + hi) / (2.0 * self.sr)
        return centres, level.mins[first:last], level.maxs[first:last]


def envelope_for_file(path: str | Path, bins_per_second: float = DEFAULT_BINS_PER_SECOND,
                  sr: int = DEFAULT_SR) -> Envelope:
    """Decode a song (``AudioError`` if unusable) and build its peak pyramid."""
    return Envelope.from_samples(load_audio(path, sr), sr, bins_per_second)
