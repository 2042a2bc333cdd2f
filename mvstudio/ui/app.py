"""The QApplication with an asyncio loop inside it (qasync)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Optional

from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from mvstudio import __version__


def run_app(path: Optional[Path] = None) -> int:
    """Open the main window (optionally with a song) and run until it closes."""
    from mvstudio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MV Studio")
    app.setApplicationVersion(__version__)
    window = MainWindow()
    if path is not None:
        window.set_song(path)
    window.show()
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    return 0
