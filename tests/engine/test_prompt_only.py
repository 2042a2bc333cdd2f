"""Prompt-only videos: story beats, the plan of a prompt alone, and its offline soundtrack."""

from __future__ import annotations

import asyncio
import wave

import numpy as np
import pytest

from mvstudio.engine.analysis.analyze import analyze
from mvstudio.engine.errors import InputError
from mvstudio.engine.generation.local_music import LocalSoundtrack
from mvstudio.engine.model import ENERGY_LEVELS, SECTION_LABELS, Project, Scene, check_consistency
from mvstudio.engine.pipeline import Pipeline, offline_providers
from mvstudio.engine.planning.prompt_only import (plan_json, plan_prompt_only, plan_story,
                                                  story_settings, synthetic_analysis)
from mvstudio.engine.planning.story import compose_story, story_beats
from mvstudio.engine.planning.validate import validate_plan
from mvstudio.engine.prompt_job import make_soundtrack
from mvstudio.engine.store.project_file import create_project
from mvstudio.engine.timebase import to_frame

PROMPTS = ("A 30-second ad for a trail running shoe, energetic, sunrise in the mountains",
           "a lighthouse keeper's last night, stormy sea, dark and haunting",
           "lofi ambient rain on a window",
           "hip hop story of a kid skating through the city",
           "")


def test_the_story_beat_library_is_complete():
    data = story_beats()
    beats = data["beats"]
    assert len(beats) >= 15
    for beat in beats.values():
        assert {"name", "purpose", "shot", "camera", "seconds", "energy", "section",
                "music"} <= beat.keys()
        assert beat["energy"] in ENERGY_LEVELS and beat["section"] in SECTION_LABELS
    assert set(data["templates"]) == {"ad", "story", "mood"}
    for template in data["templates"].values():
        limits = [v["up_to_s"] for v in template["variants"]]
        assert limits == sorted(limits) and limits[-1] >= 600
        for variant in template["variants"]:
            assert set(variant["beats"]) <= beats.keys()
            assert len(set(variant["beats"])) == len(variant["beats"])


@pytest.mark.parametrize("duration", [10, 12, 30, 61, 120, 180])
@pytest.mark.parametrize("prompt", [p for p in PROMPTS if p])
def test_a_prompt_alone_gives_a_valid_plan_of_its_length(prompt, duration):
    analysis, plan = plan_prompt_only(prompt, duration, seed=3)
    assert validate_plan(plan, analysis) == []
    assert analysis.duration == duration
    assert plan.clips[0].start_frame == 0 and plan.clips[-1].end_frame == to_frame(duration, 30)
    beat_frames = set(analysis.beat_frames())
    assert all(cut in beat_frames for cut in plan.cut_frames())
    assert np.allclose(np.diff(analysis.beats), 60 / analysis.bpm)
    scenes = {s.id for s in plan.scenes}
    assert all(len(c.scenes) == 1 and c.scenes[0] in scenes for c in plan.clips)
    assert len(plan.scenes) == len(analysis.sections) >= 1
    for i, scene in enumerate(plan.scenes):
        assert f"{analysis.bpm:g} BPM" in scene.music_prompt and "energy" in scene.music_prompt
        assert ("continues the previous section" in scene.music_prompt.lower()) == (i > 0)
    for scene, section in zip(plan.scenes, analysis.sections):
        assert f"{section.energy} energy" in scene.music_prompt
    # a story beat long enough for a clip of its own gets one
    shown = {c.scenes[0] for c in plan.clips}
    for scene, section in zip(plan.scenes, analysis.sections):
        if section.end - section.start >= 8.0:
            assert scene.id in shown


def test_the_prompt_chooses_template_tempo_and_mood():
    ad = compose_story(PROMPTS[0], 30)
    assert (ad.template, ad.mood, ad.genre, ad.bpm) == ("ad", "energetic", "", 128.0)
    assert [p.beat for p in ad.parts][:3] == ["hook", "problem", "product_reveal"]
    hip_hop = compose_story(PROMPTS[3], 60)
    assert (hip_hop.template, hip_hop.genre, hip_hop.bpm) == ("story", "hip hop", 90.0)
    assert "Hip hop" in hip_hop.parts[0].music_prompt
    calm = compose_story(PROMPTS[2], 20)
    assert (calm.template, calm.mood, calm.bpm) == ("mood", "calm", 88.0)
    chosen = compose_story("anything at all", 45, bpm=100, template="ad")
    assert (chosen.template, chosen.bpm) == ("ad", 100.0)


def test_parts_sit_on_bars_and_cover_the_video():
    story = compose_story(PROMPTS[1], 47.3)
    bar = 4 * 60 / story.bpm
    assert story.parts[0].start == 0 and story.parts[-1].end == 47.3
    for a, b in zip(story.parts, story.parts[1:]):
        assert a.end == b.start
        assert ((b.start - 0.5) / bar) == pytest.approx(round((b.start - 0.5) / bar))
        assert b.start - a.start >= bar - 1e-9


@pytest.mark.parametrize("bad, words", [
    (dict(prompt="", duration=30), "prompt"), (dict(prompt="x", duration=3), "5-600"),
    (dict(prompt="x", duration=601), "5-600"), (dict(prompt="x", duration=30, bpm=400), "BPM"),
    (dict(prompt="x", duration=30, template="opera"), "ad, story, mood")])
def test_bad_requests_are_one_clear_error(bad, words):
    with pytest.raises(InputError, match=words):
        compose_story(**bad)


def test_plan_json_lists_scenes_in_time_with_their_music():
    analysis, plan = plan_prompt_only(PROMPTS[0], 30, seed=1)
    data = plan_json(analysis, plan)
    assert [s["name"] for s in data["scenes"]] == [s.name for s in plan.scenes]
    assert data["scenes"][0]["start"] == 0 and data["scenes"][-1]["end"] == 30
    assert all(s["music_prompt"] for s in data["scenes"])
    assert data["clips"][-1]["end_frame"] == 900 and all(c["scene"] for c in data["clips"])


def _wav_seconds(path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0, w.getframerate()


@pytest.mark.parametrize("prompt, duration", [(PROMPTS[0], 30), (PROMPTS[2], 20),
                                              (PROMPTS[3], 45)])
def test_the_offline_soundtrack_has_the_plans_length_tempo_and_energy(tmp_path, prompt,
                                                                      duration):
    story = compose_story(prompt, duration)
    song = asyncio.run(make_soundtrack(story, tmp_path))
    x, sr = _wav_seconds(song)
    assert len(x) == round(duration * sr)
    measured = analyze(song, fps=30)
    assert abs(measured.bpm - story.bpm) <= 2.0
    expected = synthetic_analysis(story)
    assert min(abs(np.array(measured.beats) - expected.beats[8])) < 0.03
    loudness = {level: [] for level in ENERGY_LEVELS}
    for part in story.parts:
        piece = x[int((part.start + 0.5) * sr):int((part.end - 1.0) * sr)]
        if len(piece):
            loudness[part.energy].append(float(np.sqrt(np.mean(piece ** 2))))
    levels = [np.mean(loudness[lvl]) for lvl in ENERGY_LEVELS if loudness[lvl]]
    assert levels == sorted(levels)  # more energy, louder
    # the story planned on the real analysis: cuts on the measured beats
    plan = plan_story(story, measured, prompt, seed=2)
    assert check_consistency(Project("p", analysis=measured, plan=plan)) == []
    assert set(plan.cut_frames()) <= set(measured.beat_frames())


def test_the_soundtrack_generator_checks_its_request(tmp_path):
    with pytest.raises(InputError, match="energy level"):
        LocalSoundtrack(120, ["loud"])
    with pytest.raises(InputError, match="one duration"):
        asyncio.run(LocalSoundtrack(120, ["low"]).generate([Scene("a", "")], [5.0, 5.0],
                                                           tmp_path))


def test_a_prompt_project_is_planned_from_its_story(tmp_path):
    story = compose_story(PROMPTS[0], 16)
    song = asyncio.run(make_soundtrack(story, tmp_path))
    project = Project("ad", prompt=story.prompt, settings=story_settings(story))
    store = create_project(tmp_path / "ad.mvstudio", project)
    project.song = store.import_song(song)
    pipeline = Pipeline(store, project, offline_providers())
    asyncio.run(pipeline.analyse())
    asyncio.run(pipeline.plan())
    store.close()
    plan = project.plan
    assert [s.music_prompt for s in plan.scenes] == [p.music_prompt for p in story.parts]
    assert plan.summary.startswith("Ad, ")
    assert set(plan.cut_frames()) <= set(project.analysis.beat_frames())
