"""The FFmpeg runner, atomic outputs, probing and cut detection (small real FFmpeg runs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from media_factory import lavfi_clip, pattern_clip, sine_audio, still_image
from mvstudio.engine.errors import Cancelled, InputError, RenderError
from mvstudio.engine.events import CancelToken, Progress, StageReporter
from mvstudio.engine.render.audit import audit_windows
from mvstudio.engine.render.commands import Cut
from mvstudio.engine.render.cuts import cuts_from_differences, detect_cuts, frame_differences
from mvstudio.engine.render.output import atomic_output, check_output_path, temp_workspace
from mvstudio.engine.render.probe import (count_video_frames, parse_framecrc, parse_probe,
                                          parse_stream, probe, stream_durations)
from mvstudio.engine.render.runner import (BACKGROUND_NICENESS, _Stopper, ffmpeg_argv,
                                           parse_progress, run_ffmpeg, summarize_stderr)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and pids")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def realtime_source(seconds: float) -> list[str]:
    """An input read at its native rate, so FFmpeg runs for about ``seconds``."""
    return ["-re", "-f", "lavfi", "-i", f"testsrc2=s=160x90:r=30:d={seconds}"]


# --------------------------------------------------------------------------- pure parts


def test_global_flags_are_added_once():
    argv = ffmpeg_argv(["-loglevel", "warning", "-i", "x"])
    assert argv[1:].count("-loglevel") == 1 and "warning" in argv
    assert {"-hide_banner", "-nostdin", "-y", "-nostats"} <= set(argv)
    assert argv[argv.index("-progress") + 1] == "pipe:1"


def test_progress_blocks_are_grouped():
    lines = ["frame=10", "out_time_us=N/A", "progress=continue", "frame=20",
             "out_time_us=500000", "progress=end"]
    blocks = list(parse_progress(lines))
    assert [b["frame"] for b in blocks] == ["10", "20"]
    assert blocks[-1]["progress"] == "end"


@pytest.mark.parametrize("stderr, expected", [
    (["[in#0 @ 0x55] Error opening input: No such file or directory",
      "Error opening input file clip.mp4.", "Error opening input files: No such file"],
     "cannot open input file clip.mp4: No such file or directory"),
    (["[AVFilterGraph @ 0x5] No such filter: 'zoompam'", "Error opening output file -.",
      "Error opening output files: Filter not found"], "No such filter: 'zoompam'"),
    (["[in#0 @ 0x1] Format mov detected only with low score of 1, misdetection possible!",
      "[in#0 @ 0x1] moov atom not found"], "moov atom not found"),
    (["Conversion failed!"], "Conversion failed!"),
    ([], ""),
])
def test_stderr_summary_names_the_cause(stderr, expected):
    assert summarize_stderr(stderr) == expected


def test_stream_lines_are_parsed():
    video = parse_stream("  Stream #0:0[0x1](eng): Video: h264 (Main) (avc1 / 0x31637661), "
                         "yuv420p(tv, bt709, progressive), 1920x1080 [SAR 1:1 DAR 16:9], "
                         "5000 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)")
    assert (video.kind, video.codec, video.profile, video.pix_fmt) == \
        ("video", "h264", "Main", "yuv420p")
    assert (video.width, video.height, video.fps) == (1920, 1080, Fraction(30000, 1001))
    audio = parse_stream("  Stream #0:1: Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, "
                         "5.1(side), fltp, 384 kb/s")
    assert (audio.kind, audio.codec, audio.sample_rate, audio.channels) == ("audio", "aac",
                                                                            48000, 6)
    assert parse_stream("  Metadata:") is None
    cover = parse_stream("  Stream #0:1: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/"
                         "unknown), 500x500 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn (attached pic)")
    assert cover.attached_pic and (cover.width, cover.fps) == (500, 90000)
    assert not video.attached_pic


def test_cover_art_is_not_the_video_stream():
    text = "\n".join([
        "Input #0, mp3, from 'song.mp3':",
        "  Duration: 00:03:05.12, start: 0.025057, bitrate: 320 kb/s",
        "  Stream #0:0: Audio: mp3 (mp3float), 44100 Hz, stereo, fltp, 320 kb/s",
        "  Stream #0:1: Video: png, rgb24(pc), 600x600, 90k tbr, 90k tbn (attached pic)",
        "At least one output file must be specified"])
    info = parse_probe(Path("song.mp3"), text)
    assert info.duration == pytest.approx(185.12) and info.video is None
    assert (info.audio.codec, info.audio.channels) == ("mp3", 2) and len(info.streams) == 2


def test_framecrc_durations_ignore_priming():
    text = "\n".join(["#tb 0: 1/12288", "#media_type 0: video", "#tb 1: 1/44100",
                      "#media_type 1: audio",
                      "0, -1024, 0, 512, 10, 0x0aa", "0, -512, 1024, 512, 10, 0x0bb",
                      "0, 0, 512, 512, 10, 0x0cc",
                      "1, -1024, -1024, 1024, 9, 0x0dd, S=1, Skip Samples, 10, 0x0ee",
                      "1, 0, 0, 1024, 9, 0x0ff", "1, 1024, 1024, 1024, 9, 0x011"])
    assert parse_framecrc(text) == {"video": 1536 / 12288, "audio": 2048 / 44100}


def test_cut_rule_needs_a_peak_above_the_typical_change():
    diffs = np.array([0, 2, 2.5, 2, 40, 2, 2, 9, 9, 9, 2, 30, 28, 2], dtype=np.float32)
    # 40 is an isolated spike; 9, 9, 9 is a gradual change; 30 next to 28 is no clear peak.
    assert cuts_from_differences(diffs) == [4]
    assert cuts_from_differences(diffs, threshold=50) == []


# --------------------------------------------------------------------------- running FFmpeg


def test_audit_decodes_windows_around_cuts_and_loop_restarts():
    cuts = [Cut(60), Cut(130, "crossfade", 10), Cut(600, "fadeblack", 6)]
    # 60 +- 3 and the crossfade (frames 124..136 around it) are close to each other and
    # to the start: one window from frame 0 (no seek), 5 frames of context around each
    assert audit_windows(cuts) == [range(0, 142), range(591, 610)]
    assert audit_windows(cuts, watch=[400]) == [range(0, 142), range(392, 409),
                                                 range(591, 610)]
    assert audit_windows(cuts, total_frames=650) == [range(0, 142), range(591, 650)]
    assert audit_windows([], watch=[300], total_frames=310) == [range(292, 310)]
    assert audit_windows([]) == []


def test_progress_reaches_the_reporter():
    events = []
    reporter = StageReporter(events.append, "test")
    last = run_ffmpeg([*realtime_source(1.0), "-stats_period", "0.1", "-f", "null", "-"],
                      expected_duration=1.0, reporter=reporter)
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert len(fractions) >= 3 and fractions == sorted(fractions)
    assert fractions[-1] == 1.0 and any(0 < f < 1 for f in fractions)
    assert last["progress"] == "end" and int(last["frame"]) == 30


def test_failing_command_raises_one_line_render_error():
    with pytest.raises(RenderError) as err:
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=d=0.1", "-vf", "nosuchfilter", "-f", "null",
                    "-"])
    message = str(err.value)
    assert "\n" not in message and "nosuchfilter" in message and "exit code" in message


def test_missing_input_names_the_file(tmp_path):
    with pytest.raises(RenderError, match="absent.mp4"):
        run_ffmpeg(["-i", str(tmp_path / "absent.mp4"), "-f", "null", "-"])


@posix_only
def test_cancel_kills_ffmpeg_and_raises_cancelled():
    cancel, pids, outcome = CancelToken(), [], {}

    def work():
        try:
            run_ffmpeg([*realtime_source(30), "-f", "null", "-"], cancel=cancel,
                       on_start=pids.append)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    deadline = time.monotonic() + 5
    while not pids and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    assert pids and pid_alive(pids[0])
    started = time.monotonic()
    cancel.cancel()
    thread.join(timeout=10)
    assert not thread.is_alive() and time.monotonic() - started < 3
    assert isinstance(outcome.get("error"), Cancelled)
    assert not pid_alive(pids[0])


@posix_only
def test_ffmpeg_runs_at_background_priority_so_the_window_stays_smooth():
    niceness = []

    def started(pid: int) -> None:
        niceness.append(os.getpriority(os.PRIO_PROCESS, pid))

    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=d=0.2", "-f", "null", "-"], on_start=started)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert niceness == [min(19, own + BACKGROUND_NICENESS)]


def test_cancelled_token_starts_nothing():
    cancel, pids = CancelToken(), []
    cancel.cancel()
    with pytest.raises(Cancelled):
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=d=1", "-f", "null", "-"], cancel=cancel,
                   on_start=pids.append)
    assert pids == []


@posix_only
def test_stopper_kills_a_process_that_ignores_terminate():
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); " \
           "print('ready', flush=True); time.sleep(30)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    _Stopper(proc, grace=0.2)()
    assert proc.wait(timeout=5) == -signal.SIGKILL
    proc.stdout.close()


# --------------------------------------------------------------------------- atomic output


def test_atomic_output_publishes_only_on_success(tmp_path):
    final = tmp_path / "demo.mp4"
    with atomic_output(final) as temp:
        assert temp.parent == tmp_path and temp.suffix == ".mp4" and temp.name.startswith(".demo")
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x36:d=0.2", "-c:v", "libx264",
                    "-f", "mp4", str(temp)])
        assert not final.exists()
    assert final.stat().st_size > 0 and os.listdir(tmp_path) == ["demo.mp4"]


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "demo.mp4"
    with pytest.raises(RenderError):
        with atomic_output(final) as temp:
            run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=d=0.2", "-vf", "bogus", str(temp)])
    assert os.listdir(tmp_path) == []


@posix_only
def test_atomic_output_leaves_nothing_on_cancel(tmp_path):
    final, cancel = tmp_path / "demo.mp4", CancelToken()

    def cancel_on_progress(event):
        if isinstance(event, Progress):
            cancel.cancel()

    reporter = StageReporter(cancel_on_progress, "test")
    with pytest.raises(Cancelled):
        with atomic_output(final) as temp:
            run_ffmpeg([*realtime_source(20), "-stats_period", "0.1", "-c:v", "libx264",
                        "-f", "mp4", str(temp)], expected_duration=20, reporter=reporter,
                       cancel=cancel)
    assert os.listdir(tmp_path) == []


def test_atomic_output_keeps_an_older_file_when_failing(tmp_path):
    final = tmp_path / "demo.mp4"
    final.write_bytes(b"previous render")
    with pytest.raises(RuntimeError):
        with atomic_output(final):
            raise RuntimeError("boom")
    assert final.read_bytes() == b"previous render" and os.listdir(tmp_path) == ["demo.mp4"]


def test_unwritable_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot write to .*does not exist"):
        with atomic_output(tmp_path / "missing" / "demo.mp4"):
            pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot write to .*not a folder"):
        with atomic_output(tmp_path / "file" / "demo.mp4"):
            pass


def test_output_path_must_be_an_mp4_in_a_folder(tmp_path):
    check_output_path(tmp_path / "video.mp4")
    with pytest.raises(InputError, match="must be an MP4"):
        check_output_path(tmp_path / "video.avi")
    (tmp_path / "dir.mp4").mkdir()
    with pytest.raises(InputError, match="it is a folder"):
        check_output_path(tmp_path / "dir.mp4")
    with pytest.raises(InputError, match="cannot write to"):
        check_output_path(tmp_path / "missing" / "video.mp4")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="permissions do not bind root (or work this way on Windows)")
def test_read_only_folder_is_an_input_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    with pytest.raises(InputError, match="cannot write to"):
        with atomic_output(folder / "demo.mp4"):
            pass


def test_temp_workspace_is_always_removed(tmp_path):
    with pytest.raises(ValueError):
        with temp_workspace(parent=tmp_path) as work:
            (work / "graph.txt").write_text("null")
            raise ValueError
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- probing


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    clip = folder / "clip.mp4"
    subprocess.run([*ffmpeg_argv([]), "-f", "lavfi", "-i", "testsrc2=s=160x90:r=24:d=2.5",
                    "-f", "lavfi", "-i", "sine=d=2.0", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(clip)], check=True, capture_output=True)
    return {"clip": clip, "tone": sine_audio(folder / "tone.m4a", seconds=1.5),
            "still": still_image(folder / "still.png", width=96, height=64),
            "junk": _junk(folder / "junk.mp4")}


def _junk(path: Path) -> Path:
    path.write_bytes(b"this is not a video" * 10)
    return path


def test_probe_reads_streams(media):
    info = probe(media["clip"])
    assert info.duration == pytest.approx(2.5, abs=0.05)
    video, audio = info.video, info.audio
    assert (video.codec, video.profile, video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (video.width, video.height, video.fps) == (160, 90, Fraction(24))
    assert (audio.codec, audio.sample_rate, audio.channels) == ("aac", 44100, 1)
    still = probe(media["still"])
    assert (still.video.codec, still.video.width, still.video.height) == ("png", 96, 64)
    assert probe(media["tone"]).video is None


@pytest.mark.parametrize("name", ["junk", "missing"])
def test_unreadable_files_are_input_errors(media, name):
    path = media.get(name, media["clip"].parent / "missing.mp4")
    for read in (probe, count_video_frames, stream_durations):
        with pytest.raises(InputError, match=path.name):
            read(path)


def test_frame_count_and_stream_durations(media):
    assert count_video_frames(media["clip"]) == 60
    video_s, audio_s = stream_durations(media["clip"])
    assert video_s == 2.5 and audio_s == pytest.approx(2.0, abs=1024 / 44100)
    assert stream_durations(media["tone"])[0] is None
    with pytest.raises(InputError, match="no video"):
        count_video_frames(media["tone"])


def test_detect_cuts_in_a_concatenated_clip(tmp_path):
    parts = [pattern_clip(tmp_path / "a.mp4", seconds=1, fps=30, level=70, pattern=1),
             lavfi_clip(tmp_path / "b.mp4", seconds=0.5, fps=30, width=320, height=180),
             pattern_clip(tmp_path / "c.mp4", seconds=1, fps=30, level=200, pattern=2)]
    joined = tmp_path / "joined.mp4"
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    run_ffmpeg([*inputs, "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]",
                "-map", "[v]", "-c:v", "libx264", str(joined)])
    assert detect_cuts(joined) == [30, 45]
    diffs = frame_differences(joined)
    assert len(diffs) == 75 and diffs[0] == 0


def test_published_output_has_ordinary_permissions(tmp_path):
    """The temporary file is private while written; the published video follows the umask."""
    import os
    import stat

    from mvstudio.engine.render.output import atomic_output

    final = tmp_path / "video.mp4"
    with atomic_output(final) as temp:
        assert stat.S_IMODE(os.stat(temp).st_mode) == 0o600
        temp.write_bytes(b"data")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(final).st_mode) == 0o666 & ~mask
