"""Lyrics through the real ``openai`` client against a loopback fake OpenAI server."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import openai
import pytest
from fakes.openai_server import FakeOpenAI, Reply, error_body

from media_factory import tone_wav
from mvstudio.engine.analysis.cache import AnalysisCache
from mvstudio.engine.analysis.lyrics import align_lyrics, lines_from_transcript, song_lyrics
from mvstudio.engine.errors import Cancelled, InputError, ProviderError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.openai_transcriber import OpenAITranscriber, parse_transcription
from mvstudio.engine.generation.protocols import Transcript, TranscriptSegment, TranscriptWord


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    return tone_wav(tmp_path_factory.mktemp("lyrics") / "song.wav", seconds=3.0, sr=16000)


def transcriber(fake: FakeOpenAI, sleeps: list[float], **kw) -> OpenAITranscriber:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return OpenAITranscriber(kw.pop("key", fake.key), base_url=fake.base_url, sleep=sleep, **kw)


def run(coro):
    return asyncio.run(coro)


def test_transcription_request_and_lines(fake, song):
    sleeps: list[float] = []
    t = run(transcriber(fake, sleeps).transcribe(song))
    (req,) = fake.requests_to(fake.TRANSCRIPTIONS)
    assert req.headers["authorization"] == f"Bearer {fake.key}"
    assert req.form["model"] == ["whisper-1"]
    assert req.form["response_format"] == ["verbose_json"]
    assert sorted(req.form["timestamp_granularities[]"]) == ["segment", "word"]
    name, ctype, data = req.files["file"]
    assert name.endswith(".mp3") and ctype == "audio/mpeg"
    assert data[:3] == b"ID3" or data[0] == 0xFF  # an MP3 stream, not the WAV
    assert len(data) > 1000 and sleeps == []
    lines = lines_from_transcript(t)
    assert [ln.text for ln in lines] == ["Hello city lights.", "Shine on me."]
    assert [w.text for w in lines[0].words] == ["Hello", "city", "lights"]
    assert lines[1].words[0].start == 3.0 and lines[1].end == 4.3


@pytest.mark.parametrize("statuses,delays", [((429,), [2.0]), ((500, 503), [2.0, 4.0]),
                                             ((429, 500, 502), [2.0, 4.0, 8.0])])
def test_transient_errors_are_retried_with_backoff(fake, song, statuses, delays):
    fake.script(fake.TRANSCRIPTIONS, *[Reply(s) for s in statuses])
    sleeps: list[float] = []
    t = run(transcriber(fake, sleeps).transcribe(song))
    assert sleeps == delays
    assert len(fake.requests_to(fake.TRANSCRIPTIONS)) == len(statuses) + 1
    assert len(t.words) == 6


def test_gives_up_after_the_last_attempt(fake, song):
    fake.script(fake.TRANSCRIPTIONS, *[Reply(500)] * 4, Reply())
    sleeps: list[float] = []
    with pytest.raises(ProviderError, match=r"failed after 4 attempts \(HTTP 500"):
        run(transcriber(fake, sleeps).transcribe(song))
    assert sleeps == [2.0, 4.0, 8.0]
    assert len(fake.requests_to(fake.TRANSCRIPTIONS)) == 4


def test_timeout_is_retried(fake, song):
    fake.script(fake.TRANSCRIPTIONS, Reply(delay=3.0))
    sleeps: list[float] = []
    t = run(transcriber(fake, sleeps, timeout=0.5).transcribe(song))
    assert sleeps == [2.0] and t.text.startswith("Hello")
    assert len(fake.requests_to(fake.TRANSCRIPTIONS)) == 2


def test_revoked_key_fails_at_once_without_leaking_it(fake, song, caplog):
    caplog.set_level(logging.DEBUG)
    key = fake.key
    fake.revoke(key)
    sleeps: list[float] = []
    with pytest.raises(ProviderError, match="rejected the API key") as err:
        run(transcriber(fake, sleeps).transcribe(song))
    assert sleeps == [] and len(fake.requests) == 1
    assert key not in str(err.value) and key not in caplog.text
    assert "\n" not in str(err.value)


def test_bad_request_is_not_retried(fake, song):
    fake.script(fake.TRANSCRIPTIONS, Reply(400, error_body(400, "Invalid file format.")))
    with pytest.raises(ProviderError, match="Invalid file format"):
        run(transcriber(fake, []).transcribe(song))
    assert len(fake.requests) == 1


def test_cancel_during_backoff(fake, song):
    fake.script(fake.TRANSCRIPTIONS, Reply(429))
    token = CancelToken()

    async def sleep(seconds: float) -> None:
        token.cancel()
        await asyncio.sleep(10)

    t = OpenAITranscriber(fake.key, base_url=fake.base_url, sleep=sleep)
    with pytest.raises(Cancelled):
        run(asyncio.wait_for(t.transcribe(song, token), 5))


def test_missing_key_and_unreadable_audio(fake, tmp_path):
    with pytest.raises(ProviderError, match="needs an OpenAI API key"):
        OpenAITranscriber("")
    bad = tmp_path / "bad.mp3"
    bad.write_text("not audio")
    with pytest.raises(ProviderError, match="bad.mp3 could not be prepared"):
        run(transcriber(fake, []).transcribe(bad))
    assert fake.requests == []


def test_instrumental_gives_no_lyrics(fake, song):
    fake.transcript = {"task": "transcribe", "language": "english", "duration": 3.0, "text": "",
                       "words": [], "segments": []}
    assert run(song_lyrics(song, transcriber(fake, []))) == []
    # Whisper's typical hallucination on music, flagged by its own no-speech statistics
    fake.transcript = {"text": "Thank you.", "words": [{"word": "Thank", "start": 0, "end": 1},
                                                       {"word": "you", "start": 1, "end": 2}],
                       "segments": [{"id": 0, "start": 0, "end": 2, "text": "Thank you.",
                                     "no_speech_prob": 0.9, "avg_logprob": -1.4}]}
    assert run(song_lyrics(song, transcriber(fake, []))) == []
    fake.transcript = {"text": "♪", "words": [], "segments": [
        {"id": 0, "start": 0, "end": 3, "text": " ♪ ♪", "no_speech_prob": 0.1, "avg_logprob": -0.3}]}
    assert run(song_lyrics(song, transcriber(fake, []))) == []


def test_lyrics_are_cached_by_audio_and_text(fake, song, tmp_path):
    cache = AnalysisCache(tmp_path / "cache")
    t = transcriber(fake, [])
    first = run(song_lyrics(song, t, audio_hash="abc", cache=cache))
    again = run(song_lyrics(song, t, audio_hash="abc", cache=cache))
    assert again == first and len(fake.requests) == 1
    pasted = run(song_lyrics(song, t, audio_hash="abc", cache=cache, pasted="Hello city lights"))
    assert len(fake.requests) == 2 and [ln.text for ln in pasted] == ["Hello city lights"]


def test_client_parse_matches_plain_dict(fake):
    client = openai.OpenAI(api_key=fake.key, base_url=fake.base_url, max_retries=0)
    with open(__file__, "rb") as fh:
        obj = client.audio.transcriptions.create(file=("a.mp3", fh, "audio/mpeg"),
                                                 model="whisper-1", response_format="verbose_json",
                                                 timestamp_granularities=["word", "segment"])
    assert parse_transcription(obj) == parse_transcription(fake.transcript)


# --------------------------------------------------------------------------- pasted lyrics


def heard(*items: tuple[str, float]) -> list[TranscriptWord]:
    return [TranscriptWord(text, t, t + 0.4) for text, t in items]


def test_pasted_lyrics_take_the_heard_times():
    words = heard(("hello", 1.0), ("sitty", 1.5), ("lights", 2.0), ("shine", 4.0), ("on", 4.5),
                  ("me", 5.0))
    lines = align_lyrics("Hello, city lights!\n\nShine on me", words)
    assert [ln.text for ln in lines] == ["Hello, city lights!", "Shine on me"]
    first, second = lines
    assert [w.start for w in first.words] == [1.0, 1.5, 2.0]  # 'sitty' misheard, same slot
    assert [w.start for w in second.words] == [4.0, 4.5, 5.0]
    assert first.start == 1.0 and first.end == 2.4 and second.end == 5.4


def test_pasted_lyrics_with_extra_and_missing_words():
    words = heard(("one", 1.0), ("two", 2.0), ("five", 5.0), ("six", 6.0))
    (line,) = align_lyrics("zero one two three four five six seven", words)
    times = [w.start for w in line.words]
    assert times == sorted(times)
    assert times[1] == 1.0 and times[2] == 2.0 and times[5] == 5.0 and times[6] == 6.0
    assert 2.4 <= times[3] < times[4] < 5.0  # spread over the pause between 'two' and 'five'
    assert times[0] < 1.0 and times[7] >= 6.4


def test_pasted_lyrics_need_heard_words():
    with pytest.raises(InputError, match="no singing was heard"):
        align_lyrics("la la la", [])
    with pytest.raises(InputError, match="empty"):
        align_lyrics(" \n ", heard(("a", 1.0)))


def test_words_without_segments_make_one_line():
    t = Transcript("a b", words=(TranscriptWord("a", 0, 1), TranscriptWord("b", 1, 2)))
    (line,) = lines_from_transcript(t)
    assert line.text == "a b" and line.end == 2
    t = Transcript("x", segments=(TranscriptSegment("x", 0, 1),))
    assert lines_from_transcript(t)[0].words == []
