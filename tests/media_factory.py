"""Synthetic media for tests: clips, stills and tones made with the bundled FFmpeg and numpy.

Every function writes one file and returns its path.  Clips are small and fast to make; their
content is chosen so tests can recognise it again:

* ``pattern_clip``: moving grey stripes around a mean ``level`` (distinct per ``pattern``); an
  optional ``ramp`` brightens it over its length, so a loop restart shows as a jump.
* ``split_clip``: left, middle and right thirds in different greys (tells where a crop landed).
* ``lavfi_clip``: any FFmpeg source such as ``testsrc2``.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from mvstudio.engine.render.ffmpeg import ffmpeg_exe


def write_wav(path: Path, x: np.ndarray, sr: int = 22050) -> Path:
    """16-bit PCM WAV of float samples in -1..1 (mono ``(n,)`` or multichannel ``(n, ch)``)."""
    import wave

    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


def tone_wav(path: Path, seconds: float = 3.0, sr: int = 22050, freq: float = 220.0) -> Path:
    """A quiet sine tone as a 16-bit mono WAV (a valid, beatless song)."""
    t = np.arange(int(seconds * sr)) / sr
    return write_wav(path, 0.3 * np.sin(2 * np.pi * freq * t), sr)


def run_ffmpeg_quiet(args: list[str], stdin: bytes | None = None) -> None:
    """Run FFmpeg for test set-up; raises ``CalledProcessError`` with its stderr on failure."""
    quiet = ["-hide_banner", "-loglevel", "error", "-y"] + (["-nostdin"] if stdin is None else [])
    subprocess.run([ffmpeg_exe(), *quiet, *args], input=stdin, check=True, capture_output=True)


def _encode_frames(path: Path, frames: np.ndarray, fps: float) -> Path:
    """Encode ``(n, h, w)`` grey or ``(n, h, w, 3)`` RGB uint8 frames to H.264 yuv420p."""
    n, height, width = frames.shape[:3]
    pix = "gray" if frames.ndim == 3 else "rgb24"
    run_ffmpeg_quiet(["-f", "rawvideo", "-pix_fmt", pix, "-s", f"{width}x{height}",
                      "-framerate", f"{fps}", "-i", "-", "-c:v", "libx264", "-preset", "ultrafast",
                      "-crf", "12", "-pix_fmt", "yuv420p", str(path)],
                     stdin=np.ascontiguousarray(frames, dtype=np.uint8).tobytes())
    return path


def stripes(width: int, height: int, *, pattern: int, phase: float) -> np.ndarray:
    """Unit-amplitude stripes (-0.5..0.5); ``pattern`` picks the angle and spacing."""
    angle = (pattern * 47 % 180) * math.pi / 180
    period = 24 + 9 * (pattern % 4)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    along = x * math.cos(angle) + y * math.sin(angle)
    return 0.5 * np.sin(2 * math.pi * (along + phase) / period)


def pattern_clip(path: Path, *, seconds: float, fps: float, width: int = 320, height: int = 180,
                 level: float = 128, contrast: float = 50, pattern: int = 0, speed: float = 1.0,
                 ramp: float = 0.0) -> Path:
    """Grey stripes drifting ``speed`` px per frame around mean ``level``, rising by ``ramp``."""
    count = round(seconds * fps)
    frames = np.empty((count, height, width), np.uint8)
    for k in range(count):
        lift = ramp * k / max(count - 1, 1)
        image = level + lift + contrast * stripes(width, height, pattern=pattern, phase=k * speed)
        frames[k] = np.clip(image, 0, 255)
    return _encode_frames(path, frames, fps)


def split_clip(path: Path, *, seconds: float, fps: float, width: int = 320, height: int = 180,
               levels: tuple[int, int, int] = (30, 128, 225)) -> Path:
    """Static left/middle/right thirds at the given grey ``levels``."""
    image = np.empty((height, width), np.uint8)
    for i, level in enumerate(levels):
        image[:, i * width // 3:(i + 1) * width // 3] = level
    frames = np.repeat(image[None], round(seconds * fps), axis=0)
    return _encode_frames(path, frames, fps)


def lavfi_clip(path: Path, *, seconds: float, fps: float, width: int = 320, height: int = 180,
               source: str = "testsrc2") -> Path:
    """A clip from an FFmpeg source filter (``testsrc2``, ``smptebars``, ``mandelbrot`` ...)."""
    run_ffmpeg_quiet(["-f", "lavfi", "-i", f"{source}=s={width}x{height}:r={fps}:d={seconds}",
                      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                      str(path)])
    return path


def sine_audio(path: Path, *, seconds: float, freq: float = 440.0,
               sample_rate: int = 44100) -> Path:
    """A sine tone; the container follows the extension (``.wav``, ``.m4a``, ``.mp3``)."""
    run_ffmpeg_quiet(["-f", "lavfi", "-i",
                      f"sine=frequency={freq}:sample_rate={sample_rate}:duration={seconds}",
                      str(path)])
    return path


def still_image(path: Path, *, width: int = 640, height: int = 360, seed: int = 0) -> Path:
    """A detailed still (smooth colour fields plus fine texture) saved with Pillow."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = []
    for _ in range(3):
        fx, fy, ph = rng.uniform(0.5, 4, 2).tolist() + [rng.uniform(0, 6.28)]
        smooth = np.sin(2 * np.pi * (fx * x / width + fy * y / height) + ph)
        channels.append(128 + 70 * smooth + rng.normal(0, 25, (height, width)))
    rgb = np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)
    Image.fromarray(rgb, "RGB").save(path)
    return path
