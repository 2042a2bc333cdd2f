"""Which providers a run uses: the offline ones that ship with the app, plus the cloud planner
when the user has an OpenAI key and a planner model set (``Settings.planner_model``; "rules" or
empty = the rule director).  The planner's cost is recorded in the project's ledger; a failing planner falls
back to the rule director (see ``Pipeline.plan``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from mvstudio.engine.keys import get_key
from mvstudio.engine.pipeline import Providers, offline_providers
from mvstudio.engine.settings import Settings, load_settings

RULES = "rules"  # the planner model that means the offline rule director


def providers_for(photos: Optional[list[Path]] = None,
                  settings: Optional[Settings] = None) -> Providers:
    """Offline providers, with the LLM planner where a key and a planner model allow it."""
    providers = offline_providers(photos)
    settings = settings or load_settings()
    model = settings.planner_model.strip()
    key = get_key("openai") if model not in ("", RULES) else None
    if key:
        from mvstudio.engine.planning.llm import LLMPlanner  # openai + pydantic: load on demand

        providers.planner = LLMPlanner(key, model=model)
    return providers
