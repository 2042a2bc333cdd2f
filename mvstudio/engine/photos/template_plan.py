"""A scene template as a plan and as a soundtrack.

``plan_template``: the rule director's plan (cuts on the beat, style, transitions), its clips
shared out over the template's scenes in order, in proportion to their weights (every scene gets a
clip while there are enough; with fewer clips than scenes, scenes are thinned evenly, first and
last kept).  Each clip shows its scene's shot with its camera words and its offline ``move``; each
plan scene carries its music prompt.  ``template_planner`` gives the pipeline's planner for a
project in photo mode with a template.

``template_score``: the scenes, durations (whole bars, same weights) and energy levels from which
a ``SoundtrackGenerator`` plays a soundtrack for a template video that has no song.
"""

from __future__ import annotations

from functools import partial
from typing import Optional

from mvstudio.engine.generation.synth import whole_bars
from mvstudio.engine.model import Analysis, Plan, Project, Scene
from mvstudio.engine.photos.mode import photo_mode
from mvstudio.engine.photos.templates import SceneTemplate, TemplateScene
from mvstudio.engine.planning.rules import OfflinePlanner, plan_from_rules, subject_of
from mvstudio.engine.planning.story import MIN_PART_S, bar_spans, share_out, thin


def scenes_for(template: SceneTemplate, clips: int) -> list[TemplateScene]:
    """The template's scenes a video of ``clips`` clips can show."""
    return thin(list(template.scenes), max(1, clips))


def plan_template(template: SceneTemplate, analysis: Analysis, prompt: str = "",
                  seed: int = 0) -> Plan:
    """The plan of a template video on ``analysis`` (see module doc)."""
    subject = subject_of(prompt or template.prompt)
    plan = plan_from_rules(analysis, prompt or template.prompt, seed)
    wanted = scenes_for(template, len(plan.clips))
    plan.scenes = [Scene(name=s.name, description=f"{s.description}: {subject}",
                         music_prompt=s.music_prompt) for s in wanted]
    counts = share_out([s.weight for s in wanted], len(plan.clips))
    index = [i for i, n in enumerate(counts) for _ in range(n)]
    for clip, i in zip(plan.clips, index):
        scene, ids = wanted[i], plan.scenes[i].id
        clip.visual_description = f"{scene.name}: {scene.description}, {subject}"
        clip.camera, clip.motion, clip.move, clip.scenes = scene.camera, scene.motion, \
            scene.move, [ids]
    plan.characters = []
    for clip in plan.clips:
        clip.characters = []
    plan.summary = f"{template.name}, {len(wanted)} scenes " \
                   f"({', '.join(s.name.lower() for s in wanted)}): {subject}."
    return plan


def template_planner(project: Project) -> Optional[OfflinePlanner]:
    """The planner of a project in photo mode with a scene template (else None)."""
    mode = photo_mode(project)
    template = mode.scene_template() if mode else None
    return OfflinePlanner("template", partial(plan_template, template)) if template else None


def template_score(template: SceneTemplate, duration: float,
                   bpm: Optional[float] = None) -> tuple[list[Scene], list[float], list[str]]:
    """``(scenes, durations, energy levels)`` of a ``duration``-second soundtrack for the template
    at ``bpm`` (default: the template's): a section per scene, whole bars each."""
    bpm = bpm or template.bpm
    room = min(whole_bars(duration, bpm), int(duration // MIN_PART_S))  # a bar and 3 s each
    wanted = thin(list(template.scenes), max(1, room))
    spans = bar_spans([s.weight for s in wanted], duration, bpm)
    return ([Scene(name=s.name, description=s.description, music_prompt=s.music_prompt)
             for s in wanted], [end - start for start, end in spans], [s.energy for s in wanted])
