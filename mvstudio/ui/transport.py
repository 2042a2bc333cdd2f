"""Keyboard transport: where Left/Right, Shift+Left/Right and Home/End go, and the J/K/L shuttle.

``Marks`` and ``Shuttle`` are plain Python (no Qt); ``Transport`` drives a ``Deck`` (the player)
with them and owns the one timer that reverse play needs.

Keys: Space plays or pauses; L plays forward, again doubles the speed (1x, 2x, 4x); K pauses; J
plays in reverse, again doubles the reverse speed.  Pressing the other direction's key starts it at
1x.  Left/Right step to the previous/next beat (whole seconds when the song is not analysed yet),
Shift+Left/Right to the previous/next cut (clip start), Home/End to the start/end of the song.

Reverse (J): QMediaPlayer cannot play backwards (its FFmpeg back-end turns a negative rate into 0
and runs to the end), so reverse pauses the player and steps the playhead back one beat at a time,
each step lasting as long as that beat divided by the speed.  The playhead so runs backwards at 1x,
2x or 4x on average, silently, and every frame shown is a beat: one seek per beat instead of one
per display frame, and the frames an editor wants to see.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from mvstudio.engine.model import Project
from mvstudio.engine.timebase import DEFAULT_FPS, to_frame

MAX_SPEED = 4


def position_to_frame(ms: int, fps: int) -> int:
    """The frame at a media position in milliseconds (nearest frame start, as ``to_frame``)."""
    return to_frame(Fraction(ms, 1000), fps)


def frame_to_position(frame: int, fps: int) -> int:
    """The first whole millisecond after ``frame`` starts (exact for fps up to 500).

    Strictly after: at a position exactly on a frame's start, QMediaPlayer shows the frame before.
    """
    return frame * 1000 // fps + 1


@dataclass(frozen=True)
class Marks:
    """The frames the transport stops at: beats (or whole seconds), cuts, and the song's end."""

    beats: tuple[int, ...]
    cuts: tuple[int, ...]
    end: int
    fps: int = DEFAULT_FPS

    @classmethod
    def of(cls, project: Optional[Project]) -> "Marks":
        if project is None:
            return cls((), (), 0)
        fps, analysis, plan = project.fps, project.analysis, project.plan
        ends = [to_frame(project.song.duration, fps) if project.song else 0]
        if analysis is not None:
            ends.append(to_frame(analysis.duration, fps))
        if plan is not None and plan.clips:
            ends.append(plan.clips[-1].end_frame)
        end = max(ends)
        beats = analysis.beat_frames() if analysis is not None and analysis.beats else []
        beats = beats or list(range(0, end + 1, fps))  # not analysed: whole seconds
        cuts = [c.start_frame for c in plan.clips] if plan is not None else []
        return cls(_clean(beats, end), _clean(cuts, end), end, fps)

    def clamp(self, frame: int) -> int:
        return min(max(int(frame), 0), self.end)

    def next_beat(self, frame: int) -> int:
        return self._after(self.beats, frame)

    def previous_beat(self, frame: int) -> int:
        return self._before(self.beats, frame)

    def next_cut(self, frame: int) -> int:
        return self._after(self.cuts, frame)

    def previous_cut(self, frame: int) -> int:
        return self._before(self.cuts, frame)

    def _after(self, points: tuple[int, ...], frame: int) -> int:
        i = bisect_right(points, frame)
        return points[i] if i < len(points) else self.end

    def _before(self, points: tuple[int, ...], frame: int) -> int:
        i = bisect_left(points, min(frame, self.end + 1))
        return points[i - 1] if i > 0 else 0


def _clean(frames: list[int], end: int) -> tuple[int, ...]:
    return tuple(sorted({f for f in frames if 0 <= f <= end}))


@dataclass
class Shuttle:
    """J/K/L and Space as a speed: 0 paused, 1/2/4 forward, -1/-2/-4 reverse."""

    speed: int = 0

    @property
    def playing(self) -> bool:
        return self.speed != 0

    def toggle(self) -> int:
        self.speed = 0 if self.speed else 1
        return self.speed

    def play(self) -> int:
        self.speed = 1
        return self.speed

    def forward(self) -> int:
        self.speed = min(self.speed * 2, MAX_SPEED) if self.speed > 0 else 1
        return self.speed

    def reverse(self) -> int:
        self.speed = max(self.speed * 2, -MAX_SPEED) if self.speed < 0 else -1
        return self.speed

    def stop(self) -> int:
        self.speed = 0
        return self.speed


def reverse_step(marks: Marks, frame: int, speed: int) -> tuple[int, int]:
    """One reverse step from ``frame``: the beat to show now, and how many ms to hold it (0: done)."""
    target = marks.previous_beat(frame)
    if target <= 0:
        return 0, 0
    hold = Fraction(target - marks.previous_beat(target), marks.fps) * 1000 / abs(speed)
    return target, max(int(hold), 1)


class Deck(Protocol):
    """What the transport drives (the player, which keeps the timeline's playhead with it)."""

    def frame(self) -> int: ...

    def seek(self, frame: int) -> None: ...

    def play(self, speed: float) -> bool: ...  # False: nothing can play (no media or back-end)

    def pause(self) -> None: ...


class Transport(QObject):
    """The Transport menu's slots: keys become shuttle speeds and seeks on a ``Deck``."""

    speed_changed = Signal(int)

    def __init__(self, deck: Deck, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.deck = deck
        self.marks = Marks.of(None)
        self.shuttle = Shuttle()
        self._reverse = QTimer(self)
        self._reverse.setSingleShot(True)
        self._reverse.timeout.connect(self._reverse_tick)

    @property
    def speed(self) -> int:
        return self.shuttle.speed

    def set_marks(self, marks: Marks) -> None:
        self.marks = marks

    # ------------------------------------------------------------------ shuttle

    def toggle_play(self) -> None:
        self._apply(self.shuttle.toggle())

    def play(self) -> None:
        self._apply(self.shuttle.play())

    def shuttle_forward(self) -> None:
        self._apply(self.shuttle.forward())

    def shuttle_reverse(self) -> None:
        self._apply(self.shuttle.reverse())

    def pause(self) -> None:
        self._apply(self.shuttle.stop())

    def deck_stopped(self) -> None:
        """The deck stopped by itself (end of media, error): forward play is over."""
        if self.shuttle.speed > 0:
            self._apply(self.shuttle.stop())

    def _apply(self, speed: int) -> None:
        self._reverse.stop()
        if speed > 0 and not self.deck.play(speed):
            speed = self.shuttle.stop()
        if speed <= 0:
            self.deck.pause()
        if speed < 0:
            self._reverse_tick()
        self.speed_changed.emit(self.shuttle.speed)

    def _reverse_tick(self) -> None:
        target, hold = reverse_step(self.marks, self.deck.frame(), self.shuttle.speed)
        self.deck.seek(target)
        if hold:
            self._reverse.start(hold)
        else:
            self.shuttle.stop()
            self.speed_changed.emit(0)

    # ------------------------------------------------------------------ jumps

    def next_beat(self) -> None:
        self._jump(self.marks.next_beat(self.deck.frame()))

    def previous_beat(self) -> None:
        self._jump(self.marks.previous_beat(self.deck.frame()))

    def next_cut(self) -> None:
        self._jump(self.marks.next_cut(self.deck.frame()))

    def previous_cut(self) -> None:
        self._jump(self.marks.previous_cut(self.deck.frame()))

    def go_start(self) -> None:
        self._jump(0)

    def go_end(self) -> None:
        self.pause()
        self._jump(self.marks.end)

    def _jump(self, frame: int) -> None:
        """Seek; forward play goes on from there, reverse play from its next step."""
        self.deck.seek(self.marks.clamp(frame))
