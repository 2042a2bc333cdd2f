"""The main window: pick a song and a prompt, render offline with progress, ETA and cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtWidgets import (QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QMainWindow, QPlainTextEdit, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)
from qasync import asyncSlot

from mvstudio.engine.errors import Cancelled, MVError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.render_job import RenderJob, run_render_job
from mvstudio.progress_bar import STAGE_NAMES, format_eta
from mvstudio.ui.bridge import EngineBridge

AUDIO_FILTER = "Audio (*.mp3 *.wav *.flac *.ogg *.m4a *.aac *.opus);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("MV Studio")
        self.setAcceptDrops(True)
        self.resize(760, 480)
        self._cancel: Optional[CancelToken] = None
        self.bridge = EngineBridge()
        self.bridge.stage_started.connect(self._on_stage)
        self.bridge.progress.connect(self._on_progress)
        self.bridge.stage_finished.connect(
            lambda stage, secs, msg: self._log(f"{STAGE_NAMES.get(stage, stage)} done in {secs:.1f} s"))
        self.bridge.notice.connect(lambda level, msg: self._log(f"note: {msg}"))

        self.song = QLineEdit(placeholderText="Drop a song here or choose one")
        self.prompt = QLineEdit(placeholderText="Describe the video, e.g. a neon city at night")
        self.images = QLineEdit(placeholderText="Optional: a folder of your own pictures")
        self.output = QLineEdit(placeholderText="Where to save the MP4")
        form = QFormLayout()
        form.addRow("Song", self._with_button(self.song, "Choose…", self._choose_song))
        form.addRow("Prompt", self.prompt)
        form.addRow("Pictures", self._with_button(self.images, "Choose…", self._choose_images))
        form.addRow("Output", self._with_button(self.output, "Choose…", self._choose_output))

        self.render_button = QPushButton("Render video")
        self.render_button.clicked.connect(self.render)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.stage_label = QLabel("Ready")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.logview = QPlainTextEdit(readOnly=True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.render_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)

        layout = QVBoxLayout()
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.stage_label)
        layout.addWidget(self.bar)
        layout.addWidget(self.logview, 1)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)

    def _with_button(self, edit: QLineEdit, text: str, slot) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        button = QPushButton(text)
        button.clicked.connect(slot)
        row.addWidget(button)
        return box

    # ---------------------------------------------------------------- inputs

    def set_song(self, path: Path) -> None:
        self.song.setText(str(path))
        if not self.output.text():
            self.output.setText(str(Path(path).with_suffix(".mp4")))

    def _choose_song(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a song", "", AUDIO_FILTER)
        if path:
            self.set_song(Path(path))

    def _choose_images(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder of pictures")
        if path:
            self.images.setText(path)

    def _choose_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save video as", self.output.text(), "MP4 (*.mp4)")
        if path:
            self.output.setText(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.set_song(Path(urls[0]))

    # ---------------------------------------------------------------- running

    def job(self) -> RenderJob:
        images = self.images.text().strip()
        return RenderJob(song=Path(self.song.text().strip()), prompt=self.prompt.text().strip(),
                         output=Path(self.output.text().strip()),
                         images=Path(images) if images else None)

    @asyncSlot()
    async def render(self) -> None:
        self._cancel = CancelToken()
        self.render_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setValue(0)
        try:
            summary = await run_render_job(self.job(), self.bridge, self._cancel)
            self.stage_label.setText(f"Done: {summary.output}")
            self._log(f"wrote {summary.output} ({summary.duration:.2f} s, {len(summary.clips)} clips)")
        except Cancelled:
            self.stage_label.setText("Cancelled")
        except MVError as exc:
            self.stage_label.setText(f"Failed: {exc}")
            self._log(f"error: {exc}")
        finally:
            self._cancel = None
            self.render_button.setEnabled(True)
            self.cancel_button.setEnabled(False)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
            self.stage_label.setText("Cancelling…")

    def _on_stage(self, stage: str, message: str) -> None:
        self.stage_label.setText(f"{STAGE_NAMES.get(stage, stage)} {message}".strip())
        self.bar.setValue(0)

    def _on_progress(self, stage: str, fraction: float, eta, message: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        self.stage_label.setText(f"{STAGE_NAMES.get(stage, stage)}: {fraction:.0%}  "
                                 f"ETA {format_eta(eta)}  {message}".rstrip())

    def _log(self, text: str) -> None:
        self.logview.appendPlainText(text)
