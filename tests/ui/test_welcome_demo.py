"""First run: the welcome page renders the demo song in photo mode, offline."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("PySide6")

from qasync import QEventLoop  # noqa: E402

from mvstudio.engine import demo  # noqa: E402
from mvstudio.engine.render.probe import probe  # noqa: E402
from mvstudio.ui.main_window import MainWindow  # noqa: E402

pytestmark = pytest.mark.slow


def test_welcome_renders_the_demo_in_photo_mode(qtbot, qapp, tmp_path, monkeypatch):
    short = tmp_path / "demo.wav"
    demo.synthesize_demo(short, duration=12.0)
    monkeypatch.setattr(demo, "ensure_demo_song", lambda: short)  # a short demo keeps this quick
    window = MainWindow()
    window.ask_save_changes = lambda: "discard"
    qtbot.addWidget(window)
    loop = QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(window.render_demo())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    document = window.document
    assert document is not None and document.project.settings["images_dir"]
    photos = sorted(p.name for p in demo.ensure_demo_photos().glob("demo-*.jpg"))
    assert len(photos) == 8
    assert {a.provider for a in document.project.assets if a.kind == "image"} == {"photos"}
    out = window.runner.last_output
    info = probe(out)
    # the app renders a low-resolution preview of the 1920x1080 project
    assert (info.video.width, info.video.height) == (640, 360)
    assert abs(info.duration - 12.0) <= 0.1
