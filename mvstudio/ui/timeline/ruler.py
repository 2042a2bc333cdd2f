"""The time ruler: minutes:seconds (frames when zoomed in) or bars.beats; click or drag to seek."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter

from mvstudio.engine.timebase import timecode
from mvstudio.ui.timeline import theme
from mvstudio.ui.timeline.lane import Lane, PixelMap
from mvstudio.ui.timeline.state import Grid

TIME_LABEL_PX = 84  # room for "12:34.56"
BAR_LABEL_PX = 44  # room for "123.4"
MINOR_PX = 7
_SECOND_STEPS = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600)
_BAR_STEPS = (1, 2, 4, 8, 16, 32, 64, 128)


@dataclass(frozen=True)
class Tick:
    seconds: float
    major: bool
    label: str = ""


def time_ticks(start: float, end: float, px_per_s: float, fps: int) -> list[Tick]:
    """Ticks on whole frames: labelled majors at least ``TIME_LABEL_PX`` apart, minors between."""
    steps = [s for s in (1, 2, 5, 10) if s < fps]
    steps += [int(s * fps) for s in _SECOND_STEPS if float(s * fps).is_integer()]
    px_per_frame = px_per_s / fps
    major = next((s for s in steps if s * px_per_frame >= TIME_LABEL_PX), steps[-1])
    minor = next((s for s in steps if s * px_per_frame >= MINOR_PX and major % s == 0), major)
    ticks = []
    for k in range(math.ceil(start * fps / minor), math.floor(end * fps / minor) + 1):
        frame = k * minor
        is_major = frame % major == 0
        label = ""
        if is_major:
            label = timecode(frame, fps) if major < fps else f"{frame // fps // 60}:{frame // fps % 60:02d}"
        ticks.append(Tick(frame / fps, is_major, label))
    return ticks


def bar_ticks(start: float, end: float, px_per_s: float, grid: Grid) -> list[Tick]:
    """Beat and bar ticks; labels ``bar.beat`` when beats are far apart, else every n-th bar."""
    beat_px = grid.beat_spacing() * px_per_s
    bar_px = grid.bar_spacing() * px_per_s
    every_beat = beat_px >= BAR_LABEL_PX
    n_bars = next((n for n in _BAR_STEPS if n * bar_px >= BAR_LABEL_PX), _BAR_STEPS[-1])
    i0, i1 = np.searchsorted(grid.beats, [start, end])
    ticks = []
    for i in range(int(i0), int(i1)):
        bar, beat = int(grid.bar[i]), int(grid.beat_in_bar[i])
        on_bar = beat == 1 and bar >= 1
        if every_beat:
            ticks.append(Tick(float(grid.beats[i]), True, f"{bar}.{beat}"))
        elif on_bar and (bar - 1) % n_bars == 0:
            ticks.append(Tick(float(grid.beats[i]), True, str(bar)))
        elif beat_px >= MINOR_PX or (on_bar and bar_px >= MINOR_PX):
            ticks.append(Tick(float(grid.beats[i]), False))
    return ticks


class RulerLane(Lane):
    seek = Signal(float)  # seconds

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        if self.data.ruler_mode == "bars" and self.data.bars_available():
            ticks = bar_ticks(start, end, px.scale, self.data.grid)
        else:
            ticks = time_ticks(start, end, px.scale, self.data.fps)
        bottom = box.bottom()
        painter.setPen(theme.GRID)
        painter.drawLine(QLineF(box.left(), bottom - 0.5, box.right(), bottom - 0.5))
        painter.setPen(theme.TEXT_DIM)
        painter.drawLines([QLineF(px.x(t.seconds), bottom, px.x(t.seconds), bottom - (9 if t.major else 4))
                           for t in ticks])
        painter.setFont(theme.font(10))
        painter.setPen(theme.TEXT)
        for t in ticks:
            if t.label:
                painter.drawText(QPointF(px.x(t.seconds) + 3, box.top() + 11), t.label)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph hook
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.seek.emit(ev.pos().x())

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph hook: drag on the ruler scrubs
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self.seek.emit(ev.pos().x())
