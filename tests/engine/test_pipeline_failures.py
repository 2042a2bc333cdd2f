"""A failing item does not stop its stage: the others are made, it stays stale and is reported,
the stage ends with one summary error, and the next run makes only what failed.  Cancel still
stops everything at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from mvstudio.engine.errors import Cancelled, ItemsFailed, ProviderError, RenderError
from mvstudio.engine.events import (CancelToken, ItemFailed, ItemStarted, Progress,
                                    StageFinished)
from mvstudio.engine.generation.protocols import Generated
from mvstudio.engine.model import Project
from mvstudio.engine.pipeline import Pipeline, Providers
from mvstudio.engine.planning.rules import RulePlanner, plan_from_rules
from mvstudio.engine.store.project_file import create_project
from test_planning_rules import make_analysis

REASON = "the model refused the prompt"


class FakeStills:
    """An ``ImageGenerator`` that writes a small distinct file per request."""

    name = "fake-stills"

    def fingerprint(self) -> str:
        return "fake-stills/1"

    def request_key(self, _request) -> str:
        return ""

    async def generate(self, request, workdir: Path, cancel=None) -> Generated:
        path = Path(workdir) / f"{request.owner}.png"
        path.write_bytes(f"still {request.owner} {request.seed}".encode())
        return Generated(path, self.name)


class FlakyClips:
    """A ``VideoGenerator`` that fails for the clips in ``broken`` and can hang until cancelled."""

    name = "flaky-clips"

    def __init__(self, broken=(), hang: bool = False):
        self.broken, self.hang, self.made = set(broken), hang, []

    def fingerprint(self) -> str:
        return "flaky-clips/1"

    async def generate(self, request, workdir: Path, cancel=None, reporter=None) -> Generated:
        if self.hang:
            killed = asyncio.Event()
            cancel.on_cancel(killed.set)  # the test cancels on the loop's thread
            await killed.wait()
            raise RenderError("ffmpeg was killed")  # what a killed FFmpeg looks like
        if request.owner in self.broken:
            raise ProviderError(REASON)
        path = Path(workdir) / f"{request.owner}.mp4"
        path.write_bytes(f"clip {request.owner} {request.seed}".encode())
        self.made.append(request.owner)
        return Generated(path, self.name, duration=request.frames / request.fps)


@pytest.fixture
def setup(tmp_path):
    analysis = make_analysis(40.0, 120.0, 0.1, "calm", 2)
    plan = plan_from_rules(analysis, "lanterns over a lake", seed=1)
    project = Project(name="t", prompt="lanterns over a lake", created=time.time(),
                      analysis=analysis, plan=plan)
    store = create_project(tmp_path / "p.mvstudio", project)
    yield store, project
    store.close()


def pipeline(setup, clips, events=None, cancel=None) -> Pipeline:
    store, project = setup
    return Pipeline(store, project, Providers(RulePlanner(), FakeStills(), clips),
                    sink=(events.append if events is not None else lambda _e: None),
                    cancel=cancel)


def generate(p: Pipeline) -> None:
    async def both():
        await p.images()
        await p.clips()

    asyncio.run(both())


def test_one_failing_clip_lets_the_others_finish_and_only_it_is_retried(setup):
    _, project = setup
    clips = project.plan.clips
    assert len(clips) >= 4
    bad = clips[2]
    events = []
    first = pipeline(setup, FlakyClips(broken={bad.id}), events)
    with pytest.raises(ItemsFailed) as caught:
        generate(first)

    total = len(clips)
    assert str(caught.value) == f"1 of {total} clips failed: clip 3: {REASON}"
    assert caught.value.failures == {bad.id: REASON}
    assert first.failures == {bad.id: REASON}
    assert [c.id for c in first.stale_clips()] == [bad.id], "the others were recorded"
    assert {a.owner for a in project.assets if a.kind == "clip"} == {c.id for c in clips} - {bad.id}
    failed = [e for e in events if isinstance(e, ItemFailed)]
    assert failed == [ItemFailed("clips", bad.id, REASON, "clip 3")]
    started = [e.item for e in events if isinstance(e, ItemStarted) and e.stage == "clips"]
    assert sorted(started) == sorted(c.id for c in clips)
    made = [e.item for e in events if isinstance(e, Progress) and e.stage == "clips" and e.item]
    assert bad.id not in made and len(made) == total - 1
    finished = [e for e in events if isinstance(e, StageFinished) and e.stage == "clips"]
    assert finished[0].message == f"{total - 1} made, 1 failed"

    fixed = FlakyClips()
    retry = pipeline(setup, fixed)
    generate(retry)
    assert fixed.made == [bad.id], "the second run makes only the failed clip"
    assert retry.stale_clips() == [] and retry.failures == {}


def test_the_summary_names_a_few_failures_and_counts_the_rest(setup):
    _, project = setup
    clips = project.plan.clips
    broken = {c.id for c in clips[:5]}
    with pytest.raises(ItemsFailed) as caught:
        generate(pipeline(setup, FlakyClips(broken=broken)))
    message = str(caught.value)
    assert message.startswith(f"5 of {len(clips)} clips failed: clip 1: {REASON}; clip 2: ")
    assert message.endswith("; and 2 more") and "\n" not in message
    assert set(caught.value.failures) == broken


def test_cancel_stops_every_item_and_is_not_a_failure(setup):
    events, cancel = [], CancelToken()

    def sink(event):
        events.append(event)
        if isinstance(event, ItemStarted) and event.stage == "clips":
            asyncio.get_running_loop().call_later(0.05, cancel.cancel)

    p = Pipeline(setup[0], setup[1], Providers(RulePlanner(), FakeStills(), FlakyClips(hang=True)),
                 sink=sink, cancel=cancel)
    with pytest.raises(Cancelled):
        generate(p)
    assert not any(isinstance(e, ItemFailed) for e in events)
    assert p.failures == {}
