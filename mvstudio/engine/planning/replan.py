"""Re-planning that keeps the user's work: locked clips and edited scripts survive a new plan.

``merge_replan(old, new, analysis)`` lays the new plan around the clips the user kept::

    old     |-- a --|--- B (locked) ---|---- c ----|-- D (edited) --|
    new     |---- x ----|---- y ----|---- z ----|------ w ------|
    merged  |-- x'--|--- B (locked) ---|y'|-- z' --|-- D (edited) --|

* kept clips (``locked`` or ``user_edited``) stay exactly as they are: id, frames, script;
* the new plan's clips fill the gaps, cut at the kept clips' edges (every edge was a beat);
  a leftover shorter than ``MIN_FRAGMENT_S`` joins its neighbour from the new plan;
* a clip whose frames equal an old clip's keeps that old id (and so its still and video, when
  the script is unchanged: assets are found by owner id and input hash);
* transitions between two clips that were neighbours before are kept; others come from the new
  plan, or from the director's rules for a pair the new plan never had;
* characters and scenes the kept clips name are kept; a new one with the same name as a kept one
  is the kept one.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Optional

from mvstudio.engine.model import Analysis, ClipScript, Plan, Transition, new_id
from mvstudio.engine.planning.rules import plan_transitions
from mvstudio.engine.planning.validate import fit_transition, unique_ids

MIN_FRAGMENT_S = 1.0


def kept_clips(plan: Optional[Plan]) -> list[ClipScript]:
    """The clips a re-plan must not touch."""
    return [c for c in plan.clips if c.locked or c.user_edited] if plan else []


def merge_replan(old: Optional[Plan], new: Plan, analysis: Analysis) -> Plan:
    """``new`` with the kept clips of ``old`` in place (see module doc); inputs are untouched."""
    kept = [c for c in kept_clips(old) if c.end_frame <= analysis.end_frame]
    if old is None or not kept:
        return _with_old_ids(old, copy.deepcopy(new))
    merged = copy.deepcopy(new)
    origin: dict[str, str] = {}  # merged clip id -> the new plan's clip it came from
    clips = _fill(merged.clips, [copy.deepcopy(c) for c in kept], analysis.fps, origin)
    merged.clips = clips
    _keep_people_and_places(old, merged, kept)
    merged.transitions = _transitions(old, new, clips, origin, analysis)
    merged = _with_old_ids(old, merged)
    merged.notes = [*new.notes, f"kept {len(kept)} locked or edited clips from the last plan"]
    return merged


def _fill(new_clips: list[ClipScript], kept: list[ClipScript], fps: int,
          origin: dict[str, str]) -> list[ClipScript]:
    """The kept clips, and pieces of the new clips in the frames they leave free."""
    pieces: list[ClipScript] = []
    for clip in new_clips:
        start = clip.start_frame
        for k in kept:
            if k.end_frame <= start or k.start_frame >= clip.end_frame:
                continue
            if k.start_frame > start:
                pieces.append(_piece(clip, start, k.start_frame, origin))
            start = max(start, k.end_frame)
        if start < clip.end_frame:
            pieces.append(_piece(clip, start, clip.end_frame, origin))
    pieces = _absorb_slivers(pieces, round(MIN_FRAGMENT_S * fps), origin)
    return sorted([*kept, *pieces], key=lambda c: c.start_frame)


def _piece(clip: ClipScript, start: int, end: int, origin: dict[str, str]) -> ClipScript:
    piece = dataclasses.replace(copy.deepcopy(clip), start_frame=start, end_frame=end,
                                id=clip.id if (start, end) == (clip.start_frame, clip.end_frame)
                                else new_id("clip"))
    origin[piece.id] = clip.id
    return piece


def _absorb_slivers(pieces: list[ClipScript], min_frames: int,
                    origin: dict[str, str]) -> list[ClipScript]:
    """A piece shorter than ``min_frames`` joins an adjacent piece (none if kept clips border it)."""
    out: list[ClipScript] = []
    for piece in pieces:
        if out and out[-1].end_frame == piece.start_frame and \
                min(piece.frames, out[-1].frames) < min_frames:
            if piece.frames > out[-1].frames:  # the longer one's script wins
                piece.start_frame = out[-1].start_frame
                out[-1] = piece
            else:
                out[-1].end_frame = piece.end_frame
            continue
        out.append(piece)
    return out


def _keep_people_and_places(old: Plan, merged: Plan, kept: list[ClipScript]) -> None:
    for name in ("characters", "scenes"):
        named = {ref for c in kept for ref in getattr(c, name)}
        olds = [x for x in getattr(old, name) if x.id in named]
        by_name = {x.name: x.id for x in olds}
        alias = {x.id: by_name[x.name] for x in getattr(merged, name) if x.name in by_name}
        fresh = [x for x in getattr(merged, name) if x.id not in alias]
        setattr(merged, name, [*copy.deepcopy(olds), *fresh])
        for clip in merged.clips:
            refs = [alias.get(r, r) for r in getattr(clip, name)]
            setattr(clip, name, list(dict.fromkeys(refs)))


def _transitions(old: Plan, new: Plan, clips: list[ClipScript], origin: dict[str, str],
                 analysis: Analysis) -> list[Transition]:
    ids = [None, *(c.id for c in clips), None]
    ruled = {(t.from_clip, t.to_clip): t for t in plan_transitions(analysis, clips)}
    out = []
    for a, b in zip(ids, ids[1:]):
        found = old.transition_between(a, b) or \
            new.transition_between(origin.get(a, a) if a else None, origin.get(b, b) if b else None)
        t = dataclasses.replace(copy.deepcopy(found) if found else ruled[(a, b)],
                                from_clip=a, to_clip=b)
        out.append(fit_transition(t, [c.frames for c in clips if c.id in (a, b)]))
    return unique_ids(out)


def _with_old_ids(old: Optional[Plan], plan: Plan) -> Plan:
    """Clips that sit exactly where an old clip sat take its id (its media stays findable)."""
    if old is None:
        return plan
    by_frames = {(c.start_frame, c.end_frame): c.id for c in old.clips}
    taken = {c.id for c in plan.clips}
    renamed: dict[str, str] = {}
    for clip in plan.clips:
        old_id = by_frames.get((clip.start_frame, clip.end_frame))
        if old_id and old_id != clip.id and old_id not in taken:
            renamed[clip.id] = old_id
            taken.add(old_id)
            clip.id = old_id
    for t in plan.transitions:
        t.from_clip = renamed.get(t.from_clip, t.from_clip)
        t.to_clip = renamed.get(t.to_clip, t.to_clip)
    return plan
