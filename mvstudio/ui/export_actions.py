"""File > Export: the timeline for editors (OTIO, FCPXML, EDL), the lyrics as subtitles (SRT,
VTT) and the project as a ``.zip`` (``engine.export``); files are written off the GUI thread."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox
from qasync import asyncSlot

from mvstudio.engine.errors import MVError
from mvstudio.engine.export import FORMATS, export_project
from mvstudio.engine.settings import load_settings

TIMELINES = ("otio", "fcpxml", "edl")  # need a plan; the others only a project


class ExportActions(QObject):
    def __init__(self, window, file_menu) -> None:
        super().__init__(window)
        self.window = window
        menu = file_menu.addMenu("&Export")
        for fmt, (suffix, what) in FORMATS.items():
            window._action(menu, f"{what[0].upper()}{what[1:]} ({suffix})…",
                           lambda _=False, f=fmt: self.export_dialog(f), None,
                           "plan" if fmt in TIMELINES else "project")

    # ------------------------------------------------------------------ hooks (tests override)

    def ask_path(self, fmt: str) -> Optional[Path]:
        suffix, what = FORMATS[fmt]
        document = self.window.document
        folder = load_settings().output_folder or str(document.folder.parent)
        path, _ = QFileDialog.getSaveFileName(self.window, f"Export {what}",
                                              str(Path(folder) / f"{document.folder.stem}{suffix}"),
                                              f"{what} (*{suffix})")
        if not path:
            return None
        return Path(path) if path.lower().endswith(suffix) else Path(path + suffix)

    def ask_save_first(self) -> str:
        """"save", "saved" (archive the last saved state) or "cancel"."""
        box = QMessageBox(QMessageBox.Question, "Unsaved changes",
                          "The archive holds the project as saved. Save the changes first?",
                          QMessageBox.Save | QMessageBox.Cancel, self.window)
        saved = box.addButton("Archive the Saved Version", QMessageBox.AcceptRole)
        box.exec()
        clicked = box.clickedButton()
        return "saved" if clicked is saved else \
            "save" if clicked is box.button(QMessageBox.Save) else "cancel"

    # ------------------------------------------------------------------ exporting

    @asyncSlot(str)
    async def export_dialog(self, fmt: str) -> None:
        if self.window.document is not None and (out := self.ask_path(fmt)) is not None:
            await self.export(fmt, out)

    async def export(self, fmt: str, out: Path) -> bool:
        """Write the open project to ``out`` as ``fmt``; a failure is reported, not raised."""
        document = self.window.document
        if document is None:
            return False
        if fmt == "zip" and document.dirty:
            answer = self.ask_save_first()
            if answer == "cancel" or (answer == "save" and not self.window.save()):
                return False
        project = copy.deepcopy(document.project)  # editing may go on while the file is written
        try:
            await asyncio.to_thread(export_project, document.store, project, fmt, Path(out))
        except MVError as exc:
            self.window._error(f"export failed: {exc}")
            return False
        self.window.run_panel.append(f"exported {out}")
        self.window.statusBar().showMessage(f"Exported {Path(out).name}", 5000)
        return True
