"""Prompt-only videos: a plan of a given length from a prompt alone, with a music prompt per scene.

``plan_prompt_only`` composes the story (``planning.story``), lays it on a synthetic analysis (a
regular beat grid at the story's tempo, its beats as sections with their energies: the analysis
the offline soundtrack of ``generation.local_music`` will have) and plans it with ``plan_story``:
a scene per story beat, clips cut on beats (``analysis.boundaries``, story beat starts preferred),
each clip showing the beat it overlaps most.

A project made from a prompt keeps its story in ``settings["story"]`` and its soundtrack as the
song; the song is analysed like any other, and ``story_planner`` makes the pipeline plan the story
on that real analysis (so the measured beats drive the cuts).
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Optional

from mvstudio.engine.analysis.boundaries import clip_boundaries
from mvstudio.engine.codec import from_dict, to_dict
from mvstudio.engine.generation.synth import arrangement_for, song_truth
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import Analysis, ClipBoundary, Mood, Plan, Project, Section
from mvstudio.engine.planning.rules import OfflinePlanner, director, plan_from_rules, subject_of
from mvstudio.engine.planning.story import Story, compose_story, story_beats, story_scenes
from mvstudio.engine.timebase import DEFAULT_FPS

ENERGY_VALUE = {"low": 0.25, "medium": 0.55, "high": 0.85}
STORY_SETTING = "story"  # the project setting that holds a prompt-only project's story


def part_durations(story: Story) -> list[float]:
    return [p.end - p.start for p in story.parts]


def synthetic_analysis(story: Story, fps: int = DEFAULT_FPS) -> Analysis:
    """The analysis of the story's offline soundtrack, known without making it."""
    beats = story_beats()["beats"]
    arrangement = arrangement_for(part_durations(story), [p.energy for p in story.parts],
                                  story.bpm, [p.beat for p in story.parts])
    truth = song_truth(arrangement, story.duration, story.bpm)
    sections = [Section(beats[beat]["section"], start, end, level, ENERGY_VALUE[level])
                for beat, start, end, level in truth.sections]
    energy = [next(s.energy_value for s in sections if t < s.end) for t in truth.beats]
    levels = Counter(p.energy for p in story.parts)
    n = len(truth.beats)
    analysis = Analysis(
        duration=story.duration, bpm=story.bpm, beats=truth.beats, downbeats=truth.downbeats,
        sections=sections, beat_energy=energy, fps=fps,
        mood=Mood(story.mood, "", levels.most_common(1)[0][0], 1.0),
        beat_confidence=1.0, tempo_confidence=1.0, tempo_curve=[story.bpm] * n,
        tempo_stability=1.0, confidence_curve=[1.0] * n,
        audio_hash=input_hash("story", to_dict(story)), settings_hash="prompt-only")
    analysis.clip_boundaries = story_boundaries(analysis, story)
    return analysis


def story_boundaries(analysis: Analysis, story: Story) -> list[ClipBoundary]:
    """Clip slots on the analysis' beats, cuts at story beat starts where the lengths allow."""
    return clip_boundaries(analysis.beats, analysis.downbeats, [p.start for p in story.parts[1:]],
                           analysis.duration, analysis.fps)


def _part_of(story: Story, start: float, end: float) -> int:
    """The story beat a clip from ``start`` to ``end`` overlaps most (the earlier on a tie)."""
    overlap = [min(end, p.end) - max(start, p.start) for p in story.parts]
    return max(range(len(overlap)), key=lambda i: (overlap[i], -i))


def plan_story(story: Story, analysis: Analysis, prompt: str = "", seed: int = 0) -> Plan:
    """The rule director's plan of ``story`` on ``analysis``: style, character and transitions as
    for a song, a scene per story beat, each clip showing its beat's shot (later clips of a beat,
    the director's shots for its kind of section)."""
    prompt = prompt or story.prompt
    plan = plan_from_rules(analysis, prompt, seed, story_boundaries(analysis, story))
    plan.scenes = story_scenes(story)
    beats, knowledge, subject = story_beats()["beats"], director(), subject_of(prompt)
    seen: Counter[int] = Counter()
    for clip in plan.clips:
        i = _part_of(story, clip.start_frame / analysis.fps, clip.end_frame / analysis.fps)
        part, beat = story.parts[i], beats[story.parts[i].beat]
        shots = knowledge["sections"][beat["section"]]["shots"]
        shot = beat["shot"] if not seen[i] else shots[(seen[i] - 1) % len(shots)]
        seen[i] += 1
        feel = knowledge["energy"][part.energy]
        clip.visual_description = f"{shot[0].upper()}{shot[1:]}, {beat['purpose']}: {subject}"
        clip.camera, clip.motion, clip.beat_intensity = beat["camera"], feel["motion"], \
            feel["intensity"]
        clip.scenes = [plan.scenes[i].id]
    names = ", ".join(beats[p.beat]["name"].lower() for p in story.parts)
    template = story_beats()["templates"][story.template]["name"]
    plan.summary = f"{template}, {len(story.parts)} story beats ({names}): {subject}."
    return plan


def plan_prompt_only(prompt: str, duration_s: float, seed: int = 0, *,
                     bpm: Optional[float] = None, template: Optional[str] = None,
                     fps: int = DEFAULT_FPS) -> tuple[Analysis, Plan]:
    """The synthetic analysis and the plan of a ``duration_s``-second video of ``prompt``."""
    story = compose_story(prompt, duration_s, bpm=bpm, template=template)
    analysis = synthetic_analysis(story, fps)
    return analysis, plan_story(story, analysis, prompt, seed)


def story_settings(story: Story) -> dict:
    """The settings that make a project a prompt-only project of ``story``."""
    return {STORY_SETTING: to_dict(story)}


def story_of(project: Project) -> Optional[Story]:
    data = project.settings.get(STORY_SETTING)
    return from_dict(Story, data) if data else None


def story_planner(project: Project) -> Optional[OfflinePlanner]:
    """The planner of a project made from a prompt (None for a project made from a song)."""
    story = story_of(project)
    return OfflinePlanner("story", partial(plan_story, story)) if story else None


def plan_json(analysis: Analysis, plan: Plan) -> dict:
    """A prompt-only plan as JSON: its scenes (the story beats in time, with their energy and
    music prompt) and its clips."""
    def sec(frame: int) -> float:
        return round(frame / analysis.fps, 3)

    names = {s.id: s.name for s in plan.scenes}
    return {
        "summary": plan.summary, "duration": round(analysis.duration, 3), "bpm": analysis.bpm,
        "mood": analysis.mood.primary, "style": to_dict(plan.style),
        "scenes": [{"id": s.id, "name": s.name, "description": s.description,
                    "start": round(part.start, 3), "end": round(part.end, 3),
                    "energy": part.energy, "music_prompt": s.music_prompt}
                   for s, part in zip(plan.scenes, analysis.sections)],
        "clips": [{"id": c.id, "start": sec(c.start_frame), "end": sec(c.end_frame),
                   "start_frame": c.start_frame, "end_frame": c.end_frame,
                   "scene": names.get(c.scenes[0], "") if c.scenes else "",
                   "description": c.visual_description, "camera": c.camera, "motion": c.motion}
                  for c in plan.clips]}
