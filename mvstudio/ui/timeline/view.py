"""``TimelineView``: ruler, sections, waveform, beats, energy, lyrics and clips on one time axis.

Why pyqtgraph and not a hand-made QGraphicsView: every lane is a pyqtgraph ``ViewBox`` x-linked to
the ruler's, which gives, tested and for free, wheel zoom around the cursor, drag to pan, range
limits (the whole song down to a few frames) and one shared axis across lanes of different heights
(a ``GraphicsLayout`` grid with a title column).  What pyqtgraph would do slowly we do ourselves:
each lane is one item that paints in device pixels and only the exposed span (``lane.Lane``), the
waveform reads a precomputed peak pyramid (``engine.waveform``, the same min/max idea as
``setDownsampling(mode='peak')`` + ``setClipToView``, paid once at load instead of per repaint),
and ticks, words and clips are drawn straight from sorted arrays rather than as hundreds of items.

The view never changes the project.  Changes reach the screen through ``refresh()``: it compares a
cheap fingerprint per lane and marks only the lanes that changed; one single-shot ``QTimer``
repaints the marked lanes and moves the playhead, so bursts of events cost one repaint.
"""

from __future__ import annotations

from typing import Optional

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QScrollBar, QVBoxLayout, QWidget

from mvstudio.engine.model import Project
from mvstudio.engine.snapping import SNAP_KINDS
from mvstudio.engine.timebase import to_frame
from mvstudio.engine.waveform import Envelope
from mvstudio.ui.timeline import theme
from mvstudio.ui.timeline.clips import ClipLane, ThumbnailSource
from mvstudio.ui.timeline.lane import Lane
from mvstudio.ui.timeline.lanes import BeatLane, EnergyLane, LyricsLane, WaveformLane
from mvstudio.ui.timeline.ruler import RulerLane
from mvstudio.ui.timeline.sections import SectionEditLane
from mvstudio.ui.timeline.state import Grid, TimelineData, signatures

REPAINT_MS = 16  # coalescing window: at most one repaint per 60 Hz frame
MIN_VISIBLE_FRAMES = 10  # deepest zoom: ten frames across the view
_LANE_TYPES = {"ruler": RulerLane, "sections": SectionEditLane, "waveform": WaveformLane,
               "beats": BeatLane, "energy": EnergyLane, "lyrics": LyricsLane}
_SCROLL_UNIT = 1000  # scrollbar steps per second


class _Title(pg.LabelItem):
    """A lane's name in the title column; clickable once given an ``on_click``."""

    def __init__(self, text: str) -> None:
        super().__init__("", size="8pt", color=theme.TEXT_DIM, justify="right")
        self.on_click = None
        self.setText(text)

    def setText(self, text: str, **args) -> None:  # noqa: N802 - pyqtgraph API
        super().setText(text, **args)
        self.setMaximumHeight(self.minimumHeight())  # only as tall as the text, so it can centre

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph hook
        if self.on_click is not None and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.on_click()


class TimelineView(QWidget):
    clip_selected = Signal(str)
    playhead_moved = Signal(int)  # frame
    cut_drag_preview = Signal(int, int)  # cut index, frame
    cut_drag_finished = Signal(int, int, bool)  # cut index, frame, snapping overridden (Shift)

    def __init__(self, thumbnail_for: Optional[ThumbnailSource] = None,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, theme.BACKGROUND)
        self.setPalette(palette)
        self._data = TimelineData()
        self._fingerprints: dict[str, tuple] = {}
        self._dirty: set[str] = set()
        self._playhead = 0
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(theme.BACKGROUND)
        self.canvas.ci.setContentsMargins(0, 0, 0, 0)
        self.canvas.ci.layout.setSpacing(1)
        self.canvas.ci.layout.setColumnFixedWidth(0, theme.TITLE_WIDTH)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal)
        self.scrollbar.setStyleSheet(theme.SCROLLBAR_CSS)
        self.scrollbar.valueChanged.connect(self._scrolled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.scrollbar)

        self.lanes: dict[str, Lane] = {}
        self.boxes: dict[str, pg.ViewBox] = {}
        self.titles: dict[str, _Title] = {}
        self._playheads: list[pg.InfiniteLine] = []
        for row, (name, title, height) in enumerate(theme.LANES):
            lane = ClipLane(self._data, thumbnail_for) if name == "clips" else _LANE_TYPES[name](self._data)
            self._add_row(row, name, title, height, lane)
        self._ruler_title = self.titles["ruler"]
        self._ruler_title.on_click = self._toggle_ruler
        self._ruler_title.setToolTip("Click to switch between minutes:seconds and bars.beats")
        self._playheads[0].addMarker("v", position=1.0, size=10)
        self.lanes["ruler"].seek.connect(self._seek)
        clips = self.lanes["clips"]
        clips.clicked.connect(self.select_clip)
        clips.cut_moved.connect(self._cut_moved)
        clips.cut_dropped.connect(self._cut_dropped)
        self.boxes["ruler"].sigXRangeChanged.connect(self._sync_scrollbar)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REPAINT_MS)
        self._timer.timeout.connect(self._flush)
        self.setMinimumHeight(sum(h for *_, h in theme.LANES) + theme.WAVEFORM_MIN_HEIGHT + 24)
        self.set_project(None, None)

    def _add_row(self, row: int, name: str, title: str, height: int, lane: Lane) -> None:
        grid = self.canvas.ci.layout
        self.titles[name] = _Title(title)
        self.canvas.ci.addItem(self.titles[name], row, 0)
        grid.setAlignment(self.titles[name], Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        box = pg.ViewBox(enableMenu=False, defaultPadding=0)
        box.setMouseEnabled(x=True, y=False)
        box.enableAutoRange(enable=False)
        box.setYRange(0, 1, padding=0)
        box.setBackgroundColor(theme.RULER if name == "ruler" else
                               (theme.LANE if row % 2 else theme.LANE_ALT))
        self.canvas.ci.addItem(box, row, 1)
        if height:
            grid.setRowFixedHeight(row, height)
        else:
            grid.setRowMinimumHeight(row, theme.WAVEFORM_MIN_HEIGHT)
            grid.setRowStretchFactor(row, 1)
        box.addItem(lane)
        playhead = pg.InfiniteLine(0, angle=90, movable=False, pen=pg.mkPen(theme.PLAYHEAD, width=1))
        playhead.setZValue(10)
        box.addItem(playhead, ignoreBounds=True)
        if self.boxes:
            box.setXLink(self.boxes["ruler"])
        self.lanes[name], self.boxes[name] = lane, box
        self._playheads.append(playhead)

    # ------------------------------------------------------------------ public API

    def set_project(self, project: Optional[Project], waveform: Optional[Envelope]) -> None:
        """Show ``project`` (read only) with its song's peak pyramid.

        A different project starts at the whole song with nothing selected; setting the same
        project again (after edits) keeps zoom, selection, clip states and playhead, like
        ``refresh()``, and also reloads thumbnails and the waveform.
        """
        same = project is not None and project is self._data.project
        self._data.project, self._data.envelope = project, waveform
        self._data.grid = Grid.from_analysis(project.analysis if project else None)
        self._data.preview = None
        self.lanes["clips"].forget_thumbnails()
        self._fingerprints = {}
        if not same:
            self._data.clip_states, self._data.selected = {}, None
            self._data.sync_problems = ()
        self.refresh()
        if not same:
            self.zoom_to(0.0, self._length())
            self.set_playhead(0)

    def refresh(self) -> None:
        """Re-read the project after an edit; only lanes whose content changed are repainted."""
        plan = self._data.plan
        clips = plan.clips if plan else []
        if self._data.selected not in {c.id for c in clips}:
            self._data.selected = None
        if self._data.preview and self._data.preview[0] + 1 >= len(clips):
            self._data.preview = None  # the plan lost the dragged cut
        now = signatures(self._data)
        changed = {name for name, key in now.items() if self._fingerprints.get(name) != key}
        if self._fingerprints and changed & {"beats", "energy", "lyrics"}:
            self._data.grid = Grid.from_analysis(self._data.analysis)
        if "ruler" in changed:
            self._apply_duration()
            self._ruler_title.setText("bars" if self.ruler_mode() == "bars" else "m:ss")
        self._fingerprints = now
        self._mark(changed)

    def set_clip_states(self, states: dict[str, str]) -> None:
        """Per-clip state ("fresh", "stale", "running", "failed"); a changed clip's thumbnail reloads."""
        old = self._data.clip_states
        self.lanes["clips"].forget_thumbnails({k for k in set(old) | set(states) if old.get(k) != states.get(k)})
        self._data.clip_states = dict(states)
        self.refresh()

    def show_sync_problems(self, seconds) -> None:
        """Mark cuts (song seconds) that the render's sync audit found off; () clears them."""
        self._data.sync_problems = tuple(seconds)
        self.refresh()

    def set_playhead(self, frame: int) -> None:
        self._playhead = max(int(frame), 0)
        self._mark(set())

    def playhead(self) -> int:
        return self._playhead

    def set_snap_enabled(self, kinds: set[str]) -> None:
        """Which grids a dragged cut snaps to: any of "sections", "downbeats", "beats"."""
        self._data.snap_enabled = set(kinds) & set(SNAP_KINDS)

    def set_ruler_mode(self, mode: str) -> None:
        """ "time" (m:ss) or "bars" (bar.beat; shown only when the analysis has downbeats)."""
        self._data.ruler_mode = mode if mode in ("time", "bars") else "time"
        self.refresh()

    def ruler_mode(self) -> str:
        return "bars" if self._data.ruler_mode == "bars" and self._data.bars_available() else "time"

    def zoom_to(self, start_s: float, end_s: float) -> None:
        """Show ``[start_s, end_s]`` (clamped to the song and to the deepest zoom)."""
        duration = self._length()
        start_s, end_s = max(start_s, 0.0), min(end_s, duration)
        self.boxes["ruler"].setXRange(start_s, max(end_s, start_s + 1e-6), padding=0)

    def visible_range(self) -> tuple[float, float]:
        (start, end), _ = self.boxes["ruler"].viewRange()
        return float(start), float(end)

    def selected_clip(self) -> Optional[str]:
        return self._data.selected

    def select_clip(self, clip_id: Optional[str]) -> None:
        """Select a clip of the plan (None clears); a newly selected clip is announced like a click."""
        plan = self._data.plan
        if clip_id is not None and (plan is None or clip_id not in {c.id for c in plan.clips}):
            raise KeyError(clip_id)
        if clip_id != self._data.selected:
            self._data.selected = clip_id
            self.refresh()
            if clip_id is not None:
                self.clip_selected.emit(clip_id)

    def lane_point(self, lane: str, seconds: float, height: float = 0.5) -> QPoint:
        """Where ``seconds`` (at ``height`` 0..1 up the lane) is in ``canvas.viewport()`` pixels."""
        scene = self.boxes[lane].mapViewToScene(QPointF(seconds, height))
        return self.canvas.mapFromScene(scene)

    # ------------------------------------------------------------------ internals

    def _length(self) -> float:
        """The song's length, or one second for an empty project (the axis needs some span)."""
        return self._data.duration or 1.0

    def _mark(self, lanes: set[str]) -> None:
        self._dirty |= lanes
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        for name in self._dirty:
            self.lanes[name].update()
        self._dirty.clear()
        seconds = self._playhead / self._data.fps
        for line in self._playheads:
            if line.value() != seconds:
                line.setValue(seconds)

    def _apply_duration(self) -> None:
        duration = self._length()
        for box in self.boxes.values():
            box.setLimits(xMin=0.0, xMax=duration, maxXRange=duration,
                          minXRange=min(MIN_VISIBLE_FRAMES / self._data.fps, duration))
        for lane in self.lanes.values():
            lane.set_extent(duration)
        self._sync_scrollbar()

    def _sync_scrollbar(self, *_) -> None:
        start, end = self.visible_range()
        span = end - start
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, max(int((self._length() - span) * _SCROLL_UNIT), 0))
        self.scrollbar.setPageStep(max(int(span * _SCROLL_UNIT), 1))
        self.scrollbar.setSingleStep(max(int(span * _SCROLL_UNIT / 20), 1))
        self.scrollbar.setValue(int(round(start * _SCROLL_UNIT)))
        self.scrollbar.blockSignals(False)

    def _scrolled(self, value: int) -> None:
        start, end = self.visible_range()
        self.boxes["ruler"].setXRange(value / _SCROLL_UNIT, value / _SCROLL_UNIT + (end - start), padding=0)

    def _toggle_ruler(self) -> None:
        self.set_ruler_mode("time" if self.ruler_mode() == "bars" else "bars")

    def _seek(self, seconds: float) -> None:
        frame = min(max(to_frame(max(seconds, 0.0), self._data.fps), 0),
                    to_frame(self._data.duration, self._data.fps))
        self.set_playhead(frame)
        self.playhead_moved.emit(frame)

    def _cut_moved(self, cut: int, frame: int) -> None:
        self._data.preview = (cut, frame)
        self.refresh()
        self.cut_drag_preview.emit(cut, frame)

    def _cut_dropped(self, cut: int, frame: int, override: bool) -> None:
        self._data.preview = None
        self.refresh()
        self.cut_drag_finished.emit(cut, frame, override)
