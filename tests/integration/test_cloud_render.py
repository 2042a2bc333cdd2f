"""A song to a rendered video with stills and clips from (a fake) Replicate: the clips come back
longer or shorter than their slots and the composer fits each to its frames."""

from __future__ import annotations

import asyncio
import time

import pytest
from fakes.replicate_env import use_fake_replicate
from fakes.replicate_server import FakeReplicate, Outcome, data_url

from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.model import Project
from mvstudio.engine.pipeline import Pipeline
from mvstudio.engine.providers import pipeline_options, providers_for
from mvstudio.engine.render.probe import count_video_frames
from mvstudio.engine.settings import Settings
from mvstudio.engine.store import ledger
from mvstudio.engine.store.project_file import create_project

pytestmark = pytest.mark.slow


def test_a_cloud_run_renders_a_frame_exact_video(tmp_path, monkeypatch):
    song = tmp_path / "song.wav"
    synthesize_demo(song, duration=14.0, bpm=120.0)
    project = Project(name="t", prompt="lanterns over a lake", created=time.time(), fps=30,
                      width=320, height=180)
    store = create_project(tmp_path / "p.mvstudio", project)
    project.song = store.import_song(song)
    settings = Settings(concurrency=5)
    with FakeReplicate(video_seconds=1.0) as fake:
        use_fake_replicate(monkeypatch, fake)
        providers = providers_for(settings=settings)
        pipeline = Pipeline(store, project, providers,
                            options=pipeline_options(providers, settings, analysis_cache=False))
        asyncio.run(pipeline.analyse())
        asyncio.run(pipeline.plan())
        n = len(project.plan.clips)
        # the first clip comes back 20 s long (trimmed), the others 1 s (looped)
        fake.outcomes.extend([Outcome()] * n + [Outcome(output=data_url("video", 20.0))])
        pipeline.options.concurrency = 1
        report = asyncio.run(pipeline.run(tmp_path / "video.mp4"))

    assert count_video_frames(tmp_path / "video.mp4") == project.analysis.end_frame
    assert report.frames == project.analysis.end_frame
    actions = [f.action for f in report.fits]
    assert actions[0] == "trimmed" and set(actions[1:]) == {"looped"}
    assert sum(fake.creates.values()) == 2 * n
    assert {a.provider for a in project.assets if a.kind in ("image", "clip")} == {"replicate"}
    rows = ledger.rows(store.db)
    assert [r.status for r in rows] == ["done"] * 2 * n
    assert ledger.spent_total(store.db) == pytest.approx(sum(a.cost for a in project.assets))
    store.close()
