"""Prompt in, video out: a soundtrack made for the prompt's story, then rendered like any song.

The project comes first (``create_prompt_project``: it keeps the story and has no song yet), then
``make_project_soundtrack`` has a ``SoundtrackGenerator`` play the story's scenes into it and makes
the track the project's song.  The generator is offline (``LocalSoundtrack`` at the story's tempo,
free) unless the caller asks for the cloud and a Replicate token is set: then MusicGen
(``generation.replicate_music``) is the paid stage ``soundtrack``, priced before it starts
(``quote_soundtrack``), recorded in the project's cost ledger under its budget cap, and resumed
without paying twice when it is made again in the same project.  ``run_prompt_only_job``
(``mvstudio render --prompt-only``) does this in the job's project folder and renders it with
``run_render_job``; the pipeline plans the story (``planning.prompt_only.story_planner``) on the
soundtrack's real analysis.  A photo video made to a scene template (``photos.template_plan``) gets
its offline soundtrack from the template's scenes instead, and is planned from the template the
same way.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from mvstudio.engine.errors import InputError, MVError
from mvstudio.engine.events import CancelToken, Sink, StageFinished, StageStarted, null_sink
from mvstudio.engine.generation.budget import Budget, is_paid
from mvstudio.engine.generation.local_music import LocalSoundtrack
from mvstudio.engine.generation.protocols import Generated, SoundtrackGenerator
from mvstudio.engine.keys import get_key
from mvstudio.engine.model import Project, Song
from mvstudio.engine.planning.prompt_only import part_durations, story_of, story_settings
from mvstudio.engine.photos.mode import mode_in
from mvstudio.engine.photos.template_plan import template_score
from mvstudio.engine.photos.templates import SceneTemplate
from mvstudio.engine.planning.story import Story, check_length, compose_story, story_scenes
from mvstudio.engine.render.output import check_output_path
from mvstudio.engine.render_job import RenderJob, RenderSummary, run_render_job
from mvstudio.engine.settings import load_settings
from mvstudio.engine.store.project_file import (DB_NAME, ProjectFile, create_project,
                                                open_project)
from mvstudio.engine.userdirs import cache_dir

TITLE_WORDS = 6
STAGE = "soundtrack"  # the stage of its events and ledger rows (as in replicate_music)
WORK_DIR = ".soundtrack"  # in the project folder: a soundtrack's pieces until it is the song


@dataclass(frozen=True)
class SoundtrackQuote:
    """Who makes a soundtrack and what it will cost, known before it is made."""

    maker: str  # "offline" or "MusicGen on Replicate"
    estimate: float = 0.0  # USD it should cost
    segment_ceiling: float = 0.0  # USD one segment can cost at most (held while it is made)
    segments: int = 0

    @property
    def paid(self) -> bool:
        return self.estimate > 0

    def fits(self, cap: float) -> bool:
        """Whether a project with budget ``cap`` can make it: its estimate fits, and so does
        the reservation of each segment."""
        return self.estimate <= cap and self.segment_ceiling <= cap

    def describe(self, cap: Optional[float] = None) -> str:
        """One line for the user: "offline, free" or the estimate against the cap."""
        if not self.paid:
            return "offline, free"
        cap_text = f"your ${cap:.2f} budget cap" if cap is not None else "the budget cap"
        return f"{self.maker}, ~${self.estimate:.2f} for {self.segments} segments ({cap_text})"


def soundtrack_title(prompt: str) -> str:
    """A file-safe title from the prompt's first words (the project's name)."""
    words = re.findall(r"[\w'-]+", prompt)[:TITLE_WORDS]
    return " ".join(words) or "Soundtrack"


def offline_soundtrack(story: Story) -> LocalSoundtrack:
    """The free synthesiser at the story's tempo, each scene at its part's energy."""
    return LocalSoundtrack(story.bpm, [p.energy for p in story.parts])


def cloud_soundtrack() -> Optional[SoundtrackGenerator]:
    """MusicGen on Replicate (``generation.replicate_music``) when a Replicate token is set."""
    token = get_key("replicate")
    if not token:
        return None
    from mvstudio.engine.generation.replicate_music import ReplicateSoundtrack

    return ReplicateSoundtrack(token)


def soundtrack_maker(story: Story, cloud: bool = False) -> SoundtrackGenerator:
    """MusicGen when ``cloud`` is asked for and a Replicate token is set, else offline."""
    return (cloud and cloud_soundtrack()) or offline_soundtrack(story)


def quote_soundtrack(generator: SoundtrackGenerator, story: Story) -> SoundtrackQuote:
    """What ``generator`` will charge for the story's soundtrack (nothing, offline)."""
    if not is_paid(generator):
        return SoundtrackQuote("offline")
    scenes, durations = story_scenes(story), part_durations(story)
    return SoundtrackQuote("MusicGen on Replicate", generator.estimate(scenes, durations),
                           generator.segment_ceiling(scenes, durations),
                           len(generator.requests(scenes, durations)))


async def make_soundtrack(story: Story, workdir: Path,
                          generator: Optional[SoundtrackGenerator] = None,
                          cancel: Optional[CancelToken] = None) -> Path:
    """The story's soundtrack in ``workdir``, named after the prompt, by a free ``generator``
    (default: offline).  A paid one is made into a project: ``make_project_soundtrack``."""
    made = await _play(generator or offline_soundtrack(story), story_scenes(story),
                       part_durations(story), story.prompt, workdir, cancel)
    return made.path


async def template_soundtrack(template: SceneTemplate, prompt: str, duration: float,
                              workdir: Path, bpm: Optional[float] = None,
                              cancel: Optional[CancelToken] = None) -> Path:
    """A soundtrack of the template's scenes (their energies, at the template's tempo)."""
    check_length(duration, bpm)
    scenes, durations, levels = template_score(template, duration, bpm)
    made = await _play(LocalSoundtrack(bpm or template.bpm, levels), scenes, durations, prompt,
                       workdir, cancel)
    return made.path


async def _play(generator: SoundtrackGenerator, scenes, durations, title: str, workdir: Path,
                cancel: Optional[CancelToken], **paid) -> Generated:
    made = await generator.generate(scenes, durations, workdir, cancel, **paid)
    named = made.path.with_name(soundtrack_title(title) + made.path.suffix)
    return replace(made, path=made.path.replace(named))


def create_prompt_project(folder: Path, story: Story, settings: Optional[dict] = None,
                          **sizes) -> tuple[ProjectFile, Project]:
    """A new project folder for ``story`` with no song yet (``make_project_soundtrack`` makes
    it); ``settings``: more of the project's settings, ``sizes``: fps, width, height."""
    project = Project(name=Path(folder).stem, prompt=story.prompt, created=time.time(),
                      settings={**(settings or {}), **story_settings(story)}, **sizes)
    return create_project(folder, project), project


async def make_project_soundtrack(store: ProjectFile, project: Project,
                                  generator: SoundtrackGenerator, *, cap: float,
                                  sink: Sink = null_sink,
                                  cancel: Optional[CancelToken] = None) -> Song:
    """Make the project's story into its song with ``generator`` and save the project.

    A paid generator runs under the project's budget ``cap`` (its calls in the cost ledger); its
    pieces stay in the project's ``WORK_DIR`` until the song exists, so a run started again after
    a kill, a failure or a cancel goes on from them without paying twice."""
    story = story_of(project)
    if story is None:
        raise InputError("the project has no story to make a soundtrack for")
    quote = quote_soundtrack(generator, story)
    sink(StageStarted(STAGE, quote.describe(cap)))
    started = time.monotonic()
    work = store.folder / WORK_DIR
    work.mkdir(exist_ok=True)
    paid = {"budget": Budget(store.db, cap), "sink": sink} if quote.paid else {}
    made = await _play(generator, story_scenes(story), part_durations(story), story.prompt,
                       work, cancel, **paid)
    project.song = store.import_song(made.path)
    store.save(project)
    shutil.rmtree(work, ignore_errors=True)
    sink(StageFinished(STAGE, time.monotonic() - started,
                       f"${made.cost:.4f} paid" if quote.paid else ""))
    return project.song


async def run_prompt_only_job(job: RenderJob, duration: float, *, bpm: Optional[float] = None,
                              template: Optional[str] = None, cloud: bool = False,
                              sink: Sink = null_sink,
                              cancel: Optional[CancelToken] = None) -> RenderSummary:
    """Render a ``duration``-second video of ``job.prompt`` with no song (``job.song`` unused).

    The soundtrack is offline unless ``cloud`` asks for MusicGen (which needs a Replicate token;
    its estimate is told to ``sink`` as the stage starts, the user's budget cap holds)."""
    check_output_path(job.output)
    mode = mode_in(job.settings)
    scenes = mode.scene_template() if mode else None  # a photo video to a scene template
    if scenes is not None:
        with tempfile.TemporaryDirectory(prefix="soundtrack-", dir=cache_dir()) as tmp:
            song = await template_soundtrack(scenes, job.prompt, duration, Path(tmp), bpm, cancel)
            return await run_render_job(replace(job, song=song), sink, cancel)
    story = compose_story(job.prompt, duration, bpm=bpm, template=template)
    generator = soundtrack_maker(story, cloud)
    if cloud and not is_paid(generator):
        raise InputError("MusicGen needs a Replicate API token: set REPLICATE_API_TOKEN or add "
                         "it in the app's Settings")
    cap = load_settings().budget_cap_usd
    if job.project_dir is not None:
        return await _score_and_render(job, story, generator, job.project_dir, cap, sink, cancel)
    with tempfile.TemporaryDirectory(prefix="prompt-", dir=cache_dir()) as tmp:
        summary = await _score_and_render(job, story, generator, Path(tmp) / "job.mvstudio",
                                          cap, sink, cancel)
        return replace(summary, project="")


async def _score_and_render(job: RenderJob, story: Story, generator: SoundtrackGenerator,
                            folder: Path, cap: float, sink: Sink,
                            cancel: Optional[CancelToken]) -> RenderSummary:
    """The soundtrack made into the project in ``folder`` (unless it has its song), rendered."""
    store, project = prompt_project(folder, story, job.settings, fps=job.fps, width=job.width,
                                   height=job.height)
    try:
        if project.song is None:
            await make_project_soundtrack(store, project, generator, cap=cap, sink=sink,
                                          cancel=cancel)
        song = store.media.path(project.song.media)
    finally:
        store.close()
    return await run_render_job(replace(job, song=song, project_dir=folder), sink, cancel)


def prompt_project(folder: Path, story: Story, settings: Optional[dict] = None,
                   **sizes) -> tuple[ProjectFile, Project]:
    """The project of ``story`` in ``folder``: a new one (see ``create_prompt_project``), or the
    one there, given the story while it has no song (so an interrupted soundtrack goes on)."""
    folder = Path(folder)
    if not (folder / DB_NAME).exists():
        return create_prompt_project(folder, story, settings, **sizes)
    store = open_project(folder)
    project = store.load()
    if project.song is None:
        project.settings.update(story_settings(story))
        store.save(project)
    return store, project


def unfinished_prompt_project(folder: Path, story: Story) -> bool:
    """True when ``folder`` holds a project of ``story`` whose soundtrack was never finished
    (made again there, it goes on from what was made and paid)."""
    if not (Path(folder) / DB_NAME).exists():
        return False
    try:
        with open_project(folder) as store:
            project = store.load()
    except MVError:
        return False
    return project.song is None and story_of(project) == story
