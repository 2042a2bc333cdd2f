"""Edits of the timeline's shape: cuts, splits, merges and transitions.

Transitions take room inside the clips they join: an opening or ending fade its whole length, a
transition between two clips half its length (rounded up) on each side::

    |---- A ----|---- B ----|---- C ----|
    [fade]   [=====+=====]            [fade]
               A's half  B's half

Every clip must hold what its transitions take.  When an edit shortens a clip so far that they no
longer fit, its transitions are shortened to the planner's cap (``TRANSITION_FRAMES_CAP`` of the
shorter clip), which always fits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Iterable, Optional

from mvstudio.engine.edits.base import (MAX_SEED, Edit, EditError, NoChange, SetFields, find,
                                        insert, make_edit, plan_of, remove, set_fields, trial)
from mvstudio.engine.hashing import input_hash
from mvstudio.engine.model import TRANSITION_KINDS, ClipScript, Plan, Project, Transition, new_id
from mvstudio.engine.planning.rules import TRANSITION_FRAMES_CAP
from mvstudio.engine.snapping import Snapper
from mvstudio.engine.timebase import timecode, to_frame

MIN_CLIP_SECONDS = 0.5  # no edit leaves a clip shorter than this
USER_CHOICE = "chosen by the user"  # rationale of transitions the user set or made


# --------------------------------------------------------------------------- transitions' room


def _room_taken(plan: Plan) -> dict[str, int]:
    """Frames of each clip taken by the transitions at its ends (see the module docstring)."""
    taken: dict[str, int] = defaultdict(int)
    for t in plan.transitions:
        ends = [c for c in (t.from_clip, t.to_clip) if c is not None]
        share = t.duration_frames if len(ends) == 1 else -(-t.duration_frames // 2)
        for clip_id in ends:
            taken[clip_id] += share
    return taken


def _overfull(plan: Plan, clip_ids: Iterable[Optional[str]]) -> list[str]:
    """Those of ``clip_ids`` whose transitions take more frames than the clip has."""
    taken, frames = _room_taken(plan), {c.id: c.frames for c in plan.clips}
    return [c for c in clip_ids if c in frames and taken[c] > frames[c]]


def _clamped_transitions(plan: Plan, clip_ids: tuple[str, ...]) -> tuple[SetFields, ...]:
    """Transitions of overfull clips shortened to ``TRANSITION_FRAMES_CAP`` of the shorter clip."""
    over = set(_overfull(plan, clip_ids))
    frames = {c.id: c.frames for c in plan.clips}
    clamps = []
    for t in plan.transitions:
        if over & {t.from_clip, t.to_clip}:
            cap = int(min(frames[c] for c in (t.from_clip, t.to_clip) if c in frames)
                      * TRANSITION_FRAMES_CAP)
            clamps.append(set_fields("transitions", t, duration_frames=min(t.duration_frames, cap)))
    return tuple(c for c in clamps if c.after)


def resized_edit(project: Project, label: str, changes: Iterable,
                 resized: tuple[str, ...]) -> Edit:
    """``make_edit`` plus the shortening of transitions the ``resized`` clips can no longer hold."""
    edit = make_edit(label, changes)
    clamps = trial(project, edit, lambda p: _clamped_transitions(p.plan, resized))
    return Edit(label, edit.changes + clamps)


def _outgoing(plan: Plan, clip_id: str) -> Optional[Transition]:
    return next((t for t in plan.transitions if t.from_clip == clip_id), None)


# --------------------------------------------------------------------------- cuts


def _time(project: Project, frame: int) -> str:
    return timecode(frame, project.fps)


def _min_frames(project: Project) -> int:
    return max(1, to_frame(MIN_CLIP_SECONDS, project.fps))


def _neighbours(project: Project, cut_index: int) -> tuple[ClipScript, ClipScript]:
    clips = plan_of(project).clips
    if not 0 <= cut_index < len(clips) - 1:
        raise EditError(f"there is no cut {cut_index}: the timeline has {len(clips) - 1} cuts")
    return clips[cut_index], clips[cut_index + 1]


def _place(frame: int, lo: int, hi: int, snapper: Optional[Snapper], override: bool) -> int:
    """``frame`` snapped to the grid inside ``[lo, hi]`` (unless ``override``), clamped there."""
    if snapper is not None:
        frame = snapper.snap(frame, override, within=(lo - 1, hi + 1)).frame
    return min(max(frame, lo), hi)


def cut_range(project: Project, cut_index: int) -> tuple[int, int]:
    """First and last frame cut ``cut_index`` may move to (both clips keep ``MIN_CLIP_SECONDS``)."""
    a, b = _neighbours(project, cut_index)
    return a.start_frame + _min_frames(project), b.end_frame - _min_frames(project)


def preview_cut(project: Project, cut_index: int, frame: int, snapper: Optional[Snapper] = None,
                override: bool = False) -> int:
    """The frame ``move_cut`` would put cut ``cut_index`` on for ``frame``; changes nothing.

    Frames beyond ``cut_range`` are clamped into it, so a drag preview always has an answer.
    """
    lo, hi = cut_range(project, cut_index)
    if lo > hi:
        return _neighbours(project, cut_index)[1].start_frame
    return _place(frame, lo, hi, snapper, override)


def move_cut(project: Project, cut_index: int, frame: int, *, snapper: Optional[Snapper] = None,
             override: bool = False) -> Edit:
    """Move the cut between clip ``cut_index`` and the next; both neighbours change length::

        before   |--- A ---|------- B -------|--- C
        after    |------- A -------|--- B ---|--- C
                           ^ -----> ^ frame (snapped to the grid unless override)

    ``frame`` must lie strictly between A's start and B's end; it is snapped with ``snapper``
    (Shift: ``override``) and kept ``MIN_CLIP_SECONDS`` from both, exactly as ``preview_cut``.
    """
    a, b = _neighbours(project, cut_index)
    if not a.start_frame < frame < b.end_frame:
        first, last = _time(project, a.start_frame), _time(project, b.end_frame)
        raise EditError(f"a cut at {_time(project, frame)} would pass its neighbours: keep it "
                        f"between {first} and {last}")
    to = preview_cut(project, cut_index, frame, snapper, override)
    changes = [set_fields("clips", a, end_frame=to), set_fields("clips", b, start_frame=to)]
    return resized_edit(project, "Move cut", changes, (a.id, b.id))


# --------------------------------------------------------------------------- split and merge


def _split_seed(seed: int, clip_id: str) -> int:
    return int(input_hash("split", seed, clip_id)[:8], 16) % MAX_SEED + 1


def split_clip(project: Project, clip_id: str, frame: int, *, snapper: Optional[Snapper] = None,
               override: bool = False) -> Edit:
    """Cut a clip in two at ``frame`` (snapped with ``snapper`` unless ``override``)::

        before   |-------------- A --------------|y
        after    |------ A ------|x|----- A2 ----|y      x: new hard cut, y now leaves A2
                                 ^ frame

    A keeps its id; A2 gets a new id and a copy of A's script with a new seed.  Both parts keep at
    least ``MIN_CLIP_SECONDS``.
    """
    plan = plan_of(project)
    index, clip = find(plan.clips, clip_id, "clip")
    lo, hi = clip.start_frame + _min_frames(project), clip.end_frame - _min_frames(project)
    if not lo <= frame <= hi:
        raise EditError(f"cannot split at {_time(project, frame)}: both parts need at least "
                        f"{MIN_CLIP_SECONDS} s")
    at = _place(frame, lo, hi, snapper, override)
    right_id = new_id("clip")
    right = replace(clip, start_frame=at, id=right_id, seed=_split_seed(clip.seed, right_id))
    cut = Transition(clip.id, right_id, "cut", 0, USER_CHOICE)
    leaving = _outgoing(plan, clip.id)
    changes = [set_fields("clips", clip, end_frame=at), insert("clips", index + 1, right)]
    if leaving is not None:
        changes.append(set_fields("transitions", leaving, from_clip=right_id))
    where = plan.transitions.index(leaving) if leaving is not None else len(plan.transitions)
    changes.append(insert("transitions", where, cut))
    return resized_edit(project, "Split clip", changes, (clip.id, right_id))


def merge_with_next(project: Project, clip_id: str) -> Edit:
    """The clip absorbs the next one; the transition between them goes::

        before   |---- A ----|x|---- B ----|y|--- C       x: A->B, y: B->C
        after    |---------- A ------------|y|--- C       y: A->C

    A keeps its script; B's media stays in the project so that undo brings it back.
    """
    plan = plan_of(project)
    index, clip = find(plan.clips, clip_id, "clip")
    if index == len(plan.clips) - 1:
        raise EditError("the last clip has no next clip to merge with")
    absorbed = plan.clips[index + 1]
    between = plan.transition_between(clip.id, absorbed.id)
    leaving = _outgoing(plan, absorbed.id)
    changes = [remove("transitions", plan.transitions, between)] if between else []
    if leaving is not None:
        changes.append(set_fields("transitions", leaving, from_clip=clip.id))
    changes += [remove("clips", plan.clips, absorbed),
                set_fields("clips", clip, end_frame=absorbed.end_frame)]
    return make_edit("Merge clips", changes)


# --------------------------------------------------------------------------- transitions


def _check_length(kind: str, frames: int) -> None:
    if kind not in TRANSITION_KINDS:
        raise EditError(f"unknown transition {kind!r}; choose one of {', '.join(TRANSITION_KINDS)}")
    if not isinstance(frames, int) or isinstance(frames, bool) or frames < 0:
        raise EditError(f"a transition lasts a whole number of frames, not {frames!r}")
    if kind == "cut" and frames:
        raise EditError("a hard cut has no length")
    if kind != "cut" and not frames:
        raise EditError(f"a {kind} needs at least one frame")


def set_transition(project: Project, transition_id: str, kind: str,
                   duration_frames: int) -> Edit:
    """Change a transition's kind and length, centred on its cut::

                 |------ A ------|------ B ------|
        before                 [=+=]
        after              [=====+=====]  duration_frames, half in A, half in B

    Both clips must hold the new length beside their other transitions; the rationale becomes
    ``USER_CHOICE``.
    """
    plan = plan_of(project)
    _, transition = find(plan.transitions, transition_id, "transition")
    _check_length(kind, duration_frames)
    if (transition.kind, transition.duration_frames) == (kind, duration_frames):
        raise NoChange("Change transition: nothing to change")
    change = set_fields("transitions", transition, kind=kind, duration_frames=duration_frames,
                        rationale=USER_CHOICE)
    edit = Edit("Change transition", (change,))
    ends = (transition.from_clip, transition.to_clip)
    if trial(project, edit, lambda p: _overfull(p.plan, ends)):
        raise EditError(f"a {duration_frames / project.fps:.2f} s {kind} is longer than the "
                        "clips beside it can hold")
    return edit
