"""The app shell: starts and quits, starts a project from a dropped song, reports bad drops."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402

from mvstudio.ui.main_window import MainWindow  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def _wav(path: Path, seconds: float = 3.0, sr: int = 22050) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.sin(2 * np.pi * 220 * t) * 9000).astype("<i2").tobytes())
    return path


def _drop(window: MainWindow, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    window.dropEvent(QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton,
                                Qt.NoModifier))


def test_dropping_a_song_starts_a_project_beside_it(qtbot, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.pages.currentWidget() is window.welcome
    _drop(window, _wav(tmp_path / "first song.wav"))
    assert window.document is not None
    assert window.document.folder == tmp_path / "first song.mvstudio"
    assert window.pages.currentWidget() is window.studio
    assert window.windowTitle().startswith("first song")
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / "main_window_new_project.png"))


def test_dropping_an_unreadable_song_reports_it_and_opens_nothing(qtbot, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    bad = tmp_path / "notes.mp3"
    bad.write_text("not audio")
    _drop(window, bad)
    assert window.document is None
    assert "notes.mp3" in window.statusBar().currentMessage()
    assert not (tmp_path / "notes.mvstudio").exists()


RUN_APP_SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from mvstudio.ui.app import run_app
from mvstudio.ui.main_window import MainWindow

def look_and_quit():
    for w in QApplication.topLevelWidgets():
        if isinstance(w, MainWindow) and w.isVisible():
            print("TITLE", w.document.project.song.title if w.document else None, flush=True)
            w.ask_save_changes = lambda: "discard"
    QApplication.quit()

app = QApplication(sys.argv[:1])
QTimer.singleShot(500, look_and_quit)
sys.exit(run_app(sys.argv[1]))
"""


def test_run_app_opens_the_window_and_returns_when_the_app_quits(tmp_path):
    """In a process of its own: quitting the QApplication ends every later event loop."""
    import os
    import subprocess
    import sys

    song = _wav(tmp_path / "song.wav")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", RUN_APP_SCRIPT, str(song)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "TITLE song" in result.stdout
    assert (tmp_path / "song.mvstudio" / "project.db").exists()
