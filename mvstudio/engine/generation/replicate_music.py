"""A soundtrack from MusicGen on Replicate: one segment per scene, each continuing the one before.

Segment ``i`` plays scene ``i``'s ``music_prompt`` (a scene longer than the model makes is played
in several segments).  Every segment after the first is sent the last ``CONTEXT`` seconds of the
music so far as ``input_audio`` with ``continuation`` (the registry's ``when_given``); MusicGen
returns that prompt continued, so the prompt's length is cut off its output again.  The segments
are joined with ``FADE``-second crossfades (each is made ``FADE`` longer, so every section starts
on its planned time), trimmed to the planned length and decoded once in full before the track is
returned.  The cost is the registry's GPU-time price of each segment (``metrics.predict_time``);
a failed segment is retried by the runner, then reported in one line.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from mvstudio.engine.analysis.audio_io import probe_audio
from mvstudio.engine.errors import AudioError, InputError, ProviderError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.protocols import Generated
from mvstudio.engine.generation.replicate_client import BadOutput, ReplicateProvider
from mvstudio.engine.model import Scene
from mvstudio.engine.render.runner import run_ffmpeg

DEFAULT_MODEL = "musicgen"
VERSION = "replicate-music/1"  # bump when the joining changes
CONTEXT = 3.0  # seconds of the music so far that a segment continues
FADE = 0.5  # crossfade between segments (s)
SAMPLE_RATE = 44100
TOLERANCE = 0.05  # seconds the joined track may differ from the plan


@dataclass(frozen=True)
class MusicRequest:
    owner: str
    prompt: str
    seconds: float
    seed: Optional[int] = None
    audio: Optional[Path] = None  # the music to continue


@dataclass(frozen=True)
class _Piece:
    prompt: str
    seconds: float  # planned length, without the crossfade


def check_audio(path: Path) -> tuple[int, int, float]:
    """``(0, 0, seconds)`` of audio that decodes in full; ``BadOutput`` otherwise."""
    try:
        return 0, 0, probe_audio(path).duration
    except AudioError as exc:
        raise BadOutput(f"the audio could not be read ({exc})") from None


class ReplicateMusic(ReplicateProvider):
    """One MusicGen prediction (a ``MusicRequest``)."""

    kind = "music"
    check = staticmethod(check_audio)

    async def generate(self, request: MusicRequest, workdir: Path,
                       cancel: Optional[CancelToken] = None) -> Generated:
        return await self._make(request, workdir, cancel, None, None)


def _pieces(scenes: Sequence[Scene], durations: Sequence[float], longest: float) -> list[_Piece]:
    """The segments to make: each scene split into pieces the model can make with its context."""
    room = longest - CONTEXT - FADE
    pieces = []
    for scene, seconds in zip(scenes, durations):
        count = max(1, -int(-seconds // room))  # ceil
        prompt = scene.music_prompt or scene.description or scene.name
        pieces += [_Piece(prompt, seconds / count)] * count
    return pieces


def _ffmpeg(args: list[str], cancel: Optional[CancelToken]) -> None:
    run_ffmpeg(["-y", "-hide_banner", "-nostdin", "-loglevel", "error", *args], cancel=cancel)


class ReplicateSoundtrack:
    """``SoundtrackGenerator`` on MusicGen (see module doc); ``options`` go to the runner."""

    name = "replicate-music"

    def __init__(self, api_token: str, model: str = DEFAULT_MODEL, seed: Optional[int] = None,
                 **options):
        self.music = ReplicateMusic(api_token, model, **options)
        self.seed = seed

    def fingerprint(self) -> str:
        return f"{VERSION}:{self.music.fingerprint()}"

    async def generate(self, scenes: Sequence[Scene], durations: Sequence[float], workdir: Path,
                       cancel: Optional[CancelToken] = None) -> Generated:
        if len(scenes) != len(durations) or not scenes:
            raise InputError("a soundtrack needs one duration per scene")
        workdir = Path(workdir)
        pieces = _pieces(scenes, durations, self.music.longest_seconds())
        kept: list[tuple[Path, float]] = []  # (segment, seconds of it to skip)
        tail, cost = None, 0.0
        for i, piece in enumerate(pieces, 1):
            skip = CONTEXT if tail else 0.0
            request = MusicRequest(f"segment-{i}", piece.prompt, skip + piece.seconds + FADE,
                                   self.seed, tail)
            try:
                made = await self.music.generate(request, workdir, cancel)
            except ProviderError as exc:
                raise type(exc)(f"soundtrack segment {i} of {len(pieces)}: {exc}") from None
            cost += made.cost
            kept.append((made.path, skip))
            tail = workdir / f"context-{i}.flac"
            end = skip + piece.seconds
            await asyncio.to_thread(_ffmpeg, ["-ss", f"{max(0.0, end - CONTEXT):.3f}", "-t",
                                              f"{min(CONTEXT, end):.3f}", "-i", str(made.path),
                                              str(tail)], cancel)
        total = float(sum(durations))
        track = workdir / "soundtrack.wav"
        await asyncio.to_thread(_ffmpeg, _join_args(kept, pieces, total, track), cancel)
        seconds = check_audio(track)[2]
        if abs(seconds - total) > TOLERANCE:
            raise ProviderError(f"the soundtrack is {seconds:.2f} s long, not {total:.2f} s")
        return Generated(track, self.name, self.music.model.key, cost, duration=seconds)


def _join_args(kept: list[tuple[Path, float]], pieces: list[_Piece], total: float,
               out: Path) -> list[str]:
    """FFmpeg arguments that cut each segment to its piece (plus the crossfade), crossfade them
    in order and pad or trim the result to ``total`` seconds."""
    inputs, chains = [], []
    for i, ((path, skip), piece) in enumerate(zip(kept, pieces)):
        inputs += ["-i", str(path)]
        chains.append(f"[{i}:a]atrim=start={skip:.3f}:duration={piece.seconds + FADE:.3f},"
                      f"asetpts=PTS-STARTPTS,aresample={SAMPLE_RATE},"
                      f"aformat=sample_fmts=fltp:channel_layouts=stereo[s{i}]")
    last = "s0"
    for i in range(1, len(kept)):
        chains.append(f"[{last}][s{i}]acrossfade=d={FADE}[x{i}]")
        last = f"x{i}"
    chains.append(f"[{last}]apad,atrim=duration={total:.6f}[out]")
    return [*inputs, "-filter_complex", ";".join(chains), "-map", "[out]",
            "-c:a", "pcm_s16le", str(out)]
