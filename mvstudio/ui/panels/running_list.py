"""The predictions running at a cloud service during a run, each with a Cancel that stops only it
(its clip then shows its still, like a clip that failed).  Hidden while none runs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout

from mvstudio.ui.panels.failure_list import RowList

RunningRow = tuple[str, int, str, str, str]  # clip id, clip number, stage, model, prediction id
WHAT = {"references": "reference", "images": "still", "clips": "video"}


class RunningList(RowList):
    cancel_requested = Signal(str)  # clip id

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.tree, 1)

    def show_running(self, rows: list[RunningRow]) -> None:
        self.show_rows(rows, f"{len(rows)} running at Replicate", "Cancel",
                       self.cancel_requested.emit,
                       lambda row: (row[0], f"Clip {row[1]}",
                                    f"{WHAT.get(row[2], row[2])} · {row[3]} · {row[4]}"))

    def cancel_buttons(self):
        return self.buttons()
