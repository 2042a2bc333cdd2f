"""The photo browser (the Photos dock): a project's photo library, which photo each clip uses and
why, and the controls of photo mode.

Top: add a folder (or drop folders and pictures anywhere on the browser), the scene template, the
order, pairs; Choose Again, Lock Choices and Rank with Vision.  Then a tile per clip: its photo
(and, in pair mode, its last frame), its scene, the score and reason of the choice ("your choice"
after a swap, a lock when locked); drop a photo from the library (or any picture file) on a clip's
photo or last frame to swap it.  Below, the library: every photo, with the clips that use it, its
near-duplicates and what is wrong with it; right-click to exclude it or let it back in.

The browser never changes the project: it emits requests that ``ui.photo_actions`` turns into
undoable edits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QMimeData, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDrag, QPainter, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFrame, QHBoxLayout, QLabel,
                               QMenu, QPushButton, QVBoxLayout, QWidget)

from mvstudio.engine.model import Project
from mvstudio.engine.photos.library import Library
from mvstudio.engine.photos.mode import chosen, photo_mode, photo_of
from mvstudio.engine.photos.selection import rate
from mvstudio.engine.photos.templates import scene_templates
from mvstudio.ui.panels.fitting import FlowLayout, dim_label, vertical_scroll
from mvstudio.ui.panels.gallery import dropped_picture
from mvstudio.ui.thumbnails import ThumbnailCache
from mvstudio.ui.timeline import theme

CLIP_IMAGE = QSize(128, 72)
LAST_IMAGE = QSize(64, 36)
LIBRARY_IMAGE = QSize(96, 64)
ORDERS = (("given", "In the library's order"), ("time", "By time taken"))
EMPTY = ("Make a video from your photos: drop a folder of photos here or press Add Folder. "
         "The best are chosen for each clip: sharp, well exposed, never two near-duplicates.")


@dataclass(frozen=True)
class ClipRow:
    clip_id: str
    number: int
    scene: str
    first: str  # media name ("" none)
    last: str
    first_thumb: str  # a file to show
    last_thumb: str
    why: str  # score and reason, or "your choice"
    locked: bool


@dataclass(frozen=True)
class PhotoRow:
    hash: str
    name: str
    thumb: str
    clips: tuple[int, ...]  # clip numbers that show it
    excluded: bool
    twins: int  # other photos in its near-duplicate group
    note: str  # what is good or wrong with it
    flagged: bool  # blurry or badly exposed: chosen last


def clip_rows(project: Project, library: Optional[Library],
              media_path: Callable[[str], Path]) -> list[ClipRow]:
    photos = library.by_hash() if library else {}
    scenes = {s.id: s.name for s in project.plan.scenes} if project.plan else {}

    def thumb(name: str) -> str:
        found = photos.get(photo_of(name))
        return found.thumb if found else (str(media_path(name)) if name else "")

    rows = []
    for number, clip in enumerate(project.plan.clips if project.plan else [], 1):
        choice = chosen(project, clip)
        why = f"{choice.score:.2f} · {choice.reason}" if choice else \
            "your choice" if clip.image_path else "no photo yet"
        rows.append(ClipRow(clip.id, number, scenes.get(clip.scenes[0], "") if clip.scenes else "",
                            clip.image_path, clip.last_image_path, thumb(clip.image_path),
                            thumb(clip.last_image_path), why, clip.locked))
    return rows


def photo_rows(project: Project, library: Library) -> list[PhotoRow]:
    mode = photo_mode(project)
    excluded = set(mode.excluded if mode else ())
    used: dict[str, list[int]] = {}
    for number, clip in enumerate(project.plan.clips if project.plan else [], 1):
        for name in {clip.image_path, clip.last_image_path} - {""}:
            used.setdefault(photo_of(name), []).append(number)
    groups = Counter(p.group for p in library.photos)
    rated = rate(library, project.width, project.height)
    return [PhotoRow(p.hash, p.name, p.thumb, tuple(used.get(p.hash, ())), p.hash in excluded,
                     groups[p.group] - 1, rated[p.hash].reason(), bool(rated[p.hash].flags))
            for p in library.photos]


class DropImage(QLabel):
    """A picture that a photo (or any picture file) can be dropped on."""

    dropped = Signal(str)

    def __init__(self, size: QSize, tip: str):
        super().__init__(alignment=Qt.AlignCenter)
        self.setFixedSize(size)
        self.setAcceptDrops(True)
        self.setToolTip(tip)
        self.setStyleSheet(f"background: {theme.GRID.name()}; border-radius: 3px;")

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if dropped_picture(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        picture = dropped_picture(event.mimeData())
        if picture is not None:
            event.acceptProposedAction()
            self.dropped.emit(str(picture))


class ClipPhotoTile(QFrame):
    def __init__(self, browser: "PhotoBrowser", row: ClipRow):
        super().__init__()
        self.browser, self.row = browser, row
        self.setObjectName("clip-photo")
        self.setStyleSheet(f"QFrame#clip-photo {{ background: {theme.LANE.name()}; "
                           f"border: 1px solid {theme.GRID.name()}; border-radius: 4px; }}")
        self.first_view = DropImage(CLIP_IMAGE, "Drop a photo here to use it for this clip")
        self.last_view = DropImage(LAST_IMAGE, "Drop a photo here: the clip moves to it")
        self.first_view.dropped.connect(lambda p: browser.swap_requested.emit(self.row.clip_id,
                                                                             p, False))
        self.last_view.dropped.connect(lambda p: browser.swap_requested.emit(self.row.clip_id,
                                                                            p, True))
        self.title, self.why = QLabel(wordWrap=True), QLabel(wordWrap=True)
        self.why.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
        side = QVBoxLayout()
        side.addWidget(self.title)
        side.addWidget(self.last_view)
        side.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.first_view)
        top.addLayout(side, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.why)

    def show_row(self, row: ClipRow, pairs: bool) -> None:
        self.row = row
        lock = " 🔒" if row.locked else ""
        self.title.setText(f"<b>{row.number}</b> {row.scene}{lock}")
        self.why.setText(row.why)
        self.last_view.setVisible(pairs or bool(row.last))
        for view, thumb, key in ((self.first_view, row.first_thumb, "first"),
                                 (self.last_view, row.last_thumb, "last")):
            self.browser.show_thumb(view, f"{row.clip_id}:{key}", thumb)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.LeftButton:
            self.browser.clip_clicked.emit(self.row.clip_id)
        super().mousePressEvent(event)


class LibraryTile(QFrame):
    """One photo of the library: drag it onto a clip; right-click to exclude it."""

    def __init__(self, browser: "PhotoBrowser", row: PhotoRow):
        super().__init__()
        self.browser, self.row = browser, row
        self.setObjectName("library-photo")
        self.image = QLabel(alignment=Qt.AlignCenter)
        self.image.setFixedSize(LIBRARY_IMAGE)
        self.badge = QLabel(alignment=Qt.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        layout.addWidget(self.image)
        layout.addWidget(self.badge)
        self._press = None

    def show_row(self, row: PhotoRow) -> None:
        self.row = row
        badge = "excluded" if row.excluded else \
            ("clip " + ",".join(map(str, row.clips))) if row.clips else \
            row.note if row.flagged else ""
        twins = f" · {row.twins} alike" if row.twins else ""
        self.setToolTip(f"{row.name}: {row.note}{twins}. Drag it onto a clip; right-click to "
                        + ("include it again" if row.excluded else "exclude it"))
        colour = theme.ACCENT if row.clips else theme.GRID
        self.setStyleSheet(f"QFrame#library-photo {{ border: 2px solid {colour.name()}; "
                           "border-radius: 3px; }")
        self.badge.setStyleSheet("color: #e07070;" if row.excluded else
                                 f"color: {theme.TEXT_DIM.name()};" if not row.clips else "")
        self.badge.setText(badge or " ")
        self.browser.show_thumb(self.image, row.hash, row.thumb, dim=row.excluded)

    def menu(self) -> QMenu:
        menu = QMenu(self)
        text = "Include in the video again" if self.row.excluded else "Exclude from the video"
        menu.addAction(text, lambda: self.browser.exclude_requested.emit(self.row.hash,
                                                                         not self.row.excluded))
        return menu

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.menu().exec(event.globalPos())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._press = event.position().toPoint() if event.button() == Qt.LeftButton else None

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._press is None or (event.position().toPoint() - self._press).manhattanLength() < 8:
            return
        self._press = None
        drag = QDrag(self)
        drag.setMimeData(self.mime())
        if not self.image.pixmap().isNull():
            drag.setPixmap(self.image.pixmap().scaled(64, 48, Qt.KeepAspectRatio))
        drag.exec(Qt.CopyAction)

    def mime(self) -> QMimeData:
        """What a drag of this photo carries: the photo's file."""
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(self.browser.photo_path(self.row.hash))])
        return data


class PhotoBrowser(QWidget):
    add_requested = Signal(list)  # folders and picture files
    settings_changed = Signal(dict)  # template / order / pairs
    swap_requested = Signal(str, str, bool)  # clip id, picture path, the last frame?
    exclude_requested = Signal(str, bool)  # photo hash, excluded?
    choose_again_requested = Signal()
    lock_requested = Signal(bool)
    vision_requested = Signal()
    clip_clicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.clip_tiles: dict[str, ClipPhotoTile] = {}
        self.photo_tiles: dict[str, LibraryTile] = {}
        self._paths: dict[str, str] = {}
        self._thumbs = ThumbnailCache(self)
        self._thumbs.ready.connect(lambda key: self._draw(key) if key in self._shown else None)
        self._shown: dict[str, tuple[QLabel, str, bool]] = {}  # key -> (label, file, dim)
        self.add_button = QPushButton("Add Folder…")
        self.add_button.clicked.connect(self._pick_folder)
        self.template = QComboBox()
        self.template.addItem("No template", "")
        for key, template in scene_templates().items():
            self.template.addItem(template.name, key)
        self.order = QComboBox()
        for key, text in ORDERS:
            self.order.addItem(text, key)
        self.pairs = QCheckBox("Pairs", toolTip="A first and a last photo per clip")
        for box in (self.template, self.order):
            box.activated.connect(self._settings_changed)
        self.pairs.toggled.connect(self._settings_changed)
        self.choose_button = QPushButton("Choose Again")
        self.choose_button.clicked.connect(self.choose_again_requested)
        self.lock_button = QPushButton("Lock Choices")
        self.lock_button.clicked.connect(lambda: self.lock_requested.emit(
            self.lock_button.text().startswith("Lock")))
        self.vision_button = QPushButton("Rank with Vision…")
        self.vision_button.clicked.connect(self.vision_requested)
        self.status = dim_label(EMPTY)
        self.clip_flow, self.photo_flow = QVBoxLayout(), FlowLayout(spacing=4)
        self.clip_flow.setSpacing(6)
        controls = FlowLayout(spacing=4)  # wraps to the dock's width
        for w in (self.add_button, self.template, self.order, self.pairs, self.choose_button,
                  self.lock_button, self.vision_button):
            controls.addWidget(w)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(QLabel("<b>Clips</b>"))
        layout.addLayout(self.clip_flow)
        layout.addWidget(QLabel("<b>Library</b>"))
        layout.addLayout(self.photo_flow)
        layout.addSpacing(12)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(vertical_scroll(body))
        self.show_photos(None, None, Path)

    # ------------------------------------------------------------------ showing

    def show_photos(self, project: Optional[Project], library: Optional[Library],
                    media_path: Callable[[str], Path], status: str = "") -> None:
        """Show ``project``'s photo mode with ``library`` (None while it loads)."""
        mode = photo_mode(project) if project else None
        for widget in (self.template, self.order, self.pairs, self.choose_button,
                       self.lock_button, self.vision_button):
            widget.setEnabled(mode is not None)
        if mode is not None:
            self.template.setCurrentIndex(max(0, self.template.findData(mode.template)))
            self.order.setCurrentIndex(max(0, self.order.findData(mode.order)))
            self.pairs.blockSignals(True)
            self.pairs.setChecked(mode.pairs)
            self.pairs.blockSignals(False)
        clips = clip_rows(project, library, media_path) if mode and project.plan else []
        photos = photo_rows(project, library) if mode and library else []
        self._paths = {p.hash: p.path for p in library.photos} if library else {}
        shown = [r for r in clips if r.first]
        self.lock_button.setText("Unlock Choices" if shown and all(r.locked for r in shown)
                                 else "Lock Choices")
        self.status.setText(status or EMPTY)
        self._fill(self.clip_flow, self.clip_tiles, clips, lambda r: r.clip_id,
                   lambda r: ClipPhotoTile(self, r))
        for row in clips:
            self.clip_tiles[row.clip_id].show_row(row, bool(mode and mode.pairs))
        self._fill(self.photo_flow, self.photo_tiles, photos, lambda r: r.hash,
                   lambda r: LibraryTile(self, r))
        for row in photos:
            self.photo_tiles[row.hash].show_row(row)

    def _fill(self, flow, tiles: dict, rows: list, key, make) -> None:
        if [key(r) for r in rows] == list(tiles):
            return
        for tile in tiles.values():
            flow.removeWidget(tile)
            tile.deleteLater()
        tiles.clear()
        for row in rows:
            tiles[key(row)] = make(row)
            flow.addWidget(tiles[key(row)])

    def show_thumb(self, label: QLabel, key: str, path: str, dim: bool = False) -> None:
        self._shown[key] = (label, path, dim)
        self._draw(key)

    def _draw(self, key: str) -> None:
        label, path, dim = self._shown[key]
        pixmap = self._thumbs.get(key, path, lambda: Path(path)) if path else None
        if pixmap is None:
            label.setPixmap(QPixmap())
            return
        scaled = pixmap.scaled(label.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation)
        if dim:
            faded = QPixmap(scaled.size())
            faded.fill(Qt.transparent)
            painter = QPainter(faded)
            painter.setOpacity(0.3)
            painter.drawPixmap(0, 0, scaled)
            painter.end()
            scaled = faded
        label.setPixmap(scaled)

    def photo_path(self, photo_hash: str) -> str:
        return self._paths.get(photo_hash, "")

    # ------------------------------------------------------------------ requests

    def _settings_changed(self, *_args) -> None:
        self.settings_changed.emit({"template": self.template.currentData(),
                                    "order": self.order.currentData(),
                                    "pairs": self.pairs.isChecked()})

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos")
        if folder:
            self.add_requested.emit([folder])

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not isinstance(event.source(), LibraryTile) and \
                any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_requested.emit(paths)
