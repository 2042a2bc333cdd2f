"""Prompt in, video out: a soundtrack made for the prompt's story, then rendered like any song.

``make_soundtrack`` has a ``SoundtrackGenerator`` (MusicGen on Replicate with a token, else
offline: ``LocalSoundtrack`` at the story's tempo) play the story's scenes;
``run_prompt_only_job`` checks the request, makes the soundtrack and renders it with
``render_job`` in a project that keeps the story, so the pipeline plans the story
(``planning.prompt_only.story_planner``) on the soundtrack's real analysis.  A photo video made to
a scene template (``photos.template_plan``) gets its soundtrack from the template's scenes instead,
and is planned from the template the same way.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Optional

from mvstudio.engine.events import CancelToken, Sink, null_sink
from mvstudio.engine.generation.local_music import LocalSoundtrack
from mvstudio.engine.generation.protocols import SoundtrackGenerator
from mvstudio.engine.keys import get_key
from mvstudio.engine.planning.prompt_only import part_durations, story_settings
from mvstudio.engine.photos.mode import mode_in
from mvstudio.engine.photos.template_plan import template_score
from mvstudio.engine.photos.templates import SceneTemplate
from mvstudio.engine.planning.story import Story, check_length, compose_story, story_scenes
from mvstudio.engine.render.output import check_output_path
from mvstudio.engine.render_job import RenderJob, RenderSummary, run_render_job
from mvstudio.engine.userdirs import cache_dir

TITLE_WORDS = 6


def soundtrack_title(prompt: str) -> str:
    """A file-safe title from the prompt's first words (the project's name)."""
    words = re.findall(r"[\w'-]+", prompt)[:TITLE_WORDS]
    return " ".join(words) or "Soundtrack"


async def make_soundtrack(story: Story, workdir: Path,
                          generator: Optional[SoundtrackGenerator] = None,
                          cancel: Optional[CancelToken] = None) -> Path:
    """The story's soundtrack in ``workdir``, named after the prompt: by ``generator``, else by
    MusicGen on Replicate when the user has a token, else offline."""
    generator = generator or cloud_soundtrack() or \
        LocalSoundtrack(story.bpm, [p.energy for p in story.parts])
    return await _play(generator, story_scenes(story), part_durations(story), story.prompt,
                       workdir, cancel)


def cloud_soundtrack() -> Optional[SoundtrackGenerator]:
    """MusicGen on Replicate (``generation.replicate_music``) when a Replicate token is set."""
    token = get_key("replicate")
    if not token:
        return None
    from mvstudio.engine.generation.replicate_music import ReplicateSoundtrack

    return ReplicateSoundtrack(token)


async def template_soundtrack(template: SceneTemplate, prompt: str, duration: float,
                              workdir: Path, bpm: Optional[float] = None,
                              cancel: Optional[CancelToken] = None) -> Path:
    """A soundtrack of the template's scenes (their energies, at the template's tempo)."""
    check_length(duration, bpm)
    scenes, durations, levels = template_score(template, duration, bpm)
    return await _play(LocalSoundtrack(bpm or template.bpm, levels), scenes, durations, prompt,
                       workdir, cancel)


async def _play(generator: SoundtrackGenerator, scenes, durations, title: str, workdir: Path,
                cancel: Optional[CancelToken]) -> Path:
    made = await generator.generate(scenes, durations, workdir, cancel)
    named = made.path.with_name(soundtrack_title(title) + made.path.suffix)
    return made.path.replace(named)


async def run_prompt_only_job(job: RenderJob, duration: float, *, bpm: Optional[float] = None,
                              template: Optional[str] = None, sink: Sink = null_sink,
                              cancel: Optional[CancelToken] = None) -> RenderSummary:
    """Render a ``duration``-second video of ``job.prompt`` with no song (``job.song`` unused)."""
    check_output_path(job.output)
    mode = mode_in(job.settings)
    scenes = mode.scene_template() if mode else None  # a photo video to a scene template
    story = None if scenes else compose_story(job.prompt, duration, bpm=bpm, template=template)
    with tempfile.TemporaryDirectory(prefix="soundtrack-", dir=cache_dir()) as tmp:
        if story is None:
            song = await template_soundtrack(scenes, job.prompt, duration, Path(tmp), bpm, cancel)
        else:
            song = await make_soundtrack(story, Path(tmp), cancel=cancel)
            job = replace(job, settings={**job.settings, **story_settings(story)})
        return await run_render_job(replace(job, song=song), sink, cancel)
