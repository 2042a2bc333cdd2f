"""User corrections: applied purely, validated in one line, stored in the project, kept across
re-analysis (pipeline + cache)."""

from __future__ import annotations

import asyncio
import copy
import time

import numpy as np
import pytest
import sqlite_utils

from mvstudio.engine.analysis.boundaries import clip_boundaries
from mvstudio.engine.analysis.corrections import (apply_corrections, corrections_hash,
                                                  move_boundary, relabel_section)
from mvstudio.engine.analysis.settings import AnalysisSettings
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.errors import InputError
from mvstudio.engine.model import (Analysis, AnalysisCorrections, BoundaryMove, Project, Section,
                                   SectionRelabel)
from mvstudio.engine.pipeline import Pipeline, PipelineOptions, offline_providers
from mvstudio.engine.store import migrations
from mvstudio.engine.store.project_file import create_project, open_project
from mvstudio.engine.timebase import to_frame

DURATION = 30.0


def make_analysis(first: float = 0.25, period: float = 0.5,
                  bounds: tuple[float, ...] = (8.25, 16.25, 24.25)) -> Analysis:
    """A 120 BPM 4/4 analysis with four sections, as ``analyze`` would return it."""
    beats = list(np.arange(first, DURATION, period))
    edges = [0.0, *bounds, DURATION]
    labels = ["intro", "verse", "chorus", "outro"]
    sections = [Section(labels[i % 4], a, b, "medium", 0.5)
                for i, (a, b) in enumerate(zip(edges[:-1], edges[1:]))]
    energy = [round(b / DURATION, 3) for b in beats]
    return Analysis(duration=DURATION, bpm=60 / period, beats=beats, downbeats=beats[::4], meter=4,
                    sections=sections, beat_energy=energy, beat_brightness=[0.5] * len(beats),
                    clip_boundaries=clip_boundaries(beats, beats[::4], bounds, DURATION, 30),
                    fps=30, tempo_curve=[60 / period] * len(beats), tempo_stability=1.0,
                    audio_hash="a" * 64, settings_hash="s" * 64)


def check_document(a: Analysis) -> None:
    """Per-beat lists aligned, beats inside the song, clip slots cover it on beat frames."""
    assert len(a.beats) == len(a.beat_energy) == len(a.beat_brightness) == len(a.tempo_curve)
    assert all(0 <= b < a.duration for b in a.beats) and a.beats == sorted(a.beats)
    assert set(a.downbeats) <= set(a.beats)
    clips = a.clip_boundaries
    assert clips[0].start_frame == 0 and clips[-1].end_frame == a.end_frame
    assert all(x.end_frame == y.start_frame for x, y in zip(clips, clips[1:]))
    assert {c.start_frame for c in clips[1:]} <= set(a.beat_frames())
    assert a.sections[0].start == 0 and a.sections[-1].end == a.duration
    assert all(s.end == t.start for s, t in zip(a.sections, a.sections[1:]))


def test_no_corrections_is_the_analysis_itself():
    a = make_analysis()
    assert apply_corrections(a, AnalysisCorrections()) is a
    assert corrections_hash(AnalysisCorrections()) == ""


def test_phase_shift_moves_beats_bars_and_cuts_and_leaves_the_input_alone():
    a = make_analysis()
    before = copy.deepcopy(a)
    b = apply_corrections(a, AnalysisCorrections(phase_shift_ms=100.0))
    assert a == before  # pure
    assert np.allclose(b.beats, np.array(a.beats) + 0.1)
    assert np.allclose(b.downbeats, np.array(a.downbeats) + 0.1)
    assert b.corrections_hash and b.id != a.id and b.bpm == a.bpm
    check_document(b)
    assert b.clip_boundaries != a.clip_boundaries


def test_tempo_override_relevels_or_lays_a_grid():
    a = make_analysis()
    half = apply_corrections(a, AnalysisCorrections(tempo_bpm=60.0))
    assert half.bpm == 60.0 and np.allclose(np.diff(half.beats), 1.0)
    assert half.beats[0] == a.downbeats[0] and half.downbeats[0] == a.downbeats[0]
    double = apply_corrections(a, AnalysisCorrections(tempo_bpm=240.0))
    assert np.allclose(np.diff(double.beats), 0.25) and len(double.beats) == 2 * len(a.beats) - 1
    other = apply_corrections(a, AnalysisCorrections(tempo_bpm=100.0))
    assert np.allclose(np.diff(other.beats), 0.6) and a.downbeats[0] in other.beats
    for b in (half, double, other):
        check_document(b)
    assert other.tempo_curve == pytest.approx([100.0] * len(other.beats))


def test_steady_taps_set_tempo_and_phase_for_the_whole_song():
    a = make_analysis()
    rng = np.random.default_rng(1)
    taps = list(0.4 + 0.55 * np.arange(10, 20) + rng.uniform(-0.01, 0.01, 10))
    b = apply_corrections(a, AnalysisCorrections(tapped_beats=taps))
    assert b.bpm == pytest.approx(60 / 0.55, abs=1.0)
    assert b.beats[0] < 0.55 and b.beats[-1] > DURATION - 0.55  # extended over the song
    assert all(min(abs(np.array(b.beats) - t)) < 0.02 for t in taps)
    check_document(b)


def test_drifting_taps_are_kept_as_tapped():
    a = make_analysis()
    taps = list(np.cumsum([5.0] + [0.5 + 0.02 * k for k in range(12)]))
    b = apply_corrections(a, AnalysisCorrections(tapped_beats=taps))
    for t in taps:
        assert min(abs(np.array(b.beats) - t)) < 1e-6
    check_document(b)
    assert b.tempo_stability < 1.0


def test_section_edits_follow_the_music_after_reanalysis():
    a = make_analysis()
    corrections = AnalysisCorrections(relabels=[relabel_section(a, 2, "bridge")],
                                      boundary_moves=[move_boundary(a, 2, 17.0)])
    b = apply_corrections(a, corrections)
    assert [s.label for s in b.sections] == ["intro", "verse", "bridge", "outro"]
    assert b.sections[1].end == b.sections[2].start == 17.0
    check_document(b)
    # re-analysis: an extra boundary at 4 s renumbers everything, and the chorus starts at 16.75
    again = make_analysis(bounds=(4.25, 8.25, 16.75, 24.25))
    c = apply_corrections(again, corrections)
    assert [s.label for s in c.sections][3] == "bridge"
    assert c.sections[3].start == 17.0 and c.sections[2].end == 17.0
    # a boundary that moved too far away is left alone
    far = make_analysis(bounds=(8.25, 22.25, 26.25))
    d = apply_corrections(far, AnalysisCorrections(boundary_moves=corrections.boundary_moves))
    assert [s.start for s in d.sections] == [s.start for s in far.sections]


def test_edits_by_index_and_energy_follows_boundaries():
    a = make_analysis()
    b = apply_corrections(a, AnalysisCorrections(
        relabels=[SectionRelabel(index=0, label="instrumental")],
        boundary_moves=[BoundaryMove(index=3, time=20.0)]))
    assert b.sections[0].label == "instrumental" and b.sections[3].start == 20.0
    inside = [e for t, e in zip(b.beats, b.beat_energy) if 20.0 <= t < DURATION]
    assert b.sections[3].energy_value == pytest.approx(np.mean(inside), abs=1e-3)
    assert b.sections[3].energy == "high" and b.sections[0].energy == "low"
    # a move that would swallow a neighbour stops short of it
    c = apply_corrections(a, AnalysisCorrections(boundary_moves=[BoundaryMove(index=1, time=20.0)]))
    assert c.sections[1].start == pytest.approx(c.sections[2].start - 0.5)


@pytest.mark.parametrize("corrections,message", [
    (AnalysisCorrections(tempo_bpm=0.0), "20-400 BPM"),
    (AnalysisCorrections(phase_shift_ms=float("nan")), "beat shift"),
    (AnalysisCorrections(tapped_beats=[3.0]), "at least two"),
    (AnalysisCorrections(tapped_beats=[3.0, 45.0]), "inside the song"),
    (AnalysisCorrections(relabels=[SectionRelabel(0, "banana")]), "unknown section label"),
    (AnalysisCorrections(boundary_moves=[BoundaryMove(0, 3.0)]), "first section"),
    (AnalysisCorrections(boundary_moves=[BoundaryMove(1, 31.0)]), "inside the song"),
])
def test_bad_corrections_are_one_line_errors(corrections, message):
    with pytest.raises(InputError, match=message) as err:
        apply_corrections(make_analysis(), corrections)
    assert "\n" not in str(err.value)


def test_ids_are_stable_for_the_same_corrections():
    a = make_analysis()
    one = AnalysisCorrections(phase_shift_ms=10.0)
    assert apply_corrections(a, one).id == apply_corrections(a, copy.deepcopy(one)).id
    assert apply_corrections(a, one).id != apply_corrections(a, AnalysisCorrections(
        phase_shift_ms=20.0)).id


def test_settings_decide_the_recomputed_clips():
    a = make_analysis()
    b = apply_corrections(a, AnalysisCorrections(phase_shift_ms=5.0),
                          AnalysisSettings(min_clip_s=2.0, max_clip_s=3.0, min_clips=5))
    assert all(2 * 30 <= c.end_frame - c.start_frame <= 3 * 30 for c in b.clip_boundaries)


# --------------------------------------------------------------------------- stored in the project


def test_corrections_round_trip_in_the_project_file(tmp_path):
    corrections = AnalysisCorrections(tempo_bpm=96.5, phase_shift_ms=-12.5, tapped_beats=[1.0, 1.6],
                                      relabels=[SectionRelabel(2, "bridge", at=40.5)],
                                      boundary_moves=[BoundaryMove(1, 12.0, original=11.2)])
    project = Project(name="p", corrections=corrections)
    with create_project(tmp_path / "p.mvstudio", project):
        pass
    with open_project(tmp_path / "p.mvstudio") as pf:
        loaded = pf.load()
    assert loaded.corrections == corrections and loaded == project


def test_a_version_3_project_opens_with_no_corrections(tmp_path, monkeypatch):
    folder = tmp_path / "old.mvstudio"
    (folder / "media").mkdir(parents=True)
    db = sqlite_utils.Database(folder / "project.db")
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:3])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 3)
    migrations.migrate(db)
    monkeypatch.undo()
    db.table("project").insert({"id": "proj_old", "name": "old", "prompt": "", "fps": 30,
                                "width": 640, "height": 360, "settings": "{}", "created": 0.0,
                                "modified": 0.0, "saved_by": "0.1.0"})
    assert "corrections" not in db.table("project").columns_dict
    db.close()
    with open_project(folder) as pf:
        assert migrations.schema_version(pf.db) == migrations.SCHEMA_VERSION
        project = pf.load()
    assert project.name == "old" and project.corrections == AnalysisCorrections()
    assert (folder / "project.db.v3.bak").exists()


def analysed_song(tmp_path, duration: float, cache: bool = True) -> tuple[Pipeline, Project]:
    """A new project over the demo song (120 BPM) in ``tmp_path``, analysed by the pipeline."""
    song = tmp_path / "song.wav"
    synthesize_demo(song, duration=duration, bpm=120.0)
    project = Project(name="c", prompt="p", created=time.time())
    store = create_project(tmp_path / "c.mvstudio", project)
    project.song = store.import_song(song)
    pipeline = Pipeline(store, project, offline_providers(),
                        options=PipelineOptions(analysis_cache=cache))
    asyncio.run(pipeline.analyse())
    return pipeline, project


def test_pipeline_applies_corrections_and_they_survive_reanalysis(tmp_path):
    pipeline, project = analysed_song(tmp_path, 24.0)
    store = pipeline.store
    raw = project.analysis
    assert raw.corrections_hash == "" and abs(raw.bpm - 120) < 2

    project.corrections = AnalysisCorrections(tempo_bpm=60.0,
                                              relabels=[relabel_section(raw, 0, "instrumental")])
    asyncio.run(pipeline.analyse())  # corrections changed: re-applied on the kept raw analysis
    corrected = project.analysis
    assert project.raw_analysis is raw and project.uncorrected_analysis() is raw
    assert corrected.bpm == 60.0 and corrected.sections[0].label == "instrumental"
    assert np.allclose(np.diff(corrected.beats), 2 * np.median(np.diff(raw.beats)), atol=0.03)
    check_document(corrected)
    asyncio.run(pipeline.analyse())
    assert project.analysis is corrected  # fresh: nothing ran

    # new settings force a re-analysis; the corrections are applied again
    pipeline.options = PipelineOptions(analysis=AnalysisSettings(min_clip_s=3.0, max_clip_s=6.0),
                                       analysis_cache=False)
    asyncio.run(pipeline.analyse())
    again = project.analysis
    assert again.bpm == 60.0 and again.sections[0].label == "instrumental"
    assert again.settings_hash != corrected.settings_hash
    assert all(c.end_frame - c.start_frame <= to_frame(6.0, again.fps) for c in again.clip_boundaries)
    store.save(project)
    store.close()
    with open_project(tmp_path / "c.mvstudio") as pf:
        loaded = pf.load()
    assert loaded.corrections == project.corrections
    assert loaded.raw_analysis == project.raw_analysis and loaded.raw_analysis.bpm != 60.0


def test_corrections_reapply_without_decoding_the_song_again(tmp_path, monkeypatch):
    pipeline, project = analysed_song(tmp_path, 12.0, cache=False)
    store = pipeline.store
    raw = project.analysis
    assert project.raw_analysis is None  # nothing corrected: the analysis is the raw one

    def no_analysis(*_a, **_k):
        raise AssertionError("the song was analysed again")

    monkeypatch.setattr("mvstudio.engine.pipeline.analyze", no_analysis)
    project.corrections = AnalysisCorrections(phase_shift_ms=100.0)
    asyncio.run(pipeline.analyse())
    assert project.raw_analysis is raw
    assert np.allclose(project.analysis.beats[:3], [b + 0.1 for b in raw.beats[:3]])
    project.corrections = AnalysisCorrections()
    asyncio.run(pipeline.analyse())
    assert project.analysis is raw and project.raw_analysis is None
    store.close()


def test_clip_length_is_capped_by_the_video_model():
    settings = AnalysisSettings()
    assert settings.capped_by(None) is settings and settings.capped_by(10.0) is settings
    five = settings.capped_by(5.0)
    assert (five.min_clip_s, five.max_clip_s) == (4.0, 5.0)
    three = settings.capped_by(3.0)
    assert (three.min_clip_s, three.max_clip_s) == (2.0, 3.0)
    b = apply_corrections(make_analysis(), AnalysisCorrections(phase_shift_ms=1.0), three)
    assert all(c.end_frame - c.start_frame <= 90 for c in b.clip_boundaries)
