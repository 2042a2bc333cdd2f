"""The lyrics the user pasted, as one undoable edit.

``paste_lyrics(project, text)`` keeps ``text`` in the project (setting ``lyrics_text``, so a
re-analysis times it again) and shows it timed by what was heard, or estimated over the sung
sections without a transcript (``analysis.lyrics.timed_lyrics``), on the analysis and on the
measured analysis behind the user's corrections alike.  Empty text goes back to the transcript.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from mvstudio.engine.analysis.lyrics import TEXT_SETTING, put_lyrics, timed_lyrics
from mvstudio.engine.edits.base import OUT_OF_DATE, Edit, EditError, NoChange
from mvstudio.engine.model import LyricLine, Project

LABEL = "Paste Lyrics"


def _state(project: Project) -> tuple[list[LyricLine], str]:
    if project.analysis is None:
        raise EditError(OUT_OF_DATE)
    return project.analysis.lyrics, project.settings.get(TEXT_SETTING, "")


@dataclass(frozen=True)
class SetLyrics:
    """The shown lyrics and the pasted text go from ``before`` to ``after``."""

    before: tuple[list[LyricLine], str]
    after: tuple[list[LyricLine], str]

    def do(self, project: Project) -> None:
        if _state(project) != self.before:
            raise EditError(OUT_OF_DATE)
        lines, text = self.after
        put_lyrics(project, lines)
        if text:
            project.settings[TEXT_SETTING] = text
        else:
            project.settings.pop(TEXT_SETTING, None)

    def inverse(self) -> "SetLyrics":
        return SetLyrics(self.after, self.before)


def paste_lyrics(project: Project, text: str) -> Edit:
    """Show the pasted ``text`` (one lyric line per text line) as the song's lyrics."""
    if project.analysis is None:
        raise EditError("analyse the song before adding its lyrics")
    text = "\n".join(line.strip() for line in text.strip().splitlines())
    after = (timed_lyrics(project.analysis, text), text)
    before = copy.deepcopy(_state(project))
    if after == before:
        raise NoChange(f"{LABEL}: nothing to change")
    return Edit(LABEL, (SetLyrics(before, after),))
