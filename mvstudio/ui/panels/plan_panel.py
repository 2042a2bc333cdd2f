"""The plan panel: a "Plan" tab (where the plan came from, its summary, characters, scenes and
style guide) and a "Stills" tab (``gallery.StillsGallery``).

It never changes the project: every change is emitted as ``edit_requested(builder)`` with
``builder(project) -> Edit`` (what ``MainWindow.push`` takes); ``show_project`` shows the result.
The colour and picture pickers are injected (``pick_colour(initial_hex, parent) -> hex or None``,
``pick_picture(parent) -> path or None``) so that tests need no modal dialog.  Everything wraps
to the dock's width: the panel only ever scrolls vertically.
"""

from __future__ import annotations

import copy
from typing import Callable, Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QColorDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QMenu,
                               QPushButton, QTabWidget, QToolButton, QVBoxLayout, QWidget)

from mvstudio.engine.edits import (MAX_PALETTE_COLOURS, add_character, add_scene, edit_character,
                                   edit_scene, edit_style, remove_character, remove_scene,
                                   set_palette_colour)
from mvstudio.engine.model import Plan, Project, StyleGuide
from mvstudio.ui.panels.fitting import FlowLayout, dim_label, fitting_form, vertical_scroll
from mvstudio.ui.panels.gallery import PickPicture, StillsGallery, pick_picture_dialog
from mvstudio.ui.panels.plan_entries import Builder, EntryEditor, EntryKind
from mvstudio.ui.timeline import theme

ORIGINS = {"rules": "Planned offline by the rule-based director",
           "llm": "Planned by the language-model director", "user": "Planned by you"}
STYLE_TEXT = (("visual_style", "Visual style"), ("mood", "Mood"), ("lighting", "Lighting"),
              ("cinematography", "Cinematography"))
STALE_HINT = ("Visual style, lighting, keywords and palette go into every clip's prompt: "
              "changing them makes every clip stale.")
CHARACTERS = EntryKind("characters", "character",
                       (("name", "Name"), ("description", "Description"), ("role", "Role")),
                       edit_character, add_character, remove_character)
SCENES = EntryKind("scenes", "scene",
                   (("name", "Name"), ("description", "Description"),
                    ("time_of_day", "Time of day"), ("music_prompt", "Music")),
                   edit_scene, add_scene, remove_scene)

PickColour = Callable[[str, QWidget], Optional[str]]


def pick_colour_dialog(initial: str, parent: QWidget) -> Optional[str]:
    """Ask with ``QColorDialog``; ``#RRGGBB`` or None when cancelled."""
    chosen = QColorDialog.getColor(QColor(initial), parent, "Palette colour")
    return chosen.name().upper() if chosen.isValid() else None


def keywords_from_text(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


class StyleEditor(QGroupBox):
    """The style guide: text fields, keywords, and the palette as clickable swatches."""

    def __init__(self, request: Callable[[Builder], None], pick_colour: PickColour, parent=None):
        super().__init__("Style guide", parent)
        self.request, self.pick_colour = request, pick_colour
        self._style = StyleGuide()
        self.inputs = {name: QLineEdit() for name, _ in STYLE_TEXT}
        self.keywords = QLineEdit(placeholderText="comma-separated, e.g. neon, rain, film grain")
        self.swatches: list[QToolButton] = []
        self.swatch_row = FlowLayout(spacing=4)  # wraps: up to 12 colours in a narrow dock
        self.add_colour_button = QToolButton(text="+", toolTip="Add a colour to the palette")
        self.add_colour_button.setFixedSize(28, 28)
        self.add_colour_button.clicked.connect(self._add_colour)
        self.swatch_row.addWidget(self.add_colour_button)
        self.apply_button = QPushButton("Apply")
        self.apply_button.clicked.connect(self._apply)
        form = fitting_form()
        for name, label in STYLE_TEXT:
            form.addRow(label, self.inputs[name])
        form.addRow("Keywords", self.keywords)
        form.addRow("Palette", self.swatch_row)
        apply_row = QHBoxLayout()
        apply_row.addWidget(dim_label(STALE_HINT), 1)
        apply_row.addWidget(self.apply_button, 0, Qt.AlignBottom)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(apply_row)

    def show_style(self, style: StyleGuide) -> None:
        self._style = copy.deepcopy(style)
        for name, widget in self.inputs.items():
            widget.setText(getattr(style, name))
        self.keywords.setText(", ".join(style.keywords))
        for swatch in self.swatches:
            self.swatch_row.removeWidget(swatch)
            swatch.deleteLater()
        self.swatches = [self._swatch(i, c) for i, c in enumerate(style.palette)]
        self.swatch_row.removeWidget(self.add_colour_button)  # "+" stays last
        for swatch in [*self.swatches, self.add_colour_button]:
            self.swatch_row.addWidget(swatch)
        self.add_colour_button.setEnabled(len(style.palette) < MAX_PALETTE_COLOURS)

    def _swatch(self, index: int, colour: str) -> QToolButton:
        swatch = QToolButton(toolTip=f"{colour}: click to change, right-click to remove")
        swatch.setObjectName(f"swatch-{index}")
        swatch.setFixedSize(28, 28)
        swatch.setCursor(Qt.PointingHandCursor)
        swatch.setStyleSheet(f"QToolButton {{ background: {colour}; border: 1px solid "
                             f"{theme.GRID.name()}; border-radius: 4px; }} QToolButton:hover "
                             f"{{ border: 2px solid {theme.ACCENT.name()}; }}")
        swatch.clicked.connect(lambda _=False, i=index: self.change_colour(i))
        swatch.setContextMenuPolicy(Qt.CustomContextMenu)
        swatch.customContextMenuRequested.connect(
            lambda pos, i=index, s=swatch: self._swatch_menu(i, s.mapToGlobal(pos)))
        return swatch

    def _swatch_menu(self, index: int, at) -> None:
        menu = QMenu(self)
        menu.addAction("Remove colour", lambda: self.remove_colour(index))
        menu.exec(at)

    def change_colour(self, index: int) -> None:
        chosen = self.pick_colour(self._style.palette[index], self)
        if chosen:
            self.request(lambda p: set_palette_colour(p, index, chosen))

    def remove_colour(self, index: int) -> None:
        palette = [c for i, c in enumerate(self._style.palette) if i != index]
        self.request(lambda p: edit_style(p, palette=palette))

    def _add_colour(self) -> None:
        last = self._style.palette[-1] if self._style.palette else theme.ACCENT.name()
        chosen = self.pick_colour(last, self)
        if chosen:
            palette = [*self._style.palette, chosen]
            self.request(lambda p: edit_style(p, palette=palette))

    def edited_fields(self) -> dict:
        fields = {name: w.text() for name, w in self.inputs.items()
                  if w.text() != getattr(self._style, name)}
        keywords = keywords_from_text(self.keywords.text())
        if keywords != self._style.keywords:
            fields["keywords"] = keywords
        return fields

    def _apply(self) -> None:
        fields = self.edited_fields()
        if fields:
            self.request(lambda p: edit_style(p, **fields))


class PlanPanel(QWidget):
    edit_requested = Signal(object)  # builder: Callable[[Project], Edit]

    def __init__(self, parent=None, pick_colour: PickColour = pick_colour_dialog,
                 pick_picture: PickPicture = pick_picture_dialog):
        super().__init__(parent)
        self._shown: object = None
        self.empty = dim_label("No plan yet: run Plan (Ctrl+2) to have the director write one.")
        self.origin = QLabel()
        self.origin.setObjectName("plan-origin")
        self.origin.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet(f"color: {theme.ENERGY.name()};")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.characters = EntryEditor("Characters", CHARACTERS, self.edit_requested.emit)
        self.scenes = EntryEditor("Scenes", SCENES, self.edit_requested.emit)
        self.style_editor = StyleEditor(self.edit_requested.emit, pick_colour)
        self.gallery = StillsGallery(pick_picture=pick_picture)
        self.gallery.edit_requested.connect(self.edit_requested)

        body = QWidget()
        self.sections = QWidget()
        sections = QVBoxLayout(self.sections)
        sections.setContentsMargins(0, 0, 0, 0)
        for widget in (self.origin, self.notes, self.summary, self.characters, self.scenes,
                       self.style_editor):
            sections.addWidget(widget)
        layout = QVBoxLayout(body)
        layout.addWidget(self.empty)
        layout.addWidget(self.sections)
        layout.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(vertical_scroll(body), "Plan")
        self.tabs.addTab(self.gallery, "Stills")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.tabs)
        self.show_project(None)

    def show_project(self, project: Optional[Project]) -> None:
        """Show ``project``'s plan; a refresh with nothing changed keeps what the user is typing."""
        plan = project.plan if project else None
        shown = _snapshot(plan)
        if shown == self._shown and plan is not None:
            return
        self._shown = shown
        self.empty.setVisible(plan is None)
        self.sections.setVisible(plan is not None)
        if plan is None:
            return
        self.origin.setText(f"<b>{ORIGINS.get(plan.origin, plan.origin)}</b>")
        self.notes.setText("\n".join(f"⚠ {n}" for n in plan.notes))
        self.notes.setVisible(bool(plan.notes))
        self.summary.setText(plan.summary or "(no summary)")
        self.characters.show_plan(project, plan)
        self.scenes.show_plan(project, plan)
        self.style_editor.show_style(plan.style)


def _snapshot(plan: Optional[Plan]) -> object:
    """What the panel shows of ``plan``, to tell whether a refresh has anything new."""
    if plan is None:
        return None
    uses = [(c.characters, c.scenes) for c in plan.clips]
    return copy.deepcopy((plan.id, plan.origin, plan.notes, plan.summary, plan.characters,
                          plan.scenes, plan.style, uses))
