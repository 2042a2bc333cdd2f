"""A first/last-frame pair made offline: one camera move over both photos, the last dissolving in
over the middle of the clip, exactly as many frames as the slot."""

from __future__ import annotations

import asyncio
import subprocess

import numpy as np
from PIL import Image

from mvstudio.engine.generation.local_clips import LocalClipMaker
from mvstudio.engine.generation.protocols import ClipRequest
from mvstudio.engine.render.commands import animate_pair, animate_still
from mvstudio.engine.render.ffmpeg import ffmpeg_exe


def test_the_pair_command_moves_both_stills_along_one_path(tmp_path):
    args = animate_pair(tmp_path / "a.png", tmp_path / "b.png", tmp_path / "out.mp4", frames=100,
                        fps=25, width=320, height=180, move="pan_left", beat_frames=[0, 50])
    graph = args[args.index("-filter_complex") + 1]
    assert args.count("-i") == 2 and args[args.index("-frames:v") + 1] == "100"
    assert "loop=loop=69:size=1" in graph and "loop=loop=69" in graph  # 30 + 40, and 100 - 30
    assert "(on-1+30)" in graph  # the last still joins the move 30 frames in
    assert "xfade=transition=fade:duration=1.600000:offset=1.200000" in graph
    assert graph.endswith("[v]") and "eq=brightness" in graph
    short = animate_pair(tmp_path / "a.png", tmp_path / "b.png", tmp_path / "o.mp4", frames=2,
                         fps=25, width=32, height=18, move="zoom_in", beat_frames=[])
    assert short == animate_still(tmp_path / "a.png", tmp_path / "o.mp4", frames=2, fps=25,
                                  width=32, height=18, move="zoom_in", beat_frames=[])


def test_the_offline_maker_goes_from_the_first_photo_to_the_last(tmp_path):
    Image.new("RGB", (192, 108), (25, 25, 25)).save(tmp_path / "first.png")
    last = Image.new("RGB", (108, 192), (230, 230, 230))  # stored sideways, EXIF says turn it
    exif = Image.Exif()
    exif[0x0112] = 6
    last.save(tmp_path / "last.jpg", exif=exif)
    request = ClipRequest("c1", "", tmp_path / "first.png", frames=45, fps=15, width=160,
                          height=90, beat_frames=(), move="zoom_in", seed=1,
                          last_image=tmp_path / "last.jpg")
    made = asyncio.run(LocalClipMaker().generate(request, tmp_path))
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(made.path), "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 90, 160)
    means = frames.mean(axis=(1, 2))
    assert len(frames) == 45
    assert means[:10].max() < 45 and means[-10:].min() > 200  # dark first, bright last
    assert np.all(np.diff(means[12:33]) > -2)  # a dissolve, no jump back
    assert (tmp_path / "c1-last.png").is_file()
    with Image.open(tmp_path / "c1-last.png") as fitted:
        assert fitted.size == (192, 108)  # upright and the still's size
