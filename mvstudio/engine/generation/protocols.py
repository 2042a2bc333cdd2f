"""What a provider is: small protocols that offline twins and cloud services both implement.

A provider writes its result into a work folder and returns it as ``Generated``; the pipeline moves
the file into the project's content-addressed media store and records it with its input hash.
``fingerprint`` names everything about the provider that changes its output (name, model, version),
and is part of that input hash.

A paid provider also prices a request (``estimate``; ``ceiling``: the most it can cost) and its
``generate`` takes ``on_created`` (hears the prediction id before the wait) and ``resume_id``
(reattach instead of paying again) keywords: the pipeline runs it under the project's budget
(``generation.budget``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Protocol, Sequence

from mvstudio.engine.events import CancelToken, StageReporter
from mvstudio.engine.model import Analysis, Plan, Scene

if TYPE_CHECKING:
    from mvstudio.engine.planning.spend import Spend


@dataclass(frozen=True)
class ImageRequest:
    owner: str
    prompt: str
    palette: tuple[str, ...]
    seed: int
    width: int
    height: int
    reference: Optional[Path] = None  # a character or place to keep (models that take one)


@dataclass(frozen=True)
class ClipRequest:
    owner: str
    prompt: str
    image: Path  # first frame / still to animate
    frames: int
    fps: int
    width: int
    height: int
    beat_frames: tuple[int, ...]  # beats inside the clip, as frame offsets from its start
    move: str
    seed: int
    last_image: Optional[Path] = None  # last frame, for models that end on a given picture


@dataclass
class Generated:
    path: Path
    provider: str
    model: str = ""
    cost: float = 0.0
    width: int = 0
    height: int = 0
    duration: float = 0.0


class Planner(Protocol):
    name: str

    async def plan(self, analysis: Analysis, prompt: str, seed: int, *,
                   cancel: Optional[CancelToken] = None,
                   spend: Callable[["Spend"], None] = ...) -> Plan:
        """A plan; ``spend`` is told of every paid call (``planning.spend.Spend``)."""
        ...


class ImageGenerator(Protocol):
    name: str

    def fingerprint(self) -> str: ...

    def request_key(self, request: ImageRequest) -> str:
        """Anything outside ``request`` that decides the output (e.g. a user photo's hash)."""
        ...

    async def generate(self, request: ImageRequest, workdir: Path,
                       cancel: Optional[CancelToken] = None) -> Generated: ...


class VideoGenerator(Protocol):
    name: str

    def fingerprint(self) -> str: ...

    async def generate(self, request: ClipRequest, workdir: Path,
                       cancel: Optional[CancelToken] = None,
                       reporter: Optional[StageReporter] = None) -> Generated: ...


class SoundtrackGenerator(Protocol):
    """Music for a plan that has no song: one section per scene, played from the scene's
    ``music_prompt`` for its duration (s), each continuing the one before."""

    name: str

    def fingerprint(self) -> str: ...

    async def generate(self, scenes: Sequence[Scene], durations: Sequence[float], workdir: Path,
                       cancel: Optional[CancelToken] = None) -> Generated: ...


@dataclass(frozen=True)
class TranscriptWord:
    text: str
    start: float  # seconds
    end: float


@dataclass(frozen=True)
class TranscriptSegment:
    """A stretch of speech/singing as the recogniser cut it (about a line of lyrics)."""

    text: str
    start: float
    end: float
    no_speech_prob: float = 0.0  # the recogniser's belief that nobody sings here
    avg_logprob: float = 0.0  # its mean token log-probability (low = guessing)


@dataclass(frozen=True)
class Transcript:
    text: str
    words: tuple[TranscriptWord, ...] = ()
    segments: tuple[TranscriptSegment, ...] = ()
    language: str = ""
    duration: float = 0.0


class Transcriber(Protocol):
    """Speech-to-text with word timestamps (lyrics)."""

    name: str

    def fingerprint(self) -> str: ...

    async def transcribe(self, audio: Path, cancel: Optional[CancelToken] = None) -> Transcript: ...
