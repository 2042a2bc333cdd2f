"""Analysis > Paste Lyrics… (one undoable edit, ``engine.edits.paste_lyrics``) and Analysis >
Transcribe Lyrics on Analyse (the project's ``lyrics`` setting, on by default)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QMenu

from mvstudio.engine.edits import paste_lyrics
from mvstudio.ui.dialogs.lyrics_dialog import LyricsDialog

MENU = "&Analysis"


def _menu(window, title: str) -> QMenu:
    """The window's menu called ``title``, made if there is none."""
    found = [a.menu() for a in window.menuBar().actions() if a.menu() and a.text() == title]
    return found[0] if found else window.menuBar().addMenu(title)


class LyricsActions(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        menu = _menu(window, MENU)
        menu.addSeparator()
        window._action(menu, "Paste &Lyrics…", self.open_dialog, None, "idle")
        self.transcribe = window._action(menu, "Transcribe Lyrics on Analyse",
                                         self.set_transcribe, None, "idle")
        self.transcribe.setCheckable(True)
        menu.aboutToShow.connect(self.sync)

    def _project(self):
        document = self.window.document
        return document.project if document is not None else None

    def sync(self) -> None:
        project = self._project()
        self.transcribe.setChecked(bool(project and project.settings.get("lyrics", True)))

    def dialog(self) -> LyricsDialog:
        """The dialog for the open project (a hook: tests drive it without exec())."""
        return LyricsDialog(self._project(), parent=self.window)

    def open_dialog(self) -> bool:
        project = self._project()
        if project is None or project.analysis is None:
            self.window._error("analyse the song before adding its lyrics")
            return False
        dialog = self.dialog()
        return dialog.exec() == QDialog.DialogCode.Accepted and self.apply(dialog.text())

    def apply(self, text: str) -> bool:
        return self.window.push(lambda p: paste_lyrics(p, text))

    def set_transcribe(self, on: bool) -> None:
        project = self._project()
        if project is not None and project.settings.get("lyrics", True) != on:
            project.settings["lyrics"] = bool(on)
            self.window.document.mark_changed("settings")
