"""Shot changes measured from the pixels: how much each frame differs from the one before.

Frames are decoded scaled down to small grey images (area averaging smooths noise and compression
artefacts) and each is normalised to zero mean and unit contrast, so that a change of brightness
alone (a flash or pulse on the beat, a fade's gain) does not count: only a change of the picture's
structure does.  A hard cut is a frame whose difference is both far above the video's typical
frame-to-frame change and a clear peak against its neighbours.  Gradual transitions (crossfades,
fades) spread their change over many frames and are not reported.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional

import numpy as np

from mvstudio.engine.errors import InputError
from mvstudio.engine.render.ffmpeg import ffmpeg_exe
from mvstudio.engine.render.runner import summarize_stderr

MIN_CUT_LEVEL = 0.15  # mean absolute difference of normalised frames below which nothing is a cut
MIN_CONTRAST = 8.0  # grey levels: flatter frames (black, a fade's end) are not blown up to noise
MEDIAN_FACTOR = 4.0  # a cut differs this many times more than the median frame change
PEAK_RATIO = 2.0  # ... and this many times more than either neighbouring frame change


def grey_frames(path: Path | str, *, size: tuple[int, int] = (64, 36), start: int = 0,
                count: Optional[int] = None, fps: Optional[float] = None) -> np.ndarray:
    """Frames of the first video stream as ``uint8`` grey images, shape ``(n, h, w)``: every
    frame, or ``count`` frames from frame ``start`` (needs the constant ``fps``).

    A ``start`` is an accurate seek: FFmpeg decodes from the keyframe before it and drops the
    frames before half a frame ahead of it, so frame ``start`` comes first whatever the rounding.
    """
    width, height = size
    seek = ["-ss", f"{(start - 0.5) / fps:.6f}"] if start > 0 else []
    limit = ["-frames:v", str(count)] if count is not None else []
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *seek, "-i", str(path),
            "-map", "0:v:0", "-fps_mode", "passthrough", *limit,
            "-vf", f"scale={width}:{height}:flags=area,format=gray",
            "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True)
    if result.returncode != 0:
        detail = summarize_stderr(result.stderr.decode("utf-8", "replace").splitlines())
        raise InputError(f"cannot decode {Path(path).name}: {detail}")
    frame_bytes = width * height
    count = len(result.stdout) // frame_bytes
    return np.frombuffer(result.stdout[:count * frame_bytes], np.uint8).reshape(count, height,
                                                                                 width)


def normalised(frames: np.ndarray) -> np.ndarray:
    """Each frame shifted to zero mean and scaled to unit contrast (std, floored)."""
    frames = frames.astype(np.float32)
    mean = frames.mean(axis=(1, 2), keepdims=True)
    std = np.maximum(frames.std(axis=(1, 2), keepdims=True), MIN_CONTRAST)
    return (frames - mean) / std


def frame_differences(path: Path | str, *, size: tuple[int, int] = (64, 36)) -> np.ndarray:
    """``d[k]``: mean absolute difference of normalised frames ``k - 1`` and ``k`` (``d[0] = 0``)."""
    return differences(grey_frames(path, size=size))


def differences(grey: np.ndarray) -> np.ndarray:
    """``frame_differences`` of frames already decoded by ``grey_frames``."""
    frames = normalised(grey)
    diffs = np.zeros(len(frames), dtype=np.float32)
    if len(frames) > 1:
        diffs[1:] = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
    return diffs


def auto_threshold(diffs: np.ndarray) -> float:
    """A cut level relative to the typical frame change (robust to a few large ones)."""
    typical = float(np.median(diffs[1:])) if len(diffs) > 1 else 0.0
    return max(MIN_CUT_LEVEL, MEDIAN_FACTOR * typical)


def cuts_from_differences(diffs: np.ndarray, threshold: Optional[float] = None) -> list[int]:
    """Frames that start a new shot: above ``threshold`` and a peak against both neighbours."""
    level = auto_threshold(diffs) if threshold is None else threshold
    padded = np.concatenate([[0.0], diffs, [0.0]])
    cuts = []
    for k in range(1, len(diffs)):
        neighbours = max(padded[k], padded[k + 2])  # d[k - 1] and d[k + 1]
        if diffs[k] >= level and diffs[k] >= PEAK_RATIO * neighbours:
            cuts.append(k)
    return cuts


def detect_cuts(path: Path | str, threshold: Optional[float] = None, *,
                size: tuple[int, int] = (64, 36)) -> list[int]:
    """Frame indices where a new shot starts (hard cuts, including a looped clip's restart)."""
    return cuts_from_differences(frame_differences(path, size=size), threshold)
