"""A synthetic demo song with known beats, bars and sections (for the demo project and for tests).

``synthesize_demo`` writes a 16-bit WAV of a small 4/4 pop arrangement (kick, snare, hats, bass,
chord pads, a lead in the choruses) and returns the ground truth it was built from.  Everything is
vectorised numpy with a fixed seed, so the same arguments always give the same bytes.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEMO_PROMPT = ("A neon-lit city at dusk seen through the eyes of a lone cyclist: rain-slick streets, "
               "glowing shop signs and passing trains, warm synthwave colours, dreamy and hopeful, "
               "building to a rooftop sunrise when the chorus hits.")

FIRST_BEAT_S = 0.5  # where the first beat (and bar) of the demo sits
_SEED = 20240501
_CHORDS = ((48, 52, 55), (43, 47, 50), (45, 48, 52), (41, 45, 48))  # C G Am F (MIDI, pads up 1 oct)

# label, relative length in bars, energy level
_FULL_PLAN = (("intro", 4, "low"), ("verse", 6, "medium"), ("chorus", 6, "high"),
              ("verse", 4, "medium"), ("chorus", 6, "high"), ("outro", 4, "low"))
_SHORT_PLAN = (("intro", 1, "low"), ("chorus", 2, "high"), ("outro", 1, "low"))

# per-level arrangement: instrument gains, hat subdivision per beat, bass notes per beat, pad tone
_LEVELS = {
    "low": dict(kick=0.45, snare=0.0, hats=0.0, hat_div=0, bass=0.35, bass_div=0, pad=0.30,
                pad_bright=2.2, lead=0.0),
    "medium": dict(kick=0.80, snare=0.45, hats=0.10, hat_div=2, bass=0.55, bass_div=1, pad=0.40,
                   pad_bright=1.6, lead=0.0),
    "high": dict(kick=1.00, snare=0.80, hats=0.16, hat_div=4, bass=0.75, bass_div=2, pad=0.55,
                 pad_bright=1.1, lead=0.22),
}


@dataclass
class DemoTruth:
    """What the demo song contains: tempo, beat and downbeat times (s), sections with energy level."""

    bpm: float
    beats: list[float] = field(default_factory=list)
    downbeats: list[float] = field(default_factory=list)
    # (label, start, end, energy level)
    sections: list[tuple[str, float, float, str]] = field(default_factory=list)
    duration: float = 0.0
    meter: int = 4


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


def _plan_bars(n_bars: int) -> list[tuple[str, int, str]]:
    """Spread the arrangement over ``n_bars`` whole bars (the last section takes the remainder)."""
    if n_bars < 3:
        return [("chorus", max(n_bars, 1), "high")]
    plan = _FULL_PLAN if n_bars >= 20 else _SHORT_PLAN
    total = sum(b for _, b, _ in plan)
    bars = [max(1, int(b * n_bars / total)) for _, b, _ in plan[:-1]]
    bars.append(n_bars - sum(bars))
    return [(label, b, level) for (label, _, level), b in zip(plan, bars)]


def synthesize_demo(path: str | Path, duration: float = 64.0, bpm: float = 120.0,
                    sr: int = 44100) -> DemoTruth:
    """Write the demo song to ``path`` (mono 16-bit WAV) and return its ground truth."""
    if duration < 1.0 or not 30.0 <= bpm <= 300.0 or sr < 8000:
        raise ValueError(f"demo song needs duration >= 1 s, 30-300 BPM, sr >= 8000 (got "
                         f"{duration}, {bpm}, {sr})")
    rng = np.random.default_rng(_SEED)
    n = int(round(duration * sr))
    beat = 60.0 / bpm
    bar = 4 * beat
    n_bars = max(1, int((duration - FIRST_BEAT_S) // bar))  # whole bars
    all_bars = int(np.ceil((duration - FIRST_BEAT_S) / bar))  # including a partial last bar
    plan = _plan_bars(n_bars)

    beats = [FIRST_BEAT_S + k * beat for k in range(int((duration - FIRST_BEAT_S) / beat) + 1)
             if FIRST_BEAT_S + k * beat < duration - 0.1]
    truth = DemoTruth(bpm=bpm, beats=beats, downbeats=beats[::4], duration=n / sr)

    drums = np.zeros(n)
    music = np.zeros(n)
    kit = _Kit(sr, rng)
    tones = _Tones(sr)
    bar_index = 0
    for s, (label, length, level) in enumerate(plan):
        start = 0.0 if s == 0 else FIRST_BEAT_S + bar_index * bar
        end = duration if s == len(plan) - 1 else FIRST_BEAT_S + (bar_index + length) * bar
        truth.sections.append((label, start, end, level))
        cfg = _LEVELS[level]
        if level == "high":
            _place(drums, kit.crash, FIRST_BEAT_S + bar_index * bar, sr, 0.6)
        last_bar = all_bars if s == len(plan) - 1 else bar_index + length
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


def ensure_demo_song() -> Path:
    """The demo song in the user's cache folder, synthesised on first use."""
    from mvstudio.engine.userdirs import cache_dir

    path = cache_dir() / "demo" / "mv-studio-demo.wav"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part.wav")
        synthesize_demo(tmp)
        tmp.replace(path)
    return path


def ensure_demo_photos(count: int = 8, size: tuple[int, int] = (1600, 1000)) -> Path:
    """A folder of demo pictures for photo mode (painted offline), made on first use."""
    from PIL import Image

    from mvstudio.engine.generation.local_images import paint_still
    from mvstudio.engine.resources import load_json
    from mvstudio.engine.userdirs import cache_dir

    folder = cache_dir() / "demo" / "photos"
    if len(list(folder.glob("demo-*.jpg"))) == count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    moods = list(load_json("director.json")["moods"].values())
    for i in range(count):
        palette = tuple(moods[i % len(moods)]["palette"])
        pixels = paint_still(palette, 1000 + i, *size)
        tmp = folder / f".demo-{i + 1:02d}.part.jpg"
        Image.fromarray(pixels, "RGB").save(tmp, quality=92)
        tmp.replace(folder / f"demo-{i + 1:02d}.jpg")
    return folder
