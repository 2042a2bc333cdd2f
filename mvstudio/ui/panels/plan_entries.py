"""Characters or scenes in the plan panel: a list, the selected one's fields, Add/Remove/Apply.

The editor never changes the project: each button hands a builder (``project -> Edit``) to
``request``; the list refreshes when the panel shows the project again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QPushButton, QVBoxLayout)

from mvstudio.engine.edits import EditError
from mvstudio.engine.model import Plan, Project
from mvstudio.ui.panels.fitting import fitting_form

Builder = Callable[[Project], Any]


@dataclass(frozen=True)
class EntryKind:
    """What the editor edits: the plan's list, its fields and its three edits.

    ``fields`` are name, description and one detail (role, time of day), in that order.
    """

    where: str  # "characters" | "scenes" (also the ClipScript field that names them)
    noun: str
    fields: tuple[tuple[str, str], ...]  # (field, label)
    edit: Callable[..., Any]
    add: Callable[..., Any]
    remove: Callable[..., Any]


def _text(widget: QLineEdit | QPlainTextEdit) -> str:
    return widget.toPlainText() if isinstance(widget, QPlainTextEdit) else widget.text()


class EntryEditor(QGroupBox):
    def __init__(self, title: str, kind: EntryKind, request: Callable[[Builder], None],
                 parent=None):
        super().__init__(title, parent)
        self.kind, self.request = kind, request
        self._items: list = []
        self._project: Optional[Project] = None
        self._select_id: Optional[str] = None
        self._select_last = False
        self.list = QListWidget()
        self.list.setObjectName(f"{kind.where}-list")
        self.list.setMaximumHeight(110)
        self.list.currentRowChanged.connect(self._show_selected)
        self.inputs: dict[str, QLineEdit | QPlainTextEdit] = {}
        form = fitting_form()
        for name, label in kind.fields:
            widget = QPlainTextEdit() if name == "description" else QLineEdit()
            if isinstance(widget, QPlainTextEdit):
                widget.setFixedHeight(56)
            self.inputs[name] = widget
            form.addRow(label, widget)
        self.add_button = QPushButton(f"Add {kind.noun}")
        self.remove_button = QPushButton("Remove")
        self.apply_button = QPushButton("Apply")
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.apply_button.clicked.connect(self._apply)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(form)
        layout.addLayout(buttons)

    # ------------------------------------------------------------------ showing

    def show_plan(self, project: Project, plan: Plan) -> None:
        """List the entries again, keeping the selection (or selecting one just added)."""
        self._project = project
        self._items = list(getattr(plan, self.kind.where))
        current = self.selected()
        keep = self._select_id or (current.id if current else None)
        self.list.blockSignals(True)
        self.list.clear()
        for item in self._items:
            uses = sum(item.id in getattr(c, self.kind.where) for c in plan.clips)
            extra = getattr(item, self.kind.fields[-1][0])
            label = item.name + (f" · {extra}" if extra else "") + \
                (f"   ({uses} clip{'s' if uses != 1 else ''})" if uses else "   (unused)")
            row = QListWidgetItem(label)
            row.setData(Qt.UserRole, item.id)
            self.list.addItem(row)
        ids = [i.id for i in self._items]
        row = len(ids) - 1 if self._select_last else ids.index(keep) if keep in ids else 0
        self._select_last, self._select_id = False, None
        self.list.setCurrentRow(row if ids else -1)
        self.list.blockSignals(False)
        self._show_selected()

    def selected(self) -> Optional[Any]:
        row = self.list.currentRow()
        return self._items[row] if 0 <= row < len(self._items) else None

    def select(self, item_id: str) -> None:
        ids = [i.id for i in self._items]
        self.list.setCurrentRow(ids.index(item_id))

    def _show_selected(self, *_: object) -> None:
        item = self.selected()
        for name, widget in self.inputs.items():
            value = getattr(item, name) if item else ""
            if isinstance(widget, QPlainTextEdit):
                widget.setPlainText(value)
            else:
                widget.setText(value)
            widget.setEnabled(item is not None)
        self.apply_button.setEnabled(item is not None)
        reason = self._removal_refused(item)
        self.remove_button.setEnabled(item is not None and reason is None)
        self.remove_button.setToolTip(reason or "")

    def _removal_refused(self, item) -> Optional[str]:
        """Why the engine would refuse to remove ``item`` (building an edit changes nothing)."""
        if item is None or self._project is None:
            return None
        try:
            self.kind.remove(self._project, item.id)
        except EditError as err:
            return str(err)
        return None

    # ------------------------------------------------------------------ requests

    def edited_fields(self) -> dict[str, str]:
        item = self.selected()
        if item is None:
            return {}
        return {name: _text(w) for name, w in self.inputs.items() if _text(w) != getattr(item, name)}

    def _apply(self) -> None:
        item, fields = self.selected(), self.edited_fields()
        if item is not None and fields:
            self._select_id = item.id
            self.request(lambda p, i=item.id: self.kind.edit(p, i, **fields))

    def _add(self) -> None:
        taken = {i.name.casefold() for i in self._items}
        base = f"New {self.kind.noun}"
        name = next(n for n in (base if k == 1 else f"{base} {k}" for k in range(1, 10_000))
                    if n.casefold() not in taken)
        self._select_last = True
        self.request(lambda p: self.kind.add(p, name))

    def _remove(self) -> None:
        item = self.selected()
        if item is not None:
            self.request(lambda p, i=item.id: self.kind.remove(p, i))
