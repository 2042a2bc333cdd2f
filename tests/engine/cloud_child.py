"""A separate process that makes a project's stills and clips on (a fake) Replicate, so a test
can kill it mid-run: ``python cloud_child.py PROJECT_FOLDER``."""

from __future__ import annotations

import asyncio
import sys

from mvstudio.engine.pipeline import Pipeline
from mvstudio.engine.providers import pipeline_options, providers_for
from mvstudio.engine.settings import Settings
from mvstudio.engine.store.project_file import open_project


async def generate(folder: str) -> None:
    store = open_project(folder)
    project = store.load()
    settings = Settings(concurrency=5)
    providers = providers_for(settings=settings, project_settings=project.settings)
    pipeline = Pipeline(store, project, providers, options=pipeline_options(providers, settings))
    await pipeline.images()
    await pipeline.clips()


if __name__ == "__main__":
    asyncio.run(generate(sys.argv[1]))
