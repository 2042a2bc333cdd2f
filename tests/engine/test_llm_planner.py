"""The LLM planner through the real ``openai`` client against a fake OpenAI on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from fakes.openai_server import FakeOpenAI, Reply, chat_completion
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.errors import ProviderError
from mvstudio.engine.events import Notice
from mvstudio.engine.model import Project
from mvstudio.engine.pipeline import Pipeline, Providers, offline_providers
from mvstudio.engine.planning.llm import LLMPlanner
from mvstudio.engine.planning.validate import CONTINUOUS, proposed_slots, validate_plan
from mvstudio.engine.store.ledger import spent_total
from mvstudio.engine.store.project_file import create_project
from tests.engine.test_planning_rules import make_analysis


def good_answer(analysis, skip: int = 0, max_clip_s=None) -> dict:
    """What a well-behaved model answers for ``analysis`` (every slot but the last ``skip``)."""
    n = len(proposed_slots(analysis, max_clip_s))
    return {
        "summary": "A courier races through a neon city at night.",
        "style": {"palette": ["#101820", "#FF2E63", "#08D9D6", "#EAEAEA", "not-a-colour"],
                  "visual_style": "neon noir", "mood": "tense", "lighting": "wet neon reflections",
                  "cinematography": "handheld tracking", "keywords": ["neon", "rain", "noir"]},
        "characters": [{"key": "c1", "name": "Courier", "description": "a young courier in a "
                        "yellow raincoat", "role": "lead"}],
        "scenes": [{"key": "s1", "name": "Streets", "description": "rain-soaked streets",
                    "time_of_day": "night", "music_prompt": "dark synthwave, 120 BPM"}],
        "clips": [{"slot": i, "visual_description": f"shot {i}: the courier weaves through "
                   "traffic", "motion": "fast", "camera": "tracking", "characters": ["c1", "ghost"],
                   "scenes": ["s1"], "lyrics_context": "", "beat_intensity": "strong",
                   "continues_previous": i == 2}
                  for i in range(n - skip)],
        "transitions": [{"after_slot": i, "kind": "crossfade" if i % 2 else "cut", "beats": 1.0,
                         "rationale": "on the beat"} for i in range(n - 1)],
    }


@pytest.fixture
def analysis():
    return make_analysis(40.0, 120.0, 0.1, "dark", 3)


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


def planner(fake, sleeps=None, key=None) -> LLMPlanner:
    async def sleep(s):
        if sleeps is not None:
            sleeps.append(s)
    return LLMPlanner(key or fake.key, base_url=fake.base_url, sleep=sleep, timeout=10)


def test_a_good_answer_becomes_a_valid_plan_and_its_tokens_a_cost(fake, analysis):
    fake.script(fake.CHAT, Reply(body=chat_completion(good_answer(analysis), usage=(1000, 500))))
    spent = []
    plan = asyncio.run(planner(fake).plan(analysis, "a courier in a neon city", 1,
                                          spend=spent.append))
    assert plan.origin == "llm" and validate_plan(plan, analysis) == []
    assert plan.style.palette == ["#101820", "#FF2E63", "#08D9D6", "#EAEAEA"]
    assert [c.start_frame for c in plan.clips] == [b.start_frame for b in analysis.clip_boundaries]
    courier = plan.characters[0].id
    assert all(c.characters == [courier] for c in plan.clips)  # the unknown key is dropped
    assert plan.scenes[0].music_prompt == "dark synthwave, 120 BPM"
    kinds = [plan.transition_between(a.id, b.id).kind for a, b in zip(plan.clips, plan.clips[1:])]
    assert kinds[:4] == ["cut", "cut", "cut", "crossfade"]
    # slot 2 carries on the shot of slot 1: marked, and joined by a hard cut, not the crossfade
    # the model asked for there
    assert [c.continues for c in plan.clips[:4]] == [False, False, True, False]
    assert plan.transition_between(plan.clips[1].id, plan.clips[2].id).rationale == CONTINUOUS
    assert len(spent) == 1 and spent[0].cost == pytest.approx(1000 * 0.15e-6 + 500 * 0.6e-6)
    sent = fake.requests_to(fake.CHAT)[0].json
    assert sent["model"] == "gpt-4o-mini"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert '"slot":0' in sent["messages"][1]["content"]


def test_missing_slots_are_filled_by_the_rules_and_noted(fake, analysis):
    fake.script(fake.CHAT, Reply(body=chat_completion(good_answer(analysis, skip=1))))
    plan = asyncio.run(planner(fake).plan(analysis, "p", 1))
    assert validate_plan(plan, analysis) == []
    assert any("without a script" in n for n in plan.notes)
    assert "courier" not in plan.clips[-1].visual_description


def test_garbage_refusals_and_server_errors_are_retried_after_2_4_8_s(fake, analysis):
    fake.script(fake.CHAT, Reply(body=chat_completion("this is not json")),
                Reply(429, headers={"retry-after": "0"}),
                Reply(body=chat_completion(None, refusal="I can't help with that")),
                Reply(body=chat_completion(good_answer(analysis))))
    sleeps: list[float] = []
    spent = []
    plan = asyncio.run(planner(fake, sleeps).plan(analysis, "p", 1, spend=spent.append))
    assert plan.origin == "llm" and sleeps == [2.0, 4.0, 8.0]
    assert len(spent) == 3  # every answered call costs, the 429 does not


def test_a_revoked_key_fails_at_once_in_one_line(fake, analysis):
    fake.revoke(fake.key)
    sleeps: list[float] = []
    with pytest.raises(ProviderError) as err:
        asyncio.run(planner(fake, sleeps).plan(analysis, "p", 1))
    assert "401" in str(err.value) and "\n" not in str(err.value) and sleeps == []
    assert fake.key not in str(err.value)


def test_after_the_last_bad_answer_the_pipeline_plans_with_rules_and_says_why(fake, tmp_path):
    song = tmp_path / "song.wav"
    synthesize_demo(song, duration=16.0, bpm=120.0)
    project = Project(name="l", prompt="a courier in a neon city", created=time.time())
    store = create_project(tmp_path / "l.mvstudio", project)
    project.song = store.import_song(song)
    fake.script(fake.CHAT, *[Reply(body=chat_completion({"summary": "x"}, usage=(100, 10)))] * 4)
    events = []
    providers = offline_providers()
    providers = Providers(planner(fake, []), providers.images, providers.clips)
    pipeline = Pipeline(store, project, providers, sink=events.append)
    asyncio.run(pipeline.analyse())
    asyncio.run(pipeline.plan())
    assert project.plan.origin == "rules" and len(fake.requests_to(fake.CHAT)) == 4
    assert any("rule director" in n and "4 attempts" in n for n in project.plan.notes)
    warnings = [e for e in events if isinstance(e, Notice) and e.level == "warning"]
    assert warnings and "rule director" in warnings[0].message
    assert spent_total(store.db) == pytest.approx(4 * (100 * 0.15e-6 + 10 * 0.6e-6))
    store.close()


def test_an_answer_with_gaps_dangling_ids_and_overlong_clips_is_repaired(fake, analysis):
    answer = good_answer(analysis, max_clip_s=3.0)  # the video model makes 3 s at most
    answer["clips"] = [c for c in answer["clips"] if c["slot"] != 2]  # a gap: slot 2 unwritten
    answer["clips"].append(dict(answer["clips"][0], visual_description="a duplicate of slot 0"))
    answer["clips"][1]["scenes"] = ["nowhere"]  # a dangling scene
    fake.script(fake.CHAT, Reply(body=chat_completion(answer)))
    planner = LLMPlanner(fake.key, base_url=fake.base_url, max_clip_s=3.0, timeout=10)
    plan = asyncio.run(planner.plan(analysis, "p", 1))
    assert validate_plan(plan, analysis, max_clip_s=3.0) == []
    assert max(c.frames for c in plan.clips) <= 3.0 * analysis.fps
    assert len(plan.clips) > len(analysis.clip_boundaries)  # the slots were proposed for 3 s
    assert '"end_s":' in fake.requests_to(fake.CHAT)[0].json["messages"][1]["content"]
    assert not any("duplicate" in c.visual_description for c in plan.clips)
    assert any("without a script" in n for n in plan.notes)


def test_server_errors_to_the_last_attempt_end_in_a_provider_error(fake, analysis):
    fake.script(fake.CHAT, *[Reply(500)] * 4)
    sleeps: list[float] = []
    with pytest.raises(ProviderError) as err:
        asyncio.run(planner(fake, sleeps).plan(analysis, "p", 1))
    assert "after 4 attempts" in str(err.value) and "HTTP 500" in str(err.value)
    assert sleeps == [2.0, 4.0, 8.0]


def test_a_timeout_is_retried(fake, analysis):
    fake.script(fake.CHAT, Reply(delay=1.5), Reply(body=chat_completion(good_answer(analysis))))
    sleeps: list[float] = []
    quick = LLMPlanner(fake.key, base_url=fake.base_url, timeout=0.5, sleep=_recording(sleeps))
    plan = asyncio.run(quick.plan(analysis, "p", 1))
    assert plan.origin == "llm" and sleeps == [2.0]


def _recording(sleeps):
    async def sleep(s):
        sleeps.append(s)
    return sleep
