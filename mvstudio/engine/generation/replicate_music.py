"""A soundtrack from MusicGen on Replicate: one segment per scene, each continuing the one before.

Segment ``i`` plays scene ``i``'s ``music_prompt`` (a scene longer than the model makes is played
in several segments).  Every segment after the first is sent the last ``CONTEXT`` seconds of the
music so far as ``input_audio`` with ``continuation`` (the registry's ``when_given``); MusicGen
returns that prompt continued, so the prompt's length is cut off its output again.  The segments
are joined with ``FADE``-second crossfades (each is made ``FADE`` longer, so every section starts
on its planned time), trimmed to the planned length and decoded once in full before the track is
returned.  The cost is the registry's GPU-time price of each segment (``metrics.predict_time``);
a failed segment is retried by the runner, then reported in one line.

Every segment is a paid call of stage ``soundtrack`` under the project's budget
(``generation.budget.paid_call``), owned by ``soundtrack-segment-N`` with the hash of what decides
it (prompt, seconds, seed, model and the audio it continues).  A made segment is kept in the work
folder under that hash, so a run that is started again after a kill or a cancel reuses it, and
reattaches to a prediction still held in the ledger instead of paying for a new one.  Before the
first segment it pays for, the run checks that the rest of the soundtrack's ``estimate`` fits under
the cap, so no money goes on a track that will not be finished; each call still reserves its own
ceiling (the model's whole timeout of GPU time), so the cap is never exceeded.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Optional, Sequence

from mvstudio.engine.analysis.audio_io import probe_audio
from mvstudio.engine.errors import AudioError, BudgetExceeded, InputError, ProviderError
from mvstudio.engine.events import CancelToken, PredictionStarted, Progress, Sink, null_sink
from mvstudio.engine.generation.budget import EPSILON, Budget, paid_call
from mvstudio.engine.generation.protocols import Generated
from mvstudio.engine.generation.replicate_client import BadOutput, ReplicateProvider
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import Scene
from mvstudio.engine.render.runner import run_ffmpeg
from mvstudio.engine.store import ledger

DEFAULT_MODEL = "musicgen"
VERSION = "replicate-music/1"  # bump when the joining changes
STAGE = "soundtrack"  # the ledger's stage of every segment
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
                       cancel: Optional[CancelToken] = None, *,
                       on_created: Optional[Callable[[str], None]] = None,
                       resume_id: Optional[str] = None,
                       progress: Optional[Callable[[float], None]] = None) -> Generated:
        """The segment; ``on_created`` hears the prediction id before the wait, ``resume_id``
        reattaches to an earlier prediction instead of paying for a new one."""
        return await self._make(request, workdir, cancel, on_created, resume_id, progress)


def _pieces(scenes: Sequence[Scene], durations: Sequence[float], longest: float) -> list[_Piece]:
    """The segments to make: each scene split into pieces the model can make with its context."""
    room = longest - CONTEXT - FADE
    pieces = []
    for scene, seconds in zip(scenes, durations):
        count = max(1, -int(-seconds // room))  # ceil
        prompt = scene.music_prompt or scene.description or scene.name
        pieces += [_Piece(prompt, seconds / count)] * count
    return pieces


def _skip(index: int) -> float:
    """Seconds of continued music at the start of segment ``index`` (1-based)."""
    return CONTEXT if index > 1 else 0.0


def _ffmpeg(args: list[str], cancel: Optional[CancelToken]) -> None:
    run_ffmpeg(["-y", "-hide_banner", "-nostdin", "-loglevel", "error", *args], cancel=cancel)


def _digest(path: Optional[Path]) -> Optional[str]:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path else None


class ReplicateSoundtrack:
    """``SoundtrackGenerator`` on MusicGen (see module doc); ``options`` go to the runner."""

    name = "replicate-music"

    def __init__(self, api_token: str, model: str = DEFAULT_MODEL, seed: Optional[int] = None,
                 **options):
        self.music = ReplicateMusic(api_token, model, **options)
        self.seed = seed

    def fingerprint(self) -> str:
        return f"{VERSION}:{self.music.fingerprint()}"

    def _plan(self, scenes: Sequence[Scene], durations: Sequence[float]) -> list[_Piece]:
        if len(scenes) != len(durations) or not scenes:
            raise InputError("a soundtrack needs one duration per scene")
        return _pieces(scenes, durations, self.music.longest_seconds())

    def _request(self, index: int, piece: _Piece, audio: Optional[Path] = None) -> MusicRequest:
        return MusicRequest(f"{STAGE}-segment-{index}", piece.prompt,
                            _skip(index) + piece.seconds + FADE, self.seed, audio)

    def requests(self, scenes: Sequence[Scene], durations: Sequence[float]) -> list[MusicRequest]:
        """The segments' requests (without the audio each continues, which the run makes)."""
        return [self._request(i, p) for i, p in enumerate(self._plan(scenes, durations), 1)]

    def estimate(self, scenes: Sequence[Scene], durations: Sequence[float]) -> float:
        """USD the whole soundtrack should cost (typical GPU time of every segment)."""
        return sum(map(self.music.estimate, self.requests(scenes, durations)))

    def segment_ceiling(self, scenes: Sequence[Scene], durations: Sequence[float]) -> float:
        """The most one segment can cost: what the budget holds while it is made."""
        return max(map(self.music.ceiling, self.requests(scenes, durations)))

    async def generate(self, scenes: Sequence[Scene], durations: Sequence[float], workdir: Path,
                       cancel: Optional[CancelToken] = None, *, budget: Budget,
                       sink: Sink = null_sink) -> Generated:
        """The joined track in ``workdir`` (kept segments there are reused); every segment paid
        under ``budget``; ``sink`` hears progress and prediction ids.  ``cost``: what this run
        paid."""
        pieces = self._plan(scenes, durations)
        run = _Segments(self, budget, Path(workdir), cancel, sink,
                        [self._request(i, p) for i, p in enumerate(pieces, 1)])
        kept: list[tuple[Path, float]] = []  # (segment, seconds of it to skip)
        tail, cost = None, 0.0
        for i, piece in enumerate(pieces, 1):
            path, paid = await run.segment(i, self._request(i, piece, tail))
            cost += paid
            kept.append((path, _skip(i)))
            tail = await run.context(i, path, _skip(i) + piece.seconds)
        total = float(sum(durations))
        track = run.workdir / "soundtrack.wav"
        await asyncio.to_thread(_ffmpeg, _join_args(kept, pieces, total, track), cancel)
        seconds = check_audio(track)[2]
        if abs(seconds - total) > TOLERANCE:
            raise ProviderError(f"the soundtrack is {seconds:.2f} s long, not {total:.2f} s")
        return Generated(track, self.name, self.music.model.key, cost, duration=seconds)


class _Segments:
    """One run's segments: each reused when kept, else paid for under the budget."""

    def __init__(self, maker: ReplicateSoundtrack, budget: Budget, workdir: Path,
                 cancel: Optional[CancelToken], sink: Sink, requests: list[MusicRequest]):
        self.maker, self.music, self.budget = maker, maker.music, budget
        self.workdir, self.cancel, self.sink, self.requests = workdir, cancel, sink, requests
        self.checked = False  # the rest of the track was checked against the cap
        workdir.mkdir(parents=True, exist_ok=True)

    def input_hash(self, request: MusicRequest) -> str:
        """What decides a segment: its prompt, length, seed, model and the audio it continues."""
        return input_hash(self.maker.fingerprint(), request.prompt, request.seconds,
                          request.seed, _digest(request.audio))

    def _progress(self, index: int, fraction: float) -> None:
        n = len(self.requests)
        self.sink(Progress(STAGE, (index - 1 + fraction) / n, f"segment {index} of {n}"))

    async def segment(self, index: int, request: MusicRequest) -> tuple[Path, float]:
        """Segment ``index`` (1-based) and what was paid for it now (0: kept from an earlier
        run)."""
        key = self.input_hash(request)
        name = f"{request.owner}-{key[:16]}"
        found, paid = next(self.workdir.glob(f"{name}.*"), None), 0.0
        if found is None:
            made, row = await self._pay(index, request, key)
            found = made.path.replace(self.workdir / f"{name}{made.path.suffix}")
            self.budget.settle(row, made.cost)
            paid = made.cost
        self._progress(index, 1.0)
        return found, paid

    async def _pay(self, index: int, request: MusicRequest, key: str) -> tuple[Generated, str]:
        """The segment made under the budget, and its ledger row (settled once it is kept)."""
        self.budget.tidy(STAGE, [(request.owner, key)])
        if not self.checked:
            self._check_cap(index, self.budget.resumable(STAGE, request.owner, key) is not None)
        model = self.music.model.key
        call = partial(self.music.generate, request, self.workdir, self.cancel,
                       progress=lambda percent: self._progress(index, percent / 100))
        try:
            return await paid_call(
                self.budget, call, stage=STAGE, owner=request.owner, input_hash=key,
                provider=self.music, request=request, label=f"soundtrack segment {index}",
                on_created=lambda pid: self.sink(PredictionStarted(STAGE, request.owner, model,
                                                                   pid)))
        except BudgetExceeded:
            raise  # it names the segment already
        except ProviderError as exc:
            raise type(exc)(f"soundtrack segment {index} of {len(self.requests)}: "
                            f"{exc}") from None

    def _check_cap(self, index: int, held: bool) -> None:
        """``BudgetExceeded`` unless segments ``index``.. fit under the cap at their estimates
        (one already held in the ledger, ``held``, is counted at what it holds)."""
        self.checked = True
        rest = [self.music.estimate(r) for r in self.requests[index - 1:]]
        expected = sum(rest[1:] if held else rest)
        committed = ledger.committed_total(self.budget.db)
        if committed + expected > self.budget.cap + EPSILON:
            raise BudgetExceeded(
                f"the soundtrack ({len(rest)} MusicGen segments) should cost about "
                f"${expected:.2f} and ${committed:.2f} is already spent or held, over this "
                f"project's budget cap of ${self.budget.cap:.2f}; raise the cap in Settings or "
                f"make it offline")

    async def context(self, index: int, path: Path, end: float) -> Path:
        """The last ``CONTEXT`` seconds up to ``end`` of segment ``index``, for the next one."""
        tail = self.workdir / f"context-{index}.flac"
        await asyncio.to_thread(_ffmpeg, ["-ss", f"{max(0.0, end - CONTEXT):.3f}", "-t",
                                          f"{min(CONTEXT, end):.3f}", "-i", str(path),
                                          str(tail)], self.cancel)
        return tail


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
