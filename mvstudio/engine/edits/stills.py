"""A clip's still from the user's own picture instead of the generated one, and back.

``import_picture`` copies the user's file into the project's media store (the original is left
where it is) after checking that it is a picture; ``replace_still`` then names that media file in
the clip's ``image_path``, and the pipeline makes the clip's still from it (no provider call).
``restore_generated_still`` clears it: the generated still, if it was made before, is fresh again.
``replace_reference`` and ``restore_generated_reference`` do the same for a scene's or character's
reference (``engine.references``): only the stills made from it go stale; ``reseed_reference``
gives a generated reference a new seed (a new variation, and its stills after it).

    |--- A ---|--- B (your picture) ---|--- C ---|      only B's still and video go stale
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mvstudio.engine.edits.base import (Edit, EditError, find, make_edit, plan_of, set_fields,
                                        set_project)
from mvstudio.engine.errors import InputError
from mvstudio.engine.model import Project
from mvstudio.engine.references import SEEDS, SETTING, own_references
from mvstudio.engine.store.media import MediaStore, is_media_name

# Pillow format -> the extension the media store keeps (others use the format's own name)
_EXTENSIONS = {"JPEG": "jpg", "TIFF": "tif", "MPO": "jpg"}


def import_picture(media: MediaStore, path: str | Path) -> str:
    """Copy the picture at ``path`` into ``media``; its store name.  ``InputError`` (one line)
    when it is missing, empty or not a picture Pillow can read; nothing is stored then."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"'{path.name}' is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"'{path.name}' is empty, not a picture")
    try:
        with Image.open(path) as im:
            kind = im.format or ""
            im.draft("RGB", (256, 256))  # a JPEG decodes at a fraction of its size: fast
            im.load()  # decodes to the end: a truncated file fails here, not in the pipeline
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as exc:
        raise InputError(f"'{path.name}' is not a picture MV Studio can read "
                         f"({type(exc).__name__})") from None
    return media.put_file(path, _EXTENSIONS.get(kind, kind.lower()))


def replace_still(project: Project, clip_id: str, media_name: str) -> Edit:
    """Make clip ``clip_id``'s still from the picture ``media_name`` (already in the store); the
    clip is marked ``user_edited``, so a re-plan keeps it with its picture."""
    return _set_picture(project, clip_id, "image_path", media_name, "Replace still")


def replace_last_still(project: Project, clip_id: str, media_name: str) -> Edit:
    """Make clip ``clip_id``'s video end on the picture ``media_name`` (a photo pair's last
    frame), kept on a re-plan like ``replace_still``."""
    return _set_picture(project, clip_id, "last_image_path", media_name, "Replace last frame")


def _set_picture(project: Project, clip_id: str, field: str, media_name: str, label: str) -> Edit:
    _, clip = find(plan_of(project).clips, clip_id, "clip")
    if not is_media_name(media_name):
        raise EditError(f"'{media_name}' is not a picture in the project's media store")
    return make_edit(label, [set_fields("clips", clip, user_edited=True, **{field: media_name})])


def restore_generated_still(project: Project, clip_id: str) -> Edit:
    """Make clip ``clip_id``'s still by the image generator again (``NoChange`` if it is)."""
    _, clip = find(plan_of(project).clips, clip_id, "clip")
    return make_edit("Use generated still", [set_fields("clips", clip, image_path="")])


def replace_reference(project: Project, owner_id: str, media_name: str) -> Edit:
    """Make the reference of scene or character ``owner_id`` the picture ``media_name``."""
    _find_subject(project, owner_id)
    if not is_media_name(media_name):
        raise EditError(f"'{media_name}' is not a picture in the project's media store")
    return _set_setting(project, "Replace reference", SETTING,
                        {**own_references(project), owner_id: media_name})


def restore_generated_reference(project: Project, owner_id: str) -> Edit:
    """Make the reference of ``owner_id`` by the image generator again (``NoChange`` if it is)."""
    own = own_references(project)
    own.pop(owner_id, None)
    return _set_setting(project, "Use generated reference", SETTING, own)


def reseed_reference(project: Project, owner_id: str, seed: int) -> Edit:
    """Make the reference of ``owner_id`` again with ``seed`` (a new variation)."""
    _find_subject(project, owner_id)
    seeds = {**(project.settings.get(SEEDS) or {}), owner_id: int(seed)}
    return _set_setting(project, "Regenerate reference", SEEDS, seeds)


def _find_subject(project: Project, owner_id: str) -> None:
    plan = plan_of(project)
    find([*plan.scenes, *plan.characters], owner_id, "scene or character")


def _set_setting(project: Project, label: str, key: str, value: dict) -> Edit:
    """Set project setting ``key`` to ``value`` (removed when empty)."""
    settings = {k: v for k, v in project.settings.items() if k != key}
    return make_edit(label, [set_project(project, settings={**settings, key: value}
                                         if value else settings)])
