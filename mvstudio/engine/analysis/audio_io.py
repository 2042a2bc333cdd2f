"""Reading songs: decode any audio FFmpeg understands into mono float32 samples.

Decoding goes through the bundled FFmpeg binary (``ffmpeg_exe()``) as a subprocess writing raw
``f32le`` to a pipe, so no system FFmpeg or audioread backend is needed.  Durations come from the
number of decoded samples, never from container metadata (which lies for truncated or VBR files).

Every unusable input raises ``AudioError`` with one line that names the file and the problem.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from mvstudio.engine.analysis.settings import DEFAULT_SR
from mvstudio.engine.errors import AudioError
from mvstudio.engine.render.ffmpeg import ffmpeg_exe

MAX_DURATION_S = 20 * 60
"""Longest song MV Studio accepts (seconds): 20 minutes."""

MIN_DURATION_S = 1.0
"""A file that decodes to less audio than this (seconds) is treated as unreadable."""


_READ_CHUNK = 1 << 20  # bytes per pipe read
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "quad": 4, "4.0": 4, "5.0": 5,
                    "5.1": 6, "6.1": 7, "7.1": 8}


@dataclass(frozen=True)
class AudioInfo:
    """A song file: exact decoded ``duration`` (s), native ``sample_rate``, ``channels``."""

    duration: float
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class _Header:
    duration: Optional[float]  # container metadata; a hint only
    sample_rate: int
    channels: int


def format_duration(seconds: float) -> str:
    """``M:SS`` for messages, e.g. ``25:13``."""
    total = int(seconds)
    return f"{total // 60}:{total % 60:02d}"


def _check_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise AudioError(f"{p.name}: file not found ({p})")
    if p.is_dir():
        raise AudioError(f"{p.name} is a folder, not an audio file")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise AudioError(f"{p.name} cannot be read: {exc.strerror or exc}") from exc
    if size == 0:
        raise AudioError(f"{p.name} is empty (0 bytes)")
    return p


def _last_error_line(stderr: str) -> str:
    """The most telling FFmpeg complaint, stripped of its ``[component @ 0x...]`` prefix."""
    lines = [re.sub(r"^\[[^\]]*\]\s*", "", ln).strip() for ln in stderr.splitlines()]
    lines = [ln for ln in lines if ln]
    for ln in reversed(lines):
        if "rror" in ln or "nvalid" in ln:
            return ln.rstrip(".")
    return lines[-1].rstrip(".") if lines else "unknown error"


def _too_long(p: Path, seconds: float) -> AudioError:
    return AudioError(f"{p.name} is {format_duration(seconds)} long; MV Studio supports songs up to "
                      f"{format_duration(MAX_DURATION_S)}")


def _read_header(p: Path) -> _Header:
    """Native rate, channels and metadata duration of the first audio stream (no decoding)."""
    try:
        proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(p)],
                              capture_output=True, text=True, errors="replace", timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioError(f"{p.name} could not be inspected: {exc}") from exc
    err = proc.stderr
    if "Input #0" not in err:
        raise AudioError(f"{p.name} is not a readable audio file ({_last_error_line(err)})")
    stream = re.search(r"Stream #\d+:\d+.*?: Audio: [^\n]*?(\d+) Hz(?:, ([^,\n]+))?", err)
    if stream is None:
        raise AudioError(f"{p.name} contains no audio stream")
    layout = (stream.group(2) or "").strip()
    counted = re.match(r"(\d+) channels", layout)
    channels = int(counted.group(1)) if counted else _LAYOUT_CHANNELS.get(layout.split("(")[0], 0)
    dur = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", err)
    duration = None
    if dur:
        duration = int(dur.group(1)) * 3600 + int(dur.group(2)) * 60 + float(dur.group(3))
    return _Header(duration, int(stream.group(1)), channels)


class _Samples:
    """Float32 samples read from a pipe into a buffer that grows up to ``limit``; beyond, counted."""

    def __init__(self, first_guess: int, limit: int):
        self.limit = limit
        self.buf = np.empty(min(first_guess, limit), dtype=np.float32)
        self.stored = 0
        self.dropped = 0
        self._pending = b""

    def feed(self, chunk: bytes) -> None:
        data = self._pending + chunk
        usable = len(data) - len(data) % 4
        self._pending = data[usable:]
        values = np.frombuffer(data[:usable], dtype=np.float32)
        take = min(len(values), self.limit - self.stored)
        end = self.stored + take
        if end > len(self.buf):
            grown = np.empty(min(max(2 * len(self.buf), end), self.limit), dtype=np.float32)
            grown[:self.stored] = self.buf[:self.stored]
            self.buf = grown
        self.buf[self.stored:end] = values[:take]
        self.stored = end
        self.dropped += len(values) - take

    @property
    def count(self) -> int:
        return self.stored + self.dropped


def _decode(p: Path, header: _Header, sr: Optional[int], *, keep: bool) -> tuple[np.ndarray, int]:
    """Run FFmpeg to mono PCM at ``sr`` (native rate if None).

    Returns ``(samples, count)``: the float32 samples when ``keep`` (else an empty array) and the
    number of samples decoded.  Memory stays bounded by ``MAX_DURATION_S``: samples beyond the limit
    are counted, not stored.  Counting alone decodes to 8-bit, the cheapest format.
    """
    rate = sr or header.sample_rate
    fmt = "f32le" if keep else "u8"
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-i", str(p),
           "-map", "0:a:0", "-vn",
           # downmix as the mean of the channels (FFmpeg's default adds them at -3 dB each)
           "-af", "aresample=rematrix_maxval=1.0",
           "-ac", "1", "-ar", str(rate), "-f", fmt, "pipe:1"]
    guess = int(min(header.duration or 60.0, MAX_DURATION_S) * rate * 1.02) + rate
    sink = _Samples(guess if keep else 0, int((MAX_DURATION_S + 1) * rate) if keep else 0)
    with tempfile.TemporaryFile() as errfile:  # a file, so a chatty FFmpeg can never block on stderr
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errfile)
        except OSError as exc:
            raise AudioError(f"{p.name} could not be decoded: {exc}") from exc
        assert proc.stdout is not None
        try:
            while chunk := proc.stdout.read(_READ_CHUNK):
                if keep:
                    sink.feed(chunk)
                else:
                    sink.dropped += len(chunk)
        finally:
            proc.stdout.close()
            rc = proc.wait()
        errfile.seek(0)
        stderr = errfile.read().decode("utf-8", "replace")
    count = sink.count
    if count < MIN_DURATION_S * rate:
        if count and rc == 0 and not stderr.strip():
            raise AudioError(f"{p.name} is only {count / rate:.1f} s long; MV Studio needs at "
                             f"least {MIN_DURATION_S:g} s of audio")
        problem = _last_error_line(stderr) if (rc != 0 or stderr.strip()) else "no audio decoded"
        raise AudioError(f"{p.name} could not be decoded ({problem})")
    if count > MAX_DURATION_S * rate:
        raise _too_long(p, count / rate)
    samples = sink.buf[:sink.stored]
    if sink.stored < 0.9 * len(sink.buf):  # metadata promised more than there was: do not pin it
        samples = samples.copy()
    return samples, count


def probe_audio(path: str | Path) -> AudioInfo:
    """Inspect a song: exact duration from a full decode, native sample rate and channel count."""
    p = _check_file(path)
    header = _read_header(p)
    if header.duration is not None and header.duration > MAX_DURATION_S + 1:
        raise _too_long(p, header.duration)
    _, count = _decode(p, header, None, keep=False)
    return AudioInfo(count / header.sample_rate, header.sample_rate, header.channels)


def load_audio(path: str | Path, sr: int = DEFAULT_SR) -> np.ndarray:
    """Decode a song to mono float32 samples at ``sr`` Hz; ``len(y) / sr`` is its exact duration.

    Truncated files load as far as FFmpeg can decode them; fewer than ``MIN_DURATION_S`` seconds of
    audio is an error.  Silence is not an error.
    """
    p = _check_file(path)
    header = _read_header(p)
    if header.duration is not None and header.duration > MAX_DURATION_S + 1:
        raise _too_long(p, header.duration)
    samples, _ = _decode(p, header, sr, keep=True)
    return samples
