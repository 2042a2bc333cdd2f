"""The section lane, editable: drag the boundary between two sections (a snapped preview, one drop
signal on release) and right-click a section for its labels.

Like the clip lane it never changes the project: it reports what the user did, and the preview
comes from the engine's ``preview_section_boundary``, so the drop lands where the preview showed.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QPainter

from mvstudio.engine.edits import EditError, preview_section_boundary
from mvstudio.engine.snapping import SnapGrid, Snapper
from mvstudio.engine.timebase import timecode, to_frame
from mvstudio.ui.timeline.lane import PixelMap, drag_marker
from mvstudio.ui.timeline.lanes import SectionLane

HIT_PX = 6  # how close to a boundary the mouse must be to grab it


class SectionEditLane(SectionLane):
    boundary_dropped = Signal(int, float, bool)  # section index, seconds dragged to, Shift held
    menu_requested = Signal(int, QPoint)  # section index, global position

    def __init__(self, data) -> None:
        super().__init__(data)
        self._drag: Optional[tuple[int, Snapper]] = None  # section index and its snapper
        self.preview: Optional[tuple[int, float]] = None  # (section index, seconds) while dragging

    def bands(self) -> list[tuple[str, float, float]]:
        bands = super().bands()
        if self.preview is not None:
            i, seconds = self.preview
            bands[i - 1] = (bands[i - 1][0], bands[i - 1][1], seconds)
            bands[i] = (bands[i][0], seconds, bands[i][2])
        return bands

    def boundary_near(self, seconds: float) -> Optional[int]:
        """Index of the section whose start is within ``HIT_PX`` of ``seconds``, if any."""
        analysis = self.data.analysis
        reach = HIT_PX * self.seconds_per_pixel()
        starts = [(abs(s.start - seconds), i) for i, s in
                  enumerate(analysis.sections if analysis else []) if i]
        distance, index = min(starts, default=(reach + 1, None))
        return index if distance <= reach else None

    def draw(self, painter: QPainter, px: PixelMap, box: QRectF, start: float, end: float) -> None:
        super().draw(painter, px, box, start, end)
        if self.preview is None:
            return
        x = px.x(self.preview[1])

        def left_of_line(width: float, _metrics) -> QRectF:  # the next section's label stays seen
            left = x - 4 - width if x - 4 - width >= box.left() else x + 4
            return QRectF(left, box.top() + 2, width, box.height() - 4)

        drag_marker(painter, x, box, timecode(to_frame(self.preview[1], self.data.fps),
                                              self.data.fps), left_of_line)

    # ------------------------------------------------------------------ mouse (pyqtgraph hooks)

    def hoverEvent(self, ev) -> None:  # noqa: N802
        if not ev.isExit() and self.boundary_near(ev.pos().x()) is not None:
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self._drag is None:
            self.unsetCursor()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802
        analysis = self.data.analysis
        section = analysis.section_at(ev.pos().x()) if analysis else None
        if ev.button() == Qt.MouseButton.RightButton and section is not None:
            ev.accept()
            self.menu_requested.emit(analysis.sections.index(section), ev.screenPos().toPoint())

    def mouseDragEvent(self, ev) -> None:  # noqa: N802
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            index = self.boundary_near(ev.buttonDownPos().x())
            grid = SnapGrid.from_analysis(self.data.analysis) if index else SnapGrid()
            self._drag = (index, Snapper(grid, set(self.data.snap_enabled))) if index else None
        override = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        seconds = self._inside(ev.pos().x())
        shown = self._previewed(seconds, override)
        if shown is None:
            self._drag = None  # not on a boundary (the view pans), or the sections changed
            ev.ignore()
            return
        ev.accept()
        index = self._drag[0]
        self.preview = None if ev.isFinish() else (index, shown)
        self.update()
        if ev.isFinish():
            self._drag = None
            self.unsetCursor()
            self.boundary_dropped.emit(index, seconds, override)

    def _inside(self, seconds: float) -> float:
        """``seconds`` kept strictly between the dragged boundary's neighbours."""
        sections = self.data.analysis.sections if self.data.analysis else []
        if self._drag is None or self._drag[0] >= len(sections):
            return seconds
        index = self._drag[0]
        return min(max(seconds, sections[index - 1].start + 1e-3), sections[index].end - 1e-3)

    def _previewed(self, seconds: float, override: bool) -> Optional[float]:
        if self._drag is None or self.data.project is None:
            return None
        index, snapper = self._drag
        try:
            return preview_section_boundary(self.data.project, index, seconds, snapper, override)
        except EditError:
            return None
