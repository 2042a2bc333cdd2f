"""Fixtures the studio's UI tests share: a qasync loop to await runs on, a short synthesized song
and a shown window whose questions are answered without dialogs."""

from __future__ import annotations

import asyncio

import pytest


@pytest.fixture
def loop(qapp):
    from qasync import QEventLoop

    loop = QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    from mvstudio.engine.demo import synthesize_demo

    path = tmp_path_factory.mktemp("song") / "night drive.wav"
    synthesize_demo(path, duration=20.0, bpm=120.0)
    return path


@pytest.fixture
def window(qtbot):
    from mvstudio.ui.main_window import MainWindow

    w = MainWindow()
    w.ask_save_changes = lambda: "discard"
    w.ask_recover = lambda _when: True
    qtbot.addWidget(w)
    w.show()
    return w
