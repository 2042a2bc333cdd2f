"""Lyrics with word timestamps: from a transcriber, optionally aligned to lyrics the user pasted.

* ``lines_from_transcript``: one line per recognised segment, each word in the segment holding its
  middle.  Segments the recogniser itself would throw away as non-speech (Whisper's own decoding
  thresholds: ``no_speech_prob`` > 0.6 with ``avg_logprob`` < -1) and segments of music symbols
  only are dropped, so an instrumental song gives an empty list rather than invented words.
* ``align_lyrics``: the user's text (one lyric line per text line) timed by the transcribed words.
  Words are matched on normalised spelling (``difflib`` longest matching blocks); between two
  matched words, a run of pasted words as long as the run of heard words takes their times one to
  one (misheard words), any other run is spread evenly over the time the heard run takes.
* ``song_lyrics``: both, with results cached by audio hash + transcriber + pasted text.
* ``timed_lyrics``: what a project shows: the transcript, the pasted text aligned to it, or (nothing
  heard, e.g. offline) the pasted text spread over the sung sections by syllables: an estimate.
  ``put_lyrics`` / ``record_transcript`` keep the corrected and the measured analysis in step.
"""

from __future__ import annotations

import copy
import difflib
import re
import unicodedata
from pathlib import Path
from typing import Optional

from mvstudio.engine.errors import InputError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.protocols import Transcriber, Transcript, TranscriptWord
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import Analysis, LyricLine, Project, Word

WORD_S = 0.3  # time given to a pasted word sung before or after everything that was heard
UNSUNG = ("intro", "outro", "instrumental")  # sections that estimated timing leaves out
TEXT_SETTING = "lyrics_text"  # project setting: the lyrics the user pasted
NO_SPEECH_PROB = 0.6
LOGPROB_FLOOR = -1.0
_MUSIC_ONLY = re.compile(r"^[\s♪♫♬♩🎵🎶*\[\]().,!?-]*(music|instrumental)?[\s♪♫♬♩🎵🎶*\[\]().,!?-]*$",
                         re.IGNORECASE)


def _is_singing(segment) -> bool:
    if _MUSIC_ONLY.match(segment.text or ""):
        return False
    return not (segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOGPROB_FLOOR)


def lines_from_transcript(transcript: Transcript) -> list[LyricLine]:
    """Lyric lines with words from a transcript; [] for an instrumental (see module doc)."""
    segments = [s for s in transcript.segments if _is_singing(s)]
    words = [w for w in transcript.words if w.text and not _MUSIC_ONLY.match(w.text)]
    if not transcript.segments:  # words only: one line
        if not words:
            return []
        return [LyricLine(" ".join(w.text for w in words), words[0].start, words[-1].end,
                          [Word(w.text, w.start, w.end) for w in words])]
    lines = []
    for seg in segments:
        inside = [Word(w.text, w.start, w.end) for w in words
                  if seg.start <= (w.start + w.end) / 2 < seg.end]
        if inside or seg.text:
            lines.append(LyricLine(seg.text, seg.start, seg.end, inside))
    return lines


def _norm(token: str) -> str:
    token = unicodedata.normalize("NFKD", token).encode("ascii", "ignore").decode() or token
    return re.sub(r"[^\w]", "", token.lower())


def _spread(n: int, start: float, end: float) -> list[tuple[float, float]]:
    """``n`` equal slots covering ``[start, end]``."""
    step = max(end - start, 0.0) / max(n, 1)
    return [(start + i * step, start + (i + 1) * step) for i in range(n)]


def _gap_span(heard: list[TranscriptWord], gap_b: range, prev_b: int, next_b: int, n: int
              ) -> tuple[float, float]:
    """Time span for ``n`` unmatched pasted words: the unmatched heard words' span, else the pause
    between the neighbouring matches (``WORD_S`` per word before the first or after the last)."""
    if gap_b:
        return heard[gap_b[0]].start, max(heard[gap_b[-1]].end, heard[gap_b[0]].start)
    if prev_b == 0:
        end = heard[next_b].start
        return max(0.0, end - WORD_S * n), end
    start = heard[prev_b - 1].end
    if next_b >= len(heard):
        return start, start + WORD_S * n
    return start, max(start, heard[next_b].start)


def _pasted_lines(text: str) -> list[list[str]]:
    """The pasted text's words, line by line; InputError when there are none."""
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise InputError("the pasted lyrics are empty")
    return lines


def _line(tokens: list[str], words: list[Word]) -> LyricLine:
    return LyricLine(" ".join(tokens), words[0].start, words[-1].end, words)


def align_lyrics(text: str, heard: list[TranscriptWord]) -> list[LyricLine]:
    """The pasted ``text`` as timed lyric lines (see module doc); InputError if nothing was heard."""
    lines = _pasted_lines(text)
    heard = [w for w in heard if _norm(w.text)]
    if not heard:
        raise InputError("no singing was heard in the song, so the pasted lyrics cannot be timed")
    pasted = [w for ln in lines for w in ln]
    a, b = [_norm(w) for w in pasted], [_norm(w.text) for w in heard]
    times: list[Optional[tuple[float, float]]] = [None] * len(pasted)
    blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    prev_a, prev_b = 0, 0
    for block in blocks:  # the last block is a zero-length sentinel at (len(a), len(b))
        gap_a, gap_b = range(prev_a, block.a), range(prev_b, block.b)
        if gap_a:
            if len(gap_a) == len(gap_b):
                for i, j in zip(gap_a, gap_b):
                    times[i] = (heard[j].start, heard[j].end)
            else:
                start, end = _gap_span(heard, gap_b, prev_b, block.b, len(gap_a))
                for i, slot in zip(gap_a, _spread(len(gap_a), start, end)):
                    times[i] = slot
        for k in range(block.size):
            times[block.a + k] = (heard[block.b + k].start, heard[block.b + k].end)
        prev_a, prev_b = block.a + block.size, block.b + block.size
    out, k = [], 0
    for ln in lines:
        words = []
        for token in ln:
            start, end = times[k]  # every index was filled by a block or a gap
            words.append(Word(token, round(start, 3), round(end, 3)))
            k += 1
        out.append(_line(ln, words))
    return out


def _syllables(token: str) -> int:
    return max(1, len(re.findall(r"[aeiouy]+", token.lower())))


def estimate_lyrics(text: str, analysis: Analysis) -> list[LyricLine]:
    """The pasted ``text`` spread over the sung sections (all but ``UNSUNG``; the whole song when
    none is sung) in order, each word taking time by its syllables: an estimate, nothing heard."""
    lines = _pasted_lines(text)
    spans = [(s.start, s.end) for s in analysis.sections
             if s.label not in UNSUNG and s.end > s.start] or [(0.0, analysis.duration)]
    weights = [[_syllables(w) for w in ln] for ln in lines]
    per = sum(e - s for s, e in spans) / sum(map(sum, weights))

    def place(sung: float) -> tuple[float, float]:
        """Song time of ``sung`` seconds into the sung spans, and the end of its span."""
        for start, end in spans:
            if sung < end - start:
                return start + sung, end
            sung -= end - start
        return spans[-1][1], spans[-1][1]

    out, clock = [], 0.0
    for tokens, sizes in zip(lines, weights):
        words = []
        for token, size in zip(tokens, sizes):
            start, span_end = place(clock)
            clock += size * per
            words.append(Word(token, round(start, 3), round(min(start + size * per, span_end), 3)))
        out.append(_line(tokens, words))
    return out


def heard_words(analysis: Analysis) -> list[TranscriptWord]:
    """The words of the analysis' transcript ([] when there is none)."""
    return [TranscriptWord(w.text, w.start, w.end)
            for line in analysis.transcript or [] for w in line.words]


def lyrics_timing(analysis: Analysis, text: str) -> str:
    """How ``timed_lyrics`` times ``text``: "heard" (no text), "aligned" or "estimated"."""
    if not text.strip():
        return "heard"
    return "aligned" if heard_words(analysis) else "estimated"


def timed_lyrics(analysis: Analysis, text: str) -> list[LyricLine]:
    """The lyrics to show for the pasted ``text`` ("" = none; see ``lyrics_timing``)."""
    timing = lyrics_timing(analysis, text)
    if timing == "heard":
        return copy.deepcopy(analysis.transcript or [])
    if timing == "aligned":
        return align_lyrics(text, heard_words(analysis))
    return estimate_lyrics(text, analysis)


def _analyses(project: Project) -> list[Analysis]:
    return [a for a in (project.analysis, project.raw_analysis) if a is not None]


def put_lyrics(project: Project, lines: list[LyricLine]) -> None:
    """Show ``lines`` (private copies) on the analysis and on the measured one behind it."""
    for analysis in _analyses(project):
        analysis.lyrics = copy.deepcopy(lines)


def record_transcript(project: Project, transcript: list[LyricLine]) -> None:
    """Keep what was heard on both analyses and time the project's pasted lyrics by it."""
    for analysis in _analyses(project):
        analysis.transcript = copy.deepcopy(transcript)
    put_lyrics(project, timed_lyrics(project.analysis, project.settings.get(TEXT_SETTING, "")))


def keyed_transcriber() -> Optional[Transcriber]:
    """OpenAI's Whisper with the stored key (keyring, else ``OPENAI_API_KEY``; the client honours
    ``OPENAI_BASE_URL``), or None without a key."""
    from mvstudio.engine.keys import get_key

    key = get_key("openai")
    if not key:
        return None
    from mvstudio.engine.generation.openai_transcriber import OpenAITranscriber

    return OpenAITranscriber(key)


async def song_lyrics(audio: str | Path, transcriber: Transcriber, *, audio_hash: str = "",
                      pasted: Optional[str] = None, cache=None,
                      cancel: Optional[CancelToken] = None) -> list[LyricLine]:
    """Lyrics of the song at ``audio``: transcribed, and aligned to ``pasted`` text if given.

    With a ``cache`` (``AnalysisCache``) and ``audio_hash``, a song already transcribed by the
    same transcriber is not sent again (transcription costs money).
    """
    key = input_hash("lyrics", transcriber.fingerprint(), pasted or "")
    if cache is not None and audio_hash:
        found = cache.get_lyrics(audio_hash, key)
        if found is not None:
            return found
    transcript = await transcriber.transcribe(Path(audio), cancel)
    if pasted and pasted.strip():
        lines = align_lyrics(pasted, list(transcript.words))
    else:
        lines = lines_from_transcript(transcript)
    if cache is not None and audio_hash:
        cache.put_lyrics(audio_hash, key, lines)
    return lines
