"""The MusicGen soundtrack of a prompt video is a paid stage: priced before it starts, every segment
in the new project's cost ledger, the budget cap checked before anything is created, a cancel that
stops the remote prediction and gives the money back.  Real ``replicate`` client, fake server."""

from __future__ import annotations

import asyncio

import pytest
from fakes.replicate_server import Outcome
from test_replicate_music import MUSICGEN, musicgen_server

from mvstudio.cli import main
from mvstudio.engine.analysis.audio_io import probe_audio
from mvstudio.engine.errors import BudgetExceeded, Cancelled
from mvstudio.engine.events import CancelToken, PredictionStarted, Progress, StageStarted
from mvstudio.engine.generation.model_registry import cost
from mvstudio.engine.generation.replicate_music import STAGE
from mvstudio.engine.planning.prompt_only import part_durations
from mvstudio.engine.planning.story import compose_story, story_scenes
from mvstudio.engine.prompt_job import (WORK_DIR, create_prompt_project, make_project_soundtrack,
                                        quote_soundtrack, soundtrack_maker)
from mvstudio.engine.settings import Settings, save_settings
from mvstudio.engine.store import ledger
from mvstudio.engine.store.project_file import open_project

PROMPT = "a lighthouse keeper finds a message in a bottle"


@pytest.fixture
def fake(monkeypatch):
    with musicgen_server(monkeypatch) as server:
        yield server


@pytest.fixture
def story():
    return compose_story(PROMPT, 16.0)


def make(folder, story, cap=20.0, cancel=None, sink=lambda _event: None):
    """The project of ``story`` in ``folder`` with its MusicGen soundtrack; (store, project)."""
    store, project = create_prompt_project(folder, story)
    maker = soundtrack_maker(story, cloud=True)
    try:
        asyncio.run(make_project_soundtrack(store, project, maker, cap=cap, sink=sink,
                                            cancel=cancel))
    except BaseException:
        store.close()
        raise
    return store, project


def test_without_a_token_or_without_asking_the_soundtrack_is_offline_and_free(story, monkeypatch):
    assert quote_soundtrack(soundtrack_maker(story, cloud=True), story).describe() == \
        "offline, free"
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_test")
    assert not quote_soundtrack(soundtrack_maker(story), story).paid


def test_every_segment_is_in_the_ledger_with_its_estimate_and_actual_cost(fake, story, tmp_path):
    maker = soundtrack_maker(story, cloud=True)
    quote = quote_soundtrack(maker, story)
    n = len(story.parts)
    assert quote.segments == n and 0 < quote.estimate / n < quote.segment_ceiling
    times = [2.0 + i for i in range(n)]
    fake.outcomes.extend(Outcome(predict_time=t) for t in times)
    events = []
    store, project = make(tmp_path / "p.mvstudio", story, sink=events.append)
    try:
        rows = ledger.rows(store.db)
        requests = maker.requests(story_scenes(story), part_durations(story))
        assert [(r.stage, r.owner, r.status) for r in rows] == \
            [(STAGE, f"soundtrack-segment-{i}", "done") for i in range(1, n + 1)]
        assert [r.estimate for r in rows] == pytest.approx(
            [maker.music.estimate(q) for q in requests])
        assert [r.actual for r in rows] == pytest.approx(
            [cost(MUSICGEN, predict_time=t) for t in times])
        assert [r.prediction_id for r in rows] == list(fake.predictions)
        assert all(r.reserved == 0 and r.model == "musicgen" for r in rows)
        assert sum(r.estimate for r in rows) == pytest.approx(quote.estimate)
        song = store.media.path(project.song.media)
        assert probe_audio(song).duration == pytest.approx(story.duration, abs=0.01)
        assert not (store.folder / WORK_DIR).exists()
    finally:
        store.close()
    started = [e for e in events if isinstance(e, StageStarted)]
    assert started[0].stage == STAGE and f"~${quote.estimate:.2f}" in started[0].message
    assert [e.item for e in events if isinstance(e, PredictionStarted)] == \
        [r.owner for r in rows]
    assert [e.fraction for e in events if isinstance(e, Progress)][-1] == pytest.approx(1.0)


def test_a_cap_below_the_soundtracks_estimate_refuses_before_anything_is_created(
        fake, story, tmp_path):
    quote = quote_soundtrack(soundtrack_maker(story, cloud=True), story)
    assert not quote.fits(quote.estimate * 0.9)
    with pytest.raises(BudgetExceeded, match=r"budget cap of \$") as caught:
        make(tmp_path / "p.mvstudio", story, cap=quote.estimate * 0.9)
    assert f"${quote.estimate:.2f}" in str(caught.value)
    assert fake.creates[MUSICGEN.ref] == 0
    with open_project(tmp_path / "p.mvstudio") as store:
        assert ledger.rows(store.db) == []
        assert store.load().song is None


def test_cancel_mid_soundtrack_cancels_the_prediction_and_gives_the_money_back(
        fake, story, tmp_path):
    fake.outcomes.extend([Outcome(), Outcome(never=True)])
    cancel = CancelToken()

    def sink(event):
        if isinstance(event, PredictionStarted) and event.item == "soundtrack-segment-2":
            asyncio.get_running_loop().call_later(0.2, cancel.cancel)

    folder = tmp_path / "p.mvstudio"
    with pytest.raises(Cancelled):
        make(folder, story, cancel=cancel, sink=sink)
    second = list(fake.predictions)[1]
    assert fake.cancelled == [second]
    with open_project(folder) as store:
        rows = ledger.rows(store.db)
        assert [(r.status, r.reserved) for r in rows] == [("done", 0.0), ("cancelled", 0.0)]
        assert ledger.committed_total(store.db) == pytest.approx(rows[0].actual)
        project = store.load()
        assert project.song is None  # no half soundtrack passes for the song

        # made again, it goes on from the segment that was made: only the rest is paid for
        asyncio.run(make_project_soundtrack(store, project, soundtrack_maker(story, cloud=True),
                                            cap=20.0))
        assert fake.creates[MUSICGEN.ref] == len(story.parts) + 1
        assert probe_audio(store.media.path(project.song.media)).duration == \
            pytest.approx(story.duration, abs=0.01)


def test_the_command_line_pays_only_when_asked_and_says_what_it_will_cost(fake, story, tmp_path,
                                                                          capsys):
    out = tmp_path / "v.mp4"
    args = ["render", "--prompt-only", "--prompt", PROMPT, "--duration", "16", "-o", str(out)]
    with pytest.raises(SystemExit) as usage:
        main([*args, "--cloud-soundtrack"])
    assert usage.value.code == 2
    assert "--cloud-soundtrack needs --project" in capsys.readouterr().err

    save_settings(Settings(budget_cap_usd=0.5))
    project = tmp_path / "p.mvstudio"
    assert main([*args, "--cloud-soundtrack", "--project", str(project)]) == 2
    err = capsys.readouterr().err
    quote = quote_soundtrack(soundtrack_maker(story, cloud=True), story)
    assert quote.describe(0.5) in err
    assert "mvstudio: error: the budget cap of $0.50 would be exceeded" in err
    assert fake.creates[MUSICGEN.ref] == 0 and not out.exists()
