"""Which providers a run uses: the offline ones that ship with the app, plus the cloud planner
when the user has an OpenAI key and a planner model set (``Settings.planner_model``; "rules" or
empty = the rule director).  The planner's cost is recorded in the project's ledger; a failing planner falls
back to the rule director (see ``Pipeline.plan``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from mvstudio.engine.generation.local_clips import LocalClipMaker
from mvstudio.engine.keys import get_key
from mvstudio.engine.pipeline import PipelineOptions, Providers, offline_providers
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


def pipeline_options(providers: Providers, settings: Optional[Settings] = None,
                     **overrides) -> PipelineOptions:
    """The run's options from the user's settings: clip lengths for the analysis, and as many
    generations at once as the settings allow (no more than the cores for local rendering)."""
    settings = settings or load_settings()
    jobs = settings.concurrency
    if isinstance(providers.clips, LocalClipMaker):
        jobs = min(jobs, os.cpu_count() or 1)
    options = dict(concurrency=max(1, jobs), analysis=settings.analysis_settings())
    return PipelineOptions(**{**options, **overrides})
