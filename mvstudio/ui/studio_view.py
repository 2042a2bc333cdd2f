"""The centre of the studio: the timeline of the open project (and, later, the player above it)."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QVBoxLayout, QWidget

from mvstudio.engine.snapping import SNAP_KINDS, SnapGrid, Snapper
from mvstudio.ui.document import ProjectDocument
from mvstudio.ui.timeline import TimelineView


class StudioView(QWidget):
    clip_selected = Signal(str)
    cut_moved = Signal(int, int, bool)  # cut index, frame, snapping overridden

    def __init__(self, parent=None):
        super().__init__(parent)
        self.document: Optional[ProjectDocument] = None
        self._snap_on = True
        self._thumbs: dict[str, tuple[str, QPixmap]] = {}
        self.timeline = TimelineView(thumbnail_for=self._thumbnail)
        self.timeline.clip_selected.connect(self.clip_selected)
        self.timeline.cut_drag_finished.connect(self.cut_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.timeline)

    def set_document(self, document: Optional[ProjectDocument]) -> None:
        self.document = document
        self._thumbs.clear()
        self.refresh({})

    def refresh(self, states: dict[str, str]) -> None:
        project = self.document.project if self.document else None
        self.timeline.set_project(project, self._waveform())
        self.timeline.set_clip_states(states)
        self.timeline.set_snap_enabled(set(SNAP_KINDS) if self._snap_on else set())
        self.timeline.refresh()

    def _waveform(self):
        """The song's peak envelope, computed once per song and cached on the document."""
        if self.document is None or self.document.project.song is None:
            return None
        from mvstudio.engine.waveform import envelope_for_file

        media = self.document.project.song.media
        cached = getattr(self.document, "_waveform", None)
        if cached is None or cached[0] != media:
            cached = (media, envelope_for_file(self.document.store.media.path(media)))
            self.document._waveform = cached
        return cached[1]

    def _thumbnail(self, clip_id: str) -> Optional[QPixmap]:
        project = self.document.project if self.document else None
        asset = project.latest_asset(clip_id, "image") if project else None
        if asset is None:
            return None
        cached = self._thumbs.get(clip_id)
        if cached is None or cached[0] != asset.media:
            pixmap = QPixmap(str(self.document.store.media.path(asset.media)))
            cached = (asset.media, pixmap.scaledToHeight(96) if not pixmap.isNull() else pixmap)
            self._thumbs[clip_id] = cached
        return cached[1]

    def snapper(self) -> Optional[Snapper]:
        project = self.document.project if self.document else None
        if project is None or project.analysis is None:
            return None
        return Snapper(SnapGrid.from_analysis(project.analysis),
                       enabled=set(SNAP_KINDS) if self._snap_on else set())

    def set_snap(self, on: bool) -> None:
        self._snap_on = on
        self.timeline.set_snap_enabled(set(SNAP_KINDS) if on else set())

    def playhead(self) -> int:
        return self.timeline.playhead()

    def selected_clip(self) -> Optional[str]:
        return self.timeline.selected_clip()

    def zoom(self, factor: float) -> None:
        start, end = self.timeline.visible_range()
        middle, half = (start + end) / 2, (end - start) * factor / 2
        self.timeline.zoom_to(max(0.0, middle - half), middle + half)

    def zoom_fit(self) -> None:
        project = self.document.project if self.document else None
        if project and project.song:
            self.timeline.zoom_to(0.0, project.song.duration)
