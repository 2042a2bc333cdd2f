"""Importing a photo library: formats, EXIF orientation and time, unreadable files, the thumbnail
cache keyed by content, near-duplicate groups."""

from __future__ import annotations

import shutil

import numpy as np
from PIL import Image
from photo_factory import photo, scene

from mvstudio.engine.photos import library as library_module
from mvstudio.engine.photos.library import import_library, photo_cache_dir
from mvstudio.engine.photos.phash import duplicate_groups, phash


def names(library):
    return [p.name for p in library.photos]


def test_formats_order_words_and_time(tmp_path):
    lib = tmp_path / "listing"
    (lib / "kitchen").mkdir(parents=True)
    photo(lib / "img10.jpg", 1, taken="2023:05:01 09:30:00")
    photo(lib / "img2.png", 2)
    photo(lib / "kitchen" / "IMG_0001.webp", 3, description="marble island")
    library = import_library([lib])
    assert names(library) == ["img2.png", "img10.jpg", "IMG_0001.webp"]  # natural order, folders
    assert not library.skipped
    jpeg, png, webp = library.photos[1], library.photos[0], library.photos[2]
    assert jpeg.taken == "2023-05-01T09:30:00" and png.taken == ""
    assert png.time_key  # the file's time stands in
    assert set(webp.words) >= {"listing", "kitchen", "marble", "island"}
    assert "img" not in webp.words
    assert [p.index for p in library.photos] == [0, 1, 2]


def test_exif_orientation_is_applied(tmp_path):
    stored = photo(tmp_path / "turned.jpg", 4, size=(320, 240), orientation=6)
    with Image.open(stored) as im:
        assert im.size == (240, 320)  # kept sideways in the file
    (turned,) = import_library([stored]).photos
    assert (turned.width, turned.height) == (320, 240) and turned.orientation == "landscape"
    with Image.open(turned.thumb) as thumb:
        assert thumb.size == (320, 240)
        upright = np.asarray(thumb.convert("L"), dtype=float)
    truth = np.asarray(scene(4, (320, 240)).convert("L"), dtype=float)
    assert np.abs(upright - truth).mean() < 12  # the picture the way it was taken


def test_unreadable_files_are_skipped_with_a_reason(tmp_path):
    photo(tmp_path / "good.jpg", 5)
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    (tmp_path / "notes.txt").write_text("ignored: not a picture name")
    good = (tmp_path / "good.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(good[: len(good) // 3])
    shutil.copy(tmp_path / "good.jpg", tmp_path / "zz copy.jpg")
    (tmp_path / "phone.heic").write_bytes(b"\x00\x00\x00\x18ftypheic")
    library = import_library([tmp_path])
    assert names(library) == ["good.jpg"]
    text = "\n".join(library.skipped)
    assert "skipped broken.jpg: not a readable picture" in text
    assert "skipped truncated.jpg: not a readable picture" in text
    assert "skipped zz copy.jpg: the same file as another one" in text
    if not library_module.HEIF_READABLE:
        assert "skipped phone.heic: HEIC needs the optional pillow-heif package" in text
    assert len(library.skipped) == 4


def test_measures_and_thumbnails_are_cached_by_content(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    first = photo(tmp_path / "a" / "one.jpg", 6)
    library = import_library([tmp_path / "a"])
    (one,) = library.photos
    assert one.thumb.startswith(str(photo_cache_dir()))
    assert (photo_cache_dir() / f"{one.hash}.jpg").is_file()
    calls = []
    real = library_module._measure_file
    monkeypatch.setattr(library_module, "_measure_file",
                        lambda *a: calls.append(a) or real(*a))
    (tmp_path / "b").mkdir()
    shutil.copy(first, tmp_path / "b" / "renamed.jpg")  # same bytes elsewhere: from the cache
    again = import_library([tmp_path / "b"]).photos[0]
    assert calls == [] and again.hash == one.hash and again.name == "renamed.jpg"
    assert again.sharpness == one.sharpness
    photo(tmp_path / "b" / "new.jpg", 7)
    import_library([tmp_path / "b"])
    assert len(calls) == 1  # only the new picture is measured


def test_near_duplicates_share_a_group_and_others_do_not(tmp_path):
    for seed in range(6):
        photo(tmp_path / f"s{seed}.jpg", seed)
    photo(tmp_path / "s0 blurred.jpg", 0, blur=3)
    photo(tmp_path / "s1 bright.jpg", 1, exposure=2.2)
    photo(tmp_path / "s2 cropped.jpg", 2, crop=0.04)
    photo(tmp_path / "s3 resaved.jpg", 3, quality=35)
    photo(tmp_path / "s4 bigger.png", 4, size=(1280, 960))
    library = import_library([tmp_path])
    group = {p.name: p.group for p in library.photos}
    for seed, twin in ((0, "s0 blurred.jpg"), (1, "s1 bright.jpg"), (2, "s2 cropped.jpg"),
                       (3, "s3 resaved.jpg"), (4, "s4 bigger.png")):
        assert group[twin] == group[f"s{seed}.jpg"]
    assert len({group[f"s{seed}.jpg"] for seed in range(6)}) == 6


def test_groups_join_transitively_and_hashes_are_stable():
    a = phash(scene(9).convert("L"))
    assert a == phash(scene(9).convert("L")) and len(a) == 16
    far = "ffffffffffffffff"
    assert duplicate_groups([a, a, far], [a, a, far]) == [0, 0, 2]
    assert duplicate_groups([], []) == []
    assert import_library(["/nonexistent/photos"]).photos == []  # a missing source: left out
