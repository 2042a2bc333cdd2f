"""A project's photo-library mode: where its photos are, how they are chosen, what was chosen.

It lives in ``project.settings["photos"]`` (``PhotoMode``): the library's folders and files, the
scene template (or none), the order (``given`` / ``time``), pairs on or off, the photos the user
excluded (by content hash) and, per clip, what was chosen and why (score and reason, shown by the
photo browser).  The chosen pictures themselves are the clips' ``image_path`` /
``last_image_path`` (copied into the media store, named by content hash, so a media name's stem
is the photo's hash): the images stage fits them to the frame like any picture of the user's.

After every plan (``choose_after_plan``, from ``Pipeline.plan``) the clips that have no photo, or
are neither locked nor edited, get one; locked and edited clips keep theirs, and their
near-duplicate groups stay out of the others' choice.  The edits here (choose again, exclude,
lock, change the mode) are undoable values like any other.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping, Optional

from mvstudio.engine.codec import from_dict, to_dict
from mvstudio.engine.edits.base import (CompositeEdit, Edit, EditError, make_edit, plan_of,
                                        set_fields, set_project)
from mvstudio.engine.edits.content import set_locked
from mvstudio.engine.edits.stills import import_picture
from mvstudio.engine.errors import InputError
from mvstudio.engine.events import CancelToken, Notice, Sink, null_sink
from mvstudio.engine.model import ClipScript, Project
from mvstudio.engine.photos.library import Library, import_library
from mvstudio.engine.photos.selection import ORDERS, Choice, Ranking, Selection, Slot, choose
from mvstudio.engine.photos.templates import SceneTemplate, get_template
from mvstudio.engine.store.media import MediaStore

SETTING = "photos"


@dataclass
class PhotoMode:
    sources: list[str] = field(default_factory=list)  # folders and files
    template: str = ""  # a scene template key ("" = none)
    order: str = "given"  # "given" | "time" (a template orders by its scenes)
    pairs: bool = False  # a first and a last photo per clip
    excluded: list[str] = field(default_factory=list)  # photo hashes
    choices: dict[str, dict] = field(default_factory=dict)  # clip id -> ``Choice`` as a dict

    def scene_template(self) -> Optional[SceneTemplate]:
        return get_template(self.template) if self.template else None


def mode_in(settings: Mapping) -> Optional[PhotoMode]:
    """The photo mode a project's ``settings`` hold (None: not a photo-library project)."""
    data = settings.get(SETTING)
    return from_dict(PhotoMode, data) if data else None


def photo_mode(project: Project) -> Optional[PhotoMode]:
    return mode_in(project.settings)


def check_mode(mode: PhotoMode) -> PhotoMode:
    """``mode`` when usable; ``InputError`` naming what is not."""
    if mode.order not in ORDERS:
        raise InputError(f"unknown photo order {mode.order!r}: use one of {', '.join(ORDERS)}")
    mode.scene_template()  # an unknown template says which ones exist
    return mode


def mode_settings(settings: Mapping, mode: Optional[PhotoMode]) -> dict:
    """A project's ``settings`` with ``mode`` in them (None: photo mode off)."""
    others = {k: v for k, v in settings.items() if k != SETTING}
    return {**others, SETTING: to_dict(mode)} if mode is not None else others


def photo_of(media_name: str) -> str:
    """The photo hash of a picture in the media store (its name without the extension)."""
    return Path(media_name).stem if media_name else ""


def load_library(mode: PhotoMode, cancel: Optional[CancelToken] = None) -> Library:
    """The mode's photos (cached measures: fast the second time)."""
    return import_library(mode.sources, cancel=cancel)


def check_library(mode: PhotoMode) -> list[str]:
    """Check ``mode`` and import its library up front: the files skipped (one line each);
    ``InputError`` when a source is missing or no photo can be read."""
    check_mode(mode)
    for source in map(Path, mode.sources):
        if not source.exists():
            raise InputError(f"images folder not found: {source}")
    library = load_library(mode)
    if not library.photos:
        raise InputError(f"none of the pictures in {', '.join(mode.sources)} can be read"
                         if library.skipped else f"no pictures in {', '.join(mode.sources)}")
    return library.skipped


# --------------------------------------------------------------------------- choosing


def _keeps_photo(clip: ClipScript) -> bool:
    return bool(clip.image_path) and (clip.locked or clip.user_edited)


def choose_for(project: Project, library: Library, only: Optional[Iterable[str]] = None,
               ranking: Optional[Ranking] = None) -> Selection:
    """Photos for the clips that do not keep theirs (``only``: just these clips); the photos of
    every other clip stay out of the choice."""
    plan, mode = plan_of(project), photo_mode(project)
    only = set(only) if only is not None else None
    todo = [c for c in plan.clips if not _keeps_photo(c) and (only is None or c.id in only)]
    staying = [c for c in plan.clips if c not in todo]
    taken = {photo_of(name) for c in staying for name in (c.image_path, c.last_image_path)}
    template = mode.scene_template()
    scenes = {s.id: s.name for s in plan.scenes}
    slots = [Slot(c.id, template.scene(scenes.get(c.scenes[0], "")) if template and c.scenes
                  else None) for c in todo]
    return choose(library, slots, project.width, project.height, order=mode.order,
                  pairs=mode.pairs, excluded=mode.excluded, taken=taken - {""}, ranking=ranking)


def choices_edit(project: Project, media: MediaStore, library: Library, selection: Selection,
                 label: str = "Choose photos", by: str = "offline") -> Edit:
    """The edit that gives the clips of ``selection`` their photos (copied into ``media``) and
    records why; ``by`` says who chose ("offline" or the vision model)."""
    plan, mode = plan_of(project), photo_mode(project)
    photos = library.by_hash()
    changes, choices = [], {k: v for k, v in mode.choices.items()
                            if any(c.id == k for c in plan.clips)}
    for choice in selection.choices:
        clip = plan.clip(choice.clip_id)
        first = import_picture(media, photos[choice.first].path)
        last = import_picture(media, photos[choice.last].path) if choice.last else ""
        changes.append(set_fields("clips", clip, image_path=first, last_image_path=last))
        choices[clip.id] = {**to_dict(choice), "by": by}
    changes.append(_mode_change(project, replace(mode, choices=choices)))
    return make_edit(label, changes)


def _mode_change(project: Project, mode: PhotoMode):
    return set_project(project, settings=mode_settings(project.settings, mode))


async def choose_after_plan(project: Project, media: MediaStore, sink: Sink = null_sink,
                            cancel: Optional[CancelToken] = None) -> None:
    """Give the new plan's clips their photos (nothing outside photo mode; see module doc)."""
    mode = photo_mode(project)
    if mode is None or project.plan is None:
        return
    library = await asyncio.to_thread(load_library, mode, cancel)
    if not library.photos:
        raise InputError("none of the photos of this project can be read "
                         f"({', '.join(mode.sources) or 'no folder chosen'})")
    selection = choose_for(project, library)
    for note in selection.notes:
        sink(Notice(note, "plan"))
    if selection.choices:
        edit = await asyncio.to_thread(choices_edit, project, media, library, selection)
        edit.apply(project)


# --------------------------------------------------------------------------- edits


def set_mode(project: Project, **changes) -> Edit:
    """Turn photo mode on or change it (``sources``, ``template``, ``order``, ``pairs``)."""
    unknown = set(changes) - {"sources", "template", "order", "pairs"}
    if unknown:
        raise EditError(f"photo mode has no setting {sorted(unknown)[0]}")
    mode = check_mode(replace(photo_mode(project) or PhotoMode(), **changes))
    return make_edit("Photo settings", [_mode_change(project, mode)])


def choose_again(project: Project, media: MediaStore, library: Library,
                 ranking: Optional[Ranking] = None, by: str = "offline") -> Edit:
    """New photos for every clip that does not keep its own (``ranking``: a vision model's)."""
    return choices_edit(project, media, library, choose_for(project, library, ranking=ranking),
                        "Choose photos", by)


def exclude_photos(project: Project, media: MediaStore, library: Library,
                   hashes: Iterable[str], excluded: bool = True) -> Edit:
    """Leave ``hashes`` out of the video (or let them back in); a clip showing one that it does
    not keep gets the next best photo."""
    hashes = set(hashes)
    mode = photo_mode(project)
    if mode is None:
        raise EditError("the project has no photo library")
    now = sorted(set(mode.excluded) | hashes) if excluded else \
        [h for h in mode.excluded if h not in hashes]
    showing = [c.id for c in plan_of(project).clips
               if {photo_of(c.image_path), photo_of(c.last_image_path)} & hashes]
    label = "Exclude photo" if excluded else "Include photo"

    def settings(p: Project) -> Edit:
        return make_edit(label, [_mode_change(p, replace(mode, excluded=now))])

    def rechoose(p: Project) -> Edit:
        return choices_edit(p, media, library, choose_for(p, library, only=showing), label)

    steps = [settings] + ([rechoose] if excluded and showing else [])
    return CompositeEdit.build(project, label, *steps)


def lock_photos(project: Project, locked: bool = True) -> Edit:
    """Lock (or unlock) every clip that shows a photo, so that a re-plan keeps its choice."""
    clips = [c for c in plan_of(project).clips if c.image_path and c.locked != locked]
    label = "Lock photo choices" if locked else "Unlock photo choices"
    return CompositeEdit.build(project, label,
                               *(lambda p, c=c: set_locked(p, c.id, locked) for c in clips))


def chosen(project: Project, clip: ClipScript) -> Optional[Choice]:
    """What was chosen for ``clip`` and why, while it still shows that photo."""
    mode = photo_mode(project)
    data = mode.choices.get(clip.id) if mode else None
    if not data or data.get("first") != photo_of(clip.image_path):
        return None
    return from_dict(Choice, data)
