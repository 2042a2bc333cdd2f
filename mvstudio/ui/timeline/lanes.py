"""The analysis lanes: waveform, beats, sections, energy and lyrics (read only)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen
from pyqtgraph.functions import arrayToQPath, arrayToQPolygonF

from mvstudio.ui.timeline import theme
from mvstudio.ui.timeline.lane import TEXT_MARGIN_PX, Lane, PixelMap, sticky

BEAT_MIN_PX = 4  # thinner beat spacing than this draws downbeats only


class WaveformLane(Lane):
    """The peak envelope at about one bin per pixel: a min-to-max stroke per pixel column, or, when
    zoomed in past the finest bins, a filled outline through the bins."""

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        mid = box.center().y()
        painter.setPen(theme.GRID)
        painter.drawLine(QLineF(box.left(), mid, box.right(), mid))
        env = self.data.envelope
        if env is None or env.peak <= 0:
            return
        centres, mins, maxs = env.window(start, end, 1.0 / px.scale)
        if len(centres) < 2:
            return
        half = box.height() / 2 * 0.94 / env.peak
        x = px.xs(centres)
        if x[1] - x[0] < 1.0:
            self._columns(painter, x, mins, maxs, mid, half)
        else:
            outline = arrayToQPolygonF(np.concatenate([x, x[::-1]]),
                                       np.concatenate([mid - maxs * half, (mid - mins * half)[::-1]]))
            painter.setPen(QPen(theme.WAVE, 1))
            painter.setBrush(theme.WAVE)
            painter.drawPolygon(outline)

    @staticmethod
    def _columns(painter: QPainter, x: np.ndarray, mins: np.ndarray, maxs: np.ndarray,
                 mid: float, half: float) -> None:
        cols = np.floor(x).astype(np.int64)
        first = np.concatenate([[0], np.flatnonzero(np.diff(cols)) + 1])
        top = mid - np.maximum.reduceat(maxs, first) * half
        bottom = np.maximum(mid - np.minimum.reduceat(mins, first) * half, top + 1)
        xs = np.repeat(cols[first] + 0.5, 2)
        painter.setPen(QPen(theme.WAVE, 1))
        painter.drawPath(arrayToQPath(xs, np.column_stack([top, bottom]).ravel(), connect="pairs"))


class BeatLane(Lane):
    """Beat ticks, downbeats taller and brighter; beats hide when packed closer than a few pixels."""

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        grid = self.data.grid
        if grid.beat_spacing() * px.scale >= BEAT_MIN_PX:
            self._ticks(painter, px, grid.beats, start, end, box.bottom() - box.height() * 0.45,
                        box.bottom(), theme.BEAT)
        self._ticks(painter, px, grid.downbeats, start, end, box.top() + 2, box.bottom(), theme.DOWNBEAT)

    def _ticks(self, painter, px, times, start, end, y0, y1, colour) -> None:
        shown = px.xs(times[self.visible(times, start, end)])
        painter.setPen(QPen(colour, 1))
        painter.drawLines([QLineF(x, y0, x, y1) for x in shown])


class SectionLane(Lane):
    """Coloured bands, one per section, labelled when there is room."""

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        analysis = self.data.analysis
        if analysis is None:
            return
        painter.setFont(theme.font(10, bold=True))
        metrics = QFontMetrics(painter.font())
        for sec in analysis.sections:
            if sec.end < start or sec.start > end:
                continue
            rect = QRectF(px.x(sec.start), box.top() + 1, px.x(sec.end) - px.x(sec.start) - 1,
                          box.height() - 2)
            painter.fillRect(rect, theme.SECTION_COLOURS.get(sec.label, theme.SECTION_OTHER))
            room = sticky(rect, box).adjusted(4, 0, -4, 0)  # the label stays in view while scrolling
            label = metrics.elidedText(sec.label.upper(), Qt.TextElideMode.ElideRight, int(room.width()))
            if room.width() > 12 and label:
                painter.setPen(theme.TEXT)
                painter.drawText(room, Qt.AlignmentFlag.AlignVCenter, label)


class EnergyLane(Lane):
    """The per-beat energy as a filled curve (0 at the bottom, the loudest beat at the top)."""

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        grid = self.data.grid
        n = len(grid.energy)
        if n < 2:
            return
        shown = self.visible(grid.beats[:n], start, end)
        x = px.xs(grid.beats[:n][shown])
        y = box.bottom() - 1 - grid.energy[shown] * (box.height() - 4)
        if len(x) < 2:
            return
        area = arrayToQPolygonF(np.concatenate([[x[0]], x, [x[-1]]]),
                                np.concatenate([[box.bottom()], y, [box.bottom()]]))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.translucent(theme.ENERGY, 70))
        painter.drawPolygon(area)
        painter.setPen(QPen(theme.ENERGY, 1.2))
        painter.drawPolyline(arrayToQPolygonF(x, y))


class LyricsLane(Lane):
    """Each word at its start time; a word that would overlap the previous one is left out."""

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        grid = self.data.grid
        if not grid.words:
            return
        painter.setFont(theme.font(11))
        metrics = QFontMetrics(painter.font())
        # from the view's left edge, not the exposed strip's, so partial repaints skip the same words
        shown = self.visible(grid.word_starts, px.seconds(box.left() - TEXT_MARGIN_PX), end, pad=0)
        y = box.center().y()
        free_from = -1e9
        for i in range(shown.start, shown.stop):
            x = px.x(grid.word_starts[i])
            if x < free_from:
                continue
            width = metrics.horizontalAdvance(grid.words[i])
            painter.setPen(theme.TEXT_DIM)
            painter.drawLine(QLineF(x, box.top() + 3, x, box.bottom() - 3))
            painter.setPen(theme.TEXT)
            painter.drawText(QPointF(x + 3, y + metrics.ascent() / 2 - 1), grid.words[i])
            free_from = x + width + 10
