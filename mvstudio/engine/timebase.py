"""Exact time: integer frames at the output rate and ``Fraction`` seconds.

Beats arrive from analysis as float seconds; they are snapped to frames once, here, and from then on
every cut point is an integer frame.  Seconds derived from frames are exact ``Fraction`` values, so
summing many clip lengths never drifts.
"""

from __future__ import annotations

import math
from fractions import Fraction

DEFAULT_FPS = 30


def to_frame(seconds: float | Fraction, fps: int = DEFAULT_FPS) -> int:
    """The frame whose start is nearest to ``seconds`` (halves round up).

    Exact: floats take a fast path unless they sit within a hair of a half frame, where the
    rounding is decided in exact rational arithmetic."""
    if isinstance(seconds, float) and isinstance(fps, int):
        scaled = seconds * fps
        frame = math.floor(scaled + 0.5)
        if abs(scaled + 0.5 - frame) > 1e-6 and abs(scaled + 0.5 - frame - 1) > 1e-6:
            return frame
    return math.floor(Fraction(seconds) * fps + Fraction(1, 2))


def to_seconds(frame: int, fps: int = DEFAULT_FPS) -> Fraction:
    """Exact start time of ``frame``."""
    return Fraction(frame, fps)


def frame_count(duration: float | Fraction, fps: int = DEFAULT_FPS) -> int:
    """Number of whole output frames that a stream of ``duration`` seconds holds (rounded)."""
    return to_frame(duration, fps)


def seconds_str(frame: int, fps: int = DEFAULT_FPS) -> str:
    """Frame as a decimal seconds string exact enough for FFmpeg (microseconds)."""
    return f"{float(to_seconds(frame, fps)):.6f}"


def timecode(frame: int, fps: int = DEFAULT_FPS) -> str:
    """``M:SS.ff`` display form of a frame (minutes, seconds, frame within the second)."""
    sign = "-" if frame < 0 else ""
    frame = abs(frame)
    secs, ff = divmod(frame, fps)
    return f"{sign}{secs // 60}:{secs % 60:02d}.{ff:02d}"
