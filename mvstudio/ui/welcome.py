"""The welcome page: start from a song or a prompt, open a project, or render the demo offline."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from mvstudio.engine.settings import load_settings


class WelcomePage(QWidget):
    open_song = Signal(Path)
    new_requested = Signal()
    prompt_requested = Signal()
    open_requested = Signal()
    recent_chosen = Signal(Path)
    demo_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("<h1>MV Studio</h1><p>Drop a song anywhere on this window to start a "
                       "project, or render the demo, offline, in a couple of minutes.</p>")
        title.setAlignment(Qt.AlignCenter)
        title.setWordWrap(True)
        buttons = QHBoxLayout()
        for text, signal in (("New project from a song…", self.new_requested),
                             ("From a prompt (no song)…", self.prompt_requested),
                             ("Open project…", self.open_requested),
                             ("Render the demo (offline, photo mode)", self.demo_requested)):
            button = QPushButton(text)
            button.setMinimumHeight(36)
            button.clicked.connect(signal)
            buttons.addWidget(button)
        self.recent = QListWidget()
        self.recent.itemActivated.connect(
            lambda item: self.recent_chosen.emit(Path(item.data(Qt.UserRole))))
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Recent projects"))
        layout.addWidget(self.recent, 2)
        layout.addStretch(1)
        layout.setContentsMargins(120, 40, 120, 40)
        self.refresh_recent()

    def refresh_recent(self) -> None:
        self.recent.clear()
        for path in load_settings().recent_projects:
            item = QListWidgetItem(f"{Path(path).stem}    —    {path}")
            item.setData(Qt.UserRole, path)
            self.recent.addItem(item)
