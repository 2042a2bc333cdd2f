"""A synthetic demo song with known beats, bars and sections (for the demo project and for tests).

``synthesize_demo`` writes a 16-bit WAV of a small 4/4 pop arrangement (intro, verses, choruses,
outro; ``generation.synth`` plays it) and returns the ground truth it was built from.  The same
arguments always give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from mvstudio.engine.generation.synth import FIRST_BEAT_S  # noqa: F401 - re-exported
from mvstudio.engine.generation.synth import SongTruth, synthesize, whole_bars

DEMO_PROMPT = ("A neon-lit city at dusk seen through the eyes of a lone cyclist: rain-slick streets, "
               "glowing shop signs and passing trains, warm synthwave colours, dreamy and hopeful, "
               "building to a rooftop sunrise when the chorus hits.")

# label, relative length in bars, energy level
_FULL_PLAN = (("intro", 4, "low"), ("verse", 6, "medium"), ("chorus", 6, "high"),
              ("verse", 4, "medium"), ("chorus", 6, "high"), ("outro", 4, "low"))
_SHORT_PLAN = (("intro", 1, "low"), ("chorus", 2, "high"), ("outro", 1, "low"))

DemoTruth = SongTruth  # what the demo song contains (``generation.synth``)


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
    if not 30.0 <= bpm <= 300.0:
        raise ValueError(f"the demo song needs 30-300 BPM (got {bpm})")
    return synthesize(path, _plan_bars(whole_bars(duration, bpm)), duration, bpm, sr)


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
