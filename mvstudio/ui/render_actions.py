"""File > Render Video…: a full-size render with the Render dialog's options, run by the
``RunController`` (the Run panel shows its progress, ETA and cancel); after every render, preview
or full, the sync audit's summary goes to the Run log and the status bar, and the cuts outside
tolerance are marked on the timeline's clip lane until the next render starts."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog
from qasync import asyncSlot

from mvstudio.engine.render.options import RenderOptions
from mvstudio.engine.settings import load_settings
from mvstudio.ui.dialogs.render_dialog import RenderDialog


class RenderActions(QObject):
    def __init__(self, window, file_menu) -> None:
        super().__init__(window)
        self.window = window
        self.options = RenderOptions()  # the dialog starts from the last choice
        window._action(file_menu, "&Render Video…", self.render_dialog, "Ctrl+Shift+R", "idle")
        window.runner.started.connect(self._started)
        window.runner.rendered.connect(self.show_audit)

    # ------------------------------------------------------------------ hooks (tests override)

    def ask_render(self) -> Optional[tuple[Path, RenderOptions]]:
        dialog = RenderDialog(self.default_output(), self.options, self.window)
        return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None

    # ------------------------------------------------------------------ actions

    def default_output(self) -> Path:
        document = self.window.document
        folder = load_settings().output_folder or str(document.folder.parent)
        return Path(folder) / f"{document.folder.stem}.mp4"

    @asyncSlot()
    async def render_dialog(self) -> None:
        if self.window.document is None or self.window.runner.running:
            return
        chosen = self.ask_render()
        if chosen is not None:
            output, self.options = chosen
            await self.window.runner.run("render", output=output, options=self.options)

    def _started(self, action: str) -> None:
        if action == "render":
            self.window.studio.timeline.show_sync_problems(())

    def show_audit(self, report) -> None:
        """The audit's one-line summary in the Run log and status bar; cuts off marked."""
        audit = report.audit
        if audit is None:
            return
        self.window.run_panel.append(audit.summary())
        self.window.statusBar().showMessage(audit.summary(), 15_000)
        self.window.studio.timeline.show_sync_problems([c.frame / audit.fps for c in audit.outside])
