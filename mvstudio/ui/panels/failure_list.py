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


def row_tree() -> QTreeWidget:
    """A headerless list of rows: a name, a stretching text and a button."""
    tree = QTreeWidget()
    tree.setColumnCount(3)
    tree.setHeaderHidden(True)
    tree.setRootIsDecorated(False)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
    return tree


def add_row(tree: QTreeWidget, clip_id: str, name: str, text: str, button: str,
            clicked) -> QTreeWidgetItem:
    """A row for ``clip_id`` whose button calls ``clicked(clip_id)``."""
    item = QTreeWidgetItem([name, text, ""])
    item.setData(0, Qt.UserRole, clip_id)
    item.setToolTip(1, text)
    tree.addTopLevelItem(item)
    widget = QPushButton(button)
    widget.clicked.connect(lambda _=False: clicked(clip_id))
    tree.setItemWidget(item, 2, widget)
    return item


class RowList(QWidget):
    """A header over a ``row_tree`` of clips, each with a button; hidden while empty."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.header = QLabel("")
        self.tree = row_tree()
        self.rows: list[tuple] = []
        self.setVisible(False)

    def show_rows(self, rows: list[tuple], header: str, button: str, clicked, line) -> None:
        """Show ``rows`` (rebuilt only when they changed); ``line(row)`` gives a row's clip id,
        name and text, ``clicked(clip id)`` answers its button."""
        if rows == self.rows:
            return
        self.rows = list(rows)
        self.tree.clear()
        for row in rows:
            add_row(self.tree, *line(row), button, clicked)
        self.header.setText(header)
        self.setVisible(bool(rows))

    def buttons(self) -> list[QPushButton]:
        return [self.tree.itemWidget(self.tree.topLevelItem(i), 2)
                for i in range(self.tree.topLevelItemCount())]


class FailureList(RowList):
    retry_requested = Signal(str)  # clip id ("" = every failed clip)
    clip_chosen = Signal(str)  # a row was clicked: show that clip

    def __init__(self, parent=None):
        super().__init__(parent)
        self.header.setStyleSheet(f"color: {theme.STATE_COLOURS['failed'][1].name()};")
        self.retry_all = QPushButton("Retry all failed")
        self.retry_all.clicked.connect(lambda: self.retry_requested.emit(""))
        self.tree.itemClicked.connect(
            lambda item, _col: self.clip_chosen.emit(item.data(0, Qt.UserRole)))
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.retry_all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)

    def show_failures(self, rows: list[FailureRow]) -> None:
        """Show ``rows`` (in timeline order)."""
        count = len(rows)
        self.show_rows(rows, f"{count} clip{'s' if count != 1 else ''} failed", "Retry",
                       self.retry_requested.emit,
                       lambda row: (row[0], f"Clip {row[1]}", row[2]))

    def retry_buttons(self) -> list[QPushButton]:
        return self.buttons()
