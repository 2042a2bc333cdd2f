"""Batched renders with the real FFmpeg: many clips, each batch encoded once and joined by copy."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from media_factory import pattern_clip, sine_audio
from mvstudio.engine.errors import Cancelled, RenderError
from mvstudio.engine.events import CancelToken, Progress, StageFinished, StageStarted
from mvstudio.engine.export.subtitles import ass_text
from mvstudio.engine.render import compose
from mvstudio.engine.render.audit import audit_path
from mvstudio.engine.render.commands import Cut, Segment, plan_batches
from mvstudio.engine.render.compose import JOIN_SHARE, render
from mvstudio.engine.render.cuts import grey_frames
from mvstudio.engine.render.probe import count_video_frames, stream_durations

pytestmark = pytest.mark.slow
FPS, W, H = 30, 160, 90
CLIPS, MAX_CLIPS = 100, 12
FADE_IN, FADE_OUT = 8, 12
REPO = Path(__file__).resolve().parents[2]


def timeline(sources: list[Path]) -> tuple[list[Segment], list[Cut], int]:
    """``CLIPS`` slots of 12-22 frames; a hard cut every 13th join, the others crossfades or
    fades through black, so some seams fall on cuts and others inside a clip."""
    rng = random.Random(7)
    bounds = [0]
    for _ in range(CLIPS):
        bounds.append(bounds[-1] + rng.randint(12, 22))
    segments = [Segment(sources[i % len(sources)], a, b)
                for i, (a, b) in enumerate(zip(bounds, bounds[1:]))]
    kinds = ["cut" if i % 13 == 0 else "fadeblack" if i % 13 == 4 else "crossfade"
             for i in range(CLIPS - 1)]
    cuts = [Cut(at, kind, 0 if kind == "cut" else 6) for at, kind in zip(bounds[1:-1], kinds)]
    return segments, cuts, bounds[-1]


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("many")
    sources = [pattern_clip(d / f"c{i}.mp4", seconds=1.2, fps=(24, 25, 30)[i % 3], width=W,
                            height=H, level=50 + 22 * i, pattern=i) for i in range(7)]
    segments, cuts, total = timeline(sources)
    song = sine_audio(d / "song.m4a", seconds=total / FPS)
    # one caption across the first seam, in batch time it starts before its batch
    seam = plan_batches(segments, cuts, MAX_CLIPS, fade_in_frames=FADE_IN,
                        fade_out_frames=FADE_OUT)[1].start_frame
    ass = ass_text([((seam - 20) / FPS, (seam + 25) / FPS, "Across")], width=W, height=H)
    return segments, cuts, total, song, ass


def _render(media, out, max_clips, **kw):
    segments, cuts, total, song, ass = media
    return render(segments, cuts, song, out, total_frames=total, fps=FPS, width=W, height=H,
                  preset="ultrafast", fade_in_frames=FADE_IN, fade_out_frames=FADE_OUT,
                  captions_ass=ass, max_clips=max_clips, **kw)


@pytest.fixture(scope="module")
def batched(media, tmp_path_factory):
    out = tmp_path_factory.mktemp("batched") / "video.mp4"
    events = []
    report = _render(media, out, MAX_CLIPS, sink=events.append)
    return out, report, events


def test_the_plan_has_seams_on_cuts_and_inside_clips(media):
    segments, cuts, *_ = media
    batches = plan_batches(segments, cuts, MAX_CLIPS, fade_in_frames=FADE_IN,
                           fade_out_frames=FADE_OUT)
    starts = {s.start_frame for s in segments}
    seams = [b.start_frame for b in batches[1:]]
    assert len(batches) >= 8 and all(len(b.pieces) <= MAX_CLIPS for b in batches)
    assert any(s in starts for s in seams) and any(s not in starts for s in seams)


def test_batched_render_is_frame_exact_and_in_sync(media, batched):
    _, cuts, total, _, _ = media
    out, report, _ = batched
    assert count_video_frames(out) == total == report.frames
    video_s, audio_s = stream_durations(out)
    assert video_s == pytest.approx(total / FPS, abs=1e-6) and abs(video_s - audio_s) <= 0.1
    audit = report.audit
    assert [c.frame for c in audit.cuts] == [c.at_frame for c in cuts]
    assert audit.ok and not audit.missed and audit.max_offset_frames <= 1
    assert sorted(os.listdir(out.parent)) == sorted([out.name, audit_path(out).name])


def test_batched_render_matches_the_single_graph(media, batched, tmp_path):
    """Same pictures as one graph: cuts, fades, end fades and the caption across a seam."""
    single = _render(media, tmp_path / "single.mp4", max_clips=CLIPS, processes=1)
    a = grey_frames(batched[0], size=(W, H)).astype(np.float32)
    b = grey_frames(single.path, size=(W, H)).astype(np.float32)
    assert a.shape == b.shape
    assert np.abs(a - b).mean(axis=(1, 2)).max() < 3  # only the encoder's rounding differs
    means = a.mean(axis=(1, 2))
    assert means[0] < 10 and means[-1] < 10  # faded in from and out to black


def test_progress_is_one_rising_stage(batched):
    _, _, events = batched
    assert isinstance(events[0], StageStarted) and isinstance(events[-1], StageFinished)
    assert sum(isinstance(e, (StageStarted, StageFinished)) for e in events) == 2
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert len(fractions) > 3 and fractions == sorted(fractions) and fractions[-1] == 1.0
    messages = [e.message for e in events if isinstance(e, Progress)]
    assert any(m.startswith("part 2 of ") for m in messages)  # batches encode two at a time


@pytest.mark.parametrize("when", ["first batch", "between batches", "later batch"])
def test_cancel_during_the_batches_leaves_nothing(media, tmp_path, when):
    segments, cuts, total, _, _ = media
    first = plan_batches(segments, cuts, MAX_CLIPS, fade_in_frames=FADE_IN,
                         fade_out_frames=FADE_OUT)[0]
    # the first batch's last progress (its FFmpeg has finished) is exactly its share of the stage
    where = {"first batch": 0.01, "between batches": (1 - JOIN_SHARE) * first.frames / total,
             "later batch": 0.5}[when]
    cancel = CancelToken()

    def sink(event):
        if isinstance(event, Progress) and event.fraction >= where - 1e-9:
            cancel.cancel()

    with pytest.raises(Cancelled):
        _render(media, tmp_path / "v.mp4", MAX_CLIPS, sink=sink, cancel=cancel)
    assert list(tmp_path.iterdir()) == []  # no output, no batch files (they are kept beside it)


def test_a_failing_batch_stops_the_others_and_its_error_is_raised(media, tmp_path,
                                                                  monkeypatch):
    """Batches encode two at a time: when one FFmpeg fails, no batch after it runs, the one
    beside it is stopped or finishes, and the failure (not a cancel) reaches the caller."""
    real, finished = compose._run_graph, []

    def run_graph(command, script, *args):
        if script.name == "graph0001.txt":
            raise RenderError("FFmpeg failed (exit code 1): disk full")
        result = real(command, script, *args)
        finished.append(script.name)
        return result

    monkeypatch.setattr(compose, "_run_graph", run_graph)
    with pytest.raises(RenderError, match="disk full"):
        _render(media, tmp_path / "v.mp4", MAX_CLIPS, processes=2)
    assert set(finished) <= {"graph0000.txt"}
    assert list(tmp_path.iterdir()) == []


LOW_FILES = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    from mvstudio.engine.errors import RenderError
    from mvstudio.engine.render.commands import Cut, Segment
    from mvstudio.engine.render.compose import JOIN_SHARE, render
    sources, song, out = [Path(p) for p in sys.argv[1:-2]], Path(sys.argv[-2]), sys.argv[-1]
    segments = [Segment(sources[i % len(sources)], 20 * i, 20 * i + 20) for i in range(100)]
    cuts = [Cut(20 * i, "crossfade" if i % 2 else "cut", 6) for i in range(1, 100)]
    for max_clips in (12, 1000):
        try:
            report = render(segments, cuts, song, out, total_frames=2000, fps=30, width=160,
                            height=90, preset="ultrafast", max_clips=max_clips, processes=1)
            print(max_clips, "ok", report.frames, report.audit.ok)
        except RenderError as exc:
            print(max_clips, "failed", exc)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_NOFILE is POSIX")
def test_batches_render_under_a_low_open_file_limit(media, tmp_path):
    sources = sorted({str(s.source) for s in media[0]})
    short_song = sine_audio(tmp_path / "song.m4a", seconds=2000 / FPS)
    result = subprocess.run([sys.executable, "-c", LOW_FILES, *sources, str(short_song),
                             str(tmp_path / "v.mp4")], capture_output=True, text=True,
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stderr
    assert lines[0] == "12 ok 2000 True"  # batched: a dozen inputs per FFmpeg at a time
    assert lines[1].startswith("1000 failed")  # one graph of 100 inputs runs out of files
