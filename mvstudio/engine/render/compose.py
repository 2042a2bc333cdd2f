"""Render the final video: probe what is unknown, build one command, run it, publish atomically."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Optional, Sequence

from mvstudio.engine.errors import Cancelled, InputError
from mvstudio.engine.export.subtitles import Cue, ass_text, write_sidecars
from mvstudio.engine.events import CancelToken, Sink, StageReporter, null_sink
from mvstudio.engine.model import Plan, Transition
from mvstudio.engine.render.audit import SyncAudit, audit_render, write_audit
from mvstudio.engine.render.commands import (Batch, ClipFit, ComposeCommand, Cut, Segment,
                                             clip_fits, compose, compose_batch, concat_script,
                                             join_batches, loop_restarts, plan_batches,
                                             validate_timeline)
from mvstudio.engine.render.options import RenderOptions
from mvstudio.engine.render.output import atomic_output, temp_workspace
from mvstudio.engine.render.probe import probe, stream_durations
from mvstudio.engine.render.runner import run_ffmpeg
from mvstudio.engine.timebase import to_seconds

STAGE = "render"
MAX_CLIPS_PER_GRAPH = 24  # more render in batches: a 1080p graph takes ~45 MB and a file per clip
PROBE_THREADS = 4  # sources described at once (short FFmpeg runs, mostly waiting on the file)
JOIN_SHARE = 0.01  # the progress share of joining the batches (a stream copy)
# FFmpegs run at once on batches of about equal length: one FFmpeg leaves the cores a sixth idle
# (its filter graph is one thread the encoder waits on); two kept 2 cores 1.92 busy, not 1.67.
PROCESSES = min(2, os.cpu_count() or 1)
MIN_BATCH_FRAMES = 150  # a shorter render stays one FFmpeg (a second one's start-up costs more)


@dataclass(frozen=True)
class RenderReport:
    """What was rendered; ``duration``/``audio_duration`` are measured from the output's packets."""

    path: Path
    duration: float
    audio_duration: Optional[float]
    frames: int
    clips_trimmed: int
    clips_looped: int
    transitions_applied: int
    fits: list[ClipFit]
    seconds_taken: float
    audit: Optional[SyncAudit] = None
    clips_retimed: int = 0

    @property
    def sync_drift(self) -> float:
        """Difference between the video and audio stream lengths, in seconds."""
        return abs(self.duration - (self.audio_duration or 0.0))

    def as_dict(self) -> dict:
        """Plain JSON-able values (paths as strings), including ``sync_drift``."""
        data = asdict(self)
        data["path"] = str(self.path)
        data["fits"] = [{**fit, "source": str(fit["source"])} for fit in data["fits"]]
        data["sync_drift"] = self.sync_drift
        data["audit"] = self.audit.as_dict() if self.audit is not None else None
        return data


def describe_source(segment: Segment) -> Segment:
    """``segment`` with ``source_frames``/``source_fps`` filled in from the file when missing."""
    if segment.source_frames and segment.source_fps:
        return segment
    info = probe(segment.source)
    if info.video is None:
        raise InputError(f"{segment.source.name} has no video stream")
    fps = segment.source_fps or info.video.fps
    video_seconds, _ = stream_durations(segment.source)
    seconds = video_seconds if video_seconds is not None else info.duration
    if not fps or not seconds:
        return segment
    frames = segment.source_frames or round(Fraction(seconds) * Fraction(fps))
    return replace(segment, source_frames=frames, source_fps=Fraction(fps))


class _Shares:
    """Progress of FFmpeg runs at once, each ``weights[i]`` of ``[start, start + width]`` of the
    stage."""

    def __init__(self, reporter: StageReporter, weights: Sequence[float], start: float,
                 width: float):
        self._reporter, self._weights, self._start, self._width = reporter, weights, start, width
        self._done = [0.0] * len(weights)
        self._lock = threading.Lock()

    def part(self, index: int) -> "_Part":
        return _Part(self, index)

    def update(self, index: int, fraction: float, message: str, force: bool) -> None:
        if len(self._weights) > 1:
            message = f"part {index + 1} of {len(self._weights)}: {message}"
        with self._lock:
            self._done[index] = fraction
            done = sum(w * d for w, d in zip(self._weights, self._done))
            self._reporter.update(self._start + self._width * done, message, None, force)


@dataclass(frozen=True)
class _Part:
    """The reporter of one run of ``_Shares``."""

    shares: _Shares
    index: int

    def update(self, fraction: float, message: str = "", item: Optional[str] = None,
               force: bool = False) -> None:
        self.shares.update(self.index, fraction, message, force)


def _run_graph(command: ComposeCommand, script: Path, frames: int, fps: int, reporter,
               cancel: Optional[CancelToken]) -> dict[str, str]:
    """Run ``command`` with its graph read from ``script`` (no command-line length limit)."""
    script.write_text(command.filter_graph, encoding="utf-8")
    return run_ffmpeg(command.with_script(script), expected_duration=float(to_seconds(frames, fps)),
                      reporter=reporter, cancel=cancel)


def _render_batches(segments: Sequence[Segment], transitions: Sequence[Cut],
                    batches: Sequence[Batch], audio: Path, out: Path, work: Path, *,
                    reporter: StageReporter, cancel: Optional[CancelToken], audio_bitrate: str,
                    audio_fade: float, processes: int, **encode) -> dict[str, str]:
    """Each batch encoded once into its own file in ``work``, ``processes`` at a time, then the
    files joined packet for packet (no second encode) with the song into ``out``; returns the
    join's last progress.  The first failure stops the other FFmpegs and is raised."""
    fps, total = encode["fps"], encode["total_frames"]
    song = work / "song.m4a"  # encoded by the first batch's FFmpeg, beside its pictures
    shares = _Shares(reporter, [b.frames / total for b in batches], 0.0, 1 - JOIN_SHARE)
    group = cancel.child() if cancel is not None else CancelToken()

    def run(i: int) -> Path:
        part = work / f"part{i:04d}.mp4"
        command = compose_batch(segments, transitions, batches[i], part, **encode,
                                **(dict(audio=audio, audio_out=song, audio_bitrate=audio_bitrate,
                                        audio_fade=audio_fade) if i == 0 else {}))
        try:
            _run_graph(command, work / f"graph{i:04d}.txt", batches[i].frames, fps,
                       shares.part(i), group)
        except BaseException:
            group.cancel()  # the others stop too
            raise
        return part

    with ThreadPoolExecutor(processes) as pool:
        futures = [pool.submit(run, i) for i in range(len(batches))]
    if cancel is not None:
        cancel.raise_if_cancelled()
    failures = [f.exception() for f in futures if f.exception() is not None]
    real = [e for e in failures if not isinstance(e, Cancelled)]
    if failures:
        raise (real or failures)[0]
    listing = work / "parts.txt"
    listing.write_text(concat_script([f.result() for f in futures]), encoding="utf-8")
    join = join_batches(listing, song, out, fps=fps, total_frames=total)
    return run_ffmpeg(join, expected_duration=float(to_seconds(total, fps)),
                      reporter=_Shares(reporter, [1.0], 1 - JOIN_SHARE, JOIN_SHARE).part(0),
                      cancel=cancel)


def render(segments: Sequence[Segment], transitions: Sequence[Cut], audio: Path | str,
           out_path: Path | str, *, total_frames: int, fps: int = 30, width: int = 1920,
           height: int = 1080, crf: int = 20, preset: str = "medium", audio_bitrate: str = "192k",
           fade_in_frames: int = 0, fade_out_frames: int = 0, audio_fade: float = 0.0,
           fit: str = "crop", captions_ass: Optional[str] = None, sink: Sink = null_sink,
           cancel: Optional[CancelToken] = None, max_clips: int = MAX_CLIPS_PER_GRAPH,
           processes: int = PROCESSES) -> RenderReport:
    """Compose ``segments`` over the song into ``out_path``, then audit it.

    Up to ``max_clips`` clips are one FFmpeg pass; more render in batches (``plan_batches``),
    each encoded once, joined by stream copy with the song.  With ``processes`` > 1 a render of
    at least twice ``MIN_BATCH_FRAMES`` goes in batches of about equal length, that many
    encoding at once.  Progress goes to ``sink`` as the ``render`` stage; ``out_path`` appears
    only once the video is complete (``Cancelled``/``RenderError`` leave nothing behind).  The
    sync audit of the output (``audit.audit_render``) is in the report and in
    ``NAME.audit.json`` beside it.
    ``captions_ass`` (ASS text) is burned in by the same encode.
    """
    started = time.monotonic()
    audio = Path(audio)
    validate_timeline(segments, transitions, total_frames)
    if probe(audio).audio is None:
        raise InputError(f"{audio.name} has no audio stream")
    reporter = StageReporter(sink, STAGE)
    reporter.start(f"composing {len(segments)} clips")
    with ThreadPoolExecutor(PROBE_THREADS) as pool:  # each probe is an FFmpeg process
        segments = list(pool.map(describe_source, segments))
    fits = clip_fits(segments, transitions, fps)
    parts = max(1, min(processes, total_frames // MIN_BATCH_FRAMES))
    batches = plan_batches(segments, transitions, max_clips, parts=parts,
                           fade_in_frames=fade_in_frames, fade_out_frames=fade_out_frames)
    # Scratch files (batches as big as the video) beside the output, not in a small /tmp.
    with atomic_output(out_path) as temp, \
            temp_workspace(prefix=".mvstudio-render-", parent=temp.parent) as work:
        captions = work / "captions.ass" if captions_ass else None
        if captions:
            captions.write_text(captions_ass, encoding="utf-8")
        encode = dict(fps=fps, width=width, height=height, total_frames=total_frames, crf=crf,
                      preset=preset, fade_in_frames=fade_in_frames,
                      fade_out_frames=fade_out_frames, fit=fit, captions=captions)
        if len(batches) > 1:
            last = _render_batches(segments, transitions, batches, audio, temp, work,
                                   reporter=reporter, cancel=cancel, audio_bitrate=audio_bitrate,
                                   audio_fade=audio_fade, processes=processes, **encode)
        else:
            command = compose(segments, transitions, audio, temp, audio_bitrate=audio_bitrate,
                              audio_fade=audio_fade, **encode)
            last = _run_graph(command, work / "graph.txt", total_frames, fps, reporter, cancel)
        video_seconds, audio_seconds = stream_durations(temp)
    audit = audit_render(out_path, transitions, fps=fps, video_duration=video_seconds or 0.0,
                         audio_duration=audio_seconds,
                         watch=loop_restarts(segments, transitions, fps))
    write_audit(audit, out_path)
    report = RenderReport(
        path=Path(out_path), duration=video_seconds or 0.0, audio_duration=audio_seconds,
        frames=int(last.get("frame", "0")),
        clips_trimmed=sum(f.action == "trimmed" for f in fits),
        clips_looped=sum(f.action == "looped" for f in fits),
        clips_retimed=sum(f.action == "retimed" for f in fits),
        transitions_applied=sum(t.overlap > 0 for t in transitions),
        fits=fits, seconds_taken=time.monotonic() - started, audit=audit)
    reporter.finish(f"{report.frames} frames in {report.seconds_taken:.1f} s; {audit.summary()}")
    return report


def _fade_frames(transition: Optional[Transition]) -> int:
    return transition.duration_frames if transition and transition.kind != "cut" else 0


def plan_timeline(plan: Plan, sources: dict[str, Path]
                  ) -> tuple[list[Segment], list[Cut], int, int]:
    """Segments, internal cuts and the opening/closing fade lengths (frames) of a plan.

    ``sources`` maps clip ids to their video files.  A missing transition between two clips is a
    hard cut; the opening and ending transitions, unless "cut", fade from and to black.
    """
    clips = plan.clips
    if not clips:
        raise InputError("nothing to render: the plan has no clips")
    segments = [Segment(Path(sources[c.id]), c.start_frame, c.end_frame) for c in clips]
    cuts = []
    for a, b in zip(clips, clips[1:]):
        t = plan.transition_between(a.id, b.id)
        cuts.append(Cut(b.start_frame, t.kind, t.duration_frames) if t else Cut(b.start_frame))
    fade_in = _fade_frames(plan.transition_between(None, clips[0].id))
    fade_out = _fade_frames(plan.transition_between(clips[-1].id, None))
    return segments, cuts, fade_in, fade_out


def render_timeline(plan: Plan, sources: dict[str, Path], audio: Path | str,
                    out_path: Path | str, *, total_frames: int, fps: int = 30,
                    width: int = 1920, height: int = 1080,
                    options: RenderOptions = RenderOptions(), cues: Sequence[Cue] = (),
                    sink: Sink = null_sink, cancel: Optional[CancelToken] = None) -> RenderReport:
    """``render`` for a project plan: its clips, transitions and end fades over the song, in
    the format of ``options``; the lyric ``cues`` become SRT/VTT sidecars unless
    ``options.captions == "off"`` (and are burned in, in the plan's palette, when it is "burn")."""
    width, height = options.check().size(width, height)
    segments, cuts, fade_in, fade_out = plan_timeline(plan, sources)
    burn = cues and options.captions == "burn"
    ass = ass_text(cues, width=width, height=height, palette=plan.style.palette) if burn else None
    report = render(segments, cuts, audio, out_path, total_frames=total_frames, fps=fps,
                    width=width, height=height, crf=options.crf, preset=options.x264_preset,
                    audio_fade=options.audio_fade, fit=options.fit, captions_ass=ass,
                    fade_in_frames=fade_in, fade_out_frames=fade_out, sink=sink, cancel=cancel)
    if options.captions != "off":
        write_sidecars(cues, Path(out_path))
    return report
