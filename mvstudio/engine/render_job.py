"""Song in, video out: the headless job behind ``mvstudio render`` (and the app's quick render).

Everything the user gave is checked before any work starts, so a bad input costs nothing and leaves
nothing behind.  The work happens in a project folder: the one the user named (kept, and resumed if
it exists) or a temporary one.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from mvstudio.engine.analysis.audio_io import probe_audio
from mvstudio.engine.errors import InputError
from mvstudio.engine.events import CancelToken, Notice, Sink, null_sink
from mvstudio.engine.generation.photos import list_photos, readable_photos
from mvstudio.engine.model import Project
from mvstudio.engine.photos.mode import check_library, mode_in
from mvstudio.engine.pipeline import Pipeline
from mvstudio.engine.providers import pipeline_options, providers_for
from mvstudio.engine.render.options import RenderOptions
from mvstudio.engine.render.output import check_output_path
from mvstudio.engine.store.project_file import ProjectFile, create_project, open_project
from mvstudio.engine.timebase import to_seconds
from mvstudio.engine.userdirs import cache_dir


@dataclass
class RenderJob:
    song: Path
    prompt: str
    output: Path
    images: Optional[Path] = None
    project_dir: Optional[Path] = None
    fps: int = 30
    width: int = 1920
    height: int = 1080
    concurrency: int = 2
    seed: int = 0
    settings: dict = field(default_factory=dict)  # a new project's settings (e.g. its story)
    options: RenderOptions = field(default_factory=RenderOptions)  # the output's format


@dataclass
class RenderSummary:
    output: str
    duration: float
    song_duration: float
    bpm: float
    clips: list[dict]
    cuts: list[dict]
    render: dict
    stage_seconds: dict[str, float] = field(default_factory=dict)
    project: str = ""
    notices: list[str] = field(default_factory=list)


@dataclass
class _Checked:
    photos: Optional[list[Path]]
    notices: list[str]


def check_job(job: RenderJob) -> _Checked:
    """Validate every input up front; raises InputError/AudioError with a one-line message."""
    check_output_path(job.output)
    job.options.check()
    probe_audio(job.song)
    if job.width % 2 or job.height % 2 or job.width < 16 or job.height < 16:
        raise InputError(f"output size must be even and at least 16x16, got {job.width}x{job.height}")
    if not 1 <= job.fps <= 120:
        raise InputError(f"frame rate must be between 1 and 120, got {job.fps}")
    photos, notices = None, []
    library_mode = mode_in(job.settings)
    if job.images is not None and library_mode is not None:  # the best photos are chosen
        notices = check_library(library_mode)
    elif job.images is not None:  # every picture, one per clip in name order
        photos, notices = readable_photos(list_photos(job.images))
        if not photos:
            raise InputError(f"none of the pictures in {job.images} can be read")
    return _Checked(photos, notices)


def _open_or_create(job: RenderJob, folder: Path) -> tuple[ProjectFile, Project]:
    if (folder / "project.db").exists():
        store = open_project(folder)
        project = store.load()
        project.prompt = job.prompt
        return store, project
    project = Project(name=job.song.stem, prompt=job.prompt, fps=job.fps, width=job.width,
                      height=job.height, settings=dict(job.settings), created=time.time())
    store = create_project(folder, project)
    project.song = store.import_song(job.song)
    store.save(project)
    return store, project


async def run_render_job(job: RenderJob, sink: Sink = null_sink,
                         cancel: Optional[CancelToken] = None) -> RenderSummary:
    """Analyse, plan, generate offline and render ``job``; the output appears only when complete."""
    checked = check_job(job)
    for note in checked.notices:
        sink(Notice(note, "images"))
    timings: dict[str, float] = {}

    def timed(event) -> None:
        if type(event).__name__ == "StageFinished":
            timings[event.stage] = round(event.seconds, 2)
        sink(event)

    if job.project_dir is not None:
        return await _run_in(job, job.project_dir, checked, timed, cancel, timings)
    with tempfile.TemporaryDirectory(prefix="render-", dir=cache_dir()) as tmp:
        return await _run_in(job, Path(tmp) / "job.mvstudio", checked, timed, cancel, timings)


async def _run_in(job: RenderJob, folder: Path, checked: _Checked, sink: Sink,
                  cancel: Optional[CancelToken], timings: dict) -> RenderSummary:
    store, project = _open_or_create(job, folder)
    try:
        providers = providers_for(checked.photos, cloud=False)  # headless renders stay free
        options = pipeline_options(providers, concurrency=job.concurrency, seed=job.seed)
        pipeline = Pipeline(store, project, providers, sink=sink, cancel=cancel, options=options)
        report = await pipeline.run(job.output, job.options)
    finally:
        store.close()
    return _summary(job, project, report, timings, checked.notices,
                    str(folder) if job.project_dir else "")


def _summary(job: RenderJob, project: Project, report, timings, notices, folder) -> RenderSummary:
    fps = project.fps
    plan = project.plan

    def sec(frame: int) -> float:
        return round(float(to_seconds(frame, fps)), 3)

    clips = [{"id": c.id, "start": sec(c.start_frame), "end": sec(c.end_frame),
              "start_frame": c.start_frame, "end_frame": c.end_frame,
              "description": c.visual_description} for c in plan.clips]
    cuts = []
    for t in plan.transitions:
        if t.from_clip and t.to_clip:
            frame = plan.clip(t.to_clip).start_frame
            cuts.append({"frame": frame, "time": sec(frame), "kind": t.kind,
                         "frames": t.duration_frames})
    return RenderSummary(output=str(job.output), duration=report.duration,
                         song_duration=project.analysis.duration, bpm=project.analysis.bpm,
                         clips=clips, cuts=cuts, render=report.as_dict(), stage_seconds=timings,
                         project=folder, notices=list(notices))
