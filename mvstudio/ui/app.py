"""The QApplication with an asyncio loop inside it (qasync)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Optional

from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from mvstudio import __version__


def preload_engine() -> None:
    """Import the heavy engine modules (librosa, numba, SciPy, Pillow) and find the keyring
    backend before the window shows.

    Imported later, from a worker thread, they would hold the interpreter for seconds (PySide's
    import hook reads each new module's source), freezing the window mid-job; the keyring's
    backend search (plugin imports, ~75 ms) would stall the first run."""
    import importlib

    from mvstudio.engine.keys import keyring_status

    for name in ("mvstudio.engine.pipeline", "mvstudio.engine.analysis.beats",
                 "mvstudio.engine.analysis.sections", "mvstudio.engine.analysis.features",
                 "mvstudio.engine.render.compose", "mvstudio.engine.edits", "librosa.beat",
                 "librosa.segment", "PIL.PngImagePlugin", "PIL.JpegImagePlugin"):
        importlib.import_module(name)
    keyring_status()


def set_app_identity(app: QApplication) -> None:
    """The window icon, and the desktop entry the window belongs to (``packaging/linux``)."""
    from PySide6.QtGui import QIcon

    from mvstudio.engine.resources import resources_dir

    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256, 512):
        icon.addFile(str(resources_dir() / "icons" / f"mvstudio-{size}.png"))
    app.setWindowIcon(icon)
    app.setDesktopFileName("org.mvstudio.MVStudio")


def run_app(path: Optional[Path] = None) -> int:
    """Open the main window (optionally with a song) and run until it closes."""
    from mvstudio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    preload_engine()
    app.setApplicationName("MV Studio")
    app.setApplicationVersion(__version__)
    set_app_identity(app)
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
