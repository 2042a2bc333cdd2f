"""The centre of the studio: the player above the timeline of the open project."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from mvstudio.engine.snapping import SNAP_KINDS, SnapGrid, Snapper
from mvstudio.engine.timebase import DEFAULT_FPS
from mvstudio.ui.document import ProjectDocument
from mvstudio.ui.player import PlayerWidget
from mvstudio.ui.thumbnails import ThumbnailCache
from mvstudio.ui.timeline import TimelineView
from mvstudio.ui.transport import Marks, Transport


class StudioView(QWidget):
    clip_selected = Signal(str)
    cut_moved = Signal(int, int, bool)  # cut index, frame, snapping overridden

    def __init__(self, parent=None):
        super().__init__(parent)
        self.document: Optional[ProjectDocument] = None
        self._snap_on = True
        self._shown: tuple = (None, None)  # the (project, waveform) the timeline was given
        self._thumbs = ThumbnailCache(self)
        self._stills: dict = {}  # clip id -> the still (asset) its video is made from now
        self._thumbs.ready.connect(self._thumbnail_ready)
        self.timeline = TimelineView(thumbnail_for=self._thumbnail)
        self.timeline.clip_selected.connect(self.clip_selected)
        self.timeline.cut_drag_finished.connect(self.cut_moved)
        self._build_player()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.player)
        self.splitter.addWidget(self.timeline)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def set_document(self, document: Optional[ProjectDocument]) -> None:
        self.document = document
        self._thumbs.clear()
        self.transport.pause()
        self.player.unload()
        self.refresh({})

    def refresh(self, states: dict[str, str], stills: Optional[dict] = None) -> None:
        """Show the project as it is: ``states`` per clip id, and the ``stills`` (assets) the
        clips are made from now (else each clip's newest still is shown)."""
        stills = stills or {}
        changed = {c for c in stills.keys() | self._stills.keys()
                   if _media(stills.get(c)) != _media(self._stills.get(c))}
        self._stills = stills
        if changed:
            self.timeline.lanes["clips"].forget_thumbnails(changed)
        project = self.document.project if self.document else None
        waveform = self._waveform()
        if project is not self._shown[0] or waveform is not self._shown[1]:  # new project or song
            self._shown = (project, waveform)
            self.timeline.set_project(project, waveform)
        self.timeline.set_clip_states(states)
        self.timeline.set_snap_enabled(set(SNAP_KINDS) if self._snap_on else set())
        self.timeline.refresh()
        self._refresh_player()

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
        asset = self._still_of(project, clip_id)
        if asset is None:
            return None
        store = self.document.store
        return self._thumbs.get(clip_id, asset.media, lambda: store.media.path(asset.media))

    def _thumbnail_ready(self, clip_id: str) -> None:
        lane = self.timeline.lanes["clips"]
        lane.forget_thumbnails({clip_id})
        lane.update()

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

    # ------------------------------------------------------------------ player and transport

    def _build_player(self) -> None:
        self.last_render: Callable[[], Optional[Path]] = lambda: None  # the window's runner output
        self.player = PlayerWidget()
        self.player.attach(self.timeline)
        self.player.still_for = self._still_at
        self.transport = Transport(self.player, self)
        self.transport.speed_changed.connect(self.player.show_speed)
        self.player.stopped.connect(self.transport.deck_stopped)
        self.player.play_clicked.connect(self.transport.toggle_play)

    def _refresh_player(self) -> None:
        project = self.document.project if self.document else None
        self.transport.set_marks(Marks.of(project))
        song = project.song if project else None
        self.player.show_project(project.fps if project else DEFAULT_FPS, self.preview_file(),
                                 self.document.store.media.path(song.media) if song else None,
                                 song.title if song else "")

    def _still_at(self, frame: int) -> Optional[Path]:
        """The still of the clip at ``frame`` (what the player shows while there is no render)."""
        project = self.document.project if self.document else None
        clips = project.plan.clips if project and project.plan else []
        clip = next((c for c in clips if c.start_frame <= frame < c.end_frame), None)
        asset = self._still_of(project, clip.id) if clip else None
        return self.document.store.media.path(asset.media) if asset else None

    def _still_of(self, project, clip_id: str):
        """The still shown for a clip: the current one (``refresh``), else its newest."""
        if project is None:
            return None
        return self._stills.get(clip_id) or project.latest_asset(clip_id, "image")

    def preview_file(self) -> Optional[Path]:
        """The project's preview render: the last render when it is in this project, else
        ``renders/preview.mp4`` (where ``RunController.preview_path`` puts it); None if absent."""
        if self.document is None:
            return None
        last = self.last_render()
        if last is not None and last.is_file() and last.is_relative_to(self.document.folder):
            return last
        default = self.document.folder / "renders" / "preview.mp4"
        return default if default.is_file() else None

    def play_selected_clip(self) -> bool:
        """Play the selected clip's own video from its start; False when it has none yet."""
        project = self.document.project if self.document else None
        clip_id = self.selected_clip()
        asset = project.latest_asset(clip_id, "clip") if project and clip_id else None
        if asset is None:
            return False
        clip = project.plan.clip(clip_id)
        self.player.show_clip(self.document.store.media.path(asset.media), clip.start_frame,
                              f"{project.plan.clips.index(clip) + 1} · its own timing")
        self.transport.play()
        return True


def _media(asset) -> str:
    return asset.media if asset is not None else ""
