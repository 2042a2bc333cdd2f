"""Re-plan keeps the clips the user locked or edited; the prompt preview follows the typing."""

from __future__ import annotations

import dataclasses


def _planned(window, song, tmp_path, loop):
    document = window.new_project_for_song(song, tmp_path / "replan.mvstudio", "lanterns")
    assert loop.run_until_complete(window.runner.run("plan")) == "ok"
    return document


def test_replan_keeps_locked_and_edited_clips_and_changes_the_rest(window, song, tmp_path, loop):
    document = _planned(window, song, tmp_path, loop)
    plan = document.project.plan
    locked, edited = plan.clips[0], plan.clips[-1]
    assert window.set_locked(locked.id, True)
    assert window.edit_script(edited.id, {"visual_description": "a paper boat at dawn"})
    before = {c.id: dataclasses.asdict(c) for c in (locked, edited)}
    seeds_before = {c.id: c.seed for c in plan.clips}

    loop.run_until_complete(window.run_action("replan"))

    after = document.project.plan
    assert after is not plan and after.basis == plan.basis
    for clip_id, fields in before.items():
        assert dataclasses.asdict(after.clip(clip_id)) == fields
    others = [c for c in after.clips if c.id not in before]
    assert others and any(c.seed != seeds_before.get(c.id) for c in others)


def test_the_prompt_preview_follows_the_script_as_it_is_typed(window, song, tmp_path, loop):
    document = _planned(window, song, tmp_path, loop)
    clip = document.project.plan.clips[1]
    window.inspector.show_clip(document.project, clip)
    window.inspector.fields["motion"].setText("a slow spiral upwards")
    assert "a slow spiral upwards" in window.inspector.prompt.toPlainText()
    assert clip.motion != "a slow spiral upwards"  # nothing applied until Apply
