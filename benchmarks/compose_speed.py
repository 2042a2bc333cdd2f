"""Composition speed: MV Studio's one-pass render against the encode floor and MoviePy.

Builds ``--clips`` clips of ``--clip-seconds`` at 1024x576 24 fps (moving gradients under film
grain, not flat colour; ``--grain``) and a ``--song``-second song (setup, not timed), then times:
(b) our composition with crossfades on every cut to 1920x1080 at 30 fps (``render.compose``,
without its sync audit, which is timed and printed apart, as is the stream durations probe);
(a) the encode floor: a plain decode and re-encode of (b)'s own output with the same codec,
preset and video bitrate; (c) MoviePy doing the same composition (each clip resized with
Lanczos, a mask cross-fading it in over the one before, the same codec, preset, bitrate, rate
and length), when it is installed.  Targets: b/a <= 1.15 and b/c <= 0.3.  The cases are the
30 s song with 6 clips and a 3-minute song with 36 clips (``--cases``); more than
``--max-clips`` clips render in batches.  With ``--repeat N`` (b) and (a) run N times in turn and
the fastest of each counts: on a shared machine single runs of either vary by 10-15 %.  Exit
status 1 when a target is missed.

The grain decides what dominates: still grain gives generated-clip bitrates (~9 Mbit/s composed),
where MoviePy's per-frame Python work shows; ``--grain temporal`` redraws it every frame
(~160 Mbit/s), where all three are mostly x264's entropy coding and the ratios shrink to ~1.

Run: ``python benchmarks/compose_speed.py [--cases 30:6,180:36] [--preset veryfast]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mvstudio.engine.render.audit import audit_render  # noqa: E402
from mvstudio.engine.render.commands import Cut, Segment  # noqa: E402
from mvstudio.engine.render.compose import MAX_CLIPS_PER_GRAPH, render  # noqa: E402
from mvstudio.engine.render.ffmpeg import ffmpeg_exe  # noqa: E402
from mvstudio.engine.render.probe import stream_durations  # noqa: E402

FPS, XFADE_FRAMES = 30, 14  # an even length: the renderer rounds odd ones down
SIZE = (1920, 1080)  # the output; ``--size`` changes it (the fast test renders small)
TARGET_FLOOR, TARGET_MOVIEPY = 1.15, 0.3


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                   check=True)


# Film grain on the moving gradients: "static" keeps the grain still (sources ~2 Mbit/s, the
# composed 1080p ~6-8 Mbit/s, like generated clips); "temporal" redraws it every frame, which no
# encoder can predict (~160 Mbit/s at 1080p: the entropy coder then dominates every figure).
GRAIN = {"static": "noise=alls=10", "temporal": "noise=alls=5:allf=t"}


def make_media(folder: Path, clips: int, clip_seconds: float, song_seconds: float,
               source: tuple[int, int], grain: str = "static") -> tuple[list[Path], Path]:
    """``clips`` moving-gradient clips with grain at 24 fps, and a song (a chord with noise)."""
    paths = []
    for i in range(clips):
        path = folder / f"clip{i:02d}.mp4"
        _ffmpeg("-f", "lavfi", "-i", f"gradients=s={source[0]}x{source[1]}:r=24:speed=0.03:"
                f"seed={i + 1}:d={clip_seconds},{GRAIN[grain]}", "-c:v", "libx264",
                "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", str(path))
        paths.append(path)
    song = folder / "song.wav"
    _ffmpeg("-f", "lavfi", "-i", f"sine=f=220:d={song_seconds}", "-f", "lavfi", "-i",
            f"anoisesrc=a=0.05:d={song_seconds}", "-filter_complex", "amix=inputs=2", str(song))
    return paths, song


def timeline(clips: list[Path], song_seconds: float) -> tuple[list[Segment], list[Cut], int]:
    """Equal slots over the song, a crossfade at every cut."""
    total = round(song_seconds * FPS)
    edges = [round(i * total / len(clips)) for i in range(len(clips) + 1)]
    segments = [Segment(c, a, b) for c, a, b in zip(clips, edges, edges[1:])]
    return segments, [Cut(f, "crossfade", XFADE_FRAMES) for f in edges[1:-1]], total


def timed(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def ours(clips, song, out: Path, song_seconds: float, preset: str,
         max_clips: int = MAX_CLIPS_PER_GRAPH) -> tuple[float, float, float, str]:
    """(b) seconds without the audit, the audit's seconds, the stream durations probe's and the
    audit's summary."""
    segments, cuts, total = timeline(clips, song_seconds)
    whole = timed(lambda: render(segments, cuts, song, out, total_frames=total, fps=FPS,
                                 width=SIZE[0], height=SIZE[1], preset=preset,
                                 max_clips=max_clips))
    durations = []
    probe = timed(lambda: durations.extend(stream_durations(out)))
    audits = []
    audit = timed(lambda: audits.append(audit_render(out, cuts, fps=FPS,
                                                     video_duration=durations[0],
                                                     audio_duration=durations[1])))
    return whole - audit, audit, probe, audits[0].summary()


def video_kbps(path: Path, song_seconds: float) -> int:
    """Mean video bitrate of ``path`` (its size less the 192 kbit/s of audio)."""
    return max(100, round(path.stat().st_size * 8 / 1000 / song_seconds) - 192)


def floor(composed: Path, out: Path, preset: str, kbps: int) -> float:
    """(a) decode and re-encode ``composed`` with its codec, preset and video bitrate."""
    return timed(lambda: _ffmpeg("-i", str(composed), "-c:v", "libx264", "-preset", preset,
                                 "-b:v", f"{kbps}k", "-pix_fmt", "yuv420p", "-c:a", "aac",
                                 "-b:a", "192k", str(out)))


def moviepy_time(clips, song, out: Path, song_seconds: float, preset: str,
                 bitrate: str) -> float | None:
    """(c) the same composition with MoviePy 2 (None when it is not installed)."""
    try:
        from moviepy import AudioFileClip, CompositeVideoClip, VideoFileClip, vfx
    except ImportError:
        return None
    segments, cuts, total = timeline(clips, song_seconds)
    lead = {c.at_frame: c.lead for c in cuts}

    def work() -> None:
        layers = []
        for k, seg in enumerate(segments):
            start = (seg.start_frame - lead.get(seg.start_frame, 0)) / FPS
            length = (seg.end_frame + XFADE_FRAMES // 2) / FPS - start
            source = VideoFileClip(str(seg.source))
            clip = source.subclipped(0, min(length, source.duration))
            clip = clip.resized(SIZE).with_start(start)
            if k:
                clip = clip.with_effects([vfx.CrossFadeIn(XFADE_FRAMES / FPS)])
            layers.append(clip)
        video = CompositeVideoClip(layers, size=SIZE).with_duration(total / FPS)
        video.with_audio(AudioFileClip(str(song))).write_videofile(
            str(out), fps=FPS, codec="libx264", preset=preset, bitrate=bitrate,
            audio_codec="aac", audio_bitrate="192k", threads=2, logger=None)
    return timed(work)


def run_case(folder: Path, song_seconds: float, clips: int, clip_seconds: float,
             source: tuple[int, int], preset: str, use_moviepy: bool, grain: str = "static",
             max_clips: int = MAX_CLIPS_PER_GRAPH, repeat: int = 1) -> bool:
    media, song = make_media(folder, clips, clip_seconds, song_seconds, source, grain)
    composed = folder / "ours.mp4"
    runs_b, runs_a = [], []
    for _ in range(repeat):
        b, audit, probe, sync = ours(media, song, composed, song_seconds, preset, max_clips)
        kbps = video_kbps(composed, song_seconds)
        runs_b.append(b)
        runs_a.append(floor(composed, folder / "floor.mp4", preset, kbps))
    b, a = min(runs_b), min(runs_a)
    c = moviepy_time(media, song, folder / "moviepy.mp4", song_seconds, preset,
                     f"{kbps}k") if use_moviepy else None
    print(f"case: {song_seconds:g} s song, {clips} clips of {clip_seconds:g} s "
          f"{source[0]}x{source[1]}@24 ({grain} grain) -> {SIZE[0]}x{SIZE[1]}@{FPS}, preset "
          f"{preset}, {kbps} kbit/s video")
    print(f"  (b) composition: {b:.2f} s{_runs(runs_b)}  (sync audit {audit:.2f} s, not "
          f"included; stream durations probe {probe:.2f} s)")
    print(f"  {sync}")
    print(f"  (a) encode floor: {a:.2f} s{_runs(runs_a)}")
    ok = b / a <= TARGET_FLOOR
    print(f"  b/a = {b / a:.2f}  (target <= {TARGET_FLOOR})  {'OK' if ok else 'MISSED'}")
    if c is None:
        print("  (c) skipped: moviepy not installed" if use_moviepy else "  (c) skipped")
        return ok
    print(f"  (c) MoviePy: {c:.2f} s")
    print(f"  b/c = {b / c:.2f}  (target <= {TARGET_MOVIEPY})  "
          f"{'OK' if b / c <= TARGET_MOVIEPY else 'MISSED'}")
    return ok and b / c <= TARGET_MOVIEPY


def _runs(seconds: list[float]) -> str:
    """`` (fastest of 8.1, 7.9, 8.4)`` for repeated runs, else nothing."""
    return f" (fastest of {', '.join(f'{s:.2f}' for s in seconds)})" if len(seconds) > 1 else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="30:6,180:36", help="song seconds:clips, comma separated")
    parser.add_argument("--clip-seconds", type=float, default=5.5)
    parser.add_argument("--source", default="1024x576", help="clip size WxH")
    parser.add_argument("--size", default="1920x1080", help="output size WxH")
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--no-moviepy", action="store_true", help="skip (c)")
    parser.add_argument("--grain", choices=sorted(GRAIN), default="static",
                        help="clip texture: static grain (default) or temporal noise")
    parser.add_argument("--max-clips", type=int, default=MAX_CLIPS_PER_GRAPH,
                        help="clips per FFmpeg graph before the render goes in batches")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time (b) and (a) this many times in turn; the fastest counts")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # each case's lines as soon as it is timed
    source = tuple(int(v) for v in args.source.split("x"))
    global SIZE
    SIZE = tuple(int(v) for v in args.size.split("x"))
    ok = True
    for case in args.cases.split(","):
        seconds, clips = case.split(":")
        with tempfile.TemporaryDirectory(prefix="compose-bench-") as tmp:
            ok &= run_case(Path(tmp), float(seconds), int(clips), args.clip_seconds, source,
                           args.preset, not args.no_moviepy, args.grain, args.max_clips,
                           max(args.repeat, 1))
    print("OK" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
