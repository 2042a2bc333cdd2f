"""The app window: builds offscreen, takes a dropped song, reports a bad input in place."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402
from qasync import QEventLoop  # noqa: E402

from mvstudio.ui.main_window import MainWindow  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def test_window_accepts_a_dropped_song_and_shows_an_error_in_place(qtbot, qapp, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    song = tmp_path / "missing-song.mp3"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(song))])
    drop = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(drop)
    assert window.song.text() == str(song)
    assert window.output.text() == str(song.with_suffix(".mp4"))
    window.prompt.setText("a night drive")

    loop = QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_click(window))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    assert "missing-song.mp3" in window.stage_label.text()
    assert window.render_button.isEnabled() and not window.cancel_button.isEnabled()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / "main_window_error.png"))


async def _click(window):
    window.render_button.click()
    for _ in range(200):
        await asyncio.sleep(0.01)
        if "Failed" in window.stage_label.text():
            return


def test_run_app_opens_the_window_and_returns_when_the_app_quits(qapp, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from mvstudio.ui.app import run_app
    from mvstudio.ui.main_window import MainWindow

    seen = []

    def look_and_quit():
        seen.extend(w for w in QApplication.topLevelWidgets()
                    if isinstance(w, MainWindow) and w.isVisible())
        QApplication.quit()

    QTimer.singleShot(300, look_and_quit)
    assert run_app(tmp_path / "song.wav") == 0
    assert seen and seen[0].song.text().endswith("song.wav")
    asyncio.set_event_loop(None)
