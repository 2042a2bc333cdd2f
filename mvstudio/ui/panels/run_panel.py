"""The run panel: Analyse / Plan / Generate / Render (Generate with what it will cost), with
progress, ETA, cost and cancel, a log, and beside it the predictions running at a cloud service
(each with a Cancel) and the clips that failed (each with a Retry)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from mvstudio.progress_bar import STAGE_NAMES, format_eta
from mvstudio.ui.bridge import EngineBridge
from mvstudio.ui.panels.failure_list import FailureList
from mvstudio.ui.panels.ledger_view import usd
from mvstudio.ui.panels.running_list import RunningList

ACTION_LABELS = {"analyse": "Analyse", "plan": "Plan", "replan": "Re-plan",
                 "generate": "Generate", "render": "Render preview"}


class RunPanel(QWidget):
    action_requested = Signal(str)
    cancel_requested = Signal()
    retry_requested = Signal(str)  # clip id ("" = every failed clip)
    cancel_item_requested = Signal(str)  # clip id

    def __init__(self, bridge: EngineBridge, parent=None):
        super().__init__(parent)
        self.buttons: dict[str, QPushButton] = {}
        self._running: str | None = None
        row = QHBoxLayout()
        for action, label in ACTION_LABELS.items():
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, a=action: self.action_requested.emit(a))
            self.buttons[action] = button
            row.addWidget(button)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_requested)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        self.cost_label = QLabel("Cost: $0.00 (offline)")
        row.addWidget(self.cost_label)

        self.stage_label = QLabel("Ready")
        self.eta_label = QLabel("")
        self.eta_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        status = QHBoxLayout()
        status.addWidget(self.stage_label, 1)
        status.addWidget(self.eta_label)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(2000)
        self.failures = FailureList()
        self.failures.retry_requested.connect(self.retry_requested)
        self.running = RunningList()
        self.running.cancel_requested.connect(self.cancel_item_requested)
        lower = QHBoxLayout()
        lower.addWidget(self.log, 3)
        lower.addWidget(self.running, 2)
        lower.addWidget(self.failures, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(status)
        layout.addWidget(self.bar)
        layout.addLayout(lower, 1)

        bridge.stage_started.connect(self._on_stage)
        bridge.progress.connect(self._on_progress)
        bridge.stage_finished.connect(self._on_finished)
        bridge.notice.connect(lambda level, msg: self.append(f"{level}: {msg}"))

    def show_cost(self, spent: float, cap: float) -> None:
        """Money spent on the project so far against the budget cap."""
        self.cost_label.setText(f"Cost: {usd(spent)} of ${cap:.2f} budget")
        self.cost_label.setToolTip(f"${spent:.4f} spent on this project (every paid call is in "
                                   f"its ledger); the budget cap is set in Settings")

    def show_estimate(self, label: str, details: str = "") -> None:
        """What Generate will cost (``~$1.84``; empty: nothing to pay), ``details`` per stage."""
        button = self.buttons["generate"]
        button.setText(f"{ACTION_LABELS['generate']} ({label})" if label
                       else ACTION_LABELS["generate"])
        button.setToolTip(details)

    def set_running(self, action: str | None) -> None:
        for button in self.buttons.values():
            button.setEnabled(action is None)
        self.cancel_button.setEnabled(action is not None)
        self.failures.setEnabled(action is None)
        if action and action != self._running:  # later calls keep the stage's progress shown
            self.stage_label.setText(f"{ACTION_LABELS[action]}…")
            self.eta_label.setText("")
        self._running = action

    def show_outcome(self, action: str, outcome: str, message: str) -> None:
        text = {"ok": "Done", "cancelled": "Cancelled", "failed": "Failed"}.get(outcome, outcome)
        self.stage_label.setText(f"{ACTION_LABELS.get(action, action)}: {text}"
                                 + (f" — {message}" if message and outcome != "cancelled" else ""))
        self.eta_label.setText("")
        self.append(f"{ACTION_LABELS.get(action, action)}: {text} {message}".rstrip())
        if outcome == "ok":
            self.bar.setValue(1000)

    def append(self, text: str) -> None:
        self.log.appendPlainText(f"{time.strftime('%H:%M:%S')}  {text}")

    def _on_stage(self, stage: str, message: str) -> None:
        self.stage_label.setText(f"{STAGE_NAMES.get(stage, stage)} {message}".strip())
        self.bar.setValue(0)

    def _on_progress(self, stage: str, fraction: float, eta, message: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        self.stage_label.setText(f"{STAGE_NAMES.get(stage, stage)}: {fraction:.0%} {message}".strip())
        self.eta_label.setText(f"ETA {format_eta(eta)}" if eta is not None else "")

    def _on_finished(self, stage: str, seconds: float, message: str) -> None:
        self.append(f"{STAGE_NAMES.get(stage, stage)} done in {seconds:.1f} s"
                    + (f" ({message})" if message else ""))
