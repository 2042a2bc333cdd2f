"""The studio window: welcome page, timeline, inspector, run panel, menus with shortcuts."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDialog, QDockWidget, QFileDialog, QInputDialog, QLabel, QLineEdit,
                               QMainWindow, QMessageBox, QToolBar,
                               QApplication)
from qasync import asyncSlot

from mvstudio.engine.errors import MVError
from mvstudio.engine.generation.budget import model_name
from mvstudio.engine.store.ledger import spent_total
from mvstudio.engine.store.project_file import project_folder_for
from mvstudio.ui.analysis_actions import AnalysisActions
from mvstudio.ui.bridge import EngineBridge
from mvstudio.ui.cloud_actions import CloudActions
from mvstudio.ui.document import ProjectDocument
from mvstudio.ui.page_stack import PageStack
from mvstudio.ui.export_actions import ExportActions
from mvstudio.ui.lyrics_actions import LyricsActions
from mvstudio.ui.dialogs.prompt_project import PromptProjectDialog, PromptRequest
from mvstudio.ui.dialogs.settings_dialog import SettingsDialog
from mvstudio.ui.panels.inspector import Inspector
from mvstudio.ui.panels.plan_panel import PlanPanel
from mvstudio.ui.panels.run_panel import RunPanel
from mvstudio.ui.photo_actions import PhotoActions
from mvstudio.ui.prompt_project_flow import PromptProjectFlow
from mvstudio.ui.render_actions import RenderActions
from mvstudio.ui.run_controller import RunController
from mvstudio.ui.studio_view import StudioView
from mvstudio.ui.style import apply_dark_theme
from mvstudio.ui.welcome import WelcomePage

if TYPE_CHECKING:
    from mvstudio.engine.pipeline import Pipeline

AUDIO_SUFFIXES = {".mp3", ".wav", ".flac", ".ogg", ".m4a", ".aac", ".opus", ".aif", ".aiff"}
AUDIO_FILTER = "Audio (*.mp3 *.wav *.flac *.ogg *.m4a *.aac *.opus *.aif *.aiff);;All files (*)"


class MainWindow(QMainWindow):
    """One window, one open project.  Questions to the user go through overridable hooks
    (``ask_*``) so that tests can answer them without modal dialogs."""

    def __init__(self) -> None:
        super().__init__()
        apply_dark_theme(QApplication.instance())
        self.resize(1400, 860)
        self.setAcceptDrops(True)
        self.document: Optional[ProjectDocument] = None
        self.bridge = EngineBridge()
        self.runner = RunController(self.bridge, self)

        self.welcome = WelcomePage()
        self.studio = StudioView()
        self.pages = PageStack()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.studio)
        self.setCentralWidget(self.pages)

        self.inspector = Inspector()
        self.run_panel = RunPanel(self.bridge)
        self.plan_panel = PlanPanel()
        inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.plan_dock = self._dock("Plan", self.plan_panel, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(inspector_dock, self.plan_dock)
        inspector_dock.raise_()
        run_dock = self._dock("Run", self.run_panel, Qt.BottomDockWidgetArea)
        self.resizeDocks([run_dock], [190], Qt.Vertical)  # the player and timeline get the room
        self.prompt_edit = QLineEdit(placeholderText="Creative prompt: describe the video")
        self.prompt_edit.editingFinished.connect(self._prompt_changed)

        self._build_actions()
        self._connect()
        self._refresh_timer = QTimer(self)  # views repaint on a timer, not per event
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(50)
        self._refresh_timer.timeout.connect(self.refresh_views)
        self._update_title()
        self._update_enabled()

    # ------------------------------------------------------------------ hooks (tests override)

    def ask_recover(self, _when: float) -> bool:
        return QMessageBox.question(self, "Recover unsaved changes?",
                                    "MV Studio closed before this project was saved. "
                                    "Recover the unsaved changes?") == QMessageBox.Yes

    def ask_resume(self, count: int) -> bool:
        return QMessageBox.question(
            self, "Collect paid work?",
            f"{count} paid generation{'s were' if count != 1 else ' was'} still running when "
            "this project was last open. Collect the results now? Nothing is paid twice."
        ) == QMessageBox.Yes

    def ask_prompt_project(self) -> Optional[PromptRequest]:
        dialog = PromptProjectDialog(self)
        return dialog.request() if dialog.exec() == QDialog.Accepted else None

    def ask_save_changes(self) -> str:
        """Returns "save", "discard" or "cancel"."""
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.document.project.name}?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")

    # ------------------------------------------------------------------ building

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, menu, text: str, slot, shortcut=None, enabled_when: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        action.setProperty("enabled_when", enabled_when)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New Project from Song…", self.new_project_dialog, QKeySequence.New)
        self._action(file, "New Project from &Prompt…", self.new_project_from_prompt_dialog,
                     "Ctrl+Shift+N")
        self._action(file, "&Open Project…", self.open_project_dialog, QKeySequence.Open)
        self.recent_menu = file.addMenu("Open &Recent")
        file.addSeparator()
        self._action(file, "&Save", self.save, QKeySequence.Save, "project")
        self._action(file, "Save &As…", self.save_as_dialog, QKeySequence.SaveAs, "project")
        self._action(file, "&Close Project", self.close_project, QKeySequence.Close, "project")
        self.render_actions = RenderActions(self, file)  # File > Render Video…
        self.export_actions = ExportActions(self, file)  # File > Export ▸
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.Quit)

        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", self.undo, QKeySequence.Undo, "project")
        self.redo_action = self._action(edit, "&Redo", self.redo, QKeySequence.Redo, "project")
        edit.addSeparator()
        self._action(edit, "S&plit Clip at Playhead", self.split_at_playhead, "S", "plan")
        self._action(edit, "&Merge with Next Clip", self.merge_with_next, "M", "plan")
        self.snap_action = self._action(edit, "Snap to &Beats", self._toggle_snap, "N", "plan")
        self.snap_action.setCheckable(True)
        self.snap_action.setChecked(True)
        edit.addSeparator()
        self._action(edit, "Se&ttings…", self.open_settings, "Ctrl+,")
        self.analysis_actions = AnalysisActions(self)  # the Analysis menu, section lane edits
        self.lyrics_actions = LyricsActions(self)  # Analysis > Paste Lyrics…, transcription

        run = bar.addMenu("&Run")
        for action, key in (("analyse", "Ctrl+1"), ("plan", "Ctrl+2"), ("generate", "Ctrl+3"),
                            ("render", "Ctrl+R")):
            self._action(run, self.run_panel.buttons[action].text(),
                         lambda _=False, a=action: self.run_action(a), key, "idle")
        self._action(run, "Re-plan (keeps locked and edited clips)",
                     lambda _=False: self.run_action("replan"), "Ctrl+Shift+2", "idle")
        self._action(run, "&Cancel", self.cancel_work, "Esc", "running")

        view = bar.addMenu("&View")
        self._action(view, "Zoom &In", lambda: self.studio.zoom(0.5), "Ctrl+=", "project")
        self._action(view, "Zoom &Out", lambda: self.studio.zoom(2.0), "Ctrl+-", "project")
        self._action(view, "Zoom to &Fit", self.studio.zoom_fit, "Ctrl+0", "project")
        plan_toggle = self.plan_dock.toggleViewAction()
        plan_toggle.setShortcut(QKeySequence("Ctrl+Shift+P"))
        view.addAction(plan_toggle)
        self.cloud = CloudActions(self, run, view)  # costs, running predictions, models, resume
        self.photo_actions = PhotoActions(self, file, view)  # the Photos dock, photo mode

        toolbar = QToolBar("Prompt")
        toolbar.setObjectName("prompt-toolbar")
        toolbar.addWidget(QLabel(" Prompt "))
        toolbar.addWidget(self.prompt_edit)
        self.addToolBar(toolbar)
        self._build_transport_actions()

    def _build_transport_actions(self) -> None:
        """The Transport menu (``ui.transport``): window-wide shortcuts, so they also work while
        the timeline has focus; text fields keep the keys they type with."""
        transport, menu = self.studio.transport, self.menuBar().addMenu("&Transport")
        self.studio.last_render = lambda: self.runner.last_output
        for text, slot, key in (
                ("&Play / Pause", transport.toggle_play, "Space"),
                ("Play &Reverse (again: faster)", transport.shuttle_reverse, "J"),
                ("P&ause", transport.pause, "K"),
                ("Play &Forward (again: faster)", transport.shuttle_forward, "L"),
                (None, None, None),
                ("Previous &Beat", transport.previous_beat, "Left"),
                ("&Next Beat", transport.next_beat, "Right"),
                ("Previous &Cut", transport.previous_cut, "Shift+Left"),
                ("Next Cu&t", transport.next_cut, "Shift+Right"),
                ("Go to &Start", transport.go_start, "Home"),
                ("Go to &End", transport.go_end, "End"),
                (None, None, None)):
            if text is None:
                menu.addSeparator()
            else:
                self._action(menu, text, slot, key, "project")
        self._action(menu, "Play Selected C&lip", lambda: self.studio.play_selected_clip() or
                     self._error("select a clip that has a generated video"), "C", "plan")

    def _connect(self) -> None:
        self.welcome.open_song.connect(self.new_project_for_song)
        self.welcome.new_requested.connect(self.new_project_dialog)
        self.welcome.prompt_requested.connect(self.new_project_from_prompt_dialog)
        self.welcome.open_requested.connect(self.open_project_dialog)
        self.welcome.recent_chosen.connect(self.open_project)
        self.welcome.demo_requested.connect(self.render_demo)
        self.run_panel.action_requested.connect(self.run_action)
        self.run_panel.cancel_requested.connect(self.runner.cancel)
        self.runner.started.connect(lambda a: (self.run_panel.set_running(a), self._update_enabled()))
        self.runner.finished.connect(self._run_finished)
        self.studio.clip_selected.connect(self._clip_selected)
        self.studio.cut_moved.connect(self.move_cut)
        self.inspector.script_edited.connect(self.edit_script)
        self.inspector.lock_toggled.connect(self.set_locked)
        self.inspector.regenerate_requested.connect(self.regenerate)
        self.inspector.transition_edited.connect(self.set_transition)
        self.inspector.retry_requested.connect(self.retry)
        self.inspector.model_chosen.connect(self.set_clip_model)
        self.inspector.continues_toggled.connect(self.set_continues)
        self.run_panel.retry_requested.connect(self.retry)
        self.run_panel.failures.clip_chosen.connect(self.studio.timeline.select_clip)
        self.studio.timeline.lanes["clips"].transition_chosen.connect(self.set_transition)
        self.runner.items_changed.connect(self.schedule_refresh)
        self.prompt_flow = PromptProjectFlow(self)  # New Project from Prompt, after the dialog
        self.plan_panel.edit_requested.connect(self.push)
        gallery = self.plan_panel.gallery
        gallery.clip_clicked.connect(self.studio.timeline.select_clip)
        gallery.regenerate_requested.connect(self.regenerate)
        gallery.replace_requested.connect(self.replace_still)
        gallery.reference_replace_requested.connect(self.replace_reference)
        gallery.reference_regenerate_requested.connect(self.regenerate_reference)
        self.studio.clip_selected.connect(gallery.set_selected)

    # ------------------------------------------------------------------ projects

    def set_document(self, document: Optional[ProjectDocument]) -> None:
        if self.document is not None:
            self.document.close()
        self.document = document
        self.runner.document = document
        if document is not None:
            document.changed.connect(self._on_document_changed)
            document.dirty_changed.connect(self._on_dirty_changed)
            document.undo_stack.indexChanged.connect(self._on_undo_index)
            self.prompt_edit.setText(document.project.prompt)
            self.pages.setCurrentWidget(self.studio)
        else:
            self.prompt_edit.clear()
            self.pages.setCurrentWidget(self.welcome)
        self.studio.set_document(document)
        self.inspector.show_clip(document.project if document else None, None)
        self.plan_panel.show_project(document.project if document else None)
        self._show_stills()
        self.photo_actions.refresh()
        self._update_title()
        self._update_enabled()
        self.welcome.refresh_recent()

    def _on_document_changed(self, _what: str) -> None:
        self.schedule_refresh()

    def _on_dirty_changed(self, _dirty: bool) -> None:
        self._update_title()

    def _on_undo_index(self, _index: int) -> None:
        self._update_enabled()

    def new_project_for_song(self, song: Path, folder: Optional[Path] = None,
                             prompt: str = "") -> Optional[ProjectDocument]:
        if not self._may_discard():
            return None
        folder = folder or _free_folder(project_folder_for(Path(song).stem, Path(song).parent))
        try:
            document = ProjectDocument.create(folder, Path(song), prompt)
        except MVError as exc:
            self._error(str(exc))
            return None
        self.set_document(document)
        return document

    def open_project(self, folder: Path) -> Optional[ProjectDocument]:
        if not self._may_discard():
            return None
        try:
            document = ProjectDocument.open(Path(folder), ask_recover=self.ask_recover)
        except MVError as exc:
            self._error(str(exc))
            return None
        self.set_document(document)
        self.cloud.offer_resume()
        return document

    def new_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a song", "", AUDIO_FILTER)
        if path:
            self.new_project_for_song(Path(path))

    def open_project_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a .mvstudio project")
        if path:
            self.open_project(Path(path))

    def save(self) -> bool:
        if self.document is None:
            return False
        try:
            self.document.save()
        except MVError as exc:
            self._error(str(exc))
            return False
        self.run_panel.append(f"saved {self.document.folder}")
        return True

    def save_as_dialog(self) -> None:
        if self.document is None:
            return
        name, ok = QInputDialog.getText(self, "Save As", "Project name:",
                                        text=self.document.project.name)
        if ok and name:
            try:
                self.document.save_as(_free_folder(project_folder_for(name, self.document.folder.parent)))
            except MVError as exc:
                self._error(str(exc))
            self._update_title()

    def close_project(self) -> None:
        if self._may_discard():
            self.set_document(None)

    def _may_discard(self) -> bool:
        """True when there is nothing unsaved, or the user saved or chose to discard it."""
        if self.document is None or not self.document.dirty:
            return True
        if self.runner.running:
            self._error("a job is running: cancel it first")
            return False
        answer = self.ask_save_changes()
        return answer == "discard" or (answer == "save" and self.save())

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._may_discard():
            self.runner.cancel()
            self.set_document(None)
            event.accept()
        else:
            event.ignore()

    # ------------------------------------------------------------------ drag and drop

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if any(Path(u.toLocalFile()).suffix.lower() in AUDIO_SUFFIXES or
               Path(u.toLocalFile()).suffix.lower() == ".mvstudio"
               for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            if path.suffix.lower() == ".mvstudio":
                self.open_project(path)
                return
            if path.suffix.lower() in AUDIO_SUFFIXES:
                self.new_project_for_song(path)
                return

    # ------------------------------------------------------------------ editing

    def push(self, build) -> bool:
        """Build an edit from the current project and push it; a refused edit is reported."""
        from mvstudio.engine.edits import NoChange

        if self.document is None:
            return False
        try:
            self.document.push(build(self.document.project))
        except NoChange:
            return False
        except MVError as exc:
            self._error(str(exc))
            return False
        return True

    def move_cut(self, cut_index: int, frame: int, override: bool) -> bool:
        from mvstudio.engine.edits import move_cut

        return self.push(lambda p: move_cut(p, cut_index, frame, snapper=self.studio.snapper(),
                                            override=override))

    def split_at_playhead(self) -> bool:
        from mvstudio.engine.edits import split_clip

        frame = self.studio.playhead()
        plan = self.document.project.plan if self.document else None
        clip = next((c for c in plan.clips if c.start_frame < frame < c.end_frame), None) \
            if plan else None
        if clip is None:
            self._error("put the playhead inside a clip to split it")
            return False
        return self.push(lambda p: split_clip(p, clip.id, frame))

    def merge_with_next(self) -> bool:
        from mvstudio.engine.edits import merge_with_next

        clip_id = self.studio.selected_clip()
        if clip_id is None:
            self._error("select a clip to merge with the next one")
            return False
        return self.push(lambda p: merge_with_next(p, clip_id))

    def edit_script(self, clip_id: str, fields: dict) -> bool:
        from mvstudio.engine.edits import edit_script

        return self.push(lambda p: edit_script(p, clip_id, **fields))

    def set_locked(self, clip_id: str, locked: bool) -> bool:
        from mvstudio.engine.edits import set_locked

        return self.push(lambda p: set_locked(p, clip_id, locked))

    def set_clip_model(self, clip_id: str, model: str) -> bool:
        from mvstudio.engine.edits import set_clip_model

        return self.push(lambda p: set_clip_model(p, clip_id, model))

    def set_continues(self, clip_id: str, continues: bool) -> bool:
        from mvstudio.engine.edits import set_continues

        return self.push(lambda p: set_continues(p, clip_id, continues))

    def set_transition(self, transition_id: str, kind: str, frames: int) -> bool:
        from mvstudio.engine.edits import set_transition

        if self.push(lambda p: set_transition(p, transition_id, kind, frames)):
            return True
        self.schedule_refresh()  # a refused change: the controls show the transition as it is
        return False

    @asyncSlot(str)
    async def retry(self, _clip_id: str = "") -> None:
        """Make failed clips again: Generate redoes only what is stale, so only them (and edits)."""
        await self.runner.run("generate")

    def replace_still(self, clip_id: str, picture: str) -> bool:
        """The user's picture becomes the clip's still: copied into the project, then an
        undoable edit (the clip goes stale; Generate fits the picture, no provider call)."""
        from mvstudio.engine.edits import replace_still

        return self._use_picture(picture, lambda p, media: replace_still(p, clip_id, media))

    def replace_reference(self, owner_id: str, picture: str) -> bool:
        """The user's picture becomes a scene's or character's reference (undoable; only the
        stills made from it go stale)."""
        from mvstudio.engine.edits import replace_reference

        return self._use_picture(picture, lambda p, media: replace_reference(p, owner_id, media))

    def _use_picture(self, picture: str, build) -> bool:
        """Copy the user's ``picture`` into the project, then push ``build(project, media)``."""
        from mvstudio.engine.edits.stills import import_picture

        if self.document is None:
            return False
        try:
            media = import_picture(self.document.store.media, Path(picture))
        except MVError as exc:
            self._error(str(exc))
            return False
        return self.push(lambda p: build(p, media))

    def _show_stills(self, pipeline: Optional[Pipeline] = None) -> None:
        document = self.document
        if document is None or document.project.plan is None:
            self.plan_panel.gallery.show_stills(None)
            return
        pipeline = pipeline or self.runner.pipeline()
        self.plan_panel.gallery.show_stills(document.project, document.store.media.path,
                                            pipeline.image_hash, pipeline.references)

    @asyncSlot(str)
    async def regenerate(self, clip_id: str) -> None:
        """A new variation of one clip: a new seed (undoable), then only that clip is remade."""
        if self.edit_script(clip_id, {"seed": random.randrange(1, 2**31)}):
            await self.runner.run("generate")

    @asyncSlot(str)
    async def regenerate_reference(self, owner_id: str) -> None:
        """A new variation of one reference: a new seed (undoable), then it and the stills made
        from it are remade."""
        from mvstudio.engine.edits import reseed_reference

        if self.push(lambda p: reseed_reference(p, owner_id, random.randrange(1, 2**31))):
            await self.runner.run("generate")

    def settings_dialog(self) -> SettingsDialog:
        """The settings dialog (a hook: tests drive it without exec())."""
        return SettingsDialog(parent=self)

    def open_settings(self) -> None:
        dialog = self.settings_dialog()
        if dialog.exec() == QDialog.Accepted:
            self.runner.settings_changed()
            self.statusBar().showMessage("Settings saved", 3000)

    def undo(self) -> None:
        if self.document:
            self.document.undo_stack.undo()

    def redo(self) -> None:
        if self.document:
            self.document.undo_stack.redo()

    def _toggle_snap(self, on: bool) -> None:
        self.studio.set_snap(on)

    def _prompt_changed(self) -> None:
        if self.document and self.prompt_edit.text() != self.document.project.prompt:
            self.document.project.prompt = self.prompt_edit.text()
            self.document.mark_changed("prompt")

    # ------------------------------------------------------------------ running

    @asyncSlot()
    async def render_demo(self) -> None:
        """First run: the demo song in photo mode, offline, rendered to a preview."""
        from mvstudio.engine.demo import DEMO_PROMPT, ensure_demo_photos, ensure_demo_song
        from mvstudio.engine.userdirs import data_dir

        self.run_panel.append("preparing the demo song and pictures…")
        song = await asyncio.to_thread(ensure_demo_song)
        photos = await asyncio.to_thread(ensure_demo_photos)
        document = self.new_project_for_song(song, _free_folder(data_dir() / "Demo.mvstudio"),
                                             DEMO_PROMPT)
        if document is not None:
            document.project.settings["images_dir"] = str(photos)
            document.mark_changed("settings")
            await self.runner.run("render")

    @asyncSlot()
    async def new_project_from_prompt_dialog(self) -> None:
        request = self.ask_prompt_project()
        if request is not None:
            await self.new_project_from_prompt(request)

    async def new_project_from_prompt(self, request: PromptRequest,
                                      folder: Optional[Path] = None) -> Optional[ProjectDocument]:
        """A project whose song is a soundtrack made for the prompt's story, then planned from
        that story (``prompt_project_flow``); an unfinished one of the same story goes on."""
        from mvstudio.engine.planning.story import compose_story
        from mvstudio.engine.prompt_job import soundtrack_title, unfinished_prompt_project
        from mvstudio.engine.userdirs import data_dir

        try:
            story = compose_story(request.prompt, request.duration, template=request.template)
        except MVError as exc:
            self._error(str(exc))
            return None
        if self.prompt_flow.busy or not self._may_discard():
            return None
        self.set_document(None)
        folder = folder or _free_folder(project_folder_for(soundtrack_title(request.prompt),
                                                           data_dir()),
                                        lambda taken: unfinished_prompt_project(taken, story))
        return await self.prompt_flow.create(story, folder, request.cloud)

    @asyncSlot(str)
    async def run_action(self, action: str) -> None:
        if self.document is None:
            return
        self._prompt_changed()
        if action == "replan" and not self.runner.running:  # another take: a new variation seed
            self.document.project.settings["seed"] = random.randrange(1, 2**31)
            self.document.mark_changed("settings")
        await self.runner.run(action)

    def _run_finished(self, action: str, outcome: str, message: str) -> None:
        self.run_panel.set_running(None)
        self.run_panel.show_outcome(action, outcome, message)
        self._update_enabled()
        self.refresh_views()

    # ------------------------------------------------------------------ views

    def schedule_refresh(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def refresh_views(self) -> None:
        if self.document is not None:
            self.run_panel.show_cost(spent_total(self.document.store.db),
                                     self.runner.settings.budget_cap_usd)
        plan = self.document.project.plan if self.document else None
        pipeline = self.runner.pipeline() if plan else None  # one for every view below
        states = self.clip_states(pipeline)
        self.studio.refresh(states, {c.id: pipeline.current_still(c) for c in plan.clips}
                            if plan else {})
        self.plan_panel.show_project(self.document.project if self.document else None)
        self._show_stills(pipeline)
        self._show_in_inspector(self.studio.selected_clip(), states)
        self.cloud.refresh()
        self.photo_actions.refresh()
        self.run_panel.failures.show_failures(
            [(c.id, i + 1, self.runner.failures[c.id]) for i, c in enumerate(plan.clips)
             if states.get(c.id) == "failed"] if plan else [])
        self._update_title()
        self._update_enabled()

    def clip_states(self, pipeline: Optional[Pipeline] = None) -> dict[str, str]:
        """fresh / stale / running / failed for every clip (from the pipeline's hashes)."""
        if self.document is None or self.document.project.plan is None:
            return {}
        stale = {c.id for c in (pipeline or self.runner.pipeline()).stale_clips()}
        return {c.id: self.runner.clip_state(c.id, c.id in stale)
                for c in self.document.project.plan.clips}

    def _clip_selected(self, clip_id: Optional[str]) -> None:
        self._show_in_inspector(clip_id, self.clip_states())

    def _show_in_inspector(self, clip_id: Optional[str], states: dict[str, str]) -> None:
        project = self.document.project if self.document else None
        clip = None
        if project and project.plan and clip_id:
            clip = next((c for c in project.plan.clips if c.id == clip_id), None)
        clips = self.runner.providers().clips
        self.inspector.show_clip(project, clip, states.get(clip_id, ""),
                                 model_name(clips) if clip else "",
                                 self.runner.failures.get(clip_id, "") if clip else "",
                                 models=hasattr(clips, "with_model"))

    def _update_title(self) -> None:
        name = self.document.title if self.document else "Welcome"
        self.setWindowTitle(f"{name} — MV Studio")

    def cancel_work(self) -> None:
        """Run > Cancel (Esc): stop the run, or the soundtrack being made."""
        self.runner.cancel()
        self.prompt_flow.cancel()

    def _update_enabled(self) -> None:
        has_project = self.document is not None
        has_plan = has_project and self.document.project.plan is not None
        running = self.runner.running or self.prompt_flow.running
        for action in self.actions():
            need = action.property("enabled_when") or ""
            action.setEnabled({"": True, "project": has_project, "plan": has_plan and not running,
                               "idle": has_project and not running,
                               "running": running}[need])
        if has_project:
            stack = self.document.undo_stack
            self.undo_action.setEnabled(stack.canUndo() and not running)
            self.redo_action.setEnabled(stack.canRedo() and not running)
            self.undo_action.setText(f"&Undo {stack.undoText()}".rstrip())
            self.redo_action.setText(f"&Redo {stack.redoText()}".rstrip())
        self.run_panel.set_running(self.runner.running_action)
        self.plan_panel.setEnabled(has_plan and not running)
        if not has_project:
            for button in self.run_panel.buttons.values():
                button.setEnabled(False)

    def _error(self, message: str) -> None:
        self.run_panel.append(f"error: {message}")
        self.statusBar().showMessage(message, 10_000)

    def set_song(self, path: Path) -> None:
        """Open a project folder or start a new project from a song (command line argument)."""
        path = Path(path)
        if path.suffix.lower() == ".mvstudio" or (path / "project.db").exists():
            self.open_project(path)
        else:
            self.new_project_for_song(path)


def _free_folder(folder: Path, reusable=lambda _taken: False) -> Path:
    """``folder``, or ``name 2.mvstudio``, ``name 3.mvstudio`` … if it is taken (and not
    ``reusable``)."""
    candidate, n = folder, 2
    while candidate.exists() and not reusable(candidate):
        candidate = folder.with_name(f"{folder.stem} {n}{folder.suffix}")
        n += 1
    return candidate
