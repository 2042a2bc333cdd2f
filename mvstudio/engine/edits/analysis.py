"""Corrections of the analysis as edits: tempo, beat-grid shift, tapped beats, section labels and
boundaries.

Each edit changes ``project.corrections`` and puts in the analysis that ``apply_corrections`` makes
of the measured one (``project.uncorrected_analysis()``), in one reversible ``SetProject`` step, so
the corrections survive a re-analysis and undo restores the analysis exactly.  Section edits name
their target by time (``SectionRelabel.at``, ``BoundaryMove.original``).

When the beat grid changes, the same edit moves every cut of the plan to the nearest beat frame of
the corrected grid (clip ids, scripts and transitions stay)::

    beats   |    |    |    |    |              ->     |    |    |    |    |   (shifted +1 frame)
    clips   |--- A ---|--- B ---|----               |--- A ----|--- B ---|----

The plan's basis (measured analysis + prompt, ``planning.basis``) does not change, so the plan
stays fresh.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

from mvstudio.engine.analysis.corrections import (apply_corrections, find_boundary, find_section,
                                                  validate_corrections)
from mvstudio.engine.edits.base import (Edit, EditError, NoChange, find, make_edit, set_fields,
                                        set_project)
from mvstudio.engine.edits.timeline import resized_edit
from mvstudio.engine.errors import InputError
from mvstudio.engine.model import (Analysis, AnalysisCorrections, BoundaryMove, Project,
                                   SectionRelabel)
from mvstudio.engine.snapping import SnapGrid, Snapper
from mvstudio.engine.timebase import timecode, to_frame

MIN_SECTION_SECONDS = 1.0  # no edit leaves a section shorter than this
BEAT_KINDS = {"downbeats", "beats"}  # what a dragged section boundary snaps to


# --------------------------------------------------------------------------- the one edit


def _measured(project: Project) -> Analysis:
    """The analysis as measured, with the lyrics the project has now (they are no correction)."""
    raw, current = project.uncorrected_analysis(), project.analysis
    if raw is None or current is None:
        raise EditError("analyse the song first")
    if raw is not current and raw.lyrics != current.lyrics:
        raw = dataclasses.replace(raw, lyrics=current.lyrics)
    return raw


def _cuts_on(project: Project, analysis: Analysis) -> list:
    """Every clip's frames with its start on the nearest beat frame of ``analysis``."""
    clips = project.plan.clips
    beats = tuple(sorted(set(analysis.beat_frames())))
    if not clips or not beats:
        return []
    nearest = Snapper(SnapGrid(beats=beats), enabled={"beats"})
    edges = [0] + [nearest.snap(c.start_frame).frame for c in clips[1:]] + [analysis.end_frame]
    for number, (start, end) in enumerate(zip(edges, edges[1:]), 1):
        if end <= start:
            raise EditError(f"on the new beat grid clip {number} would vanish at "
                            f"{timecode(start, project.fps)}: merge it with a neighbour first")
    return [set_fields("clips", clip, start_frame=start, end_frame=end)
            for clip, start, end in zip(clips, edges, edges[1:])]


def _correct(project: Project, label: str, corrections: AnalysisCorrections) -> Edit:
    """The edit that makes ``corrections`` the project's (see the module doc)."""
    if corrections == project.corrections:
        raise NoChange(f"{label}: nothing to change")
    raw = _measured(project)
    try:
        validate_corrections(corrections, raw.duration)
    except InputError as exc:
        raise EditError(str(exc)) from None
    analysis = apply_corrections(raw, corrections)  # with the settings raw was made with
    swap = set_project(project, corrections=corrections, analysis=analysis,
                       raw_analysis=None if analysis is raw else raw)
    if analysis.beat_frames() == project.analysis.beat_frames() or project.plan is None:
        return make_edit(label, [swap])
    moved = _cuts_on(project, analysis)
    return resized_edit(project, label, [swap, *moved], tuple(c.id for c in moved))


def _with(project: Project, **fields: Any) -> AnalysisCorrections:
    """The project's corrections with ``fields`` replaced (the project's are left untouched)."""
    return dataclasses.replace(project.corrections, **fields)


# --------------------------------------------------------------------------- beats


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise EditError(f"{what} must be a number, not {value!r}")
    return float(value)


def shift_beat_grid(project: Project, ms: float) -> Edit:
    """Move every beat by ``ms`` milliseconds (adds to the phase shift); cuts follow."""
    ms = _number(ms, "a beat shift")
    total = round(project.corrections.phase_shift_ms + ms, 6)
    return _correct(project, f"Shift beat grid {ms:+.0f} ms",
                    _with(project, phase_shift_ms=0.0 if abs(total) < 1e-6 else total))


def set_tempo(project: Project, bpm: float) -> Edit:
    """The song's tempo is ``bpm`` (replaces tapped beats; the shift stays); cuts follow."""
    bpm = round(_number(bpm, "a tempo"), 3)
    return _correct(project, f"Set tempo {bpm:g} BPM", _with(project, tempo_bpm=bpm,
                                                             tapped_beats=[]))


def tap_beats(project: Project, times: list[float]) -> Edit:
    """Beats the user tapped (seconds, two or more) set tempo and phase; cuts follow."""
    taps = sorted(round(_number(t, "a tap time"), 3) for t in times)
    if len(set(taps)) < 2:
        raise EditError("tap at least two beats to set the beat grid")
    return _correct(project, "Tap tempo", _with(project, tapped_beats=taps, tempo_bpm=None,
                                                phase_shift_ms=0.0))


def clear_beat_corrections(project: Project) -> Edit:
    """Back to the measured beats (section corrections stay); cuts follow."""
    return _correct(project, "Reset beat grid", _with(project, tapped_beats=[], tempo_bpm=None,
                                                      phase_shift_ms=0.0))


# --------------------------------------------------------------------------- sections


def _boundary(project: Project, index: int) -> tuple[float, float]:
    """Earliest and latest time the start of section ``index`` may move to."""
    sections = project.analysis.sections if project.analysis is not None else []
    if not isinstance(index, int) or not 1 <= index < len(sections):
        raise EditError(f"there is no section boundary {index}")
    lo = sections[index - 1].start + MIN_SECTION_SECONDS
    hi = sections[index].end - MIN_SECTION_SECONDS
    if lo > hi:
        raise EditError(f"the sections beside boundary {index} are too short to move it")
    return lo, hi


def preview_section_boundary(project: Project, index: int, seconds: float,
                             snapper: Optional[Snapper] = None, override: bool = False) -> float:
    """Where ``move_section_boundary`` would put the start of section ``index``; changes nothing.

    Snapped with ``snapper`` to beats and downbeats (unless ``override``), then kept
    ``MIN_SECTION_SECONDS`` inside both sections.
    """
    lo, hi = _boundary(project, index)
    fps = project.analysis.fps
    if snapper is not None and not override:
        beats_only = dataclasses.replace(snapper, enabled=snapper.enabled & BEAT_KINDS)
        within = (math.ceil(lo * fps) - 1, math.floor(hi * fps) + 1)
        seconds = beats_only.snap(to_frame(float(seconds), fps), within=within).frame / fps
    return round(min(max(float(seconds), lo), hi), 3)


def move_section_boundary(project: Project, index: int, seconds: float, *,
                          snapper: Optional[Snapper] = None, override: bool = False) -> Edit:
    """Move where section ``index`` starts (and ``index - 1`` ends)::

        before   | intro | verse     | chorus  |
        after    | intro | verse | chorus      |
                               ^ seconds (snapped to a beat unless override)

    Stored as a ``BoundaryMove`` from the measured boundary, so it survives a re-analysis.
    """
    _boundary(project, index)
    sections = project.analysis.sections
    seconds = _number(seconds, "a section boundary")
    if not sections[index - 1].start < seconds < sections[index].end:
        raise EditError(f"a section boundary at {seconds:.2f} s would pass its neighbours: keep "
                        f"it between {sections[index - 1].start:.2f} and "
                        f"{sections[index].end:.2f} s")
    to = preview_section_boundary(project, index, seconds, snapper, override)
    if to == sections[index].start:
        raise NoChange("Move section boundary: nothing to change")
    raw = _measured(project).sections
    moves = [m for m in project.corrections.boundary_moves if find_boundary(raw, m) != index]
    if to != raw[index].start:
        moves.append(BoundaryMove(index=index, time=to, original=raw[index].start))
    return _correct(project, "Move section boundary", _with(project, boundary_moves=moves))


def relabel_section(project: Project, section_id: str, label: str) -> Edit:
    """Give a section another label::

        before   | intro | verse     | chorus  |
        after    | intro | bridge    | chorus  |

    Stored as a ``SectionRelabel`` at a time inside the measured section, so it survives a
    re-analysis.
    """
    sections = project.analysis.sections if project.analysis is not None else []
    index, section = find(sections, section_id, "section")
    if section.label == label:
        raise NoChange("Rename section: nothing to change")
    measured = _measured(project).sections
    raw = measured[index]
    start, end = max(raw.start, section.start), min(raw.end, section.end)
    at = (start + end) / 2 if start < end else (raw.start + raw.end) / 2  # in both, if they meet
    relabels = [r for r in project.corrections.relabels if find_section(measured, r) != index]
    if label != raw.label:
        relabels.append(SectionRelabel(index=index, label=label, at=round(at, 3)))
    return _correct(project, "Rename section", _with(project, relabels=relabels))
