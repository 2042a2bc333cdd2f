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
from mvstudio.engine.errors import Cancelled, InputError, ItemsFailed, MVError, ProviderError
from mvstudio.engine.events import (CancelToken, ItemFailed, ItemStarted, Notice, Sink,
                                    StageReporter, null_sink)
from mvstudio.engine.generation.local_clips import LocalClipMaker
from mvstudio.engine.generation.local_images import LocalStillMaker
from mvstudio.engine.generation.photos import PhotoStills
from mvstudio.engine.generation.protocols import (ClipRequest, ImageGenerator, ImageRequest,
                                                  Planner, Transcriber, VideoGenerator)
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import Asset, ClipScript, Project, check_consistency
from mvstudio.engine.planning.basis import plan_basis
from mvstudio.engine.planning.prompt_only import story_planner
from mvstudio.engine.planning.prompts import build_prompt
from mvstudio.engine.planning.replan import merge_replan
from mvstudio.engine.planning.rules import RulePlanner
from mvstudio.engine.planning.spend import Spend
from mvstudio.engine.render.compose import RenderReport, render_timeline
from mvstudio.engine.store.ledger import record_spend
from mvstudio.engine.store.project_file import ProjectFile

STAGES = ("analyse", "plan", "images", "clips", "render")
CAMERA_MOVES = ("zoom_in", "pan_right", "zoom_out", "pan_left", "push_diagonal", "pan_up")
ITEM_NOUNS = {"images": "stills", "clips": "clips"}  # what a stage makes, for messages
OWN_PICTURE = "own-picture/1"  # how a user's picture becomes a still (bump when that changes)
SUMMARY_REASONS = 3  # failure reasons spelled out in a stage's summary error


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
    # lyrics: called when the song is to be transcribed; None (headless) never transcribes, a
    # callable returning None (no key) skips with a notice (``analysis.lyrics.keyed_transcriber``)
    transcriber: Optional[Callable[[], Optional[Transcriber]]] = None


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
        self.failures: dict[str, str] = {}  # clip id -> why its still or video failed this run

    # ------------------------------------------------------------------ analyse

    async def analyse(self, lyrics: bool = False) -> None:
        """Analyse the song where stale; a new analysis is transcribed (``lyrics``: even one that
        was fresh, as the app's Analyse asks), see ``lyrics``."""
        if await self._analyse_song() or lyrics:
            await self.lyrics()

    async def _analyse_song(self) -> bool:
        """True when a new analysis was made."""
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
            return False
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
        if current is not None and current.audio_hash == raw.audio_hash and not raw.lyrics \
                and raw.transcript is None:  # lyrics depend on the audio only
            raw.lyrics, raw.transcript = current.lyrics, current.transcript
        project.analysis = apply_corrections(raw, project.corrections, settings)
        project.raw_analysis = None if project.analysis is raw else raw
        self._changed("analysis")
        return True

    async def lyrics(self) -> None:
        """Transcribe the song once, if a transcriber is set up and the project wants lyrics
        (setting ``lyrics``, default on), and time the pasted lyrics by what was heard.

        Never fails the analysis: no key is an info notice, a failed transcription (after the
        transcriber's retries) a one-line warning; the beats and sections stay.
        """
        from mvstudio.engine.analysis.lyrics import record_transcript, song_lyrics

        project, factory = self.project, self.options.transcriber
        if factory is None or project.analysis is None or project.analysis.transcript is not None:
            return
        if not project.settings.get("lyrics", True):
            self.sink(Notice("lyrics skipped: transcription is off for this project", "analyse"))
            return
        transcriber = factory()
        if transcriber is None:
            self.sink(Notice("lyrics skipped: no OpenAI API key (add one in Settings to "
                             "transcribe the lyrics)", "analyse"))
            return
        try:
            heard = await song_lyrics(
                self.store.media.path(project.song.media), transcriber,
                audio_hash=project.analysis.audio_hash, cancel=self.cancel,
                cache=AnalysisCache() if self.options.analysis_cache else None)
        except Cancelled:
            raise
        except MVError as exc:
            self.sink(Notice(f"lyrics not transcribed: {exc}", "analyse", "warning"))
            return
        record_transcript(project, heard)
        self._changed("analysis")

    # ------------------------------------------------------------------ plan

    async def plan(self) -> None:
        project = self.project
        assert project.analysis is not None, "analyse before planning"
        if project.plan is not None and project.plan.basis == plan_basis(project):
            return
        reporter = StageReporter(self.sink, "plan")
        planner = story_planner(project) or self.providers.planner  # prompt-only: its story
        reporter.start(f"planning with {planner.name}")
        try:
            plan = await planner.plan(project.analysis, project.prompt, self.options.seed,
                                      cancel=self.cancel, spend=self._spent)
        except ProviderError as exc:
            if isinstance(planner, RulePlanner):
                raise
            why = f"planning with {planner.name} failed: {exc}"
            self.sink(Notice(f"{why}; the rule director made the plan", "plan", "warning"))
            plan = await RulePlanner().plan(project.analysis, project.prompt, self.options.seed)
            plan.notes.append(f"made by the rule director ({why})")
        plan = merge_replan(project.plan, plan, project.analysis)
        plan.basis = plan_basis(project)
        project.plan = plan
        problems = check_consistency(project)
        if problems:
            raise ProviderError(f"the planner made an inconsistent plan: {problems[0].message}")
        self._changed("plan")
        reporter.finish(f"{len(plan.clips)} clips")

    def _spent(self, spend: Spend) -> None:
        record_spend(self.store.db, spend)

    # ------------------------------------------------------------------ stills

    def image_request(self, clip: ClipScript) -> ImageRequest:
        plan = self.project.plan
        return ImageRequest(owner=clip.id, prompt=build_prompt(plan, clip).prompt,
                            palette=tuple(plan.style.palette), seed=clip.seed,
                            width=self.project.width, height=self.project.height)

    def image_hash(self, clip: ClipScript) -> str:
        if clip.image_path:  # the user's picture: named by its content, fitted to the frame
            return input_hash("image", OWN_PICTURE, clip.image_path, self.project.width,
                              self.project.height)
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
        """The clip's still from the image provider, or from the user's picture (fitted to the
        frame as photo mode fits its pictures; no provider call)."""
        wanted = self.image_hash(clip)
        maker = self.providers.images
        if clip.image_path:
            if not self.store.media.exists(clip.image_path):
                raise InputError("your picture for this clip is missing from the project's "
                                 "media folder; replace it again")
            maker = PhotoStills([self.store.media.path(clip.image_path)])
        result = await maker.generate(self.image_request(clip), workdir, cancel)
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
            raise ProviderError("its still is missing: make the stills first")
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
        """Make ``items``, ``concurrency`` at a time, reporting each as it starts and ends.

        An item that fails with an ``MVError`` is recorded in ``failures`` and reported as
        ``ItemFailed`` while the others carry on; it stays stale, so the next run retries only it,
        and the stage ends with one ``ItemsFailed`` naming every failure.  Cancelling (or a bug)
        stops every item at once, killing the siblings' FFmpeg.
        """
        reporter = StageReporter(self.sink, stage)
        reporter.start(f"{len(items)} to make" if items else "all fresh")
        if not items:
            reporter.finish("all fresh")
            return
        gate = asyncio.Semaphore(max(1, self.options.concurrency))
        stage_cancel = self.cancel.child()  # a bug stops the stage's siblings, not the pipeline
        failed: dict[str, str] = {}
        done = 0
        workdir = self.store.folder / ".work" / stage
        workdir.mkdir(parents=True, exist_ok=True)

        async def one(clip: ClipScript) -> None:
            nonlocal done
            async with gate:
                stage_cancel.raise_if_cancelled()
                self.sink(ItemStarted(stage, clip.id))
                error = await self._attempt(stage, clip, make(clip, workdir, stage_cancel),
                                            stage_cancel)
            if error is not None:
                failed[clip.id] = error
            done += 1
            reporter.update(done / len(items), f"{done}/{len(items)}",
                            item=clip.id if error is None else None, force=True)

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
        reporter.finish(f"{len(items) - len(failed)} made" + (f", {len(failed)} failed"
                                                               if failed else ""))
        if failed:
            raise ItemsFailed(self._failure_summary(stage, len(items), failed), failed)

    async def _attempt(self, stage: str, clip: ClipScript, making,
                       cancel: CancelToken) -> Optional[str]:
        """Await ``making``: None when it made the item, else why not (recorded and reported)."""
        try:
            await making
        except Cancelled:
            raise
        except MVError as exc:
            if cancel.cancelled:  # killed by the cancel, whatever the provider made of it
                raise Cancelled() from exc
            self.failures[clip.id] = str(exc)
            self.sink(ItemFailed(stage, clip.id, str(exc), self._label(clip)))
            return str(exc)
        self.failures.pop(clip.id, None)
        return None

    def _label(self, clip: ClipScript) -> str:
        return f"clip {self.project.plan.clips.index(clip) + 1}"

    def _failure_summary(self, stage: str, total: int, failed: dict[str, str]) -> str:
        """One line such as ``2 of 12 clips failed: clip 3: <why>; clip 7: <why>`` (a few whys)."""
        clips = [c for c in self.project.plan.clips if c.id in failed]
        reasons = [f"{self._label(c)}: {failed[c.id]}" for c in clips[:SUMMARY_REASONS]]
        more = len(clips) - SUMMARY_REASONS
        return (f"{len(failed)} of {total} {ITEM_NOUNS.get(stage, 'items')} failed: "
                + "; ".join(reasons) + (f"; and {more} more" if more > 0 else ""))

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
