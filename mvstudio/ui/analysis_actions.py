"""The Analysis menu and the section lane's edits: shift the beat grid, set or tap the tempo, reset
the beats, rename a section (right-click) and move a section boundary (drag).

Each is one undoable edit from ``engine.edits.analysis``, stored in the project's corrections, so
it survives a re-analysis.  Questions to the user (``ask_tempo``) are overridable for tests.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, QPoint
from PySide6.QtWidgets import QInputDialog, QMenu

from mvstudio.engine.edits import (clear_beat_corrections, move_section_boundary,
                                   relabel_section, set_tempo, shift_beat_grid, tap_beats)
from mvstudio.engine.model import SECTION_LABELS
from mvstudio.ui.dialogs.tap_tempo import TapTempoDialog


class AnalysisActions(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.tap_dialog: Optional[TapTempoDialog] = None
        self.section_menu: Optional[QMenu] = None
        menu = window.menuBar().addMenu("&Analysis")
        for text, slot, key in (("Shift Beats &Earlier (one frame)", lambda: self.shift(-1), "["),
                                ("Shift Beats &Later (one frame)", lambda: self.shift(1), "]"),
                                ("Set &Tempo…", self.ask_and_set_tempo, None),
                                ("T&ap Tempo…", self.open_tap_tempo, "Ctrl+T"),
                                ("&Reset Beat Grid", self.reset_beats, None)):
            window._action(menu, text, slot, key, "idle")
        lane = window.studio.timeline.lanes["sections"]
        lane.boundary_dropped.connect(self.move_boundary)
        lane.menu_requested.connect(self.show_section_menu)

    def _analysis(self):
        document = self.window.document
        return document.project.analysis if document is not None else None

    # ------------------------------------------------------------------ beats

    def shift(self, frames: int) -> bool:
        """Move every beat (and every cut with it) by ``frames`` frames."""
        return self.window.push(lambda p: shift_beat_grid(p, frames * 1000 / p.fps))

    def ask_tempo(self, current: float) -> Optional[float]:
        """The tempo the user types (None: cancelled)."""
        bpm, ok = QInputDialog.getDouble(self.window, "Set Tempo", "Beats per minute:",
                                         round(current, 2), 20.0, 400.0, 2)
        return bpm if ok else None

    def ask_and_set_tempo(self) -> bool:
        analysis = self._analysis()
        bpm = self.ask_tempo(analysis.bpm if analysis else 120.0)
        return bpm is not None and self.window.push(lambda p: set_tempo(p, bpm))

    def open_tap_tempo(self) -> TapTempoDialog:
        """Show the (non-modal) Tap Tempo dialog; Apply makes the taps the beat grid."""
        studio = self.window.studio
        if self.tap_dialog is not None:
            self.tap_dialog.close()
            self.tap_dialog.deleteLater()
        dialog = TapTempoDialog(lambda: studio.player.frame() / studio.player.fps,
                                studio.transport.toggle_play, parent=self.window)
        dialog.applied.connect(lambda taps: self.window.push(lambda p: tap_beats(p, taps)))
        self.tap_dialog = dialog
        dialog.show()
        return dialog

    def reset_beats(self) -> bool:
        return self.window.push(clear_beat_corrections)

    # ------------------------------------------------------------------ sections

    def move_boundary(self, index: int, seconds: float, override: bool) -> bool:
        snapper = self.window.studio.snapper()
        return self.window.push(lambda p: move_section_boundary(p, index, seconds, snapper=snapper,
                                                                override=override))

    def relabel(self, section_id: str, label: str) -> bool:
        return self.window.push(lambda p: relabel_section(p, section_id, label))

    def show_section_menu(self, index: int, where: QPoint) -> Optional[QMenu]:
        """A menu of labels for section ``index`` at ``where`` (the current one checked)."""
        analysis = self._analysis()
        if analysis is None or not 0 <= index < len(analysis.sections):
            return None
        section = analysis.sections[index]
        menu = QMenu(self.window)
        menu.addSection(f"Section {index + 1}: rename to")
        for label in SECTION_LABELS:
            action = menu.addAction(label.capitalize())
            action.setCheckable(True)
            action.setChecked(label == section.label)
            action.triggered.connect(lambda _=False, name=label: self.relabel(section.id, name))
        if self.section_menu is not None:
            self.section_menu.deleteLater()
        self.section_menu = menu
        menu.popup(where)
        return menu
