"""The clips that failed in a run, each with its reason and a Retry button, and "Retry all failed".

Retrying runs Generate again, which makes only what is stale: the failed clips (and anything an edit
made stale since).  The list is hidden while nothing has failed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from mvstudio.ui.timeline import theme

FailureRow = tuple[str, int, str]  # clip id, clip number (1-based), reason


class FailureList(QWidget):
    retry_requested = Signal(str)  # clip id ("" = every failed clip)
    clip_chosen = Signal(str)  # a row was clicked: show that clip

    def __init__(self, parent=None):
        super().__init__(parent)
        self.header = QLabel("")
        self.header.setStyleSheet(f"color: {theme.STATE_COLOURS['failed'][1].name()};")
        self.retry_all = QPushButton("Retry all failed")
        self.retry_all.clicked.connect(lambda: self.retry_requested.emit(""))
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemClicked.connect(
            lambda item, _col: self.clip_chosen.emit(item.data(0, Qt.UserRole)))
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.retry_all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        self.rows: list[FailureRow] = []
        self.setVisible(False)

    def show_failures(self, rows: list[FailureRow]) -> None:
        """Show ``rows`` (in timeline order); rebuilt only when they changed."""
        if rows == self.rows:
            return
        self.rows = list(rows)
        self.tree.clear()
        for clip_id, number, reason in rows:
            item = QTreeWidgetItem([f"Clip {number}", reason, ""])
            item.setData(0, Qt.UserRole, clip_id)
            item.setToolTip(1, reason)
            self.tree.addTopLevelItem(item)
            button = QPushButton("Retry")
            button.clicked.connect(lambda _=False, c=clip_id: self.retry_requested.emit(c))
            self.tree.setItemWidget(item, 2, button)
        count = len(rows)
        self.header.setText(f"{count} clip{'s' if count != 1 else ''} failed")
        self.setVisible(bool(rows))

    def retry_buttons(self) -> list[QPushButton]:
        return [self.tree.itemWidget(self.tree.topLevelItem(i), 2)
                for i in range(self.tree.topLevelItemCount())]
