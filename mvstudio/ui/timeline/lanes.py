"""The analysis lanes: waveform, beats, sections, energy and lyrics (read only)."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen
from pyqtgraph.functions import arrayToQPath, arrayToQPolygonF

from mvstudio.engine.timebase import timecode, to_frame
from mvstudio.ui.timeline import theme
from mvstudio.ui.timeline.lane import Lane, PixelMap, sticky

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
    """Beat ticks, downbeats taller and brighter; beats hide when packed closer than a few pixels.
    Stretches of low beat confidence lie under an amber band, explained by its tooltip."""

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        grid = self.data.grid
        for s0, s1 in grid.low_spans:
            if s1 >= start and s0 <= end:
                painter.fillRect(QRectF(px.x(s0), box.top(), max(px.x(s1) - px.x(s0), 2.0),
                                        box.height()), theme.LOW_CONFIDENCE)
        if grid.beat_spacing() * px.scale >= BEAT_MIN_PX:
            self._ticks(painter, px, grid.beats, start, end, box.bottom() - box.height() * 0.45,
                        box.bottom(), theme.BEAT)
        self._ticks(painter, px, grid.downbeats, start, end, box.top() + 2, box.bottom(), theme.DOWNBEAT)

    def _ticks(self, painter, px, times, start, end, y0, y1, colour) -> None:
        shown = px.xs(times[self.visible(times, start, end)])
        painter.setPen(QPen(colour, 1))
        painter.drawLines([QLineF(x, y0, x, y1) for x in shown])

    def low_span_at(self, seconds: float) -> Optional[tuple[float, float]]:
        return next(((a, b) for a, b in self.data.grid.low_spans if a <= seconds <= b), None)

    def hoverEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph hook
        span = None if ev.isExit() else self.low_span_at(ev.pos().x())
        fps = self.data.fps
        self.setToolTip("" if span is None else
                        f"Low beat confidence {timecode(to_frame(span[0], fps), fps)}–"
                        f"{timecode(to_frame(span[1], fps), fps)}: the music shows no clear beat "
                        "here, so beats and cuts may be off. Check by ear; correct the beat grid "
                        "if needed.")


class SectionLane(Lane):
    """Coloured bands, one per section, labelled when there is room."""

    def bands(self) -> list[tuple[str, float, float]]:
        """(label, start, end) of each section as drawn."""
        return [(s.label, s.start, s.end) for s in self.data.analysis.sections]

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        analysis = self.data.analysis
        if analysis is None:
            return
        painter.setFont(theme.font(10, bold=True))
        metrics = QFontMetrics(painter.font())
        for name, s0, s1 in self.bands():
            if s1 < start or s0 > end:
                continue
            rect = QRectF(px.x(s0), box.top() + 1, px.x(s1) - px.x(s0) - 1, box.height() - 2)
            painter.fillRect(rect, theme.SECTION_COLOURS.get(name, theme.SECTION_OTHER))
            room = sticky(rect, box).adjusted(4, 0, -4, 0)  # the label stays in view while scrolling
            label = metrics.elidedText(name.upper(), Qt.TextElideMode.ElideRight, int(room.width()))
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
    """A band under each lyric line: its words at their start times when they all fit, else the
    line's text in the band (elided).  Estimated timing (pasted, nothing heard) is in italics."""

    WORD_GAP_PX = 6

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        grid = self.data.grid
        if not grid.lines:
            return
        estimated = self.data.lyrics_estimated
        painter.setFont(theme.font(11, italic=estimated))
        metrics = QFontMetrics(painter.font())
        colour = theme.TEXT_DIM if estimated else theme.TEXT
        baseline = box.center().y() + metrics.ascent() / 2 - 1
        for row in grid.lines[int(np.searchsorted(grid.line_reach, start)):]:
            if row.start > end:
                break
            band = QRectF(px.x(row.start), box.top() + 2,
                          max(px.x(row.end) - px.x(row.start), 2.0), box.height() - 4)
            painter.fillRect(band, theme.LYRIC_BAND)
            if self.words_fit(row, px.scale, metrics):
                for t, word in zip(row.word_starts, row.words):
                    x = px.x(t)
                    painter.setPen(theme.TEXT_DIM)
                    painter.drawLine(QLineF(x, band.top() + 1, x, band.bottom() - 1))
                    painter.setPen(colour)
                    painter.drawText(QPointF(x + 3, baseline), word)
                continue
            room = sticky(band, box).adjusted(3, 0, -2, 0)
            text = metrics.elidedText(row.text, Qt.TextElideMode.ElideRight, int(room.width()))
            if room.width() > 12 and text:
                painter.setPen(colour)
                painter.drawText(room, Qt.AlignmentFlag.AlignVCenter, text)

    def words_fit(self, row, scale: float, metrics: QFontMetrics) -> bool:
        """Can every word of ``row`` stand at its start time at ``scale`` px/s without overlap?"""
        if not row.words:
            return False
        room = np.diff(np.asarray(row.word_starts, dtype=float)) * scale
        need = [metrics.horizontalAdvance(w) + 3 + self.WORD_GAP_PX for w in row.words[:-1]]
        return bool(np.all(room >= need))
