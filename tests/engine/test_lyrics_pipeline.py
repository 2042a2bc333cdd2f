"""Lyrics in the pipeline's analyse step (real ``openai`` client, loopback fake) and the paste edit."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI, Reply

from mvstudio.engine.analysis.lyrics import (TEXT_SETTING, estimate_lyrics, keyed_transcriber,
                                             lyrics_timing)
from mvstudio.engine.analysis.settings import AnalysisSettings
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.edits import EditError, NoChange, paste_lyrics
from mvstudio.engine.events import Notice
from mvstudio.engine.generation.openai_transcriber import OpenAITranscriber
from mvstudio.engine.model import (Analysis, AnalysisCorrections, LyricLine, Project, Section,
                                   Word)
from mvstudio.engine.pipeline import Pipeline, PipelineOptions, offline_providers
from mvstudio.engine.store.project_file import create_project, open_project

HEARD = ["Hello city lights.", "Shine on me."]


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lyrics-song") / "song.wav"
    synthesize_demo(path, duration=8.0, bpm=120.0, sr=22050)
    return path


class Run:
    """A project with ``song`` and a pipeline whose transcriber talks to ``fake``."""

    def __init__(self, folder: Path, song: Path, factory, **options):
        self.project = Project(name="l", prompt="p", created=time.time())
        self.store = create_project(folder / "l.mvstudio", self.project)
        self.project.song = self.store.import_song(song)
        self.events: list = []
        self.pipeline = Pipeline(self.store, self.project, offline_providers(),
                                 sink=self.events.append,
                                 options=PipelineOptions(transcriber=factory, **options))

    def analyse(self, lyrics: bool = True) -> Analysis:
        asyncio.run(self.pipeline.analyse(lyrics=lyrics))
        return self.project.analysis

    def notices(self, level: str = "") -> list[str]:
        return [e.message for e in self.events
                if isinstance(e, Notice) and (not level or e.level == level)]


def to_fake(fake: FakeOpenAI, sleeps: list[float]):
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return lambda: OpenAITranscriber(fake.key, base_url=fake.base_url, sleep=sleep)


def texts(analysis: Analysis) -> list[str]:
    return [line.text for line in analysis.lyrics]


def test_analyse_fetches_lyrics_with_word_times(tmp_path, song, fake):
    sleeps: list[float] = []
    run = Run(tmp_path, song, to_fake(fake, sleeps))
    analysis = run.analyse(lyrics=False)  # a new analysis is transcribed even so
    assert texts(analysis) == HEARD and analysis.beats
    assert [w.start for w in analysis.lyrics[1].words] == [3.0, 3.4, 3.6]
    assert analysis.transcript == analysis.lyrics and sleeps == [] and run.notices() == []
    run.analyse()  # transcribed already: not sent again
    assert len(fake.requests_to(fake.TRANSCRIPTIONS)) == 1
    run.store.save(run.project)
    run.store.close()
    with open_project(tmp_path / "l.mvstudio") as pf:
        assert texts(pf.load().analysis) == HEARD


def test_the_stored_key_and_base_url_reach_the_real_client(tmp_path, song, fake, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", fake.key)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    run = Run(tmp_path, song, keyed_transcriber)
    assert texts(run.analyse()) == HEARD
    (request,) = fake.requests_to(fake.TRANSCRIPTIONS)
    assert request.form["response_format"] == ["verbose_json"]
    assert sorted(request.form["timestamp_granularities[]"]) == ["segment", "word"]


def test_no_key_skips_lyrics_with_one_notice(tmp_path, song):
    run = Run(tmp_path, song, keyed_transcriber)
    analysis = run.analyse()
    assert analysis.beats and analysis.lyrics == [] and analysis.transcript is None
    (notice,) = run.notices()
    assert notice.startswith("lyrics skipped: no OpenAI API key") and run.notices("warning") == []


def test_lyrics_off_for_the_project_and_headless_runs_send_nothing(tmp_path, song, fake):
    run = Run(tmp_path, song, to_fake(fake, []))
    run.project.settings["lyrics"] = False
    assert run.analyse().transcript is None and "off for this project" in run.notices()[0]
    headless = Run(tmp_path / "h", song, None)
    assert headless.analyse().transcript is None and headless.notices() == []
    assert fake.requests_to(fake.TRANSCRIPTIONS) == []


def test_an_instrumental_gives_no_lyrics_and_is_not_asked_again(tmp_path, song, fake):
    fake.transcript = {"task": "transcribe", "language": "english", "duration": 8.0, "text": "",
                       "words": [], "segments": []}
    run = Run(tmp_path, song, to_fake(fake, []))
    analysis = run.analyse()
    assert analysis.lyrics == [] and analysis.transcript == []
    run.analyse()
    assert len(fake.requests_to(fake.TRANSCRIPTIONS)) == 1 and run.notices() == []


def test_a_rate_limit_is_retried_after_two_seconds(tmp_path, song, fake):
    fake.script(fake.TRANSCRIPTIONS, Reply(429))
    sleeps: list[float] = []
    run = Run(tmp_path, song, to_fake(fake, sleeps))
    assert texts(run.analyse()) == HEARD
    assert sleeps == [2.0] and len(fake.requests_to(fake.TRANSCRIPTIONS)) == 2


@pytest.mark.parametrize("case", ["revoked", "throttled"])
def test_a_failed_transcription_warns_and_keeps_the_analysis(tmp_path, song, fake, case):
    sleeps: list[float] = []
    if case == "revoked":
        fake.revoke(fake.key)
    else:
        fake.script(fake.TRANSCRIPTIONS, *[Reply(429)] * 4)
    run = Run(tmp_path, song, to_fake(fake, sleeps))
    analysis = run.analyse()
    assert analysis.beats and analysis.sections and analysis.lyrics == []
    assert analysis.transcript is None  # the next Analyse tries again
    (warning,) = run.notices("warning")
    assert "\n" not in warning and warning.startswith("lyrics not transcribed")
    if case == "revoked":
        assert "401" in warning and sleeps == [] and fake.key not in warning
    else:
        assert "429" in warning and sleeps == [2.0, 4.0, 8.0]


def test_lyrics_survive_corrections_and_reanalysis(tmp_path, song, fake):
    run = Run(tmp_path, song, to_fake(fake, []), analysis_cache=False)
    run.analyse()
    run.project.corrections = AnalysisCorrections(phase_shift_ms=40.0)
    corrected = run.analyse()
    assert corrected.corrections_hash and texts(corrected) == HEARD
    assert texts(run.project.raw_analysis) == HEARD
    run.pipeline.options.analysis = AnalysisSettings(min_clip_s=3.0, max_clip_s=6.0)
    again = run.analyse()
    assert again.settings_hash != corrected.settings_hash
    assert texts(again) == HEARD and again.transcript == run.project.raw_analysis.transcript
    assert len(fake.requests_to(fake.TRANSCRIPTIONS)) == 1


def test_pasted_lyrics_are_timed_when_the_song_is_transcribed(tmp_path, song, fake):
    run = Run(tmp_path, song, keyed_transcriber)
    run.analyse()  # offline: no key
    edit = paste_lyrics(run.project, "Hello, city lights!\nShine on me")
    edit.apply(run.project)
    assert lyrics_timing(run.project.analysis, run.project.settings[TEXT_SETTING]) == "estimated"
    run.pipeline.options.transcriber = to_fake(fake, [])
    analysis = run.analyse()
    assert texts(analysis) == ["Hello, city lights!", "Shine on me"]
    assert [w.start for line in analysis.lyrics for w in line.words] == [0.5, 0.9, 1.3, 3.0, 3.4,
                                                                         3.6]


# --------------------------------------------------------------------------- the paste edit


def sung_analysis(transcript=None) -> Analysis:
    bounds = [("intro", 0, 10), ("verse", 10, 30), ("instrumental", 30, 40), ("chorus", 40, 60),
              ("outro", 60, 70)]
    return Analysis(duration=70.0, bpm=120.0, beats=[i * 0.5 for i in range(140)],
                    sections=[Section(label, a, b) for label, a, b in bounds],
                    transcript=transcript)


def test_offline_paste_spreads_lines_over_the_sung_sections():
    text = "one two three four\nfive six seven eight\n\nnine ten eleven twelve"
    lines = estimate_lyrics(text, sung_analysis())
    words = [w for line in lines for w in line.words]
    assert [line.text for line in lines] == ["one two three four", "five six seven eight",
                                             "nine ten eleven twelve"]
    assert words[0].start == 10.0 and words[-1].end == pytest.approx(60.0, abs=0.01)
    for w in words:
        assert 10 <= w.start < 30 or 40 <= w.start < 60, w
        assert w.end <= 30 or 40 <= w.start, w  # no word spans the instrumental break
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    go, banana = estimate_lyrics("go banana\ngo go go go go go", sung_analysis())[0].words
    assert (go.start, go.end, banana.end) == (10.0, 14.0, 26.0)  # by syllables


def test_paste_is_one_undoable_edit_on_both_analyses():
    heard = [LyricLine("hello city", 11.0, 12.0, [Word("hello", 11.0, 11.4),
                                                    Word("sitty", 11.5, 12.0)])]
    project = Project("p", analysis=sung_analysis(transcript=heard))
    project.analysis.lyrics = list(heard)
    project.raw_analysis = sung_analysis(transcript=heard)
    project.raw_analysis.lyrics = list(heard)
    project.analysis.corrections_hash = "c"
    edit = paste_lyrics(project, "Hello city\n")
    edit.apply(project)
    for analysis in (project.analysis, project.raw_analysis):
        (line,) = analysis.lyrics
        assert line.text == "Hello city" and [w.start for w in line.words] == [11.0, 11.5]
    assert project.settings[TEXT_SETTING] == "Hello city"
    with pytest.raises(NoChange):
        paste_lyrics(project, "Hello city")
    edit.revert(project)
    assert project.analysis.lyrics == heard and project.raw_analysis.lyrics == heard
    assert TEXT_SETTING not in project.settings
    with pytest.raises(EditError, match="analyse"):
        paste_lyrics(Project("empty"), "la")
