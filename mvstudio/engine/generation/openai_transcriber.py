"""Lyrics through OpenAI's transcription API: whisper-1, verbose_json, word + segment timestamps.

The song is first encoded to a small mono MP3 (16 kHz, 64 kbit/s: a 20-minute song is ~10 MB, well
under the API's 25 MB limit; Whisper hears at 16 kHz anyway).  The ``openai`` client runs with
``max_retries=0``: the retries are ``openai_common.with_retries``, so that the schedule is the
PRD's and cancellation works between attempts.  One request, then up to ``len(retry_delays)``
retries after waits of 2, 4 and 8 s, for rate limits (429), server errors (5xx, 408, 409),
timeouts and dropped connections.  A rejected key (401/403) or a bad request fails at once.  The
key is injected by the caller and never logged; error messages never contain it.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Optional, Sequence

import openai

from mvstudio.engine.errors import ProviderError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.openai_common import RETRY_DELAYS, Sleep, with_retries
from mvstudio.engine.generation.protocols import (Transcript, TranscriptSegment,
                                                  TranscriptWord)

MODEL = "whisper-1"
UPLOAD_LIMIT_BYTES = 25 * 1024 * 1024


def encode_for_upload(audio: Path, out: Path) -> Path:
    """``audio`` as a mono 16 kHz 64 kbit/s MP3 at ``out`` (FFmpeg); raises ProviderError."""
    from mvstudio.engine.render.ffmpeg import ffmpeg_exe

    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(audio),
           "-map", "0:a:0", "-vn", "-ac", "1", "-ar", "16000", "-c:a", "libmp3lame", "-b:a", "64k",
           str(out)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProviderError(f"{audio.name} could not be prepared for transcription: {exc}") from exc
    if proc.returncode != 0 or not out.exists():
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ProviderError(f"{audio.name} could not be prepared for transcription ({last})")
    if out.stat().st_size > UPLOAD_LIMIT_BYTES:
        raise ProviderError(f"{audio.name} is too long to transcribe in one request "
                            f"(over {UPLOAD_LIMIT_BYTES // 2**20} MB even compressed)")
    return out


def parse_transcription(result: Any) -> Transcript:
    """A verbose_json transcription (the client's object or a plain dict) as a ``Transcript``."""
    def get(obj: Any, name: str, default: Any = None) -> Any:
        return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)

    words = tuple(TranscriptWord(str(get(w, "word", "")).strip(), float(get(w, "start", 0.0)),
                                 float(get(w, "end", 0.0)))
                  for w in (get(result, "words") or []))
    segments = tuple(TranscriptSegment(
        str(get(s, "text", "")).strip(), float(get(s, "start", 0.0)), float(get(s, "end", 0.0)),
        float(get(s, "no_speech_prob", 0.0) or 0.0), float(get(s, "avg_logprob", 0.0) or 0.0))
        for s in (get(result, "segments") or []))
    return Transcript(text=str(get(result, "text", "") or "").strip(), words=words,
                      segments=segments, language=str(get(result, "language", "") or ""),
                      duration=float(get(result, "duration", 0.0) or 0.0))


class OpenAITranscriber:
    """The ``Transcriber`` for OpenAI's Whisper API (see module doc)."""

    name = "openai"

    def __init__(self, api_key: str, *, model: str = MODEL, base_url: Optional[str] = None,
                 timeout: float = 300.0, retry_delays: Sequence[float] = RETRY_DELAYS,
                 sleep: Sleep = asyncio.sleep, language: Optional[str] = None):
        if not api_key:
            raise ProviderError("transcription needs an OpenAI API key")
        self.model = model
        self.language = language
        self.retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self._key = api_key
        self._base_url = base_url
        self._timeout = timeout

    def fingerprint(self) -> str:
        return f"openai:{self.model}:verbose_json:word+segment:{self.language or 'auto'}"

    def _client(self) -> openai.AsyncOpenAI:
        """A client for one ``transcribe`` call (its connections belong to the running loop)."""
        return openai.AsyncOpenAI(api_key=self._key, base_url=self._base_url, max_retries=0,
                                  timeout=self._timeout)

    async def _request(self, client: openai.AsyncOpenAI, upload: Path) -> Any:
        with open(upload, "rb") as fh:
            extra = {"language": self.language} if self.language else {}
            return await client.audio.transcriptions.create(
                file=(upload.name, fh, "audio/mpeg"), model=self.model,
                response_format="verbose_json", timestamp_granularities=["word", "segment"],
                **extra)

    async def transcribe(self, audio: Path, cancel: Optional[CancelToken] = None) -> Transcript:
        """The song's words and segments; raises ProviderError after the last failed attempt."""
        with tempfile.TemporaryDirectory(prefix="mvstudio-transcribe-") as tmp:
            upload = await asyncio.to_thread(encode_for_upload, Path(audio), Path(tmp) / "song.mp3")
            async with self._client() as client:
                result = await with_retries(lambda: self._request(client, upload),
                                            what="OpenAI transcription", secret=self._key,
                                            delays=self.retry_delays, sleep=self._sleep,
                                            cancel=cancel)
        return parse_transcription(result)
