"""Offline selection on synthetic libraries: sharp, well exposed, never two near-duplicates, in
the order asked for, pairs from the same run or scene, templates matched by folder names."""

from __future__ import annotations

import pytest
from photo_factory import photo, rooms

from mvstudio.engine.photos.library import import_library
from mvstudio.engine.photos.quality import crop_of
from mvstudio.engine.photos.selection import Slot, choose, rate
from mvstudio.engine.photos.templates import get_template

FRAME = (320, 180)


def slots(n: int) -> list[Slot]:
    return [Slot(f"c{i}") for i in range(n)]


def picked(library, selection) -> list[str]:
    names = {p.hash: p.name for p in library.photos}
    return [names[c.first] for c in selection.choices]


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """Eight good photos, each with a bad twin beside it (blurred, blown out, nearly black or a
    soft crop), taken in the reverse of their name order."""
    folder = tmp_path_factory.mktemp("messy")
    bad = [dict(blur=3.0), dict(exposure=2.6), dict(exposure=0.15), dict(crop=0.03, blur=2.5)]
    for i in range(8):
        stamp = f"2024:06:01 12:{59 - i:02d}:00"
        photo(folder / f"a{i}.jpg", 100 + i, taken=stamp)
        photo(folder / f"a{i} twin.jpg", 100 + i, taken=stamp, **bad[i % 4])
    for i in range(3):  # blurry photos of their own: not twins of anything
        photo(folder / f"z{i} shaky.jpg", 200 + i, blur=4.0)
    return import_library([folder])


def test_quality_flags_the_bad_ones_and_only_them(messy):
    rated = rate(messy, *FRAME)
    flags = {p.name: rated[p.hash].flags for p in messy.photos}
    assert all(flags[f"a{i}.jpg"] == () for i in range(8))
    assert flags["a0 twin.jpg"] == ("blurry",) and flags["z0 shaky.jpg"] == ("blurry",)
    assert flags["a1 twin.jpg"] == ("too bright",)
    assert "too dark" in flags["a2 twin.jpg"]
    assert "blurry" in flags["a3 twin.jpg"]
    good, twin = (rated[next(p.hash for p in messy.photos if p.name == n)]
                  for n in ("a0.jpg", "a0 twin.jpg"))
    assert good.total > twin.total and good.reason().startswith("sharp, well exposed")


@pytest.mark.parametrize("order, runs", [
    ("given", [(0, 1), (2, 3), (4, 5), (6, 7)]),
    ("time", [(7, 6), (5, 4), (3, 2), (1, 0)]),
])
def test_the_best_in_the_order_asked_for(messy, order, runs):
    selection = choose(messy, slots(4), *FRAME, order=order)
    chosen = picked(messy, selection)
    assert len(chosen) == 4 and not selection.notes
    assert all("twin" not in n and "shaky" not in n for n in chosen)
    keys = {p.name: (p.time_key if order == "time" else p.index) for p in messy.photos}
    assert [keys[n] for n in chosen] == sorted(keys[n] for n in chosen)  # in order
    for name, run in zip(chosen, runs):  # one from each run: spread over the whole library
        assert name in {f"a{i}.jpg" for i in run}


def test_never_two_near_duplicates_and_bad_ones_only_when_nothing_else_is_left(messy):
    every = choose(messy, slots(8), *FRAME)
    assert sorted(picked(messy, every)) == [f"a{i}.jpg" for i in range(8)]
    more = choose(messy, slots(10), *FRAME)  # 8 good + 3 shaky groups: two shaky ones needed
    names = picked(messy, more)
    assert len(set(names)) == 10 and sum("shaky" in n for n in names) == 2
    assert not any("twin" in n for n in names)
    groups = [p.group for p in messy.photos if p.name in names]
    assert len(set(groups)) == len(groups)


def test_excluded_and_kept_photos_stay_out(messy):
    by_name = {p.name: p.hash for p in messy.photos}
    selection = choose(messy, slots(5), *FRAME, excluded=[by_name["a0.jpg"]],
                       taken=[by_name["a1 twin.jpg"]])  # a locked clip shows a1's twin
    names = picked(messy, selection)
    assert "a0.jpg" not in names and "a1.jpg" not in names
    assert "a0 twin.jpg" not in names  # the twin of an excluded photo is still chosen last


def test_too_few_photos_are_used_again_with_a_note(tmp_path):
    for i in range(2):
        photo(tmp_path / f"p{i}.jpg", i)
    library = import_library([tmp_path])
    selection = choose(library, slots(5), *FRAME)
    assert picked(library, selection) == ["p0.jpg", "p1.jpg", "p0.jpg", "p1.jpg", "p0.jpg"]
    assert "used more than once" in selection.notes[0]
    assert choose(library, [], *FRAME).choices == []


def test_pairs_come_from_the_same_run_in_order(messy):
    selection = choose(messy, slots(3), *FRAME, order="time", pairs=True)
    index = {p.hash: p for p in messy.photos}
    for choice in selection.choices:
        first, last = index[choice.first], index[choice.last]
        assert first.time_key <= last.time_key and not {"twin", "shaky"} & set(
            first.name.split() + last.name.split())
    runs = [(index[c.first].time_key, index[c.last].time_key) for c in selection.choices]
    assert all(a[1] <= b[0] for a, b in zip(runs, runs[1:]))  # runs do not interleave
    alone = choose(messy, slots(5), *FRAME, pairs=True)  # 8 good photos, 10 wanted
    assert all(c.last == "" for c in alone.choices) and "one photo per clip" in alone.notes[0]


def test_aspect_fit_follows_the_frame(tmp_path):
    photo(tmp_path / "wide.jpg", 1, size=(640, 360))
    photo(tmp_path / "tall.jpg", 2, size=(360, 640))
    library = import_library([tmp_path])
    landscape = rate(library, 320, 180)
    portrait = rate(library, 180, 320)
    wide, tall = (next(p.hash for p in library.photos if p.name == n) for n in ("wide.jpg",
                                                                                "tall.jpg"))
    assert landscape[wide].aspect == 1.0 and landscape[tall].aspect < 0.35
    assert portrait[tall].aspect == 1.0 and portrait[wide].aspect < 0.35
    assert picked(library, choose(library, slots(1), 320, 180)) == ["wide.jpg"]
    assert picked(library, choose(library, slots(1), 180, 320)) == ["tall.jpg"]
    assert crop_of(4000, 3000, 1920, 1080) == (4000, 0.75)


@pytest.fixture(scope="module")
def house(tmp_path_factory):
    """A listing in room folders, in a muddled order; each room has a blurred shot too."""
    return import_library([rooms(tmp_path_factory.mktemp("listing"), [
        "garden", "bathroom", "kitchen", "front of house", "bedroom", "lounge", "sunset"],
        start_seed=300, size=(640, 480), blurred=True)])


def test_a_template_orders_the_rooms_and_matches_them_by_name(house):
    template = get_template("property")
    selection = choose(house, [Slot(f"c{i}", s) for i, s in enumerate(template.scenes)], *FRAME)
    index = {p.hash: p for p in house.photos}
    rooms = [index[c.first].words for c in selection.choices]
    expected = [{"front", "house"}, {"lounge"}, {"kitchen"}, {"bedroom"}, {"bathroom"},
                {"garden"}, {"sunset"}]
    assert all(want <= set(words) for want, words in zip(expected, rooms)), rooms
    assert all(index[c.first].name != "IMG_9.jpg" for c in selection.choices)  # not the blurred
    assert [c.scene for c in selection.choices] == [s.key for s in template.scenes]
    assert selection.choices[2].reason.startswith("Kitchen: named kitchen; sharp")


def test_template_pairs_show_the_same_scene(house):
    template = get_template("property")
    chosen = choose(house, [Slot(f"c{i}", s) for i, s in enumerate(template.scenes)], *FRAME,
                    pairs=True)
    index = {p.hash: p for p in house.photos}
    for choice in chosen.choices:
        first, last = index[choice.first], index[choice.last]
        assert first.words == last.words and {first.name, last.name} == {"IMG_0.jpg", "IMG_1.jpg"}


def test_a_vision_ranking_comes_before_the_offline_match(house):
    template = get_template("property")
    sunset = next(p for p in house.photos if "sunset" in p.words and p.name == "IMG_1.jpg")
    ranking = {"exterior_arrival": {sunset.hash: (0.9, "a glowing facade at dusk")}}
    selection = choose(house, [Slot("c0", template.scenes[0])], *FRAME, ranking=ranking)
    (choice,) = selection.choices
    assert choice.first == sunset.hash
    assert choice.reason == "Exterior arrival: a glowing facade at dusk"
    assert 0.45 <= choice.score <= 0.9
