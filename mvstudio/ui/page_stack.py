"""A stack of pages whose size is the shown page's: a hidden page (the welcome page's row of
buttons) must not make the studio's centre wider than it needs, squeezing the docks."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QStackedWidget


class PageStack(QStackedWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.currentChanged.connect(lambda _index: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()
