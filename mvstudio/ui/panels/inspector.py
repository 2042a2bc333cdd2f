"""The inspector: the selected clip's script, prompt, seed, lock, state and Regenerate."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QVBoxLayout, QWidget)

from mvstudio.engine.model import ClipScript, Project
from mvstudio.engine.planning.prompts import build_prompt
from mvstudio.engine.timebase import timecode

SCRIPT_FIELDS = ("visual_description", "motion", "camera", "lyrics_context")


class Inspector(QWidget):
    script_edited = Signal(str, dict)  # clip id, changed fields
    lock_toggled = Signal(str, bool)
    regenerate_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.clip_id: Optional[str] = None
        self._clip: Optional[ClipScript] = None
        self.header = QLabel("No clip selected")
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {
            "visual_description": QPlainTextEdit(), "motion": QLineEdit(), "camera": QLineEdit(),
            "lyrics_context": QLineEdit()}
        self.fields["visual_description"].setFixedHeight(70)
        self.prompt = QPlainTextEdit(readOnly=True)
        self.prompt.setFixedHeight(110)
        self.seed = QLabel("")
        self.model = QLabel("")
        self.state = QLabel("")
        self.cost = QLabel("$0.00")
        self.locked = QCheckBox("Locked (kept by re-planning)")
        self.locked.toggled.connect(self._lock_changed)
        self.apply_button = QPushButton("Apply script changes")
        self.apply_button.clicked.connect(self._apply)
        self.regenerate_button = QPushButton("Regenerate ($0.00)")
        self.regenerate_button.clicked.connect(
            lambda: self.clip_id and self.regenerate_requested.emit(self.clip_id))

        form = QFormLayout()
        form.addRow("Description", self.fields["visual_description"])
        form.addRow("Motion", self.fields["motion"])
        form.addRow("Camera", self.fields["camera"])
        form.addRow("Lyrics", self.fields["lyrics_context"])
        form.addRow("Prompt", self.prompt)
        form.addRow("Model", self.model)
        form.addRow("Seed", self.seed)
        form.addRow("State", self.state)
        form.addRow("Cost", self.cost)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(form)
        layout.addWidget(self.locked)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.regenerate_button)
        layout.addStretch(1)
        self.setEnabled(False)

    def show_clip(self, project: Project, clip: Optional[ClipScript], state: str = "",
                  provider: str = "") -> None:
        self.clip_id = clip.id if clip else None
        self._clip = clip
        self.setEnabled(clip is not None)
        if clip is None:
            self.header.setText("No clip selected")
            return
        index = project.plan.clips.index(clip) + 1
        self.header.setText(f"Clip {index} of {len(project.plan.clips)} · "
                            f"{timecode(clip.start_frame, project.fps)}–"
                            f"{timecode(clip.end_frame, project.fps)}")
        for name, widget in self.fields.items():
            value = getattr(clip, name)
            if isinstance(widget, QPlainTextEdit):
                widget.setPlainText(value)
            else:
                widget.setText(value)
        self.prompt.setPlainText(build_prompt(project.plan, clip).prompt)
        self.seed.setText(str(clip.seed))
        self.model.setText(provider)
        self.state.setText(state)
        cost = sum(a.cost for a in project.assets if a.owner == clip.id)
        self.cost.setText(f"${cost:.2f}")
        self.locked.blockSignals(True)
        self.locked.setChecked(clip.locked)
        self.locked.blockSignals(False)

    def edited_fields(self, clip: ClipScript) -> dict:
        out = {}
        for name, widget in self.fields.items():
            value = widget.toPlainText() if isinstance(widget, QPlainTextEdit) else widget.text()
            if value != getattr(clip, name):
                out[name] = value
        return out

    def _apply(self) -> None:
        if self._clip is not None:
            changed = self.edited_fields(self._clip)
            if changed:
                self.script_edited.emit(self._clip.id, changed)

    def _lock_changed(self, locked: bool) -> None:
        if self.clip_id:
            self.lock_toggled.emit(self.clip_id, locked)
