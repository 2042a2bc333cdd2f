"""Render Video: where the video goes and how it looks (``engine.render.options.RenderOptions``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QSpinBox)

from mvstudio.engine.render.options import ASPECTS, RenderOptions

ASPECT_CHOICES = [("Project size", None)] + [(f"{k}  ({w}x{h})", k) for k, (w, h) in ASPECTS.items()]
FIT_CHOICES = [("Crop to fill", "crop"), ("Pad (black bars)", "pad")]
CAPTION_CHOICES = [("Off", "off"), ("Sidecar files (SRT/VTT)", "sidecar"),
                   ("Burned in (and sidecars)", "burn")]


def _combo(choices, current) -> QComboBox:
    box = QComboBox()
    for label, value in choices:
        box.addItem(label, value)
    box.setCurrentIndex(max(box.findData(current), 0))
    return box


class RenderDialog(QDialog):
    """Asks for the output file and the ``RenderOptions`` of a full-size render."""

    def __init__(self, output: Path, options: RenderOptions = RenderOptions(), parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Render Video")
        self.output = QLineEdit(str(output))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.output, 1)
        row.addWidget(browse)
        self.aspect = _combo(ASPECT_CHOICES, options.aspect)
        self.fit = _combo(FIT_CHOICES, options.fit)
        self.crf = QSpinBox(minimum=0, maximum=51, value=options.crf)
        self.crf.setToolTip("x264 CRF: lower is better quality and a bigger file (18-23 is usual)")
        self.captions = _combo(CAPTION_CHOICES, options.captions)
        self.audio_fade = QDoubleSpinBox(minimum=0.0, maximum=10.0, singleStep=0.5, suffix=" s",
                                         value=options.audio_fade)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Render", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Output file", row)
        form.addRow("Aspect ratio", self.aspect)
        form.addRow("Fit", self.fit)
        form.addRow("Quality (CRF)", self.crf)
        form.addRow("Lyric captions", self.captions)
        form.addRow("Audio fade in/out", self.audio_fade)
        form.addRow(buttons)
        self.setMinimumWidth(520)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Render video to", self.output.text(),
                                              "MP4 video (*.mp4)")
        if path:
            self.output.setText(path)

    def choice(self) -> tuple[Path, RenderOptions]:
        """The output file (``.mp4`` added when missing) and the options chosen."""
        path = Path(self.output.text().strip())
        options = RenderOptions(aspect=self.aspect.currentData(), fit=self.fit.currentData(),
                                crf=self.crf.value(), captions=self.captions.currentData(),
                                audio_fade=round(self.audio_fade.value(), 2))
        return (path if path.suffix.lower() == ".mp4" else path.with_name(path.name + ".mp4")), options
