"""The plan validator names every broken rule; the repair makes any plan valid."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from mvstudio.engine.model import Transition
from mvstudio.engine.planning.rules import plan_from_rules
from mvstudio.engine.planning.validate import repair_plan, validate_plan
from tests.engine.test_planning_rules import analyses, make_analysis


def test_a_rule_plan_is_valid():
    analysis = make_analysis(90.0, 128.0, 0.3, "energetic", 5)
    assert validate_plan(plan_from_rules(analysis, "p"), analysis, max_clip_s=8.0) == []


def test_each_broken_rule_is_named_in_one_line():
    analysis = make_analysis(60.0, 120.0, 0.0, "calm", 3)
    plan = plan_from_rules(analysis, "p")
    plan.clips[0].end_frame = plan.clips[1].start_frame = plan.clips[1].start_frame + 7  # off beat
    plan.clips[2].characters.append("char_nobody")
    plan.transitions.pop(2)  # the one between the second and third clip
    plan.style.keywords = []
    kinds = {p.kind for p in validate_plan(plan, analysis, max_clip_s=2.0)}
    assert {"beat", "dangling", "transition", "long", "style"} <= kinds
    assert all("\n" not in p.message for p in validate_plan(plan, analysis))


@settings(max_examples=80, deadline=None)
@given(analysis=analyses, data=st.data())
def test_repair_makes_any_plan_valid(analysis, data):
    plan = plan_from_rules(analysis, "p", seed=data.draw(st.integers(0, 9)))
    end = analysis.end_frame
    n = len(plan.clips)
    # scramble the cuts (anywhere, even out of order or outside the song), drop and add ids
    cuts = data.draw(st.lists(st.integers(-50, end + 50), min_size=n - 1, max_size=n - 1))
    for clip, cut in zip(plan.clips[1:], cuts):
        clip.start_frame = cut
    for a, b in zip(plan.clips, plan.clips[1:]):
        a.end_frame = b.start_frame
    plan.clips[-1].end_frame = data.draw(st.integers(end - 40, end + 40))
    if data.draw(st.booleans()):
        plan.clips[0].scenes.append("scene_ghost")
    if data.draw(st.booleans()) and plan.transitions:
        plan.transitions.pop(data.draw(st.integers(0, len(plan.transitions) - 1)))
    if data.draw(st.booleans()):
        plan.transitions.append(Transition(plan.clips[0].id, plan.clips[-1].id, "wobble", 999))
    plan.style.keywords = data.draw(st.sampled_from([[], ["x"]]))
    before = dataclasses.asdict(plan)

    cap = data.draw(st.sampled_from([None, 3.0, 5.0, 8.0]))  # the video model's longest clip
    fixed = repair_plan(plan, analysis, max_clip_s=cap)

    problems = validate_plan(fixed, analysis, max_clip_s=cap)
    assert problems == [], (problems, [(b.start_frame, b.end_frame) for b in analysis.clip_boundaries])
    assert dataclasses.asdict(plan) == before  # the input is left as it was


@settings(max_examples=60, deadline=None)
@given(analysis=analyses, prompt=st.text(max_size=200), seed=st.integers(0, 2**31))
def test_the_validator_accepts_every_plan_the_rule_director_makes(analysis, prompt, seed):
    assert validate_plan(plan_from_rules(analysis, prompt, seed), analysis, max_clip_s=8.0) == []
