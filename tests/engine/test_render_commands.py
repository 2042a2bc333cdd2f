"""Pure FFmpeg command builders, tested as data: no FFmpeg runs and no file is touched."""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mvstudio.engine.errors import InputError
from mvstudio.engine.render.commands import (MOVES, Cut, Segment, animate_still, available_frames,
                                             clip_fits, compose, pulse_expr, retime_speed,
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


def xfades(graph: str) -> list[tuple[str, float, float]]:
    """(transition, duration, offset) of every xfade in a graph."""
    found = re.findall(r"xfade=transition=(\w+):duration=([\d.]+):offset=([\d.]+)", graph)
    return [(kind, float(d), float(o)) for kind, d, o in found]


def trims(graph: str) -> list[int]:
    return [int(n) for n in re.findall(r"trim=end_frame=(\d+)", graph)]


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
    assert (even.lead, even.tail) == (5, 5)
    assert (odd.lead, odd.tail) == (4, 3)  # B starts 4 before, A runs 3 past
    assert Cut(100, "cut", 12).overlap == 0


def test_segment_needs_add_overlaps_to_slots():
    segments = [seg("a", 0, 100), seg("b", 100, 190), seg("c", 190, 300)]
    cuts = [Cut(100, "crossfade", 10), Cut(190, "fadeblack", 7)]
    needs = segment_needs(segments, cuts)
    assert [(n.slot_frames, n.lead_frames, n.tail_frames) for n in needs] == \
        [(100, 0, 5), (90, 5, 3), (110, 4, 0)]
    assert [n.frames for n in needs] == [105, 98, 114]


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
    (k1, d1, o1), (k2, d2, o2) = xfades(graph)
    assert (k1, k2) == ("fade", "fadeblack")  # crossfade mixes, a plan "fade" dips to black
    assert o1 * FPS == pytest.approx(95, abs=1e-4) and d1 * FPS == pytest.approx(10, abs=1e-4)
    assert o2 * FPS == pytest.approx(186, abs=1e-4) and d2 * FPS == pytest.approx(7, abs=1e-4)
    assert trims(graph) == [105, 98, 114]


def test_hard_cuts_are_concatenated_not_faded():
    segments = [seg("a", 0, 40), seg("b", 40, 90), seg("c", 90, 150), seg("d", 150, 200)]
    cuts = [Cut(40), Cut(90, "crossfade", 8), Cut(150)]
    graph = build(segments, cuts, 200).filter_graph
    assert "[v0][v1]concat=n=2:v=1:a=0" in graph and "[v2][v3]concat=n=2:v=1:a=0" in graph
    assert len(xfades(graph)) == 1 and xfades(graph)[0][2] * FPS == pytest.approx(86, abs=1e-4)


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
    fades = iter(xfades(graph))
    for cut in cuts:
        if cut.overlap:
            _kind, duration, offset = next(fades)
            assert round(offset * FPS) == cut.at_frame - cut.lead
            assert abs(offset * FPS - (cut.at_frame - cut.lead)) < 1e-3
            assert round(duration * FPS) == cut.overlap
    needs = segment_needs(segments, cuts)
    assert trims(graph) == [n.frames for n in needs]
    # Supplied frames minus the frames shown twice during transitions fill the video exactly.
    assert sum(n.frames for n in needs) - sum(c.overlap for c in cuts) == total
