"""Kill the process mid-run, start again: finished and running predictions are collected, none is
paid for twice (creates are counted on the fake Replicate)."""

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

from mvstudio.engine.store import ledger
from mvstudio.engine.store.project_file import open_project
from test_cloud_pipeline import SEEDANCE, cloud_pipeline, cloud_project

CHILD = Path(__file__).with_name("cloud_child.py")
REPO = Path(__file__).resolve().parents[2]


def wait_for(condition, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def clip_rows(folder: Path) -> list[ledger.LedgerRow]:
    with open_project(folder) as store:
        return [r for r in ledger.rows(store.db) if r.stage == "clips"]


def test_a_killed_run_resumes_without_paying_twice(tmp_path, monkeypatch):
    folder = tmp_path / "p.mvstudio"
    store, project = cloud_project(folder, seconds=20.0)
    store.close()
    n = len(project.plan.clips)
    assert n >= 3
    with FakeReplicate() as fake:
        use_fake_replicate(monkeypatch, fake)
        # stills at once; then one clip quickly, one that finishes while nobody listens, the rest
        # still running when the run starts again
        fake.outcomes.extend([Outcome()] * n + [Outcome(polls=1), Outcome(seconds=1.0)]
                             + [Outcome(seconds=8.0)] * (n - 2))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
            "PYTHONPATH", "")])}
        child = subprocess.Popen([sys.executable, str(CHILD), str(folder)], cwd=REPO, env=env,
                                 stderr=subprocess.PIPE)
        try:
            wait_for(lambda: fake.creates[SEEDANCE] == n
                     and any(r.status == "done" for r in clip_rows(folder)))
        finally:
            child.kill()  # SIGKILL: no cancel, no cleanup, as a crash
            child.wait()
        rows = clip_rows(folder)
        assert sorted(r.status for r in rows) == ["done"] + ["reserved"] * (n - 1)
        assert all(r.prediction_id for r in rows), "ids are stored before the wait"
        wait_for(lambda: any(p.polls and p.outcome.seconds == 1.0 and
                             time.monotonic() - p.created > 1.0
                             for p in fake.predictions.values()))

        store = open_project(folder)
        project = store.load()
        try:
            p = cloud_pipeline((store, project))
            asyncio.run(p.images())
            asyncio.run(p.clips())
            assert p.stale_clips() == []
            assert fake.creates == {"black-forest-labs/flux-schnell": n, SEEDANCE: n}
            assert not fake.cancelled
            rows = [r for r in ledger.rows(store.db) if r.stage == "clips"]
            assert [r.status for r in rows] == ["done"] * n
            assert {r.prediction_id for r in rows} == {
                pid for pid, pr in fake.predictions.items() if pr.model == SEEDANCE}
            assert ledger.spent_total(store.db) == pytest.approx(
                sum(a.cost for a in project.assets))
        finally:
            store.close()
