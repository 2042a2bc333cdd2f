"""Engine events to Qt signals: the one place where engine reports cross into the UI."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from mvstudio.engine.events import Event, Notice, Progress, StageFinished, StageStarted


class EngineBridge(QObject):
    """A callable sink whose events come out as signals (safe to call from any thread)."""

    stage_started = Signal(str, str)
    progress = Signal(str, float, object, str)  # stage, fraction, eta seconds or None, message
    stage_finished = Signal(str, float, str)
    notice = Signal(str, str)

    def __call__(self, event: Event) -> None:
        if isinstance(event, StageStarted):
            self.stage_started.emit(event.stage, event.message)
        elif isinstance(event, Progress):
            self.progress.emit(event.stage, event.fraction, event.eta, event.message)
        elif isinstance(event, StageFinished):
            self.stage_finished.emit(event.stage, event.seconds, event.message)
        elif isinstance(event, Notice):
            self.notice.emit(event.level, event.message)
