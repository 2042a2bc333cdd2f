"""Which providers a run uses: the offline ones that ship with the app, plus the cloud planner
when the user has an OpenAI key and a planner model set (``Settings.planner_model``; "rules" or
empty = the rule director), and Replicate stills and clips when the user has a Replicate token
(the models: the project's ``image_model`` / ``video_model`` settings, else the user's defaults;
photo mode stays offline).  Paid calls are recorded in the project's ledger under its budget cap;
a failing planner falls back to the rule director (see ``Pipeline.plan``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional

from mvstudio.engine.generation.local_clips import LocalClipMaker
from mvstudio.engine.keys import get_key
from mvstudio.engine.pipeline import PipelineOptions, Providers, offline_providers
from mvstudio.engine.settings import Settings, load_settings

RULES = "rules"  # the planner model that means the offline rule director


def providers_for(photos: Optional[list[Path]] = None, settings: Optional[Settings] = None,
                  project_settings: Optional[Mapping] = None, *,
                  cloud: bool = True) -> Providers:
    """Offline providers, with the LLM planner where a key and a planner model allow it and
    Replicate where a token does (``cloud``: False keeps stills and clips offline)."""
    providers = offline_providers(photos)
    settings = settings or load_settings()
    token = get_key("replicate") if cloud and not photos else None
    if token:
        providers.images, providers.clips = replicate_providers(token, settings,
                                                                project_settings or {})
    model = settings.planner_model.strip()
    key = get_key("openai") if model not in ("", RULES) else None
    if key:
        from mvstudio.engine.planning.llm import LLMPlanner  # openai + pydantic: load on demand

        providers.planner = LLMPlanner(key, model=model)
    return providers


def chosen_model(kind: str, settings: Settings, project_settings: Mapping) -> str:
    """The ``kind`` ("image" / "video") model a project uses: its own choice, else the default."""
    return str(project_settings.get(f"{kind}_model") or getattr(settings, f"default_{kind}_model"))


def replicate_providers(token: str, settings: Settings, project_settings: Mapping):
    """``(images, clips)`` on Replicate with the project's models (see ``chosen_model``)."""
    from mvstudio.engine.generation.model_registry import find_model, load_registry
    from mvstudio.engine.generation.replicate_images import ReplicateImages
    from mvstudio.engine.generation.replicate_video import ReplicateVideo

    registry = load_registry()
    return (ReplicateImages(token, find_model(chosen_model("image", settings, project_settings),
                                              "image", registry)),
            ReplicateVideo(token, find_model(chosen_model("video", settings, project_settings),
                                             "video", registry)))


def pipeline_options(providers: Providers, settings: Optional[Settings] = None,
                     **overrides) -> PipelineOptions:
    """The run's options from the user's settings: clip lengths for the analysis (no longer than
    the video model makes), the budget cap, and as many generations at once as the settings
    allow (no more than the cores for local rendering)."""
    settings = settings or load_settings()
    jobs = settings.concurrency
    if isinstance(providers.clips, LocalClipMaker):
        jobs = min(jobs, os.cpu_count() or 1)
    longest = getattr(providers.clips, "longest_seconds", lambda: None)()
    options = dict(concurrency=max(1, jobs),
                   analysis=settings.analysis_settings().capped_by(longest),
                   budget_cap_usd=settings.budget_cap_usd)
    return PipelineOptions(**{**options, **overrides})
