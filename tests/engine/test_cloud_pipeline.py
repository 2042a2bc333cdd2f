"""Stills and clips on Replicate through the pipeline: the real ``replicate`` client against the
fake server, with the ledger, the budget cap, stand-in clips, cancel and a rejected token."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from fakes.replicate_env import use_fake_replicate
from fakes.replicate_server import FakeReplicate, Outcome

from mvstudio.engine.errors import BudgetExceeded, Cancelled, ItemsFailed, KeyRejected
from mvstudio.engine.events import ItemFailed, Notice, PredictionStarted
from mvstudio.engine.generation.budget import Budget, is_paid
from mvstudio.engine.generation.model_registry import allowed_seconds, get_model
from mvstudio.engine.generation.replicate_video import ReplicateVideo
from mvstudio.engine.model import Project
from mvstudio.engine.pipeline import Pipeline
from mvstudio.engine.planning.rules import plan_from_rules
from mvstudio.engine.providers import pipeline_options, providers_for
from mvstudio.engine.run_estimate import estimate_run
from mvstudio.engine.settings import Settings
from mvstudio.engine.store import ledger
from mvstudio.engine.store.project_file import create_project
from test_planning_rules import make_analysis

FLUX, SEEDANCE = "black-forest-labs/flux-schnell", "bytedance/seedance-1-lite"


@pytest.fixture
def fake(monkeypatch):
    with FakeReplicate() as server:
        use_fake_replicate(monkeypatch, server)
        yield server


def cloud_project(folder, seconds: float = 30.0):
    analysis = make_analysis(seconds, 120.0, 0.1, "calm", 2)
    plan = plan_from_rules(analysis, "lanterns over a lake", seed=1)
    project = Project(name="t", prompt="lanterns over a lake", created=time.time(), fps=30,
                      width=320, height=180, analysis=analysis, plan=plan)
    return create_project(folder, project), project


@pytest.fixture
def setup(tmp_path):
    store, project = cloud_project(tmp_path / "p.mvstudio")
    yield store, project
    store.close()


def cloud_pipeline(setup, events=None, cap: float = 20.0, **project_settings) -> Pipeline:
    store, project = setup
    project.settings.update(project_settings)
    settings = Settings(budget_cap_usd=cap, concurrency=5)
    providers = providers_for(settings=settings, project_settings=project.settings)
    return Pipeline(store, project, providers, options=pipeline_options(providers, settings),
                    sink=events.append if events is not None else lambda _e: None)


def generate(p: Pipeline) -> None:
    async def both():
        await p.images()
        await p.clips()

    asyncio.run(both())


def rows(store, status=None):
    return [r for r in ledger.rows(store.db) if status is None or r.status == status]


def test_without_a_token_everything_stays_offline():
    providers = providers_for(settings=Settings())
    assert not is_paid(providers.images) and not is_paid(providers.clips)


def test_the_projects_models_win_over_the_defaults(fake):
    settings = Settings(default_video_model="kwaivgi/kling-v2.1")
    assert providers_for(settings=settings).clips.model.key == "kling-v2.1"
    chosen = providers_for(settings=settings, project_settings={"video_model": "hailuo-02",
                                                                "image_model": "flux-dev"})
    assert (chosen.images.model.key, chosen.clips.model.key) == ("flux-dev", "hailuo-02")
    photo_mode = providers_for([Path("a.jpg")], settings=settings)
    assert not is_paid(photo_mode.images) and not is_paid(photo_mode.clips)
    assert not is_paid(providers_for(settings=settings, cloud=False).clips)


def test_the_analysis_clips_are_capped_by_the_video_models_longest(fake):
    settings = Settings(max_clip_s=12.0, min_clip_s=6.0)
    wan = providers_for(settings=settings, project_settings={"video_model": "wan-2.2-i2v-fast"})
    assert pipeline_options(wan, settings).analysis.max_clip_s == pytest.approx(121 / 16)
    assert pipeline_options(wan, settings).budget_cap_usd == settings.budget_cap_usd
    seedance = providers_for(settings=settings)
    assert pipeline_options(seedance, settings).analysis.max_clip_s == 12.0


def test_stills_and_clips_are_made_paid_for_and_recorded(fake, setup):
    store, project = setup
    events = []
    p = cloud_pipeline(setup, events)
    n = len(project.plan.clips)
    before = estimate_run(p)
    assert before.counts == {"images": n, "clips": n} and before.total > 0
    assert before.per_minute == pytest.approx(before.total * 60 / project.analysis.duration)
    generate(p)

    assert fake.creates == {FLUX: n, SEEDANCE: n}
    assert p.stale_clips() == [] and estimate_run(p).total == 0
    done = rows(store)
    assert [r.status for r in done] == ["done"] * 2 * n
    assert {r.prediction_id for r in done} == set(fake.predictions)
    assert sum(r.actual for r in done) == pytest.approx(ledger.spent_total(store.db))
    assert sum(r.estimate for r in done) == pytest.approx(before.total)
    assert ledger.spent_total(store.db) == pytest.approx(sum(a.cost for a in project.assets))
    started = [e for e in events if isinstance(e, PredictionStarted)]
    assert len(started) == 2 * n and {e.model for e in started} == {"flux-schnell",
                                                                     "seedance-1-lite"}

    allowed = allowed_seconds(get_model("seedance-1-lite"), "480p")
    for clip in project.plan.clips:  # the shortest length the model makes that covers the slot
        sent = next(pr.input for pr in fake.predictions.values()
                    if pr.model == SEEDANCE and pr.input["prompt"] == p.clip_request(clip).prompt)
        wanted = clip.frames / project.fps
        assert sent["duration"] == next(s for s in allowed if s >= wanted)
        assert sent["image"].startswith("data:image/png")

    generate(cloud_pipeline(setup))  # all fresh: nothing is paid again
    assert sum(fake.creates.values()) == 2 * n


def test_a_changed_model_makes_the_clips_stale_but_not_the_stills(fake, setup):
    generate(cloud_pipeline(setup))
    kling = cloud_pipeline(setup, video_model="kling-v2.1")
    assert len(kling.stale_clips()) == len(setup[1].plan.clips)
    assert estimate_run(kling).counts == {"images": 0, "clips": len(setup[1].plan.clips)}


def test_the_budget_cap_refuses_calls_that_would_break_it(fake, setup):
    store, project = setup
    n = len(project.plan.clips)
    cap = 0.003 * 2 + 0.001  # two stills fit, the third does not
    with pytest.raises(ItemsFailed) as caught:
        asyncio.run(cloud_pipeline(setup, cap=cap).images())
    assert fake.creates[FLUX] == 2 and len(caught.value.failures) == n - 2
    assert "the budget cap of $0.01 would be exceeded" in str(caught.value)
    assert ledger.spent_total(store.db) <= cap and not rows(store, "reserved")


def test_calls_that_start_together_cannot_overshoot_together(fake, setup):
    store, project = setup
    fake.default = Outcome(seconds=0.3)
    p = cloud_pipeline(setup)
    asyncio.run(p.images())
    first, second = (p.providers.clips.ceiling(p.clip_request(c)) for c in project.plan.clips[:2])
    p.budget.cap = ledger.spent_total(store.db) + first + second + 0.001  # two fit; five start
    with pytest.raises(ItemsFailed, match="budget cap"):
        asyncio.run(p.clips())
    assert fake.creates[SEEDANCE] == 2
    assert ledger.spent_total(store.db) <= p.budget.cap


def test_a_failed_clip_releases_its_money_and_its_still_stands_in(fake, setup):
    store, project = setup
    n = len(project.plan.clips)
    fake.outcomes.extend([Outcome()] * n + [Outcome("failed", error="NSFW content")] * 2)
    events = []
    p = cloud_pipeline(setup, events)
    p.options.concurrency = 1  # both failures go to the first clip (its two attempts)
    generate(p)  # succeeds: n - 1 real clips and one stand-in

    (failed,) = rows(store, "failed")
    assert failed.stage == "clips" and failed.actual == 0 and failed.reserved == 0
    assert [c.id for c in p.stale_clips()] == [failed.owner], "Retry makes it again"
    stand_in = p.clip_source(project.plan.clip(failed.owner))
    assert stand_in.provider == "local-animator" and stand_in.cost == 0
    assert [e.message for e in events if isinstance(e, ItemFailed)] == [
        "Replicate seedance-1-lite failed after 2 attempts: NSFW content"]
    warning = next(e for e in events if isinstance(e, Notice) and e.level == "warning")
    assert "their stills stand in" in warning.message

    generate(cloud_pipeline(setup))  # the retry pays for that one clip only
    assert fake.creates[SEEDANCE] == n + 2 and cloud_pipeline(setup).stale_clips() == []


def test_fewer_than_three_real_clips_fail_the_run(fake, setup):
    store, project = setup
    n = len(project.plan.clips)
    assert n >= 4
    fake.outcomes.extend([Outcome()] * n + [Outcome()] * 2
                         + [Outcome("failed", error="GPU lost")] * (2 * (n - 2)))
    p = cloud_pipeline(setup)
    p.options.concurrency = 1  # the two good outcomes go to the first two clips
    with pytest.raises(ItemsFailed, match=rf"^only 2 of {n} clips were generated \(at least 3 "
                                          rf"are needed\): {n - 2} of {n} clips failed: clip 3: "):
        generate(p)
    assert len(rows(store, "failed")) == n - 2


def test_a_revoked_token_stops_the_run_with_a_clear_message(fake, setup):
    store, _ = setup
    fake.revoke(fake.token)
    with pytest.raises(KeyRejected, match=r"^Replicate rejected the API token \(HTTP 401\): "
                                          r"it is wrong or was revoked"):
        generate(cloud_pipeline(setup))
    assert not fake.creates and not rows(store, "reserved")


def test_cancel_cancels_the_remote_predictions_and_releases_the_money(fake, setup):
    store, project = setup
    fake.default = Outcome(never=True)
    p = cloud_pipeline(setup)

    def sink(event):
        if isinstance(event, PredictionStarted) and len(fake.predictions) == \
                min(5, len(project.plan.clips)):
            asyncio.get_running_loop().call_later(0.1, p.cancel.cancel)

    p.sink = sink
    with pytest.raises(Cancelled):
        asyncio.run(p.images())
    assert sorted(fake.cancelled) == sorted(fake.predictions)
    assert {r.status for r in rows(store)} == {"cancelled"}
    assert ledger.committed_total(store.db) == 0


def test_one_clip_can_be_cancelled_while_the_others_go_on(fake, setup):
    store, project = setup
    n = len(project.plan.clips)
    fake.outcomes.extend([Outcome()] * n + [Outcome(never=True)])
    p = cloud_pipeline(setup)
    p.options.concurrency = n

    def sink(event):
        if isinstance(event, PredictionStarted) and event.stage == "clips" and \
                fake.predictions[event.prediction_id].outcome.never:
            asyncio.get_running_loop().call_later(0.1, p.cancel_item, event.item)

    p.sink = sink
    generate(p)
    (cancelled,) = rows(store, "cancelled")
    assert p.failures == {cancelled.owner: "cancelled by the user"}
    assert fake.cancelled == [cancelled.prediction_id]
    assert p.clip_source(project.plan.clip(cancelled.owner)).provider == "local-animator"


def test_an_unwanted_reservation_is_tidied_and_a_wanted_one_reattached(fake, setup):
    store, project = setup
    p = cloud_pipeline(setup)
    clip = project.plan.clips[0]
    wanted = p.image_hash(clip)
    orphan = p.budget.reserve(stage="images", owner="gone", provider="replicate",
                              model="flux-schnell", estimate=0.003, ceiling=0.003,
                              input_hash="old")
    p.budget.attach(orphan, "p9999fake")
    never_sent = p.budget.reserve(stage="images", owner=clip.id, provider="replicate",
                                  model="flux-schnell", estimate=0.003, ceiling=0.003,
                                  input_hash=wanted)
    asyncio.run(p.images())
    statuses = {r.id: r.status for r in rows(store)}
    assert statuses[orphan] == "assumed" and statuses[never_sent] == "cancelled"
    assert ledger.spent_total(store.db) == pytest.approx(0.003 * (len(project.plan.clips) + 1))


def test_the_regenerate_estimate_is_one_still_and_one_clip(fake, setup):
    _, project = setup
    p = cloud_pipeline(setup)
    clip = project.plan.clips[0]
    one = estimate_run(p, only=clip.id)
    assert one.counts == {"images": 1, "clips": 1}
    seconds = next(s for s in allowed_seconds(p.providers.clips.model, "480p")
                   if s >= clip.frames / project.fps)
    assert one.total == pytest.approx(0.003 + 0.018 * seconds)
    assert one.label() == f"~${one.total:.2f}"
    assert isinstance(p.providers.clips, ReplicateVideo)


def test_before_planning_the_estimate_comes_from_the_clip_slots(fake, setup):
    _, project = setup
    project.plan = None
    rough = estimate_run(cloud_pipeline(setup))
    assert rough.approximate and rough.counts["clips"] == len(project.analysis.clip_boundaries)
    assert "rough, before planning" in rough.describe()


def test_budget_exceeded_is_a_provider_error_that_names_the_cap(setup):
    store, _ = setup
    budget = Budget(store.db, 1.0)
    budget.reserve(stage="clips", owner="a", provider="x", model="m", estimate=0.5, ceiling=0.8,
                   input_hash="h")
    with pytest.raises(BudgetExceeded, match=r"cap of \$1.00 would be exceeded: \$0.80 is spent "
                                             r"or held by running calls and clip 2 \(m\) may "
                                             r"cost up to \$0.30"):
        budget.reserve(stage="clips", owner="b", provider="x", model="m", estimate=0.3,
                       ceiling=0.3, input_hash="h", label="clip 2")
