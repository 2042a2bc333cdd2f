"""The lyrics as subtitles: SubRip (``.srt``), WebVTT (``.vtt``) and styled ASS (burned in by
libass), one cue per lyric line."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Optional, Sequence

from mvstudio.engine.errors import InputError
from mvstudio.engine.model import Analysis

MIN_CUE_S = 0.3  # a line sung in no time (an estimate gone wrong) still shows for a moment
Cue = tuple[float, float, str]


def timed_lines(analysis: Optional[Analysis]) -> list[Cue]:
    """``(start, end, text)`` of each lyric line with text, in time order (maybe none)."""
    lines = analysis.lyrics if analysis is not None else []
    return sorted((line.start, max(line.end, line.start + MIN_CUE_S), " ".join(line.text.split()))
                  for line in lines if line.text.strip())


def lyric_cues(analysis: Optional[Analysis]) -> list[Cue]:
    """``timed_lines``, or ``InputError`` when there are none."""
    cues = timed_lines(analysis)
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


def srt_text(cues: Sequence[Cue]) -> str:
    """SubRip: numbered cues, ``HH:MM:SS,mmm`` times."""
    return "".join(f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{text}\n\n"
                   for i, (a, b, text) in enumerate(cues, 1))


def vtt_text(cues: Sequence[Cue]) -> str:
    """WebVTT: a header, then ``HH:MM:SS.mmm`` cues (text escaped: ``&`` and ``<`` are markup)."""
    body = (f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{html.escape(text, quote=False)}\n\n"
            for a, b, text in cues)
    return "WEBVTT\n\n" + "".join(body)


def srt(analysis: Optional[Analysis]) -> str:
    return srt_text(lyric_cues(analysis))


def vtt(analysis: Optional[Analysis]) -> str:
    return vtt_text(lyric_cues(analysis))


def write_sidecars(cues: Sequence[Cue], video: Path) -> list[Path]:
    """``NAME.srt`` and ``NAME.vtt`` beside ``video``; nothing when there are no cues."""
    if not cues:
        return []
    paths = [video.with_suffix(".srt"), video.with_suffix(".vtt")]
    for path, text in zip(paths, (srt_text(cues), vtt_text(cues))):
        path.write_text(text, encoding="utf-8")
    return paths


def _ass_colour(hex_colour: str, alpha: int = 0) -> str:
    """``#RRGGBB`` -> ASS ``&HAABBGGRR``."""
    rgb = hex_colour.lstrip("#")
    return f"&H{alpha:02X}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".upper()


def _ass_time(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _luma(hex_colour: str) -> float:
    r, g, b = (int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return 0.299 * r + 0.587 * g + 0.114 * b


def caption_colours(palette: Sequence[str]) -> tuple[str, str]:
    """Text and outline colours from a plan's palette: its lightest and darkest colours (white
    on black without a palette), so the text always stands out from its outline."""
    colours = [c for c in palette if len(c.lstrip("#")) == 6] or ["#FFFFFF"]
    light, dark = max(colours, key=_luma), min(colours, key=_luma)
    if _luma(light) - _luma(dark) < 128:
        return ("#FFFFFF", dark) if _luma(dark) < 128 else (light, "#000000")
    return light, dark


def ass_text(cues: Sequence[Cue], *, width: int, height: int, palette: Sequence[str] = ()) -> str:
    """ASS for libass: one line at a time (each cue ends when the next starts), bottom centre
    in the lower third, in the palette's colours with an outline."""
    text, outline = caption_colours(palette)
    size = max(8, round(min(width, height) * 0.065))
    style = (f"Style: Lyric,Sans,{size},{_ass_colour(text)},{_ass_colour(text)},"
             f"{_ass_colour(outline)},{_ass_colour(outline, 0x80)},1,0,0,0,100,100,0,0,1,"
             f"{max(1, size // 12)},0,2,{width // 20},{width // 20},{round(height * 0.08)},1")
    events = []
    for i, (start, end, line) in enumerate(cues):
        end = min(end, cues[i + 1][0]) if i + 1 < len(cues) else end
        safe = line.replace("\\", "\\\\").replace("{", "(").replace("}", ")")
        events.append(f"Dialogue: 0,{_ass_time(start)},{_ass_time(end)},Lyric,,0,0,0,,{safe}")
    return "\n".join([
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}",
        "WrapStyle: 0", "", "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        style, "", "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        *events, ""])
