"""Orchestration: analyse, plan, make stills, make clips, render — each only where stale.

Every artefact is recorded with the hash of its inputs; a stage skips any item whose recorded hash
equals the current one.  That one rule gives per-clip regeneration, resume after a crash without
redoing finished work, and an exact list of what a run will do before it starts.

The pipeline runs on an asyncio loop (the CLI's ``asyncio.run`` or the app's qasync loop); blocking
work (analysis, FFmpeg) runs in threads, and the project document is only touched on the loop.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from mvstudio.engine.analysis.analyze import AnalysisSettings, analyze, settings_hash
from mvstudio.engine.analysis.cache import AnalysisCache, analyze_cached
from mvstudio.engine.analysis.corrections import apply_corrections, corrections_hash
from mvstudio.engine.errors import MVError, ProviderError
from mvstudio.engine.events import CancelToken, Sink, StageReporter, null_sink
from mvstudio.engine.generation.local_clips import LocalClipMaker
from mvstudio.engine.generation.local_images import LocalStillMaker
from mvstudio.engine.generation.photos import PhotoStills
from mvstudio.engine.generation.protocols import (ClipRequest, ImageGenerator, ImageRequest,
                                                  Planner, VideoGenerator)
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import Asset, ClipScript, Project, check_consistency
from mvstudio.engine.planning.basis import plan_basis
from mvstudio.engine.planning.prompts import build_prompt
from mvstudio.engine.planning.rules import RulePlanner
from mvstudio.engine.render.compose import RenderReport, render_timeline
from mvstudio.engine.store.project_file import ProjectFile

STAGES = ("analyse", "plan", "images", "clips", "render")
CAMERA_MOVES = ("zoom_in", "pan_right", "zoom_out", "pan_left", "push_diagonal", "pan_up")


@dataclass
class Providers:
    planner: Planner
    images: ImageGenerator
    clips: VideoGenerator


def offline_providers(photos: Optional[list[Path]] = None) -> Providers:
    """The providers that ship with the app: no keys, no network, no cost."""
    images: ImageGenerator = PhotoStills(photos) if photos else LocalStillMaker()
    return Providers(RulePlanner(), images, LocalClipMaker())


@dataclass
class PipelineOptions:
    concurrency: int = 2
    seed: int = 0
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    analysis_cache: bool = True  # reuse analyses of the same audio and settings (user cache)


def camera_move(clip: ClipScript) -> str:
    """The offline animator's move for a clip: varied along the video, fixed per clip seed."""
    return CAMERA_MOVES[clip.seed % len(CAMERA_MOVES)]


class Pipeline:
    """Runs the stages of one project.

    Every finished artefact is recorded in the project file at once (paid work is never lost).
    With ``save_document`` (headless use) the whole document is saved after each step too; the app
    passes False and its own autosave and Save command persist the document, while
    ``on_change`` tells it what changed.
    """

    def __init__(self, store: ProjectFile, project: Project, providers: Providers, *,
                 sink: Sink = null_sink, cancel: Optional[CancelToken] = None,
                 options: Optional[PipelineOptions] = None, save_document: bool = True,
                 on_change: Callable[[str], None] = lambda _what: None):
        self.store, self.project, self.providers = store, project, providers
        self.sink, self.cancel = sink, cancel or CancelToken()
        self.options = options or PipelineOptions()
        self.save_document, self.on_change = save_document, on_change

    # ------------------------------------------------------------------ analyse

    async def analyse(self) -> None:
        project = self.project
        if project.song is None:
            raise MVError("the project has no song")
        settings = self.options.analysis
        song_path = self.store.media.path(project.song.media)
        current = project.analysis
        song_hash = project.song.media.split(".")[0]  # media files are named by content hash
        if current and current.settings_hash == settings_hash(settings, project.fps) \
                and current.audio_hash == song_hash \
                and current.corrections_hash == corrections_hash(project.corrections):
            return
        kept = project.uncorrected_analysis()
        if kept is not None and kept.settings_hash == settings_hash(settings, project.fps) \
                and kept.audio_hash == song_hash and not kept.corrections_hash:
            raw = kept  # only the corrections changed
        elif self.options.analysis_cache:  # the raw analysis; corrections are applied on top
            raw, _ = await asyncio.to_thread(analyze_cached, song_path, project.fps, settings,
                                             self.sink, self.cancel, AnalysisCache())
        else:
            raw = await asyncio.to_thread(analyze, song_path, project.fps, settings, self.sink,
                                          self.cancel)
        if current is not None and current.audio_hash == raw.audio_hash and not raw.lyrics:
            raw.lyrics = current.lyrics  # lyrics depend on the audio only
        project.analysis = apply_corrections(raw, project.corrections, settings)
        project.raw_analysis = None if project.analysis is raw else raw
        self._changed("analysis")

    # ------------------------------------------------------------------ plan

    async def plan(self) -> None:
        project = self.project
        assert project.analysis is not None, "analyse before planning"
        if project.plan is not None and project.plan.basis == plan_basis(project):
            return
        reporter = StageReporter(self.sink, "plan")
        reporter.start(f"planning with {self.providers.planner.name}")
        plan = await self.providers.planner.plan(project.analysis, project.prompt, self.options.seed)
        plan.basis = plan_basis(project)
        project.plan = plan
        problems = check_consistency(project)
        if problems:
            raise ProviderError(f"the planner made an inconsistent plan: {problems[0].message}")
        self._changed("plan")
        reporter.finish(f"{len(plan.clips)} clips")

    # ------------------------------------------------------------------ stills

    def image_request(self, clip: ClipScript) -> ImageRequest:
        plan = self.project.plan
        return ImageRequest(owner=clip.id, prompt=build_prompt(plan, clip).prompt,
                            palette=tuple(plan.style.palette), seed=clip.seed,
                            width=self.project.width, height=self.project.height)

    def image_hash(self, clip: ClipScript) -> str:
        request = self.image_request(clip)
        provider = self.providers.images
        return input_hash("image", provider.fingerprint(), provider.request_key(request),
                          request.prompt, request.palette, request.seed, request.width,
                          request.height)

    async def images(self) -> None:
        plan = self.project.plan
        if isinstance(self.providers.images, PhotoStills):
            self.providers.images.assign([c.id for c in plan.clips])
        todo = [c for c in plan.clips
                if not self.project.fresh_asset(c.id, "image", self.image_hash(c))]
        await self._run_items("images", todo, self._make_image)

    async def _make_image(self, clip: ClipScript, workdir: Path, cancel: CancelToken) -> None:
        wanted = self.image_hash(clip)
        result = await self.providers.images.generate(self.image_request(clip), workdir, cancel)
        await self._record(clip.id, "image", wanted, result)

    # ------------------------------------------------------------------ clips

    def clip_request(self, clip: ClipScript) -> Optional[ClipRequest]:
        """The request for ``clip``, or None while its still is missing or stale."""
        image = self.project.fresh_asset(clip.id, "image", self.image_hash(clip))
        if image is None:
            return None
        analysis = self.project.analysis
        beats = tuple(f - clip.start_frame for f in analysis.beat_frames()
                      if clip.start_frame <= f < clip.end_frame)
        return ClipRequest(owner=clip.id, prompt=build_prompt(self.project.plan, clip).prompt,
                           image=self.store.media.path(image.media), frames=clip.frames,
                           fps=self.project.fps, width=self.project.width,
                           height=self.project.height, beat_frames=beats, move=camera_move(clip),
                           seed=clip.seed)

    def clip_hash(self, clip: ClipScript) -> Optional[str]:
        request = self.clip_request(clip)
        if request is None:
            return None
        return input_hash("clip", self.providers.clips.fingerprint(), request.image.name,
                          request.prompt, request.frames, request.fps, request.width,
                          request.height, request.beat_frames, request.move, request.seed)

    def stale_clips(self) -> list[ClipScript]:
        plan = self.project.plan
        if plan is None:
            return []
        return [c for c in plan.clips
                if (h := self.clip_hash(c)) is None or not self.project.fresh_asset(c.id, "clip", h)]

    async def clips(self) -> None:
        await self._run_items("clips", self.stale_clips(), self._make_clip)

    async def _make_clip(self, clip: ClipScript, workdir: Path, cancel: CancelToken) -> None:
        request = self.clip_request(clip)
        if request is None:
            raise ProviderError(f"clip {clip.id} has no still to animate")
        wanted = self.clip_hash(clip)
        result = await self.providers.clips.generate(request, workdir, cancel)
        await self._record(clip.id, "clip", wanted, result)

    # ------------------------------------------------------------------ render

    async def render(self, out: Path) -> RenderReport:
        project = self.project
        stale = self.stale_clips()
        if stale:
            raise MVError(f"{len(stale)} clips are not generated yet; run the clips stage first")
        sources = {c.id: self.store.media.path(project.fresh_asset(c.id, "clip",
                                                                     self.clip_hash(c)).media)
                   for c in project.plan.clips}
        return await asyncio.to_thread(
            render_timeline, project.plan, sources, self.store.media.path(project.song.media),
            Path(out), fps=project.fps, width=project.width, height=project.height,
            total_frames=project.analysis.end_frame, sink=self.sink, cancel=self.cancel)

    async def run(self, out: Path) -> RenderReport:
        """Every stage in order, each doing only what is stale."""
        await self.analyse()
        await self.plan()
        await self.images()
        await self.clips()
        return await self.render(out)

    # ------------------------------------------------------------------ helpers

    async def _run_items(self, stage: str, items: list[ClipScript], make) -> None:
        reporter = StageReporter(self.sink, stage)
        reporter.start(f"{len(items)} to make" if items else "all fresh")
        if not items:
            reporter.finish("all fresh")
            return
        gate = asyncio.Semaphore(max(1, self.options.concurrency))
        stage_cancel = self.cancel.child()  # a failure stops the stage's siblings, not the pipeline
        done = 0
        workdir = self.store.folder / ".work" / stage
        workdir.mkdir(parents=True, exist_ok=True)

        async def one(clip: ClipScript) -> None:
            nonlocal done
            async with gate:
                stage_cancel.raise_if_cancelled()
                await make(clip, workdir, stage_cancel)
            done += 1
            reporter.update(done / len(items), f"{done}/{len(items)}", item=clip.id, force=True)

        tasks = [asyncio.ensure_future(one(c)) for c in items]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            stage_cancel.cancel()  # kills the siblings' FFmpeg before the error goes up
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            stage_cancel.detach()
            shutil.rmtree(workdir, ignore_errors=True)
        reporter.finish(f"{len(items)} made")

    async def _record(self, owner: str, kind: str, wanted: str, result) -> None:
        """Move the result into the media store (hashing and copying off the loop) and record it."""
        media = await asyncio.to_thread(self.store.media.adopt, result.path,
                                        result.path.suffix.lstrip("."))
        asset = Asset(kind=kind, owner=owner, media=media, input_hash=wanted,
                      provider=result.provider, model=result.model, cost=result.cost,
                      width=result.width, height=result.height, duration=result.duration,
                      created=time.time())
        self.project.assets.append(asset)
        if not self.save_document:
            self.store.add_asset(asset)
        self._changed(f"{kind}:{owner}")

    def _changed(self, what: str) -> None:
        if self.save_document:
            self.project.modified = time.time()
            self.store.save(self.project)
        self.on_change(what)
