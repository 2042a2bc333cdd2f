"""Scene templates: the data loads and validates, a template plans a video (its scenes in order,
their camera moves and music prompts) and scores a soundtrack."""

from __future__ import annotations

import asyncio
import copy

import pytest

from mvstudio.engine.errors import InputError
from mvstudio.engine.generation.local_music import LocalSoundtrack
from mvstudio.engine.model import ClipScript, Project, check_consistency
from mvstudio.engine.photos.template_plan import plan_template, template_score
from mvstudio.engine.photos.templates import (get_template, match, scene_templates,
                                              template_problems)
from mvstudio.engine.pipeline import camera_move
from mvstudio.engine.render.commands import MOVES
from mvstudio.engine.resources import load_json
from test_planning_rules import make_analysis


def test_the_templates_load_and_validate():
    templates = scene_templates()
    assert {"property", "wedding", "tour"} <= set(templates)
    assert not template_problems(load_json("scene_templates.json"))
    tour = templates["property"]
    assert [s.name for s in tour.scenes] == [
        "Exterior arrival", "Living spaces", "Kitchen", "Bedroom", "Bathroom and spa",
        "Outdoor living", "Closing shot"]
    for template in templates.values():
        for scene in template.scenes:
            assert scene.move in MOVES and scene.music_prompt and scene.keywords
            assert scene.camera and scene.weight > 0
    with pytest.raises(InputError, match="unknown scene template 'castle': use one of property"):
        get_template("castle")


def test_a_broken_template_file_names_its_problems():
    data = copy.deepcopy(load_json("scene_templates.json"))
    scene = data["templates"]["wedding"]["scenes"][1]
    scene["move"] = "barrel roll"
    scene["wants"]["orientation"] = "diagonal"
    del scene["music_prompt"]
    data["templates"]["tour"]["bpm"] = 20
    problems = template_problems(data)
    assert "template wedding, scene 2: music_prompt is missing" in problems
    assert any(p.startswith("template wedding, scene 2: move must be one of zoom_in") for p in
               problems)
    assert any("wants.orientation must be one of" in p for p in problems)
    assert "template tour: bpm must be 60-200" in problems
    assert template_problems({"templates": {}}) == ["no templates"]


def test_offline_matching_reads_words_shape_and_light():
    kitchen = get_template("property").scene("Kitchen")

    class Photo:
        words, orientation, mean = ["listing", "kitchen"], "landscape", 0.6

    fit, why = match(kitchen, Photo)
    Photo.words, Photo.orientation, Photo.mean = ["img"], "portrait", 0.2
    worse, why_not = match(kitchen, Photo)
    assert fit == pytest.approx(1.0) and why == "named kitchen"
    assert worse < 0.4 and why_not == "portrait, not landscape; not bright"


@pytest.mark.parametrize("duration", [60.0, 14.0])
def test_a_template_plans_its_scenes_in_order(duration):
    analysis = make_analysis(duration, 120.0, 0.1, "calm", 3)
    template = get_template("property")
    plan = plan_template(template, analysis, "", seed=2)
    project = Project(name="t", analysis=analysis, plan=plan)
    assert check_consistency(project) == []
    names = [s.name for s in plan.scenes]
    order = [s.name for s in template.scenes]
    assert names == [n for n in order if n in names]  # in the template's order
    assert names[0] == "Exterior arrival" and names[-1] == "Closing shot"
    assert len(names) == min(len(order), len(plan.clips))
    scene_of = {s.id: s for s in plan.scenes}
    shown = [scene_of[c.scenes[0]].name for c in plan.clips]
    assert shown == sorted(shown, key=names.index) and set(shown) == set(names)
    for clip in plan.clips:
        wanted = template.scene(scene_of[clip.scenes[0]].name)
        assert clip.move == wanted.move and clip.camera == wanted.camera
        assert camera_move(clip) == wanted.move  # the offline animator follows the template
        assert "a luxury property tour" in clip.visual_description
    assert all(s.music_prompt for s in plan.scenes) and plan.characters == []
    assert plan.summary.startswith("Property tour, ")


def test_a_clip_without_a_move_is_varied_by_its_seed():
    assert camera_move(ClipScript(0, 10, seed=7)) in MOVES
    assert camera_move(ClipScript(0, 10, seed=7, move="pan_down")) == "pan_down"


def test_a_template_scores_a_soundtrack_scene_by_scene(tmp_path):
    template = get_template("wedding")
    scenes, durations, levels = template_score(template, 20.0)
    assert sum(durations) == pytest.approx(20.0)
    assert [s.name for s in scenes][0] == "Getting ready" and scenes[-1].name == "Send-off"
    assert all(s.music_prompt for s in scenes) and len(levels) == len(scenes)
    bar = 4 * 60.0 / template.bpm
    assert all(d >= bar - 1e-6 for d in durations)
    made = asyncio.run(LocalSoundtrack(template.bpm, levels).generate(scenes, durations,
                                                                       tmp_path))
    assert made.path.is_file() and made.duration == pytest.approx(20.0, abs=0.05)
    short, _, _ = template_score(template, 6.0)
    assert 1 <= len(short) <= 2  # a scene needs a bar and three seconds
