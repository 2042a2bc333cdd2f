"""Song analysis against known truth: the demo song, click tracks, silence, tiny files, clip slots."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media_factory import write_wav
from mvstudio.engine.analysis.analyze import AnalysisSettings, analyze
from mvstudio.engine.analysis.beats import TEMPO_RANGE, fold_octave
from mvstudio.engine.analysis.boundaries import clip_boundaries
from mvstudio.engine.analysis.mood import MoodInputs, classify_mood, majorness
from mvstudio.engine.analysis.parser_json import audio_parser_json
from mvstudio.engine.demo import DemoTruth, synthesize_demo
from mvstudio.engine.errors import AudioError, Cancelled
from mvstudio.engine.events import CancelToken, Progress, StageFinished, StageStarted
from mvstudio.engine.hashing import file_hash
from mvstudio.engine.model import ENERGY_LEVELS, SECTION_LABELS, Analysis, ClipBoundary
from mvstudio.engine.timebase import to_frame

TOL = 0.05  # beat tolerance (s), the PRD's +-50 ms


def click_track(path: Path, bpm: float, meter: int = 4, duration: float = 30.0, sr: int = 22050,
                offset: float = 0.3) -> np.ndarray:
    """A metronome: accented low click with a thump on each bar's first beat; returns beat times."""
    y = np.zeros(int(duration * sr))
    t = np.arange(int(0.03 * sr)) / sr
    plain = 0.5 * np.sin(2 * np.pi * 1600 * t) * np.exp(-t / 0.006)
    accent = (np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.006)
              + 0.8 * np.sin(2 * np.pi * 80 * t) * np.exp(-t / 0.02))
    beats = np.arange(offset, duration - 0.05, 60.0 / bpm)
    for k, b in enumerate(beats):
        s = accent if k % meter == 0 else plain
        i = int(b * sr)
        y[i:i + len(s)] += s[:len(y) - i]
    write_wav(path, 0.5 * y / np.abs(y).max(), sr)
    return beats


def hit_rate(truth: list[float] | np.ndarray, found: list[float]) -> float:
    """Share of true beats with a detected beat within ``TOL``."""
    found = np.asarray(found)
    if len(found) == 0:
        return 0.0
    return float(np.mean([np.min(np.abs(found - t)) <= TOL for t in truth]))


def check_clips(clips: list[ClipBoundary], end: int, cut_frames: set[int] | None = None,
                min_clips: int = 3) -> None:
    """Slots cover 0..end exactly once, each non-empty; cuts on ``cut_frames`` when given."""
    assert len(clips) >= min_clips
    assert clips[0].start_frame == 0 and clips[-1].end_frame == end
    for a, b in zip(clips, clips[1:]):
        assert a.end_frame == b.start_frame
    assert all(c.end_frame > c.start_frame for c in clips)
    if cut_frames is not None:
        assert {c.start_frame for c in clips[1:]} <= cut_frames


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, DemoTruth, Analysis]:
    path = tmp_path_factory.mktemp("demo") / "demo.wav"
    truth = synthesize_demo(path)
    return path, truth, analyze(path)


# --------------------------------------------------------------------------- the demo song


def test_demo_tempo_and_beats(demo):
    _, truth, a = demo
    assert abs(a.bpm - truth.bpm) <= 2.0
    assert hit_rate(truth.beats, a.beats) >= 0.9
    assert len(a.beats) <= len(truth.beats) + 2  # no doubled beats
    assert not a.fallback_used
    assert a.beat_confidence > 0.6 and a.tempo_confidence > 0.6


def test_demo_downbeats(demo):
    _, truth, a = demo
    assert a.meter == 4
    assert hit_rate(truth.downbeats, a.downbeats) >= 0.9
    others = sorted(set(truth.beats) - set(truth.downbeats))
    assert hit_rate(others, a.downbeats) == 0.0  # the bar phase is right, not just the spacing


def test_demo_sections(demo):
    _, truth, a = demo
    sections = a.sections
    assert len(sections) >= 3
    assert sections[0].start == 0.0 and sections[-1].end == pytest.approx(a.duration)
    for s, t in zip(sections, sections[1:]):
        assert s.end == t.start and s.end - s.start >= 7.5
    assert all(s.label in SECTION_LABELS and s.energy in ENERGY_LEVELS for s in sections)
    choruses = [s for s in sections if s.label == "chorus"]
    assert choruses and all(s.energy == "high" for s in choruses)
    assert sections[0].label == "intro" and sections[0].energy == "low"
    # every chorus of the truth is (mostly) covered by a section labelled chorus
    for label, start, end, _ in truth.sections:
        if label == "chorus":
            mid = (start + end) / 2
            assert a.section_at(mid).label == "chorus"
    truth_starts = [s[1] for s in truth.sections[1:]]
    found_starts = [s.start for s in sections[1:]]
    assert sum(min(abs(f - t) for f in found_starts) < 0.6 for t in truth_starts) >= 3


def test_demo_energy_curve(demo):
    _, truth, a = demo
    assert len(a.beat_energy) == len(a.beats) == len(a.beat_brightness)
    assert all(0.0 <= v <= 1.0 for v in a.beat_energy + a.beat_brightness)
    by_level: dict[str, list[float]] = {lvl: [] for lvl in ENERGY_LEVELS}
    for b, e in zip(a.beats, a.beat_energy):
        level = next(s[3] for s in truth.sections if s[1] <= b < s[2])
        by_level[level].append(e)
    assert np.mean(by_level["low"]) < np.mean(by_level["medium"]) < np.mean(by_level["high"])


def test_demo_mood(demo):
    _, _, a = demo
    assert a.mood.primary in {"energetic", "calm", "dark", "bright"}
    assert a.mood.secondary in {"energetic", "calm", "dark", "bright"} - {a.mood.primary}
    assert a.mood.energy_level in ENERGY_LEVELS and 0 < a.mood.confidence <= 1
    # 120 BPM, loud, four-on-the-floor in C major: not calm, not dark
    assert {a.mood.primary, a.mood.secondary} == {"energetic", "bright"}


def test_demo_clip_boundaries(demo):
    _, truth, a = demo
    clips = a.clip_boundaries
    check_clips(clips, a.end_frame, set(a.beat_frames()))
    assert all(4 * a.fps <= c.end_frame - c.start_frame <= 8 * a.fps for c in clips)
    cuts = [c.start_frame for c in clips[1:]]
    downbeats = set(a.downbeat_frames())
    assert sum(c in downbeats for c in cuts) >= 0.8 * len(cuts)
    for s in a.sections[1:]:  # a cut at every section change
        assert min(abs(c - to_frame(s.start, a.fps)) for c in cuts) <= 1


def test_demo_bookkeeping(demo):
    path, _, a = demo
    assert a.audio_hash == file_hash(path)
    assert a.settings_hash and a.processing_time > 0
    assert a.lyrics == [] and a.fps == 30
    assert a.duration == pytest.approx(64.0, abs=1e-3)


# --------------------------------------------------------------------------- click tracks


@pytest.mark.parametrize("bpm,meter", [(90, 4), (140, 4), (120, 3)])
def test_click_tracks(tmp_path, bpm, meter):
    beats = click_track(tmp_path / "click.wav", bpm, meter)
    a = analyze(tmp_path / "click.wav")
    assert abs(a.bpm - bpm) <= 2.0
    assert hit_rate(beats, a.beats) >= 0.9
    assert a.meter == meter
    assert hit_rate(beats[::meter], a.downbeats) >= 0.9
    assert len(a.sections) == 1  # a metronome has no verse and chorus


@pytest.mark.parametrize("sr,channels", [(8000, 1), (48000, 2)])
def test_other_rates_and_stereo(tmp_path, sr, channels):
    truth = synthesize_demo(tmp_path / "mono.wav", duration=24.0, sr=sr)
    path = tmp_path / "mono.wav"
    if channels == 2:
        with wave.open(str(path), "rb") as w:
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768
        path = write_wav(tmp_path / "stereo.wav", np.stack([x, 0.5 * x], axis=1), sr)
    a = analyze(path)
    assert abs(a.bpm - 120) <= 2.0
    assert hit_rate(truth.beats, a.beats) >= 0.9


# --------------------------------------------------------------------------- edge cases


def test_silence_falls_back_to_a_grid(tmp_path):
    path = write_wav(tmp_path / "silence.wav", np.zeros(20 * 22050), 22050)
    a = analyze(path)
    assert a.fallback_used and a.beat_confidence == 0.0
    assert len(a.beats) >= 20 and np.allclose(np.diff(a.beats), 60.0 / a.bpm)
    assert TEMPO_RANGE[0] <= a.bpm <= TEMPO_RANGE[1]
    assert all(v == 0.0 for v in a.beat_energy)
    assert a.mood.energy_level == "low"
    check_clips(a.clip_boundaries, a.end_frame, set(a.beat_frames()))
    assert all(4 * 30 <= c.end_frame - c.start_frame <= 8 * 30 for c in a.clip_boundaries)


def test_two_second_song(tmp_path):
    synthesize_demo(tmp_path / "tiny.wav", duration=2.0)
    events = []
    a = analyze(tmp_path / "tiny.wav", sink=events.append)
    assert a.duration == pytest.approx(2.0, abs=1e-3)
    check_clips(a.clip_boundaries, to_frame(2.0, 30))
    assert len(a.sections) == 1 and a.sections[0].end == pytest.approx(2.0, abs=1e-3)
    assert isinstance(events[-1], StageFinished)


def test_bad_file_is_an_audio_error(tmp_path):
    path = tmp_path / "song.mp3"
    path.write_text("not audio")
    with pytest.raises(AudioError, match="song.mp3"):
        analyze(path)


def test_progress_and_cancel(demo, tmp_path):
    path, _, _ = demo
    events = []
    token = CancelToken()

    def sink(event):
        events.append(event)
        if isinstance(event, Progress) and event.fraction >= 0.5:
            token.cancel()

    with pytest.raises(Cancelled):
        analyze(path, sink=sink, cancel=token)
    assert isinstance(events[0], StageStarted) and events[0].stage == "analyse"
    assert not any(isinstance(e, StageFinished) for e in events)
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert len(fractions) >= 3 and fractions == sorted(fractions)


def test_settings_change_the_clips_and_the_hash(demo):
    path, _, a = demo
    b = analyze(path, fps=24, settings=AnalysisSettings(min_clip_s=2.0, max_clip_s=4.0, min_clips=5))
    assert b.settings_hash != a.settings_hash and b.audio_hash == a.audio_hash
    check_clips(b.clip_boundaries, to_frame(b.duration, 24), set(b.beat_frames()), min_clips=5)
    assert all(2 * 24 <= c.end_frame - c.start_frame <= 4 * 24 for c in b.clip_boundaries)
    assert len(b.clip_boundaries) > len(a.clip_boundaries)


# --------------------------------------------------------------------------- PRD JSON


def test_parser_json(demo):
    _, _, a = demo
    data = audio_parser_json(a)
    text = json.dumps(data)
    assert json.loads(text) == data
    assert set(data) >= {"bpm", "duration", "beat_timestamps", "downbeats", "meter", "song_structure",
                         "lyrics", "mood", "clip_boundaries", "energy_curve", "metadata"}
    assert data["bpm"] == round(a.bpm, 2) and data["meter"] == 4 and data["lyrics"] == []
    assert data["beat_timestamps"][:3] == [round(b, 3) for b in a.beats[:3]]
    assert [s["type"] for s in data["song_structure"]] == [s.label for s in a.sections]
    assert set(data["song_structure"][0]) == {"type", "start", "end", "energy", "energy_value"}
    assert set(data["mood"]) == {"primary", "secondary", "energy_level", "confidence"}
    clips = data["clip_boundaries"]
    assert clips[0]["start"] == 0.0 and clips[-1]["end"] == data["duration"]
    for c, b in zip(clips, a.clip_boundaries):
        assert c["start"] == round(b.start_frame / a.fps, 3)
        assert c["duration"] == pytest.approx(c["end"] - c["start"], abs=1e-3)
    assert len(data["energy_curve"]) == len(a.beats)
    meta = data["metadata"]
    assert set(meta) == {"processing_time", "cache_hit", "beat_detection_confidence",
                         "tempo_confidence", "tempo_stability", "fallback_used"}
    assert meta["cache_hit"] is False
    assert audio_parser_json(a, cache_hit=True)["metadata"]["cache_hit"] is True


# --------------------------------------------------------------------------- building blocks


def test_octave_folding():
    fast = np.arange(0.0, 10.0, 60 / 220)
    onset = np.zeros(500)
    beats, tempo = fold_octave(fast, 220.0, onset, 22050, 512)
    assert tempo == 110.0 and np.allclose(np.diff(beats), 120 / 220)
    beats, tempo = fold_octave(np.arange(0.0, 10.0, 1.2), 50.0, onset, 22050, 512)
    assert tempo == 100.0 and np.allclose(np.diff(beats), 0.6)


def test_mood_rules():
    major = np.roll([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88], 7)
    minor = np.roll([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17], 2)
    assert majorness(major)[0] > 0.8 and majorness(minor)[0] < 0.2
    loud = classify_mood(MoodInputs(bpm=150, loudness=0.95, brightness=0.6, pulse=0.9,
                                    majorness=0.6))
    assert loud.primary == "energetic" and loud.energy_level == "high"
    soft = classify_mood(MoodInputs(bpm=72, loudness=0.2, brightness=0.3, pulse=0.2,
                                    majorness=0.1))
    assert soft.primary in {"calm", "dark"} and soft.secondary in {"calm", "dark"}
    assert soft.energy_level == "low"


def test_boundaries_short_song_and_no_beats():
    beats = np.arange(0.5, 12.0, 0.5)
    clips = clip_boundaries(beats, beats[::4], [], 12.0, 30)
    check_clips(clips, 360, {to_frame(b, 30) for b in beats})
    assert all(c.end_frame - c.start_frame == 120 for c in clips)
    grid = clip_boundaries([], [], [], 30.0, 30)
    check_clips(grid, 900)
    assert all(120 <= c.end_frame - c.start_frame <= 240 for c in grid)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(beats=st.lists(st.floats(0.0, 200.0, allow_nan=False), max_size=300),
       duration=st.floats(1.0, 200.0, allow_nan=False),
       fps=st.sampled_from([24, 25, 30, 60]),
       data=st.data())
def test_boundaries_invariants_on_any_beats(beats, duration, fps, data):
    beats = sorted(b for b in beats if b < duration)
    downbeats = beats[::4]
    sections = data.draw(st.lists(st.sampled_from(beats), max_size=5)) if beats else []
    clips = clip_boundaries(beats, downbeats, sections, duration, fps)
    end = to_frame(duration, fps)
    inner = {to_frame(b, fps) for b in beats} - {0, end}
    inner = {f for f in inner if 0 < f < end}
    check_clips(clips, end, inner if len(inner) >= 2 else None)


@settings(max_examples=60, deadline=None)
@given(bpm=st.floats(60.0, 200.0), offset=st.floats(0.0, 1.0), duration=st.floats(20.0, 300.0),
       fps=st.sampled_from([24, 25, 30, 60]), min_s=st.sampled_from([3.0, 4.0]),
       jitter=st.floats(0.0, 0.02), seed=st.integers(0, 2**16))
def test_boundaries_within_bounds_on_regular_beats(bpm, offset, duration, fps, min_s, jitter, seed):
    """With a beat at least every second and room to choose (>= 20 s), every clip fits [min_s, 8 s].

    (Shorter songs can be infeasible: at 61 BPM, 13 s has no two beats that split it into 3 clips
    of 4 s or more.)
    """
    rng = np.random.default_rng(seed)
    beats = np.arange(offset, duration, 60.0 / bpm)
    beats = np.sort(beats + rng.uniform(-jitter, jitter, len(beats)))
    clips = clip_boundaries(beats, beats[::4], [], duration, fps, min_s=min_s, max_s=8.0)
    end = to_frame(duration, fps)
    check_clips(clips, end, {to_frame(b, fps) for b in beats})
    for c in clips:
        assert round(min_s * fps) <= c.end_frame - c.start_frame <= 8 * fps


def test_calm_passages_hold_shots_longer_and_intense_ones_cut_faster():
    beats = np.arange(0.25, 120.0, 0.5)
    energy = np.where(beats < 60.0, 0.1, 0.9)  # a calm minute, then an intense one

    def mean_lengths(values):
        clips = clip_boundaries(beats, beats[::4], [60.0], 120.0, 30, 4.0, 8.0, 3, values)
        check_clips(clips, 3600, {to_frame(b, 30) for b in beats})
        calm = [c.end_frame - c.start_frame for c in clips if c.end_frame <= 1800]
        loud = [c.end_frame - c.start_frame for c in clips if c.start_frame >= 1800]
        return np.mean(calm) / 30, np.mean(loud) / 30

    calm, loud = mean_lengths(energy)
    assert calm >= 7.0 and loud <= 4.5  # the director's shot lengths (director.json)
    flat_calm, flat_loud = mean_lengths(None)
    assert 5.0 <= flat_calm <= 7.0 and 5.0 <= flat_loud <= 7.0  # no energy: the middle of 4-8 s
