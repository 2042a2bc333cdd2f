"""Clip thumbnails decoded off the GUI thread: a still is decoded and scaled by a worker, and the
GUI only turns the finished small image into a pixmap."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

THUMB_HEIGHT = 96


def read_scaled(path: Path, height: int = THUMB_HEIGHT) -> QImage:
    """``path`` decoded at ``height`` pixels (QImage is safe to make on any thread)."""
    reader = QImageReader(str(path))
    size = reader.size()
    if size.isValid() and size.height() > height:
        reader.setScaledSize(size.scaled(10 * size.width(), height, Qt.KeepAspectRatio))
    return reader.read()


class ThumbnailCache(QObject):
    """``get(key, media, path)`` answers at once from the cache, or None while a worker loads it;
    ``ready(key)`` fires on the GUI thread when it has arrived."""

    ready = Signal(str)
    _loaded = Signal(str, str, QImage)

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._pixmaps: dict[str, tuple[str, QPixmap]] = {}
        self._pending: set[tuple[str, str]] = set()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="thumbnails")
        self._loaded.connect(self._store)  # queued: emitted on the worker, handled on the GUI

    def get(self, key: str, media: str, path: Callable[[], Path]) -> Optional[QPixmap]:
        cached = self._pixmaps.get(key)
        if cached is not None and cached[0] == media:
            return cached[1]
        if (key, media) not in self._pending:
            self._pending.add((key, media))
            source = path()
            self._pool.submit(lambda: self._loaded.emit(key, media, read_scaled(source)))
        return cached[1] if cached is not None else None  # the old picture until the new one

    def clear(self) -> None:
        self._pixmaps.clear()

    def _store(self, key: str, media: str, image: QImage) -> None:
        self._pending.discard((key, media))
        if not image.isNull():
            self._pixmaps[key] = (media, QPixmap.fromImage(image))
            self.ready.emit(key)
