"""The synthetic demo song: deterministic, fast, and built the way its ground truth says."""

from __future__ import annotations

import time
import wave

import numpy as np
import pytest
from scipy import signal

from mvstudio.engine.demo import DEMO_PROMPT, FIRST_BEAT_S, DemoTruth, synthesize_demo
from mvstudio.engine.model import ENERGY_LEVELS, SECTION_LABELS


def read_wav(path) -> tuple[np.ndarray, int, int, int]:
    with wave.open(str(path), "rb") as w:
        frames = w.readframes(w.getnframes())
        return (np.frombuffer(frames, "<i2").astype(float) / 32768, w.getframerate(),
                w.getnchannels(), w.getsampwidth())


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[DemoTruth, np.ndarray, int]:
    path = tmp_path_factory.mktemp("demo") / "demo.wav"
    truth = synthesize_demo(path)
    x, sr, channels, width = read_wav(path)
    assert (sr, channels, width) == (44100, 1, 2)
    return truth, x, sr


def rms_db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12)


def test_fast_and_deterministic(tmp_path):
    started = time.perf_counter()
    a = synthesize_demo(tmp_path / "a.wav")
    elapsed = time.perf_counter() - started
    b = synthesize_demo(tmp_path / "b.wav")
    assert elapsed < 2.0
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert a == b


def test_length_and_level(demo):
    truth, x, sr = demo
    assert len(x) == 64 * sr and truth.duration == 64.0
    assert 0.5 < np.abs(x).max() < 1.0  # loud, never clipped


def test_beat_grid(demo):
    truth, _, _ = demo
    assert truth.bpm == 120.0 and truth.meter == 4
    assert truth.beats[0] == FIRST_BEAT_S == 0.5
    assert np.allclose(np.diff(truth.beats), 0.5)
    assert truth.beats[-1] < truth.duration
    assert truth.downbeats == truth.beats[::4]


def test_kicks_sit_on_the_beats(demo):
    """Below 150 Hz, the 50 ms after each beat are far louder than the same span 3/4 beat later."""
    truth, x, sr = demo
    low = signal.sosfilt(signal.butter(4, 150, fs=sr, output="sos"), x)
    win = int(0.05 * sr)

    def level(t: float) -> float:
        return float(np.sqrt(np.mean(low[int(t * sr):int(t * sr) + win] ** 2)))

    beat = 60.0 / truth.bpm
    ratios = [level(b) / level(b + 0.75 * beat) for b in truth.beats[:-1]]
    assert min(ratios) > 1.5 and np.median(ratios) > 3.0


def test_sections_cover_the_song_with_audibly_different_energy(demo):
    truth, x, sr = demo
    sections = truth.sections
    assert len(sections) >= 3
    assert sections[0][1] == 0.0 and sections[-1][2] == truth.duration
    for (_, _, end, _), (_, start, _, _) in zip(sections, sections[1:]):
        assert end == start
    assert {s[0] for s in sections} <= set(SECTION_LABELS)
    assert {s[3] for s in sections} == set(ENERGY_LEVELS)
    level = {lvl: [] for lvl in ENERGY_LEVELS}
    for _, start, end, lvl in sections:
        level[lvl].append(rms_db(x[int(start * sr):int(end * sr)]))
    assert min(level["high"]) > max(level["medium"]) + 2.0
    assert min(level["medium"]) > max(level["low"]) + 2.0
    # section changes fall on bar lines
    for _, start, _, _ in sections[1:]:
        assert min(abs(start - d) for d in truth.downbeats) < 1e-9


def test_other_lengths_and_tempi(tmp_path):
    short = synthesize_demo(tmp_path / "short.wav", duration=12.0, bpm=100.0, sr=22050)
    assert len(short.sections) == 3 and short.sections[-1][2] == 12.0
    assert np.allclose(np.diff(short.beats), 0.6)
    x, sr, _, _ = read_wav(tmp_path / "short.wav")
    assert sr == 22050 and len(x) == 12 * 22050


def test_prompt():
    assert isinstance(DEMO_PROMPT, str) and len(DEMO_PROMPT.split()) >= 10
