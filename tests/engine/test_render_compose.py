"""End-to-end renders with the real FFmpeg: small sizes, a few seconds each."""

from __future__ import annotations

import os
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from media_factory import lavfi_clip, pattern_clip, sine_audio, split_clip, still_image
from mvstudio.engine.analysis.audio_io import load_audio
from mvstudio.engine.errors import Cancelled, InputError
from mvstudio.engine.events import CancelToken, Progress, StageFinished, StageStarted
from mvstudio.engine.model import ClipScript, Plan, Transition
from mvstudio.engine.render.commands import KEYFRAME_CLEARANCE, Cut, Segment, animate_still
from mvstudio.engine.render.audit import audit_path
from mvstudio.engine.render.compose import plan_timeline, render
from mvstudio.engine.render.cuts import detect_cuts, frame_differences, grey_frames
from mvstudio.engine.render.probe import count_video_frames, probe, stream_durations
from mvstudio.engine.render.runner import run_ffmpeg

pytestmark = pytest.mark.slow
FPS, W, H = 30, 320, 180
TOTAL = 450  # 15 s
LEVELS = {"a": 60, "b": 190, "c": 100}


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    d = tmp_path_factory.mktemp("sources")
    return {
        # 2.5 s at 24 fps, brightening: looped into a 4 s slot, the restart is a visible jump.
        "a": pattern_clip(d / "a.mp4", seconds=2.5, fps=24, level=LEVELS["a"], pattern=1,
                          ramp=80),
        # 9 s at 25 fps, trimmed (from the end) to its 5 s slot.
        "b": pattern_clip(d / "b.mp4", seconds=9, fps=25, level=LEVELS["b"], pattern=2),
        "c": pattern_clip(d / "c.mp4", seconds=4, fps=30, level=LEVELS["c"], pattern=3),
        # 60 fps test card, 4:3, cover-scaled and cropped into 16:9.
        "d": lavfi_clip(d / "d.mp4", seconds=4, fps=60, width=240, height=180),
        "song": sine_audio(d / "song.m4a", seconds=15.0),
    }


@pytest.fixture(scope="module")
def rendered(sources, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "video.mp4"
    segments = [Segment(sources["a"], 0, 120), Segment(sources["b"], 120, 270),
                Segment(sources["c"], 270, 360), Segment(sources["d"], 360, TOTAL)]
    cuts = [Cut(120, "cut"), Cut(270, "crossfade", 10), Cut(360, "cut")]
    events = []
    report = render(segments, cuts, sources["song"], out, total_frames=TOTAL, fps=FPS, width=W,
                    height=H, preset="veryfast", fade_out_frames=15, sink=events.append)
    return out, report, events


def test_render_format_and_length(rendered):
    out, report, _ = rendered
    video = probe(out).video
    assert (video.codec, video.pix_fmt, video.width, video.height, video.fps) == \
        ("h264", "yuv420p", W, H, Fraction(FPS))
    assert probe(out).audio.codec == "aac"
    assert count_video_frames(out) == TOTAL == report.frames
    video_s, audio_s = stream_durations(out)
    assert video_s == pytest.approx(15.0, abs=1e-6)
    assert abs(audio_s - 15.0) < 0.1 and report.sync_drift < 0.1
    # no temporary files left behind, only the video and its sync audit
    assert sorted(os.listdir(out.parent)) == sorted([out.name, audit_path(out).name])


def test_report_counts_trimmed_and_looped_clips(rendered):
    _, report, events = rendered
    assert [f.action for f in report.fits] == ["looped", "trimmed", "trimmed", "trimmed"]
    assert [f.needed_frames for f in report.fits] == [120, 155, 95, 90]
    assert (report.clips_looped, report.clips_trimmed, report.transitions_applied) == (1, 3, 1)
    assert isinstance(events[0], StageStarted) and isinstance(events[-1], StageFinished)
    assert any(isinstance(e, Progress) for e in events)
    summary = json.loads(json.dumps(report.as_dict()))
    assert summary["frames"] == TOTAL and summary["fits"][0]["action"] == "looped"
    assert summary["sync_drift"] == pytest.approx(report.sync_drift)


def test_plan_becomes_segments_cuts_and_end_fades():
    clips = [ClipScript(0, 100, id="a"), ClipScript(100, 200, id="b"),
             ClipScript(200, 300, id="c")]
    plan = Plan(clips, transitions=[Transition(None, "a", "fade", 15),
                                    Transition("a", "b", "crossfade", 10),
                                    Transition("c", None, "fade", 20)])
    sources = {c.id: Path(f"{c.id}.mp4") for c in clips}
    segments, cuts, fade_in, fade_out = plan_timeline(plan, sources)
    assert [(s.source.name, s.start_frame, s.end_frame) for s in segments] == \
        [("a.mp4", 0, 100), ("b.mp4", 100, 200), ("c.mp4", 200, 300)]
    assert cuts == [Cut(100, "crossfade", 10), Cut(200)]  # no b->c transition: a hard cut
    assert (fade_in, fade_out) == (15, 20)


def test_cuts_land_on_their_frames(rendered):
    out, _, _ = rendered
    # Hard cuts at 120 and 360; the looped clip restarts after its 75 frames (2.5 s at 30 fps).
    assert detect_cuts(out) == [75, 120, 360]


def test_sync_audit_measures_every_cut_on_the_output(rendered):
    out, report, events = rendered
    audit = report.audit
    assert [(c.frame, c.kind) for c in audit.cuts] == [(120, "cut"), (270, "crossfade"),
                                                       (360, "cut")]
    assert audit.ok and audit.max_offset_frames <= 1 and audit.av_difference <= 0.1
    assert [c.measured for c in audit.cuts if c.kind == "cut"] == [120, 360]
    assert audit.unplanned_cuts == [75]  # the looped clip's restart
    saved = json.loads(audit_path(out).read_text())
    assert saved == json.loads(json.dumps(report.as_dict()["audit"]))
    assert saved["summary"].startswith("sync: 3 cuts, max offset ")
    assert audit.summary() in events[-1].message


def test_a_seek_decodes_the_frames_of_a_full_decode(rendered):
    out, _, _ = rendered
    full = grey_frames(out)
    for start in (1, 2, 59, 60, 61, 137, 269, 440):  # keyframes every 60, B-frames between
        window = grey_frames(out, start=start, count=12, fps=FPS)
        assert np.array_equal(window, full[start:start + 12])  # 440: the last 10 frames


def test_retimed_clip_and_fade_through_black_stay_on_their_frames(tmp_path, sources):
    # 4 s at 30 fps for a slot needing 126 frames (120 + the fade's lead): played 4.8 % slower
    # instead of looping; the crossfade and the fade through black are centred on their cuts.
    near = pattern_clip(tmp_path / "near.mp4", seconds=4, fps=30, level=150, pattern=1)
    song = sine_audio(tmp_path / "song.m4a", seconds=10.0)
    out = tmp_path / "out.mp4"
    segments = [Segment(sources["c"], 0, 90), Segment(sources["b"], 90, 180),
                Segment(near, 180, 300)]
    cuts = [Cut(90, "crossfade", 10), Cut(180, "fadeblack", 12)]
    report = render(segments, cuts, song, out, total_frames=300, fps=FPS, width=W, height=H,
                    preset="ultrafast")
    assert [(f.action, f.speed) for f in report.fits] == \
        [("trimmed", 1.0), ("trimmed", 1.0), ("retimed", pytest.approx(0.9524, abs=1e-4))]
    assert report.clips_retimed == 1 and report.as_dict()["fits"][2]["action"] == "retimed"
    assert count_video_frames(out) == 300
    # no loop restart anywhere: the only sharp change is the fade's plunge into black
    assert all(174 - 1 <= f <= 186 + 1 for f in detect_cuts(out))
    assert report.audit.ok and report.audit.unplanned_cuts == []
    assert [c.offset_frames for c in report.audit.cuts] == \
        [pytest.approx(0, abs=0.5), pytest.approx(0, abs=0.5)]


def test_audio_fades_in_and_out(tmp_path, sources):
    song = sine_audio(tmp_path / "song.m4a", seconds=3.0)
    out = tmp_path / "faded.mp4"
    render([Segment(sources["c"], 0, 90)], [], song, out, total_frames=90, fps=FPS, width=W,
           height=H, preset="ultrafast", audio_fade=1.0)
    samples = load_audio(out, sr=8000)
    rms = [float(np.sqrt(np.mean(samples[i:i + 800] ** 2))) for i in (0, 11200, 23000)]
    assert rms[0] < 0.2 * rms[1] and rms[2] < 0.2 * rms[1]  # quiet ends, full middle
    assert abs(len(samples) / 8000 - 3.0) < 0.1


def test_crossfade_midpoint_is_an_even_mix(rendered):
    out, _, _ = rendered
    means = grey_frames(out).astype(np.float64).mean(axis=(1, 2))
    a, b = means[255:262].mean(), means[280:290].mean()
    assert abs(a - LEVELS["b"]) < 8 and abs(b - LEVELS["c"]) < 8
    share = (means[265:275] - a) / (b - a)  # fraction of the incoming clip, frames 265..274
    assert np.all(np.diff(share) > 0.05)  # a steady ramp
    assert share[5] == pytest.approx(0.5, abs=0.05)  # frame 270, the planned cut
    assert int(np.argmin(np.abs(share - 0.5))) == 5


def test_fade_out_ends_in_black(rendered):
    out, _, _ = rendered
    means = grey_frames(out).astype(np.float64).mean(axis=(1, 2))
    assert means[-1] < 20 and means[TOTAL - 20] > 60


def test_wide_source_fills_a_portrait_frame(tmp_path):
    source = split_clip(tmp_path / "split.mp4", seconds=1, fps=25, levels=(30, 128, 225))
    song = sine_audio(tmp_path / "song.wav", seconds=1.0)
    out = tmp_path / "portrait.mp4"
    report = render([Segment(source, 0, 30)], [], song, out, total_frames=30, fps=FPS, width=180,
                    height=320, preset="ultrafast")
    video = probe(out).video
    assert (video.width, video.height) == (180, 320) and report.frames == 30
    frames = grey_frames(out, size=(36, 64)).astype(np.float64)
    # Centre crop of the middle third: no bars, none of the darker or brighter side thirds.
    assert np.abs(frames - 128).max() < 12


def test_missing_source_is_an_input_error(tmp_path, sources):
    with pytest.raises(InputError, match="absent.mp4"):
        render([Segment(tmp_path / "absent.mp4", 0, 30)], [], sources["song"],
               tmp_path / "x.mp4", total_frames=30, width=W, height=H)
    assert list(tmp_path.iterdir()) == []


def test_cancel_mid_render_leaves_no_file(tmp_path, sources):
    cancel = CancelToken()

    def sink(event):
        if isinstance(event, Progress):
            cancel.cancel()

    out = tmp_path / "big.mp4"
    with pytest.raises(Cancelled):
        render([Segment(sources["b"], 0, 270)], [], sources["song"], out, total_frames=270,
               fps=FPS, width=1920, height=1080, preset="medium", sink=sink, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_animate_still_pulses_on_beats(tmp_path):
    image = still_image(tmp_path / "still.png", width=480, height=320, seed=4)
    out, beats = tmp_path / "still.mp4", [10, 25, 40]
    run_ffmpeg(animate_still(image, out, frames=48, fps=FPS, width=W, height=H, move="zoom_in",
                             beat_frames=[*beats, 60], preset="ultrafast"))
    video = probe(out).video
    assert (video.width, video.height, video.fps) == (W, H, Fraction(FPS))
    assert count_video_frames(out) == 48
    diffs = frame_differences(out)
    calm = np.median(diffs[1:])
    for b in beats:
        assert diffs[b] > 4 * calm and diffs[b] == diffs[b - 3:b + 4].max()
    quiet = [k for k in range(1, 48) if all(not 0 <= k - b < 6 for b in beats)]
    assert diffs[quiet].max() < min(diffs[b] for b in beats) / 3


def keyframes_of(video: Path) -> list[int]:
    """Output frames that are keyframes (packets ``framecrc`` lists without ``F=`` flags)."""
    from mvstudio.engine.render.ffmpeg import ffmpeg_exe
    import subprocess
    text = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(video), "-map", "0:v", "-c",
                           "copy", "-f", "framecrc", "-"], capture_output=True, check=True,
                          text=True).stdout
    tb = Fraction(next(line.split()[-1] for line in text.splitlines() if line.startswith("#tb")))
    pts = [(int(line.split(",")[2]), "F=" not in line) for line in text.splitlines()
           if line and not line.startswith("#")]
    first = min(p for p, _key in pts)
    return sorted(round((p - first) * tb * FPS) for p, key in pts if key)


def test_keyframes_fall_on_hard_cuts_and_never_in_a_transition(tmp_path, sources):
    """A keyframe inside a fade made x264 hold the picture for two frames, then jump: the 2 s
    keyframe at frame 60 moves to a dozen frames after the crossfade on 55..64 (one right after
    it popped the picture the rest of the way), and the hard cut at 100, where the picture
    changes anyway, takes the next one."""
    out = tmp_path / "keys.mp4"
    segments = [Segment(sources["b"], 0, 60), Segment(sources["c"], 60, 100),
                Segment(sources["a"], 100, 150)]
    render(segments, [Cut(60, "crossfade", 10), Cut(100)], sources["song"], out,
           total_frames=150, fps=FPS, width=W, height=H, preset="veryfast", fade_out_frames=12)
    assert keyframes_of(out) == [0, 65 + KEYFRAME_CLEARANCE, 100]
    means = grey_frames(out).astype(np.float64).mean(axis=(1, 2))
    share = (means[55:66] - means[54]) / (means[65] - means[54])  # 55 is still all clip b
    assert np.all(np.diff(share) > 0.05)  # a steady ramp, frame by frame


@pytest.mark.parametrize("kind", ["crossfade", "dissolve", "wipeleft", "slideleft", "circleopen"])
def test_the_audit_finds_the_middle_of_every_kind_of_transition(tmp_path, kind):
    """Drifting stripes at different levels, each pair of clips joined by ``kind`` (even and
    odd lengths): the audit measures each midpoint within a frame of its cut."""
    clips = [pattern_clip(tmp_path / f"{i}.mp4", seconds=3, fps=FPS, level=level, pattern=i,
                          speed=2.0) for i, level in enumerate((70, 180, 110))]
    segments = [Segment(c, 60 * i, 60 * (i + 1)) for i, c in enumerate(clips)]
    cuts = [Cut(60, kind, 12), Cut(120, kind, 9)]
    song = sine_audio(tmp_path / "song.m4a", seconds=6.0)
    report = render(segments, cuts, song, tmp_path / "v.mp4", total_frames=180, fps=FPS,
                    width=W, height=H, preset="veryfast")
    offsets = [c.offset_frames for c in report.audit.cuts]
    assert all(abs(o) <= 1 for o in offsets), offsets


def test_a_crossfade_is_the_planned_mix_on_every_frame(tmp_path):
    """Two faint stripe patterns three grey levels apart, crossfaded over 10 frames and kept
    lossless: each frame of the fade is the planned mix.  ``xfade`` truncates an 8-bit mix, which
    ran such a fade half a level dark and moved the audit's midpoints by up to 2 frames."""
    clips = [pattern_clip(tmp_path / f"{i}.mp4", seconds=2, fps=FPS, level=level, contrast=6,
                          pattern=i, speed=0) for i, level in enumerate((100, 103))]
    song = sine_audio(tmp_path / "song.m4a", seconds=2.0)
    out = tmp_path / "mix.mp4"
    render([Segment(clips[0], 0, 30), Segment(clips[1], 30, 60)], [Cut(30, "crossfade", 10)],
           song, out, total_frames=60, fps=FPS, width=W, height=H, preset="ultrafast", crf=0)
    grey = grey_frames(out).astype(np.float64)
    a, b = grey[24], grey[35]  # all A up to frame 25, all B from frame 35
    planned = np.array([a + (b - a) * k / 10 for k in range(10)])
    error = (grey[25:35] - planned).mean(axis=(1, 2))
    assert abs(error.mean()) < 0.15 and np.abs(error).max() < 0.3, error.round(2)
