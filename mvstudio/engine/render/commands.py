"""Pure FFmpeg command builders: argument lists (no executable, no shell) and filter graphs.

Nothing here touches a file; ``runner.run_ffmpeg`` executes what these functions return.

Timeline arithmetic is in integer frames at the output rate.  A transition of ``d`` frames at cut
frame ``c`` (``d`` even: an odd length is rounded down) overlaps the two clips on
``[c - lead, c + tail)`` with ``lead = tail = d / 2``: clip A runs ``tail`` frames past the cut,
clip B starts ``lead`` frames before it.  Its mix moves from A to B in ``d`` equal steps from
frame ``c - lead`` (all A) to ``c + tail`` (all B), so its midpoint is exactly ``c``::

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


KEYFRAME_SECONDS = 2  # a keyframe this often: cheap seeking for the timeline preview


def x264_args(*, crf: int, preset: str, fps: int, keyframes: Sequence[int] = (),
              frames: int = 0) -> list[str]:
    """H.264 High, yuv420p, a keyframe every ``KEYFRAME_SECONDS``, or on exactly the frames of
    ``keyframes`` (ascending, from 0; ``place_keyframes`` over ``frames``) and nowhere else:
    then x264's own scene-cut keyframes are off too (it put them inside crossfades)."""
    args = ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
    if not keyframes:
        return [*args, "-g", str(KEYFRAME_SECONDS * fps)]
    ends = [*keyframes[1:], max(frames, keyframes[-1] + 1)]
    gap = max(b - a for a, b in zip(keyframes, ends))
    # A frame is forced when its time reaches the given one: half a frame early is exact.
    times = ",".join(f"{(k - 0.5) / fps:.6f}" for k in keyframes if k > 0)
    return [*args, *(["-force_key_frames", times] if times else []),
            "-g", str(max(gap, KEYFRAME_SECONDS * fps) + 1), "-sc_threshold", "0"]


def place_keyframes(frames: int, fps: int, blocked: Sequence[tuple[int, int]],
                    cuts: Sequence[int] = ()) -> list[int]:
    """Keyframes over ``frames``: on each hard cut of ``cuts`` (where the picture changes
    anyway; the caller leaves out those it must not take), else ``KEYFRAME_SECONDS`` after the
    last one, moved past the open frame intervals of ``blocked`` (``keyframe_free``)."""
    on_cuts = sorted(c for c in cuts if 0 < c < frames)
    keys = [0]
    while True:
        frame = keys[-1] + KEYFRAME_SECONDS * fps
        while any(a < frame < b for a, b in blocked):
            frame = max(b for a, b in blocked if a < frame < b)
        frame = next((c for c in on_cuts if keys[-1] < c <= frame), frame)
        if frame >= frames:
            return keys
        keys.append(frame)


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
        """Frames during which both clips are on screen: ``frames`` rounded down to even (an odd
        count cannot centre the transition on a frame), 0 for a hard cut."""
        return 0 if self.kind == "cut" else self.frames - self.frames % 2

    @property
    def lead(self) -> int:
        """Frames the incoming clip starts before ``at_frame``."""
        return self.overlap // 2

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
                  height: int, speed: Optional[Fraction] = None, fit: str = "crop",
                  skip: int = 0) -> str:
    """``[i:v]`` -> ``[v{i}]``: rate to ``fps``, scale and crop (or pad), first ``need`` frames.

    A ``speed`` (a retimed clip) stretches the timestamps first and holds the last frame rather
    than looping, in case the rate conversion rounds one frame short.  ``skip`` drops that many
    frames first (the rest of a clip split between two batches): frames ``skip..need - 1``.
    """
    scale = (pad_filters if fit == "pad" else cover_filters)(width, height)
    rate = [f"fps={fps}"]
    # Scale the fewer frames: before duplicating a slow source, after dropping from a fast one.
    slow = segment.source_fps is not None and Fraction(segment.source_fps) < fps
    steps = [*scale, *rate] if slow else [*rate, *scale]
    retime = [f"setpts=PTS*{speed.denominator}/{speed.numerator}"] if speed else []
    hold = ["tpad=stop_mode=clone:stop=2"] if speed else []
    start = f"start_frame={skip}:" if skip else ""
    chain = ["setpts=PTS-STARTPTS", *retime, *steps, *hold, "format=yuv420p",
             f"trim={start}end_frame={need}", "setpts=PTS-STARTPTS"]
    return f"[{index}:v]{','.join(chain)}[v{index}]"


# ``xfade`` truncates an 8-bit mix: a fade ran up to a grey level dark, and x264 coded its
# small steps late (the audit measured crossfades up to 2 frames off).  At 16 bits it is exact.
MIX_FORMAT = "yuv444p16"


def _trimmed(label: str, start: int, end: Optional[int]) -> str:
    """Frames ``start..end - 1`` of a split-off copy of a clip, timestamps from 0."""
    bounds = ":".join(([f"start_frame={start}"] if start else [])
                      + ([f"end_frame={end}"] if end is not None else []))
    return f"[{label}]trim={bounds},setpts=PTS-STARTPTS"


def _join_pieces(supplied: Sequence[int], transitions: Sequence[Cut],
                 fps: int) -> tuple[list[str], str]:
    """One concat of the clips ``[v{k}]`` (``supplied[k]`` frames each) and their transitions;
    returns graph lines and the output label.

    ``xfade`` takes no yuv420p, so FFmpeg would convert every frame passing through a chain of
    xfades to yuv444p and back.  Here only the frames two clips share go through one: each clip
    is split into its head (under the incoming transition), middle and tail (under the outgoing
    one), each transition is an ``xfade`` of a tail and the next head from offset 0, and the
    concat puts middles and transitions in order, all in yuv420p but the transitions' frames
    (mixed at 16 bits: ``MIX_FORMAT``).
    """
    ins = [0, *(t.overlap for t in transitions)]
    outs = [*(t.overlap for t in transitions), 0]
    lines, order, previous_tail = [], [], ""
    for k, (frames, head, tail) in enumerate(zip(supplied, ins, outs)):
        middle = frames - head - tail
        parts = [(name, a, b) for name, a, b, n in (("h", 0, head, head),
                                                    ("m", head, head + middle, middle),
                                                    ("t", head + middle, None, tail)) if n]
        if len(parts) == 1:  # nothing shared: the clip itself
            labels = {parts[0][0]: f"v{k}"}
        else:
            labels = {name: f"{name}{k}" for name, _a, _b in parts}
            lines.append(f"[v{k}]split={len(parts)}" + "".join(f"[{name}{k}s]"
                                                               for name, _a, _b in parts))
            lines += [f"{_trimmed(f'{name}{k}s', a, b)}"
                      f"{'' if name == 'm' else ',format=' + MIX_FORMAT}[{name}{k}]"
                      for name, a, b in parts]
        if head:
            cut = transitions[k - 1]
            lines.append(f"[{previous_tail}][{labels['h']}]xfade=transition="
                         f"{XFADE_NAMES[cut.kind]}:duration={seconds_str(cut.overlap, fps)}"
                         f":offset=0,format=yuv420p[x{k}]")
            order.append(f"x{k}")
        if middle:
            order.append(labels["m"])
        previous_tail = labels.get("t")
    if len(order) == 1:
        return lines, order[0]
    lines.append("".join(f"[{label}]" for label in order)
                 + f"concat=n={len(order)}:v=1:a=0,settb=1/{fps}[joined]")
    return lines, "joined"


def _end_fades(batch: "Batch", total_frames: int, fade_in: int, fade_out: int) -> str:
    """Fade from black over the first ``fade_in`` frames, to black over the last ``fade_out``.

    FFmpeg's ``fade`` scales frame ``s + k`` by ``k / n`` (in) or ``1 - k / n`` (out), so the first
    frame is black and, with ``s = total - fade_out - 1``, so is the last one.  ``s`` counts the
    frames of ``batch``; a batch has each fade whole or not at all (``plan_batches``).
    """
    fades = []
    if fade_in > 0 and batch.start_frame == 0:
        fades.append(f"fade=t=in:s=0:n={fade_in}")
    if fade_out > 0 and batch.end_frame == total_frames:
        start = max(total_frames - fade_out - 1 - batch.start_frame, 0)
        fades.append(f"fade=t=out:s={start}:n={fade_out}")
    return ",".join(fades) or "null"


def _burn(captions: Optional[Path], start_frame: int, fps: int) -> str:
    """libass burning ``captions`` in, its clock moved to the batch's first frame."""
    if captions is None:
        return ""
    ass = f"ass=filename={filter_path(captions)}"
    if not start_frame:
        return f",{ass}"
    return f",settb=1/{fps},setpts=PTS+{start_frame},{ass},setpts=PTS-STARTPTS"


def _add_song(args: list[str], lines: list[str], audio: Path, out: Path, *, total_frames: int,
              fps: int, bitrate: str, fade: float) -> list[str]:
    """Add ``audio`` as the next input of ``args`` and its ``_audio_chain`` to ``lines``; returns
    the output options that encode it to AAC in ``out``."""
    index = args.count("-i")
    args += ["-i", str(audio)]
    lines.append(f"[{index}:a:0]{_audio_chain(total_frames, fps, fade)}[aout]")
    return ["-map", "[aout]", *_audio_out(bitrate, total_frames, fps, out)]


def _audio_chain(total_frames: int, fps: int, fade: float) -> str:
    """Pad the song with silence; fade it in and out over ``fade`` seconds when positive."""
    if fade <= 0:
        return "apad"
    end = float(Fraction(total_frames, fps))
    fade = min(fade, end / 2)
    return (f"afade=t=in:st=0:d={fade:.6g},apad,"
            f"afade=t=out:st={max(end - fade, 0):.6g}:d={fade:.6g}")


def _audio_out(audio_bitrate: str, total_frames: int, fps: int, out: Path) -> list[str]:
    """AAC at ``audio_bitrate``, the output cut at the video's end, index up front."""
    return ["-c:a", "aac", "-b:a", audio_bitrate, "-t", seconds_str(total_frames, fps),
            "-movflags", "+faststart", str(out)]


# --------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class Piece:
    """Output frames ``[start_frame, end_frame)`` from segment ``index``: its whole slot, or the
    part of it on one side of a batch seam."""

    index: int
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class Batch:
    """Output frames ``[start_frame, end_frame)``, rendered by one graph from ``pieces``."""

    start_frame: int
    end_frame: int
    pieces: tuple[Piece, ...]

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame


def pieces_between(segments: Sequence[Segment], start: int, end: int) -> tuple[Piece, ...]:
    """The parts of ``segments`` on output frames ``[start, end)``."""
    return tuple(Piece(i, max(s.start_frame, start), min(s.end_frame, end))
                 for i, s in enumerate(segments) if s.start_frame < end and s.end_frame > start)


def piece_range(piece: Piece, segment: Segment, need: SegmentNeed) -> tuple[int, int]:
    """``(skip, end)``: the piece shows frames ``skip..end - 1`` of what its segment supplies
    (``need``, whose first ``lead_frames`` play under the incoming transition)."""
    skip = 0 if piece.start_frame == segment.start_frame else \
        need.lead_frames + piece.start_frame - segment.start_frame
    end = need.frames if piece.end_frame == segment.end_frame else \
        need.lead_frames + piece.end_frame - segment.start_frame
    return skip, end


KEYFRAME_CLEARANCE = 12  # frames kept free of keyframes after a transition or fade ends


def keyframe_free(transitions: Sequence[Cut], total_frames: int, fade_in: int, fade_out: int,
                  clearance: int = 0) -> list[tuple[int, int]]:
    """Open frame intervals where no keyframe may fall, nor a batch seam (a batch starts on one):
    a transition's frames (and its cut frame), the frame before (whose keyframe would open it)
    and ``clearance`` frames after it, and the end fades, which each batch renders whole.

    An I-frame at the start of, or inside, a fade makes x264 hold the picture on the frames after
    it (at CRF 20 its P-frames skip the small change a fade makes per frame): the fade stalls
    for two frames and then jumps.  Its P-frames also lag the fade (a fifth of the way behind
    at its end), so an I-frame just after it pops the picture the rest of the way at once;
    ``KEYFRAME_CLEARANCE`` frames later they have caught up.  Seams take no clearance: with a
    transition every second there would be no room left for them.
    """
    spans = [(c.at_frame - c.lead - 1, c.at_frame + max(c.tail, 1) + clearance)
             for c in transitions if c.overlap]
    return [*spans, (0, fade_in + (clearance if fade_in else 0)),
            (total_frames - fade_out - 1, total_frames)]


def _seam(segments: Sequence[Segment], transitions: Sequence[Cut], first: int, last: int,
          start: int, blocked: Sequence[tuple[int, int]]) -> Optional[int]:
    """Where a batch starting at frame ``start`` in segment ``first`` ends, at most after segment
    ``last``: the latest hard cut in its second half, else inside the latest clip that can be
    split (the middle of its frames outside every blocked interval); None if nothing fits."""
    def free(frame: int) -> bool:
        return frame > start and not any(a < frame < b for a, b in blocked)

    for j in range(last, first + (last - first) // 2 - 1, -1):
        if transitions[j].overlap == 0 and free(segments[j].end_frame):
            return segments[j].end_frame
    for j in range(last, first, -1):
        inside = [f for f in range(segments[j].start_frame + 1, segments[j].end_frame) if free(f)]
        if inside:
            return inside[len(inside) // 2]
    return None


def plan_batches(segments: Sequence[Segment], transitions: Sequence[Cut], max_clips: int, *,
                 parts: int = 1, fade_in_frames: int = 0,
                 fade_out_frames: int = 0) -> list[Batch]:
    """The timeline in batches of at most ``max_clips`` pieces, each rendered by its own graph.

    Seams fall on hard cuts or split a clip (the next batch continues it), never inside a
    transition or an end fade; one batch when there are at most ``max_clips`` clips.  With
    ``parts`` > 1 (FFmpegs that run at once) there are a multiple of ``parts`` batches of about
    equal length (``_even_seams``), still of at most ``max_clips`` pieces.
    """
    if max_clips < 2:
        raise InputError(f"a batch needs room for at least 2 clips, got {max_clips}")
    total = segments[-1].end_frame
    blocked = keyframe_free(transitions, total, fade_in_frames, fade_out_frames)
    by_clips = _clip_batches(segments, transitions, max_clips, blocked)
    if parts < 2:
        return by_clips
    clear = keyframe_free(transitions, total, fade_in_frames, fade_out_frames,
                          KEYFRAME_CLEARANCE)
    for count in range(parts * -(-len(by_clips) // parts), len(segments) + parts + 1, parts):
        seams = [0, *_even_seams(segments, transitions, count, blocked, clear), total]
        batches = [Batch(a, b, pieces_between(segments, a, b)) for a, b in zip(seams, seams[1:])]
        if all(len(b.pieces) <= max_clips for b in batches):
            return batches
    return by_clips


def _clip_batches(segments: Sequence[Segment], transitions: Sequence[Cut], max_clips: int,
                  blocked: Sequence[tuple[int, int]]) -> list[Batch]:
    """As few batches as ``max_clips`` allows, each ending at ``_seam``."""
    total = segments[-1].end_frame
    batches, start, first = [], 0, 0
    while len(segments) - first > max_clips:
        seam = _seam(segments, transitions, first, first + max_clips - 1, start, blocked)
        if seam is None:
            break
        batches.append(Batch(start, seam, pieces_between(segments, start, seam)))
        start = seam
        first = next(i for i, s in enumerate(segments) if s.end_frame > seam)
    batches.append(Batch(start, total, pieces_between(segments, start, total)))
    return batches


def _even_seams(segments: Sequence[Segment], transitions: Sequence[Cut], count: int,
                blocked: Sequence[tuple[int, int]],
                clear: Sequence[tuple[int, int]]) -> list[int]:
    """Seams cutting the timeline into ``count`` batches of about equal length: at each even
    split, the nearest hard cut within a quarter batch of it outside ``blocked``, else the first
    frame from it on outside ``clear`` (``blocked`` and the keyframe clearance after each fade:
    a batch starts on a keyframe), else outside ``blocked``; fewer seams when none is left."""
    total = segments[-1].end_frame
    cuts = [s.start_frame for s, t in zip(segments[1:], transitions) if t.overlap == 0]
    reach, seams = total // (4 * count), []

    def free(frame: int, spans: Sequence[tuple[int, int]]) -> bool:
        return (seams[-1] if seams else 0) < frame < total and \
            not any(a < frame < b for a, b in spans)

    for k in range(1, count):
        target = total * k // count
        near = [c for c in cuts if abs(c - target) <= reach and free(c, blocked)]
        later = (next((f for f in range(target, total) if free(f, spans)), None)
                 for spans in (clear, blocked))
        seam = min(near, key=lambda c: abs(c - target)) if near else next(
            (f for f in later if f is not None), None)
        if seam is None:
            break
        seams.append(seam)
    return seams


def batch_video(segments: Sequence[Segment], transitions: Sequence[Cut], batch: Batch, *,
                fps: int, width: int, height: int, fit: str) -> tuple[list[str], list[str], str]:
    """Input arguments, graph lines and the last label of ``batch``'s pictures.

    Each source is normalised (rate, cover-scale, crop), trimmed to the frames it must supply,
    retimed (``retime_speed``) when that avoids a loop or a visible trim, else looped
    (``-stream_loop -1``) when it is shorter, of unknown length or exact (the rate conversion
    may round one frame short).  ``_join_pieces`` puts them and their transitions in order.
    """
    needs = segment_needs(segments, transitions)
    fits = clip_fits(segments, transitions, fps)
    args: list[str] = []
    lines, supplied = [], []
    for k, piece in enumerate(batch.pieces):
        segment, need = segments[piece.index], needs[piece.index]
        skip, end = piece_range(piece, segment, need)
        supplied.append(end - skip)
        loop = fits[piece.index].action in ("looped", "unknown", "exact")
        args += [*(["-stream_loop", "-1"] if loop else []), "-i", str(segment.source)]
        lines.append(segment_chain(k, segment, end, fps=fps, width=width, height=height,
                                   speed=retime_speed(segment, need.frames, fps), fit=fit,
                                   skip=skip))
    cuts = [transitions[p.index - 1] for p in batch.pieces[1:]]
    joins, last = _join_pieces(supplied, cuts, fps)
    return args, lines + joins, last


def _picture(segments: Sequence[Segment], transitions: Sequence[Cut], batch: Batch, *,
             fps: int, width: int, height: int, total_frames: int, crf: int, preset: str,
             fade_in_frames: int, fade_out_frames: int, fit: str,
             captions: Optional[Path]) -> tuple[list[str], list[str], list[str]]:
    """``batch``'s inputs, its graph lines ending in ``[vout]`` (end fades, captions) and the
    video encoding options: exactly ``batch.frames`` frames at ``fps``."""
    args, lines, last = batch_video(segments, transitions, batch, fps=fps, width=width,
                                    height=height, fit=fit)
    fades = _end_fades(batch, total_frames, fade_in_frames, fade_out_frames)
    lines.append(f"[{last}]{fades}{_burn(captions, batch.start_frame, fps)}[vout]")
    keyframes = _batch_keyframes(transitions, batch, fps=fps, total_frames=total_frames,
                                 fade_in_frames=fade_in_frames, fade_out_frames=fade_out_frames)
    encode = ["-map", "[vout]", "-frames:v", str(batch.frames), "-r", str(fps),
              *x264_args(crf=crf, preset=preset, fps=fps, keyframes=keyframes,
                         frames=batch.frames)]
    return args, lines, encode


def _batch_keyframes(transitions: Sequence[Cut], batch: Batch, *, fps: int, total_frames: int,
                     fade_in_frames: int, fade_out_frames: int) -> list[int]:
    """``place_keyframes`` over ``batch``, in its own frames: hard cuts take one even just after
    a transition (where the clearance keeps the others away), but never in an end fade."""
    def local(clearance: int) -> list[tuple[int, int]]:
        return [(a - batch.start_frame, b - batch.start_frame) for a, b in keyframe_free(
            transitions, total_frames, fade_in_frames, fade_out_frames, clearance)]

    strict = local(0)
    hard = [cut.at_frame - batch.start_frame for cut in
            (transitions[p.index - 1] for p in batch.pieces[1:]) if not cut.overlap]
    cuts = [c for c in hard if not any(a < c < b for a, b in strict)]
    return place_keyframes(batch.frames, fps, local(KEYFRAME_CLEARANCE), cuts)


def compose(segments: Sequence[Segment], transitions: Sequence[Cut], audio: Path, out: Path, *,
            fps: int, width: int, height: int, total_frames: int, crf: int = 20,
            preset: str = "medium", audio_bitrate: str = "192k", fade_in_frames: int = 0,
            fade_out_frames: int = 0, audio_fade: float = 0.0, fit: str = "crop",
            captions: Optional[Path] = None) -> ComposeCommand:
    """One encode from the source clips and the song to the final MP4.

    The pictures are ``batch_video`` of the whole timeline.  The song is re-encoded to AAC with
    its timing untouched (silence-padded if short, faded in and out over ``audio_fade`` seconds
    if given) and the output holds exactly ``total_frames`` frames.  ``fit="pad"`` letterboxes
    instead of cropping; ``captions`` (an ASS file) are burned in by libass at the end of the
    same graph.
    """
    validate_timeline(segments, transitions, total_frames)
    whole = Batch(0, total_frames, pieces_between(segments, 0, total_frames))
    args, lines, encode = _picture(
        segments, transitions, whole, fps=fps, width=width, height=height,
        total_frames=total_frames, crf=crf, preset=preset, fade_in_frames=fade_in_frames,
        fade_out_frames=fade_out_frames, fit=fit, captions=captions)
    song = _add_song(args, lines, audio, out, total_frames=total_frames, fps=fps,
                     bitrate=audio_bitrate, fade=audio_fade)
    graph = ";\n".join(lines)
    args += ["-filter_complex", graph, *encode, *song]
    return ComposeCommand(args=args, filter_graph=graph)


def compose_batch(segments: Sequence[Segment], transitions: Sequence[Cut], batch: Batch,
                  out: Path, *, fps: int, width: int, height: int, total_frames: int,
                  crf: int = 20, preset: str = "medium", fade_in_frames: int = 0,
                  fade_out_frames: int = 0, fit: str = "crop", captions: Optional[Path] = None,
                  audio: Optional[Path] = None, audio_out: Optional[Path] = None,
                  audio_bitrate: str = "192k", audio_fade: float = 0.0) -> ComposeCommand:
    """The pictures of one batch alone, encoded exactly as ``compose`` encodes, so that
    ``join_batches`` can put the parts together without encoding them again.

    Given ``audio`` and ``audio_out``, the same FFmpeg also encodes the whole song as ``compose``
    does into ``audio_out`` (AAC), while the pictures encode, rather than after them.
    """
    args, lines, encode = _picture(
        segments, transitions, batch, fps=fps, width=width, height=height,
        total_frames=total_frames, crf=crf, preset=preset, fade_in_frames=fade_in_frames,
        fade_out_frames=fade_out_frames, fit=fit, captions=captions)
    song = []
    if audio is not None and audio_out is not None:
        song = _add_song(args, lines, audio, audio_out, total_frames=total_frames, fps=fps,
                         bitrate=audio_bitrate, fade=audio_fade)
    graph = ";\n".join(lines)
    args += ["-filter_complex", graph, *encode, "-an", str(out), *song]
    return ComposeCommand(args=args, filter_graph=graph)


def concat_script(parts: Sequence[Path]) -> str:
    """A concat demuxer list naming ``parts`` in order (quotes escaped)."""
    return "".join("file '" + p.as_posix().replace("'", "'\\''") + "'\n" for p in parts)


def join_batches(parts_list: Path, song: Path, out: Path, *, fps: int,
                 total_frames: int) -> list[str]:
    """The batch files listed in ``parts_list`` (``concat_script``) and the encoded ``song``
    (``compose_batch``'s ``audio_out``) copied packet for packet into ``out``."""
    return ["-f", "concat", "-safe", "0", "-i", str(parts_list), "-i", str(song),
            "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-t", seconds_str(total_frames, fps),
            "-movflags", "+faststart", str(out)]


def loop_restarts(segments: Sequence[Segment], transitions: Sequence[Cut], fps: int) -> list[int]:
    """Output frames where a looped source starts over (a jump in the picture nobody planned)."""
    frames: list[int] = []
    needs = segment_needs(segments, transitions)
    for segment, need, fit in zip(segments, needs, clip_fits(segments, transitions, fps)):
        if fit.action == "looped":
            first = segment.start_frame - need.lead_frames
            frames += range(first + fit.available_frames, first + need.frames,
                            fit.available_frames)
    return frames
