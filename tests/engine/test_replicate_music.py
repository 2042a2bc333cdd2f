"""A soundtrack from MusicGen on Replicate: the real client against the fake server.  (Its money,
the project flow and resume: ``test_soundtrack_budget.py``, ``test_soundtrack_resume.py``.)"""

from __future__ import annotations

import asyncio
import base64
from contextlib import contextmanager

import pytest
from fakes.replicate_env import use_fake_replicate
from fakes.replicate_server import FakeReplicate, Outcome

from mvstudio.engine.analysis.audio_io import probe_audio
from mvstudio.engine.errors import ProviderError
from mvstudio.engine.generation.budget import Budget
from mvstudio.engine.generation.model_registry import cost, get_model
from mvstudio.engine.generation.replicate_music import CONTEXT, FADE, ReplicateSoundtrack
from mvstudio.engine.model import Project, Scene
from mvstudio.engine.planning.story import compose_story
from mvstudio.engine.prompt_job import make_soundtrack
from mvstudio.engine.store.project_file import create_project

MUSICGEN = get_model("musicgen")
SCENES = [Scene("intro", "", music_prompt="soft piano"),
          Scene("verse", "", music_prompt="warm strings"),
          Scene("chorus", "", music_prompt="big drums")]
DURATIONS = [4.0, 5.5, 3.0]


@contextmanager
def musicgen_server(monkeypatch):
    """A fake Replicate that knows MusicGen's version, used by every new client."""
    with FakeReplicate(versions={MUSICGEN.version: MUSICGEN.ref}) as server:
        use_fake_replicate(monkeypatch, server)
        yield server


@pytest.fixture
def fake(monkeypatch):
    with musicgen_server(monkeypatch) as server:
        yield server


@pytest.fixture
def budget(tmp_path):
    """The budget of a new project (cap $20) whose ledger records the segments."""
    store = create_project(tmp_path / "p.mvstudio", Project(name="p"))
    yield Budget(store.db, 20.0)
    store.close()


def soundtrack(fake) -> ReplicateSoundtrack:
    return ReplicateSoundtrack(fake.token, base_url=fake.base_url, poll_interval=0.01,
                               retry_delays=(0.01,) * 3)


def decoded_seconds(data_url: str, tmp_path) -> float:
    path = tmp_path / "context.flac"
    path.write_bytes(base64.b64decode(data_url.split(",", 1)[1]))
    return probe_audio(path).duration


def test_segments_continue_each_other_and_the_track_has_the_planned_length(fake, tmp_path,
                                                                           budget):
    made = asyncio.run(soundtrack(fake).generate(SCENES, DURATIONS, tmp_path, budget=budget))

    sent = [p.input for p in fake.predictions.values()]
    assert [s["prompt"] for s in sent] == ["soft piano", "warm strings", "big drums"]
    assert "input_audio" not in sent[0] and "continuation" not in sent[0]
    for inputs, seconds in zip(sent[1:], DURATIONS[1:]):
        assert inputs["continuation"] is True
        assert inputs["input_audio"].startswith("data:audio/")
        assert decoded_seconds(inputs["input_audio"], tmp_path) == pytest.approx(CONTEXT, abs=0.05)
        assert inputs["duration"] >= CONTEXT + seconds + FADE
    assert sent[0]["duration"] >= DURATIONS[0] + FADE
    assert probe_audio(made.path).duration == pytest.approx(sum(DURATIONS), abs=0.01)
    assert made.model == "musicgen"
    assert made.cost == pytest.approx(3 * cost(MUSICGEN, predict_time=1.5))


def test_a_failed_segment_is_retried_then_reported_in_one_line(fake, tmp_path, budget):
    fake.outcomes.extend([Outcome(), Outcome("failed", error="CUDA out of memory"), Outcome()])
    asyncio.run(soundtrack(fake).generate(SCENES, DURATIONS, tmp_path / "a", budget=budget))
    assert fake.creates[MUSICGEN.ref] == 4  # the second segment twice

    fake.outcomes.extend([Outcome("failed", error="CUDA\nout of memory")] * 2)
    with pytest.raises(ProviderError) as caught:
        asyncio.run(soundtrack(fake).generate(SCENES, DURATIONS, tmp_path / "b", budget=budget))
    assert str(caught.value) == ("soundtrack segment 1 of 3: Replicate musicgen failed after 2 "
                                 "attempts: CUDA out of memory")


def test_a_soundtrack_without_a_project_stays_offline_even_with_a_token(fake, tmp_path):
    story = compose_story("a lighthouse keeper finds a message in a bottle", 20.0)
    song = asyncio.run(make_soundtrack(story, tmp_path))
    assert fake.creates[MUSICGEN.ref] == 0
    assert probe_audio(song).duration == pytest.approx(story.duration, abs=0.01)


def test_a_scene_longer_than_the_model_makes_is_played_in_pieces():
    from mvstudio.engine.generation.replicate_music import _pieces

    pieces = _pieces(SCENES[:2], [60.0, 10.0], longest=30.0)
    assert [p.prompt for p in pieces] == ["soft piano"] * 3 + ["warm strings"]
    assert sum(p.seconds for p in pieces) == pytest.approx(70.0)
    assert all(p.seconds + CONTEXT + FADE <= 30.0 for p in pieces)
