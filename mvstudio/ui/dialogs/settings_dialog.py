"""Settings: API keys (OS keyring), default models, budget, concurrency, output folder, clip lengths.

OK checks every value (an invalid one is named inline and nothing is saved), stores typed keys in
the keyring, then writes the settings file with ``save_settings``; Cancel discards.  Keys never go
into ``Settings``.  Key checks and the folder chooser are injected so tests need neither network
nor modal dialogs.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Mapping, Optional

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from mvstudio.engine import keys
from mvstudio.engine.errors import MVError
from mvstudio.engine.generation.model_registry import find_model
from mvstudio.engine.key_check import CHECKS
from mvstudio.engine.settings import Settings, load_settings, save_settings
from mvstudio.engine.userdirs import check_writable
from mvstudio.ui.dialogs.key_row import Check, KeyRow, coloured

MAX_CONCURRENCY = 10
MODEL_FIELDS = (("default_image_model", "Image model"), ("default_video_model", "Video model"),
                ("planner_model", "Planner model"))
ChooseFolder = Callable[[QWidget, str], str]


def choose_folder_dialog(parent: QWidget, current: str) -> str:
    """Ask for a folder with ``QFileDialog``; "" when cancelled."""
    return QFileDialog.getExistingDirectory(parent, "Output folder", current)


def _spin(box, low: float, high: float, step: float, prefix: str = "", suffix: str = ""):
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setPrefix(prefix)
    box.setSuffix(suffix)
    return box


def validate(settings: Settings) -> Optional[str]:
    """Why ``settings`` cannot be saved (one line), or None."""
    for name, label in MODEL_FIELDS:
        if not getattr(settings, name).strip():
            return f"The {label.lower()} cannot be empty."
    for name, kind in (("default_image_model", "image"), ("default_video_model", "video")):
        try:
            find_model(getattr(settings, name), kind)
        except MVError as err:  # unknown, or the user's model table is broken
            return f"{str(err)[:1].upper()}{str(err)[1:]}."
    if settings.budget_cap_usd <= 0:
        return "The budget cap must be more than $0."
    if not 1 <= settings.concurrency <= MAX_CONCURRENCY:
        return f"Concurrency must be from 1 to {MAX_CONCURRENCY}."
    if settings.min_clip_s >= settings.max_clip_s:
        return (f"The shortest clip ({settings.min_clip_s:g} s) must be shorter than the longest "
                f"({settings.max_clip_s:g} s).")
    if settings.output_folder:
        problem = check_writable(settings.output_folder)
        if problem:
            return f"Output folder: {problem}."
    return None


class SettingsDialog(QDialog):
    def __init__(self, settings: Optional[Settings] = None, parent=None, *,
                 checks: Mapping[str, Check] = CHECKS,
                 choose_folder: ChooseFolder = choose_folder_dialog):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(620)
        self.settings = settings if settings is not None else load_settings()
        self.choose_folder = choose_folder
        self.key_rows = {p: KeyRow(p, checks[p]) for p in keys.ENV_VARS}
        self.keyring_notice = QLabel()
        self.keyring_notice.setWordWrap(True)
        usable, reason = keys.keyring_status()
        if not usable:
            coloured(self.keyring_notice, f"No usable OS keyring ({reason}): typed keys cannot be "
                     f"saved; set {' or '.join(keys.ENV_VARS.values())} instead.", False)
        self.keyring_notice.setVisible(not usable)
        self.models = {name: QLineEdit() for name, _ in MODEL_FIELDS}
        self.budget = _spin(QDoubleSpinBox(), 0, 100_000, 5, prefix="$ ")
        self.concurrency = _spin(QSpinBox(), 1, MAX_CONCURRENCY, 1, suffix=" at once")
        self.min_clip = _spin(QDoubleSpinBox(), 0.5, 60, 0.5, suffix=" s")
        self.max_clip = _spin(QDoubleSpinBox(), 0.5, 60, 0.5, suffix=" s")
        self.output_folder = QLineEdit(
            placeholderText="not set: renders go into each project's renders folder")
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(self._choose_folder)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._layout()
        self.show_settings(self.settings)

    def _layout(self) -> None:
        api = QGroupBox("API keys")
        api_layout = QVBoxLayout(api)
        api_layout.addWidget(self.keyring_notice)
        for row in self.key_rows.values():
            api_layout.addWidget(row)
        generation = QGroupBox("Generation")
        form = QFormLayout(generation)
        for name, label in MODEL_FIELDS:
            form.addRow(label, self.models[name])
        form.addRow("Budget cap", self.budget)
        form.addRow("Concurrency", self.concurrency)
        folder = QHBoxLayout()
        folder.addWidget(self.output_folder, 1)
        folder.addWidget(self.choose_button)
        form.addRow("Output folder", folder)
        analysis = QGroupBox("Analysis")
        clips = QFormLayout(analysis)
        clips.addRow("Shortest clip", self.min_clip)
        clips.addRow("Longest clip", self.max_clip)
        layout = QVBoxLayout(self)
        for widget in (api, generation, analysis, self.error, self.buttons):
            layout.addWidget(widget)

    def show_settings(self, settings: Settings) -> None:
        for name, widget in self.models.items():
            widget.setText(getattr(settings, name))
        self.budget.setValue(settings.budget_cap_usd)
        self.concurrency.setValue(settings.concurrency)
        self.min_clip.setValue(settings.min_clip_s)
        self.max_clip.setValue(settings.max_clip_s)
        self.output_folder.setText(settings.output_folder)

    def edited_settings(self) -> Settings:
        """The settings as the form shows them (theme, recent projects… kept as they were)."""
        return dataclasses.replace(
            self.settings, budget_cap_usd=self.budget.value(),
            concurrency=self.concurrency.value(), output_folder=self.output_folder.text().strip(),
            min_clip_s=self.min_clip.value(), max_clip_s=self.max_clip.value(),
            **{name: w.text().strip() for name, w in self.models.items()})

    def _choose_folder(self) -> None:
        chosen = self.choose_folder(self, self.output_folder.text())
        if chosen:
            self.output_folder.setText(chosen)

    def _refuse(self, message: str) -> None:
        coloured(self.error, message, False)

    def accept(self) -> None:
        """Check, store typed keys, save; on any refusal say why here and stay open."""
        edited = self.edited_settings()
        problem = validate(edited)
        if problem:
            return self._refuse(problem)
        try:
            for row in self.key_rows.values():
                row.store()
        except keys.KeyringUnavailable:
            return self._refuse("A key could not be stored: see the message under it.")
        try:
            save_settings(edited)
        except MVError as err:
            return self._refuse(str(err))
        self.settings = edited
        super().accept()
