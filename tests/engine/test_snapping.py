"""Snapping a dragged cut to sections, downbeats and beats."""

from mvstudio.engine.snapping import SnapGrid, Snapper

GRID = SnapGrid(beats=tuple(range(0, 600, 15)), downbeats=tuple(range(0, 600, 60)),
                sections=(0, 240, 480))


def test_strongest_line_within_tolerance_wins():
    snapper = Snapper(GRID, tolerance=6)
    assert snapper.snap(236).frame == 240 and snapper.snap(236).kind == "sections"
    assert snapper.snap(124).frame == 120 and snapper.snap(124).kind == "downbeats"
    assert snapper.snap(97).frame == 90 and snapper.snap(97).kind == "beats"


def test_far_from_strong_lines_the_nearest_beat_is_taken():
    snapper = Snapper(GRID, tolerance=2)
    result = snapper.snap(98)
    assert result.frame == 105 and result.kind == "beats"


def test_shift_override_and_disabled_snapping_keep_the_frame():
    assert Snapper(GRID).snap(97, override=True).frame == 97
    assert Snapper(GRID, enabled=set()).snap(97).kind is None
    only_downbeats = Snapper(GRID, enabled={"downbeats"}, tolerance=6)
    assert only_downbeats.snap(97).frame == 120


def test_snapping_stays_inside_the_allowed_interval():
    snapper = Snapper(GRID, tolerance=6)
    assert snapper.snap(236, within=(200, 240)).frame == 225
    assert snapper.snap(50, within=(0, 30)).frame == 15
