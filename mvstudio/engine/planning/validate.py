"""One validator for every plan, whoever made it, and a repair that makes any plan valid.

``validate_plan`` adds the director's rules to ``model.check_consistency`` (no gap, overlap or
dangling id)::

    beat     every cut is on a beat frame of the analysis
    anchor   every cut is within ``ANCHOR_REACH_S`` of a boundary the analysis proposed
    long     no clip is longer than the video model allows
    continuity  a clip that continues the one before (one shot) is joined to it by a cut
    style    the style guide names keywords that every prompt shares

``repair_plan`` returns a copy that passes: cuts move to the nearest proposed boundary when too
far from one and then to the nearest beat, clips that collapse merge, clips that are too long are
split on beats (downbeats preferred; the part split off continues the shot), unknown ids are
dropped, every cut gets exactly one transition (the plan's own where it made one, else the
director's rule; a cut inside a continuous shot is hard), and missing style keywords are taken
from the visual style.
"""

from __future__ import annotations

import copy
import dataclasses
from bisect import bisect_left
from typing import Optional

from mvstudio.engine.analysis.boundaries import clip_boundaries
from mvstudio.engine.model import (TRANSITION_KINDS, Analysis, ClipBoundary, ClipScript, Plan,
                                   Problem, Project, Transition, check_consistency, new_id)
from mvstudio.engine.planning.rules import TRANSITION_FRAMES_CAP, plan_transitions
from mvstudio.engine.timebase import to_seconds

ANCHOR_REACH_S = 2.0
CONTINUOUS = "one continuous shot: the next clip starts on this one's last frame"


def _max_frames(analysis: Analysis, max_clip_s: Optional[float]) -> Optional[int]:
    return None if max_clip_s is None else int(max_clip_s * analysis.fps)


def proposed_slots(analysis: Analysis, max_clip_s: Optional[float] = None) -> list[ClipBoundary]:
    """The analysis' clip slots for a video model that makes clips of at most ``max_clip_s``:
    its own, or proposed anew with the clip lengths capped (``AnalysisSettings.capped_by``)."""
    settings = analysis.settings.capped_by(max_clip_s)
    slots = analysis.clip_boundaries
    if settings is not analysis.settings and slots:
        slots = clip_boundaries(analysis.beats, analysis.downbeats,
                                [s.start for s in analysis.sections[1:]], analysis.duration,
                                analysis.fps, settings.min_clip_s, settings.max_clip_s,
                                settings.min_clips, analysis.beat_energy or None)
    limit = _max_frames(analysis, max_clip_s)
    return slots if limit is None else _halved(slots, analysis.beat_frames(), limit)


def _halved(slots: list[ClipBoundary], beats: list[int], limit: int) -> list[ClipBoundary]:
    """Slots the beats left longer than ``limit`` (the song's end seldom falls on a beat), cut
    at their middle beat until they fit."""
    out, todo = [], list(slots)
    while todo:
        slot = todo.pop(0)
        middle = (slot.start_frame + slot.end_frame) / 2
        inside = [b for b in beats if slot.start_frame < b < slot.end_frame]
        if slot.end_frame - slot.start_frame <= limit or not inside:
            out.append(slot)
            continue
        cut = min(inside, key=lambda b: abs(b - middle))
        todo[:0] = [ClipBoundary(slot.start_frame, cut), ClipBoundary(cut, slot.end_frame)]
    return out


def _anchors(analysis: Analysis, max_clip_s: Optional[float] = None) -> list[int]:
    return sorted({b.start_frame for b in proposed_slots(analysis, max_clip_s)[1:]})


def _nearest(frames: list[int], frame: int) -> Optional[int]:
    i = bisect_left(frames, frame)
    near = [frames[j] for j in (i - 1, i) if 0 <= j < len(frames)]
    return min(near, key=lambda f: abs(f - frame)) if near else None


def validate_plan(plan: Plan, analysis: Analysis,
                  max_clip_s: Optional[float] = None) -> list[Problem]:
    """Every way ``plan`` breaks the rules (an empty list: it is valid)."""
    problems = check_consistency(Project(name="check", analysis=analysis, plan=plan))
    fps, beats = analysis.fps, set(analysis.beat_frames())
    anchors, reach = _anchors(analysis, max_clip_s), round(ANCHOR_REACH_S * fps)
    for cut in plan.cut_frames():
        at = f"{float(to_seconds(cut, fps)):.2f} s"
        if cut not in beats:
            problems.append(Problem("beat", f"the cut at {at} is not on a beat"))
        near = _nearest(anchors, cut)
        if anchors and (near is None or abs(near - cut) > reach):
            problems.append(Problem("anchor", f"the cut at {at} is more than "
                                    f"{ANCHOR_REACH_S:g} s from a boundary of the song"))
    limit = _max_frames(analysis, max_clip_s)
    for clip in plan.clips:
        if limit is not None and clip.frames > limit:
            problems.append(Problem("long", f"clip {clip.id} runs {clip.frames / fps:.1f} s; the "
                                    f"video model makes at most {max_clip_s:g} s", clip.id))
    for a, b in zip(plan.clips, plan.clips[1:]):
        t = plan.transition_between(a.id, b.id)
        if b.continues and t is not None and t.kind != "cut":
            problems.append(Problem("continuity", f"clip {b.id} continues the shot before it, "
                                    f"but they are joined by a {t.kind}", b.id))
    if not plan.style.keywords:
        problems.append(Problem("style", "the style guide has no keywords for the prompts"))
    return problems


def repair_plan(plan: Plan, analysis: Analysis, max_clip_s: Optional[float] = None) -> Plan:
    """A copy of ``plan`` that ``validate_plan`` accepts (see module doc)."""
    fixed = copy.deepcopy(plan)
    end = analysis.end_frame
    clips = sorted((c for c in fixed.clips if c.end_frame > c.start_frame),
                   key=lambda c: c.start_frame)
    if not clips:
        raise ValueError("a plan without clips cannot be repaired")
    cuts = [_place(c.start_frame, analysis, max_clip_s) for c in clips[1:]]
    clips = _rebuild(clips, [0, *cuts, end])
    clips = _split_long(clips, analysis, max_clip_s)
    clips[0].continues = False  # the first clip has no shot before it to continue
    fixed.clips = clips
    _drop_unknown_ids(fixed)
    fixed.transitions = _one_transition_per_cut(plan, clips, analysis)
    if not fixed.style.keywords:
        words = [w.strip() for w in fixed.style.visual_style.split(",") if w.strip()]
        fixed.style.keywords = words[:3] or [fixed.style.mood or "cinematic"]
    return fixed


def _place(frame: int, analysis: Analysis, max_clip_s: Optional[float]) -> int:
    """A cut moved near a proposed boundary (if too far from all) and onto the nearest beat."""
    reach = round(ANCHOR_REACH_S * analysis.fps)
    near = _nearest(_anchors(analysis, max_clip_s), frame)
    beat = _nearest(analysis.beat_frames(), frame)
    if beat is not None and (near is None or abs(near - beat) <= reach):
        return beat
    return near if near is not None else frame  # proposed boundaries lie on beats


def _rebuild(clips: list[ClipScript], edges: list[int]) -> list[ClipScript]:
    """Clip ``i`` spans ``[edges[i], edges[i + 1])`` (edges made non-decreasing, within the song);
    a clip left with no frames merges away."""
    end = edges[-1]
    fixed = [0]
    for e in edges[1:-1]:
        fixed.append(min(max(e, fixed[-1]), end))
    fixed.append(end)
    return [dataclasses.replace(c, start_frame=a, end_frame=b)
            for c, a, b in zip(clips, fixed, fixed[1:]) if b > a]


def _split_long(clips: list[ClipScript], analysis: Analysis,
                max_clip_s: Optional[float]) -> list[ClipScript]:
    limit = _max_frames(analysis, max_clip_s)
    if limit is None:
        return clips
    downbeats, beats = set(analysis.downbeat_frames()), analysis.beat_frames()
    anchors = set(_anchors(analysis, max_clip_s))
    out: list[ClipScript] = []
    todo = list(clips)
    while todo:
        clip = todo.pop(0)
        inside = [b for b in beats if clip.start_frame < b < clip.end_frame
                  and b - clip.start_frame <= limit and clip.end_frame - b >= 1]
        if clip.frames <= limit or not inside:
            out.append(clip)
            continue
        # the latest proposed boundary that fits, else bar start, else beat
        cut = max((b for b in inside if b in anchors),
                  default=max((b for b in inside if b in downbeats), default=max(inside)))
        out.append(dataclasses.replace(clip, end_frame=cut))
        todo.insert(0, dataclasses.replace(copy.deepcopy(clip), start_frame=cut,  # the shot
                                           id=new_id("clip"), continues=True))  # goes on
    return out


def _drop_unknown_ids(plan: Plan) -> None:
    characters = {c.id for c in plan.characters}
    scenes = {s.id for s in plan.scenes}
    for clip in plan.clips:
        clip.characters = [c for c in dict.fromkeys(clip.characters) if c in characters]
        clip.scenes = [s for s in dict.fromkeys(clip.scenes) if s in scenes]


def _one_transition_per_cut(original: Plan, clips: list[ClipScript], analysis: Analysis):
    ids = [None, *(c.id for c in clips), None]
    frames = {c.id: c.frames for c in clips}
    ruled = {(t.from_clip, t.to_clip): t for t in plan_transitions(analysis, clips)}
    continuing = {c.id for c in clips if c.continues}
    out = []
    for a, b in zip(ids, ids[1:]):
        own = original.transition_between(a, b)
        if a is not None and b in continuing:
            out.append(continuous_cut(own or ruled[(a, b)]))
        elif own is None or own.kind not in TRANSITION_KINDS:
            out.append(ruled[(a, b)])
        else:
            out.append(fit_transition(own, [frames[c] for c in (a, b) if c is not None]))
    return unique_ids(out)


def continuous_cut(t: Transition) -> Transition:
    """``t`` as the hard cut inside one continuous shot (the next clip starts on the frame
    this one ends on: ``continuity``)."""
    return dataclasses.replace(t, kind="cut", duration_frames=0, rationale=CONTINUOUS)


def fit_transition(t: Transition, clip_frames: list[int]) -> Transition:
    """``t`` no longer than its clips allow (a share of the shorter); one that fits no frames
    becomes a cut."""
    cap = int(min(clip_frames) * TRANSITION_FRAMES_CAP)
    length = max(0, min(t.duration_frames, cap))
    return dataclasses.replace(t, duration_frames=length, kind=t.kind if length else "cut")


def unique_ids(transitions: list[Transition]) -> list[Transition]:
    """The transitions, any repeated id replaced by a new one."""
    seen: set[str] = set()
    for t in transitions:
        if t.id in seen:
            t.id = new_id("tr")
        seen.add(t.id)
    return transitions
