"""Pure FFmpeg command builders: argument lists (no executable, no shell) and filter graphs.

Nothing here touches a file; ``runner.run_ffmpeg`` executes what these functions return.

Timeline arithmetic is in integer frames at the output rate.  A transition of ``d`` frames at cut
frame ``c`` overlaps the two clips on ``[c - lead, c + tail)`` with ``lead = d - d // 2`` and
``tail = d // 2``: clip A runs ``tail`` frames past the cut, clip B starts ``lead`` frames before
it, so the midpoint of an even transition is exactly ``c``::

    A  ==========|====)             |  = cut frame c
    B       (====|==========        ( = c - lead, ) = c + tail
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional, Sequence

from mvstudio.engine.errors import InputError
from mvstudio.engine.timebase import seconds_str, to_frame

# Plan transition kind -> xfade transition ("fade" in the plan dips to black; "crossfade" mixes).
XFADE_NAMES = {
    "crossfade": "fade", "fade": "fadeblack", "fadeblack": "fadeblack", "fadewhite": "fadewhite",
    "dissolve": "dissolve", "wipeleft": "wipeleft", "slideleft": "slideleft",
    "circleopen": "circleopen",
}
CUT_KINDS = ("cut", *XFADE_NAMES)
MAX_RETIME = Fraction(5, 100)  # a clip may play up to 5 % faster or slower to fit its slot
TRIM_OK_FRAMES = 3  # trimming this many frames is invisible; more is retimed when within 5 %
PULSE_DECAY_SECONDS = 0.2  # a beat pulse falls to ~5% (three time constants) in this time
FLASH_PER_PULSE = 1.5  # brightness flash (eq units) per unit of zoom punch


def x264_args(*, crf: int, preset: str, fps: int) -> list[str]:
    """H.264 High, yuv420p, a keyframe every 2 s (cheap seeking for the timeline preview)."""
    return ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-g", str(2 * fps)]


def cover_filters(width: int, height: int) -> list[str]:
    """Scale (lanczos) to cover ``width x height``, centre-crop the overflow, square pixels."""
    return [f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=lanczos",
            f"crop={width}:{height}", "setsar=1"]


def pad_filters(width: int, height: int) -> list[str]:
    """Scale (lanczos) to fit inside ``width x height``, centred on black bars, square pixels."""
    return [f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2"
            ":flags=lanczos", f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black", "setsar=1"]


def filter_path(path: Path) -> str:
    """``path`` quoted as a filter option value (forward slashes, ``:`` escaped)."""
    text = path.as_posix()
    if "'" in text:
        raise InputError(f"FFmpeg filters cannot read a path with a quote: {text}")
    return "'" + text.replace(":", "\\:") + "'"


# --------------------------------------------------------------------------- animated stills


@dataclass(frozen=True)
class Move:
    """A Ken Burns move: zoom and window position (0..1 of the free room) from start to end."""

    zoom: tuple[float, float]
    u: tuple[float, float] = (0.5, 0.5)  # 0 = window at the left edge, 1 = at the right edge
    v: tuple[float, float] = (0.5, 0.5)  # 0 = top, 1 = bottom


MOVES: dict[str, Move] = {
    "zoom_in": Move((1.0, 1.18)),
    "zoom_out": Move((1.18, 1.0)),
    "pan_left": Move((1.12, 1.12), u=(1.0, 0.0)),
    "pan_right": Move((1.12, 1.12), u=(0.0, 1.0)),
    "pan_up": Move((1.12, 1.12), v=(1.0, 0.0)),
    "pan_down": Move((1.12, 1.12), v=(0.0, 1.0)),
    "push_diagonal": Move((1.0, 1.2), u=(0.25, 0.75), v=(0.75, 0.25)),
    "static": Move((1.04, 1.04)),
}


def varied_move(move: str, seed: int) -> Move:
    """``MOVES[move]`` with its zoom depth varied by ``seed`` (and the diagonal's direction)."""
    if move not in MOVES:
        raise InputError(f"unknown camera move {move!r}; known: {', '.join(MOVES)}")
    base, rng = MOVES[move], random.Random(seed)
    depth = rng.uniform(0.8, 1.2)
    zoom = tuple(1 + (z - 1) * depth for z in base.zoom)
    u, v = base.u, base.v
    if move == "push_diagonal":
        u = u[::-1] if rng.random() < 0.5 else u
        v = v[::-1] if rng.random() < 0.5 else v
    return Move(zoom=zoom, u=u, v=v)


def _num(value: float) -> str:
    return f"{value:.6g}"


def pulse_expr(var: str, beat_frames: Sequence[int], tau_frames: float) -> str:
    """Sum of exponential decays starting at each beat: 1 on the beat, ~0 after ``3 * tau``."""
    terms = [f"gte({var},{b})*exp(-abs({var}-{b})/{_num(tau_frames)})" for b in beat_frames]
    return "+".join(terms) or "0"


def kenburns_filter(move: Move, *, frames: int, beat_frames: Sequence[int], pulse: float,
                    tau_frames: float, offset: int = 0) -> str:
    """``perspective`` with per-frame, sub-pixel corners: the move plus a zoom punch on beats.

    ``perspective`` interpolates (cubic) at fractional source coordinates, so slow moves glide;
    ``zoompan`` and ``crop`` snap the window to whole pixels and visibly judder on slow moves.
    Its frame counter ``on`` starts at 1, hence ``on-1``; a stream that joins the clip
    ``offset`` frames in (``animate_pair``) is that far along the move.
    """
    n = f"(on-1+{offset})" if offset else "(on-1)"
    p = f"{n}/{max(frames - 1, 1)}"
    z0, z1 = move.zoom
    punch = f"(1+{_num(pulse)}*({pulse_expr(n, beat_frames, tau_frames)}))" if pulse else "1"
    zoom = f"{_num(z0)}*pow({_num(z1 / z0)},{p})*{punch}"
    u = f"({_num(move.u[0])}+{_num(move.u[1] - move.u[0])}*{p})"
    v = f"({_num(move.v[0])}+{_num(move.v[1] - move.v[0])}*{p})"
    left, top = f"{u}*(W-W/({zoom}))", f"{v}*(H-H/({zoom}))"
    right, bottom = f"{left}+W/({zoom})", f"{top}+H/({zoom})"
    corners = {"x0": left, "y0": top, "x1": right, "y1": top,
               "x2": left, "y2": bottom, "x3": right, "y3": bottom}
    options = ":".join(f"{name}='{expr}'" for name, expr in corners.items())
    return f"perspective={options}:interpolation=cubic:eval=frame"


def flash_filter(beat_frames: Sequence[int], amount: float, tau_frames: float) -> str:
    """Brightness flash on each beat, decaying like the zoom punch (``eq``'s ``n`` starts at 0)."""
    return f"eq=brightness='{_num(amount)}*({pulse_expr('n', beat_frames, tau_frames)})':eval=frame"


def animate_still(image: Path, out: Path, *, frames: int, fps: int, width: int, height: int,
                  move: str, beat_frames: Sequence[int], pulse: float = 0.04, seed: int = 0,
                  crf: int = 18, preset: str = "veryfast") -> list[str]:
    """Ken Burns clip of ``image``: exactly ``frames`` frames at ``fps``, ``width x height``, H.264.

    The still is scaled once (lanczos, cover + centre crop) and repeated by the ``loop`` filter;
    each frame is then cut out of it by ``perspective`` (sub-pixel, so slow moves do not judder).
    On each of ``beat_frames`` (offsets inside the clip) the window punches in by ``pulse`` and the
    picture flashes brighter, both decaying over ~0.2 s.
    """
    if frames < 1:
        raise InputError(f"an animated still needs at least one frame, got {frames}")
    beats = sorted({b for b in beat_frames if 0 <= b < frames})
    tau = PULSE_DECAY_SECONDS * fps / 3
    chain = [*cover_filters(width, height), "format=yuv420p",
             f"loop=loop={frames - 1}:size=1:start=0", f"settb=1/{fps}", "setpts=N",
             kenburns_filter(varied_move(move, seed), frames=frames, beat_frames=beats,
                             pulse=pulse, tau_frames=tau)]
    if beats and pulse > 0:
        chain.append(flash_filter(beats, pulse * FLASH_PER_PULSE, tau))
    return ["-framerate", str(fps), "-i", str(image),
            "-filter_complex", f"[0:v]{','.join(chain)}[v]", "-map", "[v]",
            "-frames:v", str(frames), "-r", str(fps), *x264_args(crf=crf, preset=preset, fps=fps),
            "-an", "-movflags", "+faststart", str(out)]


def animate_pair(first: Path, last: Path, out: Path, *, frames: int, fps: int, width: int,
                 height: int, move: str, beat_frames: Sequence[int], pulse: float = 0.04,
                 seed: int = 0, crf: int = 18, preset: str = "veryfast",
                 blend: float = 0.4) -> list[str]:
    """A clip that goes from ``first`` to ``last``: one continuous camera move over both, the
    last dissolving in over the middle ``blend`` of the clip (``xfade``), beats pulsing as in
    ``animate_still``::

        first  ==========\\
        last           //==========      (each still moves on along the same path)
    """
    if frames < 3:
        return animate_still(first, out, frames=frames, fps=fps, width=width, height=height,
                             move=move, beat_frames=beat_frames, pulse=pulse, seed=seed, crf=crf,
                             preset=preset)
    beats = sorted({b for b in beat_frames if 0 <= b < frames})
    tau = PULSE_DECAY_SECONDS * fps / 3
    mix = max(1, min(frames - 2, round(frames * blend)))
    start = (frames - mix) // 2
    path = varied_move(move, seed)
    chains = []
    for i, (offset, count) in enumerate(((0, start + mix), (start, frames - start))):
        chain = [*cover_filters(width, height), "format=yuv420p",
                 f"loop=loop={count - 1}:size=1:start=0", f"settb=1/{fps}", "setpts=N",
                 kenburns_filter(path, frames=frames, beat_frames=beats, pulse=pulse,
                                 tau_frames=tau, offset=offset)]
        chains.append(f"[{i}:v]{','.join(chain)}[s{i}]")
    flash = f",{flash_filter(beats, pulse * FLASH_PER_PULSE, tau)}" if beats and pulse > 0 else ""
    chains.append(f"[s0][s1]xfade=transition=fade:duration={seconds_str(mix, fps)}"
                  f":offset={seconds_str(start, fps)}{flash}[v]")
    return ["-framerate", str(fps), "-i", str(first), "-framerate", str(fps), "-i", str(last),
            "-filter_complex", ";".join(chains), "-map", "[v]", "-frames:v", str(frames),
            "-r", str(fps), *x264_args(crf=crf, preset=preset, fps=fps), "-an",
            "-movflags", "+faststart", str(out)]


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Segment:
    """A source clip placed on ``[start_frame, end_frame)`` of the output timeline.

    ``source_frames``/``source_fps`` describe the source when known (they decide trim or loop).
    """

    source: Path
    start_frame: int
    end_frame: int
    source_frames: Optional[int] = None
    source_fps: Optional[Fraction] = None

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame


@dataclass(frozen=True)
class Cut:
    """The join at ``at_frame`` between two segments; ``frames`` long unless ``kind`` is "cut"."""

    at_frame: int
    kind: str = "cut"
    frames: int = 0

    @property
    def overlap(self) -> int:
        """Frames during which both clips are on screen (0 for a hard cut)."""
        return 0 if self.kind == "cut" else self.frames

    @property
    def lead(self) -> int:
        """Frames the incoming clip starts before ``at_frame``."""
        return self.overlap - self.overlap // 2

    @property
    def tail(self) -> int:
        """Frames the outgoing clip runs past ``at_frame``."""
        return self.overlap // 2


@dataclass(frozen=True)
class SegmentNeed:
    """Frames one segment must supply: its slot plus the transition overlaps on either side."""

    slot_frames: int
    lead_frames: int  # before the slot (incoming transition)
    tail_frames: int  # after the slot (outgoing transition)

    @property
    def frames(self) -> int:
        return self.slot_frames + self.lead_frames + self.tail_frames


@dataclass(frozen=True)
class ClipFit:
    """How a source fits its need: ``exact``, ``trimmed`` (the end), ``looped``, ``retimed``
    (played at ``speed`` so that it fills the need exactly) or ``unknown``."""

    index: int
    source: Path
    needed_frames: int
    available_frames: Optional[int]
    action: str
    speed: float = 1.0


def segment_needs(segments: Sequence[Segment], transitions: Sequence[Cut]) -> list[SegmentNeed]:
    """Source frames (at the output rate) each segment must supply, in timeline order."""
    if len(transitions) != max(len(segments) - 1, 0):
        raise InputError(f"{len(segments)} clips need {max(len(segments) - 1, 0)} transitions, "
                         f"got {len(transitions)}")
    leads = [0, *(t.lead for t in transitions)]
    tails = [*(t.tail for t in transitions), 0]
    return [SegmentNeed(s.frames, lead, tail) for s, lead, tail in zip(segments, leads, tails)]


def available_frames(segment: Segment, fps: int) -> Optional[int]:
    """Frames the source yields once its rate is normalised to ``fps`` (None when unknown)."""
    if not segment.source_frames or not segment.source_fps:
        return None
    return to_frame(Fraction(segment.source_frames) / Fraction(segment.source_fps), fps)


def retime_speed(segment: Segment, need: int, fps: int) -> Optional[Fraction]:
    """Playback speed that makes the source last exactly ``need`` frames, when a retime is the
    better fit: within ``MAX_RETIME`` and instead of a loop or a trim of over ``TRIM_OK_FRAMES``."""
    have = available_frames(segment, fps)
    if have is None or not (have < need or have - need > TRIM_OK_FRAMES):
        return None
    speed = Fraction(segment.source_frames) / Fraction(segment.source_fps) / Fraction(need, fps)
    return speed if abs(speed - 1) <= MAX_RETIME else None


def clip_fits(segments: Sequence[Segment], transitions: Sequence[Cut], fps: int) -> list[ClipFit]:
    """Per segment: frames needed, frames available and whether it is trimmed, looped or retimed."""
    fits = []
    for i, (segment, need) in enumerate(zip(segments, segment_needs(segments, transitions))):
        have = available_frames(segment, fps)
        speed = retime_speed(segment, need.frames, fps)
        action = ("unknown" if have is None else "exact" if have == need.frames
                  else "retimed" if speed else "trimmed" if have > need.frames else "looped")
        fits.append(ClipFit(i, segment.source, need.frames, have, action,
                            round(float(speed or 1), 4)))
    return fits


def validate_timeline(segments: Sequence[Segment], transitions: Sequence[Cut],
                      total_frames: int) -> None:
    """``InputError`` unless the segments tile ``[0, total_frames)`` and every transition fits."""
    if not segments:
        raise InputError("nothing to render: no clips")
    if segments[0].start_frame != 0 or segments[-1].end_frame != total_frames:
        raise InputError(f"the clips cover frames {segments[0].start_frame}-"
                         f"{segments[-1].end_frame}, the video has {total_frames}")
    for seg in segments:
        if seg.frames <= 0:
            raise InputError(f"clip {seg.source.name} has no length on the timeline")
    segment_needs(segments, transitions)  # checks the number of transitions
    for a, b, cut in zip(segments, segments[1:], transitions):
        if a.end_frame != b.start_frame or cut.at_frame != a.end_frame:
            raise InputError(f"transition at frame {cut.at_frame} does not join clips ending at "
                             f"{a.end_frame} and starting at {b.start_frame}")
        if cut.kind not in CUT_KINDS or cut.frames < 0:
            raise InputError(f"unknown transition {cut.kind!r} ({cut.frames} frames)")
    # Inside its own slot a segment carries the incoming transition's tail and the outgoing
    # one's lead; they must not overlap (xfades are chained in timeline order).
    inside_after = [0, *(t.tail for t in transitions)]
    inside_before = [*(t.lead for t in transitions), 0]
    for seg, after, before in zip(segments, inside_after, inside_before):
        if after + before > seg.frames:
            raise InputError(f"transitions around frames {seg.start_frame}-{seg.end_frame} are "
                             "longer than the clip between them")


# --------------------------------------------------------------------------- compose


@dataclass(frozen=True)
class ComposeCommand:
    """FFmpeg arguments with the graph inline, and the graph itself for a script file."""

    args: list[str]
    filter_graph: str

    def with_script(self, script: Path) -> list[str]:
        """The same command reading the graph from ``script`` (``-/filter_complex FILE``)."""
        i = self.args.index("-filter_complex")
        return [*self.args[:i], "-/filter_complex", str(script), *self.args[i + 2:]]


def segment_chain(index: int, segment: Segment, need: int, *, fps: int, width: int,
                  height: int, speed: Optional[Fraction] = None, fit: str = "crop") -> str:
    """``[i:v]`` -> ``[v{i}]``: rate to ``fps``, scale and crop (or pad), first ``need`` frames.

    A ``speed`` (a retimed clip) stretches the timestamps first and holds the last frame rather
    than looping, in case the rate conversion rounds one frame short.
    """
    scale = (pad_filters if fit == "pad" else cover_filters)(width, height)
    rate = [f"fps={fps}"]
    # Scale the fewer frames: before duplicating a slow source, after dropping from a fast one.
    slow = segment.source_fps is not None and Fraction(segment.source_fps) < fps
    steps = [*scale, *rate] if slow else [*rate, *scale]
    retime = [f"setpts=PTS*{speed.denominator}/{speed.numerator}"] if speed else []
    hold = ["tpad=stop_mode=clone:stop=2"] if speed else []
    chain = ["setpts=PTS-STARTPTS", *retime, *steps, *hold, "format=yuv420p",
             f"trim=end_frame={need}", "setpts=PTS-STARTPTS"]
    return f"[{index}:v]{','.join(chain)}[v{index}]"


def _runs(transitions: Sequence[Cut]) -> list[list[int]]:
    """Segment indices grouped into runs joined by hard cuts (a run is one concat)."""
    runs = [[0]]
    for i, cut in enumerate(transitions, start=1):
        if cut.overlap:
            runs.append([i])
        else:
            runs[-1].append(i)
    return runs


def _join_runs(runs: list[list[int]], transitions: Sequence[Cut],
               fps: int) -> tuple[list[str], str]:
    """Concat each run, then xfade the runs in order; returns graph lines and the last label."""
    lines, labels = [], []
    for r, members in enumerate(runs):
        if len(members) == 1:
            labels.append(f"v{members[0]}")
            continue
        inputs = "".join(f"[v{i}]" for i in members)
        lines.append(f"{inputs}concat=n={len(members)}:v=1:a=0,settb=1/{fps}[r{r}]")
        labels.append(f"r{r}")
    current = labels[0]
    for r in range(1, len(runs)):
        cut = transitions[runs[r][0] - 1]
        offset = seconds_str(cut.at_frame - cut.lead, fps)
        duration = seconds_str(cut.overlap, fps)
        lines.append(f"[{current}][{labels[r]}]xfade=transition={XFADE_NAMES[cut.kind]}:"
                     f"duration={duration}:offset={offset}[x{r}]")
        current = f"x{r}"
    return lines, current


def _end_fades(total_frames: int, fade_in: int, fade_out: int) -> str:
    """Fade from black over the first ``fade_in`` frames, to black over the last ``fade_out``.

    FFmpeg's ``fade`` scales frame ``s + k`` by ``k / n`` (in) or ``1 - k / n`` (out), so the first
    frame is black and, with ``s = total - fade_out - 1``, so is the last one.
    """
    fades = []
    if fade_in > 0:
        fades.append(f"fade=t=in:s=0:n={fade_in}")
    if fade_out > 0:
        fades.append(f"fade=t=out:s={max(total_frames - fade_out - 1, 0)}:n={fade_out}")
    return ",".join(fades) or "null"


def _audio_chain(total_frames: int, fps: int, fade: float) -> str:
    """Pad the song with silence; fade it in and out over ``fade`` seconds when positive."""
    if fade <= 0:
        return "apad"
    end = float(Fraction(total_frames, fps))
    fade = min(fade, end / 2)
    return (f"afade=t=in:st=0:d={fade:.6g},apad,"
            f"afade=t=out:st={max(end - fade, 0):.6g}:d={fade:.6g}")


def compose(segments: Sequence[Segment], transitions: Sequence[Cut], audio: Path, out: Path, *,
            fps: int, width: int, height: int, total_frames: int, crf: int = 20,
            preset: str = "medium", audio_bitrate: str = "192k", fade_in_frames: int = 0,
            fade_out_frames: int = 0, audio_fade: float = 0.0, fit: str = "crop",
            captions: Optional[Path] = None) -> ComposeCommand:
    """One encode from the source clips and the song to the final MP4.

    Each source is normalised (rate, cover-scale, crop), trimmed to the frames it must supply,
    retimed (``retime_speed``) when that avoids a loop or a visible trim, else looped
    (``-stream_loop -1``) when it is shorter or of unknown length.  Hard cuts are concats,
    other transitions xfades whose offsets come from integer frames, so every cut lands on its
    frame.  The song is re-encoded to AAC with its timing untouched (silence-padded if short,
    faded in and out over ``audio_fade`` seconds if given) and the output holds exactly
    ``total_frames`` frames.  ``fit="pad"`` letterboxes instead of cropping; ``captions`` (an
    ASS file) are burned in by libass at the end of the same graph.
    """
    validate_timeline(segments, transitions, total_frames)
    needs = segment_needs(segments, transitions)
    fits = clip_fits(segments, transitions, fps)
    args: list[str] = []
    for segment, clip_fit in zip(segments, fits):
        # Loop when short, unknown or exact: rate conversion may round one frame short.
        loop = clip_fit.action in ("looped", "unknown", "exact")
        args += [*(["-stream_loop", "-1"] if loop else []), "-i", str(segment.source)]
    args += ["-i", str(audio)]

    lines = [segment_chain(i, s, n.frames, fps=fps, width=width, height=height,
                           speed=retime_speed(s, n.frames, fps), fit=fit)
             for i, (s, n) in enumerate(zip(segments, needs))]
    joins, last = _join_runs(_runs(transitions), transitions, fps)
    lines += joins
    burn = f",ass=filename={filter_path(captions)}" if captions else ""
    lines.append(f"[{last}]{_end_fades(total_frames, fade_in_frames, fade_out_frames)}{burn}[vout]")
    lines.append(f"[{len(segments)}:a:0]{_audio_chain(total_frames, fps, audio_fade)}[aout]")
    graph = ";\n".join(lines)

    args += ["-filter_complex", graph, "-map", "[vout]", "-map", "[aout]",
             "-frames:v", str(total_frames), "-r", str(fps),
             *x264_args(crf=crf, preset=preset, fps=fps),
             "-c:a", "aac", "-b:a", audio_bitrate, "-t", seconds_str(total_frames, fps),
             "-movflags", "+faststart", str(out)]
    return ComposeCommand(args=args, filter_graph=graph)
