"""A terminal progress bar drawn on stderr from engine events: stage, percent, ETA."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from mvstudio.engine.events import (Event, ItemFailed, Notice, Progress, StageFinished,
                                    StageStarted)

STAGE_NAMES = {"analyse": "Analysing", "plan": "Planning", "references": "References",
               "images": "Stills", "clips": "Clips", "render": "Rendering",
               "soundtrack": "Soundtrack"}


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60:d}:{seconds % 60:02d}"


class ProgressBar:
    """Callable sink.  On a terminal it redraws one line; elsewhere it prints a line per 10 %."""

    def __init__(self, stream: TextIO | None = None, width: int = 28):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_decile: dict[str, int] = {}
        self._last_draw = 0.0

    def __call__(self, event: Event) -> None:
        if isinstance(event, StageStarted):
            self._line(f"{STAGE_NAMES.get(event.stage, event.stage)}: {event.message}".rstrip(": "))
        elif isinstance(event, Progress):
            self._progress(event)
        elif isinstance(event, StageFinished):
            name = STAGE_NAMES.get(event.stage, event.stage)
            self._line(f"{name}: done in {event.seconds:.1f} s" +
                       (f" ({event.message})" if event.message else ""))
        elif isinstance(event, Notice):
            self._line(f"note: {event.message}")
        elif isinstance(event, ItemFailed):
            self._line(f"{event.label or event.item} failed: {event.message}")

    def _progress(self, event: Progress) -> None:
        pct = int(event.fraction * 100)
        name = STAGE_NAMES.get(event.stage, event.stage)
        filled = int(self.width * event.fraction)
        text = (f"{name:<10} [{'#' * filled}{'.' * (self.width - filled)}] {pct:3d}% "
                f"ETA {format_eta(event.eta)} {event.message}").rstrip()
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw >= 0.1 or event.fraction >= 1.0:
                self._last_draw = now
                self.stream.write("\r\033[K" + text)
                self.stream.flush()
            return
        decile = pct // 10
        if decile > self._last_decile.get(event.stage, -1):
            self._last_decile[event.stage] = decile
            self.stream.write(text + "\n")
            self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()
