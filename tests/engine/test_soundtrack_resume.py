"""Kill the process while a MusicGen soundtrack is made, make it again: the made segment is kept,
the one in flight (still running, or finished meanwhile) is reattached to, and nothing is paid for
twice (creates counted on the fake Replicate).  Run as a script, this file is the process that is
killed: ``python test_soundtrack_resume.py PROJECT_FOLDER``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes.replicate_env import use_fake_replicate
from fakes.replicate_server import FakeReplicate, Outcome

from mvstudio.engine.analysis.audio_io import probe_audio
from mvstudio.engine.generation.model_registry import get_model
from mvstudio.engine.planning.prompt_only import story_of
from mvstudio.engine.planning.story import compose_story
from mvstudio.engine.prompt_job import (create_prompt_project, make_project_soundtrack,
                                        soundtrack_maker)
from mvstudio.engine.store import ledger
from mvstudio.engine.store.project_file import open_project

REPO = Path(__file__).resolve().parents[2]
MUSICGEN = get_model("musicgen")


async def make_soundtrack_in(folder: Path) -> None:
    """What the killed process does (and what the test does again): the project's soundtrack."""
    with open_project(folder) as store:
        project = store.load()
        maker = soundtrack_maker(story_of(project), cloud=True)
        await make_project_soundtrack(store, project, maker, cap=20.0)


def wait_for(condition, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def statuses(folder: Path) -> list[tuple[str, bool]]:
    with open_project(folder) as store:
        return [(r.status, bool(r.prediction_id)) for r in ledger.rows(store.db)]


@pytest.mark.parametrize("finished", [False, True], ids=["running", "finished"])
def test_a_killed_soundtrack_goes_on_without_paying_twice(tmp_path, monkeypatch, finished):
    story = compose_story("a lighthouse keeper finds a message in a bottle", 16.0)
    folder = tmp_path / "p.mvstudio"
    create_prompt_project(folder, story)[0].close()
    n = len(story.parts)
    with FakeReplicate(versions={MUSICGEN.version: MUSICGEN.ref}) as fake:
        use_fake_replicate(monkeypatch, fake)
        fake.outcomes.extend([Outcome(), Outcome(seconds=1.0 if finished else 4.0)])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(REPO), str(REPO / "tests"), os.environ.get("PYTHONPATH", "")])}
        child = subprocess.Popen([sys.executable, __file__, str(folder)], cwd=REPO, env=env,
                                 stderr=subprocess.PIPE)
        try:
            wait_for(lambda: statuses(folder) == [("done", True), ("reserved", True)])
        finally:
            child.kill()  # SIGKILL: no cancel, no cleanup, as a crash
            child.wait()
        second = fake.predictions[list(fake.predictions)[1]]
        if finished:  # it ends while nobody listens
            wait_for(lambda: time.monotonic() - second.created > 1.2)

        asyncio.run(make_soundtrack_in(folder))
        assert fake.creates[MUSICGEN.ref] == n
        assert not fake.cancelled
        with open_project(folder) as store:
            rows = ledger.rows(store.db)
            assert [r.status for r in rows] == ["done"] * n
            assert [r.prediction_id for r in rows] == list(fake.predictions)
            assert ledger.committed_total(store.db) == pytest.approx(sum(r.actual for r in rows))
            song = store.media.path(store.load().song.media)
            assert probe_audio(song).duration == pytest.approx(story.duration, abs=0.01)


if __name__ == "__main__":
    asyncio.run(make_soundtrack_in(Path(sys.argv[1])))
