"""Timeline edits: apply, check consistency, revert, compare, apply again, compare."""

import copy
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mvstudio.engine.edits import (BEAT_INTENSITIES, MIN_CLIP_SECONDS, CompositeEdit, Edit,
                                   EditError, NoChange, cut_range, edit_script, merge_with_next,
                                   move_cut, move_section_boundary, preview_cut, relabel_section,
                                   set_locked, set_transition, split_clip)
from mvstudio.engine.model import (SECTION_LABELS, TRANSITION_KINDS, Asset, Project,
                                   check_consistency)
from mvstudio.engine.pipeline import Pipeline, offline_providers
from mvstudio.engine.planning.prompts import build_prompt
from mvstudio.engine.planning.rules import plan_from_rules
from mvstudio.engine.render.commands import validate_timeline
from mvstudio.engine.render.compose import plan_timeline
from mvstudio.engine.snapping import SnapGrid, Snapper
from test_planning_rules import make_analysis

MIN_FRAMES = round(MIN_CLIP_SECONDS * 30)


def make_project() -> Project:
    """A rule-planned project over a realistic analysis, with crossfades on every third cut."""
    analysis = make_analysis(80.0, 135.0, 0.1, "dark", 4)
    plan = plan_from_rules(analysis, "a lighthouse keeper waits for the storm", seed=4)
    for t in plan.transitions[1:-1:3]:
        t.kind, t.duration_frames = "crossfade", 24
    assets = [Asset("image", c.id, f"{i}.png", f"hash{i}") for i, c in enumerate(plan.clips)]
    return Project(name="edits", analysis=analysis, plan=plan, assets=assets)


@pytest.fixture
def project() -> Project:
    return make_project()


def snapper_for(project: Project) -> Snapper:
    return Snapper(SnapGrid.from_analysis(project.analysis))


def assert_sound(project: Project) -> None:
    """Consistent, and a timeline the renderer accepts (every transition fits its clips)."""
    assert check_consistency(project) == []
    sources = {c.id: Path(f"{c.id}.mp4") for c in project.plan.clips}
    segments, cuts, _, _ = plan_timeline(project.plan, sources)
    validate_timeline(segments, cuts, project.analysis.end_frame)


def round_trip(project: Project, edit: Edit) -> Project:
    """Apply, check, revert, compare, apply again, compare; returns the state after the edit."""
    before = copy.deepcopy(project)
    edit.apply(project)
    assert_sound(project)
    after = copy.deepcopy(project)
    assert after != before
    edit.revert(project)
    assert project == before
    edit.apply(project)
    assert project == after
    return after


def clip_ids(project: Project) -> list[str]:
    return [c.id for c in project.plan.clips]


def crossfade_cut(project: Project) -> int:
    """Index of the first cut with a crossfade."""
    return next(i for i, (a, b) in enumerate(zip(project.plan.clips, project.plan.clips[1:]))
                if project.plan.transition_between(a.id, b.id).kind == "crossfade")


BUILDERS = {
    "move cut": lambda p: move_cut(p, 3, p.plan.clips[3].end_frame - 37),
    "move cut snapped": lambda p: move_cut(p, 4, p.plan.clips[4].end_frame + 41,
                                           snapper=snapper_for(p)),
    "move cut onto a crossfade": lambda p: move_cut(p, crossfade_cut(p),
                                                    p.plan.clips[crossfade_cut(p)].start_frame + 5),
    "split": lambda p: split_clip(p, p.plan.clips[2].id, p.plan.clips[2].start_frame + 50),
    "split snapped": lambda p: split_clip(p, p.plan.clips[5].id, p.plan.clips[5].start_frame + 61,
                                          snapper=snapper_for(p)),
    "split the last clip": lambda p: split_clip(p, p.plan.clips[-1].id,
                                                p.plan.clips[-1].end_frame - 40),
    "merge": lambda p: merge_with_next(p, p.plan.clips[crossfade_cut(p)].id),
    "merge the last two": lambda p: merge_with_next(p, p.plan.clips[-2].id),
    "transition": lambda p: set_transition(p, p.plan.transitions[2].id, "dissolve", 20),
    "transition kind only": lambda p: set_transition(p, p.plan.transitions[1].id, "wipeleft", 24),
    "opening fade": lambda p: set_transition(p, p.plan.transitions[0].id, "cut", 0),
    "script": lambda p: edit_script(p, p.plan.clips[6].id, visual_description="a red kite",
                                    camera="slow crane up", seed=99),
    "lock": lambda p: set_locked(p, p.plan.clips[1].id, True),
    "relabel": lambda p: relabel_section(p, p.analysis.sections[1].id, "bridge"),
    "section boundary": lambda p: move_section_boundary(p, 2, p.analysis.sections[2].start - 3.5),
    "composite": lambda p: CompositeEdit.build(
        p, "Split and move", lambda q: split_clip(q, q.plan.clips[2].id,
                                                  q.plan.clips[2].start_frame + 60),
        lambda q: move_cut(q, 2, q.plan.clips[3].start_frame - 20)),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_every_edit_round_trips(project, name):
    before = copy.deepcopy(project)
    edit = BUILDERS[name](project)
    assert project == before, "building an edit changes nothing"
    assert edit.label
    after = round_trip(project, edit)
    assert after.assets == before.assets


def test_move_cut_changes_only_the_two_neighbours(project):
    before = copy.deepcopy(project)
    to = project.plan.clips[3].end_frame - 37
    round_trip(project, move_cut(project, 3, to))
    changed = [i for i, (a, b) in enumerate(zip(before.plan.clips, project.plan.clips)) if a != b]
    assert changed == [3, 4]
    assert project.plan.clips[3].end_frame == project.plan.clips[4].start_frame == to
    assert project.plan.transitions == before.plan.transitions


def test_a_dragged_cut_lands_on_a_beat_and_shift_keeps_the_raw_frame(project):
    snapper = snapper_for(project)
    beats = set(project.analysis.beat_frames())
    raw = project.plan.clips[4].end_frame + 41
    assert raw not in beats
    shown = preview_cut(project, 4, raw, snapper, False)
    assert shown in beats and shown != raw and abs(shown - raw) <= 12
    move_cut(project, 4, raw, snapper=snapper).apply(project)
    assert project.plan.clips[5].start_frame == shown, "preview and commit agree"
    assert preview_cut(project, 4, raw + 3, snapper, True) == raw + 3
    move_cut(project, 4, raw + 3, snapper=snapper, override=True).apply(project)
    assert project.plan.clips[5].start_frame == raw + 3


def test_a_drag_stops_at_the_minimum_clip_length(project):
    a, b = project.plan.clips[3], project.plan.clips[4]
    lo, hi = cut_range(project, 3)
    assert (lo, hi) == (a.start_frame + MIN_FRAMES, b.end_frame - MIN_FRAMES)
    assert preview_cut(project, 3, a.start_frame - 500) == lo
    move_cut(project, 3, b.end_frame - 1).apply(project)
    assert project.plan.clips[4].frames == MIN_FRAMES
    assert_sound(project)


def test_a_shrunk_clip_shortens_its_transitions_to_fit(project):
    i = crossfade_cut(project)
    a, b = project.plan.clips[i], project.plan.clips[i + 1]
    set_transition(project, project.plan.transition_between(a.id, b.id).id, "crossfade",
                   2 * min(a.frames, b.frames) - 40).apply(project)
    long_fade = project.plan.transition_between(a.id, b.id).duration_frames
    round_trip(project, move_cut(project, i, b.end_frame - MIN_FRAMES))
    clamped = project.plan.transition_between(a.id, b.id)
    assert clamped.kind == "crossfade" and 0 < clamped.duration_frames < long_fade
    assert clamped.duration_frames == int(MIN_FRAMES * 0.4)


def test_split_keeps_the_id_and_gives_the_copy_a_new_one(project):
    clip = copy.deepcopy(project.plan.clips[2])
    leaving = project.plan.transition_between(clip.id, project.plan.clips[3].id)
    round_trip(project, split_clip(project, clip.id, clip.start_frame + 50))
    left, right = project.plan.clips[2], project.plan.clips[3]
    assert left.id == clip.id and right.id not in (clip.id, leaving.to_clip)
    assert (left.start_frame, left.end_frame, right.end_frame) == (
        clip.start_frame, clip.start_frame + 50, clip.end_frame)
    assert right.visual_description == clip.visual_description and right.seed != clip.seed
    cut = project.plan.transition_between(left.id, right.id)
    assert (cut.kind, cut.duration_frames) == ("cut", 0)
    assert project.plan.transition_between(right.id, leaving.to_clip).id == leaving.id


def test_merge_drops_the_transition_between_and_keeps_the_next_one(project):
    i = crossfade_cut(project)
    a, b, c = project.plan.clips[i:i + 3]
    between = project.plan.transition_between(a.id, b.id)
    leaving = project.plan.transition_between(b.id, c.id)
    round_trip(project, merge_with_next(project, a.id))
    assert clip_ids(project)[i:i + 2] == [a.id, c.id]
    assert project.plan.clips[i].end_frame == b.end_frame
    assert between.id not in {t.id for t in project.plan.transitions}
    assert project.plan.transition_between(a.id, c.id).id == leaving.id


INVALID = {
    "cut beyond the neighbour": lambda p: move_cut(p, 2, p.plan.clips[3].end_frame + 5),
    "cut onto the neighbour's far end": lambda p: move_cut(p, 2, p.plan.clips[2].start_frame),
    "no such cut": lambda p: move_cut(p, len(p.plan.clips) - 1, 100),
    "split at the edge": lambda p: split_clip(p, p.plan.clips[2].id, p.plan.clips[2].start_frame),
    "split too near the edge": lambda p: split_clip(p, p.plan.clips[2].id,
                                                    p.plan.clips[2].end_frame - MIN_FRAMES + 1),
    "merge the last clip": lambda p: merge_with_next(p, p.plan.clips[-1].id),
    "unknown clip": lambda p: split_clip(p, "clip_nothere", 100),
    "unknown transition": lambda p: set_transition(p, "tr_nothere", "cut", 0),
    "unknown section": lambda p: relabel_section(p, "sec_nothere", "verse"),
    "transition too long": lambda p: set_transition(p, p.plan.transitions[2].id, "crossfade",
                                                    2 * p.plan.clips[1].frames),
    "unknown transition kind": lambda p: set_transition(p, p.plan.transitions[2].id, "spin", 10),
    "a hard cut with a length": lambda p: set_transition(p, p.plan.transitions[2].id, "cut", 8),
    "unknown script field": lambda p: edit_script(p, p.plan.clips[0].id, colour="red"),
    "unknown character": lambda p: edit_script(p, p.plan.clips[0].id, characters=["char_x"]),
    "bad intensity": lambda p: edit_script(p, p.plan.clips[0].id, beat_intensity="huge"),
    "bad seed": lambda p: edit_script(p, p.plan.clips[0].id, seed=-1),
    "unknown section label": lambda p: relabel_section(p, p.analysis.sections[0].id, "drop"),
    "section boundary past the next": lambda p: move_section_boundary(
        p, 1, p.analysis.sections[1].end + 1),
    "no such boundary": lambda p: move_section_boundary(p, 0, 1.0),
    "composite with a failing step": lambda p: CompositeEdit.build(
        p, "Two", lambda q: move_cut(q, 2, q.plan.clips[2].end_frame - 30),
        lambda q: merge_with_next(q, q.plan.clips[-1].id)),
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_edits_raise_and_change_nothing(project, name):
    before = copy.deepcopy(project)
    with pytest.raises(EditError) as err:
        INVALID[name](project)
    assert "\n" not in str(err.value) and str(err.value)
    assert project == before


def test_an_edit_that_changes_nothing_says_so(project):
    clip = project.plan.clips[1]
    with pytest.raises(NoChange):
        move_cut(project, 0, clip.start_frame)
    with pytest.raises(NoChange):
        edit_script(project, clip.id, motion=clip.motion)


def test_an_edit_applied_out_of_order_fails_and_changes_nothing(project):
    first = move_cut(project, 3, project.plan.clips[3].end_frame - 30)
    second = move_cut(project, 3, project.plan.clips[3].end_frame + 30)
    first.apply(project)
    before = copy.deepcopy(project)
    with pytest.raises(EditError):
        second.apply(project)
    with pytest.raises(EditError):
        merge_with_next(before, before.plan.clips[3].id).revert(project)
    assert project == before


def test_an_edit_failing_half_way_rolls_back_its_first_steps(project):
    edit = move_cut(project, 3, project.plan.clips[3].end_frame - 30)
    project.plan.clips[4].start_frame -= 1  # what the second step expects is no longer there
    before = copy.deepcopy(project)
    with pytest.raises(EditError):
        edit.apply(project)
    assert project == before


def test_a_transition_may_fill_exactly_the_room_its_clips_have(project):
    set_transition(project, project.plan.transitions[1].id, "cut", 0).apply(project)
    first, a, b = project.plan.clips[:3]
    longest = 2 * min(a.frames, b.frames)  # half of it, rounded up, on each side of the cut
    between = project.plan.transition_between(a.id, b.id).id
    round_trip(project, set_transition(project, between, "crossfade", longest))
    with pytest.raises(EditError):
        set_transition(project, between, "crossfade", longest + 1)
    opening = project.plan.transitions[0].id  # an end fade takes its whole length
    round_trip(project, set_transition(project, opening, "fade", first.frames))
    with pytest.raises(EditError):
        set_transition(project, opening, "fade", first.frames + 1)


def test_a_cut_dragged_to_its_limit_still_snaps_to_a_beat_inside(project):
    snapper, beats = snapper_for(project), project.analysis.beat_frames()
    ranges = [cut_range(project, i) for i in range(len(project.plan.clips) - 1)]
    i = next(i for i, (lo, _) in enumerate(ranges)
             if min(beats, key=lambda f: abs(f - lo)) < lo)  # the nearest beat is out of range
    lo, hi = ranges[i]
    shown = preview_cut(project, i, lo, snapper)
    assert shown in beats and lo <= shown <= hi


def test_an_edit_keeps_its_own_copies_of_what_it_sets(project):
    clip = project.plan.clips[2]
    scenes = [s.id for s in project.plan.scenes if s.id not in clip.scenes][:1]
    edit = edit_script(project, clip.id, scenes=scenes)
    scenes.append("scene_changed_by_the_caller")
    edit.apply(project)
    edit.revert(project)
    edit.apply(project)
    assert project.plan.clips[2].scenes == scenes[:1]
    project.plan.clips[2].scenes.append("scene_appended_in_place")
    with pytest.raises(EditError):
        edit.revert(project)  # the project is no longer as the edit left it
    project.plan.clips[2].scenes.pop()
    edit.revert(project)
    again = edit_script(project, clip.id, scenes=scenes[:1])
    project.plan.clips[2].scenes.append("scene_appended_before_apply")
    with pytest.raises(EditError):
        again.apply(project)


def test_a_composite_reverts_in_reverse_order(project):
    split = split_clip(project, project.plan.clips[2].id, project.plan.clips[2].start_frame + 60)
    split.apply(project)
    move = move_cut(project, 2, project.plan.clips[3].start_frame - 20)
    split.revert(project)
    both = CompositeEdit("Split and move", [split, move])
    assert both.parts == (split, move) and both.label == "Split and move"
    round_trip(project, both)
    assert project.plan.clips[2].end_frame == project.plan.clips[2].start_frame + 40


def test_a_composite_leaves_out_steps_that_change_nothing(project):
    clip = project.plan.clips[0]
    same = lambda p: edit_script(p, clip.id, motion=clip.motion)  # noqa: E731
    lock = lambda p: set_locked(p, clip.id, True)  # noqa: E731
    edit = CompositeEdit.build(project, "Lock", same, lock)
    assert [part.label for part in edit.parts] == ["Lock clip"]
    with pytest.raises(NoChange):
        CompositeEdit.build(project, "Nothing", same)


# --------------------------------------------------------------------------- staleness


class _Media:
    @staticmethod
    def path(name: str) -> Path:
        return Path("/media") / name


def fresh_pipeline(project: Project) -> Pipeline:
    """A pipeline over ``project`` whose every still and clip is recorded as fresh."""
    pipeline = Pipeline(SimpleNamespace(media=_Media()), project, offline_providers())
    for clip in project.plan.clips:
        project.assets.append(Asset("image", clip.id, f"{clip.id}.png",
                                    pipeline.image_hash(clip), created=1.0))
        project.assets.append(Asset("clip", clip.id, f"{clip.id}.mp4",
                                    pipeline.clip_hash(clip), created=1.0))
    assert pipeline.stale_clips() == []
    return pipeline


def stale_ids(pipeline: Pipeline) -> list[str]:
    return [c.id for c in pipeline.stale_clips()]


def test_a_script_edit_makes_only_that_clip_stale(project):
    pipeline = fresh_pipeline(project)
    prompts = [build_prompt(project.plan, c).prompt for c in project.plan.clips]
    target = project.plan.clips[6]
    edit_script(project, target.id, visual_description="a red kite over the pier").apply(project)
    after = [build_prompt(project.plan, c).prompt for c in project.plan.clips]
    assert [i for i, (a, b) in enumerate(zip(prompts, after)) if a != b] == [6]
    assert project.plan.clips[6].user_edited
    assert stale_ids(pipeline) == [target.id]


def test_a_moved_cut_makes_only_its_neighbours_stale(project):
    pipeline = fresh_pipeline(project)
    move_cut(project, 3, project.plan.clips[3].end_frame - 37).apply(project)
    assert stale_ids(pipeline) == clip_ids(project)[3:5]
    images = [c for c in project.plan.clips
              if not project.fresh_asset(c.id, "image", pipeline.image_hash(c))]
    assert images == [], "a retimed clip keeps its still"


def test_split_and_merge_make_only_the_clips_they_touch_stale(project):
    pipeline = fresh_pipeline(project)
    edit = split_clip(project, project.plan.clips[2].id, project.plan.clips[2].start_frame + 50)
    edit.apply(project)
    assert stale_ids(pipeline) == clip_ids(project)[2:4]
    edit.revert(project)
    assert stale_ids(pipeline) == []
    merge_with_next(project, project.plan.clips[7].id).apply(project)
    assert stale_ids(pipeline) == [project.plan.clips[7].id]


# --------------------------------------------------------------------------- random sequences


SCRIPT_VALUES = {
    "visual_description": st.text(max_size=40), "motion": st.sampled_from(["drift", "rush"]),
    "camera": st.sampled_from(["handheld", "dolly in"]), "lyrics_context": st.text(max_size=20),
    "beat_intensity": st.sampled_from(BEAT_INTENSITIES), "seed": st.integers(0, 2**31 - 1),
}


def draw_edit(data, project: Project) -> Edit:
    """A random edit for the project as it is (it may well be invalid)."""
    clips = project.plan.clips
    kind = data.draw(st.sampled_from(["move", "split", "merge", "transition", "script",
                                      "section"]))
    clip = clips[data.draw(st.integers(0, len(clips) - 1))]
    if kind == "move" and len(clips) > 1:
        i = data.draw(st.integers(0, len(clips) - 2))
        frame = data.draw(st.integers(clips[i].start_frame, clips[i + 1].end_frame))
        snapper = data.draw(st.sampled_from([None, snapper_for(project)]))
        return move_cut(project, i, frame, snapper=snapper, override=data.draw(st.booleans()))
    if kind == "split":
        return split_clip(project, clip.id, data.draw(st.integers(clip.start_frame,
                                                                  clip.end_frame)))
    if kind == "merge":
        return merge_with_next(project, clip.id)
    if kind == "transition":
        transition = data.draw(st.sampled_from(project.plan.transitions))
        return set_transition(project, transition.id, data.draw(st.sampled_from(TRANSITION_KINDS)),
                              data.draw(st.integers(0, 90)))
    if kind == "script":
        field = data.draw(st.sampled_from(sorted(SCRIPT_VALUES)))
        return edit_script(project, clip.id, **{field: data.draw(SCRIPT_VALUES[field])})
    sections = project.analysis.sections
    if data.draw(st.booleans()):
        return relabel_section(project, data.draw(st.sampled_from(sections)).id,
                               data.draw(st.sampled_from(SECTION_LABELS)))
    i = data.draw(st.integers(1, len(sections) - 1))
    return move_section_boundary(project, i, data.draw(st.floats(sections[i - 1].start,
                                                                  sections[i].end)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_edits_then_undo_all_give_back_the_original(data):
    project = make_project()
    original = copy.deepcopy(project)
    done: list[Edit] = []
    for _ in range(data.draw(st.integers(1, 12))):
        before = copy.deepcopy(project)
        try:
            edit = draw_edit(data, project)
        except EditError:
            assert project == before
            continue
        assert project == before
        edit.apply(project)
        assert_sound(project)
        done.append(edit)
    final = copy.deepcopy(project)
    for edit in reversed(done):
        edit.revert(project)
        assert_sound(project)
    assert project == original
    for edit in done:
        edit.apply(project)
    assert project == final
