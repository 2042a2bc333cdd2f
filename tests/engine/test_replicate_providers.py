"""Image and video providers through the real ``replicate`` client against a fake Replicate."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import replicate
from fakes.openai_server import Reply
from fakes.replicate_server import FakeReplicate, Outcome, throttled
from PIL import Image

from media_factory import still_image
from mvstudio.engine.errors import Cancelled, ProviderError
from mvstudio.engine.events import CancelToken, Progress, StageReporter
from mvstudio.engine.generation.model_registry import get_model
from mvstudio.engine.generation.protocols import ClipRequest, ImageRequest
from mvstudio.engine.generation.replicate_images import ReplicateImages
from mvstudio.engine.generation.replicate_video import ReplicateVideo

SDXL = get_model("sdxl")


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.01")  # read by each new client
    with FakeReplicate(versions={SDXL.version: SDXL.ref}) as server:
        yield server


@pytest.fixture
def first_frame(tmp_path_factory) -> Path:
    return still_image(tmp_path_factory.mktemp("frames") / "first.png", width=64, height=36)


def provider(cls, fake, sleeps=None, model=None, **kw):
    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    args = (kw.pop("token", fake.token),) + ((model,) if model else ())
    return cls(*args, base_url=fake.base_url, sleep=sleep, **kw)


def still(**kw) -> ImageRequest:
    return ImageRequest(**{"owner": "c1", "prompt": "a lighthouse at dusk", "palette": (),
                           "seed": 7, "width": 1920, "height": 1080, **kw})


def clip(image: Path, **kw) -> ClipRequest:
    return ClipRequest(**{"owner": "c2", "prompt": "waves crash on the rocks", "image": image,
                          "frames": 120, "fps": 30, "width": 1920, "height": 1080,
                          "beat_frames": (0, 15), "move": "push", "seed": 3, **kw})


def run(coro):
    return asyncio.run(coro)


def test_an_image_is_made_checked_and_priced(fake, tmp_path):
    sleeps: list[float] = []
    made = run(provider(ReplicateImages, fake, sleeps).generate(still(), tmp_path))
    assert made.path == tmp_path / "c1.png" and list(tmp_path.iterdir()) == [made.path]
    with Image.open(made.path) as image:
        assert image.size == (64, 36)
    assert (made.provider, made.model, made.width, made.height) == ("replicate", "flux-schnell",
                                                                    64, 36)
    assert made.cost == pytest.approx(0.003) and sleeps == []
    (create,) = fake.requests_to(fake.CREATE)
    assert create.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    assert create.headers["authorization"] == f"Bearer {fake.token}"
    assert create.json["input"]["aspect_ratio"] == "16:9" and create.json["input"]["seed"] == 7
    assert len(fake.requests_to(fake.GET)) == fake.polls


def test_a_versioned_model_is_created_by_version_and_priced_by_gpu_time(fake, tmp_path):
    images = provider(ReplicateImages, fake, model="sdxl")
    made = run(images.generate(still(), tmp_path))
    (create,) = fake.requests_to(fake.CREATE)
    assert create.path == "/v1/predictions" and create.json["version"] == SDXL.version
    assert (create.json["input"]["width"], create.json["input"]["height"]) == (1344, 768)
    assert made.cost == pytest.approx(0.000975 * 1.5)  # the fake's metrics.predict_time
    assert SDXL.ref in images.fingerprint() and SDXL.version in images.fingerprint()
    assert images.fingerprint() != provider(ReplicateImages, fake).fingerprint()


def test_a_clip_starts_from_its_still_and_reports_its_id_before_waiting(fake, tmp_path,
                                                                        first_frame):
    seen: dict[str, int] = {}
    events: list = []
    video = provider(ReplicateVideo, fake)
    made = run(video.generate(clip(first_frame), tmp_path,
                              reporter=StageReporter(events.append, "clips"),
                              on_created=lambda pid: seen.update(
                                  {pid: fake.predictions[pid].polls})))
    assert list(seen.values()) == [0]  # heard before the first poll
    sent = fake.predictions[next(iter(seen))].input
    assert sent["image"].startswith("data:image/png;base64,")  # small: inline
    assert (sent["duration"], sent["resolution"], sent["fps"]) == (4, "1080p", 24)
    assert made.path.suffix == ".mp4" and (made.width, made.height) == (64, 36)
    assert made.duration == pytest.approx(1.0, abs=0.1)
    assert made.cost == pytest.approx(0.072 * 4)  # 4 s billed at 1080p
    assert made.model == "seedance-1-lite"
    assert any(isinstance(e, Progress) and 0 < e.fraction < 1 for e in events)


def test_a_large_first_frame_is_uploaded_through_files(fake, tmp_path, first_frame):
    video = provider(ReplicateVideo, fake, model="kling-v2.1", inline_limit=0)
    run(video.generate(clip(first_frame), tmp_path))
    ((name, ctype, data),) = fake.files.values()
    assert (name, ctype, data) == ("first.png", "image/png", first_frame.read_bytes())
    (create,) = fake.requests_to(fake.CREATE)
    assert create.json["input"]["start_image"] == "https://api.replicate.com/v1/files/f0001fake"


@pytest.mark.parametrize("replies,sleeps_wanted", [
    ([throttled(1)], [2.0]), ([throttled(5)], [5.0]),
    ([Reply(503), Reply(500), throttled(0)], [2.0, 4.0, 8.0])])
def test_a_refused_create_is_retried_with_backoff(fake, tmp_path, replies, sleeps_wanted):
    fake.script(fake.CREATE, *replies)
    sleeps: list[float] = []
    run(provider(ReplicateImages, fake, sleeps).generate(still(), tmp_path))
    assert sleeps == sleeps_wanted and sum(fake.creates.values()) == 1


def test_creates_give_up_after_four_tries(fake, tmp_path):
    fake.script(fake.CREATE, *[Reply(503)] * 4)
    sleeps: list[float] = []
    with pytest.raises(ProviderError, match=r"flux-schnell request failed after 4 attempts "
                                            r"\(HTTP 503: Service Unavailable\)"):
        run(provider(ReplicateImages, fake, sleeps).generate(still(), tmp_path))
    assert sleeps == [2.0, 4.0, 8.0] and list(tmp_path.iterdir()) == []


def test_polls_survive_server_errors(fake, tmp_path):
    fake.script(fake.GET, Reply(503), Reply(503), Reply(500), Reply(502))
    made = run(provider(ReplicateImages, fake).generate(still(), tmp_path))
    assert made.path.is_file() and sum(fake.creates.values()) == 1


def test_a_failed_prediction_is_made_again_then_reported(fake, tmp_path):
    fake.outcomes.extend([Outcome("failed", error="CUDA out of memory")] * 2)
    with pytest.raises(ProviderError) as err:
        run(provider(ReplicateImages, fake).generate(still(), tmp_path))
    assert str(err.value) == "Replicate flux-schnell failed after 2 attempts: CUDA out of memory"
    assert fake.creates["black-forest-labs/flux-schnell"] == 2 and list(tmp_path.iterdir()) == []


def test_a_failure_or_an_unreadable_output_then_success(fake, tmp_path):
    fake.outcomes.extend([Outcome(output=["data:image/png;base64,bm90IGFuIGltYWdl"])])
    made = run(provider(ReplicateImages, fake).generate(still(), tmp_path))
    assert list(tmp_path.iterdir()) == [made.path]
    fake.outcomes.extend([Outcome("failed", error="NSFW content detected")])
    run(provider(ReplicateImages, fake).generate(still(owner="c9"), tmp_path))
    assert fake.creates["black-forest-labs/flux-schnell"] == 4


def test_a_prediction_that_takes_too_long_is_cancelled_and_made_again(fake, tmp_path):
    fake.outcomes.extend([Outcome(never=True)] * 2)
    with pytest.raises(ProviderError, match="failed after 2 attempts: no result within 0.2 s"):
        run(provider(ReplicateImages, fake, timeout=0.2).generate(still(), tmp_path))
    assert fake.cancelled == list(fake.predictions) and len(fake.cancelled) == 2


def test_cancel_stops_the_remote_prediction_and_leaves_nothing(fake, tmp_path, first_frame):
    fake.default = Outcome(never=True)
    token = CancelToken()

    def created(pid: str) -> None:
        asyncio.get_running_loop().call_later(0.05, token.cancel)

    with pytest.raises(Cancelled):
        run(provider(ReplicateVideo, fake).generate(clip(first_frame), tmp_path, token,
                                                    on_created=created))
    assert fake.cancelled == list(fake.predictions) and len(fake.cancelled) == 1
    assert fake.predictions[fake.cancelled[0]].polls >= 1 and list(tmp_path.iterdir()) == []


def test_a_revoked_token_fails_at_once_without_showing_it(fake, tmp_path):
    fake.revoke(fake.token)
    sleeps: list[float] = []
    with pytest.raises(ProviderError) as err:
        run(provider(ReplicateImages, fake, sleeps).generate(still(), tmp_path))
    assert str(err.value).startswith("Replicate rejected the API token (HTTP 401)")
    assert fake.token not in str(err.value) and sleeps == [] and not fake.creates


def test_resume_reattaches_to_the_prediction_instead_of_creating(fake, tmp_path, first_frame):
    client = replicate.Client(api_token=fake.token, base_url=fake.base_url)
    earlier = client.models.predictions.create(model="bytedance/seedance-1-lite",
                                               input={"prompt": "waves"})
    video = provider(ReplicateVideo, fake)
    made = run(video.generate(clip(first_frame), tmp_path, resume_id=earlier.id))
    assert made.path.is_file() and fake.creates["bytedance/seedance-1-lite"] == 1
    made = run(video.generate(clip(first_frame, owner="c3"), tmp_path, resume_id="gone"))
    assert made.path.is_file() and fake.creates["bytedance/seedance-1-lite"] == 2


def test_a_model_of_the_wrong_kind_is_refused():
    with pytest.raises(ProviderError, match="'flux-dev' makes image, not video"):
        ReplicateVideo("r8_token", "flux-dev")
    with pytest.raises(ProviderError, match="needs an API token"):
        ReplicateImages("")


def test_the_fake_answers_what_the_real_clients_run_expects(fake):
    client = replicate.Client(api_token=fake.token, base_url=fake.base_url)
    (image,) = client.run("black-forest-labs/flux-schnell", input={"prompt": "a lighthouse"})
    assert image.read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.run("meta/musicgen", input={"prompt": "pads"}).read()[:4] == b"RIFF"


def test_clips_made_side_by_side_overlap(fake, tmp_path, first_frame):
    fake.default = Outcome(seconds=0.4)
    video = provider(ReplicateVideo, fake)

    async def four() -> list:
        return await asyncio.gather(*(video.generate(clip(first_frame, owner=f"c{i}"), tmp_path)
                                      for i in range(4)))

    started = time.perf_counter()
    made = run(four())
    assert time.perf_counter() - started < 1.0  # one after another: 1.6 s at the least
    assert len({m.path for m in made}) == 4 and fake.creates["bytedance/seedance-1-lite"] == 4
