"""The base of every lane: an item in a pyqtgraph ViewBox (x = seconds, y = 0..1) that paints in
device pixels, and only the part of the song that is exposed on screen.

Painting in pixels keeps text and hairlines crisp at every zoom; clipping to the exposed span keeps
a repaint proportional to the screen, not to the song (a playhead move repaints a thin strip).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from mvstudio.ui.timeline import theme
from mvstudio.ui.timeline.state import TimelineData

TEXT_MARGIN_PX = 240  # labels that start this far left of the exposed strip may still reach into it


@dataclass(frozen=True)
class PixelMap:
    """Seconds <-> device x for the current zoom: ``x = seconds * scale + offset``."""

    scale: float
    offset: float

    def x(self, seconds):
        return seconds * self.scale + self.offset

    def xs(self, seconds: np.ndarray) -> np.ndarray:
        return np.asarray(seconds, dtype=np.float64) * self.scale + self.offset

    def seconds(self, x: float) -> float:
        return (x - self.offset) / self.scale


def drag_marker(painter: QPainter, x: float, box: QRectF, text: str,
                place: Callable[[float, QFontMetrics], QRectF]) -> None:
    """Where a drag will drop: a line through ``box`` at ``x`` and a ``text`` tag at the rect
    ``place(tag width, font metrics)`` gives."""
    painter.setPen(QPen(theme.ACCENT, 2))
    painter.drawLine(QLineF(x, box.top(), x, box.bottom()))
    metrics = QFontMetrics(painter.font())
    tag = place(metrics.horizontalAdvance(text) + 8, metrics)
    painter.fillRect(tag, theme.ACCENT)
    painter.setPen(theme.BACKGROUND)
    painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)


def sticky(rect: QRectF, box: QRectF) -> QRectF:
    """The part of ``rect`` inside the lane's visible ``box`` (horizontally), for labels that should
    stay readable when their block starts left of the view."""
    return QRectF(max(rect.left(), box.left()), rect.top(),
                  min(rect.right(), box.right()) - max(rect.left(), box.left()), rect.height())


class Lane(pg.GraphicsObject):
    """Subclasses implement ``draw(painter, px, box, start, end)`` in device pixels.

    ``box`` is the lane's rectangle on screen; ``start``/``end`` the span in seconds worth drawing.
    """

    def __init__(self, data: TimelineData) -> None:
        super().__init__()
        self.data = data
        self._extent = QRectF(0, 0, 1, 1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def set_extent(self, seconds: float) -> None:
        """Cover the whole song (called when its length changes)."""
        if seconds != self._extent.width():
            self.prepareGeometryChange()
            self._extent = QRectF(0, 0, max(seconds, 1e-3), 1)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._extent

    def paint(self, painter: QPainter, option, widget=None) -> None:
        view = self.getViewBox()
        if view is None:
            return
        transform = painter.transform()
        (v0, v1), _ = view.viewRange()
        box = transform.mapRect(QRectF(v0, 0, v1 - v0, 1))
        exposed = transform.mapRect(option.exposedRect)
        px = PixelMap(transform.m11(), transform.dx())
        start = max(px.seconds(exposed.left() - TEXT_MARGIN_PX), 0.0)
        end = px.seconds(exposed.right() + 2)
        painter.save()
        painter.resetTransform()
        self.draw(painter, px, box, start, end)
        painter.restore()

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        raise NotImplementedError

    def visible(self, times: np.ndarray, start: float, end: float, pad: int = 1) -> slice:
        """Index slice of sorted ``times`` inside ``[start, end]`` with ``pad`` neighbours each side."""
        lo = max(int(np.searchsorted(times, start, side="left")) - pad, 0)
        hi = min(int(np.searchsorted(times, end, side="right")) + pad, len(times))
        return slice(lo, hi)

    def seconds_per_pixel(self) -> float:
        view = self.getViewBox()
        return view.viewPixelSize()[0] if view is not None else 1.0
