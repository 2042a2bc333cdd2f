"""Correcting the analysis in the studio: drag a section boundary, rename a section from its menu,
shift the beat grid with a key, tap the tempo, set it; all undoable and kept by Save."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QPainter  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.ui_responsiveness import synthetic_project  # noqa: E402
from tests.media_factory import tone_wav  # noqa: E402
from mvstudio.engine.model import check_consistency  # noqa: E402
from mvstudio.ui.document import ProjectDocument  # noqa: E402
from mvstudio.ui.main_window import MainWindow  # noqa: E402

SECONDS, BPM = 121.0, 200.0  # every synthetic section fits (100 bars); beats on whole frames
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def window(qtbot, tmp_path):
    """The studio on a project with a synthetic analysis and plan over a real song file."""
    w = MainWindow()
    w.ask_save_changes = lambda: "discard"
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    song = tone_wav(tmp_path / "hum.wav", seconds=SECONDS)
    document = ProjectDocument.create(tmp_path / "hum.mvstudio", song, prompt="a hum",
                                      width=320, height=180)
    synthetic = synthetic_project(SECONDS, bpm=BPM, n_clips=12)
    document.project.analysis, document.project.plan = synthetic.analysis, synthetic.plan
    w.set_document(document)
    settle(qtbot, w)
    yield w
    w.set_document(None)


def settle(qtbot, window) -> None:
    window.refresh_views()
    qtbot.wait(60)
    QApplication.processEvents()


def menu_action(window, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Analysis")
    return next(a for a in menu.actions() if a.text().startswith(text))


def frames(project) -> tuple[list[int], list[tuple[int, int]]]:
    return (project.analysis.beat_frames(),
            [(c.start_frame, c.end_frame) for c in project.plan.clips])


def shoot(widget, name: str, popup=None) -> Path:
    """A screenshot of ``widget`` with ``popup`` (a menu or dialog) painted where it is shown."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = widget.grab()
    if popup is not None:
        painter = QPainter(image)
        painter.drawPixmap(widget.mapFromGlobal(popup.pos()), popup.grab())
        painter.end()
    path = SHOTS / name
    assert image.save(str(path))
    return path


def drag_boundary(qtbot, window, index: int, to: float, modifier=Qt.KeyboardModifier.NoModifier,
                  shot: str = ""):
    """Drag the start of section ``index`` to ``to`` seconds on the section lane; returns the
    preview seen just before release and the time released at.  (QTest moves carry no modifier:
    only press and release are shifted.)"""
    timeline = window.studio.timeline
    start = window.document.project.analysis.sections[index].start
    timeline.zoom_to(start - 6.0, start + 6.0)
    settle(qtbot, window)
    target = timeline.canvas.viewport()
    points = [timeline.lane_point("sections", start + (to - start) * k) for k in (0, .2, .6, 1)]
    QTest.mouseMove(target, points[0])
    qtbot.wait(30)
    assert timeline.lanes["sections"].cursor().shape() == Qt.CursorShape.SplitHCursor  # grab here
    QTest.mousePress(target, LEFT, modifier, points[0])
    for p in points[1:]:
        qtbot.wait(20)
        QTest.mouseMove(target, p)
    qtbot.wait(20)
    preview = timeline.lanes["sections"].preview
    if shot:
        shoot(timeline, shot)
    QTest.mouseRelease(target, LEFT, modifier, points[-1])
    settle(qtbot, window)
    box = timeline.boxes["sections"]
    return preview, box.mapSceneToView(timeline.canvas.mapToScene(points[-1])).x()


def test_dragging_a_section_boundary_snaps_to_a_beat_and_undoes(qtbot, window):
    project = window.document.project
    before = project.analysis.sections[2].start
    to = before + 2.37
    seen, _ = drag_boundary(qtbot, window, 2, to, shot="analysis_boundary_drag.png")
    assert seen is not None and seen[0] == 2
    moved = project.analysis.sections[2].start
    assert moved == seen[1] != before and project.analysis.sections[1].end == moved
    assert round(moved * project.fps) in set(project.analysis.beat_frames())
    assert abs(moved - to) < 0.3
    assert window.studio.timeline.lanes["sections"].preview is None
    (move,) = project.corrections.boundary_moves
    assert (move.index, move.time, move.original) == (2, moved, before)
    assert window.undo_action.text() == "&Undo Move section boundary"
    window.undo()
    assert project.analysis.sections[2].start == before and project.raw_analysis is None
    window.redo()
    assert project.analysis.sections[2].start == moved


def test_shift_dragging_a_boundary_keeps_the_raw_time(qtbot, window):
    project = window.document.project
    start = project.analysis.sections[3].start
    _, released = drag_boundary(qtbot, window, 3, start - 1.71, Qt.KeyboardModifier.ShiftModifier)
    moved = project.analysis.sections[3].start
    assert moved == round(released, 3) and abs(moved - (start - 1.71)) < 0.1
    assert round(moved * project.fps, 6) not in project.analysis.beat_frames()


def test_rename_a_section_from_its_context_menu(qtbot, window):
    project = window.document.project
    timeline = window.studio.timeline
    section = project.analysis.sections[1]
    timeline.zoom_to(0.0, 40.0)
    settle(qtbot, window)
    point = timeline.lane_point("sections", (section.start + section.end) / 2)
    QTest.mouseClick(timeline.canvas.viewport(), Qt.MouseButton.RightButton,
                     Qt.KeyboardModifier.NoModifier, point)
    menu = window.analysis_actions.section_menu
    assert menu is not None and menu.isVisible()
    labels = [a.text() for a in menu.actions() if a.isCheckable()]
    assert labels[:3] == ["Intro", "Verse", "Pre-chorus"]
    assert [a.text() for a in menu.actions() if a.isChecked()] == [section.label.capitalize()]
    qtbot.wait(50)
    shoot(window, "analysis_section_menu.png", popup=menu)
    next(a for a in menu.actions() if a.text() == "Bridge").trigger()
    menu.close()
    settle(qtbot, window)
    assert project.analysis.sections[1].label == "bridge"
    (relabel,) = project.corrections.relabels
    assert relabel.label == "bridge" and section.start < relabel.at < section.end
    assert window.undo_action.text() == "&Undo Rename section"
    window.undo()
    assert project.analysis.sections[1].label == section.label


def test_the_shift_keys_move_beats_and_cuts_one_frame_and_undo_restores(qtbot, window):
    project = window.document.project
    beats, cuts = frames(project)
    shift_later = menu_action(window, "Shift Beats &Later")
    assert shift_later.shortcut().toString() == "]"
    assert menu_action(window, "Shift Beats &Earlier").shortcut().toString() == "["
    window.activateWindow()
    canvas = window.studio.timeline.canvas
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus)
    QTest.keyClick(canvas, Qt.Key.Key_BracketRight)
    new_beats, new_cuts = frames(project)
    assert new_beats == [b + 1 for b in beats if b + 1 < project.analysis.end_frame]
    assert new_cuts[0] == (0, cuts[0][1] + 1) and new_cuts[-1] == (cuts[-1][0] + 1, cuts[-1][1])
    assert [s for s, _ in new_cuts[1:]] == [s + 1 for s, _ in cuts[1:]]
    assert check_consistency(project) == []
    assert window.undo_action.text() == "&Undo Shift beat grid +33 ms"
    QTest.keyClick(canvas, Qt.Key.Key_BracketLeft)
    QTest.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert frames(project)[0][:3] == [b - 1 for b in beats[:3]]
    for _ in range(3):
        window.undo()
    assert frames(project) == (beats, cuts) and project.raw_analysis is None


def test_tap_tempo_sets_the_tempo_from_the_taps(qtbot, window):
    project = window.document.project
    window.studio.timeline.set_playhead(300)  # 10 s; the song is paused: taps count from here
    menu_action(window, "T&ap Tempo").trigger()
    dialog = window.analysis_actions.tap_dialog
    assert dialog.isVisible() and not dialog.isModal()
    assert not dialog.apply_button.isEnabled()
    now = [100.0]
    dialog.wall = lambda: now[0]
    for _ in range(5):
        QTest.keyClick(dialog, Qt.Key.Key_T)
        now[0] += 0.6
    assert dialog.taps == [10.0, 10.6, 11.2, 11.8, 12.4]
    assert dialog.bpm_label.text() == "100.0 BPM" and dialog.apply_button.isEnabled()
    shoot(dialog, "analysis_tap_tempo.png")
    QTest.mouseClick(dialog.apply_button, LEFT)
    assert not dialog.isVisible()
    assert project.analysis.bpm == pytest.approx(100.0, abs=0.05)
    assert project.corrections.tapped_beats == [10.0, 10.6, 11.2, 11.8, 12.4]
    beats = set(project.analysis.beat_frames())
    assert all(c.start_frame in beats for c in project.plan.clips[1:])
    assert window.undo_action.text() == "&Undo Tap tempo"

    menu_action(window, "T&ap Tempo").trigger()  # Esc cancels and changes nothing
    again = window.analysis_actions.tap_dialog
    QTest.keyClick(again, Qt.Key.Key_T)
    QTest.keyClick(again, Qt.Key.Key_Escape)
    assert not again.isVisible() and project.corrections.tapped_beats[0] == 10.0


def test_set_tempo_and_reset_from_the_menu_then_save_and_reopen(qtbot, window, tmp_path):
    project = window.document.project
    window.analysis_actions.ask_tempo = lambda current: 120.0 if current == BPM else None
    menu_action(window, "Set &Tempo").trigger()
    assert project.analysis.bpm == 120.0 and project.corrections.tempo_bpm == 120.0
    assert window.undo_action.text() == "&Undo Set tempo 120 BPM"
    menu_action(window, "&Reset Beat Grid").trigger()
    assert project.analysis.bpm == BPM and project.corrections.tempo_bpm is None
    window.undo()
    window.analysis_actions.relabel(project.analysis.sections[0].id, "verse")
    window.analysis_actions.shift(1)
    saved = (project.corrections, project.analysis, project.raw_analysis, project.plan)
    assert window.save()
    folder = window.document.folder
    window.set_document(None)
    reopened = ProjectDocument.open(folder)
    try:
        p = reopened.project
        assert (p.corrections, p.analysis, p.raw_analysis, p.plan) == saved
        assert p.corrections.tempo_bpm == 120.0 and p.analysis.sections[0].label == "verse"
    finally:
        reopened.close()
