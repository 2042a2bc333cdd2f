"""Paste Lyrics: the song's lyrics as text, one lyric line per line, and how Apply will time them.

The box starts with the lyrics the user pasted before, else the transcribed lines.  Apply times
the text by the transcribed words; without a transcription (no OpenAI key, offline) the lines are
spread over the sung sections, which the dialog says plainly: that timing is only an estimate.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout)

from mvstudio.engine.analysis.lyrics import TEXT_SETTING, lyrics_timing
from mvstudio.engine.model import Project
from mvstudio.ui.timeline import theme

TIMING_NOTES = {
    "aligned": ("Timed by the transcription: each word gets the time it was sung.", theme.TEXT_DIM),
    "estimated": ("Estimated timing: {why}, so the lines are spread evenly over the sung sections "
                  "(not intro, outro or instrumental). Add an OpenAI key in Settings and Analyse "
                  "again to time them by the singing.", theme.ENERGY),
    "heard": ("Empty: the lyrics go back to what was transcribed{none}.", theme.TEXT_DIM),
}


class LyricsDialog(QDialog):
    def __init__(self, project: Project, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Paste Lyrics")
        self.resize(520, 480)
        self.analysis = project.analysis
        pasted = project.settings.get(TEXT_SETTING, "")
        self.editor = QPlainTextEdit(pasted or "\n".join(ln.text for ln in self.analysis.lyrics))
        self.editor.setPlaceholderText("Paste the lyrics here, one line per sung line")
        self.editor.textChanged.connect(self._show_timing)
        self.timing = QLabel(wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("One lyric line per line; a blank line is just a pause.",
                                wordWrap=True))
        for widget in (self.editor, self.timing, buttons):
            layout.addWidget(widget)
        self._show_timing()

    def text(self) -> str:
        return self.editor.toPlainText()

    def timing_mode(self) -> str:
        """How Apply times the text: "aligned", "estimated" or "heard" (empty text)."""
        return lyrics_timing(self.analysis, self.text())

    def _show_timing(self) -> None:
        mode = self.timing_mode()
        note, colour = TIMING_NOTES[mode]
        why = ("no singing was heard in the transcription" if self.analysis.transcript == []
               else "the song has not been transcribed")
        self.timing.setText(note.format(why=why, none="" if self.analysis.transcript else
                                        " (nothing yet)"))
        self.timing.setStyleSheet(f"color: {colour.name()};")
