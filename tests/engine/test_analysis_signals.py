"""Analysis on synthesised music with exact ground truth: tempo drift, 3/4, noise, clipping,
formats and sample rates."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from media_factory import write_wav
from mvstudio.engine.analysis.analyze import analyze
from mvstudio.engine.render.ffmpeg import ffmpeg_exe

SR = 22050
TOL = 0.05


def _note(freq: float, seconds: float, sr: int, decay: float, harmonics: int = 6) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    tone = sum(np.sin(2 * np.pi * k * freq * t) / k for k in range(1, harmonics + 1))
    return tone * np.exp(-t / decay)


def band(path: Path, beats: np.ndarray, meter: int, duration: float, sr: int = SR,
         seed: int = 0) -> Path:
    """A small band on the given beat times: kick + bass on each bar's one, snare or chord stabs
    on the other beats, quiet hats on the off-beats (so the beat level is the musical one)."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int(duration * sr))
    t = np.arange(int(0.3 * sr)) / sr
    kick = np.sin(2 * np.pi * np.cumsum(50 + 100 * np.exp(-t / 0.03)) / sr) * np.exp(-t / 0.1)
    snare = rng.standard_normal(int(0.2 * sr)) * np.exp(-np.arange(int(0.2 * sr)) / sr / 0.05)
    hat = np.diff(rng.standard_normal(int(0.05 * sr)), prepend=0) * np.exp(
        -np.arange(int(0.05 * sr)) / sr / 0.01)
    bass = _note(55.0, 0.4, sr, 0.2, 4)
    chord = sum(_note(f, 0.25, sr, 0.08) for f in (261.6, 329.6, 392.0))

    def put(sample: np.ndarray, at: float, gain: float) -> None:
        i = int(round(at * sr))
        if 0 <= i < len(y):
            n = min(len(sample), len(y) - i)
            y[i:i + n] += gain * sample[:n]

    for k, b in enumerate(beats):
        if k % meter == 0:
            put(kick, b, 1.0)
            put(bass, b, 0.5)
        elif meter == 3:
            put(chord, b, 0.25)
        else:
            put(snare, b, 0.5 if k % 2 else 0.3)
        if k + 1 < len(beats):
            put(hat, 0.5 * (b + beats[k + 1]), 0.15)
    return write_wav(path, 0.8 * y / np.abs(y).max(), sr)


def hits(truth: np.ndarray, found: list[float]) -> float:
    found_a = np.asarray(found)
    return float(np.mean([np.min(np.abs(found_a - t)) <= TOL for t in truth])) if len(found) else 0.0


def beat_times(bpm_at, duration: float, start: float = 0.5) -> np.ndarray:
    """Beats from ``start`` to 0.2 s before the end, the tempo at each beat being ``bpm_at(t)``."""
    t, beats = start, []
    while t < duration - 0.2:
        beats.append(t)
        t += 60.0 / bpm_at(t)
    return np.array(beats)


def test_tempo_drift_is_followed(tmp_path):
    """100 -> 125 BPM over 40 s: beats stay on, the tempo curve rises, stability is low."""
    duration = 40.0
    beats = beat_times(lambda t: 100.0 + 25.0 * t / duration, duration)
    a = analyze(band(tmp_path / "drift.wav", beats, 4, duration))
    assert hits(beats, a.beats) >= 0.9
    assert len(a.beats) <= len(beats) + 2
    curve = np.array(a.tempo_curve)
    assert len(curve) == len(a.beats)
    assert abs(np.median(curve[:8]) - 102) <= 4 and abs(np.median(curve[-8:]) - 123) <= 4
    assert a.tempo_stability < 0.6 and 100 <= a.bpm <= 125


@pytest.mark.parametrize("meter,bpm", [(3, 80.0), (3, 100.0), (4, 80.0), (4, 130.0)])
def test_swinging_tempo_keeps_beats_and_bars(tmp_path, meter, bpm):
    """The tempo swings +-7.5 % (15 % from slowest to fastest) every 10 s: beats stay within
    50 ms, and bars start on the bass notes even where the low band is silent between them."""
    beats = beat_times(lambda t: bpm * (1 + 0.075 * np.sin(2 * np.pi * t / 10.0)), 40.0)
    a = analyze(band(tmp_path / "swing.wav", beats, meter, 40.0))
    assert hits(beats, a.beats) >= 0.95 and len(a.beats) <= len(beats) + 1
    bars = beats[::meter]
    bars = bars[(bars > a.beats[0] - TOL) & (bars < a.beats[-1] + TOL)]  # a first beat may be missed
    assert a.meter == meter and hits(bars, a.downbeats) >= 0.9


def test_steady_tempo_is_stable(tmp_path):
    beats = np.arange(0.4, 30.0, 60 / 128)
    a = analyze(band(tmp_path / "steady.wav", beats, 4, 30.0))
    assert abs(a.bpm - 128) <= 1.0 and hits(beats, a.beats) >= 0.95
    assert a.tempo_stability >= 0.9 and a.beat_confidence > 0.5
    assert hits(beats[::4], a.downbeats) >= 0.9 and a.meter == 4


def test_three_four_waltz(tmp_path):
    """Oom-pah-pah at 150 BPM: meter 3, bars on the bass notes."""
    beats = np.arange(0.3, 30.0, 60 / 150)
    a = analyze(band(tmp_path / "waltz.wav", beats, 3, 30.0))
    assert abs(a.bpm - 150) <= 2.0 and hits(beats, a.beats) >= 0.9
    assert a.meter == 3 and hits(beats[::3], a.downbeats) >= 0.9


def test_noise_has_no_confident_beat(tmp_path):
    rng = np.random.default_rng(3)
    a = analyze(write_wav(tmp_path / "noise.wav", 0.3 * rng.standard_normal(20 * SR)))
    assert a.fallback_used or a.beat_confidence < 0.3
    assert a.clip_boundaries[0].start_frame == 0 and a.clip_boundaries[-1].end_frame == a.end_frame


def test_clipping_noise_is_analysed(tmp_path):
    """Full-scale clipped noise bursts: no crash, a complete, gap-free result."""
    rng = np.random.default_rng(4)
    y = np.clip(4 * rng.standard_normal(15 * SR), -1, 1) * (rng.uniform(size=15 * SR) > 0.2)
    a = analyze(write_wav(tmp_path / "clip.wav", y))
    clips = a.clip_boundaries
    assert len(clips) >= 3 and clips[-1].end_frame == a.end_frame
    assert all(x.end_frame == y.start_frame for x, y in zip(clips, clips[1:]))
    assert 0 <= a.beat_confidence <= 1 and 0 <= a.mood.confidence <= 1


@pytest.fixture(scope="module")
def reference_song(tmp_path_factory) -> tuple[Path, np.ndarray]:
    folder = tmp_path_factory.mktemp("formats")
    beats = np.arange(0.5, 16.0, 0.5)
    return band(folder / "song.wav", beats, 4, 16.0, sr=44100), beats


@pytest.mark.parametrize("ext,codec", [("mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
                                       ("flac", ["-c:a", "flac"]),
                                       ("ogg", ["-c:a", "libvorbis", "-q:a", "4"]),
                                       ("m4a", ["-c:a", "aac", "-b:a", "128k"]),
                                       ("wav", ["-ar", "48000", "-ac", "2"])])
def test_formats(reference_song, tmp_path, ext, codec):
    src, beats = reference_song
    out = tmp_path / f"song.{ext}"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), *codec, str(out)],
                   check=True)
    a = analyze(out)
    assert a.duration == pytest.approx(16.0, abs=0.06)
    assert abs(a.bpm - 120) <= 2.0 and hits(beats, a.beats) >= 0.9
