"""The timeline view: builds for any project, zooms and scrolls, drags cuts with snapping, selects
clips, seeks, shows clip states, repaints only what changed; screenshots for a human look."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from benchmarks.ui_responsiveness import SR, synthetic_project, synthetic_song, thumbnails  # noqa: E402
from mvstudio.engine.model import Project, Song  # noqa: E402
from mvstudio.engine.timebase import to_frame  # noqa: E402
from mvstudio.engine.waveform import Envelope  # noqa: E402
from mvstudio.ui.timeline import TimelineView, theme  # noqa: E402
from mvstudio.ui.timeline.ruler import bar_ticks, time_ticks  # noqa: E402
from mvstudio.ui.timeline.state import Grid  # noqa: E402
from mvstudio.ui.timeline.view import MIN_VISIBLE_FRAMES, REPAINT_MS  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
SECONDS = 60.0
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(scope="module")
def envelope() -> Envelope:
    return Envelope.from_samples(synthetic_song(SECONDS), SR)


@pytest.fixture
def project() -> Project:
    return synthetic_project(SECONDS, n_clips=10)


@pytest.fixture
def view(qtbot, project, envelope) -> TimelineView:
    widget = TimelineView(thumbnail_for=thumbnails(project))
    qtbot.addWidget(widget)
    widget.resize(1100, 330)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_project(project, envelope)
    settle(qtbot)
    return widget


def settle(qtbot) -> None:
    """Let the coalescing timer fire and the view repaint."""
    qtbot.wait(REPAINT_MS * 3)
    QApplication.processEvents()


def shot(widget, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    assert widget.grab().save(str(path))
    return path


def pixel(view: TimelineView, point: QPoint) -> QColor:
    return view.canvas.viewport().grab().toImage().pixelColor(point)


def drag(qtbot, view: TimelineView, points: list[QPoint], modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Press at the first point, move through the rest (slower than pyqtgraph's move rate limit),
    release at the last."""
    target = view.canvas.viewport()
    QTest.mousePress(target, LEFT, modifier, points[0])
    for p in points[1:]:
        qtbot.wait(15)
        QTest.mouseMove(target, p)
    qtbot.wait(15)
    QTest.mouseRelease(target, LEFT, modifier, points[-1])
    settle(qtbot)


# ---------------------------------------------------------------------------- building


@pytest.mark.parametrize("parts", ["nothing", "song", "analysis", "analysis+plan", "no-lyrics"])
def test_builds_for_projects_with_and_without_analysis_plan_and_lyrics(qtbot, parts, envelope):
    full = synthetic_project(SECONDS, n_clips=6, lyrics=parts != "no-lyrics")
    project = Project("p", song=Song("s", "", SECONDS) if parts != "nothing" else None)
    if "analysis" in parts or parts == "no-lyrics":
        project.analysis = full.analysis
    if "plan" in parts or parts == "no-lyrics":
        project.plan = full.plan
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    view.set_project(project, envelope if parts != "nothing" else None)
    view.set_ruler_mode("bars")
    settle(qtbot)
    assert not view.grab().isNull()
    start, end = view.visible_range()
    assert start == pytest.approx(0.0, abs=1e-6)
    assert end == pytest.approx(SECONDS if parts != "nothing" else 1.0, abs=1e-6)
    assert view.ruler_mode() == ("bars" if project.analysis else "time")
    assert view.selected_clip() is None
    shot(view, f"timeline_{parts.replace('+', '_')}.png")


# ---------------------------------------------------------------------------- zoom and scroll


def test_zoom_to_one_second_and_back_to_the_whole_song(qtbot, view):
    view.zoom_to(20.0, 21.0)
    assert view.visible_range() == pytest.approx((20.0, 21.0), abs=1e-6)
    shot(view, "timeline_zoomed_1s.png")
    view.zoom_to(0.0, SECONDS)
    assert view.visible_range() == pytest.approx((0.0, SECONDS), abs=1e-6)
    view.zoom_to(30.0, 30.001)  # deeper than allowed: stops at a few frames across the view
    start, end = view.visible_range()
    assert end - start == pytest.approx(MIN_VISIBLE_FRAMES / 30, rel=1e-3)
    view.zoom_to(-10.0, SECONDS + 10.0)
    assert view.visible_range() == pytest.approx((0.0, SECONDS), abs=1e-6)


def test_wheel_zooms_around_the_cursor_and_the_scrollbar_scrolls(qtbot, view):
    view.zoom_to(10.0, 40.0)
    under = 31.0
    at = view.lane_point("waveform", under)
    for _ in range(6):
        wheel = QWheelEvent(QPointF(at), QPointF(view.canvas.viewport().mapToGlobal(at)), QPoint(0, 0),
                            QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(view.canvas.viewport(), wheel)
    start, end = view.visible_range()
    assert end - start < 10.0
    assert start < under < end
    assert (under - start) / (end - start) == pytest.approx((31.0 - 10.0) / 30.0, abs=0.02)
    span = end - start
    view.scrollbar.setValue(view.scrollbar.value() + view.scrollbar.pageStep())
    assert view.visible_range() == pytest.approx((start + span, end + span), abs=2e-3)


def test_dragging_an_empty_part_of_a_lane_pans_without_touching_cuts(qtbot, view, project):
    cut_signals = []
    view.cut_drag_finished.connect(lambda *a: cut_signals.append(a))
    view.zoom_to(20.0, 30.0)
    clip = next(c for c in project.plan.clips if c.start_frame / 30 < 24 < c.end_frame / 30)
    middle = (clip.start_frame + clip.end_frame) / 60
    a, b = view.lane_point("clips", middle), view.lane_point("clips", middle - 2.0)
    drag(qtbot, view, [a, QPoint((a.x() + b.x()) // 2, a.y()), b])
    start, end = view.visible_range()
    assert start == pytest.approx(22.0, abs=0.1) and end == pytest.approx(32.0, abs=0.1)
    assert cut_signals == []


# ---------------------------------------------------------------------------- cut dragging


def _cut_drag(qtbot, view, project, shift: bool):
    cut = 3
    fps = project.fps
    cut_s = project.plan.clips[cut + 1].start_frame / fps
    view.zoom_to(cut_s - 2.0, cut_s + 2.0)
    settle(qtbot)
    beats = project.analysis.beats
    i = next(i for i, b in enumerate(beats) if b > cut_s + 0.6)
    target = (beats[i] + beats[i + 1]) / 2  # half-way between two beats, 2-3 beats right of the cut
    previews, finished = [], []
    view.cut_drag_preview.connect(lambda c, f: previews.append((c, f)))
    view.cut_drag_finished.connect(lambda c, f, o: finished.append((c, f, o)))
    before = [(c.start_frame, c.end_frame) for c in project.plan.clips]
    points = [view.lane_point("clips", cut_s + d) for d in (0.0, 0.15, 0.3)]
    points += [view.lane_point("clips", cut_s + (target - cut_s) * k) for k in (0.5, 0.8, 1.0)]
    modifier = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    drag(qtbot, view, points, modifier)
    box = view.boxes["clips"]
    released = box.mapSceneToView(view.canvas.mapToScene(points[-1])).x()
    assert [(c.start_frame, c.end_frame) for c in project.plan.clips] == before  # never mutated
    return cut, previews, finished, to_frame(released, fps)


def test_dragging_a_cut_previews_and_finishes_once_on_a_beat(qtbot, view, project):
    view.set_snap_enabled({"beats"})
    cut, previews, finished, raw = _cut_drag(qtbot, view, project, shift=False)
    beat_frames = set(project.analysis.beat_frames())
    assert previews and all(c == cut and f in beat_frames for c, f in previews)
    assert len(finished) == 1
    assert finished[0][0] == cut and finished[0][1] in beat_frames and finished[0][2] is False
    assert abs(finished[0][1] - raw) <= 7  # the nearest beat (13.5 frames apart)
    assert raw not in beat_frames


def test_shift_held_keeps_the_raw_frame(qtbot, view, project):
    cut, previews, finished, raw = _cut_drag(qtbot, view, project, shift=True)
    assert previews and finished == [(cut, raw, True)]
    assert raw not in set(project.analysis.beat_frames())


def test_drag_preview_is_drawn_while_dragging_and_gone_after_release(qtbot, view, project):
    cut_s = project.plan.clips[2].start_frame / project.fps
    view.zoom_to(cut_s - 3, cut_s + 3)
    settle(qtbot)
    previews = []
    view.cut_drag_preview.connect(lambda c, f: previews.append(f))
    target = view.canvas.viewport()
    start, end = view.lane_point("clips", cut_s), view.lane_point("clips", cut_s + 1.1)
    QTest.mousePress(target, LEFT, Qt.KeyboardModifier.NoModifier, start)
    for x in (start.x() + 10, start.x() + 40, end.x()):
        qtbot.wait(15)
        QTest.mouseMove(target, QPoint(x, start.y()))
    settle(qtbot)
    line = view.lane_point("clips", previews[-1] / project.fps, height=0.6)
    assert pixel(view, line) == theme.ACCENT
    shot(view, "timeline_cut_drag.png")
    QTest.mouseRelease(target, LEFT, Qt.KeyboardModifier.NoModifier, end)
    settle(qtbot)
    assert pixel(view, line) != theme.ACCENT  # the plan is unchanged until the window applies an edit


# ---------------------------------------------------------------------------- select, seek, states


def test_clicking_a_clip_selects_it(qtbot, view, project):
    clip = project.plan.clips[4]
    with qtbot.waitSignal(view.clip_selected) as blocker:
        QTest.mouseClick(view.canvas.viewport(), LEFT, Qt.KeyboardModifier.NoModifier,
                         view.lane_point("clips", (clip.start_frame + clip.end_frame) / 60))
    assert blocker.args == [clip.id]
    assert view.selected_clip() == clip.id


def test_select_clip_programmatically_and_set_the_same_project_again(qtbot, view, project, envelope):
    clip = project.plan.clips[2]
    with qtbot.waitSignal(view.clip_selected) as blocker:
        view.select_clip(clip.id)
    assert blocker.args == [clip.id] and view.selected_clip() == clip.id
    with pytest.raises(KeyError):
        view.select_clip("clip_unknown")
    view.zoom_to(5.0, 15.0)
    view.set_playhead(200)
    view.set_project(project, envelope)  # the same project after an edit: the view stays put
    assert view.visible_range() == pytest.approx((5.0, 15.0), abs=1e-6)
    assert view.selected_clip() == clip.id and view.playhead() == 200
    view.set_project(synthetic_project(SECONDS, n_clips=4), envelope)  # another project: a fresh view
    assert view.visible_range() == pytest.approx((0.0, SECONDS), abs=1e-6)
    assert view.selected_clip() is None and view.playhead() == 0


def test_clicking_the_ruler_moves_the_playhead(qtbot, view):
    view.zoom_to(10.0, 20.0)
    with qtbot.waitSignal(view.playhead_moved) as blocker:
        QTest.mouseClick(view.canvas.viewport(), LEFT, Qt.KeyboardModifier.NoModifier,
                         view.lane_point("ruler", 15.0))
    assert blocker.args[0] == pytest.approx(15 * 30, abs=1)
    assert view.playhead() == blocker.args[0]


def test_clicking_the_ruler_title_toggles_bars_and_time(qtbot, view):
    assert view.ruler_mode() == "time"
    title = view.titles["ruler"]
    point = view.canvas.mapFromScene(title.mapToScene(title.boundingRect().center()))
    QTest.mouseClick(view.canvas.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, point)
    assert view.ruler_mode() == "bars"


def test_clip_states_change_the_block_colours(qtbot, view, project):
    clip = project.plan.clips[1]
    view.zoom_to(clip.start_frame / 30 - 1, clip.end_frame / 30 + 1)
    probe = view.lane_point("clips", clip.end_frame / 30 - 0.3, height=0.15)  # clear of thumb and text
    for state in ("failed", "fresh", "running", "stale"):
        view.set_clip_states({clip.id: state})
        settle(qtbot)
        assert pixel(view, probe) == theme.STATE_COLOURS[state][0], state
    view.set_clip_states({})
    settle(qtbot)
    assert pixel(view, probe) == theme.STATE_UNKNOWN[0]


def test_refresh_repaints_only_changed_lanes_once_per_burst(qtbot, view, project, monkeypatch):
    painted = []
    for name, lane in view.lanes.items():
        monkeypatch.setattr(lane, "update", lambda *a, name=name: painted.append(name))
    view.refresh()
    settle(qtbot)
    assert painted == []
    project.plan.clips[2].end_frame += 3  # an edit the window applied
    project.plan.clips[3].start_frame += 3
    view.refresh()
    for i in range(20):
        view.set_clip_states({project.plan.clips[0].id: ("fresh", "stale")[i % 2]})
        view.set_playhead(i)
    qtbot.waitUntil(lambda: bool(painted), timeout=2000)
    settle(qtbot)
    assert painted == ["clips"]  # one repaint, of the one lane that changed
    assert view.playhead() == 19
    painted.clear()
    project.analysis.lyrics[0].words[0].text = "moon"  # a lyrics correction
    view.refresh()
    qtbot.waitUntil(lambda: bool(painted), timeout=2000)
    assert painted == ["lyrics"]


def test_the_qt_binding_keeps_none_and_bools_alive(qtbot):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call, which crashes
    any app that paints from Python ("deallocating None"); pyproject excludes that release.  This
    test fails, rather than crashing later, if a broken binding is installed."""
    rect, widget = QRectF(), QWidget()
    before = (sys.getrefcount(None), sys.getrefcount(False))
    for _ in range(2000):
        rect.setLeft(0.0)
        widget.update()
    after = (sys.getrefcount(None), sys.getrefcount(False))
    assert after[0] >= before[0] - 50 and after[1] >= before[1] - 50, (before, after)


# ---------------------------------------------------------------------------- screenshots and ticks


def test_screenshots(qtbot, project, envelope):
    big = synthetic_project()
    view = TimelineView(thumbnail_for=thumbnails(big))
    qtbot.addWidget(view)
    view.resize(1280, 340)
    view.show()
    view.set_project(big, Envelope.from_samples(synthetic_song(), SR))
    states = ("fresh", "stale", "running", "failed", "fresh", "fresh")
    view.set_clip_states({c.id: states[i % len(states)] for i, c in enumerate(big.plan.clips)})
    view.set_playhead(to_frame(47.3, big.fps))
    view.lanes["clips"].clicked.emit(big.plan.clips[10].id)
    settle(qtbot)
    shot(view, "timeline_whole.png")
    view.zoom_to(40.0, 52.0)
    settle(qtbot)
    shot(view, "timeline_zoomed.png")
    view.set_ruler_mode("bars")
    settle(qtbot)
    shot(view, "timeline_zoomed_bars.png")
    view.zoom_to(47.0, 47.4)
    view.set_ruler_mode("time")
    settle(qtbot)
    shot(view, "timeline_frames.png")


def test_time_ticks_label_minutes_and_frames():
    whole = [t.label for t in time_ticks(0, 180, 1200 / 180, 30) if t.major]
    assert whole[:3] == ["0:00", "0:15", "0:30"]
    deep = [t for t in time_ticks(10, 10.3, 1000 / 0.3, 30) if t.major]
    assert [t.label for t in deep[:3]] == ["0:10.00", "0:10.01", "0:10.02"]


def test_bar_ticks_label_bars_then_beats():
    project = synthetic_project(SECONDS, n_clips=4)
    grid = Grid.from_analysis(project.analysis)
    coarse = [t.label for t in bar_ticks(0, SECONDS, 1000 / SECONDS, grid) if t.major]
    assert coarse[:3] == ["1", "3", "5"]
    fine = [t.label for t in bar_ticks(0.1, 2.2, 1000 / 2.1, grid) if t.major]
    assert fine[:5] == ["1.1", "1.2", "1.3", "1.4", "2.1"]
