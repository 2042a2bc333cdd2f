"""New Project from Prompt: the dialog, and a project whose song is a soundtrack made for it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QApplication, QDialogButtonBox  # noqa: E402

from mvstudio.engine.analysis.audio_io import probe_audio  # noqa: E402
from mvstudio.ui.dialogs.prompt_project import PromptProjectDialog, PromptRequest  # noqa: E402
from mvstudio.ui.style import apply_dark_theme  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PROMPT = "A 20-second ad for a trail running shoe, energetic, sunrise in the mountains"


def test_the_dialog_previews_the_story_and_needs_a_prompt(qtbot):
    apply_dark_theme(QApplication.instance())  # as in the app
    dialog = PromptProjectDialog()
    qtbot.addWidget(dialog)
    create = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not create.isEnabled() and "prompt" in dialog.story.text()
    dialog.prompt.setPlainText(PROMPT)
    dialog.duration.setValue(20)
    assert create.isEnabled()
    assert dialog.story.text().startswith("Ad: 6 story beats (hook, problem, reveal")
    assert dialog.soundtrack.text() == "Soundtrack maker: offline, free."  # no Replicate token
    assert not dialog.cloud.isEnabled() and not dialog.cloud.isChecked()
    assert "128 BPM" in dialog.story.text()
    dialog.template.setCurrentIndex(dialog.template.findData("mood"))
    assert dialog.story.text().startswith("Mood piece:")
    assert dialog.request() == PromptRequest(PROMPT, 20.0, "mood")
    dialog.show()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "prompt_project_dialog.png"))


def test_a_project_from_a_prompt_has_the_soundtrack_as_song_and_the_story_as_plan(
        window, loop, tmp_path):
    actions = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "New Project from &Prompt…" in actions
    window.ask_prompt_project = lambda: PromptRequest(PROMPT, 20.0, None)
    loop.run_until_complete(window.new_project_from_prompt_dialog())
    document = window.document
    assert document is not None and document.dirty
    project = document.project
    assert abs(probe_audio(document.store.media.path(project.song.media)).duration - 20) < 0.05
    assert project.settings["story"]["template"] == "ad"
    plan = project.plan
    assert plan is not None and plan.summary.startswith("Ad, 6 story beats")
    assert [s.name for s in plan.scenes][0] == "1. Hook"
    assert all(s.music_prompt for s in plan.scenes)
    assert set(plan.cut_frames()) <= set(project.analysis.beat_frames())
    assert window.pages.currentWidget() is window.studio
