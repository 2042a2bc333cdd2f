"""How responsive the studio feels, measured offscreen.

(a) Timeline repaint while zooming and scrolling: a 3-minute song (~400 beats, 40 clips, sections,
    lyrics, thumbnails) in a 1280-px ``TimelineView``; 200 scripted steps zoom from the whole song
    to a 1-second window while drifting across it, scroll along at that zoom with the scrollbar, and
    zoom back out.  Each step is timed from the range change to painted pixels (process events, then
    a synchronous ``repaint()``), which is what a user waits for.  Target: median <= 16 ms.
(b) Event-loop heartbeat while the engine works: a 10 ms timer's worst lateness during analysis,
    offline generation and a preview render of a 3-minute song.  Target: <= 50 ms.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/ui_responsiveness.py``
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Optional

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mvstudio.engine.model import (Analysis, ClipScript, LyricLine, Plan, Project, Section,  # noqa: E402
                                   Song, Transition, Word)
from mvstudio.engine.timebase import to_frame  # noqa: E402
from mvstudio.engine.waveform import Envelope  # noqa: E402
from mvstudio.ui.timeline import TimelineView  # noqa: E402

SR = 22050
TARGET_MEDIAN_MS = 16.0
HEARTBEAT_MS = 10
TARGET_LATENESS_MS = 50.0
_SECTIONS = (("intro", 8, 0.3), ("verse", 16, 0.55), ("pre-chorus", 8, 0.7), ("chorus", 16, 1.0),
             ("verse", 16, 0.55), ("chorus", 16, 1.0), ("bridge", 8, 0.6), ("chorus", 8, 1.0),
             ("outro", 4, 0.35))  # label, bars, loudness
_LYRIC = "city lights are calling me home tonight under neon rain we ride".split()
_TRANSITIONS = (("cut", 0), ("crossfade", 10), ("cut", 0), ("fade", 14), ("cut", 0), ("dissolve", 8))
STATES = ("fresh", "stale", "running", "failed", "fresh")


def _section_edges(seconds: float, period: float) -> np.ndarray:
    """Section boundaries in seconds: bars of four beats from the first beat at 0.2 s."""
    bars = np.cumsum([n for _, n, _ in _SECTIONS])
    edges = np.minimum(np.concatenate([[0.0], 0.2 + 4 * period * bars]), seconds)
    edges[-1] = seconds
    return edges


def _loudness(times: np.ndarray, seconds: float, period: float) -> np.ndarray:
    index = np.searchsorted(_section_edges(seconds, period), times, side="right") - 1
    return np.asarray([level for *_, level in _SECTIONS])[np.clip(index, 0, len(_SECTIONS) - 1)]


def synthetic_song(seconds: float = 180.0, bpm: float = 400 / 3, sr: int = SR) -> np.ndarray:
    """A kick on every beat, a bass tone and noise, louder in the choruses (float32 mono)."""
    t = np.arange(int(seconds * sr)) / sr
    period = 60.0 / bpm
    phase = (t - 0.2) % period
    kick = np.exp(-phase * 18) * np.sin(2 * np.pi * 55 * phase)
    noise = np.random.default_rng(7).standard_normal(t.size)
    y = 0.7 * kick + 0.15 * np.sin(2 * np.pi * 110 * t) + 0.12 * noise
    return (y * _loudness(t, seconds, period) * 0.9).astype(np.float32)


def synthetic_project(seconds: float = 180.0, bpm: float = 400 / 3, n_clips: int = 40,
                      fps: int = 30, lyrics: bool = True) -> Project:
    """Analysis (beats, bars, sections, energy, lyrics) and a plan of ``n_clips`` beat-aligned clips."""
    period = 60.0 / bpm
    beats = [round(0.2 + i * period, 4) for i in range(int((seconds - 0.2) / period) + 1)]
    edges = _section_edges(seconds, period)
    sections = [Section(label, float(a), float(b), energy_value=level)
                for (label, _, level), a, b in zip(_SECTIONS, edges, edges[1:])]
    energy = _loudness(np.asarray(beats), seconds, period) * (0.85 + 0.15 * (np.arange(len(beats)) % 4 == 0))
    sung = [b for b in beats if lyrics and any(s.label in ("verse", "chorus") and s.start <= b < s.end
                                               for s in sections)]
    words = [Word(_LYRIC[i % len(_LYRIC)], b, b + period * 0.9) for i, b in enumerate(sung)]
    lines = [LyricLine(" ".join(w.text for w in line), line[0].start, line[-1].end, line)
             for line in (words[i:i + 8] for i in range(0, len(words), 8))]
    analysis = Analysis(duration=seconds, bpm=bpm, beats=beats, downbeats=beats[::4], sections=sections,
                        beat_energy=[float(e) for e in energy], lyrics=lines, fps=fps)
    step = len(beats) // n_clips
    cuts = [0] + [to_frame(beats[i * step], fps) for i in range(1, n_clips)] + [to_frame(seconds, fps)]
    clips = [ClipScript(a, b, visual_description=f"shot {i + 1}: a cyclist crosses the neon bridge")
             for i, (a, b) in enumerate(zip(cuts, cuts[1:]))]
    transitions = [Transition(None, clips[0].id, "fade", 15)]
    transitions += [Transition(a.id, b.id, *_TRANSITIONS[i % len(_TRANSITIONS)])
                    for i, (a, b) in enumerate(zip(clips, clips[1:]))]
    transitions.append(Transition(clips[-1].id, None, "fade", 30))
    return Project("bench", song=Song("synthetic", "", seconds), analysis=analysis,
                   plan=Plan(clips, transitions), fps=fps)


def thumbnails(project: Project):
    """A ``thumbnail_for`` that paints a small gradient still per clip (cached)."""
    cache: dict[str, QPixmap] = {}
    order = {c.id: i for i, c in enumerate(project.plan.clips)} if project.plan else {}

    def thumbnail_for(clip_id: str) -> Optional[QPixmap]:
        if clip_id not in cache:
            pix = QPixmap(160, 90)
            gradient = QLinearGradient(0, 0, 160, 90)
            gradient.setColorAt(0, QColor.fromHsv(order.get(clip_id, 0) * 37 % 360, 160, 200))
            gradient.setColorAt(1, QColor.fromHsv(order.get(clip_id, 0) * 37 % 360, 200, 60))
            painter = QPainter(pix)
            painter.fillRect(pix.rect(), gradient)
            painter.end()
            cache[clip_id] = pix
        return cache[clip_id]
    return thumbnail_for


def zoom_script(duration: float, steps: int = 200, narrowest: float = 1.0) -> list[tuple[float, float, bool]]:
    """Steps (start, end, by scrollbar): 40% zooming in while drifting right, 20% scrolling along
    at the narrowest window with the scrollbar, 40% zooming back out."""
    n_zoom = int(steps * 0.4)
    spans = np.geomspace(duration, narrowest, n_zoom)
    inward = [(c - s / 2, c + s / 2, False)
              for s, c in zip(spans, np.linspace(duration / 2, duration * 0.3, n_zoom))]
    along = [(a, a + narrowest, True)
             for a in np.linspace(duration * 0.3, duration * 0.8, steps - 2 * n_zoom)]
    outward = [(c - s / 2, c + s / 2, False)
               for s, c in zip(spans[::-1], np.linspace(duration * 0.8, duration / 2, n_zoom))]
    return [(max(a, 0.0), min(b, duration), scroll) for a, b, scroll in inward + along + outward]


def measure_repaints(app: QApplication, view: TimelineView,
                     steps: list[tuple[float, float, bool]]) -> list[float]:
    """Milliseconds from each range change to painted pixels."""
    times = []
    for start, end, by_scrollbar in steps:
        began = time.perf_counter()
        if by_scrollbar:
            view.scrollbar.setValue(int(round(start * 1000)))
        else:
            view.zoom_to(start, end)
        app.processEvents()
        view.repaint()
        times.append((time.perf_counter() - began) * 1000)
    return times


def measure_heartbeat(app: QApplication, seconds: float = 180.0) -> str:
    """Part (b): a 10 ms ``QTimer`` heartbeat while the studio analyses a song, generates its clips
    with the offline providers and renders the preview, driven exactly as the Run panel drives them
    (the real window, RunController and qasync loop).  Lateness = interval - 10 ms."""
    import asyncio
    import tempfile
    from pathlib import Path

    from PySide6.QtCore import Qt, QTimer
    from qasync import QEventLoop

    from mvstudio.engine.demo import synthesize_demo
    from mvstudio.ui.document import ProjectDocument
    from mvstudio.ui.main_window import MainWindow

    from mvstudio.ui.app import preload_engine

    preload_engine()  # as run_app does before the window shows
    loop = QEventLoop(app, already_running=False)
    asyncio.set_event_loop(loop)
    results = {}
    with tempfile.TemporaryDirectory(prefix="mvstudio-bench-") as tmp:
        os.environ["MVSTUDIO_CACHE_DIR"] = str(Path(tmp) / "cache")  # a real, uncached analysis
        song = Path(tmp) / "song.wav"
        synthesize_demo(song, duration=seconds)
        window = MainWindow()
        window.ask_save_changes = lambda: "discard"
        window.show()
        window.set_document(ProjectDocument.create(Path(tmp) / "bench.mvstudio", song,
                                                   prompt="a heartbeat", width=640, height=360))
        lateness: list[float] = []
        last = [time.perf_counter()]

        def beat() -> None:
            now = time.perf_counter()
            lateness.append((now - last[0]) * 1000 - HEARTBEAT_MS)
            last[0] = now

        timer = QTimer()
        timer.setTimerType(Qt.PreciseTimer)
        timer.setInterval(HEARTBEAT_MS)
        timer.timeout.connect(beat)
        timer.start()
        for action in ("analyse", "generate", "render"):
            lateness.clear()
            last[0] = time.perf_counter()
            began = time.perf_counter()
            outcome = loop.run_until_complete(window.runner.run(action))
            results[action] = (outcome, max(lateness, default=0.0),
                               float(np.percentile(lateness, 99)) if lateness else 0.0,
                               time.perf_counter() - began)
        timer.stop()
        window.set_document(None)
        window.close()
    loop.close()
    asyncio.set_event_loop(None)
    parts = [f"{a} ({o}, {t:.0f} s): worst {w:.0f} ms, p99 {p:.0f} ms"
             for a, (o, w, p, t) in results.items()]
    worst = max(w for _o, w, _p, _t in results.values())
    return (f"heartbeat {HEARTBEAT_MS} ms during a {seconds:.0f} s song: " + "; ".join(parts) +
            f" [target worst <= {TARGET_LATENESS_MS:.0f} ms: "
            f"{'met' if worst <= TARGET_LATENESS_MS else 'MISSED'}]")


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    project = synthetic_project()
    envelope = Envelope.from_samples(synthetic_song(), SR)
    view = TimelineView(thumbnail_for=thumbnails(project))
    view.resize(1280, 320)
    view.show()
    view.set_project(project, envelope)
    view.set_clip_states({c.id: STATES[i % len(STATES)] for i, c in enumerate(project.plan.clips)})
    for _ in range(5):
        app.processEvents()
        time.sleep(0.02)
    windows = zoom_script(project.analysis.duration)
    measure_repaints(app, view, windows[:10])  # warm-up: fonts, glyph caches, thumbnails
    times = measure_repaints(app, view, windows)
    median, worst = statistics.median(times), max(times)
    print(f"(a) timeline repaint over {len(times)} zoom/scroll steps "
          f"({len(project.analysis.beats)} beats, {len(project.plan.clips)} clips, 1280 px): "
          f"median {median:.1f} ms, worst {worst:.1f} ms "
          f"[target median <= {TARGET_MEDIAN_MS:.0f} ms: {'met' if median <= TARGET_MEDIAN_MS else 'MISSED'}]")
    print(f"(b) {measure_heartbeat(app)}")
    return 0 if median <= TARGET_MEDIAN_MS else 1


if __name__ == "__main__":
    sys.exit(main())
