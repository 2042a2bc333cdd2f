"""What a media file holds, read with the bundled FFmpeg alone (there is no ffprobe).

* ``probe`` parses the stream summary that ``ffmpeg -hide_banner -i FILE`` prints to stderr.
* ``count_video_frames`` decodes the first video stream to a null muxer (timestamps passed through,
  so nothing is duplicated or dropped) and reads the final ``frame=`` of ``-progress``.
* ``stream_durations`` stream-copies the packets into the ``framecrc`` muxer, which lists every
  packet's pts and duration in the stream's own time base: a stream's duration is the end of its
  last packet (max pts + duration) minus the first presented pts.  Negative pts (AAC encoder
  priming, dropped by an edit list on playback) count from 0.  Nothing is decoded, so it is fast
  and exact to the container's time base.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional

from mvstudio.engine.errors import InputError, RenderError
from mvstudio.engine.render.ffmpeg import ffmpeg_exe
from mvstudio.engine.render.runner import run_ffmpeg, summarize_stderr

PROBE_TIMEOUT = 60

_DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #0:(\d+)\S*?: (Video|Audio|Subtitle|Data|Attachment): (.*)$")
_SIZE = re.compile(r"(?<![\w.])(\d{1,5})x(\d{1,5})(?![\w.])")
_RATE = re.compile(r"^([\d.]+)(k?) (fps|tbr)$")
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "4.0": 4, "5.0": 5, "5.1": 6,
                    "6.1": 7, "7.1": 8}
_NTSC = (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001))


@dataclass(frozen=True)
class StreamInfo:
    index: int
    kind: str  # "video" | "audio" | "subtitle" | "data" | "attachment"
    codec: str
    profile: Optional[str] = None
    width: Optional[int] = None
    height: Optional[int] = None
    pix_fmt: Optional[str] = None
    fps: Optional[Fraction] = None
    sample_rate: Optional[int] = None
    channels: Optional[int] = None
    attached_pic: bool = False  # cover art stored as a one-picture "video" stream


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: Optional[float]  # container duration in seconds (None for "N/A", e.g. stills)
    streams: tuple[StreamInfo, ...]

    def _first(self, kind: str) -> Optional[StreamInfo]:
        return next((s for s in self.streams if s.kind == kind), None)

    @property
    def video(self) -> Optional[StreamInfo]:
        """The first real video stream (cover art is skipped)."""
        return next((s for s in self.streams if s.kind == "video" and not s.attached_pic), None)

    @property
    def audio(self) -> Optional[StreamInfo]:
        return self._first("audio")


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses or brackets."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def parse_rate(value: str) -> Fraction:
    """``"29.97"`` -> 30000/1001 (FFmpeg rounds NTSC rates when printing), ``"1k"`` -> 1000."""
    number = Fraction(value[:-1]) * 1000 if value.endswith("k") else Fraction(value)
    for ntsc in _NTSC:
        if abs(number - ntsc) < Fraction(1, 100):
            return ntsc
    return number


def _codec_and_profile(first: str) -> tuple[str, Optional[str]]:
    codec = first.split(" ", 1)[0]
    groups = re.findall(r"\(([^()]*)\)", first)
    profiles = [g for g in groups if " / 0x" not in g]
    return codec, (profiles[0] if profiles else None)


def _video_fields(parts: list[str]) -> dict:
    fields: dict = {}
    if len(parts) > 1 and not _SIZE.search(parts[1]):
        fields["pix_fmt"] = parts[1].split("(", 1)[0].strip() or None
    rates: dict[str, Fraction] = {}
    for part in parts[1:]:
        size = _SIZE.search(part.split("[", 1)[0])
        if size and "width" not in fields:
            fields["width"], fields["height"] = int(size.group(1)), int(size.group(2))
        rate = _RATE.match(part)
        if rate:
            rates[rate.group(3)] = parse_rate(rate.group(1) + rate.group(2))
    fields["fps"] = rates.get("fps") or rates.get("tbr")
    return fields


def _channels(part: str) -> Optional[int]:
    layout = part.split("(", 1)[0].strip()
    counted = re.fullmatch(r"(\d+) channels", layout)
    return int(counted.group(1)) if counted else _LAYOUT_CHANNELS.get(layout)


def _audio_fields(parts: list[str]) -> dict:
    fields: dict = {}
    for part in parts[1:]:
        if part.endswith(" Hz"):
            fields["sample_rate"] = int(part.split()[0])
        elif "channels" not in fields and _channels(part) is not None:
            fields["channels"] = _channels(part)
    return fields


def parse_stream(line: str) -> Optional[StreamInfo]:
    """One ``Stream #0:N...: Kind: ...`` line of FFmpeg's input summary."""
    match = _STREAM.match(line)
    if not match:
        return None
    index, kind, rest = int(match.group(1)), match.group(2).lower(), match.group(3)
    parts = split_top_level(rest)
    codec, profile = _codec_and_profile(parts[0])
    extra = _video_fields(parts) if kind == "video" else _audio_fields(parts) if kind == "audio" \
        else {}
    return StreamInfo(index=index, kind=kind, codec=codec, profile=profile,
                      attached_pic="(attached pic)" in rest, **extra)


def parse_duration(line: str) -> Optional[float]:
    match = _DURATION.match(line)
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def parse_probe(path: Path, stderr: str) -> MediaInfo:
    """``MediaInfo`` from the text FFmpeg prints for ``-i path``; ``InputError`` if it has none."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Input #0")), None)
    if start is None:
        detail = summarize_stderr(lines) or "not a media file"
        raise InputError(f"cannot read {path.name}: {detail}")
    section = []
    for line in lines[start + 1:]:
        if line.startswith(("Input #", "Output #", "Stream mapping")) or not line.startswith(" "):
            break
        section.append(line)
    duration = next((d for d in map(parse_duration, section) if d is not None), None)
    streams = tuple(s for s in map(parse_stream, section) if s is not None)
    return MediaInfo(path=path, duration=duration, streams=streams)


def probe(path: Path | str) -> MediaInfo:
    """Streams and duration of a media file; ``InputError`` when it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"cannot read {path}: no such file")
    try:
        result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                                stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=PROBE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"cannot read {path.name}: {exc}") from exc
    return parse_probe(path, result.stderr.decode("utf-8", "replace"))


def _require_video(path: Path | str) -> MediaInfo:
    info = probe(path)
    if info.video is None:
        raise InputError(f"{Path(path).name} has no video stream")
    return info


def count_video_frames(path: Path | str) -> int:
    """Frames of the first video stream, counted by decoding it (exact, costs one decode)."""
    _require_video(path)
    args = ["-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "null", "-"]
    try:
        last = run_ffmpeg(args)
    except RenderError as exc:
        raise InputError(f"cannot decode {Path(path).name}: {exc}") from exc
    return int(last.get("frame", "0"))


@dataclass
class _Track:
    time_base: Fraction = Fraction(0)
    kind: str = ""
    start: Optional[int] = None
    end: Optional[int] = None

    def add(self, pts: int, duration: int) -> None:
        self.start = pts if self.start is None else min(self.start, pts)
        self.end = pts + duration if self.end is None else max(self.end, pts + duration)

    def seconds(self) -> Optional[float]:
        if self.end is None:
            return None
        return float((self.end - max(self.start or 0, 0)) * self.time_base)


def parse_framecrc(text: str) -> dict[str, float]:
    """First video and audio durations (seconds) from ``framecrc`` (or ``framemd5``, the same
    columns) of stream-copied packets."""
    tracks: dict[int, _Track] = {}
    for line in text.splitlines():
        header = re.match(r"^#(tb|media_type) (\d+): (\S+)", line)
        if header:
            track = tracks.setdefault(int(header.group(2)), _Track())
            if header.group(1) == "tb":
                track.time_base = Fraction(header.group(3))
            else:
                track.kind = header.group(3)
        elif line and not line.startswith("#"):
            index, _dts, pts, duration = (int(v) for v in line.split(",")[:4])
            tracks.setdefault(index, _Track()).add(pts, duration)
    found: dict[str, float] = {}
    for _index, track in sorted(tracks.items()):
        seconds = track.seconds()
        if track.kind and track.kind not in found and seconds is not None:
            found[track.kind] = seconds
    return found


def stream_durations(path: Path | str) -> tuple[Optional[float], Optional[float]]:
    """``(video_seconds, audio_seconds)`` of the first video and audio streams (None if absent)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"cannot read {path}: no such file")
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
            "-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy", "-f", "framecrc", "-"]
    result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True)
    if result.returncode != 0:
        detail = summarize_stderr(result.stderr.decode("utf-8", "replace").splitlines())
        raise InputError(f"cannot read the packets of {path.name}: {detail}")
    found = parse_framecrc(result.stdout.decode("ascii", "replace"))
    return found.get("video"), found.get("audio")
