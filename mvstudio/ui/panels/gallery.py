"""The stills gallery (the Plan panel's "Stills" tab): every clip's current still as a tile.

A tile shows the still (decoded off the GUI thread by ``ThumbnailCache``), the clip's number and
start time, "yours" on the user's own picture, and whether the still is fresh, stale or missing.
Clicking a tile selects its clip; its menu (right-click or ⋯) regenerates the clip, replaces the
still with a picture of the user's or goes back to the generated one, and dropping a picture file
on a tile replaces that clip's still.  The gallery never changes the project: it emits signals
that ``MainWindow`` turns into undoable edits and runs.

Above the stills, a "References" group shows the scene and character references the stills are
made from (cloud image models with a reference input), with the same menu and drop; offline it
is one line saying why there are none.  Tiles are drawn from ``gallery_tiles.TileInfo`` values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPixmap
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QLabel, QMenu, QToolButton,
                               QVBoxLayout, QWidget)

from mvstudio.engine.edits import restore_generated_reference, restore_generated_still
from mvstudio.engine.generation.photos import PHOTO_EXTENSIONS
from mvstudio.engine.model import ClipScript, Project
from mvstudio.engine.references import References
from mvstudio.ui.panels.fitting import FlowLayout, dim_label, vertical_scroll
from mvstudio.ui.panels.gallery_tiles import TileInfo, clip_tiles, reference_tiles
from mvstudio.ui.thumbnails import ThumbnailCache
from mvstudio.ui.timeline import theme

IMAGE_SIZE = QSize(140, 79)  # 16:9; two tiles side by side in a 340-pixel dock
STATE_COLOURS = {"fresh": theme.STATE_COLOURS["fresh"][1], "stale": theme.STATE_COLOURS["stale"][1],
                 "missing": theme.STATE_UNKNOWN[1]}
PICTURE_FILTER = (f"Pictures ({' '.join('*' + e for e in sorted(PHOTO_EXTENSIONS))});;"
                  "All files (*)")
HINT = ("Each clip animates its still. Drop a picture of yours on a tile to use it instead; "
        "right-click a tile to regenerate it or choose a picture.")
REFERENCES_HINT = ("Each scene and character gets a reference picture that its clips' stills "
                   "are made from. Drop a picture of yours on one to use it instead.")
NO_REFERENCES = ("No references: the image model in use takes none (choose flux-kontext and a "
                 "Replicate key to make them).")

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
        clip = info.kind == "clip"
        title = info.title if clip else f"{info.kind.capitalize()} · {info.title}"
        bold = QFont(self.title.font())
        bold.setBold(True)
        title = QFontMetrics(bold).elidedText(title, Qt.ElideRight, IMAGE_SIZE.width() - 28)
        self.title.setText(f"<b>{title}</b>")
        self.state.setText(f"<span style='color:{STATE_COLOURS[info.state].name()}'>●</span> "
                           f"{info.state}")
        self.badge.setVisible(info.yours)
        self.setToolTip(f"Clip {info.number}: click to select it; drop a picture here to use it "
                        "as this clip's still" if clip else
                        f"The reference of {info.kind} '{info.title}': drop a picture here to "
                        "use it instead")
        self.set_pixmap(pixmap)

    def set_pixmap(self, pixmap: Optional[QPixmap]) -> None:
        key = pixmap.cacheKey() if pixmap is not None else None
        if key == self._pixmap_key and key is not None:
            return  # a refresh with the same picture: nothing to scale again
        self._pixmap_key = key
        if pixmap is None:
            self.image.setText("loading…" if self.info.media else "no still yet"
                               if self.info.kind == "clip" else "not made yet")
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
        key, gallery = self.info.key, self.gallery
        menu = QMenu(self)
        if self.info.kind == "clip":
            regenerate = (f"Regenerate clip {self.info.number} (new seed: remakes its still and "
                          "video)", gallery.regenerate_requested)
            restore = ("Use the generated still", restore_generated_still)
        else:
            regenerate = ("Regenerate this reference (new seed: remakes it and the stills made "
                          "from it)", gallery.reference_regenerate_requested)
            restore = ("Use the generated reference", restore_generated_reference)
        again = menu.addAction(regenerate[0], lambda: regenerate[1].emit(key))
        again.setEnabled(self.info.kind == "clip" or not self.info.yours)
        menu.addAction("Replace with a picture of yours…", lambda: gallery.replace(key))
        back = menu.addAction(restore[0], lambda: gallery.edit_requested.emit(
            lambda p: restore[1](p, key)))
        back.setEnabled(self.info.yours)
        return menu

    # ------------------------------------------------------------------ mouse and drops

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.LeftButton and self.info.kind == "clip":
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
            self.gallery.picture_chosen(self.info, picture)

    def _hover(self, on: bool) -> None:
        self._hovered = on
        self._restyle()


class StillsGallery(QWidget):
    """The tiles of the references and the clips' stills; refreshed only while on screen."""

    clip_clicked = Signal(str)
    regenerate_requested = Signal(str)
    replace_requested = Signal(str, str)  # clip id, path of the user's picture
    reference_regenerate_requested = Signal(str)  # scene or character id
    reference_replace_requested = Signal(str, str)  # scene or character id, picture path
    edit_requested = Signal(object)  # builder: Callable[[Project], Edit]

    def __init__(self, parent=None, pick_picture: PickPicture = pick_picture_dialog):
        super().__init__(parent)
        self.pick_picture = pick_picture
        self.tiles: dict[str, StillTile] = {}
        self.reference_tiles: dict[str, StillTile] = {}
        self._source: Optional[tuple[Project, Callable[[str], Path], Callable,
                                     Optional[References]]] = None
        self._selected: Optional[str] = None
        self._outdated = False
        self._thumbs = ThumbnailCache(self)
        self._thumbs.ready.connect(self._thumbnail_ready)
        self.empty = dim_label("No stills yet: run Generate (Ctrl+3) to make one per clip.")
        self.no_references = dim_label(NO_REFERENCES)
        self.references_hint = dim_label(REFERENCES_HINT)
        self.flow, self.reference_flow = FlowLayout(spacing=6), FlowLayout(spacing=6)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        for part in (QLabel("<b>References</b>"), self.references_hint, self.no_references,
                     self.reference_flow, QLabel("<b>Clip stills</b>"), dim_label(HINT),
                     self.empty, self.flow):
            (layout.addLayout if isinstance(part, FlowLayout) else layout.addWidget)(part)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(vertical_scroll(body))

    def show_stills(self, project: Optional[Project], media_path: Callable[[str], Path] = None,
                    image_hash: Callable[[ClipScript], str] = None,
                    references: Optional[References] = None) -> None:
        """Show ``project``'s stills (``media_path`` finds a media file, ``image_hash`` tells a
        fresh still) and the ``references`` (when the image model makes them), now if the
        gallery is on screen, else when it is shown."""
        if self._source is None or project is not self._source[0]:
            self._thumbs.clear()
        has_plan = project is not None and project.plan is not None
        self._source = (project, media_path, image_hash, references) if has_plan else None
        self._outdated = True
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        self._outdated = False
        source = self._source
        tiles = clip_tiles(source[0], source[2]) if source else []
        wanted = bool(source and source[3] and source[3].wanted)
        references = reference_tiles(source[0], source[3]) if wanted else []
        self.tiles = self._fill(self.flow, self.tiles, tiles)
        self.reference_tiles = self._fill(self.reference_flow, self.reference_tiles, references)
        self.empty.setVisible(not any(t.media for t in tiles))
        self.no_references.setVisible(not wanted)
        self.references_hint.setVisible(wanted)

    def _fill(self, flow: FlowLayout, shown: dict[str, StillTile],
              infos: list[TileInfo]) -> dict[str, StillTile]:
        """The tiles of ``infos`` in ``flow``, reusing ``shown`` when the same owners."""
        if [t.key for t in infos] != list(shown):
            for tile in shown.values():
                flow.removeWidget(tile)
                tile.deleteLater()
            shown = {t.key: StillTile(self, t) for t in infos}
            for tile in shown.values():
                flow.addWidget(tile)
                tile.set_selected(tile.info.key == self._selected)
        for info in infos:
            shown[info.key].show_info(info, self._thumbnail(info))
        return shown

    def set_selected(self, clip_id: Optional[str]) -> None:
        self._selected = clip_id
        for key, tile in self.tiles.items():
            tile.set_selected(key == clip_id)

    def replace(self, key: str) -> None:
        """Ask for a picture (file dialog) for the tile ``key`` (a clip's still or a reference)."""
        picture = self.pick_picture(self)
        tile = self._tile(key)
        if picture is not None and tile is not None:
            self.picture_chosen(tile.info, picture)

    def picture_chosen(self, info: TileInfo, picture: Path) -> None:
        """Request the user's ``picture`` for the tile ``info`` (dropped or chosen)."""
        signal = self.replace_requested if info.kind == "clip" else \
            self.reference_replace_requested
        signal.emit(info.key, str(picture))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._outdated:
            self.refresh()

    def _tile(self, key: str) -> Optional[StillTile]:
        return self.tiles.get(key) or self.reference_tiles.get(key)

    def _thumbnail(self, info: TileInfo) -> Optional[QPixmap]:
        if not info.media:
            return None
        media_path = self._source[1]
        return self._thumbs.get(info.key, info.media, lambda: media_path(info.media))

    def _thumbnail_ready(self, key: str) -> None:
        tile = self._tile(key)
        if tile is not None and self._source is not None:
            tile.set_pixmap(self._thumbnail(tile.info))
