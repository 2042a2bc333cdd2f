"""Prompt in, video out: a soundtrack made for the prompt's story, then rendered like any song.

``make_soundtrack`` has a ``SoundtrackGenerator`` (offline: ``LocalSoundtrack`` at the story's
tempo) play the story's scenes; ``run_prompt_only_job`` checks the request, makes the soundtrack
and renders it with ``render_job`` in a project that keeps the story, so the pipeline plans the
story (``planning.prompt_only.story_planner``) on the soundtrack's real analysis.
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
from mvstudio.engine.planning.prompt_only import part_durations, story_settings
from mvstudio.engine.planning.story import Story, compose_story, story_scenes
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
    """The story's soundtrack in ``workdir``, named after the prompt (offline unless a cloud
    ``generator`` is given)."""
    generator = generator or LocalSoundtrack(story.bpm, [p.energy for p in story.parts])
    made = await generator.generate(story_scenes(story), part_durations(story), workdir, cancel)
    named = made.path.with_name(soundtrack_title(story.prompt) + made.path.suffix)
    return made.path.replace(named)


async def run_prompt_only_job(job: RenderJob, duration: float, *, bpm: Optional[float] = None,
                              template: Optional[str] = None, sink: Sink = null_sink,
                              cancel: Optional[CancelToken] = None) -> RenderSummary:
    """Render a ``duration``-second video of ``job.prompt`` with no song (``job.song`` unused)."""
    check_output_path(job.output)
    story = compose_story(job.prompt, duration, bpm=bpm, template=template)
    with tempfile.TemporaryDirectory(prefix="soundtrack-", dir=cache_dir()) as tmp:
        song = await make_soundtrack(story, Path(tmp), cancel=cancel)
        job = replace(job, song=song, settings={**job.settings, **story_settings(story)})
        return await run_render_job(job, sink, cancel)
