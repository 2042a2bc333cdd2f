"""``PlayerWidget``: plays the preview render (or the song alone) and single clips, in step with
the timeline's playhead.

Sync both ways, without loops: while playing, a 30 Hz timer reads the media position and moves the
timeline's playhead with ``set_playhead`` (which does not emit); a seek on the timeline
(``playhead_moved``, emitted only for the user's clicks) seeks the media.  Positions map to frames
through ``transport.position_to_frame`` / ``frame_to_position`` (exact round trip).

QtMultimedia is optional: where it cannot load (no libpulse, no back-end) or finds no audio device,
the widget still shows, says why in its status line, and seeks keep moving the timeline's playhead.
Frames reach a ``QVideoSink`` and are painted here, so ``grab()`` shows them even offscreen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout,
                               QWidget)

from mvstudio.engine.timebase import DEFAULT_FPS, timecode
from mvstudio.ui.timeline import theme
from mvstudio.ui.transport import frame_to_position, position_to_frame

try:
    from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer, QVideoSink
    MULTIMEDIA_ERROR = ""
except ImportError as exc:  # e.g. "libpulse.so.0: cannot open shared object file"
    MULTIMEDIA_ERROR = str(exc)

TICK_MS = 33  # playhead updates while playing: at most ~30 Hz
FOLLOW_MARGIN = 0.1  # when the playhead leaves the view, it comes back at 10 % from the left


@dataclass(frozen=True)
class Source:
    """What the player shows: ``kind`` "preview", "song" or "clip"; ``offset`` is the timeline
    frame of the media's start; ``stamp`` tells a rewritten file (a new render) from the old one."""

    kind: str
    path: Path
    title: str
    offset: int = 0
    stamp: tuple = ()

    @classmethod
    def of(cls, kind: str, path: Path, title: str = "", offset: int = 0) -> "Source":
        stat = path.stat()
        return cls(kind, path, title or path.name, offset,
                   (stat.st_mtime_ns, stat.st_size, stat.st_ino))


class VideoCanvas(QWidget):
    """The current video frame, letterboxed; else a still or black, under a caption."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.frame = None  # QVideoFrame
        self.still: Optional[QImage] = None
        self.caption = ("", "")  # title, hint
        self.setMinimumSize(320, 200)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(640, 360)

    def show_frame(self, frame) -> None:
        self.frame = frame if frame is not None and frame.isValid() else None
        self.update()

    def show_placeholder(self, title: str, hint: str = "", still: Optional[QImage] = None) -> None:
        self.frame, self.still, self.caption = None, still, (title, hint)
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        image = self.frame.toImage() if self.frame is not None else self.still
        if image is not None and not image.isNull():
            size = image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF((self.width() - size.width()) / 2,
                                     (self.height() - size.height()) / 2,
                                     size.width(), size.height()), image)
        if self.frame is None and self.caption[0]:
            self._paint_caption(painter, image is not None and not image.isNull())

    def _paint_caption(self, painter: QPainter, over_still: bool) -> None:
        """Title and hint: centred on black, or in a dark band along the bottom of a still."""
        title, hint = self.caption
        height, width = 50, self.width()
        top = self.height() - height if over_still else (self.height() - height) / 2
        if over_still:
            painter.fillRect(QRectF(0, top, width, height), QColor(0, 0, 0, 180))
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.2)
        centre = Qt.AlignmentFlag.AlignCenter
        for text, font, colour, y in ((title, big, theme.TEXT, top + 4),
                                      (hint, self.font(), theme.TEXT_DIM, top + 27)):
            painter.setPen(colour)
            painter.setFont(font)
            painter.drawText(QRectF(0, y, width, 20), centre, text)


class PlayerWidget(QWidget):
    """Video (or placeholder) above a bar: play button, timecode, what is playing, status."""

    frame_changed = Signal(int)  # timeline frame, while playing (at most every TICK_MS)
    stopped = Signal()  # playback ended by itself (end of media, error)
    play_clicked = Signal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.fps = DEFAULT_FPS
        self.source: Optional[Source] = None
        self._project_source: Optional[Source] = None
        self._timeline = None
        self.still_for: Callable[[int], Optional[Path]] = lambda _frame: None
        self._still: tuple[Optional[Path], Optional[QImage]] = (None, None)
        self._frame = 0  # where a paused player stands (without a timeline)
        self._pending: Optional[tuple[int, float]] = None  # (frame, speed) until the media loads
        self._error = ""  # the loaded media's playback error
        self._build_ui()
        self.media = None
        if not MULTIMEDIA_ERROR:
            self._build_media()
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._on_tick)
        self._show_idle()

    def _build_ui(self) -> None:
        self.canvas = VideoCanvas()
        self.play_button = QToolButton(text="▶", toolTip="Play / pause (Space)", autoRaise=True)
        self.play_button.setFixedWidth(34)
        self.play_button.clicked.connect(self.play_clicked)
        self.time_label = QLabel(timecode(0))
        self.time_label.setFont(QFont("monospace"))
        self.time_label.setStyleSheet(f"color: {theme.TEXT.name()}")
        self.source_label = QLabel()
        self.status_label = QLabel(wordWrap=False)
        self.status_label.setStyleSheet(f"color: {theme.TEXT_DIM.name()}")
        self.speed_label = QLabel()
        self.speed_label.setStyleSheet(f"color: {theme.PLAYHEAD.name()}; font-weight: bold")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 8, 2)
        bar.setSpacing(10)
        self.source_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for widget in (self.play_button, self.time_label, self.speed_label, self.source_label):
            bar.addWidget(widget)
        bar.setStretch(3, 1)  # a long name is cut, not widening the window
        bar.addWidget(self.status_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bar)

    def _build_media(self) -> None:
        self.media = QMediaPlayer(self)
        self.audio = None
        self._attach_audio()
        self.sink = QVideoSink(self)
        self.media.setVideoSink(self.sink)
        self.sink.videoFrameChanged.connect(self._on_video_frame)
        self.media.mediaStatusChanged.connect(self._on_media_status)
        self.media.playbackStateChanged.connect(self._on_playback_state)
        self.media.errorOccurred.connect(self._on_error)
        self._devices = QMediaDevices(self)
        self._devices.audioOutputsChanged.connect(self._attach_audio)
        self._devices.audioOutputsChanged.connect(self._update_status)

    def _attach_audio(self) -> None:
        """Sound only where there is a device: Qt's FFmpeg backend can hang in stop()/setSource()
        with an audio output and no device behind it (seen on headless Linux)."""
        if self.audio is None and QMediaDevices.audioOutputs():
            self.audio = QAudioOutput(self)
            self.media.setAudioOutput(self.audio)

    # ------------------------------------------------------------------ public API

    @property
    def available(self) -> bool:
        return self.media is not None

    def attach(self, timeline) -> None:
        """Follow and drive ``timeline`` (a ``TimelineView``): its seeks seek the player."""
        self._timeline = timeline
        timeline.playhead_moved.connect(self.seek)

    def show_project(self, fps: int, preview: Optional[Path], song: Optional[Path],
                     song_title: str = "") -> None:
        """The project's preview render if it exists, else its song over a placeholder frame (the
        still of the clip at the playhead, from ``still_for``).

        Reloads only when the file changed (a new render); a clip being shown stays until a seek
        leaves it."""
        self.fps = fps
        if preview is not None and preview.is_file():
            source = Source.of("preview", preview, f"Preview render · {preview.name}")
        elif song is not None and song.is_file():
            source = Source.of("song", song, f"Song · {song_title or song.name} · no render yet")
        else:
            source = None
        if source == self._project_source:
            self._refresh_still()  # new stills come without a new render
            return
        self._project_source = source
        if self.source is None or self.source.kind != "clip":
            self._load(source, self.frame(), self._playing_rate())  # a new render plays on

    def show_clip(self, path: Path, start_frame: int, title: str = "") -> None:
        """Show one clip's own media from its start, placed at ``start_frame`` on the timeline."""
        path = Path(path)
        self._load(Source.of("clip", path, f"Clip · {title or path.name}", start_frame), start_frame)

    def unload(self) -> None:
        """Stop and show nothing (the project closed or changed)."""
        self._project_source = None
        self._load(None, 0)

    def frame(self) -> int:
        """The timeline frame: the media's while playing, else the playhead's."""
        if self.is_playing():
            return self._media_frame()
        return self._timeline.playhead() if self._timeline is not None else self._frame

    def seek(self, frame: int) -> None:
        """Put the playhead and the media at ``frame``; a seek outside a clip leaves the clip."""
        frame = max(int(frame), 0)
        source = self.source
        if source is not None and source.kind == "clip" and not self._inside_clip(frame):
            self._load(self._project_source, frame, self._playing_rate())
            return
        self._place(frame)
        if self.media is not None and source is not None:
            self._seek_media(frame)

    def play(self, speed: float = 1.0) -> bool:
        """Play forward at ``speed`` from the playhead; False when nothing can play."""
        if self.media is None or self.source is None:
            self._update_status()
            return False
        self.media.setPlaybackRate(float(speed))
        if self.media.mediaStatus() == QMediaPlayer.MediaStatus.LoadingMedia:
            self._pending = (self.frame(), speed)
            return True
        if not self.is_playing():
            frame = self.frame()
            end = self.media.duration()
            self._seek_media(self.source.offset if 0 < end and self._media_frame_of(end) <= frame
                             else frame)  # at the end: from the start again
        self.media.play()
        self._tick.start()
        return True

    def pause(self) -> None:
        if self._pending is not None:
            self._pending = (self._pending[0], 0.0)
        if self.media is not None and self.is_playing():
            self._tick.stop()  # before the state change, so that no ``stopped`` is emitted
            self.media.pause()
            self._on_tick()

    def is_playing(self) -> bool:
        return self.media is not None and \
            self.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def show_speed(self, speed: int) -> None:
        """The transport's shuttle speed, shown beside the timecode."""
        self.play_button.setText("❚❚" if speed else "▶")
        self.speed_label.setText("" if speed in (0, 1) else
                                 (f"▶▶ {speed}×" if speed > 0 else f"◀◀ {-speed}×"))

    def status_text(self) -> str:
        return self.status_label.text()

    # ------------------------------------------------------------------ internals

    def _load(self, source: Optional[Source], frame: int, speed: float = 0.0) -> None:
        self.source = source
        self._pending, self._error = None, ""
        self.canvas.show_frame(None)
        if self.media is not None:
            self._tick.stop()
            self.media.stop()
            self.media.setSource(QUrl.fromLocalFile(str(source.path)) if source else QUrl())
            if source is not None:
                self._pending = (frame, speed)
        self._show_idle()
        self._place(frame)

    def _place(self, frame: int) -> None:
        """The timecode and the timeline's playhead at ``frame`` (which does not emit)."""
        self._frame = frame
        self.time_label.setText(timecode(frame, self.fps))
        if self._timeline is not None and self._timeline.playhead() != frame:
            self._timeline.set_playhead(frame)
        self._refresh_still()

    def _refresh_still(self) -> None:
        if self._wants_still() and self.still_for(self._frame) != self._still[0]:
            self._show_idle()

    def _wants_still(self) -> bool:
        """No video frames will come: the song alone, or no back-end."""
        return self.source is not None and (self.media is None or self.source.kind == "song")

    def _still_image(self) -> Optional[QImage]:
        """The still for the playhead (read once per file)."""
        path = self.still_for(self._frame) if self._wants_still() else None
        if path != self._still[0]:
            self._still = (path, QImage(str(path)) if path is not None else None)
        return self._still[1]

    def _show_idle(self) -> None:
        """Source line and placeholder card for what is loaded."""
        source = self.source
        self.source_label.setText(source.title if source else "")
        self.source_label.setToolTip(str(source.path) if source else "")
        still = self._still_image()
        if self.media is None:
            self.canvas.show_placeholder("Playback unavailable", "QtMultimedia could not load: "
                                         "the playhead still moves with the keys", still)
        elif source is None:
            self.canvas.show_placeholder("Nothing to play", "Open or create a project")
        elif source.kind == "song":
            self.canvas.show_placeholder("No preview render yet: the song with each clip's still"
                                         if still else "No preview render yet: the song alone",
                                         "Render (Ctrl+R) to see the video here", still)
        else:
            self.canvas.show_placeholder("")  # black until the first frame arrives
        self._update_status()

    def _update_status(self) -> None:
        """Short text in the bar, details in its tooltip."""
        detail = ""
        if self.media is None:
            text, detail = "Playback unavailable: QtMultimedia could not load", MULTIMEDIA_ERROR
        elif self._error:
            text = self._error
        elif not QMediaDevices.audioOutputs():
            text = "No audio output device: playing silently"
        else:
            text = ""
        self.status_label.setText(text)
        self.status_label.setToolTip(f"{text} ({detail})" if detail else text)

    def _playing_rate(self) -> float:
        return self.media.playbackRate() if self.is_playing() else 0.0

    def _media_frame_of(self, ms: int) -> int:
        return (self.source.offset if self.source else 0) + position_to_frame(ms, self.fps)

    def _media_frame(self) -> int:
        return self._media_frame_of(self.media.position())

    def _seek_media(self, frame: int) -> None:
        if self.media.mediaStatus() == QMediaPlayer.MediaStatus.LoadingMedia:
            self._pending = (frame, self._pending[1] if self._pending else 0.0)
            return
        if self.media.playbackState() == QMediaPlayer.PlaybackState.StoppedState:
            self.media.pause()  # paused, not stopped: a paused player shows the frame
        ms = frame_to_position(frame - self.source.offset, self.fps)
        self.media.setPosition(min(max(ms, 0), max(self.media.duration(), 0)))

    def _inside_clip(self, frame: int) -> bool:
        duration = self.media.duration() if self.media is not None else 0
        return duration <= 0 or self.source.offset <= frame <= self._media_frame_of(duration)

    def _on_tick(self) -> None:
        if self.media is None or self.source is None:
            return
        frame = self._media_frame()
        if frame == self._frame:
            return
        self._place(frame)
        if self._timeline is not None and self.is_playing():
            self._follow(frame)
        self.frame_changed.emit(frame)

    def _follow(self, frame: int) -> None:
        """Page the timeline when the playing playhead runs off its right edge."""
        start, end = self._timeline.visible_range()
        seconds = frame / self.fps
        if not start <= seconds <= end:
            span = end - start
            start = seconds - span * FOLLOW_MARGIN
            self._timeline.zoom_to(start, start + span)

    def _on_media_status(self, status) -> None:
        if status in (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia) \
                and self._pending is not None:
            frame, speed = self._pending
            self._pending = None
            self._seek_media(frame)
            if speed:
                self.play(speed)
        elif status == QMediaPlayer.MediaStatus.InvalidMedia and self.source is not None:
            self._error = self._error or f"Cannot play {self.source.path.name}"
            self._update_status()

    def _on_playback_state(self, state) -> None:
        if state != QMediaPlayer.PlaybackState.PlayingState and self._tick.isActive():
            self._tick.stop()
            self._on_tick()
            self.stopped.emit()

    def _on_error(self, error, message: str) -> None:
        self._error = f"Playback error: {message or error.name}"
        self._update_status()
        self.stopped.emit()

    def _on_video_frame(self, frame) -> None:
        if self.source is not None and self.source.kind != "song":
            self.canvas.show_frame(frame)
