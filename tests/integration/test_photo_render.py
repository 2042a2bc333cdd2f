"""``mvstudio render SONG --images DIR --template property``: the best photos of a messy listing,
chosen offline, animated in the template's order (pairs moving from one photo to the other); a
template video without a song gets the template's soundtrack; bad photo options fail in one line.
"""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from PIL import Image, ImageOps
from photo_factory import rooms

from mvstudio.cli import main
from mvstudio.engine.demo import synthesize_demo
from mvstudio.engine.photos.library import import_library
from mvstudio.engine.photos.mode import photo_mode, photo_of
from mvstudio.engine.render.cuts import grey_frames
from mvstudio.engine.store.project_file import open_project

pytestmark = pytest.mark.slow
ROOMS = ["outside front", "living room", "kitchen", "bedroom", "bathroom", "garden", "dusk"]


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    path = tmp_path_factory.mktemp("song") / "song.wav"
    synthesize_demo(path, duration=14.0, bpm=120.0)
    return path


@pytest.fixture(scope="module")
def listing(tmp_path_factory):
    """Two sharp photos a room, a blurred one and a resaved near-duplicate of each."""
    return rooms(tmp_path_factory.mktemp("listing"), ROOMS, start_seed=500, size=(480, 270),
                 blurred=True, resaved=True)


def run(args: list[str], capsys) -> tuple[int, dict, str]:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(args)
    err = capsys.readouterr().err
    return code, json.loads(stdout.getvalue()) if code == 0 else {}, err


def looks_like(frame: np.ndarray, photos: dict[str, np.ndarray]) -> str:
    """The photo (by hash) whose small grey copy is nearest to ``frame``."""
    return min(photos, key=lambda h: float(np.mean((photos[h] - frame) ** 2)))


def test_the_best_photos_animated_in_the_template_order(tmp_path, song, listing, capsys):
    out, folder = tmp_path / "tour.mp4", tmp_path / "tour.mvstudio"
    code, summary, _ = run(["render", str(song), "--images", str(listing), "--template",
                            "property", "--pairs", "--size", "320x180", "-o", str(out),
                            "--project", str(folder), "--json"], capsys)
    assert code == 0 and out.is_file()
    assert summary["duration"] == pytest.approx(14.0, abs=0.05)
    with open_project(folder) as store:
        project = store.load()
    library = import_library([listing])
    by_hash = library.by_hash()
    clips = project.plan.clips
    shown = [(by_hash[photo_of(c.image_path)], by_hash[photo_of(c.last_image_path)])
             for c in clips]
    for first, last in shown:
        assert {first.name, last.name} == {"IMG_0.jpg", "IMG_1.jpg"}  # sharp, not the copy
        assert first.words == last.words  # a pair shows one room
    scenes = [photo_mode(project).choices[c.id]["scene"] for c in clips]
    keys = ["exterior_arrival", "living_spaces", "kitchen", "bedroom", "bathroom_spa",
            "outdoor", "closing_shot"]
    assert scenes == sorted(scenes, key=keys.index) and scenes[0] == "exterior_arrival"
    assert [c.move for c in clips][0] == "zoom_in"
    # the video shows them: a quarter into each clip its first photo, at the end its last
    frames = grey_frames(out, size=(32, 18)).astype(float)
    small = {}
    for p in library.photos:
        with Image.open(p.thumb) as im:
            small[p.hash] = np.asarray(ImageOps.fit(im.convert("L"), (32, 18)), dtype=float)
    for clip, (first, last) in zip(clips, shown):
        quarter = clip.start_frame + clip.frames // 4
        assert by_hash[looks_like(frames[quarter], small)].group == first.group
        late = clip.end_frame - max(2, clip.frames // 5)
        assert by_hash[looks_like(frames[late], small)].group == last.group


def test_a_template_video_without_a_song_plays_the_template(tmp_path, listing, capsys):
    out = tmp_path / "wedding.mp4"
    code, summary, _ = run(["render", "--prompt-only", "--images", str(listing), "--template",
                            "wedding", "--duration", "8", "--size", "160x90", "-o", str(out),
                            "--json"], capsys)
    assert code == 0 and out.is_file()
    assert summary["duration"] == pytest.approx(8.0, abs=0.05)
    assert summary["bpm"] == pytest.approx(92.0, abs=2.0)  # the wedding template's tempo


@pytest.mark.parametrize("args, words", [
    (["--images", "{listing}", "--template", "castle"], "unknown scene template 'castle'"),
    (["--images", "{missing}", "--template", "property"], "images folder not found"),
    (["--images", "{empty}", "--order", "time"], "no pictures in"),
])
def test_bad_photo_options_fail_in_one_line(tmp_path, song, listing, capsys, args, words):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "o.mp4"
    paths = {"listing": listing, "missing": tmp_path / "gone", "empty": tmp_path / "empty"}
    code, _, err = run(["render", str(song), "--prompt", "x", *[a.format(**paths) for a in args],
                        "-o", str(out)], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and words in lines[-1] and lines[-1].startswith("mvstudio: error: ")
    assert not out.exists()


def test_photo_options_need_images(song, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["render", str(song), "--prompt", "x", "--order", "time", "-o",
              str(tmp_path / "o.mp4")])
    assert exit_.value.code == 2 and "--order and --pairs go with --images" in \
        capsys.readouterr().err
