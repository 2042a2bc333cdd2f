"""Orchestration: analyse, plan, make stills, make clips, render — each only where stale.

Every artefact is recorded with the hash of its inputs; a stage skips any item whose recorded hash
equals the current one.  That one rule gives per-clip regeneration, resume after a crash without
redoing finished work, and an exact list of what a run will do before it starts.

The pipeline runs on an asyncio loop (the CLI's ``asyncio.run`` or the app's qasync loop); blocking
work (analysis, FFmpeg) runs in threads, and the project document is only touched on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Callable, Optional

from mvstudio.engine.analysis.analyze import AnalysisSettings, analyze, settings_hash
from mvstudio.engine.analysis.cache import AnalysisCache, analyze_cached
from mvstudio.engine.analysis.corrections import apply_corrections, corrections_hash
from mvstudio.engine.continuity import ContinuedShots, continued_clip
from mvstudio.engine.errors import (Cancelled, InputError, ItemsFailed, KeyRejected, MVError,
                                    ProviderError)
from mvstudio.engine.events import (CancelToken, ItemFailed, ItemStarted, Notice,
                                    PredictionStarted, Sink, StageReporter, null_sink)
from mvstudio.engine.generation.budget import Budget, is_paid, model_name, paid_call
from mvstudio.engine.generation.local_clips import LocalClipMaker
from mvstudio.engine.generation.local_images import LocalStillMaker
from mvstudio.engine.generation.photos import PhotoStills
from mvstudio.engine.generation.protocols import (ClipRequest, ImageGenerator, ImageRequest,
                                                  Planner, Transcriber, VideoGenerator)
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import Asset, ClipScript, Project, check_consistency
from mvstudio.engine.planning.basis import plan_basis
from mvstudio.engine.planning.fallback import plan_or_fall_back
from mvstudio.engine.planning.prompt_only import story_planner
from mvstudio.engine.planning.prompts import build_prompt
from mvstudio.engine.planning.replan import merge_replan
from mvstudio.engine.photos.mode import choose_after_plan
from mvstudio.engine.photos.template_plan import template_planner
from mvstudio.engine.planning.rules import RulePlanner
from mvstudio.engine.planning.spend import Spend
from mvstudio.engine.references import References
from mvstudio.engine.render.commands import MOVES
from mvstudio.engine.render.compose import RenderReport, render_timeline
from mvstudio.engine.render.options import RenderOptions
from mvstudio.engine.export.subtitles import timed_lines
from mvstudio.engine.store.ledger import record_spend
from mvstudio.engine.store.project_file import ProjectFile

log = logging.getLogger(__name__)

STAGES = ("analyse", "plan", "images", "clips", "render")
CAMERA_MOVES = ("zoom_in", "pan_right", "zoom_out", "pan_left", "push_diagonal", "pan_up")
CONTINUING_MOVE = "zoom_in"  # starts on the whole frame, so a continued shot does not jump
ITEM_NOUNS = {"references": "references", "images": "stills", "clips": "clips"}  # what a stage makes, for messages
OWN_PICTURE = "own-picture/1"  # how a user's picture becomes a still (bump when that changes)
SUMMARY_REASONS = 3  # failure reasons spelled out in a stage's summary error
MIN_REAL_CLIPS = 3  # a run with paid clips succeeds when at least this many were made


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
    budget_cap_usd: float = 20.0  # the project's hard cap on paid calls (``generation.budget``)


def camera_move(clip: ClipScript) -> str:
    """The offline animator's move for a clip: the one its script names (a scene template's),
    else one that starts on the whole picture for a clip continuing a shot, else varied along
    the video, fixed per clip seed."""
    if clip.move in MOVES:
        return clip.move
    return CONTINUING_MOVE if clip.continues else CAMERA_MOVES[clip.seed % len(CAMERA_MOVES)]


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
        self._beats: Optional[tuple[object, list[int]]] = None  # (analysis, its beat frames)
        self.failures: dict[str, str] = {}  # clip id -> why its still or video failed this run
        self._item_cancels: dict[str, CancelToken] = {}  # clip id -> its item's token, while made
        self._makers: dict[str, VideoGenerator] = {}  # a clip's own video model -> its maker

    @cached_property
    def budget(self) -> Budget:
        """The project's budget cap over its cost ledger (``generation.budget``)."""
        return Budget(self.store.db, self.options.budget_cap_usd)

    @cached_property
    def shots(self) -> ContinuedShots:
        """The frames that clips continuing a shot start on (``continuity``)."""
        return ContinuedShots(self)

    @cached_property
    def references(self) -> References:
        """The scene and character references the stills are made from (``references``)."""
        return References(self)

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

    async def plan(self, force: bool = False) -> None:
        """Plan where the plan is stale (or, with ``force``, anew); locked and edited clips are
        kept either way (``planning.replan``)."""
        project = self.project
        assert project.analysis is not None, "analyse before planning"
        if not force and project.plan is not None and project.plan.basis == plan_basis(project):
            return
        reporter = StageReporter(self.sink, "plan")
        planner = story_planner(project) or template_planner(project) or \
            self.providers.planner  # prompt-only: its story; photo mode: its scene template
        reporter.start(f"planning with {planner.name}")
        plan = await plan_or_fall_back(
            planner, project.analysis, project.prompt, self.options.seed, cancel=self.cancel,
            spend=self._spent, warn=lambda why: self.sink(Notice(why, "plan", "warning")))
        plan = merge_replan(project.plan, plan, project.analysis)
        plan.basis = plan_basis(project)
        project.plan = plan
        await choose_after_plan(project, self.store.media, self.sink, self.cancel)  # photo mode
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
                            width=self.project.width, height=self.project.height,
                            reference=self.references.for_clip(clip))

    def current_still(self, clip: ClipScript) -> Optional[Asset]:
        """The still the clip's video is made from now; its newest while none is current."""
        return self.project.fresh_asset(clip.id, "image", self.image_hash(clip)) \
            or self.project.latest_asset(clip.id, "image")

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
        """Make the stale references, then the stale stills."""
        await self.references.make()
        plan = self.project.plan
        if isinstance(self.providers.images, PhotoStills):
            self.providers.images.assign([c.id for c in plan.clips])
        wanted = {c.id: self.image_hash(c) for c in plan.clips}
        todo = [c for c in plan.clips if not self.project.fresh_asset(c.id, "image", wanted[c.id])]
        if is_paid(self.providers.images):
            self.budget.tidy("images", [(c.id, wanted[c.id]) for c in todo])
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
        await self._generate("images", clip, "image", wanted, maker, self.image_request(clip),
                             workdir, cancel)

    # ------------------------------------------------------------------ clips

    def _beat_frames(self) -> list[int]:
        """The analysis' beat frames, converted once per analysis (every clip asks for them)."""
        analysis = self.project.analysis
        if self._beats is None or self._beats[0] is not analysis:
            self._beats = (analysis, analysis.beat_frames())
        return self._beats[1]

    def clip_request(self, clip: ClipScript) -> Optional[ClipRequest]:
        """The request for ``clip``, or None while its still is missing or stale."""
        image = self._first_frame(clip)
        if image is None:
            return None
        frames = self._beat_frames()
        inside = frames[bisect_left(frames, clip.start_frame):bisect_left(frames, clip.end_frame)]
        beats = tuple(f - clip.start_frame for f in inside
                      if f > clip.start_frame or not clip.continues)  # no punch inside a shot
        return ClipRequest(owner=clip.id, prompt=build_prompt(self.project.plan, clip).prompt,
                           image=self.store.media.path(image.media), frames=clip.frames,
                           fps=self.project.fps, width=self.project.width,
                           height=self.project.height, beat_frames=beats, move=camera_move(clip),
                           seed=clip.seed, last_image=self._last_image(clip))

    def _first_frame(self, clip: ClipScript) -> Optional[Asset]:
        """What the clip's video starts on: its still, or for a clip that continues the one
        before as one shot, that clip's last shown frame (``continuity``)."""
        if continued_clip(self.project.plan, clip) is None:
            return self.project.fresh_asset(clip.id, "image", self.image_hash(clip))
        return self.shots.start(clip)

    def clip_maker(self, clip: ClipScript) -> VideoGenerator:
        """What makes ``clip``'s video: the project's video model, or the clip's own
        (``ClipScript.video_model``) on the same service.  Offline makers have no models; a
        model the registry no longer has falls back to the project's with a warning."""
        base, key = self.providers.clips, clip.video_model
        if not key or not hasattr(base, "with_model") or key == model_name(base):
            return base
        if key not in self._makers:
            try:
                self._makers[key] = base.with_model(key)
            except ProviderError as exc:
                log.warning("clip model %s not used: %s", key, exc)
                self._makers[key] = base
        return self._makers[key]

    def _last_image(self, clip: ClipScript) -> Optional[Path]:
        """The picture the clip's video ends on (photo pairs), if it has one in the store."""
        name = clip.last_image_path
        return self.store.media.path(name) if name and self.store.media.exists(name) else None

    def clip_hash(self, clip: ClipScript) -> Optional[str]:
        """The hash of what decides the clip: a cloud model's inputs (``request_key``: the
        duration it will make, not the slot's frames), or everything the offline animator uses."""
        request = self.clip_request(clip)
        if request is None:
            return None
        provider = self.clip_maker(clip)
        if hasattr(provider, "request_key"):
            return input_hash("clip", provider.fingerprint(), provider.request_key(request))
        return input_hash("clip", provider.fingerprint(), *_animation_key(request))

    def stand_in_hash(self, clip: ClipScript) -> Optional[str]:
        """The hash of the clip's still animated offline (a stand-in for a failed paid clip)."""
        request = self.clip_request(clip)
        return input_hash("clip", LocalClipMaker().fingerprint(), *_animation_key(request)) \
            if request is not None else None

    def clip_source(self, clip: ClipScript) -> Optional[Asset]:
        """The video the render uses: made for the clip's current inputs, else its stand-in."""
        wanted = self.clip_hash(clip)
        found = self.project.fresh_asset(clip.id, "clip", wanted) if wanted else None
        if found is None and wanted and is_paid(self.providers.clips):
            found = self.project.fresh_asset(clip.id, "clip", self.stand_in_hash(clip))
        return found

    def stale_clips(self) -> list[ClipScript]:
        plan = self.project.plan
        if plan is None:
            return []
        return [c for c in plan.clips
                if (h := self.clip_hash(c)) is None or not self.project.fresh_asset(c.id, "clip", h)]

    async def clips(self) -> None:
        """Make the stale clips.  With a paid model, a clip that failed shows its still (animated
        offline) with a warning, and the stage succeeds while ``MIN_REAL_CLIPS`` were made."""
        todo = self.stale_clips()
        paid = is_paid(self.providers.clips)
        if paid:
            self.budget.tidy("clips", [(c.id, h) for c in todo if (h := self.clip_hash(c))])
        try:
            await self._run_items("clips", todo, self._make_clip, after=self._continued_id)
        except ItemsFailed as exc:
            if not paid:
                raise
            await self._stand_in(exc)

    async def _make_clip(self, clip: ClipScript, workdir: Path, cancel: CancelToken) -> None:
        await self.shots.take(clip, workdir, cancel)
        request = self.clip_request(clip)
        if request is None:
            raise ProviderError("its still is missing: make the stills first")
        await self._generate("clips", clip, "clip", self.clip_hash(clip), self.clip_maker(clip),
                             request, workdir, cancel)

    def _continued_id(self, clip: ClipScript) -> Optional[str]:
        before = continued_clip(self.project.plan, clip)
        return before.id if before is not None else None

    async def _stand_in(self, failed: ItemsFailed) -> None:
        """Animate the stills of the clips that ``failed`` (kept stale: Retry makes them again);
        fail the stage when fewer than ``MIN_REAL_CLIPS`` real clips exist."""
        clips = [c for c in self.project.plan.clips if c.id in failed.failures]
        workdir = self.store.folder / ".work" / "stand-ins"
        workdir.mkdir(parents=True, exist_ok=True)
        gate = asyncio.Semaphore(max(1, min(self.options.concurrency, os.cpu_count() or 1)))

        async def one(clip: ClipScript) -> None:
            await self.shots.take(clip, workdir, self.cancel)
            request, wanted = self.clip_request(clip), self.stand_in_hash(clip)
            if request is None or self.project.fresh_asset(clip.id, "clip", wanted):
                return
            async with gate:
                result = await LocalClipMaker().generate(request, workdir, self.cancel)
            await self.record(clip.id, "clip", wanted, result)

        try:  # in waves: a clip that continues another waits for that one's video
            pending = clips
            while pending:
                ready = [c for c in pending if self._continued_id(c) not in
                         {p.id for p in pending}]
                await asyncio.gather(*(one(c) for c in ready))
                pending = [c for c in pending if c not in ready]
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        total = len(self.project.plan.clips)
        real = total - len(self.stale_clips())
        needed = min(MIN_REAL_CLIPS, total)
        if real < needed or any(self.clip_source(c) is None for c in clips):
            raise ItemsFailed(f"only {real} of {total} clips were generated (at least {needed} "
                              f"are needed): {failed}", failed.failures)
        self.sink(Notice(f"{failed}; their stills stand in (Retry makes them again)", "clips",
                         "warning"))

    # ------------------------------------------------------------------ render

    async def render(self, out: Path, options: RenderOptions = RenderOptions()) -> RenderReport:
        """Render the plan to ``out`` in the format of ``options``, with the lyrics as
        SRT/VTT sidecars (and burned in when asked)."""
        project = self.project
        found = {c.id: self.clip_source(c) for c in project.plan.clips}
        missing = [c for c in project.plan.clips if found[c.id] is None]
        if missing:
            raise MVError(f"{len(missing)} clips are not generated yet; run the clips stage first")
        sources = {c: self.store.media.path(asset.media) for c, asset in found.items()}
        return await asyncio.to_thread(
            render_timeline, project.plan, sources, self.store.media.path(project.song.media),
            Path(out), fps=project.fps, width=project.width, height=project.height,
            total_frames=project.analysis.end_frame, options=options,
            cues=timed_lines(project.analysis), sink=self.sink, cancel=self.cancel)

    async def run(self, out: Path, options: RenderOptions = RenderOptions()) -> RenderReport:
        """Every stage in order, each doing only what is stale."""
        await self.analyse()
        await self.plan()
        await self.images()
        await self.clips()
        return await self.render(out, options)

    # ------------------------------------------------------------------ helpers

    async def _generate(self, stage: str, clip: ClipScript, kind: str, wanted: str, provider,
                        request, workdir: Path, cancel: CancelToken) -> None:
        """Make ``request`` with ``provider`` and record it under ``wanted``.  A paid provider
        runs under the budget and reattaches to its prediction after a restart
        (``generation.budget``); the money is settled once the result is recorded."""
        if not is_paid(provider):
            await self.record(clip.id, kind, wanted,
                               await provider.generate(request, workdir, cancel))
            return
        model = model_name(provider)
        result, row = await paid_call(
            self.budget, partial(provider.generate, request, workdir, cancel), stage=stage,
            owner=clip.id, input_hash=wanted, provider=provider, request=request,
            label=self.label(clip),
            on_created=lambda pid: self.sink(PredictionStarted(stage, clip.id, model, pid)))
        await self.record(clip.id, kind, wanted, result)
        self.budget.settle(row, result.cost)

    def cancel_item(self, clip_id: str) -> bool:
        """Stop making one clip's still or video (its remote prediction is cancelled); the
        others go on.  False when it is not being made."""
        token = self._item_cancels.get(clip_id)
        if token is not None:
            token.cancel()
        return token is not None

    async def _run_items(self, stage: str, items: list[ClipScript], make,
                         after: Callable[[ClipScript], Optional[str]] = lambda _c: None) -> None:
        """Make ``items``, ``concurrency`` at a time, reporting each as it starts and ends; an
        item whose ``after`` names another of them starts once that one has ended.

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
        ended = {c.id: asyncio.Event() for c in items}

        async def one(clip: ClipScript) -> None:
            try:
                waits_for = ended.get(after(clip))
                if waits_for is not None:
                    await waits_for.wait()
                await made(clip)
            finally:
                ended[clip.id].set()

        async def made(clip: ClipScript) -> None:
            nonlocal done
            async with gate:
                stage_cancel.raise_if_cancelled()
                item_cancel = self._item_cancels[clip.id] = stage_cancel.child()
                self.sink(ItemStarted(stage, clip.id))
                try:
                    error = await self._attempt(stage, clip, make(clip, workdir, item_cancel),
                                                stage_cancel, item_cancel)
                finally:
                    self._item_cancels.pop(clip.id, None)
                    item_cancel.detach()
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
            raise ItemsFailed(self._failure_summary(stage, items, failed), failed)

    async def _attempt(self, stage: str, clip: ClipScript, making, cancel: CancelToken,
                       item_cancel: CancelToken) -> Optional[str]:
        """Await ``making``: None when it made the item, else why not (recorded and reported).
        A rejected API key stops the stage; so does a cancel, unless only this item was
        cancelled (``cancel_item``), which makes it one more failure."""
        try:
            await making
        except KeyRejected:
            raise
        except MVError as exc:
            if cancel.cancelled or (isinstance(exc, Cancelled) and not item_cancel.cancelled):
                if isinstance(exc, Cancelled):
                    raise
                raise Cancelled() from exc  # killed by the cancel, whatever the provider said
            why = "cancelled by the user" if item_cancel.cancelled else str(exc)
            self.failures[clip.id] = why
            self.sink(ItemFailed(stage, clip.id, why, self.label(clip)))
            return why
        self.failures.pop(clip.id, None)
        return None

    def label(self, item) -> str:
        """``clip 3`` for a clip, the name of a scene or character."""
        if isinstance(item, ClipScript):
            return f"clip {self.project.plan.clips.index(item) + 1}"
        return f"reference of {item.name}"

    def _failure_summary(self, stage: str, items: list, failed: dict[str, str]) -> str:
        """One line such as ``2 of 12 clips failed: clip 3: <why>; clip 7: <why>`` (a few whys)."""
        total, clips = len(items), [c for c in items if c.id in failed]
        reasons = [f"{self.label(c)}: {failed[c.id]}" for c in clips[:SUMMARY_REASONS]]
        more = len(clips) - SUMMARY_REASONS
        return (f"{len(failed)} of {total} {ITEM_NOUNS.get(stage, 'items')} failed: "
                + "; ".join(reasons) + (f"; and {more} more" if more > 0 else ""))

    async def record(self, owner: str, kind: str, wanted: str, result) -> None:
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


def _animation_key(request: ClipRequest) -> tuple:
    """Everything of a request that the offline animator's output depends on."""
    key = (request.image.name, request.prompt, request.frames, request.fps, request.width,
           request.height, request.beat_frames, request.move, request.seed)
    return key + ((request.last_image.name,) if request.last_image else ())
