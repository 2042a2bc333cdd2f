"""Edits of the plan's cast, places and look: characters, scenes and the style guide.

What each edit makes stale (the prompt builder and the pipeline decide, see ``planning/prompts.py``
and ``pipeline.image_hash``)::

    style: visual style, lighting, keywords,    every clip's prompt -> every still and video
           palette (first 4 in the prompt,
           all of it in every still's request)
    style: mood, cinematography                 nothing yet (no stage reads them)
    character: description                      prompts of the clips that name it
    character: name, role                       nothing
    scene: any field                            nothing yet (prompts name scenes by id only;
                                                scene reference images will read them)
    add character / scene                       nothing (no clip names it yet)
    remove character / scene                    refused while a clip names it
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Callable

from mvstudio.engine.edits.base import (OUT_OF_DATE, Edit, EditError, NoChange, find, insert,
                                        make_edit, plan_of, remove, set_fields)
from mvstudio.engine.model import Character, Project, Scene, StyleGuide

HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
MAX_PALETTE_COLOURS = 12
STYLE_TEXT_FIELDS = ("visual_style", "mood", "lighting", "cinematography")
STYLE_FIELDS = STYLE_TEXT_FIELDS + ("palette", "keywords")


# --------------------------------------------------------------------------- values


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise EditError(f"{name.replace('_', ' ')} must be text")
    return value


def _name(name: str, value: Any) -> str:
    value = " ".join(_text(name, value).split())
    if not value:
        raise EditError("a name cannot be empty")
    return value


def colour(value: Any) -> str:
    """``value`` as ``#RRGGBB`` (upper case); ``EditError`` unless it is one."""
    if not isinstance(value, str) or not HEX_COLOUR.fullmatch(value.strip()):
        raise EditError(f"{value!r} is not a colour like #1A2B3C")
    return value.strip().upper()


def _palette(name: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise EditError("a palette is a list of colours like #1A2B3C")
    if len(value) > MAX_PALETTE_COLOURS:
        raise EditError(f"a palette has at most {MAX_PALETTE_COLOURS} colours")
    return [colour(v) for v in value]


def _keywords(name: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or \
            not all(isinstance(v, str) for v in value):
        raise EditError("keywords are a list of words")
    return list(dict.fromkeys(w for w in (" ".join(v.split()) for v in value) if w))


STYLE_VALUES: dict[str, Callable[[str, Any], Any]] = {
    **{name: _text for name in STYLE_TEXT_FIELDS}, "palette": _palette, "keywords": _keywords}


# --------------------------------------------------------------------------- characters, scenes


@dataclass(frozen=True)
class _Kind:
    """Characters or scenes: where they live, what they are called, which fields they have."""

    where: str  # the plan's list, and the ClipScript field that names them
    noun: str
    make: Callable[..., Any]
    fields: tuple[str, ...]


CHARACTER = _Kind("characters", "character", Character, ("name", "description", "role"))
SCENE = _Kind("scenes", "scene", Scene, ("name", "description", "time_of_day", "music_prompt"))


def _values(kind: _Kind, items: list, item_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` checked: known, text, a non-empty name no other entry has."""
    unknown = sorted(set(fields) - set(kind.fields))
    if unknown:
        raise EditError(f"a {kind.noun} has no field {unknown[0]}")
    values = {k: (_name if k == "name" else _text)(k, v) for k, v in fields.items()}
    taken = {i.name.casefold() for i in items if i.id != item_id}
    if "name" in values and values["name"].casefold() in taken:
        raise EditError(f"there is already a {kind.noun} called {values['name']}")
    return values


def number_ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5, 7, 8]`` as ``"1–3, 5, 7, 8"`` (runs of three or more become ranges)."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def _edit(kind: _Kind, project: Project, item_id: str, fields: dict[str, Any]) -> Edit:
    items = getattr(plan_of(project), kind.where)
    _, item = find(items, item_id, kind.noun)
    if not fields:
        raise EditError(f"no {kind.noun} field to change")
    values = _values(kind, items, item_id, fields)
    return make_edit(f"Edit {kind.noun} {item.name}", [set_fields(kind.where, item, **values)])


def _add(kind: _Kind, project: Project, fields: dict[str, Any]) -> Edit:
    items = getattr(plan_of(project), kind.where)
    item = kind.make(**_values(kind, items, "", fields))
    return make_edit(f"Add {kind.noun} {item.name}", [insert(kind.where, len(items), item)])


def _remove(kind: _Kind, project: Project, item_id: str) -> Edit:
    plan = plan_of(project)
    items = getattr(plan, kind.where)
    _, item = find(items, item_id, kind.noun)
    users = [n for n, clip in enumerate(plan.clips, 1) if item_id in getattr(clip, kind.where)]
    if users:
        which = f"clip {users[0]}" if len(users) == 1 else f"clips {number_ranges(users)}"
        raise EditError(f"{item.name} appears in {which}: take the {kind.noun} out of "
                        f"{'that clip' if len(users) == 1 else 'those clips'} first")
    return make_edit(f"Remove {kind.noun} {item.name}", [remove(kind.where, items, item)])


def edit_character(project: Project, character_id: str, **fields: Any) -> Edit:
    """Change a character's ``name``, ``description`` or ``role`` (names stay unique)."""
    return _edit(CHARACTER, project, character_id, fields)


def add_character(project: Project, name: str, description: str = "", role: str = "") -> Edit:
    """A new character at the end of the cast (no clip names it yet)."""
    return _add(CHARACTER, project, {"name": name, "description": description, "role": role})


def remove_character(project: Project, character_id: str) -> Edit:
    """Remove a character; refused, naming the clips, while a clip names it."""
    return _remove(CHARACTER, project, character_id)


def edit_scene(project: Project, scene_id: str, **fields: Any) -> Edit:
    """Change a scene's ``name``, ``description``, ``time_of_day`` or ``music_prompt`` (names stay
    unique)."""
    return _edit(SCENE, project, scene_id, fields)


def add_scene(project: Project, name: str, description: str = "", time_of_day: str = "") -> Edit:
    """A new scene at the end of the list (no clip is set in it yet)."""
    return _add(SCENE, project, {"name": name, "description": description,
                                 "time_of_day": time_of_day})


def remove_scene(project: Project, scene_id: str) -> Edit:
    """Remove a scene; refused, naming the clips, while a clip is set in it."""
    return _remove(SCENE, project, scene_id)


# --------------------------------------------------------------------------- style


@dataclass(frozen=True)
class SetStyle:
    """Fields of the plan's style guide go from ``before`` to ``after`` (a step, like SetFields)."""

    before: tuple[tuple[str, Any], ...]
    after: tuple[tuple[str, Any], ...]

    def do(self, project: Project) -> None:
        style = project.plan.style if project.plan is not None else None
        if style is None or any(getattr(style, k) != v for k, v in self.before):
            raise EditError(OUT_OF_DATE)
        for name, value in self.after:
            setattr(style, name, copy.deepcopy(value))

    def inverse(self) -> "SetStyle":
        return SetStyle(self.after, self.before)


def _set_style(label: str, style: StyleGuide, values: dict[str, Any]) -> Edit:
    changed = {k: v for k, v in values.items() if getattr(style, k) != v}
    if not changed:
        raise NoChange(f"{label}: nothing to change")
    return make_edit(label, [SetStyle(tuple((k, copy.deepcopy(getattr(style, k))) for k in changed),
                                      tuple((k, copy.deepcopy(v)) for k, v in changed.items()))])


def edit_style(project: Project, **fields: Any) -> Edit:
    """Change the style guide: text fields, ``palette`` (``#RRGGBB`` list), ``keywords`` (list)."""
    style = plan_of(project).style
    unknown = sorted(set(fields) - set(STYLE_FIELDS))
    if unknown or not fields:
        raise EditError(f"the style guide has no field {unknown[0]}" if unknown
                        else "no style field to change")
    values = {name: STYLE_VALUES[name](name, v) for name, v in fields.items()}
    label = f"Edit {next(iter(values)).replace('_', ' ')}" if len(values) == 1 else "Edit style"
    return _set_style(label, style, values)


def set_palette_colour(project: Project, index: int, hex_colour: str) -> Edit:
    """Replace the palette's ``index``-th colour with ``hex_colour`` (``#RRGGBB``)."""
    style = plan_of(project).style
    if not isinstance(index, int) or isinstance(index, bool) or \
            not 0 <= index < len(style.palette):
        raise EditError(f"the palette has no colour {index}")
    palette = list(style.palette)
    palette[index] = colour(hex_colour)
    return _set_style("Change palette colour", style, {"palette": palette})
