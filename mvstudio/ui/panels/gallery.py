"""The stills gallery (the Plan panel's "Stills" tab): every clip's current still as a tile.

A tile shows the still (decoded off the GUI thread by ``ThumbnailCache``), the clip's number and
start time, "yours" on the user's own picture, and whether the still is fresh, stale or missing.
Clicking a tile selects its clip; its menu (right-click or ⋯) regenerates the clip, replaces the
still with a picture of the user's or goes back to the generated one, and dropping a picture file
on a tile replaces that clip's still.  The gallery never changes the project: it emits signals
that ``MainWindow`` turns into undoable edits and runs.

Tiles are drawn from ``TileInfo`` values, so scene and character references can join the clips'
stills later as tiles of the same kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QLabel, QMenu, QToolButton,
                               QVBoxLayout, QWidget)

from mvstudio.engine.edits import restore_generated_still
from mvstudio.engine.generation.photos import PHOTO_EXTENSIONS
from mvstudio.engine.model import ClipScript, Project
from mvstudio.engine.timebase import timecode
from mvstudio.ui.panels.fitting import FlowLayout, dim_label, vertical_scroll
from mvstudio.ui.thumbnails import ThumbnailCache
from mvstudio.ui.timeline import theme

IMAGE_SIZE = QSize(140, 79)  # 16:9; two tiles side by side in a 340-pixel dock
STATE_COLOURS = {"fresh": theme.STATE_COLOURS["fresh"][1], "stale": theme.STATE_COLOURS["stale"][1],
                 "missing": theme.STATE_UNKNOWN[1]}
PICTURE_FILTER = (f"Pictures ({' '.join('*' + e for e in sorted(PHOTO_EXTENSIONS))});;"
                  "All files (*)")
HINT = ("Each clip animates its still. Drop a picture of yours on a tile to use it instead; "
        "right-click a tile to regenerate it or choose a picture.")
REFERENCES_HINT = ("Scene and character reference images will appear here once cloud models "
                   "make them.")

PickPicture = Callable[[QWidget], Optional[Path]]


def pick_picture_dialog(parent: QWidget) -> Optional[Path]:
    path, _ = QFileDialog.getOpenFileName(parent, "Choose a picture", "", PICTURE_FILTER)
    return Path(path) if path else None


def dropped_picture(mime: QMimeData) -> Optional[Path]:
    """The first local picture file among the dragged ``mime`` data's urls, if any."""
    for url in mime.urls():
        path = Path(url.toLocalFile())
        if url.isLocalFile() and path.suffix.lower() in PHOTO_EXTENSIONS:
            return path
    return None


@dataclass(frozen=True)
class TileInfo:
    key: str  # the owner: a clip id (later also scene and character ids)
    number: int
    title: str
    media: str  # the picture shown ("": none yet)
    state: str  # "fresh" | "stale" | "missing"
    yours: bool = False


def clip_tiles(project: Project, image_hash: Callable[[ClipScript], str]) -> list[TileInfo]:
    """A tile per clip: its fresh still, else the user's picture as given, else the latest still
    made (stale), else none (missing)."""
    tiles = []
    for number, clip in enumerate(project.plan.clips, 1):
        fresh = project.fresh_asset(clip.id, "image", image_hash(clip))
        latest = project.latest_asset(clip.id, "image")
        media = fresh.media if fresh else clip.image_path or (latest.media if latest else "")
        state = "fresh" if fresh else "stale" if media else "missing"
        title = f"{number} · {timecode(clip.start_frame, project.fps)}"
        tiles.append(TileInfo(clip.id, number, title, media, state, bool(clip.image_path)))
    return tiles


class StillTile(QFrame):
    """One still: click to select, menu to regenerate / replace / restore, drop to replace."""

    def __init__(self, gallery: "StillsGallery", info: TileInfo):
        super().__init__()
        self.gallery, self.info = gallery, info
        self.setObjectName("still-tile")
        self.setAcceptDrops(True)
        self.setCursor(Qt.PointingHandCursor)
        self.image = QLabel(alignment=Qt.AlignCenter)
        self.image.setFixedSize(IMAGE_SIZE)
        self.title = QLabel()
        self.state = QLabel()
        self.badge = QLabel("yours")
        self.badge.setStyleSheet(f"background: {theme.ACCENT.name()}; color: #0b0c10; "
                                 "border-radius: 3px; padding: 0 4px; font-weight: bold;")
        self.menu_button = QToolButton(text="⋯", toolTip="Regenerate, replace or restore")
        self.menu_button.setAutoRaise(True)
        self.menu_button.clicked.connect(lambda: self.menu().exec(
            self.menu_button.mapToGlobal(self.menu_button.rect().bottomLeft())))
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.menu_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.state, 1)
        bottom.addWidget(self.badge)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.image)
        layout.addLayout(top)
        layout.addLayout(bottom)
        self._hovered = self._selected = False
        self._pixmap_key: Optional[int] = None
        self._restyle()
        self.show_info(info, None)

    def show_info(self, info: TileInfo, pixmap: Optional[QPixmap]) -> None:
        self.info = info
        self.title.setText(f"<b>{info.title}</b>")
        self.state.setText(f"<span style='color:{STATE_COLOURS[info.state].name()}'>●</span> "
                           f"{info.state}")
        self.badge.setVisible(info.yours)
        self.setToolTip(f"Clip {info.number}: click to select it; drop a picture here to use it "
                        "as this clip's still")
        self.set_pixmap(pixmap)

    def set_pixmap(self, pixmap: Optional[QPixmap]) -> None:
        key = pixmap.cacheKey() if pixmap is not None else None
        if key == self._pixmap_key and key is not None:
            return  # a refresh with the same picture: nothing to scale again
        self._pixmap_key = key
        if pixmap is None:
            self.image.setText("no still yet" if not self.info.media else "loading…")
            return
        self.image.setPixmap(pixmap.scaled(IMAGE_SIZE, Qt.KeepAspectRatio, Qt.SmoothTransformation))

    def set_selected(self, selected: bool) -> None:
        self._selected = selected
        self._restyle()

    def _restyle(self) -> None:
        border = theme.ACCENT if self._hovered or self._selected else theme.GRID
        width = 2 if self._hovered or self._selected else 1
        self.setStyleSheet(f"QFrame#still-tile {{ background: {theme.LANE.name()}; "
                           f"border: {width}px solid {border.name()}; border-radius: 4px; }}")

    def menu(self) -> QMenu:
        """Regenerate, Replace…, Use generated (only for the user's picture)."""
        key, number = self.info.key, self.info.number
        menu = QMenu(self)
        menu.addAction(f"Regenerate clip {number} (new seed: remakes its still and video)",
                       lambda: self.gallery.regenerate_requested.emit(key))
        menu.addAction("Replace with a picture of yours…", lambda: self.gallery.replace(key))
        restore = menu.addAction("Use the generated still",
                                 lambda: self.gallery.edit_requested.emit(
                                     lambda p: restore_generated_still(p, key)))
        restore.setEnabled(self.info.yours)
        return menu

    # ------------------------------------------------------------------ mouse and drops

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.LeftButton:
            self.gallery.clip_clicked.emit(self.info.key)
        super().mousePressEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        self.menu().exec(event.globalPos())

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if dropped_picture(event.mimeData()) is not None:
            event.acceptProposedAction()
            self._hover(True)

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._hover(False)

    def dropEvent(self, event) -> None:  # noqa: N802
        self._hover(False)
        picture = dropped_picture(event.mimeData())
        if picture is not None:
            event.acceptProposedAction()
            self.gallery.replace_requested.emit(self.info.key, str(picture))

    def _hover(self, on: bool) -> None:
        self._hovered = on
        self._restyle()


class StillsGallery(QWidget):
    """The tiles of the clips' stills; refreshed only while it is on screen."""

    clip_clicked = Signal(str)
    regenerate_requested = Signal(str)
    replace_requested = Signal(str, str)  # clip id, path of the user's picture
    edit_requested = Signal(object)  # builder: Callable[[Project], Edit]

    def __init__(self, parent=None, pick_picture: PickPicture = pick_picture_dialog):
        super().__init__(parent)
        self.pick_picture = pick_picture
        self.tiles: dict[str, StillTile] = {}
        self._source: Optional[tuple[Project, Callable[[str], Path], Callable]] = None
        self._selected: Optional[str] = None
        self._outdated = False
        self._thumbs = ThumbnailCache(self)
        self._thumbs.ready.connect(self._thumbnail_ready)
        self.empty = dim_label("No stills yet: run Generate (Ctrl+3) to make one per clip.")
        self.flow = FlowLayout(spacing=6)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(dim_label(HINT))
        layout.addWidget(self.empty)
        layout.addLayout(self.flow)
        layout.addWidget(dim_label(REFERENCES_HINT))
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(vertical_scroll(body))

    def show_stills(self, project: Optional[Project], media_path: Callable[[str], Path] = None,
                    image_hash: Callable[[ClipScript], str] = None) -> None:
        """Show ``project``'s stills (``media_path`` finds a media file, ``image_hash`` tells a
        fresh still), now if the gallery is on screen, else when it is shown."""
        if self._source is None or project is not self._source[0]:
            self._thumbs.clear()
        has_plan = project is not None and project.plan is not None
        self._source = (project, media_path, image_hash) if has_plan else None
        self._outdated = True
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        self._outdated = False
        tiles = clip_tiles(self._source[0], self._source[2]) if self._source else []
        if [t.key for t in tiles] != list(self.tiles):
            for tile in self.tiles.values():
                self.flow.removeWidget(tile)
                tile.deleteLater()
            self.tiles = {t.key: StillTile(self, t) for t in tiles}
            for tile in self.tiles.values():
                self.flow.addWidget(tile)
                tile.set_selected(tile.info.key == self._selected)
        for info in tiles:
            self.tiles[info.key].show_info(info, self._thumbnail(info))
        self.empty.setVisible(not any(t.media for t in tiles))

    def set_selected(self, clip_id: Optional[str]) -> None:
        self._selected = clip_id
        for key, tile in self.tiles.items():
            tile.set_selected(key == clip_id)

    def replace(self, clip_id: str) -> None:
        """Ask for a picture (file dialog) and request it as ``clip_id``'s still."""
        picture = self.pick_picture(self)
        if picture is not None:
            self.replace_requested.emit(clip_id, str(picture))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._outdated:
            self.refresh()

    def _thumbnail(self, info: TileInfo) -> Optional[QPixmap]:
        if not info.media:
            return None
        media_path = self._source[1]
        return self._thumbs.get(info.key, info.media, lambda: media_path(info.media))

    def _thumbnail_ready(self, key: str) -> None:
        tile = self.tiles.get(key)
        if tile is not None and self._source is not None:
            tile.set_pixmap(self._thumbnail(tile.info))
