"""Exact time, the project model's consistency check and its dict round-trip."""

from fractions import Fraction

import pytest

from mvstudio.engine.codec import from_dict, to_dict
from mvstudio.engine.model import (Analysis, Asset, Character, ClipBoundary, ClipScript, LyricLine,
                                   Plan, Project, Scene, Section, Transition, Word,
                                   check_consistency)
from mvstudio.engine.timebase import timecode, to_frame, to_seconds


def test_frames_round_to_nearest_and_seconds_are_exact():
    assert to_frame(0.5, 30) == 15
    assert to_frame(Fraction(1, 60), 30) == 1  # exactly half a frame rounds up
    assert to_frame(0.016, 30) == 0
    assert to_seconds(45, 30) == Fraction(3, 2)
    # summing many exact frame lengths never drifts
    assert sum(to_seconds(1, 30) for _ in range(30 * 600)) == 600
    assert timecode(30 * 61 + 7, 30) == "1:01.07"


def _project(cuts=(0, 150, 300, 450), clip_kwargs=None):
    analysis = Analysis(duration=15.0, bpm=120, beats=[i * 0.5 for i in range(30)],
                        sections=[Section("intro", 0, 15)])
    char, scene = Character("Hero", "a hero"), Scene("Street", "a street")
    clips = [ClipScript(a, b, characters=[char.id], scenes=[scene.id], **(clip_kwargs or {}))
             for a, b in zip(cuts, cuts[1:])]
    transitions = [Transition(None, clips[0].id, "fade", 15)]
    transitions += [Transition(a.id, b.id, "cut") for a, b in zip(clips, clips[1:])]
    transitions += [Transition(clips[-1].id, None, "fade", 30)]
    plan = Plan(clips=clips, transitions=transitions, characters=[char], scenes=[scene])
    return Project(name="t", analysis=analysis, plan=plan)


def test_consistent_project_has_no_problems():
    assert check_consistency(_project()) == []


@pytest.mark.parametrize("mutate, kind", [
    (lambda p: setattr(p.plan.clips[1], "start_frame", 160), "gap"),
    (lambda p: setattr(p.plan.clips[1], "start_frame", 140), "overlap"),
    (lambda p: setattr(p.plan.clips[0], "start_frame", 5), "gap"),
    (lambda p: setattr(p.plan.clips[-1], "end_frame", 440), "bounds"),
    (lambda p: p.plan.clips[1].characters.append("char_missing"), "dangling"),
    (lambda p: p.plan.clips[2].scenes.append("scene_missing"), "dangling"),
    (lambda p: setattr(p.plan.transitions[1], "to_clip", "clip_gone"), "dangling"),
    (lambda p: p.plan.transitions.pop(1), "transition"),
    (lambda p: setattr(p.plan.transitions[1], "kind", "spin"), "transition"),
    (lambda p: setattr(p.plan.transitions[1], "duration_frames", 400), "transition"),
    (lambda p: setattr(p.plan.clips[2], "id", p.plan.clips[1].id), "duplicate-id"),
])
def test_consistency_finds_each_kind_of_problem(mutate, kind):
    project = _project()
    mutate(project)
    kinds = {p.kind for p in check_consistency(project)}
    assert kind in kinds


def test_project_round_trips_through_plain_dicts():
    project = _project()
    project.analysis.lyrics = [LyricLine("hello world", 1.0, 2.0, [Word("hello", 1.0, 1.4)])]
    project.analysis.clip_boundaries = [ClipBoundary(0, 150)]
    project.assets.append(Asset("clip", project.plan.clips[0].id, "ab.mp4", "h1", duration=5.0))
    data = to_dict(project)
    assert from_dict(Project, data) == project
    assert isinstance(data["plan"]["clips"][0], dict)


def test_fresh_asset_matches_only_current_inputs():
    project = _project()
    owner = project.plan.clips[0].id
    project.assets += [Asset("clip", owner, "old.mp4", "h-old", created=1.0),
                       Asset("clip", owner, "new.mp4", "h-new", created=2.0)]
    assert project.fresh_asset(owner, "clip", "h-new").media == "new.mp4"
    assert project.fresh_asset(owner, "clip", "h-old").media == "old.mp4"
    assert project.fresh_asset(owner, "clip", "h-other") is None
    assert project.latest_asset(owner, "clip").media == "new.mp4"


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.floats(min_value=0, max_value=3600, allow_nan=False), st.sampled_from([24, 25, 30, 60]))
def test_fast_float_path_rounds_exactly_like_rational_arithmetic(seconds, fps):
    import math
    assert to_frame(seconds, fps) == math.floor(Fraction(seconds) * fps + Fraction(1, 2))


def test_floats_on_and_near_half_frames_round_exactly():
    import math
    for frame in range(0, 3000, 7):
        half = (frame + 0.5) / 30
        for x in (half, math.nextafter(half, 0), math.nextafter(half, 1e9)):
            assert to_frame(x, 30) == math.floor(Fraction(x) * 30 + Fraction(1, 2))
