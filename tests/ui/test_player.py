"""The player and the keyboard transport: beat, cut and end jumps, the J/K/L shuttle, play/pause,
exact position <-> frame mapping, two-way sync with the timeline through a real QMediaPlayer, the
Transport menu's shortcuts, degraded mode without QtMultimedia, and a screenshot for a human look."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEventLoop, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.ui_responsiveness import synthetic_project  # noqa: E402
from mvstudio.engine.demo import synthesize_demo  # noqa: E402
from mvstudio.engine.model import (Analysis, Asset, ClipScript, Plan, Project,  # noqa: E402
                                   Song)
from mvstudio.engine.timebase import to_frame  # noqa: E402
from mvstudio.ui import player as player_module  # noqa: E402
from mvstudio.ui.document import ProjectDocument  # noqa: E402
from mvstudio.ui.main_window import MainWindow  # noqa: E402
from mvstudio.ui.player import MULTIMEDIA_ERROR, PlayerWidget  # noqa: E402
from mvstudio.ui.timeline import TimelineView  # noqa: E402
from mvstudio.ui.transport import (MAX_SPEED, Marks, Shuttle, Transport,  # noqa: E402
                                   frame_to_position, position_to_frame, reverse_step)
from tests.media_factory import lavfi_clip, sine_audio, still_image  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
FPS = 30
SONG_SECONDS = 8.0
needs_multimedia = pytest.mark.skipif(
    bool(MULTIMEDIA_ERROR),
    reason=f"QtMultimedia cannot load on this machine ({MULTIMEDIA_ERROR}); "
           "on Debian/Ubuntu `apt-get install libpulse0` provides what it links against")


def wait_until(condition, timeout_ms: int = 3000) -> None:
    """Process events until ``condition()``.  Not ``qtbot.waitUntil``: that runs a nested
    QEventLoop, and once an earlier test has quit the application (test_main_window's run_app)
    every new QEventLoop.exec() returns at once, so timers and media signals would never arrive."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout_ms} ms"
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
        time.sleep(0.002)


def pump(ms: int) -> None:
    """Process events for ``ms`` milliseconds (see ``wait_until``)."""
    deadline = time.monotonic() + ms / 1000
    wait_until(lambda: time.monotonic() >= deadline, ms + 1000)


def project_with(beats: list[float], cuts: list[int], seconds: float = 10.0) -> Project:
    """A project with beats (seconds) and clips starting at ``cuts`` (frames), up to ``seconds``."""
    end = to_frame(seconds, FPS)
    clips = [ClipScript(a, b) for a, b in zip(cuts, cuts[1:] + [end])]
    return Project("t", song=Song("song", "", seconds), fps=FPS,
                   analysis=Analysis(duration=seconds, bpm=120.0, beats=beats, fps=FPS),
                   plan=Plan(clips) if clips else None)


class RecordingDeck:
    """A deck that remembers what the transport asked of it."""

    def __init__(self, can_play: bool = True) -> None:
        self.at, self.can_play, self.calls = 0, can_play, []

    def frame(self) -> int:
        return self.at

    def seek(self, frame: int) -> None:
        self.at = frame
        self.calls.append(("seek", frame))

    def play(self, speed: float) -> bool:
        self.calls.append(("play", speed))
        return self.can_play

    def pause(self) -> None:
        self.calls.append(("pause",))

    def seeks(self) -> list[int]:
        return [c[1] for c in self.calls if c[0] == "seek"]


# ---------------------------------------------------------------------------- positions and marks

@pytest.mark.parametrize("fps", [24, 25, 30, 60])
def test_frame_to_position_round_trips_exactly(fps):
    for frame in list(range(0, 3 * fps)) + [fps * 3600 + 7]:
        ms = frame_to_position(frame, fps)
        assert position_to_frame(ms, fps) == frame
        assert ms * fps > frame * 1000 >= (ms - 1) * fps  # the first whole ms after its start


def test_position_to_frame_is_the_nearest_frame_start():
    assert [position_to_frame(ms, 30) for ms in (0, 16, 17, 33, 34, 50, 1000)] == [0, 0, 1, 1, 1, 2, 30]


def test_beat_steps_go_to_the_neighbouring_beat_then_the_ends():
    marks = Marks.of(project_with([0.5, 1.0, 1.5, 9.0], [0]))
    assert marks.beats == (15, 30, 45, 270) and marks.end == 300
    assert marks.next_beat(0) == 15 and marks.next_beat(15) == 30 and marks.next_beat(16) == 30
    assert marks.next_beat(270) == 300 and marks.next_beat(300) == 300
    assert marks.previous_beat(300) == 270 and marks.previous_beat(30) == 15
    assert marks.previous_beat(31) == 30 and marks.previous_beat(15) == 0
    assert marks.previous_beat(0) == 0 and marks.previous_beat(10_000) == 270


def test_without_analysis_beat_steps_are_whole_seconds():
    project = Project("t", song=Song("song", "", 2.5), fps=FPS)
    marks = Marks.of(project)
    assert marks.end == 75 and marks.beats == (0, 30, 60)
    assert [marks.next_beat(f) for f in (0, 29, 30, 60, 75)] == [30, 30, 60, 75, 75]
    assert [marks.previous_beat(f) for f in (75, 60, 31, 1, 0)] == [60, 30, 30, 0, 0]


def test_cut_steps_go_to_clip_starts_then_the_ends():
    marks = Marks.of(project_with([0.5], [0, 60, 150]))
    assert marks.cuts == (0, 60, 150)
    assert [marks.next_cut(f) for f in (0, 59, 60, 149, 150, 300)] == [60, 60, 150, 150, 300, 300]
    assert [marks.previous_cut(f) for f in (300, 150, 151, 60, 1, 0)] == [150, 60, 150, 0, 0, 0]


def test_the_end_is_the_longest_of_song_analysis_and_plan():
    project = project_with([0.5], [0, 60], seconds=10.0)
    project.plan.clips[-1].end_frame = 320
    assert Marks.of(project).end == 320 and Marks.of(project).clamp(400) == 320
    assert Marks.of(None) == Marks((), (), 0)


# ---------------------------------------------------------------------------- shuttle

def test_shuttle_speeds():
    s = Shuttle()
    assert [s.forward(), s.forward(), s.forward(), s.forward()] == [1, 2, 4, MAX_SPEED]
    assert s.stop() == 0 and not s.playing
    assert [s.reverse(), s.reverse(), s.reverse(), s.reverse()] == [-1, -2, -4, -4]
    assert s.forward() == 1  # the other direction starts again at 1x
    assert s.reverse() == -1
    assert s.toggle() == 0 and s.toggle() == 1 and s.playing
    assert s.forward() == 2 and s.toggle() == 0 and s.play() == 1


def test_reverse_steps_hold_each_beat_for_its_length_over_the_speed():
    marks = Marks.of(project_with([0.5, 1.0, 1.5], [0]))
    assert reverse_step(marks, 40, -1) == (30, 500)
    assert reverse_step(marks, 40, -4) == (30, 125)
    assert reverse_step(marks, 15, -2) == (0, 0)  # at the start: done


def test_transport_play_pause_and_forward_shuttle(qtbot):
    deck = RecordingDeck()
    transport = Transport(deck)
    speeds = []
    transport.speed_changed.connect(speeds.append)
    transport.toggle_play()
    transport.shuttle_forward()
    transport.shuttle_forward()
    transport.shuttle_forward()
    transport.pause()
    transport.toggle_play()
    transport.toggle_play()
    assert deck.calls == [("play", 1), ("play", 2), ("play", 4), ("play", 4), ("pause",),
                          ("play", 1), ("pause",)]
    assert speeds == [1, 2, 4, 4, 0, 1, 0]


def test_transport_stops_when_nothing_can_play_or_the_deck_ends(qtbot):
    deck = RecordingDeck(can_play=False)
    transport = Transport(deck)
    transport.shuttle_forward()
    assert transport.speed == 0 and deck.calls == [("play", 1), ("pause",)]
    deck.can_play = True
    transport.shuttle_forward()
    transport.deck_stopped()  # end of media
    assert transport.speed == 0


def reversing_from(frame: int) -> tuple[RecordingDeck, Transport]:
    """A transport over beats every 15 frames, J pressed once at ``frame``."""
    deck = RecordingDeck()
    deck.at = frame
    transport = Transport(deck)
    transport.set_marks(Marks.of(project_with([i * 0.5 for i in range(1, 8)], [0])))
    transport.shuttle_reverse()
    return deck, transport


def test_reverse_shuttle_steps_back_beat_by_beat_to_the_start(qtbot):
    deck, transport = reversing_from(100)
    assert transport.speed == -1 and deck.calls[0] == ("pause",) and deck.at == 90
    transport.shuttle_reverse()
    transport.shuttle_reverse()
    assert transport.speed == -4
    wait_until(lambda: transport.speed == 0, 3000)  # 125 ms a beat at 4x
    assert deck.seeks() == [90, 75, 60, 45, 30, 15, 0]
    assert not any(c[0] == "play" for c in deck.calls)


def test_reverse_stops_on_pause_and_forward_play_takes_over(qtbot):
    deck, transport = reversing_from(100)
    transport.pause()
    pump(700)
    assert deck.seeks() == [90]
    transport.shuttle_reverse()
    transport.shuttle_forward()
    pump(700)
    assert deck.seeks() == [90, 75] and deck.calls[-1] == ("play", 1) and transport.speed == 1


def test_transport_jumps(qtbot):
    deck = RecordingDeck()
    transport = Transport(deck)
    transport.set_marks(Marks.of(project_with([0.5, 1.0, 1.5], [0, 60, 150])))
    deck.at = 20
    transport.next_beat()
    transport.next_beat()
    transport.previous_beat()
    transport.next_cut()
    transport.next_cut()
    transport.previous_cut()
    transport.go_end()
    transport.go_start()
    assert deck.seeks() == [30, 45, 30, 60, 150, 60, 300, 0]
    assert ("pause",) in deck.calls  # End stops play


# ---------------------------------------------------------------------------- the player

@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("player-media")
    return {"video": lavfi_clip(folder / "preview.mp4", seconds=3.0, fps=FPS),
            "clip": lavfi_clip(folder / "clip.mp4", seconds=1.0, fps=FPS, source="smptebars"),
            "song": sine_audio(folder / "song.wav", seconds=3.0)}


@pytest.fixture
def timeline(qtbot) -> TimelineView:
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(900, 330)
    view.show()
    qtbot.waitExposed(view)
    view.set_project(synthetic_project(3.0, n_clips=3), None)
    pump(50)
    return view


@pytest.fixture
def player(qtbot, timeline) -> PlayerWidget:
    widget = PlayerWidget()
    qtbot.addWidget(widget)
    widget.attach(timeline)
    widget.resize(640, 400)
    widget.show()
    return widget


def settled(qtbot, player: PlayerWidget) -> None:
    """Until the media is loaded and any seek waiting for it is done."""
    from PySide6.QtMultimedia import QMediaPlayer

    ready = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia,
             QMediaPlayer.MediaStatus.BufferingMedia, QMediaPlayer.MediaStatus.EndOfMedia)
    wait_until(lambda: player.media.mediaStatus() in ready and player._pending is None, 5000)


def shown_frame(player: PlayerWidget):
    """The frame number of the video frame on the canvas (None before one arrives)."""
    frame = player.canvas.frame
    return None if frame is None else position_to_frame(round(frame.startTime() / 1000), FPS)


@needs_multimedia
def test_timeline_seeks_move_the_player_and_show_that_frame(qtbot, player, timeline, media):
    player.show_project(FPS, media["video"], media["song"])
    settled(qtbot, player)
    assert player.source.kind == "preview" and player.media.hasVideo()
    with qtbot.waitSignal(timeline.playhead_moved) as seek:  # a real click on the ruler
        QTest.mouseClick(timeline.canvas.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier, timeline.lane_point("ruler", 1.5))
    frame = seek.args[0]
    assert abs(frame - 45) <= 1
    assert player.media.position() == frame_to_position(frame, FPS)
    wait_until(lambda: shown_frame(player) == frame, 3000)
    player.seek(31)  # what the transport does
    assert timeline.playhead() == 31 and player.media.position() == 1034
    wait_until(lambda: shown_frame(player) == 31, 3000)
    assert player.time_label.text() == "0:01.01"


@needs_multimedia
def test_playing_moves_the_playhead_at_most_30_times_a_second_without_echo(qtbot, player,
                                                                           timeline, media):
    player.show_project(FPS, media["video"], None)
    settled(qtbot, player)
    player.seek(15)
    timeline.zoom_to(0.0, 1.0)
    echoes, ticks = [], []
    timeline.playhead_moved.connect(echoes.append)
    player.frame_changed.connect(ticks.append)
    assert player.play(1.0)
    pump(700)
    assert player.is_playing()
    player.pause()
    playhead = timeline.playhead()
    assert playhead > 20 and playhead == player.frame() == ticks[-1]
    assert playhead == position_to_frame(player.media.position(), FPS)
    assert len(ticks) <= 0.7 * 30 + 3 and ticks == sorted(ticks)
    assert echoes == []  # the player moving the playhead never seeks the player back
    start, end = timeline.visible_range()  # the view paged along at 1 s
    assert 0.9 < start < playhead / FPS < end and end - start == pytest.approx(1.0)


@needs_multimedia
def test_a_broken_render_is_reported_and_does_not_play(qtbot, player, tmp_path):
    broken = tmp_path / "preview.mp4"
    broken.write_bytes(b"not a video" * 100)
    transport = Transport(player)
    player.stopped.connect(transport.deck_stopped)
    player.show_project(FPS, broken, None)
    transport.toggle_play()
    wait_until(lambda: player.status_text().startswith(("Playback error", "Cannot play")))
    wait_until(lambda: transport.speed == 0)
    assert not player.is_playing()


@needs_multimedia
def test_play_to_the_end_stops_the_transport(qtbot, player, timeline, media):
    player.show_project(FPS, media["video"], None)
    settled(qtbot, player)
    transport = Transport(player)
    player.stopped.connect(transport.deck_stopped)
    player.seek(80)
    transport.shuttle_forward()
    transport.shuttle_forward()
    assert transport.speed == 2 and player.media.playbackRate() == 2.0
    wait_until(lambda: transport.speed == 0, 4000)
    assert timeline.playhead() == 90  # the last position, 3 s
    transport.toggle_play()  # at the end, Space plays from the start again
    wait_until(lambda: 0 < timeline.playhead() < 60, 3000)
    transport.pause()


@needs_multimedia
def test_a_clip_plays_in_its_own_timing_and_a_seek_outside_leaves_it(qtbot, player, timeline,
                                                                     media):
    player.show_project(FPS, media["video"], media["song"])
    settled(qtbot, player)
    player.show_clip(media["clip"], 60, "2")
    settled(qtbot, player)
    assert player.source.kind == "clip" and player.source.offset == 60
    assert timeline.playhead() == 60 and player.media.position() == frame_to_position(0, FPS)
    player.seek(75)
    assert player.media.position() == frame_to_position(15, FPS)
    assert player.play(1.0)
    wait_until(lambda: not player.is_playing(), 3000)  # 1 s clip: ends at frame 90
    assert timeline.playhead() == 90
    player.seek(20)
    assert player.source.kind == "preview" and timeline.playhead() == 20
    settled(qtbot, player)
    assert player.media.position() == frame_to_position(20, FPS)


@needs_multimedia
def test_without_a_render_the_song_plays_over_a_placeholder(qtbot, player, timeline, media):
    from PySide6.QtMultimedia import QMediaDevices

    player.show_project(FPS, None, media["song"], "night drive")
    settled(qtbot, player)
    assert player.source.kind == "song" and "night drive" in player.source_label.text()
    assert player.canvas.caption[0].startswith("No preview render yet")
    if not QMediaDevices.audioOutputs():
        assert player.status_text() == "No audio output device: playing silently"
    assert player.play(1.0)
    wait_until(lambda: timeline.playhead() > 5, 3000)
    player.pause()
    player.show_project(FPS, None, media["song"], "night drive")  # unchanged: no reload
    assert player.media.position() > 0


def test_without_qtmultimedia_the_player_explains_and_the_playhead_still_moves(qtbot, timeline,
                                                                               media, monkeypatch):
    monkeypatch.setattr(player_module, "MULTIMEDIA_ERROR", "libpulse.so.0: cannot open shared object")
    widget = PlayerWidget()
    qtbot.addWidget(widget)
    widget.attach(timeline)
    widget.show_project(FPS, media["video"], media["song"])
    assert not widget.available and widget.source.kind == "preview"
    assert widget.status_text() == "Playback unavailable: QtMultimedia could not load"
    assert "(libpulse.so.0: cannot open" in widget.status_label.toolTip()
    assert widget.canvas.caption[0] == "Playback unavailable"
    transport = Transport(widget)
    transport.set_marks(Marks.of(timeline._data.project))
    transport.toggle_play()
    transport.shuttle_forward()
    assert transport.speed == 0 and not widget.is_playing()
    transport.next_beat()
    assert timeline.playhead() == timeline._data.project.analysis.beat_frames()[0]
    assert widget.frame() == timeline.playhead()


# ---------------------------------------------------------------------------- in the studio window

@pytest.fixture
def studio(qtbot, tmp_path, media):
    """The main window on a project with a synthetic analysis and plan over a real song file."""
    window = MainWindow()
    window.ask_save_changes = lambda: "discard"
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert all(not a.isEnabled() for a in _transport_actions(window))  # no project yet
    song = tmp_path / "night drive.wav"
    synthesize_demo(song, duration=SONG_SECONDS, bpm=120.0)
    document = ProjectDocument.create(tmp_path / "night drive.mvstudio", song,
                                      prompt="lanterns over a lake", width=320, height=180)
    synthetic = synthetic_project(SONG_SECONDS, bpm=120.0, n_clips=4)
    document.project.analysis, document.project.plan = synthetic.analysis, synthetic.plan
    window.set_document(document)
    yield window
    window.set_document(None)


def _transport_actions(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Transport")
    return [a for a in menu.actions() if not a.isSeparator()]


def test_the_transport_menu_drives_the_playhead_from_the_timeline(qtbot, studio):
    actions = {a.shortcut().toString(): a for a in _transport_actions(studio)}
    assert set(actions) >= {"Space", "J", "K", "L", "Left", "Right", "Shift+Left", "Shift+Right",
                            "Home", "End"}
    assert all(a.isEnabled() for a in actions.values())
    project = studio.document.project
    beats, cuts = project.analysis.beat_frames(), [c.start_frame for c in project.plan.clips]
    studio.activateWindow()
    target = studio.studio.timeline.canvas
    target.setFocus()
    wait_until(target.hasFocus)

    def key(k, modifier=Qt.KeyboardModifier.NoModifier):
        QTest.keyClick(target, k, modifier)
        return studio.studio.playhead()

    assert key(Qt.Key.Key_Right) == beats[0] and key(Qt.Key.Key_Right) == beats[1]
    assert key(Qt.Key.Key_Left) == beats[0]
    assert key(Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier) == cuts[1]
    assert key(Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier) == cuts[2]
    assert key(Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier) == cuts[1]
    assert key(Qt.Key.Key_End) == to_frame(SONG_SECONDS, FPS)
    assert key(Qt.Key.Key_Home) == 0
    studio.prompt_edit.setFocus()  # typing in a text field keeps its keys
    QTest.keyClicks(studio.prompt_edit, "L J")
    assert studio.prompt_edit.text().endswith("lakeL J") and studio.studio.transport.speed == 0
    studio.set_document(None)
    assert all(not a.isEnabled() for a in actions.values())


@needs_multimedia
def test_space_plays_the_song_and_the_timeline_follows(qtbot, studio):
    player = studio.studio.player
    settled(qtbot, player)
    assert player.source.kind == "song"
    QTest.keyClick(studio.studio.timeline.canvas, Qt.Key.Key_Space)
    assert studio.studio.transport.speed == 1
    wait_until(lambda: studio.studio.playhead() > 6, 3000)
    QTest.keyClick(studio.studio.timeline.canvas, Qt.Key.Key_K)
    assert not player.is_playing() and player.play_button.text() == "▶"


@needs_multimedia
def test_play_selected_clip_and_back_to_the_render(qtbot, studio, media):
    document = studio.document
    clip = document.project.plan.clips[1]
    assert not studio.studio.play_selected_clip()  # nothing selected
    name = document.store.media.put_file(media["clip"])
    document.project.assets.append(Asset("clip", clip.id, name, "test", created=1.0))
    studio.studio.timeline.select_clip(clip.id)
    assert studio.studio.play_selected_clip()
    player = studio.studio.player
    assert player.source.kind == "clip" and player.source.offset == clip.start_frame
    assert player.source_label.text() == "Clip · 2 · its own timing"
    wait_until(lambda: studio.studio.playhead() > clip.start_frame + 3, 3000)
    QTest.keyClick(studio.studio.timeline.canvas, Qt.Key.Key_Home)
    assert player.source.kind == "song" and studio.studio.playhead() == 0


def test_without_a_render_the_player_shows_the_still_of_the_clip_at_the_playhead(qtbot, studio,
                                                                                 tmp_path):
    document = studio.document
    for i, clip in enumerate(document.project.plan.clips[:2]):
        name = document.store.media.put_file(still_image(tmp_path / f"still {i}.png", seed=i))
        document.project.assets.append(Asset("image", clip.id, name, "test", created=1.0))
    studio.refresh_views()
    canvas = studio.studio.player.canvas
    first = canvas.still
    assert first is not None and not first.isNull()
    assert canvas.caption[0] == ("No preview render yet: the song with each clip's still"
                                 if studio.studio.player.available else "Playback unavailable")
    studio.studio.transport.next_cut()
    assert canvas.still is not None and canvas.still != first
    SHOTS.mkdir(parents=True, exist_ok=True)
    pump(100)  # the timeline moves its playhead on its next repaint
    assert studio.grab().save(str(SHOTS / "player_stills.png"))
    studio.studio.transport.next_cut()  # the third clip has no still yet
    assert canvas.still is None


def test_the_studio_plays_its_preview_render(qtbot, studio):
    """The render at renders/preview.mp4 (or the runner's last output) replaces the song;
    screenshot of the studio with the player for a human look."""
    folder = studio.document.folder / "renders"
    folder.mkdir()
    preview = lavfi_clip(folder / "preview.mp4", seconds=SONG_SECONDS, fps=FPS, width=640,
                         height=360)
    assert studio.studio.preview_file() == preview
    studio.runner.last_output = lavfi_clip(folder / "other.mp4", seconds=1.0, fps=FPS)
    assert studio.studio.preview_file() == studio.runner.last_output
    studio.runner.last_output = None
    studio.refresh_views()
    player = studio.studio.player
    assert player.source.kind == "preview" and player.source.path == preview
    studio.studio.transport.next_cut()
    if player.available:
        settled(qtbot, player)
        cut = studio.document.project.plan.clips[1].start_frame
        wait_until(lambda: shown_frame(player) == cut, 3000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    studio.refresh_views()
    pump(100)
    image = studio.grab()
    assert image.save(str(SHOTS / "player.png"))
    if player.available:  # the video is on screen: testsrc2 is colourful, not black
        centre = player.canvas.mapTo(studio, player.canvas.rect().center())
        colour = image.toImage().pixelColor(centre)
        assert max(colour.red(), colour.green(), colour.blue()) > 40
