"""New Project from Prompt: a video with no song, planned from the prompt alone.

The user gives the prompt, the video's length and a template (or lets the prompt choose one); the
dialog shows the story it will get as they type (template, tempo, story beats), from the same
``compose_story`` the project is then made with, and who makes its soundtrack: offline and free,
or (with a Replicate token, unless the user unticks it) MusicGen on Replicate with its estimate
for the chosen length, from the same ``prompt_job.quote_soundtrack`` the run is priced with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QLabel, QPlainTextEdit, QSpinBox, QVBoxLayout)

from mvstudio.engine.errors import MVError
from mvstudio.engine.planning.story import (MAX_DURATION_S, MIN_DURATION_S, Story, compose_story,
                                            story_beats)
from mvstudio.engine.prompt_job import cloud_soundtrack, offline_soundtrack, quote_soundtrack
from mvstudio.engine.settings import load_settings
from mvstudio.ui.timeline import theme

DEFAULT_SECONDS = 30
GUESS = "Guess from the prompt"


@dataclass(frozen=True)
class PromptRequest:
    prompt: str
    duration: float
    template: Optional[str]  # None: guessed from the prompt
    cloud: bool = False  # the soundtrack by MusicGen on Replicate (paid), not offline


class PromptProjectDialog(QDialog):
    """``cap``: the user's budget cap (default: from Settings)."""

    def __init__(self, parent=None, cap: Optional[float] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New Project from Prompt")
        self.resize(560, 360)
        self.cap = load_settings().budget_cap_usd if cap is None else cap
        self.music = cloud_soundtrack()  # None: no Replicate token
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Describe the video, e.g. a 30-second ad for a trail "
                                       "running shoe, energetic, sunrise in the mountains")
        self.duration = QSpinBox(minimum=int(MIN_DURATION_S), maximum=int(MAX_DURATION_S),
                                 value=DEFAULT_SECONDS, suffix=" s", maximumWidth=120)
        self.template = QComboBox()
        self.template.addItem(GUESS, None)
        for key, info in story_beats()["templates"].items():
            self.template.addItem(f"{info['name']}: {info['about']}", key)
        self.cloud = QCheckBox("Make it with MusicGen on Replicate (paid)",
                               checked=self.music is not None, enabled=self.music is not None)
        if self.music is None:
            self.cloud.setToolTip("Add a Replicate token in Settings to use MusicGen")
        self.story = QLabel(wordWrap=True)
        self.soundtrack = QLabel(wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Length", self.duration)
        form.addRow("Template", self.template)
        form.addRow("Soundtrack", self.cloud)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("No song needed: MV Studio plans the video from story beats and "
                                "makes a soundtrack for it, which becomes the project's song.",
                                wordWrap=True))
        layout.addWidget(self.prompt, 1)
        layout.addLayout(form)
        layout.addWidget(self.story)
        layout.addWidget(self.soundtrack)
        layout.addWidget(self.buttons)
        self.prompt.textChanged.connect(self._show_story)
        self.duration.valueChanged.connect(self._show_story)
        self.template.currentIndexChanged.connect(self._show_story)
        self.cloud.toggled.connect(self._show_story)
        self._show_story()

    def request(self) -> PromptRequest:
        return PromptRequest(self.prompt.toPlainText().strip(), float(self.duration.value()),
                             self.template.currentData(), self.cloud.isChecked())

    def _show_story(self) -> None:
        """What the video will be, or why it cannot be made yet (Create is off then)."""
        asked = self.request()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            story = compose_story(asked.prompt, asked.duration, template=asked.template)
        except MVError as exc:
            self.story.setText(str(exc).capitalize() + ".")
            self.story.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
            self.soundtrack.clear()
            ok.setEnabled(False)
            return
        info = story_beats()
        names = ", ".join(info["beats"][p.beat]["name"].lower() for p in story.parts)
        genre = f"{story.genre}, " if story.genre else ""
        self.story.setText(f"{info['templates'][story.template]['name']}: {len(story.parts)} "
                           f"story beats ({names}); soundtrack: {genre}{story.mood}, "
                           f"{story.bpm:g} BPM.")
        self.story.setStyleSheet("")
        ok.setEnabled(self._show_soundtrack(story, asked.cloud))

    def _show_soundtrack(self, story: Story, cloud: bool) -> bool:
        """Who makes the soundtrack and what it costs; False when it cannot fit the cap."""
        maker = self.music if cloud and self.music is not None else offline_soundtrack(story)
        quote = quote_soundtrack(maker, story)
        fits = quote.fits(self.cap)
        self.soundtrack.setText(f"Soundtrack maker: {quote.describe(self.cap)}."
                                + ("" if fits else " That is more than the cap allows: raise it "
                                   "in Settings or make the soundtrack offline."))
        return fits
