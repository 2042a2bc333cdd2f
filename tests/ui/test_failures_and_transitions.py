"""A clip that fails shows where it happened (run panel, inspector, clip lane) with a Retry that
makes only it; transitions change from the inspector and from the clip lane's menu, undoably.
Screenshots under test-output/screenshots/; ``loop``, ``song`` and ``window`` are in conftest.py."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mvstudio.engine.errors import ProviderError  # noqa: E402
from mvstudio.engine.generation.local_clips import LocalClipMaker  # noqa: E402
from mvstudio.engine.pipeline import offline_providers  # noqa: E402
from mvstudio.ui.document import ProjectDocument  # noqa: E402
from mvstudio.ui.transitions import KIND_NAMES  # noqa: E402

pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
REASON = "the video service is overloaded"
BEAT = 15  # frames per beat at 120 BPM and 30 fps


class FlakyClips(LocalClipMaker):
    """The offline animator, failing for the clips in ``broken`` (empty it to fix the provider)."""

    def __init__(self):
        super().__init__()
        self.broken: set[str] = set()
        self.made: list[str] = []

    async def generate(self, request, workdir, cancel=None, reporter=None):
        if request.owner in self.broken:
            raise ProviderError(REASON)
        self.made.append(request.owner)
        return await super().generate(request, workdir, cancel, reporter)


@pytest.fixture
def window(window, song, tmp_path, loop):
    """The window of conftest.py with a planned project of the song."""
    document = ProjectDocument.create(tmp_path / "night drive.mvstudio", song,
                                      prompt="lanterns over a lake", width=320, height=180)
    window.set_document(document)
    assert loop.run_until_complete(window.runner.run("plan")) == "ok"
    return window


def shot(window, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.refresh_views()
    QApplication.processEvents()
    assert window.grab().save(str(SHOTS / f"studio_{name}.png"))


def finish_runs(loop, window) -> None:
    """Let a run started by a button (an async slot) start and end."""
    async def idle():
        await asyncio.sleep(0.05)
        while window.runner.running:
            await asyncio.sleep(0.05)

    loop.run_until_complete(idle())


def test_a_failed_clip_is_shown_everywhere_and_retry_makes_only_it(window, loop):
    flaky = FlakyClips()
    window.runner.use_providers(lambda photos: replace(offline_providers(photos), clips=flaky))
    project = window.document.project
    bad = project.plan.clips[1]
    flaky.broken.add(bad.id)

    assert loop.run_until_complete(window.runner.run("generate")) == "failed"
    total = len(project.plan.clips)
    assert window.run_panel.stage_label.text().endswith(
        f"1 of {total} clips failed: clip 2: {REASON}")
    states = window.clip_states()
    assert states[bad.id] == "failed"
    assert {v for k, v in states.items() if k != bad.id} == {"fresh"}, "the others were made"
    window.refresh_views()
    failures = window.run_panel.failures
    assert failures.isVisibleTo(window) and failures.rows == [(bad.id, 2, REASON)]
    assert len(failures.retry_buttons()) == 1
    assert window.studio.timeline._data.clip_states[bad.id] == "failed"

    window.studio.timeline.select_clip(bad.id)
    inspector = window.inspector
    assert inspector.failure.isVisibleTo(window) and REASON in inspector.failure.text()
    assert inspector.retry_button.isVisibleTo(window)
    shot(window, "7_failed_clip")

    # Retry while the service still fails: only the failed clip is attempted, it stays failed
    flaky.made.clear()
    failures.retry_buttons()[0].click()
    finish_runs(loop, window)
    assert flaky.made == [] and window.clip_states()[bad.id] == "failed"

    # the service is back: Retry in the inspector makes that clip, and only it
    flaky.broken.clear()
    inspector.retry_button.click()
    finish_runs(loop, window)
    assert flaky.made == [bad.id]
    assert set(window.clip_states().values()) == {"fresh"}
    assert window.runner.failures == {}
    window.refresh_views()
    assert not failures.isVisibleTo(window) and not inspector.failure.isVisibleTo(window)
    assert not inspector.retry_button.isVisibleTo(window)


def _between(project, index):
    a, b = project.plan.clips[index], project.plan.clips[index + 1]
    return project.plan.transition_between(a.id, b.id)


def _look(t):
    return t.kind, t.duration_frames


def test_a_transition_changes_from_the_inspector_and_undo_restores_it(window):
    project = window.document.project
    clip = project.plan.clips[1]
    t = _between(project, 1)
    before = _look(t)
    window.studio.timeline.select_clip(clip.id)
    row = window.inspector.transition_out
    assert row.kind.currentData() == t.kind

    index = row.kind.findData("fadeblack")
    row.kind.setCurrentIndex(index)
    row.kind.activated.emit(index)  # what choosing it with the mouse sends
    first = ("fadeblack", before[1] or BEAT)
    assert _look(t) == first
    row.beats.setValue(2.0)
    assert _look(t) == ("fadeblack", 2 * BEAT)
    window.refresh_views()
    assert row.length.text() == "30 f · 1000 ms" and row.beats.value() == 2.0
    shot(window, "8_transition_controls")

    row.beats.setValue(row.beats.maximum())  # more than the clips hold: refused, in the status bar
    assert _look(t) == ("fadeblack", 2 * BEAT)
    assert "longer than the clips beside it can hold" in window.statusBar().currentMessage()
    window.refresh_views()
    assert row.beats.value() == 2.0

    window.undo()
    assert _look(t) == first
    window.undo()
    assert _look(t) == before
    window.refresh_views()
    assert row.kind.currentData() == before[0]


def test_a_transition_changes_from_the_clip_lane_menu_and_undo_restores_it(window, qtbot):
    project = window.document.project
    t = _between(project, 0)
    before = _look(t)
    timeline = window.studio.timeline
    lane = timeline.lanes["clips"]
    cut = project.plan.clips[1].start_frame / project.fps
    timeline.zoom_to(cut - 3, cut + 3)
    qtbot.wait(50)

    def menu_at(seconds):
        lane.menu = None
        QTest.mouseClick(timeline.canvas.viewport(), Qt.MouseButton.RightButton,
                         Qt.KeyboardModifier.NoModifier, timeline.lane_point("clips", seconds))
        assert lane.menu is not None, "a right-click on the cut opens its menu"
        return {a.text(): a for a in lane.menu.actions() if a.text() and not a.isSeparator()}

    actions = menu_at(cut + 0.02)  # a few pixels off the cut
    assert [text for text, a in actions.items() if a.isChecked()][0] == KIND_NAMES[before[0]]
    lengths = list(actions)[-3:]  # ½ beat is 7 or 8 frames: the measured beat is near 15 frames
    assert [text.split("  (")[0] for text in lengths] == ["½ beat", "1 beat", "2 beats"]
    assert lengths[1:] == ["1 beat  (15 f · 500 ms)", "2 beats  (30 f · 1000 ms)"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert lane.menu.grab().save(str(SHOTS / "studio_9_transition_menu.png"))
    actions["Fade to white"].trigger()
    lane.menu.close()
    first = ("fadewhite", before[1] or BEAT)
    assert _look(t) == first

    window.refresh_views()
    qtbot.wait(50)
    actions = menu_at(cut + 0.1)  # on the marker, now wider
    assert actions["Fade to white"].isChecked()
    actions["2 beats  (30 f · 1000 ms)"].trigger()
    lane.menu.close()
    assert _look(t) == ("fadewhite", 2 * BEAT)

    window.undo()
    assert _look(t) == first
    window.undo()
    assert _look(t) == before


def test_the_run_panel_shows_what_the_project_spent_against_the_budget(window, song, tmp_path):
    from mvstudio.engine.planning.spend import Spend
    from mvstudio.engine.settings import Settings, save_settings
    from mvstudio.engine.store.ledger import record_spend

    save_settings(Settings(budget_cap_usd=12.5))
    window.runner.settings_changed()  # as the Settings dialog does when it saves
    document = window.new_project_for_song(song, tmp_path / "spend.mvstudio")
    window.refresh_views()
    assert window.run_panel.cost_label.text() == "Cost: $0.00 of $12.50 budget"
    record_spend(document.store.db, Spend("plan", "openai", "gpt-4o-mini", 0.0021))
    window.refresh_views()
    assert window.run_panel.cost_label.text() == "Cost: <$0.01 of $12.50 budget"
    record_spend(document.store.db, Spend("clips", "replicate", "seedance", 1.5))
    window.refresh_views()
    assert window.run_panel.cost_label.text() == "Cost: $1.50 of $12.50 budget"
