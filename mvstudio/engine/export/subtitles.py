"""The lyrics as subtitles: SubRip (``.srt``) and WebVTT (``.vtt``), one cue per lyric line."""

from __future__ import annotations

import html
from typing import Optional

from mvstudio.engine.errors import InputError
from mvstudio.engine.model import Analysis

MIN_CUE_S = 0.3  # a line sung in no time (an estimate gone wrong) still shows for a moment


def lyric_cues(analysis: Optional[Analysis]) -> list[tuple[float, float, str]]:
    """``(start, end, text)`` of each lyric line with text, in time order."""
    lines = analysis.lyrics if analysis is not None else []
    cues = sorted((line.start, max(line.end, line.start + MIN_CUE_S), " ".join(line.text.split()))
                  for line in lines if line.text.strip())
    if not cues:
        raise InputError("the project has no lyrics to export: transcribe them (Analyse with an "
                         "OpenAI key) or paste them (Analysis > Paste Lyrics…)")
    return cues


def _stamp(seconds: float, separator: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def srt(analysis: Optional[Analysis]) -> str:
    """SubRip: numbered cues, ``HH:MM:SS,mmm`` times."""
    return "".join(f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{text}\n\n"
                   for i, (a, b, text) in enumerate(lyric_cues(analysis), 1))


def vtt(analysis: Optional[Analysis]) -> str:
    """WebVTT: a header, then ``HH:MM:SS.mmm`` cues (text escaped: ``&`` and ``<`` are markup)."""
    cues = (f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{html.escape(text, quote=False)}\n\n"
            for a, b, text in lyric_cues(analysis))
    return "WEBVTT\n\n" + "".join(cues)
