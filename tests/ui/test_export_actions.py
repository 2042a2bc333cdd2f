"""File > Export: every format from the menu's actions, the archive of an unsaved project, and
failures reported in the run panel."""

from __future__ import annotations

import sys
from pathlib import Path

import opentimelineio as otio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from test_export import make_store  # noqa: E402

from mvstudio.engine.export import FORMATS  # noqa: E402
from mvstudio.engine.store.project_file import open_project  # noqa: E402
from mvstudio.ui.document import ProjectDocument  # noqa: E402


def open_saved(window, tmp_path) -> ProjectDocument:
    store, _ = make_store(tmp_path)
    store.close()
    return window.open_project(store.folder)


def export_menu(window):
    file = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    return next(a.menu() for a in file.actions() if a.menu() and a.text() == "&Export")


def test_the_export_menu_writes_every_format(window, loop, tmp_path):
    menu = export_menu(window)
    assert len(menu.actions()) == len(FORMATS)
    assert not any(a.isEnabled() for a in menu.actions())  # no project yet
    open_saved(window, tmp_path)
    assert all(a.isEnabled() for a in menu.actions())
    chosen = iter([tmp_path / f"out{suffix}" for suffix, _ in FORMATS.values()])
    window.export_actions.ask_path = lambda _fmt: next(chosen)
    for action in menu.actions():
        action.trigger()
    for suffix, _ in FORMATS.values():
        loop.run_until_complete(_until(lambda s=suffix: (tmp_path / f"out{s}").is_file()))
    timeline = otio.adapters.read_from_file(str(tmp_path / "out.otio"))
    assert len(timeline.video_tracks()[0].find_clips()) == len(window.document.project.plan.clips)
    assert "exported" in window.run_panel.log.toPlainText()


async def _until(condition, timeout: float = 20.0) -> None:
    import asyncio

    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def test_archiving_unsaved_changes_asks_first(window, loop, tmp_path):
    document = open_saved(window, tmp_path)
    document.project.prompt = "a new take"
    document.mark_changed("prompt")
    assert document.dirty
    actions = window.export_actions
    out = tmp_path / "archive.zip"
    for answer, written, saved_prompt in (("cancel", False, "a night ride"),
                                          ("saved", True, "a night ride"),
                                          ("save", True, "a new take")):
        actions.ask_save_first = lambda a=answer: a
        out.unlink(missing_ok=True)
        assert loop.run_until_complete(actions.export("zip", out)) is written
        assert out.exists() is written
        with open_project(document.folder) as store:
            assert store.load().prompt == saved_prompt


def test_a_failed_export_is_reported_not_raised(window, loop, tmp_path):
    document = open_saved(window, tmp_path)
    document.project.analysis.lyrics = []
    assert not loop.run_until_complete(window.export_actions.export("srt", tmp_path / "x.srt"))
    assert "export failed: the project has no lyrics" in window.run_panel.log.toPlainText()
    assert not (tmp_path / "x.srt").exists()
