"""Engine events to Qt signals: the one place where engine reports cross into the UI."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from mvstudio.engine.events import (Event, ItemFailed, ItemStarted, Notice, PredictionStarted,
                                    Progress, StageFinished, StageStarted)


class EngineBridge(QObject):
    """A callable sink whose events come out as signals (safe to call from any thread)."""

    stage_started = Signal(str, str)
    progress = Signal(str, float, object, str)  # stage, fraction, eta seconds or None, message
    stage_finished = Signal(str, float, str)
    notice = Signal(str, str)
    item_started = Signal(str, str)  # stage, clip id
    item_finished = Signal(str, str)  # stage, clip id: its still or video was made
    item_failed = Signal(str, str, str)  # stage, clip id, reason
    prediction_started = Signal(str, str, str, str)  # stage, clip id, model, prediction id

    def __call__(self, event: Event) -> None:
        if isinstance(event, StageStarted):
            self.stage_started.emit(event.stage, event.message)
        elif isinstance(event, Progress):
            self.progress.emit(event.stage, event.fraction, event.eta, event.message)
            if event.item:
                self.item_finished.emit(event.stage, event.item)
        elif isinstance(event, StageFinished):
            self.stage_finished.emit(event.stage, event.seconds, event.message)
        elif isinstance(event, Notice):
            self.notice.emit(event.level, event.message)
        elif isinstance(event, ItemStarted):
            self.item_started.emit(event.stage, event.item)
        elif isinstance(event, ItemFailed):
            self.item_failed.emit(event.stage, event.item, event.message)
        elif isinstance(event, PredictionStarted):
            self.prediction_started.emit(event.stage, event.item, event.model,
                                         event.prediction_id)
