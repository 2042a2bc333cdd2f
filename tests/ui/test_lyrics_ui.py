"""Lyrics in the app: Run > Analyse transcribes with the stored key (fake OpenAI on loopback) or
logs one skip notice without one; Analysis > Paste Lyrics… aligns or estimates, and undoes."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from fakes.openai_server import FakeOpenAI  # noqa: E402

from mvstudio.engine.analysis.lyrics import TEXT_SETTING  # noqa: E402
from mvstudio.ui.document import ProjectDocument  # noqa: E402
from mvstudio.ui.main_window import MainWindow  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture
def app(window, song, tmp_path) -> MainWindow:
    """The shared window (conftest) with a new project for the shared song."""
    window.set_document(ProjectDocument.create(tmp_path / "l.mvstudio", song, prompt="p"))
    return window


def log(window: MainWindow) -> str:
    return window.run_panel.log.toPlainText()


def words(window: MainWindow) -> list[tuple[str, float]]:
    return [(w.text, w.start) for line in window.document.project.analysis.lyrics
            for w in line.words]


def test_analyse_transcribes_with_the_stored_key(app, loop, monkeypatch):
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", fake.key)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        assert loop.run_until_complete(app.runner.run("analyse")) == "ok"
        assert len(fake.requests_to(fake.TRANSCRIPTIONS)) == 1
    project = app.document.project
    assert [ln.text for ln in project.analysis.lyrics] == ["Hello city lights.", "Shine on me."]
    assert "lyrics" not in log(app) and app.document.dirty
    dialog = app.lyrics_actions.dialog()
    assert dialog.text() == "Hello city lights.\nShine on me." and dialog.timing_mode() == "aligned"
    dialog.editor.setPlainText("Hello, city lights!\nShine on me")
    assert app.lyrics_actions.apply(dialog.text())
    assert words(app) == [("Hello,", 0.5), ("city", 0.9), ("lights!", 1.3), ("Shine", 3.0),
                             ("on", 3.4), ("me", 3.6)]
    assert project.settings[TEXT_SETTING] == "Hello, city lights!\nShine on me"
    app.undo()
    assert [ln.text for ln in project.analysis.lyrics] == ["Hello city lights.", "Shine on me."]
    assert TEXT_SETTING not in project.settings


def test_without_a_key_analyse_skips_lyrics_and_paste_estimates(app, loop, qtbot):
    assert loop.run_until_complete(app.runner.run("analyse")) == "ok"
    assert app.document.project.analysis.beats
    assert log(app).count("lyrics skipped: no OpenAI API key") == 1
    assert "error" not in log(app)
    dialog = app.lyrics_actions.dialog()
    assert dialog.text() == ""
    dialog.editor.setPlainText("first line of the song\nsecond line")
    assert dialog.timing_mode() == "estimated" and "Estimated timing" in dialog.timing.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(str(SHOTS / "lyrics_dialog_estimated.png"))
    assert app.lyrics_actions.apply(dialog.text())
    lyrics = app.document.project.analysis.lyrics
    assert [ln.text for ln in lyrics] == ["first line of the song", "second line"]
    app.refresh_views()
    assert app.studio.timeline._data.lyrics_estimated  # drawn in italics
    app.undo()
    assert app.document.project.analysis.lyrics == []


def test_the_transcription_switch_is_a_project_setting(app, loop):
    actions = app.lyrics_actions
    actions.sync()
    assert actions.transcribe.isChecked()
    actions.transcribe.trigger()  # off
    assert app.document.project.settings["lyrics"] is False and app.document.dirty
    assert loop.run_until_complete(app.runner.run("analyse")) == "ok"
    assert "transcription is off for this project" in log(app)
