"""Tap Tempo: tap along with the song (T or the big button), see the running BPM, Apply.

A tap's song time is the player's position at the first tap of a run plus the wall-clock time
since it: the song plays at its own pace, so this is as exact as the taps themselves (the player
reports its position only about once a frame), and it works the same while the song is paused
(anchored at the playhead).  A pause of more than ``RESTART_S`` starts a new run.  Apply hands the
taps on (``applied``); Esc or Cancel closes without a change.  The dialog is not modal, so the
transport stays usable.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout

from mvstudio.ui.timeline import theme

RESTART_S = 3.0


class TapTempoDialog(QDialog):
    applied = Signal(list)  # the taps, song seconds in order

    def __init__(self, position: Callable[[], float], toggle_play: Callable[[], None] = lambda: None,
                 wall: Callable[[], float] = time.monotonic, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tap Tempo")
        self.position, self.toggle_play, self.wall = position, toggle_play, wall
        self.taps: list[float] = []
        self._anchor = (0.0, 0.0)  # (song seconds, wall seconds) of the run's first tap
        self._last = 0.0  # wall seconds of the last tap
        self.bpm_label = QLabel("— BPM", alignment=Qt.AlignmentFlag.AlignCenter)
        self.bpm_label.setFont(theme.font(34, bold=True))
        self.hint = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.tap_button = QPushButton("Tap  (T)")
        self.tap_button.setMinimumSize(260, 90)
        self.tap_button.setFont(theme.font(18, bold=True))
        self.tap_button.clicked.connect(self.tap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.clicked.connect(self._apply)
        buttons.rejected.connect(self.reject)
        play = buttons.addButton("Play / Pause  (Space)", QDialogButtonBox.ButtonRole.ActionRole)
        play.clicked.connect(lambda: self.toggle_play())
        for button in (self.tap_button, self.apply_button, play,
                       buttons.button(QDialogButtonBox.StandardButton.Cancel)):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # T and Space reach keyPressEvent
        layout = QVBoxLayout(self)
        for widget in (self.bpm_label, self.hint, self.tap_button, buttons):
            layout.addWidget(widget)
        self._show()

    def bpm(self) -> Optional[float]:
        """The tempo of the taps so far (their average period), None before two."""
        if len(self.taps) < 2:
            return None
        return 60.0 * (len(self.taps) - 1) / (self.taps[-1] - self.taps[0])

    def tap(self) -> None:
        now = self.wall()
        if not self.taps or now - self._last > RESTART_S:
            self.taps, self._anchor = [], (self.position(), now)
        self._last = now
        self.taps.append(round(self._anchor[0] + now - self._anchor[1], 3))
        self._show()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_T and not event.isAutoRepeat():
            self.tap()
        elif event.key() == Qt.Key.Key_Space:
            self.toggle_play()
        else:
            super().keyPressEvent(event)  # Esc cancels

    def _show(self) -> None:
        bpm = self.bpm()
        self.bpm_label.setText("— BPM" if bpm is None else f"{bpm:.1f} BPM")
        self.hint.setText("Press T in time with the beat while the song plays." if not self.taps
                          else f"{len(self.taps)} taps from {self.taps[0]:.2f} s"
                          + ("" if bpm else ": keep tapping"))
        self.apply_button.setEnabled(bpm is not None)

    def _apply(self) -> None:
        self.applied.emit(list(self.taps))
        self.accept()
