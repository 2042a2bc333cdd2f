"""One transition of the inspected clip: a kind, a length in beats (0 = cut) and that length in
frames and milliseconds.  A change reports ``(transition id, kind, frames)``; nothing is edited
here."""

from __future__ import annotations

import math
from typing import Optional

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QVBoxLayout,
                               QWidget)

from mvstudio.engine.model import TRANSITION_KINDS, Project, Transition
from mvstudio.ui.timeline import theme
from mvstudio.ui.transitions import KIND_NAMES, beat_frames, choose, cut_frame, describe

MAX_BEATS = 32.0  # the engine refuses what the clips cannot hold


class BeatSpin(QDoubleSpinBox):
    """Beats with arrows and wheel landing on whole steps (0.93 goes up to 1.0, not 1.43)."""

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        ratio, step = self.value() / self.singleStep(), self.singleStep()
        base = math.floor(ratio + 1e-6) if steps > 0 else math.ceil(ratio - 1e-6)
        self.setValue((base + steps) * step)


class TransitionRow(QWidget):
    changed = Signal(str, str, int)  # transition id, kind, frames

    def __init__(self, parent=None):
        super().__init__(parent)
        self._t: Optional[Transition] = None
        self._beat_len, self._fps = 15.0, 30
        self.kind = QComboBox()
        for k in TRANSITION_KINDS:
            self.kind.addItem(KIND_NAMES.get(k, k), k)
        self.kind.activated.connect(lambda _i: self._choose(kind=self.kind.currentData()))
        self.beats = BeatSpin(decimals=2, minimum=0.0, maximum=MAX_BEATS, singleStep=0.5,
                                    suffix=" beats")
        self.beats.setKeyboardTracking(False)  # one change when typing ends, not per keystroke
        self.beats.valueChanged.connect(lambda value: self._choose(beats=value))
        self.length = QLabel("")
        self.length.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
        line = QHBoxLayout()
        line.addWidget(self.kind, 3)
        line.addWidget(self.beats, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(line)
        layout.addWidget(self.length)

    def show_transition(self, project: Project, t: Optional[Transition]) -> None:
        """Show ``t`` of ``project`` (None: the clip has no transition on this side)."""
        self._t = t
        self.setEnabled(t is not None)
        if t is None:
            self.length.setText("none")
            return
        self._beat_len = beat_frames(project, cut_frame(project, t))
        self._fps = project.fps
        self.kind.setCurrentIndex(self.kind.findData(t.kind))  # "activated" is the user's only
        with QSignalBlocker(self.beats):
            self.beats.setValue(t.duration_frames / self._beat_len)
        self.length.setText(describe(t.duration_frames, project.fps) if t.duration_frames
                            else "0 beats: a hard cut")

    def _choose(self, kind: Optional[str] = None, beats: Optional[float] = None) -> None:
        if self._t is not None:
            self.changed.emit(self._t.id, *choose(self._t, self._beat_len, kind, beats))
