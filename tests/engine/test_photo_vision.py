"""Vision ranking through the real ``openai`` client against the fake server: thumbnails go as
image parts, the answer is parsed into a ranking that selection follows; garbage, refusals and a
rejected key fall back to the offline choice; a 429 is waited out; the estimate keeps the budget.
"""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from fakes.openai_server import Reply, chat_completion
from photo_factory import rooms

from mvstudio.engine.errors import InputError
from mvstudio.engine.model import Project
from mvstudio.engine.photos.library import import_library
from mvstudio.engine.photos.mode import PhotoMode, choose_for, mode_settings
from mvstudio.engine.photos.template_plan import plan_template
from mvstudio.engine.photos.templates import get_template
from mvstudio.engine.photos.vision import (VisionRanker, estimate, rank_or_fall_back,
                                           vision_job)
from test_planning_rules import make_analysis

NO_WAIT = (0.0, 0.0, 0.0)


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return import_library([rooms(tmp_path_factory.mktemp("rooms"), [
        "front", "kitchen", "garden", "bedroom", "bath", "lounge", "dusk", "misc"],
        start_seed=50, size=(400, 300))])


@pytest.fixture
def project():
    analysis = make_analysis(40.0, 120.0, 0.1, "calm", 3)
    mode = PhotoMode(sources=["unused"], template="property")
    return Project(name="t", width=320, height=180, analysis=analysis,
                   plan=plan_template(get_template("property"), analysis),
                   settings=mode_settings({}, mode))


def ranker(fake, **options) -> VisionRanker:
    return VisionRanker(fake.key, base_url=fake.base_url, retry_delays=NO_WAIT, sleep=no_sleep,
                        **options)


def answer_for(job, photo_name_by_scene: dict[str, str]) -> dict:
    number = {p.hash: i + 1 for i, p in enumerate(job.photos)}
    scenes = []
    for scene in job.scenes:
        want = photo_name_by_scene.get(scene.key)
        picks = [{"photo": number[p.hash], "confidence": 0.92, "reason": f"shows the {want}"}
                 for p in job.photos if want and want in p.words][:1]
        scenes.append({"scene": scene.key, "picks": picks})
    return {"scenes": scenes}


def test_a_good_answer_ranks_the_photos_per_scene(fake, library, project):
    job = vision_job(project, library, model="gpt-4o-mini")
    assert 0 < len(job.photos) <= 4 * len(job.scenes)
    fake.script(fake.CHAT, Reply(body=chat_completion(
        answer_for(job, {"exterior_arrival": "dusk", "kitchen": "kitchen"}),
        usage=(9000, 120))))
    spent = []
    ranking, note = asyncio.run(rank_or_fall_back(ranker(fake), job, spend=spent.append))
    assert note == "" and set(ranking) == {"exterior_arrival", "kitchen"}
    dusk = next(h for h in ranking["exterior_arrival"])
    assert ranking["exterior_arrival"][dusk] == (0.92, "shows the dusk")
    # what was sent: the thumbnails as low-detail image parts, and the strict schema
    body = fake.requests[-1].json
    parts = body["messages"][1]["content"]
    images = [p for p in parts if p["type"] == "image_url"]
    assert len(images) == len(job.photos) and images[0]["image_url"]["detail"] == "low"
    url = images[0]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1])[:2] == b"\xff\xd8"  # a JPEG
    fmt = body["response_format"]["json_schema"]
    assert fmt["strict"] is True and fmt["schema"]["required"] == ["scenes"]
    assert spent and spent[0].stage == "photos" and spent[0].cost > 0
    # selection follows the ranking: the exterior shows the dusk photo, with the model's reason
    choices = choose_for(project, library, ranking=ranking).choices
    by_hash = library.by_hash()
    assert "dusk" in by_hash[choices[0].first].words
    assert choices[0].reason == "Exterior arrival: shows the dusk"


@pytest.mark.parametrize("reply", [
    Reply(body=chat_completion("this is not JSON")),
    Reply(body=chat_completion({"scenes": [{"scene": "kitchen", "picks": [
        {"photo": 999, "confidence": 1.0, "reason": "a photo it never saw"}]}]})),
    Reply(body=chat_completion({"ranking": "wrong shape"})),
    Reply(body=chat_completion(None, refusal="I cannot help with that")),
    Reply(body=chat_completion({"scenes": []}, finish_reason="length")),
])
def test_garbage_falls_back_to_the_offline_choice(fake, library, project, reply):
    job = vision_job(project, library, model="gpt-4o-mini")
    fake.script(fake.CHAT, *[reply] * 4)
    ranking, note = asyncio.run(rank_or_fall_back(ranker(fake), job))
    assert ranking is None
    assert note.startswith("vision ranking failed, the offline choice stands: OpenAI photo "
                           "ranking failed after 4 attempts")
    assert len(fake.requests) == 4 and "\n" not in note


def test_a_rate_limit_is_waited_out(fake, library, project):
    job = vision_job(project, library, model="gpt-4o-mini")
    fake.script(fake.CHAT, Reply(429, headers={"retry-after": "0"}),
                Reply(body=chat_completion(answer_for(job, {"kitchen": "kitchen"}))))
    ranking, note = asyncio.run(rank_or_fall_back(ranker(fake), job))
    assert note == "" and list(ranking) == ["kitchen"] and len(fake.requests) == 2


def test_a_rejected_key_falls_back_at_once(fake, library, project):
    job = vision_job(project, library, model="gpt-4o-mini")
    fake.revoke(fake.key)
    ranking, note = asyncio.run(rank_or_fall_back(ranker(fake), job))
    assert ranking is None and "rejected the API key" in note and len(fake.requests) == 1


def test_the_estimate_is_shown_first_and_keeps_the_budget(library, project):
    low = estimate("gpt-4o-mini", "low", 10, 5)
    high = estimate("gpt-4o-mini", "high", 10, 5)
    assert high.tokens > low.tokens > 10 * 2833 and low.usd > 0
    assert estimate("gpt-4o", "low", 10, 5).tokens < low.tokens  # 85 tokens an image
    assert low.describe().startswith("10 photos at low detail with gpt-4o-mini: ~")
    roomy = vision_job(project, library, model="gpt-4o-mini", budget_tokens=200_000)
    tight = vision_job(project, library, model="gpt-4o-mini", budget_tokens=36_000)
    assert len(tight.photos) < len(roomy.photos) and tight.estimate.tokens <= 36_000
    with pytest.raises(InputError, match="over the token budget of 5,000"):
        vision_job(project, library, model="gpt-4o-mini", budget_tokens=5_000)
    json.dumps(roomy.estimate.__dict__)  # plain numbers, for the UI


def test_vision_needs_a_template(library, project):
    project.settings = mode_settings({}, PhotoMode(sources=["x"]))
    with pytest.raises(InputError, match="choose a scene template first"):
        vision_job(project, library, model="gpt-4o-mini")
