"""Output formats, the preview mode and lyric captions, on real short renders."""

from __future__ import annotations

import numpy as np
import pytest

from media_factory import pattern_clip, sine_audio, split_clip
from mvstudio.cli import main
from mvstudio.engine.errors import InputError
from mvstudio.engine.export.subtitles import ass_text, caption_colours
from mvstudio.engine.model import ClipScript, Plan
from mvstudio.engine.render.commands import Segment
from mvstudio.engine.render.compose import render, render_timeline
from mvstudio.engine.render.cuts import grey_frames
from mvstudio.engine.render.options import RenderOptions
from mvstudio.engine.render.probe import count_video_frames, probe

pytestmark = pytest.mark.slow
FPS, TOTAL = 30, 60
FAST = dict(preset="ultrafast")
CUES = [(0.5, 1.2, "Hello world")]


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    return {"a": pattern_clip(d / "a.mp4", seconds=1, fps=FPS, level=70, pattern=1),
            "b": pattern_clip(d / "b.mp4", seconds=1, fps=FPS, level=170, pattern=2),
            "song": sine_audio(d / "song.m4a", seconds=TOTAL / FPS)}


def _render(media, out, options, **kw):
    plan = Plan([ClipScript(0, 30, id="a"), ClipScript(30, TOTAL, id="b")])
    plan.style.palette = ["#202040", "#F0E0A0"]
    return render_timeline(plan, {"a": media["a"], "b": media["b"]}, media["song"], out,
                           total_frames=TOTAL, fps=FPS, options=options, **kw)


def _size(path):
    video = probe(path).video
    return video.width, video.height


def test_options_sizes_and_defaults():
    assert RenderOptions().size(1280, 720) == (1280, 720)  # the project size, as before
    assert RenderOptions(aspect="9:16").size(1280, 720) == (1080, 1920)
    assert RenderOptions(aspect="1:1").size(1280, 720) == (1080, 1080)
    assert RenderOptions(preview=True).size(1920, 1080) == (640, 360)
    assert RenderOptions(aspect="9:16", preview=True).size(1920, 1080) == (360, 640)
    assert RenderOptions(preview=True).size(320, 180) == (320, 180)  # never scaled up
    assert RenderOptions(preview=True).x264_preset == "veryfast"
    assert (RenderOptions().crf, RenderOptions().preset, RenderOptions().audio_fade) == \
        (20, "medium", 0.0)


@pytest.mark.parametrize("bad, word", [(dict(aspect="4:3"), "aspect"), (dict(fit="zoom"), "fit"),
                                       (dict(crf=60), "quality"), (dict(audio_fade=-1), "fade"),
                                       (dict(captions="x"), "captions")])
def test_bad_options_are_input_errors(bad, word):
    with pytest.raises(InputError, match=word):
        RenderOptions(**bad).check()


@pytest.mark.parametrize("flag, value", [("--aspect", "4:3"), ("--fit", "zoom"),
                                         ("--quality", "99"), ("--audio-fade", "-2"),
                                         ("--captions", "yes")])
def test_cli_rejects_bad_format_values(tmp_path, capsys, flag, value):
    out = tmp_path / "o.mp4"
    code = main(["render", str(tmp_path / "song.wav"), "--prompt", "x", "-o", str(out),
                 flag, value])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("mvstudio: error: "), err
    assert flag.strip("-").split("-")[-1] in err[0] or "quality" in err[0]
    assert not out.exists()


def test_portrait_and_square_outputs(tmp_path, media):
    portrait = _render(media, tmp_path / "p.mp4", RenderOptions(aspect="9:16", **FAST))
    square = _render(media, tmp_path / "s.mp4", RenderOptions(aspect="1:1", preview=True))
    assert _size(portrait.path) == (1080, 1920) and _size(square.path) == (360, 360)
    assert portrait.frames == square.frames == TOTAL


def test_pad_letterboxes_in_black(tmp_path):
    source = split_clip(tmp_path / "split.mp4", seconds=1, fps=25, levels=(60, 128, 225))
    song = sine_audio(tmp_path / "song.wav", seconds=1.0)
    out = tmp_path / "pad.mp4"
    render([Segment(source, 0, 30)], [], song, out, total_frames=30, fps=FPS, width=180,
           height=180, fit="pad", **FAST)
    frame = grey_frames(out, size=(180, 180))[15].astype(np.float64)
    # 320x180 fitted inside 180x180 is 180x102 (rounded even), with 39 black rows above and below
    assert frame[:35].max() < 20 and frame[-35:].max() < 20
    middle = frame[90]
    assert abs(middle[25] - 60) < 15 and abs(middle[90] - 128) < 15 and abs(middle[155] - 225) < 15


def test_preview_is_small_frame_exact_and_audited(tmp_path, media):
    report = _render(media, tmp_path / "preview.mp4", RenderOptions(preview=True),
                     width=1920, height=1080)
    assert _size(report.path) == (640, 360)
    assert count_video_frames(report.path) == TOTAL == report.frames
    assert report.audit.ok and [c.measured for c in report.audit.cuts] == [30]


def test_captions_sidecars_and_burn_in(tmp_path, media):
    plain = _render(media, tmp_path / "plain.mp4", RenderOptions(**FAST), width=320, height=180,
                    cues=CUES)
    burned = _render(media, tmp_path / "burned.mp4", RenderOptions(captions="burn", **FAST),
                     width=320, height=180, cues=CUES)
    srt = (tmp_path / "plain.srt").read_text()
    assert srt == "1\n00:00:00,500 --> 00:00:01,200\nHello world\n\n"
    assert "00:00:00.500 --> 00:00:01.200\nHello world" in (tmp_path / "plain.vtt").read_text()
    assert (tmp_path / "burned.srt").exists() and burned.audit.ok
    a = grey_frames(plain.path, size=(320, 180)).astype(np.float64)
    b = grey_frames(burned.path, size=(320, 180)).astype(np.float64)
    diff = np.abs(a - b)
    assert diff[24, 120:].max() > 60  # 0.8 s: the line is drawn in the lower third
    assert diff[24, :100].mean() < 2  # and nowhere above it
    assert diff[50].mean() < 2 and diff[5].mean() < 2  # no caption outside the lyric's time


def test_render_without_lyrics_writes_no_sidecars(tmp_path, media):
    report = _render(media, tmp_path / "v.mp4", RenderOptions(preview=True))
    assert not report.path.with_suffix(".srt").exists()


def test_ass_caption_style_follows_the_palette():
    assert caption_colours(["#202040", "#F0E0A0"]) == ("#F0E0A0", "#202040")
    assert caption_colours([]) == ("#FFFFFF", "#000000")
    text = ass_text([(0, 2, "a"), (1, 3, "b {x}")], width=1920, height=1080,
                    palette=["#202040", "#F0E0A0"])
    assert "&H00A0E0F0" in text and "&H00402020" in text  # text and outline colours (BGR)
    dialogue = [line for line in text.splitlines() if line.startswith("Dialogue")]
    assert dialogue[0].split(",")[2] == "0:00:01.00"  # one line at a time
    assert dialogue[1].endswith("b (x)")
