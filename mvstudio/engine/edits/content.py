"""Edits of what the timeline shows: clip scripts and locks (section edits are analysis
corrections: ``edits.analysis``)."""

from __future__ import annotations

from typing import Any, Callable

from mvstudio.engine.edits.base import (MAX_SEED, Edit, EditError, NoChange, find, make_edit,
                                        plan_of, set_fields)
from mvstudio.engine.generation.model_registry import RegistryError, find_model
from mvstudio.engine.model import Plan, Project
from mvstudio.engine.planning.validate import continuous_cut

BEAT_INTENSITIES = ("soft", "medium", "strong")  # the director's intensities (director.json)


# --------------------------------------------------------------------------- scripts


def _text(plan: Plan, name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise EditError(f"{name.replace('_', ' ')} must be text")
    return value


def _known_ids(plan: Plan, name: str, value: Any) -> list[str]:
    """``value`` as a list of ids of ``plan.characters`` or ``plan.scenes``, without repeats."""
    known = {item.id for item in getattr(plan, name)}
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise EditError(f"{name} must be a list of ids")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise EditError(f"there is no {name[:-1]} {unknown[0]}")
    return list(dict.fromkeys(value))


def _intensity(plan: Plan, name: str, value: Any) -> str:
    if value not in BEAT_INTENSITIES:
        raise EditError(f"beat intensity must be one of {', '.join(BEAT_INTENSITIES)}")
    return value


def _seed(plan: Plan, name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SEED:
        raise EditError(f"a seed is a whole number from 0 to {MAX_SEED}")
    return value


SCRIPT_FIELDS: dict[str, Callable[[Plan, str, Any], Any]] = {
    "visual_description": _text, "motion": _text, "camera": _text, "lyrics_context": _text,
    "characters": _known_ids, "scenes": _known_ids, "beat_intensity": _intensity, "seed": _seed,
}


def edit_script(project: Project, clip_id: str, **fields: Any) -> Edit:
    """Change fields of one clip's script (see ``SCRIPT_FIELDS``) and mark it ``user_edited``::

        |--- A ---|--- B* ---|--- C ---|      only B's prompt, still and video go stale
    """
    plan = plan_of(project)
    _, clip = find(plan.clips, clip_id, "clip")
    unknown = sorted(set(fields) - set(SCRIPT_FIELDS))
    if unknown or not fields:
        raise EditError(f"a clip script has no field {unknown[0]}" if unknown
                        else "no script field to change")
    values = {name: SCRIPT_FIELDS[name](plan, name, v) for name, v in fields.items()}
    if all(getattr(clip, name) == v for name, v in values.items()):
        raise NoChange("Edit script: nothing to change")
    return make_edit("Edit script", [set_fields("clips", clip, user_edited=True, **values)])


def set_locked(project: Project, clip_id: str, locked: bool) -> Edit:
    """Lock or unlock one clip::

        |--- A ---|--- B (locked) ---|--- C ---|
    """
    _, clip = find(plan_of(project).clips, clip_id, "clip")
    if not isinstance(locked, bool):
        raise EditError("locked is true or false")
    label = "Lock clip" if locked else "Unlock clip"
    return make_edit(label, [set_fields("clips", clip, locked=locked)])


def set_continues(project: Project, clip_id: str, continues: bool) -> Edit:
    """Make a clip continue the one before it as one shot (its video starts on that clip's last
    frame, and the cut between them becomes a hard cut), or start a shot of its own::

        |--- A ---|--- B ---|   ->   |--- A ~~~ B ---|   (B starts where A ends)
    """
    plan = plan_of(project)
    index, clip = find(plan.clips, clip_id, "clip")
    if not isinstance(continues, bool):
        raise EditError("continues is true or false")
    if continues and index == 0:
        raise EditError("the first clip has no shot before it to continue")
    changes = [set_fields("clips", clip, continues=continues, user_edited=True)]
    into = plan.transition_between(plan.clips[index - 1].id, clip.id) if index else None
    if continues and into is not None:
        joined = continuous_cut(into)
        changes.append(set_fields("transitions", into, kind=joined.kind,
                                  duration_frames=joined.duration_frames,
                                  rationale=joined.rationale))
    label = "Continue the shot" if continues else "Start a new shot"
    return make_edit(label, changes)


def set_clip_model(project: Project, clip_id: str, model: str) -> Edit:
    """Make one clip's video with ``model`` (a video model of the registry; "" = the
    project's); only that clip goes stale."""
    _, clip = find(plan_of(project).clips, clip_id, "clip")
    if model:
        try:
            model = find_model(model, "video").key
        except RegistryError as exc:
            raise EditError(str(exc)) from None
    return make_edit("Set clip model", [set_fields("clips", clip, video_model=model)])
