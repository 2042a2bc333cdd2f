"""The lyrics lane (lines zoomed out, words zoomed in, estimated timing in italics) and the beat
lane's low-confidence bands with their tooltip; screenshots for a human look."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtGui import QFontMetrics  # noqa: E402
from test_timeline import settle, shot  # noqa: E402

from benchmarks.ui_responsiveness import SR, synthetic_project, synthetic_song  # noqa: E402
from mvstudio.engine.analysis.lyrics import TEXT_SETTING  # noqa: E402
from mvstudio.engine.waveform import Envelope  # noqa: E402
from mvstudio.ui.timeline import TimelineView, theme  # noqa: E402

SECONDS = 90.0
LOW = (40.0, 48.0)  # the stretch given low confidence


class Hover:
    """The parts of a pyqtgraph hover event the lanes read."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def isExit(self) -> bool:  # noqa: N802
        return False

    def pos(self) -> QPointF:
        return QPointF(self.seconds, 0.5)


@pytest.fixture
def view(qtbot) -> TimelineView:
    project = synthetic_project(SECONDS, n_clips=12)
    a = project.analysis
    a.confidence_curve = [0.15 if LOW[0] <= b < LOW[1] else 0.9 for b in a.beats]
    widget = TimelineView()
    qtbot.addWidget(widget)
    widget.resize(1280, 340)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_project(project, Envelope.from_samples(synthetic_song(SECONDS), SR))
    settle(qtbot)
    return widget


def fitting(view: TimelineView) -> list[bool]:
    """Per visible lyric line: are its words drawn (True) or its text (False)?"""
    lane, (start, end) = view.lanes["lyrics"], view.visible_range()
    scale = view.boxes["lyrics"].width() / (end - start)
    metrics = QFontMetrics(theme.font(11))
    return [lane.words_fit(row, scale, metrics) for row in view._data.grid.lines
            if row.end >= start and row.start <= end]


def test_lines_zoomed_out_words_zoomed_in_and_low_confidence_marked(qtbot, view):
    grid = view._data.grid
    assert grid.low_spans and grid.low_spans[0][0] == pytest.approx(LOW[0], abs=0.5)
    assert not any(fitting(view))  # the whole song: line texts
    shot(view, "timeline_lyrics_whole.png")
    view.zoom_to(38.0, 50.0)
    settle(qtbot)
    shot(view, "timeline_lyrics_low_confidence.png")
    view.zoom_to(20.0, 24.0)
    settle(qtbot)
    assert fitting(view) and all(fitting(view))  # zoomed in: the words at their times
    shot(view, "timeline_lyrics_words.png")


def test_the_amber_band_explains_itself(view):
    lane = view.lanes["beats"]
    lane.hoverEvent(Hover(44.0))
    assert lane.toolTip().startswith("Low beat confidence 0:4") and "by ear" in lane.toolTip()
    lane.hoverEvent(Hover(10.0))
    assert lane.toolTip() == ""


def test_estimated_lyrics_are_italic(qtbot, view):
    project = view._data.project
    assert not view._data.lyrics_estimated
    project.settings[TEXT_SETTING] = "pasted words"  # nothing heard: timing is estimated
    view.refresh()
    settle(qtbot)
    assert view._data.lyrics_estimated
    view.zoom_to(20.0, 32.0)
    settle(qtbot)
    shot(view, "timeline_lyrics_estimated.png")
