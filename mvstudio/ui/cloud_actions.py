"""Paid generation in the studio: what Generate and Regenerate will cost (on the buttons), the cost
ledger (the Costs dock), the predictions running at Replicate (in the run panel, each with a
Cancel), the project's models (Run > Models of This Project…) and, when a project opens with paid
work a killed run left behind, the offer to collect it (``MainWindow.ask_resume``)."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QDockWidget

from mvstudio.engine.generation.budget import is_paid
from mvstudio.engine.providers import chosen_model
from mvstudio.engine.settings import load_settings
from mvstudio.engine.store import ledger
from mvstudio.ui.dialogs.project_models import KINDS, ProjectModelsDialog
from mvstudio.ui.panels.ledger_view import LedgerView


class CloudActions(QObject):
    def __init__(self, window, run_menu, view_menu) -> None:
        super().__init__(window)
        self.window = window
        self.ledger = LedgerView()
        self.ledger_dock = window._dock("Costs", self.ledger, Qt.BottomDockWidgetArea)
        window.tabifyDockWidget(window.findChild(QDockWidget, "Run"), self.ledger_dock)
        view_menu.addAction(self.ledger_dock.toggleViewAction())
        window._action(run_menu, "&Models of This Project…", self.choose_models, None, "idle")
        window.run_panel.cancel_item_requested.connect(window.runner.cancel_item)
        window.studio.clip_selected.connect(self.show_regenerate_cost)

    # ------------------------------------------------------------------ views

    def refresh(self) -> None:
        """Running predictions, the ledger and the prices on the buttons, from the project."""
        window, runner = self.window, self.window.runner
        document = window.document
        plan = document.project.plan if document else None
        number = {c.id: i + 1 for i, c in enumerate(plan.clips)} if plan else {}
        window.run_panel.running.show_running(
            [(clip_id, number.get(clip_id, 0), *running)
             for clip_id, running in sorted(runner.predictions.items(),
                                            key=lambda item: number.get(item[0], 0))])
        if document is None:
            return
        self.ledger.show_ledger(ledger.rows(document.store.db), runner.settings.budget_cap_usd,
                                lambda owner: f"clip {number[owner]}" if owner in number
                                else owner)
        if runner.running:
            return
        estimate = runner.estimate()
        if estimate is not None:
            window.run_panel.show_estimate(estimate.label(), estimate.describe())
        self.show_regenerate_cost(window.studio.selected_clip())

    def show_regenerate_cost(self, clip_id: Optional[str]) -> None:
        """The price of a new variation of ``clip_id`` (its still and video) on its button."""
        plan = self.window.document.project.plan if self.window.document else None
        known = plan is not None and any(c.id == clip_id for c in plan.clips)
        one = self.window.runner.estimate(clip_id) if known else None
        self.window.inspector.show_regenerate_cost(one.label() if one else "")

    # ------------------------------------------------------------------ actions

    def models_dialog(self) -> ProjectModelsDialog:
        """The dialog for the open project (a hook: tests drive it without exec())."""
        settings, project = load_settings(), self.window.document.project.settings
        return ProjectModelsDialog(
            {kind: project.get(f"{kind}_model", "") for kind, _ in KINDS},
            {kind: chosen_model(kind, settings, {}) for kind, _ in KINDS}, self.window)

    def choose_models(self) -> Optional[dict[str, str]]:
        if self.window.document is None:
            return None
        dialog = self.models_dialog()
        if dialog.exec() != QDialog.Accepted:
            return None
        return self.set_models(dialog.choice())

    def set_models(self, choice: dict[str, str]) -> dict[str, str]:
        """Use ``choice`` (kind -> model key, "" = the default) for the open project."""
        document = self.window.document
        for kind, key in choice.items():
            if key:
                document.project.settings[f"{kind}_model"] = key
            else:
                document.project.settings.pop(f"{kind}_model", None)
        document.mark_changed("settings")
        self.window.schedule_refresh()
        return choice

    def offer_resume(self) -> bool:
        """Ask to collect the paid predictions a killed run left behind; Generate does it."""
        providers = self.window.runner.providers()
        left = self.window.runner.unfinished()
        if not left or not (is_paid(providers.images) or is_paid(providers.clips)) \
                or not self.window.ask_resume(len(left)):
            return False
        self.window.run_action("generate")
        return True
