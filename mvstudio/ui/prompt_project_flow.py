"""File > New Project from Prompt, after the dialog: the project folder first, then its soundtrack,
then the plan.

The soundtrack is a stage of its own (``prompt_job.make_project_soundtrack``): offline, or MusicGen
on Replicate when the dialog said so and priced it.  Its progress reaches the Run panel through
the engine bridge, the panel's Cancel stops it (the remote prediction too), and its paid calls go
into the new project's cost ledger under the user's budget cap (the Costs dock shows them once the
project opens).  A soundtrack that fails or is cancelled opens no project: its folder is removed
when nothing was paid, else kept with what was paid, and asking for the same video again goes on
from there (``unfinished_prompt_project``) without paying twice.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject

from mvstudio.engine.errors import Cancelled, MVError
from mvstudio.engine.events import CancelToken
from mvstudio.engine.planning.story import Story
from mvstudio.engine.prompt_job import (STAGE, make_project_soundtrack, prompt_project,
                                        soundtrack_maker)
from mvstudio.engine.settings import add_recent_project
from mvstudio.engine.store import ledger
from mvstudio.engine.store.project_file import ProjectFile
from mvstudio.ui.document import ProjectDocument
from mvstudio.ui.panels.ledger_view import usd


class PromptProjectFlow(QObject):
    """Makes prompt projects for ``window`` (the ``MainWindow``), one at a time."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self._cancel: Optional[CancelToken] = None
        window.run_panel.cancel_requested.connect(self.cancel)
        window.bridge.prediction_started.connect(self._prediction_started)

    @property
    def running(self) -> bool:
        """A soundtrack is being made."""
        return self._cancel is not None

    @property
    def busy(self) -> bool:
        """A soundtrack is being made or the open project runs: no new project now."""
        return self.running or self.window.runner.running

    def cancel(self) -> None:
        """Stop the soundtrack being made (its remote prediction too)."""
        if self._cancel is not None:
            self._cancel.cancel()

    async def create(self, story: Story, folder: Path, cloud: bool) -> Optional[ProjectDocument]:
        """The project of ``story`` in ``folder`` with its soundtrack as song, opened and
        planned; None when it was not made (the Run panel and status bar say why).  Only when
        not ``busy``."""
        window = self.window
        try:
            store, project = prompt_project(folder, story)
        except MVError as exc:
            window._error(str(exc))
            return None
        if not await self._soundtrack(store, project, soundtrack_maker(story, cloud)):
            return None
        document = ProjectDocument(store, project)
        add_recent_project(store.folder)
        window.set_document(document)
        await window.runner.run("plan")
        return document

    async def _soundtrack(self, store: ProjectFile, project, maker) -> bool:
        """Make the song, with the Run panel's progress and Cancel; True when it was made."""
        window, panel = self.window, self.window.run_panel
        self._cancel = CancelToken()
        window._update_enabled()  # Run > Cancel (Esc) stops it too
        panel.cancel_button.setEnabled(True)
        window.welcome.setEnabled(False)
        outcome, message = "ok", ""
        try:
            await make_project_soundtrack(store, project, maker,
                                          cap=window.runner.settings.budget_cap_usd,
                                          sink=window.bridge, cancel=self._cancel)
        except Cancelled:
            outcome, message = "cancelled", "cancelled"
        except MVError as exc:
            outcome, message = "failed", str(exc)
        finally:
            self._cancel = None
            window._update_enabled()
            panel.cancel_button.setEnabled(False)
            window.welcome.setEnabled(True)
        panel.show_outcome(STAGE, outcome, message)
        if outcome != "ok":
            self._give_up(store, f"Soundtrack failed: {message}" if outcome == "failed"
                          else "Soundtrack cancelled")
        return outcome == "ok"

    def _give_up(self, store: ProjectFile, why: str) -> None:
        """Close the unfinished project: removed when it holds no money, else kept (the log
        says where) to go on from; ``why`` goes to the status bar."""
        folder, paid = store.folder, ledger.committed_total(store.db)
        store.close()
        if paid <= 0:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            self.window.run_panel.append(f"{usd(paid, 4)} already paid is recorded in {folder}; "
                                         f"asking for the same video again goes on from there")
        self.window.statusBar().showMessage(why, 10_000)

    def _prediction_started(self, stage: str, item: str, model: str, prediction: str) -> None:
        if stage == STAGE and self.running:
            self.window.run_panel.append(f"{item}: {model} prediction {prediction} started")

