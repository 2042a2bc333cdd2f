"""Runs pipeline actions for the open document on the qasync loop, one at a time, cancellable.

Each action runs only what is stale: Analyse; Plan (analyses first if needed); Generate (stills and
clips); Render (everything, then the video).  Engine events reach the UI through the bridge; the
controller keeps which clips are being made and which failed (until they are made), so a failed
clip is retried by running Generate again.  During a run it also keeps the paid predictions in
flight (each can be cancelled alone), and it prices a run before it starts (``estimate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QObject, Signal

from mvstudio.engine.analysis.lyrics import keyed_transcriber
from mvstudio.engine.errors import Cancelled, MVError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.generation.photos import list_photos, readable_photos
from mvstudio.engine.pipeline import Pipeline, Providers, offline_providers
from mvstudio.engine.providers import pipeline_options, providers_for
from mvstudio.engine.settings import load_settings
from mvstudio.engine.render.options import RenderOptions
from mvstudio.engine.run_estimate import RunEstimate, estimate_run
from mvstudio.engine.store import ledger
from mvstudio.ui.bridge import EngineBridge
from mvstudio.ui.document import ProjectDocument

ACTIONS = ("analyse", "plan", "replan", "generate", "render")


class RunController(QObject):
    started = Signal(str)  # action
    finished = Signal(str, str, str)  # action, outcome ("ok" | "cancelled" | "failed"), message
    items_changed = Signal()  # a clip started, was made or failed
    rendered = Signal(object)  # the RenderReport of a finished render (preview or full)

    def __init__(self, bridge: EngineBridge, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.bridge = bridge
        self._document: Optional[ProjectDocument] = None
        self._cancel: Optional[CancelToken] = None
        self.running_action: Optional[str] = None
        self.last_output: Optional[Path] = None
        self._providers: Optional[tuple[tuple, Providers]] = None
        self._make_providers: Optional[Callable[[Optional[list[Path]]], Providers]] = None
        self._pipeline: Optional[Pipeline] = None  # the running one
        self.failures: dict[str, str] = {}  # clip id -> why its still or video failed
        self.in_progress: set[str] = set()  # clips whose still or video is being made
        self.predictions: dict[str, tuple[str, str, str]] = {}  # clip id -> stage, model, id
        self.provider_problem = ""  # why the chosen providers cannot be built (Generate says it)
        self.settings = load_settings()  # read once: views refresh often; reloaded on a change
        bridge.item_started.connect(lambda _stage, item: self._track(item, started=True))
        bridge.item_finished.connect(lambda _stage, item: self._track(item))
        bridge.item_failed.connect(lambda _stage, item, why: self._track(item, failure=why))
        bridge.prediction_started.connect(self._prediction_started)

    @property
    def document(self) -> Optional[ProjectDocument]:
        return self._document

    @document.setter
    def document(self, document: Optional[ProjectDocument]) -> None:
        self._document = document
        self.failures.clear()
        self.in_progress.clear()

    @property
    def running(self) -> bool:
        return self.running_action is not None

    def clip_state(self, clip_id: str, stale: bool) -> str:
        """fresh / running / failed / stale for one clip, given whether its hashes say stale."""
        if not stale:
            return "fresh"
        if clip_id in self.in_progress:
            return "running"
        return "failed" if clip_id in self.failures else "stale"

    def settings_changed(self) -> None:
        """The user's settings changed (keys, models, budget): read them and build the providers
        anew."""
        self.settings = load_settings()
        self._providers = None

    def use_providers(self, make: Callable[[Optional[list[Path]]], Providers]) -> None:
        """Build providers with ``make(photos)`` from now on (a seam for other providers)."""
        self._make_providers, self._providers = make, None

    def providers(self) -> Providers:
        """The project's providers, built once per pictures folder and choice of models (listing
        photos is slow)."""
        settings = self.document.project.settings if self.document else {}
        key = tuple(settings.get(k) for k in ("images_dir", "image_model", "video_model"))
        if self._providers is None or self._providers[0] != key:
            images = key[0]
            photos = readable_photos(list_photos(images))[0] if images else None
            make = self._make_providers or (
                lambda found: providers_for(found, self.settings, project_settings=settings))
            try:
                made, self.provider_problem = make(photos), ""
            except MVError as exc:  # e.g. a broken models.json: the views still work offline
                made, self.provider_problem = offline_providers(photos), str(exc)
            self._providers = (key, made)
        return self._providers[1]

    def estimate(self, only: Optional[str] = None) -> Optional[RunEstimate]:
        """What Generate (``only``: regenerating that clip) would cost now; None if unknown."""
        if self.document is None:
            return None
        try:
            return estimate_run(self.pipeline(), only)
        except MVError:
            return None

    def unfinished(self) -> list[ledger.LedgerRow]:
        """Paid predictions a killed run left behind (Generate collects them, paying nothing)."""
        if self.document is None:
            return []
        return [r for r in ledger.reserved_rows(self.document.store.db) if r.prediction_id]

    def cancel_item(self, clip_id: str) -> None:
        """Stop one clip's still or video (its remote prediction too); the run goes on."""
        if self._pipeline is not None:
            self._pipeline.cancel_item(clip_id)

    def _prediction_started(self, stage: str, clip_id: str, model: str, prediction: str) -> None:
        if clip_id in self.in_progress:
            self.predictions[clip_id] = (stage, model, prediction)
            self.items_changed.emit()

    def _track(self, clip_id: str, started: bool = False, failure: Optional[str] = None) -> None:
        """A clip's item started, was made (failure None) or failed."""
        if started:
            self.in_progress.add(clip_id)
        else:
            self.in_progress.discard(clip_id)
            self.predictions.pop(clip_id, None)
            if failure is None:
                self.failures.pop(clip_id, None)
            else:
                self.failures[clip_id] = failure
        self.items_changed.emit()

    def pipeline(self, cancel: Optional[CancelToken] = None) -> Pipeline:
        document = self.document
        providers = self.providers()
        options = pipeline_options(providers, self.settings,
                                   seed=int(document.project.settings.get("seed", 0)),
                                   transcriber=keyed_transcriber)
        return Pipeline(document.store, document.project, providers, sink=self.bridge,
                        cancel=cancel, save_document=False,
                        on_change=document.pipeline_changed, options=options)

    def preview_path(self) -> Path:
        folder = self.document.folder / "renders"
        folder.mkdir(exist_ok=True)
        return folder / "preview.mp4"

    async def run(self, action: str, output: Optional[Path] = None,
                  options: Optional[RenderOptions] = None) -> str:
        """Run ``action``; returns the outcome.  Refuses to start while another action runs.
        Render makes a preview unless ``output`` is named (with ``options``, or the defaults)."""
        if self.running or self.document is None:
            return "busy" if self.running else "failed"
        self._cancel = CancelToken()
        self.running_action = action
        self.started.emit(action)
        outcome, message = "ok", ""
        try:
            pipeline = self._pipeline = self.pipeline(self._cancel)
            await pipeline.analyse(lyrics=action == "analyse")
            if action in ("plan", "replan", "generate", "render"):
                await pipeline.plan(force=action == "replan")
            if action in ("generate", "render"):
                if self.provider_problem:
                    raise MVError(self.provider_problem)
                await pipeline.images()
                await pipeline.clips()
            if action == "render":
                # No output named: a fast low-resolution preview for the player.
                out = output or self.preview_path()
                report = await pipeline.render(
                    out, RenderOptions(preview=True) if output is None else options or RenderOptions())
                self.last_output = out
                self.rendered.emit(report)
                message = f"{out.name}: {report.duration:.2f} s"
        except Cancelled:
            outcome, message = "cancelled", "cancelled"
        except MVError as exc:
            outcome, message = "failed", str(exc)
        finally:
            self.running_action = None
            self._cancel = self._pipeline = None
            self.in_progress.clear()
            self.predictions.clear()
        self.finished.emit(action, outcome, message)
        return outcome

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
