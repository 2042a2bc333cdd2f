"""The open project in the app: its file, its undo stack, its dirty state, autosave and recovery.

Edits go through ``push`` as ``QUndoCommand``s, so the undo stack's clean state is the saved state.
Work done by the pipeline (analysis, plan) is not undoable: it clears the undo stack and marks the
document dirty.  Generated media is recorded in the project file the moment it exists (the pipeline
does that); the document itself is written by Save, and by autosave into a recovery file beside it,
which the next open offers to restore after a crash.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from mvstudio.engine.analysis.audio_io import probe_audio
from mvstudio.engine.codec import from_dict, to_dict
from mvstudio.engine.errors import StoreError
from mvstudio.engine.model import Project
from mvstudio.engine.settings import add_recent_project
from mvstudio.engine.store.project_file import ProjectFile, create_project, open_project

RECOVERY_NAME = "recovery.json"
AUTOSAVE_MS = 30_000


class EditCommand(QUndoCommand):
    """An engine edit on the undo stack: redo applies it, undo reverts it."""

    def __init__(self, document: "ProjectDocument", edit):
        super().__init__(edit.label)
        self.document, self.edit = document, edit

    def redo(self) -> None:
        self.edit.apply(self.document.project)
        self.document.changed.emit("edit")

    def undo(self) -> None:
        self.edit.revert(self.document.project)
        self.document.changed.emit("edit")


class ProjectDocument(QObject):
    changed = Signal(str)  # what changed: "edit", "analysis", "plan", "image:<id>", "clip:<id>"
    dirty_changed = Signal(bool)
    saved = Signal(str)  # folder

    def __init__(self, store: ProjectFile, project: Project, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.store, self.project = store, project
        self.undo_stack = QUndoStack(self)
        self._outside_undo = False  # changes the undo stack does not know about
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self._autosave = QTimer(self)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()

    def _on_clean_changed(self, _clean: bool) -> None:
        self.dirty_changed.emit(self.dirty)

    # ------------------------------------------------------------------ creating and opening

    @classmethod
    def create(cls, folder: Path, song: Path, prompt: str = "", **sizes) -> "ProjectDocument":
        """A new project folder for ``song`` (copied into the project's media).

        The song is checked first; if anything fails, no folder is left behind.
        """
        probe_audio(song)
        folder = Path(folder)
        existed = folder.exists()
        project = Project(name=folder.stem, prompt=prompt, created=time.time(), **sizes)
        store = create_project(folder, project)
        try:
            project.song = store.import_song(song)
            store.save(project)
        except BaseException:
            store.close()
            if not existed:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        add_recent_project(store.folder)
        return cls(store, project)

    @classmethod
    def open(cls, folder: Path,
             ask_recover: Callable[[float], bool] = lambda _when: False) -> "ProjectDocument":
        """Open a project; when a newer recovery file exists, ``ask_recover(its mtime)`` decides."""
        store = open_project(Path(folder))
        project = store.load()
        recovered = _read_recovery(store.folder)
        document = cls(store, project)
        if recovered is not None and ask_recover(recovered[1]):
            document.project = recovered[0]
            document._outside_undo = True
        else:
            _drop_recovery(store.folder)
        add_recent_project(store.folder)
        return document

    # ------------------------------------------------------------------ state

    @property
    def dirty(self) -> bool:
        return self._outside_undo or not self.undo_stack.isClean()

    @property
    def folder(self) -> Path:
        return self.store.folder

    @property
    def title(self) -> str:
        return self.project.name + (" •" if self.dirty else "")

    def push(self, edit) -> None:
        """Apply ``edit`` through the undo stack."""
        self.undo_stack.push(EditCommand(self, edit))

    def pipeline_changed(self, what: str) -> None:
        """Called by the pipeline: a new analysis or plan invalidates the undo history."""
        if what in ("analysis", "plan"):
            self.undo_stack.clear()
            self._mark_outside_change()
        self.changed.emit(what)

    def mark_changed(self, what: str) -> None:
        """A change made outside the undo stack (settings, prompt)."""
        self._mark_outside_change()
        self.changed.emit(what)

    def _mark_outside_change(self) -> None:
        was = self.dirty
        self._outside_undo = True
        if not was:
            self.dirty_changed.emit(True)

    # ------------------------------------------------------------------ saving

    def save(self) -> None:
        self.project.modified = time.time()
        self.store.save(self.project)
        self._outside_undo = False
        self.undo_stack.setClean()
        _drop_recovery(self.folder)
        self.dirty_changed.emit(False)
        add_recent_project(self.folder)
        self.saved.emit(str(self.folder))

    def save_as(self, folder: Path) -> None:
        old = self.store
        self.store = old.save_as(self.project, Path(folder))
        self.project.name = self.store.folder.stem
        old.close()
        self.save()

    def autosave(self) -> Optional[Path]:
        """Write the unsaved document to the recovery file (only when dirty)."""
        if not self.dirty:
            return None
        path = self.folder / RECOVERY_NAME
        tmp = path.with_suffix(".part")
        tmp.write_text(json.dumps(to_dict(self.project)), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def close(self) -> None:
        """Close without saving; the recovery file is kept only if there were unsaved changes."""
        self._autosave.stop()
        if not self.dirty:
            _drop_recovery(self.folder)
        self.undo_stack.cleanChanged.disconnect(self._on_clean_changed)
        self.store.close()


def _read_recovery(folder: Path) -> Optional[tuple[Project, float]]:
    path = folder / RECOVERY_NAME
    if not path.exists():
        return None
    try:
        project = from_dict(Project, json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError, OSError):
        return None  # a damaged recovery file is not worth an error: the saved project stands
    return project, path.stat().st_mtime


def _drop_recovery(folder: Path) -> None:
    try:
        (folder / RECOVERY_NAME).unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot remove the recovery file in {folder}: {exc.strerror}") from exc
