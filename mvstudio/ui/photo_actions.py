"""Photo mode in the studio: the Photos dock (``panels.photo_browser``) and what its requests do.

Adding folders (the dock's button or drop, File > Add Photos…) turns photo mode on; the library is
loaded off the GUI thread (its measures are cached, so opening the project again is quick) and the
clips get their photos as one undoable edit.  Every other request is one undoable edit too: a new
template, order or pairs setting (a new template re-plans: its scenes become the plan's), a swap
(a photo dropped on a clip: ``replace_still`` / ``replace_last_still``), excluding a photo (its
clips get the next best), Choose Again and Lock Choices.  Rank with Vision shows what it will send
and cost, asks, ranks through OpenAI and applies the ranking as one edit; when it fails the
offline choice stays and the run panel says why in one line.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox
from qasync import asyncSlot

from mvstudio.engine.edits import CompositeEdit, replace_last_still, replace_still
from mvstudio.engine.edits.stills import import_picture
from mvstudio.engine.errors import MVError
from mvstudio.engine.generation.openai_common import RETRY_DELAYS
from mvstudio.engine.keys import get_key
from mvstudio.engine.photos.library import Library
from mvstudio.engine.photos.mode import (PhotoMode, choose_again, exclude_photos, load_library,
                                         lock_photos, photo_mode, set_mode)
from mvstudio.engine.settings import load_settings
from mvstudio.engine.store.ledger import record_spend
from mvstudio.ui.panels.photo_browser import PhotoBrowser

DEFAULT_VISION_MODEL = "gpt-4o-mini"
DOCK_WIDTH = 300
SIDE_WIDTH = 380  # the Inspector/Plan docks keep room for their fields beside the photos


class PhotoActions(QObject):
    _loaded = Signal(object, object)  # sources, Library or an error message

    def __init__(self, window, file_menu, view_menu) -> None:
        super().__init__(window)
        self.window = window
        self.browser = PhotoBrowser()
        self.dock = window._dock("Photos", self.browser, Qt.LeftDockWidgetArea)
        self.dock.hide()
        view_menu.addAction(self.dock.toggleViewAction())
        add = window._action(file_menu, "Add P&hotos…", self.add_folder_dialog, None, "project")
        entries = file_menu.actions()  # above the separator before Quit
        anchor = next((entries[i - 1] if entries[i - 1].isSeparator() else a
                       for i, a in enumerate(entries) if a.text() == "&Quit"), None)
        if anchor is not None:
            file_menu.removeAction(add)
            file_menu.insertAction(anchor, add)
        self.library: Optional[Library] = None
        self._sources: Optional[tuple[str, ...]] = None  # what ``library`` (or its load) is of
        self._status = ""
        self._choose_when_loaded = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-library")
        self._loaded.connect(self._library_loaded)
        self.confirm = self._confirm  # a hook: tests answer without a dialog
        self.vision_retry_delays = RETRY_DELAYS
        b = self.browser
        b.add_requested.connect(self.add_sources)
        b.settings_changed.connect(self.change_settings)
        b.swap_requested.connect(self.swap)
        b.exclude_requested.connect(self.exclude)
        b.choose_again_requested.connect(self.choose_again)
        b.lock_requested.connect(self.lock)
        b.vision_requested.connect(self.rank_with_vision)
        b.clip_clicked.connect(window.studio.timeline.select_clip)

    # ------------------------------------------------------------------ views

    @property
    def project(self):
        return self.window.document.project if self.window.document else None

    def refresh(self) -> None:
        """Show the open project's photos; (re)load the library when its sources changed."""
        project = self.project
        mode = photo_mode(project) if project else None
        sources = tuple(mode.sources) if mode else None
        if sources != self._sources:
            self._sources, self.library = sources, None
            if sources:
                self._status = "Loading the photo library…"
                self.show_dock()
                self._pool.submit(self._load, sources, mode)
        media = self.window.document.store.media.path if project else Path
        self.browser.show_photos(project, self.library, media, self._status)

    def show_dock(self) -> None:
        if not self.dock.isVisible():
            self.dock.show()
            QTimer.singleShot(0, lambda: self.window.resizeDocks(
                [self.dock, self.window.plan_dock], [DOCK_WIDTH, SIDE_WIDTH], Qt.Horizontal))

    def _load(self, sources: tuple[str, ...], mode: PhotoMode) -> None:
        try:
            self._loaded.emit(sources, load_library(mode))
        except MVError as exc:
            self._loaded.emit(sources, str(exc))

    def _library_loaded(self, sources: tuple[str, ...], library) -> None:
        if sources != self._sources:
            return  # a load of sources that are no longer the project's
        if isinstance(library, str):
            self._status = f"The photo library could not be read: {library}"
            self.refresh()
            return
        self.library = library
        twins = len(library.photos) - len({p.group for p in library.photos})
        self._status = (f"{len(library.photos)} photos, {twins} near-duplicates grouped"
                        + (f"; {len(library.skipped)} skipped ({library.skipped[0]})"
                           if library.skipped else ""))
        choose, self._choose_when_loaded = self._choose_when_loaded, False
        if choose and self.project is not None and self.project.plan:
            self.choose_again()  # photos just added to a planned project
        self.refresh()

    # ------------------------------------------------------------------ requests

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Add a folder of photos")
        if folder:
            self.add_sources([folder])

    def add_sources(self, paths: list[str]) -> bool:
        """Add folders or picture files to the project's library (photo mode on)."""
        if self.project is None:
            return False
        mode = photo_mode(self.project) or PhotoMode()
        sources = list(dict.fromkeys([*mode.sources, *(str(Path(p).resolve()) for p in paths)]))
        self.show_dock()
        self._choose_when_loaded = True
        return self.window.push(lambda p: set_mode(p, sources=sources))

    def change_settings(self, changes: dict) -> bool:
        """New template, order or pairs; a new template re-plans, the others choose again."""
        mode = photo_mode(self.project) if self.project else None
        if mode is None:
            return False
        if changes.get("template", mode.template) != mode.template:
            if self.window.push(lambda p: set_mode(p, **changes)):
                self.window.run_action("plan")  # the template's scenes make a new plan
                return True
            return False
        if self.library is None or self.project.plan is None:
            return self.window.push(lambda p: set_mode(p, **changes))
        media, library = self.window.document.store.media, self.library
        return self.window.push(lambda p: CompositeEdit.build(
            p, "Photo settings", lambda q: set_mode(q, **changes),
            lambda q: choose_again(q, media, library)))

    def swap(self, clip_id: str, picture: str, last: bool) -> bool:
        """``picture`` becomes the clip's photo (or its last frame): copied in, one edit."""
        if self.project is None:
            return False
        try:
            media = import_picture(self.window.document.store.media, Path(picture))
        except MVError as exc:
            self.window._error(str(exc))
            return False
        edit = replace_last_still if last else replace_still
        return self.window.push(lambda p: edit(p, clip_id, media))

    def exclude(self, photo_hash: str, excluded: bool) -> bool:
        if self.library is None:
            return False
        media, library = self.window.document.store.media, self.library
        return self.window.push(lambda p: exclude_photos(p, media, library, [photo_hash],
                                                         excluded))

    def choose_again(self) -> bool:
        if self.library is None or self.project is None or self.project.plan is None:
            return False
        media, library = self.window.document.store.media, self.library
        return self.window.push(lambda p: choose_again(p, media, library))

    def lock(self, locked: bool) -> bool:
        return self.window.push(lambda p: lock_photos(p, locked))

    # ------------------------------------------------------------------ vision

    def vision_model(self) -> str:
        from mvstudio.engine.photos.vision import IMAGE_TOKENS

        model = load_settings().planner_model.strip()
        return model if model in IMAGE_TOKENS else DEFAULT_VISION_MODEL

    def _confirm(self, text: str) -> bool:
        return QMessageBox.question(self.window, "Rank the photos with OpenAI vision?",
                                    text) == QMessageBox.Yes

    @asyncSlot()
    async def rank_with_vision(self) -> str:
        """Rank the photos per scene with a vision model (after showing the estimate); returns
        "ranked", "fell back", "declined" or "unavailable"."""
        from mvstudio.engine.photos.vision import (DEFAULT_BUDGET, VisionRanker,
                                                   rank_or_fall_back, vision_job)

        key = get_key("openai")
        if not key or self.library is None or self.project is None:
            self.window._error("ranking photos by vision needs an OpenAI key (Settings) and a "
                               "loaded photo library")
            return "unavailable"
        try:
            job = vision_job(self.project, self.library, model=self.vision_model(),
                             budget_tokens=DEFAULT_BUDGET)
        except MVError as exc:
            self.window._error(str(exc))
            return "unavailable"
        if not self.confirm(f"{len(job.scenes)} scenes, {job.estimate.describe()} (budget "
                            f"{DEFAULT_BUDGET:,} tokens). Send the thumbnails to OpenAI?"):
            return "declined"
        store = self.window.document.store
        ranker = VisionRanker(key, model=job.estimate.model, retry_delays=self.vision_retry_delays,
                              base_url=os.environ.get("OPENAI_BASE_URL") or None)
        self.window.run_panel.append(f"ranking photos: {job.estimate.describe()}")
        ranking, note = await rank_or_fall_back(ranker, job,
                                                spend=lambda s: record_spend(store.db, s))
        if ranking is None:
            self.window.run_panel.append(note)
            self.window.statusBar().showMessage(note, 10_000)
            return "fell back"
        media, library, by = store.media, self.library, f"openai {job.estimate.model}"
        self.window.push(lambda p: choose_again(p, media, library, ranking, by))
        return "ranked"
