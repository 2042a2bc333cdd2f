"""Pure FFmpeg command builders, tested as data: no FFmpeg runs and no file is touched."""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mvstudio.engine.errors import InputError
from mvstudio.engine.render.commands import (KEYFRAME_CLEARANCE, MOVES, Cut, Piece, Segment,
                                             animate_still, available_frames, clip_fits, compose,
                                             compose_batch, concat_script, join_batches,
                                             piece_range, plan_batches, pulse_expr, retime_speed,
                                             segment_needs, validate_timeline, varied_move)

FPS = 30
NOWHERE = Path("/nonexistent-mvstudio-dir")


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch):
    """Builders must not start anything."""
    def refuse(*_a, **_k):
        raise AssertionError("a pure builder started a process")
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)


def seg(name: str, start: int, end: int, frames: int | None = None, fps: int | None = None):
    return Segment(NOWHERE / name, start, end, frames, Fraction(fps) if fps else None)


def build(segments, transitions, total, **kw):
    return compose(segments, transitions, NOWHERE / "song.wav", NOWHERE / "out.mp4", fps=FPS,
                   width=320, height=180, total_frames=total, **kw)


def xfades(graph: str) -> list[tuple[str, int, int]]:
    """(transition, frames, first output frame) of every xfade, in timeline order.

    Where a transition lands is read off the graph as FFmpeg plays it: the frames of every part
    the final concat puts before it (each clip's trim, or a transition's duration).
    """
    frames = {}
    for label, bounds, out in re.findall(r"\[([\w:]+)\][^;]*?trim=([\w=:]+),setpts=PTS-STARTPTS"
                                         r"\[(\w+)\]", graph):
        values = dict(item.split("=") for item in bounds.split(":"))
        clip = "v" + re.sub(r"\D", "", label)  # a tail ("t3s", split off [v3]) runs to its end
        end = int(values["end_frame"]) if "end_frame" in values else frames[clip]
        frames[out] = end - int(values.get("start_frame", 0))
    kinds = {}
    for kind, duration, offset, out in re.findall(
            r"xfade=transition=(\w+):duration=([\d.]+):offset=([\d.]+),format=yuv420p\[(\w+)\]",
            graph):
        assert float(offset) == 0  # a transition is its own part of the concat
        frames[out] = round(float(duration) * FPS)
        assert abs(float(duration) * FPS - frames[out]) < 1e-3
        kinds[out] = kind
    concat = re.search(r"((?:\[\w+\])+)concat=n=(\d+)", graph)
    order = re.findall(r"\[(\w+)\]", concat.group(1)) if concat else []
    found, at = [], 0
    for label in order:
        if label in kinds:
            found.append((kinds[label], frames[label], at))
        at += frames[label]
    return found


def trims(graph: str) -> list[int]:
    """Frames each source clip supplies (its chain's trim), in input order."""
    return [int(n) for n in re.findall(r"\[\d+:v\][^;]*trim=(?:start_frame=\d+:)?end_frame=(\d+)",
                                       graph)]


def value_after(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


# --------------------------------------------------------------------------- animate_still


def test_animate_still_output_contract():
    args = animate_still(NOWHERE / "a.png", NOWHERE / "a.mp4", frames=150, fps=FPS, width=1920,
                         height=1080, move="zoom_in", beat_frames=[0, 15, 30])
    assert value_after(args, "-frames:v") == "150"
    assert value_after(args, "-r") == "30" and value_after(args, "-framerate") == "30"
    assert value_after(args, "-c:v") == "libx264" and value_after(args, "-pix_fmt") == "yuv420p"
    assert args[-1] == str(NOWHERE / "a.mp4") and value_after(args, "-i") == str(NOWHERE / "a.png")
    graph = value_after(args, "-filter_complex")
    assert "scale=1920:1080:force_original_aspect_ratio=increase:flags=lanczos" in graph
    assert "crop=1920:1080" in graph and "loop=loop=149:size=1" in graph
    assert "perspective=" in graph and "eval=frame" in graph


def test_animate_still_pulses_only_beats_inside_the_clip():
    args = animate_still(NOWHERE / "a.png", NOWHERE / "a.mp4", frames=60, fps=FPS, width=320,
                         height=180, move="pan_left", beat_frames=[-5, 12, 40, 60, 90])
    graph = value_after(args, "-filter_complex")
    punched = set(map(int, re.findall(r"gte\(\(on-1\),(\d+)\)", graph)))
    flashed = set(map(int, re.findall(r"gte\(n,(\d+)\)", graph)))
    assert punched == flashed == {12, 40}


def test_animate_still_without_pulse_has_no_flash():
    args = animate_still(NOWHERE / "a.png", NOWHERE / "a.mp4", frames=30, fps=FPS, width=320,
                         height=180, move="static", beat_frames=[5], pulse=0.0)
    graph = value_after(args, "-filter_complex")
    assert "eq=" not in graph and "gte(" not in graph


def test_unknown_move_is_an_input_error():
    with pytest.raises(InputError, match="unknown camera move"):
        animate_still(NOWHERE / "a.png", NOWHERE / "a.mp4", frames=30, fps=FPS, width=320,
                      height=180, move="barrel_roll", beat_frames=[])


def test_seed_varies_the_move_deterministically():
    assert varied_move("zoom_in", 3) == varied_move("zoom_in", 3)
    zooms = {varied_move("zoom_in", seed).zoom for seed in range(5)}
    assert len(zooms) == 5
    for seed in range(5):
        for move in MOVES:
            assert min(varied_move(move, seed).zoom) >= 1.0  # never shows outside the picture


def test_pulse_expression_decays_from_each_beat():
    expr = pulse_expr("n", [3, 9], 2.0)
    assert expr == "gte(n,3)*exp(-abs(n-3)/2)+gte(n,9)*exp(-abs(n-9)/2)"
    assert pulse_expr("n", [], 2.0) == "0"


# --------------------------------------------------------------------------- timeline arithmetic


def test_transition_midpoint_sits_on_the_cut():
    even, odd = Cut(100, "crossfade", 10), Cut(100, "crossfade", 7)
    assert (even.overlap, even.lead, even.tail) == (10, 5, 5)
    assert (odd.overlap, odd.lead, odd.tail) == (6, 3, 3)  # 7 frames could not centre on 100
    assert Cut(100, "crossfade", 1).overlap == 0  # a one-frame mix is all A: a hard cut
    assert Cut(100, "cut", 12).overlap == 0


def test_segment_needs_add_overlaps_to_slots():
    segments = [seg("a", 0, 100), seg("b", 100, 190), seg("c", 190, 300)]
    cuts = [Cut(100, "crossfade", 10), Cut(190, "fadeblack", 7)]
    needs = segment_needs(segments, cuts)
    assert [(n.slot_frames, n.lead_frames, n.tail_frames) for n in needs] == \
        [(100, 0, 5), (90, 5, 3), (110, 3, 0)]
    assert [n.frames for n in needs] == [105, 98, 113]


def test_clip_fits_classify_sources():
    segments = [seg("a", 0, 120, 60, 24), seg("b", 120, 270, 225, 25), seg("c", 270, 360),
                seg("d", 360, 450, 180, 60)]
    fits = clip_fits(segments, [Cut(120), Cut(270), Cut(360)], FPS)
    assert [(f.available_frames, f.action) for f in fits] == \
        [(75, "looped"), (270, "trimmed"), (None, "unknown"), (90, "exact")]
    assert available_frames(seg("x", 0, 1, 7, 30), FPS) == 7


@pytest.mark.parametrize("segments, cuts, message", [
    ([seg("a", 0, 100), seg("b", 110, 200)], [Cut(100)], "does not join"),
    ([seg("a", 5, 100)], [], "cover frames"),
    ([seg("a", 0, 100), seg("b", 100, 200)], [], "need 1 transitions"),
    ([seg("a", 0, 100), seg("b", 100, 200)], [Cut(100, "spin", 5)], "unknown transition"),
    ([seg("a", 0, 10), seg("b", 10, 200)], [Cut(10, "crossfade", 30)], "longer than the clip"),
    ([seg("a", 0, 100), seg("b", 100, 100), seg("c", 100, 200)], [Cut(100), Cut(100)],
     "no length"),
])
def test_invalid_timelines_are_rejected(segments, cuts, message):
    with pytest.raises(InputError, match=message):
        validate_timeline(segments, cuts, 200)


def test_a_short_clip_holds_the_tail_and_lead_of_its_two_transitions():
    segments = [seg("a", 0, 100), seg("b", 100, 110), seg("c", 110, 200)]
    # 9 frames at 100 leaves 4 in b; 12 frames at 110 starts 6 before it: 4 + 6 = 10 fits.
    validate_timeline(segments, [Cut(100, "crossfade", 9), Cut(110, "crossfade", 12)], 200)
    with pytest.raises(InputError, match="longer than the clip"):
        validate_timeline(segments, [Cut(100, "crossfade", 9), Cut(110, "crossfade", 14)], 200)


# --------------------------------------------------------------------------- compose


def test_xfade_offsets_are_exact_frames():
    segments = [seg("a", 0, 100), seg("b", 100, 190), seg("c", 190, 300)]
    cuts = [Cut(100, "crossfade", 10), Cut(190, "fade", 7)]
    graph = build(segments, cuts, 300).filter_graph
    # crossfade mixes, a plan "fade" dips to black; 7 frames play as 6, centred on 190
    assert xfades(graph) == [("fade", 10, 95), ("fadeblack", 6, 187)]
    assert trims(graph) == [105, 98, 113]


def test_hard_cuts_are_concatenated_not_faded():
    segments = [seg("a", 0, 40), seg("b", 40, 90), seg("c", 90, 150), seg("d", 150, 200)]
    cuts = [Cut(40), Cut(90, "crossfade", 8), Cut(150)]
    graph = build(segments, cuts, 200).filter_graph
    assert "[v0][m1][x2][m2][v3]concat=n=5:v=1:a=0" in graph  # clips a and d pass whole
    assert xfades(graph) == [("fade", 8, 86)]


def test_compose_output_contract():
    segments = [seg("a", 0, 120, 60, 24), seg("b", 120, 300, 400, 25)]
    command = build(segments, [Cut(120)], 300, crf=23, preset="fast", audio_bitrate="160k",
                    fade_in_frames=15, fade_out_frames=20)
    args = command.args
    assert value_after(args, "-frames:v") == "300" and value_after(args, "-r") == "30"
    assert value_after(args, "-t") == "10.000000"
    assert value_after(args, "-c:v") == "libx264" and value_after(args, "-pix_fmt") == "yuv420p"
    assert value_after(args, "-crf") == "23" and value_after(args, "-preset") == "fast"
    assert value_after(args, "-c:a") == "aac" and value_after(args, "-b:a") == "160k"
    assert value_after(args, "-movflags") == "+faststart" and args[-1] == str(NOWHERE / "out.mp4")
    assert [a for i, a in enumerate(args) if i and args[i - 1] == "-map"] == ["[vout]", "[aout]"]
    graph = command.filter_graph
    assert "fade=t=in:s=0:n=15" in graph and "fade=t=out:s=279:n=20" in graph
    assert "[2:a:0]apad[aout]" in graph  # the song is input 2, after the two clips
    for label in ("[0:v]", "[1:v]"):
        chain = graph.split(label, 1)[1].split(";", 1)[0]
        assert "lanczos" in chain and "crop=320:180" in chain and "setsar=1" in chain
        assert "fps=30" in chain and "format=yuv420p" in chain


def test_sources_loop_only_when_short_or_unknown():
    segments = [seg("short", 0, 120, 60, 24), seg("long", 120, 270, 225, 25),
                seg("unknown", 270, 300)]
    args = build(segments, [Cut(120), Cut(270)], 300).args
    inputs = [i for i, a in enumerate(args) if a == "-i"]
    looped = [args[i + 1] for i in inputs if args[i - 2:i] == ["-stream_loop", "-1"]]
    assert looped == [str(NOWHERE / "short"), str(NOWHERE / "unknown")]


@pytest.mark.parametrize("frames, fps, need, action, speed", [
    (96, 24, 126, "retimed", Fraction(120, 126)),  # 4 s for 4.2 s: 4.8 % slower, no loop
    (80, 24, 126, "looped", None),  # 3.33 s for 4.2 s: too far, loops
    (132, 30, 126, "retimed", Fraction(132, 126)),  # 6 frames too many: 4.8 % faster, no trim
    (129, 30, 126, "trimmed", None),  # 3 frames too many: an invisible trim
    (140, 30, 126, "trimmed", None),  # 11 % too long: trimmed
])
def test_clips_are_retimed_within_five_percent(frames, fps, need, action, speed):
    segment = seg("a", 0, need, frames, fps)
    assert retime_speed(segment, need, FPS) == speed
    fit, = clip_fits([segment], [], FPS)
    assert (fit.action, fit.speed) == (action, round(float(speed or 1), 4))
    args = build([segment], [], need).args
    graph = value_after(args, "-filter_complex")
    assert ("setpts=PTS*" in graph) == (speed is not None) == ("tpad=" in graph)
    assert ("-stream_loop" in args) == (action == "looped")
    if speed:
        assert f"setpts=PTS*{speed.denominator}/{speed.numerator}" in graph


def test_audio_fade_is_optional_and_ends_with_the_video():
    assert "[1:a:0]apad[aout]" in build([seg("a", 0, 90)], [], 90).filter_graph
    graph = build([seg("a", 0, 90)], [], 90, audio_fade=1.0).filter_graph
    assert "[1:a:0]afade=t=in:st=0:d=1,apad,afade=t=out:st=2:d=1[aout]" in graph
    assert "afade=t=in:st=0:d=1.5," in build([seg("a", 0, 90)], [], 90, audio_fade=9).filter_graph


def test_slow_sources_are_scaled_before_the_rate_change():
    graph = build([seg("a", 0, 30, 24, 24)], [], 30).filter_graph
    assert graph.index("scale=") < graph.index("fps=30")
    graph = build([seg("a", 0, 30, 120, 60)], [], 30).filter_graph
    assert graph.index("fps=30") < graph.index("scale=")


def test_script_form_replaces_the_inline_graph():
    command = build([seg("a", 0, 30)], [], 30)
    script_args = command.with_script(Path("graph.txt"))
    assert "-filter_complex" not in script_args and command.filter_graph not in script_args
    assert value_after(script_args, "-/filter_complex") == "graph.txt"
    assert len(script_args) == len(command.args)


def test_builders_touch_no_files(tmp_path):
    missing = tmp_path / "absent"
    compose([Segment(missing / "a.mp4", 0, 30)], [], missing / "s.wav", missing / "o.mp4",
            fps=FPS, width=320, height=180, total_frames=30)
    animate_still(missing / "a.png", missing / "a.mp4", frames=30, fps=FPS, width=320,
                  height=180, move="zoom_out", beat_frames=[3])
    assert not missing.exists() and list(tmp_path.iterdir()) == []


@st.composite
def timelines(draw):
    lengths = draw(st.lists(st.integers(8, 200), min_size=1, max_size=8))
    bounds = [0]
    for n in lengths:
        bounds.append(bounds[-1] + n)
    segments = [seg(f"c{i}", a, b) for i, (a, b) in enumerate(zip(bounds, bounds[1:]))]
    cuts = []
    for i, at in enumerate(bounds[1:-1]):
        room = min(lengths[i], lengths[i + 1]) // 2
        kind = draw(st.sampled_from(["cut", "crossfade", "dissolve", "fadewhite"]))
        cuts.append(Cut(at, kind, 0 if kind == "cut" else draw(st.integers(1, room))))
    return segments, cuts, bounds[-1]


@settings(max_examples=60, deadline=None)
@given(timelines())
def test_every_transition_lands_on_its_frame(timeline):
    segments, cuts, total = timeline
    graph = build(segments, cuts, total).filter_graph
    placed = [(frames, start) for _kind, frames, start in xfades(graph)]
    assert placed == [(c.overlap, c.at_frame - c.lead) for c in cuts if c.overlap]
    needs = segment_needs(segments, cuts)
    assert trims(graph) == [n.frames for n in needs]
    # Supplied frames minus the frames shown twice during transitions fill the video exactly.
    assert sum(n.frames for n in needs) - sum(c.overlap for c in cuts) == total


# --------------------------------------------------------------------------- batches


def test_a_short_timeline_is_one_batch_of_whole_clips():
    segments = [seg("a", 0, 100), seg("b", 100, 190), seg("c", 190, 300)]
    batch, = plan_batches(segments, [Cut(100, "crossfade", 10), Cut(190)], 3)
    assert (batch.start_frame, batch.end_frame) == (0, 300)
    assert batch.pieces == (Piece(0, 0, 100), Piece(1, 100, 190), Piece(2, 190, 300))


def test_batches_split_on_hard_cuts_when_there_are_some():
    segments = [seg(f"c{i}", 30 * i, 30 * i + 30) for i in range(10)]
    cuts = [Cut(30 * i, "cut" if i in (3, 7) else "crossfade", 10) for i in range(1, 10)]
    batches = plan_batches(segments, cuts, 4)
    assert [(b.start_frame, b.end_frame) for b in batches] == [(0, 90), (90, 210), (210, 300)]
    assert [len(b.pieces) for b in batches] == [3, 4, 3]
    assert all(p.start_frame == segments[p.index].start_frame for b in batches for p in b.pieces)


def test_without_hard_cuts_a_clip_is_split_outside_its_transitions():
    segments = [seg(f"c{i}", 30 * i, 30 * i + 30) for i in range(6)]
    cuts = [Cut(30 * i, "crossfade", 10) for i in range(1, 6)]
    first, second = plan_batches(segments, cuts, 4)
    # clip 3 (frames 90-120) is crossed by transitions on 85-95 and 115-125: split at 105
    assert (first.end_frame, second.start_frame) == (105, 105)
    assert first.pieces[-1] == Piece(3, 90, 105) and second.pieces[0] == Piece(3, 105, 120)
    need = segment_needs(segments, cuts)[3]  # 5 lead + 30 slot + 5 tail
    assert piece_range(first.pieces[-1], segments[3], need) == (0, 20)
    assert piece_range(second.pieces[0], segments[3], need) == (20, 40)
    graph = compose_batch(segments, cuts, second, NOWHERE / "p.mp4", fps=FPS, width=320,
                          height=180, total_frames=180).filter_graph
    assert "trim=start_frame=20:end_frame=40" in graph and "[0:v]" in graph


def test_seams_keep_out_of_the_end_fades():
    segments = [seg(f"c{i}", 20 * i, 20 * i + 20) for i in range(6)]
    cuts = [Cut(20 * i) for i in range(1, 6)]
    batches = plan_batches(segments, cuts, 2, fade_in_frames=30, fade_out_frames=25)
    seams = [b.start_frame for b in batches[1:]]
    assert seams and all(30 <= s <= 120 - 25 - 1 for s in seams)
    assert all(len(b.pieces) <= 2 for b in batches)
    last = compose_batch(segments, cuts, batches[-1], NOWHERE / "p.mp4", fps=FPS, width=320,
                         height=180, total_frames=120, fade_in_frames=30, fade_out_frames=25)
    assert f"fade=t=out:s={94 - batches[-1].start_frame}:n=25" in last.filter_graph
    assert "fade=t=in" not in last.filter_graph


def test_a_batch_is_video_only_the_first_encodes_the_song_and_the_join_copies_them():
    segments = [seg("a", 0, 30), seg("b", 30, 60), seg("c", 60, 90)]
    batches = plan_batches(segments, [Cut(30), Cut(60)], 2)
    args = compose_batch(segments, [Cut(30), Cut(60)], batches[1], NOWHERE / "p.mp4", fps=FPS,
                         width=320, height=180, total_frames=90).args
    assert "-an" in args and "[aout]" not in args and "-c:a" not in args
    assert value_after(args, "-frames:v") == str(batches[1].frames)
    first = compose_batch(segments, [Cut(30), Cut(60)], batches[0], NOWHERE / "p.mp4", fps=FPS,
                          width=320, height=180, total_frames=90, audio=NOWHERE / "song.wav",
                          audio_out=NOWHERE / "song.m4a", audio_fade=1.0)
    pictures, song = first.args[:first.args.index(str(NOWHERE / "p.mp4")) + 1], \
        first.args[first.args.index(str(NOWHERE / "p.mp4")) + 1:]
    assert "-an" in pictures and value_after(pictures, "-map") == "[vout]"
    assert f"[{len(batches[0].pieces)}:a:0]afade=t=in" in first.filter_graph  # the song's input
    assert value_after(song, "-map") == "[aout]" and value_after(song, "-c:a") == "aac"
    assert value_after(song, "-t") == "3.000000" and song[-1] == str(NOWHERE / "song.m4a")
    join = join_batches(NOWHERE / "parts.txt", NOWHERE / "song.m4a", NOWHERE / "o.mp4", fps=FPS,
                        total_frames=90)
    assert value_after(join, "-f") == "concat" and value_after(join, "-c") == "copy"
    assert "-c:a" not in join and "-af" not in join  # nothing is encoded twice
    assert value_after(join, "-t") == "3.000000"
    assert concat_script([Path("/a/x.mp4"), Path("/b/it's.mp4")]) == \
        "file '/a/x.mp4'\nfile '/b/it'\\''s.mp4'\n"


def test_captions_keep_the_song_clock_in_every_batch():
    segments = [seg("a", 0, 30), seg("b", 30, 60), seg("c", 60, 90)]
    batches = plan_batches(segments, [Cut(30), Cut(60)], 2)
    graphs = [compose_batch(segments, [Cut(30), Cut(60)], b, NOWHERE / "p.mp4", fps=FPS,
                            width=320, height=180, total_frames=90,
                            captions=NOWHERE / "c.ass").filter_graph for b in batches]
    assert "setpts=PTS+" not in graphs[0] and "ass=filename=" in graphs[0]
    assert f"settb=1/30,setpts=PTS+{batches[1].start_frame},ass=" in graphs[1]


def test_batches_for_ffmpegs_at_once_are_about_equal():
    """36 clips of 5 s for 2 FFmpegs at once: not 24 clips then 12, but halves, the seam on a
    hard cut near the middle when there is one, else on the first frame past the crossfade
    there and its keyframe clearance; with 12 clips a batch at most, 4 batches (a multiple of
    2) of about 45 s."""
    segments = [seg(f"c{i}", 150 * i, 150 * (i + 1)) for i in range(36)]
    fades = [Cut(150 * i, "crossfade", 14) for i in range(1, 36)]
    assert [b.end_frame for b in plan_batches(segments, fades, 24)] == [3525, 5400]
    halves = plan_batches(segments, fades, 24, parts=2)
    assert [b.end_frame for b in halves] == [2707 + KEYFRAME_CLEARANCE, 5400]
    one_cut = [Cut(2550) if c.at_frame == 2550 else c for c in fades]
    assert [b.end_frame for b in plan_batches(segments, one_cut, 24, parts=2)] == [2550, 5400]
    quarters = plan_batches(segments, fades, 12, parts=2)
    assert [b.end_frame - KEYFRAME_CLEARANCE for b in quarters[:-1]] == [1357, 2707, 4057]
    assert all(len(b.pieces) <= 12 for b in quarters)


@settings(max_examples=60, deadline=None)
@given(timelines(), st.integers(2, 4), st.integers(0, 10), st.integers(0, 10),
       st.integers(1, 3))
def test_batches_tile_the_timeline_and_supply_every_frame_once(timeline, max_clips, fade_in,
                                                               fade_out, parts):
    segments, cuts, total = timeline
    batches = plan_batches(segments, cuts, max_clips, parts=parts, fade_in_frames=fade_in,
                           fade_out_frames=fade_out)
    assert batches[0].start_frame == 0 and batches[-1].end_frame == total
    assert all(a.end_frame == b.start_frame for a, b in zip(batches, batches[1:]))
    needs = segment_needs(segments, cuts)
    supplied: dict[int, list[tuple[int, int]]] = {}
    for batch in batches:
        pieces = batch.pieces
        assert pieces[0].start_frame == batch.start_frame and pieces[-1].end_frame == \
            batch.end_frame
        for p in pieces:
            supplied.setdefault(p.index, []).append(piece_range(p, segments[p.index],
                                                                needs[p.index]))
        graph = compose_batch(segments, cuts, batch, NOWHERE / "p.mp4", fps=FPS, width=320,
                              height=180, total_frames=total).filter_graph
        shown = sum(end - skip for skip, end in (piece_range(p, segments[p.index],
                                                             needs[p.index]) for p in pieces))
        overlaps = sum(cuts[p.index - 1].overlap for p in pieces[1:])
        assert shown - overlaps == batch.frames  # each batch fills its frames exactly
        for _kind, frames, start in xfades(graph):  # xfades stay on their global frames
            at = batch.start_frame + start
            assert any(c.overlap == frames and c.at_frame - c.lead == at for c in cuts)
    for index, ranges in supplied.items():  # a split clip continues where it stopped
        assert ranges[0][0] == 0 and ranges[-1][1] == needs[index].frames
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    for batch in batches[1:]:  # no seam inside a transition or an end fade
        seam = batch.start_frame
        assert fade_in <= seam and (fade_out == 0 or seam <= total - fade_out - 1)
        assert not any(c.overlap and c.at_frame - c.lead < seam < c.at_frame + max(c.tail, 1)
                       for c in cuts)
    if not fade_in and not fade_out:  # then a seam always fits
        assert all(len(b.pieces) <= max_clips for b in batches)


def forced_keyframes(args: list[str]) -> list[int]:
    """Frames ``-force_key_frames`` forces (each time is half a frame before its frame)."""
    if "-force_key_frames" not in args:
        return [0]
    times = value_after(args, "-force_key_frames").split(",")
    return [0, *(round(float(t) * FPS + 0.5) for t in times)]


@settings(max_examples=60, deadline=None)
@given(timelines(), st.integers(0, 20))
def test_keyframes_avoid_transitions_take_hard_cuts_and_come_every_two_seconds(timeline,
                                                                               fade_out):
    segments, cuts, total = timeline
    fade_out = min(fade_out, segments[-1].frames // 2)
    args = build(segments, cuts, total, fade_out_frames=fade_out).args
    keys = forced_keyframes(args)
    assert keys == sorted(set(keys)) and keys[0] == 0 and keys[-1] < total
    hard = {c.at_frame for c in cuts if not c.overlap}
    for c in cuts:
        if c.overlap:  # nothing from the frame before a transition to a while after it,
            end = c.at_frame + max(c.tail, 1)  # but a hard cut may follow it closely
            assert not any(c.at_frame - c.lead - 1 < k < end for k in keys)
            assert not any(end <= k < end + KEYFRAME_CLEARANCE and k not in hard for k in keys)
        elif total - fade_out - 1 >= c.at_frame:
            assert c.at_frame in keys
    assert not any(total - fade_out - 1 < k for k in keys)
    # A due keyframe moves only as far as the blocked frames it lands in (which may chain).
    blocked = sum(c.overlap + 2 + KEYFRAME_CLEARANCE for c in cuts if c.overlap) + fade_out + 1
    gaps = np.diff([*keys, total])
    assert gaps.max() <= 2 * FPS + blocked
    # x264 adds none of its own: not after -g frames, nor on a scene cut
    assert int(value_after(args, "-g")) > gaps.max() and value_after(args, "-sc_threshold") == "0"
