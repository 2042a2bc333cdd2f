"""What the UI offers for a transition: its kinds by name, lengths in beats of the local tempo, and
the menu the clip lane opens on a cut.  Choosing only reports ``(transition id, kind, frames)``; the
window turns that into an undoable ``set_transition`` edit.

A length of 0 beats is a hard cut; giving a cut a length makes it a crossfade; giving a cut another
kind gives it ``DEFAULT_BEATS``.
"""

from __future__ import annotations

import bisect
from typing import Callable, Optional

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from mvstudio.engine.model import TRANSITION_KINDS, Project, Transition

KIND_NAMES = {"cut": "Cut", "crossfade": "Crossfade", "fade": "Fade", "fadeblack": "Fade to black",
              "fadewhite": "Fade to white", "wipeleft": "Wipe left", "slideleft": "Slide left",
              "circleopen": "Circle open", "dissolve": "Dissolve"}
MENU_BEATS = (0.5, 1.0, 2.0)
DEFAULT_BEATS = 1.0
LOCAL_BEATS = 8  # beat gaps averaged for the local tempo
Choice = Callable[[str, str, int], None]  # transition id, kind, frames


def cut_frame(project: Project, t: Transition) -> int:
    """The frame ``t`` is centred on: its cut, 0 for the opening, the last clip's end for the
    ending."""
    clips = {c.id: c for c in project.plan.clips}
    if t.to_clip in clips:
        return clips[t.to_clip].start_frame
    return clips[t.from_clip].end_frame if t.from_clip in clips else 0


def beat_frames(project: Project, frame: int) -> float:
    """Frames per beat around ``frame``: the mean over ``LOCAL_BEATS`` beats there (beat times
    jitter by a frame), else from the BPM."""
    analysis, fps = project.analysis, project.fps
    beats = analysis.beats if analysis else []
    i = bisect.bisect_left(beats, frame / fps)
    lo = max(min(i - LOCAL_BEATS // 2, len(beats) - 1 - LOCAL_BEATS), 0)
    hi = min(lo + LOCAL_BEATS, len(beats) - 1)
    if hi > lo and beats[hi] > beats[lo]:
        return (beats[hi] - beats[lo]) / (hi - lo) * fps
    return (60.0 / analysis.bpm if analysis and analysis.bpm > 0 else 0.5) * fps


def frames_for(beats: float, beat_len: float) -> int:
    """``beats`` beats in whole frames; anything above 0 lasts at least a frame."""
    return max(1, round(beats * beat_len)) if beats > 0 else 0


def choose(t: Transition, beat_len: float, kind: Optional[str] = None,
           beats: Optional[float] = None) -> tuple[str, int]:
    """The ``(kind, frames)`` for choosing ``kind`` or a length of ``beats`` for ``t``."""
    if kind is None:
        frames = frames_for(beats or 0.0, beat_len)
        return ("cut", 0) if not frames else (t.kind if t.kind != "cut" else "crossfade", frames)
    if kind == "cut":
        return "cut", 0
    return kind, t.duration_frames or frames_for(DEFAULT_BEATS, beat_len)


def describe(frames: int, fps: int) -> str:
    """``"15 f · 500 ms"``."""
    return f"{frames} f · {round(frames * 1000 / fps)} ms"


def beats_name(beats: float) -> str:
    whole = "½" if beats == 0.5 else f"{beats:g}"
    return f"{whole} beat" + ("" if beats <= 1 else "s")


def transition_menu(project: Project, t: Transition, on_choice: Choice) -> QMenu:
    """Kinds (the current one checked) and lengths of ½, 1 and 2 local beats for ``t``."""
    beat_len, fps = beat_frames(project, cut_frame(project, t)), project.fps
    menu = QMenu()
    menu.addSection("Transition")
    _group(menu, [(KIND_NAMES.get(k, k), k == t.kind, choose(t, beat_len, kind=k))
                  for k in TRANSITION_KINDS], t, on_choice)
    menu.addSection("Length")
    lengths = [(f"{beats_name(b)}  ({describe(frames_for(b, beat_len), fps)})",
                t.kind != "cut" and t.duration_frames == frames_for(b, beat_len),
                choose(t, beat_len, beats=b)) for b in MENU_BEATS]
    _group(menu, lengths, t, on_choice)
    return menu


def _group(menu: QMenu, entries, t: Transition, on_choice: Choice) -> None:
    group = QActionGroup(menu)
    for text, checked, (kind, frames) in entries:
        action = QAction(text, menu, checkable=True, checked=checked)
        action.triggered.connect(lambda _=False, k=kind, f=frames: on_choice(t.id, k, f))
        group.addAction(action)
        menu.addAction(action)
