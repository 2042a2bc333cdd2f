"""``mvstudio smoke --out DIR``: a self-test of an installed or packaged app (hidden command).

It starts the real window (offscreen unless a display is chosen), makes the demo project from a
short demo song in photo mode, renders a small preview through the Run controller, pastes lyrics,
saves, closes and reopens the project (and takes a screenshot), exports it in every format and
reads the timeline back.
Everything it does, and every Qt message, goes to ``DIR/smoke.log``; the exit code is 0 only if
all of it worked.  ``packaging/build_linux.sh`` runs it on the frozen app.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import traceback
from pathlib import Path

LYRICS = "city lights are calling\nride into the morning"
log = logging.getLogger("mvstudio.smoke")


def _step(what: str, ok: bool, detail: str = "") -> None:
    log.info("%s %s%s", "PASS" if ok else "FAIL", what, f": {detail}" if detail else "")
    if not ok:
        raise AssertionError(f"{what} failed{': ' + detail if detail else ''}")


async def _render_demo(window, out: Path) -> Path:
    """The demo project, rendered to a short preview; returns its folder."""
    from PySide6.QtMultimedia import QMediaPlayer

    from mvstudio.engine.demo import DEMO_PROMPT, ensure_demo_photos, synthesize_demo
    from mvstudio.engine.render.probe import stream_durations

    _step("Qt multimedia backend", QMediaPlayer().isAvailable())
    _step("window icon", not window.windowIcon().isNull())
    song = out / "smoke demo.wav"
    await asyncio.to_thread(synthesize_demo, song, 8.0)
    folder = out / "Smoke Demo.mvstudio"
    document = window.new_project_for_song(song, folder, DEMO_PROMPT)
    _step("create the demo project", document is not None, str(folder))
    document.project.width, document.project.height = 640, 360
    document.project.settings["images_dir"] = str(await asyncio.to_thread(ensure_demo_photos))
    document.mark_changed("settings")
    began = time.monotonic()
    outcome = await window.runner.run("render")
    preview = window.runner.last_output
    _step("render the preview", outcome == "ok" and preview is not None and preview.is_file(),
          f"{outcome} in {time.monotonic() - began:.1f} s")
    video, audio = stream_durations(preview)
    _step("preview length", abs((video or 0) - 8.0) < 0.1, f"video {video} s, audio {audio} s")
    return folder


async def _reopen_and_export(window, out: Path, folder: Path) -> None:
    import opentimelineio as otio

    from mvstudio.engine.export import FORMATS

    _step("paste lyrics", window.lyrics_actions.apply(LYRICS))
    _step("save", window.save())
    window.close_project()
    _step("reopen the project", window.open_project(folder) is not None)
    window.studio.timeline.select_clip(window.document.project.plan.clips[1].id)
    await asyncio.sleep(1.0)  # let the views repaint and the player show a frame
    _step("screenshot", window.grab().save(str(out / "screenshot.png")))
    for fmt, (suffix, _) in FORMATS.items():
        target = out / f"smoke{suffix}"
        ok = await window.export_actions.export(fmt, target)
        _step(f"export {fmt}", ok and target.is_file() and target.stat().st_size > 0)
    timeline = otio.adapters.read_from_file(str(out / "smoke.otio"))
    clips = len(window.document.project.plan.clips)
    _step("read the timeline back", len(timeline.video_tracks()[0].find_clips()) == clips,
          f"{clips} clips")


async def _exercise(window, out: Path) -> None:
    await _reopen_and_export(window, out, await _render_demo(window, out))


def run_smoke(out: Path) -> int:
    """Run the self-test into the folder ``out``; 0 when every step passed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=[logging.FileHandler(out / "smoke.log", "w", "utf-8"),
                                  logging.StreamHandler()], force=True)
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication
    from qasync import QEventLoop

    qt_log = logging.getLogger("qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING}
    qInstallMessageHandler(lambda kind, _where, text: qt_log.log(levels.get(kind, logging.ERROR),
                                                                 "%s", text))
    app = QApplication.instance() or QApplication(["mvstudio"])
    from mvstudio.ui.app import preload_engine, set_app_identity
    from mvstudio.ui.main_window import MainWindow

    preload_engine()
    set_app_identity(app)
    window = MainWindow()
    window.ask_save_changes = lambda: "discard"
    window.show()
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            loop.run_until_complete(asyncio.wait_for(_exercise(window, out), timeout=900))
    except Exception:  # noqa: BLE001 - the report is the log
        log.error("smoke test failed:\n%s", traceback.format_exc())
        return 1
    finally:
        window.close()
    log.info("smoke test passed")
    return 0
