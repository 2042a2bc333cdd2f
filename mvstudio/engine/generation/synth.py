"""A small 4/4 arrangement synthesiser with known beats: the demo song and the offline soundtrack.

``synthesize`` writes a 16-bit mono WAV of sections given in whole bars, each at an energy level
(kick, snare, hats, bass, chord pads and, at high energy, a lead: denser and louder as the level
rises), and returns the ground truth it was built from.  The first beat (and bar) sits at
``FIRST_BEAT_S``; every section after the first starts on a bar line.  Everything is vectorised
numpy with a fixed seed, so the same arguments always give the same bytes.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

FIRST_BEAT_S = 0.5  # where the first beat (and bar) sits
_SEED = 20240501
_CHORDS = ((48, 52, 55), (43, 47, 50), (45, 48, 52), (41, 45, 48))  # C G Am F (MIDI, pads up 1 oct)

# per-level arrangement: instrument gains, hat subdivision per beat, bass notes per beat, pad tone
_LEVELS = {
    "low": dict(kick=0.45, snare=0.0, hats=0.0, hat_div=0, bass=0.35, bass_div=0, pad=0.30,
                pad_bright=2.2, lead=0.0),
    "medium": dict(kick=0.80, snare=0.45, hats=0.10, hat_div=2, bass=0.55, bass_div=1, pad=0.40,
                   pad_bright=1.6, lead=0.0),
    "high": dict(kick=1.00, snare=0.80, hats=0.16, hat_div=4, bass=0.75, bass_div=2, pad=0.55,
                 pad_bright=1.1, lead=0.22),
}

Arrangement = Sequence[tuple[str, int, str]]  # (label, length in whole bars, energy level)


@dataclass
class SongTruth:
    """What a synthesised song contains: tempo, beat and downbeat times (s), sections with energy
    level."""

    bpm: float
    beats: list[float] = field(default_factory=list)
    downbeats: list[float] = field(default_factory=list)
    # (label, start, end, energy level)
    sections: list[tuple[str, float, float, str]] = field(default_factory=list)
    duration: float = 0.0
    meter: int = 4


def whole_bars(duration: float, bpm: float) -> int:
    """How many whole bars fit between the first beat and the end (at least 1)."""
    return max(1, int((duration - FIRST_BEAT_S) // (4 * (60.0 / bpm))))


def arrangement_for(durations: Sequence[float], levels: Sequence[str], bpm: float,
                    labels: Sequence[str]) -> list[tuple[str, int, str]]:
    """Sections of ``durations`` seconds as whole bars: each boundary moves to the nearest bar
    line; a section left with no bar is dropped."""
    bar = 4 * (60.0 / bpm)
    n_bars = whole_bars(sum(durations), bpm)
    edges, t = [0], 0.0
    for d in durations[:-1]:
        t += d
        edges.append(min(max(round((t - FIRST_BEAT_S) / bar), edges[-1]), n_bars))
    edges.append(n_bars)
    sections = [(label, b - a, level)
                for label, level, a, b in zip(labels, levels, edges, edges[1:]) if b > a]
    return sections or [(labels[-1], n_bars, levels[-1])]


def song_truth(sections: Arrangement, duration: float, bpm: float) -> SongTruth:
    """The beats, bars and section times of ``sections`` laid out over ``duration`` seconds.

    Section ``i > 0`` starts on its first bar line; the first starts at 0 and the last ends at
    ``duration`` (it also takes a partial last bar).
    """
    beat = 60.0 / bpm
    bar = 4 * beat
    beats = [FIRST_BEAT_S + k * beat for k in range(int((duration - FIRST_BEAT_S) / beat) + 1)
             if FIRST_BEAT_S + k * beat < duration - 0.1]
    truth = SongTruth(bpm=bpm, beats=beats, downbeats=beats[::4], duration=duration)
    bar_index = 0
    for s, (label, length, level) in enumerate(sections):
        start = 0.0 if s == 0 else FIRST_BEAT_S + bar_index * bar
        end = duration if s == len(sections) - 1 else FIRST_BEAT_S + (bar_index + length) * bar
        truth.sections.append((label, start, end, level))
        bar_index += length
    return truth


def _midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _tone(freq: float, n: int, sr: int, slope: float, harmonics: int = 8) -> np.ndarray:
    """Additive saw-like tone: harmonic k has amplitude k**-slope (smaller slope = brighter)."""
    t = np.arange(n) / sr
    out = np.zeros(n, dtype=np.float64)
    for k in range(1, harmonics + 1):
        if k * freq >= sr / 2:
            break
        out += np.sin(2 * np.pi * k * freq * t) * k ** -slope
    return out


class _Tones:
    """Per-song cache of rendered notes: the arrangement repeats the same notes bar after bar."""

    def __init__(self, sr: int):
        self.sr = sr
        self._cache: dict[tuple, np.ndarray] = {}

    def __call__(self, freq: float, n: int, slope: float, harmonics: int) -> np.ndarray:
        key = (round(freq, 6), n, slope, harmonics)
        if key not in self._cache:
            self._cache[key] = _tone(freq, n, self.sr, slope, harmonics)
        return self._cache[key]


def _envelope(n: int, sr: int, attack: float, release: float) -> np.ndarray:
    env = np.ones(n)
    a, r = min(n, int(attack * sr)), min(n, int(release * sr))
    if a:
        env[:a] = np.linspace(0, 1, a)
    if r:
        env[n - r:] *= np.linspace(1, 0, r)
    return env


def _highpass(x: np.ndarray) -> np.ndarray:
    return np.diff(x, prepend=0.0)


class _Kit:
    """One-shot drum samples, rendered once per song."""

    def __init__(self, sr: int, rng: np.random.Generator):
        t = np.arange(int(0.35 * sr)) / sr
        sweep = 45 + 110 * np.exp(-t / 0.035)
        self.kick = np.sin(2 * np.pi * np.cumsum(sweep) / sr) * np.exp(-t / 0.11)
        self.kick[: int(0.002 * sr)] += rng.uniform(-0.6, 0.6, int(0.002 * sr))
        t = np.arange(int(0.25 * sr)) / sr
        self.snare = (0.7 * _highpass(rng.standard_normal(len(t))) * np.exp(-t / 0.05)
                      + 0.6 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.07))
        t = np.arange(int(0.06 * sr)) / sr
        self.hat = _highpass(_highpass(rng.standard_normal(len(t)))) * np.exp(-t / 0.012) * 0.5
        t = np.arange(int(1.6 * sr)) / sr
        self.crash = _highpass(rng.standard_normal(len(t))) * np.exp(-t / 0.5) * 0.5


def _place(out: np.ndarray, sample: np.ndarray, at: float, sr: int, gain: float) -> None:
    if gain <= 0:
        return
    i = int(round(at * sr))
    if i >= len(out):
        return
    n = min(len(sample), len(out) - i)
    out[i:i + n] += gain * sample[:n]


def synthesize(path: str | Path, sections: Arrangement, duration: float, bpm: float,
               sr: int = 44100) -> SongTruth:
    """Write ``sections`` (whole bars each) as a song of ``duration`` s to ``path`` (mono 16-bit
    WAV) and return its ground truth."""
    if duration < 1.0 or not 30.0 <= bpm <= 300.0 or sr < 8000:
        raise ValueError(f"a synthesised song needs duration >= 1 s, 30-300 BPM, sr >= 8000 (got "
                         f"{duration}, {bpm}, {sr})")
    truth = song_truth(sections, duration, bpm)
    rng = np.random.default_rng(_SEED)
    n = int(round(duration * sr))
    truth.duration = n / sr
    beat = 60.0 / bpm
    bar = 4 * beat
    all_bars = int(np.ceil((duration - FIRST_BEAT_S) / bar))  # including a partial last bar
    drums = np.zeros(n)
    music = np.zeros(n)
    kit = _Kit(sr, rng)
    tones = _Tones(sr)
    bar_index = 0
    for s, (_label, length, level) in enumerate(sections):
        cfg = _LEVELS[level]
        if level == "high":
            _place(drums, kit.crash, FIRST_BEAT_S + bar_index * bar, sr, 0.6)
        last_bar = all_bars if s == len(sections) - 1 else bar_index + length
        for b in range(bar_index, last_bar):
            _render_bar(drums, music, kit, tones, b, cfg, beat, rng)
        bar_index += length

    mix = 0.9 * drums + 0.8 * music
    fade = min(n, int(1.0 * sr))
    mix[n - fade:] *= np.linspace(1, 0, fade)
    mix *= 0.89 / max(np.max(np.abs(mix)), 1e-9)
    _write_wav(Path(path), mix, sr)
    return truth


def _render_bar(drums: np.ndarray, music: np.ndarray, kit: _Kit, tones: _Tones, b: int, cfg: dict,
                beat: float, rng: np.random.Generator) -> None:
    """Drums, bass, pad chord and (in high sections) a lead line for bar ``b``."""
    sr = tones.sr
    t0 = FIRST_BEAT_S + b * 4 * beat
    chord = _CHORDS[b % len(_CHORDS)]
    for k in range(4):
        at = t0 + k * beat
        _place(drums, kit.kick, at, sr, cfg["kick"] * (1.15 if k == 0 else 1.0))
        if k in (1, 3):
            _place(drums, kit.snare, at, sr, cfg["snare"])
        for h in range(cfg["hat_div"]):
            accent = 1.0 if h == cfg["hat_div"] // 2 else 0.6
            _place(drums, kit.hat, at + h * beat / cfg["hat_div"], sr, cfg["hats"] * accent)
    # bass: a whole note on the root, or repeated notes with an octave jump on the off-beats
    root = _midi_hz(chord[0] - 12)
    div = cfg["bass_div"]
    notes = [(t0, 4 * beat, root)] if div == 0 else [
        (t0 + i * beat / div, beat / div, root * (2 if (i % div) else 1)) for i in range(4 * div)]
    for at, length, freq in notes:
        m = int(length * sr)
        tone = tones(freq, m, slope=2.0, harmonics=4) * np.exp(-np.arange(m) / sr / (0.6 * length))
        _place(music, tone * _envelope(m, sr, 0.005, 0.02), at, sr, cfg["bass"])
    # pad: the bar's chord, softly attacked
    m = int(4 * beat * sr)
    pad = sum(tones(_midi_hz(note + 12), m, slope=cfg["pad_bright"], harmonics=6) for note in chord)
    _place(music, pad * _envelope(m, sr, 0.06, 0.08) / 3, t0, sr, cfg["pad"])
    # lead: chord tones on each beat, an octave above the pad
    if cfg["lead"]:
        m = int(beat * sr)
        for k in range(4):
            note = chord[(k + rng.integers(0, 2)) % 3] + 24
            tone = tones(_midi_hz(note), m, slope=1.3, harmonics=5) * _envelope(m, sr, 0.01, 0.1)
            _place(music, tone, t0 + k * beat, sr, cfg["lead"])


def _write_wav(path: Path, x: np.ndarray, sr: int) -> None:
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
