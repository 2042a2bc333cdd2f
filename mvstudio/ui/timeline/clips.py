"""The clip lane: a block per clip (thumbnail, state colour, a failed clip hatched with a red edge,
selection), transition markers at the cuts (a red bar where the last render's sync audit found the
cut off, a chain link where a clip continues the shot before), click to select, drag a cut to move it (snapped preview, one drop signal on release),
right-click a cut or its marker for its transition's menu.

The lane never changes the plan: a drag only sets ``data.preview`` and reports frames, the menu
only reports the transition chosen.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QFontMetrics, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QMenu

from mvstudio.engine.model import ClipScript, Transition
from mvstudio.engine.snapping import SnapGrid, Snapper
from mvstudio.engine.timebase import timecode, to_frame
from mvstudio.ui.timeline import theme
from mvstudio.ui.timeline.lane import Lane, PixelMap, drag_marker, sticky
from mvstudio.ui.transitions import cut_frame, transition_menu

ThumbnailSource = Callable[[str], Optional[QPixmap]]

HIT_PX = 6  # how close to a cut the mouse must be to grab it
MARKER_MIN_PX = 10  # a transition marker is never drawn narrower than this
LINK_PX = 12  # width of each ring of the chain link drawn where a shot continues over a cut
FADES = ("fade", "fadeblack", "fadewhite")


class ClipLane(Lane):
    clicked = Signal(str)  # clip id
    cut_moved = Signal(int, int)  # cut index, snapped frame
    cut_dropped = Signal(int, int, bool)  # cut index, frame, snapping overridden
    transition_chosen = Signal(str, str, int)  # transition id, kind, frames (from the menu)

    def __init__(self, data, thumbnail_for: Optional[ThumbnailSource] = None) -> None:
        super().__init__(data)
        self.thumbnail_for = thumbnail_for
        self._thumbs: dict[tuple[str, int], Optional[QPixmap]] = {}
        self._drag: Optional[tuple[int, Snapper]] = None  # cut index and its snapper
        self.menu: Optional[QMenu] = None  # the transition menu last opened

    def forget_thumbnails(self, clip_ids=None) -> None:
        """Drop cached thumbnails (of ``clip_ids``, or all) so the source is asked again."""
        self._thumbs = {k: v for k, v in self._thumbs.items()
                        if clip_ids is not None and k[0] not in clip_ids}

    # ------------------------------------------------------------------ geometry

    def bounds(self) -> list[tuple[int, int]]:
        """Each clip's (start, end) frame, with the dragged cut at its previewed frame."""
        plan = self.data.plan
        spans = [(c.start_frame, c.end_frame) for c in plan.clips] if plan else []
        if self.data.preview is not None:
            cut, frame = self.data.preview
            spans[cut] = (spans[cut][0], frame)
            spans[cut + 1] = (frame, spans[cut + 1][1])
        return spans

    def cut_near(self, seconds: float) -> Optional[int]:
        """Index of the cut within ``HIT_PX`` of ``seconds`` (the nearest one), if any."""
        fps, reach = self.data.fps, HIT_PX * self.seconds_per_pixel()
        cuts = [(abs(start / fps - seconds), i) for i, (start, _) in enumerate(self.bounds()[1:])]
        near = min(cuts, default=(reach + 1, None))
        return near[1] if near[0] <= reach else None

    def transition_near(self, seconds: float) -> Optional[Transition]:
        """The transition whose cut is within ``HIT_PX`` of ``seconds``, or whose marker is there."""
        plan = self.data.plan
        if plan is None or not plan.clips:
            return None
        fps, reach = self.data.fps, HIT_PX * self.seconds_per_pixel()
        hits = []
        for t in plan.transitions:
            at = cut_frame(self.data.project, t) / fps
            marker = max(t.duration_frames / fps, MARKER_MIN_PX * self.seconds_per_pixel())
            half = marker if t.from_clip is None or t.to_clip is None else marker / 2
            if abs(at - seconds) <= max(reach, half if t.duration_frames else 0.0):
                hits.append((abs(at - seconds), t.id, t))
        return min(hits)[2] if hits else None

    def clip_at(self, seconds: float) -> Optional[ClipScript]:
        plan, frame = self.data.plan, seconds * self.data.fps
        return next((c for c in (plan.clips if plan else []) if c.start_frame <= frame < c.end_frame),
                    None)

    # ------------------------------------------------------------------ painting

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        plan = self.data.plan
        if plan is None:
            return
        fps = self.data.fps
        spans = self.bounds()
        painter.setFont(theme.font(10))
        for i, (clip, (f0, f1)) in enumerate(zip(plan.clips, spans)):
            if f1 / fps >= start and f0 / fps <= end:
                x0, x1 = px.x(f0 / fps), px.x(f1 / fps)
                rect = QRectF(x0 + 1, box.top() + 3, x1 - x0 - 2, box.height() - 6)
                self._block(painter, rect, sticky(rect, box), i, clip)
        transitions = {(t.from_clip, t.to_clip): t for t in plan.transitions}
        ids = [None] + [c.id for c in plan.clips] + [None]
        edges = [0] + [f0 for f0, _ in spans[1:]] + [spans[-1][1] if spans else 0]
        continuing = {c.id for c in plan.clips[1:] if c.continues}
        for a, b, frame in zip(ids, ids[1:], edges):
            t = transitions.get((a, b))
            reach = (t.duration_frames / fps if t else 0.0) + MARKER_MIN_PX / px.scale  # marker width
            if (t is not None or (a and b)) and start - reach <= frame / fps <= end + reach:
                self._marker(painter, px.x(frame / fps), box, t, px.scale / fps)
                if b in continuing:
                    self._link(painter, px.x(frame / fps), box)
        for seconds in self.data.sync_problems:
            if start - 1 <= seconds <= end + 1:
                self._sync_marker(painter, px.x(seconds), box)
        if self.data.preview is not None:
            self._preview_label(painter, px, box)

    def _block(self, painter: QPainter, rect: QRectF, shown: QRectF, index: int, clip: ClipScript) -> None:
        state = self.data.clip_states.get(clip.id, "")
        fill, stripe = theme.STATE_COLOURS.get(state, theme.STATE_UNKNOWN)
        failed = state == "failed"
        painter.fillRect(rect, fill)
        if failed:  # hatched under the thumbnail and label, which stay readable
            hatch = QBrush(theme.translucent(stripe, 90), Qt.BrushStyle.BDiagPattern)
            painter.fillRect(rect, hatch)
        painter.fillRect(QRectF(rect.left(), rect.top(), rect.width(), 3), stripe)
        inner = shown.adjusted(3, 6, -3, -3)
        if inner.width() > 12:
            thumb = self._thumbnail(clip.id, int(inner.height()))
            if thumb is not None:
                width = min(thumb.width(), inner.width())
                painter.drawPixmap(QRectF(inner.left(), inner.top(), width, inner.height()), thumb,
                                   QRectF(0, 0, width, thumb.height()))
                inner.setLeft(inner.left() + width + 4)
            self._label(painter, inner, index, clip)
        selected = clip.id == self.data.selected
        edge = theme.ACCENT if selected else stripe if failed else theme.BACKGROUND
        painter.setPen(QPen(edge, 2 if selected or failed else 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))

    def _label(self, painter: QPainter, rect: QRectF, index: int, clip: ClipScript) -> None:
        if rect.width() < 14:
            return
        metrics = QFontMetrics(painter.font())
        painter.setPen(theme.TEXT)
        painter.drawText(QPointF(rect.left(), rect.top() + metrics.ascent()), str(index + 1))
        words = metrics.elidedText(clip.visual_description, Qt.TextElideMode.ElideRight, int(rect.width()))
        if words and len(words) > 3:
            painter.setPen(theme.TEXT_DIM)
            painter.drawText(QRectF(rect.left(), rect.top() + metrics.height(), rect.width(),
                                    rect.height() - metrics.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, words)

    def _thumbnail(self, clip_id: str, height: int) -> Optional[QPixmap]:
        key = (clip_id, height)
        if key not in self._thumbs:
            source = self.thumbnail_for(clip_id) if self.thumbnail_for else None
            self._thumbs[key] = (source.scaledToHeight(height, Qt.TransformationMode.SmoothTransformation)
                                 if source is not None and not source.isNull() else None)
        return self._thumbs[key]

    @staticmethod
    def _marker(painter: QPainter, x: float, box: QRectF, t: Optional[Transition],
                px_per_frame: float) -> None:
        """Hard cut: a bright bar.  Fade: a ramp to dark (a V between clips, a wedge at the song's
        ends).  Crossfade and the other blends: a bow tie as wide as the transition."""
        top, bottom = box.top() + 3, box.bottom() - 3
        if t is None or t.kind == "cut" or not t.duration_frames:
            if t is None or (t.from_clip and t.to_clip):
                painter.fillRect(QRectF(x - 1, top, 2, bottom - top), theme.DOWNBEAT)
            return
        width = max(t.duration_frames * px_per_frame, MARKER_MIN_PX)
        left, right = x - width / 2, x + width / 2
        if t.from_clip is None:
            corners = [(x, top), (x, bottom), (x + width, top)]
        elif t.to_clip is None:
            corners = [(x - width, top), (x, bottom), (x, top)]
        elif t.kind in FADES:
            corners = [(left, top), (x, bottom), (right, top)]
        else:
            corners = [(left, top), (right, bottom), (right, top), (left, bottom)]
        painter.setPen(QPen(theme.DOWNBEAT, 1))
        painter.setBrush(theme.translucent(theme.BACKGROUND, 170))
        painter.drawPolygon(QPolygonF([QPointF(cx, cy) for cx, cy in corners]))

    @staticmethod
    def _link(painter: QPainter, x: float, box: QRectF) -> None:
        """A clip continuing the shot before: a chain link across the cut."""
        middle = box.center().y()
        painter.setPen(QPen(theme.ACCENT, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for dx in (-LINK_PX * 0.7, LINK_PX * 0.7 - LINK_PX):
            painter.drawRoundedRect(QRectF(x + dx, middle - 4, LINK_PX, 8), 4, 4)

    @staticmethod
    def _sync_marker(painter: QPainter, x: float, box: QRectF) -> None:
        """A cut the render's sync audit found off: a red bar with a downward triangle on top."""
        painter.fillRect(QRectF(x - 1.5, box.top(), 3, box.height()), theme.SYNC_OFF)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.SYNC_OFF)
        painter.drawPolygon(QPolygonF([QPointF(x - 6, box.top()), QPointF(x + 6, box.top()),
                                       QPointF(x, box.top() + 9)]))

    def _preview_label(self, painter: QPainter, px: PixelMap, box: QRectF) -> None:
        _, frame = self.data.preview
        x = px.x(frame / self.data.fps)
        drag_marker(painter, x, box, timecode(frame, self.data.fps), lambda width, metrics: QRectF(
            x + 4, box.bottom() - metrics.height() - 4, width, metrics.height() + 2))

    # ------------------------------------------------------------------ mouse (pyqtgraph hooks)

    def hoverEvent(self, ev) -> None:  # noqa: N802
        if not ev.isExit() and self.cut_near(ev.pos().x()) is not None:
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self._drag is None:
            self.unsetCursor()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802
        if ev.button() == Qt.MouseButton.RightButton:
            t = self.transition_near(ev.pos().x())
            if t is not None:
                ev.accept()
                self.menu = transition_menu(self.data.project, t, self.transition_chosen.emit)
                self.menu.popup(ev.screenPos().toPoint())
            return
        clip = self.clip_at(ev.pos().x())
        if ev.button() == Qt.MouseButton.LeftButton and clip is not None:
            ev.accept()
            self.clicked.emit(clip.id)

    def mouseDragEvent(self, ev) -> None:  # noqa: N802
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            cut = self.cut_near(ev.buttonDownPos().x())
            if cut is None:
                ev.ignore()  # not on a cut: the view box pans instead
                return
            analysis = self.data.analysis
            grid = SnapGrid.from_analysis(analysis) if analysis else SnapGrid()
            self._drag = (cut, Snapper(grid, enabled=set(self.data.snap_enabled)))
        plan = self.data.plan
        if self._drag is None or plan is None or self._drag[0] + 1 >= len(plan.clips):
            self._drag = None  # no drag, or the plan changed under it
            ev.ignore()
            return
        ev.accept()
        cut, snapper = self._drag
        override = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        frame = self.drag_frame(cut, snapper, ev.pos().x(), override)
        if ev.isFinish():
            self._drag = None
            self.unsetCursor()
            self.cut_dropped.emit(cut, frame, override)
        elif self.data.preview != (cut, frame):
            self.cut_moved.emit(cut, frame)

    def drag_frame(self, cut: int, snapper: Snapper, seconds: float, override: bool) -> int:
        """Where cut ``cut`` lands for the mouse at ``seconds``: kept inside its two clips, snapped."""
        clips = self.data.plan.clips
        lo, hi = clips[cut].start_frame, clips[cut + 1].end_frame
        raw = min(max(to_frame(max(seconds, 0.0), self.data.fps), lo + 1), hi - 1)
        return snapper.snap(raw, override, within=(lo, hi)).frame
