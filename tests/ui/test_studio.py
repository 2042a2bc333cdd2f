"""The studio end to end, offscreen: a project from a song through editing, regenerating, rendering,
saving and reopening, with a screenshot of each state under test-output/screenshots/.  The
``loop``, ``song`` and ``window`` fixtures are in conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from mvstudio.engine import keys  # noqa: E402
from mvstudio.engine.model import check_consistency  # noqa: E402
from mvstudio.ui.document import RECOVERY_NAME, ProjectDocument  # noqa: E402

pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def shot(window, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.refresh_views()
    assert window.grab().save(str(SHOTS / f"studio_{name}.png"))


def _project(window, song, tmp_path):
    document = ProjectDocument.create(tmp_path / "night drive.mvstudio", song,
                                      prompt="lanterns over a lake", width=320, height=180)
    window.set_document(document)
    return document


def test_from_song_to_edited_rendered_saved_and_reopened(window, song, tmp_path, loop,
                                                         monkeypatch):
    shot(window, "0_welcome")
    document = _project(window, song, tmp_path)
    project = document.project

    assert loop.run_until_complete(window.runner.run("plan")) == "ok"
    assert project.analysis is not None and len(project.plan.clips) >= 3
    assert document.dirty and "•" in window.windowTitle()
    shot(window, "1_planned")

    # drag the first cut by a few frames: it snaps to a beat; then undo and redo
    beats = set(project.analysis.beat_frames())
    cut = project.plan.clips[1].start_frame
    before = [(c.start_frame, c.end_frame) for c in project.plan.clips]
    target = cut + 8  # between two beats (15 frames apart at 120 BPM): snaps to the next one
    nearest = min(beats, key=lambda b: (abs(b - target), b))
    assert window.move_cut(0, target, False)
    moved = project.plan.clips[1].start_frame
    assert moved == nearest and moved in beats and moved != cut
    after = [(c.start_frame, c.end_frame) for c in project.plan.clips]
    assert check_consistency(project) == []
    window.undo()
    assert [(c.start_frame, c.end_frame) for c in project.plan.clips] == before
    window.redo()
    assert [(c.start_frame, c.end_frame) for c in project.plan.clips] == after
    assert window.undo_action.text().startswith("&Undo")

    # split at the playhead, then merge back
    clip = project.plan.clips[0]
    window.studio.timeline.set_playhead((clip.start_frame + clip.end_frame) // 2)
    count = len(project.plan.clips)
    assert window.split_at_playhead()
    assert len(project.plan.clips) == count + 1 and check_consistency(project) == []
    window.studio.timeline.select_clip(project.plan.clips[0].id)
    assert window.merge_with_next()
    assert len(project.plan.clips) == count and check_consistency(project) == []

    # generate everything, then edit one script: only that clip goes stale
    assert loop.run_until_complete(window.runner.run("generate")) == "ok"
    assert set(window.clip_states().values()) == {"fresh"}
    shot(window, "2_generated")
    target = project.plan.clips[2]
    window.studio.timeline.select_clip(target.id)
    window.refresh_views()
    assert window.edit_script(target.id, {"visual_description": "a lantern drifts into reeds"})
    states = window.clip_states()
    assert states[target.id] == "stale"
    assert [k for k, v in states.items() if v == "stale"] == [target.id]
    shot(window, "3_one_stale")

    # regenerate it with the offline providers: only it gets new media
    assets_before = len(project.assets)
    loop.run_until_complete(window.regenerate(target.id))
    assert set(window.clip_states().values()) == {"fresh"}
    new = project.assets[assets_before:]
    assert new and {a.owner for a in new} == {target.id}

    # render the preview
    assert loop.run_until_complete(window.runner.run("render")) == "ok"
    assert window.runner.last_output.exists()
    shot(window, "4_rendered")

    # keys set in the environment never reach the project file
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-openai-123456")
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_SECRET_replicate_987654")
    assert keys.get_key("openai")
    assert window.save() and not document.dirty
    data = (document.folder / "project.db").read_bytes()
    assert b"SECRET" not in data

    # reopen: everything as it was
    snapshot = project
    folder = document.folder
    window.close_project()
    reopened = window.open_project(folder)
    assert reopened.project == snapshot
    assert not reopened.dirty
    shot(window, "5_reopened")


def test_crash_recovery_offers_the_unsaved_state(window, song, tmp_path, loop):
    document = _project(window, song, tmp_path)
    assert loop.run_until_complete(window.runner.run("plan")) == "ok"
    window.save()
    clip = document.project.plan.clips[0]
    assert window.edit_script(clip.id, {"motion": "a slow crane up"})
    assert document.autosave() is not None
    folder = document.folder
    document.store.close()  # the app dies here: no save, no clean close
    window.document = None

    recovered = window.open_project(folder)
    assert recovered.project.plan.clips[0].motion == "a slow crane up"
    assert recovered.dirty, "recovered changes are unsaved until the user saves"
    window.save()
    assert not (folder / RECOVERY_NAME).exists()


def test_closing_with_unsaved_changes_asks_first(window, song, tmp_path, loop):
    document = _project(window, song, tmp_path)
    loop.run_until_complete(window.runner.run("plan"))
    asked = []
    window.ask_save_changes = lambda: asked.append(1) or "cancel"
    window.close_project()
    assert asked and window.document is document, "cancel keeps the project open"
    window.ask_save_changes = lambda: "save"
    window.close_project()
    assert window.document is None
    assert ProjectDocument.open(document.folder).project.plan is not None


def test_plan_panel_edits_are_undoable_and_make_clips_stale(window, song, tmp_path, loop):
    from mvstudio.engine.edits import set_palette_colour

    document = _project(window, song, tmp_path)
    assert loop.run_until_complete(window.runner.run("generate")) == "ok"
    assert set(window.clip_states().values()) == {"fresh"}
    old = document.project.plan.style.palette[0]
    window.plan_panel.edit_requested.emit(lambda p: set_palette_colour(p, 0, "#123456"))
    assert document.project.plan.style.palette[0] == "#123456"
    assert set(window.clip_states().values()) == {"stale"}, "the palette is in every prompt"
    assert window.undo_action.text() == "&Undo Change palette colour"
    window.undo()
    assert document.project.plan.style.palette[0] == old
    assert set(window.clip_states().values()) == {"fresh"}
    window.plan_dock.raise_()
    shot(window, "6_plan_panel")


def test_settings_action_opens_the_dialog(window, monkeypatch):
    opened = []

    class FakeDialog:
        def exec(self):
            opened.append(True)
            return 0

    monkeypatch.setattr(window, "settings_dialog", lambda: FakeDialog())
    action = next(a for a in window.actions() if a.text() == "Se&ttings…")
    assert action.shortcut().toString() == "Ctrl+,"
    action.trigger()
    assert opened == [True]


def test_thumbnails_arrive_from_a_worker_and_show_on_the_timeline(window, song, tmp_path, loop,
                                                                  qtbot):
    document = _project(window, song, tmp_path)
    assert loop.run_until_complete(window.runner.run("generate")) == "ok"
    clip = document.project.plan.clips[0]
    studio = window.studio
    first = studio._thumbnail(clip.id)  # the first ask starts the worker (or finds it cached)
    qtbot.waitUntil(lambda: studio._thumbnail(clip.id) is not None, timeout=5000)
    pixmap = studio._thumbnail(clip.id)
    assert pixmap.height() == 96 and (first is None or first.cacheKey() == pixmap.cacheKey())
