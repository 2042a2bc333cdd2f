"""The inspector: the selected clip's script, prompt, transitions in and out, its video model,
whether it continues the shot before, seed, lock, state and Regenerate; for a clip that failed,
why, with a Retry."""

from __future__ import annotations

import dataclasses
from typing import Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QFrame, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget)

from mvstudio.engine.generation.model_registry import load_registry
from mvstudio.engine.model import ClipScript, Plan, Project
from mvstudio.engine.planning.prompts import build_prompt
from mvstudio.engine.timebase import timecode
from mvstudio.ui.dialogs.project_models import model_box
from mvstudio.ui.panels.transition_row import TransitionRow
from mvstudio.ui.timeline import theme

SCRIPT_FIELDS = ("visual_description", "motion", "camera", "lyrics_context")


class Inspector(QWidget):
    script_edited = Signal(str, dict)  # clip id, changed fields
    lock_toggled = Signal(str, bool)
    regenerate_requested = Signal(str)
    transition_edited = Signal(str, str, int)  # transition id, kind, frames
    retry_requested = Signal(str)  # clip id
    model_chosen = Signal(str, str)  # clip id, video model key ("" = the project's)
    continues_toggled = Signal(str, bool)  # clip id, continues the shot before

    def __init__(self, parent=None):
        super().__init__(parent)
        self.clip_id: Optional[str] = None
        self._clip: Optional[ClipScript] = None
        self.header = QLabel("No clip selected")
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {
            "visual_description": QPlainTextEdit(), "motion": QLineEdit(), "camera": QLineEdit(),
            "lyrics_context": QLineEdit()}
        self.fields["visual_description"].setFixedHeight(70)
        self._plan: Optional[Plan] = None
        for widget in self.fields.values():
            widget.textChanged.connect(self._preview_prompt)  # the prompt follows the typing
        self.prompt = QPlainTextEdit(readOnly=True)
        self.prompt.setFixedHeight(110)
        self.seed = QLabel("")
        self.model = model_box("video", "Project's", load_registry())
        self.model.setSizeAdjustPolicy(  # long names elide: the panel never scrolls sideways
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(12)
        self.model.activated.connect(self._model_chosen)
        self.continues = QCheckBox("Continues the shot before (starts on its last frame)")
        self.continues.toggled.connect(self._continues_changed)
        self.state = QLabel("")
        self.cost = QLabel("$0.00")
        self.locked = QCheckBox("Locked (kept by re-planning)")
        self.locked.toggled.connect(self._lock_changed)
        self.apply_button = QPushButton("Apply script changes")
        self.apply_button.clicked.connect(self._apply)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.clicked.connect(
            lambda: self.clip_id and self.regenerate_requested.emit(self.clip_id))
        self.transition_in, self.transition_out = TransitionRow(), TransitionRow()
        for row in (self.transition_in, self.transition_out):
            row.changed.connect(self.transition_edited)
        self.failure = QLabel("", wordWrap=True)
        self.failure.setStyleSheet(f"color: {theme.STATE_COLOURS['failed'][1].name()};")
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(
            lambda: self.clip_id and self.retry_requested.emit(self.clip_id))

        form = QFormLayout()
        form.addRow("Description", self.fields["visual_description"])
        form.addRow("Motion", self.fields["motion"])
        form.addRow("Camera", self.fields["camera"])
        form.addRow("Lyrics", self.fields["lyrics_context"])
        form.addRow("Prompt", self.prompt)
        form.addRow("Transition in", self.transition_in)
        form.addRow("Transition out", self.transition_out)
        form.addRow("Video model", self.model)
        form.addRow("Seed", self.seed)
        form.addRow("State", self.state)
        form.addRow("Cost", self.cost)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form)
        column.addWidget(self.continues)
        column.addWidget(self.locked)
        column.addWidget(self.apply_button)
        column.addWidget(self.regenerate_button)
        column.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setWidget(body)  # scrolls when the window is short, never squeezes the fields
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.failure)
        layout.addWidget(self.retry_button)
        layout.addWidget(scroll, 1)
        self.setEnabled(False)

    def show_clip(self, project: Project, clip: Optional[ClipScript], state: str = "",
                  provider: str = "", failure: str = "", models: bool = False) -> None:
        """Show ``clip`` of ``project``; ``provider`` names the project's video model,
        ``models`` says whether a clip may have its own (a cloud video model), ``failure`` is
        why its last attempt failed, if it did."""
        self.clip_id = clip.id if clip else None
        self._clip = clip
        self.setEnabled(clip is not None)
        self.failure.setText(f"Failed: {failure}" if clip and failure else "")
        self.failure.setVisible(bool(clip and failure))
        self.retry_button.setVisible(bool(clip and failure))
        if clip is None:
            self.header.setText("No clip selected")
            return
        plan = self._plan = project.plan
        self.transition_in.show_transition(project, next(
            (t for t in plan.transitions if t.to_clip == clip.id), None))
        self.transition_out.show_transition(project, next(
            (t for t in plan.transitions if t.from_clip == clip.id), None))
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
        self._show_model(clip, provider, models)
        index = project.plan.clips.index(clip)
        self.continues.blockSignals(True)
        self.continues.setChecked(clip.continues and index > 0)
        self.continues.setEnabled(index > 0)
        self.continues.blockSignals(False)
        self.state.setText(state)
        cost = sum(a.cost for a in project.assets if a.owner == clip.id)
        self.cost.setText(f"${cost:.2f}")
        self.locked.blockSignals(True)
        self.locked.setChecked(clip.locked)
        self.locked.blockSignals(False)

    def _show_model(self, clip: ClipScript, provider: str, models: bool) -> None:
        self.model.setItemText(0, f"Project's ({provider})" if provider else "Project's")
        self.model.setCurrentIndex(max(0, self.model.findData(clip.video_model)) if models else 0)
        self.model.setEnabled(models)
        self.model.setToolTip("" if models else "Offline, the local animator makes every clip; "
                              "with a Replicate token each clip can have its own model.")

    def _model_chosen(self, index: int) -> None:
        if self.clip_id:
            self.model_chosen.emit(self.clip_id, self.model.itemData(index) or "")

    def _continues_changed(self, continues: bool) -> None:
        if self.clip_id:
            self.continues_toggled.emit(self.clip_id, continues)

    def _preview_prompt(self) -> None:
        """The prompt as it will be once the edited fields are applied."""
        if self._clip is None or self._plan is None:
            return
        edited = dataclasses.replace(self._clip, **self.edited_fields(self._clip))
        self.prompt.setPlainText(build_prompt(self._plan, edited).prompt)

    def show_regenerate_cost(self, label: str) -> None:
        """What regenerating the clip costs (``~$0.30``; empty: nothing)."""
        self.regenerate_button.setText(f"Regenerate ({label})" if label else "Regenerate")

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
