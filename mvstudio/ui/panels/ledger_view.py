"""The cost ledger: every paid call of the project (planner, stills, clips) with its estimate,
actual cost, status and prediction id, and the totals against the budget cap."""

from __future__ import annotations

import time
from typing import Callable, Optional, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from mvstudio.engine.store.ledger import SPENT, LedgerRow

COLUMNS = ("When", "Stage", "Item", "Model", "Estimate", "Actual", "Status", "Prediction")
STATUS_NAMES = {"reserved": "running / reserved", "assumed": "assumed paid"}


def usd(value: float, digits: int = 2) -> str:
    """``$1.84``; ``<$0.01`` for a positive amount that would show as nothing."""
    least = 10 ** -digits
    return f"<${least:.{digits}f}" if 0 < value < least / 2 else f"${value:.{digits}f}"


class LedgerView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.totals = QLabel("No paid calls yet.")
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.addWidget(self.totals)
        layout.addWidget(self.tree, 1)
        self.rows: list[LedgerRow] = []

    def show_ledger(self, rows: Sequence[LedgerRow], cap: float,
                    label: Optional[Callable[[str], str]] = None) -> None:
        """Show ``rows`` (oldest first) and the totals; ``label`` names an owner ("clip 3")."""
        if list(rows) != self.rows or not self.tree.topLevelItemCount():
            self.rows = list(rows)
            self._fill(label)
        spent = sum(r.spent for r in self.rows)
        held = sum(r.reserved for r in self.rows if r.status == "reserved")
        calls = sum(r.status in SPENT for r in self.rows)
        self.totals.setText(f"Spent {usd(spent)} on {calls} paid call{'s' * (calls != 1)}"
                            + (f" · {usd(held)} held by running calls" if held else "")
                            + f" · budget cap ${cap:.2f}, {usd(max(cap - spent - held, 0))} left")

    def _fill(self, label: Optional[Callable[[str], str]]) -> None:
        self.tree.clear()
        for row in self.rows:
            item = QTreeWidgetItem([
                time.strftime("%Y-%m-%d %H:%M", time.localtime(row.created)), row.stage,
                (label(row.owner) if label and row.owner else row.owner) or "—",
                row.model, usd(row.estimate, 3),
                usd(row.spent, 3) if row.status in SPENT else "—",
                STATUS_NAMES.get(row.status, row.status), row.prediction_id or "—"])
            for column in (4, 5):
                item.setTextAlignment(column, Qt.AlignRight | Qt.AlignVCenter)
            self.tree.addTopLevelItem(item)
